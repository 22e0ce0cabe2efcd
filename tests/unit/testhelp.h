/* testhelp.h - a minimal test harness: each test is a function whose name
 * is a sentence; a suite prints "tests: N passed, N failed" */
#ifndef KB_TESTHELP_H
#define KB_TESTHELP_H

#include <stdio.h>
#include <string.h>

static int th_passed, th_failed, th_cur_failed;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "  %s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                    \
            th_cur_failed = 1;                                                 \
        }                                                                      \
    } while (0)

#define CHECK_STR(a, b)                                                        \
    do {                                                                       \
        const char *a_ = (a), *b_ = (b);                                       \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                               \
            fprintf(stderr, "  %s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, \
                    a_ ? a_ : "(null)", b_ ? b_ : "(null)");                   \
            th_cur_failed = 1;                                                 \
        }                                                                      \
    } while (0)

#define CHECK_RC(expr, want)                                                   \
    do {                                                                       \
        int rc_ = (expr);                                                      \
        if (rc_ != (want)) {                                                   \
            fprintf(stderr, "  %s:%d: %s returned %d, wanted %d\n", __FILE__,  \
                    __LINE__, #expr, rc_, (int)(want));                        \
            th_cur_failed = 1;                                                 \
        }                                                                      \
    } while (0)

#define RUN(test)                                                              \
    do {                                                                       \
        th_cur_failed = 0;                                                     \
        test();                                                                \
        if (th_cur_failed) {                                                   \
            th_failed++;                                                       \
            fprintf(stderr, "FAIL %s\n", #test);                               \
        } else {                                                               \
            th_passed++;                                                       \
        }                                                                      \
    } while (0)

#define TEST_REPORT()                                                          \
    (printf("tests: %d passed, %d failed\n", th_passed, th_failed),            \
     th_failed ? 1 : 0)

#endif

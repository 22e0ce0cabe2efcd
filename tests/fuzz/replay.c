/* replay.c - run a fuzz target once per file of its corpus, without
 * libFuzzer, so that `make test` replays every corpus */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Usage: replay-<target> [-n] [-t seconds] DIR|FILE...
 *
 * Every regular file in each DIR (in name order, dot files skipped) and
 * each FILE is one input. Each runs in a forked child, so that a crash,
 * an abort from a sanitizer or a hang fails that file alone and the rest
 * still run; a file passes when LLVMFuzzerTestOneInput returns and, in an
 * AddressSanitizer build, no memory leaked while it ran. The target's
 * LLVMFuzzerInitialize, if it has one, runs once in the parent first.
 *   -n   run every input in this process instead (for a debugger)
 *   -t   seconds one input may take (default 20)
 * The last line is "tests: N passed, N failed"; exit status 1 if any
 * failed, 2 on a usage or I/O error.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_LSAN 1
#endif
#endif
#ifdef HAVE_LSAN
int __lsan_do_recoverable_leak_check(void);
#endif

static int passed, failed;

/* The whole file in a buffer of exactly its size: a target that reads one
 * byte too far is caught. *out is new. */
static int slurp(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    *out = NULL;
    if (!f)
        return -1;
    for (;;) {
        uint8_t chunk[65536];
        size_t got = fread(chunk, 1, sizeof chunk, f);
        if (got == 0)
            break;
        if (n + got > cap) {
            size_t ncap = cap ? cap * 2 : sizeof chunk;
            while (ncap < n + got)
                ncap *= 2;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
            cap = ncap;
        }
        memcpy(buf + n, chunk, got);
        n += got;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return -1;
    }
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    if (n)
        memcpy(exact, buf, n);
    free(buf);
    *out = exact;
    *len = n;
    return 0;
}

static int run_input(const uint8_t *data, size_t len)
{
    LLVMFuzzerTestOneInput(data, len);
#ifdef HAVE_LSAN
    if (__lsan_do_recoverable_leak_check())
        return 1;
#endif
    return 0;
}

static void one(const char *path, int nofork, unsigned timeout)
{
    uint8_t *data = NULL;
    size_t len = 0;
    if (slurp(path, &data, &len) < 0) {
        printf("not ok - %s: %s\n", path, strerror(errno));
        failed++;
        return;
    }
    fflush(stdout);
    fflush(stderr);
    if (nofork) {
        int leak = run_input(data, len);
        free(data);
        if (leak) {
            printf("not ok - %s: memory leaked\n", path);
            failed++;
        } else {
            printf("ok - %s\n", path);
            passed++;
        }
        return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        printf("not ok - %s: fork: %s\n", path, strerror(errno));
        free(data);
        failed++;
        return;
    }
    if (pid == 0) {
        alarm(timeout);
        int leak = run_input(data, len);
        fflush(stdout);
        fflush(stderr);
        _exit(leak ? 3 : 0);
    }
    free(data);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        printf("ok - %s\n", path);
        passed++;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
        printf("not ok - %s: memory leaked\n", path);
        failed++;
    } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
        printf("not ok - %s: over %u s\n", path, timeout);
        failed++;
    } else if (WIFSIGNALED(status)) {
        printf("not ok - %s: signal %d (%s)\n", path, WTERMSIG(status),
               strsignal(WTERMSIG(status)));
        failed++;
    } else {
        printf("not ok - %s: exit status %d (sanitizer report above)\n",
               path, WEXITSTATUS(status));
        failed++;
    }
}

static int skip(const struct dirent *e) { return e->d_name[0] != '.'; }

static int walk(const char *arg, int nofork, unsigned timeout)
{
    struct stat st;
    if (stat(arg, &st) < 0) {
        fprintf(stderr, "replay: %s: %s\n", arg, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        one(arg, nofork, timeout);
        return 0;
    }
    struct dirent **names = NULL;
    int n = scandir(arg, &names, skip, alphasort);
    if (n < 0) {
        fprintf(stderr, "replay: %s: %s\n", arg, strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char path[4096];
        size_t alen = strlen(arg);
        while (alen > 1 && arg[alen - 1] == '/')
            alen--;
        snprintf(path, sizeof path, "%.*s/%s", (int)alen, arg,
                 names[i]->d_name);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            one(path, nofork, timeout);
        free(names[i]);
    }
    free(names);
    return 0;
}

int main(int argc, char **argv)
{
    int nofork = 0, opt, bad = 0;
    unsigned timeout = 20;
    while ((opt = getopt(argc, argv, "nt:")) != -1) {
        if (opt == 'n') {
            nofork = 1;
        } else if (opt == 't') {
            char *end = NULL;
            long t = strtol(optarg, &end, 10);
            if (!end || *end || t < 1 || t > 3600)
                bad = 1;
            timeout = (unsigned)t;
        } else {
            bad = 1;
        }
    }
    if (bad || optind >= argc) {
        fprintf(stderr, "usage: %s [-n] [-t seconds] DIR|FILE...\n",
                argv[0]);
        return 2;
    }
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    setvbuf(stdout, NULL, _IOLBF, 0);
    int err = 0;
    for (int i = optind; i < argc; i++)
        err |= walk(argv[i], nofork, timeout) < 0;
    if (err)
        failed++;
    printf("tests: %d passed, %d failed\n", passed, failed);
    return err ? 2 : failed ? 1 : 0;
}

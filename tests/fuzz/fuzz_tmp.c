/* fuzz_tmp.c - the temporary file or folder a fuzz target works in */
#include "fuzz_tmp.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static pid_t owner;
static void (*cleans[4])(void);
static int ncleans;

static void at_exit(void)
{
    if (getpid() != owner)
        return;
    while (ncleans > 0)
        cleans[--ncleans]();
}

void fuzz_tmp(char *out, size_t size, const char *what, int dir,
              void (*clean)(void))
{
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(out, size, "%s/deskdex-fuzz-%s-XXXXXX",
                     tmp && *tmp ? tmp : "/tmp", what);
    if (n < 0 || (size_t)n >= size) {
        fprintf(stderr, "fuzz_tmp: TMPDIR is too long\n");
        abort();
    }
    int fd = -1;
    if (dir ? !mkdtemp(out) : (fd = mkstemp(out)) < 0) {
        perror(out);
        abort();
    }
    if (fd >= 0)
        close(fd);
    if (!owner) {
        owner = getpid();
        atexit(at_exit);
    }
    if (clean) {
        if (ncleans == (int)(sizeof cleans / sizeof *cleans)) {
            fprintf(stderr, "fuzz_tmp: too many temporary paths\n");
            abort();
        }
        cleans[ncleans++] = clean;
    }
}

/* testtmp.h - a temporary folder for the real databases of one suite:
 * tmp_make("name") at the start of main, tmp_remove() at the end. A suite
 * that includes it defines _XOPEN_SOURCE 700 (for nftw) before any
 * include. */
#ifndef KB_TESTTMP_H
#define KB_TESTTMP_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

static char tmproot[64];

static int rm_entry(const char *p, const struct stat *sb, int flag,
                    struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* Make /tmp/SUITE.XXXXXX into tmproot; -1 (with a message) on failure. */
static int tmp_make(const char *suite)
{
    snprintf(tmproot, sizeof tmproot, "/tmp/%s.XXXXXX", suite);
    if (!mkdtemp(tmproot)) {
        perror("mkdtemp");
        return -1;
    }
    return 0;
}

static void tmp_remove(void)
{
    nftw(tmproot, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif

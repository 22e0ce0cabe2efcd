/* fuzz_tmp.h - the temporary file or folder a fuzz target works in */
#ifndef FUZZ_TMP_H
#define FUZZ_TMP_H

#include <stddef.h>

/* Make a new folder (dir != 0) or empty file under $TMPDIR (else /tmp),
 * named deskdex-fuzz-<what>-XXXXXX, and put its path in out. At exit the
 * process that made it, and only that one, calls clean (may be NULL):
 * forked replay children leave with _exit, so this is a safety net against
 * one that calls exit(). Aborts on failure. Up to 4 per process. */
void fuzz_tmp(char *out, size_t size, const char *what, int dir,
              void (*clean)(void));

#endif

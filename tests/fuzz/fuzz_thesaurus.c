/* fuzz_thesaurus.c - fuzz target: a WordNet database, kb_thesaurus_load()
 * and kb_thesaurus_find() */
#include "fuzz_tmp.h"
#include "kb_error.h"
#include "kb_thesaurus.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[4096];
static const char *const files[] = {"index.noun", "data.noun", "index.verb",
                                    "data.verb",  "index.adj", "data.adj",
                                    "index.adv",  "data.adv",  "verb.exc"};
#define NFILES (sizeof files / sizeof *files)

static void cleanup(void)
{
    char p[4200];
    for (size_t i = 0; i < NFILES; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_tmp(dir, sizeof dir, "wn", 1, cleanup);
    return 0;
}

/* The input is the database: its parts, separated by NUL bytes, are
 * index.noun, data.noun, index.verb, data.verb, ... verb.exc (missing
 * parts are empty files). Load it, then look up a few words and forms. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const words[] = {"delete", "deleted", "erasing",
                                        "files", "stolen", "a", "",
                                        "supercalifragilistic"};
    const uint8_t *p = data, *end = data + size;
    char path[4200];
    for (size_t i = 0; i < NFILES; i++) {
        const uint8_t *nul = p < end ? memchr(p, 0, (size_t)(end - p)) : NULL;
        size_t n = p < end ? (size_t)((nul ? nul : end) - p) : 0;
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        FILE *f = fopen(path, "wb");
        if (!f)
            return 0;
        fwrite(p, 1, n, f);
        fclose(f);
        p = nul ? nul + 1 : end;
    }
    kb_thesaurus *t = NULL;
    char *msg = NULL;
    if (kb_thesaurus_load(&t, dir, &msg) == KB_OK) {
        for (size_t i = 0; i < sizeof words / sizeof *words; i++)
            kb_thesaurus_find(t, words[i], strlen(words[i]));
        kb_thesaurus_size(t);
    }
    kb_free(msg);
    kb_thesaurus_free(t);
    return 0;
}

/* fuzz_config.c - fuzz target: the configuration file, kb_config_load() */
#include "fuzz_tmp.h"
#include "kb_config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[4096];

static void cleanup(void)
{
    unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_tmp(path, sizeof path, "conf", 0, cleanup);
    return 0;
}

/* The input is the file. Load it over the defaults, then look up a few
 * words and every rule's own word as the query parser would. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const words[] = {"wifi", "password", "vpn", "",
                                        "\xe7\x99\xbb\xe9\x99\x86"};
    /* Each replay child writes its own file after the parent made it. */
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    kb_config c;
    char *msg = NULL;
    if (kb_config_defaults(&c) == 0 && kb_config_load(&c, path, &msg) == 0) {
        for (size_t i = 0; i < sizeof words / sizeof *words; i++)
            kb_config_synonym(&c, words[i], strlen(words[i]));
        for (size_t i = 0; i < c.nsyn; i++)
            kb_config_synonym(&c, c.syn[i].from, strlen(c.syn[i].from));
    }
    free(msg);
    kb_config_free(&c);
    return 0;
}

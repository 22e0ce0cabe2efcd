/* fuzz_suggest.c - fuzz target: suggested fixes, kb_suggest() */
#include "fuzz_index.h"
#include "kb_suggest.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static kb_xdb *db;
static const kb_config *cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_index_open(&db, &cfg);
    return 0;
}

/* The input is a ticket: the subject up to the first newline, the
 * description after it. Asked as an agent and as the public with the
 * defaults (as POST /v1/suggest does), then with every option turned, as
 * the relevance harness tunes them: more terms kept than a query can hold
 * at once, wider feedback, a product, a category and ids left out. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *nl = memchr(buf, '\n', size);
    const char *desc = NULL;
    if (nl) {
        *nl = '\0';
        desc = nl + 1;
    }
    json_t *exclude = json_pack("[s,s,i]", "faq-pw-reset", "INC-9001", 7);
    for (int run = 0; run < 3; run++) {
        kb_suggest_opts o = KB_SUGGEST_OPTS_INIT;
        json_t *res = NULL;
        char *msg = NULL;
        o.subject = buf;
        o.description = desc;
        o.audience = run == 1 ? KB_AUD_PUBLIC : KB_AUD_AGENT;
        if (run == 2) {
            o.max_terms = 128;
            o.expand_docs = 10;
            o.expand_terms = 40;
            o.product = "vpn";
            o.category = "network";
            o.exclude = exclude;
            o.limit = 3;
        }
        if (kb_suggest(&res, db, cfg, &o, &msg) == 0) {
            char *s = json_dumps(res, JSON_COMPACT);
            free(s);
        }
        json_decref(res);
        free(msg);
    }
    json_decref(exclude);
    free(buf);
    return 0;
}

/* fuzz_query.c - fuzz target: the query language through kb_search() */
#include "fuzz_index.h"
#include "kb_search.h"

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

/* The input is q, as GET /v1/search?q= hands it over (NUL-terminated; the
 * server caps it at max_query bytes and checks UTF-8, the target does not
 * check UTF-8 so that the parser's own robustness is tested). Each input is
 * searched as every audience, with the last word typed and not. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > cfg->max_query)
        return 0;
    char *q = malloc(size + 1);
    if (!q)
        return 0;
    memcpy(q, data, size);
    q[size] = '\0';
    for (int aud = KB_AUD_PUBLIC; aud <= KB_AUD_ADMIN; aud++) {
        for (int partial = 0; partial <= 1; partial++) {
            kb_search_opts o = KB_SEARCH_OPTS_INIT;
            json_t *res = NULL;
            char *msg = NULL;
            o.q = q;
            o.audience = (kb_audience)aud;
            o.partial = partial;
            o.group = (aud + partial) & 1; /* half by article, as the page */
            o.spelling = 1;
            if (kb_search(&res, db, cfg, &o, &msg) == 0) {
                char *s = json_dumps(res, JSON_COMPACT);
                free(s);
            }
            json_decref(res);
            free(msg);
        }
    }
    free(q);
    return 0;
}

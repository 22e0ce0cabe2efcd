/* fuzz_doc_json.c - fuzz target: a POST /v1/documents body, json_loadb
 * then kb_doc_from_json on each document */
#include "kb_doc.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

static void one(const json_t *rec)
{
    json_t *doc = NULL;
    char *msg = NULL;
    if (kb_doc_from_json(&doc, rec, NULL, &msg) == 0) {
        char hex[65];
        kb_doc_hash(doc, hex);
        char *s = json_dumps(doc, JSON_COMPACT);
        free(s);
    }
    json_decref(doc);
    free(msg);
}

/* As the server reads it: duplicates rejected, one object or an array. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *in = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
                            &je);
    if (!in)
        return 0;
    if (json_is_array(in)) {
        size_t i;
        json_t *rec;
        json_array_foreach(in, i, rec)
            one(rec);
    } else {
        one(in);
    }
    json_decref(in);
    return 0;
}

/* fuzz_doc_json.c - fuzz target: a POST /v1/documents body, json_loadb
 * then kb_doc_from_json on each document; and the same bytes as a stored
 * head, which kb_doc_head_read must read as json_loadb does or leave */
#include "kb_doc.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* kb_doc_head_read makes what json_loadb makes, or nothing. */
static void head(const char *s, size_t n)
{
    json_t *f = kb_doc_head_read(s, n);
    if (!f)
        return;
    json_t *j = json_loadb(s, n, 0, NULL);
    char *a = json_dumps(f, JSON_COMPACT);
    char *b = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (!j || !json_equal(f, j) || !a || !b || strcmp(a, b))
        abort();
    free(a);
    free(b);
    json_decref(j);
    json_decref(f);
}

/* As the server reads it: duplicates rejected, one object or an array. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nul = memchr(data, '\0', size);
    head((const char *)data, nul ? (size_t)(nul - (const char *)data) : size);
    json_error_t je;
    json_t *in =
        json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
    if (!in)
        return 0;
    if (json_is_array(in)) {
        size_t i;
        json_t *rec;
        json_array_foreach(in, i, rec) one(rec);
    } else {
        one(in);
    }
    json_decref(in);
    return 0;
}

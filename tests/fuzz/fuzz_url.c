/* fuzz_url.c - fuzz target: what the server does with ids and parameters
 * taken from URLs: kb_doc_id_ok, kb_utf8_invalid_at, kb_normalise */
#include "kb_doc.h"
#include "kb_text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void one(const char *s, size_t n)
{
    char *id = malloc(n + 1);
    char *norm = NULL;
    if (!id)
        return;
    memcpy(id, s, n);
    id[n] = '\0';
    kb_doc_id_ok(id);
    /* The server checks UTF-8 first, but normalising must cope anyway. */
    kb_utf8_invalid_at(s, n);
    kb_normalise(&norm, s, n);
    free(norm);
    free(id);
}

/* The whole input, then each piece of it between '/', '?', '&' and '=', as
 * a path and query string fall apart. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    size_t start = 0;
    one(s, size);
    for (size_t i = 0; i <= size; i++) {
        if (i == size || s[i] == '/' || s[i] == '?' || s[i] == '&' ||
            s[i] == '=') {
            if (i > start)
                one(s + start, i - start);
            start = i + 1;
        }
    }
    return 0;
}

/* kb_error.c - status code names and messages */
#include "kb_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static const struct {
    const char *name;
    const char *msg;
} table[KB_RC_COUNT] = {
    {"ok", "success"},
    {"error", "internal error"},
    {"out_of_memory", "out of memory"},
    {"invalid_parameter", "invalid argument"},
    {"not_found", "not found"},
    {"invalid_query", "invalid query"},
    {"index_locked", "index is locked by another writer"},
    {"index_corrupt", "index or stored record is corrupt"},
    {"too_large", "input exceeds the configured limit"},
    {"index_unavailable", "index could not be opened"},
    {"invalid_utf8", "text is not valid UTF-8"},
    {"io_error", "input/output error"},
    {"invalid_document", "invalid document"},
    {"unauthorized", "missing or invalid credentials"},
    {"forbidden", "not allowed for this role"},
    {"method_not_allowed", "method not allowed"},
    {"unsupported_media_type", "request body must be JSON"},
    {"unavailable", "service unavailable"},
    {"rate_limited", "too many requests"},
    {"network_error", "remote index did not answer"},
    {"conflict", "already exists"},
    {"read_only", "this server is a read-only replica"},
};

static int slot(int rc)
{
    int i = -rc;
    return (i >= 0 && i < KB_RC_COUNT) ? i : 1;
}

const char *kb_strerror(int rc) { return table[slot(rc)].msg; }

const char *kb_rc_name(int rc) { return table[slot(rc)].name; }

void kb_free(void *p) { free(p); }

int kb_fail(char **errmsg, int rc, const char *fmt, ...)
{
    if (errmsg) {
        va_list ap;
        char *m = NULL;
        va_start(ap, fmt);
        int n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n >= 0 && (m = malloc((size_t)n + 1)) != NULL) {
            va_start(ap, fmt);
            vsnprintf(m, (size_t)n + 1, fmt, ap);
            va_end(ap);
        }
        free(*errmsg);
        *errmsg = m;
    }
    return rc;
}

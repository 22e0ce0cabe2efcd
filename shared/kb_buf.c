/* kb_buf.c - growable byte buffer with a hard cap */
#include "kb_buf.h"
#include "kb_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(kb_buf *b, size_t need)
{
    if (need > b->cap || need < b->len)
        return KB_ETOOBIG;
    if (need + 1 <= b->alloc)
        return KB_OK;
    size_t n = b->alloc ? b->alloc : 64;
    while (n < need + 1)
        n = n > ((size_t)-1) / 2 ? need + 1 : n * 2;
    char *p = realloc(b->data, n);
    if (!p)
        return KB_ENOMEM;
    b->data = p;
    b->alloc = n;
    return KB_OK;
}

int kb_buf_add(kb_buf *b, const void *p, size_t n)
{
    int rc = grow(b, b->len + n);
    if (rc != KB_OK)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return KB_OK;
}

int kb_buf_adds(kb_buf *b, const char *s)
{
    return kb_buf_add(b, s, strlen(s));
}

int kb_buf_addc(kb_buf *b, char c) { return kb_buf_add(b, &c, 1); }

int kb_buf_printf(kb_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return KB_ERROR;
    int rc = grow(b, b->len + (size_t)n);
    if (rc != KB_OK)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return KB_OK;
}

int kb_buf_add_html(kb_buf *b, const char *s, size_t n)
{
    size_t run = 0;
    int rc = KB_OK;
    for (size_t i = 0; i < n && rc == KB_OK; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: continue;
        }
        rc = kb_buf_add(b, s + run, i - run);
        if (rc == KB_OK)
            rc = kb_buf_adds(b, rep);
        run = i + 1;
    }
    if (rc == KB_OK)
        rc = kb_buf_add(b, s + run, n - run);
    return rc;
}

void kb_buf_reset(kb_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

char *kb_buf_steal(kb_buf *b)
{
    char *p = b->data;
    if (!p)
        p = calloc(1, 1);
    b->data = NULL;
    b->len = b->alloc = 0;
    return p;
}

void kb_buf_free(kb_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->alloc = 0;
}

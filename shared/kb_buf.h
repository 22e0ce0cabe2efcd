/* kb_buf.h - growable byte buffer with a hard cap */
#ifndef KB_BUF_H
#define KB_BUF_H

#include <stddef.h>

/* A NUL-terminated growable buffer. Every buffer has a cap: appending past
 * it fails with KB_ETOOBIG and leaves the content as it was, so a hostile
 * input becomes an error instead of an out-of-memory. */
typedef struct kb_buf {
    char *data; /* NUL-terminated once anything was appended; may be NULL */
    size_t len;
    size_t alloc;
    size_t cap; /* maximum len */
} kb_buf;

#define KB_BUF_INIT(capbytes)                                                  \
    {                                                                          \
        NULL, 0, 0, (capbytes)                                                 \
    }

/* Append n bytes. Returns KB_OK, KB_ETOOBIG or KB_ENOMEM. */
int kb_buf_add(kb_buf *b, const void *p, size_t n);
int kb_buf_adds(kb_buf *b, const char *s);
int kb_buf_addc(kb_buf *b, char c);
int kb_buf_printf(kb_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append s with &, <, >, " and ' escaped for HTML. */
int kb_buf_add_html(kb_buf *b, const char *s, size_t n);

/* Forget the content but keep the allocation. */
void kb_buf_reset(kb_buf *b);

/* Hand the content to the caller (new, free with kb_free; never NULL on
 * KB_OK) and leave the buffer empty. */
char *kb_buf_steal(kb_buf *b);

/* Free the content. The struct itself is the caller's. */
void kb_buf_free(kb_buf *b);

#endif

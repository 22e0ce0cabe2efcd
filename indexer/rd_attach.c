/* rd_attach.c - what the PDF and Office readers share: the kind check and
 * one section at a time, with its language */
#include "kb_buf.h"
#include "kb_error.h"
#include "kb_text.h"
#include "readers.h"

#include <string.h>
#include <strings.h>

int kb_attach_kind(const char *path, const kb_read_opts *o, const kb_sink *sink,
                   int *faq)
{
    const char *kind = o->kind ? o->kind : kb_read_kind_from_path(path);
    *faq = kind && strcasecmp(kind, "faq") == 0;
    if (kind && strcasecmp(kind, "ticket") == 0) {
        sink->problem(sink->ctx, 0,
                      "tickets are read from JSON Lines or CSV,"
                      " not from attachments");
        return KB_EDOC;
    }
    return KB_OK;
}

/* Count Han, kana and Hangul characters and Latin letters. */
static void count_letters(const char *s, size_t len, size_t *cjk, size_t *latin)
{
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        int32_t cp = c;
        size_t n = 1;
        if (c >= 0xF0 && i + 3 < len) {
            cp = ((c & 0x07) << 18) | ((s[i + 1] & 0x3F) << 12) |
                 ((s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
            n = 4;
        } else if (c >= 0xE0 && i + 2 < len) {
            cp = ((c & 0x0F) << 12) | ((s[i + 1] & 0x3F) << 6) |
                 (s[i + 2] & 0x3F);
            n = 3;
        } else if (c >= 0xC0 && i + 1 < len) {
            n = 2;
        }
        if (kb_is_cjk(cp))
            (*cjk)++;
        else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            (*latin)++;
        i += n;
    }
}

/* s with every invalid UTF-8 byte replaced by U+FFFD: what a tool or a
 * document says is not trusted to be valid. */
static void clean_utf8(kb_buf *out, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        long bad = kb_utf8_invalid_at(s + i, len - i);
        if (bad < 0) {
            kb_buf_add(out, s + i, len - i);
            break;
        }
        kb_buf_add(out, s + i, (size_t)bad);
        kb_buf_adds(out, "\xEF\xBF\xBD");
        i += (size_t)bad + 1;
    }
}

int kb_attach_section(kb_sections *s, json_t *meta, const kb_read_opts *o,
                      int faq, int level, const char *title, const char *body,
                      size_t len, int pos)
{
    /* The section is emitted at the next heading or at finish, and takes
     * its language from meta then: set it after this heading closed the
     * section before. A heading that does not split (as in
     * kb_sections_heading) leaves the language of its section alone. */
    int rc = KB_OK, splits = !title || (faq ? level == 2 : level <= 3);
    kb_buf t = KB_BUF_INIT(64u << 10), b = KB_BUF_INIT(16u << 20);
    if (title) {
        clean_utf8(&t, title, strlen(title));
        rc = kb_sections_heading(s, level, t.data ? t.data : "", NULL, pos);
    }
    clean_utf8(&b, body, len);
    if (!o->lang && splits) {
        /* A CJK character carries about a word's meaning; a Latin word
         * about five letters. */
        size_t cjk = 0, latin = 0;
        count_letters(t.data, t.len, &cjk, &latin);
        count_letters(b.data, b.len < 65536 ? b.len : 65536, &cjk, &latin);
        if (cjk * 5 > latin)
            json_object_set_new(meta, "lang", json_string("zh"));
        else
            json_object_del(meta, "lang");
    }
    if (b.len)
        kb_sections_text(s, b.data, b.len);
    kb_buf_free(&t);
    kb_buf_free(&b);
    return rc;
}

/* rd_markdown.c - Markdown manuals and FAQs (front matter + CommonMark) and
 * the section splitter that the HTML reader shares */
#include "kb_buf.h"
#include "kb_doc.h"
#include "kb_error.h"
#include "readers.h"

#include <cmark.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_LEVEL 6

struct kb_sections {
    const char *path;
    const kb_read_opts *o;
    const kb_sink *sink;
    json_t *meta;
    json_t *anchors; /* set of anchors used so far */
    int faq;
    char doc_id[KB_SLUG_MAX];
    char *crumbs[MAX_LEVEL + 1];
    char *title;
    char anchor[KB_SLUG_MAX + 16];
    int explicit_id; /* a FAQ's {#id}: the anchor is the document's id */
    int level, line, open;
    kb_buf body;
    int rc;
};

kb_sections *kb_sections_new(const char *path, const kb_read_opts *o,
                             const kb_sink *sink, json_t *meta, int faq)
{
    kb_sections *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->path = path;
    s->o = o;
    s->sink = sink;
    s->meta = meta;
    s->faq = faq;
    s->anchors = json_object();
    s->body = (kb_buf)KB_BUF_INIT(16u << 20);
    const char *id = json_string_value(json_object_get(meta, "id"));
    if (id && *id)
        snprintf(s->doc_id, sizeof s->doc_id, "%s", id);
    else
        kb_file_id(s->doc_id, sizeof s->doc_id, path);
    return s;
}

static int trimmed_empty(const kb_buf *b)
{
    for (size_t i = 0; i < b->len; i++)
        if (b->data[i] != ' ' && b->data[i] != '\n' && b->data[i] != '\t')
            return 0;
    return 1;
}

static void emit_section(kb_sections *s)
{
    if (!s->open || s->rc)
        return;
    s->open = 0;
    if (trimmed_empty(&s->body) && !s->faq)
        return; /* a heading that only introduces subsections */
    json_t *rec = json_object();
    static const char *const inherit[] = {"product",    "category", "tags",
                                          "visibility", "status",   "lang",
                                          "review_by",  NULL};
    for (int i = 0; inherit[i]; i++) {
        json_t *v = json_object_get(s->meta, inherit[i]);
        if (v)
            json_object_set(rec, inherit[i], v);
    }
    if (s->o->lang && !json_object_get(rec, "lang"))
        json_object_set_new(rec, "lang", json_string(s->o->lang));
    char id[2 * KB_SLUG_MAX + 32];
    if (s->explicit_id)
        snprintf(id, sizeof id, "%s", s->anchor);
    else
        snprintf(id, sizeof id, "%s:%s", s->doc_id, s->anchor);
    json_object_set_new(rec, "id", json_string(id));
    json_object_set_new(rec, "title", json_string(s->title ? s->title : ""));
    json_object_set_new(rec, "body",
                        json_string(s->body.data ? s->body.data : ""));
    if (!s->faq) {
        kb_buf crumb = KB_BUF_INIT(4096);
        for (int l = 1; l <= s->level && l <= MAX_LEVEL; l++)
            if (s->crumbs[l]) {
                if (crumb.len)
                    kb_buf_adds(&crumb, " \xE2\x80\xBA ");
                kb_buf_adds(&crumb, s->crumbs[l]);
            }
        json_object_set_new(rec, "section",
                            json_string(crumb.data ? crumb.data : ""));
        kb_buf_free(&crumb);
        json_object_set_new(rec, "anchor", json_string(s->anchor));
        json_object_set_new(rec, "parent", json_string(s->doc_id));
    }
    const char *kind = s->faq ? "faq" : "manual";
    s->rc = s->sink->record(s->sink->ctx, rec, kind, s->line);
    json_decref(rec);
}

int kb_sections_heading(kb_sections *s, int level, const char *text,
                        const char *anchor, int line)
{
    int splits = s->faq ? level == 2 : level <= 3;
    if (level < 1)
        level = 1;
    if (level > MAX_LEVEL)
        level = MAX_LEVEL;
    if (!splits) {
        if (s->faq && level == 1 && !json_object_get(s->meta, "title"))
            return KB_OK; /* an FAQ file's own title */
        kb_buf_adds(&s->body, text);
        kb_buf_adds(&s->body, "\n\n");
        return KB_OK;
    }
    emit_section(s);
    free(s->crumbs[level]);
    s->crumbs[level] = strdup(text);
    for (int l = level + 1; l <= MAX_LEVEL; l++) {
        free(s->crumbs[l]);
        s->crumbs[l] = NULL;
    }
    free(s->title);
    s->title = strdup(text);
    s->level = level;
    s->line = line;
    kb_buf_reset(&s->body);
    /* An anchor given by the author keeps its case and the characters an
     * id may hold (others become '-'); for FAQs it is the whole id. One
     * made here is a slug of the heading. Either is made unique within the
     * file, and short enough that "manual-id:anchor" stays a valid id. */
    char base[KB_SLUG_MAX];
    size_t room = KB_ID_MAX - strlen(s->doc_id) - 1 - 8;
    if (room > sizeof base - 1)
        room = sizeof base - 1;
    s->explicit_id = s->faq && anchor && *anchor;
    if (anchor && *anchor) {
        size_t w = 0;
        for (const char *a = anchor; *a && w < room; a++) {
            char c = *a;
            int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                     (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                     c == '-' || (c == ':' && s->explicit_id);
            base[w++] = ok ? c : '-';
        }
        base[w] = '\0';
    } else {
        kb_slug(base, room + 1 < sizeof base ? room + 1 : sizeof base, text);
    }
    if (!*base || base[0] == '.')
        snprintf(base, sizeof base, "s%d", line);
    /* Each anchor remembers the next suffix to try, so that thousands of
     * equal headings stay linear. */
    snprintf(s->anchor, sizeof s->anchor, "%s", base);
    json_t *next = json_object_get(s->anchors, base);
    if (next) {
        json_int_t n = json_integer_value(next);
        do
            snprintf(s->anchor, sizeof s->anchor, "%.90s-%lld", base,
                     (long long)n++);
        while (json_object_get(s->anchors, s->anchor));
        json_integer_set(next, n);
    }
    json_object_set_new(s->anchors, s->anchor, json_integer(2));
    s->open = 1;
    return KB_OK;
}

void kb_sections_text(kb_sections *s, const char *text, size_t len)
{
    if (!s->open && !s->faq && len) {
        /* Text before any heading: an untitled first section. */
        const char *t = json_string_value(json_object_get(s->meta, "title"));
        kb_sections_heading(s, 1, t && *t ? t : s->doc_id, "intro", 1);
    }
    if (s->open && kb_buf_add(&s->body, text, len) == KB_ETOOBIG && !s->rc)
        s->sink->problem(s->sink->ctx, s->line, "section over 16 MiB");
}

int kb_sections_finish(kb_sections *s)
{
    if (!s)
        return KB_ENOMEM;
    emit_section(s);
    int rc = s->rc;
    for (int l = 0; l <= MAX_LEVEL; l++)
        free(s->crumbs[l]);
    free(s->title);
    kb_buf_free(&s->body);
    json_decref(s->anchors);
    free(s);
    return rc;
}

/* --- front matter: a --- block of "key: value" lines --- */

static size_t front_matter(const char *buf, size_t len, json_t *meta,
                           int *lines, const kb_sink *sink)
{
    *lines = 0;
    if (len < 4 || strncmp(buf, "---", 3) != 0 ||
        (buf[3] != '\n' && buf[3] != '\r'))
        return 0;
    size_t i = buf[3] == '\r' ? 5 : 4;
    int line = 1;
    while (i < len) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - buf) : len;
        size_t e = end;
        line++;
        if (e > i && buf[e - 1] == '\r')
            e--;
        if (e - i == 3 && strncmp(buf + i, "---", 3) == 0) {
            *lines = line;
            return end < len ? end + 1 : len;
        }
        const char *colon = memchr(buf + i, ':', e - i);
        if (colon) {
            char key[64];
            size_t kl = (size_t)(colon - (buf + i));
            while (kl && buf[i + kl - 1] == ' ')
                kl--;
            snprintf(key, sizeof key, "%.*s", (int)kl, buf + i);
            const char *v = colon + 1;
            while (v < buf + e && *v == ' ')
                v++;
            size_t vl = (size_t)(buf + e - v);
            while (vl && v[vl - 1] == ' ')
                vl--;
            if (vl >= 2 && ((v[0] == '"' && v[vl - 1] == '"') ||
                            (v[0] == '\'' && v[vl - 1] == '\''))) {
                v++;
                vl -= 2;
            }
            if (vl >= 2 && v[0] == '[' && v[vl - 1] == ']') {
                v++;
                vl -= 2;
            }
            json_t *sv = json_stringn(v, vl);
            if (*key && sv)
                json_object_set_new(meta, key, sv);
            else
                json_decref(sv);
        } else if (e > i) {
            sink->problem(sink->ctx, line,
                          "front matter line without "
                          "\"key: value\"");
        }
        i = end + 1;
    }
    sink->problem(sink->ctx, 1, "front matter is not closed by ---");
    *lines = 0;
    return 0;
}

/* --- CommonMark blocks to plain text --- */

static void heading_text(cmark_node *h, kb_buf *out)
{
    cmark_iter *it = cmark_iter_new(h);
    cmark_event_type ev;
    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        cmark_node *n = cmark_iter_get_node(it);
        if (ev != CMARK_EVENT_ENTER)
            continue;
        cmark_node_type t = cmark_node_get_type(n);
        if (t == CMARK_NODE_TEXT || t == CMARK_NODE_CODE)
            kb_buf_adds(out, cmark_node_get_literal(n));
        else if (t == CMARK_NODE_SOFTBREAK || t == CMARK_NODE_LINEBREAK)
            kb_buf_addc(out, ' ');
    }
    cmark_iter_free(it);
}

static void block_text(cmark_node *b, kb_buf *out)
{
    cmark_iter *it = cmark_iter_new(b);
    cmark_event_type ev;
    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
        cmark_node *n = cmark_iter_get_node(it);
        cmark_node_type t = cmark_node_get_type(n);
        if (ev == CMARK_EVENT_ENTER) {
            switch (t) {
            case CMARK_NODE_TEXT:
            case CMARK_NODE_CODE:
                kb_buf_adds(out, cmark_node_get_literal(n));
                break;
            case CMARK_NODE_CODE_BLOCK:
                kb_buf_adds(out, cmark_node_get_literal(n));
                kb_buf_addc(out, '\n');
                break;
            case CMARK_NODE_SOFTBREAK: kb_buf_addc(out, ' '); break;
            case CMARK_NODE_LINEBREAK: kb_buf_addc(out, '\n'); break;
            case CMARK_NODE_ITEM: {
                cmark_node *list = cmark_node_parent(n);
                if (cmark_node_get_list_type(list) == CMARK_ORDERED_LIST) {
                    int k = cmark_node_get_list_start(list);
                    for (cmark_node *p = cmark_node_previous(n); p;
                         p = cmark_node_previous(p))
                        k++;
                    kb_buf_printf(out, "%d. ", k);
                } else {
                    kb_buf_adds(out, "- ");
                }
                break;
            }
            case CMARK_NODE_HEADING:
                /* level 4+ headings stay inside the section as text */
                break;
            default: break;
            }
        } else if (ev == CMARK_EVENT_EXIT) {
            if (t == CMARK_NODE_PARAGRAPH || t == CMARK_NODE_HEADING)
                kb_buf_addc(out, '\n');
        }
    }
    cmark_iter_free(it);
    kb_buf_addc(out, '\n');
}

/* Split "Title {#anchor}" into title and anchor (in place). */
static const char *take_anchor(char *text)
{
    size_t n = strlen(text);
    while (n && text[n - 1] == ' ')
        text[--n] = '\0';
    if (n < 4 || text[n - 1] != '}')
        return NULL;
    char *open = strstr(text, "{#");
    if (!open)
        return NULL;
    char *a = open + 2;
    text[n - 1] = '\0';
    for (char *p = a; *p; p++)
        if (*p == ' ' || *p == '}')
            return NULL;
    *open = '\0';
    for (char *e = open; e > text && e[-1] == ' ';)
        *--e = '\0';
    return a;
}

int kb_read_markdown(const char *path, const char *buf, size_t len,
                     const kb_read_opts *o, const kb_sink *sink)
{
    json_t *meta = json_object();
    int fm_lines = 0;
    size_t off = front_matter(buf, len, meta, &fm_lines, sink);
    const char *kind = o->kind;
    if (!kind)
        kind = json_string_value(json_object_get(meta, "kind"));
    if (!kind)
        kind = kb_read_kind_from_path(path);
    int faq = kind && strcasecmp(kind, "faq") == 0;
    if (kind && strcasecmp(kind, "ticket") == 0) {
        sink->problem(sink->ctx, 1,
                      "tickets are read from JSON Lines or CSV,"
                      " not Markdown");
        json_decref(meta);
        return KB_EDOC;
    }
    cmark_node *doc =
        cmark_parse_document(buf + off, len - off, CMARK_OPT_DEFAULT);
    kb_sections *s = kb_sections_new(path, o, sink, meta, faq);
    kb_buf text = KB_BUF_INIT(16u << 20);
    int rc = KB_OK;
    if (!doc || !s) {
        rc = KB_ENOMEM;
        goto done;
    }
    for (cmark_node *b = cmark_node_first_child(doc); b;
         b = cmark_node_next(b)) {
        int line = cmark_node_get_start_line(b) + fm_lines;
        if (cmark_node_get_type(b) == CMARK_NODE_HEADING &&
            cmark_node_get_heading_level(b) <= 3) {
            kb_buf_reset(&text);
            heading_text(b, &text);
            char *t = text.data ? text.data : "";
            const char *anchor = take_anchor(t);
            if (cmark_node_get_heading_level(b) == 1 &&
                !json_object_get(meta, "title"))
                json_object_set_new(meta, "title", json_string(t));
            kb_sections_heading(s, cmark_node_get_heading_level(b), t, anchor,
                                line);
        } else if (cmark_node_get_type(b) != CMARK_NODE_HTML_BLOCK &&
                   cmark_node_get_type(b) != CMARK_NODE_THEMATIC_BREAK) {
            kb_buf_reset(&text);
            block_text(b, &text);
            kb_sections_text(s, text.data ? text.data : "", text.len);
        }
    }
done:
    if (s) {
        int r = kb_sections_finish(s);
        if (rc == KB_OK)
            rc = r;
    }
    kb_buf_free(&text);
    if (doc)
        cmark_node_free(doc);
    json_decref(meta);
    return rc;
}

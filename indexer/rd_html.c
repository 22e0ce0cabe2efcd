/* rd_html.c - HTML manuals through libxml2's forgiving HTML parser */
#include "kb_buf.h"
#include "kb_error.h"
#include "readers.h"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <string.h>
#include <strings.h>

typedef struct {
    kb_sections *s;
    kb_buf text; /* pending body text */
    kb_buf head; /* heading text being collected */
} walker;

static int is_name(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE &&
           strcasecmp((const char *)n->name, name) == 0;
}

static int is_block(const xmlNode *n)
{
    static const char *const blocks[] = {
        "p",   "div",        "li",      "ul",      "ol", "tr", "table",
        "pre", "blockquote", "section", "article", "h4", "h5", "h6",
        "dt",  "dd",         "br",      "hr",      "td", "th", NULL};
    for (int i = 0; blocks[i]; i++)
        if (is_name(n, blocks[i]))
            return 1;
    return 0;
}

static void collect(const xmlNode *n, kb_buf *out)
{
    for (; n; n = n->next) {
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            /* Collapse runs of white space as a browser would. */
            const char *t = (const char *)n->content;
            for (; t && *t; t++) {
                int ws = *t == ' ' || *t == '\n' || *t == '\t' || *t == '\r';
                if (ws) {
                    if (out->len && out->data[out->len - 1] != ' ' &&
                        out->data[out->len - 1] != '\n')
                        kb_buf_addc(out, ' ');
                } else {
                    kb_buf_addc(out, *t);
                }
            }
        } else if (n->type == XML_ELEMENT_NODE) {
            if (is_name(n, "script") || is_name(n, "style") ||
                is_name(n, "noscript") || is_name(n, "template"))
                continue;
            if (is_name(n, "li"))
                kb_buf_adds(out, "- ");
            collect(n->children, out);
            if (is_block(n))
                kb_buf_addc(out, '\n');
        }
    }
}

static void flush(walker *w)
{
    if (w->text.len)
        kb_sections_text(w->s, w->text.data, w->text.len);
    kb_buf_reset(&w->text);
}

static void walk(walker *w, xmlNode *n)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) {
            if (n->type == XML_TEXT_NODE) {
                xmlNode *save = n->next;
                n->next = NULL;
                collect(n, &w->text);
                n->next = save;
            }
            continue;
        }
        if (is_name(n, "head") || is_name(n, "script") || is_name(n, "style") ||
            is_name(n, "noscript") || is_name(n, "nav") ||
            is_name(n, "template"))
            continue;
        int level = 0;
        if (is_name(n, "h1"))
            level = 1;
        else if (is_name(n, "h2"))
            level = 2;
        else if (is_name(n, "h3"))
            level = 3;
        if (level) {
            flush(w);
            kb_buf_reset(&w->head);
            collect(n->children, &w->head);
            xmlChar *id = xmlGetProp(n, (const xmlChar *)"id");
            kb_sections_heading(w->s, level, w->head.data ? w->head.data : "",
                                (const char *)id, (int)xmlGetLineNo(n));
            xmlFree(id);
            continue;
        }
        if (is_block(n) && !is_name(n, "div") && !is_name(n, "section") &&
            !is_name(n, "article")) {
            xmlNode *save = n->next;
            n->next = NULL;
            collect(n, &w->text);
            n->next = save;
            continue;
        }
        walk(w, n->children);
    }
}

static void read_meta(xmlNode *n, json_t *meta)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (is_name(n, "html")) {
            xmlChar *lang = xmlGetProp(n, (const xmlChar *)"lang");
            if (lang && *lang)
                json_object_set_new(meta, "lang",
                                    json_stringn((const char *)lang, 2));
            xmlFree(lang);
        } else if (is_name(n, "title") && !json_object_get(meta, "title")) {
            kb_buf t = KB_BUF_INIT(4096);
            collect(n->children, &t);
            if (t.len)
                json_object_set_new(meta, "title", json_string(t.data));
            kb_buf_free(&t);
        } else if (is_name(n, "meta")) {
            xmlChar *name = xmlGetProp(n, (const xmlChar *)"name");
            xmlChar *content = xmlGetProp(n, (const xmlChar *)"content");
            if (name && content &&
                strncasecmp((const char *)name, "deskdex-", 8) == 0) {
                json_t *v = json_string((const char *)content);
                if (v)
                    json_object_set_new(meta, (const char *)name + 8, v);
            }
            xmlFree(name);
            xmlFree(content);
        }
        if (is_name(n, "body"))
            continue;
        read_meta(n->children, meta);
    }
}

int kb_read_html(const char *path, const char *buf, size_t len,
                 const kb_read_opts *o, const kb_sink *sink)
{
    if (len > 64u << 20) {
        sink->problem(sink->ctx, 0, "HTML file over 64 MiB");
        return KB_ETOOBIG;
    }
    htmlDocPtr doc =
        htmlReadMemory(buf, (int)len, path, "UTF-8",
                       HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                           HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
    if (!doc) {
        sink->problem(sink->ctx, 1, "not parseable as HTML");
        return KB_EDOC;
    }
    json_t *meta = json_object();
    xmlNode *root = xmlDocGetRootElement(doc);
    read_meta(root, meta);
    const char *kind = o->kind ? o->kind : kb_read_kind_from_path(path);
    if (json_object_get(meta, "kind"))
        kind = json_string_value(json_object_get(meta, "kind"));
    int faq = kind && strcasecmp(kind, "faq") == 0;
    walker w = {kb_sections_new(path, o, sink, meta, faq),
                KB_BUF_INIT(16u << 20), KB_BUF_INIT(4096)};
    int rc = KB_ENOMEM;
    if (w.s) {
        for (xmlNode *n = root; n; n = n->next)
            if (is_name(n, "html"))
                walk(&w, n->children);
        flush(&w);
        rc = kb_sections_finish(w.s);
    }
    kb_buf_free(&w.text);
    kb_buf_free(&w.head);
    json_decref(meta);
    xmlFreeDoc(doc);
    return rc;
}

/* rd_office.c - DOCX and ODT manuals: their XML read out of the ZIP with
 * libzip, split at heading styles */
#include "kb_buf.h"
#include "kb_error.h"
#include "kb_text.h"
#include "readers.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zip.h>

#define PART_MAX (64u << 20) /* one part, unpacked */
#define META_MAX (8u << 20)  /* styles, metadata, manifest */

/* --- the container --- */

/* An OLE compound file: a legacy .doc, or an Office file saved with a
 * password (its ZIP then sits encrypted in an "EncryptedPackage"). */
static int ole_problem(const char *buf, size_t len, const char *what,
                       const kb_sink *sink)
{
    static const unsigned char ole[8] = {0xD0, 0xCF, 0x11, 0xE0,
                                         0xA1, 0xB1, 0x1A, 0xE1};
    if (len < 8 || memcmp(buf, ole, 8) != 0)
        return 0;
    /* The stream name is stored in UTF-16LE. */
    static const char name[] = "E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e";
    int enc = 0;
    for (size_t i = 0; !enc && i + sizeof name - 1 <= len; i++)
        enc = memcmp(buf + i, name, sizeof name - 1) == 0;
    if (enc)
        sink->problem(sink->ctx, 0, "encrypted %s (needs a password)", what);
    else
        sink->problem(sink->ctx, 0,
                      "not a %s: an OLE file (a legacy Word "
                      ".doc?); save it as .%s",
                      what, strcmp(what, "DOCX") == 0 ? "docx" : "odt");
    return 1;
}

static zip_t *open_zip(const char *buf, size_t len, const char *what,
                       const kb_sink *sink)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(buf, len, 0, &ze);
    zip_t *za = src ? zip_open_from_source(src, ZIP_RDONLY, &ze) : NULL;
    if (!za) {
        sink->problem(sink->ctx, 0, "not a readable %s: %s", what,
                      zip_error_code_zip(&ze) == ZIP_ER_NOZIP
                          ? "not a ZIP file"
                          : zip_error_strerror(&ze));
        zip_source_free(src);
    }
    zip_error_fini(&ze);
    return za;
}

/* Read one part, at most max bytes unpacked, into out (new, NUL-ended).
 * Returns KB_OK, KB_ENOTFOUND (no such part; not reported), or KB_EDOC /
 * KB_ETOOBIG after reporting. */
static int read_part(zip_t *za, const char *name, size_t max, kb_buf *out,
                     const char *what, const kb_sink *sink)
{
    zip_int64_t idx = zip_name_locate(za, name, 0);
    if (idx < 0)
        return KB_ENOTFOUND;
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(za, (zip_uint64_t)idx, 0, &st) != 0) {
        sink->problem(sink->ctx, 0, "not a readable %s: %s: %s", what, name,
                      zip_strerror(za));
        return KB_EDOC;
    }
    if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) &&
        st.encryption_method != ZIP_EM_NONE) {
        sink->problem(sink->ctx, 0, "encrypted %s (needs a password)", what);
        return KB_EDOC;
    }
    if ((st.valid & ZIP_STAT_SIZE) && st.size > max) {
        sink->problem(sink->ctx, 0,
                      "%s would unpack to %llu MiB, over the "
                      "%zu MiB limit (a ZIP bomb?); not read",
                      name, (unsigned long long)(st.size >> 20), max >> 20);
        return KB_ETOOBIG;
    }
    zip_file_t *zf = zip_fopen_index(za, (zip_uint64_t)idx, 0);
    if (!zf) {
        sink->problem(sink->ctx, 0, "not a readable %s: %s: %s", what, name,
                      zip_strerror(za));
        return KB_EDOC;
    }
    /* The stated size may lie: count what comes out. */
    *out = (kb_buf)KB_BUF_INIT(max);
    char chunk[65536];
    int rc = KB_OK;
    for (;;) {
        zip_int64_t n = zip_fread(zf, chunk, sizeof chunk);
        if (n < 0) {
            sink->problem(sink->ctx, 0, "not a readable %s: %s: %s", what, name,
                          zip_file_strerror(zf));
            rc = KB_EDOC;
            break;
        }
        if (n == 0)
            break;
        rc = kb_buf_add(out, chunk, (size_t)n);
        if (rc == KB_ETOOBIG) {
            sink->problem(sink->ctx, 0,
                          "%s unpacks to over the %zu MiB "
                          "limit (a ZIP bomb?); not read",
                          name, max >> 20);
            break;
        }
        if (rc != KB_OK)
            break;
    }
    zip_fclose(zf);
    if (rc == KB_OK && !out->data)
        rc = kb_buf_add(out, "", 0);
    if (rc != KB_OK)
        kb_buf_free(out);
    return rc;
}

static void no_problem(void *ctx, int line, const char *fmt, ...)
{
    (void)ctx;
    (void)line;
    (void)fmt;
}

/* A part as an XML tree, or NULL. A required part that is missing or bad
 * is reported (*rc KB_EDOC or KB_ETOOBIG); an optional one (styles,
 * metadata) is left out quietly, with *rc KB_OK. */
static xmlDocPtr read_xml(zip_t *za, const char *name, size_t max, int required,
                          const char *what, const kb_sink *sink, int *rc)
{
    kb_buf b;
    kb_sink quiet = {NULL, no_problem, NULL};
    *rc = read_part(za, name, max, &b, what, required ? sink : &quiet);
    if (!required && *rc != KB_OK) {
        *rc = KB_OK;
        return NULL;
    }
    if (*rc == KB_ENOTFOUND) {
        if (required) {
            sink->problem(sink->ctx, 0,
                          "not a readable %s: no %s in the "
                          "ZIP",
                          what, name);
            *rc = KB_EDOC;
        }
        return NULL;
    }
    if (*rc != KB_OK)
        return NULL;
    /* No entity expansion and no network: the XML is not trusted. */
    xmlDocPtr doc = xmlReadMemory(b.data, (int)b.len, name, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR |
                                      XML_PARSE_NOWARNING);
    kb_buf_free(&b);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        char why[200];
        snprintf(why, sizeof why, "%s",
                 e && e->message ? e->message : "malformed XML");
        why[strcspn(why, "\n")] = '\0';
        if (required)
            sink->problem(sink->ctx, 0, "not a readable %s: %s: %s", what, name,
                          why);
        *rc = required ? KB_EDOC : KB_OK;
    }
    return doc;
}

/* --- XML helpers --- */

static int utf8_ok(const char *s)
{
    return kb_utf8_invalid_at(s, strlen(s)) < 0;
}

static int is_el(const xmlNode *n, const char *name)
{
    return n && n->type == XML_ELEMENT_NODE &&
           strcmp((const char *)n->name, name) == 0;
}

static const xmlNode *child(const xmlNode *n, const char *name)
{
    for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
        if (is_el(c, name))
            return c;
    return NULL;
}

/* An attribute by local name, in any namespace. New (xmlFree). */
static char *attr(const xmlNode *n, const char *name)
{
    for (xmlAttr *a = n ? n->properties : NULL; a; a = a->next)
        if (strcmp((const char *)a->name, name) == 0)
            return (char *)xmlNodeGetContent((xmlNode *)a);
    return NULL;
}

/* dc:title, the keywords (as tags) and custom properties named
 * "deskdex-FIELD" (as FIELD: product, category, visibility...) into meta,
 * as <meta name="deskdex-..."> does in HTML. */
static void read_doc_meta(const xmlNode *n, json_t *meta, kb_buf *kw)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (is_el(n, "user-defined") || is_el(n, "property")) {
            char *name = attr(n, "name");
            xmlChar *v = xmlNodeGetContent(n);
            if (name && strncasecmp(name, "deskdex-", 8) == 0 && name[8] && v &&
                utf8_ok((const char *)v) && utf8_ok(name))
                json_object_set_new(meta, name + 8,
                                    json_string((const char *)v));
            xmlFree(name);
            xmlFree(v);
        } else if (is_el(n, "title") && !json_object_get(meta, "title")) {
            xmlChar *t = xmlNodeGetContent(n);
            if (t && *t && utf8_ok((const char *)t))
                json_object_set_new(meta, "title",
                                    json_string((const char *)t));
            xmlFree(t);
        } else if (is_el(n, "keywords") || is_el(n, "keyword")) {
            xmlChar *t = xmlNodeGetContent(n);
            if (t && *t) {
                if (kw->len)
                    kb_buf_adds(kw, ", ");
                kb_buf_adds(kw, (const char *)t);
            }
            xmlFree(t);
        } else {
            read_doc_meta(n->children, meta, kw);
        }
    }
}

static void meta_from(zip_t *za, const char *part, json_t *meta,
                      const char *what, const kb_sink *sink)
{
    int rc;
    xmlDocPtr d = read_xml(za, part, META_MAX, 0, what, sink, &rc);
    if (!d)
        return;
    kb_buf kw = KB_BUF_INIT(64u << 10);
    read_doc_meta(xmlDocGetRootElement(d), meta, &kw);
    if (kw.len && utf8_ok(kw.data))
        json_object_set_new(meta, "tags", json_string(kw.data));
    kb_buf_free(&kw);
    xmlFreeDoc(d);
}

/* --- paragraphs to sections --- */

typedef struct {
    kb_sections *s;
    json_t *meta;
    const kb_read_opts *o;
    int faq;
    int shift; /* 1 when a Title paragraph is level 1 above Heading 1 */
    kb_buf head, text, para;
    int level, pos, npara, sections, rc;
    json_t *styles; /* style name -> heading level (0: the title) */
} walker;

/* The heading before the text collected since: one section. */
static void flush(walker *w)
{
    if (w->rc == KB_OK && (w->head.len || w->text.len)) {
        w->sections++;
        w->rc = kb_attach_section(w->s, w->meta, w->o, w->faq, w->level,
                                  w->head.len ? w->head.data : NULL,
                                  w->text.data ? w->text.data : "", w->text.len,
                                  w->pos);
    }
    kb_buf_reset(&w->head);
    kb_buf_reset(&w->text);
}

static void trim(kb_buf *b)
{
    size_t s = 0;
    while (s < b->len &&
           (b->data[s] == ' ' || b->data[s] == '\t' || b->data[s] == '\n'))
        s++;
    while (b->len > s &&
           (b->data[b->len - 1] == ' ' || b->data[b->len - 1] == '\t' ||
            b->data[b->len - 1] == '\n'))
        b->len--;
    if (b->data) {
        memmove(b->data, b->data + s, b->len - s);
        b->len -= s;
        b->data[b->len] = '\0';
    }
}

/* The paragraph in w->para ends: a heading (level > 0; level 0 is the
 * title) or body text. */
static void end_para(walker *w, int level)
{
    trim(&w->para);
    w->npara++;
    if (!w->para.len)
        return;
    if (level >= 0) {
        flush(w);
        kb_buf_add(&w->head, w->para.data, w->para.len);
        w->level = level + w->shift;
        w->pos = w->npara;
        if (w->level == 1 && !json_object_get(w->meta, "title") &&
            utf8_ok(w->para.data))
            json_object_set_new(w->meta, "title", json_string(w->para.data));
    } else {
        if (w->text.len)
            kb_buf_addc(&w->text, '\n');
        if (kb_buf_add(&w->text, w->para.data, w->para.len) == KB_ETOOBIG &&
            w->rc == KB_OK) {
            w->rc = KB_ETOOBIG;
        }
    }
    kb_buf_reset(&w->para);
}

static int style_level(const walker *w, const char *style)
{
    json_t *v = style ? json_object_get(w->styles, style) : NULL;
    return v ? (int)json_integer_value(v) : -1;
}

/* --- DOCX: word/document.xml --- */

/* "heading 3" / "Heading3" / "Title" -> 3 / 3 / 0; other names -> -1. */
static int docx_name_level(const char *name)
{
    if (!name)
        return -1;
    if (strcasecmp(name, "title") == 0)
        return 0;
    if (strncasecmp(name, "heading", 7) == 0) {
        const char *p = name + 7;
        if (*p == ' ')
            p++;
        if (*p >= '1' && *p <= '9' && !p[1])
            return *p - '0';
    }
    return -1;
}

static void docx_styles(xmlDocPtr d, json_t *styles)
{
    const xmlNode *root = xmlDocGetRootElement(d);
    for (const xmlNode *st = root ? root->children : NULL; st; st = st->next) {
        if (!is_el(st, "style"))
            continue;
        char *id = attr(st, "styleId");
        char *name = attr(child(st, "name"), "val");
        char *ol = attr(child(child(st, "pPr"), "outlineLvl"), "val");
        int level = docx_name_level(name);
        if (level < 0 && ol && ol[0] >= '0' && ol[0] <= '8' && !ol[1])
            level = ol[0] - '0' + 1;
        if (id && level >= 0)
            json_object_set_new(styles, id, json_integer(level));
        xmlFree(id);
        xmlFree(name);
        xmlFree(ol);
    }
}

static void docx_runs(walker *w, const xmlNode *n)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (is_el(n, "t")) {
            xmlChar *t = xmlNodeGetContent(n);
            if (t)
                kb_buf_adds(&w->para, (const char *)t);
            xmlFree(t);
        } else if (is_el(n, "tab")) {
            kb_buf_addc(&w->para, '\t');
        } else if (is_el(n, "br") || is_el(n, "cr")) {
            kb_buf_addc(&w->para, '\n');
        } else if (is_el(n, "noBreakHyphen")) {
            kb_buf_addc(&w->para, '-');
        } else if (is_el(n, "pPr") || is_el(n, "rPr") || is_el(n, "del") ||
                   is_el(n, "Fallback") || is_el(n, "instrText")) {
            continue; /* properties, deleted text, duplicate drawings */
        } else {
            docx_runs(w, n->children);
        }
    }
}

static int docx_para_level(const walker *w, const xmlNode *p)
{
    const xmlNode *ppr = child(p, "pPr");
    char *style = attr(child(ppr, "pStyle"), "val");
    int level = style_level(w, style);
    if (level < 0)
        level = docx_name_level(style);
    xmlFree(style);
    char *ol = attr(child(ppr, "outlineLvl"), "val");
    if (level < 0 && ol && ol[0] >= '0' && ol[0] <= '8' && !ol[1])
        level = ol[0] - '0' + 1;
    xmlFree(ol);
    return level;
}

static int docx_is_toc(const xmlNode *sdt)
{
    const xmlNode *g =
        child(child(child(sdt, "sdtPr"), "docPartObj"), "docPartGallery");
    char *v = attr(g, "val");
    int toc = v && strstr(v, "Table of Contents");
    xmlFree(v);
    return toc;
}

static void docx_blocks(walker *w, const xmlNode *n, int *has_title)
{
    for (; n && w->rc == KB_OK; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (is_el(n, "p")) {
            int level = docx_para_level(w, n);
            if (has_title) { /* the first pass only looks for a title */
                *has_title |= level == 0;
                continue;
            }
            docx_runs(w, n->children);
            end_para(w, level);
        } else if (is_el(n, "tbl")) {
            for (const xmlNode *tr = n->children; tr; tr = tr->next) {
                if (!is_el(tr, "tr") || has_title)
                    continue;
                /* A row is one line: its cells' text, tab-separated. */
                for (const xmlNode *tc = tr->children; tc; tc = tc->next) {
                    if (!is_el(tc, "tc"))
                        continue;
                    if (w->para.len)
                        kb_buf_addc(&w->para, '\t');
                    for (const xmlNode *p = tc->children; p; p = p->next)
                        if (is_el(p, "p")) {
                            if (w->para.len &&
                                w->para.data[w->para.len - 1] != '\t')
                                kb_buf_addc(&w->para, ' ');
                            docx_runs(w, p->children);
                        }
                }
                end_para(w, -1);
            }
        } else if (is_el(n, "sdt")) {
            if (!docx_is_toc(n))
                docx_blocks(w, child(n, "sdtContent"), has_title);
        } else if (is_el(n, "sectPr")) {
            continue;
        } else {
            docx_blocks(w, n->children, has_title);
        }
    }
}

/* --- ODT: content.xml --- */

/* "Title" -> 0, "Heading_20_2" (the name "Heading 2") -> 2, else -1. */
static int odt_name_level(const char *name)
{
    if (!name)
        return -1;
    if (strcmp(name, "Title") == 0)
        return 0;
    if (strncmp(name, "Heading_20_", 11) == 0 && name[11] >= '1' &&
        name[11] <= '9' && !name[12])
        return name[11] - '0';
    return -1;
}

static void odt_styles(const xmlNode *auto_styles, json_t *styles)
{
    /* Automatic styles derive from named ones: P3 from "Title". A text:p
     * in a heading style is a heading too. */
    for (const xmlNode *st = auto_styles ? auto_styles->children : NULL; st;
         st = st->next) {
        if (!is_el(st, "style"))
            continue;
        char *name = attr(st, "name");
        char *parent = attr(st, "parent-style-name");
        int level = odt_name_level(parent);
        if (name && level >= 0)
            json_object_set_new(styles, name, json_integer(level));
        xmlFree(name);
        xmlFree(parent);
    }
}

static void odt_inline(walker *w, const xmlNode *n)
{
    for (; n; n = n->next) {
        if (n->type == XML_TEXT_NODE) {
            kb_buf_adds(&w->para, (const char *)n->content);
        } else if (n->type != XML_ELEMENT_NODE) {
            continue;
        } else if (is_el(n, "s")) {
            kb_buf_addc(&w->para, ' ');
        } else if (is_el(n, "tab")) {
            kb_buf_addc(&w->para, '\t');
        } else if (is_el(n, "line-break")) {
            kb_buf_addc(&w->para, '\n');
        } else if (is_el(n, "annotation") || is_el(n, "note-citation") ||
                   is_el(n, "tracked-changes")) {
            continue;
        } else {
            odt_inline(w, n->children);
        }
    }
}

static void odt_blocks(walker *w, const xmlNode *n, int *has_title)
{
    for (; n && w->rc == KB_OK; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (is_el(n, "h") || is_el(n, "p")) {
            int level = -1;
            if (is_el(n, "h")) {
                char *l = attr(n, "outline-level");
                level = l ? atoi(l) : 1;
                xmlFree(l);
                if (level < 1 || level > 10)
                    level = 1;
            } else {
                char *st = attr(n, "style-name");
                level = style_level(w, st);
                if (level < 0)
                    level = odt_name_level(st);
                xmlFree(st);
            }
            if (has_title) {
                *has_title |= level == 0;
                continue;
            }
            odt_inline(w, n->children);
            end_para(w, level);
        } else if (is_el(n, "table-row")) {
            if (has_title)
                continue;
            for (const xmlNode *c = n->children; c; c = c->next) {
                if (!is_el(c, "table-cell"))
                    continue;
                if (w->para.len)
                    kb_buf_addc(&w->para, '\t');
                for (const xmlNode *p = c->children; p; p = p->next)
                    if (is_el(p, "p") || is_el(p, "h")) {
                        if (w->para.len &&
                            w->para.data[w->para.len - 1] != '\t')
                            kb_buf_addc(&w->para, ' ');
                        odt_inline(w, p->children);
                    }
            }
            end_para(w, -1);
        } else if (is_el(n, "table-of-content") ||
                   is_el(n, "tracked-changes") || is_el(n, "sequence-decls") ||
                   is_el(n, "forms") || is_el(n, "annotation")) {
            continue;
        } else {
            odt_blocks(w, n->children, has_title);
        }
    }
}

/* --- the readers --- */

typedef enum { DOCX, ODT } format;

static int read_office(const char *path, const char *buf, size_t len,
                       const kb_read_opts *o, const kb_sink *sink, format f)
{
    const char *what = f == DOCX ? "DOCX" : "ODT";
    int faq = 0, rc = kb_attach_kind(path, o, sink, &faq);
    if (rc != KB_OK)
        return rc;
    if (ole_problem(buf, len, what, sink))
        return KB_EDOC;
    zip_t *za = open_zip(buf, len, what, sink);
    if (!za)
        return KB_EDOC;
    xmlDocPtr doc = NULL, aux = NULL;
    json_t *meta = json_object();
    walker w;
    memset(&w, 0, sizeof w);
    w.styles = json_object();
    w.head = (kb_buf)KB_BUF_INIT(64u << 10);
    w.text = (kb_buf)KB_BUF_INIT(16u << 20);
    w.para = (kb_buf)KB_BUF_INIT(16u << 20);
    const xmlNode *body = NULL;
    if (f == ODT) {
        /* An ODT saved with a password encrypts its parts inside a
         * plain ZIP; the manifest says so. */
        kb_buf man;
        rc = read_part(za, "META-INF/manifest.xml", META_MAX, &man, what, sink);
        if (rc == KB_OK) {
            int enc = strstr(man.data, "encryption-data") != NULL;
            kb_buf_free(&man);
            if (enc) {
                sink->problem(sink->ctx, 0,
                              "encrypted ODT (needs a "
                              "password)");
                rc = KB_EDOC;
                goto done;
            }
        } else if (rc != KB_ENOTFOUND) {
            goto done;
        }
        doc = read_xml(za, "content.xml", PART_MAX, 1, what, sink, &rc);
        if (!doc)
            goto done;
        const xmlNode *root = xmlDocGetRootElement(doc);
        odt_styles(child(root, "automatic-styles"), w.styles);
        body = child(child(root, "body"), "text");
        meta_from(za, "meta.xml", meta, what, sink);
    } else {
        doc = read_xml(za, "word/document.xml", PART_MAX, 1, what, sink, &rc);
        if (!doc)
            goto done;
        aux = read_xml(za, "word/styles.xml", META_MAX, 0, what, sink, &rc);
        if (aux)
            docx_styles(aux, w.styles);
        body = child(xmlDocGetRootElement(doc), "body");
        meta_from(za, "docProps/core.xml", meta, what, sink);
        meta_from(za, "docProps/custom.xml", meta, what, sink);
    }
    /* A kind or language the document states wins over the folder's and
     * over the guess per section. */
    kb_read_opts own = *o;
    const char *lang = json_string_value(json_object_get(meta, "lang"));
    if (lang && *lang)
        own.lang = lang;
    const char *kind = json_string_value(json_object_get(meta, "kind"));
    if (kind && !o->kind) {
        own.kind = kind;
        if ((rc = kb_attach_kind(path, &own, sink, &faq)) != KB_OK)
            goto done;
    }
    o = &own;
    rc = KB_OK;
    if (!body) {
        sink->problem(sink->ctx, 0, "not a readable %s: no document body",
                      what);
        rc = KB_EDOC;
        goto done;
    }
    w.s = kb_sections_new(path, o, sink, meta, faq);
    w.meta = meta;
    w.o = o;
    w.faq = faq;
    if (!w.s) {
        rc = KB_ENOMEM;
        goto done;
    }
    /* A Title paragraph is the level-1 heading and Heading 1 becomes
     * level 2, as "# Title" over "## Section" in Markdown. */
    int has_title = 0;
    f == DOCX ? docx_blocks(&w, body->children, &has_title)
              : odt_blocks(&w, body->children, &has_title);
    w.shift = has_title;
    f == DOCX ? docx_blocks(&w, body->children, NULL)
              : odt_blocks(&w, body->children, NULL);
    flush(&w);
    rc = w.rc;
    if (rc == KB_ETOOBIG)
        sink->problem(sink->ctx, w.pos, "section over 16 MiB");
    if (rc == KB_OK && w.sections == 0) {
        sink->problem(sink->ctx, 0, "no text in this %s", what);
        rc = KB_EDOC;
    }
done:
    if (w.s) {
        int r = kb_sections_finish(w.s);
        if (rc == KB_OK)
            rc = r;
    }
    kb_buf_free(&w.head);
    kb_buf_free(&w.text);
    kb_buf_free(&w.para);
    json_decref(w.styles);
    json_decref(meta);
    xmlFreeDoc(doc);
    xmlFreeDoc(aux);
    zip_discard(za);
    return rc;
}

int kb_read_docx(const char *path, const char *buf, size_t len,
                 const kb_read_opts *o, const kb_sink *sink)
{
    return read_office(path, buf, len, o, sink, DOCX);
}

int kb_read_odt(const char *path, const char *buf, size_t len,
                const kb_read_opts *o, const kb_sink *sink)
{
    return read_office(path, buf, len, o, sink, ODT);
}

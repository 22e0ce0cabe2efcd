/* readers.c - pick a reader by file type; helpers the readers share */
#include "readers.h"
#include "kb_doc.h"
#include "kb_error.h"
#include "kb_text.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *ext(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    return dot ? dot + 1 : "";
}

int kb_read_supported(const char *path)
{
    static const char *const exts[] = {
        "md",   "markdown", "html", "htm",  "txt", "jsonl", "ndjson",
        "json", "csv",      "pdf",  "docx", "odt", NULL};
    const char *e = ext(path);
    for (int i = 0; exts[i]; i++)
        if (strcasecmp(e, exts[i]) == 0)
            return 1;
    return 0;
}

const char *kb_read_kind_from_path(const char *path)
{
    static const struct {
        const char *dir, *kind;
    } map[] = {{"manuals", "manual"}, {"manual", "manual"},
               {"faqs", "faq"},       {"faq", "faq"},
               {"tickets", "ticket"}, {"ticket", "ticket"}};
    const char *kind = NULL;
    /* The innermost matching folder wins. */
    for (const char *p = path; *p;) {
        const char *slash = strchr(p, '/');
        if (!slash)
            break;
        size_t n = (size_t)(slash - p);
        for (size_t i = 0; i < sizeof map / sizeof *map; i++)
            if (strlen(map[i].dir) == n && strncasecmp(p, map[i].dir, n) == 0)
                kind = map[i].kind;
        p = slash + 1;
    }
    return kind;
}

void kb_slug(char *out, size_t n, const char *s)
{
    size_t w = 0;
    int dash = 0;
    for (; *s && w + 1 < n; s++) {
        char c = *s;
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            if (dash && w)
                out[w++] = '-';
            if (w + 1 < n)
                out[w++] = c;
            dash = 0;
        } else if (c >= 'A' && c <= 'Z') {
            if (dash && w)
                out[w++] = '-';
            if (w + 1 < n)
                out[w++] = (char)(c + 32);
            dash = 0;
        } else {
            dash = 1;
        }
    }
    out[w] = '\0';
}

void kb_file_id(char *out, size_t n, const char *path)
{
    const char *slash = strrchr(path, '/');
    char base[256];
    snprintf(base, sizeof base, "%s", slash ? slash + 1 : path);
    char *dot = strrchr(base, '.');
    if (dot)
        *dot = '\0';
    /* Lower case, keeping what an id may hold, so that names that differ
     * only in '_' or '.' ("genindex-_" and "genindex") stay apart. */
    size_t w = 0;
    int alnum = 0;
    for (const char *p = base; *p && w + 1 < n; p++) {
        char c = (*p >= 'A' && *p <= 'Z') ? (char)(*p + 32) : *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                 c == '-' || (c == '.' && w > 0);
        alnum |= ok && c != '-' && c != '_' && c != '.';
        if (ok)
            out[w++] = c;
        else if (w && out[w - 1] != '-')
            out[w++] = '-';
    }
    out[w] = '\0';
    if (!alnum) { /* a name in another script: a stable id from its bytes */
        char hex[65];
        kb_sha256_hex(base, strlen(base), hex);
        snprintf(out, n, "doc-%.8s", hex);
    }
    if (!*out)
        snprintf(out, n, "doc");
}

void kb_apply_maps(json_t *rec, const kb_read_opts *o)
{
    for (size_t i = 0; i < o->nmaps; i++) {
        const char *eq = strchr(o->maps[i], '=');
        if (!eq)
            continue;
        char dst[64];
        snprintf(dst, sizeof dst, "%.*s", (int)(eq - o->maps[i]), o->maps[i]);
        json_t *v = json_object_get(rec, eq + 1);
        if (v)
            json_object_set(rec, dst, v);
    }
}

int kb_read_buffer(const char *path, const char *buf, size_t len,
                   const kb_read_opts *o, const kb_sink *sink)
{
    const char *e = ext(path);
    /* Attachments are binary; their readers check what they extract. */
    if (!strcasecmp(e, "pdf"))
        return kb_read_pdf(path, buf, len, o, sink);
    if (!strcasecmp(e, "docx"))
        return kb_read_docx(path, buf, len, o, sink);
    if (!strcasecmp(e, "odt"))
        return kb_read_odt(path, buf, len, o, sink);
    /* Record files check each record (a bad line is skipped, the rest
     * read); a document file is unusable as a whole. */
    int records = !strcasecmp(e, "jsonl") || !strcasecmp(e, "ndjson") ||
                  !strcasecmp(e, "csv");
    long bad = records ? -1 : kb_utf8_invalid_at(buf, len);
    if (bad >= 0) {
        int line = 1;
        for (long i = 0; i < bad; i++)
            line += buf[i] == '\n';
        sink->problem(sink->ctx, line, "invalid UTF-8 at byte %ld", bad);
        return KB_EUTF8;
    }
    if (!strcasecmp(e, "md") || !strcasecmp(e, "markdown"))
        return kb_read_markdown(path, buf, len, o, sink);
    if (!strcasecmp(e, "html") || !strcasecmp(e, "htm"))
        return kb_read_html(path, buf, len, o, sink);
    if (!strcasecmp(e, "jsonl") || !strcasecmp(e, "ndjson"))
        return kb_read_jsonl(path, buf, len, o, sink);
    if (!strcasecmp(e, "json"))
        return kb_read_json(path, buf, len, o, sink);
    if (!strcasecmp(e, "csv"))
        return kb_read_csv(path, buf, len, o, sink);
    if (!strcasecmp(e, "txt"))
        return kb_read_text(path, buf, len, o, sink);
    sink->problem(sink->ctx, 0, "unsupported file type \".%s\"", e);
    return KB_EINVALID;
}

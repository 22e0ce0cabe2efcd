/* kb_doc.c - the document model: kinds, fields, defaults, validation, hash */
#include "kb_doc.h"
#include "kb_error.h"
#include "kb_pii.h"
#include "kb_text.h"

#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <utf8proc.h>

const char *kb_doc_str(const json_t *doc, const char *key)
{
    const char *s = json_string_value(json_object_get(doc, key));
    return s ? s : "";
}

size_t kb_doc_text_bytes(const json_t *doc)
{
    return strlen(kb_doc_str(doc, "title")) + strlen(kb_doc_str(doc, "body")) +
           strlen(kb_doc_str(doc, "resolution"));
}

/* The long texts kb_doc_pack keeps out of the JSON, in their order. */
static const char *const packed_texts[] = {"body", "resolution"};
#define NPACKED (sizeof packed_texts / sizeof *packed_texts)

char *kb_doc_pack(const json_t *doc, size_t *len)
{
    json_t *head = json_object();
    const char *text[NPACKED];
    size_t tlen[NPACKED], total = 0;
    const char *key;
    json_t *v;
    if (!head)
        return NULL;
    json_object_foreach((json_t *)doc, key, v)
    {
        size_t i = 0;
        while (i < NPACKED && strcmp(key, packed_texts[i]))
            i++;
        int unread = !strcmp(key, "hash") || !strcmp(key, "created_at") ||
                     !strcmp(key, "changed_by") ||
                     (json_is_string(v) && json_string_length(v) == 0);
        if (i == NPACKED && !unread)
            json_object_set(head, key, v);
    }
    char *js = json_dumps(head, JSON_COMPACT);
    json_decref(head);
    if (!js)
        return NULL;
    size_t hlen = strlen(js);
    total = hlen;
    for (size_t i = 0; i < NPACKED; i++) {
        text[i] = kb_doc_str(doc, packed_texts[i]);
        tlen[i] = strlen(text[i]);
        total += 1 + tlen[i];
    }
    char *out = realloc(js, total + 1);
    if (!out) {
        free(js);
        return NULL;
    }
    size_t at = hlen;
    for (size_t i = 0; i < NPACKED; i++) {
        out[at++] = '\0';
        memcpy(out + at, text[i], tlen[i]);
        at += tlen[i];
    }
    out[at] = '\0';
    *len = at;
    return out;
}

/* --- the head, read without jansson's lexer ---
 *
 * The head kb_doc_pack writes is one object of strings without escapes,
 * integers, booleans and arrays of those. Read here, a bench corpus hit's
 * head of 420 bytes costs 21,000 instructions instead of json_loadb's
 * 66,000 (most of what is left is making the jansson values), and a
 * search of ten hits 6% fewer. Anything else, escapes included, and
 * anything malformed is left to json_loadb: the reader either makes what
 * json_loadb would make or gives up (NULL). */

typedef struct {
    const char *p, *end;
} scan;

static void skip_ws(scan *s)
{
    while (s->p < s->end &&
           (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

/* A string without escapes or control characters, in valid UTF-8. */
static int plain_string(scan *s, const char **str, size_t *n)
{
    if (s->p == s->end || *s->p != '"')
        return 0;
    const char *b = ++s->p;
    int high = 0;
    for (; s->p < s->end && *s->p != '"'; s->p++) {
        unsigned char c = (unsigned char)*s->p;
        if (c == '\\' || c < 0x20)
            return 0;
        high |= c >= 0x80;
    }
    if (s->p == s->end)
        return 0;
    *str = b;
    *n = (size_t)(s->p++ - b);
    return !high || kb_utf8_invalid_at(b, *n) < 0;
}

static int literal(scan *s, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n))
        return 0;
    s->p += n;
    return 1;
}

/* -?(0|[1-9][0-9]*), at most 18 digits, not followed by a fraction or an
 * exponent (a real, which json_loadb reads otherwise). */
static json_t *integer(scan *s)
{
    int neg = s->p < s->end && *s->p == '-';
    s->p += neg;
    const char *d = s->p;
    while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
        s->p++;
    size_t nd = (size_t)(s->p - d);
    if (nd == 0 || nd > 18 || (nd > 1 && *d == '0') ||
        (s->p < s->end && (*s->p == '.' || *s->p == 'e' || *s->p == 'E')))
        return NULL;
    long long v = 0;
    for (const char *c = d; c < s->p; c++)
        v = v * 10 + (*c - '0');
    return json_integer(neg ? -v : v);
}

static json_t *scalar(scan *s)
{
    const char *str;
    size_t n;
    if (s->p == s->end)
        return NULL;
    switch (*s->p) {
    case '"': return plain_string(s, &str, &n) ? json_stringn(str, n) : NULL;
    case 't': return literal(s, "true") ? json_true() : NULL;
    case 'f': return literal(s, "false") ? json_false() : NULL;
    case 'n': return literal(s, "null") ? json_null() : NULL;
    default: return integer(s);
    }
}

static json_t *array(scan *s)
{
    json_t *a = json_array();
    if (!a)
        return NULL;
    s->p++; /* [ */
    skip_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        return a;
    }
    for (;;) {
        json_t *v = scalar(s);
        if (!v || json_array_append_new(a, v)) {
            json_decref(a);
            return NULL;
        }
        skip_ws(s);
        if (s->p < s->end && *s->p == ']') {
            s->p++;
            return a;
        }
        if (s->p == s->end || *s->p != ',') {
            json_decref(a);
            return NULL;
        }
        s->p++;
        skip_ws(s);
    }
}

json_t *kb_doc_head_read(const char *data, size_t len)
{
    scan s = {data, data + len};
    json_t *o = NULL;
    skip_ws(&s);
    if (s.p == s.end || *s.p != '{' || !(o = json_object()))
        return NULL;
    s.p++;
    skip_ws(&s);
    if (s.p < s.end && *s.p == '}')
        goto end;
    for (;;) {
        const char *k;
        size_t kn;
        char key[64];
        if (!plain_string(&s, &k, &kn) || kn >= sizeof key)
            goto fail;
        memcpy(key, k, kn);
        key[kn] = '\0';
        skip_ws(&s);
        if (s.p == s.end || *s.p != ':')
            goto fail;
        s.p++;
        skip_ws(&s);
        json_t *v = s.p < s.end && *s.p == '[' ? array(&s) : scalar(&s);
        if (!v || json_object_set_new_nocheck(o, key, v))
            goto fail;
        skip_ws(&s);
        if (s.p < s.end && *s.p == '}')
            break;
        if (s.p == s.end || *s.p != ',')
            goto fail;
        s.p++;
        skip_ws(&s);
    }
end:
    s.p++; /* } */
    skip_ws(&s);
    if (s.p == s.end)
        return o;
fail:
    json_decref(o);
    return NULL;
}

json_t *kb_doc_unpack_head(const char *data, size_t len, const char *text[2],
                           size_t tlen[2])
{
    const char *end = data + len;
    const char *nul = memchr(data, '\0', len);
    size_t hlen = nul ? (size_t)(nul - data) : len;
    json_t *doc = kb_doc_head_read(data, hlen);
    if (!doc)
        doc = json_loadb(data, hlen, 0, NULL);
    for (size_t i = 0; i < NPACKED; i++) {
        text[i] = "";
        tlen[i] = 0;
    }
    if (!doc)
        return NULL;
    if (!json_is_object(doc)) {
        json_decref(doc);
        return NULL;
    }
    if (!nul) { /* JSON only */
        for (size_t i = 0; i < NPACKED; i++) {
            json_t *t = json_object_get(doc, packed_texts[i]);
            if (json_is_string(t)) {
                text[i] = json_string_value(t);
                tlen[i] = json_string_length(t);
            }
        }
        return doc;
    }
    const char *p = nul + 1;
    for (size_t i = 0; i < NPACKED && p < end; i++) {
        const char *e = memchr(p, '\0', (size_t)(end - p));
        text[i] = p;
        tlen[i] = (size_t)((e ? e : end) - p);
        p += tlen[i] + 1;
    }
    return doc;
}

json_t *kb_doc_unpack(const char *data, size_t len)
{
    const char *text[NPACKED];
    size_t tlen[NPACKED];
    json_t *doc = kb_doc_unpack_head(data, len, text, tlen);
    if (!doc || !memchr(data, '\0', len))
        return doc;
    for (size_t i = 0; i < NPACKED; i++) {
        json_t *t = json_stringn(text[i], tlen[i]);
        json_object_set_new_nocheck(doc, packed_texts[i],
                                    t ? t : json_string(""));
    }
    return doc;
}

int kb_doc_id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > KB_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
              c == '-'))
            return 0;
    }
    return !(id[0] == '.');
}

void kb_sha256_hex(const void *p, size_t n, char hex[65])
{
    struct sha256_ctx c;
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_init(&c);
    sha256_update(&c, n, p);
    sha256_digest(&c, sizeof d, d);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

void kb_now_rfc3339(char buf[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Fields whose change makes a new version. */
static const char *const content_keys[] = {
    "kind",        "title",         "body",    "resolution", "section",
    "anchor",      "parent",        "product", "category",   "tags",
    "lang",        "visibility",    "status",  "review_by",  "ticket_status",
    "resolved_at", "promoted_from", NULL};

int kb_doc_hash(const json_t *doc, char hex[65])
{
    json_t *c = json_object();
    if (!c)
        return KB_ENOMEM;
    for (int i = 0; content_keys[i]; i++) {
        json_t *v = json_object_get(doc, content_keys[i]);
        if (v)
            json_object_set(c, content_keys[i], v);
    }
    char *s = json_dumps(c, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(c);
    if (!s)
        return KB_ENOMEM;
    kb_sha256_hex(s, strlen(s), hex);
    free(s);
    return KB_OK;
}

/* --- input shapes --- */

/* Copy a string field from in (first of the candidate names) to out under
 * key. Absent or null is "" (or def); other types are an error. */
static int take(json_t *out, const json_t *in, const char *key,
                const char *const *names, const char *def, char **errmsg)
{
    const json_t *v = NULL;
    const char *name = key;
    for (int i = 0; names && names[i] && !v; i++) {
        v = json_object_get(in, names[i]);
        name = names[i];
        if (json_is_null(v))
            v = NULL;
    }
    if (!names) {
        v = json_object_get(in, key);
        if (json_is_null(v))
            v = NULL;
    }
    const char *s = def ? def : "";
    char num[32];
    if (v && json_is_string(v))
        s = json_string_value(v);
    else if (v && json_is_integer(v)) {
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        s = num;
    } else if (v)
        return kb_fail(errmsg, KB_EDOC, "field \"%s\" must be a string", name);
    if (strlen(s) > 4u << 20)
        return kb_fail(errmsg, KB_EDOC, "field \"%s\" is over 4 MiB", name);
    /* Trim surrounding white space. */
    size_t b = 0, e = strlen(s);
    while (b < e &&
           (s[b] == ' ' || s[b] == '\t' || s[b] == '\n' || s[b] == '\r'))
        b++;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\n' ||
                     s[e - 1] == '\r'))
        e--;
    json_t *str = json_stringn(s + b, e - b);
    if (!str)
        return kb_fail(errmsg, KB_EDOC, "field \"%s\" is not valid UTF-8",
                       name);
    json_object_set_new(out, key, str);
    return KB_OK;
}

static int lower_in(json_t *doc, const char *key, const char *const *allowed,
                    char **errmsg)
{
    const char *v = kb_doc_str(doc, key);
    char low[32];
    size_t n = strlen(v);
    if (n >= sizeof low)
        return kb_fail(errmsg, KB_EDOC, "field \"%s\" has an unknown value",
                       key);
    for (size_t i = 0; i <= n; i++)
        low[i] = (v[i] >= 'A' && v[i] <= 'Z') ? (char)(v[i] + 32) : v[i];
    for (int i = 0; allowed[i]; i++)
        if (strcmp(low, allowed[i]) == 0) {
            json_object_set_new(doc, key, json_string(allowed[i]));
            return KB_OK;
        }
    return kb_fail(errmsg, KB_EDOC,
                   "field \"%s\": \"%s\" is not one of the "
                   "allowed values",
                   key, v);
}

static int take_tags(json_t *out, const json_t *in, char **errmsg)
{
    json_t *tags = json_array();
    const json_t *v = json_object_get(in, "tags");
    if (json_is_array(v)) {
        size_t i;
        const json_t *t;
        json_array_foreach(v, i, t)
        {
            if (!json_is_string(t)) {
                json_decref(tags);
                return kb_fail(errmsg, KB_EDOC,
                               "field \"tags\" must hold "
                               "strings");
            }
            if (json_string_length(t) && json_array_size(tags) < 64)
                json_array_append(tags, (json_t *)t);
        }
    } else if (json_is_string(v)) {
        /* "a; b, c" as found in CSV exports and front matter. */
        const char *s = json_string_value(v);
        while (*s && json_array_size(tags) < 64) {
            while (*s == ' ' || *s == ';' || *s == ',' || *s == '[')
                s++;
            size_t n = strcspn(s, ";,]");
            size_t e = n;
            while (e && s[e - 1] == ' ')
                e--;
            if (e)
                json_array_append_new(tags, json_stringn(s, e));
            s += n;
            if (*s)
                s++;
        }
    } else if (v && !json_is_null(v)) {
        json_decref(tags);
        return kb_fail(errmsg, KB_EDOC,
                       "field \"tags\" must be an array of "
                       "strings");
    }
    json_object_set_new(out, "tags", tags);
    return KB_OK;
}

/* Mask personal data in a string; compatibility forms (full-width
 * digits and letters) are folded first so that they cannot hide a number.
 * *out is new. */
static int mask_text(const char *s, char **out)
{
    utf8proc_uint8_t *nfkc = utf8proc_NFKC((const utf8proc_uint8_t *)s);
    int rc = kb_pii_mask(out, nfkc ? (const char *)nfkc : s,
                         strlen(nfkc ? (const char *)nfkc : s), NULL);
    free(nfkc);
    return rc;
}

static int mask_field(json_t *doc, const char *key)
{
    char *m = NULL;
    int rc = mask_text(kb_doc_str(doc, key), &m);
    if (rc != KB_OK)
        return rc;
    json_t *v = json_string(m);
    free(m);
    if (!v)
        return KB_EDOC;
    json_object_set_new(doc, key, v);
    return KB_OK;
}

static int mask_tags(json_t *doc)
{
    json_t *tags = json_object_get(doc, "tags");
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        char *m = NULL;
        int rc = mask_text(json_string_value(t), &m);
        if (rc != KB_OK)
            return rc;
        json_string_set(t, m);
        free(m);
    }
    return KB_OK;
}

static const char *guess_kind(const json_t *in)
{
    if (json_object_get(in, "question") || json_object_get(in, "answer"))
        return "faq";
    if (json_object_get(in, "subject") || json_object_get(in, "resolution"))
        return "ticket";
    return "manual";
}

int kb_doc_from_json(json_t **out, const json_t *in, const char *kind,
                     char **errmsg)
{
    static const char *const kinds[] = {"manual", "faq", "ticket", NULL};
    static const char *const vis[] = {"public", "internal", NULL};
    static const char *const stat[] = {"draft", "published", "archived", NULL};
    static const char *const n_title[] = {"title", "question", "subject", NULL};
    static const char *const n_body[] = {"body", "answer", "description",
                                         "text", NULL};
    json_t *d = NULL;
    int rc = KB_OK;
    *out = NULL;

    if (!json_is_object(in))
        return kb_fail(errmsg, KB_EDOC, "a document must be a JSON object");
    const char *k = kind;
    const json_t *kv = json_object_get(in, "kind");
    if (kv && !json_is_string(kv) && !json_is_null(kv))
        return kb_fail(errmsg, KB_EDOC, "field \"kind\" must be a string");
    const json_t *ps = json_object_get(in, "publish_status");
    if (ps && !json_is_string(ps) && !json_is_null(ps))
        return kb_fail(errmsg, KB_EDOC,
                       "field \"publish_status\" must be a string");
    if (!k || !*k)
        k = json_string_value(kv);
    if (!k || !*k)
        k = guess_kind(in);
    if (!(d = json_object()))
        return KB_ENOMEM;
    json_object_set_new(d, "kind", json_string(k));
    if ((rc = lower_in(d, "kind", kinds, errmsg)) != KB_OK)
        goto fail;
    k = kb_doc_str(d, "kind");
    int ticket = strcmp(k, "ticket") == 0;

    if ((rc = take(d, in, "id", NULL, NULL, errmsg)) != KB_OK)
        goto fail;
    if (!*kb_doc_str(d, "id")) {
        rc = kb_fail(errmsg, KB_EDOC, "field \"id\" is missing");
        goto fail;
    }
    if (!kb_doc_id_ok(kb_doc_str(d, "id"))) {
        rc = kb_fail(errmsg, KB_EDOC,
                     "field \"id\" must be 1-128 of "
                     "A-Z a-z 0-9 . _ : -");
        goto fail;
    }
    struct {
        const char *key;
        const char *const *names;
        const char *def;
    } f[] = {
        {"title", n_title, NULL},
        {"body", n_body, NULL},
        {"resolution", NULL, NULL},
        {"section", NULL, NULL},
        {"anchor", NULL, NULL},
        {"parent", NULL, NULL},
        {"product", NULL, NULL},
        {"category", NULL, NULL},
        {"lang", NULL, "en"},
        {"review_by", NULL, NULL},
        {"source", NULL, NULL},
        {"resolved_at", NULL, NULL},
        {"promoted_from", NULL, NULL},
        {"visibility", NULL, ticket ? "internal" : "public"},
    };
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        if ((rc = take(d, in, f[i].key, f[i].names, f[i].def, errmsg)) != KB_OK)
            goto fail;
    if (!*kb_doc_str(d, "lang"))
        json_object_set_new(d, "lang", json_string("en"));
    if (!*kb_doc_str(d, "visibility"))
        json_object_set_new(d, "visibility",
                            json_string(ticket ? "internal" : "public"));
    if ((rc = take_tags(d, in, errmsg)) != KB_OK)
        goto fail;
    if ((rc = lower_in(d, "visibility", vis, errmsg)) != KB_OK)
        goto fail;

    if (ticket) {
        /* A ticket's own status is its workflow state; the document is
         * published once the ticket is resolved with a resolution. */
        static const char *const n_ts[] = {"ticket_status", "status", NULL};
        if ((rc = take(d, in, "ticket_status", n_ts, "resolved", errmsg)) !=
            KB_OK)
            goto fail;
        const char *ts = kb_doc_str(d, "ticket_status");
        int done = strcasecmp(ts, "resolved") == 0 ||
                   strcasecmp(ts, "closed") == 0 ||
                   strcasecmp(ts, "published") == 0;
        if (!done || !*kb_doc_str(d, "resolution")) {
            kb_fail(errmsg, KB_ENOTFOUND, "ticket %s is not resolved",
                    kb_doc_str(d, "id"));
            json_decref(d);
            return KB_ENOTFOUND;
        }
        json_t *st = json_object_get(in, "publish_status");
        json_object_set_new(d, "status",
                            json_string(json_is_string(st)
                                            ? json_string_value(st)
                                            : "published"));
        static const char *const masked[] = {
            "title", "body", "resolution", "product", "category", NULL};
        for (int i = 0; masked[i]; i++)
            if ((rc = mask_field(d, masked[i])) != KB_OK)
                goto fail;
        if ((rc = mask_tags(d)) != KB_OK)
            goto fail;
    } else {
        if ((rc = take(d, in, "status", NULL, "published", errmsg)) != KB_OK)
            goto fail;
        if (!*kb_doc_str(d, "status"))
            json_object_set_new(d, "status", json_string("published"));
    }
    if ((rc = lower_in(d, "status", stat, errmsg)) != KB_OK)
        goto fail;
    if (!*kb_doc_str(d, "title") && !*kb_doc_str(d, "body")) {
        rc = kb_fail(errmsg, KB_EDOC, "document %s has neither %s nor %s",
                     kb_doc_str(d, "id"), ticket ? "subject" : "title",
                     ticket ? "description" : "body");
        goto fail;
    }
    *out = d;
    return KB_OK;
fail:
    json_decref(d);
    return rc;
}

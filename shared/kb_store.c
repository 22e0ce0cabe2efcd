/* kb_store.c - the versioned knowledge store on top of the Xapian index */
#define _XOPEN_SOURCE 700 /* nftw */
#include "kb_store.h"
#include "kb_buf.h"
#include "kb_doc.h"
#include "kb_error.h"
#include "kb_text.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FIELD_GAP 100 /* positions between fields: no phrase spans two */

/* --- metadata helpers --- */

int kb_meta_get_json(kb_xdb *db, const char *key, json_t **out, char **errmsg)
{
    char *v = NULL;
    size_t n = 0;
    *out = NULL;
    int rc = kb_xdb_get_metadata(db, key, strlen(key), &v, &n, errmsg);
    if (rc != KB_OK || !v)
        return rc;
    json_error_t je;
    *out = json_loadb(v, n, 0, &je);
    free(v);
    if (!*out)
        return kb_fail(errmsg, KB_ECORRUPT, "stored record %s: %s", key,
                       je.text);
    return KB_OK;
}

int kb_meta_set_json(kb_xdb *w, const char *key, const json_t *j, char **errmsg)
{
    if (!j)
        return kb_xdb_set_metadata(w, key, strlen(key), "", 0, errmsg);
    char *s = json_dumps(j, JSON_COMPACT);
    if (!s)
        return KB_ENOMEM;
    int rc = kb_xdb_set_metadata(w, key, strlen(key), s, strlen(s), errmsg);
    free(s);
    return rc;
}

static void vkey(char *buf, size_t n, const char *id, int v)
{
    snprintf(buf, n, "v:%s:%d", id, v);
}

/* --- terms --- */

/* Distinct words for the spelling dictionary. */
typedef struct {
    char **v;
    size_t n, cap;
} wordlist;

/* A word the spelling dictionary takes: alphabetic start, 3..32 bytes, not
 * a stop word. */
static int spelling_word(const kb_tokens *tk, const kb_token *k)
{
    const char *w = kb_tok_word(tk, k);
    return k->kind == KB_TOK_WORD && k->wlen >= 3 && k->wlen <= 32 &&
           !(w[0] >= '0' && w[0] <= '9') && !kb_is_stopword(w, k->wlen);
}

static int words_add(wordlist *l, const char *w)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 128;
        char **nv = realloc(l->v, cap * sizeof *nv);
        if (!nv)
            return KB_ENOMEM;
        l->v = nv;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(w)))
        return KB_ENOMEM;
    l->n++;
    return KB_OK;
}

static void words_free(wordlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

typedef struct {
    kb_xdoc *xd;
    kb_tokens tk;
    uint32_t pos;
    kb_buf t;        /* scratch for prefixed terms */
    wordlist *words; /* collect spelling words here, or NULL */
} builder;

static int add_text(builder *b, const char *text, kb_stemmer *st, uint32_t wdf,
                    const char *prefix, int spell, char **errmsg)
{
    size_t len = strlen(text);
    if (!len)
        return KB_OK;
    int rc = kb_analyse(&b->tk, text, len, st, b->pos, errmsg);
    if (rc != KB_OK)
        return rc;
    for (size_t i = 0; i < b->tk.n; i++) {
        const kb_token *k = &b->tk.v[i];
        rc = kb_xdoc_add_term(b->xd, kb_tok_term(&b->tk, k), k->tlen, k->pos,
                              wdf);
        if (rc == KB_OK && prefix) {
            kb_buf_reset(&b->t);
            kb_buf_adds(&b->t, prefix);
            rc = kb_buf_add(&b->t, kb_tok_term(&b->tk, k), k->tlen);
            if (rc == KB_OK)
                rc = kb_xdoc_add_term(b->xd, b->t.data, b->t.len, 0, 1);
        }
        if (rc == KB_OK && spell && b->words && spelling_word(&b->tk, k))
            rc = words_add(b->words, kb_tok_word(&b->tk, k));
        if (rc != KB_OK)
            return kb_fail(errmsg, rc, "cannot add term");
        if (k->pos >= b->pos)
            b->pos = k->pos + 1;
    }
    b->pos += FIELD_GAP;
    return KB_OK;
}

int kb_is_date(const char *s)
{
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
            return 0;
    int m = (s[5] - '0') * 10 + s[6] - '0', d = (s[8] - '0') * 10 + s[9] - '0';
    return s[10] == '\0' && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/* b->t = the boolean term of v under prefix. */
static void bool_term(builder *b, char prefix, const char *v)
{
    kb_buf_reset(&b->t);
    kb_buf_addc(&b->t, prefix);
    /* Filter values match case-insensitively: store them lower-cased. */
    for (const char *p = v; *p && b->t.len < 200; p++)
        kb_buf_addc(&b->t, (*p >= 'A' && *p <= 'Z') ? (char)(*p + 32) : *p);
}

static int add_bool(builder *b, char prefix, const char *v)
{
    if (!*v)
        return KB_OK;
    bool_term(b, prefix, v);
    return kb_xdoc_add_term(b->xd, b->t.data, b->t.len, 0, 0);
}

/* The Xapian document of doc (new), its data kb_doc_pack's. words (or NULL)
 * collects the words of title, body and resolution for the spelling dictionary,
 * unsorted. */
static int build_xdoc(kb_xdoc **out, const json_t *doc, wordlist *words,
                      char **errmsg)
{
    builder b = {kb_xdoc_new(), KB_TOKENS_INIT, 1, KB_BUF_INIT(4096), words};
    int rc = KB_OK;
    *out = NULL;
    if (!b.xd)
        return KB_ENOMEM;
    kb_stemmer *st = kb_stemmer_for(kb_doc_str(doc, "lang"));

    rc = add_text(&b, kb_doc_str(doc, "title"), st, KB_TITLE_WDF, "S", 1,
                  errmsg);
    if (rc == KB_OK)
        rc = add_text(&b, kb_doc_str(doc, "section"), st, 1, NULL, 0, errmsg);
    json_t *tags = json_object_get(doc, "tags");
    size_t i;
    json_t *t;
    kb_buf tagv = KB_BUF_INIT(8192);
    json_array_foreach(tags, i, t)
    {
        if (rc != KB_OK)
            break;
        rc = add_text(&b, json_string_value(t), st, 1, NULL, 0, errmsg);
        if (rc == KB_OK)
            rc = add_bool(&b, 'T', json_string_value(t));
        if (tagv.len)
            kb_buf_addc(&tagv, '\x1f');
        kb_buf_adds(&tagv, json_string_value(t));
    }
    if (rc == KB_OK)
        rc = add_text(&b, kb_doc_str(doc, "body"), st, 1, NULL, 1, errmsg);
    if (rc == KB_OK)
        rc =
            add_text(&b, kb_doc_str(doc, "resolution"), st, 1, NULL, 1, errmsg);
    if (rc == KB_OK) {
        kb_buf_reset(&b.t);
        kb_buf_addc(&b.t, 'Q');
        kb_buf_adds(&b.t, kb_doc_str(doc, "id"));
        rc = kb_xdoc_add_term(b.xd, b.t.data, b.t.len, 0, 0);
    }
    struct {
        char p;
        const char *key;
    } bools[] = {{'K', "kind"},  {'P', "product"},    {'C', "category"},
                 {'L', "lang"},  {'V', "visibility"}, {'X', "status"},
                 {'G', "parent"}};
    for (i = 0; rc == KB_OK && i < sizeof bools / sizeof *bools; i++)
        rc = add_bool(&b, bools[i].p, kb_doc_str(doc, bools[i].key));
    const char *kind = kb_doc_str(doc, "kind");
    const char *prod = kb_doc_str(doc, "product");
    const char *cat = kb_doc_str(doc, "category");
    const char *upd = kb_doc_str(doc, "updated_at");
    if (rc == KB_OK)
        rc = kb_xdoc_add_value(b.xd, KB_SLOT_KIND, kind, strlen(kind));
    if (rc == KB_OK && *prod)
        rc = kb_xdoc_add_value(b.xd, KB_SLOT_PRODUCT, prod, strlen(prod));
    if (rc == KB_OK && *cat)
        rc = kb_xdoc_add_value(b.xd, KB_SLOT_CATEGORY, cat, strlen(cat));
    if (rc == KB_OK && tagv.len)
        rc = kb_xdoc_add_value(b.xd, KB_SLOT_TAGS, tagv.data, tagv.len);
    if (rc == KB_OK) {
        kb_buf_reset(&b.t);
        kb_buf_printf(&b.t, "%s\x1e%s\x1e%s\x1e", kind, prod, cat);
        kb_buf_add(&b.t, tagv.data, tagv.len);
        rc = kb_xdoc_add_value(b.xd, KB_SLOT_FACETS, b.t.data, b.t.len);
    }
    if (rc == KB_OK && *upd)
        rc = kb_xdoc_add_value(b.xd, KB_SLOT_UPDATED, upd, strlen(upd));
    if (rc == KB_OK) {
        /* The article: the parent's G term, or the document's own Q term. */
        const char *parent = kb_doc_str(doc, "parent");
        if (*parent) {
            bool_term(&b, 'G', parent);
        } else {
            kb_buf_reset(&b.t);
            kb_buf_addc(&b.t, 'Q');
            kb_buf_adds(&b.t, kb_doc_str(doc, "id"));
        }
        rc = kb_xdoc_add_value(b.xd, KB_SLOT_ARTICLE, b.t.data, b.t.len);
    }
    const char *rev = kb_doc_str(doc, "review_by");
    if (rc == KB_OK && kb_is_date(rev))
        rc = kb_xdoc_add_value(b.xd, KB_SLOT_REVIEW, rev, 10);
    if (rc == KB_OK) {
        /* Copies of one title (case and spacing aside) share a key. */
        char *norm = NULL, hex[65];
        const char *title = kb_doc_str(doc, "title");
        if ((rc = kb_normalise(&norm, title, strlen(title))) == KB_OK) {
            size_t w = 0;
            for (size_t k = 0; norm[k]; k++)
                if (norm[k] != ' ' && norm[k] != '\t' && norm[k] != '\n')
                    norm[w++] = norm[k];
            kb_sha256_hex(norm, w, hex);
            rc = kb_xdoc_add_value(b.xd, KB_SLOT_DUPKEY, hex, 16);
        }
        free(norm);
    }
    if (rc == KB_OK) {
        size_t dlen = 0;
        char *data = kb_doc_pack(doc, &dlen);
        rc = data ? kb_xdoc_set_data(b.xd, data, dlen) : KB_ENOMEM;
        free(data);
    }
    kb_buf_free(&tagv);
    kb_buf_free(&b.t);
    kb_tokens_free(&b.tk);
    if (rc != KB_OK) {
        kb_xdoc_free(b.xd);
        return rc;
    }
    *out = b.xd;
    return KB_OK;
}

/* --- spelling: only words of published public documents, so that no
 * correction ever reveals a word that an anonymous caller cannot see --- */

static int spelled(const json_t *doc)
{
    return doc && strcmp(kb_doc_str(doc, "status"), "published") == 0 &&
           strcmp(kb_doc_str(doc, "visibility"), "public") == 0;
}

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort l and drop repeats. */
static void words_unique(wordlist *l)
{
    if (l->n)
        qsort(l->v, l->n, sizeof *l->v, cmpstr);
    size_t u = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (u && strcmp(l->v[u - 1], l->v[i]) == 0)
            free(l->v[i]);
        else
            l->v[u++] = l->v[i];
    }
    l->n = u;
}

/* The spelling words of a document (into l, sorted and unique); none when
 * the document is not published and public. */
static int word_set(const json_t *doc, wordlist *l)
{
    static const char *const keys[] = {"title", "body", "resolution", NULL};
    kb_tokens tk = KB_TOKENS_INIT;
    int rc = KB_OK;
    if (!spelled(doc))
        return KB_OK;
    for (int f = 0; keys[f] && rc == KB_OK; f++) {
        const char *s = kb_doc_str(doc, keys[f]);
        if ((rc = kb_analyse(&tk, s, strlen(s), NULL, 1, NULL)) != KB_OK)
            break;
        for (size_t i = 0; i < tk.n && rc == KB_OK; i++)
            if (spelling_word(&tk, &tk.v[i]))
                rc = words_add(l, kb_tok_word(&tk, &tk.v[i]));
    }
    kb_tokens_free(&tk);
    if (rc != KB_OK)
        words_free(l);
    words_unique(l);
    return rc;
}

/* Move the dictionary from old's words to cur's: both sorted and unique.
 * cur may be NULL (none). */
static int update_spelling(kb_xdb *w, const json_t *old, const wordlist *cur,
                           char **errmsg)
{
    wordlist a = {NULL, 0, 0};
    static const wordlist none = {NULL, 0, 0};
    const wordlist *b = cur ? cur : &none;
    size_t i = 0, j = 0;
    int rc = word_set(old, &a);
    while (rc == KB_OK && (i < a.n || j < b->n)) {
        int c = i == a.n ? 1 : j == b->n ? -1 : strcmp(a.v[i], b->v[j]);
        if (c < 0) {
            rc = kb_xdb_remove_spelling(w, a.v[i], strlen(a.v[i]), 1, errmsg);
            i++;
        } else if (c > 0) {
            rc = kb_xdb_add_spelling(w, b->v[j], strlen(b->v[j]), 1, errmsg);
            j++;
        } else {
            i++;
            j++;
        }
    }
    words_free(&a);
    return rc;
}

/* --- versions --- */

/* Write version v of doc (borrowed; version fields are added to a copy),
 * update head and postings. prev is the previous version or NULL. */
/* The postings of version d (stored JSON) of its document: none if it is
 * archived, else its terms replace the document's (words, if not NULL,
 * collects its spelling words). */
static int post(kb_xdb *w, const json_t *d, wordlist *words, char **errmsg)
{
    char key[KB_ID_MAX + 8];
    kb_xdoc *xd = NULL;
    int rc;
    snprintf(key, sizeof key, "Q%s", kb_doc_str(d, "id"));
    if (strcmp(kb_doc_str(d, "status"), "archived") == 0)
        return kb_xdb_delete(w, key, strlen(key), errmsg);
    rc = build_xdoc(&xd, d, words, errmsg);
    if (rc == KB_OK)
        rc = kb_xdb_replace(w, key, strlen(key), xd, errmsg);
    kb_xdoc_free(xd);
    return rc;
}

static int write_version(kb_xdb *w, const json_t *doc, const json_t *prev,
                         int v, const char *hash, const char *who,
                         char **errmsg)
{
    char now[32], key[KB_ID_MAX + 32];
    const char *id = kb_doc_str(doc, "id");
    json_t *d = json_deep_copy(doc);
    json_t *head = NULL;
    char *json = NULL;
    int rc;
    if (!d)
        return KB_ENOMEM;
    kb_now_rfc3339(now);
    json_object_set_new(d, "version", json_integer(v));
    json_object_set_new(d, "hash", json_string(hash));
    json_object_set_new(d, "updated_at", json_string(now));
    const char *created = prev ? kb_doc_str(prev, "created_at") : now;
    json_object_set_new(d, "created_at", json_string(*created ? created : now));
    json_object_set_new(d, "changed_by", json_string(who ? who : ""));

    vkey(key, sizeof key, id, v);
    if (!(json = json_dumps(d, JSON_COMPACT))) {
        rc = KB_ENOMEM;
        goto done;
    }
    if ((rc = kb_xdb_set_metadata(w, key, strlen(key), json, strlen(json),
                                  errmsg)) != KB_OK)
        goto done;
    head =
        json_pack("{s:i,s:s,s:s,s:s,s:s}", "v", v, "hash", hash, "status",
                  kb_doc_str(d, "status"), "visibility",
                  kb_doc_str(d, "visibility"), "kind", kb_doc_str(d, "kind"));
    snprintf(key, sizeof key, "d:%s", id);
    if (!head || (rc = kb_meta_set_json(w, key, head, errmsg)) != KB_OK)
        goto done;

    /* The spelling words come from the same analysis as the terms. */
    wordlist words = {NULL, 0, 0};
    rc = post(w, d, spelled(d) ? &words : NULL, errmsg);
    words_unique(&words);
    if (rc == KB_OK)
        rc = update_spelling(w, prev, &words, errmsg);
    words_free(&words);
done:
    free(json);
    json_decref(head);
    json_decref(d);
    return rc;
}

int kb_store_current(kb_xdb *db, const char *id, int *version, char **errmsg)
{
    char key[KB_ID_MAX + 8];
    json_t *head = NULL;
    *version = 0;
    if (!kb_doc_id_ok(id))
        return KB_OK;
    snprintf(key, sizeof key, "d:%s", id);
    int rc = kb_meta_get_json(db, key, &head, errmsg);
    if (rc == KB_OK && head)
        *version = (int)json_integer_value(json_object_get(head, "v"));
    json_decref(head);
    return rc;
}

int kb_store_get(kb_xdb *db, const char *id, int version, json_t **out,
                 char **errmsg)
{
    char key[KB_ID_MAX + 32];
    *out = NULL;
    if (!kb_doc_id_ok(id))
        return kb_fail(errmsg, KB_ENOTFOUND, "no document \"%.64s\"", id);
    if (version <= 0) {
        int rc = kb_store_current(db, id, &version, errmsg);
        if (rc != KB_OK)
            return rc;
        if (!version)
            return kb_fail(errmsg, KB_ENOTFOUND, "no document %s", id);
    }
    vkey(key, sizeof key, id, version);
    int rc = kb_meta_get_json(db, key, out, errmsg);
    if (rc == KB_OK && !*out)
        return kb_fail(errmsg, KB_ENOTFOUND, "document %s has no version %d",
                       id, version);
    return rc;
}

int kb_store_put(kb_xdb *w, const json_t *doc, const char *who, int *outcome,
                 int *version, char **errmsg)
{
    char hash[65];
    json_t *prev = NULL;
    int cur = 0, rc;
    const char *id = kb_doc_str(doc, "id");
    *outcome = KB_PUT_UNCHANGED;
    *version = 0;
    if (!kb_doc_id_ok(id))
        return kb_fail(errmsg, KB_EDOC, "invalid id");
    if ((rc = kb_doc_hash(doc, hash)) != KB_OK)
        return rc;
    if ((rc = kb_store_current(w, id, &cur, errmsg)) != KB_OK)
        return rc;
    if (cur) {
        if ((rc = kb_store_get(w, id, cur, &prev, errmsg)) != KB_OK)
            return rc;
        if (strcmp(kb_doc_str(prev, "hash"), hash) == 0) {
            *version = cur;
            json_decref(prev);
            return KB_OK;
        }
    }
    rc = write_version(w, doc, prev, cur + 1, hash, who, errmsg);
    if (rc == KB_OK) {
        *outcome = cur ? KB_PUT_UPDATED : KB_PUT_ADDED;
        *version = cur + 1;
    }
    json_decref(prev);
    return rc;
}

/* Copy of version `from`'s content with status replaced (or kept: NULL),
 * stored as a new version. */
static int revise(kb_xdb *w, const char *id, int from, const char *status,
                  const char *who, int *version, char **errmsg)
{
    json_t *src = NULL, *doc = NULL, *prev = NULL;
    int cur = 0, rc;
    char hash[65];
    *version = 0;
    if ((rc = kb_store_current(w, id, &cur, errmsg)) != KB_OK)
        return rc;
    if (!cur)
        return kb_fail(errmsg, KB_ENOTFOUND, "no document %s", id);
    if (from <= 0)
        from = cur;
    if ((rc = kb_store_get(w, id, from, &src, errmsg)) != KB_OK)
        goto done;
    if ((rc = kb_store_get(w, id, cur, &prev, errmsg)) != KB_OK)
        goto done;
    if (!(doc = json_deep_copy(src))) {
        rc = KB_ENOMEM;
        goto done;
    }
    const char *drop[] = {"version",    "hash",       "updated_at",
                          "created_at", "changed_by", NULL};
    for (int i = 0; drop[i]; i++)
        json_object_del(doc, drop[i]);
    if (status)
        json_object_set_new(doc, "status", json_string(status));
    if ((rc = kb_doc_hash(doc, hash)) != KB_OK)
        goto done;
    if (strcmp(hash, kb_doc_str(prev, "hash")) == 0) {
        *version = cur; /* already in that state */
        goto done;
    }
    if ((rc = write_version(w, doc, prev, cur + 1, hash, who, errmsg)) == KB_OK)
        *version = cur + 1;
done:
    json_decref(src);
    json_decref(doc);
    json_decref(prev);
    return rc;
}

int kb_store_archive(kb_xdb *w, const char *id, const char *who, int *version,
                     char **errmsg)
{
    return revise(w, id, 0, "archived", who, version, errmsg);
}

int kb_store_rollback(kb_xdb *w, const char *id, int to, const char *who,
                      int *version, char **errmsg)
{
    if (to <= 0)
        return kb_fail(errmsg, KB_EINVALID, "version must be 1 or more");
    return revise(w, id, to, NULL, who, version, errmsg);
}

static int collect_key(void *ctx, const char *key, size_t klen)
{
    json_array_append_new(ctx, json_stringn(key, klen));
    return 0;
}

static int collect_id(void *ctx, const char *key, size_t klen)
{
    /* "d:<id>" */
    json_array_append_new(ctx, json_stringn(key + 2, klen - 2));
    return 0;
}

int kb_store_ids(kb_xdb *db, json_t **out, char **errmsg)
{
    json_t *ids = json_array();
    int rc = ids ? kb_xdb_metadata_keys(db, "d:", 2, collect_id, ids, errmsg)
                 : KB_ENOMEM;
    if (rc != KB_OK) {
        json_decref(ids);
        ids = NULL;
    }
    *out = ids;
    return rc;
}

int kb_store_reanalyse(kb_xdb *w, const char *id, int *done, size_t *text,
                       kb_xspell *words, char **errmsg)
{
    json_t *cur = NULL;
    int v = 0, rc = kb_store_current(w, id, &v, errmsg);
    *done = 0;
    if (text)
        *text = 0;
    if (rc != KB_OK || !v)
        return rc;
    if ((rc = kb_store_get(w, id, v, &cur, errmsg)) != KB_OK)
        return rc;
    if (strcmp(kb_doc_str(cur, "status"), "archived") != 0) {
        wordlist l = {NULL, 0, 0};
        rc = post(w, cur, words && spelled(cur) ? &l : NULL, errmsg);
        words_unique(&l);
        for (size_t i = 0; rc == KB_OK && i < l.n; i++)
            rc = kb_xspell_add(words, l.v[i], strlen(l.v[i]));
        words_free(&l);
        *done = rc == KB_OK;
        if (text && *done)
            *text = kb_doc_text_bytes(cur);
    }
    json_decref(cur);
    return rc;
}

int kb_store_purge(kb_xdb *w, const char *id, int *versions, char **errmsg)
{
    char key[KB_ID_MAX + 32];
    json_t *cur = NULL;
    int n = 0, rc = kb_store_current(w, id, &n, errmsg);
    *versions = 0;
    if (rc != KB_OK)
        return rc;
    if (!n)
        return kb_fail(errmsg, KB_ENOTFOUND, "no document %.64s", id);
    if ((rc = kb_store_get(w, id, n, &cur, errmsg)) != KB_OK)
        return rc;
    rc = update_spelling(w, cur, NULL, errmsg);
    json_decref(cur);
    for (int v = 1; rc == KB_OK && v <= n; v++) {
        vkey(key, sizeof key, id, v);
        rc = kb_xdb_set_metadata(w, key, strlen(key), "", 0, errmsg);
    }
    /* Feedback counts of every version: keys "f:<id>:<n>". */
    snprintf(key, sizeof key, "f:%s:", id);
    json_t *keys = json_array();
    if (rc == KB_OK) /* collect first: no deleting while walking */
        rc = kb_xdb_metadata_keys(w, key, strlen(key), collect_key, keys,
                                  errmsg);
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        if (rc != KB_OK)
            break;
        rc = kb_xdb_set_metadata(w, json_string_value(k), json_string_length(k),
                                 "", 0, errmsg);
    }
    json_decref(keys);
    snprintf(key, sizeof key, "d:%s", id);
    if (rc == KB_OK)
        rc = kb_xdb_set_metadata(w, key, strlen(key), "", 0, errmsg);
    snprintf(key, sizeof key, "Q%s", id);
    if (rc == KB_OK)
        rc = kb_xdb_delete(w, key, strlen(key), errmsg);
    if (rc == KB_OK)
        *versions = n;
    return rc;
}

int kb_store_history(kb_xdb *db, const char *id, json_t **out, char **errmsg)
{
    int cur = 0, rc;
    *out = NULL;
    if ((rc = kb_store_current(db, id, &cur, errmsg)) != KB_OK)
        return rc;
    if (!cur)
        return kb_fail(errmsg, KB_ENOTFOUND, "no document %.64s", id);
    json_t *arr = json_array();
    for (int v = 1; v <= cur && rc == KB_OK; v++) {
        json_t *d = NULL;
        if ((rc = kb_store_get(db, id, v, &d, errmsg)) != KB_OK)
            break;
        json_array_append_new(
            arr,
            json_pack("{s:i,s:s,s:s,s:s,s:s,s:s}", "version", v, "updated_at",
                      kb_doc_str(d, "updated_at"), "hash",
                      kb_doc_str(d, "hash"), "status", kb_doc_str(d, "status"),
                      "visibility", kb_doc_str(d, "visibility"), "changed_by",
                      kb_doc_str(d, "changed_by")));
        json_decref(d);
    }
    if (rc != KB_OK) {
        json_decref(arr);
        return rc;
    }
    *out = arr;
    return KB_OK;
}

/* --- sources --- */

int kb_store_set_source(kb_xdb *w, const char *source, const json_t *ids,
                        json_t **previous, char **errmsg)
{
    char key[80], hex[65];
    json_t *old = NULL;
    kb_sha256_hex(source, strlen(source), hex);
    snprintf(key, sizeof key, "s:%s", hex);
    int rc = kb_meta_get_json(w, key, &old, errmsg);
    if (rc != KB_OK)
        return rc;
    json_t *prev = json_object_get(old, "ids");
    *previous = json_is_array(prev) ? json_incref(prev) : json_array();
    json_decref(old);
    if (json_array_size(ids) == 0)
        return kb_xdb_set_metadata(w, key, strlen(key), "", 0, errmsg);
    json_t *rec = json_pack("{s:s,s:O}", "source", source, "ids", ids);
    if (!rec)
        return KB_ENOMEM;
    rc = kb_meta_set_json(w, key, rec, errmsg);
    json_decref(rec);
    return rc;
}

typedef struct {
    kb_xdb *db;
    json_t *out;
    char **errmsg;
    int rc;
} walk;

static int source_cb(void *ctx, const char *key, size_t klen)
{
    walk *wk = ctx;
    char k[128];
    json_t *rec = NULL;
    if (klen >= sizeof k)
        return 0;
    memcpy(k, key, klen);
    k[klen] = '\0';
    if ((wk->rc = kb_meta_get_json(wk->db, k, &rec, wk->errmsg)) != KB_OK)
        return 1;
    const char *src = json_string_value(json_object_get(rec, "source"));
    if (src)
        json_object_set(wk->out, src, json_object_get(rec, "ids"));
    json_decref(rec);
    return 0;
}

int kb_store_sources(kb_xdb *db, json_t **out, char **errmsg)
{
    walk wk = {db, json_object(), errmsg, KB_OK};
    int rc = kb_xdb_metadata_keys(db, "s:", 2, source_cb, &wk, errmsg);
    if (rc == 1)
        rc = wk.rc;
    if (rc != KB_OK) {
        json_decref(wk.out);
        return rc;
    }
    *out = wk.out;
    return KB_OK;
}

static int stats_cb(void *ctx, const char *key, size_t klen)
{
    walk *wk = ctx;
    char k[KB_ID_MAX + 8];
    json_t *head = NULL;
    if (klen >= sizeof k)
        return 0;
    memcpy(k, key, klen);
    k[klen] = '\0';
    if ((wk->rc = kb_meta_get_json(wk->db, k, &head, wk->errmsg)) != KB_OK)
        return 1;
    json_t *by = json_object_get(wk->out, "documents");
    const char *kind = kb_doc_str(head, "kind");
    const char *st = kb_doc_str(head, "status");
    json_t *kk = json_object_get(by, kind);
    if (!kk) {
        kk = json_object();
        json_object_set_new(by, kind, kk);
    }
    json_object_set_new(
        kk, st, json_integer(json_integer_value(json_object_get(kk, st)) + 1));
    json_t *tv = json_object_get(wk->out, "versions");
    json_integer_set(tv, json_integer_value(tv) +
                             json_integer_value(json_object_get(head, "v")));
    json_t *tot = json_object_get(wk->out, "ids");
    json_integer_set(tot, json_integer_value(tot) + 1);
    json_decref(head);
    return 0;
}

int kb_store_stats(kb_xdb *db, json_t **out, char **errmsg)
{
    uint32_t n = 0;
    uint64_t rev = 0;
    walk wk = {
        db, json_pack("{s:{},s:i,s:i}", "documents", "ids", 0, "versions", 0),
        errmsg, KB_OK};
    int rc = kb_xdb_metadata_keys(db, "d:", 2, stats_cb, &wk, errmsg);
    if (rc == 1)
        rc = wk.rc;
    if (rc == KB_OK)
        rc = kb_xdb_doccount(db, &n, errmsg);
    if (rc == KB_OK)
        rc = kb_xdb_revision(db, &rev, errmsg);
    if (rc != KB_OK) {
        json_decref(wk.out);
        return rc;
    }
    json_object_set_new(wk.out, "searchable", json_integer(n));
    json_object_set_new(wk.out, "revision", json_integer((json_int_t)rev));
    *out = wk.out;
    return KB_OK;
}

/* --- backups --- */

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void kb_rmtree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int kb_store_backup(kb_xdb *db, const char *dbpath, const char *out,
                    int wait_ms, char **errmsg)
{
    char tmp[4200];
    struct stat st;
    if (stat(out, &st) == 0)
        return kb_fail(errmsg, KB_EINVALID,
                       "%s exists; a backup goes to a "
                       "new folder",
                       out);
    snprintf(tmp, sizeof tmp, "%s.partial-%ld", out, (long)getpid());
    int rc = kb_xdb_reopen(db, errmsg);
    if (rc == KB_OK)
        rc = kb_xdb_compact(db, tmp, errmsg);
    if (rc == KB_EIO) {
        /* The revision moved on under every attempt: hold the lock. */
        kb_xdb *lock = NULL;
        int waited = 0;
        kb_rmtree(tmp);
        while ((rc = kb_xdb_open(&lock, dbpath, KB_XDB_WRITE, errmsg)) ==
                   KB_ELOCKED &&
               waited < wait_ms) {
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
            waited += 50;
        }
        if (rc == KB_OK && (rc = kb_xdb_reopen(db, errmsg)) == KB_OK)
            rc = kb_xdb_compact(db, tmp, errmsg);
        kb_xdb_close(lock);
    }
    if (rc == KB_OK && rename(tmp, out) != 0)
        rc = kb_fail(errmsg, KB_EIO, "cannot rename %s to %s: %s", tmp, out,
                     strerror(errno));
    if (rc != KB_OK)
        kb_rmtree(tmp);
    return rc;
}

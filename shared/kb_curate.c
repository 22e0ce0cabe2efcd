/* kb_curate.c - query keys, pinned answers, ticket-to-article promotion */
#include "kb_curate.h"
#include "kb_buf.h"
#include "kb_doc.h"
#include "kb_error.h"
#include "kb_pii.h"
#include "kb_store.h"
#include "kb_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- query keys --- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int kb_query_key(char **out, const char *q, size_t len, char **errmsg)
{
    kb_tokens t = KB_TOKENS_INIT;
    *out = NULL;
    int rc = kb_analyse(&t, q, len, kb_stemmer_for("en"), 1, errmsg);
    if (rc != KB_OK) {
        kb_tokens_free(&t);
        return rc;
    }
    const char **v = calloc(t.n + 1, sizeof *v);
    size_t n = 0, words = 0;
    if (!v) {
        kb_tokens_free(&t);
        return KB_ENOMEM;
    }
    for (int pass = 0; pass < 2 && n == 0; pass++) {
        /* The first pass leaves stop words out; a query of nothing but
         * stop words keeps them. */
        for (size_t i = 0; i < t.n; i++) {
            const kb_token *k = &t.v[i];
            if (k->kind == KB_TOK_WORD) {
                words++;
                if (pass == 0 && kb_is_stopword(kb_tok_word(&t, k), k->wlen))
                    continue;
            } else if (k->kind == KB_TOK_CJK1) {
                /* A unigram counts only when no bigram starts or ends on
                 * it, that is in a one-character run. */
                int alone = !(i + 1 < t.n && t.v[i + 1].kind == KB_TOK_CJK2 &&
                              t.v[i + 1].start == k->start) &&
                            !(i > 0 && t.v[i - 1].kind == KB_TOK_CJK2 &&
                              t.v[i - 1].end == k->end);
                if (!alone)
                    continue;
            }
            v[n++] = kb_tok_term(&t, k);
        }
        if (!words)
            break;
    }
    qsort(v, n, sizeof *v, cmp_str);
    kb_buf b = KB_BUF_INIT(1u << 20);
    for (size_t i = 0; i < n; i++) {
        if (i && !strcmp(v[i], v[i - 1]))
            continue;
        if (b.len)
            kb_buf_add(&b, " ", 1);
        kb_buf_adds(&b, v[i]);
    }
    free(v);
    kb_tokens_free(&t);
    *out = b.data ? kb_buf_steal(&b) : strdup("");
    return *out ? KB_OK : KB_ENOMEM;
}

/* --- pins --- */

/* A record (new), or NULL when absent or unreadable. */
static json_t *load_json(kb_xdb *db, const char *key)
{
    json_t *j = NULL;
    kb_meta_get_json(db, key, &j, NULL);
    return j;
}

static char *pin_meta_key(const char *key)
{
    size_t n = strlen(key) + 5;
    char *k = malloc(n);
    if (k)
        snprintf(k, n, "pin:%s", key);
    return k;
}

int kb_pins_for(json_t **out, kb_xdb *db, const char *key, time_t now,
                char **errmsg)
{
    (void)errmsg;
    *out = json_array();
    if (!*out)
        return KB_ENOMEM;
    if (!*key)
        return KB_OK;
    char *mk = pin_meta_key(key);
    if (!mk)
        return KB_ENOMEM;
    json_t *pins = load_json(db, mk);
    free(mk);
    size_t i;
    json_t *p;
    json_array_foreach(pins, i, p)
    {
        json_t *exp = json_object_get(p, "expires");
        if (json_is_integer(exp) && json_integer_value(exp) > (json_int_t)now)
            json_array_append(*out, json_object_get(p, "id"));
    }
    json_decref(pins);
    return KB_OK;
}

int kb_pin_add(json_t **out, kb_xdb *w, const char *query, const char *id,
               time_t expires, const char *who, char **errmsg)
{
    char *key = NULL, *mk = NULL;
    *out = NULL;
    int rc = kb_query_key(&key, query, strlen(query), errmsg);
    if (rc != KB_OK)
        return rc;
    if (!*key) {
        free(key);
        return kb_fail(errmsg, KB_EINVALID, "the query has no words to pin");
    }
    if (!(mk = pin_meta_key(key))) {
        free(key);
        return KB_ENOMEM;
    }
    json_t *pins = load_json(w, mk);
    if (!json_is_array(pins)) {
        json_decref(pins);
        pins = json_array();
    }
    char seed[KB_ID_MAX + 1100], hex[65], ts[32];
    snprintf(seed, sizeof seed, "%s\n%s", key, id);
    kb_sha256_hex(seed, strlen(seed), hex);
    hex[16] = '\0';
    kb_now_rfc3339(ts);
    json_t *pin =
        json_pack("{s:s,s:s,s:s,s:s,s:I,s:s,s:s}", "pin", hex, "query", query,
                  "key", key, "id", id, "expires", (json_int_t)expires,
                  "created", ts, "by", who ? who : "-");
    size_t i, at = json_array_size(pins);
    json_t *p;
    json_array_foreach(pins, i, p) if (!strcmp(kb_doc_str(p, "id"), id)) at = i;
    if (!pin)
        rc = KB_ENOMEM;
    else if (at < json_array_size(pins))
        json_array_set(pins, at, pin);
    else if (json_array_size(pins) >= KB_PIN_MAX_PER_KEY)
        rc = kb_fail(errmsg, KB_EINVALID, "the query already has %d pins",
                     KB_PIN_MAX_PER_KEY);
    else
        json_array_append(pins, pin);
    if (rc == KB_OK)
        rc = kb_meta_set_json(w, mk, pins, errmsg);
    if (rc == KB_OK)
        *out = json_incref(pin);
    json_decref(pin);
    json_decref(pins);
    free(mk);
    free(key);
    return rc;
}

typedef struct {
    json_t *keys;
} key_list;

static int on_key(void *ctx, const char *key, size_t klen)
{
    key_list *l = ctx;
    json_array_append_new(l->keys, json_stringn(key, klen));
    return 0;
}

static json_t *pin_keys(kb_xdb *db)
{
    key_list l = {json_array()};
    if (l.keys)
        kb_xdb_metadata_keys(db, "pin:", 4, on_key, &l, NULL);
    return l.keys;
}

int kb_pin_remove(kb_xdb *w, const char *pin, char **errmsg)
{
    json_t *keys = pin_keys(w);
    if (!keys)
        return KB_ENOMEM;
    int rc = KB_ENOTFOUND;
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        const char *mk = json_string_value(k);
        json_t *pins = load_json(w, mk);
        size_t j;
        json_t *p;
        json_array_foreach(pins, j,
                           p) if (!strcmp(kb_doc_str(p, "pin"), pin)) break;
        if (j < json_array_size(pins)) {
            json_array_remove(pins, j);
            rc = kb_meta_set_json(w, mk, json_array_size(pins) ? pins : NULL,
                                  errmsg);
            json_decref(pins);
            break;
        }
        json_decref(pins);
    }
    json_decref(keys);
    if (rc == KB_ENOTFOUND)
        kb_fail(errmsg, rc, "no pin %s", pin);
    return rc;
}

int kb_pins_list(json_t **out, kb_xdb *db, time_t now, char **errmsg)
{
    (void)errmsg;
    json_t *keys = pin_keys(db);
    *out = json_array();
    if (!keys || !*out) {
        json_decref(keys);
        return KB_ENOMEM;
    }
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k)
    {
        json_t *pins = load_json(db, json_string_value(k));
        size_t j;
        json_t *p;
        json_array_foreach(pins, j, p)
        {
            json_int_t exp = json_integer_value(json_object_get(p, "expires"));
            json_object_set_new(p, "expired",
                                json_boolean(exp <= (json_int_t)now));
            json_array_append(*out, p);
        }
        json_decref(pins);
    }
    json_decref(keys);
    return KB_OK;
}

/* --- promotion --- */

static int section(kb_buf *b, const char *head, const char *text)
{
    if (!*text)
        return KB_OK;
    return kb_buf_printf(b, "%s%s\n%s", b->len ? "\n\n" : "", head, text);
}

int kb_promote_draft(json_t **out, const json_t *ticket, const char *id,
                     const char *kind, const char *visibility, char **errmsg)
{
    *out = NULL;
    if (strcmp(kb_doc_str(ticket, "kind"), "ticket"))
        return kb_fail(errmsg, KB_EINVALID, "%s is a %s, not a ticket",
                       kb_doc_str(ticket, "id"), kb_doc_str(ticket, "kind"));
    int zh = !strncmp(kb_doc_str(ticket, "lang"), "zh", 2);
    kb_buf b = KB_BUF_INIT(64u << 20);
    int rc = section(&b, zh ? "问题" : "Problem", kb_doc_str(ticket, "body"));
    if (rc == KB_OK)
        rc = section(&b, zh ? "原因" : "Cause", kb_doc_str(ticket, "cause"));
    if (rc == KB_OK)
        rc = section(&b, zh ? "解决方法" : "Resolution",
                     kb_doc_str(ticket, "resolution"));
    if (rc != KB_OK) {
        kb_buf_free(&b);
        return rc;
    }
    char *body = NULL, *title = NULL;
    const char *t = kb_doc_str(ticket, "title");
    rc = kb_pii_mask(&body, b.data ? b.data : "", b.len, NULL);
    if (rc == KB_OK)
        rc = kb_pii_mask(&title, t, strlen(t), NULL);
    kb_buf_free(&b);
    if (rc != KB_OK) {
        free(body);
        free(title);
        return rc;
    }
    json_t *in = json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:O?,s:s}", "id", id, "kind",
        kind, "title", title, "body", body, "status", "draft", "visibility",
        visibility, "product", kb_doc_str(ticket, "product"), "category",
        kb_doc_str(ticket, "category"), "lang", kb_doc_str(ticket, "lang"),
        "tags", json_object_get(ticket, "tags"), "promoted_from",
        kb_doc_str(ticket, "id"));
    free(body);
    free(title);
    if (!in)
        return KB_ENOMEM;
    rc = kb_doc_from_json(out, in, kind, errmsg);
    json_decref(in);
    return rc;
}

char *kb_promoted_to(kb_xdb *db, const char *ticket_id)
{
    char key[KB_ID_MAX + 8];
    snprintf(key, sizeof key, "k:%s", ticket_id);
    json_t *j = load_json(db, key);
    const char *a = kb_doc_str(j, "article");
    char *out = *a ? strdup(a) : NULL;
    json_decref(j);
    return out;
}

int kb_set_promoted(kb_xdb *w, const char *ticket_id, const char *article_id,
                    char **errmsg)
{
    char key[KB_ID_MAX + 8];
    snprintf(key, sizeof key, "k:%s", ticket_id);
    json_t *j = json_pack("{s:s}", "article", article_id);
    if (!j)
        return KB_ENOMEM;
    int rc = kb_meta_set_json(w, key, j, errmsg);
    json_decref(j);
    return rc;
}

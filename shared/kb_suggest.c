/* kb_suggest.c - suggested fixes for a ticket: salient terms, relevance
 * feedback, duplicate collapse and confidence bands */
#include "kb_suggest.h"
#include "kb_doc.h"
#include "kb_error.h"
#include "kb_search.h"
#include "kb_store.h"
#include "kb_text.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SALIENT 64
#define POOL 40 /* hits re-ranked before the limit is applied */

typedef struct {
    char term[96];
    char word[96]; /* how the ticket wrote it */
    double salience;
    int in_subject;
    int count;
} salient;

typedef struct {
    salient v[512];
    int n;
} term_table;

static salient *find(term_table *t, const char *term, size_t len)
{
    for (int i = 0; i < t->n; i++)
        if (strlen(t->v[i].term) == len && !memcmp(t->v[i].term, term, len))
            return &t->v[i];
    return NULL;
}

static void add_term(term_table *t, const char *term, size_t tlen,
                     const char *word, size_t wlen, int subject)
{
    if (tlen >= sizeof t->v[0].term || wlen >= sizeof t->v[0].word)
        return;
    salient *s = find(t, term, tlen);
    if (!s && t->n < 512) {
        s = &t->v[t->n++];
        memset(s, 0, sizeof *s);
        memcpy(s->term, term, tlen);
        memcpy(s->word, word, wlen);
    }
    if (s) {
        s->count++;
        s->in_subject |= subject;
    }
}

/* Words a and b written apart, as one word ("back up" as "backup"): a
 * candidate like the others, kept only if the index has it. */
static void add_joined(term_table *t, const char *a, size_t al, const char *b,
                       size_t bl, int subject)
{
    kb_tokens tk = KB_TOKENS_INIT;
    if (kb_join_words(&tk, a, al, b, bl, kb_stemmer_for("en")))
        add_term(t, kb_tok_term(&tk, tk.v), tk.v[0].tlen,
                 kb_tok_word(&tk, tk.v), tk.v[0].wlen, subject);
    kb_tokens_free(&tk);
}

static void collect(term_table *t, const char *text, int subject)
{
    kb_tokens tk = KB_TOKENS_INIT;
    if (kb_analyse(&tk, text, strlen(text), kb_stemmer_for("en"), 1, NULL) !=
        KB_OK) {
        kb_tokens_free(&tk);
        return;
    }
    const kb_token *prev = NULL; /* the word before, if no stop word */
    for (size_t i = 0; i < tk.n; i++) {
        const kb_token *k = &tk.v[i];
        if (k->kind == KB_TOK_WORD) {
            if (prev && k->start == prev->end + 1 &&
                (text[prev->end] == ' ' || text[prev->end] == '-'))
                add_joined(t, kb_tok_word(&tk, prev), prev->wlen,
                           kb_tok_word(&tk, k), k->wlen, subject);
            prev = kb_is_stopword(kb_tok_word(&tk, k), k->wlen) ? NULL : k;
        } else {
            prev = NULL;
        }
        if (k->kind == KB_TOK_CJK1 || k->tlen < 2)
            continue;
        if (k->kind == KB_TOK_WORD &&
            (kb_is_stopword(kb_tok_word(&tk, k), k->wlen) || k->wlen < 2))
            continue;
        add_term(t, kb_tok_term(&tk, k), k->tlen, kb_tok_word(&tk, k), k->wlen,
                 subject);
    }
    kb_tokens_free(&tk);
}

static int by_salience(const void *a, const void *b)
{
    double d = ((const salient *)b)->salience - ((const salient *)a)->salience;
    return d > 0 ? 1 : d < 0 ? -1 : 0;
}

typedef struct {
    json_t *matched;
    term_table *t;
    double weight;
} match_ctx;

static int on_match(void *ctx, const char *term, size_t len)
{
    match_ctx *m = ctx;
    salient *s = find(m->t, term, len);
    if (s) {
        json_array_append_new(m->matched, json_string(s->word));
        m->weight += s->salience;
    }
    return 0;
}

/* Word sets for near-duplicate detection. */
static double jaccard(const json_t *a, const json_t *b)
{
    size_t inter = 0, na = json_array_size(a), nb = json_array_size(b);
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            if (json_equal(json_array_get(a, i), json_array_get(b, j))) {
                inter++;
                break;
            }
    size_t uni = na + nb - inter;
    return uni ? (double)inter / (double)uni : 0;
}

static json_t *signature(const json_t *doc)
{
    json_t *sig = json_array();
    kb_tokens tk = KB_TOKENS_INIT;
    const char *f[] = {"title", "resolution"};
    for (int i = 0; i < 2; i++) {
        const char *s = kb_doc_str(doc, f[i]);
        if (kb_analyse(&tk, s, strlen(s), kb_stemmer_for("en"), 1, NULL) !=
            KB_OK)
            continue;
        for (size_t j = 0; j < tk.n && json_array_size(sig) < 200; j++) {
            const kb_token *k = &tk.v[j];
            if (k->kind == KB_TOK_CJK1 ||
                (k->kind == KB_TOK_WORD &&
                 kb_is_stopword(kb_tok_word(&tk, k), k->wlen)))
                continue;
            json_t *t = json_stringn(kb_tok_term(&tk, k), k->tlen);
            int dup = 0;
            size_t x;
            json_t *e;
            json_array_foreach(sig, x, e) dup |= json_equal(e, t);
            if (dup)
                json_decref(t);
            else
                json_array_append_new(sig, t);
        }
    }
    kb_tokens_free(&tk);
    return sig;
}

int kb_suggest(json_t **out, kb_xdb *db, const kb_config *cfg,
               const kb_suggest_opts *o, char **errmsg)
{
    const char *subject = o->subject, *desc = o->description;
    const char *product = o->product, *category = o->category;
    const json_t *exclude = o->exclude;
    long limit = o->limit > 0 ? o->limit : 10;
    *out = NULL;

    /* 1. Salient terms: weight in the collection (idf), not position. */
    term_table *t = calloc(1, sizeof *t);
    if (!t)
        return kb_fail(errmsg, KB_ENOMEM, "out of memory");
    uint32_t N = 0;
    kb_xdb_doccount(db, &N, NULL);
    if (subject)
        collect(t, subject, 1);
    if (desc)
        collect(t, desc, 0);
    int keep = 0;
    for (int i = 0; i < t->n; i++) {
        uint32_t tf = 0;
        kb_xdb_termfreq(db, t->v[i].term, strlen(t->v[i].term), &tf, NULL);
        if (!tf)
            continue;
        double idf = log(1.0 + (double)N / tf);
        t->v[i].salience = idf * (1 + log(t->v[i].count)) *
                           (t->v[i].in_subject ? o->subject_weight : 1.0);
        t->v[keep++] = t->v[i];
    }
    t->n = keep;
    qsort(t->v, (size_t)t->n, sizeof *t->v, by_salience);
    int cap = o->max_terms > 0 && o->max_terms < MAX_SALIENT ? o->max_terms
                                                             : MAX_SALIENT;
    /* A term counts only if some document the caller may see has it, so
     * that neither "terms" nor "match" tells of hidden documents. */
    int kept = 0;
    for (int i = 0; i < t->n && kept < cap; i++) {
        kb_xquery *tq =
            kb_xquery_term(t->v[i].term, strlen(t->v[i].term), 1, 0);
        kb_xquery *fq = kb_audience_restrict(tq, o->audience);
        kb_xsearch_opts xo1;
        kb_search_xopts(&xo1, cfg);
        xo1.maxitems = 1;
        xo1.bool_only = 1;
        kb_xmset *m1 = NULL;
        if (fq && kb_xdb_search(&m1, db, fq, &xo1, NULL) == KB_OK &&
            kb_xmset_size(m1) > 0)
            t->v[kept++] = t->v[i];
        kb_xmset_free(m1);
        kb_xquery_free(fq);
        kb_xquery_free(tq);
    }
    t->n = kept;
    double total_sal = 0;
    for (int i = 0; i < t->n; i++)
        total_sal += t->v[i].salience;

    json_t *res = json_pack("{s:[],s:[]}", "results", "terms");
    for (int i = 0; i < t->n; i++)
        json_array_append_new(json_object_get(res, "terms"),
                              json_string(t->v[i].word));
    if (!t->n) {
        free(t);
        *out = res;
        return KB_OK;
    }

    /* 2. Search: OR of the salient terms, subject terms counted twice. */
    kb_xquery *parts[MAX_SALIENT];
    for (int i = 0; i < t->n; i++)
        parts[i] = kb_xquery_term(t->v[i].term, strlen(t->v[i].term),
                                  t->v[i].in_subject ? 2 : 1, 0);
    kb_xquery *base = kb_xquery_combine(KB_XOP_OR, parts, (size_t)t->n, 0);
    for (int i = 0; i < t->n; i++)
        kb_xquery_free(parts[i]);

    kb_xquery *excl = NULL;
    if (json_array_size(exclude)) {
        kb_xquery *ex[64];
        size_t ne = 0, i;
        json_t *id;
        json_array_foreach(exclude, i, id)
        {
            char term[KB_ID_MAX + 2];
            if (!json_is_string(id) || ne == 64)
                continue;
            snprintf(term, sizeof term, "Q%s", json_string_value(id));
            ex[ne++] = kb_xquery_term(term, strlen(term), 1, 0);
        }
        excl = kb_xquery_combine(KB_XOP_OR, ex, ne, 0);
        for (size_t k = 0; k < ne; k++)
            kb_xquery_free(ex[k]);
    }

    kb_xsearch_opts xo;
    kb_search_xopts(&xo, cfg);
    xo.maxitems = POOL;
    kb_xmset *ms = NULL;
    kb_xquery *q = NULL;
    int rc = KB_OK;
    for (int round = 0; round < 2 && rc == KB_OK; round++) {
        kb_xquery *fq = kb_audience_restrict(base, o->audience);
        if (excl) {
            kb_xquery *p2[2] = {fq, excl};
            kb_xquery *nq = kb_xquery_combine(KB_XOP_AND_NOT, p2, 2, 0);
            kb_xquery_free(fq);
            fq = nq;
        }
        kb_xquery_free(q);
        q = fq;
        kb_xmset_free(ms);
        ms = NULL;
        rc = kb_xdb_search(&ms, db, q, &xo, errmsg);
        if (rc != KB_OK || round == 1 || kb_xmset_size(ms) == 0 ||
            o->expand_terms <= 0)
            break;
        /* 3. Relevance feedback from the best hits. */
        kb_xquery *exs =
            kb_expansion(ms, (uint32_t)o->expand_docs,
                         (uint32_t)o->expand_terms, o->expand_weight);
        if (!exs)
            break;
        kb_xquery *p2[2] = {base, exs};
        kb_xquery *nb = kb_xquery_combine(KB_XOP_OR, p2, 2, 0);
        kb_xquery_free(exs);
        kb_xquery_free(base);
        base = nb;
    }
    /* 4. Re-rank: same product first among equals, collapse copies. */
    json_t *pool = json_array();
    for (uint32_t i = 0; rc == KB_OK && i < kb_xmset_size(ms); i++) {
        const char *data;
        size_t dlen;
        if (kb_xmset_data(ms, i, &data, &dlen, NULL) != KB_OK)
            continue;
        json_t *doc = kb_doc_unpack(data, dlen);
        if (!doc)
            continue;
        double score = kb_xmset_weight(ms, i);
        if (product && *product && !strcmp(kb_doc_str(doc, "product"), product))
            score *= o->product_boost;
        if (category && *category &&
            !strcmp(kb_doc_str(doc, "category"), category))
            score *= 1.05;
        match_ctx m = {json_array(), t, 0};
        kb_xmset_matching_terms(ms, i, on_match, &m, NULL);
        kb_termset hl = KB_TERMSET_INIT;
        for (int k = 0; k < t->n; k++)
            kb_termset_add(&hl, t->v[k].term, strlen(t->v[k].term));
        json_t *res2 = kb_result_from_doc(doc, &hl, 240, 1);
        kb_termset_free(&hl);
        double cover = total_sal > 0 ? m.weight / total_sal : 0;
        json_object_set_new(res2, "score",
                            json_real(round(score * 1000) / 1000));
        json_object_set_new(res2, "match",
                            json_real(round(cover * 1000) / 1000));
        json_object_set_new(res2, "matched_terms", m.matched);
        json_object_set_new(res2, "_sig", signature(doc));
        if (!strcmp(kb_doc_str(doc, "kind"), "ticket"))
            json_object_set_new(res2, "resolution",
                                json_string(kb_doc_str(doc, "resolution")));
        else if (!strcmp(kb_doc_str(doc, "kind"), "faq"))
            json_object_set_new(res2, "answer",
                                json_string(kb_doc_str(doc, "body")));
        json_array_append_new(pool, res2);
        json_decref(doc);
    }
    /* Stable sort by adjusted score (insertion sort: the pool is small). */
    for (size_t i = 1; i < json_array_size(pool); i++) {
        for (size_t j = i; j > 0; j--) {
            double a = json_real_value(
                json_object_get(json_array_get(pool, j - 1), "score"));
            double b = json_real_value(
                json_object_get(json_array_get(pool, j), "score"));
            if (b <= a)
                break;
            json_t *x = json_incref(json_array_get(pool, j - 1));
            json_array_set(pool, j - 1, json_array_get(pool, j));
            json_array_set_new(pool, j, x);
        }
    }
    json_t *results = json_object_get(res, "results");
    size_t i;
    json_t *cand;
    json_array_foreach(pool, i, cand)
    {
        if ((long)json_array_size(results) >= limit)
            break;
        int dup = 0;
        size_t j;
        json_t *kept;
        json_array_foreach(results, j, kept)
        {
            if (jaccard(json_object_get(kept, "_sig"),
                        json_object_get(cand, "_sig")) >= o->duplicate) {
                json_t *d = json_object_get(kept, "duplicates");
                if (!d) {
                    d = json_array();
                    json_object_set_new(kept, "duplicates", d);
                }
                json_array_append(d, json_object_get(cand, "id"));
                dup = 1;
                break;
            }
        }
        if (dup)
            continue;
        double cover = json_real_value(json_object_get(cand, "match"));
        json_object_set_new(cand, "confidence",
                            json_string(cover >= o->strong   ? "strong"
                                        : cover >= o->medium ? "medium"
                                                             : "weak"));
        json_array_append(results, cand);
    }
    json_array_foreach(results, i, cand) json_object_del(cand, "_sig");
    json_decref(pool);
    kb_xmset_free(ms);
    kb_xquery_free(q);
    kb_xquery_free(base);
    kb_xquery_free(excl);
    free(t);
    if (rc != KB_OK) {
        json_decref(res);
        return rc;
    }
    *out = res;
    return KB_OK;
}

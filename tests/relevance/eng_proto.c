/* eng_proto.c - prototypes of ranking changes, measured without touching
 * shared/: the query is kb_search's own (kb_query_build) and the index is
 * either deskdex's own (kb_store_put) or, for index-side proposals, one
 * built here with the same analyser (kb_analyse) and the same term scheme
 * as kb_store.c, so kb_query_build works on it unchanged.
 *
 * --proto takes comma-separated key=value settings:
 *   twdf=N      index: wdf multiplier of title/question words (kb_store: 3)
 *   bwdf=N      index: wdf multiplier of body/answer words (kb_store: 1)
 *   sections=1  index (stackfaq-thread): one document per question+answer,
 *               results collapsed to one per article (value slot 5)
 *   sboost=X    query: add X * BM25 of the query's words among the title
 *               words (the S-prefixed terms kb_store already writes), so
 *               a title/question match counts as a field of its own
 *   rf=T:D:W    query: relevance feedback, T expansion terms from the top
 *               D hits, weighted W, then search again
 *   nostop=1    query: keep English stop words in the title part
 *   xstop=1     query: also drop question filler words ("way", "possible",
 *               "want", "like", "need", "know", ...) before kb_query_build
 *   prox=X:W    query: add X * the BM25 of adjacent pairs of the query's
 *               content words found within W positions (in order)
 *   answers=K   index (stackfaq-thread): only the first K answers
 *   tfield=X    query: score = BM25 over the whole document + X * BM25
 *               over an index of the titles alone (the title as a field
 *               with its own length normalisation), fused here
 *   spellor=1   query: when spelling finds a correction, search the
 *               original OR the corrected query (instead of replacing it)
 *   group=1     stackfaq (QA pairs): rank articles (the pairs of a thread
 *               joined, with sboost etc.) and list each article's pairs
 *               in the order of a pair-level search
 *   group=2     stackfaq (QA pairs), one index: the pairs found, regrouped
 *               by thread, threads in the order of their best pair
 *   group=3     the same, threads by the sum of their pairs' weights
 *   gw=X        with group=1: instead, score each pair by its own weight +
 *               X * its article's weight
 *   semeval: the query is kb_search's over subject + body, filtered to the
 *   query's own candidates (Q terms) instead of kb_suggest.
 */
#include "eng_deskdex.h"

#include "kb_doc.h"
#include "kb_error.h"
#include "kb_search.h"
#include "kb_store.h"
#include "kb_text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define GAP 100 /* positions between fields, as kb_store.c */

typedef struct {
    int twdf, bwdf, sections, nostop, xstop, answers, group;
    double sboost;
    int rf_terms, rf_docs;
    double rf_weight;
    double prox;
    int prox_window;
    double tfield;
    double gw;
    int spellor;
} proto_spec;

typedef struct {
    proto_spec p;
    rel_opts o;
    kb_config cfg;
    char *dir, *adir, *tdir;
    kb_xdb *db;  /* the set's documents */
    kb_xdb *art; /* group=1: the articles the pairs belong to */
    kb_xdb *tit; /* tfield: the titles alone */
} proto_state;

/* A number >= 0 from v; -1 when v is not one. */
static double number(const char *v)
{
    char *end = NULL;
    errno = 0;
    double x = strtod(v, &end);
    return (errno || end == v || *end || x < 0) ? -1 : x;
}

static int parse_spec(proto_spec *p, const char *s)
{
    proto_spec d = {3, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    *p = d;
    while (s && *s) {
        char key[32], val[64];
        size_t n = strcspn(s, ","), k = strcspn(s, "=");
        if (k >= n || k >= sizeof key || n - k - 1 >= sizeof val) {
            fprintf(stderr, "relevance: bad --proto item %.*s\n", (int)n, s);
            return -1;
        }
        memcpy(key, s, k);
        key[k] = '\0';
        memcpy(val, s + k + 1, n - k - 1);
        val[n - k - 1] = '\0';
        const struct {
            const char *name;
            int *i;
            double *d;
        } keys[] = {{"twdf", &p->twdf, NULL},       {"bwdf", &p->bwdf, NULL},
                    {"sections", &p->sections, NULL},
                    {"nostop", &p->nostop, NULL},   {"xstop", &p->xstop, NULL},
                    {"answers", &p->answers, NULL}, {"group", &p->group, NULL},
                    {"spellor", &p->spellor, NULL}, {"sboost", NULL, &p->sboost},
                    {"tfield", NULL, &p->tfield},   {"gw", NULL, &p->gw}};
        size_t i;
        for (i = 0; i < sizeof keys / sizeof *keys; i++)
            if (!strcmp(key, keys[i].name))
                break;
        double x = i < sizeof keys / sizeof *keys ? number(val) : 0;
        if (i < sizeof keys / sizeof *keys && x >= 0) {
            if (keys[i].i)
                *keys[i].i = (int)x;
            else
                *keys[i].d = x;
        } else if (!strcmp(key, "rf")) {
            if (sscanf(val, "%d:%d:%lf", &p->rf_terms, &p->rf_docs,
                       &p->rf_weight) != 3) {
                fprintf(stderr, "relevance: rf=TERMS:DOCS:WEIGHT\n");
                return -1;
            }
        } else if (!strcmp(key, "prox")) {
            if (sscanf(val, "%lf:%d", &p->prox, &p->prox_window) != 2) {
                fprintf(stderr, "relevance: prox=WEIGHT:WINDOW\n");
                return -1;
            }
        } else {
            fprintf(stderr, "relevance: bad --proto setting %s=%s\n", key,
                    val);
            return -1;
        }
        s += n + (s[n] == ',');
    }
    return 0;
}

/* --- the index-side prototype: kb_store.c's terms with other weights --- */

static int add_text(kb_xdoc *xd, kb_tokens *tk, const char *text,
                    uint32_t *pos, uint32_t wdf, const char *prefix)
{
    char t[256];
    if (!*text)
        return 0;
    if (kb_analyse(tk, text, strlen(text), kb_stemmer_for("en"), *pos,
                   NULL) != KB_OK)
        return -1;
    for (size_t i = 0; i < tk->n; i++) {
        const kb_token *k = &tk->v[i];
        kb_xdoc_add_term(xd, kb_tok_term(tk, k), k->tlen, k->pos, wdf);
        if (prefix && k->tlen + 2 < sizeof t) {
            snprintf(t, sizeof t, "%s%s", prefix, kb_tok_term(tk, k));
            kb_xdoc_add_term(xd, t, strlen(t), 0, 1);
        }
        if (k->pos >= *pos)
            *pos = k->pos + 1;
    }
    *pos += GAP;
    return 0;
}

static void add_bool(kb_xdoc *xd, char prefix, const char *v)
{
    char t[256];
    snprintf(t, sizeof t, "%c%s", prefix, v);
    kb_xdoc_add_term(xd, t, strlen(t), 0, 0);
}

/* Spelling words as kb_store.c adds them: distinct unstemmed words. */
static void add_spelling(kb_xdb *w, kb_tokens *tk, const char *text)
{
    if (kb_analyse(tk, text, strlen(text), NULL, 1, NULL) != KB_OK)
        return;
    for (size_t i = 0; i < tk->n; i++) {
        const kb_token *k = &tk->v[i];
        const char *wd = kb_tok_word(tk, k);
        if (k->kind != KB_TOK_WORD || k->wlen < 3 || k->wlen > 32 ||
            (wd[0] >= '0' && wd[0] <= '9'))
            continue;
        kb_xdb_add_spelling(w, wd, k->wlen, 1, NULL);
    }
}

static int put_custom(kb_xdb *w, const proto_spec *p, const char *id,
                      const char *title, const char *body,
                      const char *parent, const char *lang)
{
    json_t *in = json_pack("{s:s,s:s,s:s,s:s}", "id", id, "question", title,
                           "answer", body, "lang", lang);
    json_t *doc = NULL;
    kb_xdoc *xd = kb_xdoc_new();
    kb_tokens tk = KB_TOKENS_INIT;
    uint32_t pos = 1;
    char q[300];
    int rc = -1;
    if (!in || !xd || kb_doc_from_json(&doc, in, NULL, NULL) != KB_OK)
        goto done;
    if (parent)
        json_object_set_new(doc, "parent", json_string(parent));
    if (add_text(xd, &tk, kb_doc_str(doc, "title"), &pos, (uint32_t)p->twdf,
                 "S") ||
        add_text(xd, &tk, kb_doc_str(doc, "body"), &pos, (uint32_t)p->bwdf,
                 NULL))
        goto done;
    add_bool(xd, 'Q', id);
    add_bool(xd, 'K', "faq");
    add_bool(xd, 'V', "public");
    add_bool(xd, 'X', "published");
    add_bool(xd, 'L', lang);
    if (parent)
        kb_xdoc_add_value(xd, KB_SLOT_DUPKEY, parent, strlen(parent));
    char *data = json_dumps(doc, JSON_COMPACT);
    if (data)
        kb_xdoc_set_data(xd, data, strlen(data));
    free(data);
    snprintf(q, sizeof q, "Q%s", id);
    if (kb_xdb_replace(w, q, strlen(q), xd, NULL) != KB_OK)
        goto done;
    add_spelling(w, &tk, kb_doc_str(doc, "title"));
    add_spelling(w, &tk, kb_doc_str(doc, "body"));
    rc = 0;
done:
    kb_tokens_free(&tk);
    kb_xdoc_free(xd);
    json_decref(doc);
    json_decref(in);
    return rc;
}

/* The first k blank-line separated parts of body (all when k <= 0). New. */
static char *first_answers(const char *body, int k)
{
    const char *a = body;
    for (int n = 0; k > 0 && *a; n++) {
        if (n == k)
            break;
        a += strcspn(a, "\n");
        if (n + 1 < k)
            while (*a == '\n')
                a++;
    }
    return k > 0 ? strndup(body, (size_t)(a - body)) : strdup(body);
}

/* Index s (or, with articles, one document per group of s) in a new
 * directory with this prototype's term weights. */
static int build_custom(char **dir, const proto_spec *p, const rel_set *s,
                        int articles, int titles)
{
    kb_xdb *w = NULL;
    const char *lang = s->lang_zh ? "zh" : "en";
    int bad = 0;
    if (!(*dir = rel_tempdir("proto")) ||
        kb_xdb_open(&w, *dir, KB_XDB_WRITE | KB_XDB_NOSYNC, NULL) != KB_OK ||
        kb_xdb_begin(w, NULL) != KB_OK) {
        kb_xdb_close(w);
        return -1;
    }
    for (size_t i = 0; i < s->ndocs; i++) {
        const rel_doc *d = &s->docs[i];
        if (articles) {
            /* Pairs of one thread are consecutive in the corpus. */
            size_t e = i;
            size_t len = 0;
            while (e < s->ndocs && !strcmp(s->docs[e].group, d->group))
                len += strlen(s->docs[e++].body) + 2;
            char *body = malloc(len + 1);
            size_t used = 0;
            for (size_t k = i; body && k < e; k++)
                used += (size_t)snprintf(body + used, len + 1 - used, "%s%s",
                                         k > i ? "\n\n" : "",
                                         s->docs[k].body);
            bad += !body || put_custom(w, p, d->group, d->title, body, NULL,
                                       lang) != 0;
            free(body);
            i = e - 1;
            continue;
        }
        if (titles) {
            bad += put_custom(w, p, d->id, d->title, "", NULL, lang) != 0;
            continue;
        }
        if (!(p->sections && s->kind == REL_STACKFAQ_THREAD)) {
            char *body = first_answers(d->body, p->answers);
            bad += !body ||
                   put_custom(w, p, d->id, d->title, body, NULL, lang) != 0;
            free(body);
            continue;
        }
        /* The article's answers, one section each (the loader joined them
         * with blank lines; the sets' texts have no newlines). */
        const char *a = d->body;
        for (int n = 1; *a && (p->answers <= 0 || n <= p->answers); n++) {
            size_t len = strcspn(a, "\n");
            char id[160], *ans = strndup(a, len);
            snprintf(id, sizeof id, "%s.s%d", d->id, n);
            bad += !ans || put_custom(w, p, id, d->title, ans, d->id,
                                      lang) != 0;
            free(ans);
            a += len;
            while (*a == '\n')
                a++;
        }
    }
    int rc = kb_xdb_commit(w, NULL);
    kb_xdb_close(w);
    if (bad)
        fprintf(stderr, "relevance: proto: %d documents not indexed\n", bad);
    return rc == KB_OK ? 0 : -1;
}

/* --- the engine --- */

static void pr_close(void *p);

static int pr_open(void **out, const rel_set *s, const rel_opts *o)
{
    proto_state *st = calloc(1, sizeof *st);
    kb_xdb *w = NULL;
    *out = NULL;
    if (!st)
        return -1;
    st->o = *o;
    if (parse_spec(&st->p, o->proto) != 0 || rel_dd_config(&st->cfg, o) != 0)
        goto fail;
    const proto_spec *p = &st->p;
    int custom = p->twdf != 3 || p->bwdf != 1 || p->sections || p->answers;
    if (custom ? build_custom(&st->dir, p, s, 0, 0) != 0
               : rel_dd_build(&st->dir, &w, s, o, "published") != 0)
        goto fail;
    kb_xdb_close(w);
    if (kb_xdb_open(&st->db, st->dir, KB_XDB_READ, NULL) != KB_OK)
        goto fail;
    if (p->group == 1 && s->kind == REL_STACKFAQ &&
        (build_custom(&st->adir, p, s, 1, 0) != 0 ||
         kb_xdb_open(&st->art, st->adir, KB_XDB_READ, NULL) != KB_OK))
        goto fail;
    if (p->tfield > 0 &&
        (build_custom(&st->tdir, p, s, 0, 1) != 0 ||
         kb_xdb_open(&st->tit, st->tdir, KB_XDB_READ, NULL) != KB_OK))
        goto fail;
    *out = st;
    return 0;
fail:
    pr_close(st);
    return -1;
}

/* Words of a support question that say nothing about its subject. */
static const char *const fillers[] = {
    "able",  "also",   "anyone", "could", "get",       "got",     "i'd",
    "i'll",  "i've",   "know",   "like",  "need",      "needs",   "possible",
    "somehow", "someone", "something", "thing", "things", "want", "wants",
    "way",   "ways",   "what's", "would", "there's",   NULL};

/* text without the filler words (compared case-insensitively, ignoring
 * punctuation around them). New. */
static char *drop_fillers(const char *text)
{
    size_t n = strlen(text);
    char *out = malloc(2 * n + 2), *o = out;
    if (!out)
        return NULL;
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, " \t");
        size_t a = 0, e = len;
        while (a < e && strchr("?.,!;:\"(", p[a]))
            a++;
        while (e > a && strchr("?.,!;:\")", p[e - 1]))
            e--;
        int drop = 0;
        for (int i = 0; fillers[i] && !drop; i++)
            drop = strlen(fillers[i]) == e - a &&
                   !strncasecmp(fillers[i], p + a, e - a);
        if (!drop) {
            memcpy(o, p, len);
            o += len;
            *o++ = ' ';
        }
        p += len;
        while (*p == ' ' || *p == '\t')
            p++;
    }
    *o = '\0';
    return out;
}

/* OR of the S-prefixed (title) terms of the query's words. New or NULL. */
static kb_xquery *title_query(const char *text, int nostop)
{
    kb_tokens tk = KB_TOKENS_INIT;
    kb_xquery *v[128], *q = NULL;
    size_t n = 0;
    char t[256];
    if (kb_analyse(&tk, text, strlen(text), kb_stemmer_for("en"), 1, NULL) ==
        KB_OK) {
        for (size_t i = 0; i < tk.n && n < 128; i++) {
            const kb_token *k = &tk.v[i];
            if (k->kind == KB_TOK_CJK1 && tk.n > 1)
                continue;
            if (!nostop && k->kind == KB_TOK_WORD &&
                kb_is_stopword(kb_tok_word(&tk, k), k->wlen))
                continue;
            if (k->tlen + 2 >= sizeof t)
                continue;
            snprintf(t, sizeof t, "S%s", kb_tok_term(&tk, k));
            v[n++] = kb_xquery_term(t, strlen(t), 1, 0);
        }
    }
    if (n)
        q = kb_xquery_combine(KB_XOP_OR, v, n, 0);
    for (size_t i = 0; i < n; i++)
        kb_xquery_free(v[i]);
    kb_tokens_free(&tk);
    return q;
}

/* OR of PHRASE(a, b, window) over adjacent content words. New or NULL. */
static kb_xquery *pair_query(const char *text, unsigned window)
{
    kb_tokens tk = KB_TOKENS_INIT;
    kb_xquery *v[128], *q = NULL;
    size_t n = 0;
    long prev = -1;
    if (kb_analyse(&tk, text, strlen(text), kb_stemmer_for("en"), 1, NULL) ==
        KB_OK) {
        for (size_t i = 0; i < tk.n && n < 128; i++) {
            const kb_token *k = &tk.v[i];
            if (k->kind != KB_TOK_WORD ||
                kb_is_stopword(kb_tok_word(&tk, k), k->wlen))
                continue;
            if (prev >= 0) {
                const kb_token *a = &tk.v[prev];
                kb_xquery *pp[2] = {
                    kb_xquery_term(kb_tok_term(&tk, a), a->tlen, 1, 1),
                    kb_xquery_term(kb_tok_term(&tk, k), k->tlen, 1, 2)};
                v[n++] = kb_xquery_combine(KB_XOP_PHRASE, pp, 2, window);
                kb_xquery_free(pp[0]);
                kb_xquery_free(pp[1]);
            }
            prev = (long)i;
        }
    }
    if (n)
        q = kb_xquery_combine(KB_XOP_OR, v, n, 0);
    for (size_t i = 0; i < n; i++)
        kb_xquery_free(v[i]);
    kb_tokens_free(&tk);
    return q;
}

static kb_xquery *combine2(kb_xop op, kb_xquery *a, kb_xquery *b)
{
    kb_xquery *v[2] = {a, b};
    kb_xquery *q = kb_xquery_combine(op, v, 2, 0);
    kb_xquery_free(a);
    kb_xquery_free(b);
    return q;
}

/* q AND_MAYBE (extra scaled by w); both are consumed. */
static kb_xquery *boost(kb_xquery *q, kb_xquery *extra, double w)
{
    if (!extra)
        return q;
    kb_xquery *sc = kb_xquery_scale(extra, w);
    kb_xquery_free(extra);
    return combine2(KB_XOP_AND_MAYBE, q, sc);
}

typedef struct {
    kb_xquery *v[64];
    int n;
} terms;

static int on_term(void *ctx, const char *t, size_t len, double w)
{
    terms *e = ctx;
    (void)w;
    if (e->n < 64)
        e->v[e->n++] = kb_xquery_term(t, len, 1, 0);
    return 0;
}

/* The prototype's search for q on db: kb_query_build as kb_search does it
 * (with its spelling rule), then the prototype's additions. *out new. */
static int search(kb_xmset **out, proto_state *st, kb_xdb *db,
                  const rel_set *s, const rel_query *q, uint32_t limit,
                  int collapse)
{
    kb_search_opts so = KB_SEARCH_OPTS_INIT;
    kb_query *kq = NULL, *kq2 = NULL;
    kb_xquery *xq = NULL;
    kb_xmset *ms = NULL;
    kb_xsearch_opts xo;
    const proto_spec *p = &st->p;
    char *raw = rel_query_string(q), *text = NULL;
    int rc = -1;
    *out = NULL;
    text = raw && p->xstop ? drop_fillers(raw) : raw;
    if (text != raw)
        free(raw);
    so.q = text;
    so.audience = s->kind == REL_SEMEVAL ? KB_AUD_AGENT
                                         : (kb_audience)st->o.audience;
    so.spelling = st->o.spelling;
    so.snippets = 0;
    so.facets = 0;
    if (!text || kb_query_build(&kq, db, &st->cfg, &so, NULL) != KB_OK)
        goto done;
    kb_search_xopts(&xo, &st->cfg);
    xo.maxitems = limit;
    if (collapse)
        xo.collapse_slot = KB_SLOT_DUPKEY;
    /* As kb_search: a corrected query is used when it finds anything. */
    const kb_query *use = kq;
    const char *used = text;
    if (kb_query_corrected(kq)) {
        kb_search_opts o2 = so;
        o2.q = kb_query_corrected(kq);
        o2.spelling = 0;
        if (kb_query_build(&kq2, db, &st->cfg, &o2, NULL) == KB_OK &&
            kb_query_xquery(kq2) &&
            kb_xdb_search(&ms, db, kb_query_xquery(kq2), &xo, NULL) ==
                KB_OK &&
            kb_xmset_size(ms)) {
            use = kq2;
            used = o2.q;
        }
        kb_xmset_free(ms);
        ms = NULL;
    }
    if (!kb_query_xquery(use)) {
        rc = 0; /* nothing to search for */
        goto done;
    }
    xq = kb_xquery_scale(kb_query_xquery(use), 1.0); /* a copy */
    if (p->spellor && use == kq2 && kb_query_xquery(kq))
        xq = combine2(KB_XOP_OR, xq,
                      kb_xquery_scale(kb_query_xquery(kq), 1.0));
    if (p->sboost > 0)
        xq = boost(xq, title_query(used, p->nostop), p->sboost);
    if (p->prox > 0)
        xq = boost(xq, pair_query(used, (unsigned)p->prox_window), p->prox);
    if (s->kind == REL_SEMEVAL) {
        kb_xquery *v[16];
        size_t n = 0;
        char t[160];
        for (size_t i = 0; i < q->ncands && n < 16; i++) {
            snprintf(t, sizeof t, "Q%s", s->docs[q->cands[i]].id);
            v[n++] = kb_xquery_term(t, strlen(t), 1, 0);
        }
        kb_xquery *f = kb_xquery_combine(KB_XOP_OR, v, n, 0);
        for (size_t i = 0; i < n; i++)
            kb_xquery_free(v[i]);
        xq = combine2(KB_XOP_FILTER, xq, f);
    }
    if (kb_xdb_search(&ms, db, xq, &xo, NULL) != KB_OK)
        goto done;
    if (p->rf_terms > 0 && kb_xmset_size(ms)) {
        terms e = {.n = 0};
        kb_xmset_expand(ms, (uint32_t)p->rf_docs, (uint32_t)p->rf_terms,
                        on_term, &e, NULL);
        if (e.n) {
            kb_xquery *ex = kb_xquery_combine(KB_XOP_OR, e.v, (size_t)e.n, 0);
            for (int i = 0; i < e.n; i++)
                kb_xquery_free(e.v[i]);
            /* The expansion only re-ranks what the query found. */
            xq = boost(xq, ex, p->rf_weight);
            kb_xmset_free(ms);
            ms = NULL;
            if (kb_xdb_search(&ms, db, xq, &xo, NULL) != KB_OK)
                goto done;
        }
    }
    *out = ms;
    ms = NULL;
    rc = 0;
done:
    kb_xmset_free(ms);
    kb_xquery_free(xq);
    kb_query_free(kq);
    kb_query_free(kq2);
    free(text);
    return rc;
}

/* The id a hit stands for: its "parent" (a section's article) or "id". */
static long hit_doc(const rel_set *s, kb_xmset *ms, uint32_t i)
{
    const char *data;
    size_t len;
    long d = -1;
    if (kb_xmset_data(ms, i, &data, &len, NULL) != KB_OK)
        return -1;
    json_t *doc = kb_doc_unpack(data, len);
    const char *id = kb_doc_str(doc, "parent");
    if (!*id)
        id = kb_doc_str(doc, "id");
    d = rel_set_find(s, id, strlen(id));
    json_decref(doc);
    return d;
}

typedef struct {
    long doc;
    double score;
} scored;

static int by_score(const void *a, const void *b)
{
    double x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    return (x < y) - (x > y);
}

/* r = documents by weight in a + w * weight in b. */
static void fuse(const rel_set *s, kb_xmset *a, kb_xmset *b, double w,
                 rel_ranking *r)
{
    scored *v = calloc(s->ndocs + 1, sizeof *v);
    if (!v)
        return;
    for (size_t i = 0; i < s->ndocs; i++)
        v[i].doc = (long)i;
    for (uint32_t i = 0; a && i < kb_xmset_size(a); i++) {
        long d = hit_doc(s, a, i);
        if (d >= 0)
            v[d].score += kb_xmset_weight(a, i) + 1e-9;
    }
    for (uint32_t i = 0; b && i < kb_xmset_size(b); i++) {
        long d = hit_doc(s, b, i);
        if (d >= 0)
            v[d].score += w * kb_xmset_weight(b, i) + 1e-9;
    }
    qsort(v, s->ndocs, sizeof *v, by_score);
    for (size_t i = 0; i < s->ndocs && v[i].score > 0; i++)
        rel_ranking_add(r, (size_t)v[i].doc);
    free(v);
}

static int pr_rank(void *p, const rel_set *s, const rel_query *q,
                   rel_ranking *r)
{
    proto_state *st = p;
    kb_xmset *ms = NULL, *am = NULL;
    uint32_t limit = s->kind == REL_SEMEVAL ? (uint32_t)s->ndocs
                                            : (uint32_t)s->cutoff + 1;
    if (st->art || st->p.group >= 2)
        limit = (uint32_t)s->ndocs;
    if (search(&ms, st, st->db, s, q, limit, st->p.sections) != 0)
        return -1;
    if (st->tit) {
        kb_xmset *tm = NULL;
        if (search(&tm, st, st->tit, s, q, (uint32_t)s->ndocs, 0) != 0) {
            kb_xmset_free(ms);
            return -1;
        }
        fuse(s, ms, tm, st->p.tfield, r);
        kb_xmset_free(tm);
        kb_xmset_free(ms);
        return 0;
    }
    if (!st->art && st->p.group >= 2 && s->kind == REL_STACKFAQ) {
        size_t np = ms ? kb_xmset_size(ms) : 0;
        scored *v = calloc(np + 1, sizeof *v); /* per hit: its thread's key */
        long *doc = calloc(np + 1, sizeof *doc);
        for (size_t i = 0; v && doc && i < np; i++)
            doc[i] = hit_doc(s, ms, (uint32_t)i);
        for (size_t i = 0; v && doc && i < np; i++) {
            double key = 0;
            size_t first = i;
            for (size_t j = 0; j < np; j++) {
                long dj = doc[j];
                if (doc[i] < 0 || dj < 0 ||
                    strcmp(s->docs[dj].group, s->docs[doc[i]].group))
                    continue;
                if (j < first)
                    first = j;
                key += st->p.group == 3 ? kb_xmset_weight(ms, (uint32_t)j) : 0;
            }
            if (st->p.group == 2)
                key = kb_xmset_weight(ms, (uint32_t)first);
            /* threads by key, then the thread's first hit, then own rank */
            v[i].doc = (long)i;
            v[i].score = key * 1e6 - (double)first - (double)i / (np + 1);
        }
        if (v && doc) {
            qsort(v, np, sizeof *v, by_score);
            for (size_t i = 0; i < np; i++)
                if (doc[v[i].doc] >= 0)
                    rel_ranking_add(r, (size_t)doc[v[i].doc]);
        }
        free(v);
        free(doc);
        kb_xmset_free(ms);
        return 0;
    }
    if (!st->art) {
        for (uint32_t i = 0; ms && i < kb_xmset_size(ms); i++) {
            long d = hit_doc(s, ms, i);
            if (d >= 0)
                rel_ranking_add(r, (size_t)d);
        }
        kb_xmset_free(ms);
        return 0;
    }
    /* group=1: articles first, each with its pairs in the pairs' order. */
    if (search(&am, st, st->art, s, q, (uint32_t)s->cutoff, 0) != 0) {
        kb_xmset_free(ms);
        return -1;
    }
    size_t np = ms ? kb_xmset_size(ms) : 0;
    long *pairs = calloc(np + 1, sizeof *pairs);
    for (size_t i = 0; pairs && i < np; i++)
        pairs[i] = hit_doc(s, ms, (uint32_t)i);
    if (st->p.gw > 0 && pairs) {
        /* A pair's weight plus gw times its article's. */
        scored *v = calloc(np + 1, sizeof *v);
        size_t na = am ? kb_xmset_size(am) : 0;
        char **aid = calloc(na + 1, sizeof *aid);
        for (size_t a = 0; aid && a < na; a++) {
            const char *data;
            size_t len;
            if (kb_xmset_data(am, (uint32_t)a, &data, &len, NULL) != KB_OK)
                continue;
            json_t *doc = kb_doc_unpack(data, len);
            aid[a] = strdup(kb_doc_str(doc, "id"));
            json_decref(doc);
        }
        for (size_t i = 0; v && aid && i < np; i++) {
            v[i].doc = pairs[i];
            v[i].score = kb_xmset_weight(ms, (uint32_t)i);
            for (size_t a = 0; pairs[i] >= 0 && a < na; a++)
                if (aid[a] && !strcmp(aid[a], s->docs[pairs[i]].group))
                    v[i].score += st->p.gw * kb_xmset_weight(am, (uint32_t)a);
        }
        for (size_t a = 0; aid && a < na; a++)
            free(aid[a]);
        free(aid);
        if (v) {
            qsort(v, np, sizeof *v, by_score);
            for (size_t i = 0; i < np; i++)
                if (v[i].doc >= 0)
                    rel_ranking_add(r, (size_t)v[i].doc);
        }
        free(v);
        np = 0; /* done */
    }
    for (uint32_t a = 0; np && pairs && am && a < kb_xmset_size(am); a++) {
        const char *data;
        size_t len;
        if (kb_xmset_data(am, a, &data, &len, NULL) != KB_OK)
            continue;
        json_t *doc = kb_doc_unpack(data, len);
        const char *thread = kb_doc_str(doc, "id");
        for (size_t i = 0; i < np; i++)
            if (pairs[i] >= 0 && !strcmp(s->docs[pairs[i]].group, thread))
                rel_ranking_add(r, (size_t)pairs[i]);
        json_decref(doc);
    }
    free(pairs);
    kb_xmset_free(ms);
    kb_xmset_free(am);
    return 0;
}

static void pr_close(void *p)
{
    proto_state *st = p;
    if (!st)
        return;
    kb_xdb_close(st->db);
    kb_xdb_close(st->art);
    kb_xdb_close(st->tit);
    kb_config_free(&st->cfg);
    rel_rmtree(st->dir);
    rel_rmtree(st->adir);
    rel_rmtree(st->tdir);
    free(st->tdir);
    free(st->dir);
    free(st->adir);
    free(st);
}

const rel_engine rel_engine_proto = {"proto", pr_open, pr_rank, pr_close};

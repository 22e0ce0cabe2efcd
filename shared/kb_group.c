/* kb_group.c - hits listed by article (group=1): the parents of the best
 * sections ranked as whole texts, by BM25 with the section search's own
 * weights and statistics */
#include "kb_group.h"
#include "kb_buf.h"
#include "kb_error.h"
#include "kb_store.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GROUP_TERMS 128
/* A section under this share of its article's best section's score is
 * listed on its own (StackFAQ QA pairs: MAP 82.7 with every section kept,
 * 82.3 at 0.4, 81.6 at 0.5; a long manual no longer fills the page). */
#define GROUP_KEEP 0.4

/* The query's terms in units that score as one: a word, or the words of
 * a synonym (their wdfs added up), each with its weight factor. */
typedef struct {
    kb_xstr v[GROUP_TERMS];
    size_t unit[GROUP_TERMS];
    unsigned char title[GROUP_TERMS];
    size_t n;
    double factor[GROUP_TERMS]; /* per unit */
    unsigned syn[GROUP_TERMS];  /* per unit: the synonym's number, or 0 */
    size_t nunits;
    double title_weight;
} gterms;

/* Plain words count 1, title (S) words the title weight; a word said twice
 * counts twice, as in the section search. Terms are copied. */
static int on_gterm(void *ctx, const char *t, size_t len, unsigned syn)
{
    gterms *g = ctx;
    int title = len > 1 && t[0] == 'S' && !(t[1] >= 'A' && t[1] <= 'Z');
    if (!len || (t[0] >= 'A' && t[0] <= 'Z' && !title) ||
        (title && g->title_weight <= 0) || g->n == GROUP_TERMS)
        return 0;
    double factor = title ? g->title_weight : 1;
    size_t u = g->nunits;
    if (syn && u && g->syn[u - 1] == syn) {
        u--; /* another word of the same synonym */
    } else {
        for (size_t i = 0; !syn && i < g->n; i++)
            if (!g->syn[g->unit[i]] && g->v[i].n == len &&
                !memcmp(g->v[i].s, t, len)) {
                g->factor[g->unit[i]] += factor;
                return 0;
            }
        g->factor[u] = factor;
        g->syn[u] = syn;
        g->nunits++;
    }
    char *own = malloc(len);
    if (!own)
        return KB_ENOMEM;
    memcpy(own, t, len);
    g->v[g->n].s = own;
    g->v[g->n].n = len;
    g->unit[g->n] = u;
    g->title[g->n] = (unsigned char)title;
    g->n++;
    return 0;
}

typedef struct {
    gterms *g;
    double keep; /* the share of its weight a related word keeps */
} grel;

/* A related word was counted in full by on_gterm: take back what its
 * scaling took off. */
static int on_relterm(void *ctx, const char *t, size_t len, unsigned syn)
{
    grel *r = ctx;
    gterms *g = r->g;
    int title = len > 1 && t[0] == 'S' && !(t[1] >= 'A' && t[1] <= 'Z');
    (void)syn;
    for (size_t i = 0; i < g->n; i++) {
        size_t u = g->unit[i];
        if (!g->syn[u] && g->v[i].n == len && !memcmp(g->v[i].s, t, len)) {
            g->factor[u] -= (title ? g->title_weight : 1) * (1 - r->keep);
            if (g->factor[u] < 0)
                g->factor[u] = 0;
            break;
        }
    }
    return 0;
}

static int on_key(void *ctx, const char *t, size_t len)
{
    return kb_buf_add(ctx, t, len);
}

typedef struct {
    double score;
    size_t first; /* its best hit's rank */
    size_t a;     /* its index before sorting */
} garticle;

static int by_article(const void *a, const void *b)
{
    const garticle *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return (x->first > y->first) - (x->first < y->first);
}

/* A hit with its article's key, later with the article's rank in n. */
typedef struct {
    const char *s;
    size_t n;
    uint32_t i;
} ghit;

/* By key, then rank: ±2 where the keys differ, ±1 where only ranks do. */
static int by_key(const void *a, const void *b)
{
    const ghit *x = a, *y = b;
    int d = memcmp(x->s, y->s, x->n < y->n ? x->n : y->n);
    if (!d)
        d = (x->n > y->n) - (x->n < y->n);
    if (d)
        return d < 0 ? -2 : 2;
    return (x->i > y->i) - (x->i < y->i);
}

/* By article rank (in n), then the hit's own rank. */
static int by_rank(const void *a, const void *b)
{
    const ghit *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* BM25's inverse document frequency as Xapian computes it (odds below 2
 * pulled towards 1, so that no word weighs less than nothing). */
static double idf_of(double total, double tf)
{
    double odds = (total - tf + 0.5) / (tf + 0.5);
    if (odds < 2)
        odds = odds * 0.5 + 1;
    return log(odds);
}

int kb_group_order(kb_xdb *db, const kb_config *cfg, const kb_xquery *q,
                   const kb_xquery *rel, kb_audience aud, kb_xmset *ms,
                   uint32_t *order, char **errmsg)
{
    uint32_t n = kb_xmset_size(ms);
    gterms gt = {.title_weight = cfg ? cfg->title_weight : 0.5};
    kb_xsearch_opts xo;
    kb_search_xopts(&xo, cfg);
    double k1 = xo.k1, b = xo.b;
    kb_buf *key = calloc(n + 1, sizeof *key);
    ghit *hits = calloc(n + 1, sizeof *hits);
    size_t *of = calloc(n + 1, sizeof *of); /* hit -> article */
    kb_xstr *keys = calloc(n + 1, sizeof *keys);
    garticle *art = calloc(n + 1, sizeof *art);
    uint32_t *ndocs = calloc(n + 1, sizeof *ndocs);
    double *len = calloc(n + 1, sizeof *len);
    double *wdf = NULL, idf[GROUP_TERMS], avlen = 0;
    uint32_t total = 0;
    size_t na = 0, *rank = NULL;
    int rc = KB_ENOMEM;
    if (!key || !hits || !of || !keys || !art || !ndocs || !len)
        goto done;
    /* A hit's article: its parent's term G<parent>, or its own Q<id>; from
     * its value, or where an older index lacks it, its terms. */
    for (uint32_t i = 0; i < n; i++) {
        key[i].cap = 4096;
        rc = kb_xmset_value(ms, i, KB_SLOT_ARTICLE, on_key, &key[i], errmsg);
        if (rc == KB_OK && !key[i].len)
            rc = kb_xmset_term(ms, i, "G", 1, on_key, &key[i], errmsg);
        if (rc == KB_OK && !key[i].len)
            rc = kb_xmset_term(ms, i, "Q", 1, on_key, &key[i], errmsg);
        if (rc != KB_OK)
            goto done;
        hits[i].s = key[i].data ? key[i].data : "";
        hits[i].n = key[i].len;
        hits[i].i = i;
    }
    /* No hit has a parent: every article is its one section, scored as
     * the section is, and the list stays as it was (without reading a
     * posting list per hit). */
    uint32_t own = 0;
    while (own < n && key[own].len && key[own].data[0] == 'Q')
        own++;
    if (own == n) {
        for (uint32_t i = 0; i < n; i++)
            order[i] = i;
        rc = KB_OK;
        goto done;
    }
    /* Hits of one article next to each other, best first: one per run. */
    qsort(hits, n, sizeof *hits, by_key);
    for (uint32_t h = 0; h < n; h++) {
        if (!h || by_key(&hits[h - 1], &hits[h]) / 2) {
            keys[na].s = hits[h].s;
            keys[na].n = hits[h].n;
            art[na].first = hits[h].i;
            art[na].a = na;
            na++;
        }
        of[hits[h].i] = na - 1;
    }
    rc = kb_xquery_terms(q, on_gterm, &gt);
    if (rc == KB_OK && rel) {
        grel gr = {&gt, cfg->thesaurus_weight};
        rc = kb_xquery_terms(rel, on_relterm, &gr);
    }
    if (rc != KB_OK)
        goto done;
    rc = KB_ENOMEM;
    if (!(wdf = calloc(na * gt.n + 1, sizeof *wdf)))
        goto done;
    rc = kb_xdb_doccount(db, &total, errmsg);
    if (rc == KB_OK)
        rc = kb_xdb_avlength(db, &avlen, errmsg);
    /* A synonym's frequency: its words' as Xapian estimates an OR. */
    double utf[GROUP_TERMS] = {0};
    for (size_t t = 0; rc == KB_OK && t < gt.n; t++) {
        uint32_t tf = 0;
        rc = kb_xmset_termfreq(ms, gt.v[t].s, gt.v[t].n, &tf, errmsg);
        double *u = &utf[gt.unit[t]];
        *u = total ? *u + tf - *u * tf / total : 0;
    }
    for (size_t u = 0; u < gt.nunits; u++)
        idf[u] = idf_of(total, utf[u]) * gt.factor[u];
    const kb_xstr *hidden;
    size_t nhidden = kb_audience_hidden(aud, &hidden);
    if (rc == KB_OK)
        rc = kb_xdb_group_stats(db, keys, na, gt.v, gt.n, gt.title, hidden,
                                nhidden, ndocs, len, wdf, errmsg);
    if (rc != KB_OK)
        goto done;
    for (size_t a = 0; a < na; a++) {
        double norm = avlen > 0 ? len[a] / avlen : 1;
        double kk = k1 * ((norm < xo.min_normlen ? xo.min_normlen : norm) * b +
                          (1 - b));
        double f[GROUP_TERMS] = {0};
        for (size_t t = 0; t < gt.n; t++)
            f[gt.unit[t]] += wdf[a * gt.n + t];
        art[a].score = 0;
        for (size_t u = 0; u < gt.nunits; u++)
            if (f[u] > 0)
                art[a].score += idf[u] * (k1 + 1) * f[u] / (kk + f[u]);
    }
    /* A section far weaker than its article's best stands on its own, with
     * its own score: a long manual does not bring every section it has. */
    size_t items = na;
    for (uint32_t i = 0; i < n; i++) {
        double best = kb_xmset_weight(ms, (uint32_t)art[of[i]].first);
        if (kb_xmset_weight(ms, i) >= GROUP_KEEP * best)
            continue;
        art[items].score = kb_xmset_weight(ms, i);
        art[items].first = i;
        art[items].a = items;
        of[i] = items++;
    }
    if (!(rank = calloc(items + 1, sizeof *rank))) {
        rc = KB_ENOMEM;
        goto done;
    }
    qsort(art, items, sizeof *art, by_article);
    for (size_t r = 0; r < items; r++)
        rank[art[r].a] = r;
    /* Hits by their article's rank, then their own. */
    for (uint32_t i = 0; i < n; i++) {
        hits[i].n = rank[of[i]];
        hits[i].i = i;
    }
    qsort(hits, n, sizeof *hits, by_rank);
    for (uint32_t i = 0; i < n; i++)
        order[i] = hits[i].i;
    rc = KB_OK;
done:
    for (uint32_t i = 0; key && i < n; i++)
        kb_buf_free(&key[i]);
    free(key);
    free(hits);
    free(of);
    free(keys);
    free(art);
    free(ndocs);
    free(len);
    free(wdf);
    free(rank);
    for (size_t t = 0; t < gt.n; t++)
        free((char *)gt.v[t].s);
    return rc;
}

/* kb_search.c - the query language, audience filters and ranked results */
#include "kb_search.h"
#include "kb_buf.h"
#include "kb_doc.h"
#include "kb_error.h"
#include "kb_group.h"
#include "kb_pii.h"
#include "kb_store.h"
#include "kb_text.h"
#include "kb_thesaurus.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_CHUNKS 64    /* words looked at in one query */
#define WILDCARD_MAX 30  /* terms a prefix* may expand to */
#define FACET_SAMPLE 200 /* hits examined for facet counts */
#define LONG_SEEN 256    /* words of a long question weighed for it */
#define JOIN_MAX 48      /* longest first half of a joined word */

/* Completions of a word being typed: the most frequent, as each merges a
 * posting list into every keystroke's search (type-ahead p99 on 100,000
 * documents: 9.6 ms at 30, 5.8 at 8). */
#define TYPED_MAX 8

/* A thesaurus word in more documents than this share tells answers apart
 * little (idf under 3) and costs most: reading its long posting list
 * (instructions per short question on the bench corpus: +49% with every
 * related word, +21% without these; StackFAQ articles MRR 85.7 and 85.4),
 * unless its posting list is RELATED_CHEAP long or shorter. */
#define RELATED_MAX_SHARE 0.05
#define RELATED_CHEAP 1000

/* Query words whose related words are looked up: a question has fewer, a
 * pasted ticket text of 60 words would pay for all of them (+31%
 * instructions, against +17% with 16). */
#define RELATED_WORDS_MAX 16

/* A longer question (a pasted ticket text) is searched by this many of
 * its words, the rarest: they carry its meaning, and the common ones cost
 * most. */
#define LONG_WORDS 24

struct kb_query {
    kb_xquery *xq;
    kb_xquery *filter; /* field filters, or NULL */
    kb_audience audience;
    kb_xquery *excl; /* excluded words, or NULL */
    kb_xquery *rel;  /* related words before their scaling, or NULL */
    kb_termset terms;
    char *corrected;
};

/* --- query lists --- */

typedef struct {
    kb_xquery *v[512];
    size_t n;
} qlist;

static void ql_add(qlist *l, kb_xquery *q)
{
    if (!q)
        return;
    if (l->n < sizeof l->v / sizeof *l->v)
        l->v[l->n++] = q;
    else
        kb_xquery_free(q);
}

static void ql_free(qlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        kb_xquery_free(l->v[i]);
    l->n = 0;
}

/* Combine and free the parts; NULL when the list is empty. */
static kb_xquery *ql_combine(qlist *l, kb_xop op)
{
    kb_xquery *q = NULL;
    if (l->n == 1) {
        q = l->v[0];
        l->n = 0;
        return q;
    }
    if (l->n)
        q = kb_xquery_combine(op, l->v, l->n, 0);
    ql_free(l);
    return q;
}

static kb_xquery *pair(kb_xop op, kb_xquery *a, kb_xquery *b)
{
    kb_xquery *v[2] = {a, b};
    kb_xquery *q = kb_xquery_combine(op, v, 2, 0);
    kb_xquery_free(a);
    kb_xquery_free(b);
    return q;
}

static kb_xquery *bool_term(char prefix, const char *v, size_t n)
{
    char t[256];
    size_t k = 0;
    t[k++] = prefix;
    for (size_t i = 0; i < n && k < sizeof t - 1; i++)
        t[k++] = (v[i] >= 'A' && v[i] <= 'Z') ? (char)(v[i] + 32) : v[i];
    return kb_xquery_term(t, k, 1, 0);
}

/* The terms of what audience a may not see: drafts below editors, internal
 * documents for the public. Returns how many of them (0-2). */
size_t kb_audience_hidden(kb_audience a, const kb_xstr **out)
{
    static const kb_xstr hidden[2] = {{"Xdraft", 6}, {"Vinternal", 9}};
    *out = hidden;
    return a >= KB_AUD_EDITOR ? 0 : a == KB_AUD_PUBLIC ? 2 : 1;
}

kb_xquery *kb_audience_restrict(const kb_xquery *q, kb_audience a)
{
    kb_xquery *own =
        q ? kb_xquery_combine(KB_XOP_AND, (kb_xquery **)&q, 1, 0) : NULL;
    const kb_xstr *t;
    size_t n = kb_audience_hidden(a, &t);
    if (!own || !n)
        return own;
    kb_xquery *hidden = NULL;
    for (size_t i = 0; i < n; i++) {
        kb_xquery *term = kb_xquery_term(t[i].s, t[i].n, 1, 0);
        hidden = hidden ? pair(KB_XOP_OR, hidden, term) : term;
    }
    return pair(KB_XOP_AND_NOT, own, hidden);
}

void kb_search_xopts(kb_xsearch_opts *xo, const kb_config *cfg)
{
    kb_xsearch_opts d = KB_XSEARCH_OPTS_INIT;
    *xo = d;
    if (cfg) {
        xo->k1 = cfg->k1;
        xo->b = cfg->b;
    }
}

/* --- parsing --- */

typedef struct {
    kb_xdb *db;
    const kb_config *cfg;
    const kb_search_opts *o;
    kb_stemmer *st;
    kb_tokens tk;
    qlist pos, stop, req, excl;
    qlist title;    /* title (S) terms of corrections and of a typed word */
    qlist rel;      /* words related to them (the thesaurus), titled */
    uint32_t total; /* documents in the index, once asked */
    int nrelated;   /* query words whose related words were sought */
    qlist f_kind, f_product, f_category, f_tag, f_lang;
    kb_termset *terms;
    kb_buf corrected; /* the query with corrections applied */
    size_t copied;    /* bytes of the query copied into corrected */
    int corrections;
    /* A long question's words: counted in a first pass, the commonest
     * beyond LONG_WORDS left out of the second (keep_rarest). */
    int counting;
    size_t nseen;
    struct seen_word {
        uint32_t off, len, tf, order;
        int dropped;
    } seen[LONG_SEEN];
    kb_buf seen_terms;
    /* The last plain word, while the next may join it ("back up" finds
     * "backup"): its letters, or "" after anything else. */
    char prev[JOIN_MAX];
    size_t prev_end; /* where it ended in the query */
} parser;

static int is_space(const char *s, size_t *len)
{
    if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
        *len = 1;
        return 1;
    }
    if ((unsigned char)s[0] == 0xE3 && (unsigned char)s[1] == 0x80 &&
        (unsigned char)s[2] == 0x80) { /* ideographic space */
        *len = 3;
        return 1;
    }
    return 0;
}

/* Terms of expansion text (a synonym), OR-ed into one query. */
static kb_xquery *expansion(parser *p, const char *text)
{
    kb_tokens tk = KB_TOKENS_INIT;
    qlist l = {.n = 0};
    if (kb_analyse(&tk, text, strlen(text), p->st, 1, NULL) == KB_OK) {
        qlist words = {.n = 0};
        for (size_t i = 0; i < tk.n; i++) {
            const kb_token *k = &tk.v[i];
            if (k->kind == KB_TOK_CJK1 && tk.n > 1)
                continue;
            kb_termset_add(p->terms, kb_tok_term(&tk, k), k->tlen);
            ql_add(&words,
                   kb_xquery_term(kb_tok_term(&tk, k), k->tlen, 1, k->pos));
        }
        /* "wi-fi" means both words together. */
        ql_add(&l, ql_combine(&words, words.n > 1 && tk.v[0].kind == KB_TOK_WORD
                                          ? KB_XOP_PHRASE
                                          : KB_XOP_OR));
    }
    kb_tokens_free(&tk);
    return ql_combine(&l, KB_XOP_OR);
}

/* Term t as a title (S) term, into l. */
static void add_title(qlist *l, const char *t, size_t len)
{
    char buf[160];
    if (len + 2 > sizeof buf)
        return;
    buf[0] = 'S';
    memcpy(buf + 1, t, len);
    ql_add(l, kb_xquery_term(buf, len + 1, 1, 0));
}

/* q OR (its title term S<t> at the title weight), q consumed. Each word is
 * paired with its own title term, rather than all the title terms OR-ed
 * beside all the words: the same matches and scores, and Xapian's matcher
 * drops a common word's pair as a whole once it cannot lift a document
 * onto the page (a quarter fewer instructions for questions of common
 * words on 1,000,000 documents). */
static kb_xquery *titled(const parser *p, kb_xquery *q, const char *t,
                         size_t len)
{
    double tw = p->cfg ? p->cfg->title_weight : 0;
    qlist l = {.n = 0};
    if (!q || tw <= 0)
        return q;
    add_title(&l, t, len);
    kb_xquery *st = ql_combine(&l, KB_XOP_OR);
    if (!st)
        return q;
    kb_xquery *scaled = kb_xquery_scale(st, tw);
    kb_xquery_free(st);
    return scaled ? pair(KB_XOP_OR, q, scaled) : q;
}

/* Look a word up for spelling. A word the index does not know, with a
 * close one it does, is searched as either (so a rare real word keeps its
 * own matches) and the corrected query is reported. Returns the extra term
 * query (new) or NULL. */
static kb_xquery *spell(parser *p, const char *q, size_t start, size_t end,
                        const kb_token *k)
{
    uint32_t tf = 0;
    kb_xquery *extra = NULL;
    const char *w = kb_tok_word(&p->tk, k);
    if (!p->o->spelling || k->wlen < 3 || k->wlen > 32 ||
        (w[0] >= '0' && w[0] <= '9'))
        return NULL;
    if (kb_xdb_termfreq(p->db, kb_tok_term(&p->tk, k), k->tlen, &tf, NULL) !=
            KB_OK ||
        tf > 0)
        return NULL;
    char *s = NULL;
    if (kb_xdb_spelling(p->db, w, k->wlen, 2, &s, NULL) == KB_OK && s &&
        !kb_is_stopword(s, strlen(s))) {
        kb_buf_add(&p->corrected, q + p->copied, start - p->copied);
        kb_buf_adds(&p->corrected, s);
        p->copied = end;
        p->corrections++;
        kb_tokens tk = KB_TOKENS_INIT;
        if (kb_analyse(&tk, s, strlen(s), p->st, 1, NULL) == KB_OK && tk.n) {
            const char *t = kb_tok_term(&tk, &tk.v[0]);
            kb_termset_add(p->terms, t, tk.v[0].tlen);
            add_title(&p->title, t, tk.v[0].tlen);
            extra = kb_xquery_term(t, tk.v[0].tlen, 1, 0);
        }
        kb_tokens_free(&tk);
    }
    free(s);
    return extra;
}

/* The words the thesaurus relates to a positive query word k, each with
 * its title term (titled), into p->rel. A related word that
 * stems like k, is a stop word, is not in the index or is in more than
 * RELATED_MAX_SHARE of its documents (and more than RELATED_CHEAP) adds
 * nothing. */
static void related(parser *p, const kb_token *k)
{
    const kb_config *c = p->cfg;
    const char *list =
        c && c->th ? kb_thesaurus_find(c->th, kb_tok_word(&p->tk, k), k->wlen)
                   : NULL;
    const char *t = kb_tok_term(&p->tk, k);
    if (list && p->nrelated++ >= RELATED_WORDS_MAX)
        return;
    for (int n = 0; list && *list && n < c->thesaurus_words; n++) {
        size_t len = strcspn(list, ",");
        kb_tokens tk = KB_TOKENS_INIT;
        if (kb_analyse(&tk, list, len, p->st, 1, NULL) == KB_OK && tk.n == 1 &&
            tk.v[0].kind == KB_TOK_WORD) {
            const kb_token *r = &tk.v[0];
            const char *rt = kb_tok_term(&tk, r);
            uint32_t tf = 0;
            if (!p->total)
                kb_xdb_doccount(p->db, &p->total, NULL);
            if (!(r->tlen == k->tlen && !memcmp(rt, t, r->tlen)) &&
                !kb_is_stopword(kb_tok_word(&tk, r), r->wlen) &&
                kb_xdb_termfreq(p->db, rt, r->tlen, &tf, NULL) == KB_OK &&
                tf > 0 &&
                (tf <= RELATED_MAX_SHARE * p->total || tf <= RELATED_CHEAP)) {
                ql_add(&p->rel, titled(p, kb_xquery_term(rt, r->tlen, 1, 0), rt,
                                       r->tlen));
            }
        }
        kb_tokens_free(&tk);
        list += len + (list[len] == ',');
    }
}

/* Adds the terms tp + the typed word's stem, and tp + the word less its
 * last one or two letters ("jamm" is on its way to "jammed", whose stem is
 * "jam"), that the index has. */
static void typed_terms(parser *p, qlist *l, const char *tp, const kb_token *k)
{
    const char *w = kb_tok_word(&p->tk, k);
    const char *t = kb_tok_term(&p->tk, k);
    size_t np = strlen(tp);
    char buf[160];
    if (np + k->wlen + 1 > sizeof buf || np + k->tlen + 1 > sizeof buf)
        return;
    memcpy(buf, tp, np);
    for (size_t cut = 0; cut <= 2; cut++) {
        size_t n;
        if (cut == 0) {
            memcpy(buf + np, t, k->tlen);
            n = np + k->tlen;
        } else if (k->wlen >= 3 + cut) {
            memcpy(buf + np, w, k->wlen);
            n = np + k->wlen - cut;
        } else {
            break;
        }
        uint32_t tf = 0;
        if (kb_xdb_termfreq(p->db, buf, n, &tf, NULL) == KB_OK && tf)
            ql_add(l, kb_xquery_term(buf, n, 1, 0));
    }
}

/* The most frequent terms tp + something that start with the typed word,
 * added to l if there are any. */
static void typed_completions(parser *p, qlist *l, const char *tp,
                              const kb_token *k)
{
    const char *w = kb_tok_word(&p->tk, k);
    size_t np = strlen(tp);
    char buf[160];
    if (np + k->wlen + 1 > sizeof buf)
        return;
    memcpy(buf, tp, np);
    memcpy(buf + np, w, k->wlen);
    kb_xquery *q = kb_xdb_wildcard(p->db, buf, np + k->wlen, TYPED_MAX);
    if (kb_xquery_empty(q))
        kb_xquery_free(q);
    else
        ql_add(l, q);
}

/* Prefix match for a word being typed. The word as it stands is looked up
 * as a finished word would be, and its completions among the titles join
 * the title terms: title posting lists are short, and each keystroke
 * searches again. Only when no title word starts so are the completions
 * looked for among all the words. */
static kb_xquery *prefix_query(parser *p, const kb_token *k)
{
    qlist body = {.n = 0}, title = {.n = 0};
    double tw = p->cfg ? p->cfg->title_weight : 0;
    kb_termset_add_prefix(p->terms, kb_tok_word(&p->tk, k), k->wlen);
    typed_terms(p, &body, "", k);
    if (tw > 0) {
        typed_terms(p, &title, "S", k);
        typed_completions(p, &title, "S", k);
    }
    if (!title.n)
        typed_completions(p, &body, "", k);
    kb_xquery *t = ql_combine(&title, KB_XOP_SYNONYM);
    if (!body.n && t) { /* found in titles only: at the title weight */
        kb_xquery *q = kb_xquery_scale(t, tw);
        kb_xquery_free(t);
        return q;
    }
    ql_add(&p->title, t);
    if (!body.n) /* nothing starts so: the word, which matches nothing */
        return kb_xquery_term(kb_tok_term(&p->tk, k), k->tlen, 1, 0);
    return ql_combine(&body, KB_XOP_SYNONYM);
}

/* --- long questions --- */

static struct seen_word *seen_find(parser *p, const char *t, size_t len)
{
    for (size_t i = 0; i < p->nseen; i++)
        if (p->seen[i].len == len &&
            !memcmp(p->seen_terms.data + p->seen[i].off, t, len))
            return &p->seen[i];
    return NULL;
}

/* First pass: note k if it is a word the second pass would search. */
static void count_word(parser *p, const kb_token *k, int last)
{
    if (k->kind != KB_TOK_WORD || last ||
        kb_is_stopword(kb_tok_word(&p->tk, k), k->wlen))
        return;
    const char *t = kb_tok_term(&p->tk, k);
    if (p->nseen == LONG_SEEN || seen_find(p, t, k->tlen))
        return;
    struct seen_word *w = &p->seen[p->nseen];
    w->off = (uint32_t)p->seen_terms.len;
    if (kb_buf_add(&p->seen_terms, t, k->tlen) != KB_OK)
        return;
    w->len = (uint32_t)k->tlen;
    w->order = (uint32_t)p->nseen++;
}

static int dropped(const parser *p, const char *t, size_t len)
{
    if (!p->nseen)
        return 0;
    const struct seen_word *w = seen_find((parser *)p, t, len);
    return w && w->dropped;
}

static int by_rarity(const void *a, const void *b)
{
    const struct seen_word *x = a, *y = b;
    if (x->tf != y->tf)
        return x->tf < y->tf ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static void parse(parser *p, const char *q);

/* A question of more than LONG_WORDS distinct words (not stop words) is
 * searched by the LONG_WORDS found in the fewest documents, as kb_suggest
 * keeps a ticket's most salient terms. Words the index lacks cost nothing
 * and are kept beside them, to be corrected or to match nothing. */
static void keep_rarest(parser *p, const char *q)
{
    p->counting = 1;
    parse(p, q);
    p->counting = 0;
    if (p->nseen <= LONG_WORDS) {
        p->nseen = 0;
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < p->nseen; i++) {
        struct seen_word *w = &p->seen[i];
        if (kb_xdb_termfreq(p->db, p->seen_terms.data + w->off, w->len, &w->tf,
                            NULL) != KB_OK)
            w->tf = 0;
        n += w->tf > 0;
    }
    if (n <= LONG_WORDS) {
        p->nseen = 0;
        return;
    }
    qsort(p->seen, p->nseen, sizeof *p->seen, by_rarity);
    for (size_t i = 0, kept = 0; i < p->nseen; i++)
        if (p->seen[i].tf && kept++ >= LONG_WORDS)
            p->seen[i].dropped = 1;
}

/* --- words written apart ("back up", "wolfram alpha", "e-mail") --- */

/* Two adjacent words whose concatenation is a word of the index also
 * search it, as one more query word (StackFAQ articles MRR 85.7 -> 86.1,
 * QA pairs MAP 83.6 -> 84.1, 3 and 4 questions better, none worse). */
static void join(parser *p, const char *w, size_t wlen)
{
    kb_tokens tk = KB_TOKENS_INIT;
    uint32_t tf = 0;
    if (kb_join_words(&tk, p->prev, strlen(p->prev), w, wlen, p->st)) {
        const char *t = kb_tok_term(&tk, tk.v);
        size_t tl = tk.v[0].tlen;
        if (kb_xdb_termfreq(p->db, t, tl, &tf, NULL) == KB_OK && tf > 0) {
            kb_termset_add(p->terms, t, tl);
            ql_add(&p->pos, titled(p, kb_xquery_term(t, tl, 1, 0), t, tl));
        }
    }
    kb_tokens_free(&tk);
}

/* Plain word w at q[at..end): join it to the word before when they are
 * apart by one space or hyphen (kb_join_words), then remember it if it can
 * start a pair. */
static void join_next(parser *p, const char *q, size_t at, size_t end,
                      const char *w, size_t wlen)
{
    int apart = p->prev[0] && at == p->prev_end + 1 &&
                (q[p->prev_end] == ' ' || q[p->prev_end] == '-');
    if (apart)
        join(p, w, wlen);
    if (!kb_is_stopword(w, wlen) && wlen < sizeof p->prev) {
        memcpy(p->prev, w, wlen);
        p->prev[wlen] = '\0';
    } else {
        p->prev[0] = '\0';
    }
    p->prev_end = end;
}

/* A run of plain text (one chunk): words, Chinese n-grams, synonyms. */
static void plain(parser *p, const char *q, size_t start, size_t end, int mode,
                  int partial)
{
    if (kb_analyse(&p->tk, q + start, end - start, p->st, 1, NULL) != KB_OK)
        return;
    if (p->counting) {
        if (mode == 0)
            for (size_t i = 0; i < p->tk.n; i++)
                count_word(p, &p->tk.v[i], partial && i + 1 == p->tk.n);
        return;
    }
    qlist *dst = mode > 0 ? &p->req : mode < 0 ? &p->excl : &p->pos;
    size_t ncjk1 = 0;
    for (size_t i = 0; i < p->tk.n; i++)
        ncjk1 += p->tk.v[i].kind == KB_TOK_CJK1;
    for (size_t i = 0; i < p->tk.n; i++) {
        const kb_token *k = &p->tk.v[i];
        const char *t = kb_tok_term(&p->tk, k);
        kb_xquery *tq = NULL;
        if (k->kind == KB_TOK_WORD) {
            const char *w = kb_tok_word(&p->tk, k);
            int last = partial && i + 1 == p->tk.n;
            if (mode == 0 && !last)
                join_next(p, q, start + k->start, start + k->end, w, k->wlen);
            else
                p->prev[0] = '\0';
            if (mode == 0 && !last && dropped(p, t, k->tlen))
                continue;
            if (mode >= 0 && !kb_is_stopword(w, k->wlen))
                kb_termset_add(p->terms, t, k->tlen);
            if (last && mode == 0) {
                tq = prefix_query(p, k);
            } else {
                tq = kb_xquery_term(t, k->tlen, 1, k->pos);
                const kb_synonym *syn =
                    p->cfg ? kb_config_synonym(p->cfg, w, k->wlen) : NULL;
                if (syn && mode >= 0) {
                    qlist l = {.n = 0};
                    ql_add(&l, tq);
                    for (size_t s = 0; s < syn->nto; s++)
                        ql_add(&l, expansion(p, syn->to[s]));
                    tq = ql_combine(&l, KB_XOP_SYNONYM);
                } else if (mode == 0) {
                    kb_xquery *fix =
                        spell(p, q, start + k->start, start + k->end, k);
                    if (fix) {
                        kb_xquery *both[2] = {tq, fix};
                        kb_xquery *e =
                            kb_xquery_combine(KB_XOP_SYNONYM, both, 2, 0);
                        kb_xquery_free(tq);
                        kb_xquery_free(fix);
                        tq = e;
                    }
                }
            }
            if (mode == 0 && kb_is_stopword(w, k->wlen)) {
                ql_add(&p->stop, tq);
                continue;
            }
            if (mode == 0 && !last)
                tq = titled(p, tq, t, k->tlen);
            if (mode == 0 && !p->o->partial)
                related(p, k);
        } else {
            if (mode >= 0) {
                if (k->kind == KB_TOK_CJK2)
                    kb_termset_add(p->terms, t, k->tlen);
                else if (ncjk1 == 1 || p->tk.n == 1)
                    kb_termset_add_unigram(p->terms, t, k->tlen);
            }
            tq = kb_xquery_term(t, k->tlen, 1, k->pos);
            if (k->kind == KB_TOK_CJK1 && mode == 0 && p->cfg &&
                p->cfg->cjk_unigram_weight != 1.0) {
                kb_xquery *s = kb_xquery_scale(tq, p->cfg->cjk_unigram_weight);
                kb_xquery_free(tq);
                tq = s;
            }
            /* Inside a required or excluded run the bigrams carry it. */
            if (mode != 0 && k->kind == KB_TOK_CJK1 && ncjk1 > 1) {
                kb_xquery_free(tq);
                continue;
            }
            if (mode == 0 && k->kind == KB_TOK_CJK2)
                tq = titled(p, tq, t, k->tlen);
        }
        ql_add(dst, tq);
    }
    /* Chinese synonyms match inside a run ("登陆" in "登陆不了"). */
    if (p->cfg && mode >= 0) {
        char *norm = NULL;
        if (kb_normalise(&norm, q + start, end - start) == KB_OK) {
            for (size_t s = 0; s < p->cfg->nsyn; s++) {
                const kb_synonym *sy = &p->cfg->syn[s];
                if ((unsigned char)sy->from[0] < 0x80 ||
                    !strstr(norm, sy->from))
                    continue;
                for (size_t j = 0; j < sy->nto; j++)
                    ql_add(dst, expansion(p, sy->to[j]));
            }
        }
        free(norm);
    }
}

static void phrase(parser *p, const char *q, size_t start, size_t end, int mode)
{
    if (kb_analyse(&p->tk, q + start, end - start, p->st, 1, NULL) != KB_OK)
        return;
    qlist l = {.n = 0};
    for (size_t i = 0; i < p->tk.n; i++) {
        const kb_token *k = &p->tk.v[i];
        if (k->kind == KB_TOK_CJK2)
            continue; /* unigrams at consecutive positions make the phrase */
        ql_add(&l, kb_xquery_term(kb_tok_term(&p->tk, k), k->tlen, 1, k->pos));
        if (mode >= 0)
            kb_termset_add(p->terms, kb_tok_term(&p->tk, k), k->tlen);
    }
    for (size_t i = 0; mode >= 0 && i < p->tk.n; i++)
        if (p->tk.v[i].kind == KB_TOK_CJK2)
            kb_termset_add(p->terms, kb_tok_term(&p->tk, &p->tk.v[i]),
                           p->tk.v[i].tlen);
    kb_xquery *ph = ql_combine(&l, KB_XOP_PHRASE);
    ql_add(mode < 0 ? &p->excl : &p->req, ph);
}

static int field(parser *p, const char *q, size_t start, size_t end, int mode)
{
    static const struct {
        const char *name;
        char prefix;
    } fields[] = {{"kind", 'K'}, {"product", 'P'}, {"category", 'C'},
                  {"tag", 'T'},  {"lang", 'L'},    {"title", 'S'}};
    const char *c = memchr(q + start, ':', end - start);
    if (!c || c == q + start || c + 1 == q + end)
        return 0;
    size_t nl = (size_t)(c - (q + start));
    const char *v = c + 1;
    size_t vl = (size_t)(q + end - v);
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        if (strlen(fields[i].name) != nl ||
            strncasecmp(fields[i].name, q + start, nl) != 0)
            continue;
        if (p->counting)
            return 1;
        if (fields[i].prefix == 'S') {
            if (kb_analyse(&p->tk, v, vl, p->st, 1, NULL) != KB_OK)
                return 1;
            for (size_t j = 0; j < p->tk.n; j++) {
                char t[160];
                const kb_token *k = &p->tk.v[j];
                if (k->tlen + 2 > sizeof t)
                    continue;
                t[0] = 'S';
                memcpy(t + 1, kb_tok_term(&p->tk, k), k->tlen);
                kb_termset_add(p->terms, t + 1, k->tlen);
                ql_add(mode < 0   ? &p->excl
                       : mode > 0 ? &p->req
                                  : &p->pos,
                       kb_xquery_term(t, k->tlen + 1, 1, 0));
            }
            return 1;
        }
        kb_xquery *t = bool_term(fields[i].prefix, v, vl);
        if (mode < 0) {
            ql_add(&p->excl, t);
            return 1;
        }
        qlist *dst = fields[i].prefix == 'K'   ? &p->f_kind
                     : fields[i].prefix == 'P' ? &p->f_product
                     : fields[i].prefix == 'C' ? &p->f_category
                     : fields[i].prefix == 'T' ? &p->f_tag
                                               : &p->f_lang;
        ql_add(dst, t);
        return 1;
    }
    return 0;
}

static void param_filter(qlist *l, char prefix, const char *v)
{
    if (!v || !*v)
        return;
    /* "a,b" in a URL parameter means either. */
    while (*v) {
        size_t n = strcspn(v, ",");
        if (n)
            ql_add(l, bool_term(prefix, v, n));
        v += n;
        if (*v)
            v++;
    }
}

static void parse(parser *p, const char *q)
{
    size_t len = strlen(q), i = 0, sl;
    int chunks = 0, next_mode = 0;
    while (i < len && chunks < MAX_CHUNKS) {
        if (is_space(q + i, &sl)) {
            i += sl;
            continue;
        }
        chunks++;
        if (q[i] == '"' || (q[i] == '-' && q[i + 1] == '"') ||
            (q[i] == '+' && q[i + 1] == '"')) {
            int mode = q[i] == '-' ? -1 : 1;
            size_t s = q[i] == '"' ? i + 1 : i + 2;
            const char *close = memchr(q + s, '"', len - s);
            if (close) {
                if (!p->counting)
                    phrase(p, q, s, (size_t)(close - q), mode);
                i = (size_t)(close - q) + 1;
                next_mode = 0;
                continue;
            }
            i = s; /* unbalanced quote: plain words */
            continue;
        }
        size_t e = i;
        while (e < len && !is_space(q + e, &sl) && q[e] != '"')
            e++;
        int partial = p->o->partial && e == len;
        size_t s = i;
        int mode = next_mode;
        next_mode = 0;
        if (e - s == 2 && strncmp(q + s, "OR", 2) == 0) {
            i = e;
            continue;
        }
        if (e - s == 3 && strncmp(q + s, "AND", 3) == 0) {
            i = e;
            continue;
        }
        if (e - s == 3 && strncmp(q + s, "NOT", 3) == 0) {
            next_mode = -1;
            i = e;
            continue;
        }
        if (q[s] == '+' && e - s > 1) {
            mode = 1;
            s++;
        } else if (q[s] == '-' && e - s > 1) {
            mode = -1;
            s++;
        }
        if (field(p, q, s, e, mode)) {
            i = e;
            continue;
        }
        if (e - s >= 3 && q[e - 1] == '*' && mode >= 0) {
            char *norm = NULL;
            if (p->counting) {
                i = e;
                continue;
            }
            size_t pe = e - 1;
            while (pe > s && q[pe - 1] == '*')
                pe--;
            if (kb_normalise(&norm, q + s, pe - s) == KB_OK &&
                strlen(norm) >= 2) {
                kb_termset_add_prefix(p->terms, norm, strlen(norm));
                ql_add(
                    mode > 0 ? &p->req : &p->pos,
                    kb_xdb_wildcard(p->db, norm, strlen(norm), WILDCARD_MAX));
            }
            free(norm);
            i = e;
            continue;
        }
        plain(p, q, s, e, mode, partial);
        i = e;
    }
}

int kb_query_build(kb_query **out, kb_xdb *db, const kb_config *cfg,
                   const kb_search_opts *o, char **errmsg)
{
    kb_query *kq = calloc(1, sizeof *kq);
    parser *p = calloc(1, sizeof *p);
    *out = NULL;
    if (!kq || !p) {
        free(kq);
        free(p);
        return kb_fail(errmsg, KB_ENOMEM, "out of memory");
    }
    const char *q = o->q ? o->q : "";
    p->db = db;
    p->cfg = cfg;
    p->o = o;
    p->st = kb_stemmer_for(o->lang && *o->lang ? o->lang : "en");
    p->terms = &kq->terms;
    p->corrected = (kb_buf)KB_BUF_INIT(4 * strlen(q) + 256);
    p->seen_terms = (kb_buf)KB_BUF_INIT(256);
    keep_rarest(p, q);
    parse(p, q);
    kb_buf_free(&p->seen_terms);

    if (p->corrections) {
        kb_buf_adds(&p->corrected, q + p->copied);
        kq->corrected = kb_buf_steal(&p->corrected);
    }
    kb_buf_free(&p->corrected);

    /* Stop words count only when nothing else was asked. */
    kb_xquery *positive = ql_combine(p->pos.n ? &p->pos : &p->stop, KB_XOP_OR);
    ql_free(&p->stop);
    kb_xquery *required = ql_combine(&p->req, KB_XOP_AND);
    /* The question or title as its own field: words found there add a
     * scaled score, without widening the match. Each positive word came
     * with its title term (titled); what is left here are the title terms
     * of spelling corrections and of a word being typed. A title word is
     * indexed as a plain word too, so the plain words already match every
     * document a title term does, and OR gives the same matches and scores
     * as AND_MAYBE. It is also what Xapian 1.4's matcher gets right: with
     * the title terms scaled under AND_MAYBE, a page of 10 could miss a
     * document that belonged on it (seen on the bench corpus: "languishing
     * kerneldoc comments" lost its 6th hit unless 100 were asked for), and
     * OR skips documents whose best possible score cannot make the page
     * instead of looking up every candidate's title terms (AND_MAYBE also
     * costs a quarter more instructions than OR on common words). */
    kb_xquery *title = ql_combine(&p->title, KB_XOP_OR);
    double tw = cfg ? cfg->title_weight : 0;
    if (positive && title && tw > 0)
        positive = pair(KB_XOP_OR, positive, kb_xquery_scale(title, tw));
    kb_xquery_free(title);
    /* Related words widen the question at a fraction of its weight: an
     * answer in other words is found, and ranks below one in the same. */
    kb_xquery *rel = ql_combine(&p->rel, KB_XOP_OR);
    if (positive && rel) {
        kq->rel = kb_xquery_combine(KB_XOP_OR, &rel, 1, 0);
        positive = pair(KB_XOP_OR, positive,
                        kb_xquery_scale(rel, cfg->thesaurus_weight));
    }
    kb_xquery_free(rel);
    kb_xquery *main = NULL;
    if (required && positive)
        main = pair(KB_XOP_AND_MAYBE, required, positive);
    else
        main = required ? required : positive;

    qlist filters = {.n = 0};
    ql_add(&filters, ql_combine(&p->f_kind, KB_XOP_OR));
    ql_add(&filters, ql_combine(&p->f_product, KB_XOP_OR));
    ql_add(&filters, ql_combine(&p->f_category, KB_XOP_OR));
    ql_add(&filters, ql_combine(&p->f_tag, KB_XOP_OR));
    ql_add(&filters, ql_combine(&p->f_lang, KB_XOP_OR));
    qlist pf = {.n = 0};
    param_filter(&pf, 'K', o->kind);
    ql_add(&filters, ql_combine(&pf, KB_XOP_OR));
    param_filter(&pf, 'P', o->product);
    ql_add(&filters, ql_combine(&pf, KB_XOP_OR));
    param_filter(&pf, 'C', o->category);
    ql_add(&filters, ql_combine(&pf, KB_XOP_OR));
    param_filter(&pf, 'T', o->tag);
    ql_add(&filters, ql_combine(&pf, KB_XOP_OR));
    param_filter(&pf, 'L', o->lang);
    ql_add(&filters, ql_combine(&pf, KB_XOP_OR));

    if (!main && filters.n)
        main = kb_xquery_match_all();
    if (main) {
        kb_xquery *excl = ql_combine(&p->excl, KB_XOP_OR);
        if (excl) {
            kq->excl = kb_xquery_combine(KB_XOP_OR, &excl, 1, 0);
            main = pair(KB_XOP_AND_NOT, main, excl);
        }
        kb_xquery *f = ql_combine(&filters, KB_XOP_AND);
        if (f) {
            kq->filter = kb_xquery_combine(KB_XOP_AND, &f, 1, 0);
            main = pair(KB_XOP_FILTER, main, f);
        }
        kb_xquery *seen = kb_audience_restrict(main, o->audience);
        kb_xquery_free(main);
        main = seen;
    }
    kq->audience = o->audience;
    ql_free(&filters);
    ql_free(&p->excl);
    ql_free(&p->pos);
    ql_free(&p->title);
    ql_free(&p->rel);
    kb_tokens_free(&p->tk);
    free(p);
    kq->xq = main;
    *out = kq;
    return KB_OK;
}

void kb_query_free(kb_query *q)
{
    if (!q)
        return;
    kb_xquery_free(q->xq);
    kb_xquery_free(q->filter);
    kb_xquery_free(q->excl);
    kb_xquery_free(q->rel);
    kb_termset_free(&q->terms);
    free(q->corrected);
    free(q);
}

const kb_xquery *kb_query_xquery(const kb_query *q) { return q->xq; }
const kb_termset *kb_query_terms(const kb_query *q) { return &q->terms; }
const char *kb_query_corrected(const kb_query *q) { return q->corrected; }

/* --- results --- */

static void set_excerpt(json_t *r, const char *key, const kb_marks *m,
                        size_t max)
{
    char *s = NULL;
    if (kb_marks_excerpt(&s, m, max) == KB_OK && s) {
        json_t *v = json_string(s);
        json_object_set_new(r, key, v ? v : json_string(""));
    }
    free(s);
}

static void set_snippet(json_t *r, const char *key, const char *text,
                        const kb_termset *terms, kb_stemmer *st, size_t max)
{
    kb_marks m = KB_MARKS_INIT;
    if (kb_marks_find(&m, text, strlen(text), terms, st) == KB_OK)
        set_excerpt(r, key, &m, max);
    kb_marks_free(&m);
}

json_t *kb_result_from_head(const json_t *head, const char *const text[2],
                            const size_t tlen[2], const kb_termset *terms,
                            size_t snippet_bytes, int snippets)
{
    static const char *const copy[] = {
        "id",        "version",       "kind",   "title",      "section",
        "anchor",    "parent",        "source", "updated_at", "tags",
        "product",   "category",      "lang",   "visibility", "status",
        "review_by", "promoted_from", NULL};
    json_t *r = json_object();
    if (!r)
        return NULL;
    for (int i = 0; copy[i]; i++) {
        json_t *v = json_object_get(head, copy[i]);
        if (v && !(json_is_string(v) && json_string_length(v) == 0))
            json_object_set(r, copy[i], v);
    }
    if (!snippets)
        return r; /* ranking only (the relevance harness, suggest's pool) */
    kb_stemmer *st = kb_stemmer_for(kb_doc_str(head, "lang"));
    const char *kind = kb_doc_str(head, "kind");
    const char *title = kb_doc_str(head, "title");
    set_snippet(r, "title_html", title, terms, st, 4096);
    if (!tlen[0])
        set_snippet(r, "snippet", title, terms, st, snippet_bytes);
    /* An FAQ's snippet and answer are two cuts of one body. */
    kb_marks m = KB_MARKS_INIT;
    if (kb_marks_find(&m, text[0], tlen[0], terms, st) == KB_OK) {
        if (tlen[0])
            set_excerpt(r, "snippet", &m, snippet_bytes);
        if (!strcmp(kind, "faq"))
            set_excerpt(r, "answer", &m, 600);
    }
    kb_marks_free(&m);
    if (!strcmp(kind, "ticket") &&
        kb_marks_find(&m, text[1], tlen[1], terms, st) == KB_OK)
        set_excerpt(r, "resolution", &m, 600);
    kb_marks_free(&m);
    return r;
}

json_t *kb_result_from_doc(const json_t *doc, const kb_termset *terms,
                           size_t snippet_bytes, int snippets)
{
    const char *text[2] = {kb_doc_str(doc, "body"),
                           kb_doc_str(doc, "resolution")};
    const size_t tlen[2] = {strlen(text[0]), strlen(text[1])};
    return kb_result_from_head(doc, text, tlen, terms, snippet_bytes, snippets);
}

/* --- facets --- */

static const char *const facet_names[] = {"kind", "product", "category", "tag"};

static int by_string(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* obj with its keys in byte order (steals obj). */
static json_t *sorted(json_t *obj)
{
    size_t n = json_object_size(obj), i = 0;
    const char **keys = malloc((n ? n : 1) * sizeof *keys);
    json_t *out = json_object();
    if (!keys || !out) {
        free(keys);
        json_decref(out);
        return obj;
    }
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) keys[i++] = k;
    qsort(keys, n, sizeof *keys, by_string);
    for (i = 0; i < n; i++)
        json_object_set(out, keys[i], json_object_get(obj, keys[i]));
    free(keys);
    json_decref(obj);
    return out;
}

static void count_in(json_t *obj, const char *v, size_t n, json_int_t c)
{
    if (!n) /* json_object_setn_new refuses invalid UTF-8 */
        return;
    json_t *old = json_object_getn(obj, v, n);
    json_object_setn_new(obj, v, n,
                         json_integer(c + (old ? json_integer_value(old) : 0)));
}

/* Count c for each item of v[0..n) separated by sep. */
static void count_items(json_t *obj, const char *v, size_t n, char sep,
                        json_int_t c)
{
    for (size_t s = 0; s < n;) {
        const char *t = memchr(v + s, sep, n - s);
        size_t e = t ? (size_t)(t - v) : n;
        count_in(obj, v + s, e - s, c);
        s = e + 1;
    }
}

typedef struct {
    json_t *f[4]; /* kind, product, category, tag */
    uint64_t valued;
} facet_ctx;

/* One KB_SLOT_FACETS value: kind 0x1e product 0x1e category 0x1e tags. */
static int facet_value(void *ctx, const char *v, size_t n, double count)
{
    facet_ctx *f = ctx;
    json_int_t c = (json_int_t)count;
    f->valued += (uint64_t)c;
    size_t start = 0;
    for (int k = 0; k < 4 && start <= n; k++) {
        const char *e = k < 3 ? memchr(v + start, '\x1e', n - start) : NULL;
        size_t end = e ? (size_t)(e - v) : n;
        if (k < 3)
            count_in(f->f[k], v + start, end - start, c);
        else /* tags, joined by 0x1f */
            count_items(f->f[3], v + start, end - start, '\x1f', c);
        start = end + 1;
    }
    return 0;
}

/* Facets of the hits ms examined, or NULL when some lack the combined
 * value (an index written before it existed). */
static json_t *facets_of(const kb_xmset *ms)
{
    facet_ctx f = {{json_object(), json_object(), json_object(), json_object()},
                   0};
    uint32_t seen = 0;
    json_t *out = json_object();
    int ok = out && f.f[0] && f.f[1] && f.f[2] && f.f[3] &&
             kb_xmset_facet_values(ms, 0, facet_value, &f, &seen) == KB_OK &&
             f.valued >= seen;
    for (int k = 0; k < 4; k++) {
        if (ok && out)
            json_object_set_new(out, facet_names[k], sorted(f.f[k]));
        else
            json_decref(f.f[k]);
    }
    if (!ok) {
        json_decref(out);
        return NULL;
    }
    return out;
}

typedef struct {
    json_t *obj;
} legacy_ctx;

static int legacy_cb(void *ctx, const char *v, size_t n, double count)
{
    legacy_ctx *f = ctx;
    count_items(f->obj, v, n, '\x1f', (json_int_t)count); /* tags joined */
    return 0;
}

/* Facets from the four slots of an index without KB_SLOT_FACETS. */
static json_t *legacy_facets(kb_xdb *db, const kb_xquery *q, kb_xsearch_opts xo)
{
    kb_xmset *ms = NULL;
    xo.nfacets = 4;
    xo.facet_slots[0] = KB_SLOT_KIND;
    xo.facet_slots[1] = KB_SLOT_PRODUCT;
    xo.facet_slots[2] = KB_SLOT_CATEGORY;
    xo.facet_slots[3] = KB_SLOT_TAGS;
    json_t *facets = json_object();
    if (kb_xdb_search(&ms, db, q, &xo, NULL) != KB_OK)
        return facets;
    for (int k = 0; k < 4; k++) {
        legacy_ctx f = {json_object()};
        uint32_t seen;
        kb_xmset_facet_values(ms, k, legacy_cb, &f, &seen);
        json_object_set_new(facets, facet_names[k], sorted(f.obj));
    }
    kb_xmset_free(ms);
    return facets;
}

typedef struct {
    kb_xquery *v[64];
    size_t n;
} exp_terms;

static int on_expand(void *ctx, const char *t, size_t len, double w)
{
    (void)w;
    exp_terms *e = ctx;
    if (e->n < 64)
        e->v[e->n++] = kb_xquery_term(t, len, 1, 0);
    return 0;
}

kb_xquery *kb_expansion(kb_xmset *ms, uint32_t ndocs, uint32_t nterms,
                        double weight)
{
    exp_terms e = {.n = 0};
    kb_xquery *out = NULL;
    kb_xmset_expand(ms, ndocs, nterms, on_expand, &e, NULL);
    if (e.n) {
        kb_xquery *any = kb_xquery_combine(KB_XOP_OR, e.v, e.n, 0);
        out = any ? kb_xquery_scale(any, weight) : NULL;
        kb_xquery_free(any);
    }
    for (size_t i = 0; i < e.n; i++)
        kb_xquery_free(e.v[i]);
    return out;
}

/* Relevance feedback: the query OR-ed with the best terms of its first
 * hits, at a lower weight, under the same filters and exclusions. New, or
 * NULL when there is nothing to add. */
static kb_xquery *expanded(kb_xdb *db, const kb_config *cfg,
                           const kb_search_opts *o, const kb_query *kq)
{
    kb_xsearch_opts xo;
    kb_xmset *ms = NULL;
    kb_xquery *out = NULL;
    kb_search_xopts(&xo, cfg);
    xo.maxitems = (uint32_t)o->expand_docs;
    if (kb_xdb_search(&ms, db, kq->xq, &xo, NULL) != KB_OK)
        return NULL;
    kb_xquery *light = kb_expansion(ms, (uint32_t)o->expand_docs,
                                    (uint32_t)o->expand_terms, 0.3);
    kb_xmset_free(ms);
    if (light) {
        kb_xquery *extra =
            kq->filter ? pair(KB_XOP_FILTER, light,
                              kb_xquery_combine(
                                  KB_XOP_AND, (kb_xquery **)&kq->filter, 1, 0))
                       : light;
        if (extra && kq->excl)
            extra = pair(
                KB_XOP_AND_NOT, extra,
                kb_xquery_combine(KB_XOP_OR, (kb_xquery **)&kq->excl, 1, 0));
        kb_xquery *seen = kb_audience_restrict(extra, kq->audience);
        kb_xquery_free(extra);
        extra = seen;
        if (extra)
            out =
                pair(KB_XOP_OR,
                     kb_xquery_combine(KB_XOP_AND, (kb_xquery **)&kq->xq, 1, 0),
                     extra);
    }
    return out;
}

/* Does a stored document pass the search's audience and filters? Pins are
 * looked up by id, outside the query, so they are checked here. */
static int pin_fits(const json_t *doc, const kb_search_opts *o)
{
    const char *st = kb_doc_str(doc, "status");
    int ok = !strcmp(st, "published") ||
             (o->audience >= KB_AUD_EDITOR && !strcmp(st, "draft"));
    if (o->audience == KB_AUD_PUBLIC)
        ok = ok && !strcmp(kb_doc_str(doc, "visibility"), "public");
    const char *f[] = {o->kind, o->product, o->category, o->lang};
    const char *k[] = {"kind", "product", "category", "lang"};
    for (int i = 0; ok && i < 4; i++)
        ok = !f[i] || !*f[i] || !strcasecmp(f[i], kb_doc_str(doc, k[i]));
    if (ok && o->tag && *o->tag) {
        size_t i;
        json_t *t;
        ok = 0;
        json_array_foreach(json_object_get(doc, "tags"), i, t) ok |=
            !strcasecmp(json_string_value(t), o->tag);
    }
    return ok;
}

/* Put the visible pinned documents first in arr, each once, and keep at
 * most limit results; on later pages, leave the pinned ones out. */
static void apply_pins(json_t *arr, kb_xdb *db, const kb_search_opts *o,
                       const kb_termset *terms)
{
    json_t *first = json_array();
    size_t i;
    json_t *id;
    if (o->offset > 0) {
        /* Later pages: the pins were shown on the first one. */
        for (i = json_array_size(arr); i-- > 0;) {
            size_t j;
            json_array_foreach(
                o->pinned, j,
                id) if (json_is_string(id) &&
                        !strcmp(kb_doc_str(json_array_get(arr, i), "id"),
                                json_string_value(id)))
            {
                json_array_remove(arr, i);
                break;
            }
        }
        json_decref(first);
        return;
    }
    json_array_foreach(o->pinned, i, id)
    {
        const char *s = json_string_value(id);
        if (!s || !kb_doc_id_ok(s) ||
            json_array_size(first) >= (size_t)o->limit)
            continue;
        char term[KB_ID_MAX + 2], *data = NULL;
        size_t dlen = 0;
        snprintf(term, sizeof term, "Q%s", s);
        if (kb_xdb_get_data(db, term, strlen(term), &data, &dlen, NULL) !=
            KB_OK) {
            free(data);
            continue;
        }
        json_t *doc = kb_doc_unpack(data, dlen);
        free(data);
        json_t *r =
            doc && pin_fits(doc, o)
                ? kb_result_from_doc(doc, terms, o->snippet_bytes, o->snippets)
                : NULL;
        json_decref(doc);
        if (!r)
            continue;
        /* Its ranked score, when the query found it too. */
        size_t j;
        json_t *h;
        double score = 0;
        json_array_foreach(arr, j, h) if (!strcmp(kb_doc_str(h, "id"), s))
            score = json_real_value(json_object_get(h, "score"));
        json_object_set_new(r, "score", json_real(score));
        json_object_set_new(r, "pinned", json_true());
        json_array_append_new(first, r);
    }
    if (!json_array_size(first)) {
        json_decref(first);
        return;
    }
    json_t *h;
    json_array_foreach(arr, i, h)
    {
        size_t j;
        json_t *p;
        int dup = 0;
        json_array_foreach(first, j, p) dup |=
            !strcmp(kb_doc_str(p, "id"), kb_doc_str(h, "id"));
        if (!dup && json_array_size(first) < (size_t)o->limit)
            json_array_append(first, h);
    }
    json_array_clear(arr);
    json_array_extend(arr, first);
    json_decref(first);
}

/* The day before day (YYYY-MM-DD) into out[11]. */
static void day_before(const char *day, char out[11])
{
    struct tm tm = {0};
    tm.tm_year = atoi(day) - 1900;
    tm.tm_mon = atoi(day + 5) - 1;
    tm.tm_mday = atoi(day + 8) - 1;
    tm.tm_hour = 12;
    time_t t = timegm(&tm);
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* Overdue documents (review date before today) scaled by w: the query
 * split into its overdue and its current parts. Steals q. */
static kb_xquery *down_weight_stale(kb_xquery *q, const char *today, double w)
{
    char lim[11];
    day_before(today, lim);
    kb_xquery *le = kb_xquery_value_le(KB_SLOT_REVIEW, lim, 10);
    if (!le)
        return q;
    kb_xquery *v[2] = {q, le};
    kb_xquery *stale = kb_xquery_combine(KB_XOP_FILTER, v, 2, 0);
    kb_xquery *fresh = kb_xquery_combine(KB_XOP_AND_NOT, v, 2, 0);
    kb_xquery *scaled = stale ? kb_xquery_scale(stale, w) : NULL;
    kb_xquery_free(stale);
    kb_xquery_free(le);
    if (!scaled || !fresh) {
        kb_xquery_free(scaled);
        kb_xquery_free(fresh);
        return q;
    }
    kb_xquery_free(q);
    return pair(KB_XOP_OR, fresh, scaled);
}

static int run(json_t **out, kb_xdb *db, const kb_config *cfg,
               const kb_search_opts *o, const kb_query *kq, char **errmsg)
{
    kb_xsearch_opts xo;
    kb_xmset *ms = NULL;
    json_t *res = json_pack("{s:i,s:[]}", "total", 0, "results");
    *out = NULL;
    if (!res)
        return KB_ENOMEM;
    if (!kq->xq) {
        if (o->facets)
            json_object_set_new(res, "facets", json_object());
        *out = res;
        return KB_OK;
    }
    kb_search_xopts(&xo, cfg);
    uint32_t first = (uint32_t)(o->offset > 0 ? o->offset : 0);
    uint32_t limit = (uint32_t)(o->limit > 0 ? o->limit : 0);
    xo.first = o->group ? 0 : first;
    xo.maxitems = !o->group                       ? limit
                  : first + limit > KB_GROUP_POOL ? first + limit
                                                  : KB_GROUP_POOL;
    xo.checkatleast = o->facets ? FACET_SAMPLE : 0;
    if (o->facets) {
        xo.nfacets = 1;
        xo.facet_slots[0] = KB_SLOT_FACETS;
    }
    kb_xquery *xq = o->expand_terms > 0 && o->expand_docs > 0
                        ? expanded(db, cfg, o, kq)
                        : NULL;
    if (cfg && cfg->stale_weight >= 0 && cfg->stale_weight < 1) {
        char today[11];
        if (o->today && kb_is_date(o->today))
            memcpy(today, o->today, 11);
        else {
            time_t t = time(NULL);
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(today, sizeof today, "%Y-%m-%d", &tm);
        }
        if (!xq)
            xq = kb_xquery_combine(KB_XOP_AND, (kb_xquery **)&kq->xq, 1, 0);
        if (xq)
            xq = down_weight_stale(xq, today, cfg->stale_weight);
    }
    const kb_xquery *run = xq ? xq : kb_query_xquery(kq);
    int rc = kb_xdb_search(&ms, db, run, &xo, errmsg);
    if (rc != KB_OK) {
        kb_xquery_free(xq);
        json_decref(res);
        return rc;
    }
    json_object_set_new(res, "total", json_integer(kb_xmset_estimated(ms)));
    json_t *arr = json_object_get(res, "results");
    uint32_t n = kb_xmset_size(ms), *order = calloc(n + 1, sizeof *order);
    if (!order)
        rc = KB_ENOMEM;
    for (uint32_t i = 0; order && i < n; i++)
        order[i] = i;
    if (rc == KB_OK && o->group)
        rc = kb_group_order(db, cfg, run, kq->rel, o->audience, ms, order,
                            errmsg);
    for (uint32_t k = o->group ? first : 0;
         rc == KB_OK && k < n && (!o->group || k < first + limit); k++) {
        uint32_t i = order[k];
        const char *data;
        size_t dlen;
        if (kb_xmset_data(ms, i, &data, &dlen, NULL) != KB_OK)
            continue;
        const char *text[2];
        size_t tlen[2];
        json_t *doc = kb_doc_unpack_head(data, dlen, text, tlen);
        if (!doc)
            continue;
        json_t *r = kb_result_from_head(doc, text, tlen, kb_query_terms(kq),
                                        o->snippet_bytes, o->snippets);
        if (r) {
            json_object_set_new(
                r, "score",
                json_real(round(kb_xmset_weight(ms, i) * 1000) / 1000));
            json_array_append_new(arr, r);
        }
        json_decref(doc);
    }
    free(order);
    if (rc != KB_OK) {
        kb_xquery_free(xq);
        kb_xmset_free(ms);
        json_decref(res);
        return rc;
    }
    if (o->pinned && json_array_size(o->pinned))
        apply_pins(arr, db, o, kb_query_terms(kq));
    if (o->facets) {
        json_t *facets = facets_of(ms);
        if (!facets)
            facets = legacy_facets(db, run, xo);
        json_object_set_new(res, "facets", facets);
    }
    kb_xquery_free(xq);
    kb_xmset_free(ms);
    *out = res;
    return KB_OK;
}

int kb_search(json_t **out, kb_xdb *db, const kb_config *cfg,
              const kb_search_opts *o, char **errmsg)
{
    kb_query *kq = NULL;
    json_t *res = NULL;
    *out = NULL;
    int rc = kb_query_build(&kq, db, cfg, o, errmsg);
    if (rc != KB_OK)
        return rc;
    if (rc == KB_OK)
        rc = run(&res, db, cfg, o, kq, errmsg);
    if (rc == KB_OK && kb_query_corrected(kq)) {
        /* The query is the caller's own text, but responses never carry
         * personal data. */
        char *masked = NULL;
        const char *c = kb_query_corrected(kq);
        if (kb_pii_mask(&masked, c, strlen(c), NULL) == KB_OK)
            json_object_set_new(res, "did_you_mean", json_string(masked));
        free(masked);
    }
    kb_query_free(kq);
    if (rc != KB_OK) {
        json_decref(res);
        return rc;
    }
    *out = res;
    return KB_OK;
}

/* rel.h - the relevance harness: evaluation sets, rankings and engines */
#ifndef REL_H
#define REL_H

#include <stddef.h>

/*
 * The harness loads one evaluation set (rel_set) from the TSV files of
 * ../shared/data/<set>/ at run time, asks each engine (rel_engine) for a
 * ranking of document indexes per query, normalises the ranking as the
 * set's README says (rel_finish) and scores it (metrics.h).
 *
 * Ownership: a rel_set owns every string in it; rankings are arrays of
 * indexes into set->docs and are owned by the caller that passed them in.
 */

typedef enum rel_kind {
    REL_STACKFAQ = 0,    /* QA pairs: one doc per pair */
    REL_STACKFAQ_THREAD, /* articles: one doc per thread */
    REL_BQ,              /* Chinese sentences; the query's own doc is dropped */
    REL_SEMEVAL,         /* re-ranking of each query's 10 candidates */
} rel_kind;

typedef struct rel_doc {
    char *id;
    char *title; /* question, sentence or thread subject */
    char *body;  /* answer(s) or thread body */
    char *extra; /* SemEval: the thread's comments, or NULL */
    char *group; /* StackFAQ: thread id; SemEval: the query it belongs to */
    int ir_rank; /* SemEval: the search engine's rank */
} rel_doc;

typedef struct rel_judgment {
    size_t doc; /* index into set->docs */
    int grade;  /* 0 judged not relevant, 1 relevant, 2 perfect */
} rel_judgment;

typedef struct rel_query {
    char *id;
    char *subject; /* SemEval subject, else NULL */
    char *text;    /* the query (SemEval: the body) */
    rel_judgment *j;
    size_t nj;
    size_t *cands; /* SemEval: this query's candidates, by ir_rank */
    size_t ncands;
    long self; /* BQ: index of the query's own sentence, or -1 */
} rel_query;

typedef struct rel_set {
    rel_kind kind;
    const char *name; /* "stackfaq", "stackfaq-thread", "bq", "semeval" */
    rel_doc *docs;
    size_t ndocs;
    rel_query *q;
    size_t nq;
    int graded;  /* nDCG gains 2^g-1 (SemEval) instead of binary */
    int cutoff;  /* ranks scored: 100, or 10 for SemEval */
    int lang_zh; /* Chinese text */
    /* id lookup, sorted by id */
    size_t *byid;
} rel_set;

/* Load a set. corpus, queries, qrels are paths; xml (SemEval, may be
 * NULL) adds each candidate thread's comments. Returns 0 or -1 with a
 * message on stderr. */
int rel_set_load(rel_set *s, rel_kind kind, const char *corpus,
                 const char *queries, const char *qrels, const char *xml);
void rel_set_free(rel_set *s);
/* Index of doc id, or -1. */
long rel_set_find(const rel_set *s, const char *id, size_t len);
/* The set's name for a --set argument, or -1. */
int rel_kind_parse(const char *name);
const char *rel_kind_name(rel_kind k);

/* A ranking: doc indexes, best first. */
typedef struct rel_ranking {
    size_t *v;
    size_t n, cap;
} rel_ranking;

int rel_ranking_add(rel_ranking *r, size_t doc);
void rel_ranking_free(rel_ranking *r);

/* Apply the README's rules to an engine's raw ranking of query q: BQ drops
 * the query's own sentence; SemEval keeps only q's candidates and appends
 * the unretrieved ones in ir_rank order; every set cuts at its cutoff and
 * drops repeats. */
void rel_finish(const rel_set *s, const rel_query *q, rel_ranking *r);

/* --- engines --- */

/* Settings that engines read (flags of the harness). Negative numbers and
 * NULL mean "the engine's own default". */
typedef struct rel_opts {
    const char *config;   /* kb_config file, if it exists */
    double k1, b, title_weight, cjk_unigram_weight;
    int spelling;         /* kb_search spelling correction */
    int audience;         /* kb_audience for search */
    int snippets;         /* build snippets as the server does */
    int rf_terms, rf_docs; /* kb_search relevance feedback (0: off) */
    /* kb_suggest */
    int max_terms, expand_docs, expand_terms;
    double subject_weight, expand_weight, duplicate;
    /* SemEval: candidate documents and how the query is run */
    const char *sem_doc;  /* "faq" (subject+body) or "ticket" (+comments) */
    int sem_comments;     /* comments used as the ticket resolution */
    const char *sem_mode; /* "filter" (own candidates only) or "open" */
    const char *sem_via;  /* "suggest" or "search" */
    /* prototypes (eng_proto.c): see --help */
    const char *proto;
    int verbose;
    int group;            /* kb_search lists hits by article (group=1) */
    const char *thesaurus; /* WordNet directory ("": none) */
    double thesaurus_weight;
    int thesaurus_words;
} rel_opts;

typedef struct rel_engine {
    const char *name;
    /* Build an index of s in a fresh temporary directory. */
    int (*open)(void **st, const rel_set *s, const rel_opts *o);
    /* Rank documents for q into r (raw; rel_finish is applied after). */
    int (*rank)(void *st, const rel_set *s, const rel_query *q,
                rel_ranking *r);
    void (*close)(void *st);
} rel_engine;

extern const rel_engine rel_engine_deskdex;
extern const rel_engine rel_engine_proto;
extern const rel_engine rel_engine_fts5;
extern const rel_engine rel_engine_xapian;

/* --- helpers --- */

/* A new temporary directory under $TMPDIR (or /tmp), or NULL. */
char *rel_tempdir(const char *tag);
/* Remove a directory tree made by rel_tempdir. */
void rel_rmtree(const char *path);
/* The query as one string (SemEval: subject, a space, body). New. */
char *rel_query_string(const rel_query *q);

#endif

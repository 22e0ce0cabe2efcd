/* xapian_c.h - the C API over Xapian that every deskdex program uses */
#ifndef KB_XAPIAN_C_H
#define KB_XAPIAN_C_H

/*
 * Conventions
 *
 * 1. Handles are opaque: kb_xdb (a database, read-only or writable),
 *    kb_xdoc (a document being built), kb_xquery (a query tree) and
 *    kb_xmset (the results of one search). Each has a _free/_close that
 *    accepts NULL and returns nothing.
 * 2. Text is passed as pointer plus length and is UTF-8. Terms are bytes.
 * 3. Functions that can fail return a kb_rc code (kb_error.h): KB_OK, or a
 *    negative code chosen by the exception's type: DatabaseLockError is
 *    KB_ELOCKED, DatabaseCorruptError KB_ECORRUPT, DatabaseNotFoundError and
 *    DocNotFoundError KB_ENOTFOUND, DatabaseOpeningError KB_EOPEN,
 *    QueryParserError KB_EQUERY, NetworkError KB_ENETWORK, other
 *    DatabaseError KB_EIO, InvalidArgumentError KB_EINVALID, bad_alloc
 *    KB_ENOMEM and anything else KB_ERROR. If errmsg is not NULL it receives
 *    Xapian's own message (new; free with kb_free). No exception ever leaves
 *    this API. Constructors that return a handle return NULL only when out
 *    of memory.
 * 4. Ownership: "new" results are the caller's to free with the matching
 *    function; "borrowed" results live as long as the handle they came from.
 *    Query constructors copy their subqueries (Xapian queries are reference
 *    counted), so the caller still frees what it passed.
 * 5. Threads: a kb_xdb is not thread-safe. The server gives each worker
 *    thread its own read-only kb_xdb; queries and documents may be built in
 *    any thread but are used by one thread at a time.
 * 6. DatabaseModifiedError (a reader left behind by a writer) is handled
 *    inside: the database is reopened and the call retried a bounded number
 *    of times before KB_EIO is returned.
 * 7. Deliberately not wrapped: Xapian's TermGenerator, QueryParser and
 *    Stem (deskdex analyses text itself, in C, so that indexing, querying
 *    and highlighting share one analyser), remote writers and replication
 *    (xapian-replicate does that outside the process).
 * 8. A set of shards (kb_xdb_open_shards) is one kb_xdb: searches and
 *    statistics see every shard that answers, as if one index held all
 *    documents. Metadata of a set is that of its first shard only, so
 *    per-document records are read and written through kb_xdb_shard().
 *    A remote shard that fails (NetworkError, or no answer within the
 *    timeout) is dropped, the call is run again on the rest, and the
 *    shard is tried again after retry_ms; kb_xdb_missing() says which
 *    shards the last search lacked.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kb_xdb kb_xdb;
typedef struct kb_xdoc kb_xdoc;
typedef struct kb_xquery kb_xquery;
typedef struct kb_xmset kb_xmset;

/* --- databases --- */

#define KB_XDB_READ 0   /* open an existing database read-only */
#define KB_XDB_WRITE 1  /* open for writing, creating it if missing */
#define KB_XDB_NOSYNC 2 /* with WRITE: do not fsync on commit (tests) */
/* With WRITE: leave held spelling records (see kb_xdb_hold_spelling) to
 * kb_xdb_spelling_set. */
#define KB_XDB_NOHELD 4

/* Open the database at path. Errors: KB_EOPEN/KB_ENOTFOUND (missing or
 * unreadable), KB_ELOCKED (another writer holds it), KB_ECORRUPT (also a
 * held spelling record that does not parse, which only
 * kb_xdb_spelling_set, opened with KB_XDB_NOHELD, removes). */
int kb_xdb_open(kb_xdb **out, const char *path, int flags, char **errmsg);

/* Close the database; uncommitted changes outside a transaction are
 * committed, an open transaction is cancelled. NULL is allowed. */
void kb_xdb_close(kb_xdb *db);

/* Move a reader to the latest committed revision. */
int kb_xdb_reopen(kb_xdb *db, char **errmsg);

/* Writers only: transactions. One begin..commit is atomic and durable. */
int kb_xdb_begin(kb_xdb *db, char **errmsg);
int kb_xdb_commit(kb_xdb *db, char **errmsg);
int kb_xdb_cancel(kb_xdb *db, char **errmsg);

/* Writers only: add or replace the document indexed by the unique term
 * (the upsert), and delete every document indexed by it. */
int kb_xdb_replace(kb_xdb *db, const char *uterm, size_t ulen,
                   const kb_xdoc *doc, char **errmsg);
int kb_xdb_delete(kb_xdb *db, const char *uterm, size_t ulen, char **errmsg);

/* Read the data of the first document indexed by term. *out is new and
 * NUL-terminated; KB_ENOTFOUND when no document has the term. */
int kb_xdb_get_data(kb_xdb *db, const char *term, size_t tlen, char **out,
                    size_t *outlen, char **errmsg);

/* Metadata: key/value pairs stored with the index, transactional with
 * documents and not counted in any statistics. get: *out is new and
 * NUL-terminated, or NULL with KB_OK when the key is absent. set with an
 * empty value deletes the key. Keys are at most 240 bytes. */
int kb_xdb_get_metadata(kb_xdb *db, const char *key, size_t klen, char **out,
                        size_t *outlen, char **errmsg);
int kb_xdb_set_metadata(kb_xdb *db, const char *key, size_t klen,
                        const char *val, size_t vlen, char **errmsg);

/* Call fn for every metadata key starting with prefix, in byte order. A
 * non-zero return from fn stops the walk and is returned. */
typedef int (*kb_xkey_fn)(void *ctx, const char *key, size_t klen);
int kb_xdb_metadata_keys(kb_xdb *db, const char *prefix, size_t plen,
                         kb_xkey_fn fn, void *ctx, char **errmsg);

/* Statistics. */
int kb_xdb_doccount(kb_xdb *db, uint32_t *out, char **errmsg);
int kb_xdb_termfreq(kb_xdb *db, const char *term, size_t tlen, uint32_t *out,
                    char **errmsg);
/* The committed revision; 0 for a remote shard or a set (they do not
 * say). */
int kb_xdb_revision(kb_xdb *db, uint64_t *out, char **errmsg);
/* Average document length and total documents, for weighting queries. */
int kb_xdb_avlength(kb_xdb *db, double *out, char **errmsg);

/* A byte string that need not end in NUL. */
typedef struct kb_xstr {
    const char *s;
    size_t n;
} kb_xstr;

/* Summed statistics of groups of documents (an article's sections): for
 * group g, the documents indexed under the term groups[g] that hold none
 * of the skip terms. ndocs[g] is how many, len[g] their summed lengths,
 * and wdf[g * nterms + t] the summed wdf of terms[t] in them (the largest
 * single one where maxof is non-NULL and maxof[t] is set). */
int kb_xdb_group_stats(kb_xdb *db, const kb_xstr *groups, size_t ngroups,
                       const kb_xstr *terms, size_t nterms,
                       const unsigned char *maxof, const kb_xstr *skip,
                       size_t nskip, uint32_t *ndocs, double *len, double *wdf,
                       char **errmsg);

/* Write a consistent copy of the database's current revision to out (a
 * new folder), keeping document ids. Works while a writer commits: a
 * revision that moves on underneath is retried on the newer one. */
int kb_xdb_compact(kb_xdb *db, const char *out, char **errmsg);
/* Merge the databases at srcs (documents renumbered in that order;
 * spelling frequencies added up; of metadata keys held by several, the
 * first's value) into a new compact database at out. */
int kb_xdb_merge(const char *const *srcs, size_t n, const char *out,
                 char **errmsg);

/* Spelling dictionary. add/remove change a word's frequency by freq.
 * suggestion: *out is new, or NULL with KB_OK when there is none.
 *
 * hold 1: spelling changes are kept in memory across commits, and handed
 * to Xapian by the first commit after hold 0. Xapian rewrites the
 * dictionary's lists of every word fragment a new word touches at each
 * commit, so for an index built in one go and thrown away if it fails
 * (a part of a parallel load) this saves that work on all but the last
 * commit. A cancel drops the open transaction's changes, as always.
 * hold 2: the same, but each commit also records its transaction's
 * changes in the index's metadata (keys "!spelling:N"). The commit after
 * hold 0, or a close,
 * hands them all to Xapian and removes the records; a writer that finds
 * records (its predecessor was killed) applies them when it opens. So
 * the dictionary always comes to match the committed documents, while
 * searches during a held load see the dictionary as it was before it. */
void kb_xdb_hold_spelling(kb_xdb *db, int hold);

int kb_xdb_add_spelling(kb_xdb *db, const char *w, size_t wlen, unsigned freq,
                        char **errmsg);
int kb_xdb_remove_spelling(kb_xdb *db, const char *w, size_t wlen,
                           unsigned freq, char **errmsg);
int kb_xdb_spelling(kb_xdb *db, const char *w, size_t wlen, unsigned maxedit,
                    char **out, char **errmsg);

/* Every word of the spelling dictionary with its frequency, in byte
 * order; fn returns nonzero to stop, which is then returned. */
typedef int (*kb_xword_fn)(void *ctx, const char *w, size_t wlen,
                           unsigned freq);
int kb_xdb_spelling_words(kb_xdb *db, kb_xword_fn fn, void *ctx, char **errmsg);

/* *n: the held spelling records (hold 2) a killed writer left, which the
 * next writer applies. */
int kb_xdb_spelling_held(kb_xdb *db, size_t *n, char **errmsg);

/* A count of words to make the whole spelling dictionary of: each
 * kb_xspell_add counts one. kb_xdb_spelling_set, inside a write
 * transaction, makes the dictionary exactly s: every word s lacks is taken
 * out, every word of s gets its count, and held spelling records are
 * removed. */
typedef struct kb_xspell kb_xspell;
kb_xspell *kb_xspell_new(void);
void kb_xspell_free(kb_xspell *s);
int kb_xspell_add(kb_xspell *s, const char *w, size_t wlen);
size_t kb_xspell_size(const kb_xspell *s);
int kb_xdb_spelling_set(kb_xdb *db, const kb_xspell *s, char **errmsg);

/* Synonyms, stored in the index (keys and values are terms as indexed).
 * A shard's or a set's spelling words and synonyms live in its dictionary
 * (see kb_xdb_open_shards), for every call above. */
int kb_xdb_add_synonym(kb_xdb *db, const char *key, size_t klen,
                       const char *syn, size_t slen, char **errmsg);

/* --- sets of shards --- */

#define KB_XMAX_SHARDS 1024

/* One shard: a local folder (path), or a remote xapian-tcpsrv (path NULL,
 * host and port). */
typedef struct kb_xshard {
    const char *path;
    const char *host;
    unsigned port;
} kb_xshard;

typedef struct kb_xshard_opts {
    unsigned timeout_ms;         /* a remote shard's answer (and greeting) */
    unsigned connect_timeout_ms; /* a remote shard's TCP connect */
    unsigned retry_ms;           /* try a dropped shard again after this */
} kb_xshard_opts;

#define KB_XSHARD_OPTS_INIT                                                    \
    {                                                                          \
        2000, 500, 2000                                                        \
    }

/* Open n shards as one database. dict (may be NULL) is a local database
 * that holds the spelling words of every shard: remote shards do not
 * serve theirs. With KB_XDB_WRITE every shard must be local; begin,
 * commit and cancel then act on every shard and the dictionary (commits
 * are atomic per shard, not across shards). Errors: KB_EINVALID (bad
 * list), KB_EOPEN/KB_ENOTFOUND/KB_ECORRUPT naming a local shard that
 * cannot be opened, KB_ENETWORK when no shard answers. Remote shards
 * that do not answer at first are left out and tried again later. */
int kb_xdb_open_shards(kb_xdb **out, const kb_xshard *shards, size_t n,
                       const char *dict, const kb_xshard_opts *o, int flags,
                       char **errmsg);

/* Number of shards: 1 for a plain database. */
size_t kb_xdb_nshards(const kb_xdb *db);

/* Shard i of a set as a database of its own (borrowed, valid until the set
 * is closed; never closed by itself), its spelling calls going to the
 * set's dictionary. A plain database is its own shard 0. A shard that
 * does not answer gives KB_ENETWORK on every call. NULL if i is out of
 * range. */
kb_xdb *kb_xdb_shard(kb_xdb *db, size_t i);

/* The set's dictionary (borrowed), or db itself when it has none. */
kb_xdb *kb_xdb_dictionary(kb_xdb *db);

/* The shards the last search on db lacked, ascending, at most max of them
 * into out; returns how many there were (0: a whole answer). */
size_t kb_xdb_missing(const kb_xdb *db, uint32_t *out, size_t max);

/* Whether shard i is answering; *where (borrowed) is its folder or host. */
int kb_xdb_shard_up(const kb_xdb *db, size_t i, const char **where);
/* Shard i's port, 0 for a local shard. */
unsigned kb_xdb_shard_port(const kb_xdb *db, size_t i);

/* Whether a writer was changed since its transaction began. */
int kb_xdb_touched(const kb_xdb *db);

/* --- documents --- */

kb_xdoc *kb_xdoc_new(void);
void kb_xdoc_free(kb_xdoc *doc);
/* A term at a position (pos >= 1) or, with pos 0, without position. */
int kb_xdoc_add_term(kb_xdoc *doc, const char *term, size_t tlen, uint32_t pos,
                     uint32_t wdfinc);
int kb_xdoc_add_value(kb_xdoc *doc, unsigned slot, const char *v, size_t vlen);
int kb_xdoc_set_data(kb_xdoc *doc, const char *data, size_t dlen);

/* --- queries --- */

typedef enum kb_xop {
    KB_XOP_AND = 0,
    KB_XOP_OR = 1,
    KB_XOP_AND_NOT = 2,    /* first minus the OR of the rest */
    KB_XOP_AND_MAYBE = 4,  /* first, ranked also by the rest */
    KB_XOP_FILTER = 5,     /* first, restricted to the rest, unranked */
    KB_XOP_PHRASE = 7,     /* param: window; 0 means the number of parts */
    KB_XOP_ELITE_SET = 10, /* param: how many of the best parts to keep */
    KB_XOP_SYNONYM = 13,
    KB_XOP_MAX = 14,
} kb_xop;

/* A term query. wqf weighs repeated query terms; pos orders phrases. */
kb_xquery *kb_xquery_term(const char *term, size_t tlen, uint32_t wqf,
                          uint32_t pos);
/* Every term starting with prefix, at most max_expansion of them (the most
 * frequent), combined as a synonym so they score as one word. */
kb_xquery *kb_xquery_wildcard(const char *prefix, size_t plen,
                              unsigned max_expansion);
/* The same, expanded now against every term of db (a set of shards
 * included), so that every shard searches the same terms and a set
 * scores as one index would. NULL on error. */
kb_xquery *kb_xdb_wildcard(kb_xdb *db, const char *prefix, size_t plen,
                           unsigned max_expansion);
kb_xquery *kb_xquery_combine(kb_xop op, kb_xquery *const *subs, size_t n,
                             unsigned param);
kb_xquery *kb_xquery_scale(const kb_xquery *q, double factor);
/* Documents whose value in slot sorts at or before v (byte order). */
kb_xquery *kb_xquery_value_le(unsigned slot, const char *v, size_t vlen);
kb_xquery *kb_xquery_match_all(void);
int kb_xquery_empty(const kb_xquery *q);
void kb_xquery_free(kb_xquery *q);
/* Call fn for each term of the query, in query order, as many times as the
 * query holds it (a word said twice is two terms). syn is 0, or for the
 * terms of a synonym the same number from 1 (the terms of a phrase inside
 * a synonym are left out). A non-zero return from fn stops the walk and is
 * returned. */
typedef int (*kb_xleaf_fn)(void *ctx, const char *term, size_t tlen,
                           unsigned syn);
int kb_xquery_terms(const kb_xquery *q, kb_xleaf_fn fn, void *ctx);
/* Xapian's description of the query (new), for logs and tests. */
char *kb_xquery_describe(const kb_xquery *q);

/* --- searching --- */

#define KB_XMAX_FACETS 4

typedef struct kb_xsearch_opts {
    double k1, k2, k3, b, min_normlen; /* BM25 parameters */
    uint32_t first;                    /* offset of the first hit */
    uint32_t maxitems;                 /* hits wanted */
    uint32_t checkatleast; /* hits to examine for counts and facets */
    int collapse_slot;     /* value slot whose duplicates collapse, or -1 */
    int nfacets;           /* value slots to count, at most KB_XMAX_FACETS */
    unsigned facet_slots[KB_XMAX_FACETS];
    int bool_only; /* rank by document order, ignore weights */
} kb_xsearch_opts;

#define KB_XSEARCH_OPTS_INIT                                                   \
    {                                                                          \
        1.2, 0.0, 1.0, 0.75, 0.5, 0, 10, 0, -1, 0, {0, 0, 0, 0}, 0             \
    }

int kb_xdb_search(kb_xmset **out, kb_xdb *db, const kb_xquery *q,
                  const kb_xsearch_opts *opts, char **errmsg);
void kb_xmset_free(kb_xmset *ms);

uint32_t kb_xmset_size(const kb_xmset *ms);
/* Estimated matches (exact when below checkatleast). */
uint32_t kb_xmset_estimated(const kb_xmset *ms);
uint32_t kb_xmset_docid(const kb_xmset *ms, uint32_t i);
double kb_xmset_weight(const kb_xmset *ms, uint32_t i);
/* A term's document frequency: the statistic the search used where the
 * term was in its query (no lookup), else the database's. */
int kb_xmset_termfreq(const kb_xmset *ms, const char *term, size_t tlen,
                      uint32_t *out, char **errmsg);
/* The data of hit i: borrowed, valid until the mset is freed. */
int kb_xmset_data(kb_xmset *ms, uint32_t i, const char **data, size_t *len,
                  char **errmsg);
/* Call fn with hit i's value in slot, if it has one. */
int kb_xmset_value(kb_xmset *ms, uint32_t i, unsigned slot, kb_xkey_fn fn,
                   void *ctx, char **errmsg);
/* Call fn with hit i's first term (in byte order) that starts with prefix,
 * if it has one. Slower than a value: the whole termlist is read. */
int kb_xmset_term(kb_xmset *ms, uint32_t i, const char *prefix, size_t plen,
                  kb_xkey_fn fn, void *ctx, char **errmsg);
/* Call fn for each query term that hit i matched. */
int kb_xmset_matching_terms(kb_xmset *ms, uint32_t i, kb_xkey_fn fn, void *ctx,
                            char **errmsg);
/* Relevance feedback: the nterms best expansion terms from the first
 * nrel hits, skipping terms that start with an upper-case ASCII letter
 * (boolean prefixes). fn gets each term with its expansion weight. */
typedef int (*kb_xterm_fn)(void *ctx, const char *term, size_t tlen,
                           double weight);
int kb_xmset_expand(kb_xmset *ms, uint32_t nrel, uint32_t nterms,
                    kb_xterm_fn fn, void *ctx, char **errmsg);
/* The values of facet slot k (index into opts.facet_slots) as stored,
 * each with the number of hits holding it; *seen: the hits examined (those
 * without the value included). A value holding several items is one
 * value here: the caller splits it. */
int kb_xmset_facet_values(const kb_xmset *ms, int k, kb_xterm_fn fn, void *ctx,
                          uint32_t *seen);

#ifdef __cplusplus
}
#endif
#endif

/* kb_search.h - the query language, audience filters and ranked results */
#ifndef KB_SEARCH_H
#define KB_SEARCH_H

#include "kb_config.h"
#include "kb_snippet.h"
#include "xapian_c.h"

#include <jansson.h>

/* Who is asking decides what can be seen; every search carries it inside
 * the Xapian query (not as a post-filter), so counts and facets agree. */
typedef enum kb_audience {
    KB_AUD_PUBLIC = 0, /* published, public */
    KB_AUD_AGENT = 1,  /* published, public and internal */
    KB_AUD_EDITOR = 2, /* also drafts */
    KB_AUD_ADMIN = 3,
} kb_audience;

typedef struct kb_search_opts {
    const char *q; /* the user's query (query language, see below) */
    const char *kind, *product, *category, *tag, *lang; /* filters or NULL */
    int limit, offset;
    kb_audience audience;
    int partial;  /* the last word is being typed: match it as a prefix */
    int facets;   /* count kinds, products, categories and tags */
    int spelling; /* correct unknown words from the index's vocabulary */
    int snippets; /* highlighted excerpts */
    size_t snippet_bytes;
    /* Relevance feedback: add this many expansion terms from the best
     * nrel hits and search again (0: off). */
    int expand_terms, expand_docs;
    /* Ids shown first on the first page (pins), when visible to the
     * audience and within the filters; borrowed. NULL: none. */
    const json_t *pinned;
    /* Review dates before this day (YYYY-MM-DD) are overdue; with the
     * configuration's stale_weight below 1 their scores are scaled by it.
     * NULL: today (UTC). */
    const char *today;
    /* List the hits by article: the parents of the best max(100, offset +
     * limit) sections ranked as whole texts, each one's sections together
     * in their own order (see kb_search). */
    int group;
} kb_search_opts;

#define KB_SEARCH_OPTS_INIT                                                    \
    {                                                                          \
        NULL, NULL, NULL, NULL, NULL, NULL, 10, 0, KB_AUD_PUBLIC, 0, 1, 1, 1,  \
            240, 0, 0, NULL, NULL, 0                                           \
    }

/*
 * The query language never fails: anything it does not understand is
 * searched as plain words.
 *   words        ranked by BM25 over all words (no strict AND)
 *   "a phrase"   the words in that order, required
 *   +word        required;  -word, NOT word   excluded
 *   a OR b       accepted (plain words are already OR-ed)
 *   prefix*      any word starting with prefix (2+ characters)
 *   field:value  kind, product, category, tag, lang filter the results;
 *                title:word searches titles only
 * Chinese runs become unigrams and bigrams; synonyms from the
 * configuration expand words; English stop words are dropped when the
 * query has other words.
 */

/* A parsed query. */
typedef struct kb_query kb_query;

/* Parse and build q for db (spelling look-ups need it). *out is new. */
int kb_query_build(kb_query **out, kb_xdb *db, const kb_config *cfg,
                   const kb_search_opts *o, char **errmsg);
void kb_query_free(kb_query *q);
/* The Xapian query (borrowed). */
const kb_xquery *kb_query_xquery(const kb_query *q);
/* The terms to highlight (borrowed). */
const kb_termset *kb_query_terms(const kb_query *q);
/* The corrected query string when spelling changed a word (borrowed), or
 * NULL. */
const char *kb_query_corrected(const kb_query *q);

/* Run a search. *out is a new object:
 *   {"total":N, "results":[…], "facets":{…}, "did_you_mean":"…"?}
 * Each result: id, version, kind, title, title_html, snippet, answer
 * (FAQ) or resolution (ticket), section, anchor, parent, source, score,
 * updated_at, tags, product, category, lang, visibility, status,
 * review_by; "pinned": true on pinned results.
 * Returns KB_OK (zero hits included), or the wrapper's code. */
int kb_search(json_t **out, kb_xdb *db, const kb_config *cfg,
              const kb_search_opts *o, char **errmsg);

/* Search with the ids of exclude left out, returning raw hits for callers
 * that rank further (suggested fixes). */

/* Relevance feedback: the nterms best expansion terms of the first ndocs
 * hits of ms, OR-ed and scaled by weight (new), or NULL if none. */
kb_xquery *kb_expansion(kb_xmset *ms, uint32_t ndocs, uint32_t nterms,
                        double weight);

/* q (borrowed) restricted to what audience a may see (new). Every indexed
 * document is published or a draft (archived ones leave the index) and
 * public or internal, so the few an audience may not see (drafts, internal
 * documents) are taken away (AND_NOT) rather than the many it may see
 * required (a FILTER on terms nearly every document has costs the matcher
 * a check of each candidate against two long lists). NULL on NULL. */
kb_xquery *kb_audience_restrict(const kb_xquery *q, kb_audience a);

/* BM25 options from the configuration. */
void kb_search_xopts(kb_xsearch_opts *xo, const kb_config *cfg);

/* The terms of the documents audience a may not see (drafts, internal
 * ones), static: *out, and their number. */
size_t kb_audience_hidden(kb_audience a, const kb_xstr **out);

/* Turn one stored document (data of a hit) into a result object with
 * highlighted title and snippet. */
json_t *kb_result_from_doc(const json_t *doc, const kb_termset *terms,
                           size_t snippet_bytes, int snippets);
/* The same from a stored head and its texts as they lie in the data
 * (kb_doc_unpack_head), without copying them. */
json_t *kb_result_from_head(const json_t *head, const char *const text[2],
                            const size_t tlen[2], const kb_termset *terms,
                            size_t snippet_bytes, int snippets);

#endif

/* kb_suggest.h - suggested fixes: resolved tickets and KB answers that
 * match a whole ticket */
#ifndef KB_SUGGEST_H
#define KB_SUGGEST_H

#include "kb_config.h"
#include "kb_search.h"
#include "xapian_c.h"

#include <jansson.h>

typedef struct kb_suggest_opts {
    const char *subject, *description; /* the ticket (either may be NULL) */
    const char *product, *category;    /* optional: same ones rank higher */
    const json_t *exclude;             /* array of ids to leave out, or NULL */
    int limit;
    kb_audience audience;
    int max_terms;         /* salient terms kept (by collection weight) */
    double subject_weight; /* salience multiplier of subject words */
    int expand_docs, expand_terms; /* relevance feedback (0 terms: off) */
    double expand_weight;
    double product_boost;  /* score multiplier for the same product */
    double strong, medium; /* confidence bands by weighted term cover */
    double duplicate;      /* word-set overlap that makes a duplicate */
} kb_suggest_opts;

#define KB_SUGGEST_OPTS_INIT                                                   \
    {                                                                          \
        NULL, NULL, NULL, NULL, NULL, 10, KB_AUD_AGENT, 24, 2.0, 1, 8, 0.3,    \
            1.25, 0.45, 0.15, 0.6                                              \
    }

/* Rank tickets and KB answers for a ticket's subject and description: pick
 * the salient terms by their weight in the collection, search, expand with
 * terms from the best hits (relevance feedback), search again, re-rank
 * (same product first among near-equals), collapse near-duplicates into
 * the best one, and band each hit's confidence by how much of the ticket's
 * salient weight it matched. *out is new:
 *   {"results":[{id, version, kind, title, snippet, resolution|answer,
 *                score, match, confidence, matched_terms, duplicates?}],
 *    "terms":[salient words]}
 * Returns KB_OK (zero hits included) or the wrapper's code. */
int kb_suggest(json_t **out, kb_xdb *db, const kb_config *cfg,
               const kb_suggest_opts *o, char **errmsg);

#endif

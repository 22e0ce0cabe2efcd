/* kb_group.h - hits listed by article (group=1) */
#ifndef KB_GROUP_H
#define KB_GROUP_H

#include "kb_config.h"
#include "kb_search.h"
#include "xapian_c.h"

#include <stdint.h>

/* Sections a search by article ranks into articles, at least. */
#define KB_GROUP_POOL 100

/* order[0..n) = the n hits of ms listed by article: the articles (a
 * parent's sections together; a document without a parent is its own)
 * ranked by BM25 over all their sections that aud may see as one text,
 * each article's hits in their own order. q is the query ms was searched
 * with, rel (or NULL) the part of it that holds related words, both
 * borrowed. The weights, statistics and parameters are the section
 * search's own, so an article of one section scores as that section
 * does. A section far weaker than its article's best is listed on its
 * own. */
int kb_group_order(kb_xdb *db, const kb_config *cfg, const kb_xquery *q,
                   const kb_xquery *rel, kb_audience aud, kb_xmset *ms,
                   uint32_t *order, char **errmsg);

#endif

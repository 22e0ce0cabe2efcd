/* eng_deskdex.h - deskdex's own ingest path, shared by the deskdex engine
 * and the prototypes */
#ifndef REL_ENG_DESKDEX_H
#define REL_ENG_DESKDEX_H

#include "rel.h"

#include "kb_config.h"
#include "xapian_c.h"

/* defaults + the configuration file (if it exists) + the harness's
 * overrides. The caller frees c with kb_config_free. */
int rel_dd_config(kb_config *c, const rel_opts *o);

/* Index every doc of s into a new temporary directory (*dir, new) through
 * kb_doc_from_json + kb_store_put in one transaction, with the given
 * status ("published" or "draft"). *writer stays open (new). */
int rel_dd_build(char **dir, kb_xdb **writer, const rel_set *s,
                 const rel_opts *o, const char *status);

/* Store doc i of s again with another status (inside a transaction). */
int rel_dd_put(kb_xdb *w, const rel_set *s, size_t i, const rel_opts *o,
               const char *status);

#endif

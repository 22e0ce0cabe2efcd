/* kb_shard.h - sharded indexes: which shard holds a document, the layout
 * of a set of shards, opening one */
#ifndef KB_SHARD_H
#define KB_SHARD_H

#include "xapian_c.h"

#include <jansson.h>
#include <stdint.h>

/*
 * Layout written by deskdex-index --shards N --db DIR:
 *   DIR/XAPIANDB   a Xapian stub database: one "auto shard-K" line per
 *                  shard, in shard order (xapian-delve, quest and
 *                  xapian-tcpsrv open DIR as the whole set)
 *   DIR/shard-K    a deskdex index with the documents whose id hashes to K,
 *                  every version and feedback count of them
 *   DIR/dict       the dictionary: spelling words of every shard's
 *                  published public documents, source-file records
 * A front-end may open instead a stub file of "remote HOST:PORT" lines
 * (xapian-tcpsrv endpoints, same order) with a local copy of the
 * dictionary. Every writer commit stamps each shard it changed with the
 * commit time (metadata key KB_SHARD_STAMP), which replicas compare.
 */

#define KB_SHARD_STAMP "!commit"

/* The shard of a document: FNV-1a (64-bit) of its id, modulo n. The same
 * in the indexer and the server; changing n moves documents. */
uint32_t kb_shard_of(const char *id, uint32_t n);

/* Whether path names a set of shards: a folder holding XAPIANDB, or a
 * stub file. */
int kb_shard_is_set(const char *path);

/* Make DIR a set of n shards (1..KB_XMAX_SHARDS) if it is not one yet:
 * the folders and the stub file. A set of another size, or a plain index
 * at DIR, is KB_EINVALID with a message that says so. */
int kb_shard_create(const char *dir, long n, char **errmsg);

/* Open path: a plain index, or a set (stub folder or file). dict overrides
 * the set's dictionary (default: "dict" beside the stub, when present).
 * Errors name the stub line or the shard at fault. *out is new. */
int kb_shard_open(kb_xdb **out, const char *path, const char *dict,
                  const kb_xshard_opts *o, int flags, char **errmsg);

/* The shard that holds id (borrowed from db; db itself for a plain
 * index). */
kb_xdb *kb_shard_for(kb_xdb *db, const char *id);

/* kb_store_stats over every shard, summed, with "shards": [{"shard",
 * "searchable", "up"}] for a set. *out is new. */
int kb_shard_stats(kb_xdb *db, json_t **out, char **errmsg);

/* Inside a write transaction of w: stamp every shard that was changed,
 * and the dictionary, with the current time. */
int kb_shard_stamp(kb_xdb *w, char **errmsg);

/* The commit stamp of one database (a shard, or a plain index) in
 * microseconds since the epoch; 0 when none or unreadable. */
long long kb_shard_stamp_of(kb_xdb *db);

#endif

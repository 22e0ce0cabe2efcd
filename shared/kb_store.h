/* kb_store.h - the versioned knowledge store on top of the Xapian index */
#ifndef KB_STORE_H
#define KB_STORE_H

#include "xapian_c.h"

#include <jansson.h>

/*
 * Layout. Only the current version of each document that is not archived
 * has postings, so old versions never touch ranking statistics. Every
 * version lives in metadata, written in the same transaction:
 *   d:<id>          head {"v":N,"hash":…,"status":…,"visibility":…}
 *   v:<id>:<N>      version N as a canonical document (kb_doc.h)
 *   s:<sha256(src)> {"source":path,"ids":[…]} what one source file produced
 *   k:<ticket-id>   {"article":id} the article a ticket was promoted to
 *   pin:<query key> [{pin,id,query,expires,by,created}] pinned answers
 * Terms of an indexed document:
 *   (none)  stemmed words of title (boosted), section, tags, body,
 *           resolution, with positions; CJK unigrams and bigrams
 *   S       title words (field search); Q id (unique); K kind; P product;
 *   C       category; T tag; L lang; V visibility; X status; G parent
 * Values: see KB_SLOT_*. Document data: the current version's JSON.
 */

enum {
    KB_SLOT_KIND = 0,
    KB_SLOT_PRODUCT = 1,
    KB_SLOT_CATEGORY = 2,
    KB_SLOT_TAGS = 3, /* tags joined by 0x1f */
    KB_SLOT_UPDATED = 4,
    KB_SLOT_DUPKEY = 5, /* a hash of the normalised title: collapses copies */
    KB_SLOT_REVIEW = 6, /* review_by as YYYY-MM-DD, when it is a date */
    /* kind, product, category and tags (joined by 0x1f), joined by 0x1e:
     * what the facets count, one value read per hit instead of four */
    KB_SLOT_FACETS = 7,
    /* the article a document belongs to, as a term: its parent's G term,
     * or its own Q term (search with group=1 reads it per hit) */
    KB_SLOT_ARTICLE = 8,
};

/* 1 when s is a calendar date written YYYY-MM-DD. */
int kb_is_date(const char *s);

/* A metadata record as JSON: *out new, or NULL with KB_OK when the key is
 * absent; KB_ECORRUPT names a record that does not parse. */
int kb_meta_get_json(kb_xdb *db, const char *key, json_t **out, char **errmsg);
/* Store j (borrowed) under key; NULL deletes the record. */
int kb_meta_set_json(kb_xdb *w, const char *key, const json_t *j,
                     char **errmsg);

/* Field weights at index time (wdf multipliers). */
#define KB_TITLE_WDF 3

/* Outcome of kb_store_put. */
enum { KB_PUT_UNCHANGED = 0, KB_PUT_ADDED = 1, KB_PUT_UPDATED = 2 };

/* Store doc (canonical, borrowed) as the next version of its id, unless
 * its content hash equals the current version's. who names the writer
 * ("indexer", a key name). Must run inside a transaction of w for
 * atomicity. Returns KB_OK with *outcome and *version set. */
int kb_store_put(kb_xdb *w, const json_t *doc, const char *who, int *outcome,
                 int *version, char **errmsg);

/* Make a new version of id with status "archived" (its postings go).
 * *version is the new version, or the current one if already archived.
 * KB_ENOTFOUND for an unknown id. */
int kb_store_archive(kb_xdb *w, const char *id, const char *who, int *version,
                     char **errmsg);

/* Make a new version of id carrying version `to`'s content. */
int kb_store_rollback(kb_xdb *w, const char *id, int to, const char *who,
                      int *version, char **errmsg);

/* Remove every version of id, its postings, its spelling words and its
 * feedback counts, for erasure requests. *versions is how many versions
 * were removed. KB_ENOTFOUND for an unknown id. A source file that still
 * holds the document brings it back on its next indexing. */
int kb_store_purge(kb_xdb *w, const char *id, int *versions, char **errmsg);

/* Every document id the store knows (archived ones too), as a new array
 * of strings in id order. */
int kb_store_ids(kb_xdb *db, json_t **out, char **errmsg);

/* Rebuild the postings of id from its current version with this build's
 * analysis: after an upgrade that changes how text becomes terms (the
 * folding of Traditional Chinese, say). Its versions and document id stay
 * as they are. *done is 1 if it was rebuilt, 0 if it is archived (no
 * postings) or unknown; *text, if not NULL, the bytes of text it was
 * rebuilt from (kb_doc_text_bytes), 0 when it was not. The spelling
 * dictionary is not changed; words, if
 * not NULL, counts the document's spelling words as this analysis makes
 * them, for kb_xdb_spelling_set once every document has been rebuilt (the
 * words an older analysis added cannot be taken out one document at a
 * time: they are no longer known). */
int kb_store_reanalyse(kb_xdb *w, const char *id, int *done, size_t *text,
                       kb_xspell *words, char **errmsg);

/* Version `version` of id (0: current) as a new object; KB_ENOTFOUND. */
int kb_store_get(kb_xdb *db, const char *id, int version, json_t **out,
                 char **errmsg);

/* Number of the current version of id, 0 if unknown. */
int kb_store_current(kb_xdb *db, const char *id, int *version, char **errmsg);

/* All versions of id as a new array of {version, updated_at, hash, status,
 * visibility, changed_by}. KB_ENOTFOUND for an unknown id. */
int kb_store_history(kb_xdb *db, const char *id, json_t **out, char **errmsg);

/* Record the ids a source produced; returns the ids it produced before
 * (new array; empty if none) so the caller can archive what vanished. */
int kb_store_set_source(kb_xdb *w, const char *source, const json_t *ids,
                        json_t **previous, char **errmsg);

/* Every recorded source as a new object {path: [ids]}. */
int kb_store_sources(kb_xdb *db, json_t **out, char **errmsg);

/* Write a consistent copy of the index (read through db, which lives at
 * dbpath) to the new folder out: as out.partial-PID, renamed when whole.
 * Works while writers commit; when they commit faster than a copy
 * completes, it copies again holding the write lock (waiting up to
 * wait_ms for it), so writers wait instead of the backup failing.
 * KB_EINVALID if out exists. db is moved to the latest revision. */
int kb_store_backup(kb_xdb *db, const char *dbpath, const char *out,
                    int wait_ms, char **errmsg);

/* Remove a folder and everything below it; missing is fine. */
void kb_rmtree(const char *path);

/* Counts for --stats: documents by kind and status, versions in all. */
int kb_store_stats(kb_xdb *db, json_t **out, char **errmsg);

#endif

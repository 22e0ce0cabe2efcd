/* kb_thesaurus.h - related English words, read from a WordNet database
 *
 * A query word's related words (its synonyms in every sense WordNet lists,
 * most frequent sense first, then the forms WordNet derives from it in any
 * part of speech) let a question find an answer written in other words:
 * "erase" also looks for "delete", "stolen" for "steal"'s "slip",
 * "analysis" for "analyze". The database is the one Debian's wordnet-base
 * installs (/usr/share/wordnet): index.{noun,verb,adj,adv} give each
 * word's senses, data.* each sense's words and its "+" (derivation)
 * pointers, and *.exc the irregular forms. Only one-word entries are kept.
 * The handle is read-only once loaded, so threads may share it. */
#ifndef KB_THESAURUS_H
#define KB_THESAURUS_H

#include <stddef.h>

typedef struct kb_thesaurus kb_thesaurus;

/* Load the WordNet database in dir. Returns KB_OK, KB_ENOTFOUND (no such
 * directory, or a data or index file missing from it), KB_ECORRUPT with
 * "file:line: ..." for a malformed entry, or KB_ENOMEM. *out is new. */
int kb_thesaurus_load(kb_thesaurus **out, const char *dir, char **errmsg);

/* The words related to w (lower-case ASCII, len bytes), as one borrowed
 * string of comma-separated words, valid while t is, or NULL. An inflected
 * form is looked up by its base ("stolen" -> "steal", "files" -> "file"). */
const char *kb_thesaurus_find(const kb_thesaurus *t, const char *w, size_t len);

/* Number of words with related words. */
size_t kb_thesaurus_size(const kb_thesaurus *t);

void kb_thesaurus_free(kb_thesaurus *t);

#endif

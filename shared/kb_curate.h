/* kb_curate.h - what editors do to answers: query keys, pins, promotion */
#ifndef KB_CURATE_H
#define KB_CURATE_H

#include "xapian_c.h"

#include <jansson.h>
#include <time.h>

/* The key of a query: its stemmed words less stop words, and its Chinese
 * bigrams (a lone character when a run has one), sorted and unique, joined
 * by spaces. "Reset my password" and "password resets" share a key, so a
 * pin or a report line covers the close variants of a query. *out is new;
 * "" when the query has no terms at all. */
int kb_query_key(char **out, const char *q, size_t len, char **errmsg);

/* --- pins: answers shown first for a query and its close variants --- */

#define KB_PIN_MAX_PER_KEY 10
#define KB_PIN_MAX_DAYS 3650

/* The ids pinned for key that have not expired at now, in pin order (new
 * array, empty when none). */
int kb_pins_for(json_t **out, kb_xdb *db, const char *key, time_t now,
                char **errmsg);

/* Pin id for query until expires (Unix time), inside a write transaction
 * of w. *out: the pin object (new): {pin, query, key, id, expires,
 * created, by}. Pinning the same id for the same key again moves its
 * expiry. KB_EINVALID when the query has no words or the key has
 * KB_PIN_MAX_PER_KEY pins. */
int kb_pin_add(json_t **out, kb_xdb *w, const char *query, const char *id,
               time_t expires, const char *who, char **errmsg);

/* Remove the pin named pin (the "pin" field). KB_ENOTFOUND when none. */
int kb_pin_remove(kb_xdb *w, const char *pin, char **errmsg);

/* Every pin, expired ones included with "expired": true (new array). */
int kb_pins_list(json_t **out, kb_xdb *db, time_t now, char **errmsg);

/* --- promotion: a resolved ticket becomes a draft article --- */

/* A draft article (canonical document, new) written from the stored
 * ticket: its subject as the title; problem, cause (when the ticket has
 * one) and resolution as the body; product, category, tags and language
 * kept; "promoted_from" naming the ticket. kind is "faq" or "manual";
 * id the new document's id. Personal data is masked again, in case the
 * ticket was stored before a masking rule existed. KB_EINVALID when the
 * source is not a ticket. */
int kb_promote_draft(json_t **out, const json_t *ticket, const char *id,
                     const char *kind, const char *visibility, char **errmsg);

/* The article a ticket was promoted to (new string), or NULL. */
char *kb_promoted_to(kb_xdb *db, const char *ticket_id);

/* Record that ticket_id was promoted to article_id (inside a write
 * transaction of w). */
int kb_set_promoted(kb_xdb *w, const char *ticket_id, const char *article_id,
                    char **errmsg);

#endif

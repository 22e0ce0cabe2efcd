/* kb_doc.h - the document model: kinds, fields, defaults, validation, hash */
#ifndef KB_DOC_H
#define KB_DOC_H

#include <jansson.h>

/*
 * A document is a jansson object with these keys (all strings unless said):
 *   id          stable across versions: [A-Za-z0-9._:-], 1..128 bytes
 *   kind        "manual" (one section of a manual), "faq" or "ticket"
 *   title       section heading, FAQ question or ticket subject
 *   body        section text, FAQ answer or ticket description
 *   resolution  ticket resolution ("" for other kinds)
 *   section     breadcrumb of a manual section ("Guide › Install › Windows")
 *   anchor      the section's anchor in its manual; parent: the manual's id
 *   product, category, lang ("en" default), review_by (YYYY-MM-DD or "")
 *   tags        array of strings
 *   visibility  "public" or "internal"
 *   status      "draft", "published" or "archived"
 *   source      file path or "api"
 *   ticket_status, resolved_at   tickets only
 *   promoted_from  the ticket an article was written from ("" for others)
 * Stored versions add: version (integer), hash (hex SHA-256 of the content
 * fields), created_at, updated_at (RFC 3339 UTC), changed_by.
 */

#define KB_ID_MAX 128

/* Turn one input record into a canonical document. Accepted shapes: the
 * canonical one, a FAQ {"question","answer"}, a ticket {"subject",
 * "description","resolution","status"} and a manual section {"title",
 * "body"}. kind may be NULL (taken from "kind" or guessed from the shape).
 * Defaults: manuals and FAQs public+published, tickets internal+published.
 * Ticket text has personal data masked here.
 *
 * Returns KB_OK with *out new; KB_EDOC with errmsg naming the field; or
 * KB_ENOTFOUND with *out NULL for a ticket that is not resolved (not an
 * error: such tickets are skipped). */
int kb_doc_from_json(json_t **out, const json_t *in, const char *kind,
                     char **errmsg);

/* Validate an id. 1 if good. */
int kb_doc_id_ok(const char *id);

/* Hex SHA-256 of the content fields (not timestamps, version or source)
 * into hex[65]. */
int kb_doc_hash(const json_t *doc, char hex[65]);

/* Current time as RFC 3339 UTC into buf[32]. */
void kb_now_rfc3339(char buf[32]);

/* Borrowed string field or "" when absent. */
const char *kb_doc_str(const json_t *doc, const char *key);

/* Bytes of the texts a document is searched by: title, body, resolution. */
size_t kb_doc_text_bytes(const json_t *doc);

/* Hex SHA-256 of bytes into hex[65]. */
void kb_sha256_hex(const void *p, size_t n, char hex[65]);

/* The data a search hit carries: the document as compact JSON without its
 * long texts, then a NUL and the body, a NUL and the resolution, as they
 * are (no field holds a NUL: input strings end at the first). A search
 * parses the small JSON and copies the texts, instead of parsing them.
 * What no search reads stays in the version record only: hash, created_at,
 * changed_by, and empty strings (kb_doc_str reads absent as "").
 * kb_doc_pack's result is new (malloc) with its length in *len. */
char *kb_doc_pack(const json_t *doc, size_t *len);

/* The document back from stored data (new), NULL when it is not a
 * document. Data that is JSON only (as written before the texts were
 * split off) is read as it is. */
json_t *kb_doc_unpack(const char *data, size_t len);

/* The head of stored data alone (new JSON, without body and resolution),
 * and the texts as they lie in data: text[0] the body, text[1] the
 * resolution, each with its length in tlen[] ("" and 0 when absent; a
 * JSON-only record's own strings). For reading a hit without copying its
 * text; data must outlive the texts. */
json_t *kb_doc_unpack_head(const char *data, size_t len, const char *text[2],
                           size_t tlen[2]);

/* The head's JSON (len bytes, no NUL) read without json_loadb, for the
 * shapes kb_doc_pack writes: one object of strings without escapes,
 * integers, booleans, null and arrays of those. Returns what json_loadb
 * would (new), or NULL for anything else, malformed or not, which
 * kb_doc_unpack_head then leaves to json_loadb. */
json_t *kb_doc_head_read(const char *data, size_t len);

#endif

/* curate.c - editors' routes: promote a ticket, publish a draft, pin
 * answers */
#include "kb_curate.h"
#include "kb_doc.h"
#include "kb_error.h"
#include "kb_shard.h"
#include "kb_store.h"
#include "server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PIN_DEFAULT_DAYS 90

/* --- promote: POST /v1/documents/{id}/promote --- */

typedef struct {
    const char *ticket;
    json_t *article; /* the draft (canonical) */
    const char *who;
    int version;
    int outcome;
} promote_ctx;

static int promote_write(kb_xdb *w, void *vctx, char **errmsg)
{
    promote_ctx *c = vctx;
    const char *id = kb_doc_str(c->article, "id");
    kb_xdb *aw = kb_shard_for(w, id);
    int cur = 0;
    /* Checked again under the write lock: two editors may race. */
    if (kb_store_current(aw, id, &cur, NULL) == KB_OK && cur > 0)
        return kb_fail(errmsg, KB_ECONFLICT, "document %s already exists", id);
    int rc =
        kb_store_put(aw, c->article, c->who, &c->outcome, &c->version, errmsg);
    /* The link lives with the ticket, where reads of the ticket look. */
    if (rc == KB_OK)
        rc = kb_set_promoted(kb_shard_for(w, c->ticket), c->ticket, id, errmsg);
    return rc;
}

enum MHD_Result h_promote(request *r);
enum MHD_Result h_promote(request *r)
{
    json_t *in = r->body.len ? body_json(r) : json_object();
    if (!in)
        return MHD_YES;
    const char *ticket = r->params[0];
    char defid[KB_ID_MAX + 1];
    snprintf(defid, sizeof defid, "kb-%.*s", KB_ID_MAX - 3, ticket);
    json_t *jid = json_object_get(in, "id"), *jk = json_object_get(in, "kind");
    json_t *jv = json_object_get(in, "visibility");
    const char *bad = NULL;
    if (!json_is_object(in))
        bad = "send a JSON object (or no body)";
    else if (jid &&
             (!json_is_string(jid) || !kb_doc_id_ok(json_string_value(jid))))
        bad = "field \"id\" must be 1-128 of A-Z a-z 0-9 . _ : -";
    else if (jk &&
             (!json_is_string(jk) || (strcmp(json_string_value(jk), "faq") &&
                                      strcmp(json_string_value(jk), "manual"))))
        bad = "field \"kind\" must be \"faq\" or \"manual\"";
    else if (jv && (!json_is_string(jv) ||
                    (strcmp(json_string_value(jv), "public") &&
                     strcmp(json_string_value(jv), "internal"))))
        bad = "field \"visibility\" must be \"public\" or \"internal\"";
    if (bad) {
        json_decref(in);
        return reply_error(r, KB_EDOC, "%s", bad);
    }
    const char *id = jid ? json_string_value(jid) : defid;
    char *msg = NULL;
    kb_xdb *db = reader(&msg);
    if (!db) {
        json_decref(in);
        enum MHD_Result ret = reply_error(r, KB_EUNAVAIL,
                                          "index unavailable: "
                                          "%s",
                                          msg ? msg : "cannot open");
        free(msg);
        return ret;
    }
    json_t *src = NULL;
    int rc = kb_store_get(kb_shard_for(db, ticket), ticket, 0, &src, NULL);
    if (rc != KB_OK || !strcmp(kb_doc_str(src, "status"), "archived")) {
        json_decref(src);
        json_decref(in);
        return reply_error(r, KB_ENOTFOUND, "no document %s", ticket);
    }
    promote_ctx c = {ticket, NULL, r->key_name, 0, 0};
    rc = kb_promote_draft(&c.article, src, id,
                          jk ? json_string_value(jk) : "faq",
                          jv ? json_string_value(jv) : "public", &msg);
    json_decref(src);
    json_decref(in);
    if (rc == KB_OK) {
        json_object_set_new(c.article, "source", json_string("api"));
        rc = with_writer(promote_write, &c, &msg);
    }
    enum MHD_Result ret;
    if (rc == KB_OK) {
        json_object_set_new(c.article, "version", json_integer(c.version));
        ret = reply_json(r, 201,
                         json_pack("{s:s,s:s,s:i,s:s,s:O}", "id",
                                   kb_doc_str(c.article, "id"), "promoted_from",
                                   ticket, "version", c.version, "status",
                                   "draft", "document", c.article));
    } else {
        ret = reply_error(r, rc == KB_EINVALID ? KB_EDOC : rc, "%s",
                          msg ? msg : kb_strerror(rc));
    }
    guard_audit(r, "promote",
                rc == KB_OK ? kb_doc_str(c.article, "id") : ticket, c.version,
                0, (unsigned)r->status);
    json_decref(c.article);
    free(msg);
    return ret;
}

/* --- publish: POST /v1/documents/{id}/publish --- */

typedef struct {
    const char *id, *who;
    int version, outcome;
} publish_ctx;

static int publish_write(kb_xdb *w, void *vctx, char **errmsg)
{
    publish_ctx *c = vctx;
    json_t *doc = NULL;
    w = kb_shard_for(w, c->id);
    int rc = kb_store_get(w, c->id, 0, &doc, errmsg);
    if (rc != KB_OK)
        return rc == KB_ENOTFOUND ? kb_fail(errmsg, rc, "no document %s", c->id)
                                  : rc;
    const char *st = kb_doc_str(doc, "status");
    if (!strcmp(st, "published")) {
        c->version = (int)json_integer_value(json_object_get(doc, "version"));
        json_decref(doc);
        return KB_OK; /* already: nothing to do */
    }
    if (strcmp(st, "draft")) {
        json_decref(doc);
        return kb_fail(errmsg, KB_ECONFLICT,
                       "document %s is %s; only a "
                       "draft can be published",
                       c->id, st);
    }
    json_object_set_new(doc, "status", json_string("published"));
    json_t *canon = NULL;
    rc = kb_doc_from_json(&canon, doc, NULL, errmsg);
    json_decref(doc);
    if (rc == KB_OK)
        rc = kb_store_put(w, canon, c->who, &c->outcome, &c->version, errmsg);
    json_decref(canon);
    return rc;
}

enum MHD_Result h_publish(request *r);
enum MHD_Result h_publish(request *r)
{
    publish_ctx c = {r->params[0], r->key_name, 0, 0};
    char *msg = NULL;
    int rc = with_writer(publish_write, &c, &msg);
    enum MHD_Result ret =
        rc == KB_OK
            ? reply_json(r, 200,
                         json_pack("{s:s,s:i,s:s}", "id", c.id, "version",
                                   c.version, "status", "published"))
            : reply_error(r, rc, "%s", msg ? msg : kb_strerror(rc));
    guard_audit(r, "publish", c.id, c.version, 0, (unsigned)r->status);
    free(msg);
    return ret;
}

/* --- pins: GET/POST /v1/pins, DELETE /v1/pins/{pin} --- */

enum MHD_Result h_pins_list(request *r);
enum MHD_Result h_pins_list(request *r)
{
    char *msg = NULL;
    kb_xdb *db = reader(&msg);
    free(msg);
    if (!db)
        return reply_error(r, KB_EUNAVAIL, "index unavailable");
    json_t *pins = NULL;
    int rc = kb_pins_list(&pins, kb_xdb_dictionary(db), time(NULL), NULL);
    if (rc != KB_OK)
        return reply_error(r, rc, "%s", kb_strerror(rc));
    return reply_json(r, 200, json_pack("{s:o}", "pins", pins));
}

typedef struct {
    const char *query, *id, *who, *pin;
    time_t expires;
    json_t *out;
} pin_ctx;

static int pin_write(kb_xdb *w, void *vctx, char **errmsg)
{
    pin_ctx *c = vctx;
    /* Pins live in the dictionary: every front-end of a set opens it. */
    return kb_pin_add(&c->out, kb_xdb_dictionary(w), c->query, c->id,
                      c->expires, c->who, errmsg);
}

enum MHD_Result h_pin_add(request *r);
enum MHD_Result h_pin_add(request *r)
{
    json_t *in = body_json(r);
    if (!in)
        return MHD_YES;
    const char *q = json_string_value(json_object_get(in, "query"));
    const char *id = json_string_value(json_object_get(in, "id"));
    json_t *days = json_object_get(in, "days");
    const char *bad = NULL;
    if (!q || !*q || strlen(q) > cfg_limits().max_query)
        bad = "field \"query\" must be a non-empty string";
    else if (!id || !kb_doc_id_ok(id))
        bad = "field \"id\" must be a document id";
    else if (days && (!json_is_integer(days) || json_integer_value(days) < 1 ||
                      json_integer_value(days) > KB_PIN_MAX_DAYS))
        bad = "field \"days\" must be an integer from 1 to 3650";
    if (bad) {
        json_decref(in);
        return reply_error(r, KB_EDOC, "%s", bad);
    }
    /* Only a document that exists and is not archived can be pinned; who
     * sees it is decided at search time. */
    char *msg = NULL;
    kb_xdb *db = reader(&msg);
    free(msg);
    msg = NULL;
    json_t *doc = NULL;
    if (!db || kb_store_get(kb_shard_for(db, id), id, 0, &doc, NULL) != KB_OK ||
        !strcmp(kb_doc_str(doc, "status"), "archived")) {
        json_decref(doc);
        enum MHD_Result ret =
            reply_error(r, KB_EDOC, "no current document %s to pin", id);
        json_decref(in);
        return ret;
    }
    json_decref(doc);
    pin_ctx c = {q,
                 id,
                 r->key_name,
                 NULL,
                 time(NULL) + (time_t)(days ? json_integer_value(days)
                                            : PIN_DEFAULT_DAYS) *
                                  86400,
                 NULL};
    int rc = with_writer(pin_write, &c, &msg);
    json_decref(in);
    enum MHD_Result ret =
        rc == KB_OK ? reply_json(r, 201, json_pack("{s:O}", "pin", c.out))
                    : reply_error(r, rc == KB_EINVALID ? KB_EDOC : rc, "%s",
                                  msg ? msg : kb_strerror(rc));
    guard_audit(r, "pin", rc == KB_OK ? kb_doc_str(c.out, "id") : NULL, 0, 0,
                (unsigned)r->status);
    json_decref(c.out);
    free(msg);
    return ret;
}

static int unpin_write(kb_xdb *w, void *vctx, char **errmsg)
{
    pin_ctx *c = vctx;
    return kb_pin_remove(kb_xdb_dictionary(w), c->pin, errmsg);
}

enum MHD_Result h_pin_delete(request *r);
enum MHD_Result h_pin_delete(request *r)
{
    pin_ctx c = {NULL, NULL, r->key_name, r->params[0], 0, NULL};
    char *msg = NULL;
    int rc = with_writer(unpin_write, &c, &msg);
    enum MHD_Result ret =
        rc == KB_OK
            ? reply_json(r, 200,
                         json_pack("{s:s,s:b}", "pin", c.pin, "removed", 1))
            : reply_error(r, rc, "%s", msg ? msg : kb_strerror(rc));
    guard_audit(r, "unpin", NULL, 0, 0, (unsigned)r->status);
    free(msg);
    return ret;
}

/* routes.c - the HTTP API: search, related, suggest, documents, pages */
#include "kb_curate.h"
#include "kb_doc.h"
#include "kb_error.h"
#include "kb_shard.h"
#include "kb_store.h"
#include "kb_text.h"
#include "server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_POST_DOCS 1000

/* --- helpers --- */

static json_t *took(json_t *body, request *r)
{
    double ms = (now_seconds() - r->t0) * 1000;
    json_object_set_new(body, "took_ms",
                        json_real((double)(long)(ms * 1000) / 1000));
    return body;
}

static kb_xdb *need_reader(request *r)
{
    char *msg = NULL;
    kb_xdb *db = reader(&msg);
    if (!db)
        reply_error(r, KB_EUNAVAIL, "index unavailable: %s",
                    msg ? msg : "cannot open");
    free(msg);
    return db;
}

/* The reader of the shard that holds the path's document. */
static kb_xdb *doc_reader(request *r)
{
    kb_xdb *db = need_reader(r);
    return db ? kb_shard_for(db, r->params[0]) : NULL;
}

/* Can role see this stored version? Anonymous callers: published and
 * public; agents: published or archived, any visibility; editors: all. */
static int visible(const json_t *doc, kb_audience role)
{
    const char *st = kb_doc_str(doc, "status");
    if (role >= KB_AUD_EDITOR)
        return 1;
    if (role == KB_AUD_AGENT)
        return !strcmp(st, "published") || !strcmp(st, "archived");
    return !strcmp(st, "published") &&
           !strcmp(kb_doc_str(doc, "visibility"), "public");
}

/* Load version v (0 current) of the path's document if role may see it:
 * the current version must be visible, and so must the one asked for. */
static int load_doc(request *r, kb_xdb *db, int v, json_t **out)
{
    char *msg = NULL;
    json_t *cur = NULL;
    *out = NULL;
    int rc = kb_store_get(db, r->params[0], 0, &cur, &msg);
    if (rc != KB_OK || !visible(cur, r->role)) {
        json_decref(cur);
        if (rc == KB_OK || rc == KB_ENOTFOUND) {
            free(msg);
            reply_error(r, KB_ENOTFOUND, "no document %s", r->params[0]);
            return KB_ENOTFOUND;
        }
        reply_error(r, rc, "%s", msg ? msg : kb_strerror(rc));
        free(msg);
        return rc;
    }
    if (v <= 0 ||
        v == (int)json_integer_value(json_object_get(cur, "version"))) {
        *out = cur;
        return KB_OK;
    }
    json_decref(cur);
    json_t *d = NULL;
    rc = kb_store_get(db, r->params[0], v, &d, NULL);
    if (rc != KB_OK || !visible(d, r->role)) {
        json_decref(d);
        reply_error(r, KB_ENOTFOUND, "document %s has no version %d",
                    r->params[0], v);
        return KB_ENOTFOUND;
    }
    *out = d;
    return KB_OK;
}

static json_t *feedback_counts(kb_xdb *db, const char *id, int v)
{
    char key[KB_ID_MAX + 32], *val = NULL;
    snprintf(key, sizeof key, "f:%s:%d", id, v);
    json_t *c = NULL;
    if (kb_xdb_get_metadata(db, key, strlen(key), &val, NULL, NULL) == KB_OK &&
        val)
        c = json_loads(val, 0, NULL);
    free(val);
    if (!json_is_object(c)) {
        json_decref(c);
        c = json_pack("{s:i,s:i}", "helpful", 0, "not_helpful", 0);
    }
    return c;
}

/* Parse the body as JSON; 415/400 replies are queued on failure. */
/* 1 when the Content-Type header is type, with or without parameters. */
static int content_type_is(const char *ct, const char *type)
{
    size_t n = strlen(type);
    return ct && strncasecmp(ct, type, n) == 0 &&
           (!ct[n] || ct[n] == ';' || ct[n] == ' ');
}

json_t *body_json(request *r) { return body_json_as(r, 0); }

json_t *body_json_as(request *r, int plain_ok)
{
    const char *ct =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
    if (!content_type_is(ct, "application/json") &&
        !(plain_ok && content_type_is(ct, "text/plain"))) {
        reply_error(r, KB_EMEDIA, "send Content-Type: application/json");
        return NULL;
    }
    if (!r->body.len) {
        reply_error(r, KB_EINVALID, "the request body is empty");
        return NULL;
    }
    json_error_t je;
    json_t *j =
        json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        if (kb_utf8_invalid_at(r->body.data, r->body.len) >= 0)
            reply_error(r, KB_EUTF8, "the body is not valid UTF-8");
        else
            reply_error(r, KB_EINVALID,
                        "invalid JSON at line %d column %d: "
                        "%s",
                        je.line, je.column, je.text);
    }
    return j;
}

static int parse_limit(request *r, long def, long *limit, long *offset)
{
    if (arg_int(r, "limit", def, 1, cfg_limits().max_limit, limit) < 0)
        return -1;
    if (offset &&
        arg_int(r, "offset", 0, 0, cfg_limits().max_offset, offset) < 0)
        return -1;
    return 0;
}

/* --- operations --- */

static enum MHD_Result h_health(request *r)
{
    kb_xdb *db = need_reader(r);
    if (!db)
        return MHD_YES;
    uint32_t n = 0;
    uint64_t rev = 0;
    kb_xdb_doccount(db, &n, NULL);
    kb_xdb_revision(db, &rev, NULL);
    json_t *h = json_pack("{s:s,s:i,s:I}", "status", "ok", "documents", (int)n,
                          "revision", (json_int_t)rev);
    cluster_health(h, db);
    return reply_json(r, 200, h);
}

static enum MHD_Result h_metrics(request *r)
{
    size_t len = 0;
    char *m = metrics_render(&len);
    if (!m)
        return reply_error(r, KB_ENOMEM, "out of memory");
    return reply_bytes(r, 200, "text/plain; version=0.0.4", m, len, 1);
}

/* --- static files --- */

static enum MHD_Result send_file(request *r, const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {{".html", "text/html; charset=utf-8"},
                 {".js", "application/javascript; charset=utf-8"},
                 {".css", "text/css; charset=utf-8"},
                 {".json", "application/json; charset=utf-8"},
                 {".svg", "image/svg+xml"},
                 {".png", "image/png"}};
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || (*p == '.' && p != name)))
            return reply_error(r, KB_ENOTFOUND, "no such file");
    if (strstr(name, ".."))
        return reply_error(r, KB_ENOTFOUND, "no such file");
    const char *type = NULL;
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof *types; i++)
        if (!strcmp(dot, types[i].ext))
            type = types[i].type;
    if (!type)
        return reply_error(r, KB_ENOTFOUND, "no such file");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", g_srv.fixed.www, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return reply_error(r, KB_ENOTFOUND, "no such file");
    kb_buf b = KB_BUF_INIT(8u << 20);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (kb_buf_add(&b, chunk, n) != KB_OK)
            break;
    fclose(f);
    size_t len = b.len;
    char *data = kb_buf_steal(&b);
    return reply_bytes(r, 200, type, data, len, 1);
}

static enum MHD_Result h_page(request *r) { return send_file(r, "index.html"); }
static enum MHD_Result h_widget(request *r)
{
    return send_file(r, "widget.js");
}
static enum MHD_Result h_demo(request *r)
{
    return send_file(r, "demo-ticket-form.html");
}
static enum MHD_Result h_editor(request *r)
{
    return send_file(r, "editor.html");
}
static enum MHD_Result h_asset(request *r)
{
    return send_file(r, r->params[0]);
}
static enum MHD_Result h_openapi(request *r)
{
    return send_file(r, "openapi.json");
}

/* --- search --- */

static int search_opts(request *r, kb_search_opts *o)
{
    const char *q = arg(r, "q");
    size_t max_query = cfg_limits().max_query;
    if (q && strlen(q) > max_query) {
        reply_error(r, KB_EINVALID, "q is over %zu bytes", max_query);
        return -1;
    }
    o->q = q ? q : "";
    o->kind = arg(r, "kind");
    o->product = arg(r, "product");
    o->category = arg(r, "category");
    o->tag = arg(r, "tag");
    o->lang = arg(r, "lang");
    o->audience = r->role;
    return 0;
}

/* Editors see which answers are past their review date. */
void mark_overdue(request *r, json_t *results)
{
    if (r->role < KB_AUD_EDITOR)
        return;
    size_t i;
    json_t *h;
    json_array_foreach(results, i, h) if (analytics_overdue(h))
        json_object_set_new(h, "overdue", json_true());
}

/* Run a search or related query with the pins of its query, log it and
 * answer it. */
static enum MHD_Result answer_search(request *r, kb_search_opts *o,
                                     const char *route)
{
    const char *sid = arg(r, "session");
    if (sid && !analytics_session_ok(sid))
        return reply_error(r, KB_EINVALID,
                           "session must be 1-64 letters, "
                           "digits, - or _");
    kb_xdb *db = need_reader(r);
    if (!db)
        return MHD_YES;
    json_t *pins = NULL;
    char *msg = NULL, *key = NULL, *ckey = cache_key(route, r, o);
    json_t *res = cache_get(ckey, db, &key);
    if (!res) {
        if (*o->q && kb_query_key(&key, o->q, strlen(o->q), NULL) == KB_OK &&
            kb_pins_for(&pins, kb_xdb_dictionary(db), key, time(NULL), NULL) ==
                KB_OK)
            o->pinned = pins;
        pthread_rwlock_rdlock(&g_srv.cfg_lock);
        int rc = kb_search(&res, db, &g_srv.cfg, o, &msg);
        if (rc == KB_OK) /* under the settings it was made with */
            cache_put(ckey, db, res, key);
        pthread_rwlock_unlock(&g_srv.cfg_lock);
        json_decref(pins);
        if (rc != KB_OK) {
            enum MHD_Result ret =
                reply_error(r, rc, "%s", msg ? msg : kb_strerror(rc));
            free(msg);
            free(key);
            free(ckey);
            return ret;
        }
    }
    free(ckey);
    mark_overdue(r, json_object_get(res, "results"));
    cluster_mark(res, db);
    /* The pins' key is the log's key too: one analysis of the query. */
    if (*o->q)
        analytics_search(r, route, o->q, key, sid, res);
    free(key);
    return reply_json(r, 200, took(res, r));
}

/* A 0/1 argument (also false/true) into *out, dflt when absent; -1 when
 * it is something else (answered). */
static int flag_arg(request *r, const char *name, int dflt, int *out)
{
    const char *v = arg(r, name);
    if (v && strcmp(v, "0") && strcmp(v, "1") && strcmp(v, "false") &&
        strcmp(v, "true")) {
        reply_error(r, KB_EINVALID, "%s must be 0 or 1", name);
        return -1;
    }
    *out = v ? !strcmp(v, "1") || !strcmp(v, "true") : dflt;
    return 0;
}

static enum MHD_Result h_search(request *r)
{
    kb_search_opts o = KB_SEARCH_OPTS_INIT;
    long limit, offset;
    if (search_opts(r, &o) < 0 || parse_limit(r, 10, &limit, &offset) < 0 ||
        flag_arg(r, "facets", 1, &o.facets) < 0 ||
        flag_arg(r, "group", 0, &o.group) < 0)
        return MHD_YES;
    o.limit = (int)limit;
    o.offset = (int)offset;
    return answer_search(r, &o, "search");
}

static enum MHD_Result h_related(request *r)
{
    kb_search_opts o = KB_SEARCH_OPTS_INIT;
    long limit;
    if (search_opts(r, &o) < 0 || parse_limit(r, 5, &limit, NULL) < 0)
        return MHD_YES;
    o.limit = (int)(limit > 20 ? 20 : limit);
    o.partial = 1;
    o.facets = 0;
    o.spelling = 0;
    o.snippet_bytes = 140;
    return answer_search(r, &o, "related");
}

/* --- documents --- */

static enum MHD_Result h_doc_get(request *r)
{
    long v;
    if (arg_int(r, "version", 0, 1, 1000000000, &v) < 0)
        return MHD_YES;
    kb_xdb *db = doc_reader(r);
    json_t *doc = NULL;
    if (!db || load_doc(r, db, (int)v, &doc) != KB_OK)
        return MHD_YES;
    int cur = 0;
    kb_store_current(db, r->params[0], &cur, NULL);
    json_object_set_new(doc, "current_version", json_integer(cur));
    json_object_set_new(doc, "feedback",
                        feedback_counts(db, r->params[0],
                                        (int)json_integer_value(
                                            json_object_get(doc, "version"))));
    if (r->role < KB_AUD_AGENT)
        json_object_del(doc, "changed_by");
    if (r->role >= KB_AUD_EDITOR) {
        if (analytics_overdue(doc))
            json_object_set_new(doc, "overdue", json_true());
        char *to = kb_promoted_to(db, r->params[0]);
        if (to)
            json_object_set_new(doc, "promoted_to", json_string(to));
        free(to);
    }
    return reply_json(r, 200, took(doc, r));
}

static enum MHD_Result h_versions(request *r)
{
    kb_xdb *db = doc_reader(r);
    json_t *doc = NULL, *h = NULL;
    if (!db || load_doc(r, db, 0, &doc) != KB_OK)
        return MHD_YES;
    json_decref(doc);
    int rc = kb_store_history(db, r->params[0], &h, NULL);
    if (rc != KB_OK)
        return reply_error(r, rc, "%s", kb_strerror(rc));
    /* Callers see only the versions they could read. */
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(h, i, v)
    {
        if (!visible(v, r->role))
            continue;
        if (r->role < KB_AUD_AGENT)
            json_object_del(v, "changed_by");
        json_array_append(out, v);
    }
    json_decref(h);
    return reply_json(
        r, 200,
        took(json_pack("{s:s,s:o}", "id", r->params[0], "versions", out), r));
}

/* A document's text as lines, for diffs. */
static json_t *text_lines(const json_t *d)
{
    json_t *lines = json_array();
    const char *fields[] = {"title", "body", "resolution"};
    for (int f = 0; f < 3; f++) {
        const char *s = kb_doc_str(d, fields[f]);
        while (*s) {
            size_t n = strcspn(s, "\n");
            json_array_append_new(lines, json_stringn(s, n));
            s += n;
            if (*s)
                s++;
        }
    }
    return lines;
}

#define DIFF_MAX_LINES 3000

static json_t *line_diff(json_t *a, json_t *b)
{
    size_t n = json_array_size(a), m = json_array_size(b);
    json_t *out = json_array();
    if (n > DIFF_MAX_LINES || m > DIFF_MAX_LINES) {
        size_t i;
        json_t *l;
        json_array_foreach(a, i, l) json_array_append_new(
            out, json_pack("{s:s,s:O}", "op", "-", "line", l));
        json_array_foreach(b, i, l) json_array_append_new(
            out, json_pack("{s:s,s:O}", "op", "+", "line", l));
        return out;
    }
    /* Longest common subsequence, then walk it. */
    unsigned short *t = calloc((n + 1) * (m + 1), sizeof *t);
    if (!t)
        return out;
#define T(i, j) t[(i) * (m + 1) + (j)]
    for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;)
            T(i, j) =
                json_equal(json_array_get(a, i), json_array_get(b, j))
                    ? (unsigned short)(T(i + 1, j + 1) + 1)
                    : (T(i + 1, j) > T(i, j + 1) ? T(i + 1, j) : T(i, j + 1));
    size_t i = 0, j = 0;
    while (i < n || j < m) {
        if (i < n && j < m &&
            json_equal(json_array_get(a, i), json_array_get(b, j))) {
            json_array_append_new(out, json_pack("{s:s,s:O}", "op", " ", "line",
                                                 json_array_get(a, i)));
            i++;
            j++;
        } else if (j < m && (i == n || T(i, j + 1) > T(i + 1, j))) {
            json_array_append_new(out, json_pack("{s:s,s:O}", "op", "+", "line",
                                                 json_array_get(b, j)));
            j++;
        } else {
            json_array_append_new(out, json_pack("{s:s,s:O}", "op", "-", "line",
                                                 json_array_get(a, i)));
            i++;
        }
    }
#undef T
    free(t);
    return out;
}

static enum MHD_Result h_diff(request *r)
{
    kb_xdb *db = doc_reader(r);
    json_t *cur = NULL, *da = NULL, *dbv = NULL;
    if (!db || load_doc(r, db, 0, &cur) != KB_OK)
        return MHD_YES;
    long curv = (long)json_integer_value(json_object_get(cur, "version"));
    json_decref(cur);
    long from, to;
    if (arg_int(r, "from", curv > 1 ? curv - 1 : 1, 1, 1000000000, &from) < 0 ||
        arg_int(r, "to", curv, 1, 1000000000, &to) < 0)
        return MHD_YES;
    if (load_doc(r, db, (int)from, &da) != KB_OK)
        return MHD_YES;
    if (load_doc(r, db, (int)to, &dbv) != KB_OK) {
        json_decref(da);
        return MHD_YES;
    }
    json_t *la = text_lines(da), *lb = text_lines(dbv);
    json_t *d = line_diff(la, lb);
    kb_buf u = KB_BUF_INIT(64u << 20);
    kb_buf_printf(&u, "--- %s v%ld\n+++ %s v%ld\n", r->params[0], from,
                  r->params[0], to);
    size_t i;
    json_t *e;
    json_array_foreach(d, i, e)
        kb_buf_printf(&u, "%s%s\n", kb_doc_str(e, "op"), kb_doc_str(e, "line"));
    json_t *res = json_pack("{s:s,s:i,s:i,s:o,s:s}", "id", r->params[0], "from",
                            (int)from, "to", (int)to, "lines", d, "unified",
                            u.data ? u.data : "");
    kb_buf_free(&u);
    json_decref(la);
    json_decref(lb);
    json_decref(da);
    json_decref(dbv);
    return reply_json(r, 200, took(res, r));
}

/* --- writes --- */

typedef struct {
    json_t *docs;    /* canonical documents to store */
    json_t *results; /* what happened to each */
    const char *who;
} post_ctx;

static int post_write(kb_xdb *w, void *vctx, char **errmsg)
{
    post_ctx *c = vctx;
    size_t i;
    json_t *d;
    json_array_foreach(c->docs, i, d)
    {
        int outcome = 0, version = 0;
        int rc = kb_store_put(kb_shard_for(w, kb_doc_str(d, "id")), d, c->who,
                              &outcome, &version, errmsg);
        if (rc != KB_OK)
            return rc;
        json_array_append_new(
            c->results, json_pack("{s:s,s:i,s:s}", "id", kb_doc_str(d, "id"),
                                  "version", version, "status",
                                  outcome == KB_PUT_ADDED     ? "added"
                                  : outcome == KB_PUT_UPDATED ? "updated"
                                                              : "unchanged"));
    }
    return KB_OK;
}

static enum MHD_Result h_post_docs(request *r)
{
    json_t *in = body_json(r);
    if (!in)
        return MHD_YES;
    json_t *list = json_is_array(in) ? json_incref(in) : json_pack("[O]", in);
    json_decref(in);
    if (json_array_size(list) == 0 || json_array_size(list) > MAX_POST_DOCS) {
        json_decref(list);
        return reply_error(r, KB_EINVALID,
                           "send one document or an array "
                           "of 1 to %d",
                           MAX_POST_DOCS);
    }
    post_ctx c = {json_array(), json_array(), r->key_name};
    json_t *skipped = json_array();
    size_t i;
    json_t *rec;
    /* Validate everything first: a bad request writes nothing. */
    json_array_foreach(list, i, rec)
    {
        json_t *doc = NULL;
        char *msg = NULL;
        int rc = kb_doc_from_json(&doc, rec, NULL, &msg);
        if (rc == KB_ENOTFOUND) {
            json_array_append_new(
                skipped,
                json_pack("{s:s?,s:s}", "id",
                          json_string_value(json_object_get(rec, "id")),
                          "status", "skipped: ticket not resolved"));
            free(msg);
            continue;
        }
        if (rc != KB_OK) {
            enum MHD_Result ret =
                reply_error(r, KB_EDOC, "document %zu: %s", i + 1,
                            msg ? msg : kb_strerror(rc));
            free(msg);
            json_decref(list);
            json_decref(c.docs);
            json_decref(c.results);
            json_decref(skipped);
            return ret;
        }
        if (!*kb_doc_str(doc, "source"))
            json_object_set_new(doc, "source", json_string("api"));
        json_array_append_new(c.docs, doc);
    }
    json_decref(list);
    char *msg = NULL;
    int rc =
        json_array_size(c.docs) ? with_writer(post_write, &c, &msg) : KB_OK;
    enum MHD_Result ret;
    if (rc != KB_OK) {
        ret = reply_error(r, rc, "nothing was stored: %s",
                          msg ? msg : kb_strerror(rc));
        guard_audit(r, "write-failed", NULL, 0, 0, (unsigned)r->status);
    } else {
        int added = 0;
        json_array_foreach(c.results, i, rec) added |=
            !strcmp(kb_doc_str(rec, "status"), "added");
        json_t *written = json_deep_copy(c.results);
        json_array_extend(c.results, skipped);
        ret = reply_json(r, added ? 201 : 200,
                         took(json_pack("{s:O}", "results", c.results), r));
        json_array_foreach(written, i, rec) guard_audit(
            r, kb_doc_str(rec, "status"), kb_doc_str(rec, "id"),
            (int)json_integer_value(json_object_get(rec, "version")), 0,
            (unsigned)r->status);
        json_decref(written);
    }
    free(msg);
    json_decref(skipped);
    json_decref(c.docs);
    json_decref(c.results);
    return ret;
}

typedef struct {
    const char *id;
    const char *who;
    int to;
    int version;
    int helpful;
    json_t *counts;
} doc_ctx;

static int archive_write(kb_xdb *w, void *vctx, char **errmsg)
{
    doc_ctx *c = vctx;
    return kb_store_archive(kb_shard_for(w, c->id), c->id, c->who, &c->version,
                            errmsg);
}

static int rollback_write(kb_xdb *w, void *vctx, char **errmsg)
{
    doc_ctx *c = vctx;
    return kb_store_rollback(kb_shard_for(w, c->id), c->id, c->to, c->who,
                             &c->version, errmsg);
}

/* Run one document write and answer it: {"id", count_key: version,
 * "status": status} on success, the error otherwise; audited either way. */
static enum MHD_Result doc_write(request *r, write_fn fn, doc_ctx *c,
                                 const char *action, const char *count_key,
                                 const char *status)
{
    char *msg = NULL;
    int rc = with_writer(fn, c, &msg);
    enum MHD_Result ret =
        rc == KB_OK
            ? reply_json(r, 200,
                         took(json_pack("{s:s,s:i,s:s}", "id", c->id, count_key,
                                        c->version, "status", status),
                              r))
            : reply_error(r, rc, "%s", msg ? msg : kb_strerror(rc));
    guard_audit(r, action, c->id, c->version, c->to, (unsigned)r->status);
    free(msg);
    return ret;
}

static enum MHD_Result h_doc_delete(request *r)
{
    doc_ctx c = {r->params[0], r->key_name, 0, 0, 0, NULL};
    return doc_write(r, archive_write, &c, "archive", "version", "archived");
}

static enum MHD_Result h_rollback(request *r)
{
    long to;
    if (arg_int(r, "to", 0, 1, 1000000000, &to) < 0)
        return MHD_YES;
    if (!to)
        return reply_error(r, KB_EINVALID, "rollback needs ?to=N");
    doc_ctx c = {r->params[0], r->key_name, (int)to, 0, 0, NULL};
    char *msg = NULL;
    int rc = with_writer(rollback_write, &c, &msg);
    enum MHD_Result ret =
        rc == KB_OK
            ? reply_json(r, 200,
                         took(json_pack("{s:s,s:i,s:i}", "id", c.id, "version",
                                        c.version, "rolled_back_to", c.to),
                              r))
            : reply_error(r, rc, "%s", msg ? msg : kb_strerror(rc));
    guard_audit(r, "rollback", c.id, c.version, c.to, (unsigned)r->status);
    free(msg);
    return ret;
}

static int feedback_write(kb_xdb *w, void *vctx, char **errmsg)
{
    doc_ctx *c = vctx;
    char key[KB_ID_MAX + 32];
    w = kb_shard_for(w, c->id);
    snprintf(key, sizeof key, "f:%s:%d", c->id, c->version);
    json_t *cnt = feedback_counts(w, c->id, c->version);
    const char *k = c->helpful ? "helpful" : "not_helpful";
    json_object_set_new(
        cnt, k, json_integer(json_integer_value(json_object_get(cnt, k)) + 1));
    char *s = json_dumps(cnt, JSON_COMPACT);
    int rc = s ? kb_xdb_set_metadata(w, key, strlen(key), s, strlen(s), errmsg)
               : KB_ENOMEM;
    free(s);
    c->counts = cnt;
    return rc;
}

static enum MHD_Result h_feedback(request *r)
{
    json_t *in = body_json(r);
    if (!in)
        return MHD_YES;
    json_t *h = json_object_get(in, "helpful");
    if (!json_is_boolean(h)) {
        json_decref(in);
        return reply_error(r, KB_EDOC,
                           "field \"helpful\" must be true or "
                           "false");
    }
    kb_xdb *db = doc_reader(r);
    json_t *doc = NULL;
    if (!db || load_doc(r, db, 0, &doc) != KB_OK) {
        json_decref(in);
        return MHD_YES;
    }
    const char *qid = json_string_value(json_object_get(in, "query_id"));
    if (qid && !analytics_qid_ok(qid)) {
        json_decref(doc);
        json_decref(in);
        return reply_error(r, KB_EDOC,
                           "field \"query_id\" must be 1-32 "
                           "letters, digits, - or _");
    }
    doc_ctx c = {r->params[0],
                 r->key_name,
                 0,
                 (int)json_integer_value(json_object_get(doc, "version")),
                 json_is_true(h),
                 NULL};
    json_t *ev = json_pack("{s:s,s:s,s:i,s:b}", "t", "feedback", "id", c.id,
                           "v", c.version, "helpful", c.helpful);
    if (ev && qid)
        json_object_set_new(ev, "qid", json_string(qid));
    json_decref(doc);
    json_decref(in);
    char *msg = NULL;
    int rc = with_writer(feedback_write, &c, &msg);
    if (rc == KB_OK)
        analytics_event(ev);
    else
        json_decref(ev);
    enum MHD_Result ret =
        rc == KB_OK
            ? reply_json(r, 200,
                         took(json_pack("{s:s,s:i,s:O}", "id", c.id, "version",
                                        c.version, "feedback", c.counts),
                              r))
            : reply_error(r, rc, "%s", msg ? msg : kb_strerror(rc));
    json_decref(c.counts);
    free(msg);
    return ret;
}

static int purge_write(kb_xdb *w, void *vctx, char **errmsg)
{
    doc_ctx *c = vctx;
    return kb_store_purge(kb_shard_for(w, c->id), c->id, &c->version, errmsg);
}

static enum MHD_Result h_purge(request *r)
{
    doc_ctx c = {r->params[0], r->key_name, 0, 0, 0, NULL};
    return doc_write(r, purge_write, &c, "purge", "versions", "purged");
}

/* A consistent copy of the index while serving and writing. */
static enum MHD_Result h_backup(request *r)
{
    char dir[1100], out[1200], ts[32], *msg = NULL;
    kb_xdb *db = need_reader(r);
    if (!db)
        return MHD_YES;
    pthread_rwlock_rdlock(&g_srv.cfg_lock);
    if (*g_srv.cfg.backup_dir)
        snprintf(dir, sizeof dir, "%s", g_srv.cfg.backup_dir);
    else
        snprintf(dir, sizeof dir, "%s-backups", g_srv.fixed.db);
    pthread_rwlock_unlock(&g_srv.cfg_lock);
    mkdir(dir, 0755);
    kb_now_rfc3339(ts);
    for (char *p = ts; *p; p++)
        if (*p == ':')
            *p = '-';
    double t0 = now_seconds();
    uint64_t rev = 0;
    kb_xdb_revision(db, &rev, NULL);
    snprintf(out, sizeof out, "%s/kb-%s-r%llu", dir, ts,
             (unsigned long long)rev);
    int rc = kb_store_backup(db, g_srv.fixed.db, out, cfg_limits().lock_wait_ms,
                             &msg);
    kb_xdb_revision(db, &rev, NULL);
    enum MHD_Result ret =
        rc == KB_OK
            ? reply_json(r, 200,
                         took(json_pack("{s:s,s:I,s:f}", "path", out,
                                        "revision", (json_int_t)rev, "seconds",
                                        now_seconds() - t0),
                              r))
            : reply_error(r, rc == KB_EOPEN || rc == KB_EIO ? KB_EIO : rc,
                          "backup failed: %s", msg ? msg : kb_strerror(rc));
    guard_audit(r, "backup", NULL, 0, 0, (unsigned)r->status);
    free(msg);
    return ret;
}

enum MHD_Result h_suggest(request *r);
enum MHD_Result h_analytics(request *r);
enum MHD_Result h_events(request *r);
enum MHD_Result h_promote(request *r);
enum MHD_Result h_publish(request *r);
enum MHD_Result h_pins_list(request *r);
enum MHD_Result h_pin_add(request *r);
enum MHD_Result h_pin_delete(request *r);

/* --- the table --- */

/* method, path, handler, lowest role, key required, writes the index */
const route g_routes[] = {
    {"GET", "/healthz", h_health, KB_AUD_PUBLIC, 0, 0},
    {"GET", "/metrics", h_metrics, KB_AUD_PUBLIC, 0, 0},
    {"GET", "/v1/openapi.json", h_openapi, KB_AUD_PUBLIC, 0, 0},
    {"GET", "/v1/search", h_search, KB_AUD_PUBLIC, 0, 0},
    {"GET", "/v1/related", h_related, KB_AUD_PUBLIC, 0, 0},
    {"POST", "/v1/suggest", h_suggest, KB_AUD_AGENT, 1, 0},
    {"POST", "/v1/documents", h_post_docs, KB_AUD_EDITOR, 1, 1},
    {"GET", "/v1/documents/{id}", h_doc_get, KB_AUD_PUBLIC, 0, 0},
    {"DELETE", "/v1/documents/{id}", h_doc_delete, KB_AUD_EDITOR, 1, 1},
    {"GET", "/v1/documents/{id}/versions", h_versions, KB_AUD_PUBLIC, 0, 0},
    {"GET", "/v1/documents/{id}/diff", h_diff, KB_AUD_PUBLIC, 0, 0},
    {"POST", "/v1/documents/{id}/rollback", h_rollback, KB_AUD_EDITOR, 1, 1},
    {"POST", "/v1/documents/{id}/feedback", h_feedback, KB_AUD_PUBLIC, 0, 1},
    {"POST", "/v1/documents/{id}/purge", h_purge, KB_AUD_ADMIN, 1, 1},
    {"POST", "/v1/admin/backup", h_backup, KB_AUD_ADMIN, 1, 1},
    {"POST", "/v1/documents/{id}/promote", h_promote, KB_AUD_EDITOR, 1, 1},
    {"POST", "/v1/documents/{id}/publish", h_publish, KB_AUD_EDITOR, 1, 1},
    {"GET", "/v1/pins", h_pins_list, KB_AUD_EDITOR, 1, 0},
    {"POST", "/v1/pins", h_pin_add, KB_AUD_EDITOR, 1, 1},
    {"DELETE", "/v1/pins/{pin}", h_pin_delete, KB_AUD_EDITOR, 1, 1},
    {"GET", "/v1/analytics/{report}", h_analytics, KB_AUD_EDITOR, 1, 0},
    {"POST", "/v1/events", h_events, KB_AUD_PUBLIC, 0, 0},
    {"GET", "/editor", h_editor, KB_AUD_PUBLIC, 0, 0},
    {"GET", "/", h_page, KB_AUD_PUBLIC, 0, 0},
    {"GET", "/widget.js", h_widget, KB_AUD_PUBLIC, 0, 0},
    {"GET", "/demo/ticket-form", h_demo, KB_AUD_PUBLIC, 0, 0},
    {"GET", "/assets/{file}", h_asset, KB_AUD_PUBLIC, 0, 0},
};
const size_t g_nroutes = sizeof g_routes / sizeof *g_routes;

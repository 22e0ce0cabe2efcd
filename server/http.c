/* http.c - libmicrohttpd plumbing: requests, routing, replies, the index */
#include "kb_doc.h"
#include "kb_error.h"
#include "kb_shard.h"
#include "kb_text.h"
#include "server.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

server g_srv;

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --- the index: one reader per thread, one writer per process --- */

static _Thread_local kb_xdb *t_reader;
static _Thread_local uint64_t t_ident; /* of the index's version file */
static pthread_key_t reader_key;
static pthread_once_t reader_once = PTHREAD_ONCE_INIT;

/* Close a worker's reader when MHD ends the thread. */
static void reader_exit(void *p)
{
    kb_xdb_close(p);
    t_reader = NULL;
}
static void reader_key_init(void)
{
    pthread_key_create(&reader_key, reader_exit);
}

uint64_t reader_identity(void) { return t_ident; }

/* Which copy of the index the folder holds now: its version file's inode
 * and modification time (every commit rewrites the file; a restore or
 * compaction swaps the folder). The time guards against the file system
 * handing a freed inode to the new copy. 0 when there is none. */
static uint64_t index_identity(void)
{
    char path[1100];
    struct stat st;
    snprintf(path, sizeof path, "%s/iamglass", g_srv.fixed.db);
    if (stat(path, &st) != 0) {
        snprintf(path, sizeof path, "%s/XAPIANDB", g_srv.fixed.db); /* a set */
        if (stat(path, &st) != 0)
            return 0;
    }
    uint64_t h = 1469598103934665603ULL;
    uint64_t parts[] = {(uint64_t)st.st_dev, (uint64_t)st.st_ino,
                        (uint64_t)st.st_mtim.tv_sec,
                        (uint64_t)st.st_mtim.tv_nsec, (uint64_t)st.st_size};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
        for (int b = 0; b < 64; b += 8) {
            h ^= (parts[i] >> b) & 0xff;
            h *= 1099511628211ULL;
        }
    return h ? h : 1;
}

kb_xdb *reader(char **errmsg)
{
    /* A restore swaps the folder: reopen() would stay on the old one. */
    if (t_reader && index_identity() != t_ident) {
        kb_xdb_close(t_reader);
        t_reader = NULL;
        pthread_setspecific(reader_key, NULL);
    }
    if (t_reader) {
        if (kb_xdb_reopen(t_reader, errmsg) == KB_OK)
            return t_reader;
        kb_xdb_close(t_reader);
        t_reader = NULL;
        pthread_setspecific(reader_key, NULL);
    }
    pthread_rwlock_rdlock(&g_srv.cfg_lock);
    t_ident = index_identity();
    int rc = cluster_open(&t_reader, KB_XDB_READ, errmsg);
    pthread_rwlock_unlock(&g_srv.cfg_lock);
    pthread_once(&reader_once, reader_key_init);
    pthread_setspecific(reader_key, rc == KB_OK ? t_reader : NULL);
    return rc == KB_OK ? t_reader : NULL;
}

limits cfg_limits(void)
{
    pthread_rwlock_rdlock(&g_srv.cfg_lock);
    limits l = {g_srv.cfg.max_query, g_srv.cfg.max_limit, g_srv.cfg.max_offset,
                g_srv.cfg.lock_wait_ms};
    pthread_rwlock_unlock(&g_srv.cfg_lock);
    return l;
}

int with_writer(write_fn fn, void *ctx, char **errmsg)
{
    kb_xdb *w = NULL;
    int rc;
    double waited = 0, limit = cfg_limits().lock_wait_ms / 1000.0;
    pthread_mutex_lock(&g_srv.write_lock);
    /* The command-line indexer may hold the lock for a while. */
    while ((rc = cluster_open(&w, KB_XDB_WRITE, errmsg)) == KB_ELOCKED &&
           waited < limit) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        waited += 0.05;
    }
    if (rc == KB_ELOCKED)
        rc = kb_fail(errmsg, KB_EUNAVAIL,
                     "the index is locked by another "
                     "writer; try again");
    if (rc == KB_OK)
        rc = kb_xdb_begin(w, errmsg);
    if (rc == KB_OK) {
        rc = fn(w, ctx, errmsg);
        if (rc == KB_OK)
            rc = kb_shard_stamp(w, errmsg); /* what replicas compare */
        if (rc == KB_OK) {
            rc = kb_xdb_commit(w, errmsg);
            if (rc == KB_OK)
                g_srv.last_commit = (double)time(NULL);
        } else {
            kb_xdb_cancel(w, NULL);
        }
    }
    kb_xdb_close(w);
    pthread_mutex_unlock(&g_srv.write_lock);
    return rc;
}

/* --- replies --- */

static void common_headers(request *r, struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    const char *origin =
        MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Origin");
    /* The list is a reloadable string: read it under the lock, so that a
     * SIGHUP cannot free it under this reply. */
    pthread_rwlock_rdlock(&g_srv.cfg_lock);
    const char *allowed = g_srv.cfg.cors_origins;
    if (origin && allowed && *allowed) {
        size_t n = strlen(origin);
        for (const char *p = allowed; *p;) {
            while (*p == ' ')
                p++;
            size_t k = strcspn(p, " ");
            if ((k == n && strncmp(p, origin, n) == 0) ||
                (k == 1 && *p == '*')) {
                MHD_add_response_header(resp, "Access-Control-Allow-Origin",
                                        k == 1 ? "*" : origin);
                MHD_add_response_header(resp, "Vary", "Origin");
                MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                                        "Authorization, Content-Type");
                MHD_add_response_header(resp, "Access-Control-Allow-Methods",
                                        "GET, POST, DELETE, OPTIONS");
                break;
            }
            p += k;
        }
    }
    pthread_rwlock_unlock(&g_srv.cfg_lock);
}

enum MHD_Result reply_bytes(request *r, unsigned status, const char *type,
                            const void *data, size_t len, int must_free)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, (void *)data,
        must_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!resp) {
        if (must_free)
            free((void *)data);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", type);
    common_headers(r, resp);
    if (status == 405 && r->route >= 0) {
        /* List the methods the path does take. */
        char allow[64] = "";
        for (size_t i = 0; i < g_nroutes; i++)
            if (strcmp(g_routes[i].path, g_routes[r->route].path) == 0) {
                if (*allow)
                    strncat(allow, ", ", sizeof allow - strlen(allow) - 1);
                strncat(allow, g_routes[i].method,
                        sizeof allow - strlen(allow) - 1);
            }
        MHD_add_response_header(resp, "Allow", allow);
    }
    if (status == 401)
        MHD_add_response_header(resp, "WWW-Authenticate",
                                "Bearer realm=\"deskdex\"");
    if (status == 503)
        MHD_add_response_header(resp, "Retry-After", "1");
    if (status == 421 && *g_srv.fixed.primary_url) /* a replica: the writer */
        MHD_add_response_header(resp, "Location", g_srv.fixed.primary_url);
    if (status == 429) {
        char ra[32];
        snprintf(ra, sizeof ra, "%.0f",
                 r->retry_after >= 1 ? r->retry_after : 1.0);
        MHD_add_response_header(resp, "Retry-After", ra);
    }
    if (!strncmp(type, "text/html", 9) ||
        !strncmp(type, "application/javascript", 22)) {
        MHD_add_response_header(
            resp, "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; "
            "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'self'");
        MHD_add_response_header(resp, "X-Frame-Options", "SAMEORIGIN");
        MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
    }
    r->status = (int)status;
    enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

enum MHD_Result reply_json(request *r, unsigned status, json_t *body)
{
    char *s = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                   JSON_REAL_PRECISION(10));
    json_decref(body);
    if (!s)
        return reply_bytes(r, 500, "application/json",
                           "{\"error\":{\"code\":\"out_of_memory\","
                           "\"message\":\"out of memory\"}}",
                           60, 0);
    return reply_bytes(r, status, "application/json; charset=utf-8", s,
                       strlen(s), 1);
}

/* The one map from a code to an HTTP status. */
static unsigned http_status(int rc)
{
    switch (rc) {
    case KB_EINVALID:
    case KB_EQUERY:
    case KB_EUTF8: return 400;
    case KB_EAUTH: return 401;
    case KB_EDENIED: return 403;
    case KB_ENOTFOUND: return 404;
    case KB_EMETHOD: return 405;
    case KB_ECONFLICT: return 409;
    case KB_ETOOBIG: return 413;
    case KB_EMEDIA: return 415;
    case KB_EDOC: return 422;
    case KB_ERATE: return 429;
    case KB_ELOCKED:
    case KB_EOPEN:
    case KB_EUNAVAIL:
    case KB_ENETWORK: return 503;
    case KB_EREADONLY: return 421;
    default: return 500;
    }
}

enum MHD_Result reply_error(request *r, int rc, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Messages may quote client input: keep them valid UTF-8, and without
     * markup in case a client shows them as HTML. */
    if (kb_utf8_invalid_at(msg, strlen(msg)) >= 0)
        snprintf(msg, sizeof msg, "%s", kb_strerror(rc));
    for (char *p = msg; *p; p++)
        if (*p == '<' || *p == '>' || *p == '&')
            *p = '_';
    json_t *e = json_pack("{s:{s:s,s:s}}", "error", "code", kb_rc_name(rc),
                          "message", msg);
    return reply_json(r, http_status(rc), e);
}

const char *arg(request *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

int arg_int(request *r, const char *name, long def, long lo, long hi, long *out)
{
    const char *s = arg(r, name);
    *out = def;
    if (!s)
        return 0;
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi || end - s > 12) {
        reply_error(r, KB_EINVALID,
                    "parameter %s must be an integer from "
                    "%ld to %ld",
                    name, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

/* --- routing --- */

/* Match path against a pattern; fills params. */
static int match(const char *pat, const char *path, request *r)
{
    int np = 0;
    while (*pat && *path) {
        if (*pat == '{') {
            const char *close = strchr(pat, '}');
            const char *end = strchr(path, '/');
            size_t n = end ? (size_t)(end - path) : strlen(path);
            if (!close || n == 0 || n >= sizeof r->params[0] || np >= 4)
                return 0;
            memcpy(r->params[np], path, n);
            r->params[np][n] = '\0';
            np++;
            pat = close + 1;
            path += n;
            continue;
        }
        if (*pat != *path)
            return 0;
        pat++;
        path++;
    }
    return *pat == '\0' && *path == '\0';
}

static enum MHD_Result dispatch(request *r)
{
    int path_known = -1;
    const char *url = r->url;
    if (kb_utf8_invalid_at(url, strlen(url)) >= 0)
        return reply_error(r, KB_EUTF8, "the path is not valid UTF-8");
    for (size_t i = 0; i < g_nroutes; i++) {
        if (!match(g_routes[i].path, url, r))
            continue;
        if (strcmp(g_routes[i].method, r->method) != 0) {
            path_known = (int)i;
            continue;
        }
        r->route = (int)i;
        int rc = auth_check(r);
        enum MHD_Result ret;
        if (rc != KB_OK) {
            /* Bad keys are rate limited by address like anonymous calls. */
            if (guard_rate(r, &r->retry_after) != KB_OK)
                ret = reply_error(r, KB_ERATE, "too many requests");
            else
                ret = reply_error(r, rc, "unknown or revoked key");
            guard_audit(r, "refused", r->params[0], 0, 0, (unsigned)r->status);
            return ret;
        }
        if (r->role < g_routes[i].min_role ||
            (g_routes[i].needs_key && !strcmp(r->key_name, "-"))) {
            if (!strcmp(r->key_name, "-"))
                ret = reply_error(r, KB_EAUTH,
                                  "this route needs a key "
                                  "(Authorization: Bearer KEY)");
            else
                ret = reply_error(r, KB_EDENIED,
                                  "the key's role may not do "
                                  "this");
            guard_audit(r, "refused", r->params[0], 0, 0, (unsigned)r->status);
            return ret;
        }
        if (strcmp(g_routes[i].path, "/healthz") != 0 &&
            strcmp(g_routes[i].path, "/metrics") != 0 &&
            guard_rate(r, &r->retry_after) != KB_OK) {
            ret = reply_error(r, KB_ERATE,
                              "too many requests; retry in "
                              "%.0f s",
                              r->retry_after);
            guard_audit(r, "refused", r->params[0], 0, 0, 429);
            return ret;
        }
        if (cluster_refuse(r))
            return MHD_YES;
        /* Every argument must be valid UTF-8 before any handler sees it. */
        return g_routes[i].fn(r);
    }
    if (path_known >= 0) {
        r->route = path_known;
        if (!strcmp(r->method, "OPTIONS"))
            return reply_bytes(r, 204, "text/plain", "", 0, 0);
        enum MHD_Result ret = reply_error(r, KB_EMETHOD,
                                          "%s is not allowed "
                                          "on %s",
                                          r->method, url);
        r->route = -1; /* counted as unmatched, not as the route's method */
        return ret;
    }
    return reply_error(r, KB_ENOTFOUND, "no route %s", url);
}

/* Counts distinct Content-Length values (the same value twice is one). */
typedef struct {
    int n;
    const char *first;
} lengths;

static enum MHD_Result count_lengths(void *cls, enum MHD_ValueKind kind,
                                     const char *key, const char *value)
{
    (void)kind;
    lengths *l = cls;
    if (!key || strcasecmp(key, "Content-Length") != 0 || !value)
        return MHD_YES;
    if (!l->first) {
        l->first = value;
        l->n = 1;
    } else if (strcmp(l->first, value) != 0) {
        l->n++;
    }
    return MHD_YES;
}

static enum MHD_Result check_args(void *cls, enum MHD_ValueKind kind,
                                  const char *key, const char *value)
{
    (void)kind;
    int *bad = cls;
    if ((key && kb_utf8_invalid_at(key, strlen(key)) >= 0) ||
        (value && kb_utf8_invalid_at(value, strlen(value)) >= 0)) {
        *bad = 1;
        return MHD_NO;
    }
    return MHD_YES;
}

enum MHD_Result http_handler(void *cls, struct MHD_Connection *conn,
                             const char *url, const char *method,
                             const char *version, const char *upload_data,
                             size_t *upload_data_size, void **con_cls);
enum MHD_Result http_handler(void *cls, struct MHD_Connection *conn,
                             const char *url, const char *method,
                             const char *version, const char *upload_data,
                             size_t *upload_data_size, void **con_cls)
{
    (void)cls;
    (void)version;
    request *r = *con_cls;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        r->conn = conn;
        r->url = url;
        r->method = strcmp(method, "HEAD") == 0 ? "GET" : method;
        r->body = (kb_buf)KB_BUF_INIT(g_srv.fixed.max_body);
        r->t0 = now_seconds();
        r->route = -1;
        r->key_name = "-";
        *con_cls = r;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!r->body_too_big &&
            kb_buf_add(&r->body, upload_data, *upload_data_size) != KB_OK) {
            r->body_too_big = 1;
            kb_buf_free(&r->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->body_too_big)
        return reply_error(r, KB_ETOOBIG, "request body over %zu bytes",
                           g_srv.fixed.max_body);
    lengths nl = {0, NULL};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_lengths, &nl);
    if (nl.n > 1) /* framing two ways: a smuggling attempt */
        return reply_error(r, KB_EINVALID, "more than one Content-Length");
    int bad = 0;
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, check_args, &bad);
    if (bad)
        return reply_error(r, KB_EUTF8,
                           "a query parameter is not valid "
                           "UTF-8");
    return dispatch(r);
}

/* One line per request: time, client, method, path, status, ms, role, key. */
void http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                    enum MHD_RequestTerminationCode toe);
void http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    request *r = *con_cls;
    if (!r)
        return;
    double secs = now_seconds() - r->t0;
    metrics_observe(r->route, (unsigned)r->status, secs);
    if (g_srv.access_log) {
        char ts[32], ip[64] = "-";
        kb_now_rfc3339(ts);
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET) {
            const struct sockaddr_in *in =
                (const struct sockaddr_in *)ci->client_addr;
            const unsigned char *b = (const unsigned char *)&in->sin_addr;
            snprintf(ip, sizeof ip, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
        }
        /* The path only: query strings may hold personal data. */
        char path[256];
        size_t k = 0;
        for (const char *p = r->url; *p && k < sizeof path - 1; p++)
            path[k++] =
                (*p == ' ' || *p == '"' || (unsigned char)*p < 0x20) ? '_' : *p;
        path[k] = '\0';
        fprintf(g_srv.access_log,
                "time=%s client=%s method=%s path=\"%s\" status=%d "
                "ms=%.3f role=%s key=%s%s\n",
                ts, ip, r->method, path, r->status, secs * 1000,
                r->role == KB_AUD_ADMIN    ? "admin"
                : r->role == KB_AUD_EDITOR ? "editor"
                : r->role == KB_AUD_AGENT  ? "agent"
                                           : "public",
                r->key_name,
                toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
        fflush(g_srv.access_log);
    }
    kb_buf_free(&r->body);
    free(r);
    *con_cls = NULL;
}

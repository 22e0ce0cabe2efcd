/* server.h - what the server's files share: requests, replies, routes */
#ifndef KB_SERVER_H
#define KB_SERVER_H

#include "kb_buf.h"
#include "kb_config.h"
#include "kb_search.h"
#include "xapian_c.h"

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>

/* One request, allocated on MHD's first callback and freed when MHD says
 * the request completed. */
typedef struct request {
    struct MHD_Connection *conn;
    const char *method; /* "GET" for HEAD too */
    const char *url;
    kb_buf body;
    int body_too_big;
    double t0;
    int route;  /* index in the route table, -1 none */
    int status; /* what was answered */
    kb_audience role;
    const char *key_name; /* borrowed from the key table, or "-" */
    char params[4][160];  /* {id} and friends from the path */
    char key_buf[64];     /* the key's name, copied */
    double retry_after;   /* seconds, for a 429 */
} request;

/* Global server state. */
typedef struct server {
    kb_config cfg;   /* read under cfg_lock: SIGHUP replaces it */
    kb_config fixed; /* the settings fixed at start (db, www, max_body,
                      * dictionary, read_only, primary_url, shard_*,
                      * lag_probe_ms, cache_*; nothing else is set), read
                      * without a lock: main.c's copy_fixed */
    char *config_path;
    char *keys_path;
    const char *audit_cli;      /* --audit-log, which outlives reloads */
    pthread_mutex_t write_lock; /* one writer at a time in this process */
    pthread_rwlock_t cfg_lock;  /* SIGHUP swaps keys and synonyms */
    double started;
    _Atomic double last_commit; /* written by writers, read by /metrics */
    FILE *access_log;
    struct MHD_Daemon *daemon;
} server;

extern server g_srv;

/* --- replies (http.c): each creates, queues and destroys the response --- */
enum MHD_Result reply_json(request *r, unsigned status, json_t *body);
enum MHD_Result reply_error(request *r, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
enum MHD_Result reply_bytes(request *r, unsigned status, const char *type,
                            const void *data, size_t len, int must_free);

/* The request body as JSON (new), or NULL with a 415/400 reply queued. */
json_t *body_json(request *r);
/* The same, also taking a text/plain body when plain_ok (what a browser
 * sends across origins without asking first: page events). */
json_t *body_json_as(request *r, int plain_ok);

/* Query-string argument, or NULL. Borrowed from MHD. */
const char *arg(request *r, const char *name);
/* Integer argument within [lo, hi]; def when absent. -1 on a bad value
 * (the reply has been queued). */
int arg_int(request *r, const char *name, long def, long lo, long hi,
            long *out);
double now_seconds(void);

/* The calling thread's reader, moved to the latest revision. NULL when the
 * index cannot be opened (errmsg says why). */
kb_xdb *reader(char **errmsg);

/* The request limits of the settings now (SIGHUP may change them). */
typedef struct {
    size_t max_query;
    int max_limit, max_offset, lock_wait_ms;
} limits;
limits cfg_limits(void);

/* Run fn inside one write transaction, holding the process's write lock
 * and Xapian's. */
typedef int (*write_fn)(kb_xdb *w, void *ctx, char **errmsg);
int with_writer(write_fn fn, void *ctx, char **errmsg);

/* --- routes (routes.c) --- */
typedef enum MHD_Result (*handler)(request *r);
typedef struct route {
    const char *method;
    const char *path; /* "{id}" matches one segment */
    handler fn;
    kb_audience min_role; /* below it: 401 without a key, 403 with one */
    int needs_key;        /* anonymous callers get 401 */
    int writes;           /* changes the index: a read-only replica refuses */
} route;

extern const route g_routes[];
extern const size_t g_nroutes;

/* --- auth (auth.c) --- */
int auth_load(const char *path, char **errmsg);
/* Who the request is. KB_EAUTH for a key that is not known. */
int auth_check(request *r);
void auth_free(void);
/* The hash line for a key, for the keys file. */
void auth_hash_key(const char *key, char hex[65]);

/* --- guard.c: rate limits and the audit log --- */
/* KB_ERATE when the caller's bucket is empty; *retry_after in seconds. */
int guard_rate(request *r, double *retry_after);
int guard_audit_open(const char *path, char **errmsg);
/* One audit line: who, from where, what (action, id, versions), status. */
void guard_audit(request *r, const char *action, const char *id, int version,
                 int from, unsigned status);
void guard_close(void);
void client_address(request *r, char *out, size_t n);

/* Mark results past their review date, for editors (routes.c). */
void mark_overdue(request *r, json_t *results);

/* --- analytics.c: the search log and the editors' reports --- */
int analytics_open(const kb_config *cfg, char **errmsg);
void analytics_close(void);
int analytics_enabled(void);
/* Log one search, related or suggest call (query masked) and set its
 * "query_id" in res, which clicks and feedback refer back to. qkey: q's
 * key (kb_query_key) when the caller has it, or NULL. */
void analytics_search(request *r, const char *route, const char *q,
                      const char *qkey, const char *session, json_t *res);
/* Log an event object (steals e); its "ts" is set here. */
void analytics_event(json_t *e);
int analytics_session_ok(const char *s);
int analytics_qid_ok(const char *s);
/* Today (UTC) plus plus_days as YYYY-MM-DD into out[11]. */
void analytics_today(char out[11], int plus_days);
/* 1 when the document's review_by date has passed. */
int analytics_overdue(const json_t *doc);

/* Which copy of the index the calling thread's reader has open (a hash of
 * its version file's inode and modification time). */
uint64_t reader_identity(void);

/* --- cache.c: answers of search and related while the index is unchanged ---
 */
/* entries slots, bytes of answers at most, each kept seconds; any 0: off. */
int cache_init(size_t entries, size_t bytes, int seconds);
void cache_free(void);
/* Forget every answer (new settings). */
void cache_clear(void);
/* The key of a search's answer (new), or NULL. */
char *cache_key(const char *route, const request *r, const kb_search_opts *o);
/* The answer for key on db's current revision (new) and its query key
 * (*qkey, new or NULL), or NULL. */
json_t *cache_get(const char *key, kb_xdb *db, char **qkey);
/* Keep a copy of res, computed on db's current revision. */
void cache_put(const char *key, kb_xdb *db, const json_t *res,
               const char *qkey);
void cache_metrics(kb_buf *b);

/* --- metrics (metrics.c) --- */
void metrics_observe(int route, unsigned status, double seconds);
char *metrics_render(size_t *len);

/* --- cluster.c: sets of shards, partial answers, replicas --- */
/* Open the configured index (plain or a set of shards); *out is new. */
int cluster_open(kb_xdb **out, int flags, char **errmsg);
/* On a read-only replica, answer a write with 421 naming the writer and
 * return 1; otherwise 0. */
int cluster_refuse(request *r);
/* Add "partial": true and "missing_shards" to res when the last search
 * on db lacked shards. */
void cluster_mark(json_t *res, kb_xdb *db);
/* Shards, commit stamps, role and replica lag for /healthz. */
void cluster_health(json_t *h, kb_xdb *db);
void cluster_metrics(kb_buf *b, kb_xdb *db);
/* A replica's lag probe: a thread comparing its commit stamps with the
 * writer's (primary_url) every lag_probe_ms. */
void cluster_start(void);
void cluster_stop(void);

#endif

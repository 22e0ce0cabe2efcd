/* cluster.c - the server in a deployment: sets of shards, partial
 * answers, read-only replicas and their lag behind the writer */
#include "kb_error.h"
#include "kb_shard.h"
#include "server.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_DBS (KB_XMAX_SHARDS + 1) /* the shards and the dictionary */

/* --- opening the index --- */

int cluster_open(kb_xdb **out, int flags, char **errmsg)
{
    kb_xshard_opts o = KB_XSHARD_OPTS_INIT;
    o.timeout_ms = (unsigned)g_srv.fixed.shard_timeout_ms;
    o.connect_timeout_ms = (unsigned)g_srv.fixed.shard_connect_timeout_ms;
    o.retry_ms = (unsigned)g_srv.fixed.shard_retry_ms;
    return kb_shard_open(out, g_srv.fixed.db, g_srv.fixed.dictionary, &o, flags,
                         errmsg);
}

/* --- read-only replicas --- */

int cluster_refuse(request *r)
{
    if (!g_srv.fixed.read_only || r->route < 0 || !g_routes[r->route].writes)
        return 0; /* reads, suggest, and events (this server's own log) */
    if (*g_srv.fixed.primary_url)
        reply_error(r, KB_EREADONLY,
                    "this server is a read-only replica; "
                    "send writes to the writer at %s",
                    g_srv.fixed.primary_url);
    else
        reply_error(r, KB_EREADONLY,
                    "this server is a read-only replica; "
                    "send writes to the writer");
    return 1;
}

/* --- partial answers --- */

void cluster_mark(json_t *res, kb_xdb *db)
{
    uint32_t miss[64];
    size_t n = kb_xdb_missing(db, miss, 64);
    if (!n || !res)
        return;
    json_t *arr = json_array();
    for (size_t i = 0; i < n && i < 64; i++)
        json_array_append_new(arr, json_integer(miss[i]));
    json_object_set_new(res, "partial", json_true());
    json_object_set_new(res, "missing_shards", arr);
}

/* --- lag: a replica compares its commit stamps with the writer's --- */

static struct {
    pthread_mutex_t lock;
    pthread_t thread;
    int running, stop;
    char *url;      /* the writer, copied at start */
    int primary_up; /* the last probe reached the writer */
    double lag;     /* seconds behind the writer (0: caught up) */
    double apply;   /* last seen delay from a commit to this replica */
    double checked; /* monotonic time of the last probe */
} lag = {PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, NULL, 0, 0, -1, 0};

static double wall_seconds(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

/* GET url+path with timeouts; the body as new JSON, or NULL. Only plain
 * http: the writer is on the deployment's own network. */
static json_t *http_get_json(const char *url, const char *path, int ms)
{
    char host[256], port[16] = "80", prefix[512] = "";
    const char *p = url + 7; /* after "http://" (checked at load) */
    size_t hl = strcspn(p, ":/");
    if (hl == 0 || hl >= sizeof host)
        return NULL;
    memcpy(host, p, hl);
    host[hl] = '\0';
    p += hl;
    if (*p == ':') {
        size_t pl = strcspn(++p, "/");
        if (pl == 0 || pl >= sizeof port)
            return NULL;
        memcpy(port, p, pl);
        port[pl] = '\0';
        p += pl;
    }
    snprintf(prefix, sizeof prefix, "%s", p);
    size_t k = strlen(prefix);
    if (k && prefix[k - 1] == '/')
        prefix[k - 1] = '\0';

    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
        return NULL;
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    json_t *out = NULL;
    char *buf = NULL;
    if (fd < 0)
        goto done;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
        goto done;
    char req[1024];
    int rl = snprintf(req, sizeof req,
                      "GET %s%s HTTP/1.0\r\nHost: %s\r\n"
                      "Connection: close\r\n\r\n",
                      prefix, path, host);
    if (rl <= 0 || (size_t)rl >= sizeof req || write(fd, req, (size_t)rl) != rl)
        goto done;
    size_t cap = 1 << 20, len = 0;
    if (!(buf = malloc(cap + 1)))
        goto done;
    ssize_t got;
    while (len < cap && (got = read(fd, buf + len, cap - len)) > 0)
        len += (size_t)got;
    buf[len] = '\0';
    if (strncmp(buf, "HTTP/1.", 7) != 0 || strncmp(buf + 8, " 200", 4) != 0)
        goto done;
    char *body = strstr(buf, "\r\n\r\n");
    if (body)
        out = json_loads(body + 4, 0, NULL);
done:
    free(buf);
    if (fd >= 0)
        close(fd);
    freeaddrinfo(ai);
    return out;
}

/* The commit stamps of db: one per shard, then the dictionary's. */
static size_t own_stamps(kb_xdb *db, long long *st)
{
    size_t n = kb_xdb_nshards(db);
    for (size_t i = 0; i < n && i < KB_XMAX_SHARDS; i++)
        st[i] = kb_xdb_shard_up(db, i, NULL)
                    ? kb_shard_stamp_of(kb_xdb_shard(db, i))
                    : -1;
    kb_xdb *d = kb_xdb_dictionary(db);
    st[n] = d != db ? kb_shard_stamp_of(d) : 0;
    return n + 1;
}

static void *lag_main(void *arg)
{
    (void)arg;
    static long long mine[MAX_DBS], seen[MAX_DBS];
    static double behind[MAX_DBS]; /* when first seen behind, or 0 */
    kb_xdb *db = NULL;
    char *msg = NULL;
    for (;;) {
        pthread_mutex_lock(&lag.lock);
        int stop = lag.stop;
        pthread_mutex_unlock(&lag.lock);
        if (stop)
            break;
        if (!db && cluster_open(&db, KB_XDB_READ, &msg) != KB_OK) {
            free(msg);
            msg = NULL;
        } else if (db && kb_xdb_reopen(db, NULL) != KB_OK) {
            kb_xdb_close(db);
            db = NULL;
        }
        json_t *h =
            http_get_json(lag.url, "/healthz", g_srv.fixed.shard_timeout_ms);
        json_t *prim = json_object_get(h, "commits");
        double now = now_seconds(), wall = wall_seconds();
        double worst = 0, apply = -1;
        if (db && json_is_array(prim)) {
            size_t n = own_stamps(db, mine);
            for (size_t i = 0; i < n && i < json_array_size(prim); i++) {
                long long want = json_integer_value(json_array_get(prim, i));
                if (mine[i] > seen[i] && seen[i] > 0)
                    apply = wall - mine[i] / 1e6; /* arrived since last time */
                if (mine[i] > seen[i])
                    seen[i] = mine[i];
                if (mine[i] >= want) {
                    behind[i] = 0;
                } else {
                    if (!behind[i])
                        behind[i] = now;
                    if (now - behind[i] > worst)
                        worst = now - behind[i];
                }
            }
        }
        pthread_mutex_lock(&lag.lock);
        lag.primary_up = json_is_array(prim);
        lag.lag = worst;
        if (apply >= 0)
            lag.apply = apply;
        lag.checked = now;
        pthread_mutex_unlock(&lag.lock);
        json_decref(h);
        struct timespec ts = {g_srv.fixed.lag_probe_ms / 1000,
                              (g_srv.fixed.lag_probe_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    kb_xdb_close(db);
    return NULL;
}

void cluster_start(void)
{
    if (!*g_srv.fixed.primary_url || !g_srv.fixed.read_only)
        return;
    lag.url = strdup(g_srv.fixed.primary_url);
    if (lag.url && pthread_create(&lag.thread, NULL, lag_main, NULL) == 0)
        lag.running = 1;
}

void cluster_stop(void)
{
    if (!lag.running)
        return;
    pthread_mutex_lock(&lag.lock);
    lag.stop = 1;
    pthread_mutex_unlock(&lag.lock);
    pthread_join(lag.thread, NULL);
    lag.running = 0;
    free(lag.url);
    lag.url = NULL;
}

/* --- health and metrics --- */

void cluster_health(json_t *h, kb_xdb *db)
{
    size_t n = kb_xdb_nshards(db);
    int down = 0;
    json_t *commits = json_array();
    long long st[MAX_DBS];
    size_t k = own_stamps(db, st);
    for (size_t i = 0; i < k; i++)
        json_array_append_new(commits, json_integer(st[i]));
    /* Commit stamps, one per shard then the dictionary: what replicas
     * compare their own with. */
    json_object_set_new(h, "commits", commits);
    json_object_set_new(
        h, "role", json_string(g_srv.fixed.read_only ? "replica" : "writer"));
    if (n > 1 || kb_xdb_shard(db, 0) != db) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
            const char *where = "";
            int up = kb_xdb_shard_up(db, i, &where);
            unsigned port = kb_xdb_shard_port(db, i);
            char w[600];
            if (port)
                snprintf(w, sizeof w, "%s:%u", where, port);
            else
                snprintf(w, sizeof w, "%s", where);
            down += !up;
            json_array_append_new(arr, json_pack("{s:i,s:s,s:b}", "shard",
                                                 (int)i, "at", w, "up", up));
        }
        json_object_set_new(h, "shards", arr);
        if (down)
            json_object_set_new(h, "status", json_string("degraded"));
    }
    if (g_srv.fixed.read_only) {
        pthread_mutex_lock(&lag.lock);
        json_t *rep = json_pack("{s:s,s:b,s:f}", "primary",
                                g_srv.fixed.primary_url, "primary_reachable",
                                lag.primary_up, "lag_seconds", lag.lag);
        if (lag.apply >= 0)
            json_object_set_new(rep, "apply_seconds", json_real(lag.apply));
        pthread_mutex_unlock(&lag.lock);
        json_object_set_new(h, "replica", rep);
    }
}

void cluster_metrics(kb_buf *b, kb_xdb *db)
{
    size_t n = kb_xdb_nshards(db);
    if (db && (n > 1 || kb_xdb_shard(db, 0) != db)) {
        kb_buf_adds(b, "# HELP deskdex_shard_up Whether each shard answers "
                       "(1) or is left out of answers (0).\n"
                       "# TYPE deskdex_shard_up gauge\n");
        for (size_t i = 0; i < n; i++)
            kb_buf_printf(b, "deskdex_shard_up{shard=\"%zu\"} %d\n", i,
                          kb_xdb_shard_up(db, i, NULL));
    }
    if (!g_srv.fixed.read_only)
        return;
    pthread_mutex_lock(&lag.lock);
    kb_buf_printf(b,
                  "# HELP deskdex_replica_lag_seconds How long this replica "
                  "has been behind the writer (0: caught up).\n"
                  "# TYPE deskdex_replica_lag_seconds gauge\n"
                  "deskdex_replica_lag_seconds %.3f\n"
                  "# HELP deskdex_replica_apply_seconds Delay from the "
                  "writer's last commit seen here to its arrival.\n"
                  "# TYPE deskdex_replica_apply_seconds gauge\n"
                  "deskdex_replica_apply_seconds %.3f\n"
                  "# HELP deskdex_replica_primary_up Whether the writer "
                  "answered the last lag probe.\n"
                  "# TYPE deskdex_replica_primary_up gauge\n"
                  "deskdex_replica_primary_up %d\n",
                  lag.lag, lag.apply > 0 ? lag.apply : 0.0, lag.primary_up);
    pthread_mutex_unlock(&lag.lock);
}

/* guard.c - rate limits per client and per key, and the audit log */
#include "kb_doc.h"
#include "kb_error.h"
#include "server.h"

#include <math.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- token buckets --- */

#define NBUCKETS 4096
#define PROBE 8

typedef struct {
    char who[72]; /* "ip:1.2.3.4" or "key:name"; "" free */
    double tokens;
    double last;
} bucket;

static bucket buckets[NBUCKETS];
static pthread_mutex_t rl_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned long hash(const char *s)
{
    unsigned long h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h;
}

void client_address(request *r, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, n, "-");
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET) {
        const struct sockaddr_in *in =
            (const struct sockaddr_in *)ci->client_addr;
        const unsigned char *b = (const unsigned char *)&in->sin_addr;
        snprintf(out, n, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
    }
}

int guard_rate(request *r, double *retry_after)
{
    char who[72], ip[48];
    double rate, burst;
    pthread_rwlock_rdlock(&g_srv.cfg_lock);
    if (strcmp(r->key_name, "-") != 0) {
        snprintf(who, sizeof who, "key:%s", r->key_name);
        rate = g_srv.cfg.key_rate;
        burst = g_srv.cfg.key_burst;
    } else {
        client_address(r, ip, sizeof ip);
        snprintf(who, sizeof who, "ip:%s", ip);
        rate = g_srv.cfg.rate;
        burst = g_srv.cfg.burst;
    }
    pthread_rwlock_unlock(&g_srv.cfg_lock);
    *retry_after = 0;
    if (rate <= 0)
        return KB_OK;
    double now = now_seconds();
    unsigned long h = hash(who);
    pthread_mutex_lock(&rl_lock);
    bucket *b = NULL, *oldest = NULL;
    for (int i = 0; i < PROBE && !b; i++) {
        bucket *c = &buckets[(h + (unsigned long)i) % NBUCKETS];
        if (!strcmp(c->who, who))
            b = c;
        else if (!oldest || c->last < oldest->last)
            oldest = c;
    }
    if (!b) {
        /* Take the stalest slot: a client idle that long has a full
         * bucket anyway. */
        b = oldest;
        snprintf(b->who, sizeof b->who, "%s", who);
        b->tokens = burst;
        b->last = now;
    }
    b->tokens = fmin(burst, b->tokens + (now - b->last) * rate);
    b->last = now;
    int rc = KB_OK;
    if (b->tokens >= 1) {
        b->tokens -= 1;
    } else {
        *retry_after = ceil((1 - b->tokens) / rate);
        rc = KB_ERATE;
    }
    pthread_mutex_unlock(&rl_lock);
    return rc;
}

/* --- the audit log: one JSON object per line, appended --- */

static pthread_mutex_t audit_lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *audit_file; /* under audit_lock */
static char *audit_path;
static atomic_int audit_on; /* audit_file is set: worth making a line */

int guard_audit_open(const char *path, char **errmsg)
{
    FILE *f = NULL;
    if (path && *path && !(f = fopen(path, "a")))
        return kb_fail(errmsg, KB_EIO, "audit log %s cannot be opened", path);
    pthread_mutex_lock(&audit_lock);
    if (audit_file)
        fclose(audit_file);
    audit_file = f;
    atomic_store(&audit_on, f != NULL);
    free(audit_path);
    audit_path = path && *path ? strdup(path) : NULL;
    pthread_mutex_unlock(&audit_lock);
    return KB_OK;
}

void guard_audit(request *r, const char *action, const char *id, int version,
                 int from, unsigned status)
{
    if (!atomic_load(&audit_on))
        return;
    char ts[32], ip[48];
    kb_now_rfc3339(ts);
    client_address(r, ip, sizeof ip);
    static const char *const roles[] = {"public", "agent", "editor", "admin"};
    json_t *e = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i}", "time", ts,
                          "key", r->key_name, "role", roles[r->role], "client",
                          ip, "action", action, "method", r->method, "route",
                          r->route >= 0 ? g_routes[r->route].path : "-",
                          "status", (int)status);
    if (!e)
        return;
    if (id && *id)
        json_object_set_new(e, "id", json_string(id));
    if (version > 0)
        json_object_set_new(e, "version", json_integer(version));
    if (from > 0)
        json_object_set_new(e, "from", json_integer(from));
    char *line = json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(e);
    if (!line)
        return;
    pthread_mutex_lock(&audit_lock);
    if (audit_file) {
        fputs(line, audit_file);
        fputc('\n', audit_file);
        fflush(audit_file);
    }
    pthread_mutex_unlock(&audit_lock);
    free(line);
}

void guard_close(void) { guard_audit_open(NULL, NULL); }

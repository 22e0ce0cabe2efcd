/* metrics.c - request counters and latency histograms, Prometheus text */
#include "kb_buf.h"
#include "kb_error.h"
#include "kb_shard.h"
#include "kb_store.h"
#include "server.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define MAX_ROUTES 64
#define NCLASS 6 /* 1xx..5xx by class, and 0 for unknown */
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                0.025,  0.05,  0.1,    0.25,  1.0};
#define NB (sizeof bounds / sizeof *bounds)

static unsigned long counts[MAX_ROUTES + 1][NCLASS];
static unsigned long hist[MAX_ROUTES + 1][NB + 1];
static double sums[MAX_ROUTES + 1];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void metrics_observe(int route, unsigned status, double s)
{
    int ri = (route >= 0 && route < MAX_ROUTES) ? route : MAX_ROUTES;
    unsigned c = status / 100 < NCLASS ? status / 100 : 0;
    size_t b = 0;
    while (b < NB && s > bounds[b])
        b++;
    pthread_mutex_lock(&lock);
    counts[ri][c]++;
    hist[ri][b]++;
    sums[ri] += s;
    pthread_mutex_unlock(&lock);
}

char *metrics_render(size_t *len)
{
    kb_buf b = KB_BUF_INIT(1u << 20);
    unsigned long c[MAX_ROUTES + 1][NCLASS], h[MAX_ROUTES + 1][NB + 1];
    double sm[MAX_ROUTES + 1];
    pthread_mutex_lock(&lock);
    memcpy(c, counts, sizeof c);
    memcpy(h, hist, sizeof h);
    memcpy(sm, sums, sizeof sm);
    pthread_mutex_unlock(&lock);

    kb_buf_adds(&b, "# HELP deskdex_requests_total Requests by route and "
                    "status class.\n# TYPE deskdex_requests_total counter\n");
    for (size_t r = 0; r <= MAX_ROUTES; r++) {
        if (r < MAX_ROUTES && r >= g_nroutes)
            continue;
        for (int k = 0; k < NCLASS; k++)
            if (c[r][k])
                kb_buf_printf(&b,
                              "deskdex_requests_total{method=\"%s\",route="
                              "\"%s\",status=\"%dxx\"} %lu\n",
                              r < MAX_ROUTES ? g_routes[r].method : "-",
                              r < MAX_ROUTES ? g_routes[r].path : "unmatched",
                              k, c[r][k]);
    }
    kb_buf_adds(&b, "# HELP deskdex_request_seconds Request latency.\n"
                    "# TYPE deskdex_request_seconds histogram\n");
    for (size_t r = 0; r < g_nroutes && r < MAX_ROUTES; r++) {
        unsigned long cum = 0, total = 0;
        for (size_t k = 0; k <= NB; k++)
            total += h[r][k];
        if (!total)
            continue;
        const char *m = g_routes[r].method, *p = g_routes[r].path;
        for (size_t k = 0; k < NB; k++) {
            cum += h[r][k];
            kb_buf_printf(&b,
                          "deskdex_request_seconds_bucket{method=\"%s\","
                          "route=\"%s\",le=\"%g\"} %lu\n",
                          m, p, bounds[k], cum);
        }
        kb_buf_printf(&b,
                      "deskdex_request_seconds_bucket{method=\"%s\",route="
                      "\"%s\",le=\"+Inf\"} %lu\n"
                      "deskdex_request_seconds_sum{method=\"%s\",route=\"%s\"}"
                      " %.6f\n"
                      "deskdex_request_seconds_count{method=\"%s\",route="
                      "\"%s\"} %lu\n",
                      m, p, total, m, p, sm[r], m, p, total);
    }

    /* Index figures, read fresh. */
    char *msg = NULL;
    kb_xdb *db = reader(&msg);
    json_t *st = NULL;
    if (db && kb_shard_stats(db, &st, NULL) == KB_OK) {
        kb_buf_adds(&b, "# HELP deskdex_documents Documents by kind and "
                        "status (current versions).\n"
                        "# TYPE deskdex_documents gauge\n");
        const char *kind;
        json_t *by;
        json_object_foreach(json_object_get(st, "documents"), kind, by)
        {
            const char *status;
            json_t *n;
            json_object_foreach(by, status, n)
                kb_buf_printf(&b,
                              "deskdex_documents{kind=\"%s\",status="
                              "\"%s\"} %lld\n",
                              kind, status, (long long)json_integer_value(n));
        }
        kb_buf_printf(
            &b,
            "# HELP deskdex_index_revision Revision of the "
            "index.\n# TYPE deskdex_index_revision gauge\n"
            "deskdex_index_revision %lld\n",
            (long long)json_integer_value(json_object_get(st, "revision")));
        json_decref(st);
    }
    if (db)
        cluster_metrics(&b, db);
    cache_metrics(&b);
    free(msg);
    double since = g_srv.last_commit > 0
                       ? (double)time(NULL) - g_srv.last_commit
                       : now_seconds() - g_srv.started;
    kb_buf_printf(&b,
                  "# HELP deskdex_seconds_since_commit Seconds since "
                  "this server last committed a write (or started).\n"
                  "# TYPE deskdex_seconds_since_commit gauge\n"
                  "deskdex_seconds_since_commit %.0f\n"
                  "# HELP deskdex_uptime_seconds Seconds since start.\n"
                  "# TYPE deskdex_uptime_seconds gauge\n"
                  "deskdex_uptime_seconds %.0f\n",
                  since, now_seconds() - g_srv.started);
    *len = b.len;
    return kb_buf_steal(&b);
}

/* analytics.c - what users search for and what they open: the log, its
 * rotation and retention, and the reports editors read */
#include "kb_curate.h"
#include "kb_doc.h"
#include "kb_error.h"
#include "kb_pii.h"
#include "kb_shard.h"
#include "kb_store.h"
#include "server.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * The log is JSON Lines, appended, one object per search or event:
 *   {"t":"search"|"related"|"suggest","ts":…,"qid":…,"q":masked text,
 *    "key":query key,"role":…,"n":results,"top":[ids],"ms":…,"sid":…}
 *   {"t":"click","ts":…,"qid":…,"id":…,"pos":…,"sid":…}
 *   {"t":"submit","ts":…,"sid":…}      the host page's form was sent
 *   {"t":"feedback","ts":…,"id":…,"v":…,"helpful":…,"qid":…}
 * No keys and no client addresses. At analytics_max_bytes the file moves
 * to FILE.1 (FILE.1 to FILE.2 …, analytics_keep of them); lines older
 * than analytics_retention_days are purged at start and then hourly.
 */

#define QUERY_LOG_MAX 300 /* characters of a query kept in the log */
#define TOP_LOGGED 10
#define LOW_CLICK_MIN 3 /* searches before a query can be "low click" */
#define LOW_CLICK_CTR 0.2
#define PURGE_EVERY 3600.0

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static FILE *file;
static char *path;
static long max_bytes;
static int keep, days;
static double last_purge, last_flush;

static const char *const roles[] = {"public", "agent", "editor", "admin"};

/* Wall-clock seconds (now_seconds() is monotonic, for durations). */
static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --- retention and rotation (callers hold lock) --- */

static double line_ts(const char *line)
{
    const char *p = strstr(line, "\"ts\":");
    return p ? strtod(p + 5, NULL) : 0;
}

/* Drop the lines of one file older than cutoff: rewrite it when some go,
 * remove it when all go. */
static void purge_file(const char *p, double cutoff)
{
    FILE *in = fopen(p, "r");
    if (!in)
        return;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.purge", p);
    FILE *out = NULL;
    char *line = NULL;
    size_t cap = 0, kept = 0, dropped = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, in)) > 0) {
        if (line_ts(line) < cutoff) {
            dropped++;
            continue;
        }
        if (!dropped) {
            kept++;
            continue; /* nothing dropped yet: the file may stay as it is */
        }
        if (!out) {
            /* Lines are in time order, so the kept ones start here. */
            out = fopen(tmp, "w");
            if (!out)
                break;
        }
        fwrite(line, 1, (size_t)n, out);
        kept++;
    }
    free(line);
    fclose(in);
    if (!dropped)
        return;
    if (out) {
        fclose(out);
        rename(tmp, p);
    } else if (!kept) {
        unlink(p);
    } else {
        /* Kept lines came before dropped ones: time went backwards.
         * Leave such a file alone rather than lose lines. */
    }
}

static void purge_locked(double now)
{
    double cutoff = now - days * 86400.0;
    char p[4200];
    for (int i = keep; i >= 1; i--) {
        snprintf(p, sizeof p, "%s.%d", path, i);
        purge_file(p, cutoff);
    }
    if (file) {
        fclose(file);
        file = NULL;
    }
    purge_file(path, cutoff);
    file = fopen(path, "a");
    last_purge = now;
}

static void rotate_locked(void)
{
    char from[4200], to[4200];
    fclose(file);
    file = NULL;
    snprintf(to, sizeof to, "%s.%d", path, keep);
    unlink(to);
    for (int i = keep - 1; i >= 1; i--) {
        snprintf(from, sizeof from, "%s.%d", path, i);
        snprintf(to, sizeof to, "%s.%d", path, i + 1);
        rename(from, to);
    }
    snprintf(to, sizeof to, "%s.1", path);
    rename(path, to);
    file = fopen(path, "a");
}

int analytics_open(const kb_config *cfg, char **errmsg)
{
    char p[4200];
    const char *want = cfg->analytics_log;
    if (!strcmp(want, "off"))
        p[0] = '\0';
    else if (*want)
        snprintf(p, sizeof p, "%s", want);
    else
        snprintf(p, sizeof p, "%s-analytics.jsonl", cfg->db);
    FILE *f = NULL;
    if (*p && !(f = fopen(p, "a"))) {
        if (*want)
            return kb_fail(errmsg, KB_EIO,
                           "analytics log %s cannot be "
                           "opened: %s",
                           p, strerror(errno));
        /* The default place beside the index may not be writable (a
         * front-end's stub file under /etc): serve without the log. */
        fprintf(stderr,
                "deskdex-server: analytics log %s cannot be opened "
                "(%s); searches are not logged: set analytics_log\n",
                p, strerror(errno));
        p[0] = '\0';
    }
    pthread_mutex_lock(&lock);
    if (file)
        fclose(file);
    file = f;
    free(path);
    path = *p ? strdup(p) : NULL;
    max_bytes = cfg->analytics_max_bytes;
    keep = cfg->analytics_keep;
    days = cfg->analytics_days;
    if (file && path)
        purge_locked(wall());
    pthread_mutex_unlock(&lock);
    return KB_OK;
}

void analytics_close(void)
{
    pthread_mutex_lock(&lock);
    if (file)
        fclose(file);
    file = NULL;
    free(path);
    path = NULL;
    pthread_mutex_unlock(&lock);
}

static void write_line(json_t *e)
{
    char *line = json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER |
                                   JSON_REAL_PRECISION(13));
    json_decref(e);
    if (!line)
        return;
    pthread_mutex_lock(&lock);
    if (file) {
        double now = wall();
        if (now - last_purge > PURGE_EVERY)
            purge_locked(now);
        if (file) {
            /* Written through stdio's buffer, flushed at most once a
             * second (and before every report): a crash loses at most a
             * second of the log, and a busy server makes one write(2) per
             * buffer, not per search. */
            fputs(line, file);
            fputc('\n', file);
            if (now - last_flush >= 1.0) {
                fflush(file);
                last_flush = now;
            }
            if (ftell(file) >= max_bytes)
                rotate_locked();
        }
    }
    pthread_mutex_unlock(&lock);
    free(line);
}

int analytics_enabled(void)
{
    pthread_mutex_lock(&lock);
    int on = file != NULL;
    pthread_mutex_unlock(&lock);
    return on;
}

/* --- logging --- */

static int id_ok(const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
              (s[n] >= '0' && s[n] <= '9') || s[n] == '-' || s[n] == '_'))
            return 0;
    return n > 0 && n <= max;
}

int analytics_session_ok(const char *s) { return s && id_ok(s, 64); }
int analytics_qid_ok(const char *s) { return s && id_ok(s, 32); }

/* The first max characters of s (UTF-8 aware), masked (new). */
static char *masked_query(const char *s)
{
    size_t n = 0, chars = 0;
    while (s[n] && chars < QUERY_LOG_MAX) {
        n++;
        while ((s[n] & 0xC0) == 0x80)
            n++;
        chars++;
    }
    char *out = NULL;
    if (kb_pii_mask(&out, s, n, NULL) != KB_OK)
        return NULL;
    return out;
}

void analytics_search(request *r, const char *route, const char *q,
                      const char *qkey, const char *session, json_t *res)
{
    unsigned char rnd[8];
    char qid[17];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
        for (size_t i = 0; i < sizeof rnd; i++)
            rnd[i] = (unsigned char)rand();
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(qid + 2 * i, 3, "%02x", rnd[i]);
    json_object_set_new(res, "query_id", json_string(qid));
    if (!analytics_enabled())
        return;
    char *mq = masked_query(q ? q : ""), *key = NULL;
    if (!mq)
        return;
    /* The caller's key of q serves when masking changed nothing. */
    if (qkey && q && !strcmp(mq, q))
        key = strdup(qkey);
    else
        kb_query_key(&key, mq, strlen(mq), NULL);
    json_t *top = json_array();
    json_t *results = json_object_get(res, "results");
    size_t i;
    json_t *h;
    json_array_foreach(results, i, h)
    {
        if (i >= TOP_LOGGED)
            break;
        json_array_append(top, json_object_get(h, "id"));
    }
    json_t *total = json_object_get(res, "total");
    json_int_t n = json_is_integer(total)
                       ? json_integer_value(total)
                       : (json_int_t)json_array_size(results);
    double ms = (now_seconds() - r->t0) * 1000;
    json_t *e = json_pack("{s:s,s:f,s:s,s:s,s:s,s:s,s:I,s:o,s:f}", "t", route,
                          "ts", round(wall() * 1000) / 1000, "qid", qid, "q",
                          mq, "key", key ? key : "", "role", roles[r->role],
                          "n", n, "top", top, "ms", round(ms * 1000) / 1000);
    free(mq);
    free(key);
    if (!e)
        return;
    if (analytics_session_ok(session))
        json_object_set_new(e, "sid", json_string(session));
    write_line(e);
}

void analytics_event(json_t *e)
{
    if (!e)
        return;
    json_object_set_new(e, "ts", json_real(round(wall() * 1000) / 1000));
    write_line(e);
}

/* --- reading the log back --- */

typedef struct {
    double from, mid, now;
    json_t *keys;     /* key -> {query,count,zero,clicked,forms:{text:n}} */
    json_t *qids;     /* qid -> [key, n, route] */
    json_t *clicked;  /* qid -> true */
    json_t *sessions; /* sid -> [related, opened, submitted] */
    json_t *votes;    /* id -> [h, n, early h, early n, late h, late n] */
    long impressions[TOP_LOGGED + 1], clicks[TOP_LOGGED + 1];
    long searches, searches_clicked, zero, submits;
} agg;

static json_int_t geti(json_t *a, size_t i)
{
    return json_integer_value(json_array_get(a, i));
}

static void inc(json_t *a, size_t i, json_int_t by)
{
    json_array_set_new(a, i, json_integer(geti(a, i) + by));
}

static void add_search(agg *g, json_t *e, const char *route)
{
    const char *key = kb_doc_str(e, "key"), *q = kb_doc_str(e, "q");
    const char *qid = kb_doc_str(e, "qid");
    json_int_t n = json_integer_value(json_object_get(e, "n"));
    if (!*key)
        return;
    json_object_set_new(g->qids, qid, json_pack("[s,I,s]", key, n, route));
    const char *sid = kb_doc_str(e, "sid");
    if (*sid && !strcmp(route, "related")) {
        json_t *s = json_object_get(g->sessions, sid);
        if (!s)
            json_object_set_new(g->sessions, sid,
                                json_pack("[i,i,i]", 1, 0, 0));
    }
    if (strcmp(route, "search"))
        return; /* type-ahead and suggestions are not counted as queries */
    g->searches++;
    if (n == 0)
        g->zero++;
    /* Impressions: the results the caller was shown, not the total. */
    size_t shown_n = json_array_size(json_object_get(e, "top"));
    for (size_t p = 1; p <= shown_n && p <= TOP_LOGGED; p++)
        g->impressions[p]++;
    json_t *k = json_object_get(g->keys, key);
    if (!k) {
        k = json_pack("{s:s,s:i,s:i,s:i,s:{}}", "query", q, "count", 0, "zero",
                      0, "clicked", 0, "forms");
        json_object_set_new(g->keys, key, k);
    }
    json_object_set_new(
        k, "count",
        json_integer(json_integer_value(json_object_get(k, "count")) + 1));
    if (n == 0)
        json_object_set_new(
            k, "zero",
            json_integer(json_integer_value(json_object_get(k, "zero")) + 1));
    json_t *forms = json_object_get(k, "forms");
    if (json_object_size(forms) < 20 || json_object_get(forms, q))
        json_object_set_new(
            forms, q,
            json_integer(json_integer_value(json_object_get(forms, q)) + 1));
}

static void add_click(agg *g, json_t *e)
{
    const char *qid = kb_doc_str(e, "qid"), *sid = kb_doc_str(e, "sid");
    json_int_t pos = json_integer_value(json_object_get(e, "pos"));
    json_t *s = *sid ? json_object_get(g->sessions, sid) : NULL;
    if (s)
        json_array_set_new(s, 1, json_integer(1));
    json_t *q = json_object_get(g->qids, qid);
    if (!q || json_object_get(g->clicked, qid) ||
        strcmp(json_string_value(json_array_get(q, 2)), "search"))
        goto position;
    json_object_set_new(g->clicked, qid, json_true());
    g->searches_clicked++;
    json_t *k =
        json_object_get(g->keys, json_string_value(json_array_get(q, 0)));
    if (k)
        json_object_set_new(
            k, "clicked",
            json_integer(json_integer_value(json_object_get(k, "clicked")) +
                         1));
position:
    if (q && !strcmp(json_string_value(json_array_get(q, 2)), "search") &&
        pos >= 1 && pos <= TOP_LOGGED)
        g->clicks[pos]++;
}

static void add_vote(agg *g, json_t *e, double ts)
{
    const char *id = kb_doc_str(e, "id");
    if (!*id)
        return;
    json_t *v = json_object_get(g->votes, id);
    if (!v) {
        v = json_pack("[i,i,i,i,i,i]", 0, 0, 0, 0, 0, 0);
        json_object_set_new(g->votes, id, v);
    }
    int good = json_is_true(json_object_get(e, "helpful"));
    int late = ts >= g->mid;
    inc(v, good ? 0 : 1, 1);
    inc(v, (size_t)(2 + 2 * late + !good), 1);
}

static void add_line(agg *g, const char *line, size_t n)
{
    double t0 = line_ts(line);
    if (t0 < g->from || t0 > g->now + 60)
        return; /* outside the window: not worth parsing */
    json_t *e = json_loadb(line, n, 0, NULL);
    if (!json_is_object(e)) {
        json_decref(e);
        return;
    }
    double ts = json_number_value(json_object_get(e, "ts"));
    const char *t = kb_doc_str(e, "t");
    if (ts >= g->from && ts <= g->now + 60) {
        if (!strcmp(t, "search") || !strcmp(t, "related") ||
            !strcmp(t, "suggest"))
            add_search(g, e, t);
        else if (!strcmp(t, "click"))
            add_click(g, e);
        else if (!strcmp(t, "feedback"))
            add_vote(g, e, ts);
        else if (!strcmp(t, "submit")) {
            json_t *s = json_object_get(g->sessions, kb_doc_str(e, "sid"));
            g->submits++;
            if (s)
                json_array_set_new(s, 2, json_integer(1));
        }
    }
    json_decref(e);
}

static int read_log(agg *g, int window_days)
{
    memset(g, 0, sizeof *g);
    g->now = wall();
    g->from = g->now - window_days * 86400.0;
    g->mid = (g->from + g->now) / 2;
    g->keys = json_object();
    g->qids = json_object();
    g->clicked = json_object();
    g->sessions = json_object();
    g->votes = json_object();
    if (!g->keys || !g->qids || !g->clicked || !g->sessions || !g->votes)
        return KB_ENOMEM;
    pthread_mutex_lock(&lock);
    if (file)
        fflush(file);
    char *base = path ? strdup(path) : NULL;
    int nkeep = keep;
    pthread_mutex_unlock(&lock);
    if (!base)
        return KB_OK;
    char p[4200];
    char *line = NULL;
    size_t cap = 0;
    for (int i = nkeep; i >= 0; i--) {
        if (i)
            snprintf(p, sizeof p, "%s.%d", base, i);
        else
            snprintf(p, sizeof p, "%s", base);
        FILE *f = fopen(p, "r");
        if (!f)
            continue;
        ssize_t n;
        while ((n = getline(&line, &cap, f)) > 0)
            add_line(g, line, (size_t)n);
        fclose(f);
    }
    free(line);
    free(base);
    return KB_OK;
}

static void agg_free(agg *g)
{
    json_decref(g->keys);
    json_decref(g->qids);
    json_decref(g->clicked);
    json_decref(g->sessions);
    json_decref(g->votes);
}

/* --- reports --- */

static double ratio(double a, double b)
{
    return b > 0 ? round(a / b * 1000) / 1000 : 0;
}

/* The most frequent way a key was typed. */
static const char *shown(json_t *k)
{
    const char *best = kb_doc_str(k, "query"), *f;
    json_int_t most = 0;
    json_t *n;
    json_object_foreach(json_object_get(k, "forms"), f,
                        n) if (json_integer_value(n) > most)
    {
        most = json_integer_value(n);
        best = f;
    }
    return best;
}

static json_t *query_row(const char *key, json_t *k)
{
    json_int_t c = json_integer_value(json_object_get(k, "count"));
    json_int_t cl = json_integer_value(json_object_get(k, "clicked"));
    return json_pack("{s:s,s:s,s:I,s:I,s:I,s:f}", "query", shown(k), "key", key,
                     "count", c, "zero_results",
                     json_integer_value(json_object_get(k, "zero")), "clicked",
                     cl, "ctr", ratio((double)cl, (double)c));
}

typedef int (*row_cmp)(const void *, const void *);

/* At most limit of rows, in cmp's order (new; steals rows). */
static json_t *first_rows(json_t *rows, row_cmp cmp, int limit)
{
    size_t n = json_array_size(rows);
    json_t **v = calloc(n + 1, sizeof *v);
    json_t *out = json_array();
    for (size_t i = 0; v && i < n; i++)
        v[i] = json_array_get(rows, i);
    if (v)
        qsort(v, n, sizeof *v, cmp);
    for (size_t i = 0; v && out && i < n && (int)i < limit; i++)
        json_array_append(out, v[i]);
    free(v);
    json_decref(rows);
    return out;
}

/* The field rows are sorted by (descending). Reports are serialised by
 * report_lock, so one static is enough. */
static const char *sort_field;
static int by_field_desc(const void *a, const void *b)
{
    json_int_t x =
        json_integer_value(json_object_get(*(json_t *const *)a, sort_field));
    json_int_t y =
        json_integer_value(json_object_get(*(json_t *const *)b, sort_field));
    if (x != y)
        return x < y ? 1 : -1;
    return strcmp(kb_doc_str(*(json_t *const *)a, "query"),
                  kb_doc_str(*(json_t *const *)b, "query"));
}

static json_t *sorted(json_t *rows, const char *field, int limit)
{
    sort_field = field;
    return first_rows(rows, by_field_desc, limit);
}

/* Which queries a report lists. Q_GAP: poorly answered, i.e. no results,
 * or searched again and again without a click. */
enum { Q_TOP, Q_ZERO, Q_LOW, Q_GAP };

static json_t *query_report(agg *g, int which, int limit)
{
    json_t *rows = json_array();
    const char *key;
    json_t *k;
    json_object_foreach(g->keys, key, k)
    {
        json_int_t c = json_integer_value(json_object_get(k, "count"));
        json_int_t z = json_integer_value(json_object_get(k, "zero"));
        json_int_t cl = json_integer_value(json_object_get(k, "clicked"));
        if (which == Q_ZERO && !z)
            continue;
        if (which == Q_LOW && (c < LOW_CLICK_MIN || z == c ||
                               (double)cl / (double)c >= LOW_CLICK_CTR))
            continue;
        if (which == Q_GAP && !z && !(c >= 2 && cl == 0))
            continue;
        json_array_append_new(rows, query_row(key, k));
    }
    return sorted(rows, which == Q_ZERO ? "zero_results" : "count", limit);
}

static json_t *ctr_report(agg *g)
{
    json_t *pos = json_array();
    for (int p = 1; p <= TOP_LOGGED; p++)
        json_array_append_new(
            pos, json_pack(
                     "{s:i,s:i,s:i,s:f}", "position", p, "impressions",
                     (int)g->impressions[p], "clicks", (int)g->clicks[p], "ctr",
                     ratio((double)g->clicks[p], (double)g->impressions[p])));
    return json_pack("{s:i,s:i,s:f,s:i,s:f,s:o}", "searches", (int)g->searches,
                     "searches_clicked", (int)g->searches_clicked, "ctr",
                     ratio((double)g->searches_clicked, (double)g->searches),
                     "zero_results", (int)g->zero, "zero_rate",
                     ratio((double)g->zero, (double)g->searches), "by_position",
                     pos);
}

static json_t *deflection_report(agg *g)
{
    long sessions = 0, opened = 0, submitted = 0, deflected = 0;
    const char *sid;
    json_t *s;
    json_object_foreach(g->sessions, sid, s)
    {
        sessions++;
        int o = (int)geti(s, 1), sub = (int)geti(s, 2);
        opened += o;
        submitted += sub;
        deflected += o && !sub;
    }
    return json_pack("{s:i,s:i,s:i,s:i,s:f,s:b}", "sessions", (int)sessions,
                     "opened_article", (int)opened, "submitted", (int)submitted,
                     "deflected", (int)deflected, "rate",
                     ratio((double)deflected, (double)opened),
                     "submission_reported", g->submits > 0);
}

static const char *trend(json_t *v)
{
    double eh = (double)geti(v, 2), en = (double)geti(v, 3);
    double lh = (double)geti(v, 4), ln = (double)geti(v, 5);
    if (eh + en < 2 || lh + ln < 2)
        return "steady";
    double d = lh / (lh + ln) - eh / (eh + en);
    return d <= -0.2 ? "falling" : d >= 0.2 ? "rising" : "steady";
}

static json_t *helpfulness_report(agg *g, kb_xdb *db, int limit, int falling)
{
    json_t *rows = json_array();
    const char *id;
    json_t *v;
    json_object_foreach(g->votes, id, v)
    {
        const char *t = trend(v);
        if (falling && strcmp(t, "falling"))
            continue;
        json_int_t h = geti(v, 0), n = geti(v, 1);
        json_t *row = json_pack("{s:s,s:I,s:I,s:I,s:f,s:s}", "id", id, "votes",
                                h + n, "helpful", h, "not_helpful", n, "ratio",
                                ratio((double)h, (double)(h + n)), "trend", t);
        json_t *doc = NULL;
        if (db &&
            kb_store_get(kb_shard_for(db, id), id, 0, &doc, NULL) == KB_OK)
            json_object_set_new(row, "title",
                                json_string(kb_doc_str(doc, "title")));
        json_decref(doc);
        json_array_append_new(rows, row);
    }
    return sorted(rows, "votes", limit);
}

/* --- content gaps: poorly answered queries grouped by shared terms --- */

static size_t split_terms(char *key, char **v, size_t max)
{
    size_t n = 0;
    char *save = NULL; /* strtok's own state is one for the process */
    for (char *s = strtok_r(key, " ", &save); s && n < max;
         s = strtok_r(NULL, " ", &save))
        v[n++] = s;
    return n;
}

static size_t shared_terms(char **a, size_t na, char **b, size_t nb)
{
    size_t k = 0;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            if (!strcmp(a[i], b[j])) {
                k++;
                break;
            }
    return k;
}

#define GAP_TERMS 32

static json_t *gaps_report(agg *g, int limit)
{
    /* Biggest first, so each cluster is seeded by its most asked query. */
    json_t *rows = query_report(g, Q_GAP, 5000);
    json_t *clusters = json_array();
    struct seed {
        char *buf;
        char *t[GAP_TERMS];
        size_t n;
        json_t *c;
    } *seeds = calloc(json_array_size(rows) + 1, sizeof *seeds);
    size_t ns = 0, i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        char *buf = strdup(kb_doc_str(row, "key"));
        char *t[GAP_TERMS];
        if (!buf || !seeds)
            break;
        size_t n = split_terms(buf, t, GAP_TERMS);
        size_t best = ns, best_shared = 0;
        for (size_t s = 0; s < ns; s++) {
            size_t sh = shared_terms(t, n, seeds[s].t, seeds[s].n);
            size_t need = ((n < seeds[s].n ? n : seeds[s].n) + 1) / 2;
            if (sh && sh >= need && sh > best_shared) {
                best = s;
                best_shared = sh;
            }
        }
        json_int_t c = json_integer_value(json_object_get(row, "count"));
        json_int_t z = json_integer_value(json_object_get(row, "zero_results"));
        if (best == ns) {
            seeds[ns].buf = buf;
            memcpy(seeds[ns].t, t, sizeof t);
            seeds[ns].n = n;
            seeds[ns].c = json_pack(
                "{s:s,s:s,s:i,s:i,s:i,s:[]}", "label", kb_doc_str(row, "query"),
                "terms", kb_doc_str(row, "key"), "searches", 0, "zero_results",
                0, "queries", 0, "examples");
            json_array_append(clusters, seeds[ns].c);
            ns++;
        } else {
            free(buf);
        }
        json_t *c0 = seeds[best].c;
        json_object_set_new(
            c0, "searches",
            json_integer(json_integer_value(json_object_get(c0, "searches")) +
                         c));
        json_object_set_new(
            c0, "zero_results",
            json_integer(
                json_integer_value(json_object_get(c0, "zero_results")) + z));
        json_object_set_new(
            c0, "queries",
            json_integer(json_integer_value(json_object_get(c0, "queries")) +
                         1));
        json_t *ex = json_object_get(c0, "examples");
        if (json_array_size(ex) < 5)
            json_array_append_new(ex, json_pack("{s:s,s:I}", "query",
                                                kb_doc_str(row, "query"),
                                                "count", c));
    }
    for (size_t s = 0; s < ns; s++) {
        free(seeds[s].buf);
        json_decref(seeds[s].c);
    }
    free(seeds);
    json_decref(rows);
    return sorted(clusters, "searches", limit);
}

/* --- staleness: review dates from the index --- */

typedef struct {
    kb_xdb *db;
    char today[11], soon[11];
    json_t *overdue, *due;
} stale_ctx;

static int on_doc(void *vctx, const char *key, size_t klen)
{
    stale_ctx *c = vctx;
    char id[KB_ID_MAX + 1];
    if (klen < 3 || klen - 2 > KB_ID_MAX)
        return 0;
    memcpy(id, key + 2, klen - 2);
    id[klen - 2] = '\0';
    json_t *doc = NULL;
    if (kb_store_get(c->db, id, 0, &doc, NULL) != KB_OK)
        return 0;
    const char *rb = kb_doc_str(doc, "review_by");
    const char *st = kb_doc_str(doc, "status");
    if (kb_is_date(rb) && strcmp(st, "archived") &&
        strcmp(kb_doc_str(doc, "kind"), "ticket")) {
        json_t *row =
            json_pack("{s:s,s:s,s:s,s:s,s:s,s:I}", "id", id, "title",
                      kb_doc_str(doc, "title"), "kind", kb_doc_str(doc, "kind"),
                      "review_by", rb, "status", st, "version",
                      json_integer_value(json_object_get(doc, "version")));
        if (strcmp(rb, c->today) < 0)
            json_array_append_new(c->overdue, row);
        else if (strcmp(rb, c->soon) <= 0)
            json_array_append_new(c->due, row);
        else
            json_decref(row);
    }
    json_decref(doc);
    return 0;
}

static int by_review(const void *a, const void *b)
{
    int d = strcmp(kb_doc_str(*(json_t *const *)a, "review_by"),
                   kb_doc_str(*(json_t *const *)b, "review_by"));
    return d ? d
             : strcmp(kb_doc_str(*(json_t *const *)a, "id"),
                      kb_doc_str(*(json_t *const *)b, "id"));
}

static json_t *by_date(json_t *rows, int limit)
{
    return first_rows(rows, by_review, limit);
}

void analytics_today(char out[11], int plus_days)
{
    time_t t = time(NULL) + (time_t)plus_days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

int analytics_overdue(const json_t *doc)
{
    char today[11];
    const char *rb = kb_doc_str(doc, "review_by");
    analytics_today(today, 0);
    return kb_is_date(rb) && strcmp(rb, today) < 0;
}

static json_t *stale_report(agg *g, kb_xdb *db, int due_days, int limit)
{
    stale_ctx c = {db, "", "", json_array(), json_array()};
    analytics_today(c.today, 0);
    analytics_today(c.soon, due_days);
    /* Document records live in their shards: walk each one. */
    for (size_t i = 0; i < kb_xdb_nshards(db); i++) {
        c.db = kb_xdb_shard(db, i);
        if (c.db)
            kb_xdb_metadata_keys(c.db, "d:", 2, on_doc, &c, NULL);
    }
    size_t total = json_array_size(c.overdue);
    return json_pack("{s:s,s:i,s:o,s:o,s:o}", "today", c.today, "overdue_total",
                     (int)total, "overdue", by_date(c.overdue, limit),
                     "due_soon", by_date(c.due, limit), "falling_helpfulness",
                     helpfulness_report(g, db, limit, 1));
}

/* --- the report route --- */

static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const reports[] = {
    "summary",    "top-queries", "zero-results", "low-click", "ctr",
    "deflection", "helpfulness", "gaps",         "stale",     NULL};

enum MHD_Result h_analytics(request *r);
enum MHD_Result h_analytics(request *r)
{
    const char *name = r->params[0];
    int which = -1;
    for (int i = 0; reports[i]; i++)
        if (!strcmp(name, reports[i]))
            which = i;
    if (which < 0)
        return reply_error(r, KB_ENOTFOUND,
                           "no report %s; reports: summary, "
                           "top-queries, zero-results, low-click, ctr, "
                           "deflection, helpfulness, gaps, stale",
                           name);
    long window, limit, due;
    if (arg_int(r, "days", 30, 1, 36500, &window) < 0 ||
        arg_int(r, "limit", 20, 1, 1000, &limit) < 0 ||
        arg_int(r, "due_days", 30, 0, 3650, &due) < 0)
        return MHD_YES;
    kb_xdb *db = NULL;
    if (which == 0 || which == 6 || which == 8) {
        char *msg = NULL;
        db = reader(&msg);
        free(msg);
        if (!db)
            return reply_error(r, KB_EUNAVAIL, "index unavailable");
    }
    agg g;
    pthread_mutex_lock(&report_lock);
    int rc = read_log(&g, (int)window);
    json_t *out = NULL;
    if (rc == KB_OK) {
        int lim = (int)limit;
        switch (which) {
        case 0:
            out = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "top_queries",
                            query_report(&g, Q_TOP, lim), "zero_results",
                            query_report(&g, Q_ZERO, lim), "low_click",
                            query_report(&g, Q_LOW, lim), "ctr", ctr_report(&g),
                            "deflection", deflection_report(&g), "helpfulness",
                            helpfulness_report(&g, db, lim, 0), "gaps",
                            gaps_report(&g, lim), "stale",
                            stale_report(&g, db, (int)due, lim));
            break;
        case 1:
            out = json_pack("{s:o}", "queries",
                            query_report(&g, Q_TOP, (int)limit));
            break;
        case 2:
            out = json_pack("{s:o}", "queries",
                            query_report(&g, Q_ZERO, (int)limit));
            break;
        case 3:
            out = json_pack("{s:o}", "queries",
                            query_report(&g, Q_LOW, (int)limit));
            break;
        case 4: out = ctr_report(&g); break;
        case 5: out = deflection_report(&g); break;
        case 6:
            out = json_pack("{s:o}", "articles",
                            helpfulness_report(&g, db, (int)limit, 0));
            break;
        case 7:
            out = json_pack("{s:o}", "clusters", gaps_report(&g, (int)limit));
            break;
        case 8: out = stale_report(&g, db, (int)due, (int)limit); break;
        }
    }
    agg_free(&g);
    pthread_mutex_unlock(&report_lock);
    if (!out)
        return reply_error(r, KB_ENOMEM, "out of memory");
    json_object_set_new(out, "report", json_string(name));
    json_object_set_new(out, "days", json_integer(window));
    json_object_set_new(out, "logging", json_boolean(analytics_enabled()));
    return reply_json(r, 200, out);
}

/* POST /v1/events: what the page and the widget saw users do. */
enum MHD_Result h_events(request *r);
enum MHD_Result h_events(request *r)
{
    json_t *in = body_json_as(r, 1);
    if (!in)
        return MHD_YES;
    const char *t = kb_doc_str(in, "type");
    const char *qid = json_string_value(json_object_get(in, "query_id"));
    const char *sid = json_string_value(json_object_get(in, "session"));
    const char *id = json_string_value(json_object_get(in, "id"));
    json_t *pos = json_object_get(in, "position");
    const char *bad = NULL;
    if (!json_is_object(in))
        bad = "send a JSON object with \"type\"";
    else if (strcmp(t, "click") && strcmp(t, "submit"))
        bad = "field \"type\" must be \"click\" or \"submit\"";
    else if (!strcmp(t, "click") && (!id || !kb_doc_id_ok(id)))
        bad = "a click needs the document's \"id\"";
    else if (!strcmp(t, "click") && !analytics_qid_ok(qid) && !sid)
        bad = "a click needs the \"query_id\" of the search or a \"session\"";
    else if (qid && !analytics_qid_ok(qid))
        bad = "field \"query_id\" must be 1-32 letters, digits, - or _";
    else if (sid && !analytics_session_ok(sid))
        bad = "field \"session\" must be 1-64 letters, digits, - or _";
    else if (!strcmp(t, "submit") && !sid)
        bad = "a submit needs the \"session\" of the form";
    else if (pos && (!json_is_integer(pos) || json_integer_value(pos) < 1 ||
                     json_integer_value(pos) > 1000))
        bad = "field \"position\" must be an integer from 1 to 1000";
    if (bad) {
        enum MHD_Result ret = reply_error(r, KB_EDOC, "%s", bad);
        json_decref(in);
        return ret;
    }
    json_t *e = json_pack("{s:s}", "t", t);
    if (qid)
        json_object_set_new(e, "qid", json_string(qid));
    if (id)
        json_object_set_new(e, "id", json_string(id));
    if (pos)
        json_object_set(e, "pos", pos);
    if (sid)
        json_object_set_new(e, "sid", json_string(sid));
    json_decref(in);
    int on = analytics_enabled();
    analytics_event(e);
    return reply_json(r, 202, json_pack("{s:b}", "recorded", on));
}

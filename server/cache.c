/* cache.c - answers of search and related, kept while the index is
 * unchanged
 *
 * A slot table (one answer per slot, the newer one wins) keyed by what
 * makes an answer: the route, the caller's role and every search argument.
 * An entry holds the index it was computed on (its version file's inode and
 * modification time, and its revision) and is served only while the reader
 * is still there, so any write, pin, restore or compaction is seen by the
 * next request. Settings reloaded by SIGHUP empty it. What changes with
 * the clock alone (a pin's expiry, a review date passing) is seen within
 * cache_seconds. Sets of shards are not cached: a set has no single
 * revision to check. */
#include "kb_error.h"
#include "server.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NLOCKS 64
#define MAX_ENTRY_BYTES (256u << 10) /* bigger answers are not kept */

typedef struct entry {
    uint64_t hash;
    char *key;    /* the request's key */
    size_t bytes; /* held by the entry, against cache_max_bytes */
    uint64_t ino, rev, gen;
    double expires; /* monotonic seconds */
    char *res;      /* the answer before per-request fields, as compact
                       JSON: a third of the memory of its json_t */
    size_t len;
    char *qkey; /* the query's key for the log, or NULL */
} entry;

static entry *slots;
static size_t nslots;
static size_t max_bytes, used_bytes;
static double ttl;
static uint64_t gen;    /* bumped by cache_clear */
static size_t sweep_at; /* where the next partial sweep starts */
static uint64_t swept_rev, swept_ino, swept_gen; /* of the last full one */
#define SWEEP 64 /* slots a partial sweep looks at */
static unsigned long hits, misses;
static pthread_mutex_t locks[NLOCKS];
static pthread_mutex_t stats_lock =
    PTHREAD_MUTEX_INITIALIZER; /* bytes, counts */

static void entry_drop(entry *e)
{
    free(e->res);
    free(e->key);
    free(e->qkey);
    pthread_mutex_lock(&stats_lock);
    used_bytes -= e->bytes;
    pthread_mutex_unlock(&stats_lock);
    memset(e, 0, sizeof *e);
}

int cache_init(size_t entries, size_t bytes, int seconds)
{
    if (!entries || !bytes || seconds <= 0)
        return KB_OK; /* off */
    slots = calloc(entries, sizeof *slots);
    if (!slots)
        return KB_ENOMEM;
    nslots = entries;
    max_bytes = bytes;
    ttl = seconds;
    for (size_t i = 0; i < NLOCKS; i++)
        pthread_mutex_init(&locks[i], NULL);
    return KB_OK;
}

void cache_free(void)
{
    for (size_t i = 0; i < nslots; i++)
        if (slots[i].key)
            entry_drop(&slots[i]);
    free(slots);
    slots = NULL;
    nslots = 0;
}

void cache_clear(void)
{
    pthread_mutex_lock(&stats_lock);
    gen++;
    pthread_mutex_unlock(&stats_lock);
}

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* Length-prefixed, so no argument can pass for two. */
static int key_add(kb_buf *b, const char *s)
{
    return s ? kb_buf_printf(b, "%zu:%s|", strlen(s), s) : kb_buf_adds(b, "-|");
}

char *cache_key(const char *route, const request *r, const kb_search_opts *o)
{
    kb_buf b = KB_BUF_INIT(1u << 16);
    int rc =
        kb_buf_printf(&b, "%s|%d|%d|%d|%d|%d|%d|", route, (int)r->role,
                      o->limit, o->offset, o->facets, o->partial, o->group);
    const char *args[] = {o->q,        o->kind, o->product,
                          o->category, o->tag,  o->lang};
    for (size_t i = 0; rc == KB_OK && i < sizeof args / sizeof *args; i++)
        rc = key_add(&b, args[i]);
    if (rc != KB_OK) {
        kb_buf_free(&b);
        return NULL;
    }
    return kb_buf_steal(&b);
}

/* Where the reader is: 0 when it cannot be told (sets, remote shards). */
static int where(kb_xdb *db, uint64_t *ino, uint64_t *rev)
{
    if (kb_xdb_nshards(db) != 1 || kb_xdb_shard(db, 0) != db ||
        kb_xdb_revision(db, rev, NULL) != KB_OK || !*rev)
        return 0;
    *ino = reader_identity();
    return 1;
}

json_t *cache_get(const char *key, kb_xdb *db, char **qkey)
{
    uint64_t ino, rev;
    if (!nslots || !key || !where(db, &ino, &rev))
        return NULL;
    uint64_t h = fnv1a(key, strlen(key));
    size_t i = h % nslots;
    json_t *res = NULL;
    pthread_mutex_lock(&stats_lock);
    uint64_t g = gen;
    pthread_mutex_unlock(&stats_lock);
    pthread_mutex_lock(&locks[i % NLOCKS]);
    entry *e = &slots[i];
    if (e->key && e->hash == h && !strcmp(e->key, key) && e->ino == ino &&
        e->rev == rev && e->gen == g && now_seconds() < e->expires) {
        res = json_loadb(e->res, e->len, 0, NULL);
        *qkey = e->qkey ? strdup(e->qkey) : NULL;
        if (res && e->qkey && !*qkey) {
            json_decref(res);
            res = NULL;
        }
    }
    pthread_mutex_unlock(&locks[i % NLOCKS]);
    pthread_mutex_lock(&stats_lock);
    if (res)
        hits++;
    else
        misses++;
    pthread_mutex_unlock(&stats_lock);
    return res;
}

/* Take bytes from the budget: 1 when they fit. */
static int reserve(size_t bytes, uint64_t *g)
{
    pthread_mutex_lock(&stats_lock);
    int fits = used_bytes + bytes <= max_bytes;
    if (fits)
        used_bytes += bytes;
    *g = gen;
    pthread_mutex_unlock(&stats_lock);
    return fits;
}

/* Drop answers no request can be given any more (an older revision or
 * folder, older settings, past their time): from every slot the first time
 * the budget runs out at a revision, from the next SWEEP slots after. */
static void sweep(uint64_t ino, uint64_t rev)
{
    pthread_mutex_lock(&stats_lock);
    uint64_t g = gen;
    int full = rev != swept_rev || ino != swept_ino || g != swept_gen;
    size_t start = full ? 0 : sweep_at, n = full ? nslots : SWEEP;
    if (full) {
        swept_rev = rev;
        swept_ino = ino;
        swept_gen = g;
    } else {
        sweep_at = (sweep_at + SWEEP) % nslots;
    }
    pthread_mutex_unlock(&stats_lock);
    double now = now_seconds();
    for (size_t k = 0; k < n && k < nslots; k++) {
        size_t i = (start + k) % nslots;
        pthread_mutex_lock(&locks[i % NLOCKS]);
        entry *e = &slots[i];
        if (e->key && (e->gen != g || e->rev != rev || e->ino != ino ||
                       now >= e->expires))
            entry_drop(e);
        pthread_mutex_unlock(&locks[i % NLOCKS]);
    }
}

void cache_put(const char *key, kb_xdb *db, const json_t *res, const char *qkey)
{
    uint64_t ino, rev;
    if (!nslots || !key || !where(db, &ino, &rev))
        return;
    entry n = {.hash = fnv1a(key, strlen(key)),
               .ino = ino,
               .rev = rev,
               .expires = now_seconds() + ttl};
    n.res = json_dumps(res, JSON_COMPACT);
    n.len = n.res ? strlen(n.res) : 0;
    n.key = strdup(key);
    n.qkey = qkey ? strdup(qkey) : NULL;
    n.bytes = n.len + strlen(key) + (qkey ? strlen(qkey) : 0) + sizeof n;
    if (!n.key || !n.res || (qkey && !n.qkey) || n.bytes > MAX_ENTRY_BYTES) {
        free(n.key);
        free(n.qkey);
        free(n.res);
        return;
    }
    /* The slot's occupant goes too: drop it first, so its bytes count. */
    size_t i = n.hash % nslots;
    pthread_mutex_lock(&locks[i % NLOCKS]);
    if (slots[i].key)
        entry_drop(&slots[i]);
    pthread_mutex_unlock(&locks[i % NLOCKS]);
    int fits = reserve(n.bytes, &n.gen);
    if (!fits) {
        sweep(ino, rev);
        fits = reserve(n.bytes, &n.gen);
    }
    if (!fits) {
        free(n.key);
        free(n.qkey);
        free(n.res);
        return;
    }
    pthread_mutex_lock(&locks[i % NLOCKS]);
    if (slots[i].key) /* another request filled it meanwhile */
        entry_drop(&slots[i]);
    slots[i] = n;
    pthread_mutex_unlock(&locks[i % NLOCKS]);
}

void cache_metrics(kb_buf *b)
{
    pthread_mutex_lock(&stats_lock);
    unsigned long h = hits, m = misses;
    size_t used = used_bytes;
    pthread_mutex_unlock(&stats_lock);
    kb_buf_printf(b,
                  "# HELP deskdex_cache_hits_total Searches answered "
                  "from the answer cache.\n# TYPE deskdex_cache_hits_total "
                  "counter\ndeskdex_cache_hits_total %lu\n"
                  "# HELP deskdex_cache_misses_total Searches the cache did "
                  "not have.\n# TYPE deskdex_cache_misses_total counter\n"
                  "deskdex_cache_misses_total %lu\n"
                  "# HELP deskdex_cache_bytes Size of the cached answers.\n"
                  "# TYPE deskdex_cache_bytes gauge\ndeskdex_cache_bytes %zu\n",
                  h, m, used);
}

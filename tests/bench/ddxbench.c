/* ddxbench.c - benchmark helper: the SQLite FTS5 peer, query sets, growth
 * corpora and in-process latency of kb_search()
 *
 *   ddxbench fts5-index OUT.sqlite PATH...   FTS5 peer fed by deskdex's readers
 *   ddxbench gen OUTDIR SIZES PATH...        query sets + growth FAQ corpora
 *   ddxbench lat-kb DB CONF QFILE N SECS MODE [THREADS]
 *       MODE: search (GET /v1/search's defaults), related (GET /v1/related),
 *       grouped (search with group=1, as the page asks), nofacets, nospell (no
 * facets, no spelling), bare (no facets, spelling or snippets) ddxbench
 * lat-fts5 DB QFILE N SECS [related] ddxbench lat-pair DB CONF FTS5DB QFILE N
 * SECS MODE both in one process, in turn over blocks of 50 queries: the ratio
 *       then holds whatever the machine's speed does meanwhile; MODE as
 *       lat-kb's, FTS5 as lat-fts5's (related for related). Two lines: kb,
 *       then fts5.
 *   ddxbench live-fts5 DB N                  peer of the live-update test
 *
 * Every result is one JSON object on stdout. Every loop stops at a count
 * and at a time limit, whichever comes first.
 */
#include "kb_config.h"
#include "kb_error.h"
#include "kb_search.h"
#include "kb_text.h"
#include "readers.h"
#include "xapian_c.h"

#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

/* --- small helpers --- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of the calling thread: unlike wall time, it does not grow when
 * other work on a shared machine takes the core away. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "ddxbench: ");
    fprintf(stderr, fmt, arg ? arg : "");
    fputc('\n', stderr);
    exit(2);
}

/* splitmix64: the one deterministic random source of every set. */
static uint64_t rng_state = 0x6465736b646578ULL; /* "deskdex" */

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static size_t rnd_below(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v. */
static double pct(const double *v, size_t n, double p)
{
    if (!n)
        return 0;
    size_t k = (size_t)ceil(p / 100.0 * (double)n);
    if (k < 1)
        k = 1;
    return v[k - 1];
}

static long parse_long(const char *s, long lo, long hi)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        die("bad number \"%s\"", s);
    return v;
}

static int utf8_next(const unsigned char *s, size_t len, size_t *i)
{
    unsigned c = s[*i];
    int n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    int32_t cp = n == 1   ? (int32_t)c
                 : n == 2 ? (int32_t)(c & 0x1F)
                 : n == 3 ? (int32_t)(c & 0x0F)
                          : (int32_t)(c & 0x07);
    for (int k = 1; k < n && *i + (size_t)k < len; k++)
        cp = (cp << 6) | (s[*i + (size_t)k] & 0x3F);
    *i += (size_t)n;
    return cp;
}

/* --- records read through deskdex's own readers --- */

typedef struct {
    char *id, *title, *body;
    int cjk; /* has Chinese text */
} rec;

typedef struct {
    rec *v;
    size_t n, cap;
    size_t files, bytes;
    /* fts5-index inserts as records arrive instead of keeping them. */
    sqlite3_stmt *ins;
    sqlite3 *db;
    size_t in_batch;
} recs;

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static int has_cjk(const char *s)
{
    size_t len = strlen(s), i = 0;
    while (i < len) {
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        if (kb_is_cjk(utf8_next((const unsigned char *)s, len, &i)))
            return 1;
    }
    return 0;
}

/* FTS5's unicode61 tokenizer keeps a run of Han characters as one token;
 * space them out so each character is a token and a bigram is a two-token
 * phrase, the same unigram + bigram model deskdex uses. New string. */
static char *space_cjk(const char *s)
{
    size_t len = strlen(s), i = 0, o = 0;
    char *out = malloc(len * 2 + 1);
    if (!out)
        return NULL;
    while (i < len) {
        size_t st = i;
        int32_t cp = (unsigned char)s[i] < 0x80
                         ? s[i++]
                         : utf8_next((const unsigned char *)s, len, &i);
        int c = kb_is_cjk(cp);
        if (c && o && out[o - 1] != ' ')
            out[o++] = ' ';
        memcpy(out + o, s + st, i - st);
        o += i - st;
        if (c)
            out[o++] = ' ';
    }
    out[o] = '\0';
    return out;
}

static int on_record(void *ctx, json_t *r, const char *kind, int line)
{
    recs *rs = ctx;
    (void)kind;
    (void)line;
    const char *title = jstr(r, "title");
    if (!*title)
        title = jstr(r, "question");
    if (!*title)
        title = jstr(r, "subject");
    char *body = NULL;
    const char *b = jstr(r, "body");
    if (!*b)
        b = jstr(r, "answer");
    if (*b) {
        body = strdup(b);
    } else {
        const char *d = jstr(r, "description"), *res = jstr(r, "resolution");
        size_t n = strlen(d) + strlen(res) + 2;
        body = malloc(n);
        if (body)
            snprintf(body, n, "%s\n%s", d, res);
    }
    if (!body)
        return KB_ENOMEM;
    if (rs->ins) {
        int cjk = has_cjk(title) || has_cjk(body);
        char *t2 = cjk ? space_cjk(title) : NULL;
        char *b2 = cjk ? space_cjk(body) : NULL;
        sqlite3_bind_text(rs->ins, 1, jstr(r, "id"), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(rs->ins, 2, t2 ? t2 : title, -1, SQLITE_STATIC);
        sqlite3_bind_text(rs->ins, 3, b2 ? b2 : body, -1, SQLITE_STATIC);
        if (sqlite3_step(rs->ins) != SQLITE_DONE)
            die("insert: %s", sqlite3_errmsg(rs->db));
        sqlite3_reset(rs->ins);
        free(t2);
        free(b2);
        free(body);
        rs->n++;
        /* Same batch size as deskdex-index's default. */
        if (++rs->in_batch >= 5000) {
            sqlite3_exec(rs->db, "COMMIT; BEGIN", NULL, NULL, NULL);
            rs->in_batch = 0;
        }
        return 0;
    }
    if (rs->n == rs->cap) {
        rs->cap = rs->cap ? rs->cap * 2 : 4096;
        rs->v = realloc(rs->v, rs->cap * sizeof *rs->v);
        if (!rs->v)
            return KB_ENOMEM;
    }
    rec *x = &rs->v[rs->n++];
    x->id = strdup(jstr(r, "id"));
    x->title = strdup(title);
    x->body = body;
    x->cjk = has_cjk(title) || has_cjk(body);
    return 0;
}

static void on_problem(void *ctx, int line, const char *fmt, ...)
{
    (void)ctx;
    (void)line;
    (void)fmt; /* deskdex-index reports these; the peer just skips */
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read every supported file below path, in sorted order like the indexer. */
static void read_tree(const char *path, recs *rs)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return;
    if (S_ISREG(st.st_mode)) {
        if (!kb_read_supported(path))
            return;
        FILE *f = fopen(path, "rb");
        if (!f)
            return;
        char *buf = malloc((size_t)st.st_size + 1);
        size_t n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
        fclose(f);
        if (!buf)
            return;
        buf[n] = '\0';
        kb_read_opts o = KB_READ_OPTS_INIT;
        kb_sink sink = {on_record, on_problem, rs};
        kb_read_buffer(path, buf, n, &o, &sink);
        rs->files++;
        rs->bytes += n;
        free(buf);
        return;
    }
    if (!S_ISDIR(st.st_mode))
        return;
    DIR *d = opendir(path);
    if (!d)
        return;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof *names);
            if (!names)
                die("out of memory%s", NULL);
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char child[4096];
        snprintf(child, sizeof child, "%s/%s", path, names[i]);
        read_tree(child, rs);
        free(names[i]);
    }
    free(names);
}

/* --- fts5-index --- */

static int cmd_fts5_index(int argc, char **argv)
{
    if (argc < 2)
        die("usage: fts5-index OUT.sqlite PATH...%s", NULL);
    recs rs = {0};
    double t0 = now_s();
    if (sqlite3_open(argv[0], &rs.db) != SQLITE_OK)
        die("cannot open %s", argv[0]);
    if (sqlite3_exec(
            rs.db,
            "CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5(id UNINDEXED, "
            "title, body, tokenize='porter unicode61'); BEGIN",
            NULL, NULL, NULL) != SQLITE_OK)
        die("create: %s", sqlite3_errmsg(rs.db));
    sqlite3_prepare_v2(rs.db,
                       "INSERT INTO docs(id, title, body) "
                       "VALUES (?1, ?2, ?3)",
                       -1, &rs.ins, NULL);
    for (int i = 1; i < argc; i++)
        read_tree(argv[i], &rs);
    sqlite3_finalize(rs.ins);
    if (sqlite3_exec(rs.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        die("commit: %s", sqlite3_errmsg(rs.db));
    sqlite3_close(rs.db);
    printf("{\"files\":%zu,\"docs\":%zu,\"bytes\":%zu,\"seconds\":%.3f}\n",
           rs.files, rs.n, rs.bytes, now_s() - t0);
    return 0;
}

/* --- gen: query sets and growth corpora --- */

/* ASCII words of s, lower-cased, 3..20 letters, no stop words, at most max.
 * Writes them space-separated into out. */
static size_t ascii_words(const char *s, char words[][24], size_t max,
                          int drop_stop)
{
    size_t n = 0;
    while (*s && n < max) {
        while (*s && !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
            s++;
        const char *b = s;
        while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))
            s++;
        size_t l = (size_t)(s - b);
        if (l < 3 || l > 20)
            continue;
        for (size_t k = 0; k < l; k++)
            words[n][k] = (char)(b[k] | 0x20);
        words[n][l] = '\0';
        if (drop_stop && kb_is_stopword(words[n], l))
            continue;
        n++;
    }
    return n;
}

/* Percent-encode s for a URL query string. */
static void url_put(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.')
            fputc(*p, f);
        else
            fprintf(f, "%%%02X", *p);
    }
}

static FILE *open_out(const char *dir, const char *name)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (!f)
        die("cannot write %s", p);
    return f;
}

#define NQ 3000 /* queries per set; runs use at most this many distinct */

static void gen_short(const recs *rs, FILE *txt, FILE *url, FILE *rel,
                      FILE *relt)
{
    char w[64][24];
    for (int made = 0, tries = 0; made < NQ && tries < NQ * 50; tries++) {
        const rec *r = &rs->v[rnd_below(rs->n)];
        if (r->cjk)
            continue;
        size_t n = ascii_words(r->title, w, 64, 1);
        if (n < 2)
            n = ascii_words(r->body, w, 64, 1);
        if (n < 2)
            continue;
        size_t k = 2 + rnd_below(3); /* 2..4 words */
        if (k > n)
            k = n;
        size_t start = rnd_below(n - k + 1);
        char q[256] = "";
        for (size_t i = 0; i < k; i++) {
            strcat(q, w[start + i]);
            if (i + 1 < k)
                strcat(q, " ");
        }
        fprintf(txt, "%s\n", q);
        fputs("/v1/search?q=", url);
        url_put(url, q);
        fputs("&limit=10\n", url);
        /* Type-ahead: the last word cut to 2..5 letters, as typed. */
        size_t ql = strlen(q), last = strlen(w[start + k - 1]);
        size_t keep = 2 + rnd_below(4);
        if (keep < last)
            q[ql - last + keep] = '\0';
        fputs("/v1/related?q=", rel);
        url_put(rel, q);
        fputs("&limit=5\n", rel);
        fprintf(relt, "%s\n", q);
        made++;
    }
}

static void gen_long(const recs *rs, FILE *txt, FILE *url)
{
    static char w[4096][24];
    for (int made = 0, tries = 0; made < NQ && tries < NQ * 50; tries++) {
        const rec *r = &rs->v[rnd_below(rs->n)];
        if (r->cjk)
            continue;
        size_t n = ascii_words(r->body, w, 4096, 0);
        size_t k = 40 + rnd_below(41); /* 40..80 words */
        if (n < k)
            continue;
        size_t start = rnd_below(n - k + 1);
        char q[4096] = "";
        size_t ql = 0;
        for (size_t i = 0; i < k; i++)
            ql += (size_t)snprintf(q + ql, sizeof q - ql, "%s%s", w[start + i],
                                   i + 1 < k ? " " : "");
        /* The server caps q at 1024 bytes (max_query); stay under it. */
        if (ql > 1000)
            continue;
        fprintf(txt, "%s\n", q);
        fputs("/v1/search?q=", url);
        url_put(url, q);
        fputs("&limit=10\n", url);
        made++;
    }
}

/* Chinese questions: a run of 4..12 Han characters from a zh document. */
static void gen_zh(const recs *rs, FILE *txt, FILE *url)
{
    size_t nzh = 0;
    for (size_t i = 0; i < rs->n; i++)
        nzh += rs->v[i].cjk;
    if (!nzh)
        return;
    for (int made = 0, tries = 0; made < NQ && tries < NQ * 50; tries++) {
        const rec *r = &rs->v[rnd_below(rs->n)];
        if (!r->cjk)
            continue;
        const char *src = rnd_below(3) == 0 ? r->title : r->body;
        size_t len = strlen(src), i = rnd_below(len + 1);
        while (i < len && ((unsigned char)src[i] & 0xC0) == 0x80)
            i++;
        /* Find the next CJK run from i. */
        size_t run = 0, rs0 = 0, want = 4 + rnd_below(9);
        char q[128];
        size_t ql = 0;
        while (i < len && run < want) {
            size_t st = i;
            int32_t cp = utf8_next((const unsigned char *)src, len, &i);
            if (kb_is_cjk(cp)) {
                if (!run)
                    rs0 = st;
                run++;
                ql = i - rs0;
            } else if (run) {
                break;
            }
        }
        if (run < 3 || ql >= sizeof q)
            continue;
        memcpy(q, src + rs0, ql);
        q[ql] = '\0';
        fprintf(txt, "%s\n", q);
        fputs("/v1/search?q=", url);
        url_put(url, q);
        fputs("&limit=10\n", url);
        made++;
    }
}

static void json_put(FILE *f, const char *s)
{
    json_t *j = json_string(s);
    char *d = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    fputs(d ? d : "\"\"", f);
    free(d);
    json_decref(j);
}

/* FAQs made by recombining the real corpus: the question is one section's
 * title, the answer one to three paragraphs of other sections. */
static void gen_growth(const recs *rs, const char *dir, long n)
{
    static const char *const products[] = {"vpn",    "email",       "printing",
                                           "wifi",   "laptop",      "software",
                                           "access", "shared-drive"};
    static const char *const cats[] = {"network",  "account",       "hardware",
                                       "software", "collaboration", "security"};
    /* Paragraphs: lines of 60+ bytes of English bodies. */
    size_t np = 0, cp = 0;
    const char **pv = NULL;
    size_t *pl = NULL;
    size_t nt = 0;
    const char **tv = malloc(rs->n * sizeof *tv);
    for (size_t i = 0; i < rs->n; i++) {
        const rec *r = &rs->v[i];
        if (r->cjk)
            continue;
        if (strlen(r->title) >= 8 && strlen(r->title) < 200)
            tv[nt++] = r->title;
        for (const char *p = r->body; *p;) {
            size_t l = strcspn(p, "\n");
            if (l >= 60) {
                if (np == cp) {
                    cp = cp ? cp * 2 : 65536;
                    pv = realloc(pv, cp * sizeof *pv);
                    pl = realloc(pl, cp * sizeof *pl);
                }
                pv[np] = p;
                pl[np++] = l > 900 ? 900 : l;
            }
            p += l;
            if (*p)
                p++;
        }
    }
    if (!nt || !np)
        die("no English text to recombine%s", NULL);
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/g%ld/faqs", dir, n);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", sub);
    if (system(cmd) != 0)
        die("cannot create %s", sub);
    FILE *f = NULL;
    char *ans = malloc(4096);
    for (long i = 0; i < n; i++) {
        if (i % 50000 == 0) {
            if (f)
                fclose(f);
            char p[4200];
            snprintf(p, sizeof p, "%s/part-%03ld.jsonl", sub, i / 50000);
            f = fopen(p, "w");
            if (!f)
                die("cannot write %s", p);
        }
        size_t k = 1 + rnd_below(3), al = 0;
        for (size_t j = 0; j < k; j++) {
            size_t x = rnd_below(np);
            if (al + pl[x] + 2 >= 4096)
                break;
            if (al) {
                ans[al++] = '\n';
                ans[al++] = '\n';
            }
            memcpy(ans + al, pv[x], pl[x]);
            al += pl[x];
        }
        ans[al] = '\0';
        /* Cut at a UTF-8 boundary in case a paragraph was clipped. */
        while (al && ((unsigned char)ans[al - 1] & 0xC0) == 0x80)
            ans[--al] = '\0';
        if (al && (unsigned char)ans[al - 1] >= 0xC0)
            ans[--al] = '\0';
        fprintf(f, "{\"id\":\"g%ld-%ld\",\"kind\":\"faq\",\"question\":", n, i);
        json_put(f, tv[rnd_below(nt)]);
        fputs(",\"answer\":", f);
        json_put(f, ans);
        fprintf(f, ",\"product\":\"%s\",\"category\":\"%s\",\"lang\":\"en\"}\n",
                products[rnd_below(8)], cats[rnd_below(6)]);
    }
    if (f)
        fclose(f);
    free(ans);
    free(tv);
    free(pv);
    free(pl);
}

static int cmd_gen(int argc, char **argv)
{
    if (argc < 3)
        die("usage: gen OUTDIR SIZES PATH...%s", NULL);
    const char *dir = argv[0];
    recs rs = {0};
    for (int i = 2; i < argc; i++)
        read_tree(argv[i], &rs);
    if (!rs.n)
        die("no records read%s", NULL);
    FILE *st = open_out(dir, "q-short.txt"), *su = open_out(dir, "u-short.txt");
    FILE *ru = open_out(dir, "u-related.txt");
    FILE *rt = open_out(dir, "q-related.txt");
    FILE *lt = open_out(dir, "q-long.txt"), *lu = open_out(dir, "u-long.txt");
    FILE *zt = open_out(dir, "q-zh.txt"), *zu = open_out(dir, "u-zh.txt");
    gen_short(&rs, st, su, ru, rt);
    gen_long(&rs, lt, lu);
    gen_zh(&rs, zt, zu);
    fclose(st), fclose(su), fclose(ru), fclose(rt), fclose(lt), fclose(lu);
    fclose(zt), fclose(zu);
    size_t nzh = 0, text = 0;
    for (size_t i = 0; i < rs.n; i++) {
        nzh += rs.v[i].cjk;
        text += strlen(rs.v[i].title) + strlen(rs.v[i].body);
    }
    for (const char *s = argv[1]; *s;) {
        char *end = NULL;
        long n = strtol(s, &end, 10);
        if (end == s || n <= 0)
            die("bad sizes \"%s\"", argv[1]);
        gen_growth(&rs, dir, n);
        s = *end == ',' ? end + 1 : end;
    }
    printf("{\"records\":%zu,\"zh_records\":%zu,\"files\":%zu,"
           "\"text_bytes\":%zu}\n",
           rs.n, nzh, rs.files, text);
    return 0;
}

/* --- query files --- */

typedef struct {
    char **v;
    size_t n;
} qset;

static qset load_queries(const char *path)
{
    qset q = {NULL, 0};
    FILE *f = fopen(path, "r");
    if (!f)
        die("cannot read %s", path);
    char line[8192];
    size_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!*line)
            continue;
        if (q.n == cap) {
            cap = cap ? cap * 2 : 1024;
            q.v = realloc(q.v, cap * sizeof *q.v);
        }
        q.v[q.n++] = strdup(line);
    }
    fclose(f);
    if (!q.n)
        die("no queries in %s", path);
    return q;
}

static void print_lat(const char *what, double *lat, size_t n, double wall,
                      double hits, int threads, double cpu)
{
    qsort(lat, n, sizeof *lat, cmp_double);
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += lat[i];
    printf("{\"what\":\"%s\",\"n\":%zu,\"threads\":%d,\"p50_ms\":%.3f,"
           "\"p99_ms\":%.3f,\"mean_ms\":%.3f,\"max_ms\":%.3f,\"qps\":%.1f,"
           "\"hits_per_query\":%.2f,\"cpu_mean_ms\":%.3f}\n",
           what, n, threads, pct(lat, n, 50) * 1e3, pct(lat, n, 99) * 1e3,
           n ? sum / (double)n * 1e3 : 0, n ? lat[n - 1] * 1e3 : 0,
           wall > 0 ? (double)n / wall : 0, n ? hits / (double)n : 0,
           n ? cpu / (double)n * 1e3 : 0);
}

/* --- lat-kb: kb_search(), the code path of GET /v1/search --- */

typedef struct {
    const char *db, *mode;
    const kb_config *cfg;
    const qset *qs;
    size_t n, first; /* queries to time, starting at index first */
    double secs;
    double *lat;
    size_t done;
    double hits, cpu;
} kb_job;

static void kb_opts(kb_search_opts *o, const char *mode)
{
    if (!strcmp(mode, "related")) { /* as h_related sets them */
        o->limit = 5;
        o->partial = 1;
        o->facets = 0;
        o->spelling = 0;
        o->snippet_bytes = 140;
    } else if (!strcmp(mode, "grouped")) { /* the page's search */
        o->group = 1;
    } else if (!strcmp(mode, "nofacets")) {
        o->facets = 0;
    } else if (!strcmp(mode, "nospell")) {
        o->facets = 0;
        o->spelling = 0;
    } else if (!strcmp(mode, "bare")) {
        o->facets = 0;
        o->spelling = 0;
        o->snippets = 0;
    }
}

/* One timed kb_search() and its serialisation; the hits into *hits. */
static double kb_one(kb_xdb *db, const kb_config *cfg, const char *mode,
                     const char *q, double *cpu, double *hits)
{
    kb_search_opts o = KB_SEARCH_OPTS_INIT;
    char *msg = NULL;
    kb_opts(&o, mode);
    o.q = q;
    json_t *res = NULL;
    double a = now_s(), c = cpu_s();
    int rc = kb_search(&res, db, cfg, &o, &msg);
    /* The server serialises every answer: count that too. */
    char *s = res ? json_dumps(res, JSON_COMPACT) : NULL;
    double t = now_s() - a;
    *cpu += cpu_s() - c;
    if (rc != KB_OK)
        die("kb_search: %s", msg);
    *hits += (double)json_array_size(json_object_get(res, "results"));
    if (getenv("DDXBENCH_TRACE"))
        fprintf(stderr, "%.3f ms %s\n", t * 1e3, q);
    free(s);
    json_decref(res);
    return t;
}

static void *kb_worker(void *arg)
{
    kb_job *j = arg;
    kb_xdb *db = NULL;
    char *msg = NULL;
    if (kb_xdb_open(&db, j->db, KB_XDB_READ, &msg) != KB_OK)
        die("cannot open %s", msg);
    /* Warm up on queries that are not timed. */
    for (size_t i = 0; i < 50; i++) {
        kb_search_opts o = KB_SEARCH_OPTS_INIT;
        kb_opts(&o, j->mode);
        o.q = j->qs->v[(j->first + j->qs->n - 1 - i) % j->qs->n];
        json_t *res = NULL;
        kb_search(&res, db, j->cfg, &o, NULL);
        json_decref(res);
    }
    double t0 = now_s();
    for (size_t i = 0; i < j->n; i++) {
        if (now_s() - t0 > j->secs)
            break;
        j->lat[j->done++] =
            kb_one(db, j->cfg, j->mode, j->qs->v[(j->first + i) % j->qs->n],
                   &j->cpu, &j->hits);
    }
    kb_xdb_close(db);
    kb_stemmers_release();
    return NULL;
}

static int cmd_lat_kb(int argc, char **argv)
{
    if (argc < 6)
        die("usage: lat-kb DB CONF QFILE N SECS MODE [THREADS]%s", NULL);
    kb_config cfg;
    char *msg = NULL;
    kb_config_defaults(&cfg);
    if (strcmp(argv[1], "-") && kb_config_load(&cfg, argv[1], &msg) != KB_OK)
        die("config: %s", msg);
    if (kb_config_prepare(&cfg, &msg) != KB_OK) /* as the server does */
        die("thesaurus: %s", msg);
    kb_text_prepare(); /* so does the Chinese fold table: not in a query */
    qset qs = load_queries(argv[2]);
    long n = parse_long(argv[3], 1, 10000000);
    double secs = (double)parse_long(argv[4], 1, 3600);
    int threads = argc > 6 ? (int)parse_long(argv[6], 1, 64) : 1;
    kb_job *jobs = calloc((size_t)threads, sizeof *jobs);
    pthread_t *th = calloc((size_t)threads, sizeof *th);
    double t0 = now_s();
    for (int t = 0; t < threads; t++) {
        jobs[t] = (kb_job){argv[0],   argv[5],
                           &cfg,      &qs,
                           (size_t)n, (size_t)t * 997,
                           secs,      calloc((size_t)n, sizeof(double)),
                           0,         0,
                           0};
        pthread_create(&th[t], NULL, kb_worker, &jobs[t]);
    }
    size_t total = 0;
    double hits = 0, cpu = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(th[t], NULL);
        total += jobs[t].done;
        hits += jobs[t].hits;
        cpu += jobs[t].cpu;
    }
    double wall = now_s() - t0;
    double *all = malloc((total + 1) * sizeof *all);
    size_t k = 0;
    for (int t = 0; t < threads; t++) {
        memcpy(all + k, jobs[t].lat, jobs[t].done * sizeof *all);
        k += jobs[t].done;
        free(jobs[t].lat);
    }
    char what[64];
    snprintf(what, sizeof what, "kb:%s", argv[5]);
    print_lat(what, all, total, wall, hits, threads, cpu);
    free(all);
    free(jobs);
    free(th);
    kb_config_free(&cfg);
    return 0;
}

/* --- lat-fts5: bm25() + snippet() on the same documents --- */

/* The same query as deskdex's: words OR-ed (stop words dropped when other
 * words remain), Chinese as unigrams and bigrams OR-ed. */
static char *fts5_query(const char *q, int prefix)
{
    size_t len = strlen(q), cap = len * 8 + 64, o = 0;
    char *out = malloc(cap);
    char words[128][24];
    int cjk = has_cjk(q);
    out[0] = '\0';
    if (!cjk) {
        /* Type-ahead: the last word, as typed so far, is a prefix. */
        const char *last = prefix ? strrchr(q, ' ') : NULL;
        size_t hl = prefix ? (last ? (size_t)(last - q) : 0) : len;
        char *head = strndup(q, hl);
        size_t n = ascii_words(head, words, 128, 1);
        if (!n)
            n = ascii_words(head, words, 128, 0);
        free(head);
        /* Each word once: FTS5's snippet() slows down with every repeated
         * phrase (seconds on a long ticket text). */
        for (size_t i = 0; i < n; i++) {
            int dup = 0;
            for (size_t j = 0; j < i && !dup; j++)
                dup = !strcmp(words[i], words[j]);
            if (!dup)
                o += (size_t)snprintf(out + o, cap - o, "%s\"%s\"",
                                      o ? " OR " : "", words[i]);
        }
        if (prefix && *(last = last ? last + 1 : q))
            o += (size_t)snprintf(out + o, cap - o, "%s\"%s\"*",
                                  o ? " OR " : "", last);
        return out;
    }
    /* Han characters: "a" OR "a b" OR "b" ... */
    size_t i = 0, prev = (size_t)-1, prevlen = 0;
    while (i < len) {
        size_t st = i;
        int32_t cp = (unsigned char)q[i] < 0x80
                         ? q[i++]
                         : utf8_next((const unsigned char *)q, len, &i);
        if (!kb_is_cjk(cp)) {
            prev = (size_t)-1;
            continue;
        }
        o += (size_t)snprintf(out + o, cap - o, "%s\"%.*s\"", o ? " OR " : "",
                              (int)(i - st), q + st);
        if (prev != (size_t)-1)
            o +=
                (size_t)snprintf(out + o, cap - o, " OR \"%.*s %.*s\"",
                                 (int)prevlen, q + prev, (int)(i - st), q + st);
        prev = st;
        prevlen = i - st;
    }
    return out;
}

typedef struct {
    sqlite3 *db;
    sqlite3_stmt *st;
    int related;
} fts5_peer;

/* related: as GET /v1/related, five hits, shorter snippets, the last word
 * a prefix. */
static void fts5_open(fts5_peer *f, const char *path, int related)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        die("cannot open %s", path);
    /* Title weighted like deskdex's (wdf 3), a highlighted title and a
     * body snippet, as the search answer carries. "ORDER BY rank" with the
     * weights in "rank MATCH" is FTS5's fast path: it ranks first and runs
     * snippet() on the returned rows only; "ORDER BY bm25(...)" would run
     * snippet() on every match (seconds for a long query). */
    if (sqlite3_prepare_v2(
            db,
            related ? "SELECT id, highlight(docs, 1, '<b>', '</b>'), "
                      "snippet(docs, 2, '<b>', '</b>', '…', 20) FROM docs "
                      "WHERE docs MATCH ?1 AND rank MATCH "
                      "'bm25(0.0, 3.0, 1.0)' ORDER BY rank LIMIT 5"
                    : "SELECT id, highlight(docs, 1, '<b>', '</b>'), "
                      "snippet(docs, 2, '<b>', '</b>', '…', 32) FROM docs "
                      "WHERE docs MATCH ?1 AND rank MATCH "
                      "'bm25(0.0, 3.0, 1.0)' ORDER BY rank LIMIT 10",
            -1, &st, NULL) != SQLITE_OK)
        die("prepare: %s", sqlite3_errmsg(db));
    *f = (fts5_peer){db, st, related};
}

static void fts5_close(fts5_peer *f)
{
    sqlite3_finalize(f->st);
    sqlite3_close(f->db);
}

/* One timed FTS5 search of q, its texts read; the rows into *hits. */
static double fts5_one(fts5_peer *f, const char *q, double *cpu, double *hits)
{
    char *fq = fts5_query(q, f->related);
    double a = now_s(), c = cpu_s();
    sqlite3_bind_text(f->st, 1, fq, -1, SQLITE_STATIC);
    int rc, rows = 0;
    while ((rc = sqlite3_step(f->st)) == SQLITE_ROW) {
        rows++;
        /* Read the texts as a caller would. */
        (void)sqlite3_column_text(f->st, 1);
        (void)sqlite3_column_text(f->st, 2);
    }
    if (rc != SQLITE_DONE)
        die("query: %s", sqlite3_errmsg(f->db));
    sqlite3_reset(f->st);
    double t = now_s() - a;
    *cpu += cpu_s() - c;
    *hits += rows;
    if (getenv("DDXBENCH_TRACE"))
        fprintf(stderr, "%.3f ms %s\n", t * 1e3, fq);
    free(fq);
    return t;
}

static int cmd_lat_fts5(int argc, char **argv)
{
    if (argc < 4)
        die("usage: lat-fts5 DB QFILE N SECS [related]%s", NULL);
    int related = argc > 4 && !strcmp(argv[4], "related");
    fts5_peer f;
    fts5_open(&f, argv[0], related);
    qset qs = load_queries(argv[1]);
    size_t n = (size_t)parse_long(argv[2], 1, 10000000);
    double secs = (double)parse_long(argv[3], 1, 3600);
    double *lat = calloc(n, sizeof *lat), hits = 0, t0 = 0, cpu = 0;
    size_t done = 0;
    double wcpu = 0, whits = 0;
    /* 50 untimed warm-up queries from the end of the set, then n timed. */
    for (size_t i = 0; i < 50; i++)
        fts5_one(&f, qs.v[qs.n - 1 - i % qs.n], &wcpu, &whits);
    t0 = now_s();
    for (size_t i = 0; i < n && now_s() - t0 <= secs; i++)
        lat[done++] = fts5_one(&f, qs.v[i % qs.n], &cpu, &hits);
    double wall = now_s() - t0;
    print_lat(related ? "fts5:related" : "fts5", lat, done, wall, hits, 1, cpu);
    fts5_close(&f);
    return 0;
}

/* --- lat-pair: kb_search() and FTS5 in turn in one process --- */

#define PAIR_BLOCK 50

static int cmd_lat_pair(int argc, char **argv)
{
    if (argc < 7)
        die("usage: lat-pair DB CONF FTS5DB QFILE N SECS MODE%s", NULL);
    const char *mode = argv[6];
    kb_config cfg;
    char *msg = NULL;
    kb_config_defaults(&cfg);
    if (strcmp(argv[1], "-") && kb_config_load(&cfg, argv[1], &msg) != KB_OK)
        die("config: %s", msg);
    if (kb_config_prepare(&cfg, &msg) != KB_OK)
        die("thesaurus: %s", msg);
    kb_text_prepare();
    kb_xdb *db = NULL;
    if (kb_xdb_open(&db, argv[0], KB_XDB_READ, &msg) != KB_OK)
        die("cannot open %s", msg);
    fts5_peer f;
    fts5_open(&f, argv[2], !strcmp(mode, "related"));
    qset qs = load_queries(argv[3]);
    size_t n = (size_t)parse_long(argv[4], 1, 10000000);
    double secs = (double)parse_long(argv[5], 1, 3600);
    double *lk = calloc(n, sizeof *lk), *lf = calloc(n, sizeof *lf);
    double kcpu = 0, khits = 0, fcpu = 0, fhits = 0, wk = 0, wf = 0;
    double wcpu = 0, whits = 0;
    for (size_t i = 0; i < 50; i++) { /* untimed, from the end of the set */
        const char *q = qs.v[qs.n - 1 - i % qs.n];
        kb_one(db, &cfg, mode, q, &wcpu, &whits);
        fts5_one(&f, q, &wcpu, &whits);
    }
    /* Blocks of PAIR_BLOCK queries, each engine in turn over the same
     * block (who goes first alternating): an engine's caches stay its own
     * within a block, as in a server that runs only it, and a change in
     * the machine's speed longer than a block falls on both. */
    size_t done = 0;
    double t0 = now_s();
    for (size_t b = 0; done < n && now_s() - t0 <= secs; b++) {
        size_t end = done + PAIR_BLOCK < n ? done + PAIR_BLOCK : n;
        for (int side = 0; side < 2; side++) {
            int kb = side == (int)(b % 2);
            for (size_t i = done; i < end; i++) {
                const char *q = qs.v[i % qs.n];
                if (kb)
                    wk += lk[i] = kb_one(db, &cfg, mode, q, &kcpu, &khits);
                else
                    wf += lf[i] = fts5_one(&f, q, &fcpu, &fhits);
            }
        }
        done = end;
    }
    char what[64];
    snprintf(what, sizeof what, "kb:%s", mode);
    print_lat(what, lk, done, wk, khits, 1, kcpu);
    print_lat(f.related ? "fts5:related" : "fts5", lf, done, wf, fhits, 1,
              fcpu);
    fts5_close(&f);
    kb_xdb_close(db);
    kb_stemmers_release();
    kb_config_free(&cfg);
    free(lk);
    free(lf);
    return 0;
}

/* --- live-fts5: write, commit, then see it from a second connection --- */

static int cmd_live_fts5(int argc, char **argv)
{
    if (argc < 2)
        die("usage: live-fts5 DB N%s", NULL);
    size_t n = (size_t)parse_long(argv[1], 1, 10000);
    sqlite3 *w = NULL, *r = NULL;
    sqlite3_stmt *ins = NULL, *sel = NULL;
    if (sqlite3_open(argv[0], &w) != SQLITE_OK ||
        sqlite3_open_v2(argv[0], &r, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        die("cannot open %s", argv[0]);
    sqlite3_busy_timeout(w, 5000);
    sqlite3_busy_timeout(r, 5000);
    sqlite3_prepare_v2(w,
                       "INSERT INTO docs(id, title, body) VALUES "
                       "(?1, ?2, ?3)",
                       -1, &ins, NULL);
    sqlite3_prepare_v2(r, "SELECT id FROM docs WHERE docs MATCH ?1 LIMIT 10",
                       -1, &sel, NULL);
    if (!ins || !sel)
        die("prepare: %s", sqlite3_errmsg(w));
    double *wr = calloc(n, sizeof *wr), *vis = calloc(n, sizeof *vis);
    size_t done = 0;
    for (size_t i = 0; i < n; i++) {
        char word[32], id[48], title[96], body[128];
        /* Ends in "q": no stemmer rule folds two probe words together. */
        snprintf(word, sizeof word, "zqlive%c%c%cq", 'a' + (int)(i / 676 % 26),
                 'a' + (int)(i / 26 % 26), 'a' + (int)(i % 26));
        snprintf(id, sizeof id, "live-fts5-%zu", i);
        snprintf(title, sizeof title, "Live update probe %s", word);
        snprintf(body, sizeof body, "The probe word is %s.", word);
        double a = now_s();
        sqlite3_exec(w, "BEGIN", NULL, NULL, NULL);
        sqlite3_bind_text(ins, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, title, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, body, -1, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE)
            die("insert: %s", sqlite3_errmsg(w));
        sqlite3_reset(ins);
        if (sqlite3_exec(w, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            die("commit: %s", sqlite3_errmsg(w));
        double b = now_s();
        int found = 0;
        while (!found && now_s() - b < 5) {
            sqlite3_bind_text(sel, 1, word, -1, SQLITE_STATIC);
            while (!found && sqlite3_step(sel) == SQLITE_ROW)
                found = !strcmp((const char *)sqlite3_column_text(sel, 0), id);
            sqlite3_reset(sel);
        }
        wr[done] = b - a;
        vis[done++] = now_s() - b;
    }
    qsort(wr, done, sizeof *wr, cmp_double);
    qsort(vis, done, sizeof *vis, cmp_double);
    printf("{\"n\":%zu,\"write_p50_ms\":%.3f,\"write_p99_ms\":%.3f,"
           "\"visible_p50_ms\":%.3f,\"visible_p99_ms\":%.3f}\n",
           done, pct(wr, done, 50) * 1e3, pct(wr, done, 99) * 1e3,
           pct(vis, done, 50) * 1e3, pct(vis, done, 99) * 1e3);
    sqlite3_finalize(ins);
    sqlite3_finalize(sel);
    sqlite3_close(w);
    sqlite3_close(r);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        die("usage: ddxbench fts5-index|gen|lat-kb|lat-fts5|lat-pair|live-fts5 "
            "...%s",
            NULL);
    const char *c = argv[1];
    if (!strcmp(c, "fts5-index"))
        return cmd_fts5_index(argc - 2, argv + 2);
    if (!strcmp(c, "gen"))
        return cmd_gen(argc - 2, argv + 2);
    if (!strcmp(c, "lat-kb"))
        return cmd_lat_kb(argc - 2, argv + 2);
    if (!strcmp(c, "lat-fts5"))
        return cmd_lat_fts5(argc - 2, argv + 2);
    if (!strcmp(c, "lat-pair"))
        return cmd_lat_pair(argc - 2, argv + 2);
    if (!strcmp(c, "live-fts5"))
        return cmd_live_fts5(argc - 2, argv + 2);
    die("unknown command %s", c);
    return 2;
}

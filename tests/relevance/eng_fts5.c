/* eng_fts5.c - the SQLite FTS5 peer: porter tokenizer for English, trigram
 * for Chinese, bm25() ranking, the query an OR of its quoted tokens */
#include "rel.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    sqlite3 *db;
    sqlite3_stmt *q;
    char *dir;
    int limit;
    int trigram;
} fts_state;

static int exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "relevance: fts5: %s\n", err ? err : "?");
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

static int fts_open(void **out, const rel_set *s, const rel_opts *o)
{
    fts_state *st = calloc(1, sizeof *st);
    sqlite3_stmt *ins = NULL;
    char path[600];
    (void)o;
    *out = NULL;
    if (!st || !(st->dir = rel_tempdir("fts5")))
        goto fail;
    snprintf(path, sizeof path, "%s/fts.db", st->dir);
    st->trigram = s->lang_zh;
    st->limit = s->kind == REL_SEMEVAL ? (int)s->ndocs : s->cutoff + 1;
    if (sqlite3_open(path, &st->db) != SQLITE_OK)
        goto fail;
    if (exec(st->db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF") ||
        exec(st->db, st->trigram
                         ? "CREATE VIRTUAL TABLE d USING fts5(title, body, "
                           "tokenize='trigram')"
                         : "CREATE VIRTUAL TABLE d USING fts5(title, body, "
                           "tokenize='porter unicode61')") ||
        exec(st->db, "BEGIN"))
        goto fail;
    if (sqlite3_prepare_v2(st->db,
                           "INSERT INTO d(rowid, title, body) VALUES(?,?,?)",
                           -1, &ins, NULL) != SQLITE_OK)
        goto fail;
    for (size_t i = 0; i < s->ndocs; i++) {
        sqlite3_bind_int64(ins, 1, (sqlite3_int64)i + 1);
        sqlite3_bind_text(ins, 2, s->docs[i].title, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, s->docs[i].body, -1, SQLITE_STATIC);
        if (sqlite3_step(ins) != SQLITE_DONE)
            goto fail;
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    ins = NULL;
    if (exec(st->db, "COMMIT"))
        goto fail;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT rowid FROM d WHERE d MATCH ? "
                           "ORDER BY bm25(d) LIMIT ?",
                           -1, &st->q, NULL) != SQLITE_OK)
        goto fail;
    *out = st;
    return 0;
fail:
    if (st && st->db)
        fprintf(stderr, "relevance: fts5: %s\n", sqlite3_errmsg(st->db));
    sqlite3_finalize(ins);
    if (st) {
        sqlite3_close(st->db);
        rel_rmtree(st->dir);
        free(st->dir);
        free(st);
    }
    return -1;
}

/* --- the query: OR of quoted tokens --- */

typedef struct {
    char *s;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t nc = (b->len + n + 1) * 2;
        char *v = realloc(b->s, nc);
        if (!v)
            return;
        b->s = v;
        b->cap = nc;
    }
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
}

/* Add "tok" (quotes doubled) unless the query already has it. */
static void add_token(sbuf *b, const char *t, size_t n)
{
    sbuf q = {NULL, 0, 0};
    sb_add(&q, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        sb_add(&q, c == '"' ? "\"\"" : &c, c == '"' ? 2 : 1);
    }
    sb_add(&q, "\"", 1);
    if (!q.s)
        return;
    /* Duplicates would weigh a word twice in bm25(). */
    const char *hit = b->s ? strstr(b->s, q.s) : NULL;
    while (hit && !((hit == b->s || hit[-1] == ' ') &&
                    (hit[q.len] == '\0' || hit[q.len] == ' ')))
        hit = strstr(hit + 1, q.s);
    if (!hit) {
        if (b->len)
            sb_add(b, " OR ", 4);
        sb_add(b, q.s, q.len);
    }
    free(q.s);
}

static size_t utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static int is_space(const char *p)
{
    return *p == ' ' || *p == '\t' || !strncmp(p, "\xE3\x80\x80", 3);
}

/* English: runs of ASCII letters and digits and non-ASCII characters, as
 * unicode61 splits them. Chinese (trigram): every window of three
 * characters of each run between spaces. */
static char *fts_query(const char *text, int trigram)
{
    sbuf b = {NULL, 0, 0};
    const char *p = text;
    if (!trigram) {
        while (*p) {
            const char *s = p;
            while (*p && (((unsigned char)*p >= 0x80) ||
                          (*p >= 'a' && *p <= 'z') ||
                          (*p >= 'A' && *p <= 'Z') ||
                          (*p >= '0' && *p <= '9')))
                p++;
            if (p > s)
                add_token(&b, s, (size_t)(p - s));
            if (*p)
                p++;
        }
        return b.s;
    }
    while (*p) {
        while (*p && is_space(p))
            p += *p == ' ' || *p == '\t' ? 1 : 3;
        const char *s = p;
        while (*p && !is_space(p))
            p += utf8_len((unsigned char)*p);
        /* windows [a, a+3 chars) inside [s, p) */
        for (const char *a = s; a < p; a += utf8_len((unsigned char)*a)) {
            const char *e = a;
            int k = 0;
            while (k < 3 && e < p) {
                e += utf8_len((unsigned char)*e);
                k++;
            }
            if (k < 3 || e > p)
                break;
            add_token(&b, a, (size_t)(e - a));
        }
    }
    return b.s;
}

static int fts_rank(void *p, const rel_set *s, const rel_query *q,
                    rel_ranking *r)
{
    fts_state *st = p;
    char *text = rel_query_string(q);
    char *match = text ? fts_query(text, st->trigram) : NULL;
    int rc = 0;
    free(text);
    if (!match)
        return 0; /* nothing to search for */
    sqlite3_bind_text(st->q, 1, match, -1, SQLITE_STATIC);
    sqlite3_bind_int(st->q, 2, st->limit);
    while ((rc = sqlite3_step(st->q)) == SQLITE_ROW) {
        sqlite3_int64 id = sqlite3_column_int64(st->q, 0);
        if (id >= 1 && (size_t)id <= s->ndocs)
            rel_ranking_add(r, (size_t)(id - 1));
    }
    if (rc != SQLITE_DONE)
        fprintf(stderr, "relevance: fts5: %s: %s\n", q->id,
                sqlite3_errmsg(st->db));
    sqlite3_reset(st->q);
    sqlite3_clear_bindings(st->q);
    free(match);
    return rc == SQLITE_DONE ? 0 : -1;
}

static void fts_close(void *p)
{
    fts_state *st = p;
    if (!st)
        return;
    sqlite3_finalize(st->q);
    sqlite3_close(st->db);
    rel_rmtree(st->dir);
    free(st->dir);
    free(st);
}

const rel_engine rel_engine_fts5 = {"fts5", fts_open, fts_rank, fts_close};

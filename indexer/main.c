/* main.c - deskdex-index: read manuals, FAQs and tickets into the index */
#include "kb_buf.h"
#include "kb_doc.h"
#include "kb_error.h"
#include "kb_shard.h"
#include "kb_store.h"
#include "kb_version.h"
#include "readers.h"
#include "xapian_c.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_MAPS 32
#define MAX_FILE (256u << 20)

typedef struct {
    kb_xdb *w;
    kb_read_opts ro;
    const char *file; /* current file */
    json_t *file_ids; /* ids the current file produced */
    json_t *seen;     /* id -> "file:line" for this run */
    long added, updated, unchanged, archived, rejected, skipped;
    long docs_in_batch, batch;
    size_t text_in_batch; /* bytes of text the batch added or changed */
    int files_done, files_total;
    int progress, quiet;
    double t0, last_tick;
    int fatal;
    char *errmsg;
} run;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One line on stderr, written at once: parallel jobs share it. */
static void problem(void *ctx, int line, const char *fmt, ...)
{
    run *r = ctx;
    char buf[2048];
    size_t n = 0;
    va_list ap;
    if (r->progress)
        n += (size_t)snprintf(buf, sizeof buf, "\r\033[K");
    if (line > 0)
        n +=
            (size_t)snprintf(buf + n, sizeof buf - n, "%s:%d: ", r->file, line);
    else
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s: ", r->file);
    if (n < sizeof buf) {
        va_start(ap, fmt);
        int m = vsnprintf(buf + n, sizeof buf - n, fmt, ap);
        va_end(ap);
        n += m > 0 ? (size_t)m : 0;
    }
    if (n > sizeof buf - 2)
        n = sizeof buf - 2;
    buf[n++] = '\n';
    fflush(stderr);
    if (write(2, buf, n) < 0) {
        /* nowhere left to say it */
    }
    r->rejected++;
}

static void tick(run *r, int force)
{
    if (!r->progress)
        return;
    double t = now_s();
    if (!force && t - r->last_tick < 0.1)
        return;
    r->last_tick = t;
    long docs = r->added + r->updated + r->unchanged;
    double rate = docs / (t - r->t0 > 1e-6 ? t - r->t0 : 1e-6);
    int width = 30,
        fill = r->files_total ? width * r->files_done / r->files_total : 0;
    fprintf(stderr, "\r[%.*s%*s] %d/%d files  %ld docs  %.0f docs/s\033[K",
            fill, "##############################", width - fill, "",
            r->files_done, r->files_total, docs, rate);
}

static int commit_batch(run *r)
{
    int rc = kb_shard_stamp(r->w, &r->errmsg);
    if (rc == KB_OK)
        rc = kb_xdb_commit(r->w, &r->errmsg);
    if (rc == KB_OK)
        rc = kb_xdb_begin(r->w, &r->errmsg);
    r->docs_in_batch = 0;
    r->text_in_batch = 0;
    return rc;
}

/* A transaction ends after --batch documents or BATCH_TEXT bytes of new or
 * changed text, whichever comes first. Xapian holds a transaction's
 * postings in memory, a sorted map per term, which grows slower to update
 * with the text it holds; each commit costs a walk of the B-tree per term
 * touched and a sync. Measured on the bench corpus (44,245 manual
 * sections of about 1.1 KB) and on 300,000 generated FAQs (about 450
 * bytes): 1,000 sections per batch index 10% faster than 5,000, while
 * 1,000 FAQs index 9% slower than 5,000. */
#define BATCH_TEXT (2u << 20)

static int batch_full(const run *r)
{
    return r->docs_in_batch >= r->batch || r->text_in_batch >= BATCH_TEXT;
}

static int on_record(void *ctx, json_t *rec, const char *kind, int line)
{
    run *r = ctx;
    json_t *doc = NULL;
    char *msg = NULL;
    int rc = kb_doc_from_json(&doc, rec, kind, &msg);
    if (rc == KB_ENOTFOUND) { /* unresolved ticket: not for the index */
        r->skipped++;
        free(msg);
        return 0;
    }
    if (rc != KB_OK) {
        problem(r, line, "%s", msg ? msg : kb_strerror(rc));
        free(msg);
        return 0;
    }
    const char *id = kb_doc_str(doc, "id");
    json_t *first = json_object_get(r->seen, id);
    if (first) {
        problem(r, line, "duplicate id %s (first at %s)", id,
                json_string_value(first));
        json_decref(doc);
        return 0;
    }
    char where[512];
    snprintf(where, sizeof where, "%s:%d", r->file, line);
    json_object_set_new(r->seen, id, json_string(where));
    json_object_set_new(doc, "source", json_string(r->file));
    if (!json_object_get(rec, "lang") && r->ro.lang)
        json_object_set_new(doc, "lang", json_string(r->ro.lang));

    int outcome = 0, version = 0;
    rc = kb_store_put(kb_shard_for(r->w, id), doc, "indexer", &outcome,
                      &version, &msg);
    if (rc == KB_OK) {
        json_array_append_new(r->file_ids, json_string(id));
        if (outcome == KB_PUT_ADDED)
            r->added++;
        else if (outcome == KB_PUT_UPDATED)
            r->updated++;
        else
            r->unchanged++;
        if (outcome != KB_PUT_UNCHANGED)
            r->text_in_batch += kb_doc_text_bytes(doc);
        /* A large file commits as it goes, so a crash keeps its batches. */
        r->docs_in_batch++;
        if (batch_full(r) && commit_batch(r) != KB_OK)
            r->fatal = KB_EIO;
    } else if (rc == KB_EUTF8 || rc == KB_EDOC) {
        problem(r, line, "%s", msg ? msg : kb_strerror(rc));
        rc = KB_OK;
    } else {
        free(r->errmsg);
        r->errmsg = msg;
        msg = NULL;
        r->fatal = rc;
    }
    free(msg);
    json_decref(doc);
    return r->fatal;
}

/* Archive ids a source produced before but not now. */
static int archive_vanished(run *r, const char *source, const json_t *now)
{
    json_t *prev = NULL;
    int rc = kb_store_set_source(kb_xdb_dictionary(r->w), source, now, &prev,
                                 &r->errmsg);
    size_t i;
    json_t *id;
    json_array_foreach(prev, i, id)
    {
        if (rc != KB_OK)
            break;
        int keep = 0;
        size_t j;
        json_t *n;
        json_array_foreach(now, j, n) keep |= json_equal(n, id);
        if (keep)
            continue;
        json_t *cur = NULL;
        const char *sid = json_string_value(id);
        kb_xdb *sh = kb_shard_for(r->w, sid);
        if (kb_store_get(sh, sid, 0, &cur, NULL) != KB_OK)
            continue;
        /* Only if it still belongs to this source (it may have moved). */
        if (strcmp(kb_doc_str(cur, "source"), source) == 0 &&
            strcmp(kb_doc_str(cur, "status"), "archived") != 0) {
            int v;
            rc = kb_store_archive(sh, sid, "indexer", &v, &r->errmsg);
            if (rc == KB_OK)
                r->archived++;
        }
        json_decref(cur);
    }
    json_decref(prev);
    return rc;
}

static int read_file(const char *path, char **out, size_t *len, run *r)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    *out = NULL;
    if (!f || fstat(fileno(f), &st) != 0) {
        problem(r, 0, "cannot read: %s", strerror(errno));
        if (f)
            fclose(f);
        return KB_EIO;
    }
    if ((size_t)st.st_size > MAX_FILE) {
        problem(r, 0, "file over %u MiB", MAX_FILE >> 20);
        fclose(f);
        return KB_ETOOBIG;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
    fclose(f);
    if (!buf)
        return KB_ENOMEM;
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return KB_OK;
}

static int index_file(run *r, const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    r->file = path;
    r->file_ids = json_array();
    kb_sink sink = {on_record, problem, r};
    int rc = read_file(path, &buf, &len, r);
    if (rc == KB_OK) {
        rc = kb_read_buffer(path, buf, len, &r->ro, &sink);
        /* A file that could not be read at all keeps what it gave before. */
        if (rc == KB_OK)
            rc = archive_vanished(r, path, r->file_ids);
        else if (!r->fatal)
            rc = KB_OK;
    } else {
        rc = KB_OK;
    }
    if (r->fatal)
        rc = r->fatal;
    free(buf);
    json_decref(r->file_ids);
    r->file_ids = NULL;
    r->files_done++;
    tick(r, 0);
    if (rc == KB_OK && batch_full(r))
        rc = commit_batch(r);
    return rc;
}

/* Index each file of the list in turn; stops at a fatal error. */
static int index_files(run *r, const json_t *files)
{
    size_t i;
    json_t *f;
    int rc = KB_OK;
    json_array_foreach(files, i, f)
    {
        if (rc != KB_OK)
            break;
        rc = index_file(r, json_string_value(f));
    }
    return rc;
}

/* --- walking --- */

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collect supported files below path, sorted, into list. */
static void collect_files(const char *path, json_t *list, run *r, int explicit)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        r->file = path;
        problem(r, 0, "%s", strerror(errno));
        return;
    }
    if (S_ISREG(st.st_mode)) {
        /* A folder's README describes the folder; it is not content. */
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        if (strncasecmp(base, "README.", 7) == 0 && !explicit)
            return;
        if (kb_read_supported(path))
            json_array_append_new(list, json_string(path));
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
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn)
                break;
            names = nn;
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        char child[4096];
        size_t pl = strlen(path);
        snprintf(child, sizeof child, "%s%s%s", path,
                 pl && path[pl - 1] == '/' ? "" : "/", names[i]);
        collect_files(child, list, r, 0);
        free(names[i]);
    }
    free(names);
}

/* Archive every document of sources below the given roots that this run
 * did not read (deleted, renamed, or no longer a source). */
static int prune(run *r, char **roots, int nroots, const json_t *walked)
{
    json_t *seen = json_object();
    size_t k;
    json_t *f;
    json_array_foreach(walked, k, f)
        json_object_set_new(seen, json_string_value(f), json_true());
    json_t *sources = NULL;
    int rc = kb_store_sources(kb_xdb_dictionary(r->w), &sources, &r->errmsg);
    const char *src;
    json_t *ids;
    json_object_foreach(sources, src, ids)
    {
        if (rc != KB_OK)
            break;
        int under = 0;
        for (int i = 0; i < nroots && !under; i++) {
            size_t n = strlen(roots[i]);
            while (n > 1 && roots[i][n - 1] == '/')
                n--;
            under = strncmp(src, roots[i], n) == 0 &&
                    (src[n] == '/' || src[n] == '\0');
        }
        if (!under || json_object_get(seen, src))
            continue;
        json_t *none = json_array();
        r->file = src;
        rc = archive_vanished(r, src, none);
        json_decref(none);
    }
    json_decref(sources);
    json_decref(seen);
    return rc;
}

/* --- inspection --- */

static int cmd_show(kb_xdb *db, const char *id, int version)
{
    json_t *doc = NULL;
    char *msg = NULL;
    int rc = kb_store_get(kb_shard_for(db, id), id, version, &doc, &msg);
    if (rc != KB_OK) {
        fprintf(stderr, "deskdex-index: %s\n", msg ? msg : kb_strerror(rc));
        free(msg);
        return rc == KB_ENOTFOUND ? 1 : 2;
    }
    json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(doc);
    return 0;
}

static int cmd_history(kb_xdb *db, const char *id)
{
    json_t *h = NULL;
    char *msg = NULL;
    int rc = kb_store_history(kb_shard_for(db, id), id, &h, &msg);
    if (rc != KB_OK) {
        fprintf(stderr, "deskdex-index: %s\n", msg ? msg : kb_strerror(rc));
        free(msg);
        return rc == KB_ENOTFOUND ? 1 : 2;
    }
    size_t i;
    json_t *v;
    json_array_foreach(h, i, v)
    {
        printf("%s v%lld %s %s %s %.12s %s\n", id,
               (long long)json_integer_value(json_object_get(v, "version")),
               kb_doc_str(v, "updated_at"), kb_doc_str(v, "status"),
               kb_doc_str(v, "visibility"), kb_doc_str(v, "hash"),
               kb_doc_str(v, "changed_by"));
    }
    json_decref(h);
    return 0;
}

static int count_word(void *ctx, const char *w, size_t len, unsigned freq)
{
    json_int_t *n = ctx;
    (void)w;
    (void)len;
    n[0]++;
    n[1] += freq;
    return 0;
}

static int cmd_stats(kb_xdb *db)
{
    json_t *s = NULL;
    char *msg = NULL;
    json_int_t words[2] = {0, 0};
    size_t held = 0;
    int rc = kb_shard_stats(db, &s, &msg);
    if (rc == KB_OK)
        rc = kb_xdb_spelling_words(db, count_word, words, &msg);
    if (rc == KB_OK)
        rc = kb_xdb_spelling_held(db, &held, &msg);
    if (rc == KB_OK)
        json_object_set_new(s, "spelling",
                            json_pack("{s:I,s:I,s:I}", "words", words[0],
                                      "occurrences", words[1], "held",
                                      (json_int_t)held));
    if (rc != KB_OK) {
        json_decref(s);
        fprintf(stderr, "deskdex-index: %s\n", msg ? msg : kb_strerror(rc));
        free(msg);
        return 2;
    }
    json_dumpf(s, stdout, JSON_INDENT(2));
    putchar('\n');
    json_decref(s);
    return 0;
}

/* --- backup and restore --- */

static int cmd_backup(const char *db, const char *out)
{
    kb_xdb *rd = NULL;
    char *msg = NULL;
    double t0 = now_s();
    uint32_t n = 0;
    uint64_t rev = 0;
    int rc = kb_xdb_open(&rd, db, KB_XDB_READ, &msg);
    if (rc == KB_OK)
        rc = kb_store_backup(rd, db, out, 30000, &msg);
    if (rc == KB_OK) {
        kb_xdb_doccount(rd, &n, NULL);
        kb_xdb_revision(rd, &rev, NULL);
    }
    kb_xdb_close(rd);
    if (rc != KB_OK) {
        fprintf(stderr, "deskdex-index: backup failed: %s\n",
                msg ? msg : kb_strerror(rc));
        free(msg);
        return 2;
    }
    free(msg); /* from a wait for the lock, if any */
    printf("{\"backup\":\"%s\",\"revision\":%llu,\"searchable\":%u,"
           "\"seconds\":%.3f}\n",
           out, (unsigned long long)rev, n, now_s() - t0);
    return 0;
}

/* Replace db by a compacted copy of src (which may be db itself). Holding
 * db's write lock meanwhile keeps a running server's writes waiting (they
 * retry), and its readers notice the new folder on their next request.
 * what names the step in messages ("restore", "compact"). */
static int replace_with_copy(const char *db, const char *src_path, long wait_s,
                             const char *what)
{
    kb_xdb *src = NULL, *lock = NULL;
    char *msg = NULL, tmp[4200], old[4200];
    double waited = 0;
    struct stat st;
    int exists = stat(db, &st) == 0;
    int rc = KB_OK;
    while (exists &&
           (rc = kb_xdb_open(&lock, db, KB_XDB_WRITE, &msg)) == KB_ELOCKED &&
           waited < wait_s) {
        usleep(200000);
        waited += 0.2;
    }
    /* Opened under the lock: nothing commits between the copy and the
     * swap. */
    if (rc == KB_OK)
        rc = kb_xdb_open(&src, src_path, KB_XDB_READ, &msg);
    snprintf(tmp, sizeof tmp, "%s.%s-%ld", db, what, (long)getpid());
    snprintf(old, sizeof old, "%s.replaced-%ld", db, (long)getpid());
    if (rc == KB_OK)
        rc = kb_xdb_compact(src, tmp, &msg);
    if (rc == KB_OK && exists && rename(db, old) != 0)
        rc = kb_fail(&msg, KB_EIO, "cannot move %s aside: %s", db,
                     strerror(errno));
    if (rc == KB_OK && rename(tmp, db) != 0) {
        rc = kb_fail(&msg, KB_EIO, "cannot move the copy into place: %s",
                     strerror(errno));
        if (exists)
            rename(old, db);
    }
    kb_xdb_close(src);
    kb_xdb_close(lock);
    if (rc != KB_OK) {
        kb_rmtree(tmp);
        fprintf(stderr, "deskdex-index: %s failed, %s unchanged: %s\n", what,
                db, msg ? msg : kb_strerror(rc));
        free(msg);
        return 2;
    }
    free(msg); /* from a wait for the lock, if any */
    if (exists)
        kb_rmtree(old);
    return 0;
}

static int cmd_restore(const char *db, const char *backup, long wait_s)
{
    kb_xdb *src = NULL;
    char *msg = NULL;
    double t0 = now_s();
    int rc = kb_xdb_open(&src, backup, KB_XDB_READ, &msg);
    kb_xdb_close(src);
    if (rc != KB_OK) {
        fprintf(stderr, "deskdex-index: %s is not a usable backup: %s\n",
                backup, msg ? msg : kb_strerror(rc));
        free(msg);
        return 2;
    }
    if (replace_with_copy(db, backup, wait_s, "restore") != 0)
        return 2;
    printf("{\"restored\":\"%s\",\"from\":\"%s\",\"seconds\":%.3f}\n", db,
           backup, now_s() - t0);
    return 0;
}

/* Bytes of the files in a folder (an index is one flat folder). */
static long tree_bytes(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    struct stat st;
    char p[4400];
    long total = 0;
    while (d && (e = readdir(d)) != NULL) {
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            total += (long)st.st_size;
    }
    if (d)
        closedir(d);
    return total;
}

/* Rewrite db compactly in place: after a bulk load its tables are about
 * half empty, and reads touch fewer blocks once they are full. */
static int cmd_compact(const char *db, long wait_s)
{
    double t0 = now_s();
    long before = tree_bytes(db);
    if (replace_with_copy(db, db, wait_s, "compact") != 0)
        return 2;
    printf("{\"compacted\":\"%s\",\"bytes_before\":%ld,\"bytes_after\":%ld,"
           "\"seconds\":%.3f}\n",
           db, before, tree_bytes(db), now_s() - t0);
    return 0;
}

/* db (a folder or a set of shards) open to write, waiting up to wait_s
 * seconds for another writer's lock. */
static int open_writer(kb_xdb **w, const char *db, int flags, long wait_s,
                       char **msg)
{
    double waited = 0;
    int rc;
    while ((rc = kb_shard_open(w, db, NULL, NULL, KB_XDB_WRITE | flags, msg)) ==
               KB_ELOCKED &&
           waited < wait_s) {
        if (waited == 0)
            fprintf(stderr,
                    "deskdex-index: %s is locked by another writer; "
                    "waiting up to %lds\n",
                    db, wait_s);
        usleep(200000);
        waited += 0.2;
    }
    return rc;
}

/* Whether folder db is one shard of a set: the folder above it is the
 * set, whose dictionary holds the spelling words. */
static int shard_of_set(const char *db)
{
    char *path = realpath(db, NULL);
    int yes = 0;
    if (path) {
        char *slash = strrchr(path, '/');
        if (slash && slash != path) {
            *slash = '\0';
            yes = kb_shard_is_set(path);
        }
        free(path);
    }
    return yes;
}

/* Rebuild every current document's postings from its stored version with
 * this build's analysis, batch documents or BATCH_TEXT bytes of text per
 * transaction, whichever comes first: the versions
 * stay, and a crash keeps the batches committed before it (run it again to
 * finish). The spelling dictionary is made again from the same words in
 * the last transaction: what an older analysis added is gone from it. A
 * shard's words are in its set's dictionary, which is left as it is. */
static int cmd_reanalyse(const char *db, long batch, long wait_s)
{
    kb_xdb *w = NULL;
    json_t *ids = NULL;
    char *msg = NULL;
    double t0 = now_s();
    long done = 0, skipped = 0, in_batch = 0;
    size_t text_in_batch = 0;
    kb_xspell *words = NULL;
    /* An index that is there: opening one to write would make it. */
    int rc = kb_xdb_open(&w, db, KB_XDB_READ, &msg);
    kb_xdb_close(w);
    w = NULL;
    if (rc != KB_OK) {
        fprintf(stderr, "deskdex-index: reanalyse %s: %s\n", db,
                msg ? msg : kb_strerror(rc));
        free(msg);
        return 2;
    }
    /* The dictionary is made again from the documents, so the spelling
     * a killed load held back is not applied first (nor, damaged, in the
     * way). */
    int own_dict = !shard_of_set(db);
    rc = open_writer(&w, db, own_dict ? KB_XDB_NOHELD : 0, wait_s, &msg);
    if (rc == KB_OK && own_dict && !(words = kb_xspell_new()))
        rc = KB_ENOMEM;
    if (rc == KB_OK)
        rc = kb_store_ids(w, &ids, &msg);
    if (rc == KB_OK)
        rc = kb_xdb_begin(w, &msg);
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id)
    {
        int one = 0;
        size_t text = 0;
        if (rc != KB_OK)
            break;
        rc = kb_store_reanalyse(w, json_string_value(id), &one, &text, words,
                                &msg);
        done += one;
        skipped += rc == KB_OK && !one;
        text_in_batch += text;
        if (rc == KB_OK &&
            (++in_batch >= batch || text_in_batch >= BATCH_TEXT)) {
            rc = kb_xdb_commit(w, &msg);
            if (rc == KB_OK)
                rc = kb_xdb_begin(w, &msg);
            in_batch = 0;
            text_in_batch = 0;
        }
    }
    if (rc == KB_OK && words)
        rc = kb_xdb_spelling_set(w, words, &msg);
    if (rc == KB_OK)
        rc = kb_xdb_commit(w, &msg);
    else if (w)
        kb_xdb_cancel(w, NULL);
    kb_xdb_close(w);
    json_decref(ids);
    if (rc != KB_OK) {
        fprintf(stderr,
                "deskdex-index: reanalyse %s: %s (%ld documents "
                "rebuilt before it)\n",
                db, msg ? msg : kb_strerror(rc), done - in_batch);
        free(msg);
        kb_xspell_free(words);
        return 2;
    }
    free(msg);
    printf("{\"reanalysed\":%ld,\"archived\":%ld,\"spelling_words\":", done,
           skipped);
    if (words)
        printf("%zu", kb_xspell_size(words));
    else
        printf("null");
    printf(",\"seconds\":%.3f}\n", now_s() - t0);
    kb_xspell_free(words);
    return 0;
}

/* --- a first load in parallel --- */

#define MAX_JOBS 64

typedef struct {
    long added, updated, unchanged, archived, rejected, skipped;
} counts;

typedef struct {
    long size;
    size_t at; /* in the walk's order */
} sized;

static int bigger_first(const void *a, const void *b)
{
    const sized *x = a, *y = b;
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* Job k's share of files: the biggest files first, each to the job with
 * the fewest bytes so far; the share keeps the walk's order. */
static json_t *share(const json_t *files, int jobs, int k)
{
    size_t n = json_array_size(files);
    sized *v = calloc(n + 1, sizeof *v);
    char *mine_at = calloc(n + 1, 1);
    long load[MAX_JOBS] = {0};
    json_t *mine = json_array();
    struct stat st;
    if (!v || !mine_at || !mine) {
        free(v);
        free(mine_at);
        json_decref(mine);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        v[i].at = i;
        v[i].size = stat(json_string_value(json_array_get(files, i)), &st) == 0
                        ? (long)st.st_size
                        : 0;
    }
    qsort(v, n, sizeof *v, bigger_first);
    for (size_t i = 0; i < n; i++) {
        int least = 0;
        for (int j = 1; j < jobs; j++)
            if (load[j] < load[least])
                least = j;
        load[least] += v[i].size + 1;
        mine_at[v[i].at] = least == k;
    }
    for (size_t i = 0; i < n; i++)
        if (mine_at[i])
            json_array_append(mine, json_array_get(files, i));
    free(v);
    free(mine_at);
    return mine;
}

/* One job: index files into a new database at path (a set of shards
 * when shards > 0). Returns the exit status (0, 1 some records rejected,
 * 2 fatal) and the counts in *c. */
static int index_part(const char *path, long shards, const json_t *files,
                      const run *tmpl, counts *c)
{
    run r = *tmpl;
    r.w = NULL;
    r.errmsg = NULL;
    r.seen = json_object();
    r.progress = 0;
    r.added = r.updated = r.unchanged = r.archived = r.rejected = 0;
    r.skipped = r.docs_in_batch = 0;
    r.text_in_batch = 0;
    r.files_done = r.files_total = 0;
    int rc = shards ? kb_shard_create(path, shards, &r.errmsg) : KB_OK;
    if (rc == KB_OK)
        rc = kb_shard_open(&r.w, path, NULL, NULL, KB_XDB_WRITE | KB_XDB_NOSYNC,
                           &r.errmsg);
    /* A part is thrown away if its job fails, so its dictionary can be
     * written once, at the end. */
    kb_xdb_hold_spelling(r.w, 1);
    if (rc == KB_OK)
        rc = kb_xdb_begin(r.w, &r.errmsg);
    if (rc == KB_OK)
        rc = index_files(&r, files);
    kb_xdb_hold_spelling(r.w, 0);
    if (rc == KB_OK)
        rc = kb_xdb_commit(r.w, &r.errmsg);
    kb_xdb_close(r.w);
    json_decref(r.seen);
    *c = (counts){r.added,    r.updated,  r.unchanged,
                  r.archived, r.rejected, r.skipped};
    if (rc != KB_OK) {
        fprintf(stderr, "deskdex-index: %s\n",
                r.errmsg ? r.errmsg : kb_strerror(rc));
        free(r.errmsg);
        return 2;
    }
    free(r.errmsg);
    return r.rejected ? 1 : 0;
}

typedef struct {
    json_t *owner; /* id -> the job that stored it */
    int job;
    char *dup; /* an id two jobs stored, or NULL */
} dup_ctx;

/* A "d:ID" head record key of one part. */
static int note_id(void *ctx, const char *key, size_t klen)
{
    dup_ctx *d = ctx;
    char *id = klen > 2 ? strndup(key + 2, klen - 2) : NULL;
    if (!id)
        return 0;
    json_t *prev = json_object_get(d->owner, id);
    if (prev && json_integer_value(prev) != d->job) {
        d->dup = id;
        return 1;
    }
    json_object_set_new(d->owner, id, json_integer(d->job));
    free(id);
    return 0;
}

/* Merge the parts' databases at sub ("" the part itself, or a shard or
 * dictionary folder of a set) into out. */
static int merge_sub(char part[][4200], int jobs, const char *sub,
                     const char *out, char **errmsg)
{
    char path[MAX_JOBS][4300];
    const char *srcs[MAX_JOBS];
    size_t n = 0;
    struct stat st;
    for (int k = 0; k < jobs; k++) {
        snprintf(path[k], sizeof path[k], "%s%s%s", part[k], *sub ? "/" : "",
                 sub);
        if (stat(path[k], &st) == 0) /* a shard no document of a job hit */
            srcs[n++] = path[k];
    }
    if (n)
        return kb_xdb_merge(srcs, n, out, errmsg);
    kb_xdb *w = NULL; /* no job wrote it: an empty one */
    int rc = kb_xdb_open(&w, out, KB_XDB_WRITE, errmsg);
    kb_xdb_close(w);
    return rc;
}

/* Remove the part and merge folders beside db of indexers that are gone
 * (killed mid-way: a running one's are left alone). */
static void remove_leftovers(const char *db)
{
    char dir[4200], base[4200];
    const char *slash = strrchr(db, '/');
    if (slash) {
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - db), db);
        snprintf(base, sizeof base, "%s", slash + 1);
    } else {
        snprintf(dir, sizeof dir, ".");
        snprintf(base, sizeof base, "%s", db);
    }
    if (!*dir)
        snprintf(dir, sizeof dir, "/");
    DIR *d = opendir(dir);
    if (!d)
        return;
    size_t bl = strlen(base);
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *rest = e->d_name;
        if (strncmp(rest, base, bl) != 0)
            continue;
        rest += bl;
        if (!strncmp(rest, ".part-", 6))
            rest += 6;
        else if (!strncmp(rest, ".merge-", 7))
            rest += 7;
        else
            continue;
        char *end;
        long pid = strtol(rest, &end, 10);
        if (end == rest || pid <= 0 || (*end && *end != '-'))
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* still running (or not ours to judge) */
        char path[8500];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        fprintf(stderr,
                "deskdex-index: removing %s, left by an indexer "
                "that is gone (pid %ld)\n",
                path, pid);
        kb_rmtree(path);
    }
    closedir(d);
}

/* A new index at db (a set of shards when shards > 0) from files, indexed
 * by jobs processes into parts merged with Xapian's compactor (shard by
 * shard for a set). Returns the exit status, or -1 when one id came from
 * files of two jobs (the caller indexes them again in one job, which
 * reports the duplicate where it is). */
static int index_parallel(const char *db, long shards, const json_t *files,
                          int jobs, const run *tmpl, counts *total,
                          double *secs)
{
    char part[MAX_JOBS][4200], tmp[4200];
    int fds[MAX_JOBS], status = 0;
    pid_t pids[MAX_JOBS];
    double t0 = now_s();
    memset(total, 0, sizeof *total);
    remove_leftovers(db);
    fflush(NULL);
    for (int k = 0; k < jobs; k++) {
        snprintf(part[k], sizeof part[k], "%s.part-%ld-%d", db, (long)getpid(),
                 k);
        int p[2];
        if (pipe(p) != 0 || (pids[k] = fork()) < 0) {
            fprintf(stderr, "deskdex-index: cannot start job %d: %s\n", k,
                    strerror(errno));
            jobs = k;
            status = 2;
            break;
        }
        if (pids[k] == 0) { /* the job */
            close(p[0]);
            counts c = {0};
            json_t *mine = share(files, jobs, k);
            int ex = mine ? index_part(part[k], shards, mine, tmpl, &c) : 2;
            json_decref(mine);
            char line[256];
            int n = snprintf(line, sizeof line, "%ld %ld %ld %ld %ld %ld\n",
                             c.added, c.updated, c.unchanged, c.archived,
                             c.rejected, c.skipped);
            if (write(p[1], line, (size_t)n) != n)
                ex = 2;
            _exit(ex);
        }
        close(p[1]);
        fds[k] = p[0];
    }
    for (int k = 0; k < jobs; k++) {
        char line[256] = "";
        ssize_t n = read(fds[k], line, sizeof line - 1);
        close(fds[k]);
        counts c = {0};
        if (n > 0)
            sscanf(line, "%ld %ld %ld %ld %ld %ld", &c.added, &c.updated,
                   &c.unchanged, &c.archived, &c.rejected, &c.skipped);
        total->added += c.added;
        total->updated += c.updated;
        total->unchanged += c.unchanged;
        total->archived += c.archived;
        total->rejected += c.rejected;
        total->skipped += c.skipped;
        int ws = 0;
        int ex = waitpid(pids[k], &ws, 0) == pids[k] && WIFEXITED(ws)
                     ? WEXITSTATUS(ws)
                     : 2;
        if (ex > status)
            status = ex;
    }
    /* An id in two parts: the merge would hold it twice. */
    dup_ctx d = {json_object(), 0, NULL};
    for (int k = 0; status < 2 && !d.dup && k < jobs; k++) {
        /* The records are in the part, or in each shard of a part set. */
        for (long s = 0; status < 2 && !d.dup && s < (shards ? shards : 1);
             s++) {
            char path[4300];
            struct stat st;
            kb_xdb *rd = NULL;
            if (shards)
                snprintf(path, sizeof path, "%.4200s/shard-%ld", part[k], s);
            else
                snprintf(path, sizeof path, "%.4200s", part[k]);
            if (shards && stat(path, &st) != 0)
                continue;
            if (kb_xdb_open(&rd, path, KB_XDB_READ, NULL) != KB_OK) {
                status = 2;
                break;
            }
            d.job = k;
            kb_xdb_metadata_keys(rd, "d:", 2, note_id, &d, NULL);
            kb_xdb_close(rd);
        }
    }
    int dup = d.dup != NULL;
    if (dup && status < 2)
        fprintf(stderr,
                "deskdex-index: id %s came from files of two jobs; "
                "indexing again in one job\n",
                d.dup);
    free(d.dup);
    json_decref(d.owner);
    char *msg = NULL;
    snprintf(tmp, sizeof tmp, "%s.merge-%ld", db, (long)getpid());
    if (status < 2 && !dup) {
        int rc = KB_OK;
        kb_xdb *w = NULL;
        if (!shards) {
            rc = merge_sub(part, jobs, "", tmp, &msg);
        } else if (mkdir(tmp, 0755) != 0) {
            rc = kb_fail(&msg, KB_EIO, "%s: %s", tmp, strerror(errno));
        } else {
            char sub[64], out[4300];
            for (long s = 0; rc == KB_OK && s <= shards; s++) {
                if (s < shards)
                    snprintf(sub, sizeof sub, "shard-%ld", s);
                else
                    snprintf(sub, sizeof sub, "dict");
                snprintf(out, sizeof out, "%s/%s", tmp, sub);
                rc = merge_sub(part, jobs, sub, out, &msg);
            }
            if (rc == KB_OK) /* the stub last, as a set is always made */
                rc = kb_shard_create(tmp, shards, &msg);
        }
        if (rc == KB_OK && rename(tmp, db) != 0)
            rc = kb_fail(&msg, KB_EIO,
                         "cannot move the merged index to %s: "
                         "%s",
                         db, strerror(errno));
        /* Stamped like every commit, for replicas. */
        if (rc == KB_OK)
            rc = kb_shard_open(&w, db, NULL, NULL, KB_XDB_WRITE, &msg);
        if (rc == KB_OK && (rc = kb_xdb_begin(w, &msg)) == KB_OK &&
            (rc = kb_shard_stamp(w, &msg)) == KB_OK)
            rc = kb_xdb_commit(w, &msg);
        kb_xdb_close(w);
        if (rc != KB_OK) {
            fprintf(stderr, "deskdex-index: merging the jobs' parts: %s\n",
                    msg ? msg : kb_strerror(rc));
            status = 2;
        }
        free(msg);
    }
    kb_rmtree(tmp);
    for (int k = 0; k < jobs; k++)
        kb_rmtree(part[k]);
    *secs = now_s() - t0;
    return dup && status < 2 ? -1 : status;
}

/* --- main --- */

static void summary(int json, int quiet, int files, const counts *c,
                    double secs)
{
    if (json)
        printf("{\"added\":%ld,\"updated\":%ld,\"unchanged\":%ld,"
               "\"archived\":%ld,\"rejected\":%ld,\"skipped\":%ld,"
               "\"seconds\":%.3f}\n",
               c->added, c->updated, c->unchanged, c->archived, c->rejected,
               c->skipped, secs);
    else if (!quiet)
        printf("%d files: %ld added, %ld updated, %ld unchanged, %ld "
               "archived, %ld rejected, %ld skipped in %.2fs\n",
               files, c->added, c->updated, c->unchanged, c->archived,
               c->rejected, c->skipped, secs);
}

static void usage(FILE *f)
{
    fputs(
        "Usage: deskdex-index --db DIR [options] PATH...\n"
        "       deskdex-index --db DIR --stats | --show ID [--version N] |"
        " --history ID\n"
        "       deskdex-index --db DIR --backup OUT | --restore FROM | "
        "--compact |\n"
        "                     --reanalyse\n"
        "\n"
        "Reads manuals (.md .html .txt .pdf .docx .odt), FAQs (.md .json\n"
        ".jsonl .csv, and .pdf .docx .odt under faqs/) and resolved tickets\n"
        "(.jsonl .csv) from files and folders into the versioned index at\n"
        "DIR. Unchanged documents make no new version.\n"
        "\n"
        "  --db DIR         the index (created if missing)\n"
        "  --kind K         treat every record as manual, faq or ticket\n"
        "  --lang L         default language (ISO 639-1, default en)\n"
        "  --map DST=SRC    take field DST from column SRC (repeatable)\n"
        "  --prune          archive documents whose source file is gone\n"
        "  --batch N        documents per transaction (default 5000; a\n"
        "                   transaction also ends at 2 MB of new text)\n"
        "  --jobs N         a first load in N processes, merged at the end\n"
        "                   (DIR must not exist yet)\n"
        "  --shards N       make DIR a set of N shards (documents placed by\n"
        "                   a hash of their id); later runs find it alone\n"
        "  --wait SECONDS   wait this long for the write lock (default 30)\n"
        "  --json           print the summary as one JSON object\n"
        "  --quiet          no progress bar\n"
        "  --stats          print counts by kind and status, and of the\n"
        "                   spelling dictionary\n"
        "  --show ID        print a document (current, or --version N)\n"
        "  --history ID     print one line per version of a document\n"
        "  --backup OUT     copy the index (consistent, while in use) to OUT\n"
        "  --restore FROM   replace the index by the backup FROM\n"
        "  --compact        rewrite the index compactly (after indexing the\n"
        "                   PATHs, if any): smaller and faster after a bulk\n"
        "                   load; a running server follows\n"
        "  --reanalyse      rebuild every document's terms from its stored\n"
        "                   version with this build's analysis (after an\n"
        "                   upgrade that changes it), and the spelling\n"
        "                   dictionary from the same words; versions are kept\n"
        "  --help, --version\n"
        "\n"
        "Exit status: 0 all good, 1 some records rejected, 2 fatal error.\n",
        f);
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !end || *end || end == s || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    enum {
        O_DB = 256,
        O_KIND,
        O_LANG,
        O_MAP,
        O_PRUNE,
        O_BATCH,
        O_WAIT,
        O_JSON,
        O_QUIET,
        O_STATS,
        O_SHOW,
        O_VERSION_N,
        O_HISTORY,
        O_HELP,
        O_VERSION,
        O_BACKUP,
        O_RESTORE,
        O_SHARDS,
        O_COMPACT,
        O_REANALYSE,
        O_JOBS
    };
    static const struct option opts[] = {
        {"db", required_argument, 0, O_DB},
        {"kind", required_argument, 0, O_KIND},
        {"lang", required_argument, 0, O_LANG},
        {"map", required_argument, 0, O_MAP},
        {"prune", no_argument, 0, O_PRUNE},
        {"batch", required_argument, 0, O_BATCH},
        {"wait", required_argument, 0, O_WAIT},
        {"json", no_argument, 0, O_JSON},
        {"quiet", no_argument, 0, O_QUIET},
        {"stats", no_argument, 0, O_STATS},
        {"show", required_argument, 0, O_SHOW},
        {"history", required_argument, 0, O_HISTORY},
        {"backup", required_argument, 0, O_BACKUP},
        {"restore", required_argument, 0, O_RESTORE},
        {"compact", no_argument, 0, O_COMPACT},
        {"reanalyse", no_argument, 0, O_REANALYSE},
        {"shards", required_argument, 0, O_SHARDS},
        {"jobs", required_argument, 0, O_JOBS},
        {"help", no_argument, 0, O_HELP},
        {"version", optional_argument, 0, O_VERSION},
        {0, 0, 0, 0}};
    const char *db = NULL, *show = NULL, *history = NULL;
    const char *backup = NULL, *restore = NULL;
    int compact = 0, reanalyse = 0;
    const char *maps[MAX_MAPS];
    long batch = 5000, wait_s = 30, version = 0, shards = 0, jobs = 1;
    int nmaps = 0, do_prune = 0, json = 0, quiet = 0, stats = 0, c;
    run r;
    memset(&r, 0, sizeof r);
    r.ro = (kb_read_opts)KB_READ_OPTS_INIT;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_DB: db = optarg; break;
        case O_KIND:
            if (strcmp(optarg, "manual") && strcmp(optarg, "faq") &&
                strcmp(optarg, "ticket")) {
                fprintf(stderr, "deskdex-index: --kind must be manual, faq "
                                "or ticket\n");
                return 2;
            }
            r.ro.kind = optarg;
            break;
        case O_LANG: r.ro.lang = optarg; break;
        case O_MAP:
            if (nmaps == MAX_MAPS || !strchr(optarg, '=')) {
                fprintf(stderr,
                        "deskdex-index: --map takes DST=SRC (at most "
                        "%d)\n",
                        MAX_MAPS);
                return 2;
            }
            maps[nmaps++] = optarg;
            break;
        case O_PRUNE: do_prune = 1; break;
        case O_BATCH:
            if (parse_int(optarg, 1, 10000000, &batch)) {
                fprintf(stderr, "deskdex-index: bad --batch \"%s\"\n", optarg);
                return 2;
            }
            break;
        case O_WAIT:
            if (parse_int(optarg, 0, 86400, &wait_s)) {
                fprintf(stderr, "deskdex-index: bad --wait \"%s\"\n", optarg);
                return 2;
            }
            break;
        case O_JSON: json = 1; break;
        case O_QUIET: quiet = 1; break;
        case O_STATS: stats = 1; break;
        case O_SHOW: show = optarg; break;
        case O_HISTORY: history = optarg; break;
        case O_BACKUP: backup = optarg; break;
        case O_RESTORE: restore = optarg; break;
        case O_COMPACT: compact = 1; break;
        case O_REANALYSE: reanalyse = 1; break;
        case O_SHARDS:
            if (parse_int(optarg, 1, KB_XMAX_SHARDS, &shards)) {
                fprintf(stderr,
                        "deskdex-index: --shards takes 1 to %d, not "
                        "\"%s\"\n",
                        KB_XMAX_SHARDS, optarg);
                return 2;
            }
            break;
        case O_JOBS:
            if (parse_int(optarg, 1, MAX_JOBS, &jobs)) {
                fprintf(stderr,
                        "deskdex-index: --jobs takes 1 to %d, not "
                        "\"%s\"\n",
                        MAX_JOBS, optarg);
                return 2;
            }
            break;
        case O_HELP: usage(stdout); return 0;
        case O_VERSION:
            if (optarg) { /* --version=N with --show */
                if (parse_int(optarg, 1, 1000000000, &version)) {
                    fprintf(stderr, "deskdex-index: bad version \"%s\"\n",
                            optarg);
                    return 2;
                }
                break;
            }
            if (show && optind < argc &&
                parse_int(argv[optind], 1, 1000000000, &version) == 0) {
                optind++;
                break;
            }
            printf("deskdex-index %s\n", KB_VERSION);
            return 0;
        default: usage(stderr); return 2;
        }
    }
    (void)O_VERSION_N;
    if (!db) {
        usage(stderr);
        return 2;
    }
    if ((backup || restore || compact || reanalyse) && kb_shard_is_set(db)) {
        fprintf(stderr,
                "deskdex-index: %s is a set of shards: back up, "
                "restore, compact or reanalyse each shard folder (and "
                "dict) on its own\n",
                db);
        return 2;
    }
    if (reanalyse && optind < argc) {
        fprintf(stderr, "deskdex-index: --reanalyse takes no PATH\n");
        return 2;
    }
    if (reanalyse)
        return cmd_reanalyse(db, batch, wait_s);
    if (backup)
        return cmd_backup(db, backup);
    if (restore)
        return cmd_restore(db, restore, wait_s);
    if (compact && optind >= argc)
        return cmd_compact(db, wait_s);
    r.ro.maps = maps;
    r.ro.nmaps = (size_t)nmaps;

    if (show || history || stats) {
        kb_xdb *rd = NULL;
        char *msg = NULL;
        int rc = kb_shard_open(&rd, db, NULL, NULL, KB_XDB_READ, &msg);
        if (rc != KB_OK) {
            fprintf(stderr, "deskdex-index: %s: %s\n", db,
                    msg ? msg : kb_strerror(rc));
            free(msg);
            return 2;
        }
        int ex = show      ? cmd_show(rd, show, (int)version)
                 : history ? cmd_history(rd, history)
                           : cmd_stats(rd);
        kb_xdb_close(rd);
        return ex;
    }
    if (optind >= argc) {
        fprintf(stderr, "deskdex-index: no PATH to index\n");
        return 2;
    }

    int rc;
    struct stat dst;
    if (jobs > 1 && stat(db, &dst) == 0) {
        fprintf(stderr, "deskdex-index: --jobs builds a new index: the --db "
                        "folder exists (index into it without --jobs)\n");
        return 2;
    }
    if (jobs > 1) {
        json_t *files = json_array();
        for (int i = optind; i < argc; i++)
            collect_files(argv[i], files, &r, 1);
        r.batch = batch;
        counts all;
        double secs = 0;
        int ex = index_parallel(db, shards, files, (int)jobs, &r, &all, &secs);
        int nfiles = (int)json_array_size(files);
        json_decref(files);
        if (ex >= 0) {
            all.rejected += r.rejected; /* paths that could not be walked */
            if (ex < 2)
                summary(json, quiet, nfiles, &all, secs);
            if (ex < 2 && compact && cmd_compact(db, wait_s) != 0)
                return 2;
            return ex == 0 && all.rejected ? 1 : ex;
        }
        r.rejected = 0; /* a duplicate id: once more, in one job */
    }
    if (shards && (rc = kb_shard_create(db, shards, &r.errmsg)) != KB_OK) {
        fprintf(stderr, "deskdex-index: %s\n", r.errmsg);
        free(r.errmsg);
        return 2;
    }
    if ((rc = open_writer(&r.w, db, 0, wait_s, &r.errmsg)) != KB_OK) {
        fprintf(stderr, "deskdex-index: %s: %s\n", db,
                r.errmsg ? r.errmsg : kb_strerror(rc));
        free(r.errmsg);
        return 2;
    }
    r.seen = json_object();
    r.batch = batch;
    r.progress = !quiet && isatty(2);
    r.t0 = now_s();
    json_t *files = json_array();
    for (int i = optind; i < argc; i++)
        collect_files(argv[i], files, &r, 1);
    r.files_total = (int)json_array_size(files);

    /* The dictionary is written once, at the last commit; each batch's
     * words are recorded with it, for a killed load's successor. */
    kb_xdb_hold_spelling(r.w, 2);
    rc = kb_xdb_begin(r.w, &r.errmsg);
    if (rc == KB_OK)
        rc = index_files(&r, files);
    if (rc == KB_OK && do_prune)
        rc = prune(&r, argv + optind, argc - optind, files);
    kb_xdb_hold_spelling(r.w, 0);
    if (rc == KB_OK)
        rc = kb_shard_stamp(r.w, &r.errmsg);
    if (rc == KB_OK)
        rc = kb_xdb_commit(r.w, &r.errmsg);
    else
        kb_xdb_cancel(r.w, NULL);
    tick(&r, 1);
    if (r.progress)
        fputc('\n', stderr);
    kb_xdb_close(r.w);
    json_decref(files);
    json_decref(r.seen);

    double secs = now_s() - r.t0;
    if (rc != KB_OK) {
        fprintf(stderr,
                "deskdex-index: %s (nothing of this batch was "
                "stored)\n",
                r.errmsg ? r.errmsg : kb_strerror(rc));
        free(r.errmsg);
        return 2;
    }
    counts all = {r.added,    r.updated,  r.unchanged,
                  r.archived, r.rejected, r.skipped};
    summary(json, quiet, r.files_total, &all, secs);
    free(r.errmsg);
    if (compact && cmd_compact(db, wait_s) != 0)
        return 2;
    return r.rejected ? 1 : 0;
}

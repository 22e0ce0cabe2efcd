/* kb_shard.c - sharded indexes: which shard holds a document, the layout
 * of a set of shards, opening one */
#include "kb_shard.h"
#include "kb_error.h"
#include "kb_store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

uint32_t kb_shard_of(const char *id, uint32_t n)
{
    uint64_t h = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return n > 1 ? (uint32_t)(h % n) : 0;
}

/* The stub file of path: path/XAPIANDB for a folder, path itself for a
 * file. Returns 1 if it exists. */
static int stub_of(const char *path, char *out, size_t n)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    if (S_ISDIR(st.st_mode)) {
        snprintf(out, n, "%s/XAPIANDB", path);
        return stat(out, &st) == 0 && S_ISREG(st.st_mode);
    }
    snprintf(out, n, "%s", path);
    return S_ISREG(st.st_mode);
}

int kb_shard_is_set(const char *path)
{
    char stub[4200];
    return path && stub_of(path, stub, sizeof stub);
}

/* --- the stub file --- */

typedef struct {
    kb_xshard v[KB_XMAX_SHARDS];
    char *text[KB_XMAX_SHARDS]; /* paths and hosts, new */
    size_t n;
} shard_list;

static void list_free(shard_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->text[i]);
    l->n = 0;
}

/* Read a stub file: "auto|glass PATH" (relative to the stub's folder) or
 * "remote HOST:PORT"; blank lines and '#' comments are skipped, as Xapian
 * does. */
static int parse_stub(const char *stub, shard_list *l, char **errmsg)
{
    FILE *f = fopen(stub, "r");
    char line[4096], dir[4096];
    int ln = 0, rc = KB_OK;
    l->n = 0;
    if (!f)
        return kb_fail(errmsg, KB_EOPEN, "%s: %s", stub, strerror(errno));
    snprintf(dir, sizeof dir, "%s", stub);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    while (rc == KB_OK && fgets(line, sizeof line, f)) {
        ln++;
        char *s = line;
        size_t k = strlen(s);
        while (k && (s[k - 1] == '\n' || s[k - 1] == '\r' || s[k - 1] == ' ' ||
                     s[k - 1] == '\t'))
            s[--k] = '\0';
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s || *s == '#')
            continue;
        char *arg = s + strcspn(s, " \t");
        if (*arg)
            *arg++ = '\0';
        while (*arg == ' ' || *arg == '\t')
            arg++;
        if (l->n == KB_XMAX_SHARDS) {
            rc = kb_fail(errmsg, KB_EINVALID, "%s:%d: more than %d shards",
                         stub, ln, KB_XMAX_SHARDS);
            break;
        }
        kb_xshard *sh = &l->v[l->n];
        memset(sh, 0, sizeof *sh);
        if (!strcmp(s, "auto") || !strcmp(s, "glass")) {
            if (!*arg) {
                rc = kb_fail(errmsg, KB_EINVALID,
                             "%s:%d: \"%s\" needs a "
                             "folder",
                             stub, ln, s);
                break;
            }
            char full[8200];
            snprintf(full, sizeof full, "%s%s%s", *arg == '/' ? "" : dir,
                     *arg == '/' ? "" : "/", arg);
            l->text[l->n] = strdup(full);
            sh->path = l->text[l->n];
        } else if (!strcmp(s, "remote")) {
            char *colon = strrchr(arg, ':');
            char *end = NULL;
            long port = colon ? strtol(colon + 1, &end, 10) : 0;
            if (*arg == ':') {
                rc = kb_fail(errmsg, KB_EINVALID,
                             "%s:%d: program shards "
                             "(remote :PROGRAM) are not supported; serve "
                             "the shard with xapian-tcpsrv",
                             stub, ln);
                break;
            }
            if (!colon || colon == arg || !end || *end || end == colon + 1 ||
                port < 1 || port > 65535) {
                rc = kb_fail(errmsg, KB_EINVALID,
                             "%s:%d: want \"remote "
                             "HOST:PORT\", not \"remote %s\"",
                             stub, ln, arg);
                break;
            }
            *colon = '\0';
            l->text[l->n] = strdup(arg);
            sh->host = l->text[l->n];
            sh->port = (unsigned)port;
        } else {
            rc = kb_fail(errmsg, KB_EINVALID,
                         "%s:%d: shard type \"%.32s\" "
                         "is not supported (auto, glass or remote)",
                         stub, ln, s);
            break;
        }
        if (!l->text[l->n]) {
            rc = KB_ENOMEM;
            break;
        }
        l->n++;
    }
    fclose(f);
    if (rc == KB_OK && l->n == 0)
        rc = kb_fail(errmsg, KB_EINVALID, "%s lists no shards", stub);
    if (rc != KB_OK)
        list_free(l);
    return rc;
}

/* --- layout --- */

int kb_shard_create(const char *dir, long n, char **errmsg)
{
    char stub[4200], path[4200];
    struct stat st;
    if (n < 1 || n > KB_XMAX_SHARDS)
        return kb_fail(errmsg, KB_EINVALID, "--shards takes 1 to %d, not %ld",
                       KB_XMAX_SHARDS, n);
    if (stub_of(dir, stub, sizeof stub)) {
        shard_list *l = calloc(1, sizeof *l);
        if (!l)
            return KB_ENOMEM;
        int rc = parse_stub(stub, l, errmsg);
        size_t have = l->n;
        list_free(l);
        free(l);
        if (rc != KB_OK)
            return rc;
        if ((long)have != n)
            return kb_fail(errmsg, KB_EINVALID,
                           "%s has %zu shards, not %ld: "
                           "documents are placed by id modulo the count, so "
                           "re-index into a new folder to change it",
                           dir, have, n);
        return KB_OK;
    }
    snprintf(path, sizeof path, "%s/iamglass", dir);
    if (stat(path, &st) == 0)
        return kb_fail(errmsg, KB_EINVALID,
                       "%s is a single index; index "
                       "into a new folder to make a set of shards",
                       dir);
    snprintf(stub, sizeof stub, "%s/XAPIANDB", dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return kb_fail(errmsg, KB_EIO, "%s: %s", dir, strerror(errno));
    /* Each shard folder is created by its first writer; the stub file is
     * written last, whole, so a half-made set is never taken for one. */
    snprintf(path, sizeof path, "%s/XAPIANDB.tmp", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return kb_fail(errmsg, KB_EIO, "%s: %s", path, strerror(errno));
    fprintf(f,
            "# deskdex: %ld shards; a document lives in shard "
            "FNV-1a-64(id) mod %ld\n",
            n, n);
    for (long i = 0; i < n; i++)
        fprintf(f, "auto shard-%ld\n", i);
    if (fclose(f) != 0 || rename(path, stub) != 0)
        return kb_fail(errmsg, KB_EIO, "%s: %s", stub, strerror(errno));
    return KB_OK;
}

int kb_shard_open(kb_xdb **out, const char *path, const char *dict,
                  const kb_xshard_opts *o, int flags, char **errmsg)
{
    char stub[4200], dflt[4200];
    kb_xshard_opts d = KB_XSHARD_OPTS_INIT;
    struct stat st;
    *out = NULL;
    if (!stub_of(path, stub, sizeof stub))
        return kb_xdb_open(out, path, flags, errmsg);
    shard_list *l = calloc(1, sizeof *l);
    if (!l)
        return KB_ENOMEM;
    int rc = parse_stub(stub, l, errmsg);
    if (rc == KB_OK) {
        if (!dict || !*dict) {
            snprintf(dflt, sizeof dflt, "%s", stub);
            char *slash = strrchr(dflt, '/');
            size_t at = slash ? (size_t)(slash - dflt) + 1 : 0;
            snprintf(dflt + at, sizeof dflt - at, "dict");
            dict = (flags & KB_XDB_WRITE) || stat(dflt, &st) == 0 ? dflt : NULL;
        }
        rc = kb_xdb_open_shards(out, l->v, l->n, dict, o ? o : &d, flags,
                                errmsg);
    }
    list_free(l);
    free(l);
    return rc;
}

kb_xdb *kb_shard_for(kb_xdb *db, const char *id)
{
    size_t n = kb_xdb_nshards(db);
    return kb_xdb_shard(db, n > 1 ? kb_shard_of(id, (uint32_t)n) : 0);
}

/* --- figures --- */

static void add_int(json_t *obj, const char *key, json_int_t v)
{
    json_object_set_new(
        obj, key,
        json_integer(json_integer_value(json_object_get(obj, key)) + v));
}

int kb_shard_stats(kb_xdb *db, json_t **out, char **errmsg)
{
    size_t n = kb_xdb_nshards(db);
    *out = NULL;
    if (n == 1 && kb_xdb_shard(db, 0) == db)
        return kb_store_stats(db, out, errmsg);
    json_t *all =
        json_pack("{s:{},s:i,s:i,s:i,s:i,s:[]}", "documents", "ids", 0,
                  "versions", 0, "searchable", 0, "revision", 0, "shards");
    if (!all)
        return KB_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        json_t *s = NULL;
        kb_xdb *sh = kb_xdb_shard(db, i);
        int up = kb_xdb_shard_up(db, i, NULL);
        if (up && kb_store_stats(sh, &s, NULL) != KB_OK)
            up = 0;
        json_array_append_new(json_object_get(all, "shards"),
                              json_pack("{s:i,s:I,s:b}", "shard", (int)i,
                                        "searchable",
                                        (json_int_t)json_integer_value(
                                            json_object_get(s, "searchable")),
                                        "up", up));
        if (!s)
            continue;
        const char *kind, *status;
        json_t *by, *cnt;
        json_object_foreach(json_object_get(s, "documents"), kind, by)
        {
            json_t *dst =
                json_object_get(json_object_get(all, "documents"), kind);
            if (!dst) {
                dst = json_object();
                json_object_set_new(json_object_get(all, "documents"), kind,
                                    dst);
            }
            json_object_foreach(by, status, cnt)
                add_int(dst, status, json_integer_value(cnt));
        }
        static const char *const sums[] = {"ids", "versions", "searchable",
                                           "revision"};
        for (int k = 0; k < 4; k++)
            add_int(all, sums[k],
                    json_integer_value(json_object_get(s, sums[k])));
        json_decref(s);
    }
    (void)errmsg;
    *out = all;
    return KB_OK;
}

/* --- commit stamps --- */

static int stamp_one(kb_xdb *w, const char *now, char **errmsg)
{
    return kb_xdb_set_metadata(w, KB_SHARD_STAMP, strlen(KB_SHARD_STAMP), now,
                               strlen(now), errmsg);
}

int kb_shard_stamp(kb_xdb *w, char **errmsg)
{
    struct timeval tv;
    char now[32];
    int rc = KB_OK, any = 0;
    gettimeofday(&tv, NULL);
    snprintf(now, sizeof now, "%lld",
             (long long)tv.tv_sec * 1000000LL + tv.tv_usec);
    size_t n = kb_xdb_nshards(w);
    for (size_t i = 0; rc == KB_OK && i < n; i++) {
        kb_xdb *sh = kb_xdb_shard(w, i);
        if (sh && kb_xdb_touched(sh)) {
            rc = stamp_one(sh, now, errmsg);
            any = 1;
        }
    }
    kb_xdb *dict = kb_xdb_dictionary(w);
    if (rc == KB_OK && any && dict != w)
        rc = stamp_one(dict, now, errmsg);
    return rc;
}

long long kb_shard_stamp_of(kb_xdb *db)
{
    char *v = NULL;
    long long t = 0;
    if (kb_xdb_get_metadata(db, KB_SHARD_STAMP, strlen(KB_SHARD_STAMP), &v,
                            NULL, NULL) == KB_OK &&
        v)
        t = strtoll(v, NULL, 10);
    free(v);
    return t;
}

/* kb_config.c - the configuration file: settings, synonyms, ranking */
#include "kb_config.h"
#include "kb_error.h"
#include "kb_text.h"
#include "kb_thesaurus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dupn(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

int kb_config_defaults(kb_config *c)
{
    memset(c, 0, sizeof *c);
    c->listen = strdup("127.0.0.1:8080");
    c->db = strdup("data/kb");
    c->www = strdup("server/www");
    c->access_log = strdup("-");
    c->cors_origins = strdup("");
    c->audit_log = strdup("");
    c->tls_cert = strdup("");
    c->backup_dir = strdup("");
    c->analytics_log = strdup("");
    c->tls_key = strdup("");
    c->rate = 50;
    c->burst = 100;
    c->key_rate = 200;
    c->key_burst = 400;
    c->threads = 4;
    c->max_body = 10u << 20;
    c->max_query = 1024;
    c->max_limit = 100;
    c->max_offset = 10000;
    c->timeout = 30;
    c->max_conns = 512;
    c->max_conns_per_ip = 64;
    c->k1 = 2.0;
    c->b = 0.75;
    c->title_weight = 0.5;
    c->cjk_unigram_weight = 1.0;
    c->thesaurus = strdup("/usr/share/wordnet");
    c->thesaurus_weight = 0.3;
    c->thesaurus_words = 5;
    c->lock_wait_ms = 5000;
    c->stale_weight = 1.0;
    c->analytics_days = 90;
    c->analytics_max_bytes = 64L << 20;
    c->analytics_keep = 8;
    c->dictionary = strdup("");
    c->primary_url = strdup("");
    c->shard_timeout_ms = 2000;
    c->shard_connect_timeout_ms = 500;
    c->shard_retry_ms = 2000;
    c->lag_probe_ms = 100;
    c->cache_entries = 4096;
    c->cache_max_bytes = 32L << 20;
    c->cache_seconds = 5;
    return (c->listen && c->db && c->www && c->access_log && c->cors_origins &&
            c->audit_log && c->tls_cert && c->tls_key && c->backup_dir &&
            c->analytics_log && c->dictionary && c->primary_url && c->thesaurus)
               ? KB_OK
               : KB_ENOMEM;
}

static void free_syn(kb_synonym *s)
{
    free(s->from);
    for (size_t i = 0; i < s->nto; i++)
        free(s->to[i]);
    free(s->to);
}

void kb_config_free(kb_config *c)
{
    if (!c)
        return;
    free(c->listen);
    free(c->db);
    free(c->www);
    free(c->keys);
    free(c->access_log);
    free(c->cors_origins);
    free(c->audit_log);
    free(c->tls_cert);
    free(c->backup_dir);
    free(c->analytics_log);
    free(c->tls_key);
    free(c->dictionary);
    free(c->primary_url);
    free(c->thesaurus);
    kb_thesaurus_free(c->th);
    for (size_t i = 0; i < c->nsyn; i++)
        free_syn(&c->syn[i]);
    free(c->syn);
    memset(c, 0, sizeof *c);
}

const kb_synonym *kb_config_synonym(const kb_config *c, const char *w,
                                    size_t len)
{
    for (size_t i = 0; i < c->nsyn; i++)
        if (strlen(c->syn[i].from) == len &&
            memcmp(c->syn[i].from, w, len) == 0)
            return &c->syn[i];
    return NULL;
}

/* Split "a, b, c" into normalised words. */
static int split_list(const char *s, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    while (*s) {
        while (*s == ' ' || *s == ',' || *s == '\t')
            s++;
        size_t k = strcspn(s, ",");
        size_t e = k;
        while (e && (s[e - 1] == ' ' || s[e - 1] == '\t'))
            e--;
        if (e) {
            char *w = NULL;
            if (kb_normalise(&w, s, e) != KB_OK)
                return KB_EINVALID;
            char **v = realloc(*out, (*n + 1) * sizeof *v);
            if (!v) {
                free(w);
                return KB_ENOMEM;
            }
            *out = v;
            v[(*n)++] = w;
        }
        s += k;
    }
    return KB_OK;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Add "from also means to[]" (merging with an existing rule). */
static int add_rule(kb_config *c, const char *from, char **to, size_t nto)
{
    kb_synonym *s = (kb_synonym *)kb_config_synonym(c, from, strlen(from));
    if (!s) {
        kb_synonym *v = realloc(c->syn, (c->nsyn + 1) * sizeof *v);
        if (!v)
            return KB_ENOMEM;
        c->syn = v;
        s = &c->syn[c->nsyn++];
        memset(s, 0, sizeof *s);
        if (!(s->from = strdup(from)))
            return KB_ENOMEM;
    }
    for (size_t i = 0; i < nto; i++) {
        if (strcmp(to[i], from) == 0)
            continue;
        char **v = realloc(s->to, (s->nto + 1) * sizeof *v);
        if (!v)
            return KB_ENOMEM;
        s->to = v;
        if (!(s->to[s->nto] = strdup(to[i])))
            return KB_ENOMEM;
        s->nto++;
    }
    return KB_OK;
}

static int parse_synonym(kb_config *c, const char *v)
{
    const char *arrow = strstr(v, "=>");
    char **lhs = NULL, **rhs = NULL;
    size_t nl = 0, nr = 0;
    int rc;
    if (arrow) {
        char *left = dupn(v, (size_t)(arrow - v));
        rc = left ? split_list(left, &lhs, &nl) : KB_ENOMEM;
        free(left);
        if (rc == KB_OK)
            rc = split_list(arrow + 2, &rhs, &nr);
        for (size_t i = 0; rc == KB_OK && i < nl; i++)
            rc = add_rule(c, lhs[i], rhs, nr);
    } else {
        rc = split_list(v, &lhs, &nl);
        for (size_t i = 0; rc == KB_OK && i < nl; i++)
            rc = add_rule(c, lhs[i], lhs, nl);
    }
    if (rc == KB_OK && (nl == 0 || (arrow && nr == 0)))
        rc = KB_EINVALID;
    free_list(lhs, nl);
    free_list(rhs, nr);
    return rc;
}

static int set_str(char **dst, const char *v)
{
    char *p = strdup(v);
    if (!p)
        return KB_ENOMEM;
    free(*dst);
    *dst = p;
    return KB_OK;
}

static int set_long(long *out, const char *v, long lo, long hi)
{
    char *end = NULL;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi)
        return KB_EINVALID;
    *out = x;
    return KB_OK;
}

static int set_double(double *out, const char *v, double lo, double hi)
{
    char *end = NULL;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !(x >= lo && x <= hi))
        return KB_EINVALID;
    *out = x;
    return KB_OK;
}

static int apply(kb_config *c, const char *k, const char *v)
{
    long n = 0;
    int rc;
    if (!strcmp(k, "listen"))
        return set_str(&c->listen, v);
    if (!strcmp(k, "db"))
        return set_str(&c->db, v);
    if (!strcmp(k, "www"))
        return set_str(&c->www, v);
    if (!strcmp(k, "keys"))
        return set_str(&c->keys, v);
    if (!strcmp(k, "access_log"))
        return set_str(&c->access_log, v);
    if (!strcmp(k, "cors_origins"))
        return set_str(&c->cors_origins, v);
    if (!strcmp(k, "audit_log"))
        return set_str(&c->audit_log, v);
    if (!strcmp(k, "backup_dir"))
        return set_str(&c->backup_dir, v);
    if (!strcmp(k, "analytics_log"))
        return set_str(&c->analytics_log, v);
    if (!strcmp(k, "stale_weight"))
        return set_double(&c->stale_weight, v, 0, 1);
    if (!strcmp(k, "tls_cert"))
        return set_str(&c->tls_cert, v);
    if (!strcmp(k, "tls_key"))
        return set_str(&c->tls_key, v);
    if (!strcmp(k, "dictionary"))
        return set_str(&c->dictionary, v);
    if (!strcmp(k, "primary_url")) {
        if (*v && strncmp(v, "http://", 7) != 0)
            return KB_EINVALID;
        return set_str(&c->primary_url, v);
    }
    if (!strcmp(k, "read_only")) {
        if (strcmp(v, "true") && strcmp(v, "false"))
            return KB_EINVALID;
        c->read_only = !strcmp(v, "true");
        return KB_OK;
    }
    if (!strcmp(k, "rate_limit"))
        return set_double(&c->rate, v, 0, 1e6);
    if (!strcmp(k, "rate_burst"))
        return set_double(&c->burst, v, 1, 1e6);
    if (!strcmp(k, "key_rate_limit"))
        return set_double(&c->key_rate, v, 0, 1e6);
    if (!strcmp(k, "key_rate_burst"))
        return set_double(&c->key_burst, v, 1, 1e6);
    if (!strcmp(k, "synonym"))
        return parse_synonym(c, v);
    if (!strcmp(k, "k1"))
        return set_double(&c->k1, v, 0, 10);
    if (!strcmp(k, "b"))
        return set_double(&c->b, v, 0, 1);
    if (!strcmp(k, "title_weight"))
        return set_double(&c->title_weight, v, 0, 100);
    if (!strcmp(k, "cjk_unigram_weight"))
        return set_double(&c->cjk_unigram_weight, v, 0, 10);
    if (!strcmp(k, "thesaurus"))
        return set_str(&c->thesaurus, v);
    if (!strcmp(k, "thesaurus_weight"))
        return set_double(&c->thesaurus_weight, v, 0, 10);
    struct {
        const char *name;
        long lo, hi;
    } ints[] = {{"threads", 1, 256},
                {"max_body", 1, 1L << 30},
                {"max_query", 16, 1 << 20},
                {"max_limit", 1, 10000},
                {"max_offset", 0, 1000000},
                {"timeout", 1, 3600},
                {"max_connections", 1, 65536},
                {"lock_wait_ms", 0, 600000},
                {"max_connections_per_ip", 1, 65536},
                {"analytics_retention_days", 1, 36500},
                {"analytics_max_bytes", 4096, 1L << 40},
                {"analytics_keep", 1, 1000},
                {"shard_timeout_ms", 10, 600000},
                {"shard_connect_timeout_ms", 10, 600000},
                {"shard_retry_ms", 10, 3600000},
                {"lag_probe_ms", 10, 60000},
                {"cache_entries", 0, 1L << 24},
                {"cache_max_bytes", 0, 1L << 40},
                {"cache_seconds", 1, 86400},
                {"thesaurus_words", 0, 100}};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
        if (strcmp(k, ints[i].name))
            continue;
        if ((rc = set_long(&n, v, ints[i].lo, ints[i].hi)) != KB_OK)
            return rc;
        switch (i) {
        case 0: c->threads = (int)n; break;
        case 1: c->max_body = (size_t)n; break;
        case 2: c->max_query = (size_t)n; break;
        case 3: c->max_limit = (int)n; break;
        case 4: c->max_offset = (int)n; break;
        case 5: c->timeout = (int)n; break;
        case 6: c->max_conns = (int)n; break;
        case 7: c->lock_wait_ms = (int)n; break;
        case 8: c->max_conns_per_ip = (int)n; break;
        case 9: c->analytics_days = (int)n; break;
        case 10: c->analytics_max_bytes = n; break;
        case 11: c->analytics_keep = (int)n; break;
        case 12: c->shard_timeout_ms = (int)n; break;
        case 13: c->shard_connect_timeout_ms = (int)n; break;
        case 14: c->shard_retry_ms = (int)n; break;
        case 15: c->lag_probe_ms = (int)n; break;
        case 16: c->cache_entries = n; break;
        case 17: c->cache_max_bytes = n; break;
        case 18: c->cache_seconds = (int)n; break;
        case 19: c->thesaurus_words = (int)n; break;
        }
        return KB_OK;
    }
    return KB_ENOTFOUND;
}

int kb_config_prepare(kb_config *c, char **errmsg)
{
    if (c->th || !*c->thesaurus || c->thesaurus_weight <= 0 ||
        c->thesaurus_words <= 0)
        return KB_OK;
    return kb_thesaurus_load(&c->th, c->thesaurus, errmsg);
}

int kb_config_load(kb_config *c, const char *path, char **errmsg)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return kb_fail(errmsg, KB_ENOTFOUND, "%s: %s", path, strerror(errno));
    char line[4096];
    int ln = 0, rc = KB_OK;
    while (rc == KB_OK && fgets(line, sizeof line, f)) {
        ln++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *eq = strchr(line, '=');
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s || *s == '\n' || *s == '\r')
            continue;
        if (!eq) {
            rc = kb_fail(errmsg, KB_EINVALID, "%s:%d: expected key = value",
                         path, ln);
            break;
        }
        char *k = s, *ke = eq;
        while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
            ke--;
        *ke = '\0';
        char *v = eq + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t vl = strlen(v);
        while (vl && (v[vl - 1] == '\n' || v[vl - 1] == '\r' ||
                      v[vl - 1] == ' ' || v[vl - 1] == '\t'))
            v[--vl] = '\0';
        int r = apply(c, k, v);
        if (r == KB_ENOTFOUND)
            rc = kb_fail(errmsg, KB_EINVALID, "%s:%d: unknown setting \"%s\"",
                         path, ln, k);
        else if (r != KB_OK)
            rc = kb_fail(errmsg, r == KB_ENOMEM ? r : KB_EINVALID,
                         "%s:%d: bad value for %s: \"%s\"", path, ln, k, v);
    }
    fclose(f);
    return rc;
}

/* kb_config.h - the configuration file: settings, synonyms, ranking */
#ifndef KB_CONFIG_H
#define KB_CONFIG_H

#include <stddef.h>

struct kb_thesaurus;

/* One synonym rule: a normalised word (or Chinese phrase) and what it also
 * means. */
typedef struct kb_synonym {
    char *from;
    char **to;
    size_t nto;
} kb_synonym;

typedef struct kb_config {
    char *listen;       /* listen = 127.0.0.1:8080 */
    char *db;           /* db = data/kb */
    char *www;          /* www = (built-in path of the page's files) */
    char *keys;         /* keys = (none: anonymous only) */
    char *access_log;   /* access_log = - (stderr) */
    char *cors_origins; /* cors_origins = (none), space-separated */
    char *audit_log;    /* audit_log = (none): JSON Lines of writes/refusals */
    char *tls_cert;     /* tls_cert = (none): PEM certificate, enables TLS */
    char *backup_dir;   /* backup_dir = (none: DB-backups beside the index) */
    char *tls_key;      /* tls_key = (none): PEM private key */
    double rate;        /* rate_limit = 50 requests/s per client address */
    double burst;       /* rate_burst = 100 */
    double key_rate;    /* key_rate_limit = 200 requests/s per key */
    double key_burst;   /* key_rate_burst = 400 */
    int threads;        /* threads = 4 */
    size_t max_body;    /* max_body = 10485760 */
    size_t max_query;   /* max_query = 1024 bytes */
    int max_limit;      /* max_limit = 100 */
    int max_offset;     /* max_offset = 10000 */
    int timeout;        /* timeout = 30 seconds per connection */
    int max_conns;      /* max_connections = 512 */
    int max_conns_per_ip; /* max_connections_per_ip = 64 */
    double k1, b;         /* k1 = 2.0, b = 0.75 (BM25) */
    double title_weight;  /* title_weight = 0.5: extra weight of title words */
    double cjk_unigram_weight; /* cjk_unigram_weight = 1.0 */
    char *thesaurus;           /* thesaurus = /usr/share/wordnet ("": none) */
    double thesaurus_weight;   /* thesaurus_weight = 0.3 of a query word's */
    int thesaurus_words;       /* thesaurus_words = 5 related words per word */
    struct kb_thesaurus *th;   /* loaded by kb_config_prepare, or NULL */
    int lock_wait_ms;    /* lock_wait_ms = 5000: wait for the write lock */
    double stale_weight; /* stale_weight = 1.0: score factor past review_by */
    char *analytics_log; /* analytics_log = (DB-analytics.jsonl); "off" */
    int analytics_days;  /* analytics_retention_days = 90 */
    long analytics_max_bytes; /* analytics_max_bytes = 67108864, then rotate */
    int analytics_keep;       /* analytics_keep = 8 rotated files */
    char *dictionary;     /* dictionary = (none: "dict" beside a set's stub) */
    int shard_timeout_ms; /* shard_timeout_ms = 2000 */
    int shard_connect_timeout_ms; /* shard_connect_timeout_ms = 500 */
    int shard_retry_ms;           /* shard_retry_ms = 2000 */
    int read_only;        /* read_only = false: a replica refuses writes */
    char *primary_url;    /* primary_url = (none): the writer, for replicas */
    int lag_probe_ms;     /* lag_probe_ms = 100: how often a replica checks */
    long cache_entries;   /* cache_entries = 4096 answers (0: off) */
    long cache_max_bytes; /* cache_max_bytes = 33554432 */
    int cache_seconds;    /* cache_seconds = 5: longest an answer is kept */
    kb_synonym *syn;
    size_t nsyn;
} kb_config;

/* Fill c with the documented defaults (new strings inside). */
int kb_config_defaults(kb_config *c);

/* Read path over the values in c. Lines are "key = value"; '#' starts a
 * comment; "synonym = a, b => c, d" is repeatable (a and b also mean c
 * and d); "synonym = a, b, c" makes the words mean each other. Returns
 * KB_OK, KB_ENOTFOUND (no file) or KB_EINVALID with "path:line: …". */
int kb_config_load(kb_config *c, const char *path, char **errmsg);

/* Load what the settings name beyond the file itself: the thesaurus.
 * Until it is called, or when it fails, searches run without one. Returns
 * KB_OK or kb_thesaurus_load's error (c is usable either way). */
int kb_config_prepare(kb_config *c, char **errmsg);

/* Synonyms of a normalised word: borrowed, or NULL. */
const kb_synonym *kb_config_synonym(const kb_config *c, const char *w,
                                    size_t len);

void kb_config_free(kb_config *c);

#endif

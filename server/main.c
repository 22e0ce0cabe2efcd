/* main.c - deskdex-server: options, configuration, signals, the daemon */
#include "kb_error.h"
#include "kb_text.h"
#include "kb_version.h"
#include "server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum MHD_Result http_handler(void *cls, struct MHD_Connection *conn,
                             const char *url, const char *method,
                             const char *version, const char *upload_data,
                             size_t *upload_data_size, void **con_cls);
void http_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                    enum MHD_RequestTerminationCode toe);

static void usage(FILE *f)
{
    fputs("Usage: deskdex-server [--db DIR] [--listen ADDR:PORT] "
          "[--config FILE]\n"
          "                      [--keys FILE] [--www DIR] [--threads N]\n"
          "       deskdex-server --hash-key KEY\n"
          "\n"
          "Serves the knowledge base at DIR over HTTP/JSON. Options given\n"
          "here override the configuration file.\n"
          "\n"
          "  --db DIR          the index (default data/kb): a folder, a set\n"
          "                    of shards, or a stub file listing shards\n"
          "  --dictionary DIR  spelling dictionary of a set of shards\n"
          "  --read-only       a replica: refuse writes (421)\n"
          "  --primary URL     the writer (http://HOST:PORT), for replicas\n"
          "  --listen A:P      address and port (default 127.0.0.1:8080)\n"
          "  --config FILE     settings and synonyms (see deskdex.conf)\n"
          "  --keys FILE       API keys: [{\"name\",\"role\",\"sha256\"}]\n"
          "  --www DIR         the page, widget and OpenAPI files\n"
          "  --threads N       worker threads (default 4)\n"
          "  --access-log F    one line per request to F (- is stderr)\n"
          "  --audit-log FILE  JSON Lines of every write and refusal\n"
          "  --tls-cert FILE   PEM certificate: serve HTTPS (with --tls-key)\n"
          "  --tls-key FILE    PEM private key\n"
          "  --hash-key KEY    print the keys-file entry for KEY and exit\n"
          "  --help, --version\n"
          "\n"
          "Signals: SIGTERM/SIGINT finish in-flight requests and stop;\n"
          "SIGHUP reloads the configuration and the keys.\n",
          f);
}

/* A whole small file as a string (new), or NULL. */
static char *slurp(const char *path)
{
    FILE *f = path && *path ? fopen(path, "rb") : NULL;
    if (!f)
        return NULL;
    kb_buf b = KB_BUF_INIT(1u << 20);
    char chunk[4096];
    size_t n;
    int rc = KB_OK;
    while (rc == KB_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = kb_buf_add(&b, chunk, n);
    fclose(f);
    if (rc != KB_OK || !b.len) {
        kb_buf_free(&b);
        return NULL;
    }
    return kb_buf_steal(&b);
}

/* Percent-decoding as libmicrohttpd does it, except that %00 becomes a
 * byte that is never valid UTF-8, so a NUL cannot cut an id or a query
 * short: the request is refused as invalid UTF-8 instead. */
static size_t unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    size_t r = 0, w = 0;
    while (s[r]) {
        if (s[r] == '%' && isxdigit((unsigned char)s[r + 1]) &&
            isxdigit((unsigned char)s[r + 2])) {
            char hex[3] = {s[r + 1], s[r + 2], 0};
            unsigned v = (unsigned)strtoul(hex, NULL, 16);
            s[w++] = v ? (char)v : (char)0xFF;
            r += 3;
        } else {
            s[w++] = s[r++];
        }
    }
    s[w] = '\0';
    return w;
}

/* The thesaurus, if the settings name one; without it searches run on the
 * query's own words, so a missing or broken one is only reported. */
static void prepare(kb_config *c)
{
    char *msg = NULL;
    kb_text_prepare(); /* not at the first Chinese question */
    if (kb_config_prepare(c, &msg) != KB_OK)
        fprintf(stderr,
                "deskdex-server: thesaurus: %s; searching without "
                "it\n",
                msg ? msg : "cannot load");
    free(msg);
}

static int load_all(kb_config *c, const char *config_path,
                    const char *keys_path, char **errmsg)
{
    int rc = kb_config_defaults(c);
    if (rc == KB_OK && config_path)
        rc = kb_config_load(c, config_path, errmsg);
    if (rc == KB_OK) {
        const char *k = keys_path ? keys_path : c->keys;
        rc = auth_load(k && *k ? k : NULL, errmsg);
    }
    if (rc == KB_OK)
        prepare(c);
    return rc;
}

static int parse_listen(const char *s, struct sockaddr_in *sa)
{
    char host[64];
    const char *colon = strrchr(s, ':');
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    if (!colon || (size_t)(colon - s) >= sizeof host)
        return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    char *end = NULL;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno || *end || port < 0 || port > 65535 || end == colon + 1)
        return -1;
    if (!strcmp(host, "localhost"))
        snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, *host ? host : "0.0.0.0", &sa->sin_addr) != 1)
        return -1;
    sa->sin_port = htons((uint16_t)port);
    return 0;
}

/* The settings fixed at start, from src into dst (the strings shared):
 * what places the server (its index and page, its shards and replicas)
 * and what sized its cache and request buffers. */
static void copy_fixed(kb_config *dst, const kb_config *src)
{
    dst->db = src->db;
    dst->www = src->www;
    dst->dictionary = src->dictionary;
    dst->primary_url = src->primary_url;
    dst->max_body = src->max_body;
    dst->read_only = src->read_only;
    dst->shard_timeout_ms = src->shard_timeout_ms;
    dst->shard_connect_timeout_ms = src->shard_connect_timeout_ms;
    dst->shard_retry_ms = src->shard_retry_ms;
    dst->lag_probe_ms = src->lag_probe_ms;
    dst->cache_entries = src->cache_entries;
    dst->cache_max_bytes = src->cache_max_bytes;
    dst->cache_seconds = src->cache_seconds;
}

static void reload(void)
{
    kb_config nc;
    char *msg = NULL;
    int rc = kb_config_defaults(&nc);
    if (rc == KB_OK && g_srv.config_path)
        rc = kb_config_load(&nc, g_srv.config_path, &msg);
    if (rc == KB_OK) {
        const char *k = g_srv.keys_path ? g_srv.keys_path : nc.keys;
        rc = auth_load(k && *k ? k : NULL, &msg);
    }
    if (rc == KB_OK)
        prepare(&nc);
    if (rc != KB_OK) {
        fprintf(stderr,
                "deskdex-server: reload failed, keeping the old "
                "settings: %s\n",
                msg ? msg : kb_strerror(rc));
        kb_config_free(&nc);
        free(msg);
        return;
    }
    /* Settings fixed at start stay as they are: the new settings take the
     * running ones, strings and all. */
    pthread_rwlock_wrlock(&g_srv.cfg_lock);
    free(nc.db);
    free(nc.www);
    free(nc.dictionary);
    free(nc.primary_url);
    copy_fixed(&nc, &g_srv.fixed);
    g_srv.cfg.db = g_srv.cfg.www = NULL; /* now nc's */
    g_srv.cfg.dictionary = g_srv.cfg.primary_url = NULL;
    if (g_srv.audit_cli) {
        free(nc.audit_log);
        nc.audit_log = strdup(g_srv.audit_cli);
    }
    if (guard_audit_open(nc.audit_log, &msg) != KB_OK) {
        fprintf(stderr, "deskdex-server: %s; audit log unchanged\n", msg);
        free(msg);
        msg = NULL;
    }
    if (analytics_open(&nc, &msg) != KB_OK) {
        fprintf(stderr, "deskdex-server: %s; analytics log unchanged\n", msg);
        free(msg);
        msg = NULL;
    }
    kb_config_free(&g_srv.cfg);
    g_srv.cfg = nc;
    cache_clear();
    pthread_rwlock_unlock(&g_srv.cfg_lock);
    fprintf(stderr, "deskdex-server: configuration and keys reloaded\n");
}

int main(int argc, char **argv)
{
    enum {
        O_DB = 256,
        O_LISTEN,
        O_CONFIG,
        O_KEYS,
        O_WWW,
        O_THREADS,
        O_LOG,
        O_HASH,
        O_HELP,
        O_VERSION,
        O_AUDIT,
        O_CERT,
        O_KEY,
        O_DICT,
        O_RO,
        O_PRIMARY
    };
    static const struct option opts[] = {
        {"db", required_argument, 0, O_DB},
        {"listen", required_argument, 0, O_LISTEN},
        {"config", required_argument, 0, O_CONFIG},
        {"keys", required_argument, 0, O_KEYS},
        {"www", required_argument, 0, O_WWW},
        {"threads", required_argument, 0, O_THREADS},
        {"access-log", required_argument, 0, O_LOG},
        {"hash-key", required_argument, 0, O_HASH},
        {"audit-log", required_argument, 0, O_AUDIT},
        {"tls-cert", required_argument, 0, O_CERT},
        {"tls-key", required_argument, 0, O_KEY},
        {"dictionary", required_argument, 0, O_DICT},
        {"read-only", no_argument, 0, O_RO},
        {"primary", required_argument, 0, O_PRIMARY},
        {"help", no_argument, 0, O_HELP},
        {"version", no_argument, 0, O_VERSION},
        {0, 0, 0, 0}};
    const char *db = NULL, *listen = NULL, *www = NULL, *log = NULL;
    const char *audit = NULL, *cert = NULL, *key = NULL;
    const char *dict = NULL, *primary = NULL;
    int read_only = 0;
    long threads = 0;
    int c;
    char *msg = NULL;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case O_DB: db = optarg; break;
        case O_LISTEN: listen = optarg; break;
        case O_CONFIG: g_srv.config_path = optarg; break;
        case O_KEYS: g_srv.keys_path = optarg; break;
        case O_WWW: www = optarg; break;
        case O_LOG: log = optarg; break;
        case O_AUDIT:
            audit = optarg;
            g_srv.audit_cli = optarg;
            break;
        case O_CERT: cert = optarg; break;
        case O_KEY: key = optarg; break;
        case O_DICT: dict = optarg; break;
        case O_RO: read_only = 1; break;
        case O_PRIMARY:
            if (strncmp(optarg, "http://", 7) != 0) {
                fprintf(stderr, "deskdex-server: --primary takes "
                                "http://HOST:PORT\n");
                return 2;
            }
            primary = optarg;
            break;
        case O_THREADS: {
            char *end = NULL;
            threads = strtol(optarg, &end, 10);
            if (*end || threads < 1 || threads > 256) {
                fprintf(stderr, "deskdex-server: --threads takes 1 to 256\n");
                return 2;
            }
            break;
        }
        case O_HASH: {
            char hex[65];
            auth_hash_key(optarg, hex);
            printf("{\"name\": \"NAME\", \"role\": \"agent\", \"sha256\": "
                   "\"%s\"}\n",
                   hex);
            return 0;
        }
        case O_HELP: usage(stdout); return 0;
        case O_VERSION: printf("deskdex-server %s\n", KB_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    pthread_mutex_init(&g_srv.write_lock, NULL);
    pthread_rwlock_init(&g_srv.cfg_lock, NULL);
    if (load_all(&g_srv.cfg, g_srv.config_path, g_srv.keys_path, &msg) !=
        KB_OK) {
        fprintf(stderr, "deskdex-server: %s\n", msg ? msg : "bad settings");
        return 2;
    }
    kb_config *cfg = &g_srv.cfg;
#define OVERRIDE(field, v)                                                     \
    do {                                                                       \
        if (v) {                                                               \
            free(cfg->field);                                                  \
            cfg->field = strdup(v);                                            \
        }                                                                      \
    } while (0)
    OVERRIDE(db, db);
    OVERRIDE(listen, listen);
    OVERRIDE(www, www);
    OVERRIDE(access_log, log);
    OVERRIDE(audit_log, audit);
    OVERRIDE(tls_cert, cert);
    OVERRIDE(tls_key, key);
    OVERRIDE(dictionary, dict);
    OVERRIDE(primary_url, primary);
    if (read_only)
        cfg->read_only = 1;
    if (threads)
        cfg->threads = (int)threads;

    /* Run from an install rather than a checkout: the page's files are in
     * PREFIX/share/deskdex/www, beside PREFIX/bin. */
    struct stat wst;
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 32);
    if (!www && stat(cfg->www, &wst) != 0 && n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            slash = strrchr(exe, '/');
        }
        if (slash) {
            snprintf(slash, sizeof exe - (size_t)(slash - exe),
                     "/share/deskdex/www");
            if (stat(exe, &wst) == 0) {
                free(cfg->www);
                cfg->www = strdup(exe);
            }
        }
    }
    /* What requests read without the lock; its strings stay cfg's, and
     * every reload hands them on. */
    copy_fixed(&g_srv.fixed, cfg);
    struct sockaddr_in sa;
    if (parse_listen(cfg->listen, &sa) != 0) {
        fprintf(stderr,
                "deskdex-server: bad listen address \"%s\" (want "
                "IPv4:PORT)\n",
                cfg->listen);
        return 2;
    }
    if (!strcmp(cfg->access_log, "-"))
        g_srv.access_log = stderr;
    else if (*cfg->access_log &&
             !(g_srv.access_log = fopen(cfg->access_log, "a"))) {
        fprintf(stderr, "deskdex-server: %s: %s\n", cfg->access_log,
                strerror(errno));
        return 2;
    }
    if (guard_audit_open(cfg->audit_log, &msg) != KB_OK ||
        analytics_open(cfg, &msg) != KB_OK) {
        fprintf(stderr, "deskdex-server: %s\n", msg);
        free(msg);
        guard_close();
        return 2;
    }
    char *tls_cert = NULL, *tls_key = NULL;
    if (*cfg->tls_cert || *cfg->tls_key) {
        tls_cert = slurp(cfg->tls_cert);
        tls_key = slurp(cfg->tls_key);
        if (!tls_cert || !tls_key) {
            fprintf(stderr, "deskdex-server: TLS needs a readable certificate "
                            "and key (--tls-cert, --tls-key)\n");
            return 2;
        }
    }
    /* The index must open now: fail fast on a wrong path. */
    kb_xdb *probe = NULL;
    if (cluster_open(&probe, KB_XDB_READ, &msg) != KB_OK) {
        fprintf(stderr, "deskdex-server: cannot open index %s: %s\n", cfg->db,
                msg ? msg : "");
        return 2;
    }
    size_t nsh = kb_xdb_nshards(probe);
    for (size_t i = 0; nsh > 1 && i < nsh; i++) {
        const char *where = "";
        if (!kb_xdb_shard_up(probe, i, &where))
            fprintf(stderr,
                    "deskdex-server: shard %zu (%s:%u) does not "
                    "answer yet; answers are partial until it does\n",
                    i, where, kb_xdb_shard_port(probe, i));
    }
    kb_xdb_close(probe);
    if (cache_init((size_t)cfg->cache_entries, (size_t)cfg->cache_max_bytes,
                   cfg->cache_seconds) != KB_OK) {
        fprintf(stderr, "deskdex-server: no memory for cache_entries = %ld\n",
                cfg->cache_entries);
        return 2;
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    g_srv.started = now_seconds();
    g_srv.daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
            MHD_USE_ERROR_LOG | (tls_cert ? MHD_USE_TLS : 0),
        0, NULL, NULL, http_handler, NULL, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)cfg->threads, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)cfg->max_conns, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)cfg->timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(128 * 1024), MHD_OPTION_NOTIFY_COMPLETED, http_completed, NULL,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_UNESCAPE_CALLBACK,
        unescape, NULL, MHD_OPTION_STRICT_FOR_CLIENT, 1,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->max_conns_per_ip,
        tls_cert ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, tls_key,
        MHD_OPTION_HTTPS_MEM_CERT, tls_cert, MHD_OPTION_END);
    if (!g_srv.daemon) {
        fprintf(stderr, "deskdex-server: cannot listen on %s\n", cfg->listen);
        return 2;
    }
    const union MHD_DaemonInfo *di =
        MHD_get_daemon_info(g_srv.daemon, MHD_DAEMON_INFO_BIND_PORT);
    fprintf(stderr, "deskdex-server %s: serving %s on %s://%s:%u/\n",
            KB_VERSION, cfg->db, tls_cert ? "https" : "http",
            inet_ntoa(sa.sin_addr), di ? di->port : ntohs(sa.sin_port));
    fflush(stderr);
    cluster_start();

    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            reload();
            continue;
        }
        break;
    }
    /* Stop accepting, let in-flight requests finish (writes commit inside
     * their request), then stop. */
    MHD_quiesce_daemon(g_srv.daemon);
    for (int i = 0; i < 100; i++) {
        const union MHD_DaemonInfo *ci = MHD_get_daemon_info(
            g_srv.daemon, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (!ci || ci->num_connections == 0)
            break;
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(g_srv.daemon);
    cluster_stop();
    fprintf(stderr, "deskdex-server: stopped\n");
    auth_free();
    guard_close();
    analytics_close();
    cache_free();
    free(tls_cert);
    free(tls_key);
    kb_config_free(&g_srv.cfg);
    if (g_srv.access_log && g_srv.access_log != stderr)
        fclose(g_srv.access_log);
    return 0;
}

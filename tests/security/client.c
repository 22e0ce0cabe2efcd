/* client.c - the HTTP client, output and audit expectations shared by
 * deskdex-canary's modes */
#include "security.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* --- output --- */

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static int n_ok, n_fail;

int failures(void)
{
    pthread_mutex_lock(&out_lock);
    int n = n_fail;
    pthread_mutex_unlock(&out_lock);
    return n;
}

static void vline(const char *lead, const char *fmt, va_list ap)
{
    pthread_mutex_lock(&out_lock);
    fputs(lead, stdout);
    vprintf(fmt, ap);
    putchar('\n');
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
}

/* One check: "ok - what" or "FAIL - what". Returns ok. */
int check(int ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(ok ? "ok - " : "FAIL - ", fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&out_lock);
    if (ok)
        n_ok++;
    else
        n_fail++;
    pthread_mutex_unlock(&out_lock);
    return ok;
}

void note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline("# ", fmt, ap);
    va_end(ap);
}

/* --- buffers --- */

void buf_add(buf *b, const void *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            fprintf(stderr, "deskdex-canary: out of memory\n");
            exit(2);
        }
        b->p = p;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void buf_adds(buf *b, const char *s) { buf_add(b, s, strlen(s)); }
void buf_addc(buf *b, char c) { buf_add(b, &c, 1); }

void buf_printf(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    char *tmp = malloc((size_t)n + 1);
    if (!tmp)
        exit(2);
    va_start(ap, fmt);
    vsnprintf(tmp, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf_add(b, tmp, (size_t)n);
    free(tmp);
}

void buf_reset(buf *b)
{
    b->n = 0;
    if (b->p)
        b->p[0] = '\0';
}

void buf_free(buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

const char *buf_str(const buf *b) { return b->p ? b->p : ""; }

char *xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        exit(2);
    return d;
}

char *xprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = malloc((size_t)(n < 0 ? 0 : n) + 1);
    if (!s)
        exit(2);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* A printable one-line excerpt of bytes. */
void excerpt(buf *out, const char *s, size_t n, size_t max)
{
    for (size_t i = 0; i < n && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n')
            buf_adds(out, "\\n");
        else if (c == '\r')
            buf_adds(out, "\\r");
        else if (c < 0x20 || c == 0x7f)
            buf_printf(out, "\\x%02x", c);
        else
            buf_addc(out, (char)c);
    }
    if (n > max)
        buf_printf(out, "... (%zu bytes)", n);
}

const char *memfind(const char *hay, size_t h, const char *needle,
                           size_t n)
{
    if (n == 0 || n > h)
        return n == 0 ? hay : NULL;
    for (size_t i = 0; i + n <= h; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0)
            return hay + i;
    return NULL;
}

/* ASCII case-insensitive search (other bytes compare exactly). */
const char *memcasefind(const char *hay, size_t h, const char *needle,
                               size_t n)
{
    if (n == 0 || n > h)
        return n == 0 ? hay : NULL;
    for (size_t i = 0; i + n <= h; i++) {
        size_t k = 0;
        while (k < n && tolower((unsigned char)hay[i + k]) ==
                            tolower((unsigned char)needle[k]))
            k++;
        if (k == n)
            return hay + i;
    }
    return NULL;
}

double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* --- settings --- */

char g_port[16] = "8080";
const char *g_host = "127.0.0.1";
const char *g_expect; /* expected audit entries are appended here */
static pthread_mutex_t expect_lock = PTHREAD_MUTEX_INITIALIZER;

const char *const role_names[R_COUNT] = {
    "anonymous", "agent", "editor", "admin", "old agent key", "new agent key",
    "wrong key"};
const char *role_keys[R_COUNT];
const char *const key_names[R_COUNT] = {"-",          "sec-agent",
                                         "sec-editor", "sec-admin",
                                         "sec-old",    "sec-new", "-"};

void load_keys(void)
{
    static const char *const env[R_COUNT] = {
        NULL, "DDX_AGENT_KEY", "DDX_EDITOR_KEY", "DDX_ADMIN_KEY",
        "DDX_OLD_KEY", "DDX_NEW_KEY", NULL};
    for (int i = 0; i < R_COUNT; i++)
        role_keys[i] = env[i] ? getenv(env[i]) : NULL;
    role_keys[R_WRONG] = "wrong-key-0000000000000000000000";
}

/* --- the HTTP client: keep-alive connections over plain sockets --- */

void resp_free(resp *r)
{
    buf_free(&r->head);
    buf_free(&r->body);
    memset(r, 0, sizeof *r);
}

int wait_fd(int fd, short ev, double deadline)
{
    for (;;) {
        double left = (deadline - now_s()) * 1000;
        if (left <= 0)
            return 0;
        struct pollfd pf = {fd, ev, 0};
        int n = poll(&pf, 1, (int)left + 1);
        if (n > 0)
            return 1;
        if (n < 0 && errno != EINTR)
            return -1;
    }
}

int dial(double deadline)
{
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(g_host, g_port, &hints, &ai) != 0)
        return -1;
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            int err = errno, soerr = 0;
            socklen_t sl = sizeof soerr;
            if (err != EINPROGRESS || wait_fd(fd, POLLOUT, deadline) != 1 ||
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 ||
                soerr != 0) {
                close(fd);
                fd = -1;
            }
        }
    }
    freeaddrinfo(ai);
    return fd;
}

int send_all(int fd, const char *p, size_t n, double deadline)
{
    size_t sent = 0;
    while (sent < n) {
        ssize_t w = send(fd, p + sent, n - sent, MSG_NOSIGNAL);
        if (w > 0) {
            sent += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
            wait_fd(fd, POLLOUT, deadline) == 1)
            continue;
        return -1;
    }
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The value of header name in a raw head (borrowed), or NULL. */
static const char *header_in(const char *head, size_t hn, const char *name,
                             size_t *vlen)
{
    size_t nl = strlen(name);
    const char *p = memfind(head, hn, "\r\n", 2), *end = head + hn;
    while (p && p + 2 < end) {
        const char *line = p + 2;
        const char *e = memfind(line, (size_t)(end - line), "\r\n", 2);
        size_t len = e ? (size_t)(e - line) : (size_t)(end - line);
        if (len > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0) {
            const char *v = line + nl + 1;
            while (v < line + len && (*v == ' ' || *v == '\t'))
                v++;
            *vlen = (size_t)(line + len - v);
            return v;
        }
        p = e;
    }
    return NULL;
}

const char *header(const resp *r, const char *name, size_t *vlen)
{
    return r->head.p ? header_in(r->head.p, r->head.n, name, vlen) : NULL;
}

/* Read one response from fd into r. raw holds bytes already read beyond
 * the previous response and keeps what follows this one. 0 on success. */
static int read_response(int fd, buf *raw, resp *r, int head_only,
                         double deadline)
{
    char chunk[16384];
    size_t eoh = 0;
    for (;;) {
        const char *e;
        while (raw->n && (e = memfind(raw->p, raw->n, "\r\n\r\n", 4))) {
            eoh = (size_t)(e - raw->p) + 4;
            /* Interim 1xx responses come before the real one. */
            if (raw->n >= 12 && memcmp(raw->p, "HTTP/1.", 7) == 0 &&
                raw->p[9] == '1') {
                memmove(raw->p, raw->p + eoh, raw->n - eoh);
                raw->n -= eoh;
                eoh = 0;
                continue;
            }
            break;
        }
        if (eoh)
            break;
        ssize_t got = recv(fd, chunk, sizeof chunk, 0);
        if (got > 0) {
            buf_add(raw, chunk, (size_t)got);
            if (raw->n > MAX_RESPONSE)
                return -1;
            continue;
        }
        if (got == 0)
            return -1;
        if (errno == EINTR)
            continue;
        if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
            wait_fd(fd, POLLIN, deadline) == 1)
            continue;
        return -1;
    }
    if (raw->n < 12 || memcmp(raw->p, "HTTP/1.", 7) != 0)
        return -1;
    buf_add(&r->head, raw->p, eoh - 2);
    r->status = atoi(raw->p + 9);
    size_t vl = 0, used = eoh;
    const char *te = header(r, "Transfer-Encoding", &vl);
    int chunked = te && vl >= 7 && strncasecmp(te + vl - 7, "chunked", 7) == 0;
    const char *cl = header(r, "Content-Length", &vl);
    const char *cn = header(r, "Connection", &vl);
    r->closed = cn && vl >= 5 && strncasecmp(cn, "close", 5) == 0;
    if (head_only || r->status == 204 || r->status == 304) {
        /* no body */
    } else if (chunked) {
        for (;;) {
            /* size line */
            const char *nl;
            while (!(nl = memfind(raw->p + used, raw->n - used, "\r\n", 2))) {
                ssize_t got = recv(fd, chunk, sizeof chunk, 0);
                if (got > 0) {
                    buf_add(raw, chunk, (size_t)got);
                    continue;
                }
                if (got < 0 && (errno == EAGAIN || errno == EINTR) &&
                    wait_fd(fd, POLLIN, deadline) == 1)
                    continue;
                return -1;
            }
            size_t size = 0;
            for (const char *q = raw->p + used; q < nl && hexval(*q) >= 0; q++)
                size = size * 16 + (size_t)hexval(*q);
            used = (size_t)(nl - raw->p) + 2;
            while (raw->n - used < size + 2) {
                ssize_t got = recv(fd, chunk, sizeof chunk, 0);
                if (got > 0) {
                    buf_add(raw, chunk, (size_t)got);
                    continue;
                }
                if (got < 0 && (errno == EAGAIN || errno == EINTR) &&
                    wait_fd(fd, POLLIN, deadline) == 1)
                    continue;
                return -1;
            }
            buf_add(&r->body, raw->p + used, size);
            used += size + 2;
            if (size == 0)
                break;
        }
    } else if (cl) {
        size_t want = (size_t)strtoull(cl, NULL, 10);
        if (want > MAX_RESPONSE)
            return -1;
        while (raw->n - used < want) {
            ssize_t got = recv(fd, chunk, sizeof chunk, 0);
            if (got > 0) {
                buf_add(raw, chunk, (size_t)got);
                continue;
            }
            if (got < 0 && (errno == EAGAIN || errno == EINTR) &&
                wait_fd(fd, POLLIN, deadline) == 1)
                continue;
            return -1;
        }
        buf_add(&r->body, raw->p + used, want);
        used += want;
    } else {
        /* Until the server closes. */
        for (;;) {
            ssize_t got = recv(fd, chunk, sizeof chunk, 0);
            if (got > 0) {
                buf_add(raw, chunk, (size_t)got);
                continue;
            }
            if (got == 0)
                break;
            if ((errno == EAGAIN || errno == EINTR) &&
                wait_fd(fd, POLLIN, deadline) == 1)
                continue;
            return -1;
        }
        buf_add(&r->body, raw->p + used, raw->n - used);
        used = raw->n;
        r->closed = 1;
    }
    buf_adds(&r->body, "");
    memmove(raw->p, raw->p + used, raw->n - used);
    raw->n -= used;
    return 0;
}

void conn_close(conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    buf_reset(&c->raw);
}

/* Percent-encode s for a query string or path segment. */
void pct(buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~')
            buf_addc(b, (char)*p);
        else {
            buf_addc(b, '%');
            buf_addc(b, hex[*p >> 4]);
            buf_addc(b, hex[*p & 15]);
        }
    }
}

/* Send one request on c (dialling when needed) and read the response.
 * A reused connection that the server closed meanwhile is redialled once. */
int http_request(conn *c, const char *method, const char *target,
                        const char *key, const char *body, const char *extra,
                        resp *out)
{
    buf req = {0};
    buf_printf(&req, "%s %s HTTP/1.1\r\nHost: %s:%s\r\n", method, target,
               g_host, g_port);
    if (key)
        buf_printf(&req, "Authorization: Bearer %s\r\n", key);
    if (extra)
        buf_adds(&req, extra);
    if (body)
        buf_printf(&req, "Content-Type: application/json\r\n"
                         "Content-Length: %zu\r\n\r\n%s",
                   strlen(body), body);
    else
        buf_adds(&req, "\r\n");
    int ret = -1;
    for (int attempt = 0; attempt < 2 && ret != 0; attempt++) {
        double deadline = now_s() + IO_TIMEOUT_MS / 1000.0;
        int fresh = c->fd < 0;
        resp_free(out);
        if (c->fd < 0) {
            buf_reset(&c->raw);
            c->fd = dial(deadline);
            if (c->fd < 0)
                break;
        }
        if (send_all(c->fd, req.p, req.n, deadline) == 0 &&
            read_response(c->fd, &c->raw, out,
                          strcmp(method, "HEAD") == 0, deadline) == 0) {
            ret = 0;
            if (out->closed)
                conn_close(c);
        } else {
            conn_close(c);
            if (fresh)
                break;
        }
    }
    buf_free(&req);
    return ret;
}

/* --- expected audit entries --- */

/* The route template of a path, as the audit log names it. */
const char *route_of(const char *method, const char *path, char *id,
                            size_t idn)
{
    static const char *const pats[] = {
        "/v1/documents/{id}/versions", "/v1/documents/{id}/diff",
        "/v1/documents/{id}/rollback", "/v1/documents/{id}/feedback",
        "/v1/documents/{id}/purge",    "/v1/documents/{id}"};
    char p[1024];
    snprintf(p, sizeof p, "%s", path);
    char *qm = strchr(p, '?');
    if (qm)
        *qm = '\0';
    id[0] = '\0';
    (void)method;
    if (strncmp(p, "/v1/documents/", 14) == 0 && p[14]) {
        const char *rest = p + 14;
        const char *slash = strchr(rest, '/');
        size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
        snprintf(id, idn, "%.*s", (int)n, rest);
        const char *suffix = slash ? slash : "";
        for (size_t i = 0; i < sizeof pats / sizeof *pats; i++)
            if (strcmp(pats[i] + 18, suffix) == 0)
                return pats[i];
        return "-";
    }
    static const char *const plain[] = {"/v1/search", "/v1/related",
                                        "/v1/suggest", "/v1/documents",
                                        "/v1/admin/backup", "/healthz",
                                        "/metrics"};
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
        if (strcmp(plain[i], p) == 0)
            return plain[i];
    return "-";
}

void expect_entry(const char *action, int status, const char *method,
                         const char *route, const char *id, int version,
                         int from, int role)
{
    if (!g_expect)
        return;
    json_t *e = json_pack("{s:s,s:i,s:s,s:s,s:s}", "action", action,
                          "status", status, "method", method, "route", route,
                          "key", key_names[role]);
    if (id && *id)
        json_object_set_new(e, "id", json_string(id));
    if (version > 0)
        json_object_set_new(e, "version", json_integer(version));
    if (from > 0)
        json_object_set_new(e, "from", json_integer(from));
    char *s = json_dumps(e, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(e);
    pthread_mutex_lock(&expect_lock);
    FILE *f = fopen(g_expect, "a");
    if (f && s) {
        fprintf(f, "%s\n", s);
        fclose(f);
    } else if (f)
        fclose(f);
    pthread_mutex_unlock(&expect_lock);
    free(s);
}

/* Refusals the server must audit: 401, 403, 429. */
static void expect_refusal(const char *method, const char *path, int status,
                           int role)
{
    if (status != 401 && status != 403 && status != 429)
        return;
    char id[256];
    const char *route = route_of(method, path, id, sizeof id);
    /* An unknown key has no name: the line says "-". */
    expect_entry("refused", status, method, route, id, 0, 0,
                 status == 401 ? R_ANON : role);
}

/* One request as a role on a fresh or kept connection; refusals are noted
 * for the audit check. */
int call(conn *c, int role, const char *method, const char *target,
                const char *body, resp *out)
{
    int rc = http_request(c, method, target,
                          role == R_ANON ? NULL : role_keys[role], body, NULL,
                          out);
    if (rc == 0)
        expect_refusal(method, target, out->status, role);
    return rc;
}

/* --- small probes --- */

/* One request and its check, for the controls and the dedicated checks. */
int probe(int role, const char *method, const char *target,
                 const char *body, int want, const char *what, json_t **out)
{
    conn c = CONN_INIT;
    resp r = {0};
    int rc = call(&c, role, method, target, body, &r);
    conn_close(&c);
    buf_free(&c.raw);
    int ok = rc == 0 && r.status == want;
    if (!ok) {
        buf ex = {0};
        excerpt(&ex, buf_str(&r.body), r.body.n, 300);
        check(0, "%s (%s %s as %s: %d, expected %d: %s)", what, method,
              target, role_names[role], r.status, want, buf_str(&ex));
        buf_free(&ex);
    }
    if (out)
        *out = ok ? json_loadb(buf_str(&r.body), r.body.n, 0, NULL) : NULL;
    resp_free(&r);
    return ok;
}

int json_has_str(const json_t *j, const char *s)
{
    char *d = json_dumps(j, JSON_COMPACT);
    int has = d && strstr(d, s) != NULL;
    free(d);
    return has;
}

int results_have(const json_t *j, const char *id)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(j, "results"), i, r)
        if (!strcmp(json_string_value(json_object_get(r, "id")) ? json_string_value(json_object_get(r, "id")) : "", id))
            return 1;
    return 0;
}


/* --- raw exchanges --- */

/* Send req (all at once) and read until the server closes or timeout_s
 * passes. *status is 0 when nothing came back; *secs how long it took. */
void raw_exchange(const char *req, size_t n, double timeout_s,
                         buf *out, int *status, double *secs)
{
    double t0 = now_s(), deadline = t0 + timeout_s;
    *status = 0;
    buf_reset(out);
    int fd = dial(deadline);
    if (fd >= 0) {
        send_all(fd, req, n, deadline); /* the server may close early */
        char chunk[16384];
        for (;;) {
            ssize_t got = recv(fd, chunk, sizeof chunk, 0);
            if (got > 0) {
                buf_add(out, chunk, (size_t)got);
                if (out->n > MAX_RESPONSE)
                    break;
                continue;
            }
            if (got == 0)
                break;
            if (errno == EINTR)
                continue;
            if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
                wait_fd(fd, POLLIN, deadline) == 1)
                continue;
            break;
        }
        close(fd);
    }
    *secs = now_s() - t0;
    /* The final status: after any interim 1xx responses. */
    const char *p = buf_str(out), *end = p + out->n;
    while (p + 12 <= end && memcmp(p, "HTTP/1.", 7) == 0) {
        *status = atoi(p + 9);
        if (*status >= 200)
            break;
        const char *e = memfind(p, (size_t)(end - p), "\r\n\r\n", 4);
        if (!e)
            break;
        p = e + 4;
    }
}

/* runner.c - deskdex-httptest: run the HTTP cases (tests/http/NNNN-name.test)
 * against a real server on loopback, or an external one (--host/--port) */
#include "kb_buf.h"
#include "kb_doc.h"
#include "kb_error.h"

#include <jansson.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * A case file (see tests/http/README.md) is a comment and sections:
 *
 *   # what the case checks
 *   --- request        METHOD TARGET, then header lines
 *   --- body           sent as-is (trailing newlines dropped)
 *   --- raw            instead of request/body: lines sent verbatim, each
 *                      followed by CRLF (for malformed requests)
 *   --- status         the expected status code
 *   --- json           expected JSON, compared as a subset; "XXX" is any value
 *   --- headers        "Name: substring" lines; "!Name" means absent
 *   --- contains       one raw substring of the body per line
 *   --- not-contains   one substring per line that must not be in the body
 *
 * In request, body, raw, contains and not-contains, \xNN is the byte NN
 * and curl's %repeat[N x TEXT]% is TEXT N times.
 */

#define IO_TIMEOUT_MS 10000 /* one request, connect to last byte */
#define MAX_RESPONSE (16u << 20)
#define MAX_CASE (4u << 20)
#define MAX_SECTIONS 16
#define BODY_SHOWN 400 /* bytes of a failing response printed */

static int io_timeout_ms = IO_TIMEOUT_MS;

static const char *const test_keys[][2] = {
    {"agent-key-123", "agent"},
    {"editor-key-123", "editor"},
    {"admin-key-123", "admin"},
};
/* "revoked-key-123" is deliberately absent from the keys file. */

static const char test_config[] =
    "# written by deskdex-httptest\n"
    "synonym = pwd, passwd => password\n"
    "synonym = \xE7\x99\xBB\xE9\x99\x86 => \xE7\x99\xBB\xE5\xBD\x95\n"
    "synonym = wifi => wi-fi, wlan\n"
    "max_body = 65536\n"
    "rate_limit = 0\n"
    "key_rate_limit = 0\n"
    "max_query = 512\n"
    "threads = 2\n";

/* --- small helpers --- */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
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

/* Append s[0..n) to out with \xNN escapes and %repeat[N x TEXT]% expanded. */
static int expand(kb_buf *out, const char *s, size_t n)
{
    static const char rep[] = "%repeat[";
    const size_t rl = sizeof rep - 1;
    size_t i = 0;
    int rc = KB_OK;
    while (i < n && rc == KB_OK) {
        if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' &&
            hexval(s[i + 2]) >= 0 && hexval(s[i + 3]) >= 0) {
            rc = kb_buf_addc(out, (char)(hexval(s[i + 2]) * 16 +
                                         hexval(s[i + 3])));
            i += 4;
            continue;
        }
        if (n - i > rl && memcmp(s + i, rep, rl) == 0) {
            const char *p = s + i + rl, *end = s + n;
            char *e = NULL;
            long count = strtol(p, &e, 10);
            const char *close = NULL;
            for (const char *q = e; q + 1 < end; q++)
                if (q[0] == ']' && q[1] == '%') {
                    close = q;
                    break;
                }
            if (e != p && count >= 0 && count <= 10000000 && close &&
                close - e >= 3 && memcmp(e, " x ", 3) == 0) {
                const char *text = e + 3;
                for (long k = 0; k < count && rc == KB_OK; k++)
                    rc = expand(out, text, (size_t)(close - text));
                i = (size_t)(close + 2 - s);
                continue;
            }
        }
        rc = kb_buf_addc(out, s[i]);
        i++;
    }
    return rc;
}

/* Find needle (n bytes) in hay (h bytes). */
static const char *memfind(const char *hay, size_t h, const char *needle,
                           size_t n)
{
    if (n == 0)
        return hay;
    for (size_t i = 0; i + n <= h; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0)
            return hay + i;
    return NULL;
}

/* A one-line, printable excerpt of bytes for messages. */
static void excerpt(kb_buf *out, const char *s, size_t n, size_t max)
{
    for (size_t i = 0; i < n && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n')
            kb_buf_adds(out, "\\n");
        else if (c == '\r')
            kb_buf_adds(out, "\\r");
        else if (c < 0x20 || c == 0x7f)
            kb_buf_printf(out, "\\x%02x", c);
        else
            kb_buf_addc(out, (char)c);
    }
    if (n > max)
        kb_buf_printf(out, "... (%zu bytes)", n);
}

/* --- case files --- */

typedef struct {
    char name[32];
    kb_buf text;
} section;

typedef struct {
    char desc[256];
    section s[MAX_SECTIONS];
    int n;
} tcase;

static const char *const known_sections[] = {
    "request", "body", "raw", "status", "json", "headers", "contains",
    "not-contains", NULL};

static void case_free(tcase *c)
{
    for (int i = 0; i < c->n; i++)
        kb_buf_free(&c->s[i].text);
    memset(c, 0, sizeof *c);
}

/* The section's text (borrowed), or NULL when the case has none. */
static const kb_buf *sect(const tcase *c, const char *name)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->s[i].name, name) == 0)
            return &c->s[i].text;
    return NULL;
}

static int case_load(tcase *c, const char *dir, const char *file,
                     kb_buf *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    memset(c, 0, sizeof *c);
    FILE *f = fopen(path, "rb");
    if (!f) {
        kb_buf_printf(err, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    kb_buf all = KB_BUF_INIT(MAX_CASE);
    char chunk[8192];
    size_t got;
    int rc = KB_OK;
    while (rc == KB_OK && (got = fread(chunk, 1, sizeof chunk, f)) > 0)
        rc = kb_buf_add(&all, chunk, got);
    fclose(f);
    if (rc != KB_OK || !all.data) {
        kb_buf_printf(err, "%s: empty or over %u bytes", path, MAX_CASE);
        kb_buf_free(&all);
        return -1;
    }
    section *cur = NULL;
    int ret = 0;
    const char *p = all.data, *end = all.data + all.len;
    int lineno = 0;
    while (p < end && ret == 0) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        size_t l = len;
        lineno++;
        if (l && p[l - 1] == '\r')
            l--;
        if (l >= 4 && memcmp(p, "--- ", 4) == 0) {
            char name[32];
            size_t nn = l - 4;
            while (nn && p[4 + nn - 1] == ' ')
                nn--;
            int ok = nn > 0 && nn < sizeof name;
            if (ok) {
                memcpy(name, p + 4, nn);
                name[nn] = '\0';
                ok = 0;
                for (int k = 0; known_sections[k]; k++)
                    ok |= strcmp(known_sections[k], name) == 0;
            }
            if (!ok || c->n == MAX_SECTIONS || sect(c, name)) {
                kb_buf_printf(err, "%s:%d: unknown or repeated section \"",
                              path, lineno);
                excerpt(err, p + 4, l - 4, 40);
                kb_buf_adds(err, "\"");
                ret = -1;
                break;
            }
            cur = &c->s[c->n++];
            snprintf(cur->name, sizeof cur->name, "%s", name);
            cur->text = (kb_buf)KB_BUF_INIT(MAX_CASE);
            kb_buf_adds(&cur->text, "");
        } else if (cur) {
            /* Keep the line and its newline exactly; callers trim. */
            kb_buf_add(&cur->text, p, nl ? len + 1 : len);
        } else if (l && p[0] == '#' && !c->desc[0]) {
            size_t k = 1;
            while (k < l && p[k] == ' ')
                k++;
            snprintf(c->desc, sizeof c->desc, "%.*s", (int)(l - k), p + k);
        }
        p = nl ? nl + 1 : end;
    }
    kb_buf_free(&all);
    if (ret == 0 && !sect(c, "status")) {
        kb_buf_printf(err, "%s: no --- status section", path);
        ret = -1;
    }
    if (ret == 0 && !sect(c, "request") == !sect(c, "raw")) {
        kb_buf_printf(err, "%s: needs exactly one of --- request and "
                      "--- raw", path);
        ret = -1;
    }
    return ret;
}

/* Next line of a section: [*line, *len) without its newline or CR. */
static int next_line(const char **p, const char *end, const char **line,
                     size_t *len)
{
    if (*p >= end)
        return 0;
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
    *line = *p;
    *len = n && (*p)[n - 1] == '\r' ? n - 1 : n;
    *p = nl ? nl + 1 : end;
    return 1;
}

/* --- the HTTP client: one request per connection --- */

typedef struct {
    int status;
    kb_buf head; /* status line and headers, as received */
    kb_buf body; /* decoded body */
} response;

static void response_free(response *r)
{
    kb_buf_free(&r->head);
    kb_buf_free(&r->body);
}

static int wait_fd(int fd, short ev, double deadline)
{
    for (;;) {
        double left = deadline - now_ms();
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

static int dial(const char *host, const char *port, double deadline,
                kb_buf *err)
{
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(host, port, &hints, &ai);
    if (g != 0) {
        kb_buf_printf(err, "%s:%s: %s", host, port, gai_strerror(g));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
        if (fd < 0)
            continue;
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            break;
        int soerr = errno;
        if (soerr == EINPROGRESS && wait_fd(fd, POLLOUT, deadline) == 1) {
            socklen_t sl = sizeof soerr;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
                soerr == 0)
                break;
        } else if (soerr == EINPROGRESS) {
            soerr = ETIMEDOUT;
        }
        if (!a->ai_next)
            kb_buf_printf(err, "connect %s:%s: %s", host, port,
                          strerror(soerr));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

/* Decode a chunked body in place into out. 0, or -1 when malformed. */
static int dechunk(const char *s, size_t n, kb_buf *out)
{
    size_t i = 0;
    for (;;) {
        size_t size = 0;
        int digits = 0;
        while (i < n && hexval(s[i]) >= 0) {
            if (size > (MAX_RESPONSE >> 4))
                return -1;
            size = size * 16 + (size_t)hexval(s[i++]);
            digits++;
        }
        if (!digits)
            return -1;
        const char *crlf = memfind(s + i, n - i, "\r\n", 2);
        if (!crlf)
            return -1;
        i = (size_t)(crlf - s) + 2; /* chunk extensions are skipped */
        if (size == 0)
            return 0;
        if (n - i < size + 2 || kb_buf_add(out, s + i, size) != KB_OK)
            return -1;
        i += size + 2;
    }
}

/* The value of header name in head (a borrowed pointer and its length), or
 * NULL. */
static const char *header_value(const kb_buf *head, const char *name,
                                size_t *vlen)
{
    const char *p = head->data, *end = head->data + head->len, *line;
    size_t len, nl = strlen(name);
    next_line(&p, end, &line, &len); /* the status line */
    while (next_line(&p, end, &line, &len)) {
        if (len > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0) {
            const char *v = line + nl + 1;
            while (v < line + len && (*v == ' ' || *v == '\t'))
                v++;
            *vlen = (size_t)(line + len - v);
            while (*vlen && (v[*vlen - 1] == ' ' || v[*vlen - 1] == '\t'))
                (*vlen)--;
            return v;
        }
    }
    return NULL;
}

/* Send req and read the whole response (the server closes after it). */
static int http_exchange(const char *host, const char *port, const char *req,
                         size_t reqlen, int head_only, response *out,
                         kb_buf *err)
{
    double deadline = now_ms() + io_timeout_ms;
    kb_buf raw = KB_BUF_INIT(MAX_RESPONSE);
    int ret = -1;
    memset(out, 0, sizeof *out);
    out->head = (kb_buf)KB_BUF_INIT(MAX_RESPONSE);
    out->body = (kb_buf)KB_BUF_INIT(MAX_RESPONSE);
    int fd = dial(host, port, deadline, err);
    if (fd < 0)
        goto done;
    size_t sent = 0;
    while (sent < reqlen) {
        ssize_t w = send(fd, req + sent, reqlen - sent, MSG_NOSIGNAL);
        if (w > 0) {
            sent += (size_t)w;
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
            wait_fd(fd, POLLOUT, deadline) == 1)
            continue;
        /* The server may answer (413, 400) before taking it all: read on. */
        break;
    }
    char chunk[16384];
    for (;;) {
        ssize_t r = recv(fd, chunk, sizeof chunk, 0);
        if (r > 0) {
            if (kb_buf_add(&raw, chunk, (size_t)r) != KB_OK) {
                kb_buf_printf(err, "response over %u bytes", MAX_RESPONSE);
                goto done;
            }
            continue;
        }
        if (r == 0)
            break;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int w = wait_fd(fd, POLLIN, deadline);
            if (w == 1)
                continue;
            kb_buf_printf(err, "no complete response within %d ms",
                          io_timeout_ms);
            goto done;
        }
        if (errno == ECONNRESET && raw.len)
            break; /* the reply came before the reset */
        kb_buf_printf(err, "recv: %s", strerror(errno));
        goto done;
    }
    if (!raw.len) {
        kb_buf_adds(err, "the server closed the connection without a reply");
        goto done;
    }
    const char *eoh = memfind(raw.data, raw.len, "\r\n\r\n", 4);
    if (!eoh || raw.len < 12 || memcmp(raw.data, "HTTP/1.", 7) != 0) {
        kb_buf_adds(err, "malformed response: ");
        excerpt(err, raw.data, raw.len, 200);
        goto done;
    }
    kb_buf_add(&out->head, raw.data, (size_t)(eoh - raw.data) + 2);
    char *e = NULL;
    long st = strtol(raw.data + 9, &e, 10);
    if (e != raw.data + 12 || st < 100 || st > 599) {
        kb_buf_adds(err, "malformed status line");
        goto done;
    }
    out->status = (int)st;
    const char *b = eoh + 4;
    size_t blen = raw.len - (size_t)(b - raw.data), vl = 0;
    const char *te = header_value(&out->head, "Transfer-Encoding", &vl);
    const char *cl = NULL;
    if (head_only || out->status == 204 || out->status == 304) {
        if (blen) {
            kb_buf_printf(err, "a %s response carries %zu body bytes",
                          head_only ? "HEAD" : "bodiless", blen);
            goto done;
        }
    } else if (te && vl >= 7 && strncasecmp(te + vl - 7, "chunked", 7) == 0) {
        if (dechunk(b, blen, &out->body) != 0) {
            kb_buf_adds(err, "malformed chunked body");
            goto done;
        }
        b = NULL;
    } else if ((cl = header_value(&out->head, "Content-Length", &vl))) {
        unsigned long long want = strtoull(cl, NULL, 10);
        if (want != blen) {
            kb_buf_printf(err, "Content-Length %llu but %zu body bytes", want,
                          blen);
            goto done;
        }
    }
    if (b)
        kb_buf_add(&out->body, b, blen);
    kb_buf_adds(&out->body, ""); /* always NUL-terminated, never NULL */
    ret = 0;
done:
    if (fd >= 0)
        close(fd);
    kb_buf_free(&raw);
    return ret;
}

/* --- building the request of a case --- */

static int has_header(const kb_buf *hdrs, const char *name)
{
    size_t n = strlen(name);
    const char *p = hdrs->data ? hdrs->data : "";
    const char *end = p + hdrs->len, *line;
    size_t len;
    while (next_line(&p, end, &line, &len))
        if (len > n && line[n] == ':' && strncasecmp(line, name, n) == 0)
            return 1;
    return 0;
}

static int build_request(const tcase *c, const char *host, const char *port,
                         kb_buf *req, int *head_only, kb_buf *err)
{
    const kb_buf *raw = sect(c, "raw");
    *head_only = 0;
    if (raw) {
        const char *p = raw->data, *end = raw->data + raw->len, *line;
        size_t len;
        while (next_line(&p, end, &line, &len))
            if (expand(req, line, len) != KB_OK ||
                kb_buf_add(req, "\r\n", 2) != KB_OK)
                return -1;
        *head_only = raw->len >= 5 && memcmp(raw->data, "HEAD ", 5) == 0;
        return 0;
    }
    const kb_buf *rq = sect(c, "request");
    const kb_buf *body = sect(c, "body");
    const char *p = rq->data, *end = rq->data + rq->len, *line = NULL;
    size_t len;
    while (next_line(&p, end, &line, &len) && len == 0)
        ;
    while (line && len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    if (!line || len == 0 || !memchr(line, ' ', len)) {
        kb_buf_adds(err, "--- request must start with \"METHOD TARGET\"");
        return -1;
    }
    kb_buf first = KB_BUF_INIT(MAX_CASE), hdrs = KB_BUF_INIT(MAX_CASE),
           b = KB_BUF_INIT(MAX_CASE);
    int rc = expand(&first, line, len);
    while (rc == KB_OK && next_line(&p, end, &line, &len)) {
        if (!len)
            continue;
        rc = expand(&hdrs, line, len);
        if (rc == KB_OK)
            rc = kb_buf_add(&hdrs, "\r\n", 2);
    }
    if (rc == KB_OK && body) {
        size_t n = body->len;
        while (n && (body->data[n - 1] == '\n' || body->data[n - 1] == '\r'))
            n--;
        rc = expand(&b, body->data, n);
    }
    if (rc == KB_OK) {
        kb_buf_adds(&first, "");
        *head_only = strncmp(first.data, "HEAD ", 5) == 0;
        /* "GET /x" or "GET /x HTTP/1.0": add the version when missing. */
        const char *sp = strchr(first.data, ' ');
        kb_buf_add(req, first.data, first.len);
        if (!strchr(sp + 1, ' '))
            kb_buf_adds(req, " HTTP/1.1");
        kb_buf_adds(req, "\r\n");
        kb_buf_adds(&hdrs, "");
        if (!has_header(&hdrs, "Host"))
            kb_buf_printf(req, "Host: %s:%s\r\n", host, port);
        kb_buf_add(req, hdrs.data, hdrs.len);
        if (!has_header(&hdrs, "Connection"))
            kb_buf_adds(req, "Connection: close\r\n");
        if (body && !has_header(&hdrs, "Content-Length") &&
            !has_header(&hdrs, "Transfer-Encoding"))
            kb_buf_printf(req, "Content-Length: %zu\r\n", b.len);
        kb_buf_adds(req, "\r\n");
        rc = kb_buf_add(req, b.data ? b.data : "", b.len);
    }
    kb_buf_free(&first);
    kb_buf_free(&hdrs);
    kb_buf_free(&b);
    if (rc != KB_OK)
        kb_buf_printf(err, "cannot build the request: %s", kb_strerror(rc));
    return rc == KB_OK ? 0 : -1;
}

/* --- checks --- */

static void path_key(char *path, size_t n, size_t at, const char *key)
{
    if (at < n)
        snprintf(path + at, n - at, ".%s", key);
}

static void path_index(char *path, size_t n, size_t at, size_t i)
{
    if (at < n)
        snprintf(path + at, n - at, "[%zu]", i);
}

static void describe(kb_buf *out, const json_t *v)
{
    char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (s)
        excerpt(out, s, strlen(s), 120);
    else
        kb_buf_adds(out, "nothing");
    free(s);
}

/* Is exp a subset of act? On a mismatch says where in why. */
static int subset(const json_t *exp, const json_t *act, char *path,
                  size_t pn, kb_buf *why)
{
    size_t at = strlen(path);
    int ok = 1;
    if (json_is_string(exp) && strcmp(json_string_value(exp), "XXX") == 0 &&
        act)
        return 1;
    if (json_is_object(exp)) {
        if (!json_is_object(act)) {
            ok = 0;
        } else {
            const char *k;
            json_t *v;
            json_object_foreach((json_t *)exp, k, v)
            {
                path_key(path, pn, at, k);
                json_t *a = json_object_get(act, k);
                if (!a) {
                    kb_buf_printf(why, "%s: missing", path);
                    return 0;
                }
                if (!subset(v, a, path, pn, why))
                    return 0;
            }
            path[at] = '\0';
        }
    } else if (json_is_array(exp)) {
        if (!json_is_array(act)) {
            ok = 0;
        } else {
            size_t i;
            json_t *v;
            json_array_foreach(exp, i, v)
            {
                path_index(path, pn, at, i);
                if (i >= json_array_size(act)) {
                    kb_buf_printf(why, "%s: missing (the array has %zu "
                                  "elements)", path, json_array_size(act));
                    return 0;
                }
                if (!subset(v, json_array_get(act, i), path, pn, why))
                    return 0;
            }
            path[at] = '\0';
        }
    } else if (json_is_number(exp) && json_is_number(act)) {
        ok = json_number_value(exp) == json_number_value(act);
    } else {
        ok = json_equal((json_t *)exp, (json_t *)act);
    }
    if (!ok) {
        kb_buf_printf(why, "%s: expected ", *path ? path : "$");
        describe(why, exp);
        kb_buf_adds(why, ", got ");
        describe(why, act);
    }
    return ok;
}

static void check_lines(const tcase *c, const char *name, const response *r,
                        int want, kb_buf *why)
{
    const kb_buf *s = sect(c, name);
    if (!s)
        return;
    const char *p = s->data, *end = s->data + s->len, *line;
    size_t len;
    while (next_line(&p, end, &line, &len)) {
        if (!len)
            continue;
        kb_buf needle = KB_BUF_INIT(MAX_CASE);
        expand(&needle, line, len);
        int found = needle.len &&
                    memfind(r->body.data, r->body.len, needle.data,
                            needle.len) != NULL;
        if (needle.len && found != want) {
            kb_buf_printf(why, "%sbody %s \"", why->len ? "; " : "",
                          want ? "lacks" : "has");
            excerpt(why, needle.data, needle.len, 80);
            kb_buf_adds(why, "\"");
        }
        kb_buf_free(&needle);
    }
}

static void check_headers(const tcase *c, const response *r, kb_buf *why)
{
    const kb_buf *s = sect(c, "headers");
    if (!s)
        return;
    const char *p = s->data, *end = s->data + s->len, *line;
    size_t len;
    while (next_line(&p, end, &line, &len)) {
        if (!len)
            continue;
        char name[128];
        int absent = line[0] == '!';
        const char *colon = memchr(line, ':', len);
        size_t nb = absent ? 1 : 0;
        size_t ne = colon ? (size_t)(colon - line) : len;
        while (ne > nb && line[ne - 1] == ' ')
            ne--;
        snprintf(name, sizeof name, "%.*s", (int)(ne - nb), line + nb);
        const char *want = colon ? colon + 1 : line + len;
        while (want < line + len && *want == ' ')
            want++;
        size_t wl = (size_t)(line + len - want), vl = 0;
        const char *v = header_value(&r->head, name, &vl);
        if (absent && v) {
            kb_buf_printf(why, "%sheader %s is present: ",
                          why->len ? "; " : "", name);
            excerpt(why, v, vl, 80);
        } else if (!absent && !v) {
            kb_buf_printf(why, "%sno header %s", why->len ? "; " : "", name);
        } else if (!absent && !memfind(v, vl, want, wl)) {
            kb_buf_printf(why, "%sheader %s is \"", why->len ? "; " : "",
                          name);
            excerpt(why, v, vl, 80);
            kb_buf_adds(why, "\"");
        }
    }
}

static void check_response(const tcase *c, const response *r, kb_buf *why)
{
    const kb_buf *st = sect(c, "status");
    char *e = NULL;
    long want = strtol(st->data, &e, 10);
    if (e == st->data || want != r->status)
        kb_buf_printf(why, "status %d, expected %ld", r->status, want);
    check_headers(c, r, why);
    const kb_buf *js = sect(c, "json");
    if (js) {
        json_error_t je;
        json_t *exp = json_loadb(js->data, js->len, 0, &je);
        json_t *act = json_loadb(r->body.data, r->body.len, 0, NULL);
        char path[512] = "";
        if (!exp)
            kb_buf_printf(why, "%sthe case's --- json is not JSON: line %d: "
                          "%s", why->len ? "; " : "", je.line, je.text);
        else if (!act)
            kb_buf_printf(why, "%sthe body is not JSON", why->len ? "; " : "");
        else {
            kb_buf sub = KB_BUF_INIT(8192);
            if (!subset(exp, act, path, sizeof path, &sub))
                kb_buf_printf(why, "%sjson %s", why->len ? "; " : "",
                              sub.data ? sub.data : "");
            kb_buf_free(&sub);
        }
        json_decref(exp);
        json_decref(act);
    }
    check_lines(c, "contains", r, 1, why);
    check_lines(c, "not-contains", r, 0, why);
}

/* --- the server under test --- */

typedef struct {
    char bin[1024];
    char tmp[512];
    char host[256];
    char port[16];
    pid_t pid;
    int keep;
} harness;

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int port = -1;
    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
        port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

/* Start argv with stdout and stderr appended to log. */
static pid_t spawn(char *const argv[], const char *log)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
        dup2(devnull, 0);
        close(devnull);
    }
    execv(argv[0], argv);
    fprintf(stderr, "deskdex-httptest: exec %s: %s\n", argv[0],
            strerror(errno));
    _exit(127);
}

static void show_log(const char *log)
{
    FILE *f = fopen(log, "r");
    char line[1024];
    if (!f)
        return;
    while (fgets(line, sizeof line, f))
        fprintf(stderr, "    | %s", line);
    fclose(f);
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = fputs(text, f) >= 0;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

static int write_keys(const char *path)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < sizeof test_keys / sizeof *test_keys; i++) {
        char hex[65], name[64];
        kb_sha256_hex(test_keys[i][0], strlen(test_keys[i][0]), hex);
        snprintf(name, sizeof name, "test-%s", test_keys[i][1]);
        json_array_append_new(arr, json_pack("{s:s,s:s,s:s}", "name", name,
                                             "role", test_keys[i][1],
                                             "sha256", hex));
    }
    int rc = json_dump_file(arr, path, JSON_INDENT(2));
    json_decref(arr);
    return rc;
}

static int healthy(const harness *h)
{
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n"
                              "Connection: close\r\n\r\n";
    response r;
    kb_buf err = KB_BUF_INIT(4096);
    int ok = http_exchange(h->host, h->port, req, sizeof req - 1, 0, &r,
                           &err) == 0 &&
             r.status == 200;
    response_free(&r);
    kb_buf_free(&err);
    return ok;
}

static int start(harness *h, const char *corpus, const char *www)
{
    char db[1024], keys[1024], conf[1024], ilog[1024], slog[1024];
    char index_bin[1200], server_bin[1200];
    const char *t = getenv("TMPDIR");
    snprintf(h->tmp, sizeof h->tmp, "%s/deskdex-httptest.XXXXXX",
             t && *t ? t : "/tmp");
    if (!mkdtemp(h->tmp)) {
        fprintf(stderr, "deskdex-httptest: mkdtemp: %s\n", strerror(errno));
        h->tmp[0] = '\0';
        return -1;
    }
    snprintf(db, sizeof db, "%s/db", h->tmp);
    snprintf(keys, sizeof keys, "%s/keys.json", h->tmp);
    snprintf(conf, sizeof conf, "%s/deskdex.conf", h->tmp);
    snprintf(ilog, sizeof ilog, "%s/index.log", h->tmp);
    snprintf(slog, sizeof slog, "%s/server.log", h->tmp);
    snprintf(index_bin, sizeof index_bin, "%s/deskdex-index", h->bin);
    snprintf(server_bin, sizeof server_bin, "%s/deskdex-server", h->bin);

    char *iargv[] = {index_bin, "--db", db, "--quiet", (char *)corpus, NULL};
    pid_t ip = spawn(iargv, ilog);
    int st = 0;
    if (ip < 0 || waitpid(ip, &st, 0) < 0 || !WIFEXITED(st) ||
        WEXITSTATUS(st) != 0) {
        fprintf(stderr, "deskdex-httptest: indexing %s failed (%s %d):\n",
                corpus, WIFEXITED(st) ? "exit" : "signal",
                WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        show_log(ilog);
        return -1;
    }
    if (write_keys(keys) != 0 || write_file(conf, test_config) != 0) {
        fprintf(stderr, "deskdex-httptest: cannot write %s: %s\n", h->tmp,
                strerror(errno));
        return -1;
    }
    /* MHD cannot report a port it chose, so take a free one and hope
     * nobody grabs it first; retry a few times if somebody does. */
    for (int attempt = 0; attempt < 5; attempt++) {
        int port = free_port();
        if (port < 0) {
            fprintf(stderr, "deskdex-httptest: no free port\n");
            return -1;
        }
        char listen[64];
        snprintf(h->host, sizeof h->host, "127.0.0.1");
        snprintf(h->port, sizeof h->port, "%d", port);
        snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
        char *sargv[] = {server_bin, "--db", db, "--listen", listen,
                         "--www", (char *)www, "--keys", keys, "--config",
                         conf, "--access-log", slog, NULL};
        h->pid = spawn(sargv, slog);
        if (h->pid < 0) {
            fprintf(stderr, "deskdex-httptest: fork: %s\n", strerror(errno));
            return -1;
        }
        double deadline = now_ms() + 15000;
        while (now_ms() < deadline) {
            if (waitpid(h->pid, &st, WNOHANG) == h->pid) {
                h->pid = 0;
                break;
            }
            if (healthy(h))
                return 0;
            sleep_ms(50);
        }
        if (h->pid > 0) {
            fprintf(stderr, "deskdex-httptest: the server did not answer "
                    "/healthz in time\n");
            show_log(slog);
            return -1;
        }
        fprintf(stderr, "deskdex-httptest: the server exited at start "
                "(attempt %d):\n", attempt + 1);
        show_log(slog);
    }
    return -1;
}

/* Stop the server; 0 when it exited cleanly. */
static int stop(harness *h)
{
    int st = 0, ret = 0;
    if (h->pid <= 0)
        return 0;
    pid_t w = waitpid(h->pid, &st, WNOHANG);
    if (w == 0) {
        kill(h->pid, SIGTERM);
        double deadline = now_ms() + 10000;
        while ((w = waitpid(h->pid, &st, WNOHANG)) == 0 &&
               now_ms() < deadline)
            sleep_ms(20);
        if (w == 0) {
            fprintf(stderr, "deskdex-httptest: the server ignored SIGTERM; "
                    "killing it\n");
            kill(h->pid, SIGKILL);
            waitpid(h->pid, &st, 0);
            ret = -1;
        }
    } else {
        fprintf(stderr, "deskdex-httptest: the server died during the "
                "run\n");
        ret = -1;
    }
    if (ret == 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
        fprintf(stderr, "deskdex-httptest: the server stopped with %s %d\n",
                WIFEXITED(st) ? "exit status" : "signal",
                WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        ret = -1;
    }
    h->pid = 0;
    return ret;
}

static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char child[4096];
            snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            remove_tree(child);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* --- running the cases --- */

static int is_case(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 5 && e->d_name[0] != '.' &&
           strcmp(e->d_name + n - 5, ".test") == 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Does the case's name contain any of the filters (none: all run)? */
static int selected(const char *file, char **filters, int nfilters)
{
    for (int i = 0; i < nfilters; i++)
        if (strstr(file, filters[i]))
            return 1;
    return nfilters == 0;
}

/* 1 passed, 0 failed. */
static int run_case(const harness *h, const char *dir, const char *file,
                    int verbose)
{
    tcase c;
    kb_buf why = KB_BUF_INIT(1u << 20), req = KB_BUF_INIT(64u << 20);
    response r;
    int head_only = 0, passed = 0, fetched = 0;
    memset(&r, 0, sizeof r);
    if (case_load(&c, dir, file, &why) == 0 &&
        build_request(&c, h->host, h->port, &req, &head_only, &why) == 0 &&
        http_exchange(h->host, h->port, req.data ? req.data : "", req.len,
                      head_only, &r, &why) == 0) {
        fetched = 1;
        check_response(&c, &r, &why);
        passed = why.len == 0;
    }
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)(strlen(file) - 5), file);
    if (passed) {
        printf("ok   %s\n", name);
    } else {
        printf("FAIL %s: %s\n", name, why.data ? why.data : "?");
        if (c.desc[0])
            printf("     case: %s\n", c.desc);
    }
    if (fetched && (!passed || verbose)) {
        kb_buf shown = KB_BUF_INIT(4096);
        excerpt(&shown, r.body.data, r.body.len, verbose ? 2000 : BODY_SHOWN);
        printf("     got %d: %s\n", r.status, shown.data ? shown.data : "");
        kb_buf_free(&shown);
    }
    fflush(stdout);
    response_free(&r);
    kb_buf_free(&why);
    kb_buf_free(&req);
    case_free(&c);
    return passed;
}

static void usage(FILE *f)
{
    fputs("Usage: deskdex-httptest [--bin DIR] [--corpus DIR] [--www DIR]\n"
          "                        [--host H --port P] [--timeout S] [--keep] [-v]\n"
          "                        CASEDIR [NAME...]\n"
          "\n"
          "Runs every CASEDIR/*.test in name order (or those whose name\n"
          "contains a NAME) against a deskdex-server. Without --host it\n"
          "indexes the tiny corpus into a temporary directory and starts\n"
          "BIN/deskdex-server on a free loopback port with fixed test keys.\n"
          "\n"
          "  --bin DIR      deskdex-index and deskdex-server (default bin)\n"
          "  --corpus DIR   corpus to index (default tests/corpora/tiny\n"
          "                 beside CASEDIR)\n"
          "  --www DIR      the server's --www (default server/www)\n"
          "  --host H       test an already running server instead (with the\n"
          "                 test keys and corpus; the cases that write expect\n"
          "                 a fresh index)\n"
          "  --port P       its port (default 8080)\n"
          "  --timeout S    seconds allowed for one request (default 10)\n"
          "  --keep         keep the temporary directory and print its path\n"
          "  -v             show every response body\n"
          "\n"
          "The last line is \"tests: N passed, N failed\".\n",
          f);
}

int main(int argc, char **argv)
{
    harness h;
    const char *casedir = NULL, *corpus = NULL, *www = NULL;
    char corpus_buf[PATH_MAX + 32], www_buf[PATH_MAX + 32];
    char **filters = NULL;
    int nfilters = 0, external = 0, verbose = 0;
    memset(&h, 0, sizeof h);
    snprintf(h.bin, sizeof h.bin, "bin");
    snprintf(h.port, sizeof h.port, "8080");
    filters = calloc((size_t)argc, sizeof *filters);
    if (!filters)
        return 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--bin") && more)
            snprintf(h.bin, sizeof h.bin, "%s", argv[++i]);
        else if (!strcmp(a, "--corpus") && more)
            corpus = argv[++i];
        else if (!strcmp(a, "--www") && more)
            www = argv[++i];
        else if (!strcmp(a, "--host") && more) {
            snprintf(h.host, sizeof h.host, "%s", argv[++i]);
            external = 1;
        } else if (!strcmp(a, "--port") && more) {
            char *e = NULL;
            long p = strtol(argv[++i], &e, 10);
            if (*e || p < 1 || p > 65535) {
                fprintf(stderr, "deskdex-httptest: bad port %s\n", argv[i]);
                free(filters);
                return 2;
            }
            snprintf(h.port, sizeof h.port, "%ld", p);
        } else if (!strcmp(a, "--timeout") && more) {
            char *e = NULL;
            long t = strtol(argv[++i], &e, 10);
            if (*e || t < 1 || t > 3600) {
                fprintf(stderr, "deskdex-httptest: bad timeout %s\n",
                        argv[i]);
                free(filters);
                return 2;
            }
            io_timeout_ms = (int)(t * 1000);
        } else if (!strcmp(a, "--keep"))
            h.keep = 1;
        else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
            verbose = 1;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            free(filters);
            return 0;
        } else if (a[0] == '-') {
            usage(stderr);
            free(filters);
            return 2;
        } else if (!casedir)
            casedir = a;
        else
            filters[nfilters++] = argv[i];
    }
    if (!casedir) {
        usage(stderr);
        free(filters);
        return 2;
    }
    /* Defaults beside the cases: tests/corpora/tiny and server/www. */
    char real[PATH_MAX], up[PATH_MAX];
    if (!realpath(casedir, real))
        snprintf(real, sizeof real, "%s", casedir);
    snprintf(up, sizeof up, "%s", real);
    char *tests = dirname(up); /* may point into up */
    if (!corpus) {
        snprintf(corpus_buf, sizeof corpus_buf, "%s/corpora/tiny", tests);
        corpus = corpus_buf;
    }
    if (!www) {
        snprintf(www_buf, sizeof www_buf, "%s/../server/www", tests);
        www = www_buf;
    }
    signal(SIGPIPE, SIG_IGN);

    struct dirent **list = NULL;
    int n = scandir(casedir, &list, is_case, by_name);
    int passed = 0, failed = 0, setup = 0;
    if (n < 0) {
        fprintf(stderr, "deskdex-httptest: %s: %s\n", casedir,
                strerror(errno));
        setup = 1;
    } else if (!external && start(&h, corpus, www) != 0) {
        setup = 1;
    }
    for (int i = 0; !setup && i < n; i++) {
        if (!selected(list[i]->d_name, filters, nfilters))
            continue;
        if (run_case(&h, casedir, list[i]->d_name, verbose))
            passed++;
        else
            failed++;
    }
    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);
    free(filters);
    if (!external) {
        if (stop(&h) != 0) {
            printf("FAIL server-exit: the server did not stop cleanly (see "
                   "server.log%s)\n", h.keep ? "" : "; rerun with --keep");
            failed++;
        }
        if (h.tmp[0] && h.keep)
            fprintf(stderr, "deskdex-httptest: kept %s\n", h.tmp);
        else if (h.tmp[0])
            remove_tree(h.tmp);
    }
    if (setup)
        failed++;
    printf("tests: %d passed, %d failed\n", passed, failed);
    return setup ? 2 : failed ? 1 : 0;
}

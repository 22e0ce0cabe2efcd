/* security.h - what deskdex-canary's files share: output, buffers, the HTTP
 * client, roles and keys, audit expectations, canary patterns */
#ifndef DDX_SECURITY_H
#define DDX_SECURITY_H

#include <jansson.h>

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define IO_TIMEOUT_MS 10000    /* one request, connect to last byte */
#define MAX_RESPONSE (32u << 20)
#define FAILS_SHOWN 12         /* failing requests described per check */

/* --- output (client.c) --- */

/* One check on its own line: "ok - what" or "FAIL - what". Returns ok. */
int check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A note: "# what". Notes report; they are not counted. */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* How many checks failed so far. */
int failures(void);

/* --- buffers (client.c): grow as needed, always NUL-terminated --- */

typedef struct {
    char *p;
    size_t n, cap;
} buf;

void buf_add(buf *b, const void *s, size_t n);
void buf_adds(buf *b, const char *s);
void buf_addc(buf *b, char c);
void buf_printf(buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_reset(buf *b);
void buf_free(buf *b);
const char *buf_str(const buf *b); /* borrowed; "" for an empty buffer */
char *xstrdup(const char *s);      /* new; exits when out of memory */
char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A printable one-line excerpt of at most max bytes of s. */
void excerpt(buf *out, const char *s, size_t n, size_t max);
const char *memfind(const char *hay, size_t h, const char *needle, size_t n);
/* ASCII case-insensitive; other bytes compare exactly. */
const char *memcasefind(const char *hay, size_t h, const char *needle,
                        size_t n);
double now_s(void);
void sleep_ms(long ms);

/* --- settings and roles (client.c) --- */

extern char g_port[16];
extern const char *g_host;
extern const char *g_expect; /* expected audit lines are appended here */

enum { R_ANON, R_AGENT, R_EDITOR, R_ADMIN, R_OLD, R_NEW, R_WRONG, R_COUNT };
extern const char *const role_names[R_COUNT];
extern const char *role_keys[R_COUNT]; /* NULL for anonymous */
extern const char *const key_names[R_COUNT]; /* as the audit log names them */
/* Keys from DDX_AGENT_KEY, DDX_EDITOR_KEY, DDX_ADMIN_KEY, DDX_OLD_KEY and
 * DDX_NEW_KEY. */
void load_keys(void);

/* --- the HTTP client (client.c) --- */

typedef struct {
    int status; /* 0: no response */
    buf head;   /* status line and headers */
    buf body;   /* decoded body */
    int closed; /* the server closed the connection after it */
} resp;

/* A client connection, reused while the server keeps it open. */
typedef struct {
    int fd;
    buf raw;
} conn;

#define CONN_INIT {-1, {NULL, 0, 0}}

void resp_free(resp *r);
int wait_fd(int fd, short ev, double deadline);
int dial(double deadline); /* a non-blocking socket to g_host:g_port */
int send_all(int fd, const char *p, size_t n, double deadline);
/* The value of a response header (borrowed), or NULL. */
const char *header(const resp *r, const char *name, size_t *vlen);
void conn_close(conn *c);
/* Percent-encode s for a query string or a path segment. */
void pct(buf *b, const char *s);
/* One request on c; extra is more header lines ("Name: v\r\n"). 0 when a
 * response came back. */
int http_request(conn *c, const char *method, const char *target,
                 const char *key, const char *body, const char *extra,
                 resp *out);
/* Send req and read until the server closes or timeout_s passes; *status
 * is the final status (0: nothing came back), *secs how long it took. */
void raw_exchange(const char *req, size_t n, double timeout_s, buf *out,
                  int *status, double *secs);

/* --- requests as a role, with the audit lines they cause (client.c) --- */

/* The route template of a path as the audit log names it; id gets the
 * path's {id}. */
const char *route_of(const char *method, const char *path, char *id,
                     size_t idn);
void expect_entry(const char *action, int status, const char *method,
                  const char *route, const char *id, int version, int from,
                  int role);
/* One request as role; 401, 403 and 429 are expected in the audit log. */
int call(conn *c, int role, const char *method, const char *target,
         const char *body, resp *out);
/* One request; a FAIL line when the status is not want. *out (when asked
 * for) gets the body as JSON (new), or NULL. */
int probe(int role, const char *method, const char *target, const char *body,
          int want, const char *what, json_t **out);
int results_have(const json_t *j, const char *id);
int json_has_str(const json_t *j, const char *s);

/* --- canaries (canary.c) --- */

/* Classes of secret text. */
enum {
    HIDDEN = 1, /* internal or archived: anonymous callers never see it */
    DRAFT = 2,  /* drafts: neither anonymous callers nor agents */
    GONE = 4,   /* purged or never stored: nobody */
    PII = 8,    /* personal data: nobody, ever */
};

struct pat {
    const char *s;
    int cls;
};

/* The first canary of the classes in mask found in s, or NULL. */
const struct pat *find_pat(const char *s, size_t n, int mask);

/* Ticket text full of personal data (access.c), posted and searched. */
extern const char pii_text_1[];
extern const char pii_text_2[];

/* --- the modes: each prints its checks --- */

int mode_sweep(void);                               /* canary.c */
int mode_pii(void);
int mode_writes(void);                              /* access.c */
int mode_req(const char *as, const char *method, const char *path,
             const char *body, int want, const char *what);
int mode_keys(const char *phase);
int mode_burst(void);
int mode_audit(const char *audit_path);
int mode_hostile(long pid, long max_body, int san); /* hostile.c */
int mode_edges(long timeout);
int mode_slow(long timeout, long max_conns);
int mode_race(void);

#endif

/* canary.c - deskdex-canary: the security proof run by tests/cli/security.sh
 * (canary words never reach a caller who may not see them, keys, rate
 * limits, the audit log, hostile and slow clients, personal data) */
#include "security.h"

#include <ctype.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * One program, one mode per part of the proof (see tests/security/README.md):
 *
 *   deskdex-canary port                 print a free loopback port
 *   deskdex-canary writes  --port P     editor and admin writes, refusals
 *   deskdex-canary sweep   --port P     >= 10,000 requests as anonymous and
 *                                       agent: no canary where it must not be
 *   deskdex-canary pii     --port P     personal data in no response
 *   deskdex-canary keys    --port P [--as after]   every keyed route
 *                                       refuses missing, wrong, revoked keys
 *   deskdex-canary req     --port P --as WHO --method M --path P --want S
 *   deskdex-canary burst   --port P     rate limits answer 429, then recover
 *   deskdex-canary audit   --audit FILE every write and refusal is a line
 *   deskdex-canary hostile --port P --pid PID   hostile requests, RSS
 *   deskdex-canary edges   --port P     raw cases a dropped connection
 *                                       may answer
 *   deskdex-canary slow    --port P     slow clients are dropped
 *   deskdex-canary race    --port P     concurrent filter-only searches
 *
 * Every check prints "ok - ..." or "FAIL - ..." on its own line; notes and
 * details start with "#". Keys come from the environment (DDX_AGENT_KEY,
 * DDX_EDITOR_KEY, DDX_ADMIN_KEY, DDX_OLD_KEY, DDX_NEW_KEY); --expect FILE
 * collects the audit lines the requests must have caused, one JSON object a
 * line, for the audit mode.
 */

#define SWEEP_MIN 10000
#define SWEEP_THREADS 4

/* --- canaries --- */

static int forbidden(int role)
{
    switch (role) {
    case R_ANON: return HIDDEN | DRAFT | GONE | PII;
    case R_AGENT: case R_OLD: case R_NEW: return DRAFT | GONE | PII;
    default: return GONE | PII;
    }
}

/* Each pattern is searched ASCII case-insensitively in every body and
 * header. Words are whole canaries and their ids; Chinese ones are the
 * bigrams of the canary phrases, which no visible document contains. */
static const struct pat pats[] = {
    /* internal documents, the internal manual and tickets */
    {"quokkacanary", HIDDEN}, {"bilbycanary", HIDDEN},
    {"wallabycanary", HIDDEN}, {"platypuscanary", HIDDEN},
    {"mynahcanary", HIDDEN}, {"sourcecanary", HIDDEN},
    {"emuid", HIDDEN}, {"prodquoll", HIDDEN}, {"catdingo", HIDDEN},
    {"tagnumbat", HIDDEN}, {"\xE8\xA2\x8B\xE9\xBC\xAC", HIDDEN}, /* 袋鼬 */
    {"\xE9\xBC\xAC\xE9\x87\x91", HIDDEN},                       /* 鼬金 */
    {"\xE9\x87\x91\xE4\xB8\x9D", HIDDEN},                       /* 金丝 */
    {"\xE4\xB8\x9D\xE9\x9B\x80", HIDDEN},                       /* 丝雀 */
    /* public in version 1, internal in version 2 */
    {"lyrebird", HIDDEN},
    /* archived by DELETE: agents may still read it by id */
    {"numbatarchived", HIDDEN}, {"sec-archive-me", HIDDEN},
    /* drafts, a draft ticket, a draft version 1 and a draft version 2 */
    {"dugongcanary", DRAFT}, {"kakapocanary", DRAFT},
    {"potoroocanary", DRAFT}, {"bandicootcanary", DRAFT},
    {"cuscuscanary", DRAFT}, {"galahid", DRAFT}, {"faq-sec-wip", DRAFT},
    {"prodtaipan", DRAFT}, {"catbrolga", DRAFT}, {"tagcassowary", DRAFT},
    {"\xE9\xB8\xB8\xE9\xB9\x8B", DRAFT}, /* 鸸鹋 */
    {"\xE9\xB9\x8B\xE5\x93\xA8", DRAFT}, /* 鹋哨 */
    {"\xE5\x93\xA8\xE5\x85\xB5", DRAFT}, /* 哨兵 */
    /* purged by an admin; an open ticket that is never stored */
    {"echidnapurged", GONE}, {"sec-purge-me", GONE},
    {"tuatarcanary", GONE}, {"sec-open", GONE},
    /* request bodies of refused writes must not be stored or logged */
    {"refusalbodycanary", GONE},
    /* personal data of the tickets in tests/security/corpus/tickets/pii.jsonl
     * and of the ones written through the API (numbers match only whole) */
    {"qpiimail7", PII}, {"li.wei", PII}, {"corp.example.cn", PII},
    {"13912345670", PII}, {"555 0142", PII}, {"13812345678", PII},
    {"138-1234-5678", PII}, {"138 1234 5678", PII}, {"5550 1234", PII},
    {"110105199003071239", PII}, {"31011519770815123X", PII},
    {"10.20.30.40", PII}, {"192.168.77.23", PII},
    {"4111 1111 1111 1111", PII}, {"4111111111111111", PII},
    {"5555-5555-5555-4444", PII}, {"5555555555554444", PII},
    {"378282246310005", PII}, {"6011111111111117", PII},
};
#define NPATS (sizeof pats / sizeof *pats)

static int isdig(char c) { return c >= '0' && c <= '9'; }

/* Is pattern p in s? A pattern that starts or ends with a digit matches
 * only where no digit continues it (a number inside a longer number, a
 * latency in the metrics, is not personal data). */
static int has_pat(const char *s, size_t n, const char *p)
{
    size_t pn = strlen(p);
    const char *at = s;
    while ((at = memcasefind(at, n - (size_t)(at - s), p, pn))) {
        int before = at > s && isdig(at[-1]) && isdig(p[0]);
        int after = at + pn < s + n && isdig(at[pn]) && isdig(p[pn - 1]);
        if (!before && !after)
            return 1;
        at++;
    }
    return 0;
}

/* The first pattern of the classes in mask found in s, or NULL. */
const struct pat *find_pat(const char *s, size_t n, int mask)
{
    for (size_t i = 0; i < NPATS; i++)
        if ((pats[i].cls & mask) && has_pat(s, n, pats[i].s))
            return &pats[i];
    return NULL;
}

/* What a request sent that the response may quote back: the query (in
 * "query" and, word by word, "did_you_mean") and the path and parameters
 * (in error messages). Suggest's "terms" are the ticket's own words. */
typedef struct {
    const char *q;
    const char *echo[8];
    int necho;
    const char *input; /* suggest: subject and description */
} echoes;

/* Blank out every occurrence of tok in b. */
static void strip(buf *b, const char *tok)
{
    size_t n = tok ? strlen(tok) : 0;
    if (!n || !b->p)
        return;
    char *p = b->p;
    const char *f;
    while ((f = memcasefind(p, b->n - (size_t)(p - b->p), tok, n))) {
        memset((char *)f, 1, n);
        p = (char *)f + n;
    }
}

static int wordch(unsigned char c) { return isalnum(c) || c >= 0x80; }

/* Blank out the whole-word occurrences of each word of text in b. */
static void strip_words(buf *b, const char *text)
{
    if (!text || !b->p)
        return;
    char *copy = xstrdup(text);
    for (char *w = strtok(copy, " \t\r\n\"+-*():,?"); w;
         w = strtok(NULL, " \t\r\n\"+-*():,?")) {
        size_t n = strlen(w);
        char *p = b->p;
        const char *f;
        while ((f = memcasefind(p, b->n - (size_t)(p - b->p), w, n))) {
            int lb = f == b->p || !wordch((unsigned char)f[-1]);
            int rb = f + n == b->p + b->n || !wordch((unsigned char)f[n]);
            if (lb && rb)
                memset((char *)f, 1, n);
            p = (char *)f + 1;
        }
    }
    free(copy);
}

/* Scan a JSON value for patterns of mask; the first leak goes to why. */
static int scan_json(const json_t *v, const char *path, const echoes *ec,
                     int mask, buf *why)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x)
        {
            const struct pat *p = find_pat(k, strlen(k), mask);
            if (p) {
                buf_printf(why, "key %s.%s holds \"%s\"", path, k, p->s);
                return 1;
            }
            char sub[256];
            snprintf(sub, sizeof sub, "%s.%s", path, k);
            if (scan_json(x, sub, ec, mask, why))
                return 1;
        }
        return 0;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            char sub[256];
            snprintf(sub, sizeof sub, "%s[]", path);
            if (scan_json(x, sub, ec, mask, why))
                return 1;
        }
        return 0;
    }
    if (!json_is_string(v))
        return 0;
    buf s = {0};
    buf_add(&s, json_string_value(v), json_string_length(v));
    if (!strcmp(path, "$.query") && ec->q && !strcmp(ec->q, buf_str(&s)))
        buf_reset(&s);
    else if (!strcmp(path, "$.did_you_mean"))
        strip_words(&s, ec->q);
    else if (!strcmp(path, "$.error.message"))
        for (int i = 0; i < ec->necho; i++)
            strip(&s, ec->echo[i]);
    else if (!strcmp(path, "$.terms[]") && ec->input &&
             memcasefind(ec->input, strlen(ec->input), buf_str(&s), s.n))
        buf_reset(&s); /* the ticket's own word; see sweep_oracles() */
    const struct pat *p = find_pat(buf_str(&s), s.n, mask);
    if (p) {
        buf_printf(why, "%s holds \"%s\": ", path, p->s);
        excerpt(why, json_string_value(v), json_string_length(v), 160);
    }
    buf_free(&s);
    return p != NULL;
}

/* 1 when the response shows the role something of the classes in mask. */
static int leaks(const resp *r, const echoes *ec, int mask, buf *why)
{
    const struct pat *p = find_pat(buf_str(&r->head), r->head.n, mask);
    if (p) {
        buf_printf(why, "a header holds \"%s\"", p->s);
        return 1;
    }
    size_t vl = 0;
    const char *ct = header(r, "Content-Type", &vl);
    json_t *j = NULL;
    if (ct && vl >= 16 && strncmp(ct, "application/json", 16) == 0)
        j = json_loadb(buf_str(&r->body), r->body.n, 0, NULL);
    if (!j) {
        /* Pages, scripts and metrics quote nothing from the request. */
        p = find_pat(buf_str(&r->body), r->body.n, mask);
        if (p)
            buf_printf(why, "the body holds \"%s\"", p->s);
        return p != NULL;
    }
    int bad = scan_json(j, "$", ec, mask, why);
    json_decref(j);
    return bad;
}

/* --- the corpus as the proof expects it after the writes mode --- */

/* One letter per version: P published public, I published internal, D
 * draft, A archived. "" is a document that does not exist (any more). */
static const struct docspec {
    const char *id;
    const char *states;
} docs[] = {
    {"faq-sec-password", "P"},         {"faq-sec-printer", "P"},
    {"faq-sec-vpn", "P"},              {"faq-sec-quokka", "P"},
    {"faq-sec-zh-printer", "P"},       {"faq-sec-zh-wifi", "P"},
    {"faq-sec-rollback", "PPP"},       {"faq-sec-draft-then-public", "DP"},
    {"sec-guide:overview", "P"},       {"sec-guide:install", "P"},
    {"sec-guide:printing", "P"},       {"faq-emuid-1", "I"},
    {"faq-emuid-2", "I"},              {"faq-emuid-3", "I"},
    {"sec-runbook-emuid:overview", "I"}, {"sec-runbook-emuid:bridge", "I"},
    {"INC-EMUID-1", "I"},              {"INC-SEC-2", "I"},
    {"faq-lyrebird-flip", "PI"},       {"faq-sec-archive-me", "PA"},
    {"INC-PII-F1", "I"},               {"INC-PII-F2", "I"},
    {"INC-PII-F3", "I"},               {"INC-PII-A1", "II"},
    {"INC-PII-A2", "II"},              {"INC-PII-A3", "II"},
    {"draft-galahid-1", "D"},          {"draft-galahid-2", "D"},
    {"draft-galahid-3", "D"},          {"sec-plan-galahid:overview", "D"},
    {"sec-plan-galahid:budget", "D"},  {"INC-GALAHID-9", "D"},
    {"faq-sec-wip", "PD"},             {"faq-sec-purge-me", ""},
    {"INC-SEC-OPEN", ""},              {"no-such-doc", ""},
};
#define NDOCS (sizeof docs / sizeof *docs)

static int sees(int role, char state)
{
    if (role == R_ANON)
        return state == 'P';
    if (role == R_EDITOR || role == R_ADMIN)
        return 1;
    return state == 'P' || state == 'I' || state == 'A';
}

static int readable(int role, const struct docspec *d)
{
    size_t n = strlen(d->states);
    return n && sees(role, d->states[n - 1]);
}

static int version_ok(int role, const struct docspec *d, long v)
{
    long n = (long)strlen(d->states);
    return readable(role, d) && v >= 1 && v <= n && sees(role, d->states[v - 1]);
}

/* --- the sweep --- */

enum {
    RT_SEARCH, RT_RELATED, RT_SUGGEST, RT_DOC, RT_VERSIONS, RT_DIFF,
    RT_FEEDBACK, RT_METRICS, RT_HEALTH, RT_OPENAPI, RT_PAGE, RT_WIDGET,
    RT_DEMO, RT_ASSET, RT_COUNT
};
static const char *const rt_names[RT_COUNT] = {
    "GET /v1/search", "GET /v1/related", "POST /v1/suggest",
    "GET /v1/documents/{id}", "GET /v1/documents/{id}/versions",
    "GET /v1/documents/{id}/diff", "POST /v1/documents/{id}/feedback",
    "GET /metrics", "GET /healthz", "GET /v1/openapi.json", "GET /",
    "GET /widget.js", "GET /demo/ticket-form", "GET /assets/{file}"};

typedef struct {
    int role, rt;
    const char *method;
    char *target; /* encoded */
    char *body;
    echoes ec;
    char *owned[8]; /* strings ec points into */
    int want;       /* status; 0: any below 500 */
    int want_empty; /* 200 with no results and total 0 */
    const char *want_id; /* 200 whose results hold this id */
    int want_versions;   /* /versions: this many entries (-1: unchecked) */
    int serial;          /* filter-only: one at a time (see mode_race) */
} spec;

typedef struct {
    spec *v;
    size_t n, cap;
} specs;

static spec *spec_new(specs *l, int role, int rt, const char *method)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (!l->v)
            exit(2);
    }
    spec *s = &l->v[l->n++];
    memset(s, 0, sizeof *s);
    s->role = role;
    s->rt = rt;
    s->method = method;
    s->want_versions = -1;
    return s;
}

static const char *own(spec *s, char *str)
{
    for (int i = 0; i < 8; i++)
        if (!s->owned[i]) {
            s->owned[i] = str;
            return str;
        }
    return str; /* leaks one string; never happens with the calls below */
}

static void add_echo(spec *s, const char *str)
{
    if (s->ec.necho < 8)
        s->ec.echo[s->ec.necho++] = str;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* Is q made of field filters only (or nothing)? The server answers such a
 * query with Xapian's shared match-all query, which crashes it when several
 * threads use it at once (mode_race checks that); the sweep sends these one
 * at a time so that the crash cannot hide a leak. */
static int filter_only(const char *q)
{
    static const char *const fields[] = {"product:", "tag:", "category:",
                                         "kind:", "lang:", NULL};
    char *copy = xstrdup(q);
    int only = 1;
    for (char *t = strtok(copy, " \t"); t && only; t = strtok(NULL, " \t")) {
        while (*t == '+' || *t == '-')
            t++;
        int f = 0;
        for (int i = 0; fields[i] && !f; i++)
            f = strncasecmp(t, fields[i], strlen(fields[i])) == 0;
        only = f;
    }
    free(copy);
    return only;
}

/* A search or related request for q with extra (already encoded) params. */
static spec *add_query(specs *l, int role, int rt, const char *q,
                       const char *params, int empty)
{
    spec *s = spec_new(l, role, rt, "GET");
    buf t = {0};
    buf_adds(&t, rt == RT_SEARCH ? "/v1/search?q=" : "/v1/related?q=");
    pct(&t, q);
    if (params && *params) {
        buf_addc(&t, '&');
        buf_adds(&t, params);
    }
    s->target = t.p;
    s->ec.q = own(s, xstrdup(q));
    add_echo(s, s->ec.q);
    add_echo(s, rt == RT_SEARCH ? "/v1/search" : "/v1/related");
    s->want = 200;
    s->want_empty = empty;
    s->serial = filter_only(q);
    return s;
}

static const char *const filter_params[] = {
    "product=prodquoll", "product=prodtaipan", "tag=tagnumbat",
    "tag=tagcassowary", "category=catdingo", "category=catbrolga",
    "kind=ticket", "kind=faq", "kind=manual", "lang=zh", "lang=en",
    "product=printing", "tag=printer", "product=vpn", "kind=faq,ticket",
    "product=prodquoll,printing", "tag=tagnumbat,tagcassowary,printer"};
#define NFILTERS (sizeof filter_params / sizeof *filter_params)

static void limit_offset(buf *b)
{
    static const int lim[] = {1, 2, 3, 5, 10, 20, 50, 100};
    static const int off[] = {0, 0, 1, 2, 3, 5, 8, 20, 9999};
    buf_printf(b, "limit=%d&offset=%d", lim[rnd(8)], off[rnd(9)]);
}

/* Every query shape of a seed, for one role. */
static void add_seed(specs *l, int role, const char *q, int empty)
{
    buf p = {0};
    add_query(l, role, RT_SEARCH, q, NULL, empty);
    limit_offset(&p);
    add_query(l, role, RT_SEARCH, q, p.p, 0);
    buf_reset(&p);
    buf_adds(&p, filter_params[rnd(NFILTERS)]);
    add_query(l, role, RT_SEARCH, q, p.p, empty);
    buf_reset(&p);
    buf_printf(&p, "%s&%s&", filter_params[rnd(NFILTERS)],
               filter_params[rnd(NFILTERS)]);
    limit_offset(&p);
    add_query(l, role, RT_SEARCH, q, p.p, 0);
    add_query(l, role, RT_RELATED, q, NULL, empty);
    buf_reset(&p);
    buf_printf(&p, "limit=%d", 1 + (int)rnd(20));
    add_query(l, role, RT_RELATED, q, p.p, 0);
    buf_reset(&p);
    buf_printf(&p, "%s&limit=%d", filter_params[rnd(NFILTERS)],
               1 + (int)rnd(20));
    add_query(l, role, RT_RELATED, q, p.p, empty);
    buf_free(&p);
}

/* Full-width form of ASCII text (NFKC folds it back). */
static char *fullwidth(const char *w)
{
    buf b = {0};
    for (const char *p = w; *p; p++) {
        unsigned c = (unsigned char)*p;
        if (c < 0x21 || c > 0x7e) {
            buf_addc(&b, (char)c);
            continue;
        }
        unsigned cp = 0xFF01 + (c - 0x21);
        buf_addc(&b, (char)(0xE0 | (cp >> 12)));
        buf_addc(&b, (char)(0x80 | ((cp >> 6) & 0x3F)));
        buf_addc(&b, (char)(0x80 | (cp & 0x3F)));
    }
    return b.p;
}

/* The queries made from one canary word: itself, prefixes, typos,
 * operators, filters. empty: the role may not see the word's class, so
 * the exact forms must find nothing. */
static void add_word(specs *l, int role, const char *w, int empty)
{
    size_t n = strlen(w), mid = n / 2;
    char v[256];
    /* exact forms */
    add_seed(l, role, w, empty);
    snprintf(v, sizeof v, "title:%s", w);
    add_seed(l, role, v, empty);
    snprintf(v, sizeof v, "+%s", w);
    add_seed(l, role, v, empty);
    snprintf(v, sizeof v, "\"%s\"", w);
    add_seed(l, role, v, empty);
    snprintf(v, sizeof v, "product:%s", w);
    add_seed(l, role, v, empty);
    snprintf(v, sizeof v, "tag:%s", w);
    add_seed(l, role, v, empty);
    snprintf(v, sizeof v, "category:%s", w);
    add_seed(l, role, v, empty);
    snprintf(v, sizeof v, "kind:faq %s", w);
    add_seed(l, role, v, empty);
    for (size_t i = 0; i < n && i < sizeof v - 1; i++)
        v[i] = (char)toupper((unsigned char)w[i]);
    v[n < sizeof v ? n : sizeof v - 1] = '\0';
    add_seed(l, role, v, empty);
    char *fw = fullwidth(w);
    add_seed(l, role, fw, empty);
    free(fw);
    /* prefixes: the search operator and the type-ahead's partial word */
    static const size_t cuts[] = {4, 5, 6, 8, 10};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++)
        if (cuts[i] < n) {
            snprintf(v, sizeof v, "%.*s*", (int)cuts[i], w);
            add_seed(l, role, v, 0);
            snprintf(v, sizeof v, "printer %.*s", (int)cuts[i], w);
            add_query(l, role, RT_RELATED, v, NULL, 0);
        }
    snprintf(v, sizeof v, "%.*s*", (int)(n - 2), w);
    add_seed(l, role, v, 0);
    snprintf(v, sizeof v, "%.*s", (int)(n - 1), w);
    add_seed(l, role, v, 0);
    /* misspellings: substitution, transposition, deletion, insertion */
    snprintf(v, sizeof v, "%s", w);
    v[mid] = v[mid] == 'e' ? 'a' : 'e';
    add_seed(l, role, v, 0);
    snprintf(v, sizeof v, "%s", w);
    char t = v[mid];
    v[mid] = v[mid + 1];
    v[mid + 1] = t;
    add_seed(l, role, v, 0);
    snprintf(v, sizeof v, "%.*s%s", (int)mid, w, w + mid + 1);
    add_seed(l, role, v, 0);
    snprintf(v, sizeof v, "%.*sx%s", (int)mid, w, w + mid);
    add_seed(l, role, v, 0);
    snprintf(v, sizeof v, "%.*s%c%s", (int)mid, w, w[mid], w + mid);
    add_seed(l, role, v, 0);
    snprintf(v, sizeof v, "%.*sery", (int)(n - 3), w);
    add_seed(l, role, v, 0);
    /* beside visible words */
    snprintf(v, sizeof v, "%s printer", w);
    add_seed(l, role, v, 0);
    snprintf(v, sizeof v, "vpn %s password", w);
    add_seed(l, role, v, 0);
    snprintf(v, sizeof v, "-printer %s", w);
    add_seed(l, role, v, 0);
    snprintf(v, sizeof v, "NOT vpn %s", w);
    add_seed(l, role, v, 0);
    snprintf(v, sizeof v, "%s OR printer", w);
    add_seed(l, role, v, 0);
    snprintf(v, sizeof v, "%.4s* printer", w);
    add_seed(l, role, v, 0);
}

/* Canary words by class (the Chinese ones are added separately). */
static const char *const w_hidden[] = {
    "quokkacanary", "bilbycanary", "wallabycanary", "platypuscanary",
    "lyrebirdcanary", "mynahcanary", "numbatarchived", "sourcecanary",
    "prodquoll", "catdingo", "tagnumbat", NULL};
static const char *const w_draft[] = {
    "dugongcanary", "kakapocanary", "potoroocanary", "bandicootcanary",
    "cuscuscanary", "prodtaipan", "catbrolga", "tagcassowary", NULL};
static const char *const w_gone[] = {"echidnapurged", "tuatarcanary",
                                     "refusalbodycanary", NULL};

static const char *const zh_hidden[] = {
    "\xE8\xA2\x8B\xE9\xBC\xAC\xE9\x87\x91\xE4\xB8\x9D\xE9\x9B\x80", /* 袋鼬金丝雀 */
    "\xE8\xA2\x8B\xE9\xBC\xAC",                                     /* 袋鼬 */
    NULL};
static const char *const zh_draft[] = {
    "\xE9\xB8\xB8\xE9\xB9\x8B\xE5\x93\xA8\xE5\x85\xB5", /* 鸸鹋哨兵 */
    "\xE5\x93\xA8\xE5\x85\xB5",                         /* 哨兵 */
    NULL};
/* Variants that may match visible text too: nothing is asserted of their
 * totals, only that no canary comes back. */
static const char *const zh_variants[] = {
    "\xE9\xBC\xAC\xE9\x87\x91",                         /* 鼬金 */
    "\xE9\x87\x91\xE4\xB8\x9D",                         /* 金丝 */
    "\xE4\xB8\x9D\xE9\x9B\x80",                         /* 丝雀 */
    "\xE8\xA2\x8B", "\xE9\xBC\xAC", "\xE9\x9B\x80",     /* 袋 鼬 雀 */
    "\xE8\xA2\x8B\xE9\xBC\xAC\xE9\x87\x91",             /* 袋鼬金 */
    "\xE8\xA2\x8B\xE9\xBC\xAC \xE9\x87\x91\xE4\xB8\x9D\xE9\x9B\x80",
    "\xE8\xA2\x8B\xE9\xBC\xAC\xE9\x87\x91\xE7\xB5\xB2\xE9\x9B\x80", /* 絲 */
    "\xE2\x80\x9C\xE8\xA2\x8B\xE9\xBC\xAC\xE9\x87\x91\xE4\xB8\x9D\xE9\x9B\x80"
    "\xE2\x80\x9D",                                     /* “袋鼬金丝雀” */
    "\xE8\xA2\x8B\xE9\xBC\xAC\xE9\x87\x91\xE4\xB8\x9D\xE9\x9B\x80"
    "\xE6\x80\x8E\xE4\xB9\x88\xE5\x8A\x9E",             /* …怎么办 */
    "\xE5\x86\x85\xE9\x83\xA8\xE5\x8D\x87\xE7\xBA\xA7\xE6\xB5\x81\xE7\xA8\x8B",
                                                        /* 内部升级流程 */
    "\xE8\xA2\x8B\xE9\xBC\xAC*",                        /* 袋鼬* */
    "\xE9\x87\x91\xE4\xB8\x9D\xE9\x9B\x80\xE6\xB5\x81\xE7\xA8\x8B", /* 金丝雀流程 */
    "\xE9\xB8\xB8\xE9\xB9\x8B",                         /* 鸸鹋 */
    "\xE9\xB9\x8B\xE5\x93\xA8",                         /* 鹋哨 */
    "\xE9\xB8\xB8",                                     /* 鸸 */
    "\xE9\xB8\xB8\xE9\xB9\x8B\xE5\x93\xA8\xE5\x85\xB5"
    "\xE8\xAE\xA1\xE5\x88\x92",                         /* 鸸鹋哨兵计划 */
    "\xE8\x8D\x89\xE7\xA8\xBF",                         /* 草稿 */
    "\xE9\xB8\xB8\xE9\xB9\x8B*",                        /* 鸸鹋* */
    "\xE5\x93\xA8\xE5\x85\xB5\xE8\xAE\xA1\xE5\x88\x92 "
    "\xE6\x89\x93\xE5\x8D\xB0\xE6\x9C\xBA",             /* 哨兵计划 打印机 */
    "\xE6\x89\x93\xE5\x8D\xB0\xE6\x9C\xBA "
    "\xE8\xA2\x8B\xE9\xBC\xAC",                         /* 打印机 袋鼬 */
    NULL};
/* Queries that find public documents: their results must hold nothing
 * hidden either. */
static const char *const public_seeds[] = {
    "printer", "vpn", "password", "quokka", "quokka*", "printer paper jam",
    "vpn client home", "meeting room", "docking station", "badge",
    "licence", "printer queue", "sticker", "how do I change my password",
    "escalate outage", "incident bridge", "major incident runbook",
    "replacement plan budget", "spooler", "emu", "galah", "printer licence",
    "\xE6\x89\x93\xE5\x8D\xB0\xE6\x9C\xBA",                 /* 打印机 */
    "\xE6\x97\xA0\xE7\xBA\xBF",                             /* 无线 */
    "\xE6\x89\x93\xE5\x8D\xB0\xE6\x9C\xBA\xE5\x8D\xA1\xE7\xBA\xB8", /* 打印机卡纸 */
    "\xE6\x97\xA0\xE7\xBA\xBF\xE7\xBD\x91\xE7\xBB\x9C",     /* 无线网络 */
    NULL};

static void add_docs(specs *l, int role)
{
    for (size_t i = 0; i < NDOCS; i++) {
        const struct docspec *d = &docs[i];
        long n = (long)strlen(d->states);
        int ok = readable(role, d);
        buf t = {0};
        spec *s = spec_new(l, role, RT_DOC, "GET");
        buf_printf(&t, "/v1/documents/%s", d->id);
        s->target = t.p;
        add_echo(s, d->id);
        s->want = ok ? 200 : 404;
        for (long v = 0; v <= n + 1; v++) {
            s = spec_new(l, role, RT_DOC, "GET");
            s->target = xprintf("/v1/documents/%s?version=%ld", d->id,
                                v ? v : 1000);
            add_echo(s, d->id);
            s->want = version_ok(role, d, v ? v : 1000) ? 200 : 404;
        }
        s = spec_new(l, role, RT_VERSIONS, "GET");
        s->target = xprintf("/v1/documents/%s/versions", d->id);
        add_echo(s, d->id);
        s->want = ok ? 200 : 404;
        if (ok) {
            int seen = 0;
            for (long v = 1; v <= n; v++)
                seen += sees(role, d->states[v - 1]);
            s->want_versions = seen;
        }
        s = spec_new(l, role, RT_DIFF, "GET");
        s->target = xprintf("/v1/documents/%s/diff", d->id);
        add_echo(s, d->id);
        s->want = ok && version_ok(role, d, n > 1 ? n - 1 : 1) &&
                          version_ok(role, d, n)
                      ? 200
                      : 404;
        for (long a = 1; a <= n + 1; a++)
            for (long b = 1; b <= n + 1; b++) {
                if (a == b && a != 1)
                    continue;
                s = spec_new(l, role, RT_DIFF, "GET");
                s->target = xprintf("/v1/documents/%s/diff?from=%ld&to=%ld",
                                    d->id, a, b);
                add_echo(s, d->id);
                s->want = version_ok(role, d, a) && version_ok(role, d, b)
                              ? 200
                              : 404;
            }
        s = spec_new(l, role, RT_FEEDBACK, "POST");
        s->target = xprintf("/v1/documents/%s/feedback", d->id);
        s->body = xstrdup(i % 2 ? "{\"helpful\":true}"
                                : "{\"helpful\":false}");
        add_echo(s, d->id);
        s->want = ok ? 200 : 404;
    }
}

static void add_suggest(specs *l, int role, const char *subject,
                        const char *desc, const char *extra)
{
    spec *s = spec_new(l, role, RT_SUGGEST, "POST");
    json_t *j = json_pack("{s:s,s:s}", "subject", subject, "description",
                          desc);
    if (extra) {
        json_t *x = json_loads(extra, 0, NULL);
        json_object_update(j, x);
        json_decref(x);
    }
    s->body = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    s->target = xstrdup("/v1/suggest");
    s->ec.input = own(s, xprintf("%s %s", subject, desc));
    s->want = role == R_ANON ? 401 : 200;
}

static void add_static(specs *l, int role)
{
    static const struct {
        int rt;
        const char *path;
    } st[] = {{RT_METRICS, "/metrics"},        {RT_HEALTH, "/healthz"},
              {RT_OPENAPI, "/v1/openapi.json"}, {RT_PAGE, "/"},
              {RT_WIDGET, "/widget.js"},       {RT_DEMO, "/demo/ticket-form"},
              {RT_ASSET, "/assets/app.js"},    {RT_ASSET, "/assets/app.css"},
              {RT_ASSET, "/assets/widget.js"}};
    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < sizeof st / sizeof *st; i++) {
            spec *s = spec_new(l, role, st[i].rt, "GET");
            s->target = xstrdup(st[i].path);
            s->want = 200;
        }
}

static void build_sweep(specs *l)
{
    const int roles[] = {R_ANON, R_AGENT};
    for (int ri = 0; ri < 2; ri++) {
        int role = roles[ri];
        int hide = forbidden(role);
        for (int i = 0; w_hidden[i]; i++)
            add_word(l, role, w_hidden[i], (hide & HIDDEN) != 0);
        for (int i = 0; w_draft[i]; i++)
            add_word(l, role, w_draft[i], (hide & DRAFT) != 0);
        for (int i = 0; w_gone[i]; i++)
            add_word(l, role, w_gone[i], 1);
        for (int i = 0; zh_hidden[i]; i++)
            add_seed(l, role, zh_hidden[i], (hide & HIDDEN) != 0);
        for (int i = 0; zh_draft[i]; i++)
            add_seed(l, role, zh_draft[i], (hide & DRAFT) != 0);
        for (int i = 0; zh_variants[i]; i++)
            add_seed(l, role, zh_variants[i], 0);
        for (int i = 0; public_seeds[i]; i++)
            add_seed(l, role, public_seeds[i], 0);
        add_docs(l, role);
        add_static(l, role);
        /* Suggested fixes: tickets made of canaries and visible words. */
        const char *const *lists[] = {w_hidden, w_draft, w_gone};
        for (int li = 0; li < 3; li++)
            for (int i = 0; lists[li][i]; i++) {
                char subj[256], desc[512];
                snprintf(subj, sizeof subj, "%s printer", lists[li][i]);
                snprintf(desc, sizeof desc,
                         "The vpn and the printer fail; %s again, see "
                         "password reset.", lists[li][(i + 1) % 3]);
                add_suggest(l, role, subj, desc, NULL);
                add_suggest(l, role, lists[li][i], "printer queue stuck",
                            "{\"product\":\"prodquoll\",\"limit\":20}");
                add_suggest(l, role, "printer jam", lists[li][i],
                            "{\"product\":\"prodtaipan\",\"category\":"
                            "\"catbrolga\",\"exclude\":[\"INC-EMUID-1\"]}");
            }
        add_suggest(l, role, zh_hidden[0], zh_draft[0], NULL);
        add_suggest(l, role, "\xE6\x89\x93\xE5\x8D\xB0\xE6\x9C\xBA", zh_draft[0],
                    NULL);
    }
    /* Top up with random shapes of random seeds until the count is met. */
    while (l->n < SWEEP_MIN + 400) {
        int role = rnd(2) ? R_ANON : R_AGENT;
        const char *const *lists[] = {w_hidden, w_draft, zh_variants,
                                      public_seeds};
        const char *const *list = lists[rnd(4)];
        size_t cnt = 0;
        while (list[cnt])
            cnt++;
        add_seed(l, role, list[rnd((unsigned)cnt)], 0);
    }
}

typedef struct {
    long n, failed;
} rt_stat;

typedef struct {
    specs *l;
    size_t next, next_serial;
    pthread_mutex_t lock;
    rt_stat stat[R_COUNT][RT_COUNT];
    long shown;
    long statuses[6];
} sweep_ctx;

/* Check one response against its spec; why says what is wrong. */
static void judge(const spec *s, const resp *r, buf *why)
{
    if (r->status == 0) {
        buf_adds(why, "no response");
        return;
    }
    if (s->want ? r->status != s->want : r->status >= 500)
        buf_printf(why, "status %d, expected %d; ", r->status,
                   s->want ? s->want : 200);
    buf l = {0};
    if (leaks(r, &s->ec, forbidden(s->role), &l))
        buf_printf(why, "LEAK: %s; ", buf_str(&l));
    buf_free(&l);
    if (r->status != 200 ||
        !(s->want_empty || s->want_id || s->want_versions >= 0))
        return;
    json_t *j = json_loadb(buf_str(&r->body), r->body.n, 0, NULL);
    if (s->want_empty &&
        (json_integer_value(json_object_get(j, "total")) != 0 ||
         json_array_size(json_object_get(j, "results")) != 0))
        buf_printf(why, "expected nothing, got total %lld",
                   (long long)json_integer_value(json_object_get(j, "total")));
    if (s->want_id && !results_have(j, s->want_id))
        buf_printf(why, "results lack %s", s->want_id);
    if (s->want_versions >= 0 &&
        (int)json_array_size(json_object_get(j, "versions")) !=
            s->want_versions)
        buf_printf(why, "%zu versions listed, expected %d",
                   json_array_size(json_object_get(j, "versions")),
                   s->want_versions);
    json_decref(j);
}

typedef struct {
    sweep_ctx *c;
    int serial; /* this worker sends the filter-only queries */
} worker_arg;

/* The next spec for a worker, or (size_t)-1. */
static size_t next_spec(sweep_ctx *c, int serial)
{
    size_t i = (size_t)-1;
    pthread_mutex_lock(&c->lock);
    if (serial) {
        while (c->next_serial < c->l->n && !c->l->v[c->next_serial].serial)
            c->next_serial++;
        if (c->next_serial < c->l->n)
            i = c->next_serial++;
    }
    if (i == (size_t)-1) {
        while (c->next < c->l->n && c->l->v[c->next].serial)
            c->next++;
        if (c->next < c->l->n)
            i = c->next++;
    }
    pthread_mutex_unlock(&c->lock);
    return i;
}

static void *sweep_worker(void *arg)
{
    worker_arg *wa = arg;
    sweep_ctx *c = wa->c;
    conn cn = CONN_INIT;
    resp r = {0};
    buf why = {0};
    for (;;) {
        size_t i = next_spec(c, wa->serial);
        if (i == (size_t)-1)
            break;
        const spec *s = &c->l->v[i];
        buf_reset(&why);
        if (call(&cn, s->role, s->method, s->target, s->body, &r) != 0)
            resp_free(&r);
        judge(s, &r, &why);
        pthread_mutex_lock(&c->lock);
        c->stat[s->role][s->rt].n++;
        c->statuses[r.status / 100 < 6 ? r.status / 100 : 0]++;
        if (why.n) {
            c->stat[s->role][s->rt].failed++;
            if (c->shown++ < FAILS_SHOWN) {
                buf ex = {0};
                excerpt(&ex, buf_str(&r.body), r.body.n, 300);
                note("  %s %s %s%s%s: %s", role_names[s->role], s->method,
                     s->target, s->body ? " " : "", s->body ? s->body : "",
                     buf_str(&why));
                note("    got %d: %s", r.status, buf_str(&ex));
                buf_free(&ex);
            }
        }
        pthread_mutex_unlock(&c->lock);
    }
    conn_close(&cn);
    buf_free(&cn.raw);
    resp_free(&r);
    buf_free(&why);
    return NULL;
}

static void sweep_controls(void)
{
    json_t *j = NULL;
    /* The canaries are really there: without these the sweep proves nothing. */
    if (probe(R_AGENT, "GET", "/v1/search?q=quokkacanary", NULL, 200,
              "control: an agent finds the internal FAQ by its canary", &j))
        check(results_have(j, "faq-emuid-1"),
              "control: an agent finds the internal FAQ by its canary");
    json_decref(j);
    if (probe(R_AGENT, "GET",
              "/v1/search?q=%E8%A2%8B%E9%BC%AC%E9%87%91%E4%B8%9D%E9%9B%80",
              NULL, 200, "control: an agent finds the Chinese internal canary",
              &j))
        check(results_have(j, "faq-emuid-2"),
              "control: an agent finds the Chinese internal canary");
    json_decref(j);
    if (probe(R_AGENT, "GET", "/v1/search?q=wallabycanary+platypuscanary",
              NULL, 200, "control: an agent finds the internal manual and "
              "ticket", &j))
        check(results_have(j, "INC-EMUID-1") &&
                  results_have(j, "sec-runbook-emuid:overview"),
              "control: an agent finds the internal manual and ticket");
    json_decref(j);
    if (probe(R_AGENT, "GET", "/v1/search?q=printer&product=prodquoll", NULL,
              200, "control: an agent filters by a hidden product", &j))
        check(json_has_str(j, "\"prodquoll\""),
              "control: an agent filters by a hidden product");
    json_decref(j);
    if (probe(R_EDITOR, "GET", "/v1/search?q=dugongcanary+potoroocanary",
              NULL, 200, "control: an editor finds the drafts", &j))
        check(results_have(j, "draft-galahid-1") &&
                  results_have(j, "sec-plan-galahid:overview"),
              "control: an editor finds the drafts");
    json_decref(j);
    if (probe(R_EDITOR, "GET",
              "/v1/search?q=%E9%B8%B8%E9%B9%8B%E5%93%A8%E5%85%B5",
              NULL, 200, "control: an editor finds the Chinese draft", &j))
        check(results_have(j, "draft-galahid-2"),
              "control: an editor finds the Chinese draft");
    json_decref(j);
    if (probe(R_EDITOR, "GET", "/v1/documents/faq-sec-wip?version=1", NULL,
              200, "control: an editor reads version 1 of the page turned "
              "draft", &j))
        check(json_has_str(j, "cuscuscanary"),
              "control: an editor reads version 1 of the page turned draft");
    json_decref(j);
    if (probe(R_AGENT, "GET", "/v1/documents/faq-lyrebird-flip?version=2",
              NULL, 200, "control: an agent reads the document that became "
              "internal", &j))
        check(json_has_str(j, "mynahcanary"),
              "control: an agent reads the document that became internal");
    json_decref(j);
    if (probe(R_AGENT, "GET", "/v1/documents/faq-sec-archive-me", NULL, 200,
              "control: an agent reads the archived FAQ", &j))
        check(json_has_str(j, "\"archived\""),
              "control: an agent reads the archived FAQ");
    json_decref(j);
    if (probe(R_ANON, "GET", "/v1/search?q=quokka", NULL, 200,
              "control: anonymous callers find the public quokka FAQ", &j))
        check(results_have(j, "faq-sec-quokka"),
              "control: anonymous callers find the public quokka FAQ");
    json_decref(j);
    if (probe(R_ANON, "GET", "/v1/documents/faq-sec-draft-then-public",
              NULL, 200, "control: anonymous callers read the draft that "
              "was published", &j))
        check(json_integer_value(json_object_get(j, "version")) == 2,
              "control: anonymous callers read the draft that was published");
    json_decref(j);
    if (probe(R_ANON, "GET", "/v1/search?q=printr", NULL, 200,
              "control: spelling corrects a public word", &j))
        check(json_has_str(j, "\"did_you_mean\":\"printer\""),
              "control: spelling corrects a public word");
    json_decref(j);
}

/* Dedicated checks of leaks the sweep's generic scan cannot see. */
static void sweep_oracles(void)
{
    json_t *j = NULL;
    /* Spelling: a word that stopped being public is no correction. */
    if (probe(R_ANON, "GET", "/v1/search?q=lyrebirdcanery+printer", NULL,
              200, "spelling never offers a word of a page that became "
              "internal", &j))
        check(!json_has_str(json_object_get(j, "did_you_mean"), "lyrebird"),
              "spelling never offers a word of a page that became internal");
    json_decref(j);
    if (probe(R_ANON, "GET", "/v1/search?q=numbatarchivd+docking", NULL,
              200, "spelling never offers a word of an archived page", &j))
        check(!json_has_str(json_object_get(j, "did_you_mean"), "numbat"),
              "spelling never offers a word of an archived page");
    json_decref(j);
    if (probe(R_ANON, "GET", "/v1/search?q=echidnapurgd+badge", NULL, 200,
              "spelling never offers a word of a purged page", &j))
        check(!json_has_str(json_object_get(j, "did_you_mean"), "echidna"),
              "spelling never offers a word of a purged page");
    json_decref(j);
    if (probe(R_ANON, "GET", "/v1/search?q=cuscuscanery+printer", NULL, 200,
              "spelling never offers a word of a page turned draft", &j))
        check(!json_has_str(json_object_get(j, "did_you_mean"), "cuscus"),
              "spelling never offers a word of a page turned draft");
    json_decref(j);
    /* Suggested fixes: the ticket's salient terms are the words some
     * document has. A word that only drafts have must not count, or an
     * agent can test any word against the drafts. */
    if (probe(R_AGENT, "POST", "/v1/suggest",
              "{\"subject\":\"dugongcanary potoroocanary\"}", 200,
              "suggest never confirms words that only drafts hold", &j)) {
        int bad = json_has_str(json_object_get(j, "terms"), "dugongcanary") ||
                  json_has_str(json_object_get(j, "terms"), "potoroocanary");
        if (!check(!bad, "suggest never confirms words that only drafts hold"))
            note("  POST /v1/suggest {\"subject\":\"dugongcanary "
                 "potoroocanary\"} as an agent answers terms %s",
                 json_has_str(j, "dugongcanary") ? "[\"dugongcanary\", ...]"
                                                 : "?");
    }
    json_decref(j);
}

int mode_sweep(void)
{
    specs l = {0};
    build_sweep(&l);
    sweep_controls();
    sweep_ctx c;
    memset(&c, 0, sizeof c);
    c.l = &l;
    pthread_mutex_init(&c.lock, NULL);
    double t0 = now_s();
    pthread_t th[SWEEP_THREADS];
    worker_arg wa[SWEEP_THREADS];
    for (int i = 0; i < SWEEP_THREADS; i++) {
        wa[i].c = &c;
        wa[i].serial = i == 0;
        pthread_create(&th[i], NULL, sweep_worker, &wa[i]);
    }
    for (int i = 0; i < SWEEP_THREADS; i++)
        pthread_join(th[i], NULL);
    double secs = now_s() - t0;
    check(l.n >= SWEEP_MIN, "sweep: %zu requests in %.1f s (%.0f/s; 2xx %ld, "
          "4xx %ld, 5xx %ld, none %ld)", l.n, secs, l.n / (secs > 0 ? secs : 1),
          c.statuses[2], c.statuses[4], c.statuses[5], c.statuses[0]);
    for (int role = 0; role < R_COUNT; role++)
        for (int rt = 0; rt < RT_COUNT; rt++) {
            rt_stat *st = &c.stat[role][rt];
            if (!st->n)
                continue;
            check(st->failed == 0, "%s %s: %ld requests, %ld wrong (no %s "
                  "canary in any body or header, statuses and totals as "
                  "expected)", role_names[role], rt_names[rt], st->n,
                  st->failed,
                  role == R_ANON ? "internal, draft, archived, purged or "
                                   "personal"
                                 : "draft, purged or personal");
        }
    sweep_oracles();
    for (size_t i = 0; i < l.n; i++) {
        free(l.v[i].target);
        free(l.v[i].body);
        for (int k = 0; k < 8; k++)
            free(l.v[i].owned[k]);
    }
    free(l.v);
    return 0;
}

/* --- personal data in responses --- */

int mode_pii(void)
{
    static const char *const queries[] = {
        "piimarkerfile", "piimarkerapi", "printer jam call", "refund vpn token",
        "13812345678", "qpiimail7@example.com", "qpiimail7", "10.20.30.40",
        "4111 1111 1111 1111", "4111111111111111", "110105199003071239",
        "+31 20 555 0142", "138-1234-5678", "li.wei",
        "\xE6\x89\x93\xE5\x8D\xB0\xE6\x9C\xBA\xE5\x8D\xA1\xE7\xBA\xB8",
        "[phone]", "email", "ip", "card", "id-card", NULL};
    static const char *const ids[] = {"INC-PII-F1", "INC-PII-F2",
                                      "INC-PII-F3", "INC-PII-A1",
                                      "INC-PII-A2", "INC-PII-A3", NULL};
    const int roles[] = {R_ANON, R_AGENT, R_EDITOR};
    long n = 0, bad = 0;
    conn c = CONN_INIT;
    resp r = {0};
    buf why = {0}, t = {0};
    for (int ri = 0; ri < 3; ri++) {
        int role = roles[ri];
        for (int kind = 0; kind < 14; kind++) {
            for (int qi = 0; queries[qi] && kind < 4; qi++) {
                spec s;
                memset(&s, 0, sizeof s);
                s.want_versions = -1;
                buf_reset(&t);
                buf_adds(&t, kind % 2 ? "/v1/related?q=" : "/v1/search?q=");
                pct(&t, queries[qi]);
                if (kind >= 2)
                    buf_adds(&t, "&kind=ticket&limit=100");
                s.role = role;
                s.ec.q = queries[qi];
                s.ec.echo[0] = queries[qi];
                s.ec.necho = 1;
                s.want = 200;
                buf_reset(&why);
                if (call(&c, role, "GET", t.p, NULL, &r) != 0)
                    resp_free(&r);
                judge(&s, &r, &why);
                n++;
                if (why.n && bad++ < FAILS_SHOWN)
                    note("  %s GET %s: %s", role_names[role], t.p,
                         buf_str(&why));
            }
            for (int di = 0; ids[di] && kind >= 4; di++) {
                static const char *const shapes[] = {
                    "", "?version=1", "?version=2", "/versions",
                    "/diff?from=1&to=2", "/diff", "/diff?from=1&to=1",
                    "?version=3", "/diff?from=2&to=1", "/versions"};
                spec s;
                memset(&s, 0, sizeof s);
                s.want_versions = -1;
                buf_reset(&t);
                buf_printf(&t, "/v1/documents/%s%s", ids[di],
                           shapes[kind - 4]);
                s.role = role;
                s.ec.echo[0] = ids[di];
                s.ec.necho = 1;
                buf_reset(&why);
                if (call(&c, role, "GET", t.p, NULL, &r) != 0)
                    resp_free(&r);
                judge(&s, &r, &why);
                n++;
                if (why.n && bad++ < FAILS_SHOWN)
                    note("  %s GET %s: %s", role_names[role], t.p,
                         buf_str(&why));
            }
        }
        /* Suggested fixes for a ticket full of personal data: none comes
         * back, not even as one of the ticket's own salient terms (masked
         * text is never indexed, so no document holds them). */
        for (int k = 0; k < 2 && role != R_ANON; k++) {
            spec s;
            memset(&s, 0, sizeof s);
            s.want_versions = -1;
            json_t *b = json_pack("{s:s,s:s}", "subject",
                                  k ? "printer jam 13812345678"
                                    : "refund 4111 1111 1111 1111",
                                  "description", k ? pii_text_1 : pii_text_2);
            char *body = json_dumps(b, JSON_COMPACT);
            json_decref(b);
            s.role = role;
            s.want = 200;
            buf_reset(&why);
            if (call(&c, role, "POST", "/v1/suggest", body, &r) != 0)
                resp_free(&r);
            judge(&s, &r, &why);
            n++;
            if (why.n && bad++ < FAILS_SHOWN)
                note("  %s POST /v1/suggest %s: %s", role_names[role], body,
                     buf_str(&why));
            free(body);
        }
    }
    conn_close(&c);
    buf_free(&c.raw);
    resp_free(&r);
    buf_free(&why);
    buf_free(&t);
    check(bad == 0, "personal data: %ld requests (search, related, "
          "documents, versions, diff, suggest as anonymous, agent and "
          "editor), %ld showed an e-mail, phone, ID-card, IP or card number",
          n, bad);

    /* Controls: the tickets are there, masked. */
    json_t *j = NULL;
    if (probe(R_AGENT, "GET", "/v1/search?q=piimarkerfile+piimarkerapi&limit=20",
              NULL, 200, "control: an agent finds the six tickets", &j)) {
        int all = 1;
        for (int i = 0; ids[i]; i++)
            all &= results_have(j, ids[i]);
        check(all, "control: an agent finds the six tickets with personal "
              "data (indexer and API)");
    }
    json_decref(j);
    if (probe(R_AGENT, "GET", "/v1/documents/INC-PII-A1?version=2", NULL, 200,
              "control: the API ticket is stored masked", &j))
        check(json_has_str(j, "[phone]") && json_has_str(j, "[email]") &&
                  json_has_str(j, "[id-card]") && json_has_str(j, "[ip]"),
              "control: the API ticket is stored with [phone], [email], "
              "[id-card] and [ip]");
    json_decref(j);
    if (probe(R_AGENT, "GET", "/v1/documents/INC-PII-F2", NULL, 200,
              "control: the indexed ticket is stored masked", &j))
        check(json_has_str(j, "[card]") && json_has_str(j, "[email]"),
              "control: the indexed ticket is stored with [card] and [email]");
    json_decref(j);

    /* Personal data beyond the text fields. */
    if (probe(R_AGENT, "GET", "/v1/documents/INC-PII-X1", NULL, 200,
              "a ticket's tags, product and category are masked too", &j)) {
        int bad_fields = json_has_str(j, "qprobetag") ||
                         json_has_str(j, "13700001111") ||
                         json_has_str(j, "10.99.88.77");
        if (!check(!bad_fields, "a ticket's tags, product and category are "
                   "masked too"))
            note("  GET /v1/documents/INC-PII-X1 (agent) shows tags "
                 "[\"caller qprobetag@example.com\"], product 13700001111, "
                 "category 10.99.88.77 as posted");
        int fw = json_has_str(j, "\xEF\xBC\x91\xEF\xBC\x93\xEF\xBC\x96");
        if (!check(!fw, "a phone number in full-width digits is masked"))
            note("  the title keeps \xEF\xBC\x91\xEF\xBC\x93\xEF\xBC\x96..."
                 " unmasked; the analyser folds it to 13600002222");
    }
    json_decref(j);
    if (probe(R_AGENT, "GET", "/v1/search?q=13600002222", NULL, 200,
              "a full-width phone number cannot be found by its digits", &j))
        check(json_integer_value(json_object_get(j, "total")) == 0,
              "a full-width phone number cannot be found by its ASCII digits");
    json_decref(j);
    return 0;
}

/* --- main --- */

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

static void usage(FILE *f)
{
    fputs("Usage: deskdex-canary MODE [--port P] [options]\n"
          "Modes: port, writes, sweep, pii, keys, req, burst, audit, hostile, "
          "edges, slow, race\n"
          "  --port P        the server's port on 127.0.0.1\n"
          "  --expect FILE   append the audit lines requests must cause\n"
          "  --audit FILE    (audit) the server's audit log\n"
          "  --pid PID       (hostile) the server, for its RSS\n"
          "  --max-body N    (hostile) the server's max_body\n"
          "  --timeout S     (edges, slow) the server's timeout\n"
          "  --max-conns N   (slow) the server's max_connections\n"
          "  --san           (hostile) a sanitizer build: RSS is not checked\n"
          "  --as WHO --method M --path P [--body B] --want S [--what TEXT]\n"
          "                  (req) WHO: anon agent editor admin old new wrong\n"
          "Keys: DDX_AGENT_KEY DDX_EDITOR_KEY DDX_ADMIN_KEY DDX_OLD_KEY "
          "DDX_NEW_KEY.\n",
          f);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : NULL;
    const char *audit = NULL, *as = NULL, *method = NULL, *path = NULL;
    const char *body = NULL, *what = NULL;
    long pid = 0, max_body = 10485760, timeout = 30, max_conns = 0, want = 0;
    int san = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--port") && more)
            snprintf(g_port, sizeof g_port, "%s", argv[++i]);
        else if (!strcmp(a, "--expect") && more)
            g_expect = argv[++i];
        else if (!strcmp(a, "--audit") && more)
            audit = argv[++i];
        else if (!strcmp(a, "--pid") && more)
            pid = strtol(argv[++i], NULL, 10);
        else if (!strcmp(a, "--max-body") && more)
            max_body = strtol(argv[++i], NULL, 10);
        else if (!strcmp(a, "--timeout") && more)
            timeout = strtol(argv[++i], NULL, 10);
        else if (!strcmp(a, "--max-conns") && more)
            max_conns = strtol(argv[++i], NULL, 10);
        else if (!strcmp(a, "--as") && more)
            as = argv[++i];
        else if (!strcmp(a, "--method") && more)
            method = argv[++i];
        else if (!strcmp(a, "--path") && more)
            path = argv[++i];
        else if (!strcmp(a, "--body") && more)
            body = argv[++i];
        else if (!strcmp(a, "--want") && more)
            want = strtol(argv[++i], NULL, 10);
        else if (!strcmp(a, "--what") && more)
            what = argv[++i];
        else if (!strcmp(a, "--san"))
            san = 1;
        else {
            usage(stderr);
            return 2;
        }
    }
    if (!mode || !strcmp(mode, "--help") || !strcmp(mode, "-h")) {
        usage(mode ? stdout : stderr);
        return mode ? 0 : 2;
    }
    signal(SIGPIPE, SIG_IGN);
    load_keys();
    if (!strcmp(mode, "port")) {
        int p = free_port();
        if (p < 0)
            return 1;
        printf("%d\n", p);
        return 0;
    }
    int rc;
    if (!strcmp(mode, "writes"))
        rc = mode_writes();
    else if (!strcmp(mode, "sweep"))
        rc = mode_sweep();
    else if (!strcmp(mode, "pii"))
        rc = mode_pii();
    else if (!strcmp(mode, "keys"))
        rc = mode_keys(as);
    else if (!strcmp(mode, "req"))
        rc = mode_req(as, method, path, body, (int)want, what);
    else if (!strcmp(mode, "burst"))
        rc = mode_burst();
    else if (!strcmp(mode, "audit"))
        rc = mode_audit(audit);
    else if (!strcmp(mode, "hostile"))
        rc = mode_hostile(pid, max_body, san);
    else if (!strcmp(mode, "edges"))
        rc = mode_edges(timeout);
    else if (!strcmp(mode, "slow"))
        rc = mode_slow(timeout, max_conns);
    else if (!strcmp(mode, "race"))
        rc = mode_race();
    else {
        usage(stderr);
        return 2;
    }
    if (rc)
        return rc;
    return failures() ? 1 : 0;
}

/* access.c - writes, keys, key rotation, rate limits and the audit log:
 * who may do what, and that each write and refusal is recorded */
#include "security.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- writes: every kind of write and refusal, with its audit line --- */

/* A write request as role; on the wanted status the audit lines it must
 * cause are expected. Returns the response's JSON (new) or NULL. */
static json_t *write_req(int role, const char *method, const char *target,
                         const char *body, int want, const char *what)
{
    conn c = CONN_INIT;
    resp r = {0};
    int rc = call(&c, role, method, target, body, &r);
    conn_close(&c);
    buf_free(&c.raw);
    int ok = rc == 0 && r.status == want;
    buf ex = {0};
    excerpt(&ex, buf_str(&r.body), r.body.n, 240);
    check(ok, "%s (%s %s as %s: %d%s%s)", what, method, target,
          role_names[role], r.status, ok ? "" : ": ", ok ? "" : buf_str(&ex));
    buf_free(&ex);
    json_t *j = json_loadb(buf_str(&r.body), r.body.n, 0, NULL);
    char id[256];
    const char *route = route_of(method, target, id, sizeof id);
    int wrote = ok && r.status < 300;
    if (wrote && !strcmp(route, "/v1/documents")) {
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(j, "results"), i, e)
        {
            const char *st = json_string_value(json_object_get(e, "status"));
            if (st && strncmp(st, "skipped", 7) != 0)
                expect_entry(st, r.status, method, route,
                             json_string_value(json_object_get(e, "id")),
                             (int)json_integer_value(
                                 json_object_get(e, "version")),
                             0, role);
        }
    } else if (wrote && !strcmp(method, "DELETE")) {
        expect_entry("archive", r.status, method, route, id,
                     (int)json_integer_value(json_object_get(j, "version")),
                     0, role);
    } else if (wrote && strstr(route, "/rollback")) {
        const char *to = strstr(target, "to=");
        expect_entry("rollback", r.status, method, route, id,
                     (int)json_integer_value(json_object_get(j, "version")),
                     to ? atoi(to + 3) : 0, role);
    } else if (wrote && !strcmp(route, "/v1/admin/backup")) {
        expect_entry("backup", r.status, method, route, NULL, 0, 0, role);
    } else if (wrote && strstr(route, "/purge")) {
        expect_entry("purge", r.status, method, route, id,
                     (int)json_integer_value(json_object_get(j, "versions")),
                     0, role);
    }
    resp_free(&r);
    return j;
}

const char pii_text_1[] =
    "Please call me back at +31 20 555 0142 or 138-1234-5678, or mail "
    "li.wei+vpn@corp.example.cn. My mobile is 13812345678 and my ID card "
    "110105199003071239.";
const char pii_text_2[] =
    "I paid with card 4111 1111 1111 1111 and then 5555-5555-5555-4444; the "
    "receipt went to 13912345670@139.com. ID 31011519770815123X.";

/* The API twins of tests/security/corpus/tickets/pii.jsonl. */
static char *pii_tickets(int v)
{
    json_t *a = json_array();
    const char *more = v > 1 ? " Follow-up: called 13812345678 and mailed "
                               "qpiimail7@example.com again. piimarkerapi v2"
                             : "";
    char *res1 = xprintf("Cleared the jam on the printer at 10.20.30.40 and "
                         "told the caller at (020) 5550 1234. piimarkerapi%s",
                         more);
    char *res2 = xprintf("Refunded the cards 378282246310005 and "
                         "6011111111111117; the VPN gateway 192.168.77.23 was "
                         "fine. Called +86 138 1234 5678. piimarkerapi%s",
                         more);
    char *res3 = xprintf("\xE5\xB7\xB2\xE6\xB8\x85\xE9\x99\xA4\xE5\x8D\xA1"
                         "\xE7\xBA\xB8\xEF\xBC\x8C\xE6\x89\x93\xE5\x8D\xB0"
                         "\xE6\x9C\xBA\xE5\x9C\xB0\xE5\x9D\x80"
                         "10.20.30.40\xE3\x80\x82piimarkerapi%s",
                         more);
    json_array_append_new(
        a, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "id", "INC-PII-A1",
                     "subject", "Printer piimarkerapi jam, call "
                                "qpiimail7@example.com",
                     "description", pii_text_1, "resolution", res1, "status",
                     "resolved", "product", "printing"));
    json_array_append_new(
        a, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "id", "INC-PII-A2",
                     "subject", "Refund for VPN token piimarkerapi",
                     "description", pii_text_2, "resolution", res2, "status",
                     "resolved", "product", "vpn"));
    json_array_append_new(
        a, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "id", "INC-PII-A3",
                     "subject", "\xE6\x89\x93\xE5\x8D\xB0\xE6\x9C\xBA\xE5\x8D"
                                "\xA1\xE7\xBA\xB8 piimarkerapi",
                     "description",
                     "\xE8\xAF\xB7\xE5\x9B\x9E\xE7\x94\xB5" "13812345678"
                     "\xE6\x88\x96\xE8\x80\x85\xE5\x8F\x91\xE9\x82\xAE\xE4"
                     "\xBB\xB6\xE5\x88\xB0qpiimail7@example.com\xEF\xBC\x8C"
                     "\xE8\xBA\xAB\xE4\xBB\xBD\xE8\xAF\x81\xE5\x8F\xB7"
                     "110105199003071239\xE3\x80\x82",
                     "resolution", res3, "status", "resolved", "product",
                     "printing", "lang", "zh"));
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    free(res1);
    free(res2);
    free(res3);
    return s;
}

int mode_writes(void)
{
    json_t *j;
    /* Feedback first, so that the purge has counts to erase. */
    json_decref(write_req(R_ANON, "POST",
                          "/v1/documents/faq-sec-purge-me/feedback",
                          "{\"helpful\":true}", 200,
                          "feedback on a public FAQ (not audited)"));
    json_decref(write_req(
        R_EDITOR, "POST", "/v1/documents",
        "{\"id\":\"faq-sec-wip\",\"question\":\"Where is the cuscuscanary "
        "form?\",\"answer\":\"The cuscuscanary form is in the portal.\","
        "\"product\":\"office\"}",
        201, "an editor adds a public FAQ"));
    json_decref(write_req(
        R_EDITOR, "POST", "/v1/documents",
        "{\"id\":\"faq-sec-wip\",\"question\":\"Where is the cuscuscanary "
        "form?\",\"answer\":\"Being rewritten: cuscuscanary v2.\","
        "\"product\":\"office\",\"status\":\"draft\"}",
        200, "an editor turns it into a draft (version 2)"));
    json_decref(write_req(
        R_EDITOR, "POST", "/v1/documents",
        "{\"id\":\"faq-sec-wip\",\"question\":\"Where is the cuscuscanary "
        "form?\",\"answer\":\"Being rewritten: cuscuscanary v2.\","
        "\"product\":\"office\",\"status\":\"draft\"}",
        200, "the same draft again is unchanged"));
    json_decref(write_req(
        R_EDITOR, "POST", "/v1/documents",
        "{\"id\":\"faq-sec-rollback\",\"question\":\"How do I book a meeting "
        "room?\",\"answer\":\"Rooms are booked at reception now.\","
        "\"product\":\"office\",\"category\":\"facilities\",\"tags\":"
        "[\"calendar\",\"room\"]}",
        200, "an editor updates a FAQ (version 2)"));
    j = write_req(R_EDITOR, "POST",
                  "/v1/documents/faq-sec-rollback/rollback?to=1", NULL, 200,
                  "an editor rolls it back to version 1 (version 3)");
    check(json_integer_value(json_object_get(j, "version")) == 3,
          "the rollback made version 3");
    json_decref(j);
    json_decref(write_req(R_EDITOR, "DELETE",
                          "/v1/documents/faq-sec-archive-me", NULL, 200,
                          "an editor archives a FAQ"));
    j = write_req(R_ADMIN, "POST", "/v1/documents/faq-sec-purge-me/purge",
                  NULL, 200, "an admin purges a FAQ");
    json_decref(j);
    char *t1 = pii_tickets(1), *t2 = pii_tickets(2);
    json_decref(write_req(R_EDITOR, "POST", "/v1/documents", t1, 201,
                          "an editor posts three tickets full of personal "
                          "data"));
    json_decref(write_req(R_EDITOR, "POST", "/v1/documents", t2, 200,
                          "and their second versions"));
    free(t1);
    free(t2);
    /* Personal data outside the text fields of a ticket, and in
     * full-width digits (which the analyser folds to ASCII). */
    json_decref(write_req(
        R_EDITOR, "POST", "/v1/documents",
        "{\"id\":\"INC-PII-X1\",\"subject\":\"Printer piimarkerprobe call "
        "\xEF\xBC\x91\xEF\xBC\x93\xEF\xBC\x96\xEF\xBC\x90\xEF\xBC\x90\xEF\xBC"
        "\x90\xEF\xBC\x90\xEF\xBC\x92\xEF\xBC\x92\xEF\xBC\x92\xEF\xBC\x92\","
        "\"description\":\"jammed\",\"resolution\":\"Cleared; "
        "piimarkerprobe.\",\"status\":\"resolved\",\"product\":"
        "\"13700001111\",\"category\":\"10.99.88.77\",\"tags\":[\"caller "
        "qprobetag@example.com\"]}",
        201, "an editor posts a ticket with personal data in its tags, "
        "product, category and in full-width digits"));

    /* Refusals: each is audited, none stores anything. */
    static const char refused_doc[] =
        "{\"id\":\"faq-refused\",\"question\":\"refusalbodycanary\","
        "\"answer\":\"call 13812345678 or qpiimail7@example.com\"}";
    json_decref(write_req(R_ANON, "POST", "/v1/documents", refused_doc, 401,
                          "a write without a key is refused"));
    json_decref(write_req(R_WRONG, "POST", "/v1/documents", refused_doc, 401,
                          "a write with a wrong key is refused"));
    json_decref(write_req(R_AGENT, "POST", "/v1/documents", refused_doc, 403,
                          "a write with an agent key is forbidden"));
    json_decref(write_req(R_AGENT, "DELETE", "/v1/documents/faq-sec-vpn",
                          NULL, 403, "an agent may not archive"));
    json_decref(write_req(R_ANON, "POST",
                          "/v1/documents/faq-sec-vpn/rollback?to=1", NULL,
                          401, "a rollback without a key is refused"));
    json_decref(write_req(R_EDITOR, "POST", "/v1/documents/faq-sec-vpn/purge",
                          NULL, 403, "an editor may not purge"));
    json_decref(write_req(R_AGENT, "POST", "/v1/documents/faq-sec-vpn/purge",
                          NULL, 403, "an agent may not purge"));
    json_decref(write_req(R_ANON, "POST", "/v1/suggest",
                          "{\"subject\":\"refusalbodycanary 13812345678\"}",
                          401, "suggest without a key is refused"));
    json_decref(write_req(R_WRONG, "POST", "/v1/suggest",
                          "{\"subject\":\"refusalbodycanary\"}", 401,
                          "suggest with a wrong key is refused"));
    json_decref(write_req(R_WRONG, "GET",
                          "/v1/search?q=refusalbodycanary+13812345678", NULL,
                          401, "a wrong key is refused on a public route"));
    json_decref(write_req(R_WRONG, "GET", "/v1/documents/faq-sec-vpn", NULL,
                          401, "a wrong key is refused reading a document"));
    json_decref(write_req(R_OLD, "POST", "/v1/suggest",
                          "{\"subject\":\"printer\"}", 200,
                          "the key about to be revoked still works"));
    check(probe(R_ANON, "GET", "/v1/documents/faq-refused", NULL, 404,
                "no refused write was stored", NULL),
          "no refused write was stored");

    /* Writes that fail: audited with the status the caller got. */
    json_decref(write_req(R_EDITOR, "DELETE", "/v1/documents/no-such-doc",
                          NULL, 404, "archiving a missing document is 404"));
    expect_entry("archive", 404, "DELETE", "/v1/documents/{id}", "no-such-doc",
                 0, 0, R_EDITOR);
    json_decref(write_req(R_EDITOR, "POST",
                          "/v1/documents/faq-sec-vpn/rollback?to=9", NULL, 404,
                          "rolling back to a missing version is 404"));
    expect_entry("rollback", 404, "POST", "/v1/documents/{id}/rollback",
                 "faq-sec-vpn", 0, 9, R_EDITOR);
    json_decref(write_req(R_ADMIN, "POST", "/v1/documents/no-such-doc/purge",
                          NULL, 404, "purging a missing document is 404"));
    expect_entry("purge", 404, "POST", "/v1/documents/{id}/purge",
                 "no-such-doc", 0, 0, R_ADMIN);

    /* A backup after all of it (security.sh greps it for the purged FAQ
     * and for personal data). */
    json_decref(write_req(R_AGENT, "POST", "/v1/admin/backup", NULL, 403,
                          "an agent may not back up the index"));
    json_decref(write_req(R_ANON, "POST", "/v1/admin/backup", NULL, 401,
                          "a backup without a key is refused"));
    j = write_req(R_ADMIN, "POST", "/v1/admin/backup", NULL, 200,
                  "an admin backs up the index");
    json_decref(j);

    /* What the purge left behind: nothing, for anybody. */
    probe(R_ADMIN, "GET", "/v1/documents/faq-sec-purge-me", NULL, 404,
          "the purged FAQ is gone for an admin", NULL);
    probe(R_ADMIN, "GET", "/v1/documents/faq-sec-purge-me/versions", NULL,
          404, "its versions are gone", NULL);
    if (probe(R_EDITOR, "GET", "/v1/search?q=echidnapurged", NULL, 200,
              "its words are gone from search", &j))
        check(json_integer_value(json_object_get(j, "total")) == 0,
              "the purged FAQ's words are gone from search");
    json_decref(j);
    return 0;
}

/* --- one request, one check (keys, rotation) --- */

static int parse_role(const char *s)
{
    static const char *const names[R_COUNT] = {"anon", "agent", "editor",
                                               "admin", "old", "new",
                                               "wrong"};
    for (int i = 0; i < R_COUNT; i++)
        if (!strcmp(s, names[i]))
            return i;
    return -1;
}

int mode_req(const char *as, const char *method, const char *path,
                    const char *body, int want, const char *what)
{
    int role = as ? parse_role(as) : -1;
    if (role < 0 || !method || !path || !want) {
        fprintf(stderr, "deskdex-canary req: needs --as, --method, --path "
                        "and --want\n");
        return 2;
    }
    json_t *j = NULL;
    if (probe(role, method, path, body, want, what ? what : path, &j))
        check(1, "%s", what ? what : path);
    json_decref(j);
    return 0;
}

/* --- keys on every keyed route --- */

int mode_keys(const char *phase)
{
    static const struct {
        const char *method, *path, *body;
        int min_role; /* R_AGENT, R_EDITOR or R_ADMIN */
    } keyed[] = {
        {"POST", "/v1/suggest", "{\"subject\":\"printer\"}", R_AGENT},
        {"POST", "/v1/documents",
         "{\"id\":\"faq-key-probe\",\"title\":\"refusalbodycanary\"}",
         R_EDITOR},
        {"DELETE", "/v1/documents/faq-sec-vpn", NULL, R_EDITOR},
        {"POST", "/v1/documents/faq-sec-vpn/rollback?to=1", NULL, R_EDITOR},
        {"POST", "/v1/documents/faq-sec-vpn/purge", NULL, R_ADMIN},
        {"POST", "/v1/admin/backup", NULL, R_ADMIN},
    };
    int after = phase && !strcmp(phase, "after");
    for (size_t i = 0; i < sizeof keyed / sizeof *keyed; i++) {
        char what[256];
        if (!after) {
            snprintf(what, sizeof what, "%s %s without a key is 401",
                     keyed[i].method, keyed[i].path);
            if (probe(R_ANON, keyed[i].method, keyed[i].path, keyed[i].body,
                      401, what, NULL))
                check(1, "%s", what);
            snprintf(what, sizeof what, "%s %s with a wrong key is 401",
                     keyed[i].method, keyed[i].path);
            if (probe(R_WRONG, keyed[i].method, keyed[i].path, keyed[i].body,
                      401, what, NULL))
                check(1, "%s", what);
            static const int lower[] = {R_AGENT, R_EDITOR};
            for (int k = 0; k < 2; k++) {
                if (lower[k] >= keyed[i].min_role)
                    continue;
                snprintf(what, sizeof what, "%s %s with an %s key is 403",
                         keyed[i].method, keyed[i].path,
                         role_names[lower[k]]);
                if (probe(lower[k], keyed[i].method, keyed[i].path,
                          keyed[i].body, 403, what, NULL))
                    check(1, "%s", what);
            }
        } else {
            snprintf(what, sizeof what, "%s %s with the revoked key is 401",
                     keyed[i].method, keyed[i].path);
            if (probe(R_OLD, keyed[i].method, keyed[i].path, keyed[i].body,
                      401, what, NULL))
                check(1, "%s", what);
            if (keyed[i].min_role > R_AGENT) {
                snprintf(what, sizeof what, "%s %s with the new agent key is "
                         "403", keyed[i].method, keyed[i].path);
                if (probe(R_NEW, keyed[i].method, keyed[i].path,
                          keyed[i].body, 403, what, NULL))
                    check(1, "%s", what);
            }
        }
    }
    if (after) {
        if (probe(R_OLD, "GET", "/v1/search?q=printer", NULL, 401,
                  "the revoked key is refused on a public route too", NULL))
            check(1, "the revoked key is refused on a public route too");
        if (probe(R_NEW, "POST", "/v1/suggest", "{\"subject\":\"printer\"}",
                  200, "the new key works without a restart", NULL))
            check(1, "the new key works without a restart");
        if (probe(R_AGENT, "POST", "/v1/suggest",
                  "{\"subject\":\"printer\"}", 200,
                  "the keys that stayed still work", NULL))
            check(1, "the keys that stayed still work");
    }
    return 0;
}

/* --- rate limits --- */

int mode_burst(void)
{
    conn c = CONN_INIT;
    resp r = {0};
    const int roles[] = {R_ANON, R_AGENT};
    double wait = 0;
    for (int ri = 0; ri < 2; ri++) {
        int role = roles[ri], ok = 0, limited = 0, good429 = 0, other = 0;
        for (int i = 0; i < 20; i++) {
            if (call(&c, role, "GET", "/v1/search?q=printer", NULL, &r) != 0) {
                other++;
                continue;
            }
            if (r.status == 200)
                ok++;
            else if (r.status == 429) {
                limited++;
                size_t vl = 0;
                const char *ra = header(&r, "Retry-After", &vl);
                long secs = ra ? strtol(ra, NULL, 10) : 0;
                if (secs > wait)
                    wait = (double)secs;
                good429 += ra && secs >= 1 &&
                           strstr(buf_str(&r.body), "\"rate_limited\"");
            } else
                other++;
        }
        check(limited >= 10 && ok >= 1 && other == 0,
              "%s: a burst of 20 requests at rate 5/s, burst 5: %d answered, "
              "%d refused with 429", role_names[role], ok, limited);
        check(limited > 0 && good429 == limited,
              "%s: every 429 carries Retry-After (seconds >= 1) and the "
              "rate_limited error", role_names[role]);
        if (role == R_ANON) {
            int h = call(&c, R_ANON, "GET", "/healthz", NULL, &r) == 0 &&
                    r.status == 200;
            int m = call(&c, R_ANON, "GET", "/metrics", NULL, &r) == 0 &&
                    r.status == 200;
            check(h && m, "/healthz and /metrics answer while the client is "
                  "limited");
            int n401 = 0;
            for (int i = 0; i < 10; i++)
                n401 += call(&c, R_WRONG, "GET", "/v1/search?q=printer", NULL,
                             &r) == 0 &&
                        r.status == 401;
            note("10 quick requests with a wrong key while limited: %d "
                 "answered 401, none 429 (refusals are not rate limited; "
                 "each adds an audit line)",
                 n401);
        }
    }
    long ms = (long)(wait * 1000) + 300;
    note("waiting %ld ms (the largest Retry-After) for the buckets to refill",
         ms);
    sleep_ms(ms > 3000 ? 3000 : ms);
    for (int ri = 0; ri < 2; ri++) {
        int st = call(&c, roles[ri], "GET", "/v1/search?q=printer", NULL, &r)
                         == 0
                     ? r.status
                     : 0;
        check(st == 200, "%s: requests succeed again after Retry-After (%d)",
              role_names[roles[ri]], st);
    }
    conn_close(&c);
    buf_free(&c.raw);
    resp_free(&r);
    return 0;
}

/* --- the audit log --- */

int mode_audit(const char *audit_path)
{
    FILE *f = audit_path ? fopen(audit_path, "r") : NULL;
    FILE *e = g_expect ? fopen(g_expect, "r") : NULL;
    if (!f || !e) {
        check(0, "audit: cannot read %s or %s", audit_path ? audit_path : "?",
              g_expect ? g_expect : "?");
        if (f)
            fclose(f);
        if (e)
            fclose(e);
        return 0;
    }
    json_t *lines = json_array(), *want = json_array();
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long malformed = 0, secrets = 0, nlines = 0;
    const char *keys[] = {getenv("DDX_AGENT_KEY"), getenv("DDX_EDITOR_KEY"),
                          getenv("DDX_ADMIN_KEY"), getenv("DDX_OLD_KEY"),
                          getenv("DDX_NEW_KEY"), role_keys[R_WRONG]};
    while ((len = getline(&line, &cap, f)) > 0) {
        nlines++;
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
            if (keys[k] && *keys[k] && strstr(line, keys[k]))
                secrets++;
        const struct pat *p = find_pat(line, (size_t)len, PII);
        if (p || memcasefind(line, (size_t)len, "refusalbodycanary", 17) ||
            memcasefind(line, (size_t)len, "cuscuscanary", 12)) {
            secrets++;
            note("  audit line holds request text: %.*s", (int)len - 1, line);
        }
        json_t *j = json_loads(line, 0, NULL);
        static const char *const fields[] = {"time", "key", "role", "client",
                                             "action", "method", "route",
                                             "status"};
        int ok = json_is_object(j);
        for (size_t k = 0; ok && k < sizeof fields / sizeof *fields; k++)
            ok = json_object_get(j, fields[k]) != NULL;
        if (!ok) {
            malformed++;
            json_decref(j);
            continue;
        }
        json_array_append_new(lines, j);
    }
    while ((len = getline(&line, &cap, e)) > 0) {
        json_t *j = json_loads(line, 0, NULL);
        if (j)
            json_array_append_new(want, j);
    }
    free(line);
    fclose(f);
    fclose(e);
    check(nlines > 0 && malformed == 0, "audit: %ld lines, each a JSON object "
          "with time, key, role, client, action, method, route and status",
          nlines);
    check(secrets == 0, "audit: no line holds a key, personal data or text "
          "from a request body");
    /* Match each expected entry with one line. */
    size_t nl = json_array_size(lines);
    char *used = calloc(nl + 1, 1);
    typedef struct {
        char what[160];
        long n, missing;
    } group;
    group groups[64];
    int ng = 0;
    size_t i;
    json_t *w;
    json_array_foreach(want, i, w)
    {
        const char *action = json_string_value(json_object_get(w, "action"));
        int status = (int)json_integer_value(json_object_get(w, "status"));
        const char *method = json_string_value(json_object_get(w, "method"));
        const char *route = json_string_value(json_object_get(w, "route"));
        char what[160];
        snprintf(what, sizeof what, "%s %d on %s %s", action, status, method,
                 route);
        int g = 0;
        while (g < ng && strcmp(groups[g].what, what) != 0)
            g++;
        if (g == ng && ng < 64) {
            snprintf(groups[ng].what, sizeof groups[ng].what, "%s", what);
            groups[ng].n = groups[ng].missing = 0;
            ng++;
        }
        if (g < 64)
            groups[g].n++;
        int found = 0;
        for (size_t k = 0; k < nl && !found; k++) {
            json_t *a = json_array_get(lines, k);
            if (used[k])
                continue;
            int match = 1;
            const char *key;
            json_t *v;
            json_object_foreach(w, key, v) match &=
                json_equal(v, json_object_get(a, key));
            if (match) {
                used[k] = 1;
                found = 1;
            }
        }
        if (!found) {
            if (g < 64)
                groups[g].missing++;
            char *ws = json_dumps(w, JSON_COMPACT | JSON_SORT_KEYS);
            /* Show what the log has for the same action and id instead. */
            const char *id = json_string_value(json_object_get(w, "id"));
            const char *got = NULL;
            char *gs = NULL;
            for (size_t k = 0; k < nl && !got; k++) {
                json_t *a = json_array_get(lines, k);
                if (!strcmp(json_string_value(json_object_get(a, "action")),
                            action) &&
                    (!id || !strcmp(json_string_value(json_object_get(a, "id"))
                                        ? json_string_value(
                                              json_object_get(a, "id"))
                                        : "",
                                    id)))
                    got = gs = json_dumps(a, JSON_COMPACT);
            }
            note("  no audit line %s%s%s", ws ? ws : "?",
                 got ? "; the log has " : "", got ? got : "");
            free(ws);
            free(gs);
        }
    }
    for (int g = 0; g < ng; g++)
        check(groups[g].missing == 0, "audit: %ld x %s, each a line with "
              "its id, version and status (%ld missing)", groups[g].n,
              groups[g].what, groups[g].missing);
    /* Lines nothing explains: not a write or refusal that happened (a
     * write logged with another status was reported above). */
    long extra = 0, other_status = 0;
    for (size_t k = 0; k < nl; k++) {
        if (used[k])
            continue;
        json_t *a = json_array_get(lines, k);
        int near = 0;
        json_array_foreach(want, i, w)
        {
            int match = 1;
            const char *key;
            json_t *v;
            json_object_foreach(w, key, v) if (strcmp(key, "status"))
                match &= json_equal(v, json_object_get(a, key));
            near |= match;
        }
        if (near) {
            other_status++;
        } else {
            extra++;
            char *as = json_dumps(a, JSON_COMPACT);
            note("  unexplained audit line: %s", as ? as : "?");
            free(as);
        }
    }
    check(json_array_size(want) > 0 && extra == 0,
          "audit: no line for anything that was not a write or a refusal "
          "(%ld unexplained, %ld with another status, of %zu)", extra,
          other_status, nl);
    free(used);
    json_decref(lines);
    json_decref(want);
    return 0;
}

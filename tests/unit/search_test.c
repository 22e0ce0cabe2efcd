/* search_test.c - the query language, audiences, snippets and facets over a
 * small index built through kb_store_put */
#define _XOPEN_SOURCE 700 /* nftw */
#include "kb_config.h"
#include "kb_doc.h"
#include "kb_error.h"
#include "kb_search.h"
#include "kb_store.h"
#include "kb_suggest.h"
#include "kb_text.h"
#include "xapian_c.h"

#include "testhelp.h"
#include "testtmp.h"
#include "wordnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* --- the index --- */

static kb_xdb *db;

static const char *const docs[] = {
    "{\"id\":\"faq-vpn-drops\",\"kind\":\"faq\",\"question\":\"My VPN keeps "
    "disconnecting\",\"answer\":\"Switch the tunnel mode to SSL. Power saving "
    "on the Wi-Fi adapter also drops the tunnel.\",\"product\":\"vpn\","
    "\"tags\":[\"vpn\",\"network\"]}",

    "{\"id\":\"faq-password\",\"kind\":\"faq\",\"question\":\"How do I reset "
    "my password?\",\"answer\":\"Open the KestrelID portal and choose Forgot "
    "password.\",\"product\":\"account\",\"tags\":[\"password\"]}",

    "{\"id\":\"manual-paper-jam\",\"kind\":\"manual\",\"title\":\"Clearing a "
    "paper jam\",\"body\":\"When the printer is jammed, open drawer 2 and "
    "remove the torn sheet.\",\"product\":\"printing\",\"tags\":"
    "[\"printing\"]}",

    "{\"id\":\"faq-printer-tray\",\"kind\":\"faq\",\"question\":\"Printer "
    "tray empty\",\"answer\":\"Put paper in the tray. A jam is rare with "
    "fresh paper.\",\"product\":\"printing\",\"tags\":[\"printing\","
    "\"paper\"]}",

    /* 忘记密码怎么办 / 请访问自助门户重置密码。 */
    "{\"id\":\"faq-zh-password\",\"kind\":\"faq\",\"lang\":\"zh\","
    "\"question\":\"\xE5\xBF\x98\xE8\xAE\xB0\xE5\xAF\x86\xE7\xA0\x81\xE6\x80"
    "\x8E\xE4\xB9\x88\xE5\x8A\x9E\",\"answer\":\"\xE8\xAF\xB7\xE8\xAE\xBF\xE9"
    "\x97\xAE\xE8\x87\xAA\xE5\x8A\xA9\xE9\x97\xA8\xE6\x88\xB7\xE9\x87\x8D\xE7"
    "\xBD\xAE\xE5\xAF\x86\xE7\xA0\x81\xE3\x80\x82\",\"product\":\"account\"}",

    "{\"id\":\"INC-100\",\"subject\":\"Outlook crashes on start\","
    "\"description\":\"Outlook closes after the splash screen.\","
    "\"resolution\":\"Ran quick repair of Office.\",\"status\":\"resolved\","
    "\"product\":\"email\"}",

    "{\"id\":\"manual-teams-draft\",\"kind\":\"manual\",\"title\":\"Upcoming "
    "Teams migration\",\"body\":\"Teams moves to the new tenant in "
    "spring.\",\"status\":\"draft\"}",

    "{\"id\":\"faq-script\",\"kind\":\"faq\",\"question\":\"Why does the "
    "portal remove my code?\",\"answer\":\"The portal strips "
    "<script>alert(1)</script> from messages & replies.\"}",
};

static int build_index(void)
{
    char path[128];
    char *err = NULL;
    int rc;
    snprintf(path, sizeof path, "%s/db", tmproot);
    rc = kb_xdb_open(&db, path, KB_XDB_WRITE | KB_XDB_NOSYNC, &err);
    if (rc == KB_OK)
        rc = kb_xdb_begin(db, &err);
    for (size_t i = 0; rc == KB_OK && i < sizeof docs / sizeof *docs; i++) {
        json_t *in = json_loads(docs[i], 0, NULL), *d = NULL;
        int outcome, version;
        rc = in ? kb_doc_from_json(&d, in, NULL, &err) : KB_ERROR;
        if (rc == KB_OK)
            rc = kb_store_put(db, d, "test", &outcome, &version, &err);
        if (rc != KB_OK)
            fprintf(stderr, "  document %zu: %s\n", i, err ? err : "?");
        json_decref(in);
        json_decref(d);
    }
    if (rc == KB_OK)
        rc = kb_xdb_commit(db, &err);
    if (rc != KB_OK)
        fprintf(stderr, "cannot build the index: %s\n", err ? err : "?");
    kb_free(err);
    return rc;
}

/* --- helpers --- */

/* Search q with o (q filled in); *out new. Returns the rc. */
static int search(const char *q, kb_search_opts *o, const kb_config *cfg,
                  json_t **out)
{
    char *err = NULL;
    o->q = q;
    int rc = kb_search(out, db, cfg, o, &err);
    if (rc != KB_OK)
        fprintf(stderr, "  search \"%s\": %s\n", q, err ? err : "?");
    kb_free(err);
    return rc;
}

static json_t *results(const json_t *r)
{
    return json_object_get(r, "results");
}

static size_t nresults(const json_t *r) { return json_array_size(results(r)); }

static const char *id_at(const json_t *r, size_t i)
{
    const char *s =
        json_string_value(json_object_get(json_array_get(results(r), i), "id"));
    return s ? s : "(none)";
}

/* 1 if id is among the results. */
static int finds(const json_t *r, const char *id)
{
    for (size_t i = 0; i < nresults(r); i++)
        if (strcmp(id_at(r, i), id) == 0)
            return 1;
    return 0;
}

static const char *field_of(const json_t *r, const char *id, const char *field)
{
    for (size_t i = 0; i < nresults(r); i++)
        if (strcmp(id_at(r, i), id) == 0)
            return kb_doc_str(json_array_get(results(r), i), field);
    return "";
}

static void show(const char *what, const json_t *r)
{
    fprintf(stderr, "  %s: %zu results:", what, nresults(r));
    for (size_t i = 0; i < nresults(r); i++)
        fprintf(stderr, " %s", id_at(r, i));
    fprintf(stderr, "\n");
}

/* Store the record in (through kb_doc_from_json, as a reader would). */
static void put(kb_xdb *w, const json_t *in)
{
    json_t *doc = NULL;
    char *err = NULL;
    int outcome, version;
    CHECK_RC(kb_doc_from_json(&doc, in, NULL, &err), KB_OK);
    CHECK_RC(kb_store_put(w, doc, "test", &outcome, &version, &err), KB_OK);
    if (err)
        fprintf(stderr, "  put: %s\n", err);
    kb_free(err);
    json_decref(doc);
}

/* An FAQ with this id, question and answer, into w. */
static void put_faq(kb_xdb *w, const char *id, const char *question,
                    const char *answer)
{
    json_t *in = json_pack("{s:s,s:s,s:s}", "id", id, "question", question,
                           "answer", answer);
    put(w, in);
    json_decref(in);
}

/* A new, empty index in the test folder, open for writing and in a
 * transaction; NULL (after a failed check) if it cannot be made. */
static kb_xdb *new_index(const char *name)
{
    char path[128], *err = NULL;
    kb_xdb *w = NULL;
    snprintf(path, sizeof path, "%s/%s", tmproot, name);
    CHECK_RC(kb_xdb_open(&w, path, KB_XDB_WRITE | KB_XDB_NOSYNC, &err), KB_OK);
    if (w && kb_xdb_begin(w, &err) != KB_OK) {
        CHECK(!"kb_xdb_begin");
        kb_xdb_close(w);
        w = NULL;
    }
    if (err)
        fprintf(stderr, "  %s: %s\n", name, err);
    kb_free(err);
    return w;
}

/* Plain search opts: no spelling unless a test asks for it. */
static kb_search_opts opts(kb_audience a)
{
    kb_search_opts o = KB_SEARCH_OPTS_INIT;
    o.audience = a;
    o.spelling = 0;
    return o;
}

/* --- ranking and the query language --- */

static void test_search__plain_words_rank_the_right_doc_first(void)
{
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *r = NULL;
    CHECK_RC(search("vpn disconnecting", &o, NULL, &r), KB_OK);
    CHECK(nresults(r) >= 1);
    CHECK_STR(id_at(r, 0), "faq-vpn-drops");
    json_decref(r);
    CHECK_RC(search("reset password", &o, NULL, &r), KB_OK);
    CHECK_STR(id_at(r, 0), "faq-password");
    json_decref(r);
    /* Stemming: "jams" finds "jam". */
    CHECK_RC(search("Clearing jams", &o, NULL, &r), KB_OK);
    CHECK_STR(id_at(r, 0), "manual-paper-jam");
    json_decref(r);
}

static void test_search__results_carry_document_fields(void)
{
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *r = NULL, *hit;
    CHECK_RC(search("vpn disconnecting", &o, NULL, &r), KB_OK);
    hit = json_array_get(results(r), 0);
    CHECK(hit != NULL);
    CHECK_STR(kb_doc_str(hit, "kind"), "faq");
    CHECK_STR(kb_doc_str(hit, "title"), "My VPN keeps disconnecting");
    CHECK(json_integer_value(json_object_get(hit, "version")) == 1);
    CHECK(json_real_value(json_object_get(hit, "score")) > 0.0);
    CHECK(strstr(kb_doc_str(hit, "title_html"), "<mark>VPN</mark>") != NULL);
    /* FAQs carry their answer. */
    CHECK(strstr(kb_doc_str(hit, "answer"), "tunnel") != NULL);
    CHECK(json_integer_value(json_object_get(r, "total")) >= 1);
    json_decref(r);
}

static void test_search__one_unknown_word_still_finds(void)
{
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *r = NULL;
    CHECK_RC(search("printer qqqzzxq", &o, NULL, &r), KB_OK);
    CHECK(finds(r, "manual-paper-jam"));
    CHECK(finds(r, "faq-printer-tray"));
    json_decref(r);
    /* "OR" and "AND" are accepted words of the language, not terms. */
    CHECK_RC(search("vpn OR password", &o, NULL, &r), KB_OK);
    CHECK(finds(r, "faq-vpn-drops") && finds(r, "faq-password"));
    json_decref(r);
}

static void test_search__zero_hits_and_empty_queries_are_success(void)
{
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *r = NULL;
    CHECK_RC(search("qqqzzxq", &o, NULL, &r), KB_OK);
    CHECK(r != NULL && nresults(r) == 0);
    CHECK(json_integer_value(json_object_get(r, "total")) == 0);
    json_decref(r);
    CHECK_RC(search("", &o, NULL, &r), KB_OK);
    CHECK(r != NULL && nresults(r) == 0);
    json_decref(r);
    CHECK_RC(search("  \"  ", &o, NULL, &r), KB_OK);
    json_decref(r);
}

static void test_search__quoted_phrase_is_required(void)
{
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *r = NULL;
    /* faq-printer-tray has "paper" and "jam" but not "paper jam". */
    CHECK_RC(search("\"paper jam\"", &o, NULL, &r), KB_OK);
    CHECK(nresults(r) == 1 && finds(r, "manual-paper-jam"));
    json_decref(r);
}

static void test_search__minus_word_excludes(void)
{
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *r = NULL;
    CHECK_RC(search("printer -drawer", &o, NULL, &r), KB_OK);
    CHECK(finds(r, "faq-printer-tray"));
    CHECK(!finds(r, "manual-paper-jam"));
    json_decref(r);
    CHECK_RC(search("printer NOT tray", &o, NULL, &r), KB_OK);
    CHECK(finds(r, "manual-paper-jam"));
    CHECK(!finds(r, "faq-printer-tray"));
    json_decref(r);
    /* +word is required. */
    CHECK_RC(search("printer +drawer", &o, NULL, &r), KB_OK);
    CHECK(nresults(r) == 1 && finds(r, "manual-paper-jam"));
    json_decref(r);
}

static void test_search__kind_filter_in_the_query_and_the_options(void)
{
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *r = NULL;
    CHECK_RC(search("printer kind:faq", &o, NULL, &r), KB_OK);
    CHECK(nresults(r) == 1 && finds(r, "faq-printer-tray"));
    json_decref(r);
    CHECK_RC(search("printer KIND:Manual", &o, NULL, &r), KB_OK);
    CHECK(nresults(r) == 1 && finds(r, "manual-paper-jam"));
    json_decref(r);
    o.kind = "manual";
    CHECK_RC(search("printer", &o, NULL, &r), KB_OK);
    CHECK(nresults(r) == 1 && finds(r, "manual-paper-jam"));
    json_decref(r);
    /* A filter alone lists everything it matches. */
    o.kind = NULL;
    CHECK_RC(search("product:printing", &o, NULL, &r), KB_OK);
    CHECK(nresults(r) == 2);
    json_decref(r);
    CHECK_RC(search("printer -kind:faq", &o, NULL, &r), KB_OK);
    CHECK(nresults(r) == 1 && finds(r, "manual-paper-jam"));
    json_decref(r);
}

static void test_search__title_field_searches_titles_only(void)
{
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *r = NULL;
    /* "tray" is in faq-printer-tray's title; "drawer" only in a body. */
    CHECK_RC(search("title:tray", &o, NULL, &r), KB_OK);
    CHECK(nresults(r) == 1 && finds(r, "faq-printer-tray"));
    json_decref(r);
    CHECK_RC(search("title:drawer", &o, NULL, &r), KB_OK);
    CHECK(nresults(r) == 0);
    json_decref(r);
}

static void test_search__prefix_star_matches_word_starts(void)
{
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *r = NULL;
    CHECK_RC(search("passw*", &o, NULL, &r), KB_OK);
    CHECK(finds(r, "faq-password"));
    CHECK(strstr(field_of(r, "faq-password", "title_html"),
                 "<mark>password</mark>") != NULL);
    json_decref(r);
    /* A one-letter prefix is not expanded. */
    CHECK_RC(search("p*", &o, NULL, &r), KB_OK);
    CHECK(nresults(r) == 0);
    json_decref(r);
}

static void test_search__typed_word_completes_among_titles(void)
{
    kb_config cfg;
    CHECK_RC(kb_config_defaults(&cfg), KB_OK);
    CHECK(cfg.title_weight > 0);
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *r = NULL;
    o.partial = 1;
    /* "pap" completes to the title word "paper", not to the answer that
     * has it in its text only. */
    CHECK_RC(search("pap", &o, &cfg, &r), KB_OK);
    CHECK(finds(r, "manual-paper-jam") && !finds(r, "faq-printer-tray"));
    json_decref(r);
    /* A word typed in full is found wherever it is. */
    CHECK_RC(search("paper", &o, &cfg, &r), KB_OK);
    CHECK(finds(r, "manual-paper-jam") && finds(r, "faq-printer-tray"));
    json_decref(r);
    /* No title word starts with "tunn": it completes among all words. */
    CHECK_RC(search("tunn", &o, &cfg, &r), KB_OK);
    CHECK(nresults(r) == 1 && finds(r, "faq-vpn-drops"));
    json_decref(r);
    /* Nothing starts with "zzq". */
    CHECK_RC(search("zzq", &o, &cfg, &r), KB_OK);
    CHECK(nresults(r) == 0);
    json_decref(r);
    kb_config_free(&cfg);
}

static void test_search__partial_last_word_is_typed_ahead(void)
{
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *r = NULL;
    o.partial = 1;
    CHECK_RC(search("printer jamm", &o, NULL, &r), KB_OK);
    CHECK(nresults(r) >= 1);
    CHECK_STR(id_at(r, 0), "manual-paper-jam");
    json_decref(r);
    CHECK_RC(search("disconn", &o, NULL, &r), KB_OK);
    CHECK(finds(r, "faq-vpn-drops"));
    json_decref(r);
    /* Without partial, "disconn" is just an unknown word. */
    o.partial = 0;
    CHECK_RC(search("disconn", &o, NULL, &r), KB_OK);
    CHECK(nresults(r) == 0);
    json_decref(r);
}

/* --- Chinese --- */

static void test_search__chinese_query_finds_and_marks_the_chinese_doc(void)
{
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *r = NULL;
    /* 密码 */
    CHECK_RC(search("\xE5\xAF\x86\xE7\xA0\x81", &o, NULL, &r), KB_OK);
    CHECK(nresults(r) >= 1);
    CHECK_STR(id_at(r, 0), "faq-zh-password");
    CHECK(strstr(field_of(r, "faq-zh-password", "snippet"),
                 "<mark>\xE5\xAF\x86\xE7\xA0\x81</mark>") != NULL);
    CHECK(strstr(field_of(r, "faq-zh-password", "title_html"),
                 "\xE5\xBF\x98\xE8\xAE\xB0<mark>\xE5\xAF\x86\xE7\xA0\x81"
                 "</mark>") != NULL);
    json_decref(r);
    /* A question phrased differently still finds it: 怎么重置密码 */
    CHECK_RC(search("\xE6\x80\x8E\xE4\xB9\x88\xE9\x87\x8D\xE7\xBD\xAE\xE5\xAF"
                    "\x86\xE7\xA0\x81",
                    &o, NULL, &r),
             KB_OK);
    CHECK_STR(id_at(r, 0), "faq-zh-password");
    json_decref(r);
    /* The language filter. */
    o.lang = "zh";
    CHECK_RC(search("password \xE5\xAF\x86\xE7\xA0\x81", &o, NULL, &r), KB_OK);
    CHECK(nresults(r) == 1 && finds(r, "faq-zh-password"));
    json_decref(r);
}

/* --- spelling and synonyms --- */

static void test_search__misspelling_gets_did_you_mean(void)
{
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *r = NULL;
    o.spelling = 1;
    CHECK_RC(search("reset passwrd", &o, NULL, &r), KB_OK);
    CHECK(strstr(kb_doc_str(r, "did_you_mean"), "password") != NULL);
    CHECK_STR(kb_doc_str(r, "did_you_mean"), "reset password");
    CHECK(finds(r, "faq-password"));
    json_decref(r);
    /* A known word is never corrected. */
    CHECK_RC(search("printer", &o, NULL, &r), KB_OK);
    CHECK(json_object_get(r, "did_you_mean") == NULL);
    json_decref(r);
    /* Spelling off: no correction. */
    o.spelling = 0;
    CHECK_RC(search("passwrd", &o, NULL, &r), KB_OK);
    CHECK(json_object_get(r, "did_you_mean") == NULL);
    CHECK(nresults(r) == 0);
    json_decref(r);
}

static void test_search__spelling_never_suggests_internal_words(void)
{
    kb_search_opts o = opts(KB_AUD_AGENT);
    json_t *r = NULL;
    o.spelling = 1;
    /* "outlook" is only in an internal ticket. */
    CHECK_RC(search("outlok", &o, NULL, &r), KB_OK);
    CHECK(json_object_get(r, "did_you_mean") == NULL);
    json_decref(r);
}

static void test_search__synonyms_from_the_configuration(void)
{
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    kb_config cfg;
    json_t *r = NULL;
    char path[128];
    char *err = NULL;
    FILE *f;
    snprintf(path, sizeof path, "%s/deskdex.conf", tmproot);
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("# test configuration\n"
          "k1 = 1.2\n"
          "synonym = pwd, passcode => password\n"
          "synonym = vpn, tunnel, globalconnect\n",
          f);
    fclose(f);
    CHECK_RC(kb_config_defaults(&cfg), KB_OK);
    CHECK_RC(kb_config_load(&cfg, path, &err), KB_OK);
    CHECK(kb_config_synonym(&cfg, "pwd", 3) != NULL);

    CHECK_RC(search("pwd", &o, NULL, &r), KB_OK);
    CHECK(nresults(r) == 0); /* no synonyms without the configuration */
    json_decref(r);
    CHECK_RC(search("pwd", &o, &cfg, &r), KB_OK);
    CHECK(finds(r, "faq-password"));
    json_decref(r);
    CHECK_RC(search("globalconnect", &o, &cfg, &r), KB_OK);
    CHECK(finds(r, "faq-vpn-drops"));
    json_decref(r);
    /* One-directional: "password" does not mean "pwd"; results stay. */
    CHECK_RC(search("password", &o, &cfg, &r), KB_OK);
    CHECK(finds(r, "faq-password"));
    json_decref(r);
    kb_free(err);
    kb_config_free(&cfg);
}

static void test_search__bad_configuration_line_names_its_line(void)
{
    kb_config cfg;
    char path[128];
    char *err = NULL;
    FILE *f;
    snprintf(path, sizeof path, "%s/bad.conf", tmproot);
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fputs("k1 = 1.2\nno_such_setting = 3\n", f);
    fclose(f);
    CHECK_RC(kb_config_defaults(&cfg), KB_OK);
    CHECK_RC(kb_config_load(&cfg, path, &err), KB_EINVALID);
    CHECK(err && strstr(err, ":2:") != NULL);
    kb_free(err);
    err = NULL;
    snprintf(path, sizeof path, "%s/missing.conf", tmproot);
    CHECK_RC(kb_config_load(&cfg, path, &err), KB_ENOTFOUND);
    kb_free(err);
    kb_config_free(&cfg);
    kb_config_free(NULL);
}

/* --- audiences --- */

static void test_search__internal_ticket_only_for_agents(void)
{
    kb_search_opts pub = opts(KB_AUD_PUBLIC), agent = opts(KB_AUD_AGENT);
    json_t *r = NULL;
    CHECK_RC(search("outlook quick repair", &pub, NULL, &r), KB_OK);
    CHECK(!finds(r, "INC-100"));
    CHECK(nresults(r) == 0);
    json_decref(r);
    CHECK_RC(search("outlook quick repair", &agent, NULL, &r), KB_OK);
    CHECK(finds(r, "INC-100"));
    /* Tickets carry their resolution. */
    CHECK(strstr(field_of(r, "INC-100", "resolution"), "quick") != NULL);
    json_decref(r);
}

static void test_search__drafts_only_for_editors(void)
{
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *r = NULL;
    CHECK_RC(search("teams migration", &o, NULL, &r), KB_OK);
    CHECK(!finds(r, "manual-teams-draft"));
    json_decref(r);
    o.audience = KB_AUD_AGENT;
    CHECK_RC(search("teams migration", &o, NULL, &r), KB_OK);
    CHECK(!finds(r, "manual-teams-draft"));
    json_decref(r);
    o.audience = KB_AUD_EDITOR;
    CHECK_RC(search("teams migration", &o, NULL, &r), KB_OK);
    CHECK(finds(r, "manual-teams-draft"));
    json_decref(r);
    o.audience = KB_AUD_ADMIN;
    CHECK_RC(search("teams migration", &o, NULL, &r), KB_OK);
    CHECK(finds(r, "manual-teams-draft"));
    json_decref(r);
}

/* --- snippets --- */

static void test_search__snippets_escape_html(void)
{
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *r = NULL;
    const char *snip;
    CHECK_RC(search("portal strips", &o, NULL, &r), KB_OK);
    CHECK(finds(r, "faq-script"));
    snip = field_of(r, "faq-script", "snippet");
    CHECK(strstr(snip, "&lt;script&gt;") != NULL);
    CHECK(strstr(snip, "<script>") == NULL);
    CHECK(strstr(snip, "&amp; replies") != NULL);
    CHECK(strstr(snip, "<mark>strips</mark>") != NULL);
    json_decref(r);
    /* A query for the markup itself is escaped too. */
    CHECK_RC(search("<script>alert", &o, NULL, &r), KB_OK);
    CHECK(strstr(field_of(r, "faq-script", "answer"), "<script>") == NULL);
    json_decref(r);
}

static void test_search__snippets_can_be_turned_off(void)
{
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *r = NULL;
    o.snippets = 0;
    CHECK_RC(search("portal strips", &o, NULL, &r), KB_OK);
    CHECK(finds(r, "faq-script"));
    CHECK(json_object_get(json_array_get(results(r), 0), "snippet") == NULL);
    json_decref(r);
}

static void test_search__snippet_window_centres_on_a_late_match(void)
{
    char text[1200] = "";
    kb_termset ts = KB_TERMSET_INIT;
    char *out = NULL;
    for (int i = 0; i < 40; i++)
        strcat(text, "filler words here. ");
    strcat(text, "The printer jammed again today. ");
    for (int i = 0; i < 10; i++)
        strcat(text, "more filler text. ");
    kb_termset_add(&ts, "printer", 7);
    kb_termset_add(&ts, "jam", 3); /* stems: "jammed" is marked whole */
    CHECK_RC(
        kb_snippet(&out, text, strlen(text), &ts, kb_stemmer_for("en"), 80),
        KB_OK);
    CHECK(out != NULL);
    if (out) {
        CHECK(strncmp(out, "\xE2\x80\xA6", 3) == 0); /* cut in front */
        CHECK(strcmp(out + strlen(out) - 3, "\xE2\x80\xA6") == 0);
        CHECK(strstr(out, "<mark>printer</mark> <mark>jammed</mark>") != NULL);
        CHECK(strlen(out) < 160);
        CHECK(kb_utf8_invalid_at(out, strlen(out)) == -1);
    }
    kb_free(out);
    kb_termset_free(&ts);
}

static void test_search__marks_found_once_cut_to_several_lengths(void)
{
    char text[1600] = "";
    kb_termset ts = KB_TERMSET_INIT;
    kb_stemmer *st = kb_stemmer_for("en");
    for (int i = 0; i < 30; i++)
        strcat(text, "filler words here. ");
    strcat(text, "The printer jammed, 打印机卡纸 again. ");
    for (int i = 0; i < 30; i++)
        strcat(text, "more filler text. ");
    kb_termset_add(&ts, "printer", 7);
    kb_termset_add(&ts, "jam", 3);
    kb_termset_add(&ts, "打印", strlen("打印"));
    kb_marks m = KB_MARKS_INIT;
    CHECK_RC(kb_marks_find(&m, text, strlen(text), &ts, st), KB_OK);
    CHECK(m.nsp == 3); /* printer, jammed, 打印 */
    /* Each cut is the excerpt kb_snippet makes at that length. */
    static const size_t lens[] = {40, 80, 240, 600, 4096};
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
        char *a = NULL, *b = NULL;
        CHECK_RC(kb_marks_excerpt(&a, &m, lens[i]), KB_OK);
        CHECK_RC(kb_snippet(&b, text, strlen(text), &ts, st, lens[i]), KB_OK);
        CHECK(a && b && strcmp(a, b) == 0);
        CHECK(a && strstr(a, "<mark>printer</mark>") != NULL);
        kb_free(a);
        kb_free(b);
    }
    kb_marks_free(&m);
    CHECK(m.sp == NULL && m.nsp == 0 && m.tk.n == 0);
    /* No text: an empty excerpt. */
    char *e = NULL;
    CHECK_RC(kb_marks_find(&m, "", 0, &ts, st), KB_OK);
    CHECK_RC(kb_marks_excerpt(&e, &m, 80), KB_OK);
    CHECK(e && *e == '\0');
    kb_free(e);
    kb_marks_free(&m);
    kb_termset_free(&ts);
}

/* A word being typed marks the words it begins, though no whole term
 * sought starts with its letter (excerpts leave such words unread). */
static void test_search__marks_words_a_typed_prefix_begins(void)
{
    const char *text = "Restart the Connection Manager, then reconnect; "
                       "connections drop when the printer sleeps.";
    kb_termset ts = KB_TERMSET_INIT;
    kb_stemmer *st = kb_stemmer_for("en");
    kb_termset_add(&ts, "printer", 7);
    kb_termset_add_prefix(&ts, "conn", 4);
    char *out = NULL;
    CHECK_RC(kb_snippet(&out, text, strlen(text), &ts, st, 4096), KB_OK);
    CHECK(out && strstr(out, "<mark>Connection</mark> Manager"));
    CHECK(out && strstr(out, "<mark>connections</mark> drop"));
    CHECK(out && strstr(out, "<mark>printer</mark>"));
    CHECK(out && !strstr(out, "<mark>reconnect"));
    CHECK(out && !strstr(out, "<mark>Restart"));
    kb_free(out);
    kb_termset_free(&ts);
}

/* --- facets, paging --- */

static json_int_t facet(const json_t *r, const char *name, const char *v)
{
    return json_integer_value(json_object_get(
        json_object_get(json_object_get(r, "facets"), name), v));
}

static void test_search__facets_count_kinds_products_and_tags(void)
{
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *r = NULL;
    o.limit = 1; /* counts cover all matches, not the page */
    CHECK_RC(search("printer paper", &o, NULL, &r), KB_OK);
    CHECK(nresults(r) == 1);
    CHECK(json_integer_value(json_object_get(r, "total")) == 2);
    CHECK(facet(r, "kind", "faq") == 1);
    CHECK(facet(r, "kind", "manual") == 1);
    CHECK(facet(r, "product", "printing") == 2);
    CHECK(facet(r, "tag", "printing") == 2);
    CHECK(facet(r, "tag", "paper") == 1);
    CHECK(json_object_get(json_object_get(r, "facets"), "category") != NULL);
    json_decref(r);
    /* Facets respect the audience: the internal ticket is not counted. */
    CHECK_RC(search("product:email", &o, NULL, &r), KB_OK);
    CHECK(facet(r, "product", "email") == 0);
    json_decref(r);
    o.facets = 0;
    CHECK_RC(search("printer", &o, NULL, &r), KB_OK);
    CHECK(json_object_get(r, "facets") == NULL);
    json_decref(r);
}

/* An index written before the combined facet value (KB_SLOT_FACETS) has
 * only the four single slots: its facets are counted from those. */
static void test_search__facets_of_an_index_without_the_combined_slot(void)
{
    char *err = NULL;
    kb_xdb *w = new_index("legacy");
    if (!w)
        return;
    kb_tokens tk = KB_TOKENS_INIT;
    CHECK_RC(kb_analyse(&tk, "toner", 5, kb_stemmer_for("en"), 1, NULL), KB_OK);
    static const char *const old[][3] = {{"faq-a", "faq", "printing"},
                                         {"faq-b", "faq", "printing"},
                                         {"man-c", "manual", "email"}};
    for (size_t i = 0; w && tk.n && i < 3; i++) {
        kb_xdoc *d = kb_xdoc_new();
        char q[32], data[256];
        snprintf(q, sizeof q, "Q%s", old[i][0]);
        snprintf(data, sizeof data,
                 "{\"id\":\"%s\",\"kind\":\"%s\","
                 "\"title\":\"Toner\",\"body\":\"toner\",\"version\":1,"
                 "\"status\":\"published\",\"visibility\":\"public\","
                 "\"product\":\"%s\"}",
                 old[i][0], old[i][1], old[i][2]);
        char k[32], p[32];
        snprintf(k, sizeof k, "K%s", old[i][1]);
        snprintf(p, sizeof p, "P%s", old[i][2]);
        const char *terms[] = {q, k, p, "Xpublished", "Vpublic"};
        for (size_t t = 0; t < 5; t++)
            kb_xdoc_add_term(d, terms[t], strlen(terms[t]), 0, 0);
        kb_xdoc_add_term(d, kb_tok_term(&tk, &tk.v[0]), tk.v[0].tlen, 1, 0);
        kb_xdoc_add_value(d, KB_SLOT_KIND, old[i][1], strlen(old[i][1]));
        kb_xdoc_add_value(d, KB_SLOT_PRODUCT, old[i][2], strlen(old[i][2]));
        kb_xdoc_add_value(d, KB_SLOT_TAGS, "ink\x1fpaper", 9);
        kb_xdoc_set_data(d, data, strlen(data));
        CHECK_RC(kb_xdb_replace(w, q, strlen(q), d, &err), KB_OK);
        kb_xdoc_free(d);
    }
    kb_tokens_free(&tk);
    CHECK_RC(kb_xdb_commit(w, &err), KB_OK);
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    o.q = "toner";
    json_t *r = NULL;
    CHECK_RC(kb_search(&r, w, NULL, &o, &err), KB_OK);
    CHECK(json_integer_value(json_object_get(r, "total")) == 3);
    CHECK(facet(r, "kind", "faq") == 2);
    CHECK(facet(r, "kind", "manual") == 1);
    CHECK(facet(r, "product", "printing") == 2);
    CHECK(facet(r, "product", "email") == 1);
    CHECK(facet(r, "tag", "ink") == 3);
    CHECK(facet(r, "tag", "paper") == 3);
    json_decref(r);
    kb_free(err);
    kb_xdb_close(w);
}

static void test_search__limit_and_offset_page_through_results(void)
{
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *all = NULL, *page = NULL;
    CHECK_RC(search("printer paper", &o, NULL, &all), KB_OK);
    CHECK(nresults(all) == 2);
    o.limit = 1;
    o.offset = 1;
    CHECK_RC(search("printer paper", &o, NULL, &page), KB_OK);
    CHECK(nresults(page) == 1);
    CHECK_STR(id_at(page, 0), id_at(all, 1));
    json_decref(page);
    o.offset = 10;
    CHECK_RC(search("printer paper", &o, NULL, &page), KB_OK);
    CHECK(nresults(page) == 0);
    json_decref(page);
    json_decref(all);
}

static size_t lcg(unsigned long long *x)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return (size_t)(*x >> 33);
}

/* A page is the top of the ranking however many results are asked for:
 * over a generated index of 400 documents whose titles hold the query words
 * more or less often than their bodies (the title field adds a scaled
 * score), a page of 3 equals the first 3 of 100, and the page at offset 3
 * the next 3, for 80 queries. */
/* --- listing by article (group) --- */

/* A manual in sections (parent "man-print"), two single-section pages, a
 * second manual whose best section is a draft, and filler. */
static kb_xdb *grouped_index(void)
{
    static const char *const g[] = {
        "{\"id\":\"print:setup\",\"parent\":\"man-print\",\"kind\":\"manual\","
        "\"title\":\"Connecting the printer\",\"body\":\"Plug the printer "
        "into the dock and wait for the printer light.\"}",
        "{\"id\":\"print:toner\",\"parent\":\"man-print\",\"kind\":\"manual\","
        "\"title\":\"Replacing the toner\",\"body\":\"Open the front cover "
        "and slide the cartridge out.\"}",
        "{\"id\":\"print:warranty\",\"parent\":\"man-print\",\"kind\":"
        "\"manual\",\"title\":\"Warranty\",\"body\":\"Call the vendor.\"}",
        "{\"id\":\"drivers\",\"kind\":\"manual\",\"title\":\"Printer "
        "drivers\",\"body\":\"Every printer needs a printer driver: install "
        "the printer driver from the portal.\"}",
        "{\"id\":\"copier:intro\",\"parent\":\"man-copier\",\"kind\":"
        "\"manual\",\"title\":\"The copier\",\"body\":\"The copier on "
        "floor two is also a printer, used rarely.\"}",
        "{\"id\":\"copier:toner\",\"parent\":\"man-copier\",\"kind\":"
        "\"manual\",\"status\":\"draft\",\"title\":\"Copier toner and "
        "printer toner\",\"body\":\"Printer toner, toner, toner: the "
        "printer toner goes in the copier.\"}",
    };
    static const char *const filler[] = {
        "Reset your password in the portal",
        "The VPN drops on hotel wifi",
        "Outlook asks for the password again",
        "Teams calls have no sound",
        "Book a meeting room from the calendar",
        "The laptop battery drains",
        "Map the shared drive again",
        "Screen flickers on the dock"};
    char *err = NULL;
    kb_xdb *w = new_index("grouped");
    if (!w)
        return NULL;
    size_t ng = sizeof g / sizeof *g, nf = sizeof filler / sizeof *filler;
    for (size_t i = 0; w && i < ng + nf; i++) {
        json_t *in = NULL;
        if (i < ng) {
            in = json_loads(g[i], 0, NULL);
        } else {
            char id[32];
            snprintf(id, sizeof id, "filler-%zu", i);
            in = json_pack("{s:s,s:s,s:s}", "id", id, "question",
                           filler[i - ng], "answer", filler[i - ng]);
        }
        put(w, in);
        json_decref(in);
    }
    CHECK_RC(kb_xdb_commit(w, &err), KB_OK);
    kb_free(err);
    return w;
}

static const char *parent_at(const json_t *r, size_t i)
{
    return kb_doc_str(json_array_get(results(r), i), "parent");
}

/* i-th result's position in r, or -1. */
static long pos_of(const json_t *r, const char *id)
{
    for (size_t i = 0; i < nresults(r); i++)
        if (!strcmp(id_at(r, i), id))
            return (long)i;
    return -1;
}

/* q searched with o, without and then with group (o keeps group set). */
static void plain_and_grouped(kb_xdb *w, const kb_config *cfg,
                              kb_search_opts *o, const char *q, json_t **plain,
                              json_t **grp)
{
    o->q = q;
    o->group = 0;
    CHECK_RC(kb_search(plain, w, cfg, o, NULL), KB_OK);
    o->group = 1;
    CHECK_RC(kb_search(grp, w, cfg, o, NULL), KB_OK);
    show("plain", *plain);
    show("grouped", *grp);
}

static void
test_search__group_ranks_whole_articles_and_keeps_sections_together(void)
{
    kb_xdb *w = grouped_index();
    kb_config cfg;
    kb_config_defaults(&cfg);
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *plain = NULL, *grp = NULL;
    o.snippets = 0;
    o.limit = 20;
    plain_and_grouped(w, &cfg, &o, "printer toner", &plain, &grp);
    /* The same hits, and the same total. */
    CHECK(nresults(grp) == nresults(plain) && nresults(grp) == 4);
    for (size_t i = 0; i < nresults(plain); i++)
        CHECK(pos_of(grp, id_at(plain, i)) >= 0);
    CHECK(json_equal(json_object_get(grp, "total"),
                     json_object_get(plain, "total")));
    /* The printer manual has both words (in two sections): it comes first,
     * its sections together in their own order; the drivers page, with
     * only "printer" however often, after it. */
    CHECK(!strcmp(parent_at(grp, 0), "man-print") &&
          !strcmp(parent_at(grp, 1), "man-print"));
    CHECK((pos_of(plain, "print:setup") < pos_of(plain, "print:toner")) ==
          (pos_of(grp, "print:setup") < pos_of(grp, "print:toner")));
    CHECK(pos_of(grp, "drivers") == 2);
    /* The copier manual's toner section is a draft: the public ranks the
     * copier by its one visible section, last... */
    CHECK(pos_of(grp, "copier:intro") == 3);
    CHECK(pos_of(grp, "copier:toner") < 0);
    /* ...while an editor, who sees the draft, gets the copier first; its
     * intro, far weaker than the draft section, is not pulled up with it
     * but listed by its own score (last). */
    json_t *ed = NULL;
    o.audience = KB_AUD_EDITOR;
    CHECK_RC(kb_search(&ed, w, &cfg, &o, NULL), KB_OK);
    show("editor, grouped", ed);
    CHECK(nresults(ed) == 5);
    CHECK(pos_of(ed, "copier:toner") == 0);
    CHECK(pos_of(ed, "copier:intro") == 4);
    /* Pages of the grouped list are slices of it. */
    o.audience = KB_AUD_PUBLIC;
    for (int off = 0; off < 4; off++) {
        json_t *page = NULL;
        o.offset = off;
        o.limit = 2;
        CHECK_RC(kb_search(&page, w, &cfg, &o, NULL), KB_OK);
        size_t want =
            nresults(grp) - (size_t)off < 2 ? nresults(grp) - (size_t)off : 2;
        CHECK(nresults(page) == want);
        for (size_t i = 0; i < nresults(page); i++)
            CHECK(!strcmp(id_at(page, i), id_at(grp, (size_t)off + i)));
        json_decref(page);
    }
    json_decref(ed);
    json_decref(plain);
    json_decref(grp);
    kb_config_free(&cfg);
    kb_xdb_close(w);
}

/* An index written before the article value slot existed: the article
 * is read from the G and Q terms instead. Documents are made by hand as
 * kb_store made them then (terms, no slot 8). */
static void
test_search__group_reads_the_parent_from_terms_in_an_older_index(void)
{
    static const struct {
        const char *id, *parent, *words;
    } d[] = {{"x:one", "man-x", "printer"},
             {"x:two", "man-x", "toner"},
             {"solo", "", "printer printer printer"},
             {"f1", "", "other"},
             {"f2", "", "other"},
             {"f3", "", "other"},
             {"f4", "", "other"}};
    char *err = NULL, t[64];
    kb_xdb *w = new_index("older");
    if (!w)
        return;
    for (size_t i = 0; w && i < sizeof d / sizeof *d; i++) {
        kb_xdoc *x = kb_xdoc_new();
        json_t *in = json_pack("{s:s,s:s,s:s,s:s}", "id", d[i].id, "kind",
                               "manual", "title", d[i].id, "body", d[i].words),
               *doc = NULL;
        CHECK_RC(kb_doc_from_json(&doc, in, NULL, &err), KB_OK);
        if (*d[i].parent)
            json_object_set_new(doc, "parent", json_string(d[i].parent));
        uint32_t pos = 1;
        for (const char *p = d[i].words; *p;) {
            size_t n = strcspn(p, " ");
            kb_xdoc_add_term(x, p, n, pos++, 1);
            p += n + (p[n] == ' ');
        }
        snprintf(t, sizeof t, "Q%s", d[i].id);
        kb_xdoc_add_term(x, t, strlen(t), 0, 0);
        snprintf(t, sizeof t, "G%s", d[i].parent);
        if (*d[i].parent)
            kb_xdoc_add_term(x, t, strlen(t), 0, 0);
        kb_xdoc_add_term(x, "Vpublic", 7, 0, 0);
        kb_xdoc_add_term(x, "Xpublished", 10, 0, 0);
        size_t dlen = 0;
        char *data = kb_doc_pack(doc, &dlen);
        kb_xdoc_set_data(x, data, dlen);
        snprintf(t, sizeof t, "Q%s", d[i].id);
        CHECK_RC(kb_xdb_replace(w, t, strlen(t), x, &err), KB_OK);
        free(data);
        kb_xdoc_free(x);
        json_decref(doc);
        json_decref(in);
    }
    CHECK_RC(kb_xdb_commit(w, &err), KB_OK);
    kb_free(err);
    kb_config cfg;
    kb_config_defaults(&cfg);
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *plain = NULL, *grp = NULL;
    o.snippets = 0;
    plain_and_grouped(w, &cfg, &o, "printer toner", &plain, &grp);
    /* solo comes between the two sections on its own... */
    CHECK(nresults(plain) == 3 && pos_of(plain, "solo") == 1);
    /* ...and after their article, which has both words. */
    CHECK(nresults(grp) == 3 && pos_of(grp, "solo") == 2);
    json_decref(plain);
    json_decref(grp);
    kb_config_free(&cfg);
    kb_xdb_close(w);
}

/* Without parents every document is its own article, scored as the
 * section search scores it: the order does not change. */
static void test_search__group_without_parents_keeps_the_order(void)
{
    static const char *const qs[] = {
        "printer paper jam", "vpn disconnecting wifi",
        "reset password",    "printer printer tray",
        "password portal",   "outlook crash start"};
    kb_config cfg;
    kb_config_defaults(&cfg);
    for (size_t k = 0; k < sizeof qs / sizeof *qs; k++) {
        kb_search_opts o = opts(KB_AUD_AGENT);
        json_t *a = NULL, *b = NULL;
        o.limit = 20;
        CHECK_RC(search(qs[k], &o, &cfg, &a), KB_OK);
        o.group = 1;
        CHECK_RC(search(qs[k], &o, &cfg, &b), KB_OK);
        CHECK(nresults(a) == nresults(b) && nresults(a) > 0);
        for (size_t i = 0; i < nresults(a); i++)
            CHECK(!strcmp(id_at(a, i), id_at(b, i)));
        json_decref(a);
        json_decref(b);
    }
    kb_config_free(&cfg);
}

static void test_search__a_page_is_the_top_of_the_whole_ranking(void)
{
    static const char *const words[] = {
        "printer", "paper",  "network", "tunnel",  "password", "reset",
        "driver",  "update", "outlook", "crash",   "mailbox",  "quota",
        "screen",  "laptop", "battery", "docking", "monitor",  "cable",
        "toner",   "queue",  "license", "install", "vpn",      "wifi"};
    const size_t nw = sizeof words / sizeof *words;
    char *err = NULL;
    unsigned long long x = 42;
#define NEXT() lcg(&x)
    kb_xdb *w = new_index("paging");
    if (!w)
        return;
    for (int i = 0; w && i < 400; i++) {
        char title[256] = "", body[4096] = "";
        size_t nt = 1 + NEXT() % 4, nb = 3 + NEXT() % 80;
        for (size_t k = 0; k < nt; k++) {
            size_t a = NEXT() % nw, half = NEXT() % 2;
            strcat(title, words[half ? a : a % 6]); /* common ones too */
            strcat(title, " ");
        }
        for (size_t k = 0; k < nb; k++) {
            size_t r = NEXT() % 100;
            strcat(body, words[r < 60 ? r % 6 : r % nw]); /* a few common */
            strcat(body, " ");
        }
        char id[16];
        snprintf(id, sizeof id, "gen-%d", i);
        json_t *d = json_pack("{s:s,s:s,s:s,s:s}", "id", id, "kind", "manual",
                              "title", title, "body", body);
        put(w, d);
        json_decref(d);
    }
    CHECK_RC(kb_xdb_commit(w, &err), KB_OK);
    kb_config cfg;
    kb_config_defaults(&cfg);
    int pages = 0, same = 0;
    for (int qn = 0; w && qn < 80; qn++) {
        char q[128];
        size_t a = NEXT() % nw, b = NEXT() % nw, c = NEXT() % nw;
        snprintf(q, sizeof q, "%s %s%s%s", words[a], words[b],
                 qn % 2 ? " " : "", qn % 2 ? words[c] : "");
        kb_search_opts o = opts(KB_AUD_PUBLIC);
        o.q = q;
        o.snippets = 0;
        o.limit = 100;
        json_t *all = NULL, *p1 = NULL, *p2 = NULL;
        kb_search(&all, w, &cfg, &o, NULL);
        o.limit = 3;
        kb_search(&p1, w, &cfg, &o, NULL);
        o.offset = 3;
        kb_search(&p2, w, &cfg, &o, NULL);
        int ok = all && p1 && p2;
        for (size_t i = 0; ok && i < 6 && i < nresults(all); i++)
            ok = !strcmp(id_at(i < 3 ? p1 : p2, i % 3), id_at(all, i));
        pages++;
        same += ok;
        if (!ok) {
            fprintf(stderr, "  \"%s\":\n", q);
            show("top 100", all);
            show("page 1", p1);
            show("page 2", p2);
        }
        json_decref(all);
        json_decref(p1);
        json_decref(p2);
    }
#undef NEXT
    CHECK(pages == 80 && same == pages);
    kb_config_free(&cfg);
    kb_free(err);
    kb_xdb_close(w);
}

/* --- relevance feedback --- */

static void test_search__expansion_terms_widen_the_search(void)
{
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *r = NULL;
    /* "drawer" is only in the paper-jam manual; its words (printer,
     * paper, jam) are shared with the tray FAQ. */
    CHECK_RC(search("drawer", &o, NULL, &r), KB_OK);
    CHECK(nresults(r) == 1);
    json_decref(r);
    o.expand_terms = 20;
    o.expand_docs = 1;
    CHECK_RC(search("drawer", &o, NULL, &r), KB_OK);
    CHECK_STR(id_at(r, 0), "manual-paper-jam");
    CHECK(finds(r, "faq-printer-tray"));
    if (!finds(r, "faq-printer-tray"))
        show("drawer with expansion", r);
    json_decref(r);
}

/* --- the thesaurus --- */

/* cfg with the test thesaurus loaded at weight w. */
static int thesaurus_config(kb_config *cfg, double w)
{
    static const wn_synset syn[] = {{'v', "remove withdraw", NULL},
                                    {'n', "toner pigment", NULL},
                                    {'n', "gizmo usual scarce", NULL}};
    char dir[128];
    snprintf(dir, sizeof dir, "%s/wordnet", tmproot);
    mkdir(dir, 0755);
    kb_config_defaults(cfg);
    if (wn_write(dir, syn, sizeof syn / sizeof *syn, NULL) != 0)
        return -1;
    free(cfg->thesaurus);
    cfg->thesaurus = strdup(dir);
    cfg->thesaurus_weight = w;
    return kb_config_prepare(cfg, NULL);
}

static double score_of(const json_t *r, const char *id)
{
    for (size_t i = 0; i < nresults(r); i++)
        if (!strcmp(id_at(r, i), id))
            return json_real_value(
                json_object_get(json_array_get(results(r), i), "score"));
    return -1;
}

static void test_search__related_words_of_the_first_16_query_words(void)
{
    /* 17 words the thesaurus knows: "remove" (from "withdraw") is sought
     * only while "withdraw" is among the first 16. */
    static const char *const w[] = {"zqa", "zqb", "zqc", "zqd", "zqe", "zqf",
                                    "zqg", "zqh", "zqi", "zqj", "zqk", "zql",
                                    "zqm", "zqn", "zqo", "zqp"};
    enum { NW = sizeof w / sizeof *w };
    wn_synset syn[NW + 1];
    char words[NW][16], dir[128], last[200] = "", first[200] = "withdraw";
    syn[0] = (wn_synset){'v', "remove withdraw", NULL};
    for (int i = 0; i < NW; i++) {
        snprintf(words[i], sizeof words[i], "%s %szz", w[i], w[i]);
        syn[i + 1] = (wn_synset){'n', words[i], NULL};
        snprintf(last + strlen(last), sizeof last - strlen(last), "%s ", w[i]);
        snprintf(first + strlen(first), sizeof first - strlen(first), " %s",
                 w[i]);
    }
    strcat(last, "withdraw");
    snprintf(dir, sizeof dir, "%s/wordnet-17", tmproot);
    mkdir(dir, 0755);
    kb_config cfg;
    kb_config_defaults(&cfg);
    CHECK(wn_write(dir, syn, NW + 1, NULL) == 0);
    free(cfg.thesaurus);
    cfg.thesaurus = strdup(dir);
    CHECK_RC(kb_config_prepare(&cfg, NULL), KB_OK);
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *r = NULL;
    CHECK_RC(search(first, &o, &cfg, &r), KB_OK);
    CHECK(finds(r, "faq-script"));
    json_decref(r);
    CHECK_RC(search(last, &o, &cfg, &r), KB_OK);
    CHECK(nresults(r) == 0);
    json_decref(r);
    kb_config_free(&cfg);
}

static void test_search__thesaurus_words_find_answers_at_their_weight(void)
{
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    kb_config cfg;
    json_t *r = NULL, *direct = NULL;
    CHECK_RC(thesaurus_config(&cfg, 0.3), KB_OK);
    CHECK(cfg.th != NULL);
    /* Without the thesaurus nothing says "withdraw"... */
    CHECK_RC(search("withdraw", &o, NULL, &r), KB_OK);
    CHECK(nresults(r) == 0);
    json_decref(r);
    /* ...with it the answers that say "remove" are found, each at 0.3 of
     * the score the word itself gives it. */
    CHECK_RC(search("withdraw", &o, &cfg, &r), KB_OK);
    CHECK_RC(search("remove", &o, &cfg, &direct), KB_OK);
    CHECK(nresults(r) == 2 && nresults(direct) == 2);
    CHECK(finds(r, "manual-paper-jam") && finds(r, "faq-script"));
    for (size_t i = 0; i < nresults(direct); i++) {
        double a = score_of(r, id_at(direct, i));
        double b = score_of(direct, id_at(direct, i));
        CHECK(b > 0 && a > 0.29 * b && a < 0.31 * b);
        CHECK(!strcmp(id_at(r, i), id_at(direct, i)));
    }
    json_decref(r);
    json_decref(direct);
    /* The word itself is not highlighted as if it had been asked. */
    CHECK_RC(search("withdraw", &o, &cfg, &r), KB_OK);
    const char *snip = kb_doc_str(json_array_get(results(r), 0), "snippet");
    CHECK(!strstr(snip, "<mark>"));
    json_decref(r);
    /* Type-ahead keeps to the words typed. */
    o.partial = 1;
    CHECK_RC(search("withdraw tra", &o, &cfg, &r), KB_OK);
    CHECK(!finds(r, "faq-script") && finds(r, "faq-printer-tray"));
    json_decref(r);
    kb_config_free(&cfg);
    /* Weight 0: none loaded, nothing widened. */
    CHECK_RC(thesaurus_config(&cfg, 0), KB_OK);
    CHECK(cfg.th == NULL);
    o.partial = 0;
    CHECK_RC(search("withdraw", &o, &cfg, &r), KB_OK);
    CHECK(nresults(r) == 0);
    json_decref(r);
    kb_config_free(&cfg);
}

/* Articles are ranked with a related word at its weight, as sections
 * are: at weight 1 "pigment" ranks as "toner" itself does; at a small
 * weight barely at all, so the article that says "printer" most leads. */
static void test_search__group_weighs_thesaurus_words_as_the_sections_do(void)
{
    kb_xdb *w = grouped_index();
    kb_config typed, full, light;
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *a = NULL, *b = NULL, *c = NULL, *d = NULL;
    o.snippets = 0;
    o.limit = 20;
    o.group = 1;
    kb_config_defaults(&typed);
    CHECK_RC(thesaurus_config(&full, 1.0), KB_OK);
    CHECK_RC(thesaurus_config(&light, 0.02), KB_OK);
    o.q = "printer toner";
    CHECK_RC(kb_search(&a, w, &typed, &o, NULL), KB_OK);
    o.q = "printer pigment";
    CHECK_RC(kb_search(&b, w, &full, &o, NULL), KB_OK);
    CHECK_RC(kb_search(&c, w, &light, &o, NULL), KB_OK);
    o.q = "printer";
    CHECK_RC(kb_search(&d, w, &typed, &o, NULL), KB_OK);
    show("printer toner", a);
    show("printer pigment, weight 1", b);
    show("printer pigment, weight 0.02", c);
    show("printer", d);
    CHECK(nresults(a) == nresults(b) && nresults(a) == 4);
    for (size_t i = 0; i < nresults(a); i++)
        CHECK(!strcmp(id_at(a, i), id_at(b, i)));
    CHECK(!strcmp(parent_at(a, 0), "man-print"));
    CHECK(!strcmp(id_at(c, 0), id_at(d, 0)) && !strcmp(id_at(c, 0), "drivers"));
    json_decref(a);
    json_decref(b);
    json_decref(c);
    json_decref(d);
    kb_config_free(&typed);
    kb_config_free(&full);
    kb_config_free(&light);
    kb_xdb_close(w);
}

/* A related word in most of a large index is left out: it would tell the
 * answers apart little and cost a long posting list. */
static void test_search__common_thesaurus_words_are_left_out(void)
{
    char *err = NULL;
    kb_config cfg;
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *r = NULL;
    kb_xdb *w = new_index("common");
    if (!w)
        return;
    for (int i = 0; i < 1160; i++) {
        char id[32];
        snprintf(id, sizeof id, "doc-%d", i);
        put_faq(w, id, i < 1100 ? "the usual printer" : "a scarce printer",
                "Ask the desk.");
    }
    CHECK_RC(kb_xdb_commit(w, &err), KB_OK);
    CHECK_RC(thesaurus_config(&cfg, 0.3), KB_OK);
    o.limit = 100;
    o.q = "gizmo";
    CHECK_RC(kb_search(&r, w, &cfg, &o, NULL), KB_OK);
    CHECK(nresults(r) == 60); /* the scarce ones, not the 1,100 usual */
    for (size_t i = 0; i < nresults(r); i++)
        CHECK(atoi(id_at(r, i) + 4) >= 1100);
    json_decref(r);
    kb_free(err);
    kb_config_free(&cfg);
    kb_xdb_close(w);
}

static void test_search__long_question_keeps_its_rarest_words(void)
{
    char *err = NULL, all[24 * 7 + 1] = "", q[512];
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *r = NULL;
    kb_xdb *w = new_index("long");
    if (!w)
        return;
    /* One answer has 24 words found nowhere else, five share a common
     * word. */
    for (int i = 0; i < 24; i++)
        snprintf(all + 7 * i, sizeof all - 7 * i, "rare%02d ", i);
    put_faq(w, "target", "The target", all);
    for (int i = 0; i < 5; i++) {
        char id[32];
        snprintf(id, sizeof id, "common-%d", i);
        put_faq(w, id, "A page", "The commonword is here.");
    }
    CHECK_RC(kb_xdb_commit(w, &err), KB_OK);
    o.limit = 20;
    o.q = q;
    /* 24 words: every one is searched. */
    snprintf(q, sizeof q, "commonword %.*s", 23 * 7, all);
    CHECK_RC(kb_search(&r, w, NULL, &o, NULL), KB_OK);
    CHECK(nresults(r) == 6 && !strcmp(id_at(r, 0), "target"));
    json_decref(r);
    /* 25: the commonest is left out. */
    snprintf(q, sizeof q, "commonword %s", all);
    CHECK_RC(kb_search(&r, w, NULL, &o, NULL), KB_OK);
    CHECK(nresults(r) == 1 && !strcmp(id_at(r, 0), "target"));
    json_decref(r);
    /* A word the index lacks does not count... */
    snprintf(q, sizeof q, "commonword %.*s unknownzq", 23 * 7, all);
    CHECK_RC(kb_search(&r, w, NULL, &o, NULL), KB_OK);
    CHECK(nresults(r) == 6);
    json_decref(r);
    /* ...and a required word is always searched. */
    snprintf(q, sizeof q, "+commonword %s", all);
    CHECK_RC(kb_search(&r, w, NULL, &o, NULL), KB_OK);
    CHECK(nresults(r) == 5 && !finds(r, "target"));
    json_decref(r);
    kb_free(err);
    kb_xdb_close(w);
}

static void
test_search__traditional_and_simplified_chinese_find_each_other(void)
{
    char *err = NULL;
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *r = NULL;
    kb_xdb *w = new_index("scripts");
    if (!w)
        return;
    put_faq(w, "zh-cn", "如何修改账户密码", "在设置页面修改密码。");
    put_faq(w, "zh-tw", "印表機無法連線", "請重新啟動印表機。");
    put_faq(w, "en", "Printer offline", "Restart the printer.");
    CHECK_RC(kb_xdb_commit(w, &err), KB_OK);
    /* Traditional finds Simplified, and marks the text as written. */
    o.q = "修改賬戶密碼";
    CHECK_RC(kb_search(&r, w, NULL, &o, NULL), KB_OK);
    CHECK(nresults(r) == 1 && !strcmp(id_at(r, 0), "zh-cn"));
    CHECK(strstr(field_of(r, "zh-cn", "title_html"),
                 "如何<mark>修改账户密码</mark>") != NULL);
    json_decref(r);
    /* Simplified finds Traditional. */
    o.q = "打印机无法连线";
    CHECK_RC(kb_search(&r, w, NULL, &o, NULL), KB_OK);
    CHECK(nresults(r) >= 1 && !strcmp(id_at(r, 0), "zh-tw"));
    CHECK(strstr(field_of(r, "zh-tw", "title_html"), "<mark>") != NULL);
    json_decref(r);
    o.q = "连线";
    CHECK_RC(kb_search(&r, w, NULL, &o, NULL), KB_OK);
    CHECK(nresults(r) == 1 && !strcmp(id_at(r, 0), "zh-tw"));
    json_decref(r);
    kb_xdb_close(w);
    kb_free(err);
}

static void test_search__words_written_apart_find_the_joined_word(void)
{
    static const char *const docs[][3] = {
        {"nightly", "Nightly backup",
         "The backup of the mail server runs "
         "at two."},
        {"box", "Moving a box", "Tip the box on its back, then pick it up."},
        {"mail", "Mail", "Mail flows through the relay."}};
    char *err = NULL;
    kb_search_opts o = opts(KB_AUD_PUBLIC);
    json_t *r = NULL;
    kb_xdb *w = new_index("joined");
    if (!w)
        return;
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++)
        put_faq(w, docs[i][0], docs[i][1], docs[i][2]);
    CHECK_RC(kb_xdb_commit(w, &err), KB_OK);
    /* "back up" and "back-up" find the answer that says "backup", whose
     * own word ranks it first; the words apart still find theirs. */
    const char *apart[] = {"back up", "back-up", "how to back up mail"};
    for (size_t i = 0; i < sizeof apart / sizeof *apart; i++) {
        o.q = apart[i];
        CHECK_RC(kb_search(&r, w, NULL, &o, NULL), KB_OK);
        CHECK(nresults(r) >= 2 && !strcmp(id_at(r, 0), "nightly"));
        CHECK(finds(r, "box"));
        json_decref(r);
    }
    /* Not across a comma, nor as the word being typed. */
    o.q = "back, up";
    CHECK_RC(kb_search(&r, w, NULL, &o, NULL), KB_OK);
    CHECK(finds(r, "box") && !finds(r, "nightly"));
    json_decref(r);
    o.q = "back up";
    o.partial = 1;
    CHECK_RC(kb_search(&r, w, NULL, &o, NULL), KB_OK);
    CHECK(!finds(r, "nightly"));
    json_decref(r);
    o.partial = 0;
    /* A ticket's words apart are joined too. */
    kb_suggest_opts so = KB_SUGGEST_OPTS_INIT;
    so.subject = "Cannot back up my laptop";
    CHECK_RC(kb_suggest(&r, w, NULL, &so, NULL), KB_OK);
    CHECK(finds(r, "nightly"));
    int said = 0;
    size_t i;
    json_t *term;
    json_array_foreach(json_object_get(r, "terms"), i, term) said |=
        !strcmp(json_string_value(term), "backup");
    CHECK(said);
    json_decref(r);
    kb_free(err);
    kb_xdb_close(w);
}

int main(void)
{
    if (tmp_make("search_test") < 0)
        return 2;
    if (build_index() != KB_OK) {
        kb_xdb_close(db);
        tmp_remove();
        printf("tests: 0 passed, 1 failed\n");
        return 1;
    }
    RUN(test_search__plain_words_rank_the_right_doc_first);
    RUN(test_search__results_carry_document_fields);
    RUN(test_search__one_unknown_word_still_finds);
    RUN(test_search__zero_hits_and_empty_queries_are_success);
    RUN(test_search__quoted_phrase_is_required);
    RUN(test_search__minus_word_excludes);
    RUN(test_search__kind_filter_in_the_query_and_the_options);
    RUN(test_search__title_field_searches_titles_only);
    RUN(test_search__prefix_star_matches_word_starts);
    RUN(test_search__partial_last_word_is_typed_ahead);
    RUN(test_search__typed_word_completes_among_titles);
    RUN(test_search__chinese_query_finds_and_marks_the_chinese_doc);
    RUN(test_search__misspelling_gets_did_you_mean);
    RUN(test_search__spelling_never_suggests_internal_words);
    RUN(test_search__synonyms_from_the_configuration);
    RUN(test_search__bad_configuration_line_names_its_line);
    RUN(test_search__internal_ticket_only_for_agents);
    RUN(test_search__drafts_only_for_editors);
    RUN(test_search__snippets_escape_html);
    RUN(test_search__snippets_can_be_turned_off);
    RUN(test_search__snippet_window_centres_on_a_late_match);
    RUN(test_search__marks_found_once_cut_to_several_lengths);
    RUN(test_search__marks_words_a_typed_prefix_begins);
    RUN(test_search__facets_count_kinds_products_and_tags);
    RUN(test_search__facets_of_an_index_without_the_combined_slot);
    RUN(test_search__limit_and_offset_page_through_results);
    RUN(test_search__a_page_is_the_top_of_the_whole_ranking);
    RUN(test_search__group_ranks_whole_articles_and_keeps_sections_together);
    RUN(test_search__group_without_parents_keeps_the_order);
    RUN(test_search__group_reads_the_parent_from_terms_in_an_older_index);
    RUN(test_search__expansion_terms_widen_the_search);
    RUN(test_search__thesaurus_words_find_answers_at_their_weight);
    RUN(test_search__related_words_of_the_first_16_query_words);
    RUN(test_search__group_weighs_thesaurus_words_as_the_sections_do);
    RUN(test_search__common_thesaurus_words_are_left_out);
    RUN(test_search__long_question_keeps_its_rarest_words);
    RUN(test_search__traditional_and_simplified_chinese_find_each_other);
    RUN(test_search__words_written_apart_find_the_joined_word);
    kb_xdb_close(db);
    kb_stemmers_release();
    tmp_remove();
    return TEST_REPORT();
}

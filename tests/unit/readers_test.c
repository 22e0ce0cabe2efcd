/* readers_test.c - source files become records (tests/corpora/readers) and
 * bad files become problems with line numbers (tests/corpora/bad) */
#include "kb_doc.h"
#include "kb_error.h"
#include "readers.h"

#include "testhelp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GOOD "tests/corpora/readers/"
#define BAD "tests/corpora/bad/"

/* --- a sink that records everything --- */

typedef struct {
    json_t *recs;  /* [{"line":n,"kind":k|null,"rec":{…}}] */
    json_t *probs; /* [{"line":n,"msg":"…"}] */
    int stop_at;   /* return 99 from the stop_at-th record (0: never) */
} rec_sink;

static int on_record(void *ctx, json_t *rec, const char *kind, int line)
{
    rec_sink *s = ctx;
    json_array_append_new(s->recs, json_pack("{s:i,s:s?,s:O}", "line", line,
                                             "kind", kind, "rec", rec));
    if (s->stop_at && (int)json_array_size(s->recs) == s->stop_at)
        return 99;
    return 0;
}

static void on_problem(void *ctx, int line, const char *fmt, ...)
{
    rec_sink *s = ctx;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_array_append_new(s->probs,
                          json_pack("{s:i,s:s}", "line", line, "msg", msg));
}

/* Read path with o (NULL: defaults) into s; returns kb_read_buffer's rc. */
static int read_file(const char *path, const kb_read_opts *o, rec_sink *s)
{
    kb_read_opts def = KB_READ_OPTS_INIT;
    kb_sink sink = {on_record, on_problem, s};
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n = 0;
    int rc = KB_EIO;
    s->recs = json_array();
    s->probs = json_array();
    s->stop_at = 0;
    if (!f) {
        fprintf(stderr, "  cannot open %s (run from the repository root)\n",
                path);
        return KB_EIO;
    }
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
        fread(buf, 1, (size_t)n, f) == (size_t)n)
        rc = kb_read_buffer(path, buf, (size_t)n, o ? o : &def, &sink);
    free(buf);
    fclose(f);
    return rc;
}

static void sink_free(rec_sink *s)
{
    json_decref(s->recs);
    json_decref(s->probs);
    memset(s, 0, sizeof *s);
}

static size_t nrecs(const rec_sink *s) { return json_array_size(s->recs); }
static size_t nprobs(const rec_sink *s) { return json_array_size(s->probs); }

/* Record i (borrowed) and its line and kind. */
static json_t *rec(const rec_sink *s, size_t i)
{
    return json_object_get(json_array_get(s->recs, i), "rec");
}
static int rec_line(const rec_sink *s, size_t i)
{
    return (int)json_integer_value(
        json_object_get(json_array_get(s->recs, i), "line"));
}
static const char *rec_kind(const rec_sink *s, size_t i)
{
    return json_string_value(
        json_object_get(json_array_get(s->recs, i), "kind"));
}

/* The record whose "id" is id, or NULL. */
static json_t *rec_by_id(const rec_sink *s, const char *id, int *line)
{
    for (size_t i = 0; i < nrecs(s); i++)
        if (strcmp(kb_doc_str(rec(s, i), "id"), id) == 0) {
            if (line)
                *line = rec_line(s, i);
            return rec(s, i);
        }
    return NULL;
}

static int prob_line(const rec_sink *s, size_t i)
{
    return (int)json_integer_value(
        json_object_get(json_array_get(s->probs, i), "line"));
}
static const char *prob_msg(const rec_sink *s, size_t i)
{
    return json_string_value(
        json_object_get(json_array_get(s->probs, i), "msg"));
}

/* 1 if a problem at line mentions text. */
static int has_problem(const rec_sink *s, int line, const char *text)
{
    for (size_t i = 0; i < nprobs(s); i++)
        if (prob_line(s, i) == line && strstr(prob_msg(s, i), text))
            return 1;
    fprintf(stderr, "  no problem at line %d mentioning \"%s\"; got:\n", line,
            text);
    for (size_t i = 0; i < nprobs(s); i++)
        fprintf(stderr, "    line %d: %s\n", prob_line(s, i), prob_msg(s, i));
    return 0;
}

/* Convert record i as the indexer would; returns the rc. */
static int to_doc(const rec_sink *s, size_t i, json_t **out, char **err)
{
    return kb_doc_from_json(out, rec(s, i), rec_kind(s, i), err);
}

/* --- Markdown manuals --- */

static void test_readers__markdown_manual_splits_into_sections(void)
{
    rec_sink s;
    json_t *r;
    int line = 0;
    CHECK_RC(read_file(GOOD "manual.md", NULL, &s), KB_OK);
    CHECK(nprobs(&s) == 0);
    /* overview, install-windows, on-macos, troubleshooting twice; the
     * heading-only "Installing the client" is skipped. */
    CHECK(nrecs(&s) == 5);
    CHECK(rec_by_id(&s, "vpn-mini:install", NULL) == NULL);
    for (size_t i = 0; i < nrecs(&s); i++)
        CHECK_STR(rec_kind(&s, i), "manual");

    r = rec_by_id(&s, "vpn-mini:overview", &line);
    CHECK(r != NULL);
    CHECK_STR(kb_doc_str(r, "title"), "Mini VPN guide");
    CHECK_STR(kb_doc_str(r, "anchor"), "overview");
    CHECK_STR(kb_doc_str(r, "parent"), "vpn-mini");
    CHECK_STR(kb_doc_str(r, "section"), "Mini VPN guide");
    CHECK(strstr(kb_doc_str(r, "body"), "GlobalConnect connects") != NULL);
    CHECK(line == 10);
    json_t *r2 = rec_by_id(&s, "vpn-mini:install-windows", &line);
    CHECK(r2 != NULL);
    CHECK_STR(kb_doc_str(r2, "title"), "On Windows");
    CHECK_STR(kb_doc_str(r2, "section"), "Mini VPN guide \xE2\x80\xBA "
                                         "Installing the client \xE2\x80\xBA "
                                         "On Windows");
    /* List items keep their numbers; emphasis marks are gone. */
    CHECK(strstr(kb_doc_str(r2, "body"), "1. Open Company Portal.") != NULL);
    CHECK(strstr(kb_doc_str(r2, "body"), "**") == NULL);
    CHECK(line == 16);
    sink_free(&s);
}

static void test_readers__markdown_anchor_is_made_from_the_heading(void)
{
    rec_sink s;
    json_t *r;
    CHECK_RC(read_file(GOOD "manual.md", NULL, &s), KB_OK);
    r = rec_by_id(&s, "vpn-mini:on-macos", NULL);
    CHECK(r != NULL);
    CHECK_STR(kb_doc_str(r, "anchor"), "on-macos");
    /* A level-4 heading stays inside its section as text. */
    CHECK(strstr(kb_doc_str(r, "body"), "A level-four note") != NULL);
    CHECK(strstr(kb_doc_str(r, "body"), "Level four stays inside") != NULL);
    /* The same heading twice gets distinct anchors. */
    CHECK(rec_by_id(&s, "vpn-mini:troubleshooting", NULL) != NULL);
    CHECK(rec_by_id(&s, "vpn-mini:troubleshooting-2", NULL) != NULL);
    sink_free(&s);
}

static void test_readers__markdown_sections_inherit_front_matter(void)
{
    rec_sink s;
    json_t *d = NULL;
    char *err = NULL;
    CHECK_RC(read_file(GOOD "manual.md", NULL, &s), KB_OK);
    CHECK(nrecs(&s) > 0);
    if (nrecs(&s) == 0) {
        sink_free(&s);
        return;
    }
    CHECK_STR(kb_doc_str(rec(&s, 0), "product"), "vpn");
    CHECK_STR(kb_doc_str(rec(&s, 0), "category"), "network");
    CHECK_STR(kb_doc_str(rec(&s, 0), "visibility"), "internal");
    CHECK_STR(kb_doc_str(rec(&s, 0), "review_by"), "2027-03-31");
    /* The records are valid documents. */
    for (size_t i = 0; i < nrecs(&s); i++) {
        CHECK_RC(to_doc(&s, i, &d, &err), KB_OK);
        json_decref(d);
        d = NULL;
    }
    CHECK_RC(to_doc(&s, 0, &d, &err), KB_OK);
    CHECK(json_array_size(json_object_get(d, "tags")) == 2);
    CHECK_STR(kb_doc_str(d, "visibility"), "internal");
    json_decref(d);
    kb_free(err);
    sink_free(&s);
}

static void test_readers__markdown_without_front_matter_uses_the_file_name(void)
{
    /* tests/corpora/readers has no kind folder: a manual named after the
     * file. */
    rec_sink s;
    kb_read_opts o = KB_READ_OPTS_INIT;
    o.lang = "de";
    const char *md =
        "Intro text before any heading.\n\n## Part {#p}\n\nBody.\n";
    kb_sink sink = {on_record, on_problem, &s};
    s.recs = json_array();
    s.probs = json_array();
    s.stop_at = 0;
    CHECK_RC(kb_read_buffer("x/My Notes.md", md, strlen(md), &o, &sink), KB_OK);
    CHECK(nrecs(&s) == 2);
    CHECK(rec_by_id(&s, "my-notes:intro", NULL) != NULL);
    CHECK(rec_by_id(&s, "my-notes:p", NULL) != NULL);
    /* --lang fills in the language. */
    CHECK(nrecs(&s) == 2 && strcmp(kb_doc_str(rec(&s, 1), "lang"), "de") == 0);
    sink_free(&s);
}

/* --- Markdown FAQs --- */

static void test_readers__markdown_faq_gives_one_record_per_question(void)
{
    rec_sink s;
    json_t *r, *d = NULL;
    int line = 0;
    CHECK_RC(read_file(GOOD "faq.md", NULL, &s), KB_OK);
    CHECK(nprobs(&s) == 0);
    CHECK(nrecs(&s) == 3);
    for (size_t i = 0; i < nrecs(&s); i++)
        CHECK_STR(rec_kind(&s, i), "faq");
    /* An explicit {#id} is the document id itself. */
    r = rec_by_id(&s, "faq-mailbox-full", &line);
    CHECK(r != NULL);
    CHECK_STR(kb_doc_str(r, "title"), "Why is my mailbox full?");
    CHECK(strstr(kb_doc_str(r, "body"), "Archive old mail") != NULL);
    /* A level-3 heading is part of the answer. */
    CHECK(strstr(kb_doc_str(r, "body"), "Online archives hold 100 GB.") !=
          NULL);
    /* The file's title and introduction belong to no question. */
    CHECK(strstr(kb_doc_str(r, "body"), "introduction") == NULL);
    CHECK(line == 11);
    CHECK(rec_by_id(&s, "faq-share-calendar", NULL) != NULL);
    /* Without {#id}: file id and slug. */
    CHECK(rec_by_id(&s, "faq-mini:a-question-without-an-id", NULL) != NULL);
    CHECK(rec_by_id(&s, "faq-mini:mail-faq", NULL) == NULL);
    /* Tags from front matter become a list. */
    CHECK_RC(to_doc(&s, 0, &d, NULL), KB_OK);
    CHECK_STR(kb_doc_str(d, "kind"), "faq");
    CHECK(json_array_size(json_object_get(d, "tags")) == 2);
    CHECK(json_object_get(d, "section") == NULL || !*kb_doc_str(d, "section"));
    json_decref(d);
    sink_free(&s);
}

/* --- HTML --- */

static void test_readers__html_drops_script_style_and_splits_h1_to_h3(void)
{
    rec_sink s;
    json_t *r;
    int line = 0;
    CHECK_RC(read_file(GOOD "page.html", NULL, &s), KB_OK);
    CHECK(nprobs(&s) == 0);
    CHECK(nrecs(&s) == 3);
    /* The id comes from <meta name="deskdex-id">. */
    r = rec_by_id(&s, "print-mini:overview", &line);
    CHECK(r != NULL);
    CHECK(line == 14);
    /* Entities decoded. */
    CHECK_STR(kb_doc_str(r, "title"), "Printing & scanning");
    CHECK(strstr(kb_doc_str(r, "body"), "Caf\xC3\xA9 <lobby>") != NULL);
    CHECK_STR(kb_doc_str(r, "product"), "printing");
    CHECK_STR(kb_doc_str(r, "lang"), "en");
    r = rec_by_id(&s, "print-mini:paper-jam", NULL);
    CHECK(r != NULL);
    CHECK(strstr(kb_doc_str(r, "body"), "Open drawer 2 & remove") != NULL);
    CHECK(strstr(kb_doc_str(r, "body"), "- Close the drawer.") != NULL);
    CHECK_STR(kb_doc_str(r, "section"), "Printing & scanning \xE2\x80\xBA "
                                        "Clearing a paper jam");
    /* h3 without id: anchor from its text; h4 stays inside. */
    r = rec_by_id(&s, "print-mini:jams-in-the-finisher", NULL);
    CHECK(r != NULL);
    CHECK(strstr(kb_doc_str(r, "body"), "staple cartridge") != NULL);
    /* Nothing from <script>, <style>, <nav> or <head>. */
    for (size_t i = 0; i < nrecs(&s); i++) {
        char *all = json_dumps(rec(&s, i), 0);
        CHECK(all && strstr(all, "secret") == NULL);
        CHECK(all && strstr(all, "alsoSecret") == NULL);
        CHECK(all && strstr(all, "Knowledge base") == NULL);
        CHECK(all && strstr(all, "color") == NULL);
        free(all);
    }
    sink_free(&s);
}

/* --- JSON Lines and JSON --- */

static void test_readers__jsonl_good_lines_become_records(void)
{
    rec_sink s;
    json_t *d = NULL;
    int line = 0;
    CHECK_RC(read_file(GOOD "faqs.jsonl", NULL, &s), KB_OK);
    CHECK(nprobs(&s) == 0);
    CHECK(nrecs(&s) == 2);
    CHECK(rec_by_id(&s, "faq-b", &line) != NULL);
    CHECK(line == 3); /* the blank line 2 is skipped but counted */
    CHECK(nrecs(&s) == 2 && rec_kind(&s, 0) == NULL); /* guessed later */
    CHECK_RC(to_doc(&s, 0, &d, NULL), KB_OK);
    CHECK_STR(kb_doc_str(d, "kind"), "faq");
    json_decref(d);
    sink_free(&s);
}

static void test_readers__jsonl_broken_line_is_reported_and_others_read(void)
{
    rec_sink s;
    CHECK_RC(read_file(BAD "broken.jsonl", NULL, &s), KB_OK);
    CHECK(nrecs(&s) == 3);
    CHECK(rec_by_id(&s, "ok-1", NULL) != NULL);
    CHECK(rec_by_id(&s, "ok-2", NULL) != NULL);
    CHECK(rec_by_id(&s, "ok-3", NULL) != NULL);
    CHECK(nprobs(&s) == 3);
    CHECK(has_problem(&s, 2, "invalid JSON"));
    CHECK(has_problem(&s, 4, "expected a JSON object"));
    CHECK(has_problem(&s, 5, "duplicate"));
    sink_free(&s);
}

static void test_readers__jsonl_invalid_utf8_line_skips_only_that_record(void)
{
    rec_sink s;
    CHECK_RC(read_file(BAD "invalid-utf8.jsonl", NULL, &s), KB_OK);
    CHECK(nrecs(&s) == 2);
    CHECK(rec_by_id(&s, "u3", NULL) != NULL);
    CHECK(nprobs(&s) == 1);
    CHECK(has_problem(&s, 2, "invalid JSON"));
    sink_free(&s);
}

static void test_readers__record_fields_of_the_wrong_type_fail_as_docs(void)
{
    rec_sink s;
    json_t *d = NULL;
    char *err = NULL;
    CHECK_RC(read_file(BAD "tags-wrong-type.jsonl", NULL, &s), KB_OK);
    CHECK(nrecs(&s) == 3);
    if (nrecs(&s) == 3) {
        CHECK_RC(to_doc(&s, 0, &d, NULL), KB_OK);
        json_decref(d);
        d = NULL;
        CHECK_RC(to_doc(&s, 1, &d, &err), KB_EDOC);
        CHECK(err && strstr(err, "\"tags\""));
        CHECK_RC(to_doc(&s, 2, &d, &err), KB_EDOC);
        CHECK(err && strstr(err, "\"tags\""));
    }
    sink_free(&s);
    CHECK_RC(read_file(BAD "bad-fields.jsonl", NULL, &s), KB_OK);
    CHECK(nrecs(&s) == 4);
    if (nrecs(&s) == 4) {
        CHECK_RC(to_doc(&s, 0, &d, &err), KB_EDOC);
        CHECK(err && strstr(err, "\"id\""));
        CHECK_RC(to_doc(&s, 1, &d, &err), KB_EDOC);
        CHECK(err && strstr(err, "\"visibility\""));
        CHECK_RC(to_doc(&s, 2, &d, &err), KB_EDOC);
        CHECK(err && strstr(err, "\"status\""));
        CHECK_RC(to_doc(&s, 3, &d, &err), KB_EDOC);
        CHECK(err && strstr(err, "\"question\""));
    }
    kb_free(err);
    sink_free(&s);
}

static void test_readers__json_array_gives_one_record_each(void)
{
    rec_sink s;
    CHECK_RC(read_file(GOOD "faqs.json", NULL, &s), KB_OK);
    CHECK(nprobs(&s) == 0);
    CHECK(nrecs(&s) == 2);
    CHECK(rec_by_id(&s, "faq-j1", NULL) != NULL);
    CHECK_STR(kb_doc_str(rec_by_id(&s, "faq-j2", NULL), "lang"), "de");
    sink_free(&s);
}

static void test_readers__json_array_with_a_non_object_reports_its_number(void)
{
    rec_sink s;
    CHECK_RC(read_file(BAD "mixed-array.json", NULL, &s), KB_OK);
    CHECK(nrecs(&s) == 2);
    CHECK(nprobs(&s) == 1);
    CHECK(nprobs(&s) == 1 && strstr(prob_msg(&s, 0), "record 2") != NULL);
    sink_free(&s);
}

static void test_readers__not_json_is_unusable_with_its_line(void)
{
    rec_sink s;
    CHECK_RC(read_file(BAD "not-json.json", NULL, &s), KB_EDOC);
    CHECK(nrecs(&s) == 0);
    CHECK(has_problem(&s, 1, "invalid JSON"));
    sink_free(&s);
    CHECK_RC(read_file(BAD "scalar.json", NULL, &s), KB_EDOC);
    CHECK(nrecs(&s) == 0);
    CHECK(nprobs(&s) == 1);
    sink_free(&s);
}

/* --- CSV --- */

static void test_readers__csv_quoted_commas_quotes_and_newlines(void)
{
    rec_sink s;
    json_t *r, *d = NULL;
    CHECK_RC(read_file(GOOD "tickets.csv", NULL, &s), KB_OK);
    CHECK(nprobs(&s) == 0);
    CHECK(nrecs(&s) == 3);
    r = rec_by_id(&s, "INC-1", NULL);
    CHECK(r != NULL);
    CHECK_STR(kb_doc_str(r, "subject"), "Printer, 2nd floor");
    CHECK_STR(kb_doc_str(r, "description"), "Jammed, again");
    r = rec_by_id(&s, "INC-2", NULL);
    CHECK(r != NULL);
    CHECK_STR(kb_doc_str(r, "description"),
              "Crashes on start.\nSecond line of the description.");
    CHECK_STR(kb_doc_str(r, "resolution"),
              "Repaired Office, \"quick repair\" fixed it");
    /* As documents: a ticket with tags from "a;b", and an open one that
     * is skipped. */
    CHECK_RC(to_doc(&s, 0, &d, NULL), KB_OK);
    CHECK_STR(kb_doc_str(d, "kind"), "ticket");
    CHECK(json_array_size(json_object_get(d, "tags")) == 2);
    json_decref(d);
    d = NULL;
    CHECK(nrecs(&s) == 3 && to_doc(&s, 2, &d, NULL) == KB_ENOTFOUND);
    sink_free(&s);
}

static void test_readers__csv_record_line_is_where_the_record_starts(void)
{
    rec_sink s;
    int line = 0;
    CHECK_RC(read_file(GOOD "tickets.csv", NULL, &s), KB_OK);
    CHECK(rec_by_id(&s, "INC-1", &line) != NULL && line == 2);
    /* INC-3 follows a record that spans lines 3-4. */
    CHECK(rec_by_id(&s, "INC-3", &line) != NULL && line == 5);
    CHECK(rec_by_id(&s, "INC-2", &line) != NULL && line == 3);
    sink_free(&s);
}

static void test_readers__csv_row_with_wrong_field_count_is_reported(void)
{
    rec_sink s;
    CHECK_RC(read_file(BAD "wrong-columns.csv", NULL, &s), KB_OK);
    CHECK(nrecs(&s) == 2);
    CHECK(rec_by_id(&s, "faq-c1", NULL) != NULL);
    CHECK(rec_by_id(&s, "faq-c4", NULL) != NULL);
    CHECK(nprobs(&s) == 2);
    CHECK(has_problem(&s, 3, "expected 3 fields, found 4"));
    CHECK(has_problem(&s, 4, "expected 3 fields, found 2"));
    sink_free(&s);
}

static void test_readers__csv_bad_quote_stops_the_file_with_its_line(void)
{
    rec_sink s;
    CHECK_RC(read_file(BAD "bad-quote.csv", NULL, &s), KB_EDOC);
    CHECK(has_problem(&s, 3, "malformed CSV"));
    /* Rows before the error were read; none after. */
    CHECK(rec_by_id(&s, "faq-q1", NULL) != NULL);
    CHECK(rec_by_id(&s, "faq-q3", NULL) == NULL);
    sink_free(&s);
    CHECK_RC(read_file(BAD "unclosed-quote.csv", NULL, &s), KB_EDOC);
    CHECK(has_problem(&s, 3, "malformed CSV"));
    CHECK(rec_by_id(&s, "faq-u2", NULL) == NULL);
    sink_free(&s);
}

static void test_readers__csv_invalid_utf8_row_skips_only_that_row(void)
{
    rec_sink s;
    CHECK_RC(read_file(BAD "invalid-utf8.csv", NULL, &s), KB_OK);
    CHECK(nrecs(&s) == 2);
    CHECK(rec_by_id(&s, "faq-v2", NULL) == NULL);
    CHECK(rec_by_id(&s, "faq-v3", NULL) != NULL);
    CHECK(has_problem(&s, 3, "invalid UTF-8"));
    sink_free(&s);
}

static void test_readers__csv_nul_byte_row_is_reported(void)
{
    rec_sink s;
    CHECK_RC(read_file(BAD "nul-byte.csv", NULL, &s), KB_OK);
    CHECK(nrecs(&s) == 0 && nprobs(&s) == 1);
    sink_free(&s);
}

static void test_readers__empty_csv_has_no_header_problem(void)
{
    rec_sink s;
    CHECK_RC(read_file(BAD "empty.csv", NULL, &s), KB_OK);
    CHECK(nrecs(&s) == 0);
    CHECK(has_problem(&s, 1, "no header"));
    sink_free(&s);
}

static void test_readers__csv_maps_rename_export_columns(void)
{
    static const char *const maps[] = {"id=number", "title=short_description",
                                       "resolution=solution_text",
                                       "ticket_status=state"};
    kb_read_opts o = KB_READ_OPTS_INIT;
    rec_sink s;
    json_t *d = NULL;
    o.maps = maps;
    o.nmaps = 4;
    o.kind = "ticket";
    CHECK_RC(read_file(GOOD "export.csv", &o, &s), KB_OK);
    CHECK(nrecs(&s) == 1);
    if (nrecs(&s) == 1) {
        CHECK_STR(kb_doc_str(rec(&s, 0), "resolution"),
                  "Renewed the certificate");
        CHECK_STR(rec_kind(&s, 0), "ticket");
        CHECK_RC(to_doc(&s, 0, &d, NULL), KB_OK);
        CHECK_STR(kb_doc_str(d, "id"), "INC-9");
        CHECK_STR(kb_doc_str(d, "title"), "VPN drops every hour");
        CHECK_STR(kb_doc_str(d, "resolution"), "Renewed the certificate");
        CHECK_STR(kb_doc_str(d, "ticket_status"), "closed");
        json_decref(d);
    }
    sink_free(&s);
    /* Without the maps the export has no id. */
    CHECK_RC(read_file(GOOD "export.csv", NULL, &s), KB_OK);
    CHECK(nrecs(&s) == 1 && to_doc(&s, 0, &d, NULL) == KB_EDOC);
    sink_free(&s);
}

/* --- plain text --- */

static void test_readers__plain_text_first_line_is_the_title(void)
{
    rec_sink s;
    json_t *d = NULL;
    CHECK_RC(read_file(GOOD "wifi-card.txt", NULL, &s), KB_OK);
    CHECK(nprobs(&s) == 0);
    CHECK(nrecs(&s) == 1);
    if (nrecs(&s) == 1) {
        CHECK_STR(kb_doc_str(rec(&s, 0), "id"), "wifi-card");
        CHECK_STR(kb_doc_str(rec(&s, 0), "title"), "Wi-Fi quick reference");
        CHECK(strstr(kb_doc_str(rec(&s, 0), "body"), "Kestrel-Guest") != NULL);
        CHECK_RC(to_doc(&s, 0, &d, NULL), KB_OK);
        CHECK_STR(kb_doc_str(d, "kind"), "manual");
        CHECK(strncmp(kb_doc_str(d, "body"), "Kestrel-Corp", 12) == 0);
        json_decref(d);
    }
    sink_free(&s);
}

/* --- whole files that cannot be used --- */

static void test_readers__invalid_utf8_file_is_a_problem_with_its_line(void)
{
    rec_sink s;
    CHECK_RC(read_file(BAD "invalid-utf8.md", NULL, &s), KB_EUTF8);
    CHECK(nrecs(&s) == 0);
    CHECK(has_problem(&s, 4, "invalid UTF-8 at byte 35"));
    sink_free(&s);
    CHECK_RC(read_file(BAD "invalid-utf8.html", NULL, &s), KB_EUTF8);
    CHECK(nrecs(&s) == 0);
    CHECK(has_problem(&s, 3, "invalid UTF-8"));
    sink_free(&s);
}

static void test_readers__unclosed_front_matter_is_a_problem(void)
{
    rec_sink s;
    CHECK_RC(read_file(BAD "unclosed-front-matter.md", NULL, &s), KB_OK);
    CHECK(has_problem(&s, 1, "front matter is not closed"));
    sink_free(&s);
}

static void test_readers__front_matter_line_without_colon_is_a_problem(void)
{
    rec_sink s;
    CHECK_RC(read_file(BAD "front-matter-junk.md", NULL, &s), KB_OK);
    CHECK(has_problem(&s, 3, "key: value"));
    /* The rest of the file is still read, with the id it gave. */
    CHECK(rec_by_id(&s, "junk-fm:h", NULL) != NULL);
    sink_free(&s);
}

static void test_readers__tickets_are_not_read_from_markdown(void)
{
    rec_sink s;
    CHECK_RC(read_file(BAD "ticket.md", NULL, &s), KB_EDOC);
    CHECK(nrecs(&s) == 0);
    CHECK(has_problem(&s, 1, "tickets"));
    sink_free(&s);
}

static void test_readers__unknown_extension_is_unsupported(void)
{
    rec_sink s;
    CHECK_RC(read_file(BAD "unknown.xyz", NULL, &s), KB_EINVALID);
    CHECK(nprobs(&s) == 1);
    CHECK(nprobs(&s) == 1 && strstr(prob_msg(&s, 0), ".xyz") != NULL);
    sink_free(&s);
}

static void test_readers__a_sink_error_stops_reading_and_is_returned(void)
{
    rec_sink s;
    s.stop_at = 1;
    {
        kb_read_opts o = KB_READ_OPTS_INIT;
        kb_sink sink = {on_record, on_problem, &s};
        const char *text = "{\"id\":\"a\"}\n{\"id\":\"b\"}\n";
        s.recs = json_array();
        s.probs = json_array();
        CHECK_RC(kb_read_buffer("x.jsonl", text, strlen(text), &o, &sink), 99);
        CHECK(nrecs(&s) == 1);
    }
    sink_free(&s);
}

/* --- helpers shared by the readers --- */

static void test_readers__kind_from_path_and_supported_extensions(void)
{
    char buf[KB_SLUG_MAX];
    CHECK_STR(kb_read_kind_from_path("corpus/faqs/vpn.md"), "faq");
    CHECK_STR(kb_read_kind_from_path("corpus/manuals/x.html"), "manual");
    CHECK_STR(kb_read_kind_from_path("/data/Tickets/2026/a.csv"), "ticket");
    /* The innermost folder wins; the file name does not count. */
    CHECK_STR(kb_read_kind_from_path("faqs/tickets/a.jsonl"), "ticket");
    CHECK(kb_read_kind_from_path("faqs.jsonl") == NULL);
    CHECK(kb_read_kind_from_path("tests/corpora/readers/faq.md") == NULL);
    CHECK(kb_read_supported("a.md") && kb_read_supported("b.HTML") &&
          kb_read_supported("c.ndjson") && kb_read_supported("d.txt"));
    CHECK(kb_read_supported("m.pdf") && kb_read_supported("m.DOCX") &&
          kb_read_supported("m.odt"));
    CHECK(!kb_read_supported("e.xlsx") && !kb_read_supported("noext") &&
          !kb_read_supported("dir.md/file"));
    kb_slug(buf, sizeof buf, "  Hello, World! (v2) ");
    CHECK_STR(buf, "hello-world-v2");
    kb_file_id(buf, sizeof buf, "a/b/VPN Guide.v2.md");
    CHECK_STR(buf, "vpn-guide.v2");
    kb_file_id(buf, sizeof buf, "a/\xE5\xAF\x86.md");
    CHECK(strncmp(buf, "doc-", 4) == 0 && strlen(buf) == 12);
    kb_file_id(buf, sizeof buf, "a/genindex-_.html");
    CHECK_STR(buf, "genindex-_");
}

int main(void)
{
    RUN(test_readers__markdown_manual_splits_into_sections);
    RUN(test_readers__markdown_anchor_is_made_from_the_heading);
    RUN(test_readers__markdown_sections_inherit_front_matter);
    RUN(test_readers__markdown_without_front_matter_uses_the_file_name);
    RUN(test_readers__markdown_faq_gives_one_record_per_question);
    RUN(test_readers__html_drops_script_style_and_splits_h1_to_h3);
    RUN(test_readers__jsonl_good_lines_become_records);
    RUN(test_readers__jsonl_broken_line_is_reported_and_others_read);
    RUN(test_readers__jsonl_invalid_utf8_line_skips_only_that_record);
    RUN(test_readers__record_fields_of_the_wrong_type_fail_as_docs);
    RUN(test_readers__json_array_gives_one_record_each);
    RUN(test_readers__json_array_with_a_non_object_reports_its_number);
    RUN(test_readers__not_json_is_unusable_with_its_line);
    RUN(test_readers__csv_quoted_commas_quotes_and_newlines);
    RUN(test_readers__csv_record_line_is_where_the_record_starts);
    RUN(test_readers__csv_row_with_wrong_field_count_is_reported);
    RUN(test_readers__csv_bad_quote_stops_the_file_with_its_line);
    RUN(test_readers__csv_invalid_utf8_row_skips_only_that_row);
    RUN(test_readers__csv_nul_byte_row_is_reported);
    RUN(test_readers__empty_csv_has_no_header_problem);
    RUN(test_readers__csv_maps_rename_export_columns);
    RUN(test_readers__plain_text_first_line_is_the_title);
    RUN(test_readers__invalid_utf8_file_is_a_problem_with_its_line);
    RUN(test_readers__unclosed_front_matter_is_a_problem);
    RUN(test_readers__front_matter_line_without_colon_is_a_problem);
    RUN(test_readers__tickets_are_not_read_from_markdown);
    RUN(test_readers__unknown_extension_is_unsupported);
    RUN(test_readers__a_sink_error_stops_reading_and_is_returned);
    RUN(test_readers__kind_from_path_and_supported_extensions);
    return TEST_REPORT();
}

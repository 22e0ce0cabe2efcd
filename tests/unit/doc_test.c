/* doc_test.c - input shapes become canonical documents; validation; hash */
#include "kb_doc.h"
#include "kb_error.h"

#include "testhelp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- helpers --- */

static json_t *parse(const char *s)
{
    json_error_t je;
    json_t *j = json_loads(s, 0, &je);
    if (!j)
        fprintf(stderr, "  bad test JSON: %s: %s\n", s, je.text);
    return j;
}

/* Convert the JSON text in with kind; returns the rc, *out new. */
static int convert(const char *in, const char *kind, json_t **out,
                   char **errmsg)
{
    json_t *j = parse(in);
    int rc = j ? kb_doc_from_json(out, j, kind, errmsg) : KB_ERROR;
    json_decref(j);
    return rc;
}

/* Expect KB_EDOC and a message naming field. */
static int rejects(const char *in, const char *field)
{
    json_t *d = (json_t *)1;
    char *err = NULL;
    int rc = convert(in, NULL, &d, &err);
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\"", field);
    int ok = rc == KB_EDOC && d == NULL && err && strstr(err, quoted);
    if (!ok)
        fprintf(stderr,
                "  %s: rc %d, message \"%s\", wanted KB_EDOC naming "
                "%s\n",
                in, rc, err ? err : "(none)", quoted);
    kb_free(err);
    return ok;
}

static const char *tag(const json_t *d, size_t i)
{
    return json_string_value(json_array_get(json_object_get(d, "tags"), i));
}

static size_t ntags(const json_t *d)
{
    return json_array_size(json_object_get(d, "tags"));
}

/* --- input shapes --- */

static void test_doc__faq_question_answer_becomes_title_body(void)
{
    json_t *d = NULL;
    CHECK_RC(convert("{\"id\":\"faq-1\",\"question\":\"  How do I reset my "
                     "password? \",\"answer\":\"Use the portal.\"}",
                     NULL, &d, NULL),
             KB_OK);
    CHECK_STR(kb_doc_str(d, "kind"), "faq");
    CHECK_STR(kb_doc_str(d, "id"), "faq-1");
    CHECK_STR(kb_doc_str(d, "title"), "How do I reset my password?");
    CHECK_STR(kb_doc_str(d, "body"), "Use the portal.");
    CHECK_STR(kb_doc_str(d, "visibility"), "public");
    CHECK_STR(kb_doc_str(d, "status"), "published");
    CHECK_STR(kb_doc_str(d, "lang"), "en");
    CHECK_STR(kb_doc_str(d, "resolution"), "");
    CHECK(json_is_array(json_object_get(d, "tags")) && ntags(d) == 0);
    /* The input names are not carried over. */
    CHECK(json_object_get(d, "question") == NULL);
    CHECK(json_object_get(d, "answer") == NULL);
    json_decref(d);
}

static void test_doc__ticket_subject_description_resolution(void)
{
    json_t *d = NULL;
    CHECK_RC(convert("{\"id\":\"INC-10234\",\"subject\":\"VPN drops\","
                     "\"description\":\"Every 5 minutes\",\"resolution\":"
                     "\"Switched to SSL mode\",\"status\":\"Resolved\","
                     "\"resolved_at\":\"2025-09-02T17:05:00Z\"}",
                     NULL, &d, NULL),
             KB_OK);
    CHECK_STR(kb_doc_str(d, "kind"), "ticket");
    CHECK_STR(kb_doc_str(d, "title"), "VPN drops");
    CHECK_STR(kb_doc_str(d, "body"), "Every 5 minutes");
    CHECK_STR(kb_doc_str(d, "resolution"), "Switched to SSL mode");
    CHECK_STR(kb_doc_str(d, "visibility"), "internal");
    CHECK_STR(kb_doc_str(d, "status"), "published");
    CHECK_STR(kb_doc_str(d, "ticket_status"), "Resolved");
    CHECK_STR(kb_doc_str(d, "resolved_at"), "2025-09-02T17:05:00Z");
    json_decref(d);
}

static void test_doc__closed_ticket_and_ticket_without_status_are_indexed(void)
{
    json_t *d = NULL;
    CHECK_RC(convert("{\"id\":\"t1\",\"subject\":\"s\",\"resolution\":\"r\","
                     "\"ticket_status\":\"closed\"}",
                     NULL, &d, NULL),
             KB_OK);
    json_decref(d);
    d = NULL;
    /* A ticket export without a status is taken as resolved. */
    CHECK_RC(convert("{\"id\":\"t2\",\"subject\":\"s\",\"resolution\":\"r\"}",
                     NULL, &d, NULL),
             KB_OK);
    CHECK_STR(kb_doc_str(d, "kind"), "ticket");
    CHECK_STR(kb_doc_str(d, "ticket_status"), "resolved");
    json_decref(d);
}

static void test_doc__manual_title_body_defaults(void)
{
    json_t *d = NULL;
    CHECK_RC(convert("{\"id\":\"vpn-guide:install\",\"title\":\"Install\","
                     "\"body\":\"Open Company Portal.\",\"section\":\"Guide "
                     "\xE2\x80\xBA Install\",\"anchor\":\"install\",\"parent\":"
                     "\"vpn-guide\"}",
                     NULL, &d, NULL),
             KB_OK);
    CHECK_STR(kb_doc_str(d, "kind"), "manual");
    CHECK_STR(kb_doc_str(d, "visibility"), "public");
    CHECK_STR(kb_doc_str(d, "status"), "published");
    CHECK_STR(kb_doc_str(d, "section"), "Guide \xE2\x80\xBA Install");
    CHECK_STR(kb_doc_str(d, "anchor"), "install");
    CHECK_STR(kb_doc_str(d, "parent"), "vpn-guide");
    json_decref(d);
}

static void test_doc__canonical_shape_keeps_its_fields(void)
{
    json_t *d = NULL;
    CHECK_RC(convert("{\"id\":\"kb-42\",\"kind\":\"FAQ\",\"title\":\"T\","
                     "\"body\":\"B\",\"product\":\"vpn\",\"category\":"
                     "\"network\",\"lang\":\"zh\",\"visibility\":\"Internal\","
                     "\"status\":\"DRAFT\",\"review_by\":\"2027-01-31\","
                     "\"source\":\"api\",\"tags\":[\"vpn\",\"\",\"ssl\"]}",
                     NULL, &d, NULL),
             KB_OK);
    CHECK_STR(kb_doc_str(d, "kind"), "faq"); /* lower-cased */
    CHECK_STR(kb_doc_str(d, "product"), "vpn");
    CHECK_STR(kb_doc_str(d, "category"), "network");
    CHECK_STR(kb_doc_str(d, "lang"), "zh");
    CHECK_STR(kb_doc_str(d, "visibility"), "internal");
    CHECK_STR(kb_doc_str(d, "status"), "draft");
    CHECK_STR(kb_doc_str(d, "review_by"), "2027-01-31");
    CHECK_STR(kb_doc_str(d, "source"), "api");
    CHECK(ntags(d) == 2); /* the empty tag is dropped */
    CHECK_STR(tag(d, 0), "vpn");
    CHECK_STR(tag(d, 1), "ssl");
    json_decref(d);
}

static void test_doc__kind_argument_overrides_the_record(void)
{
    json_t *d = NULL;
    /* A record that looks like a FAQ, read from a tickets folder. */
    CHECK_RC(convert("{\"id\":\"x1\",\"kind\":\"faq\",\"title\":\"T\","
                     "\"body\":\"B\",\"resolution\":\"R\"}",
                     "ticket", &d, NULL),
             KB_OK);
    CHECK_STR(kb_doc_str(d, "kind"), "ticket");
    CHECK_STR(kb_doc_str(d, "visibility"), "internal");
    json_decref(d);
}

static void test_doc__integer_id_becomes_a_string(void)
{
    json_t *d = NULL;
    CHECK_RC(convert("{\"id\":42,\"title\":\"T\"}", NULL, &d, NULL), KB_OK);
    CHECK_STR(kb_doc_str(d, "id"), "42");
    json_decref(d);
}

static void test_doc__null_fields_count_as_absent(void)
{
    json_t *d = NULL;
    CHECK_RC(convert("{\"id\":\"n1\",\"title\":\"T\",\"body\":null,"
                     "\"visibility\":null,\"tags\":null}",
                     NULL, &d, NULL),
             KB_OK);
    CHECK_STR(kb_doc_str(d, "body"), "");
    CHECK_STR(kb_doc_str(d, "visibility"), "public");
    CHECK(ntags(d) == 0);
    json_decref(d);
}

/* --- tickets that are skipped --- */

static void test_doc__unresolved_ticket_is_not_found(void)
{
    json_t *d = (json_t *)1;
    char *err = NULL;
    CHECK_RC(convert("{\"id\":\"INC-1\",\"subject\":\"Tableau install\","
                     "\"description\":\"Need it\",\"resolution\":\"\","
                     "\"status\":\"in_progress\"}",
                     NULL, &d, &err),
             KB_ENOTFOUND);
    CHECK(d == NULL);
    CHECK(err != NULL && strstr(err, "INC-1") != NULL);
    kb_free(err);
}

static void test_doc__resolved_ticket_without_resolution_is_not_found(void)
{
    json_t *d = (json_t *)1;
    CHECK_RC(convert("{\"id\":\"INC-2\",\"subject\":\"s\",\"description\":"
                     "\"d\",\"status\":\"resolved\",\"resolution\":\"  \"}",
                     NULL, &d, NULL),
             KB_ENOTFOUND);
    CHECK(d == NULL);
}

/* --- validation --- */

static void test_doc__bad_or_missing_id_is_a_doc_error_naming_id(void)
{
    CHECK(rejects("{\"title\":\"no id\"}", "id"));
    CHECK(rejects("{\"id\":\"\",\"title\":\"T\"}", "id"));
    CHECK(rejects("{\"id\":\"has space\",\"title\":\"T\"}", "id"));
    CHECK(rejects("{\"id\":\"a/b\",\"title\":\"T\"}", "id"));
    CHECK(rejects("{\"id\":\".hidden\",\"title\":\"T\"}", "id"));
    CHECK(rejects("{\"id\":[\"x\"],\"title\":\"T\"}", "id"));
}

static void test_doc__id_rules(void)
{
    char longid[KB_ID_MAX + 2];
    CHECK(kb_doc_id_ok("kb-42"));
    CHECK(kb_doc_id_ok("vpn-guide:install_windows.v2"));
    CHECK(kb_doc_id_ok("INC-10234"));
    CHECK(!kb_doc_id_ok(""));
    CHECK(!kb_doc_id_ok("a b"));
    CHECK(!kb_doc_id_ok("\xE5\xAF\x86")); /* non-ASCII */
    CHECK(!kb_doc_id_ok(".x"));
    memset(longid, 'a', sizeof longid);
    longid[KB_ID_MAX] = '\0';
    CHECK(kb_doc_id_ok(longid));
    longid[KB_ID_MAX] = 'a';
    longid[KB_ID_MAX + 1] = '\0';
    CHECK(!kb_doc_id_ok(longid));
}

static void test_doc__non_string_field_is_a_doc_error_naming_it(void)
{
    CHECK(rejects("{\"id\":\"x\",\"title\":[\"T\"]}", "title"));
    CHECK(rejects("{\"id\":\"x\",\"title\":\"T\",\"body\":{\"a\":1}}", "body"));
    /* The input's own name is the one reported. */
    CHECK(rejects("{\"id\":\"x\",\"question\":true,\"answer\":\"A\"}",
                  "question"));
    CHECK(rejects("{\"id\":\"x\",\"title\":\"T\",\"product\":1.5}", "product"));
}

static void test_doc__bad_visibility_or_status_is_a_doc_error_naming_it(void)
{
    CHECK(rejects("{\"id\":\"x\",\"title\":\"T\",\"visibility\":\"secret\"}",
                  "visibility"));
    CHECK(rejects("{\"id\":\"x\",\"title\":\"T\",\"status\":\"live\"}",
                  "status"));
    CHECK(rejects("{\"id\":\"x\",\"title\":\"T\",\"kind\":\"blog\"}", "kind"));
    /* A ticket's publish status is checked too. */
    CHECK(rejects("{\"id\":\"x\",\"subject\":\"s\",\"resolution\":\"r\","
                  "\"publish_status\":\"someday\"}",
                  "status"));
}

static void test_doc__document_needs_a_title_or_body(void)
{
    json_t *d = NULL;
    char *err = NULL;
    CHECK_RC(convert("{\"id\":\"empty\",\"title\":\"  \"}", NULL, &d, &err),
             KB_EDOC);
    CHECK(d == NULL);
    CHECK(err != NULL && strstr(err, "title") != NULL);
    kb_free(err);
}

static void test_doc__non_object_input_is_a_doc_error(void)
{
    json_t *d = NULL;
    CHECK_RC(convert("[1,2]", NULL, &d, NULL), KB_EDOC);
    CHECK(d == NULL);
}

/* --- tags --- */

static void test_doc__tags_from_an_array(void)
{
    json_t *d = NULL;
    CHECK_RC(convert("{\"id\":\"x\",\"title\":\"T\",\"tags\":[\"vpn\","
                     "\"remote-work\"]}",
                     NULL, &d, NULL),
             KB_OK);
    CHECK(ntags(d) == 2);
    CHECK_STR(tag(d, 0), "vpn");
    CHECK_STR(tag(d, 1), "remote-work");
    json_decref(d);
}

static void test_doc__tags_from_a_separated_string(void)
{
    json_t *d = NULL;
    CHECK_RC(convert("{\"id\":\"x\",\"title\":\"T\",\"tags\":\"a; b, c\"}",
                     NULL, &d, NULL),
             KB_OK);
    CHECK(ntags(d) == 3);
    CHECK_STR(tag(d, 0), "a");
    CHECK_STR(tag(d, 1), "b");
    CHECK_STR(tag(d, 2), "c");
    json_decref(d);
    d = NULL;
    /* Front matter style, with spaces inside a tag kept. */
    CHECK_RC(convert("{\"id\":\"x\",\"title\":\"T\",\"tags\":\"[vpn, "
                     "remote work ,;]\"}",
                     NULL, &d, NULL),
             KB_OK);
    CHECK(ntags(d) == 2);
    CHECK_STR(tag(d, 0), "vpn");
    CHECK_STR(tag(d, 1), "remote work");
    json_decref(d);
}

static void test_doc__tags_of_the_wrong_type_are_a_doc_error(void)
{
    CHECK(rejects("{\"id\":\"x\",\"title\":\"T\",\"tags\":7}", "tags"));
    CHECK(rejects("{\"id\":\"x\",\"title\":\"T\",\"tags\":[\"a\",2]}", "tags"));
    CHECK(rejects("{\"id\":\"x\",\"title\":\"T\",\"tags\":{\"a\":1}}", "tags"));
}

/* --- personal data --- */

static void test_doc__ticket_text_has_personal_data_masked(void)
{
    json_t *d = NULL;
    CHECK_RC(convert("{\"id\":\"INC-7\",\"subject\":\"Mail from "
                     "bob@example.com bounces\",\"description\":\"Call me on "
                     "13812345678, laptop 10.1.2.3\",\"resolution\":\"Phoned "
                     "+31 20 555 0142, fixed\",\"status\":\"resolved\"}",
                     NULL, &d, NULL),
             KB_OK);
    CHECK_STR(kb_doc_str(d, "title"), "Mail from [email] bounces");
    CHECK_STR(kb_doc_str(d, "body"), "Call me on [phone], laptop [ip]");
    CHECK_STR(kb_doc_str(d, "resolution"), "Phoned [phone], fixed");
    json_decref(d);
}

static void test_doc__manual_text_is_not_masked(void)
{
    json_t *d = NULL;
    CHECK_RC(convert("{\"id\":\"m\",\"title\":\"Contact\",\"body\":\"Write to "
                     "servicedesk@example.com or call +31 20 555 0100.\"}",
                     NULL, &d, NULL),
             KB_OK);
    CHECK_STR(kb_doc_str(d, "body"),
              "Write to servicedesk@example.com or call +31 20 555 0100.");
    json_decref(d);
}

/* --- hash --- */

static void test_doc__hash_is_stable_across_key_order(void)
{
    char h1[65], h2[65];
    json_t *a = parse("{\"id\":\"x\",\"kind\":\"faq\",\"title\":\"T\","
                      "\"body\":\"B\",\"tags\":[\"a\"]}");
    json_t *b = parse("{\"tags\":[\"a\"],\"body\":\"B\",\"title\":\"T\","
                      "\"kind\":\"faq\",\"id\":\"x\"}");
    CHECK_RC(kb_doc_hash(a, h1), KB_OK);
    CHECK_RC(kb_doc_hash(b, h2), KB_OK);
    CHECK_STR(h1, h2);
    CHECK(strlen(h1) == 64);
    CHECK(strspn(h1, "0123456789abcdef") == 64);
    json_decref(a);
    json_decref(b);
}

static void test_doc__hash_changes_with_content_only(void)
{
    char h1[65], h2[65], h3[65], h4[65];
    json_t *a = parse("{\"id\":\"x\",\"title\":\"T\",\"body\":\"B\"}");
    json_t *b = parse("{\"id\":\"x\",\"title\":\"T\",\"body\":\"B2\"}");
    json_t *c = parse("{\"id\":\"x\",\"title\":\"T\",\"body\":\"B\","
                      "\"source\":\"other.md\",\"version\":7,\"updated_at\":"
                      "\"2026-01-01T00:00:00Z\"}");
    json_t *e = parse("{\"id\":\"x\",\"title\":\"T\",\"body\":\"B\","
                      "\"status\":\"archived\"}");
    CHECK_RC(kb_doc_hash(a, h1), KB_OK);
    CHECK_RC(kb_doc_hash(b, h2), KB_OK);
    CHECK_RC(kb_doc_hash(c, h3), KB_OK);
    CHECK_RC(kb_doc_hash(e, h4), KB_OK);
    CHECK(strcmp(h1, h2) != 0); /* body changed */
    CHECK_STR(h1, h3); /* source, version, timestamps are not content */
    CHECK(strcmp(h1, h4) != 0); /* status is */
    json_decref(a);
    json_decref(b);
    json_decref(c);
    json_decref(e);
}

static void test_doc__converted_hash_is_stable_across_input_key_order(void)
{
    char h1[65], h2[65];
    json_t *a = NULL, *b = NULL;
    CHECK_RC(convert("{\"id\":\"f\",\"question\":\"Q\",\"answer\":\"A\","
                     "\"tags\":\"x; y\"}",
                     NULL, &a, NULL),
             KB_OK);
    CHECK_RC(convert("{\"tags\":[\"x\",\"y\"],\"answer\":\"A\",\"question\":"
                     "\"Q\",\"id\":\"f\"}",
                     NULL, &b, NULL),
             KB_OK);
    if (a && b) {
        CHECK_RC(kb_doc_hash(a, h1), KB_OK);
        CHECK_RC(kb_doc_hash(b, h2), KB_OK);
        CHECK_STR(h1, h2);
    }
    json_decref(a);
    json_decref(b);
}

static void
test_doc__converting_a_canonical_document_again_changes_nothing(void)
{
    static const char *const inputs[] = {
        "{\"id\":\"f\",\"question\":\"Q?\",\"answer\":\"A.\",\"tags\":"
        "\"x; y\"}",
        "{\"id\":\"t\",\"subject\":\"Mail to a@b.com\",\"description\":"
        "\"d\",\"resolution\":\"r\",\"status\":\"closed\"}",
        "{\"id\":\"m\",\"title\":\"T\",\"body\":\"B\",\"status\":"
        "\"draft\",\"visibility\":\"internal\"}",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        json_t *a = NULL, *b = NULL;
        char h1[65] = "", h2[65] = "";
        CHECK_RC(convert(inputs[i], NULL, &a, NULL), KB_OK);
        if (!a)
            continue;
        CHECK_RC(kb_doc_from_json(&b, a, NULL, NULL), KB_OK);
        if (b) {
            kb_doc_hash(a, h1);
            kb_doc_hash(b, h2);
            CHECK_STR(h1, h2);
            CHECK(json_equal(a, b));
        }
        json_decref(a);
        json_decref(b);
    }
}

static void test_doc__sha256_of_bytes(void)
{
    char hex[65];
    kb_sha256_hex("abc", 3, hex);
    CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223"
                   "b00361a396177a9cb410ff61f20015ad");
}

static void test_doc__now_is_rfc3339_utc(void)
{
    char buf[32];
    kb_now_rfc3339(buf);
    CHECK(strlen(buf) == 20);
    CHECK(buf[4] == '-' && buf[10] == 'T' && buf[19] == 'Z');
}

/* --- stored data --- */

static void test_doc__packed_data_gives_the_document_back(void)
{
    json_t *d = parse("{\"id\":\"t1\",\"kind\":\"ticket\",\"title\":"
                      "\"VPN 断开\",\"body\":\"line \\\"one\\\"\\nline 二\","
                      "\"resolution\":\"Reinstall {the} client\",\"tags\":"
                      "[\"vpn\"],\"version\":3,\"hash\":\"ab12\",\"product\":"
                      "\"\",\"created_at\":\"2026-01-02T03:04:05Z\","
                      "\"changed_by\":\"ann\"}");
    size_t len = 0;
    char *data = d ? kb_doc_pack(d, &len) : NULL;
    CHECK(data != NULL);
    if (!data) {
        json_decref(d);
        return;
    }
    /* The texts are stored as they are, after the JSON that lacks them. */
    size_t hlen = strlen(data);
    CHECK(hlen < len);
    CHECK(strstr(data, "body") == NULL && strstr(data, "Reinstall") == NULL);
    CHECK_STR(data + hlen + 1, "line \"one\"\nline 二");
    json_t *back = kb_doc_unpack(data, len);
    /* What no search reads is left to the version record. */
    CHECK(json_object_get(back, "hash") == NULL);
    CHECK(json_object_get(back, "created_at") == NULL);
    CHECK(json_object_get(back, "changed_by") == NULL);
    CHECK(json_object_get(back, "product") == NULL);
    json_object_del(d, "hash");
    json_object_del(d, "created_at");
    json_object_del(d, "changed_by");
    json_object_del(d, "product");
    CHECK(back && json_equal(back, d));
    json_decref(back);
    free(data);
    /* Empty or absent texts come back as "". */
    json_t *e = parse("{\"id\":\"m\",\"title\":\"t\",\"body\":\"\"}");
    data = e ? kb_doc_pack(e, &len) : NULL;
    back = data ? kb_doc_unpack(data, len) : NULL;
    CHECK_STR(kb_doc_str(back, "body"), "");
    CHECK_STR(kb_doc_str(back, "resolution"), "");
    CHECK_STR(kb_doc_str(back, "title"), "t");
    json_decref(back);
    free(data);
    json_decref(e);
    json_decref(d);
}

static void test_doc__unpack_reads_plain_json_and_refuses_garbage(void)
{
    /* Data written as one JSON document (before texts were split off). */
    const char *old = "{\"id\":\"a\",\"body\":\"text\"}";
    json_t *d = kb_doc_unpack(old, strlen(old));
    CHECK_STR(kb_doc_str(d, "body"), "text");
    json_decref(d);
    CHECK(kb_doc_unpack("not json", 8) == NULL);
    CHECK(kb_doc_unpack("[1]\0body", 8) == NULL);
    CHECK(kb_doc_unpack("", 0) == NULL);
    /* A text cut short or not UTF-8 is read as far as it goes, never past
     * the data's end. */
    d = kb_doc_unpack("{\"id\":\"a\"}\0bo", 13);
    CHECK_STR(kb_doc_str(d, "body"), "bo");
    CHECK_STR(kb_doc_str(d, "resolution"), "");
    json_decref(d);
    d = kb_doc_unpack("{\"id\":\"a\"}\0\xff\xfe\0ok", 16);
    CHECK_STR(kb_doc_str(d, "body"), "");
    CHECK_STR(kb_doc_str(d, "resolution"), "ok");
    json_decref(d);
}

static void test_doc__unpack_head_points_at_the_texts_in_the_data(void)
{
    json_t *d = parse("{\"id\":\"t1\",\"kind\":\"ticket\",\"title\":\"T\","
                      "\"body\":\"line 二\",\"resolution\":\"fixed\"}");
    size_t len = 0;
    char *data = d ? kb_doc_pack(d, &len) : NULL;
    const char *text[2];
    size_t tlen[2];
    json_t *h = data ? kb_doc_unpack_head(data, len, text, tlen) : NULL;
    CHECK(h != NULL);
    CHECK(json_object_get(h, "body") == NULL);
    CHECK_STR(kb_doc_str(h, "title"), "T");
    /* The texts are not copied: they lie in the data. */
    CHECK(data && text[0] > data && text[0] < data + len);
    CHECK(tlen[0] == strlen("line 二") && !memcmp(text[0], "line 二", tlen[0]));
    CHECK(tlen[1] == 5 && !memcmp(text[1], "fixed", 5));
    json_decref(h);
    free(data);
    json_decref(d);
    /* A JSON-only record: its own strings; absent texts are "". */
    const char *old = "{\"id\":\"a\",\"body\":\"text\"}";
    h = kb_doc_unpack_head(old, strlen(old), text, tlen);
    CHECK(h && tlen[0] == 4 && !strcmp(text[0], "text"));
    CHECK(tlen[1] == 0 && !strcmp(text[1], ""));
    json_decref(h);
    /* Cut short: never past the data's end. */
    h = kb_doc_unpack_head("{\"id\":\"a\"}\0bo", 13, text, tlen);
    CHECK(h && tlen[0] == 2 && !memcmp(text[0], "bo", 2) && tlen[1] == 0);
    json_decref(h);
    CHECK(kb_doc_unpack_head("[1]\0body", 8, text, tlen) == NULL);
    CHECK(kb_doc_unpack_head("", 0, text, tlen) == NULL && tlen[0] == 0);
}

/* The head is read by a reader of its own (kb_doc_pack's shapes) and by
 * json_loadb otherwise: either way, what json_loadb makes of it. */
static void check_head(const char *s, int own)
{
    const char *text[2];
    size_t tlen[2];
    size_t n = strlen(s);
    json_t *h = kb_doc_unpack_head(s, n, text, tlen);
    json_t *j = json_loadb(s, n, 0, NULL);
    json_t *f = kb_doc_head_read(s, n);
    int ok = (f != NULL) == own;
    if (!json_is_object(j)) {
        ok = ok && !h;
    } else {
        char *a = h ? json_dumps(h, JSON_COMPACT) : NULL;
        char *b = json_dumps(j, JSON_COMPACT);
        ok = ok && h && json_equal(h, j) && a && b && !strcmp(a, b) &&
             (!f || json_equal(f, j));
        free(a);
        free(b);
    }
    if (!ok)
        fprintf(stderr, "  head %s (%s): not as json_loadb\n", s,
                own ? "own reader" : "json_loadb");
    CHECK(ok);
    json_decref(f);
    json_decref(h);
    json_decref(j);
}

static void test_doc__head_reads_as_json_loadb_does(void)
{
    static const char *const own[] = {
        "{\"kind\":\"manual\",\"id\":\"a:b\",\"title\":\"Caching \xe2\x80\xba "
        "Disk\",\"tags\":[\"vpn\",\"\xe6\x97\xa0\xe7\xba\xbf\"],\"version\":3,"
        "\"updated_at\":\"2026-12-07T09:27:05Z\"}",
        " \t\r\n{ \"a\" : \"x\" , \"b\" :[ 1 , -2 , true,false,null ] }\n ",
        "{}",
        "{\"a\":[]}",
        "{\"a\":\"\"}",
        "{\"\":1}",
        "{\"a\":1,\"b\":2,\"a\":3}",
        "{\"a\":0}",
        "{\"a\":-0}",
        "{\"a\":123456789012345678}",
        "{\"a\":-123456789012345678}",
        "{\"\xe9\x94\xae\":\"\xe5\x80\xbc\"}",
    };
    /* Left to json_loadb: escapes, reals, long numbers and keys, nesting,
     * and everything malformed (which json_loadb refuses too). */
    static const char *const left[] = {
        "{\"a\":1234567890123456789}",
        "{\"a\":99999999999999999999}",
        "{\"a\":1.5}",
        "{\"a\":1e3}",
        "{\"a\":2E-1}",
        "{\"a\":01}",
        "{\"a\":-}",
        "{\"a\":-x}",
        "{\"a\":1-2}",
        "{\"a\":\"q\\\"uote\"}",
        "{\"a\":\"\\u00e9\\n\"}",
        "{\"a\\u0062\":1}",
        "{\"a\":\"\\u0000\"}",
        "{\"a\":[[1]]}",
        "{\"a\":{\"b\":1}}",
        "{\"a\":[{\"b\":1}]}",
        "{\"a\":tru}",
        "{\"a\":nul}",
        "{\"a\":True}",
        "{\"a\":1,}",
        "{\"a\":[1,]}",
        "{\"a\":[1 2]}",
        "{\"a\" 1}",
        "{\"a\":1}x",
        "{\"a\":1}}",
        "{\"a\":1",
        "{\"a\":\"open}",
        "{1:2}",
        "[1]",
        "\"s\"",
        "1",
        "",
        " ",
        "{",
        "{\"a\":\"tab\there\"}",
        "{\"a\":\"\x01\"}",
        "{\"a\":\"\xff\"}",
        "{\"a\":\"\xc0\xaf\"}",
        "{\"a\":\"\xed\xa0\x80\"}",
        "{\"a\":\"\xf4\x90\x80\x80\"}",
        "{\"a\":\"\xe6\x97\"}",
        "{\"a_key_of_seventy_characters_long_enough_to_pass_the_buffer_of_64"
        "_b\":1}",
    };
    for (size_t i = 0; i < sizeof own / sizeof *own; i++)
        check_head(own[i], 1);
    for (size_t i = 0; i < sizeof left / sizeof *left; i++)
        check_head(left[i], 0);
    /* Packed documents: read by its own reader unless a value has an
     * escape. */
    const char *docs[] = {
        "{\"id\":\"t1\",\"kind\":\"ticket\",\"title\":\"VPN \xe6\x96\xad\","
        "\"body\":\"b\",\"resolution\":\"r\",\"tags\":[\"vpn\",\"x y\"],"
        "\"version\":7,\"product\":\"P\",\"category\":\"c\"}",
        "{\"id\":\"f\",\"kind\":\"faq\",\"title\":\"say \\\"hi\\\"\","
        "\"body\":\"a\",\"parent\":\"p\",\"review_by\":\"2027-01-01\"}",
    };
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        json_t *d = parse(docs[i]);
        size_t len = 0;
        char *data = d ? kb_doc_pack(d, &len) : NULL;
        CHECK(data != NULL);
        if (data)
            check_head(data, i == 0);
        free(data);
        json_decref(d);
    }
}

int main(void)
{
    RUN(test_doc__faq_question_answer_becomes_title_body);
    RUN(test_doc__ticket_subject_description_resolution);
    RUN(test_doc__closed_ticket_and_ticket_without_status_are_indexed);
    RUN(test_doc__manual_title_body_defaults);
    RUN(test_doc__canonical_shape_keeps_its_fields);
    RUN(test_doc__kind_argument_overrides_the_record);
    RUN(test_doc__integer_id_becomes_a_string);
    RUN(test_doc__null_fields_count_as_absent);
    RUN(test_doc__unresolved_ticket_is_not_found);
    RUN(test_doc__resolved_ticket_without_resolution_is_not_found);
    RUN(test_doc__bad_or_missing_id_is_a_doc_error_naming_id);
    RUN(test_doc__id_rules);
    RUN(test_doc__non_string_field_is_a_doc_error_naming_it);
    RUN(test_doc__bad_visibility_or_status_is_a_doc_error_naming_it);
    RUN(test_doc__document_needs_a_title_or_body);
    RUN(test_doc__non_object_input_is_a_doc_error);
    RUN(test_doc__tags_from_an_array);
    RUN(test_doc__tags_from_a_separated_string);
    RUN(test_doc__tags_of_the_wrong_type_are_a_doc_error);
    RUN(test_doc__ticket_text_has_personal_data_masked);
    RUN(test_doc__manual_text_is_not_masked);
    RUN(test_doc__hash_is_stable_across_key_order);
    RUN(test_doc__hash_changes_with_content_only);
    RUN(test_doc__converted_hash_is_stable_across_input_key_order);
    RUN(test_doc__converting_a_canonical_document_again_changes_nothing);
    RUN(test_doc__sha256_of_bytes);
    RUN(test_doc__now_is_rfc3339_utc);
    RUN(test_doc__packed_data_gives_the_document_back);
    RUN(test_doc__unpack_reads_plain_json_and_refuses_garbage);
    RUN(test_doc__unpack_head_points_at_the_texts_in_the_data);
    RUN(test_doc__head_reads_as_json_loadb_does);
    return TEST_REPORT();
}

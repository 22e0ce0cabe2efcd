/* curate_test.c - query keys, pins (order, expiry, limits, removal) and
 * ticket-to-article drafts over a real index */
#define _XOPEN_SOURCE 700 /* nftw */
#include "kb_curate.h"
#include "kb_doc.h"
#include "kb_error.h"
#include "kb_store.h"
#include "kb_text.h"
#include "xapian_c.h"

#include "testhelp.h"
#include "testtmp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int dbseq;

static kb_xdb *new_db(void)
{
    char path[128];
    kb_xdb *db = NULL;
    snprintf(path, sizeof path, "%s/db%d", tmproot, ++dbseq);
    if (kb_xdb_open(&db, path, KB_XDB_WRITE | KB_XDB_NOSYNC, NULL) != KB_OK)
        fprintf(stderr, "  cannot open %s\n", path);
    return db;
}

/* The key of q, or "(error)" (new). */
static char *key(const char *q)
{
    char *k = NULL;
    if (kb_query_key(&k, q, strlen(q), NULL) != KB_OK)
        return strdup("(error)");
    return k;
}

static void test_key__word_order_case_plurals_and_stop_words_do_not_matter(void)
{
    char *a = key("How do I reset my password?");
    char *b = key("PASSWORD resets");
    char *c = key("password reset");
    CHECK_STR(a, "password reset");
    CHECK_STR(b, a);
    CHECK_STR(c, a);
    free(a);
    free(b);
    free(c);
}

static void test_key__chinese_uses_bigrams_and_a_lone_character(void)
{
    char *a = key("打印机卡纸");
    char *b = key("卡纸 打印机");
    char *c = key("纸");
    CHECK(strstr(a, "打印") && strstr(a, "卡纸"));
    CHECK_STR(c, "纸");
    /* The bigram across the space differs, the rest is shared. */
    CHECK(strstr(b, "打印") && strstr(b, "卡纸"));
    free(a);
    free(b);
    free(c);
}

static void test_key__only_stop_words_keeps_them_and_empty_is_empty(void)
{
    char *a = key("how to");
    char *b = key("?? !!");
    CHECK_STR(a, "how to");
    CHECK_STR(b, "");
    free(a);
    free(b);
}

static void test_key__invalid_utf8_is_an_error(void)
{
    char *k = NULL;
    CHECK_RC(kb_query_key(&k, "a\xff", 2, NULL), KB_EUTF8);
    CHECK(k == NULL);
}

static int add_pin(kb_xdb *db, const char *q, const char *id, time_t exp)
{
    json_t *pin = NULL;
    char *err = NULL;
    kb_xdb_begin(db, NULL);
    int rc = kb_pin_add(&pin, db, q, id, exp, "tester", &err);
    if (rc == KB_OK)
        kb_xdb_commit(db, NULL);
    else
        kb_xdb_cancel(db, NULL);
    json_decref(pin);
    kb_free(err);
    return rc;
}

static const char *nth(json_t *a, size_t i)
{
    return json_string_value(json_array_get(a, i));
}

static void test_pins__close_variants_share_pins_in_order_until_expiry(void)
{
    kb_xdb *db = new_db();
    json_t *ids = NULL;
    CHECK_RC(add_pin(db, "reset my password", "faq-a", 2000), KB_OK);
    CHECK_RC(add_pin(db, "password resets", "faq-b", 1000), KB_OK);
    CHECK_RC(kb_pins_for(&ids, db, "password reset", 500, NULL), KB_OK);
    CHECK(json_array_size(ids) == 2);
    CHECK_STR(nth(ids, 0), "faq-a");
    CHECK_STR(nth(ids, 1), "faq-b");
    json_decref(ids);
    /* At 1000 the second has expired. */
    CHECK_RC(kb_pins_for(&ids, db, "password reset", 1000, NULL), KB_OK);
    CHECK(json_array_size(ids) == 1);
    CHECK_STR(nth(ids, 0), "faq-a");
    json_decref(ids);
    /* Another query has none. */
    CHECK_RC(kb_pins_for(&ids, db, "printer", 0, NULL), KB_OK);
    CHECK(json_array_size(ids) == 0);
    json_decref(ids);
    kb_xdb_close(db);
}

static void test_pins__again_moves_the_expiry_and_the_list_marks_expired(void)
{
    kb_xdb *db = new_db();
    json_t *all = NULL;
    CHECK_RC(add_pin(db, "vpn", "faq-a", 100), KB_OK);
    CHECK_RC(add_pin(db, "VPN", "faq-a", 300), KB_OK);
    CHECK_RC(add_pin(db, "printer", "faq-p", 100), KB_OK);
    CHECK_RC(kb_pins_list(&all, db, 200, NULL), KB_OK);
    CHECK(json_array_size(all) == 2);
    size_t i;
    json_t *p;
    json_array_foreach(all, i, p)
    {
        int exp = json_is_true(json_object_get(p, "expired"));
        if (!strcmp(kb_doc_str(p, "id"), "faq-a"))
            CHECK(!exp &&
                  json_integer_value(json_object_get(p, "expires")) == 300);
        else
            CHECK(exp);
    }
    json_decref(all);
    kb_xdb_close(db);
}

static void test_pins__at_most_ten_per_query_and_none_without_words(void)
{
    kb_xdb *db = new_db();
    char id[16];
    for (int i = 0; i < KB_PIN_MAX_PER_KEY; i++) {
        snprintf(id, sizeof id, "faq-%d", i);
        CHECK_RC(add_pin(db, "wifi", id, 100), KB_OK);
    }
    CHECK_RC(add_pin(db, "wifi", "faq-over", 100), KB_EINVALID);
    CHECK_RC(add_pin(db, "!!", "faq-x", 100), KB_EINVALID);
    kb_xdb_close(db);
}

static void test_pins__removal_by_name_then_not_found(void)
{
    kb_xdb *db = new_db();
    json_t *pin = NULL, *ids = NULL;
    kb_xdb_begin(db, NULL);
    CHECK_RC(kb_pin_add(&pin, db, "email quota", "faq-q", 100, NULL, NULL),
             KB_OK);
    kb_xdb_commit(db, NULL);
    char name[32];
    snprintf(name, sizeof name, "%s", kb_doc_str(pin, "pin"));
    CHECK(strlen(name) == 16);
    kb_xdb_begin(db, NULL);
    CHECK_RC(kb_pin_remove(db, name, NULL), KB_OK);
    CHECK_RC(kb_pin_remove(db, name, NULL), KB_ENOTFOUND);
    kb_xdb_commit(db, NULL);
    CHECK_RC(kb_pins_for(&ids, db, "email quota", 0, NULL), KB_OK);
    CHECK(json_array_size(ids) == 0);
    json_decref(ids);
    json_decref(pin);
    kb_xdb_close(db);
}

static json_t *ticket(const char *text)
{
    json_t *in = json_loads(text, 0, NULL), *out = NULL;
    if (!in || kb_doc_from_json(&out, in, NULL, NULL) != KB_OK)
        fprintf(stderr, "  bad ticket %s\n", text);
    json_decref(in);
    return out;
}

static void test_promote__a_ticket_becomes_a_masked_draft_faq(void)
{
    json_t *t = ticket(
        "{\"id\":\"INC-1\",\"kind\":\"ticket\",\"subject\":"
        "\"Outlook asks for a password\",\"description\":"
        "\"Mail me at jan.de.vries@example.com\",\"resolution\":\"Cleared "
        "the credential store.\",\"product\":\"email\","
        "\"tags\":[\"outlook\"]}");
    json_t *a = NULL;
    CHECK_RC(kb_promote_draft(&a, t, "kb-INC-1", "faq", "public", NULL), KB_OK);
    CHECK_STR(kb_doc_str(a, "kind"), "faq");
    CHECK_STR(kb_doc_str(a, "status"), "draft");
    CHECK_STR(kb_doc_str(a, "visibility"), "public");
    CHECK_STR(kb_doc_str(a, "promoted_from"), "INC-1");
    CHECK_STR(kb_doc_str(a, "title"), "Outlook asks for a password");
    CHECK_STR(kb_doc_str(a, "product"), "email");
    CHECK(strstr(kb_doc_str(a, "body"), "Problem\n") != NULL);
    CHECK(strstr(kb_doc_str(a, "body"), "Resolution\nCleared") != NULL);
    CHECK(strstr(kb_doc_str(a, "body"), "jan.de.vries@example.com") == NULL);
    CHECK(json_array_size(json_object_get(a, "tags")) == 1);
    json_decref(a);
    json_decref(t);
}

static void test_promote__chinese_headings_and_non_tickets_refused(void)
{
    json_t *t = ticket("{\"id\":\"INC-2\",\"kind\":\"ticket\",\"subject\":"
                       "\"打印机卡纸\",\"description\":\"三楼打印机卡纸\","
                       "\"resolution\":\"取出卡纸\",\"lang\":\"zh\"}");
    json_t *a = NULL;
    CHECK_RC(kb_promote_draft(&a, t, "kb-2", "manual", "internal", NULL),
             KB_OK);
    CHECK(strstr(kb_doc_str(a, "body"), "问题\n") != NULL);
    CHECK(strstr(kb_doc_str(a, "body"), "解决方法\n取出卡纸") != NULL);
    CHECK_STR(kb_doc_str(a, "visibility"), "internal");
    json_t *b = NULL;
    CHECK_RC(kb_promote_draft(&b, a, "kb-3", "faq", "public", NULL),
             KB_EINVALID);
    CHECK(b == NULL);
    json_decref(a);
    json_decref(t);
}

static void test_promote__the_link_is_stored_and_read_back(void)
{
    kb_xdb *db = new_db();
    char *to = kb_promoted_to(db, "INC-9");
    CHECK(to == NULL);
    kb_xdb_begin(db, NULL);
    CHECK_RC(kb_set_promoted(db, "INC-9", "kb-INC-9", NULL), KB_OK);
    kb_xdb_commit(db, NULL);
    to = kb_promoted_to(db, "INC-9");
    CHECK_STR(to, "kb-INC-9");
    free(to);
    kb_xdb_close(db);
}

int main(void)
{
    if (tmp_make("curate_test") < 0)
        return 2;
    RUN(test_key__word_order_case_plurals_and_stop_words_do_not_matter);
    RUN(test_key__chinese_uses_bigrams_and_a_lone_character);
    RUN(test_key__only_stop_words_keeps_them_and_empty_is_empty);
    RUN(test_key__invalid_utf8_is_an_error);
    RUN(test_pins__close_variants_share_pins_in_order_until_expiry);
    RUN(test_pins__again_moves_the_expiry_and_the_list_marks_expired);
    RUN(test_pins__at_most_ten_per_query_and_none_without_words);
    RUN(test_pins__removal_by_name_then_not_found);
    RUN(test_promote__a_ticket_becomes_a_masked_draft_faq);
    RUN(test_promote__chinese_headings_and_non_tickets_refused);
    RUN(test_promote__the_link_is_stored_and_read_back);
    kb_stemmers_release();
    tmp_remove();
    return TEST_REPORT();
}

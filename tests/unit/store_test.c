/* store_test.c - the versioned store: versions, history, archive, rollback,
 * sources and statistics over a real index */
#define _XOPEN_SOURCE 700 /* nftw */
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
#include <sys/wait.h>
#include <unistd.h>

/* --- helpers --- */

static int dbseq;

static kb_xdb *new_db(void)
{
    char path[128];
    kb_xdb *db = NULL;
    char *err = NULL;
    snprintf(path, sizeof path, "%s/db%d", tmproot, ++dbseq);
    if (kb_xdb_open(&db, path, KB_XDB_WRITE | KB_XDB_NOSYNC, &err) != KB_OK)
        fprintf(stderr, "  cannot open %s: %s\n", path, err ? err : "?");
    kb_free(err);
    return db;
}

/* A canonical document from JSON text (new). */
static json_t *doc(const char *text)
{
    json_error_t je;
    json_t *in = json_loads(text, 0, &je), *out = NULL;
    char *err = NULL;
    if (!in || kb_doc_from_json(&out, in, NULL, &err) != KB_OK)
        fprintf(stderr, "  bad test document %s: %s\n", text,
                err ? err : je.text);
    json_decref(in);
    kb_free(err);
    return out;
}

/* Put one document in its own transaction. */
static int put(kb_xdb *db, const char *text, int *outcome, int *version)
{
    json_t *d = doc(text);
    char *err = NULL;
    int rc = d ? kb_xdb_begin(db, NULL) : KB_ERROR;
    if (rc == KB_OK) {
        rc = kb_store_put(db, d, "tester", outcome, version, &err);
        if (rc == KB_OK)
            rc = kb_xdb_commit(db, NULL);
        else
            kb_xdb_cancel(db, NULL);
    }
    if (rc != KB_OK)
        fprintf(stderr, "  put failed (%d): %s\n", rc, err ? err : "");
    kb_free(err);
    json_decref(d);
    return rc;
}

static uint32_t termfreq(kb_xdb *db, const char *t)
{
    uint32_t n = 9999;
    kb_xdb_termfreq(db, t, strlen(t), &n, NULL);
    return n;
}

static uint32_t doccount(kb_xdb *db)
{
    uint32_t n = 9999;
    kb_xdb_doccount(db, &n, NULL);
    return n;
}

static int current(kb_xdb *db, const char *id)
{
    int v = -1;
    if (kb_store_current(db, id, &v, NULL) != KB_OK)
        return -1;
    return v;
}

static const char *V1 = "{\"id\":\"faq-pw\",\"kind\":\"faq\",\"question\":"
                        "\"How do I reset my password?\",\"answer\":\"Use the "
                        "selfservice portal at id.example.com.\",\"tags\":"
                        "[\"password\"]}";
static const char *V2 = "{\"id\":\"faq-pw\",\"kind\":\"faq\",\"question\":"
                        "\"How do I reset my password?\",\"answer\":\"Open the "
                        "KestrelID page and choose Forgot password.\","
                        "\"tags\":[\"password\"]}";

/* A database holding V1 then V2 of faq-pw. */
static kb_xdb *two_versions(void)
{
    int outcome = -1, version = -1;
    kb_xdb *db = new_db();
    if (!db)
        return NULL;
    if (put(db, V1, &outcome, &version) != KB_OK ||
        put(db, V2, &outcome, &version) != KB_OK || version != 2) {
        kb_xdb_close(db);
        return NULL;
    }
    return db;
}

/* --- versions --- */

static void test_store__first_put_adds_version_1(void)
{
    int outcome = -1, version = -1;
    kb_xdb *db = new_db();
    json_t *got = NULL;
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK_RC(put(db, V1, &outcome, &version), KB_OK);
    CHECK(outcome == KB_PUT_ADDED);
    CHECK(version == 1);
    CHECK(current(db, "faq-pw") == 1);
    CHECK(doccount(db) == 1);
    CHECK(termfreq(db, "Qfaq-pw") == 1);
    CHECK_RC(kb_store_get(db, "faq-pw", 0, &got, NULL), KB_OK);
    CHECK(json_integer_value(json_object_get(got, "version")) == 1);
    CHECK_STR(kb_doc_str(got, "changed_by"), "tester");
    CHECK(strlen(kb_doc_str(got, "hash")) == 64);
    CHECK(strlen(kb_doc_str(got, "created_at")) == 20);
    CHECK_STR(kb_doc_str(got, "created_at"), kb_doc_str(got, "updated_at"));
    json_decref(got);
    kb_xdb_close(db);
}

static void test_store__same_content_again_is_unchanged_without_a_version(void)
{
    int outcome = -1, version = -1;
    kb_xdb *db = new_db();
    json_t *hist = NULL;
    uint64_t rev = 0, rev2 = 0;
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK_RC(put(db, V1, &outcome, &version), KB_OK);
    kb_xdb_revision(db, &rev, NULL);
    CHECK_RC(put(db, V1, &outcome, &version), KB_OK);
    CHECK(outcome == KB_PUT_UNCHANGED);
    CHECK(version == 1);
    CHECK(current(db, "faq-pw") == 1);
    CHECK_RC(kb_store_history(db, "faq-pw", &hist, NULL), KB_OK);
    CHECK(json_array_size(hist) == 1);
    /* Nothing at all was written. */
    kb_xdb_revision(db, &rev2, NULL);
    CHECK(rev2 == rev);
    json_decref(hist);
    kb_xdb_close(db);
}

static void test_store__edited_answer_makes_v2_and_v1_stays_readable(void)
{
    int outcome = -1, version = -1;
    kb_xdb *db = new_db();
    json_t *v1 = NULL, *v2 = NULL, *cur = NULL;
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK_RC(put(db, V1, &outcome, &version), KB_OK);
    CHECK_RC(put(db, V2, &outcome, &version), KB_OK);
    CHECK(outcome == KB_PUT_UPDATED);
    CHECK(version == 2);
    CHECK_RC(kb_store_get(db, "faq-pw", 1, &v1, NULL), KB_OK);
    CHECK_RC(kb_store_get(db, "faq-pw", 2, &v2, NULL), KB_OK);
    CHECK_RC(kb_store_get(db, "faq-pw", 0, &cur, NULL), KB_OK);
    CHECK_STR(kb_doc_str(v1, "body"),
              "Use the selfservice portal at id.example.com.");
    CHECK_STR(kb_doc_str(v2, "body"),
              "Open the KestrelID page and choose Forgot password.");
    CHECK(json_integer_value(json_object_get(v1, "version")) == 1);
    CHECK(json_integer_value(json_object_get(cur, "version")) == 2);
    CHECK(strcmp(kb_doc_str(v1, "hash"), kb_doc_str(v2, "hash")) != 0);
    /* created_at is carried over from the first version. */
    CHECK_STR(kb_doc_str(v2, "created_at"), kb_doc_str(v1, "created_at"));
    /* Still one searchable document. */
    CHECK(doccount(db) == 1);
    json_decref(v1);
    json_decref(v2);
    json_decref(cur);
    kb_xdb_close(db);
}

static void test_store__history_lists_every_version(void)
{
    kb_xdb *db = two_versions();
    json_t *hist = NULL;
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK_RC(kb_store_history(db, "faq-pw", &hist, NULL), KB_OK);
    CHECK(json_array_size(hist) == 2);
    for (size_t i = 0; i < json_array_size(hist); i++) {
        json_t *h = json_array_get(hist, i);
        CHECK(json_integer_value(json_object_get(h, "version")) ==
              (json_int_t)i + 1);
        CHECK_STR(kb_doc_str(h, "status"), "published");
        CHECK_STR(kb_doc_str(h, "visibility"), "public");
        CHECK_STR(kb_doc_str(h, "changed_by"), "tester");
        CHECK(strlen(kb_doc_str(h, "hash")) == 64);
        CHECK(*kb_doc_str(h, "updated_at"));
    }
    json_decref(hist);
    kb_xdb_close(db);
}

static void test_store__old_versions_have_no_postings(void)
{
    kb_xdb *db = two_versions();
    CHECK(db != NULL);
    if (!db)
        return;
    /* "selfservice" is only in v1, "kestrelid" only in v2. */
    CHECK(termfreq(db, "selfservic") == 0);
    CHECK(termfreq(db, "selfservice") == 0);
    CHECK(termfreq(db, "kestrelid") == 1);
    CHECK(termfreq(db, "Qfaq-pw") == 1);
    CHECK(doccount(db) == 1);
    kb_xdb_close(db);
}

static void test_store__indexed_document_has_prefixed_terms_and_data(void)
{
    int outcome, version;
    kb_xdb *db = new_db();
    char *data = NULL;
    json_t *d = NULL;
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK_RC(put(db,
                 "{\"id\":\"m1\",\"kind\":\"manual\",\"title\":\"Printing "
                 "from home\",\"body\":\"Use FollowMe.\",\"product\":"
                 "\"Print\",\"category\":\"devices\",\"tags\":[\"Printer\","
                 "\"home\"],\"parent\":\"print-guide\"}",
                 &outcome, &version),
             KB_OK);
    CHECK(termfreq(db, "Qm1") == 1);
    CHECK(termfreq(db, "Kmanual") == 1);
    CHECK(termfreq(db, "Pprint") == 1); /* lower-cased */
    CHECK(termfreq(db, "Cdevices") == 1);
    CHECK(termfreq(db, "Tprinter") == 1);
    CHECK(termfreq(db, "Thome") == 1);
    CHECK(termfreq(db, "Len") == 1);
    CHECK(termfreq(db, "Vpublic") == 1);
    CHECK(termfreq(db, "Xpublished") == 1);
    CHECK(termfreq(db, "Gprint-guide") == 1);
    CHECK(termfreq(db, "Sprint") == 1); /* title words, stemmed */
    CHECK(termfreq(db, "Shome") == 1);
    CHECK(termfreq(db, "Sfollowm") == 0); /* body words are not titles */
    CHECK(termfreq(db, "followm") == 1);
    size_t dlen = 0;
    CHECK_RC(kb_xdb_get_data(db, "Qm1", 3, &data, &dlen, NULL), KB_OK);
    d = data ? kb_doc_unpack(data, dlen) : NULL;
    CHECK(d != NULL);
    CHECK_STR(kb_doc_str(d, "id"), "m1");
    CHECK(strlen(kb_doc_str(d, "body")) > 0); /* the text, split off */
    CHECK(json_integer_value(json_object_get(d, "version")) == 1);
    json_decref(d);
    kb_free(data);
    kb_xdb_close(db);
}

static void test_store__cancelled_put_leaves_no_trace(void)
{
    int outcome, version;
    kb_xdb *db = new_db();
    json_t *d = doc(V1), *got = NULL;
    CHECK(db != NULL && d != NULL);
    if (db && d) {
        CHECK_RC(kb_xdb_begin(db, NULL), KB_OK);
        CHECK_RC(kb_store_put(db, d, "tester", &outcome, &version, NULL),
                 KB_OK);
        CHECK_RC(kb_xdb_cancel(db, NULL), KB_OK);
        CHECK(current(db, "faq-pw") == 0);
        CHECK(doccount(db) == 0);
        CHECK_RC(kb_store_get(db, "faq-pw", 1, &got, NULL), KB_ENOTFOUND);
        CHECK(got == NULL);
    }
    json_decref(d);
    kb_xdb_close(db);
}

static void test_store__invalid_id_is_rejected(void)
{
    int outcome = -1, version = -1;
    kb_xdb *db = new_db();
    json_t *d = json_pack("{s:s,s:s}", "id", "bad id", "title", "T");
    char *err = NULL;
    CHECK(db != NULL);
    if (db) {
        CHECK_RC(kb_store_put(db, d, "t", &outcome, &version, &err), KB_EDOC);
        CHECK(err != NULL);
        CHECK(outcome == KB_PUT_UNCHANGED && version == 0);
    }
    kb_free(err);
    json_decref(d);
    kb_xdb_close(db);
}

/* --- archive and rollback --- */

static void test_store__archive_makes_a_version_and_removes_postings(void)
{
    kb_xdb *db = two_versions();
    int version = -1;
    json_t *v3 = NULL, *v2 = NULL;
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK_RC(kb_xdb_begin(db, NULL), KB_OK);
    CHECK_RC(kb_store_archive(db, "faq-pw", "editor", &version, NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(db, NULL), KB_OK);
    CHECK(version == 3);
    CHECK(current(db, "faq-pw") == 3);
    CHECK_RC(kb_store_get(db, "faq-pw", 3, &v3, NULL), KB_OK);
    CHECK_STR(kb_doc_str(v3, "status"), "archived");
    CHECK_STR(kb_doc_str(v3, "changed_by"), "editor");
    /* The content is v2's. */
    CHECK_STR(kb_doc_str(v3, "body"),
              "Open the KestrelID page and choose Forgot password.");
    /* No longer searchable at all. */
    CHECK(doccount(db) == 0);
    CHECK(termfreq(db, "Qfaq-pw") == 0);
    CHECK(termfreq(db, "kestrelid") == 0);
    /* Earlier versions are still there. */
    CHECK_RC(kb_store_get(db, "faq-pw", 2, &v2, NULL), KB_OK);
    CHECK_STR(kb_doc_str(v2, "status"), "published");

    /* Archiving again changes nothing. */
    CHECK_RC(kb_xdb_begin(db, NULL), KB_OK);
    CHECK_RC(kb_store_archive(db, "faq-pw", "editor", &version, NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(db, NULL), KB_OK);
    CHECK(version == 3);
    CHECK(current(db, "faq-pw") == 3);
    json_decref(v2);
    json_decref(v3);
    kb_xdb_close(db);
}

static void test_store__reanalyse_rebuilds_terms_and_keeps_versions(void)
{
    kb_xdb *db = two_versions(); /* faq-pw, versions 1 and 2 */
    int outcome = 0, version = 0, done = -1;
    json_t *ids = NULL, *hist = NULL;
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK_RC(put(db,
                 "{\"id\":\"zh-tw\",\"kind\":\"faq\",\"question\":"
                 "\"印表機無法連線\",\"answer\":\"請重新啟動。\"}",
                 &outcome, &version),
             KB_OK);
    CHECK_RC(put(db,
                 "{\"id\":\"gone\",\"kind\":\"faq\",\"question\":"
                 "\"Retired printer\",\"answer\":\"Ask the desk.\"}",
                 &outcome, &version),
             KB_OK);
    CHECK_RC(kb_xdb_begin(db, NULL), KB_OK);
    CHECK_RC(kb_store_archive(db, "gone", "editor", &version, NULL), KB_OK);
    /* An index from an older analysis: zh-tw's postings without the
     * folded terms (here, its id term only). */
    kb_xdoc *old = kb_xdoc_new();
    CHECK_RC(kb_xdoc_add_term(old, "Qzh-tw", 6, 0, 0), KB_OK);
    CHECK_RC(kb_xdb_replace(db, "Qzh-tw", 6, old, NULL), KB_OK);
    kb_xdoc_free(old);
    CHECK_RC(kb_xdb_commit(db, NULL), KB_OK);
    CHECK(termfreq(db, "连线") == 0 && doccount(db) == 2);

    CHECK_RC(kb_store_ids(db, &ids, NULL), KB_OK);
    CHECK(json_array_size(ids) == 3);
    CHECK_STR(json_string_value(json_array_get(ids, 0)), "faq-pw");
    CHECK_STR(json_string_value(json_array_get(ids, 1)), "gone");
    CHECK_STR(json_string_value(json_array_get(ids, 2)), "zh-tw");
    CHECK_RC(kb_xdb_begin(db, NULL), KB_OK);
    size_t i;
    json_t *id;
    int rebuilt = 0;
    json_array_foreach(ids, i, id)
    {
        CHECK_RC(kb_store_reanalyse(db, json_string_value(id), &done, NULL,
                                    NULL, NULL),
                 KB_OK);
        rebuilt += done;
    }
    CHECK_RC(kb_store_reanalyse(db, "no-such-id", &done, NULL, NULL, NULL),
             KB_OK);
    CHECK(done == 0);
    CHECK_RC(kb_xdb_commit(db, NULL), KB_OK);
    CHECK(rebuilt == 2); /* the archived one has no postings to rebuild */
    /* The folded terms are back, and nothing else moved. */
    CHECK(termfreq(db, "连线") == 1 && termfreq(db, "S连线") == 1);
    CHECK(termfreq(db, "kestrelid") == 1 && termfreq(db, "printer") == 0);
    CHECK(doccount(db) == 2);
    CHECK(current(db, "faq-pw") == 2 && current(db, "zh-tw") == 1 &&
          current(db, "gone") == 2);
    CHECK_RC(kb_store_history(db, "faq-pw", &hist, NULL), KB_OK);
    CHECK(json_array_size(hist) == 2);
    json_decref(hist);
    json_decref(ids);
    kb_xdb_close(db);
}

static void test_store__rollback_to_1_makes_v4_with_v1_content(void)
{
    kb_xdb *db = two_versions();
    int version = -1;
    json_t *v4 = NULL, *v1 = NULL;
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK_RC(kb_xdb_begin(db, NULL), KB_OK);
    CHECK_RC(kb_store_archive(db, "faq-pw", "editor", &version, NULL), KB_OK);
    CHECK_RC(kb_store_rollback(db, "faq-pw", 1, "editor", &version, NULL),
             KB_OK);
    CHECK_RC(kb_xdb_commit(db, NULL), KB_OK);
    CHECK(version == 4);
    CHECK(current(db, "faq-pw") == 4);
    CHECK_RC(kb_store_get(db, "faq-pw", 4, &v4, NULL), KB_OK);
    CHECK_RC(kb_store_get(db, "faq-pw", 1, &v1, NULL), KB_OK);
    CHECK_STR(kb_doc_str(v4, "body"), kb_doc_str(v1, "body"));
    CHECK_STR(kb_doc_str(v4, "status"), "published");
    CHECK_STR(kb_doc_str(v4, "hash"), kb_doc_str(v1, "hash"));
    CHECK(json_integer_value(json_object_get(v4, "version")) == 4);
    /* Searchable again, with v1's words only. */
    CHECK(doccount(db) == 1);
    CHECK(termfreq(db, "Qfaq-pw") == 1);
    CHECK(termfreq(db, "selfservic") == 1);
    CHECK(termfreq(db, "kestrelid") == 0);
    json_decref(v1);
    json_decref(v4);
    kb_xdb_close(db);
}

static void test_store__rollback_to_the_current_content_changes_nothing(void)
{
    kb_xdb *db = two_versions();
    int version = -1;
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK_RC(kb_xdb_begin(db, NULL), KB_OK);
    CHECK_RC(kb_store_rollback(db, "faq-pw", 2, "editor", &version, NULL),
             KB_OK);
    CHECK_RC(kb_xdb_commit(db, NULL), KB_OK);
    CHECK(version == 2);
    CHECK(current(db, "faq-pw") == 2);
    kb_xdb_close(db);
}

static void test_store__unknown_ids_and_versions_are_not_found(void)
{
    kb_xdb *db = two_versions();
    int version = -1;
    json_t *j = NULL;
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK_RC(kb_store_get(db, "nope", 0, &j, NULL), KB_ENOTFOUND);
    CHECK(j == NULL);
    CHECK_RC(kb_store_get(db, "faq-pw", 3, &j, NULL), KB_ENOTFOUND);
    CHECK_RC(kb_store_get(db, "bad id", 1, &j, NULL), KB_ENOTFOUND);
    CHECK_RC(kb_store_history(db, "nope", &j, NULL), KB_ENOTFOUND);
    CHECK(current(db, "nope") == 0);
    CHECK_RC(kb_xdb_begin(db, NULL), KB_OK);
    CHECK_RC(kb_store_archive(db, "nope", "e", &version, NULL), KB_ENOTFOUND);
    CHECK_RC(kb_store_rollback(db, "faq-pw", 0, "e", &version, NULL),
             KB_EINVALID);
    CHECK_RC(kb_store_rollback(db, "faq-pw", 9, "e", &version, NULL),
             KB_ENOTFOUND);
    CHECK_RC(kb_xdb_commit(db, NULL), KB_OK);
    CHECK(current(db, "faq-pw") == 2);
    kb_xdb_close(db);
}

/* --- spelling follows what the public can see --- */

/* The dictionary's suggestion for w, "" for none (valid until the next
 * call). */
static const char *suggestion(kb_xdb *db, const char *w)
{
    static char out[64];
    char *s = NULL;
    CHECK_RC(kb_xdb_spelling(db, w, strlen(w), 2, &s, NULL), KB_OK);
    snprintf(out, sizeof out, "%s", s ? s : "");
    kb_free(s);
    return out;
}

static void test_store__spelling_holds_only_public_published_words(void)
{
    int outcome, version;
    kb_xdb *db = new_db();
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK_RC(put(db,
                 "{\"id\":\"pub\",\"title\":\"Printer jammed\",\"body\":"
                 "\"Open the drawer.\"}",
                 &outcome, &version),
             KB_OK);
    CHECK_RC(put(db,
                 "{\"id\":\"int\",\"title\":\"Kubernetes cluster\","
                 "\"body\":\"Restart.\",\"visibility\":\"internal\"}",
                 &outcome, &version),
             KB_OK);
    CHECK_STR(suggestion(db, "printr"), "printer");
    CHECK_STR(suggestion(db, "kubernets"), "");
    /* Archived: its words leave the dictionary. */
    CHECK_RC(kb_xdb_begin(db, NULL), KB_OK);
    CHECK_RC(kb_store_archive(db, "pub", "e", &version, NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(db, NULL), KB_OK);
    CHECK_STR(suggestion(db, "printr"), "");
    kb_xdb_close(db);
}

/* The dictionary as one string: "word:freq word:freq ...". */
static int dict_word(void *ctx, const char *w, size_t n, unsigned f)
{
    char *out = ctx;
    size_t at = strlen(out);
    snprintf(out + at, 4096 - at, "%s%.*s:%u", at ? " " : "", (int)n, w, f);
    return 0;
}

static void dictionary(kb_xdb *db, char out[4096])
{
    out[0] = '\0';
    CHECK_RC(kb_xdb_spelling_words(db, dict_word, out, NULL), KB_OK);
}

/* Reanalyse every document into words, set the dictionary from them, in
 * one transaction, as deskdex-index --reanalyse does. */
static void reanalyse_all(kb_xdb *db)
{
    json_t *ids = NULL;
    kb_xspell *words = kb_xspell_new();
    size_t i;
    json_t *id;
    int done;
    CHECK(words != NULL);
    CHECK_RC(kb_store_ids(db, &ids, NULL), KB_OK);
    CHECK_RC(kb_xdb_begin(db, NULL), KB_OK);
    json_array_foreach(ids, i, id) CHECK_RC(
        kb_store_reanalyse(db, json_string_value(id), &done, NULL, words, NULL),
        KB_OK);
    CHECK_RC(kb_xdb_spelling_set(db, words, NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(db, NULL), KB_OK);
    kb_xspell_free(words);
    json_decref(ids);
}

static void test_store__reanalyse_makes_the_spelling_dictionary_again(void)
{
    int outcome, version;
    kb_xdb *db = new_db();
    char before[4096], drifted[4096], after[4096];
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK_RC(put(db,
                 "{\"id\":\"a\",\"title\":\"Printer jammed\",\"body\":"
                 "\"Open the printer drawer.\"}",
                 &outcome, &version),
             KB_OK);
    CHECK_RC(put(db,
                 "{\"id\":\"b\",\"title\":\"Printer offline\",\"body\":"
                 "\"Restart the spooler.\"}",
                 &outcome, &version),
             KB_OK);
    CHECK_RC(put(db,
                 "{\"id\":\"int\",\"title\":\"Kubernetes cluster\","
                 "\"body\":\"Restart.\",\"visibility\":\"internal\"}",
                 &outcome, &version),
             KB_OK);
    CHECK_RC(put(db,
                 "{\"id\":\"old\",\"title\":\"Fax gateway\",\"body\":"
                 "\"Retired.\"}",
                 &outcome, &version),
             KB_OK);
    CHECK_RC(kb_xdb_begin(db, NULL), KB_OK);
    CHECK_RC(kb_store_archive(db, "old", "e", &version, NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(db, NULL), KB_OK);
    dictionary(db, before);
    CHECK(strstr(before, "printer:2") != NULL);
    CHECK(strstr(before, "spooler:1") != NULL);
    CHECK(strstr(before, "kubernetes") == NULL);
    CHECK(strstr(before, "gateway") == NULL);

    /* What an older analysis left: words no document makes now, and a
     * count that no longer adds up. */
    CHECK_RC(kb_xdb_begin(db, NULL), KB_OK);
    CHECK_RC(kb_xdb_add_spelling(db, "printerdrawer", 13, 3, NULL), KB_OK);
    CHECK_RC(kb_xdb_add_spelling(db, "spooler", 7, 4, NULL), KB_OK);
    CHECK_RC(kb_xdb_remove_spelling(db, "printer", 7, 1, NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(db, NULL), KB_OK);
    dictionary(db, drifted);
    CHECK(strcmp(drifted, before) != 0);
    CHECK_STR(suggestion(db, "printerdrawr"), "printerdrawer");

    reanalyse_all(db);
    dictionary(db, after);
    CHECK_STR(after, before);
    CHECK(strcmp(suggestion(db, "printerdrawr"), "printerdrawer") != 0);
    /* Again: nothing left to change. */
    reanalyse_all(db);
    dictionary(db, after);
    CHECK_STR(after, before);

    /* A change not yet committed is counted too: a word added in the same
     * transaction is taken out by kb_xdb_spelling_set. */
    kb_xspell *none = kb_xspell_new();
    CHECK_RC(kb_xdb_begin(db, NULL), KB_OK);
    CHECK_RC(kb_xdb_add_spelling(db, "pendingword", 11, 1, NULL), KB_OK);
    CHECK_RC(kb_xdb_spelling_set(db, none, NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(db, NULL), KB_OK);
    dictionary(db, after);
    CHECK_STR(after, "");
    CHECK(kb_xspell_size(none) == 0);
    kb_xspell_free(none);
    kb_xdb_close(db);
}

/* A held dictionary reaches Xapian only at the commit after the hold
 * ends, and then holds what commit-by-commit upkeep makes. */
static void test_store__held_spelling_is_written_at_the_end(void)
{
    static const char *docs[] = {
        "{\"id\":\"a\",\"title\":\"Printer jammed\",\"body\":"
        "\"Open the printer drawer.\"}",
        "{\"id\":\"b\",\"title\":\"Printer offline\",\"body\":"
        "\"Restart the spooler.\"}",
        "{\"id\":\"a\",\"title\":\"Printer jammed\",\"body\":"
        "\"Open the paper tray.\"}",
    };
    int outcome, version;
    char plain_words[4096], held_words[4096], path[160];
    kb_xdb *plain = new_db(), *held = new_db(), *ro = NULL;
    snprintf(path, sizeof path, "%s/db%d", tmproot, dbseq);
    CHECK(plain != NULL && held != NULL);
    if (!plain || !held)
        return;
    kb_xdb_hold_spelling(held, 1);
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        CHECK_RC(put(plain, docs[i], &outcome, &version), KB_OK);
        CHECK_RC(put(held, docs[i], &outcome, &version), KB_OK);
    }
    dictionary(plain, plain_words);
    CHECK(strstr(plain_words, "printer:2") != NULL);
    CHECK(strstr(plain_words, "tray:1") != NULL);
    CHECK(strstr(plain_words, "drawer") == NULL);
    /* Three commits, and still nothing in the held database's own list. */
    CHECK_RC(kb_xdb_open(&ro, path, 0, NULL), KB_OK);
    if (ro) {
        dictionary(ro, held_words);
        CHECK_STR(held_words, "");
        kb_xdb_close(ro);
        ro = NULL;
    }
    kb_xdb_hold_spelling(held, 0);
    CHECK_RC(kb_xdb_begin(held, NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(held, NULL), KB_OK);
    CHECK_RC(kb_xdb_open(&ro, path, 0, NULL), KB_OK);
    if (ro) {
        dictionary(ro, held_words);
        CHECK_STR(held_words, plain_words);
        CHECK_STR(suggestion(ro, "spoolr"), "spooler");
        kb_xdb_close(ro);
    }
    kb_xdb_close(plain);
    kb_xdb_close(held);
}

static int count_key(void *ctx, const char *key, size_t klen)
{
    (void)key;
    (void)klen;
    ++*(int *)ctx;
    return 0;
}

static int held_records(kb_xdb *db)
{
    int n = 0;
    CHECK_RC(kb_xdb_metadata_keys(db, "!spelling:", 10, count_key, &n, NULL),
             KB_OK);
    return n;
}

/* The dictionary of the index at path as a reader sees it, once a writer
 * has opened it: no held record may be left. */
static void settled_dictionary(const char *path, char out[4096])
{
    kb_xdb *w = NULL, *ro = NULL;
    out[0] = '\0';
    CHECK_RC(kb_xdb_open(&w, path, KB_XDB_WRITE | KB_XDB_NOSYNC, NULL), KB_OK);
    kb_xdb_close(w);
    CHECK_RC(kb_xdb_open(&ro, path, 0, NULL), KB_OK);
    if (!ro)
        return;
    CHECK(held_records(ro) == 0);
    dictionary(ro, out);
    kb_xdb_close(ro);
}

/* Hold 2: each commit records its transaction's words with its documents,
 * so a writer killed before its last commit leaves them for the next
 * writer to apply; a cancelled transaction's words are dropped. */
static void test_store__held_spelling_survives_a_killed_writer(void)
{
    static const char *docs[] = {
        "{\"id\":\"a\",\"title\":\"Printer jammed\",\"body\":"
        "\"Open the printer drawer.\"}",
        "{\"id\":\"b\",\"title\":\"Printer offline\",\"body\":"
        "\"Restart the spooler.\"}",
        "{\"id\":\"a\",\"title\":\"Printer jammed\",\"body\":"
        "\"Open the paper tray.\"}",
    };
    int outcome, version, status = -1;
    char plain_words[4096], words[4096], path[160];
    kb_xdb *plain = new_db(), *w = NULL, *ro = NULL;
    CHECK(plain != NULL);
    if (!plain)
        return;
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++)
        CHECK_RC(put(plain, docs[i], &outcome, &version), KB_OK);
    dictionary(plain, plain_words);
    kb_xdb_close(plain);
    snprintf(path, sizeof path, "%s/db%d", tmproot, ++dbseq);

    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) { /* the writer that is killed: no last commit, no close */
        if (kb_xdb_open(&w, path, KB_XDB_WRITE | KB_XDB_NOSYNC, NULL) != KB_OK)
            _exit(2);
        kb_xdb_hold_spelling(w, 2);
        for (size_t i = 0; i < sizeof docs / sizeof *docs; i++)
            if (put(w, docs[i], &outcome, &version) != KB_OK)
                _exit(3);
        json_t *d = doc("{\"id\":\"c\",\"title\":\"Scanner offline\","
                        "\"body\":\"Reboot it.\"}");
        if (!d || kb_xdb_begin(w, NULL) != KB_OK ||
            kb_store_put(w, d, "tester", &outcome, &version, NULL) != KB_OK ||
            kb_xdb_cancel(w, NULL) != KB_OK)
            _exit(4);
        _exit(0);
    }
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* Left behind: the documents and one record per commit, and a
     * dictionary without their words. */
    CHECK_RC(kb_xdb_open(&ro, path, 0, NULL), KB_OK);
    if (!ro)
        return;
    CHECK(termfreq(ro, "Qa") == 1 && termfreq(ro, "Qb") == 1);
    CHECK(held_records(ro) == 3);
    dictionary(ro, words);
    CHECK_STR(words, "");
    kb_xdb_close(ro);
    ro = NULL;

    /* The next writer applies them when it opens. */
    settled_dictionary(path, words);
    CHECK_STR(words, plain_words);
    CHECK(strstr(words, "scanner") == NULL);

    /* A writer that ends normally leaves no record: the commit after hold 0
     * writes its words, and so does a close while still holding. */
    CHECK_RC(kb_xdb_open(&w, path, KB_XDB_WRITE | KB_XDB_NOSYNC, NULL), KB_OK);
    if (!w)
        return;
    kb_xdb_hold_spelling(w, 2);
    CHECK_RC(put(w,
                 "{\"id\":\"c\",\"title\":\"Scanner offline\","
                 "\"body\":\"Reboot it.\"}",
                 &outcome, &version),
             KB_OK);
    kb_xdb_hold_spelling(w, 0);
    CHECK_RC(kb_xdb_begin(w, NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(w, NULL), KB_OK);
    kb_xdb_hold_spelling(w, 2);
    CHECK_RC(put(w,
                 "{\"id\":\"d\",\"title\":\"Badge reader\","
                 "\"body\":\"Swipe again.\"}",
                 &outcome, &version),
             KB_OK);
    kb_xdb_close(w);
    settled_dictionary(path, words);
    CHECK(strstr(words, "scanner:1") != NULL);
    CHECK(strstr(words, "badge:1") != NULL);
}

/* A record that does not parse stops a writer with the key named, and
 * the lock is let go; readers and the documents are untouched. Making
 * the dictionary again from the documents, as --reanalyse does, removes
 * it. */
static void test_store__a_damaged_held_spelling_record_is_reported(void)
{
    int outcome, version;
    char path[160], words[4096], *err = NULL;
    kb_xdb *w = new_db(), *again = NULL, *ro = NULL;
    snprintf(path, sizeof path, "%s/db%d", tmproot, dbseq);
    CHECK(w != NULL);
    if (!w)
        return;
    CHECK_RC(put(w,
                 "{\"id\":\"a\",\"title\":\"Printer jammed\",\"body\":"
                 "\"Open the drawer.\"}",
                 &outcome, &version),
             KB_OK);
    CHECK_RC(kb_xdb_begin(w, NULL), KB_OK);
    CHECK_RC(kb_xdb_set_metadata(w, "!spelling:0000000007", 20, "3 7 printer",
                                 11, NULL),
             KB_OK);
    CHECK_RC(kb_xdb_commit(w, NULL), KB_OK);
    kb_xdb_close(w);
    w = NULL;

    CHECK_RC(kb_xdb_open(&w, path, KB_XDB_WRITE | KB_XDB_NOSYNC, &err),
             KB_ECORRUPT);
    CHECK(err && strstr(err, "!spelling:0000000007") && strstr(err, "damaged"));
    kb_free(err);
    err = NULL;
    CHECK(w == NULL);
    /* Not left locked: the next writer meets the same record. */
    CHECK_RC(kb_xdb_open(&again, path, KB_XDB_WRITE | KB_XDB_NOSYNC, NULL),
             KB_ECORRUPT);
    CHECK_RC(kb_xdb_open(&ro, path, 0, NULL), KB_OK);
    if (ro) {
        CHECK(termfreq(ro, "Qa") == 1);
        kb_xdb_close(ro);
        ro = NULL;
    }

    CHECK_RC(kb_xdb_open(&w, path, KB_XDB_WRITE | KB_XDB_NOHELD | KB_XDB_NOSYNC,
                         NULL),
             KB_OK);
    if (!w)
        return;
    reanalyse_all(w);
    kb_xdb_close(w);
    settled_dictionary(path, words);
    CHECK(strstr(words, "printer:1") != NULL);
    CHECK(strstr(words, "drawer:1") != NULL);
}

/* --- duplicate titles --- */

static void test_store__documents_carry_a_duplicate_key_value(void)
{
    int outcome, version;
    kb_xdb *db = new_db();
    kb_xquery *q = kb_xquery_match_all();
    kb_xmset *ms = NULL;
    kb_xsearch_opts o = KB_XSEARCH_OPTS_INIT;
    CHECK(db != NULL);
    if (!db) {
        kb_xquery_free(q);
        return;
    }
    CHECK_RC(put(db,
                 "{\"id\":\"copy1\",\"title\":\"Reset your password\","
                 "\"body\":\"One.\"}",
                 &outcome, &version),
             KB_OK);
    CHECK_RC(put(db,
                 "{\"id\":\"copy2\",\"title\":\"Reset Your Password\","
                 "\"body\":\"Two.\"}",
                 &outcome, &version),
             KB_OK);
    CHECK_RC(put(db,
                 "{\"id\":\"other\",\"title\":\"Unlock your account\","
                 "\"body\":\"Three.\"}",
                 &outcome, &version),
             KB_OK);
    o.collapse_slot = KB_SLOT_DUPKEY;
    CHECK_RC(kb_xdb_search(&ms, db, q, &o, NULL), KB_OK);
    CHECK(kb_xmset_size(ms) == 2);
    kb_xmset_free(ms);
    kb_xquery_free(q);
    kb_xdb_close(db);
}

/* --- sources --- */

static void test_store__set_source_returns_the_previous_ids(void)
{
    kb_xdb *db = new_db();
    json_t *ids1 = json_pack("[s,s]", "a", "b");
    json_t *ids2 = json_pack("[s]", "b");
    json_t *empty = json_array();
    json_t *prev = NULL, *all = NULL;
    CHECK(db != NULL);
    if (!db)
        goto done;
    CHECK_RC(kb_xdb_begin(db, NULL), KB_OK);
    CHECK_RC(kb_store_set_source(db, "faqs/vpn.md", ids1, &prev, NULL), KB_OK);
    CHECK(json_is_array(prev) && json_array_size(prev) == 0);
    json_decref(prev);
    prev = NULL;
    CHECK_RC(kb_xdb_commit(db, NULL), KB_OK);

    CHECK_RC(kb_xdb_begin(db, NULL), KB_OK);
    CHECK_RC(kb_store_set_source(db, "faqs/vpn.md", ids2, &prev, NULL), KB_OK);
    CHECK(json_equal(prev, ids1));
    json_decref(prev);
    prev = NULL;
    CHECK_RC(kb_store_set_source(db, "faqs/other.md", ids1, &prev, NULL),
             KB_OK);
    json_decref(prev);
    prev = NULL;
    CHECK_RC(kb_xdb_commit(db, NULL), KB_OK);

    CHECK_RC(kb_store_sources(db, &all, NULL), KB_OK);
    CHECK(json_object_size(all) == 2);
    CHECK(json_equal(json_object_get(all, "faqs/vpn.md"), ids2));
    CHECK(json_equal(json_object_get(all, "faqs/other.md"), ids1));
    json_decref(all);
    all = NULL;

    /* No ids forgets the source. */
    CHECK_RC(kb_xdb_begin(db, NULL), KB_OK);
    CHECK_RC(kb_store_set_source(db, "faqs/vpn.md", empty, &prev, NULL), KB_OK);
    CHECK(json_equal(prev, ids2));
    json_decref(prev);
    prev = NULL;
    CHECK_RC(kb_xdb_commit(db, NULL), KB_OK);
    CHECK_RC(kb_store_sources(db, &all, NULL), KB_OK);
    CHECK(json_object_size(all) == 1);
    CHECK(json_object_get(all, "faqs/vpn.md") == NULL);
done:
    json_decref(all);
    json_decref(ids1);
    json_decref(ids2);
    json_decref(empty);
    kb_xdb_close(db);
}

/* --- statistics --- */

static json_int_t stat_of(const json_t *st, const char *kind,
                          const char *status)
{
    return json_integer_value(json_object_get(
        json_object_get(json_object_get(st, "documents"), kind), status));
}

static void test_store__stats_count_documents_by_kind_and_status(void)
{
    kb_xdb *db = two_versions(); /* faq-pw: 2 versions */
    int outcome, version;
    json_t *st = NULL;
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK_RC(put(db, "{\"id\":\"m1\",\"kind\":\"manual\",\"title\":\"A\"}",
                 &outcome, &version),
             KB_OK);
    CHECK_RC(put(db,
                 "{\"id\":\"m2\",\"kind\":\"manual\",\"title\":\"B\","
                 "\"status\":\"draft\"}",
                 &outcome, &version),
             KB_OK);
    CHECK_RC(put(db, "{\"id\":\"t1\",\"subject\":\"S\",\"resolution\":\"R\"}",
                 &outcome, &version),
             KB_OK);
    CHECK_RC(kb_xdb_begin(db, NULL), KB_OK);
    CHECK_RC(kb_store_archive(db, "m1", "e", &version, NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(db, NULL), KB_OK);

    CHECK_RC(kb_store_stats(db, &st, NULL), KB_OK);
    CHECK(stat_of(st, "faq", "published") == 1);
    CHECK(stat_of(st, "manual", "archived") == 1);
    CHECK(stat_of(st, "manual", "draft") == 1);
    CHECK(stat_of(st, "manual", "published") == 0);
    CHECK(stat_of(st, "ticket", "published") == 1);
    CHECK(json_integer_value(json_object_get(st, "ids")) == 4);
    /* faq-pw 2 + m1 2 + m2 1 + t1 1 */
    CHECK(json_integer_value(json_object_get(st, "versions")) == 6);
    /* Drafts have postings (editors search them); archived do not. */
    CHECK(json_integer_value(json_object_get(st, "searchable")) == 3);
    CHECK(json_integer_value(json_object_get(st, "revision")) > 0);
    json_decref(st);
    kb_xdb_close(db);
}

static void test_store__stats_of_an_empty_store(void)
{
    kb_xdb *db = new_db();
    json_t *st = NULL;
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK_RC(kb_store_stats(db, &st, NULL), KB_OK);
    CHECK(json_object_size(json_object_get(st, "documents")) == 0);
    CHECK(json_integer_value(json_object_get(st, "ids")) == 0);
    CHECK(json_integer_value(json_object_get(st, "versions")) == 0);
    CHECK(json_integer_value(json_object_get(st, "searchable")) == 0);
    json_decref(st);
    kb_xdb_close(db);
}

int main(void)
{
    if (tmp_make("store_test") < 0)
        return 2;
    RUN(test_store__first_put_adds_version_1);
    RUN(test_store__same_content_again_is_unchanged_without_a_version);
    RUN(test_store__edited_answer_makes_v2_and_v1_stays_readable);
    RUN(test_store__history_lists_every_version);
    RUN(test_store__old_versions_have_no_postings);
    RUN(test_store__indexed_document_has_prefixed_terms_and_data);
    RUN(test_store__cancelled_put_leaves_no_trace);
    RUN(test_store__invalid_id_is_rejected);
    RUN(test_store__archive_makes_a_version_and_removes_postings);
    RUN(test_store__reanalyse_rebuilds_terms_and_keeps_versions);
    RUN(test_store__rollback_to_1_makes_v4_with_v1_content);
    RUN(test_store__rollback_to_the_current_content_changes_nothing);
    RUN(test_store__unknown_ids_and_versions_are_not_found);
    RUN(test_store__spelling_holds_only_public_published_words);
    RUN(test_store__reanalyse_makes_the_spelling_dictionary_again);
    RUN(test_store__held_spelling_is_written_at_the_end);
    RUN(test_store__held_spelling_survives_a_killed_writer);
    RUN(test_store__a_damaged_held_spelling_record_is_reported);
    RUN(test_store__documents_carry_a_duplicate_key_value);
    RUN(test_store__set_source_returns_the_previous_ids);
    RUN(test_store__stats_count_documents_by_kind_and_status);
    RUN(test_store__stats_of_an_empty_store);
    kb_stemmers_release();
    tmp_remove();
    return TEST_REPORT();
}

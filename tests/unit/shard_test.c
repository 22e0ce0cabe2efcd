/* shard_test.c - sets of shards over real local indexes: placement by id,
 * the layout and its stub, stub files read and refused, per-shard reads
 * and writes, the dictionary, commit stamps */
#define _XOPEN_SOURCE 700 /* nftw */
#include "kb_doc.h"
#include "kb_error.h"
#include "kb_shard.h"
#include "kb_store.h"
#include "kb_text.h"
#include "xapian_c.h"

#include "testhelp.h"
#include "testtmp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void test_shard__placement_is_fnv1a_and_stable(void)
{
    /* FNV-1a 64 of "" is the offset basis; "a" is a published value. */
    CHECK(kb_shard_of("", 1) == 0);
    CHECK(kb_shard_of("a", 1000000007) ==
          (uint32_t)(0xaf63dc4c8601ec8cULL % 1000000007ULL));
    CHECK(kb_shard_of("faq-password-reset", 1) == 0);
    CHECK(kb_shard_of("faq-password-reset", 0) == 0);
    /* Every id lands in range, and both shards of two get some. */
    int seen[3] = {0, 0, 0};
    char id[32];
    for (int i = 0; i < 200; i++) {
        snprintf(id, sizeof id, "doc-%d", i);
        uint32_t k = kb_shard_of(id, 3);
        CHECK(k < 3);
        if (k < 3)
            seen[k]++;
    }
    CHECK(seen[0] > 30 && seen[1] > 30 && seen[2] > 30);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_shard__create_makes_the_layout_and_refuses_another_size(void)
{
    char dir[128], p[200];
    char *err = NULL;
    snprintf(dir, sizeof dir, "%s/set2", tmproot);
    CHECK_RC(kb_shard_create(dir, 2, &err), KB_OK);
    kb_free(err);
    err = NULL;
    struct stat st;
    snprintf(p, sizeof p, "%s/XAPIANDB", dir);
    CHECK(stat(p, &st) == 0);
    CHECK(kb_shard_is_set(dir));
    /* Again with the same size is fine; another size is refused. */
    CHECK_RC(kb_shard_create(dir, 2, NULL), KB_OK);
    CHECK_RC(kb_shard_create(dir, 3, &err), KB_EINVALID);
    CHECK(err != NULL);
    kb_free(err);
    CHECK_RC(kb_shard_create(dir, 0, NULL), KB_EINVALID);
}

static void test_shard__bad_stub_lines_are_named(void)
{
    char stub[128];
    char *err = NULL;
    kb_xdb *db = NULL;
    kb_xshard_opts o = KB_XSHARD_OPTS_INIT;
    snprintf(stub, sizeof stub, "%s/bad.stub", tmproot);
    write_file(stub, "auto shard-0\nbogus line here\n");
    int rc = kb_shard_open(&db, stub, NULL, &o, KB_XDB_READ, &err);
    CHECK(rc != KB_OK);
    CHECK(db == NULL);
    CHECK(err && strstr(err, ":2") != NULL);
    kb_free(err);
    err = NULL;
    write_file(stub, "remote nohost\n");
    rc = kb_shard_open(&db, stub, NULL, &o, KB_XDB_READ, &err);
    CHECK(rc != KB_OK);
    CHECK(err != NULL);
    kb_free(err);
}

static json_t *faq(const char *id, const char *q, const char *a)
{
    json_t *in = json_pack("{s:s,s:s,s:s,s:s}", "id", id, "kind", "faq",
                           "question", q, "answer", a);
    json_t *out = NULL;
    kb_doc_from_json(&out, in, NULL, NULL);
    json_decref(in);
    return out;
}

static void test_shard__writes_go_to_the_shard_of_the_id(void)
{
    char dir[128];
    kb_xdb *w = NULL, *r = NULL;
    char *err = NULL;
    kb_xshard_opts o = KB_XSHARD_OPTS_INIT;
    snprintf(dir, sizeof dir, "%s/set-w", tmproot);
    CHECK_RC(kb_shard_create(dir, 2, NULL), KB_OK);
    int rc =
        kb_shard_open(&w, dir, NULL, &o, KB_XDB_WRITE | KB_XDB_NOSYNC, &err);
    CHECK_RC(rc, KB_OK);
    kb_free(err);
    if (rc != KB_OK)
        return;
    CHECK(kb_xdb_nshards(w) == 2);
    const char *ids[] = {"faq-a", "faq-b", "faq-c", "faq-d", "faq-e"};
    CHECK_RC(kb_xdb_begin(w, NULL), KB_OK);
    for (int i = 0; i < 5; i++) {
        json_t *d = faq(ids[i], "How do I reset the zeppelin console?",
                        "Hold the zeppelin button.");
        int outcome = 0, version = 0;
        CHECK_RC(kb_store_put(kb_shard_for(w, ids[i]), d, "t", &outcome,
                              &version, NULL),
                 KB_OK);
        json_decref(d);
    }
    CHECK_RC(kb_shard_stamp(w, NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(w, NULL), KB_OK);
    kb_xdb_close(w);

    CHECK_RC(kb_shard_open(&r, dir, NULL, &o, KB_XDB_READ, NULL), KB_OK);
    if (!r)
        return;
    uint32_t n = 0;
    kb_xdb_doccount(r, &n, NULL);
    CHECK(n == 5);
    for (int i = 0; i < 5; i++) {
        uint32_t k = kb_shard_of(ids[i], 2);
        int v = 0;
        /* The record is in its own shard, and only there. */
        CHECK_RC(kb_store_current(kb_xdb_shard(r, k), ids[i], &v, NULL), KB_OK);
        CHECK(v == 1);
        v = 0;
        kb_store_current(kb_xdb_shard(r, 1 - k), ids[i], &v, NULL);
        CHECK(v == 0);
        CHECK(kb_shard_for(r, ids[i]) == kb_xdb_shard(r, k));
    }
    /* Spelling words went to the dictionary, which the set answers
     * from. */
    char *fix = NULL;
    CHECK(kb_xdb_dictionary(r) != r);
    CHECK_RC(kb_xdb_spelling(kb_xdb_dictionary(r), "zepelin", 7, 2, &fix, NULL),
             KB_OK);
    CHECK_STR(fix, "zeppelin");
    kb_free(fix);
    CHECK(kb_shard_stamp_of(kb_xdb_shard(r, 0)) > 0 ||
          kb_shard_stamp_of(kb_xdb_shard(r, 1)) > 0);
    kb_xdb_close(r);
}

static void test_shard__a_plain_index_is_its_own_shard(void)
{
    char dir[128];
    kb_xdb *db = NULL;
    kb_xshard_opts o = KB_XSHARD_OPTS_INIT;
    snprintf(dir, sizeof dir, "%s/plain", tmproot);
    CHECK_RC(kb_xdb_open(&db, dir, KB_XDB_WRITE | KB_XDB_NOSYNC, NULL), KB_OK);
    kb_xdb_close(db);
    db = NULL;
    CHECK(!kb_shard_is_set(dir));
    CHECK_RC(kb_shard_open(&db, dir, NULL, &o, KB_XDB_READ, NULL), KB_OK);
    if (!db)
        return;
    CHECK(kb_xdb_nshards(db) == 1);
    CHECK(kb_shard_for(db, "anything") == db);
    CHECK(kb_xdb_dictionary(db) == db);
    kb_xdb_close(db);
}

int main(void)
{
    if (tmp_make("shard_test") < 0)
        return 2;
    RUN(test_shard__placement_is_fnv1a_and_stable);
    RUN(test_shard__create_makes_the_layout_and_refuses_another_size);
    RUN(test_shard__bad_stub_lines_are_named);
    RUN(test_shard__writes_go_to_the_shard_of_the_id);
    RUN(test_shard__a_plain_index_is_its_own_shard);
    kb_stemmers_release();
    tmp_remove();
    return TEST_REPORT();
}

/* xapian_c_test.c - the Xapian wrapper used from plain C (built with
 * -pedantic -Werror, like LevelDB's c_test.c) */
#define _XOPEN_SOURCE 700 /* nftw */
#include "kb_error.h"
#include "xapian_c.h"

#include "testhelp.h"
#include "testtmp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- helpers --- */

static int dbseq;

/* A fresh database path under the suite's temporary folder. */
static const char *new_path(char *buf, size_t n)
{
    snprintf(buf, n, "%s/db%d", tmproot, ++dbseq);
    return buf;
}

static kb_xdb *open_writer(const char *path)
{
    kb_xdb *db = NULL;
    char *err = NULL;
    int rc = kb_xdb_open(&db, path, KB_XDB_WRITE | KB_XDB_NOSYNC, &err);
    if (rc != KB_OK)
        fprintf(stderr, "  cannot open %s: %s\n", path, err ? err : "?");
    kb_free(err);
    return db;
}

/* A document: the unique term "Q<id>", each word of text at positions
 * 1.., data "<id>", and values. */
static int put_doc(kb_xdb *db, const char *id, const char *text,
                   const char *kind, const char *tags)
{
    char q[64];
    char word[64];
    const char *p = text;
    uint32_t pos = 1;
    int rc;
    kb_xdoc *d = kb_xdoc_new();
    if (!d)
        return KB_ENOMEM;
    snprintf(q, sizeof q, "Q%s", id);
    rc = kb_xdoc_add_term(d, q, strlen(q), 0, 0);
    while (rc == KB_OK && *p) {
        size_t n = strcspn(p, " ");
        if (n && n < sizeof word) {
            memcpy(word, p, n);
            rc = kb_xdoc_add_term(d, word, n, pos++, 1);
        }
        p += n;
        while (*p == ' ')
            p++;
    }
    if (rc == KB_OK)
        rc = kb_xdoc_set_data(d, id, strlen(id));
    if (rc == KB_OK && kind)
        rc = kb_xdoc_add_value(d, 0, kind, strlen(kind));
    if (rc == KB_OK && tags)
        rc = kb_xdoc_add_value(d, 3, tags, strlen(tags));
    if (rc == KB_OK)
        rc = kb_xdb_replace(db, q, strlen(q), d, NULL);
    kb_xdoc_free(d);
    return rc;
}

static uint32_t termfreq(kb_xdb *db, const char *t)
{
    uint32_t n = 9999;
    if (kb_xdb_termfreq(db, t, strlen(t), &n, NULL) != KB_OK)
        return 9999;
    return n;
}

static uint32_t doccount(kb_xdb *db)
{
    uint32_t n = 9999;
    if (kb_xdb_doccount(db, &n, NULL) != KB_OK)
        return 9999;
    return n;
}

/* The data of hit i as a C string in buf. */
static const char *hit_data(kb_xmset *ms, uint32_t i, char *buf, size_t n)
{
    const char *d = NULL;
    size_t len = 0;
    buf[0] = '\0';
    if (kb_xmset_data(ms, i, &d, &len, NULL) == KB_OK && d)
        snprintf(buf, n, "%.*s", (int)len, d);
    return buf;
}

/* A small corpus shared by the search tests. */
static kb_xdb *corpus_db(char *path, size_t n)
{
    kb_xdb *db = open_writer(new_path(path, n));
    if (!db)
        return NULL;
    if (kb_xdb_begin(db, NULL) != KB_OK ||
        put_doc(db, "vpn", "vpn vpn vpn disconnects when the laptop sleeps",
                "faq", "vpn\x1fnetwork") != KB_OK ||
        put_doc(db, "printer", "printer jammed paper tray vpn", "manual",
                "printing") != KB_OK ||
        put_doc(db, "wifi", "wifi drops on the guest network", "faq",
                "network\x1fwifi") != KB_OK ||
        put_doc(db, "mail", "mailbox full outlook archive", "ticket", NULL) !=
            KB_OK ||
        kb_xdb_commit(db, NULL) != KB_OK) {
        kb_xdb_close(db);
        return NULL;
    }
    return db;
}

/* --- databases and transactions --- */

static void test_xapian__create_then_reopen_read_only_sees_committed_docs(void)
{
    char path[128];
    kb_xdb *w = open_writer(new_path(path, sizeof path));
    kb_xdb *r = NULL;
    char *err = NULL;
    uint64_t rev0 = 0, rev1 = 0;
    CHECK(w != NULL);
    if (!w)
        return;
    CHECK(doccount(w) == 0);
    CHECK_RC(kb_xdb_revision(w, &rev0, NULL), KB_OK);
    CHECK_RC(kb_xdb_begin(w, NULL), KB_OK);
    CHECK_RC(put_doc(w, "a", "alpha beta", NULL, NULL), KB_OK);
    CHECK_RC(put_doc(w, "b", "beta gamma", NULL, NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(w, NULL), KB_OK);
    CHECK_RC(kb_xdb_revision(w, &rev1, NULL), KB_OK);
    CHECK(rev1 > rev0);

    CHECK_RC(kb_xdb_open(&r, path, KB_XDB_READ, &err), KB_OK);
    CHECK(err == NULL);
    CHECK(doccount(r) == 2);
    CHECK(termfreq(r, "beta") == 2);
    CHECK(termfreq(r, "alpha") == 1);
    CHECK(termfreq(r, "delta") == 0);
    {
        double av = 0.0;
        /* Each document: "Q<id>" without wdf plus two words. */
        CHECK_RC(kb_xdb_avlength(r, &av, NULL), KB_OK);
        CHECK(av > 1.99 && av < 2.01);
    }
    kb_xdb_close(r);
    kb_xdb_close(w);
    kb_free(err);
}

static void test_xapian__cancelled_transaction_leaves_no_documents(void)
{
    char path[128];
    kb_xdb *w = open_writer(new_path(path, sizeof path));
    CHECK(w != NULL);
    if (!w)
        return;
    CHECK_RC(kb_xdb_begin(w, NULL), KB_OK);
    CHECK_RC(put_doc(w, "kept", "kept words", NULL, NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(w, NULL), KB_OK);

    CHECK_RC(kb_xdb_begin(w, NULL), KB_OK);
    CHECK_RC(put_doc(w, "gone", "cancelled words", NULL, NULL), KB_OK);
    CHECK_RC(kb_xdb_set_metadata(w, "k:gone", 6, "x", 1, NULL), KB_OK);
    CHECK_RC(kb_xdb_cancel(w, NULL), KB_OK);

    CHECK(doccount(w) == 1);
    CHECK(termfreq(w, "Qgone") == 0);
    CHECK(termfreq(w, "cancelled") == 0);
    CHECK(termfreq(w, "Qkept") == 1);
    {
        char *v = NULL;
        CHECK_RC(kb_xdb_get_metadata(w, "k:gone", 6, &v, NULL, NULL), KB_OK);
        CHECK(v == NULL);
        kb_free(v);
    }
    kb_xdb_close(w);
}

static void test_xapian__close_cancels_a_transaction_and_commits_otherwise(void)
{
    char path[128];
    kb_xdb *w = open_writer(new_path(path, sizeof path));
    kb_xdb *r = NULL;
    CHECK(w != NULL);
    if (!w)
        return;
    /* Outside a transaction: committed by close. */
    CHECK_RC(put_doc(w, "loose", "loose change", NULL, NULL), KB_OK);
    kb_xdb_close(w);
    w = open_writer(path);
    CHECK(w != NULL);
    if (!w)
        return;
    CHECK(termfreq(w, "Qloose") == 1);
    /* Inside one: cancelled by close. */
    CHECK_RC(kb_xdb_begin(w, NULL), KB_OK);
    CHECK_RC(put_doc(w, "pending", "pending change", NULL, NULL), KB_OK);
    kb_xdb_close(w);
    CHECK_RC(kb_xdb_open(&r, path, KB_XDB_READ, NULL), KB_OK);
    CHECK(termfreq(r, "Qpending") == 0);
    CHECK(doccount(r) == 1);
    kb_xdb_close(r);
}

static void test_xapian__commit_without_begin_is_an_invalid_operation(void)
{
    char path[128];
    char *err = NULL;
    kb_xdb *w = open_writer(new_path(path, sizeof path));
    CHECK(w != NULL);
    if (!w)
        return;
    CHECK_RC(kb_xdb_commit(w, &err), KB_EINVALID);
    CHECK(err != NULL && *err);
    kb_free(err);
    kb_xdb_close(w);
}

static void test_xapian__replace_by_unique_term_keeps_one_document(void)
{
    char path[128];
    char *data = NULL;
    size_t len = 0;
    kb_xdb *w = open_writer(new_path(path, sizeof path));
    CHECK(w != NULL);
    if (!w)
        return;
    CHECK_RC(kb_xdb_begin(w, NULL), KB_OK);
    CHECK_RC(put_doc(w, "doc1", "old text", NULL, NULL), KB_OK);
    CHECK_RC(put_doc(w, "doc1", "new text", NULL, NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(w, NULL), KB_OK);
    CHECK(doccount(w) == 1);
    CHECK(termfreq(w, "Qdoc1") == 1);
    CHECK(termfreq(w, "old") == 0);
    CHECK(termfreq(w, "new") == 1);

    CHECK_RC(kb_xdb_get_data(w, "Qdoc1", 5, &data, &len, NULL), KB_OK);
    CHECK_STR(data, "doc1");
    CHECK(len == 4);
    kb_free(data);
    kb_xdb_close(w);
}

static void test_xapian__delete_removes_the_document_and_its_terms(void)
{
    char path[128];
    char *data = NULL, *err = NULL;
    kb_xdb *w = open_writer(new_path(path, sizeof path));
    CHECK(w != NULL);
    if (!w)
        return;
    CHECK_RC(kb_xdb_begin(w, NULL), KB_OK);
    CHECK_RC(put_doc(w, "x", "unique zebra", NULL, NULL), KB_OK);
    CHECK_RC(put_doc(w, "y", "other", NULL, NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(w, NULL), KB_OK);
    CHECK_RC(kb_xdb_begin(w, NULL), KB_OK);
    CHECK_RC(kb_xdb_delete(w, "Qx", 2, NULL), KB_OK);
    /* Deleting a term no document has is not an error. */
    CHECK_RC(kb_xdb_delete(w, "Qnone", 5, NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(w, NULL), KB_OK);
    CHECK(doccount(w) == 1);
    CHECK(termfreq(w, "zebra") == 0);
    CHECK_RC(kb_xdb_get_data(w, "Qx", 2, &data, NULL, &err), KB_ENOTFOUND);
    CHECK(data == NULL);
    CHECK(err != NULL);
    kb_free(err);
    kb_xdb_close(w);
}

/* --- metadata --- */

typedef struct {
    char keys[8][32];
    int n;
    int stop_after;
} keylist;

static int collect_key(void *ctx, const char *key, size_t klen)
{
    keylist *l = ctx;
    if (l->n < 8)
        snprintf(l->keys[l->n], sizeof l->keys[0], "%.*s", (int)klen, key);
    l->n++;
    return (l->stop_after && l->n >= l->stop_after) ? 42 : 0;
}

static void test_xapian__metadata_set_get_delete_and_walk_by_prefix(void)
{
    char path[128];
    char *v = NULL;
    size_t vlen = 0;
    keylist l;
    kb_xdb *w = open_writer(new_path(path, sizeof path));
    CHECK(w != NULL);
    if (!w)
        return;
    CHECK_RC(kb_xdb_begin(w, NULL), KB_OK);
    CHECK_RC(kb_xdb_set_metadata(w, "d:b", 3, "two", 3, NULL), KB_OK);
    CHECK_RC(kb_xdb_set_metadata(w, "d:a", 3, "one", 3, NULL), KB_OK);
    CHECK_RC(kb_xdb_set_metadata(w, "d:c", 3, "three", 5, NULL), KB_OK);
    CHECK_RC(kb_xdb_set_metadata(w, "v:a:1", 5, "{}", 2, NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(w, NULL), KB_OK);

    CHECK_RC(kb_xdb_get_metadata(w, "d:c", 3, &v, &vlen, NULL), KB_OK);
    CHECK_STR(v, "three");
    CHECK(vlen == 5);
    kb_free(v);
    v = NULL;

    memset(&l, 0, sizeof l);
    CHECK_RC(kb_xdb_metadata_keys(w, "d:", 2, collect_key, &l, NULL), KB_OK);
    CHECK(l.n == 3);
    CHECK_STR(l.keys[0], "d:a"); /* byte order */
    CHECK_STR(l.keys[1], "d:b");
    CHECK_STR(l.keys[2], "d:c");

    /* A non-zero return stops the walk and comes back. */
    memset(&l, 0, sizeof l);
    l.stop_after = 2;
    CHECK_RC(kb_xdb_metadata_keys(w, "d:", 2, collect_key, &l, NULL), 42);
    CHECK(l.n == 2);

    /* An empty value deletes. */
    CHECK_RC(kb_xdb_begin(w, NULL), KB_OK);
    CHECK_RC(kb_xdb_set_metadata(w, "d:b", 3, "", 0, NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(w, NULL), KB_OK);
    CHECK_RC(kb_xdb_get_metadata(w, "d:b", 3, &v, &vlen, NULL), KB_OK);
    CHECK(v == NULL);
    memset(&l, 0, sizeof l);
    CHECK_RC(kb_xdb_metadata_keys(w, "d:", 2, collect_key, &l, NULL), KB_OK);
    CHECK(l.n == 2);

    /* Metadata is not counted as documents. */
    CHECK(doccount(w) == 0);
    kb_xdb_close(w);
}

static void test_xapian__metadata_key_over_240_bytes_is_invalid(void)
{
    char path[128], key[300];
    kb_xdb *w = open_writer(new_path(path, sizeof path));
    CHECK(w != NULL);
    if (!w)
        return;
    memset(key, 'k', sizeof key);
    CHECK_RC(kb_xdb_set_metadata(w, key, 241, "v", 1, NULL), KB_EINVALID);
    CHECK_RC(kb_xdb_set_metadata(w, key, 240, "v", 1, NULL), KB_OK);
    kb_xdb_close(w);
}

/* --- spelling --- */

/* The writer's correction of word, or "" when it has none. */
static const char *suggestion(kb_xdb *w, const char *word)
{
    static char buf[64];
    char *s = NULL;
    buf[0] = '\0';
    CHECK_RC(kb_xdb_spelling(w, word, strlen(word), 2, &s, NULL), KB_OK);
    if (s)
        snprintf(buf, sizeof buf, "%s", s);
    kb_free(s);
    return buf;
}

static void test_xapian__spelling_suggests_a_close_known_word(void)
{
    char path[128];
    kb_xdb *w = open_writer(new_path(path, sizeof path));
    CHECK(w != NULL);
    if (!w)
        return;
    CHECK_RC(kb_xdb_begin(w, NULL), KB_OK);
    CHECK_RC(kb_xdb_add_spelling(w, "password", 8, 3, NULL), KB_OK);
    CHECK_RC(kb_xdb_add_spelling(w, "printer", 7, 1, NULL), KB_OK);
    CHECK_RC(kb_xdb_add_synonym(w, "vpn", 3, "tunnel", 6, NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(w, NULL), KB_OK);
    CHECK_STR(suggestion(w, "passwrd"), "password");
    CHECK_STR(suggestion(w, "zzzzzzzz"), "");

    /* Removing the word's whole frequency removes the suggestion. */
    CHECK_RC(kb_xdb_begin(w, NULL), KB_OK);
    CHECK_RC(kb_xdb_remove_spelling(w, "password", 8, 3, NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(w, NULL), KB_OK);
    CHECK_STR(suggestion(w, "passwrd"), "");
    kb_xdb_close(w);
}

/* Spelling changes are summed per word and reach Xapian at commit: what a
 * transaction adds and takes back leaves nothing, a cancelled one leaves
 * nothing, and words written outside a transaction are kept on close. */
static void test_xapian__spelling_changes_are_summed_until_commit(void)
{
    char path[128];
    kb_xdb *w = open_writer(new_path(path, sizeof path));
    CHECK(w != NULL);
    if (!w)
        return;
    CHECK_RC(kb_xdb_begin(w, NULL), KB_OK);
    for (int i = 0; i < 3; i++)
        CHECK_RC(kb_xdb_add_spelling(w, "gateway", 7, 1, NULL), KB_OK);
    CHECK_RC(kb_xdb_remove_spelling(w, "gateway", 7, 1, NULL), KB_OK);
    CHECK_RC(kb_xdb_add_spelling(w, "gatekeeper", 10, 1, NULL), KB_OK);
    CHECK_RC(kb_xdb_add_spelling(w, "router", 6, 1, NULL), KB_OK);
    CHECK_RC(kb_xdb_remove_spelling(w, "router", 6, 1, NULL), KB_OK);
    /* Seen before the commit, by the writer itself. */
    CHECK_STR(suggestion(w, "gatway"), "gateway");
    CHECK_RC(kb_xdb_commit(w, NULL), KB_OK);
    CHECK_STR(suggestion(w, "routr"), "");
    /* gateway kept 2 of its 3: still ahead of gatekeeper's 1 after one
     * more is taken away, gone after two. */
    for (int i = 0; i < 2; i++) {
        CHECK_RC(kb_xdb_begin(w, NULL), KB_OK);
        CHECK_RC(kb_xdb_remove_spelling(w, "gateway", 7, 1, NULL), KB_OK);
        CHECK_RC(kb_xdb_commit(w, NULL), KB_OK);
        CHECK(!strcmp(suggestion(w, "gatway"), "gateway") == (i == 0));
    }

    CHECK_RC(kb_xdb_begin(w, NULL), KB_OK);
    CHECK_RC(kb_xdb_add_spelling(w, "firewall", 8, 1, NULL), KB_OK);
    CHECK_RC(kb_xdb_cancel(w, NULL), KB_OK);
    CHECK_STR(suggestion(w, "firewal"), "");

    CHECK_RC(kb_xdb_add_spelling(w, "switchport", 10, 1, NULL), KB_OK);
    kb_xdb_close(w);
    w = open_writer(path);
    CHECK(w != NULL);
    if (!w)
        return;
    CHECK_STR(suggestion(w, "switchprt"), "switchport");
    kb_xdb_close(w);
}

/* --- queries and searching --- */

static int copy_key(void *ctx, const char *k, size_t n)
{
    snprintf(ctx, 64, "%.*s", (int)n, k);
    return KB_OK;
}

/* Search q on db (400 hits) and check both slots' values of every hit:
 * *checked counts the right ones, *unordered says the hits were not in
 * docid order. */
static int hit_values_of(kb_xdb *db, const kb_xquery *q, int *unordered,
                         int *checked)
{
    kb_xmset *ms = NULL;
    kb_xsearch_opts o = KB_XSEARCH_OPTS_INIT;
    char buf[64];
    o.maxitems = 400;
    int rc = kb_xdb_search(&ms, db, q, &o, NULL);
    if (rc != KB_OK)
        return rc;
    CHECK(kb_xmset_size(ms) == 400);
    for (uint32_t h = 0; h < kb_xmset_size(ms); h++) {
        int i = atoi(hit_data(ms, h, buf, sizeof buf) + 1);
        if (h && kb_xmset_docid(ms, h) < kb_xmset_docid(ms, h - 1))
            *unordered = 1;
        for (int slot = 0; slot <= 3; slot += 3) {
            char got[64] = "", want[64] = "";
            CHECK_RC(kb_xmset_value(ms, h, (unsigned)slot, copy_key, got, NULL),
                     KB_OK);
            if (slot == 0 && i % 7)
                snprintf(want, sizeof want, "kind-of-%d-with-a-longer-value",
                         i);
            if (slot == 3 && i % 5)
                snprintf(want, sizeof want, "tags-of-%d", i);
            if (strcmp(got, want) != 0)
                fprintf(stderr, "  hit %u (d%d) slot %d: '%s', not '%s'\n", h,
                        i, slot, got, want);
            else
                (*checked)++;
        }
    }
    kb_xmset_free(ms);
    return KB_OK;
}

/* A hit's value is its own document's, whatever the order of the hits and
 * however many value chunks the slot spans; a document without one has
 * none; a second slot is read as well as the first. */
static void test_xapian__hit_values_belong_to_their_documents(void)
{
    char path[128], id[32], text[256], kind[64], tags[64];
    kb_xdb *db = open_writer(new_path(path, sizeof path));
    kb_xquery *q = kb_xquery_term("common", 6, 1, 0);
    int rc = db && q ? kb_xdb_begin(db, NULL) : KB_ENOMEM;
    for (int i = 0; i < 3000 && rc == KB_OK; i++) {
        /* The weight falls and rises with i: hits are not in docid order. */
        int reps = 1 + (i * 7919) % 5;
        snprintf(id, sizeof id, "d%d", i);
        text[0] = '\0';
        for (int r = 0; r < reps; r++)
            strcat(text, "common ");
        for (int f = 0; f < (i * 31) % 17; f++)
            strcat(text, "filler ");
        snprintf(kind, sizeof kind, "kind-of-%d-with-a-longer-value", i);
        snprintf(tags, sizeof tags, "tags-of-%d", i);
        rc = put_doc(db, id, text, i % 7 ? kind : NULL, i % 5 ? tags : NULL);
    }
    if (rc == KB_OK)
        rc = kb_xdb_commit(db, NULL);
    CHECK_RC(rc, KB_OK);
    /* The writer reads every hit's values; a reader keeps them (the
     * first slot's), so its second search reads them from what it kept. */
    kb_xdb *r = NULL;
    if (rc == KB_OK)
        CHECK_RC(kb_xdb_open(&r, path, KB_XDB_READ, NULL), KB_OK);
    kb_xdb *from[] = {db, r, r};
    for (int k = 0; k < 3 && rc == KB_OK && r; k++) {
        int unordered = 0, checked = 0;
        CHECK_RC(hit_values_of(from[k], q, &unordered, &checked), KB_OK);
        CHECK(unordered);
        CHECK(checked == 800);
    }
    kb_xdb_close(r);
    kb_xquery_free(q);
    kb_xdb_close(db);
}

static void test_xapian__bm25_search_returns_hits_in_weight_order(void)
{
    char path[128], buf[64];
    kb_xmset *ms = NULL;
    kb_xsearch_opts o = KB_XSEARCH_OPTS_INIT;
    kb_xdb *db = corpus_db(path, sizeof path);
    kb_xquery *q = kb_xquery_term("vpn", 3, 1, 0);
    uint32_t i;
    CHECK(db != NULL && q != NULL);
    if (!db || !q)
        goto done;
    CHECK_RC(kb_xdb_search(&ms, db, q, &o, NULL), KB_OK);
    CHECK(kb_xmset_size(ms) == 2);
    CHECK(kb_xmset_estimated(ms) == 2);
    /* "vpn" three times in a short document beats once in another. */
    CHECK_STR(hit_data(ms, 0, buf, sizeof buf), "vpn");
    CHECK_STR(hit_data(ms, 1, buf, sizeof buf), "printer");
    for (i = 1; i < kb_xmset_size(ms); i++)
        CHECK(kb_xmset_weight(ms, i - 1) >= kb_xmset_weight(ms, i));
    CHECK(kb_xmset_weight(ms, 0) > 0.0);
    CHECK(kb_xmset_docid(ms, 0) != 0);
    /* Out of range: zero, not a crash. */
    CHECK(kb_xmset_docid(ms, 99) == 0);
    CHECK(kb_xmset_weight(ms, 99) == 0.0);
    kb_xmset_free(ms);
    ms = NULL;

    /* maxitems and first page through the same order. */
    o.maxitems = 1;
    o.first = 1;
    CHECK_RC(kb_xdb_search(&ms, db, q, &o, NULL), KB_OK);
    CHECK(kb_xmset_size(ms) == 1);
    CHECK_STR(hit_data(ms, 0, buf, sizeof buf), "printer");
    kb_xmset_free(ms);
    ms = NULL;

    /* Boolean weighting ranks without weights. */
    o.first = 0;
    o.maxitems = 10;
    o.bool_only = 1;
    CHECK_RC(kb_xdb_search(&ms, db, q, &o, NULL), KB_OK);
    CHECK(kb_xmset_size(ms) == 2);
    CHECK(kb_xmset_weight(ms, 0) == 0.0);
done:
    kb_xmset_free(ms);
    kb_xquery_free(q);
    kb_xdb_close(db);
}

static void test_xapian__or_and_and_not_combine_subqueries(void)
{
    char path[128], buf[64];
    kb_xmset *ms = NULL;
    kb_xsearch_opts o = KB_XSEARCH_OPTS_INIT;
    kb_xdb *db = corpus_db(path, sizeof path);
    kb_xquery *parts[2], *q = NULL;
    char *desc = NULL;
    CHECK(db != NULL);
    if (!db)
        return;
    parts[0] = kb_xquery_term("vpn", 3, 1, 0);
    parts[1] = kb_xquery_term("wifi", 4, 1, 0);
    q = kb_xquery_combine(KB_XOP_OR, parts, 2, 0);
    CHECK(!kb_xquery_empty(q));
    desc = kb_xquery_describe(q);
    CHECK(desc != NULL && strstr(desc, "OR") != NULL);
    kb_free(desc);
    CHECK_RC(kb_xdb_search(&ms, db, q, &o, NULL), KB_OK);
    CHECK(kb_xmset_size(ms) == 3);
    kb_xmset_free(ms);
    ms = NULL;
    kb_xquery_free(q);

    /* vpn AND_NOT printer: only the FAQ. */
    kb_xquery_free(parts[1]);
    parts[1] = kb_xquery_term("printer", 7, 1, 0);
    q = kb_xquery_combine(KB_XOP_AND_NOT, parts, 2, 0);
    CHECK_RC(kb_xdb_search(&ms, db, q, &o, NULL), KB_OK);
    CHECK(kb_xmset_size(ms) == 1);
    CHECK_STR(hit_data(ms, 0, buf, sizeof buf), "vpn");
    kb_xmset_free(ms);
    kb_xquery_free(q);
    kb_xquery_free(parts[0]);
    kb_xquery_free(parts[1]);
    kb_xdb_close(db);
}

static void test_xapian__empty_query_and_match_all(void)
{
    char path[128];
    kb_xmset *ms = NULL;
    kb_xsearch_opts o = KB_XSEARCH_OPTS_INIT;
    kb_xdb *db = corpus_db(path, sizeof path);
    kb_xquery *all = kb_xquery_match_all();
    kb_xquery *none = kb_xquery_combine(KB_XOP_OR, NULL, 0, 0);
    CHECK(db != NULL);
    CHECK(kb_xquery_empty(NULL));
    CHECK(kb_xquery_empty(none));
    CHECK(!kb_xquery_empty(all));
    if (db) {
        CHECK_RC(kb_xdb_search(&ms, db, all, &o, NULL), KB_OK);
        CHECK(kb_xmset_size(ms) == 4);
        kb_xmset_free(ms);
        ms = NULL;
        /* Zero hits is success. */
        CHECK_RC(kb_xdb_search(&ms, db, none, &o, NULL), KB_OK);
        CHECK(ms != NULL);
        CHECK(kb_xmset_size(ms) == 0);
        kb_xmset_free(ms);
    }
    kb_xquery_free(all);
    kb_xquery_free(none);
    kb_xdb_close(db);
}

static void test_xapian__wildcard_expands_a_prefix(void)
{
    char path[128], buf[64];
    kb_xmset *ms = NULL;
    kb_xsearch_opts o = KB_XSEARCH_OPTS_INIT;
    kb_xdb *db = corpus_db(path, sizeof path);
    kb_xquery *q = kb_xquery_wildcard("mail", 4, 10);
    kb_xquery *q2 = kb_xquery_wildcard("ne", 2, 10);
    CHECK(db != NULL && q != NULL);
    if (db && q && q2) {
        CHECK_RC(kb_xdb_search(&ms, db, q, &o, NULL), KB_OK);
        CHECK(kb_xmset_size(ms) == 1); /* "mailbox" */
        CHECK_STR(hit_data(ms, 0, buf, sizeof buf), "mail");
        kb_xmset_free(ms);
        ms = NULL;
        /* "ne" matches "network", in one document only. */
        CHECK_RC(kb_xdb_search(&ms, db, q2, &o, NULL), KB_OK);
        CHECK(kb_xmset_size(ms) == 1);
        CHECK_STR(hit_data(ms, 0, buf, sizeof buf), "wifi");
        kb_xmset_free(ms);
    }
    kb_xquery_free(q);
    kb_xquery_free(q2);
    kb_xdb_close(db);
}

static void test_xapian__phrase_needs_the_words_in_order(void)
{
    char path[128], buf[64];
    kb_xmset *ms = NULL;
    kb_xsearch_opts o = KB_XSEARCH_OPTS_INIT;
    kb_xdb *db = corpus_db(path, sizeof path);
    kb_xquery *w[2], *rev[2];
    kb_xquery *q = NULL;
    CHECK(db != NULL);
    if (!db)
        return;
    w[0] = kb_xquery_term("paper", 5, 1, 1);
    w[1] = kb_xquery_term("tray", 4, 1, 2);
    q = kb_xquery_combine(KB_XOP_PHRASE, w, 2, 0);
    CHECK(q != NULL);
    if (!q)
        goto done;
    CHECK_RC(kb_xdb_search(&ms, db, q, &o, NULL), KB_OK);
    CHECK(kb_xmset_size(ms) == 1);
    CHECK_STR(hit_data(ms, 0, buf, sizeof buf), "printer");
    kb_xmset_free(ms);
    ms = NULL;
    kb_xquery_free(q);

    /* The same words the other way round do not match. */
    rev[0] = w[1];
    rev[1] = w[0];
    q = kb_xquery_combine(KB_XOP_PHRASE, rev, 2, 0);
    CHECK_RC(kb_xdb_search(&ms, db, q, &o, NULL), KB_OK);
    CHECK(kb_xmset_size(ms) == 0);
done:
    kb_xmset_free(ms);
    kb_xquery_free(q);
    kb_xquery_free(w[0]);
    kb_xquery_free(w[1]);
    kb_xdb_close(db);
}

typedef struct {
    char terms[8][32];
    int n;
} termlist;

static int collect_term(void *ctx, const char *t, size_t len)
{
    termlist *l = ctx;
    if (l->n < 8)
        snprintf(l->terms[l->n++], sizeof l->terms[0], "%.*s", (int)len, t);
    return 0;
}

static int has_term(const termlist *l, const char *t)
{
    int i;
    for (i = 0; i < l->n; i++)
        if (strcmp(l->terms[i], t) == 0)
            return 1;
    return 0;
}

static void test_xapian__matching_terms_lists_the_query_terms_a_hit_has(void)
{
    char path[128], buf[64];
    kb_xmset *ms = NULL;
    kb_xsearch_opts o = KB_XSEARCH_OPTS_INIT;
    kb_xdb *db = corpus_db(path, sizeof path);
    kb_xquery *p[3], *q;
    termlist l;
    CHECK(db != NULL);
    if (!db)
        return;
    p[0] = kb_xquery_term("printer", 7, 1, 0);
    p[1] = kb_xquery_term("vpn", 3, 1, 0);
    p[2] = kb_xquery_term("absent", 6, 1, 0);
    q = kb_xquery_combine(KB_XOP_OR, p, 3, 0);
    CHECK_RC(kb_xdb_search(&ms, db, q, &o, NULL), KB_OK);
    CHECK(kb_xmset_size(ms) == 2);
    memset(&l, 0, sizeof l);
    /* Find the printer manual among the hits. */
    if (strcmp(hit_data(ms, 0, buf, sizeof buf), "printer") == 0)
        CHECK_RC(kb_xmset_matching_terms(ms, 0, collect_term, &l, NULL), KB_OK);
    else
        CHECK_RC(kb_xmset_matching_terms(ms, 1, collect_term, &l, NULL), KB_OK);
    CHECK(l.n == 2);
    CHECK(has_term(&l, "printer"));
    CHECK(has_term(&l, "vpn"));
    CHECK(!has_term(&l, "absent"));
    kb_xmset_free(ms);
    kb_xquery_free(q);
    kb_xquery_free(p[0]);
    kb_xquery_free(p[1]);
    kb_xquery_free(p[2]);
    kb_xdb_close(db);
}

typedef struct {
    char terms[16][32];
    double weights[16];
    int n;
} eset;

static int collect_expand(void *ctx, const char *t, size_t len, double w)
{
    eset *e = ctx;
    if (e->n < 16) {
        snprintf(e->terms[e->n], sizeof e->terms[0], "%.*s", (int)len, t);
        e->weights[e->n++] = w;
    }
    return 0;
}

static void test_xapian__expand_gives_feedback_terms_without_prefixes(void)
{
    char path[128];
    kb_xmset *ms = NULL;
    kb_xsearch_opts o = KB_XSEARCH_OPTS_INIT;
    kb_xdb *db = corpus_db(path, sizeof path);
    kb_xquery *q = kb_xquery_term("jammed", 6, 1, 0);
    eset e;
    int i, found_tray = 0;
    CHECK(db != NULL);
    if (!db) {
        kb_xquery_free(q);
        return;
    }
    memset(&e, 0, sizeof e);
    CHECK_RC(kb_xdb_search(&ms, db, q, &o, NULL), KB_OK);
    CHECK(kb_xmset_size(ms) == 1);
    CHECK_RC(kb_xmset_expand(ms, 1, 10, collect_expand, &e, NULL), KB_OK);
    CHECK(e.n > 0);
    for (i = 0; i < e.n; i++) {
        /* Boolean terms ("Qprinter") are skipped. */
        CHECK(!(e.terms[i][0] >= 'A' && e.terms[i][0] <= 'Z'));
        CHECK(e.weights[i] > 0.0);
        if (i)
            CHECK(e.weights[i - 1] >= e.weights[i]);
        found_tray |= strcmp(e.terms[i], "tray") == 0;
    }
    CHECK(found_tray);
    kb_xmset_free(ms);
    ms = NULL;

    /* No relevant documents: nothing to expand, no error. */
    e.n = 0;
    CHECK_RC(kb_xdb_search(&ms, db, q, &o, NULL), KB_OK);
    CHECK_RC(kb_xmset_expand(ms, 0, 10, collect_expand, &e, NULL), KB_OK);
    CHECK(e.n == 0);
    kb_xmset_free(ms);
    kb_xquery_free(q);
    kb_xdb_close(db);
}

typedef struct {
    char items[8][32];
    unsigned counts[8];
    int n;
} facets;

static int collect_facet(void *ctx, const char *t, size_t len, double w)
{
    facets *f = ctx;
    if (f->n < 8) {
        snprintf(f->items[f->n], sizeof f->items[0], "%.*s", (int)len, t);
        f->counts[f->n++] = (unsigned)w;
    }
    return 0;
}

static unsigned facet_count(const facets *f, const char *item)
{
    int i;
    for (i = 0; i < f->n; i++)
        if (strcmp(f->items[i], item) == 0)
            return f->counts[i];
    return 0;
}

static void test_xapian__facet_values_count_each_stored_value(void)
{
    char path[128];
    kb_xmset *ms = NULL;
    kb_xsearch_opts o = KB_XSEARCH_OPTS_INIT;
    kb_xdb *db = corpus_db(path, sizeof path);
    kb_xquery *q = kb_xquery_match_all();
    facets kinds, tags;
    CHECK(db != NULL);
    if (!db) {
        kb_xquery_free(q);
        return;
    }
    memset(&kinds, 0, sizeof kinds);
    memset(&tags, 0, sizeof tags);
    o.maxitems = 1; /* counts cover every match, not only the page */
    o.checkatleast = 100;
    o.nfacets = 2;
    o.facet_slots[0] = 0;
    o.facet_slots[1] = 3;
    CHECK_RC(kb_xdb_search(&ms, db, q, &o, NULL), KB_OK);
    CHECK(kb_xmset_size(ms) == 1);
    CHECK(kb_xmset_estimated(ms) == 4);
    uint32_t seen = 0;
    CHECK_RC(kb_xmset_facet_values(ms, 0, collect_facet, &kinds, &seen), KB_OK);
    CHECK(seen == 4);
    CHECK(kinds.n == 3);
    CHECK(facet_count(&kinds, "faq") == 2);
    CHECK(facet_count(&kinds, "manual") == 1);
    CHECK(facet_count(&kinds, "ticket") == 1);
    /* A value of several items is one value: kb_search splits it. */
    CHECK_RC(kb_xmset_facet_values(ms, 1, collect_facet, &tags, &seen), KB_OK);
    CHECK(facet_count(&tags, "vpn\x1fnetwork") == 1);
    CHECK(facet_count(&tags, "network\x1fwifi") == 1);
    CHECK(facet_count(&tags, "network") == 0);
    /* A slot that was not asked for. */
    CHECK_RC(kb_xmset_facet_values(ms, 2, collect_facet, &tags, &seen),
             KB_EINVALID);
    kb_xmset_free(ms);
    ms = NULL;

    /* More facets than the wrapper holds. */
    o.nfacets = KB_XMAX_FACETS + 1;
    CHECK_RC(kb_xdb_search(&ms, db, q, &o, NULL), KB_EINVALID);
    CHECK(ms == NULL);
    kb_xquery_free(q);
    kb_xdb_close(db);
}

/* Facet counts of a match-all search on db: kinds (slot 0) into *k and
 * tags (slot 3) into *t. */
static int facet_search(kb_xdb *db, facets *k, facets *t, uint32_t *seen)
{
    kb_xmset *ms = NULL;
    kb_xsearch_opts o = KB_XSEARCH_OPTS_INIT;
    kb_xquery *q = kb_xquery_match_all();
    uint32_t seen_t = 0;
    memset(k, 0, sizeof *k);
    memset(t, 0, sizeof *t);
    o.maxitems = 1;
    o.checkatleast = 100;
    o.nfacets = 2;
    o.facet_slots[0] = 0;
    o.facet_slots[1] = 3;
    int rc = q ? kb_xdb_search(&ms, db, q, &o, NULL) : KB_ENOMEM;
    if (rc == KB_OK)
        rc = kb_xmset_facet_values(ms, 0, collect_facet, k, seen);
    if (rc == KB_OK)
        rc = kb_xmset_facet_values(ms, 1, collect_facet, t, &seen_t);
    kb_xmset_free(ms);
    kb_xquery_free(q);
    return rc;
}

/* A reader keeps its documents' values of the first facet slot while its
 * revision lasts: its counts are the writer's (which reads every value),
 * the first time and from what it kept, in the same byte order, and they
 * follow a document whose kind changed once the reader reopens. */
static void test_xapian__facet_counts_of_a_reader_follow_its_revision(void)
{
    char path[128];
    kb_xdb *w = corpus_db(path, sizeof path), *r = NULL;
    facets wk, wt, rk, rt;
    uint32_t ws = 0, rs = 0;
    CHECK(w != NULL);
    if (!w)
        return;
    CHECK_RC(kb_xdb_open(&r, path, KB_XDB_READ, NULL), KB_OK);
    CHECK_RC(facet_search(w, &wk, &wt, &ws), KB_OK);
    CHECK(ws == 4 && wk.n == 3 && wt.n == 3);
    for (int round = 0; round < 2 && r; round++) {
        CHECK_RC(facet_search(r, &rk, &rt, &rs), KB_OK);
        CHECK(rs == ws);
        CHECK(memcmp(&rk, &wk, sizeof rk) == 0);
        CHECK(memcmp(&rt, &wt, sizeof rt) == 0);
    }
    CHECK(strcmp(rk.items[0], "faq") == 0 && rk.counts[0] == 2);
    /* The vpn answer becomes a manual. */
    CHECK_RC(kb_xdb_begin(w, NULL), KB_OK);
    CHECK_RC(put_doc(w, "vpn", "vpn vpn vpn disconnects when the laptop sleeps",
                     "manual", "vpn\x1fnetwork"),
             KB_OK);
    CHECK_RC(kb_xdb_commit(w, NULL), KB_OK);
    if (r) {
        CHECK_RC(facet_search(r, &rk, &rt, &rs), KB_OK);
        CHECK(facet_count(&rk, "faq") == 2); /* its revision, until reopened */
        CHECK_RC(kb_xdb_reopen(r, NULL), KB_OK);
        CHECK_RC(facet_search(r, &rk, &rt, &rs), KB_OK);
        CHECK(facet_count(&rk, "faq") == 1);
        CHECK(facet_count(&rk, "manual") == 2);
        CHECK(facet_count(&rk, "ticket") == 1);
    }
    kb_xdb_close(r);
    kb_xdb_close(w);
}

static void test_xapian__collapse_keeps_one_hit_per_value(void)
{
    char path[128];
    kb_xmset *ms = NULL;
    kb_xsearch_opts o = KB_XSEARCH_OPTS_INIT;
    kb_xdb *db = corpus_db(path, sizeof path);
    kb_xquery *q = kb_xquery_match_all();
    CHECK(db != NULL);
    if (db) {
        o.collapse_slot = 0; /* kind: faq, faq, manual, ticket */
        CHECK_RC(kb_xdb_search(&ms, db, q, &o, NULL), KB_OK);
        CHECK(kb_xmset_size(ms) == 3);
        kb_xmset_free(ms);
    }
    kb_xquery_free(q);
    kb_xdb_close(db);
}

static void test_xapian__scaled_query_multiplies_weights(void)
{
    char path[128];
    kb_xmset *a = NULL, *b = NULL;
    kb_xsearch_opts o = KB_XSEARCH_OPTS_INIT;
    kb_xdb *db = corpus_db(path, sizeof path);
    kb_xquery *q = kb_xquery_term("wifi", 4, 1, 0);
    kb_xquery *s = kb_xquery_scale(q, 2.0);
    CHECK(db != NULL && s != NULL);
    if (db && s) {
        CHECK_RC(kb_xdb_search(&a, db, q, &o, NULL), KB_OK);
        CHECK_RC(kb_xdb_search(&b, db, s, &o, NULL), KB_OK);
        CHECK(kb_xmset_size(a) == 1 && kb_xmset_size(b) == 1);
        CHECK(kb_xmset_weight(b, 0) > 1.99 * kb_xmset_weight(a, 0));
        CHECK(kb_xmset_weight(b, 0) < 2.01 * kb_xmset_weight(a, 0));
    }
    kb_xmset_free(a);
    kb_xmset_free(b);
    kb_xquery_free(q);
    kb_xquery_free(s);
    kb_xdb_close(db);
}

/* Group stats over the corpus's documents grouped by their words: "vpn"
 * holds the vpn and printer documents, "network" only wifi. */
static void test_xapian__group_stats_add_up_a_groups_documents(void)
{
    char path[128];
    kb_xdb *db = corpus_db(path, sizeof path);
    const kb_xstr groups[] = {{"vpn", 3}, {"network", 7}, {"nothing", 7}};
    const kb_xstr terms[] = {{"vpn", 3}, {"paper", 5}, {"guest", 5}};
    const unsigned char maxof[] = {0, 0, 0}, maxvpn[] = {1, 0, 0};
    const kb_xstr skip[] = {{"jammed", 6}};
    uint32_t nd[3];
    double len[3], wdf[9];
    CHECK(db != NULL);
    if (!db)
        return;
    CHECK_RC(kb_xdb_group_stats(db, groups, 3, terms, 3, maxof, NULL, 0, nd,
                                len, wdf, NULL),
             KB_OK);
    /* vpn: 8 words + 5 words; vpn 3 + 1 times, paper once. */
    CHECK(nd[0] == 2 && len[0] == 13);
    CHECK(wdf[0] == 4 && wdf[1] == 1 && wdf[2] == 0);
    CHECK(nd[1] == 1 && len[1] == 6 && wdf[5] == 1 && wdf[3] == 0);
    CHECK(nd[2] == 0 && len[2] == 0 && wdf[6] == 0);
    /* The largest single wdf instead of the sum. */
    CHECK_RC(kb_xdb_group_stats(db, groups, 1, terms, 3, maxvpn, NULL, 0, nd,
                                len, wdf, NULL),
             KB_OK);
    CHECK(wdf[0] == 3 && wdf[1] == 1);
    /* A document holding a skip term is left out. */
    CHECK_RC(kb_xdb_group_stats(db, groups, 1, terms, 3, NULL, skip, 1, nd, len,
                                wdf, NULL),
             KB_OK);
    CHECK(nd[0] == 1 && len[0] == 8 && wdf[0] == 3 && wdf[1] == 0);
    kb_xdb_close(db);
}

/* A term's frequency from a search's answer is the database's, whether
 * the term was in the query (the match's own statistic) or not (looked
 * up): "vpn" is in two documents, "network" in one, "nothing" in none. */
static void test_xapian__mset_termfreq_is_the_databases(void)
{
    char path[128];
    kb_xmset *ms = NULL;
    kb_xsearch_opts o = KB_XSEARCH_OPTS_INIT;
    kb_xdb *db = corpus_db(path, sizeof path);
    kb_xquery *q = kb_xquery_term("vpn", 3, 1, 0);
    uint32_t tf = 99, dtf = 0;
    CHECK(db != NULL && q != NULL);
    if (db && q && kb_xdb_search(&ms, db, q, &o, NULL) == KB_OK) {
        CHECK_RC(kb_xmset_termfreq(ms, "vpn", 3, &tf, NULL), KB_OK);
        CHECK_RC(kb_xdb_termfreq(db, "vpn", 3, &dtf, NULL), KB_OK);
        CHECK(tf == 2 && dtf == 2);
        CHECK_RC(kb_xmset_termfreq(ms, "network", 7, &tf, NULL), KB_OK);
        CHECK(tf == 1);
        CHECK_RC(kb_xmset_termfreq(ms, "nothing", 7, &tf, NULL), KB_OK);
        CHECK(tf == 0);
    }
    kb_xmset_free(ms);
    kb_xquery_free(q);
    kb_xdb_close(db);
}

/* Groups whose documents interleave and overlap ("the": vpn and wifi;
 * "paper": printer; "vpn": vpn and printer) add up the same from a
 * writer, which reads every list, as from a reader, which keeps them with
 * their lengths: the first time and from what it kept. */
static void test_xapian__group_stats_of_interleaved_groups(void)
{
    char path[128];
    kb_xdb *w = corpus_db(path, sizeof path), *r = NULL;
    const kb_xstr groups[] = {{"the", 3}, {"paper", 5}, {"vpn", 3}};
    const kb_xstr terms[] = {{"vpn", 3}, {"paper", 5}, {"guest", 5}};
    const uint32_t want_nd[] = {2, 1, 2};
    const double want_len[] = {8 + 6, 5, 8 + 5};
    const double want_wdf[] = {3, 0, 1, 1, 1, 0, 4, 1, 0};
    CHECK(w != NULL);
    if (!w)
        return;
    CHECK_RC(kb_xdb_open(&r, path, KB_XDB_READ, NULL), KB_OK);
    kb_xdb *from[] = {w, r, r};
    for (int k = 0; k < 3 && r; k++) {
        uint32_t nd[3];
        double len[3], wdf[9];
        CHECK_RC(kb_xdb_group_stats(from[k], groups, 3, terms, 3, NULL, NULL, 0,
                                    nd, len, wdf, NULL),
                 KB_OK);
        for (int g = 0; g < 3; g++)
            CHECK(nd[g] == want_nd[g] && len[g] == want_len[g]);
        for (int i = 0; i < 9; i++)
            CHECK(wdf[i] == want_wdf[i]);
    }
    kb_xdb_close(r);
    kb_xdb_close(w);
}

/* A reader keeps each article's documents while its revision lasts: a
 * section added and committed is counted once the reader reopens, and not
 * before (the reader answers from one revision); a section taken away is
 * no longer counted. */
static void test_xapian__group_stats_follow_the_readers_revision(void)
{
    char path[128];
    kb_xdb *w = corpus_db(path, sizeof path), *r = NULL;
    const kb_xstr groups[] = {{"network", 7}};
    const kb_xstr terms[] = {{"wifi", 4}};
    uint32_t nd[1];
    double len[1], wdf[1];
    CHECK(w != NULL);
    if (!w)
        return;
    CHECK_RC(kb_xdb_open(&r, path, KB_XDB_READ, NULL), KB_OK);
    if (!r) {
        kb_xdb_close(w);
        return;
    }
    CHECK_RC(kb_xdb_group_stats(r, groups, 1, terms, 1, NULL, NULL, 0, nd, len,
                                wdf, NULL),
             KB_OK);
    CHECK(nd[0] == 1 && wdf[0] == 1);
    CHECK_RC(kb_xdb_begin(w, NULL), KB_OK);
    CHECK_RC(put_doc(w, "wifi2", "wifi wifi slow network", "faq", NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(w, NULL), KB_OK);
    CHECK_RC(kb_xdb_group_stats(r, groups, 1, terms, 1, NULL, NULL, 0, nd, len,
                                wdf, NULL),
             KB_OK);
    CHECK(nd[0] == 1 && wdf[0] == 1);
    CHECK_RC(kb_xdb_reopen(r, NULL), KB_OK);
    CHECK_RC(kb_xdb_group_stats(r, groups, 1, terms, 1, NULL, NULL, 0, nd, len,
                                wdf, NULL),
             KB_OK);
    CHECK(nd[0] == 2 && wdf[0] == 3 && len[0] == 6 + 4);
    CHECK_RC(kb_xdb_begin(w, NULL), KB_OK);
    CHECK_RC(kb_xdb_delete(w, "Qwifi", 5, NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(w, NULL), KB_OK);
    CHECK_RC(kb_xdb_reopen(r, NULL), KB_OK);
    CHECK_RC(kb_xdb_group_stats(r, groups, 1, terms, 1, NULL, NULL, 0, nd, len,
                                wdf, NULL),
             KB_OK);
    CHECK(nd[0] == 1 && wdf[0] == 2 && len[0] == 4);
    kb_xdb_close(r);
    kb_xdb_close(w);
}

/* Each leaf into an eset, its synonym number as the weight. */
static int collect_leaf(void *ctx, const char *t, size_t len, unsigned syn)
{
    return collect_expand(ctx, t, len, (double)syn);
}

static void test_xapian__query_terms_lists_every_leaf_and_its_synonym(void)
{
    /* a OR (b SYNONYM c SYNONYM "d e") OR a */
    kb_xquery *de[2] = {kb_xquery_term("d", 1, 1, 1),
                        kb_xquery_term("e", 1, 1, 2)};
    kb_xquery *syn[3] = {kb_xquery_term("b", 1, 1, 0),
                         kb_xquery_term("c", 1, 1, 0),
                         kb_xquery_combine(KB_XOP_PHRASE, de, 2, 0)};
    kb_xquery *all[3] = {kb_xquery_term("a", 1, 1, 1),
                         kb_xquery_combine(KB_XOP_SYNONYM, syn, 3, 0),
                         kb_xquery_term("a", 1, 1, 1)};
    kb_xquery *q = kb_xquery_combine(KB_XOP_OR, all, 3, 0);
    eset l = {0};
    CHECK(q != NULL);
    CHECK_RC(kb_xquery_terms(q, collect_leaf, &l), KB_OK);
    CHECK(l.n == 4);
    if (l.n == 4) {
        CHECK(!strcmp(l.terms[0], "a") && l.weights[0] == 0);
        CHECK(!strcmp(l.terms[1], "b") && l.weights[1] == 1);
        CHECK(!strcmp(l.terms[2], "c") && l.weights[2] == 1);
        CHECK(!strcmp(l.terms[3], "a") && l.weights[3] == 0); /* said twice */
    }
    CHECK_RC(kb_xquery_terms(NULL, collect_leaf, &l), KB_EINVALID);
    for (int i = 0; i < 2; i++)
        kb_xquery_free(de[i]);
    for (int i = 0; i < 3; i++) {
        kb_xquery_free(syn[i]);
        kb_xquery_free(all[i]);
    }
    kb_xquery_free(q);
}

static void test_xapian__a_reader_sees_new_commits_after_reopen(void)
{
    char path[128];
    kb_xdb *w = open_writer(new_path(path, sizeof path));
    kb_xdb *r = NULL;
    CHECK(w != NULL);
    if (!w)
        return;
    CHECK_RC(kb_xdb_begin(w, NULL), KB_OK);
    CHECK_RC(put_doc(w, "one", "first", NULL, NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(w, NULL), KB_OK);
    CHECK_RC(kb_xdb_open(&r, path, KB_XDB_READ, NULL), KB_OK);
    CHECK(doccount(r) == 1);
    CHECK_RC(kb_xdb_begin(w, NULL), KB_OK);
    CHECK_RC(put_doc(w, "two", "second", NULL, NULL), KB_OK);
    CHECK_RC(kb_xdb_commit(w, NULL), KB_OK);
    CHECK(doccount(r) == 1);
    CHECK_RC(kb_xdb_reopen(r, NULL), KB_OK);
    CHECK(doccount(r) == 2);
    kb_xdb_close(r);
    kb_xdb_close(w);
}

/* --- errors --- */

static void
test_xapian__opening_a_missing_db_read_only_fails_with_a_message(void)
{
    char path[128];
    kb_xdb *db = (kb_xdb *)&dbseq; /* must be reset to NULL */
    char *err = NULL;
    int rc;
    snprintf(path, sizeof path, "%s/no/such/db", tmproot);
    rc = kb_xdb_open(&db, path, KB_XDB_READ, &err);
    CHECK(rc == KB_ENOTFOUND || rc == KB_EOPEN);
    CHECK(db == NULL);
    CHECK(err != NULL && *err != '\0');
    kb_free(err);
}

static void test_xapian__a_second_writer_is_locked_out(void)
{
    char path[128];
    kb_xdb *w = open_writer(new_path(path, sizeof path));
    kb_xdb *w2 = NULL, *r = NULL;
    char *err = NULL;
    CHECK(w != NULL);
    if (!w)
        return;
    CHECK_RC(kb_xdb_open(&w2, path, KB_XDB_WRITE, &err), KB_ELOCKED);
    CHECK(w2 == NULL);
    CHECK(err != NULL && *err != '\0');
    kb_free(err);
    /* Readers are not locked out. */
    CHECK_RC(kb_xdb_open(&r, path, KB_XDB_READ, NULL), KB_OK);
    kb_xdb_close(r);
    kb_xdb_close(w2);
    /* Once the first writer closes, the lock is free. */
    kb_xdb_close(w);
    w2 = open_writer(path);
    CHECK(w2 != NULL);
    kb_xdb_close(w2);
}

static void test_xapian__writes_on_a_read_only_handle_are_invalid(void)
{
    char path[128];
    kb_xdb *w = open_writer(new_path(path, sizeof path));
    kb_xdb *r = NULL;
    kb_xdoc *d = kb_xdoc_new();
    char *err = NULL;
    CHECK(w != NULL && d != NULL);
    kb_xdb_close(w);
    CHECK_RC(kb_xdb_open(&r, path, KB_XDB_READ, NULL), KB_OK);
    if (!r) {
        kb_xdoc_free(d);
        return;
    }
    CHECK_RC(kb_xdoc_add_term(d, "Qa", 2, 0, 0), KB_OK);
    CHECK_RC(kb_xdb_begin(r, &err), KB_EINVALID);
    CHECK(err != NULL && strstr(err, "read-only") != NULL);
    CHECK_RC(kb_xdb_commit(r, NULL), KB_EINVALID);
    CHECK_RC(kb_xdb_cancel(r, NULL), KB_EINVALID);
    CHECK_RC(kb_xdb_replace(r, "Qa", 2, d, NULL), KB_EINVALID);
    CHECK_RC(kb_xdb_delete(r, "Qa", 2, NULL), KB_EINVALID);
    CHECK_RC(kb_xdb_set_metadata(r, "k", 1, "v", 1, NULL), KB_EINVALID);
    CHECK_RC(kb_xdb_add_spelling(r, "word", 4, 1, NULL), KB_EINVALID);
    CHECK_RC(kb_xdb_remove_spelling(r, "word", 4, 1, NULL), KB_EINVALID);
    CHECK_RC(kb_xdb_add_synonym(r, "a", 1, "b", 1, NULL), KB_EINVALID);
    CHECK(doccount(r) == 0);
    kb_free(err);
    kb_xdoc_free(d);
    kb_xdb_close(r);
}

static void test_xapian__bad_arguments_are_invalid_not_crashes(void)
{
    kb_xdoc *d = kb_xdoc_new();
    char *out = NULL;
    uint32_t n = 0;
    kb_xmset *ms = NULL;
    kb_xsearch_opts o = KB_XSEARCH_OPTS_INIT;
    CHECK_RC(kb_xdoc_add_term(NULL, "a", 1, 0, 1), KB_EINVALID);
    CHECK_RC(kb_xdoc_add_term(d, "", 0, 0, 1), KB_EINVALID);
    CHECK_RC(kb_xdoc_add_value(NULL, 0, "a", 1), KB_EINVALID);
    CHECK_RC(kb_xdoc_set_data(NULL, "a", 1), KB_EINVALID);
    CHECK_RC(kb_xdb_doccount(NULL, &n, NULL), KB_EINVALID);
    CHECK_RC(kb_xdb_get_data(NULL, "a", 1, &out, NULL, NULL), KB_EINVALID);
    CHECK_RC(kb_xdb_reopen(NULL, NULL), KB_EINVALID);
    CHECK_RC(kb_xdb_begin(NULL, NULL), KB_EINVALID);
    CHECK_RC(kb_xdb_search(&ms, NULL, NULL, &o, NULL), KB_EINVALID);
    CHECK_RC(kb_xmset_facet_values(NULL, 0, collect_facet, NULL, &n),
             KB_EINVALID);
    CHECK(kb_xmset_size(NULL) == 0);
    CHECK(kb_xmset_estimated(NULL) == 0);
    kb_xdoc_free(d);
}

static void test_xapian__every_free_accepts_null(void)
{
    kb_xdb_close(NULL);
    kb_xdoc_free(NULL);
    kb_xquery_free(NULL);
    kb_xmset_free(NULL);
    kb_free(NULL);
    CHECK(1);
}

int main(void)
{
    if (tmp_make("xapian_c_test") < 0)
        return 2;
    RUN(test_xapian__create_then_reopen_read_only_sees_committed_docs);
    RUN(test_xapian__cancelled_transaction_leaves_no_documents);
    RUN(test_xapian__close_cancels_a_transaction_and_commits_otherwise);
    RUN(test_xapian__commit_without_begin_is_an_invalid_operation);
    RUN(test_xapian__replace_by_unique_term_keeps_one_document);
    RUN(test_xapian__delete_removes_the_document_and_its_terms);
    RUN(test_xapian__metadata_set_get_delete_and_walk_by_prefix);
    RUN(test_xapian__metadata_key_over_240_bytes_is_invalid);
    RUN(test_xapian__spelling_suggests_a_close_known_word);
    RUN(test_xapian__spelling_changes_are_summed_until_commit);
    RUN(test_xapian__bm25_search_returns_hits_in_weight_order);
    RUN(test_xapian__hit_values_belong_to_their_documents);
    RUN(test_xapian__or_and_and_not_combine_subqueries);
    RUN(test_xapian__empty_query_and_match_all);
    RUN(test_xapian__wildcard_expands_a_prefix);
    RUN(test_xapian__phrase_needs_the_words_in_order);
    RUN(test_xapian__matching_terms_lists_the_query_terms_a_hit_has);
    RUN(test_xapian__expand_gives_feedback_terms_without_prefixes);
    RUN(test_xapian__facet_values_count_each_stored_value);
    RUN(test_xapian__collapse_keeps_one_hit_per_value);
    RUN(test_xapian__scaled_query_multiplies_weights);
    RUN(test_xapian__facet_counts_of_a_reader_follow_its_revision);
    RUN(test_xapian__group_stats_add_up_a_groups_documents);
    RUN(test_xapian__group_stats_of_interleaved_groups);
    RUN(test_xapian__mset_termfreq_is_the_databases);
    RUN(test_xapian__group_stats_follow_the_readers_revision);
    RUN(test_xapian__query_terms_lists_every_leaf_and_its_synonym);
    RUN(test_xapian__a_reader_sees_new_commits_after_reopen);
    RUN(test_xapian__opening_a_missing_db_read_only_fails_with_a_message);
    RUN(test_xapian__a_second_writer_is_locked_out);
    RUN(test_xapian__writes_on_a_read_only_handle_are_invalid);
    RUN(test_xapian__bad_arguments_are_invalid_not_crashes);
    RUN(test_xapian__every_free_accepts_null);
    tmp_remove();
    return TEST_REPORT();
}

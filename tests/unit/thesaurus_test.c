/* thesaurus_test.c - related words read from a WordNet database: senses in
 * order, inflected and irregular forms, phrases left out, and damaged files
 * named in the error */
#define _XOPEN_SOURCE 700 /* nftw */
#include "kb_error.h"
#include "kb_thesaurus.h"

#include "testhelp.h"
#include "testtmp.h"
#include "wordnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const wn_synset synsets[] = {
    {'v', "delete erase", "1:2.1"},           /* delete's first sense */
    {'v', "delete cancel erase", NULL},       /* its second: erase again */
    {'n', "deletion omission", "1:0.1"},      /* derived from delete */
    {'v', "remove take_away withdraw", NULL}, /* a phrase among the words */
    {'v', "take_away remove", NULL},          /* a phrase as the lemma */
    {'v', "steal", NULL},                     /* no other word */
    {'v', "slip steal", NULL},
    {'a', "Crossed(a) crosshatched", NULL}, /* marker and case */
    {'n', "mail post", NULL},
    {'v', "mail post send", NULL},      /* in two parts of speech */
    {'n', "analysis", "1:11.1"},        /* derived across them */
    {'v', "analyze analyse", "1:10.1"}, /* analyse derives nothing */
};

static char dir[128];

static kb_thesaurus *load_fixture(void)
{
    kb_thesaurus *t = NULL;
    char *err = NULL;
    CHECK_RC(kb_thesaurus_load(&t, dir, &err), KB_OK);
    if (err)
        fprintf(stderr, "  %s\n", err);
    kb_free(err);
    return t;
}

static const char *find(const kb_thesaurus *t, const char *w)
{
    return kb_thesaurus_find(t, w, strlen(w));
}

static void test_thesaurus__senses_in_order_without_repeats_or_the_word(void)
{
    kb_thesaurus *t = load_fixture();
    CHECK_STR(find(t, "delete"), "erase,cancel,deletion");
    CHECK_STR(find(t, "erase"), "delete,cancel");
    CHECK_STR(find(t, "mail"), "post,send"); /* noun, then verb */
    CHECK(find(t, "unfriend") == NULL);
    CHECK(find(t, "") == NULL);
    kb_thesaurus_free(t);
}

static void test_thesaurus__derived_forms_follow_the_synonyms(void)
{
    kb_thesaurus *t = load_fixture();
    CHECK_STR(find(t, "delete"), "erase,cancel,deletion");
    CHECK_STR(find(t, "deletion"), "omission,delete");
    CHECK_STR(find(t, "omission"), "deletion"); /* the pointer is deletion's */
    CHECK_STR(find(t, "analysis"), "analyze");  /* noun to verb */
    CHECK_STR(find(t, "analyze"), "analyse,analysis");
    CHECK_STR(find(t, "analyse"), "analyze");
    CHECK_STR(find(t, "deleted"), "erase,cancel,deletion");
    kb_thesaurus_free(t);
}

static void test_thesaurus__phrases_are_left_out(void)
{
    kb_thesaurus *t = load_fixture();
    CHECK_STR(find(t, "remove"), "withdraw");
    CHECK_STR(find(t, "withdraw"), "remove");
    CHECK(find(t, "take_away") == NULL);
    CHECK(find(t, "take away") == NULL);
    kb_thesaurus_free(t);
}

static void test_thesaurus__inflected_and_irregular_forms_find_the_base(void)
{
    kb_thesaurus *t = load_fixture();
    CHECK_STR(find(t, "deleted"), "erase,cancel,deletion");
    CHECK_STR(find(t, "deletes"), "erase,cancel,deletion");
    CHECK_STR(find(t, "removing"), "withdraw");
    CHECK_STR(find(t, "posts"), "mail,send");
    CHECK_STR(find(t, "stole"), "slip"); /* verb.exc: stole steal */
    CHECK_STR(find(t, "stolen"), "slip");
    CHECK(find(t, "ed") == NULL);
    CHECK_STR(find(t, "crossed"), "crosshatched"); /* "(a)" and case */
    CHECK(kb_thesaurus_size(t) >= 10);
    kb_thesaurus_free(t);
}

static void test_thesaurus__a_missing_database_is_named(void)
{
    kb_thesaurus *t = NULL;
    char *err = NULL, path[160];
    snprintf(path, sizeof path, "%s/none", tmproot);
    CHECK_RC(kb_thesaurus_load(&t, path, &err), KB_ENOTFOUND);
    CHECK(t == NULL);
    CHECK(err && strstr(err, "none/data.noun"));
    kb_free(err);
    CHECK(kb_thesaurus_find(NULL, "delete", 6) == NULL);
    kb_thesaurus_free(NULL);
}

static void test_thesaurus__irregular_forms_without_any_words_load_empty(void)
{
    static const wn_synset none[] = {{'n', "lonely", NULL}}; /* alone */
    char d[160], *err = NULL;
    kb_thesaurus *t = NULL;
    snprintf(d, sizeof d, "%s/empty", tmproot);
    mkdir(d, 0755);
    CHECK(wn_write(d, none, 0, "stolen steal\nran run\n") == 0);
    CHECK_RC(kb_thesaurus_load(&t, d, &err), KB_OK);
    CHECK(t && kb_thesaurus_size(t) == 0);
    CHECK(find(t, "stolen") == NULL);
    kb_free(err);
    kb_thesaurus_free(t);
    CHECK(wn_write(d, none, 1, "lonelier lonely\n") == 0);
    CHECK_RC(kb_thesaurus_load(&t, d, &err), KB_OK);
    CHECK(t && kb_thesaurus_size(t) == 0 && find(t, "lonelier") == NULL);
    kb_thesaurus_free(t);
}

/* dir/index.verb with its second entry replaced by line. */
static int damage(const char *sub, const char *line)
{
    char d[160], path[200];
    snprintf(d, sizeof d, "%s/%s", tmproot, sub);
    mkdir(d, 0755);
    if (wn_write(d, synsets, sizeof synsets / sizeof *synsets, NULL) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/index.verb", d);
    FILE *f = fopen(path, "r");
    char buf[8192];
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    char *l1 = strchr(buf, '\n'), *l2 = l1 ? strchr(l1 + 1, '\n') : NULL;
    char *l3 = l2 ? strchr(l2 + 1, '\n') : NULL;
    char *l4 = l3 ? strchr(l3 + 1, '\n') : NULL;
    if (!l4 || !(f = fopen(path, "w")))
        return -1;
    /* two licence lines, the first entry, then line instead of the second */
    fwrite(buf, 1, (size_t)(l3 - buf + 1), f);
    fputs(line, f);
    fputs(l4, f);
    fclose(f);
    return 0;
}

static void test_thesaurus__damaged_entries_name_file_and_line(void)
{
    kb_thesaurus *t = NULL;
    char *err = NULL, path[160];
    CHECK(damage("short", "erase v 2\n") == 0);
    snprintf(path, sizeof path, "%s/short", tmproot);
    CHECK_RC(kb_thesaurus_load(&t, path, &err), KB_ECORRUPT);
    CHECK(t == NULL);
    CHECK(err && strstr(err, "index.verb:4: malformed entry"));
    kb_free(err);
    err = NULL;

    CHECK(damage("offset", "erase v 1 0 1 0 99999999 \n") == 0);
    snprintf(path, sizeof path, "%s/offset", tmproot);
    CHECK_RC(kb_thesaurus_load(&t, path, &err), KB_ECORRUPT);
    CHECK(err && strstr(err, "index.verb:4: offset 99999999 past"));
    kb_free(err);
    err = NULL;

    CHECK(damage("negative", "erase v 1 0 1 0 -5 \n") == 0);
    snprintf(path, sizeof path, "%s/negative", tmproot);
    CHECK_RC(kb_thesaurus_load(&t, path, &err), KB_ECORRUPT);
    CHECK(err && strstr(err, "index.verb:4: offset") &&
          strstr(err, "past the data file"));
    kb_free(err);
    err = NULL;

    CHECK(damage("between", "erase v 1 0 1 0 00000005 \n") == 0);
    snprintf(path, sizeof path, "%s/between", tmproot);
    CHECK_RC(kb_thesaurus_load(&t, path, &err), KB_ECORRUPT);
    CHECK(err && strstr(err, "no synset at offset 5"));
    kb_free(err);
}

int main(void)
{
    if (tmp_make("thesaurus_test") < 0)
        return 2;
    snprintf(dir, sizeof dir, "%s/wn", tmproot);
    mkdir(dir, 0755);
    if (wn_write(dir, synsets, sizeof synsets / sizeof *synsets,
                 "stole steal\nstolen steal\nunknown nothing\n") != 0) {
        tmp_remove();
        printf("tests: 0 passed, 1 failed\n");
        return 1;
    }
    RUN(test_thesaurus__senses_in_order_without_repeats_or_the_word);
    RUN(test_thesaurus__derived_forms_follow_the_synonyms);
    RUN(test_thesaurus__phrases_are_left_out);
    RUN(test_thesaurus__inflected_and_irregular_forms_find_the_base);
    RUN(test_thesaurus__a_missing_database_is_named);
    RUN(test_thesaurus__damaged_entries_name_file_and_line);
    RUN(test_thesaurus__irregular_forms_without_any_words_load_empty);
    tmp_remove();
    return TEST_REPORT();
}

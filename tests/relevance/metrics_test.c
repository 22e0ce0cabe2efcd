/* metrics_test.c - the metric code against hand-computed examples */
#include "metrics.h"
#include "rel.h"
#include "testhelp.h"

#include <math.h>
#include <stdlib.h>

#define NEAR(a, b) (fabs((a) - (b)) < 1e-6)

/* Ranks 2, 4 and 5 relevant; a fourth relevant document is judged but
 * never retrieved, and two judged non-relevant ones are.
 *   AP   = (1/2 + 2/4 + 3/5) / 4                     = 0.4
 *   RR   = 1/2;  P@1 = 0;  P@5 = 3/5;  S@5 = 1
 *   DCG  = 1/log2(3) + 1/log2(5) + 1/log2(6)         = 1.4484591
 *   IDCG = 1 + 1/log2(3) + 1/log2(4) + 1/log2(5)     = 2.5616063
 *   nDCG = 0.5654495 */
static void test_metrics__binary_example_matches_hand_computation(void)
{
    int ranked[] = {0, 1, 0, 1, 1, 0};
    int judged[] = {1, 1, 1, 1, 0, 0};
    rel_scores s;
    rel_score(&s, ranked, 6, judged, 6, 100, 0);
    CHECK(NEAR(s.ap, 0.4));
    CHECK(NEAR(s.rr, 0.5));
    CHECK(NEAR(s.p1, 0));
    CHECK(NEAR(s.p5, 0.6));
    CHECK(NEAR(s.s5, 1));
    CHECK(NEAR(s.ndcg10, 1.4484591188793923 / 2.5616063116448506));
}

/* SemEval: all 10 candidates ranked, grades 2 (PerfectMatch) and 1.
 *   AP   = (1/1 + 2/3 + 3/10) / 3                    = 0.6555556
 *   DCG  = 1/log2(2) + 3/log2(4) + 1/log2(11)        = 2.7890648
 *   IDCG = 3/log2(2) + 1/log2(3) + 1/log2(4)         = 4.1309298 */
static void test_metrics__graded_gains_are_two_to_the_grade_minus_one(void)
{
    int ranked[] = {1, 0, 2, 0, 0, 0, 0, 0, 0, 1};
    int judged[] = {0, 1, 0, 0, 2, 0, 1, 0, 0, 0};
    rel_scores s;
    rel_score(&s, ranked, 10, judged, 10, 10, 1);
    CHECK(NEAR(s.ap, (1 + 2.0 / 3 + 0.3) / 3));
    CHECK(NEAR(s.rr, 1));
    CHECK(NEAR(s.p1, 1));
    CHECK(NEAR(s.p5, 0.4));
    CHECK(NEAR(s.ndcg10, 2.7890648263178877 / 4.130929753571458));
}

static void test_metrics__binary_gains_ignore_the_grade(void)
{
    int ranked[] = {2, 1};
    int judged[] = {1, 2};
    rel_scores s;
    rel_score(&s, ranked, 2, judged, 2, 100, 0);
    CHECK(NEAR(s.ndcg10, 1));
    CHECK(NEAR(s.ap, 1));
}

static void test_metrics__query_without_relevant_scores_zero(void)
{
    int ranked[] = {0, 0, 0};
    int judged[] = {0, 0, 0};
    rel_scores s;
    rel_score(&s, ranked, 3, judged, 3, 10, 1);
    CHECK(s.ap == 0 && s.rr == 0 && s.p1 == 0 && s.p5 == 0 &&
          s.ndcg10 == 0);
    rel_score(&s, NULL, 0, NULL, 0, 10, 1);
    CHECK(s.ap == 0 && s.ndcg10 == 0);
}

static void test_metrics__ranks_past_the_cutoff_do_not_count(void)
{
    int ranked[101] = {0};
    int judged[] = {1};
    ranked[100] = 1; /* rank 101 */
    rel_scores s;
    rel_score(&s, ranked, 101, judged, 1, 100, 0);
    CHECK(s.ap == 0 && s.rr == 0);
    rel_score(&s, ranked, 101, judged, 1, 101, 0);
    CHECK(NEAR(s.rr, 1.0 / 101) && NEAR(s.ap, 1.0 / 101));
}

/* The ideal holds min(#relevant, 10) ones; relevant docs past rank 10 count
 * for AP but not for nDCG@10. */
static void test_metrics__ndcg_ideal_is_capped_at_ten(void)
{
    int ranked[12], judged[12];
    for (int i = 0; i < 12; i++)
        ranked[i] = judged[i] = 1;
    rel_scores s;
    rel_score(&s, ranked, 12, judged, 12, 100, 0);
    CHECK(NEAR(s.ndcg10, 1));
    CHECK(NEAR(s.ap, 1));
    CHECK(NEAR(s.p5, 1));
}

static void test_metrics__means_average_over_every_query(void)
{
    rel_scores a = {1, 1, 1, 1, 1, 1}, b = {0, 0.5, 0, 0.2, 1, 0.25};
    rel_scores sum = {0, 0, 0, 0, 0, 0};
    rel_scores_add(&sum, &a);
    rel_scores_add(&sum, &b);
    rel_scores_div(&sum, 2);
    CHECK(NEAR(sum.ap, 0.5) && NEAR(sum.rr, 0.75) && NEAR(sum.p5, 0.6));
    CHECK(NEAR(rel_scores_get(&sum, 5), 0.625));
}

/* --- rel_finish: the READMEs' rules on an in-memory set --- */

static char *ids[] = {"d0", "d1", "d2", "d3", "d4", "d5"};

static void small_set(rel_set *s, rel_doc *docs, size_t *byid, rel_kind k)
{
    memset(s, 0, sizeof *s);
    s->kind = k;
    s->docs = docs;
    s->ndocs = 6;
    s->byid = byid;
    s->cutoff = k == REL_SEMEVAL ? 10 : 100;
    for (size_t i = 0; i < 6; i++) {
        memset(&docs[i], 0, sizeof docs[i]);
        docs[i].id = ids[i];
        byid[i] = i;
    }
}

static void test_finish__bq_drops_the_query_sentence_and_repeats(void)
{
    rel_doc docs[6];
    size_t byid[6];
    rel_set s;
    small_set(&s, docs, byid, REL_BQ);
    rel_query q = {.id = "d2", .self = 2};
    rel_ranking r = {NULL, 0, 0};
    size_t in[] = {2, 4, 4, 1, 2, 0};
    for (size_t i = 0; i < 6; i++)
        rel_ranking_add(&r, in[i]);
    rel_finish(&s, &q, &r);
    CHECK(r.n == 3 && r.v[0] == 4 && r.v[1] == 1 && r.v[2] == 0);
    CHECK(rel_set_find(&s, "d4", 2) == 4 && rel_set_find(&s, "d9", 2) < 0);
    rel_ranking_free(&r);
}

static void test_finish__semeval_keeps_own_candidates_then_ir_order(void)
{
    rel_doc docs[6];
    size_t byid[6];
    rel_set s;
    small_set(&s, docs, byid, REL_SEMEVAL);
    /* d0..d3 are Q1's candidates with ir_rank 4, 1, 9, 2; d4, d5 belong to
     * Q2. The engine found d5 (another query's), d2, d0. */
    char *grp[] = {"Q1", "Q1", "Q1", "Q1", "Q2", "Q2"};
    int irr[] = {4, 1, 9, 2, 1, 2};
    for (int i = 0; i < 6; i++) {
        docs[i].group = grp[i];
        docs[i].ir_rank = irr[i];
    }
    size_t cands[] = {1, 3, 0, 2}; /* by ir_rank */
    rel_query q = {.id = "Q1", .cands = cands, .ncands = 4, .self = -1};
    rel_ranking r = {NULL, 0, 0};
    rel_ranking_add(&r, 5);
    rel_ranking_add(&r, 2);
    rel_ranking_add(&r, 0);
    rel_finish(&s, &q, &r);
    CHECK(r.n == 4);
    CHECK(r.n == 4 && r.v[0] == 2 && r.v[1] == 0 && r.v[2] == 1 &&
          r.v[3] == 3);
    rel_ranking_free(&r);
}

static void test_finish__rankings_are_cut_at_the_cutoff(void)
{
    rel_doc docs[6];
    size_t byid[6];
    rel_set s;
    small_set(&s, docs, byid, REL_STACKFAQ);
    s.cutoff = 2;
    rel_query q = {.id = "x", .self = -1};
    rel_ranking r = {NULL, 0, 0};
    for (size_t i = 0; i < 5; i++)
        rel_ranking_add(&r, i);
    rel_finish(&s, &q, &r);
    CHECK(r.n == 2 && r.v[0] == 0 && r.v[1] == 1);
    rel_ranking_free(&r);
}

/* The SemEval README's own check: ordering each query's candidates by
 * ir_rank gives 71.35 / 76.67 / 70.00 / 54.40 / 74.01 on dev. Needs the
 * data beside the project (skipped without it). */
static int semeval_baseline_matches_the_readme(const char *data)
{
    char c[512], q[512], j[512];
    rel_set s;
    snprintf(c, sizeof c, "%s/semeval2016_task3b/dev.candidates.tsv", data);
    snprintf(q, sizeof q, "%s/semeval2016_task3b/dev.queries.tsv", data);
    snprintf(j, sizeof j, "%s/semeval2016_task3b/dev.qrels.tsv", data);
    FILE *f = fopen(c, "r");
    if (!f)
        return -1;
    fclose(f);
    if (rel_set_load(&s, REL_SEMEVAL, c, q, j, NULL) != 0)
        return 0;
    rel_scores sum = {0, 0, 0, 0, 0, 0};
    for (size_t i = 0; i < s.nq; i++) {
        rel_ranking r = {NULL, 0, 0};
        int ranked[10] = {0}, judged[64] = {0};
        rel_finish(&s, &s.q[i], &r); /* nothing found: ir_rank order */
        for (size_t k = 0; k < r.n && k < 10; k++)
            for (size_t x = 0; x < s.q[i].nj; x++)
                if (s.q[i].j[x].doc == r.v[k])
                    ranked[k] = s.q[i].j[x].grade;
        for (size_t x = 0; x < s.q[i].nj && x < 64; x++)
            judged[x] = s.q[i].j[x].grade;
        rel_scores one;
        rel_score(&one, ranked, r.n < 10 ? r.n : 10, judged,
                  s.q[i].nj < 64 ? s.q[i].nj : 64, 10, 1);
        rel_scores_add(&sum, &one);
        rel_ranking_free(&r);
    }
    rel_scores_div(&sum, (double)s.nq);
    int ok = s.nq == 50 && fabs(100 * sum.ap - 71.35) < 0.005 &&
             fabs(100 * sum.rr - 76.67) < 0.005 &&
             fabs(100 * sum.p1 - 70.00) < 0.005 &&
             fabs(100 * sum.p5 - 54.40) < 0.005 &&
             fabs(100 * sum.ndcg10 - 74.01) < 0.005;
    if (!ok)
        fprintf(stderr, "  semeval ir_rank order: %.2f %.2f %.2f %.2f %.2f\n",
                100 * sum.ap, 100 * sum.rr, 100 * sum.p1, 100 * sum.p5,
                100 * sum.ndcg10);
    rel_set_free(&s);
    return ok;
}

static const char *data_dir = "../shared/data";

static void test_readme__semeval_ir_order_gives_the_published_baseline(void)
{
    int ok = semeval_baseline_matches_the_readme(data_dir);
    if (ok < 0) {
        fprintf(stderr, "  (no SemEval data under %s: not checked)\n",
                data_dir);
        return;
    }
    CHECK(ok == 1);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        data_dir = argv[1];
    RUN(test_metrics__binary_example_matches_hand_computation);
    RUN(test_metrics__graded_gains_are_two_to_the_grade_minus_one);
    RUN(test_metrics__binary_gains_ignore_the_grade);
    RUN(test_metrics__query_without_relevant_scores_zero);
    RUN(test_metrics__ranks_past_the_cutoff_do_not_count);
    RUN(test_metrics__ndcg_ideal_is_capped_at_ten);
    RUN(test_metrics__means_average_over_every_query);
    RUN(test_finish__bq_drops_the_query_sentence_and_repeats);
    RUN(test_finish__semeval_keeps_own_candidates_then_ir_order);
    RUN(test_finish__rankings_are_cut_at_the_cutoff);
    RUN(test_readme__semeval_ir_order_gives_the_published_baseline);
    return TEST_REPORT();
}

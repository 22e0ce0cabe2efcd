/* metrics.h - ranking metrics as the evaluation sets' READMEs define them */
#ifndef REL_METRICS_H
#define REL_METRICS_H

#include <stddef.h>

/*
 * One query's scores, each in [0, 1] (the table prints them x100).
 *   ap     sum over the ranks i <= cutoff that hold a relevant document of
 *          precision@i, divided by the number of relevant documents judged
 *          for the query (not the number retrieved); 0 if there is none
 *   rr     1 / rank of the first relevant document within the cutoff
 *   p1, p5 relevant documents in the top 1 / 5, divided by 1 / 5
 *   s5     1 if a relevant document is in the top 5 (Success@5)
 *   ndcg10 DCG@10 / ideal DCG@10, discount log2(i + 1); gains are binary
 *          (1 for relevant) or, when graded, 2^grade - 1; the ideal ranks
 *          every judged relevant document first, best gain first
 * "Relevant" means grade >= 1. A query with no relevant judgment scores 0
 * everywhere (as the SemEval and StackFAQ READMEs ask).
 */
typedef struct rel_scores {
    double ap, rr, p1, p5, s5, ndcg10;
} rel_scores;

#define REL_NMETRICS 6
extern const char *const rel_metric_names[REL_NMETRICS];

/* Score one ranking. ranked[i] is the grade of the document at rank i + 1
 * (0 when unjudged); n is how many were returned. judged holds the grades
 * of all nj judgments of the query (any order, 0s allowed). Only the first
 * cutoff ranks count. */
void rel_score(rel_scores *out, const int *ranked, size_t n,
               const int *judged, size_t nj, size_t cutoff, int graded);

/* Value of metric k (0..REL_NMETRICS-1) in s. */
double rel_scores_get(const rel_scores *s, int k);
/* sum += s (for means). */
void rel_scores_add(rel_scores *sum, const rel_scores *s);
void rel_scores_div(rel_scores *s, double n);

#endif

/* metrics.c - ranking metrics as the evaluation sets' READMEs define them */
#include "metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const rel_metric_names[REL_NMETRICS] = {"MAP",  "MRR", "P@1",
                                                    "P@5",  "S@5", "nDCG@10"};

static double gain(int grade, int graded)
{
    if (grade <= 0)
        return 0;
    return graded ? pow(2.0, grade) - 1 : 1;
}

static int by_grade_desc(const void *a, const void *b)
{
    return *(const int *)b - *(const int *)a;
}

void rel_score(rel_scores *out, const int *ranked, size_t n,
               const int *judged, size_t nj, size_t cutoff, int graded)
{
    size_t nrel = 0, hits = 0;
    double dcg = 0, idcg = 0;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < nj; i++)
        nrel += judged[i] >= 1;
    if (!nrel)
        return;
    if (n > cutoff)
        n = cutoff;
    for (size_t i = 0; i < n; i++) {
        if (ranked[i] < 1)
            continue;
        hits++;
        out->ap += (double)hits / (double)(i + 1);
        if (out->rr == 0)
            out->rr = 1.0 / (double)(i + 1);
        if (i < 1)
            out->p1 += 1;
        if (i < 5) {
            out->p5 += 1.0 / 5;
            out->s5 = 1;
        }
        if (i < 10)
            dcg += gain(ranked[i], graded) / log2((double)i + 2);
    }
    out->ap /= (double)nrel;

    /* The ideal ranking: the judged grades, best first. */
    int *ideal = malloc(nj * sizeof *ideal);
    if (!ideal) {
        out->ndcg10 = 0;
        return;
    }
    memcpy(ideal, judged, nj * sizeof *ideal);
    qsort(ideal, nj, sizeof *ideal, by_grade_desc);
    for (size_t i = 0; i < nj && i < 10; i++)
        idcg += gain(ideal[i], graded) / log2((double)i + 2);
    free(ideal);
    out->ndcg10 = idcg > 0 ? dcg / idcg : 0;
}

double rel_scores_get(const rel_scores *s, int k)
{
    switch (k) {
    case 0: return s->ap;
    case 1: return s->rr;
    case 2: return s->p1;
    case 3: return s->p5;
    case 4: return s->s5;
    default: return s->ndcg10;
    }
}

void rel_scores_add(rel_scores *sum, const rel_scores *s)
{
    sum->ap += s->ap;
    sum->rr += s->rr;
    sum->p1 += s->p1;
    sum->p5 += s->p5;
    sum->s5 += s->s5;
    sum->ndcg10 += s->ndcg10;
}

void rel_scores_div(rel_scores *s, double n)
{
    if (n <= 0)
        return;
    s->ap /= n;
    s->rr /= n;
    s->p1 /= n;
    s->p5 /= n;
    s->s5 /= n;
    s->ndcg10 /= n;
}

/* relevance.c - score deskdex beside SQLite FTS5 and stock Xapian on the
 * evaluation sets of ../shared/data (see tests/relevance/README.md) */
#define _XOPEN_SOURCE 700
#include "metrics.h"
#include "rel.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ENGINES 8
#define MAX_SETS 8

static const char usage[] =
    "usage: relevance [--set NAME --corpus F --queries F --qrels F [--xml F]]\n"
    "                 [--data DIR] [--engines deskdex,fts5,xapian,proto]\n"
    "                 [--json FILE] [--per-query FILE] [--label TEXT]\n"
    "                 [tuning flags]\n"
    "With no --set, every dev set under --data (default ../shared/data).\n"
    "Sets: stackfaq (QA pairs), stackfaq-thread (articles), bq, semeval.\n"
    "Tuning (deskdex and proto; default: the configuration's own values):\n"
    "  --config FILE          kb_config file (default etc/deskdex.conf)\n"
    "  --k1 X --b X           BM25\n"
    "  --title-weight X --cjk-unigram-weight X\n"
    "  --thesaurus DIR        WordNet directory (\"\": none)\n"
    "  --thesaurus-weight X --thesaurus-words N\n"
    "  --no-spelling          search without spelling correction\n"
    "  --snippets             build snippets and facets as the server does\n"
    "  --no-group             search without group=1 (which the page uses:\n"
    "                         hits listed by article)\n"
    "  --audience public|agent\n"
    "  --rf-terms N --rf-docs N   kb_search relevance feedback\n"
    "  --max-terms N --subject-weight X --expand-docs N --expand-terms N\n"
    "  --expand-weight X --duplicate X     kb_suggest options\n"
    "  --sem-doc faq|ticket --sem-comments N --sem-mode filter|open\n"
    "  --sem-via suggest|search\n"
    "  --proto SPEC           prototype ranking (see eng_proto.c)\n";

typedef struct {
    const rel_engine *e;
    rel_scores mean;
    rel_scores se; /* standard error of each mean, over queries */
    double index_s, query_ms;
    int ok;
} eng_result;

typedef struct {
    char name[32];
    size_t nq, ndocs;
    eng_result r[MAX_ENGINES];
} set_result;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Which metrics each set's README asks for (MAP MRR P@1 P@5 S@5 nDCG@10). */
static const int shown[4][REL_NMETRICS] = {
    {1, 1, 1, 1, 0, 1}, /* stackfaq: QA pairs */
    {0, 1, 1, 0, 1, 1}, /* stackfaq-thread: MAP = MRR, Success@5 */
    {1, 1, 1, 1, 0, 1}, /* bq */
    {1, 1, 1, 1, 0, 1}, /* semeval */
};

static int score_engine(eng_result *out, const rel_engine *e,
                        const rel_set *s, const rel_opts *o, FILE *perq)
{
    void *st = NULL;
    int *ranked = NULL, *judged = NULL;
    size_t cap = 0;
    rel_scores sq = {0, 0, 0, 0, 0, 0};
    memset(&out->mean, 0, sizeof out->mean);
    out->e = e;
    out->ok = 0;
    double t0 = now_s();
    if (e->open(&st, s, o) != 0) {
        fprintf(stderr, "relevance: %s: %s: could not start (index or options)\n",
                s->name, e->name);
        return -1;
    }
    double t1 = now_s();
    int failures = 0;
    for (size_t i = 0; i < s->nq; i++) {
        const rel_query *q = &s->q[i];
        rel_ranking r = {NULL, 0, 0};
        rel_scores sc;
        if (e->rank(st, s, q, &r) != 0)
            failures++;
        rel_finish(s, q, &r);
        if (r.n + q->nj > cap) {
            cap = (r.n + q->nj) * 2;
            ranked = realloc(ranked, cap * sizeof *ranked);
            judged = realloc(judged, cap * sizeof *judged);
            if (!ranked || !judged) {
                fprintf(stderr, "relevance: out of memory\n");
                exit(2);
            }
        }
        for (size_t k = 0; k < r.n; k++) {
            ranked[k] = 0;
            for (size_t j = 0; j < q->nj; j++)
                if (q->j[j].doc == r.v[k])
                    ranked[k] = q->j[j].grade;
        }
        for (size_t j = 0; j < q->nj; j++)
            judged[j] = q->j[j].grade;
        rel_score(&sc, ranked, r.n, judged, q->nj, (size_t)s->cutoff,
                  s->graded);
        rel_scores_add(&out->mean, &sc);
        rel_scores sc2 = {sc.ap * sc.ap, sc.rr * sc.rr, sc.p1 * sc.p1,
                          sc.p5 * sc.p5, sc.s5 * sc.s5,
                          sc.ndcg10 * sc.ndcg10};
        rel_scores_add(&sq, &sc2);
        if (perq) {
            fprintf(perq, "%s\t%s\t%s", s->name, e->name, q->id);
            for (int k = 0; k < REL_NMETRICS; k++)
                fprintf(perq, "\t%.4f", rel_scores_get(&sc, k));
            fputc('\t', perq);
            for (size_t k = 0; k < r.n && k < 10; k++)
                fprintf(perq, "%s%s", k ? "," : "", s->docs[r.v[k]].id);
            fputc('\n', perq);
        }
        rel_ranking_free(&r);
    }
    double t2 = now_s();
    e->close(st);
    free(ranked);
    free(judged);
    rel_scores_div(&out->mean, (double)s->nq);
    rel_scores_div(&sq, (double)s->nq);
    /* se = sqrt(var / n), var = E[x^2] - E[x]^2 (population form) */
    double n = s->nq > 1 ? (double)s->nq : 1;
    out->se.ap = sqrt(fmax(0, sq.ap - out->mean.ap * out->mean.ap) / n);
    out->se.rr = sqrt(fmax(0, sq.rr - out->mean.rr * out->mean.rr) / n);
    out->se.p1 = sqrt(fmax(0, sq.p1 - out->mean.p1 * out->mean.p1) / n);
    out->se.p5 = sqrt(fmax(0, sq.p5 - out->mean.p5 * out->mean.p5) / n);
    out->se.s5 = sqrt(fmax(0, sq.s5 - out->mean.s5 * out->mean.s5) / n);
    out->se.ndcg10 =
        sqrt(fmax(0, sq.ndcg10 - out->mean.ndcg10 * out->mean.ndcg10) / n);
    out->index_s = t1 - t0;
    out->query_ms = s->nq ? (t2 - t1) * 1000 / (double)s->nq : 0;
    out->ok = 1;
    if (failures)
        fprintf(stderr, "relevance: %s: %s: %d queries failed\n", s->name,
                e->name, failures);
    return 0;
}

static const rel_engine *engine_named(const char *n, size_t len)
{
    static const rel_engine *const all[] = {
        &rel_engine_deskdex, &rel_engine_fts5, &rel_engine_xapian,
        &rel_engine_proto};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (strlen(all[i]->name) == len && !strncmp(all[i]->name, n, len))
            return all[i];
    return NULL;
}

static const char *engine_label(const rel_engine *e)
{
    if (e == &rel_engine_fts5)
        return "FTS5";
    if (e == &rel_engine_xapian)
        return "Xapian defaults";
    return e->name;
}

static void print_table(const set_result *res, int nsets, int neng)
{
    printf("\n%-16s %-8s", "dev set", "metric");
    for (int e = 0; e < neng; e++)
        printf(" %16s", engine_label(res[0].r[e].e));
    printf("\n");
    for (int s = 0; s < nsets; s++) {
        int kind = rel_kind_parse(res[s].name);
        for (int k = 0; k < REL_NMETRICS; k++) {
            if (!shown[kind][k])
                continue;
            printf("%-16s %-8s", res[s].name, rel_metric_names[k]);
            for (int e = 0; e < neng; e++) {
                if (res[s].r[e].ok)
                    printf(" %16.1f",
                           100 * rel_scores_get(&res[s].r[e].mean, k));
                else
                    printf(" %16s", "-");
            }
            printf("\n");
        }
    }
    printf("%-16s %-8s", "(all)", "ms/query");
    for (int e = 0; e < neng; e++) {
        double ms = 0;
        for (int s = 0; s < nsets; s++)
            ms += res[s].r[e].query_ms * (double)res[s].nq;
        size_t nq = 0;
        for (int s = 0; s < nsets; s++)
            nq += res[s].nq;
        printf(" %16.2f", nq ? ms / (double)nq : 0);
    }
    printf("\n");
}

static json_t *opts_json(const rel_opts *o)
{
    json_t *j = json_object();
    if (o->k1 >= 0)
        json_object_set_new(j, "k1", json_real(o->k1));
    if (o->b >= 0)
        json_object_set_new(j, "b", json_real(o->b));
    if (o->title_weight >= 0)
        json_object_set_new(j, "title_weight", json_real(o->title_weight));
    if (o->cjk_unigram_weight >= 0)
        json_object_set_new(j, "cjk_unigram_weight",
                            json_real(o->cjk_unigram_weight));
    if (o->thesaurus)
        json_object_set_new(j, "thesaurus", json_string(o->thesaurus));
    if (o->thesaurus_weight >= 0)
        json_object_set_new(j, "thesaurus_weight",
                            json_real(o->thesaurus_weight));
    if (o->thesaurus_words >= 0)
        json_object_set_new(j, "thesaurus_words",
                            json_integer(o->thesaurus_words));
    json_object_set_new(j, "spelling", json_boolean(o->spelling));
    if (o->rf_terms)
        json_object_set_new(j, "rf", json_pack("{s:i,s:i}", "terms",
                                               o->rf_terms, "docs",
                                               o->rf_docs));
    json_object_set_new(j, "audience",
                        json_string(o->audience ? "agent" : "public"));
    json_object_set_new(j, "sem_doc", json_string(o->sem_doc));
    json_object_set_new(j, "sem_comments", json_integer(o->sem_comments));
    json_object_set_new(j, "sem_mode", json_string(o->sem_mode));
    json_object_set_new(j, "sem_via", json_string(o->sem_via));
    const struct {
        const char *k;
        int v;
    } ints[] = {{"max_terms", o->max_terms},
                {"expand_docs", o->expand_docs},
                {"expand_terms", o->expand_terms}};
    for (size_t i = 0; i < 3; i++)
        if (ints[i].v >= 0)
            json_object_set_new(j, ints[i].k, json_integer(ints[i].v));
    const struct {
        const char *k;
        double v;
    } dbl[] = {{"subject_weight", o->subject_weight},
               {"expand_weight", o->expand_weight},
               {"duplicate", o->duplicate}};
    for (size_t i = 0; i < 3; i++)
        if (dbl[i].v >= 0)
            json_object_set_new(j, dbl[i].k, json_real(dbl[i].v));
    if (o->proto)
        json_object_set_new(j, "proto", json_string(o->proto));
    if (o->config)
        json_object_set_new(j, "config", json_string(o->config));
    return j;
}

static double round1(double x) { return round(x * 10) / 10; }

static int write_json(const char *path, const set_result *res, int nsets,
                      int neng, const rel_opts *o, const char *label)
{
    char date[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *root = json_pack("{s:s,s:s,s:o,s:[]}", "date", date, "label",
                             label ? label : "", "options", opts_json(o),
                             "sets");
    json_t *sets = json_object_get(root, "sets");
    for (int s = 0; s < nsets; s++) {
        int kind = rel_kind_parse(res[s].name);
        json_t *js = json_pack("{s:s,s:I,s:I,s:{}}", "set", res[s].name,
                               "queries", (json_int_t)res[s].nq, "documents",
                               (json_int_t)res[s].ndocs, "engines");
        json_t *je = json_object_get(js, "engines");
        for (int e = 0; e < neng; e++) {
            const eng_result *r = &res[s].r[e];
            json_t *m = json_object();
            if (r->ok) {
                for (int k = 0; k < REL_NMETRICS; k++)
                    if (shown[kind][k])
                        json_object_set_new(
                            m, rel_metric_names[k],
                            json_real(
                                round1(100 * rel_scores_get(&r->mean, k))));
                json_t *se = json_object();
                for (int k = 0; k < REL_NMETRICS; k++)
                    if (shown[kind][k])
                        json_object_set_new(
                            se, rel_metric_names[k],
                            json_real(
                                round1(100 * rel_scores_get(&r->se, k))));
                json_object_set_new(m, "stderr", se);
                json_object_set_new(m, "index_s", json_real(r->index_s));
                json_object_set_new(m, "query_ms", json_real(r->query_ms));
            }
            json_object_set_new(je, engine_label(r->e), m);
        }
        json_array_append_new(sets, js);
    }
    int rc = json_dump_file(root, path, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
    json_decref(root);
    if (rc != 0)
        fprintf(stderr, "relevance: cannot write %s\n", path);
    return rc;
}

/* --- arguments --- */

/* The value of the flag at argv[*i]; exits when it is missing. */
static const char *value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "relevance: %s needs a value\n", argv[*i]);
        exit(2);
    }
    return argv[++*i];
}

static double num(const char *flag, const char *v)
{
    char *end = NULL;
    errno = 0;
    double x = v ? strtod(v, &end) : 0;
    if (!v || errno || end == v || *end || x < 0) {
        fprintf(stderr, "relevance: %s needs a number >= 0\n", flag);
        exit(2);
    }
    return x;
}

typedef struct {
    const char *set, *corpus, *queries, *qrels, *xml;
} set_files;

static void dev_files(set_files *f, const char *data, int kind, char *buf,
                      size_t n)
{
    static const char *const dir[] = {"stackfaq", "stackfaq", "bq_corpus",
                                      "semeval2016_task3b"};
    static const char *const corpus[] = {"corpus.tsv", "corpus.tsv",
                                         "corpus.tsv", "dev.candidates.tsv"};
    static const char *const qrels[] = {"dev.qrels.tsv",
                                        "dev.qrels.thread.tsv",
                                        "dev.qrels.tsv", "dev.qrels.tsv"};
    size_t q = n / 4;
    snprintf(buf, q, "%s/%s/%s", data, dir[kind], corpus[kind]);
    snprintf(buf + q, q, "%s/%s/dev.queries.tsv", data, dir[kind]);
    snprintf(buf + 2 * q, q, "%s/%s/%s", data, dir[kind], qrels[kind]);
    snprintf(buf + 3 * q, q, "%s/%s/SemEval2016-Task3-CQA-QL-dev.xml", data,
             dir[kind]);
    f->set = rel_kind_name((rel_kind)kind);
    f->corpus = buf;
    f->queries = buf + q;
    f->qrels = buf + 2 * q;
    f->xml = kind == REL_SEMEVAL ? buf + 3 * q : NULL;
}

int main(int argc, char **argv)
{
    rel_opts o = {"etc/deskdex.conf", -1, -1, -1, -1, 1, 0, 0, 0, 0,
                  -1, -1, -1, -1, -1, -1, "faq", 10, "filter", "suggest",
                  NULL, 0, 1, NULL, -1, -1};
    set_files one = {NULL, NULL, NULL, NULL, NULL};
    const char *data = "../shared/data", *engines = "deskdex,fts5,xapian";
    const char *json = NULL, *perq_path = NULL, *label = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
#define ARG(name) (!strcmp(a, name) && (v = value(argc, argv, &i)))
        if (ARG("--set"))
            one.set = v;
        else if (ARG("--corpus"))
            one.corpus = v;
        else if (ARG("--queries"))
            one.queries = v;
        else if (ARG("--qrels"))
            one.qrels = v;
        else if (ARG("--xml"))
            one.xml = v;
        else if (ARG("--data"))
            data = v;
        else if (ARG("--engines"))
            engines = v;
        else if (ARG("--json"))
            json = v;
        else if (ARG("--per-query"))
            perq_path = v;
        else if (ARG("--label"))
            label = v;
        else if (ARG("--config"))
            o.config = v;
        else if (ARG("--k1"))
            o.k1 = num(a, v);
        else if (ARG("--b"))
            o.b = num(a, v);
        else if (ARG("--title-weight"))
            o.title_weight = num(a, v);
        else if (ARG("--cjk-unigram-weight"))
            o.cjk_unigram_weight = num(a, v);
        else if (ARG("--thesaurus"))
            o.thesaurus = v;
        else if (ARG("--thesaurus-weight"))
            o.thesaurus_weight = num(a, v);
        else if (ARG("--thesaurus-words"))
            o.thesaurus_words = (int)num(a, v);
        else if (ARG("--audience"))
            o.audience = !strcmp(v, "agent");
        else if (ARG("--rf-terms"))
            o.rf_terms = (int)num(a, v);
        else if (ARG("--rf-docs"))
            o.rf_docs = (int)num(a, v);
        else if (ARG("--max-terms"))
            o.max_terms = (int)num(a, v);
        else if (ARG("--subject-weight"))
            o.subject_weight = num(a, v);
        else if (ARG("--expand-docs"))
            o.expand_docs = (int)num(a, v);
        else if (ARG("--expand-terms"))
            o.expand_terms = (int)num(a, v);
        else if (ARG("--expand-weight"))
            o.expand_weight = num(a, v);
        else if (ARG("--duplicate"))
            o.duplicate = num(a, v);
        else if (ARG("--sem-doc"))
            o.sem_doc = v;
        else if (ARG("--sem-comments"))
            o.sem_comments = (int)num(a, v);
        else if (ARG("--sem-mode"))
            o.sem_mode = v;
        else if (ARG("--sem-via"))
            o.sem_via = v;
        else if (ARG("--proto"))
            o.proto = v;
        else if (!strcmp(a, "--no-spelling"))
            o.spelling = 0;
        else if (!strcmp(a, "--snippets"))
            o.snippets = 1;
        else if (!strcmp(a, "--no-group"))
            o.group = 0;
        else if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
            o.verbose = 1;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return 0;
        } else {
            fprintf(stderr, "relevance: unknown argument %s\n%s", a, usage);
            return 2;
        }
#undef ARG
    }

    const rel_engine *eng[MAX_ENGINES];
    int neng = 0;
    for (const char *p = engines; *p && neng < MAX_ENGINES;) {
        size_t n = strcspn(p, ",");
        if (!(eng[neng] = engine_named(p, n))) {
            fprintf(stderr, "relevance: unknown engine %.*s\n", (int)n, p);
            return 2;
        }
        neng++;
        p += n + (p[n] == ',');
    }

    set_files files[MAX_SETS];
    static char bufs[MAX_SETS][4 * 1024];
    int nsets = 0;
    if (one.set) {
        int kind = rel_kind_parse(one.set);
        if (kind < 0) {
            fprintf(stderr, "relevance: unknown set %s\n", one.set);
            return 2;
        }
        set_files d;
        dev_files(&d, data, kind, bufs[0], sizeof bufs[0]);
        files[0] = d;
        if (one.corpus)
            files[0].corpus = one.corpus;
        if (one.queries)
            files[0].queries = one.queries;
        if (one.qrels)
            files[0].qrels = one.qrels;
        if (one.xml)
            files[0].xml = one.xml;
        nsets = 1;
    } else {
        for (int k = 0; k < 4; k++)
            dev_files(&files[nsets++], data, k, bufs[k], sizeof bufs[k]);
    }
    FILE *perq = perq_path ? fopen(perq_path, "w") : NULL;
    if (perq_path && !perq) {
        fprintf(stderr, "relevance: cannot write %s\n", perq_path);
        return 2;
    }
    set_result *res = calloc((size_t)nsets, sizeof *res);
    int failed = 0;
    for (int s = 0; s < nsets; s++) {
        rel_set set;
        int kind = rel_kind_parse(files[s].set);
        const char *xml = kind == REL_SEMEVAL && o.sem_doc &&
                                  !strcmp(o.sem_doc, "ticket")
                              ? files[s].xml
                              : NULL;
        if (rel_set_load(&set, (rel_kind)kind, files[s].corpus,
                         files[s].queries, files[s].qrels, xml) != 0) {
            rel_set_free(&set);
            return 2;
        }
        snprintf(res[s].name, sizeof res[s].name, "%s", set.name);
        res[s].nq = set.nq;
        res[s].ndocs = set.ndocs;
        for (int e = 0; e < neng; e++) {
            eng_result *r = &res[s].r[e];
            r->e = eng[e];
            if (score_engine(r, eng[e], &set, &o, perq) != 0) {
                failed++;
                continue;
            }
            fprintf(stderr, "relevance: %-16s %-8s %4zu queries ", set.name,
                    eng[e]->name, set.nq);
            for (int k = 0; k < REL_NMETRICS; k++)
                if (shown[kind][k])
                    fprintf(stderr, " %s %5.1f", rel_metric_names[k],
                            100 * rel_scores_get(&r->mean, k));
            fprintf(stderr, "  (index %.1f s, %.2f ms/query)\n", r->index_s,
                    r->query_ms);
        }
        rel_set_free(&set);
    }
    if (perq)
        fclose(perq);
    print_table(res, nsets, neng);
    if (json && write_json(json, res, nsets, neng, &o, label) != 0)
        failed++;
    free(res);
    return failed ? 1 : 0;
}

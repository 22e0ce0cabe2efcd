/* evalset.c - load the evaluation sets of ../shared/data at run time */
#define _XOPEN_SOURCE 700
#include "rel.h"

#include <ftw.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_COLS 8

/* --- small helpers --- */

/* Split line (modified in place) at tabs into at most MAX_COLS columns. */
static int split(char *line, char **col)
{
    int n = 0;
    size_t len = strlen(line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
    if (!len)
        return 0;
    col[n++] = line;
    for (char *p = line; *p && n < MAX_COLS; p++)
        if (*p == '\t') {
            *p = '\0';
            col[n++] = p + 1;
        }
    return n;
}

typedef int (*row_fn)(rel_set *s, char **col, int ncol, void *ctx);

/* Call fn for every non-empty line of path. */
static int each_row(const char *path, rel_set *s, row_fn fn, void *ctx)
{
    FILE *f = fopen(path, "r");
    char *line = NULL, *col[MAX_COLS];
    size_t cap = 0;
    long lineno = 0;
    int rc = 0;
    if (!f) {
        fprintf(stderr, "relevance: cannot open %s\n", path);
        return -1;
    }
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        lineno++;
        int n = split(line, col);
        if (n && (rc = fn(s, col, n, ctx)) != 0)
            fprintf(stderr, "relevance: %s:%ld: bad row\n", path, lineno);
    }
    free(line);
    fclose(f);
    return rc;
}

static int add_doc(rel_set *s, size_t *cap, rel_doc d)
{
    if (s->ndocs == *cap) {
        size_t nc = *cap ? *cap * 2 : 1024;
        rel_doc *v = realloc(s->docs, nc * sizeof *v);
        if (!v)
            return -1;
        s->docs = v;
        *cap = nc;
    }
    s->docs[s->ndocs++] = d;
    return 0;
}

/* --- corpus --- */

typedef struct {
    size_t cap;
} doc_ctx;

static int row_stackfaq(rel_set *s, char **c, int n, void *ctx)
{
    /* docid \t thread_id \t question \t answer */
    if (n < 4)
        return -1;
    rel_doc d = {strdup(c[0]), strdup(c[2]), strdup(c[3]), NULL,
                 strdup(c[1]), 0};
    return add_doc(s, &((doc_ctx *)ctx)->cap, d);
}

static int row_thread(rel_set *s, char **c, int n, void *ctx)
{
    /* One article per thread: its question, then every answer. */
    if (n < 4)
        return -1;
    if (s->ndocs && strcmp(s->docs[s->ndocs - 1].id, c[1]) == 0) {
        rel_doc *d = &s->docs[s->ndocs - 1];
        size_t a = strlen(d->body), b = strlen(c[3]);
        char *body = realloc(d->body, a + b + 3);
        if (!body)
            return -1;
        memcpy(body + a, "\n\n", 2);
        memcpy(body + a + 2, c[3], b + 1);
        d->body = body;
        return 0;
    }
    rel_doc d = {strdup(c[1]), strdup(c[2]), strdup(c[3]), NULL,
                 strdup(c[1]), 0};
    return add_doc(s, &((doc_ctx *)ctx)->cap, d);
}

static int row_bq(rel_set *s, char **c, int n, void *ctx)
{
    /* docid \t sentence */
    if (n < 2)
        return -1;
    rel_doc d = {strdup(c[0]), strdup(c[1]), strdup(""), NULL, NULL, 0};
    return add_doc(s, &((doc_ctx *)ctx)->cap, d);
}

static int row_semeval(rel_set *s, char **c, int n, void *ctx)
{
    /* qid \t docid \t ir_rank \t category \t subject \t body */
    if (n < 5)
        return -1;
    char *end = NULL;
    long r = strtol(c[2], &end, 10);
    if (end == c[2] || *end)
        return -1;
    rel_doc d = {strdup(c[1]), strdup(c[4]), strdup(n > 5 ? c[5] : ""),
                 NULL, strdup(c[0]), (int)r};
    return add_doc(s, &((doc_ctx *)ctx)->cap, d);
}

/* --- id lookup --- */

static const rel_set *sort_set;
static int by_id(const void *a, const void *b)
{
    return strcmp(sort_set->docs[*(const size_t *)a].id,
                  sort_set->docs[*(const size_t *)b].id);
}

long rel_set_find(const rel_set *s, const char *id, size_t len)
{
    size_t lo = 0, hi = s->ndocs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *m = s->docs[s->byid[mid]].id;
        int c = strncmp(m, id, len);
        if (c == 0 && m[len])
            c = 1;
        if (c == 0)
            return (long)s->byid[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

static long find_query(const rel_set *s, const char *id)
{
    /* Queries come sorted by id in every set; fall back to a scan. */
    size_t lo = 0, hi = s->nq;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(s->q[mid].id, id);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = 0; i < s->nq; i++)
        if (!strcmp(s->q[i].id, id))
            return (long)i;
    return -1;
}

/* --- queries and judgments --- */

static int row_query(rel_set *s, char **c, int n, void *ctx)
{
    size_t *cap = ctx;
    if (n < 2)
        return -1;
    if (s->nq == *cap) {
        size_t nc = *cap ? *cap * 2 : 512;
        rel_query *v = realloc(s->q, nc * sizeof *v);
        if (!v)
            return -1;
        s->q = v;
        *cap = nc;
    }
    rel_query *q = &s->q[s->nq++];
    memset(q, 0, sizeof *q);
    q->id = strdup(c[0]);
    if (s->kind == REL_SEMEVAL) {
        q->subject = strdup(c[1]);
        q->text = strdup(n > 2 ? c[2] : "");
    } else {
        q->text = strdup(c[1]);
    }
    q->self = -1;
    return q->id && q->text ? 0 : -1;
}

static int row_qrel(rel_set *s, char **c, int n, void *ctx)
{
    (void)ctx;
    /* qid \t docid \t rel   or TREC   qid \t 0 \t docid \t grade */
    if (n < 3)
        return -1;
    const char *qid = c[0], *did = n >= 4 ? c[2] : c[1];
    const char *g = n >= 4 ? c[3] : c[2];
    char *end = NULL;
    long grade = strtol(g, &end, 10);
    if (end == g || *end)
        return -1;
    long qi = find_query(s, qid);
    if (qi < 0)
        return 0; /* a query of another split */
    rel_query *q = &s->q[qi];
    rel_judgment *v = realloc(q->j, (q->nj + 1) * sizeof *v);
    if (!v)
        return -1;
    q->j = v;
    long d = rel_set_find(s, did, strlen(did));
    /* A judged document missing from the corpus still counts as relevant
     * in the denominators; it can never be retrieved. */
    q->j[q->nj].doc = d < 0 ? (size_t)-1 : (size_t)d;
    q->j[q->nj].grade = (int)grade;
    q->nj++;
    return 0;
}

/* --- SemEval comments from the original XML --- */

static char *node_text(xmlNode *n)
{
    xmlChar *t = xmlNodeGetContent(n);
    char *s = t ? strdup((const char *)t) : NULL;
    xmlFree(t);
    return s;
}

static void append(char **dst, const char *txt)
{
    size_t a = *dst ? strlen(*dst) : 0, b = strlen(txt);
    char *p = realloc(*dst, a + b + 2);
    if (!p)
        return;
    if (a)
        p[a++] = '\n';
    memcpy(p + a, txt, b + 1);
    *dst = p;
}

/* Each thread's comments, in order, as doc->extra ("\n" between). Only the
 * texts are used: the labels relate to the original question and would
 * leak the answer. */
static int load_comments(rel_set *s, const char *path)
{
    xmlDoc *x = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_HUGE);
    if (!x) {
        fprintf(stderr, "relevance: cannot parse %s\n", path);
        return -1;
    }
    for (xmlNode *oq = xmlDocGetRootElement(x)->children; oq; oq = oq->next) {
        if (oq->type != XML_ELEMENT_NODE)
            continue;
        for (xmlNode *th = oq->children; th; th = th->next) {
            if (th->type != XML_ELEMENT_NODE ||
                xmlStrcmp(th->name, (const xmlChar *)"Thread"))
                continue;
            xmlChar *id = xmlGetProp(th, (const xmlChar *)"THREAD_SEQUENCE");
            long d = id ? rel_set_find(s, (const char *)id,
                                       strlen((const char *)id))
                        : -1;
            xmlFree(id);
            if (d < 0)
                continue;
            for (xmlNode *c = th->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE ||
                    xmlStrcmp(c->name, (const xmlChar *)"RelComment"))
                    continue;
                for (xmlNode *t = c->children; t; t = t->next) {
                    if (t->type != XML_ELEMENT_NODE ||
                        xmlStrcmp(t->name, (const xmlChar *)"RelCText"))
                        continue;
                    char *txt = node_text(t);
                    if (txt) {
                        /* The TSVs collapse tabs and newlines; do too. */
                        for (char *p = txt; *p; p++)
                            if (*p == '\t' || *p == '\n' || *p == '\r')
                                *p = ' ';
                        append(&s->docs[d].extra, txt);
                    }
                    free(txt);
                }
            }
        }
    }
    xmlFreeDoc(x);
    return 0;
}

/* --- the set --- */

static const rel_set *cand_set;
static int by_ir_rank(const void *a, const void *b)
{
    int x = cand_set->docs[*(const size_t *)a].ir_rank;
    int y = cand_set->docs[*(const size_t *)b].ir_rank;
    return (x > y) - (x < y);
}

int rel_set_load(rel_set *s, rel_kind kind, const char *corpus,
                 const char *queries, const char *qrels, const char *xml)
{
    static const row_fn corpus_fn[] = {row_stackfaq, row_thread, row_bq,
                                       row_semeval};
    doc_ctx dc = {0};
    size_t qcap = 0;
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->name = rel_kind_name(kind);
    s->cutoff = kind == REL_SEMEVAL ? 10 : 100;
    s->graded = kind == REL_SEMEVAL;
    s->lang_zh = kind == REL_BQ;
    if (each_row(corpus, s, corpus_fn[kind], &dc) != 0)
        return -1;
    if (!(s->byid = malloc((s->ndocs + 1) * sizeof *s->byid)))
        return -1;
    for (size_t i = 0; i < s->ndocs; i++)
        s->byid[i] = i;
    sort_set = s;
    qsort(s->byid, s->ndocs, sizeof *s->byid, by_id);
    if (xml && kind == REL_SEMEVAL && load_comments(s, xml) != 0)
        return -1;
    if (each_row(queries, s, row_query, &qcap) != 0)
        return -1;
    if (each_row(qrels, s, row_qrel, NULL) != 0)
        return -1;
    for (size_t i = 0; i < s->nq; i++) {
        rel_query *q = &s->q[i];
        if (kind == REL_BQ)
            q->self = rel_set_find(s, q->id, strlen(q->id));
        if (kind != REL_SEMEVAL)
            continue;
        q->cands = malloc((s->ndocs + 1) * sizeof *q->cands);
        if (!q->cands)
            return -1;
        for (size_t d = 0; d < s->ndocs; d++)
            if (!strcmp(s->docs[d].group, q->id))
                q->cands[q->ncands++] = d;
        cand_set = s;
        qsort(q->cands, q->ncands, sizeof *q->cands, by_ir_rank);
    }
    return 0;
}

void rel_set_free(rel_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ndocs; i++) {
        free(s->docs[i].id);
        free(s->docs[i].title);
        free(s->docs[i].body);
        free(s->docs[i].extra);
        free(s->docs[i].group);
    }
    for (size_t i = 0; i < s->nq; i++) {
        free(s->q[i].id);
        free(s->q[i].subject);
        free(s->q[i].text);
        free(s->q[i].j);
        free(s->q[i].cands);
    }
    free(s->docs);
    free(s->q);
    free(s->byid);
    memset(s, 0, sizeof *s);
}

static const char *const kind_names[] = {"stackfaq", "stackfaq-thread", "bq",
                                         "semeval"};

int rel_kind_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(name, kind_names[i]))
            return i;
    return -1;
}

const char *rel_kind_name(rel_kind k) { return kind_names[k]; }

/* --- rankings --- */

int rel_ranking_add(rel_ranking *r, size_t doc)
{
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 128;
        size_t *v = realloc(r->v, nc * sizeof *v);
        if (!v)
            return -1;
        r->v = v;
        r->cap = nc;
    }
    r->v[r->n++] = doc;
    return 0;
}

void rel_ranking_free(rel_ranking *r)
{
    free(r->v);
    r->v = NULL;
    r->n = r->cap = 0;
}

void rel_finish(const rel_set *s, const rel_query *q, rel_ranking *r)
{
    unsigned char *seen = calloc(s->ndocs + 1, 1);
    size_t k = 0;
    if (!seen)
        return;
    for (size_t i = 0; i < r->n; i++) {
        size_t d = r->v[i];
        if (d >= s->ndocs || seen[d])
            continue;
        if (s->kind == REL_BQ && (long)d == q->self)
            continue;
        if (s->kind == REL_SEMEVAL && strcmp(s->docs[d].group, q->id))
            continue;
        seen[d] = 1;
        r->v[k++] = d;
    }
    r->n = k;
    /* Unretrieved candidates follow in the search engine's order, as the
     * official scorer's stable sort leaves ties. */
    for (size_t i = 0; i < q->ncands; i++)
        if (!seen[q->cands[i]])
            rel_ranking_add(r, q->cands[i]);
    if (r->n > (size_t)s->cutoff)
        r->n = (size_t)s->cutoff;
    free(seen);
}

/* --- misc --- */

char *rel_query_string(const rel_query *q)
{
    if (!q->subject)
        return strdup(q->text);
    size_t a = strlen(q->subject), b = strlen(q->text);
    char *s = malloc(a + b + 2);
    if (s) {
        memcpy(s, q->subject, a);
        s[a] = ' ';
        memcpy(s + a + 1, q->text, b + 1);
    }
    return s;
}

char *rel_tempdir(const char *tag)
{
    const char *t = getenv("TMPDIR");
    char buf[512];
    snprintf(buf, sizeof buf, "%s/deskdex-rel-%s-XXXXXX", t && *t ? t : "/tmp",
             tag);
    return mkdtemp(buf) ? strdup(buf) : NULL;
}

static int rm_one(const char *p, const struct stat *sb, int flag,
                  struct FTW *f)
{
    (void)sb;
    (void)flag;
    (void)f;
    remove(p);
    return 0;
}

void rel_rmtree(const char *path)
{
    if (path && *path)
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* eng_deskdex.c - deskdex itself: the indexer's ingest path and the code of
 * GET /v1/search (kb_search) and POST /v1/suggest (kb_suggest) */
#include "eng_deskdex.h"

#include "kb_doc.h"
#include "kb_error.h"
#include "kb_store.h"
#include "kb_suggest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- configuration --- */

int rel_dd_config(kb_config *c, const rel_opts *o)
{
    char *err = NULL;
    if (kb_config_defaults(c) != KB_OK)
        return -1;
    if (o->config && access(o->config, R_OK) == 0) {
        int rc = kb_config_load(c, o->config, &err);
        if (rc != KB_OK && rc != KB_ENOTFOUND) {
            fprintf(stderr, "relevance: %s\n", err ? err : kb_strerror(rc));
            kb_free(err);
            return -1;
        }
        kb_free(err);
    }
    if (o->k1 >= 0)
        c->k1 = o->k1;
    if (o->b >= 0)
        c->b = o->b;
    if (o->title_weight >= 0)
        c->title_weight = o->title_weight;
    if (o->cjk_unigram_weight >= 0)
        c->cjk_unigram_weight = o->cjk_unigram_weight;
    if (o->thesaurus) {
        free(c->thesaurus);
        c->thesaurus = strdup(o->thesaurus);
    }
    if (o->thesaurus_weight >= 0)
        c->thesaurus_weight = o->thesaurus_weight;
    if (o->thesaurus_words >= 0)
        c->thesaurus_words = o->thesaurus_words;
    if (kb_config_prepare(c, &err) != KB_OK)
        fprintf(stderr, "relevance: thesaurus: %s (searching without)\n",
                err ? err : "cannot load");
    kb_free(err);
    return 0;
}

/* --- ingest --- */

/* The record a source would hold for doc d, in one of the shapes that
 * kb_doc_from_json accepts. status: "published" or "draft". New. */
static json_t *record(const rel_set *s, const rel_doc *d, const rel_opts *o,
                      const char *status)
{
    if (s->kind == REL_STACKFAQ) /* a thread's answers, one entry each */
        return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "id", d->id,
                         "question", d->title, "answer", d->body, "lang",
                         "en", "status", status, "parent", d->group);
    if (s->kind != REL_SEMEVAL)
        return json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", d->id, "question",
                         d->title, "answer", d->body, "lang",
                         s->lang_zh ? "zh" : "en", "status", status);
    if (o->sem_doc && !strcmp(o->sem_doc, "ticket")) {
        /* An earlier thread as a resolved ticket: its comments are the
         * resolution an agent would read. */
        char *res = NULL;
        size_t keep = 0, n = 0;
        const char *c = d->extra ? d->extra : "";
        while (c[keep] && (int)n < o->sem_comments) {
            keep += strcspn(c + keep, "\n");
            n++;
            if (c[keep] && (int)n < o->sem_comments)
                keep++;
        }
        res = strndup(c, keep);
        json_t *r = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "id", d->id,
                              "subject", d->title, "description", d->body,
                              "resolution", res && *res ? res : "-",
                              "status", "resolved", "publish_status",
                              status);
        free(res);
        return r;
    }
    return json_pack("{s:s,s:s,s:s,s:s}", "id", d->id, "question", d->title,
                     "answer", d->body, "status", status);
}

int rel_dd_put(kb_xdb *w, const rel_set *s, size_t i, const rel_opts *o,
               const char *status)
{
    json_t *in = record(s, &s->docs[i], o, status), *doc = NULL;
    char *err = NULL;
    int outcome = 0, version = 0, rc;
    if (!in)
        return -1;
    rc = kb_doc_from_json(&doc, in, NULL, &err);
    if (rc == KB_OK)
        rc = kb_store_put(w, doc, "relevance", &outcome, &version, &err);
    if (rc != KB_OK)
        fprintf(stderr, "relevance: %s: %s\n", s->docs[i].id,
                err ? err : kb_strerror(rc));
    kb_free(err);
    json_decref(doc);
    json_decref(in);
    return rc == KB_OK ? 0 : -1;
}

int rel_dd_build(char **dir, kb_xdb **writer, const rel_set *s,
                 const rel_opts *o, const char *status)
{
    kb_xdb *w = NULL;
    char *err = NULL;
    int rc, bad = 0;
    *dir = rel_tempdir("deskdex");
    *writer = NULL;
    if (!*dir)
        return -1;
    rc = kb_xdb_open(&w, *dir, KB_XDB_WRITE | KB_XDB_NOSYNC, &err);
    if (rc == KB_OK)
        rc = kb_xdb_begin(w, &err);
    for (size_t i = 0; rc == KB_OK && i < s->ndocs; i++)
        bad += rel_dd_put(w, s, i, o, status) != 0;
    if (rc == KB_OK)
        rc = kb_xdb_commit(w, &err);
    if (rc != KB_OK) {
        fprintf(stderr, "relevance: index: %s\n", err ? err : kb_strerror(rc));
        kb_free(err);
        kb_xdb_close(w);
        return -1;
    }
    if (bad)
        fprintf(stderr, "relevance: %d documents were not indexed\n", bad);
    *writer = w;
    return 0;
}

/* --- the engine --- */

typedef struct {
    kb_config cfg;
    rel_opts o;
    char *dir;
    kb_xdb *w;  /* kept for SemEval's filter mode */
    kb_xdb *db; /* the reader, as in the server */
    long corrected;
} dd_state;

static int dd_open(void **out, const rel_set *s, const rel_opts *o)
{
    dd_state *st = calloc(1, sizeof *st);
    char *err = NULL;
    *out = NULL;
    if (!st)
        return -1;
    st->o = *o;
    int filter = s->kind == REL_SEMEVAL &&
                 !(o->sem_mode && !strcmp(o->sem_mode, "open"));
    if (rel_dd_config(&st->cfg, o) != 0 ||
        rel_dd_build(&st->dir, &st->w, s, o,
                     filter ? "draft" : "published") != 0)
        goto fail;
    if (!filter) {
        kb_xdb_close(st->w);
        st->w = NULL;
    }
    if (kb_xdb_open(&st->db, st->dir, KB_XDB_READ, &err) != KB_OK) {
        fprintf(stderr, "relevance: %s\n", err);
        kb_free(err);
        goto fail;
    }
    *out = st;
    return 0;
fail:
    kb_config_free(&st->cfg);
    kb_xdb_close(st->w);
    rel_rmtree(st->dir);
    free(st->dir);
    free(st);
    return -1;
}

/* Append the hits of a result array ("results":[{"id"…, "duplicates"?}])
 * to r; a collapsed duplicate follows the hit that stands for it. */
static void add_results(const rel_set *s, const json_t *res, rel_ranking *r)
{
    size_t i, j;
    json_t *hit, *dup;
    json_array_foreach(json_object_get(res, "results"), i, hit)
    {
        const char *id = json_string_value(json_object_get(hit, "id"));
        long d = id ? rel_set_find(s, id, strlen(id)) : -1;
        if (d >= 0)
            rel_ranking_add(r, (size_t)d);
        json_array_foreach(json_object_get(hit, "duplicates"), j, dup)
        {
            const char *did = json_string_value(dup);
            long dd = did ? rel_set_find(s, did, strlen(did)) : -1;
            if (dd >= 0)
                rel_ranking_add(r, (size_t)dd);
        }
    }
}

/* SemEval's filter mode: only q's candidates are published while it runs,
 * so the audience filter inside kb_suggest/kb_search restricts the search
 * to them while every candidate still counts in the statistics. */
static int publish(dd_state *st, const rel_set *s, const rel_query *q,
                   const char *status)
{
    char *err = NULL;
    int rc = kb_xdb_begin(st->w, &err);
    for (size_t i = 0; rc == KB_OK && i < q->ncands; i++)
        if (rel_dd_put(st->w, s, q->cands[i], &st->o, status) != 0)
            rc = KB_ERROR;
    if (rc == KB_OK)
        rc = kb_xdb_commit(st->w, &err);
    else
        kb_xdb_cancel(st->w, NULL);
    if (rc == KB_OK)
        rc = kb_xdb_reopen(st->db, &err);
    if (rc != KB_OK)
        fprintf(stderr, "relevance: publish: %s\n",
                err ? err : kb_strerror(rc));
    kb_free(err);
    return rc == KB_OK ? 0 : -1;
}

static int dd_rank(void *p, const rel_set *s, const rel_query *q,
                   rel_ranking *r)
{
    dd_state *st = p;
    const rel_opts *o = &st->o;
    json_t *res = NULL;
    char *err = NULL, *text = NULL;
    int rc;
    if (st->w && publish(st, s, q, "published") != 0)
        return -1;
    if (s->kind == REL_SEMEVAL && !(o->sem_via && !strcmp(o->sem_via,
                                                          "search"))) {
        kb_suggest_opts so = KB_SUGGEST_OPTS_INIT;
        so.subject = q->subject;
        so.description = q->text;
        so.limit = st->w ? (int)q->ncands : 40;
        so.audience = KB_AUD_AGENT;
        if (o->max_terms >= 0)
            so.max_terms = o->max_terms;
        if (o->subject_weight >= 0)
            so.subject_weight = o->subject_weight;
        if (o->expand_docs >= 0)
            so.expand_docs = o->expand_docs;
        if (o->expand_terms >= 0)
            so.expand_terms = o->expand_terms;
        if (o->expand_weight >= 0)
            so.expand_weight = o->expand_weight;
        if (o->duplicate >= 0)
            so.duplicate = o->duplicate;
        rc = kb_suggest(&res, st->db, &st->cfg, &so, &err);
    } else {
        kb_search_opts so = KB_SEARCH_OPTS_INIT;
        text = rel_query_string(q);
        so.q = text;
        so.limit = s->kind == REL_SEMEVAL ? (st->w ? 10 : 500)
                                          : s->cutoff + 1;
        so.audience = s->kind == REL_SEMEVAL ? KB_AUD_AGENT
                                             : (kb_audience)o->audience;
        so.spelling = o->spelling;
        so.snippets = o->snippets;
        so.facets = o->snippets;
        so.expand_terms = o->rf_terms;
        so.expand_docs = o->rf_docs;
        so.group = o->group;
        rc = kb_search(&res, st->db, &st->cfg, &so, &err);
        if (rc == KB_OK && json_object_get(res, "did_you_mean")) {
            st->corrected++;
            if (o->verbose)
                fprintf(stderr, "relevance: %s: \"%s\" searched as \"%s\"\n",
                        q->id, text,
                        json_string_value(json_object_get(res,
                                                          "did_you_mean")));
        }
    }
    if (rc == KB_OK)
        add_results(s, res, r);
    else
        fprintf(stderr, "relevance: %s: %s\n", q->id,
                err ? err : kb_strerror(rc));
    kb_free(err);
    free(text);
    json_decref(res);
    if (st->w && publish(st, s, q, "draft") != 0)
        return -1;
    return rc == KB_OK ? 0 : -1;
}

static void dd_close(void *p)
{
    dd_state *st = p;
    if (!st)
        return;
    if (st->o.verbose && st->corrected)
        fprintf(stderr, "relevance: deskdex: %ld queries searched as "
                        "spelling-corrected\n",
                st->corrected);
    kb_xdb_close(st->db);
    kb_xdb_close(st->w);
    kb_config_free(&st->cfg);
    rel_rmtree(st->dir);
    free(st->dir);
    free(st);
}

const rel_engine rel_engine_deskdex = {"deskdex", dd_open, dd_rank,
                                       dd_close};

/* eng_xapian.c - the stock-Xapian peer: Xapian's own scriptindex (default
 * TermGenerator: english stemmer, STEM_SOME) and quest (default
 * QueryParser flags, OR, BM25 defaults), run as programs so the project
 * keeps its single C++ file */
#define _XOPEN_SOURCE 700
#include "rel.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The index script: one unique id, two free-text fields without prefixes,
 * as a plain scriptindex set-up would have them. */
static const char script[] = "id : field=id boolean=Q unique=Q\n"
                             "title : index\n"
                             "body : index\n";

typedef struct {
    char *dir;
    char db[600];
    int cjk;
    int msize;
} xap_state;

/* Run argv with stdout into *out (new, NUL-terminated) when out is not
 * NULL, else to /dev/null. Returns the exit status, or -1. */
static int run(char *const argv[], int cjk, char **out)
{
    int fd[2] = {-1, -1};
    if (out && pipe(fd) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (cjk)
            setenv("XAPIAN_CJK_NGRAM", "1", 1);
        int null = open("/dev/null", O_WRONLY);
        if (out) {
            dup2(fd[1], 1);
            close(fd[0]);
            close(fd[1]);
        } else {
            dup2(null, 1);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    size_t len = 0, cap = 0;
    if (out) {
        close(fd[1]);
        *out = NULL;
        for (;;) {
            if (len + 4097 > cap) {
                cap = (len + 4097) * 2;
                char *v = realloc(*out, cap);
                if (!v)
                    break;
                *out = v;
            }
            ssize_t n = read(fd[0], *out + len, 4096);
            if (n <= 0)
                break;
            len += (size_t)n;
        }
        if (*out)
            (*out)[len] = '\0';
        close(fd[0]);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* name=value with newlines flattened (the dump format's line breaks need
 * escaping; the sets' texts are single lines already). */
static void field(FILE *f, const char *name, const char *v)
{
    fprintf(f, "%s=", name);
    for (const char *p = v ? v : ""; *p; p++)
        fputc(*p == '\n' || *p == '\r' ? ' ' : *p, f);
    fputc('\n', f);
}

static int xap_open(void **out, const rel_set *s, const rel_opts *o)
{
    xap_state *st = calloc(1, sizeof *st);
    char spath[600], dpath[600];
    FILE *f = NULL;
    (void)o;
    *out = NULL;
    if (!st || !(st->dir = rel_tempdir("xapian")))
        goto fail;
    st->cjk = s->lang_zh;
    st->msize = s->kind == REL_SEMEVAL ? (int)s->ndocs : s->cutoff + 1;
    snprintf(st->db, sizeof st->db, "%s/db", st->dir);
    snprintf(spath, sizeof spath, "%s/index.script", st->dir);
    snprintf(dpath, sizeof dpath, "%s/dump.txt", st->dir);
    if (!(f = fopen(spath, "w")))
        goto fail;
    fputs(script, f);
    fclose(f);
    if (!(f = fopen(dpath, "w")))
        goto fail;
    for (size_t i = 0; i < s->ndocs; i++) {
        field(f, "id", s->docs[i].id);
        field(f, "title", s->docs[i].title);
        field(f, "body", s->docs[i].body);
        fputc('\n', f);
    }
    fclose(f);
    f = NULL;
    char *argv[] = {"scriptindex", "--overwrite", st->db, spath, dpath,
                    NULL};
    if (run(argv, st->cjk, NULL) != 0) {
        fprintf(stderr, "relevance: scriptindex failed (is xapian-omega "
                        "installed?)\n");
        goto fail;
    }
    *out = st;
    return 0;
fail:
    if (f)
        fclose(f);
    if (st) {
        rel_rmtree(st->dir);
        free(st->dir);
        free(st);
    }
    return -1;
}

static int xap_rank(void *p, const rel_set *s, const rel_query *q,
                    rel_ranking *r)
{
    xap_state *st = p;
    char msize[16], *text = rel_query_string(q), *outp = NULL;
    if (!text)
        return -1;
    /* The query as quest takes it: one argument, no shell in between. */
    for (char *c = text; *c; c++)
        if (*c == '\n' || *c == '\r' || *c == '\t')
            *c = ' ';
    snprintf(msize, sizeof msize, "%d", st->msize);
    char *argv_en[] = {"quest", "-d", st->db, "-m", msize, "-s", "english",
                       "--", text, NULL};
    char *argv_zh[] = {"quest", "-d", st->db, "-m", msize, "-s", "english",
                       "-f", "default,cjk_ngram", "--", text, NULL};
    int rc = run(st->cjk ? argv_zh : argv_en, st->cjk, &outp);
    /* Each hit is "rank: [weight]" then its data, "id=…". */
    for (char *line = outp; line && *line;) {
        char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        if (n > 3 && !strncmp(line, "id=", 3)) {
            long d = rel_set_find(s, line + 3, n - 3);
            if (d >= 0)
                rel_ranking_add(r, (size_t)d);
        }
        line = nl ? nl + 1 : NULL;
    }
    if (rc != 0)
        fprintf(stderr, "relevance: quest failed on %s\n", q->id);
    free(outp);
    free(text);
    return rc == 0 ? 0 : -1;
}

static void xap_close(void *p)
{
    xap_state *st = p;
    if (!st)
        return;
    rel_rmtree(st->dir);
    free(st->dir);
    free(st);
}

const rel_engine rel_engine_xapian = {"xapian", xap_open, xap_rank,
                                      xap_close};

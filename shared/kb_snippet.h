/* kb_snippet.h - highlighted excerpts with the analyser's own offsets */
#ifndef KB_SNIPPET_H
#define KB_SNIPPET_H

#include "kb_text.h"

#include <stddef.h>
#include <stdint.h>

/* A small set of terms to mark (the query's). Not thread-safe. Looked up
 * once per word of every excerpt: a 256-bit filter on length and end bytes
 * turns most words away before any comparison. */
typedef struct kb_termset {
    char **v;
    size_t *len;
    size_t n, cap, nprefix;
    uint64_t filter[4];
    uint64_t first[4]; /* first bytes of the whole terms and prefixes */
    /* the Chinese/Japanese/Korean characters of the terms (see kb_sought) */
    uint64_t cjk[KB_CJK_BITS / 64];
} kb_termset;

#define KB_TERMSET_INIT                                                        \
    {                                                                          \
        NULL, NULL, 0, 0, 0, {0, 0, 0, 0}, {0, 0, 0, 0}, { 0 }                 \
    }

/* Add a term (copied). CJK unigrams are only marked on their own when they
 * were added with kb_termset_add_unigram (a one-character query run);
 * otherwise Chinese is marked where a bigram matched. */
int kb_termset_add(kb_termset *s, const char *t, size_t len);
int kb_termset_add_unigram(kb_termset *s, const char *t, size_t len);
/* Mark every word that starts with t (a word being typed, or prefix*). */
int kb_termset_add_prefix(kb_termset *s, const char *t, size_t len);
int kb_termset_has(const kb_termset *s, const char *t, size_t len);
void kb_termset_free(kb_termset *s);

/* An HTML excerpt of text of at most about maxbytes bytes of text around
 * the densest run of matches, with every matched word (whole words, and
 * whole matched Chinese spans) wrapped in <mark>…</mark> and everything
 * else HTML-escaped. "…" marks a cut. *out is new. st stems as the
 * document was stemmed. Returns KB_OK or KB_ENOMEM; text that does not
 * analyse (invalid UTF-8) comes back escaped and unmarked. */
int kb_snippet(char **out, const char *text, size_t len,
               const kb_termset *terms, kb_stemmer *st, size_t maxbytes);

/* kb_snippet in two steps, for several excerpts of one text (an FAQ's
 * snippet and answer): the matches are found once, then cut to each
 * length. text must outlive the marks. */
typedef struct {
    uint32_t start, end;
} kb_span;

typedef struct {
    const char *text;
    size_t len;
    kb_tokens tk;
    kb_span *sp; /* matched spans, in order, touching ones merged */
    size_t nsp;
} kb_marks;

#define KB_MARKS_INIT                                                          \
    {                                                                          \
        NULL, 0, KB_TOKENS_INIT, NULL, 0                                       \
    }

int kb_marks_find(kb_marks *m, const char *text, size_t len,
                  const kb_termset *terms, kb_stemmer *st);
int kb_marks_excerpt(char **out, const kb_marks *m, size_t maxbytes);
void kb_marks_free(kb_marks *m);

#endif

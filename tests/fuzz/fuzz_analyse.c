/* fuzz_analyse.c - fuzz target: the analyser and highlighted excerpts,
 * kb_analyse(), kb_analyse_for() and kb_snippet() */
#include "kb_snippet.h"
#include "kb_text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The analyser's promise: offsets inside the text, terms inside the pool. */
static void check(const kb_tokens *t, size_t len)
{
    for (size_t i = 0; i < t->n; i++) {
        const kb_token *k = &t->v[i];
        if (k->start > k->end || k->end > len ||
            (size_t)k->term + k->tlen >= t->plen + 1 ||
            (size_t)k->word + k->wlen >= t->plen + 1) {
            fprintf(stderr, "token %zu out of range\n", i);
            abort();
        }
    }
}

/* A Chinese token sought as the excerpts seek it: a unigram by its own
 * key, a bigram as itself. */
static int sought_cjk(void *ctx, const char *t, size_t len, int kind)
{
    char key[16];
    if (kind != KB_TOK_CJK1)
        return kb_termset_has(ctx, t, len);
    if (len + 2 > sizeof key)
        return 0;
    key[0] = '\x01';
    memcpy(key + 1, t, len);
    return kb_termset_has(ctx, key, len + 1);
}

/* The terms' Chinese characters let kb_analyse_for pass over the others
 * without asking: it must make the same tokens as when it asks. */
static void same_with_cjk_chars(const char *text, size_t len, kb_stemmer *st,
                                const kb_termset *terms)
{
    kb_sought all = {{~(uint64_t)0, ~(uint64_t)0, ~(uint64_t)0, ~(uint64_t)0},
                     sought_cjk,
                     (void *)terms,
                     NULL};
    kb_sought some = all;
    some.cjk_chars = terms->cjk;
    kb_tokens a = KB_TOKENS_INIT, b = KB_TOKENS_INIT;
    int ra = kb_analyse_for(&a, text, len, st, &all, NULL);
    int rb = kb_analyse_for(&b, text, len, st, &some, NULL);
    if (ra != rb || (ra == 0 && a.n != b.n)) {
        fprintf(stderr, "analyse_for: %d/%d, %zu/%zu tokens\n", ra, rb, a.n,
                b.n);
        abort();
    }
    for (size_t i = 0; ra == 0 && i < a.n; i++) {
        const kb_token *x = &a.v[i], *y = &b.v[i];
        if (x->start != y->start || x->end != y->end || x->pos != y->pos ||
            x->kind != y->kind || x->tlen != y->tlen ||
            memcmp(kb_tok_term(&a, x), kb_tok_term(&b, y), x->tlen) != 0) {
            fprintf(stderr, "analyse_for: token %zu differs\n", i);
            abort();
        }
    }
    kb_tokens_free(&a);
    kb_tokens_free(&b);
}

/*
 * The first byte chooses the stemmer (byte % 6: en de zh fr ru none) and
 * the excerpt size (byte / 6 % 4: 40 140 240 600 bytes). The rest is a
 * query up to the first newline and the text to excerpt after it (the
 * whole rest is both when there is no newline).
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const langs[] = {"en", "de", "zh", "fr", "ru", NULL};
    static const size_t maxes[] = {40, 140, 240, 600};
    if (size < 1)
        return 0;
    unsigned b = data[0];
    kb_stemmer *st = langs[b % 6] ? kb_stemmer_for(langs[b % 6]) : NULL;
    size_t max = maxes[b / 6 % 4];
    size_t n = size - 1;
    /* Exactly the bytes, nothing after them. */
    char *buf = malloc(n ? n : 1);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, n);
    const char *nl = memchr(buf, '\n', n);
    size_t qlen = nl ? (size_t)(nl - buf) : n;
    const char *text = nl ? nl + 1 : buf;
    size_t tlen = nl ? n - qlen - 1 : n;

    kb_tokens tk = KB_TOKENS_INIT;
    kb_termset terms = KB_TERMSET_INIT;
    char *msg = NULL, *snip = NULL;
    if (kb_analyse(&tk, buf, qlen, st, 1, &msg) == 0) {
        check(&tk, qlen);
        size_t ncjk1 = 0;
        for (size_t i = 0; i < tk.n; i++)
            ncjk1 += tk.v[i].kind == KB_TOK_CJK1;
        for (size_t i = 0; i < tk.n; i++) {
            const kb_token *k = &tk.v[i];
            if (k->kind == KB_TOK_WORD && i + 1 == tk.n)
                kb_termset_add_prefix(&terms, kb_tok_word(&tk, k), k->wlen);
            else if (k->kind == KB_TOK_CJK1 && ncjk1 == 1)
                kb_termset_add_unigram(&terms, kb_tok_term(&tk, k), k->tlen);
            else
                kb_termset_add(&terms, kb_tok_term(&tk, k), k->tlen);
            kb_termset_has(&terms, kb_tok_term(&tk, k), k->tlen);
        }
    }
    free(msg);
    msg = NULL;
    /* The document text, reusing the token list as the indexer does. */
    if (kb_analyse(&tk, text, tlen, st, 1 + (b & 7) * 100, &msg) == 0)
        check(&tk, tlen);
    free(msg);
    same_with_cjk_chars(text, tlen, st, &terms);
    kb_snippet(&snip, text, tlen, &terms, st, max);
    free(snip);
    kb_termset_free(&terms);
    kb_tokens_free(&tk);
    free(buf);
    return 0;
}

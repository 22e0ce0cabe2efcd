/* kb_text.h - the one analyser: UTF-8 checks, normalisation, tokens, stems */
#ifndef KB_TEXT_H
#define KB_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Token kinds. A CJK run of n characters yields n unigrams and n-1
 * overlapping bigrams; every other run of letters and digits is a word. */
enum { KB_TOK_WORD = 0, KB_TOK_CJK1 = 1, KB_TOK_CJK2 = 2 };

typedef struct kb_token {
    uint32_t term; /* offset of the term in kb_tokens.pool (NUL-terminated) */
    uint32_t tlen; /* term length in bytes */
    uint32_t word; /* offset of the normalised unstemmed word in pool */
    uint32_t wlen;
    uint32_t start; /* byte offsets of the token in the analysed text */
    uint32_t end;
    uint32_t pos; /* 1-based position; a bigram shares its first char's */
    uint8_t kind;
} kb_token;

/* Tokens of one text. Reuse one kb_tokens across calls: kb_analyse resets
 * it. Free with kb_tokens_free. */
typedef struct kb_tokens {
    kb_token *v;
    size_t n, cap;
    char *pool;
    size_t plen, pcap;
} kb_tokens;

#define KB_TOKENS_INIT                                                         \
    {                                                                          \
        NULL, 0, 0, NULL, 0, 0                                                 \
    }

void kb_tokens_free(kb_tokens *t);
static inline const char *kb_tok_term(const kb_tokens *t, const kb_token *k)
{
    return t->pool + k->term;
}
static inline const char *kb_tok_word(const kb_tokens *t, const kb_token *k)
{
    return t->pool + k->word;
}

/* A stemmer for one language (libstemmer). Not thread-safe: one per
 * thread. */
typedef struct kb_stemmer kb_stemmer;

/* lang is an ISO 639-1 code ("en", "de", "zh") or a libstemmer name
 * ("english"). Languages without a stemmer (Chinese, Japanese, Korean, or
 * unknown codes) get English stemming for their Latin-script words.
 * Returns NULL only when out of memory. */
kb_stemmer *kb_stemmer_new(const char *lang);
void kb_stemmer_free(kb_stemmer *st);
/* The language code or algorithm name the stemmer was made with. Borrowed. */
const char *kb_stemmer_name(const kb_stemmer *st);

/* A per-thread set of stemmers, one per language, created on first use.
 * Borrowed; lives until the thread calls kb_stemmers_release(). */
kb_stemmer *kb_stemmer_for(const char *lang);
void kb_stemmers_release(void);

/* Analyse text (len bytes of UTF-8). Terms are NFKC-normalised, case-folded
 * and stemmed by st (no stemming when st is NULL); CJK runs become
 * unigrams + bigrams. firstpos is the position of the first token (use it
 * to keep fields apart). Returns KB_OK, KB_EUTF8 (with the byte offset in
 * errmsg) or KB_ENOMEM. */
int kb_analyse(kb_tokens *out, const char *text, size_t len, kb_stemmer *st,
               uint32_t firstpos, char **errmsg);

/* What kb_analyse_for is looking for, so that it can skip the rest. */
typedef struct kb_sought {
    /* A word in ASCII whose first byte (lower-cased) is not set here (a
     * bit per byte value: the first bytes of the whole terms and of the
     * prefixes sought) can match nothing: its token keeps its span and
     * position, with an empty word and term, and it is not stemmed.
     * Applied with stemmers that change a word's ending alone (English and
     * the other Western European ones); with others every word is made in
     * full. */
    uint64_t first[4];
    /* Keep this Chinese/Japanese/Korean token (kind KB_TOK_CJK1 or _CJK2,
     * its normalised term)? Tokens it turns down are not made. NULL: all. */
    int (*cjk)(void *ctx, const char *term, size_t len, int kind);
    void *ctx;
    /* With cjk: a bit per Chinese/Japanese/Korean character of the sought
     * terms, KB_CJK_BIT(code point) (a hash: other characters may share
     * it), or NULL. A character whose Simplified form's bit is clear is
     * in no sought term: cjk is not asked about its unigram, nor about
     * the bigrams it is part of. */
    const uint64_t *cjk_chars;
} kb_sought;

#define KB_CJK_BITS 4096
#define KB_CJK_BIT(cp) ((uint32_t)(cp) & (KB_CJK_BITS - 1))

/* kb_analyse for matching against known terms (excerpts): the same tokens
 * as far as the sought terms go, made faster by s (see kb_sought). */
int kb_analyse_for(kb_tokens *out, const char *text, size_t len, kb_stemmer *st,
                   const kb_sought *s, char **errmsg);

/* Check UTF-8 validity; returns the offset of the first bad byte, or -1. */
long kb_utf8_invalid_at(const char *s, size_t len);

/* Normalise a string (NFKC + case fold). *out is new. */
int kb_normalise(char **out, const char *s, size_t len);

/* 1 if the normalised, unstemmed word is an English stop word. */
int kb_is_stopword(const char *w, size_t len);

/* Whether the words a and b, written apart ("back up", "wolfram alpha",
 * "e-mail"), may be one word written as two: a is no stop word, and b is
 * none or one of the particles that end compounds ("up" in "setup", "in"
 * in "login", "through" in "strikethrough"). Both are kb_tok_word's. */
int kb_joinable(const char *a, size_t al, const char *b, size_t bl);

/* The word a and b make written together ("back up" -> "backup"), when
 * they may be one (kb_joinable): 1 with it, analysed by st, as the single
 * token of *tk (no stop word); else 0. The caller frees *tk either way. */
int kb_join_words(kb_tokens *tk, const char *a, size_t al, const char *b,
                  size_t bl, kb_stemmer *st);

/* 1 if the code point is CJK (Han, kana, Hangul). */
int kb_is_cjk(int32_t cp);

/* Build the table that folds Traditional Chinese characters to Simplified
 * now (about 40 ms, once per process) rather than when the first Chinese
 * text is analysed: a server calls it at start. Thread-safe. */
void kb_text_prepare(void);

#endif

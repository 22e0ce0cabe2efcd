/* text_test.c - the analyser: UTF-8 checks, normalisation, tokens, stems */
#include "kb_buf.h"
#include "kb_error.h"
#include "kb_snippet.h"
#include "kb_text.h"

#include "testhelp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- helpers --- */

/* Analyse s (NUL-terminated) with st; returns the rc. */
static int analyse(kb_tokens *tk, const char *s, kb_stemmer *st, char **errmsg)
{
    return kb_analyse(tk, s, strlen(s), st, 1, errmsg);
}

static const char *term(const kb_tokens *tk, size_t i)
{
    return i < tk->n ? kb_tok_term(tk, &tk->v[i]) : "(none)";
}

static const char *word(const kb_tokens *tk, size_t i)
{
    return i < tk->n ? kb_tok_word(tk, &tk->v[i]) : "(none)";
}

/* The first term of text analysed by st, in buf. */
static const char *first_term(const char *text, kb_stemmer *st, char *buf,
                              size_t n)
{
    kb_tokens tk = KB_TOKENS_INIT;
    buf[0] = '\0';
    if (analyse(&tk, text, st, NULL) == KB_OK && tk.n)
        snprintf(buf, n, "%s", term(&tk, 0));
    kb_tokens_free(&tk);
    return buf;
}

/* Index of the token with that term and kind, or -1. */
static long find(const kb_tokens *tk, const char *t, int kind)
{
    for (size_t i = 0; i < tk->n; i++)
        if (tk->v[i].kind == kind && strcmp(term(tk, i), t) == 0)
            return (long)i;
    return -1;
}

/* Check a token's kind, offsets and position. */
static int tok_is(const kb_tokens *tk, const char *t, int kind, uint32_t start,
                  uint32_t end, uint32_t pos)
{
    long i = find(tk, t, kind);
    if (i < 0) {
        fprintf(stderr, "  no token \"%s\" of kind %d\n", t, kind);
        return 0;
    }
    const kb_token *k = &tk->v[i];
    if (k->start != start || k->end != end || k->pos != pos) {
        fprintf(stderr,
                "  token \"%s\": [%u,%u) pos %u, wanted [%u,%u) pos %u\n", t,
                k->start, k->end, k->pos, start, end, pos);
        return 0;
    }
    return 1;
}

/* --- normalisation and case folding --- */

static void test_text__fullwidth_vpn_equals_vpn(void)
{
    char a[32], b[32], c[32];
    kb_stemmer *en = kb_stemmer_for("en");
    CHECK_STR(first_term("\xEF\xBC\xB6\xEF\xBC\xB0\xEF\xBC\xAE", en, a,
                         sizeof a), /* ＶＰＮ */
              "vpn");
    CHECK_STR(first_term("VPN", en, b, sizeof b), "vpn");
    CHECK_STR(first_term("vpn", en, c, sizeof c), "vpn");
    CHECK_STR(a, b);
}

static void test_text__sharp_s_folds_to_ss(void)
{
    char *x = NULL, *y = NULL;
    char a[32], b[32];
    CHECK_RC(kb_normalise(&x,
                          "Stra\xC3\x9F"
                          "e",
                          7),
             KB_OK); /* Straße */
    CHECK_RC(kb_normalise(&y, "STRASSE", 7), KB_OK);
    CHECK_STR(x, "strasse");
    CHECK_STR(y, "strasse");
    free(x);
    free(y);
    /* Unstemmed terms of the analyser agree too. */
    CHECK_STR(first_term("Stra\xC3\x9F"
                         "e",
                         NULL, a, sizeof a),
              first_term("STRASSE", NULL, b, sizeof b));
}

static void test_text__normalise_composes_and_folds_accents_consistently(void)
{
    char *x = NULL, *y = NULL, *z = NULL;
    /* "É" precomposed and "E" + combining acute become the same bytes. */
    CHECK_RC(kb_normalise(&x, "\xC3\x89t\xC3\xA9", 5), KB_OK);
    CHECK_RC(kb_normalise(&y, "E\xCC\x81t\xC3\xA9", 6), KB_OK);
    CHECK_STR(x, "\xC3\xA9t\xC3\xA9"); /* été */
    CHECK_STR(x, y);
    /* The ligature "ﬁ" is two letters after NFKC. */
    CHECK_RC(kb_normalise(&z, "\xEF\xAC\x81le", 5), KB_OK);
    CHECK_STR(z, "file");
    free(x);
    free(y);
    free(z);
}

static void test_text__normalise_makes_typographic_apostrophes_ascii(void)
{
    char *x = NULL;
    CHECK_RC(kb_normalise(&x, "Don\xE2\x80\x99t", 7), KB_OK);
    CHECK_STR(x, "don't");
    free(x);
}

static void test_text__normalise_rejects_invalid_utf8(void)
{
    char *x = (char *)"untouched";
    CHECK_RC(kb_normalise(&x, "caf\xC3", 4), KB_EUTF8);
    CHECK(x == NULL);
}

/* --- stemming --- */

static void test_text__english_connections_stem_to_connect(void)
{
    char a[32], b[32], c[32];
    kb_stemmer *en = kb_stemmer_for("en");
    CHECK(en != NULL);
    CHECK_STR(first_term("connections", en, a, sizeof a), "connect");
    CHECK_STR(first_term("Connecting", en, b, sizeof b), "connect");
    CHECK_STR(first_term("connected", en, c, sizeof c), "connect");
}

static void test_text__remembered_stems_equal_fresh_ones(void)
{
    /* A stemmer remembers the stems it made. Words that share a slot, long
     * words and thousands of words later, each stem is the one a new
     * stemmer makes. */
    static const char *const w[] = {"connections",
                                    "running",
                                    "relational",
                                    "happiness",
                                    "generalized",
                                    "internationalizations",
                                    "counterrevolutionaries",
                                    "printers"};
    size_t nw = sizeof w / sizeof *w;
    kb_stemmer *memo = kb_stemmer_new("en");
    CHECK(memo != NULL);
    if (!memo)
        return;
    kb_buf text = KB_BUF_INIT(1 << 20);
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < nw; i++)
            kb_buf_printf(&text, "%s ", w[i]);
        for (int i = 0; i < 3000; i++) /* more words than slots */
            kb_buf_printf(&text, "w%dings ", i);
    }
    kb_tokens a = KB_TOKENS_INIT, b = KB_TOKENS_INIT;
    CHECK_RC(kb_analyse(&a, text.data, text.len, memo, 1, NULL), KB_OK);
    size_t same = 0, checked = 0;
    /* The first 40 tokens, then every 97th: a new stemmer each is slow. */
    for (size_t i = 0; i < a.n; i = i < 40 ? i + 1 : i + 97) {
        kb_stemmer *fresh = kb_stemmer_new("en");
        const kb_token *k = &a.v[i];
        checked++;
        if (fresh &&
            kb_analyse(&b, text.data + k->start, k->end - k->start, fresh, 1,
                       NULL) == KB_OK &&
            b.n == 1 && !strcmp(kb_tok_term(&b, &b.v[0]), kb_tok_term(&a, k)))
            same++;
        kb_stemmer_free(fresh);
    }
    CHECK(checked > 100 && same == checked);
    CHECK(a.n == 3 * (nw + 3000));
    CHECK_STR(kb_tok_term(&a, &a.v[0]), "connect");
    CHECK_STR(kb_tok_term(&a, &a.v[nw + 3000 + 1]), "run");
    kb_tokens_free(&a);
    kb_tokens_free(&b);
    kb_buf_free(&text);
    kb_stemmer_free(memo);
}

static void test_text__german_french_spanish_stem_their_plurals(void)
{
    char a[32], b[32];
    kb_stemmer *de = kb_stemmer_for("de");
    kb_stemmer *fr = kb_stemmer_for("fr");
    kb_stemmer *es = kb_stemmer_for("es");
    CHECK(de && fr && es);
    CHECK(de != fr && fr != es);
    /* German: Verbindungen and Verbindung share a stem. */
    CHECK_STR(first_term("Verbindungen", de, a, sizeof a),
              first_term("Verbindung", de, b, sizeof b));
    CHECK_STR(a, "verbind");
    /* French: imprimantes / imprimante, réseaux / réseau. */
    CHECK_STR(first_term("imprimantes", fr, a, sizeof a),
              first_term("imprimante", fr, b, sizeof b));
    CHECK_STR(a, "imprim");
    CHECK_STR(first_term("r\xC3\xA9seaux", fr, a, sizeof a),
              first_term("r\xC3\xA9seau", fr, b, sizeof b));
    /* Spanish: conexiones / conexión. */
    CHECK_STR(first_term("conexiones", es, a, sizeof a),
              first_term("conexi\xC3\xB3n", es, b, sizeof b));
    CHECK_STR(a, "conexion");
    /* English stems the German word differently: the languages differ. */
    CHECK(strcmp(first_term("Verbindungen", kb_stemmer_for("en"), b, sizeof b),
                 "verbind") != 0);
}

static void test_text__stemmer_for_caches_one_stemmer_per_language(void)
{
    kb_stemmer *a = kb_stemmer_for("de");
    kb_stemmer *b = kb_stemmer_for("de");
    CHECK(a != NULL && a == b);
    /* No language means English. */
    CHECK(kb_stemmer_for(NULL) == kb_stemmer_for("en"));
    CHECK(kb_stemmer_for("") == kb_stemmer_for("en"));
}

static void test_text__languages_without_a_stemmer_fall_back_to_english(void)
{
    char a[32];
    kb_stemmer *zh = kb_stemmer_new("zh");
    kb_stemmer *xx = kb_stemmer_new("xx-unknown");
    kb_stemmer *named = kb_stemmer_new("english");
    CHECK(zh != NULL && xx != NULL && named != NULL);
    if (zh && xx && named) {
        CHECK_STR(kb_stemmer_name(zh), "english");
        CHECK_STR(kb_stemmer_name(xx), "english");
        CHECK_STR(kb_stemmer_name(named), "english");
        CHECK_STR(first_term("printers", zh, a, sizeof a), "printer");
    }
    kb_stemmer_free(zh);
    kb_stemmer_free(xx);
    kb_stemmer_free(named);
    kb_stemmer_free(NULL);
}

static void test_text__without_a_stemmer_terms_are_the_words(void)
{
    kb_tokens tk = KB_TOKENS_INIT;
    CHECK_RC(analyse(&tk, "Printers Jammed", NULL, NULL), KB_OK);
    CHECK(tk.n == 2);
    CHECK_STR(term(&tk, 0), "printers");
    CHECK_STR(term(&tk, 1), "jammed");
    kb_tokens_free(&tk);
}

static void test_text__word_keeps_the_unstemmed_form_beside_the_stem(void)
{
    kb_tokens tk = KB_TOKENS_INIT;
    CHECK_RC(analyse(&tk, "Printers", kb_stemmer_for("en"), NULL), KB_OK);
    CHECK(tk.n == 1);
    CHECK_STR(term(&tk, 0), "printer");
    CHECK_STR(word(&tk, 0), "printers");
    CHECK(tk.v[0].tlen == 7 && tk.v[0].wlen == 8);
    kb_tokens_free(&tk);
}

/* --- Chinese, Japanese, Korean --- */

static void test_text__chinese_run_gives_unigrams_and_bigrams(void)
{
    /* 忘记密码: each character is 3 bytes. */
    const char *s = "\xE5\xBF\x98\xE8\xAE\xB0\xE5\xAF\x86\xE7\xA0\x81";
    kb_tokens tk = KB_TOKENS_INIT;
    CHECK_RC(analyse(&tk, s, kb_stemmer_for("zh"), NULL), KB_OK);
    CHECK(tk.n == 7);
    CHECK(tok_is(&tk, "\xE5\xBF\x98", KB_TOK_CJK1, 0, 3, 1));  /* 忘 */
    CHECK(tok_is(&tk, "\xE8\xAE\xB0", KB_TOK_CJK1, 3, 6, 2));  /* 记 */
    CHECK(tok_is(&tk, "\xE5\xAF\x86", KB_TOK_CJK1, 6, 9, 3));  /* 密 */
    CHECK(tok_is(&tk, "\xE7\xA0\x81", KB_TOK_CJK1, 9, 12, 4)); /* 码 */
    CHECK(tok_is(&tk, "\xE5\xBF\x98\xE8\xAE\xB0", KB_TOK_CJK2, 0, 6,
                 1)); /* 忘记 */
    CHECK(tok_is(&tk, "\xE8\xAE\xB0\xE5\xAF\x86", KB_TOK_CJK2, 3, 9,
                 2)); /* 记密 */
    CHECK(tok_is(&tk, "\xE5\xAF\x86\xE7\xA0\x81", KB_TOK_CJK2, 6, 12,
                 3)); /* 密码 */
    kb_tokens_free(&tk);
}

static void test_text__single_chinese_character_has_no_bigram(void)
{
    kb_tokens tk = KB_TOKENS_INIT;
    CHECK_RC(analyse(&tk, "\xE5\xAF\x86", NULL, NULL), KB_OK); /* 密 */
    CHECK(tk.n == 1);
    CHECK(tk.v[0].kind == KB_TOK_CJK1);
    kb_tokens_free(&tk);
}

static void test_text__mixed_vpn_chinese_splits_into_word_and_cjk(void)
{
    /* VPN连接 */
    const char *s = "VPN\xE8\xBF\x9E\xE6\x8E\xA5";
    kb_tokens tk = KB_TOKENS_INIT;
    CHECK_RC(analyse(&tk, s, kb_stemmer_for("zh"), NULL), KB_OK);
    CHECK(tk.n == 4);
    CHECK(tok_is(&tk, "vpn", KB_TOK_WORD, 0, 3, 1));
    CHECK(tok_is(&tk, "\xE8\xBF\x9E", KB_TOK_CJK1, 3, 6, 2)); /* 连 */
    CHECK(tok_is(&tk, "\xE6\x8E\xA5", KB_TOK_CJK1, 6, 9, 3)); /* 接 */
    CHECK(tok_is(&tk, "\xE8\xBF\x9E\xE6\x8E\xA5", KB_TOK_CJK2, 3, 9, 2));
    kb_tokens_free(&tk);

    /* And the other way round: 连接VPN失败 */
    CHECK_RC(analyse(&tk, "\xE8\xBF\x9E\xE6\x8E\xA5VPN\xE5\xA4\xB1\xE8\xB4\xA5",
                     NULL, NULL),
             KB_OK);
    CHECK(tok_is(&tk, "vpn", KB_TOK_WORD, 6, 9, 3));
    CHECK(tok_is(&tk, "\xE5\xA4\xB1\xE8\xB4\xA5", KB_TOK_CJK2, 9, 15, 4));
    /* No bigram spans the word. */
    CHECK(find(&tk, "\xE6\x8E\xA5\xE5\xA4\xB1", KB_TOK_CJK2) < 0);
    kb_tokens_free(&tk);
}

static void test_text__chinese_punctuation_breaks_a_run(void)
{
    /* 密码，忘记 : the full-width comma is not CJK text. */
    const char *s = "\xE5\xAF\x86\xE7\xA0\x81\xEF\xBC\x8C\xE5\xBF\x98\xE8\xAE"
                    "\xB0";
    kb_tokens tk = KB_TOKENS_INIT;
    CHECK_RC(analyse(&tk, s, NULL, NULL), KB_OK);
    CHECK(tk.n == 6);
    CHECK(find(&tk, "\xE7\xA0\x81\xE5\xBF\x98", KB_TOK_CJK2) < 0); /* 码忘 */
    CHECK(tok_is(&tk, "\xE5\xBF\x98\xE8\xAE\xB0", KB_TOK_CJK2, 9, 15, 3));
    kb_tokens_free(&tk);
}

static void test_text__traditional_chinese_folds_to_simplified(void)
{
    /* 帳戶密碼 searches as 帐户密码; offsets and words stay the text's own */
    const char *t = "帳戶密碼", *s = "帐户密码";
    kb_tokens tk = KB_TOKENS_INIT, sk = KB_TOKENS_INIT;
    CHECK_RC(analyse(&tk, t, NULL, NULL), KB_OK);
    CHECK_RC(analyse(&sk, s, NULL, NULL), KB_OK);
    CHECK(tk.n == 7 && sk.n == 7);
    for (size_t i = 0; i < tk.n && i < sk.n; i++) {
        CHECK_STR(term(&tk, i), term(&sk, i));
        CHECK(tk.v[i].start == sk.v[i].start && tk.v[i].end == sk.v[i].end);
    }
    CHECK(tok_is(&tk, "帐", KB_TOK_CJK1, 0, 3, 1));
    CHECK(tok_is(&tk, "帐户", KB_TOK_CJK2, 0, 6, 1));
    CHECK(tok_is(&tk, "密码", KB_TOK_CJK2, 6, 12, 3));
    CHECK_STR(word(&tk, 0), "帳");
    CHECK_STR(word(&sk, 0), "帐");
    kb_tokens_free(&tk);
    /* Simplified text, kana and hangul are left as they are. */
    CHECK_RC(analyse(&tk, "为什么", NULL, NULL), KB_OK);
    CHECK(find(&tk, "为什", KB_TOK_CJK2) >= 0);
    CHECK_RC(analyse(&tk, "為什麼", NULL, NULL), KB_OK);
    CHECK(find(&tk, "为什", KB_TOK_CJK2) >= 0 &&
          find(&tk, "什么", KB_TOK_CJK2) >= 0);
    CHECK_RC(analyse(&tk, "パスワード한국", NULL, NULL), KB_OK);
    CHECK(find(&tk, "パス", KB_TOK_CJK2) >= 0 &&
          find(&tk, "한국", KB_TOK_CJK2) >= 0);
    kb_tokens_free(&tk);
    kb_tokens_free(&sk);
}

static void test_text__kana_and_hangul_count_as_cjk(void)
{
    CHECK(kb_is_cjk(0x5BC6)); /* 密 */
    CHECK(kb_is_cjk(0x3042)); /* あ */
    CHECK(kb_is_cjk(0x30AB)); /* カ */
    CHECK(kb_is_cjk(0xD55C)); /* 한 */
    CHECK(!kb_is_cjk('A'));
    CHECK(!kb_is_cjk(0xFF0C)); /* ， */
    CHECK(!kb_is_cjk(0x00E9)); /* é */
}

/* --- words and offsets --- */

static void test_text__offsets_of_words_in_hello_world(void)
{
    /* "Hello, wörld!": ö is two bytes. */
    const char *s = "Hello, w\xC3\xB6rld!";
    kb_tokens tk = KB_TOKENS_INIT;
    CHECK_RC(analyse(&tk, s, NULL, NULL), KB_OK);
    CHECK(tk.n == 2);
    CHECK(tok_is(&tk, "hello", KB_TOK_WORD, 0, 5, 1));
    CHECK(tok_is(&tk, "w\xC3\xB6rld", KB_TOK_WORD, 7, 13, 2));
    /* The offsets point back at the original text. */
    CHECK(tk.n == 2 && memcmp(s + tk.v[1].start, "w\xC3\xB6rld",
                              tk.v[1].end - tk.v[1].start) == 0);
    kb_tokens_free(&tk);
}

static void test_text__firstpos_starts_positions_and_analyse_resets(void)
{
    kb_tokens tk = KB_TOKENS_INIT;
    CHECK_RC(kb_analyse(&tk, "one two three", 13, NULL, 101, NULL), KB_OK);
    CHECK(tk.n == 3);
    CHECK(tk.n == 3 && tk.v[0].pos == 101 && tk.v[2].pos == 103);
    /* The same kb_tokens is reused: the earlier tokens are gone. */
    CHECK_RC(analyse(&tk, "four", NULL, NULL), KB_OK);
    CHECK(tk.n == 1);
    CHECK_STR(term(&tk, 0), "four");
    CHECK(tk.v[0].pos == 1);
    kb_tokens_free(&tk);
    kb_tokens_free(&tk); /* freeing twice is harmless */
}

static void test_text__empty_and_punctuation_only_text_has_no_tokens(void)
{
    kb_tokens tk = KB_TOKENS_INIT;
    CHECK_RC(kb_analyse(&tk, "", 0, NULL, 1, NULL), KB_OK);
    CHECK(tk.n == 0);
    CHECK_RC(analyse(&tk, " ,.;!? -- ", NULL, NULL), KB_OK);
    CHECK(tk.n == 0);
    kb_tokens_free(&tk);
}

static void test_text__apostrophes_keep_one_token(void)
{
    kb_tokens tk = KB_TOKENS_INIT;
    CHECK_RC(analyse(&tk, "don't", NULL, NULL), KB_OK);
    CHECK(tk.n == 1);
    CHECK_STR(term(&tk, 0), "don't");
    /* The typographic apostrophe gives the same term. */
    CHECK_RC(analyse(&tk, "Don\xE2\x80\x99t", NULL, NULL), KB_OK);
    CHECK(tk.n == 1);
    CHECK_STR(term(&tk, 0), "don't");
    CHECK(tk.n == 1 && tk.v[0].end == 7);
    /* Quotes around a word are not part of it. */
    CHECK_RC(analyse(&tk, "'quoted' word's", NULL, NULL), KB_OK);
    CHECK(tk.n == 2);
    CHECK_STR(term(&tk, 0), "quoted");
    CHECK_STR(term(&tk, 1), "word's");
    kb_tokens_free(&tk);
}

static void test_text__dotted_numbers_stay_one_token(void)
{
    kb_tokens tk = KB_TOKENS_INIT;
    CHECK_RC(
        analyse(&tk, "upgrade to 10.2.3. Then", kb_stemmer_for("en"), NULL),
        KB_OK);
    CHECK(tk.n == 4);
    CHECK(tok_is(&tk, "10.2.3", KB_TOK_WORD, 11, 17, 3));
    /* A full stop after a word does not join it to the next. */
    CHECK(find(&tk, "then", KB_TOK_WORD) >= 0);
    kb_tokens_free(&tk);
}

static void test_text__ascii_and_other_letters_make_one_word(void)
{
    /* ASCII runs inside a word are read in one go: the word still ends
     * only where a letter or digit of any script stops. */
    const char *s = "ABCd\xC3\xA9"
                    "f x_y na\xC3\xAFve2go it's 4.5% "
                    "vpn\xE4\xB8\xAD";
    kb_tokens tk = KB_TOKENS_INIT;
    CHECK_RC(analyse(&tk, s, NULL, NULL), KB_OK);
    CHECK(tk.n == 8);
    CHECK(tok_is(&tk,
                 "abcd\xC3\xA9"
                 "f",
                 KB_TOK_WORD, 0, 7, 1));
    CHECK(tok_is(&tk, "x", KB_TOK_WORD, 8, 9, 2));
    CHECK(tok_is(&tk, "y", KB_TOK_WORD, 10, 11, 3));
    CHECK(tok_is(&tk, "na\xC3\xAFve2go", KB_TOK_WORD, 12, 21, 4));
    CHECK(tok_is(&tk, "it's", KB_TOK_WORD, 22, 26, 5));
    CHECK(tok_is(&tk, "4.5", KB_TOK_WORD, 27, 30, 6));
    CHECK(tok_is(&tk, "vpn", KB_TOK_WORD, 32, 35, 7));
    CHECK(find(&tk, "\xE4\xB8\xAD", KB_TOK_CJK1) >= 0);
    kb_tokens_free(&tk);
}

static void test_text__words_over_64_bytes_are_skipped(void)
{
    char s[200];
    kb_tokens tk = KB_TOKENS_INIT;
    memset(s, 'a', 100);
    snprintf(s + 100, sizeof s - 100, " short");
    CHECK_RC(analyse(&tk, s, NULL, NULL), KB_OK);
    CHECK(tk.n == 1);
    CHECK_STR(term(&tk, 0), "short");
    /* The long word still used up a position. */
    CHECK(tk.n == 1 && tk.v[0].pos == 2);
    kb_tokens_free(&tk);
}

/* --- invalid input --- */

static void test_text__lone_lead_byte_is_invalid_utf8_with_offset(void)
{
    kb_tokens tk = KB_TOKENS_INIT;
    char *err = NULL;
    CHECK_RC(kb_analyse(&tk, "abc \xC3", 5, NULL, 1, &err), KB_EUTF8);
    CHECK(err != NULL && strstr(err, "byte 4") != NULL);
    kb_free(err);
    err = NULL;
    CHECK_RC(kb_analyse(&tk, "ab\xC3z", 4, NULL, 1, &err), KB_EUTF8);
    CHECK(err != NULL && strstr(err, "byte 2") != NULL);
    kb_free(err);
    CHECK(kb_utf8_invalid_at("abc \xC3", 5) == 4);
    kb_tokens_free(&tk);
}

static void test_text__overlong_encoding_is_invalid_utf8(void)
{
    kb_tokens tk = KB_TOKENS_INIT;
    char *err = NULL;
    /* 0xC0 0xAF is an overlong "/". */
    CHECK_RC(kb_analyse(&tk, "x\xC0\xAFy", 4, NULL, 1, &err), KB_EUTF8);
    CHECK(err != NULL && strstr(err, "byte 1") != NULL);
    CHECK(kb_utf8_invalid_at("x\xC0\xAFy", 4) == 1);
    kb_free(err);
    kb_tokens_free(&tk);
}

static void test_text__surrogate_code_point_is_invalid_utf8(void)
{
    kb_tokens tk = KB_TOKENS_INIT;
    char *err = NULL;
    /* ED A0 80 encodes U+D800, a surrogate. */
    CHECK_RC(kb_analyse(&tk, "ok \xED\xA0\x80", 6, NULL, 1, &err), KB_EUTF8);
    CHECK(err != NULL && strstr(err, "byte 3") != NULL);
    CHECK(kb_utf8_invalid_at("ok \xED\xA0\x80", 6) == 3);
    kb_free(err);
    kb_tokens_free(&tk);
}

static void test_text__nul_byte_is_rejected(void)
{
    kb_tokens tk = KB_TOKENS_INIT;
    char *err = NULL;
    CHECK_RC(kb_analyse(&tk, "ab\0cd", 5, NULL, 1, &err), KB_EUTF8);
    CHECK(err != NULL && strstr(err, "byte 2") != NULL);
    CHECK(kb_utf8_invalid_at("ab\0cd", 5) == 2);
    kb_free(err);
    kb_tokens_free(&tk);
}

static void test_text__valid_text_has_no_invalid_offset(void)
{
    CHECK(kb_utf8_invalid_at("", 0) == -1);
    CHECK(kb_utf8_invalid_at("plain", 5) == -1);
    CHECK(kb_utf8_invalid_at("\xE5\xBF\x98\xF0\x9F\x98\x80", 7) == -1);
    /* A truncated 4-byte sequence at the end. */
    CHECK(kb_utf8_invalid_at("a\xF0\x9F\x98", 4) == 1);
}

/* --- stop words --- */

static void test_text__english_stop_words(void)
{
    static const char *const stop[] = {
        "the",    "a",    "and",   "how",   "don't", "i",    "i'm",
        "please", "your", "yours", "would", "whom",  "it's", "its"};
    static const char *const keep[] = {"vpn",  "password", "printer", "reset",
                                       "wifi", "outlook",  "the_",    ""};
    for (size_t i = 0; i < sizeof stop / sizeof *stop; i++)
        if (!kb_is_stopword(stop[i], strlen(stop[i]))) {
            fprintf(stderr, "  \"%s\" should be a stop word\n", stop[i]);
            CHECK(0);
        }
    for (size_t i = 0; i < sizeof keep / sizeof *keep; i++)
        if (kb_is_stopword(keep[i], strlen(keep[i]))) {
            fprintf(stderr, "  \"%s\" should not be a stop word\n", keep[i]);
            CHECK(0);
        }
    /* The length counts, not a NUL. */
    CHECK(kb_is_stopword("then-some", 4));
    /* Stop words are compared normalised: callers fold first. */
    CHECK(!kb_is_stopword("The", 3));
}

static void test_text__words_apart_that_may_be_one(void)
{
    static const char *const yes[][2] = {
        {"back", "up"},       {"log", "in"},   {"strike", "through"},
        {"wolfram", "alpha"}, {"web", "site"}, {"check", "out"}};
    static const char *const no[][2] = {{"add", "it"},   {"a", "way"},
                                        {"get", "from"}, {"in", "side"},
                                        {"some", "one"}, {"back", ""}};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        CHECK(kb_joinable(yes[i][0], strlen(yes[i][0]), yes[i][1],
                          strlen(yes[i][1])));
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        CHECK(!kb_joinable(no[i][0], strlen(no[i][0]), no[i][1],
                           strlen(no[i][1])));
    /* The joined word, analysed: "back up" is "backup", "log in" stems
     * as "login" does; "add it" is no word. */
    kb_tokens tk = KB_TOKENS_INIT;
    CHECK(kb_join_words(&tk, "back", 4, "up", 2, kb_stemmer_for("en")));
    CHECK(tk.n == 1 && tk.v[0].tlen == 6 &&
          !memcmp(kb_tok_term(&tk, tk.v), "backup", 6));
    CHECK(kb_join_words(&tk, "log", 3, "ins", 3, kb_stemmer_for("en")));
    CHECK(tk.n == 1 && tk.v[0].tlen == 5 &&
          !memcmp(kb_tok_term(&tk, tk.v), "login", 5));
    CHECK(!kb_join_words(&tk, "add", 3, "it", 2, kb_stemmer_for("en")));
    kb_tokens_free(&tk);
}

/* Excerpts make in full only the words that could become a sought term or
 * match a sought prefix: every other word in ASCII keeps its span and
 * position with an empty word and term, and no word that matches is
 * missed. */
static void test_text__analyse_for_stems_only_words_that_can_match(void)
{
    const char *text = "Yesterday the printers were connecting, Über "
                       "dying skies; connections restarted 打印机 Printing";
    const char *langs[] = {"en", "de", "fr", "id", NULL};
    for (int l = 0; langs[l]; l++) {
        kb_stemmer *st = kb_stemmer_new(langs[l]);
        kb_tokens all = KB_TOKENS_INIT, some = KB_TOKENS_INIT;
        kb_sought sought = {{0, 0, 0, 0}, NULL, NULL, NULL};
        uint64_t *first = sought.first;
        first['p' >> 6] |= (uint64_t)1 << ('p' & 63); /* printer, print */
        first['d' >> 6] |= (uint64_t)1 << ('d' & 63); /* die */
        CHECK(st != NULL);
        CHECK_RC(kb_analyse(&all, text, strlen(text), st, 1, NULL), KB_OK);
        CHECK_RC(kb_analyse_for(&some, text, strlen(text), st, &sought, NULL),
                 KB_OK);
        CHECK(all.n == some.n);
        int emptied = 0;
        for (size_t i = 0; i < all.n && i < some.n; i++) {
            const kb_token *x = &all.v[i], *y = &some.v[i];
            CHECK(x->kind == y->kind && x->start == y->start &&
                  x->end == y->end && x->pos == y->pos);
            const char *w = word(&all, i);
            unsigned char c = (unsigned char)*w;
            int ascii = 1;
            for (const char *p = w; *p; p++)
                ascii &= (unsigned char)*p < 0x80;
            int can = !ascii || ((first[c >> 6] >> (c & 63)) & 1);
            if (can || strcmp(langs[l], "id") == 0) {
                CHECK_STR(term(&some, i), term(&all, i)); /* as ever */
                CHECK_STR(word(&some, i), w);
            } else {
                CHECK_STR(term(&some, i), "");
                CHECK_STR(word(&some, i), "");
                emptied++;
            }
        }
        /* English: "yesterday", "connecting", "connections", ... are left
         * out; "printers" and "dying" are stemmed as ever. */
        if (!strcmp(langs[l], "en")) {
            CHECK(emptied >= 3);
            CHECK_STR(term(&some, 2), "printer");
        }
        kb_tokens_free(&all);
        kb_tokens_free(&some);
        kb_stemmer_free(st);
    }
}

static int only_dayin(void *ctx, const char *t, size_t len, int kind)
{
    (*(int *)ctx)++;
    return kind == KB_TOK_CJK2 && len == 6 && memcmp(t, "打印", 6) == 0;
}

/* Chinese tokens the caller turns down are not made; the rest keep their
 * offsets and positions. */
static void test_text__analyse_for_makes_only_the_chinese_tokens_sought(void)
{
    const char *text = "打印机 printer 打印";
    int asked = 0;
    kb_sought sought = {
        {~(uint64_t)0, ~(uint64_t)0, ~(uint64_t)0, ~(uint64_t)0},
        only_dayin,
        &asked,
        NULL};
    kb_tokens all = KB_TOKENS_INIT, some = KB_TOKENS_INIT;
    kb_stemmer *st = kb_stemmer_new("en");
    CHECK_RC(kb_analyse(&all, text, strlen(text), st, 1, NULL), KB_OK);
    CHECK_RC(kb_analyse_for(&some, text, strlen(text), st, &sought, NULL),
             KB_OK);
    CHECK(asked == 8); /* 打 打印 印 印机 机, 打 打印 印 */
    CHECK(some.n == 3);
    CHECK_STR(term(&some, 0), "打印");
    CHECK_STR(term(&some, 1), "printer");
    CHECK_STR(term(&some, 2), "打印");
    /* The same offsets and positions as in the full analysis. */
    for (size_t i = 0, j = 0; i < some.n && j < all.n; j++)
        if (all.v[j].start == some.v[i].start &&
            all.v[j].end == some.v[i].end) {
            CHECK(all.v[j].pos == some.v[i].pos);
            CHECK_STR(term(&all, j), term(&some, i));
            i++;
        }
    kb_tokens_free(&all);
    kb_tokens_free(&some);
    kb_stemmer_free(st);
}

/* The sought terms of a query, as the search marks them: each Chinese
 * bigram, and a unigram where the run is one character. */
typedef struct {
    kb_termset ts;
    int asked;
} sought_terms;

static int in_terms(void *ctx, const char *t, size_t len, int kind)
{
    sought_terms *st = ctx;
    char key[16];
    st->asked++;
    if (kind != KB_TOK_CJK1)
        return kb_termset_has(&st->ts, t, len);
    if (len + 2 > sizeof key)
        return 0;
    key[0] = '\x01';
    memcpy(key + 1, t, len);
    return kb_termset_has(&st->ts, key, len + 1);
}

static void terms_of(sought_terms *st, const char *q)
{
    kb_tokens tk = KB_TOKENS_INIT;
    CHECK_RC(kb_analyse(&tk, q, strlen(q), NULL, 1, NULL), KB_OK);
    for (size_t i = 0; i < tk.n; i++) {
        const kb_token *k = &tk.v[i];
        const char *t = kb_tok_term(&tk, k);
        int alone = 1; /* a unigram counts where no bigram holds it */
        for (size_t j = 0; j < tk.n && k->kind == KB_TOK_CJK1; j++)
            if (tk.v[j].kind == KB_TOK_CJK2 && tk.v[j].start <= k->start &&
                tk.v[j].end >= k->end)
                alone = 0;
        if (k->kind != KB_TOK_CJK1)
            CHECK_RC(kb_termset_add(&st->ts, t, k->tlen), KB_OK);
        else if (alone)
            CHECK_RC(kb_termset_add_unigram(&st->ts, t, k->tlen), KB_OK);
    }
    kb_tokens_free(&tk);
}

/* The characters of the sought terms let analyse_for pass over the others
 * without asking: the same tokens as when it asks about every one. The
 * text has Traditional characters (folded), half-width kana whose voiced
 * marks join the character before when normalised, and a character
 * outside the basic plane. */
static void test_text__chinese_characters_in_no_term_are_not_asked_about(void)
{
    const char *text = "打印機無法連線，請重新啟動印表機。ｶﾞｲﾄﾞを読む カﾞイド "
                       "𠀀打印 重新连线 打 印 文本譅长";
    /* 譅 folds to U+30D8E, outside the blocks kb_is_cjk knows. */
    const char *queries[] = {"打印机 连线", "ガイド", "𠀀打", "打", "表机 启动",
                             "イド",        "カﾞ",    "本譅", NULL};
    for (int q = 0; queries[q]; q++) {
        sought_terms all = {KB_TERMSET_INIT, 0}, some = {KB_TERMSET_INIT, 0};
        terms_of(&all, queries[q]);
        terms_of(&some, queries[q]);
        kb_sought a = {{~(uint64_t)0, ~(uint64_t)0, ~(uint64_t)0, ~(uint64_t)0},
                       in_terms,
                       &all,
                       NULL};
        kb_sought b = a;
        b.ctx = &some;
        b.cjk_chars = some.ts.cjk;
        kb_tokens ta = KB_TOKENS_INIT, tb = KB_TOKENS_INIT;
        CHECK_RC(kb_analyse_for(&ta, text, strlen(text), NULL, &a, NULL),
                 KB_OK);
        CHECK_RC(kb_analyse_for(&tb, text, strlen(text), NULL, &b, NULL),
                 KB_OK);
        CHECK(ta.n == tb.n);
        CHECK(ta.n > 0);
        for (size_t i = 0; i < ta.n && i < tb.n; i++) {
            CHECK(ta.v[i].start == tb.v[i].start && ta.v[i].end == tb.v[i].end);
            CHECK(ta.v[i].pos == tb.v[i].pos && ta.v[i].kind == tb.v[i].kind);
            CHECK_STR(term(&ta, i), term(&tb, i));
        }
        CHECK(some.asked < all.asked / 2);
        if (ta.n != tb.n || some.asked >= all.asked / 2)
            fprintf(stderr, "  query %s: %zu / %zu tokens, asked %d / %d\n",
                    queries[q], ta.n, tb.n, all.asked, some.asked);
        kb_tokens_free(&ta);
        kb_tokens_free(&tb);
        kb_termset_free(&all.ts);
        kb_termset_free(&some.ts);
    }
}

int main(void)
{
    RUN(test_text__fullwidth_vpn_equals_vpn);
    RUN(test_text__sharp_s_folds_to_ss);
    RUN(test_text__normalise_composes_and_folds_accents_consistently);
    RUN(test_text__normalise_makes_typographic_apostrophes_ascii);
    RUN(test_text__normalise_rejects_invalid_utf8);
    RUN(test_text__english_connections_stem_to_connect);
    RUN(test_text__remembered_stems_equal_fresh_ones);
    RUN(test_text__german_french_spanish_stem_their_plurals);
    RUN(test_text__stemmer_for_caches_one_stemmer_per_language);
    RUN(test_text__languages_without_a_stemmer_fall_back_to_english);
    RUN(test_text__without_a_stemmer_terms_are_the_words);
    RUN(test_text__word_keeps_the_unstemmed_form_beside_the_stem);
    RUN(test_text__chinese_run_gives_unigrams_and_bigrams);
    RUN(test_text__single_chinese_character_has_no_bigram);
    RUN(test_text__mixed_vpn_chinese_splits_into_word_and_cjk);
    RUN(test_text__chinese_punctuation_breaks_a_run);
    RUN(test_text__traditional_chinese_folds_to_simplified);
    RUN(test_text__chinese_characters_in_no_term_are_not_asked_about);
    RUN(test_text__kana_and_hangul_count_as_cjk);
    RUN(test_text__offsets_of_words_in_hello_world);
    RUN(test_text__firstpos_starts_positions_and_analyse_resets);
    RUN(test_text__empty_and_punctuation_only_text_has_no_tokens);
    RUN(test_text__apostrophes_keep_one_token);
    RUN(test_text__dotted_numbers_stay_one_token);
    RUN(test_text__ascii_and_other_letters_make_one_word);
    RUN(test_text__words_over_64_bytes_are_skipped);
    RUN(test_text__lone_lead_byte_is_invalid_utf8_with_offset);
    RUN(test_text__overlong_encoding_is_invalid_utf8);
    RUN(test_text__surrogate_code_point_is_invalid_utf8);
    RUN(test_text__nul_byte_is_rejected);
    RUN(test_text__valid_text_has_no_invalid_offset);
    RUN(test_text__english_stop_words);
    RUN(test_text__words_apart_that_may_be_one);
    kb_stemmers_release();
    RUN(test_text__analyse_for_stems_only_words_that_can_match);
    RUN(test_text__analyse_for_makes_only_the_chinese_tokens_sought);
    return TEST_REPORT();
}

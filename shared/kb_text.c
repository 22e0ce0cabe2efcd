/* kb_text.c - tokenize, normalise and stem text for indexing, querying and
 * highlighting */
#include "kb_text.h"
#include "kb_error.h"

#include <libstemmer.h>
#include <opencc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define MAX_WORD 64 /* longer words are not indexed (hashes, base64) */

/* Stems already made, by a hash of the word: a text repeats its words, and
 * a lookup costs a tenth of stemming. Words over STEM_MEMO_LEN bytes are
 * stemmed each time. */
#define STEM_MEMO_SLOTS 2048
#define STEM_MEMO_LEN 22
typedef struct {
    uint8_t wlen, slen; /* wlen 0: empty slot */
    char word[STEM_MEMO_LEN];
    char stem[STEM_MEMO_LEN];
} stem_memo;

struct kb_stemmer {
    struct sb_stemmer *sb;
    char name[24];
    int ends_only;   /* changes a word's ending only: its first byte stays */
    stem_memo *memo; /* STEM_MEMO_SLOTS, or NULL */
};

/* Stemmers whose algorithms touch suffixes (and accented or non-ASCII
 * letters) only; Irish, Indonesian and Serbian rewrite the start of a
 * word and are not here. */
static const char *const ends_only[] = {
    "en",         "english", "porter",  "de", "german",  "fr",
    "french",     "es",      "spanish", "it", "italian", "pt",
    "portuguese", "nl",      "dutch",   "sv", "swedish", "no",
    "norwegian",  "da",      "danish",  "fi", "finnish", NULL};

/* --- stemmers --- */

kb_stemmer *kb_stemmer_new(const char *lang)
{
    kb_stemmer *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    const char *try = (lang && *lang) ? lang : "en";
    st->sb = sb_stemmer_new(try, "UTF_8");
    if (!st->sb) {
        try = "english";
        st->sb = sb_stemmer_new(try, "UTF_8");
    }
    if (!st->sb) {
        free(st);
        return NULL;
    }
    st->memo = calloc(STEM_MEMO_SLOTS, sizeof *st->memo); /* NULL: none */
    snprintf(st->name, sizeof st->name, "%s", try);
    for (int i = 0; ends_only[i] && !st->ends_only; i++)
        st->ends_only = !strcmp(try, ends_only[i]);
    return st;
}

void kb_stemmer_free(kb_stemmer *st)
{
    if (!st)
        return;
    sb_stemmer_delete(st->sb);
    free(st->memo);
    free(st);
}

const char *kb_stemmer_name(const kb_stemmer *st) { return st->name; }

/* The stem of w (wlen bytes, 1 or more): *slen bytes at the result, which
 * stays valid until the next call with st; NULL when stemming failed. */
static const char *stem(kb_stemmer *st, const char *w, size_t wlen,
                        size_t *slen)
{
    stem_memo *m = NULL;
    if (st->memo && wlen <= STEM_MEMO_LEN) {
        uint32_t h = 2166136261u; /* FNV-1a */
        for (size_t i = 0; i < wlen; i++)
            h = (h ^ (unsigned char)w[i]) * 16777619u;
        m = &st->memo[h & (STEM_MEMO_SLOTS - 1)];
        if (m->wlen == wlen && memcmp(m->word, w, wlen) == 0) {
            *slen = m->slen;
            return m->stem;
        }
    }
    const sb_symbol *s =
        sb_stemmer_stem(st->sb, (const sb_symbol *)w, (int)wlen);
    int n = s ? sb_stemmer_length(st->sb) : 0;
    if (!s || n <= 0)
        return NULL;
    *slen = (size_t)n;
    if (m && (size_t)n <= STEM_MEMO_LEN) {
        m->wlen = (uint8_t)wlen;
        m->slen = (uint8_t)n;
        memcpy(m->word, w, wlen);
        memcpy(m->stem, s, (size_t)n);
    }
    return (const char *)s;
}

#define MAX_LANGS 40
static _Thread_local struct {
    char lang[16];
    kb_stemmer *st;
} cache[MAX_LANGS];

/* Free a thread's stemmers when it exits (the server's worker threads). */
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
static void on_thread_exit(void *p)
{
    (void)p;
    kb_stemmers_release();
}
static void make_key(void) { pthread_key_create(&exit_key, on_thread_exit); }

kb_stemmer *kb_stemmer_for(const char *lang)
{
    if (!cache[0].st) {
        pthread_once(&exit_once, make_key);
        pthread_setspecific(exit_key, (void *)1);
    }
    if (!lang || !*lang || strlen(lang) >= 16)
        lang = "en";
    int i;
    for (i = 0; i < MAX_LANGS && cache[i].st; i++)
        if (strcmp(cache[i].lang, lang) == 0)
            return cache[i].st;
    kb_stemmer *st = kb_stemmer_new(lang);
    if (st && i < MAX_LANGS) {
        snprintf(cache[i].lang, sizeof cache[i].lang, "%s", lang);
        cache[i].st = st;
    } else if (st) {
        /* Table full of odd language codes: fall back to the first. */
        kb_stemmer_free(st);
        return cache[0].st;
    }
    return st;
}

void kb_stemmers_release(void)
{
    for (int i = 0; i < MAX_LANGS; i++) {
        kb_stemmer_free(cache[i].st);
        cache[i].st = NULL;
    }
}

/* --- character classes --- */

/* Below U+1100 (Latin, Greek, Cyrillic, ...) nothing is CJK: one test for
 * the text most documents are made of. */
static inline int is_cjk(int32_t c)
{
    if (c < 0x1100)
        return 0;
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
           (c >= 0x20000 && c <= 0x2EBEF) || (c >= 0xF900 && c <= 0xFAFF) ||
           (c >= 0x3040 && c <= 0x30FF) || (c >= 0x31F0 && c <= 0x31FF) ||
           (c >= 0xAC00 && c <= 0xD7AF) || (c >= 0x1100 && c <= 0x11FF) ||
           (c >= 0x3130 && c <= 0x318F) || (c >= 0xFF66 && c <= 0xFF9F);
}

int kb_is_cjk(int32_t c) { return is_cjk(c); }

/* --- Traditional Chinese characters folded to Simplified ---
 * Built once, from OpenCC's t2s conversion of each ideograph of the basic
 * plane on its own: about 4,100 characters ("為" -> "为", "帳" -> "帐").
 * Index and queries fold alike, so either script finds the other. */
typedef struct {
    uint32_t from, to;
} fold_pair;

static pthread_once_t fold_once = PTHREAD_ONCE_INIT;
static fold_pair *folds; /* by from */
static size_t nfolds;
static uint64_t fold_bits[0x10000 / 64]; /* the basic plane: has a fold */

static void fold_init(void)
{
    static const uint32_t ranges[][2] = {{0x3400, 0x4DBF}, {0x4E00, 0x9FFF}};
    opencc_t od = opencc_open(OPENCC_DEFAULT_CONFIG_TRAD_TO_SIMP);
    size_t cap = 0;
    if (od == (opencc_t)-1)
        return; /* no OpenCC data: no folding */
    for (size_t r = 0; r < sizeof ranges / sizeof *ranges; r++)
        for (uint32_t c = ranges[r][0]; c <= ranges[r][1]; c++) {
            char in[4] = {(char)(0xE0 | (c >> 12)),
                          (char)(0x80 | ((c >> 6) & 63)),
                          (char)(0x80 | (c & 63)), 0};
            char *out = opencc_convert_utf8(od, in, 3);
            utf8proc_int32_t to = 0;
            if (out &&
                utf8proc_iterate((const utf8proc_uint8_t *)out, -1, &to) ==
                    (utf8proc_ssize_t)strlen(out) &&
                to > 0 && (uint32_t)to != c) {
                if (nfolds == cap) {
                    size_t nc = cap ? 2 * cap : 4096;
                    fold_pair *v = realloc(folds, nc * sizeof *v);
                    if (!v) {
                        opencc_convert_utf8_free(out);
                        goto done;
                    }
                    folds = v;
                    cap = nc;
                }
                folds[nfolds++] = (fold_pair){c, (uint32_t)to};
                fold_bits[c >> 6] |= (uint64_t)1 << (c & 63);
            }
            if (out)
                opencc_convert_utf8_free(out);
        }
done:
    opencc_close(od);
}

void kb_text_prepare(void) { pthread_once(&fold_once, fold_init); }

/* c's Simplified form, or c. */
static int32_t fold_char(int32_t c)
{
    if (c >= 0x10000 || !((fold_bits[c >> 6] >> (c & 63)) & 1))
        return c;
    size_t lo = 0, hi = nfolds;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (folds[mid].from < (uint32_t)c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < nfolds && folds[lo].from == (uint32_t)c ? (int32_t)folds[lo].to
                                                        : c;
}

/* s (n bytes of CJK text) with its Traditional characters folded, into
 * out (room for 2 * n + 1 bytes): its length, or 0 if nothing folds.
 * fold_init has run. */
static size_t fold_cjk(char *out, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t w = 0, i = 0;
    int folded = 0;
    /* Most text has nothing to fold: the ideographs are 3 bytes each. */
    while (i + 2 < n && (u[i] & 0xF0) == 0xE0) {
        uint32_t c = (uint32_t)(u[i] & 15) << 12 |
                     (uint32_t)(u[i + 1] & 63) << 6 | (u[i + 2] & 63);
        if ((fold_bits[c >> 6] >> (c & 63)) & 1)
            break;
        i += 3;
    }
    if (i == n)
        return 0;
    for (i = 0; i < n;) {
        utf8proc_int32_t c = 0;
        utf8proc_ssize_t l = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                              (utf8proc_ssize_t)(n - i), &c);
        if (l <= 0)
            return 0;
        int32_t f = fold_char(c);
        folded |= f != c;
        w += (size_t)utf8proc_encode_char(f, (utf8proc_uint8_t *)out + w);
        i += (size_t)l;
    }
    out[w] = '\0';
    return folded ? w : 0;
}

/* ASCII letters and digits, by byte. */
static const uint8_t ascii_word[128] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
    ['7'] = 1, ['8'] = 1, ['9'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1,
    ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1,
    ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1,
    ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1,
    ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
    ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

static int is_wordchar(int32_t c)
{
    if (c < 0x80)
        return c >= 0 && ascii_word[c];
    switch (utf8proc_category(c)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO: return 1;
    default: return 0;
    }
}

static int is_digit(int32_t c) { return c >= '0' && c <= '9'; }

long kb_utf8_invalid_at(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            if (c == 0)
                return (long)i;
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                              (utf8proc_ssize_t)(len - i), &cp);
        if (n <= 0)
            return (long)i;
        i += (size_t)n;
    }
    return -1;
}

/* --- token storage --- */

void kb_tokens_free(kb_tokens *t)
{
    free(t->v);
    free(t->pool);
    memset(t, 0, sizeof *t);
}

static int pool_add(kb_tokens *t, const char *s, size_t n, uint32_t *off)
{
    if (t->plen + n + 1 > t->pcap) {
        size_t c = t->pcap ? t->pcap * 2 : 1024;
        while (c < t->plen + n + 1)
            c *= 2;
        if (c > UINT32_MAX)
            return KB_ETOOBIG;
        char *p = realloc(t->pool, c);
        if (!p)
            return KB_ENOMEM;
        t->pool = p;
        t->pcap = c;
    }
    *off = (uint32_t)t->plen;
    memcpy(t->pool + t->plen, s, n);
    t->pool[t->plen + n] = '\0';
    t->plen += n + 1;
    return KB_OK;
}

static kb_token *tok_new(kb_tokens *t)
{
    if (t->n == t->cap) {
        size_t c = t->cap ? t->cap * 2 : 256;
        kb_token *v = realloc(t->v, c * sizeof *v);
        if (!v)
            return NULL;
        t->v = v;
        t->cap = c;
    }
    kb_token *k = &t->v[t->n++];
    memset(k, 0, sizeof *k);
    return k;
}

/* --- normalisation --- */

int kb_normalise(char **out, const char *s, size_t len)
{
    *out = NULL;
    int ascii = 1;
    for (size_t i = 0; i < len && ascii; i++)
        ascii = (unsigned char)s[i] < 0x80;
    if (ascii) {
        char *p = malloc(len + 1);
        if (!p)
            return KB_ENOMEM;
        for (size_t i = 0; i < len; i++)
            p[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
        p[len] = '\0';
        *out = p;
        return KB_OK;
    }
    utf8proc_uint8_t *p = NULL;
    utf8proc_ssize_t n =
        utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, &p,
                     UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
                         UTF8PROC_CASEFOLD);
    if (n < 0)
        return n == UTF8PROC_ERROR_NOMEM ? KB_ENOMEM : KB_EUTF8;
    /* Typographic apostrophes become ASCII ones so both spellings meet. */
    char *q = (char *)p;
    size_t w = 0;
    for (utf8proc_ssize_t i = 0; i < n; i++) {
        if (i + 2 < n && (unsigned char)q[i] == 0xE2 &&
            (unsigned char)q[i + 1] == 0x80 &&
            ((unsigned char)q[i + 2] == 0x99 ||
             (unsigned char)q[i + 2] == 0x98)) {
            q[w++] = '\'';
            i += 2;
        } else {
            q[w++] = q[i];
        }
    }
    q[w] = '\0';
    *out = q;
    return KB_OK;
}

/* --- analysis --- */

typedef struct {
    kb_tokens *t;
    kb_stemmer *st;
    const char *text;
    uint32_t pos;
    const uint64_t *first;   /* words starting otherwise cannot be sought
                                (or NULL: every word may be) */
    const kb_sought *sought; /* or NULL */
    uint32_t empty;          /* an empty string in the pool, with first */
} an_state;

static int emit_word(an_state *a, size_t start, size_t end)
{
    char small[MAX_WORD * 4 + 1];
    const char *w = small;
    size_t wlen = end - start;
    char *heap = NULL;
    int rc = KB_OK, has_alpha = 0, ascii = 1;

    for (size_t i = start; i < end && ascii; i++)
        ascii = (unsigned char)a->text[i] < 0x80;
    unsigned char f = (unsigned char)a->text[start];
    f = f >= 'A' && f <= 'Z' ? (unsigned char)(f + 32) : f;
    if (a->first && ascii && wlen <= MAX_WORD &&
        !((a->first[f >> 6] >> (f & 63)) & 1)) {
        /* No stem or prefix sought starts so: the word's span and
         * position alone, which excerpts snap to. */
        kb_token *k = tok_new(a->t);
        if (!k)
            return KB_ENOMEM;
        k->kind = KB_TOK_WORD;
        k->start = (uint32_t)start;
        k->end = (uint32_t)end;
        k->pos = a->pos++;
        k->word = k->term = a->empty;
        k->wlen = k->tlen = 0;
        return KB_OK;
    }
    if (ascii && wlen <= MAX_WORD) {
        for (size_t i = 0; i < wlen; i++) {
            char c = a->text[start + i];
            small[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
        }
        small[wlen] = '\0';
    } else {
        if ((rc = kb_normalise(&heap, a->text + start, wlen)) != KB_OK)
            return rc;
        w = heap;
        wlen = strlen(heap);
    }
    uint32_t pos = a->pos++;
    if (wlen == 0 || wlen > MAX_WORD)
        goto done;
    for (size_t i = 0; i < wlen && !has_alpha; i++)
        has_alpha = !is_digit((unsigned char)w[i]) && w[i] != '.';

    kb_token *k = tok_new(a->t);
    if (!k) {
        rc = KB_ENOMEM;
        goto done;
    }
    k->kind = KB_TOK_WORD;
    k->start = (uint32_t)start;
    k->end = (uint32_t)end;
    k->pos = pos;
    if ((rc = pool_add(a->t, w, wlen, &k->word)) != KB_OK)
        goto done;
    k->wlen = (uint32_t)wlen;
    k->term = k->word;
    k->tlen = k->wlen;
    unsigned char c0 = (unsigned char)w[0];
    if (a->st && has_alpha &&
        (!a->first || c0 >= 0x80 || (a->first[c0 >> 6] >> (c0 & 63)) & 1)) {
        size_t slen = 0;
        const char *s = stem(a->st, w, wlen, &slen);
        if (s && (slen != wlen || memcmp(s, w, wlen) != 0)) {
            rc = pool_add(a->t, s, slen, &k->term);
            k->tlen = (uint32_t)slen;
        }
    }
done:
    free(heap);
    return rc;
}

static int add_cjk(an_state *a, const size_t *off, size_t i, size_t j, int kind,
                   uint32_t pos)
{
    /* Characters i..j-1 of the run; off[] holds their byte offsets plus the
     * end. Compatibility ideographs and half-width kana are normalised. */
    size_t s = off[i], e = off[j];
    const char *p = a->text + s;
    char *norm = NULL;
    size_t n = e - s;
    int rc = KB_OK;
    for (size_t x = s; x < e; x++)
        if (((const unsigned char *)a->text)[x] == 0xEF) {
            /* U+F000..U+FFFF: compatibility and half-width */
            if ((rc = kb_normalise(&norm, p, e - s)) != KB_OK)
                return rc;
            p = norm;
            n = strlen(norm);
            break;
        }
    /* The term folds Traditional to Simplified; the word is as written. */
    char fold[2 * 4 * 2 + 1]; /* two characters, normalised */
    const char *w = p;
    size_t wn = n, fn = n * 2 + 1 <= sizeof fold ? fold_cjk(fold, p, n) : 0;
    if (fn) {
        p = fold;
        n = fn;
    }
    if (a->sought && a->sought->cjk &&
        !a->sought->cjk(a->sought->ctx, p, n, kind)) {
        free(norm);
        return KB_OK;
    }
    kb_token *k = tok_new(a->t);
    if (!k) {
        free(norm);
        return KB_ENOMEM;
    }
    k->kind = (uint8_t)kind;
    k->start = (uint32_t)s;
    k->end = (uint32_t)e;
    k->pos = pos;
    rc = pool_add(a->t, p, n, &k->term);
    k->tlen = (uint32_t)n;
    k->word = k->term;
    k->wlen = k->tlen;
    if (rc == KB_OK && fn) {
        rc = pool_add(a->t, w, wn, &k->word);
        k->wlen = (uint32_t)wn;
    }
    free(norm);
    return rc;
}

/* Whether character i of the run (off[] as for add_cjk) may be in a
 * sought term: 0 no, 1 maybe (its Simplified form's bit is set), 2 maybe
 * with its neighbour too (U+F000..U+FFFF: normalised, which may join it
 * to the character before). */
static int cjk_maybe(const an_state *a, const size_t *off, size_t i)
{
    const unsigned char *u = (const unsigned char *)a->text + off[i];
    size_t n = off[i + 1] - off[i];
    utf8proc_int32_t c = 0;
    if (u[0] == 0xEF)
        return 2;
    if (n == 3 && (u[0] & 0xF0) == 0xE0)
        c = (int32_t)((uint32_t)(u[0] & 15) << 12 | (uint32_t)(u[1] & 63) << 6 |
                      (u[2] & 63));
    else if (utf8proc_iterate(u, (utf8proc_ssize_t)n, &c) <= 0)
        return 2;
    uint32_t b = KB_CJK_BIT(fold_char(c));
    return (int)((a->sought->cjk_chars[b >> 6] >> (b & 63)) & 1);
}

static int emit_cjk(an_state *a, const size_t *off, size_t n)
{
    int rc = KB_OK;
    uint32_t base = a->pos;
    int filter = a->sought && a->sought->cjk && a->sought->cjk_chars;
    pthread_once(&fold_once, fold_init);
    int m = n && filter ? cjk_maybe(a, off, 0) : 2;
    for (size_t i = 0; i < n && rc == KB_OK; i++) {
        int next = i + 1 < n && filter ? cjk_maybe(a, off, i + 1) : 2;
        if (m)
            rc = add_cjk(a, off, i, i + 1, KB_TOK_CJK1, base + (uint32_t)i);
        if (rc == KB_OK && i + 1 < n && (m == 2 || next == 2 || (m && next)))
            rc = add_cjk(a, off, i, i + 2, KB_TOK_CJK2, base + (uint32_t)i);
        m = next;
    }
    a->pos += (uint32_t)n;
    return rc;
}

static int analyse(kb_tokens *out, const char *text, size_t len, kb_stemmer *st,
                   uint32_t firstpos, const kb_sought *sought, char **errmsg)
{
    out->n = 0;
    out->plen = 0;
    if (len > UINT32_MAX)
        return kb_fail(errmsg, KB_ETOOBIG, "text over 4 GiB");
    an_state a = {out,
                  st,
                  text,
                  firstpos ? firstpos : 1,
                  sought && st && st->ends_only ? sought->first : NULL,
                  sought,
                  0};
    if (a.first && pool_add(out, "", 0, &a.empty) != KB_OK)
        return kb_fail(errmsg, KB_ENOMEM, "out of memory");
    size_t *off = NULL, offcap = 0, nrun = 0; /* current CJK run */
    size_t wstart = 0;
    int inword = 0, rc = KB_OK;
    int32_t prev = 0;
    size_t i = 0;

    while (i <= len && rc == KB_OK) {
        int32_t cp = 0;
        size_t clen = 0;
        if (i < len) {
            unsigned char c = (unsigned char)text[i];
            if (c < 0x80) {
                cp = c;
                clen = 1;
            } else {
                utf8proc_ssize_t n =
                    utf8proc_iterate((const utf8proc_uint8_t *)text + i,
                                     (utf8proc_ssize_t)(len - i), &cp);
                if (n <= 0) {
                    rc = kb_fail(errmsg, KB_EUTF8, "invalid UTF-8 at byte %zu",
                                 i);
                    break;
                }
                clen = (size_t)n;
            }
            if (cp == 0) {
                rc = kb_fail(errmsg, KB_EUTF8, "NUL byte at byte %zu", i);
                break;
            }
        }
        int cjk = i < len && is_cjk(cp);
        int wc = i < len && !cjk && is_wordchar(cp);

        /* Joiners: an apostrophe between letters, a dot between digits. */
        if (inword && (cp == '\'' || cp == 0x2019 || cp == '.') && i < len &&
            i + clen < len) {
            int32_t next = 0;
            utf8proc_iterate((const utf8proc_uint8_t *)text + i + clen,
                             (utf8proc_ssize_t)(len - i - clen), &next);
            if (((cp == '\'' || cp == 0x2019) && is_wordchar(prev) &&
                 !is_digit(prev) && is_wordchar(next) && !is_digit(next)) ||
                (cp == '.' && is_digit(prev) && is_digit(next)))
                wc = 1;
        }
        if (inword && !wc) {
            rc = emit_word(&a, wstart, i);
            inword = 0;
        }
        if (nrun && !cjk && rc == KB_OK) {
            off[nrun] = i;
            rc = emit_cjk(&a, off, nrun);
            nrun = 0;
        }
        if (rc != KB_OK || i == len)
            break;
        if (cjk) {
            if (nrun + 2 > offcap) {
                size_t c = offcap ? offcap * 2 : 64;
                size_t *o = realloc(off, c * sizeof *o);
                if (!o) {
                    rc = KB_ENOMEM;
                    break;
                }
                off = o;
                offcap = c;
            }
            off[nrun++] = i;
        } else if (wc && !inword) {
            inword = 1;
            wstart = i;
        }
        if (wc && cp < 0x80) {
            /* The rest of an ASCII word, in one go: its letters and
             * digits neither end it nor join it. */
            const unsigned char *u = (const unsigned char *)text;
            size_t j = i + 1;
            while (j < len && u[j] < 0x80 && ascii_word[u[j]])
                j++;
            prev = u[j - 1];
            i = j;
            continue;
        }
        prev = cp;
        i += clen;
    }
    free(off);
    if (rc == KB_ENOMEM)
        kb_fail(errmsg, rc, "out of memory");
    return rc;
}

int kb_analyse(kb_tokens *out, const char *text, size_t len, kb_stemmer *st,
               uint32_t firstpos, char **errmsg)
{
    return analyse(out, text, len, st, firstpos, NULL, errmsg);
}

int kb_analyse_for(kb_tokens *out, const char *text, size_t len, kb_stemmer *st,
                   const kb_sought *s, char **errmsg)
{
    return analyse(out, text, len, st, 1, s, errmsg);
}

/* --- stop words (query side only) --- */

/* Sorted by strcmp order: kb_is_stopword searches it with bsearch. */
static const char *const stopwords[] = {
    "a",       "about",   "above",  "after",   "again",  "all",     "am",
    "an",      "and",     "any",    "are",     "as",     "at",      "be",
    "because", "been",    "before", "being",   "below",  "between", "both",
    "but",     "by",      "can",    "can't",   "could",  "did",     "do",
    "does",    "doesn't", "doing",  "don't",   "down",   "during",  "each",
    "few",     "for",     "from",   "further", "had",    "has",     "have",
    "having",  "he",      "hello",  "her",     "here",   "hers",    "hi",
    "him",     "his",     "how",    "i",       "i'm",    "if",      "in",
    "into",    "is",      "isn't",  "it",      "it's",   "its",     "itself",
    "just",    "me",      "more",   "most",    "my",     "myself",  "no",
    "nor",     "not",     "now",    "of",      "off",    "on",      "once",
    "only",    "or",      "other",  "our",     "ours",   "out",     "over",
    "own",     "please",  "same",   "she",     "should", "so",      "some",
    "such",    "than",    "thanks", "that",    "the",    "their",   "them",
    "then",    "there",   "these",  "they",    "this",   "those",   "through",
    "to",      "too",     "under",  "until",   "up",     "very",    "was",
    "we",      "were",    "what",   "when",    "where",  "which",   "while",
    "who",     "whom",    "why",    "will",    "with",   "won't",   "would",
    "you",     "your",    "yours",
};

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int kb_is_stopword(const char *w, size_t len)
{
    char key[32];
    if (len >= sizeof key)
        return 0;
    memcpy(key, w, len);
    key[len] = '\0';
    const char *k = key;
    return bsearch(&k, stopwords, sizeof stopwords / sizeof *stopwords,
                   sizeof *stopwords, cmpstr) != NULL;
}

int kb_joinable(const char *a, size_t al, const char *b, size_t bl)
{
    /* Other stop words make words by accident: "add it", "a way". */
    static const char *const particle[] = {"back", "down", "in",      "off",
                                           "on",   "out",  "through", "up"};
    if (!al || !bl || kb_is_stopword(a, al))
        return 0;
    if (!kb_is_stopword(b, bl))
        return 1;
    for (size_t i = 0; i < sizeof particle / sizeof *particle; i++)
        if (strlen(particle[i]) == bl && !memcmp(particle[i], b, bl))
            return 1;
    return 0;
}

int kb_join_words(kb_tokens *tk, const char *a, size_t al, const char *b,
                  size_t bl, kb_stemmer *st)
{
    char both[96];
    if (al + bl > sizeof both || !kb_joinable(a, al, b, bl))
        return 0;
    memcpy(both, a, al);
    memcpy(both + al, b, bl);
    return kb_analyse(tk, both, al + bl, st, 1, NULL) == KB_OK && tk->n == 1 &&
           tk->v[0].kind == KB_TOK_WORD &&
           !kb_is_stopword(kb_tok_word(tk, tk->v), tk->v[0].wlen);
}

/* kb_snippet.c - highlighted excerpts with the analyser's own offsets */
#include "kb_snippet.h"
#include "kb_buf.h"
#include "kb_error.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* --- term sets --- */

static unsigned filter_bit(const char *t, size_t len)
{
    const unsigned char *u = (const unsigned char *)t;
    return (unsigned)(len * 31u + u[0] * 7u + u[len - 1]) & 255u;
}

static int add(kb_termset *s, const char *pfx, const char *t, size_t len)
{
    size_t pl = strlen(pfx);
    if (s->n == s->cap) {
        size_t c = s->cap ? s->cap * 2 : 16;
        char **v = realloc(s->v, c * sizeof *v);
        if (!v)
            return KB_ENOMEM;
        s->v = v;
        size_t *l = realloc(s->len, c * sizeof *l);
        if (!l)
            return KB_ENOMEM;
        s->len = l;
        s->cap = c;
    }
    char *p = malloc(pl + len + 1);
    if (!p)
        return KB_ENOMEM;
    memcpy(p, pfx, pl);
    memcpy(p + pl, t, len);
    p[pl + len] = '\0';
    s->v[s->n] = p;
    s->len[s->n++] = pl + len;
    if (pl + len) {
        unsigned bit = filter_bit(p, pl + len);
        s->filter[bit >> 6] |= (uint64_t)1 << (bit & 63);
    }
    if (*pfx == '\x02')
        s->nprefix++;
    /* A word can match a whole term or a prefix (never empty): their first
     * bytes. */
    if ((!*pfx || *pfx == '\x02') && len) {
        unsigned char c = (unsigned char)*t;
        s->first[c >> 6] |= (uint64_t)1 << (c & 63);
    }
    for (size_t i = 0; *pfx != '\x02' && i < len;) {
        utf8proc_int32_t cp = 0;
        utf8proc_ssize_t l = utf8proc_iterate((const utf8proc_uint8_t *)t + i,
                                              (utf8proc_ssize_t)(len - i), &cp);
        if (l <= 0)
            break;
        /* Every character, not only kb_is_cjk's: a Simplified form may
         * lie outside those blocks (U+8B45 folds to U+30D8E). */
        uint32_t b = KB_CJK_BIT(cp);
        s->cjk[b >> 6] |= (uint64_t)1 << (b & 63);
        i += (size_t)l;
    }
    return KB_OK;
}

int kb_termset_has(const kb_termset *s, const char *t, size_t len)
{
    if (len == 0 || s->n == 0)
        return 0;
    unsigned bit = filter_bit(t, len);
    if (!(s->filter[bit >> 6] & ((uint64_t)1 << (bit & 63))))
        return 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->len[i] == len && memcmp(s->v[i], t, len) == 0)
            return 1;
    return 0;
}

int kb_termset_add(kb_termset *s, const char *t, size_t len)
{
    return kb_termset_has(s, t, len) ? KB_OK : add(s, "", t, len);
}

int kb_termset_add_unigram(kb_termset *s, const char *t, size_t len)
{
    char key[16];
    if (len + 2 > sizeof key)
        return KB_OK;
    key[0] = '\x01';
    memcpy(key + 1, t, len);
    return kb_termset_has(s, key, len + 1) ? KB_OK : add(s, "\x01", t, len);
}

int kb_termset_add_prefix(kb_termset *s, const char *t, size_t len)
{
    char key[72];
    if (len + 2 > sizeof key || len == 0)
        return KB_OK;
    key[0] = '\x02';
    memcpy(key + 1, t, len);
    return kb_termset_has(s, key, len + 1) ? KB_OK : add(s, "\x02", t, len);
}

static int prefix_match(const kb_termset *s, const char *w, size_t len)
{
    if (!s->nprefix)
        return 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i][0] != '\x02')
            continue;
        size_t pl = s->len[i] - 1;
        if (pl <= len && memcmp(s->v[i] + 1, w, pl) == 0)
            return 1;
    }
    return 0;
}

void kb_termset_free(kb_termset *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    free(s->len);
    memset(s, 0, sizeof *s);
}

/* --- excerpts --- */

#define SNIPPET_SCAN 16384

/* A Chinese unigram matches only as a unigram term (see
 * kb_termset_add_unigram), a bigram as itself. */
static int cjk_matched(void *ctx, const char *t, size_t len, int kind)
{
    const kb_termset *ts = ctx;
    if (kind == KB_TOK_CJK1) {
        char key[16];
        if (len + 2 > sizeof key)
            return 0;
        key[0] = '\x01';
        memcpy(key + 1, t, len);
        return kb_termset_has(ts, key, len + 1);
    }
    return kb_termset_has(ts, t, len);
}

static int matched(const kb_termset *ts, const kb_tokens *tk, const kb_token *k)
{
    const char *t = kb_tok_term(tk, k);
    if (k->kind == KB_TOK_CJK1 || k->kind == KB_TOK_CJK2)
        return cjk_matched((void *)ts, t, k->tlen, k->kind);
    return kb_termset_has(ts, t, k->tlen) ||
           (k->kind == KB_TOK_WORD &&
            prefix_match(ts, kb_tok_word(tk, k), k->wlen));
}

static size_t char_start(const char *text, size_t at)
{
    while (at > 0 && ((unsigned char)text[at] & 0xC0) == 0x80)
        at--;
    return at;
}

static int cjk_at(const char *text, size_t len, size_t at)
{
    utf8proc_int32_t cp = -1;
    if (at >= len)
        return 0;
    utf8proc_iterate((const utf8proc_uint8_t *)text + at,
                     (utf8proc_ssize_t)(len - at), &cp);
    return cp >= 0 && kb_is_cjk(cp);
}

int kb_marks_find(kb_marks *m, const char *text, size_t len,
                  const kb_termset *terms, kb_stemmer *st)
{
    kb_marks_free(m);
    m->text = text;
    m->len = len;
    /* Matches are looked for in the first SNIPPET_SCAN bytes only: a
     * long manual section costs no more than a page of it. */
    size_t scan = len;
    if (scan > SNIPPET_SCAN) {
        scan = SNIPPET_SCAN;
        while (scan > 0 && ((unsigned char)text[scan] & 0xC0) == 0x80)
            scan--;
    }
    /* Only the words that can match are stemmed, and only the Chinese
     * tokens that match are made. */
    kb_sought sought = {
        {terms->first[0], terms->first[1], terms->first[2], terms->first[3]},
        cjk_matched,
        (void *)terms,
        terms->cjk};
    if (kb_analyse_for(&m->tk, text, scan, st, &sought, NULL) != KB_OK ||
        !m->tk.n)
        return KB_OK; /* unmarked */
    m->sp = malloc(m->tk.n * sizeof *m->sp);
    if (!m->sp)
        return KB_ENOMEM;
    for (size_t i = 0; i < m->tk.n; i++) {
        const kb_token *k = &m->tk.v[i];
        if (!matched(terms, &m->tk, k))
            continue;
        /* Merge overlapping or touching spans (Chinese bigrams). */
        kb_span *last = m->nsp ? &m->sp[m->nsp - 1] : NULL;
        if (last && k->start <= last->end) {
            if (k->end > last->end)
                last->end = k->end;
            continue;
        }
        m->sp[m->nsp].start = k->start;
        m->sp[m->nsp].end = k->end;
        m->nsp++;
    }
    return KB_OK;
}

int kb_marks_excerpt(char **out, const kb_marks *m, size_t maxbytes)
{
    const char *text = m->text ? m->text : "";
    size_t len = m->len, nsp = m->nsp;
    const kb_span *sp = m->sp;
    const kb_tokens *tk = &m->tk;
    kb_buf b = KB_BUF_INIT(maxbytes * 8 + 256);
    int rc = KB_OK;
    *out = NULL;

    /* Choose the window [ws, we) of at most maxbytes. */
    size_t ws = 0, we = len;
    if (len > maxbytes) {
        size_t best = 0, bi = 0;
        for (size_t i = 0; i < nsp; i++) {
            size_t cnt = 0;
            for (size_t j = i; j < nsp && sp[j].end - sp[i].start <= maxbytes;
                 j++)
                cnt++;
            if (cnt > best) {
                best = cnt;
                bi = i;
            }
        }
        if (nsp) {
            size_t lead = maxbytes / 6;
            ws = sp[bi].start > lead ? sp[bi].start - lead : 0;
        }
        we = ws + maxbytes < len ? ws + maxbytes : len;
        /* Snap to a word's start, or in a Chinese run to the character
         * before (where a bigram holding this one starts). */
        size_t c = char_start(text, ws);
        if (cjk_at(text, len, c)) {
            size_t p = c ? char_start(text, c - 1) : 0;
            ws = c > 0 && cjk_at(text, len, p) ? p : c;
        } else {
            for (size_t i = 0; i < tk->n; i++) {
                if (tk->v[i].end > ws && tk->v[i].start < ws) {
                    ws = tk->v[i].start;
                    break;
                }
            }
        }
        ws = char_start(text, ws);
        size_t cut = we;
        while (cut > ws && cut < len && text[cut] != ' ' && text[cut] != '\n' &&
               we - cut < 24 && ((unsigned char)text[cut] & 0xF0) != 0xE0)
            cut--;
        if (cut > ws && cut < len &&
            (text[cut] == ' ' || text[cut] == '\n' ||
             ((unsigned char)text[cut] & 0xF0) == 0xE0))
            we = cut;
        while (we > ws && we < len && ((unsigned char)text[we] & 0xC0) == 0x80)
            we--;
    }

    if (ws > 0)
        rc = kb_buf_adds(&b, "\xE2\x80\xA6");
    size_t at = ws;
    for (size_t i = 0; i < nsp && rc == KB_OK; i++) {
        if (sp[i].end <= ws || sp[i].start >= we)
            continue;
        size_t s = sp[i].start < ws ? ws : sp[i].start;
        size_t e = sp[i].end > we ? we : sp[i].end;
        rc = kb_buf_add_html(&b, text + at, s - at);
        if (rc == KB_OK)
            rc = kb_buf_adds(&b, "<mark>");
        if (rc == KB_OK)
            rc = kb_buf_add_html(&b, text + s, e - s);
        if (rc == KB_OK)
            rc = kb_buf_adds(&b, "</mark>");
        at = e;
    }
    if (rc == KB_OK)
        rc = kb_buf_add_html(&b, text + at, we - at);
    if (rc == KB_OK && we < len)
        rc = kb_buf_adds(&b, "\xE2\x80\xA6");
    if (rc == KB_OK)
        *out = kb_buf_steal(&b);
    kb_buf_free(&b);
    return rc == KB_ETOOBIG ? KB_ENOMEM : rc;
}

void kb_marks_free(kb_marks *m)
{
    kb_tokens_free(&m->tk);
    free(m->sp);
    *m = (kb_marks)KB_MARKS_INIT;
}

int kb_snippet(char **out, const char *text, size_t len,
               const kb_termset *terms, kb_stemmer *st, size_t maxbytes)
{
    kb_marks m = KB_MARKS_INIT;
    int rc = kb_marks_find(&m, text, len, terms, st);
    *out = NULL;
    if (rc == KB_OK)
        rc = kb_marks_excerpt(out, &m, maxbytes);
    kb_marks_free(&m);
    return rc;
}

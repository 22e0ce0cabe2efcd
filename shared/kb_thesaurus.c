/* kb_thesaurus.c - related English words, read from a WordNet database */
#include "kb_thesaurus.h"
#include "kb_error.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WORD_MAX 64    /* longer words are not looked up */
#define DERIVED_MAX 32 /* "+" pointers followed from one word in a synset */

typedef struct {
    char *list; /* "a,b,c" */
    size_t len, cap;
} wlist;

typedef struct {
    char *word;
    wlist related; /* an irregular form shares its base's */
    wlist derived; /* forms made from the word, while loading */
    int alias;
} entry;

/* The data files, by part of speech: noun, verb, adj, adv. */
typedef struct {
    char *data[4];
    size_t len[4];
} wordnet;

static const char *const pos_name[] = {"noun", "verb", "adj", "adv"};

/* A pointer's part of speech ("s" is an adjective satellite), or -1. */
static int pos_index(char c)
{
    return c == 'n'               ? 0
           : c == 'v'             ? 1
           : c == 'a' || c == 's' ? 2
           : c == 'r'             ? 3
                                  : -1;
}

struct kb_thesaurus {
    entry *v;
    size_t n, cap;
    uint32_t *slot; /* open addressing: index + 1, 0 = empty */
    size_t nslot;
};

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

/* The slot of word (n bytes): where it is, or the empty slot for it.
 * The table must have slots (nslot > 0). */
static uint32_t *find_slot(const kb_thesaurus *t, const char *w, size_t n)
{
    size_t mask = t->nslot - 1, i = (size_t)hash(w, n) & mask;
    for (;; i = (i + 1) & mask) {
        uint32_t s = t->slot[i];
        if (!s)
            return &t->slot[i];
        const char *k = t->v[s - 1].word;
        if (!strncmp(k, w, n) && !k[n])
            return &t->slot[i];
    }
}

static int grow_slots(kb_thesaurus *t)
{
    size_t n = t->nslot ? 2 * t->nslot : 1u << 16;
    uint32_t *s = calloc(n, sizeof *s), *old = t->slot;
    if (!s)
        return KB_ENOMEM;
    t->slot = s;
    t->nslot = n;
    for (size_t i = 0; i < t->n; i++)
        *find_slot(t, t->v[i].word, strlen(t->v[i].word)) = (uint32_t)i + 1;
    free(old);
    return KB_OK;
}

/* The entry of word (n bytes), added empty if new; NULL when out of
 * memory. Borrowed until the next add. */
static entry *get(kb_thesaurus *t, const char *w, size_t n)
{
    if (2 * (t->n + 1) > t->nslot && grow_slots(t) != KB_OK)
        return NULL;
    uint32_t *s = find_slot(t, w, n);
    if (*s)
        return &t->v[*s - 1];
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 1u << 15;
        entry *v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return NULL;
        t->v = v;
        t->cap = cap;
    }
    entry *e = &t->v[t->n];
    memset(e, 0, sizeof *e);
    if (!(e->word = malloc(n + 1)))
        return NULL;
    memcpy(e->word, w, n);
    e->word[n] = '\0';
    *s = (uint32_t)++t->n;
    return e;
}

/* Whether the comma-separated list holds w (n bytes). */
static int listed(const char *list, size_t len, const char *w, size_t n)
{
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && list[e] != ',')
            e++;
        if (e - i == n && !memcmp(list + i, w, n))
            return 1;
        i = e + 1;
    }
    return 0;
}

/* Add w (n bytes) to l unless it is word itself or listed already. */
static int add_word(wlist *l, const char *word, const char *w, size_t n)
{
    if ((strlen(word) == n && !memcmp(word, w, n)) ||
        listed(l->list, l->len, w, n))
        return KB_OK;
    if (l->len + n + 2 > l->cap) {
        size_t cap = (l->len + n + 2) * 2;
        char *r = realloc(l->list, cap);
        if (!r)
            return KB_ENOMEM;
        l->list = r;
        l->cap = cap;
    }
    if (l->len)
        l->list[l->len++] = ',';
    memcpy(l->list + l->len, w, n);
    l->len += n;
    l->list[l->len] = '\0';
    return KB_OK;
}

/* A whole file, NUL-terminated. *out new; KB_ENOTFOUND if unreadable. */
static int slurp(char **out, size_t *len, const char *path)
{
    FILE *f = fopen(path, "rb");
    char *b = NULL;
    size_t cap = 0, n = 0;
    struct stat st;
    *out = NULL;
    if (!f)
        return KB_ENOTFOUND;
    if (fstat(fileno(f), &st) == 0 && st.st_size > 0)
        cap = (size_t)st.st_size + 2; /* room to see the end */
    if (cap && !(b = malloc(cap))) {
        fclose(f);
        return KB_ENOMEM;
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *nb = realloc(b, cap = 2 * cap + 65536 + 1);
            if (!nb) {
                free(b);
                fclose(f);
                return KB_ENOMEM;
            }
            b = nb;
        }
        size_t r = fread(b + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(b);
        return KB_ENOTFOUND;
    }
    b[n] = '\0';
    *out = b;
    *len = n;
    return KB_OK;
}

/* A one-word lemma, lower-cased into buf: its length, or 0 to skip it
 * (phrases, over-long words, the adjective markers "(a)" cut off). */
static size_t lemma(char *buf, const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && s[i] != '('; i++) {
        char c = s[i];
        if (c == '_' || k + 1 >= WORD_MAX || (unsigned char)c < 0x21 ||
            (unsigned char)c >= 0x80)
            return 0;
        buf[k++] = c >= 'A' && c <= 'Z' ? (char)(c | 0x20) : c;
    }
    buf[k] = '\0';
    return k;
}

/* Split line (modified) into at most max space-separated fields. */
static size_t fields(char *line, char **f, size_t max)
{
    size_t n = 0;
    for (char *p = line; *p && n < max;) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        f[n++] = p;
        while (*p && *p != ' ')
            p++;
        if (*p)
            *p++ = '\0';
    }
    return n;
}

/* The next space-separated field of a line at *p: its start and length
 * (0 at the line's end); *p moves past it. */
static size_t next_field(const char **p, const char **start)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    const char *e = s;
    while (*e && *e != ' ' && *e != '\n')
        e++;
    *start = s;
    *p = e;
    return (size_t)(e - s);
}

/* A field of hex digits (at most 0xffff), or 0. */
static unsigned long hex_field(const char *s, size_t n)
{
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        int d = s[i] >= '0' && s[i] <= '9'   ? s[i] - '0'
                : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
                                             : -1;
        if (d < 0 || v > 0xfff)
            return 0;
        v = v * 16 + (unsigned long)d;
    }
    return v;
}

/* A field of decimal digits (a byte offset or a count). */
static unsigned long dec_field(const char *s, size_t n)
{
    unsigned long v = 0;
    for (size_t i = 0; i < n && s[i] >= '0' && s[i] <= '9' && v < 1000000000;
         i++)
        v = v * 10 + (unsigned long)(s[i] - '0');
    return v;
}

/* The synset line at offset off of data: *p past its word count, which
 * it returns; 0 if there is no synset there. */
static unsigned long synset_at(const char *data, size_t len, unsigned long off,
                               const char **p)
{
    const char *f[4];
    size_t fl[4];
    if (off >= len)
        return 0;
    *p = data + off;
    for (int i = 0; i < 4; i++)
        fl[i] = next_field(p, &f[i]);
    /* the word count is two hex digits */
    return fl[3] == 2 && dec_field(f[0], fl[0]) == off ? hex_field(f[3], 2) : 0;
}

/* Word k (from 1) of the synset at offset off of pos's data file, as a
 * lemma into buf: its length, or 0. */
static size_t synset_word(char *buf, const wordnet *wn, int pos,
                          unsigned long off, unsigned long k)
{
    const char *p, *w;
    size_t n = 0;
    if (k == 0 || k > synset_at(wn->data[pos], wn->len[pos], off, &p))
        return 0;
    for (unsigned long i = 0; i < 2 * (k - 1); i++)
        next_field(&p, &w); /* words before it, and their lex_ids */
    return (n = next_field(&p, &w)) ? lemma(buf, w, n) : 0;
}

/* The words of the synset at offset off of pos's data file: added to e's
 * related words, and the forms WordNet derives from e's own word in it
 * ("+" pointers: "analysis" -> "analyze") to e's derived ones. */
static int add_synset(entry *e, const wordnet *wn, int pos, unsigned long off,
                      const char *file, int ln, char **errmsg)
{
    const char *p, *w, *pf[4];
    size_t n, pl[4], k;
    char word[WORD_MAX];
    unsigned long self = 0, followed = 0;
    if (off >= wn->len[pos])
        return kb_fail(errmsg, KB_ECORRUPT,
                       "%s:%d: offset %lu past the "
                       "data file",
                       file, ln, off);
    unsigned long wc = synset_at(wn->data[pos], wn->len[pos], off, &p);
    if (wc == 0)
        return kb_fail(errmsg, KB_ECORRUPT, "%s:%d: no synset at offset %lu",
                       file, ln, off);
    for (unsigned long i = 0; i < wc; i++) {
        if (!(n = next_field(&p, &w)))
            return kb_fail(errmsg, KB_ECORRUPT,
                           "%s:%d: synset at offset "
                           "%lu cut short",
                           file, ln, off);
        if ((k = lemma(word, w, n)) && !strcmp(word, e->word))
            self = i + 1;
        if (k && add_word(&e->related, e->word, word, k) != KB_OK)
            return KB_ENOMEM;
        next_field(&p, &w); /* lex_id */
    }
    n = next_field(&p, &w);
    unsigned long np = self && n == 3 ? dec_field(w, n) : 0; /* "%03d" */
    for (unsigned long i = 0; i < np; i++) {
        /* symbol, offset, part of speech, source and target word (hex) */
        for (int j = 0; j < 4; j++)
            pl[j] = next_field(&p, &pf[j]);
        if (!pl[0] || (pl[0] == 1 && pf[0][0] == '|'))
            break; /* the line ends before its count */
        int tp = pl[2] == 1 ? pos_index(pf[2][0]) : -1;
        if (pl[0] != 1 || pf[0][0] != '+' || pl[3] != 4 || tp < 0 ||
            hex_field(pf[3], 2) != self)
            continue;
        k = synset_word(word, wn, tp, dec_field(pf[1], pl[1]),
                        hex_field(pf[3] + 2, 2));
        if (k && add_word(&e->derived, e->word, word, k) != KB_OK)
            return KB_ENOMEM;
        if (++followed == DERIVED_MAX)
            break;
    }
    return KB_OK;
}

/* One part of speech: index.POS over the data files. */
static int load_pos(kb_thesaurus *t, const wordnet *wn, const char *dir,
                    int pos, char **errmsg)
{
    char ipath[4096], w[WORD_MAX];
    char *idx = NULL, *save = NULL;
    size_t ilen = 0;
    int rc, ln = 0;
    snprintf(ipath, sizeof ipath, "%s/index.%s", dir, pos_name[pos]);
    if ((rc = slurp(&idx, &ilen, ipath)) != KB_OK) {
        if (rc == KB_ENOTFOUND)
            kb_fail(errmsg, rc, "%s: %s", ipath, strerror(errno));
        return rc;
    }
    for (char *line = strtok_r(idx, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *f[1024];
        ln++;
        if (*line == ' ') /* the licence */
            continue;
        size_t nf = fields(line, f, sizeof f / sizeof *f);
        unsigned long nsyn = nf > 2 ? strtoul(f[2], NULL, 10) : 0;
        unsigned long nptr = nf > 3 ? strtoul(f[3], NULL, 10) : 0;
        if (nf < 6 || nsyn == 0 || 6 + nptr + nsyn > nf) {
            rc = kb_fail(errmsg, KB_ECORRUPT, "%s:%d: malformed entry", ipath,
                         ln);
            goto done;
        }
        size_t k = lemma(w, f[0], strlen(f[0]));
        if (!k)
            continue;
        entry *e = get(t, w, k);
        if (!e) {
            rc = KB_ENOMEM;
            goto done;
        }
        for (unsigned long i = 0; i < nsyn; i++) {
            unsigned long off = strtoul(f[6 + nptr + i], NULL, 10);
            if ((rc = add_synset(e, wn, pos, off, ipath, ln, errmsg)) != KB_OK)
                goto done;
        }
    }
    rc = KB_OK;
done:
    free(idx);
    return rc;
}

/* Each word's derived forms after its synonyms: the synonyms of every
 * sense come first. */
static int add_derived(kb_thesaurus *t)
{
    for (size_t i = 0; i < t->n; i++) {
        entry *e = &t->v[i];
        for (size_t j = 0; j < e->derived.len;) {
            size_t n = strcspn(e->derived.list + j, ",");
            if (add_word(&e->related, e->word, e->derived.list + j, n) != KB_OK)
                return KB_ENOMEM;
            j += n + 1;
        }
        free(e->derived.list);
        e->derived = (wlist){NULL, 0, 0};
    }
    return KB_OK;
}

/* Irregular forms ("stolen steal"): each shares its first base's words.
 * A missing file is no error. */
static int load_exc(kb_thesaurus *t, const char *dir, const char *pos)
{
    char path[4096], line[512], w[WORD_MAX], b[WORD_MAX];
    snprintf(path, sizeof path, "%s/%s.exc", dir, pos);
    if (!t->nslot) /* no words, so no bases */
        return KB_OK;
    FILE *f = fopen(path, "r");
    int rc = KB_OK;
    while (f && rc == KB_OK && fgets(line, sizeof line, f)) {
        char *fl[2];
        line[strcspn(line, "\n")] = '\0';
        if (fields(line, fl, 2) < 2)
            continue;
        size_t wk = lemma(w, fl[0], strlen(fl[0]));
        size_t bk = lemma(b, fl[1], strlen(fl[1]));
        if (!wk || !bk)
            continue;
        uint32_t s = *find_slot(t, b, bk);
        if (!s || !t->v[s - 1].related.list || *find_slot(t, w, wk))
            continue;
        wlist related = t->v[s - 1].related;
        entry *e = get(t, w, wk);
        if (!e) {
            rc = KB_ENOMEM;
            break;
        }
        e->related = related;
        e->alias = 1;
    }
    if (f)
        fclose(f);
    return rc;
}

int kb_thesaurus_load(kb_thesaurus **out, const char *dir, char **errmsg)
{
    kb_thesaurus *t = calloc(1, sizeof *t);
    wordnet wn = {{NULL}, {0}};
    int rc = t ? KB_OK : KB_ENOMEM;
    *out = NULL;
    /* all four first: a derived form may be another part of speech */
    for (int i = 0; rc == KB_OK && i < 4; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/data.%s", dir, pos_name[i]);
        if ((rc = slurp(&wn.data[i], &wn.len[i], path)) == KB_ENOTFOUND)
            kb_fail(errmsg, rc, "%s: %s", path, strerror(errno));
    }
    for (int i = 0; rc == KB_OK && i < 4; i++)
        rc = load_pos(t, &wn, dir, i, errmsg);
    if (rc == KB_OK)
        rc = add_derived(t);
    for (int i = 0; rc == KB_OK && i < 4; i++)
        rc = load_exc(t, dir, pos_name[i]);
    for (int i = 0; i < 4; i++)
        free(wn.data[i]);
    if (rc != KB_OK) {
        if (rc == KB_ENOMEM)
            kb_fail(errmsg, rc, "out of memory reading %s", dir);
        kb_thesaurus_free(t);
        return rc;
    }
    *out = t;
    return KB_OK;
}

static const char *lookup(const kb_thesaurus *t, const char *w, size_t n)
{
    uint32_t s = t->nslot ? *find_slot(t, w, n) : 0;
    return s ? t->v[s - 1].related.list : NULL;
}

const char *kb_thesaurus_find(const kb_thesaurus *t, const char *w, size_t len)
{
    /* WordNet's own detachment rules, in short: an ending off, or swapped */
    static const char *const rule[][2] = {
        {"s", ""},   {"es", ""},   {"ed", ""},  {"d", ""},
        {"ing", ""}, {"ing", "e"}, {"ies", "y"}};
    if (!t || len == 0 || len >= WORD_MAX)
        return NULL;
    const char *r = lookup(t, w, len);
    for (size_t i = 0; !r && i < sizeof rule / sizeof *rule; i++) {
        size_t sl = strlen(rule[i][0]), al = strlen(rule[i][1]);
        char base[WORD_MAX + 4];
        if (len <= sl + 2 || memcmp(w + len - sl, rule[i][0], sl))
            continue;
        memcpy(base, w, len - sl);
        memcpy(base + len - sl, rule[i][1], al);
        r = lookup(t, base, len - sl + al);
    }
    return r;
}

size_t kb_thesaurus_size(const kb_thesaurus *t)
{
    size_t n = 0;
    for (size_t i = 0; t && i < t->n; i++)
        n += t->v[i].related.list != NULL;
    return n;
}

void kb_thesaurus_free(kb_thesaurus *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].word);
        if (!t->v[i].alias)
            free(t->v[i].related.list);
        free(t->v[i].derived.list);
    }
    free(t->v);
    free(t->slot);
    free(t);
}

/* wordnet.h - a small WordNet database in WordNet's own file format, for
 * the suites that load a thesaurus: wn_write(dir, synsets, n) writes
 * index.* and data.* (with the licence lines, byte offsets and "+"
 * pointers WordNet has) and an empty or given verb.exc. */
#ifndef KB_WORDNET_H
#define KB_WORDNET_H

#include <stdio.h>
#include <string.h>

typedef struct {
    char pos;            /* n, v, a or r */
    const char *words;   /* the synset's words, space-separated */
    const char *derived; /* or NULL: "S:T.W ...", word S (from 1) derives
                            from word W of synset T of the array */
} wn_synset;

static const char *wn_file(char pos)
{
    return pos == 'n'   ? "noun"
           : pos == 'v' ? "verb"
           : pos == 'a' ? "adj"
                        : "adv";
}

/* Whether the space-separated words hold lemma (a word's "(a)" marker and
 * case ignored). */
static int wn_has(const char *words, const char *lemma)
{
    size_t n = strlen(lemma);
    for (const char *w = words; *w;) {
        size_t k = strcspn(w, " ");
        size_t e = strcspn(w, " (");
        if (e > k)
            e = k;
        if (e == n) {
            size_t i = 0;
            while (i < n && (w[i] >= 'A' && w[i] <= 'Z' ? w[i] | 0x20 : w[i]) ==
                                lemma[i])
                i++;
            if (i == n)
                return 1;
        }
        w += k;
        while (*w == ' ')
            w++;
    }
    return 0;
}

/* Line i of its data file into buf, with the offsets in off. */
static void wn_line(char *buf, size_t size, const wn_synset *s, size_t i,
                    const long *off)
{
    char words[512], out[1024] = "", ptrs[512] = "";
    int count = 0, np = 0;
    snprintf(words, sizeof words, "%s", s[i].words);
    for (char *w = strtok(words, " "); w; w = strtok(NULL, " ")) {
        strcat(out, w);
        strcat(out, " 0 ");
        count++;
    }
    for (const char *d = s[i].derived; d && *d;) {
        unsigned src, tgt, word;
        int used = 0;
        char p[64];
        if (sscanf(d, "%u:%u.%u%n", &src, &tgt, &word, &used) != 3)
            break;
        snprintf(p, sizeof p, "+ %08ld %c %02x%02x ", off[tgt], s[tgt].pos, src,
                 word);
        strcat(ptrs, p);
        np++;
        for (d += used; *d == ' '; d++)
            ;
    }
    snprintf(buf, size, "%08ld 00 %c %02x %s%03d %s| a test sense\n", off[i],
             s[i].pos, count, out, np, ptrs);
}

/* Write the database; exc is verb.exc's text (or NULL). 0 on success. */
static int wn_write(const char *dir, const wn_synset *s, size_t n,
                    const char *exc)
{
    static const char pos[4] = {'n', 'v', 'a', 'r'};
    static const char licence[] =
        "  1 This software and database is being provided to you, the "
        "LICENSEE,\n  2 by Princeton University under the following "
        "license.\n";
    long off[64] = {0};
    char path[512], line[2048];
    if (n > 64)
        return -1;
    /* offsets first: a pointer may name a synset of a later file */
    for (int p = 0; p < 4; p++) {
        long at = (long)strlen(licence);
        for (size_t i = 0; i < n; i++) {
            if (s[i].pos != pos[p])
                continue;
            off[i] = at;
            wn_line(line, sizeof line, s, i, off);
            at += (long)strlen(line);
        }
    }
    for (int p = 0; p < 4; p++) {
        snprintf(path, sizeof path, "%s/data.%s", dir, wn_file(pos[p]));
        FILE *d = fopen(path, "w");
        if (!d)
            return -1;
        fputs(licence, d);
        for (size_t i = 0; i < n; i++) {
            if (s[i].pos != pos[p])
                continue;
            wn_line(line, sizeof line, s, i, off);
            fputs(line, d);
        }
        fclose(d);
        /* index: each word's synsets in the order given */
        snprintf(path, sizeof path, "%s/index.%s", dir, wn_file(pos[p]));
        FILE *x = fopen(path, "w");
        if (!x)
            return -1;
        fputs(licence, x);
        for (size_t i = 0; i < n; i++) {
            if (s[i].pos != pos[p])
                continue;
            char words[512];
            snprintf(words, sizeof words, "%s", s[i].words);
            char *save = NULL;
            for (char *w = strtok_r(words, " ", &save); w;
                 w = strtok_r(NULL, " ", &save)) {
                char lemma[64];
                size_t k = 0;
                for (; w[k] && w[k] != '(' && k + 1 < sizeof lemma; k++)
                    lemma[k] =
                        (char)(w[k] >= 'A' && w[k] <= 'Z' ? w[k] | 0x20 : w[k]);
                lemma[k] = '\0';
                int seen = 0, senses = 0;
                char offs[512] = "";
                /* written once, at the word's first synset */
                for (size_t j = 0; j < n && !seen; j++) {
                    if (j == i)
                        break;
                    if (s[j].pos == pos[p] && wn_has(s[j].words, lemma))
                        seen = 1;
                }
                if (seen)
                    continue;
                for (size_t j = i; j < n; j++) {
                    if (s[j].pos != pos[p] || !wn_has(s[j].words, lemma))
                        continue;
                    char o[16];
                    snprintf(o, sizeof o, " %08ld", off[j]);
                    strcat(offs, o);
                    senses++;
                }
                fprintf(x, "%s %c %d 0 %d 0%s \n", lemma, pos[p], senses,
                        senses, offs);
            }
        }
        fclose(x);
    }
    snprintf(path, sizeof path, "%s/verb.exc", dir);
    FILE *e = fopen(path, "w");
    if (!e)
        return -1;
    if (exc)
        fputs(exc, e);
    fclose(e);
    return 0;
}

#endif

/* kb_pii.c - mask personal data in ticket text before it is stored */
#include "kb_pii.h"
#include "kb_buf.h"
#include "kb_error.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int isd(char c) { return c >= '0' && c <= '9'; }
static int isal(char c) { return isalnum((unsigned char)c); }

/* --- matchers: each returns the length matched at s[i], or 0 --- */

static int email_local(char c)
{
    return isal(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

#define MAX_LOCAL 64   /* RFC 5321 limits: every scan stays bounded, */
#define MAX_DOMAIN 255 /* so no input makes masking quadratic */

/* Called at an '@': returns start and end of the address around it. */
static int match_email(const char *s, size_t len, size_t lo, size_t at,
                       size_t *b, size_t *e)
{
    size_t i = at;
    while (i > lo && at - i < MAX_LOCAL && email_local(s[i - 1]))
        i--;
    if (i == at)
        return 0;
    size_t j = at + 1;
    while (j < len && j - at <= MAX_DOMAIN &&
           (isal(s[j]) || s[j] == '-' || s[j] == '.'))
        j++;
    while (j > at + 1 && s[j - 1] == '.') /* a sentence's full stop */
        j--;
    size_t lastdot = 0;
    for (size_t k = at + 1; k < j; k++)
        if (s[k] == '.')
            lastdot = k;
    if (!lastdot || j - lastdot < 3)
        return 0;
    *b = i;
    *e = j;
    return 1;
}

/* Collect up to 19 digits separated by single spaces or hyphens. */
static size_t digit_run(const char *s, size_t len, size_t i, char *digits,
                        size_t *nd, int allow_sep)
{
    size_t j = i;
    *nd = 0;
    while (j < len && *nd < 20) {
        if (isd(s[j])) {
            digits[(*nd)++] = s[j++];
        } else if (allow_sep && (s[j] == ' ' || s[j] == '-') && j + 1 < len &&
                   isd(s[j + 1]) && j > i) {
            j++;
        } else {
            break;
        }
    }
    return j - i;
}

static int luhn(const char *d, size_t n)
{
    int sum = 0;
    for (size_t k = 0; k < n; k++) {
        int v = d[n - 1 - k] - '0';
        if (k % 2 == 1) {
            v *= 2;
            if (v > 9)
                v -= 9;
        }
        sum += v;
    }
    return sum % 10 == 0;
}

static size_t match_idcard(const char *s, size_t len, size_t i)
{
    if (i + 18 > len)
        return 0;
    for (size_t k = 0; k < 17; k++)
        if (!isd(s[i + k]))
            return 0;
    char last = s[i + 17];
    if (!isd(last) && last != 'X' && last != 'x')
        return 0;
    if (i + 18 < len && isal(s[i + 18]))
        return 0;
    /* Birth date YYYYMMDD at offset 6 must be plausible. */
    int y = (s[i + 6] - '0') * 1000 + (s[i + 7] - '0') * 100 +
            (s[i + 8] - '0') * 10 + (s[i + 9] - '0');
    int m = (s[i + 10] - '0') * 10 + (s[i + 11] - '0');
    int d = (s[i + 12] - '0') * 10 + (s[i + 13] - '0');
    if (y < 1900 || y > 2100 || m < 1 || m > 12 || d < 1 || d > 31)
        return 0;
    return 18;
}

static size_t match_card(const char *s, size_t len, size_t i)
{
    char d[24];
    size_t nd;
    size_t n = digit_run(s, len, i, d, &nd, 1);
    if (nd < 13 || nd > 19 || (i + n < len && isal(s[i + n])))
        return 0;
    return luhn(d, nd) ? n : 0;
}

static size_t match_ipv4(const char *s, size_t len, size_t i)
{
    size_t j = i;
    for (int part = 0; part < 4; part++) {
        int v = 0, nd = 0;
        while (j < len && isd(s[j]) && nd < 4) {
            v = v * 10 + (s[j++] - '0');
            nd++;
        }
        if (nd == 0 || nd > 3 || v > 255)
            return 0;
        if (part < 3) {
            if (j >= len || s[j] != '.')
                return 0;
            j++;
        }
    }
    if (j < len && (isd(s[j]) || (s[j] == '.' && j + 1 < len && isd(s[j + 1]))))
        return 0;
    return j - i;
}

static size_t match_phone(const char *s, size_t len, size_t i)
{
    size_t j = i, nd = 0, seps = 0;
    int plus = 0;
    if (s[j] == '+') {
        plus = 1;
        j++;
    } else if (s[j] == '(') {
        /* An area code in brackets: "(020) 555 0142". */
        size_t k = j + 1;
        while (k < len && isd(s[k]) && k - j <= 5)
            k++;
        if (k >= len || s[k] != ')' || k == j + 1)
            return 0;
        j++;
    }
    size_t first = j;
    while (j < len && j - i <= 24) { /* longer runs are not phone numbers */
        if (isd(s[j])) {
            nd++;
            j++;
            continue;
        }
        /* A run of at most two separators followed by a digit. */
        size_t k = j;
        while (k < len && k - j < 2 &&
               (s[k] == ' ' || s[k] == '-' || s[k] == '.' || s[k] == ')'))
            k++;
        if (k == j || k >= len || !isd(s[k]) || j == first)
            break;
        seps++;
        j = k;
    }
    if (j < len && isal(s[j]))
        return 0;
    /* A Chinese mobile number: 11 digits starting 13x..19x, often written
     * 3-4-4. */
    if (!plus && nd == 11 && seps <= 2 && s[first] == '1' &&
        s[first + 1] >= '3' && s[first + 1] <= '9')
        return j - i;
    /* A Dutch mobile number written without separators: 06 and 8 digits. */
    if (!plus && nd == 10 && seps == 0 && s[first] == '0' &&
        s[first + 1] == '6')
        return j - i;
    if (plus && nd >= 8 && nd <= 15)
        return j - i;
    /* Other numbers need separators (or brackets) and a phone-like length. */
    if (!plus && (seps >= 1 || s[i] == '(') && nd >= 9 && nd <= 13 &&
        s[first] == '0')
        return j - i;
    return 0;
}

int kb_pii_mask(char **out, const char *s, size_t len, int *nmasked)
{
    kb_buf b = KB_BUF_INIT(len * 2 + 64);
    size_t i = 0, copied = 0;
    int n = 0, rc = KB_OK;
    *out = NULL;

    while (i < len && rc == KB_OK) {
        size_t mb = i, me = 0;
        const char *rep = NULL;
        int boundary = (i == 0) || !isal(s[i - 1]);
        if (s[i] == '@') {
            size_t eb, ee;
            if (match_email(s, len, copied, i, &eb, &ee) && eb >= copied) {
                mb = eb;
                me = ee;
                rep = "[email]";
            }
        } else if (boundary && (isd(s[i]) || s[i] == '+' || s[i] == '(') &&
                   !(i > 0 && (s[i - 1] == '.' || s[i - 1] == '-'))) {
            size_t m, at = i, eb, ee;
            while (at < len && at - i < MAX_LOCAL && email_local(s[at]))
                at++;
            if (at < len && s[at] == '@' &&
                match_email(s, len, copied, at, &eb, &ee) && eb <= i &&
                eb >= copied) {
                /* A mailbox named by a number: 13812345678@139.com. */
                mb = eb;
                me = ee;
                rep = "[email]";
            } else if (isd(s[i]) && (m = match_idcard(s, len, i))) {
                me = i + m;
                rep = "[id-card]";
            } else if (isd(s[i]) && (m = match_card(s, len, i))) {
                me = i + m;
                rep = "[card]";
            } else if (isd(s[i]) && (m = match_ipv4(s, len, i))) {
                me = i + m;
                rep = "[ip]";
            } else if ((m = match_phone(s, len, i))) {
                me = i + m;
                rep = "[phone]";
            }
        }
        if (rep) {
            rc = kb_buf_add(&b, s + copied, mb - copied);
            if (rc == KB_OK)
                rc = kb_buf_adds(&b, rep);
            copied = i = me;
            n++;
        } else {
            i++;
        }
    }
    if (rc == KB_OK)
        rc = kb_buf_add(&b, s + copied, len - copied);
    if (rc != KB_OK) {
        kb_buf_free(&b);
        return rc;
    }
    if (nmasked)
        *nmasked = n;
    *out = kb_buf_steal(&b);
    return KB_OK;
}

/* kb_pii.h - mask personal data in ticket text before it is stored */
#ifndef KB_PII_H
#define KB_PII_H

#include <stddef.h>

/* Replace personal data in s with placeholders: e-mail addresses
 * ("[email]"), Chinese ID-card numbers ("[id-card]"), payment-card numbers
 * that pass the Luhn check ("[card]"), phone numbers, Chinese mobile
 * numbers included ("[phone]"), and IPv4 addresses ("[ip]"). *out is new
 * (free with kb_free); *nmasked (optional) counts the replacements.
 * Returns KB_OK or KB_ENOMEM. */
int kb_pii_mask(char **out, const char *s, size_t len, int *nmasked);

#endif

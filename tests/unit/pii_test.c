/* pii_test.c - personal data is masked in ticket text, look-alikes are not */
#include "kb_error.h"
#include "kb_pii.h"

#include "testhelp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Mask s and compare with want; also check the count when n >= 0. */
static int masks_to(const char *s, const char *want, int n)
{
    char *out = NULL;
    int got = -1, ok;
    int rc = kb_pii_mask(&out, s, strlen(s), &got);
    ok = rc == KB_OK && out && strcmp(out, want) == 0 && (n < 0 || got == n);
    if (!ok)
        fprintf(stderr,
                "  mask(\"%s\") = \"%s\" (%d masked), wanted \"%s\" "
                "(%d)\n",
                s, out ? out : "(null)", got, want, n);
    free(out);
    return ok;
}

/* s comes back unchanged with nothing counted. */
static int untouched(const char *s) { return masks_to(s, s, 0); }

/* --- what is masked --- */

static void test_pii__email_addresses_are_masked(void)
{
    CHECK(masks_to("mail alice.smith@example.com now", "mail [email] now", 1));
    CHECK(masks_to("<j_doe+kb@mail.example.co.uk>", "<[email]>", 1));
    /* A sentence's full stop stays outside. */
    CHECK(masks_to("Write to bob@example.org.", "Write to [email].", 1));
    CHECK(masks_to("a@b.cn,c@d.com", "[email],[email]", 2));
}

static void test_pii__international_phone_numbers_are_masked(void)
{
    CHECK(masks_to("call +31 20 555 0142 today", "call [phone] today", 1));
    CHECK(masks_to("+86 138 1234 5678", "[phone]", 1));
    CHECK(masks_to("tel:+442071234567", "tel:[phone]", 1));
}

static void test_pii__national_phone_numbers_with_separators_are_masked(void)
{
    CHECK(masks_to("ring 020-555-0142 please", "ring [phone] please", 1));
    CHECK(masks_to("ring 020 5550 1420", "ring [phone]", 1));
}

static void test_pii__chinese_mobile_numbers_are_masked(void)
{
    CHECK(masks_to("13812345678", "[phone]", 1));
    /* Inside Chinese text: 手机13812345678。 */
    CHECK(masks_to("\xE6\x89\x8B\xE6\x9C\xBA"
                   "13812345678\xE3\x80\x82",
                   "\xE6\x89\x8B\xE6\x9C\xBA[phone]\xE3\x80\x82", 1));
    CHECK(masks_to("mobile: 19987654321,", "mobile: [phone],", 1));
}

static void test_pii__dutch_mobile_numbers_without_separators_are_masked(void)
{
    CHECK(masks_to("bel me op 0612345678 aub", "bel me op [phone] aub", 1));
    CHECK(masks_to("06-12345678", "[phone]", 1));
    /* Ten digits that do not start 06 stay: order and asset numbers. */
    CHECK(untouched("order 0512345678"));
    CHECK(untouched("asset 1612345678"));
}

static void test_pii__chinese_id_card_numbers_are_masked(void)
{
    CHECK(masks_to("ID 11010519491231002X ok", "ID [id-card] ok", 1));
    CHECK(masks_to("id 110105194912310021", "id [id-card]", 1));
    CHECK(masks_to("11010519491231002x", "[id-card]", 1));
}

static void test_pii__ipv4_addresses_are_masked(void)
{
    CHECK(masks_to("from 192.168.1.20 to 10.0.0.1.", "from [ip] to [ip].", 2));
    CHECK(masks_to("gw=172.16.254.1:8443", "gw=[ip]:8443", 1));
}

static void test_pii__luhn_valid_card_numbers_are_masked(void)
{
    CHECK(masks_to("card 4111111111111111 used", "card [card] used", 1));
    CHECK(masks_to("4111 1111 1111 1111", "[card]", 1));
    CHECK(masks_to("5500-0000-0000-0004.", "[card].", 1));
    CHECK(masks_to("amex 378282246310005", "amex [card]", 1));
}

static void test_pii__count_covers_every_kind_in_one_text(void)
{
    const char *s = "User bob@example.com, tel 13812345678, on 10.1.2.3 "
                    "paid with 4111111111111111 (ID 11010519491231002X).";
    CHECK(masks_to(s,
                   "User [email], tel [phone], on [ip] paid with [card] "
                   "(ID [id-card]).",
                   5));
}

static void test_pii__count_pointer_is_optional(void)
{
    char *out = NULL;
    CHECK_RC(kb_pii_mask(&out, "x@y.com", 7, NULL), KB_OK);
    CHECK_STR(out, "[email]");
    free(out);
}

static void test_pii__length_not_nul_ends_the_text(void)
{
    char *out = NULL;
    int n = -1;
    /* Only the first 11 bytes are the text. */
    CHECK_RC(kb_pii_mask(&out, "13812345678999", 11, &n), KB_OK);
    CHECK_STR(out, "[phone]");
    CHECK(n == 1);
    free(out);
    CHECK_RC(kb_pii_mask(&out, "", 0, &n), KB_OK);
    CHECK_STR(out, "");
    CHECK(n == 0);
    free(out);
}

/* --- harder shapes of phone numbers and mailboxes --- */

static void test_pii__parenthesised_area_code_then_space_is_masked(void)
{
    /* ')' is accepted as a separator only when a digit follows at once,
     * so the usual "(020) 555 0142" is left whole, although
     * "(020)5550142" is masked. */
    CHECK(masks_to("(020)5550142", "[phone]", 1));
    CHECK(masks_to("call (020) 555 0142", "call [phone]", 1));
}

static void test_pii__grouped_chinese_mobile_is_masked(void)
{
    /* The 3-4-4 grouping is how Chinese mobiles are usually written;
     * the mobile rule wants no separators and the separated rule wants a
     * leading 0. */
    CHECK(masks_to("tel 138 1234 5678", "tel [phone]", 1));
}

static void test_pii__phone_in_parentheses_keeps_the_parentheses(void)
{
    /* The '(' is taken as the start of an area code and masked with the
     * number, leaving "[phone])". */
    CHECK(masks_to("Bob (13812345678)", "Bob ([phone])", 1));
}

static void test_pii__mobile_number_mail_address_is_masked_as_email(void)
{
    /* 139.com addresses are the owner's mobile number; the number is
     * masked as a phone first and the domain is left behind. */
    CHECK(masks_to("from 13812345678@139.com", "from [email]", 1));
}

/* --- what is not masked --- */

static void test_pii__non_luhn_16_digit_number_is_kept(void)
{
    CHECK(untouched("order 4111111111111112 shipped"));
    CHECK(untouched("4111 1111 1111 1112"));
}

static void test_pii__dates_times_are_kept(void)
{
    CHECK(untouched("resolved 2026-05-14 at 10:30"));
    CHECK(untouched("2026-05-14T09:12:00Z"));
    CHECK(untouched("due 14.05.2026"));
}

static void test_pii__ticket_ids_are_kept(void)
{
    CHECK(untouched("see INC-10234 and REQ-2026-000123"));
    CHECK(untouched("INC10234"));
}

static void test_pii__version_numbers_and_error_codes_are_kept(void)
{
    CHECK(untouched("upgrade to 2.4.1 or GlobalConnect 6.2"));
    CHECK(untouched("Error 809, NDR 550 5.7.1, port 4500"));
    CHECK(untouched("build 20260514"));
}

static void test_pii__words_with_at_signs_that_are_not_addresses(void)
{
    CHECK(untouched("meet @ 5pm, ping @alice, user@localhost"));
}

static void test_pii__plain_text_is_copied_as_is(void)
{
    /* 打印机卡纸 and accents survive byte for byte. */
    CHECK(untouched("Printer jammed; \xE6\x89\x93\xE5\x8D\xB0\xE6\x9C\xBA "
                    "caf\xC3\xA9"));
}

int main(void)
{
    RUN(test_pii__email_addresses_are_masked);
    RUN(test_pii__international_phone_numbers_are_masked);
    RUN(test_pii__national_phone_numbers_with_separators_are_masked);
    RUN(test_pii__chinese_mobile_numbers_are_masked);
    RUN(test_pii__dutch_mobile_numbers_without_separators_are_masked);
    RUN(test_pii__chinese_id_card_numbers_are_masked);
    RUN(test_pii__ipv4_addresses_are_masked);
    RUN(test_pii__luhn_valid_card_numbers_are_masked);
    RUN(test_pii__count_covers_every_kind_in_one_text);
    RUN(test_pii__count_pointer_is_optional);
    RUN(test_pii__length_not_nul_ends_the_text);
    RUN(test_pii__parenthesised_area_code_then_space_is_masked);
    RUN(test_pii__grouped_chinese_mobile_is_masked);
    RUN(test_pii__phone_in_parentheses_keeps_the_parentheses);
    RUN(test_pii__mobile_number_mail_address_is_masked_as_email);
    RUN(test_pii__non_luhn_16_digit_number_is_kept);
    RUN(test_pii__dates_times_are_kept);
    RUN(test_pii__ticket_ids_are_kept);
    RUN(test_pii__version_numbers_and_error_codes_are_kept);
    RUN(test_pii__words_with_at_signs_that_are_not_addresses);
    RUN(test_pii__plain_text_is_copied_as_is);
    return TEST_REPORT();
}

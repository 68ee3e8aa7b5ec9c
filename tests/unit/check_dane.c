/*
 * check_dane - unit tests for src/dane.c: the TLSA state of one MX host
 * (RFC 7672 sections 2.2 and 3.1) from every combination the DNS can
 * give, and the match of usable records against a certificate chain
 * (usage 3 against the leaf, usage 2 against a linked chain and only with
 * the host's name; selectors 0/1; matching types 0/1/2; the bounds).
 * Certificates are made up here: the digests are fixed bytes, since
 * dane.c compares and never hashes.
 */
#include "autoconfig.h"

#include <check.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dane.h"

static struct dnsmsg_rr tlsa(unsigned usage, unsigned sel, unsigned mtype, const uint8_t *data,
                             size_t len)
{
    struct dnsmsg_rr r;

    memset(&r, 0, sizeof(r));
    r.type = DNSMSG_T_TLSA;
    r.u.tlsa.usage = (uint8_t)usage;
    r.u.tlsa.selector = (uint8_t)sel;
    r.u.tlsa.mtype = (uint8_t)mtype;
    r.u.tlsa.data = data;
    r.u.tlsa.len = (uint16_t)len;
    return r;
}

/* A made-up certificate: every byte of its facts derives from `seed`. */
static void cert(struct dane_cert *c, uint8_t seed, size_t der_len)
{
    memset(c, 0, sizeof(*c));
    for (int s = 0; s < 2; s++) {
        c->der_len[s] = der_len + (size_t)s;
        for (size_t i = 0; i < DANE_DER_MAX; i++)
            c->der[s][i] = (uint8_t)(seed + s + i);
        for (size_t i = 0; i < 32; i++)
            c->sha256[s][i] = (uint8_t)(seed * 7 + s * 3 + i);
        for (size_t i = 0; i < 64; i++)
            c->sha512[s][i] = (uint8_t)(seed * 11 + s * 5 + i);
    }
}

/* ---- dane_tlsa_state ---------------------------------------------------- */

static const uint8_t D32[32] = {1, 2, 3};

START_TEST(test_state)
{
    struct dnsmsg_rr usable = tlsa(3, 1, 1, D32, 32);
    struct dnsmsg_rr pkix = tlsa(1, 1, 1, D32, 32); /* PKIX-EE: not for SMTP */
    struct dnsmsg_rr shorty = tlsa(3, 1, 1, D32, 31);
    struct dnsmsg_rr mixed[2] = {pkix, usable};
    struct dnsmsg_rr bad[2] = {pkix, shorty};
    const char *why = NULL;

    ck_assert_int_eq(dane_tlsa_state(false, true, DNS_OK, true, &usable, 1, &why), DANE_NONE);
    ck_assert_ptr_nonnull(strstr(why, "MX"));
    ck_assert_int_eq(dane_tlsa_state(true, false, DNS_OK, true, &usable, 1, &why), DANE_NONE);
    ck_assert_ptr_nonnull(strstr(why, "address"));
    ck_assert_int_eq(dane_tlsa_state(true, true, DNS_TEMPFAIL, false, NULL, 0, &why), DANE_BOGUS);
    ck_assert_int_eq(dane_tlsa_state(true, true, DNS_NODATA, true, NULL, 0, &why), DANE_NONE);
    ck_assert_ptr_nonnull(strstr(why, "no TLSA"));
    ck_assert_int_eq(dane_tlsa_state(true, true, DNS_OK, false, &usable, 1, &why), DANE_NONE);
    ck_assert_ptr_nonnull(strstr(why, "not DNSSEC-validated"));
    ck_assert_int_eq(dane_tlsa_state(true, true, DNS_OK, true, &usable, 1, &why), DANE_USABLE);
    ck_assert_int_eq(dane_tlsa_state(true, true, DNS_OK, true, mixed, 2, &why), DANE_USABLE);
    ck_assert_int_eq(dane_tlsa_state(true, true, DNS_OK, true, bad, 2, &why), DANE_UNUSABLE);
    /* an insecure MX RRset wins over a lookup failure: DANE never applied */
    ck_assert_int_eq(dane_tlsa_state(false, true, DNS_TEMPFAIL, false, NULL, 0, &why), DANE_NONE);
    ck_assert_int_eq(dane_tlsa_state(true, true, DNS_OK, true, NULL, 0, NULL), DANE_NONE);

    ck_assert_str_eq(dane_state_name(DANE_NONE), "none");
    ck_assert_str_eq(dane_state_name(DANE_USABLE), "usable");
    ck_assert_str_eq(dane_state_name(DANE_UNUSABLE), "unusable");
    ck_assert_str_eq(dane_state_name(DANE_BOGUS), "bogus");
}
END_TEST

/* ---- dane_rr_matches / dane_match --------------------------------------- */

static struct dane_cert chain[3];

static void setup(void)
{
    cert(&chain[0], 10, 1200); /* leaf */
    cert(&chain[1], 20, 900);  /* intermediate */
    cert(&chain[2], 30, 800);  /* root */
    chain[0].signed_by_next = true;
    chain[1].signed_by_next = true;
}

START_TEST(test_rr_matches)
{
    const struct dane_cert *c = &chain[0];
    struct dnsmsg_rr r;
    uint8_t bad[64];

    for (unsigned sel = 0; sel < 2; sel++) {
        r = tlsa(3, sel, 1, c->sha256[sel], 32);
        ck_assert(dane_rr_matches(&r, c));
        r = tlsa(3, sel, 2, c->sha512[sel], 64);
        ck_assert(dane_rr_matches(&r, c));
        r = tlsa(3, sel, 0, c->der[sel], c->der_len[sel]);
        ck_assert(dane_rr_matches(&r, c));
        /* the other selector's digest is not this one's */
        r = tlsa(3, sel, 1, c->sha256[1 - sel], 32);
        ck_assert(!dane_rr_matches(&r, c));
        /* one byte off */
        memcpy(bad, c->sha256[sel], 32);
        bad[31] ^= 1;
        r = tlsa(3, sel, 1, bad, 32);
        ck_assert(!dane_rr_matches(&r, c));
        /* full data: a prefix, or one byte more, is no match */
        r = tlsa(3, sel, 0, c->der[sel], c->der_len[sel] - 1);
        ck_assert(!dane_rr_matches(&r, c));
        r = tlsa(3, sel, 0, c->der[sel], c->der_len[sel] + 1);
        ck_assert(!dane_rr_matches(&r, c));
    }
    /* unusable records never match, even with the right bytes */
    r = tlsa(3, 1, 1, c->sha256[1], 31);
    ck_assert(!dane_rr_matches(&r, c));
    r = tlsa(3, 2, 1, c->sha256[1], 32);
    ck_assert(!dane_rr_matches(&r, c));
    r = tlsa(3, 1, 3, c->sha256[1], 32);
    ck_assert(!dane_rr_matches(&r, c));
}
END_TEST

/* A certificate larger than DANE_DER_MAX cannot be compared in full. */
START_TEST(test_full_too_large)
{
    static struct dane_cert big;
    struct dnsmsg_rr r;

    static uint8_t data[DANE_DER_MAX + 11];

    cert(&big, 40, DANE_DER_MAX + 10);
    for (int sel = 0; sel < 2; sel++) {
        /* The right length, and every byte agrees with what lies in memory
         * from der[sel] on: still no match, since the bytes past
         * DANE_DER_MAX are not the certificate's. */
        const uint8_t *from = (const uint8_t *)&big + offsetof(struct dane_cert, der) +
                              (size_t)sel * sizeof(big.der[0]);
        memcpy(data, from, big.der_len[sel]);
        r = tlsa(3, (unsigned)sel, 0, data, big.der_len[sel]);
        ck_assert(!dane_rr_matches(&r, &big));
        r = tlsa(3, (unsigned)sel, 1, big.sha256[sel], 32); /* a digest still matches */
        ck_assert(dane_rr_matches(&r, &big));
    }
}
END_TEST

START_TEST(test_match_ee)
{
    struct dnsmsg_rr rrs[3];
    size_t which = 99;

    rrs[0] = tlsa(3, 1, 1, chain[1].sha256[1], 32); /* EE record of another cert */
    rrs[1] = tlsa(1, 1, 1, chain[0].sha256[1], 32); /* PKIX-EE: skipped */
    rrs[2] = tlsa(3, 1, 1, chain[0].sha256[1], 32);
    ck_assert_int_eq(dane_match(rrs, 2, chain, 3, true, &which), DANE_MATCH_NONE);
    ck_assert_uint_eq(which, 99);
    ck_assert_int_eq(dane_match(rrs, 3, chain, 3, false, &which), DANE_MATCH_EE);
    ck_assert_uint_eq(which, 2); /* DANE-EE needs no name */
    ck_assert_int_eq(dane_match(rrs, 3, chain, 0, true, &which), DANE_MATCH_NONE);
}
END_TEST

START_TEST(test_match_ta)
{
    struct dnsmsg_rr ta_root = tlsa(2, 0, 1, chain[2].sha256[0], 32);
    struct dnsmsg_rr ta_mid = tlsa(2, 1, 2, chain[1].sha512[1], 64);
    struct dnsmsg_rr ee = tlsa(3, 0, 1, chain[0].sha256[0], 32);
    struct dnsmsg_rr both[2] = {ta_root, ee};
    size_t which = 99;

    ck_assert_int_eq(dane_match(&ta_root, 1, chain, 3, true, &which), DANE_MATCH_TA);
    ck_assert_uint_eq(which, 0);
    ck_assert_int_eq(dane_match(&ta_mid, 1, chain, 3, true, &which), DANE_MATCH_TA);
    ck_assert_int_eq(dane_match(&ta_root, 1, chain, 3, false, &which), DANE_MATCH_TA_NAME);
    /* an EE match is enough, whatever the TA record says about the name */
    ck_assert_int_eq(dane_match(both, 2, chain, 3, false, &which), DANE_MATCH_EE);
    ck_assert_uint_eq(which, 1);
    /* the root is not linked to the leaf without the intermediate's signature */
    chain[1].signed_by_next = false;
    ck_assert_int_eq(dane_match(&ta_root, 1, chain, 3, true, &which), DANE_MATCH_NONE);
    ck_assert_int_eq(dane_match(&ta_mid, 1, chain, 3, true, &which), DANE_MATCH_TA);
    chain[0].signed_by_next = false;
    ck_assert_int_eq(dane_match(&ta_mid, 1, chain, 3, true, &which), DANE_MATCH_NONE);
    /* only the chain given is searched */
    chain[0].signed_by_next = chain[1].signed_by_next = true;
    ck_assert_int_eq(dane_match(&ta_root, 1, chain, 2, true, &which), DANE_MATCH_NONE);
    /* a TA record for the leaf itself: the leaf is its own anchor */
    struct dnsmsg_rr ta_leaf = tlsa(2, 1, 1, chain[0].sha256[1], 32);
    ck_assert_int_eq(dane_match(&ta_leaf, 1, chain, 3, true, &which), DANE_MATCH_TA);
}
END_TEST

static Suite *dane_suite(void)
{
    Suite *s = suite_create("dane");
    TCase *tc = tcase_create("state");
    tcase_add_test(tc, test_state);
    suite_add_tcase(s, tc);
    tc = tcase_create("match");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_rr_matches);
    tcase_add_test(tc, test_full_too_large);
    tcase_add_test(tc, test_match_ee);
    tcase_add_test(tc, test_match_ta);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(dane_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

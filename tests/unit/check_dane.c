/*
 * check_dane - unit tests for src/dane.c: the TLSA state of one MX host
 * (RFC 7672 sections 2.2 and 3.1) from every combination the DNS can
 * give, and the match of usable records against a certificate chain
 * (usage 3 against the leaf, usage 2 against a linked chain and only with
 * the host's name; selectors 0/1; matching types 0/1/2; the bounds).
 * Certificates are made up here: the digests are fixed bytes, since
 * dane.c compares and never hashes.
 *
 * The daemon's DANE precedence (issue 12) as tables: the hosts of an MX
 * answer (order, duplicates, null MX, the limit, no MX at all); the
 * decision for a next hop from every kind of answer (the verdict table
 * of the README's DANE section: authenticated or not, usable TLSA on all,
 * some or no hosts, insecure addresses, failures, smart hosts, the TTL
 * bounds); and what a cached state makes a query answer and start over
 * time (hold, re-check in the last quarter, expiry, retry after a failed
 * check, a clock that stepped back), and how a check's outcome is
 * recorded.
 */
#include "autoconfig.h"

#include <check.h>
#include <stddef.h>
#include <stdio.h>
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

/* ---- dane_hosts_from_mx ------------------------------------------------- */

static struct dnsmsg_rr mxrr(unsigned pref, const char *x)
{
    struct dnsmsg_rr r;
    memset(&r, 0, sizeof(r));
    r.type = DNSMSG_T_MX;
    r.u.mx.pref = (uint16_t)pref;
    snprintf(r.u.mx.exchange, sizeof(r.u.mx.exchange), "%s", x);
    return r;
}

START_TEST(test_hosts_from_mx)
{
    char hosts[DANE_HOSTS_MAX][DNSMSG_NAME_TEXT];
    size_t skipped;
    struct dnsmsg_rr rr[12];
    struct dns_sec_result r;
    memset(&r, 0, sizeof(r));
    r.st = DNS_OK;
    r.rrs = rr;

    /* lowest preference first, then by name; duplicates once */
    rr[0] = mxrr(20, "mx2.a.test");
    rr[1] = mxrr(10, "mx1.a.test");
    rr[2] = mxrr(10, "mx0.a.test");
    rr[3] = mxrr(30, "mx1.a.test");
    r.n = 4;
    ck_assert_uint_eq(dane_hosts_from_mx(&r, "a.test", hosts, &skipped), 3);
    ck_assert_str_eq(hosts[0], "mx0.a.test");
    ck_assert_str_eq(hosts[1], "mx1.a.test");
    ck_assert_str_eq(hosts[2], "mx2.a.test");
    ck_assert_uint_eq(skipped, 0);

    /* a null MX: no host */
    rr[0] = mxrr(0, ".");
    r.n = 1;
    ck_assert_uint_eq(dane_hosts_from_mx(&r, "a.test", hosts, &skipped), 0);

    /* no MX records (a NODATA): the domain itself */
    r.st = DNS_NODATA;
    r.n = 0;
    ck_assert_uint_eq(dane_hosts_from_mx(&r, "a.test", hosts, &skipped), 1);
    ck_assert_str_eq(hosts[0], "a.test");

    /* at most DANE_HOSTS_MAX, the most preferred; the rest counted */
    r.st = DNS_OK;
    for (int i = 0; i < 12; i++) {
        char name[32];
        snprintf(name, sizeof(name), "mx%02d.a.test", i);
        rr[i] = mxrr((unsigned)(100 - i), name);
    }
    r.n = 12;
    ck_assert_uint_eq(dane_hosts_from_mx(&r, "a.test", hosts, &skipped), DANE_HOSTS_MAX);
    ck_assert_uint_eq(skipped, 12 - DANE_HOSTS_MAX);
    ck_assert_str_eq(hosts[0], "mx11.a.test");
    ck_assert_str_eq(hosts[DANE_HOSTS_MAX - 1], "mx04.a.test");
}
END_TEST

/* ---- dane_decide ------------------------------------------------------------ */

struct hostspec {
    enum dns_status addr_st;
    bool addr_ad;
    uint32_t addr_ttl;
    enum dns_status tlsa_st;
    enum dane_state tlsa;
    uint32_t tlsa_ttl;
};

/* A host with secure addresses (TTL 600) and a TLSA answer. */
#define H_USABLE(ttl)                                                                              \
    {                                                                                              \
        DNS_OK, true, 600, DNS_OK, DANE_USABLE, ttl                                                \
    }
#define H_UNUSABLE                                                                                 \
    {                                                                                              \
        DNS_OK, true, 600, DNS_OK, DANE_UNUSABLE, 900                                              \
    }
#define H_NOTLSA(ttl)                                                                              \
    {                                                                                              \
        DNS_OK, true, 600, DNS_NODATA, DANE_NONE, ttl                                              \
    }
#define H_INSECURETLSA                                                                             \
    {                                                                                              \
        DNS_OK, true, 600, DNS_OK, DANE_NONE, 900                                                  \
    }
#define H_BOGUS                                                                                    \
    {                                                                                              \
        DNS_OK, true, 600, DNS_TEMPFAIL, DANE_BOGUS, 0                                             \
    }
/* insecure addresses: whatever the TLSA lookup said */
#define H_INSECURE(t)                                                                              \
    {                                                                                              \
        DNS_OK, false, 600, DNS_OK, t, 900                                                         \
    }
#define H_NOADDR                                                                                   \
    {                                                                                              \
        DNS_NODATA, true, 300, DNS_OK, DANE_USABLE, 900                                            \
    }
#define H_ADDRFAIL                                                                                 \
    {                                                                                              \
        DNS_TEMPFAIL, false, 0, DNS_OK, DANE_USABLE, 900                                           \
    }
#define H_UNANSWERED                                                                               \
    {                                                                                              \
        DNS_TEMPFAIL, false, 0, DNS_TEMPFAIL, DANE_BOGUS, 0                                        \
    }

struct decide_row {
    const char *name;
    bool mx;
    enum dns_status mx_st;
    bool mx_ad, nx;
    uint32_t mx_ttl;
    size_t n;
    struct hostspec h[3];
    enum dane_outcome out;
    uint32_t ttl;
    size_t usable;
    const char *failed; /* host index as "0".."2", "MX", or NULL */
};

static const struct decide_row decide_rows[] = {
    {"TLSA on every MX host",
     true,
     DNS_OK,
     true,
     false,
     1800,
     2,
     {H_USABLE(900), H_USABLE(700)},
     DANE_OUT_ONLY,
     600,
     2,
     NULL},
    {"TLSA on some MX hosts",
     true,
     DNS_OK,
     true,
     false,
     1800,
     3,
     {H_NOTLSA(300), H_USABLE(900), H_UNUSABLE},
     DANE_OUT_ONLY,
     300,
     1,
     NULL},
    {"MX not authenticated: TLSA does not count",
     true,
     DNS_OK,
     false,
     false,
     1800,
     1,
     {H_USABLE(900)},
     DANE_OUT_NONE,
     1800,
     0,
     NULL},
    {"MX lookup failed",
     true,
     DNS_TEMPFAIL,
     false,
     false,
     0,
     0,
     {{0}},
     DANE_OUT_FAILED,
     DANE_TTL_MIN,
     0,
     "MX"},
    {"validated NXDOMAIN",
     true,
     DNS_NODATA,
     true,
     true,
     300,
     0,
     {{0}},
     DANE_OUT_NONE,
     300,
     0,
     NULL},
    {"null MX", true, DNS_OK, true, false, 1800, 0, {{0}}, DANE_OUT_NONE, 1800, 0, NULL},
    {"signed zone, no TLSA",
     true,
     DNS_OK,
     true,
     false,
     1800,
     2,
     {H_NOTLSA(300), H_NOTLSA(300)},
     DANE_OUT_NONE,
     300,
     0,
     NULL},
    {"TLSA not validated (insecure TLSA zone)",
     true,
     DNS_OK,
     true,
     false,
     1800,
     1,
     {H_INSECURETLSA},
     DANE_OUT_NONE,
     600,
     0,
     NULL},
    {"only unusable TLSA (PKIX-EE)",
     true,
     DNS_OK,
     true,
     false,
     1800,
     1,
     {H_UNUSABLE},
     DANE_OUT_NONE,
     600,
     0,
     NULL},
    {"insecure addresses: usable TLSA not looked at",
     true,
     DNS_OK,
     true,
     false,
     1800,
     1,
     {H_INSECURE(DANE_USABLE)},
     DANE_OUT_NONE,
     600,
     0,
     NULL},
    {"insecure addresses: a bogus TLSA is no failure",
     true,
     DNS_OK,
     true,
     false,
     1800,
     1,
     {H_INSECURE(DANE_BOGUS)},
     DANE_OUT_NONE,
     600,
     0,
     NULL},
    {"a host without addresses",
     true,
     DNS_OK,
     true,
     false,
     1800,
     1,
     {H_NOADDR},
     DANE_OUT_NONE,
     300,
     0,
     NULL},
    {"bogus TLSA, no other host usable",
     true,
     DNS_OK,
     true,
     false,
     1800,
     2,
     {H_NOTLSA(300), H_BOGUS},
     DANE_OUT_FAILED,
     DANE_TTL_MIN,
     0,
     "1"},
    {"bogus TLSA, another host usable",
     true,
     DNS_OK,
     true,
     false,
     1800,
     2,
     {H_BOGUS, H_USABLE(900)},
     DANE_OUT_ONLY,
     600,
     1,
     NULL},
    {"address lookup failed, no other host usable",
     true,
     DNS_OK,
     true,
     false,
     1800,
     2,
     {H_NOTLSA(300), H_ADDRFAIL},
     DANE_OUT_FAILED,
     DANE_TTL_MIN,
     0,
     "1"},
    {"address lookup failed: its usable TLSA does not count",
     true,
     DNS_OK,
     true,
     false,
     1800,
     1,
     {H_ADDRFAIL},
     DANE_OUT_FAILED,
     DANE_TTL_MIN,
     0,
     "0"},
    {"nothing answered before the deadline",
     true,
     DNS_OK,
     true,
     false,
     1800,
     2,
     {H_UNANSWERED, H_UNANSWERED},
     DANE_OUT_FAILED,
     DANE_TTL_MIN,
     0,
     "0"},
    {"TTL floor",
     true,
     DNS_OK,
     true,
     false,
     5,
     1,
     {H_USABLE(900)},
     DANE_OUT_ONLY,
     DANE_TTL_MIN,
     1,
     NULL},
    {"TTL ceiling",
     true,
     DNS_OK,
     true,
     false,
     86400,
     1,
     {{DNS_OK, true, 86400, DNS_OK, DANE_USABLE, 86400}},
     DANE_OUT_ONLY,
     DANE_TTL_MAX,
     1,
     NULL},
    {"insecure MX: its TTL alone",
     true,
     DNS_OK,
     false,
     false,
     120,
     0,
     {{0}},
     DANE_OUT_NONE,
     120,
     0,
     NULL},
    {"smart host with TLSA",
     false,
     DNS_OK,
     false,
     false,
     0,
     1,
     {H_USABLE(900)},
     DANE_OUT_ONLY,
     600,
     1,
     NULL},
    {"smart host, insecure",
     false,
     DNS_OK,
     false,
     false,
     0,
     1,
     {H_INSECURE(DANE_USABLE)},
     DANE_OUT_NONE,
     600,
     0,
     NULL},
    {"smart host, bogus TLSA",
     false,
     DNS_OK,
     false,
     false,
     0,
     1,
     {H_BOGUS},
     DANE_OUT_FAILED,
     DANE_TTL_MIN,
     0,
     "0"},
};

START_TEST(test_decide)
{
    const struct decide_row *r = &decide_rows[_i];
    struct dane_facts f;
    struct dane_decision d;
    memset(&f, 0, sizeof(f));
    f.mx = r->mx;
    f.mx_st = r->mx_st;
    f.mx_ad = r->mx_ad;
    f.mx_nxdomain = r->nx;
    f.mx_ttl = r->mx_ttl;
    f.n = r->n;
    for (size_t i = 0; i < r->n; i++) {
        struct dane_host *h = &f.host[i];
        snprintf(h->name, sizeof(h->name), "%zu", i);
        h->addr_st = r->h[i].addr_st;
        h->addr_ad = r->h[i].addr_ad;
        h->addr_ttl = r->h[i].addr_ttl;
        h->tlsa_st = r->h[i].tlsa_st;
        h->tlsa = r->h[i].tlsa;
        h->tlsa_ttl = r->h[i].tlsa_ttl;
    }
    dane_decide(&f, &d);
    ck_assert_msg(d.out == r->out, "%s: outcome %s, want %s", r->name, dane_outcome_name(d.out),
                  dane_outcome_name(r->out));
    ck_assert_msg(d.ttl == r->ttl, "%s: ttl %u, want %u", r->name, d.ttl, r->ttl);
    ck_assert_msg(d.usable == r->usable, "%s: usable %zu, want %zu", r->name, d.usable, r->usable);
    ck_assert_msg(d.hosts == r->n, "%s: hosts %zu", r->name, d.hosts);
    ck_assert_msg(d.why != NULL, "%s: no reason", r->name);
    if (r->failed == NULL)
        ck_assert_msg(d.failed == NULL, "%s: failed %s", r->name, d.failed);
    else
        ck_assert_msg(d.failed != NULL && strcmp(d.failed, r->failed) == 0, "%s: failed %s",
                      r->name, d.failed ? d.failed : "(null)");
}
END_TEST

/* ---- dane_slot_use, dane_slot_record, dane_slot_next_check ------------------ */

#define T0 INT64_C(1700000000)

struct use_row {
    const char *name;
    bool null_slot;
    uint8_t result;
    int64_t checked, life; /* relative to T0 */
    uint16_t fails;
    int64_t fail_at; /* relative to T0 */
    int64_t now;     /* relative to T0 */
    enum dane_use use;
    enum dane_next next;
    int64_t next_check; /* relative to T0; INT64_MIN: 0 (the next query) */
};

#define NQ INT64_MIN

static const struct use_row use_rows[] = {
    {"no slot: wait for a check", true, 0, 0, 0, 0, 0, 0, DANE_USE_STS, DANE_NEXT_WAIT, NQ},
    {"no result yet: wait", false, ENTRY_DANE_UNKNOWN, 0, 0, 0, 0, 0, DANE_USE_STS, DANE_NEXT_WAIT,
     NQ},
    {"dane-only holds", false, ENTRY_DANE_ONLY, 0, 400, 0, 0, 10, DANE_USE_ONLY, DANE_NEXT_NONE,
     300},
    {"dane-only, just before its last quarter", false, ENTRY_DANE_ONLY, 0, 400, 0, 0, 299,
     DANE_USE_ONLY, DANE_NEXT_NONE, 300},
    {"dane-only, last quarter: re-check in the background", false, ENTRY_DANE_ONLY, 0, 400, 0, 0,
     300, DANE_USE_ONLY, DANE_NEXT_BACKGROUND, 300},
    {"dane-only, last second", false, ENTRY_DANE_ONLY, 0, 400, 0, 0, 399, DANE_USE_ONLY,
     DANE_NEXT_BACKGROUND, 300},
    {"dane-only expired: the MTA-STS verdict, wait", false, ENTRY_DANE_ONLY, 0, 400, 0, 0, 400,
     DANE_USE_STS, DANE_NEXT_WAIT, 300},
    {"none holds", false, ENTRY_DANE_NONE, 0, 3600, 0, 0, 100, DANE_USE_STS, DANE_NEXT_NONE, 2700},
    {"none, last quarter", false, ENTRY_DANE_NONE, 0, 3600, 0, 0, 2700, DANE_USE_STS,
     DANE_NEXT_BACKGROUND, 2700},
    {"none expired", false, ENTRY_DANE_NONE, 0, 3600, 0, 0, 3600, DANE_USE_STS, DANE_NEXT_WAIT,
     2700},
    {"re-check failed, dane-only still holds, retry not due", false, ENTRY_DANE_ONLY, 0, 400, 1,
     350, 360, DANE_USE_ONLY, DANE_NEXT_NONE, 410},
    {"re-check failed, expired, retry not due: no wait", false, ENTRY_DANE_ONLY, 0, 400, 1, 350,
     405, DANE_USE_STS, DANE_NEXT_NONE, 410},
    {"re-check failed, expired, retry due: background", false, ENTRY_DANE_ONLY, 0, 400, 2, 350, 410,
     DANE_USE_STS, DANE_NEXT_BACKGROUND, 410},
    {"first check failed, retry not due", false, ENTRY_DANE_UNKNOWN, 0, 0, 1, 0, 59, DANE_USE_STS,
     DANE_NEXT_NONE, 60},
    {"first check failed, retry due", false, ENTRY_DANE_UNKNOWN, 0, 0, 1, 0, 60, DANE_USE_STS,
     DANE_NEXT_BACKGROUND, 60},
    {"clock stepped back before the check", false, ENTRY_DANE_ONLY, 100, 400, 0, 0, 0,
     DANE_USE_ONLY, DANE_NEXT_BACKGROUND, 400},
    {"clock stepped back before the failure", false, ENTRY_DANE_UNKNOWN, 0, 0, 1, 100, 0,
     DANE_USE_STS, DANE_NEXT_BACKGROUND, 160},
};

START_TEST(test_slot_use)
{
    const struct use_row *r = &use_rows[_i];
    struct entry_dane s;
    memset(&s, 0, sizeof(s));
    s.mx = 1;
    s.port = 25;
    s.result = r->result;
    if (r->result != ENTRY_DANE_UNKNOWN) {
        s.checked_at = T0 + r->checked;
        s.expires_at = T0 + r->checked + r->life;
    }
    s.fail_count = r->fails;
    s.fail_at = r->fails > 0 ? T0 + r->fail_at : 0;
    enum dane_next next = (enum dane_next)99;
    enum dane_use use = dane_slot_use(r->null_slot ? NULL : &s, T0 + r->now, &next);
    ck_assert_msg(use == r->use, "%s: use %d", r->name, use);
    ck_assert_msg(next == r->next, "%s: next %d, want %d", r->name, next, r->next);
    int64_t nc = dane_slot_next_check(r->null_slot ? NULL : &s);
    ck_assert_msg(nc == (r->next_check == NQ ? 0 : T0 + r->next_check), "%s: next check %lld",
                  r->name, (long long)nc);
}
END_TEST

START_TEST(test_slot_record)
{
    struct entry_dane s;
    struct dane_decision ok = {.out = DANE_OUT_ONLY, .ttl = 300, .hosts = 3, .usable = 2};
    struct dane_decision none = {.out = DANE_OUT_NONE, .ttl = 3600, .hosts = 2, .usable = 0};
    struct dane_decision fail = {.out = DANE_OUT_FAILED, .ttl = DANE_TTL_MIN, .hosts = 2};
    enum dane_next next;

    memset(&s, 0, sizeof(s));
    s.mx = 1;
    s.port = 25;
    /* a first failure: counted, no result */
    dane_slot_record(&s, &fail, T0);
    ck_assert_uint_eq(s.result, ENTRY_DANE_UNKNOWN);
    ck_assert_uint_eq(s.fail_count, 1);
    ck_assert_int_eq(s.fail_at, T0);
    ck_assert_int_eq(s.checked_at, 0);
    ck_assert_uint_eq(s.hosts, 0);
    /* a success: the result, its times and counts; the failures end */
    dane_slot_record(&s, &ok, T0 + 60);
    ck_assert_uint_eq(s.result, ENTRY_DANE_ONLY);
    ck_assert_int_eq(s.checked_at, T0 + 60);
    ck_assert_int_eq(s.expires_at, T0 + 360);
    ck_assert_uint_eq(s.hosts, 3);
    ck_assert_uint_eq(s.usable, 2);
    ck_assert_uint_eq(s.fail_count, 0);
    ck_assert_int_eq(s.fail_at, T0); /* kept, for show */
    ck_assert_int_eq(dane_slot_use(&s, T0 + 61, &next), DANE_USE_ONLY);
    ck_assert_int_eq(next, DANE_NEXT_NONE);
    /* a failed re-check keeps the result until it expires */
    dane_slot_record(&s, &fail, T0 + 300);
    ck_assert_uint_eq(s.result, ENTRY_DANE_ONLY);
    ck_assert_int_eq(s.expires_at, T0 + 360);
    ck_assert_uint_eq(s.fail_count, 1);
    ck_assert_int_eq(dane_slot_use(&s, T0 + 359, &next), DANE_USE_ONLY);
    ck_assert_int_eq(dane_slot_use(&s, T0 + 360, &next), DANE_USE_STS);
    ck_assert_int_eq(next, DANE_NEXT_BACKGROUND); /* retry due at T0 + 360 */
    /* none: no usable host recorded */
    dane_slot_record(&s, &none, T0 + 400);
    ck_assert_uint_eq(s.result, ENTRY_DANE_NONE);
    ck_assert_uint_eq(s.usable, 0);
    ck_assert_uint_eq(s.hosts, 2);
    ck_assert_int_eq(s.expires_at, T0 + 4000);
    /* the failure count saturates */
    s.fail_count = UINT16_MAX;
    dane_slot_record(&s, &fail, T0 + 500);
    ck_assert_uint_eq(s.fail_count, UINT16_MAX);
    /* names */
    ck_assert_str_eq(dane_result_name(ENTRY_DANE_ONLY), "dane-only");
    ck_assert_str_eq(dane_outcome_name(DANE_OUT_FAILED), "failed");
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
    tc = tcase_create("precedence");
    tcase_add_test(tc, test_hosts_from_mx);
    tcase_add_loop_test(tc, test_decide, 0, (int)(sizeof(decide_rows) / sizeof(decide_rows[0])));
    tcase_add_loop_test(tc, test_slot_use, 0, (int)(sizeof(use_rows) / sizeof(use_rows[0])));
    tcase_add_test(tc, test_slot_record);
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

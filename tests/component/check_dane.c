/*
 * check_dane - component tests of DANE precedence (issue 12): the real
 * danejob, daneprobe, lookup, fetch, cache, dane and reply code on the
 * fake clock and the fake dns and https adapters (harness.h).  The fake
 * DNS answers the DNSSEC-aware lookups (MX, A/AAAA, TLSA, the probe) as
 * the test scripts them: records, the AD bit, TTLs, failures, timing.
 *
 * One test per row of the README's DANE decision table (every MX with
 * usable TLSA, some, none; MX, addresses or TLSA not authenticated;
 * unusable TLSA; null MX; a bogus TLSA RRset; a failed MX lookup; no
 * policy; mode testing; a smart host; dane = off; a resolver that does
 * not validate), then the timing: the first query's query_timeout ending
 * before the DANE lookups (they go on, later queries see the result), the
 * job deadline, the re-check in the last quarter of a TTL-bounded result
 * (floor and ceiling), the retry after a failed check, a restart (the
 * state survives in LMDB), a cache written by mtastsd before DANE
 * (record version 1), and the fetch job not overwriting a DANE result
 * stored while it ran.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "dane.h"
#include "daneprobe.h"
#include "harness.h"
#include "stats.h"

#define DANE_ONLY "OK dane-only"
#define SECURE_A  "OK secure match=mx1.a.test:mx2.a.test servername=hostname"

/* ---- the DNSSEC side of the world ------------------------------------------ */

/* Records live as long as the fake's scripts (the test's process). */
static struct dnsmsg_rr pool[256];
static size_t pool_used;

static struct dnsmsg_rr *rr_new(uint16_t type, uint32_t ttl)
{
    ck_assert_uint_lt(pool_used, sizeof(pool) / sizeof(pool[0]));
    struct dnsmsg_rr *r = &pool[pool_used++];
    memset(r, 0, sizeof(*r));
    r->type = type;
    r->ttl = ttl;
    return r;
}

static const uint8_t DIGEST[32] = {0xd1, 0x9e, 0x57};

/* The MX RRset of domain: the space-separated hosts, preferences 10, 20,
 * ... ("." alone: a null MX). */
static void dns_mx(const char *domain, const char *hosts, bool ad, uint32_t ttl,
                   struct fake_timing when)
{
    char copy[1024], *save = NULL;
    struct dns_sec_result r;
    memset(&r, 0, sizeof(r));
    snprintf(copy, sizeof(copy), "%s", hosts);
    r.rrs = &pool[pool_used];
    unsigned pref = 10;
    for (char *h = strtok_r(copy, " ", &save); h != NULL; h = strtok_r(NULL, " ", &save)) {
        struct dnsmsg_rr *rr = rr_new(DNSMSG_T_MX, ttl);
        rr->u.mx.pref = (uint16_t)(strcmp(h, ".") == 0 ? 0 : pref);
        snprintf(rr->u.mx.exchange, sizeof(rr->u.mx.exchange), "%s", h);
        pref += 10;
        r.n++;
    }
    r.st = r.n > 0 ? DNS_OK : DNS_NODATA;
    r.ad = ad;
    r.ttl = ttl;
    fake_dns_sec(domain, DNSMSG_T_MX, &r, when);
}

static void dns_mx_status(const char *domain, enum dns_status st, bool ad, bool nx, uint32_t ttl)
{
    struct dns_sec_result r = {.st = st, .ad = ad, .nxdomain = nx, .ttl = ttl};
    fake_dns_sec(domain, DNSMSG_T_MX, &r, FAKE_AT_ONCE);
}

static void dns_host(const char *host, enum dns_status st, bool ad, uint32_t ttl,
                     struct fake_timing when)
{
    struct dns_sec_result r;
    memset(&r, 0, sizeof(r));
    r.st = st;
    r.ad = ad;
    r.ttl = ttl;
    if (st == DNS_OK) {
        struct dnsmsg_rr *a = rr_new(DNSMSG_T_A, ttl);
        memcpy(a->u.a, (const uint8_t[]){192, 0, 2, 25}, 4);
        r.rrs = a;
        r.n = 1;
    }
    fake_dns_sec(host, FAKE_DNS_T_ADDR, &r, when);
}

enum tlsa_kind {
    TLSA_USABLE,   /* 3 1 1, validated */
    TLSA_UNUSABLE, /* 1 1 1 (PKIX-EE), validated */
    TLSA_INSECURE, /* 3 1 1 without AD */
    TLSA_NONE,     /* NODATA, validated denial */
    TLSA_BOGUS,    /* SERVFAIL */
};

static const char *tlsa_name(const char *host, unsigned port)
{
    static char buf[4][300];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "_%u._tcp.%s", port, host);
    return buf[i];
}

static void tlsa_set_at(const char *host, unsigned port, enum tlsa_kind k, uint32_t ttl,
                        struct fake_timing when)
{
    struct dns_sec_result r;
    memset(&r, 0, sizeof(r));
    r.ttl = ttl;
    switch (k) {
    case TLSA_USABLE:
    case TLSA_UNUSABLE:
    case TLSA_INSECURE: {
        struct dnsmsg_rr *t = rr_new(DNSMSG_T_TLSA, ttl);
        t->u.tlsa.usage = k == TLSA_UNUSABLE ? 1 : 3;
        t->u.tlsa.selector = 1;
        t->u.tlsa.mtype = 1;
        t->u.tlsa.data = DIGEST;
        t->u.tlsa.len = 32;
        r.st = DNS_OK;
        r.ad = k != TLSA_INSECURE;
        r.rrs = t;
        r.n = 1;
        break;
    }
    case TLSA_NONE:
        r.st = DNS_NODATA;
        r.ad = true;
        break;
    case TLSA_BOGUS:
        r.st = DNS_TEMPFAIL;
        r.detail = "SERVFAIL";
        break;
    }
    fake_dns_sec(tlsa_name(host, port), DNSMSG_T_TLSA, &r, when);
}

static void tlsa_set(const char *host, enum tlsa_kind k, uint32_t ttl)
{
    tlsa_set_at(host, 25, k, ttl, FAKE_AT_ONCE);
}

/* A secure host (A with AD) with a TLSA answer at port 25. */
static void dane_host(const char *host, enum tlsa_kind k, uint32_t ttl)
{
    dns_host(host, DNS_OK, true, ttl, FAKE_AT_ONCE);
    tlsa_set(host, k, ttl);
}

/* The policy domain D: MTA-STS enforce with mx1.D and mx2.D, a signed
 * MX RRset naming them, both hosts secure, TLSA as given. */
static void dane_domain(const char *d, enum tlsa_kind t1, enum tlsa_kind t2, uint32_t ttl)
{
    char mx1[300], mx2[300], both[620];
    snprintf(mx1, sizeof(mx1), "mx1.%s", d);
    snprintf(mx2, sizeof(mx2), "mx2.%s", d);
    snprintf(both, sizeof(both), "%s %s", mx1, mx2);
    world_policy(d, "1", "enforce", both, 86400);
    dns_mx(d, both, true, ttl, FAKE_AT_ONCE);
    dane_host(mx1, t1, ttl);
    dane_host(mx2, t2, ttl);
}

/* dane = on with a validating resolver, and the world open. */
static void dane_open(void)
{
    harness_set("dane", "on");
    world_dane_resolver(true);
    harness_open(0);
    harness_settle(); /* the probe answers */
    ck_assert(danejob_active(H.dane));
}

static unsigned mx_calls(const char *d)
{
    return fake_dns_sec_calls(d, DNSMSG_T_MX);
}

static unsigned tlsa_calls(const char *host, unsigned port)
{
    return fake_dns_sec_calls(tlsa_name(host, port), DNSMSG_T_TLSA);
}

/* The cached DANE slot of (domain, mx, port), copied; false if none. */
static bool slot(const char *domain, bool mx, uint16_t port, struct entry_dane *out)
{
    struct entry e;
    bool found = false;
    if (cached(domain, &e)) {
        const struct entry_dane *s = entry_dane_find(&e, mx, port);
        if (s != NULL) {
            *out = *s;
            found = true;
        }
    }
    entry_clear(&e);
    return found;
}

/* ---- the decision table ----------------------------------------------------- */

/* TLSA on every MX host: dane-only, from one check of 1 MX + 2 x (A/AAAA,
 * TLSA) lookups; then from the cache with no DNS at all. */
START_TEST(test_every_mx)
{
    dane_open();
    dane_domain("a.test", TLSA_USABLE, TLSA_USABLE, 3600);
    ck_assert_str_eq(query_now("a.test", 1000), DANE_ONLY);
    ck_assert_uint_eq(stats.verdicts[STATS_VERDICT_DANE_ONLY], 1);
    ck_assert_uint_eq(stats.verdicts[STATS_VERDICT_SECURE], 0);
    ck_assert_uint_eq(stats.dane_checks, 1);
    ck_assert_uint_eq(stats.dane_lookups, 5);
    ck_assert_uint_eq(stats.dane_lookup_failures, 0);
    struct entry_dane s;
    ck_assert(slot("a.test", true, 25, &s));
    ck_assert_uint_eq(s.result, ENTRY_DANE_ONLY);
    ck_assert_uint_eq(s.hosts, 2);
    ck_assert_uint_eq(s.usable, 2);
    ck_assert_int_eq(s.expires_at - s.checked_at, 3600);
    unsigned before = fake_dns_calls_total();
    harness_advance(1000);
    struct query q;
    query_start(&q, "a.test");
    ck_assert(q.done && !q.waited);
    ck_assert_str_eq(q.reply, DANE_ONLY);
    ck_assert_uint_eq(fake_dns_calls_total(), before);
    ck_assert_uint_eq(harness_log_count("dane a.test: dane-only: every host"), 1);
    harness_close();
}
END_TEST

/* TLSA on some MX hosts: dane-only (never "dane"), and the partly-DANE
 * price logged at info. */
START_TEST(test_some_mx)
{
    dane_open();
    dane_domain("a.test", TLSA_NONE, TLSA_USABLE, 3600);
    ck_assert_str_eq(query_now("a.test", 1000), DANE_ONLY);
    ck_assert_uint_eq(harness_log_count("dane a.test: dane-only: 1 of 2 MX hosts have usable TLSA "
                                        "records; Postfix delivers only to those"),
                      1);
    struct entry_dane s;
    ck_assert(slot("a.test", true, 25, &s));
    ck_assert_uint_eq(s.usable, 1);
    ck_assert_uint_eq(s.hosts, 2);
    /* the same result again is not logged at info again */
    harness_advance(3600 * 1000);
    ck_assert_str_eq(query_now("a.test", 1000), DANE_ONLY);
    ck_assert_uint_eq(stats.dane_checks, 2);
    ck_assert_uint_eq(harness_log_count("1 of 2 MX hosts have usable TLSA"), 1);
    harness_close();
}
END_TEST

/* Everything that leaves the MTA-STS verdict in place: each domain is
 * answered "secure", never dane-only, never NOTFOUND. */
START_TEST(test_secure_rows)
{
    static const char *const doms[] = {"mxinsecure.test",   "addrinsecure.test", "notlsa.test",
                                       "tlsainsecure.test", "unusable.test",     "nullmx.test",
                                       "noaddr.test"};
    dane_open();
    for (size_t i = 0; i < sizeof(doms) / sizeof(doms[0]); i++)
        dane_domain(doms[i], TLSA_USABLE, TLSA_USABLE, 3600);
    /* MX RRset not authenticated (TLSA everywhere, validated: no matter) */
    dns_mx("mxinsecure.test", "mx1.mxinsecure.test mx2.mxinsecure.test", false, 1800, FAKE_AT_ONCE);
    /* the hosts' addresses not authenticated */
    dns_host("mx1.addrinsecure.test", DNS_OK, false, 600, FAKE_AT_ONCE);
    dns_host("mx2.addrinsecure.test", DNS_OK, false, 600, FAKE_AT_ONCE);
    /* a signed zone without TLSA */
    tlsa_set("mx1.notlsa.test", TLSA_NONE, 300);
    tlsa_set("mx2.notlsa.test", TLSA_NONE, 300);
    /* TLSA records in an unsigned zone (no AD) */
    tlsa_set("mx1.tlsainsecure.test", TLSA_INSECURE, 300);
    tlsa_set("mx2.tlsainsecure.test", TLSA_INSECURE, 300);
    /* only records that are not for SMTP (PKIX-EE) */
    tlsa_set("mx1.unusable.test", TLSA_UNUSABLE, 300);
    tlsa_set("mx2.unusable.test", TLSA_UNUSABLE, 300);
    /* a null MX */
    dns_mx("nullmx.test", ".", true, 1800, FAKE_AT_ONCE);
    /* MX hosts without addresses */
    dns_host("mx1.noaddr.test", DNS_NODATA, true, 300, FAKE_AT_ONCE);
    dns_host("mx2.noaddr.test", DNS_NODATA, true, 300, FAKE_AT_ONCE);
    for (size_t i = 0; i < sizeof(doms) / sizeof(doms[0]); i++) {
        char want[300];
        snprintf(want, sizeof(want), "OK secure match=mx1.%s:mx2.%s servername=hostname", doms[i],
                 doms[i]);
        ck_assert_str_eq(query_now(doms[i], 1000), want);
        struct entry_dane s;
        ck_assert_msg(slot(doms[i], true, 25, &s), "%s: no DANE state", doms[i]);
        ck_assert_msg(s.result == ENTRY_DANE_NONE, "%s: result %u", doms[i], s.result);
    }
    ck_assert_uint_eq(stats.verdicts[STATS_VERDICT_SECURE], 7);
    ck_assert_uint_eq(stats.verdicts[STATS_VERDICT_DANE_ONLY], 0);
    ck_assert_uint_eq(stats.dane_check_failures, 0);
    /* an unauthenticated MX RRset: its hosts are not even looked up */
    ck_assert_uint_eq(tlsa_calls("mx1.mxinsecure.test", 25), 0);
    ck_assert_uint_eq(tlsa_calls("mx1.nullmx.test", 25), 0);
    /* a validated NXDOMAIN for the MX lookup */
    dane_domain("gone.test", TLSA_USABLE, TLSA_USABLE, 3600);
    dns_mx_status("gone.test", DNS_NODATA, true, true, 300);
    ck_assert_str_eq(query_now("gone.test", 1000),
                     "OK secure match=mx1.gone.test:mx2.gone.test servername=hostname");
    harness_close();
}
END_TEST

/* A domain without MX records (validated NODATA): the domain itself is
 * the host (RFC 5321 5.1), and its TLSA counts. */
START_TEST(test_implicit_mx)
{
    dane_open();
    world_policy("a.test", "1", "enforce", "a.test", 86400);
    dns_mx("a.test", "", true, 300, FAKE_AT_ONCE);
    dane_host("a.test", TLSA_USABLE, 3600);
    ck_assert_str_eq(query_now("a.test", 1000), DANE_ONLY);
    ck_assert_uint_eq(tlsa_calls("a.test", 25), 1);
    harness_close();
}
END_TEST

/* A bogus TLSA RRset (SERVFAIL from the validating resolver) on the only
 * MX host that has TLSA: never weaker than MTA-STS -- the MTA-STS verdict,
 * a warning, a retry DANE_RETRY later (in the background, the query not
 * held); when the TLSA RRset is fixed, dane-only. */
START_TEST(test_bogus_tlsa)
{
    dane_open();
    dane_domain("a.test", TLSA_NONE, TLSA_BOGUS, 3600);
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    ck_assert_uint_eq(stats.dane_check_failures, 1);
    ck_assert_uint_eq(stats.dane_lookup_failures, 1);
    ck_assert_uint_eq(harness_log_count("dane a.test: a lookup failed and no host has usable TLSA "
                                        "records (mx2.a.test); answering the MTA-STS verdict"),
                      1);
    ck_assert_uint_eq(harness_log_count("warning: dane a.test"), 1); /* the first: a warning */
    struct entry_dane s;
    ck_assert(slot("a.test", true, 25, &s));
    ck_assert_uint_eq(s.result, ENTRY_DANE_UNKNOWN);
    ck_assert_uint_eq(s.fail_count, 1);
    /* before the retry: the MTA-STS verdict, no new check */
    harness_advance((DANE_RETRY - 1) * 1000);
    struct query q;
    query_start(&q, "a.test");
    ck_assert(q.done && !q.waited);
    ck_assert_str_eq(q.reply, SECURE_A);
    ck_assert_uint_eq(mx_calls("a.test"), 1);
    /* the retry is due: answered at once, checked in the background */
    harness_advance(1000);
    query_start(&q, "a.test");
    ck_assert(q.done && !q.waited);
    ck_assert_str_eq(q.reply, SECURE_A);
    harness_settle();
    ck_assert_uint_eq(mx_calls("a.test"), 2);
    ck_assert_uint_eq(stats.dane_check_failures, 2);
    ck_assert(slot("a.test", true, 25, &s));
    ck_assert_uint_eq(s.fail_count, 2);
    ck_assert_uint_eq(harness_log_count("warning: dane a.test"), 1); /* later ones at info */
    /* fixed: the next retry finds it usable */
    tlsa_set("mx2.a.test", TLSA_USABLE, 3600);
    harness_advance(DANE_RETRY * 1000);
    query_start(&q, "a.test");
    ck_assert_str_eq(q.reply, SECURE_A); /* this one started the check */
    harness_settle();
    ck_assert_str_eq(query_now("a.test", 1000), DANE_ONLY);
    ck_assert(slot("a.test", true, 25, &s));
    ck_assert_uint_eq(s.result, ENTRY_DANE_ONLY);
    ck_assert_uint_eq(s.fail_count, 0);
    ck_assert_uint_eq(stats.verdicts[STATS_VERDICT_NOTFOUND], 0);
    harness_close();
}
END_TEST

/* A bogus TLSA RRset on one host while another has usable TLSA:
 * dane-only (Postfix's own DANE skips the bogus host). */
START_TEST(test_bogus_beside_usable)
{
    dane_open();
    dane_domain("a.test", TLSA_BOGUS, TLSA_USABLE, 3600);
    ck_assert_str_eq(query_now("a.test", 1000), DANE_ONLY);
    ck_assert_uint_eq(stats.dane_check_failures, 0);
    harness_close();
}
END_TEST

/* The MX lookup fails: the MTA-STS verdict. */
START_TEST(test_mx_fails)
{
    dane_open();
    dane_domain("a.test", TLSA_USABLE, TLSA_USABLE, 3600);
    dns_mx_status("a.test", DNS_TEMPFAIL, false, false, 0);
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    ck_assert_uint_eq(stats.dane_check_failures, 1);
    ck_assert_uint_eq(tlsa_calls("mx1.a.test", 25), 0);
    ck_assert_uint_eq(harness_log_count("dane a.test: the MX lookup failed (MX)"), 1);
    harness_close();
}
END_TEST

/* No DANE lookups where the answer is not "secure": no policy, mode
 * testing (NOTFOUND), unless strict_testing makes it secure. */
START_TEST(test_only_where_secure)
{
    dane_open();
    /* DANE, but no MTA-STS */
    dns_mx("nopolicy.test", "mx1.nopolicy.test", true, 3600, FAKE_AT_ONCE);
    dane_host("mx1.nopolicy.test", TLSA_USABLE, 3600);
    ck_assert_str_eq(query_now("nopolicy.test", 1000), "NOTFOUND ");
    /* mode testing */
    dane_domain("t.test", TLSA_USABLE, TLSA_USABLE, 3600);
    world_policy("t.test", "1", "testing", "mx1.t.test mx2.t.test", 86400);
    ck_assert_str_eq(query_now("t.test", 1000), "NOTFOUND ");
    ck_assert_uint_eq(mx_calls("nopolicy.test"), 0);
    ck_assert_uint_eq(mx_calls("t.test"), 0);
    ck_assert_uint_eq(stats.dane_lookups, 0);
    /* strict_testing: testing is enforced, so DANE applies */
    harness_set("strict_testing", "yes");
    harness_reconfigure();
    harness_settle(); /* the reload's probe */
    ck_assert_str_eq(query_now("t.test", 1000), DANE_ONLY);
    harness_close();
}
END_TEST

/* Smart-host keys: no MX lookup; TLSA of the host itself at the key's
 * port (25 without one).  "host:port" (no brackets) is the MX hosts at
 * that port.  Each next hop has its own cached state. */
START_TEST(test_smart_host)
{
    dane_open();
    world_policy("relay.test", "1", "enforce", "relay.test", 86400);
    dns_host("relay.test", DNS_OK, true, 3600, FAKE_AT_ONCE);
    tlsa_set_at("relay.test", 587, TLSA_USABLE, 3600, FAKE_AT_ONCE);
    tlsa_set_at("relay.test", 25, TLSA_NONE, 3600, FAKE_AT_ONCE);
    dns_mx("relay.test", "mx.relay.test", true, 3600, FAKE_AT_ONCE);
    dns_host("mx.relay.test", DNS_OK, true, 3600, FAKE_AT_ONCE);
    tlsa_set_at("mx.relay.test", 2525, TLSA_USABLE, 3600, FAKE_AT_ONCE);
    tlsa_set_at("mx.relay.test", 25, TLSA_NONE, 3600, FAKE_AT_ONCE);

    ck_assert_str_eq(query_now("[relay.test]:587", 1000), DANE_ONLY);
    ck_assert_uint_eq(mx_calls("relay.test"), 0);
    ck_assert_uint_eq(tlsa_calls("relay.test", 587), 1);
    ck_assert_str_eq(query_now("[relay.test]", 1000),
                     "OK secure match=relay.test servername=hostname");
    ck_assert_uint_eq(mx_calls("relay.test"), 0);
    ck_assert_uint_eq(tlsa_calls("relay.test", 25), 1);
    ck_assert_str_eq(query_now("relay.test:2525", 1000), DANE_ONLY);
    ck_assert_uint_eq(mx_calls("relay.test"), 1);
    ck_assert_uint_eq(tlsa_calls("mx.relay.test", 2525), 1);
    ck_assert_str_eq(query_now("relay.test", 1000),
                     "OK secure match=relay.test servername=hostname");
    struct entry_dane s;
    ck_assert(slot("relay.test", false, 587, &s) && s.result == ENTRY_DANE_ONLY);
    ck_assert(slot("relay.test", false, 25, &s) && s.result == ENTRY_DANE_NONE);
    ck_assert(slot("relay.test", true, 2525, &s) && s.result == ENTRY_DANE_ONLY);
    ck_assert(slot("relay.test", true, 25, &s) && s.result == ENTRY_DANE_NONE);
    /* within one second, each key keeps its own answer (the memo) */
    harness_advance(1000);
    for (int i = 0; i < 2; i++) {
        struct query q;
        query_start(&q, "[relay.test]:587");
        ck_assert_str_eq(q.reply, DANE_ONLY);
        query_start(&q, "relay.test");
        ck_assert_str_eq(q.reply, "OK secure match=relay.test servername=hostname");
    }
    harness_close();
}
END_TEST

/* dane = off: secure everywhere, and no DNSSEC lookup at all (not even
 * the probe); a reload to on brings DANE, one back to off ends it. */
START_TEST(test_dane_off)
{
    world_dane_resolver(true);
    harness_open(0);
    dane_domain("a.test", TLSA_USABLE, TLSA_USABLE, 3600);
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    ck_assert_uint_eq(fake_dns_sec_calls(".", DNSMSG_T_SOA), 0);
    ck_assert_uint_eq(mx_calls("a.test"), 0);
    ck_assert(!danejob_active(H.dane));
    harness_set("dane", "on");
    harness_reconfigure();
    harness_settle();
    ck_assert(danejob_active(H.dane));
    ck_assert_str_eq(query_now("a.test", 1000), DANE_ONLY);
    /* back to off, in the same second: the memo does not answer for it */
    struct query q;
    query_start(&q, "a.test");
    ck_assert_str_eq(q.reply, DANE_ONLY);
    harness_set("dane", "off");
    harness_reconfigure();
    query_start(&q, "a.test");
    ck_assert_str_eq(q.reply, SECURE_A);
    harness_close();
}
END_TEST

/* A resolver that does not validate (no AD for the probe name): an error,
 * the MTA-STS verdict, no DANE lookups; once it validates (the probe is
 * retried every DANEPROBE_RETRY s), dane-only. */
START_TEST(test_probe_fails)
{
    harness_set("dane", "on");
    world_dane_resolver(false);
    harness_open(0);
    harness_settle();
    ck_assert(!danejob_active(H.dane));
    ck_assert_uint_eq(harness_log_count("error: dane: the resolver does not validate DNSSEC"), 1);
    ck_assert_uint_eq(stats.dane_probe_failures, 1);
    dane_domain("a.test", TLSA_USABLE, TLSA_USABLE, 3600);
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    ck_assert_uint_eq(mx_calls("a.test"), 0);
    /* still failing a minute later: counted, not logged again */
    harness_advance(DANEPROBE_RETRY * 1000);
    ck_assert_uint_eq(stats.dane_probe_failures, 2);
    ck_assert_uint_eq(harness_log_count("does not validate"), 1);
    /* the resolver is fixed */
    world_dane_resolver(true);
    harness_advance(DANEPROBE_RETRY * 1000);
    ck_assert(danejob_active(H.dane));
    ck_assert_uint_eq(harness_log_count("dane: the resolver validates DNSSEC"), 1);
    ck_assert_str_eq(query_now("a.test", 1000), DANE_ONLY);
    /* and it stops validating again: checked every DANEPROBE_INTERVAL s */
    world_dane_resolver(false);
    harness_advance(DANEPROBE_INTERVAL * 1000);
    ck_assert(!danejob_active(H.dane));
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    ck_assert_uint_eq(harness_log_count("does not validate"), 2);
    harness_close();
}
END_TEST

/* The first query: policy fetch, then DANE lookups that do not answer
 * within query_timeout.  The query gets the MTA-STS verdict at its
 * deadline (never NOTFOUND); the check goes on; the next query sees its
 * result without a new lookup. */
START_TEST(test_first_query_timeout)
{
    dane_open();
    dane_domain("a.test", TLSA_USABLE, TLSA_USABLE, 3600);
    tlsa_set_at("mx1.a.test", 25, TLSA_USABLE, 3600, FAKE_HOLD);
    struct query q;
    query_start(&q, "a.test");
    ck_assert(q.waited);
    harness_advance(9999);
    ck_assert(!q.done);
    harness_advance(1);
    ck_assert(q.done);
    ck_assert_str_eq(q.reply, SECURE_A);
    ck_assert_uint_eq(stats.query_timeouts, 1);
    ck_assert_uint_eq(harness_log_count("its DANE check did not finish within query_timeout"), 1);
    ck_assert(danejob_in_progress(H.dane, "a.test", true, 25));
    fake_dns_release(FAKE_DNS_SEC, tlsa_name("mx1.a.test", 25));
    harness_settle();
    ck_assert(!danejob_in_progress(H.dane, "a.test", true, 25));
    unsigned calls = fake_dns_calls_total();
    query_start(&q, "a.test");
    ck_assert(q.done && !q.waited);
    ck_assert_str_eq(q.reply, DANE_ONLY);
    ck_assert_uint_eq(fake_dns_calls_total(), calls);
    harness_close();
}
END_TEST

/* Queries for one next hop share one check; a query that leaves (its
 * client went away) is not called, the others are. */
START_TEST(test_shared_check)
{
    enum { N = 5 };
    struct query q[N];
    dane_open();
    dane_domain("a.test", TLSA_USABLE, TLSA_USABLE, 3600);
    ck_assert_str_eq(query_now("a.test", 1000), DANE_ONLY); /* fetched and checked */
    harness_advance(3600 * 1000);                           /* the result expired */
    dns_mx("a.test", "mx1.a.test mx2.a.test", true, 3600, FAKE_AFTER(500));
    for (int i = 0; i < N; i++) {
        query_start(&q[i], "a.test");
        ck_assert(q[i].waited);
    }
    query_cancel(&q[2]);
    harness_advance(500);
    for (int i = 0; i < N; i++) {
        ck_assert(i == 2 ? !q[i].done : q[i].done);
        if (i != 2)
            ck_assert_str_eq(q[i].reply, DANE_ONLY);
    }
    ck_assert_uint_eq(mx_calls("a.test"), 2);
    ck_assert_uint_eq(stats.dane_checks, 2);
    harness_close();
}
END_TEST

/* Lookups that never answer: the check ends at its deadline (two rounds
 * of 3 tries of dns_timeout, plus 2 s) as a failure; the query had its
 * MTA-STS answer at query_timeout. */
START_TEST(test_check_deadline)
{
    harness_set("dns_timeout", "2s");
    dane_open();
    dane_domain("a.test", TLSA_USABLE, TLSA_USABLE, 3600);
    dns_mx("a.test", "mx1.a.test mx2.a.test", true, 3600, FAKE_HOLD);
    struct query q;
    query_start(&q, "a.test");
    harness_advance(10 * 1000); /* query_timeout */
    ck_assert(q.done);
    ck_assert_str_eq(q.reply, SECURE_A);
    ck_assert(danejob_in_progress(H.dane, "a.test", true, 25));
    unsigned cancels = fake_dns_cancels();
    harness_advance((6 * 2 + 2 - 10) * 1000 - 1);
    ck_assert(danejob_in_progress(H.dane, "a.test", true, 25));
    harness_advance(1);
    ck_assert(!danejob_in_progress(H.dane, "a.test", true, 25));
    ck_assert_uint_eq(fake_dns_cancels(), cancels + 1);
    ck_assert_uint_eq(stats.dane_check_failures, 1);
    ck_assert_uint_eq(stats.dane_lookup_failures, 1);
    ck_assert_uint_eq(harness_log_count("dane a.test: the MX lookup failed"), 1);
    struct entry_dane s;
    ck_assert(slot("a.test", true, 25, &s));
    ck_assert_uint_eq(s.fail_count, 1);
    harness_close();
}
END_TEST

/* The DNS TTLs bound the result: TTL 400 -> re-checked in the background
 * by a query in its last quarter (from 300 s), expired at 400 s (a query
 * then waits for a check); a TTL of 5 s is kept DANE_TTL_MIN, one of a
 * day DANE_TTL_MAX. */
START_TEST(test_ttl_recheck)
{
    dane_open();
    dane_domain("a.test", TLSA_USABLE, TLSA_USABLE, 400);
    ck_assert_str_eq(query_now("a.test", 1000), DANE_ONLY);
    struct entry_dane s;
    ck_assert(slot("a.test", true, 25, &s));
    int64_t t0 = s.checked_at;
    ck_assert_int_eq(s.expires_at, t0 + 400);
    /* at 299 s: from the cache, nothing started */
    harness_advance((t0 + 299 - harness_now()) * 1000);
    struct query q;
    query_start(&q, "a.test");
    ck_assert(q.done && !q.waited);
    ck_assert_str_eq(q.reply, DANE_ONLY);
    harness_settle();
    ck_assert_uint_eq(mx_calls("a.test"), 1);
    /* at 300 s: answered from the cache, and a check in the background,
     * which finds the TLSA records gone */
    tlsa_set("mx1.a.test", TLSA_NONE, 400);
    tlsa_set("mx2.a.test", TLSA_NONE, 400);
    harness_advance(1000);
    query_start(&q, "a.test");
    ck_assert(q.done && !q.waited);
    ck_assert_str_eq(q.reply, DANE_ONLY);
    harness_settle();
    ck_assert_uint_eq(mx_calls("a.test"), 2);
    ck_assert(slot("a.test", true, 25, &s));
    ck_assert_uint_eq(s.result, ENTRY_DANE_NONE);
    ck_assert_int_eq(s.checked_at, t0 + 300);
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    ck_assert_uint_eq(harness_log_count("dane a.test: none:"), 1); /* from dane-only: info */
    /* expired (no query in its last quarter): the next query waits */
    harness_advance((s.expires_at - harness_now()) * 1000);
    dns_mx("a.test", "mx1.a.test mx2.a.test", true, 400, FAKE_AFTER(200));
    query_start(&q, "a.test");
    ck_assert(q.waited);
    harness_advance(200);
    ck_assert(q.done);
    ck_assert_uint_eq(mx_calls("a.test"), 3);
    /* floor and ceiling */
    dane_domain("short.test", TLSA_USABLE, TLSA_USABLE, 5);
    dane_domain("long.test", TLSA_USABLE, TLSA_USABLE, 86400);
    ck_assert_str_eq(query_now("short.test", 1000), DANE_ONLY);
    ck_assert_str_eq(query_now("long.test", 1000), DANE_ONLY);
    ck_assert(slot("short.test", true, 25, &s));
    ck_assert_int_eq(s.expires_at - s.checked_at, DANE_TTL_MIN);
    ck_assert(slot("long.test", true, 25, &s));
    ck_assert_int_eq(s.expires_at - s.checked_at, DANE_TTL_MAX);
    harness_close();
}
END_TEST

/* The DANE state survives a restart: it is in the LMDB entry, and the
 * restarted daemon answers from it without a DANE lookup. */
START_TEST(test_restart)
{
    dane_open();
    dane_domain("a.test", TLSA_USABLE, TLSA_NONE, 3600);
    ck_assert_str_eq(query_now("a.test", 1000), DANE_ONLY);
    harness_restart(0);
    harness_settle(); /* the new probe */
    ck_assert(danejob_active(H.dane));
    struct query q;
    query_start(&q, "a.test");
    ck_assert(q.done && !q.waited);
    ck_assert_str_eq(q.reply, DANE_ONLY);
    ck_assert_uint_eq(mx_calls("a.test"), 1);
    harness_close();
}
END_TEST

/* A cache written by mtastsd before DANE (record version 1, made by that
 * daemon: tests/component/data/README): its policies are answered at
 * once, with no fetch; the DANE check adds its state, and the record is
 * written back as version 2 with the policy unchanged. */
START_TEST(test_v1_cache)
{
    const int64_t F = INT64_C(1796292432); /* fetched_at of the records */
    harness_seed_cache(TOP_SRCDIR "/tests/component/data/cache-v1.mdb");
    harness_set("dane", "on");
    world_dane_resolver(true);
    harness_open(0);
    fake_clock_set_wall(F + 100);
    harness_settle();
    dns_mx("dane.test", "mx1.dane.test mx2.dane.test", true, 3600, FAKE_AT_ONCE);
    dane_host("mx1.dane.test", TLSA_USABLE, 3600);
    dane_host("mx2.dane.test", TLSA_USABLE, 3600);
    struct entry e;
    ck_assert(cached("dane.test", &e));
    ck_assert_uint_eq(e.n_dane, 0);
    entry_clear(&e);
    ck_assert_str_eq(query_now("testing.test", 1000), "NOTFOUND ");
    ck_assert_str_eq(query_now("dane.test", 1000), DANE_ONLY);
    ck_assert_uint_eq(fake_https_calls(host_name("dane.test")), 0);
    ck_assert_uint_eq(fake_dns_calls(FAKE_DNS_TXT, txt_name("dane.test")), 0);
    ck_assert(cached("dane.test", &e));
    ck_assert_str_eq(e.id, "dane1");
    ck_assert_int_eq(e.fetched_at, F);
    ck_assert_int_eq(e.expires_at, F + 604800);
    ck_assert_uint_eq(e.policy->n_mx, 2);
    ck_assert_uint_eq(e.n_dane, 1);
    ck_assert_uint_eq(e.dane[0].result, ENTRY_DANE_ONLY);
    entry_clear(&e);
    /* without DANE the same cache answers secure */
    harness_set("dane", "off");
    harness_reconfigure();
    ck_assert_str_eq(query_now("dane.test", 1000),
                     "OK secure match=mx1.dane.test:mx2.dane.test servername=hostname");
    harness_close();
}
END_TEST

/* mtasts-tlsrpt: "OK dane-only" carries no policy_type=sts attributes. */
START_TEST(test_tlsrpt_profile)
{
    dane_open();
    dane_domain("a.test", TLSA_USABLE, TLSA_USABLE, 3600);
    struct query q;
    query_start_prof(&q, REPLY_PROFILE_TLSRPT, "a.test");
    harness_settle();
    ck_assert(q.done);
    ck_assert_str_eq(q.reply, DANE_ONLY);
    harness_close();
}
END_TEST

/* At most DANE_HOSTS_MAX MX hosts are looked at, the most preferred: the
 * TLSA of a host past the limit does not count (the MTA-STS verdict). */
START_TEST(test_mx_limit)
{
    char hosts[1024] = "", mxs[1024] = "";
    dane_open();
    for (int i = 0; i < DANE_HOSTS_MAX + 2; i++) {
        char h[64];
        snprintf(h, sizeof(h), "mx%02d.a.test", i);
        strcat(hosts, i ? " " : "");
        strcat(hosts, h);
        dane_host(h, i == DANE_HOSTS_MAX ? TLSA_USABLE : TLSA_NONE, 3600);
    }
    snprintf(mxs, sizeof(mxs), "%s", hosts);
    world_policy("a.test", "1", "enforce", "*.a.test", 86400);
    dns_mx("a.test", mxs, true, 3600, FAKE_AT_ONCE);
    ck_assert_str_eq(query_now("a.test", 1000), "OK secure match=.a.test servername=hostname");
    ck_assert_uint_eq(tlsa_calls("mx00.a.test", 25), 1);
    ck_assert_uint_eq(tlsa_calls("mx07.a.test", 25), 1);
    ck_assert_uint_eq(tlsa_calls("mx08.a.test", 25), 0);
    ck_assert_uint_eq(stats.dane_lookups, 1 + 2 * DANE_HOSTS_MAX);
    harness_close();
}
END_TEST

/* A policy fetch that runs while a DANE check stores its result does not
 * write back the DANE state it read before. */
START_TEST(test_fetch_keeps_dane)
{
    dane_open();
    dane_domain("a.test", TLSA_USABLE, TLSA_USABLE, 3600);
    ck_assert_str_eq(query_now("a.test", 1000), DANE_ONLY);
    /* a new policy id; its fetch is held after the TXT answer */
    world_policy("a.test", "2", "enforce", "mx1.a.test mx2.a.test", 86400);
    fake_https_set(host_name("a.test"), HTTPS_OK, 200,
                   policy_body("enforce", "mx1.a.test mx2.a.test", 86400), FAKE_HOLD);
    ck_assert(fetch_request_operator(H.fetch, "a.test", NULL, NULL) == NULL);
    harness_settle();
    ck_assert(fetch_in_progress(H.fetch, "a.test"));
    /* meanwhile a DANE check finds the TLSA records gone */
    tlsa_set("mx1.a.test", TLSA_NONE, 3600);
    tlsa_set("mx2.a.test", TLSA_NONE, 3600);
    danejob_request(H.dane, "a.test", true, 25, NULL, NULL);
    harness_settle();
    struct entry_dane s;
    ck_assert(slot("a.test", true, 25, &s));
    ck_assert_uint_eq(s.result, ENTRY_DANE_NONE);
    fake_https_release(host_name("a.test"));
    harness_settle();
    ck_assert(!fetch_in_progress(H.fetch, "a.test"));
    struct entry e;
    ck_assert(cached("a.test", &e));
    ck_assert_str_eq(e.id, "2");
    entry_clear(&e);
    ck_assert(slot("a.test", true, 25, &s));
    ck_assert_uint_eq(s.result, ENTRY_DANE_NONE);
    harness_advance(1000);
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    harness_close();
}
END_TEST

/* A domain flushed while its DANE check runs: the check stores nothing
 * (no entry is made for it), and its waiters still get an answer. */
START_TEST(test_flushed_during_check)
{
    dane_open();
    dane_domain("a.test", TLSA_USABLE, TLSA_USABLE, 3600);
    dns_mx("a.test", "mx1.a.test mx2.a.test", true, 3600, FAKE_AFTER(100));
    struct query q;
    query_start(&q, "a.test");
    harness_settle(); /* fetched; now waiting for DANE */
    ck_assert(!q.done);
    ck_assert_int_eq(cache_del(H.cache, "a.test"), CACHE_OK);
    harness_advance(100);
    ck_assert(q.done);
    ck_assert_str_eq(q.reply, DANE_ONLY);
    struct entry e;
    ck_assert(!cached("a.test", &e));
    entry_clear(&e);
    harness_close();
}
END_TEST

Suite *dane_suite(void);

Suite *dane_suite(void)
{
    Suite *s = suite_create("dane");
    TCase *tc = tcase_create("dane");
    tcase_add_test(tc, test_every_mx);
    tcase_add_test(tc, test_some_mx);
    tcase_add_test(tc, test_secure_rows);
    tcase_add_test(tc, test_implicit_mx);
    tcase_add_test(tc, test_bogus_tlsa);
    tcase_add_test(tc, test_bogus_beside_usable);
    tcase_add_test(tc, test_mx_fails);
    tcase_add_test(tc, test_only_where_secure);
    tcase_add_test(tc, test_smart_host);
    tcase_add_test(tc, test_dane_off);
    tcase_add_test(tc, test_probe_fails);
    tcase_add_test(tc, test_first_query_timeout);
    tcase_add_test(tc, test_shared_check);
    tcase_add_test(tc, test_check_deadline);
    tcase_add_test(tc, test_ttl_recheck);
    tcase_add_test(tc, test_restart);
    tcase_add_test(tc, test_v1_cache);
    tcase_add_test(tc, test_tlsrpt_profile);
    tcase_add_test(tc, test_mx_limit);
    tcase_add_test(tc, test_fetch_keeps_dane);
    tcase_add_test(tc, test_flushed_during_check);
    suite_add_tcase(s, tc);
    return s;
}

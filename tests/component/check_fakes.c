/*
 * check_fakes - the fakes keep the contracts of the headers they stand in
 * for (clock.h, dns.h, https.h), so that the component tests prove
 * nothing the real adapters would not do: no answer from inside the call
 * that asked, exactly one answer, none after a cancel, timers in order
 * and at their time, the two clocks in their roles.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "harness.h"

/* ---- clock ----------------------------------------------------------------- */

static int fired[8], nfired;

static void note_fired(void *arg)
{
    fired[nfired++] = (int)(intptr_t)arg;
}

START_TEST(test_clock_timers)
{
    harness_open(0);
    struct clock_timer *t[4];
    for (int i = 0; i < 4; i++)
        t[i] = clock_timer_new(H.base, note_fired, (void *)(intptr_t)(i + 1));
    clock_timer_add(t[0], 0);
    ck_assert_int_eq(nfired, 0); /* never from inside clock_timer_add() */
    clock_timer_add(t[1], 1500);
    clock_timer_add(t[2], 1000);
    clock_timer_add(t[3], 1000); /* same time: in the order added */
    harness_turns(1);
    ck_assert_int_eq(nfired, 1);
    int64_t mono0 = clock_mono_ms(), wall0 = clock_wall();
    harness_advance(999);
    ck_assert_int_eq(nfired, 1);
    harness_advance(1);
    ck_assert_int_eq(nfired, 3);
    ck_assert_int_eq(fired[1], 3);
    ck_assert_int_eq(fired[2], 4);
    clock_timer_del(t[1]);
    ck_assert(!clock_timer_pending(t[1]));
    harness_advance(10000);
    ck_assert_int_eq(nfired, 3);
    ck_assert_int_eq(clock_mono_ms() - mono0, 11000);
    ck_assert_int_eq(clock_wall() - wall0, 11);
    /* The wall clock jumps; the monotonic one does not. */
    fake_clock_set_wall(wall0 - 3600);
    ck_assert_int_eq(clock_wall(), wall0 - 3600);
    ck_assert_int_eq(clock_mono_ms() - mono0, 11000);
    for (int i = 0; i < 4; i++)
        clock_timer_free(t[i]);
    harness_close();
}
END_TEST

/* ---- dns ------------------------------------------------------------------- */

static int txt_answers;
static enum dns_status txt_st;
static char txt_rec[64];

static void on_txt(void *arg, enum dns_status st, const struct sts_txt_rr *rrs, size_t n,
                   bool oversize, const char *detail)
{
    (void)arg;
    (void)oversize;
    (void)detail;
    txt_answers++;
    txt_st = st;
    txt_rec[0] = '\0';
    if (n > 0)
        snprintf(txt_rec, sizeof(txt_rec), "%.*s", (int)rrs[0].len, rrs[0].data);
}

START_TEST(test_dns_contract)
{
    harness_open(0);
    fake_dns_txt1("_mta-sts.a.test", "v=STSv1; id=1", FAKE_AT_ONCE);
    struct dns_query *q = dns_txt(H.dns, "_mta-sts.a.test", on_txt, NULL);
    ck_assert_ptr_nonnull(q);
    ck_assert_int_eq(txt_answers, 0);
    harness_turns(1);
    ck_assert_int_eq(txt_answers, 1);
    ck_assert_int_eq(txt_st, DNS_OK);
    ck_assert_str_eq(txt_rec, "v=STSv1; id=1");
    /* cancelled: never answered */
    q = dns_txt(H.dns, "_mta-sts.a.test", on_txt, NULL);
    dns_cancel(q);
    harness_settle();
    ck_assert_int_eq(txt_answers, 1);
    ck_assert_uint_eq(fake_dns_cancels(), 1);
    /* after N turns, after N ms, held */
    fake_dns_txt1("_mta-sts.b.test", "v=STSv1; id=2", FAKE_AFTER_TURNS(3));
    (void)dns_txt(H.dns, "_mta-sts.b.test", on_txt, NULL);
    harness_turns(2);
    ck_assert_int_eq(txt_answers, 1);
    harness_turns(1);
    ck_assert_int_eq(txt_answers, 2);
    fake_dns_txt1("_mta-sts.c.test", "v=STSv1; id=3", FAKE_AFTER(2500));
    (void)dns_txt(H.dns, "_mta-sts.c.test", on_txt, NULL);
    harness_advance(2499);
    ck_assert_int_eq(txt_answers, 2);
    harness_advance(1);
    ck_assert_int_eq(txt_answers, 3);
    fake_dns_txt1("_mta-sts.d.test", "v=STSv1; id=4", FAKE_HOLD);
    (void)dns_txt(H.dns, "_mta-sts.d.test.", on_txt, NULL);
    harness_advance(3600 * 1000);
    ck_assert_int_eq(txt_answers, 3);
    ck_assert_uint_eq(fake_dns_outstanding(), 1);
    fake_dns_release(FAKE_DNS_TXT, "_mta-sts.d.test");
    harness_turns(1);
    ck_assert_int_eq(txt_answers, 4);
    ck_assert_str_eq(txt_rec, "v=STSv1; id=4");
    /* no script */
    (void)dns_txt(H.dns, "_mta-sts.nobody.test", on_txt, NULL);
    harness_turns(1);
    ck_assert_int_eq(txt_st, DNS_NODATA);
    ck_assert_uint_eq(fake_dns_calls(FAKE_DNS_TXT, "_mta-sts.a.test"), 2);
    ck_assert_uint_eq(fake_dns_calls(FAKE_DNS_TXT, "_mta-sts.nobody.test"), 1);
    harness_close();
}
END_TEST

static int sec_answers;
static struct dns_sec_result sec_last;
static char sec_name[300];

static void on_sec(void *arg, const struct dns_sec_result *r)
{
    (void)arg;
    sec_answers++;
    sec_last = *r;
    snprintf(sec_name, sizeof(sec_name), "%s", r->name);
}

START_TEST(test_dns_sec_contract)
{
    static struct dnsmsg_rr tlsa = {.type = DNSMSG_T_TLSA, .ttl = 300};
    harness_open(0);
    struct dns_sec_result r = {.st = DNS_OK, .ad = true, .ttl = 300, .n = 1, .rrs = &tlsa};
    fake_dns_sec("_25._tcp.mx.a.test", DNSMSG_T_TLSA, &r, FAKE_AT_ONCE);
    (void)dns_tlsa(H.dns, "mx.a.test", 25, on_sec, NULL);
    ck_assert_int_eq(sec_answers, 0);
    harness_turns(1);
    ck_assert_int_eq(sec_answers, 1);
    ck_assert(sec_last.ad);
    ck_assert_uint_eq(sec_last.n, 1);
    ck_assert_str_eq(sec_name, "_25._tcp.mx.a.test.");
    ck_assert_uint_eq(fake_dns_sec_calls("_25._tcp.mx.a.test", DNSMSG_T_TLSA), 1);
    /* a temporary failure never carries AD or a TTL */
    r.st = DNS_TEMPFAIL;
    fake_dns_sec("a.test", DNSMSG_T_MX, &r, FAKE_AT_ONCE);
    (void)dns_mx_sec(H.dns, "a.test", on_sec, NULL);
    harness_turns(1);
    ck_assert_int_eq(sec_answers, 2);
    ck_assert_int_eq(sec_last.st, DNS_TEMPFAIL);
    ck_assert(!sec_last.ad);
    ck_assert_uint_eq(sec_last.ttl, 0);
    ck_assert_uint_eq(sec_last.n, 0);
    harness_close();
}
END_TEST

/* ---- https ----------------------------------------------------------------- */

static int https_answers;
static enum https_status https_st;
static char https_body[64];

static void on_https(void *arg, enum https_status st, long code, const char *body, size_t len,
                     const char *detail)
{
    (void)arg;
    (void)code;
    (void)detail;
    https_answers++;
    https_st = st;
    snprintf(https_body, sizeof(https_body), "%.*s", (int)len, body != NULL ? body : "");
}

START_TEST(test_https_contract)
{
    static const char *const addrs[] = {"192.0.2.1", "2001:db8::1"};
    harness_open(0);
    fake_https_policy("mta-sts.a.test", "body");
    struct https_req *r = https_get(H.https, "mta-sts.a.test", addrs, 2, on_https, NULL);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(https_answers, 0);
    ck_assert_uint_eq(https_active(H.https), 1);
    harness_turns(1);
    ck_assert_int_eq(https_answers, 1);
    ck_assert_int_eq(https_st, HTTPS_OK);
    ck_assert_str_eq(https_body, "body");
    ck_assert_str_eq(fake_https_last_addrs("mta-sts.a.test"), "192.0.2.1,2001:db8::1");
    ck_assert_uint_eq(https_active(H.https), 0);
    r = https_get(H.https, "mta-sts.a.test", addrs, 1, on_https, NULL);
    https_cancel(r);
    harness_settle();
    ck_assert_int_eq(https_answers, 1);
    ck_assert_uint_eq(https_active(H.https), 0);
    (void)https_get(H.https, "mta-sts.nobody.test", addrs, 1, on_https, NULL);
    harness_turns(1);
    ck_assert_int_eq(https_st, HTTPS_ERR_CONNECT);
    harness_close();
}
END_TEST

Suite *fakes_suite(void);

Suite *fakes_suite(void)
{
    Suite *s = suite_create("fakes");
    TCase *tc = tcase_create("contracts");
    tcase_add_test(tc, test_clock_timers);
    tcase_add_test(tc, test_dns_contract);
    tcase_add_test(tc, test_dns_sec_contract);
    tcase_add_test(tc, test_https_contract);
    suite_add_tcase(s, tc);
    return s;
}

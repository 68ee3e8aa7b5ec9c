/*
 * check_refresh - component tests of the proactive refresh (refresh.c:
 * the sweep and the timer queue) and of the cache's damage handling as
 * the core meets it, on the fake clock (harness.h): refresh success,
 * failure and retry timing, expiry, jitter bounds, the job budget, the
 * short-max_age timer queue, the sweep's deletions, a cut cache file.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "stats.h"

#define SECURE_A "OK secure match=mx.a.test servername=hostname"

static int64_t entry_field(const char *domain, int64_t (*get)(const struct entry *))
{
    struct entry e;
    ck_assert_msg(cached(domain, &e), "%s not cached", domain);
    int64_t v = get(&e);
    entry_clear(&e);
    return v;
}

static int64_t get_refresh_at(const struct entry *e)
{
    return e->refresh_at;
}

static int64_t get_fetched_at(const struct entry *e)
{
    return e->fetched_at;
}

static int64_t get_expires_at(const struct entry *e)
{
    return e->expires_at;
}

/* Advance fake time so that the wall clock reads t. */
static void advance_to(int64_t t)
{
    int64_t now = harness_now();
    ck_assert_int_ge(t, now);
    harness_advance((t - now) * 1000);
}

/* A short max_age (120 s) is refreshed from the timer queue at its
 * refresh_at, to the second, with no query: fetched whatever the TXT
 * record says, and its expiry moves on. */
START_TEST(test_refresh_success)
{
    harness_open(HARNESS_REFRESH);
    world_policy("a.test", "1", "enforce", "mx.a.test", 120);
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    int64_t t0 = harness_now();
    int64_t at = entry_field("a.test", get_refresh_at);
    ck_assert_int_ge(at - t0, 54);
    ck_assert_int_le(at - t0, 60);
    advance_to(at - 1);
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 1);
    ck_assert_uint_eq(stats.refresh_started, 0);
    harness_advance(1000);
    ck_assert_uint_eq(stats.refresh_started, 1);
    ck_assert_uint_eq(stats.refresh_ok, 1);
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 2);
    ck_assert_uint_eq(stats.fetches[FETCH_OK], 2);
    ck_assert_int_eq(entry_field("a.test", get_fetched_at), at);
    ck_assert_int_eq(entry_field("a.test", get_expires_at), at + 120);
    ck_assert_uint_eq(stats.queries, 1);
    harness_close();
}
END_TEST

/*
 * The proactive refresh of four domains, no query in between (what
 * tests/integration/test_refresh.sh checked with a 60 s wait; here the
 * wait is exact and instant):
 *   a.test  max_age 120; before its refresh the TXT id and the policy
 *           change: the refresh picks up id 2 and the new mx;
 *   b.test  max_age 120, id unchanged: fetched all the same (RFC 8461
 *           section 10.2: refresh whatever the TXT record says), class ok,
 *           expiry moved on;
 *   c.test  max_age 120; its policy URL answers 404 before the refresh:
 *           the failure is recorded, the policy is served until its
 *           expiry, and the failed refresh is not started again at every
 *           tick of the sweep (one refresh, one TXT query);
 *   d.test  max_age 86400: untouched.
 */
START_TEST(test_refresh_four_domains)
{
    const char *dom[] = {"a.test", "b.test", "c.test", "d.test"};
    unsigned age[] = {120, 120, 120, 86400};
    char mx[4][32];
    int64_t refresh_at[4], expires0[4];
    static struct query first_q[4];
    harness_open(HARNESS_REFRESH);
    for (int i = 0; i < 4; i++) {
        snprintf(mx[i], sizeof(mx[i]), "mx.%s", dom[i]);
        world_policy(dom[i], "1", "enforce", mx[i], age[i]);
        query_start(&first_q[i], dom[i]);
    }
    harness_settle();
    int64_t t0 = harness_now(), first = INT64_MAX, last = 0;
    for (int i = 0; i < 4; i++) {
        refresh_at[i] = entry_field(dom[i], get_refresh_at);
        expires0[i] = entry_field(dom[i], get_expires_at);
        if (i < 3) {
            ck_assert_int_ge(refresh_at[i] - t0, 54);
            ck_assert_int_le(refresh_at[i] - t0, 60);
            first = refresh_at[i] < first ? refresh_at[i] : first;
            last = refresh_at[i] > last ? refresh_at[i] : last;
        } else {
            ck_assert_int_ge(refresh_at[i] - t0, 43200 - 4320);
            ck_assert_int_le(refresh_at[i] - t0, 43200);
        }
    }
    /* Before the refreshes: a.test publishes id 2 and a new mx; c.test's
     * policy URL answers 404. */
    fake_dns_txt1(txt_name("a.test"), "v=STSv1; id=2", FAKE_AT_ONCE);
    fake_https_policy(host_name("a.test"), policy_body("enforce", "mx2.a.test", 120));
    fake_https_set(host_name("c.test"), HTTPS_ERR_STATUS, 404, NULL, FAKE_AT_ONCE);
    unsigned queries0 = (unsigned)stats.queries;

    advance_to(first - 1);
    ck_assert_uint_eq(stats.refresh_started, 0);
    for (int i = 0; i < 4; i++)
        ck_assert_uint_eq(fake_https_calls(host_name(dom[i])), 1);
    advance_to(last + 4); /* each at its own jittered time, then a few sweep ticks */

    ck_assert_uint_eq(stats.queries, queries0);
    ck_assert_uint_eq(stats.refresh_started, 3);
    ck_assert_uint_eq(stats.refresh_ok, 2);
    ck_assert_uint_eq(stats.refresh_failed, 1);
    ck_assert_uint_eq(stats.fetches[FETCH_BACKOFF], 0);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_eq(fake_https_calls(host_name(dom[i])), 2);
    ck_assert_uint_eq(fake_dns_calls(FAKE_DNS_TXT, txt_name("c.test")), 2); /* query + refresh */
    ck_assert_uint_eq(fake_https_calls(host_name("d.test")), 1);
    ck_assert_uint_eq(fake_dns_calls(FAKE_DNS_TXT, txt_name("d.test")), 1);

    struct entry e;
    ck_assert(cached("a.test", &e));
    ck_assert_str_eq(e.id, "2");
    ck_assert_str_eq(e.policy->mx[0], "mx2.a.test");
    ck_assert_int_eq(e.fetched_at, refresh_at[0]);
    ck_assert_int_eq(e.expires_at - e.fetched_at, 120);
    ck_assert_int_eq(e.fail_at, 0);
    entry_clear(&e);
    ck_assert(cached("b.test", &e));
    ck_assert_str_eq(e.id, "1");
    ck_assert_int_eq(e.fetched_at, refresh_at[1]);
    ck_assert_int_ge(e.expires_at - expires0[1], 54);
    ck_assert_int_ge(e.refresh_at - e.fetched_at, 54);
    ck_assert_int_le(e.refresh_at - e.fetched_at, 60);
    entry_clear(&e);
    ck_assert(cached("c.test", &e));
    ck_assert_str_eq(e.id, "1");
    ck_assert_str_eq(e.fail_id, "1");
    ck_assert_int_eq(e.fail_class, FETCH_HTTP_STATUS);
    ck_assert_uint_eq(e.fail_count, 1);
    ck_assert_int_eq(e.expires_at, expires0[2]);
    entry_clear(&e);

    ck_assert_str_eq(query_now("a.test", 0), "OK secure match=mx2.a.test servername=hostname");
    ck_assert_str_eq(query_now("b.test", 0), "OK secure match=mx.b.test servername=hostname");
    ck_assert_str_eq(query_now("c.test", 0), "OK secure match=mx.c.test servername=hostname");
    ck_assert_str_eq(query_now("d.test", 0), "OK secure match=mx.d.test servername=hostname");
    harness_settle();
    ck_assert_uint_eq(fake_https_calls(host_name("c.test")), 2); /* the failed id: not again */
    harness_close();
}
END_TEST

/* A refresh that fails is retried fail_backoff (5 min) later, to the
 * second, while the cached policy is served; the retry succeeds. */
START_TEST(test_refresh_failure_retry)
{
    harness_open(HARNESS_REFRESH);
    world_policy("a.test", "1", "enforce", "mx.a.test", 3600);
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    int64_t at = entry_field("a.test", get_refresh_at);
    fake_https_set(host_name("a.test"), HTTPS_ERR_STATUS, 503, NULL, FAKE_AT_ONCE);
    advance_to(at);
    ck_assert_uint_eq(stats.refresh_failed, 1);
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 2);
    ck_assert_int_eq(entry_field("a.test", get_refresh_at), at + 300);
    struct query q;
    query_start(&q, "a.test");
    ck_assert(q.done);
    ck_assert_str_eq(q.reply, SECURE_A);
    fake_https_policy(host_name("a.test"), policy_body("enforce", "mx.a.test", 3600));
    advance_to(at + 299);
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 2);
    advance_to(at + 300);
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 3);
    ck_assert_uint_eq(stats.refresh_ok, 1);
    ck_assert_int_eq(entry_field("a.test", get_expires_at), at + 300 + 3600);
    harness_close();
}
END_TEST

/* Refreshes keep failing: the policy is served until its expiry and not a
 * second longer; after it, the domain is as without a policy (the failed
 * id still in its back-off). */
START_TEST(test_refresh_expiry)
{
    harness_open(HARNESS_REFRESH);
    world_policy("a.test", "1", "enforce", "mx.a.test", 120);
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    int64_t t0 = harness_now();
    fake_https_set(host_name("a.test"), HTTPS_ERR_CONNECT, 0, NULL, FAKE_AT_ONCE);
    advance_to(t0 + 119);
    ck_assert_uint_eq(stats.refresh_failed, 1);
    struct query q;
    query_start(&q, "a.test");
    ck_assert(q.done);
    ck_assert_str_eq(q.reply, SECURE_A);
    advance_to(t0 + 120);
    query_start(&q, "a.test");
    ck_assert(q.waited);
    harness_settle();
    ck_assert(q.done);
    ck_assert_str_eq(q.reply, "NOTFOUND ");
    ck_assert_uint_eq(stats.fetches[FETCH_BACKOFF], 1);
    harness_close();
}
END_TEST

/* Jitter: refreshes of policies fetched at the same second spread over
 * [refresh - 10%, refresh], and do not all fall on one second. */
START_TEST(test_refresh_jitter_bounds)
{
    enum { N = 40 };
    char name[N][32];
    static struct query q[N];
    harness_open(HARNESS_REFRESH);
    int64_t t0 = harness_now();
    for (int i = 0; i < N; i++) {
        snprintf(name[i], sizeof(name[i]), "d%d.test", i);
        world_policy(name[i], "1", "enforce", "mx.test", 86400);
        query_start(&q[i], name[i]);
    }
    harness_settle();
    ck_assert_int_eq(harness_now(), t0);
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = 0; i < N; i++) {
        int64_t at = entry_field(name[i], get_refresh_at) - t0;
        ck_assert_int_ge(at, 43200 - 4320);
        ck_assert_int_le(at, 43200);
        lo = at < lo ? at : lo;
        hi = at > hi ? at : hi;
    }
    ck_assert_int_gt(hi - lo, 600);
    harness_close();
}
END_TEST

/* The refresh budget: at most a quarter of max_fetches refresh jobs in
 * flight; a due refresh over it waits a second and is then started. */
START_TEST(test_refresh_budget)
{
    harness_set("max_fetches", "4"); /* budget 1 */
    harness_open(HARNESS_REFRESH);
    const char *doms[] = {"a.test", "b.test", "c.test"};
    for (int i = 0; i < 3; i++) {
        world_policy(doms[i], "1", "enforce", "mx.test", 10); /* refresh at +5 s */
        ck_assert_str_eq(query_now(doms[i], 1000), "OK secure match=mx.test servername=hostname");
        fake_https_set(host_name(doms[i]), HTTPS_OK, 200, policy_body("enforce", "mx.test", 10),
                       FAKE_AFTER(1500));
    }
    unsigned max_bg = 0;
    for (int ms = 0; ms < 4000 + 5000; ms += 100) {
        harness_advance(100);
        unsigned bg = (unsigned)fetch_background(H.fetch);
        max_bg = bg > max_bg ? bg : max_bg;
    }
    ck_assert_uint_eq(max_bg, 1);
    for (int i = 0; i < 3; i++)
        ck_assert_uint_ge(fake_https_calls(host_name(doms[i])), 2);
    harness_close();
}
END_TEST

/* A policy with max_age 10 s lives on refreshes from the timer queue
 * alone (refresh 5 s after each fetch), with no query at all. */
START_TEST(test_refresh_timer_queue_short_max_age)
{
    harness_open(HARNESS_REFRESH);
    world_policy("a.test", "1", "enforce", "mx.a.test", 10);
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    int64_t t0 = harness_now();
    advance_to(t0 + 30);
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 7);
    ck_assert_uint_eq(stats.refresh_ok, 6);
    ck_assert_int_eq(entry_field("a.test", get_fetched_at), t0 + 30);
    ck_assert_uint_eq(stats.queries, 1);
    struct query q;
    query_start(&q, "a.test");
    ck_assert(q.done && !q.waited);
    ck_assert_str_eq(q.reply, SECURE_A);
    harness_close();
}
END_TEST

/* The sweep refreshes a long-lived policy at refresh_interval (the timer
 * queue does not take it: its expiry is far off). */
START_TEST(test_refresh_sweep_interval)
{
    harness_set("refresh_interval", "1h");
    harness_open(HARNESS_REFRESH);
    world_policy("a.test", "1", "enforce", "mx.a.test", 31557600);
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    int64_t t0 = harness_now();
    int64_t at = entry_field("a.test", get_refresh_at);
    ck_assert_int_ge(at - t0, 3600 - 360);
    ck_assert_int_le(at - t0, 3600);
    advance_to(at - 1);
    ck_assert_uint_eq(stats.refresh_started, 0);
    /* The sweep visits every entry each tick of a small cache. */
    advance_to(at + 1);
    ck_assert_uint_eq(stats.refresh_started, 1);
    ck_assert_uint_eq(stats.refresh_ok, 1);
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 2);
    harness_close();
}
END_TEST

/* The sweep deletes an entry whose policy expired keep_expired (7 days)
 * ago; the wall clock jumps there (the monotonic clock does not). */
START_TEST(test_sweep_deletes_expired)
{
    harness_open(HARNESS_REFRESH);
    fake_dns_txt(txt_name("n.test"), DNS_NODATA, NULL, FAKE_AT_ONCE);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    ck_assert_str_eq(query_now("n.test", 1000), "NOTFOUND ");
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    fake_https_set(host_name("a.test"), HTTPS_ERR_CONNECT, 0, NULL, FAKE_AT_ONCE);
    int64_t t0 = harness_now();
    fake_clock_set_wall(t0 + 86400 + 7 * 86400 + 1);
    harness_advance(3000);
    struct entry e;
    ck_assert(!cached("n.test", &e));
    ck_assert(!cached("a.test", &e));
    ck_assert_uint_eq(stats.swept, 2);
    harness_close();
}
END_TEST

/* A cache file cut while in use (issue 9): the next query finds it
 * damaged, it is moved aside, and the domain is fetched again into the
 * empty cache that replaced it. */
START_TEST(test_cache_cut_refetch)
{
    char path[128];
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    snprintf(path, sizeof(path), "%s/cache.mdb", H.dir);
    ck_assert_int_eq(truncate(path, 0), 0);
    harness_advance(1000); /* a new second: the memo is not asked */
    struct query q;
    query_start(&q, "a.test");
    ck_assert(q.waited);
    harness_settle();
    ck_assert_str_eq(q.reply, SECURE_A);
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 2);
    struct entry e;
    ck_assert(cached("a.test", &e));
    entry_clear(&e);
    harness_close();
}
END_TEST

Suite *refresh_suite(void);

Suite *refresh_suite(void)
{
    Suite *s = suite_create("refresh");
    TCase *tc = tcase_create("refresh");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_refresh_success);
    tcase_add_test(tc, test_refresh_four_domains);
    tcase_add_test(tc, test_refresh_failure_retry);
    tcase_add_test(tc, test_refresh_expiry);
    tcase_add_test(tc, test_refresh_jitter_bounds);
    tcase_add_test(tc, test_refresh_budget);
    tcase_add_test(tc, test_refresh_timer_queue_short_max_age);
    tcase_add_test(tc, test_refresh_sweep_interval);
    tcase_add_test(tc, test_sweep_deletes_expired);
    tcase_add_test(tc, test_cache_cut_refetch);
    suite_add_tcase(s, tc);
    return s;
}

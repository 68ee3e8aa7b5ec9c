/*
 * check_fetch - component tests of the fetch jobs and the queries that
 * wait for them (fetch.c, lookup.c, with cache.c, verdict.c and reply.c),
 * on the fake clock and the fake dns and https adapters (harness.h).
 *
 * One test per scenario of issue 11: coalescing, waiters leaving, the
 * query deadline against the TXT answer, an id change during a fetch, the
 * back-off per id, the queue cap and shedding, zone fairness, the job
 * deadline, and the RFC 8461 timing rules (max_age expiry, negative TTL,
 * recheck interval) to the second.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "harness.h"
#include "stats.h"

#define SECURE_A "OK secure match=mx.a.test servername=hostname"

/* N queries for one domain share one job: one TXT lookup, one address
 * lookup, one HTTPS fetch; every query gets the policy. */
START_TEST(test_coalescing)
{
    enum { N = 5 };
    struct query q[N];
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    fake_https_set(host_name("a.test"), HTTPS_OK, 200, policy_body("enforce", "mx.a.test", 86400),
                   FAKE_AFTER_TURNS(3));
    for (int i = 0; i < N; i++) {
        query_start(&q[i], i % 2 ? "A.TEST." : "a.test");
        ck_assert(q[i].waited);
    }
    ck_assert_uint_eq(fetch_active(H.fetch), 1);
    harness_settle();
    for (int i = 0; i < N; i++) {
        ck_assert(q[i].done);
        ck_assert_str_eq(q[i].reply, SECURE_A);
    }
    ck_assert_uint_eq(fake_dns_calls(FAKE_DNS_TXT, txt_name("a.test")), 1);
    ck_assert_uint_eq(fake_dns_calls(FAKE_DNS_ADDR, host_name("a.test")), 1);
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 1);
    ck_assert_str_eq(fake_https_last_addrs(host_name("a.test")), "192.0.2.1");
    ck_assert_uint_eq(stats.fetches[FETCH_OK], 1);
    ck_assert_uint_eq(stats.cache_misses, N);
    /* The next query is a hit, with no network work. */
    struct query hit;
    query_start(&hit, "a.test");
    ck_assert(hit.done && !hit.waited);
    ck_assert_str_eq(hit.reply, SECURE_A);
    ck_assert_uint_eq(fake_dns_calls_total(), 2);
    harness_close();
}
END_TEST

/* A job's waiters are answered first in, first out. */
START_TEST(test_waiters_fifo)
{
    enum { N = 4 };
    struct query q[N];
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    for (int i = 0; i < N; i++)
        query_start(&q[i], "a.test");
    harness_settle();
    for (int i = 0; i < N; i++) {
        ck_assert(q[i].done);
        ck_assert_int_eq(q[i].seq, i + 1);
    }
    harness_close();
}
END_TEST

/* A waiter that leaves mid-job (its client went away) is never called;
 * the job goes on, answers the others and stores the policy. */
START_TEST(test_waiter_leaves_mid_job)
{
    struct query q[3];
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    fake_https_set(host_name("a.test"), HTTPS_OK, 200, policy_body("enforce", "mx.a.test", 86400),
                   FAKE_HOLD);
    for (int i = 0; i < 3; i++)
        query_start(&q[i], "a.test");
    harness_settle(); /* TXT and address answered; HTTPS held */
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 1);
    query_cancel(&q[1]);
    ck_assert_uint_eq(lookup_pending(H.lookup), 2);
    fake_https_release(host_name("a.test"));
    harness_settle();
    ck_assert(q[0].done && q[2].done);
    ck_assert(!q[1].done);
    ck_assert_str_eq(q[0].reply, SECURE_A);
    ck_assert_str_eq(q[2].reply, SECURE_A);
    struct entry e;
    ck_assert(cached("a.test", &e));
    ck_assert_str_eq(e.id, "1");
    entry_clear(&e);
    ck_assert_uint_eq(fetch_active(H.fetch), 0);
    harness_close();
}
END_TEST

/* Every waiter leaves a running job: the job still ends and stores its
 * result for later queries. */
START_TEST(test_all_waiters_leave_running_job)
{
    struct query q;
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    fake_https_set(host_name("a.test"), HTTPS_OK, 200, policy_body("enforce", "mx.a.test", 86400),
                   FAKE_HOLD);
    query_start(&q, "a.test");
    harness_settle();
    query_cancel(&q);
    ck_assert(fetch_in_progress(H.fetch, "a.test"));
    fake_https_release(host_name("a.test"));
    harness_settle();
    ck_assert(!fetch_in_progress(H.fetch, "a.test"));
    struct query hit;
    query_start(&hit, "a.test");
    ck_assert(hit.done && !hit.waited);
    ck_assert_str_eq(hit.reply, SECURE_A);
    harness_close();
}
END_TEST

/* The last waiter of a queued job leaves: the job is dropped at once and
 * never asks DNS (fetches_abandoned). */
START_TEST(test_last_waiter_leaves_queued_job)
{
    struct query a, b1, b2;
    harness_set("max_fetches", "1");
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    world_policy("b.test", "1", "enforce", "mx.b.test", 86400);
    fake_dns_txt1(txt_name("a.test"), "v=STSv1; id=1", FAKE_HOLD);
    query_start(&a, "a.test");
    query_start(&b1, "b.test");
    query_start(&b2, "b.test");
    ck_assert_uint_eq(fetch_active(H.fetch), 1);
    ck_assert_uint_eq(fetch_queued(H.fetch), 1);
    query_cancel(&b1);
    ck_assert_uint_eq(fetch_queued(H.fetch), 1); /* b2 still waits */
    query_cancel(&b2);
    ck_assert_uint_eq(fetch_queued(H.fetch), 0);
    ck_assert(!fetch_in_progress(H.fetch, "b.test"));
    ck_assert_uint_eq(stats.fetches_abandoned, 1);
    fake_dns_release(FAKE_DNS_TXT, txt_name("a.test"));
    harness_settle();
    ck_assert(a.done);
    ck_assert_str_eq(a.reply, SECURE_A);
    ck_assert_uint_eq(fake_dns_calls(FAKE_DNS_TXT, txt_name("b.test")), 0);
    ck_assert(!b1.done && !b2.done);
    harness_close();
}
END_TEST

/* A waiter's callback that asks for the same domain again (the client
 * sends its next request at once) starts a new job: the finishing one is
 * already out of the table. */
static struct fetch_waiter *reenter_w;
static int reenter_calls;

static void reenter_second(void *arg, const struct fetch_result *r)
{
    (void)arg;
    (void)r;
    reenter_calls++;
}

static void reenter_first(void *arg, const struct fetch_result *r)
{
    (void)arg;
    ck_assert_int_eq(r->cls, FETCH_HTTP_STATUS);
    ck_assert(!fetch_in_progress(H.fetch, "a.test"));
    reenter_w = fetch_request(H.fetch, "a.test", false, reenter_second, NULL);
    ck_assert(fetch_in_progress(H.fetch, "a.test"));
    reenter_calls++;
}

START_TEST(test_waiter_callback_reenters)
{
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    fake_https_set(host_name("a.test"), HTTPS_ERR_STATUS, 404, NULL, FAKE_AT_ONCE);
    (void)fetch_request(H.fetch, "a.test", false, reenter_first, NULL);
    harness_settle();
    /* The second job met the back-off of id 1 and ended without HTTPS. */
    ck_assert_int_eq(reenter_calls, 2);
    ck_assert_uint_eq(fake_dns_calls(FAKE_DNS_TXT, txt_name("a.test")), 2);
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 1);
    ck_assert_uint_eq(stats.fetches[FETCH_BACKOFF], 1);
    harness_close();
}
END_TEST

/* The query deadline fires before the TXT answer: the query gets the "no
 * policy" answer (NOTFOUND; TEMP with dns_error = defer) at exactly
 * query_timeout, the job goes on, and its result serves later queries. */
static void deadline_before_txt(bool defer)
{
    struct query q;
    if (defer)
        harness_set("dns_error", "defer");
    harness_set("query_timeout", "10s");
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    fake_dns_txt1(txt_name("a.test"), "v=STSv1; id=1", FAKE_AFTER(10500));
    query_start(&q, "a.test");
    harness_advance(9999);
    ck_assert(!q.done);
    harness_advance(1);
    ck_assert(q.done);
    ck_assert_str_eq(q.reply, defer ? "TEMP MTA-STS DNS lookup timed out" : "NOTFOUND ");
    ck_assert_uint_eq(stats.query_timeouts, 1);
    ck_assert(fetch_in_progress(H.fetch, "a.test"));
    harness_advance(500); /* the TXT answer, then address and HTTPS */
    ck_assert(!fetch_in_progress(H.fetch, "a.test"));
    struct query hit;
    query_start(&hit, "a.test");
    ck_assert(hit.done && !hit.waited);
    ck_assert_str_eq(hit.reply, SECURE_A);
    harness_close();
}

START_TEST(test_deadline_before_txt)
{
    deadline_before_txt(false);
}
END_TEST

START_TEST(test_deadline_before_txt_defer)
{
    deadline_before_txt(true);
}
END_TEST

/* The TXT answer and the deadline at the same instant: the deadline
 * (armed first) answers; the TXT answer then drives the job on, and the
 * query is answered exactly once. */
START_TEST(test_deadline_with_txt)
{
    struct query q;
    harness_set("dns_error", "defer");
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    fake_dns_txt1(txt_name("a.test"), "v=STSv1; id=1", FAKE_AFTER(10000));
    query_start(&q, "a.test");
    harness_advance(10000);
    ck_assert(q.done);
    ck_assert_str_eq(q.reply, "TEMP MTA-STS DNS lookup timed out");
    ck_assert(!fetch_in_progress(H.fetch, "a.test"));
    ck_assert_uint_eq(stats.fetches[FETCH_OK], 1);
    harness_close();
}
END_TEST

/* The TXT answer comes first; the deadline fires while the policy is
 * being fetched: "no policy" (NOTFOUND even with dns_error = defer: DNS
 * answered), and the fetch goes on. */
START_TEST(test_deadline_after_txt)
{
    struct query q;
    harness_set("dns_error", "defer");
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    fake_dns_txt1(txt_name("a.test"), "v=STSv1; id=1", FAKE_AFTER(9999));
    fake_https_set(host_name("a.test"), HTTPS_OK, 200, policy_body("enforce", "mx.a.test", 86400),
                   FAKE_AFTER(5000));
    query_start(&q, "a.test");
    harness_advance(9999);
    ck_assert(!q.done);
    ck_assert(!fetch_dns_pending(H.fetch, "a.test"));
    harness_advance(1);
    ck_assert(q.done);
    ck_assert_str_eq(q.reply, "NOTFOUND ");
    harness_advance(5000);
    ck_assert_uint_eq(stats.fetches[FETCH_OK], 1);
    struct query hit;
    query_start(&hit, "a.test");
    ck_assert_str_eq(hit.reply, SECURE_A);
    harness_close();
}
END_TEST

/* The job ends before the deadline: its answer counts, the deadline is
 * gone (advancing past it answers nothing twice). */
START_TEST(test_deadline_after_answer)
{
    struct query q;
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    fake_https_set(host_name("a.test"), HTTPS_OK, 200, policy_body("enforce", "mx.a.test", 86400),
                   FAKE_AFTER(9999));
    query_start(&q, "a.test");
    harness_advance(9999);
    ck_assert(q.done);
    ck_assert_str_eq(q.reply, SECURE_A);
    harness_advance(60000);
    ck_assert_uint_eq(stats.query_timeouts, 0);
    harness_close();
}
END_TEST

/* The TXT id changes while the fetch of the old id runs: the job stores
 * the body it got under the id it saw (RFC 8461 section 3.3: the id
 * names the policy that was published when DNS was asked), a query in
 * between joins the running job, and the next revalidation after
 * recheck_interval sees the new id and fetches again. */
START_TEST(test_id_change_during_fetch)
{
    struct query q1, q2;
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    fake_https_set(host_name("a.test"), HTTPS_OK, 200, policy_body("enforce", "mx.a.test", 86400),
                   FAKE_HOLD);
    query_start(&q1, "a.test");
    harness_settle();
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 1);
    /* The domain publishes id 2 with another mx while the fetch waits. */
    fake_dns_txt1(txt_name("a.test"), "v=STSv1; id=2", FAKE_AT_ONCE);
    fake_https_set(host_name("a.test"), HTTPS_OK, 200, policy_body("enforce", "mx2.a.test", 86400),
                   FAKE_HOLD);
    query_start(&q2, "a.test");
    ck_assert(q2.waited);
    fake_https_release(host_name("a.test"));
    harness_settle();
    ck_assert_str_eq(q1.reply, "OK secure match=mx2.a.test servername=hostname");
    ck_assert_str_eq(q2.reply, q1.reply);
    ck_assert_uint_eq(fake_dns_calls(FAKE_DNS_TXT, txt_name("a.test")), 1);
    struct entry e;
    ck_assert(cached("a.test", &e));
    ck_assert_str_eq(e.id, "1");
    entry_clear(&e);
    /* Before recheck_interval (5 min) nothing asks DNS again. */
    fake_https_policy(host_name("a.test"), policy_body("enforce", "mx2.a.test", 86400));
    harness_advance(299 * 1000);
    ck_assert_str_eq(query_now("a.test", 0), "OK secure match=mx2.a.test servername=hostname");
    harness_settle();
    ck_assert_uint_eq(fake_dns_calls(FAKE_DNS_TXT, txt_name("a.test")), 1);
    /* At recheck_interval a query revalidates in the background. */
    harness_advance(1000);
    ck_assert_str_eq(query_now("a.test", 0), "OK secure match=mx2.a.test servername=hostname");
    harness_settle();
    ck_assert_uint_eq(fake_dns_calls(FAKE_DNS_TXT, txt_name("a.test")), 2);
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 2);
    ck_assert(cached("a.test", &e));
    ck_assert_str_eq(e.id, "2");
    entry_clear(&e);
    harness_close();
}
END_TEST

/* A fetch of id 1 failed: id 1 is not fetched again for 5 minutes (to the
 * second), while a new id 2 is fetched at once. */
START_TEST(test_backoff_per_id)
{
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    fake_https_set(host_name("a.test"), HTTPS_ERR_STATUS, 404, NULL, FAKE_AT_ONCE);
    ck_assert_str_eq(query_now("a.test", 1000), "NOTFOUND ");
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 1);
    ck_assert_uint_eq(stats.fetches[FETCH_HTTP_STATUS], 1);
    fake_https_policy(host_name("a.test"), policy_body("enforce", "mx.a.test", 86400));
    /* 299 s later: still held back (each query asks DNS, fetches nothing). */
    harness_advance(299 * 1000);
    ck_assert_str_eq(query_now("a.test", 1000), "NOTFOUND ");
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 1);
    ck_assert_uint_eq(stats.fetches[FETCH_BACKOFF], 1);
    /* 300 s after the failure: fetched again. */
    harness_advance(1000 - 1); /* query_now above spent a settle, no time */
    harness_advance(1);
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 2);
    harness_close();
}
END_TEST

START_TEST(test_backoff_new_id_at_once)
{
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    fake_https_set(host_name("a.test"), HTTPS_ERR_STATUS, 500, NULL, FAKE_AT_ONCE);
    ck_assert_str_eq(query_now("a.test", 1000), "NOTFOUND ");
    harness_advance(10 * 1000);
    world_policy("a.test", "2", "enforce", "mx.a.test", 86400);
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 2);
    ck_assert_uint_eq(stats.fetches[FETCH_BACKOFF], 0);
    harness_close();
}
END_TEST

/* No record: NOTFOUND, and no DNS lookup until negative_ttl has passed,
 * to the second. */
START_TEST(test_negative_ttl)
{
    harness_set("negative_ttl", "30m");
    harness_open(0);
    fake_dns_txt(txt_name("n.test"), DNS_NODATA, NULL, FAKE_AT_ONCE);
    ck_assert_str_eq(query_now("n.test", 1000), "NOTFOUND ");
    ck_assert_uint_eq(fake_dns_calls(FAKE_DNS_TXT, txt_name("n.test")), 1);
    harness_advance(1800 * 1000 - 1000);
    struct query q;
    query_start(&q, "n.test");
    ck_assert(q.done && !q.waited);
    ck_assert_str_eq(q.reply, "NOTFOUND ");
    ck_assert_uint_eq(fake_dns_calls(FAKE_DNS_TXT, txt_name("n.test")), 1);
    harness_advance(1000);
    ck_assert_str_eq(query_now("n.test", 1000), "NOTFOUND ");
    ck_assert_uint_eq(fake_dns_calls(FAKE_DNS_TXT, txt_name("n.test")), 2);
    harness_close();
}
END_TEST

/* A cached policy is served until max_age has passed and not a second
 * longer.  (A query in the second half of max_age also starts its
 * refresh; held here, so the expiry itself is seen: the query after it
 * waits, joining that job.) */
START_TEST(test_max_age_expiry)
{
    harness_set("recheck_interval", "1d");
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test", 3600);
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    fake_https_set(host_name("a.test"), HTTPS_OK, 200, policy_body("enforce", "mx9.a.test", 3600),
                   FAKE_HOLD);
    harness_advance(3599 * 1000);
    struct query q;
    query_start(&q, "a.test");
    ck_assert(q.done);
    ck_assert_str_eq(q.reply, SECURE_A);
    harness_settle();
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 2); /* the refresh, held */
    harness_advance(1000);
    query_start(&q, "a.test");
    ck_assert(q.waited);
    fake_https_release(host_name("a.test"));
    harness_settle();
    ck_assert_str_eq(q.reply, "OK secure match=mx9.a.test servername=hostname");
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 2);
    harness_close();
}
END_TEST

/* recheck_interval: no background TXT check before it, one at it; an
 * unchanged id fetches nothing and renews the check time. */
START_TEST(test_recheck_interval)
{
    harness_set("recheck_interval", "5m");
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    harness_advance(299 * 1000);
    ck_assert_str_eq(query_now("a.test", 0), SECURE_A);
    harness_settle();
    ck_assert_uint_eq(fake_dns_calls(FAKE_DNS_TXT, txt_name("a.test")), 1);
    harness_advance(1000);
    ck_assert_str_eq(query_now("a.test", 0), SECURE_A);
    harness_settle();
    ck_assert_uint_eq(fake_dns_calls(FAKE_DNS_TXT, txt_name("a.test")), 2);
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 1);
    ck_assert_uint_eq(stats.fetches[FETCH_UNCHANGED], 1);
    struct entry e;
    ck_assert(cached("a.test", &e));
    ck_assert_int_eq(e.checked_at, harness_now());
    entry_clear(&e);
    harness_close();
}
END_TEST

/* The job deadline (6 x dns_timeout + https_timeout + 2 s) ends a job
 * whatever it waits on: in the TXT lookup (DNS tempfail, the lookup
 * cancelled) and in the HTTPS fetch (timeout, the transfer cancelled). */
START_TEST(test_job_deadline_txt)
{
    harness_set("dns_timeout", "5s");
    harness_set("https_timeout", "30s");
    harness_open(0);
    fake_dns_txt1(txt_name("a.test"), "v=STSv1; id=1", FAKE_HOLD);
    ck_assert(fetch_request(H.fetch, "a.test", false, NULL, NULL) == NULL);
    harness_advance(61999);
    ck_assert(fetch_in_progress(H.fetch, "a.test"));
    harness_advance(1);
    ck_assert(!fetch_in_progress(H.fetch, "a.test"));
    ck_assert_uint_eq(stats.fetches[FETCH_DNS_TEMPFAIL], 1);
    ck_assert_uint_eq(fake_dns_cancels(), 1);
    ck_assert_uint_eq(fake_dns_outstanding(), 0);
    harness_close();
}
END_TEST

START_TEST(test_job_deadline_https)
{
    harness_set("dns_timeout", "2s");
    harness_set("https_timeout", "10s");
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    fake_https_set(host_name("a.test"), HTTPS_OK, 200, "", FAKE_HOLD);
    (void)fetch_request(H.fetch, "a.test", false, NULL, NULL);
    harness_advance(23999);
    ck_assert(fetch_in_progress(H.fetch, "a.test"));
    harness_advance(1);
    ck_assert(!fetch_in_progress(H.fetch, "a.test"));
    ck_assert_uint_eq(stats.fetches[FETCH_TIMEOUT], 1);
    ck_assert_uint_eq(fake_https_cancels(), 1);
    struct entry e;
    ck_assert(cached("a.test", &e));
    ck_assert_str_eq(e.fail_id, "1");
    ck_assert_int_eq(e.fail_class, FETCH_TIMEOUT);
    entry_clear(&e);
    harness_close();
}
END_TEST

/* More queued jobs than max_queued_fetches: the oldest job of the zone
 * with the most queued ones is shed, its query answered on the next loop
 * turn as without a policy (TEMP with dns_error = defer). */
START_TEST(test_queue_cap_shedding)
{
    struct query run, q[4];
    harness_set("max_fetches", "1");
    harness_set("max_queued_fetches", "3");
    harness_set("dns_error", "defer");
    harness_open(0);
    fake_dns_txt1(txt_name("run.test"), "v=STSv1; id=1", FAKE_HOLD);
    query_start(&run, "run.test");
    query_start(&q[0], "x1.flood.test");
    query_start(&q[1], "other.test");
    query_start(&q[2], "x2.flood.test");
    ck_assert_uint_eq(fetch_queued(H.fetch), 3);
    ck_assert_uint_eq(stats.fetches_shed, 0);
    query_start(&q[3], "x3.flood.test");
    ck_assert_uint_eq(fetch_queued(H.fetch), 3);
    ck_assert_uint_eq(stats.fetches_shed, 1);
    ck_assert(!q[0].done); /* never from inside fetch_request() */
    harness_turns(1);
    ck_assert(q[0].done);
    ck_assert_str_eq(q[0].reply, "TEMP MTA-STS DNS lookup failed");
    ck_assert(!fetch_in_progress(H.fetch, "x1.flood.test"));
    ck_assert(fetch_in_progress(H.fetch, "x2.flood.test"));
    ck_assert(!q[1].done && !q[2].done && !q[3].done);
    harness_close();
}
END_TEST

/* Zone fairness: however many names of one zone hang, a domain of
 * another zone finds a slot at once (a quarter of max_fetches is kept
 * for zones that have nothing running). */
START_TEST(test_zone_fairness)
{
    struct query flood[20], other;
    char name[64];
    harness_set("max_fetches", "4");
    harness_open(0);
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "x%d.flood.test", i);
        fake_dns_txt1(txt_name(name), "v=STSv1; id=1", FAKE_HOLD);
        query_start(&flood[i], name);
    }
    ck_assert_uint_eq(fetch_active(H.fetch), 3); /* 4 - the reserve of 1 */
    world_policy("b.test", "1", "enforce", "mx.b.test", 86400);
    query_start(&other, "b.test");
    ck_assert_uint_eq(fetch_active(H.fetch), 4);
    ck_assert_uint_eq(fake_dns_calls(FAKE_DNS_TXT, txt_name("b.test")), 1);
    harness_settle();
    ck_assert(other.done);
    ck_assert_str_eq(other.reply, "OK secure match=mx.b.test servername=hostname");
    harness_advance(10000);
    for (int i = 0; i < 20; i++)
        ck_assert_str_eq(flood[i].reply, "NOTFOUND ");
    harness_close();
}
END_TEST

/* dns_error: a DNS failure with nothing cached answers NOTFOUND by
 * default, TEMP with defer; nothing is cached either way. */
START_TEST(test_dns_tempfail)
{
    harness_open(0);
    fake_dns_txt(txt_name("t.test"), DNS_TEMPFAIL, NULL, FAKE_AT_ONCE);
    ck_assert_str_eq(query_now("t.test", 1000), "NOTFOUND ");
    harness_set("dns_error", "defer");
    harness_reconfigure();
    ck_assert_str_eq(query_now("t.test", 1000), "TEMP MTA-STS DNS lookup failed");
    struct entry e;
    ck_assert(!cached("t.test", &e));
    ck_assert_uint_eq(fake_dns_calls(FAKE_DNS_TXT, txt_name("t.test")), 2);
    harness_close();
}
END_TEST

/* Any failure while a valid policy is cached answers from the policy. */
START_TEST(test_failure_keeps_cached_policy)
{
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    fake_dns_txt1(txt_name("a.test"), "v=STSv1; id=2", FAKE_AT_ONCE);
    fake_https_set(host_name("a.test"), HTTPS_ERR_CERT, 0, NULL, FAKE_AT_ONCE);
    harness_advance(300 * 1000);
    ck_assert_str_eq(query_now("a.test", 0), SECURE_A);
    harness_settle();
    ck_assert_uint_eq(stats.fetches[FETCH_CERT], 1);
    fake_dns_txt(txt_name("a.test"), DNS_TEMPFAIL, NULL, FAKE_AT_ONCE);
    harness_advance(300 * 1000);
    ck_assert_str_eq(query_now("a.test", 0), SECURE_A);
    harness_settle();
    ck_assert_str_eq(query_now("a.test", 0), SECURE_A);
    harness_close();
}
END_TEST

/* When a slot frees, the zones with queued jobs take turns (round robin),
 * first come first served within a zone. */
START_TEST(test_queue_zones_take_turns)
{
    struct query run, q[4];
    static const char *const doms[] = {"x1.z1.test", "x2.z1.test", "y1.z2.test", "x3.z1.test"};
    harness_set("max_fetches", "1");
    harness_open(0);
    fake_dns_txt1(txt_name("run.test"), "v=STSv1; id=1", FAKE_HOLD);
    query_start(&run, "run.test");
    for (int i = 0; i < 4; i++) {
        fake_dns_txt1(txt_name(doms[i]), "v=STSv1; id=1", FAKE_HOLD);
        query_start(&q[i], doms[i]);
    }
    ck_assert_uint_eq(fetch_queued(H.fetch), 4);
    /* Each release ends one job; the next to start shows by its TXT lookup. */
    const char *order[] = {"x1.z1.test", "y1.z2.test", "x2.z1.test", "x3.z1.test"};
    const char *prev = "run.test";
    for (int k = 0; k < 4; k++) {
        fake_dns_txt(txt_name(prev), DNS_NODATA, NULL, FAKE_AT_ONCE);
        fake_dns_release(FAKE_DNS_TXT, txt_name(prev));
        harness_settle();
        for (int i = 0; i < 4; i++) {
            bool asked = fake_dns_calls(FAKE_DNS_TXT, txt_name(doms[i])) == 1;
            bool should = false;
            for (int m = 0; m <= k; m++)
                should |= strcmp(order[m], doms[i]) == 0;
            ck_assert_msg(asked == should, "after %d releases: %s asked %d", k + 1, doms[i], asked);
        }
        prev = order[k];
    }
    harness_close();
}
END_TEST

/* Hundreds of jobs and zones at once: the tables grow, every query is
 * answered. */
START_TEST(test_many_jobs)
{
    enum { N = 300 };
    static struct query q[N];
    char name[64];
    harness_set("max_fetches", "512");
    harness_open(0);
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "d%d.z%d.test", i, i);
        world_policy(name, "1", "enforce", "mx.test", 86400);
        fake_dns_txt1(txt_name(name), "v=STSv1; id=1", FAKE_AFTER_TURNS(2));
        query_start(&q[i], name);
    }
    ck_assert_uint_eq(fetch_active(H.fetch), N);
    harness_settle();
    for (int i = 0; i < N; i++)
        ck_assert_str_eq(q[i].reply, "OK secure match=mx.test servername=hostname");
    ck_assert_uint_eq(fetch_active(H.fetch), 0);
    harness_close();
}
END_TEST

/* An operator's refresh ("mtastsd-ctl refresh") fetches even an id that
 * failed within the back-off; a query's job it joins is upgraded too. */
static int operator_calls;
static enum fetch_class operator_cls;

static void operator_cb(void *arg, const struct fetch_result *r)
{
    (void)arg;
    operator_calls++;
    operator_cls = r->cls;
}

START_TEST(test_operator_refresh_ignores_backoff)
{
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    fake_https_set(host_name("a.test"), HTTPS_ERR_CONNECT, 0, NULL, FAKE_AT_ONCE);
    ck_assert_str_eq(query_now("a.test", 1000), "NOTFOUND ");
    fake_https_policy(host_name("a.test"), policy_body("enforce", "mx.a.test", 86400));
    harness_advance(10 * 1000);
    ck_assert_str_eq(query_now("a.test", 1000), "NOTFOUND "); /* back-off */
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 1);
    (void)fetch_request_operator(H.fetch, "a.test", operator_cb, NULL);
    harness_settle();
    ck_assert_int_eq(operator_calls, 1);
    ck_assert_int_eq(operator_cls, FETCH_OK);
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 2);
    ck_assert_str_eq(query_now("a.test", 0), SECURE_A);
    harness_close();
}
END_TEST

/* A refresh that joins a query's job (still at its TXT step) makes it a
 * refresh: it fetches whatever the TXT record says. */
START_TEST(test_refresh_joins_query_job)
{
    harness_set("recheck_interval", "0");
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    harness_advance(1000);
    fake_dns_txt1(txt_name("a.test"), "v=STSv1; id=1", FAKE_HOLD);
    ck_assert_str_eq(query_now("a.test", 0), SECURE_A); /* revalidation job: TXT held */
    ck_assert(fetch_in_progress(H.fetch, "a.test"));
    (void)fetch_request(H.fetch, "a.test", true, NULL, NULL);
    fake_dns_release(FAKE_DNS_TXT, txt_name("a.test"));
    harness_settle();
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 2); /* fetched: a refresh */
    ck_assert_uint_eq(stats.refresh_ok, 1);
    harness_close();
}
END_TEST

/* Each way a fetch can fail is recorded under its class, the failed id
 * noted, and the query answered as without a policy. */
static const struct {
    const char *what;
    enum dns_status addr;
    enum https_status st;
    long code;
    const char *body;
    enum fetch_class cls;
} fail_rows[] = {
    {"no address", DNS_NODATA, HTTPS_OK, 200, "", FETCH_NO_ADDRESS},
    {"address lookup fails", DNS_TEMPFAIL, HTTPS_OK, 200, "", FETCH_NO_ADDRESS},
    {"connect", DNS_OK, HTTPS_ERR_CONNECT, 0, NULL, FETCH_CONNECT},
    {"tls", DNS_OK, HTTPS_ERR_TLS, 0, NULL, FETCH_TLS},
    {"certificate", DNS_OK, HTTPS_ERR_CERT, 0, NULL, FETCH_CERT},
    {"redirect", DNS_OK, HTTPS_ERR_REDIRECT, 301, NULL, FETCH_REDIRECT},
    {"status", DNS_OK, HTTPS_ERR_STATUS, 500, NULL, FETCH_HTTP_STATUS},
    {"media type", DNS_OK, HTTPS_ERR_MEDIA_TYPE, 200, NULL, FETCH_MEDIA_TYPE},
    {"too large", DNS_OK, HTTPS_ERR_TOO_LARGE, 200, NULL, FETCH_TOO_LARGE},
    {"timeout", DNS_OK, HTTPS_ERR_TIMEOUT, 0, NULL, FETCH_TIMEOUT},
    {"other", DNS_OK, HTTPS_ERR_OTHER, 0, NULL, FETCH_HTTPS_OTHER},
    {"invalid policy", DNS_OK, HTTPS_OK, 200, "version: STSv1\nmode: enforce\n", FETCH_PARSE},
};

START_TEST(test_fetch_failure_classes)
{
    harness_open(0);
    world_policy("a.test", "7", "enforce", "mx.a.test", 86400);
    static const char *const addr[] = {"192.0.2.1", NULL};
    fake_dns_addr(host_name("a.test"), fail_rows[_i].addr,
                  fail_rows[_i].addr == DNS_OK ? addr : NULL, FAKE_AT_ONCE);
    fake_https_set(host_name("a.test"), fail_rows[_i].st, fail_rows[_i].code, fail_rows[_i].body,
                   FAKE_AT_ONCE);
    ck_assert_str_eq(query_now("a.test", 1000), "NOTFOUND ");
    ck_assert_uint_eq(stats.fetches[fail_rows[_i].cls], 1);
    struct entry e;
    ck_assert(cached("a.test", &e));
    ck_assert_str_eq(e.fail_id, "7");
    ck_assert_int_eq(e.fail_class, fail_rows[_i].cls);
    ck_assert_ptr_null(e.policy);
    entry_clear(&e);
    char line[64];
    snprintf(line, sizeof(line), "fetch a.test: %s", fetch_class_name(fail_rows[_i].cls));
    ck_assert_uint_eq(harness_log_count(line), 1);
    harness_close();
}
END_TEST

/* TXT answers that publish no usable policy: nothing, several v=STSv1
 * records, an invalid one -> a negative entry (no HTTPS). */
START_TEST(test_txt_without_policy)
{
    static const char *const several[] = {"v=STSv1; id=1", "v=STSv1; id=2", NULL};
    static const char *const invalid[] = {"v=STSv1; id=", NULL};
    static const char *const other[] = {"v=spf1 -all", NULL};
    harness_open(0);
    fake_dns_txt(txt_name("m.test"), DNS_OK, several, FAKE_AT_ONCE);
    fake_dns_txt(txt_name("i.test"), DNS_OK, invalid, FAKE_AT_ONCE);
    fake_dns_txt(txt_name("o.test"), DNS_OK, other, FAKE_AT_ONCE);
    ck_assert_str_eq(query_now("m.test", 1000), "NOTFOUND ");
    ck_assert_str_eq(query_now("i.test", 1000), "NOTFOUND ");
    ck_assert_str_eq(query_now("o.test", 1000), "NOTFOUND ");
    ck_assert_uint_eq(stats.fetches[FETCH_NO_RECORD], 3);
    struct entry e;
    ck_assert(cached("m.test", &e));
    ck_assert_int_gt(e.negative_until, harness_now());
    entry_clear(&e);
    harness_close();
}
END_TEST

/* Refreshes that keep failing while the policy is valid: a warning from
 * the second failure on (RFC 8461 section 10.2), fail_count counted. */
START_TEST(test_refresh_failures_warn)
{
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    fake_https_set(host_name("a.test"), HTTPS_ERR_CONNECT, 0, NULL, FAKE_AT_ONCE);
    for (int k = 0; k < 2; k++) {
        (void)fetch_request(H.fetch, "a.test", true, NULL, NULL);
        harness_settle();
        harness_advance(300 * 1000); /* past the back-off */
    }
    struct entry e;
    ck_assert(cached("a.test", &e));
    ck_assert_uint_eq(e.fail_count, 2);
    entry_clear(&e);
    ck_assert_uint_eq(harness_log_count("refresh a.test: 2 refreshes in a row failed"), 1);
    ck_assert_uint_eq(stats.refresh_failed, 2);
    harness_close();
}
END_TEST

Suite *fetch_suite(void);

Suite *fetch_suite(void)
{
    Suite *s = suite_create("fetch");
    TCase *tc = tcase_create("jobs");
    tcase_add_test(tc, test_coalescing);
    tcase_add_test(tc, test_waiters_fifo);
    tcase_add_test(tc, test_waiter_leaves_mid_job);
    tcase_add_test(tc, test_all_waiters_leave_running_job);
    tcase_add_test(tc, test_last_waiter_leaves_queued_job);
    tcase_add_test(tc, test_waiter_callback_reenters);
    tcase_add_test(tc, test_deadline_before_txt);
    tcase_add_test(tc, test_deadline_before_txt_defer);
    tcase_add_test(tc, test_deadline_with_txt);
    tcase_add_test(tc, test_deadline_after_txt);
    tcase_add_test(tc, test_deadline_after_answer);
    tcase_add_test(tc, test_id_change_during_fetch);
    tcase_add_test(tc, test_backoff_per_id);
    tcase_add_test(tc, test_backoff_new_id_at_once);
    tcase_add_test(tc, test_negative_ttl);
    tcase_add_test(tc, test_max_age_expiry);
    tcase_add_test(tc, test_recheck_interval);
    tcase_add_test(tc, test_job_deadline_txt);
    tcase_add_test(tc, test_job_deadline_https);
    tcase_add_test(tc, test_queue_cap_shedding);
    tcase_add_test(tc, test_zone_fairness);
    tcase_add_test(tc, test_dns_tempfail);
    tcase_add_test(tc, test_failure_keeps_cached_policy);
    tcase_add_test(tc, test_queue_zones_take_turns);
    tcase_add_test(tc, test_many_jobs);
    tcase_add_test(tc, test_operator_refresh_ignores_backoff);
    tcase_add_test(tc, test_refresh_joins_query_job);
    tcase_add_loop_test(tc, test_fetch_failure_classes, 0,
                        (int)(sizeof(fail_rows) / sizeof(fail_rows[0])));
    tcase_add_test(tc, test_txt_without_policy);
    tcase_add_test(tc, test_refresh_failures_warn);
    suite_add_tcase(s, tc);
    return s;
}

/*
 * check_metrics - component tests of what the metrics (issue 13) count in
 * the core, on the fake clock and adapters (harness.h): query and fetch
 * durations measured on clock.h's monotonic clock; the cache census
 * gauges kept by every write; the downgrade hooks in fetch.c; the metrics
 * endpoint (httpd.c) on the fake clock: its whole-request deadline and its
 * shedding at HTTPD_CONNECTIONS_MAX.
 */
#include "autoconfig.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "hist.h"
#include "httpd.h"
#include "listener.h"
#include "stats.h"

#define MS 1000000ULL /* ns */

/* Observations of h at or below `bound` ns. */
static uint64_t hist_le(const struct hist *h, uint64_t bound)
{
    for (size_t i = 0; i < h->n; i++)
        if (h->bounds[i] == bound)
            return hist_cumulative(h, i);
    ck_abort_msg("no bucket bound %llu", (unsigned long long)bound);
    return 0;
}

/* A socketmap query that waits 250 ms of fake time for its fetch is
 * timed at exactly 250 ms, and so is the fetch job: every duration is
 * read through clock.h, so the fake clock times them. */
START_TEST(test_durations_on_the_fake_clock)
{
    char r[2][128];
    harness_open(HARNESS_SMAP);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    fake_https_set(host_name("a.test"), HTTPS_OK, 200, policy_body("enforce", "mx.a.test", 86400),
                   FAKE_AFTER(250));
    int fd = client_connect();
    client_send(fd, "mtasts a.test");
    harness_advance(249);
    ck_assert_uint_eq(client_read(fd, r, 2), 0);
    harness_advance(1);
    ck_assert_uint_eq(client_read(fd, r, 2), 1);
    ck_assert_str_eq(r[0], "OK secure match=mx.a.test servername=hostname");
    ck_assert_uint_eq(stats.query_duration.count, 1);
    ck_assert_uint_eq(stats.query_duration.sum, 250 * MS);
    ck_assert_uint_eq(hist_le(&stats.query_duration, 100 * MS), 0);
    ck_assert_uint_eq(hist_le(&stats.query_duration, 250 * MS), 1);
    ck_assert_uint_eq(stats.fetch_duration.count, 1);
    ck_assert_uint_eq(stats.fetch_duration.sum, 250 * MS);

    /* From the cache, with no fake time passing: 0 ns, the first bucket. */
    harness_advance(1000); /* past the memo's second */
    client_send(fd, "mtasts a.test");
    harness_settle();
    ck_assert_uint_eq(client_read(fd, r, 2), 1);
    ck_assert_uint_eq(stats.query_duration.count, 2);
    ck_assert_uint_eq(stats.query_duration.sum, 250 * MS);
    ck_assert_uint_eq(hist_cumulative(&stats.query_duration, 0), 1);
    close(fd);
    harness_close();
}
END_TEST

static int64_t refresh_at(const char *domain)
{
    struct entry e;
    ck_assert_msg(cached(domain, &e), "%s not cached", domain);
    int64_t v = e.refresh_at;
    entry_clear(&e);
    return v;
}

/* Advance fake time so that the wall clock reads t. */
static void advance_to(int64_t t)
{
    int64_t now = harness_now();
    ck_assert_int_ge(t, now);
    harness_advance((t - now) * 1000);
}

static struct cache_census census(void)
{
    struct cache_census c;
    cache_census(H.cache, &c);
    return c;
}

/* The census gauges follow every write, without a walk: policies by
 * mode, negative entries, refreshes failing twice in a row; a refresh
 * that changes a policy's mode moves it from one count to the other. */
START_TEST(test_census_follows_writes)
{
    harness_open(HARNESS_REFRESH);
    ck_assert(cache_census_step(H.cache, 1024));               /* an empty file: complete at once */
    world_policy("e.test", "1", "enforce", "mx.e.test", 3600); /* retried before expiry */
    world_policy("t.test", "1", "testing", "mx.t.test", 120);
    fake_dns_txt(txt_name("n.test"), DNS_NODATA, NULL, FAKE_AT_ONCE);
    query_now("e.test", 1000);
    query_now("t.test", 1000);
    query_now("n.test", 1000);
    struct cache_census c = census();
    ck_assert(c.complete);
    ck_assert_uint_eq(c.policies[STS_MODE_ENFORCE], 1);
    ck_assert_uint_eq(c.policies[STS_MODE_TESTING], 1);
    ck_assert_uint_eq(c.policies[STS_MODE_NONE], 0);
    ck_assert_uint_eq(c.negative, 1);
    ck_assert_uint_eq(c.failing, 0);

    /* t.test turns enforce at its refresh; e.test's refreshes fail. */
    fake_dns_txt1(txt_name("t.test"), "v=STSv1; id=2", FAKE_AT_ONCE);
    fake_https_policy(host_name("t.test"), policy_body("enforce", "mx.t.test", 3600));
    fake_https_set(host_name("e.test"), HTTPS_ERR_STATUS, 503, NULL, FAKE_AT_ONCE);
    int64_t at =
        refresh_at("e.test") > refresh_at("t.test") ? refresh_at("e.test") : refresh_at("t.test");
    advance_to(at);
    c = census();
    ck_assert_uint_eq(c.policies[STS_MODE_ENFORCE], 2);
    ck_assert_uint_eq(c.policies[STS_MODE_TESTING], 0);
    ck_assert_uint_eq(c.failing, 0);  /* one failure is not yet "failing" */
    advance_to(refresh_at("e.test")); /* the retry, fail_backoff later */
    ck_assert_uint_ge(stats.refresh_failed, 2);
    c = census();
    ck_assert_uint_eq(c.failing, 1);
    ck_assert_uint_eq(c.policies[STS_MODE_ENFORCE], 2);
    ck_assert_uint_eq(c.negative, 1);
    harness_close();
}
END_TEST

/* fetch.c's downgrade hooks: at their refresh, a.test's mode goes from
 * enforce to testing, b.test loses an mx pattern, c.test's TXT record
 * disappears; d.test changes id with the same policy (no downgrade).
 * Each kind is counted once and logged as a warning naming the domain. */
START_TEST(test_downgrade_hooks)
{
    harness_open(HARNESS_REFRESH);
    world_policy("a.test", "1", "enforce", "mx.a.test", 120);
    world_policy("b.test", "1", "enforce", "mx1.b.test mx2.b.test", 120);
    world_policy("c.test", "1", "enforce", "mx.c.test", 3600);
    world_policy("d.test", "1", "enforce", "mx.d.test", 120);
    const char *dom[] = {"a.test", "b.test", "c.test", "d.test"};
    int64_t at = 0;
    for (size_t i = 0; i < 4; i++) {
        query_now(dom[i], 1000);
        if (refresh_at(dom[i]) > at)
            at = refresh_at(dom[i]);
    }
    for (unsigned k = 0; k < STATS_DOWNGRADE__COUNT; k++)
        ck_assert_uint_eq(stats.downgrades[k], 0);
    fake_dns_txt1(txt_name("a.test"), "v=STSv1; id=2", FAKE_AT_ONCE);
    fake_https_policy(host_name("a.test"), policy_body("testing", "mx.a.test", 120));
    fake_dns_txt1(txt_name("b.test"), "v=STSv1; id=2", FAKE_AT_ONCE);
    fake_https_policy(host_name("b.test"), policy_body("enforce", "mx1.b.test", 120));
    fake_dns_txt(txt_name("c.test"), DNS_NODATA, NULL, FAKE_AT_ONCE);
    fake_https_set(host_name("c.test"), HTTPS_ERR_STATUS, 503, NULL, FAKE_AT_ONCE);
    fake_dns_txt1(txt_name("d.test"), "v=STSv1; id=2", FAKE_AT_ONCE);
    advance_to(at);
    ck_assert_uint_eq(stats.downgrades[STATS_DOWNGRADE_MODE], 1);
    ck_assert_uint_eq(stats.downgrades[STATS_DOWNGRADE_MX], 1);
    ck_assert_uint_eq(stats.downgrades[STATS_DOWNGRADE_RECORD_GONE], 1);
    ck_assert_uint_eq(harness_log_count("downgrade a.test (mode)"), 1);
    ck_assert_uint_eq(harness_log_count("downgrade b.test (mx)"), 1);
    ck_assert_uint_eq(harness_log_count("downgrade c.test (record_gone)"), 1);
    ck_assert_uint_eq(harness_log_count("downgrade d.test"), 0);
    /* record_gone is reported once per cached policy, not at each retry
     * (c.test's policy URL fails too: the same policy stays in force) */
    uint64_t failed = stats.refresh_failed;
    advance_to(refresh_at("c.test"));
    ck_assert_uint_gt(stats.refresh_failed, failed);
    ck_assert_uint_eq(stats.downgrades[STATS_DOWNGRADE_RECORD_GONE], 1);
    ck_assert_uint_eq(harness_log_count("downgrade c.test (record_gone)"), 1);
    harness_close();
}
END_TEST

/* The metrics endpoint on the fake clock: a render callback that counts. */
static unsigned renders;
static char *render(void *arg, size_t *len)
{
    (void)arg;
    renders++;
    char *b = strdup("x 1\n");
    *len = strlen(b);
    return b;
}

static struct httpd *httpd_open(void)
{
    struct httpd_params hp = {.request_timeout = 10};
    return httpd_new(H.base, &hp, render, NULL);
}

/* One end of a socketpair handed to httpd_accept(); the other returned. */
static int http_connect(struct httpd *h)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    ck_assert(httpd_accept(h, sv[0]));
    harness_settle();
    return sv[1];
}

/* Read what has arrived; true if the server has closed (EOF). */
static bool http_read(int fd, char *buf, size_t bufsz)
{
    size_t len = strlen(buf);
    for (;;) {
        ssize_t n = recv(fd, buf + len, bufsz - 1 - len, MSG_DONTWAIT);
        if (n > 0) {
            len += (size_t)n;
            buf[len] = '\0';
            continue;
        }
        return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    }
}

/* A client that drips its request is closed at request_timeout (10 s)
 * from its connection, to the millisecond, whatever it sends; a complete
 * request on another connection is answered. */
START_TEST(test_httpd_deadline)
{
    char buf[4096] = "";
    harness_open(0);
    struct httpd *h = httpd_open();
    int slow = http_connect(h);
    for (int i = 0; i < 9; i++) {
        ck_assert_int_eq(send(slow, "G", 1, 0), 1);
        harness_advance(1000);
    }
    harness_advance(999);
    ck_assert(!http_read(slow, buf, sizeof(buf)));
    ck_assert_uint_eq(stats.metrics_slow, 0);
    harness_advance(1);
    ck_assert(http_read(slow, buf, sizeof(buf)));
    ck_assert_str_eq(buf, ""); /* closed without an answer */
    ck_assert_uint_eq(stats.metrics_slow, 1);
    ck_assert_uint_eq(harness_log_count("request not done 10 s after connecting"), 1);
    ck_assert_uint_eq(httpd_connections(h), 0);

    int fast = http_connect(h);
    const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    ck_assert_int_eq(send(fast, req, sizeof(req) - 1, 0), (ssize_t)sizeof(req) - 1);
    harness_settle();
    shutdown(fast, SHUT_WR);
    harness_settle();
    ck_assert(http_read(fast, buf, sizeof(buf)));
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "\r\n\r\nx 1\n"));
    ck_assert_uint_eq(stats.metrics_requests[STATS_HTTP_200], 1);
    ck_assert_uint_eq(renders, 1);
    close(slow);
    close(fast);
    httpd_free(h);
    harness_close();
}
END_TEST

/* At HTTPD_CONNECTIONS_MAX, a newcomer replaces the connection that has
 * held its slot longest with part of a request, once it has done so for
 * HTTPD_SHED_MIN_AGE_MS; before that, the newcomer is refused. */
START_TEST(test_httpd_shedding)
{
    int fd[HTTPD_CONNECTIONS_MAX];
    char buf[256] = "";
    harness_open(0);
    struct httpd *h = httpd_open();
    for (int i = 0; i < HTTPD_CONNECTIONS_MAX; i++) {
        fd[i] = http_connect(h);
        ck_assert_int_eq(send(fd[i], "GET /", 5, 0), 5); /* PARTIAL */
        harness_settle();
        harness_advance(10);
    }
    ck_assert_uint_eq(httpd_connections(h), HTTPD_CONNECTIONS_MAX);
    /* fd[0] has been partial for 160 ms: too young to shed */
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    ck_assert(!httpd_accept(h, sv[0])); /* refused (closed) */
    ck_assert(http_read(sv[1], buf, sizeof(buf)));
    close(sv[1]);
    ck_assert_uint_eq(stats.metrics_shed, 0);
    harness_advance(HTTPD_SHED_MIN_AGE_MS - 160);
    int late = http_connect(h);
    ck_assert_uint_eq(stats.metrics_shed, 1);
    ck_assert(http_read(fd[0], buf, sizeof(buf))); /* the oldest: closed */
    ck_assert(!http_read(fd[1], buf, sizeof(buf)));
    ck_assert_uint_eq(httpd_connections(h), HTTPD_CONNECTIONS_MAX);
    ck_assert_uint_eq(harness_log_count("with an incomplete request for 1.0 s"), 1);
    for (int i = 0; i < HTTPD_CONNECTIONS_MAX; i++)
        close(fd[i]);
    close(late);
    httpd_free(h);
    harness_close();
}
END_TEST

/* Paused at the cap, the endpoint looks for a victim when the oldest
 * connection becomes HTTPD_SHED_MIN_AGE_MS old in its state, not a fixed
 * HTTPD_SHED_MIN_AGE_MS after the pause: 16 clients connect at t0 (the
 * cap: accepting pauses), a 17th waits in the listen queue, the 16 send
 * their first byte at t0 + 10 ms; at t0 + 1010 ms the 17th is accepted,
 * the oldest dripper shed for it.  (With a timer every 1000 ms from the
 * pause the queue was looked at again only at t0 + 2000, where the
 * request_timeout of the drippers races the shedding.) */
START_TEST(test_httpd_pause_until_victim)
{
    char path[128], err[256], buf[4096] = "";
    int fd[HTTPD_CONNECTIONS_MAX + 1];
    const int last = HTTPD_CONNECTIONS_MAX;
    harness_open(0);
    snprintf(path, sizeof(path), "unix:%s/metrics.sock", H.dir);
    struct listener_unix_perms perms = {.mode = 0600};
    struct listener *l = listener_open(H.base, path, &perms, err, sizeof(err));
    ck_assert_msg(l != NULL, "%s", err);
    struct httpd *h = httpd_open();
    httpd_set_listener(h, l);
    listener_start(l, httpd_accept, h);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/metrics.sock", H.dir);
    for (int i = 0; i <= last; i++) {
        fd[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
        ck_assert_int_eq(connect(fd[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
        harness_settle();
    }
    ck_assert_uint_eq(httpd_connections(h), HTTPD_CONNECTIONS_MAX); /* the 17th waits */
    harness_advance(10);
    for (int i = 0; i < last; i++)
        ck_assert_int_eq(send(fd[i], "G", 1, 0), 1);
    harness_settle();
    harness_advance(999); /* t0 + 1009 */
    ck_assert_uint_eq(stats.metrics_shed, 0);
    harness_advance(1); /* t0 + 1010 */
    ck_assert_uint_eq(stats.metrics_shed, 1);
    ck_assert(http_read(fd[0], buf, sizeof(buf))); /* the oldest dripper: closed */
    const char req[] = "GET /metrics HTTP/1.0\r\n\r\n";
    ck_assert_int_eq(send(fd[last], req, sizeof(req) - 1, 0), (ssize_t)sizeof(req) - 1);
    harness_settle();
    buf[0] = '\0';
    http_read(fd[last], buf, sizeof(buf));
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0, "'%s'", buf);
    for (int i = 0; i <= last; i++)
        close(fd[i]);
    httpd_free(h);
    listener_close(l);
    harness_close();
}
END_TEST

Suite *metrics_suite(void);

Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("counting");
    tcase_add_test(tc, test_durations_on_the_fake_clock);
    tcase_add_test(tc, test_census_follows_writes);
    tcase_add_test(tc, test_downgrade_hooks);
    suite_add_tcase(s, tc);
    tc = tcase_create("httpd");
    tcase_add_test(tc, test_httpd_deadline);
    tcase_add_test(tc, test_httpd_shedding);
    tcase_add_test(tc, test_httpd_pause_until_victim);
    suite_add_tcase(s, tc);
    return s;
}

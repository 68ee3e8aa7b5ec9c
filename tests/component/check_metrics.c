/*
 * check_metrics - component tests of what the metrics (issue 13) count in
 * the core, on the fake clock and adapters (harness.h): query and fetch
 * durations measured on clock.h's monotonic clock, queries by map and
 * verdict, cache lookups by kind.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "hist.h"
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

Suite *metrics_suite(void);

Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("counting");
    tcase_add_test(tc, test_durations_on_the_fake_clock);
    suite_add_tcase(s, tc);
    return s;
}

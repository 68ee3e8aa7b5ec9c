/*
 * check_hist - unit tests for src/hist.c (duration histograms).
 *
 * Tables: values below, at, just above every bound and far beyond the
 * last one land in the bucket Prometheus's "le" says (a value equal to a
 * bound is in that bound's bucket); cumulative counts never decrease and
 * end at the count; the sum is exact; the bound sets of the two
 * histograms ascend strictly, start and end where hist.h says, and fit.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "hist.h"

static const uint64_t bounds3[] = {10, 100, 1000};

struct obs_row {
    uint64_t v;
    size_t bucket; /* index into counts; 3 = +Inf */
};

static const struct obs_row obs_rows[] = {
    {0, 0},   {1, 0},   {9, 0},    {10, 0},   {11, 1},         {99, 1},
    {100, 1}, {101, 2}, {1000, 2}, {1001, 3}, {UINT64_MAX, 3}, {500, 2},
};

START_TEST(test_observe_table)
{
    struct hist h;
    const struct obs_row *r = &obs_rows[_i];

    hist_init(&h, bounds3, 3);
    hist_observe(&h, r->v);
    for (size_t b = 0; b <= 3; b++)
        ck_assert_msg(h.counts[b] == (b == r->bucket ? 1u : 0u), "value %llu: bucket %zu",
                      (unsigned long long)r->v, b);
    ck_assert_uint_eq(h.count, 1);
    ck_assert_uint_eq(h.sum, r->v);
    /* cumulative: 0 below the bucket, 1 from it on, +Inf always 1 */
    for (size_t b = 0; b <= 3; b++)
        ck_assert_uint_eq(hist_cumulative(&h, b), b >= r->bucket ? 1 : 0);
    ck_assert_uint_eq(hist_cumulative(&h, 99), 1);
}
END_TEST

START_TEST(test_cumulative_many)
{
    struct hist h;
    uint64_t sum = 0;
    unsigned seed = 7;

    hist_init(&h, hist_query_bounds, HIST_QUERY_NBOUNDS);
    for (int i = 0; i < 10000; i++) {
        uint64_t v = (uint64_t)rand_r(&seed) * 17u; /* 0 .. ~36 s */
        hist_observe(&h, v);
        sum += v;
    }
    ck_assert_uint_eq(h.count, 10000);
    ck_assert_uint_eq(h.sum, sum);
    uint64_t prev = 0;
    for (size_t b = 0; b <= h.n; b++) {
        uint64_t c = hist_cumulative(&h, b);
        ck_assert_uint_ge(c, prev);
        prev = c;
    }
    ck_assert_uint_eq(prev, 10000);
}
END_TEST

START_TEST(test_bound_sets)
{
    struct {
        const uint64_t *b;
        size_t n;
        uint64_t first, last;
    } sets[] = {
        {hist_query_bounds, HIST_QUERY_NBOUNDS, 10000u, 30000000000u},
        {hist_fetch_bounds, HIST_FETCH_NBOUNDS, 1000000u, 60000000000u},
    };
    for (size_t s = 0; s < 2; s++) {
        ck_assert_uint_le(sets[s].n, HIST_MAX_BUCKETS);
        ck_assert_uint_eq(sets[s].b[0], sets[s].first);
        ck_assert_uint_eq(sets[s].b[sets[s].n - 1], sets[s].last);
        for (size_t i = 1; i < sets[s].n; i++)
            ck_assert_uint_gt(sets[s].b[i], sets[s].b[i - 1]);
    }
}
END_TEST

START_TEST(test_init_clamps)
{
    static uint64_t many[HIST_MAX_BUCKETS + 5];
    struct hist h;

    for (size_t i = 0; i < sizeof many / sizeof many[0]; i++)
        many[i] = i + 1;
    hist_init(&h, many, sizeof many / sizeof many[0]);
    ck_assert_uint_eq(h.n, HIST_MAX_BUCKETS);
    hist_observe(&h, 1000);
    ck_assert_uint_eq(h.counts[HIST_MAX_BUCKETS], 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hist");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_observe_table, 0, sizeof(obs_rows) / sizeof(obs_rows[0]));
    tcase_add_test(tc, test_cumulative_many);
    tcase_add_test(tc, test_bound_sets);
    tcase_add_test(tc, test_init_clamps);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

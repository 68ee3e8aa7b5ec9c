/*
 * check_dueq - unit tests for src/dueq.c (the refresh timer queue).
 *
 * A model-based test drives the queue and a plain array with the same
 * random operations (set, move, delete, pop) and compares them after
 * every step: size, earliest due time, and that every pop returns a
 * domain whose due time is the minimum and that was queued.  Tables cover
 * the edges: empty queue, the bound (a full queue refuses new domains but
 * still moves queued ones), domain lengths (DOMAIN_MAX accepted, longer
 * and empty refused), a domain set twice is queued once, pops only when
 * due, equal due times, negative and extreme times.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dueq.h"

START_TEST(test_empty)
{
    struct dueq *q = dueq_new(4);
    char d[DOMAIN_BUFSZ];
    int64_t due = 42;

    ck_assert_uint_eq(dueq_size(q), 0);
    ck_assert(!dueq_peek(q, &due));
    ck_assert_int_eq(due, 42);
    ck_assert(!dueq_pop_due(q, INT64_MAX, d, &due));
    dueq_del(q, "absent.example");
    dueq_free(q);
    dueq_free(NULL);
}
END_TEST

START_TEST(test_set_moves_not_duplicates)
{
    struct dueq *q = dueq_new(10);
    char d[DOMAIN_BUFSZ];
    int64_t due;

    ck_assert(dueq_set(q, "a.example", 100));
    ck_assert(dueq_set(q, "b.example", 50));
    ck_assert(dueq_set(q, "a.example", 10)); /* moved earlier */
    ck_assert_uint_eq(dueq_size(q), 2);
    ck_assert(dueq_peek(q, &due));
    ck_assert_int_eq(due, 10);
    ck_assert(!dueq_pop_due(q, 9, d, &due)); /* not due yet */
    ck_assert(dueq_pop_due(q, 10, d, &due));
    ck_assert_str_eq(d, "a.example");
    ck_assert_int_eq(due, 10);
    ck_assert(dueq_set(q, "b.example", 200)); /* moved later */
    ck_assert(dueq_set(q, "c.example", 150));
    ck_assert(dueq_pop_due(q, 1000, d, NULL));
    ck_assert_str_eq(d, "c.example");
    ck_assert(dueq_pop_due(q, 1000, d, &due));
    ck_assert_str_eq(d, "b.example");
    ck_assert_int_eq(due, 200);
    ck_assert_uint_eq(dueq_size(q), 0);
    dueq_free(q);
}
END_TEST

START_TEST(test_bound)
{
    struct dueq *q = dueq_new(3);
    char d[DOMAIN_BUFSZ];
    int64_t due;

    ck_assert(dueq_set(q, "a.example", 3));
    ck_assert(dueq_set(q, "b.example", 2));
    ck_assert(dueq_set(q, "c.example", 1));
    ck_assert(!dueq_set(q, "d.example", 0)); /* full: refused, nothing changed */
    ck_assert_uint_eq(dueq_size(q), 3);
    ck_assert(dueq_peek(q, &due));
    ck_assert_int_eq(due, 1);
    ck_assert(dueq_set(q, "a.example", -5)); /* a queued one still moves */
    ck_assert(dueq_pop_due(q, -5, d, &due));
    ck_assert_str_eq(d, "a.example");
    ck_assert(dueq_set(q, "d.example", 0)); /* room again */
    ck_assert_uint_eq(dueq_size(q), 3);
    dueq_free(q);

    q = dueq_new(0); /* a queue that holds nothing */
    ck_assert(!dueq_set(q, "a.example", 1));
    ck_assert_uint_eq(dueq_size(q), 0);
    dueq_free(q);
}
END_TEST

START_TEST(test_domain_lengths)
{
    struct dueq *q = dueq_new(4);
    char longest[DOMAIN_MAX + 2], d[DOMAIN_BUFSZ];

    memset(longest, 'a', DOMAIN_MAX);
    longest[DOMAIN_MAX] = '\0';
    ck_assert(dueq_set(q, longest, 1));
    longest[DOMAIN_MAX] = 'a';
    longest[DOMAIN_MAX + 1] = '\0';
    ck_assert(!dueq_set(q, longest, 1));
    ck_assert(!dueq_set(q, "", 1));
    ck_assert_uint_eq(dueq_size(q), 1);
    ck_assert(dueq_pop_due(q, 1, d, NULL));
    ck_assert_uint_eq(strlen(d), DOMAIN_MAX);
    dueq_free(q);
}
END_TEST

START_TEST(test_extreme_times)
{
    struct dueq *q = dueq_new(8);
    char d[DOMAIN_BUFSZ];
    int64_t due;

    ck_assert(dueq_set(q, "max.example", INT64_MAX));
    ck_assert(dueq_set(q, "min.example", INT64_MIN));
    ck_assert(dueq_set(q, "zero.example", 0));
    ck_assert(dueq_pop_due(q, INT64_MIN, d, &due));
    ck_assert_str_eq(d, "min.example");
    ck_assert(!dueq_pop_due(q, -1, d, &due));
    ck_assert(dueq_pop_due(q, 0, d, &due));
    ck_assert(dueq_pop_due(q, INT64_MAX, d, &due));
    ck_assert_str_eq(d, "max.example");
    dueq_free(q);
}
END_TEST

/* ---- against a model --------------------------------------------------- */

enum { MODEL_NAMES = 300, MODEL_MAX = 200 };

struct model {
    bool queued[MODEL_NAMES];
    int64_t due[MODEL_NAMES];
    size_t n;
};

static uint64_t rng = 88172645463325252ull;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void model_name(char *out, size_t i)
{
    snprintf(out, DOMAIN_BUFSZ, "d%zu.%s.example", i, i % 2 ? "odd" : "even");
}

static bool model_min(const struct model *m, int64_t *min)
{
    bool any = false;
    for (size_t i = 0; i < MODEL_NAMES; i++)
        if (m->queued[i] && (!any || m->due[i] < *min)) {
            *min = m->due[i];
            any = true;
        }
    return any;
}

START_TEST(test_model)
{
    struct dueq *q = dueq_new(MODEL_MAX);
    static struct model m;
    char name[DOMAIN_BUFSZ], got[DOMAIN_BUFSZ];

    memset(&m, 0, sizeof(m));
    for (int step = 0; step < 200000; step++) {
        size_t i = next_rand() % MODEL_NAMES;
        int64_t t = (int64_t)(next_rand() % 1000) - 100; /* many ties */
        model_name(name, i);
        switch (next_rand() % 8) {
        case 0:
        case 1:
        case 2: { /* set */
            bool want = m.queued[i] || m.n < MODEL_MAX;
            ck_assert_int_eq(dueq_set(q, name, t), want);
            if (want) {
                m.n += !m.queued[i];
                m.queued[i] = true;
                m.due[i] = t;
            }
            break;
        }
        case 3: /* delete */
            dueq_del(q, name);
            m.n -= m.queued[i];
            m.queued[i] = false;
            break;
        default: { /* pop at t */
            int64_t min = 0, due = 0;
            bool any = model_min(&m, &min);
            bool popped = dueq_pop_due(q, t, got, &due);
            ck_assert_int_eq(popped, any && min <= t);
            if (popped) {
                ck_assert_int_eq(due, min);
                size_t k = (size_t)strtoul(got + 1, NULL, 10);
                ck_assert_uint_lt(k, MODEL_NAMES);
                model_name(name, k);
                ck_assert_str_eq(got, name);
                ck_assert(m.queued[k]);
                ck_assert_int_eq(m.due[k], due);
                m.queued[k] = false;
                m.n--;
            }
        }
        }
        ck_assert_uint_eq(dueq_size(q), m.n);
        int64_t min = 0, peek = 0;
        ck_assert_int_eq(dueq_peek(q, &peek), model_min(&m, &min));
        if (m.n > 0)
            ck_assert_int_eq(peek, min);
    }
    /* drain in order */
    int64_t last = INT64_MIN, due;
    while (dueq_pop_due(q, INT64_MAX, got, &due)) {
        ck_assert_int_ge(due, last);
        last = due;
    }
    ck_assert_uint_eq(dueq_size(q), 0);
    dueq_free(q);
}
END_TEST

static Suite *dueq_suite(void)
{
    Suite *s = suite_create("dueq");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_empty);
    tcase_add_test(tc, test_set_moves_not_duplicates);
    tcase_add_test(tc, test_bound);
    tcase_add_test(tc, test_domain_lengths);
    tcase_add_test(tc, test_extreme_times);
    tcase_add_test(tc, test_model);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(dueq_suite());
    int failed;

    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

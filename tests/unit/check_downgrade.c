/*
 * check_downgrade - unit tests for src/downgrade.c (policy downgrades).
 *
 * downgrade_compare() over a table of cached and new policies: mode
 * enforce to testing and none (mode), testing or none to anything and
 * enforce kept (none), mx patterns removed, a host replaced, a wildcard
 * replacing a host (widened), a host added that a cached wildcard covers
 * (none), a deeper wildcard (widened), reordering and case (none), and a
 * cached policy that has expired (none: it is not in force).  The
 * description names what changed.  downgrade_record_gone() over the TXT
 * outcomes and cached states.  The hooks count into stats.downgrades,
 * and the record_gone hook reports a policy once, again for a new one.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "downgrade.h"
#include "log.h"
#include "sts_policy.h"

#define T ((int64_t)1700000000)

static struct sts_policy *pol(const char *mode, const char *mx)
{
    char text[1024], err[200];
    int n = snprintf(text, sizeof text, "version: STSv1\nmode: %s\nmax_age: 86400\n", mode);
    /* mx: space-separated patterns */
    char copy[512];
    snprintf(copy, sizeof copy, "%s", mx);
    for (char *save = NULL, *t = strtok_r(copy, " ", &save); t != NULL;
         t = strtok_r(NULL, " ", &save))
        n += snprintf(text + n, sizeof text - (size_t)n, "mx: %s\n", t);
    struct sts_policy *p = NULL;
    ck_assert_msg(sts_policy_parse(text, strlen(text), &p, err, sizeof err) == STS_POLICY_OK, "%s",
                  err);
    return p;
}

static void cached(struct entry *e, const char *mode, const char *mx, int64_t expires)
{
    entry_init(e);
    entry_set_policy(e, pol(mode, mx));
    snprintf(e->id, sizeof e->id, "old1");
    e->fetched_at = T - 1000;
    e->expires_at = expires;
}

struct cmp_row {
    const char *old_mode, *old_mx;
    int64_t expires;
    const char *new_mode, *new_mx;
    int kind; /* -1: no downgrade */
    const char *what;
};

static const struct cmp_row cmp_rows[] = {
    {"enforce", "mx.a.example", T + 100, "testing", "mx.a.example", STATS_DOWNGRADE_MODE,
     "mode enforce -> testing"},
    {"enforce", "mx.a.example", T + 100, "none", "", STATS_DOWNGRADE_MODE, "mode enforce -> none"},
    {"enforce", "mx.a.example", T + 1, "none", "", STATS_DOWNGRADE_MODE, "mode enforce -> none"},
    /* not in force: expired at T */
    {"enforce", "mx.a.example", T, "none", "", -1, ""},
    {"testing", "mx.a.example", T + 100, "none", "", -1, ""},
    {"none", "", T + 100, "testing", "mx.a.example", -1, ""},
    {"testing", "mx.a.example", T + 100, "enforce", "*.evil.example", -1, ""},
    {"enforce", "mx.a.example", T + 100, "enforce", "mx.a.example", -1, ""},
    {"enforce", "mx1.a.example mx2.a.example", T + 100, "enforce", "MX2.A.example mx1.a.example",
     -1, ""},
    {"enforce", "mx1.a.example mx2.a.example", T + 100, "enforce", "mx1.a.example",
     STATS_DOWNGRADE_MX, "mx patterns removed: mx2.a.example"},
    {"enforce", "mx1.a.example", T + 100, "enforce", "mx1.evil.example", STATS_DOWNGRADE_MX,
     "mx patterns removed: mx1.a.example; mx patterns widened: mx1.evil.example"},
    {"enforce", "mx1.a.example", T + 100, "enforce", "mx1.a.example *.evil.example",
     STATS_DOWNGRADE_MX, "mx patterns widened: *.evil.example"},
    {"enforce", "mx1.a.example", T + 100, "enforce", "*.a.example", STATS_DOWNGRADE_MX,
     "mx patterns removed: mx1.a.example; mx patterns widened: *.a.example"},
    {"enforce", "*.a.example", T + 100, "enforce", "*.a.example mx3.a.example", -1, ""},
    {"enforce", "*.a.example", T + 100, "enforce", "*.b.a.example", STATS_DOWNGRADE_MX,
     "mx patterns removed: *.a.example; mx patterns widened: *.b.a.example"},
    {"enforce", "*.a.example", T + 100, "enforce", "*.a.example x.y.a.example", STATS_DOWNGRADE_MX,
     "mx patterns widened: x.y.a.example"},
    {"enforce", "m1.a.example m2.a.example m3.a.example m4.a.example m5.a.example m6.a.example",
     T + 100, "enforce", "n.a.example", STATS_DOWNGRADE_MX,
     "mx patterns removed: m1.a.example, m2.a.example, m3.a.example, m4.a.example and 2 more; mx "
     "patterns widened: n.a.example"},
};

START_TEST(test_compare)
{
    const struct cmp_row *r = &cmp_rows[_i];
    struct entry e;
    struct sts_policy *n = pol(r->new_mode, r->new_mx);
    enum stats_downgrade kind = STATS_DOWNGRADE__COUNT;
    char what[DOWNGRADE_WHAT_MAX];

    cached(&e, r->old_mode, r->old_mx, r->expires);
    bool got = downgrade_compare(&e, n, T, &kind, what, sizeof what);
    ck_assert_msg(got == (r->kind >= 0), "row %d: %d", _i, got);
    if (got)
        ck_assert_int_eq(kind, r->kind);
    ck_assert_str_eq(what, r->what);
    /* no cached entry, or none with a policy: never a downgrade */
    ck_assert(!downgrade_compare(NULL, n, T, &kind, what, sizeof what));
    struct entry empty;
    entry_init(&empty);
    ck_assert(!downgrade_compare(&empty, n, T, &kind, what, sizeof what));
    sts_policy_free(n);
    entry_clear(&e);
}
END_TEST

START_TEST(test_record_gone)
{
    struct entry e, t;
    cached(&e, "enforce", "mx.a.example", T + 100);
    cached(&t, "testing", "mx.a.example", T + 100);
    ck_assert(downgrade_record_gone(&e, VTXT_NONE, T));
    ck_assert(!downgrade_record_gone(&e, VTXT_ID, T));
    ck_assert(!downgrade_record_gone(&e, VTXT_TEMPFAIL, T));   /* DNS trouble is not the owner */
    ck_assert(!downgrade_record_gone(&e, VTXT_NONE, T + 100)); /* expired */
    ck_assert(!downgrade_record_gone(&t, VTXT_NONE, T));
    ck_assert(!downgrade_record_gone(NULL, VTXT_NONE, T));
    entry_clear(&e);
    entry_clear(&t);
}
END_TEST

START_TEST(test_hooks_count)
{
    struct entry e;
    struct sts_policy *testing = pol("testing", "mx.a.example");
    struct sts_policy *same = pol("enforce", "mx.a.example");
    struct sts_policy *wider = pol("enforce", "mx.a.example *.evil.example");

    memset(stats.downgrades, 0, sizeof stats.downgrades);
    cached(&e, "enforce", "mx.a.example", T + 100);
    downgrade_check_policy("refresh", "a.example", &e, same, "old1", T);
    ck_assert_uint_eq(stats.downgrades[STATS_DOWNGRADE_MODE] + stats.downgrades[STATS_DOWNGRADE_MX],
                      0);
    downgrade_check_policy("fetch", "a.example", &e, testing, "new2", T);
    downgrade_check_policy("fetch", "a.example", &e, wider, "new3", T);
    ck_assert_uint_eq(stats.downgrades[STATS_DOWNGRADE_MODE], 1);
    ck_assert_uint_eq(stats.downgrades[STATS_DOWNGRADE_MX], 1);

    /* record gone: once per cached policy, however often rechecked */
    for (int i = 0; i < 5; i++)
        downgrade_check_txt("fetch", "a.example", &e, VTXT_NONE, "no _mta-sts TXT record", T);
    ck_assert_uint_eq(stats.downgrades[STATS_DOWNGRADE_RECORD_GONE], 1);
    downgrade_check_txt("fetch", "b.example", &e, VTXT_NONE, NULL, T);
    ck_assert_uint_eq(stats.downgrades[STATS_DOWNGRADE_RECORD_GONE], 2);
    e.fetched_at += 10; /* a policy fetched again, then gone again */
    downgrade_check_txt("refresh", "a.example", &e, VTXT_NONE, NULL, T);
    ck_assert_uint_eq(stats.downgrades[STATS_DOWNGRADE_RECORD_GONE], 3);
    downgrade_check_txt("refresh", "a.example", &e, VTXT_ID, NULL, T);
    ck_assert_uint_eq(stats.downgrades[STATS_DOWNGRADE_RECORD_GONE], 3);
    sts_policy_free(testing);
    sts_policy_free(same);
    sts_policy_free(wider);
    entry_clear(&e);
}
END_TEST

int main(void)
{
    log_open("check_downgrade", true);
    Suite *s = suite_create("downgrade");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_compare, 0, (int)(sizeof(cmp_rows) / sizeof(cmp_rows[0])));
    tcase_add_test(tc, test_record_gone);
    tcase_add_test(tc, test_hooks_count);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

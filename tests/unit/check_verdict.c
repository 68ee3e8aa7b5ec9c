/*
 * check_verdict - unit tests for src/verdict.c.
 *
 * Table-driven: each row is one RFC 8461 timing rule at one instant, and
 * the boundaries are probed one second before, at and after (expiry,
 * recheck, refresh, negative TTL, fetch backoff, keep_expired).  The
 * entries are built by hand with a stack policy (verdict.c only looks at
 * whether a policy is present), so this binary links verdict.c alone.
 * Property tests then sweep many instants, entries and seeds and assert
 * the invariants the tables illustrate.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verdict.h"

#define T        INT64_C(1700000000) /* the fetch */
#define WEEK     INT64_C(604800)
#define E        (T + WEEK)  /* expiry of the standard policy */
#define R        (T + 86400) /* refresh_at of the standard policy */
#define F        (T + 5000)  /* a failed fetch */
#define N        (T + 1800)  /* negative_until of the standard negative entry */
#define KEEP_EXP (7 * 86400)

static struct sts_policy test_policy = {STS_MODE_ENFORCE, (uint32_t)WEEK, 0, NULL, NULL, 0, NULL};

/* A compact description of an entry; make_entry() fills struct entry. */
struct spec {
    bool policy;
    const char *id;
    int64_t fetched_at, expires_at, checked_at, refresh_at, negative_until;
    const char *fail_id;
    int64_t fail_at;
};

/* Cached policy "abc", valid until E, refresh at R, checked at `c`. */
#define VALID(c)                                                                                   \
    {                                                                                              \
        true, "abc", T, E, (c), R, 0, "", 0                                                        \
    }
/* Same, refresh never due before expiry. */
#define VALID_NOREF(c)                                                                             \
    {                                                                                              \
        true, "abc", T, E, (c), E, 0, "", 0                                                        \
    }
/* No policy; "no record" known until N. */
#define NEG                                                                                        \
    {                                                                                              \
        false, "", 0, 0, T, 0, N, "", 0                                                            \
    }
/* Nothing at all. */
#define EMPTY                                                                                      \
    {                                                                                              \
        false, "", 0, 0, 0, 0, 0, "", 0                                                            \
    }

static void make_entry(struct entry *e, const struct spec *s)
{
    memset(e, 0, sizeof(*e));
    e->policy = s->policy ? &test_policy : NULL;
    strcpy(e->id, s->id);
    e->fetched_at = s->fetched_at;
    e->expires_at = s->expires_at;
    e->checked_at = s->checked_at;
    e->refresh_at = s->refresh_at;
    e->negative_until = s->negative_until;
    strcpy(e->fail_id, s->fail_id);
    e->fail_at = s->fail_at;
}

static struct verdict_params defaults(void)
{
    struct verdict_params p;
    verdict_params_default(&p);
    return p;
}

/* An assertion for tight loops: Check's ck_assert records every passing
 * check, which is slow over hundreds of thousands of them. */
#define PROP(cond, ...)                                                                            \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ck_abort_msg(__VA_ARGS__);                                                             \
    } while (0)

/* ---- verdict_params_default ------------------------------------------ */

START_TEST(test_params_default)
{
    struct verdict_params p;
    memset(&p, 0xa5, sizeof(p));
    verdict_params_default(&p);
    ck_assert_int_eq(p.negative_ttl, 1800);
    ck_assert_int_eq(p.recheck_interval, 300);
    ck_assert_int_eq(p.refresh_interval, 86400);
    ck_assert_int_eq(p.fail_backoff, 300);
    ck_assert_int_eq(p.keep_expired, 7 * 86400);
}
END_TEST

/* ---- verdict_policy_valid / verdict_refresh_due ---------------------- */

struct valid_row {
    const char *name;
    bool null_entry;
    struct spec e;
    int64_t now;
    bool valid;
    bool refresh_due;
};

static const struct valid_row valid_rows[] = {
    {"no entry", true, EMPTY, T, false, false},
    {"empty entry", false, EMPTY, T, false, false},
    {"no policy, expiry in future",
     false,
     {false, "abc", T, E, T, R, 0, "", 0},
     T + 1,
     false,
     false},
    {"at fetch", false, VALID(T), T, true, false},
    {"one second before expiry", false, VALID(T), E - 1, true, true},
    {"exactly at expiry", false, VALID(T), E, false, false},
    {"one second after expiry", false, VALID(T), E + 1, false, false},
    {"policy with expires_at 0", false, {true, "abc", 0, 0, 0, 0, 0, "", 0}, T, false, false},
    {"one second before refresh", false, VALID(T), R - 1, true, false},
    {"exactly at refresh", false, VALID(T), R, true, true},
    {"one second after refresh", false, VALID(T), R + 1, true, true},
    {"refresh_at unset counts as due", false, {true, "abc", T, E, T, 0, 0, "", 0}, T, true, true},
    {"refresh past but expired", false, VALID(T), E + 100, false, false},
};

START_TEST(test_policy_valid)
{
    const struct valid_row *r = &valid_rows[_i];
    struct entry e;
    make_entry(&e, &r->e);
    const struct entry *ep = r->null_entry ? NULL : &e;
    ck_assert_msg(verdict_policy_valid(ep, r->now) == r->valid, "%s: valid", r->name);
    ck_assert_msg(verdict_refresh_due(ep, r->now) == r->refresh_due, "%s: refresh_due", r->name);
}
END_TEST

/* ---- verdict_query --------------------------------------------------- */

struct query_row {
    const char *name;
    bool null_entry;
    struct spec e;
    int64_t now;
    int64_t recheck; /* -1: default */
    enum verdict_query want;
};

static const struct query_row query_rows[] = {
    {"no entry", true, EMPTY, T, -1, VQ_RESOLVE},
    {"empty entry", false, EMPTY, T, -1, VQ_RESOLVE},
    /* valid policy, checked_at against recheck_interval (300) */
    {"checked just now", false, VALID(T), T, -1, VQ_SERVE},
    {"check 299 s old", false, VALID(T), T + 299, -1, VQ_SERVE},
    {"check exactly 300 s old", false, VALID(T), T + 300, -1, VQ_SERVE_REVALIDATE},
    {"check 301 s old", false, VALID(T), T + 301, -1, VQ_SERVE_REVALIDATE},
    {"check in the future (clock stepped back)", false, VALID(T + 100), T + 50, -1,
     VQ_SERVE_REVALIDATE},
    {"recheck_interval 0: always revalidate", false, VALID(T), T, 0, VQ_SERVE_REVALIDATE},
    {"recheck_interval 3600: 3599 s", false, VALID(T), T + 3599, 3600, VQ_SERVE},
    {"recheck_interval 3600: 3600 s", false, VALID(T), T + 3600, 3600, VQ_SERVE_REVALIDATE},
    /* refresh_at, with a fresh check */
    {"one second before refresh", false, VALID(R - 1), R - 1, -1, VQ_SERVE},
    {"exactly at refresh", false, VALID(R), R, -1, VQ_SERVE_REVALIDATE},
    {"one second after refresh", false, VALID(R + 1), R + 1, -1, VQ_SERVE_REVALIDATE},
    {"refresh_at unset", false, {true, "abc", T, E, T, 0, 0, "", 0}, T, -1, VQ_SERVE_REVALIDATE},
    /* expiry, with a fresh check and no refresh due */
    {"one second before expiry", false, VALID_NOREF(E - 1), E - 1, -1, VQ_SERVE},
    {"exactly at expiry", false, VALID_NOREF(E), E, -1, VQ_RESOLVE},
    {"one second after expiry", false, VALID_NOREF(E + 1), E + 1, -1, VQ_RESOLVE},
    {"long expired", false, VALID(T), E + WEEK, -1, VQ_RESOLVE},
    {"policy absent, times set",
     false,
     {false, "abc", T, E, T, R, 0, "", 0},
     T + 1,
     -1,
     VQ_RESOLVE},
    /* negative entries */
    {"negative, just stored", false, NEG, T, -1, VQ_NEGATIVE},
    {"negative, one second before end", false, NEG, N - 1, -1, VQ_NEGATIVE},
    {"negative, exactly at end", false, NEG, N, -1, VQ_RESOLVE},
    {"negative, one second after end", false, NEG, N + 1, -1, VQ_RESOLVE},
    {"negative ignores recheck", false, NEG, T + 1000, 0, VQ_NEGATIVE},
    {"expired policy and negative",
     false,
     {true, "abc", T, E, E, R, E + 100, "", 0},
     E + 1,
     -1,
     VQ_NEGATIVE},
    {"expired policy, negative lapsed",
     false,
     {true, "abc", T, E, E, R, E + 100, "", 0},
     E + 100,
     -1,
     VQ_RESOLVE},
    {"valid policy wins over negative",
     false,
     {true, "abc", T, E, T, R, E, "", 0},
     T + 1,
     -1,
     VQ_SERVE},
    {"valid policy, stale, and negative",
     false,
     {true, "abc", T, E, T, R, E, "", 0},
     T + 400,
     -1,
     VQ_SERVE_REVALIDATE},
    /* a failure does not change the query decision */
    {"no policy, recent failure",
     false,
     {false, "", 0, 0, F, 0, 0, "abc", F},
     F + 1,
     -1,
     VQ_RESOLVE},
    {"valid policy, recent failure",
     false,
     {true, "abc", T, E, F, R, 0, "def", F},
     F + 1,
     -1,
     VQ_SERVE},
};

START_TEST(test_query)
{
    const struct query_row *r = &query_rows[_i];
    struct entry e;
    make_entry(&e, &r->e);
    struct verdict_params p = defaults();
    if (r->recheck >= 0)
        p.recheck_interval = r->recheck;
    enum verdict_query got = verdict_query(r->null_entry ? NULL : &e, r->now, &p);
    ck_assert_msg(got == r->want, "%s: got %s, want %s", r->name, verdict_query_name(got),
                  verdict_query_name(r->want));
}
END_TEST

/* ---- verdict_after_txt ----------------------------------------------- */

struct txt_row {
    const char *name;
    bool null_entry;
    struct spec e;
    enum verdict_txt txt;
    const char *id;
    bool refresh;
    int64_t now;
    enum verdict_next want;
};

/* A valid "abc" policy whose fetch of "def" failed at F. */
#define VALID_FAIL(fid)                                                                            \
    {                                                                                              \
        true, "abc", T, E, T, R, 0, (fid), F                                                       \
    }
/* No policy; a fetch of "def" failed at F. */
#define NOPOL_FAIL(fid)                                                                            \
    {                                                                                              \
        false, "", 0, 0, F, 0, 0, (fid), F                                                         \
    }

static const struct txt_row txt_rows[] = {
    /* nothing cached */
    {"no entry, id", true, EMPTY, VTXT_ID, "abc", false, T, VN_FETCH},
    {"no entry, none", true, EMPTY, VTXT_NONE, NULL, false, T, VN_NEGATIVE},
    {"no entry, tempfail", true, EMPTY, VTXT_TEMPFAIL, NULL, false, T, VN_TEMPFAIL},
    {"no entry, refresh, id", true, EMPTY, VTXT_ID, "abc", true, T, VN_FETCH},
    {"no entry, refresh, none", true, EMPTY, VTXT_NONE, NULL, true, T, VN_NEGATIVE},
    {"empty entry, id", false, EMPTY, VTXT_ID, "abc", false, T, VN_FETCH},
    /* valid policy: id unchanged / changed */
    {"id unchanged, valid", false, VALID(T), VTXT_ID, "abc", false, T + 400, VN_KEEP},
    {"id changed, valid", false, VALID(T), VTXT_ID, "abd", false, T + 400, VN_FETCH},
    {"id differs only in case", false, VALID(T), VTXT_ID, "ABC", false, T + 400, VN_FETCH},
    {"id is a prefix of cached", false, VALID(T), VTXT_ID, "ab", false, T + 400, VN_FETCH},
    {"id extends cached", false, VALID(T), VTXT_ID, "abcd", false, T + 400, VN_FETCH},
    {"id unchanged, one second before expiry", false, VALID(T), VTXT_ID, "abc", false, E - 1,
     VN_KEEP},
    {"id unchanged, exactly at expiry", false, VALID(T), VTXT_ID, "abc", false, E, VN_FETCH},
    {"id unchanged, one second after expiry", false, VALID(T), VTXT_ID, "abc", false, E + 1,
     VN_FETCH},
    {"id changed, expired", false, VALID(T), VTXT_ID, "xyz", false, E + 1, VN_FETCH},
    /* no record */
    {"none, valid policy", false, VALID(T), VTXT_NONE, NULL, false, T + 400, VN_KEEP},
    {"none, one second before expiry", false, VALID(T), VTXT_NONE, NULL, false, E - 1, VN_KEEP},
    {"none, exactly at expiry", false, VALID(T), VTXT_NONE, NULL, false, E, VN_NEGATIVE},
    {"none, one second after expiry", false, VALID(T), VTXT_NONE, NULL, false, E + 1, VN_NEGATIVE},
    {"none, negative entry", false, NEG, VTXT_NONE, NULL, false, T + 10, VN_NEGATIVE},
    {"none, lapsed negative entry", false, NEG, VTXT_NONE, NULL, false, N + 1, VN_NEGATIVE},
    {"id appears on negative entry", false, NEG, VTXT_ID, "abc", false, T + 10, VN_FETCH},
    {"id with empty string is none (valid)", false, VALID(T), VTXT_ID, "", false, T + 1, VN_KEEP},
    {"id with empty string is none (absent)", false, EMPTY, VTXT_ID, "", false, T, VN_NEGATIVE},
    {"id with NULL is none (valid)", false, VALID(T), VTXT_ID, NULL, false, T + 1, VN_KEEP},
    {"id with NULL is none (absent)", false, EMPTY, VTXT_ID, NULL, false, T, VN_NEGATIVE},
    /* DNS temporary failure */
    {"tempfail, valid policy", false, VALID(T), VTXT_TEMPFAIL, NULL, false, T + 400, VN_KEEP},
    {"tempfail, one second before expiry", false, VALID(T), VTXT_TEMPFAIL, NULL, false, E - 1,
     VN_KEEP},
    {"tempfail, exactly at expiry", false, VALID(T), VTXT_TEMPFAIL, NULL, false, E, VN_TEMPFAIL},
    {"tempfail, after expiry", false, VALID(T), VTXT_TEMPFAIL, NULL, false, E + 1, VN_TEMPFAIL},
    {"tempfail, negative entry", false, NEG, VTXT_TEMPFAIL, NULL, false, T + 1, VN_TEMPFAIL},
    {"tempfail ignores the id argument", false, VALID(T), VTXT_TEMPFAIL, "xyz", false, T + 1,
     VN_KEEP},
    {"unknown txt kind, valid policy", false, VALID(T), (enum verdict_txt)99, "abc", false, T + 1,
     VN_KEEP},
    {"unknown txt kind, no policy", false, EMPTY, (enum verdict_txt)99, "abc", false, T + 1,
     VN_TEMPFAIL},
    /* proactive refresh */
    {"refresh, id unchanged", false, VALID(T), VTXT_ID, "abc", true, R, VN_FETCH},
    {"refresh, id changed", false, VALID(T), VTXT_ID, "abd", true, R, VN_FETCH},
    {"refresh, no record, valid policy", false, VALID(T), VTXT_NONE, NULL, true, R, VN_FETCH},
    {"refresh, no record, expired policy", false, VALID(T), VTXT_NONE, NULL, true, E, VN_NEGATIVE},
    {"refresh, tempfail, valid policy", false, VALID(T), VTXT_TEMPFAIL, NULL, true, R, VN_KEEP},
    {"refresh, tempfail, expired policy", false, VALID(T), VTXT_TEMPFAIL, NULL, true, E,
     VN_TEMPFAIL},
    /* fetch backoff (300 s) for the id that failed, no cached policy */
    {"backoff: failed id, at failure", false, NOPOL_FAIL("def"), VTXT_ID, "def", false, F,
     VN_BACKOFF},
    {"backoff: failed id, 1 s later", false, NOPOL_FAIL("def"), VTXT_ID, "def", false, F + 1,
     VN_BACKOFF},
    {"backoff: failed id, 299 s later", false, NOPOL_FAIL("def"), VTXT_ID, "def", false, F + 299,
     VN_BACKOFF},
    {"backoff: failed id, 300 s later", false, NOPOL_FAIL("def"), VTXT_ID, "def", false, F + 300,
     VN_FETCH},
    {"backoff: failed id, 301 s later", false, NOPOL_FAIL("def"), VTXT_ID, "def", false, F + 301,
     VN_FETCH},
    {"backoff: another id at once", false, NOPOL_FAIL("def"), VTXT_ID, "ghi", false, F + 1,
     VN_FETCH},
    {"backoff: refresh does not bypass", false, NOPOL_FAIL("def"), VTXT_ID, "def", true, F + 1,
     VN_BACKOFF},
    {"backoff: no record is negative", false, NOPOL_FAIL("def"), VTXT_NONE, NULL, false, F + 1,
     VN_NEGATIVE},
    {"backoff: tempfail is tempfail", false, NOPOL_FAIL("def"), VTXT_TEMPFAIL, NULL, false, F + 1,
     VN_TEMPFAIL},
    {"backoff: failure in the future (clock back)", false, NOPOL_FAIL("def"), VTXT_ID, "def", false,
     F - 10, VN_FETCH},
    {"backoff: case differs", false, NOPOL_FAIL("def"), VTXT_ID, "DEF", false, F + 1, VN_FETCH},
    /* fetch backoff with a valid cached policy (the new id failed) */
    {"backoff+valid: failed new id", false, VALID_FAIL("def"), VTXT_ID, "def", false, F + 10,
     VN_BACKOFF},
    {"backoff+valid: failed new id, 299 s", false, VALID_FAIL("def"), VTXT_ID, "def", false,
     F + 299, VN_BACKOFF},
    {"backoff+valid: failed new id, 300 s", false, VALID_FAIL("def"), VTXT_ID, "def", false,
     F + 300, VN_FETCH},
    {"backoff+valid: yet another id", false, VALID_FAIL("def"), VTXT_ID, "ghi", false, F + 10,
     VN_FETCH},
    {"backoff+valid: back to cached id", false, VALID_FAIL("def"), VTXT_ID, "abc", false, F + 10,
     VN_KEEP},
    {"backoff+valid: no record", false, VALID_FAIL("def"), VTXT_NONE, NULL, false, F + 10, VN_KEEP},
    {"backoff+valid: tempfail", false, VALID_FAIL("def"), VTXT_TEMPFAIL, NULL, false, F + 10,
     VN_KEEP},
    /* a failed refresh of the cached id */
    {"failed refresh: plain query keeps", false, VALID_FAIL("abc"), VTXT_ID, "abc", false, F + 10,
     VN_KEEP},
    {"failed refresh: refresh backs off", false, VALID_FAIL("abc"), VTXT_ID, "abc", true, F + 10,
     VN_BACKOFF},
    {"failed refresh: refresh after 300 s", false, VALID_FAIL("abc"), VTXT_ID, "abc", true, F + 300,
     VN_FETCH},
    {"failed refresh: no record backs off", false, VALID_FAIL("abc"), VTXT_NONE, NULL, true, F + 10,
     VN_BACKOFF},
    {"failed refresh: no record after 300 s", false, VALID_FAIL("abc"), VTXT_NONE, NULL, true,
     F + 300, VN_FETCH},
    {"failed refresh: new id fetched", false, VALID_FAIL("abc"), VTXT_ID, "xyz", true, F + 10,
     VN_FETCH},
    /* expired policy is no cached policy */
    {"expired, same id failed recently",
     false,
     {true, "abc", T, E, E, R, 0, "abc", E + 5},
     VTXT_ID,
     "abc",
     false,
     E + 10,
     VN_BACKOFF},
    {"expired, same id failed 300 s ago",
     false,
     {true, "abc", T, E, E, R, 0, "abc", E + 5},
     VTXT_ID,
     "abc",
     false,
     E + 305,
     VN_FETCH},
};

START_TEST(test_after_txt)
{
    const struct txt_row *r = &txt_rows[_i];
    struct entry e;
    make_entry(&e, &r->e);
    struct verdict_params p = defaults();
    enum verdict_next got =
        verdict_after_txt(r->null_entry ? NULL : &e, r->txt, r->id, r->refresh, r->now, &p);
    ck_assert_msg(got == r->want, "%s: got %s, want %s", r->name, verdict_next_name(got),
                  verdict_next_name(r->want));
}
END_TEST

/* fail_backoff is a parameter: 0 disables it, a longer one extends it. */
START_TEST(test_after_txt_backoff_param)
{
    struct spec s = NOPOL_FAIL("def");
    struct entry e;
    make_entry(&e, &s);
    struct verdict_params p = defaults();
    p.fail_backoff = 0;
    ck_assert_int_eq(verdict_after_txt(&e, VTXT_ID, "def", false, F, &p), VN_FETCH);
    p.fail_backoff = 3600;
    ck_assert_int_eq(verdict_after_txt(&e, VTXT_ID, "def", false, F + 3599, &p), VN_BACKOFF);
    ck_assert_int_eq(verdict_after_txt(&e, VTXT_ID, "def", false, F + 3600, &p), VN_FETCH);
}
END_TEST

/* ---- verdict_refresh_at ---------------------------------------------- */

struct refresh_row {
    const char *name;
    int64_t fetched_at;
    uint32_t max_age;
    int64_t interval;
    int64_t lo, hi; /* offsets from fetched_at, inclusive */
};

static const struct refresh_row refresh_rows[] = {
    {"week, daily refresh", T, 604800, 86400, 77760, 86400},
    {"one day: half of max_age", T, 86400, 86400, 38880, 43200},
    {"one year, daily", T, 31557600, 86400, 77760, 86400},
    {"one year, no interval", T, 31557600, 0, 14200920, 15778800},
    {"negative interval = none", T, 31557600, -5, 14200920, 15778800},
    {"hourly interval", T, 86400, 3600, 3240, 3600},
    {"interval above max_age/2", T, 7200, 86400, 3240, 3600},
    {"max_age 200: no clamp", T, 200, 86400, 90, 100},
    /* short max_age: at half of it, well before expiry (was clamped to
     * 60 s, i.e. to the expiry itself below 60 s: never refreshed) */
    {"max_age 121: half", T, 121, 86400, 54, 60},
    {"max_age 100: half", T, 100, 86400, 45, 50},
    {"max_age 60: half", T, 60, 86400, 27, 30},
    {"max_age 59: half", T, 59, 86400, 27, 29},
    {"max_age 20: half", T, 20, 86400, 9, 10},
    {"max_age 11: half, at the 5 s floor", T, 11, 86400, 5, 5},
    {"max_age 10: half, 5 s before expiry", T, 10, 86400, 5, 5},
    {"max_age 9: the 5 s floor, before expiry", T, 9, 86400, 5, 5},
    {"max_age 6: the 5 s floor, before expiry", T, 6, 86400, 5, 5},
    {"max_age 5: floor is expiry", T, 5, 86400, 5, 5},
    {"max_age 1", T, 1, 86400, 1, 1},
    {"max_age 0", T, 0, 86400, 0, 0},
    {"interval 30 s", T, 86400, 30, 27, 30},
    {"interval 2 s: floor 5", T, 86400, 2, 5, 5},
    {"fetched at 0", 0, 86400, 86400, 38880, 43200},
    {"fetched near INT64_MAX saturates", INT64_MAX - 10, 86400, 86400, 10, 10},
};

static const uint32_t seeds[] = {0, 1, 2, 3, 42, 1000, 65535, 0x80000000u, 0xdeadbeefu, UINT32_MAX};

START_TEST(test_refresh_at)
{
    const struct refresh_row *r = &refresh_rows[_i];
    for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
        int64_t at = verdict_refresh_at(r->fetched_at, r->max_age, r->interval, seeds[s]);
        ck_assert_msg(at >= r->fetched_at + r->lo && at <= r->fetched_at + r->hi,
                      "%s seed %u: %lld not in [+%lld, +%lld]", r->name, (unsigned)seeds[s],
                      (long long)(at - r->fetched_at), (long long)r->lo, (long long)r->hi);
        ck_assert_msg(at == verdict_refresh_at(r->fetched_at, r->max_age, r->interval, seeds[s]),
                      "%s: not deterministic", r->name);
    }
}
END_TEST

/* 1000 seeds really spread over the jitter window, reaching both ends. */
START_TEST(test_refresh_at_spread)
{
    enum { NSEEDS = 1000 };
    int64_t *v = malloc(NSEEDS * sizeof(*v));
    ck_assert_ptr_nonnull(v);
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (uint32_t s = 0; s < NSEEDS; s++) {
        v[s] = verdict_refresh_at(T, 604800, 86400, s) - T;
        if (v[s] < lo)
            lo = v[s];
        if (v[s] > hi)
            hi = v[s];
    }
    /* the window is [77760, 86400]: 8641 values */
    ck_assert_int_ge(lo, 77760);
    ck_assert_int_le(lo, 77760 + 200);
    ck_assert_int_le(hi, 86400);
    ck_assert_int_ge(hi, 86400 - 200);
    size_t distinct = 0;
    for (size_t i = 0; i < NSEEDS; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = v[j] == v[i];
        distinct += !seen;
    }
    ck_assert_msg(distinct >= 900, "only %zu distinct refresh times of 1000", distinct);
    /* neighbouring seeds do not land next to each other */
    size_t close = 0;
    for (size_t i = 1; i < NSEEDS; i++)
        close += llabs((long long)(v[i] - v[i - 1])) < 10;
    ck_assert_msg(close < 20, "%zu neighbouring seeds within 10 s", close);
    free(v);
}
END_TEST

/* Invariants over many max_age / interval / seed combinations. */
START_TEST(test_refresh_at_property)
{
    static const int64_t intervals[] = {-1, 0, 1, 59, 60, 61, 300, 3600, 86400, 604800};
    static const uint32_t big_ages[] = {3599, 86399, 86400, 172800, 604800, 31557600};
    for (uint32_t m = 0; m < 2000 + 6; m++) {
        uint32_t max_age = m < 2000 ? m : big_ages[m - 2000];
        for (size_t k = 0; k < sizeof(intervals) / sizeof(intervals[0]); k++) {
            int64_t iv = intervals[k];
            int64_t span = max_age / 2;
            if (iv > 0 && iv < span)
                span = iv;
            for (uint32_t seed = 0; seed < 40; seed++) {
                int64_t at = verdict_refresh_at(T, max_age, iv, seed * 2654435761u) - T;
                /* never after expiry */
                PROP(at <= max_age, "max_age %u iv %lld: %lld after expiry", max_age, (long long)iv,
                     (long long)at);
                /* never before 5 s, unless expiry is sooner */
                PROP(at >= (max_age < 5 ? (int64_t)max_age : 5),
                     "max_age %u iv %lld: %lld too soon", max_age, (long long)iv, (long long)at);
                /* within [0.9 span, span] unless clamped */
                if (at != 5 && at != (int64_t)max_age)
                    PROP(at <= span && at * 10 >= span * 9,
                         "max_age %u iv %lld: %lld outside [0.9, 1] x %lld", max_age, (long long)iv,
                         (long long)at, (long long)span);
                /* at least as often as the interval asks, when >= 5 s */
                if (iv >= 5)
                    PROP(at <= iv, "max_age %u iv %lld: %lld later than interval", max_age,
                         (long long)iv, (long long)at);
                /* max_age >= 10 s: refreshed before expiry, at half of it at
                 * the latest (RFC 8461 section 10.2: do not wait until expiry) */
                if (max_age >= 10)
                    PROP(at < (int64_t)max_age && at <= (int64_t)max_age / 2,
                         "max_age %u iv %lld: %lld not before expiry", max_age, (long long)iv,
                         (long long)at);
            }
        }
    }
}
END_TEST

/* ---- verdict_sweepable ----------------------------------------------- */

struct sweep_row {
    const char *name;
    bool null_entry;
    struct spec e;
    int64_t now;
    int64_t keep; /* -1: default (7 days) */
    bool want;
};

static const struct sweep_row sweep_rows[] = {
    {"no entry", true, EMPTY, T, -1, false},
    {"valid policy, long unchecked", false, VALID(T), E - 1, -1, false},
    {"valid policy, keep 0", false, VALID(T), E - 1, 0, false},
    {"expired, one second before keep", false, VALID(T), E + KEEP_EXP - 1, -1, false},
    {"expired, exactly at keep", false, VALID(T), E + KEEP_EXP, -1, true},
    {"expired, one second after keep", false, VALID(T), E + KEEP_EXP + 1, -1, true},
    {"expired, keep 0: at expiry", false, VALID(T), E, 0, true},
    {"expired, recent check keeps it",
     false,
     {true, "abc", T, E, E + KEEP_EXP, R, 0, "", 0},
     E + KEEP_EXP + 10,
     -1,
     false},
    {"expired, recent failure keeps it",
     false,
     {true, "abc", T, E, T, R, 0, "abc", E + KEEP_EXP},
     E + KEEP_EXP + 10,
     -1,
     false},
    {"expired, failure keep-1 ago",
     false,
     {true, "abc", T, E, T, R, 0, "abc", E + 100},
     E + 100 + KEEP_EXP - 1,
     -1,
     false},
    {"expired, failure keep ago",
     false,
     {true, "abc", T, E, T, R, 0, "abc", E + 100},
     E + 100 + KEEP_EXP,
     -1,
     true},
    {"negative, active", false, NEG, N - 1, 0, false},
    {"negative, at end, keep 0", false, NEG, N, 0, true},
    {"negative, lapsed, keep-1", false, NEG, N + KEEP_EXP - 1, -1, false},
    {"negative, lapsed, keep", false, NEG, N + KEEP_EXP, -1, true},
    {"failure only, keep-1", false, NOPOL_FAIL("def"), F + KEEP_EXP - 1, -1, false},
    {"failure only, keep", false, NOPOL_FAIL("def"), F + KEEP_EXP, -1, true},
    {"empty entry", false, EMPTY, T, -1, true},
    {"empty entry at 0, keep 0", false, EMPTY, 0, 0, true},
    {"empty entry at 0, default keep", false, EMPTY, 0, -1, false},
    {"check in the future (clock back)",
     false,
     {false, "", 0, 0, T + 100, 0, 0, "", 0},
     T,
     0,
     false},
};

START_TEST(test_sweepable)
{
    const struct sweep_row *r = &sweep_rows[_i];
    struct entry e;
    make_entry(&e, &r->e);
    struct verdict_params p = defaults();
    if (r->keep >= 0)
        p.keep_expired = r->keep;
    ck_assert_msg(verdict_sweepable(r->null_entry ? NULL : &e, r->now, &p) == r->want, "%s",
                  r->name);
}
END_TEST

/* ---- verdict_refresh_retry ------------------------------------------- */

struct retry_row {
    const char *name;
    struct spec e;
    int64_t from;
    int64_t backoff; /* -1: default (300) */
    int64_t want;
};

static const struct retry_row retry_rows[] = {
    {"failed refresh: fail_backoff after now", VALID(T), R, -1, R + 300},
    {"custom back-off", VALID(T), R, 60, R + 60},
    {"back-off ends at a failure's fail_at + 300", VALID(T), F, -1, F + 300},
    {"clamped to the expiry", VALID(T), E - 10, -1, E},
    {"exactly at the expiry", VALID(T), E - 300, -1, E},
    {"never before fetched_at", VALID(T), T - 1000, -1, T},
    {"saturates", {true, "abc", T, INT64_MAX, T, R, 0, "", 0}, INT64_MAX - 5, -1, INT64_MAX},
};

START_TEST(test_refresh_retry)
{
    const struct retry_row *r = &retry_rows[_i];
    struct entry e;
    make_entry(&e, &r->e);
    struct verdict_params p = defaults();
    if (r->backoff >= 0)
        p.fail_backoff = r->backoff;
    int64_t got = verdict_refresh_retry(&e, r->from, &p);
    ck_assert_msg(got == r->want, "%s: got %lld, want %lld", r->name, (long long)got,
                  (long long)r->want);
}
END_TEST

/* A refresh that was due and did not succeed is never due again at once. */
START_TEST(test_refresh_retry_not_due)
{
    struct verdict_params p = defaults();
    for (int64_t now = R; now < E; now += 997) {
        struct entry e;
        struct spec s = VALID(T);
        make_entry(&e, &s);
        ck_assert(verdict_refresh_due(&e, now));
        e.refresh_at = verdict_refresh_retry(&e, now, &p);
        ck_assert_msg(!verdict_refresh_due(&e, now), "due again at once at %lld", (long long)now);
        ck_assert(e.refresh_at >= e.fetched_at && e.refresh_at <= e.expires_at);
    }
}
END_TEST

/* ---- names ----------------------------------------------------------- */

START_TEST(test_names)
{
    const char *q[] = {verdict_query_name(VQ_SERVE), verdict_query_name(VQ_SERVE_REVALIDATE),
                       verdict_query_name(VQ_NEGATIVE), verdict_query_name(VQ_RESOLVE)};
    const char *n[] = {verdict_next_name(VN_FETCH), verdict_next_name(VN_KEEP),
                       verdict_next_name(VN_BACKOFF), verdict_next_name(VN_NEGATIVE),
                       verdict_next_name(VN_TEMPFAIL)};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_str_ne(q[i], "unknown");
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(q[i], q[j]);
    }
    for (size_t i = 0; i < 5; i++) {
        ck_assert_str_ne(n[i], "unknown");
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(n[i], n[j]);
    }
    ck_assert_str_eq(verdict_query_name(VQ_SERVE), "serve");
    ck_assert_str_eq(verdict_next_name(VN_BACKOFF), "backoff");
    ck_assert_str_eq(verdict_query_name((enum verdict_query)77), "unknown");
    ck_assert_str_eq(verdict_next_name((enum verdict_next)77), "unknown");
}
END_TEST

/* ---- properties over a grid of entries and instants ------------------ */

/*
 * The invariants of verdict_query() and verdict_after_txt(); each returns
 * NULL or the rule that does not hold.
 */
static const char *query_violation(const struct entry *e, int64_t now, bool valid,
                                   enum verdict_query q)
{
    if (valid != (e->policy != NULL && now < e->expires_at))
        return "valid iff present and now < expires_at";
    if (valid != (q == VQ_SERVE || q == VQ_SERVE_REVALIDATE))
        return "serve iff valid";
    if (q == VQ_NEGATIVE && !(e->negative_until > now))
        return "negative only before negative_until";
    if (q == VQ_RESOLVE && e->negative_until > now)
        return "resolve while negative";
    return NULL;
}

static const char *txt_violation(const struct entry *e, enum verdict_txt t, const char *id, bool rf,
                                 int64_t now, bool valid, enum verdict_next n,
                                 const struct verdict_params *p)
{
    bool same_valid = t == VTXT_ID && valid && strcmp(id, e->id) == 0;
    if (n == VN_KEEP && !valid)
        return "keep without a valid policy";
    if (valid && (n == VN_NEGATIVE || n == VN_TEMPFAIL))
        return "valid policy dropped";
    if (t == VTXT_TEMPFAIL && n != VN_KEEP && n != VN_TEMPFAIL)
        return "tempfail acted on";
    if (t == VTXT_NONE && !valid && n != VN_NEGATIVE)
        return "no record, no policy, not negative";
    if (n == VN_BACKOFF) {
        const char *fid = t == VTXT_ID ? id : e->id;
        if (strcmp(e->fail_id, fid) != 0)
            return "backoff for another id";
        if (!(now >= e->fail_at && now - e->fail_at < p->fail_backoff))
            return "backoff outside the window";
    }
    if (same_valid && !rf && n != VN_KEEP)
        return "confirmed id not kept";
    if (t == VTXT_ID && !(same_valid && !rf) && n != VN_FETCH && n != VN_BACKOFF)
        return "published id neither fetched nor backed off";
    return NULL;
}

/*
 * For many entries (policy or not, expiries, failures, negative) and
 * instants at every boundary (+-1 s) plus a coarse sweep, every txt kind,
 * published id and refresh flag: the invariants above hold.
 */
START_TEST(test_properties)
{
    struct verdict_params p = defaults();
    static const int64_t expiries[] = {T, T + 300, E};
    static const char *const fail_ids[] = {"", "abc", "def"};
    static const char *const pub_ids[] = {"abc", "def", "ghi"};
    static const int64_t marks[] = {T,       T + 150, T + 200, T + 300, T + 500,
                                    T + 600, T + 900, E,       E + 300};
    int64_t instants[3 * 9 + 200];
    size_t n_instants = 0;
    for (size_t m = 0; m < sizeof(marks) / sizeof(marks[0]); m++)
        for (int64_t d = -1; d <= 1; d++)
            instants[n_instants++] = marks[m] + d;
    for (int64_t t = T - 3600; t <= E + 3600 && n_instants < sizeof(instants) / sizeof(instants[0]);
         t += 3600)
        instants[n_instants++] = t;

    unsigned long checks = 0;
    for (unsigned g = 0; g < 2 * 3 * 3 * 2; g++) {
        bool has = g % 2, neg = g / 18;
        size_t x = g / 2 % 3, f = g / 6 % 3;
        struct entry e;
        memset(&e, 0, sizeof(e));
        e.policy = has ? &test_policy : NULL;
        strcpy(e.id, has ? "abc" : "");
        e.fetched_at = T;
        e.expires_at = expiries[x];
        e.checked_at = T;
        e.refresh_at = T + 150;
        e.negative_until = neg ? T + 600 : 0;
        strcpy(e.fail_id, fail_ids[f]);
        e.fail_at = fail_ids[f][0] ? T + 200 : 0;
        for (size_t k = 0; k < n_instants; k++) {
            int64_t now = instants[k];
            bool valid = verdict_policy_valid(&e, now);
            enum verdict_query q = verdict_query(&e, now, &p);
            const char *bad = query_violation(&e, now, valid, q);
            PROP(bad == NULL, "grid %u now T%+lld: %s", g, (long long)(now - T), bad);
            for (unsigned c = 0; c < 3 * 3 * 2; c++) {
                enum verdict_txt t = (enum verdict_txt)(c % 3);
                const char *id = pub_ids[c / 3 % 3];
                bool rf = c / 9;
                enum verdict_next n = verdict_after_txt(&e, t, id, rf, now, &p);
                bad = txt_violation(&e, t, id, rf, now, valid, n, &p);
                PROP(bad == NULL, "grid %u now T%+lld txt %d id %s refresh %d -> %s: %s", g,
                     (long long)(now - T), (int)t, id, (int)rf, verdict_next_name(n), bad);
                checks++;
            }
        }
    }
    ck_assert_uint_gt(checks, 10000);
}
END_TEST

#define NROWS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *verdict_suite(void)
{
    Suite *s = suite_create("verdict");
    TCase *tc = tcase_create("tables");
    tcase_add_test(tc, test_params_default);
    tcase_add_loop_test(tc, test_policy_valid, 0, NROWS(valid_rows));
    tcase_add_loop_test(tc, test_query, 0, NROWS(query_rows));
    tcase_add_loop_test(tc, test_after_txt, 0, NROWS(txt_rows));
    tcase_add_test(tc, test_after_txt_backoff_param);
    tcase_add_loop_test(tc, test_refresh_at, 0, NROWS(refresh_rows));
    tcase_add_loop_test(tc, test_sweepable, 0, NROWS(sweep_rows));
    tcase_add_loop_test(tc, test_refresh_retry, 0, NROWS(retry_rows));
    tcase_add_test(tc, test_refresh_retry_not_due);
    tcase_add_test(tc, test_names);
    suite_add_tcase(s, tc);
    TCase *prop = tcase_create("properties");
    tcase_set_timeout(prop, 60);
    tcase_add_test(prop, test_refresh_at_spread);
    tcase_add_test(prop, test_refresh_at_property);
    tcase_add_test(prop, test_properties);
    suite_add_tcase(s, prop);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(verdict_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

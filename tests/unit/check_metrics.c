/*
 * check_metrics - unit tests for src/metrics.c (the Prometheus text
 * exposition).
 *
 * A snapshot with a distinct value in every counter is rendered and read
 * back with a small parser of the text format: every sample belongs to
 * the family of the HELP and TYPE lines before it, each family appears
 * once, names and label names are valid, no line has trailing space, and
 * each value is the snapshot's (queries per map and verdict, cache
 * lookups, fetch classes, DNS type x result, downgrades, HTTP codes,
 * gauges).  Histograms: cumulative buckets that end in +Inf = _count and
 * an exact _sum.  Families that are not known yet (census incomplete, no
 * refresh pass, cache unreadable, process off) are left out, not zero.
 * Label values are escaped; metrics_seconds() is exact.  promtool checks
 * the live output in tests/integration/test_metrics.sh.
 */
#include "autoconfig.h"

#include <check.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static void snapshot(struct metrics_snapshot *s)
{
    memset(s, 0, sizeof *s);
    hist_init(&s->counters.query_duration, hist_query_bounds, HIST_QUERY_NBOUNDS);
    hist_init(&s->counters.fetch_duration, hist_fetch_bounds, HIST_FETCH_NBOUNDS);
    s->version = "1.2.3";
    uint64_t v = 1;
    for (unsigned m = 0; m < STATS_MAP__COUNT; m++)
        for (unsigned k = 0; k < STATS_VERDICT__COUNT; k++)
            s->counters.queries_by[m][k] = v++;
    s->counters.cache_hits = 201; /* 100 from a policy, 101 negative */
    s->counters.cache_negative_hits = 101;
    s->counters.cache_misses = 102;
    for (unsigned c = 0; c < FETCH_CLASS__COUNT; c++)
        s->counters.fetches[c] = 200 + c;
    for (unsigned t = 0; t < STATS_DNS_TYPE__COUNT; t++)
        for (unsigned r = 0; r < DNS_ANSWER__COUNT; r++)
            s->counters.dns[t][r] = 1000 + 10 * t + r;
    for (unsigned k = 0; k < STATS_DOWNGRADE__COUNT; k++)
        s->counters.downgrades[k] = 300 + k;
    for (unsigned h = 0; h < STATS_HTTP__COUNT; h++)
        s->counters.metrics_requests[h] = 400 + h;
    s->counters.query_timeouts = 7;
    s->counters.refresh_ok = 8;
    s->counters.refresh_failed = 9;
    s->counters.connections_shed = 11;
    s->counters.fetches_shed = 12;
    s->counters.swept = 13;
    s->counters.dane_checks = 51;
    s->counters.dane_check_failures = 52;
    s->counters.dane_lookups = 53;
    s->counters.dane_lookup_failures = 54;
    s->counters.dane_probe_failures = 55;
    hist_observe(&s->counters.query_duration, 5000);        /* 5 us */
    hist_observe(&s->counters.query_duration, 10000);       /* = first bound */
    hist_observe(&s->counters.query_duration, 2000000);     /* 2 ms */
    hist_observe(&s->counters.query_duration, 99000000000); /* 99 s: +Inf */
    hist_observe(&s->counters.fetch_duration, 150000000);   /* 150 ms */
    s->connections = 21;
    s->queries_waiting = 22;
    s->fetch_running = 23;
    s->fetch_queued = 24;
    s->metrics_connections = 2;
    s->cache_ok = true;
    s->cache_entries = 31;
    s->cache_map_size = 16777216;
    s->cache_used = 65536;
    s->cache_max_size = 1073741824;
    s->census.complete = true;
    s->census.policies[STS_MODE_ENFORCE] = 41;
    s->census.policies[STS_MODE_TESTING] = 42;
    s->census.policies[STS_MODE_NONE] = 43;
    s->census.negative = 44;
    s->census.failing = 45;
    s->expired_known = true;
    s->expired = 46;
    s->process = true;
    s->start_time = 1700000000;
    s->cpu_ns = 1500000000;
    s->rss_bytes = 4096000;
    s->vsize_bytes = 8192000;
    s->open_fds = 17;
    s->max_fds = 1024;
}

/* ---- a reader of the text format ---------------------------------------- */

#define MAX_FAMILIES 128
#define MAX_SAMPLES  1024

struct family {
    char name[96];
    char type[16];
    int nsamples;
};

struct sample {
    char series[256]; /* name{labels} as written */
    char value[48];
};

struct parsed {
    struct family fam[MAX_FAMILIES];
    int nfam;
    struct sample smp[MAX_SAMPLES];
    int nsmp;
};

static bool name_ok(const char *s, size_t n)
{
    if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':'))
            return false;
    return true;
}

/* Does sample name belong to family f (histograms: _bucket, _sum, _count)? */
static bool in_family(const struct family *f, const char *name, size_t n)
{
    size_t fl = strlen(f->name);
    if (n == fl && memcmp(name, f->name, n) == 0)
        return strcmp(f->type, "histogram") != 0;
    if (strcmp(f->type, "histogram") != 0 || n <= fl || memcmp(name, f->name, fl) != 0)
        return false;
    const char *suf = name + fl;
    size_t sl = n - fl;
    return (sl == 7 && memcmp(suf, "_bucket", 7) == 0) ||
           (sl == 4 && memcmp(suf, "_sum", 4) == 0) || (sl == 6 && memcmp(suf, "_count", 6) == 0);
}

static void parse(const char *text, struct parsed *p)
{
    memset(p, 0, sizeof *p);
    const char *line = text;
    ck_assert_msg(text[0] != '\0' && text[strlen(text) - 1] == '\n', "ends with a newline");
    while (*line) {
        const char *end = strchr(line, '\n');
        ck_assert_ptr_nonnull(end);
        size_t len = (size_t)(end - line);
        char buf[512];
        ck_assert_uint_lt(len, sizeof buf);
        memcpy(buf, line, len);
        buf[len] = '\0';
        ck_assert_msg(len > 0 && buf[len - 1] != ' ', "no empty line or trailing space: '%s'", buf);
        if (strncmp(buf, "# HELP ", 7) == 0) {
            ck_assert_int_lt(p->nfam, MAX_FAMILIES);
            struct family *f = &p->fam[p->nfam++];
            char *sp = strchr(buf + 7, ' ');
            ck_assert_ptr_nonnull(sp);
            ck_assert(name_ok(buf + 7, (size_t)(sp - buf - 7)));
            memcpy(f->name, buf + 7, (size_t)(sp - buf - 7));
            for (int i = 0; i + 1 < p->nfam; i++)
                ck_assert_msg(strcmp(p->fam[i].name, f->name) != 0, "family %s twice", f->name);
            /* the TYPE line follows at once */
            line = end + 1;
            end = strchr(line, '\n');
            ck_assert_ptr_nonnull(end);
            char want[160];
            int n = snprintf(want, sizeof want, "# TYPE %s ", f->name);
            ck_assert_msg(strncmp(line, want, (size_t)n) == 0, "TYPE after HELP for %s", f->name);
            snprintf(f->type, sizeof f->type, "%.*s", (int)(end - line - n), line + n);
            ck_assert_msg(strcmp(f->type, "counter") == 0 || strcmp(f->type, "gauge") == 0 ||
                              strcmp(f->type, "histogram") == 0,
                          "type %s", f->type);
            if (strcmp(f->type, "counter") == 0)
                ck_assert_msg(strlen(f->name) > 6 &&
                                  strcmp(f->name + strlen(f->name) - 6, "_total") == 0,
                              "counter %s ends in _total", f->name);
            else
                ck_assert_msg(strstr(f->name, "_total") == NULL, "%s", f->name);
        } else {
            ck_assert_msg(buf[0] != '#', "unexpected comment '%s'", buf);
            ck_assert_int_gt(p->nfam, 0);
            struct family *f = &p->fam[p->nfam - 1];
            size_t nl = strcspn(buf, "{ ");
            ck_assert_msg(in_family(f, buf, nl), "sample '%s' outside its family %s", buf, f->name);
            char *sp = strrchr(buf, ' ');
            ck_assert_ptr_nonnull(sp);
            if (buf[nl] == '{') {
                /* label="value" pairs, comma separated */
                const char *q = buf + nl + 1;
                for (;;) {
                    size_t ln = strcspn(q, "=");
                    ck_assert(name_ok(q, ln));
                    q += ln;
                    ck_assert(q[0] == '=' && q[1] == '"');
                    q += 2;
                    while (*q != '"') {
                        ck_assert(*q != '\0' && *q != '\n');
                        q += *q == '\\' ? 2 : 1;
                    }
                    q++;
                    if (*q == '}')
                        break;
                    ck_assert_msg(*q == ',', "'%s'", buf);
                    q++;
                }
                ck_assert_ptr_eq(q + 1, sp);
            }
            ck_assert_int_lt(p->nsmp, MAX_SAMPLES);
            struct sample *s = &p->smp[p->nsmp++];
            snprintf(s->series, sizeof s->series, "%.*s", (int)(sp - buf), buf);
            snprintf(s->value, sizeof s->value, "%s", sp + 1);
            for (int i = 0; i + 1 < p->nsmp; i++)
                ck_assert_msg(strcmp(p->smp[i].series, s->series) != 0, "%s twice", s->series);
            f->nsamples++;
        }
        line = end + 1;
    }
    for (int i = 0; i < p->nfam; i++)
        ck_assert_msg(p->fam[i].nsamples > 0, "family %s has no sample", p->fam[i].name);
}

static const char *value_of(const struct parsed *p, const char *series)
{
    for (int i = 0; i < p->nsmp; i++)
        if (strcmp(p->smp[i].series, series) == 0)
            return p->smp[i].value;
    return NULL;
}

static bool has_family(const struct parsed *p, const char *name)
{
    for (int i = 0; i < p->nfam; i++)
        if (strcmp(p->fam[i].name, name) == 0)
            return true;
    return false;
}

#define EXPECT(p, series, want)                                                                    \
    do {                                                                                           \
        const char *got_ = value_of((p), (series));                                                \
        ck_assert_msg(got_ != NULL, "no series %s", (series));                                     \
        ck_assert_msg(strcmp(got_, (want)) == 0, "%s = %s, want %s", (series), got_, (want));      \
    } while (0)

static void expect_u(const struct parsed *p, const char *series, uint64_t want)
{
    char w[32];
    snprintf(w, sizeof w, "%" PRIu64, want);
    EXPECT(p, series, w);
}

static struct parsed P;

START_TEST(test_full_snapshot)
{
    struct metrics_snapshot s;
    size_t len;
    char series[256];

    snapshot(&s);
    char *text = metrics_render(&s, &len);
    ck_assert_uint_eq(len, strlen(text));
    parse(text, &P);

    EXPECT(&P, "mtastsd_build_info{version=\"1.2.3\"}", "1");
    /* every possible map x verdict, with its own value */
    for (unsigned m = 0; m < STATS_MAP__COUNT; m++)
        for (unsigned v = 0; v < STATS_VERDICT__COUNT; v++) {
            snprintf(series, sizeof series, "mtastsd_queries_total{map=\"%s\",verdict=\"%s\"}",
                     stats_map_name((enum stats_map)m), stats_verdict_name((enum stats_verdict)v));
            expect_u(&P, series, s.counters.queries_by[m][v]);
        }
    EXPECT(&P, "mtastsd_queries_total{map=\"mtasts\",verdict=\"dane_only\"}", "5");
    EXPECT(&P, "mtastsd_queries_total{map=\"mtasts_tlsrpt\",verdict=\"notfound\"}", "7");
    EXPECT(&P, "mtastsd_queries_total{map=\"mtasts_tlsrpt\",verdict=\"dane_only\"}", "10");
    EXPECT(&P, "mtastsd_dane_checks_total", "51");
    EXPECT(&P, "mtastsd_dane_check_failures_total", "52");
    EXPECT(&P, "mtastsd_dane_lookups_total", "53");
    EXPECT(&P, "mtastsd_dane_lookup_failures_total", "54");
    EXPECT(&P, "mtastsd_dane_probe_failures_total", "55");
    EXPECT(&P, "mtastsd_cache_lookups_total{result=\"hit\"}", "100");
    EXPECT(&P, "mtastsd_cache_lookups_total{result=\"negative_hit\"}", "101");
    EXPECT(&P, "mtastsd_cache_lookups_total{result=\"miss\"}", "102");
    EXPECT(&P, "mtastsd_fetches_total{result=\"ok\"}", "200");
    EXPECT(&P, "mtastsd_fetches_total{result=\"no-record\"}", "202");
    EXPECT(&P, "mtastsd_fetches_total{result=\"https-other\"}", "216");
    EXPECT(&P, "mtastsd_dns_queries_total{type=\"TXT\",result=\"ok\"}", "1000");
    EXPECT(&P, "mtastsd_dns_queries_total{type=\"AAAA\",result=\"timeout\"}", "1025");
    EXPECT(&P, "mtastsd_dns_queries_total{type=\"TLSA\",result=\"servfail\"}", "1043");
    EXPECT(&P, "mtastsd_policy_downgrades_total{kind=\"mode\"}", "300");
    EXPECT(&P, "mtastsd_policy_downgrades_total{kind=\"record_gone\"}", "302");
    EXPECT(&P, "mtastsd_metrics_requests_total{code=\"431\"}", "405");
    EXPECT(&P, "mtastsd_query_timeouts_total", "7");
    EXPECT(&P, "mtastsd_refreshes_total{result=\"ok\"}", "8");
    EXPECT(&P, "mtastsd_refreshes_total{result=\"failed\"}", "9");
    EXPECT(&P, "mtastsd_connections_shed_total", "11");
    EXPECT(&P, "mtastsd_fetches_shed_total", "12");
    EXPECT(&P, "mtastsd_cache_swept_total", "13");
    EXPECT(&P, "mtastsd_connections", "21");
    EXPECT(&P, "mtastsd_queries_waiting", "22");
    EXPECT(&P, "mtastsd_fetch_jobs{state=\"running\"}", "23");
    EXPECT(&P, "mtastsd_fetch_jobs{state=\"queued\"}", "24");
    EXPECT(&P, "mtastsd_metrics_connections", "2");
    EXPECT(&P, "mtastsd_cache_entries", "31");
    EXPECT(&P, "mtastsd_cache_map_size_bytes", "16777216");
    EXPECT(&P, "mtastsd_cache_used_bytes", "65536");
    EXPECT(&P, "mtastsd_cache_max_size_bytes", "1073741824");
    EXPECT(&P, "mtastsd_cache_policies{mode=\"enforce\"}", "41");
    EXPECT(&P, "mtastsd_cache_policies{mode=\"testing\"}", "42");
    EXPECT(&P, "mtastsd_cache_policies{mode=\"none\"}", "43");
    EXPECT(&P, "mtastsd_cache_negative_entries", "44");
    EXPECT(&P, "mtastsd_refresh_failing_domains", "45");
    EXPECT(&P, "mtastsd_cache_expired_policies", "46");
    EXPECT(&P, "process_start_time_seconds", "1700000000");
    EXPECT(&P, "process_cpu_seconds_total", "1.5");
    EXPECT(&P, "process_resident_memory_bytes", "4096000");
    EXPECT(&P, "process_virtual_memory_bytes", "8192000");
    EXPECT(&P, "process_open_fds", "17");
    EXPECT(&P, "process_max_fds", "1024");
    /* histograms */
    EXPECT(&P, "mtastsd_query_duration_seconds_bucket{le=\"0.00001\"}", "2");
    EXPECT(&P, "mtastsd_query_duration_seconds_bucket{le=\"0.001\"}", "2");
    EXPECT(&P, "mtastsd_query_duration_seconds_bucket{le=\"0.0025\"}", "3");
    EXPECT(&P, "mtastsd_query_duration_seconds_bucket{le=\"30\"}", "3");
    EXPECT(&P, "mtastsd_query_duration_seconds_bucket{le=\"+Inf\"}", "4");
    EXPECT(&P, "mtastsd_query_duration_seconds_count", "4");
    EXPECT(&P, "mtastsd_query_duration_seconds_sum", "99.002015");
    EXPECT(&P, "mtastsd_fetch_duration_seconds_bucket{le=\"0.1\"}", "0");
    EXPECT(&P, "mtastsd_fetch_duration_seconds_bucket{le=\"0.25\"}", "1");
    EXPECT(&P, "mtastsd_fetch_duration_seconds_sum", "0.15");
    EXPECT(&P, "mtastsd_fetch_duration_seconds_count", "1");
    free(text);
}
END_TEST

/* Zero counters still appear for the combinations that can occur; the
 * impossible ones (PERM for a served map, other verdicts for an unknown
 * map, MX/TLSA before DANE asks) only once they happen. */
START_TEST(test_zero_and_possible)
{
    struct metrics_snapshot s;
    size_t len;

    memset(&s, 0, sizeof s);
    hist_init(&s.counters.query_duration, hist_query_bounds, HIST_QUERY_NBOUNDS);
    hist_init(&s.counters.fetch_duration, hist_fetch_bounds, HIST_FETCH_NBOUNDS);
    char *text = metrics_render(&s, &len);
    parse(text, &P);
    EXPECT(&P, "mtastsd_queries_total{map=\"mtasts\",verdict=\"secure\"}", "0");
    EXPECT(&P, "mtastsd_queries_total{map=\"mtasts_tlsrpt\",verdict=\"temp\"}", "0");
    EXPECT(&P, "mtastsd_queries_total{map=\"unknown\",verdict=\"perm\"}", "0");
    ck_assert_ptr_null(value_of(&P, "mtastsd_queries_total{map=\"mtasts\",verdict=\"perm\"}"));
    ck_assert_ptr_null(value_of(&P, "mtastsd_queries_total{map=\"unknown\",verdict=\"secure\"}"));
    EXPECT(&P, "mtastsd_dns_queries_total{type=\"A\",result=\"nxdomain\"}", "0");
    ck_assert_ptr_null(value_of(&P, "mtastsd_dns_queries_total{type=\"MX\",result=\"ok\"}"));
    EXPECT(&P, "mtastsd_query_duration_seconds_sum", "0");
    EXPECT(&P, "mtastsd_query_duration_seconds_bucket{le=\"+Inf\"}", "0");
    /* not known yet: left out */
    ck_assert(!has_family(&P, "mtastsd_cache_policies"));
    ck_assert(!has_family(&P, "mtastsd_refresh_failing_domains"));
    ck_assert(!has_family(&P, "mtastsd_cache_negative_entries"));
    ck_assert(!has_family(&P, "mtastsd_cache_expired_policies"));
    ck_assert(!has_family(&P, "mtastsd_cache_entries"));
    ck_assert(!has_family(&P, "process_start_time_seconds"));
    ck_assert(!has_family(&P, "process_cpu_seconds_total"));
    free(text);

    s.counters.queries_by[STATS_MAP_MTASTS][STATS_VERDICT_PERM] = 3;
    s.counters.dns[STATS_DNS_MX][DNS_ANSWER_OK] = 1;
    s.process = true;
    text = metrics_render(&s, &len);
    parse(text, &P);
    EXPECT(&P, "mtastsd_queries_total{map=\"mtasts\",verdict=\"perm\"}", "3");
    EXPECT(&P, "mtastsd_dns_queries_total{type=\"MX\",result=\"ok\"}", "1");
    EXPECT(&P, "mtastsd_dns_queries_total{type=\"MX\",result=\"servfail\"}", "0");
    EXPECT(&P, "process_start_time_seconds", "0");
    ck_assert(!has_family(&P, "process_open_fds")); /* unknown: 0 */
    free(text);
}
END_TEST

START_TEST(test_label_escaping)
{
    struct metrics_snapshot s;
    size_t len;

    snapshot(&s);
    s.version = "1.0 \"x\\y\"\nz";
    char *text = metrics_render(&s, &len);
    ck_assert_msg(strstr(text, "mtastsd_build_info{version=\"1.0 \\\"x\\\\y\\\"\\nz\"} 1\n") !=
                      NULL,
                  "%.200s", text);
    parse(text, &P);
    free(text);
}
END_TEST

struct sec_row {
    uint64_t ns;
    const char *want;
};

static const struct sec_row sec_rows[] = {
    {0, "0"},
    {1, "0.000000001"},
    {10000, "0.00001"},
    {2500000, "0.0025"},
    {1000000000, "1"},
    {30000000000, "30"},
    {99002015000, "99.002015"},
    {UINT64_MAX, "18446744073.709551615"},
};

START_TEST(test_seconds)
{
    char buf[METRICS_SECONDS_BUFSZ];
    ck_assert_str_eq(metrics_seconds(sec_rows[_i].ns, buf), sec_rows[_i].want);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_full_snapshot);
    tcase_add_test(tc, test_zero_and_possible);
    tcase_add_test(tc, test_label_escaping);
    tcase_add_loop_test(tc, test_seconds, 0, sizeof(sec_rows) / sizeof(sec_rows[0]));
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

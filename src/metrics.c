/*
 * metrics - the Prometheus text exposition (see metrics.h).
 *
 * Public functions: metrics_render(), metrics_seconds().
 *
 * The text is built in one growing buffer (mbuf): about 20 KB, most of it
 * the histogram and DNS series.  Each family is written by one call of
 * metrics_family() (HELP and TYPE) followed by its samples; HELP text is
 * escaped as the format asks (backslash, newline) and label values too
 * (backslash, double quote, newline), although every one of them comes
 * from a fixed table here -- the version string included.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "metrics.h"
#include "sts_policy.h"
#include "xalloc.h"

struct mbuf {
    char *p;
    size_t len, cap;
};

static void metrics_grow(struct mbuf *b, size_t need)
{
    if (b->cap - b->len > need)
        return;
    size_t cap = b->cap ? b->cap : 16384;
    while (cap - b->len <= need)
        cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
}

static void metrics_printf(struct mbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void metrics_printf(struct mbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (b->p == NULL || (size_t)n >= b->cap - b->len) {
        metrics_grow(b, (size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

/* s with the bytes the format reserves escaped (quote: inside a label value). */
static void metrics_escaped(struct mbuf *b, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            metrics_printf(b, "\\\\");
        else if (*s == '\n')
            metrics_printf(b, "\\n");
        else if (*s == '"' && quote)
            metrics_printf(b, "\\\"");
        else
            metrics_printf(b, "%c", *s);
    }
}

static void metrics_family(struct mbuf *b, const char *name, const char *type, const char *help)
{
    metrics_printf(b, "# HELP %s ", name);
    metrics_escaped(b, help, false);
    metrics_printf(b, "\n# TYPE %s %s\n", name, type);
}

/* name{l1="v1",l2="v2"} value; l1 == NULL: no labels. */
static void metrics_sample(struct mbuf *b, const char *name, const char *l1, const char *v1,
                           const char *l2, const char *v2, uint64_t value)
{
    metrics_printf(b, "%s", name);
    if (l1 != NULL) {
        metrics_printf(b, "{%s=\"", l1);
        metrics_escaped(b, v1, true);
        metrics_printf(b, "\"");
        if (l2 != NULL) {
            metrics_printf(b, ",%s=\"", l2);
            metrics_escaped(b, v2, true);
            metrics_printf(b, "\"");
        }
        metrics_printf(b, "}");
    }
    metrics_printf(b, " %" PRIu64 "\n", value);
}

static void metrics_scalar(struct mbuf *b, const char *name, const char *type, const char *help,
                           uint64_t value)
{
    metrics_family(b, name, type, help);
    metrics_sample(b, name, NULL, NULL, NULL, NULL, value);
}

const char *metrics_seconds(uint64_t ns, char out[METRICS_SECONDS_BUFSZ])
{
    uint64_t sec = ns / 1000000000u, frac = ns % 1000000000u;
    int n = snprintf(out, METRICS_SECONDS_BUFSZ, "%" PRIu64, sec);
    if (frac != 0 && n > 0 && n < METRICS_SECONDS_BUFSZ - 11) {
        char digits[10];
        snprintf(digits, sizeof digits, "%09" PRIu64, frac);
        size_t len = 9;
        while (len > 0 && digits[len - 1] == '0')
            len--;
        snprintf(out + n, METRICS_SECONDS_BUFSZ - (size_t)n, ".%.*s", (int)len, digits);
    }
    return out;
}

static void metrics_histogram(struct mbuf *b, const char *name, const char *help,
                              const struct hist *h)
{
    char le[METRICS_SECONDS_BUFSZ], sum[METRICS_SECONDS_BUFSZ];
    metrics_family(b, name, "histogram", help);
    for (size_t i = 0; i < h->n; i++)
        metrics_printf(b, "%s_bucket{le=\"%s\"} %" PRIu64 "\n", name,
                       metrics_seconds(h->bounds[i], le), hist_cumulative(h, i));
    metrics_printf(b, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, h->count);
    metrics_printf(b, "%s_sum %s\n", name, metrics_seconds(h->sum, sum));
    metrics_printf(b, "%s_count %" PRIu64 "\n", name, h->count);
}

/* Which map x verdict combinations a query can have: the reply profiles
 * answer every verdict but PERM; an unknown map only PERM.  Others are
 * written only if they ever happen. */
static bool metrics_query_possible(enum stats_map m, enum stats_verdict v)
{
    return m == STATS_MAP_UNKNOWN ? v == STATS_VERDICT_PERM : v != STATS_VERDICT_PERM;
}

static void metrics_queries(struct mbuf *b, const struct stats *st)
{
    metrics_family(b, "mtastsd_queries_total", "counter",
                   "Socketmap queries answered, by map (reply profile; unknown: a map name "
                   "mtastsd does not serve) and verdict.");
    for (unsigned m = 0; m < STATS_MAP__COUNT; m++)
        for (unsigned v = 0; v < STATS_VERDICT__COUNT; v++)
            if (metrics_query_possible((enum stats_map)m, (enum stats_verdict)v) ||
                st->queries_by[m][v] != 0)
                metrics_sample(b, "mtastsd_queries_total", "map", stats_map_name((enum stats_map)m),
                               "verdict", stats_verdict_name((enum stats_verdict)v),
                               st->queries_by[m][v]);
    metrics_scalar(b, "mtastsd_query_timeouts_total", "counter",
                   "Queries answered because query_timeout ran out while their fetch went on "
                   "(answered as without a policy, or TEMP with dns_error = defer).",
                   st->query_timeouts);
    metrics_histogram(b, "mtastsd_query_duration_seconds",
                      "Time from a socketmap request decoded to its reply ready.",
                      &st->query_duration);
    metrics_family(b, "mtastsd_cache_lookups_total", "counter",
                   "What the cache had for a query's policy domain: a valid policy (hit), a "
                   "known absence of policy (negative_hit), or nothing usable (miss: the query "
                   "waited for a fetch).");
    for (unsigned l = 0; l < STATS_LOOKUP__COUNT; l++)
        metrics_sample(b, "mtastsd_cache_lookups_total", "result",
                       stats_lookup_name((enum stats_lookup)l), NULL, NULL,
                       stats_cache_lookups(st, (enum stats_lookup)l));
}

static void metrics_fetches(struct mbuf *b, const struct metrics_snapshot *s)
{
    const struct stats *st = &s->counters;
    metrics_family(b, "mtastsd_fetches_total", "counter",
                   "Fetch jobs ended (TXT lookup, then maybe the HTTPS fetch), by outcome class "
                   "as in the log lines.");
    for (unsigned c = 0; c < FETCH_CLASS__COUNT; c++)
        metrics_sample(b, "mtastsd_fetches_total", "result", fetch_class_name((enum fetch_class)c),
                       NULL, NULL, st->fetches[c]);
    metrics_histogram(b, "mtastsd_fetch_duration_seconds",
                      "Time from a fetch job's start to its end.", &st->fetch_duration);
    metrics_family(b, "mtastsd_fetch_jobs", "gauge",
                   "Fetch jobs running (holding one of max_fetches slots) and queued.");
    metrics_sample(b, "mtastsd_fetch_jobs", "state", "running", NULL, NULL, s->fetch_running);
    metrics_sample(b, "mtastsd_fetch_jobs", "state", "queued", NULL, NULL, s->fetch_queued);
    metrics_scalar(b, "mtastsd_fetches_shed_total", "counter",
                   "Queued fetch jobs dropped because max_queued_fetches was reached.",
                   st->fetches_shed);
    metrics_scalar(b, "mtastsd_fetches_abandoned_total", "counter",
                   "Queued fetch jobs dropped because every query waiting for them left.",
                   st->fetches_abandoned);
    metrics_family(b, "mtastsd_dns_queries_total", "counter",
                   "DNS answers by record type asked and result.");
    for (unsigned t = 0; t < STATS_DNS_TYPE__COUNT; t++) {
        bool any = t <= STATS_DNS_AAAA; /* TXT, A, AAAA: always asked */
        for (unsigned r = 0; r < DNS_ANSWER__COUNT && !any; r++)
            any = st->dns[t][r] != 0;
        if (!any)
            continue;
        for (unsigned r = 0; r < DNS_ANSWER__COUNT; r++)
            metrics_sample(b, "mtastsd_dns_queries_total", "type",
                           stats_dns_type_name((enum stats_dns_type)t), "result",
                           stats_dns_answer_name((enum dns_answer)r), st->dns[t][r]);
    }
    metrics_family(b, "mtastsd_refreshes_total", "counter",
                   "Proactive refreshes of cached policies ended, by result (ok: fetched or "
                   "confirmed; failed: the cached policy stays until it expires).");
    metrics_sample(b, "mtastsd_refreshes_total", "result", "ok", NULL, NULL, st->refresh_ok);
    metrics_sample(b, "mtastsd_refreshes_total", "result", "failed", NULL, NULL,
                   st->refresh_failed);
    metrics_family(b, "mtastsd_policy_downgrades_total", "counter",
                   "Cached enforce policies in force weakened by a refresh or a new id: mode "
                   "enforce to testing or none, mx patterns removed or widened, or the "
                   "_mta-sts TXT record gone.");
    for (unsigned k = 0; k < STATS_DOWNGRADE__COUNT; k++)
        metrics_sample(b, "mtastsd_policy_downgrades_total", "kind",
                       stats_downgrade_name((enum stats_downgrade)k), NULL, NULL,
                       st->downgrades[k]);
}

/* DANE (dane = on): the checks of next hops and the DNS lookups they make,
 * one counter each, as in "mtastsd-ctl stats". */
static void metrics_dane(struct mbuf *b, const struct stats *st)
{
    metrics_scalar(b, "mtastsd_dane_checks_total", "counter",
                   "DANE checks of a next hop (MX, addresses, TLSA) ended (dane = on).",
                   st->dane_checks);
    metrics_scalar(b, "mtastsd_dane_check_failures_total", "counter",
                   "DANE checks in which a lookup failed and no host had usable TLSA records: "
                   "the MTA-STS verdict was answered.",
                   st->dane_check_failures);
    metrics_scalar(b, "mtastsd_dane_lookups_total", "counter",
                   "DNS lookups made by DANE checks: MX, a host's addresses (A and AAAA count "
                   "as one), TLSA.",
                   st->dane_lookups);
    metrics_scalar(b, "mtastsd_dane_lookup_failures_total", "counter",
                   "DNS lookups of DANE checks that failed temporarily or ran out of time.",
                   st->dane_lookup_failures);
    metrics_scalar(b, "mtastsd_dane_probe_failures_total", "counter",
                   "Probes of the resolver (dane_probe_name) answered without the AD bit: "
                   "DANE answered as with dane = off until a probe succeeds.",
                   st->dane_probe_failures);
}

static void metrics_cache(struct mbuf *b, const struct metrics_snapshot *s)
{
    const struct cache_census *c = &s->census;
    if (c->complete) {
        metrics_scalar(b, "mtastsd_refresh_failing_domains", "gauge",
                       "Cached policies (not of mode none) whose refresh failed at least twice "
                       "in a row (RFC 8461 section 10.2); mtastsd-ctl list failing names them.",
                       c->failing);
        metrics_family(b, "mtastsd_cache_policies", "gauge",
                       "Cached policies by mode, expired ones kept for their id included.");
        static const enum sts_mode modes[] = {STS_MODE_ENFORCE, STS_MODE_TESTING, STS_MODE_NONE};
        for (size_t i = 0; i < 3; i++)
            metrics_sample(b, "mtastsd_cache_policies", "mode", sts_mode_name(modes[i]), NULL, NULL,
                           c->policies[modes[i]]);
        metrics_scalar(b, "mtastsd_cache_negative_entries", "gauge",
                       "Cache entries that record a domain without a published policy.",
                       c->negative);
    }
    if (s->expired_known)
        metrics_scalar(b, "mtastsd_cache_expired_policies", "gauge",
                       "Cached policies past their max_age, kept until the sweep removes them, "
                       "as counted by the last complete refresh pass.",
                       s->expired);
    if (s->cache_ok) {
        metrics_scalar(b, "mtastsd_cache_entries", "gauge", "Records in the cache.",
                       s->cache_entries);
        metrics_scalar(b, "mtastsd_cache_map_size_bytes", "gauge",
                       "Current size of the LMDB map (it grows up to cache_max_size).",
                       s->cache_map_size);
        metrics_scalar(b, "mtastsd_cache_used_bytes", "gauge",
                       "Bytes of the LMDB map in use, free pages kept for reuse included.",
                       s->cache_used);
        metrics_scalar(b, "mtastsd_cache_max_size_bytes", "gauge",
                       "cache_max_size: the map never grows past it.", s->cache_max_size);
    }
    metrics_scalar(b, "mtastsd_cache_swept_total", "counter",
                   "Cache entries with nothing valid left deleted by the refresh sweep.",
                   s->counters.swept);
}

static void metrics_connections(struct mbuf *b, const struct metrics_snapshot *s)
{
    const struct stats *st = &s->counters;
    metrics_scalar(b, "mtastsd_connections", "gauge", "Socketmap connections open.",
                   s->connections);
    metrics_scalar(b, "mtastsd_queries_waiting", "gauge",
                   "Socketmap queries waiting for a fetch job.", s->queries_waiting);
    metrics_scalar(b, "mtastsd_connections_accepted_total", "counter",
                   "Socketmap connections accepted.", st->connections_accepted);
    metrics_scalar(b, "mtastsd_connections_rejected_total", "counter",
                   "Socketmap connections refused at max_connections or closed for a "
                   "malformed request.",
                   st->connections_rejected);
    metrics_scalar(b, "mtastsd_connections_shed_total", "counter",
                   "Socketmap connections without a complete request closed at "
                   "max_connections to serve a new client.",
                   st->connections_shed);
    metrics_scalar(b, "mtastsd_connections_slow_total", "counter",
                   "Socketmap connections closed because a request was not complete "
                   "request_timeout after its first byte.",
                   st->connections_slow);
    metrics_scalar(b, "mtastsd_connections_not_reading_total", "counter",
                   "Socketmap connections closed because their replies went unread for "
                   "idle_timeout.",
                   st->connections_not_reading);
    metrics_scalar(b, "mtastsd_control_clients_shed_total", "counter",
                   "Control clients without a request closed at the client limit to serve a "
                   "new one.",
                   st->control_shed);
    metrics_scalar(b, "mtastsd_control_slow_requests_total", "counter",
                   "Control clients closed because their request line was not complete in "
                   "time.",
                   st->control_slow_requests);
    metrics_scalar(b, "mtastsd_metrics_connections", "gauge",
                   "Connections to the metrics endpoint open.", s->metrics_connections);
    metrics_family(b, "mtastsd_metrics_requests_total", "counter",
                   "Requests to the metrics endpoint answered, by HTTP status code.");
    for (unsigned h = 0; h < STATS_HTTP__COUNT; h++) {
        char code[8];
        snprintf(code, sizeof code, "%u", stats_http_code((enum stats_http)h));
        metrics_sample(b, "mtastsd_metrics_requests_total", "code", code, NULL, NULL,
                       st->metrics_requests[h]);
    }
    metrics_scalar(b, "mtastsd_metrics_connections_shed_total", "counter",
                   "Metrics connections without a complete request closed at the connection "
                   "limit to serve a new one.",
                   st->metrics_shed);
    metrics_scalar(b, "mtastsd_metrics_connections_slow_total", "counter",
                   "Metrics connections closed because the request or its response was not "
                   "done within request_timeout.",
                   st->metrics_slow);
}

static void metrics_process(struct mbuf *b, const struct metrics_snapshot *s)
{
    char secs[METRICS_SECONDS_BUFSZ];
    metrics_family(b, "process_cpu_seconds_total", "counter",
                   "Total user and system CPU time spent in seconds.");
    metrics_printf(b, "process_cpu_seconds_total %s\n", metrics_seconds(s->cpu_ns, secs));
    metrics_scalar(b, "process_start_time_seconds", "gauge",
                   "Start time of the process since unix epoch in seconds.",
                   s->start_time > 0 ? (uint64_t)s->start_time : 0);
    if (s->rss_bytes != 0)
        metrics_scalar(b, "process_resident_memory_bytes", "gauge",
                       "Resident memory size in bytes.", s->rss_bytes);
    if (s->vsize_bytes != 0)
        metrics_scalar(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
                       s->vsize_bytes);
    if (s->open_fds != 0)
        metrics_scalar(b, "process_open_fds", "gauge", "Number of open file descriptors.",
                       s->open_fds);
    if (s->max_fds != 0)
        metrics_scalar(b, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
                       s->max_fds);
}

char *metrics_render(const struct metrics_snapshot *s, size_t *len)
{
    struct mbuf b = {NULL, 0, 0};
    metrics_grow(&b, 1);
    metrics_family(&b, "mtastsd_build_info", "gauge",
                   "Always 1; the version label names the running mtastsd.");
    metrics_sample(&b, "mtastsd_build_info", "version", s->version ? s->version : "", NULL, NULL,
                   1);
    metrics_queries(&b, &s->counters);
    metrics_fetches(&b, s);
    metrics_dane(&b, &s->counters);
    metrics_cache(&b, s);
    metrics_connections(&b, s);
    if (s->process)
        metrics_process(&b, s);
    b.p[b.len] = '\0';
    *len = b.len;
    return b.p;
}

/*
 * stats - the process-wide counters (see stats.h).
 */
#include "autoconfig.h"

#include <string.h>

#include "stats.h"

struct stats stats = {
    .query_duration = {.bounds = hist_query_bounds, .n = HIST_QUERY_NBOUNDS},
    .fetch_duration = {.bounds = hist_fetch_bounds, .n = HIST_FETCH_NBOUNDS},
};

void stats_reset(void)
{
    memset(&stats, 0, sizeof(stats));
    hist_init(&stats.query_duration, hist_query_bounds, HIST_QUERY_NBOUNDS);
    hist_init(&stats.fetch_duration, hist_fetch_bounds, HIST_FETCH_NBOUNDS);
}

static const char *stats_name(const char *const *names, size_t n, unsigned i)
{
    return i < n && names[i] != NULL ? names[i] : "unknown";
}

#define STATS_NAME(tab, i) stats_name((tab), sizeof(tab) / sizeof((tab)[0]), (unsigned)(i))

const char *stats_verdict_name(enum stats_verdict v)
{
    switch (v) {
    case STATS_VERDICT_SECURE:
        return "secure";
    case STATS_VERDICT_NOTFOUND:
        return "notfound";
    case STATS_VERDICT_TEMP:
        return "temp";
    case STATS_VERDICT_PERM:
        return "perm";
    case STATS_VERDICT_DANE_ONLY:
        return "dane_only";
    default:
        return "unknown";
    }
}

const char *stats_map_name(enum stats_map m)
{
    static const char *const names[STATS_MAP__COUNT] = {
        [STATS_MAP_MTASTS] = "mtasts",
        [STATS_MAP_MTASTS_TLSRPT] = "mtasts_tlsrpt",
        [STATS_MAP_UNKNOWN] = "unknown",
    };
    return STATS_NAME(names, m);
}

const char *stats_lookup_name(enum stats_lookup l)
{
    static const char *const names[STATS_LOOKUP__COUNT] = {
        [STATS_LOOKUP_HIT] = "hit",
        [STATS_LOOKUP_NEGATIVE_HIT] = "negative_hit",
        [STATS_LOOKUP_MISS] = "miss",
    };
    return STATS_NAME(names, l);
}

const char *stats_dns_type_name(enum stats_dns_type t)
{
    static const char *const names[STATS_DNS_TYPE__COUNT] = {
        [STATS_DNS_TXT] = "TXT", [STATS_DNS_A] = "A",       [STATS_DNS_AAAA] = "AAAA",
        [STATS_DNS_MX] = "MX",   [STATS_DNS_TLSA] = "TLSA", [STATS_DNS_OTHER] = "other",
    };
    return STATS_NAME(names, t);
}

const char *stats_dns_answer_name(enum dns_answer a)
{
    static const char *const names[DNS_ANSWER__COUNT] = {
        [DNS_ANSWER_OK] = "ok",           [DNS_ANSWER_NXDOMAIN] = "nxdomain",
        [DNS_ANSWER_NODATA] = "nodata",   [DNS_ANSWER_SERVFAIL] = "servfail",
        [DNS_ANSWER_REFUSED] = "refused", [DNS_ANSWER_TIMEOUT] = "timeout",
        [DNS_ANSWER_ERROR] = "error",
    };
    return STATS_NAME(names, a);
}

const char *stats_downgrade_name(enum stats_downgrade d)
{
    static const char *const names[STATS_DOWNGRADE__COUNT] = {
        [STATS_DOWNGRADE_MODE] = "mode",
        [STATS_DOWNGRADE_MX] = "mx",
        [STATS_DOWNGRADE_RECORD_GONE] = "record_gone",
    };
    return STATS_NAME(names, d);
}

unsigned stats_http_code(enum stats_http h)
{
    static const unsigned codes[STATS_HTTP__COUNT] = {
        [STATS_HTTP_200] = 200, [STATS_HTTP_400] = 400, [STATS_HTTP_404] = 404,
        [STATS_HTTP_405] = 405, [STATS_HTTP_413] = 413, [STATS_HTTP_431] = 431,
    };
    return (unsigned)h < STATS_HTTP__COUNT ? codes[h] : 0;
}

void stats_dns_query(void *arg, uint16_t type, enum dns_answer a)
{
    enum stats_dns_type t;
    (void)arg;
    switch (type) {
    case DNSMSG_T_TXT:
        t = STATS_DNS_TXT;
        break;
    case DNSMSG_T_A:
        t = STATS_DNS_A;
        break;
    case DNSMSG_T_AAAA:
        t = STATS_DNS_AAAA;
        break;
    case DNSMSG_T_MX:
        t = STATS_DNS_MX;
        break;
    case DNSMSG_T_TLSA:
        t = STATS_DNS_TLSA;
        break;
    default:
        t = STATS_DNS_OTHER;
        break;
    }
    if ((unsigned)a >= DNS_ANSWER__COUNT)
        a = DNS_ANSWER_ERROR;
    stats.dns[t][a]++;
}

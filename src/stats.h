/*
 * stats - process-wide counters for "mtastsd-ctl stats", the Prometheus
 * exposition (metrics.c) and the logs.
 *
 * One global struct, incremented in place by the modules that observe the
 * events (single-threaded, so plain integers).  Names are stable: they
 * are printed by the control socket as "name value" lines, and the label
 * values of the metrics come from the *_name() functions here.
 *
 * Hooks in the core stay one line each: stats_query() for a query's
 * verdict (lookup_count() in lookup.c, and smap.c for an unknown map),
 * stats_query_took() and hist_observe() on stats.fetch_duration, and
 * plain increments.  DNS answers come through dns.h's observer:
 * stats_dns_query() is one (main.c sets it), so that dns.c, which
 * mtastsd-ctl links too, keeps no counters.
 *
 * stats reads no clock: the callers measure durations with clock.h's
 * monotonic clock (clock_mono_ns() for queries, clock_mono_ms() for fetch
 * jobs), so the component tests' fake clock times them too.
 */
#ifndef MTASTSD_STATS_H
#define MTASTSD_STATS_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "dns.h"
#include "fetch.h"
#include "hist.h"
#include "reply.h"

/* A query's verdict.  A new one is one value here and its name in
 * stats.c: the control socket and the exposition list every verdict. */
enum stats_verdict {
    STATS_VERDICT_SECURE = 0, /* OK secure match=... */
    STATS_VERDICT_NOTFOUND,
    STATS_VERDICT_TEMP,
    STATS_VERDICT_PERM,
    STATS_VERDICT_DANE_ONLY, /* OK dane-only (dane = on, RFC 8461 section 2) */
    STATS_VERDICT__COUNT,
};

/* The map a query named: the reply profiles, then any other name. */
enum stats_map {
    STATS_MAP_MTASTS = REPLY_PROFILE_CLASSIC,
    STATS_MAP_MTASTS_TLSRPT = REPLY_PROFILE_TLSRPT,
    STATS_MAP_UNKNOWN, /* answered "PERM unknown map name" */
    STATS_MAP__COUNT,
};

/* What the cache had for a query's policy domain. */
enum stats_lookup {
    STATS_LOOKUP_HIT = 0,      /* a valid policy: answered from it */
    STATS_LOOKUP_NEGATIVE_HIT, /* "no policy published" known: answered NOTFOUND */
    STATS_LOOKUP_MISS,         /* nothing usable: the query waited for a fetch job */
    STATS_LOOKUP__COUNT,
};

/* DNS: the record type asked (how the answer came: enum dns_answer, dns.h). */
enum stats_dns_type {
    STATS_DNS_TXT = 0,
    STATS_DNS_A,
    STATS_DNS_AAAA,
    STATS_DNS_MX,
    STATS_DNS_TLSA,
    STATS_DNS_OTHER,
    STATS_DNS_TYPE__COUNT,
};

/* How a cached policy in force was weakened (fetch.c, downgrade.h). */
enum stats_downgrade {
    STATS_DOWNGRADE_MODE = 0,    /* enforce -> testing or none */
    STATS_DOWNGRADE_MX,          /* mx patterns removed or widened */
    STATS_DOWNGRADE_RECORD_GONE, /* no valid _mta-sts record while enforce is in force */
    STATS_DOWNGRADE__COUNT,
};

/* Responses of the metrics endpoint (httpd.c), by status code. */
enum stats_http {
    STATS_HTTP_200 = 0,
    STATS_HTTP_400, /* malformed request */
    STATS_HTTP_404, /* a path other than /metrics */
    STATS_HTTP_405, /* a method other than GET and HEAD */
    STATS_HTTP_413, /* a request with a body */
    STATS_HTTP_431, /* request line and headers over HTTPD_REQUEST_MAX */
    STATS_HTTP__COUNT,
};

struct stats {
    time_t started;
    uint64_t connections_accepted;
    uint64_t connections_rejected; /* over the limit or protocol errors */
    /* Shedding: connections and jobs dropped so that others are served. */
    uint64_t connections_shed;        /* closed at max_connections for a new client */
    uint64_t connections_slow;        /* request incomplete request_timeout after its first byte */
    uint64_t connections_not_reading; /* replies not read within idle_timeout */
    uint64_t fetches_shed;            /* queued fetch dropped: max_queued_fetches reached */
    uint64_t fetches_abandoned;       /* queued fetch dropped: every query waiting for it left */
    uint64_t control_shed;            /* control client without a request closed at the limit */
    uint64_t control_slow_requests;   /* control request line not complete in time */
    uint64_t queries;
    uint64_t verdicts[STATS_VERDICT__COUNT]; /* replies, also PERM to malformed frames */
    uint64_t queries_by[STATS_MAP__COUNT][STATS_VERDICT__COUNT]; /* queries: map x verdict */
    uint64_t cache_hits;                  /* answered from the cache without waiting */
    uint64_t cache_negative_hits;         /* of those, from a negative entry */
    uint64_t cache_misses;                /* had to wait for a job */
    uint64_t query_timeouts;              /* wait budget ended before the job */
    uint64_t fetches[FETCH_CLASS__COUNT]; /* job outcomes by class */
    uint64_t refresh_started;
    uint64_t refresh_ok;
    uint64_t refresh_failed;
    uint64_t swept;
    uint64_t dns[STATS_DNS_TYPE__COUNT][DNS_ANSWER__COUNT];
    uint64_t downgrades[STATS_DOWNGRADE__COUNT];
    uint64_t metrics_requests[STATS_HTTP__COUNT];
    uint64_t metrics_shed;      /* metrics connection closed at its cap for a new client */
    uint64_t metrics_slow;      /* metrics request or response not done in request_timeout */
    struct hist query_duration; /* request decoded -> reply ready */
    struct hist fetch_duration; /* fetch job started -> ended */
    /* DANE (dane = on): checks of a next hop (MX, addresses, TLSA), the
     * DNS lookups they made, and their failures. */
    uint64_t dane_checks;
    uint64_t dane_check_failures; /* no usable host and a lookup failed */
    uint64_t dane_lookups;        /* MX; a host's A and AAAA (one lookup); TLSA */
    uint64_t dane_lookup_failures;
    uint64_t dane_probe_failures; /* the resolver gave no AD for dane_probe_name */
};

extern struct stats stats;

/* A query answered with verdict v for map m. */
static inline void stats_query(enum stats_map m, enum stats_verdict v)
{
    stats.verdicts[v]++;
    stats.queries_by[m][v]++;
}

/* A query took ns nanoseconds, from its request decoded to its reply
 * ready (smap.c measures it with clock_mono_ns()). */
static inline void stats_query_took(int64_t ns)
{
    hist_observe(&stats.query_duration, ns > 0 ? (uint64_t)ns : 0);
}

/* Every counter back to zero, the histograms to their bounds (tests). */
void stats_reset(void);

/* dns_observe_fn: one DNS answer (or failure) to a question of type
 * (DNSMSG_T_TXT, ...). */
void stats_dns_query(void *arg, uint16_t type, enum dns_answer a);

/* mtastsd_cache_lookups_total{result}: what the cache had for a query. */
static inline uint64_t stats_cache_lookups(const struct stats *st, enum stats_lookup l)
{
    switch (l) {
    case STATS_LOOKUP_HIT:
        return st->cache_hits - st->cache_negative_hits;
    case STATS_LOOKUP_NEGATIVE_HIT:
        return st->cache_negative_hits;
    case STATS_LOOKUP_MISS:
        return st->cache_misses;
    default:
        return 0;
    }
}

const char *stats_verdict_name(enum stats_verdict v);
const char *stats_map_name(enum stats_map m); /* "mtasts", "mtasts_tlsrpt", "unknown" */
const char *stats_lookup_name(enum stats_lookup l);
const char *stats_dns_type_name(enum stats_dns_type t);
const char *stats_dns_answer_name(enum dns_answer a);
const char *stats_downgrade_name(enum stats_downgrade d);
unsigned stats_http_code(enum stats_http h);

#endif

/*
 * stats - process-wide counters for "mtastsd-ctl stats" and the logs.
 *
 * One global struct, incremented in place by the modules that observe the
 * events (single-threaded, so plain integers).  Names are stable: they
 * are printed by the control socket as "name value" lines.
 */
#ifndef MTASTSD_STATS_H
#define MTASTSD_STATS_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "fetch.h"

enum stats_verdict {
    STATS_VERDICT_SECURE = 0, /* OK secure match=... */
    STATS_VERDICT_NOTFOUND,
    STATS_VERDICT_TEMP,
    STATS_VERDICT_PERM,
    STATS_VERDICT_DANE_ONLY, /* OK dane-only (dane = on, RFC 8461 section 2) */
    STATS_VERDICT__COUNT,
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
    uint64_t verdicts[STATS_VERDICT__COUNT];
    uint64_t cache_hits;                  /* answered from the cache without waiting */
    uint64_t cache_misses;                /* had to wait for a job */
    uint64_t query_timeouts;              /* wait budget ended before the job */
    uint64_t fetches[FETCH_CLASS__COUNT]; /* job outcomes by class */
    uint64_t refresh_started;
    uint64_t refresh_ok;
    uint64_t refresh_failed;
    uint64_t swept;
    /* DANE (dane = on): checks of a next hop (MX, addresses, TLSA), the
     * DNS lookups they made, and their failures. */
    uint64_t dane_checks;
    uint64_t dane_check_failures; /* no usable host and a lookup failed */
    uint64_t dane_lookups;        /* MX; a host's A and AAAA (one lookup); TLSA */
    uint64_t dane_lookup_failures;
    uint64_t dane_probe_failures; /* the resolver gave no AD for dane_probe_name */
};

extern struct stats stats;

const char *stats_verdict_name(enum stats_verdict v);

#endif

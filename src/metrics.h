/*
 * metrics - the Prometheus text exposition (format 0.0.4) of a snapshot
 * of mtastsd's counters and gauges: one source of truth for the metrics
 * endpoint (httpd.c) and "mtastsd-ctl stats --prometheus" (control.c).
 *
 * metrics_render() writes every family with its HELP and TYPE lines, in
 * base units (seconds, bytes), counters ending in _total, the two
 * duration histograms as _bucket/_sum/_count series.  Label values come
 * from fixed tables (stats.h, fetch_class.c), never from the network: no
 * label per domain.  Label combinations that can occur are written even
 * while zero (so that rate() and absent() work from the start); a
 * family whose value is not known yet (the cache census before its first
 * walk ends, the expired count before the first refresh pass) is left
 * out rather than written as a wrong zero.  The process_* families (the
 * names every Prometheus client library uses) are written only when
 * snapshot.process is set: node_exporter's textfile collector has its
 * own, and a second process_start_time_seconds there is an error.
 *
 * Gathering the snapshot (reading the modules and /proc) is scrape.c's
 * job; this module only formats.  Ownership: the returned text is
 * malloc'ed, the caller frees it.  Pure: no I/O, no clock.
 */
#ifndef MTASTSD_METRICS_H
#define MTASTSD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "stats.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics_snapshot {
    struct stats counters; /* a copy of the process counters */
    const char *version;   /* mtastsd_build_info{version} */
    /* front ends and jobs */
    uint64_t connections;         /* socketmap connections open */
    uint64_t queries_waiting;     /* queries waiting for a fetch job */
    uint64_t fetch_running;       /* fetch jobs holding a slot */
    uint64_t fetch_queued;        /* fetch jobs waiting for a slot */
    uint64_t metrics_connections; /* connections to the metrics endpoint */
    /* the cache */
    bool cache_ok; /* the sizes below were read */
    uint64_t cache_entries, cache_map_size, cache_used, cache_max_size;
    struct cache_census census; /* written only if census.complete */
    bool expired_known;         /* a refresh pass has ended */
    uint64_t expired;           /* policies past max_age it saw */
    /* the process */
    bool process; /* write the process_* families */
    int64_t start_time;
    uint64_t cpu_ns;
    uint64_t rss_bytes, vsize_bytes; /* 0: unknown, not written */
    uint64_t open_fds, max_fds;      /* 0: unknown, not written */
};

/* The exposition text (NUL-terminated, *len bytes without the NUL). */
char *metrics_render(const struct metrics_snapshot *s, size_t *len);

/*
 * Nanoseconds as decimal seconds, exact, without trailing zeros
 * ("0.00001", "2.5", "30"), into out (at least METRICS_SECONDS_BUFSZ).
 */
#define METRICS_SECONDS_BUFSZ 32
const char *metrics_seconds(uint64_t ns, char out[METRICS_SECONDS_BUFSZ]);

#endif

/*
 * hist - a fixed-bucket histogram of durations, as Prometheus renders
 * them (the `_bucket{le=...}`, `_sum` and `_count` series).
 *
 *   hist_init()        bind a histogram to its bucket bounds;
 *   hist_observe()     count one duration (nanoseconds);
 *   hist_cumulative()  what the `_bucket{le=bounds[i]}` series says: the
 *                      observations <= bounds[i] (i == n: all of them, the
 *                      "+Inf" bucket).
 *
 * Bounds are upper bounds in nanoseconds, strictly ascending, at most
 * HIST_MAX_BUCKETS of them; the "+Inf" bucket is implicit.  A value equal
 * to a bound falls in that bound's bucket (Prometheus's "le": less than
 * or equal).  Counts are kept per bucket (not cumulative), so an
 * observation costs a scan from the smallest bound (one or two steps for
 * the fast queries that are the bulk) and three additions; the sum is in
 * nanoseconds and wraps only after 584 years of summed time.
 *
 * The bound sets of mtastsd's two histograms are here, so that the
 * renderer and the tests see the same ones: HIST_QUERY_BOUNDS (10 us to
 * 30 s, socketmap queries) and HIST_FETCH_BOUNDS (1 ms to 60 s, fetch
 * jobs, whose deadline is about a minute at the default timeouts).
 *
 * Ownership: the bounds array is the caller's and must outlive the
 * histogram (the ones below are static).  Pure: no I/O, no clock, no
 * allocation.
 */
#ifndef MTASTSD_HIST_H
#define MTASTSD_HIST_H

#include <stddef.h>
#include <stdint.h>

#define HIST_MAX_BUCKETS 24

struct hist {
    const uint64_t *bounds; /* ns, ascending */
    size_t n;
    uint64_t counts[HIST_MAX_BUCKETS + 1]; /* counts[n]: above the last bound */
    uint64_t sum;                          /* ns */
    uint64_t count;
};

#define HIST_QUERY_NBOUNDS 20
#define HIST_FETCH_NBOUNDS 14
extern const uint64_t hist_query_bounds[HIST_QUERY_NBOUNDS];
extern const uint64_t hist_fetch_bounds[HIST_FETCH_NBOUNDS];

/* n is clamped to HIST_MAX_BUCKETS; the counts start at zero. */
void hist_init(struct hist *h, const uint64_t *bounds, size_t n);
void hist_observe(struct hist *h, uint64_t ns);
/* Observations <= bounds[i]; i >= n: every observation. */
uint64_t hist_cumulative(const struct hist *h, size_t i);

#endif

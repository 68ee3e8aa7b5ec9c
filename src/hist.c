/*
 * hist - fixed-bucket duration histograms (see hist.h).
 */
#include "autoconfig.h"

#include <string.h>

#include "hist.h"

#define US 1000ULL
#define MS 1000000ULL
#define S  1000000000ULL

/* 10 us .. 30 s: a memoised answer takes microseconds, a query that
 * waits for a fetch up to query_timeout (10 s by default). */
const uint64_t hist_query_bounds[HIST_QUERY_NBOUNDS] = {
    10 * US,      25 * US, 50 * US,     100 * US, 250 * US, 500 * US, 1 * MS,
    25 * MS / 10, 5 * MS,  10 * MS,     25 * MS,  50 * MS,  100 * MS, 250 * MS,
    500 * MS,     1 * S,   25 * S / 10, 5 * S,    10 * S,   30 * S,
};

/* 1 ms .. 60 s: a fetch job is a TXT lookup, maybe an address lookup and
 * an HTTPS GET, bounded by its deadline (6 * dns_timeout + https_timeout
 * + 2 s, 62 s at the defaults). */
const uint64_t hist_fetch_bounds[HIST_FETCH_NBOUNDS] = {
    1 * MS,   5 * MS, 10 * MS, 25 * MS, 50 * MS, 100 * MS, 250 * MS,
    500 * MS, 1 * S,  2 * S,   5 * S,   10 * S,  30 * S,   60 * S,
};

_Static_assert(HIST_QUERY_NBOUNDS <= HIST_MAX_BUCKETS, "query bounds fit");
_Static_assert(HIST_FETCH_NBOUNDS <= HIST_MAX_BUCKETS, "fetch bounds fit");

void hist_init(struct hist *h, const uint64_t *bounds, size_t n)
{
    memset(h, 0, sizeof(*h));
    h->bounds = bounds;
    h->n = n > HIST_MAX_BUCKETS ? HIST_MAX_BUCKETS : n;
}

void hist_observe(struct hist *h, uint64_t ns)
{
    /* The first bound >= ns (i == n: none, the +Inf bucket).  A scan from
     * the smallest bound: almost every observation of the hot path (a
     * cache hit, a few microseconds) stops at the first or second one,
     * cheaper than a binary search's five unpredictable branches. */
    size_t i = 0;
    while (i < h->n && h->bounds[i] < ns)
        i++;
    h->counts[i]++;
    h->sum += ns;
    h->count++;
}

uint64_t hist_cumulative(const struct hist *h, size_t i)
{
    uint64_t c = 0;
    if (i > h->n)
        i = h->n;
    for (size_t k = 0; k <= i; k++)
        c += h->counts[k];
    return c;
}

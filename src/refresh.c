/*
 * refresh - proactive refresh and cleanup, a small batch per tick (see
 * refresh.h).
 *
 * Each tick reads one batch of entries after the saved key (cache_scan
 * ends its read transaction before calling back), starts refresh jobs for
 * the entries that are due, deletes the ones that may be swept, and saves
 * the last key.  When the scan reaches the end, one summary line is
 * logged and the next pass starts from the beginning.  The batch size is
 * count / (REFRESH_PASS_SECONDS / tick), at least REFRESH_BATCH_MIN, so
 * that a million entries are still visited about once an hour.
 */
#include "autoconfig.h"

#include <event2/event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "domain.h"
#include "fetch.h"
#include "log.h"
#include "refresh.h"
#include "stats.h"
#include "xalloc.h"

#define REFRESH_BATCH_MIN 16
#define REFRESH_BATCH_MAX 4096

struct refresh {
    struct event_base *base;
    struct cache *cache;
    struct fetch *fetch;
    struct verdict_params vp;
    unsigned max_fetches;
    struct event *timer;
    char next[DOMAIN_BUFSZ];
    /* per-pass counters */
    size_t seen, started, swept, skipped;
    int64_t pass_started;
};

struct refresh_batch {
    struct refresh *r;
    int64_t now;
    size_t budget; /* refresh jobs we may still start this tick */
};

static bool refresh_visit(void *arg, const char *domain, struct entry *e)
{
    struct refresh_batch *b = arg;
    struct refresh *r = b->r;

    r->seen++;
    if (fetch_in_progress(r->fetch, domain))
        return true;
    if (verdict_refresh_due(e, b->now)) {
        if (b->budget == 0) {
            r->skipped++; /* seen again on the next pass, or sooner by a query */
            return true;
        }
        b->budget--;
        r->started++;
        stats.refresh_started++;
        log_debug("refresh %s: due (refresh_at %lld)", domain, (long long)e->refresh_at);
        fetch_request(r->fetch, domain, true, NULL, NULL);
        return true;
    }
    if (verdict_sweepable(e, b->now, &r->vp)) {
        if (cache_del(r->cache, domain) == CACHE_OK) {
            r->swept++;
            stats.swept++;
            log_debug("refresh %s: expired entry removed", domain);
        }
    }
    return true;
}

void refresh_tick(struct refresh *r)
{
    int64_t now = time(NULL);
    size_t count = cache_count(r->cache);
    size_t ticks_per_pass = REFRESH_PASS_SECONDS * 1000 / REFRESH_TICK_MS;
    size_t batch = count / ticks_per_pass + 1;
    if (batch < REFRESH_BATCH_MIN)
        batch = REFRESH_BATCH_MIN;
    if (batch > REFRESH_BATCH_MAX)
        batch = REFRESH_BATCH_MAX;

    size_t cap = r->max_fetches / 4 ? r->max_fetches / 4 : 1;
    size_t running = fetch_background(r->fetch); /* queries' fetches do not count */
    struct refresh_batch b = {.r = r, .now = now, .budget = running < cap ? cap - running : 0};

    if (r->pass_started == 0)
        r->pass_started = now;
    bool done = false;
    char next[DOMAIN_BUFSZ];
    next[0] = '\0';
    if (cache_scan(r->cache, r->next, batch, refresh_visit, &b, next, &done) != CACHE_OK) {
        log_error("refresh: cannot read the cache; will retry");
        return;
    }
    snprintf(r->next, sizeof(r->next), "%s", next);
    if (done) {
        /* A pass over a small cache takes one tick: info only when it
         * did something, or that line would come every second. */
        bool busy = r->started > 0 || r->swept > 0 || r->skipped > 0;
        if (busy || r->seen > 0)
            log_msg(busy ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG,
                    "refresh pass: %zu entries in %lld s, %zu refreshes started, %zu expired "
                    "entries removed, %zu deferred",
                    r->seen, (long long)(now - r->pass_started), r->started, r->swept, r->skipped);
        r->seen = r->started = r->swept = r->skipped = 0;
        r->pass_started = 0;
        r->next[0] = '\0';
    }
}

static void refresh_on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    refresh_tick(arg);
}

struct refresh *refresh_new(struct event_base *base, struct cache *cache, struct fetch *fetch,
                            const struct verdict_params *vp, unsigned max_fetches)
{
    struct refresh *r = xcalloc(1, sizeof(*r));
    r->base = base;
    r->cache = cache;
    r->fetch = fetch;
    r->vp = *vp;
    r->max_fetches = max_fetches;
    r->timer = event_new(base, -1, EV_PERSIST, refresh_on_timer, r);
    struct timeval tv = {.tv_sec = REFRESH_TICK_MS / 1000,
                         .tv_usec = (REFRESH_TICK_MS % 1000) * 1000};
    event_add(r->timer, &tv);
    return r;
}

void refresh_reconfigure(struct refresh *r, const struct verdict_params *vp, unsigned max_fetches)
{
    r->vp = *vp;
    r->max_fetches = max_fetches;
}

void refresh_free(struct refresh *r)
{
    if (r == NULL)
        return;
    event_free(r->timer);
    free(r);
}

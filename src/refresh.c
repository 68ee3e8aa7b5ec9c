/*
 * refresh - proactive refresh: the sweep, a small batch per tick, and the
 * timer queue for refreshes the sweep could miss (see refresh.h).
 *
 * Sweep: each tick reads one batch of entries after the saved key
 * (cache_scan ends its read transaction before calling back), starts
 * refresh jobs for the entries that are due, deletes the ones that may be
 * swept, queues the ones that need the timer queue, and saves the last
 * key.  When the scan reaches the end, one summary line is logged and the
 * next pass starts from the beginning.  The batch size is count /
 * (REFRESH_PASS_SECONDS / tick), at least REFRESH_BATCH_MIN, so that a
 * million entries are still visited about once an hour.
 *
 * Timer queue: refresh_schedule() puts a domain in the dueq at its
 * refresh_at when expires_at - refresh_at < REFRESH_QUEUE_SPAN (and takes
 * it out otherwise); the one "soon" timer is armed for the earliest due
 * time.  When it fires, each due domain's entry is read again: a refresh
 * still due is started (within the job budget; over it, the domain is
 * queued again one second later), one that is no longer due is queued at
 * its new time.  A domain whose job is already running is dropped: the
 * job stores an entry, and the store hook queues it again.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "clock.h"
#include "domain.h"
#include "dueq.h"
#include "fetch.h"
#include "log.h"
#include "refresh.h"
#include "stats.h"
#include "xalloc.h"

#define REFRESH_BATCH_MIN 16
#define REFRESH_BATCH_MAX 4096
#define REFRESH_SOON_MAX  1024 /* due domains handled per timer event */

struct refresh {
    struct event_base *base;
    struct cache *cache;
    struct fetch *fetch;
    struct verdict_params vp;
    unsigned max_fetches;
    struct clock_timer *timer; /* the sweep's tick, every REFRESH_TICK_MS */
    char next[DOMAIN_BUFSZ];
    /* per-pass counters */
    size_t seen, started, swept, skipped, queue_full, expired;
    size_t expired_last; /* expired policies kept, as the last complete pass counted */
    bool expired_known;
    int64_t pass_started;
    /* the timer queue */
    struct dueq *soon;
    struct clock_timer *soon_timer;
    int64_t soon_armed; /* due time the soon timer is armed for; 0: not armed */
};

/* Refresh jobs we may still start: a quarter of max_fetches in flight. */
static size_t refresh_budget(const struct refresh *r)
{
    size_t cap = r->max_fetches / 4 ? r->max_fetches / 4 : 1;
    size_t running = fetch_background(r->fetch); /* queries' fetches do not count */
    return running < cap ? cap - running : 0;
}

/* Arm the soon timer for the earliest queued due time, but not before
 * not_before (if it is not armed for that time or earlier already). */
static void refresh_arm(struct refresh *r, int64_t now, int64_t not_before)
{
    int64_t due;

    if (!dueq_peek(r->soon, &due)) {
        if (r->soon_armed != 0)
            clock_timer_del(r->soon_timer);
        r->soon_armed = 0;
        return;
    }
    if (due < not_before)
        due = not_before;
    if (due < now)
        due = now;
    if (r->soon_armed != 0 && r->soon_armed <= due)
        return; /* armed for this time or earlier: it re-arms when it fires */
    /* clock_wall() truncates: when a timer of (due - now) s fires, the
     * wall clock has reached due. */
    clock_timer_add(r->soon_timer, (due - now) * 1000);
    r->soon_armed = due;
}

/*
 * Queue the domain's refresh if the sweep could be too late for it: a
 * valid policy whose refresh time is less than REFRESH_QUEUE_SPAN before
 * its expiry.  Anything else leaves the queue.
 */
static void refresh_schedule(struct refresh *r, const char *domain, const struct entry *e,
                             int64_t now)
{
    if (!verdict_policy_valid(e, now) || e->expires_at - e->refresh_at >= REFRESH_QUEUE_SPAN) {
        dueq_del(r->soon, domain);
        return;
    }
    if (!dueq_set(r->soon, domain, e->refresh_at)) {
        if (r->queue_full++ == 0)
            log_warning("refresh %s: the timer queue holds %d domains; this one is refreshed by "
                        "the sweep, which may be too late for its max_age %u",
                        domain, REFRESH_QUEUE_MAX, (unsigned)e->policy->max_age);
        return;
    }
    refresh_arm(r, now, now);
}

/* fetch_store_fn: a job stored an entry. */
static void refresh_on_store(void *arg, const char *domain, const struct entry *e)
{
    struct refresh *r = arg;
    refresh_schedule(r, domain, e, clock_wall());
}

static void refresh_on_soon(void *arg)
{
    struct refresh *r = arg;
    int64_t now = clock_wall(), due;
    char domain[DOMAIN_BUFSZ];
    size_t budget = refresh_budget(r);

    r->soon_armed = 0;
    for (int n = 0; n < REFRESH_SOON_MAX && budget > 0 && dueq_pop_due(r->soon, now, domain, &due);
         n++) {
        if (fetch_in_progress(r->fetch, domain))
            continue; /* its job stores an entry, which queues it again */
        struct entry e;
        entry_init(&e);
        if (cache_get(r->cache, domain, &e) != CACHE_OK) {
            entry_clear(&e);
            continue; /* gone (flushed, swept): nothing to refresh */
        }
        if (verdict_refresh_due(&e, now)) {
            budget--;
            stats.refresh_started++;
            log_debug("refresh %s: due (refresh_at %lld, expires %lld), from the timer queue",
                      domain, (long long)e.refresh_at, (long long)e.expires_at);
            fetch_request(r->fetch, domain, true, NULL, NULL);
        } else {
            refresh_schedule(r, domain, &e, now); /* moved, or no longer needed */
        }
        entry_clear(&e);
    }
    /* Refreshes still due wait for a free job: look again in a second. */
    refresh_arm(r, now, budget == 0 ? now + 1 : now);
}

struct refresh_batch {
    struct refresh *r;
    int64_t now;
    size_t budget; /* refresh jobs we may still start this tick */
};

static bool refresh_visit(void *arg, const char *domain, struct entry *e)
{
    struct refresh_batch *b = arg;
    struct refresh *r = b->r;
    bool expired = e->policy != NULL && !verdict_policy_valid(e, b->now);

    r->seen++;
    r->expired += expired; /* taken back below if it is swept */
    if (fetch_in_progress(r->fetch, domain))
        return true;
    if (verdict_refresh_due(e, b->now)) {
        if (b->budget == 0) {
            r->skipped++; /* seen again on the next pass, or sooner by a query */
            refresh_schedule(r, domain, e, b->now);
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
        dueq_del(r->soon, domain);
        if (cache_del(r->cache, domain) == CACHE_OK) {
            r->expired -= expired;
            r->swept++;
            stats.swept++;
            log_debug("refresh %s: expired entry removed", domain);
        }
        return true;
    }
    refresh_schedule(r, domain, e, b->now);
    return true;
}

void refresh_tick(struct refresh *r)
{
    int64_t now = clock_wall();
    size_t count = cache_count(r->cache);
    size_t ticks_per_pass = REFRESH_PASS_SECONDS * 1000 / REFRESH_TICK_MS;
    size_t batch = count / ticks_per_pass + 1;
    if (batch < REFRESH_BATCH_MIN)
        batch = REFRESH_BATCH_MIN;
    if (batch > REFRESH_BATCH_MAX)
        batch = REFRESH_BATCH_MAX;

    struct refresh_batch b = {.r = r, .now = now, .budget = refresh_budget(r)};

    if (r->pass_started == 0)
        r->pass_started = now;
    bool done = false;
    char next[DOMAIN_BUFSZ];
    next[0] = '\0';
    if (cache_scan(r->cache, r->next, batch, refresh_visit, &b, next, &done) != CACHE_OK) {
        log_debug("refresh: the cache cannot be read (cache.c said why); next tick");
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
                    "entries removed, %zu deferred, %zu in the timer queue",
                    r->seen, (long long)(now - r->pass_started), r->started, r->swept, r->skipped,
                    dueq_size(r->soon));
        r->expired_last = r->expired;
        r->expired_known = true;
        r->seen = r->started = r->swept = r->skipped = r->queue_full = r->expired = 0;
        r->pass_started = 0;
        r->next[0] = '\0';
    }
}

static void refresh_on_timer(void *arg)
{
    struct refresh *r = arg;
    clock_timer_add(r->timer, REFRESH_TICK_MS);
    refresh_tick(r);
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
    r->soon = dueq_new(REFRESH_QUEUE_MAX);
    r->soon_timer = clock_timer_new(base, refresh_on_soon, r);
    r->timer = clock_timer_new(base, refresh_on_timer, r);
    clock_timer_add(r->timer, REFRESH_TICK_MS);
    fetch_set_store_hook(fetch, refresh_on_store, r);
    return r;
}

void refresh_reconfigure(struct refresh *r, const struct verdict_params *vp, unsigned max_fetches)
{
    r->vp = *vp;
    r->max_fetches = max_fetches;
}

bool refresh_expired(const struct refresh *r, size_t *n)
{
    *n = r->expired_last;
    return r->expired_known;
}

void refresh_free(struct refresh *r)
{
    if (r == NULL)
        return;
    fetch_set_store_hook(r->fetch, NULL, NULL);
    clock_timer_free(r->timer);
    clock_timer_free(r->soon_timer);
    dueq_free(r->soon);
    free(r);
}

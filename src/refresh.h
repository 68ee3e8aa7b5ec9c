/*
 * refresh - the proactive refresh: a sweep over the cache and a timer
 * queue for refreshes the sweep could be too late for (DESIGN section 4,
 * STYLE practice 9, RFC 8461 section 10.2).
 *
 * The sweep: a timer visits the cache in small batches, resuming from the
 * last key seen: for each entry whose refresh is due (verdict_refresh_due)
 * it starts a background fetch job (refresh = true); entries that
 * verdict_sweepable() allows are deleted.  The batch size adapts so that a
 * full pass over the cache takes about REFRESH_PASS_SECONDS however many
 * entries there are.  One summary line is logged per pass.
 *
 * The timer queue: a policy whose refresh time is less than
 * REFRESH_QUEUE_SPAN before its expiry (a short max_age, or a refresh that
 * failed and is retried near the expiry) could expire before the sweep
 * comes back to it.  Such a domain is put in a queue ordered by due time
 * (dueq) when a fetch job stores its entry (fetch_set_store_hook()) and
 * when the sweep sees it, and one timer starts its refresh when it is
 * due, with no query in between.  The cached entry decides, as for the
 * sweep: the job's verdict rules (the 5-minute back-off per failed id,
 * verdict_refresh_retry) move the refresh time, and the stored result
 * puts the domain back in the queue.  At most REFRESH_QUEUE_MAX domains
 * are queued; beyond that the sweep refreshes them (a warning per pass).
 *
 * Both keep at most a quarter of max_fetches refresh jobs in flight
 * (running or queued); a due refresh over that is deferred (the queue
 * tries again each second).
 *
 * Each pass also counts the policies past their max_age that it keeps
 * (refresh_expired()): the one cache gauge that depends on the clock, so
 * it is counted where every entry is visited anyway rather than kept by
 * the cache census.
 *
 * Time: wall-clock reads and both timers go through clock.h (the
 * component tests move time with a fake clock).
 */
#ifndef MTASTSD_REFRESH_H
#define MTASTSD_REFRESH_H

#include <stdbool.h>
#include <stddef.h>

#include "verdict.h"

struct event_base;
struct cache;
struct fetch;
struct refresh;

#define REFRESH_PASS_SECONDS 3600 /* target duration of a full pass */
#define REFRESH_TICK_MS      1000
/* Queue a refresh due less than this before the policy's expiry: the
 * sweep is at most about one pass late. */
#define REFRESH_QUEUE_SPAN (2 * REFRESH_PASS_SECONDS)
#define REFRESH_QUEUE_MAX  65536 /* domains in the timer queue */

struct refresh *refresh_new(struct event_base *base, struct cache *cache, struct fetch *fetch,
                            const struct verdict_params *vp, unsigned max_fetches);
void refresh_reconfigure(struct refresh *r, const struct verdict_params *vp, unsigned max_fetches);
void refresh_free(struct refresh *r);
/* The policies past their max_age that the last complete pass saw and
 * kept (for mtastsd_cache_expired_policies); false before the first
 * pass has ended. */
bool refresh_expired(const struct refresh *r, size_t *n);
/* Run one batch now (tests and "mtastsd-ctl refresh"-style triggers). */
void refresh_tick(struct refresh *r);

#endif

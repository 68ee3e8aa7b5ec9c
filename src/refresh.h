/*
 * refresh - the proactive refresh and cleanup sweep (DESIGN section 4,
 * STYLE practice 9).
 *
 * A timer visits the cache in small batches, resuming from the last key
 * seen: for each entry whose refresh is due (verdict_refresh_due) it
 * starts a background fetch job (refresh = true), keeping at most a
 * quarter of max_fetches refresh jobs in flight; entries that
 * verdict_sweepable() allows are deleted.  The batch size adapts so that
 * a full pass over the cache takes about REFRESH_PASS_SECONDS however
 * many entries there are.  One summary line is logged per pass.
 */
#ifndef MTASTSD_REFRESH_H
#define MTASTSD_REFRESH_H

#include <stddef.h>

#include "verdict.h"

struct event_base;
struct cache;
struct fetch;
struct refresh;

#define REFRESH_PASS_SECONDS 3600 /* target duration of a full pass */
#define REFRESH_TICK_MS      1000

struct refresh *refresh_new(struct event_base *base, struct cache *cache, struct fetch *fetch,
                            const struct verdict_params *vp, unsigned max_fetches);
void refresh_reconfigure(struct refresh *r, const struct verdict_params *vp, unsigned max_fetches);
void refresh_free(struct refresh *r);
/* Run one batch now (tests and "mtastsd-ctl refresh"-style triggers). */
void refresh_tick(struct refresh *r);

#endif

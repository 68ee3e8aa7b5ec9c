/*
 * trim - malloc_trim() after a burst, at most once per interval (see
 * trim.h).
 */
#include "autoconfig.h"

#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "log.h"
#include "trim.h"
#include "xalloc.h"

struct trim {
    struct clock_timer *timer; /* NULL without malloc_trim() */
    int64_t last_ms;           /* 0: never */
    trim_still_fn still;
    void *still_arg;
    char who[32];
};

#ifdef HAVE_MALLOC_TRIM
static void trim_on_timer(void *arg)
{
    struct trim *t = arg;
    /* A new burst began: its end asks again. */
    if (t->still != NULL && !t->still(t->still_arg))
        return;
    t->last_ms = clock_mono_ms();
    int released = malloc_trim(0);
    log_debug("%s: burst over, heap trimmed (%s)", t->who,
              released ? "memory released" : "nothing to release");
}
#endif

struct trim *trim_new(struct event_base *base, const char *who, trim_still_fn still, void *arg)
{
    struct trim *t = xcalloc(1, sizeof(*t));
    snprintf(t->who, sizeof(t->who), "%s", who);
    t->still = still;
    t->still_arg = arg;
#ifdef HAVE_MALLOC_TRIM
    t->timer = clock_timer_new(base, trim_on_timer, t);
#else
    (void)base;
#endif
    return t;
}

void trim_soon(struct trim *t)
{
    if (t == NULL || t->timer == NULL || clock_timer_pending(t->timer))
        return;
    int64_t wait_ms = 0;
    if (t->last_ms != 0) {
        wait_ms = t->last_ms + TRIM_INTERVAL_MS - clock_mono_ms();
        if (wait_ms < 0)
            wait_ms = 0;
        if (wait_ms > TRIM_INTERVAL_MS)
            wait_ms = TRIM_INTERVAL_MS;
    }
    clock_timer_add(t->timer, wait_ms);
}

void trim_free(struct trim *t)
{
    if (t == NULL)
        return;
    clock_timer_free(t->timer);
    free(t);
}

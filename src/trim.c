/*
 * trim - malloc_trim() after a burst, at most once per interval (see
 * trim.h).
 */
#include "autoconfig.h"

#include <event2/event.h>
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "trim.h"
#include "xalloc.h"

struct trim {
    struct event *ev;
    int64_t last_ms; /* 0: never */
    char who[32];
};

static int64_t trim_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#ifdef HAVE_MALLOC_TRIM
static void trim_on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct trim *t = arg;
    (void)fd;
    (void)what;
    t->last_ms = trim_now_ms();
    int released = malloc_trim(0);
    log_debug("%s: burst over, heap trimmed (%s)", t->who,
              released ? "memory released" : "nothing to release");
}
#endif

struct trim *trim_new(struct event_base *base, const char *who)
{
    struct trim *t = xcalloc(1, sizeof(*t));
    snprintf(t->who, sizeof(t->who), "%s", who);
#ifdef HAVE_MALLOC_TRIM
    t->ev = evtimer_new(base, trim_on_timer, t);
    if (t->ev == NULL)
        log_warning("%s: cannot create the heap trim timer; freed memory is not returned", who);
#else
    (void)base;
#endif
    return t;
}

void trim_soon(struct trim *t)
{
    if (t == NULL || t->ev == NULL || evtimer_pending(t->ev, NULL))
        return;
    int64_t wait_ms = 0;
    if (t->last_ms != 0) {
        wait_ms = t->last_ms + TRIM_INTERVAL_MS - trim_now_ms();
        if (wait_ms < 0)
            wait_ms = 0;
        if (wait_ms > TRIM_INTERVAL_MS)
            wait_ms = TRIM_INTERVAL_MS;
    }
    struct timeval tv = {.tv_sec = (time_t)(wait_ms / 1000),
                         .tv_usec = (suseconds_t)(wait_ms % 1000) * 1000};
    evtimer_add(t->ev, &tv);
}

void trim_free(struct trim *t)
{
    if (t == NULL)
        return;
    if (t->ev != NULL)
        event_free(t->ev);
    free(t);
}

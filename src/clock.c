/*
 * clock - the real clock (see clock.h): time(), CLOCK_MONOTONIC and
 * libevent timers.  The only file of the daemon that reads the time or
 * makes a libevent timer; tests/component/fake_clock.c stands in for it
 * in the component tests.
 */
#include "autoconfig.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "clock.h"
#include "xalloc.h"

struct clock_timer {
    struct event *ev;
    clock_timer_fn fn;
    void *arg;
    bool armed; /* mirrors evtimer_pending(), without asking libevent */
};

int64_t clock_wall(void)
{
    return (int64_t)time(NULL);
}

/* The one read of the monotonic clock. */
int64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t clock_mono_ms(void)
{
    return clock_mono_ns() / 1000000;
}

static void clock_on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct clock_timer *t = arg;
    (void)fd;
    (void)what;
    t->armed = false;
    t->fn(t->arg);
}

struct clock_timer *clock_timer_new(struct event_base *base, clock_timer_fn fn, void *arg)
{
    struct clock_timer *t = xcalloc(1, sizeof(*t));
    t->fn = fn;
    t->arg = arg;
    t->ev = evtimer_new(base, clock_on_timer, t);
    if (t->ev == NULL) {
        fprintf(stderr, "mtastsd: cannot create a timer event\n");
        abort();
    }
    return t;
}

void clock_timer_add(struct clock_timer *t, int64_t ms)
{
    if (ms < 0)
        ms = 0;
    struct timeval tv = {.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000};
    evtimer_add(t->ev, &tv);
    t->armed = true;
}

/* Deleting a timer that is not armed is common (smap disarms its
 * "not reading" timer after every complete write): free of libevent. */
void clock_timer_del(struct clock_timer *t)
{
    if (!t->armed)
        return;
    evtimer_del(t->ev);
    t->armed = false;
}

bool clock_timer_pending(const struct clock_timer *t)
{
    return t->armed;
}

void clock_timer_free(struct clock_timer *t)
{
    if (t == NULL)
        return;
    event_free(t->ev);
    free(t);
}

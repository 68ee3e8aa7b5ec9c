/*
 * fake_clock - clock.h for the component tests (see fake_clock.h).
 *
 * Pending timers sit in one list ordered by (due, sequence of the add).
 * The zero-delay kick is a real libevent timer on the base of the first
 * clock_timer_new(): it fires the timers due now that were added before
 * it ran (one turn's worth, like libevent's own zero timers) and arms
 * itself again if more are due.
 */
#include "autoconfig.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/queue.h>

#include "clock.h"
#include "fake_clock.h"
#include "xalloc.h"

struct clock_timer {
    clock_timer_fn fn;
    void *arg;
    bool pending;
    int64_t due;
    uint64_t seq;
    TAILQ_ENTRY(clock_timer) link;
};

static TAILQ_HEAD(, clock_timer) fake_timers = TAILQ_HEAD_INITIALIZER(fake_timers);
static int64_t fake_mono = FAKE_CLOCK_MONO0;
static int64_t fake_wall_offset = (int64_t)FAKE_CLOCK_WALL0 * 1000 - FAKE_CLOCK_MONO0;
static uint64_t fake_seq;
static size_t fake_npending;
static struct event_base *fake_base;
static struct event *fake_kick;

void fake_clock_reset(void)
{
    fake_mono = FAKE_CLOCK_MONO0;
    fake_wall_offset = (int64_t)FAKE_CLOCK_WALL0 * 1000 - FAKE_CLOCK_MONO0;
}

void fake_clock_shutdown(void)
{
    if (fake_kick != NULL)
        event_free(fake_kick);
    fake_kick = NULL;
    fake_base = NULL;
}

void fake_clock_set_wall(int64_t t)
{
    fake_wall_offset = t * 1000 - fake_mono;
}

int64_t clock_wall(void)
{
    return (fake_mono + fake_wall_offset) / 1000;
}

int64_t clock_mono_ms(void)
{
    return fake_mono;
}

/* Fake time moves in whole milliseconds. */
int64_t clock_mono_ns(void)
{
    return fake_mono * 1000000;
}

static void fake_unlink(struct clock_timer *t)
{
    if (!t->pending)
        return;
    TAILQ_REMOVE(&fake_timers, t, link);
    t->pending = false;
    fake_npending--;
}

static void fake_fire(struct clock_timer *t)
{
    fake_unlink(t);
    t->fn(t->arg); /* may add, delete or free t */
}

static void fake_arm_kick(void)
{
    static const struct timeval zero = {0, 0};
    if (fake_kick != NULL && !evtimer_pending(fake_kick, NULL))
        evtimer_add(fake_kick, &zero);
}

/* One loop turn's worth of timers due now. */
static void fake_on_kick(evutil_socket_t fd, short what, void *arg)
{
    uint64_t limit = fake_seq;
    (void)fd;
    (void)what;
    (void)arg;
    for (;;) {
        struct clock_timer *t;
        TAILQ_FOREACH(t, &fake_timers, link)
            if (t->due > fake_mono || t->seq <= limit)
                break;
        if (t == NULL || t->due > fake_mono)
            break;
        fake_fire(t);
    }
    struct clock_timer *first = TAILQ_FIRST(&fake_timers);
    if (first != NULL && first->due <= fake_mono)
        fake_arm_kick();
}

struct clock_timer *clock_timer_new(struct event_base *base, clock_timer_fn fn, void *arg)
{
    if (fake_base == NULL) {
        fake_base = base;
        fake_kick = evtimer_new(base, fake_on_kick, NULL);
        if (fake_kick == NULL)
            abort();
    }
    struct clock_timer *t = xcalloc(1, sizeof(*t));
    t->fn = fn;
    t->arg = arg;
    return t;
}

void clock_timer_add(struct clock_timer *t, int64_t ms)
{
    fake_unlink(t);
    t->due = fake_mono + (ms > 0 ? ms : 0);
    t->seq = ++fake_seq;
    struct clock_timer *after;
    TAILQ_FOREACH(after, &fake_timers, link)
        if (after->due > t->due)
            break;
    if (after != NULL)
        TAILQ_INSERT_BEFORE(after, t, link);
    else
        TAILQ_INSERT_TAIL(&fake_timers, t, link);
    t->pending = true;
    fake_npending++;
    if (t->due <= fake_mono)
        fake_arm_kick();
}

void clock_timer_del(struct clock_timer *t)
{
    fake_unlink(t);
}

bool clock_timer_pending(const struct clock_timer *t)
{
    return t->pending;
}

void clock_timer_free(struct clock_timer *t)
{
    if (t == NULL)
        return;
    fake_unlink(t);
    free(t);
}

bool fake_clock_step(int64_t until)
{
    struct clock_timer *t = TAILQ_FIRST(&fake_timers);
    if (t == NULL || t->due > until) {
        if (until > fake_mono)
            fake_mono = until;
        return false;
    }
    if (t->due > fake_mono)
        fake_mono = t->due;
    fake_fire(t);
    return true;
}

size_t fake_clock_pending(void)
{
    return fake_npending;
}

bool fake_clock_next_due(int64_t *due_ms)
{
    struct clock_timer *t = TAILQ_FIRST(&fake_timers);
    if (t == NULL)
        return false;
    *due_ms = t->due;
    return true;
}

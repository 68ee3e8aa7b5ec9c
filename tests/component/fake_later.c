/*
 * fake_later - deferred answers of the fake adapters (see fake_later.h).
 * Loop turns are counted with a real libevent zero timer added again from
 * its own callback (libevent runs such a timer once per loop iteration);
 * fake time with a clock.h timer (the fake clock's).
 */
#include "autoconfig.h"

#include <event2/event.h>
#include <stdlib.h>

#include "clock.h"
#include "fake_later.h"
#include "xalloc.h"

struct fake_later {
    fake_later_fn fn;
    void *arg;
    int64_t turns_left;
    struct event *turn;        /* real zero timer: one per loop turn */
    struct clock_timer *timer; /* fake time */
};

static void fake_later_on_turn(evutil_socket_t fd, short what, void *arg)
{
    static const struct timeval zero = {0, 0};
    struct fake_later *l = arg;
    (void)fd;
    (void)what;
    if (--l->turns_left > 0) {
        evtimer_add(l->turn, &zero);
        return;
    }
    l->fn(l->arg);
}

static void fake_later_on_timer(void *arg)
{
    struct fake_later *l = arg;
    l->fn(l->arg);
}

struct fake_later *fake_later_new(struct event_base *base, struct fake_timing when,
                                  fake_later_fn fn, void *arg)
{
    struct fake_later *l = xcalloc(1, sizeof(*l));
    l->fn = fn;
    l->arg = arg;
    l->turn = evtimer_new(base, fake_later_on_turn, l);
    l->timer = clock_timer_new(base, fake_later_on_timer, l);
    if (l->turn == NULL)
        abort();
    switch (when.when) {
    case FAKE_NOW:
        fake_later_now(l);
        break;
    case FAKE_TURNS: {
        static const struct timeval zero = {0, 0};
        l->turns_left = when.n > 0 ? when.n : 1;
        evtimer_add(l->turn, &zero);
        break;
    }
    case FAKE_AFTER_MS:
        clock_timer_add(l->timer, when.n);
        break;
    case FAKE_NEVER:
        break;
    }
    return l;
}

void fake_later_now(struct fake_later *l)
{
    static const struct timeval zero = {0, 0};
    clock_timer_del(l->timer);
    l->turns_left = 1;
    evtimer_add(l->turn, &zero);
}

void fake_later_free(struct fake_later *l)
{
    if (l == NULL)
        return;
    event_free(l->turn);
    clock_timer_free(l->timer);
    free(l);
}

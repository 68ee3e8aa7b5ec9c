/*
 * slots - connection slots, shedding and pausing at the cap (see
 * slots.h).
 *
 * Public functions: slots_new(), slots_free(), slots_set_listener(),
 * slots_set_max(), slots_add(), slots_remove(), slots_set(),
 * slots_full(), slots_victim(), slots_pause(), slots_count().
 *
 * While paused at the cap, a timer fires when the oldest IDLE or PARTIAL
 * connection becomes min_age_ms old in its state (min_age_ms from now if
 * every connection is BUSY): it resumes accepting once a slot is free or
 * a connection is old enough to be shed (the owner's accept callback then
 * sheds it), and otherwise looks again the same way.  (Looking every
 * min_age_ms from the pause missed a connection that became sheddable a
 * moment after it, and made the newcomer wait up to twice as long.)
 */
#include "autoconfig.h"

#include <stdlib.h>

#include "clock.h"
#include "listener.h"
#include "slots.h"
#include "xalloc.h"

TAILQ_HEAD(slots_list, slot);

struct slots {
    struct listener *listener;
    unsigned max;
    size_t n;
    int64_t min_age_ms;
    struct slots_list idle, partial; /* oldest first */
    bool paused;
    struct clock_timer *limit; /* looks for something to shed while paused */
};

static struct slots_list *slots_list(struct slots *s, enum slots_state st)
{
    return st == SLOTS_IDLE ? &s->idle : &s->partial;
}

static void slots_resume(struct slots *s)
{
    s->paused = false;
    clock_timer_del(s->limit);
    listener_resume(s->listener);
}

static void slots_on_limit(void *arg)
{
    struct slots *s = arg;
    if (!s->paused)
        return;
    if (!slots_full(s) || slots_victim(s) != NULL) {
        slots_resume(s);
        return;
    }
    slots_pause(s);
}

struct slots *slots_new(struct event_base *base, unsigned max, int64_t min_age_ms)
{
    struct slots *s = xcalloc(1, sizeof(*s));
    s->max = max;
    s->min_age_ms = min_age_ms;
    TAILQ_INIT(&s->idle);
    TAILQ_INIT(&s->partial);
    s->limit = clock_timer_new(base, slots_on_limit, s);
    return s;
}

void slots_free(struct slots *s)
{
    if (s == NULL)
        return;
    clock_timer_free(s->limit);
    free(s);
}

void slots_set_listener(struct slots *s, struct listener *l)
{
    s->listener = l;
}

void slots_set_max(struct slots *s, unsigned max)
{
    s->max = max;
    if (!slots_full(s))
        slots_resume(s);
}

void slots_add(struct slots *s, struct slot *sl)
{
    sl->state = SLOTS_BUSY;
    sl->since_ms = 0;
    s->n++;
}

void slots_remove(struct slots *s, struct slot *sl)
{
    if (sl->state != SLOTS_BUSY)
        TAILQ_REMOVE(slots_list(s, sl->state), sl, link);
    sl->state = SLOTS_BUSY;
    s->n--;
    if (!slots_full(s))
        slots_resume(s);
}

void slots_set(struct slots *s, struct slot *sl, enum slots_state st)
{
    if (st == sl->state)
        return;
    if (sl->state != SLOTS_BUSY)
        TAILQ_REMOVE(slots_list(s, sl->state), sl, link);
    sl->state = st;
    if (st == SLOTS_BUSY)
        return;
    sl->since_ms = clock_mono_ms();
    TAILQ_INSERT_TAIL(slots_list(s, st), sl, link);
}

bool slots_full(const struct slots *s)
{
    return s->n >= s->max;
}

struct slot *slots_victim(const struct slots *s)
{
    int64_t old_enough = clock_mono_ms() - s->min_age_ms;
    struct slot *sl = TAILQ_FIRST(&s->partial);
    if (sl != NULL && sl->since_ms <= old_enough)
        return sl;
    sl = TAILQ_FIRST(&s->idle);
    if (sl != NULL && sl->since_ms <= old_enough)
        return sl;
    return NULL;
}

/* Milliseconds until the oldest IDLE or PARTIAL connection is
 * min_age_ms old in its state (min_age_ms if there is none). */
static int64_t slots_next_victim_ms(const struct slots *s)
{
    int64_t now = clock_mono_ms(), due = now + s->min_age_ms;
    const struct slot *heads[] = {TAILQ_FIRST(&s->partial), TAILQ_FIRST(&s->idle)};
    for (size_t i = 0; i < 2; i++)
        if (heads[i] != NULL && heads[i]->since_ms + s->min_age_ms < due)
            due = heads[i]->since_ms + s->min_age_ms;
    return due > now ? due - now : 0;
}

void slots_pause(struct slots *s)
{
    listener_pause(s->listener);
    s->paused = true;
    clock_timer_add(s->limit, slots_next_victim_ms(s));
}

size_t slots_count(const struct slots *s)
{
    return s->n;
}

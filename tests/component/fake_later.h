/*
 * fake_later - when a fake adapter answers: now (on the next loop turn),
 * after N turns of the real event loop, after N ms of fake time, or
 * never (until fake_later_now()).  Shared by fake_dns.c and fake_https.c.
 *
 * An answer never comes from inside the call that asked (dns.h and
 * https.h promise that): FAKE_NOW is the next loop turn, not the call.
 */
#ifndef MTASTSD_FAKE_LATER_H
#define MTASTSD_FAKE_LATER_H

#include <stdint.h>

struct event_base;
struct fake_later;

enum fake_when {
    FAKE_NOW = 0,  /* the next turn of the event loop */
    FAKE_TURNS,    /* after n turns of the event loop (n >= 1) */
    FAKE_AFTER_MS, /* after n ms of fake time (fake_clock.h) */
    FAKE_NEVER,    /* only when the test says (fake_*_release()) */
};

struct fake_timing {
    enum fake_when when;
    int64_t n;
};

#define FAKE_AT_ONCE        ((struct fake_timing){FAKE_NOW, 0})
#define FAKE_AFTER_TURNS(k) ((struct fake_timing){FAKE_TURNS, (k)})
#define FAKE_AFTER(ms)      ((struct fake_timing){FAKE_AFTER_MS, (ms)})
#define FAKE_HOLD           ((struct fake_timing){FAKE_NEVER, 0})

typedef void (*fake_later_fn)(void *arg);

struct fake_later *fake_later_new(struct event_base *base, struct fake_timing when,
                                  fake_later_fn fn, void *arg);
/* Answer on the next loop turn, whatever the timing said. */
void fake_later_now(struct fake_later *l);
/* Cancel and free (the callback is not called); NULL is fine. */
void fake_later_free(struct fake_later *l);

#endif

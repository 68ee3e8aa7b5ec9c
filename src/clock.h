/*
 * clock - the daemon's only window on time: the wall clock, a monotonic
 * clock, and timers (STYLE practice 16: the clock is an input).
 *
 * Two clocks, two roles, never mixed:
 *
 *   clock_wall()     seconds since the epoch (time()).  The RFC 8461
 *                    timing rules and everything stored or compared with
 *                    what is stored: fetched_at, expires_at, checked_at,
 *                    refresh_at, negative_until, fail_at (the 5-minute
 *                    back-off), the `now` given to verdict_*(), the memo's
 *                    second (lookup.c), log rate limits, file names.  It
 *                    may jump (NTP, an operator); nothing waits on it.
 *
 *   clock_mono_ms()  milliseconds of a monotonic clock (CLOCK_MONOTONIC).
 *                    Durations only: how long a fetch took, how long a
 *                    connection has been idle or on a shedding list, when
 *                    the heap was last trimmed.  Never stored.
 *   clock_mono_ns()  the same clock in nanoseconds, for what is shorter
 *                    than a millisecond: a socketmap query answered from
 *                    the cache (mtastsd_query_duration_seconds starts at
 *                    10 us).  clock_mono_ms() is clock_mono_ns() / 10^6.
 *
 * Timers run on the monotonic clock: clock_timer_add(t, ms) fires t once,
 * ms milliseconds from now; ms = 0 fires it on the next turn of the event
 * loop, never from inside clock_timer_add() (the way to defer work to the
 * loop).  Adding a pending timer re-arms it; a timer fires at most once
 * per add.  A wait for a wall-clock time (a refresh due at refresh_at) is
 * armed for the difference to clock_wall(), in whole seconds.
 *
 * Implementations (link exactly one):
 *   src/clock.c                   the real one: time(), clock_gettime(),
 *                                 libevent timers on the caller's base.
 *   tests/component/fake_clock.c  the component tests': a settable wall
 *                                 clock and a scheduler whose timers fire
 *                                 only when the test advances time, so
 *                                 max_age expiry, the back-off, negative
 *                                 TTL, recheck and refresh times, query,
 *                                 job and slow-client deadlines are exact
 *                                 and instant (see fake_clock.h there).
 *
 * Ownership: clock_timer_new() never returns NULL (it aborts when libevent
 * cannot make an event, as x* allocations do); clock_timer_free() cancels
 * and frees (NULL is fine).  A timer's callback may add, delete or free
 * that same timer.  Single-threaded, like the event loop it runs on.
 */
#ifndef MTASTSD_CLOCK_H
#define MTASTSD_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct clock_timer;

typedef void (*clock_timer_fn)(void *arg);

/* Wall-clock seconds since the epoch: the RFC timing rules. */
int64_t clock_wall(void);
/* Monotonic milliseconds: durations only. */
int64_t clock_mono_ms(void);
/* The same clock in nanoseconds (sub-millisecond durations). */
int64_t clock_mono_ns(void);

struct clock_timer *clock_timer_new(struct event_base *base, clock_timer_fn fn, void *arg);
/* Fire once, ms (>= 0; less counts as 0) milliseconds from now. */
void clock_timer_add(struct clock_timer *t, int64_t ms);
void clock_timer_del(struct clock_timer *t);
bool clock_timer_pending(const struct clock_timer *t);
void clock_timer_free(struct clock_timer *t);

#endif

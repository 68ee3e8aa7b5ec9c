/*
 * fake_clock - src/clock.h for the component tests: a settable wall clock
 * and a scheduler whose timers fire only when the test moves time on.
 *
 * Time stands still until the test calls fake_clock_step() (through
 * harness_advance()): each call moves the monotonic clock, and the wall
 * clock with it, to the earliest timer due no later than `until`, and
 * fires that one timer, outside the event loop, as libevent would from
 * it.  A timer added with 0 ms (the core's "next loop turn") is due now:
 * it fires on the next turn of the real event loop (a libevent zero
 * timer kicks the fake scheduler), in the order it was added, never from
 * inside clock_timer_add().  Timers due at the same time fire in the
 * order they were added.
 *
 * The two clocks keep their roles (clock.h): fake_clock_set_wall() makes
 * the wall clock jump (NTP, an operator) without moving the monotonic
 * one; stepping moves both by the same amount.
 *
 * State is process-wide (the component tests run each test in its own
 * process, Check's default); fake_clock_reset() starts it again.
 */
#ifndef MTASTSD_FAKE_CLOCK_H
#define MTASTSD_FAKE_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FAKE_CLOCK_WALL0 1700000000 /* wall clock at reset (2023-11-14T22:13:20Z) */
#define FAKE_CLOCK_MONO0 1000000    /* monotonic ms at reset */

void fake_clock_reset(void);
/* Free the kick event before the event base goes (timers must be freed
 * by their owners first). */
void fake_clock_shutdown(void);
/* Let the wall clock jump to t (seconds) without moving the monotonic one. */
void fake_clock_set_wall(int64_t t);
/* Fire the earliest timer due at or before the monotonic time `until`
 * (ms), moving the clocks to its due time; false (clocks moved to until)
 * when there is none. */
bool fake_clock_step(int64_t until);
/* Timers pending, and the due time of the earliest (false if none). */
size_t fake_clock_pending(void);
bool fake_clock_next_due(int64_t *due_ms);

#endif

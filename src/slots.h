/*
 * slots - the connection slots of one service: a cap on connections, the
 * choice of which connection to shed for a newcomer, and pausing the
 * listener when there is none.  Shared by the socketmap (smap.c) and the
 * metrics endpoint (httpd.c), so that both treat hostile clients alike.
 *
 * Each connection embeds a struct slot and tells the module what state it
 * is in with slots_set():
 *   SLOTS_BUSY     a request is being answered or its reply written:
 *                  never shed;
 *   SLOTS_IDLE     holding a slot with nothing buffered;
 *   SLOTS_PARTIAL  holding a slot with part of a request buffered.
 * IDLE and PARTIAL connections are kept in two lists (<sys/queue.h>
 * TAILQs) in the order they got there (a connection joins the tail), so
 * slots_victim() is O(1): the oldest PARTIAL connection, else the oldest
 * IDLE one, provided it has been so for at least min_age_ms (a client
 * that just connected gets to send its request).
 *
 * At the cap (slots_full()), the owner either sheds slots_victim() and
 * accepts the newcomer, or refuses the newcomer and calls slots_pause():
 * the listener stops accepting (new clients wait in the kernel's listen
 * queue) and a timer looks again when the oldest connection that is not
 * BUSY becomes old enough to be the victim (min_age_ms from now if all
 * are BUSY); a
 * connection that closes (slots_remove()) or a larger cap
 * (slots_set_max()) resumes accepting at once.
 *
 * Time: since_ms is clock_mono_ms() (clock.h) and the timer is a
 * clock_timer, so that the component tests play shedding on the fake
 * clock.
 *
 * Ownership: the owner's connections own their struct slot; the module
 * only links them.  slots_free() before the listener is closed.
 */
#ifndef MTASTSD_SLOTS_H
#define MTASTSD_SLOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

struct event_base;
struct listener;
struct slots;

enum slots_state {
    SLOTS_BUSY = 0,
    SLOTS_IDLE,
    SLOTS_PARTIAL,
};

struct slot {
    enum slots_state state;
    int64_t since_ms; /* clock_mono_ms() when it got into its state (IDLE and PARTIAL) */
    TAILQ_ENTRY(slot) link;
};

struct slots *slots_new(struct event_base *base, unsigned max, int64_t min_age_ms);
void slots_free(struct slots *s);
/* The listener paused at the cap (may be NULL: nothing to pause). */
void slots_set_listener(struct slots *s, struct listener *l);
void slots_set_max(struct slots *s, unsigned max);

/* A connection took a slot (state BUSY until slots_set()). */
void slots_add(struct slots *s, struct slot *sl);
/* It closed: the slot is free, accepting resumes if it was paused. */
void slots_remove(struct slots *s, struct slot *sl);
/* Its state changed; since_ms restarts only when the state changes. */
void slots_set(struct slots *s, struct slot *sl, enum slots_state st);

bool slots_full(const struct slots *s);
/* The connection to shed for a newcomer, or NULL. */
struct slot *slots_victim(const struct slots *s);
/* Nothing to shed: stop accepting until a slot frees or a victim appears. */
void slots_pause(struct slots *s);
size_t slots_count(const struct slots *s);

#endif

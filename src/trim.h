/*
 * trim - give freed heap back to the kernel after a burst.
 *
 * glibc keeps freed heap (fragmented free chunks inside the heap and the
 * arenas) for reuse; after a burst of large allocations (socketmap replies
 * held for clients that did not read them, TLS transfers) that memory
 * would stay in RssAnon for the life of the process.  The owner of such a
 * burst calls trim_soon() when the burst has ended: malloc_trim(0) then
 * runs from the event loop, at once if the last trim of this handle is at
 * least TRIM_INTERVAL_MS old, otherwise when it is, so a steady trickle of
 * bursts trims at most once per interval.  Without malloc_trim (not
 * glibc) nothing is armed and trim_soon() does nothing.
 *
 * The optional `still` predicate is asked when the timer fires: false (a
 * new burst has begun meanwhile) skips that trim, and the end of the new
 * burst calls trim_soon() again (fetch.c: no job running or queued).
 *
 * API: trim_new(base, who, still, arg) (never NULL; still may be NULL),
 * trim_soon(t), trim_free(t).  Timers and time through clock.h.
 * Diagnostics: one debug line per trim.
 */
#ifndef MTASTSD_TRIM_H
#define MTASTSD_TRIM_H

#include <stdbool.h>

struct event_base;
struct trim;

#define TRIM_INTERVAL_MS 2000

typedef bool (*trim_still_fn)(void *arg);

struct trim *trim_new(struct event_base *base, const char *who, trim_still_fn still, void *arg);
void trim_soon(struct trim *t);
void trim_free(struct trim *t);

#endif

/*
 * smap - socketmap connections from Postfix (DESIGN section 2).
 *
 * One struct per connection with an explicit state machine:
 *   READ   waiting for (more of) a request frame
 *   WAIT   a lookup is in progress for the current frame; further frames
 *          stay buffered (answered in order afterwards); earlier replies
 *          the client has not taken are written meanwhile, and a partial
 *          write leaves the state at WAIT (never WRITE, which would let
 *          the frames behind the lookup be answered before it)
 *   WRITE  a reply is being written (partial write: wait for EV_WRITE)
 *   CLOSE  flushing a final PERM reply, then closing
 * smap_conn_enter_state() logs "old -> new" at debug level.
 *
 * Requests are netstrings of at most 10000 bytes ("<map> <key>"); a
 * malformed or oversize frame gets "PERM ..." and the connection is
 * closed.  Several frames in one read are answered in order; a frame
 * split over many reads is reassembled; input beyond one frame plus a
 * small margin is not read until the current request is answered
 * (backpressure), and buffered requests are not answered while more than
 * SMAP_OUT_HIGH bytes of replies wait for the client to read them.  Idle
 * connections are closed after idle_timeout; a request must be complete
 * within request_timeout of its first byte.  A client that vanishes
 * mid-request cancels its lookup; the fetch goes on.
 *
 * smap_accept() is the listener callback; it enforces max_connections,
 * closing the oldest connection without a complete request to make room
 * for a new client (see smap.c).  smap_buffered() is the number of bytes
 * held in connection buffers (mtastsd-ctl status).
 *
 * Re-entrancy: a lookup's answer (lookup_cb) may arrive while smap is
 * answering the next frames of the same connection only through the
 * event loop (lookup never calls back from inside lookup_start()), so a
 * connection handles one frame at a time.  smap_accept() may close an
 * older connection to make room, from inside the call; it calls the
 * listener only through listener_pause() and listener_resume().
 */
#ifndef MTASTSD_SMAP_H
#define MTASTSD_SMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct lookup;
struct listener;
struct smap;

#define SMAP_REQUEST_MAX 10000
#define SMAP_OUT_HIGH    (16 * 1024) /* unsent reply bytes that pause answering */

struct smap_params {
    unsigned max_connections;
    int64_t idle_timeout;    /* seconds */
    int64_t request_timeout; /* seconds from a request's first byte to its end */
};

struct smap *smap_new(struct event_base *base, struct lookup *lookup, const struct smap_params *p);
/* Listeners to pause/resume at the connection limit (may be NULL). */
void smap_set_listener(struct smap *s, struct listener *l);
void smap_reconfigure(struct smap *s, const struct smap_params *p);
/* listener_accept_cb */
bool smap_accept(void *smap, int fd);
/* Close every connection (shutdown). */
void smap_free(struct smap *s);
size_t smap_connections(const struct smap *s);
size_t smap_buffered(const struct smap *s);

#endif

/*
 * smap - socketmap connections (see smap.h).
 *
 * Buffers: each connection reads into an input buffer that starts small
 * and grows up to one maximal frame (SMAP_REQUEST_MAX plus its length
 * prefix and comma); when it is full, reading stops until the current
 * request is answered, so a client can never make us buffer more.  The
 * complete frames in the buffer are answered in order, their replies
 * appended to one output buffer and written with one send() -- but only
 * while the unsent output is at most SMAP_OUT_HIGH: beyond that the
 * output is written first, and if the client does not take it (a partial
 * send), answering and reading pause until EV_WRITE has drained it.  So a
 * client that pipelines requests and never reads holds at most
 * SMAP_OUT_HIGH plus one reply (REPLY_MAX) of output and one input
 * buffer, and the whole stays bounded by max_connections.  Output buffers
 * are sized to what they hold and freed once drained if larger than
 * SMAP_OUT_KEEP; when the bytes held in connection buffers fall to a
 * quarter of their peak (at least SMAP_TRIM_MIN), the freed heap is given
 * back to the kernel (trim.h).
 *
 * Events: one persistent read event, added while reading, with an idle
 * timer (idle_timeout, re-armed by every read: in state READ with nothing
 * buffered it closes the connection); one write event used only after a
 * partial send, with the "unread" timer (idle_timeout, re-armed whenever
 * the client takes some output: it closes a client that does not read
 * its replies); and a request deadline: from the first byte of a request
 * that is not yet complete, request_timeout; it is not re-armed by
 * further bytes, so a client that drips a frame one byte at a time is
 * closed all the same.  Timers and times go through clock.h, so the
 * component tests play every deadline exactly.
 *
 * Shedding at max_connections (slots.c, shared with the metrics
 * endpoint): the connections in state READ hold a slot without a
 * complete request; they are kept in two lists in the order they got
 * there: "partial" (part of a request buffered, since its first byte)
 * and "idle" (nothing buffered, since the last reply).  When a new client
 * arrives and every slot is taken, the oldest partial connection is
 * closed to make room, else the oldest idle one, provided it has been so
 * for at least SMAP_SHED_MIN_AGE_MS (a client that just connected gets
 * to send its request).  A connection waiting for a lookup
 * or for its client to read is never shed.  Postfix retries a lookup once
 * on a connection the server closed, so an idle Postfix connection that is
 * shed costs it a reconnect.  With nothing to shed, accepting pauses (new
 * clients wait in the listen queue) and is tried again every
 * SMAP_SHED_MIN_AGE_MS and whenever a connection closes.
 *
 * Every kind of shedding is counted (connections_shed, connections_slow,
 * connections_not_reading) and logged through a token bucket
 * (SMAP_LOG_BURST lines, then one per second).
 *
 * A malformed frame, an oversize frame, or a request without "<map>
 * <key>" gets "PERM <reason>"; the connection is then closed once the
 * reply is flushed.  An unknown map name gets "PERM unknown map name"
 * and the connection stays open.
 */
#include "autoconfig.h"

#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "lookup.h"
#include "netstring.h"
#include "queue_safe.h"
#include "reply.h"
#include "slots.h"
#include "smap.h"
#include "stats.h"
#include "trim.h"
#include "xalloc.h"

#define SMAP_IN_INITIAL      256
#define SMAP_IN_MAX          (SMAP_REQUEST_MAX + NETSTRING_MAX_DIGITS + 2)
#define SMAP_OUT_KEEP        4096      /* larger output buffers are freed once drained */
#define SMAP_OUT_CHUNK       4096      /* output buffers grow in these steps */
#define SMAP_TRIM_MIN        (1 << 20) /* trim after a peak of at least this much */
#define SMAP_SHED_MIN_AGE_MS 1000      /* never shed a connection younger in its state */
#define SMAP_LOG_BURST       10        /* shedding lines at once, then one per second */

_Static_assert(SMAP_OUT_HIGH >= SMAP_OUT_KEEP, "a batch of small replies fits before a flush");

enum smap_state {
    SMAP_READ = 0,
    SMAP_WAIT,
    SMAP_WRITE,
    SMAP_CLOSE,
};

static const char *const smap_state_names[] = {"read", "wait", "write", "close"};

struct smap_conn {
    struct smap *s;
    int fd;
    enum smap_state state;
    struct event *rev;            /* EV_READ, while reading */
    struct event *wev;            /* EV_WRITE, after a partial send */
    struct clock_timer *idle;     /* idle_timeout without input, while reading */
    struct clock_timer *unread;   /* idle_timeout without output taken, after a partial send */
    struct clock_timer *deadline; /* request_timeout from the first byte of a request */
    char *in;
    size_t inlen, incap;
    char *out;
    size_t outlen, outoff, outcap;
    struct lookup_query *q;
    int64_t q_started;          /* clock_mono_ns() when q's request was decoded */
    bool reading;               /* rev is added */
    struct slot slot;           /* SLOTS_IDLE / SLOTS_PARTIAL in state READ, else BUSY */
    LIST_ENTRY(smap_conn) link; /* on s->conns */
};

struct smap {
    struct event_base *base;
    struct lookup *lookup;
    struct smap_params p;
    LIST_HEAD(, smap_conn) conns;
    size_t nconns;
    int64_t last_limit_log;
    struct slots *slots;    /* max_connections: shedding and pausing at the cap */
    size_t heap, heap_peak; /* bytes in connection buffers, and their peak since the last trim */
    struct trim *trim;
    struct log_limit log_shed, log_slow, log_unread;
};

static void smap_conn_enter_state(struct smap_conn *c, enum smap_state st)
{
    if (c->state != st)
        log_debug("smap fd %d: %s -> %s", c->fd, smap_state_names[c->state], smap_state_names[st]);
    c->state = st;
}

/* Account for a change of the bytes held in connection buffers. */
static void smap_heap_account(struct smap *s, size_t before, size_t after)
{
    s->heap = s->heap - before + after;
    if (s->heap > s->heap_peak) {
        s->heap_peak = s->heap;
    } else if (s->heap_peak >= SMAP_TRIM_MIN && s->heap <= s->heap_peak / 4) {
        /* The burst is over: give the freed buffers back. */
        trim_soon(s->trim);
        s->heap_peak = s->heap;
    }
}

static struct smap_conn *smap_conn_of(struct slot *sl)
{
    return (struct smap_conn *)(void *)((char *)sl - offsetof(struct smap_conn, slot));
}

/*
 * Tell the slots which shedding list c belongs on (slots.h), and keep its
 * request deadline: armed when a request begins (its first byte), never
 * re-armed while it stays incomplete, removed once it is complete.
 * Called at the end of every event on the connection.
 */
static void smap_conn_track(struct smap_conn *c)
{
    struct smap *s = c->s;
    enum slots_state want = SLOTS_BUSY;
    if (c->state == SMAP_READ)
        want = c->inlen == 0 ? SLOTS_IDLE : SLOTS_PARTIAL;
    if (want == c->slot.state)
        return;
    if (c->slot.state == SLOTS_PARTIAL)
        clock_timer_del(c->deadline);
    slots_set(s->slots, &c->slot, want);
    if (want == SLOTS_PARTIAL)
        clock_timer_add(c->deadline, s->p.request_timeout * 1000);
}

static void smap_conn_free(struct smap_conn *c)
{
    struct smap *s = c->s;
    if (c->q != NULL)
        lookup_cancel(c->q);
    if (c->rev != NULL)
        event_free(c->rev);
    if (c->wev != NULL)
        event_free(c->wev);
    clock_timer_free(c->idle);
    clock_timer_free(c->unread);
    clock_timer_free(c->deadline);
    close(c->fd);
    free(c->in);
    free(c->out);
    LIST_REMOVE(c, link);
    s->nconns--;
    smap_heap_account(s, c->incap + c->outcap, 0);
    slots_remove(s->slots, &c->slot); /* accepting resumes if it was paused */
    free(c);
}

/*
 * The connection to close for a newcomer at the limit: the oldest with part
 * of a request buffered, else the oldest idle one, if it has been so for
 * SMAP_SHED_MIN_AGE_MS (slots_victim()).  NULL if there is none.
 */
static struct smap_conn *smap_shed_victim(struct smap *s)
{
    struct slot *sl = slots_victim(s->slots);
    return sl != NULL ? smap_conn_of(sl) : NULL;
}

/* Reading on or off; while on, the idle timer runs (re-armed by every read). */
static void smap_read_enable(struct smap_conn *c, bool on)
{
    if (on && !c->reading) {
        event_add(c->rev, NULL);
        clock_timer_add(c->idle, c->s->p.idle_timeout * 1000);
        c->reading = true;
    } else if (!on && c->reading) {
        event_del(c->rev);
        clock_timer_del(c->idle);
        c->reading = false;
    }
}

static void smap_out_append(struct smap_conn *c, const char *reply, size_t len)
{
    size_t need = len + NETSTRING_MAX_DIGITS + 2;
    if (c->outoff > 0) {
        memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
        c->outlen -= c->outoff;
        c->outoff = 0;
    }
    if (c->outcap - c->outlen < need) {
        /* Sized to what it holds: at most SMAP_OUT_HIGH plus one reply. */
        size_t cap = (c->outlen + need + SMAP_OUT_CHUNK - 1) / SMAP_OUT_CHUNK * SMAP_OUT_CHUNK;
        c->out = xrealloc(c->out, cap);
        smap_heap_account(c->s, c->outcap, cap);
        c->outcap = cap;
    }
    c->outlen += netstring_encode(c->out + c->outlen, c->outcap - c->outlen, reply, len);
}

static bool smap_process(struct smap_conn *c);

/* Write what is pending.  Returns false if the connection was freed. */
static bool smap_flush(struct smap_conn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                /* READ -> WRITE: answering pauses until the client reads.
                 * WAIT stays WAIT (a lookup is out for the next request:
                 * the frames behind it must wait for its answer, whoever
                 * reads first) and CLOSE stays CLOSE. */
                if (c->state == SMAP_READ)
                    smap_conn_enter_state(c, SMAP_WRITE);
                smap_read_enable(c, false);
                event_add(c->wev, NULL);
                clock_timer_add(c->unread, c->s->p.idle_timeout * 1000);
                return true;
            }
            log_debug("smap fd %d: send: %s", c->fd, strerror(errno));
            smap_conn_free(c);
            return false;
        }
        c->outoff += (size_t)n;
    }
    c->outoff = c->outlen = 0;
    clock_timer_del(c->unread);
    if (c->outcap > SMAP_OUT_KEEP) {
        free(c->out);
        c->out = NULL;
        smap_heap_account(c->s, c->outcap, 0);
        c->outcap = 0;
    }
    if (c->state == SMAP_CLOSE) {
        smap_conn_free(c);
        return false;
    }
    return true;
}

static void smap_protocol_error(struct smap_conn *c, const char *why)
{
    char reply[128];
    log_info("socketmap client fd %d: %s; closing the connection", c->fd, why);
    stats.verdicts[STATS_VERDICT_PERM]++;
    stats.connections_rejected++;
    size_t n = reply_perm(reply, sizeof(reply), why);
    smap_out_append(c, reply, n);
    c->inlen = 0;
    smap_read_enable(c, false);
    smap_conn_enter_state(c, SMAP_CLOSE);
}

static void smap_on_lookup(void *arg, const char *reply, size_t len)
{
    struct smap_conn *c = arg;
    c->q = NULL;
    stats_query_took(clock_mono_ns() - c->q_started);
    smap_out_append(c, reply, len);
    smap_conn_enter_state(c, SMAP_READ);
    if (smap_process(c))
        smap_conn_track(c);
}

/* Handle one request payload; returns false if the connection must stop. */
static bool smap_request(struct smap_conn *c, const char *req, size_t len)
{
    int64_t started = clock_mono_ns();
    const char *sp = memchr(req, ' ', len);
    if (sp == NULL || sp == req) {
        smap_protocol_error(c, "malformed request (expected \"<map> <key>\")");
        return false;
    }
    enum reply_profile prof;
    size_t maplen = (size_t)(sp - req);
    if (!reply_profile_from_map(req, maplen, &prof)) {
        char safe[64], reply[64];
        log_warning("socketmap client fd %d: unknown map name '%s'", c->fd,
                    log_sanitize(req, maplen, safe, sizeof(safe)));
        stats.queries++;
        stats_query(STATS_MAP_UNKNOWN, STATS_VERDICT_PERM);
        stats_query_took(clock_mono_ns() - started);
        smap_out_append(c, reply, reply_perm(reply, sizeof(reply), "unknown map name"));
        return true;
    }
    const char *key = sp + 1;
    size_t keylen = len - maplen - 1;
    static char reply[REPLY_MAX + 1];
    size_t rlen = 0;
    struct lookup_query *q = lookup_start(c->s->lookup, prof, key, keylen, reply, sizeof(reply),
                                          &rlen, smap_on_lookup, c);
    if (q != NULL) {
        c->q = q;
        c->q_started = started;
        smap_conn_enter_state(c, SMAP_WAIT);
        return false;
    }
    stats_query_took(clock_mono_ns() - started);
    smap_out_append(c, reply, rlen);
    return true;
}

/* Drop the first n bytes of the input buffer (answered frames). */
static void smap_in_consume(struct smap_conn *c, size_t n)
{
    if (n == 0 || c->state == SMAP_CLOSE)
        return;
    memmove(c->in, c->in + n, c->inlen - n);
    c->inlen -= n;
}

/*
 * Answer the complete frames in the input buffer, in order, while the
 * unsent output stays within SMAP_OUT_HIGH; write; re-enable reading when
 * there is room.  Returns false if the connection was freed.
 */
static bool smap_process(struct smap_conn *c)
{
    size_t off = 0;
    while (c->state == SMAP_READ && off < c->inlen) {
        if (c->outlen - c->outoff > SMAP_OUT_HIGH) {
            /* Write before answering more: a client that does not read
             * stops being answered here (state WRITE). */
            smap_in_consume(c, off);
            off = 0;
            if (!smap_flush(c))
                return false;
            continue;
        }
        const char *payload;
        size_t plen, used;
        enum netstring_status st =
            netstring_decode(c->in + off, c->inlen - off, SMAP_REQUEST_MAX, &payload, &plen, &used);
        if (st == NETSTRING_INCOMPLETE)
            break;
        if (st != NETSTRING_OK) {
            smap_protocol_error(c, netstring_strerror(st));
            off = c->inlen = 0;
            break;
        }
        off += used;
        if (!smap_request(c, payload, plen))
            break;
    }
    smap_in_consume(c, off);
    if (!smap_flush(c))
        return false;
    if (c->state == SMAP_READ || c->state == SMAP_WAIT)
        smap_read_enable(c, c->inlen < c->incap || c->incap < SMAP_IN_MAX);
    return true;
}

/* The request begun request_timeout ago is still not complete. */
static void smap_on_deadline(void *arg)
{
    struct smap_conn *c = arg;
    if (c->state != SMAP_READ || c->inlen == 0)
        return; /* cannot happen: the deadline is removed with the request */
    stats.connections_slow++;
    log_limited(&c->s->log_slow, clock_wall(), LOG_LEVEL_INFO, NULL,
                "socketmap client fd %d: request not complete %lld s after its first byte "
                "(request_timeout); closing",
                c->fd, (long long)c->s->p.request_timeout);
    smap_conn_free(c);
}

/* idle_timeout passed without input while reading. */
static void smap_on_idle(void *arg)
{
    struct smap_conn *c = arg;
    if (c->state == SMAP_READ && c->inlen == 0) {
        log_debug("smap fd %d: idle for %lld s, closing", c->fd, (long long)c->s->p.idle_timeout);
        smap_conn_free(c);
    } else if (c->state == SMAP_READ) {
        stats.connections_slow++;
        log_limited(&c->s->log_slow, clock_wall(), LOG_LEVEL_INFO, NULL,
                    "socketmap client fd %d: incomplete request for %lld s; closing", c->fd,
                    (long long)c->s->p.idle_timeout);
        smap_conn_free(c);
    } else {
        /* Reading while a lookup runs: only a client that leaves matters. */
        clock_timer_add(c->idle, c->s->p.idle_timeout * 1000);
    }
}

static void smap_on_read(evutil_socket_t fd, short what, void *arg)
{
    struct smap_conn *c = arg;
    (void)what;
    clock_timer_add(c->idle, c->s->p.idle_timeout * 1000);
    if (c->inlen == c->incap) {
        if (c->incap >= SMAP_IN_MAX) {
            smap_read_enable(c, false); /* backpressure until answered */
            return;
        }
        size_t cap = c->incap ? c->incap * 4 : SMAP_IN_INITIAL;
        if (cap > SMAP_IN_MAX)
            cap = SMAP_IN_MAX;
        c->in = xrealloc(c->in, cap);
        smap_heap_account(c->s, c->incap, cap);
        c->incap = cap;
    }
    ssize_t n = recv(fd, c->in + c->inlen, c->incap - c->inlen, 0);
    if (n == 0) {
        if (c->q != NULL)
            log_debug("smap fd %d: client left while its lookup was pending", c->fd);
        smap_conn_free(c);
        return;
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return;
        log_debug("smap fd %d: recv: %s", c->fd, strerror(errno));
        smap_conn_free(c);
        return;
    }
    c->inlen += (size_t)n;
    if (c->state == SMAP_READ) {
        if (!smap_process(c))
            return;
    } else if (c->inlen == c->incap && c->incap >= SMAP_IN_MAX) {
        smap_read_enable(c, false);
    }
    smap_conn_track(c);
}

/* idle_timeout passed without the client taking any of its replies. */
static void smap_on_unread(void *arg)
{
    struct smap_conn *c = arg;
    stats.connections_not_reading++;
    log_limited(&c->s->log_unread, clock_wall(), LOG_LEVEL_INFO, NULL,
                "socketmap client fd %d: not reading its replies for %lld s; closing", c->fd,
                (long long)c->s->p.idle_timeout);
    smap_conn_free(c);
}

static void smap_on_write(evutil_socket_t fd, short what, void *arg)
{
    struct smap_conn *c = arg;
    (void)fd;
    (void)what;
    enum smap_state before = c->state;
    if (!smap_flush(c))
        return;
    if (c->outlen == 0 && before == SMAP_WRITE) {
        /* The client read its replies: answer what it sent meanwhile. */
        smap_conn_enter_state(c, SMAP_READ);
        if (!smap_process(c))
            return;
    }
    smap_conn_track(c);
}

bool smap_accept(void *arg, int fd)
{
    struct smap *s = arg;
    if (slots_full(s->slots)) {
        struct smap_conn *v = smap_shed_victim(s);
        if (v == NULL) {
            close(fd);
            stats.connections_rejected++;
            slots_pause(s->slots);
            return false;
        }
        stats.connections_shed++;
        log_limited(&s->log_shed, clock_wall(), LOG_LEVEL_INFO, NULL,
                    "socketmap: %zu connections (max_connections); closed fd %d, %s for "
                    "%.1f s, to serve a new client",
                    s->nconns, v->fd,
                    v->slot.state == SLOTS_PARTIAL ? "with an incomplete request" : "idle",
                    (double)(clock_mono_ms() - v->slot.since_ms) / 1000.0);
        smap_conn_free(v);
    }
    struct smap_conn *c = xcalloc(1, sizeof(*c));
    c->s = s;
    c->fd = fd;
    c->rev = event_new(s->base, fd, EV_READ | EV_PERSIST, smap_on_read, c);
    c->wev = event_new(s->base, fd, EV_WRITE, smap_on_write, c);
    c->idle = clock_timer_new(s->base, smap_on_idle, c);
    c->unread = clock_timer_new(s->base, smap_on_unread, c);
    c->deadline = clock_timer_new(s->base, smap_on_deadline, c);
    LIST_INSERT_HEAD(&s->conns, c, link);
    s->nconns++;
    slots_add(s->slots, &c->slot);
    stats.connections_accepted++;
    smap_read_enable(c, true);
    smap_conn_track(c);
    if (slots_full(s->slots)) {
        int64_t now = clock_wall();
        if (now - s->last_limit_log >= 60) {
            s->last_limit_log = now;
            log_warning("socketmap: %zu connections (max_connections); new clients wait, or "
                        "replace connections that have no complete request",
                        s->nconns);
        }
        if (smap_shed_victim(s) == NULL)
            slots_pause(s->slots);
    }
    return true;
}

struct smap *smap_new(struct event_base *base, struct lookup *lookup, const struct smap_params *p)
{
    struct smap *s = xcalloc(1, sizeof(*s));
    s->base = base;
    s->lookup = lookup;
    s->p = *p;
    LIST_INIT(&s->conns);
    s->slots = slots_new(base, p->max_connections, SMAP_SHED_MIN_AGE_MS);
    s->trim = trim_new(base, "socketmap", NULL, NULL);
    s->log_shed = (struct log_limit)LOG_LIMIT_INIT(SMAP_LOG_BURST, 1);
    s->log_slow = (struct log_limit)LOG_LIMIT_INIT(SMAP_LOG_BURST, 1);
    s->log_unread = (struct log_limit)LOG_LIMIT_INIT(SMAP_LOG_BURST, 1);
    return s;
}

void smap_set_listener(struct smap *s, struct listener *l)
{
    slots_set_listener(s->slots, l);
}

void smap_reconfigure(struct smap *s, const struct smap_params *p)
{
    s->p = *p;
    slots_set_max(s->slots, p->max_connections);
}

size_t smap_connections(const struct smap *s)
{
    return s->nconns;
}

size_t smap_buffered(const struct smap *s)
{
    return s->heap;
}

void smap_free(struct smap *s)
{
    if (s == NULL)
        return;
    slots_set_listener(s->slots, NULL);
    struct smap_conn *c;
    while ((c = LIST_FIRST(&s->conns)) != NULL)
        smap_conn_free(c);
    slots_free(s->slots);
    trim_free(s->trim);
    free(s);
}

/*
 * smap - socketmap connections (see smap.h).
 *
 * Buffers: each connection reads into an input buffer that starts small
 * and grows up to one maximal frame (SMAP_REQUEST_MAX plus its length
 * prefix and comma); when it is full, reading stops until the current
 * request is answered, so a client can never make us buffer more.  Every
 * complete frame in the buffer is answered in order; replies of one
 * batch are appended to one output buffer and written with one send().
 * A partial send waits for EV_WRITE and reading pauses meanwhile.
 *
 * Events: one persistent read event whose timeout is idle_timeout (an
 * EV_TIMEOUT in state READ with nothing buffered closes the connection)
 * and one write event used only after a partial send.
 *
 * A malformed frame, an oversize frame, or a request without "<map>
 * <key>" gets "PERM <reason>"; the connection is then closed once the
 * reply is flushed.  An unknown map name gets "PERM unknown map name"
 * and the connection stays open.
 */
#include "autoconfig.h"

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "listener.h"
#include "log.h"
#include "lookup.h"
#include "netstring.h"
#include "reply.h"
#include "smap.h"
#include "stats.h"
#include "xalloc.h"

#define SMAP_IN_INITIAL 256
#define SMAP_IN_MAX     (SMAP_REQUEST_MAX + NETSTRING_MAX_DIGITS + 2)
#define SMAP_OUT_KEEP   4096 /* larger output buffers are freed once drained */

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
    struct event *rev;
    struct event *wev;
    char *in;
    size_t inlen, incap;
    char *out;
    size_t outlen, outoff, outcap;
    struct lookup_query *q;
    bool reading; /* rev is added */
    struct smap_conn *prev, *next;
};

struct smap {
    struct event_base *base;
    struct lookup *lookup;
    struct listener *listener;
    struct smap_params p;
    struct smap_conn *conns;
    size_t nconns;
    time_t last_limit_log;
};

static void smap_conn_enter_state(struct smap_conn *c, enum smap_state st)
{
    if (c->state != st)
        log_debug("smap fd %d: %s -> %s", c->fd, smap_state_names[c->state], smap_state_names[st]);
    c->state = st;
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
    close(c->fd);
    free(c->in);
    free(c->out);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    s->nconns--;
    free(c);
    if (s->nconns < s->p.max_connections)
        listener_resume(s->listener);
}

static void smap_read_enable(struct smap_conn *c, bool on)
{
    if (on && !c->reading) {
        struct timeval tv = {.tv_sec = (time_t)c->s->p.idle_timeout, .tv_usec = 0};
        event_add(c->rev, &tv);
        c->reading = true;
    } else if (!on && c->reading) {
        event_del(c->rev);
        c->reading = false;
    }
}

static void smap_out_append(struct smap_conn *c, const char *reply, size_t len)
{
    size_t need = len + NETSTRING_MAX_DIGITS + 2;
    if (c->outcap - c->outlen < need) {
        size_t cap = c->outcap ? c->outcap : 256;
        while (cap - c->outlen < need)
            cap *= 2;
        c->out = xrealloc(c->out, cap);
        c->outcap = cap;
    }
    c->outlen += netstring_encode(c->out + c->outlen, c->outcap - c->outlen, reply, len);
}

static void smap_process(struct smap_conn *c);

/* Write what is pending.  Returns false if the connection was freed. */
static bool smap_flush(struct smap_conn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (c->state != SMAP_CLOSE)
                    smap_conn_enter_state(c, SMAP_WRITE);
                smap_read_enable(c, false);
                struct timeval tv = {.tv_sec = (time_t)c->s->p.idle_timeout, .tv_usec = 0};
                event_add(c->wev, &tv);
                return true;
            }
            log_debug("smap fd %d: send: %s", c->fd, strerror(errno));
            smap_conn_free(c);
            return false;
        }
        c->outoff += (size_t)n;
    }
    c->outoff = c->outlen = 0;
    if (c->outcap > SMAP_OUT_KEEP) {
        free(c->out);
        c->out = NULL;
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
    smap_out_append(c, reply, len);
    smap_conn_enter_state(c, SMAP_READ);
    smap_process(c);
}

/* Handle one request payload; returns false if the connection must stop. */
static bool smap_request(struct smap_conn *c, const char *req, size_t len)
{
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
        stats.verdicts[STATS_VERDICT_PERM]++;
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
        smap_conn_enter_state(c, SMAP_WAIT);
        return false;
    }
    smap_out_append(c, reply, rlen);
    return true;
}

static void smap_process(struct smap_conn *c)
{
    size_t off = 0;
    while (c->state == SMAP_READ && off < c->inlen) {
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
    if (off > 0 && c->state != SMAP_CLOSE) {
        memmove(c->in, c->in + off, c->inlen - off);
        c->inlen -= off;
    }
    if (!smap_flush(c))
        return;
    if (c->state == SMAP_READ || c->state == SMAP_WAIT)
        smap_read_enable(c, c->inlen < c->incap || c->incap < SMAP_IN_MAX);
}

static void smap_on_read(evutil_socket_t fd, short what, void *arg)
{
    struct smap_conn *c = arg;
    if (what & EV_TIMEOUT) {
        if (c->state == SMAP_READ && c->inlen == 0) {
            log_debug("smap fd %d: idle for %lld s, closing", c->fd,
                      (long long)c->s->p.idle_timeout);
            smap_conn_free(c);
        } else if (c->state == SMAP_READ) {
            log_info("socketmap client fd %d: incomplete request for %lld s; closing", c->fd,
                     (long long)c->s->p.idle_timeout);
            smap_conn_free(c);
        }
        return;
    }
    if (c->inlen == c->incap) {
        if (c->incap >= SMAP_IN_MAX) {
            smap_read_enable(c, false); /* backpressure until answered */
            return;
        }
        size_t cap = c->incap ? c->incap * 4 : SMAP_IN_INITIAL;
        if (cap > SMAP_IN_MAX)
            cap = SMAP_IN_MAX;
        c->in = xrealloc(c->in, cap);
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
    if (c->state == SMAP_READ)
        smap_process(c);
    else if (c->inlen == c->incap && c->incap >= SMAP_IN_MAX)
        smap_read_enable(c, false);
}

static void smap_on_write(evutil_socket_t fd, short what, void *arg)
{
    struct smap_conn *c = arg;
    (void)fd;
    if (what & EV_TIMEOUT) {
        log_info("socketmap client fd %d: not reading its replies; closing", c->fd);
        smap_conn_free(c);
        return;
    }
    enum smap_state before = c->state;
    if (!smap_flush(c))
        return;
    if (c->outlen == 0 && before == SMAP_WRITE) {
        smap_conn_enter_state(c, SMAP_READ);
        smap_process(c);
    }
}

bool smap_accept(void *arg, int fd)
{
    struct smap *s = arg;
    if (s->nconns >= s->p.max_connections) {
        close(fd);
        stats.connections_rejected++;
        listener_pause(s->listener);
        return false;
    }
    struct smap_conn *c = xcalloc(1, sizeof(*c));
    c->s = s;
    c->fd = fd;
    c->rev = event_new(s->base, fd, EV_READ | EV_PERSIST, smap_on_read, c);
    c->wev = event_new(s->base, fd, EV_WRITE, smap_on_write, c);
    c->next = s->conns;
    if (s->conns != NULL)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    stats.connections_accepted++;
    smap_read_enable(c, true);
    if (s->nconns >= s->p.max_connections) {
        time_t now = time(NULL);
        if (now - s->last_limit_log >= 60) {
            s->last_limit_log = now;
            log_warning("socketmap: %zu connections (max_connections); new clients wait",
                        s->nconns);
        }
        listener_pause(s->listener);
    }
    return true;
}

struct smap *smap_new(struct event_base *base, struct lookup *lookup, const struct smap_params *p)
{
    struct smap *s = xcalloc(1, sizeof(*s));
    s->base = base;
    s->lookup = lookup;
    s->p = *p;
    return s;
}

void smap_set_listener(struct smap *s, struct listener *l)
{
    s->listener = l;
}

void smap_reconfigure(struct smap *s, const struct smap_params *p)
{
    s->p = *p;
    if (s->nconns < s->p.max_connections)
        listener_resume(s->listener);
}

size_t smap_connections(const struct smap *s)
{
    return s->nconns;
}

void smap_free(struct smap *s)
{
    if (s == NULL)
        return;
    s->listener = NULL;
    while (s->conns != NULL)
        smap_conn_free(s->conns);
    free(s);
}

/*
 * httpd - the metrics endpoint (see httpd.h).
 *
 * Public functions: httpd_new(), httpd_set_listener(),
 * httpd_reconfigure(), httpd_accept(), httpd_connections(), httpd_free().
 *
 * Connection states (httpd_conn_enter_state() logs "old -> new" at
 * debug level):
 *   READ   reading the request head into a fixed buffer of
 *          HTTPD_REQUEST_MAX bytes; slot IDLE until the first byte, then
 *          PARTIAL (shed-able);
 *   WRITE  sending the response head and body (slot BUSY);
 *   DRAIN  response sent, write side shut down, reading and dropping
 *          input until the client closes, at most HTTPD_DRAIN_MAX bytes
 *          (slot IDLE).
 * One deadline timer per connection: request_timeout from the accept for
 * READ, armed again once for WRITE and DRAIN together.
 *
 * The rendered body is a reference-counted struct httpd_body: the httpd
 * holds the latest one (for HTTPD_RENDER_REUSE_MS), each connection
 * writing it holds another reference.
 */
#include "autoconfig.h"

#include <errno.h>
#include <event2/event.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "clock.h"
#include "httpd.h"
#include "httpreq.h"
#include "listener.h"
#include "log.h"
#include "metrics.h"
#include "slots.h"
#include "stats.h"
#include "xalloc.h"

#define HTTPD_LOG_BURST 10          /* lines at once, then one per second */
#define HTTPD_DRAIN_MAX (64 * 1024) /* input dropped after a response, at most */
#define HTTPD_HEAD_MAX  512

enum httpd_state {
    HTTPD_READ = 0,
    HTTPD_WRITE,
    HTTPD_DRAIN,
};

static const char *const httpd_state_names[] = {"read", "write", "drain"};

struct httpd_body {
    unsigned refs;
    int64_t at_ms; /* when it was rendered */
    size_t len;
    char *data;
};

struct httpd_conn {
    struct httpd *h;
    int fd;
    enum httpd_state state;
    struct event *rev, *wev;
    struct clock_timer *deadline;
    char in[HTTPD_REQUEST_MAX];
    size_t inlen;
    char head[HTTPD_HEAD_MAX]; /* response head (and a short error body) */
    size_t headlen;
    struct httpd_body *body; /* NULL: no body beyond head */
    size_t sent;             /* bytes of head + body sent */
    size_t drained;          /* input dropped in DRAIN */
    struct slot slot;
    LIST_ENTRY(httpd_conn) link;
};

struct httpd {
    struct event_base *base;
    struct httpd_params p;
    httpd_render_fn render;
    void *render_arg;
    struct slots *slots;
    LIST_HEAD(, httpd_conn) conns;
    struct httpd_body *latest;
    struct log_limit log;
};

static void httpd_conn_enter_state(struct httpd_conn *c, enum httpd_state st)
{
    if (c->state != st)
        log_debug("metrics client fd %d: %s -> %s", c->fd, httpd_state_names[c->state],
                  httpd_state_names[st]);
    c->state = st;
}

static void httpd_body_release(struct httpd_body *b)
{
    if (b != NULL && --b->refs == 0) {
        free(b->data);
        free(b);
    }
}

/* The body to send now: the latest one if it is recent enough. */
static struct httpd_body *httpd_body_get(struct httpd *h)
{
    int64_t now = clock_mono_ms();
    if (h->latest == NULL || now - h->latest->at_ms >= HTTPD_RENDER_REUSE_MS) {
        size_t len = 0;
        char *data = h->render(h->render_arg, &len);
        if (data == NULL)
            return NULL;
        httpd_body_release(h->latest);
        h->latest = xcalloc(1, sizeof(*h->latest));
        h->latest->refs = 1;
        h->latest->at_ms = now;
        h->latest->data = data;
        h->latest->len = len;
    }
    h->latest->refs++;
    return h->latest;
}

static void httpd_conn_free(struct httpd_conn *c)
{
    struct httpd *h = c->h;
    if (c->rev != NULL)
        event_free(c->rev);
    if (c->wev != NULL)
        event_free(c->wev);
    clock_timer_free(c->deadline);
    close(c->fd);
    httpd_body_release(c->body);
    LIST_REMOVE(c, link);
    slots_remove(h->slots, &c->slot);
    free(c);
}

static struct httpd_conn *httpd_conn_of(struct slot *sl)
{
    return (struct httpd_conn *)(void *)((char *)sl - offsetof(struct httpd_conn, slot));
}

static void httpd_deadline_arm(struct httpd_conn *c)
{
    clock_timer_add(c->deadline, c->h->p.request_timeout * 1000);
}

/* Write what is left of the response.  false: the connection was freed. */
static bool httpd_flush(struct httpd_conn *c)
{
    size_t total = c->headlen + (c->body ? c->body->len : 0);
    while (c->sent < total) {
        struct iovec iov[2];
        int n = 0;
        if (c->sent < c->headlen) {
            iov[n].iov_base = c->head + c->sent;
            iov[n++].iov_len = c->headlen - c->sent;
        }
        if (c->body != NULL) {
            size_t boff = c->sent > c->headlen ? c->sent - c->headlen : 0;
            iov[n].iov_base = c->body->data + boff;
            iov[n++].iov_len = c->body->len - boff;
        }
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
        ssize_t w = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                event_add(c->wev, NULL);
                return true;
            }
            log_debug("metrics client fd %d: send: %s", c->fd, strerror(errno));
            httpd_conn_free(c);
            return false;
        }
        c->sent += (size_t)w;
    }
    /* All sent: let the client close first (see httpd.h). */
    httpd_body_release(c->body);
    c->body = NULL;
    shutdown(c->fd, SHUT_WR);
    httpd_conn_enter_state(c, HTTPD_DRAIN);
    slots_set(c->h->slots, &c->slot, SLOTS_IDLE);
    event_add(c->rev, NULL);
    return true;
}

static const char *httpd_reason(unsigned code)
{
    switch (code) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Content Too Large";
    case 431:
        return "Request Header Fields Too Large";
    default:
        return "Internal Server Error";
    }
}

/* Answer with status s (and the metrics for a 200), then close. */
static void httpd_respond(struct httpd_conn *c, enum stats_http s, bool head_only)
{
    struct httpd *h = c->h;
    unsigned code = stats_http_code(s);
    event_del(c->rev);
    clock_timer_del(c->deadline);
    httpd_deadline_arm(c); /* the response's own deadline */
    slots_set(h->slots, &c->slot, SLOTS_BUSY);
    httpd_conn_enter_state(c, HTTPD_WRITE);
    stats.metrics_requests[s]++;
    if (s == STATS_HTTP_200) {
        c->body = httpd_body_get(h);
        size_t len = c->body != NULL ? c->body->len : 0;
        c->headlen = (size_t)snprintf(c->head, sizeof(c->head),
                                      "HTTP/1.1 200 OK\r\n"
                                      "Content-Type: " METRICS_CONTENT_TYPE "\r\n"
                                      "Content-Length: %zu\r\n"
                                      "Cache-Control: no-store\r\n"
                                      "Connection: close\r\n\r\n",
                                      len);
        if (head_only) {
            httpd_body_release(c->body);
            c->body = NULL;
        }
    } else {
        const char *reason = httpd_reason(code);
        char text[64];
        int tlen = snprintf(text, sizeof(text), "%u %s\n", code, reason);
        c->headlen = (size_t)snprintf(c->head, sizeof(c->head),
                                      "HTTP/1.1 %u %s\r\n"
                                      "Content-Type: text/plain; charset=utf-8\r\n"
                                      "Content-Length: %d\r\n"
                                      "%s"
                                      "Connection: close\r\n\r\n%s",
                                      code, reason, head_only ? 0 : tlen,
                                      s == STATS_HTTP_405 ? "Allow: GET, HEAD\r\n" : "",
                                      head_only ? "" : text);
    }
    httpd_flush(c);
}

/* The request head in c->in may be complete: answer it if so. */
static void httpd_request(struct httpd_conn *c)
{
    struct httpreq r;
    enum httpreq_status st = httpreq_parse(c->in, c->inlen, &r);
    if (st == HTTPREQ_INCOMPLETE) {
        if (c->inlen < sizeof(c->in))
            return;
        log_limited(&c->h->log, clock_wall(), LOG_LEVEL_INFO, NULL,
                    "metrics client fd %d: request head over %d bytes; answering 431", c->fd,
                    HTTPD_REQUEST_MAX);
        httpd_respond(c, STATS_HTTP_431, false);
        return;
    }
    if (st == HTTPREQ_BAD) {
        log_limited(&c->h->log, clock_wall(), LOG_LEVEL_INFO, NULL,
                    "metrics client fd %d: malformed request (%s); answering 400", c->fd, r.why);
        httpd_respond(c, STATS_HTTP_400, false);
        return;
    }
    bool head_only = r.method == HTTPREQ_HEAD;
    if (r.method == HTTPREQ_OTHER) {
        log_limited(&c->h->log, clock_wall(), LOG_LEVEL_INFO, NULL,
                    "metrics client fd %d: method not GET or HEAD; answering 405", c->fd);
        httpd_respond(c, STATS_HTTP_405, false);
    } else if (r.has_body) {
        log_limited(&c->h->log, clock_wall(), LOG_LEVEL_INFO, NULL,
                    "metrics client fd %d: request with a body; answering 413", c->fd);
        httpd_respond(c, STATS_HTTP_413, head_only);
    } else if (r.path_len != 8 || memcmp(r.path, "/metrics", 8) != 0) {
        char safe[64];
        log_debug("metrics client fd %d: %s: not found", c->fd,
                  log_sanitize(r.path, r.path_len, safe, sizeof(safe)));
        httpd_respond(c, STATS_HTTP_404, head_only);
    } else {
        httpd_respond(c, STATS_HTTP_200, head_only);
    }
}

static void httpd_on_read(evutil_socket_t fd, short what, void *arg)
{
    struct httpd_conn *c = arg;
    (void)what;
    if (c->state == HTTPD_DRAIN) {
        char sink[4096];
        ssize_t n = recv(fd, sink, sizeof(sink), 0);
        if (n > 0)
            c->drained += (size_t)n;
        if (n == 0 || c->drained > HTTPD_DRAIN_MAX ||
            (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            httpd_conn_free(c);
        return;
    }
    if (c->state != HTTPD_READ)
        return;
    ssize_t n = recv(fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
    if (n == 0) {
        httpd_conn_free(c);
        return;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            httpd_conn_free(c);
        return;
    }
    bool line = memchr(c->in + c->inlen, '\n', (size_t)n) != NULL;
    c->inlen += (size_t)n;
    slots_set(c->h->slots, &c->slot, SLOTS_PARTIAL);
    if (line || c->inlen == sizeof(c->in) || memchr(c->in + c->inlen - n, '\0', (size_t)n))
        httpd_request(c);
}

static void httpd_on_write(evutil_socket_t fd, short what, void *arg)
{
    struct httpd_conn *c = arg;
    (void)fd;
    (void)what;
    httpd_flush(c);
}

static void httpd_on_deadline(void *arg)
{
    struct httpd_conn *c = arg;
    if (c->state != HTTPD_DRAIN) {
        stats.metrics_slow++;
        log_limited(&c->h->log, clock_wall(), LOG_LEVEL_INFO, NULL,
                    "metrics client fd %d: %s not done %lld s after %s (request_timeout); closing",
                    c->fd, c->state == HTTPD_READ ? "request" : "response",
                    (long long)c->h->p.request_timeout,
                    c->state == HTTPD_READ ? "connecting" : "the request");
    }
    httpd_conn_free(c);
}

bool httpd_accept(void *arg, int fd)
{
    struct httpd *h = arg;
    if (slots_full(h->slots)) {
        struct slot *v = slots_victim(h->slots);
        if (v == NULL) {
            close(fd);
            slots_pause(h->slots);
            return false;
        }
        struct httpd_conn *vc = httpd_conn_of(v);
        stats.metrics_shed++;
        log_limited(&h->log, clock_wall(), LOG_LEVEL_INFO, NULL,
                    "metrics: %d connections; closed fd %d, %s for %.1f s, to serve a new "
                    "client",
                    HTTPD_CONNECTIONS_MAX, vc->fd,
                    v->state == SLOTS_PARTIAL ? "with an incomplete request" : "idle",
                    (double)(clock_mono_ms() - v->since_ms) / 1000.0);
        httpd_conn_free(vc);
    }
    struct httpd_conn *c = xcalloc(1, sizeof(*c));
    c->h = h;
    c->fd = fd;
    c->state = HTTPD_READ;
    c->rev = event_new(h->base, fd, EV_READ | EV_PERSIST, httpd_on_read, c);
    c->wev = event_new(h->base, fd, EV_WRITE, httpd_on_write, c);
    c->deadline = clock_timer_new(h->base, httpd_on_deadline, c);
    LIST_INSERT_HEAD(&h->conns, c, link);
    slots_add(h->slots, &c->slot);
    slots_set(h->slots, &c->slot, SLOTS_IDLE);
    event_add(c->rev, NULL);
    httpd_deadline_arm(c);
    if (slots_full(h->slots) && slots_victim(h->slots) == NULL)
        slots_pause(h->slots);
    return true;
}

struct httpd *httpd_new(struct event_base *base, const struct httpd_params *p,
                        httpd_render_fn render, void *arg)
{
    struct httpd *h = xcalloc(1, sizeof(*h));
    h->base = base;
    h->p = *p;
    h->render = render;
    h->render_arg = arg;
    h->slots = slots_new(base, HTTPD_CONNECTIONS_MAX, HTTPD_SHED_MIN_AGE_MS);
    LIST_INIT(&h->conns);
    h->log = (struct log_limit)LOG_LIMIT_INIT(HTTPD_LOG_BURST, 1);
    return h;
}

void httpd_set_listener(struct httpd *h, struct listener *l)
{
    slots_set_listener(h->slots, l);
}

void httpd_reconfigure(struct httpd *h, const struct httpd_params *p)
{
    h->p = *p;
}

size_t httpd_connections(const struct httpd *h)
{
    return h != NULL ? slots_count(h->slots) : 0;
}

void httpd_free(struct httpd *h)
{
    if (h == NULL)
        return;
    slots_set_listener(h->slots, NULL);
    while (!LIST_EMPTY(&h->conns))
        httpd_conn_free(LIST_FIRST(&h->conns));
    httpd_body_release(h->latest);
    slots_free(h->slots);
    free(h);
}

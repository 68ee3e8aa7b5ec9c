/*
 * httpd - the metrics endpoint: a small HTTP/1.x responder on the event
 * loop for "GET /metrics" and "HEAD /metrics" (metrics_listen).
 *
 * libevent 2.1's evhttp has no connection cap and no whole-request
 * deadline (its timeout is re-armed by every read), so connections are
 * accepted through listener.c (httpd_accept() is its callback) and given
 * the socketmap's protections:
 *   - a cap of HTTPD_CONNECTIONS_MAX connections, shedding as the
 *     socketmap does (slots.c): a newcomer at the cap replaces the
 *     connection that has held a slot longest without a complete request
 *     (at least HTTPD_SHED_MIN_AGE_MS), else accepting pauses;
 *   - a deadline of request_timeout from the connection's start for the
 *     whole request head, never re-armed by further bytes (a client that
 *     drips its request is closed all the same), and a second one of
 *     request_timeout for the whole response once the request is complete
 *     (a client that does not read it);
 *   - a request head of at most HTTPD_REQUEST_MAX bytes (431 beyond),
 *     parsed by httpreq.c as soon as a line is complete (garbage gets 400
 *     at its first line break), no request body (413), GET and HEAD only
 *     (405), /metrics only (404; a query string is ignored).
 * Every response closes the connection ("Connection: close"): after it is
 * sent the write side is shut down and input is read and dropped until the
 * client closes (so that unread input does not turn the close into a reset
 * that could destroy the response), within the same response deadline.
 *
 * The body comes from the render callback (scrape.c: metrics_render() of a
 * fresh snapshot).  A rendered body is reused by requests within
 * HTTPD_RENDER_REUSE_MS of it, so that a flood of scrapes costs a bounded
 * amount of rendering however fast it comes.
 *
 * Counted: stats.metrics_requests by status, stats.metrics_shed,
 * stats.metrics_slow.  Refused requests, sheddings and deadlines are
 * logged at info through a token bucket (log_limited(): HTTPD_LOG_BURST
 * lines, then one per second).
 *
 * Time: the deadlines are clock_timers and the shedding ages clock.h's
 * monotonic clock (slots.c), so the component tests play the endpoint on
 * the fake clock (tests/component/check_metrics.c).
 */
#ifndef MTASTSD_HTTPD_H
#define MTASTSD_HTTPD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct listener;
struct httpd;

#define HTTPD_CONNECTIONS_MAX 16
#define HTTPD_REQUEST_MAX     8192 /* request line and header fields */
#define HTTPD_SHED_MIN_AGE_MS 1000
#define HTTPD_RENDER_REUSE_MS 100

struct httpd_params {
    int64_t request_timeout; /* seconds: the request head, then the response */
};

/* The body of a 200 response (malloc'ed; httpd frees it), or NULL. */
typedef char *(*httpd_render_fn)(void *arg, size_t *len);

struct httpd *httpd_new(struct event_base *base, const struct httpd_params *p,
                        httpd_render_fn render, void *arg);
void httpd_set_listener(struct httpd *h, struct listener *l);
void httpd_reconfigure(struct httpd *h, const struct httpd_params *p);
/* listener_accept_cb */
bool httpd_accept(void *httpd, int fd);
size_t httpd_connections(const struct httpd *h);
/* Close every connection. */
void httpd_free(struct httpd *h);

#endif

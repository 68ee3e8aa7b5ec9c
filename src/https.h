/*
 * https - policy fetches with libcurl multi under libevent.  The only file
 * that includes <curl/curl.h>.
 *
 * https_get() fetches https://<host>/.well-known/mta-sts.txt from the
 * addresses the caller resolved (CURLOPT_RESOLVE, so all DNS goes through
 * c-ares), with every rule of RFC 8461 section 3.3: HTTPS only
 * (CURLOPT_PROTOCOLS_STR "https"), certificate and host name verified
 * against ca_file or the system store, TLS >= 1.2, no redirects (a 3xx is
 * a failure), status 200 only, no HTTP caching headers honoured, media
 * type text/plain (parameters ignored), body capped at max_body while
 * reading, connect and total timeouts, no proxy unless configured (the
 * environment is ignored), "User-Agent: mtastsd/<version>".
 *
 * The multi handle is driven the multi-event.c way: a socket callback
 * with per-socket state via curl_multi_assign, one timer, and
 * curl_multi_info_read drained after every action.
 *
 * Contract (callers rely on it; tests/component/fake_https.c keeps it
 * too): https_get() always returns a request, never NULL -- a bad host
 * name, no usable address or a transfer curl cannot set up is delivered
 * through the callback like any other failure.  The callback is called
 * exactly once, from the event loop, never from inside https_get() and
 * never after https_cancel(); it may start or cancel requests or call
 * https_free(); cancelling its own request from inside it does nothing.
 *
 * Every failure is classified (enum https_status) with a short detail
 * string for the log.
 *
 * https_inspect() is for the domain owner's check (mtastsd-ctl check),
 * never for the daemon's fetches.  HTTPS_INSPECT_FETCH makes exactly the
 * request https_get() makes, with the same rules, and also reports what
 * an owner needs to see: the TLS version and certificate (struct
 * tlsinfo, read at the first response header), the Content-Type and a
 * redirect's Location as sent (never followed), the address used, the
 * announced Content-Length and the time taken to connect, to finish the
 * handshake and in all.  HTTPS_INSPECT_HANDSHAKE only connects and
 * completes a TLS handshake WITHOUT verifying the certificate, at any TLS
 * version the TLS library allows, sends no request, and reports the TLS
 * facts: it is the second look that shows the names and expiry of a
 * certificate the verified fetch refused.  Its HTTPS_OK only means "a
 * handshake completed", never "acceptable".
 */
#ifndef MTASTSD_HTTPS_H
#define MTASTSD_HTTPS_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct https;
struct https_req;

enum https_status {
    HTTPS_OK = 0,
    HTTPS_ERR_CONNECT,    /* refused, reset, unreachable */
    HTTPS_ERR_TLS,        /* handshake failed (protocol, version, ...) */
    HTTPS_ERR_CERT,       /* certificate untrusted, expired or wrong name */
    HTTPS_ERR_REDIRECT,   /* 3xx */
    HTTPS_ERR_STATUS,     /* any other non-200 */
    HTTPS_ERR_MEDIA_TYPE, /* not text/plain */
    HTTPS_ERR_TOO_LARGE,  /* body above max_body */
    HTTPS_ERR_TIMEOUT,    /* connect or total timeout */
    HTTPS_ERR_OTHER,
};

struct tlsinfo;

enum https_inspect_mode {
    HTTPS_INSPECT_FETCH = 0, /* https_get()'s request, plus the facts below */
    HTTPS_INSPECT_HANDSHAKE, /* TLS handshake only, certificate NOT verified */
};

/* What https_inspect() saw.  Strings are sanitised (printable ASCII) and
 * valid only during the callback; "" when unknown. */
struct https_result {
    enum https_status st;
    long http_code;
    const char *body; /* NULL unless HTTPS_OK in HTTPS_INSPECT_FETCH */
    size_t len;
    const char *detail;
    const char *content_type;  /* as sent */
    const char *location;      /* a redirect's target, not followed */
    const char *address;       /* the address connected to */
    long long content_length;  /* announced; -1 if none */
    long connect_ms;           /* from the start: TCP connected; -1 unknown */
    long tls_ms;               /* from the start: handshake done; -1 unknown */
    long total_ms;             /* from the start: finished (either way) */
    const struct tlsinfo *tls; /* tls->valid false when no handshake was read */
};

typedef void (*https_result_cb)(void *arg, const struct https_result *res);

struct https_config {
    const char *ca_file; /* NULL or "" = system store */
    const char *proxy;   /* NULL or "" = none */
    long connect_timeout_ms;
    long timeout_ms;
    size_t max_body; /* STS_POLICY_MAX */
};

/* body is valid only during the callback; NULL unless HTTPS_OK. */
typedef void (*https_cb)(void *arg, enum https_status st, long http_code, const char *body,
                         size_t len, const char *detail);

/* Process-wide library set-up, once, before any other thread or fork. */
bool https_global_init(char *err, size_t errsz);
void https_global_cleanup(void);

struct https *https_new(struct event_base *base, const struct https_config *cfg, char *err,
                        size_t errsz);
void https_free(struct https *h);
/* Change timeouts/CA/proxy for later requests (SIGHUP). */
void https_reconfigure(struct https *h, const struct https_config *cfg);

/* host is "mta-sts.<domain>"; addrs are text addresses from dns_addr(); port 443
 * unless https_set_port() changed it (tests only). */
struct https_req *https_get(struct https *h, const char *host, const char *const *addrs,
                            size_t naddrs, https_cb cb, void *arg);
/* As https_get(), with the facts above; cancel with https_cancel(). */
struct https_req *https_inspect(struct https *h, const char *host, const char *const *addrs,
                                size_t naddrs, enum https_inspect_mode mode, https_result_cb cb,
                                void *arg);
void https_cancel(struct https_req *r);
/* Connect to PORT instead of 443 for later requests (tests only). */
void https_set_port(struct https *h, int port);
/* Number of transfers in flight (for stats and leak checks). */
size_t https_active(const struct https *h);

const char *https_status_name(enum https_status st);

#endif

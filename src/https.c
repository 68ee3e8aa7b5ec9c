/*
 * https - MTA-STS policy fetches with libcurl multi under libevent (see
 * https.h).
 *
 * Public functions: https_global_init(), https_global_cleanup(),
 * https_new(), https_free(), https_reconfigure(),
 * https_set_port(), https_get(), https_inspect(), https_cancel(),
 * https_active(), https_status_name().
 *
 * Event plumbing (the shape of curl's docs/examples/multi-event.c):
 * curl's socket callback creates, changes or frees one heap-allocated
 * struct https_sock per socket (found again through curl_multi_assign);
 * CURL_POLL_REMOVE for a socket we never saw is ignored, and the callback
 * also runs from curl_multi_remove_handle() and curl_multi_cleanup().
 * curl's timer callback only arms or disarms our one libevent timer (it
 * never calls curl).  The libevent socket and timer
 * events call curl_multi_socket_action() and then drain
 * curl_multi_info_read(); each finished transfer is removed from the
 * multi handle and freed at once, and its result is delivered from a
 * zero-delay event.  So user callbacks never run inside curl, inside
 * https_get() or after https_cancel(), and they may call https_free().
 *
 * Ownership: struct https_req belongs to this module from https_get()
 * until its callback returns or https_cancel().  Each request gets its
 * own CURLSH for DNS, so its CURLOPT_RESOLVE entries (which curl keeps
 * forever) die with it; connections are never reused.
 *
 * Request shape: HTTP/1.1 GET, "User-Agent: mtastsd/<version>", no
 * Accept-Encoding (so no decompression), no proxy from the environment,
 * FOLLOWLOCATION off.  Status and media type are checked on the first
 * body bytes (a bad one stops the transfer) and again at the end (for
 * empty bodies).
 *
 * Limits: max_body bytes of body (CURLOPT_MAXFILESIZE for an announced
 * Content-Length, and the write callback for the rest); the body buffer
 * grows geometrically up to max_body only.  Host names are checked to be
 * LDH labels and addresses to be numeric before they reach curl.
 *
 * Inspection (https_inspect(), the owner's check only): a request
 * carries a struct https_ins, allocated only for it, so https_get()'s
 * requests are set up and behave exactly as before (no extra option, no
 * extra callback).  The TLS session is read (CURLINFO_TLS_SSL_PTR, through
 * tlsinfo_read()) in the CURLOPT_PREREQFUNCTION callback, which runs once
 * the connection and its handshake are up and before the request is
 * sent: the one moment the session is certainly alive.  In
 * HTTPS_INSPECT_FETCH the request then goes on; the header callback keeps
 * a redirect's Location (curl follows nothing and, when the body is
 * refused, does not compute CURLINFO_REDIRECT_URL); at the end the
 * Content-Type, the primary address, the announced length and the
 * connect / handshake / total times are copied before the handle is
 * released.  HTTPS_INSPECT_HANDSHAKE turns peer and host verification
 * off and the minimum TLS version to the library's default, and its
 * pre-request callback aborts: no request is sent; a completed, read
 * handshake is its HTTPS_OK.
 *
 * Diagnostics: every failure is classified (enum https_status) with a
 * short, sanitised detail; debug logs for each transfer.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "clock.h"
#include "https.h"
#include "log.h"
#include "queue_safe.h"
#include "tlsinfo.h"
#include "xalloc.h"

#define HTTPS_HOST_MAX   253
#define HTTPS_DETAIL_SZ  160
#define HTTPS_PATH       "/.well-known/mta-sts.txt"
#define HTTPS_USER_AGENT "mtastsd/" PACKAGE_VERSION

struct https_sock {
    struct https *h;
    curl_socket_t fd;
    struct event *ev;
    LIST_ENTRY(https_sock) link; /* on h->socks */
};

/* Inspection state of an https_inspect() request (NULL for https_get()). */
struct https_ins {
    enum https_inspect_mode mode;
    https_result_cb cb;
    bool tls_read;
    struct tlsinfo tls;
    char content_type[128];
    char location[256];
    char address[64];
    long long content_length;
    long connect_ms, tls_ms, total_ms;
};

struct https_req {
    struct https *h; /* NULL once detached for delivery */
    struct https_ins *ins;
    CURL *easy; /* NULL once finished */
    CURLSH *share;
    struct curl_slist *resolve;
    char host[HTTPS_HOST_MAX + 1];
    https_cb cb;
    void *arg;
    size_t max_body;
    bool delivering;

    /* Body, grown up to max_body. */
    char *body;
    size_t len, cap;
    bool checked; /* status and media type looked at (first body bytes) */

    /* Result. */
    enum https_status st;
    long code;
    char detail[HTTPS_DETAIL_SZ];
    char errbuf[CURL_ERROR_SIZE];
    struct event *deliver;
    LIST_ENTRY(https_req) link; /* on h->reqs until detached */
};

struct https {
    struct event_base *base;
    CURLM *multi;
    struct clock_timer *timer;
    LIST_HEAD(, https_sock) socks;
    LIST_HEAD(, https_req) reqs;
    size_t nreqs;
    char *ca_file;
    char *proxy;
    long connect_timeout_ms;
    long timeout_ms;
    size_t max_body;
    int port;
};

static void https_drain(struct https *h);

const char *https_status_name(enum https_status st)
{
    switch (st) {
    case HTTPS_OK:
        return "OK";
    case HTTPS_ERR_CONNECT:
        return "ERR_CONNECT";
    case HTTPS_ERR_TLS:
        return "ERR_TLS";
    case HTTPS_ERR_CERT:
        return "ERR_CERT";
    case HTTPS_ERR_REDIRECT:
        return "ERR_REDIRECT";
    case HTTPS_ERR_STATUS:
        return "ERR_STATUS";
    case HTTPS_ERR_MEDIA_TYPE:
        return "ERR_MEDIA_TYPE";
    case HTTPS_ERR_TOO_LARGE:
        return "ERR_TOO_LARGE";
    case HTTPS_ERR_TIMEOUT:
        return "ERR_TIMEOUT";
    case HTTPS_ERR_OTHER:
        return "ERR_OTHER";
    }
    return "UNKNOWN";
}

/* ---- event plumbing ---------------------------------------------------- */

static void https_sock_event(evutil_socket_t fd, short what, void *arg)
{
    struct https_sock *s = arg;
    struct https *h = s->h;
    int flags = 0, running;

    if (what & EV_READ)
        flags |= CURL_CSELECT_IN;
    if (what & EV_WRITE)
        flags |= CURL_CSELECT_OUT;
    /* s may be freed inside (CURL_POLL_REMOVE): do not use it after. */
    curl_multi_socket_action(h->multi, (curl_socket_t)fd, flags, &running);
    https_drain(h);
}

static void https_timer_event(void *arg)
{
    struct https *h = arg;
    int running;

    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    https_drain(h);
}

/* CURLMOPT_TIMERFUNCTION: only (dis)arm our timer; never call curl here. */
static int https_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct https *h = userp;

    if (timeout_ms < 0) {
        clock_timer_del(h->timer);
        return 0;
    }
    clock_timer_add(h->timer, timeout_ms);
    return 0;
}

static void https_sock_free(struct https_sock *s)
{
    LIST_REMOVE(s, link);
    if (s->ev != NULL)
        event_free(s->ev);
    free(s);
}

/* CURLMOPT_SOCKETFUNCTION: also called from curl_multi_remove_handle()
 * and curl_multi_cleanup(). */
static int https_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct https *h = userp;
    struct https_sock *s = socketp;
    short ev;

    if (what == CURL_POLL_REMOVE) {
        if (s != NULL) {
            curl_multi_assign(h->multi, fd, NULL);
            https_sock_free(s);
        }
        return 0;
    }
    ev = EV_PERSIST;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
        ev |= EV_READ;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
        ev |= EV_WRITE;

    if (s == NULL) {
        s = xcalloc(1, sizeof(*s));
        s->h = h;
        s->fd = fd;
        LIST_INSERT_HEAD(&h->socks, s, link);
        curl_multi_assign(h->multi, fd, s);
    } else {
        event_free(s->ev);
    }
    s->ev = event_new(h->base, (evutil_socket_t)fd, ev, https_sock_event, s);
    if (s->ev == NULL || event_add(s->ev, NULL) != 0) {
        log_error("https: cannot watch socket %d", (int)fd);
        return -1; /* curl fails the transfer */
    }
    return 0;
}

/* ---- request bookkeeping ----------------------------------------------- */

static void https_unlink(struct https_req *r)
{
    struct https *h = r->h;

    if (h == NULL)
        return;
    LIST_REMOVE(r, link);
    h->nreqs--;
    r->h = NULL;
}

/* Take the easy handle out of curl (may call the socket callback). */
static void https_release_curl(struct https_req *r)
{
    if (r->easy != NULL) {
        if (r->h != NULL)
            curl_multi_remove_handle(r->h->multi, r->easy);
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
    }
    if (r->share != NULL) {
        curl_share_cleanup(r->share);
        r->share = NULL;
    }
    curl_slist_free_all(r->resolve);
    r->resolve = NULL;
}

static void https_req_free(struct https_req *r)
{
    https_release_curl(r);
    if (r->deliver != NULL)
        event_free(r->deliver);
    free(r->ins);
    free(r->body);
    free(r);
}

static void https_deliver_inspect(struct https_req *r)
{
    const struct https_ins *ins = r->ins;
    bool ok = r->st == HTTPS_OK && ins->mode == HTTPS_INSPECT_FETCH;
    struct https_result res = {
        .st = r->st,
        .http_code = r->code,
        .body = ok ? (r->body != NULL ? r->body : "") : NULL,
        .len = ok ? r->len : 0,
        .detail = r->detail,
        .content_type = ins->content_type,
        .location = ins->location,
        .address = ins->address,
        .content_length = ins->content_length,
        .connect_ms = ins->connect_ms,
        .tls_ms = ins->tls_ms,
        .total_ms = ins->total_ms,
        .tls = &ins->tls,
    };
    ins->cb(r->arg, &res);
}

static void https_deliver_event(evutil_socket_t fd, short what, void *arg)
{
    struct https_req *r = arg;

    /* Detach first: the callback may call https_free(). */
    https_unlink(r);
    r->delivering = true;
    log_debug("https: %s: %s (HTTP %ld) %s", r->host, https_status_name(r->st), r->code, r->detail);
    if (r->ins != NULL)
        https_deliver_inspect(r);
    else
        r->cb(r->arg, r->st, r->code, r->st == HTTPS_OK ? (r->body != NULL ? r->body : "") : NULL,
              r->st == HTTPS_OK ? r->len : 0, r->detail);
    https_req_free(r);
}

static void https_set_result(struct https_req *r, enum https_status st, const char *fmt, ...)
    LOG_PRINTF(3, 4);

static void https_set_result(struct https_req *r, enum https_status st, const char *fmt, ...)
{
    char raw[HTTPS_DETAIL_SZ];
    va_list ap;

    r->st = st;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    log_sanitize(raw, strlen(raw), r->detail, sizeof(r->detail));
}

/* ---- response checks --------------------------------------------------- */

/* Content-Type must be text/plain; parameters are ignored. */
static bool https_media_ok(const char *ct)
{
    static const char want[] = "text/plain";
    size_t n = sizeof(want) - 1;

    if (ct == NULL)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, want, n) != 0)
        return false;
    ct += n;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    return *ct == '\0' || *ct == ';';
}

/* Classify status code and media type; true if the response is acceptable. */
static bool https_check_response(struct https_req *r)
{
    char *ct = NULL;

    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->code);
    if (r->code >= 300 && r->code < 400) {
        https_set_result(r, HTTPS_ERR_REDIRECT, "HTTP %ld redirect", r->code);
        return false;
    }
    if (r->code != 200) {
        https_set_result(r, HTTPS_ERR_STATUS, "HTTP %ld", r->code);
        return false;
    }
    curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &ct);
    if (ct == NULL) {
        https_set_result(r, HTTPS_ERR_MEDIA_TYPE, "no Content-Type");
        return false;
    }
    if (!https_media_ok(ct)) {
        https_set_result(r, HTTPS_ERR_MEDIA_TYPE, "Content-Type %.60s", ct);
        return false;
    }
    return true;
}

static size_t https_write(char *data, size_t size, size_t nmemb, void *userp)
{
    struct https_req *r = userp;
    size_t n = size * nmemb;

    if (!r->checked) {
        /* First body bytes: reject a bad status or type without reading on. */
        r->checked = true;
        if (!https_check_response(r))
            return 0;
    }
    if (n > r->max_body - r->len) {
        https_set_result(r, HTTPS_ERR_TOO_LARGE, "body larger than %zu bytes", r->max_body);
        return 0;
    }
    if (r->len + n > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + n)
            cap *= 2;
        if (cap > r->max_body)
            cap = r->max_body;
        r->body = xrealloc(r->body, cap + 1);
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
    r->body[r->len] = '\0';
    return n;
}

static void https_classify(struct https_req *r, CURLcode rc)
{
    const char *why = r->errbuf[0] != '\0' ? r->errbuf : curl_easy_strerror(rc);

    if (r->st != HTTPS_OK)
        return; /* set by the write callback */

    if (r->ins != NULL && r->ins->mode == HTTPS_INSPECT_HANDSHAKE && r->ins->tls.valid) {
        /* Aborted on purpose once the handshake was read. */
        snprintf(r->detail, sizeof(r->detail), "handshake completed (not verified)");
        return;
    }
    switch (rc) {
    case CURLE_OK:
        if (https_check_response(r))
            snprintf(r->detail, sizeof(r->detail), "%zu bytes", r->len);
        return;
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
        https_set_result(r, HTTPS_ERR_CONNECT, "%s", why);
        return;
    case CURLE_OPERATION_TIMEDOUT:
        https_set_result(r, HTTPS_ERR_TIMEOUT, "%s", why);
        return;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
        https_set_result(r, HTTPS_ERR_CERT, "%s", why);
        return;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED:
        https_set_result(r, HTTPS_ERR_TLS, "%s", why);
        return;
    case CURLE_FILESIZE_EXCEEDED:
        https_set_result(r, HTTPS_ERR_TOO_LARGE, "Content-Length above %zu bytes", r->max_body);
        return;
    default:
        https_set_result(r, HTTPS_ERR_OTHER, "%s", why);
        return;
    }
}

/* The TLS session of a live connection, into r->ins->tls (once). */
static void https_ins_read_tls(struct https_req *r)
{
    struct curl_tlssessioninfo *ti = NULL;

    if (r->ins->tls_read)
        return;
    r->ins->tls_read = true;
    if (curl_easy_getinfo(r->easy, CURLINFO_TLS_SSL_PTR, &ti) != CURLE_OK || ti == NULL ||
        ti->backend != CURLSSLBACKEND_OPENSSL || ti->internals == NULL)
        return;
    tlsinfo_read(ti->internals, &r->ins->tls);
}

/* CURLOPT_PREREQFUNCTION, inspection only: connected, handshake done,
 * request not sent yet. */
static int https_ins_prereq(void *userp, char *conn_primary_ip, char *conn_local_ip,
                            int conn_primary_port, int conn_local_port)
{
    struct https_req *r = userp;

    https_ins_read_tls(r);
    return r->ins->mode == HTTPS_INSPECT_HANDSHAKE ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
}

/* CURLOPT_HEADERFUNCTION, inspection only: keep a redirect's Location. */
static size_t https_ins_header(char *data, size_t size, size_t nmemb, void *userp)
{
    static const char key[] = "location:";
    struct https_req *r = userp;
    size_t n = size * nmemb, k = sizeof(key) - 1;

    if (n > k && strncasecmp(data, key, k) == 0) {
        const char *v = data + k;
        size_t len = n - k;
        while (len > 0 && (*v == ' ' || *v == '\t')) {
            v++;
            len--;
        }
        while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
            len--;
        log_sanitize(v, len, r->ins->location, sizeof(r->ins->location));
    }
    return n;
}

static long https_ins_ms(CURL *e, CURLINFO what)
{
    curl_off_t us = -1;

    if (curl_easy_getinfo(e, what, &us) != CURLE_OK || us <= 0)
        return -1;
    return (long)((us + 500) / 1000);
}

/* At the end of an inspected transfer, before the handle goes. */
static void https_ins_collect(struct https_req *r)
{
    struct https_ins *ins = r->ins;
    char *s = NULL;
    curl_off_t cl = -1;

    if (curl_easy_getinfo(r->easy, CURLINFO_CONTENT_TYPE, &s) == CURLE_OK && s != NULL)
        log_sanitize(s, strlen(s), ins->content_type, sizeof(ins->content_type));
    s = NULL;
    if (curl_easy_getinfo(r->easy, CURLINFO_PRIMARY_IP, &s) == CURLE_OK && s != NULL)
        log_sanitize(s, strlen(s), ins->address, sizeof(ins->address));
    if (curl_easy_getinfo(r->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK)
        ins->content_length = cl >= 0 ? (long long)cl : -1;
    ins->connect_ms = https_ins_ms(r->easy, CURLINFO_CONNECT_TIME_T);
    ins->tls_ms = https_ins_ms(r->easy, CURLINFO_APPCONNECT_TIME_T);
    ins->total_ms = https_ins_ms(r->easy, CURLINFO_TOTAL_TIME_T);
}

static void https_drain(struct https *h)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
        struct https_req *r = NULL;

        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        if (r == NULL)
            continue;
        if (r->code == 0)
            curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->code);
        https_classify(r, msg->data.result);
        if (r->ins != NULL)
            https_ins_collect(r);
        /* msg is invalid after this. */
        https_release_curl(r);
        event_active(r->deliver, EV_TIMEOUT, 0);
    }
}

/* ---- public ------------------------------------------------------------ */

bool https_global_init(char *err, size_t errsz)
{
    const curl_version_info_data *v;
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);

    if (rc != CURLE_OK) {
        snprintf(err, errsz, "curl init: %s", curl_easy_strerror(rc));
        return false;
    }
    v = curl_version_info(CURLVERSION_NOW);
    if (v == NULL || !(v->features & CURL_VERSION_SSL) || v->version_num < 0x075500) {
        snprintf(err, errsz, "libcurl %s lacks TLS support or is older than 7.85.0",
                 v != NULL ? v->version : "?");
        curl_global_cleanup();
        return false;
    }
    return true;
}

void https_global_cleanup(void)
{
    curl_global_cleanup();
}

static void https_apply_config(struct https *h, const struct https_config *cfg)
{
    free(h->ca_file);
    free(h->proxy);
    h->ca_file = cfg->ca_file != NULL && *cfg->ca_file != '\0' ? xstrdup(cfg->ca_file) : NULL;
    h->proxy = cfg->proxy != NULL && *cfg->proxy != '\0' ? xstrdup(cfg->proxy) : NULL;
    h->connect_timeout_ms = cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : 10000;
    h->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 30000;
    h->max_body = cfg->max_body > 0 ? cfg->max_body : 65536;
}

struct https *https_new(struct event_base *base, const struct https_config *cfg, char *err,
                        size_t errsz)
{
    struct https *h;
    CURLcode rc;

    /* Reference-counted: harmless after https_global_init(), and enough
     * for callers (tests) that skip it. */
    rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        snprintf(err, errsz, "curl init: %s", curl_easy_strerror(rc));
        return NULL;
    }
    h = xcalloc(1, sizeof(*h));
    h->base = base;
    LIST_INIT(&h->socks);
    LIST_INIT(&h->reqs);
    h->port = 443;
    https_apply_config(h, cfg);
    h->timer = clock_timer_new(base, https_timer_event, h);
    h->multi = curl_multi_init();
    if (h->multi == NULL) {
        snprintf(err, errsz, "cannot create curl multi handle");
        https_free(h);
        return NULL;
    }
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, https_curl_socket);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, https_curl_timer);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    return h;
}

void https_free(struct https *h)
{
    struct https_req *r;

    if (h == NULL)
        return;
    /* Outstanding requests end without callbacks. */
    while ((r = LIST_FIRST(&h->reqs)) != NULL) {
        https_release_curl(r); /* still linked: removes from the multi */
        https_unlink(r);
        https_req_free(r);
    }
    if (h->multi != NULL)
        curl_multi_cleanup(h->multi); /* may call https_curl_socket */
    struct https_sock *s;
    while ((s = LIST_FIRST(&h->socks)) != NULL)
        https_sock_free(s);
    clock_timer_free(h->timer);
    free(h->ca_file);
    free(h->proxy);
    free(h);
    curl_global_cleanup();
}

void https_reconfigure(struct https *h, const struct https_config *cfg)
{
    https_apply_config(h, cfg);
}

void https_set_port(struct https *h, int port)
{
    if (port > 0 && port < 65536)
        h->port = port;
}

size_t https_active(const struct https *h)
{
    return h->nreqs;
}

static bool https_host_ok(const char *host)
{
    size_t len = strlen(host), label = 0, i;

    if (len == 0 || len > HTTPS_HOST_MAX)
        return false;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)host[i];
        if (c == '.') {
            if (label == 0 || host[i - 1] == '-')
                return false;
            label = 0;
        } else if (isalnum(c) || c == '-' || c == '_') {
            if (label == 0 && c == '-')
                return false;
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return label > 0 && host[len - 1] != '-';
}

/* Build "host:port:a1,[a6],..." from numeric addresses; false if none valid. */
static bool https_build_resolve(struct https_req *r, int port, const char *const *addrs,
                                size_t naddrs)
{
    size_t cap = strlen(r->host) + 16 + naddrs * (INET6_ADDRSTRLEN + 3), i;
    char *line = xmalloc(cap);
    size_t off = (size_t)snprintf(line, cap, "%s:%d:", r->host, port);
    bool any = false;

    for (i = 0; i < naddrs; i++) {
        unsigned char buf[sizeof(struct in6_addr)];
        char txt[INET6_ADDRSTRLEN];
        const char *a = addrs[i];
        int af;

        if (a == NULL)
            continue;
        if (inet_pton(AF_INET, a, buf) == 1)
            af = AF_INET;
        else if (inet_pton(AF_INET6, a, buf) == 1)
            af = AF_INET6;
        else
            continue;
        /* Re-render: never pass caller text to curl verbatim. */
        if (inet_ntop(af, buf, txt, sizeof(txt)) == NULL)
            continue;
        off += (size_t)snprintf(line + off, cap - off, af == AF_INET6 ? "%s[%s]" : "%s%s",
                                any ? "," : "", txt);
        any = true;
    }
    if (any)
        r->resolve = curl_slist_append(NULL, line);
    free(line);
    return any && r->resolve != NULL;
}

static bool https_setup(struct https *h, struct https_req *r)
{
    char url[HTTPS_HOST_MAX + 64];
    CURL *e;
    bool ok = true;

    if (h->port == 443)
        snprintf(url, sizeof(url), "https://%s%s", r->host, HTTPS_PATH);
    else
        snprintf(url, sizeof(url), "https://%s:%d%s", r->host, h->port, HTTPS_PATH);

    r->share = curl_share_init();
    r->easy = e = curl_easy_init();
    if (r->share == NULL || e == NULL)
        return false;
    ok &= curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) == CURLSHE_OK;

#define SET(opt, val) ok &= curl_easy_setopt(e, opt, val) == CURLE_OK
    SET(CURLOPT_PRIVATE, r);
    SET(CURLOPT_ERRORBUFFER, r->errbuf);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_SHARE, r->share);
    SET(CURLOPT_URL, url);
    SET(CURLOPT_PROTOCOLS_STR, "https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_RESOLVE, r->resolve);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (h->ca_file != NULL)
        SET(CURLOPT_CAINFO, h->ca_file);
    /* Trust exactly the CA bundle (configured, or curl's built-in system
     * bundle), never an extra CA directory: a configured ca_file must not
     * be widened by /etc/ssl/certs, and without a CA path libcurl keeps
     * the parsed bundle cached instead of re-reading it per fetch. */
    SET(CURLOPT_CAPATH, NULL);
    /* "" disables proxies, including those from the environment. */
    SET(CURLOPT_PROXY, h->proxy != NULL ? h->proxy : "");
    SET(CURLOPT_NOPROXY, "");
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SET(CURLOPT_USERAGENT, HTTPS_USER_AGENT);
    SET(CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
    SET(CURLOPT_TIMEOUT_MS, h->timeout_ms);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->max_body);
    SET(CURLOPT_WRITEFUNCTION, https_write);
    SET(CURLOPT_WRITEDATA, r);
    SET(CURLOPT_FORBID_REUSE, 1L);
    SET(CURLOPT_FRESH_CONNECT, 1L);
    if (r->ins != NULL) {
        SET(CURLOPT_PREREQFUNCTION, https_ins_prereq);
        SET(CURLOPT_PREREQDATA, r);
        SET(CURLOPT_HEADERFUNCTION, https_ins_header);
        SET(CURLOPT_HEADERDATA, r);
    }
    if (r->ins != NULL && r->ins->mode == HTTPS_INSPECT_HANDSHAKE) {
        /* A second look at a certificate the verified fetch refused. */
        SET(CURLOPT_SSL_VERIFYPEER, 0L);
        SET(CURLOPT_SSL_VERIFYHOST, 0L);
        SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_DEFAULT);
    }
#undef SET
    return ok;
}

static struct https_req *https_start(struct https *h, const char *host, const char *const *addrs,
                                     size_t naddrs, https_cb cb, struct https_ins *ins, void *arg)
{
    struct https_req *r = xcalloc(1, sizeof(*r));

    r->h = h;
    r->cb = cb;
    r->ins = ins;
    r->arg = arg;
    r->max_body = h->max_body;
    r->deliver = event_new(h->base, -1, 0, https_deliver_event, r);
    if (r->deliver == NULL) {
        log_error("https: cannot create event");
        abort();
    }
    LIST_INSERT_HEAD(&h->reqs, r, link);
    h->nreqs++;

    /* Every early failure is delivered from the loop, never from here. */
    if (host == NULL || !https_host_ok(host)) {
        snprintf(r->host, sizeof(r->host), "?");
        https_set_result(r, HTTPS_ERR_OTHER, "bad host name");
    } else {
        snprintf(r->host, sizeof(r->host), "%s", host);
        if (!https_build_resolve(r, h->port, addrs, naddrs))
            https_set_result(r, HTTPS_ERR_CONNECT, "no usable address");
        else if (!https_setup(h, r))
            https_set_result(r, HTTPS_ERR_OTHER, "cannot set up transfer");
        else if (curl_multi_add_handle(h->multi, r->easy) != CURLM_OK)
            https_set_result(r, HTTPS_ERR_OTHER, "cannot start transfer");
        else
            return r; /* the timer callback schedules the first action */
    }
    https_release_curl(r);
    event_active(r->deliver, EV_TIMEOUT, 0);
    return r;
}

struct https_req *https_get(struct https *h, const char *host, const char *const *addrs,
                            size_t naddrs, https_cb cb, void *arg)
{
    return https_start(h, host, addrs, naddrs, cb, NULL, arg);
}

struct https_req *https_inspect(struct https *h, const char *host, const char *const *addrs,
                                size_t naddrs, enum https_inspect_mode mode, https_result_cb cb,
                                void *arg)
{
    struct https_ins *ins = xcalloc(1, sizeof(*ins));

    ins->mode = mode;
    ins->cb = cb;
    ins->content_length = -1;
    ins->connect_ms = ins->tls_ms = ins->total_ms = -1;
    return https_start(h, host, addrs, naddrs, NULL, ins, arg);
}

void https_cancel(struct https_req *r)
{
    /* Cancelling from inside the request's own callback is a no-op. */
    if (r == NULL || r->delivering)
        return;
    https_release_curl(r); /* before unlink: needs r->h for the multi */
    https_unlink(r);
    https_req_free(r);
}

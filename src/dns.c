/*
 * dns - asynchronous DNS lookups with c-ares driven by libevent (see dns.h).
 *
 * Public functions: dns_new(), dns_free(), dns_reconfigure(),
 * dns_set_observer(), dns_txt(), dns_addr(), dns_cancel(),
 * dns_status_name().
 *
 * Event plumbing: c-ares tells us through its socket-state callback which
 * sockets to watch; each watched socket gets its own heap-allocated
 * struct dns_sock with one persistent libevent event (no fixed table).
 * One timer per struct dns_chan drives ares_process_fd(ARES_SOCKET_BAD,
 * ARES_SOCKET_BAD) on both its c-ares channels for their retransmissions
 * and timeouts; dns_rearm() re-arms it from the sooner of their
 * ares_timeout() after every call into c-ares.
 *
 * Channels: c-ares 1.18 has no ares_reinit() and cannot change a
 * channel's timeout, so dns_reconfigure() builds a new struct dns_chan
 * for new queries; the old one keeps its own sockets and timer until its
 * last query ends, then a zero-delay "reaper" event destroys it (never
 * from inside c-ares).
 *
 * TCP fallback: a struct dns_chan holds two c-ares channels with the same
 * servers, one for UDP (ARES_FLAG_IGNTC) and one that only speaks TCP
 * (ARES_FLAG_USEVC).  A truncated UDP answer (TC set, or cut by c-ares to
 * DNS_EDNS_SIZE or DNS_UDP_SIZE bytes) comes back to dns_ares_cb(), which
 * asks that part again on the TCP channel; it then has DNS_TRIES tries of
 * its own (3 * timeout_ms more at worst).  c-ares 1.18 would fall back on
 * the UDP channel's own TCP connection, and there (a) the connection stays
 * open while any query of the channel is outstanding, not only the ones
 * it carries, against RFC 7766 section 6.2.3 (clients close idle
 * sessions): a busy daemon holds it for as long as its lookups overlap,
 * and a resolver that serves one TCP connection at a time (dnsmasq
 * --no-daemon) answers no UDP query meanwhile; (b) when the server closes
 * that connection (resolvers close idle ones, unbound after 30 s, or much
 * sooner when short of TCP buffers) or refuses it, handle_error() closes
 * the UDP socket too and moves every query in flight to the server to its
 * next try: their answers are lost, and a query in its last try ends at
 * once in ARES_ETIMEOUT or ARES_ECONNREFUSED.  Upstream fixed both in
 * c-ares 1.20.0 (pull request 549: connections tracked one by one, an
 * error ends only the queries of its connection, a connection without
 * queries is closed).  The TCP channel has the same behaviour on newer
 * c-ares; with 1.18 it is idle, and closes its connection, as soon as the
 * last truncated answer is in, and its errors never touch UDP queries
 * (tests/integration/test_dns_tcp.sh).
 *
 * Queries: a struct dns_query is owned by the resolver from dns_txt() /
 * dns_addr() until it is finished.  It counts the c-ares queries still
 * outstanding (1 for TXT, 2 for A+AAAA).  When the last one answers, the
 * result is stored in the query and delivered from a zero-delay event, so
 * the caller's callback never runs inside c-ares (nor inside dns_txt() /
 * dns_addr() when c-ares fails synchronously) and may freely start, cancel
 * or even dns_free() from there.  dns_cancel() clears the callback; a
 * cancelled query whose c-ares work is still outstanding lingers (without
 * a callback) until c-ares answers or gives up, since c-ares 1.18 cannot
 * cancel one query.  c-ares calls back with ARES_EDESTRUCTION from inside
 * ares_destroy(); dns_free() sets d->destroying first so those callbacks
 * only account, and frees every query and socket struct afterwards.
 *
 * Limits: every record of a TXT answer is passed (the DNS message bounds
 * them: 64 KiB over TCP), each joined record cut to DNS_MAX_TXT + 1 bytes
 * (flagged oversize), so that a long record of another kind cannot hide
 * the one the caller looks for; DNS_MAX_ADDRS addresses.  Names are checked (LDH labels,
 * '_' allowed) before they reach c-ares.  timeout_ms is the first
 * attempt's timeout; c-ares tries each server DNS_TRIES times, doubling
 * the timeout in the second round, so a lookup that never gets an answer
 * ends after 3 * timeout_ms per server (measured: 3.0 s for 1 s, one
 * server; A and AAAA run in parallel).
 *
 * c-ares 1.18 quirk: a query that got SERVFAIL or REFUSED on every try
 * ends with ARES_ECONNREFUSED.  With a single server the channel uses
 * ARES_FLAG_NOCHECKRESP so the real rcode is reported (nothing to fail
 * over to anyway); with several servers failover is kept and the detail
 * says the cause is one of the three.
 *
 * DNSSEC-aware queries (dns_query_sec() and its wrappers, for DANE):
 * c-ares 1.18's ares_query() fixes the header flags (no AD bit), has no
 * TLSA parser and its MX parser drops TTLs, so these queries are built by
 * dnsmsg_build() and sent with ares_send(), and the raw answer is copied
 * (the TLSA data of the result points into the copy) and parsed by
 * dnsmsg_parse().  They share everything else with dns_txt()/dns_addr():
 * channels, parts, deferred delivery, cancellation, dns_free().  The
 * query id is random (getrandom()); c-ares 1.18 keeps it and matches the
 * answer on id and question, newer c-ares choose their own id, so the
 * parser is not asked to check it.  With ares_send(), c-ares passes every
 * answer it accepts (NXDOMAIN included) as ARES_SUCCESS; the RCODE is
 * mapped here: NOERROR with records -> DNS_OK, NOERROR without ->
 * DNS_NODATA, NXDOMAIN -> DNS_NODATA + nxdomain, anything else (SERVFAIL
 * with a single server, see above), a TC bit still set or a malformed
 * answer -> DNS_TEMPFAIL.
 *
 * Diagnostics: every result carries a short detail ("NXDOMAIN",
 * "SERVFAIL", "timeout", ...) for the caller's log line; this module logs
 * only at debug level, plus errors from dns_new().
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ares.h>
#include <event2/event.h>

#include "clock.h"
#include "dns.h"
#include "log.h"
#include "queue_safe.h"
#include "xalloc.h"

#define DNS_TRIES     2
#define DNS_NAME_MAX  254 /* 253 characters plus the absolute dot */
#define DNS_PART_SZ   64
#define DNS_DETAIL_SZ (2 * DNS_PART_SZ + 16)
#define DNS_EDNS_SIZE 1280 /* the UDP payload size we advertise (c-ares's default) */
#define DNS_UDP_SIZE  512  /* without EDNS */
#define DNS_HDR_SIZE  12

#ifndef T_TXT
#define T_TXT 16
#endif
#ifndef T_A
#define T_A 1
#endif
#ifndef T_AAAA
#define T_AAAA 28
#endif
#ifndef C_IN
#define C_IN 1
#endif

enum dns_kind {
    DNS_KIND_TXT,
    DNS_KIND_ADDR,
    DNS_KIND_SEC, /* dns_query_sec() and its wrappers */
};

/* One resolver configuration: a c-ares channel for UDP and one for the
 * TCP retries of truncated answers (see "TCP fallback" above).
 * dns_reconfigure() starts a new one; the old one stays until its
 * outstanding queries end (c-ares 1.18 cannot change the timeout of a
 * channel, nor its servers while queries are pending). */
struct dns_chan {
    struct dns *d;
    ares_channel channel; /* UDP; truncated answers come back to us (IGNTC) */
    ares_channel tcp;     /* TCP only (USEVC) */
    bool channel_ok;
    bool tcp_ok;
    int nservers;
    struct clock_timer *timer;
    int outstanding; /* c-ares queries sent on these channels, not ended */
    LIST_HEAD(, dns_sock) socks;
    LIST_ENTRY(dns_chan) link; /* on d->old */
};

struct dns_sock {
    struct dns_chan *c;
    ares_channel ch; /* c->channel or c->tcp */
    ares_socket_t fd;
    struct event *ev;
    LIST_ENTRY(dns_sock) link; /* on c->socks */
};

/* One c-ares query of a dns_query (TXT, A or AAAA). */
struct dns_part {
    struct dns_query *q;
    struct dns_chan *c;
    int type;
    bool tcp; /* asked again on c->tcp after a truncated UDP answer */
    enum dns_status st;
    char detail[DNS_PART_SZ];
};

/* The raw answer of one part of a DNSSEC-aware query, and the result
 * handed to the callback (which points into the answers). */
struct dns_sec_part {
    uint8_t *msg; /* copy of the answer: TLSA data points into it */
    bool parsed;
    bool nxdomain;
    struct dnsmsg_answer ans;
};

struct dns_sec {
    dns_sec_cb cb;
    struct dns_sec_part part[2];
    struct dnsmsg_rr *merged;     /* A then AAAA, for dns_addr_sec() */
    char cname[DNSMSG_NAME_TEXT]; /* the name without its dot, if no answer says more */
    struct dns_sec_result res;
};

struct dns_query {
    struct dns *d; /* NULL once detached for delivery */
    enum dns_kind kind;
    char name[DNS_NAME_MAX + 1];
    dns_txt_cb txt_cb;
    dns_addr_cb addr_cb;
    void *arg;
    bool cancelled;
    bool delivering;
    int outstanding; /* c-ares queries not answered yet */
    struct dns_part parts[2];
    struct event *deliver;
    LIST_ENTRY(dns_query) link; /* on d->queries until detached */
    struct dns_sec *sec;        /* DNS_KIND_SEC only */

    /* Results. */
    enum dns_status st;
    char detail[DNS_DETAIL_SZ];
    bool oversize;
    size_t n;
    struct sts_txt_rr *rrs; /* TXT: n records, their text in txt_data */
    char *txt_data;
    char addr_buf[DNS_MAX_ADDRS][INET6_ADDRSTRLEN];
    const char *addrs[DNS_MAX_ADDRS];
};

struct dns {
    struct event_base *base;
    bool destroying;
    struct dns_chan *cur;           /* new queries go here */
    LIST_HEAD(, dns_chan) old;      /* draining after dns_reconfigure() */
    struct event *reaper;           /* frees drained old channels from the loop */
    LIST_HEAD(, dns_query) queries; /* every query not yet delivered */
    dns_observe_fn observe;         /* told of every answer, or NULL */
    void *observe_arg;
};

static void dns_rearm(struct dns_chan *c);
static void dns_chan_free(struct dns_chan *c);
static void dns_sec_collect(struct dns_query *q, struct dns_part *p, const unsigned char *abuf,
                            int alen);
static void dns_sec_finish(struct dns_query *q);
static void dns_sec_free(struct dns_sec *sec);
static uint16_t dns_random_id(void);
static void dns_ares_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen);

const char *dns_status_name(enum dns_status st)
{
    switch (st) {
    case DNS_OK:
        return "OK";
    case DNS_NODATA:
        return "NODATA";
    case DNS_TEMPFAIL:
        return "TEMPFAIL";
    }
    return "UNKNOWN";
}

/* ---- event plumbing ---------------------------------------------------- */

static void dns_sock_event(evutil_socket_t fd, short what, void *arg)
{
    struct dns_sock *s = arg;
    struct dns_chan *c = s->c;
    ares_channel ch = s->ch;
    ares_socket_t rfd = (what & EV_READ) ? (ares_socket_t)fd : ARES_SOCKET_BAD;
    ares_socket_t wfd = (what & EV_WRITE) ? (ares_socket_t)fd : ARES_SOCKET_BAD;

    /* s may be freed inside ares_process_fd (socket closed): not used after. */
    ares_process_fd(ch, rfd, wfd);
    dns_rearm(c);
}

static void dns_timer_event(void *arg)
{
    struct dns_chan *c = arg;

    ares_process_fd(c->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    ares_process_fd(c->tcp, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    dns_rearm(c);
}

/* After every call into c-ares: re-arm the channel's timer; a drained old
 * channel is handed to the reaper (never destroyed under c-ares's feet). */
static void dns_rearm(struct dns_chan *c)
{
    struct dns *d = c->d;
    struct timeval udp_tv, tcp_tv, *tv;

    if (d->destroying)
        return;
    if (c != d->cur && c->outstanding == 0) {
        event_active(d->reaper, EV_TIMEOUT, 0);
        return;
    }
    /* The sooner of the two channels' next timeouts. */
    tv = ares_timeout(c->channel, NULL, &udp_tv);
    tv = ares_timeout(c->tcp, tv, &tcp_tv);
    if (tv == NULL) {
        clock_timer_del(c->timer);
        return;
    }
    clock_timer_add(c->timer, (int64_t)tv->tv_sec * 1000 + (tv->tv_usec + 999) / 1000);
}

static void dns_reaper_event(evutil_socket_t fd, short what, void *arg)
{
    struct dns *d = arg;
    struct dns_chan *c, *tmp;

    LIST_FOREACH_SAFE(c, &d->old, link, tmp) {
        if (c->outstanding == 0) {
            LIST_REMOVE(c, link);
            dns_chan_free(c);
        }
    }
}

static void dns_sock_unlink(struct dns_sock *s)
{
    LIST_REMOVE(s, link);
    if (s->ev != NULL)
        event_free(s->ev);
    free(s);
}

/* Watch (or stop watching) a socket of channel ch (c->channel or c->tcp). */
static void dns_sock_watch(struct dns_chan *c, ares_channel ch, ares_socket_t fd, int readable,
                           int writable)
{
    struct dns_sock *s;
    short what;

    LIST_FOREACH(s, &c->socks, link)
        if (s->fd == fd && s->ch == ch)
            break;

    if (!readable && !writable) {
        if (s != NULL)
            dns_sock_unlink(s);
        return;
    }

    what = EV_PERSIST | (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0);
    if (s == NULL) {
        s = xcalloc(1, sizeof(*s));
        s->c = c;
        s->ch = ch;
        s->fd = fd;
        LIST_INSERT_HEAD(&c->socks, s, link);
    } else {
        event_free(s->ev);
    }
    s->ev = event_new(c->d->base, (evutil_socket_t)fd, what, dns_sock_event, s);
    if (s->ev == NULL || event_add(s->ev, NULL) != 0) {
        /* Cannot watch it: the queries on this socket will time out. */
        log_error("dns: cannot watch resolver socket %d", (int)fd);
        dns_sock_unlink(s);
    }
}

static void dns_sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
    struct dns_chan *c = data;

    dns_sock_watch(c, c->channel, fd, readable, writable);
}

static void dns_sock_state_tcp(void *data, ares_socket_t fd, int readable, int writable)
{
    struct dns_chan *c = data;

    dns_sock_watch(c, c->tcp, fd, readable, writable);
}

/* ---- status mapping ---------------------------------------------------- */

static enum dns_status dns_map_status(int status, int nservers, const char **why)
{
    switch (status) {
    case ARES_ENOTFOUND:
        *why = "NXDOMAIN";
        return DNS_NODATA;
    case ARES_ENODATA:
        *why = "no records";
        return DNS_NODATA;
    case ARES_EBADNAME:
        *why = "bad name";
        return DNS_NODATA;
    case ARES_ESERVFAIL:
        *why = "SERVFAIL";
        return DNS_TEMPFAIL;
    case ARES_EREFUSED:
        *why = "REFUSED";
        return DNS_TEMPFAIL;
    case ARES_ETIMEOUT:
        *why = "timeout";
        return DNS_TEMPFAIL;
    case ARES_ECONNREFUSED:
        /* Also what c-ares 1.18 says after SERVFAIL/REFUSED from every one
         * of several servers (see dns_chan_new). */
        *why = nservers > 1 ? "no usable answer (SERVFAIL, REFUSED or connection refused)"
                            : "connection refused";
        return DNS_TEMPFAIL;
    case ARES_EFORMERR:
    case ARES_EBADRESP:
        *why = "malformed answer";
        return DNS_TEMPFAIL;
    case ARES_ENOTIMP:
        *why = "NOTIMP";
        return DNS_TEMPFAIL;
    default:
        *why = ares_strerror(status);
        return DNS_TEMPFAIL;
    }
}

static void dns_part_fail(struct dns_part *p, int status)
{
    const char *why;

    p->st = dns_map_status(status, p->c->nservers, &why);
    snprintf(p->detail, sizeof(p->detail), "%.*s", (int)sizeof(p->detail) - 1, why);
}

/* ---- result collection ------------------------------------------------- */

static void dns_collect_txt(struct dns_query *q, struct dns_part *p, const unsigned char *abuf,
                            int alen)
{
    struct ares_txt_ext *list = NULL, *t, *end;
    size_t nrec = 0, total = 0, off = 0;
    int rc = ares_parse_txt_reply_ext(abuf, alen, &list);

    if (rc != ARES_SUCCESS) {
        dns_part_fail(p, rc);
        return;
    }
    /* Every record of the answer (the message bounds them: at most 64 KiB
     * over TCP), each cut to DNS_MAX_TXT + 1 bytes.  One record is this
     * string and the following non-start ones. */
    for (t = list; t != NULL; t = end) {
        size_t len = 0;
        for (end = t; end != NULL && (end == t || !end->record_start); end = end->next)
            len += end->length;
        total += (len > DNS_MAX_TXT ? DNS_MAX_TXT + 1 : len) + 1;
        nrec++;
    }
    if (nrec > 0) {
        q->rrs = xcalloc(nrec, sizeof(*q->rrs));
        q->txt_data = xmalloc(total);
    }
    for (t = list; t != NULL; t = end) {
        char *buf = q->txt_data + off;
        size_t len = 0;

        for (end = t; end != NULL && (end == t || !end->record_start); end = end->next) {
            size_t take = end->length;
            if (take > DNS_MAX_TXT + 1 - len) {
                take = DNS_MAX_TXT + 1 - len;
                q->oversize = true; /* record cut */
            }
            memcpy(buf + len, end->txt, take);
            len += take;
        }
        buf[len] = '\0';
        q->rrs[q->n].data = buf;
        q->rrs[q->n].len = len;
        q->n++;
        off += len + 1;
    }
    ares_free_data(list);
    if (q->n == 0) {
        p->st = DNS_NODATA;
        snprintf(p->detail, sizeof(p->detail), "no records");
        return;
    }
    p->st = DNS_OK;
    snprintf(p->detail, sizeof(p->detail), "%zu record%s%s", q->n, q->n == 1 ? "" : "s",
             q->oversize ? " (long ones cut)" : "");
}

static void dns_add_addr(struct dns_query *q, int af, const void *a)
{
    if (q->n == DNS_MAX_ADDRS)
        return;
    if (inet_ntop(af, a, q->addr_buf[q->n], sizeof(q->addr_buf[q->n])) == NULL)
        return;
    q->addrs[q->n] = q->addr_buf[q->n];
    q->n++;
}

static void dns_collect_addr(struct dns_query *q, struct dns_part *p, const unsigned char *abuf,
                             int alen)
{
    int rc, i, count = DNS_MAX_ADDRS;

    if (p->type == T_A) {
        struct ares_addrttl a[DNS_MAX_ADDRS];
        rc = ares_parse_a_reply(abuf, alen, NULL, a, &count);
        if (rc == ARES_SUCCESS)
            for (i = 0; i < count; i++)
                dns_add_addr(q, AF_INET, &a[i].ipaddr);
    } else {
        struct ares_addr6ttl a[DNS_MAX_ADDRS];
        rc = ares_parse_aaaa_reply(abuf, alen, NULL, a, &count);
        if (rc == ARES_SUCCESS)
            for (i = 0; i < count; i++)
                dns_add_addr(q, AF_INET6, &a[i].ip6addr);
    }
    if (rc != ARES_SUCCESS) {
        dns_part_fail(p, rc);
        return;
    }
    if (count <= 0) {
        p->st = DNS_NODATA;
        snprintf(p->detail, sizeof(p->detail), "no records");
        return;
    }
    p->st = DNS_OK;
    snprintf(p->detail, sizeof(p->detail), "%d address%s", count, count == 1 ? "" : "es");
}

/* Combine the parts into the query's overall status and detail. */
static void dns_finish(struct dns_query *q)
{
    if (q->kind == DNS_KIND_SEC) {
        dns_sec_finish(q);
        return;
    }
    if (q->kind == DNS_KIND_TXT) {
        q->st = q->parts[0].st;
        snprintf(q->detail, sizeof(q->detail), "%s", q->parts[0].detail);
        return;
    }
    /* A and AAAA: any address wins; else a temporary failure of either
     * means we cannot say there are none. */
    const struct dns_part *a = &q->parts[0], *aaaa = &q->parts[1];
    /* Answers arrive in any order: IPv4 first, each family in DNS order. */
    const char *v6[DNS_MAX_ADDRS];
    size_t i, n4 = 0, n6 = 0;
    for (i = 0; i < q->n; i++) {
        if (strchr(q->addrs[i], ':') != NULL)
            v6[n6++] = q->addrs[i];
        else
            q->addrs[n4++] = q->addrs[i];
    }
    for (i = 0; i < n6; i++)
        q->addrs[n4 + i] = v6[i];
    if (q->n > 0) {
        q->st = DNS_OK;
        snprintf(q->detail, sizeof(q->detail), "%zu address%s", q->n, q->n == 1 ? "" : "es");
    } else if (a->st == DNS_TEMPFAIL || aaaa->st == DNS_TEMPFAIL) {
        q->st = DNS_TEMPFAIL;
        snprintf(q->detail, sizeof(q->detail), "A: %s, AAAA: %s", a->detail, aaaa->detail);
    } else {
        q->st = DNS_NODATA;
        snprintf(q->detail, sizeof(q->detail), "A: %s, AAAA: %s", a->detail, aaaa->detail);
    }
}

static void dns_query_free(struct dns_query *q)
{
    if (q->kind == DNS_KIND_TXT) {
        free(q->rrs);
        free(q->txt_data);
    }
    dns_sec_free(q->sec);
    if (q->deliver != NULL)
        event_free(q->deliver);
    free(q);
}

static void dns_unlink(struct dns_query *q)
{
    struct dns *d = q->d;

    if (d == NULL)
        return;
    LIST_REMOVE(q, link);
    q->d = NULL;
}

static void dns_deliver_event(evutil_socket_t fd, short what, void *arg)
{
    struct dns_query *q = arg;

    /* Detach first: the callback may call dns_free(). */
    dns_unlink(q);
    q->delivering = true;
    if (!q->cancelled) {
        if (q->kind == DNS_KIND_TXT)
            q->txt_cb(q->arg, q->st, q->n > 0 ? q->rrs : NULL, q->n, q->oversize, q->detail);
        else if (q->kind == DNS_KIND_SEC)
            q->sec->cb(q->arg, &q->sec->res);
        else
            q->addr_cb(q->arg, q->st, q->n > 0 ? q->addrs : NULL, q->n, q->detail);
    }
    dns_query_free(q);
}

/* A UDP answer the server truncated (TC), or that c-ares cut to the UDP
 * payload size: with ARES_FLAG_IGNTC, c-ares 1.18 passes an answer longer
 * than that size cut to exactly that size. */
static bool dns_truncated(const unsigned char *abuf, int alen)
{
    return abuf != NULL && alen >= DNS_HDR_SIZE &&
           ((abuf[2] & 0x02) != 0 || alen == DNS_EDNS_SIZE || alen == DNS_UDP_SIZE);
}

/* Ask p again on the TCP-only channel (see "TCP fallback" above); false if
 * it cannot be (the truncated answer then stands). */
static bool dns_part_tcp(struct dns_part *p)
{
    struct dns_query *q = p->q;
    ares_channel tcp = p->c->tcp;

    p->tcp = true;
    if (q->kind == DNS_KIND_SEC) {
        uint8_t qbuf[DNSMSG_QUERY_MAX];
        enum dnsmsg_err err;
        size_t len = dnsmsg_build(qbuf, sizeof(qbuf), dns_random_id(), q->name, (uint16_t)p->type,
                                  DNSMSG_Q_DEFAULT, &err);
        if (len == 0) /* it was built once: cannot happen */
            return false;
        ares_send(tcp, qbuf, (int)len, dns_ares_cb, p);
    } else {
        ares_query(tcp, q->name, C_IN, p->type, dns_ares_cb, p);
    }
    return true;
}

/*
 * How one c-ares answer counts for the observer: by c-ares's status; for
 * an answer that came, by what the collectors found in it (p->st), or by
 * its RCODE where nobody read it (a cancelled query) or it was not usable.
 */
static enum dns_answer dns_answer_class(const struct dns_query *q, const struct dns_part *p,
                                        int status, const unsigned char *abuf, int alen)
{
    switch (status) {
    case ARES_SUCCESS:
        break;
    case ARES_ENOTFOUND:
        return DNS_ANSWER_NXDOMAIN;
    case ARES_ENODATA:
        return DNS_ANSWER_NODATA;
    case ARES_ESERVFAIL:
        return DNS_ANSWER_SERVFAIL;
    case ARES_EREFUSED:
        return DNS_ANSWER_REFUSED;
    case ARES_ETIMEOUT:
        return DNS_ANSWER_TIMEOUT;
    default:
        return DNS_ANSWER_ERROR;
    }
    if (!q->cancelled && p->st == DNS_OK)
        return DNS_ANSWER_OK;
    if (!q->cancelled && p->st == DNS_NODATA)
        return q->kind == DNS_KIND_SEC && q->sec->part[p - q->parts].nxdomain ? DNS_ANSWER_NXDOMAIN
                                                                              : DNS_ANSWER_NODATA;
    switch (abuf != NULL && alen >= 4 ? abuf[3] & 0x0f : -1) {
    case DNSMSG_R_NOERROR:
        return q->cancelled ? DNS_ANSWER_OK : DNS_ANSWER_ERROR;
    case DNSMSG_R_NXDOMAIN:
        return DNS_ANSWER_NXDOMAIN;
    case DNSMSG_R_SERVFAIL:
        return DNS_ANSWER_SERVFAIL;
    case DNSMSG_R_REFUSED:
        return DNS_ANSWER_REFUSED;
    default:
        return DNS_ANSWER_ERROR;
    }
}

/* A c-ares query ended (possibly synchronously, or inside ares_destroy). */
static void dns_ares_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
    struct dns_part *p = arg;
    struct dns_query *q = p->q;
    struct dns *d = q->d;

    /* A truncated UDP answer: the part stays outstanding, asked over TCP
     * (the caller's dns_rearm() covers the TCP channel's timer). */
    if (!p->tcp && status != ARES_EDESTRUCTION && d != NULL && !d->destroying && !q->cancelled &&
        dns_truncated(abuf, alen) && dns_part_tcp(p))
        return;
    q->outstanding--;
    p->c->outstanding--;
    if (status == ARES_EDESTRUCTION || d == NULL || d->destroying) {
        /* dns_free() frees the query once c-ares is gone. */
        return;
    }
    if (!q->cancelled) {
        if (status != ARES_SUCCESS)
            dns_part_fail(p, status);
        else if (q->kind == DNS_KIND_TXT)
            dns_collect_txt(q, p, abuf, alen);
        else if (q->kind == DNS_KIND_SEC)
            dns_sec_collect(q, p, abuf, alen);
        else
            dns_collect_addr(q, p, abuf, alen);
        log_debug("dns: %s %s: %s", q->name, dnsmsg_type_name((uint16_t)p->type), p->detail);
    }
    if (d->observe != NULL)
        d->observe(d->observe_arg, (uint16_t)p->type, dns_answer_class(q, p, status, abuf, alen));
    if (q->outstanding > 0)
        return;
    if (q->cancelled) {
        dns_unlink(q);
        dns_query_free(q);
        return;
    }
    dns_finish(q);
    event_active(q->deliver, EV_TIMEOUT, 0);
}

/* ---- channels ---------------------------------------------------------- */

/* Destroy both c-ares channels (they call back with ARES_EDESTRUCTION). */
static void dns_chan_close(struct dns_chan *c)
{
    if (c->channel_ok)
        ares_destroy(c->channel);
    if (c->tcp_ok)
        ares_destroy(c->tcp);
    c->channel_ok = false;
    c->tcp_ok = false;
}

static void dns_chan_free(struct dns_chan *c)
{
    struct dns_sock *s;

    dns_chan_close(c);
    while ((s = LIST_FIRST(&c->socks)) != NULL)
        dns_sock_unlink(s);
    clock_timer_free(c->timer);
    free(c);
}

/* Count the servers of a channel (-1 on error). */
static int dns_chan_nservers(ares_channel ch)
{
    struct ares_addr_port_node *list = NULL, *n;
    int count = 0;

    if (ares_get_servers_ports(ch, &list) != ARES_SUCCESS)
        return -1;
    for (n = list; n != NULL; n = n->next)
        count++;
    ares_free_data(list);
    return count;
}

/* Open *ch for c with flags, the server list (NULL: resolv.conf) and the
 * socket-state callback cb; *ok once there is a channel to destroy. */
static bool dns_ares_open(struct dns_chan *c, ares_channel *ch, bool *ok, int flags,
                          ares_sock_state_cb cb, const char *csv, int timeout_ms, char *err,
                          size_t errsz)
{
    struct ares_options opts;
    int optmask, rc;

    memset(&opts, 0, sizeof(opts));
    opts.flags = flags;
    opts.timeout = timeout_ms > 0 ? timeout_ms : 5000;
    opts.tries = DNS_TRIES;
    opts.ndots = 1;
    opts.ednspsz = DNS_EDNS_SIZE;
    opts.sock_state_cb = cb;
    opts.sock_state_cb_data = c;
    optmask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_NDOTS |
              ARES_OPT_EDNSPSZ | ARES_OPT_SOCK_STATE_CB;
    rc = ares_init_options(ch, &opts, optmask);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errsz, "c-ares channel: %s", ares_strerror(rc));
        return false;
    }
    *ok = true;
    if (csv != NULL) {
        rc = *csv == '\0' ? ARES_EBADSTR : ares_set_servers_ports_csv(*ch, csv);
        if (rc != ARES_SUCCESS) {
            snprintf(err, errsz, "bad DNS server list \"%.100s\": %s", csv, ares_strerror(rc));
            return false;
        }
    }
    return true;
}

/* Open c's UDP and TCP channels (see "TCP fallback" above). */
static bool dns_chan_open(struct dns_chan *c, int flags, const char *csv, int timeout_ms, char *err,
                          size_t errsz)
{
    if (!dns_ares_open(c, &c->channel, &c->channel_ok, flags | ARES_FLAG_IGNTC, dns_sock_state, csv,
                       timeout_ms, err, errsz) ||
        !dns_ares_open(c, &c->tcp, &c->tcp_ok, flags | ARES_FLAG_USEVC, dns_sock_state_tcp, csv,
                       timeout_ms, err, errsz))
        return false;
    c->nservers = dns_chan_nservers(c->channel);
    if (c->nservers < 1) {
        snprintf(err, errsz, "no DNS servers");
        return false;
    }
    return true;
}

static struct dns_chan *dns_chan_new(struct dns *d, const char *servers, int timeout_ms, char *err,
                                     size_t errsz)
{
    struct dns_chan *c = xcalloc(1, sizeof(*c));
    int flags = ARES_FLAG_NOSEARCH | ARES_FLAG_EDNS;
    char *csv = NULL;

    LIST_INIT(&c->socks);
    c->d = d;
    c->timer = clock_timer_new(d->base, dns_timer_event, c);
    if (servers != NULL && *servers != '\0') {
        /* Tolerate spaces around the commas of the configured list. */
        size_t len = strlen(servers), i, j = 0;
        csv = xmalloc(len + 1);
        for (i = 0; i < len; i++)
            if (!isspace((unsigned char)servers[i]))
                csv[j++] = servers[i];
        csv[j] = '\0';
    }
    if (!dns_chan_open(c, flags, csv, timeout_ms, err, errsz))
        goto fail;
    if (c->nservers == 1) {
        /* c-ares 1.18 answers a query that got SERVFAIL or REFUSED on every
         * try with ARES_ECONNREFUSED.  With a single server there is no
         * other server to fail over to, so take the answer as it comes
         * (ARES_FLAG_NOCHECKRESP) and report what really happened. */
        dns_chan_close(c);
        if (!dns_chan_open(c, flags | ARES_FLAG_NOCHECKRESP, csv, timeout_ms, err, errsz))
            goto fail;
    }
    free(csv);
    return c;

fail:
    free(csv);
    dns_chan_free(c);
    return NULL;
}

/* ---- public ------------------------------------------------------------ */

struct dns *dns_new(struct event_base *base, const char *servers, int timeout_ms, char *err,
                    size_t errsz)
{
    struct dns *d;
    int rc;

    rc = ares_library_init(ARES_LIB_INIT_ALL);
    if (rc != ARES_SUCCESS) {
        snprintf(err, errsz, "c-ares init: %s", ares_strerror(rc));
        return NULL;
    }
    d = xcalloc(1, sizeof(*d));
    d->base = base;
    LIST_INIT(&d->old);
    LIST_INIT(&d->queries);
    d->reaper = event_new(base, -1, 0, dns_reaper_event, d);
    if (d->reaper == NULL) {
        snprintf(err, errsz, "cannot create resolver event");
        dns_free(d);
        return NULL;
    }
    d->cur = dns_chan_new(d, servers, timeout_ms, err, errsz);
    if (d->cur == NULL) {
        dns_free(d);
        return NULL;
    }
    return d;
}

bool dns_reconfigure(struct dns *d, const char *servers, int timeout_ms, char *err, size_t errsz)
{
    struct dns_chan *c = dns_chan_new(d, servers, timeout_ms, err, errsz);

    if (c == NULL)
        return false;
    /* The old channel finishes what it has (without new queries). */
    struct dns_chan *old = d->cur;
    LIST_INSERT_HEAD(&d->old, old, link);
    d->cur = c;
    if (old->outstanding == 0)
        event_active(d->reaper, EV_TIMEOUT, 0);
    return true;
}

void dns_free(struct dns *d)
{
    struct dns_query *q;
    struct dns_chan *c;

    if (d == NULL)
        return;
    d->destroying = true;
    if (d->cur != NULL)
        dns_chan_free(d->cur);
    while ((c = LIST_FIRST(&d->old)) != NULL) {
        LIST_REMOVE(c, link);
        dns_chan_free(c);
    }
    while ((q = LIST_FIRST(&d->queries)) != NULL) {
        dns_unlink(q);
        dns_query_free(q);
    }
    if (d->reaper != NULL)
        event_free(d->reaper);
    free(d);
    ares_library_cleanup();
}

void dns_set_observer(struct dns *d, dns_observe_fn fn, void *arg)
{
    d->observe = fn;
    d->observe_arg = arg;
}

bool dns_servers_local(struct dns *d, char *remote, size_t remotesz)
{
    struct ares_addr_port_node *list = NULL, *n;
    bool local = true;

    if (remotesz > 0)
        remote[0] = '\0';
    if (d == NULL || d->cur == NULL ||
        ares_get_servers_ports(d->cur->channel, &list) != ARES_SUCCESS)
        return true; /* nothing to say (dns_new() made sure there are servers) */
    for (n = list; n != NULL && local; n = n->next) {
        char text[INET6_ADDRSTRLEN] = "?";
        if (n->family == AF_INET) {
            const unsigned char *b = (const unsigned char *)&n->addr.addr4;
            local = b[0] == 127;
            inet_ntop(AF_INET, &n->addr.addr4, text, sizeof(text));
        } else if (n->family == AF_INET6) {
            static const unsigned char loop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
            local = memcmp(&n->addr.addr6, loop6, 16) == 0;
            inet_ntop(AF_INET6, &n->addr.addr6, text, sizeof(text));
        } else {
            local = false;
        }
        if (!local && remotesz > 0)
            snprintf(remote, remotesz, "%s", text);
    }
    ares_free_data(list);
    return local;
}

/* Letters, digits, '-', '_' in labels of 1-63, at most 253 in all: no
 * escapes or other bytes reach c-ares (which would interpret '\\'). */
static bool dns_name_ok(const char *name, size_t len)
{
    size_t i, label = 0;

    if (len == 0 || len > DNS_NAME_MAX - 1)
        return false;
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (ch == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if (isalnum(ch) || ch == '-' || ch == '_') {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return true;
}

/* A new query on d's list, with its delivery event (never NULL: a
 * resolver that cannot make an event cannot keep its promises). */
static struct dns_query *dns_query_new(struct dns *d, enum dns_kind kind, void *arg)
{
    struct dns_query *q = xcalloc(1, sizeof(*q));

    q->d = d;
    q->kind = kind;
    q->arg = arg;
    q->deliver = event_new(d->base, -1, 0, dns_deliver_event, q);
    if (q->deliver == NULL) {
        log_error("dns: cannot create event");
        abort();
    }
    LIST_INSERT_HEAD(&d->queries, q, link);
    return q;
}

static struct dns_query *dns_start(struct dns *d, enum dns_kind kind, const char *name,
                                   dns_txt_cb txt_cb, dns_addr_cb addr_cb, void *arg)
{
    struct dns_query *q = dns_query_new(d, kind, arg);
    size_t len = strlen(name);

    q->txt_cb = txt_cb;
    q->addr_cb = addr_cb;

    /* Absolute name: one trailing dot, so no search list applies. */
    while (len > 0 && name[len - 1] == '.')
        len--;
    if (!dns_name_ok(name, len)) {
        q->st = DNS_NODATA;
        snprintf(q->detail, sizeof(q->detail), "bad name");
        event_active(q->deliver, EV_TIMEOUT, 0);
        return q;
    }
    memcpy(q->name, name, len);
    q->name[len] = '.';
    q->name[len + 1] = '\0';

    /* Count everything before the first ares_query(): it may call back at
     * once (delivery is deferred to the loop anyway). */
    struct dns_chan *c = d->cur;
    int i, nparts = kind == DNS_KIND_TXT ? 1 : 2;
    static const int types[2][2] = {{T_TXT, 0}, {T_A, T_AAAA}};
    for (i = 0; i < nparts; i++) {
        q->parts[i].q = q;
        q->parts[i].c = c;
        q->parts[i].type = types[kind == DNS_KIND_TXT ? 0 : 1][i];
    }
    q->outstanding = nparts;
    c->outstanding += nparts;
    for (i = 0; i < nparts; i++)
        ares_query(c->channel, q->name, C_IN, q->parts[i].type, dns_ares_cb, &q->parts[i]);
    dns_rearm(c);
    return q;
}

struct dns_query *dns_txt(struct dns *d, const char *name, dns_txt_cb cb, void *arg)
{
    return dns_start(d, DNS_KIND_TXT, name, cb, NULL, arg);
}

struct dns_query *dns_addr(struct dns *d, const char *host, dns_addr_cb cb, void *arg)
{
    return dns_start(d, DNS_KIND_ADDR, host, NULL, cb, arg);
}

void dns_cancel(struct dns_query *q)
{
    /* Cancelling from inside the query's own callback is a no-op. */
    if (q == NULL || q->cancelled || q->delivering)
        return;
    q->cancelled = true;
    q->txt_cb = NULL;
    q->addr_cb = NULL;
    if (q->sec != NULL)
        q->sec->cb = NULL;
    if (q->outstanding == 0) {
        /* Finished, waiting for delivery: drop it now. */
        dns_unlink(q);
        dns_query_free(q);
    }
}

/* ---- DNSSEC-aware queries (DANE) ---------------------------------------- */

/* A query id nobody off the path can guess (the resolver is local, but
 * the id costs nothing).  getrandom() cannot fail for 2 bytes once the
 * kernel pool is ready; if it does, a time-seeded generator stands in. */
static uint16_t dns_random_id(void)
{
    static uint64_t state;
    uint16_t id;

    if (getrandom(&id, sizeof(id), GRND_NONBLOCK) == (ssize_t)sizeof(id))
        return id;
    if (state == 0)
        state = ((uint64_t)clock_wall() << 20) ^ (uint64_t)getpid() ^ 0x9e3779b97f4a7c15u;
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return (uint16_t)(state >> 24);
}

static void dns_sec_free(struct dns_sec *sec)
{
    if (sec == NULL)
        return;
    for (int i = 0; i < 2; i++)
        free(sec->part[i].msg);
    free(sec->merged);
    free(sec);
}

/* One answer arrived with ARES_SUCCESS: parse it and map its RCODE. */
static void dns_sec_collect(struct dns_query *q, struct dns_part *p, const unsigned char *abuf,
                            int alen)
{
    struct dns_sec_part *sp = &q->sec->part[p - q->parts];
    struct dnsmsg_answer *a = &sp->ans;
    enum dnsmsg_err err;

    p->st = DNS_TEMPFAIL;
    if (abuf == NULL || alen <= 0) {
        snprintf(p->detail, sizeof(p->detail), "empty answer");
        return;
    }
    sp->msg = xmalloc((size_t)alen);
    memcpy(sp->msg, abuf, (size_t)alen);
    err = dnsmsg_parse(sp->msg, (size_t)alen, q->name, (uint16_t)p->type, DNSMSG_ANY_ID, a);
    if (err != DNSMSG_OK) {
        snprintf(p->detail, sizeof(p->detail), "malformed answer: %s", dnsmsg_strerror(err));
        return;
    }
    if (a->hdr.tc) {
        snprintf(p->detail, sizeof(p->detail), "truncated answer");
        return;
    }
    switch (a->hdr.rcode) {
    case DNSMSG_R_NOERROR:
        sp->parsed = true;
        p->st = a->n > 0 ? DNS_OK : DNS_NODATA;
        if (a->n > 0)
            snprintf(p->detail, sizeof(p->detail), "%zu record%s%s%s", a->n, a->n == 1 ? "" : "s",
                     a->oversize ? " (oversize)" : "", a->hdr.ad ? ", AD" : "");
        else
            snprintf(p->detail, sizeof(p->detail), "no records%s", a->hdr.ad ? ", AD" : "");
        return;
    case DNSMSG_R_NXDOMAIN:
        sp->parsed = true;
        sp->nxdomain = true;
        p->st = DNS_NODATA;
        snprintf(p->detail, sizeof(p->detail), "NXDOMAIN%s", a->hdr.ad ? ", AD" : "");
        return;
    default:
        snprintf(p->detail, sizeof(p->detail), "%s", dnsmsg_rcode_name(a->hdr.rcode));
        if (strcmp(p->detail, "RCODE") == 0)
            snprintf(p->detail, sizeof(p->detail), "RCODE %u", a->hdr.rcode);
        return;
    }
}

/* The TTL a part's outcome may be kept for (see dns.h). */
static uint32_t dns_sec_part_ttl(const struct dns_part *p, const struct dns_sec_part *sp)
{
    if (!sp->parsed)
        return 0;
    if (p->st == DNS_OK)
        return sp->ans.ttl;
    return sp->ans.has_soa ? sp->ans.neg_ttl : 0;
}

static void dns_sec_finish(struct dns_query *q)
{
    struct dns_sec *sec = q->sec;
    struct dns_sec_result *r = &sec->res;
    const struct dns_part *p0 = &q->parts[0];
    const struct dns_sec_part *s0 = &sec->part[0];

    r->name = q->name;
    r->cname = s0->parsed ? s0->ans.cname : sec->cname;
    if (q->parts[1].type == 0) {
        /* One type. */
        q->st = p0->st;
        r->nxdomain = s0->nxdomain;
        r->ad = s0->parsed && s0->ans.hdr.ad;
        r->ttl = dns_sec_part_ttl(p0, s0);
        r->oversize = s0->parsed && s0->ans.oversize;
        r->n = p0->st == DNS_OK ? s0->ans.n : 0;
        r->rrs = r->n > 0 ? s0->ans.rr : NULL;
        snprintf(q->detail, sizeof(q->detail), "%s", p0->detail);
    } else {
        /* A and AAAA: as dns_addr(), plus AD only if both had it. */
        const struct dns_part *p1 = &q->parts[1];
        const struct dns_sec_part *s1 = &sec->part[1];
        size_t n0 = p0->st == DNS_OK ? s0->ans.n : 0, n1 = p1->st == DNS_OK ? s1->ans.n : 0;
        uint32_t t0 = dns_sec_part_ttl(p0, s0), t1 = dns_sec_part_ttl(p1, s1);

        if (!s0->parsed && s1->parsed)
            r->cname = s1->ans.cname;
        if (n0 + n1 > 0)
            q->st = DNS_OK;
        else if (p0->st == DNS_TEMPFAIL || p1->st == DNS_TEMPFAIL)
            q->st = DNS_TEMPFAIL;
        else
            q->st = DNS_NODATA;
        r->nxdomain = q->st == DNS_NODATA && s0->nxdomain && s1->nxdomain;
        r->ad = s0->parsed && s1->parsed && s0->ans.hdr.ad && s1->ans.hdr.ad;
        if (s0->parsed && s1->parsed)
            r->ttl = t0 < t1 ? t0 : t1;
        else
            r->ttl = s0->parsed ? t0 : t1;
        r->oversize = (s0->parsed && s0->ans.oversize) || (s1->parsed && s1->ans.oversize);
        r->partial = q->st != DNS_TEMPFAIL && (p0->st == DNS_TEMPFAIL || p1->st == DNS_TEMPFAIL);
        if (n0 + n1 > 0) {
            sec->merged = xcalloc(n0 + n1, sizeof(*sec->merged));
            memcpy(sec->merged, s0->ans.rr, n0 * sizeof(*sec->merged));
            memcpy(sec->merged + n0, s1->ans.rr, n1 * sizeof(*sec->merged));
        }
        r->n = n0 + n1;
        r->rrs = sec->merged;
        snprintf(q->detail, sizeof(q->detail), "A: %s, AAAA: %s", p0->detail, p1->detail);
    }
    if (q->st == DNS_TEMPFAIL) {
        r->ad = false;
        r->ttl = 0;
        r->nxdomain = false;
    }
    r->st = q->st;
    r->detail = q->detail;
}

/* Start a DNSSEC-aware query for NAME (NULL: a bad name) with one or two
 * types. */
static struct dns_query *dns_sec_start(struct dns *d, const char *name, const uint16_t *types,
                                       int ntypes, dns_sec_cb cb, void *arg)
{
    struct dns_query *q = dns_query_new(d, DNS_KIND_SEC, arg);
    uint8_t qbuf[2][DNSMSG_QUERY_MAX];
    size_t qlen[2], len = name != NULL ? strlen(name) : 0;
    enum dnsmsg_err err;
    int i;

    q->sec = xcalloc(1, sizeof(*q->sec));
    q->sec->cb = cb;

    /* Absolute name: one trailing dot, so no search list applies; "." and
     * "" are the root. */
    while (name != NULL && len > 1 && name[len - 1] == '.')
        len--;
    if (name != NULL && (len == 0 || strcmp(name, ".") == 0)) {
        strcpy(q->name, ".");
        strcpy(q->sec->cname, ".");
    } else if (name != NULL && dns_name_ok(name, len)) {
        memcpy(q->name, name, len);
        memcpy(q->sec->cname, name, len);
        q->name[len] = '.';
        q->name[len + 1] = '\0';
    } else {
        q->st = DNS_NODATA;
        snprintf(q->detail, sizeof(q->detail), "bad name");
        q->sec->res.st = q->st;
        q->sec->res.name = q->name;
        q->sec->res.cname = q->sec->cname;
        q->sec->res.detail = q->detail;
        event_active(q->deliver, EV_TIMEOUT, 0);
        return q;
    }
    for (i = 0; i < ntypes; i++) {
        qlen[i] = dnsmsg_build(qbuf[i], sizeof(qbuf[i]), dns_random_id(), q->name, types[i],
                               DNSMSG_Q_DEFAULT, &err);
        if (qlen[i] == 0) {
            /* dns_name_ok() and dnsmsg agree on names: cannot happen. */
            log_error("dns: cannot build query for %s: %s", q->name, dnsmsg_strerror(err));
            abort();
        }
    }

    /* Count everything before the first ares_send(): it may call back. */
    struct dns_chan *c = d->cur;
    for (i = 0; i < ntypes; i++) {
        q->parts[i].q = q;
        q->parts[i].c = c;
        q->parts[i].type = types[i];
    }
    q->outstanding = ntypes;
    c->outstanding += ntypes;
    for (i = 0; i < ntypes; i++)
        ares_send(c->channel, qbuf[i], (int)qlen[i], dns_ares_cb, &q->parts[i]);
    dns_rearm(c);
    return q;
}

struct dns_query *dns_query_sec(struct dns *d, const char *name, uint16_t type, dns_sec_cb cb,
                                void *arg)
{
    return dns_sec_start(d, name, &type, 1, cb, arg);
}

struct dns_query *dns_mx_sec(struct dns *d, const char *domain, dns_sec_cb cb, void *arg)
{
    return dns_query_sec(d, domain, DNSMSG_T_MX, cb, arg);
}

struct dns_query *dns_tlsa(struct dns *d, const char *host, unsigned port, dns_sec_cb cb, void *arg)
{
    char name[DNS_NAME_MAX + 16];
    const uint16_t type = DNSMSG_T_TLSA;
    bool ok = port > 0 && port <= 65535 &&
              (size_t)snprintf(name, sizeof(name), "_%u._tcp.%s", port, host) < sizeof(name);

    /* An impossible port or an overlong name is a "bad name". */
    return dns_sec_start(d, ok ? name : NULL, &type, 1, cb, arg);
}

struct dns_query *dns_addr_sec(struct dns *d, const char *host, dns_sec_cb cb, void *arg)
{
    static const uint16_t types[2] = {DNSMSG_T_A, DNSMSG_T_AAAA};

    return dns_sec_start(d, host, types, 2, cb, arg);
}

/*
 * dns - asynchronous DNS with c-ares under libevent.  The only file that
 * includes <ares.h>.
 *
 * One resolver (struct dns) per process, driven by the event loop: the
 * c-ares socket-state callback adds/removes one libevent event per socket
 * (allocated per socket, no fixed table) and one timer drives
 * ares_process_fd(ARES_SOCKET_BAD, ARES_SOCKET_BAD), re-armed from
 * ares_timeout() after every c-ares call.
 *
 * Servers come from /etc/resolv.conf, or from a comma-separated
 * "ADDR[:PORT]" list (IPv6 as "[ADDR]:PORT").  timeout_ms bounds one
 * query attempt; c-ares retries a few times; callers add their own overall
 * deadline and may cancel.
 *
 * An answer truncated over UDP is asked again over TCP, on a connection
 * that closes as soon as the answers it carries are in and whose failure
 * touches no UDP lookup (dns.c, "TCP fallback"); the TCP retry has tries
 * of its own: it ends at most 3 * timeout_ms after the truncated answer.
 *
 * dns_txt() asks for the TXT records of an absolute name (the trailing dot
 * is added here, so search domains never apply), follows CNAMEs (c-ares
 * does), and joins the character-strings of each record without
 * separators.  dns_addr() asks for A and AAAA at once and answers once
 * with every address (text form) of both.  Results:
 *   DNS_OK        records found (n >= 1)
 *   DNS_NODATA    NXDOMAIN or no records of the type: "nothing published"
 *   DNS_TEMPFAIL  SERVFAIL, REFUSED, timeout, malformed answer, ...: try later
 * Answers are bounded by the DNS message (64 KiB over TCP), not by a
 * record count: every record is passed, so that the one the caller looks
 * for is never hidden by the others (RFC 8461 section 3.1 discards records
 * that do not start with "v=STSv1", however many or long).  Each joined
 * record is cut to DNS_MAX_TXT + 1 bytes, oversize set when one was, so
 * that the caller sees it is too long (sts_txt rejects STS records longer
 * than STS_TXT_MAX == DNS_MAX_TXT).  Names must be letters, digits, '-', '_' and dots
 * (DNS_NODATA "bad name" otherwise); addresses are passed IPv4 first.
 *
 * Contract (callers rely on it; tests/component/fake_dns.c keeps it too):
 * dns_txt(), dns_addr() and the DNSSEC-aware lookups below always return
 * a handle, never NULL -- every failure, a bad name included, comes
 * through the callback (the resolver aborts if libevent cannot give it an
 * event, as xmalloc() does for memory).  Each callback is called exactly
 * once, from the event loop, never from inside the call that asked (it is
 * deferred to the loop if c-ares answers synchronously) and never after
 * dns_cancel().  A callback may start new lookups, cancel others, or call
 * dns_free(); cancelling its own query from inside it does nothing.
 * dns_free() cancels everything outstanding without calling callbacks.
 *
 * DNSSEC-aware lookups (for DANE, RFC 7672): dns_query_sec() asks for one
 * name and type with a query built by dnsmsg (RD and AD set, EDNS0, see
 * dnsmsg.h for why), sent with ares_send(), and parses the raw answer
 * with dnsmsg_parse().  dns_mx_sec(), dns_tlsa() (the TLSA RRset of
 * "_PORT._tcp.HOST") and dns_addr_sec() (A and AAAA at once) are built on
 * it.  The result (struct dns_sec_result) says:
 *   st        DNS_OK (n >= 1), DNS_NODATA (no records; nxdomain says the
 *             name does not exist), DNS_TEMPFAIL (SERVFAIL -- which is what
 *             a validating resolver answers for a bogus signature --,
 *             REFUSED, timeout, a truncated or malformed answer, ...)
 *   ad        the resolver set AD: it validated the answer (or the denial)
 *             with DNSSEC.  Only meaningful from a trusted, local,
 *             validating resolver; never set with DNS_TEMPFAIL.  For
 *             dns_addr_sec(), only when both the A and the AAAA answers
 *             came (records or none) with AD.
 *   partial   dns_addr_sec() only: one of the A and AAAA lookups failed
 *             (DNS_TEMPFAIL: SERVFAIL, a bogus signature, a timeout)
 *             while the other answered; st is then that answer's (DNS_OK
 *             with its records, as dns_addr() would), ad is false, and a
 *             DANE check must count the host's addresses as a failed
 *             lookup, not as insecure ones.
 *   ttl       DNS_OK: the smallest TTL of the records and of the CNAMEs
 *             followed; DNS_NODATA: the negative-caching TTL of the SOA
 *             in the answer (0 if there was none); 0 on DNS_TEMPFAIL.
 *   name      the absolute name asked ("_25._tcp.mx.example.");
 *   cname     the name the records belong to after CNAMEs (RFC 7671
 *             section 7 lets a TLSA RRset be reached through CNAMEs), no
 *             trailing dot;
 *   rrs, n    the records (struct dnsmsg_rr: MX preference and exchange,
 *             TLSA usage/selector/matching type/data, A/AAAA bytes, TTLs),
 *             at most DNSMSG_MAX_RRS per type, oversize if more came;
 *             A before AAAA for dns_addr_sec().  Everything the result
 *             points to lives until the callback returns.
 *   detail    for the caller's log line.
 * Names are checked as for dns_txt(); "." (or "") asks for the root.
 *
 * Observer: dns_set_observer() names a function told of every answer to
 * one question (a dns_addr() asks two: A and AAAA), from inside c-ares's
 * callback, before the query's own callback runs, the answers of
 * cancelled queries included: its type and how it came back (enum
 * dns_answer).  The daemon counts them for its metrics (stats.h); dns.c
 * itself keeps no counters.  The observer must not call into dns.
 */
#ifndef MTASTSD_DNS_H
#define MTASTSD_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dnsmsg.h"
#include "sts_txt.h"

struct event_base;
struct dns;
struct dns_query;

/* A cap for lists of records of other types; TXT answers are not capped
 * by count (see above). */
#define DNS_MAX_RRS   64
#define DNS_MAX_TXT   4096
#define DNS_MAX_ADDRS 32

enum dns_status {
    DNS_OK = 0,
    DNS_NODATA,
    DNS_TEMPFAIL,
};

/* rrs[i].len > DNS_MAX_TXT + 1 never happens: a longer record comes cut to
 * DNS_MAX_TXT + 1 bytes, with oversize set. */
typedef void (*dns_txt_cb)(void *arg, enum dns_status st, const struct sts_txt_rr *rrs, size_t n,
                           bool oversize, const char *detail);
/* addrs: NUL-terminated text addresses ("192.0.2.1", "2001:db8::1"). */
typedef void (*dns_addr_cb)(void *arg, enum dns_status st, const char *const *addrs, size_t n,
                            const char *detail);

struct dns_sec_result {
    enum dns_status st;
    bool nxdomain;
    bool ad;
    bool oversize;
    bool partial; /* dns_addr_sec(): one of A and AAAA failed (see above) */
    uint32_t ttl;
    const char *name;
    const char *cname;
    size_t n;
    const struct dnsmsg_rr *rrs;
    const char *detail;
};
typedef void (*dns_sec_cb)(void *arg, const struct dns_sec_result *r);

/* How the answer to one question came back (the observer's view). */
enum dns_answer {
    DNS_ANSWER_OK = 0,   /* records of the type */
    DNS_ANSWER_NXDOMAIN, /* the name does not exist */
    DNS_ANSWER_NODATA,   /* the name exists, no records of the type */
    DNS_ANSWER_SERVFAIL, /* SERVFAIL (a validating resolver's answer to a bogus signature) */
    DNS_ANSWER_REFUSED,  /* REFUSED */
    DNS_ANSWER_TIMEOUT,  /* no answer in time */
    DNS_ANSWER_ERROR,    /* anything else: malformed answer, connection refused, ... */
    DNS_ANSWER__COUNT,
};
/* type: the question's (DNSMSG_T_TXT, DNSMSG_T_A, ...). */
typedef void (*dns_observe_fn)(void *arg, uint16_t type, enum dns_answer a);

struct dns *dns_new(struct event_base *base, const char *servers, int timeout_ms, char *err,
                    size_t errsz);
void dns_free(struct dns *d);
/* True if every server queries go to is on loopback (127.0.0.0/8, ::1);
 * otherwise false with the first one that is not in remote (text). */
bool dns_servers_local(struct dns *d, char *remote, size_t remotesz);
/* New servers/timeout for later queries (SIGHUP); false + err if invalid. */
bool dns_reconfigure(struct dns *d, const char *servers, int timeout_ms, char *err, size_t errsz);
/* The observer of every answer (see above); fn NULL: none. */
void dns_set_observer(struct dns *d, dns_observe_fn fn, void *arg);

struct dns_query *dns_txt(struct dns *d, const char *name, dns_txt_cb cb, void *arg);
struct dns_query *dns_addr(struct dns *d, const char *host, dns_addr_cb cb, void *arg);
/* DNSSEC-aware lookups (see above); cancelled with dns_cancel(). */
struct dns_query *dns_query_sec(struct dns *d, const char *name, uint16_t type, dns_sec_cb cb,
                                void *arg);
struct dns_query *dns_mx_sec(struct dns *d, const char *domain, dns_sec_cb cb, void *arg);
struct dns_query *dns_tlsa(struct dns *d, const char *host, unsigned port, dns_sec_cb cb,
                           void *arg);
struct dns_query *dns_addr_sec(struct dns *d, const char *host, dns_sec_cb cb, void *arg);
void dns_cancel(struct dns_query *q);

const char *dns_status_name(enum dns_status st);

#endif

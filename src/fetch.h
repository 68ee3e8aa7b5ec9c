/*
 * fetch - one job per policy domain: TXT -> address -> HTTPS -> parse ->
 * store, shared by every query that waits for it (DESIGN sections 1, 4, 5;
 * STYLE practices 4 and 5).
 *
 * fetch_request() starts the domain's job, or joins the one in flight.  A
 * waiter (cb != NULL) is called exactly once when the job ends, unless it
 * leaves first with fetch_waiter_cancel() (a client that disconnected, or
 * a query whose wait budget ended); the job goes on regardless and stores
 * its result for later queries.  Jobs without waiters (background
 * revalidation, proactive refresh) are started with cb == NULL.
 *
 * At most max_fetches jobs run at once; more are queued and start as
 * others finish, the zones of their domains taking turns, with a quarter
 * of the slots kept for zones that have nothing running (fetch.c explains
 * why).  A queued job whose waiters have all left is dropped; at most
 * max_queued jobs are queued, beyond that one is shed and its waiters are
 * answered (r->shed) on the next loop turn.  Every job has its own
 * deadline (dns + https timeouts plus slack); a job past it ends with
 * FETCH_TIMEOUT whatever it waits on.
 *
 * The job's decisions are verdict_after_txt()'s; this module only carries
 * them out and records the outcome in the cache: a new valid policy
 * replaces the old one only after it parsed and validated; a failed fetch
 * records fail_id/fail_at/fail_class (and fail_count for refreshes) while
 * the old valid policy stays; "no policy" stores a negative entry.  One
 * log line per fetch outcome: domain, class, id, mode, max_age, duration.
 *
 * Waiter callbacks get the resulting entry (valid only during the call)
 * and whether DNS failed temporarily (for dns_error = defer).
 *
 * Re-entrancy: waiters are called first come first served, from the event
 * loop, never from inside fetch_request(); each waiter is gone (freed)
 * before its own call.  By then the job has left the job table, so a
 * callback that asks for the same domain again (the client's next
 * request) starts a new job; fetch_in_progress() is false for the domain
 * until it does.  A callback may cancel other waiters of the same job
 * (they are then not called) and start or cancel anything else, but must
 * not call fetch_free().  The store hook is called inside a job, before
 * its waiters: it must not call back into fetch.
 *
 * Adapters: fetch relies on the contracts in dns.h and https.h (a lookup
 * or request handle is never NULL; answers come from the loop, once).
 */
#ifndef MTASTSD_FETCH_H
#define MTASTSD_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "verdict.h"

struct event_base;
struct dns;
struct https;
struct cache;
struct fetch;
struct fetch_waiter;

enum fetch_class {
    FETCH_OK = 0,       /* new policy fetched and stored */
    FETCH_UNCHANGED,    /* TXT id unchanged: cached policy kept */
    FETCH_NO_RECORD,    /* no valid _mta-sts record: no policy */
    FETCH_DNS_TEMPFAIL, /* TXT lookup failed temporarily */
    FETCH_BACKOFF,      /* this id failed < 5 min ago: not fetched */
    FETCH_NO_ADDRESS,   /* mta-sts.<domain> has no address */
    FETCH_CONNECT,
    FETCH_TLS,
    FETCH_CERT,
    FETCH_REDIRECT,
    FETCH_HTTP_STATUS,
    FETCH_MEDIA_TYPE,
    FETCH_TOO_LARGE,
    FETCH_TIMEOUT,
    FETCH_PARSE,       /* body is not a valid policy */
    FETCH_INTERNAL,    /* cache write failed, ... */
    FETCH_HTTPS_OTHER, /* transfer not set up, or a curl error of no class above */
    FETCH_CLASS__COUNT,
};

struct fetch_params {
    struct verdict_params verdict;
    unsigned max_fetches;
    unsigned max_queued;   /* jobs waiting for a slot, at most */
    int64_t dns_timeout;   /* seconds */
    int64_t https_timeout; /* seconds (total) */
};

struct fetch_result {
    const struct entry *entry; /* state after the job; never NULL */
    enum fetch_class cls;
    bool dns_tempfail; /* TXT (or address) lookup failed temporarily */
    bool shed;         /* never ran: shed from a full queue (cls FETCH_DNS_TEMPFAIL) */
};

typedef void (*fetch_cb)(void *arg, const struct fetch_result *r);

/* Called after every entry a job stored (e valid only during the call):
 * the refresh module schedules the domain's next refresh from it. */
typedef void (*fetch_store_fn)(void *arg, const char *domain, const struct entry *e);

struct fetch *fetch_new(struct event_base *base, struct dns *dns, struct https *https,
                        struct cache *cache, const struct fetch_params *p);
/* Ends every job; waiters are NOT called. */
void fetch_free(struct fetch *f);
void fetch_reconfigure(struct fetch *f, const struct fetch_params *p);
/* One hook (NULL removes it). */
void fetch_set_store_hook(struct fetch *f, fetch_store_fn fn, void *arg);

struct fetch_waiter *fetch_request(struct fetch *f, const char *domain, bool refresh, fetch_cb cb,
                                   void *arg);
/* A refresh an operator asked for ("mtastsd-ctl refresh"): as refresh = true,
 * but not held back by the 5-minute back-off after a failed fetch. */
struct fetch_waiter *fetch_request_operator(struct fetch *f, const char *domain, fetch_cb cb,
                                            void *arg);
void fetch_waiter_cancel(struct fetch_waiter *w);

size_t fetch_active(const struct fetch *f); /* jobs running */
size_t fetch_queued(const struct fetch *f); /* jobs waiting for a slot */
/* Jobs asked for without a waiter (refresh, revalidation), running or
 * queued: the proactive refresh keeps this within its budget. */
size_t fetch_background(const struct fetch *f);
/* True if a job for the domain exists (running or queued). */
bool fetch_in_progress(const struct fetch *f, const char *domain);
/* True if the domain's job has not yet had its TXT answer (queued or
 * waiting for DNS): a query that gives up now has met a DNS timeout. */
bool fetch_dns_pending(const struct fetch *f, const char *domain);

const char *fetch_class_name(enum fetch_class c);

#endif

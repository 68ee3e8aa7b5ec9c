/*
 * danejob - DANE checks (issue 12, RFC 8461 section 2): one job per next
 * hop of a policy domain, shared by every query that waits for it; the
 * result stored in the domain's cache entry (entry.h's DANE slots).
 *
 * A next hop is (domain, mx, port): a domain key's MX hosts at port 25
 * (or the port of a "domain:port" key), or the host of a smart-host key
 * "[host]" / "[host]:port" itself, with no MX lookup.  A job:
 *
 *   MX     dns_mx_sec(domain) (mx only).  Not authenticated, a validated
 *          NXDOMAIN, a null MX -> done.  Otherwise dane_hosts_from_mx():
 *          at most DANE_HOSTS_MAX hosts, lowest preference first.
 *   HOSTS  for every host at once, dns_addr_sec(host) and
 *          dns_tlsa(host, port) (in parallel: one round trip after the MX
 *          answer).  Each TLSA answer is judged by dane_tlsa_state() while
 *          its records exist.
 *   DONE   dane_decide(); dane_slot_record() into the entry's slot (read,
 *          changed and written back in one go, only if the entry is still
 *          there); one log line; every waiter answered, first come first
 *          served.
 *
 * Each job has a deadline (two rounds of 3 c-ares tries of dns_timeout
 * plus 2 s): whatever has not answered by then counts as a failed lookup.
 * At most max_jobs jobs run at once; danejob_request() beyond that starts
 * nothing and returns NULL (the caller answers the MTA-STS verdict; a
 * later query asks again).
 *
 * danejob_active() is what the query path asks: dane = on and the
 * resolver validates (daneprobe.h).  The change hook is called when that
 * changes (lookup.c voids its memo).
 *
 * Re-entrancy: waiters are called from the event loop, never from inside
 * danejob_request(); each waiter is freed before its call; a callback may
 * request or cancel anything but must not call danejob_free().
 *
 * Diagnostics: per check one line -- warning for the first failure of a
 * next hop ("answering the MTA-STS verdict"), info for later failures,
 * for a new dane-only result (with the partly-DANE price: mail goes only
 * to the hosts with usable TLSA records) and for a dane-only result that
 * ended; debug otherwise.  stats: dane_checks, dane_check_failures,
 * dane_lookups, dane_lookup_failures.  Time: clock.h.
 */
#ifndef MTASTSD_DANEJOB_H
#define MTASTSD_DANEJOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dane.h"

struct event_base;
struct dns;
struct cache;
struct danejob;
struct danejob_waiter;

struct danejob_params {
    bool enabled;           /* dane = on */
    const char *probe_name; /* dane_probe_name (copied) */
    int64_t dns_timeout;    /* seconds */
    unsigned max_jobs;      /* max_fetches */
};

struct danejob_result {
    enum dane_use use;     /* what the query answers now */
    enum dane_outcome out; /* what this check found */
};

typedef void (*danejob_cb)(void *arg, const struct danejob_result *r);
typedef void (*danejob_change_fn)(void *arg);

struct danejob *danejob_new(struct event_base *base, struct dns *dns, struct cache *cache,
                            const struct danejob_params *p);
/* Ends every job; waiters are NOT called. */
void danejob_free(struct danejob *dj);
/* A reload: new parameters, and the resolver is probed again. */
void danejob_reconfigure(struct danejob *dj, const struct danejob_params *p);
bool danejob_active(const struct danejob *dj);
/* dane = on (whatever the probe says), for "mtastsd-ctl status". */
bool danejob_enabled(const struct danejob *dj);
void danejob_set_change_hook(struct danejob *dj, danejob_change_fn fn, void *arg);

/*
 * Start the next hop's check, or join the one in flight; cb == NULL asks
 * for a check nobody waits for.  NULL when nothing was started (max_jobs
 * reached) or when cb is NULL.
 */
struct danejob_waiter *danejob_request(struct danejob *dj, const char *domain, bool mx,
                                       uint16_t port, danejob_cb cb, void *arg);
void danejob_waiter_cancel(struct danejob_waiter *w);

size_t danejob_running(const struct danejob *dj);
bool danejob_in_progress(const struct danejob *dj, const char *domain, bool mx, uint16_t port);

#endif

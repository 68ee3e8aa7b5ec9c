/*
 * lookup - one socketmap query: key -> policy domain -> cache -> verdict
 * -> (maybe) wait for the domain's fetch job -> reply text (DESIGN
 * section 3).
 *
 * lookup_start() answers at once whenever it can (cache hit, negative
 * hit, parent-domain probe, IP literal, invalid key): it writes the reply
 * into the caller's buffer, sets *len and returns NULL.  Otherwise it
 * returns a query handle and later calls cb exactly once with the reply,
 * at the latest when query_timeout has passed (then the reply is the
 * "no cached policy" verdict and the job goes on).  lookup_cancel() drops
 * a pending query without calling cb (client gone).
 *
 * Replies are complete socketmap payloads ("OK secure match=...",
 * "OK dane-only", "NOTFOUND ", "TEMP ...") rendered by reply.c; the
 * caller frames them.  With DANE (lookup_set_dane()), a query whose next
 * hop has no DANE result yet also waits, within query_timeout, for the
 * hop's DANE check (lookup.c says how).
 *
 * Re-entrancy: cb is never called from inside lookup_start() (an answer
 * it can give at once goes into the caller's buffer instead); it is
 * called from the event loop after the query is freed, so it may start
 * new queries -- for the same key too (smap answers the next pipelined
 * request from it) -- and cancel other pending ones, but not the one it
 * was called for.  Time: clock.h (wall clock for the verdicts and the
 * memo's second, a timer for query_timeout).
 */
#ifndef MTASTSD_LOOKUP_H
#define MTASTSD_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "reply.h"
#include "verdict.h"

struct event_base;
struct cache;
struct fetch;
struct danejob;
struct lookup;
struct lookup_query;

struct lookup_params {
    int64_t query_timeout; /* seconds */
    bool strict_testing;
    enum config_dns_error dns_error;
    struct verdict_params verdict;
};

typedef void (*lookup_cb)(void *arg, const char *reply, size_t len);

struct lookup *lookup_new(struct event_base *base, struct cache *cache, struct fetch *fetch,
                          const struct lookup_params *p);
void lookup_free(struct lookup *l);
void lookup_reconfigure(struct lookup *l, const struct lookup_params *p);
/* DANE precedence (issue 12): the DANE checks to consult (NULL: none).
 * lookup registers itself as dj's change hook. */
void lookup_set_dane(struct lookup *l, struct danejob *dj);

struct lookup_query *lookup_start(struct lookup *l, enum reply_profile prof, const char *key,
                                  size_t keylen, char *reply, size_t replysz, size_t *len,
                                  lookup_cb cb, void *arg);
void lookup_cancel(struct lookup_query *q);

size_t lookup_pending(const struct lookup *l);

#endif

/*
 * harness - the component tests' world: the real fetch, lookup, refresh,
 * smap, cache (a real LMDB in a temporary directory), verdict and reply
 * code on a real libevent loop, with the fake clock (fake_clock.h) and
 * the fake dns and https adapters (fake_dns.h, fake_https.h).
 *
 * One world per test (Check runs each test in its own process):
 *   harness_set(key, value)    change a configuration key (config.c's
 *                              typed table: the daemon's own defaults and
 *                              limits) before harness_open(), or before
 *                              harness_reconfigure() as a reload would;
 *   harness_open(flags)        make the modules (HARNESS_REFRESH: the
 *                              proactive refresh too; HARNESS_SMAP: the
 *                              socketmap front end too);
 *   harness_close()            free everything (waiters are not called);
 *                              the fake clock must then hold no timer: a
 *                              timer its owner did not free is a leak;
 *   harness_restart(flags)     free every module and make them anew on
 *                              the same cache directory (a daemon
 *                              restart: what the cache holds survives);
 *   harness_seed_cache(path)   before harness_open(): start with a copy of
 *                              that LMDB file as the cache (records
 *                              written by an older mtastsd).
 *
 * DANE: the DANE checks (danejob, with its resolver probe) are made as
 * main.c makes them, from the configuration (harness_set("dane", "on"));
 * world_dane_resolver(true) scripts the probe's answer (". SOA" with AD)
 * before harness_open().
 *
 * Log: what the modules log is captured (harness_log_count()).
 *
 * Time: nothing happens until the test runs the loop.  harness_turns(n)
 * runs n turns of the event loop (without waiting); harness_advance(ms)
 * moves fake time on by ms, firing every timer due on the way at its
 * exact time, with HARNESS_SETTLE loop turns after each (and before).
 *
 * World: world_policy() publishes a domain's TXT record, its mta-sts host
 * address and its policy, all answered on the next loop turn; tests then
 * change the fakes' scripts for the case at hand.
 *
 * Queries: query_start() runs lookup_start() as smap does; a query that
 * waits is answered into the struct later; query_seq orders answers.
 * Socketmap clients: client_connect() hands one end of a socketpair to
 * smap_accept() and returns the other; client_send() writes a request
 * netstring, client_read() decodes the replies that have arrived.
 */
#ifndef MTASTSD_HARNESS_H
#define MTASTSD_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "config.h"
#include "danejob.h"
#include "entry.h"
#include "fake_clock.h"
#include "fake_dns.h"
#include "fake_https.h"
#include "fetch.h"
#include "lookup.h"
#include "refresh.h"
#include "reply.h"
#include "smap.h"

#define HARNESS_REFRESH 0x1
#define HARNESS_SMAP    0x2
#define HARNESS_SETTLE  6 /* loop turns after each fired timer */

struct harness {
    struct event_base *base;
    struct config *cfg;
    char dir[64];
    struct cache *cache;
    struct dns *dns;
    struct https *https;
    struct fetch *fetch;
    struct danejob *dane;
    struct lookup *lookup;
    struct refresh *refresh;
    struct smap *smap;
};

extern struct harness H;

void harness_set(const char *key, const char *value);
void harness_open(unsigned flags);
void harness_reconfigure(void);
void harness_close(void);
void harness_restart(unsigned flags);
void harness_seed_cache(const char *path);
/* Script the DANE probe's answer: the root SOA with (validates) or
 * without AD. */
void world_dane_resolver(bool validates);

void harness_turns(int n);
void harness_settle(void);
void harness_advance(int64_t ms);
int64_t harness_now(void); /* clock_wall() */
/* Lines logged so far that contain needle.  The modules' log (stderr, at
 * info, or COMPONENT_LOG's level) is captured in the world's directory and
 * shown on the real stderr at harness_close() when COMPONENT_LOG is set. */
unsigned harness_log_count(const char *needle);

/* The policy body "version: STSv1 / mode / mx... / max_age"; mx is
 * space-separated.  Returns a static buffer. */
const char *policy_body(const char *mode, const char *mx, unsigned max_age);
/* _mta-sts.DOMAIN "v=STSv1; id=ID", mta-sts.DOMAIN 192.0.2.1, the policy. */
void world_policy(const char *domain, const char *id, const char *mode, const char *mx,
                  unsigned max_age);
/* Convenience names for the fakes' keys. */
const char *txt_name(const char *domain);  /* "_mta-sts.DOMAIN" (static buffer, 2 slots) */
const char *host_name(const char *domain); /* "mta-sts.DOMAIN" (static buffer, 2 slots) */

struct query {
    bool done;
    bool waited; /* lookup_start() returned a handle */
    int seq;     /* order of answer, from 1 */
    char reply[REPLY_MAX + 1];
    size_t len;
    struct lookup_query *q;
};
extern int query_seq;

void query_start(struct query *q, const char *key);
void query_start_prof(struct query *q, enum reply_profile prof, const char *key);
void query_cancel(struct query *q);
/* Start and run the loop until answered or `ms` of fake time passed. */
const char *query_now(const char *key, int64_t ms);

/* The domain's cache entry (false if none); the caller entry_clear()s. */
bool cached(const char *domain, struct entry *e);

int client_connect(void);
void client_send(int fd, const char *payload);
void client_send_raw(int fd, const char *bytes, size_t n);
/* Read what arrived; decode complete reply netstrings into out[] (at
 * most max, each NUL-terminated, each at most outsz bytes); returns the
 * number decoded; a malformed frame fails the test. */
size_t client_read(int fd, char (*out)[128], size_t max);
/* True if the server closed the connection (EOF after its data). */
bool client_eof(int fd);

#endif

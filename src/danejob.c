/*
 * danejob - DANE checks of next hops, one job per (domain, mx, port)
 * (see danejob.h).
 *
 * Job state machine (danejob_enter_state() logs "old -> new" at debug):
 *
 *   MX --authenticated MX hosts--> HOSTS --every answer, or deadline--> DONE
 *    |                                                                   ^
 *    +--failed, insecure, NXDOMAIN, null MX------------------------------+
 *   (a smart-host key starts in HOSTS)
 *
 * Every exit goes through danejob_finish(): decide, store, count, log
 * once, answer each waiter once, free.  Lookups that have not answered
 * are recorded as failed (struct dane_host starts out so), so a deadline
 * needs nothing but cancelling them.
 *
 * Jobs are few (at most max_jobs, each a DANE check in flight) and live
 * in one list, looked up by next hop.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "clock.h"
#include "dane.h"
#include "daneprobe.h"
#include "danejob.h"
#include "dns.h"
#include "domain.h"
#include "entry.h"
#include "log.h"
#include "queue_safe.h"
#include "stats.h"
#include "xalloc.h"

enum danejob_state {
    DANEJOB_MX = 0,
    DANEJOB_HOSTS,
    DANEJOB_DONE,
};

static const char *const danejob_state_names[] = {
    [DANEJOB_MX] = "mx",
    [DANEJOB_HOSTS] = "hosts",
    [DANEJOB_DONE] = "done",
};

struct danejob_waiter {
    struct danejob_job *job; /* NULL once answered */
    danejob_cb cb;
    void *arg;
    TAILQ_ENTRY(danejob_waiter) link;
};

struct danejob_job;

/* The lookups of one host (its facts live in job->facts.host[i]). */
struct danejob_host {
    struct danejob_job *job;
    struct dane_host *h;
    struct dns_query *addr_q, *tlsa_q;
};

struct danejob_job {
    struct danejob *dj;
    char domain[DOMAIN_BUFSZ];
    bool mx;
    uint16_t port;
    enum danejob_state state;
    struct dane_facts facts;
    size_t skipped; /* MX hosts over DANE_HOSTS_MAX */
    struct dns_query *mx_q;
    struct danejob_host hq[DANE_HOSTS_MAX];
    size_t pending; /* lookups of the HOSTS state not answered */
    int64_t started_ms;
    struct clock_timer *deadline;
    TAILQ_HEAD(, danejob_waiter) waiters;
    LIST_ENTRY(danejob_job) link;
};

struct danejob {
    struct event_base *base;
    struct dns *dns;
    struct cache *cache;
    struct danejob_params p;
    char probe_name[DNSMSG_NAME_TEXT];
    struct daneprobe *probe;
    LIST_HEAD(, danejob_job) jobs;
    size_t njobs;
    danejob_change_fn change_fn;
    void *change_arg;
};

static void danejob_enter_state(struct danejob_job *j, enum danejob_state s)
{
    log_debug("dane %s (%s:%u): %s -> %s", j->domain, j->mx ? "mx" : "host", (unsigned)j->port,
              danejob_state_names[j->state], danejob_state_names[s]);
    j->state = s;
}

static struct danejob_job *danejob_find(const struct danejob *dj, const char *domain, bool mx,
                                        uint16_t port)
{
    struct danejob_job *j;
    LIST_FOREACH(j, &dj->jobs, link)
        if (j->mx == mx && j->port == port && strcmp(j->domain, domain) == 0)
            return j;
    return NULL;
}

static void danejob_job_free(struct danejob_job *j)
{
    if (j->mx_q != NULL)
        dns_cancel(j->mx_q);
    for (size_t i = 0; i < DANE_HOSTS_MAX; i++) {
        if (j->hq[i].addr_q != NULL)
            dns_cancel(j->hq[i].addr_q);
        if (j->hq[i].tlsa_q != NULL)
            dns_cancel(j->hq[i].tlsa_q);
    }
    clock_timer_free(j->deadline);
    free(j);
}

/* The next hop as the log names it: "example.com" or "[relay.example]:587". */
static const char *danejob_hop(const struct danejob_job *j, char *buf, size_t bufsz)
{
    if (j->mx && j->port == 25)
        snprintf(buf, bufsz, "%s", j->domain);
    else if (j->mx)
        snprintf(buf, bufsz, "%s:%u", j->domain, (unsigned)j->port);
    else
        snprintf(buf, bufsz, "[%s]:%u", j->domain, (unsigned)j->port);
    return buf;
}

/* Store the check's outcome in the entry's slot; the slot as stored (or
 * NULL when the entry is gone or cannot be read) goes to *out. */
static bool danejob_store(struct danejob_job *j, const struct dane_decision *d, int64_t now,
                          struct entry_dane *prev, struct entry_dane *out)
{
    struct entry e;
    entry_init(&e);
    if (cache_get(j->dj->cache, j->domain, &e) != CACHE_OK) {
        entry_clear(&e);
        return false; /* flushed meanwhile, or unreadable (cache.c said why) */
    }
    struct entry_dane *s = entry_dane_add(&e, j->mx, j->port);
    *prev = *s;
    dane_slot_record(s, d, now);
    *out = *s;
    bool ok = cache_put(j->dj->cache, j->domain, &e) == CACHE_OK;
    entry_clear(&e);
    return ok;
}

/* One line per check (see danejob.h for the levels). */
static void danejob_log(const struct danejob_job *j, const struct dane_decision *d,
                        const struct entry_dane *prev, bool stored, double secs)
{
    char hop[DOMAIN_BUFSZ + 16], over[64] = "";
    danejob_hop(j, hop, sizeof(hop));
    if (j->skipped > 0)
        snprintf(over, sizeof(over), " (%zu more MX hosts not looked at)", j->skipped);

    switch (d->out) {
    case DANE_OUT_FAILED: {
        bool holds = stored && prev->result == ENTRY_DANE_ONLY && clock_wall() < prev->expires_at;
        log_msg(prev->fail_count == 0 ? LOG_LEVEL_WARNING : LOG_LEVEL_INFO,
                "dane %s: %s (%s); answering %s; next check in %d s (%.3f s)", hop, d->why,
                d->failed != NULL ? d->failed : "?",
                holds ? "dane-only from the last check until it expires" : "the MTA-STS verdict",
                DANE_RETRY, secs);
        return;
    }
    case DANE_OUT_ONLY: {
        bool changed =
            prev->result != ENTRY_DANE_ONLY || prev->usable != d->usable || prev->hosts != d->hosts;
        if (d->usable < d->hosts)
            log_msg(changed ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG,
                    "dane %s: dane-only: %zu of %zu %s have usable TLSA records; Postfix "
                    "delivers only to those and skips the others (DANE takes precedence over "
                    "MTA-STS, RFC 8461 section 2)%s; valid %u s (%.3f s)",
                    hop, d->usable, d->hosts, j->mx ? "MX hosts" : "hosts", over, d->ttl, secs);
        else
            log_msg(changed ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG,
                    "dane %s: dane-only: %s%s; valid %u s (%.3f s)", hop, d->why, over, d->ttl,
                    secs);
        return;
    }
    case DANE_OUT_NONE:
    default:
        log_msg(prev->result == ENTRY_DANE_ONLY ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG,
                "dane %s: none: %s%s; the MTA-STS verdict stands; valid %u s (%.3f s)", hop, d->why,
                over, d->ttl, secs);
        return;
    }
}

static void danejob_finish(struct danejob_job *j)
{
    struct danejob *dj = j->dj;
    struct dane_decision d;
    struct entry_dane prev, now_slot;
    int64_t now = clock_wall();

    clock_timer_del(j->deadline);
    danejob_enter_state(j, DANEJOB_DONE);
    dane_decide(&j->facts, &d);
    memset(&prev, 0, sizeof(prev));
    bool stored = danejob_store(j, &d, now, &prev, &now_slot);
    stats.dane_checks++;
    if (d.out == DANE_OUT_FAILED)
        stats.dane_check_failures++;
    danejob_log(j, &d, &prev, stored, (double)(clock_mono_ms() - j->started_ms) / 1000.0);

    struct danejob_result r = {.out = d.out};
    if (stored) {
        enum dane_next next;
        r.use = dane_slot_use(&now_slot, now, &next);
    } else {
        r.use = d.out == DANE_OUT_ONLY ? DANE_USE_ONLY : DANE_USE_STS;
    }

    LIST_REMOVE(j, link);
    dj->njobs--;
    struct danejob_waiter *w;
    while ((w = TAILQ_FIRST(&j->waiters)) != NULL) {
        TAILQ_REMOVE(&j->waiters, w, link);
        danejob_cb cb = w->cb;
        void *arg = w->arg;
        free(w);
        cb(arg, &r);
    }
    danejob_job_free(j);
}

static void danejob_host_done(struct danejob_job *j)
{
    if (--j->pending == 0)
        danejob_finish(j);
}

static void danejob_on_addr(void *arg, const struct dns_sec_result *r)
{
    struct danejob_host *hq = arg;
    hq->addr_q = NULL;
    hq->h->addr_st = r->st;
    hq->h->addr_ad = r->ad;
    hq->h->addr_ttl = r->ttl;
    if (r->st == DNS_TEMPFAIL)
        stats.dane_lookup_failures++;
    log_debug("dane %s: %s A/AAAA: %s%s, %zu addresses, ttl %" PRIu32, hq->job->domain, hq->h->name,
              dns_status_name(r->st), r->ad ? " ad" : "", r->n, r->ttl);
    danejob_host_done(hq->job);
}

static void danejob_on_tlsa(void *arg, const struct dns_sec_result *r)
{
    struct danejob_host *hq = arg;
    const char *why = NULL;
    hq->tlsa_q = NULL;
    hq->h->tlsa_st = r->st;
    hq->h->tlsa_ttl = r->ttl;
    /* The MX and address gates are dane_decide()'s (dane.h). */
    hq->h->tlsa = dane_tlsa_state(true, true, r->st, r->ad, r->rrs, r->n, &why);
    if (r->st == DNS_TEMPFAIL)
        stats.dane_lookup_failures++;
    log_debug("dane %s: %s: %s%s, %zu records, ttl %" PRIu32 ": %s", hq->job->domain, r->name,
              dns_status_name(r->st), r->ad ? " ad" : "", r->n, r->ttl, why);
    danejob_host_done(hq->job);
}

static void danejob_start_hosts(struct danejob_job *j)
{
    struct danejob *dj = j->dj;
    danejob_enter_state(j, DANEJOB_HOSTS);
    j->pending = 2 * j->facts.n;
    for (size_t i = 0; i < j->facts.n; i++) {
        struct danejob_host *hq = &j->hq[i];
        hq->job = j;
        hq->h = &j->facts.host[i];
        stats.dane_lookups += 2;
        /* Both may answer only from the loop: pending is set already. */
        hq->addr_q = dns_addr_sec(dj->dns, hq->h->name, danejob_on_addr, hq);
        hq->tlsa_q = dns_tlsa(dj->dns, hq->h->name, j->port, danejob_on_tlsa, hq);
    }
}

/* A host whose lookups have not answered counts as failed. */
static void danejob_host_init(struct dane_host *h, const char *name)
{
    size_t n = strnlen(name, sizeof(h->name) - 1);
    memset(h, 0, sizeof(*h));
    memcpy(h->name, name, n); /* names are at most DNSMSG_NAME_TEXT - 1 */
    h->name[n] = '\0';
    h->addr_st = DNS_TEMPFAIL;
    h->tlsa_st = DNS_TEMPFAIL;
    h->tlsa = DANE_BOGUS;
}

static void danejob_on_mx(void *arg, const struct dns_sec_result *r)
{
    struct danejob_job *j = arg;
    struct dane_facts *f = &j->facts;
    char hosts[DANE_HOSTS_MAX][DNSMSG_NAME_TEXT];

    j->mx_q = NULL;
    f->mx_st = r->st;
    f->mx_ad = r->ad;
    f->mx_nxdomain = r->nxdomain;
    f->mx_ttl = r->ttl;
    if (r->st == DNS_TEMPFAIL)
        stats.dane_lookup_failures++;
    log_debug("dane %s: MX: %s%s%s, %zu records, ttl %" PRIu32, j->domain, dns_status_name(r->st),
              r->ad ? " ad" : "", r->nxdomain ? " nxdomain" : "", r->n, r->ttl);
    if (r->st == DNS_TEMPFAIL || !r->ad || (r->st == DNS_NODATA && r->nxdomain)) {
        danejob_finish(j);
        return;
    }
    f->n = dane_hosts_from_mx(r, j->domain, hosts, &j->skipped);
    for (size_t i = 0; i < f->n; i++)
        danejob_host_init(&f->host[i], hosts[i]);
    if (f->n == 0) {
        danejob_finish(j); /* a null MX */
        return;
    }
    danejob_start_hosts(j);
}

static void danejob_on_deadline(void *arg)
{
    struct danejob_job *j = arg;
    log_debug("dane %s: deadline: %s lookups did not answer", j->domain,
              j->state == DANEJOB_MX ? "the MX" : "some host");
    if (j->mx_q != NULL) {
        dns_cancel(j->mx_q);
        j->mx_q = NULL;
        j->facts.mx_st = DNS_TEMPFAIL;
        stats.dane_lookup_failures++;
    }
    for (size_t i = 0; i < DANE_HOSTS_MAX; i++) {
        if (j->hq[i].addr_q != NULL) {
            dns_cancel(j->hq[i].addr_q);
            j->hq[i].addr_q = NULL;
            stats.dane_lookup_failures++;
        }
        if (j->hq[i].tlsa_q != NULL) {
            dns_cancel(j->hq[i].tlsa_q);
            j->hq[i].tlsa_q = NULL;
            stats.dane_lookup_failures++;
        }
    }
    /* The facts of what did not answer are still "failed". */
    danejob_finish(j);
}

static void danejob_start(struct danejob_job *j)
{
    struct danejob *dj = j->dj;
    j->started_ms = clock_mono_ms();
    j->deadline = clock_timer_new(dj->base, danejob_on_deadline, j);
    clock_timer_add(j->deadline, (6 * dj->p.dns_timeout + 2) * 1000);
    j->facts.mx = j->mx;
    if (j->mx) {
        j->state = DANEJOB_MX;
        j->facts.mx_st = DNS_TEMPFAIL;
        stats.dane_lookups++;
        log_debug("dane %s (mx:%u): asking for the MX records", j->domain, (unsigned)j->port);
        j->mx_q = dns_mx_sec(dj->dns, j->domain, danejob_on_mx, j);
        return;
    }
    j->state = DANEJOB_MX; /* entered below */
    j->facts.n = 1;
    danejob_host_init(&j->facts.host[0], j->domain);
    danejob_start_hosts(j);
}

/* ---- public ------------------------------------------------------------- */

static void danejob_on_probe(void *arg, bool ok)
{
    struct danejob *dj = arg;
    (void)ok;
    if (dj->change_fn != NULL)
        dj->change_fn(dj->change_arg);
}

static void danejob_apply(struct danejob *dj, const struct danejob_params *p)
{
    dj->p = *p;
    snprintf(dj->probe_name, sizeof(dj->probe_name), "%s",
             p->probe_name != NULL && p->probe_name[0] ? p->probe_name : ".");
    dj->p.probe_name = dj->probe_name;
    if (dj->p.max_jobs == 0)
        dj->p.max_jobs = 1;
    if (dj->p.dns_timeout <= 0)
        dj->p.dns_timeout = 5;
}

struct danejob *danejob_new(struct event_base *base, struct dns *dns, struct cache *cache,
                            const struct danejob_params *p)
{
    struct danejob *dj = xcalloc(1, sizeof(*dj));
    dj->base = base;
    dj->dns = dns;
    dj->cache = cache;
    LIST_INIT(&dj->jobs);
    danejob_apply(dj, p);
    if (dj->p.enabled)
        dj->probe =
            daneprobe_new(base, dns, dj->probe_name, dj->p.dns_timeout, danejob_on_probe, dj);
    return dj;
}

void danejob_reconfigure(struct danejob *dj, const struct danejob_params *p)
{
    bool was_active = danejob_active(dj);
    danejob_apply(dj, p);
    if (!dj->p.enabled) {
        daneprobe_free(dj->probe);
        dj->probe = NULL;
    } else if (dj->probe == NULL) {
        dj->probe = daneprobe_new(dj->base, dj->dns, dj->probe_name, dj->p.dns_timeout,
                                  danejob_on_probe, dj);
    } else {
        daneprobe_reconfigure(dj->probe, dj->probe_name, dj->p.dns_timeout);
    }
    if (was_active != danejob_active(dj) && dj->change_fn != NULL)
        dj->change_fn(dj->change_arg);
}

void danejob_free(struct danejob *dj)
{
    if (dj == NULL)
        return;
    struct danejob_job *j;
    while ((j = LIST_FIRST(&dj->jobs)) != NULL) {
        struct danejob_waiter *w;
        LIST_REMOVE(j, link);
        while ((w = TAILQ_FIRST(&j->waiters)) != NULL) {
            TAILQ_REMOVE(&j->waiters, w, link);
            free(w);
        }
        danejob_job_free(j);
    }
    daneprobe_free(dj->probe);
    free(dj);
}

bool danejob_enabled(const struct danejob *dj)
{
    return dj != NULL && dj->p.enabled;
}

bool danejob_active(const struct danejob *dj)
{
    return danejob_enabled(dj) && daneprobe_ok(dj->probe);
}

void danejob_set_change_hook(struct danejob *dj, danejob_change_fn fn, void *arg)
{
    dj->change_fn = fn;
    dj->change_arg = arg;
}

struct danejob_waiter *danejob_request(struct danejob *dj, const char *domain, bool mx,
                                       uint16_t port, danejob_cb cb, void *arg)
{
    struct danejob_job *j = danejob_find(dj, domain, mx, port);
    bool start = false;
    if (j == NULL) {
        if (dj->njobs >= dj->p.max_jobs) {
            log_debug("dane %s: %zu checks running (the limit): not checked now", domain,
                      dj->njobs);
            return NULL;
        }
        j = xcalloc(1, sizeof(*j));
        j->dj = dj;
        snprintf(j->domain, sizeof(j->domain), "%s", domain);
        j->mx = mx;
        j->port = port;
        TAILQ_INIT(&j->waiters);
        LIST_INSERT_HEAD(&dj->jobs, j, link);
        dj->njobs++;
        start = true;
    }
    struct danejob_waiter *w = NULL;
    if (cb != NULL) {
        w = xcalloc(1, sizeof(*w));
        w->job = j;
        w->cb = cb;
        w->arg = arg;
        TAILQ_INSERT_TAIL(&j->waiters, w, link);
    }
    if (start)
        danejob_start(j);
    return w;
}

void danejob_waiter_cancel(struct danejob_waiter *w)
{
    if (w == NULL)
        return;
    if (w->job != NULL)
        TAILQ_REMOVE(&w->job->waiters, w, link);
    free(w); /* the job goes on: its result is stored for later queries */
}

size_t danejob_running(const struct danejob *dj)
{
    return dj->njobs;
}

bool danejob_in_progress(const struct danejob *dj, const char *domain, bool mx, uint16_t port)
{
    return danejob_find(dj, domain, mx, port) != NULL;
}

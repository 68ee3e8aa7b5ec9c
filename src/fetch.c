/*
 * fetch - one job per policy domain, many waiters (see fetch.h).
 *
 * Job state machine (fetch_job_enter_state logs "old -> new" at debug):
 *
 *   QUEUED --slot--> TXT --VN_FETCH--> ADDR --addresses--> HTTPS --> DONE
 *                     |                  |                     |
 *                     +--keep/backoff/negative/tempfail--------+--> DONE
 *
 * Every exit goes through fetch_job_finish(), which records the outcome
 * in the cache (where there is one to record), counts and logs it once,
 * answers each waiter once, frees the job and starts the next queued
 * one.  The job's deadline timer covers all of its states.
 *
 * Jobs live in a hash table keyed by domain (so concurrent queries share
 * one job) and, while waiting for a slot, in their zone's FIFO queue.
 *
 * Slots and zones: max_fetches jobs run at once.  Each job belongs to a
 * zone: a query's job to the zone of its domain (domain_zone(): the
 * registered domain, so "x1.example.net" and "x2.example.net" are one
 * zone), a job started without a waiter (revalidation, proactive refresh)
 * to the one background zone.  A quarter of the slots (FETCH_RESERVE_DIV)
 * is held back for zones that have no job running: a zone that already
 * has one may start another only while more than that reserve is free.
 * So however many jobs of one zone hang on a DNS server that never
 * answers, and however many of its queries keep arriving, a domain of
 * another zone -- a healthy one asked during such a flood -- finds a free
 * slot at once, and its fetch is not stuck behind the flood's.  (Pruning
 * the queue alone cannot do this while every running job still has a
 * waiting query; a share per waiting connection would not either, since
 * a flood comes from many connections.)  The background zone may hold at
 * most a quarter of the slots, so refreshes neither starve queries nor
 * are starved by them (refresh.c counts its budget in background jobs
 * only).  When a slot frees, the zones with queued jobs take turns (round
 * robin), first come first served within a zone, a zone with nothing
 * running being eligible for the reserve.  The limit of the scheme: an
 * attacker needs one zone per reserved slot to fill the reserve as well
 * (2 zones with max_fetches = 4, 65 at the default 256).
 *
 * The queue: a queued job that had query waiters and lost them all (each
 * query's wait budget ended or its client left) is dropped at once
 * (fetches_abandoned); jobs started without a waiter are never dropped
 * so.  At most max_queued_fetches jobs are queued: beyond that the oldest
 * queued job of the zone with the most queued jobs is shed (jobs an
 * operator asked for are not shed; fetches_shed); its waiters are
 * answered on the next loop turn as if their wait had ended (no policy
 * known; dns_tempfail, for dns_error = defer).  Shedding is logged at
 * warning, at most one line per FETCH_SHED_LOG_INTERVAL seconds, each
 * saying how many were shed since the last one.
 *
 * Memory: a burst of fetches (up to max_fetches TLS transfers at once)
 * leaves megabytes of freed heap that glibc keeps.  When the burst ends
 * (no job running or queued, no HTTPS transfer in flight) a timer gives
 * it back with malloc_trim(0) (trim.h): at once if the last trim is at
 * least TRIM_INTERVAL_MS old, otherwise when it is, so a steady trickle
 * of fetches trims at most once per interval; a trim whose time comes
 * while a new burst runs is skipped.  Without malloc_trim (not glibc)
 * nothing is armed.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cache.h"
#include "clock.h"
#include "dns.h"
#include "domain.h"
#include "downgrade.h"
#include "fetch.h"
#include "https.h"
#include "log.h"
#include "queue_safe.h"
#include "stats.h"
#include "sts_policy.h"
#include "sts_txt.h"
#include "trim.h"
#include "xalloc.h"

#define FETCH_RESERVE_DIV       4  /* max_fetches / this: slots for zones with nothing running */
#define FETCH_SHED_LOG_INTERVAL 10 /* seconds between two "queue full" lines */

enum fetch_job_state {
    FETCH_JOB_QUEUED = 0,
    FETCH_JOB_TXT,
    FETCH_JOB_ADDR,
    FETCH_JOB_HTTPS,
    FETCH_JOB_DONE,
};

struct fetch_waiter {
    struct fetch_job *job; /* NULL once answered */
    fetch_cb cb;
    void *arg;
    TAILQ_ENTRY(fetch_waiter) link; /* in job->waiters, first come first */
};

struct fetch_zone;

struct fetch_job {
    struct fetch *f;
    char domain[DOMAIN_BUFSZ];
    enum fetch_job_state state;
    struct fetch_zone *zone; /* NULL once shed */
    bool background;         /* asked for without a waiter: never abandoned */
    bool shed;               /* dropped from a full queue; answered on the next loop turn */
    bool refresh;
    bool ignore_backoff; /* an operator asked: fetch even a recently failed id */
    int64_t started_ms;
    struct clock_timer *deadline; /* the job deadline; the shed job's turn */
    struct dns_query *dq;
    struct https_req *hr;
    enum verdict_txt txt;
    char id[STS_ID_MAX + 1];
    bool entry_loaded;
    struct entry e;
    TAILQ_HEAD(, fetch_waiter) waiters; /* answered first in, first out */
    LIST_ENTRY(fetch_job) hlink;        /* in the job table */
    TAILQ_ENTRY(fetch_job) qlink;       /* in zone->jobs while queued */
};

/* The jobs of one zone (see "Slots and zones" above). */
struct fetch_zone {
    char name[DOMAIN_BUFSZ]; /* "" for the background zone */
    size_t running, queued;
    TAILQ_HEAD(, fetch_job) jobs; /* queued, oldest first */
    bool waiting;                 /* on fetch's waiting list (queued > 0) */
    TAILQ_ENTRY(fetch_zone) wlink;
    LIST_ENTRY(fetch_zone) hlink;
};

LIST_HEAD(fetch_job_chain, fetch_job);
LIST_HEAD(fetch_zone_chain, fetch_zone);
TAILQ_HEAD(fetch_zone_list, fetch_zone);

struct fetch {
    struct event_base *base;
    struct dns *dns;
    struct https *https;
    struct cache *cache;
    struct fetch_params p;
    struct fetch_job_chain *buckets; /* jobs running, queued or shed, by domain */
    size_t nbuckets;
    size_t njobs;
    size_t active;
    size_t queued;
    /* zones with a job running or queued, by name; the background zone
     * is not in the table and lives as long as the fetch */
    struct fetch_zone_chain *zbuckets;
    size_t nzbuckets, nzones;
    struct fetch_zone *background;
    struct fetch_zone_list waiting; /* zones with queued jobs, in turn order */
    struct log_limit shed_log;
    struct trim *trim;
    fetch_store_fn store_hook;
    void *store_arg;
};

static const char *const fetch_job_state_names[] = {
    [FETCH_JOB_QUEUED] = "queued", [FETCH_JOB_TXT] = "txt",   [FETCH_JOB_ADDR] = "addr",
    [FETCH_JOB_HTTPS] = "https",   [FETCH_JOB_DONE] = "done",
};

static uint32_t fetch_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

/*
 * Double a table of LIST chains (power-of-two size *np) of elements of
 * type `type`, linked by `field` and hashed by their string `key`.  The
 * job table and the zone table grow the same way.
 */
#define FETCH_TABLE_GROW(type, chains, np, field, key)                                             \
    do {                                                                                           \
        size_t n_ = *(np)*2;                                                                       \
        __typeof__(chains) new_ = xcalloc(n_, sizeof(*new_));                                      \
        for (size_t i_ = 0; i_ < *(np); i_++) {                                                    \
            type *e_;                                                                              \
            while ((e_ = LIST_FIRST(&(chains)[i_])) != NULL) {                                     \
                LIST_REMOVE(e_, field);                                                            \
                LIST_INSERT_HEAD(&new_[fetch_hash(e_->key) & (n_ - 1)], e_, field);                \
            }                                                                                      \
        }                                                                                          \
        free(chains);                                                                              \
        (chains) = new_;                                                                           \
        *(np) = n_;                                                                                \
    } while (0)

/* ---- job table ---------------------------------------------------------- */

static struct fetch_job_chain *fetch_job_chain(const struct fetch *f, const char *domain)
{
    return &f->buckets[fetch_hash(domain) & (f->nbuckets - 1)];
}

static struct fetch_job *fetch_table_find(const struct fetch *f, const char *domain)
{
    struct fetch_job *j;
    LIST_FOREACH(j, fetch_job_chain(f, domain), hlink)
        if (strcmp(j->domain, domain) == 0)
            return j;
    return NULL;
}

static void fetch_table_add(struct fetch *f, struct fetch_job *j)
{
    if (f->njobs >= f->nbuckets)
        FETCH_TABLE_GROW(struct fetch_job, f->buckets, &f->nbuckets, hlink, domain);
    LIST_INSERT_HEAD(fetch_job_chain(f, j->domain), j, hlink);
    f->njobs++;
}

/* Every job leaves the table exactly once: when it finishes, is
 * abandoned, or its shed turn comes. */
static void fetch_table_remove(struct fetch *f, struct fetch_job *j)
{
    LIST_REMOVE(j, hlink);
    f->njobs--;
}

/* ---- zones and the queue ----------------------------------------------- */

static struct fetch_zone_chain *fetch_zone_chain(const struct fetch *f, const char *name)
{
    return &f->zbuckets[fetch_hash(name) & (f->nzbuckets - 1)];
}

static struct fetch_zone *fetch_zone_new(const char *name)
{
    struct fetch_zone *z = xcalloc(1, sizeof(*z));
    snprintf(z->name, sizeof(z->name), "%s", name);
    TAILQ_INIT(&z->jobs);
    return z;
}

/* The zone called name, created if it has no job yet. */
static struct fetch_zone *fetch_zone_get(struct fetch *f, const char *name)
{
    struct fetch_zone *z;
    LIST_FOREACH(z, fetch_zone_chain(f, name), hlink)
        if (strcmp(z->name, name) == 0)
            return z;
    if (f->nzones >= f->nzbuckets)
        FETCH_TABLE_GROW(struct fetch_zone, f->zbuckets, &f->nzbuckets, hlink, name);
    z = fetch_zone_new(name);
    LIST_INSERT_HEAD(fetch_zone_chain(f, name), z, hlink);
    f->nzones++;
    return z;
}

/* Forget a zone that has no job left (never the background zone). */
static void fetch_zone_release(struct fetch *f, struct fetch_zone *z)
{
    if (z == NULL || z == f->background || z->running > 0 || z->queued > 0)
        return;
    LIST_REMOVE(z, hlink);
    f->nzones--;
    free(z);
}

/* Slots held back for zones with nothing running. */
static size_t fetch_reserve(const struct fetch *f)
{
    return f->p.max_fetches / FETCH_RESERVE_DIV;
}

/* Jobs the background zone may run at once (as refresh.c's budget). */
static size_t fetch_background_share(const struct fetch *f)
{
    size_t n = f->p.max_fetches / FETCH_RESERVE_DIV;
    return n > 0 ? n : 1;
}

/* May a job of zone z take a slot now? (See "Slots and zones" above.) */
static bool fetch_zone_may_start(const struct fetch *f, const struct fetch_zone *z)
{
    if (f->active >= f->p.max_fetches)
        return false;
    if (z == f->background && z->running >= fetch_background_share(f))
        return false;
    return z->running == 0 || f->p.max_fetches - f->active > fetch_reserve(f);
}

static void fetch_queue_add(struct fetch *f, struct fetch_job *j)
{
    struct fetch_zone *z = j->zone;
    TAILQ_INSERT_TAIL(&z->jobs, j, qlink);
    z->queued++;
    f->queued++;
    if (!z->waiting) {
        TAILQ_INSERT_TAIL(&f->waiting, z, wlink);
        z->waiting = true;
    }
}

static void fetch_queue_remove(struct fetch *f, struct fetch_job *j)
{
    struct fetch_zone *z = j->zone;
    TAILQ_REMOVE(&z->jobs, j, qlink);
    z->queued--;
    f->queued--;
    if (z->queued == 0 && z->waiting) {
        TAILQ_REMOVE(&f->waiting, z, wlink);
        z->waiting = false;
    }
}

/* ---- giving heap back after a burst ------------------------------------- */

static bool fetch_idle(const struct fetch *f)
{
    return f->active == 0 && f->queued == 0 && (f->https == NULL || https_active(f->https) == 0);
}

/* trim_still_fn: is the burst still over when the trim timer fires? */
static bool fetch_still_idle(void *arg)
{
    return fetch_idle(arg);
}

/* Called when a job ends: if it was the last one, schedule the trim. */
static void fetch_schedule_trim(struct fetch *f)
{
    if (fetch_idle(f))
        trim_soon(f->trim);
}

/* ---- state machine ------------------------------------------------------ */

static void fetch_job_enter_state(struct fetch_job *j, enum fetch_job_state s)
{
    log_debug("fetch %s: %s -> %s", j->domain, fetch_job_state_names[j->state],
              fetch_job_state_names[s]);
    j->state = s;
}

static void fetch_job_start(struct fetch_job *j);
static void fetch_start_queued(struct fetch *f);

static void fetch_job_load_entry(struct fetch_job *j)
{
    if (j->entry_loaded)
        return;
    entry_init(&j->e);
    enum cache_status cs = cache_get(j->f->cache, j->domain, &j->e);
    if (cs != CACHE_OK)
        entry_init(&j->e);
    j->entry_loaded = true;
}

static void fetch_job_free(struct fetch_job *j)
{
    clock_timer_free(j->deadline);
    if (j->dq != NULL)
        dns_cancel(j->dq);
    if (j->hr != NULL)
        https_cancel(j->hr);
    if (j->entry_loaded)
        entry_clear(&j->e);
    free(j);
}

/* Store the job's entry.  A failure is cache.c's to log; the job's one
 * outcome line then says "internal".  The entry was read when the TXT
 * answer came; the DANE state in it is danejob's, which may have written
 * it since: what the cache holds now is kept. */
static bool fetch_store(struct fetch_job *j)
{
    struct entry cur;
    entry_init(&cur);
    if (cache_get(j->f->cache, j->domain, &cur) == CACHE_OK)
        entry_dane_copy(&j->e, &cur);
    entry_clear(&cur);
    if (cache_put(j->f->cache, j->domain, &j->e) != CACHE_OK)
        return false;
    if (j->f->store_hook != NULL)
        j->f->store_hook(j->f->store_arg, j->domain, &j->e);
    return true;
}

static void fetch_log_outcome(struct fetch_job *j, enum fetch_class cls, const char *detail)
{
    double secs = (double)(clock_mono_ms() - j->started_ms) / 1000.0;
    const struct sts_policy *p = j->e.policy;
    const char *kind = j->refresh ? "refresh" : "fetch";
    int64_t now = clock_wall();
    bool valid = verdict_policy_valid(&j->e, now);

    if (cls == FETCH_OK) {
        log_info("%s %s: %s id=%s mode=%s max_age=%" PRIu32 " mx=%zu (%.3f s)", kind, j->domain,
                 fetch_class_name(cls), j->e.id, sts_mode_name(p->mode), p->max_age, p->n_mx, secs);
    } else if (cls == FETCH_UNCHANGED || cls == FETCH_NO_RECORD) {
        if (valid)
            log_info("%s %s: %s id=%s; cached policy mode=%s kept until %" PRId64 " (%.3f s)", kind,
                     j->domain, fetch_class_name(cls), j->id[0] ? j->id : "-",
                     sts_mode_name(p->mode), j->e.expires_at, secs);
        else
            log_info("%s %s: %s: no policy (%.3f s)", kind, j->domain, fetch_class_name(cls), secs);
    } else {
        /* FETCH_INTERNAL is a cache write that failed: cache.c logged why. */
        const char *lvl_detail = cls == FETCH_INTERNAL ? "the result could not be stored"
                                 : detail != NULL      ? detail
                                                       : "";
        if (valid)
            log_warning(
                "%s %s: %s%s%s id=%s; cached policy id=%s mode=%s stays until %" PRId64 " (%.3f s)",
                kind, j->domain, fetch_class_name(cls), *lvl_detail ? ": " : "", lvl_detail,
                j->id[0] ? j->id : "-", j->e.id, sts_mode_name(p->mode), j->e.expires_at, secs);
        else
            log_info("%s %s: %s%s%s id=%s; no policy in force (%.3f s)", kind, j->domain,
                     fetch_class_name(cls), *lvl_detail ? ": " : "", lvl_detail,
                     j->id[0] ? j->id : "-", secs);
    }
}

/* Call every waiter once with r, first come first; each waiter is gone
 * before its call (the callback may cancel others, or start new jobs). */
static void fetch_job_answer(struct fetch_job *j, const struct fetch_result *r)
{
    struct fetch_waiter *w;
    while ((w = TAILQ_FIRST(&j->waiters)) != NULL) {
        TAILQ_REMOVE(&j->waiters, w, link);
        w->job = NULL;
        fetch_cb cb = w->cb;
        void *arg = w->arg;
        free(w);
        cb(arg, r);
    }
}

static void fetch_job_finish(struct fetch_job *j, enum fetch_class cls, bool dns_tempfail,
                             const char *detail)
{
    struct fetch *f = j->f;
    struct fetch_zone *z = j->zone;

    fetch_job_load_entry(j);
    if (j->dq != NULL) {
        dns_cancel(j->dq);
        j->dq = NULL;
    }
    if (j->hr != NULL) {
        https_cancel(j->hr);
        j->hr = NULL;
    }
    clock_timer_free(j->deadline);
    j->deadline = NULL;
    fetch_job_enter_state(j, FETCH_JOB_DONE);
    fetch_table_remove(f, j);
    f->active--;

    stats.fetches[cls]++;
    hist_observe(&stats.fetch_duration, (uint64_t)(clock_mono_ms() - j->started_ms) * 1000000u);
    if (j->refresh) {
        if (cls == FETCH_OK || cls == FETCH_UNCHANGED)
            stats.refresh_ok++;
        else if (cls != FETCH_BACKOFF)
            stats.refresh_failed++;
    }
    fetch_log_outcome(j, cls, detail);

    struct fetch_result r = {.entry = &j->e, .cls = cls, .dns_tempfail = dns_tempfail};
    fetch_job_answer(j, &r);
    fetch_job_free(j);
    /* The zone keeps this job's slot until now, so that no waiter's
     * callback can make it look unused and have it freed. */
    z->running--;
    fetch_zone_release(f, z);
    fetch_start_queued(f);
    fetch_schedule_trim(f);
}

/* A fetch for the published id failed: record it, keep any valid policy. */
static void fetch_job_fail(struct fetch_job *j, enum fetch_class cls, bool dns_tempfail,
                           const char *detail)
{
    int64_t now = clock_wall();
    fetch_job_load_entry(j);
    /* A refresh without a TXT answer fetched under the cached id. */
    snprintf(j->e.fail_id, sizeof(j->e.fail_id), "%s", j->id[0] ? j->id : j->e.id);
    j->e.fail_at = now;
    j->e.fail_class = (uint16_t)cls;
    if (j->e.fail_count < UINT16_MAX)
        j->e.fail_count++;
    if (j->refresh)
        j->e.refresh_at = verdict_refresh_retry(&j->e, now, &j->f->p.verdict);
    if (j->refresh && j->e.fail_count >= 2 && j->e.policy != NULL &&
        j->e.policy->mode != STS_MODE_NONE && verdict_policy_valid(&j->e, now))
        log_warning("refresh %s: %u refreshes in a row failed (last: %s); the cached policy "
                    "expires at %" PRId64,
                    j->domain, (unsigned)j->e.fail_count, fetch_class_name(cls), j->e.expires_at);
    if (!fetch_store(j))
        cls = FETCH_INTERNAL;
    fetch_job_finish(j, cls, dns_tempfail, detail);
}

static void fetch_on_deadline(void *arg)
{
    struct fetch_job *j = arg;
    if (j->state == FETCH_JOB_TXT) {
        fetch_job_finish(j, FETCH_DNS_TEMPFAIL, true, "TXT lookup did not finish in time");
        return;
    }
    fetch_job_fail(j, FETCH_TIMEOUT, false, "job deadline reached");
}

static enum fetch_class fetch_class_from_https(enum https_status st)
{
    switch (st) {
    case HTTPS_OK:
        return FETCH_OK;
    case HTTPS_ERR_CONNECT:
        return FETCH_CONNECT;
    case HTTPS_ERR_TLS:
        return FETCH_TLS;
    case HTTPS_ERR_CERT:
        return FETCH_CERT;
    case HTTPS_ERR_REDIRECT:
        return FETCH_REDIRECT;
    case HTTPS_ERR_STATUS:
        return FETCH_HTTP_STATUS;
    case HTTPS_ERR_MEDIA_TYPE:
        return FETCH_MEDIA_TYPE;
    case HTTPS_ERR_TOO_LARGE:
        return FETCH_TOO_LARGE;
    case HTTPS_ERR_TIMEOUT:
        return FETCH_TIMEOUT;
    case HTTPS_ERR_OTHER:
    default:
        return FETCH_HTTPS_OTHER; /* not "connect": the detail says what it was */
    }
}

static void fetch_on_https(void *arg, enum https_status st, long http_code, const char *body,
                           size_t len, const char *detail)
{
    struct fetch_job *j = arg;
    j->hr = NULL;
    if (st != HTTPS_OK) {
        char buf[160];
        /* https's detail already names the status ("HTTP 404"). */
        if ((st == HTTPS_ERR_STATUS || st == HTTPS_ERR_REDIRECT) && detail == NULL)
            snprintf(buf, sizeof(buf), "HTTP %ld", http_code);
        else
            snprintf(buf, sizeof(buf), "%s", detail ? detail : https_status_name(st));
        fetch_job_fail(j, fetch_class_from_https(st), false, buf);
        return;
    }

    char err[200];
    struct sts_policy *p = NULL;
    enum sts_policy_status ps = sts_policy_parse(body, len, &p, err, sizeof(err));
    if (ps != STS_POLICY_OK) {
        fetch_job_fail(j, FETCH_PARSE, false, err);
        return;
    }

    /* A valid policy: it replaces the cached one only now. */
    int64_t now = clock_wall();
    fetch_job_load_entry(j);
    downgrade_check_policy(j->refresh ? "refresh" : "fetch", j->domain, &j->e, p, j->id, now);
    struct entry *e = &j->e;
    if (j->id[0] != '\0')
        snprintf(e->id, sizeof(e->id), "%s", j->id);
    uint32_t max_age = p->max_age;
    entry_set_policy(e, p);
    e->fetched_at = now;
    e->expires_at = now + (int64_t)max_age;
    e->checked_at = now;
    e->refresh_at = verdict_refresh_at(now, max_age, j->f->p.verdict.refresh_interval,
                                       fetch_hash(j->domain) ^ (uint32_t)now);
    e->negative_until = 0;
    e->fail_id[0] = '\0';
    e->fail_at = 0;
    e->fail_class = 0;
    e->fail_count = 0;
    enum fetch_class cls = fetch_store(j) ? FETCH_OK : FETCH_INTERNAL;
    fetch_job_finish(j, cls, false, NULL);
}

static void fetch_on_addr(void *arg, enum dns_status st, const char *const *addrs, size_t n,
                          const char *detail)
{
    struct fetch_job *j = arg;
    j->dq = NULL;
    if (st != DNS_OK || n == 0) {
        char buf[DOMAIN_BUFSZ + 64];
        snprintf(buf, sizeof(buf), "mta-sts.%s: %s%s%s", j->domain, dns_status_name(st),
                 detail ? ", " : "", detail ? detail : "");
        fetch_job_fail(j, FETCH_NO_ADDRESS, st == DNS_TEMPFAIL, buf);
        return;
    }
    char host[DOMAIN_BUFSZ + 8];
    snprintf(host, sizeof(host), "mta-sts.%s", j->domain);
    fetch_job_enter_state(j, FETCH_JOB_HTTPS);
    j->hr = https_get(j->f->https, host, addrs, n, fetch_on_https, j);
}

static void fetch_on_txt(void *arg, enum dns_status st, const struct sts_txt_rr *rrs, size_t n,
                         bool oversize, const char *detail)
{
    struct fetch_job *j = arg;
    struct fetch *f = j->f;
    int64_t now = clock_wall();
    const char *why = NULL;

    j->dq = NULL;
    switch (st) {
    case DNS_TEMPFAIL:
        j->txt = VTXT_TEMPFAIL;
        why = detail;
        break;
    case DNS_NODATA:
        j->txt = VTXT_NONE;
        why = "no _mta-sts TXT record";
        break;
    case DNS_OK: {
        /* Every record is here, long ones cut to DNS_MAX_TXT + 1 bytes:
         * sts_txt_select() discards those that are not v=STSv1 records, and
         * a cut v=STSv1 record is over STS_TXT_MAX, so invalid. */
        struct sts_txt t;
        enum sts_txt_status ts = sts_txt_select(rrs, n, &t);
        if (ts == STS_TXT_OK) {
            j->txt = VTXT_ID;
            snprintf(j->id, sizeof(j->id), "%s", t.id);
        } else {
            j->txt = VTXT_NONE;
            why = sts_txt_strerror(ts);
        }
        log_debug("fetch %s: %zu TXT record%s%s", j->domain, n, n == 1 ? "" : "s",
                  oversize ? ", a long one cut" : "");
        break;
    }
    }

    fetch_job_load_entry(j);
    downgrade_check_txt(j->refresh ? "refresh" : "fetch", j->domain, &j->e, j->txt, why, now);
    enum verdict_next next = verdict_after_txt(&j->e, j->txt, j->txt == VTXT_ID ? j->id : NULL,
                                               j->refresh, now, &f->p.verdict);
    log_debug("fetch %s: txt %s id=%s -> %s", j->domain,
              j->txt == VTXT_ID ? "ok" : (j->txt == VTXT_NONE ? "none" : "tempfail"),
              j->id[0] ? j->id : "-", verdict_next_name(next));

    if (next == VN_BACKOFF && j->ignore_backoff) {
        log_debug("fetch %s: operator refresh: fetching despite the back-off", j->domain);
        next = VN_FETCH;
    }
    switch (next) {
    case VN_FETCH: {
        char host[DOMAIN_BUFSZ + 8];
        snprintf(host, sizeof(host), "mta-sts.%s", j->domain);
        fetch_job_enter_state(j, FETCH_JOB_ADDR);
        j->dq = dns_addr(f->dns, host, fetch_on_addr, j);
        return;
    }
    case VN_KEEP: {
        /* A valid policy stays in force; note that DNS was asked, so that
         * queries do not ask again before recheck_interval.  A refresh
         * gets here only when DNS failed: try again later, not at the
         * next tick. */
        j->e.checked_at = now;
        if (j->refresh)
            j->e.refresh_at = verdict_refresh_retry(&j->e, now, &f->p.verdict);
        enum fetch_class cls = j->txt == VTXT_ID     ? FETCH_UNCHANGED
                               : j->txt == VTXT_NONE ? FETCH_NO_RECORD
                                                     : FETCH_DNS_TEMPFAIL;
        if (!fetch_store(j))
            cls = FETCH_INTERNAL;
        fetch_job_finish(j, cls, j->txt == VTXT_TEMPFAIL, why);
        return;
    }
    case VN_BACKOFF: {
        /* A refresh held back by a recent failure (of a query's fetch)
         * is due again when the back-off ends, not at the next tick. */
        enum fetch_class cls = FETCH_BACKOFF;
        if (j->refresh) {
            j->e.refresh_at = verdict_refresh_retry(&j->e, j->e.fail_at, &f->p.verdict);
            if (!fetch_store(j))
                cls = FETCH_INTERNAL;
        }
        fetch_job_finish(j, cls, false, "this id failed to fetch recently");
        return;
    }
    case VN_NEGATIVE: {
        j->e.checked_at = now;
        j->e.negative_until = now + f->p.verdict.negative_ttl;
        enum fetch_class cls = fetch_store(j) ? FETCH_NO_RECORD : FETCH_INTERNAL;
        fetch_job_finish(j, cls, false, why);
        return;
    }
    case VN_TEMPFAIL:
    default:
        fetch_job_finish(j, FETCH_DNS_TEMPFAIL, true, why);
        return;
    }
}

static void fetch_job_start(struct fetch_job *j)
{
    struct fetch *f = j->f;
    char name[DOMAIN_BUFSZ + 16];

    f->active++;
    j->zone->running++;
    j->started_ms = clock_mono_ms();
    /* TXT + address lookups (c-ares makes up to 3 tries of dns_timeout each)
     * + the HTTPS total + slack. */
    j->deadline = clock_timer_new(f->base, fetch_on_deadline, j);
    clock_timer_add(j->deadline, (6 * f->p.dns_timeout + f->p.https_timeout + 2) * 1000);
    snprintf(name, sizeof(name), "_mta-sts.%s", j->domain);
    fetch_job_enter_state(j, FETCH_JOB_TXT);
    j->dq = dns_txt(f->dns, name, fetch_on_txt, j);
}

/* Start queued jobs while slots are free: the zones take turns. */
static void fetch_start_queued(struct fetch *f)
{
    while (f->active < f->p.max_fetches) {
        struct fetch_zone *z;
        TAILQ_FOREACH(z, &f->waiting, wlink)
            if (fetch_zone_may_start(f, z))
                break;
        if (z == NULL)
            return;
        struct fetch_job *j = TAILQ_FIRST(&z->jobs);
        fetch_queue_remove(f, j);
        if (z->waiting) { /* to the back of the line */
            TAILQ_REMOVE(&f->waiting, z, wlink);
            TAILQ_INSERT_TAIL(&f->waiting, z, wlink);
        }
        fetch_job_start(j);
    }
}

/* A shed job's turn: answer its waiters as if their wait had ended. */
static void fetch_on_shed(void *arg)
{
    struct fetch_job *j = arg;
    struct fetch *f = j->f;
    fetch_job_load_entry(j);
    fetch_table_remove(f, j);
    struct fetch_result r = {
        .entry = &j->e, .cls = FETCH_DNS_TEMPFAIL, .dns_tempfail = true, .shed = true};
    fetch_job_answer(j, &r);
    fetch_job_free(j);
    fetch_schedule_trim(f);
}

/*
 * The queue is over max_queued_fetches: shed the oldest queued job of the
 * zone with the most queued jobs (not one an operator asked for).  Its
 * waiters are answered on the next loop turn, never from here.  False if
 * there was nothing to shed.
 */
static bool fetch_queue_shed_one(struct fetch *f)
{
    struct fetch_zone *z, *big = NULL;
    TAILQ_FOREACH(z, &f->waiting, wlink)
        if (big == NULL || z->queued > big->queued)
            big = z;
    if (big == NULL)
        return false;
    struct fetch_job *j;
    TAILQ_FOREACH(j, &big->jobs, qlink)
        if (!j->ignore_backoff)
            break;
    if (j == NULL)
        return false;
    stats.fetches_shed++;
    uint64_t held_back = 0;
    if (log_limit_take(&f->shed_log, clock_wall(), &held_back)) {
        char more[64] = "";
        if (held_back > 0)
            snprintf(more, sizeof(more), "; %" PRIu64 " more shed since the last such line",
                     held_back);
        log_warning("fetch: %zu fetches queued (max_queued_fetches %u); shed the fetch for %s, "
                    "the oldest of zone %s (%zu queued)%s",
                    f->queued, f->p.max_queued, j->domain,
                    big == f->background ? "(background)" : big->name, big->queued, more);
    }
    fetch_queue_remove(f, j);
    j->zone = NULL;
    j->shed = true;
    fetch_zone_release(f, big);
    j->deadline = clock_timer_new(f->base, fetch_on_shed, j);
    clock_timer_add(j->deadline, 0);
    return true;
}

/* Every query waiting for queued job j left: nobody needs it now. */
static void fetch_job_abandon(struct fetch_job *j)
{
    struct fetch *f = j->f;
    struct fetch_zone *z = j->zone;
    fetch_queue_remove(f, j);
    fetch_table_remove(f, j);
    stats.fetches_abandoned++;
    log_debug("fetch %s: every query waiting for it left; dropped from the queue", j->domain);
    fetch_job_free(j);
    fetch_zone_release(f, z);
    fetch_schedule_trim(f);
}

/* ---- public API --------------------------------------------------------- */

struct fetch *fetch_new(struct event_base *base, struct dns *dns, struct https *https,
                        struct cache *cache, const struct fetch_params *p)
{
    struct fetch *f = xcalloc(1, sizeof(*f));
    f->base = base;
    f->dns = dns;
    f->https = https;
    f->cache = cache;
    f->p = *p;
    if (f->p.max_fetches == 0)
        f->p.max_fetches = 1;
    f->nbuckets = 64;
    f->buckets = xcalloc(f->nbuckets, sizeof(*f->buckets));
    f->nzbuckets = 64;
    f->zbuckets = xcalloc(f->nzbuckets, sizeof(*f->zbuckets));
    f->background = fetch_zone_new("");
    TAILQ_INIT(&f->waiting);
    f->shed_log = (struct log_limit)LOG_LIMIT_INIT(1, FETCH_SHED_LOG_INTERVAL);
    f->trim = trim_new(base, "fetch", fetch_still_idle, f);
    return f;
}

void fetch_reconfigure(struct fetch *f, const struct fetch_params *p)
{
    f->p = *p;
    if (f->p.max_fetches == 0)
        f->p.max_fetches = 1;
    fetch_start_queued(f);
    while (f->queued > f->p.max_queued && fetch_queue_shed_one(f))
        ;
}

void fetch_set_store_hook(struct fetch *f, fetch_store_fn fn, void *arg)
{
    f->store_hook = fn;
    f->store_arg = arg;
}

void fetch_free(struct fetch *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->nbuckets; i++) {
        struct fetch_job *j;
        while ((j = LIST_FIRST(&f->buckets[i])) != NULL) {
            struct fetch_waiter *w;
            LIST_REMOVE(j, hlink);
            while ((w = TAILQ_FIRST(&j->waiters)) != NULL) {
                TAILQ_REMOVE(&j->waiters, w, link);
                free(w);
            }
            fetch_job_free(j);
        }
    }
    for (size_t i = 0; i < f->nzbuckets; i++) {
        struct fetch_zone *z;
        while ((z = LIST_FIRST(&f->zbuckets[i])) != NULL) {
            LIST_REMOVE(z, hlink);
            free(z);
        }
    }
    free(f->zbuckets);
    free(f->background);
    trim_free(f->trim);
    free(f->buckets);
    free(f);
}

static struct fetch_waiter *fetch_request_job(struct fetch *f, const char *domain, bool refresh,
                                              bool ignore_backoff, fetch_cb cb, void *arg)
{
    struct fetch_job *j = fetch_table_find(f, domain);
    bool start_now = false, queued = false;
    if (j == NULL) {
        j = xcalloc(1, sizeof(*j));
        j->f = f;
        snprintf(j->domain, sizeof(j->domain), "%s", domain);
        TAILQ_INIT(&j->waiters);
        j->refresh = refresh;
        j->background = cb == NULL;
        j->state = FETCH_JOB_QUEUED;
        j->zone = j->background ? f->background : fetch_zone_get(f, domain_zone(j->domain));
        fetch_table_add(f, j);
        if (j->zone->queued == 0 && fetch_zone_may_start(f, j->zone)) {
            start_now = true; /* after the waiter is registered */
        } else {
            fetch_queue_add(f, j);
            queued = true;
            log_debug("fetch %s: queued (zone %s: %zu running, %zu queued; %zu running, %zu "
                      "queued in all)",
                      domain, j->background ? "(background)" : j->zone->name, j->zone->running,
                      j->zone->queued, f->active, f->queued);
        }
    } else {
        if (cb == NULL)
            j->background = true; /* now also wanted without a waiter */
        if (refresh && !j->refresh && j->state <= FETCH_JOB_TXT)
            j->refresh = true; /* a refresh joining a plain revalidation upgrades it */
    }
    if (ignore_backoff && j->state <= FETCH_JOB_TXT)
        j->ignore_backoff = true;

    struct fetch_waiter *w = NULL;
    if (cb != NULL) {
        w = xcalloc(1, sizeof(*w));
        w->job = j;
        w->cb = cb;
        w->arg = arg;
        TAILQ_INSERT_TAIL(&j->waiters, w, link);
    }
    if (start_now)
        fetch_job_start(j);
    else if (queued && f->queued > f->p.max_queued)
        fetch_queue_shed_one(f);
    return w;
}

struct fetch_waiter *fetch_request(struct fetch *f, const char *domain, bool refresh, fetch_cb cb,
                                   void *arg)
{
    return fetch_request_job(f, domain, refresh, false, cb, arg);
}

struct fetch_waiter *fetch_request_operator(struct fetch *f, const char *domain, fetch_cb cb,
                                            void *arg)
{
    return fetch_request_job(f, domain, true, true, cb, arg);
}

void fetch_waiter_cancel(struct fetch_waiter *w)
{
    if (w == NULL)
        return;
    struct fetch_job *j = w->job;
    if (j != NULL)
        TAILQ_REMOVE(&j->waiters, w, link);
    free(w);
    if (j != NULL && j->state == FETCH_JOB_QUEUED && !j->shed && !j->background &&
        TAILQ_EMPTY(&j->waiters))
        fetch_job_abandon(j);
}

size_t fetch_active(const struct fetch *f)
{
    return f->active;
}

size_t fetch_queued(const struct fetch *f)
{
    return f->queued;
}

size_t fetch_background(const struct fetch *f)
{
    return f->background->running + f->background->queued;
}

bool fetch_in_progress(const struct fetch *f, const char *domain)
{
    return fetch_table_find(f, domain) != NULL;
}

bool fetch_dns_pending(const struct fetch *f, const char *domain)
{
    const struct fetch_job *j = fetch_table_find(f, domain);
    return j != NULL && (j->state == FETCH_JOB_QUEUED || j->state == FETCH_JOB_TXT);
}

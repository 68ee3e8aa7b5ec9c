/*
 * lookup - one socketmap query from key to reply (see lookup.h).
 *
 * The fast path (every cache hit and every key without a policy domain)
 * answers synchronously into the caller's buffer and allocates nothing
 * but the decoded cache entry.  The slow path allocates a
 * struct lookup_query that waits for the domain's fetch job with a timer
 * for query_timeout; whichever comes first answers, the other is
 * cancelled.  Pending queries are kept in a list so lookup_free() can
 * release them.
 *
 * Verdicts (DESIGN section 3): a valid policy in mode enforce (or testing
 * with strict_testing) -> "OK secure match=..."; testing, none, no
 * policy, or a key without policy domain -> "NOTFOUND "; DNS failure with
 * nothing cached and dns_error = defer -> "TEMP"; unreadable cache ->
 * "TEMP" and an error log line.  An enforced policy whose reply exceeds
 * Postfix's 100000-byte limit is answered cut down (mtasts-tlsrpt:
 * without policy_string, then the classic reply), or TEMP if not even the
 * classic reply fits -- never NOTFOUND; logged once per policy
 * (lookup_note_cut()).
 *
 * DANE precedence (dane = on and the resolver validates: danejob_active();
 * issue 12, RFC 8461 section 2): only where the answer would be "OK
 * secure", the cached DANE state of the key's next hop (domain_key_hop():
 * the domain's MX hosts, or a smart host itself, and the port) decides
 * through dane_slot_use(): "OK dane-only" while a dane-only result holds,
 * the MTA-STS verdict otherwise.  A next hop with no result (or an
 * expired one) makes the query wait for its DANE check within what is
 * left of query_timeout; when the wait ends first, the MTA-STS verdict is
 * answered and the check goes on (danejob stores its result for later
 * queries).  A result near its end, or a failed check due for a retry,
 * starts a check in the background.  The MTA-STS reply a DANE wait may
 * fall back to is rendered before the wait (q->sts_reply).  The memo
 * holds the next hop too, and is voided when danejob_active() changes.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "clock.h"
#include "dane.h"
#include "danejob.h"
#include "domain.h"
#include "entry.h"
#include "fetch.h"
#include "log.h"
#include "lookup.h"
#include "queue_safe.h"
#include "reply.h"
#include "stats.h"
#include "verdict.h"
#include "xalloc.h"

struct lookup_query {
    struct lookup *l;
    enum reply_profile prof;
    char domain[DOMAIN_BUFSZ];
    bool mx; /* the key's next hop (DANE) */
    uint16_t port;
    struct fetch_waiter *w;
    struct danejob_waiter *dw; /* waiting for a DANE check */
    char *sts_reply;           /* then: the MTA-STS answer to fall back to */
    size_t sts_len;
    enum stats_verdict sts_verdict;
    struct clock_timer *timer; /* query_timeout */
    lookup_cb cb;
    void *arg;
    LIST_ENTRY(lookup_query) link; /* in l->pending */
};

/*
 * The memo: what the cache answered for (domain, profile) during one
 * wall-clock second.  verdict_query() depends only on the entry and on
 * `now` in whole seconds, so within the same second, with the entry
 * unchanged, the answer is the same; every cache write to the domain
 * (cache change hook) or to any domain, and every reconfiguration, voids
 * it.  Only final answers (VQ_SERVE, VQ_NEGATIVE) are memoised, never
 * those that start a job.  This spares a busy relay the LMDB read, the
 * decode and re-validation and the rendering for the domains it is
 * sending to right now.  Slots are direct-mapped; the table is
 * allocated once and its pages are touched only as slots are used.
 */
#define LOOKUP_MEMO_SLOTS 1024 /* power of two */
#define LOOKUP_MEMO_REPLY 480  /* longer replies are not memoised */

struct lookup_memo {
    int64_t at;   /* the second of the answer */
    uint64_t gen; /* lookup's generation when stored */
    uint16_t len;
    uint16_t port; /* the next hop (DANE): port and mx */
    uint8_t mx;
    uint8_t prof;
    uint8_t verdict;  /* enum stats_verdict */
    uint8_t negative; /* answered from a negative entry (stats.cache_negative_hits) */
    char domain[DOMAIN_BUFSZ];
    char reply[LOOKUP_MEMO_REPLY];
};

/*
 * Policies whose reply had to be cut down (reply_secure_fit()): the
 * warning is logged once per policy (domain, profile and the fetch that
 * produced it), not once per query.  Direct-mapped and small: a policy
 * pushed out by another is at worst logged once more.
 */
#define LOOKUP_CUT_SLOTS 64 /* power of two */

struct lookup_cut {
    int64_t fetched_at;
    uint8_t prof;
    uint8_t fit; /* enum reply_fit */
    char domain[DOMAIN_BUFSZ];
};

struct lookup {
    struct event_base *base;
    struct cache *cache;
    struct fetch *fetch;
    struct danejob *dane; /* NULL: no DANE */
    struct lookup_params p;
    LIST_HEAD(, lookup_query) pending; /* queries waiting for a job */
    size_t npending;
    struct lookup_memo *memo;
    uint64_t gen; /* bumped to void every memo slot at once */
    struct lookup_cut cut[LOOKUP_CUT_SLOTS];
};

static struct lookup_memo *lookup_memo_slot(struct lookup *l, const char *domain,
                                            enum reply_profile prof)
{
    uint32_t h = 2166136261u ^ (uint32_t)prof;
    for (const char *s = domain; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return &l->memo[h & (LOOKUP_MEMO_SLOTS - 1)];
}

/* cache_change_fn: the cache is about to change for domain (NULL: any). */
static void lookup_memo_forget(void *arg, const char *domain)
{
    struct lookup *l = arg;
    if (domain == NULL) {
        l->gen++;
        return;
    }
    for (int prof = REPLY_PROFILE_CLASSIC; prof <= REPLY_PROFILE_TLSRPT; prof++) {
        struct lookup_memo *m = lookup_memo_slot(l, domain, (enum reply_profile)prof);
        if (m->at != 0 && strcmp(m->domain, domain) == 0)
            m->at = 0;
    }
}

struct lookup *lookup_new(struct event_base *base, struct cache *cache, struct fetch *fetch,
                          const struct lookup_params *p)
{
    struct lookup *l = xcalloc(1, sizeof(*l));
    l->base = base;
    l->cache = cache;
    l->fetch = fetch;
    l->p = *p;
    LIST_INIT(&l->pending);
    l->memo = xcalloc(LOOKUP_MEMO_SLOTS, sizeof(*l->memo));
    l->gen = 1;
    cache_set_change_hook(cache, lookup_memo_forget, l);
    return l;
}

void lookup_reconfigure(struct lookup *l, const struct lookup_params *p)
{
    l->p = *p;
    l->gen++; /* verdicts may depend on the new parameters */
}

/* danejob_change_fn: DANE precedence went on or off. */
static void lookup_dane_changed(void *arg)
{
    struct lookup *l = arg;
    l->gen++;
}

void lookup_set_dane(struct lookup *l, struct danejob *dj)
{
    if (l->dane != NULL)
        danejob_set_change_hook(l->dane, NULL, NULL);
    l->dane = dj;
    if (dj != NULL)
        danejob_set_change_hook(dj, lookup_dane_changed, l);
    l->gen++;
}

static void lookup_query_free(struct lookup_query *q)
{
    LIST_REMOVE(q, link);
    q->l->npending--;
    if (q->w != NULL)
        fetch_waiter_cancel(q->w);
    if (q->dw != NULL)
        danejob_waiter_cancel(q->dw);
    clock_timer_free(q->timer);
    free(q->sts_reply);
    free(q);
}

void lookup_free(struct lookup *l)
{
    if (l == NULL)
        return;
    struct lookup_query *q;
    while ((q = LIST_FIRST(&l->pending)) != NULL)
        lookup_query_free(q);
    if (l->dane != NULL)
        danejob_set_change_hook(l->dane, NULL, NULL);
    cache_set_change_hook(l->cache, NULL, NULL);
    free(l->memo);
    free(l);
}

size_t lookup_pending(const struct lookup *l)
{
    return l->npending;
}

/*
 * Every answer is counted here, once, with its profile and verdict (the
 * one place a per-profile or per-verdict metric belongs).
 */
static void lookup_count(enum reply_profile prof, enum stats_verdict v)
{
    stats_query((enum stats_map)prof, v);
}

/* Log (once per policy) that the reply for domain was cut down to fit. */
static void lookup_note_cut(struct lookup *l, enum reply_profile prof, const char *domain,
                            const struct entry *e, enum reply_fit fit)
{
    uint32_t h = 2166136261u;
    for (const char *s = domain; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    struct lookup_cut *c = &l->cut[(h ^ (uint32_t)prof) & (LOOKUP_CUT_SLOTS - 1)];
    if (c->fetched_at == e->fetched_at && c->prof == (uint8_t)prof && c->fit == (uint8_t)fit &&
        strcmp(c->domain, domain) == 0)
        return;
    c->fetched_at = e->fetched_at;
    c->prof = (uint8_t)prof;
    c->fit = (uint8_t)fit;
    snprintf(c->domain, sizeof(c->domain), "%s", domain);

    const struct sts_policy *p = e->policy;
    if (fit == REPLY_FIT_TEMP)
        log_error("lookup %s: even the classic reply for the policy id=%s (%zu mx) exceeds "
                  "Postfix's %d-byte socketmap limit; answering TEMP (mail to the domain waits)",
                  domain, e->id, p->n_mx, REPLY_MAX);
    else
        log_warning("lookup %s: the %s reply for the policy id=%s (%zu mx, %zu lines) exceeds "
                    "Postfix's %d-byte socketmap limit; answering %s",
                    domain, reply_profile_map(prof), e->id, p->n_mx, p->n_lines, REPLY_MAX,
                    fit == REPLY_FIT_NO_STRINGS
                        ? "without policy_string attributes"
                        : "with the classic reply (no TLSRPT attributes: Postfix enforces the "
                          "policy but does not report on it)");
}

/*
 * The verdict for what is known about a domain -- its entry (may be NULL
 * or hold no valid policy) and whether DNS failed with nothing cached --
 * with its reply rendered into out (*len).  An enforced policy is never
 * answered NOTFOUND for its size: the reply is cut down
 * (reply_secure_fit()), or TEMP.  With DANE active, an enforced policy
 * is answered as the next hop's (mx, port) DANE state says, and *next
 * gets the DANE check to start (DANE_NEXT_NONE otherwise; with
 * DANE_NEXT_WAIT, out holds the MTA-STS verdict).  Counting is the
 * caller's.
 */
static enum stats_verdict lookup_render(struct lookup *l, enum reply_profile prof,
                                        const char *domain, bool mx, uint16_t port, struct entry *e,
                                        bool dns_tempfail, int64_t now, char *out, size_t outsz,
                                        size_t *len, enum dane_next *next)
{
    *next = DANE_NEXT_NONE;
    if (e != NULL && verdict_policy_valid(e, now)) {
        const struct sts_policy *p = e->policy;
        bool enforce =
            p->mode == STS_MODE_ENFORCE || (p->mode == STS_MODE_TESTING && l->p.strict_testing);
        if (!enforce) {
            *len = reply_notfound(out, outsz);
            return STATS_VERDICT_NOTFOUND;
        }
        if (l->dane != NULL && danejob_active(l->dane) &&
            dane_slot_use(entry_dane_find(e, mx, port), now, next) == DANE_USE_ONLY) {
            *len = reply_dane_only(out, outsz);
            return STATS_VERDICT_DANE_ONLY;
        }
        enum reply_fit fit;
        *len = reply_secure_fit(out, outsz, prof, domain, p, &fit);
        switch (fit) {
        case REPLY_FIT_FULL:
            return STATS_VERDICT_SECURE;
        case REPLY_FIT_NO_STRINGS:
        case REPLY_FIT_CLASSIC:
            lookup_note_cut(l, prof, domain, e, fit);
            return STATS_VERDICT_SECURE;
        case REPLY_FIT_TEMP:
            lookup_note_cut(l, prof, domain, e, fit);
            return STATS_VERDICT_TEMP;
        case REPLY_FIT_INVALID:
        default:
            /* Cannot happen for a policy that passed sts_policy_parse();
             * never send something we did not validate. */
            log_error("lookup %s: the cached policy cannot be rendered safely; answering "
                      "NOTFOUND",
                      domain);
            *len = reply_notfound(out, outsz);
            return STATS_VERDICT_NOTFOUND;
        }
    }
    if (dns_tempfail && l->p.dns_error == CONFIG_DNS_ERROR_DEFER) {
        *len = reply_temp(out, outsz, "MTA-STS DNS lookup failed");
        return STATS_VERDICT_TEMP;
    }
    *len = reply_notfound(out, outsz);
    return STATS_VERDICT_NOTFOUND;
}

/* Answer q with reply (verdict v), free it, and call back. */
static void lookup_answer(struct lookup_query *q, enum stats_verdict v, const char *reply, size_t n)
{
    lookup_count(q->prof, v);
    lookup_cb cb = q->cb;
    void *cbarg = q->arg;
    lookup_query_free(q); /* reply is never q's own buffer */
    cb(cbarg, reply, n);
}

static void lookup_on_dane(void *arg, const struct danejob_result *r)
{
    struct lookup_query *q = arg;
    char reply[32];

    q->dw = NULL; /* delivered */
    if (r->use == DANE_USE_ONLY) {
        size_t n = reply_dane_only(reply, sizeof(reply));
        lookup_answer(q, STATS_VERDICT_DANE_ONLY, reply, n);
        return;
    }
    char *sts = q->sts_reply;
    q->sts_reply = NULL;
    lookup_answer(q, q->sts_verdict, sts, q->sts_len);
    free(sts);
}

/*
 * Start the DANE check of q's next hop and wait for it (the query's timer
 * keeps running), with reply (verdict v, the MTA-STS answer) to fall back
 * to.  False when no check could be started: the caller answers reply.
 */
static bool lookup_wait_dane(struct lookup_query *q, enum stats_verdict v, const char *reply,
                             size_t n)
{
    q->dw = danejob_request(q->l->dane, q->domain, q->mx, q->port, lookup_on_dane, q);
    if (q->dw == NULL)
        return false;
    q->sts_reply = xmalloc(n + 1);
    memcpy(q->sts_reply, reply, n);
    q->sts_reply[n] = '\0';
    q->sts_len = n;
    q->sts_verdict = v;
    log_debug("lookup %s: waiting for its DANE check", q->domain);
    return true;
}

static void lookup_on_fetch(void *arg, const struct fetch_result *r)
{
    struct lookup_query *q = arg;
    char reply[REPLY_MAX + 1];
    struct entry *e = (struct entry *)r->entry; /* only read (entry_dane_find) */
    enum dane_next next;

    q->w = NULL; /* delivered: the waiter is gone */
    size_t n;
    enum stats_verdict v =
        lookup_render(q->l, q->prof, q->domain, q->mx, q->port, e, r->dns_tempfail, clock_wall(),
                      reply, sizeof(reply), &n, &next);
    if (next == DANE_NEXT_WAIT && lookup_wait_dane(q, v, reply, n))
        return;
    if (next == DANE_NEXT_BACKGROUND)
        danejob_request(q->l->dane, q->domain, q->mx, q->port, NULL, NULL);
    lookup_answer(q, v, reply, n);
}

static void lookup_on_timeout(void *arg)
{
    struct lookup_query *q = arg;
    char reply[64];

    stats.query_timeouts++;
    size_t n;
    if (q->sts_reply != NULL) {
        /* Waiting for a DANE check: the MTA-STS verdict, never weaker. */
        log_info("lookup %s: its DANE check did not finish within query_timeout; answering the "
                 "MTA-STS verdict while the check goes on",
                 q->domain);
        char *sts = q->sts_reply;
        q->sts_reply = NULL;
        lookup_answer(q, q->sts_verdict, sts, q->sts_len);
        free(sts);
        return;
    }
    if (q->l->p.dns_error == CONFIG_DNS_ERROR_DEFER && fetch_dns_pending(q->l->fetch, q->domain)) {
        /* The TXT lookup itself has not answered: a DNS timeout. */
        log_info("lookup %s: the TXT lookup did not answer within query_timeout; answering TEMP "
                 "(dns_error = defer) while the fetch goes on",
                 q->domain);
        n = reply_temp(reply, sizeof(reply), "MTA-STS DNS lookup timed out");
        lookup_count(q->prof, STATS_VERDICT_TEMP);
    } else {
        log_info("lookup %s: no answer within query_timeout; answering as without a policy "
                 "while the fetch goes on",
                 q->domain);
        n = reply_notfound(reply, sizeof(reply));
        lookup_count(q->prof, STATS_VERDICT_NOTFOUND);
    }
    lookup_cb cb = q->cb;
    void *cbarg = q->arg;
    lookup_query_free(q);
    cb(cbarg, reply, n);
}

/* A pending query for domain (the slow path). */
static struct lookup_query *lookup_query_new(struct lookup *l, enum reply_profile prof,
                                             const char *domain, bool mx, uint16_t port,
                                             lookup_cb cb, void *arg)
{
    struct lookup_query *q = xcalloc(1, sizeof(*q));
    q->l = l;
    q->prof = prof;
    snprintf(q->domain, sizeof(q->domain), "%s", domain);
    q->mx = mx;
    q->port = port;
    q->cb = cb;
    q->arg = arg;
    LIST_INSERT_HEAD(&l->pending, q, link);
    l->npending++;
    q->timer = clock_timer_new(l->base, lookup_on_timeout, q);
    clock_timer_add(q->timer, l->p.query_timeout * 1000);
    return q;
}

struct lookup_query *lookup_start(struct lookup *l, enum reply_profile prof, const char *key,
                                  size_t keylen, char *reply, size_t replysz, size_t *len,
                                  lookup_cb cb, void *arg)
{
    char domain[DOMAIN_BUFSZ];
    int64_t now = clock_wall();
    bool mx = true;
    unsigned port = 25;

    stats.queries++;
    enum domain_key_kind kind = domain_normalize_key(key, keylen, domain);
    if (kind != DOMAIN_KEY_OK) {
        if (log_enabled(LOG_LEVEL_DEBUG)) {
            char safe[80];
            log_debug("lookup '%s': %s, no policy domain",
                      log_sanitize(key, keylen, safe, sizeof(safe)), domain_key_kind_name(kind));
        }
        *len = reply_notfound(reply, replysz);
        lookup_count(prof, STATS_VERDICT_NOTFOUND);
        return NULL;
    }

    /* The next hop matters only to DANE; otherwise every key of a
     * domain has the same answer (and one memo slot).  A query that waits
     * keeps its own hop all the same: DANE may come on before it is
     * answered. */
    domain_key_hop(key, keylen, &mx, &port);
    bool hop_mx = mx;
    unsigned hop_port = port;
    if (l->dane == NULL || !danejob_active(l->dane)) {
        hop_mx = true;
        hop_port = 25;
    }

    struct lookup_memo *m = lookup_memo_slot(l, domain, prof);
    if (m->at == now && m->gen == l->gen && m->prof == (uint8_t)prof && m->mx == (uint8_t)hop_mx &&
        m->port == (uint16_t)hop_port && strcmp(m->domain, domain) == 0 &&
        (size_t)m->len < replysz) {
        stats.cache_hits++;
        lookup_count(prof, (enum stats_verdict)m->verdict);
        stats.cache_negative_hits += m->negative;
        memcpy(reply, m->reply, m->len);
        reply[m->len] = '\0';
        *len = m->len;
        log_debug("lookup %s: memoised answer: %.*s", domain, (int)(*len < 120 ? *len : 120),
                  reply);
        return NULL;
    }

    struct entry e;
    entry_init(&e);
    enum cache_status cs = cache_get(l->cache, domain, &e);
    if (cs == CACHE_ERROR) {
        /* cache.c logged why; say what became of the query only here. */
        log_debug("lookup %s: the cache cannot be read; answering TEMP", domain);
        *len = reply_temp(reply, replysz, "mtastsd cache unavailable");
        lookup_count(prof, STATS_VERDICT_TEMP);
        return NULL;
    }
    const struct entry *ep = cs == CACHE_OK ? &e : NULL;
    enum verdict_query v = verdict_query(ep, now, &l->p.verdict);
    switch (v) {
    case VQ_SERVE_REVALIDATE:
        fetch_request(l->fetch, domain, verdict_refresh_due(ep, now), NULL, NULL);
        /* fall through */
    case VQ_SERVE:
    case VQ_NEGATIVE: {
        stats.cache_hits++;
        enum dane_next next;
        enum stats_verdict sv =
            lookup_render(l, prof, domain, mx, (uint16_t)port, cs == CACHE_OK ? &e : NULL, false,
                          now, reply, replysz, len, &next);
        if (next == DANE_NEXT_WAIT) {
            struct lookup_query *q = lookup_query_new(l, prof, domain, mx, (uint16_t)port, cb, arg);
            if (lookup_wait_dane(q, sv, reply, *len)) {
                entry_clear(&e);
                return q;
            }
            lookup_query_free(q); /* no check could start: answer now */
        } else if (next == DANE_NEXT_BACKGROUND) {
            danejob_request(l->dane, domain, mx, (uint16_t)port, NULL, NULL);
        }
        lookup_count(prof, sv);
        stats.cache_negative_hits += v == VQ_NEGATIVE;
        /* Only final answers: a TEMP (a policy too large to answer) is
         * worked out again next time; an answer that started a DANE
         * check may change with it. */
        if (v != VQ_SERVE_REVALIDATE && *len < LOOKUP_MEMO_REPLY && sv != STATS_VERDICT_TEMP &&
            next == DANE_NEXT_NONE) {
            m->at = now;
            m->gen = l->gen;
            m->prof = (uint8_t)prof;
            m->mx = (uint8_t)hop_mx;
            m->port = (uint16_t)hop_port;
            m->len = (uint16_t)*len;
            m->verdict = (uint8_t)sv;
            m->negative = v == VQ_NEGATIVE;
            memcpy(m->domain, domain, strlen(domain) + 1);
            memcpy(m->reply, reply, *len);
        }
        log_debug("lookup %s: %s from the cache: %.*s", domain, verdict_query_name(v),
                  (int)(*len < 120 ? *len : 120), reply);
        entry_clear(&e);
        return NULL;
    }
    case VQ_RESOLVE:
    default:
        break;
    }
    entry_clear(&e);

    stats.cache_misses++;
    struct lookup_query *q = lookup_query_new(l, prof, domain, mx, (uint16_t)port, cb, arg);
    q->w = fetch_request(l->fetch, domain, false, lookup_on_fetch, q);
    return q;
}

void lookup_cancel(struct lookup_query *q)
{
    if (q != NULL)
        lookup_query_free(q);
}

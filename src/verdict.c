/*
 * verdict - the RFC 8461 timing rules (sections 3.3, 5.1, 10.2) as pure
 * functions of a cache entry and the current time.
 *
 * Public functions: verdict_params_default(), verdict_policy_valid(),
 * verdict_query(), verdict_after_txt(), verdict_refresh_due(),
 * verdict_refresh_retry(), verdict_refresh_at(), verdict_sweepable(), verdict_query_name(),
 * verdict_next_name().  See verdict.h for the decision tables.
 *
 * Decisions not spelt out in verdict.h:
 *   - A timestamp later than `now` (the clock stepped back) is not
 *     trusted in the direction that would suppress network work: a
 *     checked_at in the future makes the policy due for revalidation, and
 *     a fail_at in the future does not hold back a fetch.  Validity
 *     (expires_at, negative_until) is taken as stored.
 *   - A refresh_at of 0 (never set) counts as due.
 *   - VN_BACKOFF only ever replaces VN_FETCH: the would-be fetch's id
 *     (the published id, or for a refresh without a record the cached
 *     id) equals fail_id and the failure is less than fail_backoff old.
 *   - A refresh without a valid policy has nothing to refresh: with no
 *     record it is VN_NEGATIVE, as for a normal query.
 *   - VTXT_ID with a NULL or empty id is handled as VTXT_NONE, and an
 *     unknown enum verdict_txt as VTXT_TEMPFAIL (nothing is cached).
 *   - verdict_refresh_at() with refresh_interval <= 0 uses max_age / 2.
 *   - verdict_sweepable() measures keep_expired from the latest of
 *     fetched_at, expires_at, checked_at, negative_until and fail_at, so
 *     an expired policy or negative entry stays keep_expired after it
 *     lapsed (for id comparison and the failure record).
 *
 * Arithmetic: elapsed times are computed in uint64_t only when since <=
 * now, so any int64_t inputs are safe; verdict_refresh_at() saturates.
 *
 * Ownership: nothing is allocated or kept.  Pure: no I/O, no clock.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "verdict.h"

/* Never refresh sooner than this after a fetch: bounds how often a policy
 * with a tiny max_age makes us fetch it, and still lets every policy with
 * a max_age of 10 s or more be refreshed at half of it. */
#define VERDICT_REFRESH_MIN 5

void verdict_params_default(struct verdict_params *p)
{
    p->negative_ttl = 1800;
    p->recheck_interval = 300;
    p->refresh_interval = 86400;
    p->fail_backoff = 300;
    p->keep_expired = 7 * 86400;
}

/* True iff since <= now and at least span seconds separate them. */
static bool verdict_elapsed_at_least(int64_t now, int64_t since, int64_t span)
{
    if (since > now)
        return false;
    if (span <= 0)
        return true;
    uint64_t elapsed = (uint64_t)now - (uint64_t)since;
    return elapsed >= (uint64_t)span;
}

bool verdict_policy_valid(const struct entry *e, int64_t now)
{
    return e != NULL && e->policy != NULL && now < e->expires_at;
}

int64_t verdict_refresh_retry(const struct entry *e, int64_t from, const struct verdict_params *p)
{
    int64_t t = from > INT64_MAX - p->fail_backoff ? INT64_MAX : from + p->fail_backoff;
    if (t > e->expires_at)
        t = e->expires_at;
    if (t < e->fetched_at)
        t = e->fetched_at;
    return t;
}

bool verdict_refresh_due(const struct entry *e, int64_t now)
{
    return verdict_policy_valid(e, now) && e->refresh_at <= now;
}

/* The cached id's last DNS confirmation is too old (or in the future). */
static bool verdict_recheck_due(const struct entry *e, int64_t now, const struct verdict_params *p)
{
    return e->checked_at > now || verdict_elapsed_at_least(now, e->checked_at, p->recheck_interval);
}

enum verdict_query verdict_query(const struct entry *e, int64_t now, const struct verdict_params *p)
{
    if (e == NULL)
        return VQ_RESOLVE;
    if (verdict_policy_valid(e, now)) {
        if (verdict_refresh_due(e, now) || verdict_recheck_due(e, now, p))
            return VQ_SERVE_REVALIDATE;
        return VQ_SERVE;
    }
    if (e->negative_until > now)
        return VQ_NEGATIVE;
    return VQ_RESOLVE;
}

/* A fetch of fetch_id failed less than fail_backoff ago. */
static bool verdict_backoff(const struct entry *e, const char *fetch_id, int64_t now,
                            const struct verdict_params *p)
{
    if (e == NULL || fetch_id[0] == '\0' || strcmp(e->fail_id, fetch_id) != 0)
        return false;
    if (e->fail_at > now)
        return false; /* clock stepped back: do not trust it */
    return !verdict_elapsed_at_least(now, e->fail_at, p->fail_backoff);
}

enum verdict_next verdict_after_txt(const struct entry *e, enum verdict_txt txt, const char *id,
                                    bool refresh, int64_t now, const struct verdict_params *p)
{
    bool valid = verdict_policy_valid(e, now);
    const char *fetch_id;

    if (txt == VTXT_ID && (id == NULL || id[0] == '\0'))
        txt = VTXT_NONE;
    switch (txt) {
    case VTXT_ID:
        if (valid && !refresh && strcmp(e->id, id) == 0)
            return VN_KEEP;
        fetch_id = id;
        break;
    case VTXT_NONE:
        if (!valid)
            return VN_NEGATIVE;
        if (!refresh)
            return VN_KEEP;
        fetch_id = e->id; /* RFC 8461 10.2: refresh whatever DNS says */
        break;
    case VTXT_TEMPFAIL:
    default:
        return valid ? VN_KEEP : VN_TEMPFAIL;
    }
    return verdict_backoff(e, fetch_id, now, p) ? VN_BACKOFF : VN_FETCH;
}

static int64_t verdict_add_sat(int64_t a, int64_t b)
{
    /* b >= 0 at every call site */
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* A 32-bit integer mixer (xorshift-multiply rounds) so that neighbouring
 * seeds land far apart. */
static uint32_t verdict_mix(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

int64_t verdict_refresh_at(int64_t fetched_at, uint32_t max_age, int64_t refresh_interval,
                           uint32_t jitter_seed)
{
    int64_t span = max_age / 2;
    if (refresh_interval > 0 && refresh_interval < span)
        span = refresh_interval;
    int64_t jitter = (int64_t)(verdict_mix(jitter_seed) % (uint32_t)(span / 10 + 1));
    int64_t expiry = verdict_add_sat(fetched_at, max_age);
    int64_t earliest = verdict_add_sat(fetched_at, VERDICT_REFRESH_MIN);
    int64_t at = verdict_add_sat(fetched_at, span - jitter);
    if (at < earliest)
        at = earliest;
    if (at > expiry)
        at = expiry;
    return at;
}

bool verdict_sweepable(const struct entry *e, int64_t now, const struct verdict_params *p)
{
    if (e == NULL || verdict_policy_valid(e, now) || e->negative_until > now)
        return false;
    int64_t latest = e->fetched_at;
    const int64_t times[] = {e->expires_at, e->checked_at, e->negative_until, e->fail_at};
    for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++)
        if (times[i] > latest)
            latest = times[i];
    return verdict_elapsed_at_least(now, latest, p->keep_expired);
}

const char *verdict_query_name(enum verdict_query q)
{
    switch (q) {
    case VQ_SERVE:
        return "serve";
    case VQ_SERVE_REVALIDATE:
        return "serve-revalidate";
    case VQ_NEGATIVE:
        return "negative";
    case VQ_RESOLVE:
        return "resolve";
    }
    return "unknown";
}

const char *verdict_next_name(enum verdict_next n)
{
    switch (n) {
    case VN_FETCH:
        return "fetch";
    case VN_KEEP:
        return "keep";
    case VN_BACKOFF:
        return "backoff";
    case VN_NEGATIVE:
        return "negative";
    case VN_TEMPFAIL:
        return "tempfail";
    }
    return "unknown";
}

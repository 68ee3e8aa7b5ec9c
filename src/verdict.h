/*
 * verdict - every RFC 8461 timing rule, in pure functions (DESIGN
 * sections 3 and 4).
 *
 * A query for a policy domain goes through two decisions:
 *
 * 1. verdict_query(entry, now): what to do with only the cache.
 *      VQ_SERVE             a valid (unexpired) policy; answer from it.
 *      VQ_SERVE_REVALIDATE  a valid policy; answer from it now and start a
 *                           background job: its TXT check is older than
 *                           recheck_interval, or its refresh is due.
 *      VQ_NEGATIVE          no valid policy and "no policy" is known
 *                           (negative_until in the future): NOTFOUND.
 *      VQ_RESOLVE           nothing usable (no entry, expired policy,
 *                           expired negative entry): start or join the
 *                           domain's job and wait for it.
 *
 * 2. verdict_after_txt(entry, txt, id, refresh, now): the job has asked DNS
 *    for the TXT record; what next.
 *      VN_FETCH     fetch the policy over HTTPS now (no valid policy and a
 *                   record is published; or the id changed; or this is a
 *                   proactive refresh, which fetches whatever the TXT
 *                   record says, unless DNS failed temporarily).
 *      VN_KEEP      a valid cached policy stays in force (id unchanged,
 *                   or record gone / DNS failing while the policy is
 *                   valid); the caller renews checked_at, the time DNS
 *                   was last asked, so that queries do not ask again
 *                   before recheck_interval; a refresh that got here
 *                   (DNS failing) is retried at verdict_refresh_retry().
 *      VN_BACKOFF   the published id failed to fetch less than
 *                   fail_backoff (5 min) ago: do not fetch; answer from a
 *                   valid cached policy if any, else no policy.  A
 *                   different id is fetched at once.
 *      VN_NEGATIVE  no record published and no valid policy: store a
 *                   negative entry until now + negative_ttl.
 *      VN_TEMPFAIL  DNS failed temporarily and no valid policy: answer
 *                   per dns_error; nothing is cached.
 *
 * verdict_refresh_at() computes when a freshly fetched policy is to be
 * refreshed: the earlier of refresh_interval and half of max_age after
 * the fetch, minus a jitter of up to 10% of that span derived from
 * jitter_seed (so refreshes of many entries do not bunch, yet the result
 * is reproducible in tests).  Never earlier than fetched_at + 5 s
 * (VERDICT_REFRESH_MIN), never later than the expiry: a policy with a
 * max_age of 10 s or more is refreshed at half of it at the latest, one of
 * 6-9 s 5 s after its fetch, and one of 5 s or less lapses (the next query
 * fetches it again).
 *
 * verdict_sweepable() says when the refresh sweep may delete an entry:
 * no valid policy, not negative, and the policy (if any) expired and the
 * last failure/check older than keep_expired (measured from the latest of
 * fetched_at, expires_at, checked_at, negative_until and fail_at).
 *
 * Timestamps later than `now` (the clock stepped back) never suppress
 * network work: a future checked_at means "revalidate", a future fail_at
 * does not hold back a fetch.  For a refresh with no TXT record, the
 * would-be fetch is under the cached id, so the backoff compares fail_id
 * with e->id: record that id as fail_id when such a fetch fails.
 *
 * Pure: no I/O, no clock; `now` is always passed in.
 */
#ifndef MTASTSD_VERDICT_H
#define MTASTSD_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

#include "entry.h"

struct verdict_params {
    int64_t negative_ttl;     /* default 1800 */
    int64_t recheck_interval; /* default 300 */
    int64_t refresh_interval; /* default 86400 */
    int64_t fail_backoff;     /* default 300 (RFC-derived; not configurable) */
    int64_t keep_expired;     /* how long expired entries stay: default 7 days */
};

void verdict_params_default(struct verdict_params *p);

enum verdict_query {
    VQ_SERVE = 0,
    VQ_SERVE_REVALIDATE,
    VQ_NEGATIVE,
    VQ_RESOLVE,
};

enum verdict_txt {
    VTXT_NONE = 0, /* NXDOMAIN, NODATA, or no single valid v=STSv1 record */
    VTXT_TEMPFAIL, /* SERVFAIL, REFUSED, timeout */
    VTXT_ID,       /* a valid record with this id */
};

enum verdict_next {
    VN_FETCH = 0,
    VN_KEEP,
    VN_BACKOFF,
    VN_NEGATIVE,
    VN_TEMPFAIL,
};

/* A policy is valid iff present and now < expires_at. */
bool verdict_policy_valid(const struct entry *e, int64_t now);

enum verdict_query verdict_query(const struct entry *e, int64_t now,
                                 const struct verdict_params *p);

enum verdict_next verdict_after_txt(const struct entry *e, enum verdict_txt txt, const char *id,
                                    bool refresh, int64_t now, const struct verdict_params *p);

/* True when a cached valid policy's proactive refresh is due. */
bool verdict_refresh_due(const struct entry *e, int64_t now);

/*
 * When a proactive refresh that did not succeed is tried again: fail_backoff
 * after `from` (now for a failed fetch or failing DNS, fail_at for a
 * refresh held back by the back-off), as for a failed fetch; clamped to
 * [fetched_at, expires_at] like every refresh_at.  Later than now for any
 * entry whose refresh was due (valid policy, from >= now - fail_backoff),
 * so a failing refresh never restarts at the next tick.
 */
int64_t verdict_refresh_retry(const struct entry *e, int64_t from, const struct verdict_params *p);
int64_t verdict_refresh_at(int64_t fetched_at, uint32_t max_age, int64_t refresh_interval,
                           uint32_t jitter_seed);

bool verdict_sweepable(const struct entry *e, int64_t now, const struct verdict_params *p);

const char *verdict_query_name(enum verdict_query q);
const char *verdict_next_name(enum verdict_next n);

#endif

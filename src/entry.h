/*
 * entry - one policy domain's cache record, and its versioned encoding.
 *
 * An entry is what mtastsd knows about one policy domain:
 *   - policy (may be NULL) with the TXT id it was fetched under, when it
 *     was fetched and when it expires (fetched_at + max_age); an expired
 *     policy is kept only for id comparison until the sweep removes it;
 *   - checked_at: the last time DNS was asked about the domain: it
 *     confirmed the cached id, showed no record (negative entries), or
 *     failed or showed none while a valid policy stayed in force; queries
 *     revalidate recheck_interval after it;
 *   - refresh_at: when the proactive refresh is due (set at fetch time,
 *     with jitter, by verdict_refresh_at());
 *   - negative_until: "no policy published" is known until then (0: not
 *     negative);
 *   - the last failure: which id failed (fail_id), when (fail_at), why
 *     (fail_class, an enum fetch_class value as an integer) and how many
 *     consecutive refreshes failed (fail_count).
 *
 * entry_encode() writes the record as stored in LMDB: a version byte, the
 * fixed fields in little-endian order, then the policy blob of
 * sts_policy_serialize().  entry_decode() accepts only the current version
 * and re-validates everything; anything else yields false (the caller
 * treats the record as absent and logs it), never a half-read entry.
 *
 * Times are seconds since the epoch (int64_t).  Pure: no I/O.
 */
#ifndef MTASTSD_ENTRY_H
#define MTASTSD_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sts_policy.h"
#include "sts_txt.h"

#define ENTRY_VERSION 1
/* Latest time an entry may hold: 9999-12-31T23:59:59Z.  Times outside
 * [0, ENTRY_TIME_MAX] are impossible; bounding them keeps the arithmetic
 * of verdict.c free of overflow. */
#define ENTRY_TIME_MAX INT64_C(253402300799)

struct entry {
    struct sts_policy *policy; /* owned; NULL if none */
    char id[STS_ID_MAX + 1];   /* id of the cached policy ("" if none) */
    int64_t fetched_at;
    int64_t expires_at;
    int64_t checked_at;
    int64_t refresh_at;
    int64_t negative_until;
    char fail_id[STS_ID_MAX + 1]; /* id whose fetch failed last ("" if none) */
    int64_t fail_at;
    uint16_t fail_class;
    uint16_t fail_count;
};

/* Zero the entry (no policy, nothing known). */
void entry_init(struct entry *e);
/* Free the owned policy and zero the entry. */
void entry_clear(struct entry *e);
/* Replace e's policy by p (taking ownership), freeing the old one. */
void entry_set_policy(struct entry *e, struct sts_policy *p);

/*
 * True for a policy (not of mode none, not superseded by a "no record"
 * answer) whose refreshes failed at least twice in a row: the domains RFC
 * 8461 section 10.2 wants an operator to hear about.  Time-independent:
 * an expired policy still counts until a fetch succeeds or the sweep
 * removes it.  Shared by the cache census (mtastsd_refresh_failing_domains)
 * and "mtastsd-ctl list failing", so both name the same domains.
 */
bool entry_refresh_failing(const struct entry *e);

/*
 * Returns bytes needed; writes only if it fits in outsz (out may be NULL
 * to ask for the size).  Returns 0 (nothing written) for an entry that
 * entry_decode() would refuse: an id that is not empty or 1-32
 * letters/digits, a time outside [0, ENTRY_TIME_MAX], expires_at before
 * fetched_at or more than STS_MAX_AGE_MAX after it, or a policy that
 * sts_policy_serialize() cannot write.
 */
size_t entry_encode(const struct entry *e, unsigned char *out, size_t outsz);
/*
 * Fills *e (which must be initialised or cleared; a policy it holds is
 * freed) or returns false and leaves *e unchanged.  Refuses another
 * version, truncation, trailing bytes, invalid ids, impossible times and
 * a policy blob that sts_policy_deserialize() refuses.
 */
bool entry_decode(const unsigned char *in, size_t len, struct entry *e);

#endif

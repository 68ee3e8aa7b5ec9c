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
 *     consecutive refreshes failed (fail_count);
 *   - the DANE state (issue 12, RFC 8461 section 2): up to ENTRY_DANE_MAX
 *     next hops of the domain -- its MX hosts (mx = 1) or the host itself
 *     (a smart-host key "[host]:port", mx = 0), each with a port -- and
 *     for each what the last DANE check found (result), when it succeeded
 *     (checked_at), until when that result holds (expires_at: bounded by
 *     the DNS TTLs, see dane.h), how many hosts it looked at and how many
 *     had usable TLSA records, and the last failed check (fail_at,
 *     fail_count).  dane.c decides; this module only stores.
 *
 * entry_encode() writes the record as stored in LMDB: a version byte, the
 * fixed fields in little-endian order, the policy blob of
 * sts_policy_serialize(), then the DANE slots.  entry_decode() accepts the
 * current version and version 1 (the records of mtastsd before DANE: the
 * same layout without the DANE slots, read as "no DANE state", so a cache
 * survives the upgrade) and re-validates everything; anything else yields
 * false (the caller treats the record as absent and logs it), never a
 * half-read entry.
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

#define ENTRY_VERSION    2
#define ENTRY_VERSION_V1 1 /* before DANE: read, never written */
#define ENTRY_DANE_MAX   4 /* next hops with a DANE state, per domain */
/* Longest a DANE result may be kept (dane.h bounds it much lower). */
#define ENTRY_DANE_LIFE_MAX 86400
/* Latest time an entry may hold: 9999-12-31T23:59:59Z.  Times outside
 * [0, ENTRY_TIME_MAX] are impossible; bounding them keeps the arithmetic
 * of verdict.c free of overflow. */
#define ENTRY_TIME_MAX INT64_C(253402300799)

enum entry_dane_result {
    ENTRY_DANE_UNKNOWN = 0, /* no check has succeeded yet */
    ENTRY_DANE_NONE,        /* DANE does not apply: the MTA-STS verdict stands */
    ENTRY_DANE_ONLY,        /* an MX host has usable TLSA records: "dane-only" */
};

/* The DANE state of one next hop (see above). */
struct entry_dane {
    uint16_t port;       /* 1-65535 */
    uint8_t mx;          /* 1: the domain's MX hosts; 0: the host itself */
    uint8_t result;      /* enum entry_dane_result */
    uint8_t hosts;       /* hosts the last successful check looked at */
    uint8_t usable;      /* of them, with a usable TLSA RRset (<= hosts) */
    uint16_t fail_count; /* failed checks since the last success */
    int64_t checked_at;  /* last successful check; 0 with ENTRY_DANE_UNKNOWN */
    int64_t expires_at;  /* the result holds until then; 0 with ENTRY_DANE_UNKNOWN */
    int64_t fail_at;     /* last failed check; 0: none */
};

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
    uint8_t n_dane;
    struct entry_dane dane[ENTRY_DANE_MAX];
};

/* Zero the entry (no policy, nothing known). */
void entry_init(struct entry *e);
/* Free the owned policy and zero the entry. */
void entry_clear(struct entry *e);
/* Replace e's policy by p (taking ownership), freeing the old one. */
void entry_set_policy(struct entry *e, struct sts_policy *p);

/* The DANE slot of (mx, port), or NULL. */
struct entry_dane *entry_dane_find(struct entry *e, bool mx, uint16_t port);
/*
 * The DANE slot of (mx, port), made if there is none (zeroed but for mx
 * and port).  When all ENTRY_DANE_MAX slots are taken, the one whose last
 * check (success or failure) is oldest is given up for it.
 */
struct entry_dane *entry_dane_add(struct entry *e, bool mx, uint16_t port);
/* Replace dst's DANE slots by src's (a job that stores an entry it read
 * earlier keeps what another wrote meanwhile). */
void entry_dane_copy(struct entry *dst, const struct entry *src);

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
 * fetched_at or more than STS_MAX_AGE_MAX after it, a policy that
 * sts_policy_serialize() cannot write, or a DANE slot that does not hold
 * together (port 0, mx or result out of range, usable > hosts, a result
 * without its check time or one kept longer than ENTRY_DANE_LIFE_MAX,
 * dane-only with no usable host, two slots for one next hop).
 */
size_t entry_encode(const struct entry *e, unsigned char *out, size_t outsz);
/*
 * Fills *e (which must be initialised or cleared; a policy it holds is
 * freed) or returns false and leaves *e unchanged.  Refuses a version
 * other than ENTRY_VERSION and ENTRY_VERSION_V1, truncation, invalid DANE
 * slots, trailing bytes, invalid ids, impossible times and
 * a policy blob that sts_policy_deserialize() refuses.
 */
bool entry_decode(const unsigned char *in, size_t len, struct entry *e);

#endif

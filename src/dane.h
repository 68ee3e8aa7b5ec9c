/*
 * dane - the DANE rules for SMTP (RFC 7672) as small pure functions: the
 * state of one MX host's TLSA records, and whether a certificate chain
 * matches them.  The domain owner's check (mtastsd-ctl check) reports both
 * for each MX host; the daemon's DANE verdict (dane-only, DESIGN section
 * 3) is to use dane_tlsa_state() for the same decision, so that there is
 * one copy of the rule.
 *
 * dane_tlsa_state() (RFC 7672 sections 2.2 and 3.1):
 *   DANE_NONE      DANE does not apply: the MX RRset or the host's address
 *                  records are not DNSSEC-validated, or there is no TLSA
 *                  RRset (a validated denial), or it is not validated
 *                  (an insecure zone, or a resolver that does not
 *                  validate: no AD bit)
 *   DANE_USABLE    validated, and at least one record is usable for SMTP
 *                  (dnsmsg_tlsa_usable(): usage 2 or 3, selector 0 or 1,
 *                  matching type 0, 1 or 2 with data of the right length)
 *   DANE_UNUSABLE  validated, records present, none usable: senders use
 *                  TLS but authenticate nothing
 *   DANE_BOGUS     the TLSA lookup failed (a validating resolver answers
 *                  SERVFAIL for a bogus signature; a plain failure looks
 *                  the same): DANE senders defer the mail
 * `why` gets a short reason for reports.
 *
 * dane_match() compares usable records with the chain a server sent
 * (struct dane_cert, leaf first; tlsinfo.c fills it from the handshake,
 * this module never sees a certificate's bytes parsed): usage 3 (DANE-EE)
 * against the leaf; usage 2 (DANE-TA) against any certificate of the
 * chain whose signatures link it down to the leaf, and then only with a
 * leaf that names the host (name_ok, RFC 7672 section 3.2.2; DANE-EE
 * needs no name).  Selector 0 is the whole certificate, 1 its
 * SubjectPublicKeyInfo; matching type 0 compares the DER bytes (kept up
 * to DANE_DER_MAX), 1 SHA2-256, 2 SHA2-512 digests.
 *
 * The daemon's DANE precedence (issue 12, RFC 8461 section 2; DESIGN
 * section 3), in three pure steps that danejob.c and lookup.c carry out:
 *
 * dane_hosts_from_mx() turns an MX answer into the hosts a sender tries:
 * lowest preference first (dnsmsg_mx_sort()), duplicates dropped, at most
 * DANE_HOSTS_MAX (the rest are counted as skipped: they never make the
 * answer dane-only, so the limit can only leave the MTA-STS verdict in
 * place); a null MX (RFC 7505) gives none; no MX records at all (a
 * validated NODATA) give the domain itself (RFC 5321 section 5.1).
 *
 * dane_decide() turns what the lookups of one next hop found (struct
 * dane_facts) into an outcome:
 *   DANE_OUT_NONE    DANE does not apply: the MX RRset is not
 *                    authenticated (or the domain does not exist, or has
 *                    a null MX), or no host has a usable TLSA RRset --
 *                    insecure addresses, no TLSA, unusable TLSA -- and
 *                    no lookup failed: the MTA-STS verdict stands
 *   DANE_OUT_ONLY    at least one host has a usable TLSA RRset, as
 *                    dane_tlsa_state() decides (the same function the
 *                    owner's check uses): answer "dane-only" -- Postfix
 *                    then uses DANE on the hosts that have it and skips
 *                    those that do not (never "dane", which lets Postfix
 *                    fall back to opportunistic TLS on the others)
 *   DANE_OUT_FAILED  no host is usable and a lookup failed (SERVFAIL,
 *                    which is what a validating resolver answers for a
 *                    bogus signature; a timeout): the MTA-STS verdict,
 *                    never anything weaker, and a retry after DANE_RETRY
 * with the time it holds: the smallest TTL of the answers that decided
 * (MX; each host's A/AAAA, and its TLSA where the addresses are secure),
 * within [DANE_TTL_MIN, DANE_TTL_MAX].  Each host's TLSA answer comes as
 * dane_tlsa_state(true, true, ...) of it (the records live only during
 * the DNS callback); dane_decide() applies the MX and address gates that
 * dane_tlsa_state() would apply first, so the outcome is that function's.
 *
 * dane_slot_use() says, for the cached state of one next hop
 * (entry_dane, NULL for none) at `now`, what a query answers -- dane-only
 * while a dane-only result holds, the MTA-STS verdict otherwise -- and
 * what it starts: nothing; a check in the background (the last quarter of
 * the result's life, a failed check's retry time, a clock that stepped
 * back); or a check the query waits for within its query_timeout (no
 * result, or an expired one, and no failure to wait out).
 * dane_slot_record() writes a check's outcome into the slot: a success
 * replaces the result and its times; a failure only counts (fail_at,
 * fail_count) and leaves a result that still holds in place until it
 * expires.  dane_slot_next_check() is when a query would start the next
 * check (0: the next query).
 *
 * Pure: no I/O, no allocation, no crypto (digests come precomputed).
 */
#ifndef MTASTSD_DANE_H
#define MTASTSD_DANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "dnsmsg.h"
#include "entry.h"

#define DANE_DER_MAX   4096 /* bytes of a certificate or key kept for matching type 0 */
#define DANE_CHAIN_MAX 4    /* certificates of a chain compared */

enum dane_state {
    DANE_NONE = 0,
    DANE_USABLE,
    DANE_UNUSABLE,
    DANE_BOGUS,
};

enum dane_selector {
    DANE_SEL_CERT = 0, /* the whole certificate */
    DANE_SEL_SPKI = 1, /* its SubjectPublicKeyInfo */
};

/* One certificate of a chain, as far as DANE needs it. */
struct dane_cert {
    size_t der_len[2];            /* [selector]; may exceed DANE_DER_MAX */
    uint8_t der[2][DANE_DER_MAX]; /* the first der_len (at most DANE_DER_MAX) bytes */
    uint8_t sha256[2][32];        /* [selector] */
    uint8_t sha512[2][64];        /* [selector] */
    bool signed_by_next;          /* issued and signed by the next certificate */
};

enum dane_match {
    DANE_MATCH_NONE = 0, /* no usable record matches: DANE senders refuse the host */
    DANE_MATCH_EE,       /* a usage 3 record matches the leaf */
    DANE_MATCH_TA,       /* a usage 2 record matches the chain, and the leaf names the host */
    DANE_MATCH_TA_NAME,  /* a usage 2 record matches the chain, but the leaf does not name the
                            host: refused */
};

enum dane_state dane_tlsa_state(bool mx_secure, bool addr_secure, enum dns_status st, bool ad,
                                const struct dnsmsg_rr *rrs, size_t n, const char **why);

/* Does one usable record match one certificate (selector and matching
 * type only; the usage is the caller's)? */
bool dane_rr_matches(const struct dnsmsg_rr *rr, const struct dane_cert *c);

/* rrs: the TLSA records (unusable ones are skipped); chain: nchain
 * certificates, leaf first.  *which_rr gets the index of the record that
 * decided (with DANE_MATCH_NONE: unchanged). */
enum dane_match dane_match(const struct dnsmsg_rr *rrs, size_t n, const struct dane_cert *chain,
                           size_t nchain, bool name_ok, size_t *which_rr);

const char *dane_state_name(enum dane_state s); /* "none", "usable", "unusable", "bogus" */

/* ---- the daemon's DANE precedence ---------------------------------------- */

#define DANE_HOSTS_MAX 8    /* hosts looked at per next hop, lowest preference first */
#define DANE_TTL_MIN   60   /* seconds a check's result holds at least ... */
#define DANE_TTL_MAX   3600 /* ... and at most, whatever the TTLs say */
#define DANE_RETRY     60   /* seconds after a failed check before the next */

/* What the lookups of one host found. */
struct dane_host {
    char name[DNSMSG_NAME_TEXT];
    enum dns_status addr_st; /* A and AAAA (dns_addr_sec()) */
    bool addr_ad;
    uint32_t addr_ttl;
    enum dns_status tlsa_st;
    uint32_t tlsa_ttl;
    enum dane_state tlsa; /* dane_tlsa_state(true, true, ...) of the TLSA answer */
};

/* What the lookups of one next hop found. */
struct dane_facts {
    bool mx; /* the domain's MX hosts; false: the host itself (a smart host) */
    enum dns_status mx_st;
    bool mx_ad, mx_nxdomain;
    uint32_t mx_ttl;
    size_t n; /* hosts looked up */
    struct dane_host host[DANE_HOSTS_MAX];
};

enum dane_outcome {
    DANE_OUT_NONE = 0,
    DANE_OUT_ONLY,
    DANE_OUT_FAILED,
};

struct dane_decision {
    enum dane_outcome out;
    uint32_t ttl;       /* within [DANE_TTL_MIN, DANE_TTL_MAX] */
    size_t hosts;       /* hosts looked at */
    size_t usable;      /* of them, with a usable TLSA RRset */
    const char *why;    /* a short reason for the log */
    const char *failed; /* DANE_OUT_FAILED: the name whose lookup failed */
};

/*
 * The hosts to look up for an MX answer r of domain (see above) into
 * hosts[0..DANE_HOSTS_MAX): returns how many; *skipped gets the count
 * left out over the limit.  r->st must be DNS_OK or DNS_NODATA.
 */
size_t dane_hosts_from_mx(const struct dns_sec_result *r, const char *domain,
                          char hosts[DANE_HOSTS_MAX][DNSMSG_NAME_TEXT], size_t *skipped);

void dane_decide(const struct dane_facts *f, struct dane_decision *d);

enum dane_use {
    DANE_USE_STS = 0, /* answer the MTA-STS verdict */
    DANE_USE_ONLY,    /* answer "dane-only" */
};

enum dane_next {
    DANE_NEXT_NONE = 0,   /* nothing to start */
    DANE_NEXT_BACKGROUND, /* start a check; the query does not wait */
    DANE_NEXT_WAIT,       /* start a check and wait for it (query_timeout) */
};

enum dane_use dane_slot_use(const struct entry_dane *s, int64_t now, enum dane_next *next);
void dane_slot_record(struct entry_dane *s, const struct dane_decision *d, int64_t now);
int64_t dane_slot_next_check(const struct entry_dane *s);

const char *dane_outcome_name(enum dane_outcome o); /* "none", "dane-only", "failed" */
const char *
dane_result_name(unsigned result); /* entry_dane_result: "unknown", "none", "dane-only" */

#endif

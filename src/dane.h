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
 * Pure: no I/O, no allocation, no crypto (digests come precomputed).
 */
#ifndef MTASTSD_DANE_H
#define MTASTSD_DANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "dnsmsg.h"

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

#endif

/*
 * dane - DANE for SMTP (RFC 7672): TLSA state and certificate matching
 * (see dane.h).
 *
 * Public functions: dane_tlsa_state(), dane_rr_matches(), dane_match(),
 * dane_state_name().
 *
 * Which records are usable is dnsmsg_tlsa_usable() (one rule, kept next
 * to the TLSA parser).  Matching compares bytes only: the digests of a
 * certificate and of its key are computed where the certificate is read
 * (tlsinfo.c).  Comparisons of secret-free public data need no constant
 * time.
 *
 * Ownership: nothing kept.  Limits: DANE_DER_MAX bytes of DER per
 * selector for matching type 0 (a longer certificate or key matches only
 * by digest); DANE_CHAIN_MAX certificates.  Diagnostics: `why` strings.
 */
#include "autoconfig.h"

#include <string.h>

#include "dane.h"

enum dane_state dane_tlsa_state(bool mx_secure, bool addr_secure, enum dns_status st, bool ad,
                                const struct dnsmsg_rr *rrs, size_t n, const char **why)
{
    const char *dummy;
    size_t usable = 0;

    if (why == NULL)
        why = &dummy;
    if (!mx_secure) {
        *why = "the MX records are not DNSSEC-validated, so DANE does not apply";
        return DANE_NONE;
    }
    if (!addr_secure) {
        *why = "the host's address records are not DNSSEC-validated, so DANE does not apply";
        return DANE_NONE;
    }
    if (st == DNS_TEMPFAIL) {
        *why = "the TLSA lookup failed (a bogus signature, or no answer): DANE senders defer "
               "mail to this host";
        return DANE_BOGUS;
    }
    if (st != DNS_OK || n == 0 || rrs == NULL) {
        *why = "no TLSA records";
        return DANE_NONE;
    }
    if (!ad) {
        *why = "TLSA records that are not DNSSEC-validated: senders ignore them";
        return DANE_NONE;
    }
    for (size_t i = 0; i < n; i++)
        if (dnsmsg_tlsa_usable(&rrs[i]))
            usable++;
    if (usable == 0) {
        *why = "no TLSA record is usable for SMTP (RFC 7672 allows usage 2 or 3, selector 0 or 1, "
               "matching type 0, 1 or 2)";
        return DANE_UNUSABLE;
    }
    *why = "usable TLSA records: DANE senders authenticate the host with them";
    return DANE_USABLE;
}

bool dane_rr_matches(const struct dnsmsg_rr *rr, const struct dane_cert *c)
{
    unsigned sel;

    if (!dnsmsg_tlsa_usable(rr))
        return false;
    sel = rr->u.tlsa.selector;
    switch (rr->u.tlsa.mtype) {
    case 0:
        return c->der_len[sel] <= DANE_DER_MAX && rr->u.tlsa.len == c->der_len[sel] &&
               memcmp(rr->u.tlsa.data, c->der[sel], c->der_len[sel]) == 0;
    case 1:
        return memcmp(rr->u.tlsa.data, c->sha256[sel], 32) == 0;
    case 2:
        return memcmp(rr->u.tlsa.data, c->sha512[sel], 64) == 0;
    default:
        return false;
    }
}

enum dane_match dane_match(const struct dnsmsg_rr *rrs, size_t n, const struct dane_cert *chain,
                           size_t nchain, bool name_ok, size_t *which_rr)
{
    enum dane_match best = DANE_MATCH_NONE;
    size_t best_rr = 0;

    if (nchain > DANE_CHAIN_MAX)
        nchain = DANE_CHAIN_MAX;
    for (size_t i = 0; i < n && nchain > 0; i++) {
        const struct dnsmsg_rr *rr = &rrs[i];
        if (!dnsmsg_tlsa_usable(rr))
            continue;
        if (rr->u.tlsa.usage == 3) {
            if (dane_rr_matches(rr, &chain[0])) {
                *which_rr = i;
                return DANE_MATCH_EE; /* nothing beats it */
            }
            continue;
        }
        /* usage 2: a certificate of the chain, linked to the leaf */
        for (size_t k = 0; k < nchain; k++) {
            if (k > 0 && !chain[k - 1].signed_by_next)
                break;
            if (!dane_rr_matches(rr, &chain[k]))
                continue;
            if (name_ok && best != DANE_MATCH_TA) {
                best = DANE_MATCH_TA;
                best_rr = i;
            } else if (best == DANE_MATCH_NONE) {
                best = DANE_MATCH_TA_NAME;
                best_rr = i;
            }
            break;
        }
    }
    if (best != DANE_MATCH_NONE)
        *which_rr = best_rr;
    return best;
}

const char *dane_state_name(enum dane_state s)
{
    switch (s) {
    case DANE_NONE:
        return "none";
    case DANE_USABLE:
        return "usable";
    case DANE_UNUSABLE:
        return "unusable";
    case DANE_BOGUS:
        return "bogus";
    }
    return "unknown";
}

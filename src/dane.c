/*
 * dane - DANE for SMTP (RFC 7672): TLSA state and certificate matching
 * (see dane.h).
 *
 * Public functions: dane_tlsa_state(), dane_rr_matches(), dane_match(),
 * dane_state_name(); for the daemon's DANE precedence dane_hosts_from_mx(),
 * dane_decide(), dane_slot_use(), dane_slot_record(),
 * dane_slot_next_check(), dane_outcome_name(), dane_result_name().
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
#include "dnsmsg.h"

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

/* ---- the daemon's DANE precedence (see dane.h) ---------------------------- */

size_t dane_hosts_from_mx(const struct dns_sec_result *r, const char *domain,
                          char hosts[DANE_HOSTS_MAX][DNSMSG_NAME_TEXT], size_t *skipped)
{
    struct dnsmsg_rr mx[DNSMSG_MAX_RRS];
    size_t n = 0, out = 0;

    *skipped = 0;
    for (size_t i = 0; r->st == DNS_OK && i < r->n && n < DNSMSG_MAX_RRS; i++)
        if (r->rrs[i].type == DNSMSG_T_MX)
            mx[n++] = r->rrs[i];
    if (n == 0) {
        /* No MX RRset: the domain itself is the host (RFC 5321 5.1). */
        if (strlen(domain) >= DNSMSG_NAME_TEXT)
            return 0;
        strcpy(hosts[0], domain);
        return 1;
    }
    dnsmsg_mx_sort(mx, n);
    for (size_t i = 0; i < n; i++) {
        const char *x = mx[i].u.mx.exchange;
        bool dup = false;
        if (strcmp(x, ".") == 0 || x[0] == '\0')
            continue; /* a null MX (RFC 7505): no host */
        for (size_t k = 0; k < out && !dup; k++)
            dup = strcmp(hosts[k], x) == 0;
        if (dup)
            continue;
        if (out == DANE_HOSTS_MAX) {
            (*skipped)++;
            continue;
        }
        strcpy(hosts[out++], x); /* both are DNSMSG_NAME_TEXT */
    }
    return out;
}

static void dane_ttl_min(uint32_t *ttl, uint32_t t)
{
    if (t < *ttl)
        *ttl = t;
}

void dane_decide(const struct dane_facts *f, struct dane_decision *d)
{
    uint32_t ttl = UINT32_MAX;
    const char *failed = NULL;

    memset(d, 0, sizeof(*d));
    d->out = DANE_OUT_NONE;
    d->hosts = f->n < DANE_HOSTS_MAX ? f->n : DANE_HOSTS_MAX;
    if (f->mx) {
        if (f->mx_st == DNS_TEMPFAIL) {
            d->out = DANE_OUT_FAILED;
            d->failed = "MX";
            d->why = "the MX lookup failed";
            d->ttl = DANE_TTL_MIN;
            return;
        }
        ttl = f->mx_ttl;
        if (!f->mx_ad)
            d->why = "the MX records are not DNSSEC-validated";
        else if (f->mx_st == DNS_NODATA && f->mx_nxdomain)
            d->why = "the domain does not exist (a validated denial)";
        else if (f->n == 0)
            d->why = "a null MX: the domain accepts no mail";
        if (d->why != NULL)
            goto done;
    }
    for (size_t i = 0; i < f->n && i < DANE_HOSTS_MAX; i++) {
        const struct dane_host *h = &f->host[i];
        if (h->addr_st == DNS_TEMPFAIL) {
            if (failed == NULL)
                failed = h->name;
            continue;
        }
        dane_ttl_min(&ttl, h->addr_ttl);
        if (h->addr_st != DNS_OK || !h->addr_ad)
            continue; /* no address, or an insecure one: no DANE for the host */
        /* dane_tlsa_state() with the MX and address gates passed: */
        if (h->tlsa == DANE_BOGUS || h->tlsa_st == DNS_TEMPFAIL) {
            if (failed == NULL)
                failed = h->name;
            continue;
        }
        dane_ttl_min(&ttl, h->tlsa_ttl);
        if (h->tlsa == DANE_USABLE)
            d->usable++;
    }
    if (d->usable > 0) {
        d->out = DANE_OUT_ONLY;
        d->why = d->usable == d->hosts ? "every host has usable TLSA records"
                                       : "some hosts have usable TLSA records";
    } else if (failed != NULL) {
        d->out = DANE_OUT_FAILED;
        d->failed = failed;
        d->why = "a lookup failed and no host has usable TLSA records";
        d->ttl = DANE_TTL_MIN;
        return;
    } else {
        d->why = f->mx ? "no MX host has usable, DNSSEC-validated TLSA records"
                       : "the host has no usable, DNSSEC-validated TLSA records";
    }
done:
    if (ttl < DANE_TTL_MIN)
        ttl = DANE_TTL_MIN;
    if (ttl > DANE_TTL_MAX)
        ttl = DANE_TTL_MAX;
    d->ttl = ttl;
}

/* The last check failed (a result may still hold). */
static bool dane_slot_failing(const struct entry_dane *s)
{
    return s->fail_count > 0;
}

static int64_t dane_slot_recheck_at(const struct entry_dane *s)
{
    return s->expires_at - (s->expires_at - s->checked_at) / 4;
}

int64_t dane_slot_next_check(const struct entry_dane *s)
{
    if (s == NULL)
        return 0;
    if (dane_slot_failing(s))
        return s->fail_at + DANE_RETRY;
    if (s->result != ENTRY_DANE_UNKNOWN)
        return dane_slot_recheck_at(s);
    return 0;
}

enum dane_use dane_slot_use(const struct entry_dane *s, int64_t now, enum dane_next *next)
{
    if (s == NULL) {
        *next = DANE_NEXT_WAIT;
        return DANE_USE_STS;
    }
    bool holds = s->result != ENTRY_DANE_UNKNOWN && now < s->expires_at;
    enum dane_use use = holds && s->result == ENTRY_DANE_ONLY ? DANE_USE_ONLY : DANE_USE_STS;
    if (dane_slot_failing(s))
        /* A time in the future (the clock stepped back) never holds a
         * check back. */
        *next = now >= s->fail_at + DANE_RETRY || s->fail_at > now ? DANE_NEXT_BACKGROUND
                                                                   : DANE_NEXT_NONE;
    else if (!holds)
        *next = DANE_NEXT_WAIT;
    else if (now >= dane_slot_recheck_at(s) || s->checked_at > now)
        *next = DANE_NEXT_BACKGROUND;
    else
        *next = DANE_NEXT_NONE;
    return use;
}

void dane_slot_record(struct entry_dane *s, const struct dane_decision *d, int64_t now)
{
    if (d->out == DANE_OUT_FAILED) {
        s->fail_at = now;
        if (s->fail_count < UINT16_MAX)
            s->fail_count++;
        return;
    }
    s->result = d->out == DANE_OUT_ONLY ? ENTRY_DANE_ONLY : ENTRY_DANE_NONE;
    s->hosts = (uint8_t)(d->hosts < 255 ? d->hosts : 255);
    s->usable =
        d->out == DANE_OUT_ONLY ? (uint8_t)(d->usable < s->hosts ? d->usable : s->hosts) : 0;
    s->checked_at = now;
    s->expires_at = now + (int64_t)d->ttl;
    s->fail_count = 0;
}

const char *dane_outcome_name(enum dane_outcome o)
{
    switch (o) {
    case DANE_OUT_NONE:
        return "none";
    case DANE_OUT_ONLY:
        return "dane-only";
    case DANE_OUT_FAILED:
        return "failed";
    }
    return "unknown";
}

const char *dane_result_name(unsigned result)
{
    switch (result) {
    case ENTRY_DANE_UNKNOWN:
        return "unknown";
    case ENTRY_DANE_NONE:
        return "none";
    case ENTRY_DANE_ONLY:
        return "dane-only";
    }
    return "invalid";
}

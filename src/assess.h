/*
 * assess - the domain owner's check, part 2: what the collected facts
 * about a domain mean (mtastsd-ctl check; domcheck.c collects them).
 *
 * assess() turns a struct assess_facts (DNS answers, the policy fetch as
 * https_inspect() saw it, MX and TLSRPT records) into report items, in a
 * fixed order: txt, txt.id, host.address, host.* (connect, tls,
 * certificate, http, media_type, size, time), policy.* (syntax, version,
 * keys, mode, max_age, mx), mx, mx.covered (one per MX host), then the
 * probe's mx.host and mx.dane (per host) and mx.untested, tlsrpt.
 * Every rule of RFC 8461 is applied by the module that owns it
 * (sts_txt, sts_policy, domain, https's result classes) and tlsrpt for
 * RFC 8460; this module only decides severity and words, and adds the
 * owner-side advice:
 *   - the id: a UTC timestamp (YYYYMMDDhhmmssZ) is suggested;
 *   - the certificate: a warning under ASSESS_CERT_WARN_DAYS days left;
 *   - the time: a warning above ASSESS_SLOW_MS (what senders commonly
 *     wait), an error when no answer came within the check's limit
 *     (DOMCHECK_FETCH_LIMIT_MS, the RFC's "about a minute");
 *   - max_age: a warning under ASSESS_MAX_AGE_LOW (a day; the RFC
 *     suggests weeks); above 31557600 the policy is invalid;
 *   - mode testing: a warning naming the next step; mode none: a warning
 *     saying what it means;
 *   - an MX host no pattern covers: an error under enforce, a warning
 *     under testing; no MX at all: the domain's own name is the host
 *     (implicit MX, RFC 5321 section 5.1), with a warning;
 *   - TLSRPT missing or invalid: a warning with the record to publish.
 *
 * The MX probe (STARTTLS to each MX host): domcheck adds each host's
 * facts (struct assess_mxhost) and assess_probe() reports them after
 * mx.covered, the mode deciding error or warning as for coverage: one
 * mx.host item per host tested, one mx.untested warning for all hosts
 * that could not be tested from here, one mx.dane item per host with
 * TLSA records (see assess_probe.h).
 *
 * Pure: no I/O; `now` comes in the facts.  Ownership: the facts are the
 * caller's; items go into the caller's report.
 */
#ifndef MTASTSD_ASSESS_H
#define MTASTSD_ASSESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "dnsmsg.h"
#include "https.h"
#include "mxprobe.h"
#include "report.h"

#define ASSESS_CERT_WARN_DAYS 14
#define ASSESS_SLOW_MS        10000 /* senders commonly wait about 10 s */
#define ASSESS_MAX_AGE_LOW    86400 /* under a day: warning */

/* One TXT lookup as it ended. */
struct assess_txt {
    bool done; /* false: no answer before the check's deadline */
    enum dns_status st;
    const char *detail;
    const struct sts_txt_rr *rrs;
    size_t n;
    bool oversize;
    const char *cname; /* the CNAME target the answer came from; NULL: none */
};

struct assess_facts {
    const char *domain; /* the policy domain, normalised */
    int64_t now;        /* seconds since the epoch, UTC */
    long fetch_limit_ms;

    struct assess_txt sts; /* TXT _mta-sts.<domain> */

    struct { /* A/AAAA mta-sts.<domain> */
        bool done;
        enum dns_status st;
        const char *detail;
        const char *const *addrs;
        size_t n;
    } addr;

    const struct https_result *fetch;     /* NULL: not fetched (no address, deadline) */
    const struct https_result *handshake; /* NULL: no second look */

    struct { /* MX <domain>: dns_mx_sec()'s records, in dnsmsg_mx_sort() order */
        bool done;
        enum dns_status st;
        const char *detail;
        const struct dnsmsg_rr *rrs;
        size_t n;
        bool oversize;
    } mx;

    struct assess_txt tlsrpt; /* TXT _smtp._tls.<domain> */

    struct {            /* the MX probe (assess_probe.c) */
        bool enabled;   /* false: not asked for (no items at all) */
        bool mx_secure; /* the MX answer was DNSSEC-validated (AD) */
        size_t n;       /* hosts, in the order senders try them */
        const struct assess_mxhost *hosts;
        size_t skipped; /* MX hosts beyond the probe's limit, not probed */
    } probe;
};

/* One TLSA lookup (dns_tlsa()) as it ended. */
struct assess_tlsa {
    bool done; /* false: no answer before the check's deadline */
    enum dns_status st;
    bool ad;
    const struct dnsmsg_rr *rrs;
    size_t n;
};

/* One MX host as the probe saw it. */
struct assess_mxhost {
    const char *host; /* normalised */
    unsigned preference;
    bool implicit; /* the domain itself: it has no MX record */
    struct {       /* A/AAAA of the host (dns_addr_sec()); one of them failed
                      (dns_sec_result.partial): st DNS_TEMPFAIL, ad false */
        bool done;
        enum dns_status st;
        bool ad;
        const char *detail;
        size_t n;
    } addr;
    const struct mxprobe_result *probe; /* NULL: not probed (no address, deadline) */
    struct assess_tlsa tlsa;            /* TLSA _25._tcp.<host> */
    /* The host's validated addresses came through a CNAME chain to
     * `target` (NULL: they did not): TLSA _25._tcp.<target>, which
     * decides where dane_target_decides() says so. */
    const char *target;
    struct assess_tlsa target_tlsa;
};

void assess(const struct assess_facts *f, struct report *r);

/* "2026-12-03" for t (UTC); "unknown" for t <= 0. */
void assess_date(int64_t t, char *buf, size_t bufsz);

/* Does id look like a UTC timestamp (YYYYMMDD[hh[mm[ss]]][Z])? */
bool assess_id_is_timestamp(const char *id);

#endif

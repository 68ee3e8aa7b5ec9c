/*
 * domcheck - the domain owner's check, part 1: ask what senders ask
 * (mtastsd-ctl check DOMAIN; assess.c says what the answers mean).
 *
 * domcheck_start() runs, on the caller's event loop and through the
 * caller's dns and https adapters (the daemon's own code, with its RFC
 * 8461 rules), every lookup a sender makes for DOMAIN, in parallel where
 * they do not depend on each other:
 *
 *   TXT _mta-sts.D, A/AAAA mta-sts.D, MX D, TXT _smtp._tls.D   at once
 *   -> https_inspect(FETCH) of the policy once the address is known
 *   -> per MX host: A/AAAA and TLSA, then the SMTP probe (probe_mx)
 *   -> https_inspect(HANDSHAKE) when the certificate or TLS failed, to
 *      show the names and expiry senders refuse
 *   -> assess() -> the callback gets the report
 *
 * The _mta-sts records come from dns_txt(), the daemon's own lookup, so
 * that the check sees exactly what the daemon sees (every record, long
 * ones cut, sts_txt_select() deciding); the same question is also asked
 * with dns_query_sec(), whose parser reports the end of the CNAME chain,
 * only so that the report can name the CNAME it followed.  The MX lookup
 * is dns_mx_sec(), its records sorted as senders try them
 * (dnsmsg_mx_sort()).
 *
 * It fetches the policy even when the TXT record is missing or wrong, so
 * an owner sees every problem in one run.  A deadline
 * (DOMCHECK_DEADLINE_MS) bounds the whole run; what has not answered by
 * then is reported as such.  The caller creates the https adapter with
 * DOMCHECK_FETCH_LIMIT_MS (the RFC's "about a minute") as its connect
 * and total timeouts: a slower policy host is an error.
 *
 * The MX probe (probe_mx): as soon as the MX answer is in, each MX host
 * (the domain itself when there is no MX record; none for a null MX; at
 * most DOMCHECK_PROBE_MAX, in the order senders try them, invalid names
 * left to mx.covered) gets, all at once: dns_addr_sec() (A and AAAA,
 * with the AD bit DANE needs), dns_tlsa() for _25._tcp.<host>, and once
 * the addresses are known mxprobe_start() (greeting, EHLO, STARTTLS, TLS
 * with ca_file).  As in the daemon's DANE check (danejob.h): validated
 * addresses that came through a CNAME chain also get dns_tlsa() at the
 * chain's target (dane_target_decides() picks the answer); a host whose A
 * or AAAA lookup failed (dns_sec_result.partial) counts as a failed
 * address lookup and is not probed.  The probe does not wait for the policy; assess() takes
 * the mode into account at the end.  mxprobe bounds each host's time, the
 * check's deadline bounds the whole.
 *
 * Callbacks: the done callback runs from the loop, never inside
 * domcheck_start(); it owns the report (report_free()).  domcheck_free()
 * may be called from the callback, or at any time before it (the run is
 * cancelled and no callback comes).
 * Diagnostics: log_debug() of each state change; nothing else is logged
 * (the report says it all).
 */
#ifndef MTASTSD_DOMCHECK_H
#define MTASTSD_DOMCHECK_H

#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct dns;
struct https;
struct report;
struct domcheck;

#define DOMCHECK_FETCH_LIMIT_MS 60000  /* a policy fetch slower than this is an error */
#define DOMCHECK_DEADLINE_MS    150000 /* the whole run */
#define DOMCHECK_PROBE_MAX      10     /* MX hosts probed; the rest are said to be skipped */

typedef void (*domcheck_done_cb)(void *arg, struct report *r);

struct domcheck_params {
    struct event_base *base;
    struct dns *dns;
    struct https *https; /* created with DOMCHECK_FETCH_LIMIT_MS as its timeouts */
    int64_t now;         /* seconds since the epoch, for expiry and advice */
    bool probe_mx;       /* probe each MX host over SMTP (mxprobe) */
    const char *ca_file; /* for the MX certificates; NULL or "": the system store */
};

/* domain must be a normalised policy domain (domain_normalize_key()). */
struct domcheck *domcheck_start(const struct domcheck_params *p, const char *domain,
                                domcheck_done_cb cb, void *arg);
void domcheck_free(struct domcheck *c);

#endif

/*
 * suggest - starter policy and records for a domain (see suggest.h).
 *
 * Public functions: suggest_write().
 *
 * MX hosts go through domain_normalize_key() (lowercase A-labels, no
 * trailing dot) and are listed in preference order without duplicates;
 * a host that is not a valid host name is left out and named in a
 * comment.  The policy lines are the ones sts_policy_parse() reads (the
 * unit test parses them back), the TXT record the one sts_txt_parse()
 * reads, the TLSRPT record the one tlsrpt_parse() reads.
 *
 * Ownership: nothing allocated outlives the call.
 * Limits: DNSMSG_MAX_RRS MX hosts (dnsmsg bounds the answer).
 * Diagnostics: err on refusal; comments in the output otherwise.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "domain.h"
#include "log.h"
#include "suggest.h"

#define SUGGEST_BEGIN "# ----- begin mta-sts.txt -----"
#define SUGGEST_END   "# ----- end mta-sts.txt -----"

bool suggest_write(FILE *out, const char *domain, enum dns_status st, const struct dnsmsg_rr *rrs,
                   size_t n, const char *detail, int64_t now, char *err, size_t errsz)
{
    struct dnsmsg_rr mx[DNSMSG_MAX_RRS];
    char hosts[DNSMSG_MAX_RRS + 1][DOMAIN_BUFSZ];
    char skipped[DNSMSG_MAX_RRS][64];
    size_t nh = 0, ns = 0, nmx = 0;
    bool implicit = false;
    char stamp[32], when[64];
    time_t tt = (time_t)now;
    struct tm tm;

    if (st == DNS_TEMPFAIL) {
        snprintf(err, errsz, "the MX lookup of %s failed (%s); try again", domain,
                 detail != NULL ? detail : "temporary failure");
        return false;
    }
    if (st == DNS_OK && rrs != NULL) {
        nmx = n < DNSMSG_MAX_RRS ? n : DNSMSG_MAX_RRS;
        memcpy(mx, rrs, nmx * sizeof(mx[0]));
        dnsmsg_mx_sort(mx, nmx);
    }
    if (nmx == 1 && strcmp(mx[0].u.mx.exchange, ".") == 0) {
        snprintf(err, errsz,
                 "%s publishes a null MX (RFC 7505): it receives no mail, so MTA-STS has "
                 "nothing to protect",
                 domain);
        return false;
    }
    if (nmx == 0) {
        implicit = true;
        snprintf(hosts[nh++], sizeof(hosts[0]), "%s", domain);
    }
    for (size_t i = 0; i < nmx; i++) {
        const char *host = mx[i].u.mx.exchange;
        char norm[DOMAIN_BUFSZ];
        bool dup = false;
        if (domain_normalize_key(host, strlen(host), norm) != DOMAIN_KEY_OK) {
            log_sanitize(host, strlen(host), skipped[ns++], sizeof(skipped[0]));
            continue;
        }
        for (size_t k = 0; k < nh; k++)
            dup = dup || strcmp(hosts[k], norm) == 0;
        if (!dup)
            memcpy(hosts[nh++], norm, sizeof(norm));
    }
    if (nh == 0) {
        snprintf(err, errsz, "no MX host of %s is a valid host name", domain);
        return false;
    }
    if (gmtime_r(&tt, &tm) == NULL) {
        snprintf(err, errsz, "the clock is unusable");
        return false;
    }
    strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%SZ", &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);

    fprintf(out, "# MTA-STS starter files for %s (mtastsd-ctl suggest, %s).\n", domain, when);
    fprintf(out, "# Nothing has been published.\n\n");
    fprintf(out,
            "# 1. The policy.  Serve the lines between the markers, exactly and without\n"
            "#    comments (a policy has none), as text/plain with status 200 at\n"
            "#    https://mta-sts.%s/.well-known/mta-sts.txt\n"
            "#    over TLS 1.2 or later, with a certificate for mta-sts.%s.\n",
            domain, domain);
    if (implicit)
        fprintf(out, "#    %s has no MX record, so mail goes to %s itself (implicit MX).\n", domain,
                domain);
    for (size_t i = 0; i < ns; i++)
        fprintf(out, "#    MX host '%s' is not a valid host name and was left out.\n", skipped[i]);
    fprintf(out, "%s\n", SUGGEST_BEGIN);
    fprintf(out, "version: STSv1\nmode: testing\n");
    for (size_t i = 0; i < nh; i++)
        fprintf(out, "mx: %s\n", hosts[i]);
    fprintf(out, "max_age: %d\n", SUGGEST_MAX_AGE);
    fprintf(out, "%s\n\n", SUGGEST_END);

    fprintf(out,
            "# 2. DNS records (zone file syntax).  mta-sts.%s also needs an A/AAAA\n"
            "#    (or CNAME) record for the web server.\n",
            domain);
    fprintf(out, "_mta-sts.%s. IN TXT \"v=STSv1; id=%s\"\n", domain, stamp);
    fprintf(out, "_smtp._tls.%s. IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@%s\"\n", domain, domain);
    fprintf(out,
            "#    Replace tlsrpt@%s with an address that reads the daily TLSRPT reports\n"
            "#    (or use https://... of a report service).\n\n",
            domain);

    fprintf(out,
            "# 3. Next steps.\n"
            "#    a. Publish the policy and the records above.\n"
            "#    b. Run \"mtastsd-ctl check %s\" and fix every error; in mode testing\n"
            "#       the one warning left is the mode itself.\n"
            "#    c. Read the TLSRPT reports for a few weeks: every MX host must show\n"
            "#       successful TLS sessions and no failures.\n"
            "#    d. Then change the policy to \"mode: enforce\", publish a new id (a new\n"
            "#       timestamp) in _mta-sts.%s, and run the check again.\n"
            "#    e. Whenever the policy changes (a new MX host, say), change the file\n"
            "#       first, then publish a new id.\n",
            domain, domain);
    return true;
}

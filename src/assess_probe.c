/*
 * assess_probe - the MX probe's facts as report items (see
 * assess_probe.h).
 *
 * Public functions: assess_probe().
 *
 * For each host: a list of findings (severity, text, fix), worst first in
 * the item's message, all in its "findings" detail.  The severity of a
 * failure that makes senders refuse the host comes from the mode: error
 * under enforce, warning under testing, none or without a policy.  Hosts
 * that could not be tested are gathered and said once, in mx.untested.
 *
 * Ownership: nothing kept.  Limits: ASSESS_PROBE_FINDINGS findings per
 * host; the untested list is cut (with "...") by report.c's text limit.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "assess_probe.h"
#include "dane.h"
#include "domain.h"

#define ASSESS_PROBE_FINDINGS 8
#define ASSESS_PROBE_TEXT     512
#define ASSESS_PROBE_DAY      86400
#define ASSESS_PROBE_REFUSE   (-1) /* assess_probe_find(): the mode decides */

struct assess_probe_finding {
    enum report_severity sev;
    bool refuses; /* senders refuse the host for it (under enforce) */
    char text[ASSESS_PROBE_TEXT];
    char fix[ASSESS_PROBE_TEXT];
};

struct assess_probe_host {
    size_t n;
    struct assess_probe_finding f[ASSESS_PROBE_FINDINGS];
};

/* A finding; sev < 0: one that makes senders refuse the host, at the
 * mode's severity `fail`. */
static void assess_probe_find(struct assess_probe_host *h, int sev, enum report_severity fail,
                              const char *fix, const char *fmt, ...) LOG_PRINTF(5, 6);
static void assess_probe_find(struct assess_probe_host *h, int sev, enum report_severity fail,
                              const char *fix, const char *fmt, ...)
{
    struct assess_probe_finding *x;
    va_list ap;

    if (h->n == ASSESS_PROBE_FINDINGS)
        return;
    x = &h->f[h->n++];
    x->refuses = sev < 0;
    x->sev = sev < 0 ? fail : (enum report_severity)sev;
    va_start(ap, fmt);
    vsnprintf(x->text, sizeof(x->text), fmt, ap);
    va_end(ap);
    snprintf(x->fix, sizeof(x->fix), "%s", fix != NULL ? fix : "");
}

/* "a, b, c" of the certificate's DNS names. */
static void assess_probe_names(const struct tlsinfo *t, char *buf, size_t bufsz)
{
    size_t off = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < t->n_names && off < bufsz; i++) {
        int n = snprintf(buf + off, bufsz - off, "%s%s", i > 0 ? ", " : "", t->names[i]);
        if (n < 0)
            break;
        off += (size_t)n;
    }
    if (t->n_names == 0)
        snprintf(buf, bufsz, "none (subject %s)", t->subject);
}

static bool assess_probe_name_ok(const struct tlsinfo *t, const char *host)
{
    for (size_t i = 0; i < t->n_names; i++)
        if (domain_cert_name_match(t->names[i], strlen(t->names[i]), host))
            return true;
    return false;
}

/* Collect the findings for a host the probe reached. */
static void assess_probe_collect(const struct assess_facts *f, const struct assess_mxhost *h,
                                 enum report_severity fail, struct assess_probe_host *out)
{
    const struct mxprobe_result *pr = h->probe;
    const struct tlsinfo *t = pr->tls;
    char fix[ASSESS_PROBE_TEXT], names[ASSESS_PROBE_TEXT], date[32];

    switch (pr->st) {
    case MXPROBE_NO_STARTTLS:
        snprintf(fix, sizeof(fix),
                 "enable STARTTLS on %s with a certificate for that name (Postfix: "
                 "smtpd_tls_security_level = may, smtpd_tls_chain_files)",
                 h->host);
        assess_probe_find(out, ASSESS_PROBE_REFUSE, fail, fix, "no STARTTLS in its answer to EHLO");
        return;
    case MXPROBE_STARTTLS_REFUSED:
        snprintf(fix, sizeof(fix),
                 "make STARTTLS work on %s (a readable certificate and key for that name)",
                 h->host);
        assess_probe_find(out, ASSESS_PROBE_REFUSE, fail, fix, "STARTTLS is offered but fails: %s",
                          pr->detail);
        return;
    case MXPROBE_TLS_FAILED:
        snprintf(fix, sizeof(fix), "offer TLS 1.2 or later on %s with a certificate for that name",
                 h->host);
        assess_probe_find(out, ASSESS_PROBE_REFUSE, fail, fix, "the TLS handshake fails: %s",
                          pr->detail);
        return;
    case MXPROBE_PROTOCOL:
        assess_probe_find(out, ASSESS_PROBE_REFUSE, fail,
                          "check the SMTP server, or what sits in front of it", "%s", pr->detail);
        return;
    case MXPROBE_NOT_TESTED:
    case MXPROBE_TLS:
        break;
    }
    if (t == NULL || !t->valid)
        return;
    assess_probe_names(t, names, sizeof(names));
    if (!t->have_cert) {
        snprintf(fix, sizeof(fix), "install a certificate for %s from a public CA", h->host);
        assess_probe_find(out, ASSESS_PROBE_REFUSE, fail, fix, "no certificate was presented");
        return;
    }
    if (!t->verify_ok) {
        assess_date(t->not_after, date, sizeof(date));
        snprintf(fix, sizeof(fix),
                 "install a certificate for %s from a public CA, not expired, with its "
                 "intermediate certificates",
                 h->host);
        if (t->not_after > 0 && t->not_after < f->now)
            assess_probe_find(out, ASSESS_PROBE_REFUSE, fail, fix,
                              "the certificate expired on %s (%s)", date, t->verify_error);
        else
            assess_probe_find(out, ASSESS_PROBE_REFUSE, fail, fix,
                              "the certificate is not trusted: %s (issuer %s)", t->verify_error,
                              t->issuer);
    }
    if (!assess_probe_name_ok(t, h->host)) {
        snprintf(fix, sizeof(fix),
                 "use a certificate whose subjectAltName has %s (or a \"*.\" name one label "
                 "above it)",
                 h->host);
        assess_probe_find(out, ASSESS_PROBE_REFUSE, fail, fix,
                          "the certificate does not name %s (its names: %s)", h->host, names);
    }
    if (t->verify_ok && t->not_after > 0 &&
        t->not_after - f->now < (int64_t)ASSESS_CERT_WARN_DAYS * ASSESS_PROBE_DAY) {
        long long days = (long long)((t->not_after - f->now) / ASSESS_PROBE_DAY);
        assess_date(t->not_after, date, sizeof(date));
        assess_probe_find(out, REPORT_WARNING, fail,
                          "renew it now: once it expires, senders refuse the host under enforce",
                          "the certificate expires on %s, in %lld day%s", date, days,
                          days == 1 ? "" : "s");
    }
    if (strcmp(t->version, "TLSv1") == 0 || strcmp(t->version, "TLSv1.1") == 0 ||
        strncmp(t->version, "SSL", 3) == 0) {
        assess_probe_find(out, REPORT_WARNING, fail, "offer TLS 1.2 or later",
                          "%s is obsolete; many senders require TLS 1.2 or later", t->version);
    }
}

/* The mx.host item of a host the probe reached. */
static void assess_probe_host_item(const struct assess_facts *f, const struct assess_mxhost *h,
                                   enum report_severity fail, const char *refuse,
                                   enum dane_state tlsa, struct report *r)
{
    const struct mxprobe_result *pr = h->probe;
    const struct tlsinfo *t = pr->tls;
    struct assess_probe_host x;
    struct report_item *it;
    size_t worst = 0;
    char date[32], line[ASSESS_PROBE_TEXT + 16];

    memset(&x, 0, sizeof(x));
    assess_probe_collect(f, h, fail, &x);
    for (size_t i = 1; i < x.n; i++)
        if (x.f[i].sev > x.f[worst].sev)
            worst = i;
    assess_date(t != NULL && t->valid ? t->not_after : 0, date, sizeof(date));
    if (x.n == 0)
        it = report_add(r, "mx.host", REPORT_OK,
                        "%s [%s]: STARTTLS, %s, certificate valid for %s (issuer %s, expires %s)",
                        h->host, pr->address, t->version, h->host, t->issuer, date);
    else if (x.f[worst].refuses)
        it = report_add(r, "mx.host", x.f[worst].sev, "%s [%s]: %s: %s", h->host, pr->address,
                        x.f[worst].text, refuse);
    else
        it = report_add(r, "mx.host", x.f[worst].sev, "%s [%s]: %s", h->host, pr->address,
                        x.f[worst].text);
    if (x.n > 0 && x.f[worst].fix[0] != '\0')
        report_fix(it, "%s", x.f[worst].fix);
    report_detail_str(it, "host", h->host);
    report_detail_str(it, "address", pr->address);
    if (!h->implicit)
        report_detail_int(it, "preference", h->preference);
    if (pr->greeting_code != 0) {
        snprintf(line, sizeof(line), "%d %s", pr->greeting_code, pr->greeting);
        report_detail_str(it, "greeting", line);
    }
    report_detail_bool(it, "starttls", pr->starttls_offered);
    if (t != NULL && t->valid) {
        report_detail_str(it, "tls_version", t->version);
        report_detail_str(it, "cipher", t->cipher);
        if (t->have_cert) {
            for (size_t i = 0; i < t->n_names; i++)
                report_detail_push(it, "names", t->names[i]);
            if (t->n_names == 0)
                report_detail_push(it, "names", "");
            report_detail_str(it, "subject", t->subject);
            report_detail_str(it, "issuer", t->issuer);
            report_detail_str(it, "not_after", date);
            report_detail_int(it, "chain_length", (long long)t->chain_len);
            report_detail_bool(it, "verified", t->verify_ok);
            if (!t->verify_ok)
                report_detail_str(it, "verify_error", t->verify_error);
            report_detail_bool(it, "name_matches", assess_probe_name_ok(t, h->host));
        }
    }
    report_detail_str(it, "tlsa", dane_state_name(tlsa));
    for (size_t i = 0; i < x.n; i++) {
        snprintf(line, sizeof(line), "%s: %s", report_severity_name(x.f[i].sev), x.f[i].text);
        report_detail_push(it, "findings", line);
    }
    if (x.n == 0)
        report_detail_push(it, "findings", "ok: STARTTLS with a trusted certificate for the host");
    report_detail_int(it, "elapsed_ms", pr->elapsed_ms);
}

/* "3 1 1 0123...cdef" of a TLSA record (data cut after 32 bytes). */
static void assess_probe_tlsa_text(const struct dnsmsg_rr *rr, char *buf, size_t bufsz)
{
    size_t off;
    int n =
        snprintf(buf, bufsz, "%u %u %u ", rr->u.tlsa.usage, rr->u.tlsa.selector, rr->u.tlsa.mtype);

    off = n > 0 ? (size_t)n : 0;
    for (size_t i = 0; i < rr->u.tlsa.len && i < 32 && off + 3 <= bufsz; i++, off += 2)
        snprintf(buf + off, bufsz - off, "%02x", rr->u.tlsa.data[i]);
    if (rr->u.tlsa.len > 32 && off + 4 <= bufsz)
        snprintf(buf + off, bufsz - off, "...");
}

/* The mx.dane item of a host whose TLSA state is not none; tl: the TLSA
 * answer that decided, found at _25._tcp.<at> (the host's name, or its
 * CNAME target: then the item names both). */
static void assess_probe_dane(const struct assess_facts *f, const struct assess_mxhost *h,
                              enum dane_state st, const char *why, const struct assess_tlsa *tl,
                              const char *at, struct report *r)
{
    const struct mxprobe_result *pr = h->probe;
    struct report_item *it = NULL;
    char one[160], who[2 * DOMAIN_BUFSZ + 32];
    size_t which = 0;
    bool target = at != h->host;

    if (target)
        snprintf(who, sizeof(who), "%s via its CNAME target %s", h->host, at);
    else
        snprintf(who, sizeof(who), "%s", h->host);

    switch (st) {
    case DANE_NONE:
        return;
    case DANE_BOGUS:
        it = report_add(r, "mx.dane", REPORT_ERROR, "%s: %s", who, why);
        report_fix(it,
                   "fix the DNSSEC signatures of _25._tcp.%s (or remove the TLSA records "
                   "properly: publish the removal, wait for the TTL)",
                   at);
        break;
    case DANE_UNUSABLE:
        it = report_add(r, "mx.dane", REPORT_WARNING,
                        "%s: %s; DANE senders use TLS without authenticating the host", who, why);
        report_fix(it, "publish a \"3 1 1\" record with the SHA-256 of the host's public key");
        break;
    case DANE_USABLE:
        if (pr == NULL || pr->st == MXPROBE_NOT_TESTED) {
            it = report_add(r, "mx.dane", REPORT_WARNING,
                            "%s: usable TLSA records; the certificate could not be compared "
                            "(not tested from here)",
                            who);
            break;
        }
        if (pr->st != MXPROBE_TLS || pr->tls == NULL || !pr->tls->valid) {
            it = report_add(r, "mx.dane", REPORT_ERROR,
                            "%s: usable TLSA records but no TLS session (%s): DANE senders "
                            "defer mail to it",
                            who, pr->detail);
            report_fix(it, "make STARTTLS work on %s", h->host);
            break;
        }
        /* With TLSA at the CNAME target, the certificate may name either
         * (RFC 7672 sections 2.2.2 and 3.2.2). */
        switch (dane_match(tl->rrs, tl->n, pr->chain, pr->nchain,
                           assess_probe_name_ok(pr->tls, h->host) ||
                               (target && assess_probe_name_ok(pr->tls, at)),
                           &which)) {
        case DANE_MATCH_EE:
        case DANE_MATCH_TA:
            assess_probe_tlsa_text(&tl->rrs[which], one, sizeof(one));
            it = report_add(r, "mx.dane", REPORT_OK,
                            "%s: the certificate matches its TLSA record %s (DANE-%s)", who, one,
                            tl->rrs[which].u.tlsa.usage == 3 ? "EE" : "TA");
            report_detail_str(it, "matched", one);
            break;
        case DANE_MATCH_TA_NAME:
            it = report_add(r, "mx.dane", REPORT_ERROR,
                            "%s: a DANE-TA record matches the chain, but the certificate does "
                            "not name the host: DANE senders refuse to deliver to it",
                            who);
            report_fix(it, "use a certificate for %s", h->host);
            break;
        case DANE_MATCH_NONE:
            it = report_add(r, "mx.dane", REPORT_ERROR,
                            "%s: no usable TLSA record matches the certificate it presents: DANE "
                            "senders refuse to deliver to it",
                            who);
            report_fix(it,
                       "publish TLSA records for the certificate in use (e.g. \"3 1 1\" and the "
                       "SHA-256 of its public key), keeping the old ones until the TTL has "
                       "passed, or serve the certificate the records name");
            break;
        }
        break;
    }
    report_detail_str(it, "host", h->host);
    if (target)
        report_detail_str(it, "cname_target", at);
    snprintf(one, sizeof(one), "_25._tcp.%s", at);
    report_detail_str(it, "tlsa_name", one);
    report_detail_str(it, "state", dane_state_name(st));
    for (size_t i = 0; i < tl->n; i++) {
        assess_probe_tlsa_text(&tl->rrs[i], one, sizeof(one));
        report_detail_push(it, "records", one);
    }
    (void)f;
}

/* Why h was not tested from here; NULL if it was, or if it has no address
 * or its address lookup failed (the domain's problem, reported as
 * mx.host). */
static const char *assess_probe_untested(const struct assess_mxhost *h)
{
    if (!h->addr.done)
        return "no address before the check's deadline";
    /* A failed address lookup is the domain's DNS, not this network's
     * port 25: assess_probe() reports it as an mx.host item. */
    if (h->addr.st != DNS_OK || h->addr.n == 0)
        return NULL;
    if (h->probe == NULL)
        return "no answer before the check's deadline";
    if (h->probe->st == MXPROBE_NOT_TESTED)
        return h->probe->detail;
    return NULL;
}

void assess_probe(const struct assess_facts *f, const struct sts_policy *p, struct report *r)
{
    bool enforce = p != NULL && p->mode == STS_MODE_ENFORCE;
    enum report_severity fail = enforce ? REPORT_ERROR : REPORT_WARNING;
    const char *refuse = enforce ? "senders refuse to deliver to it"
                         : p != NULL && p->mode == STS_MODE_TESTING
                             ? "under enforce, senders would refuse it"
                             : "with an enforced MTA-STS policy, senders would refuse it";
    char untested[REPORT_TEXT_MAX] = "";
    size_t n_untested = 0, off = 0;
    struct report_item *it;

    if (!f->probe.enabled)
        return;
    for (size_t i = 0; i < f->probe.n; i++) {
        const struct assess_mxhost *h = &f->probe.hosts[i];
        const char *why = NULL, *dane_why = "", *at = h->host;
        const struct assess_tlsa *tl = &h->tlsa;
        enum dane_state dst = DANE_NONE;
        bool addr_secure = h->addr.done && h->addr.ad;

        if (h->tlsa.done)
            dst = dane_tlsa_state(f->probe.mx_secure, addr_secure, h->tlsa.st, h->tlsa.ad,
                                  h->tlsa.rrs, h->tlsa.n, &dane_why);
        if (h->target != NULL) {
            /* No answer at the target before the deadline: a failed lookup. */
            const struct assess_tlsa *t = &h->target_tlsa;
            const char *twhy = "";
            enum dane_state tst =
                dane_tlsa_state(f->probe.mx_secure, addr_secure, t->done ? t->st : DNS_TEMPFAIL,
                                t->ad, t->rrs, t->n, &twhy);
            if (dane_target_decides(tst)) {
                dst = tst;
                dane_why = twhy;
                tl = t;
                at = h->target;
            }
        }
        why = assess_probe_untested(h);
        if (why == NULL && h->addr.st == DNS_TEMPFAIL) {
            it = report_add(r, "mx.host", REPORT_WARNING,
                            "%s: its address lookup failed (%s): senders cannot rely on it",
                            h->host, h->addr.detail != NULL ? h->addr.detail : "no answer");
            report_fix(it,
                       "check the DNS of %s: its name servers must answer A and AAAA, and a "
                       "validating resolver answers SERVFAIL for records with bad DNSSEC "
                       "signatures",
                       h->host);
            report_detail_str(it, "host", h->host);
            report_detail_push(it, "findings", "warning: address lookup failed");
        } else if (why == NULL && (h->addr.st != DNS_OK || h->addr.n == 0)) {
            it = report_add(r, "mx.host", REPORT_WARNING,
                            "%s has no A or AAAA record (%s): senders cannot deliver to it",
                            h->host, h->addr.detail != NULL ? h->addr.detail : "no records");
            report_fix(it, "publish the address of %s, or remove it from the MX records", h->host);
            report_detail_str(it, "host", h->host);
            report_detail_push(it, "findings", "warning: no address");
        } else if (why == NULL) {
            assess_probe_host_item(f, h, fail, refuse, dst, r);
        }
        if (why != NULL) {
            int n = snprintf(untested + off, sizeof(untested) - off, "%s%s (%s)",
                             n_untested > 0 ? "; " : "", h->host, why);
            if (n > 0 && (size_t)n < sizeof(untested) - off)
                off += (size_t)n;
            n_untested++;
        }
        assess_probe_dane(f, h, dst, dane_why, tl, at, r);
    }
    if (n_untested == 0 && f->probe.skipped == 0)
        return;
    it = report_add(r, "mx.untested", REPORT_WARNING,
                    "%zu MX host%s not tested from here%s%s%s: many networks block outbound "
                    "port 25, so this is not the domain's error",
                    n_untested + f->probe.skipped, n_untested + f->probe.skipped == 1 ? "" : "s",
                    n_untested > 0 ? ": " : "", untested,
                    f->probe.skipped > 0 ? " (and more MX hosts than the probe's limit)" : "");
    report_fix(it, "run the check again from a host that can send mail (port 25 open)");
    report_detail_int(it, "count", (long long)(n_untested + f->probe.skipped));
    for (size_t i = 0; i < f->probe.n; i++) {
        const struct assess_mxhost *h = &f->probe.hosts[i];
        const char *why = assess_probe_untested(h);
        if (why != NULL) {
            char line[DOMAIN_BUFSZ + ASSESS_PROBE_TEXT + 8];
            snprintf(line, sizeof(line), "%s: %s", h->host, why);
            report_detail_push(it, "hosts", line);
        }
    }
    if (f->probe.skipped > 0)
        report_detail_int(it, "not_probed", (long long)f->probe.skipped);
}

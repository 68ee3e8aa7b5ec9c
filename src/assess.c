/*
 * assess - what the facts about a domain mean for its MTA-STS setup (see
 * assess.h).
 *
 * Public functions: assess(), assess_id_is_timestamp(), assess_date().
 *
 * Sections, in report order: assess_txt() (the _mta-sts record, through
 * sts_txt), assess_host() (address, then the fetch as https_inspect() saw
 * it: connect, TLS, certificate, HTTP status, media type, size, time),
 * assess_policy() (the body through sts_policy_parse_lint(); it returns
 * the parsed policy for the MX section), assess_mx() (MX records and
 * their coverage through domain_mx_match()), assess_tlsrpt() (through
 * tlsrpt_select()).  A section whose input is missing says why once and
 * skips the items that depend on it.
 *
 * Words: each item's message says what senders do with what was found;
 * a fix says what to publish or change.  Names from the network go into
 * messages through report.c, which sanitises them.
 *
 * Ownership: the parsed policy lives only inside assess().
 * Limits: none of its own (inputs are bounded by dns, https and the
 * parsers).  Diagnostics: the report only.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "assess.h"
#include "assess_probe.h"
#include "domain.h"
#include "log.h"
#include "sts_policy.h"
#include "sts_txt.h"
#include "tlsinfo.h"
#include "tlsrpt.h"

#define ASSESS_ID_EXAMPLE  "20261203063000Z"
#define ASSESS_SHORT       160 /* excerpts of records in messages */
#define ASSESS_DAY         86400
#define ASSESS_MAX_AGE_ADV 604800 /* a week: what `suggest` writes */

void assess_date(int64_t t, char *buf, size_t bufsz)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (t <= 0 || gmtime_r(&tt, &tm) == NULL) {
        snprintf(buf, bufsz, "unknown");
        return;
    }
    strftime(buf, bufsz, "%Y-%m-%d", &tm);
}

/* A timestamp id for advice: now, UTC, YYYYMMDDhhmmssZ. */
static void assess_stamp(int64_t now, char *buf, size_t bufsz)
{
    time_t tt = (time_t)now;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL || strftime(buf, bufsz, "%Y%m%d%H%M%SZ", &tm) == 0)
        snprintf(buf, bufsz, "%s", ASSESS_ID_EXAMPLE);
}

static bool assess_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int assess_num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

bool assess_id_is_timestamp(const char *id)
{
    size_t n = strlen(id);

    if (n > 0 && id[n - 1] == 'Z')
        n--;
    if ((n != 8 && n != 10 && n != 12 && n != 14) || !assess_digits(id, n))
        return false;
    int year = assess_num(id, 4), month = assess_num(id + 4, 2), day = assess_num(id + 6, 2);
    if (year < 1970 || year > 2999 || month < 1 || month > 12 || day < 1 || day > 31)
        return false;
    if (n >= 10 && assess_num(id + 8, 2) > 23)
        return false;
    if (n >= 12 && assess_num(id + 10, 2) > 59)
        return false;
    if (n >= 14 && assess_num(id + 12, 2) > 60)
        return false;
    return true;
}

static const char *assess_s(size_t n)
{
    return n == 1 ? "" : "s";
}

/* ---- TXT _mta-sts ------------------------------------------------------ */

static void assess_txt_fix(const struct assess_facts *f, struct report_item *it)
{
    char stamp[32];

    assess_stamp(f->now, stamp, sizeof(stamp));
    report_fix(it, "publish _mta-sts.%s. IN TXT \"v=STSv1; id=%s\"", f->domain, stamp);
}

/* A DNS lookup that gave no usable answer; true if it was reported. */
static bool assess_lookup_failed(struct report *r, const char *item, const char *what, bool done,
                                 enum dns_status st, const char *detail, enum report_severity sev)
{
    struct report_item *it;

    if (!done) {
        it = report_add(r, item, sev, "%s: no answer before the check's deadline", what);
        report_fix(it, "check that the domain's name servers answer");
        return true;
    }
    if (st == DNS_TEMPFAIL) {
        it = report_add(r, item, sev, "%s failed: %s", what, detail != NULL ? detail : "");
        report_fix(it, "check that the domain's name servers answer; senders treat a failing "
                       "lookup as \"no policy\"");
        return true;
    }
    return false;
}

/* The CNAME the _mta-sts answer came through, as a detail. */
static void assess_txt_cname(struct report_item *it, const struct assess_txt *t)
{
    if (t->cname != NULL)
        report_detail_str(it, "cname", t->cname);
}

static void assess_txt(const struct assess_facts *f, struct report *r)
{
    const struct assess_txt *t = &f->sts;
    struct report_item *it;
    char what[DOMAIN_BUFSZ + 32];
    struct sts_txt parsed;
    size_t i, candidates = 0, which = 0;

    snprintf(what, sizeof(what), "TXT lookup of _mta-sts.%s", f->domain);
    if (assess_lookup_failed(r, "txt", what, t->done, t->st, t->detail, REPORT_ERROR))
        return;
    if (t->st == DNS_NODATA || t->n == 0) {
        it = report_add(r, "txt", REPORT_ERROR,
                        "no TXT record at _mta-sts.%s (%s%s%s%s): senders see no MTA-STS policy",
                        f->domain, t->cname != NULL ? "CNAME to " : "",
                        t->cname != NULL ? t->cname : "", t->cname != NULL ? ": " : "",
                        t->detail != NULL ? t->detail : "no records");
        assess_txt_cname(it, t);
        assess_txt_fix(f, it);
        return;
    }
    /* As the daemon (fetch.c): every record is here, long ones cut to
     * DNS_MAX_TXT + 1 bytes; sts_txt discards those that are not v=STSv1
     * whatever their size, and a cut v=STSv1 record is invalid (too
     * long). */
    for (i = 0; i < t->n; i++) {
        struct sts_txt one;
        if (sts_txt_parse(t->rrs[i].data, t->rrs[i].len, &one) != STS_TXT_NONE) {
            candidates++;
            which = i;
        }
    }
    enum sts_txt_status st = sts_txt_select(t->rrs, t->n, &parsed);
    switch (st) {
    case STS_TXT_OK:
        it = report_add(r, "txt", REPORT_OK,
                        "_mta-sts.%s has one valid v=STSv1 record, id %s%s%s%s%s", f->domain,
                        parsed.id, t->cname != NULL ? " (through the CNAME to " : "",
                        t->cname != NULL ? t->cname : "", t->cname != NULL ? ")" : "",
                        t->n > 1 ? " (other TXT records at the name are ignored; fine)" : "");
        assess_txt_cname(it, t);
        report_detail_strn(it, "record", t->rrs[which].data, t->rrs[which].len);
        report_detail_str(it, "id", parsed.id);
        report_detail_int(it, "other_records", (long long)(t->n - 1));
        if (assess_id_is_timestamp(parsed.id))
            report_add(r, "txt.id", REPORT_OK, "id %s is a timestamp: easy to keep increasing",
                       parsed.id);
        else
            report_add(r, "txt.id", REPORT_OK,
                       "id %s is valid; a UTC timestamp such as %s makes each new id unique",
                       parsed.id, ASSESS_ID_EXAMPLE);
        return;
    case STS_TXT_NONE:
        it = report_add(r, "txt", REPORT_ERROR,
                        "none of the %zu TXT record%s at _mta-sts.%s begins with v=STSv1: "
                        "senders see no policy",
                        t->n, assess_s(t->n), f->domain);
        for (i = 0; i < t->n; i++)
            report_detail_pushn(it, "records", t->rrs[i].data, t->rrs[i].len);
        assess_txt_cname(it, t);
        assess_txt_fix(f, it);
        return;
    case STS_TXT_MULTIPLE:
        it = report_add(r, "txt", REPORT_ERROR,
                        "%zu TXT records at _mta-sts.%s begin with v=STSv1: senders ignore all "
                        "of them and see no policy",
                        candidates, f->domain);
        for (i = 0; i < t->n; i++)
            report_detail_pushn(it, "records", t->rrs[i].data, t->rrs[i].len);
        assess_txt_cname(it, t);
        report_fix(it, "keep exactly one v=STSv1 record");
        return;
    case STS_TXT_INVALID: {
        const char *why = NULL;
        sts_txt_parse_why(t->rrs[which].data, t->rrs[which].len, &parsed, &why);
        it = report_add(r, "txt", REPORT_ERROR,
                        "the v=STSv1 record at _mta-sts.%s is invalid (%s): senders see no policy",
                        f->domain, why != NULL ? why : "syntax");
        report_detail_strn(it, "record", t->rrs[which].data, t->rrs[which].len);
        assess_txt_cname(it, t);
        assess_txt_fix(f, it);
        return;
    }
    }
}

/* ---- the policy host ----------------------------------------------------- */

static void assess_cert_details(struct report_item *it, const struct tlsinfo *ti)
{
    char date[32];

    if (ti == NULL || !ti->valid || !ti->have_cert)
        return;
    for (size_t i = 0; i < ti->n_names; i++)
        report_detail_push(it, "names", ti->names[i]);
    if (ti->n_names_total > ti->n_names)
        report_detail_int(it, "names_total", (long long)ti->n_names_total);
    report_detail_str(it, "subject", ti->subject);
    report_detail_str(it, "issuer", ti->issuer);
    assess_date(ti->not_before, date, sizeof(date));
    report_detail_str(it, "not_before", date);
    assess_date(ti->not_after, date, sizeof(date));
    report_detail_str(it, "not_after", date);
    report_detail_int(it, "chain_length", (long long)ti->chain_len);
}

/* "a, b, c" of a certificate's names (or its subject). */
static void assess_cert_names(const struct tlsinfo *ti, char *buf, size_t bufsz)
{
    size_t off = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < ti->n_names && off < bufsz; i++) {
        int n = snprintf(buf + off, bufsz - off, "%s%s", i > 0 ? ", " : "", ti->names[i]);
        if (n < 0)
            break;
        off += (size_t)n;
    }
    if (ti->n_names == 0)
        snprintf(buf, bufsz, "no DNS names; subject %s", ti->subject);
}

static void assess_cert_refused(const struct assess_facts *f, const struct https_result *res,
                                struct report *r)
{
    const struct https_result *hs = f->handshake;
    const struct tlsinfo *ti = hs != NULL && hs->st == HTTPS_OK ? hs->tls : NULL;
    struct report_item *it;
    char names[512], date[32];

    if (ti != NULL && ti->valid && ti->have_cert) {
        assess_cert_names(ti, names, sizeof(names));
        assess_date(ti->not_after, date, sizeof(date));
        it = report_add(r, "host.certificate", REPORT_ERROR,
                        "senders refuse the certificate of mta-sts.%s: %s (names: %s; "
                        "expire%s %s)",
                        f->domain, res->detail, names, ti->not_after < f->now ? "d" : "s", date);
        assess_cert_details(it, ti);
    } else {
        it = report_add(r, "host.certificate", REPORT_ERROR,
                        "senders refuse the certificate of mta-sts.%s: %s", f->domain, res->detail);
    }
    report_fix(it,
               "install a certificate for mta-sts.%s from a public CA, not expired, with its "
               "intermediate certificates",
               f->domain);
}

static void assess_tls_failed(const struct assess_facts *f, const struct https_result *res,
                              struct report *r)
{
    const struct https_result *hs = f->handshake;
    struct report_item *it;

    if (hs != NULL && hs->st == HTTPS_OK && hs->tls != NULL && hs->tls->valid)
        it = report_add(r, "host.tls", REPORT_ERROR,
                        "TLS handshake with mta-sts.%s failed: %s (without our minimum it "
                        "completes with %s; senders require TLS 1.2 or later)",
                        f->domain, res->detail, hs->tls->version);
    else
        it = report_add(r, "host.tls", REPORT_ERROR, "TLS handshake with mta-sts.%s failed: %s",
                        f->domain, res->detail);
    report_fix(it,
               "serve https://mta-sts.%s with TLS 1.2 or later and a certificate for that "
               "name",
               f->domain);
    if (hs != NULL && hs->st == HTTPS_OK)
        assess_cert_details(it, hs->tls);
}

static void assess_cert_ok(const struct assess_facts *f, const struct https_result *res,
                           struct report *r)
{
    const struct tlsinfo *ti = res->tls;
    struct report_item *it;
    char date[32];

    if (ti == NULL || !ti->valid) {
        report_add(r, "host.tls", REPORT_OK, "TLS 1.2 or later (the handshake succeeded)");
        report_add(r, "host.certificate", REPORT_OK,
                   "the certificate is valid for mta-sts.%s (details not available)", f->domain);
        return;
    }
    report_add(r, "host.tls", REPORT_OK, "%s", ti->version);
    assess_date(ti->not_after, date, sizeof(date));
    long long days = (long long)((ti->not_after - f->now) / ASSESS_DAY);
    if (ti->not_after > 0 && ti->not_after - f->now < (int64_t)ASSESS_CERT_WARN_DAYS * ASSESS_DAY) {
        it = report_add(r, "host.certificate", REPORT_WARNING,
                        "the certificate of mta-sts.%s expires on %s, in %lld day%s", f->domain,
                        date, days, days == 1 ? "" : "s");
        report_fix(it, "renew it now: once it expires, senders cannot fetch the policy");
    } else {
        it = report_add(r, "host.certificate", REPORT_OK,
                        "valid for mta-sts.%s, issued by %s, expires %s (%lld days)", f->domain,
                        ti->issuer, date, days);
    }
    assess_cert_details(it, ti);
}

static void assess_time(const struct assess_facts *f, const struct https_result *res,
                        struct report *r)
{
    struct report_item *it;
    double secs = res->total_ms >= 0 ? res->total_ms / 1000.0 : 0;

    if (res->total_ms > ASSESS_SLOW_MS) {
        it = report_add(r, "host.time", REPORT_WARNING,
                        "the fetch took %.1f s; senders commonly wait about %d s", secs,
                        ASSESS_SLOW_MS / 1000);
        report_fix(it, "serve the policy as a static file from a nearby, unloaded server");
    } else {
        it = report_add(r, "host.time", REPORT_OK, "fetched in %.3f s", secs);
    }
    report_detail_int(it, "total_ms", res->total_ms);
    report_detail_int(it, "connect_ms", res->connect_ms);
    report_detail_int(it, "tls_ms", res->tls_ms);
}

/* Returns true if the body can be assessed. */
static bool assess_host(const struct assess_facts *f, struct report *r)
{
    const struct https_result *res = f->fetch;
    struct report_item *it;
    char what[DOMAIN_BUFSZ + 32];

    snprintf(what, sizeof(what), "address lookup of mta-sts.%s", f->domain);
    if (assess_lookup_failed(r, "host.address", what, f->addr.done, f->addr.st, f->addr.detail,
                             REPORT_ERROR))
        return false;
    if (f->addr.st == DNS_NODATA || f->addr.n == 0) {
        it = report_add(r, "host.address", REPORT_ERROR,
                        "mta-sts.%s has no A or AAAA record (%s): senders cannot fetch the "
                        "policy",
                        f->domain, f->addr.detail != NULL ? f->addr.detail : "no records");
        report_fix(it, "point mta-sts.%s at the web server that serves the policy", f->domain);
        return false;
    }
    it = report_add(r, "host.address", REPORT_OK, "mta-sts.%s has %zu address%s", f->domain,
                    f->addr.n, f->addr.n == 1 ? "" : "es");
    for (size_t i = 0; i < f->addr.n; i++)
        report_detail_push(it, "addresses", f->addr.addrs[i]);

    if (res == NULL) {
        report_add(r, "host.https", REPORT_ERROR,
                   "no answer from https://mta-sts.%s before the check's deadline", f->domain);
        return false;
    }
    switch (res->st) {
    case HTTPS_ERR_CONNECT:
        it = report_add(r, "host.connect", REPORT_ERROR,
                        "cannot connect to mta-sts.%s port 443: %s", f->domain, res->detail);
        report_fix(it, "make the web server listen on port 443 of every address of mta-sts.%s",
                   f->domain);
        return false;
    case HTTPS_ERR_TIMEOUT:
        it = report_add(r, "host.time", REPORT_ERROR,
                        "no complete answer from https://mta-sts.%s within %ld s (%s): senders "
                        "give up",
                        f->domain, f->fetch_limit_ms / 1000, res->detail);
        report_fix(it, "serve the policy as a static file; senders wait about a minute at most, "
                       "many only seconds");
        report_detail_int(it, "connect_ms", res->connect_ms);
        report_detail_int(it, "tls_ms", res->tls_ms);
        return false;
    case HTTPS_ERR_TLS:
        assess_tls_failed(f, res, r);
        return false;
    case HTTPS_ERR_CERT:
        if (f->handshake != NULL && f->handshake->st == HTTPS_OK && f->handshake->tls != NULL &&
            f->handshake->tls->valid)
            report_add(r, "host.tls", REPORT_OK, "%s (the certificate is refused, below)",
                       f->handshake->tls->version);
        else
            report_add(r, "host.tls", REPORT_OK, "the handshake reached the certificate");
        assess_cert_refused(f, res, r);
        return false;
    case HTTPS_ERR_OTHER:
        report_add(r, "host.https", REPORT_ERROR, "fetching https://mta-sts.%s failed: %s",
                   f->domain, res->detail);
        return false;
    case HTTPS_OK:
    case HTTPS_ERR_REDIRECT:
    case HTTPS_ERR_STATUS:
    case HTTPS_ERR_MEDIA_TYPE:
    case HTTPS_ERR_TOO_LARGE:
        break;
    }
    /* The handshake and the certificate passed. */
    assess_cert_ok(f, res, r);
    if (res->st == HTTPS_ERR_REDIRECT) {
        it = report_add(r, "host.http", REPORT_ERROR,
                        "HTTP %ld redirect to %s: senders never follow redirects (RFC 8461 "
                        "section 3.3)",
                        res->http_code, res->location[0] != '\0' ? res->location : "(no Location)");
        report_fix(it, "serve the policy itself at https://mta-sts.%s/.well-known/mta-sts.txt",
                   f->domain);
        report_detail_str(it, "location", res->location);
        return false;
    }
    if (res->st == HTTPS_ERR_STATUS) {
        it = report_add(r, "host.http", REPORT_ERROR,
                        "HTTP %ld for /.well-known/mta-sts.txt: senders accept only 200",
                        res->http_code);
        report_fix(it, "serve the policy at https://mta-sts.%s/.well-known/mta-sts.txt", f->domain);
        return false;
    }
    report_add(r, "host.http", REPORT_OK, "HTTP %ld", res->http_code);
    if (res->st == HTTPS_ERR_MEDIA_TYPE) {
        it = report_add(r, "host.media_type", REPORT_ERROR,
                        "Content-Type is %s: senders require text/plain",
                        res->content_type[0] != '\0' ? res->content_type : "missing");
        report_fix(it, "serve mta-sts.txt as text/plain");
        report_detail_str(it, "content_type", res->content_type);
        return false;
    }
    report_add(r, "host.media_type", REPORT_OK, "%s", res->content_type);
    if (res->st == HTTPS_ERR_TOO_LARGE) {
        it = report_add(r, "host.size", REPORT_ERROR,
                        "the body is larger than %d bytes: senders stop reading and see no policy",
                        STS_POLICY_MAX);
        report_fix(it, "a policy is a few lines; serve only those");
        report_detail_str(it, "reason", res->detail);
        if (res->content_length >= 0)
            report_detail_int(it, "content_length", res->content_length);
        return false;
    }
    report_add(r, "host.size", REPORT_OK, "%zu bytes (at most %d)", res->len, STS_POLICY_MAX);
    assess_time(f, res, r);
    return true;
}

/* ---- the policy ------------------------------------------------------------ */

static const char *assess_policy_item(enum sts_policy_status st)
{
    switch (st) {
    case STS_POLICY_NO_VERSION:
        return "policy.version";
    case STS_POLICY_BAD_MODE:
        return "policy.mode";
    case STS_POLICY_BAD_MAX_AGE:
        return "policy.max_age";
    case STS_POLICY_NO_MX:
    case STS_POLICY_BAD_MX:
    case STS_POLICY_TOO_MANY_MX:
        return "policy.mx";
    case STS_POLICY_OK:
    case STS_POLICY_TOO_LARGE:
    case STS_POLICY_SYNTAX:
        break;
    }
    return "policy.syntax";
}

/* An extension key that is a known key in another case ("Mode"). */
static const char *assess_miscased(const struct sts_policy_lint *l)
{
    static const char *const known[] = {"version", "mode", "max_age", "mx"};

    for (size_t i = 0; i < l->n_ext && i < STS_POLICY_LINT_EXT; i++)
        for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
            if (strcasecmp(l->ext[i], known[k]) == 0)
                return l->ext[i];
    return NULL;
}

static void assess_duration(uint32_t secs, char *buf, size_t bufsz)
{
    if (secs >= ASSESS_DAY)
        snprintf(buf, bufsz, "%.1f days", secs / (double)ASSESS_DAY);
    else if (secs >= 3600)
        snprintf(buf, bufsz, "%.1f hours", secs / 3600.0);
    else
        snprintf(buf, bufsz, "%u s", (unsigned)secs);
}

static struct sts_policy *assess_policy(const struct assess_facts *f, struct report *r)
{
    const struct https_result *res = f->fetch;
    struct sts_policy_lint lint;
    struct sts_policy *p = NULL;
    struct report_item *it;
    char err[256], stamp[32], dur[64];
    enum sts_policy_status st =
        sts_policy_parse_lint(res->body, res->len, &p, err, sizeof(err), &lint);
    const char *miscased = assess_miscased(&lint);

    assess_stamp(f->now, stamp, sizeof(stamp));
    if (st != STS_POLICY_OK) {
        it = report_add(
            r, assess_policy_item(st), REPORT_ERROR, "senders reject the policy: %s: %s%s%s%s",
            sts_policy_strerror(st), err, miscased != NULL ? " (keys are case-sensitive: '" : "",
            miscased != NULL ? miscased : "", miscased != NULL ? "' is not a key)" : "");
        report_fix(it,
                   "write it as lines \"version: STSv1\", \"mode: testing\", \"mx: <host>\" "
                   "(one per MX), \"max_age: %d\"; then publish a new id (e.g. id=%s)",
                   ASSESS_MAX_AGE_ADV, stamp);
        return NULL;
    }
    it = report_add(r, "policy.syntax", REPORT_OK, "valid STSv1 policy, %u line%s%s", lint.lines,
                    lint.lines == 1 ? "" : "s",
                    lint.crlf_lines == 0            ? ", LF line ends"
                    : lint.crlf_lines == lint.lines ? ", CRLF line ends"
                                                    : ", LF and CRLF line ends (both fine)");
    for (size_t i = 0; i < p->n_lines; i++)
        report_detail_push(it, "lines", p->lines[i]);

    /* Repeated keys: senders use the first. */
    struct {
        const char *key;
        unsigned n;
    } keys[] = {{"version", lint.version_lines},
                {"mode", lint.mode_lines},
                {"max_age", lint.max_age_lines}};
    char dup[128] = "";
    size_t off = 0;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (keys[i].n > 1) {
            int n = snprintf(dup + off, sizeof(dup) - off, "%s%s (%u times)", off > 0 ? ", " : "",
                             keys[i].key, keys[i].n);
            if (n > 0 && (size_t)n < sizeof(dup) - off)
                off += (size_t)n;
        }
    }
    if (off > 0) {
        it = report_add(r, "policy.keys", REPORT_WARNING,
                        "repeated key%s: %s; senders use the first of each",
                        strchr(dup, ',') != NULL ? "s" : "", dup);
        report_fix(it, "keep one line per key (mx excepted), then publish a new id");
    } else {
        it = report_add(r, "policy.keys", REPORT_OK,
                        "version, mode and max_age once each, %u mx "
                        "line%s%s",
                        lint.mx_lines, lint.mx_lines == 1 ? "" : "s",
                        lint.mx_lines > p->n_mx ? " (some repeated; fine)" : "");
    }
    if (lint.n_ext > 0) {
        if (miscased != NULL) {
            it = report_add(r, "policy.keys", REPORT_WARNING,
                            "'%s' is not a key (keys are case-sensitive), senders ignore it",
                            miscased);
            report_fix(it, "write the key in lower case");
        } else {
            it = report_add(r, "policy.keys", REPORT_OK,
                            "%zu unknown key%s, ignored by senders (fine)", lint.n_ext,
                            assess_s(lint.n_ext));
        }
        for (size_t i = 0; i < lint.n_ext && i < STS_POLICY_LINT_EXT; i++)
            report_detail_push(it, "unknown_keys", lint.ext[i]);
    }

    switch (p->mode) {
    case STS_MODE_ENFORCE:
        report_add(r, "policy.mode", REPORT_OK,
                   "enforce: senders deliver only over verified TLS to the listed MX hosts");
        break;
    case STS_MODE_TESTING:
        it = report_add(r, "policy.mode", REPORT_WARNING,
                        "testing: senders deliver even when TLS fails and only report the "
                        "failures (TLSRPT)");
        report_fix(it,
                   "when the TLSRPT reports are clean, change to \"mode: enforce\" and publish a "
                   "new id (e.g. id=%s)",
                   stamp);
        break;
    case STS_MODE_NONE:
        it = report_add(r, "policy.mode", REPORT_WARNING,
                        "none: senders drop the policy they cached and treat the domain as having "
                        "no MTA-STS");
        report_fix(it, "use mode none only to withdraw MTA-STS; otherwise use testing or enforce");
        break;
    }

    assess_duration(p->max_age, dur, sizeof(dur));
    if (p->max_age < ASSESS_MAX_AGE_LOW) {
        it = report_add(r, "policy.max_age", REPORT_WARNING,
                        "max_age %u (%s) is under a day: cached policies lapse soon, and an "
                        "attacker who blocks the refetch then strips them; the RFC suggests weeks",
                        (unsigned)p->max_age, dur);
        report_fix(it, "use at least 86400 while testing and 604800 (a week) or more for enforce");
    } else {
        report_add(r, "policy.max_age", REPORT_OK, "max_age %u (%s)", (unsigned)p->max_age, dur);
    }
    return p;
}

/* ---- MX records and their coverage ---------------------------------------- */

static void assess_cover_one(const struct assess_facts *f, const struct sts_policy *p,
                             const char *host, unsigned pref, bool implicit, struct report *r)
{
    char norm[DOMAIN_BUFSZ];
    struct report_item *it;
    const char *pattern = NULL;

    if (domain_normalize_key(host, strlen(host), norm) != DOMAIN_KEY_OK) {
        it = report_add(r, "mx.covered", REPORT_ERROR, "MX host '%s' is not a valid host name",
                        host);
        report_fix(it, "publish MX records that name real mail hosts");
        report_detail_str(it, "host", host);
        return;
    }
    for (size_t i = 0; i < p->n_mx && pattern == NULL; i++)
        if (domain_mx_match(p->mx[i], norm))
            pattern = p->mx[i];
    if (pattern != NULL) {
        it = report_add(r, "mx.covered", REPORT_OK, "%s matches \"mx: %s\"", norm, pattern);
    } else {
        enum report_severity sev = p->mode == STS_MODE_ENFORCE ? REPORT_ERROR : REPORT_WARNING;
        it = report_add(r, "mx.covered", sev, "%s%s matches no mx line of the policy: %s", norm,
                        implicit ? " (implicit MX)" : "",
                        sev == REPORT_ERROR ? "senders refuse to deliver to it"
                                            : "under enforce, senders would refuse it");
        report_fix(it, "add \"mx: %s\" (or a \"*.\" pattern covering it) and publish a new id",
                   norm);
    }
    report_detail_str(it, "host", norm);
    if (!implicit)
        report_detail_int(it, "preference", pref);
    if (pattern != NULL)
        report_detail_str(it, "pattern", pattern);
}

static void assess_mx(const struct assess_facts *f, const struct sts_policy *p, struct report *r)
{
    struct report_item *it;
    char what[DOMAIN_BUFSZ + 32];
    bool implicit = false;

    snprintf(what, sizeof(what), "MX lookup of %s", f->domain);
    if (assess_lookup_failed(r, "mx", what, f->mx.done, f->mx.st, f->mx.detail, REPORT_ERROR))
        return;
    if (f->mx.st == DNS_NODATA || f->mx.n == 0) {
        it = report_add(r, "mx", REPORT_WARNING,
                        "%s has no MX record (%s): senders deliver to the address of %s itself "
                        "(implicit MX)",
                        f->domain, f->mx.detail != NULL ? f->mx.detail : "no records", f->domain);
        report_fix(it, "publish MX records for the hosts that receive mail for %s", f->domain);
        implicit = true;
    } else if (f->mx.n == 1 && strcmp(f->mx.rrs[0].u.mx.exchange, ".") == 0) {
        report_add(r, "mx", REPORT_WARNING,
                   "%s publishes a null MX (RFC 7505): it receives no mail, so MTA-STS has nothing "
                   "to protect",
                   f->domain);
        return;
    } else {
        it = report_add(r, "mx", REPORT_OK, "%zu MX host%s%s", f->mx.n, assess_s(f->mx.n),
                        f->mx.oversize ? " (more were dropped)" : "");
        for (size_t i = 0; i < f->mx.n; i++) {
            char one[DOMAIN_BUFSZ + 16];
            snprintf(one, sizeof(one), "%u %s", f->mx.rrs[i].u.mx.pref, f->mx.rrs[i].u.mx.exchange);
            report_detail_push(it, "records", one);
        }
    }
    if (p == NULL)
        return; /* no policy: nothing to match against (said above) */
    if (p->mode == STS_MODE_NONE) {
        report_add(r, "mx.covered", REPORT_OK, "mode none: the mx lines do not apply");
        return;
    }
    if (implicit) {
        assess_cover_one(f, p, f->domain, 0, true, r);
        return;
    }
    for (size_t i = 0; i < f->mx.n; i++)
        assess_cover_one(f, p, f->mx.rrs[i].u.mx.exchange, f->mx.rrs[i].u.mx.pref, false, r);
}

/* ---- TLSRPT ------------------------------------------------------------------ */

static void assess_tlsrpt(const struct assess_facts *f, const struct sts_policy *p,
                          struct report *r)
{
    const struct assess_txt *t = &f->tlsrpt;
    struct report_item *it;
    struct tlsrpt rpt;
    const char *why = NULL;
    size_t which = 0;
    char what[DOMAIN_BUFSZ + 32];
    const char *testing = p != NULL && p->mode == STS_MODE_TESTING
                              ? " (in mode testing the reports are how you see failures)"
                              : "";

    snprintf(what, sizeof(what), "TXT lookup of _smtp._tls.%s", f->domain);
    if (assess_lookup_failed(r, "tlsrpt", what, t->done, t->st, t->detail, REPORT_WARNING))
        return;
    enum tlsrpt_status st = TLSRPT_NONE;
    if (t->st == DNS_OK && t->n > 0)
        st = tlsrpt_select(t->rrs, t->n, &rpt, &which, &why);
    /* A long record comes cut to DNS_MAX_TXT + 1 bytes (dns_txt()), which is
     * over TLSRPT_MAX: invalid, never judged by its start. */
    if (st == TLSRPT_OK) {
        it = report_add(r, "tlsrpt", REPORT_OK, "_smtp._tls.%s: reports go to %.*s%s", f->domain,
                        (int)rpt.rua[0].len, rpt.rua[0].p, rpt.n_rua > 1 ? " and more" : "");
        for (size_t i = 0; i < rpt.n_rua && i < TLSRPT_MAX_RUA; i++)
            report_detail_pushn(it, "rua", rpt.rua[i].p, rpt.rua[i].len);
        return;
    }
    if (t->st != DNS_OK || t->n == 0)
        it = report_add(r, "tlsrpt", REPORT_WARNING,
                        "no TLSRPT record at _smtp._tls.%s: nobody reports failed TLS deliveries "
                        "to you%s",
                        f->domain, testing);
    else if (st == TLSRPT_INVALID)
        it = report_add(r, "tlsrpt", REPORT_WARNING,
                        "the TLSRPT record at _smtp._tls.%s is invalid (%s): senders send no "
                        "reports%s",
                        f->domain, why != NULL ? why : "syntax", testing);
    else
        it = report_add(r, "tlsrpt", REPORT_WARNING, "_smtp._tls.%s: %s: senders send no reports%s",
                        f->domain, tlsrpt_strerror(st), testing);
    if (t->st == DNS_OK)
        for (size_t i = 0; i < t->n; i++)
            report_detail_pushn(it, "records", t->rrs[i].data, t->rrs[i].len);
    report_fix(it,
               "publish _smtp._tls.%s. IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@%s\" (an "
               "address that reads the reports)",
               f->domain, f->domain);
}

void assess(const struct assess_facts *f, struct report *r)
{
    struct sts_policy *p = NULL;

    assess_txt(f, r);
    if (assess_host(f, r))
        p = assess_policy(f, r);
    else
        report_add(r, "policy", REPORT_ERROR,
                   "not checked: senders cannot fetch the policy (see above)");
    assess_mx(f, p, r);
    assess_probe(f, p, r);
    assess_tlsrpt(f, p, r);
    sts_policy_free(p);
}

/*
 * check_assess - unit tests for src/assess.c: what the facts about a
 * domain mean.
 *
 * A correct domain's facts (every item ok) are the baseline; each row of
 * the table changes one thing, as a broken setup would, and names the
 * item, severity and words the owner must see (and, where there is one,
 * a part of the fix).  Further tests check the baseline itself, the
 * order of the items and the timestamp rule.  No network: the facts are
 * built here as domcheck.c builds them from dns and https.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "assess.h"
#include "report.h"
#include "tlsinfo.h"

#define NOW 1796279400 /* 2026-12-03 06:30:00 UTC */
#define DAY 86400

#define GOOD_POLICY                                                                                \
    "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmx: *.example.net\nmax_age: 604800\n"

/* Storage for one set of facts. */
struct fx {
    struct assess_facts f;
    struct sts_txt_rr sts[4];
    struct sts_txt_rr rpt[4];
    const char *addrs[2];
    struct dnsmsg_rr mx[4];
    struct https_result fetch, hs;
    struct tlsinfo tls, hs_tls;
    char body[1024];
    /* the MX probe (off unless a row turns it on) */
    struct assess_mxhost hosts[2];
    struct mxprobe_result pr[2];
    struct tlsinfo ptls[2];
    struct dane_cert chain[2];
    struct dnsmsg_rr tlsa[2];
};

static void rr(struct sts_txt_rr *r, const char *s)
{
    r->data = s;
    r->len = strlen(s);
}

/* An MX record as dns_mx_sec() gives it. */
static void mx(struct dnsmsg_rr *r, unsigned pref, const char *host)
{
    memset(r, 0, sizeof(*r));
    r->type = DNSMSG_T_MX;
    r->u.mx.pref = (uint16_t)pref;
    snprintf(r->u.mx.exchange, sizeof(r->u.mx.exchange), "%s", host);
}

static void fx_good(struct fx *x)
{
    memset(x, 0, sizeof(*x));
    x->f.domain = "example.com";
    x->f.now = NOW;
    x->f.fetch_limit_ms = 60000;

    rr(&x->sts[0], "v=STSv1; id=20261203063000Z");
    x->f.sts = (struct assess_txt){true, DNS_OK, "1 record", x->sts, 1, false, NULL};

    x->addrs[0] = "192.0.2.1";
    x->addrs[1] = "2001:db8::1";
    x->f.addr.done = true;
    x->f.addr.st = DNS_OK;
    x->f.addr.detail = "2 addresses";
    x->f.addr.addrs = x->addrs;
    x->f.addr.n = 2;

    snprintf(x->body, sizeof(x->body), "%s", GOOD_POLICY);
    x->tls.valid = true;
    x->tls.have_cert = true;
    snprintf(x->tls.version, sizeof(x->tls.version), "TLSv1.3");
    snprintf(x->tls.subject, sizeof(x->tls.subject), "CN=mta-sts.example.com");
    snprintf(x->tls.issuer, sizeof(x->tls.issuer), "CN=Test CA");
    snprintf(x->tls.names[0], sizeof(x->tls.names[0]), "mta-sts.example.com");
    x->tls.n_names = x->tls.n_names_total = 1;
    x->tls.not_before = NOW - 30 * DAY;
    x->tls.not_after = NOW + 60 * DAY;
    x->tls.chain_len = 2;
    x->fetch = (struct https_result){
        .st = HTTPS_OK,
        .http_code = 200,
        .body = x->body,
        .len = strlen(x->body),
        .detail = "98 bytes",
        .content_type = "text/plain; charset=utf-8",
        .location = "",
        .address = "192.0.2.1",
        .content_length = -1,
        .connect_ms = 20,
        .tls_ms = 60,
        .total_ms = 120,
        .tls = &x->tls,
    };
    x->f.fetch = &x->fetch;

    mx(&x->mx[0], 10, "mx1.example.com");
    mx(&x->mx[1], 20, "in.example.net");
    x->f.mx.done = true;
    x->f.mx.st = DNS_OK;
    x->f.mx.detail = "2 records";
    x->f.mx.rrs = x->mx;
    x->f.mx.n = 2;

    rr(&x->rpt[0], "v=TLSRPTv1; rua=mailto:tlsrpt@example.com");
    x->f.tlsrpt = (struct assess_txt){true, DNS_OK, "1 record", x->rpt, 1, false, NULL};
}

static void set_policy(struct fx *x, const char *body)
{
    snprintf(x->body, sizeof(x->body), "%s", body);
    x->fetch.len = strlen(x->body);
}

static void fail_fetch(struct fx *x, enum https_status st, long code, const char *detail)
{
    x->fetch.st = st;
    x->fetch.http_code = code;
    x->fetch.body = NULL;
    x->fetch.len = 0;
    x->fetch.detail = detail;
}

/* Handshake facts for the second look (a refused certificate). */
static void second_look(struct fx *x, const char *name, int64_t not_after)
{
    x->hs_tls = x->tls;
    snprintf(x->hs_tls.names[0], sizeof(x->hs_tls.names[0]), "%s", name);
    x->hs_tls.not_after = not_after;
    x->hs = (struct https_result){.st = HTTPS_OK,
                                  .detail = "handshake completed (not verified)",
                                  .content_type = "",
                                  .location = "",
                                  .address = "192.0.2.1",
                                  .content_length = -1,
                                  .tls = &x->hs_tls};
    x->f.handshake = &x->hs;
}

/* ---- one broken thing per row ------------------------------------------ */

static void m_txt_nodata(struct fx *x)
{
    x->f.sts = (struct assess_txt){true, DNS_NODATA, "NXDOMAIN", NULL, 0, false, NULL};
}
static void m_txt_tempfail(struct fx *x)
{
    x->f.sts = (struct assess_txt){true, DNS_TEMPFAIL, "SERVFAIL", NULL, 0, false, NULL};
}
static void m_txt_deadline(struct fx *x)
{
    x->f.sts.done = false;
}
static void m_txt_others_only(struct fx *x)
{
    rr(&x->sts[0], "v=spf1 -all");
    rr(&x->sts[1], "v=STSv10; id=1");
    x->f.sts.n = 2;
}
static void m_txt_two(struct fx *x)
{
    rr(&x->sts[1], "v=STSv1; id=2");
    x->f.sts.n = 2;
}
static void m_txt_invalid(struct fx *x)
{
    rr(&x->sts[0], "v=STSv1; id=2026-12-03");
}
static void m_txt_with_others(struct fx *x)
{
    rr(&x->sts[1], "google-site-verification=abc");
    x->f.sts.n = 2;
}
static void m_txt_plain_id(struct fx *x)
{
    rr(&x->sts[0], "v=STSv1; id=abc123");
}
/* dns_txt() passes every record, long ones cut to DNS_MAX_TXT + 1 bytes
 * with oversize set; what counts is the v=STSv1 record (as fetch.c). */
static char cut_record[DNS_MAX_TXT + 2];
static void cut(const char *prefix)
{
    memset(cut_record, 'x', DNS_MAX_TXT + 1);
    memcpy(cut_record, prefix, strlen(prefix));
    cut_record[DNS_MAX_TXT + 1] = '\0';
}
static void m_txt_long_other(struct fx *x)
{
    cut("google-site-verification=");
    rr(&x->sts[1], cut_record);
    x->f.sts.n = 2;
    x->f.sts.oversize = true;
}
static void m_txt_long_sts(struct fx *x)
{
    cut("v=STSv1; id=1; x=");
    rr(&x->sts[0], cut_record);
    x->f.sts.oversize = true;
}
static void m_rpt_long(struct fx *x)
{
    cut("v=TLSRPTv1; rua=mailto:tlsrpt@example.com; x=");
    rr(&x->rpt[0], cut_record);
    x->f.tlsrpt.oversize = true;
}
static void m_txt_cname(struct fx *x)
{
    x->f.sts.cname = "_mta-sts.hosting.example";
}
static void m_txt_cname_nodata(struct fx *x)
{
    m_txt_nodata(x);
    x->f.sts.cname = "_mta-sts.hosting.example";
}
static void m_addr_nodata(struct fx *x)
{
    x->f.addr.st = DNS_NODATA;
    x->f.addr.n = 0;
    x->f.addr.detail = "A: NXDOMAIN, AAAA: NXDOMAIN";
    x->f.fetch = NULL;
}
static void m_fetch_deadline(struct fx *x)
{
    x->f.fetch = NULL;
}
static void m_connect(struct fx *x)
{
    fail_fetch(x, HTTPS_ERR_CONNECT, 0, "Failed to connect: Connection refused");
}
static void m_timeout(struct fx *x)
{
    fail_fetch(x, HTTPS_ERR_TIMEOUT, 0, "Operation timed out after 60000 milliseconds");
}
static void m_cert_plain(struct fx *x)
{
    fail_fetch(x, HTTPS_ERR_CERT, 0, "SSL certificate problem: certificate has expired");
}
static void m_cert_expired(struct fx *x)
{
    m_cert_plain(x);
    second_look(x, "mta-sts.example.com", 1577923200); /* 2020-01-02 */
}
static void m_cert_wrong_name(struct fx *x)
{
    fail_fetch(x, HTTPS_ERR_CERT, 0, "SSL: no alternative certificate subject name matches");
    second_look(x, "www.example.org", NOW + 100 * DAY);
}
static void m_tls(struct fx *x)
{
    fail_fetch(x, HTTPS_ERR_TLS, 0, "tlsv1 alert protocol version");
}
static void m_tls_old(struct fx *x)
{
    m_tls(x);
    second_look(x, "mta-sts.example.com", NOW + 100 * DAY);
    snprintf(x->hs_tls.version, sizeof(x->hs_tls.version), "TLSv1.1");
}
static void m_redirect(struct fx *x)
{
    fail_fetch(x, HTTPS_ERR_REDIRECT, 301, "HTTP 301 redirect");
    x->fetch.location = "https://www.example.com/mta-sts.txt";
}
static void m_status(struct fx *x)
{
    fail_fetch(x, HTTPS_ERR_STATUS, 404, "HTTP 404");
}
static void m_media(struct fx *x)
{
    fail_fetch(x, HTTPS_ERR_MEDIA_TYPE, 200, "Content-Type text/html");
    x->fetch.content_type = "text/html";
}
static void m_media_hostile(struct fx *x)
{
    fail_fetch(x, HTTPS_ERR_MEDIA_TYPE, 200, "Content-Type ?");
    x->fetch.content_type = "text/\x1b[2Jhtml";
}
static void m_too_large(struct fx *x)
{
    fail_fetch(x, HTTPS_ERR_TOO_LARGE, 200, "body larger than 65536 bytes");
}
static void m_slow(struct fx *x)
{
    x->fetch.total_ms = 12500;
}
static void m_not_slow(struct fx *x)
{
    x->fetch.total_ms = 9999;
}
static void m_cert_soon(struct fx *x)
{
    x->tls.not_after = NOW + 5 * DAY + 3600;
}
static void m_cert_later(struct fx *x)
{
    x->tls.not_after = NOW + 15 * DAY;
}
static void m_syntax(struct fx *x)
{
    set_policy(x, "version: STSv1\nmode: enforce\nmx mx1.example.com\nmax_age: 604800\n");
}
static void m_miscased(struct fx *x)
{
    set_policy(x, "version: STSv1\nMode: enforce\nmx: mx1.example.com\nmax_age: 604800\n");
}
static void m_max_age_high(struct fx *x)
{
    set_policy(x, "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 31557601\n");
}
static void m_max_age_low(struct fx *x)
{
    set_policy(x, "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmx: *.example.net\n"
                  "max_age: 3600\n");
}
static void m_testing(struct fx *x)
{
    set_policy(x, "version: STSv1\nmode: testing\nmx: mx1.example.com\nmx: *.example.net\n"
                  "max_age: 86400\n");
}
static void m_none(struct fx *x)
{
    set_policy(x, "version: STSv1\nmode: none\nmax_age: 86400\n");
}
static void m_repeated(struct fx *x)
{
    set_policy(x, "version: STSv1\nmode: enforce\nmode: testing\nmx: mx1.example.com\n"
                  "mx: *.example.net\nmax_age: 604800\n");
}
static void m_extensions(struct fx *x)
{
    set_policy(x, GOOD_POLICY "x-note: hello\n");
}
static void m_crlf(struct fx *x)
{
    set_policy(x, "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.example.net\r\n"
                  "max_age: 604800\r\n");
}
static void m_uncovered(struct fx *x)
{
    mx(&x->mx[1], 20, "in.mail.example.net"); /* "*" covers one label only */
}
static void m_uncovered_testing(struct fx *x)
{
    m_testing(x);
    m_uncovered(x);
}
static void m_no_mx(struct fx *x)
{
    x->f.mx.st = DNS_NODATA;
    x->f.mx.n = 0;
    x->f.mx.detail = "no records";
}
static void m_null_mx(struct fx *x)
{
    mx(&x->mx[0], 0, ".");
    x->f.mx.n = 1;
}
static void m_mx_tempfail(struct fx *x)
{
    x->f.mx.st = DNS_TEMPFAIL;
    x->f.mx.n = 0;
    x->f.mx.detail = "SERVFAIL";
}
static void m_mx_bad_name(struct fx *x)
{
    mx(&x->mx[1], 20, "in_bound!.example.net");
}
static void m_rpt_missing(struct fx *x)
{
    x->f.tlsrpt = (struct assess_txt){true, DNS_NODATA, "NXDOMAIN", NULL, 0, false, NULL};
}
static void m_rpt_missing_testing(struct fx *x)
{
    m_testing(x);
    m_rpt_missing(x);
}
static void m_rpt_invalid(struct fx *x)
{
    rr(&x->rpt[0], "v=TLSRPTv1; rua=tlsrpt@example.com");
}
static void m_rpt_two(struct fx *x)
{
    rr(&x->rpt[1], "v=TLSRPTv1; rua=mailto:other@example.com");
    x->f.tlsrpt.n = 2;
}
static void m_rpt_tempfail(struct fx *x)
{
    x->f.tlsrpt = (struct assess_txt){true, DNS_TEMPFAIL, "timeout", NULL, 0, false, NULL};
}

/* ---- the MX probe ----------------------------------------------------------- */

/* Host i probed: STARTTLS, TLS 1.3, a trusted certificate naming it. */
static void probe_host(struct fx *x, size_t i, const char *host, unsigned pref, const char *addr)
{
    struct assess_mxhost *h = &x->hosts[i];
    struct tlsinfo *t = &x->ptls[i];

    memset(h, 0, sizeof(*h));
    h->host = host;
    h->preference = pref;
    h->addr.done = true;
    h->addr.st = DNS_OK;
    h->addr.detail = "1 record";
    h->addr.n = 1;
    h->tlsa.done = true;
    h->tlsa.st = DNS_NODATA;
    memset(t, 0, sizeof(*t));
    t->valid = t->have_cert = t->verify_known = t->verify_ok = true;
    snprintf(t->version, sizeof(t->version), "TLSv1.3");
    snprintf(t->cipher, sizeof(t->cipher), "TLS_AES_256_GCM_SHA384");
    snprintf(t->subject, sizeof(t->subject), "CN=%s", host);
    snprintf(t->issuer, sizeof(t->issuer), "CN=Test CA");
    snprintf(t->names[0], sizeof(t->names[0]), "%s", host);
    snprintf(t->verify_error, sizeof(t->verify_error), "ok");
    t->n_names = t->n_names_total = 1;
    t->not_before = NOW - 30 * DAY;
    t->not_after = NOW + 90 * DAY;
    t->chain_len = 1;
    x->pr[i] = (struct mxprobe_result){.st = MXPROBE_TLS,
                                       .host = host,
                                       .address = addr,
                                       .detail = "TLS handshake done",
                                       .greeting = "mx ESMTP",
                                       .greeting_code = 220,
                                       .ehlo_code = 250,
                                       .starttls_code = 220,
                                       .starttls_offered = true,
                                       .tls = t,
                                       .chain = &x->chain[i],
                                       .nchain = 1,
                                       .elapsed_ms = 12};
    h->probe = &x->pr[i];
    memset(&x->chain[i], 0, sizeof(x->chain[i]));
    for (size_t k = 0; k < 32; k++)
        x->chain[i].sha256[1][k] = (uint8_t)(i * 50 + k);
}

static void m_probe(struct fx *x)
{
    probe_host(x, 0, "mx1.example.com", 10, "192.0.2.25");
    probe_host(x, 1, "in.example.net", 20, "192.0.2.26");
    x->f.probe.enabled = true;
    x->f.probe.n = 2;
    x->f.probe.hosts = x->hosts;
}
static void m_probe_no_starttls(struct fx *x)
{
    m_probe(x);
    x->pr[1].st = MXPROBE_NO_STARTTLS;
    x->pr[1].starttls_offered = false;
    x->pr[1].detail = "EHLO does not offer STARTTLS";
    x->ptls[1].valid = false;
}
static void m_probe_no_starttls_testing(struct fx *x)
{
    m_testing(x);
    m_probe_no_starttls(x);
}
static void m_probe_no_policy(struct fx *x)
{
    m_probe_no_starttls(x);
    fail_fetch(x, HTTPS_ERR_STATUS, 404, "HTTP 404");
}
static void m_probe_starttls_refused(struct fx *x)
{
    m_probe(x);
    x->pr[1].st = MXPROBE_STARTTLS_REFUSED;
    x->pr[1].detail = "STARTTLS answered 454 4.7.0 TLS not available";
    x->ptls[1].valid = false;
}
static void m_probe_tls_failed(struct fx *x)
{
    m_probe(x);
    x->pr[1].st = MXPROBE_TLS_FAILED;
    x->pr[1].detail = "TLS handshake failed: wrong version number";
    x->ptls[1].valid = false;
}
static void m_probe_protocol(struct fx *x)
{
    m_probe(x);
    x->pr[1].st = MXPROBE_PROTOCOL;
    x->pr[1].detail = "the greeting is not SMTP: not an SMTP reply line";
    x->ptls[1].valid = false;
}
static void m_probe_expired(struct fx *x)
{
    m_probe(x);
    x->ptls[1].verify_ok = false;
    x->ptls[1].not_after = 1577923200; /* 2020-01-02 */
    snprintf(x->ptls[1].verify_error, sizeof(x->ptls[1].verify_error), "certificate has expired");
}
static void m_probe_untrusted(struct fx *x)
{
    m_probe(x);
    x->ptls[1].verify_ok = false;
    snprintf(x->ptls[1].verify_error, sizeof(x->ptls[1].verify_error), "self-signed certificate");
    snprintf(x->ptls[1].issuer, sizeof(x->ptls[1].issuer), "CN=in.example.net");
}
static void m_probe_wrong_name(struct fx *x)
{
    m_probe(x);
    snprintf(x->ptls[1].names[0], sizeof(x->ptls[1].names[0]), "*.example.org");
}
static void m_probe_wildcard(struct fx *x)
{
    m_probe(x);
    snprintf(x->ptls[1].names[0], sizeof(x->ptls[1].names[0]), "*.example.net");
}
static void m_probe_deep_wildcard(struct fx *x)
{
    m_probe(x);
    x->hosts[1].host = x->pr[1].host = "a.in.example.net";
    snprintf(x->ptls[1].names[0], sizeof(x->ptls[1].names[0]), "*.example.net");
}
static void m_probe_soon(struct fx *x)
{
    m_probe(x);
    x->ptls[1].not_after = NOW + 5 * DAY + 3600;
}
static void m_probe_old_tls(struct fx *x)
{
    m_probe(x);
    snprintf(x->ptls[1].version, sizeof(x->ptls[1].version), "TLSv1.1");
}
static void m_probe_no_cert(struct fx *x)
{
    m_probe(x);
    x->ptls[1].have_cert = false;
    x->ptls[1].verify_ok = false;
}
static void m_probe_not_tested(struct fx *x)
{
    m_probe(x);
    x->pr[1].st = MXPROBE_NOT_TESTED;
    x->pr[1].detail = "no connection to port 25 (192.0.2.26: Connection timed out)";
    x->ptls[1].valid = false;
}
static void m_probe_all_untested(struct fx *x)
{
    m_probe_not_tested(x);
    x->hosts[0].addr.done = false; /* the deadline */
    x->hosts[0].probe = NULL;
    x->f.probe.skipped = 3;
}
static void m_probe_no_addr(struct fx *x)
{
    m_probe(x);
    x->hosts[1].addr.st = DNS_NODATA;
    x->hosts[1].addr.n = 0;
    x->hosts[1].addr.detail = "A: NXDOMAIN, AAAA: NXDOMAIN";
    x->hosts[1].probe = NULL;
}
static void m_probe_addr_tempfail(struct fx *x)
{
    m_probe(x);
    x->hosts[1].addr.st = DNS_TEMPFAIL;
    x->hosts[1].addr.n = 0;
    x->hosts[1].addr.detail = "A: SERVFAIL, AAAA: SERVFAIL";
    x->hosts[1].probe = NULL;
}
/* DANE on host 1: secure MX and addresses, one 3 1 1 record. */
static void m_dane(struct fx *x, bool match, unsigned usage)
{
    m_probe(x);
    x->f.probe.mx_secure = true;
    x->hosts[1].addr.ad = true;
    x->hosts[1].tlsa.st = DNS_OK;
    x->hosts[1].tlsa.ad = true;
    x->hosts[1].tlsa.n = 1;
    x->hosts[1].tlsa.rrs = x->tlsa;
    memset(&x->tlsa[0], 0, sizeof(x->tlsa[0]));
    x->tlsa[0].type = DNSMSG_T_TLSA;
    x->tlsa[0].u.tlsa.usage = (uint8_t)usage;
    x->tlsa[0].u.tlsa.selector = 1;
    x->tlsa[0].u.tlsa.mtype = 1;
    x->tlsa[0].u.tlsa.data = x->chain[match ? 1 : 0].sha256[1];
    x->tlsa[0].u.tlsa.len = 32;
}
static void m_dane_match(struct fx *x)
{
    m_dane(x, true, 3);
}
static void m_dane_mismatch(struct fx *x)
{
    m_dane(x, false, 3);
}
static void m_dane_unusable(struct fx *x)
{
    m_dane(x, true, 1);
}
static void m_dane_bogus(struct fx *x)
{
    m_dane(x, true, 3);
    x->hosts[1].tlsa.st = DNS_TEMPFAIL;
    x->hosts[1].tlsa.ad = false;
    x->hosts[1].tlsa.n = 0;
}
static void m_dane_untested(struct fx *x)
{
    m_dane(x, true, 3);
    x->pr[1].st = MXPROBE_NOT_TESTED;
    x->pr[1].detail = "no greeting within 30 s";
}
static void m_dane_no_starttls(struct fx *x)
{
    m_dane(x, true, 3);
    x->pr[1].st = MXPROBE_NO_STARTTLS;
    x->pr[1].detail = "EHLO does not offer STARTTLS";
    x->ptls[1].valid = false;
}
/* Host 1's validated addresses came through a CNAME to real.example.org:
 * a mismatching record at its name, a matching one at the target
 * (RFC 7672 section 2.2.2: the target's decides unless it has none). */
static void m_dane_target(struct fx *x)
{
    m_dane(x, false, 3);
    x->hosts[1].target = "real.example.org";
    x->hosts[1].target_tlsa.done = true;
    x->hosts[1].target_tlsa.st = DNS_OK;
    x->hosts[1].target_tlsa.ad = true;
    x->hosts[1].target_tlsa.n = 1;
    x->hosts[1].target_tlsa.rrs = &x->tlsa[1];
    x->tlsa[1] = x->tlsa[0];
    x->tlsa[1].u.tlsa.data = x->chain[1].sha256[1];
}
static void m_dane_target_empty(struct fx *x)
{
    m_dane_target(x);
    x->tlsa[0].u.tlsa.data = x->chain[1].sha256[1]; /* the name's matches */
    x->hosts[1].target_tlsa.st = DNS_NODATA;
    x->hosts[1].target_tlsa.n = 0;
    x->hosts[1].target_tlsa.rrs = NULL;
}
static void m_dane_target_bogus(struct fx *x)
{
    m_dane_target(x);
    x->tlsa[0].u.tlsa.data = x->chain[1].sha256[1];
    x->hosts[1].target_tlsa.st = DNS_TEMPFAIL;
    x->hosts[1].target_tlsa.ad = false;
    x->hosts[1].target_tlsa.n = 0;
}
static void m_dane_target_deadline(struct fx *x)
{
    m_dane_target(x);
    x->tlsa[0].u.tlsa.data = x->chain[1].sha256[1];
    x->hosts[1].target_tlsa.done = false;
}

struct row {
    const char *name;
    void (*mod)(struct fx *);
    const char *item;
    enum report_severity sev;
    const char *words; /* in the item's message */
    const char *fix;   /* in its fix; NULL: no fix expected */
    enum report_severity worst;
};

static const struct row rows[] = {
    /* TXT _mta-sts */
    {"no TXT", m_txt_nodata, "txt", REPORT_ERROR, "no TXT record at _mta-sts.example.com",
     "IN TXT \"v=STSv1; id=20261203063000Z\"", REPORT_ERROR},
    {"TXT SERVFAIL", m_txt_tempfail, "txt", REPORT_ERROR, "failed: SERVFAIL", "name servers",
     REPORT_ERROR},
    {"TXT no answer", m_txt_deadline, "txt", REPORT_ERROR, "deadline", "name servers",
     REPORT_ERROR},
    {"TXT others only", m_txt_others_only, "txt", REPORT_ERROR,
     "none of the 2 TXT records at _mta-sts.example.com begins with v=STSv1",
     "v=STSv1; id=", REPORT_ERROR},
    {"two STSv1 records", m_txt_two, "txt", REPORT_ERROR, "2 TXT records", "exactly one",
     REPORT_ERROR},
    {"invalid id", m_txt_invalid, "txt", REPORT_ERROR, "id must be 1-32 letters and digits",
     "v=STSv1; id=", REPORT_ERROR},
    {"other TXT records are fine", m_txt_with_others, "txt", REPORT_OK, "ignored; fine", NULL,
     REPORT_OK},
    {"id advice", m_txt_plain_id, "txt.id", REPORT_OK, "a UTC timestamp such as 20261203063000Z",
     NULL, REPORT_OK},
    {"a long foreign TXT record, cut: fine", m_txt_long_other, "txt", REPORT_OK,
     "one valid v=STSv1 record, id 20261203063000Z", NULL, REPORT_OK},
    {"a long v=STSv1 record, cut: invalid", m_txt_long_sts, "txt", REPORT_ERROR,
     "is invalid (the record is longer than 4096 bytes)", "v=STSv1; id=", REPORT_ERROR},
    {"TXT through a CNAME", m_txt_cname, "txt", REPORT_OK,
     "one valid v=STSv1 record, id 20261203063000Z (through the CNAME to "
     "_mta-sts.hosting.example)",
     NULL, REPORT_OK},
    {"CNAME to nothing", m_txt_cname_nodata, "txt", REPORT_ERROR,
     "no TXT record at _mta-sts.example.com (CNAME to _mta-sts.hosting.example: NXDOMAIN)",
     "IN TXT", REPORT_ERROR},
    /* the policy host */
    {"no address", m_addr_nodata, "host.address", REPORT_ERROR, "no A or AAAA record",
     "point mta-sts.example.com", REPORT_ERROR},
    {"no fetch result", m_fetch_deadline, "host.https", REPORT_ERROR, "deadline", NULL,
     REPORT_ERROR},
    {"connection refused", m_connect, "host.connect", REPORT_ERROR, "Connection refused",
     "port 443", REPORT_ERROR},
    {"timeout", m_timeout, "host.time", REPORT_ERROR, "within 60 s", "static file", REPORT_ERROR},
    {"certificate refused, no second look", m_cert_plain, "host.certificate", REPORT_ERROR,
     "certificate has expired", "public CA", REPORT_ERROR},
    {"expired certificate", m_cert_expired, "host.certificate", REPORT_ERROR,
     "(names: mta-sts.example.com; expired 2020-01-02)", "not expired", REPORT_ERROR},
    {"wrong-name certificate", m_cert_wrong_name, "host.certificate", REPORT_ERROR,
     "names: www.example.org; expires", "for mta-sts.example.com", REPORT_ERROR},
    {"TLS failure", m_tls, "host.tls", REPORT_ERROR, "protocol version", "TLS 1.2", REPORT_ERROR},
    {"TLS 1.1 only", m_tls_old, "host.tls", REPORT_ERROR, "completes with TLSv1.1", "TLS 1.2",
     REPORT_ERROR},
    {"redirect", m_redirect, "host.http", REPORT_ERROR,
     "HTTP 301 redirect to https://www.example.com/mta-sts.txt: senders never follow",
     "serve the policy itself", REPORT_ERROR},
    {"404", m_status, "host.http", REPORT_ERROR, "HTTP 404", "/.well-known/mta-sts.txt",
     REPORT_ERROR},
    {"wrong media type", m_media, "host.media_type", REPORT_ERROR,
     "Content-Type is text/html: senders require text/plain", "text/plain", REPORT_ERROR},
    {"hostile media type", m_media_hostile, "host.media_type", REPORT_ERROR,
     "Content-Type is text/?[2Jhtml", "text/plain", REPORT_ERROR},
    {"oversized body", m_too_large, "host.size", REPORT_ERROR, "larger than 65536 bytes",
     "few lines", REPORT_ERROR},
    {"slow", m_slow, "host.time", REPORT_WARNING, "took 12.5 s", "static file", REPORT_WARNING},
    {"just under 10 s", m_not_slow, "host.time", REPORT_OK, "fetched in 9.999 s", NULL, REPORT_OK},
    {"certificate expires soon", m_cert_soon, "host.certificate", REPORT_WARNING, "in 5 days",
     "renew", REPORT_WARNING},
    {"certificate expires in 15 days", m_cert_later, "host.certificate", REPORT_OK, "(15 days)",
     NULL, REPORT_OK},
    /* the policy */
    {"syntax error", m_syntax, "policy.syntax", REPORT_ERROR, "line 3: expected \"key: value\"",
     "version: STSv1", REPORT_ERROR},
    {"miscased key", m_miscased, "policy.mode", REPORT_ERROR,
     "no mode line (keys are case-sensitive: 'Mode' is not a key)", "mode: testing", REPORT_ERROR},
    {"max_age too high", m_max_age_high, "policy.max_age", REPORT_ERROR, "larger than 31557600",
     "max_age", REPORT_ERROR},
    {"max_age under a day", m_max_age_low, "policy.max_age", REPORT_WARNING,
     "max_age 3600 (1.0 hours) is under a day", "604800", REPORT_WARNING},
    {"mode testing", m_testing, "policy.mode", REPORT_WARNING, "testing: senders deliver",
     "change to \"mode: enforce\" and publish a new id (e.g. id=20261203063000Z)", REPORT_WARNING},
    {"mode none", m_none, "policy.mode", REPORT_WARNING, "none: senders drop the policy",
     "withdraw", REPORT_WARNING},
    {"mode none: no coverage", m_none, "mx.covered", REPORT_OK, "mode none", NULL, REPORT_WARNING},
    {"repeated key", m_repeated, "policy.keys", REPORT_WARNING,
     "repeated key: mode (2 times); senders use the first", "one line per key", REPORT_WARNING},
    {"repeated key keeps the first", m_repeated, "policy.mode", REPORT_OK, "enforce", NULL,
     REPORT_WARNING},
    {"unknown key is fine", m_extensions, "policy.syntax", REPORT_OK, "6 lines", NULL, REPORT_OK},
    {"CRLF is fine", m_crlf, "policy.syntax", REPORT_OK, "CRLF line ends", NULL, REPORT_OK},
    /* MX */
    {"MX not covered, enforce", m_uncovered, "mx.covered", REPORT_ERROR,
     "in.mail.example.net matches no mx line of the policy: senders refuse",
     "add \"mx: in.mail.example.net\"", REPORT_ERROR},
    {"MX not covered, testing", m_uncovered_testing, "mx.covered", REPORT_WARNING,
     "under enforce, senders would refuse it", "add \"mx: in.mail.example.net\"", REPORT_WARNING},
    {"no MX", m_no_mx, "mx", REPORT_WARNING, "implicit MX", "publish MX records", REPORT_ERROR},
    {"no MX: the domain itself is not covered", m_no_mx, "mx.covered", REPORT_ERROR,
     "example.com (implicit MX) matches no mx line", "mx: example.com", REPORT_ERROR},
    {"null MX", m_null_mx, "mx", REPORT_WARNING, "null MX", NULL, REPORT_WARNING},
    {"MX SERVFAIL", m_mx_tempfail, "mx", REPORT_ERROR, "MX lookup of example.com failed",
     "name servers", REPORT_ERROR},
    {"MX bad host name", m_mx_bad_name, "mx.covered", REPORT_ERROR,
     "'in_bound!.example.net' is not a valid host name", "real mail hosts", REPORT_ERROR},
    /* TLSRPT */
    {"TLSRPT missing", m_rpt_missing, "tlsrpt", REPORT_WARNING, "no TLSRPT record",
     "_smtp._tls.example.com. IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@example.com\"",
     REPORT_WARNING},
    {"TLSRPT missing in testing", m_rpt_missing_testing, "tlsrpt", REPORT_WARNING,
     "in mode testing the reports are how you see failures", "v=TLSRPTv1", REPORT_WARNING},
    {"TLSRPT invalid", m_rpt_invalid, "tlsrpt", REPORT_WARNING, "invalid (a rua URI must start",
     "v=TLSRPTv1", REPORT_WARNING},
    {"TLSRPT twice", m_rpt_two, "tlsrpt", REPORT_WARNING, "more than one", "v=TLSRPTv1",
     REPORT_WARNING},
    {"TLSRPT lookup failed", m_rpt_tempfail, "tlsrpt", REPORT_WARNING, "failed: timeout",
     "name servers", REPORT_WARNING},
    {"TLSRPT record cut", m_rpt_long, "tlsrpt", REPORT_WARNING,
     "invalid (the record is longer than 4096 bytes)", "v=TLSRPTv1", REPORT_WARNING},
    /* the MX probe */
    {"probe: good hosts", m_probe, "mx.host", REPORT_OK,
     "in.example.net [192.0.2.26]: STARTTLS, TLSv1.3, certificate valid for in.example.net "
     "(issuer CN=Test CA, expires 2027-03-03)",
     NULL, REPORT_OK},
    {"probe: no STARTTLS, enforce", m_probe_no_starttls, "mx.host", REPORT_ERROR,
     "in.example.net [192.0.2.26]: no STARTTLS in its answer to EHLO: senders refuse to deliver "
     "to it",
     "enable STARTTLS on in.example.net", REPORT_ERROR},
    {"probe: no STARTTLS, testing", m_probe_no_starttls_testing, "mx.host", REPORT_WARNING,
     "no STARTTLS in its answer to EHLO: under enforce, senders would refuse it", "STARTTLS",
     REPORT_WARNING},
    {"probe: no STARTTLS, no policy", m_probe_no_policy, "mx.host", REPORT_WARNING,
     "with an enforced MTA-STS policy, senders would refuse it", "STARTTLS", REPORT_ERROR},
    {"probe: STARTTLS refused", m_probe_starttls_refused, "mx.host", REPORT_ERROR,
     "STARTTLS is offered but fails: STARTTLS answered 454", "make STARTTLS work", REPORT_ERROR},
    {"probe: handshake failed", m_probe_tls_failed, "mx.host", REPORT_ERROR,
     "the TLS handshake fails: TLS handshake failed: wrong version number", "TLS 1.2",
     REPORT_ERROR},
    {"probe: not SMTP", m_probe_protocol, "mx.host", REPORT_ERROR, "the greeting is not SMTP",
     "SMTP server", REPORT_ERROR},
    {"probe: expired", m_probe_expired, "mx.host", REPORT_ERROR,
     "the certificate expired on 2020-01-02 (certificate has expired)", "not expired",
     REPORT_ERROR},
    {"probe: self-signed", m_probe_untrusted, "mx.host", REPORT_ERROR,
     "the certificate is not trusted: self-signed certificate (issuer CN=in.example.net)",
     "public CA", REPORT_ERROR},
    {"probe: wrong name", m_probe_wrong_name, "mx.host", REPORT_ERROR,
     "the certificate does not name in.example.net (its names: *.example.org)",
     "subjectAltName has in.example.net", REPORT_ERROR},
    {"probe: a wildcard one label up", m_probe_wildcard, "mx.host", REPORT_OK,
     "certificate valid for in.example.net", NULL, REPORT_OK},
    {"probe: a wildcard covers one label only", m_probe_deep_wildcard, "mx.host", REPORT_ERROR,
     "the certificate does not name a.in.example.net", "subjectAltName", REPORT_ERROR},
    {"probe: expires in 5 days", m_probe_soon, "mx.host", REPORT_WARNING,
     "in.example.net [192.0.2.26]: the certificate expires on 2026-12-08, in 5 days", "renew",
     REPORT_WARNING},
    {"probe: TLS 1.1", m_probe_old_tls, "mx.host", REPORT_WARNING, "TLSv1.1 is obsolete", "TLS 1.2",
     REPORT_WARNING},
    {"probe: no certificate", m_probe_no_cert, "mx.host", REPORT_ERROR,
     "no certificate was presented", "public CA", REPORT_ERROR},
    {"probe: not tested", m_probe_not_tested, "mx.untested", REPORT_WARNING,
     "1 MX host not tested from here: in.example.net (no connection to port 25 (192.0.2.26: "
     "Connection timed out)): many networks block outbound port 25",
     "port 25 open", REPORT_WARNING},
    {"probe: untested hosts are said once, with the count", m_probe_all_untested, "mx.untested",
     REPORT_WARNING,
     "5 MX hosts not tested from here: mx1.example.com (no address before the check's deadline); "
     "in.example.net (no connection",
     NULL, REPORT_WARNING},
    {"probe: hosts over the limit", m_probe_all_untested, "mx.untested", REPORT_WARNING,
     "(and more MX hosts than the probe's limit)", NULL, REPORT_WARNING},
    {"probe: no address", m_probe_no_addr, "mx.host", REPORT_WARNING,
     "in.example.net has no A or AAAA record (A: NXDOMAIN, AAAA: NXDOMAIN): senders cannot "
     "deliver to it",
     "publish the address of in.example.net", REPORT_WARNING},
    {"probe: address lookup failed", m_probe_addr_tempfail, "mx.host", REPORT_WARNING,
     "in.example.net: its address lookup failed (A: SERVFAIL, AAAA: SERVFAIL): senders cannot "
     "rely on it",
     "bad DNSSEC signatures", REPORT_WARNING},
    {"DANE: a matching 3 1 1 record", m_dane_match, "mx.dane", REPORT_OK,
     "in.example.net: the certificate matches its TLSA record 3 1 1 323334", NULL, REPORT_OK},
    {"DANE: no match", m_dane_mismatch, "mx.dane", REPORT_ERROR,
     "in.example.net: no usable TLSA record matches the certificate it presents: DANE senders "
     "refuse",
     "publish TLSA records for the certificate in use", REPORT_ERROR},
    {"DANE: unusable records", m_dane_unusable, "mx.dane", REPORT_WARNING,
     "no TLSA record is usable for SMTP", "3 1 1", REPORT_WARNING},
    {"DANE: bogus", m_dane_bogus, "mx.dane", REPORT_ERROR,
     "in.example.net: the TLSA lookup failed (a bogus signature, or no answer): DANE senders "
     "defer",
     "DNSSEC signatures", REPORT_ERROR},
    {"DANE: not tested from here", m_dane_untested, "mx.dane", REPORT_WARNING,
     "usable TLSA records; the certificate could not be compared (not tested from here)", NULL,
     REPORT_WARNING},
    {"DANE: usable records, no STARTTLS", m_dane_no_starttls, "mx.dane", REPORT_ERROR,
     "usable TLSA records but no TLS session (EHLO does not offer STARTTLS): DANE senders defer",
     "make STARTTLS work", REPORT_ERROR},
    {"DANE: the CNAME target's records decide", m_dane_target, "mx.dane", REPORT_OK,
     "in.example.net via its CNAME target real.example.org: the certificate matches its TLSA "
     "record 3 1 1 323334",
     NULL, REPORT_OK},
    {"DANE: none at the CNAME target, the name's decide", m_dane_target_empty, "mx.dane", REPORT_OK,
     "in.example.net: the certificate matches its TLSA record 3 1 1 323334", NULL, REPORT_OK},
    {"DANE: bogus at the CNAME target", m_dane_target_bogus, "mx.dane", REPORT_ERROR,
     "in.example.net via its CNAME target real.example.org: the TLSA lookup failed",
     "DNSSEC signatures of _25._tcp.real.example.org", REPORT_ERROR},
    {"DANE: no answer at the CNAME target", m_dane_target_deadline, "mx.dane", REPORT_ERROR,
     "in.example.net via its CNAME target real.example.org: the TLSA lookup failed", NULL,
     REPORT_ERROR},
};

static struct report *run(const struct fx *x)
{
    struct report *r = report_new(x->f.domain);
    assess(&x->f, r);
    return r;
}

START_TEST(test_row)
{
    const struct row *w = &rows[_i];
    struct fx x;
    const struct report_item *it;

    fx_good(&x);
    w->mod(&x);
    struct report *r = run(&x);
    /* The named item with the wanted severity (an item name may repeat). */
    it = NULL;
    for (size_t i = 0; i < report_items(r); i++) {
        const struct report_item *c = report_item_at(r, i);
        if (strcmp(report_item_name(c), w->item) == 0 && report_item_severity(c) == w->sev &&
            strstr(report_item_message(c), w->words) != NULL)
            it = c;
    }
    if (it == NULL) {
        for (size_t i = 0; i < report_items(r); i++) {
            const struct report_item *c = report_item_at(r, i);
            fprintf(stderr, "  %s %s %s\n", report_severity_name(report_item_severity(c)),
                    report_item_name(c), report_item_message(c));
        }
        ck_abort_msg("%s: no %s item '%s' containing '%s'", w->name, report_severity_name(w->sev),
                     w->item, w->words);
    }
    if (w->fix != NULL)
        ck_assert_msg(report_item_fix(it) != NULL && strstr(report_item_fix(it), w->fix) != NULL,
                      "%s: fix '%s', want '%s'", w->name,
                      report_item_fix(it) != NULL ? report_item_fix(it) : "(none)", w->fix);
    ck_assert_msg(report_worst(r) == w->worst, "%s: worst %s, want %s", w->name,
                  report_severity_name(report_worst(r)), report_severity_name(w->worst));
    report_free(r);
}
END_TEST

/* The baseline is all ok, in the documented order, with its facts. */
START_TEST(test_good)
{
    static const char *const order[] = {
        "txt",         "txt.id",          "host.address",   "host.tls",  "host.certificate",
        "host.http",   "host.media_type", "host.size",      "host.time", "policy.syntax",
        "policy.keys", "policy.mode",     "policy.max_age", "mx",        "mx.covered",
        "mx.covered",  "tlsrpt"};
    struct fx x;

    fx_good(&x);
    struct report *r = run(&x);
    ck_assert_uint_eq(report_items(r), sizeof(order) / sizeof(order[0]));
    for (size_t i = 0; i < report_items(r); i++) {
        const struct report_item *it = report_item_at(r, i);
        ck_assert_str_eq(report_item_name(it), order[i]);
        ck_assert_msg(report_item_severity(it) == REPORT_OK, "%s: %s", order[i],
                      report_item_message(it));
    }
    ck_assert_int_eq(report_worst(r), REPORT_OK);
    ck_assert_str_eq(report_item_detail(report_find(r, "txt"), "id"), "20261203063000Z");
    ck_assert_str_eq(report_item_detail(report_find(r, "host.address"), "addresses"),
                     "192.0.2.1, 2001:db8::1");
    ck_assert_str_eq(report_item_message(report_find(r, "host.tls")), "TLSv1.3");
    ck_assert_str_eq(report_item_detail(report_find(r, "host.certificate"), "not_after"),
                     "2027-02-01");
    ck_assert_str_eq(report_item_detail(report_find(r, "mx"), "records"),
                     "10 mx1.example.com, 20 in.example.net");
    ck_assert_str_eq(report_item_detail(report_item_at(r, 15), "pattern"), "*.example.net");
    ck_assert_str_eq(report_item_detail(report_find(r, "tlsrpt"), "rua"),
                     "mailto:tlsrpt@example.com");
    report_free(r);
}
END_TEST

/* Unknown keys are named in the details of the item that mentions them. */
START_TEST(test_unknown_keys)
{
    struct fx x;

    fx_good(&x);
    set_policy(&x, GOOD_POLICY "x-note: hello\nx-other: 1\nx-note: again\n");
    struct report *r = run(&x);
    const struct report_item *it = report_item_at(r, 11);
    ck_assert_str_eq(report_item_name(it), "policy.keys");
    ck_assert_str_eq(report_item_message(it), "2 unknown keys, ignored by senders (fine)");
    ck_assert_str_eq(report_item_detail(it, "unknown_keys"), "x-note, x-other");
    ck_assert_str_eq(report_item_detail(report_item_at(r, 10), "unknown_keys"), "");
    report_free(r);
}
END_TEST

/* Several failures at once: every one is reported, none hides another. */
START_TEST(test_everything_wrong)
{
    struct fx x;

    fx_good(&x);
    m_txt_two(&x);
    m_redirect(&x);
    m_null_mx(&x);
    m_rpt_invalid(&x);
    struct report *r = run(&x);
    ck_assert_int_eq(report_item_severity(report_find(r, "txt")), REPORT_ERROR);
    ck_assert_int_eq(report_item_severity(report_find(r, "host.http")), REPORT_ERROR);
    ck_assert_int_eq(report_item_severity(report_find(r, "policy")), REPORT_ERROR);
    ck_assert_int_eq(report_item_severity(report_find(r, "mx")), REPORT_WARNING);
    ck_assert_int_eq(report_item_severity(report_find(r, "tlsrpt")), REPORT_WARNING);
    ck_assert_ptr_null(report_find(r, "mx.covered"));
    ck_assert_ptr_null(report_find(r, "policy.mode"));
    report_free(r);
}
END_TEST

/* The probe's items: after mx.covered, before tlsrpt; one per host; the
 * facts the JSON carries. */
START_TEST(test_probe_items)
{
    struct fx x;
    const struct report_item *it;

    fx_good(&x);
    m_dane_match(&x);
    x.ptls[1].not_after = NOW + 5 * DAY + 3600; /* as m_probe_soon() */
    struct report *r = run(&x);
    static const char *const tail[] = {"mx.covered", "mx.covered", "mx.host",
                                       "mx.host",    "mx.dane",    "tlsrpt"};
    size_t n = report_items(r), k = sizeof(tail) / sizeof(tail[0]);
    ck_assert_uint_ge(n, k);
    for (size_t i = 0; i < k; i++)
        ck_assert_str_eq(report_item_name(report_item_at(r, n - k + i)), tail[i]);
    it = report_item_at(r, n - 3); /* in.example.net */
    ck_assert_str_eq(report_item_detail(it, "host"), "in.example.net");
    ck_assert_str_eq(report_item_detail(it, "address"), "192.0.2.26");
    ck_assert_str_eq(report_item_detail(it, "tls_version"), "TLSv1.3");
    ck_assert_str_eq(report_item_detail(it, "names"), "in.example.net");
    ck_assert_str_eq(report_item_detail(it, "issuer"), "CN=Test CA");
    ck_assert_str_eq(report_item_detail(it, "not_after"), "2026-12-08");
    ck_assert_str_eq(report_item_detail(it, "tlsa"), "usable");
    ck_assert_str_eq(report_item_detail(it, "greeting"), "220 mx ESMTP");
    ck_assert_str_eq(report_item_detail(it, "findings"),
                     "warning: the certificate expires on 2026-12-08, in 5 days");
    ck_assert_str_eq(report_item_detail(report_item_at(r, n - 4), "findings"),
                     "ok: STARTTLS with a trusted certificate for the host");
    ck_assert_str_eq(report_item_detail(report_item_at(r, n - 2), "state"), "usable");
    ck_assert_int_eq(report_worst(r), REPORT_WARNING);
    report_free(r);
}
END_TEST

/* TLSA records where DANE does not apply (an MX RRset that is not
 * validated) give no DANE item; "none" in the host item. */
START_TEST(test_probe_dane_insecure)
{
    struct fx x;

    fx_good(&x);
    m_dane_mismatch(&x);
    x.f.probe.mx_secure = false;
    struct report *r = run(&x);
    ck_assert_ptr_null(report_find(r, "mx.dane"));
    ck_assert_str_eq(report_item_detail(report_item_at(r, report_items(r) - 2), "tlsa"), "none");
    ck_assert_int_eq(report_worst(r), REPORT_OK);
    report_free(r);
    /* nor with addresses that are not validated */
    fx_good(&x);
    m_dane_mismatch(&x);
    x.hosts[1].addr.ad = false;
    r = run(&x);
    ck_assert_ptr_null(report_find(r, "mx.dane"));
    report_free(r);
}
END_TEST

START_TEST(test_timestamp)
{
    static const struct {
        const char *id;
        bool ts;
    } ids[] = {
        {"20261203063000Z", true},
        {"20261203063000", true},
        {"202612030630", true},
        {"2026120306", true},
        {"20261203", true},
        {"20261203Z", true},
        {"20261303063000Z", false},
        {"20261200063000Z", false},
        {"20261203243000Z", false},
        {"20261203066000Z", false},
        {"19691231", false},
        {"2026120306300", false},
        {"abc123", false},
        {"1", false},
        {"", false},
        {"Z", false},
        {"2026120306300Z0", false},
    };
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        ck_assert_msg(assess_id_is_timestamp(ids[i].id) == ids[i].ts, "'%s'", ids[i].id);
}
END_TEST

#define NROWS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *assess_suite(void)
{
    Suite *s = suite_create("assess");
    TCase *tc = tcase_create("assess");
    tcase_add_test(tc, test_good);
    tcase_add_loop_test(tc, test_row, 0, NROWS(rows));
    tcase_add_test(tc, test_everything_wrong);
    tcase_add_test(tc, test_unknown_keys);
    tcase_add_test(tc, test_timestamp);
    tcase_add_test(tc, test_probe_items);
    tcase_add_test(tc, test_probe_dane_insecure);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(assess_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

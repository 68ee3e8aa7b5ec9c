/*
 * mtastsd-probe - drive the dns, https and mxprobe adapters once, for tests.
 *
 *   mtastsd-probe [-s DNS_SERVERS] [-t DNS_TIMEOUT_MS] [-c CA_FILE] [-p PORT]
 *                 [-C CONNECT_TIMEOUT_MS] [-T TOTAL_TIMEOUT_MS] [-m MAX_BODY]
 *                 [-r SERVERS] [-R SERVERS] [-x]
 *                 txt NAME | addr HOST | fetch HOST | get HOST ADDRS
 *                 | inspect HOST ADDRS | handshake HOST ADDRS
 *                 | mx-sec DOMAIN | tlsa HOST PORT | addr-sec HOST | sec TYPE NAME
 *                 | smtp HOST ADDRS
 *
 * txt   dns_txt(NAME)            status=OK n=2 oversize=0 rr="..." rr="..."
 * addr  dns_addr(HOST)           status=OK n=2 addr=127.0.0.1 addr=::1
 * inspect / handshake  https_inspect(HOST, ADDRS, FETCH / HANDSHAKE)
 *                                status=OK code=200 len=N ctype="..." location="..."
 *                                address=... tls="TLSv1.3" names="a,b" not_after=T
 *                                chain=N total_ms=N (body="..." for inspect)
 * get   https_get(HOST, ADDRS) with ADDRS comma-separated, no DNS at all
 * fetch dns_addr(HOST), then https_get(HOST, addresses)
 *                                status=OK code=200 len=N body="..."
 *                                status=ERR_CERT code=0 detail="..."
 *                                status=DNS_NODATA detail="..." (lookup failed)
 * smtp  mxprobe_start(HOST, ADDRS) on port 25 (-p), -C connect and -T
 *       dialogue timeouts, -c CA file for the chain's verdict
 *                                status=TLS address=A greeting=220 ehlo=250
 *                                starttls=220 offered=1 tls="TLSv1.3"
 *                                verified=1 verify="ok" names="a,b" chain=N
 *                                elapsed_ms=N detail="..."
 * mx-sec    dns_mx_sec(DOMAIN)
 * tlsa      dns_tlsa(HOST, PORT)
 * addr-sec  dns_addr_sec(HOST)
 * sec       dns_query_sec(NAME, TYPE); TYPE a number or A, AAAA, MX, TLSA,
 *           TXT, SOA, NS, DNSKEY
 *           status=OK ad=1 nxdomain=0 oversize=0 partial=0 ttl=3600 n=2
 *           name=_25._tcp.mx.example. cname=_25._tcp.mx.example
 *           rr=MX/TTL/PREF/EXCHANGE  rr=TLSA/TTL/USAGE/SELECTOR/MTYPE/HEXDATA
 *           rr=A/TTL/ADDR  rr=AAAA/TTL/ADDR  rr=TYPEn/TTL/HEXRDATA
 *           (HEXDATA lowercase; "-" when empty)
 * Every result line also ends in detail="...".  Quoted values escape '"',
 * '\' and bytes outside printable ASCII as \xHH, so the line is one line
 * and parseable.  -x starts the operation, cancels it at once and checks
 * for one second that no callback comes (prints status=CANCELLED).
 * -r switches the resolver to SERVERS (dns_reconfigure) before the
 * operation starts, -R right after it started (the running query must
 * finish on the old servers).
 *
 * Exit status: 0 when a result line was printed, 1 on set-up errors, 2 on
 * usage errors.  After the result, the adapters are freed and
 * https_active() is checked, so ASan/LSan see every leak.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/event.h>

#include "dns.h"
#include "https.h"
#include "log.h"
#include "mxprobe.h"
#include "tlsinfo.h"

struct probe {
    struct event_base *base;
    struct dns *dns;
    struct https *https;
    const char *host;
    bool done;
    bool cancel_mode;
    int callbacks;
};

static void usage(void)
{
    fprintf(stderr, "usage: mtastsd-probe [-s DNS_SERVERS] [-t DNS_TIMEOUT_MS] [-c CA_FILE] "
                    "[-p PORT] [-C CONNECT_MS] [-T TOTAL_MS] [-m MAX_BODY] [-r SERVERS] "
                    "[-R SERVERS] [-x] "
                    "txt NAME | addr HOST | fetch HOST | get HOST ADDRS | "
                    "inspect HOST ADDRS | handshake HOST ADDRS | mx-sec DOMAIN | "
                    "tlsa HOST PORT | addr-sec HOST | sec TYPE NAME | smtp HOST ADDRS\n");
    exit(2);
}

static long num_arg(const char *s, long min, long max)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        usage();
    return v;
}

static void print_quoted(const char *key, const char *s, size_t len)
{
    size_t i;

    printf(" %s=\"", key);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || c < 0x20 || c > 0x7e)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void finish(struct probe *p)
{
    p->done = true;
    fflush(stdout);
    event_base_loopbreak(p->base);
}

static void on_txt(void *arg, enum dns_status st, const struct sts_txt_rr *rrs, size_t n,
                   bool oversize, const char *detail)
{
    struct probe *p = arg;
    size_t i;

    p->callbacks++;
    printf("status=%s n=%zu oversize=%d", dns_status_name(st), n, oversize ? 1 : 0);
    for (i = 0; i < n; i++)
        print_quoted("rr", rrs[i].data, rrs[i].len);
    print_quoted("detail", detail, strlen(detail));
    putchar('\n');
    finish(p);
}

static void on_addr(void *arg, enum dns_status st, const char *const *addrs, size_t n,
                    const char *detail)
{
    struct probe *p = arg;
    size_t i;

    p->callbacks++;
    printf("status=%s n=%zu", dns_status_name(st), n);
    for (i = 0; i < n; i++)
        printf(" addr=%s", addrs[i]);
    print_quoted("detail", detail, strlen(detail));
    putchar('\n');
    finish(p);
}

static void print_hex(const uint8_t *p, size_t n)
{
    if (n == 0)
        putchar('-');
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
}

static void on_sec(void *arg, const struct dns_sec_result *r)
{
    struct probe *p = arg;
    char buf[INET6_ADDRSTRLEN];

    p->callbacks++;
    printf("status=%s ad=%d nxdomain=%d oversize=%d partial=%d ttl=%lu n=%zu name=%s cname=%s",
           dns_status_name(r->st), r->ad ? 1 : 0, r->nxdomain ? 1 : 0, r->oversize ? 1 : 0,
           r->partial ? 1 : 0, (unsigned long)r->ttl, r->n, r->name, r->cname);
    for (size_t i = 0; i < r->n; i++) {
        const struct dnsmsg_rr *rr = &r->rrs[i];
        switch (rr->type) {
        case DNSMSG_T_MX:
            printf(" rr=MX/%lu/%u/%s", (unsigned long)rr->ttl, rr->u.mx.pref, rr->u.mx.exchange);
            break;
        case DNSMSG_T_TLSA:
            printf(" rr=TLSA/%lu/%u/%u/%u/", (unsigned long)rr->ttl, rr->u.tlsa.usage,
                   rr->u.tlsa.selector, rr->u.tlsa.mtype);
            print_hex(rr->u.tlsa.data, rr->u.tlsa.len);
            break;
        case DNSMSG_T_A:
        case DNSMSG_T_AAAA:
            inet_ntop(rr->type == DNSMSG_T_A ? AF_INET : AF_INET6, rr->u.aaaa, buf, sizeof(buf));
            printf(" rr=%s/%lu/%s", rr->type == DNSMSG_T_A ? "A" : "AAAA", (unsigned long)rr->ttl,
                   buf);
            break;
        default:
            printf(" rr=TYPE%u/%lu/", rr->type, (unsigned long)rr->ttl);
            print_hex(rr->rdata, rr->rdlen);
        }
    }
    print_quoted("detail", r->detail, strlen(r->detail));
    putchar('\n');
    finish(p);
}

static uint16_t type_arg(const char *s)
{
    static const struct {
        const char *name;
        uint16_t type;
    } names[] = {{"A", DNSMSG_T_A},       {"AAAA", DNSMSG_T_AAAA}, {"MX", DNSMSG_T_MX},
                 {"TLSA", DNSMSG_T_TLSA}, {"TXT", DNSMSG_T_TXT},   {"SOA", DNSMSG_T_SOA},
                 {"NS", DNSMSG_T_NS},     {"DNSKEY", 48}};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(s, names[i].name) == 0)
            return names[i].type;
    return (uint16_t)num_arg(s, 1, 65535);
}

static void on_body(void *arg, enum https_status st, long code, const char *body, size_t len,
                    const char *detail)
{
    struct probe *p = arg;

    p->callbacks++;
    printf("status=%s code=%ld len=%zu", https_status_name(st), code, len);
    if (body != NULL)
        print_quoted("body", body, len);
    print_quoted("detail", detail, strlen(detail));
    putchar('\n');
    finish(p);
}

static void on_inspect(void *arg, const struct https_result *res)
{
    struct probe *p = arg;
    const struct tlsinfo *t = res->tls;
    char names[TLSINFO_MAX_NAMES * TLSINFO_NAME_SZ] = "";
    size_t i, off = 0;

    p->callbacks++;
    printf("status=%s code=%ld len=%zu", https_status_name(res->st), res->http_code, res->len);
    print_quoted("ctype", res->content_type, strlen(res->content_type));
    print_quoted("location", res->location, strlen(res->location));
    printf(" address=%s clen=%lld", res->address[0] != '\0' ? res->address : "-",
           res->content_length);
    if (t->valid) {
        for (i = 0; i < t->n_names; i++)
            off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s", i > 0 ? "," : "",
                                    t->names[i]);
        print_quoted("tls", t->version, strlen(t->version));
        print_quoted("names", names, strlen(names));
        print_quoted("issuer", t->issuer, strlen(t->issuer));
        printf(" not_after=%lld chain=%zu", (long long)t->not_after, t->chain_len);
    } else {
        printf(" tls=-");
    }
    printf(" connect_ms=%ld tls_ms=%ld total_ms=%ld", res->connect_ms, res->tls_ms, res->total_ms);
    if (res->body != NULL)
        print_quoted("body", res->body, res->len);
    print_quoted("detail", res->detail, strlen(res->detail));
    putchar('\n');
    finish(p);
}

static void on_smtp(void *arg, const struct mxprobe_result *res)
{
    struct probe *p = arg;
    const struct tlsinfo *t = res->tls;
    char names[TLSINFO_MAX_NAMES * TLSINFO_NAME_SZ] = "";
    size_t off = 0;

    p->callbacks++;
    printf("status=%s address=%s greeting=%d ehlo=%d starttls=%d offered=%d",
           mxprobe_status_name(res->st), res->address[0] != '\0' ? res->address : "-",
           res->greeting_code, res->ehlo_code, res->starttls_code, res->starttls_offered ? 1 : 0);
    if (t->valid) {
        for (size_t i = 0; i < t->n_names; i++)
            off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s", i > 0 ? "," : "",
                                    t->names[i]);
        print_quoted("tls", t->version, strlen(t->version));
        printf(" verified=%d", t->verify_ok ? 1 : 0);
        print_quoted("verify", t->verify_error, strlen(t->verify_error));
        print_quoted("names", names, strlen(names));
        printf(" chain=%zu", res->nchain);
    } else {
        printf(" tls=-");
    }
    printf(" elapsed_ms=%ld", res->elapsed_ms);
    print_quoted("detail", res->detail, strlen(res->detail));
    putchar('\n');
    finish(p);
}

static void on_fetch_addr(void *arg, enum dns_status st, const char *const *addrs, size_t n,
                          const char *detail)
{
    struct probe *p = arg;

    if (st != DNS_OK) {
        p->callbacks++;
        printf("status=DNS_%s n=0", dns_status_name(st));
        print_quoted("detail", detail, strlen(detail));
        putchar('\n');
        finish(p);
        return;
    }
    /* Started from inside a dns callback: allowed by the dns contract. */
    https_get(p->https, p->host, addrs, n, on_body, p);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct probe *p = arg;

    if (p->cancel_mode) {
        printf("status=%s callbacks=%d\n", p->callbacks == 0 ? "CANCELLED" : "CALLED_BACK",
               p->callbacks);
    } else {
        printf("status=PROBE_TIMEOUT\n");
    }
    finish(p);
}

int main(int argc, char **argv)
{
    const char *servers = NULL, *ca_file = NULL, *op, *arg, *re_before = NULL, *re_after = NULL;
    long dns_timeout = 2000, port = 443, connect_ms = 2000, total_ms = 4000, max_body = 65536;
    bool port_given = false;
    struct https_config cfg;
    struct probe p;
    struct event *deadline;
    struct timeval tv;
    char err[256];
    int c, rc = 0;

    memset(&p, 0, sizeof(p));
    while ((c = getopt(argc, argv, "s:t:c:p:C:T:m:r:R:x")) != -1) {
        switch (c) {
        case 's':
            servers = optarg;
            break;
        case 't':
            dns_timeout = num_arg(optarg, 1, 600000);
            break;
        case 'c':
            ca_file = optarg;
            break;
        case 'p':
            port = num_arg(optarg, 1, 65535);
            port_given = true;
            break;
        case 'C':
            connect_ms = num_arg(optarg, 1, 600000);
            break;
        case 'T':
            total_ms = num_arg(optarg, 1, 600000);
            break;
        case 'm':
            max_body = num_arg(optarg, 1, 1L << 30);
            break;
        case 'x':
            p.cancel_mode = true;
            break;
        case 'r':
            re_before = optarg;
            break;
        case 'R':
            re_after = optarg;
            break;
        default:
            usage();
        }
    }
    if (argc - optind < 2)
        usage();
    op = argv[optind];
    arg = argv[optind + 1];
    bool two = strcmp(op, "get") == 0 || strcmp(op, "inspect") == 0 ||
               strcmp(op, "handshake") == 0 || strcmp(op, "smtp") == 0;
    if (two || strcmp(op, "tlsa") == 0 || strcmp(op, "sec") == 0) {
        if (argc - optind != 3)
            usage();
    } else if (argc - optind != 2 ||
               (strcmp(op, "txt") != 0 && strcmp(op, "addr") != 0 && strcmp(op, "fetch") != 0 &&
                strcmp(op, "mx-sec") != 0 && strcmp(op, "addr-sec") != 0)) {
        usage();
    }

    log_open("mtastsd-probe", true);
    if (getenv("PROBE_DEBUG") != NULL)
        log_set_level(LOG_LEVEL_DEBUG);

    if (!https_global_init(err, sizeof(err))) {
        fprintf(stderr, "mtastsd-probe: %s\n", err);
        return 1;
    }
    p.base = event_base_new();
    if (p.base == NULL) {
        fprintf(stderr, "mtastsd-probe: cannot create event base\n");
        return 1;
    }
    p.host = arg;
    p.dns = dns_new(p.base, servers, (int)dns_timeout, err, sizeof(err));
    if (p.dns == NULL) {
        fprintf(stderr, "mtastsd-probe: %s\n", err);
        event_base_free(p.base);
        return 1;
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.ca_file = ca_file;
    cfg.connect_timeout_ms = connect_ms;
    cfg.timeout_ms = total_ms;
    cfg.max_body = (size_t)max_body;
    p.https = https_new(p.base, &cfg, err, sizeof(err));
    if (p.https == NULL) {
        fprintf(stderr, "mtastsd-probe: %s\n", err);
        dns_free(p.dns);
        event_base_free(p.base);
        return 1;
    }
    https_set_port(p.https, (int)port);
    if (re_before != NULL && !dns_reconfigure(p.dns, re_before, (int)dns_timeout, err, sizeof(err)))
        printf("reconfigure=failed detail=\"%s\"\n", err);

    /* Safety net: every adapter bounds its own time; this bounds ours.  In
     * cancel mode, wait long enough for a stray callback to show up. */
    deadline = evtimer_new(p.base, on_deadline, &p);
    tv.tv_sec = p.cancel_mode ? 1 : (dns_timeout * 4 + total_ms) / 1000 + 5;
    tv.tv_usec = 0;
    evtimer_add(deadline, &tv);

    if (strcmp(op, "txt") == 0) {
        struct dns_query *q = dns_txt(p.dns, arg, on_txt, &p);
        if (p.cancel_mode)
            dns_cancel(q);
    } else if (strcmp(op, "addr") == 0) {
        struct dns_query *q = dns_addr(p.dns, arg, on_addr, &p);
        if (p.cancel_mode)
            dns_cancel(q);
    } else if (strcmp(op, "mx-sec") == 0 || strcmp(op, "tlsa") == 0 ||
               strcmp(op, "addr-sec") == 0 || strcmp(op, "sec") == 0) {
        struct dns_query *q;
        if (strcmp(op, "mx-sec") == 0)
            q = dns_mx_sec(p.dns, arg, on_sec, &p);
        else if (strcmp(op, "tlsa") == 0)
            q = dns_tlsa(p.dns, arg, (unsigned)num_arg(argv[optind + 2], 0, 99999), on_sec, &p);
        else if (strcmp(op, "addr-sec") == 0)
            q = dns_addr_sec(p.dns, arg, on_sec, &p);
        else
            q = dns_query_sec(p.dns, argv[optind + 2], type_arg(arg), on_sec, &p);
        if (p.cancel_mode)
            dns_cancel(q);
    } else if (p.cancel_mode) {
        const char *const local[] = {"127.0.0.1"};
        struct https_req *r =
            strcmp(op, "inspect") == 0
                ? https_inspect(p.https, arg, local, 1, HTTPS_INSPECT_FETCH, on_inspect, &p)
                : https_get(p.https, arg, local, 1, on_body, &p);
        https_cancel(r);
        if (https_active(p.https) != 0) {
            fprintf(stderr, "mtastsd-probe: cancelled transfer still counted\n");
            rc = 1;
        }
    } else if (strcmp(op, "smtp") == 0) {
        char *list = strdup(argv[optind + 2]), *save = NULL, *tok;
        const char *addrs[16];
        size_t n = 0;
        struct mxprobe_params mp = {.base = p.base,
                                    .ca_file = ca_file,
                                    .port = port_given ? (int)port : MXPROBE_PORT,
                                    .connect_ms = connect_ms,
                                    .timeout_ms = total_ms};
        for (tok = strtok_r(list, ",", &save); tok != NULL && n < 16;
             tok = strtok_r(NULL, ",", &save))
            addrs[n++] = tok;
        signal(SIGPIPE, SIG_IGN);
        struct mxprobe *m = mxprobe_start(&mp, arg, addrs, n, on_smtp, &p);
        if (p.cancel_mode)
            mxprobe_cancel(m);
        free(list); /* mxprobe copies what it needs */
    } else if (two) {
        char *list = strdup(argv[optind + 2]), *save = NULL, *tok;
        const char *addrs[16];
        size_t n = 0;
        for (tok = strtok_r(list, ",", &save); tok != NULL && n < 16;
             tok = strtok_r(NULL, ",", &save))
            addrs[n++] = tok;
        if (strcmp(op, "get") == 0)
            https_get(p.https, arg, addrs, n, on_body, &p);
        else
            https_inspect(p.https, arg, addrs, n,
                          strcmp(op, "inspect") == 0 ? HTTPS_INSPECT_FETCH
                                                     : HTTPS_INSPECT_HANDSHAKE,
                          on_inspect, &p);
        free(list); /* https_get copies what it needs */
    } else {
        dns_addr(p.dns, arg, on_fetch_addr, &p);
    }
    if (re_after != NULL && !dns_reconfigure(p.dns, re_after, (int)dns_timeout, err, sizeof(err)))
        printf("reconfigure=failed detail=\"%s\"\n", err);
    if (p.callbacks != 0) {
        fprintf(stderr, "mtastsd-probe: callback ran inside the starting call\n");
        rc = 1;
    }

    event_base_dispatch(p.base);
    if (!p.done) {
        printf("status=PROBE_NO_RESULT\n");
        rc = 1;
    }
    if (https_active(p.https) != 0 && !p.cancel_mode) {
        /* Results are delivered after the request is finished. */
        fprintf(stderr, "mtastsd-probe: %zu transfers still active\n", https_active(p.https));
        rc = 1;
    }
    event_free(deadline);
    https_free(p.https);
    dns_free(p.dns);
    event_base_free(p.base);
    https_global_cleanup();
    log_close();
    return rc;
}

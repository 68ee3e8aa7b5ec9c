/*
 * domcheck - ask what senders ask about a domain (see domcheck.h).
 *
 * Public functions: domcheck_start(), domcheck_free().
 *
 * State machine (domcheck_enter_state() logs "old -> new" at debug level):
 *
 *   LOOKUP --all four DNS answers, fetch and handshake, every MX host's
 *            lookups and probe done--> ASSESS --> DONE
 *
 * LOOKUP has several things in flight; each answer is copied into the
 * check (DNS, HTTPS and probe results are valid only during their
 * callbacks) and may start the next step (the address starts the fetch,
 * a refused certificate starts the handshake, the MX answer starts each
 * host's address and TLSA lookups, a host's addresses start its probe).
 * When nothing is in flight, or the deadline fires (everything still
 * running is cancelled), ASSESS builds the facts, runs assess() and
 * delivers the report from a zero-delay event.
 *
 * Ownership: the check owns its copies (struct domcheck_txt, the address
 * and MX lists, struct domcheck_fetch for each HTTPS result, struct
 * domcheck_host for each MX host probed, with its TLSA data) and frees
 * them in domcheck_free(); the report goes to the callback.
 * Limits: what dns, https and mxprobe bound (record counts and sizes,
 * body size, the probe's times), DOMCHECK_PROBE_MAX hosts probed, plus
 * DOMCHECK_DEADLINE_MS for the run.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/event.h>

#include "assess.h"
#include "domcheck.h"
#include "dns.h"
#include "dnsmsg.h"
#include "domain.h"
#include "https.h"
#include "mxprobe.h"
#include "log.h"
#include "report.h"
#include "tlsinfo.h"
#include "xalloc.h"

enum domcheck_state {
    DOMCHECK_LOOKUP = 0,
    DOMCHECK_ASSESS,
    DOMCHECK_DONE,
};

/* A copied TXT answer. */
struct domcheck_txt {
    struct dns_query *q;
    bool done;
    enum dns_status st;
    char *detail;
    bool oversize;
    size_t n;
    struct sts_txt_rr *rrs;
};

/* A copied https_inspect() result. */
struct domcheck_fetch {
    struct https_req *req;
    bool done;
    struct https_result res; /* strings point to the copies below */
    char *body, *detail, *content_type, *location, *address;
    struct tlsinfo tls;
};

/* A copied TLSA answer (dns_tlsa()). */
struct domcheck_tlsa {
    struct domcheck *c;
    struct dns_query *q;
    bool done;
    enum dns_status st;
    bool ad;
    size_t n;
    struct dnsmsg_rr rrs[DNSMSG_MAX_RRS]; /* u.tlsa.data points into data */
    uint8_t *data[DNSMSG_MAX_RRS];
};

/* One MX host: its addresses, its TLSA records (at its name, and at the
 * end of the CNAME chain its validated addresses came through) and the
 * probe, copied. */
struct domcheck_host {
    struct domcheck *c;
    char host[DOMAIN_BUFSZ];
    unsigned pref;
    bool implicit;

    struct dns_query *addr_q;
    bool addr_done;
    enum dns_status addr_st;
    bool addr_ad;
    char addr_detail[160];
    size_t n_addrs;
    char addrs[MXPROBE_MAX_ADDRS][INET6_ADDRSTRLEN];

    struct domcheck_tlsa tlsa;
    bool alias; /* the TLSA lookup at the CNAME target was started */
    char target[DOMAIN_BUFSZ];
    struct domcheck_tlsa target_tlsa;

    struct mxprobe *probe;
    bool probe_done;
    struct mxprobe_result res; /* strings and tables point to the copies below */
    char address[INET6_ADDRSTRLEN];
    char detail[MXPROBE_TEXT_SZ];
    char greeting[MXPROBE_TEXT_SZ];
    struct tlsinfo tls;
    struct dane_cert chain[DANE_CHAIN_MAX];
};

struct domcheck {
    struct event_base *base;
    struct dns *dns;
    struct https *https;
    int64_t now;
    char domain[DOMAIN_BUFSZ];
    char host[DOMAIN_BUFSZ + 8]; /* mta-sts.<domain> */
    enum domcheck_state state;
    domcheck_done_cb cb;
    void *arg;
    struct event *deadline;
    struct event *deliver;
    struct report *report;

    struct domcheck_txt sts, tlsrpt;
    struct dns_query *sts_cname_q; /* the same TXT question, for its CNAME chain */
    char *sts_cname;

    struct dns_query *addr_q;
    bool addr_done;
    enum dns_status addr_st;
    char *addr_detail;
    size_t n_addrs;
    char **addrs;

    struct dns_query *mx_q;
    bool mx_done;
    enum dns_status mx_st;
    char *mx_detail;
    bool mx_oversize;
    bool mx_ad; /* the MX answer was DNSSEC-validated */
    size_t n_mx;
    struct dnsmsg_rr *mx; /* MX records in the order senders try them */

    struct domcheck_fetch fetch, handshake;

    bool probe_mx;
    char *ca_file;
    size_t n_hosts, probe_skipped;
    struct domcheck_host *hosts; /* the MX hosts probed, in the order senders try them */
};

static const char *domcheck_state_name(enum domcheck_state s)
{
    switch (s) {
    case DOMCHECK_LOOKUP:
        return "LOOKUP";
    case DOMCHECK_ASSESS:
        return "ASSESS";
    case DOMCHECK_DONE:
        return "DONE";
    }
    return "?";
}

static void domcheck_enter_state(struct domcheck *c, enum domcheck_state s)
{
    log_debug("check %s: %s -> %s", c->domain, domcheck_state_name(c->state),
              domcheck_state_name(s));
    c->state = s;
}

static void domcheck_txt_copy(struct domcheck_txt *t, enum dns_status st,
                              const struct sts_txt_rr *rrs, size_t n, bool oversize,
                              const char *detail)
{
    t->q = NULL;
    t->done = true;
    t->st = st;
    t->detail = xstrdup(detail != NULL ? detail : "");
    t->oversize = oversize;
    t->n = rrs != NULL ? n : 0;
    t->rrs = xcalloc(t->n + 1, sizeof(*t->rrs));
    for (size_t i = 0; i < t->n; i++) {
        char *d = xmalloc(rrs[i].len + 1);
        memcpy(d, rrs[i].data, rrs[i].len);
        d[rrs[i].len] = '\0';
        t->rrs[i].data = d;
        t->rrs[i].len = rrs[i].len;
    }
}

/* The name the _mta-sts records belong to, from dns_query_sec()'s CNAME
 * chain (r->name is absolute, "_mta-sts.d."; r->cname is not); NULL when
 * no CNAME was followed. */
static char *domcheck_cname(const struct dns_sec_result *r)
{
    size_t asked = strlen(r->name);

    if (asked > 0 && r->name[asked - 1] == '.')
        asked--;
    if (r->cname == NULL || r->cname[0] == '\0' ||
        (strlen(r->cname) == asked && strncasecmp(r->cname, r->name, asked) == 0))
        return NULL;
    return xstrdup(r->cname);
}

static void domcheck_txt_free(struct domcheck_txt *t)
{
    dns_cancel(t->q);
    for (size_t i = 0; i < t->n; i++)
        free((char *)t->rrs[i].data);
    free(t->rrs);
    free(t->detail);
}

static void domcheck_fetch_free(struct domcheck_fetch *f)
{
    https_cancel(f->req);
    free(f->body);
    free(f->detail);
    free(f->content_type);
    free(f->location);
    free(f->address);
}

static void domcheck_fetch_copy(struct domcheck_fetch *f, const struct https_result *res)
{
    f->req = NULL;
    f->done = true;
    f->res = *res;
    if (res->body != NULL) {
        f->body = xmalloc(res->len + 1);
        memcpy(f->body, res->body, res->len);
        f->body[res->len] = '\0';
    }
    f->detail = xstrdup(res->detail != NULL ? res->detail : "");
    f->content_type = xstrdup(res->content_type != NULL ? res->content_type : "");
    f->location = xstrdup(res->location != NULL ? res->location : "");
    f->address = xstrdup(res->address != NULL ? res->address : "");
    if (res->tls != NULL)
        f->tls = *res->tls;
    f->res.body = f->body;
    f->res.detail = f->detail;
    f->res.content_type = f->content_type;
    f->res.location = f->location;
    f->res.address = f->address;
    f->res.tls = &f->tls;
}

/* ---- the MX probe: per host, its addresses, TLSA records and STARTTLS ------ */

static void domcheck_progress(struct domcheck *c);
static void domcheck_on_host_tlsa(void *arg, const struct dns_sec_result *r);

static void domcheck_host_cancel(struct domcheck_host *h)
{
    dns_cancel(h->addr_q);
    h->addr_q = NULL;
    dns_cancel(h->tlsa.q);
    h->tlsa.q = NULL;
    dns_cancel(h->target_tlsa.q);
    h->target_tlsa.q = NULL;
    mxprobe_cancel(h->probe);
    h->probe = NULL;
}

static void domcheck_host_free(struct domcheck_host *h)
{
    domcheck_host_cancel(h);
    for (size_t i = 0; i < h->tlsa.n; i++)
        free(h->tlsa.data[i]);
    for (size_t i = 0; i < h->target_tlsa.n; i++)
        free(h->target_tlsa.data[i]);
}

static void domcheck_tlsa_facts(const struct domcheck_tlsa *t, struct assess_tlsa *a)
{
    a->done = t->done;
    a->st = t->st;
    a->ad = t->ad;
    a->rrs = t->rrs;
    a->n = t->n;
}

static void domcheck_host_facts(const struct domcheck_host *h, struct assess_mxhost *a)
{
    a->host = h->host;
    a->preference = h->pref;
    a->implicit = h->implicit;
    a->addr.done = h->addr_done;
    a->addr.st = h->addr_st;
    a->addr.ad = h->addr_ad;
    a->addr.detail = h->addr_detail;
    a->addr.n = h->n_addrs;
    a->probe = h->probe_done ? &h->res : NULL;
    domcheck_tlsa_facts(&h->tlsa, &a->tlsa);
    a->target = h->alias ? h->target : NULL;
    domcheck_tlsa_facts(&h->target_tlsa, &a->target_tlsa);
}

static void domcheck_on_host_probe(void *arg, const struct mxprobe_result *res)
{
    struct domcheck_host *h = arg;

    h->probe = NULL;
    h->probe_done = true;
    h->res = *res;
    snprintf(h->address, sizeof(h->address), "%s", res->address);
    snprintf(h->detail, sizeof(h->detail), "%s", res->detail);
    snprintf(h->greeting, sizeof(h->greeting), "%s", res->greeting);
    h->tls = *res->tls;
    memcpy(h->chain, res->chain, res->nchain * sizeof(h->chain[0]));
    h->res.host = h->host;
    h->res.address = h->address;
    h->res.detail = h->detail;
    h->res.greeting = h->greeting;
    h->res.tls = &h->tls;
    h->res.chain = h->chain;
    domcheck_progress(h->c);
}

static void domcheck_on_host_addr(void *arg, const struct dns_sec_result *r)
{
    struct domcheck_host *h = arg;
    struct domcheck *c = h->c;
    const char *addrs[MXPROBE_MAX_ADDRS];

    h->addr_q = NULL;
    h->addr_done = true;
    /* One of A and AAAA failed ("A: 1 record, AD, AAAA: SERVFAIL"): a
     * failed lookup, as the daemon's DANE check counts it, not a host with
     * unvalidated addresses; not probed, like any host whose address
     * lookup failed. */
    h->addr_st = r->partial ? DNS_TEMPFAIL : r->st;
    h->addr_ad = r->ad && !r->partial;
    snprintf(h->addr_detail, sizeof(h->addr_detail), "%s", r->detail != NULL ? r->detail : "");
    for (size_t i = 0; h->addr_st == DNS_OK && i < r->n && h->n_addrs < MXPROBE_MAX_ADDRS; i++) {
        const struct dnsmsg_rr *rr = &r->rrs[i];
        if (rr->type != DNSMSG_T_A && rr->type != DNSMSG_T_AAAA)
            continue;
        inet_ntop(rr->type == DNSMSG_T_A ? AF_INET : AF_INET6, rr->u.aaaa, h->addrs[h->n_addrs],
                  sizeof(h->addrs[0]));
        addrs[h->n_addrs] = h->addrs[h->n_addrs];
        h->n_addrs++;
    }
    /* Validated addresses through a CNAME chain: the TLSA RRset at its
     * end too (RFC 7672 section 2.2.2), started before this answer counts
     * as done. */
    if (h->addr_st == DNS_OK && h->addr_ad && r->cname != NULL && r->cname[0] != '\0' &&
        strcasecmp(r->cname, h->host) != 0 && !h->alias) {
        snprintf(h->target, sizeof(h->target), "%s", r->cname);
        h->alias = true;
        h->target_tlsa.c = c;
        h->target_tlsa.q =
            dns_tlsa(c->dns, h->target, MXPROBE_PORT, domcheck_on_host_tlsa, &h->target_tlsa);
    }
    if (h->n_addrs > 0) {
        struct mxprobe_params mp = {.base = c->base, .ca_file = c->ca_file};
        h->probe = mxprobe_start(&mp, h->host, addrs, h->n_addrs, domcheck_on_host_probe, h);
    }
    domcheck_progress(c);
}

/* A TLSA answer, at the host's name or at its CNAME target (arg: which
 * struct domcheck_tlsa of which host). */
static void domcheck_on_host_tlsa(void *arg, const struct dns_sec_result *r)
{
    struct domcheck_tlsa *tl = arg;

    tl->q = NULL;
    tl->done = true;
    tl->st = r->st;
    tl->ad = r->ad;
    for (size_t i = 0; r->st == DNS_OK && i < r->n && tl->n < DNSMSG_MAX_RRS; i++) {
        if (r->rrs[i].type != DNSMSG_T_TLSA)
            continue;
        /* The data points into the answer, which goes: copy it. */
        struct dnsmsg_rr *t = &tl->rrs[tl->n];
        *t = r->rrs[i];
        t->rdata = NULL;
        t->rdlen = 0;
        tl->data[tl->n] = xmalloc(t->u.tlsa.len + 1u);
        memcpy(tl->data[tl->n], r->rrs[i].u.tlsa.data, t->u.tlsa.len);
        t->u.tlsa.data = tl->data[tl->n];
        tl->n++;
    }
    log_debug("check: TLSA %s: %s%s, %zu records", r->name, dns_status_name(r->st),
              r->ad ? " ad" : "", r->n);
    domcheck_progress(tl->c);
}

/* The MX answer is in: probe each host (the domain itself without MX
 * records; none for a null MX or a failed lookup), all at once. */
static void domcheck_probe_start(struct domcheck *c)
{
    size_t want = 0;

    if (c->mx_st == DNS_TEMPFAIL)
        return;
    if (c->n_mx == 1 && strcmp(c->mx[0].u.mx.exchange, ".") == 0)
        return;
    c->hosts = xcalloc(DOMCHECK_PROBE_MAX, sizeof(*c->hosts));
    if (c->n_mx == 0) {
        struct domcheck_host *h = &c->hosts[c->n_hosts++];
        snprintf(h->host, sizeof(h->host), "%s", c->domain);
        h->implicit = true;
    }
    for (size_t i = 0; i < c->n_mx; i++) {
        char norm[DOMAIN_BUFSZ];
        const char *x = c->mx[i].u.mx.exchange;
        bool dup = false;

        /* Invalid names are mx.covered's error; they are not probed. */
        if (domain_normalize_key(x, strlen(x), norm) != DOMAIN_KEY_OK)
            continue;
        for (size_t k = 0; k < c->n_hosts; k++)
            dup = dup || strcmp(c->hosts[k].host, norm) == 0;
        if (dup)
            continue;
        if (c->n_hosts == DOMCHECK_PROBE_MAX) {
            c->probe_skipped++;
            continue;
        }
        struct domcheck_host *h = &c->hosts[c->n_hosts++];
        memcpy(h->host, norm, sizeof(norm));
        h->pref = c->mx[i].u.mx.pref;
    }
    for (size_t i = 0; i < c->n_hosts; i++) {
        struct domcheck_host *h = &c->hosts[i];
        h->c = c;
        h->addr_q = dns_addr_sec(c->dns, h->host, domcheck_on_host_addr, h);
        h->tlsa.c = c;
        h->tlsa.q = dns_tlsa(c->dns, h->host, MXPROBE_PORT, domcheck_on_host_tlsa, &h->tlsa);
        want++;
    }
    log_debug("check %s: probing %zu MX host%s (%zu over the limit)", c->domain, want,
              want == 1 ? "" : "s", c->probe_skipped);
}

static void domcheck_deliver_event(evutil_socket_t fd, short what, void *arg)
{
    struct domcheck *c = arg;
    struct report *r = c->report;

    c->report = NULL;
    domcheck_enter_state(c, DOMCHECK_DONE);
    c->cb(c->arg, r); /* may call domcheck_free() */
}

static void domcheck_assess(struct domcheck *c)
{
    struct assess_facts f;

    if (c->state != DOMCHECK_LOOKUP)
        return;
    domcheck_enter_state(c, DOMCHECK_ASSESS);
    evtimer_del(c->deadline);
    /* Whatever still runs (deadline) is cancelled and reported as such. */
    dns_cancel(c->sts.q);
    c->sts.q = NULL;
    dns_cancel(c->sts_cname_q);
    c->sts_cname_q = NULL;
    dns_cancel(c->tlsrpt.q);
    c->tlsrpt.q = NULL;
    dns_cancel(c->addr_q);
    c->addr_q = NULL;
    dns_cancel(c->mx_q);
    c->mx_q = NULL;
    https_cancel(c->fetch.req);
    c->fetch.req = NULL;
    https_cancel(c->handshake.req);
    c->handshake.req = NULL;
    for (size_t i = 0; i < c->n_hosts; i++)
        domcheck_host_cancel(&c->hosts[i]);

    memset(&f, 0, sizeof(f));
    f.domain = c->domain;
    f.now = c->now;
    f.fetch_limit_ms = DOMCHECK_FETCH_LIMIT_MS;
    f.sts = (struct assess_txt){c->sts.done, c->sts.st,       c->sts.detail, c->sts.rrs,
                                c->sts.n,    c->sts.oversize, c->sts_cname};
    f.addr.done = c->addr_done;
    f.addr.st = c->addr_st;
    f.addr.detail = c->addr_detail;
    f.addr.addrs = (const char *const *)c->addrs;
    f.addr.n = c->n_addrs;
    f.fetch = c->fetch.done ? &c->fetch.res : NULL;
    f.handshake = c->handshake.done ? &c->handshake.res : NULL;
    f.mx.done = c->mx_done;
    f.mx.st = c->mx_st;
    f.mx.detail = c->mx_detail;
    f.mx.rrs = c->mx;
    f.mx.n = c->n_mx;
    f.mx.oversize = c->mx_oversize;
    f.tlsrpt = (struct assess_txt){
        c->tlsrpt.done,     c->tlsrpt.st, c->tlsrpt.detail, c->tlsrpt.rrs, c->tlsrpt.n,
        c->tlsrpt.oversize, NULL};
    struct assess_mxhost *hosts = xcalloc(c->n_hosts + 1, sizeof(*hosts));
    for (size_t i = 0; i < c->n_hosts; i++)
        domcheck_host_facts(&c->hosts[i], &hosts[i]);
    f.probe.enabled = c->probe_mx;
    f.probe.mx_secure = c->mx_ad;
    f.probe.n = c->n_hosts;
    f.probe.hosts = hosts;
    f.probe.skipped = c->probe_skipped;
    c->report = report_new(c->domain);
    assess(&f, c->report);
    free(hosts);
    event_active(c->deliver, EV_TIMEOUT, 0);
}

/* Anything still in flight?  If not, assess. */
static void domcheck_progress(struct domcheck *c)
{
    if (c->sts.q != NULL || c->sts_cname_q != NULL || c->tlsrpt.q != NULL || c->addr_q != NULL ||
        c->mx_q != NULL || c->fetch.req != NULL || c->handshake.req != NULL)
        return;
    for (size_t i = 0; i < c->n_hosts; i++)
        if (c->hosts[i].addr_q != NULL || c->hosts[i].tlsa.q != NULL ||
            c->hosts[i].target_tlsa.q != NULL || c->hosts[i].probe != NULL)
            return;
    domcheck_assess(c);
}

static void domcheck_on_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct domcheck *c = arg;

    log_debug("check %s: deadline", c->domain);
    domcheck_assess(c);
}

static void domcheck_on_sts(void *arg, enum dns_status st, const struct sts_txt_rr *rrs, size_t n,
                            bool oversize, const char *detail)
{
    struct domcheck *c = arg;

    domcheck_txt_copy(&c->sts, st, rrs, n, oversize, detail);
    domcheck_progress(c);
}

static void domcheck_on_sts_cname(void *arg, const struct dns_sec_result *r)
{
    struct domcheck *c = arg;

    c->sts_cname_q = NULL;
    c->sts_cname = domcheck_cname(r);
    domcheck_progress(c);
}

static void domcheck_on_tlsrpt(void *arg, enum dns_status st, const struct sts_txt_rr *rrs,
                               size_t n, bool oversize, const char *detail)
{
    struct domcheck *c = arg;

    domcheck_txt_copy(&c->tlsrpt, st, rrs, n, oversize, detail);
    domcheck_progress(c);
}

static void domcheck_on_handshake(void *arg, const struct https_result *res)
{
    struct domcheck *c = arg;

    domcheck_fetch_copy(&c->handshake, res);
    domcheck_progress(c);
}

static void domcheck_on_fetch(void *arg, const struct https_result *res)
{
    struct domcheck *c = arg;

    domcheck_fetch_copy(&c->fetch, res);
    if (res->st == HTTPS_ERR_CERT || res->st == HTTPS_ERR_TLS) {
        /* Show what senders refused: a second look without verification. */
        c->handshake.req =
            https_inspect(c->https, c->host, (const char *const *)c->addrs, c->n_addrs,
                          HTTPS_INSPECT_HANDSHAKE, domcheck_on_handshake, c);
    }
    domcheck_progress(c);
}

static void domcheck_on_addr(void *arg, enum dns_status st, const char *const *addrs, size_t n,
                             const char *detail)
{
    struct domcheck *c = arg;

    c->addr_q = NULL;
    c->addr_done = true;
    c->addr_st = st;
    c->addr_detail = xstrdup(detail != NULL ? detail : "");
    c->n_addrs = addrs != NULL ? n : 0;
    c->addrs = xcalloc(c->n_addrs + 1, sizeof(*c->addrs));
    for (size_t i = 0; i < c->n_addrs; i++)
        c->addrs[i] = xstrdup(addrs[i]);
    if (st == DNS_OK && c->n_addrs > 0) {
        c->fetch.req = https_inspect(c->https, c->host, (const char *const *)c->addrs, c->n_addrs,
                                     HTTPS_INSPECT_FETCH, domcheck_on_fetch, c);
    }
    domcheck_progress(c);
}

static void domcheck_on_mx(void *arg, const struct dns_sec_result *r)
{
    struct domcheck *c = arg;

    c->mx_q = NULL;
    c->mx_done = true;
    c->mx_st = r->st;
    c->mx_detail = xstrdup(r->detail != NULL ? r->detail : "");
    c->mx_oversize = r->oversize;
    c->mx_ad = r->ad;
    c->n_mx = r->st == DNS_OK && r->rrs != NULL ? r->n : 0;
    c->mx = xcalloc(c->n_mx + 1, sizeof(*c->mx));
    for (size_t i = 0; i < c->n_mx; i++) {
        /* An MX record is all in the struct but its raw RDATA pointer,
         * which points into the answer and is dropped. */
        c->mx[i] = r->rrs[i];
        c->mx[i].rdata = NULL;
        c->mx[i].rdlen = 0;
    }
    dnsmsg_mx_sort(c->mx, c->n_mx);
    if (c->probe_mx)
        domcheck_probe_start(c);
    domcheck_progress(c);
}

struct domcheck *domcheck_start(const struct domcheck_params *p, const char *domain,
                                domcheck_done_cb cb, void *arg)
{
    struct domcheck *c = xcalloc(1, sizeof(*c));
    char name[DOMAIN_BUFSZ + 16];
    struct timeval tv = {DOMCHECK_DEADLINE_MS / 1000, (DOMCHECK_DEADLINE_MS % 1000) * 1000};

    c->base = p->base;
    c->dns = p->dns;
    c->https = p->https;
    c->now = p->now;
    c->cb = cb;
    c->arg = arg;
    c->probe_mx = p->probe_mx;
    c->ca_file = xstrdup(p->ca_file != NULL ? p->ca_file : "");
    snprintf(c->domain, sizeof(c->domain), "%s", domain);
    snprintf(c->host, sizeof(c->host), "mta-sts.%s", c->domain);
    c->deadline = evtimer_new(c->base, domcheck_on_deadline, c);
    c->deliver = event_new(c->base, -1, 0, domcheck_deliver_event, c);
    if (c->deadline == NULL || c->deliver == NULL) {
        log_error("check: cannot create events");
        abort();
    }
    evtimer_add(c->deadline, &tv);
    log_debug("check %s: start", c->domain);

    /* Every DNS answer is delivered from the loop, so all four can be
     * started before any of them answers. */
    snprintf(name, sizeof(name), "_mta-sts.%s", c->domain);
    c->sts.q = dns_txt(c->dns, name, domcheck_on_sts, c);
    c->sts_cname_q = dns_query_sec(c->dns, name, DNSMSG_T_TXT, domcheck_on_sts_cname, c);
    snprintf(name, sizeof(name), "_smtp._tls.%s", c->domain);
    c->tlsrpt.q = dns_txt(c->dns, name, domcheck_on_tlsrpt, c);
    c->addr_q = dns_addr(c->dns, c->host, domcheck_on_addr, c);
    c->mx_q = dns_mx_sec(c->dns, c->domain, domcheck_on_mx, c);
    return c;
}

void domcheck_free(struct domcheck *c)
{
    if (c == NULL)
        return;
    domcheck_txt_free(&c->sts);
    dns_cancel(c->sts_cname_q);
    free(c->sts_cname);
    domcheck_txt_free(&c->tlsrpt);
    dns_cancel(c->addr_q);
    dns_cancel(c->mx_q);
    domcheck_fetch_free(&c->fetch);
    domcheck_fetch_free(&c->handshake);
    for (size_t i = 0; i < c->n_addrs; i++)
        free(c->addrs[i]);
    free(c->addrs);
    free(c->addr_detail);
    free(c->mx);
    free(c->mx_detail);
    for (size_t i = 0; i < c->n_hosts; i++)
        domcheck_host_free(&c->hosts[i]);
    free(c->hosts);
    free(c->ca_file);
    report_free(c->report);
    if (c->deadline != NULL)
        event_free(c->deadline);
    if (c->deliver != NULL)
        event_free(c->deliver);
    free(c);
}

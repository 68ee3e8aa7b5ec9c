/*
 * domcheck - ask what senders ask about a domain (see domcheck.h).
 *
 * Public functions: domcheck_start(), domcheck_free().
 *
 * State machine (domcheck_enter_state() logs "old -> new" at debug level):
 *
 *   LOOKUP --all four DNS answers, fetch and handshake done--> ASSESS --> DONE
 *
 * LOOKUP has several things in flight; each answer is copied into the
 * check (DNS and HTTPS results are valid only during their callbacks) and
 * may start the next step (the address starts the fetch, a refused
 * certificate starts the handshake).  When nothing is in flight, or the
 * deadline fires (everything still running is cancelled), ASSESS builds
 * the facts, runs assess() and delivers the report from a zero-delay
 * event.
 *
 * Ownership: the check owns its copies (struct domcheck_txt, the address
 * and MX lists, struct domcheck_fetch for each HTTPS result) and frees them
 * in domcheck_free(); the report goes to the callback.
 * Limits: what dns and https bound (record counts and sizes, body size),
 * plus DOMCHECK_DEADLINE_MS for the run.
 */
#include "autoconfig.h"

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
    char *cname; /* the CNAME target the records came from; NULL if none */
};

/* A copied https_inspect() result. */
struct domcheck_fetch {
    struct https_req *req;
    bool done;
    struct https_result res; /* strings point to the copies below */
    char *body, *detail, *content_type, *location, *address;
    struct tlsinfo tls;
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
    size_t n_mx;
    struct dnsmsg_rr *mx; /* MX records in the order senders try them */

    struct domcheck_fetch fetch, handshake;
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

/* A TXT answer from dns_query_sec(): each record's strings joined as
 * dns_txt() joins them (dnsmsg_txt_join()), with the same bound
 * (DNS_MAX_TXT: a longer record is kept cut and flagged oversize), and
 * the CNAME followed, if any.  A record whose strings overrun its RDATA
 * makes the answer malformed, as c-ares would for the daemon. */
static void domcheck_txt_copy_sec(struct domcheck_txt *t, const struct dns_sec_result *r)
{
    size_t n = r->st == DNS_OK && r->rrs != NULL ? r->n : 0, asked = strlen(r->name);
    char detail[128];

    t->q = NULL;
    t->done = true;
    t->st = r->st;
    t->oversize = r->oversize;
    t->rrs = xcalloc(n + 1, sizeof(*t->rrs));
    for (size_t i = 0; i < n; i++) {
        char *d = xmalloc(DNS_MAX_TXT + 1);
        size_t len = 0;
        enum dnsmsg_err err = dnsmsg_txt_join(&r->rrs[i], d, DNS_MAX_TXT + 1, &len);
        if (err != DNSMSG_OK) {
            free(d);
            snprintf(detail, sizeof(detail), "malformed answer: %s", dnsmsg_strerror(err));
            t->st = DNS_TEMPFAIL;
            t->oversize = false;
            t->detail = xstrdup(detail);
            return; /* domcheck_txt_free() frees the records kept so far */
        }
        if (len > DNS_MAX_TXT) {
            len = DNS_MAX_TXT;
            t->oversize = true;
        }
        t->rrs[t->n].data = d;
        t->rrs[t->n].len = len;
        t->n++;
    }
    t->detail = xstrdup(r->detail != NULL ? r->detail : "");
    /* r->name is absolute ("_mta-sts.d."), r->cname is not. */
    if (asked > 0 && r->name[asked - 1] == '.')
        asked--;
    if (r->cname != NULL && r->cname[0] != '\0' &&
        (strlen(r->cname) != asked || strncasecmp(r->cname, r->name, asked) != 0))
        t->cname = xstrdup(r->cname);
}

static void domcheck_txt_free(struct domcheck_txt *t)
{
    dns_cancel(t->q);
    for (size_t i = 0; i < t->n; i++)
        free((char *)t->rrs[i].data);
    free(t->rrs);
    free(t->detail);
    free(t->cname);
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

    memset(&f, 0, sizeof(f));
    f.domain = c->domain;
    f.now = c->now;
    f.fetch_limit_ms = DOMCHECK_FETCH_LIMIT_MS;
    f.sts = (struct assess_txt){c->sts.done, c->sts.st,       c->sts.detail,
                                c->sts.rrs,  c->sts.n,        c->sts.oversize,
                                c->sts.cname, DNSMSG_MAX_RRS};
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
    f.tlsrpt = (struct assess_txt){c->tlsrpt.done, c->tlsrpt.st, c->tlsrpt.detail,
                                   c->tlsrpt.rrs,  c->tlsrpt.n,  c->tlsrpt.oversize,
                                   NULL,           DNS_MAX_RRS};
    c->report = report_new(c->domain);
    assess(&f, c->report);
    event_active(c->deliver, EV_TIMEOUT, 0);
}

/* Anything still in flight?  If not, assess. */
static void domcheck_progress(struct domcheck *c)
{
    if (c->sts.q != NULL || c->tlsrpt.q != NULL || c->addr_q != NULL || c->mx_q != NULL ||
        c->fetch.req != NULL || c->handshake.req != NULL)
        return;
    domcheck_assess(c);
}

static void domcheck_on_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct domcheck *c = arg;

    log_debug("check %s: deadline", c->domain);
    domcheck_assess(c);
}

static void domcheck_on_sts(void *arg, const struct dns_sec_result *r)
{
    struct domcheck *c = arg;

    domcheck_txt_copy_sec(&c->sts, r);
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
    c->sts.q = dns_query_sec(c->dns, name, DNSMSG_T_TXT, domcheck_on_sts, c);
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
    report_free(c->report);
    if (c->deadline != NULL)
        event_free(c->deadline);
    if (c->deliver != NULL)
        event_free(c->deliver);
    free(c);
}

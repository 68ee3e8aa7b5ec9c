/*
 * fake_dns - scripted DNS for the component tests (see fake_dns.h).
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "dns.h"
#include "fake_dns.h"
#include "xalloc.h"

struct fake_dns_script {
    enum fake_dns_kind kind;
    uint16_t type; /* FAKE_DNS_SEC */
    char name[DNS_MAX_TXT];
    enum dns_status st;
    char *rec[FAKE_DNS_MAX_RECORDS];
    size_t n;
    struct dns_sec_result sec; /* FAKE_DNS_SEC */
    struct fake_timing when;
    bool scripted; /* false: only counts the lookups of a name nobody scripted */
    unsigned calls;
    LIST_ENTRY(fake_dns_script) link;
};

static LIST_HEAD(, fake_dns_script) fake_dns_scripts = LIST_HEAD_INITIALIZER(fake_dns_scripts);
static unsigned fake_dns_total, fake_dns_ncancel;
static size_t fake_dns_open;

struct dns {
    struct event_base *base;
    LIST_HEAD(, dns_query) queries;
};

static struct dns *fake_dns_live; /* the resolver dns_new() made last */

struct dns_query {
    struct dns *d;
    enum fake_dns_kind kind;
    uint16_t type;
    char name[DNS_MAX_TXT];
    dns_txt_cb txt_cb;
    dns_addr_cb addr_cb;
    dns_sec_cb sec_cb;
    void *arg;
    bool delivering;
    struct fake_later *later;
    LIST_ENTRY(dns_query) link;
};

static void fake_dns_name(const char *in, char *out, size_t outsz)
{
    snprintf(out, outsz, "%s", in);
    size_t len = strlen(out);
    while (len > 1 && out[len - 1] == '.')
        out[--len] = '\0';
}

static struct fake_dns_script *fake_dns_find_type(enum fake_dns_kind kind, uint16_t type,
                                                  const char *name, bool make)
{
    char n[DNS_MAX_TXT];
    fake_dns_name(name, n, sizeof(n));
    struct fake_dns_script *s;
    LIST_FOREACH(s, &fake_dns_scripts, link)
        if (s->kind == kind && s->type == type && strcmp(s->name, n) == 0)
            return s;
    if (!make)
        return NULL;
    s = xcalloc(1, sizeof(*s));
    s->kind = kind;
    s->type = type;
    snprintf(s->name, sizeof(s->name), "%s", n);
    s->st = DNS_NODATA;
    LIST_INSERT_HEAD(&fake_dns_scripts, s, link);
    return s;
}

static struct fake_dns_script *fake_dns_find(enum fake_dns_kind kind, const char *name, bool make)
{
    return fake_dns_find_type(kind, 0, name, make);
}

static void fake_dns_set(enum fake_dns_kind kind, const char *name, enum dns_status st,
                         const char *const *recs, struct fake_timing when)
{
    struct fake_dns_script *s = fake_dns_find(kind, name, true);
    for (size_t i = 0; i < s->n; i++)
        free(s->rec[i]);
    s->n = 0;
    for (; recs != NULL && recs[s->n] != NULL && s->n < FAKE_DNS_MAX_RECORDS; s->n++)
        s->rec[s->n] = xstrdup(recs[s->n]);
    s->st = st;
    s->when = when;
    s->scripted = true;
}

void fake_dns_txt(const char *name, enum dns_status st, const char *const *records,
                  struct fake_timing when)
{
    fake_dns_set(FAKE_DNS_TXT, name, st, records, when);
}

void fake_dns_txt1(const char *name, const char *record, struct fake_timing when)
{
    const char *recs[] = {record, NULL};
    fake_dns_set(FAKE_DNS_TXT, name, DNS_OK, recs, when);
}

void fake_dns_addr(const char *host, enum dns_status st, const char *const *addrs,
                   struct fake_timing when)
{
    fake_dns_set(FAKE_DNS_ADDR, host, st, addrs, when);
}

static void fake_dns_query_free(struct dns_query *q)
{
    fake_later_free(q->later);
    free(q);
}

void fake_dns_sec(const char *name, uint16_t type, const struct dns_sec_result *r,
                  struct fake_timing when)
{
    struct fake_dns_script *s = fake_dns_find_type(FAKE_DNS_SEC, type, name, true);
    s->sec = *r;
    s->when = when;
    s->scripted = true;
}

unsigned fake_dns_sec_calls(const char *name, uint16_t type)
{
    const struct fake_dns_script *s = fake_dns_find_type(FAKE_DNS_SEC, type, name, false);
    return s != NULL ? s->calls : 0;
}

/* A DNSSEC-aware answer, taken from the script as it is now. */
static void fake_dns_deliver_sec(struct dns_query *q)
{
    const struct fake_dns_script *s = fake_dns_find_type(FAKE_DNS_SEC, q->type, q->name, false);
    struct dns_sec_result r;
    char absolute[DNS_MAX_TXT + 2];
    memset(&r, 0, sizeof(r));
    if (s != NULL && s->scripted) {
        r = s->sec;
        r.detail = r.detail != NULL ? r.detail : dns_status_name(r.st);
    } else {
        r.st = DNS_NODATA;
        r.detail = "no script";
    }
    if (r.st == DNS_TEMPFAIL) { /* as dns.h says */
        r.ad = false;
        r.ttl = 0;
        r.nxdomain = false;
    }
    if (r.st != DNS_OK)
        r.n = 0;
    snprintf(absolute, sizeof(absolute), "%s.", strcmp(q->name, ".") == 0 ? "" : q->name);
    r.name = absolute;
    r.cname = r.cname != NULL ? r.cname : q->name;
    q->sec_cb(q->arg, &r);
}

/* The answer, taken from the script as it is now. */
static void fake_dns_deliver(void *arg)
{
    struct dns_query *q = arg;
    if (q->kind == FAKE_DNS_SEC) {
        LIST_REMOVE(q, link);
        fake_dns_open--;
        q->delivering = true;
        fake_dns_deliver_sec(q);
        fake_dns_query_free(q);
        return;
    }
    const struct fake_dns_script *s = fake_dns_find(q->kind, q->name, false);
    if (s != NULL && !s->scripted)
        s = NULL;
    enum dns_status st = s != NULL ? s->st : DNS_NODATA;
    size_t n = s != NULL && st == DNS_OK ? s->n : 0;
    const char *detail = s == NULL ? "no script" : st == DNS_OK ? NULL : dns_status_name(st);

    LIST_REMOVE(q, link);
    fake_dns_open--;
    q->delivering = true;
    if (q->kind == FAKE_DNS_TXT) {
        struct sts_txt_rr rrs[FAKE_DNS_MAX_RECORDS];
        bool oversize = false;
        for (size_t i = 0; i < n; i++) {
            rrs[i].data = s->rec[i];
            rrs[i].len = strlen(s->rec[i]);
            if (rrs[i].len > DNS_MAX_TXT + 1) {
                rrs[i].len = DNS_MAX_TXT + 1;
                oversize = true;
            }
        }
        if (st == DNS_OK && n == 0)
            st = DNS_NODATA;
        q->txt_cb(q->arg, st, n > 0 ? rrs : NULL, n, oversize, detail);
    } else {
        const char *addrs[FAKE_DNS_MAX_RECORDS];
        for (size_t i = 0; i < n; i++)
            addrs[i] = s->rec[i];
        if (st == DNS_OK && n == 0)
            st = DNS_NODATA;
        q->addr_cb(q->arg, st, n > 0 ? addrs : NULL, n, detail);
    }
    fake_dns_query_free(q);
}

static struct dns_query *fake_dns_start(struct dns *d, enum fake_dns_kind kind, uint16_t type,
                                        const char *name, dns_txt_cb txt_cb, dns_addr_cb addr_cb,
                                        dns_sec_cb sec_cb, void *arg)
{
    struct dns_query *q = xcalloc(1, sizeof(*q));
    q->d = d;
    q->kind = kind;
    q->type = type;
    q->sec_cb = sec_cb;
    fake_dns_name(name, q->name, sizeof(q->name));
    q->txt_cb = txt_cb;
    q->addr_cb = addr_cb;
    q->arg = arg;
    LIST_INSERT_HEAD(&d->queries, q, link);
    fake_dns_open++;
    fake_dns_total++;
    struct fake_dns_script *s = fake_dns_find_type(kind, type, name, true);
    s->calls++;
    q->later = fake_later_new(d->base, s->scripted ? s->when : FAKE_AT_ONCE, fake_dns_deliver, q);
    return q;
}

void fake_dns_release(enum fake_dns_kind kind, const char *name)
{
    char n[DNS_MAX_TXT];
    fake_dns_name(name, n, sizeof(n));
    if (fake_dns_live == NULL)
        return;
    struct dns_query *q;
    LIST_FOREACH(q, &fake_dns_live->queries, link)
        if (q->kind == kind && strcmp(q->name, n) == 0)
            fake_later_now(q->later);
}

unsigned fake_dns_calls(enum fake_dns_kind kind, const char *name)
{
    const struct fake_dns_script *s = fake_dns_find(kind, name, false);
    return s != NULL ? s->calls : 0;
}

unsigned fake_dns_calls_total(void)
{
    return fake_dns_total;
}

unsigned fake_dns_cancels(void)
{
    return fake_dns_ncancel;
}

size_t fake_dns_outstanding(void)
{
    return fake_dns_open;
}

void fake_dns_reset(void)
{
    struct fake_dns_script *s;
    while ((s = LIST_FIRST(&fake_dns_scripts)) != NULL) {
        LIST_REMOVE(s, link);
        for (size_t i = 0; i < s->n; i++)
            free(s->rec[i]);
        free(s);
    }
    fake_dns_total = fake_dns_ncancel = 0;
}

/* ---- dns.h ---------------------------------------------------------------- */

struct dns *dns_new(struct event_base *base, const char *servers, int timeout_ms, char *err,
                    size_t errsz)
{
    (void)servers;
    (void)timeout_ms;
    (void)err;
    (void)errsz;
    struct dns *d = xcalloc(1, sizeof(*d));
    d->base = base;
    LIST_INIT(&d->queries);
    fake_dns_live = d;
    return d;
}

void dns_free(struct dns *d)
{
    if (d == NULL)
        return;
    struct dns_query *q;
    while ((q = LIST_FIRST(&d->queries)) != NULL) {
        LIST_REMOVE(q, link);
        fake_dns_open--;
        fake_dns_query_free(q);
    }
    if (fake_dns_live == d)
        fake_dns_live = NULL;
    free(d);
}

bool dns_reconfigure(struct dns *d, const char *servers, int timeout_ms, char *err, size_t errsz)
{
    (void)d;
    (void)servers;
    (void)timeout_ms;
    (void)err;
    (void)errsz;
    return true;
}

bool dns_servers_local(struct dns *d, char *remote, size_t remotesz)
{
    (void)d;
    if (remotesz > 0)
        remote[0] = '\0';
    return true;
}

struct dns_query *dns_txt(struct dns *d, const char *name, dns_txt_cb cb, void *arg)
{
    return fake_dns_start(d, FAKE_DNS_TXT, 0, name, cb, NULL, NULL, arg);
}

struct dns_query *dns_addr(struct dns *d, const char *host, dns_addr_cb cb, void *arg)
{
    return fake_dns_start(d, FAKE_DNS_ADDR, 0, host, NULL, cb, NULL, arg);
}

struct dns_query *dns_query_sec(struct dns *d, const char *name, uint16_t type, dns_sec_cb cb,
                                void *arg)
{
    return fake_dns_start(d, FAKE_DNS_SEC, type, name != NULL && name[0] ? name : ".", NULL, NULL,
                          cb, arg);
}

struct dns_query *dns_mx_sec(struct dns *d, const char *domain, dns_sec_cb cb, void *arg)
{
    return dns_query_sec(d, domain, DNSMSG_T_MX, cb, arg);
}

struct dns_query *dns_tlsa(struct dns *d, const char *host, unsigned port, dns_sec_cb cb, void *arg)
{
    char name[DNS_MAX_TXT];
    snprintf(name, sizeof(name), "_%u._tcp.%s", port, host);
    return dns_query_sec(d, name, DNSMSG_T_TLSA, cb, arg);
}

struct dns_query *dns_addr_sec(struct dns *d, const char *host, dns_sec_cb cb, void *arg)
{
    return dns_query_sec(d, host, FAKE_DNS_T_ADDR, cb, arg);
}

void dns_cancel(struct dns_query *q)
{
    if (q == NULL || q->delivering)
        return;
    LIST_REMOVE(q, link);
    fake_dns_open--;
    fake_dns_ncancel++;
    fake_dns_query_free(q);
}

const char *dns_status_name(enum dns_status st)
{
    switch (st) {
    case DNS_OK:
        return "OK";
    case DNS_NODATA:
        return "NODATA";
    case DNS_TEMPFAIL:
        return "TEMPFAIL";
    }
    return "UNKNOWN";
}

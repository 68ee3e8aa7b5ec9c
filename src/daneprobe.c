/*
 * daneprobe - the resolver-validates probe for DANE (see daneprobe.h).
 *
 * States: unknown (no answer yet), ok, failing; daneprobe_enter_state()
 * logs every change at debug, the transitions an operator must know of
 * at error (-> failing) and info (-> ok).  One query at a time: a probe
 * started while one is in flight (a reload) cancels it.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "daneprobe.h"
#include "dns.h"
#include "dnsmsg.h"
#include "log.h"
#include "stats.h"
#include "xalloc.h"

enum daneprobe_state {
    DANEPROBE_UNKNOWN = 0,
    DANEPROBE_OK,
    DANEPROBE_FAILING,
};

static const char *const daneprobe_state_names[] = {
    [DANEPROBE_UNKNOWN] = "unknown",
    [DANEPROBE_OK] = "ok",
    [DANEPROBE_FAILING] = "failing",
};

struct daneprobe {
    struct event_base *base;
    struct dns *dns;
    char name[DNSMSG_NAME_TEXT];
    int64_t dns_timeout; /* seconds */
    enum daneprobe_state state;
    struct dns_query *q;
    struct clock_timer *next;     /* the next probe */
    struct clock_timer *deadline; /* the probe in flight */
    daneprobe_change_fn fn;
    void *arg;
};

static void daneprobe_start(struct daneprobe *p);

static void daneprobe_enter_state(struct daneprobe *p, enum daneprobe_state s, const char *why)
{
    enum daneprobe_state old = p->state;
    log_debug("dane probe %s: %s -> %s", p->name, daneprobe_state_names[old],
              daneprobe_state_names[s]);
    p->state = s;
    if (s == DANEPROBE_FAILING) {
        stats.dane_probe_failures++;
        if (old != DANEPROBE_FAILING)
            log_error("dane: the resolver does not validate DNSSEC: %s; answering as with "
                      "dane = off (the MTA-STS verdict) until a later check succeeds, every %d s "
                      "(dns_servers must name a local validating resolver; dane_probe_name a "
                      "signed name)",
                      why, DANEPROBE_RETRY);
        clock_timer_add(p->next, (int64_t)DANEPROBE_RETRY * 1000);
    } else {
        if (old != DANEPROBE_OK)
            log_info("dane: the resolver validates DNSSEC (%s); dane-only answers are %s", why,
                     old == DANEPROBE_FAILING ? "on again" : "on");
        clock_timer_add(p->next, (int64_t)DANEPROBE_INTERVAL * 1000);
    }
    bool was_ok = old == DANEPROBE_OK, ok = s == DANEPROBE_OK;
    if (was_ok != ok && p->fn != NULL)
        p->fn(p->arg, ok);
}

static void daneprobe_on_answer(void *arg, const struct dns_sec_result *r)
{
    struct daneprobe *p = arg;
    char why[DNSMSG_NAME_TEXT + 160];

    p->q = NULL;
    clock_timer_del(p->deadline);
    if (r->ad && (r->st == DNS_OK || r->st == DNS_NODATA)) {
        snprintf(why, sizeof(why), "the answer for %s SOA has the AD bit", r->name);
        daneprobe_enter_state(p, DANEPROBE_OK, why);
        return;
    }
    if (r->st == DNS_TEMPFAIL)
        snprintf(why, sizeof(why), "the lookup of %s SOA failed (%s)", r->name,
                 r->detail != NULL ? r->detail : dns_status_name(r->st));
    else
        snprintf(why, sizeof(why), "the answer for %s SOA (%s) has no AD bit", r->name,
                 dns_status_name(r->st));
    daneprobe_enter_state(p, DANEPROBE_FAILING, why);
}

static void daneprobe_on_deadline(void *arg)
{
    struct daneprobe *p = arg;
    char why[DNSMSG_NAME_TEXT + 80];

    if (p->q != NULL) {
        dns_cancel(p->q);
        p->q = NULL;
    }
    snprintf(why, sizeof(why), "no answer for %s SOA within %lld s", p->name,
             (long long)(3 * p->dns_timeout + 2));
    daneprobe_enter_state(p, DANEPROBE_FAILING, why);
}

static void daneprobe_on_next(void *arg)
{
    daneprobe_start(arg);
}

static void daneprobe_start(struct daneprobe *p)
{
    if (p->q != NULL)
        dns_cancel(p->q);
    clock_timer_del(p->next);
    clock_timer_add(p->deadline, (3 * p->dns_timeout + 2) * 1000);
    log_debug("dane probe: asking for %s SOA", p->name);
    p->q = dns_query_sec(p->dns, p->name, DNSMSG_T_SOA, daneprobe_on_answer, p);
}

struct daneprobe *daneprobe_new(struct event_base *base, struct dns *dns, const char *name,
                                int64_t dns_timeout, daneprobe_change_fn fn, void *arg)
{
    struct daneprobe *p = xcalloc(1, sizeof(*p));
    p->base = base;
    p->dns = dns;
    p->fn = fn;
    p->arg = arg;
    p->next = clock_timer_new(base, daneprobe_on_next, p);
    p->deadline = clock_timer_new(base, daneprobe_on_deadline, p);
    daneprobe_reconfigure(p, name, dns_timeout);
    return p;
}

void daneprobe_reconfigure(struct daneprobe *p, const char *name, int64_t dns_timeout)
{
    snprintf(p->name, sizeof(p->name), "%s", name != NULL && name[0] != '\0' ? name : ".");
    p->dns_timeout = dns_timeout > 0 ? dns_timeout : 5;
    daneprobe_start(p);
}

bool daneprobe_ok(const struct daneprobe *p)
{
    return p != NULL && p->state == DANEPROBE_OK;
}

void daneprobe_free(struct daneprobe *p)
{
    if (p == NULL)
        return;
    if (p->q != NULL)
        dns_cancel(p->q);
    clock_timer_free(p->next);
    clock_timer_free(p->deadline);
    free(p);
}

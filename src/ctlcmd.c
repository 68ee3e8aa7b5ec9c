/*
 * ctlcmd - the control socket's commands (see ctlcmd.h; the protocol is
 * doc/control-protocol.txt).
 *
 * Public function: ctlcmd_find().  Everything else is a command or its
 * helpers, reached through the table at the end.
 *
 * Scans (list, dump, flush --negative) read the cache in batches after
 * the saved key (cache_scan() ends its transaction before calling back),
 * stop early once CTLCMD_OUT_HIGH bytes are queued, and resume when the
 * output has drained to CTLCMD_OUT_LOW or on the next loop turn.  A
 * refresh waits for the domains' fetch jobs (fetch_request_operator())
 * at most CTLCMD_REFRESH_WAIT seconds; a client that leaves cancels its
 * waiters, the jobs go on.  A load reads records line by line, validates
 * each (ctlrecord.c) and compares it with the cache, and writes the
 * accepted ones of one loop turn with one cache_put_many(): one LMDB
 * transaction and one sync per batch, never kept across turns, so a
 * client that leaves loses nothing it was told about and the counts are
 * always those of committed records.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "clock.h"
#include "control.h"
#include "ctlcmd.h"
#include "ctlproto.h"
#include "ctlrecord.h"
#include "ctlview.h"
#include "danejob.h"
#include "domain.h"
#include "entry.h"
#include "fetch.h"
#include "log.h"
#include "lookup.h"
#include "scrape.h"
#include "smap.h"
#include "stats.h"
#include "sts_policy.h"
#include "verdict.h"
#include "xalloc.h"

_Static_assert(CTLCMD_LOAD_BATCH <= CACHE_PUT_MANY_MAX, "a load batch is one cache_put_many()");

/* ------------------------------------------------------------ helpers */

static const struct ctlproto_request *ctlcmd_req(const struct control_client *c)
{
    return control_client_request(c);
}

/* Short, printable copy of a client word for messages. */
static const char *ctlcmd_word(const char *w, char *buf, size_t bufsz)
{
    return log_sanitize(w, strlen(w), buf, bufsz);
}

/* Normalise a DOMAIN argument; false (and ERR sent) if it is not one. */
static bool ctlcmd_domain_arg(struct control_client *c, const char *arg, char out[DOMAIN_BUFSZ])
{
    enum domain_key_kind k = domain_normalize_key(arg, strlen(arg), out);
    if (k == DOMAIN_KEY_OK)
        return true;
    char safe[96];
    control_client_final(c, "ERR", "invalid domain '%s' (%s)", ctlcmd_word(arg, safe, sizeof(safe)),
                         domain_key_kind_name(k));
    return false;
}

static const char *ctlcmd_class_name(unsigned cls)
{
    return fetch_class_name((enum fetch_class)cls);
}

/* "uid U pid P" of the peer, for the operator-action log lines. */
static const char *ctlcmd_who(const struct control_client *c, char *buf, size_t bufsz)
{
    long uid, pid;
    control_client_peer(c, &uid, &pid);
    snprintf(buf, bufsz, "uid %ld pid %ld", uid, pid);
    return buf;
}

/* ------------------------------------------------------------ status, stats */

static void ctlcmd_status(struct control_client *c)
{
    const struct control_deps *deps = control_client_deps(c);
    int64_t now = clock_wall();
    int64_t up = stats.started > 0 && now >= stats.started ? now - (int64_t)stats.started : 0;
    size_t entries = cache_count(deps->cache);
    size_t running = fetch_active(deps->fetch), queued = fetch_queued(deps->fetch);
    size_t conns = smap_connections(deps->smap), pending = lookup_pending(deps->lookup);
    size_t buffered = smap_buffered(deps->smap);
    size_t clients;
    uint64_t refused;
    control_client_counts(c, &clients, &refused);
    const char *dane = !danejob_enabled(deps->dane) ? "off"
                       : danejob_active(deps->dane) ? "on"
                                                    : "on-inactive";

    if (control_client_json(c)) {
        json_t *o = json_object();
        json_object_set_new(o, "version", json_string(PACKAGE_VERSION));
        json_object_set_new(o, "pid", json_integer((json_int_t)getpid()));
        json_object_set_new(o, "started", json_integer((json_int_t)stats.started));
        json_object_set_new(o, "uptime", json_integer((json_int_t)up));
        json_object_set_new(o, "cache_entries", json_integer((json_int_t)entries));
        json_object_set_new(o, "fetches_running", json_integer((json_int_t)running));
        json_object_set_new(o, "fetches_queued", json_integer((json_int_t)queued));
        json_object_set_new(o, "connections", json_integer((json_int_t)conns));
        json_object_set_new(o, "connection_bytes", json_integer((json_int_t)buffered));
        json_object_set_new(o, "pending_queries", json_integer((json_int_t)pending));
        json_object_set_new(o, "control_clients", json_integer((json_int_t)clients));
        json_object_set_new(o, "control_refused", json_integer((json_int_t)refused));
        json_object_set_new(o, "dane", json_string(dane));
        control_client_data_json(c, o);
    } else {
        char tb[CTLVIEW_TIME_BUFSZ], db[CTLVIEW_TIME_BUFSZ];
        control_client_dataf(c, "%-16s %s", "version", PACKAGE_VERSION);
        control_client_dataf(c, "%-16s %ld", "pid", (long)getpid());
        control_client_dataf(c, "%-16s %s (up %s)", "started", ctlview_time(stats.started, tb),
                             ctlview_duration(up, db));
        control_client_dataf(c, "%-16s %zu", "cache_entries", entries);
        control_client_dataf(c, "%-16s %zu", "fetches_running", running);
        control_client_dataf(c, "%-16s %zu", "fetches_queued", queued);
        control_client_dataf(c, "%-16s %zu", "connections", conns);
        control_client_dataf(c, "%-16s %zu", "connection_bytes", buffered);
        control_client_dataf(c, "%-16s %zu", "pending_queries", pending);
        control_client_dataf(c, "%-16s %zu", "control_clients", clients);
        control_client_dataf(c, "%-16s %" PRIu64, "control_refused", refused);
        control_client_dataf(c, "%-16s %s", "dane",
                             strcmp(dane, "on-inactive") == 0
                                 ? "on-inactive (the resolver does not validate: as off)"
                                 : dane);
    }
    control_client_final(c, "OK", NULL);
}

struct ctlcmd_stat {
    char name[48];
    uint64_t value;
};

/* Every counter of stats.h, by its public name. */
static size_t ctlcmd_collect_stats(struct ctlcmd_stat *s, size_t max)
{
    size_t n = 0;
#define CTLCMD_STAT(nm, v)                                                                         \
    do {                                                                                           \
        if (n < max) {                                                                             \
            snprintf(s[n].name, sizeof(s[n].name), "%s", nm);                                      \
            s[n++].value = (uint64_t)(v);                                                          \
        }                                                                                          \
    } while (0)
    CTLCMD_STAT("connections_accepted", stats.connections_accepted);
    CTLCMD_STAT("connections_rejected", stats.connections_rejected);
    CTLCMD_STAT("connections_shed", stats.connections_shed);
    CTLCMD_STAT("connections_slow", stats.connections_slow);
    CTLCMD_STAT("connections_not_reading", stats.connections_not_reading);
    CTLCMD_STAT("queries", stats.queries);
    for (unsigned v = 0; v < STATS_VERDICT__COUNT; v++) {
        char nm[48];
        snprintf(nm, sizeof(nm), "verdict_%s", stats_verdict_name((enum stats_verdict)v));
        CTLCMD_STAT(nm, stats.verdicts[v]);
    }
    CTLCMD_STAT("cache_hits", stats.cache_hits);
    CTLCMD_STAT("cache_negative_hits", stats.cache_negative_hits);
    CTLCMD_STAT("cache_misses", stats.cache_misses);
    CTLCMD_STAT("query_timeouts", stats.query_timeouts);
    for (unsigned f = 0; f < FETCH_CLASS__COUNT; f++) {
        char nm[48];
        snprintf(nm, sizeof(nm), "fetch_%s", fetch_class_name((enum fetch_class)f));
        for (char *p = nm; *p != '\0'; p++)
            if (*p == '-')
                *p = '_';
        CTLCMD_STAT(nm, stats.fetches[f]);
    }
    CTLCMD_STAT("fetches_shed", stats.fetches_shed);
    CTLCMD_STAT("fetches_abandoned", stats.fetches_abandoned);
    CTLCMD_STAT("refresh_started", stats.refresh_started);
    CTLCMD_STAT("refresh_ok", stats.refresh_ok);
    CTLCMD_STAT("refresh_failed", stats.refresh_failed);
    CTLCMD_STAT("swept", stats.swept);
    CTLCMD_STAT("dane_checks", stats.dane_checks);
    CTLCMD_STAT("dane_check_failures", stats.dane_check_failures);
    CTLCMD_STAT("dane_lookups", stats.dane_lookups);
    CTLCMD_STAT("dane_lookup_failures", stats.dane_lookup_failures);
    CTLCMD_STAT("dane_probe_failures", stats.dane_probe_failures);
    CTLCMD_STAT("control_shed", stats.control_shed);
    CTLCMD_STAT("control_slow_requests", stats.control_slow_requests);
    for (unsigned k = 0; k < STATS_DOWNGRADE__COUNT; k++) {
        char nm[48];
        snprintf(nm, sizeof(nm), "downgrade_%s", stats_downgrade_name((enum stats_downgrade)k));
        CTLCMD_STAT(nm, stats.downgrades[k]);
    }
    uint64_t requests = 0;
    for (unsigned h = 0; h < STATS_HTTP__COUNT; h++)
        requests += stats.metrics_requests[h];
    CTLCMD_STAT("metrics_requests", requests);
    CTLCMD_STAT("metrics_shed", stats.metrics_shed);
    CTLCMD_STAT("metrics_slow", stats.metrics_slow);
#undef CTLCMD_STAT
    return n;
}

/* "stats --prometheus": the metrics endpoint's exposition (metrics.c),
 * one DATA line per line, without the process_* families (the textfile
 * collector of node_exporter has its own). */
static void ctlcmd_stats_prometheus(struct control_client *c)
{
    struct scrape *sc = control_client_deps(c)->scrape;
    if (control_client_json(c)) {
        control_client_final(c, "ERR", "stats --prometheus has no JSON form");
        return;
    }
    if (sc == NULL) {
        control_client_final(c, "ERR", "metrics are not available");
        return;
    }
    size_t len = 0;
    char *text = scrape_text(sc, false, &len);
    if (len > 0 && text[len - 1] == '\n')
        text[len - 1] = '\0';
    control_client_data_take(c, text);
    control_client_final(c, "OK", NULL);
}

static void ctlcmd_stats(struct control_client *c)
{
    const struct ctlproto_request *req = ctlcmd_req(c);
    if (req->argc == 1) {
        if (strcmp(req->argv[0], "--prometheus") == 0) {
            ctlcmd_stats_prometheus(c);
            return;
        }
        control_client_final(c, "ERR", "usage: stats [--prometheus]");
        return;
    }
    struct ctlcmd_stat s[64];
    size_t n = ctlcmd_collect_stats(s, sizeof(s) / sizeof(s[0]));
    if (control_client_json(c)) {
        json_t *o = json_object();
        for (size_t i = 0; i < n; i++)
            json_object_set_new(o, s[i].name, json_integer((json_int_t)s[i].value));
        control_client_data_json(c, o);
    } else {
        for (size_t i = 0; i < n; i++)
            control_client_dataf(c, "%s %" PRIu64, s[i].name, s[i].value);
    }
    control_client_final(c, "OK", NULL);
}

/* ------------------------------------------------------------ show, flush */

static void ctlcmd_show(struct control_client *c)
{
    char d[DOMAIN_BUFSZ];
    if (!ctlcmd_domain_arg(c, ctlcmd_req(c)->argv[0], d))
        return;
    struct entry e;
    entry_init(&e);
    enum cache_status st = cache_get(control_client_deps(c)->cache, d, &e);
    if (st == CACHE_NOTFOUND) {
        control_client_final(c, "NOTFOUND", "no cache entry for %s", d);
        return;
    }
    if (st != CACHE_OK) {
        control_client_final(c, "ERR", "cache read failed for %s (see the log)", d);
        return;
    }
    int64_t now = clock_wall();
    if (control_client_json(c))
        control_client_data_take(c, ctlview_entry_json(d, &e, now, ctlcmd_class_name));
    else
        control_client_data_take(c, ctlview_entry_text(d, &e, now, ctlcmd_class_name));
    entry_clear(&e);
    control_client_final(c, "OK", NULL);
}

enum ctlcmd_scan_kind {
    CTLCMD_SCAN_LIST = 0,
    CTLCMD_SCAN_DUMP,
    CTLCMD_SCAN_FLUSH_NEGATIVE,
};

struct ctlcmd_scan {
    struct control_client *c;
    enum ctlcmd_scan_kind kind;
    unsigned filter;
    char after[DOMAIN_BUFSZ];
    size_t count;
    bool stopped;
};

static void ctlcmd_scan(struct control_client *c, enum ctlcmd_scan_kind kind, unsigned filter);

static void ctlcmd_flush(struct control_client *c)
{
    const struct ctlproto_request *req = ctlcmd_req(c);
    struct cache *cache = control_client_deps(c)->cache;
    const char *a0 = req->argv[0];
    char who[64];
    ctlcmd_who(c, who, sizeof(who));
    if (a0[0] == '-') {
        if (req->argc != 1 || (strcmp(a0, "--all") != 0 && strcmp(a0, "--negative") != 0)) {
            control_client_final(c, "ERR",
                                 "usage: flush DOMAIN... | flush --all | flush --negative");
            return;
        }
        if (strcmp(a0, "--negative") == 0) {
            log_info("control: %s: flush --negative", who);
            ctlcmd_scan(c, CTLCMD_SCAN_FLUSH_NEGATIVE, 0);
            return;
        }
        size_t n = 0;
        if (cache_clear(cache, &n) != CACHE_OK) {
            control_client_final(c, "ERR", "cache clear failed (see the log)");
            return;
        }
        log_info("control: %s: flush --all removed %zu entries", who, n);
        if (control_client_json(c)) {
            json_t *o = json_object();
            json_object_set_new(o, "flushed", json_integer((json_int_t)n));
            control_client_data_json(c, o);
        }
        control_client_final(c, "OK", "flushed %zu %s", n, n == 1 ? "entry" : "entries");
        return;
    }

    /* Validate every domain before touching anything. */
    char(*doms)[DOMAIN_BUFSZ] = xcalloc(req->argc, DOMAIN_BUFSZ);
    for (size_t i = 0; i < req->argc; i++) {
        if (!ctlcmd_domain_arg(c, req->argv[i], doms[i])) {
            free(doms);
            return;
        }
    }
    size_t flushed = 0;
    for (size_t i = 0; i < req->argc; i++) {
        enum cache_status st = cache_del(cache, doms[i]);
        if (st == CACHE_ERROR) {
            control_client_final(c, "ERR", "cache delete failed for %s (see the log)", doms[i]);
            free(doms);
            return;
        }
        bool ok = st == CACHE_OK;
        flushed += ok;
        if (ok)
            log_info("control: %s: flushed %s", who, doms[i]);
        if (control_client_json(c)) {
            json_t *o = json_object();
            json_object_set_new(o, "domain", json_string(doms[i]));
            json_object_set_new(o, "flushed", json_boolean(ok));
            control_client_data_json(c, o);
        } else {
            control_client_dataf(c, "%s %s", doms[i], ok ? "flushed" : "not cached");
        }
    }
    size_t argc = req->argc;
    free(doms);
    if (flushed == argc)
        control_client_final(c, "OK", "flushed %zu of %zu", flushed, argc);
    else
        control_client_final(c, "NOTFOUND", "flushed %zu of %zu; the others were not cached",
                             flushed, argc);
}

/* ------------------------------------------------------------ scans */

static bool ctlcmd_scan_cb(void *arg, const char *domain, struct entry *e)
{
    struct ctlcmd_scan *sc = arg;
    struct control_client *c = sc->c;
    int64_t now = clock_wall();
    switch (sc->kind) {
    case CTLCMD_SCAN_LIST:
        if (ctlview_filter_match(sc->filter, e, now)) {
            sc->count++;
            control_client_data_take(c, control_client_json(c) ? ctlview_list_json(domain, e, now)
                                                               : ctlview_list_text(domain, e, now));
        }
        break;
    case CTLCMD_SCAN_DUMP:
        sc->count++;
        control_client_data_take(c, ctlview_entry_json(domain, e, now, ctlcmd_class_name));
        break;
    case CTLCMD_SCAN_FLUSH_NEGATIVE:
        if (e->policy == NULL || ctlview_state(e, now) == CTLPROTO_STATE_NEGATIVE) {
            if (cache_del(control_client_deps(c)->cache, domain) == CACHE_OK)
                sc->count++;
        }
        break;
    }
    return control_client_output(c) < CTLCMD_OUT_HIGH;
}

static void ctlcmd_scan_finish(struct control_client *c, struct ctlcmd_scan *sc)
{
    size_t n = sc->count;
    const char *what = n == 1 ? "entry" : "entries";
    char who[64];
    switch (sc->kind) {
    case CTLCMD_SCAN_LIST:
        control_client_final(c, "OK", "%zu %s", n, what);
        break;
    case CTLCMD_SCAN_DUMP:
        control_client_final(c, "OK", "dumped %zu %s", n, what);
        break;
    case CTLCMD_SCAN_FLUSH_NEGATIVE:
        log_info("control: %s: flush --negative removed %zu entries",
                 ctlcmd_who(c, who, sizeof(who)), n);
        if (control_client_json(c)) {
            json_t *o = json_object();
            json_object_set_new(o, "flushed", json_integer((json_int_t)n));
            control_client_data_json(c, o);
        }
        control_client_final(c, "OK", "flushed %zu %s", n, what);
        break;
    }
}

/* One batch; the next one comes when the output drained or next turn. */
static void ctlcmd_scan_pump(struct control_client *c, void *st)
{
    struct ctlcmd_scan *sc = st;
    if (sc->stopped || control_client_output(c) > CTLCMD_OUT_LOW)
        return; /* drained() calls again */
    char next[DOMAIN_BUFSZ];
    bool done = false;
    next[0] = '\0';
    enum cache_status cs = cache_scan(control_client_deps(c)->cache, sc->after, CTLCMD_SCAN_BATCH,
                                      ctlcmd_scan_cb, sc, next, &done);
    if (cs != CACHE_OK) {
        control_client_final(c, "ERR", "cache scan failed after %zu entries (see the log)",
                             sc->count);
        return;
    }
    if (done || next[0] == '\0') {
        ctlcmd_scan_finish(c, sc);
        return;
    }
    memcpy(sc->after, next, sizeof(sc->after));
    if (control_client_output(c) <= CTLCMD_OUT_LOW)
        control_client_schedule(c);
}

static void ctlcmd_scan_stop(void *st)
{
    struct ctlcmd_scan *sc = st;
    sc->stopped = true;
}

static const struct ctlcmd_ops ctlcmd_scan_ops = {
    .drained = ctlcmd_scan_pump,
    .work = ctlcmd_scan_pump,
    .stop = ctlcmd_scan_stop,
    .free = free,
};

static void ctlcmd_scan(struct control_client *c, enum ctlcmd_scan_kind kind, unsigned filter)
{
    struct ctlcmd_scan *sc = xcalloc(1, sizeof(*sc));
    sc->c = c;
    sc->kind = kind;
    sc->filter = filter;
    control_client_run(c, &ctlcmd_scan_ops, sc);
    ctlcmd_scan_pump(c, sc);
}

static void ctlcmd_list(struct control_client *c)
{
    const struct ctlproto_request *req = ctlcmd_req(c);
    const char *f = req->argc > 0 ? req->argv[0] : "all";
    unsigned filter;
    if (!ctlproto_filter_parse(f, &filter)) {
        char safe[64];
        control_client_final(c, "ERR",
                             "unknown filter '%s' (enforce, testing, none, negative, expired, "
                             "failing, all)",
                             ctlcmd_word(f, safe, sizeof(safe)));
        return;
    }
    ctlcmd_scan(c, CTLCMD_SCAN_LIST, filter);
}

static void ctlcmd_dump(struct control_client *c)
{
    control_client_data_take(c, ctlview_dump_header(PACKAGE_VERSION, clock_wall()));
    ctlcmd_scan(c, CTLCMD_SCAN_DUMP, 0);
}

/* ------------------------------------------------------------ refresh */

struct ctlcmd_refresh;

struct ctlcmd_refresh_one {
    struct ctlcmd_refresh *r;
    char domain[DOMAIN_BUFSZ];
    struct fetch_waiter *w; /* NULL once answered or cancelled */
};

struct ctlcmd_refresh {
    struct control_client *c;
    struct ctlcmd_refresh_one *one;
    size_t n, pending, failed;
    struct clock_timer *timer; /* CTLCMD_REFRESH_WAIT */
};

static bool ctlcmd_refresh_ok(enum fetch_class cls)
{
    return cls == FETCH_OK || cls == FETCH_UNCHANGED;
}

/* A refresh's line: "DOMAIN CLASS MODE ID", or its JSON object. */
static void ctlcmd_refresh_line(struct control_client *c, const char *domain, const char *cls,
                                bool ok, const struct entry *e, int64_t now)
{
    bool valid = e != NULL && verdict_policy_valid(e, now);
    const char *mode = valid ? sts_mode_name(e->policy->mode) : "-";
    if (control_client_json(c)) {
        json_t *o = json_object();
        json_object_set_new(o, "domain", json_string(domain));
        json_object_set_new(o, "class", json_string(cls));
        json_object_set_new(o, "ok", json_boolean(ok));
        json_object_set_new(o, "mode", valid ? json_string(mode) : json_null());
        json_object_set_new(o, "id", valid && e->id[0] ? json_string(e->id) : json_null());
        json_object_set_new(o, "expires_at",
                            valid ? json_integer((json_int_t)e->expires_at) : json_null());
        control_client_data_json(c, o);
    } else {
        control_client_dataf(c, "%s %s %s %s", domain, cls, mode, valid && e->id[0] ? e->id : "-");
    }
}

static void ctlcmd_on_refresh(void *arg, const struct fetch_result *res)
{
    struct ctlcmd_refresh_one *one = arg;
    struct ctlcmd_refresh *r = one->r;
    struct control_client *c = r->c;
    bool ok = ctlcmd_refresh_ok(res->cls);
    one->w = NULL;
    r->pending--;
    if (!ok)
        r->failed++;
    ctlcmd_refresh_line(c, one->domain, fetch_class_name(res->cls), ok, res->entry, clock_wall());
    if (r->pending > 0)
        return;
    if (r->failed == 0)
        control_client_final(c, "OK", "refreshed %zu of %zu", r->n, r->n);
    else
        control_client_final(c, "ERR", "%zu of %zu refreshes failed", r->failed, r->n);
}

static void ctlcmd_on_refresh_timeout(void *arg)
{
    struct ctlcmd_refresh *r = arg;
    for (size_t i = 0; i < r->n; i++) {
        struct ctlcmd_refresh_one *one = &r->one[i];
        if (one->w == NULL)
            continue;
        fetch_waiter_cancel(one->w);
        one->w = NULL;
        ctlcmd_refresh_line(r->c, one->domain, "pending", false, NULL, 0);
    }
    control_client_final(r->c, "ERR", "%zu of %zu refreshes still running after %d s (they go on)",
                         r->pending, r->n, CTLCMD_REFRESH_WAIT);
}

static void ctlcmd_refresh_stop(void *st)
{
    struct ctlcmd_refresh *r = st;
    for (size_t i = 0; i < r->n; i++) {
        if (r->one[i].w != NULL) {
            fetch_waiter_cancel(r->one[i].w);
            r->one[i].w = NULL;
        }
    }
    clock_timer_del(r->timer);
}

static void ctlcmd_refresh_free(void *st)
{
    struct ctlcmd_refresh *r = st;
    ctlcmd_refresh_stop(r);
    clock_timer_free(r->timer);
    free(r->one);
    free(r);
}

static const struct ctlcmd_ops ctlcmd_refresh_ops = {
    .stop = ctlcmd_refresh_stop,
    .free = ctlcmd_refresh_free,
};

static void ctlcmd_refresh(struct control_client *c)
{
    const struct ctlproto_request *req = ctlcmd_req(c);
    size_t n = req->argc;
    if (n > CTLPROTO_REFRESH_MAX) {
        control_client_final(c, "ERR", "too many domains (at most %d per refresh)",
                             CTLPROTO_REFRESH_MAX);
        return;
    }
    struct ctlcmd_refresh_one *one = xcalloc(n, sizeof(*one));
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        char d[DOMAIN_BUFSZ];
        if (!ctlcmd_domain_arg(c, req->argv[i], d)) {
            free(one);
            return;
        }
        bool dup = false;
        for (size_t j = 0; j < m && !dup; j++)
            dup = strcmp(one[j].domain, d) == 0;
        if (!dup)
            memcpy(one[m++].domain, d, sizeof(d));
    }
    struct ctlcmd_refresh *r = xcalloc(1, sizeof(*r));
    r->c = c;
    r->one = one;
    r->n = r->pending = m;
    r->timer = clock_timer_new(control_client_base(c), ctlcmd_on_refresh_timeout, r);
    clock_timer_add(r->timer, CTLCMD_REFRESH_WAIT * 1000);
    control_client_run(c, &ctlcmd_refresh_ops, r);
    char who[64];
    ctlcmd_who(c, who, sizeof(who));
    for (size_t i = 0; i < m; i++) {
        one[i].r = r;
        log_info("control: %s: refresh %s", who, one[i].domain);
        /* fetch never calls back from inside fetch_request_operator() */
        one[i].w = fetch_request_operator(control_client_deps(c)->fetch, one[i].domain,
                                          ctlcmd_on_refresh, &one[i]);
    }
}

/* ------------------------------------------------------------ reload */

static void ctlcmd_reload(struct control_client *c)
{
    const struct control_deps *deps = control_client_deps(c);
    char who[64];
    log_info("control: %s: reload", ctlcmd_who(c, who, sizeof(who)));
    if (deps->reload == NULL) {
        control_client_final(c, "ERR", "reload is not available");
        return;
    }
    char err[512];
    err[0] = '\0';
    if (!deps->reload(deps->reload_arg, err, sizeof(err))) {
        control_client_final(c, "ERR", "reload failed, running configuration kept: %s", err);
        return;
    }
    control_client_final(c, "OK", "configuration reloaded");
}

/* ------------------------------------------------------------ load */

/* A load record accepted but not yet written. */
struct ctlcmd_load_item {
    char domain[DOMAIN_BUFSZ];
    struct entry e;
    size_t line_no;
};

struct ctlcmd_load {
    size_t line_no, loaded, skipped, rejected;
    struct ctlcmd_load_item batch[CTLCMD_LOAD_BATCH];
    size_t nbatch, batch_bytes;
};

/* Called after ld->rejected was counted up for this record. */
static void ctlcmd_load_report(struct control_client *c, struct ctlcmd_load *ld, const char *why)
{
    if (ld->rejected > CTLCMD_LOAD_REPORT_MAX + 1)
        return;
    if (ld->rejected == CTLCMD_LOAD_REPORT_MAX + 1) {
        if (control_client_json(c)) {
            json_t *o = json_object();
            json_object_set_new(o, "line", json_null());
            json_object_set_new(o, "error", json_string("further rejected records not shown"));
            control_client_data_json(c, o);
        } else {
            control_client_data(c, "further rejected records not shown");
        }
        return;
    }
    if (control_client_json(c)) {
        json_t *o = json_object();
        json_object_set_new(o, "line", json_integer((json_int_t)ld->line_no));
        json_object_set_new(o, "error", json_string(why));
        control_client_data_json(c, o);
    } else {
        control_client_dataf(c, "line %zu: rejected: %s", ld->line_no, why);
    }
}

static void ctlcmd_load_finish(struct control_client *c, struct ctlcmd_load *ld)
{
    char who[64];
    log_info("control: %s: load: %zu loaded, %zu skipped, %zu rejected",
             ctlcmd_who(c, who, sizeof(who)), ld->loaded, ld->skipped, ld->rejected);
    if (control_client_json(c)) {
        json_t *o = json_object();
        json_object_set_new(o, "loaded", json_integer((json_int_t)ld->loaded));
        json_object_set_new(o, "skipped", json_integer((json_int_t)ld->skipped));
        json_object_set_new(o, "rejected", json_integer((json_int_t)ld->rejected));
        control_client_data_json(c, o);
    }
    control_client_final(c, ld->rejected == 0 ? "OK" : "ERR",
                         "loaded %zu, skipped %zu, rejected %zu", ld->loaded, ld->skipped,
                         ld->rejected);
}

/*
 * Write the pending batch with one cache_put_many() (one transaction, one
 * sync).  All or nothing: ld->loaded counts the batch only once it is
 * committed.  False, with the final ERR queued, if the write failed.
 */
static bool ctlcmd_load_flush(struct control_client *c, struct ctlcmd_load *ld)
{
    const char *doms[CTLCMD_LOAD_BATCH];
    const struct entry *ents[CTLCMD_LOAD_BATCH];
    size_t n = ld->nbatch;
    if (n == 0)
        return true;
    for (size_t i = 0; i < n; i++) {
        doms[i] = ld->batch[i].domain;
        ents[i] = &ld->batch[i].e;
    }
    enum cache_status st = cache_put_many(control_client_deps(c)->cache, doms, ents, n);
    size_t first = ld->batch[0].line_no, last = ld->batch[n - 1].line_no;
    char first_dom[DOMAIN_BUFSZ];
    memcpy(first_dom, ld->batch[0].domain, sizeof(first_dom));
    for (size_t i = 0; i < n; i++)
        entry_clear(&ld->batch[i].e);
    ld->nbatch = 0;
    ld->batch_bytes = 0;
    if (st != CACHE_OK) {
        control_client_final(c, "ERR",
                             "cache write failed for the %zu records of lines %zu-%zu (%s first), "
                             "none of them stored; loaded %zu so far",
                             n, first, last, first_dom, ld->loaded);
        return false;
    }
    ld->loaded += n;
    return true;
}

static bool ctlcmd_load_pending(const struct ctlcmd_load *ld, const char *domain)
{
    for (size_t i = 0; i < ld->nbatch; i++)
        if (strcmp(ld->batch[i].domain, domain) == 0)
            return true;
    return false;
}

/*
 * One record line: parsed, checked and compared with the cache one by one;
 * an accepted record joins the pending batch (ctlcmd_load_flush() writes
 * it).  A record for a domain already in the batch first writes the
 * batch, so that its comparison sees the earlier record exactly as a
 * record-by-record load would.  On a cache failure the load ends with ERR.
 * refresh_interval is the running configuration's (a record without
 * refresh_at gets its refresh time from it).
 */
static void ctlcmd_load_record(struct control_client *c, struct ctlcmd_load *ld, const char *line,
                               size_t len)
{
    char domain[DOMAIN_BUFSZ], err[256];
    struct entry e, old;
    int64_t now = clock_wall();
    entry_init(&e);
    enum ctlrecord_status r = ctlrecord_parse(line, len, now, control_client_refresh_interval(c),
                                              domain, &e, err, sizeof(err));
    switch (r) {
    case CTLRECORD_HEADER:
        return;
    case CTLRECORD_EXPIRED:
    case CTLRECORD_NEGATIVE:
        ld->skipped++;
        log_debug("control: load line %zu: %s skipped (%s)", ld->line_no, domain,
                  r == CTLRECORD_EXPIRED ? "nothing valid" : "negative entry");
        return;
    case CTLRECORD_INVALID:
        ld->rejected++;
        log_info("control: load line %zu rejected: %s", ld->line_no, err);
        ctlcmd_load_report(c, ld, err);
        return;
    case CTLRECORD_OK:
        break;
    }
    if ((ld->nbatch == CTLCMD_LOAD_BATCH || ctlcmd_load_pending(ld, domain)) &&
        !ctlcmd_load_flush(c, ld)) {
        entry_clear(&e);
        return;
    }
    entry_init(&old);
    enum cache_status st = cache_get(control_client_deps(c)->cache, domain, &old);
    bool newer_cached =
        st == CACHE_OK && verdict_policy_valid(&old, now) && old.fetched_at >= e.fetched_at;
    entry_clear(&old);
    if (st == CACHE_ERROR) {
        entry_clear(&e);
        if (ctlcmd_load_flush(c, ld))
            control_client_final(c, "ERR", "cache read failed at line %zu (%s); loaded %zu so far",
                                 ld->line_no, domain, ld->loaded);
        return;
    }
    if (newer_cached) {
        ld->skipped++;
        log_debug("control: load line %zu: %s skipped (the cached policy is as new)", ld->line_no,
                  domain);
        entry_clear(&e);
        return;
    }
    struct ctlcmd_load_item *it = &ld->batch[ld->nbatch++];
    memcpy(it->domain, domain, sizeof(it->domain));
    it->e = e; /* the batch takes the policy */
    it->line_no = ld->line_no;
    ld->batch_bytes += len;
}

/*
 * At most CTLCMD_LOAD_BATCH records (CTLCMD_LOAD_BATCH_BYTES of record
 * text) per loop turn, written together with one cache_put_many() before
 * this returns; the rest wait for the next turn.
 */
static void ctlcmd_load_input(struct control_client *c, void *st)
{
    struct ctlcmd_load *ld = st;
    char *line;
    size_t len, done = 0;
    while (!control_client_finished(c)) {
        if (done == CTLCMD_LOAD_BATCH || ld->batch_bytes >= CTLCMD_LOAD_BATCH_BYTES) {
            if (ctlcmd_load_flush(c, ld))
                control_client_schedule(c);
            return;
        }
        int r = control_client_getline(c, CTLPROTO_RECORD_MAX, &line, &len);
        if (r == 0) {
            (void)ctlcmd_load_flush(c, ld);
            return;
        }
        ld->line_no++;
        if (r < 0) {
            if (ctlcmd_load_flush(c, ld))
                control_client_final(
                    c, "ERR",
                    "line %zu: record longer than %d bytes; load stopped after %zu loaded",
                    ld->line_no, CTLPROTO_RECORD_MAX, ld->loaded);
            return;
        }
        if (len == 1 && line[0] == '.') {
            free(line);
            if (ctlcmd_load_flush(c, ld))
                ctlcmd_load_finish(c, ld);
            return;
        }
        bool blank = true;
        for (size_t i = 0; i < len && blank; i++)
            blank = line[i] == ' ' || line[i] == '\t';
        if (!blank) {
            ctlcmd_load_record(c, ld, line, len);
            done++;
        }
        free(line);
    }
}

/* The client left (or the load ended) with records not yet written:
 * none is kept (the client was told of none of them). */
static void ctlcmd_load_stop(void *st)
{
    struct ctlcmd_load *ld = st;
    for (size_t i = 0; i < ld->nbatch; i++)
        entry_clear(&ld->batch[i].e);
    ld->nbatch = 0;
}

static void ctlcmd_load_free(void *st)
{
    ctlcmd_load_stop(st);
    free(st);
}

/* The client went away before the final ".": say what was kept. */
static void ctlcmd_load_left(struct control_client *c, void *st)
{
    struct ctlcmd_load *ld = st;
    char who[64];
    log_warning("control: %s: load ended without its final \".\" after line %zu (%zu loaded, "
                "%zu skipped, %zu rejected)",
                ctlcmd_who(c, who, sizeof(who)), ld->line_no, ld->loaded, ld->skipped,
                ld->rejected);
}

static const struct ctlcmd_ops ctlcmd_load_ops = {
    .input = ctlcmd_load_input,
    .work = ctlcmd_load_input,
    .left = ctlcmd_load_left,
    .stop = ctlcmd_load_stop,
    .free = ctlcmd_load_free,
};

static void ctlcmd_load(struct control_client *c)
{
    char who[64];
    log_info("control: %s: load started", ctlcmd_who(c, who, sizeof(who)));
    struct ctlcmd_load *ld = xcalloc(1, sizeof(*ld));
    control_client_run(c, &ctlcmd_load_ops, ld);
    control_client_read_records(c);
}

/* ------------------------------------------------------------ table */

static const struct ctlcmd ctlcmd_table[] = {
    {"status", 0, 0, ctlcmd_status},
    {"stats", 0, 1, ctlcmd_stats},
    {"show", 1, 1, ctlcmd_show},
    {"list", 0, 1, ctlcmd_list},
    {"flush", 1, CTLPROTO_ARGS_MAX, ctlcmd_flush},
    {"refresh", 1, CTLPROTO_ARGS_MAX, ctlcmd_refresh},
    {"reload", 0, 0, ctlcmd_reload},
    {"dump", 0, 0, ctlcmd_dump},
    {"load", 0, 0, ctlcmd_load},
};

const struct ctlcmd *ctlcmd_find(const char *name)
{
    for (size_t i = 0; i < sizeof(ctlcmd_table) / sizeof(ctlcmd_table[0]); i++)
        if (strcmp(ctlcmd_table[i].name, name) == 0)
            return &ctlcmd_table[i];
    return NULL;
}

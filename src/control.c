/*
 * control - the control socket that mtastsd-ctl talks to (see control.h;
 * the protocol is doc/control-protocol.txt).
 *
 * Public functions: control_open(), control_start(), control_close().
 *
 * One request per connection: the client sends
 * "MTASTSD-CTL 1 <text|json> <command> [args]", the server answers with
 * "DATA ..." lines and one final "OK"/"NOTFOUND"/"ERR" line, then closes.
 * "load" is the only command that reads more: the server says "CONTINUE",
 * the client streams one JSON record per line and ends with ".".
 *
 * Each client is a bufferevent with an explicit state:
 *   REQUEST  reading the request line: it must be complete within
 *            CONTROL_REQUEST_TIMEOUT of the connect, however the bytes
 *            trickle in (a deadline, not an idle timer)
 *   RUN      executing: streaming a scan (list, dump, flush --negative)
 *            in batches, or waiting for refresh jobs (bounded by
 *            CONTROL_REFRESH_WAIT); input is read only to notice the
 *            client leaving
 *   LOAD     reading load records (read timeout CONTROL_IDLE_TIMEOUT)
 *   DONE     the final line is queued; the connection closes once it is
 *            written
 * control_client_enter_state() logs "old -> new" at debug level.
 *
 * Never blocking the loop: a load reads at most CONTROL_LOAD_BATCH records
 * (and at most CONTROL_LOAD_BATCH_BYTES of record text) per loop iteration
 * and writes the ones it accepts with one cache_put_many(), so one LMDB
 * transaction and one sync per batch; scans read at most
 * CONTROL_SCAN_BATCH entries per loop iteration (cache_scan() ends its
 * transaction before calling back), stop early once CONTROL_OUT_HIGH
 * bytes are queued, and resume from the write callback when the output
 * has drained to CONTROL_OUT_LOW or from a deferred "work" event.  A
 * client that stops reading is cut off after CONTROL_IDLE_TIMEOUT without
 * progress.  A client that leaves cancels its refresh waiters; the jobs
 * go on.
 *
 * Access: SO_PEERCRED at accept; root, the daemon's effective uid, and
 * members of control_socket_group (primary group or, with SO_PEERGROUPS,
 * any supplementary group) are served.  Others get "ERR permission
 * denied".  At most CONTROL_CLIENTS_MAX clients at once: when a new
 * client finds them all taken, the oldest client still in REQUEST (one
 * that holds a slot without having asked anything, connected at least
 * CONTROL_SHED_MIN_AGE ago) is closed to make room (counted as
 * control_shed); if there is none, the new one gets "ERR too many control
 * clients".  Refusals and sheddings
 * log a warning: at most
 * CONTROL_DENY_LOG_BURST at once, then one per second, the next logged
 * line counting those that were not (any local user may knock on a
 * socket of mode 0666).
 *
 * Limits: request line CTLPROTO_LINE_MAX bytes, load record
 * CTLPROTO_RECORD_MAX bytes, CTLPROTO_REFRESH_MAX domains per refresh,
 * CONTROL_LOAD_REPORT_MAX rejected records reported one by one.
 * Diagnostics: operator actions (flush, refresh, reload, load) are logged
 * at info with the peer's uid and pid; refusals at warning.
 */
#include "autoconfig.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <grp.h>
#include <inttypes.h>
#include <jansson.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "cache.h"
#include "clock.h"
#include "config.h"
#include "control.h"
#include "ctlproto.h"
#include "ctlrecord.h"
#include "ctlview.h"
#include "domain.h"
#include "entry.h"
#include "fetch.h"
#include "listener.h"
#include "log.h"
#include "lookup.h"
#include "queue_safe.h"
#include "smap.h"
#include "stats.h"
#include "sts_policy.h"
#include "verdict.h"
#include "xalloc.h"

#define CONTROL_CLIENTS_MAX      16
#define CONTROL_IDLE_TIMEOUT     30  /* seconds without progress */
#define CONTROL_REQUEST_TIMEOUT  10  /* seconds from connect to a complete request line */
#define CONTROL_SHED_MIN_AGE     1   /* seconds before a client without a request may be shed */
#define CONTROL_REFRESH_WAIT     120 /* seconds a refresh command waits */
#define CONTROL_SCAN_BATCH       256 /* entries per loop iteration */
#define CONTROL_OUT_LOW          (16 * 1024)
#define CONTROL_OUT_HIGH         (64 * 1024)
#define CONTROL_LOAD_REPORT_MAX  100
#define CONTROL_LOAD_BATCH       128           /* records per loop iteration and transaction */
#define CONTROL_LOAD_BATCH_BYTES (1024 * 1024) /* record text per batch */
#define CONTROL_ACCEPT_BATCH     16
#define CONTROL_DENY_LOG_BURST   10 /* refusal lines logged at once, then 1/s */

_Static_assert(CONTROL_LOAD_BATCH <= CACHE_PUT_MANY_MAX, "a load batch is one cache_put_many()");

enum control_client_state {
    CC_REQUEST = 0,
    CC_RUN,
    CC_LOAD,
    CC_DONE,
};

static const char *const cc_state_names[] = {"request", "run", "load", "done"};

enum control_scan_kind {
    CC_SCAN_NONE = 0,
    CC_SCAN_LIST,
    CC_SCAN_DUMP,
    CC_SCAN_FLUSH_NEGATIVE,
};

struct control_client;

/* A load record accepted but not yet written. */
struct control_load_item {
    char domain[DOMAIN_BUFSZ];
    struct entry e;
    size_t line_no;
};

struct control_refresh {
    struct control_client *c;
    char domain[DOMAIN_BUFSZ];
    struct fetch_waiter *w; /* NULL once answered or cancelled */
};

struct control_client {
    struct control *ctl;
    struct bufferevent *bev;
    enum control_client_state state;
    unsigned long id;             /* for logs */
    int64_t connected_ms;         /* monotonic */
    struct clock_timer *deadline; /* CONTROL_REQUEST_TIMEOUT, while in REQUEST */
    uid_t uid;
    pid_t pid;
    struct ctlproto_request req;
    enum ctlproto_format fmt;
    /* scans */
    enum control_scan_kind scan;
    unsigned filter;
    char scan_after[DOMAIN_BUFSZ];
    size_t count;
    struct clock_timer *work; /* the next batch, on the next loop turn */
    /* refresh */
    struct control_refresh *refs;
    size_t nrefs, pending, failed;
    struct clock_timer *timer; /* CONTROL_REFRESH_WAIT */
    /* load: counts, and the batch of one loop iteration (never kept
     * across iterations: written before cc_load_input() returns) */
    size_t line_no, loaded, skipped, rejected;
    struct control_load_item *batch; /* CONTROL_LOAD_BATCH slots */
    size_t nbatch, batch_bytes;
    TAILQ_ENTRY(control_client) link; /* on ctl->clients, oldest first */
};

struct control {
    struct event_base *base;
    int fd;
    char *path;
    dev_t dev;
    ino_t ino;
    bool has_group;
    gid_t gid;
    char *group_name;
    int64_t refresh_interval;
    struct event *accept_ev;
    struct clock_timer *accept_retry;
    struct control_deps deps;
    bool started;
    TAILQ_HEAD(, control_client) clients; /* oldest first */
    size_t nclients;
    unsigned long next_id;
    uint64_t refused;
    /* Logging of refused and shed connections: a token bucket
     * (CONTROL_DENY_LOG_BURST lines, then one per second), so that any
     * local user cannot flood the log through a world-connectable socket
     * or by opening clients beyond CONTROL_CLIENTS_MAX. */
    struct log_limit deny_log;
};

struct control_command {
    const char *name;
    size_t min_args, max_args;
    void (*run)(struct control_client *c);
};

/* ------------------------------------------------------------ plumbing */

static void control_client_enter_state(struct control_client *c, enum control_client_state st)
{
    if (c->state != st)
        log_debug("control client %lu: %s -> %s", c->id, cc_state_names[c->state],
                  cc_state_names[st]);
    if (st != CC_REQUEST && c->deadline != NULL)
        clock_timer_del(c->deadline);
    c->state = st;
}

static void cc_free(struct control_client *c)
{
    struct control *ctl = c->ctl;
    for (size_t i = 0; i < c->nrefs; i++)
        if (c->refs[i].w != NULL)
            fetch_waiter_cancel(c->refs[i].w);
    free(c->refs);
    for (size_t i = 0; i < c->nbatch; i++)
        entry_clear(&c->batch[i].e);
    free(c->batch);
    clock_timer_free(c->timer);
    clock_timer_free(c->deadline);
    clock_timer_free(c->work);
    if (c->bev != NULL)
        bufferevent_free(c->bev); /* closes the fd */
    TAILQ_REMOVE(&ctl->clients, c, link);
    ctl->nclients--;
    log_debug("control client %lu: closed", c->id);
    free(c);
}

static void cc_write(struct control_client *c, const char *kw, const char *text, size_t len)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);
    evbuffer_add(out, kw, strlen(kw));
    if (len > 0) {
        evbuffer_add(out, " ", 1);
        evbuffer_add(out, text, len);
    }
    evbuffer_add(out, "\n", 1);
}

/* One DATA line per LF-separated line of text. */
static void cc_data(struct control_client *c, const char *text)
{
    for (;;) {
        const char *nl = strchr(text, '\n');
        size_t n = nl ? (size_t)(nl - text) : strlen(text);
        cc_write(c, "DATA", text, n);
        if (nl == NULL)
            break;
        text = nl + 1;
    }
}

static void cc_dataf(struct control_client *c, const char *fmt, ...) LOG_PRINTF(2, 3);

static void cc_dataf(struct control_client *c, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    cc_data(c, buf);
}

/* Take a malloc'd line, send it as DATA, free it. */
static void cc_data_take(struct control_client *c, char *text)
{
    cc_data(c, text);
    free(text);
}

static void cc_data_json(struct control_client *c, json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (s == NULL)
        abort(); /* only on OOM */
    cc_data_take(c, s);
}

/*
 * Queue the final line and stop: no more input is read, pending work is
 * cancelled, and the write callback closes the connection once the output
 * is written.  Never frees the client (callers may still hold it).
 */
static void cc_final(struct control_client *c, const char *kw, const char *fmt, ...)
    LOG_PRINTF(3, 4);

static void cc_final(struct control_client *c, const char *kw, const char *fmt, ...)
{
    char buf[1024];
    buf[0] = '\0';
    if (fmt != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
    }
    for (char *p = buf; *p != '\0'; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    cc_write(c, kw, buf, strlen(buf));
    for (size_t i = 0; i < c->nrefs; i++) {
        if (c->refs[i].w != NULL) {
            fetch_waiter_cancel(c->refs[i].w);
            c->refs[i].w = NULL;
        }
    }
    if (c->timer != NULL)
        clock_timer_del(c->timer);
    if (c->work != NULL)
        clock_timer_del(c->work);
    c->scan = CC_SCAN_NONE;
    control_client_enter_state(c, CC_DONE);
    bufferevent_disable(c->bev, EV_READ);
    bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
    struct timeval tv = {.tv_sec = CONTROL_IDLE_TIMEOUT, .tv_usec = 0};
    bufferevent_set_timeouts(c->bev, NULL, &tv);
    bufferevent_enable(c->bev, EV_WRITE);
}

/* Short, printable copy of a client word for messages. */
static const char *cc_word(const char *w, char *buf, size_t bufsz)
{
    return log_sanitize(w, strlen(w), buf, bufsz);
}

/* Normalise a DOMAIN argument; false (and ERR sent) if it is not one. */
static bool cc_domain_arg(struct control_client *c, const char *arg, char out[DOMAIN_BUFSZ])
{
    enum domain_key_kind k = domain_normalize_key(arg, strlen(arg), out);
    if (k == DOMAIN_KEY_OK)
        return true;
    char safe[96];
    cc_final(c, "ERR", "invalid domain '%s' (%s)", cc_word(arg, safe, sizeof(safe)),
             domain_key_kind_name(k));
    return false;
}

static const char *cc_class_name(unsigned cls)
{
    return fetch_class_name((enum fetch_class)cls);
}

static bool cc_json(const struct control_client *c)
{
    return c->fmt == CTLPROTO_JSON;
}

/* ------------------------------------------------------------ status, stats */

static void cmd_status(struct control_client *c)
{
    struct control *ctl = c->ctl;
    int64_t now = clock_wall();
    int64_t up = stats.started > 0 && now >= stats.started ? (int64_t)(now - stats.started) : 0;
    size_t entries = cache_count(ctl->deps.cache);
    size_t running = fetch_active(ctl->deps.fetch), queued = fetch_queued(ctl->deps.fetch);
    size_t conns = smap_connections(ctl->deps.smap), pending = lookup_pending(ctl->deps.lookup);
    size_t buffered = smap_buffered(ctl->deps.smap);

    if (cc_json(c)) {
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
        json_object_set_new(o, "control_clients", json_integer((json_int_t)ctl->nclients));
        json_object_set_new(o, "control_refused", json_integer((json_int_t)ctl->refused));
        cc_data_json(c, o);
    } else {
        char tb[CTLVIEW_TIME_BUFSZ], db[CTLVIEW_TIME_BUFSZ];
        cc_dataf(c, "%-16s %s", "version", PACKAGE_VERSION);
        cc_dataf(c, "%-16s %ld", "pid", (long)getpid());
        cc_dataf(c, "%-16s %s (up %s)", "started", ctlview_time(stats.started, tb),
                 ctlview_duration(up, db));
        cc_dataf(c, "%-16s %zu", "cache_entries", entries);
        cc_dataf(c, "%-16s %zu", "fetches_running", running);
        cc_dataf(c, "%-16s %zu", "fetches_queued", queued);
        cc_dataf(c, "%-16s %zu", "connections", conns);
        cc_dataf(c, "%-16s %zu", "connection_bytes", buffered);
        cc_dataf(c, "%-16s %zu", "pending_queries", pending);
        cc_dataf(c, "%-16s %zu", "control_clients", ctl->nclients);
        cc_dataf(c, "%-16s %" PRIu64, "control_refused", ctl->refused);
    }
    cc_final(c, "OK", NULL);
}

struct cc_stat {
    char name[48];
    uint64_t value;
};

static size_t cc_collect_stats(struct cc_stat *s, size_t max)
{
    size_t n = 0;
#define CC_STAT(nm, v)                                                                             \
    do {                                                                                           \
        if (n < max) {                                                                             \
            snprintf(s[n].name, sizeof(s[n].name), "%s", nm);                                      \
            s[n++].value = (uint64_t)(v);                                                          \
        }                                                                                          \
    } while (0)
    CC_STAT("connections_accepted", stats.connections_accepted);
    CC_STAT("connections_rejected", stats.connections_rejected);
    CC_STAT("connections_shed", stats.connections_shed);
    CC_STAT("connections_slow", stats.connections_slow);
    CC_STAT("connections_not_reading", stats.connections_not_reading);
    CC_STAT("queries", stats.queries);
    for (unsigned v = 0; v < STATS_VERDICT__COUNT; v++) {
        char nm[48];
        snprintf(nm, sizeof(nm), "verdict_%s", stats_verdict_name((enum stats_verdict)v));
        CC_STAT(nm, stats.verdicts[v]);
    }
    CC_STAT("cache_hits", stats.cache_hits);
    CC_STAT("cache_misses", stats.cache_misses);
    CC_STAT("query_timeouts", stats.query_timeouts);
    for (unsigned f = 0; f < FETCH_CLASS__COUNT; f++) {
        char nm[48];
        snprintf(nm, sizeof(nm), "fetch_%s", fetch_class_name((enum fetch_class)f));
        for (char *p = nm; *p != '\0'; p++)
            if (*p == '-')
                *p = '_';
        CC_STAT(nm, stats.fetches[f]);
    }
    CC_STAT("fetches_shed", stats.fetches_shed);
    CC_STAT("fetches_abandoned", stats.fetches_abandoned);
    CC_STAT("refresh_started", stats.refresh_started);
    CC_STAT("refresh_ok", stats.refresh_ok);
    CC_STAT("refresh_failed", stats.refresh_failed);
    CC_STAT("swept", stats.swept);
    CC_STAT("control_shed", stats.control_shed);
    CC_STAT("control_slow_requests", stats.control_slow_requests);
#undef CC_STAT
    return n;
}

static void cmd_stats(struct control_client *c)
{
    struct cc_stat s[64];
    size_t n = cc_collect_stats(s, sizeof(s) / sizeof(s[0]));
    if (cc_json(c)) {
        json_t *o = json_object();
        for (size_t i = 0; i < n; i++)
            json_object_set_new(o, s[i].name, json_integer((json_int_t)s[i].value));
        cc_data_json(c, o);
    } else {
        for (size_t i = 0; i < n; i++)
            cc_dataf(c, "%s %" PRIu64, s[i].name, s[i].value);
    }
    cc_final(c, "OK", NULL);
}

/* ------------------------------------------------------------ show, flush */

static void cmd_show(struct control_client *c)
{
    char d[DOMAIN_BUFSZ];
    if (!cc_domain_arg(c, c->req.argv[0], d))
        return;
    struct entry e;
    entry_init(&e);
    enum cache_status st = cache_get(c->ctl->deps.cache, d, &e);
    if (st == CACHE_NOTFOUND) {
        cc_final(c, "NOTFOUND", "no cache entry for %s", d);
        return;
    }
    if (st != CACHE_OK) {
        cc_final(c, "ERR", "cache read failed for %s (see the log)", d);
        return;
    }
    int64_t now = clock_wall();
    if (cc_json(c))
        cc_data_take(c, ctlview_entry_json(d, &e, now, cc_class_name));
    else
        cc_data_take(c, ctlview_entry_text(d, &e, now, cc_class_name));
    entry_clear(&e);
    cc_final(c, "OK", NULL);
}

static void cc_scan_start(struct control_client *c, enum control_scan_kind kind);

static void cmd_flush(struct control_client *c)
{
    struct control *ctl = c->ctl;
    const char *a0 = c->req.argv[0];
    if (a0[0] == '-') {
        if (c->req.argc != 1 || (strcmp(a0, "--all") != 0 && strcmp(a0, "--negative") != 0)) {
            cc_final(c, "ERR", "usage: flush DOMAIN... | flush --all | flush --negative");
            return;
        }
        if (strcmp(a0, "--negative") == 0) {
            log_info("control: uid %ld pid %ld: flush --negative", (long)c->uid, (long)c->pid);
            cc_scan_start(c, CC_SCAN_FLUSH_NEGATIVE);
            return;
        }
        size_t n = 0;
        if (cache_clear(ctl->deps.cache, &n) != CACHE_OK) {
            cc_final(c, "ERR", "cache clear failed (see the log)");
            return;
        }
        log_info("control: uid %ld pid %ld: flush --all removed %zu entries", (long)c->uid,
                 (long)c->pid, n);
        if (cc_json(c)) {
            json_t *o = json_object();
            json_object_set_new(o, "flushed", json_integer((json_int_t)n));
            cc_data_json(c, o);
        }
        cc_final(c, "OK", "flushed %zu %s", n, n == 1 ? "entry" : "entries");
        return;
    }

    /* Validate every domain before touching anything. */
    char(*doms)[DOMAIN_BUFSZ] = xcalloc(c->req.argc, DOMAIN_BUFSZ);
    for (size_t i = 0; i < c->req.argc; i++) {
        if (!cc_domain_arg(c, c->req.argv[i], doms[i])) {
            free(doms);
            return;
        }
    }
    size_t flushed = 0;
    for (size_t i = 0; i < c->req.argc; i++) {
        enum cache_status st = cache_del(ctl->deps.cache, doms[i]);
        if (st == CACHE_ERROR) {
            cc_final(c, "ERR", "cache delete failed for %s (see the log)", doms[i]);
            free(doms);
            return;
        }
        bool ok = st == CACHE_OK;
        flushed += ok;
        if (ok)
            log_info("control: uid %ld pid %ld: flushed %s", (long)c->uid, (long)c->pid, doms[i]);
        if (cc_json(c)) {
            json_t *o = json_object();
            json_object_set_new(o, "domain", json_string(doms[i]));
            json_object_set_new(o, "flushed", json_boolean(ok));
            cc_data_json(c, o);
        } else {
            cc_dataf(c, "%s %s", doms[i], ok ? "flushed" : "not cached");
        }
    }
    free(doms);
    if (flushed == c->req.argc)
        cc_final(c, "OK", "flushed %zu of %zu", flushed, c->req.argc);
    else
        cc_final(c, "NOTFOUND", "flushed %zu of %zu; the others were not cached", flushed,
                 c->req.argc);
}

/* ------------------------------------------------------------ scans */

/*
 * Run the next batch after the loop has polled for I/O again: a zero
 * timer, not event_active(), which libevent would run in the same pass
 * and so starve every other connection.
 */
static void cc_schedule(struct control_client *c)
{
    clock_timer_add(c->work, 0);
}

static bool cc_scan_cb(void *arg, const char *domain, struct entry *e)
{
    struct control_client *c = arg;
    int64_t now = clock_wall();
    switch (c->scan) {
    case CC_SCAN_LIST:
        if (c->filter & (1u << ctlview_state(e, now))) {
            c->count++;
            cc_data_take(c, cc_json(c) ? ctlview_list_json(domain, e, now)
                                       : ctlview_list_text(domain, e, now));
        }
        break;
    case CC_SCAN_DUMP:
        c->count++;
        cc_data_take(c, ctlview_entry_json(domain, e, now, cc_class_name));
        break;
    case CC_SCAN_FLUSH_NEGATIVE:
        if (e->policy == NULL || ctlview_state(e, now) == CTLPROTO_STATE_NEGATIVE) {
            if (cache_del(c->ctl->deps.cache, domain) == CACHE_OK)
                c->count++;
        }
        break;
    default:
        return false;
    }
    return evbuffer_get_length(bufferevent_get_output(c->bev)) < CONTROL_OUT_HIGH;
}

static void cc_scan_finish(struct control_client *c)
{
    switch (c->scan) {
    case CC_SCAN_LIST:
        cc_final(c, "OK", "%zu %s", c->count, c->count == 1 ? "entry" : "entries");
        break;
    case CC_SCAN_DUMP:
        cc_final(c, "OK", "dumped %zu %s", c->count, c->count == 1 ? "entry" : "entries");
        break;
    case CC_SCAN_FLUSH_NEGATIVE:
        log_info("control: uid %ld pid %ld: flush --negative removed %zu entries", (long)c->uid,
                 (long)c->pid, c->count);
        if (cc_json(c)) {
            json_t *o = json_object();
            json_object_set_new(o, "flushed", json_integer((json_int_t)c->count));
            cc_data_json(c, o);
        }
        cc_final(c, "OK", "flushed %zu %s", c->count, c->count == 1 ? "entry" : "entries");
        break;
    default:
        break;
    }
}

/* One batch; more are scheduled from the write callback or the work event. */
static void cc_scan_pump(struct control_client *c)
{
    if (c->state != CC_RUN || c->scan == CC_SCAN_NONE)
        return;
    struct evbuffer *out = bufferevent_get_output(c->bev);
    if (evbuffer_get_length(out) > CONTROL_OUT_LOW)
        return; /* the write callback calls again */
    char next[DOMAIN_BUFSZ];
    bool done = false;
    next[0] = '\0';
    enum cache_status st = cache_scan(c->ctl->deps.cache, c->scan_after, CONTROL_SCAN_BATCH,
                                      cc_scan_cb, c, next, &done);
    if (st != CACHE_OK) {
        cc_final(c, "ERR", "cache scan failed after %zu entries (see the log)", c->count);
        return;
    }
    if (done || next[0] == '\0') {
        cc_scan_finish(c);
        return;
    }
    memcpy(c->scan_after, next, sizeof(c->scan_after));
    if (evbuffer_get_length(out) <= CONTROL_OUT_LOW)
        cc_schedule(c);
}

static void cc_load_input(struct control_client *c);

/* Deferred work: the next scan batch, or the next load records. */
static void cc_on_work(void *arg)
{
    struct control_client *c = arg;
    if (c->state == CC_LOAD)
        cc_load_input(c);
    else
        cc_scan_pump(c);
}

static void cc_scan_start(struct control_client *c, enum control_scan_kind kind)
{
    c->scan = kind;
    c->count = 0;
    c->scan_after[0] = '\0';
    bufferevent_setwatermark(c->bev, EV_WRITE, CONTROL_OUT_LOW, 0);
    cc_scan_pump(c);
}

static void cmd_list(struct control_client *c)
{
    const char *f = c->req.argc > 0 ? c->req.argv[0] : "all";
    if (!ctlproto_filter_parse(f, &c->filter)) {
        char safe[64];
        cc_final(c, "ERR", "unknown filter '%s' (enforce, testing, none, negative, expired, all)",
                 cc_word(f, safe, sizeof(safe)));
        return;
    }
    cc_scan_start(c, CC_SCAN_LIST);
}

static void cmd_dump(struct control_client *c)
{
    cc_data_take(c, ctlview_dump_header(PACKAGE_VERSION, clock_wall()));
    cc_scan_start(c, CC_SCAN_DUMP);
}

/* ------------------------------------------------------------ refresh */

static bool cc_refresh_ok(enum fetch_class cls)
{
    return cls == FETCH_OK || cls == FETCH_UNCHANGED;
}

static void cc_refresh_done(struct control_client *c)
{
    if (c->failed == 0)
        cc_final(c, "OK", "refreshed %zu of %zu", c->nrefs, c->nrefs);
    else
        cc_final(c, "ERR", "%zu of %zu refreshes failed", c->failed, c->nrefs);
}

static void cc_on_refresh(void *arg, const struct fetch_result *r)
{
    struct control_refresh *ref = arg;
    struct control_client *c = ref->c;
    const struct entry *e = r->entry;
    int64_t now = clock_wall();
    bool valid = verdict_policy_valid(e, now);
    const char *mode = valid ? sts_mode_name(e->policy->mode) : "-";
    ref->w = NULL;
    c->pending--;
    if (!cc_refresh_ok(r->cls))
        c->failed++;
    if (cc_json(c)) {
        json_t *o = json_object();
        json_object_set_new(o, "domain", json_string(ref->domain));
        json_object_set_new(o, "class", json_string(fetch_class_name(r->cls)));
        json_object_set_new(o, "ok", json_boolean(cc_refresh_ok(r->cls)));
        json_object_set_new(o, "mode", valid ? json_string(mode) : json_null());
        json_object_set_new(o, "id", valid && e->id[0] ? json_string(e->id) : json_null());
        json_object_set_new(o, "expires_at",
                            valid ? json_integer((json_int_t)e->expires_at) : json_null());
        cc_data_json(c, o);
    } else {
        cc_dataf(c, "%s %s %s %s", ref->domain, fetch_class_name(r->cls), mode,
                 valid && e->id[0] ? e->id : "-");
    }
    if (c->pending == 0)
        cc_refresh_done(c);
}

static void cc_on_refresh_timeout(void *arg)
{
    struct control_client *c = arg;
    for (size_t i = 0; i < c->nrefs; i++) {
        struct control_refresh *ref = &c->refs[i];
        if (ref->w == NULL)
            continue;
        fetch_waiter_cancel(ref->w);
        ref->w = NULL;
        if (cc_json(c)) {
            json_t *o = json_object();
            json_object_set_new(o, "domain", json_string(ref->domain));
            json_object_set_new(o, "class", json_string("pending"));
            json_object_set_new(o, "ok", json_false());
            json_object_set_new(o, "mode", json_null());
            json_object_set_new(o, "id", json_null());
            json_object_set_new(o, "expires_at", json_null());
            cc_data_json(c, o);
        } else {
            cc_dataf(c, "%s pending - -", ref->domain);
        }
    }
    cc_final(c, "ERR", "%zu of %zu refreshes still running after %d s (they go on)", c->pending,
             c->nrefs, CONTROL_REFRESH_WAIT);
}

static void cmd_refresh(struct control_client *c)
{
    size_t n = c->req.argc;
    if (n > CTLPROTO_REFRESH_MAX) {
        cc_final(c, "ERR", "too many domains (at most %d per refresh)", CTLPROTO_REFRESH_MAX);
        return;
    }
    struct control_refresh *refs = xcalloc(n, sizeof(*refs));
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        char d[DOMAIN_BUFSZ];
        if (!cc_domain_arg(c, c->req.argv[i], d)) {
            free(refs);
            return;
        }
        bool dup = false;
        for (size_t j = 0; j < m && !dup; j++)
            dup = strcmp(refs[j].domain, d) == 0;
        if (!dup)
            memcpy(refs[m++].domain, d, sizeof(d));
    }
    c->refs = refs;
    c->nrefs = m;
    c->pending = m;
    c->timer = clock_timer_new(c->ctl->base, cc_on_refresh_timeout, c);
    clock_timer_add(c->timer, CONTROL_REFRESH_WAIT * 1000);
    for (size_t i = 0; i < m; i++) {
        refs[i].c = c;
        log_info("control: uid %ld pid %ld: refresh %s", (long)c->uid, (long)c->pid,
                 refs[i].domain);
        /* fetch never calls back from inside fetch_request() */
        refs[i].w =
            fetch_request_operator(c->ctl->deps.fetch, refs[i].domain, cc_on_refresh, &refs[i]);
    }
}

/* ------------------------------------------------------------ reload */

static void cmd_reload(struct control_client *c)
{
    log_info("control: uid %ld pid %ld: reload", (long)c->uid, (long)c->pid);
    if (c->ctl->deps.reload == NULL) {
        cc_final(c, "ERR", "reload is not available");
        return;
    }
    char err[512];
    err[0] = '\0';
    if (!c->ctl->deps.reload(c->ctl->deps.reload_arg, err, sizeof(err))) {
        cc_final(c, "ERR", "reload failed, running configuration kept: %s", err);
        return;
    }
    cc_final(c, "OK", "configuration reloaded");
}

/* ------------------------------------------------------------ load */

/* Called after c->rejected was counted up for this record. */
static void cc_load_report(struct control_client *c, const char *why)
{
    if (c->rejected > CONTROL_LOAD_REPORT_MAX + 1)
        return;
    if (c->rejected == CONTROL_LOAD_REPORT_MAX + 1) {
        if (cc_json(c)) {
            json_t *o = json_object();
            json_object_set_new(o, "line", json_null());
            json_object_set_new(o, "error", json_string("further rejected records not shown"));
            cc_data_json(c, o);
        } else {
            cc_data(c, "further rejected records not shown");
        }
        return;
    }
    if (cc_json(c)) {
        json_t *o = json_object();
        json_object_set_new(o, "line", json_integer((json_int_t)c->line_no));
        json_object_set_new(o, "error", json_string(why));
        cc_data_json(c, o);
    } else {
        cc_dataf(c, "line %zu: rejected: %s", c->line_no, why);
    }
}

static void cc_load_finish(struct control_client *c)
{
    log_info("control: uid %ld pid %ld: load: %zu loaded, %zu skipped, %zu rejected", (long)c->uid,
             (long)c->pid, c->loaded, c->skipped, c->rejected);
    if (cc_json(c)) {
        json_t *o = json_object();
        json_object_set_new(o, "loaded", json_integer((json_int_t)c->loaded));
        json_object_set_new(o, "skipped", json_integer((json_int_t)c->skipped));
        json_object_set_new(o, "rejected", json_integer((json_int_t)c->rejected));
        cc_data_json(c, o);
    }
    cc_final(c, c->rejected == 0 ? "OK" : "ERR", "loaded %zu, skipped %zu, rejected %zu", c->loaded,
             c->skipped, c->rejected);
}

/*
 * Write the pending batch with one cache_put_many() (one transaction, one
 * sync).  All or nothing: c->loaded counts the batch only once it is
 * committed.  False, with the final ERR queued, if the write failed.
 */
static bool cc_load_flush(struct control_client *c)
{
    const char *doms[CONTROL_LOAD_BATCH];
    const struct entry *ents[CONTROL_LOAD_BATCH];
    size_t n = c->nbatch;
    if (n == 0)
        return true;
    for (size_t i = 0; i < n; i++) {
        doms[i] = c->batch[i].domain;
        ents[i] = &c->batch[i].e;
    }
    enum cache_status st = cache_put_many(c->ctl->deps.cache, doms, ents, n);
    size_t first = c->batch[0].line_no, last = c->batch[n - 1].line_no;
    char first_dom[DOMAIN_BUFSZ];
    memcpy(first_dom, c->batch[0].domain, sizeof(first_dom));
    for (size_t i = 0; i < n; i++)
        entry_clear(&c->batch[i].e);
    c->nbatch = 0;
    c->batch_bytes = 0;
    if (st != CACHE_OK) {
        cc_final(c, "ERR",
                 "cache write failed for the %zu records of lines %zu-%zu (%s first), none of "
                 "them stored; loaded %zu so far",
                 n, first, last, first_dom, c->loaded);
        return false;
    }
    c->loaded += n;
    return true;
}

static bool cc_load_pending(const struct control_client *c, const char *domain)
{
    for (size_t i = 0; i < c->nbatch; i++)
        if (strcmp(c->batch[i].domain, domain) == 0)
            return true;
    return false;
}

/*
 * One record line: parsed, checked and compared with the cache one by one;
 * an accepted record joins the pending batch (cc_load_flush() writes it).
 * A record for a domain already in the batch first writes the batch, so
 * that its comparison sees the earlier record exactly as a record-by-record
 * load would.  On a cache failure the load ends with ERR (cc_final).
 */
static void cc_load_record(struct control_client *c, const char *line, size_t len)
{
    char domain[DOMAIN_BUFSZ], err[256];
    struct entry e, old;
    int64_t now = clock_wall();
    entry_init(&e);
    enum ctlrecord_status r =
        ctlrecord_parse(line, len, now, c->ctl->refresh_interval, domain, &e, err, sizeof(err));
    switch (r) {
    case CTLRECORD_HEADER:
        return;
    case CTLRECORD_EXPIRED:
    case CTLRECORD_NEGATIVE:
        c->skipped++;
        log_debug("control: load line %zu: %s skipped (%s)", c->line_no, domain,
                  r == CTLRECORD_EXPIRED ? "nothing valid" : "negative entry");
        return;
    case CTLRECORD_INVALID:
        c->rejected++;
        log_info("control: load line %zu rejected: %s", c->line_no, err);
        cc_load_report(c, err);
        return;
    case CTLRECORD_OK:
        break;
    }
    if ((c->nbatch == CONTROL_LOAD_BATCH || cc_load_pending(c, domain)) && !cc_load_flush(c)) {
        entry_clear(&e);
        return;
    }
    entry_init(&old);
    enum cache_status st = cache_get(c->ctl->deps.cache, domain, &old);
    bool newer_cached =
        st == CACHE_OK && verdict_policy_valid(&old, now) && old.fetched_at >= e.fetched_at;
    entry_clear(&old);
    if (st == CACHE_ERROR) {
        entry_clear(&e);
        if (cc_load_flush(c))
            cc_final(c, "ERR", "cache read failed at line %zu (%s); loaded %zu so far", c->line_no,
                     domain, c->loaded);
        return;
    }
    if (newer_cached) {
        c->skipped++;
        log_debug("control: load line %zu: %s skipped (the cached policy is as new)", c->line_no,
                  domain);
        entry_clear(&e);
        return;
    }
    struct control_load_item *it = &c->batch[c->nbatch++];
    memcpy(it->domain, domain, sizeof(it->domain));
    it->e = e; /* the batch takes the policy */
    it->line_no = c->line_no;
    c->batch_bytes += len;
}

static void cmd_load(struct control_client *c)
{
    log_info("control: uid %ld pid %ld: load started", (long)c->uid, (long)c->pid);
    c->batch = xcalloc(CONTROL_LOAD_BATCH, sizeof(*c->batch));
    c->nbatch = 0;
    c->batch_bytes = 0;
    control_client_enter_state(c, CC_LOAD);
    cc_write(c, "CONTINUE", "send one record per line, then a line \".\"",
             strlen("send one record per line, then a line \".\""));
    bufferevent_setwatermark(c->bev, EV_READ, 0, CTLPROTO_RECORD_MAX + 2);
    struct timeval tv = {.tv_sec = CONTROL_IDLE_TIMEOUT, .tv_usec = 0};
    bufferevent_set_timeouts(c->bev, &tv, &tv);
}

/* ------------------------------------------------------------ dispatch */

static const struct control_command control_commands[] = {
    {"status", 0, 0, cmd_status},
    {"stats", 0, 0, cmd_stats},
    {"show", 1, 1, cmd_show},
    {"list", 0, 1, cmd_list},
    {"flush", 1, CTLPROTO_ARGS_MAX, cmd_flush},
    {"refresh", 1, CTLPROTO_ARGS_MAX, cmd_refresh},
    {"reload", 0, 0, cmd_reload},
    {"dump", 0, 0, cmd_dump},
    {"load", 0, 0, cmd_load},
};

static void cc_request(struct control_client *c, const char *line, size_t len)
{
    enum ctlproto_status st = ctlproto_request_parse(line, len, &c->req);
    if (st == CTLPROTO_BAD_VERSION) {
        cc_final(c, "ERR", "unsupported protocol version %u (this server speaks %d)",
                 c->req.version, CTLPROTO_VERSION);
        return;
    }
    if (st != CTLPROTO_OK) {
        cc_final(c, "ERR", "bad request: %s", ctlproto_strerror(st));
        return;
    }
    c->fmt = c->req.format;
    const struct control_command *cmd = NULL;
    for (size_t i = 0; i < sizeof(control_commands) / sizeof(control_commands[0]); i++)
        if (strcmp(control_commands[i].name, c->req.command) == 0)
            cmd = &control_commands[i];
    char safe[64];
    if (cmd == NULL) {
        cc_final(c, "ERR", "unknown command '%s'", cc_word(c->req.command, safe, sizeof(safe)));
        return;
    }
    if (c->req.argc < cmd->min_args || c->req.argc > cmd->max_args) {
        cc_final(c, "ERR", "wrong number of arguments for '%s'", cmd->name);
        return;
    }
    log_debug("control client %lu: uid %ld pid %ld: %s (%zu arguments)", c->id, (long)c->uid,
              (long)c->pid, cmd->name, c->req.argc);
    control_client_enter_state(c, CC_RUN);
    /* While a command runs, input is read only to notice the client leaving. */
    struct timeval tv = {.tv_sec = CONTROL_IDLE_TIMEOUT, .tv_usec = 0};
    bufferevent_set_timeouts(c->bev, NULL, &tv);
    cmd->run(c);
}

/*
 * Take one LF-terminated line of at most max bytes (CR stripped).  Returns
 * 1 with a malloc'd *line, 0 if incomplete, -1 if it is too long.
 */
static int cc_getline(struct control_client *c, size_t max, char **line, size_t *len)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);
    struct evbuffer_ptr p = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
    if (p.pos < 0)
        return evbuffer_get_length(in) > max + 1 ? -1 : 0;
    size_t n = (size_t)p.pos;
    if (n > max + 1)
        return -1;
    char *s = xmalloc(n + 1);
    evbuffer_remove(in, s, n);
    evbuffer_drain(in, 1);
    if (n > 0 && s[n - 1] == '\r')
        n--;
    s[n] = '\0';
    if (n > max) {
        free(s);
        return -1;
    }
    *line = s;
    *len = n;
    return 1;
}

/*
 * At most CONTROL_LOAD_BATCH records (CONTROL_LOAD_BATCH_BYTES of record
 * text) per loop iteration, written together with one cache_put_many()
 * before this returns; the rest wait for the work event.  No batch is kept
 * across iterations, so a client that leaves loses nothing it was told
 * about and the counts are always those of committed records.
 */
static void cc_load_input(struct control_client *c)
{
    char *line;
    size_t len, done = 0;
    while (c->state == CC_LOAD) {
        if (done == CONTROL_LOAD_BATCH || c->batch_bytes >= CONTROL_LOAD_BATCH_BYTES) {
            if (cc_load_flush(c))
                cc_schedule(c);
            return;
        }
        int r = cc_getline(c, CTLPROTO_RECORD_MAX, &line, &len);
        if (r == 0) {
            (void)cc_load_flush(c);
            return;
        }
        c->line_no++;
        if (r < 0) {
            if (cc_load_flush(c))
                cc_final(c, "ERR",
                         "line %zu: record longer than %d bytes; load stopped after %zu loaded",
                         c->line_no, CTLPROTO_RECORD_MAX, c->loaded);
            return;
        }
        if (len == 1 && line[0] == '.') {
            free(line);
            if (cc_load_flush(c))
                cc_load_finish(c);
            return;
        }
        bool blank = true;
        for (size_t i = 0; i < len && blank; i++)
            blank = line[i] == ' ' || line[i] == '\t';
        if (!blank) {
            cc_load_record(c, line, len);
            done++;
        }
        free(line);
    }
}

static void cc_on_read(struct bufferevent *bev, void *arg)
{
    struct control_client *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    if (c->state == CC_REQUEST) {
        char *line;
        size_t len;
        int r = cc_getline(c, CTLPROTO_LINE_MAX, &line, &len);
        if (r == 0)
            return;
        if (r < 0) {
            cc_final(c, "ERR", "bad request: %s", ctlproto_strerror(CTLPROTO_TOO_LONG));
            return;
        }
        cc_request(c, line, len);
        free(line);
    }
    if (c->state == CC_LOAD) {
        /* If a batch is already scheduled, the new input waits for it. */
        if (!clock_timer_pending(c->work))
            cc_load_input(c);
        return;
    }
    if (c->state == CC_RUN || c->state == CC_DONE)
        evbuffer_drain(in, evbuffer_get_length(in)); /* nothing more is expected */
}

static void cc_on_write(struct bufferevent *bev, void *arg)
{
    struct control_client *c = arg;
    if (c->state == CC_DONE) {
        if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
            cc_free(c);
        return;
    }
    if (c->state == CC_RUN && c->scan != CC_SCAN_NONE)
        cc_scan_pump(c);
}

static void cc_on_event(struct bufferevent *bev, short what, void *arg)
{
    struct control_client *c = arg;
    (void)bev;
    if (what & BEV_EVENT_TIMEOUT)
        log_info("control client %lu (uid %ld pid %ld): no progress for %d s in state %s; "
                 "closing",
                 c->id, (long)c->uid, (long)c->pid, CONTROL_IDLE_TIMEOUT, cc_state_names[c->state]);
    else if (c->state == CC_LOAD)
        log_warning("control: uid %ld pid %ld: load ended without its final \".\" after line %zu "
                    "(%zu loaded, %zu skipped, %zu rejected)",
                    (long)c->uid, (long)c->pid, c->line_no, c->loaded, c->skipped, c->rejected);
    else if (c->state != CC_DONE && c->state != CC_REQUEST)
        log_debug("control client %lu: client left while the command ran", c->id);
    cc_free(c);
}

/* ------------------------------------------------------------ accept */

static bool control_peer_allowed(const struct control *ctl, int fd, const struct ucred *cr)
{
    if (cr->uid == 0 || cr->uid == geteuid())
        return true;
    if (!ctl->has_group)
        return false;
    if (cr->gid == ctl->gid)
        return true;
#ifdef SO_PEERGROUPS
    gid_t groups[64];
    socklen_t len = sizeof(groups);
    gid_t *g = groups;
    int rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len);
    if (rc != 0 && errno == ERANGE && len > 0 && len <= 65536 * sizeof(gid_t)) {
        g = xmalloc(len);
        rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len);
    }
    bool member = false;
    if (rc == 0)
        for (size_t i = 0; i < len / sizeof(gid_t) && !member; i++)
            member = g[i] == ctl->gid;
    if (g != groups)
        free(g);
    return member;
#else
    (void)fd;
    return false;
#endif
}

/* Answer a connection we will not serve, without blocking, and close it. */
static void control_refuse(struct control *ctl, int fd, const char *msg)
{
    ctl->refused++;
    ssize_t n = send(fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)n;
    close(fd);
}

/*
 * Log one refused or shed connection, unless the token bucket is empty (it
 * refills one line per second up to CONTROL_DENY_LOG_BURST); the next line
 * that is logged says how many were not.
 */
static void control_log_refusal(struct control *ctl, const char *fmt, ...) LOG_PRINTF(2, 3);
static void control_log_refusal(struct control *ctl, const char *fmt, ...)
{
    uint64_t held_back = 0;
    if (!log_limit_take(&ctl->deny_log, clock_wall(), &held_back))
        return;
    char msg[512], more[64] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (held_back > 0)
        snprintf(more, sizeof(more), " (%" PRIu64 " more refused, not logged)", held_back);
    log_warning("%s%s", msg, more);
}

/* The request line did not arrive within CONTROL_REQUEST_TIMEOUT. */
static void cc_on_deadline(void *arg)
{
    struct control_client *c = arg;
    if (c->state != CC_REQUEST)
        return;
    stats.control_slow_requests++;
    control_log_refusal(c->ctl,
                        "control client %lu (uid %ld pid %ld): no complete request within %d s "
                        "of connecting; closing",
                        c->id, (long)c->uid, (long)c->pid, CONTROL_REQUEST_TIMEOUT);
    cc_free(c);
}

/*
 * At CONTROL_CLIENTS_MAX: close the oldest client that has not sent its
 * request yet, so that a new client is served.  False if every client is
 * running a command (those are never cut short for a newcomer).
 */
static bool control_shed_one(struct control *ctl, const struct ucred *cr)
{
    struct control_client *victim;
    TAILQ_FOREACH(victim, &ctl->clients, link)
        if (victim->state == CC_REQUEST)
            break; /* the list is oldest first */
    if (victim == NULL || clock_mono_ms() - victim->connected_ms < CONTROL_SHED_MIN_AGE * 1000)
        return false;
    stats.control_shed++;
    control_log_refusal(ctl,
                        "control: %d clients connected; closed client %lu (uid %ld pid %ld), "
                        "connected %lld s ago without a complete request, to serve uid %ld pid %ld",
                        CONTROL_CLIENTS_MAX, victim->id, (long)victim->uid, (long)victim->pid,
                        (long long)((clock_mono_ms() - victim->connected_ms) / 1000), (long)cr->uid,
                        (long)cr->pid);
    cc_free(victim);
    return true;
}

static void control_accept_one(struct control *ctl, int fd)
{
    struct ucred cr;
    socklen_t len = sizeof(cr);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) {
        log_warning_errno("control: cannot read the peer credentials");
        control_refuse(ctl, fd, "ERR permission denied\n");
        return;
    }
    if (!control_peer_allowed(ctl, fd, &cr)) {
        control_log_refusal(ctl,
                            "control: connection from uid %ld gid %ld pid %ld refused: not "
                            "root, not uid %ld%s%s",
                            (long)cr.uid, (long)cr.gid, (long)cr.pid, (long)geteuid(),
                            ctl->has_group ? " and not in group " : "",
                            ctl->has_group ? ctl->group_name : "");
        control_refuse(ctl, fd, "ERR permission denied\n");
        return;
    }
    if (ctl->nclients >= CONTROL_CLIENTS_MAX && !control_shed_one(ctl, &cr)) {
        control_log_refusal(ctl, "control: %d clients already connected; refusing uid %ld pid %ld",
                            CONTROL_CLIENTS_MAX, (long)cr.uid, (long)cr.pid);
        control_refuse(ctl, fd, "ERR too many control clients\n");
        return;
    }
    struct bufferevent *bev = bufferevent_socket_new(ctl->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL) {
        log_error("control: cannot create a buffer for a client");
        close(fd);
        return;
    }
    struct control_client *c = xcalloc(1, sizeof(*c));
    c->ctl = ctl;
    c->bev = bev;
    c->id = ++ctl->next_id;
    c->uid = cr.uid;
    c->pid = cr.pid;
    c->state = CC_REQUEST;
    c->connected_ms = clock_mono_ms();
    c->work = clock_timer_new(ctl->base, cc_on_work, c);
    c->deadline = clock_timer_new(ctl->base, cc_on_deadline, c);
    clock_timer_add(c->deadline, CONTROL_REQUEST_TIMEOUT * 1000);
    TAILQ_INSERT_TAIL(&ctl->clients, c, link);
    ctl->nclients++;
    log_debug("control client %lu: uid %ld pid %ld connected", c->id, (long)cr.uid, (long)cr.pid);
    bufferevent_setcb(bev, cc_on_read, cc_on_write, cc_on_event, c);
    bufferevent_setwatermark(bev, EV_READ, 0, CTLPROTO_LINE_MAX + 2);
    struct timeval tv = {.tv_sec = CONTROL_IDLE_TIMEOUT, .tv_usec = 0};
    bufferevent_set_timeouts(bev, &tv, &tv);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void control_on_retry(void *arg)
{
    struct control *ctl = arg;
    event_add(ctl->accept_ev, NULL);
}

static void control_on_accept(evutil_socket_t lfd, short what, void *arg)
{
    struct control *ctl = arg;
    (void)what;
    for (int i = 0; i < CONTROL_ACCEPT_BATCH; i++) {
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            log_warning_errno("control: accept on %s failed; pausing for 1 s", ctl->path);
            event_del(ctl->accept_ev);
            clock_timer_add(ctl->accept_retry, 1000);
            return;
        }
        control_accept_one(ctl, fd);
    }
}

/* ------------------------------------------------------------ public */

struct control *control_open(struct event_base *base, const struct config *cfg, char *err,
                             size_t errsz)
{
    err[0] = '\0';
    if (cfg->control_socket == NULL || cfg->control_socket[0] == '\0')
        return NULL; /* disabled */

    struct control *ctl = xcalloc(1, sizeof(*ctl));
    ctl->base = base;
    ctl->fd = -1;
    ctl->path = xstrdup(cfg->control_socket);
    TAILQ_INIT(&ctl->clients);
    ctl->refresh_interval = cfg->refresh_interval;
    ctl->deny_log = (struct log_limit)LOG_LIMIT_INIT(CONTROL_DENY_LOG_BURST, 1);

    gid_t gid = (gid_t)-1;
    uid_t uid = (uid_t)-1;
    if (cfg->control_socket_group != NULL && cfg->control_socket_group[0] != '\0') {
        struct group *gr = getgrnam(cfg->control_socket_group);
        if (gr == NULL) {
            snprintf(err, errsz, "control_socket_group: unknown group '%s'",
                     cfg->control_socket_group);
            goto fail;
        }
        gid = gr->gr_gid;
        ctl->has_group = true;
        ctl->gid = gid;
        ctl->group_name = xstrdup(cfg->control_socket_group);
    }
    if (geteuid() == 0 && cfg->user != NULL && cfg->user[0] != '\0') {
        /* The daemon's own user may use its socket after the privilege drop. */
        struct passwd *pw = getpwnam(cfg->user);
        if (pw == NULL) {
            snprintf(err, errsz, "user: unknown user '%s'", cfg->user);
            goto fail;
        }
        uid = pw->pw_uid;
    }

    ctl->fd = listener_unix_socket(ctl->path, cfg->control_socket_mode, err, errsz);
    if (ctl->fd < 0)
        goto fail;
    if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(ctl->path, uid, gid) != 0) {
        snprintf(err, errsz, "chown(%s): %s", ctl->path, strerror(errno));
        unlink(ctl->path);
        goto fail;
    }
    struct stat st;
    if (stat(ctl->path, &st) == 0) {
        ctl->dev = st.st_dev;
        ctl->ino = st.st_ino;
    }
    ctl->accept_ev = event_new(base, ctl->fd, EV_READ | EV_PERSIST, control_on_accept, ctl);
    ctl->accept_retry = clock_timer_new(base, control_on_retry, ctl);
    if (ctl->accept_ev == NULL || ctl->accept_retry == NULL) {
        snprintf(err, errsz, "cannot create events for %s", ctl->path);
        unlink(ctl->path);
        goto fail;
    }
    log_debug("control socket %s ready (mode %04o%s%s)", ctl->path, cfg->control_socket_mode,
              ctl->has_group ? ", group " : "", ctl->has_group ? ctl->group_name : "");
    return ctl;
fail:
    if (err[0] == '\0')
        snprintf(err, errsz, "cannot open %s", ctl->path);
    if (ctl->accept_ev != NULL)
        event_free(ctl->accept_ev);
    clock_timer_free(ctl->accept_retry);
    if (ctl->fd >= 0)
        close(ctl->fd);
    free(ctl->group_name);
    free(ctl->path);
    free(ctl);
    return NULL;
}

void control_start(struct control *ctl, const struct control_deps *deps)
{
    if (ctl == NULL || ctl->started)
        return;
    ctl->deps = *deps;
    ctl->started = true;
    event_add(ctl->accept_ev, NULL);
    log_info("control socket %s: accepting mtastsd-ctl connections", ctl->path);
}

void control_close(struct control *ctl)
{
    if (ctl == NULL)
        return;
    struct control_client *c;
    while ((c = TAILQ_FIRST(&ctl->clients)) != NULL)
        cc_free(c);
    event_free(ctl->accept_ev);
    clock_timer_free(ctl->accept_retry);
    close(ctl->fd);
    /* Remove the path only if it is still our socket. */
    struct stat st;
    if (lstat(ctl->path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == ctl->dev &&
        st.st_ino == ctl->ino && unlink(ctl->path) != 0)
        log_debug("control: cannot remove %s: %s", ctl->path, strerror(errno));
    free(ctl->group_name);
    free(ctl->path);
    free(ctl);
}

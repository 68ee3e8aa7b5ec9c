/*
 * ctlview - cache entries as the operator sees them, for the control
 * socket's show, list and dump (see ctlview.h).
 *
 * Public functions: ctlview_state(), ctlview_filter_match(),
 * ctlview_time(), ctlview_duration(), ctlview_entry_text(),
 * ctlview_entry_json(), ctlview_dump_header(), ctlview_list_text(),
 * ctlview_list_json().
 *
 * JSON is built only through jansson (compact, ASCII-only output, so a
 * record is always one line).  Text output is built in a growable buffer
 * (struct ctlview_sb) that aborts on OOM like the x* wrappers.
 *
 * Ownership: returned strings are malloc'd (free()).  Pure: no I/O.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctlproto.h"
#include "ctlview.h"
#include "dane.h"
#include "entry.h"
#include "sts_policy.h"
#include "verdict.h"
#include "xalloc.h"

#define CTLVIEW_JSON_FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER)

enum ctlproto_state ctlview_state(const struct entry *e, int64_t now)
{
    if (verdict_policy_valid(e, now)) {
        switch (e->policy->mode) {
        case STS_MODE_ENFORCE:
            return CTLPROTO_STATE_ENFORCE;
        case STS_MODE_TESTING:
            return CTLPROTO_STATE_TESTING;
        default:
            return CTLPROTO_STATE_NONE;
        }
    }
    if (e->negative_until > now)
        return CTLPROTO_STATE_NEGATIVE;
    return CTLPROTO_STATE_EXPIRED;
}

bool ctlview_filter_match(unsigned mask, const struct entry *e, int64_t now)
{
    if ((mask & CTLPROTO_FILTER_FAILING) && entry_refresh_failing(e))
        return true;
    return (mask & (1u << ctlview_state(e, now))) != 0;
}

const char *ctlview_time(int64_t t, char buf[CTLVIEW_TIME_BUFSZ])
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (t <= 0 || t > ENTRY_TIME_MAX || gmtime_r(&tt, &tm) == NULL ||
        strftime(buf, CTLVIEW_TIME_BUFSZ, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(buf, CTLVIEW_TIME_BUFSZ, "-");
    }
    return buf;
}

const char *ctlview_duration(int64_t secs, char buf[CTLVIEW_TIME_BUFSZ])
{
    uint64_t s = secs < 0 ? (uint64_t)0 - (uint64_t)secs : (uint64_t)secs;
    static const struct {
        uint64_t n;
        char u;
    } units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
    size_t o = 0;
    if (secs < 0)
        buf[o++] = '-';
    bool any = false;
    for (size_t i = 0; i < 4; i++) {
        uint64_t q = s / units[i].n;
        s %= units[i].n;
        if (q == 0 && !(i == 3 && !any))
            continue;
        int n = snprintf(buf + o, CTLVIEW_TIME_BUFSZ - o, any ? "%02" PRIu64 "%c" : "%" PRIu64 "%c",
                         q, units[i].u);
        if (n < 0 || (size_t)n >= CTLVIEW_TIME_BUFSZ - o)
            break;
        o += (size_t)n;
        any = true;
    }
    buf[o] = '\0';
    return buf;
}

/* Growable text buffer; aborts on OOM through xrealloc. */
struct ctlview_sb {
    char *s;
    size_t len, cap;
};

static void ctlview_sb_printf(struct ctlview_sb *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void ctlview_sb_printf(struct ctlview_sb *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        size_t room = b->cap - b->len;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len <= (size_t)n)
            cap *= 2;
        b->s = xrealloc(b->s, cap);
        b->cap = cap;
    }
}

static char *ctlview_sb_take(struct ctlview_sb *b)
{
    if (b->s == NULL)
        return xstrdup("");
    return b->s;
}

/* "TIME (in 3h)" / "TIME (5m ago)" / "-". */
static void ctlview_sb_when(struct ctlview_sb *b, const char *label, int64_t t, int64_t now)
{
    char tb[CTLVIEW_TIME_BUFSZ], db[CTLVIEW_TIME_BUFSZ];
    if (t <= 0) {
        ctlview_sb_printf(b, "%-15s -\n", label);
        return;
    }
    ctlview_time(t, tb);
    if (t >= now)
        ctlview_sb_printf(b, "%-15s %s (in %s)\n", label, tb, ctlview_duration(t - now, db));
    else
        ctlview_sb_printf(b, "%-15s %s (%s ago)\n", label, tb, ctlview_duration(now - t, db));
}

static const char *ctlview_class(const char *(*class_name)(unsigned), unsigned cls)
{
    const char *n = class_name != NULL ? class_name(cls) : NULL;
    return n != NULL ? n : "unknown";
}

/* A DANE next hop as show names it: "mx:25" (the MX hosts, port 25) or
 * "host:587" (a smart host itself). */
static const char *ctlview_hop(const struct entry_dane *d, char *buf, size_t bufsz)
{
    snprintf(buf, bufsz, "%s:%u", d->mx ? "mx" : "host", (unsigned)d->port);
    return buf;
}

/* "TIME (in 3h)" / "TIME (5m ago)" without a label. */
static void ctlview_sb_at(struct ctlview_sb *b, int64_t t, int64_t now)
{
    char tb[CTLVIEW_TIME_BUFSZ], db[CTLVIEW_TIME_BUFSZ];
    ctlview_time(t, tb);
    if (t >= now)
        ctlview_sb_printf(b, "%s (in %s)", tb, ctlview_duration(t - now, db));
    else
        ctlview_sb_printf(b, "%s (%s ago)", tb, ctlview_duration(now - t, db));
}

/* One "dane" line per next hop: its result, times and next check. */
static void ctlview_sb_dane(struct ctlview_sb *b, const struct entry *e, int64_t now)
{
    char hop[32];
    if (e->n_dane == 0) {
        ctlview_sb_printf(b, "%-15s -\n", "dane");
        return;
    }
    for (size_t i = 0; i < e->n_dane && i < ENTRY_DANE_MAX; i++) {
        const struct entry_dane *d = &e->dane[i];
        ctlview_sb_printf(b, "%-15s %s %s", "dane", ctlview_hop(d, hop, sizeof(hop)),
                          dane_result_name(d->result));
        if (d->result == ENTRY_DANE_ONLY)
            ctlview_sb_printf(b, " (%u of %u hosts with usable TLSA records)", (unsigned)d->usable,
                              (unsigned)d->hosts);
        if (d->result != ENTRY_DANE_UNKNOWN) {
            ctlview_sb_printf(b, "; checked ");
            ctlview_sb_at(b, d->checked_at, now);
            ctlview_sb_printf(b, "; %s ", d->expires_at > now ? "holds until" : "expired");
            ctlview_sb_at(b, d->expires_at, now);
        }
        if (d->fail_count > 0) {
            ctlview_sb_printf(b, "; %u failed check%s, the last ", (unsigned)d->fail_count,
                              d->fail_count == 1 ? "" : "s");
            ctlview_sb_at(b, d->fail_at, now);
        }
        int64_t next = dane_slot_next_check(d);
        ctlview_sb_printf(b, "; next check ");
        if (next <= now)
            ctlview_sb_printf(b, "at the next query");
        else
            ctlview_sb_at(b, next, now);
        ctlview_sb_printf(b, "\n");
    }
}

char *ctlview_entry_text(const char *domain, const struct entry *e, int64_t now,
                         const char *(*class_name)(unsigned cls))
{
    struct ctlview_sb b = {0};
    char db[CTLVIEW_TIME_BUFSZ];
    ctlview_sb_printf(&b, "%-15s %s\n", "domain", domain);
    ctlview_sb_printf(&b, "%-15s %s\n", "state", ctlproto_state_name(ctlview_state(e, now)));
    if (e->policy != NULL) {
        const struct sts_policy *p = e->policy;
        ctlview_sb_printf(&b, "%-15s %s\n", "mode", sts_mode_name(p->mode));
        ctlview_sb_printf(&b, "%-15s %" PRIu32 " (%s)\n", "max_age", p->max_age,
                          ctlview_duration(p->max_age, db));
        for (size_t i = 0; i < p->n_mx; i++)
            ctlview_sb_printf(&b, "%-15s %s\n", "mx", p->mx[i]);
        if (p->n_mx == 0)
            ctlview_sb_printf(&b, "%-15s -\n", "mx");
    } else {
        ctlview_sb_printf(&b, "%-15s -\n", "policy");
    }
    ctlview_sb_printf(&b, "%-15s %s\n", "id", e->id[0] ? e->id : "-");
    ctlview_sb_when(&b, "fetched", e->fetched_at, now);
    ctlview_sb_when(&b, "expires", e->expires_at, now);
    ctlview_sb_when(&b, "checked", e->checked_at, now);
    ctlview_sb_when(&b, "refresh_at", e->refresh_at, now);
    ctlview_sb_when(&b, "negative_until", e->negative_until, now);
    if (e->fail_at > 0) {
        char tb[CTLVIEW_TIME_BUFSZ];
        ctlview_sb_printf(&b, "%-15s %s at %s (%s), %u in a row\n", "last_failure",
                          e->fail_id[0] ? e->fail_id : "-", ctlview_time(e->fail_at, tb),
                          ctlview_class(class_name, e->fail_class), (unsigned)e->fail_count);
    } else {
        ctlview_sb_printf(&b, "%-15s -\n", "last_failure");
    }
    ctlview_sb_dane(&b, e, now);
    if (e->policy != NULL)
        for (size_t i = 0; i < e->policy->n_lines; i++)
            ctlview_sb_printf(&b, "%-15s %s\n", "policy", e->policy->lines[i]);
    if (b.len > 0)
        b.s[--b.len] = '\0'; /* no final LF */
    return ctlview_sb_take(&b);
}

static json_t *ctlview_json_time(int64_t t)
{
    return t > 0 ? json_integer((json_int_t)t) : json_null();
}

static char *ctlview_json_take(json_t *o)
{
    char *s = json_dumps(o, CTLVIEW_JSON_FLAGS);
    json_decref(o);
    if (s == NULL)
        abort(); /* only on OOM */
    return s;
}

static json_t *ctlview_json_policy(const struct sts_policy *p)
{
    json_t *o = json_object();
    json_t *mx = json_array(), *lines = json_array();
    for (size_t i = 0; i < p->n_mx; i++)
        json_array_append_new(mx, json_string(p->mx[i]));
    for (size_t i = 0; i < p->n_lines; i++)
        json_array_append_new(lines, json_string(p->lines[i]));
    json_object_set_new(o, "mode", json_string(sts_mode_name(p->mode)));
    json_object_set_new(o, "max_age", json_integer((json_int_t)p->max_age));
    json_object_set_new(o, "mx", mx);
    json_object_set_new(o, "lines", lines);
    return o;
}

static json_t *ctlview_json_dane(const struct entry *e)
{
    json_t *a = json_array();
    for (size_t i = 0; i < e->n_dane && i < ENTRY_DANE_MAX; i++) {
        const struct entry_dane *d = &e->dane[i];
        json_t *o = json_object();
        json_object_set_new(o, "next_hop", json_string(d->mx ? "mx" : "host"));
        json_object_set_new(o, "port", json_integer(d->port));
        json_object_set_new(o, "result", json_string(dane_result_name(d->result)));
        json_object_set_new(o, "hosts", json_integer(d->hosts));
        json_object_set_new(o, "usable", json_integer(d->usable));
        json_object_set_new(o, "checked_at", ctlview_json_time(d->checked_at));
        json_object_set_new(o, "expires_at", ctlview_json_time(d->expires_at));
        json_object_set_new(o, "next_check", ctlview_json_time(dane_slot_next_check(d)));
        if (d->fail_count > 0) {
            json_t *f = json_object();
            json_object_set_new(f, "at", ctlview_json_time(d->fail_at));
            json_object_set_new(f, "count", json_integer(d->fail_count));
            json_object_set_new(o, "failure", f);
        } else {
            json_object_set_new(o, "failure", json_null());
        }
        json_array_append_new(a, o);
    }
    return a;
}

char *ctlview_entry_json(const char *domain, const struct entry *e, int64_t now,
                         const char *(*class_name)(unsigned cls))
{
    json_t *o = json_object();
    json_object_set_new(o, "domain", json_string(domain));
    json_object_set_new(o, "state", json_string(ctlproto_state_name(ctlview_state(e, now))));
    json_object_set_new(o, "id", e->id[0] ? json_string(e->id) : json_null());
    json_object_set_new(o, "fetched_at", ctlview_json_time(e->fetched_at));
    json_object_set_new(o, "expires_at", ctlview_json_time(e->expires_at));
    json_object_set_new(o, "checked_at", ctlview_json_time(e->checked_at));
    json_object_set_new(o, "refresh_at", ctlview_json_time(e->refresh_at));
    json_object_set_new(o, "negative_until", ctlview_json_time(e->negative_until));
    json_object_set_new(o, "policy", e->policy ? ctlview_json_policy(e->policy) : json_null());
    if (e->fail_at > 0) {
        json_t *f = json_object();
        json_object_set_new(f, "id", e->fail_id[0] ? json_string(e->fail_id) : json_null());
        json_object_set_new(f, "at", json_integer((json_int_t)e->fail_at));
        json_object_set_new(f, "class", json_string(ctlview_class(class_name, e->fail_class)));
        json_object_set_new(f, "count", json_integer((json_int_t)e->fail_count));
        json_object_set_new(o, "failure", f);
    } else {
        json_object_set_new(o, "failure", json_null());
    }
    json_object_set_new(o, "dane", ctlview_json_dane(e));
    return ctlview_json_take(o);
}

char *ctlview_dump_header(const char *version, int64_t now)
{
    json_t *o = json_object();
    json_object_set_new(o, "mtastsd_dump", json_integer(CTLPROTO_DUMP_FORMAT));
    json_object_set_new(o, "version", json_string(version));
    json_object_set_new(o, "created", json_integer((json_int_t)now));
    return ctlview_json_take(o);
}

/* The time a list line shows: when the entry's current state ends. */
static int64_t ctlview_list_expiry(const struct entry *e, enum ctlproto_state st)
{
    if (st == CTLPROTO_STATE_NEGATIVE)
        return e->negative_until;
    if (st == CTLPROTO_STATE_EXPIRED)
        return e->expires_at > e->negative_until ? e->expires_at : e->negative_until;
    return e->expires_at;
}

char *ctlview_list_text(const char *domain, const struct entry *e, int64_t now)
{
    struct ctlview_sb b = {0};
    char tb[CTLVIEW_TIME_BUFSZ];
    enum ctlproto_state st = ctlview_state(e, now);
    ctlview_sb_printf(&b, "%-30s %-8s %-20s %s", domain, ctlproto_state_name(st),
                      e->id[0] ? e->id : "-", ctlview_time(ctlview_list_expiry(e, st), tb));
    return ctlview_sb_take(&b);
}

char *ctlview_list_json(const char *domain, const struct entry *e, int64_t now)
{
    enum ctlproto_state st = ctlview_state(e, now);
    json_t *o = json_object();
    json_object_set_new(o, "domain", json_string(domain));
    json_object_set_new(o, "state", json_string(ctlproto_state_name(st)));
    json_object_set_new(o, "id", e->id[0] ? json_string(e->id) : json_null());
    json_object_set_new(o, "expires_at", ctlview_json_time(ctlview_list_expiry(e, st)));
    return ctlview_json_take(o);
}

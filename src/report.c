/*
 * report - the domain owner's check findings and their rendering (see
 * report.h).
 *
 * Public functions: report_new(), report_free(), report_add(),
 * report_fix(), report_detail_str(), report_detail_strn(),
 * report_detail_int(), report_detail_bool(), report_detail_push(),
 * report_detail_pushn(), report_worst(), report_count(), report_items(),
 * report_severity_name(), report_item_at(), report_find(),
 * report_item_name(), report_item_severity(), report_item_message(),
 * report_item_fix(), report_item_detail(), report_print_text(),
 * report_print_json().
 *
 * Items live in a TAILQ in the order they were added (the order the
 * check reports them).  Details are a jansson object per item, so the
 * JSON form is built from them directly; jansson keeps insertion order,
 * which the text form follows.  Every string is sanitised before it is
 * stored (report.h), so rendering never needs to escape for a terminal.
 *
 * Text layout: "  SEVERITY  NAME  MESSAGE" with the name column as wide
 * as the widest name; continuation lines ("fix: ...", "key: value")
 * start under the message.  Colour wraps the severity word only.
 *
 * Ownership: the report owns its items, strings and jansson values.
 * Limits: REPORT_TEXT_MAX per string.  Diagnostics: none.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <jansson.h>

#include "log.h"
#include "report.h"
#include "xalloc.h"

#define REPORT_NAME_MAX 64

struct report_item {
    char name[REPORT_NAME_MAX];
    enum report_severity sev;
    char *message;
    char *fix;
    json_t *details;
    char *scratch; /* report_item_detail()'s buffer */
    TAILQ_ENTRY(report_item) link;
};

struct report {
    char *domain;
    size_t n;
    TAILQ_HEAD(, report_item) items;
};

static char *report_clean(const char *s, size_t len)
{
    char *out = xmalloc(REPORT_TEXT_MAX);

    log_sanitize(s, len, out, REPORT_TEXT_MAX);
    return out;
}

static char *report_vformat(const char *fmt, va_list ap)
{
    char raw[REPORT_TEXT_MAX];

    vsnprintf(raw, sizeof(raw), fmt, ap);
    return report_clean(raw, strlen(raw));
}

struct report *report_new(const char *domain)
{
    struct report *r = xcalloc(1, sizeof(*r));

    r->domain = report_clean(domain, strlen(domain));
    TAILQ_INIT(&r->items);
    return r;
}

void report_free(struct report *r)
{
    struct report_item *it;

    if (r == NULL)
        return;
    while ((it = TAILQ_FIRST(&r->items)) != NULL) {
        TAILQ_REMOVE(&r->items, it, link);
        free(it->message);
        free(it->fix);
        free(it->scratch);
        json_decref(it->details);
        free(it);
    }
    free(r->domain);
    free(r);
}

struct report_item *report_add(struct report *r, const char *name, enum report_severity sev,
                               const char *fmt, ...)
{
    struct report_item *it = xcalloc(1, sizeof(*it));
    va_list ap;

    log_sanitize(name, strlen(name), it->name, sizeof(it->name));
    it->sev = sev;
    va_start(ap, fmt);
    it->message = report_vformat(fmt, ap);
    va_end(ap);
    it->details = json_object();
    if (it->details == NULL)
        abort();
    TAILQ_INSERT_TAIL(&r->items, it, link);
    r->n++;
    return it;
}

void report_fix(struct report_item *it, const char *fmt, ...)
{
    va_list ap;

    free(it->fix);
    va_start(ap, fmt);
    it->fix = report_vformat(fmt, ap);
    va_end(ap);
}

static void report_set(struct report_item *it, const char *key, json_t *v)
{
    char k[REPORT_NAME_MAX];

    if (v == NULL)
        abort();
    log_sanitize(key, strlen(key), k, sizeof(k));
    json_object_set_new(it->details, k, v);
}

void report_detail_strn(struct report_item *it, const char *key, const char *value, size_t len)
{
    char *s = report_clean(value != NULL ? value : "", value != NULL ? len : 0);

    report_set(it, key, json_string(s));
    free(s);
}

void report_detail_str(struct report_item *it, const char *key, const char *value)
{
    report_detail_strn(it, key, value, value != NULL ? strlen(value) : 0);
}

void report_detail_int(struct report_item *it, const char *key, long long value)
{
    report_set(it, key, json_integer((json_int_t)value));
}

void report_detail_bool(struct report_item *it, const char *key, bool value)
{
    report_set(it, key, json_boolean(value));
}

void report_detail_pushn(struct report_item *it, const char *key, const char *value, size_t len)
{
    char k[REPORT_NAME_MAX];
    json_t *arr;
    char *s;

    log_sanitize(key, strlen(key), k, sizeof(k));
    arr = json_object_get(it->details, k);
    if (!json_is_array(arr)) {
        arr = json_array();
        if (arr == NULL)
            abort();
        json_object_set_new(it->details, k, arr);
    }
    s = report_clean(value != NULL ? value : "", value != NULL ? len : 0);
    json_array_append_new(arr, json_string(s));
    free(s);
}

void report_detail_push(struct report_item *it, const char *key, const char *value)
{
    report_detail_pushn(it, key, value, value != NULL ? strlen(value) : 0);
}

enum report_severity report_worst(const struct report *r)
{
    enum report_severity w = REPORT_OK;
    const struct report_item *it;

    TAILQ_FOREACH(it, &r->items, link)
        if (it->sev > w)
            w = it->sev;
    return w;
}

size_t report_count(const struct report *r, enum report_severity sev)
{
    const struct report_item *it;
    size_t n = 0;

    TAILQ_FOREACH(it, &r->items, link)
        if (it->sev == sev)
            n++;
    return n;
}

size_t report_items(const struct report *r)
{
    return r->n;
}

const char *report_severity_name(enum report_severity sev)
{
    switch (sev) {
    case REPORT_OK:
        return "ok";
    case REPORT_WARNING:
        return "warning";
    case REPORT_ERROR:
        return "error";
    }
    return "unknown";
}

const struct report_item *report_item_at(const struct report *r, size_t i)
{
    const struct report_item *it;

    TAILQ_FOREACH(it, &r->items, link)
        if (i-- == 0)
            return it;
    return NULL;
}

const struct report_item *report_find(const struct report *r, const char *name)
{
    const struct report_item *it;

    TAILQ_FOREACH(it, &r->items, link)
        if (strcmp(it->name, name) == 0)
            return it;
    return NULL;
}

const char *report_item_name(const struct report_item *it)
{
    return it->name;
}

enum report_severity report_item_severity(const struct report_item *it)
{
    return it->sev;
}

const char *report_item_message(const struct report_item *it)
{
    return it->message;
}

const char *report_item_fix(const struct report_item *it)
{
    return it->fix;
}

/* A detail value as one line of text into buf; arrays joined by ", ". */
static void report_value_text(const json_t *v, char *buf, size_t bufsz)
{
    size_t off = 0, i;
    const json_t *e;

    buf[0] = '\0';
    if (json_is_string(v)) {
        snprintf(buf, bufsz, "%s", json_string_value(v));
    } else if (json_is_integer(v)) {
        snprintf(buf, bufsz, "%lld", (long long)json_integer_value(v));
    } else if (json_is_boolean(v)) {
        snprintf(buf, bufsz, "%s", json_is_true(v) ? "yes" : "no");
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, e)
        {
            char one[REPORT_TEXT_MAX];
            int n;
            report_value_text(e, one, sizeof(one));
            n = snprintf(buf + off, bufsz - off, "%s%s", i > 0 ? ", " : "", one);
            if (n < 0 || (size_t)n >= bufsz - off)
                break;
            off += (size_t)n;
        }
    }
}

const char *report_item_detail(const struct report_item *it, const char *key)
{
    struct report_item *m = (struct report_item *)it;
    const json_t *v = json_object_get(it->details, key);

    if (m->scratch == NULL)
        m->scratch = xmalloc(4 * REPORT_TEXT_MAX);
    report_value_text(v, m->scratch, 4 * REPORT_TEXT_MAX);
    return m->scratch;
}

static const char *report_colour(enum report_severity sev)
{
    switch (sev) {
    case REPORT_OK:
        return "\033[32m";
    case REPORT_WARNING:
        return "\033[33m";
    case REPORT_ERROR:
        return "\033[1;31m";
    }
    return "";
}

void report_print_text(const struct report *r, FILE *out, bool colour)
{
    const struct report_item *it;
    size_t width = 4, n_ok, n_warn, n_err;
    enum report_severity worst = report_worst(r);
    char buf[4 * REPORT_TEXT_MAX];

    TAILQ_FOREACH(it, &r->items, link)
        if (strlen(it->name) > width)
            width = strlen(it->name);
    fprintf(out, "MTA-STS check of %s\n", r->domain);
    TAILQ_FOREACH(it, &r->items, link) {
        const char *sev = report_severity_name(it->sev);
        const char *key;
        json_t *v;
        /* "  " + 7-character severity + "  " + name column + "  " */
        int indent = (int)(2 + 7 + 2 + width + 2);

        if (colour)
            fprintf(out, "  %s%-7s\033[0m  %-*s  %s\n", report_colour(it->sev), sev, (int)width,
                    it->name, it->message);
        else
            fprintf(out, "  %-7s  %-*s  %s\n", sev, (int)width, it->name, it->message);
        if (it->fix != NULL)
            fprintf(out, "%*sfix: %s\n", indent, "", it->fix);
        if (it->sev == REPORT_OK)
            continue;
        json_object_foreach(it->details, key, v)
        {
            report_value_text(v, buf, sizeof(buf));
            fprintf(out, "%*s%s: %s\n", indent, "", key, buf);
        }
    }
    n_ok = report_count(r, REPORT_OK);
    n_warn = report_count(r, REPORT_WARNING);
    n_err = report_count(r, REPORT_ERROR);
    if (colour)
        fprintf(out, "result: %s%s\033[0m (%zu error%s, %zu warning%s, %zu ok)\n",
                report_colour(worst), report_severity_name(worst), n_err, n_err == 1 ? "" : "s",
                n_warn, n_warn == 1 ? "" : "s", n_ok);
    else
        fprintf(out, "result: %s (%zu error%s, %zu warning%s, %zu ok)\n",
                report_severity_name(worst), n_err, n_err == 1 ? "" : "s", n_warn,
                n_warn == 1 ? "" : "s", n_ok);
}

void report_print_json(const struct report *r, FILE *out)
{
    json_t *o = json_object(), *counts = json_object(), *items = json_array();
    const struct report_item *it;
    char *s;

    if (o == NULL || counts == NULL || items == NULL)
        abort();
    json_object_set_new(o, "domain", json_string(r->domain));
    json_object_set_new(o, "result", json_string(report_severity_name(report_worst(r))));
    json_object_set_new(counts, "ok", json_integer((json_int_t)report_count(r, REPORT_OK)));
    json_object_set_new(counts, "warning",
                        json_integer((json_int_t)report_count(r, REPORT_WARNING)));
    json_object_set_new(counts, "error", json_integer((json_int_t)report_count(r, REPORT_ERROR)));
    json_object_set_new(o, "counts", counts);
    TAILQ_FOREACH(it, &r->items, link) {
        json_t *i = json_object();
        if (i == NULL)
            abort();
        json_object_set_new(i, "name", json_string(it->name));
        json_object_set_new(i, "severity", json_string(report_severity_name(it->sev)));
        json_object_set_new(i, "message", json_string(it->message));
        json_object_set_new(i, "fix", it->fix != NULL ? json_string(it->fix) : json_null());
        json_object_set(i, "details", it->details);
        json_array_append_new(items, i);
    }
    json_object_set_new(o, "items", items);
    s = json_dumps(o, JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
    if (s == NULL)
        abort();
    fputs(s, out);
    fputc('\n', out);
    free(s);
    json_decref(o);
}

/*
 * report - the findings of the domain owner's check (mtastsd-ctl check):
 * an ordered list of items, each with a name ("txt", "host.certificate",
 * "mx.covered", ...), a severity (ok, warning, error), a one-line
 * message, an optional fix and a details object; and the two ways to show
 * them.
 *
 * report_add() and report_fix() take printf formats; the formatted text,
 * detail keys and detail strings are sanitised on the way in
 * (log_sanitize(): printable ASCII only, cut with "..."), so text from
 * the network never reaches a terminal or a JSON consumer raw.
 *
 * report_print_text() writes one aligned line per item ("severity  name
 * message"), the fix and, for items that are not ok, the details
 * indented under it, then a summary line; colour (ANSI, severity word
 * only) only when asked.  report_print_json() writes one JSON object:
 *   {"domain": D, "result": "ok|warning|error",
 *    "counts": {"ok": n, "warning": n, "error": n},
 *    "items": [{"name", "severity", "message", "fix" (string or null),
 *               "details": {...}}, ...]}
 *
 * Ownership: report_free() frees the report and its items; item pointers
 * are valid until then.  Limits: REPORT_TEXT_MAX bytes per message, fix
 * or detail string (longer text is cut).
 * Diagnostics: none; output errors show in the FILE's error flag.
 */
#ifndef MTASTSD_REPORT_H
#define MTASTSD_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "log.h"

#define REPORT_TEXT_MAX 1024

enum report_severity {
    REPORT_OK = 0,
    REPORT_WARNING = 1,
    REPORT_ERROR = 2,
};

struct report;
struct report_item;

struct report *report_new(const char *domain);
void report_free(struct report *r);

struct report_item *report_add(struct report *r, const char *name, enum report_severity sev,
                               const char *fmt, ...) LOG_PRINTF(4, 5);
void report_fix(struct report_item *it, const char *fmt, ...) LOG_PRINTF(2, 3);
void report_detail_str(struct report_item *it, const char *key, const char *value);
void report_detail_strn(struct report_item *it, const char *key, const char *value, size_t len);
void report_detail_int(struct report_item *it, const char *key, long long value);
void report_detail_bool(struct report_item *it, const char *key, bool value);
/* Append value to the array detail key (created on first use). */
void report_detail_push(struct report_item *it, const char *key, const char *value);
void report_detail_pushn(struct report_item *it, const char *key, const char *value, size_t len);

enum report_severity report_worst(const struct report *r);
size_t report_count(const struct report *r, enum report_severity sev);
size_t report_items(const struct report *r);
const char *report_severity_name(enum report_severity sev);

/* For tests: the i-th item, or the first item named `name` (NULL if none). */
const struct report_item *report_item_at(const struct report *r, size_t i);
const struct report_item *report_find(const struct report *r, const char *name);
const char *report_item_name(const struct report_item *it);
enum report_severity report_item_severity(const struct report_item *it);
const char *report_item_message(const struct report_item *it);
const char *report_item_fix(const struct report_item *it); /* NULL if none */
/* A detail as text ("" if absent; arrays joined with ", "); buffer owned by the item. */
const char *report_item_detail(const struct report_item *it, const char *key);

void report_print_text(const struct report *r, FILE *out, bool colour);
void report_print_json(const struct report *r, FILE *out);

#endif

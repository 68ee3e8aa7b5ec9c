/*
 * ctlview - cache entries as the operator sees them: "show", "list" and
 * "dump" of the control socket (doc/control-protocol.txt).
 *
 *   ctlview_state()        enforce / testing / none / negative / expired
 *                          (ctlproto.h names them and parses list filters)
 *   ctlview_filter_match() an entry against a list filter: its state, or
 *                          "failing" (entry_refresh_failing())
 *   ctlview_entry_json()   one JSON object per entry (show, dump)
 *   ctlview_entry_text()   "show" in human form (several lines)
 *   ctlview_list_text(), ctlview_list_json()  one "list" line
 *   ctlview_dump_header()  the first line of a dump
 *   ctlview_time(), ctlview_duration()        UTC time and span text
 *
 * Ownership: the *_json() and *_text() functions and the dump header are
 * malloc'd strings (free()).  Pure: no I/O, no clock (`now` is passed
 * in); jansson for JSON.  Daemon only (mtastsd-ctl prints what it gets).
 */
#ifndef MTASTSD_CTLVIEW_H
#define MTASTSD_CTLVIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "ctlproto.h"
#include "entry.h"

enum ctlproto_state ctlview_state(const struct entry *e, int64_t now);
/* Does entry e (at now) pass a "list" filter (ctlproto_filter_parse())? */
bool ctlview_filter_match(unsigned mask, const struct entry *e, int64_t now);

#define CTLVIEW_TIME_BUFSZ 32
/* "2024-05-01T12:00:00Z"; "-" for 0 (never) or a time outside
 * [1, ENTRY_TIME_MAX]. */
const char *ctlview_time(int64_t t, char buf[CTLVIEW_TIME_BUFSZ]);
/* "3d04h05m06s" style (largest units first, zero units left out; "0s"). */
const char *ctlview_duration(int64_t secs, char buf[CTLVIEW_TIME_BUFSZ]);

/*
 * One JSON object on one line: domain, state, id, fetched_at, expires_at,
 * checked_at, refresh_at, negative_until (epoch seconds, null for 0),
 * policy {mode, max_age, mx[], lines[]} or null, failure {id, at, class,
 * count} or null (class through class_name, which may be NULL), dane[]
 * (one object per next hop: next_hop "mx" or "host", port, result,
 * hosts, usable, checked_at, expires_at, next_check, failure {at, count}
 * or null).  This is also the dump record that ctlrecord_parse() reads
 * back; load ignores "dane": the DANE state is checked again after a load
 * (it is bounded by DNS TTLs of at most an hour, and a dump may be loaded
 * elsewhere, behind another resolver).
 */
char *ctlview_entry_json(const char *domain, const struct entry *e, int64_t now,
                         const char *(*class_name)(unsigned cls));
/* The dump header line: {"mtastsd_dump":1,"version":...,"created":now}. */
char *ctlview_dump_header(const char *version, int64_t now);
/* "show" as text: "key  value" lines separated by LF (no final LF); one
 * "dane" line per next hop with its result, check times and next check. */
char *ctlview_entry_text(const char *domain, const struct entry *e, int64_t now,
                         const char *(*class_name)(unsigned cls));
/* "list": "domain state id expires" / {"domain","state","id","expires_at"}. */
char *ctlview_list_text(const char *domain, const struct entry *e, int64_t now);
char *ctlview_list_json(const char *domain, const struct entry *e, int64_t now);

#endif

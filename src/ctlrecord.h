/*
 * ctlrecord - one "load" record (a line of "mtastsd-ctl dump"): JSON ->
 * a validated cache entry (doc/control-protocol.txt).
 *
 * ctlrecord_parse() trusts nothing: the domain goes through
 * domain_normalize_key(), the policy is rebuilt as a policy body from its
 * lines (or from mode, max_age and mx) and re-parsed by sts_policy_parse(),
 * the given mode/max_age/mx must agree with the parse, the id must be a
 * valid TXT id, and every time must be sane (not in the future beyond
 * CTLRECORD_CLOCK_SKEW, expiry no later than fetched_at + max_age, refresh
 * inside [fetched_at, expires_at]; without refresh_at, it is computed from
 * max_age and the caller's refresh_interval).  The entry it fills is one
 * that entry_encode() accepts.
 *
 * Limits: CTLPROTO_RECORD_MAX bytes per record.  Pure: no I/O, no clock
 * (`now` is passed in); jansson for JSON.  Daemon only.
 */
#ifndef MTASTSD_CTLRECORD_H
#define MTASTSD_CTLRECORD_H

#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "entry.h"

#define CTLRECORD_CLOCK_SKEW 300 /* seconds a loaded time may lie in the future */

enum ctlrecord_status {
    CTLRECORD_OK = 0,   /* *e holds a valid policy to store under domain */
    CTLRECORD_HEADER,   /* a dump header line (nothing to store) */
    CTLRECORD_EXPIRED,  /* a valid record with nothing valid at now */
    CTLRECORD_NEGATIVE, /* a "no policy" record: never loaded */
    CTLRECORD_INVALID,  /* err says why */
};

/*
 * Validate one load record.  *e must be initialised; on CTLRECORD_OK
 * it holds the entry (the caller entry_clear()s it), otherwise it is left
 * cleared.  refresh_interval is used when the record has no refresh_at.
 */
enum ctlrecord_status ctlrecord_parse(const char *line, size_t len, int64_t now,
                                      int64_t refresh_interval, char domain[DOMAIN_BUFSZ],
                                      struct entry *e, char *err, size_t errsz);

#endif

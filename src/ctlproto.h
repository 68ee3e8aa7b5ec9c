/*
 * ctlproto - the control protocol's pure parts, shared by the control
 * socket server (control.c) and mtastsd-ctl (doc/control-protocol.txt).
 *
 * Wire lines:
 *   ctlproto_request_format()  client: "MTASTSD-CTL 1 <format> <command> [args]"
 *   ctlproto_request_parse()   server: the same line, checked word by word
 *   ctlproto_reply_parse()     client: "DATA ..." / "CONTINUE" / "OK ..." /
 *                              "NOTFOUND ..." / "ERR ..."
 * Cache entries as the operator sees them:
 *   ctlproto_entry_state()     enforce / testing / none / negative / expired
 *   ctlproto_filter_parse()    "list" filters -> a mask of states
 *   ctlproto_entry_json()      one JSON object per entry (show, dump)
 *   ctlproto_entry_text()      "show" in human form (several lines)
 *   ctlproto_list_text(), ctlproto_list_json()  one "list" line
 *   ctlproto_record_parse()    a "load" record: JSON -> validated entry
 *   ctlproto_time(), ctlproto_duration()        UTC time and span text
 *
 * ctlproto_record_parse() trusts nothing: the domain goes through
 * domain_normalize_key(), the policy is rebuilt as a policy body from its
 * lines (or from mode, max_age and mx) and re-parsed by sts_policy_parse(),
 * the given mode/max_age/mx must agree with the parse, the id must be a
 * valid TXT id, and every time must be sane (not in the future beyond
 * CTLPROTO_CLOCK_SKEW, expiry no later than fetched_at + max_age, refresh
 * inside [fetched_at, expires_at]).  The entry it fills is one that
 * entry_encode() accepts.
 *
 * Ownership: the *_json() and *_text() functions return malloc'd strings
 * (free()); ctlproto_request_parse() copies the line into the request.
 * Limits: CTLPROTO_LINE_MAX request bytes, CTLPROTO_ARGS_MAX arguments,
 * CTLPROTO_RECORD_MAX bytes per load record.
 * Pure: no I/O, no clock (`now` is passed in); uses jansson for JSON.
 */
#ifndef MTASTSD_CTLPROTO_H
#define MTASTSD_CTLPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "entry.h"

#define CTLPROTO_MAGIC      "MTASTSD-CTL"
#define CTLPROTO_VERSION    1
#define CTLPROTO_LINE_MAX   4096         /* request line, LF excluded */
#define CTLPROTO_ARGS_MAX   256          /* words after the command */
#define CTLPROTO_RECORD_MAX (256 * 1024) /* one load record line, LF excluded */
/* Longest line a server sends (a dump record of the largest policy). */
#define CTLPROTO_REPLY_MAX   (CTLPROTO_RECORD_MAX + 64)
#define CTLPROTO_REFRESH_MAX 100 /* domains per refresh request */
#define CTLPROTO_CLOCK_SKEW  300 /* seconds a loaded time may lie in the future */
#define CTLPROTO_DUMP_FORMAT 1   /* "mtastsd_dump" header value */

enum ctlproto_format {
    CTLPROTO_TEXT = 0,
    CTLPROTO_JSON,
};

struct ctlproto_request {
    unsigned version;
    enum ctlproto_format format;
    const char *command;
    size_t argc;
    const char *argv[CTLPROTO_ARGS_MAX];
    char buf[CTLPROTO_LINE_MAX + 1]; /* words, NUL-separated */
};

enum ctlproto_status {
    CTLPROTO_OK = 0,
    CTLPROTO_TOO_LONG,    /* more than CTLPROTO_LINE_MAX bytes */
    CTLPROTO_BAD_BYTE,    /* control byte or non-ASCII in the line */
    CTLPROTO_BAD_MAGIC,   /* does not start with "MTASTSD-CTL" */
    CTLPROTO_BAD_VERSION, /* version is not a number or not spoken here */
    CTLPROTO_BAD_FORMAT,  /* neither "text" nor "json" */
    CTLPROTO_NO_COMMAND,
    CTLPROTO_TOO_MANY_ARGS, /* more than CTLPROTO_ARGS_MAX */
};

/*
 * Parse one request line (without its LF; one trailing CR is ignored).
 * Words are separated by runs of spaces or tabs and consist of printable
 * ASCII.  On CTLPROTO_BAD_VERSION, req->version holds the version asked
 * for (0 if it is not a number).
 */
enum ctlproto_status ctlproto_request_parse(const char *line, size_t len,
                                            struct ctlproto_request *req);
const char *ctlproto_strerror(enum ctlproto_status st);

/* A protocol word: 1 or more printable ASCII bytes other than space. */
bool ctlproto_word_valid(const char *w);

/*
 * Client side: write the request line plus LF into out.  Returns its
 * length, or 0 if a word is not valid, there are too many arguments or
 * the line would not fit (in outsz or in CTLPROTO_LINE_MAX).
 */
size_t ctlproto_request_format(char *out, size_t outsz, enum ctlproto_format fmt,
                               const char *command, const char *const *argv, size_t argc);

enum ctlproto_reply {
    CTLPROTO_R_DATA = 0, /* a line of output */
    CTLPROTO_R_CONTINUE, /* load: send the records now */
    CTLPROTO_R_OK,       /* final: success */
    CTLPROTO_R_NOTFOUND, /* final: nothing to show or do */
    CTLPROTO_R_ERR,      /* final: failure */
    CTLPROTO_R_INVALID,  /* not a protocol line */
};

/* Classify a reply line (no LF).  The text after the keyword and one space
 * goes to text and textlen (empty if there is none). */
enum ctlproto_reply ctlproto_reply_parse(const char *line, size_t len, const char **text,
                                         size_t *textlen);

enum ctlproto_state {
    CTLPROTO_STATE_ENFORCE = 0, /* valid policy, mode enforce */
    CTLPROTO_STATE_TESTING,
    CTLPROTO_STATE_NONE,
    CTLPROTO_STATE_NEGATIVE, /* no valid policy; "no policy" known */
    CTLPROTO_STATE_EXPIRED,  /* nothing valid: expired policy or negative entry */
    CTLPROTO_STATE__COUNT,
};

enum ctlproto_state ctlproto_entry_state(const struct entry *e, int64_t now);
const char *ctlproto_state_name(enum ctlproto_state s);

/* "enforce", "testing", "none", "negative", "expired", "all" -> mask of
 * (1u << state).  False for anything else. */
bool ctlproto_filter_parse(const char *name, unsigned *mask);

#define CTLPROTO_TIME_BUFSZ 32
/* "2024-05-01T12:00:00Z"; "-" for 0 (never) or a time outside
 * [1, ENTRY_TIME_MAX]. */
const char *ctlproto_time(int64_t t, char buf[CTLPROTO_TIME_BUFSZ]);
/* "3d04h05m06s" style (largest units first, zero units left out; "0s"). */
const char *ctlproto_duration(int64_t secs, char buf[CTLPROTO_TIME_BUFSZ]);

/*
 * One JSON object on one line: domain, state, id, fetched_at, expires_at,
 * checked_at, refresh_at, negative_until (epoch seconds, null for 0),
 * policy {mode, max_age, mx[], lines[]} or null, failure {id, at, class,
 * count} or null (class through class_name, which may be NULL).  This is
 * also the dump record that ctlproto_record_parse() reads back.
 */
char *ctlproto_entry_json(const char *domain, const struct entry *e, int64_t now,
                          const char *(*class_name)(unsigned cls));
/* The dump header line: {"mtastsd_dump":1,"version":...,"created":now}. */
char *ctlproto_dump_header(const char *version, int64_t now);
/* "show" as text: "key  value" lines separated by LF (no final LF). */
char *ctlproto_entry_text(const char *domain, const struct entry *e, int64_t now,
                          const char *(*class_name)(unsigned cls));
/* "list": "domain state id expires" / {"domain","state","id","expires_at"}. */
char *ctlproto_list_text(const char *domain, const struct entry *e, int64_t now);
char *ctlproto_list_json(const char *domain, const struct entry *e, int64_t now);

enum ctlproto_record {
    CTLPROTO_RECORD_OK = 0,   /* *e holds a valid policy to store under domain */
    CTLPROTO_RECORD_HEADER,   /* a dump header line (nothing to store) */
    CTLPROTO_RECORD_EXPIRED,  /* a valid record with nothing valid at now */
    CTLPROTO_RECORD_NEGATIVE, /* a "no policy" record: never loaded */
    CTLPROTO_RECORD_INVALID,  /* err says why */
};

/*
 * Validate one load record.  *e must be initialised; on CTLPROTO_RECORD_OK
 * it holds the entry (the caller entry_clear()s it), otherwise it is left
 * cleared.  refresh_interval is used when the record has no refresh_at.
 */
enum ctlproto_record ctlproto_record_parse(const char *line, size_t len, int64_t now,
                                           int64_t refresh_interval, char domain[DOMAIN_BUFSZ],
                                           struct entry *e, char *err, size_t errsz);

#endif

/*
 * ctlproto - the control protocol's wire lines, shared by the control
 * socket server (control.c) and mtastsd-ctl (doc/control-protocol.txt).
 *
 *   ctlproto_request_format()  client: "MTASTSD-CTL 1 <format> <command> [args]"
 *   ctlproto_request_parse()   server: the same line, checked word by word
 *   ctlproto_reply_parse()     client: "DATA ..." / "CONTINUE" / "OK ..." /
 *                              "NOTFOUND ..." / "ERR ..."
 *   ctlproto_filter_parse()    "list" filters -> a mask of entry states
 *                              (both sides check them; ctlview.c tells an
 *                              entry's state)
 *
 * The rest of what the control socket speaks is the daemon's alone, each
 * its own concern: ctlview.c renders cache entries (show, list, dump),
 * ctlrecord.c validates "load" records, ctlcmd.c runs the commands.  So
 * mtastsd-ctl links no cache entry, policy, verdict or JSON code.
 *
 * Ownership: ctlproto_request_parse() copies the line into the request.
 * Limits: CTLPROTO_LINE_MAX request bytes, CTLPROTO_ARGS_MAX arguments,
 * CTLPROTO_RECORD_MAX bytes per load record (the client streams records,
 * the server bounds them), CTLPROTO_REPLY_MAX bytes per reply line.
 * Pure: no I/O, no allocation.
 */
#ifndef MTASTSD_CTLPROTO_H
#define MTASTSD_CTLPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTLPROTO_MAGIC      "MTASTSD-CTL"
#define CTLPROTO_VERSION    1
#define CTLPROTO_LINE_MAX   4096         /* request line, LF excluded */
#define CTLPROTO_ARGS_MAX   256          /* words after the command */
#define CTLPROTO_RECORD_MAX (256 * 1024) /* one load record line, LF excluded */
/* Longest line a server sends (a dump record of the largest policy). */
#define CTLPROTO_REPLY_MAX   (CTLPROTO_RECORD_MAX + 64)
#define CTLPROTO_REFRESH_MAX 100 /* domains per refresh request */
#define CTLPROTO_DUMP_FORMAT 1   /* "mtastsd_dump" header value of a dump stream */

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

const char *ctlproto_state_name(enum ctlproto_state s);

/* "enforce", "testing", "none", "negative", "expired", "all" -> mask of
 * (1u << state); "failing" -> CTLPROTO_FILTER_FAILING (the entries that
 * entry_refresh_failing() names, whatever their state: the domains of
 * mtastsd_refresh_failing_domains; ctlview_filter_match() applies a
 * mask).  False for anything else. */
#define CTLPROTO_FILTER_FAILING (1u << CTLPROTO_STATE__COUNT)
bool ctlproto_filter_parse(const char *name, unsigned *mask);

#endif

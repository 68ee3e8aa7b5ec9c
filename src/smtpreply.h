/*
 * smtpreply - SMTP server replies (RFC 5321 section 4.2) read from a
 * hostile peer, for the MX probe of mtastsd-ctl check (mxprobe.c).
 *
 * A reply is one or more lines "DDD-text" ending with one line "DDD text"
 * (or "DDD" alone), every line with the same code, whose first digit is
 * 2-5 and second 0-5 (section 4.2.1).  smtpreply_feed() takes bytes as
 * they arrive, in pieces of any size, and stops right after the reply's
 * last line, so bytes that follow (pipelining, or a server that talks out
 * of turn) stay with the caller, who can refuse them.  Lines end in CRLF;
 * a bare LF is accepted (as Postfix accepts it), a CR anywhere else in a
 * line is not.
 *
 * EHLO (section 4.1.1.1): smtpreply_ehlo_has() says whether a line after
 * the first (the first greets) names an extension keyword, compared
 * without regard to case and ending at a space or the end of the line
 * ("STARTTLS", "SIZE 10240000").
 *
 * Hostile input, bounded: a line of more than SMTPREPLY_LINE_MAX bytes
 * with its line end (section 4.5.3.1.5 says 512), more than
 * SMTPREPLY_LINES_MAX lines or more than SMTPREPLY_TEXT_MAX bytes of text
 * in one reply, a NUL byte, a malformed code or codes that differ end
 * the parse with an error; errors are sticky until smtpreply_init().
 * Text is kept as sent (printable or not): whoever shows it sanitises it.
 *
 * Ownership: struct smtpreply is the caller's (no allocation); line
 * pointers point into it.  Pure: no I/O, no logging.
 */
#ifndef MTASTSD_SMTPREPLY_H
#define MTASTSD_SMTPREPLY_H

#include <stdbool.h>
#include <stddef.h>

#define SMTPREPLY_LINE_MAX  512  /* one line with its CRLF */
#define SMTPREPLY_LINES_MAX 32   /* lines in one reply */
#define SMTPREPLY_TEXT_MAX  4096 /* text of all lines of one reply */

enum smtpreply_status {
    SMTPREPLY_MORE = 0,     /* the reply is not complete: feed more */
    SMTPREPLY_DONE,         /* a whole reply was read */
    SMTPREPLY_E_LINE,       /* a line longer than SMTPREPLY_LINE_MAX */
    SMTPREPLY_E_SYNTAX,     /* a line that is not "DDD", "DDD text" or "DDD-text" */
    SMTPREPLY_E_CODE,       /* a code out of range, or lines with different codes */
    SMTPREPLY_E_MANY_LINES, /* more than SMTPREPLY_LINES_MAX lines */
    SMTPREPLY_E_TOO_LONG,   /* more than SMTPREPLY_TEXT_MAX bytes of text */
    SMTPREPLY_E_BYTE,       /* a NUL, or a CR that does not end the line */
};

struct smtpreply {
    /* The reply, valid once smtpreply_feed() said SMTPREPLY_DONE. */
    int code;       /* 200-559 */
    size_t n_lines; /* 1..SMTPREPLY_LINES_MAX */

    /* Internal: the text of each line, NUL-terminated, and the line being
     * read. */
    size_t off[SMTPREPLY_LINES_MAX];
    char text[SMTPREPLY_TEXT_MAX + SMTPREPLY_LINES_MAX];
    size_t text_used;
    char line[SMTPREPLY_LINE_MAX];
    size_t line_len;
    enum smtpreply_status st;
};

void smtpreply_init(struct smtpreply *r);

/* Read from buf[0..len); *used says how many bytes were taken (all of
 * them unless the reply ended inside buf, or an error was found). */
enum smtpreply_status smtpreply_feed(struct smtpreply *r, const char *buf, size_t len,
                                     size_t *used);

/* The text of line i after its code and separator ("" if none); NULL when
 * i is out of range or the reply is not done. */
const char *smtpreply_line(const struct smtpreply *r, size_t i);

/* Does an EHLO reply announce keyword (lines after the first)? */
bool smtpreply_ehlo_has(const struct smtpreply *r, const char *keyword);

const char *smtpreply_strerror(enum smtpreply_status st);

#endif

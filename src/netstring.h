/*
 * netstring - incremental netstring decoder and encoder (Postfix socketmap).
 *
 * A netstring is "<len>:<bytes>,": len is decimal ASCII without sign or
 * leading zeros (except "0" itself), followed by exactly len bytes and a
 * comma.  The decoder is incremental in the sense that the caller may
 * present any prefix of the input: bytes may arrive one at a time or
 * several frames at once.  netstring_decode() looks only at the front of
 * the buffer and reports one of:
 *
 *   NETSTRING_OK          a whole frame; *payload and *payload_len point into
 *                         buf, *consumed is the frame's total length
 *   NETSTRING_INCOMPLETE  a valid prefix of a frame; read more bytes
 *   NETSTRING_ERR_*       malformed; the connection cannot be resynced
 *
 * Errors are detected as early as possible: a non-digit where a digit or
 * ':' belongs, a leading zero, a length above max_len (detected as soon as
 * the digits seen so far exceed it, so a client can never make the caller
 * buffer more than max_len + a few bytes), or a missing ',' terminator.
 * The payload may contain any byte, NUL included; callers validate it.
 *
 * netstring_encode() writes "<len>:<data>," into out if it fits and
 * returns the frame length; it returns the needed length without writing
 * when outsz is too small (snprintf-like).
 *
 * Pure: no allocation, no I/O.
 */
#ifndef MTASTSD_NETSTRING_H
#define MTASTSD_NETSTRING_H

#include <stddef.h>

enum netstring_status {
    NETSTRING_OK = 0,
    NETSTRING_INCOMPLETE,
    NETSTRING_ERR_LENGTH,     /* bad length prefix: empty, non-digit, leading zero */
    NETSTRING_ERR_TOO_LONG,   /* length above the cap */
    NETSTRING_ERR_TERMINATOR, /* payload not followed by ',' */
};

/* Longest length prefix we accept: enough digits for any size_t cap. */
#define NETSTRING_MAX_DIGITS 20

enum netstring_status netstring_decode(const char *buf, size_t len, size_t max_len,
                                       const char **payload, size_t *payload_len, size_t *consumed);

size_t netstring_encode(char *out, size_t outsz, const char *data, size_t len);

/* Short human-readable text for a status ("frame too long", ...). */
const char *netstring_strerror(enum netstring_status st);

#endif

/*
 * netstring - incremental netstring decoder and encoder (Postfix socketmap).
 *
 * Public functions: netstring_decode(), netstring_encode(),
 * netstring_strerror() (see netstring.h for the contract).
 *
 * The decoder keeps no state: each call looks at the front of the buffer
 * the caller presents, so a caller that keeps appending received bytes and
 * calling again gets the same answer it would get from one call on the
 * whole input.  A call costs O(digits) until the payload is complete, then
 * one comparison for the terminator.
 *
 * Ownership: *payload points into the caller's buffer; nothing is
 * allocated.  Limits: the payload length is capped by max_len, checked
 * digit by digit without overflow, so the length prefix never exceeds the
 * digits of max_len (at most NETSTRING_MAX_DIGITS).  Diagnostics: status
 * codes only; netstring_strerror() gives the text for a log line.  No I/O.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <string.h>

#include "netstring.h"

static void netstring_clear(const char **payload, size_t *payload_len, size_t *consumed)
{
    *payload = NULL;
    *payload_len = 0;
    *consumed = 0;
}

enum netstring_status netstring_decode(const char *buf, size_t len, size_t max_len,
                                       const char **payload, size_t *payload_len, size_t *consumed)
{
    size_t n = 0;
    size_t i = 0;

    netstring_clear(payload, payload_len, consumed);

    /* Length prefix: one or more digits, no leading zero, then ':'. */
    for (;;) {
        if (i == len)
            return NETSTRING_INCOMPLETE;
        unsigned char c = (unsigned char)buf[i];
        if (c == ':') {
            if (i == 0)
                return NETSTRING_ERR_LENGTH; /* empty length */
            break;
        }
        if (c < '0' || c > '9')
            return NETSTRING_ERR_LENGTH;
        if (i == 1 && buf[0] == '0')
            return NETSTRING_ERR_LENGTH; /* leading zero */
        size_t d = (size_t)(c - '0');
        /* n * 10 + d > max_len, written so that it cannot overflow. */
        if (d > max_len || n > (max_len - d) / 10)
            return NETSTRING_ERR_TOO_LONG;
        n = n * 10 + d;
        i++;
    }

    /* buf[i] == ':'; the payload is n bytes, then ','. */
    size_t header = i + 1;
    size_t avail = len - header;
    if (avail <= n)
        return NETSTRING_INCOMPLETE;
    if (buf[header + n] != ',')
        return NETSTRING_ERR_TERMINATOR;

    *payload = buf + header;
    *payload_len = n;
    *consumed = header + n + 1;
    return NETSTRING_OK;
}

size_t netstring_encode(char *out, size_t outsz, const char *data, size_t len)
{
    char digits[NETSTRING_MAX_DIGITS + 1];
    size_t nd = 0;
    size_t v = len;

    /* Digits in reverse order. */
    do {
        digits[nd++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);

    /* nd + ':' + len + ',' must not overflow size_t. */
    if (len > SIZE_MAX - nd - 2)
        return 0;
    size_t need = nd + 1 + len + 1;
    if (out == NULL || outsz < need)
        return need;

    size_t o = 0;
    while (nd > 0)
        out[o++] = digits[--nd];
    out[o++] = ':';
    if (len > 0)
        memcpy(out + o, data, len);
    o += len;
    out[o++] = ',';
    return o;
}

const char *netstring_strerror(enum netstring_status st)
{
    switch (st) {
    case NETSTRING_OK:
        return "ok";
    case NETSTRING_INCOMPLETE:
        return "incomplete frame";
    case NETSTRING_ERR_LENGTH:
        return "malformed length prefix";
    case NETSTRING_ERR_TOO_LONG:
        return "frame too long";
    case NETSTRING_ERR_TERMINATOR:
        return "missing ',' after payload";
    }
    return "unknown netstring status";
}

/*
 * httpreq - the request line and header fields of an HTTP/1.x request,
 * as the metrics endpoint receives them (RFC 9112 sections 2-6): hostile
 * input, parsed by a pure function.
 *
 * httpreq_parse(buf, len, &r) looks at the bytes received so far:
 *   HTTPREQ_INCOMPLETE  the empty line that ends the header section has
 *                       not come yet (every complete line so far is valid);
 *   HTTPREQ_OK          r holds the method, the path of the target (the
 *                       query string cut off), the version, whether a body
 *                       follows, and r.used, the bytes up to and including
 *                       the empty line;
 *   HTTPREQ_BAD         malformed; r.why says how (for the log).
 *
 * Accepted: "METHOD SP origin-form SP HTTP/1.0|HTTP/1.1" (method a token
 * of at most HTTPREQ_METHOD_MAX bytes, target '/' followed by visible
 * ASCII), then field lines "name: value" (name a token, no space before
 * the colon, value of visible bytes, SP, HTAB and obs-text), lines ending
 * in CRLF or a bare LF, and empty lines before the request line (RFC 9112
 * section 2.2).  Refused: a bare CR, NUL or other control bytes, obs-fold
 * (a line starting with SP or HTAB), absolute-form and asterisk-form
 * targets, other versions, more than HTTPREQ_FIELDS_MAX field lines, a
 * Content-Length that is not digits or that differs between two fields.
 * A body is announced by a Content-Length above 0 or any
 * Transfer-Encoding: the caller refuses it (no request body accepted).
 *
 * The caller bounds len (HTTPD_REQUEST_MAX); the parser keeps pointers
 * into buf and copies nothing.  Pure: no I/O, no allocation, no state
 * between calls (parsing again from the start when more bytes came).
 */
#ifndef MTASTSD_HTTPREQ_H
#define MTASTSD_HTTPREQ_H

#include <stdbool.h>
#include <stddef.h>

#define HTTPREQ_METHOD_MAX 16
#define HTTPREQ_FIELDS_MAX 100

enum httpreq_status {
    HTTPREQ_INCOMPLETE = 0,
    HTTPREQ_OK,
    HTTPREQ_BAD,
};

enum httpreq_method {
    HTTPREQ_GET = 0,
    HTTPREQ_HEAD,
    HTTPREQ_OTHER, /* a valid token that is neither */
};

struct httpreq {
    enum httpreq_method method;
    const char *path; /* into buf; not NUL-terminated */
    size_t path_len;
    int minor;     /* HTTP/1.minor */
    bool has_body; /* Content-Length > 0 or Transfer-Encoding */
    size_t used;   /* HTTPREQ_OK: bytes of the request head */
    const char *why;
};

enum httpreq_status httpreq_parse(const char *buf, size_t len, struct httpreq *r);

#endif

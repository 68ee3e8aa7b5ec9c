/*
 * httpreq - HTTP/1.x request head parser (see httpreq.h).
 *
 * Public function: httpreq_parse().
 *
 * One pass over the complete lines of buf: empty lines before the request
 * line are skipped; the request line is split at its two single spaces;
 * each field line is checked and the two fields that announce a body are
 * looked at.  Any check that fails returns HTTPREQ_BAD at once, so
 * garbage is refused as soon as its first line is complete, not when the
 * buffer is full.
 */
#include "autoconfig.h"

#include <string.h>

#include "httpreq.h"

/* tchar (RFC 9110 section 5.6.2) */
static bool httpreq_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool httpreq_token(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!httpreq_tchar((unsigned char)s[i]))
            return false;
    return true;
}

static bool httpreq_ieq(const char *s, size_t n, const char *lit)
{
    if (strlen(lit) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char a = s[i], b = lit[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (a != b)
            return false;
    }
    return true;
}

static enum httpreq_status httpreq_bad(struct httpreq *r, const char *why)
{
    r->why = why;
    return HTTPREQ_BAD;
}

/* The request line s[0..n). */
static enum httpreq_status httpreq_request_line(const char *s, size_t n, struct httpreq *r)
{
    const char *sp1 = memchr(s, ' ', n);
    if (sp1 == NULL)
        return httpreq_bad(r, "request line without spaces");
    size_t mlen = (size_t)(sp1 - s);
    if (mlen > HTTPREQ_METHOD_MAX || !httpreq_token(s, mlen))
        return httpreq_bad(r, "bad method");
    const char *t = sp1 + 1;
    const char *sp2 = memchr(t, ' ', (size_t)(s + n - t));
    if (sp2 == NULL)
        return httpreq_bad(r, "request line without a version");
    size_t tlen = (size_t)(sp2 - t);
    if (tlen == 0 || t[0] != '/')
        return httpreq_bad(r, "target is not a path (origin-form)");
    for (size_t i = 0; i < tlen; i++)
        if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
            return httpreq_bad(r, "bad byte in the target");
    const char *v = sp2 + 1;
    size_t vlen = (size_t)(s + n - v);
    if (vlen == 8 && memcmp(v, "HTTP/1.1", 8) == 0)
        r->minor = 1;
    else if (vlen == 8 && memcmp(v, "HTTP/1.0", 8) == 0)
        r->minor = 0;
    else
        return httpreq_bad(r, "not HTTP/1.0 or HTTP/1.1");
    if (mlen == 3 && memcmp(s, "GET", 3) == 0)
        r->method = HTTPREQ_GET;
    else if (mlen == 4 && memcmp(s, "HEAD", 4) == 0)
        r->method = HTTPREQ_HEAD;
    else
        r->method = HTTPREQ_OTHER;
    const char *q = memchr(t, '?', tlen);
    r->path = t;
    r->path_len = q != NULL ? (size_t)(q - t) : tlen;
    return HTTPREQ_OK;
}

/* A field line s[0..n); clen: the Content-Length seen so far (-1: none). */
static enum httpreq_status httpreq_field(const char *s, size_t n, struct httpreq *r,
                                         long long *clen)
{
    if (s[0] == ' ' || s[0] == '\t')
        return httpreq_bad(r, "obsolete line folding");
    const char *colon = memchr(s, ':', n);
    if (colon == NULL)
        return httpreq_bad(r, "field line without a colon");
    size_t nlen = (size_t)(colon - s);
    if (!httpreq_token(s, nlen))
        return httpreq_bad(r, "bad field name");
    const char *v = colon + 1;
    size_t vlen = (size_t)(s + n - v);
    for (size_t i = 0; i < vlen; i++) {
        unsigned char c = (unsigned char)v[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return httpreq_bad(r, "control byte in a field value");
    }
    while (vlen > 0 && (v[0] == ' ' || v[0] == '\t')) {
        v++;
        vlen--;
    }
    while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
        vlen--;
    if (httpreq_ieq(s, nlen, "transfer-encoding")) {
        r->has_body = true;
    } else if (httpreq_ieq(s, nlen, "content-length")) {
        long long val = 0;
        if (vlen == 0 || vlen > 18)
            return httpreq_bad(r, "bad Content-Length");
        for (size_t i = 0; i < vlen; i++) {
            if (v[i] < '0' || v[i] > '9')
                return httpreq_bad(r, "bad Content-Length");
            val = val * 10 + (v[i] - '0');
        }
        if (*clen >= 0 && *clen != val)
            return httpreq_bad(r, "two different Content-Length fields");
        *clen = val;
        if (val > 0)
            r->has_body = true;
    }
    return HTTPREQ_OK;
}

enum httpreq_status httpreq_parse(const char *buf, size_t len, struct httpreq *r)
{
    size_t off = 0, fields = 0;
    bool have_request = false;
    long long clen = -1;

    memset(r, 0, sizeof(*r));
    r->method = HTTPREQ_OTHER;
    while (off < len) {
        const char *line = buf + off;
        const char *lf = memchr(line, '\n', len - off);
        if (lf == NULL)
            break;
        size_t n = (size_t)(lf - line);
        size_t next = off + n + 1;
        if (n > 0 && line[n - 1] == '\r')
            n--;
        if (memchr(line, '\r', n) != NULL)
            return httpreq_bad(r, "bare CR");
        if (memchr(line, '\0', n) != NULL)
            return httpreq_bad(r, "NUL byte");
        if (n == 0) {
            if (have_request) {
                r->used = next;
                return HTTPREQ_OK;
            }
            off = next; /* empty lines before the request line */
            continue;
        }
        enum httpreq_status st;
        if (!have_request) {
            st = httpreq_request_line(line, n, r);
            have_request = true;
        } else {
            if (++fields > HTTPREQ_FIELDS_MAX)
                return httpreq_bad(r, "too many field lines");
            st = httpreq_field(line, n, r, &clen);
        }
        if (st != HTTPREQ_OK)
            return st;
        off = next;
    }
    /* The partial line: nothing a request can hold there. */
    if (memchr(buf + off, '\0', len - off) != NULL)
        return httpreq_bad(r, "NUL byte");
    return HTTPREQ_INCOMPLETE;
}

/*
 * domain - Postfix lookup keys to policy domains; hostname and mx-pattern
 * validation (DESIGN section 3).  See domain.h for the contract.
 *
 * Public functions: domain_normalize_key(), domain_is_hostname(),
 * domain_is_plain_hostname(), domain_is_ip_literal(), domain_mx_pattern(),
 * domain_zone(), domain_mx_match(), domain_cert_name_match(),
 * domain_key_hop(), domain_key_kind_name().
 *
 * Ownership: callers pass buffers with explicit lengths (embedded NUL
 * bytes are rejected, never truncated at) and fixed-size output buffers;
 * nothing is allocated that outlives a call.  libidn2's results are freed
 * before returning.
 *
 * Limits: keys and mx values longer than DOMAIN_KEY_MAX bytes are rejected
 * before any work; results are at most DOMAIN_MAX octets.  Work is linear
 * in the input apart from libidn2, which is handed one label at a time.
 *
 * IDNA: labels that are plain LDH ASCII are kept as they are (so names such
 * as "r4---sn-abc.example.net", legal in the DNS but not as IDNA labels,
 * still work).  Labels with non-ASCII bytes, or that claim to be A-labels
 * ("xn--"), go through idn2_to_ascii_8z() with NFC input and UTS #46
 * non-transitional processing, retried with transitional processing when
 * the label has a character that only the latter allows (as curl does).
 * libidn2 checks that an A-label decodes and re-encodes to itself; an
 * "xn--" label must also come back unchanged, so only canonical A-labels
 * pass.  UTF-8 is checked strictly here first (no overlong forms,
 * surrogates or code points above U+10FFFF).  The converted name is
 * validated again as an LDH hostname, so a mapping to ASCII punctuation
 * (fullwidth ':' or '=') cannot slip through, and converted again: only a
 * name whose A-labels convert to themselves is accepted (libidn2 judges
 * labels joined by an ideographic or fullwidth dot together, but each
 * A-label alone, and the two verdicts can differ).
 *
 * Diagnostics: none; pure module, no I/O and no logging.  Callers log the
 * key together with domain_key_kind_name().
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include <idn2.h>

#include "domain.h"

#define DOMAIN_LABEL_MAX       63
#define DOMAIN_PORT_DIGITS_MAX 5
#define DOMAIN_IP_TEXT_MAX     45 /* INET6_ADDRSTRLEN - 1 */

/* Whitespace trimmed around a key; other control bytes make it invalid. */
static bool domain_is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool domain_is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

static bool domain_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool domain_is_ldh(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || domain_is_digit(c) || c == '-';
}

static unsigned char domain_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, <= U+10FFFF. */
static bool domain_utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t more;
        unsigned char lo = 0x80, hi = 0xbf;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            more = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            more = 2;
            if (c == 0xe0)
                lo = 0xa0;
            else if (c == 0xed)
                hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            more = 3;
            if (c == 0xf0)
                lo = 0x90;
            else if (c == 0xf4)
                hi = 0x8f;
        } else {
            return false;
        }
        if (len - i - 1 < more)
            return false;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k <= more; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xbf)
                return false;
        i += more + 1;
    }
    return true;
}

/* 1-5 digits, value 1-65535. */
static bool domain_port_valid(const char *s, size_t len)
{
    unsigned long v = 0;
    if (len == 0 || len > DOMAIN_PORT_DIGITS_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!domain_is_digit((unsigned char)s[i]))
            return false;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    return v >= 1 && v <= 65535;
}

bool domain_is_hostname(const char *s, size_t len)
{
    size_t labels = 0, label_len = 0;
    bool label_numeric = true;

    if (s == NULL || len == 0 || len > DOMAIN_MAX)
        return false;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            if (label_len == 0 || label_len > DOMAIN_LABEL_MAX)
                return false;
            if (s[i - 1] == '-')
                return false;
            labels++;
            if (i == len)
                break;
            label_len = 0;
            label_numeric = true;
            continue;
        }
        unsigned char c = (unsigned char)s[i];
        if (!domain_is_ldh(c))
            return false;
        if (label_len == 0 && c == '-')
            return false;
        if (!domain_is_digit(c))
            label_numeric = false;
        label_len++;
    }
    /* At least two labels, and the top-level label is not all digits. */
    return labels >= 2 && !label_numeric;
}

bool domain_is_ip_literal(const char *s, size_t len)
{
    char buf[DOMAIN_IP_TEXT_MAX + 1];
    unsigned char addr[16];

    if (s == NULL || len == 0 || len > DOMAIN_IP_TEXT_MAX)
        return false;
    /* Cheap filter before inet_pton (this runs for every query): IPv4
     * text is digits and dots only, IPv6 text hex digits, ':' and '.'. */
    bool colon = false, v4chars = true;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == ':')
            colon = true;
        else if (!isxdigit(ch) && ch != '.')
            return false;
        if (!isdigit(ch) && ch != '.')
            v4chars = false;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (!colon)
        return v4chars && inet_pton(AF_INET, buf, addr) == 1;
    return inet_pton(AF_INET6, buf, addr) == 1;
}

static bool domain_is_ipv6(const char *s, size_t len)
{
    char buf[DOMAIN_IP_TEXT_MAX + 1];
    unsigned char addr[16];

    if (len == 0 || len > DOMAIN_IP_TEXT_MAX || memchr(s, '\0', len) != NULL)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return inet_pton(AF_INET6, buf, addr) == 1;
}

bool domain_is_plain_hostname(const char *s, size_t len)
{
    if (!domain_is_hostname(s, len))
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] >= 'A' && s[i] <= 'Z')
            return false;
        if ((i == 0 || s[i - 1] == '.') && len - i >= 4 && memcmp(s + i, "xn--", 4) == 0)
            return false;
    }
    return true;
}

/*
 * The common case: in[0..len), lowercased and without one trailing dot,
 * is a plain hostname (domain_is_plain_hostname()).  Then out holds it
 * and the result is its length.  This is exactly what the general path
 * produces for such a name: it needs no IDNA, and with no ':' and a
 * top-level label that is not all digits it is no IP literal.  Anything
 * else returns 0 (out holds junk) and the caller takes the general path,
 * which decides.
 */
static size_t domain_fast_ldh(const char *in, size_t len, char out[DOMAIN_BUFSZ])
{
    if (len > 0 && in[len - 1] == '.')
        len--;
    if (len == 0 || len > DOMAIN_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        out[i] = (char)domain_lower((unsigned char)in[i]);
    out[len] = '\0';
    return domain_is_plain_hostname(out, len) ? len : 0;
}

/*
 * One label that needs libidn2 (non-ASCII, or an "xn--" A-label) to its
 * A-label form, appended to out at *pos.  `ascii` says the label is all
 * ASCII, i.e. it claims to be an A-label and must come back unchanged.
 */
static bool domain_idna_label(const char *label, size_t len, bool ascii, char *out, size_t *pos)
{
    char tmp[DOMAIN_KEY_MAX + 1];
    char *res = NULL;
    int rc;
    bool ok;

    if (len > DOMAIN_KEY_MAX)
        return false;
    memcpy(tmp, label, len);
    tmp[len] = '\0';
    rc = idn2_to_ascii_8z(tmp, &res, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (rc == IDN2_DISALLOWED) {
        idn2_free(res);
        res = NULL;
        rc = idn2_to_ascii_8z(tmp, &res, IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
    }
    if (rc != IDN2_OK || res == NULL) {
        idn2_free(res);
        return false;
    }
    /* A label that maps to nothing (soft hyphen, ZWSP) is an empty label. */
    size_t rlen = strlen(res);
    ok = rlen > 0 && rlen <= DOMAIN_MAX - *pos;
    if (ok && ascii)
        ok = rlen == len && memcmp(res, label, len) == 0;
    if (ok) {
        for (size_t i = 0; i < rlen; i++)
            out[*pos + i] = (char)domain_lower((unsigned char)res[i]);
        *pos += rlen;
    }
    idn2_free(res);
    return ok;
}

/*
 * Host name (ASCII already lowercased, no NUL or CTL bytes, trailing dot
 * already stripped) to lowercase A-label form in out; true when the
 * result is a hostname.  On false, out holds junk.  *converted is set
 * when a label went through libidn2.
 */
static bool domain_to_alabels_once(const char *in, size_t len, char out[DOMAIN_BUFSZ],
                                   bool *converted)
{
    size_t pos = 0, start = 0;

    out[0] = '\0';
    if (len == 0 || !domain_utf8_valid((const unsigned char *)in, len))
        return false;
    while (start <= len) {
        const char *dot = memchr(in + start, '.', len - start);
        size_t end = dot != NULL ? (size_t)(dot - in) : len;
        size_t llen = end - start;
        const char *label = in + start;
        bool ascii = true, ldh = true;

        if (llen == 0)
            return false;
        for (size_t i = 0; i < llen; i++) {
            unsigned char c = (unsigned char)label[i];
            if (c >= 0x80)
                ascii = false;
            else if (!domain_is_ldh(c))
                ldh = false;
        }
        if (!ldh)
            return false; /* '_', '*', ':', space, ... */
        if (start > 0) {
            if (pos >= DOMAIN_MAX)
                return false;
            out[pos++] = '.';
        }
        if (ascii && !(llen >= 4 && memcmp(label, "xn--", 4) == 0)) {
            if (llen > DOMAIN_MAX - pos)
                return false;
            memcpy(out + pos, label, llen);
            pos += llen;
        } else if (!domain_idna_label(label, llen, ascii, out, &pos)) {
            return false;
        } else if (!ascii) {
            *converted = true;
        }
        if (dot == NULL)
            break;
        start = end + 1;
    }
    out[pos] = '\0';
    return domain_is_hostname(out, pos);
}

/*
 * domain_to_alabels_once(), and a converted name must convert to itself.
 * libidn2 maps U+3002, U+FF0E and U+FF61 to '.', so one "label" here can
 * come back as several A-labels; it judged them together (one
 * transitional retry for all), while a second pass judges each A-label
 * alone and may refuse one (an unassigned code point: IDN2_UNASSIGNED,
 * which gets no retry).  Accepting only fixed points keeps normalisation
 * idempotent: a stored key or mx pattern always normalises to itself.
 */
static bool domain_to_alabels(const char *in, size_t len, char out[DOMAIN_BUFSZ])
{
    char again[DOMAIN_BUFSZ];
    bool converted = false, unused = false;

    if (!domain_to_alabels_once(in, len, out, &converted))
        return false;
    if (!converted)
        return true;
    return domain_to_alabels_once(out, strlen(out), again, &unused) && strcmp(again, out) == 0;
}

enum domain_key_kind domain_normalize_key(const char *key, size_t len, char out[DOMAIN_BUFSZ])
{
    char buf[DOMAIN_KEY_MAX];
    const char *host;
    size_t n, hlen;

    out[0] = '\0';
    if (key == NULL || len == 0 || len > DOMAIN_KEY_MAX)
        return DOMAIN_KEY_INVALID;
    if (domain_fast_ldh(key, len, out) > 0)
        return DOMAIN_KEY_OK;
    out[0] = '\0';
    if (memchr(key, '\0', len) != NULL)
        return DOMAIN_KEY_INVALID;

    /* Trim surrounding whitespace; any control byte left inside is fatal. */
    while (len > 0 && domain_is_space((unsigned char)key[0])) {
        key++;
        len--;
    }
    while (len > 0 && domain_is_space((unsigned char)key[len - 1]))
        len--;
    if (len == 0)
        return DOMAIN_KEY_INVALID;
    for (size_t i = 0; i < len; i++)
        if (domain_is_ctl((unsigned char)key[i]))
            return DOMAIN_KEY_INVALID;

    if (key[0] == '.')
        return DOMAIN_KEY_PARENT_PROBE;

    n = len;
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)domain_lower((unsigned char)key[i]);

    if (buf[0] == '[') {
        /* "[host]", "[host]:port", "[1.2.3.4]", "[ipv6:...]", "[2001:db8::1]" */
        const char *close = memchr(buf, ']', n);
        if (close == NULL)
            return DOMAIN_KEY_INVALID;
        size_t ilen = (size_t)(close - buf) - 1;
        size_t rest = n - (size_t)(close - buf) - 1;
        if (rest > 0 && (close[1] != ':' || !domain_port_valid(close + 2, rest - 1)))
            return DOMAIN_KEY_INVALID;
        host = buf + 1;
        hlen = ilen;
        if (hlen >= 5 && memcmp(host, "ipv6:", 5) == 0)
            return domain_is_ipv6(host + 5, hlen - 5) ? DOMAIN_KEY_IP_LITERAL : DOMAIN_KEY_INVALID;
    } else {
        /* A bare IPv6 address has colons of its own: test it before host:port. */
        if (domain_is_ip_literal(buf, n))
            return DOMAIN_KEY_IP_LITERAL;
        const char *colon = memchr(buf, ':', n);
        host = buf;
        hlen = n;
        if (colon != NULL) {
            hlen = (size_t)(colon - buf);
            if (!domain_port_valid(colon + 1, n - hlen - 1))
                return DOMAIN_KEY_INVALID;
        }
    }

    if (hlen > 0 && host[hlen - 1] == '.')
        hlen--; /* exactly one; a second one leaves an empty label */
    if (hlen == 0)
        return DOMAIN_KEY_INVALID;
    if (domain_is_ip_literal(host, hlen))
        return DOMAIN_KEY_IP_LITERAL;
    if (!domain_to_alabels(host, hlen, out)) {
        out[0] = '\0';
        return DOMAIN_KEY_INVALID;
    }
    return DOMAIN_KEY_OK;
}

/* The two written forms of a validated mx host (see the header). */
static bool domain_pattern_forms(const char *host, size_t olen, bool wild,
                                 char pattern[DOMAIN_PATTERN_BUFSZ],
                                 char match[DOMAIN_PATTERN_BUFSZ])
{
    if (wild) {
        pattern[0] = '*';
        pattern[1] = '.';
        memcpy(pattern + 2, host, olen + 1);
        match[0] = '.';
        memcpy(match + 1, host, olen + 1);
    } else {
        memcpy(pattern, host, olen + 1);
        memcpy(match, host, olen + 1);
    }
    return true;
}

bool domain_mx_pattern(const char *in, size_t len, char pattern[DOMAIN_PATTERN_BUFSZ],
                       char match[DOMAIN_PATTERN_BUFSZ])
{
    char buf[DOMAIN_KEY_MAX];
    char host[DOMAIN_BUFSZ];
    bool wild;

    pattern[0] = '\0';
    match[0] = '\0';
    if (in == NULL || len == 0 || len > DOMAIN_KEY_MAX)
        return false;
    wild = len >= 2 && in[0] == '*' && in[1] == '.';
    size_t fast = wild ? domain_fast_ldh(in + 2, len - 2, host) : domain_fast_ldh(in, len, host);
    if (fast > 0)
        return domain_pattern_forms(host, fast, wild, pattern, match);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        /* Bytes that could change the meaning of a reply, rejected outright. */
        if (c == '\0' || domain_is_ctl(c) || c == ' ' || c == '=' || c == ':' || c == '{' ||
            c == '}' || c == '[' || c == ']' || c == ',')
            return false;
        buf[i] = (char)domain_lower(c);
    }
    const char *h = wild ? buf + 2 : buf;
    size_t hlen = wild ? len - 2 : len;
    if (hlen > 0 && h[hlen - 1] == '.')
        hlen--;
    if (hlen == 0 || domain_is_ip_literal(h, hlen))
        return false;
    if (!domain_to_alabels(h, hlen, host))
        return false;
    return domain_pattern_forms(host, strlen(host), wild, pattern, match);
}

bool domain_mx_match(const char *pattern, const char *host)
{
    size_t plen, hlen;

    if (pattern == NULL || host == NULL)
        return false;
    plen = strlen(pattern);
    hlen = strlen(host);
    if (plen >= 2 && pattern[0] == '*' && pattern[1] == '.') {
        /* ".example.net": host = one non-empty label without a dot + it */
        const char *suffix = pattern + 1;
        size_t slen = plen - 1;
        if (slen < 2 || hlen <= slen)
            return false;
        if (strcasecmp(host + hlen - slen, suffix) != 0)
            return false;
        return memchr(host, '.', hlen - slen) == NULL;
    }
    return plen > 0 && plen == hlen && strcasecmp(pattern, host) == 0;
}

bool domain_cert_name_match(const char *dns_id, size_t len, const char *host)
{
    char id[DOMAIN_BUFSZ + 2];
    bool wild;

    if (dns_id == NULL || host == NULL || len == 0 || len > DOMAIN_MAX + 2)
        return false;
    if (memchr(dns_id, '\0', len) != NULL)
        return false;
    wild = len > 2 && dns_id[0] == '*' && dns_id[1] == '.';
    /* What is left after "*." must be a host name: two labels or more,
     * LDH only (no other "*", no trailing dot), not an IP address. */
    if (!domain_is_hostname(dns_id + (wild ? 2 : 0), len - (wild ? 2 : 0)) ||
        domain_is_ip_literal(dns_id, len))
        return false;
    memcpy(id, dns_id, len);
    id[len] = '\0';
    return domain_mx_match(id, host);
}

void domain_key_hop(const char *key, size_t len, bool *mx, unsigned *port)
{
    const char *colon = NULL;

    *mx = true;
    *port = 25;
    if (key == NULL)
        return;
    while (len > 0 && domain_is_space((unsigned char)key[0])) {
        key++;
        len--;
    }
    while (len > 0 && domain_is_space((unsigned char)key[len - 1]))
        len--;
    if (len > 0 && key[0] == '[') {
        const char *close = memchr(key, ']', len);
        *mx = false;
        if (close != NULL && (size_t)(close - key) + 1 < len && close[1] == ':')
            colon = close + 1;
    } else {
        colon = memchr(key, ':', len);
    }
    if (colon != NULL) {
        size_t plen = len - (size_t)(colon + 1 - key);
        if (domain_port_valid(colon + 1, plen)) {
            unsigned v = 0;
            for (size_t i = 0; i < plen; i++)
                v = v * 10 + (unsigned)(colon[1 + i] - '0');
            *port = v;
        }
    }
}

const char *domain_key_kind_name(enum domain_key_kind k)
{
    switch (k) {
    case DOMAIN_KEY_OK:
        return "ok";
    case DOMAIN_KEY_PARENT_PROBE:
        return "parent-domain probe";
    case DOMAIN_KEY_IP_LITERAL:
        return "IP literal";
    case DOMAIN_KEY_INVALID:
        return "invalid";
    }
    return "unknown";
}

/*
 * Second-level labels that registries under a two-letter (country-code)
 * top-level domain hand out below themselves, as in co.uk, com.au, ac.jp,
 * ne.jp: a domain under one of them is registered one label deeper.
 */
static const char *const domain_cc_slds[] = {
    "ac",  "co", "com", "edu", "gen", "go", "gob", "gov", "ltd",
    "mil", "ne", "net", "nic", "nom", "or", "org", "plc", "sch",
};

static bool domain_is_cc_sld(const char *label, size_t len)
{
    for (size_t i = 0; i < sizeof(domain_cc_slds) / sizeof(domain_cc_slds[0]); i++)
        if (strlen(domain_cc_slds[i]) == len && memcmp(domain_cc_slds[i], label, len) == 0)
            return true;
    return false;
}

const char *domain_zone(const char *domain)
{
    size_t n = strlen(domain);
    const char *dots[3] = {NULL, NULL, NULL}; /* the last three dots, last first */
    size_t ndots = 0;
    for (size_t i = n; i-- > 0 && ndots < 3;)
        if (domain[i] == '.')
            dots[ndots++] = domain + i;
    if (ndots < 2)
        return domain; /* one or two labels: the name is its own zone */
    const char *tld = dots[0] + 1;
    const char *sld = dots[1] + 1;
    bool cc = strlen(tld) == 2 && domain_is_cc_sld(sld, (size_t)(dots[0] - sld));
    if (!cc)
        return sld;                           /* the last two labels */
    return ndots >= 3 ? dots[2] + 1 : domain; /* the last three labels */
}

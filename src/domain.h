/*
 * domain - Postfix lookup keys to policy domains; hostname and mx-pattern
 * validation (DESIGN section 3).
 *
 * domain_normalize_key() turns the key Postfix sends into the policy
 * domain: trim surrounding whitespace, lowercase, strip one trailing dot,
 * map "[host]", "[host]:port" and "host:port" to host, convert UTF-8
 * (U-labels) to A-labels, and check the result is a valid hostname.  The
 * result says why a key has no policy domain:
 *
 *   DOMAIN_KEY_OK            out holds the policy domain (A-labels, lowercase)
 *   DOMAIN_KEY_PARENT_PROBE  key starts with '.': Postfix's parent-domain probe
 *   DOMAIN_KEY_IP_LITERAL    IPv4/IPv6 literal, bracketed or not
 *   DOMAIN_KEY_INVALID       anything else that is not a hostname
 *
 * A hostname here is 1-253 octets, at least two labels (a single-label
 * name has no "mta-sts.<domain>" policy host worth asking about), labels
 * of 1-63 letters/digits/hyphens not starting or ending with a hyphen.
 * Underscores are rejected.  Every non-OK kind maps to "NOTFOUND " in the
 * reply; the kinds exist so that logs and tests can tell them apart.
 *
 * domain_mx_pattern() validates one policy "mx" value ("host" or
 * "*.host", RFC 8461 section 3.2/4.1), lowercases it and converts U-labels
 * to A-labels.  It writes two forms: `pattern` as it should appear in
 * mx_host_pattern ("*.example.net"), and `match` in Postfix's match= form
 * ("*.example.net" -> ".example.net"; "mx.example.net" unchanged).  IP
 * literals, spaces, '=', ':', '{', '}', control bytes, "*" alone, "*.tld"
 * with a single label after it, and any other non-hostname are rejected.
 *
 * domain_mx_match() applies RFC 8461 section 4.1 to one MX host and one
 * pattern in domain_mx_pattern()'s `pattern` form: "host" matches that
 * host only; "*.example.net" matches a host with exactly one more label
 * in front ("mx.example.net", not "example.net" nor "a.b.example.net").
 * Comparison ignores ASCII case; both are A-labels.  The daemon leaves
 * this match to Postfix; the domain owner's check uses it to say which MX
 * hosts a policy covers.
 *
 * Pure: no I/O; uses libidn2 for IDNA conversion only.
 */
#ifndef MTASTSD_DOMAIN_H
#define MTASTSD_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>

#define DOMAIN_MAX     253              /* longest hostname, without trailing dot */
#define DOMAIN_BUFSZ   (DOMAIN_MAX + 1) /* buffer for a hostname and its NUL */
#define DOMAIN_KEY_MAX 1024             /* longer keys are rejected outright */

enum domain_key_kind {
    DOMAIN_KEY_OK = 0,
    DOMAIN_KEY_PARENT_PROBE,
    DOMAIN_KEY_IP_LITERAL,
    DOMAIN_KEY_INVALID,
};

enum domain_key_kind domain_normalize_key(const char *key, size_t len, char out[DOMAIN_BUFSZ]);

/* Valid LDH hostname in A-label form, lowercase or not (see above). */
bool domain_is_hostname(const char *s, size_t len);

/* A hostname as above, all lowercase and without "xn--" labels: its own
 * normalised form (no case to fold, no IDNA to apply). */
bool domain_is_plain_hostname(const char *s, size_t len);

/* Valid IPv4 or IPv6 address text (no brackets). */
bool domain_is_ip_literal(const char *s, size_t len);

/* Buffers for domain_mx_pattern(): "*." + hostname + NUL. */
#define DOMAIN_PATTERN_BUFSZ (DOMAIN_MAX + 3)

bool domain_mx_pattern(const char *in, size_t len, char pattern[DOMAIN_PATTERN_BUFSZ],
                       char match[DOMAIN_PATTERN_BUFSZ]);

/*
 * The zone a policy domain belongs to, for fetch fairness (fetch.c): the
 * domain under which its owner registered it, approximated without the
 * Public Suffix List as its last two labels, or its last three when the
 * last two are a country-code top-level domain under one of the common
 * second-level labels (co, com, net, org, ac, gov, ne, or, ...: see
 * domain.c), as in "example.co.uk".  A name with fewer labels is its own
 * zone.  Returns a pointer into `domain` (a normalised policy domain).
 */
const char *domain_zone(const char *domain);

/* RFC 8461 section 4.1: does pattern ("host" or "*.host") cover host? */
bool domain_mx_match(const char *pattern, const char *host);

/*
 * RFC 6125 section 6.4 for one DNS-ID of a certificate (a subjectAltName
 * dNSName, hostile: len bytes, NULs included) and a normalised host name,
 * as RFC 8461 section 4.2 asks of MX certificates: equal ignoring ASCII
 * case, or "*" as the whole leftmost label standing for exactly one label
 * of host.  The DNS-ID must be a host name in A-label form (or "*." and
 * one) with at least two labels after a "*": partial wildcards ("m*"), a
 * "*" in any other label, IP addresses, a trailing dot and any other byte
 * never match.  The wildcard rule is domain_mx_match()'s.
 */
bool domain_cert_name_match(const char *dns_id, size_t len, const char *host);

/*
 * The next hop a key names, for DANE (issue 12): "[host]" and
 * "[host]:port" name the host itself (*mx false: no MX lookup, as Postfix
 * does for a bracketed next hop); any other key its domain's MX hosts (*mx
 * true).  *port is the key's ":port", or 25.  Meaningful only for keys
 * that domain_normalize_key() maps to a policy domain.
 */
void domain_key_hop(const char *key, size_t len, bool *mx, unsigned *port);

const char *domain_key_kind_name(enum domain_key_kind k);

#endif

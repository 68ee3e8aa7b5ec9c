/*
 * fuzz_domain - libFuzzer harness for src/domain.c.
 *
 * Each input is used whole as a Postfix lookup key and as a policy mx
 * value.  Beyond "no crash, no sanitizer report", it checks:
 *  - domain_normalize_key(): on OK the result is a hostname, lowercase,
 *    only [a-z0-9.-], and normalising it again gives it back unchanged;
 *    on any other kind the output buffer is the empty string;
 *  - domain_mx_pattern(): on success both forms contain only
 *    [a-z0-9.*-], `pattern` is a hostname or "*." + hostname, `match` is
 *    the same with "*" dropped, and feeding `pattern` back yields itself;
 *  - domain_is_hostname() and domain_is_ip_literal() never both hold;
 *  - the fast path agrees with the general path (a key with a
 *    leading space always takes the general path and must normalise the
 *    same), and a domain_is_plain_hostname() name normalises to itself;
 *  - domain_cert_name_match(): a certificate name that matches an MX host
 *    is the host itself (any case) or "*." and the host's parent.
 * A broken invariant aborts, which libFuzzer reports as a crash.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "domain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_fail(const char *what, const char *s)
{
    fprintf(stderr, "fuzz_domain: invariant broken: %s (%s)\n", what, s);
    abort();
}

static void fuzz_check_chars(const char *s, bool star, const char *what)
{
    for (const char *p = s; *p != '\0'; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
              (star && c == '*')))
            fuzz_fail(what, s);
    }
}

/*
 * Differential check of the fast path: a leading space always
 * sends the key down the general path (it is trimmed there), so " key"
 * must give the same kind and the same output as "key".
 */
static void fuzz_key_general(const char *key, size_t size, enum domain_key_kind k, const char *out)
{
    char spaced[DOMAIN_KEY_MAX];
    char out2[DOMAIN_BUFSZ];

    if (size == 0 || size >= DOMAIN_KEY_MAX)
        return;
    spaced[0] = ' ';
    memcpy(spaced + 1, key, size);
    enum domain_key_kind k2 = domain_normalize_key(spaced, size + 1, out2);
    if (k2 != k || strcmp(out2, out) != 0)
        fuzz_fail("fast and general path disagree", out2);
}

static void fuzz_key(const char *key, size_t size)
{
    char out[DOMAIN_BUFSZ];
    char again[DOMAIN_BUFSZ];

    enum domain_key_kind k = domain_normalize_key(key, size, out);
    fuzz_key_general(key, size, k, out);
    if (k != DOMAIN_KEY_OK) {
        if (out[0] != '\0')
            fuzz_fail("output not cleared on failure", out);
        return;
    }
    size_t n = strlen(out);
    if (n == 0 || n > DOMAIN_MAX || !domain_is_hostname(out, n))
        fuzz_fail("key output is not a hostname", out);
    fuzz_check_chars(out, false, "key output has a byte outside [a-z0-9.-]");
    if (domain_is_ip_literal(out, n))
        fuzz_fail("key output is an IP literal", out);
    if (domain_normalize_key(out, n, again) != DOMAIN_KEY_OK || strcmp(again, out) != 0)
        fuzz_fail("key normalisation is not idempotent", out);
}

static void fuzz_mx(const char *in, size_t size)
{
    char pattern[DOMAIN_PATTERN_BUFSZ], match[DOMAIN_PATTERN_BUFSZ];
    char p2[DOMAIN_PATTERN_BUFSZ], m2[DOMAIN_PATTERN_BUFSZ];

    if (!domain_mx_pattern(in, size, pattern, match)) {
        if (pattern[0] != '\0' || match[0] != '\0')
            fuzz_fail("mx outputs not cleared on failure", pattern);
        return;
    }
    fuzz_check_chars(pattern, true, "mx pattern has a byte outside [a-z0-9.*-]");
    fuzz_check_chars(match, true, "mx match has a byte outside [a-z0-9.*-]");
    size_t pl = strlen(pattern);
    if (pattern[0] == '*') {
        if (pl < 3 || pattern[1] != '.' || !domain_is_hostname(pattern + 2, pl - 2))
            fuzz_fail("wildcard pattern is not *.hostname", pattern);
        if (strcmp(match, pattern + 1) != 0)
            fuzz_fail("wildcard match is not .hostname", match);
    } else {
        if (!domain_is_hostname(pattern, pl) || strcmp(match, pattern) != 0)
            fuzz_fail("mx pattern is not a hostname", pattern);
    }
    if (strchr(pattern + 1, '*') != NULL || strchr(match, '*') != NULL)
        fuzz_fail("'*' other than as the leftmost label", pattern);
    if (!domain_mx_pattern(pattern, pl, p2, m2) || strcmp(p2, pattern) != 0 ||
        strcmp(m2, match) != 0)
        fuzz_fail("mx pattern is not idempotent", pattern);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exact-size copy, so that reads past the end are caught. */
    char *buf = calloc(1, size ? size : 1); /* zeroed: size 0 reads nothing, gcc cannot tell */
    if (buf == NULL)
        return 0;
    if (size > 0)
        memcpy(buf, data, size);

    fuzz_key(buf, size);
    if (domain_is_plain_hostname(buf, size)) {
        /* Its own normal form: as a key and as an mx. */
        char out[DOMAIN_BUFSZ], pattern[DOMAIN_PATTERN_BUFSZ], match[DOMAIN_PATTERN_BUFSZ];
        if (domain_normalize_key(buf, size, out) != DOMAIN_KEY_OK || strlen(out) != size ||
            memcmp(out, buf, size) != 0)
            fuzz_fail("a plain hostname does not normalise to itself", out);
        if (!domain_mx_pattern(buf, size, pattern, match) || strcmp(pattern, out) != 0)
            fuzz_fail("a plain hostname is not its own mx pattern", pattern);
    }
    fuzz_mx(buf, size);
    if (domain_is_hostname(buf, size) && domain_is_ip_literal(buf, size))
        fuzz_fail("both hostname and IP literal", "input");
    /* A certificate name that matches an MX host is that host (any case)
     * or "*." and the host's parent, and is a host name apart from the
     * "*"; the same name, as the host, matches itself. */
    static const char *const hosts[] = {"mx.example.com", "a.b", "mx1.mail.example.net"};
    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        const char *h = hosts[i], *parent = strchr(h, '.') + 1;
        if (!domain_cert_name_match(buf, size, h))
            continue;
        bool exact = size == strlen(h) && strncasecmp(buf, h, size) == 0;
        bool wild = size == strlen(parent) + 2 && buf[0] == '*' && buf[1] == '.' &&
                    strncasecmp(buf + 2, parent, size - 2) == 0;
        if (!exact && !wild)
            fuzz_fail("a certificate name matched a host it does not name", h);
    }

    free(buf);
    return 0;
}

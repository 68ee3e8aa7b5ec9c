/*
 * fuzz_sts_policy - libFuzzer harness for src/sts_policy.c.
 *
 * 1. sts_policy_parse() on the input.  When it accepts:
 *    - mode is valid, max_age <= 31557600, 1 <= n_mx <= 256 unless mode
 *      is none, mx/match are lowercase LDH names (mx optionally "*."),
 *      match is mx without its "*", no duplicates;
 *    - every line is "key: value" without control bytes or braces;
 *    - serialise -> deserialise gives an equal policy, and serialising
 *      that again gives the same bytes.
 *    When it rejects: no policy, a non-empty printable reason.
 * 2. sts_policy_deserialize() on the raw input (a hostile cache record):
 *    when it accepts, serialising the result gives back the input bytes,
 *    and every mx is in the form domain_mx_pattern() gives it.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "sts_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 255)
        abort();
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              (c == '*' && i == 0)))
            abort();
    }
}

static void check_policy(const struct sts_policy *p)
{
    if (p->mode != STS_MODE_NONE && p->mode != STS_MODE_TESTING && p->mode != STS_MODE_ENFORCE)
        abort();
    if (p->max_age > STS_MAX_AGE_MAX || p->n_mx > STS_POLICY_MAX_MX)
        abort();
    if (p->mode != STS_MODE_NONE && p->n_mx == 0)
        abort();
    for (size_t i = 0; i < p->n_mx; i++) {
        check_name(p->mx[i]);
        check_name(p->match[i]);
        const char *want = p->mx[i][0] == '*' ? p->mx[i] + 1 : p->mx[i];
        if (strcmp(want, p->match[i]) != 0)
            abort();
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->mx[i], p->mx[j]) == 0)
                abort();
    }
    for (size_t i = 0; i < p->n_lines; i++) {
        const char *l = p->lines[i];
        const char *colon = strchr(l, ':');
        if (colon == NULL || colon == l || colon[1] != ' ' || colon[2] == '\0' || colon[2] == ' ')
            abort();
        for (const unsigned char *c = (const unsigned char *)l; *c; c++)
            if (*c < 0x20 || *c == 0x7f || *c == '{' || *c == '}')
                abort();
    }
}

/* A stored mx is accepted only in the form domain_mx_pattern() gives it
 * (deserialize has a one-pass accept for plain names: it must agree). */
static void check_canonical_mx(const struct sts_policy *p)
{
    char pattern[DOMAIN_PATTERN_BUFSZ], match[DOMAIN_PATTERN_BUFSZ];

    for (size_t i = 0; i < p->n_mx; i++) {
        if (!domain_mx_pattern(p->mx[i], strlen(p->mx[i]), pattern, match))
            abort();
        if (strcmp(pattern, p->mx[i]) != 0 || strcmp(match, p->match[i]) != 0)
            abort();
    }
}

static void check_equal(const struct sts_policy *a, const struct sts_policy *b)
{
    if (a->mode != b->mode || a->max_age != b->max_age || a->n_mx != b->n_mx ||
        a->n_lines != b->n_lines)
        abort();
    for (size_t i = 0; i < a->n_mx; i++)
        if (strcmp(a->mx[i], b->mx[i]) != 0 || strcmp(a->match[i], b->match[i]) != 0)
            abort();
    for (size_t i = 0; i < a->n_lines; i++)
        if (strcmp(a->lines[i], b->lines[i]) != 0)
            abort();
}

/* Serialise p into a new buffer; *len gets its size. */
static unsigned char *serialise(const struct sts_policy *p, size_t *len)
{
    size_t need = sts_policy_serialize(p, NULL, 0);
    if (need == 0)
        abort();
    unsigned char *buf = malloc(need);
    if (buf == NULL)
        abort();
    if (sts_policy_serialize(p, buf, need) != need)
        abort();
    *len = need;
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sts_policy *p = NULL;
    char err[200];

    enum sts_policy_status st = sts_policy_parse((const char *)data, size, &p, err, sizeof(err));
    if (st == STS_POLICY_OK) {
        if (p == NULL || err[0] != '\0')
            abort();
        check_policy(p);
        size_t len, len2;
        unsigned char *buf = serialise(p, &len);
        struct sts_policy *q = sts_policy_deserialize(buf, len);
        if (q == NULL)
            abort();
        check_equal(p, q);
        unsigned char *buf2 = serialise(q, &len2);
        if (len2 != len || memcmp(buf, buf2, len) != 0)
            abort();
        free(buf);
        free(buf2);
        sts_policy_free(q);
        sts_policy_free(p);
    } else {
        if (p != NULL || err[0] == '\0')
            abort();
        for (const char *e = err; *e; e++)
            if (*e < 0x20 || *e > 0x7e)
                abort();
    }

    struct sts_policy *r = sts_policy_deserialize(data, size);
    if (r != NULL) {
        check_policy(r);
        check_canonical_mx(r);
        size_t len;
        unsigned char *buf = serialise(r, &len);
        if (len != size || memcmp(buf, data, size) != 0)
            abort();
        free(buf);
        sts_policy_free(r);
    }
    return 0;
}

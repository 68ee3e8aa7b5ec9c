/*
 * fuzz_tlsrpt - libFuzzer harness for src/tlsrpt.c (RFC 8460 record).
 *
 * The input is parsed whole with tlsrpt_parse(), then split at '\n' into
 * up to 8 records for tlsrpt_select().  Invariants checked:
 *   - tlsrpt_parse() says NONE exactly when the record does not begin
 *     with "v=TLSRPTv1" followed by ';', SP, HTAB or the end;
 *   - a failure always has a reason and no URI; success has no reason;
 *   - every URI of a valid record lies inside the record, starts with
 *     "mailto:" or "https://" (any case) as its scheme says, holds no
 *     byte a rua URI may not hold raw (',', ';', '!', blanks, controls,
 *     non-ASCII, '%' not followed by two hex digits), and "rua=" occurs
 *     in the record before the first one;
 *   - tlsrpt_select() agrees with counting the candidate records by hand
 *     and, for a single one, with tlsrpt_parse() of it.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tlsrpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_RRS 8

static int is_v1(const char *r, size_t n)
{
    if (n < 10 || memcmp(r, "v=TLSRPTv1", 10) != 0)
        return 0;
    return n == 10 || r[10] == ';' || r[10] == ' ' || r[10] == '\t';
}

static int is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static void check_uri(const char *rec, size_t len, const struct tlsrpt_uri *u)
{
    if (u->p < rec || u->len == 0 || u->len > len || u->p + u->len > rec + len)
        abort();
    if (u->scheme == TLSRPT_MAILTO) {
        if (u->len < 8 || strncasecmp(u->p, "mailto:", 7) != 0 || memchr(u->p, '@', u->len) == NULL)
            abort();
    } else if (u->scheme == TLSRPT_HTTPS) {
        if (u->len < 9 || strncasecmp(u->p, "https://", 8) != 0)
            abort();
    } else {
        abort();
    }
    for (size_t i = 0; i < u->len; i++) {
        unsigned char c = (unsigned char)u->p[i];
        if (c <= 0x20 || c >= 0x7f || c == ',' || c == ';' || c == '!' || c == '"' || c == '<' ||
            c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' || c == '}')
            abort();
        if (c == '%' && (i + 2 >= u->len || !is_hex((unsigned char)u->p[i + 1]) ||
                         !is_hex((unsigned char)u->p[i + 2])))
            abort();
    }
    /* "rua=" must come before the URI. */
    size_t off = (size_t)(u->p - rec);
    int seen = 0;
    for (size_t i = 0; i + 4 <= off; i++)
        if (memcmp(rec + i, "rua=", 4) == 0)
            seen = 1;
    if (!seen)
        abort();
}

static void check_parsed(const char *rec, size_t len, enum tlsrpt_status st, const struct tlsrpt *t,
                         const char *why)
{
    if (st == TLSRPT_OK) {
        if (why != NULL || t->n_rua == 0)
            abort();
        for (size_t i = 0; i < t->n_rua && i < TLSRPT_MAX_RUA; i++)
            check_uri(rec, len, &t->rua[i]);
    } else if (why == NULL || why[0] == '\0' || t->n_rua != 0) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    struct tlsrpt t;
    const char *why = NULL;

    enum tlsrpt_status st = tlsrpt_parse(in, size, &t, &why);
    if ((st == TLSRPT_NONE) != !is_v1(in, size))
        abort();
    if (st == TLSRPT_MULTIPLE)
        abort();
    check_parsed(in, size, st, &t, why);

    struct sts_txt_rr rrs[FUZZ_MAX_RRS];
    size_t n = 0, start = 0, candidates = 0, last = 0, index = 0;
    for (size_t i = 0; i <= size && n < FUZZ_MAX_RRS; i++) {
        if (i == size || in[i] == '\n') {
            rrs[n].data = in + start;
            rrs[n].len = i - start;
            if (is_v1(rrs[n].data, rrs[n].len)) {
                candidates++;
                last = n;
            }
            n++;
            start = i + 1;
        }
    }
    st = tlsrpt_select(rrs, n, &t, &index, &why);
    if (candidates == 0 && st != TLSRPT_NONE)
        abort();
    if (candidates > 1 && st != TLSRPT_MULTIPLE)
        abort();
    if (candidates == 1) {
        struct tlsrpt one;
        const char *why1 = NULL;
        enum tlsrpt_status st1 = tlsrpt_parse(rrs[last].data, rrs[last].len, &one, &why1);
        if (index != last)
            abort();
        if (st1 == TLSRPT_OK) {
            if (st != TLSRPT_OK || one.n_rua != t.n_rua)
                abort();
            check_parsed(rrs[last].data, rrs[last].len, st, &t, why);
        } else if (st != TLSRPT_INVALID) {
            abort();
        }
    }
    return 0;
}

/*
 * fuzz_sts_txt - libFuzzer harness for src/sts_txt.c.
 *
 * The input is parsed whole with sts_txt_parse(), then split at '\n' into
 * up to 8 records for sts_txt_select().  Invariants checked:
 *   - an accepted id is 1-32 letters/digits and appears in the record as
 *     "id=<id>" followed by a delimiter or the end;
 *   - sts_txt_parse() says NONE exactly when the record does not begin
 *     with "v=STSv1" followed by ';', SP, HTAB or the end;
 *   - sts_txt_select() agrees with counting those records by hand and,
 *     for a single one, with sts_txt_parse() of it.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sts_txt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_RRS 8

static int is_stsv1(const char *r, size_t n)
{
    if (n < 7 || memcmp(r, "v=STSv1", 7) != 0)
        return 0;
    return n == 7 || r[7] == ';' || r[7] == ' ' || r[7] == '\t';
}

static void check_id(const char *rec, size_t len, const struct sts_txt *t)
{
    size_t n = strlen(t->id);
    if (n == 0 || n > STS_ID_MAX)
        abort();
    for (size_t i = 0; i < n; i++) {
        char c = t->id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            abort();
    }
    /* Look for "id=<id>" followed by ';', WSP or the end. */
    for (size_t i = 0; i + 3 + n <= len; i++) {
        if (memcmp(rec + i, "id=", 3) != 0 || memcmp(rec + i + 3, t->id, n) != 0)
            continue;
        size_t e = i + 3 + n;
        if (e == len || rec[e] == ';' || rec[e] == ' ' || rec[e] == '\t')
            return;
    }
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    struct sts_txt t;

    enum sts_txt_status st = sts_txt_parse(in, size, &t);
    if ((st == STS_TXT_NONE) != !is_stsv1(in, size))
        abort();
    if (st == STS_TXT_MULTIPLE)
        abort();
    if (st == STS_TXT_OK)
        check_id(in, size, &t);
    else if (t.id[0] != '\0')
        abort();

    struct sts_txt_rr rrs[FUZZ_MAX_RRS];
    size_t n = 0, start = 0, candidates = 0, last = 0;
    for (size_t i = 0; i <= size && n < FUZZ_MAX_RRS; i++) {
        if (i == size || in[i] == '\n') {
            rrs[n].data = in + start;
            rrs[n].len = i - start;
            if (is_stsv1(rrs[n].data, rrs[n].len)) {
                candidates++;
                last = n;
            }
            n++;
            start = i + 1;
        }
    }
    st = sts_txt_select(rrs, n, &t);
    if (candidates == 0 && st != STS_TXT_NONE)
        abort();
    if (candidates > 1 && st != STS_TXT_MULTIPLE)
        abort();
    if (candidates == 1) {
        struct sts_txt one;
        enum sts_txt_status st1 = sts_txt_parse(rrs[last].data, rrs[last].len, &one);
        if (st1 == STS_TXT_OK) {
            if (st != STS_TXT_OK || strcmp(one.id, t.id) != 0)
                abort();
            check_id(rrs[last].data, rrs[last].len, &t);
        } else if (st != STS_TXT_INVALID) {
            abort();
        }
    }
    return 0;
}

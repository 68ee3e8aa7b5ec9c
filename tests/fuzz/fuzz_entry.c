/*
 * fuzz_entry - libFuzzer harness for entry_decode() (and, through it,
 * sts_policy_deserialize()).
 *
 * Invariants checked beyond "no crash":
 *   - a refused record leaves the entry untouched;
 *   - an accepted record satisfies what decode promises (ids empty or
 *     1-32 letters/digits, times in [0, ENTRY_TIME_MAX], fetched_at <=
 *     expires_at);
 *   - it re-encodes to exactly the input bytes (the format has one form),
 *     and decoding that again gives the same fields.
 * A violated invariant aborts, which libFuzzer and the replay driver both
 * report as a crash.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool id_ok(const char *id)
{
    size_t n = strlen(id);
    if (n > STS_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return false;
    }
    return true;
}

static bool time_ok(int64_t t)
{
    return t >= 0 && t <= ENTRY_TIME_MAX;
}

static bool same_policy(const struct sts_policy *a, const struct sts_policy *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    if (a->mode != b->mode || a->max_age != b->max_age || a->n_mx != b->n_mx ||
        a->n_lines != b->n_lines)
        return false;
    for (size_t i = 0; i < a->n_mx; i++)
        if (strcmp(a->mx[i], b->mx[i]) != 0 || strcmp(a->match[i], b->match[i]) != 0)
            return false;
    for (size_t i = 0; i < a->n_lines; i++)
        if (strcmp(a->lines[i], b->lines[i]) != 0)
            return false;
    return true;
}

static bool same_entry(const struct entry *a, const struct entry *b)
{
    return strcmp(a->id, b->id) == 0 && a->fetched_at == b->fetched_at &&
           a->expires_at == b->expires_at && a->checked_at == b->checked_at &&
           a->refresh_at == b->refresh_at && a->negative_until == b->negative_until &&
           strcmp(a->fail_id, b->fail_id) == 0 && a->fail_at == b->fail_at &&
           a->fail_class == b->fail_class && a->fail_count == b->fail_count &&
           same_policy(a->policy, b->policy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct entry e, d;
    entry_init(&e);
    strcpy(e.id, "sentinel");
    e.checked_at = 7;

    if (!entry_decode(data, size, &e)) {
        if (e.policy != NULL || strcmp(e.id, "sentinel") != 0 || e.checked_at != 7)
            abort(); /* a refused record changed the entry */
        return 0;
    }

    if (!id_ok(e.id) || !id_ok(e.fail_id))
        abort();
    if (!time_ok(e.fetched_at) || !time_ok(e.expires_at) || !time_ok(e.checked_at) ||
        !time_ok(e.refresh_at) || !time_ok(e.negative_until) || !time_ok(e.fail_at) ||
        e.expires_at < e.fetched_at)
        abort();

    size_t need = entry_encode(&e, NULL, 0);
    if (need != size)
        abort(); /* one form: the size must match */
    unsigned char *out = malloc(need);
    if (out == NULL)
        abort();
    if (entry_encode(&e, out, need) != need || memcmp(out, data, size) != 0)
        abort();

    entry_init(&d);
    if (!entry_decode(out, need, &d) || !same_entry(&e, &d))
        abort();

    free(out);
    entry_clear(&d);
    entry_clear(&e);
    return 0;
}

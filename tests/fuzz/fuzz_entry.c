/*
 * fuzz_entry - libFuzzer harness for entry_decode() (and, through it,
 * sts_policy_deserialize()).
 *
 * Invariants checked beyond "no crash":
 *   - a refused record leaves the entry untouched;
 *   - an accepted record satisfies what decode promises (ids empty or
 *     1-32 letters/digits, times in [0, ENTRY_TIME_MAX], fetched_at <=
 *     expires_at);
 *   - its DANE slots hold together (port, kinds, result and its times,
 *     usable <= hosts, at most ENTRY_DANE_MAX, distinct next hops);
 *   - it re-encodes to exactly the input bytes (the format has one form;
 *     a version 1 record, which has no DANE part, to its version 2 form:
 *     version byte 2 and a count of 0 slots appended), and decoding that
 *     again gives the same fields.
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

static bool dane_ok(const struct entry *e)
{
    if (e->n_dane > ENTRY_DANE_MAX)
        return false;
    for (size_t i = 0; i < e->n_dane; i++) {
        const struct entry_dane *d = &e->dane[i];
        if (d->port == 0 || d->mx > 1 || d->result > ENTRY_DANE_ONLY || d->usable > d->hosts ||
            !time_ok(d->checked_at) || !time_ok(d->expires_at) || !time_ok(d->fail_at))
            return false;
        if (d->result == ENTRY_DANE_UNKNOWN && (d->checked_at != 0 || d->expires_at != 0))
            return false;
        if (d->result != ENTRY_DANE_UNKNOWN &&
            (d->checked_at == 0 || d->expires_at < d->checked_at ||
             d->expires_at - d->checked_at > ENTRY_DANE_LIFE_MAX))
            return false;
        if ((d->result == ENTRY_DANE_ONLY) != (d->usable > 0))
            return false;
        for (size_t k = 0; k < i; k++)
            if (e->dane[k].mx == d->mx && e->dane[k].port == d->port)
                return false;
    }
    return true;
}

static bool same_entry(const struct entry *a, const struct entry *b)
{
    return strcmp(a->id, b->id) == 0 && a->fetched_at == b->fetched_at &&
           a->expires_at == b->expires_at && a->checked_at == b->checked_at &&
           a->refresh_at == b->refresh_at && a->negative_until == b->negative_until &&
           strcmp(a->fail_id, b->fail_id) == 0 && a->fail_at == b->fail_at &&
           a->fail_class == b->fail_class && a->fail_count == b->fail_count &&
           same_policy(a->policy, b->policy) && a->n_dane == b->n_dane &&
           memcmp(a->dane, b->dane, sizeof(a->dane[0]) * a->n_dane) == 0;
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
        e.expires_at < e.fetched_at || !dane_ok(&e))
        abort();

    /* A version 1 record comes back in its version 2 form. */
    bool v1 = data[0] == ENTRY_VERSION_V1;
    if (v1 && e.n_dane != 0)
        abort();
    size_t need = entry_encode(&e, NULL, 0);
    if (need != size + (v1 ? 1 : 0))
        abort(); /* one form: the size must match */
    unsigned char *out = malloc(need);
    if (out == NULL)
        abort();
    if (entry_encode(&e, out, need) != need || out[0] != ENTRY_VERSION ||
        memcmp(out + 1, data + 1, size - 1) != 0 || (v1 && out[size] != 0))
        abort();

    entry_init(&d);
    if (!entry_decode(out, need, &d) || !same_entry(&e, &d))
        abort();

    free(out);
    entry_clear(&d);
    entry_clear(&e);
    return 0;
}

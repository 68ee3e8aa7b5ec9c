/*
 * entry - one policy domain's cache record and its versioned encoding.
 *
 * Public functions: entry_init(), entry_clear(), entry_set_policy(),
 * entry_refresh_failing(), entry_dane_find(), entry_dane_add(),
 * entry_dane_copy(), entry_encode(), entry_decode().  See entry.h for the
 * fields.
 *
 * Ownership: an entry owns its policy (freed by entry_clear() and
 * entry_set_policy()); entry_decode() gives the entry a newly
 * deserialised policy and frees the one it held.
 *
 * Record layout (version ENTRY_VERSION), all integers little-endian,
 * written byte by byte (never a struct image):
 *
 *   u8   version
 *   u8   id length (0-32), then that many letters/digits
 *   i64  fetched_at, expires_at, checked_at, refresh_at, negative_until
 *   u8   fail_id length (0-32), then that many letters/digits
 *   i64  fail_at
 *   u16  fail_class, fail_count
 *   u32  policy blob length (0: no policy), then sts_policy_serialize()
 *   u8   number of DANE slots (0-ENTRY_DANE_MAX), then for each:
 *        u16 port, u8 mx, u8 result, u8 hosts, u8 usable, u16 fail_count,
 *        i64 checked_at, expires_at, fail_at
 *
 * Version 1 (mtastsd before DANE) is the same without the DANE part; it
 * is read as an entry with no DANE slot and written back as version 2.
 *
 * Limits and validation (both directions, one function): ids are empty or
 * 1-STS_ID_MAX ASCII letters/digits; every time is in
 * [0, ENTRY_TIME_MAX]; fetched_at <= expires_at <= fetched_at +
 * STS_MAX_AGE_MAX; DANE slots as entry.h lists.  entry_decode() also
 * rejects another version, a short record, trailing bytes and a blob that
 * sts_policy_deserialize() refuses.
 * entry_encode() returns 0 for an entry that would not decode, so that a
 * bug elsewhere cannot store an unreadable record.
 *
 * Diagnostics: none; a false/0 return is the caller's to log.  Pure: no
 * I/O.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "entry.h"

/* Bytes of the record besides the ids, the policy blob and the DANE
 * slots; then the bytes of one DANE slot. */
#define ENTRY_FIXED_LEN     (1 + 1 + 5 * 8 + 1 + 8 + 2 + 2 + 4 + 1)
#define ENTRY_DANE_SLOT_LEN (2 + 1 + 1 + 1 + 1 + 2 + 3 * 8)

void entry_init(struct entry *e)
{
    memset(e, 0, sizeof(*e));
    e->policy = NULL;
}

void entry_clear(struct entry *e)
{
    if (e->policy != NULL)
        sts_policy_free(e->policy);
    entry_init(e);
}

void entry_set_policy(struct entry *e, struct sts_policy *p)
{
    if (e->policy != NULL && e->policy != p)
        sts_policy_free(e->policy);
    e->policy = p;
}

bool entry_refresh_failing(const struct entry *e)
{
    return e->policy != NULL && e->policy->mode != STS_MODE_NONE && e->negative_until == 0 &&
           e->fail_count >= 2;
}

struct entry_dane *entry_dane_find(struct entry *e, bool mx, uint16_t port)
{
    for (size_t i = 0; i < e->n_dane && i < ENTRY_DANE_MAX; i++)
        if (e->dane[i].mx == (uint8_t)mx && e->dane[i].port == port)
            return &e->dane[i];
    return NULL;
}

static int64_t entry_dane_last(const struct entry_dane *d)
{
    return d->checked_at > d->fail_at ? d->checked_at : d->fail_at;
}

struct entry_dane *entry_dane_add(struct entry *e, bool mx, uint16_t port)
{
    struct entry_dane *d = entry_dane_find(e, mx, port);
    if (d != NULL)
        return d;
    if (e->n_dane < ENTRY_DANE_MAX) {
        d = &e->dane[e->n_dane++];
    } else {
        d = &e->dane[0];
        for (size_t i = 1; i < ENTRY_DANE_MAX; i++)
            if (entry_dane_last(&e->dane[i]) < entry_dane_last(d))
                d = &e->dane[i];
    }
    memset(d, 0, sizeof(*d));
    d->mx = (uint8_t)mx;
    d->port = port;
    return d;
}

void entry_dane_copy(struct entry *dst, const struct entry *src)
{
    dst->n_dane = src->n_dane <= ENTRY_DANE_MAX ? src->n_dane : ENTRY_DANE_MAX;
    memcpy(dst->dane, src->dane, sizeof(dst->dane));
}

/* Letters and digits, ASCII only (no locale). */
static bool entry_id_char(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool entry_id_valid(const char *id, size_t len)
{
    if (len > STS_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!entry_id_char((unsigned char)id[i]))
            return false;
    return true;
}

/* Length of a NUL-terminated id held in a char[STS_ID_MAX + 1], or
 * SIZE_MAX if the array holds no terminator. */
static size_t entry_id_len(const char *id)
{
    for (size_t i = 0; i <= STS_ID_MAX; i++)
        if (id[i] == '\0')
            return i;
    return SIZE_MAX;
}

static bool entry_time_valid(int64_t t)
{
    return t >= 0 && t <= ENTRY_TIME_MAX;
}

static bool entry_dane_valid(const struct entry_dane *d)
{
    if (d->port == 0 || d->mx > 1 || d->result > ENTRY_DANE_ONLY || d->usable > d->hosts)
        return false;
    if (!entry_time_valid(d->checked_at) || !entry_time_valid(d->expires_at) ||
        !entry_time_valid(d->fail_at))
        return false;
    switch (d->result) {
    case ENTRY_DANE_UNKNOWN:
        return d->checked_at == 0 && d->expires_at == 0 && d->hosts == 0;
    case ENTRY_DANE_ONLY:
        if (d->usable == 0)
            return false;
        break;
    default:
        if (d->usable != 0)
            return false;
        break;
    }
    return d->checked_at > 0 && d->expires_at >= d->checked_at &&
           d->expires_at - d->checked_at <= ENTRY_DANE_LIFE_MAX;
}

static bool entry_danes_valid(const struct entry *e)
{
    if (e->n_dane > ENTRY_DANE_MAX)
        return false;
    for (size_t i = 0; i < e->n_dane; i++) {
        if (!entry_dane_valid(&e->dane[i]))
            return false;
        for (size_t k = 0; k < i; k++)
            if (e->dane[k].mx == e->dane[i].mx && e->dane[k].port == e->dane[i].port)
                return false;
    }
    return true;
}

/* The rules both entry_encode() and entry_decode() enforce. */
static bool entry_fields_valid(const struct entry *e)
{
    size_t id_len = entry_id_len(e->id);
    size_t fail_len = entry_id_len(e->fail_id);
    if (id_len == SIZE_MAX || !entry_id_valid(e->id, id_len))
        return false;
    if (fail_len == SIZE_MAX || !entry_id_valid(e->fail_id, fail_len))
        return false;
    if (!entry_time_valid(e->fetched_at) || !entry_time_valid(e->expires_at) ||
        !entry_time_valid(e->checked_at) || !entry_time_valid(e->refresh_at) ||
        !entry_time_valid(e->negative_until) || !entry_time_valid(e->fail_at))
        return false;
    if (e->expires_at < e->fetched_at || e->expires_at - e->fetched_at > STS_MAX_AGE_MAX)
        return false;
    return entry_danes_valid(e);
}

static void entry_put_u8(unsigned char *out, size_t *pos, uint8_t v)
{
    out[(*pos)++] = v;
}

static void entry_put_u16(unsigned char *out, size_t *pos, uint16_t v)
{
    out[(*pos)++] = (unsigned char)(v & 0xff);
    out[(*pos)++] = (unsigned char)(v >> 8);
}

static void entry_put_u32(unsigned char *out, size_t *pos, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        out[(*pos)++] = (unsigned char)((v >> (8 * i)) & 0xff);
}

static void entry_put_i64(unsigned char *out, size_t *pos, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++)
        out[(*pos)++] = (unsigned char)((u >> (8 * i)) & 0xff);
}

static void entry_put_id(unsigned char *out, size_t *pos, const char *id, size_t len)
{
    entry_put_u8(out, pos, (uint8_t)len);
    memcpy(out + *pos, id, len);
    *pos += len;
}

size_t entry_encode(const struct entry *e, unsigned char *out, size_t outsz)
{
    if (!entry_fields_valid(e))
        return 0;
    size_t id_len = entry_id_len(e->id);
    size_t fail_len = entry_id_len(e->fail_id);
    size_t blob_len = 0;
    if (e->policy != NULL) {
        blob_len = sts_policy_serialize(e->policy, NULL, 0);
        if (blob_len == 0 || blob_len > UINT32_MAX)
            return 0;
    }
    size_t need = ENTRY_FIXED_LEN + id_len + fail_len + blob_len + e->n_dane * ENTRY_DANE_SLOT_LEN;
    if (out == NULL || need > outsz)
        return need;

    size_t pos = 0;
    entry_put_u8(out, &pos, ENTRY_VERSION);
    entry_put_id(out, &pos, e->id, id_len);
    entry_put_i64(out, &pos, e->fetched_at);
    entry_put_i64(out, &pos, e->expires_at);
    entry_put_i64(out, &pos, e->checked_at);
    entry_put_i64(out, &pos, e->refresh_at);
    entry_put_i64(out, &pos, e->negative_until);
    entry_put_id(out, &pos, e->fail_id, fail_len);
    entry_put_i64(out, &pos, e->fail_at);
    entry_put_u16(out, &pos, e->fail_class);
    entry_put_u16(out, &pos, e->fail_count);
    entry_put_u32(out, &pos, (uint32_t)blob_len);
    if (blob_len > 0 && sts_policy_serialize(e->policy, out + pos, outsz - pos) != blob_len)
        return 0; /* the policy changed its mind about its size */
    pos += blob_len;
    entry_put_u8(out, &pos, e->n_dane);
    for (size_t i = 0; i < e->n_dane; i++) {
        const struct entry_dane *d = &e->dane[i];
        entry_put_u16(out, &pos, d->port);
        entry_put_u8(out, &pos, d->mx);
        entry_put_u8(out, &pos, d->result);
        entry_put_u8(out, &pos, d->hosts);
        entry_put_u8(out, &pos, d->usable);
        entry_put_u16(out, &pos, d->fail_count);
        entry_put_i64(out, &pos, d->checked_at);
        entry_put_i64(out, &pos, d->expires_at);
        entry_put_i64(out, &pos, d->fail_at);
    }
    return pos;
}

/* A bounds-checked reader: every get fails once the input is exhausted. */
struct entry_reader {
    const unsigned char *in;
    size_t len;
    size_t pos;
};

static bool entry_get(struct entry_reader *r, size_t n, const unsigned char **p)
{
    if (r->len - r->pos < n)
        return false;
    *p = r->in + r->pos;
    r->pos += n;
    return true;
}

static bool entry_get_u8(struct entry_reader *r, uint8_t *v)
{
    const unsigned char *p;
    if (!entry_get(r, 1, &p))
        return false;
    *v = p[0];
    return true;
}

static bool entry_get_u16(struct entry_reader *r, uint16_t *v)
{
    const unsigned char *p;
    if (!entry_get(r, 2, &p))
        return false;
    *v = (uint16_t)(p[0] | (p[1] << 8));
    return true;
}

static bool entry_get_u32(struct entry_reader *r, uint32_t *v)
{
    const unsigned char *p;
    if (!entry_get(r, 4, &p))
        return false;
    uint32_t u = 0;
    for (int i = 3; i >= 0; i--)
        u = (u << 8) | p[i];
    *v = u;
    return true;
}

static bool entry_get_i64(struct entry_reader *r, int64_t *v)
{
    const unsigned char *p;
    if (!entry_get(r, 8, &p))
        return false;
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--)
        u = (u << 8) | p[i];
    /* Values above INT64_MAX are negative in two's complement; all
     * negative times are rejected later, so map them to -1 without
     * implementation-defined conversion. */
    *v = u > (uint64_t)INT64_MAX ? -1 : (int64_t)u;
    return true;
}

static bool entry_get_id(struct entry_reader *r, char id[STS_ID_MAX + 1])
{
    uint8_t n;
    const unsigned char *p;
    if (!entry_get_u8(r, &n) || !entry_get(r, n, &p))
        return false;
    if (!entry_id_valid((const char *)p, n))
        return false;
    memcpy(id, p, n);
    id[n] = '\0';
    return true;
}

bool entry_decode(const unsigned char *in, size_t len, struct entry *e)
{
    if (in == NULL)
        return false;
    struct entry_reader r = {in, len, 0};
    struct entry tmp;
    entry_init(&tmp);
    uint8_t version;
    uint32_t blob_len;
    const unsigned char *blob = NULL;

    if (!entry_get_u8(&r, &version) || (version != ENTRY_VERSION && version != ENTRY_VERSION_V1))
        return false;
    if (!entry_get_id(&r, tmp.id) || !entry_get_i64(&r, &tmp.fetched_at) ||
        !entry_get_i64(&r, &tmp.expires_at) || !entry_get_i64(&r, &tmp.checked_at) ||
        !entry_get_i64(&r, &tmp.refresh_at) || !entry_get_i64(&r, &tmp.negative_until) ||
        !entry_get_id(&r, tmp.fail_id) || !entry_get_i64(&r, &tmp.fail_at) ||
        !entry_get_u16(&r, &tmp.fail_class) || !entry_get_u16(&r, &tmp.fail_count) ||
        !entry_get_u32(&r, &blob_len))
        return false;
    if (blob_len > 0 && !entry_get(&r, blob_len, &blob))
        return false;
    if (version != ENTRY_VERSION_V1) {
        if (!entry_get_u8(&r, &tmp.n_dane) || tmp.n_dane > ENTRY_DANE_MAX)
            return false;
        for (size_t i = 0; i < tmp.n_dane; i++) {
            struct entry_dane *d = &tmp.dane[i];
            if (!entry_get_u16(&r, &d->port) || !entry_get_u8(&r, &d->mx) ||
                !entry_get_u8(&r, &d->result) || !entry_get_u8(&r, &d->hosts) ||
                !entry_get_u8(&r, &d->usable) || !entry_get_u16(&r, &d->fail_count) ||
                !entry_get_i64(&r, &d->checked_at) || !entry_get_i64(&r, &d->expires_at) ||
                !entry_get_i64(&r, &d->fail_at))
                return false;
        }
    }
    if (r.pos != r.len)
        return false; /* trailing bytes */
    if (!entry_fields_valid(&tmp))
        return false;
    if (blob_len > 0) {
        tmp.policy = sts_policy_deserialize(blob, blob_len);
        if (tmp.policy == NULL)
            return false;
    }
    entry_set_policy(e, NULL);
    *e = tmp;
    return true;
}

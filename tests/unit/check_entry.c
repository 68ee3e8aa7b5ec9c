/*
 * check_entry - unit tests for src/entry.c (cache record and encoding).
 *
 * The record layout is written down a second time here, by a test-side
 * writer (raw_build) that takes every field as raw bytes and integers.
 * That gives three kinds of rows:
 *   - round trips: entries built through the API encode, decode to the
 *     same fields, re-encode to the same bytes, and match raw_build's
 *     bytes for the same values (so the layout is pinned, not only
 *     self-consistent);
 *   - hostile records: raw_build with one field made wrong per row
 *     (version, id length and bytes, times, blob length and content,
 *     trailing bytes); each must be refused and leave the entry alone;
 *   - encode refusals: entries that would not decode encode to 0.
 * Every prefix of a valid record is refused as well.  The policy blob is
 * sts_policy's, so this binary links sts_policy.c and domain.c.
 *
 * Version 2 added the DANE slots (issue 12): they round-trip, each field
 * is checked on decode and encode, and version 1 records -- the layout
 * without them -- still decode, among them records written by mtastsd
 * before DANE (test_v1_written_by_0_1_0: bytes as that daemon stored them
 * in LMDB, taken with mdb_dump).
 */
#include "autoconfig.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"

#define T INT64_C(1700000000)

static const char enforce_body[] = "version: STSv1\nmode: enforce\nmx: mail.example.com\n"
                                   "mx: *.example.net\nmax_age: 604800\n";
static const char testing_body[] = "version: STSv1\r\nmode: testing\r\nmx: mx1.example.org\r\n"
                                   "max_age: 86400\r\next_key: some value\r\n";
static const char none_body[] = "version: STSv1\nmode: none\nmax_age: 31557600\n";

static struct sts_policy *parse(const char *body)
{
    struct sts_policy *p = NULL;
    char err[256];
    enum sts_policy_status st = sts_policy_parse(body, strlen(body), &p, err, sizeof(err));
    ck_assert_msg(st == STS_POLICY_OK, "test policy does not parse: %s", err);
    ck_assert_ptr_nonnull(p);
    return p;
}

static bool policies_equal(const struct sts_policy *a, const struct sts_policy *b)
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

static void assert_entries_equal(const struct entry *a, const struct entry *b, const char *name)
{
    ck_assert_msg(strcmp(a->id, b->id) == 0, "%s: id", name);
    ck_assert_msg(a->fetched_at == b->fetched_at, "%s: fetched_at", name);
    ck_assert_msg(a->expires_at == b->expires_at, "%s: expires_at", name);
    ck_assert_msg(a->checked_at == b->checked_at, "%s: checked_at", name);
    ck_assert_msg(a->refresh_at == b->refresh_at, "%s: refresh_at", name);
    ck_assert_msg(a->negative_until == b->negative_until, "%s: negative_until", name);
    ck_assert_msg(strcmp(a->fail_id, b->fail_id) == 0, "%s: fail_id", name);
    ck_assert_msg(a->fail_at == b->fail_at, "%s: fail_at", name);
    ck_assert_msg(a->fail_class == b->fail_class, "%s: fail_class", name);
    ck_assert_msg(a->fail_count == b->fail_count, "%s: fail_count", name);
    ck_assert_msg(policies_equal(a->policy, b->policy), "%s: policy", name);
    ck_assert_msg(a->n_dane == b->n_dane, "%s: n_dane", name);
    for (size_t i = 0; i < a->n_dane; i++)
        ck_assert_msg(memcmp(&a->dane[i], &b->dane[i], sizeof(a->dane[i])) == 0, "%s: dane[%zu]",
                      name, i);
}

/* ---- the test-side writer -------------------------------------------- */

struct raw_dane {
    uint64_t port, mx, result, hosts, usable, fail_count; /* written as u16/u8 */
    uint64_t checked_at, expires_at, fail_at;
};

struct raw {
    uint8_t version; /* 1: no DANE part */
    char id[64];
    size_t id_len;
    uint64_t times[5]; /* fetched, expires, checked, refresh, negative_until */
    char fail_id[64];
    size_t fail_len;
    uint64_t fail_at;
    uint16_t fail_class, fail_count;
    const unsigned char *blob;
    size_t blob_len;
    int64_t blob_len_delta; /* added to the declared length only */
    size_t blob_flip;       /* xor 0xff into blob[blob_flip - 1] when non-zero */
    size_t trailing;        /* extra bytes after the record */
    int n_dane_decl;        /* the declared count; -1: n_dane */
    size_t n_dane;
    struct raw_dane dane[ENTRY_DANE_MAX + 2];
};

static void raw_put(unsigned char *out, size_t *pos, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        out[(*pos)++] = (unsigned char)(v >> (8 * i));
}

static size_t raw_build(const struct raw *r, unsigned char *out)
{
    size_t pos = 0;
    out[pos++] = r->version;
    out[pos++] = (unsigned char)r->id_len;
    memcpy(out + pos, r->id, r->id_len);
    pos += r->id_len;
    for (int i = 0; i < 5; i++)
        raw_put(out, &pos, r->times[i], 8);
    out[pos++] = (unsigned char)r->fail_len;
    memcpy(out + pos, r->fail_id, r->fail_len);
    pos += r->fail_len;
    raw_put(out, &pos, r->fail_at, 8);
    raw_put(out, &pos, r->fail_class, 2);
    raw_put(out, &pos, r->fail_count, 2);
    raw_put(out, &pos, (uint32_t)((int64_t)r->blob_len + r->blob_len_delta), 4);
    if (r->blob_len > 0)
        memcpy(out + pos, r->blob, r->blob_len);
    if (r->blob_flip > 0)
        out[pos + r->blob_flip - 1] ^= 0xff;
    pos += r->blob_len;
    if (r->version != 1) {
        out[pos++] = (unsigned char)(r->n_dane_decl >= 0 ? (size_t)r->n_dane_decl : r->n_dane);
        for (size_t i = 0; i < r->n_dane; i++) {
            const struct raw_dane *d = &r->dane[i];
            raw_put(out, &pos, d->port, 2);
            raw_put(out, &pos, d->mx, 1);
            raw_put(out, &pos, d->result, 1);
            raw_put(out, &pos, d->hosts, 1);
            raw_put(out, &pos, d->usable, 1);
            raw_put(out, &pos, d->fail_count, 2);
            raw_put(out, &pos, d->checked_at, 8);
            raw_put(out, &pos, d->expires_at, 8);
            raw_put(out, &pos, d->fail_at, 8);
        }
    }
    memset(out + pos, 'x', r->trailing);
    pos += r->trailing;
    return pos;
}

static unsigned char enforce_blob[4096];
static size_t enforce_blob_len;

static void setup(void)
{
    struct sts_policy *p = parse(enforce_body);
    enforce_blob_len = sts_policy_serialize(p, enforce_blob, sizeof(enforce_blob));
    ck_assert_uint_gt(enforce_blob_len, 0);
    ck_assert_uint_le(enforce_blob_len, sizeof(enforce_blob));
    sts_policy_free(p);
}

/* The base raw record: an enforce policy "abc" with a failure of "def",
 * and one DANE slot: the MX hosts at port 25, dane-only (1 of 2 hosts),
 * checked at T + 30 for 3600 s, one failed check since. */
static void raw_base(struct raw *r)
{
    memset(r, 0, sizeof(*r));
    r->version = ENTRY_VERSION;
    r->n_dane_decl = -1;
    r->n_dane = 1;
    r->dane[0] = (struct raw_dane){.port = 25,
                                   .mx = 1,
                                   .result = ENTRY_DANE_ONLY,
                                   .hosts = 2,
                                   .usable = 1,
                                   .fail_count = 1,
                                   .checked_at = (uint64_t)(T + 30),
                                   .expires_at = (uint64_t)(T + 3630),
                                   .fail_at = (uint64_t)(T + 40)};
    strcpy(r->id, "abc");
    r->id_len = 3;
    r->times[0] = (uint64_t)T;
    r->times[1] = (uint64_t)(T + 604800);
    r->times[2] = (uint64_t)(T + 10);
    r->times[3] = (uint64_t)(T + 80000);
    r->times[4] = 0;
    strcpy(r->fail_id, "def");
    r->fail_len = 3;
    r->fail_at = (uint64_t)(T + 20);
    r->fail_class = 3;
    r->fail_count = 2;
    r->blob = enforce_blob;
    r->blob_len = enforce_blob_len;
}

/* The entry that raw_base() describes. */
static void entry_base(struct entry *e)
{
    entry_init(e);
    entry_set_policy(e, parse(enforce_body));
    strcpy(e->id, "abc");
    e->fetched_at = T;
    e->expires_at = T + 604800;
    e->checked_at = T + 10;
    e->refresh_at = T + 80000;
    strcpy(e->fail_id, "def");
    e->fail_at = T + 20;
    e->fail_class = 3;
    e->fail_count = 2;
    struct entry_dane *d = entry_dane_add(e, true, 25);
    d->result = ENTRY_DANE_ONLY;
    d->hosts = 2;
    d->usable = 1;
    d->fail_count = 1;
    d->checked_at = T + 30;
    d->expires_at = T + 3630;
    d->fail_at = T + 40;
}

/* ---- init / clear / set_policy --------------------------------------- */

START_TEST(test_init_clear)
{
    struct entry e;
    memset(&e, 0x5a, sizeof(e));
    entry_init(&e);
    ck_assert_ptr_null(e.policy);
    ck_assert_str_eq(e.id, "");
    ck_assert_str_eq(e.fail_id, "");
    ck_assert_int_eq(e.fetched_at, 0);
    ck_assert_int_eq(e.negative_until, 0);
    ck_assert_int_eq(e.fail_count, 0);

    entry_base(&e);
    ck_assert_ptr_nonnull(e.policy);
    entry_clear(&e); /* ASan reports a leak if the policy is not freed */
    ck_assert_ptr_null(e.policy);
    ck_assert_str_eq(e.id, "");
    ck_assert_int_eq(e.expires_at, 0);
    ck_assert_int_eq(e.fail_at, 0);
    entry_clear(&e); /* clearing twice is harmless */
    ck_assert_ptr_null(e.policy);
}
END_TEST

START_TEST(test_set_policy)
{
    struct entry e;
    entry_init(&e);
    struct sts_policy *a = parse(enforce_body), *b = parse(none_body);
    entry_set_policy(&e, a);
    ck_assert_ptr_eq(e.policy, a);
    entry_set_policy(&e, a); /* the same policy again: not freed */
    ck_assert_ptr_eq(e.policy, a);
    ck_assert_uint_eq(e.policy->n_mx, 2);
    entry_set_policy(&e, b); /* a is freed (ASan would report a leak) */
    ck_assert_ptr_eq(e.policy, b);
    entry_set_policy(&e, NULL); /* b is freed */
    ck_assert_ptr_null(e.policy);
    entry_clear(&e);
}
END_TEST

/* ---- round trips ----------------------------------------------------- */

enum policy_kind { POL_NONE, POL_ENFORCE, POL_TESTING, POL_MODE_NONE };

struct trip_row {
    const char *name;
    enum policy_kind policy;
    const char *id;
    int64_t fetched_at, expires_at, checked_at, refresh_at, negative_until;
    const char *fail_id;
    int64_t fail_at;
    uint16_t fail_class, fail_count;
};

#define ID32 "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6"

static const struct trip_row trip_rows[] = {
    {"empty entry", POL_NONE, "", 0, 0, 0, 0, 0, "", 0, 0, 0},
    {"negative entry", POL_NONE, "", 0, 0, T, 0, T + 1800, "", 0, 0, 0},
    {"enforce policy", POL_ENFORCE, "abc", T, T + 604800, T, T + 80000, 0, "", 0, 0, 0},
    {"testing policy, CRLF body", POL_TESTING, "20240101", T, T + 86400, T + 5, T + 40000, 0, "", 0,
     0, 0},
    {"mode none policy", POL_MODE_NONE, "x", T, T + 31557600, T, T + 86400, 0, "", 0, 0, 0},
    {"policy and failure", POL_ENFORCE, "abc", T, T + 604800, T + 10, T + 80000, 0, "def", T + 20,
     3, 2},
    {"failure without policy", POL_NONE, "", 0, 0, T, 0, 0, "def", T, 5, 1},
    {"32-character ids", POL_ENFORCE, ID32, T, T + 1, T, T, 0, ID32, T, 1, 1},
    {"1-character ids", POL_ENFORCE, "0", T, T + 1, T, T, 0, "Z", T, 1, 1},
    {"u16 maxima", POL_NONE, "", 0, 0, 0, 0, 0, "q", T, UINT16_MAX, UINT16_MAX},
    {"all times at the maximum", POL_ENFORCE, "abc", ENTRY_TIME_MAX, ENTRY_TIME_MAX, ENTRY_TIME_MAX,
     ENTRY_TIME_MAX, ENTRY_TIME_MAX, "abc", ENTRY_TIME_MAX, 1, 1},
    {"expires == fetched", POL_ENFORCE, "abc", T, T, T, T, 0, "", 0, 0, 0},
    {"expires == fetched + one year", POL_MODE_NONE, "abc", T, T + 31557600, T, T, 0, "", 0, 0, 0},
    {"expired policy kept with negative", POL_ENFORCE, "abc", 1, 2, 3, 4, 5, "abc", 6, 7, 8},
    {"bytes 0x80-0xff in times", POL_NONE, "", INT64_C(0x0000000080ff80ff),
     INT64_C(0x0000000080ff80ff), INT64_C(0x00000000ffffffff), INT64_C(0x000000007f7f7f7f),
     INT64_C(0x0000000100000000), "", INT64_C(0x00000000deadbeef), 0x80ff, 0xff80},
};

static void trip_entry(struct entry *e, const struct trip_row *r)
{
    entry_init(e);
    static const char *const bodies[] = {NULL, enforce_body, testing_body, none_body};
    if (r->policy != POL_NONE)
        entry_set_policy(e, parse(bodies[r->policy]));
    strcpy(e->id, r->id);
    e->fetched_at = r->fetched_at;
    e->expires_at = r->expires_at;
    e->checked_at = r->checked_at;
    e->refresh_at = r->refresh_at;
    e->negative_until = r->negative_until;
    strcpy(e->fail_id, r->fail_id);
    e->fail_at = r->fail_at;
    e->fail_class = r->fail_class;
    e->fail_count = r->fail_count;
}

START_TEST(test_round_trip)
{
    const struct trip_row *r = &trip_rows[_i];
    struct entry e, d, d2;
    trip_entry(&e, r);

    size_t need = entry_encode(&e, NULL, 0);
    ck_assert_msg(need > 0, "%s: not encodable", r->name);
    unsigned char *buf = malloc(need + 16);
    ck_assert_ptr_nonnull(buf);

    /* too small by one: nothing written, same size answer */
    memset(buf, 0xAA, need + 16);
    ck_assert_uint_eq(entry_encode(&e, buf, need - 1), need);
    for (size_t i = 0; i < need + 16; i++)
        ck_assert_msg(buf[i] == 0xAA, "%s: wrote byte %zu into a short buffer", r->name, i);

    /* exact fit; nothing beyond */
    ck_assert_uint_eq(entry_encode(&e, buf, need), need);
    for (size_t i = need; i < need + 16; i++)
        ck_assert_msg(buf[i] == 0xAA, "%s: wrote past the record", r->name);
    ck_assert_int_eq(buf[0], ENTRY_VERSION);

    /* the layout, written independently */
    struct raw raw;
    memset(&raw, 0, sizeof(raw));
    raw.version = ENTRY_VERSION;
    raw.n_dane_decl = -1;
    raw.id_len = strlen(r->id);
    memcpy(raw.id, r->id, raw.id_len);
    const int64_t times[5] = {r->fetched_at, r->expires_at, r->checked_at, r->refresh_at,
                              r->negative_until};
    for (int i = 0; i < 5; i++)
        raw.times[i] = (uint64_t)times[i];
    raw.fail_len = strlen(r->fail_id);
    memcpy(raw.fail_id, r->fail_id, raw.fail_len);
    raw.fail_at = (uint64_t)r->fail_at;
    raw.fail_class = r->fail_class;
    raw.fail_count = r->fail_count;
    unsigned char blob[4096];
    if (e.policy != NULL) {
        raw.blob_len = sts_policy_serialize(e.policy, blob, sizeof(blob));
        raw.blob = blob;
    }
    unsigned char want[8192];
    size_t want_len = raw_build(&raw, want);
    ck_assert_msg(want_len == need && memcmp(want, buf, need) == 0, "%s: layout differs", r->name);

    /* decode, compare, re-encode */
    entry_init(&d);
    ck_assert_msg(entry_decode(buf, need, &d), "%s: does not decode", r->name);
    assert_entries_equal(&e, &d, r->name);
    unsigned char *again = malloc(need);
    ck_assert_ptr_nonnull(again);
    ck_assert_uint_eq(entry_encode(&d, again, need), need);
    ck_assert_msg(memcmp(again, buf, need) == 0, "%s: re-encoding differs", r->name);

    /* decoding over an entry that holds a policy replaces (frees) it */
    entry_base(&d2);
    ck_assert(entry_decode(buf, need, &d2));
    assert_entries_equal(&e, &d2, r->name);

    /* every strict prefix is refused, and so is one more byte */
    for (size_t n = 0; n < need; n++)
        ck_assert_msg(!entry_decode(buf, n, &d), "%s: prefix of %zu bytes decodes", r->name, n);
    buf[need] = 0;
    ck_assert_msg(!entry_decode(buf, need + 1, &d), "%s: trailing byte accepted", r->name);
    assert_entries_equal(&e, &d, r->name); /* failures left d alone */

    free(again);
    free(buf);
    entry_clear(&e);
    entry_clear(&d);
    entry_clear(&d2);
}
END_TEST

/* ---- hostile records ------------------------------------------------- */

enum field {
    F_NOTHING,      /* the base record: must decode */
    F_VERSION,      /* num */
    F_ID,           /* str, slen (the declared length is slen) */
    F_ID_LEN,       /* num: declared id length, bytes unchanged */
    F_FAIL_ID,      /* str, slen */
    F_FAIL_LEN,     /* num */
    F_TIME,         /* which = time index 0-4, num */
    F_FAIL_AT,      /* num */
    F_BLOB_DELTA,   /* num (signed) */
    F_BLOB_FLIP,    /* num: 1-based byte to corrupt */
    F_NO_BLOB,      /* policy absent */
    F_BLOB_GARBAGE, /* a blob of slen bytes of str */
    F_V1,           /* version 1: no DANE part */
    F_V1_NO_BLOB,   /* version 1, no policy */
    F_DANE_N,       /* num slots (valid, distinct next hops) */
    F_DANE_DECL,    /* num declared, the one slot there */
    F_DANE_CUT,     /* no count byte, no slot */
    F_DANE_DUP,     /* the slot twice */
    F_DANE,         /* slot 0, field which = num */
    F_DANE_SHORT,   /* the slot's last byte missing */
};

enum dane_field { D_PORT, D_MX, D_RESULT, D_USABLE, D_CHECKED, D_EXPIRES, D_FAIL_AT, D_FAIL_COUNT };

struct hostile_row {
    const char *name;
    enum field field;
    int which;
    int64_t num;
    const char *str;
    size_t slen;
    size_t trailing;
    bool ok;
};

#define STR(lit) lit, sizeof(lit) - 1

static const struct hostile_row hostile_rows[] = {
    {"base record decodes", F_NOTHING, 0, 0, NULL, 0, 0, true},
    {"no policy decodes", F_NO_BLOB, 0, 0, NULL, 0, 0, true},
    {"version 0", F_VERSION, 0, 0, NULL, 0, 0, false},
    {"version 3", F_VERSION, 0, 3, NULL, 0, 0, false},
    {"version 1 with a DANE part", F_VERSION, 0, 1, NULL, 0, 0, false},
    {"version 1 without a DANE part", F_V1, 0, 0, NULL, 0, 0, true},
    {"version 1 without a DANE part, trailing byte", F_V1, 0, 0, NULL, 0, 1, false},
    {"version 1, no policy", F_V1_NO_BLOB, 0, 0, NULL, 0, 0, true},
    {"no DANE slot", F_DANE_N, 0, 0, NULL, 0, 0, true},
    {"four DANE slots", F_DANE_N, 0, 4, NULL, 0, 0, true},
    {"five DANE slots", F_DANE_N, 0, 5, NULL, 0, 0, false},
    {"255 DANE slots declared", F_DANE_DECL, 0, 255, NULL, 0, 0, false},
    {"two DANE slots declared, one there", F_DANE_DECL, 0, 2, NULL, 0, 0, false},
    {"no DANE slot declared, one there", F_DANE_DECL, 0, 0, NULL, 0, 0, false},
    {"DANE part missing (record ends at the blob)", F_DANE_CUT, 0, 0, NULL, 0, 0, false},
    {"two slots for one next hop", F_DANE_DUP, 0, 0, NULL, 0, 0, false},
    {"same port, the other kind", F_DANE_N, 0, 2, NULL, 0, 0, true},
    {"DANE port 0", F_DANE, D_PORT, 0, NULL, 0, 0, false},
    {"DANE port 65535", F_DANE, D_PORT, 65535, NULL, 0, 0, true},
    {"DANE mx 2", F_DANE, D_MX, 2, NULL, 0, 0, false},
    {"DANE mx 0 (a smart host)", F_DANE, D_MX, 0, NULL, 0, 0, true},
    {"DANE result 3", F_DANE, D_RESULT, 3, NULL, 0, 0, false},
    {"DANE result none with a usable host", F_DANE, D_RESULT, ENTRY_DANE_NONE, NULL, 0, 0, false},
    {"DANE result unknown with check times", F_DANE, D_RESULT, ENTRY_DANE_UNKNOWN, NULL, 0, 0,
     false},
    {"DANE usable > hosts", F_DANE, D_USABLE, 3, NULL, 0, 0, false},
    {"DANE dane-only with no usable host", F_DANE, D_USABLE, 0, NULL, 0, 0, false},
    {"DANE checked_at 0 with a result", F_DANE, D_CHECKED, 0, NULL, 0, 0, false},
    {"DANE checked_at negative", F_DANE, D_CHECKED, -1, NULL, 0, 0, false},
    {"DANE expires before checked", F_DANE, D_EXPIRES, T + 29, NULL, 0, 0, false},
    {"DANE expires == checked", F_DANE, D_EXPIRES, T + 30, NULL, 0, 0, true},
    {"DANE kept a day", F_DANE, D_EXPIRES, T + 30 + ENTRY_DANE_LIFE_MAX, NULL, 0, 0, true},
    {"DANE kept a day and a second", F_DANE, D_EXPIRES, T + 31 + ENTRY_DANE_LIFE_MAX, NULL, 0, 0,
     false},
    {"DANE fail_at negative", F_DANE, D_FAIL_AT, -1, NULL, 0, 0, false},
    {"DANE fail_at past year 9999", F_DANE, D_FAIL_AT, ENTRY_TIME_MAX + 1, NULL, 0, 0, false},
    {"DANE fail_count 65535", F_DANE, D_FAIL_COUNT, 65535, NULL, 0, 0, true},
    {"DANE slot cut short", F_DANE_SHORT, 0, 0, NULL, 0, 0, false},
    {"version 255", F_VERSION, 0, 255, NULL, 0, 0, false},
    {"version 'S' (a bare policy blob)", F_VERSION, 0, 'S', NULL, 0, 0, false},
    {"id with a hyphen", F_ID, 0, 0, STR("ab-c"), 0, false},
    {"id with a space", F_ID, 0, 0, STR("ab c"), 0, false},
    {"id with a NUL", F_ID, 0, 0, STR("ab\0c"), 0, false},
    {"id with a semicolon", F_ID, 0, 0, STR("abc;"), 0, false},
    {"id with a high byte", F_ID, 0, 0, STR("ab\xc3\xa9"), 0, false},
    {"id with a newline", F_ID, 0, 0, STR("abc\n"), 0, false},
    {"id of 33 characters", F_ID, 0, 0, STR(ID32 "x"), 0, false},
    {"id of 32 characters", F_ID, 0, 0, STR(ID32), 0, true},
    {"empty id", F_ID, 0, 0, STR(""), 0, true},
    {"id length 255", F_ID_LEN, 0, 255, NULL, 0, 0, false},
    {"id length 33 over long bytes", F_ID_LEN, 0, 33, NULL, 0, 0, false},
    {"id length short by one", F_ID_LEN, 0, 2, NULL, 0, 0, false},
    {"fail_id with a dot", F_FAIL_ID, 0, 0, STR("d.f"), 0, false},
    {"fail_id of 33 characters", F_FAIL_ID, 0, 0, STR(ID32 "y"), 0, false},
    {"fail_id with a NUL", F_FAIL_ID, 0, 0, STR("\0"), 0, false},
    {"fail_id of 32 characters", F_FAIL_ID, 0, 0, STR(ID32), 0, true},
    {"fail_id length 200", F_FAIL_LEN, 0, 200, NULL, 0, 0, false},
    {"fetched_at negative", F_TIME, 0, -1, NULL, 0, 0, false},
    {"fetched_at INT64_MIN", F_TIME, 0, INT64_MIN, NULL, 0, 0, false},
    {"expires_at negative", F_TIME, 1, -1, NULL, 0, 0, false},
    {"checked_at negative", F_TIME, 2, -5, NULL, 0, 0, false},
    {"refresh_at negative", F_TIME, 3, INT64_MIN, NULL, 0, 0, false},
    {"negative_until negative", F_TIME, 4, -1800, NULL, 0, 0, false},
    {"fail_at negative", F_FAIL_AT, 0, -1, NULL, 0, 0, false},
    {"checked_at past year 9999", F_TIME, 2, ENTRY_TIME_MAX + 1, NULL, 0, 0, false},
    {"negative_until INT64_MAX", F_TIME, 4, INT64_MAX, NULL, 0, 0, false},
    {"fail_at past year 9999", F_FAIL_AT, 0, ENTRY_TIME_MAX + 1, NULL, 0, 0, false},
    {"checked_at at year 9999", F_TIME, 2, ENTRY_TIME_MAX, NULL, 0, 0, true},
    {"expires before fetched", F_TIME, 1, T - 1, NULL, 0, 0, false},
    {"expires == fetched", F_TIME, 1, T, NULL, 0, 0, true},
    {"expires == fetched + one year", F_TIME, 1, T + 31557600, NULL, 0, 0, true},
    {"expires > fetched + one year", F_TIME, 1, T + 31557601, NULL, 0, 0, false},
    {"expires 0, fetched set", F_TIME, 1, 0, NULL, 0, 0, false},
    {"one trailing byte", F_NOTHING, 0, 0, NULL, 0, 1, false},
    {"many trailing bytes", F_NOTHING, 0, 0, NULL, 0, 100, false},
    {"trailing byte, no policy", F_NO_BLOB, 0, 0, NULL, 0, 1, false},
    {"blob length one too long", F_BLOB_DELTA, 0, 1, NULL, 0, 0, false},
    {"blob length one too short", F_BLOB_DELTA, 0, -1, NULL, 0, 0, false},
    {"blob length huge", F_BLOB_DELTA, 0, 0x7fffff00, NULL, 0, 0, false},
    {"blob length 0 with blob bytes", F_BLOB_DELTA, 0, INT64_MIN, NULL, 0, 0, false},
    {"blob magic corrupt", F_BLOB_FLIP, 0, 1, NULL, 0, 0, false},
    {"blob version corrupt", F_BLOB_FLIP, 0, 2, NULL, 0, 0, false},
    {"blob mode corrupt", F_BLOB_FLIP, 0, 3, NULL, 0, 0, false},
    {"blob last byte corrupt", F_BLOB_FLIP, 0, -1, NULL, 0, 0, false},
    {"blob of one byte", F_BLOB_GARBAGE, 0, 0, STR("S"), 0, false},
    {"blob of text", F_BLOB_GARBAGE, 0, 0, STR("version: STSv1\nmode: none\nmax_age: 1\n"), 0,
     false},
};

static size_t hostile_record(const struct hostile_row *h, unsigned char *out)
{
    struct raw r;
    raw_base(&r);
    switch (h->field) {
    case F_NOTHING:
        break;
    case F_VERSION: { /* only the byte: the layout stays version 2's */
        size_t n = raw_build(&r, out);
        out[0] = (unsigned char)h->num;
        return n;
    }
    case F_ID:
        memcpy(r.id, h->str, h->slen);
        r.id_len = h->slen;
        break;
    case F_ID_LEN:
        r.id_len = (size_t)h->num; /* the bytes after it are read as the id */
        break;
    case F_FAIL_ID:
        memcpy(r.fail_id, h->str, h->slen);
        r.fail_len = h->slen;
        break;
    case F_FAIL_LEN:
        r.fail_len = (size_t)h->num;
        break;
    case F_TIME:
        r.times[h->which] = (uint64_t)h->num;
        break;
    case F_FAIL_AT:
        r.fail_at = (uint64_t)h->num;
        break;
    case F_BLOB_DELTA:
        r.blob_len_delta = h->num == INT64_MIN ? -(int64_t)r.blob_len : h->num;
        break;
    case F_BLOB_FLIP:
        r.blob_flip = h->num > 0 ? (size_t)h->num : r.blob_len;
        break;
    case F_NO_BLOB:
        r.blob = NULL;
        r.blob_len = 0;
        break;
    case F_BLOB_GARBAGE:
        r.blob = (const unsigned char *)h->str;
        r.blob_len = h->slen;
        break;
    case F_V1:
        r.version = 1;
        break;
    case F_V1_NO_BLOB:
        r.version = 1;
        r.blob = NULL;
        r.blob_len = 0;
        break;
    case F_DANE_N:
        r.n_dane = (size_t)h->num;
        for (size_t i = 1; i < r.n_dane; i++) {
            r.dane[i] = r.dane[0];
            r.dane[i].mx = i % 2 ? 0 : 1; /* slot 1: the host itself at 25 */
            r.dane[i].port = 25 + 562 * (i / 2);
        }
        break;
    case F_DANE_DECL:
        r.n_dane_decl = (int)h->num;
        break;
    case F_DANE_CUT: {
        /* A version 2 record that ends where a version 1 record would. */
        struct raw v1 = r;
        v1.version = 1;
        size_t n = raw_build(&v1, out);
        out[0] = ENTRY_VERSION;
        return n;
    }
    case F_DANE_DUP:
        r.n_dane = 2;
        r.dane[1] = r.dane[0];
        break;
    case F_DANE_SHORT:
        return raw_build(&r, out) - 1;
    case F_DANE:
        switch ((enum dane_field)h->which) {
        case D_PORT:
            r.dane[0].port = (uint64_t)h->num;
            break;
        case D_MX:
            r.dane[0].mx = (uint64_t)h->num;
            break;
        case D_RESULT:
            r.dane[0].result = (uint64_t)h->num;
            break;
        case D_USABLE:
            r.dane[0].usable = (uint64_t)h->num;
            break;
        case D_CHECKED:
            r.dane[0].checked_at = (uint64_t)h->num;
            break;
        case D_EXPIRES:
            r.dane[0].expires_at = (uint64_t)h->num;
            break;
        case D_FAIL_AT:
            r.dane[0].fail_at = (uint64_t)h->num;
            break;
        case D_FAIL_COUNT:
            r.dane[0].fail_count = (uint64_t)h->num;
            break;
        }
        break;
        break;
    }
    r.trailing = h->trailing;
    if (h->field == F_ID_LEN || h->field == F_FAIL_LEN) {
        /* Write the declared length over the real bytes: build with the
         * real length, then patch the length byte. */
        struct raw real = r;
        real.id_len = h->field == F_ID_LEN ? 3 : r.id_len;
        real.fail_len = h->field == F_FAIL_LEN ? 3 : r.fail_len;
        size_t n = raw_build(&real, out);
        size_t at = h->field == F_ID_LEN ? 1 : 2 + real.id_len + 5 * 8;
        out[at] = (unsigned char)h->num;
        return n;
    }
    return raw_build(&r, out);
}

START_TEST(test_hostile)
{
    const struct hostile_row *h = &hostile_rows[_i];
    unsigned char buf[8192];
    size_t n = hostile_record(h, buf);
    unsigned char *exact = malloc(n); /* exact size, so ASan sees overreads */
    ck_assert_ptr_nonnull(exact);
    memcpy(exact, buf, n);

    struct entry before, e;
    entry_init(&e);
    strcpy(e.id, "keep");
    e.checked_at = 42;
    before = e;
    bool ok = entry_decode(exact, n, &e);
    ck_assert_msg(ok == h->ok, "%s: decode %s", h->name, ok ? "accepted" : "refused");
    if (ok) {
        /* an accepted record re-encodes to the same bytes; a version 1
         * record to the version 2 form: its bytes, version 2, no slot */
        unsigned char *want = malloc(n + 1), *again = malloc(n + 1);
        ck_assert_ptr_nonnull(want);
        ck_assert_ptr_nonnull(again);
        memcpy(want, exact, n);
        size_t wn = n;
        if (exact[0] == 1) {
            want[0] = ENTRY_VERSION;
            want[wn++] = 0;
        }
        ck_assert_uint_eq(entry_encode(&e, again, wn), wn);
        ck_assert_msg(memcmp(again, want, wn) == 0, "%s: re-encoding differs", h->name);
        if (exact[0] == 1)
            ck_assert_msg(e.n_dane == 0, "%s: a version 1 record has no DANE state", h->name);
        free(want);
        free(again);
    } else {
        ck_assert_msg(e.policy == NULL && strcmp(e.id, before.id) == 0 &&
                          e.checked_at == before.checked_at && e.fetched_at == 0 &&
                          e.fail_id[0] == '\0' && e.fail_count == 0,
                      "%s: failed decode changed *e", h->name);
    }
    entry_clear(&e);
    free(exact);
}
END_TEST

START_TEST(test_decode_null_and_empty)
{
    struct entry e;
    entry_init(&e);
    ck_assert(!entry_decode(NULL, 0, &e));
    ck_assert(!entry_decode(NULL, 100, &e));
    unsigned char one = ENTRY_VERSION;
    ck_assert(!entry_decode(&one, 0, &e));
    ck_assert(!entry_decode(&one, 1, &e));
    ck_assert_ptr_null(e.policy);
}
END_TEST

/* A failed decode over an entry holding a policy keeps that policy. */
START_TEST(test_decode_failure_keeps_policy)
{
    struct entry e;
    entry_base(&e);
    struct sts_policy *p = e.policy;
    unsigned char buf[8192];
    size_t n = entry_encode(&e, buf, sizeof(buf));
    ck_assert_uint_gt(n, 0);
    buf[0] = ENTRY_VERSION + 1;
    ck_assert(!entry_decode(buf, n, &e));
    ck_assert_ptr_eq(e.policy, p);
    ck_assert_str_eq(e.id, "abc");
    entry_clear(&e);
}
END_TEST

/* ---- DANE slots ------------------------------------------------------ */

static struct entry_dane dane_slot(bool mx, uint16_t port, uint8_t result, int64_t checked,
                                   int64_t life, uint16_t fails, int64_t fail_at)
{
    struct entry_dane d;
    memset(&d, 0, sizeof(d));
    d.mx = (uint8_t)mx;
    d.port = port;
    d.result = result;
    if (result != ENTRY_DANE_UNKNOWN) {
        d.checked_at = checked;
        d.expires_at = checked + life;
        d.hosts = 3;
        d.usable = result == ENTRY_DANE_ONLY ? 2 : 0;
    }
    d.fail_count = fails;
    d.fail_at = fail_at;
    return d;
}

/* Entries with DANE slots encode, decode to the same slots and re-encode
 * to the same bytes; every prefix is refused. */
START_TEST(test_dane_round_trip)
{
    struct entry e, d;
    entry_base(&e); /* one slot already */
    e.dane[e.n_dane++] = dane_slot(false, 587, ENTRY_DANE_NONE, T, 60, 0, 0);
    e.dane[e.n_dane++] = dane_slot(true, 2525, ENTRY_DANE_UNKNOWN, 0, 0, 7, T + 1);
    e.dane[e.n_dane++] =
        dane_slot(false, 65535, ENTRY_DANE_ONLY, ENTRY_TIME_MAX - ENTRY_DANE_LIFE_MAX,
                  ENTRY_DANE_LIFE_MAX, UINT16_MAX, ENTRY_TIME_MAX);
    ck_assert_uint_eq(e.n_dane, ENTRY_DANE_MAX);
    unsigned char buf[8192], again[8192];
    size_t n = entry_encode(&e, buf, sizeof(buf));
    ck_assert_uint_gt(n, 0);
    entry_init(&d);
    ck_assert(entry_decode(buf, n, &d));
    assert_entries_equal(&e, &d, "four slots");
    ck_assert_uint_eq(entry_encode(&d, again, sizeof(again)), n);
    ck_assert(memcmp(buf, again, n) == 0);
    for (size_t k = 0; k < n; k++)
        ck_assert_msg(!entry_decode(buf, k, &d), "prefix of %zu bytes decodes", k);
    /* no slot: one byte of count */
    e.n_dane = 0;
    ck_assert_uint_eq(entry_encode(&e, NULL, 0), n - ENTRY_DANE_MAX * 32);
    entry_clear(&e);
    entry_clear(&d);
}
END_TEST

/* Slots that do not hold together are refused by entry_encode() too. */
START_TEST(test_dane_encode_refuses)
{
    static const struct {
        const char *name;
        struct entry_dane d;
    } rows[] = {
        {"port 0", {.port = 0, .mx = 1, .result = 0}},
        {"mx 2", {.port = 25, .mx = 2, .result = 0}},
        {"result 3", {.port = 25, .mx = 1, .result = 3, .checked_at = T, .expires_at = T}},
        {"unknown with a check time", {.port = 25, .mx = 1, .result = 0, .checked_at = T}},
        {"unknown with hosts", {.port = 25, .mx = 1, .result = 0, .hosts = 1}},
        {"none, usable 1",
         {.port = 25,
          .mx = 1,
          .result = 1,
          .hosts = 1,
          .usable = 1,
          .checked_at = T,
          .expires_at = T}},
        {"dane-only, usable 0",
         {.port = 25, .mx = 1, .result = 2, .hosts = 1, .checked_at = T, .expires_at = T}},
        {"usable over hosts",
         {.port = 25,
          .mx = 1,
          .result = 2,
          .hosts = 1,
          .usable = 2,
          .checked_at = T,
          .expires_at = T}},
        {"kept too long",
         {.port = 25,
          .mx = 1,
          .result = 1,
          .checked_at = T,
          .expires_at = T + ENTRY_DANE_LIFE_MAX + 1}},
        {"fail_at negative", {.port = 25, .mx = 1, .result = 0, .fail_count = 1, .fail_at = -1}},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct entry e;
        entry_base(&e);
        e.dane[0] = rows[i].d;
        ck_assert_msg(entry_encode(&e, NULL, 0) == 0, "%s: encodes", rows[i].name);
        entry_clear(&e);
    }
    struct entry e;
    entry_base(&e);
    e.n_dane = ENTRY_DANE_MAX + 1;
    ck_assert_msg(entry_encode(&e, NULL, 0) == 0, "five slots encode");
    e.n_dane = 2;
    e.dane[1] = e.dane[0];
    ck_assert_msg(entry_encode(&e, NULL, 0) == 0, "two slots for one next hop encode");
    e.dane[1].mx = 0;
    ck_assert_msg(entry_encode(&e, NULL, 0) > 0, "the host itself at the same port is another hop");
    entry_clear(&e);
}
END_TEST

/* entry_dane_find() / entry_dane_add(): by next hop; a full entry gives
 * up the slot whose last check is oldest; entry_dane_copy() copies all. */
START_TEST(test_dane_slots)
{
    struct entry e, f;
    entry_init(&e);
    ck_assert_ptr_null(entry_dane_find(&e, true, 25));
    struct entry_dane *a = entry_dane_add(&e, true, 25);
    ck_assert_uint_eq(e.n_dane, 1);
    ck_assert_ptr_eq(entry_dane_add(&e, true, 25), a);
    ck_assert_ptr_eq(entry_dane_find(&e, true, 25), a);
    ck_assert_ptr_null(entry_dane_find(&e, false, 25));
    ck_assert_ptr_null(entry_dane_find(&e, true, 587));
    *a = dane_slot(true, 25, ENTRY_DANE_ONLY, T + 100, 60, 0, 0);
    struct entry_dane *b = entry_dane_add(&e, false, 25);
    *b = dane_slot(false, 25, ENTRY_DANE_NONE, T + 10, 60, 1, T + 500); /* last: T + 500 */
    struct entry_dane *c = entry_dane_add(&e, true, 587);
    *c = dane_slot(true, 587, ENTRY_DANE_UNKNOWN, 0, 0, 2, T + 50); /* last: T + 50 (oldest) */
    struct entry_dane *d = entry_dane_add(&e, false, 587);
    *d = dane_slot(false, 587, ENTRY_DANE_NONE, T + 200, 60, 0, 0);
    ck_assert_uint_eq(e.n_dane, ENTRY_DANE_MAX);
    struct entry_dane *n = entry_dane_add(&e, true, 2525);
    ck_assert_ptr_eq(n, c); /* the oldest gave way */
    ck_assert_uint_eq(e.n_dane, ENTRY_DANE_MAX);
    ck_assert_uint_eq(n->mx, 1);
    ck_assert_uint_eq(n->port, 2525);
    ck_assert_uint_eq(n->result, ENTRY_DANE_UNKNOWN);
    ck_assert_uint_eq(n->fail_count, 0);
    ck_assert_ptr_null(entry_dane_find(&e, true, 587));
    ck_assert_ptr_eq(entry_dane_find(&e, false, 25), b);
    entry_init(&f);
    entry_dane_copy(&f, &e);
    ck_assert_uint_eq(f.n_dane, e.n_dane);
    ck_assert(memcmp(f.dane, e.dane, sizeof(e.dane)) == 0);
    entry_clear(&e);
    entry_clear(&f);
}
END_TEST

/*
 * Records written by mtastsd before DANE (version 1): the bytes that
 * daemon stored in its LMDB cache (tests/component/data/cache-v1.dump,
 * mdb_dump of tests/component/data/cache-v1.mdb; see the README there).
 * They decode with every field, no DANE slot, and re-encode as version 2.
 */
static size_t hex_decode(const char *hex, unsigned char *out, size_t max)
{
    size_t n = 0;
    for (const char *p = hex; p[0] != '\0' && p[0] != '\n' && p[1] != '\0'; p += 2) {
        unsigned v;
        ck_assert_int_eq(sscanf(p, "%2x", &v), 1);
        ck_assert_uint_lt(n, max);
        out[n++] = (unsigned char)v;
    }
    return n;
}

START_TEST(test_v1_written_by_0_1_0)
{
    FILE *fp = fopen(TOP_SRCDIR "/tests/component/data/cache-v1.dump", "r");
    ck_assert_ptr_nonnull(fp);
    char line[8192], key[256] = "";
    bool data = false;
    size_t records = 0;
    const int64_t F = INT64_C(1796292432);
    while (fgets(line, sizeof(line), fp) != NULL) {
        if (strcmp(line, "HEADER=END\n") == 0) {
            data = true;
            continue;
        }
        if (!data || line[0] != ' ')
            continue;
        unsigned char bytes[4096];
        size_t n = hex_decode(line + 1, bytes, sizeof(bytes));
        if (key[0] == '\0') {
            memcpy(key, bytes, n);
            key[n] = '\0';
            continue;
        }
        ck_assert_int_eq(bytes[0], 1); /* written as version 1 */
        struct entry e;
        entry_init(&e);
        ck_assert_msg(entry_decode(bytes, n, &e), "%s: the version 1 record does not decode", key);
        ck_assert_uint_eq(e.n_dane, 0);
        ck_assert_ptr_nonnull(e.policy);
        ck_assert_int_eq(e.fetched_at, F);
        ck_assert_int_eq(e.checked_at, F);
        ck_assert_int_eq(e.refresh_at, F + 43200);
        ck_assert_str_eq(e.fail_id, "");
        if (strcmp(key, "dane.test") == 0) {
            ck_assert_str_eq(e.id, "dane1");
            ck_assert_int_eq(e.expires_at, F + 604800);
            ck_assert_int_eq(e.policy->mode, STS_MODE_ENFORCE);
            ck_assert_uint_eq(e.policy->n_mx, 2);
            ck_assert_str_eq(e.policy->mx[1], "mx2.dane.test");
        } else {
            ck_assert_str_eq(key, "testing.test");
            ck_assert_str_eq(e.id, "t1");
            ck_assert_int_eq(e.policy->mode, STS_MODE_TESTING);
        }
        /* written back: version 2, the same bytes, no slot */
        unsigned char v2[4096];
        ck_assert_uint_eq(entry_encode(&e, v2, sizeof(v2)), n + 1);
        ck_assert_int_eq(v2[0], ENTRY_VERSION);
        ck_assert(memcmp(v2 + 1, bytes + 1, n - 1) == 0);
        ck_assert_int_eq(v2[n], 0);
        /* and a DANE slot can be added to it */
        struct entry_dane *d = entry_dane_add(&e, true, 25);
        *d = dane_slot(true, 25, ENTRY_DANE_ONLY, F + 10, 300, 0, 0);
        ck_assert_uint_eq(entry_encode(&e, v2, sizeof(v2)), n + 1 + 32);
        entry_clear(&e);
        key[0] = '\0';
        records++;
    }
    fclose(fp);
    ck_assert_uint_eq(records, 2);
}
END_TEST

/* ---- encode refusals ------------------------------------------------- */

enum bad_field {
    B_ID_CHAR,
    B_ID_UNTERMINATED,
    B_FAIL_CHAR,
    B_FAIL_UNTERMINATED,
    B_TIME_NEG,
    B_TIME_BIG,
    B_EXPIRES_BEFORE,
    B_EXPIRES_FAR,
    B_POLICY_UNSERIALISABLE,
};

struct refuse_row {
    const char *name;
    enum bad_field bad;
    int which; /* time index: 0 fetched .. 4 negative_until, 5 fail_at */
};

static const struct refuse_row refuse_rows[] = {
    {"id with a hyphen", B_ID_CHAR, 0},
    {"id fills the array unterminated", B_ID_UNTERMINATED, 0},
    {"fail_id with a slash", B_FAIL_CHAR, 0},
    {"fail_id fills the array unterminated", B_FAIL_UNTERMINATED, 0},
    {"fetched_at negative", B_TIME_NEG, 0},
    {"expires_at negative", B_TIME_NEG, 1},
    {"checked_at negative", B_TIME_NEG, 2},
    {"refresh_at negative", B_TIME_NEG, 3},
    {"negative_until negative", B_TIME_NEG, 4},
    {"fail_at negative", B_TIME_NEG, 5},
    {"fetched_at past year 9999", B_TIME_BIG, 0},
    {"checked_at past year 9999", B_TIME_BIG, 2},
    {"refresh_at INT64_MAX", B_TIME_BIG, 3},
    {"negative_until past year 9999", B_TIME_BIG, 4},
    {"fail_at past year 9999", B_TIME_BIG, 5},
    {"expires before fetched", B_EXPIRES_BEFORE, 0},
    {"expires more than a year after fetch", B_EXPIRES_FAR, 0},
    {"policy with max_age over a year", B_POLICY_UNSERIALISABLE, 0},
};

static int64_t *time_field(struct entry *e, int which)
{
    int64_t *const fields[] = {&e->fetched_at, &e->expires_at,     &e->checked_at,
                               &e->refresh_at, &e->negative_until, &e->fail_at};
    return fields[which];
}

START_TEST(test_encode_refuses)
{
    const struct refuse_row *r = &refuse_rows[_i];
    struct entry e;
    entry_base(&e);
    unsigned char buf[8192];
    ck_assert_uint_gt(entry_encode(&e, buf, sizeof(buf)), 0); /* base is fine */
    uint32_t saved_max_age = e.policy->max_age;
    switch (r->bad) {
    case B_ID_CHAR:
        strcpy(e.id, "a-b");
        break;
    case B_ID_UNTERMINATED:
        memset(e.id, 'a', sizeof(e.id));
        break;
    case B_FAIL_CHAR:
        strcpy(e.fail_id, "a/b");
        break;
    case B_FAIL_UNTERMINATED:
        memset(e.fail_id, '7', sizeof(e.fail_id));
        break;
    case B_TIME_NEG:
        *time_field(&e, r->which) = -1;
        break;
    case B_TIME_BIG:
        *time_field(&e, r->which) = r->which == 3 ? INT64_MAX : ENTRY_TIME_MAX + 1;
        break;
    case B_EXPIRES_BEFORE:
        e.expires_at = e.fetched_at - 1;
        break;
    case B_EXPIRES_FAR:
        e.expires_at = e.fetched_at + STS_MAX_AGE_MAX + 1;
        break;
    case B_POLICY_UNSERIALISABLE:
        e.policy->max_age = STS_MAX_AGE_MAX + 1;
        break;
    }
    memset(buf, 0xAA, sizeof(buf));
    ck_assert_msg(entry_encode(&e, buf, sizeof(buf)) == 0, "%s: encoded", r->name);
    ck_assert_msg(entry_encode(&e, NULL, 0) == 0, "%s: size asked", r->name);
    ck_assert_msg(buf[0] == 0xAA, "%s: wrote", r->name);
    e.policy->max_age = saved_max_age;
    entry_clear(&e);
}
END_TEST

#define NROWS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *entry_suite(void)
{
    Suite *s = suite_create("entry");
    TCase *tc = tcase_create("entry");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_init_clear);
    tcase_add_test(tc, test_set_policy);
    tcase_add_loop_test(tc, test_round_trip, 0, NROWS(trip_rows));
    tcase_add_loop_test(tc, test_hostile, 0, NROWS(hostile_rows));
    tcase_add_test(tc, test_decode_null_and_empty);
    tcase_add_test(tc, test_decode_failure_keeps_policy);
    tcase_add_loop_test(tc, test_encode_refuses, 0, NROWS(refuse_rows));
    tcase_add_test(tc, test_dane_round_trip);
    tcase_add_test(tc, test_dane_encode_refuses);
    tcase_add_test(tc, test_dane_slots);
    tcase_add_test(tc, test_v1_written_by_0_1_0);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(entry_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

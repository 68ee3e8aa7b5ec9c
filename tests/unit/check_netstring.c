/*
 * check_netstring - unit tests for src/netstring.c.
 *
 * Table-driven: each decode row names one rule and gives the input, the
 * cap, the expected final status and the shortest prefix at which that
 * status must appear (every shorter prefix must be INCOMPLETE, every
 * longer one must give the same answer: this checks both early error
 * detection and that byte-at-a-time feeding is consistent).  Stream tests
 * feed many frames in chunks of every size from 1 to 9 bytes; encoder
 * rows check the exact bytes, the snprintf-like size answer and the
 * round trip.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netstring.h"

#define S(lit) lit, sizeof(lit) - 1

struct decode_row {
    const char *name;
    const char *in;
    size_t len;
    size_t cap;
    enum netstring_status want;
    size_t detect; /* shortest prefix with the final status */
    const char *payload;
    size_t plen;
};

static const struct decode_row decode_rows[] = {
    /* well-formed frames */
    {"empty payload", S("0:,"), 10, NETSTRING_OK, 3, "", 0},
    {"one byte", S("1:a,"), 10, NETSTRING_OK, 4, "a", 1},
    {"five bytes", S("5:hello,"), 10, NETSTRING_OK, 8, "hello", 5},
    {"trailing bytes are left", S("1:a,2:bc,"), 10, NETSTRING_OK, 4, "a", 1},
    {"trailing garbage is left", S("1:a,xyz"), 10, NETSTRING_OK, 4, "a", 1},
    {"NUL in payload", S("3:a\0b,"), 10, NETSTRING_OK, 6, "a\0b", 3},
    {"only NULs", S("2:\0\0,"), 10, NETSTRING_OK, 5, "\0\0", 2},
    {"comma in payload", S("3:,,,,"), 10, NETSTRING_OK, 6, ",,,", 3},
    {"colon and digits in payload", S("4:1:2,,"), 10, NETSTRING_OK, 7, "1:2,", 4},
    {"high bytes", S("2:\xff\x80,"), 10, NETSTRING_OK, 5, "\xff\x80", 2},
    {"socketmap request", S("22:mtasts example.com.net,"), 100, NETSTRING_OK, 26,
     "mtasts example.com.net", 22},
    {"two-digit length", S("10:0123456789,"), 10, NETSTRING_OK, 14, "0123456789", 10},
    /* cap boundary */
    {"cap exactly", S("10:0123456789,"), 10, NETSTRING_OK, 14, "0123456789", 10},
    {"cap + 1 at last digit", S("11:01234567890,"), 10, NETSTRING_ERR_TOO_LONG, 2, NULL, 0},
    {"cap + 1, digits only", S("11"), 10, NETSTRING_ERR_TOO_LONG, 2, NULL, 0},
    {"three digits over cap 10", S("100:"), 10, NETSTRING_ERR_TOO_LONG, 3, NULL, 0},
    {"cap 9 exactly", S("9:123456789,"), 9, NETSTRING_OK, 12, "123456789", 9},
    {"two digits over cap 9", S("10:"), 9, NETSTRING_ERR_TOO_LONG, 2, NULL, 0},
    {"cap 0 allows empty", S("0:,"), 0, NETSTRING_OK, 3, "", 0},
    {"cap 0 rejects 1", S("1:a,"), 0, NETSTRING_ERR_TOO_LONG, 1, NULL, 0},
    {"cap 10000 exactly", S("10000:"), 10000, NETSTRING_INCOMPLETE, 0, NULL, 0},
    {"cap 10000 + 1", S("10001:"), 10000, NETSTRING_ERR_TOO_LONG, 5, NULL, 0},
    {"cap 10000, 99999", S("99999:"), 10000, NETSTRING_ERR_TOO_LONG, 5, NULL, 0},
    {"cap 10000, 100000", S("100000:"), 10000, NETSTRING_ERR_TOO_LONG, 6, NULL, 0},
    {"cap 10000, 2 then 0s", S("20000"), 10000, NETSTRING_ERR_TOO_LONG, 5, NULL, 0},
    {"huge digit string", S("99999999999999999999999999999999999999:"), 10000,
     NETSTRING_ERR_TOO_LONG, 5, NULL, 0},
    {"huge digits, cap SIZE_MAX", S("99999999999999999999999999999999999999:"), SIZE_MAX,
     NETSTRING_ERR_TOO_LONG, 20, NULL, 0},
#if SIZE_MAX == 18446744073709551615u
    {"SIZE_MAX length, cap SIZE_MAX", S("18446744073709551615:x"), SIZE_MAX, NETSTRING_INCOMPLETE,
     0, NULL, 0},
    {"SIZE_MAX + 1, cap SIZE_MAX", S("18446744073709551616:"), SIZE_MAX, NETSTRING_ERR_TOO_LONG, 20,
     NULL, 0},
#endif
    /* incomplete prefixes */
    {"empty buffer", S(""), 10, NETSTRING_INCOMPLETE, 0, NULL, 0},
    {"digit only", S("5"), 10, NETSTRING_INCOMPLETE, 0, NULL, 0},
    {"zero only", S("0"), 10, NETSTRING_INCOMPLETE, 0, NULL, 0},
    {"zero colon", S("0:"), 10, NETSTRING_INCOMPLETE, 0, NULL, 0},
    {"length and colon", S("5:"), 10, NETSTRING_INCOMPLETE, 0, NULL, 0},
    {"partial payload", S("5:hel"), 10, NETSTRING_INCOMPLETE, 0, NULL, 0},
    {"payload without comma", S("5:hello"), 10, NETSTRING_INCOMPLETE, 0, NULL, 0},
    /* bad length prefix */
    {"empty length", S(":"), 10, NETSTRING_ERR_LENGTH, 1, NULL, 0},
    {"empty length with frame", S(":,"), 10, NETSTRING_ERR_LENGTH, 1, NULL, 0},
    {"letter", S("a:"), 10, NETSTRING_ERR_LENGTH, 1, NULL, 0},
    {"minus sign", S("-1:x,"), 10, NETSTRING_ERR_LENGTH, 1, NULL, 0},
    {"plus sign", S("+1:x,"), 10, NETSTRING_ERR_LENGTH, 1, NULL, 0},
    {"leading space", S(" 1:x,"), 10, NETSTRING_ERR_LENGTH, 1, NULL, 0},
    {"space before colon", S("1 :x,"), 10, NETSTRING_ERR_LENGTH, 2, NULL, 0},
    {"NUL byte first", S("\0001:x,"), 10, NETSTRING_ERR_LENGTH, 1, NULL, 0},
    {"NUL after digit", S("1\0:x,"), 10, NETSTRING_ERR_LENGTH, 2, NULL, 0},
    {"leading zero", S("01:a,"), 10, NETSTRING_ERR_LENGTH, 2, NULL, 0},
    {"double zero", S("00:,"), 10, NETSTRING_ERR_LENGTH, 2, NULL, 0},
    {"zero then letter", S("0a"), 10, NETSTRING_ERR_LENGTH, 2, NULL, 0},
    {"digit then letter", S("12x:"), 100, NETSTRING_ERR_LENGTH, 3, NULL, 0},
    {"hex prefix", S("0x1:a,"), 10, NETSTRING_ERR_LENGTH, 2, NULL, 0},
    {"comma instead of colon", S("1,a,"), 10, NETSTRING_ERR_LENGTH, 2, NULL, 0},
    {"CRLF line", S("\r\n"), 10, NETSTRING_ERR_LENGTH, 1, NULL, 0},
    {"high byte", S("\xb9:"), 10, NETSTRING_ERR_LENGTH, 1, NULL, 0},
    /* bad terminator */
    {"payload too long for length", S("1:ab,"), 10, NETSTRING_ERR_TERMINATOR, 4, NULL, 0},
    {"semicolon terminator", S("1:a;"), 10, NETSTRING_ERR_TERMINATOR, 4, NULL, 0},
    {"empty payload, no comma", S("0:x"), 10, NETSTRING_ERR_TERMINATOR, 3, NULL, 0},
    {"newline terminator", S("3:abc\n"), 10, NETSTRING_ERR_TERMINATOR, 6, NULL, 0},
    {"NUL terminator", S("3:abc\0"), 10, NETSTRING_ERR_TERMINATOR, 6, NULL, 0},
    {"payload shorter than length", S("5:abc,"), 10, NETSTRING_INCOMPLETE, 0, NULL, 0},
};

static void decode_one(const char *in, size_t len, size_t cap, enum netstring_status *st,
                       const char **payload, size_t *plen, size_t *consumed)
{
    /* Exact-size heap copy so that ASan sees any read past len. */
    char *copy = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, in, len);
    *st = netstring_decode(copy, len, cap, payload, plen, consumed);
    if (*st == NETSTRING_OK) {
        ck_assert_ptr_eq(*payload, copy + (*consumed - *plen - 1));
        *payload = in + (*payload - copy);
    } else {
        ck_assert_ptr_null(*payload);
        ck_assert_uint_eq(*plen, 0);
        ck_assert_uint_eq(*consumed, 0);
    }
    free(copy);
}

START_TEST(test_decode_table)
{
    const struct decode_row *r = &decode_rows[_i];
    enum netstring_status st;
    const char *payload;
    size_t plen, consumed;

    decode_one(r->in, r->len, r->cap, &st, &payload, &plen, &consumed);
    ck_assert_msg(st == r->want, "%s: status %d (%s), want %d", r->name, st, netstring_strerror(st),
                  r->want);
    if (r->want == NETSTRING_OK) {
        ck_assert_msg(consumed == r->detect, "%s: consumed %zu, want %zu", r->name, consumed,
                      r->detect);
        ck_assert_msg(plen == r->plen, "%s: payload length %zu, want %zu", r->name, plen, r->plen);
        ck_assert_msg(memcmp(payload, r->payload, plen) == 0, "%s: payload differs", r->name);
        ck_assert_msg(payload == r->in + consumed - plen - 1, "%s: payload not in buffer", r->name);
    }

    /* Every prefix: INCOMPLETE before detect, the final status from then on. */
    for (size_t p = 0; p <= r->len; p++) {
        decode_one(r->in, p, r->cap, &st, &payload, &plen, &consumed);
        enum netstring_status want =
            (r->want == NETSTRING_INCOMPLETE || p < r->detect) ? NETSTRING_INCOMPLETE : r->want;
        ck_assert_msg(st == want, "%s: prefix %zu gives %s, want %s", r->name, p,
                      netstring_strerror(st), netstring_strerror(want));
    }
}
END_TEST

/* ---- streams of frames ---- */

struct frame {
    const char *data;
    size_t len;
};

static const struct frame stream_frames[] = {
    {S("mtasts example.com")},
    {S("")},
    {S("a\0b")},
    {S("12:34,")},
    {S(",")},
    {S(":")},
    {S("0:,")},
    {S("mtasts-tlsrpt [mx.example.net]:25")},
    {S("\xff\xfe\x00\x01")},
    {S("0123456789012345678901234567890123456789")},
    {S("x")},
};
#define N_FRAMES (sizeof(stream_frames) / sizeof(stream_frames[0]))

/* Concatenate the encoded frames; returns a malloc'ed buffer. */
static char *build_stream(size_t *total)
{
    size_t need = 0;
    for (size_t i = 0; i < N_FRAMES; i++)
        need += netstring_encode(NULL, 0, stream_frames[i].data, stream_frames[i].len);
    char *buf = malloc(need);
    ck_assert_ptr_nonnull(buf);
    size_t off = 0;
    for (size_t i = 0; i < N_FRAMES; i++) {
        size_t n =
            netstring_encode(buf + off, need - off, stream_frames[i].data, stream_frames[i].len);
        ck_assert_uint_gt(n, 0);
        off += n;
    }
    ck_assert_uint_eq(off, need);
    *total = need;
    return buf;
}

/* Feed the stream in chunks of `chunk` bytes, as a server would. */
START_TEST(test_stream_chunks)
{
    size_t chunk = (size_t)_i;
    size_t total;
    char *stream = build_stream(&total);
    char *pending = malloc(total);
    ck_assert_ptr_nonnull(pending);
    size_t have = 0, fed = 0, got = 0;

    while (fed < total) {
        size_t n = total - fed < chunk ? total - fed : chunk;
        memcpy(pending + have, stream + fed, n);
        have += n;
        fed += n;
        for (;;) {
            const char *payload;
            size_t plen, consumed;
            enum netstring_status st =
                netstring_decode(pending, have, 100, &payload, &plen, &consumed);
            if (st == NETSTRING_INCOMPLETE)
                break;
            ck_assert_msg(st == NETSTRING_OK, "chunk %zu: frame %zu: %s", chunk, got,
                          netstring_strerror(st));
            ck_assert_uint_lt(got, N_FRAMES);
            ck_assert_uint_le(consumed, have);
            ck_assert_uint_eq(plen, stream_frames[got].len);
            ck_assert(memcmp(payload, stream_frames[got].data, plen) == 0);
            memmove(pending, pending + consumed, have - consumed);
            have -= consumed;
            got++;
        }
    }
    ck_assert_uint_eq(got, N_FRAMES);
    ck_assert_uint_eq(have, 0);
    free(pending);
    free(stream);
}
END_TEST

/* Several frames in one buffer, walked without copying. */
START_TEST(test_stream_one_buffer)
{
    size_t total;
    char *stream = build_stream(&total);
    size_t off = 0, got = 0;

    while (off < total) {
        const char *payload;
        size_t plen, consumed;
        enum netstring_status st =
            netstring_decode(stream + off, total - off, 100, &payload, &plen, &consumed);
        ck_assert_int_eq(st, NETSTRING_OK);
        ck_assert_uint_eq(plen, stream_frames[got].len);
        ck_assert(memcmp(payload, stream_frames[got].data, plen) == 0);
        off += consumed;
        got++;
    }
    ck_assert_uint_eq(got, N_FRAMES);
    free(stream);
}
END_TEST

/* A good frame followed by a bad one: the first decodes, the second fails. */
struct stream_err_row {
    const char *name;
    const char *in;
    size_t len;
    enum netstring_status second;
};

static const struct stream_err_row stream_err_rows[] = {
    {"then leading zero", S("1:a,01:b,"), NETSTRING_ERR_LENGTH},
    {"then too long", S("1:a,999999:"), NETSTRING_ERR_TOO_LONG},
    {"then bad terminator", S("1:a,1:bc"), NETSTRING_ERR_TERMINATOR},
    {"then garbage", S("1:a,GET / HTTP/1.0\r\n"), NETSTRING_ERR_LENGTH},
    {"then partial", S("1:a,3:ab"), NETSTRING_INCOMPLETE},
};

START_TEST(test_stream_then_error)
{
    const struct stream_err_row *r = &stream_err_rows[_i];
    const char *payload;
    size_t plen, consumed;

    enum netstring_status st = netstring_decode(r->in, r->len, 100, &payload, &plen, &consumed);
    ck_assert_msg(st == NETSTRING_OK, "%s: first frame", r->name);
    ck_assert_uint_eq(consumed, 4);
    st = netstring_decode(r->in + consumed, r->len - consumed, 100, &payload, &plen, &consumed);
    ck_assert_msg(st == r->second, "%s: second frame gives %s", r->name, netstring_strerror(st));
}
END_TEST

/* ---- encoder ---- */

struct encode_row {
    const char *name;
    const char *data;
    size_t len;
    const char *frame;
    size_t flen;
};

static const struct encode_row encode_rows[] = {
    {"empty", S(""), S("0:,")},
    {"one byte", S("a"), S("1:a,")},
    {"reply", S("NOTFOUND "), S("9:NOTFOUND ,")},
    {"NUL inside", S("a\0b"), S("3:a\0b,")},
    {"ten bytes", S("0123456789"), S("10:0123456789,")},
    {"commas", S(",,"), S("2:,,,")},
};

START_TEST(test_encode_table)
{
    const struct encode_row *r = &encode_rows[_i];
    char out[64];

    /* Size query: nothing written. */
    memset(out, '#', sizeof(out));
    ck_assert_uint_eq(netstring_encode(NULL, 0, r->data, r->len), r->flen);
    ck_assert_uint_eq(netstring_encode(out, r->flen - 1, r->data, r->len), r->flen);
    for (size_t i = 0; i < sizeof(out); i++)
        ck_assert_msg(out[i] == '#', "%s: wrote byte %zu into a short buffer", r->name, i);

    /* Exact size fits and writes exactly flen bytes. */
    ck_assert_uint_eq(netstring_encode(out, r->flen, r->data, r->len), r->flen);
    ck_assert_msg(memcmp(out, r->frame, r->flen) == 0, "%s: wrong bytes", r->name);
    ck_assert_int_eq(out[r->flen], '#');

    /* Round trip through the decoder. */
    const char *payload;
    size_t plen, consumed;
    ck_assert_int_eq(netstring_decode(out, r->flen, r->len, &payload, &plen, &consumed),
                     NETSTRING_OK);
    ck_assert_uint_eq(consumed, r->flen);
    ck_assert_uint_eq(plen, r->len);
    ck_assert(memcmp(payload, r->data, plen) == 0);
}
END_TEST

/* Lengths around powers of ten round-trip, and the cap is the payload cap. */
START_TEST(test_encode_lengths)
{
    static const size_t lens[] = {0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 9999, 10000, 10001};
    char *data = malloc(10001);
    char *out = malloc(10010);
    ck_assert_ptr_nonnull(data);
    ck_assert_ptr_nonnull(out);
    for (size_t i = 0; i < 10001; i++)
        data[i] = (char)(i * 7);

    for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
        size_t len = lens[k];
        size_t n = netstring_encode(out, 10010, data, len);
        ck_assert_uint_gt(n, len + 2);
        const char *payload;
        size_t plen, consumed;
        ck_assert_int_eq(netstring_decode(out, n, 10000, &payload, &plen, &consumed),
                         len <= 10000 ? NETSTRING_OK : NETSTRING_ERR_TOO_LONG);
        if (len <= 10000) {
            ck_assert_uint_eq(plen, len);
            ck_assert_uint_eq(consumed, n);
            ck_assert(memcmp(payload, data, len) == 0);
        }
    }
    free(out);
    free(data);
}
END_TEST

START_TEST(test_encode_overflow)
{
    /* A length whose frame cannot be represented in size_t. */
    ck_assert_uint_eq(netstring_encode(NULL, 0, NULL, SIZE_MAX), 0);
    ck_assert_uint_eq(netstring_encode(NULL, 0, NULL, SIZE_MAX - 1), 0);
#if SIZE_MAX == 18446744073709551615u
    /* The largest representable one (20 digits) is answered as a size. */
    ck_assert_uint_eq(netstring_encode(NULL, 0, NULL, SIZE_MAX - 22), SIZE_MAX);
#endif
}
END_TEST

/* ---- strerror ---- */

START_TEST(test_strerror)
{
    static const enum netstring_status all[] = {NETSTRING_OK, NETSTRING_INCOMPLETE,
                                                NETSTRING_ERR_LENGTH, NETSTRING_ERR_TOO_LONG,
                                                NETSTRING_ERR_TERMINATOR};
    size_t n = sizeof(all) / sizeof(all[0]);
    for (size_t i = 0; i < n; i++) {
        const char *a = netstring_strerror(all[i]);
        ck_assert_ptr_nonnull(a);
        ck_assert_uint_gt(strlen(a), 0);
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(a, netstring_strerror(all[j]));
    }
    ck_assert_str_eq(netstring_strerror((enum netstring_status)99), "unknown netstring status");
}
END_TEST

static Suite *netstring_suite(void)
{
    Suite *s = suite_create("netstring");
    TCase *tc = tcase_create("decode");
    tcase_add_loop_test(tc, test_decode_table, 0,
                        (int)(sizeof(decode_rows) / sizeof(decode_rows[0])));
    suite_add_tcase(s, tc);

    tc = tcase_create("stream");
    tcase_add_loop_test(tc, test_stream_chunks, 1, 10);
    tcase_add_test(tc, test_stream_one_buffer);
    tcase_add_loop_test(tc, test_stream_then_error, 0,
                        (int)(sizeof(stream_err_rows) / sizeof(stream_err_rows[0])));
    suite_add_tcase(s, tc);

    tc = tcase_create("encode");
    tcase_add_loop_test(tc, test_encode_table, 0,
                        (int)(sizeof(encode_rows) / sizeof(encode_rows[0])));
    tcase_add_test(tc, test_encode_lengths);
    tcase_add_test(tc, test_encode_overflow);
    tcase_add_test(tc, test_strerror);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(netstring_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

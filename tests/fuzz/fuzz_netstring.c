/*
 * fuzz_netstring - libFuzzer harness for src/netstring.c.
 *
 * Input layout: byte 0 picks the length cap, byte 1 seeds the chunk sizes,
 * the rest is the byte stream a client sends.  The stream is decoded
 * twice: once whole (the reference walk, frame after frame) and once the
 * way the server reads it, in chunks of pseudo-random size appended to a
 * pending buffer that is re-presented after every chunk (each time as an
 * exact-size heap copy, so ASan catches any read past the end).
 *
 * Invariants checked (abort on violation):
 *   - OK: consumed <= len, the payload lies inside the buffer and ends
 *     just before the ',' at consumed - 1, payload_len <= cap, and
 *     netstring_encode(payload) reproduces exactly buf[0..consumed);
 *   - not OK: payload NULL, lengths 0;
 *   - INCOMPLETE never asks the caller to buffer more than
 *     cap + NETSTRING_MAX_DIGITS + 1 bytes;
 *   - chunked feeding yields the same frames, the same error and the
 *     same error position as the whole-buffer walk.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netstring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_netstring: invariant failed: %s (line %d)\n", #cond, __LINE__);  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const size_t caps[] = {0, 1, 3, 10, 100, 10000, SIZE_MAX};

struct frame {
    size_t off; /* stream offset of the payload */
    size_t len;
};

static uint32_t rng_next(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

/* Decode the front of buf[0..len) and check every invariant of one call. */
static enum netstring_status decode_checked(const char *buf, size_t len, size_t cap, size_t *plen,
                                            size_t *consumed, size_t *poff)
{
    const char *payload = (const char *)1; /* must be overwritten */
    enum netstring_status st = netstring_decode(buf, len, cap, &payload, plen, consumed);

    if (st != NETSTRING_OK) {
        CHECK(payload == NULL && *plen == 0 && *consumed == 0);
        CHECK(st == NETSTRING_INCOMPLETE || st == NETSTRING_ERR_LENGTH ||
              st == NETSTRING_ERR_TOO_LONG || st == NETSTRING_ERR_TERMINATOR);
        if (st == NETSTRING_INCOMPLETE && cap <= SIZE_MAX - NETSTRING_MAX_DIGITS - 1)
            CHECK(len <= cap + NETSTRING_MAX_DIGITS + 1);
        return st;
    }
    CHECK(*consumed >= 3 && *consumed <= len);
    CHECK(payload >= buf && payload <= buf + len);
    CHECK(*plen <= (size_t)(buf + len - payload));
    CHECK(payload + *plen + 1 == buf + *consumed);
    CHECK(buf[*consumed - 1] == ',');
    CHECK(*plen <= cap);

    /* encode(decode(x)) == x: the frame is in canonical form. */
    char *re = malloc(*consumed);
    CHECK(re != NULL);
    CHECK(netstring_encode(NULL, 0, payload, *plen) == *consumed);
    CHECK(netstring_encode(re, *consumed, payload, *plen) == *consumed);
    CHECK(memcmp(re, buf, *consumed) == 0);
    free(re);

    *poff = (size_t)(payload - buf);
    return st;
}

/* Present pending[0..len) as an exact-size copy. */
static enum netstring_status decode_copy(const char *pending, size_t len, size_t cap, size_t *plen,
                                         size_t *consumed, size_t *poff)
{
    char *copy = malloc(len ? len : 1);
    CHECK(copy != NULL);
    memcpy(copy, pending, len);
    enum netstring_status st = decode_checked(copy, len, cap, plen, consumed, poff);
    free(copy);
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t cap = caps[data[0] % (sizeof(caps) / sizeof(caps[0]))];
    uint32_t seed = 0x9e3779b9u ^ ((uint32_t)data[1] * 0x01000193u) ^ (uint32_t)data[0];
    unsigned max_chunk_log = data[1] % 8; /* chunks of 1 .. 2^k bytes */
    const char *in = (const char *)data + 2;
    size_t len = size - 2;

    /* Reference walk over the whole stream. */
    size_t max_frames = len / 3 + 1;
    struct frame *ref = malloc(max_frames * sizeof(*ref));
    CHECK(ref != NULL);
    size_t nref = 0, off = 0;
    enum netstring_status ref_end;
    for (;;) {
        size_t plen, consumed, poff;
        ref_end = decode_copy(in + off, len - off, cap, &plen, &consumed, &poff);
        if (ref_end != NETSTRING_OK)
            break;
        CHECK(nref < max_frames);
        ref[nref].off = off + poff;
        ref[nref].len = plen;
        nref++;
        off += consumed;
    }
    size_t ref_end_off = off;

    /* Chunked feeding, as the server reads. */
    char *pending = malloc(len ? len : 1);
    CHECK(pending != NULL);
    size_t have = 0, base = 0, fed = 0, got = 0;
    enum netstring_status end = NETSTRING_INCOMPLETE;
    while (fed < len && end == NETSTRING_INCOMPLETE) {
        size_t chunk = 1 + rng_next(&seed) % ((size_t)1 << max_chunk_log);
        if (chunk > len - fed)
            chunk = len - fed;
        memcpy(pending + have, in + fed, chunk);
        have += chunk;
        fed += chunk;
        for (;;) {
            size_t plen, consumed, poff;
            enum netstring_status st = decode_copy(pending, have, cap, &plen, &consumed, &poff);
            if (st != NETSTRING_OK) {
                end = st;
                break;
            }
            CHECK(got < nref);
            CHECK(base + poff == ref[got].off);
            CHECK(plen == ref[got].len);
            CHECK(memcmp(pending + poff, in + ref[got].off, plen) == 0);
            got++;
            memmove(pending, pending + consumed, have - consumed);
            have -= consumed;
            base += consumed;
        }
    }
    CHECK(got == nref);
    CHECK(end == ref_end);
    CHECK(base == ref_end_off);

    free(pending);
    free(ref);
    return 0;
}

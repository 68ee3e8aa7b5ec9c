/*
 * fuzz_httpreq - libFuzzer harness for src/httpreq.c.
 *
 * The input is the byte stream a client sends to the metrics endpoint.
 * It is parsed whole (an exact-size heap copy, so ASan sees any read past
 * the end) and at every length the way the endpoint reads it, in chunks
 * (parsing again from the start after each chunk).
 *
 * Invariants checked (abort on violation):
 *   - OK: used <= len, buf[used - 1] is LF, the path lies inside the head
 *     and starts with '/', has no byte <= 0x20 or >= 0x7f and no '?',
 *     minor is 0 or 1, the method is one of the three; parsing buf[0..used)
 *     alone gives the same result;
 *   - BAD: a reason is given;
 *   - once a prefix is OK or BAD, every longer prefix gives the same
 *     status (more bytes never turn a verdict around), and INCOMPLETE
 *     prefixes are followed by INCOMPLETE, OK or BAD only.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_httpreq: invariant failed: %s (line %d)\n", #cond, __LINE__);    \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define FUZZ_MAX 9000 /* a little over the endpoint's 8 KiB head */

static enum httpreq_status parse_checked(const char *buf, size_t len, struct httpreq *r)
{
    enum httpreq_status st = httpreq_parse(buf, len, r);
    CHECK(st == HTTPREQ_INCOMPLETE || st == HTTPREQ_OK || st == HTTPREQ_BAD);
    if (st == HTTPREQ_BAD)
        CHECK(r->why != NULL && r->why[0] != '\0');
    if (st != HTTPREQ_OK)
        return st;
    CHECK(r->used >= 4 && r->used <= len && buf[r->used - 1] == '\n');
    CHECK(r->path >= buf && r->path + r->path_len <= buf + r->used);
    CHECK(r->path_len >= 1 && r->path[0] == '/');
    for (size_t i = 0; i < r->path_len; i++)
        CHECK((unsigned char)r->path[i] > 0x20 && (unsigned char)r->path[i] < 0x7f &&
              r->path[i] != '?');
    CHECK(r->minor == 0 || r->minor == 1);
    CHECK(r->method == HTTPREQ_GET || r->method == HTTPREQ_HEAD || r->method == HTTPREQ_OTHER);
    return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX)
        size = FUZZ_MAX;
    char *buf = malloc(size ? size : 1);
    CHECK(buf != NULL);
    memcpy(buf, data, size);

    struct httpreq whole;
    enum httpreq_status st = parse_checked(buf, size, &whole);
    if (st == HTTPREQ_OK) {
        /* the head alone says the same */
        char *head = malloc(whole.used);
        CHECK(head != NULL);
        memcpy(head, buf, whole.used);
        struct httpreq again;
        CHECK(parse_checked(head, whole.used, &again) == HTTPREQ_OK);
        CHECK(again.used == whole.used && again.method == whole.method &&
              again.minor == whole.minor && again.has_body == whole.has_body &&
              again.path_len == whole.path_len &&
              memcmp(again.path - head + buf, whole.path, whole.path_len) == 0);
        free(head);
    }

    /* every prefix, each in an exact-size copy: a verdict, once given, stays */
    enum httpreq_status first = HTTPREQ_INCOMPLETE;
    size_t step = size > 600 ? size / 300 : 1;
    for (size_t k = 0; k <= size; k += step) {
        char *p = malloc(k ? k : 1);
        CHECK(p != NULL);
        memcpy(p, buf, k);
        struct httpreq r;
        enum httpreq_status s = parse_checked(p, k, &r);
        if (first != HTTPREQ_INCOMPLETE)
            CHECK(s == first);
        else
            first = s;
        free(p);
    }
    CHECK(first == HTTPREQ_INCOMPLETE || first == st);
    free(buf);
    return 0;
}

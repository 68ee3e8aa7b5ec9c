/*
 * check_httpreq - unit tests for src/httpreq.c (HTTP/1.x request heads
 * on the metrics endpoint).
 *
 * A table of whole requests with the expected status and fields: what
 * Prometheus and curl send, bare LF lines, leading empty lines, query
 * strings, HEAD, other methods, bodies announced by Content-Length or
 * Transfer-Encoding; and garbage: binary bytes, NUL, bare CR, obs-fold,
 * absolute-form and asterisk targets, HTTP/0.9, 2.0 and lower-case
 * versions, spaces in targets, bad and conflicting Content-Length, too
 * many fields, a field name with a space before its colon.  Every proper
 * prefix of an accepted request is INCOMPLETE (never BAD), and a request
 * with bytes after its head reports only the head as used.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpreq.h"

struct row {
    const char *in;
    enum httpreq_status st;
    enum httpreq_method method;
    const char *path;
    int minor;
    bool body;
};

#define OK_(in, m, path, minor, body)                                                              \
    {                                                                                              \
        in, HTTPREQ_OK, m, path, minor, body                                                       \
    }
#define BAD_(in)                                                                                   \
    {                                                                                              \
        in, HTTPREQ_BAD, HTTPREQ_OTHER, NULL, 0, false                                             \
    }
#define INC_(in)                                                                                   \
    {                                                                                              \
        in, HTTPREQ_INCOMPLETE, HTTPREQ_OTHER, NULL, 0, false                                      \
    }

static const struct row rows[] = {
    /* what Prometheus 2.42 sends */
    OK_("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9150\r\nUser-Agent: Prometheus/2.42.0\r\n"
        "Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
        "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
        "Accept-Encoding: gzip\r\nX-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n",
        HTTPREQ_GET, "/metrics", 1, false),
    OK_("GET /metrics HTTP/1.0\r\n\r\n", HTTPREQ_GET, "/metrics", 0, false),
    OK_("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n", HTTPREQ_HEAD, "/metrics", 1, false),
    OK_("GET /metrics?name[]=x HTTP/1.1\n\n", HTTPREQ_GET, "/metrics", 1, false),
    OK_("GET / HTTP/1.1\r\n\r\n", HTTPREQ_GET, "/", 1, false),
    OK_("GET /metrics/ HTTP/1.1\r\n\r\n", HTTPREQ_GET, "/metrics/", 1, false),
    OK_("\r\n\r\nGET /metrics HTTP/1.1\r\n\r\n", HTTPREQ_GET, "/metrics", 1, false),
    OK_("POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", HTTPREQ_OTHER, "/metrics", 1,
        true),
    OK_("GET /metrics HTTP/1.1\r\ncontent-length:  0 \r\n\r\n", HTTPREQ_GET, "/metrics", 1, false),
    OK_("GET /metrics HTTP/1.1\r\nContent-Length: 7\r\n\r\n", HTTPREQ_GET, "/metrics", 1, true),
    OK_("GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", HTTPREQ_GET, "/metrics", 1,
        true),
    OK_("GET /metrics HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", HTTPREQ_GET,
        "/metrics", 1, true),
    OK_("DELETE /metrics HTTP/1.1\r\n\r\n", HTTPREQ_OTHER, "/metrics", 1, false),
    OK_("get /metrics HTTP/1.1\r\n\r\n", HTTPREQ_OTHER, "/metrics", 1, false),
    OK_("GET /metrics HTTP/1.1\r\nX-Empty:\r\nX-Utf8: caf\xc3\xa9\r\n\r\n", HTTPREQ_GET, "/metrics",
        1, false),
    /* incomplete heads */
    INC_(""),
    INC_("GET /metrics HTTP/1.1"),
    INC_("GET /metrics HTTP/1.1\r\n"),
    INC_("GET /metrics HTTP/1.1\r\nHost: x\r\n"),
    INC_("\r\n\r\n\r\n"),
    INC_("\x16\x03\x01\x02\x05\x01"), /* a TLS hello has no LF yet */
    /* garbage */
    BAD_("\x16\x03\x01\x02\x05\x01\x02\x01\xfc\x03\x03\n"),
    BAD_("hello\n"),
    BAD_("GET /metrics\r\n\r\n"),
    BAD_("GET /metrics HTTP/1.1 \r\n\r\n"),
    BAD_("GET  /metrics HTTP/1.1\r\n\r\n"),
    BAD_("GET http://127.0.0.1/metrics HTTP/1.1\r\n\r\n"),
    BAD_("OPTIONS * HTTP/1.1\r\n\r\n"),
    BAD_("GET /metrics HTTP/2.0\r\n\r\n"),
    BAD_("GET /metrics HTTP/0.9\r\n\r\n"),
    BAD_("GET /metrics http/1.1\r\n\r\n"),
    BAD_("GET /met rics HTTP/1.1\r\n\r\n"),
    BAD_("GET /met\x7frics HTTP/1.1\r\n\r\n"),
    BAD_("GET /m\xc3\xa9trics HTTP/1.1\r\n\r\n"),
    BAD_("GET /metrics HTTP/1.1\rHost: x\r\n\r\n"),
    BAD_("GET /metrics HTTP/1.1\r\nHost: x\ry\r\n\r\n"),
    BAD_("GET /metrics HTTP/1.1\r\nHost: x\r\n y\r\n\r\n"),
    BAD_("GET /metrics HTTP/1.1\r\n\tHost: x\r\n\r\n"),
    BAD_("GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n"),
    BAD_("GET /metrics HTTP/1.1\r\nHost\r\n\r\n"),
    BAD_("GET /metrics HTTP/1.1\r\n: x\r\n\r\n"),
    BAD_("GET /metrics HTTP/1.1\r\nX-A: a\x01b\r\n\r\n"),
    BAD_("GET /metrics HTTP/1.1\r\nContent-Length: -1\r\n\r\n"),
    BAD_("GET /metrics HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n"),
    BAD_("GET /metrics HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n"),
    BAD_("GET /metrics HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"),
    BAD_("GET /metrics HTTP/1.1\r\nContent-Length:\r\n\r\n"),
    BAD_("GETTTTTTTTTTTTTTTTTTTTT /metrics HTTP/1.1\r\n\r\n"),
    BAD_("G(T /metrics HTTP/1.1\r\n\r\n"),
};

START_TEST(test_table)
{
    const struct row *w = &rows[_i];
    struct httpreq r;
    size_t len = strlen(w->in);
    enum httpreq_status st = httpreq_parse(w->in, len, &r);

    ck_assert_msg(st == w->st, "row %d: status %d, want %d (%s)", _i, st, w->st,
                  r.why ? r.why : "-");
    if (st == HTTPREQ_BAD)
        ck_assert_ptr_nonnull(r.why);
    if (st != HTTPREQ_OK)
        return;
    ck_assert_int_eq(r.method, w->method);
    ck_assert_int_eq((int)r.path_len, (int)strlen(w->path));
    ck_assert(memcmp(r.path, w->path, r.path_len) == 0);
    ck_assert_int_eq(r.minor, w->minor);
    ck_assert_int_eq(r.has_body, w->body);
    ck_assert_uint_le(r.used, len);
    ck_assert_msg(w->in[r.used - 1] == '\n', "used ends after the empty line");
    /* every proper prefix of the head is incomplete, never bad */
    for (size_t k = 0; k < r.used; k++) {
        struct httpreq p;
        ck_assert_msg(httpreq_parse(w->in, k, &p) == HTTPREQ_INCOMPLETE, "row %d prefix %zu", _i,
                      k);
    }
}
END_TEST

START_TEST(test_bytes_after_head)
{
    static const char in[] = "GET /metrics HTTP/1.1\r\n\r\nGET /other HTTP/1.1\r\n\r\n";
    struct httpreq r;

    ck_assert_int_eq(httpreq_parse(in, sizeof in - 1, &r), HTTPREQ_OK);
    ck_assert_uint_eq(r.used, strlen("GET /metrics HTTP/1.1\r\n\r\n"));
    ck_assert(r.path_len == 8 && memcmp(r.path, "/metrics", 8) == 0);
}
END_TEST

START_TEST(test_nul_in_partial_line)
{
    static const char in[] = "GET /metr\0ics";
    struct httpreq r;
    ck_assert_int_eq(httpreq_parse(in, sizeof in - 1, &r), HTTPREQ_BAD);
}
END_TEST

START_TEST(test_field_count)
{
    char buf[8192];
    size_t n = (size_t)snprintf(buf, sizeof buf, "GET /metrics HTTP/1.1\r\n");
    struct httpreq r;

    for (int i = 0; i < HTTPREQ_FIELDS_MAX; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "X-%d: y\r\n", i);
    memcpy(buf + n, "\r\n", 3);
    ck_assert_int_eq(httpreq_parse(buf, n + 2, &r), HTTPREQ_OK);
    n += (size_t)snprintf(buf + n, sizeof buf - n, "X-last: y\r\n\r\n");
    ck_assert_int_eq(httpreq_parse(buf, n, &r), HTTPREQ_BAD);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("httpreq");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(rows) / sizeof(rows[0])));
    tcase_add_test(tc, test_bytes_after_head);
    tcase_add_test(tc, test_nul_in_partial_line);
    tcase_add_test(tc, test_field_count);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

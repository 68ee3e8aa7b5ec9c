/*
 * check_smap - component tests of the socketmap front end (smap.c) over
 * real sockets (a socketpair per client) on the real event loop, with the
 * fake clock (harness.h): pipelined requests answered in order, the
 * request deadline of slow clients, the idle timeout, clients that do not
 * read their replies, shedding at max_connections, clients that leave
 * while their lookup waits, protocol errors.
 */
#include "autoconfig.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "netstring.h"
#include "stats.h"

#define SECURE_A "OK secure match=mx.a.test servername=hostname"
#define SECURE_C "OK secure match=mx.c.test servername=hostname"

/* Pipelined requests on one connection, some answered from the cache and
 * some waiting for a fetch, are answered in request order. */
START_TEST(test_pipelined_order)
{
    char r[8][128];
    harness_open(HARNESS_SMAP);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    world_policy("b.test", "1", "enforce", "mx.b.test", 86400);
    world_policy("c.test", "1", "enforce", "mx.c.test", 86400);
    world_policy("d.test", "1", "enforce", "mx.d.test", 86400);
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    ck_assert_str_eq(query_now("c.test", 1000), SECURE_C);
    fake_https_set(host_name("b.test"), HTTPS_OK, 200, policy_body("enforce", "mx.b.test", 86400),
                   FAKE_HOLD);
    fake_https_set(host_name("d.test"), HTTPS_OK, 200, policy_body("enforce", "mx.d.test", 86400),
                   FAKE_AFTER_TURNS(2));
    int fd = client_connect();
    char req[256];
    size_t n = 0;
    const char *keys[] = {"a.test", "b.test", "c.test", "d.test", "[192.0.2.1]"};
    for (int i = 0; i < 5; i++) {
        char payload[64];
        snprintf(payload, sizeof(payload), "mtasts %s", keys[i]);
        n += netstring_encode(req + n, sizeof(req) - n, payload, strlen(payload));
    }
    client_send_raw(fd, req, n); /* all five in one write */
    harness_settle();
    ck_assert_uint_eq(client_read(fd, r, 8), 1); /* a; b waits, c and d behind it */
    ck_assert_str_eq(r[0], SECURE_A);
    fake_https_release(host_name("b.test"));
    harness_settle();
    ck_assert_uint_eq(client_read(fd, r, 8), 4);
    ck_assert_str_eq(r[0], "OK secure match=mx.b.test servername=hostname");
    ck_assert_str_eq(r[1], SECURE_C);
    ck_assert_str_eq(r[2], "OK secure match=mx.d.test servername=hostname");
    ck_assert_str_eq(r[3], "NOTFOUND ");
    ck_assert_uint_eq(smap_connections(H.smap), 1);
    close(fd);
    harness_settle();
    ck_assert_uint_eq(smap_connections(H.smap), 0);
    harness_close();
}
END_TEST

/* A request must be complete request_timeout after its first byte,
 * however the bytes trickle in. */
START_TEST(test_slow_client_deadline)
{
    harness_set("request_timeout", "5s");
    harness_open(HARNESS_SMAP);
    int fd = client_connect();
    client_send_raw(fd, "9000:mtasts ", 12);
    for (int i = 0; i < 49; i++) {
        harness_advance(100);
        client_send_raw(fd, "x", 1);
    }
    harness_advance(99);
    ck_assert(!client_eof(fd));
    ck_assert_uint_eq(smap_connections(H.smap), 1);
    harness_advance(1);
    ck_assert(client_eof(fd));
    ck_assert_uint_eq(smap_connections(H.smap), 0);
    ck_assert_uint_eq(stats.connections_slow, 1);
    close(fd);
    harness_close();
}
END_TEST

/* An idle connection is closed idle_timeout after its last request. */
START_TEST(test_idle_timeout)
{
    char r[2][128];
    harness_set("idle_timeout", "60s");
    harness_open(HARNESS_SMAP);
    int fd = client_connect();
    harness_advance(30000);
    client_send(fd, "mtasts [192.0.2.1]");
    harness_settle();
    ck_assert_uint_eq(client_read(fd, r, 2), 1);
    harness_advance(59999);
    ck_assert(!client_eof(fd));
    harness_advance(1);
    ck_assert(client_eof(fd));
    ck_assert_uint_eq(smap_connections(H.smap), 0);
    ck_assert_uint_eq(stats.connections_slow, 0);
    close(fd);
    harness_close();
}
END_TEST

/* A client that sends requests and never reads the replies: once the
 * replies back up, answering stops; idle_timeout without the client
 * taking any output closes it (connections_not_reading). */
START_TEST(test_non_reader)
{
    harness_set("idle_timeout", "20s");
    harness_open(HARNESS_SMAP);
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    int small = 4096;
    ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
    smap_accept(H.smap, sv[0]);
    int fd = sv[1];
    char frame[64];
    size_t flen = netstring_encode(frame, sizeof(frame), "mtasts [192.0.2.1]", 18);
    uint64_t answered = 0, last = 0;
    int stuck = 0;
    for (int round = 0; round < 2000 && stuck < 5; round++) {
        for (int i = 0; i < 64; i++) {
            ssize_t w = send(fd, frame, flen, MSG_NOSIGNAL);
            if (w < (ssize_t)flen) {
                ck_assert_msg(w < 0 && errno == EAGAIN, "partial or failed send");
                break;
            }
        }
        harness_turns(2);
        answered = stats.verdicts[STATS_VERDICT_NOTFOUND];
        stuck = answered == last ? stuck + 1 : 0;
        last = answered;
    }
    ck_assert_int_eq(stuck, 5); /* answering stopped: replies backed up */
    ck_assert_uint_eq(smap_connections(H.smap), 1);
    harness_advance(19999);
    ck_assert_uint_eq(smap_connections(H.smap), 1);
    harness_advance(1);
    ck_assert_uint_eq(smap_connections(H.smap), 0);
    ck_assert_uint_eq(stats.connections_not_reading, 1);
    close(fd);
    harness_close();
}
END_TEST

/*
 * Pipelined requests while the replies back up: a request that waits for
 * its lookup while earlier replies are still unsent must keep its place.
 * (Found by fuzz_smap: the partial send of the earlier replies moved the
 * connection from WAIT to WRITE, and once the client read them the
 * requests behind the waiting one were answered first -- and a second
 * waiting lookup could replace the first one's handle, leaving it to call
 * back into a freed connection.)
 */
/* One connection: `before` hits, one request that waits for a.test's
 * fetch (held), `after` hits, all sent before any reply is read; then the
 * client reads everything, the fetch ends, the client reads again.
 * Returns the index of the one secure reply (-1 if none), or fails. */
static int backlog_round(int before, int after)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    int small = 4096;
    ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
    smap_accept(H.smap, sv[0]);
    int fd = sv[1];
    static char req[4096 * 32];
    size_t n = 0, sent = 0;
    for (int i = 0; i < before + 1 + after; i++) {
        const char *p = i == before ? "mtasts a.test" : "mtasts [192.0.2.1]";
        n += netstring_encode(req + n, sizeof(req) - n, p, strlen(p));
    }
    for (int round = 0; round < 500 && sent < n; round++) {
        ssize_t w = send(fd, req + sent, n - sent, MSG_NOSIGNAL);
        if (w > 0)
            sent += (size_t)w;
        harness_turns(1);
    }
    ck_assert_uint_eq(sent, n);
    harness_turns(300); /* the server answers what it can; nobody reads */
    static char r[4096][128];
    size_t got = 0;
    for (int round = 0; round < 200; round++) {
        got += client_read(fd, r + got, 4096 - got);
        harness_turns(1);
    }
    fake_https_release(host_name("a.test"));
    for (int round = 0; round < 50; round++) {
        harness_turns(1);
        got += client_read(fd, r + got, 4096 - got);
    }
    ck_assert_uint_eq(got, (size_t)(before + 1 + after));
    int secure = -1;
    for (size_t i = 0; i < got; i++) {
        if (strcmp(r[i], SECURE_A) == 0)
            secure = (int)i;
        else
            ck_assert_str_eq(r[i], "NOTFOUND ");
    }
    close(fd);
    harness_settle();
    return secure;
}

START_TEST(test_pipelined_order_backlog)
{
    harness_open(HARNESS_SMAP);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    for (int before = 1; before <= 400; before += 3) {
        fake_https_set(host_name("a.test"), HTTPS_OK, 200,
                       policy_body("enforce", "mx.a.test", 86400), FAKE_HOLD);
        ck_assert(cache_del(H.cache, "a.test") != CACHE_ERROR);
        harness_advance(1000); /* past the memo's second */
        ck_assert_int_eq(backlog_round(before, 20), before);
    }
    harness_close();
}
END_TEST

/* At max_connections a new client replaces the oldest connection that
 * has been idle for SMAP_SHED_MIN_AGE_MS (1 s); a younger one is kept and
 * the newcomer refused. */
START_TEST(test_max_connections_shed)
{
    harness_set("max_connections", "2");
    harness_open(HARNESS_SMAP);
    int c1 = client_connect();
    harness_advance(100);
    int c2 = client_connect();
    harness_advance(899);
    int c3 = client_connect(); /* c1 idle for 999 ms: nothing to shed */
    harness_settle();
    ck_assert(client_eof(c3));
    ck_assert_uint_eq(stats.connections_rejected, 1);
    ck_assert_uint_eq(smap_connections(H.smap), 2);
    harness_advance(1);
    int c4 = client_connect(); /* c1 idle for 1 s: shed */
    harness_settle();
    ck_assert(client_eof(c1));
    ck_assert(!client_eof(c2));
    ck_assert(!client_eof(c4));
    ck_assert_uint_eq(stats.connections_shed, 1);
    ck_assert_uint_eq(smap_connections(H.smap), 2);
    char r[2][128];
    client_send(c4, "mtasts [192.0.2.1]");
    harness_settle();
    ck_assert_uint_eq(client_read(c4, r, 2), 1);
    close(c1);
    close(c2);
    close(c3);
    close(c4);
    harness_close();
}
END_TEST

/* A client that leaves while its lookup waits cancels the lookup; the
 * fetch goes on and stores the policy. */
START_TEST(test_client_leaves_mid_lookup)
{
    harness_open(HARNESS_SMAP);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    fake_https_set(host_name("a.test"), HTTPS_OK, 200, policy_body("enforce", "mx.a.test", 86400),
                   FAKE_HOLD);
    int fd = client_connect();
    client_send(fd, "mtasts a.test");
    harness_settle();
    ck_assert_uint_eq(lookup_pending(H.lookup), 1);
    close(fd);
    harness_settle();
    ck_assert_uint_eq(smap_connections(H.smap), 0);
    ck_assert_uint_eq(lookup_pending(H.lookup), 0);
    ck_assert(fetch_in_progress(H.fetch, "a.test"));
    fake_https_release(host_name("a.test"));
    harness_settle();
    struct entry e;
    ck_assert(cached("a.test", &e));
    entry_clear(&e);
    harness_close();
}
END_TEST

/* A malformed frame gets PERM and the connection is closed; an unknown
 * map name gets PERM and the connection stays. */
START_TEST(test_protocol_errors)
{
    char r[2][128];
    harness_open(HARNESS_SMAP);
    int ok = client_connect();
    client_send(ok, "nosuchmap a.test");
    harness_settle();
    ck_assert_uint_eq(client_read(ok, r, 2), 1);
    ck_assert_str_eq(r[0], "PERM unknown map name");
    ck_assert(!client_eof(ok));
    int bad = client_connect();
    client_send_raw(bad, "5:abc", 5);
    client_send_raw(bad, "de;", 3);
    harness_settle();
    ck_assert_uint_eq(client_read(bad, r, 2), 1);
    ck_assert_int_eq(strncmp(r[0], "PERM ", 5), 0);
    ck_assert(client_eof(bad));
    ck_assert_uint_eq(smap_connections(H.smap), 1);
    close(ok);
    close(bad);
    harness_close();
}
END_TEST

/* A request that is not "<map> <key>" gets PERM and the connection is
 * closed. */
START_TEST(test_malformed_request)
{
    char r[2][128];
    harness_open(HARNESS_SMAP);
    int fd = client_connect();
    client_send(fd, "mtasts");
    harness_settle();
    ck_assert_uint_eq(client_read(fd, r, 2), 1);
    ck_assert_str_eq(r[0], "PERM malformed request (expected \"<map> <key>\")");
    ck_assert(client_eof(fd));
    close(fd);
    harness_close();
}
END_TEST

/* Back-pressure: while a request waits for its lookup, the client's further
 * input is read only up to one frame; then reading stops until the answer.
 * Everything is answered, in order, afterwards. */
START_TEST(test_input_backpressure)
{
    harness_open(HARNESS_SMAP);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    fake_https_set(host_name("a.test"), HTTPS_OK, 200, policy_body("enforce", "mx.a.test", 86400),
                   FAKE_HOLD);
    int fd = client_connect();
    client_send(fd, "mtasts a.test");
    harness_settle();
    static char req[60000];
    size_t n = 0;
    int k = 0;
    while (n + 64 < sizeof(req)) {
        n += netstring_encode(req + n, sizeof(req) - n, "mtasts [192.0.2.1]", 18);
        k++;
    }
    client_send_raw(fd, req, n);
    harness_turns(50);
    ck_assert_uint_le(smap_buffered(H.smap), SMAP_REQUEST_MAX + 64 + 4096);
    ck_assert_uint_eq(stats.verdicts[STATS_VERDICT_NOTFOUND], 0);
    fake_https_release(host_name("a.test"));
    static char r[3000][128];
    size_t got = 0;
    for (int round = 0; round < 400 && got < (size_t)k + 1; round++) {
        harness_turns(1);
        got += client_read(fd, r + got, 3000 - got);
    }
    ck_assert_uint_eq(got, (size_t)k + 1);
    ck_assert_str_eq(r[0], SECURE_A);
    ck_assert_str_eq(r[k], "NOTFOUND ");
    close(fd);
    harness_close();
}
END_TEST

/* With request_timeout longer than idle_timeout, an incomplete request is
 * closed at idle_timeout without input (connections_slow). */
START_TEST(test_idle_with_partial_request)
{
    harness_set("idle_timeout", "10s");
    harness_set("request_timeout", "1h");
    harness_open(HARNESS_SMAP);
    int fd = client_connect();
    client_send_raw(fd, "30:mtasts", 9);
    harness_advance(9999);
    ck_assert(!client_eof(fd));
    harness_advance(1);
    ck_assert(client_eof(fd));
    ck_assert_uint_eq(stats.connections_slow, 1);
    close(fd);
    harness_close();
}
END_TEST

/* At the limit, a connection with an incomplete request is shed before an
 * idle one, once it has held its slot for SMAP_SHED_MIN_AGE_MS. */
START_TEST(test_shed_partial_first)
{
    harness_set("max_connections", "2");
    harness_open(HARNESS_SMAP);
    int idle = client_connect();
    harness_advance(500);
    int partial = client_connect();
    client_send_raw(partial, "30:mtasts", 9);
    harness_advance(1000);
    int fresh = client_connect();
    harness_settle();
    ck_assert(client_eof(partial));
    ck_assert(!client_eof(idle));
    ck_assert(!client_eof(fresh));
    ck_assert_uint_eq(stats.connections_shed, 1);
    ck_assert_uint_eq(harness_log_count("with an incomplete request for 1.0 s"), 1);
    close(idle);
    close(partial);
    close(fresh);
    harness_close();
}
END_TEST

/* Every slot busy with a lookup: nothing may be shed, the newcomer is
 * refused and accepting pauses; it resumes when a slot frees, or when
 * max_connections is raised by a reload. */
START_TEST(test_limit_pause_and_reload)
{
    harness_set("max_connections", "2");
    harness_open(HARNESS_SMAP);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    fake_https_set(host_name("a.test"), HTTPS_OK, 200, policy_body("enforce", "mx.a.test", 86400),
                   FAKE_HOLD);
    int c1 = client_connect(), c2 = client_connect();
    client_send(c1, "mtasts a.test");
    client_send(c2, "mtasts a.test");
    harness_advance(2000);
    int c3 = client_connect();
    harness_settle();
    ck_assert(client_eof(c3));
    ck_assert_uint_eq(stats.connections_rejected, 1);
    harness_advance(3000); /* the limit timer looks again: still nothing to shed */
    harness_set("max_connections", "3");
    harness_reconfigure();
    int c4 = client_connect();
    harness_settle();
    ck_assert(!client_eof(c4));
    ck_assert_uint_eq(smap_connections(H.smap), 3);
    close(c1);
    close(c2);
    close(c3);
    close(c4);
    harness_close();
}
END_TEST

/* A large reply (mtasts-tlsrpt of a big policy) goes out whole; the big
 * output buffer is given back once drained. */
START_TEST(test_large_reply)
{
    char mx[4096] = "";
    size_t used = 0;
    for (int i = 0; i < 100; i++)
        used +=
            (size_t)snprintf(mx + used, sizeof(mx) - used, "%smx%02d.big.test", i ? " " : "", i);
    harness_open(HARNESS_SMAP);
    world_policy("big.test", "1", "enforce", mx, 86400);
    int fd = client_connect();
    client_send(fd, "mtasts-tlsrpt big.test");
    harness_settle();
    char buf[16384];
    size_t got = 0;
    for (int round = 0; round < 20; round++) {
        ssize_t r = recv(fd, buf + got, sizeof(buf) - got, 0);
        if (r > 0)
            got += (size_t)r;
        harness_turns(1);
    }
    const char *payload;
    size_t plen, consumed;
    ck_assert_int_eq(netstring_decode(buf, got, REPLY_MAX, &payload, &plen, &consumed),
                     NETSTRING_OK);
    ck_assert_uint_eq(consumed, got);
    ck_assert_uint_gt(plen, 4096);
    ck_assert(strstr(payload, "policy_string = mx: mx99.big.test") != NULL);
    ck_assert_uint_lt(smap_buffered(H.smap), 4096 + 1024);
    close(fd);
    harness_close();
}
END_TEST

Suite *smap_suite(void);

Suite *smap_suite(void)
{
    Suite *s = suite_create("smap");
    TCase *tc = tcase_create("connections");
    tcase_add_test(tc, test_pipelined_order);
    tcase_add_test(tc, test_pipelined_order_backlog);
    tcase_add_test(tc, test_slow_client_deadline);
    tcase_add_test(tc, test_idle_timeout);
    tcase_add_test(tc, test_non_reader);
    tcase_add_test(tc, test_max_connections_shed);
    tcase_add_test(tc, test_client_leaves_mid_lookup);
    tcase_add_test(tc, test_protocol_errors);
    tcase_add_test(tc, test_malformed_request);
    tcase_add_test(tc, test_input_backpressure);
    tcase_add_test(tc, test_idle_with_partial_request);
    tcase_add_test(tc, test_shed_partial_first);
    tcase_add_test(tc, test_limit_pause_and_reload);
    tcase_add_test(tc, test_large_reply);
    suite_add_tcase(s, tc);
    return s;
}

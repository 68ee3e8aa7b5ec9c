/*
 * check_lookup - component tests of the query path (lookup.c with the
 * cache, verdict and reply code) on the fake clock and adapters
 * (harness.h): policy modes and strict_testing, both reply profiles, the
 * per-second memo and its voiding by cache writes, replies cut down to
 * Postfix's limit (logged once per policy), keys without a policy domain,
 * a cache that cannot be read (TEMP, logged once, by the cache), and a
 * cache whose LMDB environment panicked after a failed meta page write
 * (reopened: the next query is answered from it).
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "meta_eio.h"
#include "stats.h"

#define SECURE_A "OK secure match=mx.a.test servername=hostname"

/* testing and none answer NOTFOUND; strict_testing enforces testing. */
START_TEST(test_modes)
{
    harness_open(0);
    world_policy("e.test", "1", "enforce", "mx.e.test", 86400);
    world_policy("t.test", "1", "testing", "mx.t.test", 86400);
    fake_dns_txt1(txt_name("n.test"), "v=STSv1; id=1", FAKE_AT_ONCE);
    static const char *const addr[] = {"192.0.2.1", NULL};
    fake_dns_addr(host_name("n.test"), DNS_OK, addr, FAKE_AT_ONCE);
    fake_https_policy(host_name("n.test"), "version: STSv1\nmode: none\nmax_age: 86400\n");
    ck_assert_str_eq(query_now("e.test", 1000), "OK secure match=mx.e.test servername=hostname");
    ck_assert_str_eq(query_now("t.test", 1000), "NOTFOUND ");
    ck_assert_str_eq(query_now("n.test", 1000), "NOTFOUND ");
    harness_set("strict_testing", "yes");
    harness_reconfigure();
    ck_assert_str_eq(query_now("t.test", 0), "OK secure match=mx.t.test servername=hostname");
    ck_assert_str_eq(query_now("n.test", 0), "NOTFOUND ");
    ck_assert_uint_eq(stats.verdicts[STATS_VERDICT_SECURE], 2);
    ck_assert_uint_eq(stats.verdicts[STATS_VERDICT_NOTFOUND], 3);
    harness_close();
}
END_TEST

/* The mtasts-tlsrpt profile adds the TLSRPT attributes. */
START_TEST(test_tlsrpt_profile)
{
    struct query q;
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test *.b.test", 86400);
    query_start_prof(&q, REPLY_PROFILE_TLSRPT, "a.test");
    harness_settle();
    ck_assert_str_eq(q.reply,
                     "OK secure match=mx.a.test:.b.test servername=hostname policy_type=sts "
                     "policy_domain=a.test mx_host_pattern=mx.a.test mx_host_pattern=*.b.test "
                     "{ policy_string = version: STSv1 } { policy_string = mode: enforce } "
                     "{ policy_string = mx: mx.a.test } { policy_string = mx: *.b.test } "
                     "{ policy_string = max_age: 86400 }");
    harness_close();
}
END_TEST

/* Keys without a policy domain are answered at once, with no DNS. */
START_TEST(test_keys_without_policy_domain)
{
    static const char *const keys[] = {".a.test",  "[192.0.2.1]",  "192.0.2.1",
                                       "[::1]:25", "not a domain", ""};
    harness_open(0);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        struct query q;
        query_start(&q, keys[i]);
        ck_assert_msg(q.done && !q.waited, "%s", keys[i]);
        ck_assert_str_eq(q.reply, "NOTFOUND ");
    }
    ck_assert_uint_eq(fake_dns_calls_total(), 0);
    harness_close();
}
END_TEST

/* Within one second, a domain's answer is memoised; a cache write to the
 * domain (a flush, a fetch) voids it at once. */
START_TEST(test_memo)
{
    harness_set("log_level", "debug");
    harness_open(0);
    log_set_level(LOG_LEVEL_DEBUG);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A); /* fetched */
    harness_advance(1000);
    struct query q;
    query_start(&q, "a.test"); /* from the cache: memoised */
    ck_assert_str_eq(q.reply, SECURE_A);
    ck_assert_uint_eq(harness_log_count("memoised answer"), 0);
    query_start(&q, "a.test"); /* same second: the memo */
    ck_assert(q.done);
    ck_assert_str_eq(q.reply, SECURE_A);
    ck_assert_uint_eq(harness_log_count("lookup a.test: memoised answer"), 1);
    ck_assert_uint_eq(stats.verdicts[STATS_VERDICT_SECURE], 3);
    /* A flush in the same second: the memo must not answer for it. */
    ck_assert_int_eq(cache_del(H.cache, "a.test"), CACHE_OK);
    query_start(&q, "a.test");
    ck_assert(q.waited);
    harness_settle();
    ck_assert_str_eq(q.reply, SECURE_A);
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 2);
    ck_assert_uint_eq(harness_log_count("lookup a.test: memoised answer"), 1);
    /* The next second reads the cache again. */
    harness_advance(1000);
    query_start(&q, "a.test");
    ck_assert_str_eq(q.reply, SECURE_A);
    ck_assert_uint_eq(harness_log_count("lookup a.test: memoised answer"), 1);
    harness_close();
}
END_TEST

/* A policy whose mtasts-tlsrpt reply exceeds Postfix's 100000 bytes is
 * answered cut down -- without policy_string, or with the classic reply
 * -- never NOTFOUND, and the cut is logged once per policy. */
static char big_mx[256 * 260];

/* 256 distinct mx of about len bytes each, space-separated. */
static const char *big_policy_mx(size_t len)
{
    size_t used = 0;
    for (int i = 0; i < 256; i++) {
        char one[256];
        size_t n = (size_t)snprintf(one, sizeof(one), "m%03d", i);
        while (n + 5 + 2 <= len) { /* room for ".x" and ".test" */
            size_t lab = len - 5 - n - 1;
            if (lab > 60)
                lab = 60;
            one[n++] = '.';
            memset(one + n, 'x', lab);
            n += lab;
        }
        one[n] = '\0';
        used +=
            (size_t)snprintf(big_mx + used, sizeof(big_mx) - used, "%s%s.test", i ? " " : "", one);
    }
    return big_mx;
}

START_TEST(test_reply_cut_down)
{
    static const struct {
        size_t len;
        const char *log;
        const char *starts;
        bool has_attrs;
    } rows[] = {
        {150, "answering without policy_string attributes", "OK secure match=m000", true},
        {200, "answering with the classic reply", "OK secure match=m000", false},
    };
    harness_open(0);
    for (size_t r = 0; r < 2; r++) {
        char dom[32];
        snprintf(dom, sizeof(dom), "big%zu.test", r);
        world_policy(dom, "1", "enforce", big_policy_mx(rows[r].len), 86400);
        for (int k = 0; k < 3; k++) {
            struct query q;
            harness_advance(1000);
            query_start_prof(&q, REPLY_PROFILE_TLSRPT, dom);
            harness_settle();
            ck_assert(q.done);
            ck_assert_uint_le(q.len, REPLY_MAX);
            ck_assert_msg(strncmp(q.reply, rows[r].starts, strlen(rows[r].starts)) == 0, "%.80s",
                          q.reply);
            ck_assert(strstr(q.reply, "policy_string") == NULL);
            ck_assert((strstr(q.reply, "mx_host_pattern=") != NULL) == rows[r].has_attrs);
        }
        ck_assert_uint_eq(harness_log_count(rows[r].log), 1); /* once per policy */
    }
    ck_assert_uint_eq(stats.verdicts[STATS_VERDICT_SECURE], 6);
    harness_close();
}
END_TEST

/* A cache that cannot be read answers TEMP; cache.c logs why, once, and
 * lookup does not log it again.  (The one way to make the real cache fail
 * without root tricks: use it in a child process, which cache.c refuses.) */
START_TEST(test_cache_unreadable_temp)
{
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    harness_advance(1000);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct query q;
        query_start(&q, "a.test");
        bool ok = q.done && strcmp(q.reply, "TEMP mtastsd cache unavailable") == 0 &&
                  stats.verdicts[STATS_VERDICT_TEMP] == 1 &&
                  harness_log_count("used in a child process") == 1 &&
                  harness_log_count("lookup a.test") == 0;
        _exit(ok ? 0 : 1);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    harness_close();
}
END_TEST

/* One write of LMDB's meta page fails (tests/tools/meta_eio.c: EIO, as
 * from a dying disk), so LMDB answers MDB_PANIC to every transaction of
 * the open cache.  The next query must be answered from the reopened
 * cache -- the policy cached before is kept, not fetched again -- and
 * never TEMP. */
START_TEST(test_cache_panic_reopened)
{
    harness_open(0);
    world_policy("a.test", "1", "enforce", "mx.a.test", 86400);
    world_policy("b.test", "1", "enforce", "mx.b.test", 86400);
    ck_assert_str_eq(query_now("a.test", 1000), SECURE_A);
    harness_advance(1000);
    meta_eio_arm(true);
    /* fetched and answered; storing it fails at LMDB's meta page */
    ck_assert_str_eq(query_now("b.test", 1000), "OK secure match=mx.b.test servername=hostname");
    meta_eio_arm(false);
    ck_assert_uint_gt(meta_eio_failed(), 0);
    for (int i = 0; i < 3; i++) {
        struct query q;
        harness_advance(1000); /* past the memo's second */
        query_start(&q, "a.test");
        ck_assert_msg(q.done, "query %d waited", i);
        ck_assert_str_eq(q.reply, SECURE_A);
    }
    ck_assert_uint_eq(stats.verdicts[STATS_VERDICT_TEMP], 0);
    ck_assert_uint_eq(harness_log_count("reopened the cache, the cached policies are kept"), 1);
    ck_assert_uint_eq(fake_https_calls(host_name("a.test")), 1);
    /* the policy whose store failed is fetched again when queried */
    ck_assert_str_eq(query_now("b.test", 1000), "OK secure match=mx.b.test servername=hostname");
    harness_close();
}
END_TEST

Suite *lookup_suite(void);

Suite *lookup_suite(void)
{
    Suite *s = suite_create("lookup");
    TCase *tc = tcase_create("queries");
    tcase_add_test(tc, test_modes);
    tcase_add_test(tc, test_tlsrpt_profile);
    tcase_add_test(tc, test_keys_without_policy_domain);
    tcase_add_test(tc, test_memo);
    tcase_add_test(tc, test_reply_cut_down);
    tcase_add_test(tc, test_cache_unreadable_temp);
    tcase_add_test(tc, test_cache_panic_reopened);
    suite_add_tcase(s, tc);
    return s;
}

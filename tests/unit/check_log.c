/*
 * check_log - unit tests for src/log.c.
 *
 * Table-driven rows for log_sanitize() (replacement of unsafe bytes,
 * truncation with "...", tiny buffers) and for level names.  The stderr
 * sink is checked by pointing file descriptor 2 at a temporary file:
 * line format "IDENT[PID]: LEVEL: MESSAGE", level filtering, the errno
 * variants (": strerror" appended, errno preserved), control bytes in a
 * message, truncation of long messages.  The token bucket of
 * log_limit_take() is played through scripted clocks.
 */
#include "autoconfig.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define S(lit) lit, sizeof(lit) - 1

/* ---- log_sanitize ---- */

struct sanitize_row {
    const char *name;
    const char *in;
    size_t len;
    size_t outsz;
    const char *want;
};

static const struct sanitize_row sanitize_rows[] = {
    {"plain", S("example.com"), 64, "example.com"},
    {"empty", S(""), 8, ""},
    {"newline", S("a\nb"), 8, "a?b"},
    {"CRLF forging a line", S("x\r\nmtastsd: fake"), 64, "x??mtastsd: fake"},
    {"escape sequence", S("\x1b[31mred"), 64, "?[31mred"},
    {"tab", S("a\tb"), 8, "a?b"},
    {"DEL", S("a\x7f"), 8, "a?"},
    {"high bytes", S("\xc3\xa9\xff"), 8, "???"},
    {"NUL inside", S("a\0b"), 8, "a?b"},
    {"len shorter than the string", "abcdef", 3, 8, "abc"},
    {"exact fit", S("abcdefg"), 8, "abcdefg"},
    {"one byte too long", S("abcdefgh"), 8, "abcd..."},
    {"much too long", S("abcdefghijklmnopqrstuvwxyz"), 8, "abcd..."},
    {"too long, unsafe bytes kept replaced", S("\n\n\n\n\n\n\n\n\n"), 8, "????..."},
    {"outsz 4", S("abcdef"), 4, "..."},
    {"outsz 3", S("abcdef"), 3, ".."},
    {"outsz 2", S("abcdef"), 2, "."},
    {"outsz 1", S("abcdef"), 1, ""},
    {"outsz 1, empty input", S(""), 1, ""},
    {"all printable ASCII kept", S(" ~!\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}"), 64,
     " ~!\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}"},
};

START_TEST(test_sanitize)
{
    const struct sanitize_row *r = &sanitize_rows[_i];
    char out[80];
    memset(out, 'Z', sizeof(out));
    char *ret = log_sanitize(r->in, r->len, out, r->outsz);
    ck_assert_ptr_eq(ret, out);
    ck_assert_msg(strcmp(out, r->want) == 0, "%s: got '%s', want '%s'", r->name, out, r->want);
    /* nothing written past outsz */
    for (size_t i = r->outsz; i < sizeof(out); i++)
        ck_assert_int_eq(out[i], 'Z');
}
END_TEST

START_TEST(test_sanitize_outsz_zero)
{
    char out[4] = "abc";
    ck_assert_ptr_eq(log_sanitize("xyz", 3, out, 0), out);
    ck_assert_str_eq(out, "abc");
}
END_TEST

/* ---- level names ---- */

struct level_row {
    const char *name;
    bool ok;
    enum log_level level;
};

static const struct level_row level_rows[] = {
    {"error", true, LOG_LEVEL_ERROR},
    {"warning", true, LOG_LEVEL_WARNING},
    {"info", true, LOG_LEVEL_INFO},
    {"debug", true, LOG_LEVEL_DEBUG},
    {"ERROR", true, LOG_LEVEL_ERROR},
    {"Debug", true, LOG_LEVEL_DEBUG},
    {"warn", false, 0},
    {"err", false, 0},
    {"", false, 0},
    {"debug ", false, 0},
    {" info", false, 0},
    {"notice", false, 0},
    {"3", false, 0},
};

START_TEST(test_level_parse)
{
    const struct level_row *r = &level_rows[_i];
    enum log_level got = (enum log_level)99;
    bool ok = log_level_parse(r->name, &got);
    ck_assert_msg(ok == r->ok, "'%s'", r->name);
    if (r->ok)
        ck_assert_int_eq(got, r->level);
    else
        ck_assert_int_eq(got, 99);
}
END_TEST

START_TEST(test_level_names)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        enum log_level l;
        ck_assert_str_eq(log_level_name((enum log_level)i), names[i]);
        ck_assert(log_level_parse(log_level_name((enum log_level)i), &l));
        ck_assert_int_eq(l, i);
    }
    ck_assert_str_eq(log_level_name((enum log_level)4), "unknown");
    ck_assert_str_eq(log_level_name((enum log_level) - 1), "unknown");
    enum log_level l;
    ck_assert(!log_level_parse(NULL, &l));
}
END_TEST

START_TEST(test_levels_enabled)
{
    log_set_level(LOG_LEVEL_WARNING);
    ck_assert_int_eq(log_get_level(), LOG_LEVEL_WARNING);
    ck_assert(log_enabled(LOG_LEVEL_ERROR));
    ck_assert(log_enabled(LOG_LEVEL_WARNING));
    ck_assert(!log_enabled(LOG_LEVEL_INFO));
    ck_assert(!log_enabled(LOG_LEVEL_DEBUG));
    log_set_level(LOG_LEVEL_DEBUG);
    ck_assert(log_enabled(LOG_LEVEL_DEBUG));
    log_set_level((enum log_level)42);
    ck_assert_int_eq(log_get_level(), LOG_LEVEL_DEBUG);
    log_set_level(LOG_LEVEL_INFO);
}
END_TEST

/* ---- the stderr sink ---- */

static int saved_stderr = -1;
static FILE *capture;

/* Point fd 2 at a fresh temporary file. */
static void capture_start(void)
{
    capture = tmpfile();
    ck_assert_ptr_nonnull(capture);
    saved_stderr = dup(STDERR_FILENO);
    ck_assert_int_ge(saved_stderr, 0);
    ck_assert_int_eq(dup2(fileno(capture), STDERR_FILENO), STDERR_FILENO);
}

/* Restore fd 2 and return what was written (malloc'ed). */
static char *capture_end(void)
{
    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    fseek(capture, 0, SEEK_END);
    long n = ftell(capture);
    rewind(capture);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, capture);
    buf[got] = '\0';
    fclose(capture);
    return buf;
}

/* log_limited(): the bucket's lines, then silence, then a line that says
 * how many were held back (in the caller's words, or the default); a
 * disabled level takes no token. */
START_TEST(test_limited)
{
    char want[1024];
    long pid = (long)getpid();
    struct log_limit l = LOG_LIMIT_INIT(2, 1);
    log_open("t", true);
    log_set_level(LOG_LEVEL_WARNING);
    capture_start();
    log_limited(&l, 100, LOG_LEVEL_INFO, NULL, "not logged %d", 0); /* takes no token */
    for (int i = 1; i <= 5; i++)
        log_limited(&l, 100, LOG_LEVEL_WARNING, NULL, "shed %d", i);
    log_limited(&l, 101, LOG_LEVEL_WARNING, NULL, "shed %d", 6);
    log_limited(&l, 101, LOG_LEVEL_WARNING, "more refused", "shed %d", 7);
    log_limited(&l, 102, LOG_LEVEL_WARNING, "more refused", "shed %d", 8);
    char *out = capture_end();
    snprintf(want, sizeof(want),
             "t[%ld]: warning: shed 1\n"
             "t[%ld]: warning: shed 2\n"
             "t[%ld]: warning: shed 6 (3 more like it not logged)\n"
             "t[%ld]: warning: shed 8 (1 more refused)\n",
             pid, pid, pid, pid);
    ck_assert_str_eq(out, want);
    free(out);
    log_close();
}
END_TEST

START_TEST(test_stderr_format)
{
    char want[256];
    log_open("testident", true);
    log_set_level(LOG_LEVEL_INFO);
    capture_start();
    log_info("hello %d %s", 42, "world");
    log_warning("careful");
    log_error("broken: %s", "yes");
    char *out = capture_end();
    snprintf(want, sizeof(want),
             "testident[%ld]: info: hello 42 world\n"
             "testident[%ld]: warning: careful\n"
             "testident[%ld]: error: broken: yes\n",
             (long)getpid(), (long)getpid(), (long)getpid());
    ck_assert_str_eq(out, want);
    free(out);
    log_close();
}
END_TEST

START_TEST(test_stderr_filtering)
{
    char want[256];
    log_open("t", true);
    log_set_level(LOG_LEVEL_WARNING);
    capture_start();
    log_debug("debug %d", 1);
    log_info("info %d", 2);
    log_warning("warning %d", 3);
    log_set_level(LOG_LEVEL_DEBUG);
    log_debug("debug %d", 4);
    log_set_level(LOG_LEVEL_ERROR);
    log_warning("warning %d", 5);
    errno = EPERM;
    log_warning_errno("warning %d", 6);
    log_error("error %d", 7);
    char *out = capture_end();
    snprintf(want, sizeof(want),
             "t[%ld]: warning: warning 3\nt[%ld]: debug: debug 4\nt[%ld]: error: error 7\n",
             (long)getpid(), (long)getpid(), (long)getpid());
    ck_assert_str_eq(out, want);
    free(out);
    log_set_level(LOG_LEVEL_INFO);
    log_close();
}
END_TEST

/* Arguments of a filtered message are not evaluated for log_debug. */
static int evaluated;
static int side_effect(void)
{
    return ++evaluated;
}

START_TEST(test_debug_lazy)
{
    log_set_level(LOG_LEVEL_INFO);
    evaluated = 0;
    log_debug("%d", side_effect());
    ck_assert_int_eq(evaluated, 0);
}
END_TEST

START_TEST(test_stderr_errno)
{
    char want[256];
    log_open("t", true);
    log_set_level(LOG_LEVEL_INFO);
    capture_start();
    errno = ENOENT;
    log_error_errno("open %s", "/x");
    ck_assert_int_eq(errno, ENOENT);
    errno = EACCES;
    log_warning_errno("bind %s", "/y");
    ck_assert_int_eq(errno, EACCES);
    errno = EINTR;
    log_info("plain");
    ck_assert_int_eq(errno, EINTR);
    char *out = capture_end();
    snprintf(want, sizeof(want),
             "t[%ld]: error: open /x: %s\nt[%ld]: warning: bind /y: %s\nt[%ld]: info: plain\n",
             (long)getpid(), strerror(ENOENT), (long)getpid(), strerror(EACCES), (long)getpid());
    ck_assert_str_eq(out, want);
    free(out);
    log_close();
}
END_TEST

/* A message can never produce a second line or raw escapes. */
START_TEST(test_stderr_control_bytes)
{
    char want[256];
    log_open("t", true);
    capture_start();
    log_info("peer said '%s'", "x\nt[1]: error: forged\x1b[0m");
    char *out = capture_end();
    snprintf(want, sizeof(want), "t[%ld]: info: peer said 'x?t[1]: error: forged?[0m'\n",
             (long)getpid());
    ck_assert_str_eq(out, want);
    free(out);
    log_close();
}
END_TEST

/* Long messages are cut with "..." and stay one line; errno text survives. */
START_TEST(test_stderr_long)
{
    char big[5000];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    log_open("t", true);
    capture_start();
    log_info("%s", big);
    errno = ENOENT;
    log_error_errno("%s", big);
    char *out = capture_end();
    char *nl = strchr(out, '\n');
    ck_assert_ptr_nonnull(nl);
    ck_assert_msg(nl - out < 2100 && nl - out > 2000, "first line %td bytes", nl - out);
    ck_assert(strncmp(nl - 3, "...", 3) == 0);
    char *second = nl + 1;
    nl = strchr(second, '\n');
    ck_assert_ptr_nonnull(nl);
    ck_assert_str_eq(nl + 1, "");
    ck_assert_ptr_nonnull(strstr(second, "...: No such file or directory\n"));
    free(out);
    log_close();
}
END_TEST

/* Default ident, an over-long ident, and the syslog sink (not captured). */
START_TEST(test_open_variants)
{
    char want[256];
    log_open(NULL, true);
    capture_start();
    log_info("a");
    char *out = capture_end();
    snprintf(want, sizeof(want), "mtastsd[%ld]: info: a\n", (long)getpid());
    ck_assert_str_eq(out, want);
    free(out);

    log_open("an-ident-much-longer-than-thirty-two-bytes", true);
    capture_start();
    log_info("b");
    out = capture_end();
    snprintf(want, sizeof(want), "an-ident-much-longer-than-thirt[%ld]: info: b\n", (long)getpid());
    ck_assert_str_eq(out, want);
    free(out);

    /* syslog: nothing on stderr */
    log_open("check_log", false);
    capture_start();
    log_set_level(LOG_LEVEL_DEBUG);
    log_debug("check_log test message (debug)");
    log_set_level(LOG_LEVEL_INFO);
    out = capture_end();
    ck_assert_str_eq(out, "");
    free(out);
    log_open("check_log", false); /* reopening closes first */
    log_close();

    /* after log_close: stderr again */
    capture_start();
    log_info("c");
    out = capture_end();
    ck_assert_ptr_nonnull(strstr(out, "]: info: c\n"));
    free(out);
}
END_TEST

/* ---- log_limit_take ---- */

/* One call: at `now`, whether a line may be logged and, if so, how many
 * were held back before it. */
struct limit_step {
    int64_t now;
    bool pass;
    uint64_t held;
};

static const struct {
    unsigned burst, interval;
    struct limit_step steps[12];
    size_t n;
} limit_rows[] = {
    /* a burst of 3 at once, then one per second */
    {3,
     1,
     {{100, 1, 0},
      {100, 1, 0},
      {100, 1, 0},
      {100, 0, 0},
      {100, 0, 0},
      {101, 1, 2},
      {101, 0, 0},
      {103, 1, 1},
      {103, 1, 0},
      {103, 0, 0},
      {110, 1, 1},
      {110, 1, 0}},
     12},
    /* one per 10 s */
    {1,
     10,
     {{1000, 1, 0},
      {1005, 0, 0},
      {1009, 0, 0},
      {1010, 1, 2},
      {1019, 0, 0},
      {1025, 1, 1},
      {1030, 1, 0},
      {1030, 0, 0}},
     8},
    /* the clock going back refills the bucket */
    {2, 5, {{50, 1, 0}, {50, 1, 0}, {50, 0, 0}, {40, 1, 1}, {40, 1, 0}, {40, 0, 0}}, 6},
    /* zero burst and interval act as 1 */
    {0, 0, {{7, 1, 0}, {7, 0, 0}, {8, 1, 1}}, 3},
};

START_TEST(test_limit)
{
    struct log_limit l = LOG_LIMIT_INIT(limit_rows[_i].burst, limit_rows[_i].interval);
    for (size_t k = 0; k < limit_rows[_i].n; k++) {
        const struct limit_step *st = &limit_rows[_i].steps[k];
        uint64_t held = 12345;
        bool pass = log_limit_take(&l, st->now, &held);
        ck_assert_msg(pass == st->pass, "row %d step %zu: pass %d", _i, k, pass);
        if (pass)
            ck_assert_msg(held == st->held, "row %d step %zu: held %llu", _i, k,
                          (unsigned long long)held);
        else
            ck_assert_uint_eq(held, 12345); /* untouched */
    }
}
END_TEST

static Suite *log_suite(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("sanitize");
    tcase_add_loop_test(tc, test_sanitize, 0,
                        (int)(sizeof(sanitize_rows) / sizeof(sanitize_rows[0])));
    tcase_add_test(tc, test_sanitize_outsz_zero);
    suite_add_tcase(s, tc);

    tc = tcase_create("levels");
    tcase_add_loop_test(tc, test_level_parse, 0, (int)(sizeof(level_rows) / sizeof(level_rows[0])));
    tcase_add_test(tc, test_level_names);
    tcase_add_test(tc, test_levels_enabled);
    tcase_add_test(tc, test_debug_lazy);
    suite_add_tcase(s, tc);

    tc = tcase_create("stderr");
    tcase_add_test(tc, test_stderr_format);
    tcase_add_test(tc, test_stderr_filtering);
    tcase_add_test(tc, test_stderr_errno);
    tcase_add_test(tc, test_stderr_control_bytes);
    tcase_add_test(tc, test_stderr_long);
    tcase_add_test(tc, test_open_variants);
    tcase_add_test(tc, test_limited);
    suite_add_tcase(s, tc);

    tc = tcase_create("limit");
    tcase_add_loop_test(tc, test_limit, 0, (int)(sizeof(limit_rows) / sizeof(limit_rows[0])));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(log_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

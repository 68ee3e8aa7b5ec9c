/*
 * check_smtpreply - unit tests for src/smtpreply.c, the SMTP reply parser
 * of the MX probe: one table of replies as a hostile or merely odd server
 * sends them, each fed whole, byte by byte and in two pieces at every
 * split point (the answer must not depend on how the bytes arrived);
 * bytes after a reply stay with the caller; the line and reply bounds at
 * their edges; EHLO keywords.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtpreply.h"

struct row {
    const char *name;
    const char *in;
    size_t len; /* 0: strlen(in) */
    enum smtpreply_status want;
    int code;
    size_t lines;
    const char *first; /* text of the first line */
    const char *last;  /* text of the last line */
    size_t used;       /* bytes taken; 0: all */
};

static const struct row rows[] = {
    {"greeting", "220 mx.example.com ESMTP Postfix\r\n", 0, SMTPREPLY_DONE, 220, 1,
     "mx.example.com ESMTP Postfix", "mx.example.com ESMTP Postfix", 0},
    {"code alone", "250\r\n", 0, SMTPREPLY_DONE, 250, 1, "", "", 0},
    {"code and a space", "250 \r\n", 0, SMTPREPLY_DONE, 250, 1, "", "", 0},
    {"bare LF", "220 hi\n", 0, SMTPREPLY_DONE, 220, 1, "hi", "hi", 0},
    {"multi-line EHLO",
     "250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 STARTTLS\r\n", 0,
     SMTPREPLY_DONE, 250, 4, "mx.example.com", "STARTTLS", 0},
    {"continuation without text", "250-\r\n250 ok\r\n", 0, SMTPREPLY_DONE, 250, 2, "", "ok", 0},
    {"mixed line ends", "250-a\n250-b\r\n250 c\n", 0, SMTPREPLY_DONE, 250, 3, "a", "c", 0},
    {"tabs and 8-bit text are data", "554 5.7.1 \xc3\xa9t\xc3\xa9\tno\r\n", 0, SMTPREPLY_DONE, 554,
     1, "5.7.1 \xc3\xa9t\xc3\xa9\tno", "5.7.1 \xc3\xa9t\xc3\xa9\tno", 0},
    {"highest code", "559 x\r\n", 0, SMTPREPLY_DONE, 559, 1, "x", "x", 0},
    {"lowest code", "200 x\r\n", 0, SMTPREPLY_DONE, 200, 1, "x", "x", 0},
    {"the next reply stays", "220 a\r\n250 b\r\n", 0, SMTPREPLY_DONE, 220, 1, "a", "a", 7},
    {"data after STARTTLS's answer stays", "220 go ahead\r\n\x16\x03\x01", 0, SMTPREPLY_DONE, 220,
     1, "go ahead", "go ahead", 14},
    {"incomplete line", "220 mx.example", 0, SMTPREPLY_MORE, 0, 0, NULL, NULL, 0},
    {"incomplete reply", "250-a\r\n250-b\r\n", 0, SMTPREPLY_MORE, 0, 0, NULL, NULL, 0},
    {"CR without LF yet", "250 a\r", 0, SMTPREPLY_MORE, 0, 0, NULL, NULL, 0},
    {"first digit 1", "120 wait\r\n", 0, SMTPREPLY_E_CODE, 0, 0, NULL, NULL, 0},
    {"first digit 6", "650 x\r\n", 0, SMTPREPLY_E_CODE, 0, 0, NULL, NULL, 0},
    {"second digit 6", "260 x\r\n", 0, SMTPREPLY_E_CODE, 0, 0, NULL, NULL, 0},
    {"codes differ", "250-a\r\n251 b\r\n", 0, SMTPREPLY_E_CODE, 0, 0, NULL, NULL, 0},
    {"letters for a code", "2x0 x\r\n", 0, SMTPREPLY_E_SYNTAX, 0, 0, NULL, NULL, 0},
    {"two digits", "25\r\n", 0, SMTPREPLY_E_SYNTAX, 0, 0, NULL, NULL, 0},
    {"four digits", "2500 x\r\n", 0, SMTPREPLY_E_SYNTAX, 0, 0, NULL, NULL, 0},
    {"wrong separator", "250:x\r\n", 0, SMTPREPLY_E_SYNTAX, 0, 0, NULL, NULL, 0},
    {"empty line", "\r\n", 0, SMTPREPLY_E_SYNTAX, 0, 0, NULL, NULL, 0},
    {"HTTP, not SMTP", "HTTP/1.1 400 Bad Request\r\n", 0, SMTPREPLY_E_SYNTAX, 0, 0, NULL, NULL, 0},
    {"NUL in the text", "220 a\0b\r\n", 9, SMTPREPLY_E_BYTE, 0, 0, NULL, NULL, 0},
    {"CR inside a line", "220 a\rb\r\n", 0, SMTPREPLY_E_BYTE, 0, 0, NULL, NULL, 0},
    {"CR CR LF", "220 a\r\r\n", 0, SMTPREPLY_E_BYTE, 0, 0, NULL, NULL, 0},
};

struct got {
    enum smtpreply_status st;
    size_t used;
};

/* Feed r the input in pieces: split at each offset in cuts (ascending). */
static struct got feed_pieces(struct smtpreply *r, const char *in, size_t len, const size_t *cuts,
                              size_t ncuts)
{
    struct got g = {SMTPREPLY_MORE, 0};
    size_t at = 0;

    smtpreply_init(r);
    for (size_t i = 0; i <= ncuts && g.st == SMTPREPLY_MORE; i++) {
        size_t end = i < ncuts ? cuts[i] : len, used = 0;
        g.st = smtpreply_feed(r, in + at, end - at, &used);
        ck_assert_uint_le(used, end - at);
        if (g.st == SMTPREPLY_MORE)
            ck_assert_uint_eq(used, end - at);
        g.used += used;
        at = end;
    }
    return g;
}

static void check_row(const struct row *w, const struct smtpreply *r, struct got g, const char *how)
{
    size_t len = w->len != 0 ? w->len : strlen(w->in);

    ck_assert_msg(g.st == w->want, "%s (%s): status %s, want %s", w->name, how,
                  smtpreply_strerror(g.st), smtpreply_strerror(w->want));
    if (w->want != SMTPREPLY_DONE) {
        ck_assert_ptr_null(smtpreply_line(r, 0));
        return;
    }
    ck_assert_msg(g.used == (w->used != 0 ? w->used : len), "%s (%s): used %zu", w->name, how,
                  g.used);
    ck_assert_int_eq(r->code, w->code);
    ck_assert_uint_eq(r->n_lines, w->lines);
    ck_assert_str_eq(smtpreply_line(r, 0), w->first);
    ck_assert_str_eq(smtpreply_line(r, r->n_lines - 1), w->last);
    ck_assert_ptr_null(smtpreply_line(r, r->n_lines));
}

START_TEST(test_table)
{
    const struct row *w = &rows[_i];
    size_t len = w->len != 0 ? w->len : strlen(w->in);
    struct smtpreply *r = malloc(sizeof(*r));
    size_t cuts[1024];

    ck_assert_ptr_nonnull(r);
    check_row(w, r, feed_pieces(r, w->in, len, NULL, 0), "whole");
    for (size_t i = 0; i + 1 < len && i < 1024; i++)
        cuts[i] = i + 1;
    check_row(w, r, feed_pieces(r, w->in, len, cuts, len > 0 ? len - 1 : 0), "byte by byte");
    for (size_t cut = 0; cut <= len; cut++)
        check_row(w, r, feed_pieces(r, w->in, len, &cut, 1), "two pieces");
    free(r);
}
END_TEST

/* An error is sticky; init starts over. */
START_TEST(test_sticky)
{
    struct smtpreply r;
    size_t used = 99;

    smtpreply_init(&r);
    ck_assert_int_eq(smtpreply_feed(&r, "xyz\r\n", 5, &used), SMTPREPLY_E_SYNTAX);
    ck_assert_int_eq(smtpreply_feed(&r, "220 ok\r\n", 8, &used), SMTPREPLY_E_SYNTAX);
    ck_assert_uint_eq(used, 0);
    smtpreply_init(&r);
    ck_assert_int_eq(smtpreply_feed(&r, "220 ok\r\n", 8, &used), SMTPREPLY_DONE);
    /* done is sticky too: the next reply needs a new init */
    ck_assert_int_eq(smtpreply_feed(&r, "250 ok\r\n", 8, &used), SMTPREPLY_DONE);
    ck_assert_uint_eq(used, 0);
    ck_assert_int_eq(r.code, 220);
}
END_TEST

/* "250 " + n text bytes + CRLF */
static char *line_of(size_t n, const char *sep, const char *end)
{
    char *s = malloc(n + 16);
    size_t at = (size_t)sprintf(s, "250%s", sep);
    memset(s + at, 'a', n);
    strcpy(s + at + n, end);
    return s;
}

START_TEST(test_line_bound)
{
    struct smtpreply r;
    size_t used;
    /* 512 bytes with CRLF: the longest line RFC 5321 allows */
    char *ok = line_of(SMTPREPLY_LINE_MAX - 6, " ", "\r\n");
    char *ok_lf = line_of(SMTPREPLY_LINE_MAX - 5, " ", "\n");
    char *bad = line_of(SMTPREPLY_LINE_MAX - 5, " ", "\r\n");
    char *huge = line_of(100000, " ", "\r\n");

    ck_assert_uint_eq(strlen(ok), SMTPREPLY_LINE_MAX);
    smtpreply_init(&r);
    ck_assert_int_eq(smtpreply_feed(&r, ok, strlen(ok), &used), SMTPREPLY_DONE);
    ck_assert_uint_eq(strlen(smtpreply_line(&r, 0)), SMTPREPLY_LINE_MAX - 6);
    smtpreply_init(&r);
    ck_assert_int_eq(smtpreply_feed(&r, ok_lf, strlen(ok_lf), &used), SMTPREPLY_DONE);
    smtpreply_init(&r);
    ck_assert_int_eq(smtpreply_feed(&r, bad, strlen(bad), &used), SMTPREPLY_E_LINE);
    smtpreply_init(&r);
    ck_assert_int_eq(smtpreply_feed(&r, huge, strlen(huge), &used), SMTPREPLY_E_LINE);
    ck_assert_uint_le(used, SMTPREPLY_LINE_MAX);
    free(ok);
    free(ok_lf);
    free(bad);
    free(huge);
}
END_TEST

START_TEST(test_reply_bounds)
{
    struct smtpreply r;
    char buf[SMTPREPLY_LINES_MAX * 8 + 64];
    size_t at = 0, used;

    /* exactly SMTPREPLY_LINES_MAX lines */
    for (int i = 0; i < SMTPREPLY_LINES_MAX - 1; i++)
        at += (size_t)sprintf(buf + at, "250-%02d\r\n", i);
    at += (size_t)sprintf(buf + at, "250 end\r\n");
    smtpreply_init(&r);
    ck_assert_int_eq(smtpreply_feed(&r, buf, at, &used), SMTPREPLY_DONE);
    ck_assert_uint_eq(r.n_lines, SMTPREPLY_LINES_MAX);
    ck_assert_str_eq(smtpreply_line(&r, SMTPREPLY_LINES_MAX - 1), "end");
    /* one more */
    at = 0;
    for (int i = 0; i < SMTPREPLY_LINES_MAX; i++)
        at += (size_t)sprintf(buf + at, "250-%02d\r\n", i);
    at += (size_t)sprintf(buf + at, "250 end\r\n");
    smtpreply_init(&r);
    ck_assert_int_eq(smtpreply_feed(&r, buf, at, &used), SMTPREPLY_E_MANY_LINES);

    /* text: 9 lines of 500 bytes is over SMTPREPLY_TEXT_MAX */
    char *l = line_of(500, "-", "\r\n");
    smtpreply_init(&r);
    enum smtpreply_status st = SMTPREPLY_MORE;
    for (int i = 0; i < 9 && st == SMTPREPLY_MORE; i++)
        st = smtpreply_feed(&r, l, strlen(l), &used);
    ck_assert_int_eq(st, SMTPREPLY_E_TOO_LONG);
    free(l);
}
END_TEST

START_TEST(test_ehlo)
{
    static const char ehlo[] = "250-mx.example.com Hello STARTTLS friend\r\n"
                               "250-PIPELINING\r\n"
                               "250-SIZE 10240000\r\n"
                               "250-starttlsx\r\n"
                               "250-8BITMIME\r\n"
                               "250 starttls\r\n";
    static const char plain[] = "250-mx.example.com\r\n250-STARTTLSX\r\n250 AUTH STARTTLS\r\n";
    struct smtpreply r;
    size_t used;

    smtpreply_init(&r);
    ck_assert_int_eq(smtpreply_feed(&r, ehlo, strlen(ehlo), &used), SMTPREPLY_DONE);
    ck_assert(smtpreply_ehlo_has(&r, "STARTTLS")); /* last line, any case */
    ck_assert(smtpreply_ehlo_has(&r, "size"));     /* keyword with a parameter */
    ck_assert(smtpreply_ehlo_has(&r, "PIPELINING"));
    ck_assert(!smtpreply_ehlo_has(&r, "SIZE 1"));
    ck_assert(!smtpreply_ehlo_has(&r, "SMTPUTF8"));
    ck_assert(!smtpreply_ehlo_has(&r, "mx.example.com")); /* the greeting is no keyword */
    ck_assert(!smtpreply_ehlo_has(&r, ""));

    /* Neither the greeting's words, a longer keyword nor a parameter count. */
    smtpreply_init(&r);
    ck_assert_int_eq(smtpreply_feed(&r, plain, strlen(plain), &used), SMTPREPLY_DONE);
    ck_assert(!smtpreply_ehlo_has(&r, "STARTTLS"));

    /* Not a done reply: nothing. */
    smtpreply_init(&r);
    ck_assert_int_eq(smtpreply_feed(&r, "250-STARTTLS\r\n", 14, &used), SMTPREPLY_MORE);
    ck_assert(!smtpreply_ehlo_has(&r, "STARTTLS"));
}
END_TEST

START_TEST(test_strerror)
{
    for (int s = SMTPREPLY_MORE; s <= SMTPREPLY_E_BYTE; s++) {
        const char *t = smtpreply_strerror((enum smtpreply_status)s);
        ck_assert_ptr_nonnull(t);
        ck_assert_uint_gt(strlen(t), 0);
    }
}
END_TEST

static Suite *smtpreply_suite(void)
{
    Suite *s = suite_create("smtpreply");
    TCase *tc = tcase_create("replies");
    tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(rows) / sizeof(rows[0])));
    tcase_add_test(tc, test_sticky);
    tcase_add_test(tc, test_line_bound);
    tcase_add_test(tc, test_reply_bounds);
    tcase_add_test(tc, test_ehlo);
    tcase_add_test(tc, test_strerror);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(smtpreply_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

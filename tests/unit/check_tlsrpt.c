/*
 * check_tlsrpt - unit tests for src/tlsrpt.c (RFC 8460 section 3).
 *
 * Table-driven: one row per ABNF rule, URI rule or hostile input for
 * tlsrpt_parse() (with the rua URIs it must find, or the reason it must
 * give), one row per record-set case for tlsrpt_select(), and the limits
 * (record length, URI count).  Records carry explicit lengths so that NUL
 * bytes are tested.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsrpt.h"

#define S(lit) lit, sizeof(lit) - 1

struct parse_case {
    const char *name;
    const char *rec;
    size_t len;
    enum tlsrpt_status want;
    const char *rua; /* OK: URIs joined by '|'; else: a part of the reason */
};

static const struct parse_case parse_cases[] = {
    /* valid records */
    {"rfc example", S("v=TLSRPTv1;rua=mailto:reports@example.com"), TLSRPT_OK,
     "mailto:reports@example.com"},
    {"space after delimiter", S("v=TLSRPTv1; rua=mailto:tlsrpt@example.com"), TLSRPT_OK,
     "mailto:tlsrpt@example.com"},
    {"https", S("v=TLSRPTv1; rua=https://reports.example.com/v1/tlsrpt"), TLSRPT_OK,
     "https://reports.example.com/v1/tlsrpt"},
    {"two URIs", S("v=TLSRPTv1; rua=mailto:a@example.com,https://r.example/x"), TLSRPT_OK,
     "mailto:a@example.com|https://r.example/x"},
    {"spaces around comma", S("v=TLSRPTv1; rua=mailto:a@x.example , mailto:b@x.example;"),
     TLSRPT_OK, "mailto:a@x.example|mailto:b@x.example"},
    {"tab around delimiter", S("v=TLSRPTv1\t;\trua=mailto:a@x.example\t;"), TLSRPT_OK,
     "mailto:a@x.example"},
    {"space before first delimiter", S("v=TLSRPTv1 ; rua=mailto:a@x.example"), TLSRPT_OK,
     "mailto:a@x.example"},
    {"extension after rua", S("v=TLSRPTv1; rua=mailto:a@x.example; foo=bar"), TLSRPT_OK,
     "mailto:a@x.example"},
    {"extension before rua", S("v=TLSRPTv1; x-y.z_1=a:b/c; rua=mailto:a@x.example"), TLSRPT_OK,
     "mailto:a@x.example"},
    {"scheme case", S("v=TLSRPTv1; rua=MailTo:a@x.example,HTTPS://r.example/"), TLSRPT_OK,
     "MailTo:a@x.example|HTTPS://r.example/"},
    {"encoded comma and bang", S("v=TLSRPTv1; rua=mailto:a%2Cb%21@x.example"), TLSRPT_OK,
     "mailto:a%2Cb%21@x.example"},
    {"mailto with query", S("v=TLSRPTv1; rua=mailto:a@x.example?subject=tlsrpt"), TLSRPT_OK,
     "mailto:a@x.example?subject=tlsrpt"},
    {"https with port query fragment", S("v=TLSRPTv1; rua=https://r.example:8443/p?q=1&r=2#f"),
     TLSRPT_OK, "https://r.example:8443/p?q=1&r=2#f"},
    {"https IPv6 literal", S("v=TLSRPTv1; rua=https://[2001:db8::1]/r"), TLSRPT_OK,
     "https://[2001:db8::1]/r"},
    {"rua repeated: first wins", S("v=TLSRPTv1; rua=mailto:a@x.example; rua=mailto:b@y.example"),
     TLSRPT_OK, "mailto:a@x.example"},
    {"trailing delimiter and spaces", S("v=TLSRPTv1; rua=mailto:a@x.example;  "), TLSRPT_OK,
     "mailto:a@x.example"},
    /* not a TLSRPT record at all */
    {"empty", S(""), TLSRPT_NONE, "does not begin"},
    {"lowercase version", S("v=tlsrptv1; rua=mailto:a@x.example"), TLSRPT_NONE, "does not begin"},
    {"version 10", S("v=TLSRPTv10; rua=mailto:a@x.example"), TLSRPT_NONE, "does not begin"},
    {"leading space", S(" v=TLSRPTv1; rua=mailto:a@x.example"), TLSRPT_NONE, "does not begin"},
    {"an STS record", S("v=STSv1; id=1"), TLSRPT_NONE, "does not begin"},
    {"NUL after version", S("v=TLSRPTv1\0; rua=mailto:a@x.example"), TLSRPT_NONE, "does not begin"},
    /* invalid: fields */
    {"version only", S("v=TLSRPTv1"), TLSRPT_INVALID, "no rua"},
    {"version and delimiter", S("v=TLSRPTv1;"), TLSRPT_INVALID, "no rua"},
    {"Rua is an extension", S("v=TLSRPTv1; Rua=mailto:a@x.example"), TLSRPT_INVALID, "no rua"},
    {"no delimiter", S("v=TLSRPTv1 rua=mailto:a@x.example"), TLSRPT_INVALID, "separated by ';'"},
    {"double delimiter", S("v=TLSRPTv1;; rua=mailto:a@x.example"), TLSRPT_INVALID,
     "letter or digit"},
    {"trailing space", S("v=TLSRPTv1; rua=mailto:a@x.example "), TLSRPT_INVALID, "whitespace"},
    {"empty extension value", S("v=TLSRPTv1; rua=mailto:a@x.example; x="), TLSRPT_INVALID,
     "empty or invalid value"},
    {"'=' in extension value", S("v=TLSRPTv1; rua=mailto:a@x.example; x=a=b"), TLSRPT_INVALID,
     "separated by ';'"},
    {"extension without '='", S("v=TLSRPTv1; rua=mailto:a@x.example; x"), TLSRPT_INVALID,
     "name=value"},
    {"extension name 33 chars",
     S("v=TLSRPTv1; rua=mailto:a@x.example; abcdefghijklmnopqrstuvwxyz0123456=x"), TLSRPT_INVALID,
     "longer than 32"},
    {"second rua invalid", S("v=TLSRPTv1; rua=mailto:a@x.example; rua=ftp://x"), TLSRPT_INVALID,
     "mailto: or https:"},
    /* invalid: URIs */
    {"empty rua", S("v=TLSRPTv1; rua="), TLSRPT_INVALID, "empty rua"},
    {"empty rua then field", S("v=TLSRPTv1; rua=; x=y"), TLSRPT_INVALID, "empty rua"},
    {"trailing comma", S("v=TLSRPTv1; rua=mailto:a@x.example,"), TLSRPT_INVALID, "empty rua"},
    {"no scheme", S("v=TLSRPTv1; rua=tlsrpt@example.com"), TLSRPT_INVALID, "scheme"},
    {"other scheme", S("v=TLSRPTv1; rua=http://r.example/"), TLSRPT_INVALID, "mailto: or https:"},
    {"bad scheme char", S("v=TLSRPTv1; rua=ma_ilto:a@x.example"), TLSRPT_INVALID, "scheme"},
    {"mailto without address", S("v=TLSRPTv1; rua=mailto:"), TLSRPT_INVALID, "no address"},
    {"mailto without local part", S("v=TLSRPTv1; rua=mailto:@x.example"), TLSRPT_INVALID,
     "no address"},
    {"mailto without domain", S("v=TLSRPTv1; rua=mailto:a@"), TLSRPT_INVALID, "no address"},
    {"mailto without @", S("v=TLSRPTv1; rua=mailto:postmaster"), TLSRPT_INVALID, "no address"},
    {"mailto @ only in query", S("v=TLSRPTv1; rua=mailto:a?cc=b@x.example"), TLSRPT_INVALID,
     "no address"},
    {"https without slashes", S("v=TLSRPTv1; rua=https:r.example"), TLSRPT_INVALID, "https://host"},
    {"https without host", S("v=TLSRPTv1; rua=https:///path"), TLSRPT_INVALID, "no host"},
    {"https nothing after //", S("v=TLSRPTv1; rua=https://"), TLSRPT_INVALID, "no host"},
    {"unencoded bang", S("v=TLSRPTv1; rua=mailto:a!b@x.example"), TLSRPT_INVALID, "%21"},
    {"bad percent", S("v=TLSRPTv1; rua=mailto:a%2@x.example"), TLSRPT_INVALID, "two hex"},
    {"percent at end", S("v=TLSRPTv1; rua=mailto:a@x.example%"), TLSRPT_INVALID, "two hex"},
    {"space inside URI", S("v=TLSRPTv1; rua=mailto:a @x.example"), TLSRPT_INVALID, ""},
    {"control byte", S("v=TLSRPTv1; rua=mailto:a\x01@x.example"), TLSRPT_INVALID,
     "character URIs do not allow"},
    {"NUL in URI", S("v=TLSRPTv1; rua=mailto:a\0@x.example"), TLSRPT_INVALID,
     "character URIs do not allow"},
    {"quote in URI", S("v=TLSRPTv1; rua=mailto:\"a\"@x.example"), TLSRPT_INVALID,
     "character URIs do not allow"},
    {"UTF-8 in URI", S("v=TLSRPTv1; rua=mailto:caf\xc3\xa9@x.example"), TLSRPT_INVALID,
     "character URIs do not allow"},
    {"LF at end", S("v=TLSRPTv1; rua=mailto:a@x.example\n"), TLSRPT_INVALID,
     "character URIs do not allow"},
};

START_TEST(test_parse)
{
    const struct parse_case *c = &parse_cases[_i];
    struct tlsrpt out;
    const char *why = "unset";
    char got[1024] = "";

    memset(&out, 0x5a, sizeof(out));
    enum tlsrpt_status st = tlsrpt_parse(c->rec, c->len, &out, &why);
    ck_assert_msg(st == c->want, "%s: got %s (%s), want %s", c->name, tlsrpt_strerror(st),
                  why != NULL ? why : "-", tlsrpt_strerror(c->want));
    if (st != TLSRPT_OK) {
        ck_assert_msg(why != NULL && strstr(why, c->rua) != NULL, "%s: reason '%s', want '%s'",
                      c->name, why != NULL ? why : "(null)", c->rua);
        ck_assert_uint_eq(out.n_rua, 0);
        return;
    }
    ck_assert_msg(why == NULL, "%s: reason for a valid record", c->name);
    for (size_t i = 0; i < out.n_rua; i++) {
        if (i > 0)
            strcat(got, "|");
        strncat(got, out.rua[i].p, out.rua[i].len);
        /* The URI points into the record. */
        ck_assert(out.rua[i].p >= c->rec && out.rua[i].p + out.rua[i].len <= c->rec + c->len);
        ck_assert_int_eq(out.rua[i].scheme,
                         (out.rua[i].p[0] | 0x20) == 'm' ? TLSRPT_MAILTO : TLSRPT_HTTPS);
    }
    ck_assert_msg(strcmp(got, c->rua) == 0, "%s: rua '%s', want '%s'", c->name, got, c->rua);
    /* A NULL reason pointer is allowed. */
    ck_assert_int_eq(tlsrpt_parse(c->rec, c->len, &out, NULL), TLSRPT_OK);
}
END_TEST

START_TEST(test_limits)
{
    size_t len = TLSRPT_MAX + 1;
    char *rec = malloc(len);
    struct tlsrpt out;
    const char *why = NULL;

    ck_assert_ptr_nonnull(rec);
    /* A valid record padded with an extension up to and beyond the limit. */
    memset(rec, 'a', len);
    memcpy(rec, "v=TLSRPTv1; rua=mailto:a@x.example; x=", 38);
    ck_assert_int_eq(tlsrpt_parse(rec, len - 1, &out, &why), TLSRPT_OK);
    ck_assert_int_eq(tlsrpt_parse(rec, len, &out, &why), TLSRPT_INVALID);
    ck_assert_ptr_nonnull(strstr(why, "4096"));
    free(rec);

    /* More URIs than kept: all checked and counted, the first kept. */
    char many[2048] = "v=TLSRPTv1; rua=";
    for (int i = 0; i < TLSRPT_MAX_RUA + 4; i++)
        sprintf(many + strlen(many), "%smailto:r%d@x.example", i > 0 ? "," : "", i);
    ck_assert_int_eq(tlsrpt_parse(many, strlen(many), &out, &why), TLSRPT_OK);
    ck_assert_uint_eq(out.n_rua, TLSRPT_MAX_RUA + 4);
    ck_assert_int_eq(strncmp(out.rua[TLSRPT_MAX_RUA - 1].p, "mailto:r15@", 11), 0);
    strcat(many, ",ftp://x");
    ck_assert_int_eq(tlsrpt_parse(many, strlen(many), &out, &why), TLSRPT_INVALID);
}
END_TEST

struct select_case {
    const char *name;
    const char *recs[4];
    size_t n;
    enum tlsrpt_status want;
    size_t index;
};

static const struct select_case select_cases[] = {
    {"no records", {NULL}, 0, TLSRPT_NONE, 0},
    {"one valid", {"v=TLSRPTv1; rua=mailto:a@x.example"}, 1, TLSRPT_OK, 0},
    {"unrelated only", {"v=spf1 -all", "hello"}, 2, TLSRPT_NONE, 0},
    {"valid among others",
     {"v=spf1 -all", "v=TLSRPTv10; rua=mailto:b@x.example", "v=TLSRPTv1;rua=mailto:a@x.example"},
     3,
     TLSRPT_OK,
     2},
    {"two valid",
     {"v=TLSRPTv1; rua=mailto:a@x.example", "v=TLSRPTv1; rua=mailto:b@x.example"},
     2,
     TLSRPT_MULTIPLE,
     0},
    {"valid and invalid",
     {"v=TLSRPTv1; rua=mailto:a@x.example", "v=TLSRPTv1"},
     2,
     TLSRPT_MULTIPLE,
     0},
    {"only invalid", {"v=spf1", "v=TLSRPTv1; rua=ftp://x"}, 2, TLSRPT_INVALID, 1},
};

START_TEST(test_select)
{
    const struct select_case *c = &select_cases[_i];
    struct sts_txt_rr rrs[4];
    struct tlsrpt out;
    size_t index = 99;
    const char *why = "unset";

    for (size_t i = 0; i < c->n; i++) {
        rrs[i].data = c->recs[i];
        rrs[i].len = strlen(c->recs[i]);
    }
    enum tlsrpt_status st = tlsrpt_select(rrs, c->n, &out, &index, &why);
    ck_assert_msg(st == c->want, "%s: got %s, want %s", c->name, tlsrpt_strerror(st),
                  tlsrpt_strerror(c->want));
    if (st == TLSRPT_OK || st == TLSRPT_INVALID)
        ck_assert_uint_eq(index, c->index);
    if (st == TLSRPT_OK)
        ck_assert(why == NULL && out.n_rua == 1);
    else
        ck_assert(why != NULL && out.n_rua == 0);
    ck_assert_int_eq(tlsrpt_select(rrs, c->n, &out, NULL, NULL), st);
}
END_TEST

START_TEST(test_strerror)
{
    static const enum tlsrpt_status all[] = {TLSRPT_OK, TLSRPT_NONE, TLSRPT_MULTIPLE,
                                             TLSRPT_INVALID};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(tlsrpt_strerror(all[i]), tlsrpt_strerror(all[j]));
    ck_assert_str_eq(tlsrpt_strerror((enum tlsrpt_status)99), "unknown TLSRPT record status");
}
END_TEST

#define NROWS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *tlsrpt_suite(void)
{
    Suite *s = suite_create("tlsrpt");
    TCase *tc = tcase_create("parse");
    tcase_add_loop_test(tc, test_parse, 0, NROWS(parse_cases));
    tcase_add_test(tc, test_limits);
    suite_add_tcase(s, tc);
    tc = tcase_create("select");
    tcase_add_loop_test(tc, test_select, 0, NROWS(select_cases));
    tcase_add_test(tc, test_strerror);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(tlsrpt_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

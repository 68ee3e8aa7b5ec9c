/*
 * check_sts_txt - unit tests for src/sts_txt.c (RFC 8461 section 3.1).
 *
 * Table-driven: one row per ABNF rule or hostile input for
 * sts_txt_parse(), and one row per record-set case for sts_txt_select().
 * Records are given with explicit lengths so that NUL bytes can be tested.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts_txt.h"

#define S(lit) lit, sizeof(lit) - 1

struct parse_case {
    const char *name;
    const char *rec;
    size_t len;
    enum sts_txt_status want;
    const char *id; /* expected id when want == STS_TXT_OK */
};

static char id32[] = "v=STSv1; id=0123456789abcdefABCDEF0123456789";
static char id33[] = "v=STSv1; id=0123456789abcdefABCDEF01234567890";
static char name32[] = "v=STSv1; id=1; abcdefghijklmnopqrstuvwxyz012345=x";
static char name33[] = "v=STSv1; id=1; abcdefghijklmnopqrstuvwxyz0123456=x";

static const struct parse_case parse_cases[] = {
    /* the RFC example and the basic shape */
    {"rfc example", S("v=STSv1; id=20160831085700Z;"), STS_TXT_OK, "20160831085700Z"},
    {"no trailing delimiter", S("v=STSv1; id=abc"), STS_TXT_OK, "abc"},
    {"no spaces", S("v=STSv1;id=abc"), STS_TXT_OK, "abc"},
    {"space before delimiter", S("v=STSv1 ;id=abc"), STS_TXT_OK, "abc"},
    {"tabs around delimiter", S("v=STSv1\t;\tid=abc\t;\t"), STS_TXT_OK, "abc"},
    {"many spaces around delimiter", S("v=STSv1   ;   id=abc   ;"), STS_TXT_OK, "abc"},
    {"trailing delimiter then spaces", S("v=STSv1; id=abc; "), STS_TXT_OK, "abc"},
    /* sts-version */
    {"version only", S("v=STSv1"), STS_TXT_INVALID, NULL},
    {"version and delimiter only", S("v=STSv1;"), STS_TXT_INVALID, NULL},
    {"version lowercase", S("v=stsv1; id=abc"), STS_TXT_NONE, NULL},
    {"V uppercase", S("V=STSv1; id=abc"), STS_TXT_NONE, NULL},
    {"version STSv10", S("v=STSv10; id=abc"), STS_TXT_NONE, NULL},
    {"version STSv2", S("v=STSv2; id=abc"), STS_TXT_NONE, NULL},
    {"leading space", S(" v=STSv1; id=abc"), STS_TXT_NONE, NULL},
    {"id before version", S("id=abc; v=STSv1"), STS_TXT_NONE, NULL},
    {"empty record", S(""), STS_TXT_NONE, NULL},
    {"spaces around =", S("v = STSv1; id=abc"), STS_TXT_NONE, NULL},
    /* sts-id */
    {"id 1 char", S("v=STSv1; id=a"), STS_TXT_OK, "a"},
    {"id 32 chars", id32, sizeof(id32) - 1, STS_TXT_OK, "0123456789abcdefABCDEF0123456789"},
    {"id 33 chars", id33, sizeof(id33) - 1, STS_TXT_INVALID, NULL},
    {"id empty", S("v=STSv1; id="), STS_TXT_INVALID, NULL},
    {"id empty then delimiter", S("v=STSv1; id=;"), STS_TXT_INVALID, NULL},
    {"id with hyphen", S("v=STSv1; id=abc-def"), STS_TXT_INVALID, NULL},
    {"id with underscore", S("v=STSv1; id=abc_def"), STS_TXT_INVALID, NULL},
    {"id with dot", S("v=STSv1; id=2024.01"), STS_TXT_INVALID, NULL},
    {"id with inner space", S("v=STSv1; id=abc def"), STS_TXT_INVALID, NULL},
    {"id with UTF-8", S("v=STSv1; id=caf\xc3\xa9"), STS_TXT_INVALID, NULL},
    {"id missing", S("v=STSv1; foo=bar"), STS_TXT_INVALID, NULL},
    {"ID uppercase is an extension", S("v=STSv1; ID=abc"), STS_TXT_INVALID, NULL},
    {"id repeated first wins", S("v=STSv1; id=first; id=second"), STS_TXT_OK, "first"},
    {"second id invalid", S("v=STSv1; id=first; id=bad-one"), STS_TXT_INVALID, NULL},
    {"id spaces around =", S("v=STSv1; id = abc"), STS_TXT_INVALID, NULL},
    /* sts-field-delim */
    {"trailing space without delimiter", S("v=STSv1; id=abc "), STS_TXT_INVALID, NULL},
    {"double delimiter", S("v=STSv1;; id=abc"), STS_TXT_INVALID, NULL},
    {"double trailing delimiter", S("v=STSv1; id=abc;;"), STS_TXT_INVALID, NULL},
    {"comma after version", S("v=STSv1, id=abc"), STS_TXT_NONE, NULL},
    {"comma delimiter", S("v=STSv1; id=abc, x=y"), STS_TXT_INVALID, NULL},
    {"space delimiter", S("v=STSv1 id=abc"), STS_TXT_INVALID, NULL},
    {"CR in delimiter", S("v=STSv1;\rid=abc"), STS_TXT_INVALID, NULL},
    {"LF at end", S("v=STSv1; id=abc\n"), STS_TXT_INVALID, NULL},
    /* sts-extension */
    {"extension after id", S("v=STSv1; id=abc; foo=bar"), STS_TXT_OK, "abc"},
    {"extension before id", S("v=STSv1; foo=bar; id=abc"), STS_TXT_OK, "abc"},
    {"extension name chars", S("v=STSv1; id=1; a_b-c.d9=x"), STS_TXT_OK, "1"},
    {"extension name 32 chars", name32, sizeof(name32) - 1, STS_TXT_OK, "1"},
    {"extension name 33 chars", name33, sizeof(name33) - 1, STS_TXT_INVALID, NULL},
    {"extension name starts with _", S("v=STSv1; id=1; _x=y"), STS_TXT_INVALID, NULL},
    {"extension name starts with -", S("v=STSv1; id=1; -x=y"), STS_TXT_INVALID, NULL},
    {"extension name empty", S("v=STSv1; id=1; =y"), STS_TXT_INVALID, NULL},
    {"extension name with colon", S("v=STSv1; id=1; a:b=y"), STS_TXT_INVALID, NULL},
    {"extension value punctuation", S("v=STSv1; id=1; x=!\"#$%&'()*+,-./:<>?@[\\]^_`{|}~"),
     STS_TXT_OK, "1"},
    {"extension value empty", S("v=STSv1; id=1; x="), STS_TXT_INVALID, NULL},
    {"extension value with =", S("v=STSv1; id=1; x=a=b"), STS_TXT_INVALID, NULL},
    {"extension value with space", S("v=STSv1; id=1; x=a b"), STS_TXT_INVALID, NULL},
    {"extension value with DEL", S("v=STSv1; id=1; x=a\x7f"), STS_TXT_INVALID, NULL},
    {"extension value with 8-bit", S("v=STSv1; id=1; x=\xc3\xa9"), STS_TXT_INVALID, NULL},
    {"extension without =", S("v=STSv1; id=1; flag"), STS_TXT_INVALID, NULL},
    {"v repeated as extension", S("v=STSv1; v=STSv1; id=1"), STS_TXT_OK, "1"},
    /* hostile bytes */
    {"NUL after version", S("v=STSv1\0; id=abc"), STS_TXT_NONE, NULL},
    {"NUL in id", S("v=STSv1; id=ab\0c"), STS_TXT_INVALID, NULL},
    {"NUL at end", S("v=STSv1; id=abc;\0"), STS_TXT_INVALID, NULL},
    {"control byte in extension", S("v=STSv1; id=1; x=a\x01"), STS_TXT_INVALID, NULL},
    {"injection attempt", S("v=STSv1; id=1 servername=evil"), STS_TXT_INVALID, NULL},
};

START_TEST(test_parse)
{
    const struct parse_case *c = &parse_cases[_i];
    struct sts_txt out;

    memset(&out, 'X', sizeof(out));
    enum sts_txt_status st = sts_txt_parse(c->rec, c->len, &out);
    ck_assert_msg(st == c->want, "%s: got %s, want %s", c->name, sts_txt_strerror(st),
                  sts_txt_strerror(c->want));
    if (c->want == STS_TXT_OK)
        ck_assert_msg(strcmp(out.id, c->id) == 0, "%s: id %s, want %s", c->name, out.id, c->id);
    else
        ck_assert_msg(out.id[0] == '\0', "%s: id not cleared on failure", c->name);
}
END_TEST

START_TEST(test_parse_too_long)
{
    /* A valid record padded with extensions beyond STS_TXT_MAX. */
    size_t len = STS_TXT_MAX + 1;
    char *rec = malloc(len);
    struct sts_txt out;

    ck_assert_ptr_nonnull(rec);
    memset(rec, 'a', len);
    memcpy(rec, "v=STSv1; id=abc; x=", 19);
    ck_assert_int_eq(sts_txt_parse(rec, len, &out), STS_TXT_INVALID);
    ck_assert_int_eq(sts_txt_parse(rec, len - 1, &out), STS_TXT_OK);
    ck_assert_str_eq(out.id, "abc");
    free(rec);
}
END_TEST

/* sts_txt_parse_why() is the same parser: same status on every row, and a
 * reason exactly when the record is not valid. */
START_TEST(test_why_agrees)
{
    const struct parse_case *c = &parse_cases[_i];
    struct sts_txt a, b;
    const char *why = "unset";

    enum sts_txt_status st = sts_txt_parse_why(c->rec, c->len, &a, &why);
    ck_assert_msg(st == sts_txt_parse(c->rec, c->len, &b), "%s: statuses differ", c->name);
    ck_assert_str_eq(a.id, b.id);
    if (st == STS_TXT_OK)
        ck_assert_msg(why == NULL, "%s: reason '%s' for a valid record", c->name, why);
    else
        ck_assert_msg(why != NULL && why[0] != '\0', "%s: no reason", c->name);
}
END_TEST

/* The reason names the rule the record breaks (what mtastsd-ctl check shows). */
static const struct {
    const char *rec;
    const char *why;
} why_cases[] = {
    {"v=STSv1", "no id= field"},
    {"v=STSv1; foo=bar", "no id= field"},
    {"v=STSv1; id=abc-def", "id must be 1-32 letters and digits"},
    {"v=STSv1; id=0123456789abcdefABCDEF01234567890", "id must be 1-32 letters and digits"},
    {"v=STSv1; id=", "id must be 1-32 letters and digits"},
    {"v=STSv1; id=abc ", "whitespace after the last field"},
    {"v=STSv1 id=abc", "fields must be separated by ';'"},
    {"v=STSv1;; id=abc", "a field name must start with a letter or digit"},
    {"v=STSv1; id=1; x", "expected name=value"},
    {"v=STSv1; id=1; x=", "a field has an empty or invalid value"},
    {"v=STSv1; id=1; abcdefghijklmnopqrstuvwxyz0123456=x", "longer than 32 characters"},
    {"v=spf1 -all", "does not begin with v=STSv1"},
};

START_TEST(test_why_reason)
{
    struct sts_txt out;
    const char *why = NULL;

    sts_txt_parse_why(why_cases[_i].rec, strlen(why_cases[_i].rec), &out, &why);
    ck_assert_ptr_nonnull(why);
    ck_assert_msg(strstr(why, why_cases[_i].why) != NULL, "'%s': reason '%s', want '%s'",
                  why_cases[_i].rec, why, why_cases[_i].why);
    /* A NULL why is allowed. */
    sts_txt_parse_why(why_cases[_i].rec, strlen(why_cases[_i].rec), &out, NULL);
}
END_TEST

struct select_case {
    const char *name;
    const char *recs[4];
    size_t n;
    enum sts_txt_status want;
    const char *id;
};

static const struct select_case select_cases[] = {
    {"no records", {NULL}, 0, STS_TXT_NONE, NULL},
    {"one valid", {"v=STSv1; id=abc"}, 1, STS_TXT_OK, "abc"},
    {"one unrelated", {"v=spf1 -all"}, 1, STS_TXT_NONE, NULL},
    {"valid among unrelated",
     {"v=spf1 -all", "v=STSv1; id=abc;", "google-site-verification=x"},
     3,
     STS_TXT_OK,
     "abc"},
    {"two valid", {"v=STSv1; id=abc", "v=STSv1; id=def"}, 2, STS_TXT_MULTIPLE, NULL},
    {"two identical", {"v=STSv1; id=abc", "v=STSv1; id=abc"}, 2, STS_TXT_MULTIPLE, NULL},
    {"valid and invalid STSv1", {"v=STSv1; id=abc", "v=STSv1 broken"}, 2, STS_TXT_MULTIPLE, NULL},
    {"only invalid STSv1", {"v=STSv1; id=abc def"}, 1, STS_TXT_INVALID, NULL},
    {"bare version counts", {"v=STSv1", "v=STSv1; id=abc"}, 2, STS_TXT_MULTIPLE, NULL},
    {"bare version alone", {"v=STSv1"}, 1, STS_TXT_INVALID, NULL},
    {"STSv10 is discarded", {"v=STSv10; id=zzz", "v=STSv1; id=abc"}, 2, STS_TXT_OK, "abc"},
    {"STSv1x is discarded", {"v=STSv1x", "v=STSv1;id=abc"}, 2, STS_TXT_OK, "abc"},
    {"space after version counts", {"v=STSv1 ; id=abc", "v=spf1"}, 2, STS_TXT_OK, "abc"},
    {"lowercase discarded", {"v=stsv1; id=abc"}, 1, STS_TXT_NONE, NULL},
    {"empty records", {"", ""}, 2, STS_TXT_NONE, NULL},
};

START_TEST(test_select)
{
    const struct select_case c = select_cases[_i];
    struct sts_txt_rr rrs[4];
    struct sts_txt out;

    for (size_t i = 0; i < c.n; i++) {
        rrs[i].data = c.recs[i];
        rrs[i].len = strlen(c.recs[i]);
    }
    memset(&out, 'X', sizeof(out));
    enum sts_txt_status st = sts_txt_select(rrs, c.n, &out);
    ck_assert_msg(st == c.want, "%s: got %s, want %s", c.name, sts_txt_strerror(st),
                  sts_txt_strerror(c.want));
    if (c.want == STS_TXT_OK)
        ck_assert_str_eq(out.id, c.id);
    else
        ck_assert_msg(out.id[0] == '\0', "%s: id not cleared", c.name);
}
END_TEST

START_TEST(test_select_nul)
{
    /* A record with an embedded NUL is judged on all its bytes. */
    struct sts_txt_rr rrs[2] = {{"v=STSv1; id=ab\0cd", 17}, {"v=spf1", 6}};
    struct sts_txt out;
    ck_assert_int_eq(sts_txt_select(rrs, 2, &out), STS_TXT_INVALID);
    rrs[0].len = 14; /* "v=STSv1; id=ab" */
    ck_assert_int_eq(sts_txt_select(rrs, 2, &out), STS_TXT_OK);
    ck_assert_str_eq(out.id, "ab");
}
END_TEST

/* What dns.c now passes: every record of the answer, long ones cut to
 * DNS_MAX_TXT + 1 (== STS_TXT_MAX + 1) bytes.  Many records and long
 * records that are not v=STSv1 are discarded; a cut v=STSv1 record is
 * invalid. */
START_TEST(test_select_crowd)
{
    enum { N = 1000 };
    static struct sts_txt_rr rrs[N];
    static char other[N][16];
    char *longrec = malloc(STS_TXT_MAX + 2);
    struct sts_txt out;

    ck_assert_ptr_nonnull(longrec);
    for (size_t i = 0; i < N; i++) {
        snprintf(other[i], sizeof(other[i]), "other=%zu", i);
        rrs[i].data = other[i];
        rrs[i].len = strlen(other[i]);
    }
    memset(longrec, 'x', STS_TXT_MAX + 1);
    longrec[STS_TXT_MAX + 1] = '\0';
    rrs[3].data = longrec; /* a long record of another kind */
    rrs[3].len = STS_TXT_MAX + 1;
    rrs[777].data = "v=STSv1; id=deep";
    rrs[777].len = strlen(rrs[777].data);
    ck_assert_int_eq(sts_txt_select(rrs, N, &out), STS_TXT_OK);
    ck_assert_str_eq(out.id, "deep");

    /* the STS record itself cut: invalid, not a different id */
    memcpy(longrec, "v=STSv1; id=cut; x=", 19);
    rrs[777] = rrs[3];
    rrs[3].data = other[3];
    rrs[3].len = strlen(other[3]);
    ck_assert_int_eq(sts_txt_select(rrs, N, &out), STS_TXT_INVALID);
    free(longrec);
}
END_TEST

START_TEST(test_strerror)
{
    static const enum sts_txt_status all[] = {STS_TXT_OK, STS_TXT_NONE, STS_TXT_MULTIPLE,
                                              STS_TXT_INVALID};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(sts_txt_strerror(all[i]), sts_txt_strerror(all[j]));
    ck_assert_str_eq(sts_txt_strerror((enum sts_txt_status)99), "unknown TXT record status");
}
END_TEST

static Suite *sts_txt_suite(void)
{
    Suite *s = suite_create("sts_txt");
    TCase *tc = tcase_create("parse");
    tcase_add_loop_test(tc, test_parse, 0, (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
    tcase_add_test(tc, test_parse_too_long);
    tcase_add_loop_test(tc, test_why_agrees, 0,
                        (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
    tcase_add_loop_test(tc, test_why_reason, 0, (int)(sizeof(why_cases) / sizeof(why_cases[0])));
    suite_add_tcase(s, tc);
    tc = tcase_create("select");
    tcase_add_loop_test(tc, test_select, 0, (int)(sizeof(select_cases) / sizeof(select_cases[0])));
    tcase_add_test(tc, test_select_nul);
    tcase_add_test(tc, test_select_crowd);
    tcase_add_test(tc, test_strerror);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sts_txt_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

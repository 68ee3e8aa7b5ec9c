/*
 * check_sts_policy - unit tests for src/sts_policy.c (RFC 8461 section
 * 3.2 policy body and the cache serialisation).
 *
 * Table-driven: parse_cases has one row per ABNF rule, per RFC rule and
 * per hostile input; blob_cases one row per way a serialised policy can
 * be corrupt.  Every valid parse is also round-tripped through
 * sts_policy_serialize()/sts_policy_deserialize().  mx values go through
 * the real domain_mx_pattern() (src/domain.c).
 */
#include "autoconfig.h"

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts_policy.h"

#define S(lit) lit, sizeof(lit) - 1

/* Common policy pieces. */
#define V   "version: STSv1\n"
#define ME  "mode: enforce\n"
#define MX  "mx: mx.example.com\n"
#define AGE "max_age: 86400\n"
#define LV  "version: STSv1"
#define LME "mode: enforce"
#define LMX "mx: mx.example.com"
#define LAG "max_age: 86400"

struct parse_case {
    const char *name;
    const char *body;
    size_t len;
    enum sts_policy_status want;
    /* checked when want == STS_POLICY_OK */
    enum sts_mode mode;
    uint32_t max_age;
    const char *mx;    /* patterns joined by ',' */
    const char *match; /* match forms joined by ',' */
    const char *lines; /* lines joined by '|' */
    /* checked when non-NULL and want != STS_POLICY_OK */
    const char *err_has;
};

#define OK(n, b, m, a, x, mt, l)                                                                   \
    {                                                                                              \
        n, S(b), STS_POLICY_OK, m, a, x, mt, l, NULL                                               \
    }
#define BAD(n, b, st, e)                                                                           \
    {                                                                                              \
        n, S(b), st, STS_MODE_NONE, 0, NULL, NULL, NULL, e                                         \
    }

static const struct parse_case parse_cases[] = {
    /* shape of the body: sts-policy-record, sts-policy-term */
    OK("rfc example LF", V ME MX AGE, STS_MODE_ENFORCE, 86400, "mx.example.com", "mx.example.com",
       LV "|" LME "|" LMX "|" LAG),
    OK("CRLF line ends",
       "version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\nmax_age: 86400\r\n",
       STS_MODE_ENFORCE, 86400, "mx.example.com", "mx.example.com", LV "|" LME "|" LMX "|" LAG),
    OK("mixed LF and CRLF", "version: STSv1\r\nmode: enforce\nmx: mx.example.com\r\nmax_age: 86400",
       STS_MODE_ENFORCE, 86400, "mx.example.com", "mx.example.com", NULL),
    OK("no final line end", V ME MX "max_age: 86400", STS_MODE_ENFORCE, 86400, "mx.example.com",
       "mx.example.com", NULL),
    OK("trailing blank lines", V ME MX AGE "\n\n\n", STS_MODE_ENFORCE, 86400, "mx.example.com",
       "mx.example.com", LV "|" LME "|" LMX "|" LAG),
    OK("trailing CRLF blank lines", V ME MX AGE "\r\n\r\n", STS_MODE_ENFORCE, 86400,
       "mx.example.com", "mx.example.com", NULL),
    OK("trailing whitespace-only line", V ME MX AGE "  \t\n", STS_MODE_ENFORCE, 86400,
       "mx.example.com", "mx.example.com", NULL),
    OK("fields in any order", AGE MX ME V, STS_MODE_ENFORCE, 86400, "mx.example.com",
       "mx.example.com", LAG "|" LMX "|" LME "|" LV),
    /* field-delim = ":" *WSP, trailing *WSP */
    OK("no space after colon", "version:STSv1\nmode:enforce\nmx:mx.example.com\nmax_age:86400\n",
       STS_MODE_ENFORCE, 86400, "mx.example.com", "mx.example.com", LV "|" LME "|" LMX "|" LAG),
    OK("tabs and trailing whitespace normalised",
       "version:\t STSv1 \nmode: \tenforce\t\nmx:   mx.example.com  \nmax_age:\t86400\t \n",
       STS_MODE_ENFORCE, 86400, "mx.example.com", "mx.example.com", LV "|" LME "|" LMX "|" LAG),
    /* mode */
    OK("mode testing", V "mode: testing\n" MX AGE, STS_MODE_TESTING, 86400, "mx.example.com",
       "mx.example.com", NULL),
    OK("mode none without mx", V "mode: none\n" AGE, STS_MODE_NONE, 86400, "", "",
       LV "|mode: none|" LAG),
    OK("mode none with mx", V "mode: none\n" MX AGE, STS_MODE_NONE, 86400, "mx.example.com",
       "mx.example.com", NULL),
    OK("repeated mode first wins", V ME "mode: none\n" MX AGE, STS_MODE_ENFORCE, 86400,
       "mx.example.com", "mx.example.com", LV "|" LME "|mode: none|" LMX "|" LAG),
    OK("repeated mode later value only syntax-checked", V ME "mode: bogus\n" MX AGE,
       STS_MODE_ENFORCE, 86400, "mx.example.com", "mx.example.com", NULL),
    OK("repeated version first wins", V "version: STSv2\n" ME MX AGE, STS_MODE_ENFORCE, 86400,
       "mx.example.com", "mx.example.com", NULL),
    /* max_age = 1*10(DIGIT), at most 31557600 */
    OK("max_age 0", V ME MX "max_age: 0\n", STS_MODE_ENFORCE, 0, "mx.example.com", "mx.example.com",
       NULL),
    OK("max_age maximum", V ME MX "max_age: 31557600\n", STS_MODE_ENFORCE, 31557600,
       "mx.example.com", "mx.example.com", NULL),
    OK("max_age 10 digits with leading zeros", V ME MX "max_age: 0000086400\n", STS_MODE_ENFORCE,
       86400, "mx.example.com", "mx.example.com", NULL),
    OK("repeated max_age first wins", V ME MX "max_age: 604800\nmax_age: 1\n", STS_MODE_ENFORCE,
       604800, "mx.example.com", "mx.example.com", NULL),
    /* mx = ["*."] Domain, normalised, deduplicated in policy order */
    OK("wildcard mx", V ME "mx: *.example.net\n" AGE, STS_MODE_ENFORCE, 86400, "*.example.net",
       ".example.net", LV "|" LME "|mx: *.example.net|" LAG),
    OK("several mx keep order", V ME "mx: b.example.com\nmx: a.example.com\nmx: *.c.example\n" AGE,
       STS_MODE_ENFORCE, 86400, "b.example.com,a.example.com,*.c.example",
       "b.example.com,a.example.com,.c.example", NULL),
    OK("uppercase mx lowercased, line kept as sent", V ME "mx: MX.Example.COM\n" AGE,
       STS_MODE_ENFORCE, 86400, "mx.example.com", "mx.example.com",
       LV "|" LME "|mx: MX.Example.COM|" LAG),
    OK("mx with trailing dot", V ME "mx: mx.example.com.\n" AGE, STS_MODE_ENFORCE, 86400,
       "mx.example.com", "mx.example.com", NULL),
    OK("U-label mx to A-label",
       V ME "mx: mx.b\xc3\xbc"
            "cher.example\n" AGE,
       STS_MODE_ENFORCE, 86400, "mx.xn--bcher-kva.example", "mx.xn--bcher-kva.example", NULL),
    OK("duplicate mx removed", V ME "mx: b.example.com\nmx: a.example.com\nmx: b.example.com\n" AGE,
       STS_MODE_ENFORCE, 86400, "b.example.com,a.example.com", "b.example.com,a.example.com", NULL),
    OK("duplicate after normalisation removed",
       V ME "mx: MX.example.com\nmx: mx.example.com.\n" AGE, STS_MODE_ENFORCE, 86400,
       "mx.example.com", "mx.example.com", NULL),
    OK("wildcard and plain are different", V ME "mx: *.example.com\nmx: example.com\n" AGE,
       STS_MODE_ENFORCE, 86400, "*.example.com,example.com", ".example.com,example.com", NULL),
    /* extensions: sts-policy-ext-name / sts-policy-ext-value */
    OK("unknown key ignored", V ME MX AGE "foo: bar\n", STS_MODE_ENFORCE, 86400, "mx.example.com",
       "mx.example.com", LV "|" LME "|" LMX "|" LAG "|foo: bar"),
    OK("extension value with inner spaces", V ME MX AGE "note: a  b c\n", STS_MODE_ENFORCE, 86400,
       "mx.example.com", "mx.example.com", LV "|" LME "|" LMX "|" LAG "|note: a  b c"),
    OK("extension value punctuation", V ME MX AGE "x-y_z.1: a=b;c:d,e[f]\"g\"\n", STS_MODE_ENFORCE,
       86400, "mx.example.com", "mx.example.com", NULL),
    OK("extension value UTF-8", V ME MX AGE "note: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7\n",
       STS_MODE_ENFORCE, 86400, "mx.example.com", "mx.example.com",
       LV "|" LME "|" LMX "|" LAG "|note: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7"),
    OK("extension key 32 chars", V ME MX AGE "abcdefghijklmnopqrstuvwxyz012345: v\n",
       STS_MODE_ENFORCE, 86400, "mx.example.com", "mx.example.com", NULL),
    OK("extension key starting with digit", V ME MX AGE "9lives: yes\n", STS_MODE_ENFORCE, 86400,
       "mx.example.com", "mx.example.com", NULL),
    OK("extension with braces valid but not in lines", V ME MX AGE "x: {evil}\n", STS_MODE_ENFORCE,
       86400, "mx.example.com", "mx.example.com", LV "|" LME "|" LMX "|" LAG),
    OK("extension with C1 control not in lines",
       V ME MX AGE "x: a\xc2\x9b"
                   "b\n",
       STS_MODE_ENFORCE, 86400, "mx.example.com", "mx.example.com", LV "|" LME "|" LMX "|" LAG),
    OK("keys are case-sensitive: Mode is an extension", V "Mode: none\n" ME MX AGE,
       STS_MODE_ENFORCE, 86400, "mx.example.com", "mx.example.com", NULL),

    /* syntax errors */
    BAD("empty body", "", STS_POLICY_SYNTAX, "empty"),
    BAD("only blank lines", "\n\r\n\n", STS_POLICY_SYNTAX, "empty"),
    BAD("blank line inside", V ME "\n" MX AGE, STS_POLICY_SYNTAX, "line 3: blank"),
    BAD("whitespace line inside", V ME " \n" MX AGE, STS_POLICY_SYNTAX, "line 3"),
    BAD("leading whitespace", V " mode: enforce\n" MX AGE, STS_POLICY_SYNTAX, "line 2"),
    BAD("space before colon", V "mode : enforce\n" MX AGE, STS_POLICY_SYNTAX, "line 2"),
    BAD("no colon", V "mode enforce\n" MX AGE, STS_POLICY_SYNTAX, "line 2"),
    BAD("equals instead of colon", V "mode=enforce\n" MX AGE, STS_POLICY_SYNTAX, NULL),
    BAD("empty value", V ME MX AGE "foo:\n", STS_POLICY_SYNTAX, "line 5: empty value"),
    BAD("whitespace-only value", V ME MX AGE "foo:  \t\n", STS_POLICY_SYNTAX, "empty value"),
    BAD("empty key", V ME MX AGE ": value\n", STS_POLICY_SYNTAX, NULL),
    BAD("key 33 chars", V ME MX AGE "abcdefghijklmnopqrstuvwxyz0123456: v\n", STS_POLICY_SYNTAX,
        "32"),
    BAD("key starting with underscore", V ME MX AGE "_x: v\n", STS_POLICY_SYNTAX, NULL),
    BAD("key starting with dot", V ME MX AGE ".x: v\n", STS_POLICY_SYNTAX, NULL),
    BAD("key with UTF-8", V ME MX AGE "k\xc3\xa9y: v\n", STS_POLICY_SYNTAX, NULL),
    BAD("byte order mark", "\xef\xbb\xbf" V ME MX AGE, STS_POLICY_SYNTAX, "line 1"),
    BAD("lone CR as line end", V "mode: enforce\rmx: mx.example.com\n" AGE, STS_POLICY_SYNTAX,
        "CR"),
    BAD("CR at end of body", V ME MX "max_age: 86400\r", STS_POLICY_SYNTAX, "CR"),
    BAD("CR CR LF", V "mode: enforce\r\r\n" MX AGE, STS_POLICY_SYNTAX, "CR"),
    BAD("tab inside value", V ME MX AGE "foo: a\tb\n", STS_POLICY_SYNTAX, "tab"),
    BAD("NUL in value", V ME MX AGE "foo: a\0b\n", STS_POLICY_SYNTAX, "NUL"),
    BAD("NUL in key", V ME MX AGE "fo\0o: b\n", STS_POLICY_SYNTAX, NULL),
    BAD("NUL line", V ME MX AGE "\0\n", STS_POLICY_SYNTAX, NULL),
    BAD("control char in value",
        V ME MX AGE "foo: a\x01"
                    "b\n",
        STS_POLICY_SYNTAX, "control"),
    BAD("escape in value", V ME MX AGE "foo: \x1b[31m\n", STS_POLICY_SYNTAX, "control"),
    BAD("DEL in value", V ME MX AGE "foo: a\x7f\n", STS_POLICY_SYNTAX, "control"),
    BAD("vertical tab in value", V ME MX AGE "foo: a\vb\n", STS_POLICY_SYNTAX, "control"),
    BAD("overlong UTF-8", V ME MX AGE "foo: \xc0\xaf\n", STS_POLICY_SYNTAX, "UTF-8"),
    BAD("lone continuation byte", V ME MX AGE "foo: a\x80\n", STS_POLICY_SYNTAX, "UTF-8"),
    BAD("UTF-8 surrogate", V ME MX AGE "foo: \xed\xa0\x80\n", STS_POLICY_SYNTAX, "UTF-8"),
    BAD("truncated UTF-8", V ME MX AGE "foo: \xe2\x82\n", STS_POLICY_SYNTAX, "UTF-8"),
    BAD("truncated UTF-8 at end of body", V ME MX AGE "foo: \xe2\x82", STS_POLICY_SYNTAX, "UTF-8"),
    BAD("UTF-8 bad third byte", V ME MX AGE "foo: \xe2\x82\x41\n", STS_POLICY_SYNTAX, "UTF-8"),
    BAD("UTF-8 above U+10FFFF", V ME MX AGE "foo: \xf4\x90\x80\x80\n", STS_POLICY_SYNTAX, "UTF-8"),
    BAD("byte 0xff", V ME MX AGE "foo: \xff\n", STS_POLICY_SYNTAX, "UTF-8"),
    BAD("overlong 3-byte UTF-8", V ME MX AGE "foo: \xe0\x80\xaf\n", STS_POLICY_SYNTAX, "UTF-8"),
    BAD("HTML instead of policy", "<html><body>hi</body></html>\n", STS_POLICY_SYNTAX, "line 1"),
    /* version */
    BAD("version missing", ME MX AGE, STS_POLICY_NO_VERSION, "version"),
    BAD("version STSv2", "version: STSv2\n" ME MX AGE, STS_POLICY_NO_VERSION, "line 1"),
    BAD("version lowercase", "version: stsv1\n" ME MX AGE, STS_POLICY_NO_VERSION, NULL),
    BAD("version key capitalised", "Version: STSv1\n" ME MX AGE, STS_POLICY_NO_VERSION, NULL),
    BAD("version with suffix", "version: STSv1 extra\n" ME MX AGE, STS_POLICY_NO_VERSION, NULL),
    BAD("first version wins even if bad", "version: STSv2\n" V ME MX AGE, STS_POLICY_NO_VERSION,
        NULL),
    /* mode */
    BAD("mode missing", V MX AGE, STS_POLICY_BAD_MODE, "mode"),
    BAD("mode capitalised value", V "mode: Enforce\n" MX AGE, STS_POLICY_BAD_MODE, "line 2"),
    BAD("mode unknown", V "mode: strict\n" MX AGE, STS_POLICY_BAD_MODE, NULL),
    BAD("mode with suffix", V "mode: enforce now\n" MX AGE, STS_POLICY_BAD_MODE, NULL),
    BAD("first mode wins even if bad", V "mode: strict\n" ME MX AGE, STS_POLICY_BAD_MODE, NULL),
    /* max_age */
    BAD("max_age missing", V ME MX, STS_POLICY_BAD_MAX_AGE, "max_age"),
    BAD("max_age too large", V ME MX "max_age: 31557601\n", STS_POLICY_BAD_MAX_AGE, "31557600"),
    BAD("max_age 10 digits too large", V ME MX "max_age: 9999999999\n", STS_POLICY_BAD_MAX_AGE,
        NULL),
    BAD("max_age 11 digits", V ME MX "max_age: 00000086400\n", STS_POLICY_BAD_MAX_AGE, "10 digits"),
    BAD("max_age 20 digits", V ME MX "max_age: 18446744073709551617\n", STS_POLICY_BAD_MAX_AGE,
        NULL),
    BAD("max_age negative", V ME MX "max_age: -1\n", STS_POLICY_BAD_MAX_AGE, NULL),
    BAD("max_age plus sign", V ME MX "max_age: +86400\n", STS_POLICY_BAD_MAX_AGE, NULL),
    BAD("max_age with unit", V ME MX "max_age: 86400s\n", STS_POLICY_BAD_MAX_AGE, NULL),
    BAD("max_age exponent", V ME MX "max_age: 1e5\n", STS_POLICY_BAD_MAX_AGE, NULL),
    BAD("max_age inner space", V ME MX "max_age: 86 400\n", STS_POLICY_BAD_MAX_AGE, NULL),
    /* mx presence */
    BAD("enforce without mx", V ME AGE, STS_POLICY_NO_MX, "mx"),
    BAD("testing without mx", V "mode: testing\n" AGE, STS_POLICY_NO_MX, NULL),
    /* mx values: hostile and invalid */
    BAD("mx IPv4", V ME "mx: 192.0.2.1\n" AGE, STS_POLICY_BAD_MX, "line 3"),
    BAD("mx bracketed IPv4", V ME "mx: [192.0.2.1]\n" AGE, STS_POLICY_BAD_MX, NULL),
    BAD("mx IPv6", V ME "mx: 2001:db8::1\n" AGE, STS_POLICY_BAD_MX, NULL),
    BAD("mx injection servername", V ME "mx: mx.example.com servername=evil\n" AGE,
        STS_POLICY_BAD_MX, NULL),
    BAD("mx injection a=b", V ME "mx: a=b\n" AGE, STS_POLICY_BAD_MX, NULL),
    BAD("mx injection x:y", V ME "mx: x:y\n" AGE, STS_POLICY_BAD_MX, NULL),
    BAD("mx open brace", V ME "mx: {\n" AGE, STS_POLICY_BAD_MX, NULL),
    BAD("mx close brace", V ME "mx: }\n" AGE, STS_POLICY_BAD_MX, NULL),
    BAD("mx brace injection", V ME "mx: mx.example.com}{policy_string=x\n" AGE, STS_POLICY_BAD_MX,
        NULL),
    BAD("mx comma list", V ME "mx: a.example.com,b.example.com\n" AGE, STS_POLICY_BAD_MX, NULL),
    BAD("mx star alone", V ME "mx: *\n" AGE, STS_POLICY_BAD_MX, NULL),
    BAD("mx star tld", V ME "mx: *.com\n" AGE, STS_POLICY_BAD_MX, NULL),
    BAD("mx double wildcard", V ME "mx: *.*.example.com\n" AGE, STS_POLICY_BAD_MX, NULL),
    BAD("mx inner wildcard", V ME "mx: mx.*.example.com\n" AGE, STS_POLICY_BAD_MX, NULL),
    BAD("mx partial wildcard", V ME "mx: mx*.example.com\n" AGE, STS_POLICY_BAD_MX, NULL),
    BAD("mx empty label", V ME "mx: mx..example.com\n" AGE, STS_POLICY_BAD_MX, NULL),
    BAD("mx leading hyphen", V ME "mx: -mx.example.com\n" AGE, STS_POLICY_BAD_MX, NULL),
    BAD("mx underscore", V ME "mx: mx_1.example.com\n" AGE, STS_POLICY_BAD_MX, NULL),
    BAD("mx single label", V ME "mx: localhost\n" AGE, STS_POLICY_BAD_MX, NULL),
    BAD("mx with port", V ME "mx: mx.example.com:25\n" AGE, STS_POLICY_BAD_MX, NULL),
    BAD("mx with slash", V ME "mx: mx.example.com/x\n" AGE, STS_POLICY_BAD_MX, NULL),
    BAD("mx label 64 chars",
        V ME
        "mx: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example.com\n" AGE,
        STS_POLICY_BAD_MX, NULL),
    BAD("one bad mx among good",
        V ME MX "mx: a=b\n"
                "mx: mx2.example.com\n" AGE,
        STS_POLICY_BAD_MX, "line 4"),
    BAD("bad mx in mode none",
        V "mode: none\n"
          "mx: {\n" AGE,
        STS_POLICY_BAD_MX, NULL),
};

/* Join strs[0..n) with sep into buf. */
static void join(char *buf, size_t bufsz, const char *const *strs, size_t n, char sep)
{
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + k, bufsz - k, "%s%s", i ? (char[]){sep, '\0'} : "", strs[i]);
        ck_assert(w >= 0 && (size_t)w < bufsz - k);
        k += (size_t)w;
    }
}

/* Deep equality of two policies. */
static void assert_policy_eq(const struct sts_policy *a, const struct sts_policy *b)
{
    ck_assert_int_eq(a->mode, b->mode);
    ck_assert_uint_eq(a->max_age, b->max_age);
    ck_assert_uint_eq(a->n_mx, b->n_mx);
    for (size_t i = 0; i < a->n_mx; i++) {
        ck_assert_str_eq(a->mx[i], b->mx[i]);
        ck_assert_str_eq(a->match[i], b->match[i]);
    }
    ck_assert_uint_eq(a->n_lines, b->n_lines);
    for (size_t i = 0; i < a->n_lines; i++)
        ck_assert_str_eq(a->lines[i], b->lines[i]);
}

/* serialise -> deserialise -> compare; serialise again -> same bytes. */
static void assert_round_trip(const struct sts_policy *p)
{
    size_t need = sts_policy_serialize(p, NULL, 0);
    ck_assert_uint_gt(need, 0);
    unsigned char *buf = malloc(need + 1);
    ck_assert_ptr_nonnull(buf);
    buf[need] = 0xa5;
    ck_assert_uint_eq(sts_policy_serialize(p, buf, need), need);
    ck_assert_uint_eq(buf[need], 0xa5);
    struct sts_policy *q = sts_policy_deserialize(buf, need);
    ck_assert_msg(q != NULL, "deserialise of a fresh serialisation failed");
    assert_policy_eq(p, q);
    unsigned char *buf2 = malloc(need);
    ck_assert_ptr_nonnull(buf2);
    ck_assert_uint_eq(sts_policy_serialize(q, buf2, need), need);
    ck_assert_mem_eq(buf, buf2, need);
    /* Every strict prefix is truncated (sampled for big blobs), one extra byte is garbage. */
    for (size_t n = 0; n < need; n += (n < 256 || need - n < 16) ? 1 : 1021)
        ck_assert_ptr_null(sts_policy_deserialize(buf, n));
    ck_assert_ptr_null(sts_policy_deserialize(buf, need + 1));
    free(buf2);
    free(buf);
    sts_policy_free(q);
}

START_TEST(test_parse)
{
    const struct parse_case *c = &parse_cases[_i];
    struct sts_policy *p = (struct sts_policy *)1;
    char err[256];
    char got[4096];

    memset(err, 'X', sizeof(err));
    enum sts_policy_status st = sts_policy_parse(c->body, c->len, &p, err, sizeof(err));
    ck_assert_msg(st == c->want, "%s: got \"%s\" (%s), want \"%s\"", c->name,
                  sts_policy_strerror(st), err, sts_policy_strerror(c->want));
    ck_assert_msg(memchr(err, '\0', sizeof(err)) != NULL, "%s: err not terminated", c->name);
    if (st != STS_POLICY_OK) {
        ck_assert_ptr_null(p);
        ck_assert_msg(err[0] != '\0', "%s: no reason given", c->name);
        for (const char *e = err; *e; e++)
            ck_assert_msg(*e >= 0x20 && *e < 0x7f, "%s: unsanitised reason", c->name);
        if (c->err_has != NULL)
            ck_assert_msg(strstr(err, c->err_has) != NULL, "%s: reason \"%s\" lacks \"%s\"",
                          c->name, err, c->err_has);
        return;
    }
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(err, "");
    ck_assert_int_eq(p->mode, c->mode);
    ck_assert_uint_eq(p->max_age, c->max_age);
    join(got, sizeof(got), p->mx, p->n_mx, ',');
    ck_assert_str_eq(got, c->mx);
    join(got, sizeof(got), p->match, p->n_mx, ',');
    ck_assert_str_eq(got, c->match);
    if (c->lines != NULL) {
        join(got, sizeof(got), p->lines, p->n_lines, '|');
        ck_assert_str_eq(got, c->lines);
    }
    assert_round_trip(p);
    sts_policy_free(p);
}
END_TEST

START_TEST(test_parse_no_err_buffer)
{
    struct sts_policy *p;
    ck_assert_int_eq(sts_policy_parse(S(V ME AGE), &p, NULL, 0), STS_POLICY_NO_MX);
    ck_assert_ptr_null(p);
    char err[8];
    ck_assert_int_eq(sts_policy_parse(S(V "mode: x\n"), &p, err, sizeof(err)), STS_POLICY_BAD_MODE);
    ck_assert_uint_eq(strlen(err), sizeof(err) - 1); /* truncated, terminated */
    ck_assert_int_eq(sts_policy_parse(NULL, 0, &p, err, sizeof(err)), STS_POLICY_SYNTAX);
}
END_TEST

/* Build a body of exactly len bytes: a valid policy padded with extension lines. */
static char *padded_policy(size_t len)
{
    static const char head[] = V ME MX AGE;
    char *b = malloc(len);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_ge(len, sizeof(head) - 1 + 4);
    memcpy(b, head, sizeof(head) - 1);
    size_t pos = sizeof(head) - 1;
    while (pos < len) {
        size_t left = len - pos;
        size_t line = left > 100 ? 100 : left; /* "p: xxx...\n" */
        if (left > 100 && left - 100 < 5)
            line = 50;
        memcpy(b + pos, "p: ", 3);
        memset(b + pos + 3, 'x', line - 4);
        b[pos + line - 1] = '\n';
        pos += line;
    }
    return b;
}

START_TEST(test_size_limit)
{
    struct sts_policy *p;
    char *b = padded_policy(STS_POLICY_MAX);
    ck_assert_int_eq(sts_policy_parse(b, STS_POLICY_MAX, &p, NULL, 0), STS_POLICY_OK);
    ck_assert_ptr_nonnull(p);
    assert_round_trip(p);
    sts_policy_free(p);
    free(b);
    b = padded_policy(STS_POLICY_MAX + 1);
    char err[128];
    ck_assert_int_eq(sts_policy_parse(b, STS_POLICY_MAX + 1, &p, err, sizeof(err)),
                     STS_POLICY_TOO_LARGE);
    ck_assert_ptr_null(p);
    ck_assert_ptr_nonnull(strstr(err, "larger"));
    free(b);
}
END_TEST

START_TEST(test_long_line)
{
    /* One extension line filling the whole body. */
    static const char head[] = V ME MX AGE "long: ";
    size_t len = STS_POLICY_MAX;
    char *b = malloc(len);
    struct sts_policy *p;
    ck_assert_ptr_nonnull(b);
    memcpy(b, head, sizeof(head) - 1);
    memset(b + sizeof(head) - 1, 'y', len - (sizeof(head) - 1));
    ck_assert_int_eq(sts_policy_parse(b, len, &p, NULL, 0), STS_POLICY_OK);
    ck_assert_uint_eq(p->n_lines, 5);
    ck_assert_uint_eq(strlen(p->lines[4]), len - (sizeof(head) - 1) + 6);
    assert_round_trip(p);
    sts_policy_free(p);
    free(b);
}
END_TEST

/* n mx lines; distinct names if distinct, else all the same. */
static char *many_mx(size_t n, bool distinct, size_t *len)
{
    size_t cap = 64 + n * 40;
    char *b = malloc(cap);
    ck_assert_ptr_nonnull(b);
    size_t k = (size_t)snprintf(b, cap, V ME AGE);
    for (size_t i = 0; i < n; i++)
        k += (size_t)snprintf(b + k, cap - k, "mx: mx%zu.example.com\n", distinct ? i : 0);
    *len = k;
    return b;
}

START_TEST(test_mx_limit)
{
    struct sts_policy *p;
    size_t len;
    char *b = many_mx(STS_POLICY_MAX_MX, true, &len);
    ck_assert_int_eq(sts_policy_parse(b, len, &p, NULL, 0), STS_POLICY_OK);
    ck_assert_uint_eq(p->n_mx, STS_POLICY_MAX_MX);
    ck_assert_str_eq(p->mx[255], "mx255.example.com");
    assert_round_trip(p);
    sts_policy_free(p);
    free(b);

    b = many_mx(STS_POLICY_MAX_MX + 1, true, &len);
    ck_assert_int_eq(sts_policy_parse(b, len, &p, NULL, 0), STS_POLICY_TOO_MANY_MX);
    ck_assert_ptr_null(p);
    free(b);

    /* The limit counts lines, not distinct names. */
    b = many_mx(STS_POLICY_MAX_MX + 1, false, &len);
    ck_assert_int_eq(sts_policy_parse(b, len, &p, NULL, 0), STS_POLICY_TOO_MANY_MX);
    free(b);
    b = many_mx(STS_POLICY_MAX_MX, false, &len);
    ck_assert_int_eq(sts_policy_parse(b, len, &p, NULL, 0), STS_POLICY_OK);
    ck_assert_uint_eq(p->n_mx, 1);
    sts_policy_free(p);
    free(b);
}
END_TEST

/* sts_policy_parse_lint() is the same parser: same status and policy on
 * every row of the table. */
START_TEST(test_lint_agrees)
{
    const struct parse_case *c = &parse_cases[_i];
    struct sts_policy *a = NULL, *b = NULL;
    struct sts_policy_lint lint;
    char ea[256], eb[256];

    enum sts_policy_status sa = sts_policy_parse_lint(c->body, c->len, &a, ea, sizeof(ea), &lint);
    enum sts_policy_status sb = sts_policy_parse(c->body, c->len, &b, eb, sizeof(eb));
    ck_assert_msg(sa == sb, "%s: statuses differ", c->name);
    ck_assert_str_eq(ea, eb);
    ck_assert((a == NULL) == (b == NULL));
    if (a != NULL) {
        ck_assert_int_eq(a->mode, b->mode);
        ck_assert_uint_eq(a->max_age, b->max_age);
        ck_assert_uint_eq(a->n_mx, b->n_mx);
        ck_assert_uint_eq(a->n_lines, b->n_lines);
        ck_assert_uint_ge(lint.lines, 3);
        ck_assert_uint_eq(lint.version_lines + lint.mode_lines + lint.max_age_lines +
                              lint.mx_lines + lint.ext_lines,
                          lint.lines);
    }
    sts_policy_free(a);
    sts_policy_free(b);
}
END_TEST

struct lint_case {
    const char *name;
    const char *body;
    enum sts_policy_status want;
    unsigned lines, crlf, version, mode, max_age, mx, ext;
    const char *ext_names; /* joined by ',' */
    unsigned trailing_blank;
};

static const struct lint_case lint_cases[] = {
    {"plain LF", "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 86400\n", STS_POLICY_OK, 4,
     0, 1, 1, 1, 1, 0, "", 0},
    {"CRLF and one LF line", "version: STSv1\r\nmode: testing\r\nmx: a.example\nmax_age: 1\r\n",
     STS_POLICY_OK, 4, 3, 1, 1, 1, 1, 0, "", 0},
    {"repeated keys, first wins",
     "version: STSv1\nmode: testing\nmode: enforce\nmx: a.example\nmx: a.example\n"
     "max_age: 86400\nmax_age: 5\n",
     STS_POLICY_OK, 7, 0, 1, 2, 2, 2, 0, "", 0},
    {"extensions, repeated and miscased",
     "version: STSv1\nmode: none\nMode: enforce\nx-a: 1\nx-a: 2\nfoo.bar: {x}\nmax_age: 86400\n",
     STS_POLICY_OK, 7, 0, 1, 1, 1, 0, 4, "Mode,x-a,foo.bar", 0},
    {"trailing blank lines", "version: STSv1\nmode: none\nmax_age: 86400\n\n \n", STS_POLICY_OK, 3,
     0, 1, 1, 1, 0, 0, "", 2},
    {"counts stop at the first error",
     "version: STSv1\nmode: enforce\nbad line\nmx: a.example\nmax_age: 86400\n", STS_POLICY_SYNTAX,
     3, 0, 1, 1, 0, 0, 0, "", 0},
    {"mode missing still counted", "version: STSv1\nMode: enforce\nmx: a.example\nmax_age: 1\n",
     STS_POLICY_BAD_MODE, 4, 0, 1, 0, 1, 1, 1, "Mode", 0},
};

START_TEST(test_lint)
{
    const struct lint_case *c = &lint_cases[_i];
    struct sts_policy *p = NULL;
    struct sts_policy_lint l;
    char names[256] = "";

    memset(&l, 0x5a, sizeof(l)); /* must be cleared by the parser */
    enum sts_policy_status st = sts_policy_parse_lint(c->body, strlen(c->body), &p, NULL, 0, &l);
    ck_assert_msg(st == c->want, "%s: %s", c->name, sts_policy_strerror(st));
    ck_assert_msg(l.lines == c->lines, "%s: lines %u", c->name, l.lines);
    ck_assert_msg(l.crlf_lines == c->crlf, "%s: crlf %u", c->name, l.crlf_lines);
    ck_assert_msg(l.version_lines == c->version, "%s: version %u", c->name, l.version_lines);
    ck_assert_msg(l.mode_lines == c->mode, "%s: mode %u", c->name, l.mode_lines);
    ck_assert_msg(l.max_age_lines == c->max_age, "%s: max_age %u", c->name, l.max_age_lines);
    ck_assert_msg(l.mx_lines == c->mx, "%s: mx %u", c->name, l.mx_lines);
    ck_assert_msg(l.ext_lines == c->ext, "%s: ext %u", c->name, l.ext_lines);
    ck_assert_msg(l.trailing_blank_lines == c->trailing_blank, "%s: blank %u", c->name,
                  l.trailing_blank_lines);
    for (size_t i = 0; i < l.n_ext && i < STS_POLICY_LINT_EXT; i++) {
        if (i > 0)
            strcat(names, ",");
        strcat(names, l.ext[i]);
    }
    ck_assert_msg(strcmp(names, c->ext_names) == 0, "%s: ext names '%s'", c->name, names);
    sts_policy_free(p);
}
END_TEST

START_TEST(test_lint_many_extensions)
{
    /* More distinct extension keys than kept: all counted, the first kept. */
    char body[4096] = "version: STSv1\nmode: none\nmax_age: 86400\n";
    struct sts_policy *p = NULL;
    struct sts_policy_lint l;

    for (int i = 0; i < STS_POLICY_LINT_EXT + 5; i++)
        sprintf(body + strlen(body), "ext%d: v\n", i);
    ck_assert_int_eq(sts_policy_parse_lint(body, strlen(body), &p, NULL, 0, &l), STS_POLICY_OK);
    ck_assert_uint_eq(l.n_ext, STS_POLICY_LINT_EXT + 5);
    ck_assert_uint_eq(l.ext_lines, STS_POLICY_LINT_EXT + 5);
    ck_assert_str_eq(l.ext[0], "ext0");
    ck_assert_str_eq(l.ext[STS_POLICY_LINT_EXT - 1], "ext7");
    sts_policy_free(p);
    /* A body over the size limit clears the lint too. */
    char *big = malloc(STS_POLICY_MAX + 1);
    ck_assert_ptr_nonnull(big);
    memset(big, 'x', STS_POLICY_MAX + 1);
    memset(&l, 0x5a, sizeof(l));
    ck_assert_int_eq(sts_policy_parse_lint(big, STS_POLICY_MAX + 1, &p, NULL, 0, &l),
                     STS_POLICY_TOO_LARGE);
    ck_assert_uint_eq(l.lines, 0);
    ck_assert_uint_eq(l.n_ext, 0);
    free(big);
}
END_TEST

START_TEST(test_names)
{
    ck_assert_str_eq(sts_mode_name(STS_MODE_NONE), "none");
    ck_assert_str_eq(sts_mode_name(STS_MODE_TESTING), "testing");
    ck_assert_str_eq(sts_mode_name(STS_MODE_ENFORCE), "enforce");
    ck_assert_str_eq(sts_mode_name((enum sts_mode)7), "unknown");
    for (int i = STS_POLICY_OK; i <= STS_POLICY_TOO_MANY_MX; i++)
        for (int j = STS_POLICY_OK; j < i; j++)
            ck_assert_str_ne(sts_policy_strerror((enum sts_policy_status)i),
                             sts_policy_strerror((enum sts_policy_status)j));
    ck_assert_str_eq(sts_policy_strerror((enum sts_policy_status)99), "unknown policy status");
}
END_TEST

/*
 * Hand-built serialised blobs.  The format: 'S', 1, mode, u32 max_age,
 * u16 n_mx, u32 n_lines, (u8 len, mx)*, (u32 len, line)*.
 */
struct blob_case {
    const char *name;
    unsigned char magic, version, mode;
    uint32_t max_age;
    int n_mx;     /* -1: count of mx[] */
    long n_lines; /* -1: count of lines[] */
    const char *mx[4];
    const char *lines[4];
    long line_len; /* >= 0: override the length prefix of lines[0] */
    const char *trailer;
    bool ok;
};

#define GOOD_LINES                                                                                 \
    {                                                                                              \
        "version: STSv1", "mode: enforce", "mx: mx.example.com", "max_age: 86400"                  \
    }

static const struct blob_case blob_cases[] = {
    {"valid", 'S', 1, 2, 86400, -1, -1, {"mx.example.com"}, GOOD_LINES, -1, NULL, true},
    {"valid none without mx", 'S', 1, 0, 60, -1, -1, {NULL}, {"mode: none"}, -1, NULL, true},
    {"valid wildcard",
     'S',
     1,
     1,
     60,
     -1,
     -1,
     {"*.example.net", "mx.example.org"},
     {NULL},
     -1,
     NULL,
     true},
    {"valid no lines", 'S', 1, 2, 1, -1, -1, {"mx.example.com"}, {NULL}, -1, NULL, true},
    {"valid max_age max", 'S', 1, 2, 31557600, -1, -1, {"mx.example.com"}, {NULL}, -1, NULL, true},
    {"wrong magic", 'T', 1, 2, 86400, -1, -1, {"mx.example.com"}, GOOD_LINES, -1, NULL, false},
    {"wrong version 0", 'S', 0, 2, 86400, -1, -1, {"mx.example.com"}, GOOD_LINES, -1, NULL, false},
    {"wrong version 2", 'S', 2, 2, 86400, -1, -1, {"mx.example.com"}, GOOD_LINES, -1, NULL, false},
    {"mode 3", 'S', 1, 3, 86400, -1, -1, {"mx.example.com"}, GOOD_LINES, -1, NULL, false},
    {"mode 255", 'S', 1, 255, 86400, -1, -1, {"mx.example.com"}, GOOD_LINES, -1, NULL, false},
    {"max_age too large", 'S', 1, 2, 31557601, -1, -1, {"mx.example.com"}, {NULL}, -1, NULL, false},
    {"max_age huge", 'S', 1, 2, 0xffffffffu, -1, -1, {"mx.example.com"}, {NULL}, -1, NULL, false},
    {"enforce without mx", 'S', 1, 2, 60, -1, -1, {NULL}, {NULL}, -1, NULL, false},
    {"testing without mx", 'S', 1, 1, 60, -1, -1, {NULL}, {NULL}, -1, NULL, false},
    {"n_mx 257", 'S', 1, 2, 60, 257, -1, {"mx.example.com"}, {NULL}, -1, NULL, false},
    {"n_mx larger than present", 'S', 1, 2, 60, 2, -1, {"mx.example.com"}, {NULL}, -1, NULL, false},
    {"n_mx smaller than present",
     'S',
     1,
     2,
     60,
     1,
     -1,
     {"a.example.com", "b.example.com"},
     {NULL},
     -1,
     NULL,
     false},
    {"n_lines huge",
     'S',
     1,
     2,
     60,
     -1,
     0x7fffffff,
     {"mx.example.com"},
     GOOD_LINES,
     -1,
     NULL,
     false},
    {"n_lines larger than present",
     'S',
     1,
     2,
     60,
     -1,
     5,
     {"mx.example.com"},
     GOOD_LINES,
     -1,
     NULL,
     false},
    {"mx uppercase not canonical",
     'S',
     1,
     2,
     60,
     -1,
     -1,
     {"MX.example.com"},
     {NULL},
     -1,
     NULL,
     false},
    {"mx trailing dot not canonical",
     'S',
     1,
     2,
     60,
     -1,
     -1,
     {"mx.example.com."},
     {NULL},
     -1,
     NULL,
     false},
    {"mx U-label not canonical",
     'S',
     1,
     2,
     60,
     -1,
     -1,
     {"b\xc3\xbc"
      "cher.example"},
     {NULL},
     -1,
     NULL,
     false},
    {"mx match form stored", 'S', 1, 2, 60, -1, -1, {".example.net"}, {NULL}, -1, NULL, false},
    {"mx injection",
     'S',
     1,
     2,
     60,
     -1,
     -1,
     {"mx.example.com servername=evil"},
     {NULL},
     -1,
     NULL,
     false},
    {"mx with brace", 'S', 1, 2, 60, -1, -1, {"mx.example.com}"}, {NULL}, -1, NULL, false},
    {"mx IP literal", 'S', 1, 2, 60, -1, -1, {"192.0.2.1"}, {NULL}, -1, NULL, false},
    {"mx empty", 'S', 1, 2, 60, -1, -1, {""}, {NULL}, -1, NULL, false},
    {"mx duplicate",
     'S',
     1,
     2,
     60,
     -1,
     -1,
     {"mx.example.com", "mx.example.com"},
     {NULL},
     -1,
     NULL,
     false},
    {"line with open brace", 'S', 1, 2, 60, -1, -1, {"mx.example.com"}, {"x: {"}, -1, NULL, false},
    {"line with close brace", 'S', 1, 2, 60, -1, -1, {"mx.example.com"}, {"x: }"}, -1, NULL, false},
    {"line with LF",
     'S',
     1,
     2,
     60,
     -1,
     -1,
     {"mx.example.com"},
     {"x: a\nmode: none"},
     -1,
     NULL,
     false},
    {"line with CR", 'S', 1, 2, 60, -1, -1, {"mx.example.com"}, {"x: a\r"}, -1, NULL, false},
    {"line with ESC", 'S', 1, 2, 60, -1, -1, {"mx.example.com"}, {"x: \x1b[2J"}, -1, NULL, false},
    {"line with C1 control",
     'S',
     1,
     2,
     60,
     -1,
     -1,
     {"mx.example.com"},
     {"x: \xc2\x9b"},
     -1,
     NULL,
     false},
    {"line with invalid UTF-8",
     'S',
     1,
     2,
     60,
     -1,
     -1,
     {"mx.example.com"},
     {"x: \xff"},
     -1,
     NULL,
     false},
    {"line without space",
     'S',
     1,
     2,
     60,
     -1,
     -1,
     {"mx.example.com"},
     {"mode:enforce"},
     -1,
     NULL,
     false},
    {"line with two spaces",
     'S',
     1,
     2,
     60,
     -1,
     -1,
     {"mx.example.com"},
     {"mode:  enforce"},
     -1,
     NULL,
     false},
    {"line with tab",
     'S',
     1,
     2,
     60,
     -1,
     -1,
     {"mx.example.com"},
     {"mode:\tenforce"},
     -1,
     NULL,
     false},
    {"line with trailing space",
     'S',
     1,
     2,
     60,
     -1,
     -1,
     {"mx.example.com"},
     {"mode: enforce "},
     -1,
     NULL,
     false},
    {"line without colon", 'S', 1, 2, 60, -1, -1, {"mx.example.com"}, {"garbage"}, -1, NULL, false},
    {"line empty", 'S', 1, 2, 60, -1, -1, {"mx.example.com"}, {""}, -1, NULL, false},
    {"line length past end", 'S', 1, 2, 60, -1, -1, {"mx.example.com"}, {"a: b"}, 5, NULL, false},
    {"line length huge",
     'S',
     1,
     2,
     60,
     -1,
     -1,
     {"mx.example.com"},
     {"a: b"},
     0xfffffff0,
     NULL,
     false},
    {"trailing garbage", 'S', 1, 2, 60, -1, -1, {"mx.example.com"}, {"a: b"}, -1, "\0", false},
    {"trailing text", 'S', 1, 2, 60, -1, -1, {"mx.example.com"}, {"a: b"}, -1, "x", false},
};

static size_t blob_build(const struct blob_case *c, unsigned char *b)
{
    size_t k = 0;
    size_t n_mx = 0, n_lines = 0;
    while (n_mx < 4 && c->mx[n_mx] != NULL)
        n_mx++;
    while (n_lines < 4 && c->lines[n_lines] != NULL)
        n_lines++;
    uint32_t wmx = c->n_mx >= 0 ? (uint32_t)c->n_mx : (uint32_t)n_mx;
    uint32_t wl = c->n_lines >= 0 ? (uint32_t)c->n_lines : (uint32_t)n_lines;
    b[k++] = c->magic;
    b[k++] = c->version;
    b[k++] = c->mode;
    for (int s = 24; s >= 0; s -= 8)
        b[k++] = (unsigned char)(c->max_age >> s);
    b[k++] = (unsigned char)(wmx >> 8);
    b[k++] = (unsigned char)wmx;
    for (int s = 24; s >= 0; s -= 8)
        b[k++] = (unsigned char)(wl >> s);
    for (size_t i = 0; i < n_mx; i++) {
        size_t n = strlen(c->mx[i]);
        b[k++] = (unsigned char)n;
        memcpy(b + k, c->mx[i], n);
        k += n;
    }
    for (size_t i = 0; i < n_lines; i++) {
        size_t n = strlen(c->lines[i]);
        uint32_t w = (i == 0 && c->line_len >= 0) ? (uint32_t)c->line_len : (uint32_t)n;
        for (int s = 24; s >= 0; s -= 8)
            b[k++] = (unsigned char)(w >> s);
        memcpy(b + k, c->lines[i], n);
        k += n;
    }
    if (c->trailer != NULL)
        b[k++] = (unsigned char)c->trailer[0];
    return k;
}

START_TEST(test_deserialize)
{
    const struct blob_case *c = &blob_cases[_i];
    unsigned char b[1024];
    size_t len = blob_build(c, b);
    struct sts_policy *p = sts_policy_deserialize(b, len);
    if (!c->ok) {
        ck_assert_msg(p == NULL, "%s: accepted", c->name);
        return;
    }
    ck_assert_msg(p != NULL, "%s: rejected", c->name);
    ck_assert_int_eq(p->mode, c->mode);
    ck_assert_uint_eq(p->max_age, c->max_age);
    for (size_t i = 0; i < p->n_mx; i++) {
        ck_assert_str_eq(p->mx[i], c->mx[i]);
        if (p->mx[i][0] == '*')
            ck_assert_str_eq(p->match[i], p->mx[i] + 1);
        else
            ck_assert_str_eq(p->match[i], p->mx[i]);
    }
    for (size_t i = 0; i < p->n_lines; i++)
        ck_assert_str_eq(p->lines[i], c->lines[i]);
    /* Canonical: serialising gives back the same bytes. */
    unsigned char again[1024];
    ck_assert_uint_eq(sts_policy_serialize(p, again, sizeof(again)), len);
    ck_assert_mem_eq(again, b, len);
    sts_policy_free(p);
}
END_TEST

START_TEST(test_deserialize_null)
{
    ck_assert_ptr_null(sts_policy_deserialize(NULL, 0));
    ck_assert_ptr_null(sts_policy_deserialize(NULL, 100));
    ck_assert_ptr_null(sts_policy_deserialize((const unsigned char *)"", 0));
    ck_assert_uint_eq(sts_policy_serialize(NULL, NULL, 0), 0);
}
END_TEST

START_TEST(test_deserialize_nul_in_mx)
{
    /* Same bytes as "valid", then a NUL put inside the mx name. */
    unsigned char b[1024];
    size_t len = blob_build(&blob_cases[0], b);
    struct sts_policy *p = sts_policy_deserialize(b, len);
    ck_assert_ptr_nonnull(p);
    sts_policy_free(p);
    ck_assert_uint_eq(b[13], 14); /* length of "mx.example.com" */
    b[13 + 1 + 2] = '\0';         /* "mx\0example.com" */
    ck_assert_ptr_null(sts_policy_deserialize(b, len));
    b[13 + 1 + 2] = '.';
    b[13 + 14] = '\0'; /* last character */
    ck_assert_ptr_null(sts_policy_deserialize(b, len));
}
END_TEST

START_TEST(test_serialize_invalid_struct)
{
    /* A struct that no parse could produce is refused, not written. */
    const char *mx[] = {"mx.example.com"};
    const char *empty[] = {""};
    const char *lines[] = {"a: b"};
    struct sts_policy p = {STS_MODE_ENFORCE, 60, 1, mx, mx, 1, lines};
    unsigned char buf[128];
    ck_assert_uint_gt(sts_policy_serialize(&p, buf, sizeof(buf)), 0);
    p.max_age = STS_MAX_AGE_MAX + 1;
    ck_assert_uint_eq(sts_policy_serialize(&p, buf, sizeof(buf)), 0);
    p.max_age = 60;
    p.n_mx = STS_POLICY_MAX_MX + 1;
    ck_assert_uint_eq(sts_policy_serialize(&p, buf, sizeof(buf)), 0);
    p.n_mx = 1;
    p.mx = empty;
    ck_assert_uint_eq(sts_policy_serialize(&p, buf, sizeof(buf)), 0);
    p.mx = mx;
    char *big = malloc(STS_POLICY_MAX + 4);
    ck_assert_ptr_nonnull(big);
    memset(big, 'a', STS_POLICY_MAX + 3);
    big[STS_POLICY_MAX + 3] = '\0';
    const char *biglines[] = {big};
    p.lines = biglines;
    ck_assert_uint_eq(sts_policy_serialize(&p, buf, sizeof(buf)), 0);
    free(big);
}
END_TEST

START_TEST(test_serialize_small_buffer)
{
    struct sts_policy *p;
    ck_assert_int_eq(sts_policy_parse(S(V ME MX AGE), &p, NULL, 0), STS_POLICY_OK);
    size_t need = sts_policy_serialize(p, NULL, 0);
    unsigned char buf[256];
    ck_assert_uint_lt(need, sizeof(buf));
    memset(buf, 0xa5, sizeof(buf));
    ck_assert_uint_eq(sts_policy_serialize(p, buf, need - 1), need);
    for (size_t i = 0; i < sizeof(buf); i++)
        ck_assert_uint_eq(buf[i], 0xa5); /* nothing written */
    ck_assert_uint_eq(sts_policy_serialize(p, buf, sizeof(buf)), need);
    ck_assert_uint_eq(buf[0], 'S');
    ck_assert_uint_eq(buf[1], 1);
    ck_assert_uint_eq(buf[2], STS_MODE_ENFORCE);
    ck_assert_uint_eq(buf[need], 0xa5);
    sts_policy_free(p);
}
END_TEST

START_TEST(test_deserialize_bit_flips)
{
    /* Any single corrupted byte gives NULL or a policy that is itself valid. */
    struct sts_policy *p;
    ck_assert_int_eq(sts_policy_parse(S(V ME "mx: *.example.net\n" MX AGE "x: y\n"), &p, NULL, 0),
                     STS_POLICY_OK);
    unsigned char buf[512];
    size_t len = sts_policy_serialize(p, buf, sizeof(buf));
    ck_assert_uint_le(len, sizeof(buf));
    size_t accepted = 0;
    for (size_t i = 0; i < len; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            buf[i] ^= (unsigned char)(1u << bit);
            struct sts_policy *q = sts_policy_deserialize(buf, len);
            if (q != NULL) {
                accepted++;
                unsigned char again[512];
                ck_assert_uint_eq(sts_policy_serialize(q, again, sizeof(again)), len);
                ck_assert_mem_eq(again, buf, len);
                sts_policy_free(q);
            }
            buf[i] ^= (unsigned char)(1u << bit);
        }
    }
    /* Some flips (e.g. max_age bits, letters in names) are legitimately valid. */
    ck_assert_uint_gt(accepted, 0);
    ck_assert_uint_lt(accepted, len * 8);
    sts_policy_free(p);
}
END_TEST

static Suite *sts_policy_suite(void)
{
    Suite *s = suite_create("sts_policy");
    TCase *tc = tcase_create("parse");
    tcase_set_timeout(tc, 60); /* the 64 KiB cases are slow under sanitizers on a busy host */
    tcase_add_loop_test(tc, test_parse, 0, (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
    tcase_add_test(tc, test_parse_no_err_buffer);
    tcase_add_test(tc, test_size_limit);
    tcase_add_test(tc, test_long_line);
    tcase_add_test(tc, test_mx_limit);
    tcase_add_test(tc, test_names);
    tcase_add_loop_test(tc, test_lint_agrees, 0,
                        (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
    tcase_add_loop_test(tc, test_lint, 0, (int)(sizeof(lint_cases) / sizeof(lint_cases[0])));
    tcase_add_test(tc, test_lint_many_extensions);
    suite_add_tcase(s, tc);
    tc = tcase_create("serialise");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_deserialize, 0, (int)(sizeof(blob_cases) / sizeof(blob_cases[0])));
    tcase_add_test(tc, test_deserialize_null);
    tcase_add_test(tc, test_deserialize_nul_in_mx);
    tcase_add_test(tc, test_serialize_invalid_struct);
    tcase_add_test(tc, test_serialize_small_buffer);
    tcase_add_test(tc, test_deserialize_bit_flips);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sts_policy_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * check_domain - table-driven Check tests for src/domain.c: key
 * normalisation (DESIGN section 3), hostname and IP-literal tests, mx
 * pattern validation and the zone of a domain (fetch fairness).  Every
 * rule is its own row; hostile inputs (NUL, control bytes, bad UTF-8,
 * oversize keys, reply metacharacters) included.
 * Inputs are given with explicit lengths so embedded NUL bytes are tested.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"

#define B(s) s, sizeof(s) - 1

/* ---- domain_normalize_key ---------------------------------------------- */

struct key_row {
    const char *in;
    size_t len;
    enum domain_key_kind kind;
    const char *out; /* expected policy domain when kind is OK */
};

static const struct key_row key_rows[] = {
    /* plain names, trimming, case */
    {B("example.com"), DOMAIN_KEY_OK, "example.com"},
    {B("mx1.mail.example.co.uk"), DOMAIN_KEY_OK, "mx1.mail.example.co.uk"},
    {B("  example.com  "), DOMAIN_KEY_OK, "example.com"},
    {B("\texample.com\r\n"), DOMAIN_KEY_OK, "example.com"},
    {B("example.com\n\n"), DOMAIN_KEY_OK, "example.com"},
    {B("EXAMPLE.COM"), DOMAIN_KEY_OK, "example.com"},
    {B("Mx.ExAmple.Org"), DOMAIN_KEY_OK, "mx.example.org"},
    {B("123.example"), DOMAIN_KEY_OK, "123.example"},
    {B("a-b.c-d.example"), DOMAIN_KEY_OK, "a-b.c-d.example"},
    {B("r4---sn-abc.example.net"), DOMAIN_KEY_OK, "r4---sn-abc.example.net"},
    /* trailing dot: exactly one is stripped */
    {B("example.com."), DOMAIN_KEY_OK, "example.com"},
    {B("example.com.."), DOMAIN_KEY_INVALID, NULL},
    {B(" example.com. "), DOMAIN_KEY_OK, "example.com"},
    /* [host], [host]:port, host:port */
    {B("[example.com]"), DOMAIN_KEY_OK, "example.com"},
    {B("[Example.COM]:25"), DOMAIN_KEY_OK, "example.com"},
    {B("example.com:587"), DOMAIN_KEY_OK, "example.com"},
    {B("[example.com]:65535"), DOMAIN_KEY_OK, "example.com"},
    {B("[example.com]:1"), DOMAIN_KEY_OK, "example.com"},
    {B("example.com:00025"), DOMAIN_KEY_OK, "example.com"},
    {B("[example.com.]"), DOMAIN_KEY_OK, "example.com"},
    {B("example.com.:25"), DOMAIN_KEY_OK, "example.com"},
    {B("[example.com]:0"), DOMAIN_KEY_INVALID, NULL},
    {B("[example.com]:65536"), DOMAIN_KEY_INVALID, NULL},
    {B("example.com:123456"), DOMAIN_KEY_INVALID, NULL},
    {B("[example.com]:"), DOMAIN_KEY_INVALID, NULL},
    {B("example.com:"), DOMAIN_KEY_INVALID, NULL},
    {B("[example.com]x"), DOMAIN_KEY_INVALID, NULL},
    {B("[example.com]:25x"), DOMAIN_KEY_INVALID, NULL},
    {B("[example.com] :25"), DOMAIN_KEY_INVALID, NULL},
    {B("[example.com]]"), DOMAIN_KEY_INVALID, NULL},
    {B("[[example.com]]"), DOMAIN_KEY_INVALID, NULL},
    {B("[example.com"), DOMAIN_KEY_INVALID, NULL},
    {B("example.com]"), DOMAIN_KEY_INVALID, NULL},
    {B("example.com:abc"), DOMAIN_KEY_INVALID, NULL},
    {B("example.com:-1"), DOMAIN_KEY_INVALID, NULL},
    {B("example.com:+25"), DOMAIN_KEY_INVALID, NULL},
    {B("example.com:25:25"), DOMAIN_KEY_INVALID, NULL},
    {B("[]"), DOMAIN_KEY_INVALID, NULL},
    {B("[]:25"), DOMAIN_KEY_INVALID, NULL},
    {B("[.example.com]"), DOMAIN_KEY_INVALID, NULL},
    {B(":25"), DOMAIN_KEY_INVALID, NULL},
    /* parent-domain probes */
    {B(".example.com"), DOMAIN_KEY_PARENT_PROBE, NULL},
    {B(" .example.com"), DOMAIN_KEY_PARENT_PROBE, NULL},
    {B(".com"), DOMAIN_KEY_PARENT_PROBE, NULL},
    /* IP literals */
    {B("[1.2.3.4]"), DOMAIN_KEY_IP_LITERAL, NULL},
    {B("1.2.3.4"), DOMAIN_KEY_IP_LITERAL, NULL},
    {B("[1.2.3.4]:25"), DOMAIN_KEY_IP_LITERAL, NULL},
    {B("1.2.3.4:25"), DOMAIN_KEY_IP_LITERAL, NULL},
    {B("1.2.3.4."), DOMAIN_KEY_IP_LITERAL, NULL},
    {B("[ipv6:2001:db8::1]"), DOMAIN_KEY_IP_LITERAL, NULL},
    {B("[IPv6:2001:DB8::1]"), DOMAIN_KEY_IP_LITERAL, NULL},
    {B("[ipv6:2001:db8::1]:25"), DOMAIN_KEY_IP_LITERAL, NULL},
    {B("[2001:db8::1]"), DOMAIN_KEY_IP_LITERAL, NULL},
    {B("[2001:db8::1]:25"), DOMAIN_KEY_IP_LITERAL, NULL},
    {B("2001:db8::1"), DOMAIN_KEY_IP_LITERAL, NULL},
    {B("::1"), DOMAIN_KEY_IP_LITERAL, NULL},
    {B("::ffff:192.0.2.1"), DOMAIN_KEY_IP_LITERAL, NULL},
    {B("[ipv6:1.2.3.4]"), DOMAIN_KEY_INVALID, NULL},
    {B("[ipv6:garbage]"), DOMAIN_KEY_INVALID, NULL},
    {B("[ipv6:]"), DOMAIN_KEY_INVALID, NULL},
    {B("[ipv5:2001:db8::1]"), DOMAIN_KEY_INVALID, NULL},
    {B("2001:db8::1%eth0"), DOMAIN_KEY_INVALID, NULL},
    {B("1.2.3.256"), DOMAIN_KEY_INVALID, NULL},
    {B("1.2.3"), DOMAIN_KEY_INVALID, NULL},
    /* hostname rules */
    {B("localhost"), DOMAIN_KEY_INVALID, NULL},
    {B("com"), DOMAIN_KEY_INVALID, NULL},
    {B("-example.com"), DOMAIN_KEY_INVALID, NULL},
    {B("example-.com"), DOMAIN_KEY_INVALID, NULL},
    {B("example.-com"), DOMAIN_KEY_INVALID, NULL},
    {B("ex_ample.com"), DOMAIN_KEY_INVALID, NULL},
    {B("_mta-sts.example.com"), DOMAIN_KEY_INVALID, NULL},
    {B("example..com"), DOMAIN_KEY_INVALID, NULL},
    {B("example.123"), DOMAIN_KEY_INVALID, NULL},
    {B("*.example.com"), DOMAIN_KEY_INVALID, NULL},
    {B("exa mple.com"), DOMAIN_KEY_INVALID, NULL},
    {B("example.com/x"), DOMAIN_KEY_INVALID, NULL},
    {B("user@example.com"), DOMAIN_KEY_INVALID, NULL},
    {B(""), DOMAIN_KEY_INVALID, NULL},
    {B("   "), DOMAIN_KEY_INVALID, NULL},
    {B("."), DOMAIN_KEY_PARENT_PROBE, NULL},
    /* NUL and control bytes */
    {B("exa\0mple.com"), DOMAIN_KEY_INVALID, NULL},
    {B("example.com\0"), DOMAIN_KEY_INVALID, NULL},
    {B("\0example.com"), DOMAIN_KEY_INVALID, NULL},
    {B("exa\001mple.com"), DOMAIN_KEY_INVALID, NULL},
    {B("example.com\177"), DOMAIN_KEY_INVALID, NULL},
    {B("\vexample.com"), DOMAIN_KEY_INVALID, NULL},
    {B("example.com\033[0m"), DOMAIN_KEY_INVALID, NULL},
    {B("exa\tmple.com"), DOMAIN_KEY_INVALID, NULL},
    /* UTF-8 and A-labels */
    {B("b\xc3\xbc"
       "cher.example"),
     DOMAIN_KEY_OK, "xn--bcher-kva.example"},
    {B("B\xc3\x9c"
       "CHER.EXAMPLE"),
     DOMAIN_KEY_OK, "xn--bcher-kva.example"},
    {B("b\xc3\xbc"
       "cher.example."),
     DOMAIN_KEY_OK, "xn--bcher-kva.example"},
    {B("[b\xc3\xbc"
       "cher.example]:25"),
     DOMAIN_KEY_OK, "xn--bcher-kva.example"},
    {B("xn--bcher-kva.example"), DOMAIN_KEY_OK, "xn--bcher-kva.example"},
    {B("XN--BCHER-KVA.EXAMPLE"), DOMAIN_KEY_OK, "xn--bcher-kva.example"},
    {B("m\xc3\xbcller.r4---sn.example"), DOMAIN_KEY_OK, "xn--mller-kva.r4---sn.example"},
    {B("fa\xc3\x9f.de"), DOMAIN_KEY_OK, "xn--fa-hia.de"},
    {B("\xce\xb2\xcf\x8c\xce\xbb\xce\xbf\xcf\x82.example"), DOMAIN_KEY_OK, "xn--nxasmm1c.example"},
    {B("\xf0\x9f\x92\xa9.example"), DOMAIN_KEY_OK, "xn--ls8h.example"},
    {B("a\xe3\x80\x82"
       "example"),
     DOMAIN_KEY_OK, "a.example"},
    {B("xn--a.example"), DOMAIN_KEY_INVALID, NULL},
    {B("xn--.example"), DOMAIN_KEY_INVALID, NULL},
    {B("\xc2\xad.foo.example"), DOMAIN_KEY_INVALID, NULL},
    {B("\xe2\x80\x8b.foo.example"), DOMAIN_KEY_INVALID, NULL},
    {B("foo.\xc2\xad.example"), DOMAIN_KEY_INVALID, NULL},
    {B("a\xc2\xad.foo.example"), DOMAIN_KEY_OK, "a.foo.example"},
    {B("xn--bcher-kvb.example"), DOMAIN_KEY_INVALID, NULL},
    {B("xn---bcher-kva.example"), DOMAIN_KEY_INVALID, NULL},
    {B("\xc3\xa9"), DOMAIN_KEY_INVALID, NULL},
    {B("\xc3\x28.example"), DOMAIN_KEY_INVALID, NULL},
    {B("\xc0\xae.example"), DOMAIN_KEY_INVALID, NULL},
    {B("\xe0\x80\xaf.example"), DOMAIN_KEY_INVALID, NULL},
    {B("\xed\xa0\x80.example"), DOMAIN_KEY_INVALID, NULL},
    {B("\xf4\x90\x80\x80.example"), DOMAIN_KEY_INVALID, NULL},
    {B("\xf8\x88\x80\x80\x80.example"), DOMAIN_KEY_INVALID, NULL},
    {B("\x80"
       "abc.example"),
     DOMAIN_KEY_INVALID, NULL},
    {B("example.b\xc3"), DOMAIN_KEY_INVALID, NULL},
    {B("\xe4\xbe\x28.example"), DOMAIN_KEY_INVALID, NULL},
    {B("\xf0\x9f\x92\x28.example"), DOMAIN_KEY_INVALID, NULL},
    {B("\xff\xfe.example"), DOMAIN_KEY_INVALID, NULL},
    {B("a\xef\xbc\x9a"
       "b.example"),
     DOMAIN_KEY_INVALID, NULL},
    {B("a\xef\xbc\x9d"
       "b.example"),
     DOMAIN_KEY_INVALID, NULL},
    {B("a\xef\xbc\xbf"
       "b.example"),
     DOMAIN_KEY_INVALID, NULL},
    {B("\xc2\x85"
       "example.com"),
     DOMAIN_KEY_INVALID, NULL},
    {B("\xef\xbc\x91.\xef\xbc\x92.\xef\xbc\x93.\xef\xbc\x94"), DOMAIN_KEY_INVALID, NULL},
};

/* Keys built at run time: `unit` repeated `repeat` times, then `suffix`. */
struct gen_row {
    const char *unit;
    size_t repeat;
    const char *suffix;
    enum domain_key_kind kind;
};

static const struct gen_row gen_rows[] = {
    {"a", 63, ".com", DOMAIN_KEY_OK},                          /* 63-octet label */
    {"a", 64, ".com", DOMAIN_KEY_INVALID},                     /* 64-octet label */
    {"abcdefghi.", 24, "abcdefghi.com", DOMAIN_KEY_OK},        /* 253 octets */
    {"abcdefghi.", 24, "abcdefghi.com.", DOMAIN_KEY_OK},       /* 253 + dot */
    {"abcdefghi.", 24, "abcdefghij.com", DOMAIN_KEY_INVALID},  /* 254 octets */
    {"abcdefghi.", 24, "abcdefghi.com.x", DOMAIN_KEY_INVALID}, /* 253 + ".x" */
    {" ", 1013, "example.com", DOMAIN_KEY_OK},                 /* key of 1024 bytes */
    {" ", 1014, "example.com", DOMAIN_KEY_INVALID},            /* key of 1025 bytes */
    {"a.", 511, "com", DOMAIN_KEY_INVALID},                    /* 1025 bytes of labels */
    {"\xc3\xbc", 20, ".example", DOMAIN_KEY_OK},               /* U-label fits in 63 */
    {"\xc3\xbc", 60, ".example", DOMAIN_KEY_INVALID},          /* A-label over 63 */
    {"\xe4\xbe\x8b", 100, ".example", DOMAIN_KEY_INVALID},     /* far over 63 */
    {"[", 1000, "example.com]", DOMAIN_KEY_INVALID},
    {":", 500, "", DOMAIN_KEY_INVALID},
    {".", 500, "example.com", DOMAIN_KEY_PARENT_PROBE},
};

static char *gen_key(const struct gen_row *r, size_t *len)
{
    size_t ul = strlen(r->unit), sl = strlen(r->suffix);
    char *s = malloc(ul * r->repeat + sl + 1);
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < r->repeat; i++)
        memcpy(s + i * ul, r->unit, ul);
    memcpy(s + ul * r->repeat, r->suffix, sl + 1);
    *len = ul * r->repeat + sl;
    return s;
}

/* Properties every OK result must have, whatever the input. */
static void check_ok_output(const char *out, const char *what)
{
    size_t n = strlen(out);
    char again[DOMAIN_BUFSZ];

    ck_assert_msg(n >= 1 && n <= DOMAIN_MAX, "%s: bad length %zu", what, n);
    ck_assert_msg(domain_is_hostname(out, n), "%s: output %s not a hostname", what, out);
    for (size_t i = 0; i < n; i++) {
        char c = out[i];
        ck_assert_msg((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.',
                      "%s: byte 0x%02x in output", what, (unsigned char)c);
    }
    ck_assert_msg(domain_normalize_key(out, n, again) == DOMAIN_KEY_OK, "%s: not idempotent", what);
    ck_assert_str_eq(again, out);
}

START_TEST(test_normalize_table)
{
    const struct key_row *r = &key_rows[_i];
    char out[DOMAIN_BUFSZ];

    memset(out, 'X', sizeof(out));
    enum domain_key_kind k = domain_normalize_key(r->in, r->len, out);
    ck_assert_msg(k == r->kind, "row %d (%.*s): got %s, want %s", _i, (int)r->len, r->in,
                  domain_key_kind_name(k), domain_key_kind_name(r->kind));
    if (r->kind == DOMAIN_KEY_OK) {
        ck_assert_str_eq(out, r->out);
        check_ok_output(out, r->out);
    } else {
        ck_assert_msg(out[0] == '\0', "row %d: output not cleared", _i);
    }
}
END_TEST

START_TEST(test_normalize_generated)
{
    const struct gen_row *r = &gen_rows[_i];
    char out[DOMAIN_BUFSZ];
    size_t len;
    char *key = gen_key(r, &len);

    enum domain_key_kind k = domain_normalize_key(key, len, out);
    ck_assert_msg(k == r->kind, "gen row %d (len %zu): got %s, want %s", _i, len,
                  domain_key_kind_name(k), domain_key_kind_name(r->kind));
    if (k == DOMAIN_KEY_OK)
        check_ok_output(out, "generated");
    free(key);
}
END_TEST

START_TEST(test_normalize_null)
{
    char out[DOMAIN_BUFSZ] = "junk";

    ck_assert_int_eq(domain_normalize_key(NULL, 10, out), DOMAIN_KEY_INVALID);
    ck_assert_str_eq(out, "");
}
END_TEST

/* The key is read only within its length: no NUL terminator needed. */
START_TEST(test_normalize_unterminated)
{
    char key[11];
    char out[DOMAIN_BUFSZ];

    memcpy(key, "example.com", 11);
    ck_assert_int_eq(domain_normalize_key(key, sizeof(key), out), DOMAIN_KEY_OK);
    ck_assert_str_eq(out, "example.com");
    ck_assert_int_eq(domain_normalize_key(key, 7, out), DOMAIN_KEY_INVALID);
}
END_TEST

/* ---- domain_is_hostname / domain_is_ip_literal -------------------------- */

struct bool_row {
    const char *in;
    size_t len;
    bool want;
};

static const struct bool_row hostname_rows[] = {
    {B("example.com"), true},
    {B("EXAMPLE.com"), true},
    {B("a.b"), true},
    {B("xn--bcher-kva.example"), true},
    {B("1a.2b"), true},
    {B("example.c0m"), true},
    {B("example"), false},
    {B(""), false},
    {B("."), false},
    {B("example.com."), false},
    {B(".example.com"), false},
    {B("a..b"), false},
    {B("-a.b"), false},
    {B("a-.b"), false},
    {B("a.b-"), false},
    {B("a_b.c"), false},
    {B("*.example.com"), false},
    {B("1.2.3.4"), false},
    {B("a.123"), false},
    {B("a b.c"), false},
    {B("a\0.bc"), false},
    {B("b\xc3\xbc"
       "cher.example"),
     false},
};

START_TEST(test_is_hostname_table)
{
    const struct bool_row *r = &hostname_rows[_i];
    ck_assert_msg(domain_is_hostname(r->in, r->len) == r->want, "row %d (%.*s)", _i, (int)r->len,
                  r->in);
}
END_TEST

/* A plain hostname is its own normal form: a hostname, lowercase, no
 * A-label. */
static const struct bool_row plain_rows[] = {
    {B("example.com"), true},
    {B("mx-1.a0.example"), true},
    {B("a.b"), true},
    {B("axn--b.example"), true}, /* "xn--" not at a label start */
    {B("EXAMPLE.com"), false},
    {B("mx.Example.com"), false},
    {B("xn--bcher-kva.example"), false},
    {B("mx.xn--bcher-kva.example"), false},
    {B("XN--bcher-kva.example"), false},
    {B("example"), false},
    {B("example.com."), false},
    {B("1.2.3.4"), false},
    {B("-a.b"), false},
    {B("a\0.bc"), false},
};

START_TEST(test_is_plain_hostname_table)
{
    const struct bool_row *r = &plain_rows[_i];
    ck_assert_msg(domain_is_plain_hostname(r->in, r->len) == r->want, "row %d (%.*s)", _i,
                  (int)r->len, r->in);
}
END_TEST

static const struct bool_row ip_rows[] = {
    {B("1.2.3.4"), true},
    {B("255.255.255.255"), true},
    {B("2001:db8::1"), true},
    {B("::"), true},
    {B("::ffff:1.2.3.4"), true},
    {B("1.2.3.256"), false},
    {B("1.2.3"), false},
    {B("[1.2.3.4]"), false},
    {B("1.2.3.4 "), false},
    {B("1.2.3.4\0"), false},
    {B("2001:db8::1::2"), false},
    {B("ipv6:2001:db8::1"), false},
    {B("example.com"), false},
    {B(""), false},
    {B("0000:0000:0000:0000:0000:0000:0000:0000:0000"), false},
};

START_TEST(test_is_ip_literal_table)
{
    const struct bool_row *r = &ip_rows[_i];
    ck_assert_msg(domain_is_ip_literal(r->in, r->len) == r->want, "row %d (%.*s)", _i, (int)r->len,
                  r->in);
}
END_TEST

START_TEST(test_hostname_lengths)
{
    char buf[300];

    /* 253 octets: accepted; 254: rejected.  Labels of 63 and 64 octets. */
    memset(buf, 'a', sizeof(buf));
    for (size_t i = 63; i < sizeof(buf); i += 64)
        buf[i] = '.';
    ck_assert(domain_is_hostname(buf, 253));
    ck_assert(!domain_is_hostname(buf, 254));
    ck_assert(domain_is_hostname(buf, 63 + 1 + 63));
    buf[63] = 'a';
    ck_assert(!domain_is_hostname(buf, 64 + 1 + 62));
    ck_assert(!domain_is_hostname(NULL, 5));
    ck_assert(!domain_is_ip_literal(NULL, 5));
}
END_TEST

/* ---- domain_mx_pattern -------------------------------------------------- */

struct mx_row {
    const char *in;
    size_t len;
    const char *pattern; /* NULL: rejected */
    const char *match;
};

static const struct mx_row mx_rows[] = {
    {B("mx.example.net"), "mx.example.net", "mx.example.net"},
    {B("MX.Example.NET"), "mx.example.net", "mx.example.net"},
    {B("*.example.net"), "*.example.net", ".example.net"},
    {B("*.EXAMPLE.net."), "*.example.net", ".example.net"},
    {B("mx.example.net."), "mx.example.net", "mx.example.net"},
    {B("mx.b\xc3\xbc"
       "cher.example"),
     "mx.xn--bcher-kva.example", "mx.xn--bcher-kva.example"},
    {B("*.b\xc3\xbc"
       "cher.example"),
     "*.xn--bcher-kva.example", ".xn--bcher-kva.example"},
    {B("*.xn--bcher-kva.example"), "*.xn--bcher-kva.example", ".xn--bcher-kva.example"},
    {B("*.r4---sn.example"), "*.r4---sn.example", ".r4---sn.example"},
    {B("mx.example.net.."), NULL, NULL},
    {B("*"), NULL, NULL},
    {B("*."), NULL, NULL},
    {B("*.com"), NULL, NULL},
    {B("*.com."), NULL, NULL},
    {B("**.x.y"), NULL, NULL},
    {B("*.*.example.net"), NULL, NULL},
    {B("a.*.example"), NULL, NULL},
    {B("mx.*"), NULL, NULL},
    {B("*example.net"), NULL, NULL},
    {B("mx*.example.net"), NULL, NULL},
    {B(".example.net"), NULL, NULL},
    {B("localhost"), NULL, NULL},
    {B("1.2.3.4"), NULL, NULL},
    {B("[1.2.3.4]"), NULL, NULL},
    {B("2001:db8::1"), NULL, NULL},
    {B("[ipv6:2001:db8::1]"), NULL, NULL},
    {B("*.1.2.3.4"), NULL, NULL},
    {B("mx .example.net"), NULL, NULL},
    {B(" mx.example.net"), NULL, NULL},
    {B("mx.example.net "), NULL, NULL},
    {B("mx=x.example.net"), NULL, NULL},
    {B("mx.example.net:25"), NULL, NULL},
    {B("mx{.example.net"), NULL, NULL},
    {B("mx}.example.net"), NULL, NULL},
    {B("{ policy_string = x }"), NULL, NULL},
    {B("mx.example.net\r"), NULL, NULL},
    {B("mx\001.example.net"), NULL, NULL},
    {B("mx.example.net\177"), NULL, NULL},
    {B("mx.example.net\0junk"), NULL, NULL},
    {B("mx.example.net/junk"), NULL, NULL},
    {B("mx.example.net;x"), NULL, NULL},
    {B("mx.example.net,x.example.net"), NULL, NULL},
    {B("mx_1.example.net"), NULL, NULL},
    {B("-mx.example.net"), NULL, NULL},
    {B(""), NULL, NULL},
    {B("xn--a.example"), NULL, NULL},
    {B("*.\xc2\xad.example.net"), NULL, NULL},
    {B("mx.\xc3\x28.example"), NULL, NULL},
    {B("a\xef\xbc\x9a"
       "b.example"),
     NULL, NULL},
    {B("a\xef\xbc\x9d"
       "b.example"),
     NULL, NULL},
    {B("\xef\xbc\x8a.example.net"), NULL, NULL},
};

START_TEST(test_mx_table)
{
    const struct mx_row *r = &mx_rows[_i];
    char pattern[DOMAIN_PATTERN_BUFSZ], match[DOMAIN_PATTERN_BUFSZ];

    memset(pattern, 'X', sizeof(pattern));
    memset(match, 'X', sizeof(match));
    bool ok = domain_mx_pattern(r->in, r->len, pattern, match);
    ck_assert_msg(ok == (r->pattern != NULL), "row %d (%.*s): got %d", _i, (int)r->len, r->in, ok);
    if (ok) {
        ck_assert_str_eq(pattern, r->pattern);
        ck_assert_str_eq(match, r->match);
    } else {
        ck_assert_str_eq(pattern, "");
        ck_assert_str_eq(match, "");
    }
}
END_TEST

START_TEST(test_mx_lengths)
{
    char in[DOMAIN_KEY_MAX + 2];
    char pattern[DOMAIN_PATTERN_BUFSZ], match[DOMAIN_PATTERN_BUFSZ];

    /* "*." + a 253-octet host fills the pattern buffer exactly. */
    memcpy(in, "*.", 2);
    memset(in + 2, 'a', sizeof(in) - 2);
    for (size_t i = 2 + 63; i < sizeof(in); i += 64)
        in[i] = '.';
    ck_assert(domain_mx_pattern(in, 2 + 253, pattern, match));
    ck_assert_uint_eq(strlen(pattern), 255);
    ck_assert_uint_eq(strlen(match), 254);
    ck_assert_int_eq(match[0], '.');
    ck_assert_str_eq(match + 1, pattern + 2);
    ck_assert(!domain_mx_pattern(in, 2 + 254, pattern, match));
    ck_assert(!domain_mx_pattern(in, DOMAIN_KEY_MAX + 1, pattern, match));
    ck_assert(domain_mx_pattern(in + 2, 253, pattern, match));
    ck_assert(!domain_mx_pattern(NULL, 3, pattern, match));
}
END_TEST

/* ---- domain_mx_match (RFC 8461 section 4.1) ----------------------------- */

struct match_row {
    const char *pattern;
    const char *host;
    bool want;
};

static const struct match_row match_rows[] = {
    /* exact */
    {"mx.example.com", "mx.example.com", true},
    {"mx.example.com", "MX.Example.COM", true},
    {"mx.example.com", "mx2.example.com", false},
    {"mx.example.com", "a.mx.example.com", false},
    {"mx.example.com", "example.com", false},
    {"mx.example.com", "mx.example.co", false},
    {"mx.example.com", "mx.example.com.evil", false},
    /* "*" covers exactly one leftmost label */
    {"*.example.com", "mx.example.com", true},
    {"*.example.com", "MX1.EXAMPLE.com", true},
    {"*.example.com", "example.com", false},
    {"*.example.com", "a.b.example.com", false},
    {"*.example.com", ".example.com", false},
    {"*.example.com", "mxexample.com", false},
    {"*.example.com", "mx.notexample.com", false},
    {"*.example.com", "mx.example.com.evil.net", false},
    {"*.mail.example.com", "mx.mail.example.com", true},
    {"*.mail.example.com", "mx.example.com", false},
    {"*.xn--bcher-kva.example", "mx.xn--bcher-kva.example", true},
    /* degenerate inputs never match */
    {"", "", false},
    {"*.", "a.", false},
    {"*", "a", false},
    {"mx.example.com", "", false},
    {"*.example.com", "", false},
};

START_TEST(test_mx_match_table)
{
    const struct match_row *r = &match_rows[_i];

    ck_assert_msg(domain_mx_match(r->pattern, r->host) == r->want, "'%s' vs '%s': want %s",
                  r->pattern, r->host, r->want ? "match" : "no match");
}
END_TEST

START_TEST(test_mx_match_null)
{
    ck_assert(!domain_mx_match(NULL, "mx.example.com"));
    ck_assert(!domain_mx_match("mx.example.com", NULL));
    ck_assert(!domain_cert_name_match(NULL, 0, "mx.example.com"));
    ck_assert(!domain_cert_name_match("mx.example.com", 14, NULL));
}
END_TEST

/* ---- domain_cert_name_match (RFC 6125 section 6.4, RFC 8461 4.2) -------- */

struct cert_row {
    const char *dns_id; /* as a certificate carries it: hostile */
    size_t len;         /* 0: strlen */
    const char *host;   /* the MX host, normalised */
    bool want;
};

static const struct cert_row cert_rows[] = {
    {"mx.example.com", 0, "mx.example.com", true},
    {"MX.Example.COM", 0, "mx.example.com", true},
    {"mx2.example.com", 0, "mx.example.com", false},
    {"example.com", 0, "mx.example.com", false},
    {"*.example.com", 0, "mx.example.com", true},
    {"*.EXAMPLE.com", 0, "mx.example.com", true},
    {"*.example.com", 0, "example.com", false},      /* one label, not none */
    {"*.example.com", 0, "a.mx.example.com", false}, /* nor two */
    {"*.mail.example.com", 0, "mx.mail.example.com", true},
    /* "*" only as the whole leftmost label */
    {"m*.example.com", 0, "mx.example.com", false},
    {"*x.example.com", 0, "mx.example.com", false},
    {"mx.*.com", 0, "mx.example.com", false},
    {"*.*.com", 0, "mx.example.com", false},
    {"**.example.com", 0, "mx.example.com", false},
    {"*", 0, "mx", false},
    {"*.com", 0, "example.com", false}, /* a wildcard needs two labels after it */
    {"*.", 0, "a.", false},
    /* not host names: never a match */
    {"mx.example.com.", 0, "mx.example.com", false},
    {"mx.example.com\0.evil.net", 25, "mx.example.com", false},
    {"mx .example.com", 0, "mx .example.com", false},
    {"192.0.2.1", 0, "192.0.2.1", false},
    {"", 0, "", false},
    {"mx.example.com", 0, "", false},
};

START_TEST(test_cert_name_table)
{
    const struct cert_row *r = &cert_rows[_i];
    size_t len = r->len != 0 ? r->len : strlen(r->dns_id);

    ck_assert_msg(domain_cert_name_match(r->dns_id, len, r->host) == r->want,
                  "'%s' vs '%s': want %s", r->dns_id, r->host, r->want ? "match" : "no match");
}
END_TEST

/* ---- domain_key_kind_name ----------------------------------------------- */

START_TEST(test_kind_names)
{
    const char *names[4];

    names[0] = domain_key_kind_name(DOMAIN_KEY_OK);
    names[1] = domain_key_kind_name(DOMAIN_KEY_PARENT_PROBE);
    names[2] = domain_key_kind_name(DOMAIN_KEY_IP_LITERAL);
    names[3] = domain_key_kind_name(DOMAIN_KEY_INVALID);
    for (int i = 0; i < 4; i++) {
        ck_assert_ptr_nonnull(names[i]);
        ck_assert_uint_gt(strlen(names[i]), 0);
        for (int j = 0; j < i; j++)
            ck_assert_str_ne(names[i], names[j]);
    }
    ck_assert_str_eq(domain_key_kind_name((enum domain_key_kind)99), "unknown");
}
END_TEST

/* ---- domain_zone -------------------------------------------------------- */

static const struct {
    const char *domain, *zone;
} zone_rows[] = {
    {"example.com", "example.com"},
    {"mail.example.com", "example.com"},
    {"a.b.c.example.com", "example.com"},
    {"x123.flood.test", "flood.test"},
    {"good.test", "good.test"},
    {"localhost", "localhost"},
    /* country-code second levels: one label deeper */
    {"example.co.uk", "example.co.uk"},
    {"mail.example.co.uk", "example.co.uk"},
    {"a.b.example.com.au", "example.com.au"},
    {"x.example.ne.jp", "example.ne.jp"},
    {"co.uk", "co.uk"},
    /* not a country code, or not a listed second level */
    {"x.example.co.com", "co.com"},
    {"x.example.com.org", "com.org"},
    {"x.abc.de", "abc.de"},
    {"x.example.coo.uk", "coo.uk"},
    {"x.example.c.uk", "c.uk"},
    {"x.example.co.ukk", "co.ukk"},
};

START_TEST(test_zone_table)
{
    const char *d = zone_rows[_i].domain;
    const char *z = domain_zone(d);
    ck_assert_str_eq(z, zone_rows[_i].zone);
    /* A suffix of the domain, on a label boundary. */
    ck_assert_ptr_eq(z, d + strlen(d) - strlen(z));
    ck_assert(z == d || z[-1] == '.');
}
END_TEST

/* domain_key_hop(): the next hop of a key, for DANE. */
static const struct {
    const char *key;
    bool mx;
    unsigned port;
} hop_rows[] = {
    {"example.com", true, 25},
    {"EXAMPLE.COM.", true, 25},
    {"example.com:587", true, 587},
    {"[example.com]", false, 25},
    {"[example.com]:587", false, 587},
    {"  [relay.example]:2525 ", false, 2525},
    {"[relay.example]:65535", false, 65535},
    {"example.com:0", true, 25},      /* not a port: refused by normalize anyway */
    {"example.com:123456", true, 25}, /* likewise */
    {"[relay.example]x", false, 25},  /* likewise */
    {"\t example.com:25\r\n", true, 25},
};

START_TEST(test_key_hop_table)
{
    bool mx = !hop_rows[_i].mx;
    unsigned port = 0;
    domain_key_hop(hop_rows[_i].key, strlen(hop_rows[_i].key), &mx, &port);
    ck_assert_msg(mx == hop_rows[_i].mx, "%s: mx", hop_rows[_i].key);
    ck_assert_msg(port == hop_rows[_i].port, "%s: port %u", hop_rows[_i].key, port);
    /* the key names a policy domain (or is refused) either way */
}
END_TEST

START_TEST(test_key_hop_null)
{
    bool mx = false;
    unsigned port = 0;
    domain_key_hop(NULL, 5, &mx, &port);
    ck_assert(mx);
    ck_assert_uint_eq(port, 25);
    domain_key_hop("[a.b]:587", 0, &mx, &port);
    ck_assert(mx);
    ck_assert_uint_eq(port, 25);
}
END_TEST

#define NROWS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *domain_suite(void)
{
    Suite *s = suite_create("domain");
    TCase *tc;

    tc = tcase_create("normalize");
    tcase_add_loop_test(tc, test_normalize_table, 0, NROWS(key_rows));
    tcase_add_loop_test(tc, test_normalize_generated, 0, NROWS(gen_rows));
    tcase_add_test(tc, test_normalize_null);
    tcase_add_test(tc, test_normalize_unterminated);
    suite_add_tcase(s, tc);

    tc = tcase_create("hostname");
    tcase_add_loop_test(tc, test_is_hostname_table, 0, NROWS(hostname_rows));
    tcase_add_loop_test(tc, test_is_plain_hostname_table, 0, NROWS(plain_rows));
    tcase_add_loop_test(tc, test_is_ip_literal_table, 0, NROWS(ip_rows));
    tcase_add_test(tc, test_hostname_lengths);
    suite_add_tcase(s, tc);

    tc = tcase_create("mx_pattern");
    tcase_add_loop_test(tc, test_mx_table, 0, NROWS(mx_rows));
    tcase_add_test(tc, test_mx_lengths);
    tcase_add_test(tc, test_kind_names);
    tcase_add_loop_test(tc, test_mx_match_table, 0, NROWS(match_rows));
    tcase_add_loop_test(tc, test_cert_name_table, 0, NROWS(cert_rows));
    tcase_add_test(tc, test_mx_match_null);
    suite_add_tcase(s, tc);

    tc = tcase_create("zone");
    tcase_add_loop_test(tc, test_zone_table, 0, NROWS(zone_rows));
    suite_add_tcase(s, tc);

    tc = tcase_create("hop");
    tcase_add_loop_test(tc, test_key_hop_table, 0, NROWS(hop_rows));
    tcase_add_test(tc, test_key_hop_null);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(domain_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * check_reply - unit tests for src/reply.c.
 *
 * Policies are built by hand (struct sts_policy with static arrays); the
 * policy parser is not linked.  Tables:
 *   - secure_rows: accepted policies and the exact reply for each profile;
 *     every accepted reply is also re-parsed the way Postfix's
 *     smtp_tls_policy.c tokenises it (split at ", \t\r\n" outside braces)
 *     and its attributes counted, so an injected attribute would show;
 *   - bad_domain_rows, bad_mx_rows, bad_line_rows: one hostile or invalid
 *     value each, which must render nothing (0 and "");
 *   - size tests around outsz and REPLY_MAX;
 *   - reply_secure_fit(): every step down (full, without policy_string,
 *     classic, TEMP) at its exact boundary, with lengths counted in the
 *     test from the attribute syntax, at small limits and at REPLY_MAX;
 *     each cut reply is the full reply's prefix and parses like Postfix;
 *   - map names; NOTFOUND/TEMP/PERM with hostile reasons.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reply.h"

#define MAXV 8

/* Labels of 61, 62 and 63 octets for the length limits. */
#define A61 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define A62 A61 "a"
#define A63 A62 "a"
#define BIG (2 * REPLY_MAX)

/* A policy as NULL-terminated string lists. */
struct spec {
    const char *mx[MAXV];
    const char *match[MAXV];
    const char *lines[MAXV];
};

/* Fill p from s; the arrays live in the caller's storage. */
static void build(struct sts_policy *p, const struct spec *s, const char **mx, const char **match,
                  const char **lines)
{
    memset(p, 0, sizeof(*p));
    p->mode = STS_MODE_ENFORCE;
    p->max_age = 86400;
    size_t n = 0;
    while (n < MAXV && s->mx[n] != NULL) {
        mx[n] = s->mx[n];
        match[n] = s->match[n];
        n++;
    }
    p->n_mx = n;
    p->mx = mx;
    p->match = match;
    n = 0;
    while (n < MAXV && s->lines[n] != NULL) {
        lines[n] = s->lines[n];
        n++;
    }
    p->n_lines = n;
    p->lines = lines;
}

/*
 * Re-parse an accepted reply like Postfix: "OK " then tokens separated by
 * comma/space/tab/CR/LF outside "{ }".  Count each attribute; fail on any
 * unknown attribute, stray brace or malformed token.
 */
struct counts {
    size_t secure, match_patterns, servername, policy_type, policy_domain, mx_host_pattern,
        policy_string;
};

static void postfix_parse(const char *reply, struct counts *c)
{
    memset(c, 0, sizeof(*c));
    ck_assert_msg(strncmp(reply, "OK ", 3) == 0, "reply does not start with OK: %s", reply);
    const char *s = reply + 3;
    while (*s != '\0') {
        while (*s != '\0' && strchr(", \t\r\n", *s) != NULL)
            s++;
        if (*s == '\0')
            break;
        const char *start = s;
        int depth = 0;
        while (*s != '\0' && (depth > 0 || strchr(", \t\r\n", *s) == NULL)) {
            if (*s == '{')
                depth++;
            else if (*s == '}') {
                ck_assert_msg(depth > 0, "stray '}' in %s", reply);
                depth--;
            }
            s++;
        }
        ck_assert_msg(depth == 0, "unbalanced '{' in %s", reply);
        size_t len = (size_t)(s - start);
        char tok[REPLY_MAX + 1];
        memcpy(tok, start, len);
        tok[len] = '\0';
        if (tok[0] == '{') {
            ck_assert_msg(tok[len - 1] == '}', "brace token %s", tok);
            ck_assert_msg(strncmp(tok, "{ policy_string = ", 18) == 0, "brace token %s", tok);
            ck_assert_msg(strpbrk(tok + 1, "{") == NULL, "nested brace %s", tok);
            c->policy_string++;
            continue;
        }
        ck_assert_msg(strpbrk(tok, "{}") == NULL, "brace in token %s", tok);
        if (strcmp(tok, "secure") == 0) {
            c->secure++;
            continue;
        }
        char *eq = strchr(tok, '=');
        ck_assert_msg(eq != NULL, "token without '=': %s", tok);
        *eq = '\0';
        const char *val = eq + 1;
        ck_assert_msg(*val != '\0', "empty value for %s", tok);
        if (strcmp(tok, "match") == 0) {
            c->match_patterns = 1;
            for (const char *q = val; *q; q++)
                if (*q == ':')
                    c->match_patterns++;
        } else if (strcmp(tok, "servername") == 0) {
            ck_assert_str_eq(val, "hostname");
            c->servername++;
        } else if (strcmp(tok, "policy_type") == 0) {
            ck_assert_str_eq(val, "sts");
            c->policy_type++;
        } else if (strcmp(tok, "policy_domain") == 0) {
            c->policy_domain++;
        } else if (strcmp(tok, "mx_host_pattern") == 0) {
            c->mx_host_pattern++;
        } else {
            ck_abort_msg("unexpected attribute %s in %s", tok, reply);
        }
    }
}

static void check_structure(const char *reply, enum reply_profile prof, const struct sts_policy *p)
{
    struct counts c;
    postfix_parse(reply, &c);
    ck_assert_uint_eq(c.secure, 1);
    ck_assert_uint_eq(c.match_patterns, p->n_mx);
    ck_assert_uint_eq(c.servername, 1);
    if (prof == REPLY_PROFILE_TLSRPT) {
        ck_assert_uint_eq(c.policy_type, 1);
        ck_assert_uint_eq(c.policy_domain, 1);
        ck_assert_uint_eq(c.mx_host_pattern, p->n_mx);
        ck_assert_uint_eq(c.policy_string, p->n_lines);
    } else {
        ck_assert_uint_eq(c.policy_type + c.policy_domain + c.mx_host_pattern + c.policy_string, 0);
    }
}

/* ---- accepted policies ---- */

#define LINES_STD                                                                                  \
    {                                                                                              \
        "version: STSv1", "mode: enforce", "mx: mx.example.net", "max_age: 86400", NULL            \
    }

struct secure_row {
    const char *name;
    const char *domain;
    struct spec spec;
    const char *classic;
    const char *tlsrpt;
};

static const struct secure_row secure_rows[] = {
    {"one mx",
     "example.com",
     {{"mx.example.net", NULL}, {"mx.example.net", NULL}, LINES_STD},
     "OK secure match=mx.example.net servername=hostname",
     "OK secure match=mx.example.net servername=hostname policy_type=sts "
     "policy_domain=example.com mx_host_pattern=mx.example.net "
     "{ policy_string = version: STSv1 } { policy_string = mode: enforce } "
     "{ policy_string = mx: mx.example.net } { policy_string = max_age: 86400 }"},
    {"several mx, policy order kept",
     "example.com",
     {{"mx2.example.net", "mx1.example.net", "backup.example.org", NULL},
      {"mx2.example.net", "mx1.example.net", "backup.example.org", NULL},
      {"version: STSv1", "mode: enforce", "mx: mx2.example.net", "mx: mx1.example.net",
       "mx: backup.example.org", "max_age: 604800", NULL}},
     "OK secure match=mx2.example.net:mx1.example.net:backup.example.org servername=hostname",
     "OK secure match=mx2.example.net:mx1.example.net:backup.example.org servername=hostname "
     "policy_type=sts policy_domain=example.com mx_host_pattern=mx2.example.net "
     "mx_host_pattern=mx1.example.net mx_host_pattern=backup.example.org "
     "{ policy_string = version: STSv1 } { policy_string = mode: enforce } "
     "{ policy_string = mx: mx2.example.net } { policy_string = mx: mx1.example.net } "
     "{ policy_string = mx: backup.example.org } { policy_string = max_age: 604800 }"},
    {"wildcard mx",
     "example.com",
     {{"*.example.net", NULL}, {".example.net", NULL}, {"mx: *.example.net", NULL}},
     "OK secure match=.example.net servername=hostname",
     "OK secure match=.example.net servername=hostname policy_type=sts "
     "policy_domain=example.com mx_host_pattern=*.example.net "
     "{ policy_string = mx: *.example.net }"},
    {"wildcard and plain mixed",
     "mail.example.co.uk",
     {{"mx1.example.net", "*.mx.example.org", NULL},
      {"mx1.example.net", ".mx.example.org", NULL},
      {NULL}},
     "OK secure match=mx1.example.net:.mx.example.org servername=hostname",
     "OK secure match=mx1.example.net:.mx.example.org servername=hostname policy_type=sts "
     "policy_domain=mail.example.co.uk mx_host_pattern=mx1.example.net "
     "mx_host_pattern=*.mx.example.org"},
    {"A-labels, digits and hyphens",
     "xn--bcher-kva.example",
     {{"mx-1.xn--bcher-kva.example", "0mx.example9.net", NULL},
      {"mx-1.xn--bcher-kva.example", "0mx.example9.net", NULL},
      {"mode: enforce", NULL}},
     "OK secure match=mx-1.xn--bcher-kva.example:0mx.example9.net servername=hostname",
     "OK secure match=mx-1.xn--bcher-kva.example:0mx.example9.net servername=hostname "
     "policy_type=sts policy_domain=xn--bcher-kva.example "
     "mx_host_pattern=mx-1.xn--bcher-kva.example mx_host_pattern=0mx.example9.net "
     "{ policy_string = mode: enforce }"},
    {"policy lines with '=', ',', ':' and UTF-8 stay inside braces",
     "example.com",
     {{"mx.example.net", NULL},
      {"mx.example.net", NULL},
      {"x-a: b=c,d", "x-b: k:v", "x-c: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7", NULL}},
     "OK secure match=mx.example.net servername=hostname",
     "OK secure match=mx.example.net servername=hostname policy_type=sts "
     "policy_domain=example.com mx_host_pattern=mx.example.net "
     "{ policy_string = x-a: b=c,d } { policy_string = x-b: k:v } "
     "{ policy_string = x-c: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7 }"},
    {"duplicates are not reply's job: rendered as given",
     "example.com",
     {{"mx.example.net", "mx.example.net", NULL},
      {"mx.example.net", "mx.example.net", NULL},
      {NULL}},
     "OK secure match=mx.example.net:mx.example.net servername=hostname",
     "OK secure match=mx.example.net:mx.example.net servername=hostname policy_type=sts "
     "policy_domain=example.com mx_host_pattern=mx.example.net "
     "mx_host_pattern=mx.example.net"},
};

START_TEST(test_secure_table)
{
    const struct secure_row *r = &secure_rows[_i];
    const char *mx[MAXV], *match[MAXV], *lines[MAXV];
    struct sts_policy p;
    char *out = malloc(BIG);
    ck_assert_ptr_nonnull(out);

    build(&p, &r->spec, mx, match, lines);

    size_t n = reply_secure(out, BIG, REPLY_PROFILE_CLASSIC, r->domain, &p);
    ck_assert_msg(n > 0, "%s: classic rejected", r->name);
    ck_assert_str_eq(out, r->classic);
    ck_assert_uint_eq(n, strlen(out));
    check_structure(out, REPLY_PROFILE_CLASSIC, &p);

    n = reply_secure(out, BIG, REPLY_PROFILE_TLSRPT, r->domain, &p);
    ck_assert_msg(n > 0, "%s: tlsrpt rejected", r->name);
    ck_assert_str_eq(out, r->tlsrpt);
    ck_assert_uint_eq(n, strlen(out));
    check_structure(out, REPLY_PROFILE_TLSRPT, &p);

    /* Mode is the caller's business (strict_testing renders testing too). */
    p.mode = STS_MODE_TESTING;
    ck_assert_uint_eq(reply_secure(out, BIG, REPLY_PROFILE_CLASSIC, r->domain, &p),
                      strlen(r->classic));
    free(out);
}
END_TEST

/* ---- rejected values ---- */

static void expect_reject(const char *name, enum reply_profile prof, const char *domain,
                          const struct sts_policy *p)
{
    char out[4096];
    memset(out, 'Z', sizeof(out));
    size_t n = reply_secure(out, sizeof(out), prof, domain, p);
    ck_assert_msg(n == 0, "%s (%s): accepted as \"%s\"", name, reply_profile_map(prof), out);
    ck_assert_msg(out[0] == '\0', "%s: out not emptied", name);
}

static const char *const good_mx[] = {"mx.example.net"};
static const char *const good_lines[] = {"version: STSv1", "mode: enforce"};

static void good_policy(struct sts_policy *p)
{
    memset(p, 0, sizeof(*p));
    p->mode = STS_MODE_ENFORCE;
    p->max_age = 86400;
    p->n_mx = 1;
    p->mx = (const char **)good_mx;
    p->match = (const char **)good_mx;
    p->n_lines = 2;
    p->lines = (const char **)good_lines;
}

struct str_row {
    const char *name;
    const char *value;
};

static const struct str_row bad_domain_rows[] = {
    {"empty", ""},
    {"single label", "example"},
    {"uppercase", "Example.com"},
    {"trailing dot", "example.com."},
    {"leading dot", ".example.com"},
    {"wildcard", "*.example.com"},
    {"space", "example.com x"},
    {"attribute injection", "example.com policy_type=tlsa"},
    {"equals", "a=b.example.com"},
    {"colon", "example.com:25"},
    {"open brace", "{x}.example.com"},
    {"close brace", "example.com}"},
    {"comma", "example.com,match=evil.net"},
    {"empty label", "example..com"},
    {"leading hyphen", "-example.com"},
    {"trailing hyphen", "example-.com"},
    {"underscore", "_mta-sts.example.com"},
    {"IPv4 literal", "192.0.2.1"},
    {"bracketed IPv4", "[192.0.2.1]"},
    {"IPv6 literal", "2001:db8::1"},
    {"CRLF", "example.com\r\nOK secure"},
    {"LF", "example.com\n"},
    {"tab", "example\t.com"},
    {"DEL", "example\x7f.com"},
    {"high byte", "b\xc3\xbc"
                  "cher.example"},
    {"label of 64", A63 "a.example"},
    {"254 octets", A63 "." A63 "." A63 "." A62},
};

START_TEST(test_bad_domain)
{
    const struct str_row *r = &bad_domain_rows[_i];
    struct sts_policy p;
    good_policy(&p);
    expect_reject(r->name, REPLY_PROFILE_CLASSIC, r->value, &p);
    expect_reject(r->name, REPLY_PROFILE_TLSRPT, r->value, &p);
}
END_TEST

/* The longest valid names are accepted (so the rows above test the limit). */
START_TEST(test_domain_limits)
{
    static const char *const ok[] = {
        A63 ".example",
        A63 "." A63 "." A63 "." A61, /* 253 octets */
        "a.b",
        "192.0.2.com",
    };
    struct sts_policy p;
    char out[4096];
    good_policy(&p);
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        ck_assert_msg(reply_secure(out, sizeof(out), REPLY_PROFILE_TLSRPT, ok[i], &p) > 0,
                      "rejected %s", ok[i]);
        check_structure(out, REPLY_PROFILE_TLSRPT, &p);
    }
    ck_assert_uint_eq(strlen(ok[1]), 253);

    /* The longest wildcard pattern: "*." plus 253 octets. */
    const char *mx[1] = {"*." A63 "." A63 "." A63 "." A61};
    const char *match[1] = {"." A63 "." A63 "." A63 "." A61};
    p.mx = mx;
    p.match = match;
    ck_assert_uint_gt(reply_secure(out, sizeof(out), REPLY_PROFILE_TLSRPT, "example.com", &p), 0);
    check_structure(out, REPLY_PROFILE_TLSRPT, &p);
    ck_assert_ptr_nonnull(strstr(out, " mx_host_pattern=*.aaa"));
}
END_TEST

struct mx_row {
    const char *name;
    const char *mx;
    const char *match;
};

static const struct mx_row bad_mx_rows[] = {
    {"space adds attribute", "mx.example.net servername=evil", "mx.example.net servername=evil"},
    {"equals", "mx=.example.net", "mx=.example.net"},
    {"colon adds match pattern", "mx.example.net:evil.net", "mx.example.net:evil.net"},
    {"open brace", "{mx}.example.net", "{mx}.example.net"},
    {"close brace", "mx.example.net}", "mx.example.net}"},
    {"comma", "mx.example.net,match=evil.net", "mx.example.net,match=evil.net"},
    {"CRLF", "mx.example.net\r\n", "mx.example.net\r\n"},
    {"LF", "mx.example.net\n", "mx.example.net\n"},
    {"tab", "mx.example.net\tx", "mx.example.net\tx"},
    {"empty", "", ""},
    {"dot only", ".", "."},
    {"star only", "*", "*"},
    {"star dot", "*.", "."},
    {"wildcard over TLD", "*.net", ".net"},
    {"single label", "localhost", "localhost"},
    {"leading dot in mx", ".example.net", ".example.net"},
    {"double dot", "mx..example.net", "mx..example.net"},
    {"leading double dot", "..example.net", "..example.net"},
    {"double star", "**.example.net", "*.example.net"},
    {"two wildcards", "*.*.example.net", ".*.example.net"},
    {"inner wildcard", "mx.*.example.net", "mx.*.example.net"},
    {"star without dot", "*example.net", "example.net"},
    {"uppercase", "MX.example.net", "MX.example.net"},
    {"trailing dot", "mx.example.net.", "mx.example.net."},
    {"IPv4", "192.0.2.1", "192.0.2.1"},
    {"bracketed IPv4", "[192.0.2.1]", "[192.0.2.1]"},
    {"IPv6", "2001:db8::1", "2001:db8::1"},
    {"underscore", "mx_1.example.net", "mx_1.example.net"},
    {"high byte", "m\xc3\xa4il.example.net", "m\xc3\xa4il.example.net"},
    {"label of 64", A63 "a.example.net", A63 "a.example.net"},
    /* mx and match must be the same pattern in its two forms */
    {"match kept the star", "*.example.net", "*.example.net"},
    {"match lost the dot", "*.example.net", "example.net"},
    {"match is another host", "a.example.net", "b.example.net"},
    {"match widened to sub-domains", "a.example.net", ".a.example.net"},
    {"match narrowed", "*.example.net", "a.example.net"},
};

START_TEST(test_bad_mx)
{
    const struct mx_row *r = &bad_mx_rows[_i];
    const char *mx[2] = {"mx1.example.net", r->mx};
    const char *match[2] = {"mx1.example.net", r->match};
    struct sts_policy p;
    good_policy(&p);
    p.n_mx = 2;
    p.mx = mx;
    p.match = match;
    expect_reject(r->name, REPLY_PROFILE_CLASSIC, "example.com", &p);
    expect_reject(r->name, REPLY_PROFILE_TLSRPT, "example.com", &p);
}
END_TEST

static const struct str_row bad_line_rows[] = {
    {"close brace ends group", "mode: enforce } policy_type=tlsa {"},
    {"open brace", "x-a: {b"},
    {"close brace", "x-a: b}"},
    {"CRLF", "mode: enforce\r\n"},
    {"CR", "mode: enforce\rx"},
    {"LF", "mode:\nenforce"},
    {"tab", "mode:\tenforce"},
    {"DEL", "mode: enforce\x7f"},
    {"ESC", "x-a: \x1b[31m"},
    {"empty", ""},
    {"leading space", " mode: enforce"},
    {"trailing space", "mode: enforce "},
    {"invalid UTF-8 byte", "x-a: \xff"},
    {"lone continuation", "x-a: \x80"},
    {"overlong slash", "x-a: \xc0\xaf"},
    {"overlong 3-byte", "x-a: \xe0\x80\xaf"},
    {"surrogate", "x-a: \xed\xa0\x80"},
    {"C1 control NEL", "x-a: \xc2\x85"},
    {"truncated sequence", "x-a: \xe2\x82"},
    {"truncated at end", "x-a: \xc3"},
    {"above U+10FFFF", "x-a: \xf4\x90\x80\x80"},
    {"5-byte lead", "x-a: \xf8\x88\x80\x80\x80"},
};

START_TEST(test_bad_line)
{
    const struct str_row *r = &bad_line_rows[_i];
    const char *lines[3] = {"version: STSv1", r->value, "max_age: 86400"};
    struct sts_policy p;
    char out[4096];
    good_policy(&p);
    p.n_lines = 3;
    p.lines = lines;
    expect_reject(r->name, REPLY_PROFILE_TLSRPT, "example.com", &p);
    /* Lines are not part of the classic reply, so they cannot harm it. */
    ck_assert_uint_gt(reply_secure(out, sizeof(out), REPLY_PROFILE_CLASSIC, "example.com", &p), 0);
    ck_assert_str_eq(out, "OK secure match=mx.example.net servername=hostname");
}
END_TEST

/* Structurally broken policies. */
START_TEST(test_bad_policy_shape)
{
    struct sts_policy p;
    const char *null_mx[1] = {NULL};
    const char *null_line[1] = {NULL};
    char out[64];

    for (int prof = REPLY_PROFILE_CLASSIC; prof <= REPLY_PROFILE_TLSRPT; prof++) {
        enum reply_profile pr = (enum reply_profile)prof;
        good_policy(&p);
        expect_reject("NULL domain", pr, NULL, &p);
        expect_reject("NULL policy", pr, "example.com", NULL);
        good_policy(&p);
        p.n_mx = 0;
        expect_reject("no mx", pr, "example.com", &p);
        good_policy(&p);
        p.mx = NULL;
        expect_reject("mx array NULL", pr, "example.com", &p);
        good_policy(&p);
        p.match = NULL;
        expect_reject("match array NULL", pr, "example.com", &p);
        good_policy(&p);
        p.mx = null_mx;
        expect_reject("mx entry NULL", pr, "example.com", &p);
        good_policy(&p);
        p.match = null_mx;
        expect_reject("match entry NULL", pr, "example.com", &p);
    }
    good_policy(&p);
    p.lines = null_line;
    p.n_lines = 1;
    expect_reject("line entry NULL", REPLY_PROFILE_TLSRPT, "example.com", &p);
    p.lines = NULL;
    expect_reject("lines array NULL", REPLY_PROFILE_TLSRPT, "example.com", &p);
    good_policy(&p);
    expect_reject("unknown profile", (enum reply_profile)7, "example.com", &p);
    /* No buffer: nothing written, nothing returned. */
    ck_assert_uint_eq(reply_secure(NULL, 100, REPLY_PROFILE_CLASSIC, "example.com", &p), 0);
    out[0] = 'Z';
    ck_assert_uint_eq(reply_secure(out, 0, REPLY_PROFILE_CLASSIC, "example.com", &p), 0);
    ck_assert_int_eq(out[0], 'Z');
}
END_TEST

/*
 * A NUL cannot be "inside" a C string: whatever follows it is invisible to
 * reply_secure().  Show that hostile bytes after a NUL never reach the
 * reply (the reply equals the one for the clean prefix).
 */
START_TEST(test_nul_truncates)
{
    static const char mx_nul[] = "mx.example.net\0 servername=evil.net";
    static const char line_nul[] = "mode: enforce\0 } policy_type=tlsa {";
    const char *mx[1] = {mx_nul};
    const char *lines[1] = {line_nul};
    struct sts_policy p;
    char out[4096];
    good_policy(&p);
    p.mx = mx;
    p.match = mx;
    p.lines = lines;
    p.n_lines = 1;
    size_t n = reply_secure(out, sizeof(out), REPLY_PROFILE_TLSRPT, "example.com\0.evil", &p);
    ck_assert_uint_gt(n, 0);
    ck_assert_uint_eq(n, strlen(out));
    ck_assert_str_eq(out, "OK secure match=mx.example.net servername=hostname policy_type=sts "
                          "policy_domain=example.com mx_host_pattern=mx.example.net "
                          "{ policy_string = mode: enforce }");
    ck_assert_ptr_null(strstr(out, "evil"));
}
END_TEST

/* ---- size limits ---- */

START_TEST(test_outsz_boundary)
{
    const struct secure_row *r = &secure_rows[1];
    const char *mx[MAXV], *match[MAXV], *lines[MAXV];
    struct sts_policy p;
    char out[4096];
    build(&p, &r->spec, mx, match, lines);

    for (int prof = REPLY_PROFILE_CLASSIC; prof <= REPLY_PROFILE_TLSRPT; prof++) {
        enum reply_profile pr = (enum reply_profile)prof;
        const char *want = pr == REPLY_PROFILE_CLASSIC ? r->classic : r->tlsrpt;
        size_t len = strlen(want);
        ck_assert_uint_lt(len + 1, sizeof(out));
        /* Exactly enough room: len bytes and the NUL. */
        memset(out, 'Z', sizeof(out));
        ck_assert_uint_eq(reply_secure(out, len + 1, pr, "example.com", &p), len);
        ck_assert_str_eq(out, want);
        /* One byte short: nothing, and nothing written past outsz. */
        memset(out, 'Z', sizeof(out));
        ck_assert_uint_eq(reply_secure(out, len, pr, "example.com", &p), 0);
        ck_assert_int_eq(out[0], '\0');
        ck_assert_int_eq(out[len], 'Z');
        /* Tiny buffers. */
        ck_assert_uint_eq(reply_secure(out, 1, pr, "example.com", &p), 0);
        ck_assert_int_eq(out[0], '\0');
    }
}
END_TEST

/* Many long mx: the classic reply fits, the tlsrpt reply exceeds REPLY_MAX. */
START_TEST(test_reply_max_tlsrpt)
{
    enum { NMX = 256 };
    static char names[NMX][256];
    const char *mx[NMX];
    struct sts_policy p;
    char *out = malloc(BIG);
    ck_assert_ptr_nonnull(out);

    for (size_t i = 0; i < NMX; i++) {
        /* 4 labels of 60 characters plus a distinguishing prefix: ~250 octets. */
        int k = snprintf(names[i], sizeof(names[i]), "m%03zu", i);
        for (int l = 0; l < 4; l++) {
            names[i][k++] = '.';
            memset(names[i] + k, 'a' + l, 60);
            k += 60;
        }
        memcpy(names[i] + k, ".net", 5);
        ck_assert_uint_le(strlen(names[i]), 253);
        mx[i] = names[i];
    }
    good_policy(&p);
    p.n_mx = NMX;
    p.mx = mx;
    p.match = mx;

    size_t n = reply_secure(out, BIG, REPLY_PROFILE_CLASSIC, "example.com", &p);
    ck_assert_uint_gt(n, 50000);
    ck_assert_uint_le(n, REPLY_MAX);
    check_structure(out, REPLY_PROFILE_CLASSIC, &p);

    memset(out, 'Z', BIG);
    ck_assert_uint_eq(reply_secure(out, BIG, REPLY_PROFILE_TLSRPT, "example.com", &p), 0);
    ck_assert_int_eq(out[0], '\0');
    free(out);
}
END_TEST

/* A reply of exactly REPLY_MAX bytes is allowed; one more is not. */
START_TEST(test_reply_max_exact)
{
    static char pad[REPLY_MAX + 1];
    const char *lines[1] = {pad};
    struct sts_policy p;
    char *out = malloc(BIG);
    ck_assert_ptr_nonnull(out);

    good_policy(&p);
    p.lines = lines;
    p.n_lines = 1;
    memcpy(pad, "x-pad: ", 7);
    memset(pad + 7, 'p', 100);
    pad[107] = '\0';
    size_t base = reply_secure(out, BIG, REPLY_PROFILE_TLSRPT, "example.com", &p);
    ck_assert_uint_gt(base, 107);

    size_t fill = 107 + (REPLY_MAX - base);
    memset(pad + 7, 'p', fill - 7);
    pad[fill] = '\0';
    ck_assert_uint_eq(reply_secure(out, BIG, REPLY_PROFILE_TLSRPT, "example.com", &p), REPLY_MAX);
    ck_assert_uint_eq(strlen(out), REPLY_MAX);

    pad[fill] = 'p';
    pad[fill + 1] = '\0';
    ck_assert_uint_eq(reply_secure(out, BIG, REPLY_PROFILE_TLSRPT, "example.com", &p), 0);
    ck_assert_int_eq(out[0], '\0');
    free(out);
}
END_TEST

/* ---- reply_secure_fit(): cut down to fit, never dropped ---- */

/* A generated policy: n mx names of chosen lengths, n_lines lines. */
struct gen {
    struct sts_policy p;
    char domain[256];
    char (*names)[256];
    char (*lines)[1024];
    const char **mx;
    const char **lns;
};

/* A valid hostname of exactly len octets (12..253), distinct per idx. */
static void gen_name(char *out, size_t idx, size_t len)
{
    size_t body = len - 4, pos, r, f;
    ck_assert_uint_ge(len, 12);
    ck_assert_uint_le(len, 253);
    pos = (size_t)snprintf(out, 8, "m%05zu", idx % 100000);
    f = body < 63 ? body : 63;
    if (body - f == 1)
        f--;
    memset(out + pos, 'a', f - pos);
    pos = f;
    for (r = body - f; r > 0;) {
        size_t g = r < 64 ? r : 64;
        if (r - g == 1)
            g--;
        out[pos] = '.';
        memset(out + pos + 1, 'b', g - 1);
        pos += g;
        r -= g;
    }
    memcpy(out + pos, ".net", 5);
    ck_assert_uint_eq(strlen(out), len);
}

static void gen_init(struct gen *g, size_t n_mx, size_t mxlen, size_t n_lines, size_t linelen)
{
    memset(g, 0, sizeof(*g));
    snprintf(g->domain, sizeof(g->domain), "example.com");
    g->names = calloc(n_mx ? n_mx : 1, sizeof(*g->names));
    g->lines = calloc(n_lines ? n_lines : 1, sizeof(*g->lines));
    g->mx = calloc(n_mx ? n_mx : 1, sizeof(*g->mx));
    g->lns = calloc(n_lines ? n_lines : 1, sizeof(*g->lns));
    ck_assert(g->names && g->lines && g->mx && g->lns);
    for (size_t i = 0; i < n_mx; i++) {
        gen_name(g->names[i], i, mxlen);
        g->mx[i] = g->names[i];
    }
    for (size_t i = 0; i < n_lines; i++) {
        ck_assert_uint_lt(linelen, sizeof(g->lines[i]));
        ck_assert_uint_ge(linelen, 10);
        int k = snprintf(g->lines[i], sizeof(g->lines[i]), "x%04zu: ", i % 10000);
        memset(g->lines[i] + k, 'v', linelen - (size_t)k);
        g->lines[i][linelen] = '\0';
        g->lns[i] = g->lines[i];
    }
    g->p.mode = STS_MODE_ENFORCE;
    g->p.max_age = 86400;
    g->p.n_mx = n_mx;
    g->p.mx = g->mx;
    g->p.match = g->mx;
    g->p.n_lines = n_lines;
    g->p.lines = g->lns;
}

static void gen_free(struct gen *g)
{
    free(g->names);
    free(g->lines);
    free(g->mx);
    free(g->lns);
}

/* The three lengths, counted here from the attribute syntax (not by
 * reply.c). */
static size_t len_classic(const struct gen *g)
{
    size_t n = strlen("OK secure match=") + strlen(" servername=hostname");
    for (size_t i = 0; i < g->p.n_mx; i++)
        n += strlen(g->p.match[i]) + (i > 0);
    return n;
}

static size_t len_sts(const struct gen *g)
{
    size_t n = len_classic(g) + strlen(" policy_type=sts policy_domain=") + strlen(g->domain);
    for (size_t i = 0; i < g->p.n_mx; i++)
        n += strlen(" mx_host_pattern=") + strlen(g->p.mx[i]);
    return n;
}

static size_t len_full(const struct gen *g)
{
    size_t n = len_sts(g);
    for (size_t i = 0; i < g->p.n_lines; i++)
        n += strlen(" { policy_string = ") + strlen(g->p.lines[i]) + strlen(" }");
    return n;
}

/* Render with limit outsz - 1 and check the level, the length and that
 * the text is the full reply's prefix (or the TEMP reply). */
static void expect_fit(const struct gen *g, enum reply_profile prof, size_t outsz,
                       enum reply_fit want, size_t want_len, const char *full)
{
    char *out = malloc(BIG + 1);
    enum reply_fit fit = (enum reply_fit)99;
    ck_assert_ptr_nonnull(out);
    ck_assert_uint_le(outsz, BIG);
    memset(out, 'Z', BIG + 1);
    size_t n = reply_secure_fit(out, outsz, prof, g->domain, &g->p, &fit);
    ck_assert_msg(fit == want, "%s, limit %zu: %s, want %s", reply_profile_map(prof), outsz - 1,
                  reply_fit_name(fit), reply_fit_name(want));
    ck_assert_uint_eq(n, want_len);
    ck_assert_uint_eq(strlen(out), n);
    ck_assert_int_eq(out[outsz], 'Z'); /* nothing written past outsz */
    if (want == REPLY_FIT_TEMP) {
        ck_assert_str_eq(out, "TEMP " REPLY_TOO_LARGE_REASON);
    } else {
        ck_assert(strncmp(out, full, n) == 0);
        ck_assert(full[n] == '\0' || full[n] == ' ');
        check_structure(out, want <= REPLY_FIT_NO_STRINGS ? prof : REPLY_PROFILE_CLASSIC,
                        &(struct sts_policy){.n_mx = g->p.n_mx,
                                             .n_lines = want == REPLY_FIT_FULL ? g->p.n_lines : 0});
    }
    free(out);
}

struct fit_row {
    size_t n_mx, mxlen, n_lines, linelen;
};

static const struct fit_row fit_rows[] = {
    {1, 14, 0, 0}, {1, 14, 1, 12}, {3, 30, 4, 40}, {8, 253, 8, 300}, {50, 100, 20, 50},
};

/* Each boundary exactly: at a limit equal to a level's length that level
 * is rendered; one byte less, the next one. */
START_TEST(test_fit_boundaries)
{
    const struct fit_row *r = &fit_rows[_i];
    struct gen g;
    size_t temp = strlen("TEMP " REPLY_TOO_LARGE_REASON);
    char *full = malloc(BIG);
    ck_assert_ptr_nonnull(full);

    gen_init(&g, r->n_mx, r->mxlen, r->n_lines, r->linelen);
    size_t lf = len_full(&g), ls = len_sts(&g), lc = len_classic(&g);
    ck_assert_uint_eq(reply_secure(full, BIG, REPLY_PROFILE_TLSRPT, g.domain, &g.p), lf);

    /* mtasts-tlsrpt: full, without policy_string, classic, TEMP */
    expect_fit(&g, REPLY_PROFILE_TLSRPT, lf + 1, REPLY_FIT_FULL, lf, full);
    if (g.p.n_lines > 0) {
        expect_fit(&g, REPLY_PROFILE_TLSRPT, lf, REPLY_FIT_NO_STRINGS, ls, full);
        expect_fit(&g, REPLY_PROFILE_TLSRPT, ls + 1, REPLY_FIT_NO_STRINGS, ls, full);
    }
    expect_fit(&g, REPLY_PROFILE_TLSRPT, ls, REPLY_FIT_CLASSIC, lc, full);
    expect_fit(&g, REPLY_PROFILE_TLSRPT, lc + 1, REPLY_FIT_CLASSIC, lc, full);
    if (lc > temp) {
        expect_fit(&g, REPLY_PROFILE_TLSRPT, lc, REPLY_FIT_TEMP, temp, full);
        expect_fit(&g, REPLY_PROFILE_TLSRPT, temp + 1, REPLY_FIT_TEMP, temp, full);
    }
    /* mtasts: full (= classic), TEMP */
    expect_fit(&g, REPLY_PROFILE_CLASSIC, lc + 1, REPLY_FIT_FULL, lc, full);
    if (lc > temp)
        expect_fit(&g, REPLY_PROFILE_CLASSIC, lc, REPLY_FIT_TEMP, temp, full);
    gen_free(&g);
    free(full);
}
END_TEST

/* Change mx name lengths (from the last one back) and, when only an odd
 * step is left for a length that counts each mx twice, the domain, until
 * the chosen length is exactly want. */
static void gen_tune(struct gen *g, size_t (*len)(const struct gen *), size_t want)
{
    long per = len == len_classic ? 1 : 2; /* each mx octet counts once or twice */
    size_t i = g->p.n_mx;

    while (len(g) != want) {
        long diff = (long)want - (long)len(g);
        if (diff % per != 0) {
            size_t dl = strlen(g->domain);
            ck_assert_uint_lt(dl + 1, sizeof(g->domain));
            memmove(g->domain + 1, g->domain, dl + 1); /* "xexample.com": one octet more */
            g->domain[0] = 'x';
            continue;
        }
        ck_assert_uint_gt(i, 0);
        i--;
        long cur = (long)strlen(g->names[i]) + diff / per;
        if (cur > 253)
            cur = 253;
        if (cur < 12)
            cur = 12;
        gen_name(g->names[i], i, (size_t)cur);
    }
}

/* The same boundaries at Postfix's own limit, REPLY_MAX, with a buffer
 * far larger than it. */
START_TEST(test_fit_reply_max)
{
    struct gen g;
    char *full = malloc(2 * BIG);
    ck_assert_ptr_nonnull(full);

    /* full reply exactly REPLY_MAX: full; one more byte: no policy_string */
    gen_init(&g, 100, 200, 1, 400);
    size_t nl = (REPLY_MAX - len_sts(&g)) / (strlen(" { policy_string = ") + 400 + 2);
    gen_free(&g);
    gen_init(&g, 100, 200, nl, 400);
    size_t last = nl - 1;
    size_t pad = REPLY_MAX - (len_full(&g) - strlen(g.lines[last]));
    ck_assert_uint_lt(pad + 1, sizeof(g.lines[last]));
    memset(g.lines[last] + 7, 'w', pad - 7);
    g.lines[last][pad] = '\0';
    ck_assert_uint_eq(len_full(&g), REPLY_MAX);
    ck_assert_uint_eq(reply_secure(full, 2 * BIG, REPLY_PROFILE_TLSRPT, g.domain, &g.p), REPLY_MAX);
    expect_fit(&g, REPLY_PROFILE_TLSRPT, BIG, REPLY_FIT_FULL, REPLY_MAX, full);
    g.lines[last][pad] = 'w';
    g.lines[last][pad + 1] = '\0';
    expect_fit(&g, REPLY_PROFILE_TLSRPT, BIG, REPLY_FIT_NO_STRINGS, len_sts(&g), full);
    ck_assert_uint_eq(reply_secure(full, 2 * BIG, REPLY_PROFILE_TLSRPT, g.domain, &g.p), 0);
    full[0] = '\0';
    ck_assert_uint_gt(reply_secure(full, 2 * BIG, REPLY_PROFILE_CLASSIC, g.domain, &g.p), 0);
    gen_free(&g);

    /* without policy_string exactly REPLY_MAX, then one more byte */
    gen_init(&g, 200, 250, 2, 40);
    gen_tune(&g, len_sts, REPLY_MAX);
    ck_assert_uint_gt(len_full(&g), REPLY_MAX);
    {
        /* the reference text: render with no limit by hand */
        struct sts_policy p = g.p;
        p.n_lines = 0;
        ck_assert_uint_eq(reply_secure(full, 2 * BIG, REPLY_PROFILE_TLSRPT, g.domain, &p),
                          REPLY_MAX);
    }
    expect_fit(&g, REPLY_PROFILE_TLSRPT, BIG, REPLY_FIT_NO_STRINGS, REPLY_MAX, full);
    gen_tune(&g, len_sts, REPLY_MAX + 1); /* one octet more, in the domain */
    ck_assert_uint_eq(reply_secure(full, 2 * BIG, REPLY_PROFILE_CLASSIC, g.domain, &g.p),
                      len_classic(&g));
    expect_fit(&g, REPLY_PROFILE_TLSRPT, BIG, REPLY_FIT_CLASSIC, len_classic(&g), full);
    gen_free(&g);

    /* classic reply exactly REPLY_MAX: still answered; one more byte: TEMP */
    gen_init(&g, 400, 250, 1, 20);
    gen_tune(&g, len_classic, REPLY_MAX);
    ck_assert_uint_eq(reply_secure(full, 2 * BIG, REPLY_PROFILE_CLASSIC, g.domain, &g.p),
                      REPLY_MAX);
    expect_fit(&g, REPLY_PROFILE_TLSRPT, BIG, REPLY_FIT_CLASSIC, REPLY_MAX, full);
    expect_fit(&g, REPLY_PROFILE_CLASSIC, BIG, REPLY_FIT_FULL, REPLY_MAX, full);
    gen_tune(&g, len_classic, REPLY_MAX + 1);
    expect_fit(&g, REPLY_PROFILE_TLSRPT, BIG, REPLY_FIT_TEMP,
               strlen("TEMP " REPLY_TOO_LARGE_REASON), full);
    expect_fit(&g, REPLY_PROFILE_CLASSIC, BIG, REPLY_FIT_TEMP,
               strlen("TEMP " REPLY_TOO_LARGE_REASON), full);
    gen_free(&g);
    free(full);
}
END_TEST

/* What fails re-validation is still refused whole, whatever its size. */
START_TEST(test_fit_invalid)
{
    struct gen g;
    char out[256];
    enum reply_fit fit = REPLY_FIT_FULL;

    gen_init(&g, 2, 20, 1, 20);
    g.names[1][3] = '{';
    memset(out, 'Z', sizeof(out));
    ck_assert_uint_eq(
        reply_secure_fit(out, sizeof(out), REPLY_PROFILE_TLSRPT, g.domain, &g.p, &fit), 0);
    ck_assert_int_eq(fit, REPLY_FIT_INVALID);
    ck_assert_str_eq(out, "");
    gen_free(&g);
    gen_init(&g, 2, 20, 1, 20);
    g.lines[0][2] = '}';
    ck_assert_uint_eq(
        reply_secure_fit(out, sizeof(out), REPLY_PROFILE_TLSRPT, g.domain, &g.p, &fit), 0);
    ck_assert_int_eq(fit, REPLY_FIT_INVALID);
    fit = REPLY_FIT_TEMP;
    ck_assert_uint_gt(
        reply_secure_fit(out, sizeof(out), REPLY_PROFILE_CLASSIC, g.domain, &g.p, &fit), 0);
    ck_assert_int_eq(fit, REPLY_FIT_FULL);
    ck_assert_uint_eq(
        reply_secure_fit(out, sizeof(out), REPLY_PROFILE_CLASSIC, "bad_domain.example", &g.p, &fit),
        0);
    ck_assert_int_eq(fit, REPLY_FIT_INVALID);
    gen_free(&g);
}
END_TEST

/* ---- map names ---- */

struct map_row {
    const char *name;
    size_t len;
    bool known;
    enum reply_profile prof;
};

#define M(lit) lit, sizeof(lit) - 1

static const struct map_row map_rows[] = {
    {M("mtasts"), true, REPLY_PROFILE_CLASSIC},
    {M("mtasts-tlsrpt"), true, REPLY_PROFILE_TLSRPT},
    {"mtasts-tlsrpt", 6, true, REPLY_PROFILE_CLASSIC}, /* only len bytes count */
    {M(""), false, 0},
    {M("MTASTS"), false, 0},
    {M("mtasts "), false, 0},
    {M(" mtasts"), false, 0},
    {M("mtasts\0"), false, 0},
    {M("mtasts\0-tlsrpt"), false, 0},
    {M("mtasts-tlsrp"), false, 0},
    {M("mtasts-tlsrptx"), false, 0},
    {M("mtasts-TLSRPT"), false, 0},
    {M("mtast"), false, 0},
    {M("tlsrpt"), false, 0},
    {M("mtasts_tlsrpt"), false, 0},
    {M("mtasts\r\n"), false, 0},
};

START_TEST(test_map_names)
{
    const struct map_row *r = &map_rows[_i];
    enum reply_profile prof = (enum reply_profile)42;
    bool known = reply_profile_from_map(r->name, r->len, &prof);
    ck_assert_msg(known == r->known, "row %d: known %d", _i, known);
    if (r->known) {
        ck_assert_int_eq(prof, r->prof);
        ck_assert(reply_profile_from_map(r->name, r->len, NULL));
    } else {
        ck_assert_int_eq(prof, 42); /* untouched */
    }
}
END_TEST

START_TEST(test_map_roundtrip)
{
    enum reply_profile prof;
    for (int i = REPLY_PROFILE_CLASSIC; i <= REPLY_PROFILE_TLSRPT; i++) {
        const char *name = reply_profile_map((enum reply_profile)i);
        ck_assert_ptr_nonnull(name);
        ck_assert(reply_profile_from_map(name, strlen(name), &prof));
        ck_assert_int_eq(prof, i);
    }
    ck_assert_str_eq(reply_profile_map(REPLY_PROFILE_CLASSIC), "mtasts");
    ck_assert_str_eq(reply_profile_map(REPLY_PROFILE_TLSRPT), "mtasts-tlsrpt");
    ck_assert_ptr_null(reply_profile_map((enum reply_profile)9));
    ck_assert(!reply_profile_from_map(NULL, 6, &prof));
}
END_TEST

/* ---- NOTFOUND / TEMP / PERM ---- */

enum kind { K_NOTFOUND, K_TEMP, K_PERM, K_DANE_ONLY };

static size_t render(enum kind k, char *out, size_t outsz, const char *reason)
{
    switch (k) {
    case K_DANE_ONLY:
        return reply_dane_only(out, outsz);
    case K_NOTFOUND:
        return reply_notfound(out, outsz);
    case K_TEMP:
        return reply_temp(out, outsz, reason);
    case K_PERM:
        return reply_perm(out, outsz, reason);
    }
    return 0;
}

struct reason_row {
    const char *name;
    enum kind kind;
    const char *reason;
    size_t outsz;
    const char *want; /* NULL: must fail with "" */
};

static const struct reason_row reason_rows[] = {
    {"notfound", K_NOTFOUND, NULL, 64, "NOTFOUND "},
    {"notfound exact room", K_NOTFOUND, NULL, 10, "NOTFOUND "},
    {"notfound too small", K_NOTFOUND, NULL, 9, NULL},
    {"temp", K_TEMP, "cache unreadable", 64, "TEMP cache unreadable"},
    {"perm", K_PERM, "unknown map name", 64, "PERM unknown map name"},
    {"temp NULL reason", K_TEMP, NULL, 64, "TEMP "},
    {"perm empty reason", K_PERM, "", 64, "PERM "},
    {"CRLF injection", K_PERM, "bad\r\nOK secure match=evil.net", 64,
     "PERM bad??OK secure match=evil.net"},
    {"tab and DEL", K_TEMP,
     "a\tb\x7f"
     "c",
     64, "TEMP a?b?c"},
    {"high bytes", K_TEMP, "caf\xc3\xa9", 64, "TEMP caf??"},
    {"escape sequence", K_PERM, "\x1b[2Jx", 64, "PERM ?[2Jx"},
    {"truncated to fit", K_TEMP, "abcdef", 8, "TEMP ab"},
    {"keyword only fits", K_TEMP, "abcdef", 6, "TEMP "},
    {"keyword does not fit", K_TEMP, "abcdef", 5, NULL},
    {"perm does not fit", K_PERM, "x", 1, NULL},
    {"zero size", K_TEMP, "x", 0, NULL},
    {"dane-only", K_DANE_ONLY, NULL, 64, "OK dane-only"},
    {"dane-only exact room", K_DANE_ONLY, NULL, 13, "OK dane-only"},
    {"dane-only never cut", K_DANE_ONLY, NULL, 12, NULL},
    {"dane-only, keyword room only", K_DANE_ONLY, NULL, 4, NULL},
};

START_TEST(test_reasons)
{
    const struct reason_row *r = &reason_rows[_i];
    char out[128];
    memset(out, 'Z', sizeof(out));
    size_t n = render(r->kind, out, r->outsz, r->reason);
    if (r->want == NULL) {
        ck_assert_msg(n == 0, "%s: rendered", r->name);
        if (r->outsz > 0)
            ck_assert_int_eq(out[0], '\0');
        else
            ck_assert_int_eq(out[0], 'Z');
    } else {
        ck_assert_msg(n == strlen(r->want), "%s: length %zu", r->name, n);
        ck_assert_str_eq(out, r->want);
    }
    ck_assert_int_eq(out[r->outsz], 'Z'); /* nothing past outsz */
}
END_TEST

START_TEST(test_reason_long)
{
    static char reason[5000];
    char *out = malloc(BIG);
    ck_assert_ptr_nonnull(out);
    memset(reason, 'r', sizeof(reason) - 1);
    size_t n = reply_perm(out, BIG, reason);
    ck_assert_uint_eq(n, strlen("PERM ") + REPLY_REASON_MAX);
    ck_assert_uint_eq(strlen(out), n);
    for (size_t i = 5; i < n; i++)
        ck_assert_int_eq(out[i], 'r');
    ck_assert_uint_eq(reply_temp(NULL, 100, "x"), 0);
    free(out);
}
END_TEST

static Suite *reply_suite(void)
{
    Suite *s = suite_create("reply");
    TCase *tc = tcase_create("secure");
    tcase_add_loop_test(tc, test_secure_table, 0,
                        (int)(sizeof(secure_rows) / sizeof(secure_rows[0])));
    tcase_add_test(tc, test_domain_limits);
    tcase_add_test(tc, test_nul_truncates);
    suite_add_tcase(s, tc);

    tc = tcase_create("reject");
    tcase_add_loop_test(tc, test_bad_domain, 0,
                        (int)(sizeof(bad_domain_rows) / sizeof(bad_domain_rows[0])));
    tcase_add_loop_test(tc, test_bad_mx, 0, (int)(sizeof(bad_mx_rows) / sizeof(bad_mx_rows[0])));
    tcase_add_loop_test(tc, test_bad_line, 0,
                        (int)(sizeof(bad_line_rows) / sizeof(bad_line_rows[0])));
    tcase_add_test(tc, test_bad_policy_shape);
    suite_add_tcase(s, tc);

    tc = tcase_create("size");
    tcase_add_test(tc, test_outsz_boundary);
    tcase_add_test(tc, test_reply_max_tlsrpt);
    tcase_add_test(tc, test_reply_max_exact);
    tcase_add_loop_test(tc, test_fit_boundaries, 0, (int)(sizeof(fit_rows) / sizeof(fit_rows[0])));
    tcase_add_test(tc, test_fit_reply_max);
    tcase_add_test(tc, test_fit_invalid);
    suite_add_tcase(s, tc);

    tc = tcase_create("other");
    tcase_add_loop_test(tc, test_map_names, 0, (int)(sizeof(map_rows) / sizeof(map_rows[0])));
    tcase_add_test(tc, test_map_roundtrip);
    tcase_add_loop_test(tc, test_reasons, 0, (int)(sizeof(reason_rows) / sizeof(reason_rows[0])));
    tcase_add_test(tc, test_reason_long);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(reply_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

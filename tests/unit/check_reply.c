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

enum kind { K_NOTFOUND, K_TEMP, K_PERM };

static size_t render(enum kind k, char *out, size_t outsz, const char *reason)
{
    switch (k) {
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

/*
 * check_suggest - unit tests for src/suggest.c: what `mtastsd-ctl
 * suggest` prints is read back by the project's own parsers (the policy
 * between the markers by sts_policy_parse(), the _mta-sts record by
 * sts_txt_parse(), the TLSRPT record by tlsrpt_parse()), so a starter
 * file can never be one that senders reject; MX hosts are normalised and
 * deduplicated; the refusals (lookup failure, null MX, no valid host).
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"
#include "sts_policy.h"
#include "sts_txt.h"
#include "suggest.h"
#include "tlsrpt.h"

#define NOW 1796279400 /* 2026-12-03 06:30:00 UTC */

struct out {
    char *text;
    bool ok;
    char err[256];
};

/* An MX record as dns_mx_sec() gives it (built here, not parsed). */
struct mx {
    const char *host;
    unsigned pref;
};

static void run(struct out *o, enum dns_status st, const struct mx *mx, size_t n)
{
    struct dnsmsg_rr rrs[8];
    size_t len = 0;
    FILE *f = open_memstream(&o->text, &len);

    ck_assert_uint_le(n, 8);
    memset(rrs, 0, sizeof(rrs));
    for (size_t i = 0; i < n; i++) {
        rrs[i].type = DNSMSG_T_MX;
        rrs[i].u.mx.pref = (uint16_t)mx[i].pref;
        snprintf(rrs[i].u.mx.exchange, sizeof(rrs[i].u.mx.exchange), "%s", mx[i].host);
    }
    ck_assert_ptr_nonnull(f);
    o->err[0] = '\0';
    o->ok = suggest_write(f, "example.com", st, mx != NULL ? rrs : NULL, n, "detail", NOW, o->err,
                          sizeof(o->err));
    fclose(f);
}

/* The policy between the markers, parsed. */
static struct sts_policy *policy_of(const char *text)
{
    const char *b = strstr(text, "# ----- begin mta-sts.txt -----\n");
    const char *e = strstr(text, "# ----- end mta-sts.txt -----\n");
    struct sts_policy *p = NULL;
    char err[256];

    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(e);
    b = strchr(b, '\n') + 1;
    ck_assert_msg(sts_policy_parse(b, (size_t)(e - b), &p, err, sizeof(err)) == STS_POLICY_OK,
                  "policy does not parse: %s", err);
    return p;
}

/* The quoted text of the record line that starts with prefix. */
static void record_of(const char *text, const char *prefix, char *out, size_t outsz)
{
    const char *l = strstr(text, prefix);
    const char *q1, *q2;

    ck_assert_msg(l != NULL && (l == text || l[-1] == '\n'), "no line starting '%s'", prefix);
    q1 = strchr(l, '"');
    ck_assert_ptr_nonnull(q1);
    q2 = strchr(q1 + 1, '"');
    ck_assert_ptr_nonnull(q2);
    ck_assert_uint_lt((size_t)(q2 - q1), outsz);
    memcpy(out, q1 + 1, (size_t)(q2 - q1 - 1));
    out[q2 - q1 - 1] = '\0';
}

START_TEST(test_mx_hosts)
{
    /* Out of order on purpose: the policy lists them as senders try them. */
    const struct mx rrs[] = {{"MX2.Example.COM.", 20},
                             {"bad_host!.example.com", 40},
                             {"mx1.example.com", 30},
                             {"mx1.example.com", 10}};
    struct out o;
    struct sts_txt t;
    struct tlsrpt rpt;
    char rec[256];

    run(&o, DNS_OK, rrs, 4);
    ck_assert_msg(o.ok, "%s", o.err);
    struct sts_policy *p = policy_of(o.text);
    ck_assert_int_eq(p->mode, STS_MODE_TESTING);
    ck_assert_uint_eq(p->max_age, SUGGEST_MAX_AGE);
    ck_assert_uint_eq(p->n_mx, 2);
    ck_assert_str_eq(p->mx[0], "mx1.example.com");
    ck_assert_str_eq(p->mx[1], "mx2.example.com");
    sts_policy_free(p);
    /* No duplicate line either (the parser would merge them silently). */
    ck_assert_ptr_null(strstr(strstr(o.text, "mx: mx1.example.com\n") + 1, "mx: mx1.example.com"));
    ck_assert_ptr_nonnull(strstr(o.text, "'bad_host!.example.com' is not a valid host name"));

    record_of(o.text, "_mta-sts.example.com. IN TXT ", rec, sizeof(rec));
    ck_assert_int_eq(sts_txt_parse(rec, strlen(rec), &t), STS_TXT_OK);
    ck_assert_str_eq(t.id, "20261203063000Z");
    record_of(o.text, "_smtp._tls.example.com. IN TXT ", rec, sizeof(rec));
    ck_assert_int_eq(tlsrpt_parse(rec, strlen(rec), &rpt, NULL), TLSRPT_OK);
    ck_assert_uint_eq(rpt.n_rua, 1);
    ck_assert_int_eq(strncmp(rpt.rua[0].p, "mailto:tlsrpt@example.com", rpt.rua[0].len), 0);

    /* The next steps name the check and the switch to enforce. */
    ck_assert_ptr_nonnull(strstr(o.text, "mtastsd-ctl check example.com"));
    ck_assert_ptr_nonnull(strstr(o.text, "\"mode: enforce\", publish a new id"));
    /* Outside the policy every line is a comment, a record or blank. */
    for (const char *l = o.text; *l != '\0'; l = strchr(l, '\n') + 1) {
        bool in_policy = strncmp(l, "version:", 8) == 0 || strncmp(l, "mode:", 5) == 0 ||
                         strncmp(l, "mx:", 3) == 0 || strncmp(l, "max_age:", 8) == 0;
        ck_assert_msg(in_policy || l[0] == '#' || l[0] == '\n' || l[0] == '_', "line '%.40s'", l);
    }
    free(o.text);
}
END_TEST

START_TEST(test_implicit_mx)
{
    struct out o;

    run(&o, DNS_NODATA, NULL, 0);
    ck_assert_msg(o.ok, "%s", o.err);
    struct sts_policy *p = policy_of(o.text);
    ck_assert_uint_eq(p->n_mx, 1);
    ck_assert_str_eq(p->mx[0], "example.com");
    sts_policy_free(p);
    ck_assert_ptr_nonnull(strstr(o.text, "implicit MX"));
    free(o.text);
}
END_TEST

START_TEST(test_refusals)
{
    const struct mx null_mx[] = {{".", 0}};
    const struct mx bad[] = {{"a b.example.com", 10}, {"[192.0.2.1]", 20}};
    struct out o;

    run(&o, DNS_TEMPFAIL, NULL, 0);
    ck_assert(!o.ok);
    ck_assert_ptr_nonnull(strstr(o.err, "MX lookup of example.com failed (detail)"));
    ck_assert_str_eq(o.text, "");
    free(o.text);

    run(&o, DNS_OK, null_mx, 1);
    ck_assert(!o.ok);
    ck_assert_ptr_nonnull(strstr(o.err, "null MX"));
    ck_assert_str_eq(o.text, "");
    free(o.text);

    run(&o, DNS_OK, bad, 2);
    ck_assert(!o.ok);
    ck_assert_ptr_nonnull(strstr(o.err, "no MX host of example.com is a valid host name"));
    ck_assert_str_eq(o.text, "");
    free(o.text);
}
END_TEST

static Suite *suggest_suite(void)
{
    Suite *s = suite_create("suggest");
    TCase *tc = tcase_create("suggest");
    tcase_add_test(tc, test_mx_hosts);
    tcase_add_test(tc, test_implicit_mx);
    tcase_add_test(tc, test_refusals);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suggest_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * check_report - unit tests for src/report.c: severity counting, the
 * sanitising of every stored string, detail types, and both renderings
 * (the JSON object is parsed back with jansson field by field; the text
 * form is checked for alignment, colour only when asked, details only
 * under items that are not ok).
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report.h"

/* Render r into a string (caller frees). */
static char *render(const struct report *r, bool json, bool colour)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    ck_assert_ptr_nonnull(f);
    if (json)
        report_print_json(r, f);
    else
        report_print_text(r, f, colour);
    fclose(f);
    return buf;
}

START_TEST(test_counts)
{
    struct report *r = report_new("example.com");

    ck_assert_int_eq(report_worst(r), REPORT_OK);
    ck_assert_uint_eq(report_items(r), 0);
    report_add(r, "a", REPORT_OK, "fine");
    ck_assert_int_eq(report_worst(r), REPORT_OK);
    report_add(r, "b", REPORT_WARNING, "hmm");
    ck_assert_int_eq(report_worst(r), REPORT_WARNING);
    report_add(r, "c", REPORT_ERROR, "bad %d", 1);
    report_add(r, "d", REPORT_WARNING, "hmm again");
    ck_assert_int_eq(report_worst(r), REPORT_ERROR);
    ck_assert_uint_eq(report_count(r, REPORT_OK), 1);
    ck_assert_uint_eq(report_count(r, REPORT_WARNING), 2);
    ck_assert_uint_eq(report_count(r, REPORT_ERROR), 1);
    ck_assert_uint_eq(report_items(r), 4);
    ck_assert_str_eq(report_item_name(report_item_at(r, 2)), "c");
    ck_assert_str_eq(report_item_message(report_item_at(r, 2)), "bad 1");
    ck_assert_ptr_null(report_item_at(r, 4));
    ck_assert_str_eq(report_item_message(report_find(r, "d")), "hmm again");
    ck_assert_ptr_null(report_find(r, "zz"));
    ck_assert_str_eq(report_severity_name(REPORT_OK), "ok");
    ck_assert_str_eq(report_severity_name(REPORT_WARNING), "warning");
    ck_assert_str_eq(report_severity_name(REPORT_ERROR), "error");
    ck_assert_str_eq(report_severity_name((enum report_severity)9), "unknown");
    report_free(r);
    report_free(NULL);
}
END_TEST

START_TEST(test_sanitised)
{
    struct report *r = report_new("ex\x1b[31mample.com");
    struct report_item *it =
        report_add(r, "n\nme", REPORT_ERROR, "Content-Type %s", "text/\x1b]0;pwned\x07html");
    char *s;

    report_fix(it, "serve it\r\nX-Injected: 1");
    report_detail_str(it, "ke\ty", "v\x7f\xc3\xa9");
    report_detail_push(it, "list", "a\nb");
    report_detail_strn(it, "nul", "a\0b", 3);
    ck_assert_str_eq(report_item_name(it), "n?me");
    ck_assert_str_eq(report_item_message(it), "Content-Type text/?]0;pwned?html");
    ck_assert_str_eq(report_item_fix(it), "serve it??X-Injected: 1");
    ck_assert_str_eq(report_item_detail(it, "ke?y"), "v???");
    ck_assert_str_eq(report_item_detail(it, "list"), "a?b");
    ck_assert_str_eq(report_item_detail(it, "nul"), "a?b");
    s = render(r, false, false);
    for (const char *p = s; *p != '\0'; p++)
        ck_assert_msg(*p == '\n' || (*p >= 0x20 && *p < 0x7f), "byte 0x%02x in text output",
                      (unsigned char)*p);
    free(s);
    s = render(r, true, false);
    for (const char *p = s; *p != '\0'; p++)
        ck_assert_msg(*p == '\n' || (*p >= 0x20 && *p < 0x7f), "byte 0x%02x in JSON output",
                      (unsigned char)*p);
    free(s);
    report_free(r);
}
END_TEST

START_TEST(test_long_text_cut)
{
    struct report *r = report_new("example.com");
    char big[3 * REPORT_TEXT_MAX];

    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    struct report_item *it = report_add(r, "x", REPORT_OK, "%s", big);
    report_detail_str(it, "k", big);
    ck_assert_uint_lt(strlen(report_item_message(it)), REPORT_TEXT_MAX);
    ck_assert_uint_lt(strlen(report_item_detail(it, "k")), REPORT_TEXT_MAX);
    report_free(r);
}
END_TEST

START_TEST(test_json)
{
    struct report *r = report_new("example.com");
    struct report_item *it = report_add(r, "txt", REPORT_OK, "one record");
    json_error_t err;
    json_t *o, *items, *i0, *i1, *d;
    char *s;

    report_detail_str(it, "id", "20261203063000Z");
    report_detail_int(it, "other_records", 2);
    report_detail_bool(it, "cname", false);
    it = report_add(r, "mx.covered", REPORT_ERROR, "mx3 matches nothing");
    report_fix(it, "add \"mx: mx3.example.com\"");
    report_detail_push(it, "names", "a");
    report_detail_push(it, "names", "b");
    report_add(r, "tlsrpt", REPORT_WARNING, "none");
    s = render(r, true, false);
    o = json_loads(s, 0, &err);
    ck_assert_msg(o != NULL, "not JSON: %s", err.text);
    ck_assert(json_is_object(o));
    ck_assert_str_eq(json_string_value(json_object_get(o, "domain")), "example.com");
    ck_assert_str_eq(json_string_value(json_object_get(o, "result")), "error");
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(o, "counts"), "ok")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(o, "counts"), "warning")),
                     1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(o, "counts"), "error")), 1);
    items = json_object_get(o, "items");
    ck_assert_uint_eq(json_array_size(items), 3);
    i0 = json_array_get(items, 0);
    ck_assert_str_eq(json_string_value(json_object_get(i0, "name")), "txt");
    ck_assert_str_eq(json_string_value(json_object_get(i0, "severity")), "ok");
    ck_assert_str_eq(json_string_value(json_object_get(i0, "message")), "one record");
    ck_assert(json_is_null(json_object_get(i0, "fix")));
    d = json_object_get(i0, "details");
    ck_assert_str_eq(json_string_value(json_object_get(d, "id")), "20261203063000Z");
    ck_assert_int_eq(json_integer_value(json_object_get(d, "other_records")), 2);
    ck_assert(json_is_false(json_object_get(d, "cname")));
    i1 = json_array_get(items, 1);
    ck_assert_str_eq(json_string_value(json_object_get(i1, "severity")), "error");
    ck_assert_str_eq(json_string_value(json_object_get(i1, "fix")), "add \"mx: mx3.example.com\"");
    d = json_object_get(json_object_get(i1, "details"), "names");
    ck_assert_uint_eq(json_array_size(d), 2);
    ck_assert_str_eq(json_string_value(json_array_get(d, 1)), "b");
    ck_assert(json_is_object(json_object_get(json_array_get(items, 2), "details")));
    json_decref(o);
    free(s);
    report_free(r);
}
END_TEST

START_TEST(test_text)
{
    struct report *r = report_new("example.com");
    struct report_item *it = report_add(r, "txt", REPORT_OK, "fine");
    char *s, *line2, *line3;

    report_detail_str(it, "hidden", "not shown for ok items");
    it = report_add(r, "host.certificate", REPORT_ERROR, "expired");
    report_fix(it, "renew it");
    report_detail_push(it, "names", "a.example");
    report_detail_push(it, "names", "b.example");
    report_detail_str(it, "not_after", "2020-01-02");
    s = render(r, false, false);
    ck_assert_ptr_null(strchr(s, '\033'));
    ck_assert_ptr_null(strstr(s, "hidden"));
    ck_assert_msg(strncmp(s, "MTA-STS check of example.com\n", 29) == 0, "%s", s);
    /* Names padded to the widest ("host.certificate", 16). */
    line2 = strchr(s, '\n') + 1;
    ck_assert_msg(strncmp(line2, "  ok       txt               fine\n", 34) == 0, "%s", line2);
    line3 = strchr(line2, '\n') + 1;
    ck_assert_msg(strncmp(line3, "  error    host.certificate  expired\n", 36) == 0, "%s", line3);
    /* Continuation lines start under the message (column 29). */
    ck_assert_ptr_nonnull(strstr(s, "\n                             fix: renew it\n"));
    ck_assert_ptr_nonnull(
        strstr(s, "\n                             names: a.example, b.example\n"));
    ck_assert_ptr_nonnull(strstr(s, "\n                             not_after: 2020-01-02\n"));
    /* Details keep their insertion order. */
    ck_assert_ptr_nonnull(strstr(s, "b.example\n                             not_after"));
    ck_assert_ptr_nonnull(strstr(s, "\nresult: error (1 error, 0 warnings, 1 ok)\n"));
    free(s);
    s = render(r, false, true);
    ck_assert_ptr_nonnull(strstr(s, "\033[1;31merror  \033[0m"));
    ck_assert_ptr_nonnull(strstr(s, "\033[32mok     \033[0m"));
    free(s);
    report_free(r);
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("report");
    tcase_add_test(tc, test_counts);
    tcase_add_test(tc, test_sanitised);
    tcase_add_test(tc, test_long_text_cut);
    tcase_add_test(tc, test_json);
    tcase_add_test(tc, test_text);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(report_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

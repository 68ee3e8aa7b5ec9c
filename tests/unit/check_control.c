/*
 * check_control - unit tests for src/ctlproto.c, the pure half of the
 * control protocol (request and reply lines, entry views, load records).
 *
 * Table-driven: one row per rule, hostile rows included (control bytes,
 * non-ASCII, oversize lines, too many words, wrong versions; records with
 * injected policy lines, IP-literal mx, impossible times, duplicate JSON
 * keys, ids outside the ABNF).  Round trips: format -> parse for request
 * lines, and entry -> JSON record -> ctlrecord_parse() -> entry for
 * dump/load.  JSON output is checked by reading it back with jansson.
 */
#include "autoconfig.h"

#include <check.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"
#include "ctlrecord.h"
#include "ctlview.h"
#include "entry.h"
#include "sts_policy.h"

#define T INT64_C(1700000000) /* "now" in every test */

/* ------------------------------------------------------------ requests */

struct req_row {
    const char *line;
    enum ctlproto_status st;
    enum ctlproto_format fmt;
    const char *command;
    size_t argc;
    const char *arg0;
    unsigned version; /* checked for BAD_VERSION rows */
};

static const struct req_row req_rows[] = {
    {"MTASTSD-CTL 1 text status", CTLPROTO_OK, CTLPROTO_TEXT, "status", 0, NULL, 1},
    {"MTASTSD-CTL 1 json show example.com", CTLPROTO_OK, CTLPROTO_JSON, "show", 1, "example.com",
     1},
    {"MTASTSD-CTL 1 text status\r", CTLPROTO_OK, CTLPROTO_TEXT, "status", 0, NULL, 1},
    {"  MTASTSD-CTL\t1  text   list   enforce  ", CTLPROTO_OK, CTLPROTO_TEXT, "list", 1, "enforce",
     1},
    {"MTASTSD-CTL 1 text flush --all", CTLPROTO_OK, CTLPROTO_TEXT, "flush", 1, "--all", 1},
    {"MTASTSD-CTL 01 text status", CTLPROTO_OK, CTLPROTO_TEXT, "status", 0, NULL, 1},
    {"", CTLPROTO_BAD_MAGIC, 0, NULL, 0, NULL, 0},
    {"   ", CTLPROTO_BAD_MAGIC, 0, NULL, 0, NULL, 0},
    {"mtastsd-ctl 1 text status", CTLPROTO_BAD_MAGIC, 0, NULL, 0, NULL, 0},
    {"MTASTSD-CTLX 1 text status", CTLPROTO_BAD_MAGIC, 0, NULL, 0, NULL, 0},
    {"GET / HTTP/1.0", CTLPROTO_BAD_MAGIC, 0, NULL, 0, NULL, 0},
    {"MTASTSD-CTL", CTLPROTO_BAD_VERSION, 0, NULL, 0, NULL, 0},
    {"MTASTSD-CTL 2 text status", CTLPROTO_BAD_VERSION, 0, NULL, 0, NULL, 2},
    {"MTASTSD-CTL 0 text status", CTLPROTO_BAD_VERSION, 0, NULL, 0, NULL, 0},
    {"MTASTSD-CTL x text status", CTLPROTO_BAD_VERSION, 0, NULL, 0, NULL, 0},
    {"MTASTSD-CTL -1 text status", CTLPROTO_BAD_VERSION, 0, NULL, 0, NULL, 0},
    {"MTASTSD-CTL 99999999999 text status", CTLPROTO_BAD_VERSION, 0, NULL, 0, NULL, 0},
    {"MTASTSD-CTL 1", CTLPROTO_BAD_FORMAT, 0, NULL, 0, NULL, 1},
    {"MTASTSD-CTL 1 xml status", CTLPROTO_BAD_FORMAT, 0, NULL, 0, NULL, 1},
    {"MTASTSD-CTL 1 TEXT status", CTLPROTO_BAD_FORMAT, 0, NULL, 0, NULL, 1},
    {"MTASTSD-CTL 1 text", CTLPROTO_NO_COMMAND, 0, NULL, 0, NULL, 1},
    {"MTASTSD-CTL 1 text sta\001tus", CTLPROTO_BAD_BYTE, 0, NULL, 0, NULL, 0},
    {"MTASTSD-CTL 1 text show b\xc3\xbc"
     "cher.example",
     CTLPROTO_BAD_BYTE, 0, NULL, 0, NULL, 0},
    {"MTASTSD-CTL 1 text status\r\r", CTLPROTO_BAD_BYTE, 0, NULL, 0, NULL, 0},
    {"MTASTSD-CTL 1 text status\x7f", CTLPROTO_BAD_BYTE, 0, NULL, 0, NULL, 0},
    {"MTASTSD-CTL 1 text status\n", CTLPROTO_BAD_BYTE, 0, NULL, 0, NULL, 0},
};

START_TEST(test_request_parse)
{
    const struct req_row *r = &req_rows[_i];
    struct ctlproto_request *req = malloc(sizeof(*req));
    ck_assert_ptr_nonnull(req);
    enum ctlproto_status st = ctlproto_request_parse(r->line, strlen(r->line), req);
    ck_assert_msg(st == r->st, "'%s': status %d (%s), want %d", r->line, st, ctlproto_strerror(st),
                  r->st);
    if (st == CTLPROTO_OK) {
        ck_assert_int_eq(req->format, r->fmt);
        ck_assert_str_eq(req->command, r->command);
        ck_assert_uint_eq(req->argc, r->argc);
        ck_assert_uint_eq(req->version, CTLPROTO_VERSION);
        if (r->arg0 != NULL)
            ck_assert_str_eq(req->argv[0], r->arg0);
    }
    if (st == CTLPROTO_BAD_VERSION)
        ck_assert_uint_eq(req->version, r->version);
    free(req);
}
END_TEST

START_TEST(test_request_nul_byte)
{
    static const char line[] = "MTASTSD-CTL 1 text st\0atus";
    struct ctlproto_request *req = malloc(sizeof(*req));
    ck_assert_int_eq(ctlproto_request_parse(line, sizeof(line) - 1, req), CTLPROTO_BAD_BYTE);
    free(req);
}
END_TEST

/* Build "MTASTSD-CTL 1 text flush a.b a.b ..." with n arguments. */
static char *many_args(size_t n)
{
    size_t cap = 64 + n * 4;
    char *s = malloc(cap);
    strcpy(s, "MTASTSD-CTL 1 text flush");
    for (size_t i = 0; i < n; i++)
        strcat(s, " a.b");
    return s;
}

START_TEST(test_request_limits)
{
    struct ctlproto_request *req = malloc(sizeof(*req));
    char *s = many_args(CTLPROTO_ARGS_MAX);
    ck_assert_int_eq(ctlproto_request_parse(s, strlen(s), req), CTLPROTO_OK);
    ck_assert_uint_eq(req->argc, CTLPROTO_ARGS_MAX);
    ck_assert_str_eq(req->argv[CTLPROTO_ARGS_MAX - 1], "a.b");
    free(s);
    s = many_args(CTLPROTO_ARGS_MAX + 1);
    ck_assert_int_eq(ctlproto_request_parse(s, strlen(s), req), CTLPROTO_TOO_MANY_ARGS);
    free(s);
    /* a very long run of one-letter words must not overflow the word table */
    s = malloc(CTLPROTO_LINE_MAX + 1);
    memcpy(s, "MTASTSD-CTL 1 text flush", 24);
    for (size_t i = 24; i < CTLPROTO_LINE_MAX; i++)
        s[i] = (i % 2) ? 'x' : ' ';
    ck_assert_int_eq(ctlproto_request_parse(s, CTLPROTO_LINE_MAX, req), CTLPROTO_TOO_MANY_ARGS);
    /* exactly the maximum length is fine, one more byte is not */
    memset(s + 24, ' ', CTLPROTO_LINE_MAX + 1 - 24);
    s[CTLPROTO_LINE_MAX - 1] = 'x';
    ck_assert_int_eq(ctlproto_request_parse(s, CTLPROTO_LINE_MAX, req), CTLPROTO_OK);
    ck_assert_uint_eq(req->argc, 1);
    ck_assert_int_eq(ctlproto_request_parse(s, CTLPROTO_LINE_MAX + 1, req), CTLPROTO_TOO_LONG);
    free(s);
    free(req);
}
END_TEST

struct fmt_row {
    const char *command;
    const char *args[3];
    size_t argc;
    bool ok;
};

static const struct fmt_row fmt_rows[] = {
    {"status", {NULL}, 0, true},
    {"show", {"example.com"}, 1, true},
    {"flush", {"a.example", "b.example", "--all"}, 3, true},
    {"show", {"exa mple.com"}, 1, false},
    {"show", {""}, 1, false},
    {"show", {"a\nMTASTSD-CTL"}, 1, false},
    {"show",
     {"b\xc3\xbc"
      "cher.example"},
     1,
     false},
    {"bad command", {NULL}, 0, false},
    {"", {NULL}, 0, false},
};

START_TEST(test_request_format)
{
    const struct fmt_row *r = &fmt_rows[_i];
    char out[CTLPROTO_LINE_MAX + 2];
    for (int f = 0; f < 2; f++) {
        enum ctlproto_format fmt = f ? CTLPROTO_JSON : CTLPROTO_TEXT;
        size_t n = ctlproto_request_format(out, sizeof(out), fmt, r->command, r->args, r->argc);
        if (!r->ok) {
            ck_assert_uint_eq(n, 0);
            continue;
        }
        ck_assert_uint_gt(n, 0);
        ck_assert_uint_eq(n, strlen(out));
        ck_assert_int_eq(out[n - 1], '\n');
        struct ctlproto_request *req = malloc(sizeof(*req));
        ck_assert_int_eq(ctlproto_request_parse(out, n - 1, req), CTLPROTO_OK);
        ck_assert_int_eq(req->format, fmt);
        ck_assert_str_eq(req->command, r->command);
        ck_assert_uint_eq(req->argc, r->argc);
        for (size_t i = 0; i < r->argc; i++)
            ck_assert_str_eq(req->argv[i], r->args[i]);
        free(req);
    }
}
END_TEST

START_TEST(test_request_format_limits)
{
    char out[CTLPROTO_LINE_MAX + 2];
    const char *a[1] = {"example.com"};
    /* the buffer must hold the line, LF and NUL */
    ck_assert_uint_eq(ctlproto_request_format(out, 20, CTLPROTO_TEXT, "show", a, 1), 0);
    /* a word that makes the line longer than CTLPROTO_LINE_MAX */
    char *big = malloc(CTLPROTO_LINE_MAX);
    memset(big, 'x', CTLPROTO_LINE_MAX - 1);
    big[CTLPROTO_LINE_MAX - 1] = '\0';
    a[0] = big;
    ck_assert_uint_eq(ctlproto_request_format(out, sizeof(out), CTLPROTO_TEXT, "show", a, 1), 0);
    free(big);
    ck_assert_uint_eq(
        ctlproto_request_format(out, sizeof(out), CTLPROTO_TEXT, "flush", a, CTLPROTO_ARGS_MAX + 1),
        0);
}
END_TEST

/* ------------------------------------------------------------ replies */

struct reply_row {
    const char *line;
    enum ctlproto_reply r;
    const char *text;
};

static const struct reply_row reply_rows[] = {
    {"DATA x y", CTLPROTO_R_DATA, "x y"},
    {"DATA", CTLPROTO_R_DATA, ""},
    {"DATA ", CTLPROTO_R_DATA, ""},
    {"DATA  two", CTLPROTO_R_DATA, " two"},
    {"CONTINUE send", CTLPROTO_R_CONTINUE, "send"},
    {"OK", CTLPROTO_R_OK, ""},
    {"OK 3 entries", CTLPROTO_R_OK, "3 entries"},
    {"NOTFOUND no cache entry", CTLPROTO_R_NOTFOUND, "no cache entry"},
    {"ERR permission denied", CTLPROTO_R_ERR, "permission denied"},
    {"ERR", CTLPROTO_R_ERR, ""},
    {"DATAx", CTLPROTO_R_INVALID, NULL},
    {"OKAY", CTLPROTO_R_INVALID, NULL},
    {"ok", CTLPROTO_R_INVALID, NULL},
    {" OK", CTLPROTO_R_INVALID, NULL},
    {"OK\tx", CTLPROTO_R_INVALID, NULL},
    {"", CTLPROTO_R_INVALID, NULL},
    {"ERRATA", CTLPROTO_R_INVALID, NULL},
};

START_TEST(test_reply_parse)
{
    const struct reply_row *r = &reply_rows[_i];
    const char *text;
    size_t tlen;
    enum ctlproto_reply got = ctlproto_reply_parse(r->line, strlen(r->line), &text, &tlen);
    ck_assert_msg(got == r->r, "'%s': %d, want %d", r->line, got, r->r);
    if (r->text != NULL) {
        ck_assert_uint_eq(tlen, strlen(r->text));
        ck_assert(memcmp(text, r->text, tlen) == 0);
    }
}
END_TEST

/* ------------------------------------------------------------ entry views */

static struct sts_policy *policy(const char *body)
{
    struct sts_policy *p = NULL;
    char err[200];
    enum sts_policy_status st = sts_policy_parse(body, strlen(body), &p, err, sizeof(err));
    ck_assert_msg(st == STS_POLICY_OK, "test policy does not parse: %s", err);
    return p;
}

static const char *const body_enforce = "version: STSv1\nmode: enforce\nmx: mx1.example.com\n"
                                        "mx: *.example.net\nmax_age: 86400\n";
static const char *const body_testing = "version: STSv1\nmode: testing\nmx: mx.example.com\n"
                                        "max_age: 3600\n";
static const char *const body_none = "version: STSv1\nmode: none\nmax_age: 600\n";

struct state_row {
    const char *body; /* NULL: no policy */
    int64_t fetched, expires, negative;
    enum ctlproto_state want;
};

static const struct state_row state_rows[] = {
    {NULL, 0, 0, 0, CTLPROTO_STATE_EXPIRED},
    {"E", T - 10, T + 10, 0, CTLPROTO_STATE_ENFORCE},
    {"T", T - 10, T + 10, 0, CTLPROTO_STATE_TESTING},
    {"N", T - 10, T + 10, 0, CTLPROTO_STATE_NONE},
    {"E", T - 10, T + 1, 0, CTLPROTO_STATE_ENFORCE},   /* last valid second */
    {"E", T - 10, T, 0, CTLPROTO_STATE_EXPIRED},       /* expiry instant */
    {"E", T - 100, T - 10, 0, CTLPROTO_STATE_EXPIRED}, /* expired policy */
    {NULL, 0, 0, T + 1, CTLPROTO_STATE_NEGATIVE},
    {NULL, 0, 0, T, CTLPROTO_STATE_EXPIRED},                 /* negative lapsed */
    {"E", T - 100, T - 10, T + 60, CTLPROTO_STATE_NEGATIVE}, /* policy gone, record gone */
    {"E", T - 10, T + 10, T + 60, CTLPROTO_STATE_ENFORCE},   /* a valid policy wins */
};

static void fill_entry(struct entry *e, const char *kind, int64_t fetched, int64_t expires)
{
    if (kind == NULL)
        return;
    const char *b = kind[0] == 'E' ? body_enforce : kind[0] == 'T' ? body_testing : body_none;
    entry_set_policy(e, policy(b));
    snprintf(e->id, sizeof(e->id), "id%c", kind[0]);
    e->fetched_at = fetched;
    e->expires_at = expires;
}

START_TEST(test_entry_state)
{
    const struct state_row *r = &state_rows[_i];
    struct entry e;
    entry_init(&e);
    fill_entry(&e, r->body, r->fetched, r->expires);
    e.negative_until = r->negative;
    enum ctlproto_state st = ctlview_state(&e, T);
    ck_assert_msg(st == r->want, "row %d: %s, want %s", _i, ctlproto_state_name(st),
                  ctlproto_state_name(r->want));
    /* list views agree with the state */
    char *line = ctlview_list_text("example.com", &e, T);
    ck_assert_ptr_nonnull(strstr(line, ctlproto_state_name(r->want)));
    ck_assert_ptr_null(strchr(line, '\n'));
    free(line);
    char *js = ctlview_list_json("example.com", &e, T);
    json_error_t jerr;
    json_t *o = json_loads(js, 0, &jerr);
    ck_assert_ptr_nonnull(o);
    ck_assert_str_eq(json_string_value(json_object_get(o, "state")), ctlproto_state_name(r->want));
    ck_assert_str_eq(json_string_value(json_object_get(o, "domain")), "example.com");
    json_decref(o);
    free(js);
    entry_clear(&e);
}
END_TEST

struct filter_row {
    const char *name;
    bool ok;
    unsigned mask;
};

static const struct filter_row filter_rows[] = {
    {"enforce", true, 1u << CTLPROTO_STATE_ENFORCE},
    {"testing", true, 1u << CTLPROTO_STATE_TESTING},
    {"none", true, 1u << CTLPROTO_STATE_NONE},
    {"negative", true, 1u << CTLPROTO_STATE_NEGATIVE},
    {"expired", true, 1u << CTLPROTO_STATE_EXPIRED},
    {"all", true, (1u << CTLPROTO_STATE__COUNT) - 1},
    {"failing", true, CTLPROTO_FILTER_FAILING},
    {"ENFORCE", false, 0},
    {"Failing", false, 0},
    {"", false, 0},
    {"al", false, 0},
    {"enforce ", false, 0},
    {"unknown", false, 0},
};

START_TEST(test_filter_parse)
{
    const struct filter_row *r = &filter_rows[_i];
    unsigned mask = 0xdead;
    ck_assert_int_eq(ctlproto_filter_parse(r->name, &mask), r->ok);
    if (r->ok)
        ck_assert_uint_eq(mask, r->mask);
}
END_TEST

/* "list failing" names exactly entry_refresh_failing() entries, valid
 * or expired; the state filters ignore failures. */
struct match_row {
    const char *body; /* "E", "T", "N" or NULL */
    int64_t expires;
    int64_t negative;
    uint16_t fail_count;
    bool failing;
};

static const struct match_row match_rows[] = {
    {"E", T + 100, 0, 2, true},
    {"E", T + 100, 0, 7, true},
    {"E", T - 1, 0, 3, true}, /* lapsed because its refreshes failed: still failing */
    {"T", T + 100, 0, 2, true},
    {"E", T + 100, 0, 1, false}, /* one failure is not "repeatedly" */
    {"E", T + 100, 0, 0, false},
    {"N", T + 100, 0, 5, false},    /* mode none: RFC 8461 section 10.2 does not warn */
    {NULL, 0, 0, 4, false},         /* no policy: nothing to refresh */
    {"E", T - 1, T + 60, 4, false}, /* the record is gone: negative, not failing */
};

START_TEST(test_filter_match)
{
    const struct match_row *r = &match_rows[_i];
    struct entry e;
    unsigned failing, all, st;
    entry_init(&e);
    fill_entry(&e, r->body, T - 200, r->expires);
    e.negative_until = r->negative;
    e.fail_count = r->fail_count;
    ck_assert(ctlproto_filter_parse("failing", &failing));
    ck_assert(ctlproto_filter_parse("all", &all));
    ck_assert_int_eq(ctlview_filter_match(failing, &e, T), r->failing);
    ck_assert_int_eq(entry_refresh_failing(&e), r->failing);
    ck_assert(ctlview_filter_match(all, &e, T));
    st = 1u << ctlview_state(&e, T);
    ck_assert(ctlview_filter_match(st, &e, T));
    ck_assert(!ctlview_filter_match(all & ~st, &e, T));
    entry_clear(&e);
}
END_TEST

struct time_row {
    int64_t t;
    const char *want;
};

static const struct time_row time_rows[] = {
    {0, "-"},
    {-1, "-"},
    {1, "1970-01-01T00:00:01Z"},
    {T, "2023-11-14T22:13:20Z"},
    {ENTRY_TIME_MAX, "9999-12-31T23:59:59Z"},
    {ENTRY_TIME_MAX + 1, "-"},
    {INT64_MAX, "-"},
};

START_TEST(test_time)
{
    char buf[CTLVIEW_TIME_BUFSZ];
    ck_assert_str_eq(ctlview_time(time_rows[_i].t, buf), time_rows[_i].want);
}
END_TEST

static const struct time_row dur_rows[] = {
    {0, "0s"},
    {59, "59s"},
    {60, "1m"},
    {61, "1m01s"},
    {3600, "1h"},
    {3601, "1h01s"},
    {86400, "1d"},
    {90061, "1d01h01m01s"},
    {-61, "-1m01s"},
    {31557600, "365d06h"},
    {INT64_MIN, "-106751991167300d15h30m08s"},
};

START_TEST(test_duration)
{
    char buf[CTLVIEW_TIME_BUFSZ];
    ck_assert_str_eq(ctlview_duration(dur_rows[_i].t, buf), dur_rows[_i].want);
}
END_TEST

START_TEST(test_entry_text)
{
    struct entry e;
    entry_init(&e);
    fill_entry(&e, "E", T - 3600, T - 3600 + 86400);
    e.checked_at = T - 60;
    e.refresh_at = T + 3600;
    snprintf(e.fail_id, sizeof(e.fail_id), "newid");
    e.fail_at = T - 120;
    e.fail_class = 7;
    e.fail_count = 2;
    char *s = ctlview_entry_text("example.com", &e, T, NULL);
    static const char *const want[] = {
        "domain          example.com\n",
        "state           enforce\n",
        "mode            enforce\n",
        "max_age         86400 (1d)\n",
        "mx              mx1.example.com\n",
        "mx              *.example.net\n",
        "id              idE\n",
        "fetched         2023-11-14T21:13:20Z (1h ago)\n",
        "expires         2023-11-15T21:13:20Z (in 23h)\n",
        "refresh_at      2023-11-14T23:13:20Z (in 1h)\n",
        "negative_until  -\n",
        "last_failure    newid at 2023-11-14T22:11:20Z (unknown), 2 in a row\n",
        "dane            -\n",
        "policy          mode: enforce",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        ck_assert_msg(strstr(s, want[i]) != NULL, "missing '%s' in:\n%s", want[i], s);
    ck_assert_int_ne(s[strlen(s) - 1], '\n');
    free(s);
    entry_clear(&e);
}
END_TEST

/* show's DANE lines: one per next hop, with its result, its times and
 * when it is checked next. */
START_TEST(test_entry_text_dane)
{
    struct entry e;
    entry_init(&e);
    fill_entry(&e, "E", T - 3600, T - 3600 + 86400);
    struct entry_dane *d = entry_dane_add(&e, true, 25);
    d->result = ENTRY_DANE_ONLY;
    d->hosts = 2;
    d->usable = 1;
    d->checked_at = T - 600;
    d->expires_at = T + 3000;
    d = entry_dane_add(&e, false, 587);
    d->fail_count = 2;
    d->fail_at = T - 30;
    d = entry_dane_add(&e, true, 2525);
    d->result = ENTRY_DANE_NONE;
    d->hosts = 1;
    d->checked_at = T - 7200;
    d->expires_at = T - 3600;
    char *s = ctlview_entry_text("example.com", &e, T, NULL);
    static const char *const want[] = {
        "dane            mx:25 dane-only (1 of 2 hosts with usable TLSA records); checked "
        "2023-11-14T22:03:20Z (10m ago); holds until 2023-11-14T23:03:20Z (in 50m); next check "
        "2023-11-14T22:48:20Z (in 35m)\n",
        "dane            host:587 unknown; 2 failed checks, the last 2023-11-14T22:12:50Z (30s "
        "ago); next check 2023-11-14T22:13:50Z (in 30s)\n",
        "dane            mx:2525 none; checked 2023-11-14T20:13:20Z (2h ago); expired "
        "2023-11-14T21:13:20Z (1h ago); next check at the next query\n",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        ck_assert_msg(strstr(s, want[i]) != NULL, "missing '%s' in:\n%s", want[i], s);
    free(s);
    /* JSON: the same, one object per next hop */
    char *js = ctlview_entry_json("example.com", &e, T, NULL);
    json_error_t jerr;
    json_t *o = json_loads(js, JSON_REJECT_DUPLICATES, &jerr);
    ck_assert_ptr_nonnull(o);
    json_t *a = json_object_get(o, "dane");
    ck_assert_uint_eq(json_array_size(a), 3);
    json_t *h0 = json_array_get(a, 0), *h1 = json_array_get(a, 1);
    ck_assert_str_eq(json_string_value(json_object_get(h0, "next_hop")), "mx");
    ck_assert_int_eq(json_integer_value(json_object_get(h0, "port")), 25);
    ck_assert_str_eq(json_string_value(json_object_get(h0, "result")), "dane-only");
    ck_assert_int_eq(json_integer_value(json_object_get(h0, "usable")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(h0, "next_check")), T + 2100);
    ck_assert(json_is_null(json_object_get(h0, "failure")));
    ck_assert_str_eq(json_string_value(json_object_get(h1, "next_hop")), "host");
    ck_assert(json_is_null(json_object_get(h1, "checked_at")));
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(h1, "failure"), "count")),
                     2);
    json_decref(o);
    /* a load ignores the DANE state: it is checked again */
    char domain[DOMAIN_BUFSZ], err[256];
    struct entry back;
    entry_init(&back);
    ck_assert_int_eq(ctlrecord_parse(js, strlen(js), T, 86400, domain, &back, err, sizeof(err)),
                     CTLRECORD_OK);
    ck_assert_uint_eq(back.n_dane, 0);
    entry_clear(&back);
    free(js);
    entry_clear(&e);
}
END_TEST

/* ------------------------------------------------------------ load records */

#define GOOD_POLICY                                                                                \
    "{\"mode\":\"enforce\",\"max_age\":86400,\"mx\":[\"mx.example.com\"],"                         \
    "\"lines\":[\"version: STSv1\",\"mode: enforce\",\"mx: mx.example.com\",\"max_age: 86400\"]}"
/* fetched at T-1000, valid until T+85400 */
#define TIMES                                                                                      \
    "\"fetched_at\":1699999000,\"expires_at\":1700085400,\"checked_at\":1699999500,"               \
    "\"refresh_at\":1700003600"
#define REC(dom, id, times, pol)                                                                   \
    "{\"domain\":" dom ",\"id\":" id "," times ",\"negative_until\":null,\"policy\":" pol "}"

struct rec_row {
    const char *line;
    enum ctlrecord_status want;
    const char *err;    /* substring of the reason (INVALID rows) */
    const char *domain; /* expected domain (OK rows) */
};

static const struct rec_row rec_rows[] = {
    /* good records */
    {REC("\"example.com\"", "\"abc123\"", TIMES, GOOD_POLICY), CTLRECORD_OK, NULL, "example.com"},
    {REC("\"example.com\"", "\"abc123\"", TIMES,
         "{\"mode\":\"enforce\",\"max_age\":86400,\"mx\":[\"mx.example.com\"]}"),
     CTLRECORD_OK, NULL, "example.com"},
    {REC("\"example.com\"", "\"abc123\"", TIMES,
         "{\"lines\":[\"version: STSv1\",\"mode: enforce\",\"mx: mx.example.com\","
         "\"max_age: 86400\",\"ext: {x}\"]}"),
     CTLRECORD_OK, NULL, "example.com"},
    {REC("\"EXAMPLE.com.\"", "\"abc123\"", TIMES, GOOD_POLICY), CTLRECORD_OK, NULL, "example.com"},
    {REC("\"b\\u00fccher.example\"", "\"abc123\"", TIMES, GOOD_POLICY), CTLRECORD_OK, NULL,
     "xn--bcher-kva.example"},
    {"{\"domain\":\"example.com\",\"id\":\"abc\",\"fetched_at\":1699999000,\"policy\":"
     "{\"mode\":\"none\",\"max_age\":86400}}",
     CTLRECORD_OK, NULL, "example.com"},
    {"{\"future\":[1,2],\"domain\":\"example.com\",\"id\":\"abc\",\"fetched_at\":1699999000,"
     "\"policy\":" GOOD_POLICY "}",
     CTLRECORD_OK, NULL, "example.com"},
    {"{\"mtastsd_dump\":1,\"version\":\"0.1.0\",\"created\":1700000000}", CTLRECORD_HEADER, NULL,
     NULL},
    /* skipped */
    {"{\"domain\":\"example.com\",\"id\":\"abc\",\"fetched_at\":1699900000,\"policy\":" GOOD_POLICY
     "}",
     CTLRECORD_EXPIRED, NULL, NULL},
    {"{\"domain\":\"example.com\",\"policy\":null,\"negative_until\":1700000100}",
     CTLRECORD_NEGATIVE, NULL, NULL},
    {"{\"domain\":\"example.com\",\"policy\":null,\"negative_until\":1699999999}",
     CTLRECORD_EXPIRED, NULL, NULL},
    {"{\"domain\":\"example.com\"}", CTLRECORD_EXPIRED, NULL, NULL},
    /* not JSON, not an object, header */
    {"", CTLRECORD_INVALID, "not JSON", NULL},
    {"{", CTLRECORD_INVALID, "not JSON", NULL},
    {"[]", CTLRECORD_INVALID, "not a JSON object", NULL},
    {"\"example.com\"", CTLRECORD_INVALID, "not JSON", NULL},
    {"{\"domain\":\"a.com\"} {\"domain\":\"b.com\"}", CTLRECORD_INVALID, "not JSON", NULL},
    {"{\"domain\":\"a.com\",\"domain\":\"b.com\"}", CTLRECORD_INVALID, "duplicate", NULL},
    {"{\"mtastsd_dump\":2}", CTLRECORD_INVALID, "unsupported dump format", NULL},
    {"{\"mtastsd_dump\":\"1\"}", CTLRECORD_INVALID, "unsupported dump format", NULL},
    /* domain */
    {REC("null", "\"abc\"", TIMES, GOOD_POLICY), CTLRECORD_INVALID, "no domain", NULL},
    {REC("123", "\"abc\"", TIMES, GOOD_POLICY), CTLRECORD_INVALID, "no domain", NULL},
    {REC("\"1.2.3.4\"", "\"abc\"", TIMES, GOOD_POLICY), CTLRECORD_INVALID, "invalid domain", NULL},
    {REC("\".example.com\"", "\"abc\"", TIMES, GOOD_POLICY), CTLRECORD_INVALID, "invalid domain",
     NULL},
    {REC("\"exa mple.com\"", "\"abc\"", TIMES, GOOD_POLICY), CTLRECORD_INVALID, "invalid domain",
     NULL},
    {REC("\"com\"", "\"abc\"", TIMES, GOOD_POLICY), CTLRECORD_INVALID, "invalid domain", NULL},
    {REC("\"ex\\u0000ample.com\"", "\"abc\"", TIMES, GOOD_POLICY), CTLRECORD_INVALID, "", NULL},
    {REC("\"a.com\\nDATA forged\"", "\"abc\"", TIMES, GOOD_POLICY), CTLRECORD_INVALID,
     "invalid domain 'a.com?DATA?forged'", NULL},
    /* policy shape */
    {REC("\"example.com\"", "\"abc\"", TIMES, "\"enforce\""), CTLRECORD_INVALID,
     "policy is not an object", NULL},
    {REC("\"example.com\"", "\"abc\"", TIMES, "{}"), CTLRECORD_INVALID,
     "needs lines, or mode and max_age", NULL},
    {REC("\"example.com\"", "\"abc\"", TIMES, "{\"lines\":[]}"), CTLRECORD_INVALID,
     "non-empty array", NULL},
    {REC("\"example.com\"", "\"abc\"", TIMES, "{\"lines\":\"version: STSv1\"}"), CTLRECORD_INVALID,
     "non-empty array", NULL},
    {REC("\"example.com\"", "\"abc\"", TIMES, "{\"lines\":[1]}"), CTLRECORD_INVALID,
     "array of strings", NULL},
    {REC("\"example.com\"", "\"abc\"", TIMES,
         "{\"lines\":[\"version: STSv1\\nmode: enforce\",\"mx: mx.example.com\","
         "\"max_age: 86400\"]}"),
     CTLRECORD_INVALID, "line break", NULL},
    {REC("\"example.com\"", "\"abc\"", TIMES,
         "{\"mode\":\"enforce\\nmx: evil.example\",\"max_age\":86400,\"mx\":[\"mx.example.com\"]}"),
     CTLRECORD_INVALID, "line break", NULL},
    {REC("\"example.com\"", "\"abc\"", TIMES,
         "{\"mode\":\"enforce\",\"max_age\":86400,\"mx\":[\"mx.example.com\\r\\nmx: "
         "evil.example\"]}"),
     CTLRECORD_INVALID, "line break", NULL},
    {REC("\"example.com\"", "\"abc\"", TIMES, "{\"mode\":\"enforce\",\"max_age\":\"86400\"}"),
     CTLRECORD_INVALID, "needs lines, or mode and max_age", NULL},
    {REC("\"example.com\"", "\"abc\"", TIMES,
         "{\"mode\":\"enforce\",\"max_age\":86400,\"mx\":\"mx.example.com\"}"),
     CTLRECORD_INVALID, "policy.mx is not an array", NULL},
    /* policy content, through sts_policy_parse() */
    {REC("\"example.com\"", "\"abc\"", TIMES, "{\"mode\":\"enforce\",\"max_age\":86400}"),
     CTLRECORD_INVALID, "invalid policy", NULL},
    {REC("\"example.com\"", "\"abc\"", TIMES,
         "{\"mode\":\"enforce\",\"max_age\":86400,\"mx\":[\"1.2.3.4\"]}"),
     CTLRECORD_INVALID, "invalid policy", NULL},
    {REC("\"example.com\"", "\"abc\"", TIMES,
         "{\"mode\":\"enforce\",\"max_age\":86400,\"mx\":[\"mx.example.com match=evil\"]}"),
     CTLRECORD_INVALID, "invalid policy", NULL},
    {REC("\"example.com\"", "\"abc\"", TIMES,
         "{\"mode\":\"enforce\",\"max_age\":86400,\"mx\":[\"*.com\"]}"),
     CTLRECORD_INVALID, "invalid policy", NULL},
    {REC("\"example.com\"", "\"abc\"", TIMES,
         "{\"mode\":\"enforce\",\"max_age\":31557601,\"mx\":[\"mx.example.com\"]}"),
     CTLRECORD_INVALID, "invalid policy", NULL},
    {REC("\"example.com\"", "\"abc\"", TIMES,
         "{\"mode\":\"enforce\",\"max_age\":-1,\"mx\":[\"mx.example.com\"]}"),
     CTLRECORD_INVALID, "invalid policy", NULL},
    {REC("\"example.com\"", "\"abc\"", TIMES,
         "{\"mode\":\"strict\",\"max_age\":86400,\"mx\":[\"mx.example.com\"]}"),
     CTLRECORD_INVALID, "invalid policy", NULL},
    {REC("\"example.com\"", "\"abc\"", TIMES,
         "{\"lines\":[\"mode: enforce\",\"mx: mx.example.com\",\"max_age: 86400\"]}"),
     CTLRECORD_INVALID, "invalid policy", NULL},
    /* given fields must agree with the lines */
    {REC("\"example.com\"", "\"abc\"", TIMES,
         "{\"mode\":\"testing\",\"lines\":[\"version: STSv1\",\"mode: enforce\","
         "\"mx: mx.example.com\",\"max_age: 86400\"]}"),
     CTLRECORD_INVALID, "policy.mode disagrees", NULL},
    {REC("\"example.com\"", "\"abc\"", TIMES,
         "{\"max_age\":31557600,\"lines\":[\"version: STSv1\",\"mode: enforce\","
         "\"mx: mx.example.com\",\"max_age: 86400\"]}"),
     CTLRECORD_INVALID, "policy.max_age disagrees", NULL},
    {REC("\"example.com\"", "\"abc\"", TIMES,
         "{\"mx\":[\"mx.example.com\",\"evil.example\"],\"lines\":[\"version: STSv1\","
         "\"mode: enforce\",\"mx: mx.example.com\",\"max_age: 86400\"]}"),
     CTLRECORD_INVALID, "policy.mx disagrees", NULL},
    {REC("\"example.com\"", "\"abc\"", TIMES,
         "{\"mx\":[\"evil.example\"],\"lines\":[\"version: STSv1\","
         "\"mode: enforce\",\"mx: mx.example.com\",\"max_age: 86400\"]}"),
     CTLRECORD_INVALID, "policy.mx disagrees", NULL},
    /* id */
    {REC("\"example.com\"", "null", TIMES, GOOD_POLICY), CTLRECORD_INVALID, "id is not", NULL},
    {REC("\"example.com\"", "\"\"", TIMES, GOOD_POLICY), CTLRECORD_INVALID, "id is not", NULL},
    {REC("\"example.com\"", "\"a-b\"", TIMES, GOOD_POLICY), CTLRECORD_INVALID, "id is not", NULL},
    {REC("\"example.com\"", "\"123456789012345678901234567890123\"", TIMES, GOOD_POLICY),
     CTLRECORD_INVALID, "id is not", NULL},
    {REC("\"example.com\"", "42", TIMES, GOOD_POLICY), CTLRECORD_INVALID, "id is not", NULL},
    /* times */
    {REC("\"example.com\"", "\"abc\"", "\"fetched_at\":null", GOOD_POLICY), CTLRECORD_INVALID,
     "fetched_at", NULL},
    {REC("\"example.com\"", "\"abc\"", "\"fetched_at\":1700001000", GOOD_POLICY), CTLRECORD_INVALID,
     "fetched_at", NULL},
    {REC("\"example.com\"", "\"abc\"", "\"fetched_at\":1699999000.5", GOOD_POLICY),
     CTLRECORD_INVALID, "fetched_at", NULL},
    {REC("\"example.com\"", "\"abc\"", "\"fetched_at\":-5", GOOD_POLICY), CTLRECORD_INVALID,
     "fetched_at", NULL},
    {REC("\"example.com\"", "\"abc\"", "\"fetched_at\":\"1699999000\"", GOOD_POLICY),
     CTLRECORD_INVALID, "fetched_at", NULL},
    {REC("\"example.com\"", "\"abc\"", "\"fetched_at\":1699999000,\"expires_at\":1700085401",
         GOOD_POLICY),
     CTLRECORD_INVALID, "expires_at", NULL},
    {REC("\"example.com\"", "\"abc\"", "\"fetched_at\":1699999000,\"expires_at\":1699999000",
         GOOD_POLICY),
     CTLRECORD_INVALID, "expires_at", NULL},
    {REC("\"example.com\"", "\"abc\"", "\"fetched_at\":1699999000,\"expires_at\":253402300800",
         GOOD_POLICY),
     CTLRECORD_INVALID, "expires_at", NULL},
    {REC("\"example.com\"", "\"abc\"", "\"fetched_at\":1699999000,\"checked_at\":1699998999",
         GOOD_POLICY),
     CTLRECORD_INVALID, "checked_at", NULL},
    {REC("\"example.com\"", "\"abc\"", "\"fetched_at\":1699999000,\"checked_at\":1700000301",
         GOOD_POLICY),
     CTLRECORD_INVALID, "checked_at", NULL},
    {REC("\"example.com\"", "\"abc\"", "\"fetched_at\":1699999000,\"refresh_at\":1700085401",
         GOOD_POLICY),
     CTLRECORD_INVALID, "refresh_at", NULL},
    {REC("\"example.com\"", "\"abc\"", "\"fetched_at\":1699999000,\"refresh_at\":1699998000",
         GOOD_POLICY),
     CTLRECORD_INVALID, "refresh_at", NULL},
    {"{\"domain\":\"example.com\",\"policy\":null,\"negative_until\":\"soon\"}", CTLRECORD_INVALID,
     "negative_until", NULL},
    {"{\"domain\":\"example.com\",\"id\":\"abc\",\"fetched_at\":99999999999999999999999,"
     "\"policy\":" GOOD_POLICY "}",
     CTLRECORD_INVALID, "not JSON", NULL},
};

START_TEST(test_record_parse)
{
    const struct rec_row *r = &rec_rows[_i];
    char domain[DOMAIN_BUFSZ], err[256];
    struct entry e;
    entry_init(&e);
    enum ctlrecord_status got =
        ctlrecord_parse(r->line, strlen(r->line), T, 86400, domain, &e, err, sizeof(err));
    ck_assert_msg(got == r->want, "row %d: %d (%s), want %d", _i, got, err, r->want);
    for (const char *p = err; *p != '\0'; p++)
        ck_assert_msg(*p >= 0x20 && *p < 0x7f, "row %d: unprintable reason", _i);
    if (r->want == CTLRECORD_INVALID && r->err != NULL)
        ck_assert_msg(strstr(err, r->err) != NULL, "row %d: reason '%s' lacks '%s'", _i, err,
                      r->err);
    if (r->want == CTLRECORD_OK) {
        ck_assert_str_eq(domain, r->domain);
        ck_assert_ptr_nonnull(e.policy);
        ck_assert_int_gt(e.expires_at, T);
        ck_assert_int_ge(e.refresh_at, e.fetched_at);
        ck_assert_int_le(e.refresh_at, e.expires_at);
        ck_assert_int_ge(e.checked_at, e.fetched_at);
        ck_assert_int_eq(e.negative_until, 0);
        ck_assert_uint_gt(entry_encode(&e, NULL, 0), 0);
    } else {
        ck_assert_ptr_null(e.policy); /* nothing half-built is left behind */
    }
    entry_clear(&e);
}
END_TEST

/* The default times: expires = fetched + max_age, checked = fetched. */
START_TEST(test_record_defaults)
{
    const char *line = "{\"domain\":\"example.com\",\"id\":\"abc\",\"fetched_at\":1699999000,"
                       "\"policy\":" GOOD_POLICY "}";
    char domain[DOMAIN_BUFSZ], err[256];
    struct entry e;
    entry_init(&e);
    ck_assert_int_eq(ctlrecord_parse(line, strlen(line), T, 86400, domain, &e, err, sizeof(err)),
                     CTLRECORD_OK);
    ck_assert_int_eq(e.fetched_at, 1699999000);
    ck_assert_int_eq(e.expires_at, 1699999000 + 86400);
    ck_assert_int_eq(e.checked_at, 1699999000);
    ck_assert_str_eq(e.id, "abc");
    ck_assert_int_eq(e.policy->mode, STS_MODE_ENFORCE);
    ck_assert_uint_eq(e.policy->n_mx, 1);
    ck_assert_str_eq(e.policy->mx[0], "mx.example.com");
    entry_clear(&e);
}
END_TEST

START_TEST(test_record_too_long)
{
    size_t n = CTLPROTO_RECORD_MAX + 1;
    char *s = malloc(n);
    memset(s, ' ', n);
    char domain[DOMAIN_BUFSZ], err[256];
    struct entry e;
    entry_init(&e);
    ck_assert_int_eq(ctlrecord_parse(s, n, T, 86400, domain, &e, err, sizeof(err)),
                     CTLRECORD_INVALID);
    ck_assert_ptr_nonnull(strstr(err, "longer than"));
    free(s);
}
END_TEST

/* dump -> load keeps everything that matters. */
static const char *const rt_bodies[] = {
    "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmx: *.example.net\nmax_age: 86400\n",
    "version: STSv1\r\nmode: testing\r\nmx: MX.Example.COM\r\nmax_age: 604800\r\n",
    "version: STSv1\nmode: none\nmax_age: 31557600\n",
    "version: STSv1\nmode: enforce\nmx: b\xc3\xbc"
    "cher.example\nmax_age: 1000\next: {x}\n",
    "mx: a.example.org\nmax_age: 5000\nmode: enforce\nversion: STSv1\nmx: a.example.org\n"
    "mx: b.example.org\nmode: testing\n",
};

START_TEST(test_record_round_trip)
{
    struct entry e, back;
    entry_init(&e);
    entry_init(&back);
    struct sts_policy *p = policy(rt_bodies[_i]);
    entry_set_policy(&e, p);
    snprintf(e.id, sizeof(e.id), "id%d", _i);
    e.fetched_at = T - 500;
    e.expires_at = T - 500 + (int64_t)p->max_age;
    e.checked_at = T - 100;
    e.refresh_at = T - 500 + (int64_t)p->max_age / 2;
    e.fail_at = T - 50; /* failures are shown but never loaded */
    snprintf(e.fail_id, sizeof(e.fail_id), "other");
    char *js = ctlview_entry_json("example.com", &e, T, NULL);
    ck_assert_ptr_null(strchr(js, '\n'));
    for (const char *c = js; *c != '\0'; c++)
        ck_assert_msg(*c >= 0x20 && *c < 0x7f, "non-ASCII byte in %s", js);
    char domain[DOMAIN_BUFSZ], err[256];
    enum ctlrecord_status r =
        ctlrecord_parse(js, strlen(js), T, 86400, domain, &back, err, sizeof(err));
    ck_assert_msg(r == CTLRECORD_OK, "%s: %s", js, err);
    ck_assert_str_eq(domain, "example.com");
    ck_assert_str_eq(back.id, e.id);
    ck_assert_int_eq(back.fetched_at, e.fetched_at);
    ck_assert_int_eq(back.expires_at, e.expires_at);
    ck_assert_int_eq(back.checked_at, e.checked_at);
    ck_assert_int_eq(back.refresh_at, e.refresh_at);
    ck_assert_int_eq(back.fail_at, 0);
    ck_assert_int_eq(back.policy->mode, p->mode);
    ck_assert_uint_eq(back.policy->max_age, p->max_age);
    ck_assert_uint_eq(back.policy->n_mx, p->n_mx);
    for (size_t i = 0; i < p->n_mx; i++) {
        ck_assert_str_eq(back.policy->mx[i], p->mx[i]);
        ck_assert_str_eq(back.policy->match[i], p->match[i]);
    }
    ck_assert_uint_eq(back.policy->n_lines, p->n_lines);
    for (size_t i = 0; i < p->n_lines; i++)
        ck_assert_str_eq(back.policy->lines[i], p->lines[i]);
    /* JSON view fields */
    json_error_t jerr;
    json_t *o = json_loads(js, JSON_REJECT_DUPLICATES, &jerr);
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "expires_at")), e.expires_at);
    ck_assert(json_is_null(json_object_get(o, "negative_until")));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(o, "failure"), "id")),
                     "other");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(o, "policy"), "mode")),
                     sts_mode_name(p->mode));
    json_decref(o);
    free(js);
    entry_clear(&e);
    entry_clear(&back);
}
END_TEST

START_TEST(test_dump_header)
{
    char *h = ctlview_dump_header("1.2.3", T);
    char domain[DOMAIN_BUFSZ], err[256];
    struct entry e;
    entry_init(&e);
    ck_assert_int_eq(ctlrecord_parse(h, strlen(h), T, 86400, domain, &e, err, sizeof(err)),
                     CTLRECORD_HEADER);
    free(h);
}
END_TEST

static Suite *control_suite(void)
{
    Suite *s = suite_create("ctlproto");
    TCase *tc = tcase_create("wire");
#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
    tcase_add_loop_test(tc, test_request_parse, 0, N(req_rows));
    tcase_add_test(tc, test_request_nul_byte);
    tcase_add_test(tc, test_request_limits);
    tcase_add_loop_test(tc, test_request_format, 0, N(fmt_rows));
    tcase_add_test(tc, test_request_format_limits);
    tcase_add_loop_test(tc, test_reply_parse, 0, N(reply_rows));
    suite_add_tcase(s, tc);
    tc = tcase_create("views");
    tcase_add_loop_test(tc, test_entry_state, 0, N(state_rows));
    tcase_add_loop_test(tc, test_filter_parse, 0, N(filter_rows));
    tcase_add_loop_test(tc, test_filter_match, 0, N(match_rows));
    tcase_add_loop_test(tc, test_time, 0, N(time_rows));
    tcase_add_loop_test(tc, test_duration, 0, N(dur_rows));
    tcase_add_test(tc, test_entry_text);
    tcase_add_test(tc, test_entry_text_dane);
    suite_add_tcase(s, tc);
    tc = tcase_create("records");
    tcase_add_loop_test(tc, test_record_parse, 0, N(rec_rows));
    tcase_add_test(tc, test_record_defaults);
    tcase_add_test(tc, test_record_too_long);
    tcase_add_loop_test(tc, test_record_round_trip, 0, N(rt_bodies));
    tcase_add_test(tc, test_dump_header);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(control_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

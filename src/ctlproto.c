/*
 * ctlproto - the control protocol's pure parts (see ctlproto.h and
 * doc/control-protocol.txt).
 *
 * Public functions: ctlproto_request_parse(), ctlproto_request_format(),
 * ctlproto_reply_parse(), ctlproto_word_valid(), ctlproto_strerror(),
 * ctlproto_entry_state(), ctlproto_state_name(), ctlproto_filter_parse(),
 * ctlproto_time(), ctlproto_duration(), ctlproto_entry_json(),
 * ctlproto_dump_header(), ctlproto_entry_text(), ctlproto_list_text(),
 * ctlproto_list_json(), ctlproto_record_parse().
 *
 * JSON is built and read only through jansson (compact, ASCII-only output,
 * so a record is always one line; input with duplicate keys is refused).
 * Text output is built in a growable buffer (struct ctl_sb) that aborts on
 * OOM like the x* wrappers.
 *
 * Ownership: returned strings are malloc'd (free()).  Pure: no I/O.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctlproto.h"
#include "domain.h"
#include "entry.h"
#include "sts_policy.h"
#include "sts_txt.h"
#include "verdict.h"
#include "xalloc.h"

#define CTL_JSON_FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER)

/* ------------------------------------------------------------ wire lines */

static const char *const ctl_status_msgs[] = {
    [CTLPROTO_OK] = "ok",
    [CTLPROTO_TOO_LONG] = "request line too long",
    [CTLPROTO_BAD_BYTE] = "request line contains a control or non-ASCII byte",
    [CTLPROTO_BAD_MAGIC] = "not a control request (expected \"" CTLPROTO_MAGIC " 1 ...\")",
    [CTLPROTO_BAD_VERSION] = "unsupported protocol version",
    [CTLPROTO_BAD_FORMAT] = "unknown output format (expected text or json)",
    [CTLPROTO_NO_COMMAND] = "no command",
    [CTLPROTO_TOO_MANY_ARGS] = "too many arguments",
};

const char *ctlproto_strerror(enum ctlproto_status st)
{
    if ((unsigned)st < sizeof(ctl_status_msgs) / sizeof(ctl_status_msgs[0]))
        return ctl_status_msgs[st];
    return "unknown error";
}

static bool ctl_is_word_byte(unsigned char c)
{
    return c > 0x20 && c < 0x7f;
}

bool ctlproto_word_valid(const char *w)
{
    if (w == NULL || *w == '\0')
        return false;
    for (; *w != '\0'; w++)
        if (!ctl_is_word_byte((unsigned char)*w))
            return false;
    return true;
}

enum ctlproto_status ctlproto_request_parse(const char *line, size_t len,
                                            struct ctlproto_request *req)
{
    memset(req, 0, sizeof(*req));
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > CTLPROTO_LINE_MAX)
        return CTLPROTO_TOO_LONG;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (!ctl_is_word_byte(c) && c != ' ' && c != '\t')
            return CTLPROTO_BAD_BYTE;
    }

    /* Split into NUL-terminated words inside req->buf. */
    const char *words[CTLPROTO_ARGS_MAX + 4];
    size_t nw = 0, o = 0;
    for (size_t i = 0; i < len;) {
        if (line[i] == ' ' || line[i] == '\t') {
            i++;
            continue;
        }
        if (nw == CTLPROTO_ARGS_MAX + 4)
            return CTLPROTO_TOO_MANY_ARGS;
        words[nw++] = req->buf + o;
        while (i < len && line[i] != ' ' && line[i] != '\t')
            req->buf[o++] = line[i++];
        req->buf[o++] = '\0';
    }

    if (nw == 0 || strcmp(words[0], CTLPROTO_MAGIC) != 0)
        return CTLPROTO_BAD_MAGIC;
    if (nw < 2)
        return CTLPROTO_BAD_VERSION;
    const char *v = words[1];
    size_t vl = strlen(v);
    bool digits = vl > 0 && vl <= 6;
    for (size_t i = 0; digits && i < vl; i++)
        digits = v[i] >= '0' && v[i] <= '9';
    req->version = digits ? (unsigned)strtoul(v, NULL, 10) : 0;
    if (req->version != CTLPROTO_VERSION)
        return CTLPROTO_BAD_VERSION;
    if (nw < 3)
        return CTLPROTO_BAD_FORMAT;
    if (strcmp(words[2], "text") == 0)
        req->format = CTLPROTO_TEXT;
    else if (strcmp(words[2], "json") == 0)
        req->format = CTLPROTO_JSON;
    else
        return CTLPROTO_BAD_FORMAT;
    if (nw < 4)
        return CTLPROTO_NO_COMMAND;
    req->command = words[3];
    if (nw - 4 > CTLPROTO_ARGS_MAX)
        return CTLPROTO_TOO_MANY_ARGS;
    req->argc = nw - 4;
    for (size_t i = 0; i < req->argc; i++)
        req->argv[i] = words[4 + i];
    return CTLPROTO_OK;
}

size_t ctlproto_request_format(char *out, size_t outsz, enum ctlproto_format fmt,
                               const char *command, const char *const *argv, size_t argc)
{
    if (argc > CTLPROTO_ARGS_MAX || !ctlproto_word_valid(command))
        return 0;
    size_t need = strlen(CTLPROTO_MAGIC) + 3 + 5 + strlen(command);
    for (size_t i = 0; i < argc; i++) {
        if (!ctlproto_word_valid(argv[i]))
            return 0;
        need += 1 + strlen(argv[i]);
    }
    if (need > CTLPROTO_LINE_MAX || need + 2 > outsz)
        return 0;
    int n = snprintf(out, outsz, "%s %d %s %s", CTLPROTO_MAGIC, CTLPROTO_VERSION,
                     fmt == CTLPROTO_JSON ? "json" : "text", command);
    size_t o = (size_t)n;
    for (size_t i = 0; i < argc; i++) {
        size_t l = strlen(argv[i]);
        out[o++] = ' ';
        memcpy(out + o, argv[i], l);
        o += l;
    }
    out[o++] = '\n';
    out[o] = '\0';
    return o;
}

enum ctlproto_reply ctlproto_reply_parse(const char *line, size_t len, const char **text,
                                         size_t *textlen)
{
    static const struct {
        const char *kw;
        enum ctlproto_reply r;
    } kws[] = {
        {"DATA", CTLPROTO_R_DATA},         {"CONTINUE", CTLPROTO_R_CONTINUE}, {"OK", CTLPROTO_R_OK},
        {"NOTFOUND", CTLPROTO_R_NOTFOUND}, {"ERR", CTLPROTO_R_ERR},
    };
    *text = line + len;
    *textlen = 0;
    for (size_t i = 0; i < sizeof(kws) / sizeof(kws[0]); i++) {
        size_t k = strlen(kws[i].kw);
        if (len < k || memcmp(line, kws[i].kw, k) != 0)
            continue;
        if (len == k)
            return kws[i].r;
        if (line[k] != ' ')
            continue;
        *text = line + k + 1;
        *textlen = len - k - 1;
        return kws[i].r;
    }
    return CTLPROTO_R_INVALID;
}

/* ------------------------------------------------------------ entry views */

static const char *const ctl_state_names[CTLPROTO_STATE__COUNT] = {
    [CTLPROTO_STATE_ENFORCE] = "enforce", [CTLPROTO_STATE_TESTING] = "testing",
    [CTLPROTO_STATE_NONE] = "none",       [CTLPROTO_STATE_NEGATIVE] = "negative",
    [CTLPROTO_STATE_EXPIRED] = "expired",
};

const char *ctlproto_state_name(enum ctlproto_state s)
{
    if ((unsigned)s < CTLPROTO_STATE__COUNT)
        return ctl_state_names[s];
    return "unknown";
}

enum ctlproto_state ctlproto_entry_state(const struct entry *e, int64_t now)
{
    if (verdict_policy_valid(e, now)) {
        switch (e->policy->mode) {
        case STS_MODE_ENFORCE:
            return CTLPROTO_STATE_ENFORCE;
        case STS_MODE_TESTING:
            return CTLPROTO_STATE_TESTING;
        default:
            return CTLPROTO_STATE_NONE;
        }
    }
    if (e->negative_until > now)
        return CTLPROTO_STATE_NEGATIVE;
    return CTLPROTO_STATE_EXPIRED;
}

bool ctlproto_filter_parse(const char *name, unsigned *mask)
{
    if (name == NULL)
        return false;
    if (strcmp(name, "all") == 0) {
        *mask = (1u << CTLPROTO_STATE__COUNT) - 1;
        return true;
    }
    for (unsigned s = 0; s < CTLPROTO_STATE__COUNT; s++) {
        if (strcmp(name, ctl_state_names[s]) == 0) {
            *mask = 1u << s;
            return true;
        }
    }
    return false;
}

const char *ctlproto_time(int64_t t, char buf[CTLPROTO_TIME_BUFSZ])
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (t <= 0 || t > ENTRY_TIME_MAX || gmtime_r(&tt, &tm) == NULL ||
        strftime(buf, CTLPROTO_TIME_BUFSZ, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(buf, CTLPROTO_TIME_BUFSZ, "-");
    }
    return buf;
}

const char *ctlproto_duration(int64_t secs, char buf[CTLPROTO_TIME_BUFSZ])
{
    uint64_t s = secs < 0 ? (uint64_t)0 - (uint64_t)secs : (uint64_t)secs;
    static const struct {
        uint64_t n;
        char u;
    } units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
    size_t o = 0;
    if (secs < 0)
        buf[o++] = '-';
    bool any = false;
    for (size_t i = 0; i < 4; i++) {
        uint64_t q = s / units[i].n;
        s %= units[i].n;
        if (q == 0 && !(i == 3 && !any))
            continue;
        int n = snprintf(buf + o, CTLPROTO_TIME_BUFSZ - o,
                         any ? "%02" PRIu64 "%c" : "%" PRIu64 "%c", q, units[i].u);
        if (n < 0 || (size_t)n >= CTLPROTO_TIME_BUFSZ - o)
            break;
        o += (size_t)n;
        any = true;
    }
    buf[o] = '\0';
    return buf;
}

/* Growable text buffer; aborts on OOM through xrealloc. */
struct ctl_sb {
    char *s;
    size_t len, cap;
};

static void ctl_sb_printf(struct ctl_sb *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void ctl_sb_printf(struct ctl_sb *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        size_t room = b->cap - b->len;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len <= (size_t)n)
            cap *= 2;
        b->s = xrealloc(b->s, cap);
        b->cap = cap;
    }
}

static char *ctl_sb_take(struct ctl_sb *b)
{
    if (b->s == NULL)
        return xstrdup("");
    return b->s;
}

/* "TIME (in 3h)" / "TIME (5m ago)" / "-". */
static void ctl_sb_when(struct ctl_sb *b, const char *label, int64_t t, int64_t now)
{
    char tb[CTLPROTO_TIME_BUFSZ], db[CTLPROTO_TIME_BUFSZ];
    if (t <= 0) {
        ctl_sb_printf(b, "%-15s -\n", label);
        return;
    }
    ctlproto_time(t, tb);
    if (t >= now)
        ctl_sb_printf(b, "%-15s %s (in %s)\n", label, tb, ctlproto_duration(t - now, db));
    else
        ctl_sb_printf(b, "%-15s %s (%s ago)\n", label, tb, ctlproto_duration(now - t, db));
}

static const char *ctl_class(const char *(*class_name)(unsigned), unsigned cls)
{
    const char *n = class_name != NULL ? class_name(cls) : NULL;
    return n != NULL ? n : "unknown";
}

char *ctlproto_entry_text(const char *domain, const struct entry *e, int64_t now,
                          const char *(*class_name)(unsigned cls))
{
    struct ctl_sb b = {0};
    char db[CTLPROTO_TIME_BUFSZ];
    ctl_sb_printf(&b, "%-15s %s\n", "domain", domain);
    ctl_sb_printf(&b, "%-15s %s\n", "state", ctlproto_state_name(ctlproto_entry_state(e, now)));
    if (e->policy != NULL) {
        const struct sts_policy *p = e->policy;
        ctl_sb_printf(&b, "%-15s %s\n", "mode", sts_mode_name(p->mode));
        ctl_sb_printf(&b, "%-15s %" PRIu32 " (%s)\n", "max_age", p->max_age,
                      ctlproto_duration(p->max_age, db));
        for (size_t i = 0; i < p->n_mx; i++)
            ctl_sb_printf(&b, "%-15s %s\n", "mx", p->mx[i]);
        if (p->n_mx == 0)
            ctl_sb_printf(&b, "%-15s -\n", "mx");
    } else {
        ctl_sb_printf(&b, "%-15s -\n", "policy");
    }
    ctl_sb_printf(&b, "%-15s %s\n", "id", e->id[0] ? e->id : "-");
    ctl_sb_when(&b, "fetched", e->fetched_at, now);
    ctl_sb_when(&b, "expires", e->expires_at, now);
    ctl_sb_when(&b, "checked", e->checked_at, now);
    ctl_sb_when(&b, "refresh_at", e->refresh_at, now);
    ctl_sb_when(&b, "negative_until", e->negative_until, now);
    if (e->fail_at > 0) {
        char tb[CTLPROTO_TIME_BUFSZ];
        ctl_sb_printf(&b, "%-15s %s at %s (%s), %u in a row\n", "last_failure",
                      e->fail_id[0] ? e->fail_id : "-", ctlproto_time(e->fail_at, tb),
                      ctl_class(class_name, e->fail_class), (unsigned)e->fail_count);
    } else {
        ctl_sb_printf(&b, "%-15s -\n", "last_failure");
    }
    if (e->policy != NULL)
        for (size_t i = 0; i < e->policy->n_lines; i++)
            ctl_sb_printf(&b, "%-15s %s\n", "policy", e->policy->lines[i]);
    if (b.len > 0)
        b.s[--b.len] = '\0'; /* no final LF */
    return ctl_sb_take(&b);
}

static json_t *ctl_json_time(int64_t t)
{
    return t > 0 ? json_integer((json_int_t)t) : json_null();
}

static char *ctl_json_take(json_t *o)
{
    char *s = json_dumps(o, CTL_JSON_FLAGS);
    json_decref(o);
    if (s == NULL)
        abort(); /* only on OOM */
    return s;
}

static json_t *ctl_json_policy(const struct sts_policy *p)
{
    json_t *o = json_object();
    json_t *mx = json_array(), *lines = json_array();
    for (size_t i = 0; i < p->n_mx; i++)
        json_array_append_new(mx, json_string(p->mx[i]));
    for (size_t i = 0; i < p->n_lines; i++)
        json_array_append_new(lines, json_string(p->lines[i]));
    json_object_set_new(o, "mode", json_string(sts_mode_name(p->mode)));
    json_object_set_new(o, "max_age", json_integer((json_int_t)p->max_age));
    json_object_set_new(o, "mx", mx);
    json_object_set_new(o, "lines", lines);
    return o;
}

char *ctlproto_entry_json(const char *domain, const struct entry *e, int64_t now,
                          const char *(*class_name)(unsigned cls))
{
    json_t *o = json_object();
    json_object_set_new(o, "domain", json_string(domain));
    json_object_set_new(o, "state", json_string(ctlproto_state_name(ctlproto_entry_state(e, now))));
    json_object_set_new(o, "id", e->id[0] ? json_string(e->id) : json_null());
    json_object_set_new(o, "fetched_at", ctl_json_time(e->fetched_at));
    json_object_set_new(o, "expires_at", ctl_json_time(e->expires_at));
    json_object_set_new(o, "checked_at", ctl_json_time(e->checked_at));
    json_object_set_new(o, "refresh_at", ctl_json_time(e->refresh_at));
    json_object_set_new(o, "negative_until", ctl_json_time(e->negative_until));
    json_object_set_new(o, "policy", e->policy ? ctl_json_policy(e->policy) : json_null());
    if (e->fail_at > 0) {
        json_t *f = json_object();
        json_object_set_new(f, "id", e->fail_id[0] ? json_string(e->fail_id) : json_null());
        json_object_set_new(f, "at", json_integer((json_int_t)e->fail_at));
        json_object_set_new(f, "class", json_string(ctl_class(class_name, e->fail_class)));
        json_object_set_new(f, "count", json_integer((json_int_t)e->fail_count));
        json_object_set_new(o, "failure", f);
    } else {
        json_object_set_new(o, "failure", json_null());
    }
    return ctl_json_take(o);
}

char *ctlproto_dump_header(const char *version, int64_t now)
{
    json_t *o = json_object();
    json_object_set_new(o, "mtastsd_dump", json_integer(CTLPROTO_DUMP_FORMAT));
    json_object_set_new(o, "version", json_string(version));
    json_object_set_new(o, "created", json_integer((json_int_t)now));
    return ctl_json_take(o);
}

/* The time a list line shows: when the entry's current state ends. */
static int64_t ctl_list_expiry(const struct entry *e, enum ctlproto_state st)
{
    if (st == CTLPROTO_STATE_NEGATIVE)
        return e->negative_until;
    if (st == CTLPROTO_STATE_EXPIRED)
        return e->expires_at > e->negative_until ? e->expires_at : e->negative_until;
    return e->expires_at;
}

char *ctlproto_list_text(const char *domain, const struct entry *e, int64_t now)
{
    struct ctl_sb b = {0};
    char tb[CTLPROTO_TIME_BUFSZ];
    enum ctlproto_state st = ctlproto_entry_state(e, now);
    ctl_sb_printf(&b, "%-30s %-8s %-20s %s", domain, ctlproto_state_name(st),
                  e->id[0] ? e->id : "-", ctlproto_time(ctl_list_expiry(e, st), tb));
    return ctl_sb_take(&b);
}

char *ctlproto_list_json(const char *domain, const struct entry *e, int64_t now)
{
    enum ctlproto_state st = ctlproto_entry_state(e, now);
    json_t *o = json_object();
    json_object_set_new(o, "domain", json_string(domain));
    json_object_set_new(o, "state", json_string(ctlproto_state_name(st)));
    json_object_set_new(o, "id", e->id[0] ? json_string(e->id) : json_null());
    json_object_set_new(o, "expires_at", ctl_json_time(ctl_list_expiry(e, st)));
    return ctl_json_take(o);
}

/* ------------------------------------------------------------ load records */

static enum ctlproto_record ctl_reject(struct entry *e, char *err, size_t errsz, const char *fmt,
                                       ...) __attribute__((format(printf, 4, 5)));

static enum ctlproto_record ctl_reject(struct entry *e, char *err, size_t errsz, const char *fmt,
                                       ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err != NULL && errsz > 0) {
        vsnprintf(err, errsz, fmt, ap);
        for (char *c = err; *c != '\0'; c++) /* jansson quotes input in its errors */
            if (*c < 0x20 || *c >= 0x7f)
                *c = '?';
    }
    va_end(ap);
    entry_clear(e);
    return CTLPROTO_RECORD_INVALID;
}

/* Optional integer member: absent/null -> *out = 0, *present = false.
 * Returns false for any other type or a value outside [0, ENTRY_TIME_MAX]. */
static bool ctl_get_time(json_t *o, const char *key, int64_t *out, bool *present)
{
    json_t *v = json_object_get(o, key);
    *out = 0;
    *present = false;
    if (v == NULL || json_is_null(v))
        return true;
    if (!json_is_integer(v))
        return false;
    json_int_t i = json_integer_value(v);
    if (i < 0 || i > ENTRY_TIME_MAX)
        return false;
    *out = (int64_t)i;
    *present = i != 0;
    return true;
}

static bool ctl_id_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > STS_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

static uint32_t ctl_seed(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* A policy value or line from a record: no CR, LF or NUL inside. */
static bool ctl_one_line(json_t *v)
{
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    return strlen(s) == n && memchr(s, '\n', n) == NULL && memchr(s, '\r', n) == NULL;
}

/*
 * Build the policy body from "lines", or else from mode/max_age/mx.  The
 * size is not checked here: sts_policy_parse() refuses bodies over
 * STS_POLICY_MAX, and the record itself is at most CTLPROTO_RECORD_MAX.
 */
static const char *ctl_policy_body(json_t *pol, struct ctl_sb *b)
{
    json_t *lines = json_object_get(pol, "lines");
    size_t i;
    json_t *v;
    if (lines != NULL && !json_is_null(lines)) {
        if (!json_is_array(lines) || json_array_size(lines) == 0)
            return "policy.lines is not a non-empty array of strings";
        json_array_foreach(lines, i, v)
        {
            if (!json_is_string(v))
                return "policy.lines is not a non-empty array of strings";
            if (!ctl_one_line(v))
                return "policy.lines holds a line break or a NUL";
            ctl_sb_printf(b, "%s\n", json_string_value(v));
        }
        return NULL;
    }
    json_t *mode = json_object_get(pol, "mode"), *age = json_object_get(pol, "max_age");
    json_t *mx = json_object_get(pol, "mx");
    if (!json_is_string(mode) || !json_is_integer(age))
        return "policy needs lines, or mode and max_age";
    if (!ctl_one_line(mode))
        return "policy.mode holds a line break or a NUL";
    if (mx != NULL && !json_is_array(mx))
        return "policy.mx is not an array of strings";
    ctl_sb_printf(b, "version: STSv1\nmode: %s\nmax_age: %" JSON_INTEGER_FORMAT "\n",
                  json_string_value(mode), json_integer_value(age));
    json_array_foreach(mx, i, v)
    {
        if (!json_is_string(v))
            return "policy.mx is not an array of strings";
        if (!ctl_one_line(v))
            return "policy.mx holds a line break or a NUL";
        ctl_sb_printf(b, "mx: %s\n", json_string_value(v));
    }
    return NULL;
}

/* The given mode/max_age/mx (where present) must match the parsed policy. */
static const char *ctl_policy_agrees(json_t *pol, const struct sts_policy *p)
{
    json_t *mode = json_object_get(pol, "mode"), *age = json_object_get(pol, "max_age");
    json_t *mx = json_object_get(pol, "mx");
    if (mode != NULL &&
        (!json_is_string(mode) || strcmp(json_string_value(mode), sts_mode_name(p->mode)) != 0))
        return "policy.mode disagrees with the policy lines";
    if (age != NULL && (!json_is_integer(age) || json_integer_value(age) != (json_int_t)p->max_age))
        return "policy.max_age disagrees with the policy lines";
    if (mx != NULL) {
        if (!json_is_array(mx) || json_array_size(mx) != p->n_mx)
            return "policy.mx disagrees with the policy lines";
        for (size_t i = 0; i < p->n_mx; i++) {
            json_t *m = json_array_get(mx, i);
            if (!json_is_string(m) || strcmp(json_string_value(m), p->mx[i]) != 0)
                return "policy.mx disagrees with the policy lines";
        }
    }
    return NULL;
}

enum ctlproto_record ctlproto_record_parse(const char *line, size_t len, int64_t now,
                                           int64_t refresh_interval, char domain[DOMAIN_BUFSZ],
                                           struct entry *e, char *err, size_t errsz)
{
    json_error_t jerr;
    json_t *o = NULL;
    enum ctlproto_record rc;
    struct ctl_sb body = {0};

    entry_clear(e);
    domain[0] = '\0';
    if (err != NULL && errsz > 0)
        err[0] = '\0';
    if (len > CTLPROTO_RECORD_MAX)
        return ctl_reject(e, err, errsz, "record longer than %d bytes", CTLPROTO_RECORD_MAX);
    o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (o == NULL)
        return ctl_reject(e, err, errsz, "not JSON: %.80s (column %d)", jerr.text, jerr.column);
    if (!json_is_object(o)) {
        rc = ctl_reject(e, err, errsz, "not a JSON object");
        goto out;
    }

    json_t *hdr = json_object_get(o, "mtastsd_dump");
    if (hdr != NULL) {
        if (!json_is_integer(hdr) || json_integer_value(hdr) != CTLPROTO_DUMP_FORMAT)
            rc = ctl_reject(e, err, errsz, "unsupported dump format (this version reads %d)",
                            CTLPROTO_DUMP_FORMAT);
        else
            rc = CTLPROTO_RECORD_HEADER;
        goto out;
    }

    json_t *d = json_object_get(o, "domain");
    if (!json_is_string(d)) {
        rc = ctl_reject(e, err, errsz, "no domain");
        goto out;
    }
    const char *ds = json_string_value(d);
    size_t dl = json_string_length(d);
    if (dl > DOMAIN_KEY_MAX || strlen(ds) != dl ||
        domain_normalize_key(ds, dl, domain) != DOMAIN_KEY_OK) {
        char safe[80];
        size_t k;
        for (k = 0; k < dl && k < sizeof(safe) - 1; k++)
            safe[k] = (ds[k] > 0x20 && ds[k] < 0x7f) ? ds[k] : '?';
        safe[k] = '\0';
        domain[0] = '\0';
        rc = ctl_reject(e, err, errsz, "invalid domain '%s'", safe);
        goto out;
    }

    json_t *pol = json_object_get(o, "policy");
    int64_t neg;
    bool has_neg;
    if (!ctl_get_time(o, "negative_until", &neg, &has_neg)) {
        rc = ctl_reject(e, err, errsz, "negative_until is not a sane time");
        goto out;
    }
    if (pol == NULL || json_is_null(pol)) {
        rc = has_neg && neg > now ? CTLPROTO_RECORD_NEGATIVE : CTLPROTO_RECORD_EXPIRED;
        goto out;
    }
    if (!json_is_object(pol)) {
        rc = ctl_reject(e, err, errsz, "policy is not an object");
        goto out;
    }

    const char *why = ctl_policy_body(pol, &body);
    if (why != NULL) {
        rc = ctl_reject(e, err, errsz, "%s", why);
        goto out;
    }
    struct sts_policy *p = NULL;
    char perr[160];
    enum sts_policy_status pst = sts_policy_parse(body.s, body.len, &p, perr, sizeof(perr));
    if (pst != STS_POLICY_OK) {
        rc = ctl_reject(e, err, errsz, "invalid policy: %s", perr);
        goto out;
    }
    entry_set_policy(e, p);
    why = ctl_policy_agrees(pol, p);
    if (why != NULL) {
        rc = ctl_reject(e, err, errsz, "%s", why);
        goto out;
    }

    json_t *id = json_object_get(o, "id");
    if (!json_is_string(id) || !ctl_id_valid(json_string_value(id))) {
        rc = ctl_reject(e, err, errsz, "id is not 1-%d letters and digits", STS_ID_MAX);
        goto out;
    }
    snprintf(e->id, sizeof(e->id), "%s", json_string_value(id));

    bool has_f, has_x, has_c, has_r;
    int64_t fetched, expires, checked, refresh;
    if (!ctl_get_time(o, "fetched_at", &fetched, &has_f) || !has_f ||
        fetched > now + CTLPROTO_CLOCK_SKEW) {
        rc = ctl_reject(e, err, errsz, "fetched_at is missing, not a time or in the future");
        goto out;
    }
    int64_t max_exp = fetched + (int64_t)p->max_age;
    if (!ctl_get_time(o, "expires_at", &expires, &has_x) ||
        (has_x && (expires <= fetched || expires > max_exp))) {
        rc = ctl_reject(e, err, errsz, "expires_at is not after fetched_at and within max_age");
        goto out;
    }
    if (!has_x)
        expires = max_exp;
    if (!ctl_get_time(o, "checked_at", &checked, &has_c) ||
        (has_c && (checked < fetched || checked > now + CTLPROTO_CLOCK_SKEW))) {
        rc = ctl_reject(e, err, errsz, "checked_at is before fetched_at or in the future");
        goto out;
    }
    if (!has_c)
        checked = fetched;
    if (!ctl_get_time(o, "refresh_at", &refresh, &has_r) ||
        (has_r && (refresh < fetched || refresh > expires))) {
        rc = ctl_reject(e, err, errsz, "refresh_at is outside [fetched_at, expires_at]");
        goto out;
    }
    if (!has_r) {
        /* From max_age, but never past this record's own (possibly
         * earlier) expiry, which a later dump of it must respect. */
        refresh = verdict_refresh_at(fetched, p->max_age, refresh_interval, ctl_seed(domain));
        if (refresh > expires)
            refresh = expires;
    }

    e->fetched_at = fetched;
    e->expires_at = expires;
    e->checked_at = checked;
    e->refresh_at = refresh;
    if (entry_encode(e, NULL, 0) == 0) {
        rc = ctl_reject(e, err, errsz, "the entry cannot be stored");
        goto out;
    }
    if (expires <= now) {
        entry_clear(e);
        rc = CTLPROTO_RECORD_EXPIRED;
        goto out;
    }
    rc = CTLPROTO_RECORD_OK;
out:
    free(body.s);
    json_decref(o);
    if (rc != CTLPROTO_RECORD_OK && rc != CTLPROTO_RECORD_INVALID)
        entry_clear(e);
    return rc;
}

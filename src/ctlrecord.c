/*
 * ctlrecord - a "load" record: one JSON line of a dump -> a validated
 * cache entry (see ctlrecord.h).
 *
 * Public function: ctlrecord_parse().
 *
 * JSON is read only through jansson (input with duplicate keys is
 * refused).  The policy body is rebuilt in memory (open_memstream) and
 * re-parsed by sts_policy_parse(): nothing of the record is trusted.
 *
 * Pure: no I/O but memory streams; `now` and refresh_interval are passed
 * in (the control module passes the running configuration's).
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

#include "ctlproto.h"
#include "ctlrecord.h"
#include "domain.h"
#include "entry.h"
#include "sts_policy.h"
#include "sts_txt.h"
#include "verdict.h"

static enum ctlrecord_status ctlrecord_reject(struct entry *e, char *err, size_t errsz,
                                              const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static enum ctlrecord_status ctlrecord_reject(struct entry *e, char *err, size_t errsz,
                                              const char *fmt, ...)
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
    return CTLRECORD_INVALID;
}

/* Optional integer member: absent/null -> *out = 0, *present = false.
 * Returns false for any other type or a value outside [0, ENTRY_TIME_MAX]. */
static bool ctlrecord_get_time(json_t *o, const char *key, int64_t *out, bool *present)
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

static bool ctlrecord_id_valid(const char *s)
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

static uint32_t ctlrecord_seed(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s != '\0'; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* A policy value or line from a record: no CR, LF or NUL inside. */
static bool ctlrecord_one_line(json_t *v)
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
static const char *ctlrecord_policy_body(json_t *pol, FILE *b)
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
            if (!ctlrecord_one_line(v))
                return "policy.lines holds a line break or a NUL";
            fprintf(b, "%s\n", json_string_value(v));
        }
        return NULL;
    }
    json_t *mode = json_object_get(pol, "mode"), *age = json_object_get(pol, "max_age");
    json_t *mx = json_object_get(pol, "mx");
    if (!json_is_string(mode) || !json_is_integer(age))
        return "policy needs lines, or mode and max_age";
    if (!ctlrecord_one_line(mode))
        return "policy.mode holds a line break or a NUL";
    if (mx != NULL && !json_is_array(mx))
        return "policy.mx is not an array of strings";
    fprintf(b, "version: STSv1\nmode: %s\nmax_age: %" JSON_INTEGER_FORMAT "\n",
            json_string_value(mode), json_integer_value(age));
    json_array_foreach(mx, i, v)
    {
        if (!json_is_string(v))
            return "policy.mx is not an array of strings";
        if (!ctlrecord_one_line(v))
            return "policy.mx holds a line break or a NUL";
        fprintf(b, "mx: %s\n", json_string_value(v));
    }
    return NULL;
}

/* The given mode/max_age/mx (where present) must match the parsed policy. */
static const char *ctlrecord_policy_agrees(json_t *pol, const struct sts_policy *p)
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

enum ctlrecord_status ctlrecord_parse(const char *line, size_t len, int64_t now,
                                      int64_t refresh_interval, char domain[DOMAIN_BUFSZ],
                                      struct entry *e, char *err, size_t errsz)
{
    json_error_t jerr;
    json_t *o = NULL;
    enum ctlrecord_status rc;
    char *body = NULL; /* the policy body, built in memory */
    size_t body_len = 0;
    FILE *bf = NULL;

    entry_clear(e);
    domain[0] = '\0';
    if (err != NULL && errsz > 0)
        err[0] = '\0';
    if (len > CTLPROTO_RECORD_MAX)
        return ctlrecord_reject(e, err, errsz, "record longer than %d bytes", CTLPROTO_RECORD_MAX);
    o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (o == NULL)
        return ctlrecord_reject(e, err, errsz, "not JSON: %.80s (column %d)", jerr.text,
                                jerr.column);
    if (!json_is_object(o)) {
        rc = ctlrecord_reject(e, err, errsz, "not a JSON object");
        goto out;
    }

    json_t *hdr = json_object_get(o, "mtastsd_dump");
    if (hdr != NULL) {
        if (!json_is_integer(hdr) || json_integer_value(hdr) != CTLPROTO_DUMP_FORMAT)
            rc = ctlrecord_reject(e, err, errsz, "unsupported dump format (this version reads %d)",
                                  CTLPROTO_DUMP_FORMAT);
        else
            rc = CTLRECORD_HEADER;
        goto out;
    }

    json_t *d = json_object_get(o, "domain");
    if (!json_is_string(d)) {
        rc = ctlrecord_reject(e, err, errsz, "no domain");
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
        rc = ctlrecord_reject(e, err, errsz, "invalid domain '%s'", safe);
        goto out;
    }

    json_t *pol = json_object_get(o, "policy");
    int64_t neg;
    bool has_neg;
    if (!ctlrecord_get_time(o, "negative_until", &neg, &has_neg)) {
        rc = ctlrecord_reject(e, err, errsz, "negative_until is not a sane time");
        goto out;
    }
    if (pol == NULL || json_is_null(pol)) {
        rc = has_neg && neg > now ? CTLRECORD_NEGATIVE : CTLRECORD_EXPIRED;
        goto out;
    }
    if (!json_is_object(pol)) {
        rc = ctlrecord_reject(e, err, errsz, "policy is not an object");
        goto out;
    }

    bf = open_memstream(&body, &body_len);
    if (bf == NULL)
        abort(); /* only on OOM, as the x* wrappers */
    const char *why = ctlrecord_policy_body(pol, bf);
    fclose(bf); /* body and body_len are final now */
    bf = NULL;
    if (why != NULL) {
        rc = ctlrecord_reject(e, err, errsz, "%s", why);
        goto out;
    }
    struct sts_policy *p = NULL;
    char perr[160];
    enum sts_policy_status pst = sts_policy_parse(body, body_len, &p, perr, sizeof(perr));
    if (pst != STS_POLICY_OK) {
        rc = ctlrecord_reject(e, err, errsz, "invalid policy: %s", perr);
        goto out;
    }
    entry_set_policy(e, p);
    why = ctlrecord_policy_agrees(pol, p);
    if (why != NULL) {
        rc = ctlrecord_reject(e, err, errsz, "%s", why);
        goto out;
    }

    json_t *id = json_object_get(o, "id");
    if (!json_is_string(id) || !ctlrecord_id_valid(json_string_value(id))) {
        rc = ctlrecord_reject(e, err, errsz, "id is not 1-%d letters and digits", STS_ID_MAX);
        goto out;
    }
    snprintf(e->id, sizeof(e->id), "%s", json_string_value(id));

    bool has_f, has_x, has_c, has_r;
    int64_t fetched, expires, checked, refresh;
    if (!ctlrecord_get_time(o, "fetched_at", &fetched, &has_f) || !has_f ||
        fetched > now + CTLRECORD_CLOCK_SKEW) {
        rc = ctlrecord_reject(e, err, errsz, "fetched_at is missing, not a time or in the future");
        goto out;
    }
    int64_t max_exp = fetched + (int64_t)p->max_age;
    if (!ctlrecord_get_time(o, "expires_at", &expires, &has_x) ||
        (has_x && (expires <= fetched || expires > max_exp))) {
        rc = ctlrecord_reject(e, err, errsz,
                              "expires_at is not after fetched_at and within max_age");
        goto out;
    }
    if (!has_x)
        expires = max_exp;
    if (!ctlrecord_get_time(o, "checked_at", &checked, &has_c) ||
        (has_c && (checked < fetched || checked > now + CTLRECORD_CLOCK_SKEW))) {
        rc = ctlrecord_reject(e, err, errsz, "checked_at is before fetched_at or in the future");
        goto out;
    }
    if (!has_c)
        checked = fetched;
    if (!ctlrecord_get_time(o, "refresh_at", &refresh, &has_r) ||
        (has_r && (refresh < fetched || refresh > expires))) {
        rc = ctlrecord_reject(e, err, errsz, "refresh_at is outside [fetched_at, expires_at]");
        goto out;
    }
    if (!has_r) {
        /* From max_age, but never past this record's own (possibly
         * earlier) expiry, which a later dump of it must respect. */
        refresh = verdict_refresh_at(fetched, p->max_age, refresh_interval, ctlrecord_seed(domain));
        if (refresh > expires)
            refresh = expires;
    }

    e->fetched_at = fetched;
    e->expires_at = expires;
    e->checked_at = checked;
    e->refresh_at = refresh;
    if (entry_encode(e, NULL, 0) == 0) {
        rc = ctlrecord_reject(e, err, errsz, "the entry cannot be stored");
        goto out;
    }
    if (expires <= now) {
        entry_clear(e);
        rc = CTLRECORD_EXPIRED;
        goto out;
    }
    rc = CTLRECORD_OK;
out:
    free(body);
    json_decref(o);
    if (rc != CTLRECORD_OK && rc != CTLRECORD_INVALID)
        entry_clear(e);
    return rc;
}

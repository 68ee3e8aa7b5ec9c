/*
 * sts_policy - the MTA-STS policy body (RFC 8461 section 3.2) and its
 * cache serialisation.
 *
 * Public functions: sts_policy_parse(), sts_policy_parse_lint(),
 * sts_policy_free(),
 * sts_policy_strerror(), sts_mode_name(), sts_policy_serialize(),
 * sts_policy_deserialize().
 *
 * Grammar (RFC 8461 section 3.2, RFC 7405 %s = case-sensitive):
 *
 *   sts-policy-record    = sts-policy-field *WSP
 *                          *(sts-policy-term sts-policy-field *WSP) [sts-policy-term]
 *   field-delim          = ":" *WSP
 *   version              = %s"version" field-delim %s"STSv1"
 *   mode                 = %s"mode" field-delim (%s"testing" / %s"enforce" / %s"none")
 *   mx                   = %s"mx" field-delim ["*."] Domain
 *   max_age              = %s"max_age" field-delim 1*10(DIGIT)
 *   extension            = sts-policy-ext-name field-delim sts-policy-ext-value
 *   sts-policy-ext-name  = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *   sts-policy-term      = LF / CRLF
 *   sts-policy-ext-value = sts-policy-vchar [*(%x20 / sts-policy-vchar) sts-policy-vchar]
 *   sts-policy-vchar     = %x21-7E / UTF8-2 / UTF8-3 / UTF8-4   (RFC 3629)
 *
 * Every line is first checked as `ext-name ":" *WSP ext-value *WSP`
 * (so a lone CR, NUL, other control bytes, DEL, invalid UTF-8, a tab
 * inside a value, leading whitespace, an empty value or a key longer than
 * 32 characters is a syntax error); then the four registered keys are
 * checked against their own values.  Keys are case-sensitive, so
 * "Mode: enforce" is an (ignored) extension.  The first occurrence of a
 * repeated non-mx key wins; later ones only need to be syntactically
 * valid.  Empty or whitespace-only lines are allowed at the end of the
 * body only (the ABNF allows one final line end; servers often add more).
 * max_age is 1-10 digits (leading zeros allowed) and at most 31557600.
 * Each mx must consist of letters, digits, '-', '.', a leading "*." or
 * UTF-8 (U-labels), and must pass domain_mx_pattern().
 *
 * lines[] holds every line as "key: value" (value without its trailing
 * whitespace), except lines containing '{' or '}' (Postfix's brace syntax
 * cannot carry them) or a C1 control character (U+0080-U+009F: valid
 * UTF-8 per the ABNF, but a terminal escape in logs and replies).
 *
 * Ownership: a policy is one allocation (the struct, its pointer arrays
 * and all strings) owned by the caller and released by sts_policy_free().
 * Parsing uses temporary heap buffers that are freed before returning.
 *
 * Serialised form (all integers big-endian):
 *   u8 magic 'S', u8 format version 1, u8 mode, u32 max_age, u16 n_mx,
 *   u32 n_lines, n_mx x (u8 len, pattern bytes), n_lines x (u32 len, line
 *   bytes).  No padding, no terminators: a policy has exactly one form.
 * sts_policy_deserialize() checks everything again (bounds, mode, max_age,
 * every mx through domain_mx_pattern() and in canonical form, no duplicate
 * mx, every line in "key: value" form without control bytes or braces, no
 * trailing bytes) and returns NULL for anything else.
 *
 * Limits: STS_POLICY_MAX body bytes, STS_POLICY_MAX_MX mx lines.
 * Diagnostics: a status and a one-line reason with the line number and a
 * sanitised excerpt (printable ASCII only); no logging, no I/O.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "sts_policy.h"
#include "xalloc.h"

#define POLICY_KEY_MAX        32
#define POLICY_MAX_AGE_DIGITS 10
#define POLICY_EXCERPT_MAX    40

#define SER_MAGIC    0x53 /* 'S' */
#define SER_VERSION  1
#define SER_HEADER   13 /* magic, version, mode, max_age(4), n_mx(2), n_lines(4) */
#define SER_LINE_MAX (STS_POLICY_MAX + 2)
/* Far above the largest form a valid policy can take (about 3 x body). */
#define SER_MAX (4 * (size_t)STS_POLICY_MAX)

struct span {
    const char *p;
    size_t n;
};

struct mx_entry {
    char pattern[DOMAIN_PATTERN_BUFSZ];
    char match[DOMAIN_PATTERN_BUFSZ];
};

struct line_entry {
    struct span key;
    struct span value;
};

/* Room for a typical policy inside the builder, so that parsing and
 * deserialising it allocate only the result. */
#define BUILDER_INLINE_MX    4
#define BUILDER_INLINE_LINES 8

/* A policy under construction; its strings point into the input.  mx and
 * lines point to the inline arrays until these are full, then to the
 * heap.  Start it with builder_init(); never copy it. */
struct builder {
    enum sts_mode mode;
    uint32_t max_age;
    struct mx_entry *mx;
    size_t n_mx, cap_mx;
    struct line_entry *lines;
    size_t n_lines, cap_lines;
    struct mx_entry mx_inline[BUILDER_INLINE_MX];
    struct line_entry lines_inline[BUILDER_INLINE_LINES];
};

/*
 * Character classes
 */

static bool pol_is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool pol_is_wsp(unsigned char c)
{
    return c == ' ' || c == '\t';
}

static bool pol_is_name_char(unsigned char c)
{
    return pol_is_alnum(c) || c == '_' || c == '-' || c == '.';
}

/* Length of the well-formed UTF-8 sequence (RFC 3629) at s[0..n), or 0. */
static size_t pol_utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t need;
    unsigned char lo = 0x80, hi = 0xbf; /* range of the second byte */

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f; /* no surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f; /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (n < need || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < need; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return need;
}

/*
 * sts-policy-ext-value: printable ASCII, SP, UTF-8.  The caller has
 * already cut leading and trailing whitespace.  Returns NULL or why not.
 */
static const char *pol_check_value(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;

    if (n == 0)
        return "empty value";
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x7f) {
            i++; /* printable ASCII: the common case, passes every test below */
            continue;
        }
        if (c == '\0')
            return "NUL byte";
        if (c == '\r')
            return "CR without LF";
        if (c == '\t')
            return "tab inside value";
        if (c < 0x20 || c == 0x7f)
            return "control character";
        size_t k = pol_utf8_len(s + i, n - i);
        if (k == 0)
            return "invalid UTF-8";
        i += k;
    }
    return NULL;
}

/* Could this line not be carried in a policy_string? */
static bool pol_line_unsafe(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p;
    const unsigned char *end = s + n;

    /* memchr() rather than a byte loop: this runs for every cached line
     * on every cache read (sts_policy_deserialize). */
    if (memchr(s, '{', n) != NULL || memchr(s, '}', n) != NULL)
        return true;
    for (const unsigned char *q = memchr(s, 0xc2, n); q != NULL;
         q = memchr(q + 1, 0xc2, (size_t)(end - q - 1))) {
        if (q + 1 < end && q[1] >= 0x80 && q[1] <= 0x9f)
            return true; /* C1 control */
    }
    return false;
}

/*
 * Split one line (without its terminator) into key and value per
 * `ext-name ":" *WSP ext-value *WSP`.  Returns NULL or why not.
 */
static const char *pol_split_line(const char *p, size_t n, struct span *key, struct span *value)
{
    size_t i = 0;

    if (n == 0)
        return "empty line";
    if (pol_is_wsp((unsigned char)p[0]))
        return "whitespace before key";
    if (!pol_is_alnum((unsigned char)p[0]))
        return "key must start with a letter or digit";
    i = 1;
    while (i < n && pol_is_name_char((unsigned char)p[i])) {
        if (i >= POLICY_KEY_MAX)
            return "key longer than 32 characters";
        i++;
    }
    if (i >= n || p[i] != ':')
        return "expected \"key: value\"";
    key->p = p;
    key->n = i;
    i++;
    while (i < n && pol_is_wsp((unsigned char)p[i]))
        i++;
    size_t end = n;
    while (end > i && pol_is_wsp((unsigned char)p[end - 1]))
        end--;
    value->p = p + i;
    value->n = end - i;
    return pol_check_value(value->p, value->n);
}

static bool span_is(struct span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.n == n && memcmp(s.p, lit, n) == 0;
}

/*
 * Builder
 */

/* Empty: the inline arrays are left uninitialised (each deserialised
 * policy starts one; zeroing 2 KiB of them was a third of the cost). */
static void builder_init(struct builder *b)
{
    b->mode = STS_MODE_NONE;
    b->max_age = 0;
    b->mx = NULL;
    b->n_mx = b->cap_mx = 0;
    b->lines = NULL;
    b->n_lines = b->cap_lines = 0;
}

static void builder_free(struct builder *b)
{
    if (b->mx != b->mx_inline)
        free(b->mx);
    if (b->lines != b->lines_inline)
        free(b->lines);
    b->mx = NULL;
    b->lines = NULL;
}

/* Make room for one more element in an array that starts inline. */
static void *builder_grow(void *arr, void *inline_arr, size_t inline_cap, size_t *cap, size_t n,
                          size_t elem)
{
    if (arr == NULL) {
        *cap = inline_cap;
        return inline_arr;
    }
    size_t ncap = 2 * *cap;
    if (arr == inline_arr) {
        void *heap = xmalloc(ncap * elem);
        memcpy(heap, arr, n * elem);
        *cap = ncap;
        return heap;
    }
    *cap = ncap;
    return xrealloc(arr, ncap * elem);
}

static void builder_add_line(struct builder *b, struct span key, struct span value)
{
    if (b->n_lines == b->cap_lines)
        b->lines = builder_grow(b->lines, b->lines_inline, BUILDER_INLINE_LINES, &b->cap_lines,
                                b->n_lines, sizeof(*b->lines));
    b->lines[b->n_lines].key = key;
    b->lines[b->n_lines].value = value;
    b->n_lines++;
}

/* Append a normalised mx unless it is already there. */
static void builder_add_mx(struct builder *b, const char *pattern, const char *match)
{
    for (size_t i = 0; i < b->n_mx; i++)
        if (strcmp(b->mx[i].pattern, pattern) == 0)
            return;
    if (b->n_mx == b->cap_mx)
        b->mx = builder_grow(b->mx, b->mx_inline, BUILDER_INLINE_MX, &b->cap_mx, b->n_mx,
                             sizeof(*b->mx));
    /* Both come from domain_mx_pattern() and fit the buffers. */
    memcpy(b->mx[b->n_mx].pattern, pattern, strlen(pattern) + 1);
    memcpy(b->mx[b->n_mx].match, match, strlen(match) + 1);
    b->n_mx++;
}

/* Is this domain_mx_pattern() output made only of harmless characters? */
static bool pol_pattern_safe(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= DOMAIN_PATTERN_BUFSZ)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!pol_is_alnum(c) && c != '-' && c != '.' && !(c == '*' && i == 0))
            return false;
    }
    return true;
}

/* Run one mx value through domain_mx_pattern(). */
static bool pol_mx_normalise(const char *p, size_t n, char pattern[DOMAIN_PATTERN_BUFSZ],
                             char match[DOMAIN_PATTERN_BUFSZ])
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        bool ok = pol_is_alnum(c) || c == '-' || c == '.' || c >= 0x80 ||
                  (c == '*' && i == 0 && n > 1 && p[1] == '.');
        if (!ok)
            return false;
    }
    if (!domain_mx_pattern(p, n, pattern, match))
        return false;
    return pol_pattern_safe(pattern) && pol_pattern_safe(match);
}

/* Copy the builder into one allocation. */
static struct sts_policy *builder_pack(const struct builder *b)
{
    size_t strings = 0;
    for (size_t i = 0; i < b->n_mx; i++)
        strings += strlen(b->mx[i].pattern) + 1 + strlen(b->mx[i].match) + 1;
    for (size_t i = 0; i < b->n_lines; i++)
        strings += b->lines[i].key.n + 2 + b->lines[i].value.n + 1;
    size_t n_ptrs = 2 * b->n_mx + b->n_lines;
    size_t total = sizeof(struct sts_policy) + n_ptrs * sizeof(char *) + strings;

    struct sts_policy *p = xmalloc(total);
    const char **ptrs = (const char **)(void *)(p + 1);
    char *s = (char *)(ptrs + n_ptrs);

    p->mode = b->mode;
    p->max_age = b->max_age;
    p->n_mx = b->n_mx;
    p->mx = ptrs;
    p->match = ptrs + b->n_mx;
    p->n_lines = b->n_lines;
    p->lines = ptrs + 2 * b->n_mx;
    for (size_t i = 0; i < b->n_mx; i++) {
        size_t n = strlen(b->mx[i].pattern) + 1;
        memcpy(s, b->mx[i].pattern, n);
        p->mx[i] = s;
        s += n;
        n = strlen(b->mx[i].match) + 1;
        memcpy(s, b->mx[i].match, n);
        p->match[i] = s;
        s += n;
    }
    for (size_t i = 0; i < b->n_lines; i++) {
        const struct line_entry *l = &b->lines[i];
        p->lines[i] = s;
        memcpy(s, l->key.p, l->key.n);
        s += l->key.n;
        *s++ = ':';
        *s++ = ' ';
        memcpy(s, l->value.p, l->value.n);
        s += l->value.n;
        *s++ = '\0';
    }
    return p;
}

/*
 * Parsing
 */

/* Write "line N: why: excerpt" into err, printable ASCII only. */
static void pol_error(char *err, size_t errsz, unsigned line, const char *why, const char *p,
                      size_t n)
{
    char excerpt[POLICY_EXCERPT_MAX + 4];
    size_t k = 0;

    if (err == NULL || errsz == 0)
        return;
    for (size_t i = 0; i < n && k < POLICY_EXCERPT_MAX; i++) {
        unsigned char c = (unsigned char)p[i];
        excerpt[k++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    if (n > POLICY_EXCERPT_MAX) {
        memcpy(excerpt + k, "...", 3);
        k += 3;
    }
    excerpt[k] = '\0';
    if (line == 0)
        snprintf(err, errsz, "%s", why);
    else if (p == NULL)
        snprintf(err, errsz, "line %u: %s", line, why);
    else
        snprintf(err, errsz, "line %u: %s: \"%s\"", line, why, excerpt);
}

struct parse_state {
    struct builder b;
    bool have_version, have_mode, have_max_age;
    size_t mx_lines;
    struct sts_policy_lint *lint; /* NULL for the daemon's parses */
};

/* Count one syntactically valid line for the lint. */
static void pol_lint_key(struct sts_policy_lint *l, struct span key)
{
    if (span_is(key, "version")) {
        l->version_lines++;
    } else if (span_is(key, "mode")) {
        l->mode_lines++;
    } else if (span_is(key, "max_age")) {
        l->max_age_lines++;
    } else if (span_is(key, "mx")) {
        l->mx_lines++;
    } else {
        l->ext_lines++;
        for (size_t i = 0; i < l->n_ext && i < STS_POLICY_LINT_EXT; i++)
            if (strlen(l->ext[i]) == key.n && memcmp(l->ext[i], key.p, key.n) == 0)
                return;
        if (l->n_ext < STS_POLICY_LINT_EXT && key.n < STS_POLICY_KEY_SZ) {
            memcpy(l->ext[l->n_ext], key.p, key.n);
            l->ext[l->n_ext][key.n] = '\0';
        }
        l->n_ext++;
    }
}

/* Handle one non-blank line.  Returns OK or the status, with *why set. */
static enum sts_policy_status pol_line(struct parse_state *ps, const char *p, size_t n,
                                       const char **why)
{
    struct span key, value;

    *why = pol_split_line(p, n, &key, &value);
    if (*why != NULL)
        return STS_POLICY_SYNTAX;
    if (ps->lint != NULL)
        pol_lint_key(ps->lint, key);

    if (span_is(key, "version")) {
        if (!ps->have_version) {
            ps->have_version = true;
            if (!span_is(value, "STSv1")) {
                *why = "version is not STSv1";
                return STS_POLICY_NO_VERSION;
            }
        }
    } else if (span_is(key, "mode")) {
        if (!ps->have_mode) {
            ps->have_mode = true;
            if (span_is(value, "enforce")) {
                ps->b.mode = STS_MODE_ENFORCE;
            } else if (span_is(value, "testing")) {
                ps->b.mode = STS_MODE_TESTING;
            } else if (span_is(value, "none")) {
                ps->b.mode = STS_MODE_NONE;
            } else {
                *why = "mode is not enforce, testing or none";
                return STS_POLICY_BAD_MODE;
            }
        }
    } else if (span_is(key, "max_age")) {
        if (!ps->have_max_age) {
            ps->have_max_age = true;
            uint64_t v = 0;
            if (value.n > POLICY_MAX_AGE_DIGITS) {
                *why = "max_age has more than 10 digits";
                return STS_POLICY_BAD_MAX_AGE;
            }
            for (size_t i = 0; i < value.n; i++) {
                if (value.p[i] < '0' || value.p[i] > '9') {
                    *why = "max_age is not a number";
                    return STS_POLICY_BAD_MAX_AGE;
                }
                v = v * 10 + (uint64_t)(value.p[i] - '0');
            }
            if (v > STS_MAX_AGE_MAX) {
                *why = "max_age is larger than 31557600";
                return STS_POLICY_BAD_MAX_AGE;
            }
            ps->b.max_age = (uint32_t)v;
        }
    } else if (span_is(key, "mx")) {
        char pattern[DOMAIN_PATTERN_BUFSZ], match[DOMAIN_PATTERN_BUFSZ];
        if (++ps->mx_lines > STS_POLICY_MAX_MX) {
            *why = "more than 256 mx lines";
            return STS_POLICY_TOO_MANY_MX;
        }
        if (!pol_mx_normalise(value.p, value.n, pattern, match)) {
            *why = "mx is not a host name or *.host name";
            return STS_POLICY_BAD_MX;
        }
        builder_add_mx(&ps->b, pattern, match);
    }
    /* Any other key is an extension: valid syntax is all it needs. */

    if (!pol_line_unsafe(p, n))
        builder_add_line(&ps->b, key, value);
    return STS_POLICY_OK;
}

static bool pol_blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!pol_is_wsp((unsigned char)p[i]))
            return false;
    return true;
}

enum sts_policy_status sts_policy_parse(const char *body, size_t len, struct sts_policy **out,
                                        char *err, size_t errsz)
{
    return sts_policy_parse_lint(body, len, out, err, errsz, NULL);
}

enum sts_policy_status sts_policy_parse_lint(const char *body, size_t len, struct sts_policy **out,
                                             char *err, size_t errsz, struct sts_policy_lint *lint)
{
    struct parse_state ps;
    enum sts_policy_status st = STS_POLICY_OK;
    const char *why = NULL;
    unsigned lineno = 0, blank_line = 0;
    bool have_field = false;
    const char *bad_p = NULL;
    size_t bad_n = 0;

    *out = NULL;
    if (err != NULL && errsz > 0)
        err[0] = '\0';
    if (lint != NULL)
        memset(lint, 0, sizeof(*lint));
    if (len > STS_POLICY_MAX) {
        pol_error(err, errsz, 0, "policy larger than 65536 bytes", NULL, 0);
        return STS_POLICY_TOO_LARGE;
    }
    if (body == NULL)
        len = 0;
    ps.have_version = ps.have_mode = ps.have_max_age = false;
    ps.mx_lines = 0;
    ps.lint = lint;
    builder_init(&ps.b);

    size_t pos = 0;
    while (pos < len && st == STS_POLICY_OK) {
        const char *line = body + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t n = nl != NULL ? (size_t)(nl - line) : len - pos;
        pos += n + (nl != NULL ? 1 : 0);
        bool crlf = nl != NULL && n > 0 && line[n - 1] == '\r';
        if (crlf)
            n--; /* CRLF; any other CR is caught as a control byte */
        lineno++;
        if (pol_blank(line, n)) {
            if (blank_line == 0)
                blank_line = lineno;
            if (lint != NULL)
                lint->trailing_blank_lines++;
            continue;
        }
        if (lint != NULL) {
            lint->lines++;
            lint->crlf_lines += crlf ? 1 : 0;
        }
        if (blank_line != 0) {
            st = STS_POLICY_SYNTAX;
            why = "blank line inside the policy";
            lineno = blank_line;
            bad_p = NULL;
            bad_n = 0;
            break;
        }
        have_field = true;
        st = pol_line(&ps, line, n, &why);
        bad_p = line;
        bad_n = n;
    }

    if (st != STS_POLICY_OK) {
        pol_error(err, errsz, lineno, why, bad_p, bad_n);
    } else if (!have_field) {
        st = STS_POLICY_SYNTAX;
        pol_error(err, errsz, 0, "empty policy", NULL, 0);
    } else if (!ps.have_version) {
        st = STS_POLICY_NO_VERSION;
        pol_error(err, errsz, 0, "no version line", NULL, 0);
    } else if (!ps.have_mode) {
        st = STS_POLICY_BAD_MODE;
        pol_error(err, errsz, 0, "no mode line", NULL, 0);
    } else if (!ps.have_max_age) {
        st = STS_POLICY_BAD_MAX_AGE;
        pol_error(err, errsz, 0, "no max_age line", NULL, 0);
    } else if (ps.b.mode != STS_MODE_NONE && ps.b.n_mx == 0) {
        st = STS_POLICY_NO_MX;
        pol_error(err, errsz, 0, "no mx line and mode is not none", NULL, 0);
    } else {
        *out = builder_pack(&ps.b);
    }
    builder_free(&ps.b);
    return st;
}

void sts_policy_free(struct sts_policy *p)
{
    free(p);
}

const char *sts_policy_strerror(enum sts_policy_status st)
{
    switch (st) {
    case STS_POLICY_OK:
        return "valid policy";
    case STS_POLICY_TOO_LARGE:
        return "policy too large";
    case STS_POLICY_SYNTAX:
        return "policy syntax error";
    case STS_POLICY_NO_VERSION:
        return "version missing or not STSv1";
    case STS_POLICY_BAD_MODE:
        return "mode missing or invalid";
    case STS_POLICY_BAD_MAX_AGE:
        return "max_age missing or invalid";
    case STS_POLICY_NO_MX:
        return "no mx in a policy whose mode is not none";
    case STS_POLICY_BAD_MX:
        return "invalid mx pattern";
    case STS_POLICY_TOO_MANY_MX:
        return "too many mx lines";
    }
    return "unknown policy status";
}

const char *sts_mode_name(enum sts_mode m)
{
    switch (m) {
    case STS_MODE_NONE:
        return "none";
    case STS_MODE_TESTING:
        return "testing";
    case STS_MODE_ENFORCE:
        return "enforce";
    }
    return "unknown";
}

/*
 * Serialisation
 */

static void put_u16(unsigned char *o, uint32_t v)
{
    o[0] = (unsigned char)(v >> 8);
    o[1] = (unsigned char)v;
}

static void put_u32(unsigned char *o, uint32_t v)
{
    o[0] = (unsigned char)(v >> 24);
    o[1] = (unsigned char)(v >> 16);
    o[2] = (unsigned char)(v >> 8);
    o[3] = (unsigned char)v;
}

static uint32_t get_u16(const unsigned char *in)
{
    return (uint32_t)in[0] << 8 | in[1];
}

static uint32_t get_u32(const unsigned char *in)
{
    return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}

size_t sts_policy_serialize(const struct sts_policy *p, unsigned char *out, size_t outsz)
{
    size_t need = SER_HEADER;

    if (p == NULL || p->n_mx > STS_POLICY_MAX_MX || p->n_lines > UINT32_MAX ||
        p->max_age > STS_MAX_AGE_MAX)
        return 0;
    for (size_t i = 0; i < p->n_mx; i++) {
        size_t n = strlen(p->mx[i]);
        if (n == 0 || n > 255)
            return 0;
        need += 1 + n;
    }
    for (size_t i = 0; i < p->n_lines; i++) {
        size_t n = strlen(p->lines[i]);
        if (n > SER_LINE_MAX)
            return 0;
        need += 4 + n;
    }
    if (out == NULL || outsz < need)
        return need;

    unsigned char *o = out;
    *o++ = SER_MAGIC;
    *o++ = SER_VERSION;
    *o++ = (unsigned char)p->mode;
    put_u32(o, p->max_age);
    o += 4;
    put_u16(o, (uint32_t)p->n_mx);
    o += 2;
    put_u32(o, (uint32_t)p->n_lines);
    o += 4;
    for (size_t i = 0; i < p->n_mx; i++) {
        size_t n = strlen(p->mx[i]);
        *o++ = (unsigned char)n;
        memcpy(o, p->mx[i], n);
        o += n;
    }
    for (size_t i = 0; i < p->n_lines; i++) {
        size_t n = strlen(p->lines[i]);
        put_u32(o, (uint32_t)n);
        o += 4;
        memcpy(o, p->lines[i], n);
        o += n;
    }
    return need;
}

/* Is s[0..n) a line as builder_pack() writes it: "key: value"?  Sets
 * *key and *value when it is. */
static bool pol_line_canonical(const char *s, size_t n, struct span *key, struct span *value)
{
    if (pol_split_line(s, n, key, value) != NULL)
        return false;
    if (key->n + 2 + value->n != n || s[key->n + 1] != ' ')
        return false;
    return !pol_line_unsafe(s, n);
}

/*
 * Fast accept for a stored mx in the common form: "*."? then a plain
 * hostname (domain_is_plain_hostname()).  Such a pattern is its own
 * normalised form, so pol_mx_normalise() would accept it unchanged.
 * False means "not this form": the caller asks pol_mx_normalise(), which
 * decides.
 */
static bool pol_mx_plain(const char *s, size_t n)
{
    if (n >= 2 && s[0] == '*' && s[1] == '.')
        return domain_is_plain_hostname(s + 2, n - 2);
    return domain_is_plain_hostname(s, n);
}

/*
 * Fast accept for a stored line in the common form: "key: value" with an
 * ASCII key as pol_split_line() takes it, exactly one space after the
 * colon, and a value of printable ASCII other than '{' and '}' that
 * neither starts nor ends with a space.  pol_line_canonical() accepts
 * every such line with the same key and value; anything else (UTF-8,
 * say) is left to it.
 */
static bool pol_line_plain(const char *s, size_t n, struct span *key, struct span *value)
{
    size_t k = 1;

    if (n < 4 || !pol_is_alnum((unsigned char)s[0]))
        return false;
    while (k < n && k < POLICY_KEY_MAX && pol_is_name_char((unsigned char)s[k]))
        k++;
    if (n - k < 3 || s[k] != ':' || s[k + 1] != ' ' || s[k + 2] == ' ' || s[n - 1] == ' ')
        return false;
    for (size_t i = k + 2; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7e || c == '{' || c == '}')
            return false;
    }
    key->p = s;
    key->n = k;
    value->p = s + k + 2;
    value->n = n - k - 2;
    return true;
}

struct sts_policy *sts_policy_deserialize(const unsigned char *in, size_t len)
{
    struct builder b;
    size_t pos = SER_HEADER;
    struct sts_policy *p = NULL;

    if (in == NULL || len < SER_HEADER || len > SER_MAX)
        return NULL;
    if (in[0] != SER_MAGIC || in[1] != SER_VERSION)
        return NULL;
    builder_init(&b);
    if (in[2] > STS_MODE_ENFORCE)
        return NULL;
    b.mode = (enum sts_mode)in[2];
    b.max_age = get_u32(in + 3);
    size_t n_mx = get_u16(in + 7);
    size_t n_lines = get_u32(in + 9);
    if (b.max_age > STS_MAX_AGE_MAX || n_mx > STS_POLICY_MAX_MX)
        return NULL;
    if (b.mode != STS_MODE_NONE && n_mx == 0)
        return NULL;
    /* Every mx takes at least 2 bytes, every line at least 8 ("a: b"). */
    if (n_mx * 2 > len - pos || n_lines > (len - pos) / 8)
        return NULL;

    for (size_t i = 0; i < n_mx; i++) {
        char pattern[DOMAIN_PATTERN_BUFSZ], match[DOMAIN_PATTERN_BUFSZ];
        if (len - pos < 1)
            goto fail;
        size_t n = in[pos++];
        if (n == 0 || n > len - pos)
            goto fail;
        const char *s = (const char *)in + pos;
        pos += n;
        if (pol_mx_plain(s, n)) {
            memcpy(pattern, s, n);
            pattern[n] = '\0';
            size_t skip = s[0] == '*' ? 1 : 0;
            memcpy(match, s + skip, n - skip);
            match[n - skip] = '\0';
        } else {
            if (!pol_mx_normalise(s, n, pattern, match))
                goto fail;
            if (strlen(pattern) != n || memcmp(pattern, s, n) != 0)
                goto fail; /* not in canonical (normalised) form */
        }
        size_t before = b.n_mx;
        builder_add_mx(&b, pattern, match);
        if (b.n_mx == before)
            goto fail; /* duplicate */
    }
    for (size_t i = 0; i < n_lines; i++) {
        struct span key, value;
        if (len - pos < 4)
            goto fail;
        size_t n = get_u32(in + pos);
        pos += 4;
        if (n > SER_LINE_MAX || n > len - pos)
            goto fail;
        const char *s = (const char *)in + pos;
        pos += n;
        if (!pol_line_plain(s, n, &key, &value) && !pol_line_canonical(s, n, &key, &value))
            goto fail;
        builder_add_line(&b, key, value);
    }
    if (pos != len)
        goto fail;
    p = builder_pack(&b);
fail:
    builder_free(&b);
    return p;
}

/*
 * reply - socketmap reply texts for both profiles (DESIGN sections 2-3).
 *
 * Public functions: reply_profile_from_map(), reply_profile_map(),
 * reply_secure(), reply_secure_fit(), reply_fit_name(), reply_dane_only(),
 * reply_notfound(), reply_temp(), reply_perm().
 *
 * reply_secure() is the last line of defence between policy text fetched
 * from the network and Postfix's attribute parser (smtp_tls_policy.c
 * splits the reply at commas and whitespace outside "{ }", then at the
 * first '=').  It does not trust the policy module: before writing a byte
 * it re-checks every value it will render with its own rules, so that a
 * bug elsewhere can never add or change an attribute:
 *
 *   domain      lowercase LDH hostname: labels of 1-63 [a-z0-9-] not
 *               starting or ending with '-', at least two labels, at most
 *               253 octets, last label not all digits (no IPv4 literal);
 *   match[i]    a hostname as above, optionally preceded by one '.';
 *   mx[i]       a hostname as above, optionally preceded by "*.";
 *               match[i] must be mx[i] with the '*' removed;
 *   lines[i]    (tlsrpt profile only) 1 or more bytes of printable ASCII
 *               or well-formed UTF-8 (no C0/C1 controls, DEL, '{', '}'),
 *               no leading or trailing space.
 *
 * The domain is checked for both profiles (it names the request even when
 * it is not rendered).  Any failure, an empty mx list or a reply longer
 * than REPLY_MAX or outsz - 1 renders nothing: out becomes "" and the
 * result is 0.  The caller decides what to answer then (TEMP, and a log
 * line).
 *
 * reply_secure_fit() never drops an enforced policy for its size: it
 * renders the first of these that fits (each is a prefix of the one
 * before, so each is as safe as the full reply): the profile's full
 * reply; for mtasts-tlsrpt, the same without policy_string attributes,
 * then the classic reply (Postfix then enforces without reporting); and
 * when not even the classic reply fits, "TEMP <REPLY_TOO_LARGE_REASON>".
 * A policy that fails re-validation renders nothing (REPLY_FIT_INVALID),
 * as with reply_secure().  Sizes are only counted against the limit, so
 * trying all four costs at most four renderings of at most REPLY_MAX
 * bytes.
 *
 * reply_notfound/temp/perm() never fail for a buffer that can hold the
 * keyword, its space and the NUL: the reason is sanitised (bytes outside
 * printable ASCII become '?') and truncated to REPLY_REASON_MAX bytes and
 * to what fits.
 *
 * Ownership: the caller owns out and the policy; nothing is allocated.
 * Diagnostics: return values only.  Pure: no I/O, no logging.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "reply.h"

#define REPLY_MAP_CLASSIC "mtasts"
#define REPLY_MAP_TLSRPT  "mtasts-tlsrpt"

#define REPLY_HOST_MAX  253
#define REPLY_LABEL_MAX 63

/* An output cursor: appends while there is room, remembers overflow. */
struct reply_buf {
    char *out;
    size_t limit; /* longest text we may write, excluding the NUL */
    size_t len;
    bool overflow;
};

static void reply_buf_init(struct reply_buf *b, char *out, size_t outsz)
{
    b->out = out;
    b->limit = outsz - 1;
    if (b->limit > REPLY_MAX)
        b->limit = REPLY_MAX;
    b->len = 0;
    b->overflow = false;
}

static void reply_put(struct reply_buf *b, const char *s, size_t n)
{
    if (b->overflow)
        return;
    if (n > b->limit - b->len) {
        b->overflow = true;
        return;
    }
    memcpy(b->out + b->len, s, n);
    b->len += n;
}

static void reply_puts(struct reply_buf *b, const char *s)
{
    reply_put(b, s, strlen(s));
}

/* Finish: NUL-terminate, or render nothing after an overflow. */
static size_t reply_buf_end(struct reply_buf *b)
{
    if (b->overflow) {
        b->out[0] = '\0';
        return 0;
    }
    b->out[b->len] = '\0';
    return b->len;
}

static size_t reply_fail(char *out, size_t outsz)
{
    if (out != NULL && outsz > 0)
        out[0] = '\0';
    return 0;
}

/* ---- defence-in-depth validators ---- */

/* Lowercase LDH hostname, at least two labels, see the header comment.
 * One pass; this runs for every name of every reply. */
static bool reply_hostname_ok(const char *s)
{
    size_t labels = 0, llen = 0, i = 0;
    bool all_digits = true;

    for (;; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\0' || c == '.') {
            if (llen == 0 || s[i - 1] == '-')
                return false;
            labels++;
            if (c == '\0')
                break;
            llen = 0;
            all_digits = true;
            continue;
        }
        if (i >= REPLY_HOST_MAX || ++llen > REPLY_LABEL_MAX)
            return false;
        if (c >= 'a' && c <= 'z')
            all_digits = false;
        else if (c == '-' && llen > 1)
            all_digits = false;
        else if (c < '0' || c > '9')
            return false;
    }
    /* all_digits now describes the last label. */
    return labels >= 2 && !all_digits;
}

static bool reply_mx_ok(const char *s)
{
    return reply_hostname_ok(s[0] == '*' && s[1] == '.' ? s + 2 : s);
}

/* match must be the Postfix form of mx: "*.x.y" -> ".x.y", else equal.
 * Equal to a valid mx with the '*' dropped, it is valid too. */
static bool reply_pair_ok(const char *mx, const char *match)
{
    if (!reply_mx_ok(mx))
        return false;
    if (mx[0] == '*')
        return strcmp(mx + 1, match) == 0;
    return strcmp(mx, match) == 0;
}

/*
 * Length of the well-formed UTF-8 sequence at s[0..n) that encodes a
 * non-control code point, or 0.  s[0] >= 0x80.
 */
static size_t reply_utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t need;
    unsigned long cp;
    unsigned long min;

    if (c >= 0xc2 && c <= 0xdf) {
        need = 2;
        cp = c & 0x1fu;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3;
        cp = c & 0x0fu;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4;
        cp = c & 0x07u;
        min = 0x10000;
    } else {
        return 0; /* continuation byte, C0/C1 overlong lead, or > U+10FFFF */
    }
    if (n < need)
        return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0u) != 0x80u)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    if (cp <= 0x9f)
        return 0; /* C1 control */
    return need;
}

/* A policy line that can sit inside "{ policy_string = ... }" unchanged. */
static bool reply_line_ok(const char *line)
{
    const unsigned char *s = (const unsigned char *)line;
    size_t n = strnlen(line, REPLY_MAX + 1);

    if (n == 0 || n > REPLY_MAX)
        return false;
    if (s[0] == ' ' || s[n - 1] == ' ')
        return false;
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7f || c == '{' || c == '}')
                return false;
            i++;
            continue;
        }
        size_t k = reply_utf8_len(s + i, n - i);
        if (k == 0)
            return false;
        i += k;
    }
    return true;
}

static bool reply_policy_ok(enum reply_profile prof, const char *domain, const struct sts_policy *p)
{
    if (domain == NULL || !reply_hostname_ok(domain))
        return false;
    if (p->n_mx == 0 || p->mx == NULL || p->match == NULL)
        return false;
    for (size_t i = 0; i < p->n_mx; i++) {
        if (p->mx[i] == NULL || p->match[i] == NULL)
            return false;
        if (!reply_pair_ok(p->mx[i], p->match[i]))
            return false;
    }
    if (prof == REPLY_PROFILE_TLSRPT) {
        if (p->n_lines > 0 && p->lines == NULL)
            return false;
        for (size_t i = 0; i < p->n_lines; i++) {
            if (p->lines[i] == NULL || !reply_line_ok(p->lines[i]))
                return false;
        }
    }
    return true;
}

/* ---- public functions ---- */

bool reply_profile_from_map(const char *name, size_t len, enum reply_profile *out)
{
    enum reply_profile prof;

    if (name == NULL)
        return false;
    if (len == strlen(REPLY_MAP_CLASSIC) && memcmp(name, REPLY_MAP_CLASSIC, len) == 0)
        prof = REPLY_PROFILE_CLASSIC;
    else if (len == strlen(REPLY_MAP_TLSRPT) && memcmp(name, REPLY_MAP_TLSRPT, len) == 0)
        prof = REPLY_PROFILE_TLSRPT;
    else
        return false;
    if (out != NULL)
        *out = prof;
    return true;
}

const char *reply_profile_map(enum reply_profile prof)
{
    switch (prof) {
    case REPLY_PROFILE_CLASSIC:
        return REPLY_MAP_CLASSIC;
    case REPLY_PROFILE_TLSRPT:
        return REPLY_MAP_TLSRPT;
    }
    return NULL;
}

/* What reply_render() writes after "OK secure match=...". */
enum reply_attrs {
    REPLY_ATTRS_CLASSIC = 0, /* servername=hostname only */
    REPLY_ATTRS_STS,         /* + policy_type, policy_domain, mx_host_pattern */
    REPLY_ATTRS_STRINGS,     /* + policy_string */
};

/* Render a validated policy with the given attributes; 0 if it does not
 * fit in min(outsz - 1, REPLY_MAX). */
static size_t reply_render(char *out, size_t outsz, enum reply_attrs attrs, const char *domain,
                           const struct sts_policy *p)
{
    struct reply_buf b;

    reply_buf_init(&b, out, outsz);
    reply_puts(&b, "OK secure match=");
    for (size_t i = 0; i < p->n_mx; i++) {
        if (i > 0)
            reply_puts(&b, ":");
        reply_puts(&b, p->match[i]);
    }
    reply_puts(&b, " servername=hostname");
    if (attrs >= REPLY_ATTRS_STS) {
        reply_puts(&b, " policy_type=sts policy_domain=");
        reply_puts(&b, domain);
        for (size_t i = 0; i < p->n_mx; i++) {
            reply_puts(&b, " mx_host_pattern=");
            reply_puts(&b, p->mx[i]);
        }
    }
    if (attrs >= REPLY_ATTRS_STRINGS) {
        for (size_t i = 0; i < p->n_lines; i++) {
            reply_puts(&b, " { policy_string = ");
            reply_puts(&b, p->lines[i]);
            reply_puts(&b, " }");
        }
    }
    return reply_buf_end(&b);
}

size_t reply_secure(char *out, size_t outsz, enum reply_profile prof, const char *domain,
                    const struct sts_policy *p)
{
    if (out == NULL || outsz == 0 || p == NULL)
        return reply_fail(out, outsz);
    if (prof != REPLY_PROFILE_CLASSIC && prof != REPLY_PROFILE_TLSRPT)
        return reply_fail(out, outsz);
    if (!reply_policy_ok(prof, domain, p))
        return reply_fail(out, outsz);
    return reply_render(out, outsz,
                        prof == REPLY_PROFILE_TLSRPT ? REPLY_ATTRS_STRINGS : REPLY_ATTRS_CLASSIC,
                        domain, p);
}

size_t reply_secure_fit(char *out, size_t outsz, enum reply_profile prof, const char *domain,
                        const struct sts_policy *p, enum reply_fit *fit)
{
    static const struct {
        enum reply_attrs attrs;
        enum reply_fit fit;
    } steps[] = {
        {REPLY_ATTRS_STRINGS, REPLY_FIT_FULL},
        {REPLY_ATTRS_STS, REPLY_FIT_NO_STRINGS},
        {REPLY_ATTRS_CLASSIC, REPLY_FIT_CLASSIC},
    };
    size_t n;

    *fit = REPLY_FIT_INVALID;
    if (out == NULL || outsz == 0 || p == NULL)
        return reply_fail(out, outsz);
    if (prof != REPLY_PROFILE_CLASSIC && prof != REPLY_PROFILE_TLSRPT)
        return reply_fail(out, outsz);
    if (!reply_policy_ok(prof, domain, p))
        return reply_fail(out, outsz);
    if (prof == REPLY_PROFILE_CLASSIC) {
        n = reply_render(out, outsz, REPLY_ATTRS_CLASSIC, domain, p);
        if (n > 0) {
            *fit = REPLY_FIT_FULL;
            return n;
        }
    } else {
        for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
            n = reply_render(out, outsz, steps[i].attrs, domain, p);
            if (n > 0) {
                *fit = steps[i].fit;
                return n;
            }
        }
    }
    *fit = REPLY_FIT_TEMP;
    return reply_temp(out, outsz, REPLY_TOO_LARGE_REASON);
}

const char *reply_fit_name(enum reply_fit fit)
{
    switch (fit) {
    case REPLY_FIT_FULL:
        return "full";
    case REPLY_FIT_NO_STRINGS:
        return "without policy_string";
    case REPLY_FIT_CLASSIC:
        return "classic";
    case REPLY_FIT_TEMP:
        return "temp";
    case REPLY_FIT_INVALID:
        return "invalid";
    }
    return "unknown";
}

/* "<keyword> <sanitised reason>", truncated to fit. */
static size_t reply_keyword(char *out, size_t outsz, const char *keyword, const char *reason)
{
    struct reply_buf b;
    size_t klen = strlen(keyword);

    if (out == NULL || outsz < klen + 2)
        return reply_fail(out, outsz);
    reply_buf_init(&b, out, outsz);
    reply_put(&b, keyword, klen);
    reply_put(&b, " ", 1);
    if (reason != NULL) {
        size_t rlen = strnlen(reason, REPLY_REASON_MAX);
        for (size_t i = 0; i < rlen && b.len < b.limit; i++) {
            unsigned char c = (unsigned char)reason[i];
            char ch = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
            reply_put(&b, &ch, 1);
        }
    }
    return reply_buf_end(&b);
}

size_t reply_dane_only(char *out, size_t outsz)
{
    static const char text[] = "OK dane-only";
    if (out == NULL || outsz < sizeof(text))
        return reply_fail(out, outsz); /* never a cut "OK dane-o" */
    memcpy(out, text, sizeof(text));
    return sizeof(text) - 1;
}

size_t reply_notfound(char *out, size_t outsz)
{
    return reply_keyword(out, outsz, "NOTFOUND", NULL);
}

size_t reply_temp(char *out, size_t outsz, const char *reason)
{
    return reply_keyword(out, outsz, "TEMP", reason);
}

size_t reply_perm(char *out, size_t outsz, const char *reason)
{
    return reply_keyword(out, outsz, "PERM", reason);
}

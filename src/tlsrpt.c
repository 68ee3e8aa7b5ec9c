/*
 * tlsrpt - the "_smtp._tls" TXT record (RFC 8460 section 3); see tlsrpt.h.
 *
 * Public functions: tlsrpt_parse() checks one record, tlsrpt_select()
 * applies the record-set rule to all TXT records of one answer,
 * tlsrpt_strerror() names a status.
 *
 * Grammar (RFC 8460 section 3, RFC 7405 %s = case-sensitive):
 *
 *   tlsrpt-record    = tlsrpt-version 1*(field-delim tlsrpt-field) [field-delim]
 *   field-delim      = *WSP ";" *WSP
 *   tlsrpt-field     = tlsrpt-rua / tlsrpt-extension      (rua is required)
 *   tlsrpt-version   = %s"v=TLSRPTv1"
 *   tlsrpt-rua       = %s"rua=" tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri)
 *   tlsrpt-uri       = URI (RFC 3986); commas and "!" MUST be %-encoded
 *   tlsrpt-extension = tlsrpt-ext-name "=" tlsrpt-ext-value
 *   tlsrpt-ext-name  = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *   tlsrpt-ext-value = 1*(%x21-3A / %x3C / %x3E-7E)
 *
 * Choices where the ABNF leaves room: a URI ends at ';' (the field
 * delimiter), whitespace or ','; it is made of RFC 3986 characters
 * (unreserved, reserved other than ',', '!' and ';', and %HH escapes)
 * and must be "mailto:" with an address (something on both sides of an
 * '@') or "https://" with a host: the two schemes section 3 supports.
 * Schemes are matched case-insensitively (RFC 3986 section 3.1).  A field
 * named exactly "rua" must be a valid rua; the first rua wins.  As in
 * sts_txt, whitespace after the last field without a closing ';' and
 * whitespace before "v=" make the record invalid.
 *
 * The version check, the delimiters, field names and extension values are
 * txtrec.c's (shared with sts_txt.c); this file parses rua.
 *
 * Ownership: the caller owns every buffer; nothing is allocated.
 * Limits: TLSRPT_MAX bytes per record, TLSRPT_MAX_RUA URIs kept.
 * Diagnostics: the status and a static reason; the caller reports.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "tlsrpt.h"
#include "txtrec.h"

#define TLSRPT_VERSION "v=TLSRPTv1"

static bool tlsrpt_is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool tlsrpt_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool tlsrpt_is_hex(unsigned char c)
{
    return tlsrpt_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* RFC 3986 characters a URI in rua may hold as they are: unreserved,
 * gen-delims and sub-delims, less ',' and '!' (to be %-encoded) and ';'
 * (the field delimiter).  '%' is handled by the caller. */
static bool tlsrpt_is_uri_char(unsigned char c)
{
    if (txtrec_is_alnum(c))
        return true;
    return strchr("-._~:/?#[]@$&'()*+=", c) != NULL && c != '\0';
}

static bool tlsrpt_prefix(const char *p, size_t n, const char *lit)
{
    size_t k = strlen(lit);
    return n >= k && strncasecmp(p, lit, k) == 0;
}

/* Check one URI p[0..n) (its characters already checked); NULL or why not. */
static const char *tlsrpt_check_uri(const char *p, size_t n, enum tlsrpt_scheme *scheme)
{
    size_t i;

    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
    if (n == 0 || !tlsrpt_is_alpha((unsigned char)p[0]))
        return "a rua URI must start with a scheme (mailto: or https:)";
    for (i = 1; i < n && p[i] != ':'; i++)
        if (!txtrec_is_alnum((unsigned char)p[i]) && p[i] != '+' && p[i] != '-' && p[i] != '.')
            return "a rua URI must start with a scheme (mailto: or https:)";
    if (i == n)
        return "a rua URI must start with a scheme (mailto: or https:)";
    if (tlsrpt_prefix(p, n, "mailto:")) {
        size_t start = 7, end = start, at = 0;
        while (end < n && p[end] != '?')
            end++;
        for (i = start; i < end; i++)
            if (p[i] == '@')
                at = i;
        if (at == 0 || at == start || at + 1 == end)
            return "a mailto: rua has no address (user@domain)";
        *scheme = TLSRPT_MAILTO;
        return NULL;
    }
    if (tlsrpt_prefix(p, n, "https:")) {
        if (n < 8 || p[6] != '/' || p[7] != '/')
            return "an https: rua must be https://host/...";
        if (n == 8 || p[8] == '/' || p[8] == '?' || p[8] == '#')
            return "an https: rua has no host";
        *scheme = TLSRPT_HTTPS;
        return NULL;
    }
    return "a rua URI scheme must be mailto: or https: (RFC 8460 section 3)";
}

/* tlsrpt-rua value at rec[*pos..len); on success *pos is past the last URI. */
static const char *tlsrpt_parse_rua(const char *rec, size_t len, size_t *pos, bool keep,
                                    struct tlsrpt *out)
{
    size_t i = *pos;

    for (;;) {
        size_t start = i;
        enum tlsrpt_scheme scheme = TLSRPT_MAILTO;
        const char *why;

        while (i < len) {
            unsigned char c = (unsigned char)rec[i];
            if (c == '%') {
                if (len - i < 3 || !tlsrpt_is_hex((unsigned char)rec[i + 1]) ||
                    !tlsrpt_is_hex((unsigned char)rec[i + 2]))
                    return "a '%' in a rua URI is not followed by two hex digits";
                i += 3;
                continue;
            }
            if (c == ';' || c == ',' || txtrec_is_wsp(c))
                break;
            if (c == '!')
                return "a '!' in a rua URI must be written %21";
            if (!tlsrpt_is_uri_char(c))
                return "a rua URI contains a character URIs do not allow";
            i++;
        }
        if (i == start)
            return "empty rua URI";
        why = tlsrpt_check_uri(rec + start, i - start, &scheme);
        if (why != NULL)
            return why;
        if (keep) {
            if (out->n_rua < TLSRPT_MAX_RUA) {
                out->rua[out->n_rua].p = rec + start;
                out->rua[out->n_rua].len = i - start;
                out->rua[out->n_rua].scheme = scheme;
            }
            out->n_rua++;
        }
        /* *WSP "," *WSP, or the end of the field */
        size_t j = i;
        while (j < len && txtrec_is_wsp((unsigned char)rec[j]))
            j++;
        if (j == len || rec[j] != ',') {
            *pos = i;
            return NULL;
        }
        j++;
        while (j < len && txtrec_is_wsp((unsigned char)rec[j]))
            j++;
        i = j;
    }
}

enum tlsrpt_status tlsrpt_parse(const char *rec, size_t len, struct tlsrpt *out, const char **why)
{
    struct tlsrpt res;
    bool have_rua = false;
    const char *dummy;

    if (why == NULL)
        why = &dummy;
    *why = NULL;
    memset(out, 0, sizeof(*out));
    memset(&res, 0, sizeof(res));
    if (!txtrec_begins(rec, len, TLSRPT_VERSION)) {
        *why = "the record does not begin with v=TLSRPTv1";
        return TLSRPT_NONE;
    }
    if (len > TLSRPT_MAX) {
        *why = "the record is longer than 4096 bytes";
        return TLSRPT_INVALID;
    }
    size_t i = strlen(TLSRPT_VERSION), name_len;
    const char *name;
    enum txtrec_next next;
    while ((next = txtrec_next_field(rec, len, &i, &name, &name_len, why)) == TXTREC_FIELD) {
        if (name_len == 3 && memcmp(name, "rua", 3) == 0) {
            /* a field named exactly "rua" must be a valid one; the first wins */
            *why = tlsrpt_parse_rua(rec, len, &i, !have_rua, &res);
            have_rua = have_rua || *why == NULL;
        } else {
            *why = txtrec_ext_value(rec, len, &i);
        }
        if (*why != NULL)
            return TLSRPT_INVALID;
    }
    if (next == TXTREC_BAD)
        return TLSRPT_INVALID;
    if (!have_rua) {
        *why = "no rua= field (where reports go; required)";
        return TLSRPT_INVALID;
    }
    *out = res;
    return TLSRPT_OK;
}

enum tlsrpt_status tlsrpt_select(const struct sts_txt_rr *rrs, size_t n, struct tlsrpt *out,
                                 size_t *index, const char **why)
{
    size_t found = n;
    const char *dummy;

    if (why == NULL)
        why = &dummy;
    *why = NULL;
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        if (!txtrec_begins(rrs[i].data, rrs[i].len, TLSRPT_VERSION))
            continue;
        if (found != n) {
            *why = "more than one record begins with v=TLSRPTv1";
            return TLSRPT_MULTIPLE;
        }
        found = i;
    }
    if (found == n) {
        *why = "no record begins with v=TLSRPTv1";
        return TLSRPT_NONE;
    }
    if (index != NULL)
        *index = found;
    enum tlsrpt_status st = tlsrpt_parse(rrs[found].data, rrs[found].len, out, why);
    return st == TLSRPT_OK ? TLSRPT_OK : TLSRPT_INVALID;
}

const char *tlsrpt_strerror(enum tlsrpt_status st)
{
    switch (st) {
    case TLSRPT_OK:
        return "valid TLSRPTv1 record";
    case TLSRPT_NONE:
        return "no record begins with v=TLSRPTv1";
    case TLSRPT_MULTIPLE:
        return "more than one v=TLSRPTv1 record";
    case TLSRPT_INVALID:
        return "the v=TLSRPTv1 record does not match RFC 8460 syntax";
    }
    return "unknown TLSRPT record status";
}

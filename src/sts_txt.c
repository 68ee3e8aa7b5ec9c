/*
 * sts_txt - the "_mta-sts" TXT record (RFC 8461 section 3.1).
 *
 * Public functions: sts_txt_parse() checks one record, sts_txt_parse_why()
 * does the same and names what is wrong (for the domain owner's check),
 * sts_txt_select() applies the record-set rule to all TXT records of one
 * answer, sts_txt_strerror() names a status for logs.
 *
 * Grammar (RFC 8461 section 3.1, RFC 7405 %s = case-sensitive):
 *
 *   sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim]
 *   sts-field       = sts-id / sts-extension
 *   sts-field-delim = *WSP ";" *WSP
 *   sts-version     = %s"v=STSv1"
 *   sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
 *   sts-extension   = sts-ext-name "=" sts-ext-value
 *   sts-ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *   sts-ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
 *
 * Choices where the ABNF leaves room: a field named exactly "id" must be a
 * valid sts-id (it is never read as an extension that happens to be called
 * "id"); the record must contain an id (section 3.1 says it is required);
 * the first id wins.  Whitespace after the last field without a closing
 * ";" does not match the ABNF and makes the record invalid; so does
 * whitespace before "v=STSv1".
 *
 * Ownership: the caller owns every buffer; nothing is allocated.
 * Limits: records longer than STS_TXT_MAX bytes are invalid.
 * Diagnostics: the status only; the caller logs (sts_txt_strerror()).
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <string.h>

#include "sts_txt.h"

#define STS_TXT_VERSION     "v=STSv1"
#define STS_TXT_VERSION_LEN (sizeof(STS_TXT_VERSION) - 1)
#define STS_EXT_NAME_MAX    32

static bool txt_is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool txt_is_wsp(unsigned char c)
{
    return c == ' ' || c == '\t';
}

static bool txt_is_name_char(unsigned char c)
{
    return txt_is_alnum(c) || c == '_' || c == '-' || c == '.';
}

/* sts-ext-value characters: VCHAR except ';' and '='. */
static bool txt_is_value_char(unsigned char c)
{
    return c >= 0x21 && c <= 0x7e && c != ';' && c != '=';
}

/* Does the record begin with "v=STSv1" followed by ';', WSP or its end? */
static bool txt_is_stsv1(const char *rec, size_t len)
{
    if (rec == NULL || len < STS_TXT_VERSION_LEN)
        return false;
    if (memcmp(rec, STS_TXT_VERSION, STS_TXT_VERSION_LEN) != 0)
        return false;
    if (len == STS_TXT_VERSION_LEN)
        return true;
    unsigned char next = (unsigned char)rec[STS_TXT_VERSION_LEN];
    return next == ';' || txt_is_wsp(next);
}

/*
 * Parse one field at rec[*pos..len): name "=" value.  On success (NULL)
 * *pos is just past the value and, if the field is the first id, out->id
 * is set.  Otherwise returns what is wrong.
 */
static const char *txt_parse_field(const char *rec, size_t len, size_t *pos, bool *have_id,
                                   struct sts_txt *out)
{
    size_t i = *pos;
    size_t name_start = i;

    if (i >= len || !txt_is_alnum((unsigned char)rec[i]))
        return "a field name must start with a letter or digit";
    i++;
    while (i < len && txt_is_name_char((unsigned char)rec[i])) {
        if (i - name_start >= STS_EXT_NAME_MAX)
            return "a field name is longer than 32 characters";
        i++;
    }
    size_t name_len = i - name_start;
    if (i >= len || rec[i] != '=')
        return "expected name=value";
    i++;

    size_t value_start = i;
    bool is_id = name_len == 2 && memcmp(rec + name_start, "id", 2) == 0;
    if (is_id) {
        while (i < len && txt_is_alnum((unsigned char)rec[i]))
            i++;
        size_t id_len = i - value_start;
        if (id_len == 0 || id_len > STS_ID_MAX)
            return "id must be 1-32 letters and digits";
        if (i < len && rec[i] != ';' && !txt_is_wsp((unsigned char)rec[i]))
            return "id must be 1-32 letters and digits";
        if (!*have_id) {
            memcpy(out->id, rec + value_start, id_len);
            out->id[id_len] = '\0';
            *have_id = true;
        }
    } else {
        while (i < len && txt_is_value_char((unsigned char)rec[i]))
            i++;
        if (i == value_start)
            return "a field has an empty or invalid value";
    }
    *pos = i;
    return NULL;
}

enum sts_txt_status sts_txt_parse(const char *rec, size_t len, struct sts_txt *out)
{
    return sts_txt_parse_why(rec, len, out, NULL);
}

enum sts_txt_status sts_txt_parse_why(const char *rec, size_t len, struct sts_txt *out,
                                      const char **why)
{
    struct sts_txt res;
    bool have_id = false;
    const char *dummy;

    if (why == NULL)
        why = &dummy;
    *why = NULL;
    memset(out, 0, sizeof(*out));
    memset(&res, 0, sizeof(res));
    if (!txt_is_stsv1(rec, len)) {
        *why = "the record does not begin with v=STSv1";
        return STS_TXT_NONE;
    }
    if (len > STS_TXT_MAX) {
        *why = "the record is longer than 4096 bytes";
        return STS_TXT_INVALID;
    }

    size_t i = STS_TXT_VERSION_LEN;
    for (;;) {
        if (i == len)
            break;
        /* sts-field-delim: *WSP ";" *WSP */
        while (i < len && txt_is_wsp((unsigned char)rec[i]))
            i++;
        if (i == len) {
            *why = "whitespace after the last field";
            return STS_TXT_INVALID;
        }
        if (rec[i] != ';') {
            *why = "fields must be separated by ';'";
            return STS_TXT_INVALID;
        }
        i++;
        while (i < len && txt_is_wsp((unsigned char)rec[i]))
            i++;
        if (i == len)
            break; /* the optional trailing delimiter */
        *why = txt_parse_field(rec, len, &i, &have_id, &res);
        if (*why != NULL)
            return STS_TXT_INVALID;
    }
    if (!have_id) {
        *why = "no id= field (required)";
        return STS_TXT_INVALID;
    }
    *out = res;
    return STS_TXT_OK;
}

enum sts_txt_status sts_txt_select(const struct sts_txt_rr *rrs, size_t n, struct sts_txt *out)
{
    const struct sts_txt_rr *found = NULL;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        if (!txt_is_stsv1(rrs[i].data, rrs[i].len))
            continue;
        if (found != NULL)
            return STS_TXT_MULTIPLE;
        found = &rrs[i];
    }
    if (found == NULL)
        return STS_TXT_NONE;
    enum sts_txt_status st = sts_txt_parse(found->data, found->len, out);
    return st == STS_TXT_OK ? STS_TXT_OK : STS_TXT_INVALID;
}

const char *sts_txt_strerror(enum sts_txt_status st)
{
    switch (st) {
    case STS_TXT_OK:
        return "valid STSv1 record";
    case STS_TXT_NONE:
        return "no record begins with v=STSv1";
    case STS_TXT_MULTIPLE:
        return "more than one v=STSv1 record";
    case STS_TXT_INVALID:
        return "the v=STSv1 record does not match RFC 8461 syntax";
    }
    return "unknown TXT record status";
}

/*
 * txtrec - the field syntax the _mta-sts and _smtp._tls TXT records share
 * (see txtrec.h).
 *
 * Public functions: txtrec_is_alnum(), txtrec_is_wsp(), txtrec_begins(),
 * txtrec_next_field(), txtrec_ext_value().
 *
 * Grammar (the same in RFC 8461 section 3.1 and RFC 8460 section 3):
 *
 *   record      = version 1*(field-delim field) [field-delim]
 *   field-delim = *WSP ";" *WSP
 *   field       = ext-name "=" value
 *   ext-name    = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")
 *   ext-value   = 1*(%x21-3A / %x3C / %x3E-7E)
 *
 * Whitespace after the last field without a closing ";" does not match
 * and is reported; a record with no field at all ends at once (the callers
 * then miss their required field).
 *
 * Ownership: the caller owns every buffer; nothing is allocated.
 * Limits: TXTREC_NAME_MAX characters of a name; the callers bound the
 * record's length.
 * Diagnostics: static reasons; the callers report them.
 */
#include "autoconfig.h"

#include <string.h>

#include "txtrec.h"

bool txtrec_is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool txtrec_is_wsp(unsigned char c)
{
    return c == ' ' || c == '\t';
}

static bool txtrec_is_name_char(unsigned char c)
{
    return txtrec_is_alnum(c) || c == '_' || c == '-' || c == '.';
}

/* ext-value characters: VCHAR except ';' and '='. */
static bool txtrec_is_value_char(unsigned char c)
{
    return c >= 0x21 && c <= 0x7e && c != ';' && c != '=';
}

bool txtrec_begins(const char *rec, size_t len, const char *version)
{
    size_t n = strlen(version);

    if (rec == NULL || len < n || memcmp(rec, version, n) != 0)
        return false;
    return len == n || rec[n] == ';' || txtrec_is_wsp((unsigned char)rec[n]);
}

enum txtrec_next txtrec_next_field(const char *rec, size_t len, size_t *pos, const char **name,
                                   size_t *name_len, const char **why)
{
    size_t i = *pos;

    if (i == len)
        return TXTREC_END;
    while (i < len && txtrec_is_wsp((unsigned char)rec[i]))
        i++;
    if (i == len) {
        *why = "whitespace after the last field";
        return TXTREC_BAD;
    }
    if (rec[i] != ';') {
        *why = "fields must be separated by ';'";
        return TXTREC_BAD;
    }
    i++;
    while (i < len && txtrec_is_wsp((unsigned char)rec[i]))
        i++;
    if (i == len) {
        *pos = i;
        return TXTREC_END; /* the optional trailing delimiter */
    }

    size_t start = i;
    if (!txtrec_is_alnum((unsigned char)rec[i])) {
        *why = "a field name must start with a letter or digit";
        return TXTREC_BAD;
    }
    i++;
    while (i < len && txtrec_is_name_char((unsigned char)rec[i])) {
        if (i - start >= TXTREC_NAME_MAX) {
            *why = "a field name is longer than 32 characters";
            return TXTREC_BAD;
        }
        i++;
    }
    if (i >= len || rec[i] != '=') {
        *why = "expected name=value";
        return TXTREC_BAD;
    }
    *name = rec + start;
    *name_len = i - start;
    *pos = i + 1;
    return TXTREC_FIELD;
}

const char *txtrec_ext_value(const char *rec, size_t len, size_t *pos)
{
    size_t i = *pos;

    while (i < len && txtrec_is_value_char((unsigned char)rec[i]))
        i++;
    if (i == *pos)
        return "a field has an empty or invalid value";
    *pos = i;
    return NULL;
}

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
 * The version check, the delimiters, field names and extension values are
 * txtrec.c's (the same syntax as the TLSRPT record); this file parses id.
 *
 * Ownership: the caller owns every buffer; nothing is allocated.
 * Limits: records longer than STS_TXT_MAX bytes are invalid.
 * Diagnostics: the status only; the caller logs (sts_txt_strerror()).
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <string.h>

#include "sts_txt.h"
#include "txtrec.h"

#define STS_TXT_VERSION "v=STSv1"

/*
 * The value of an "id" field at rec[*pos..len): 1*32(ALPHA / DIGIT), and
 * nothing else up to the next delimiter.  The first id is kept in out.
 */
static const char *sts_txt_parse_id(const char *rec, size_t len, size_t *pos, bool *have_id,
                                    struct sts_txt *out)
{
    size_t i = *pos, start = i;

    while (i < len && txtrec_is_alnum((unsigned char)rec[i]))
        i++;
    size_t id_len = i - start;
    if (id_len == 0 || id_len > STS_ID_MAX)
        return "id must be 1-32 letters and digits";
    if (i < len && rec[i] != ';' && !txtrec_is_wsp((unsigned char)rec[i]))
        return "id must be 1-32 letters and digits";
    if (!*have_id) {
        memcpy(out->id, rec + start, id_len);
        out->id[id_len] = '\0';
        *have_id = true;
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
    if (!txtrec_begins(rec, len, STS_TXT_VERSION)) {
        *why = "the record does not begin with v=STSv1";
        return STS_TXT_NONE;
    }
    if (len > STS_TXT_MAX) {
        *why = "the record is longer than 4096 bytes";
        return STS_TXT_INVALID;
    }

    size_t i = strlen(STS_TXT_VERSION), name_len;
    const char *name;
    enum txtrec_next next;
    while ((next = txtrec_next_field(rec, len, &i, &name, &name_len, why)) == TXTREC_FIELD) {
        if (name_len == 2 && memcmp(name, "id", 2) == 0)
            *why = sts_txt_parse_id(rec, len, &i, &have_id, &res);
        else
            *why = txtrec_ext_value(rec, len, &i);
        if (*why != NULL)
            return STS_TXT_INVALID;
    }
    if (next == TXTREC_BAD)
        return STS_TXT_INVALID;
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
        if (!txtrec_begins(rrs[i].data, rrs[i].len, STS_TXT_VERSION))
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

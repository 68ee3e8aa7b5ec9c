/*
 * txtrec.h - the field syntax that the "_mta-sts" TXT record (RFC 8461
 * section 3.1) and the "_smtp._tls" TXT record (RFC 8460 section 3)
 * share: a version, then fields "name=value" separated by *WSP ";" *WSP,
 * with an optional ";" at the end.  sts_txt.c and tlsrpt.c parse their own
 * values (id, rua) with these helpers around them.  Pure: no allocation,
 * no logging; the reasons returned are static strings.
 */
#ifndef MTASTSD_TXTREC_H
#define MTASTSD_TXTREC_H

#include <stdbool.h>
#include <stddef.h>

#define TXTREC_NAME_MAX 32 /* ext-name: 1 + *31 characters */

bool txtrec_is_alnum(unsigned char c);
bool txtrec_is_wsp(unsigned char c);

/* Does rec[0..len) begin with version followed by ';', WSP or its end? */
bool txtrec_begins(const char *rec, size_t len, const char *version);

enum txtrec_next {
    TXTREC_FIELD, /* *name (name_len bytes) found; *pos is just past its '=' */
    TXTREC_END,   /* the end of the record, after an optional trailing ';' */
    TXTREC_BAD,   /* *why says what is wrong */
};

/*
 * At rec[*pos], just after the version or a field's value: the end of the
 * record, or a delimiter and the next field's name and "=".
 */
enum txtrec_next txtrec_next_field(const char *rec, size_t len, size_t *pos, const char **name,
                                   size_t *name_len, const char **why);

/* An extension value at rec[*pos]: 1*(%x21-3A / %x3C / %x3E-7E).  NULL
 * with *pos just past it, or what is wrong. */
const char *txtrec_ext_value(const char *rec, size_t len, size_t *pos);

#endif

/*
 * sts_txt - the "_mta-sts" TXT record (RFC 8461 section 3.1).
 *
 * sts_txt_parse() checks one record (the character-strings of one TXT RR
 * already joined without separators, as the RFC requires) against the
 * ABNF: "v=STSv1" first, then ";"-separated fields, "id" present with
 * 1-32 letters/digits, extension fields per the ABNF.  The first id wins
 * if it repeats.  Length is bounded by STS_TXT_MAX.
 *
 * sts_txt_parse_why() is sts_txt_parse() that also sets *why (if why is
 * not NULL) to a static string naming the first thing wrong, or NULL when
 * the record is valid; for the domain owner's check.
 *
 * sts_txt_select() applies the record-set rule: records that do not begin
 * with "v=STSv1" (followed by ';', whitespace or end) are discarded;
 * exactly one must remain and it must parse.  Otherwise the domain has no
 * usable policy record (STS_TXT_NONE / STS_TXT_MULTIPLE / STS_TXT_INVALID,
 * all meaning "no policy" to the caller; the kinds are for logs).
 *
 * Pure: no allocation, no I/O.
 */
#ifndef MTASTSD_STS_TXT_H
#define MTASTSD_STS_TXT_H

#include <stddef.h>

#define STS_ID_MAX  32
#define STS_TXT_MAX 4096 /* longer joined records are invalid */

struct sts_txt {
    char id[STS_ID_MAX + 1];
};

/* One TXT RR, its character-strings already joined. */
struct sts_txt_rr {
    const char *data;
    size_t len;
};

enum sts_txt_status {
    STS_TXT_OK = 0,
    STS_TXT_NONE,     /* no record begins with v=STSv1 */
    STS_TXT_MULTIPLE, /* more than one v=STSv1 record */
    STS_TXT_INVALID,  /* the one v=STSv1 record does not match the ABNF */
};

enum sts_txt_status sts_txt_parse(const char *rec, size_t len, struct sts_txt *out);
enum sts_txt_status sts_txt_parse_why(const char *rec, size_t len, struct sts_txt *out,
                                      const char **why);
enum sts_txt_status sts_txt_select(const struct sts_txt_rr *rrs, size_t n, struct sts_txt *out);
const char *sts_txt_strerror(enum sts_txt_status st);

#endif

/*
 * tlsrpt - the SMTP TLS Reporting record "_smtp._tls.<domain>" (RFC 8460
 * section 3), for the domain owner's check.
 *
 * tlsrpt_parse() checks one record (character-strings already joined
 * without separators, as the RFC requires) against the ABNF: "v=TLSRPTv1"
 * first, then ";"-separated fields; "rua=" present (required), a
 * comma-separated list of URIs, each "mailto:" or "https:" (the two
 * schemes the RFC supports); extension fields per the ABNF.  The first
 * rua wins if it repeats.  Records longer than TLSRPT_MAX are invalid.
 *
 * tlsrpt_select() applies the record-set rule: records that do not begin
 * with "v=TLSRPTv1" (followed by ';', whitespace or the end) are
 * discarded; exactly one must remain and it must parse.  Otherwise the
 * domain has no TLSRPT (TLSRPT_NONE / TLSRPT_MULTIPLE / TLSRPT_INVALID).
 *
 * On TLSRPT_INVALID, *why (if why is not NULL) names the first thing
 * wrong, a static string.  The parsed struct points into the caller's
 * record: it is valid as long as that buffer is.
 *
 * Pure: no allocation, no I/O.
 */
#ifndef MTASTSD_TLSRPT_H
#define MTASTSD_TLSRPT_H

#include <stddef.h>

#include "sts_txt.h"

#define TLSRPT_MAX     4096 /* longer joined records are invalid */
#define TLSRPT_MAX_RUA 16   /* URIs kept (n_rua counts them all) */

enum tlsrpt_status {
    TLSRPT_OK = 0,
    TLSRPT_NONE,     /* no record begins with v=TLSRPTv1 */
    TLSRPT_MULTIPLE, /* more than one v=TLSRPTv1 record */
    TLSRPT_INVALID,  /* the one v=TLSRPTv1 record does not match RFC 8460 */
};

enum tlsrpt_scheme {
    TLSRPT_MAILTO = 0,
    TLSRPT_HTTPS,
};

struct tlsrpt_uri {
    const char *p; /* into the record; not NUL-terminated */
    size_t len;
    enum tlsrpt_scheme scheme;
};

struct tlsrpt {
    size_t n_rua; /* URIs in the rua field; the first TLSRPT_MAX_RUA are in rua[] */
    struct tlsrpt_uri rua[TLSRPT_MAX_RUA];
};

enum tlsrpt_status tlsrpt_parse(const char *rec, size_t len, struct tlsrpt *out, const char **why);
/* *index: which of rrs[] was the one v=TLSRPTv1 record (when there is one). */
enum tlsrpt_status tlsrpt_select(const struct sts_txt_rr *rrs, size_t n, struct tlsrpt *out,
                                 size_t *index, const char **why);
const char *tlsrpt_strerror(enum tlsrpt_status st);

#endif

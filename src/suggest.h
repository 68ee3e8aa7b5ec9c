/*
 * suggest - starter files for a domain that begins with MTA-STS
 * (mtastsd-ctl suggest DOMAIN).
 *
 * suggest_write() prints, from the domain's MX answer: a policy in mode
 * testing with one "mx:" line per MX host (in the order senders try them,
 * normalised, duplicates and invalid names left out) and max_age SUGGEST_MAX_AGE (a week), between
 * marker lines so that it can be cut out as is; the _mta-sts TXT record
 * with a UTC timestamp id (YYYYMMDDhhmmssZ, from `now`); a TLSRPT record
 * template; and the next steps (publish, check, read the reports, switch
 * to enforce with a new id).  Everything outside the policy is a comment
 * or a zone-file record.  Nothing is published.
 *
 * With no MX record the domain itself is the mail host (implicit MX) and
 * is listed.  It refuses (false, reason in err) when the MX lookup
 * failed, for a null MX (the domain takes no mail) and when no MX host
 * is a valid host name; then nothing is written.
 *
 * Pure: writes to the given FILE only.
 */
#ifndef MTASTSD_SUGGEST_H
#define MTASTSD_SUGGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dns.h"
#include "dnsmsg.h"

#define SUGGEST_MAX_AGE 604800 /* one week */

/* rrs, n: dns_mx_sec()'s MX records (any order; at most DNSMSG_MAX_RRS used). */
bool suggest_write(FILE *out, const char *domain, enum dns_status st, const struct dnsmsg_rr *rrs,
                   size_t n, const char *detail, int64_t now, char *err, size_t errsz);

#endif

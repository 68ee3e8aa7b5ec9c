/*
 * reply - socketmap reply texts for both profiles (DESIGN sections 2-3).
 *
 * Map names select the profile: "mtasts" (classic, every Postfix >= 3.4)
 * and "mtasts-tlsrpt" (adds the Postfix >= 3.10 TLSRPT attributes).
 *
 * reply_secure() renders the answer for a policy that is enforced:
 *   classic: "OK secure match=<m1>:<m2>... servername=hostname"
 *   tlsrpt:  the classic text plus " policy_type=sts policy_domain=<domain>",
 *            one " mx_host_pattern=<mx>" per mx and one
 *            " { policy_string = <line> }" per policy line.
 * Every pattern and the domain are re-validated here with reply.c's own
 * hostname / mx-pattern rules (independent of domain.c), and every policy
 * line is checked to contain no byte that could end the attribute or the
 * brace group (CTLs, '{', '}'); if anything fails, nothing is rendered and
 * the function returns 0, so policy text can never add or change a Postfix
 * attribute.  A reply that would exceed outsz (and REPLY_MAX) also returns
 * 0.  Otherwise it returns the reply length (without NUL; out is
 * NUL-terminated).
 *
 * reply_secure_fit() is what lookup answers with: the same reply, but a
 * reply too large for the limit is cut down instead of dropped, in this
 * order (*fit says which was rendered):
 *   REPLY_FIT_FULL        the profile's whole reply, as reply_secure();
 *   REPLY_FIT_NO_STRINGS  mtasts-tlsrpt without the policy_string
 *                         attributes;
 *   REPLY_FIT_CLASSIC     mtasts-tlsrpt answered with the classic reply
 *                         (no TLSRPT attributes: Postfix enforces the
 *                         policy but does not report);
 *   REPLY_FIT_TEMP        not even "OK secure match=..." fits: out holds
 *                         "TEMP " REPLY_TOO_LARGE_REASON (mail waits
 *                         rather than going out without the policy);
 *   REPLY_FIT_INVALID     a name or line fails re-validation: nothing is
 *                         rendered (out is "", the result 0).
 * It returns the reply length as reply_secure() does.
 *
 * reply_dane_only() renders "OK dane-only", the same for both profiles:
 * DANE precedence (RFC 8461 section 2; lookup.c decides when).  It has no
 * TLSRPT attributes: Postfix reports DANE itself, and policy_type=sts on a
 * level other than "secure" would be an error.  It returns 0 (and
 * renders "") when outsz cannot hold the whole text.
 *
 * reply_notfound(), reply_temp(), reply_perm() render the other replies;
 * reasons are sanitised to printable ASCII (other bytes become '?') and
 * truncated to REPLY_REASON_MAX bytes and to what fits in outsz; a NULL
 * reason is rendered as empty.  They return 0 (and render "") only when
 * outsz cannot hold the keyword, one space and the NUL.
 *
 * Pure: no I/O.
 */
#ifndef MTASTSD_REPLY_H
#define MTASTSD_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "sts_policy.h"

#define REPLY_MAX              100000 /* Postfix's socketmap reply limit */
#define REPLY_REASON_MAX       200    /* longest reason text in TEMP/PERM replies */
#define REPLY_TOO_LARGE_REASON "MTA-STS policy too large for a socketmap reply"

enum reply_fit {
    REPLY_FIT_FULL = 0,
    REPLY_FIT_NO_STRINGS,
    REPLY_FIT_CLASSIC,
    REPLY_FIT_TEMP,
    REPLY_FIT_INVALID,
};

enum reply_profile {
    REPLY_PROFILE_CLASSIC = 0, /* map "mtasts" */
    REPLY_PROFILE_TLSRPT,      /* map "mtasts-tlsrpt" */
};

/* Map name -> profile; false for an unknown map name. */
bool reply_profile_from_map(const char *name, size_t len, enum reply_profile *out);
const char *reply_profile_map(enum reply_profile prof);

size_t reply_secure(char *out, size_t outsz, enum reply_profile prof, const char *domain,
                    const struct sts_policy *p);
size_t reply_secure_fit(char *out, size_t outsz, enum reply_profile prof, const char *domain,
                        const struct sts_policy *p, enum reply_fit *fit);
const char *reply_fit_name(enum reply_fit fit);
size_t reply_dane_only(char *out, size_t outsz);
size_t reply_notfound(char *out, size_t outsz);
size_t reply_temp(char *out, size_t outsz, const char *reason);
size_t reply_perm(char *out, size_t outsz, const char *reason);

#endif

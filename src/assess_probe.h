/*
 * assess_probe - what the MX probe's facts mean (part of assess(); see
 * assess.h for the facts, mxprobe.h for how they are collected).
 *
 * assess_probe() adds, when the probe was enabled:
 *   mx.host     one per MX host that was tested, or that has no address:
 *               STARTTLS, TLS version, the certificate (trusted or why
 *               not, OpenSSL's reason; expiry; a DNS-ID naming the host
 *               by RFC 6125, domain_cert_name_match()).  No STARTTLS, a
 *               refused STARTTLS, a failed handshake, replies that are
 *               not SMTP, an untrusted or expired certificate, or one for
 *               another name: an error under mode enforce (senders refuse
 *               the host), a warning otherwise.  Expiry within
 *               ASSESS_CERT_WARN_DAYS and TLS older than 1.2: warnings.
 *               No A/AAAA record: a warning (senders skip the host).
 *               Details: host, address, preference, greeting,
 *               tls_version, cipher, names, subject, issuer, not_after,
 *               verified, verify_error, name_matches, tlsa, findings (one
 *               "severity: text" per finding), elapsed_ms.
 *   mx.untested one warning for every host not tested from here (no
 *               connection, refused this client, no answer, over the
 *               probe's limit), naming each with its reason and giving
 *               the count: many networks block outbound port 25, and
 *               none of this is the domain's error.
 *   mx.dane     one per host whose TLSA state is not "none"
 *               (dane_tlsa_state()): usable records that match the
 *               certificate (dane_match()): ok; that do not, or a DANE-TA
 *               match without the host's name: error (DANE senders refuse
 *               the host, whatever MTA-STS says); unusable records:
 *               warning; a failed (bogus) lookup: error (DANE senders
 *               defer).  The TLSA answer at the host's CNAME target
 *               (assess_mxhost.target) decides where
 *               dane_target_decides() says so; the item then names both,
 *               and a DANE-TA match accepts a leaf naming either.
 *               Details: state, tlsa_name, cname_target, records,
 *               matched.
 *
 * Pure: no I/O; the facts are the caller's.
 */
#ifndef MTASTSD_ASSESS_PROBE_H
#define MTASTSD_ASSESS_PROBE_H

#include "assess.h"
#include "report.h"
#include "sts_policy.h"

/* p: the parsed policy, NULL if there is none (the mode decides severity). */
void assess_probe(const struct assess_facts *f, const struct sts_policy *p, struct report *r);

#endif

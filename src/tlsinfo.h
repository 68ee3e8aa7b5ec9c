/*
 * tlsinfo - what a finished TLS handshake shows a client: protocol
 * version, the peer's certificate names, issuer and validity, and how
 * many certificates the peer sent.  For the domain owner's check
 * (mtastsd-ctl check), which reports them; the daemon never uses it.
 *
 * tlsinfo_read() takes an OpenSSL SSL * as an opaque pointer (https.c
 * gets it from libcurl, CURLINFO_TLS_SSL_PTR, so that neither file needs
 * the other's library) and fills a struct tlsinfo.  It reads; it never
 * decides whether the certificate is acceptable (libcurl does that, with
 * the same rules as the daemon's fetches).
 *
 * Every string is copied out of the certificate and sanitised
 * (log_sanitize(): printable ASCII only, truncated with "..."), so a
 * hostile certificate cannot put control bytes in a terminal or a report.
 *
 * Limits: TLSINFO_MAX_NAMES DNS names (the rest are counted in
 * n_names_total), each at most TLSINFO_NAME_SZ - 1 bytes.
 * Ownership: plain struct, caller-owned, no allocation.
 * Diagnostics: none; a missing fact is left empty or 0.
 */
#ifndef MTASTSD_TLSINFO_H
#define MTASTSD_TLSINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLSINFO_MAX_NAMES 16
#define TLSINFO_NAME_SZ   256
#define TLSINFO_TEXT_SZ   256

struct tlsinfo {
    bool valid;                    /* a handshake completed and was read */
    char version[16];              /* "TLSv1.3" */
    bool have_cert;                /* the peer sent a certificate */
    char subject[TLSINFO_TEXT_SZ]; /* RFC 2253 one-line form */
    char issuer[TLSINFO_TEXT_SZ];
    int64_t not_before; /* seconds since the epoch, UTC; 0 if unknown */
    int64_t not_after;
    size_t n_names; /* DNS subjectAltNames kept */
    size_t n_names_total;
    char names[TLSINFO_MAX_NAMES][TLSINFO_NAME_SZ];
    size_t chain_len; /* certificates the peer sent, leaf included */
};

/* Fill *out from an OpenSSL SSL * (NULL: out->valid stays false). */
void tlsinfo_read(const void *ssl, struct tlsinfo *out);

#endif

/*
 * tlsinfo - facts of a finished TLS handshake, read with OpenSSL (see
 * tlsinfo.h).
 *
 * Public functions: tlsinfo_read().
 *
 * The peer certificate is the leaf the server sent
 * (SSL_get1_peer_certificate, freed here); names are its DNS
 * subjectAltNames in certificate order, each sanitised; subject and issuer
 * are printed in RFC 2253 form through a memory BIO; the validity times
 * go through ASN1_TIME_to_tm() and timegm().  chain_len counts what the
 * peer sent (SSL_get_peer_cert_chain), which tells an owner whether the
 * intermediate certificates are served.
 *
 * Ownership: nothing outlives a call.  Limits: see tlsinfo.h.
 * Diagnostics: none.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "tlsinfo.h"

#if OPENSSL_VERSION_NUMBER < 0x30000000L
#define SSL_get1_peer_certificate SSL_get_peer_certificate
#endif

static int64_t tlsinfo_time(const ASN1_TIME *t)
{
    struct tm tm;

    if (t == NULL)
        return 0;
    memset(&tm, 0, sizeof(tm));
    if (ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return (int64_t)timegm(&tm);
}

static void tlsinfo_name(const X509_NAME *name, char *out, size_t outsz)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *p = NULL;
    long n;

    out[0] = '\0';
    if (b == NULL)
        return;
    if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        n = BIO_get_mem_data(b, &p);
        if (n > 0 && p != NULL)
            log_sanitize(p, (size_t)n, out, outsz);
    }
    BIO_free(b);
}

static void tlsinfo_names(X509 *cert, struct tlsinfo *out)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    int i, n;

    if (gens == NULL)
        return;
    n = sk_GENERAL_NAME_num(gens);
    for (i = 0; i < n; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        const unsigned char *s;
        int len;

        if (g->type != GEN_DNS)
            continue;
        out->n_names_total++;
        if (out->n_names == TLSINFO_MAX_NAMES)
            continue;
        s = ASN1_STRING_get0_data(g->d.dNSName);
        len = ASN1_STRING_length(g->d.dNSName);
        if (s == NULL || len < 0)
            continue;
        log_sanitize((const char *)s, (size_t)len, out->names[out->n_names], sizeof(out->names[0]));
        out->n_names++;
    }
    GENERAL_NAMES_free(gens);
}

void tlsinfo_read(const void *ssl_ptr, struct tlsinfo *out)
{
    const SSL *ssl = ssl_ptr;
    const char *v;
    STACK_OF(X509) * chain;
    X509 *cert;

    memset(out, 0, sizeof(*out));
    if (ssl == NULL)
        return;
    out->valid = true;
    v = SSL_get_version(ssl);
    snprintf(out->version, sizeof(out->version), "%s", v != NULL ? v : "");
    chain = SSL_get_peer_cert_chain(ssl);
    out->chain_len = chain != NULL ? (size_t)sk_X509_num(chain) : 0;
    cert = SSL_get1_peer_certificate(ssl);
    if (cert == NULL)
        return;
    out->have_cert = true;
    tlsinfo_name(X509_get_subject_name(cert), out->subject, sizeof(out->subject));
    tlsinfo_name(X509_get_issuer_name(cert), out->issuer, sizeof(out->issuer));
    out->not_before = tlsinfo_time(X509_get0_notBefore(cert));
    out->not_after = tlsinfo_time(X509_get0_notAfter(cert));
    tlsinfo_names(cert, out);
    X509_free(cert);
}

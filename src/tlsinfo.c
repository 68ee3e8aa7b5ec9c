/*
 * tlsinfo - facts of a TLS handshake read with OpenSSL, and a small TLS
 * client for the MX probe (see tlsinfo.h).
 *
 * Public functions: tlsinfo_read(), tlsinfo_conn_new(),
 * tlsinfo_conn_handshake(), tlsinfo_conn_write(), tlsinfo_conn_read(),
 * tlsinfo_conn_facts(), tlsinfo_conn_free().
 *
 * Facts: the peer certificate is the leaf the server sent
 * (SSL_get1_peer_certificate, freed here); names are its DNS
 * subjectAltNames in certificate order, each sanitised; subject and issuer
 * are printed in RFC 2253 form through a memory BIO; the validity times
 * go through ASN1_TIME_to_tm() and timegm().  chain_len counts what the
 * peer sent (SSL_get_peer_cert_chain), which tells an owner whether the
 * intermediate certificates are served.
 *
 * The client: one SSL_CTX per connection (a probe makes a handful), the
 * CA store from ca_file or the system's default paths, SSL_VERIFY_NONE so
 * that OpenSSL completes the handshake and records the chain's verdict
 * (SSL_get_verify_result) instead of aborting: a report must show the
 * certificate senders refuse.  The socket goes into a BIO with
 * BIO_NOCLOSE.  OpenSSL's error queue is cleared before each call and
 * read into the caller's buffer after a failure.  For DANE, each
 * certificate's DER and its SubjectPublicKeyInfo's DER are encoded once
 * (i2d_X509(), i2d_X509_PUBKEY()), digested with EVP_Digest() and kept up
 * to DANE_DER_MAX bytes; "signed by the next" is X509_check_issued() and
 * X509_verify() with the next certificate's key.
 *
 * Ownership: nothing outlives a call but the tlsinfo_conn.  Limits: see
 * tlsinfo.h.  Diagnostics: none beyond the caller's err buffers.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
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

static void tlsinfo_fill(const SSL *ssl, struct tlsinfo *out)
{
    const char *v;
    STACK_OF(X509) * chain;
    X509 *cert;

    memset(out, 0, sizeof(*out));
    if (ssl == NULL)
        return;
    out->valid = true;
    v = SSL_get_version(ssl);
    snprintf(out->version, sizeof(out->version), "%s", v != NULL ? v : "");
    v = SSL_get_cipher_name(ssl);
    snprintf(out->cipher, sizeof(out->cipher), "%s", v != NULL ? v : "");
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

void tlsinfo_read(const void *ssl_ptr, struct tlsinfo *out)
{
    tlsinfo_fill(ssl_ptr, out);
}

/* ---- the TLS client of the MX probe -------------------------------------- */

struct tlsinfo_conn {
    SSL_CTX *ctx;
    SSL *ssl;
    bool done; /* handshake finished */
};

/* OpenSSL's first queued error (or what) into err. */
static void tlsinfo_err(const char *what, char *err, size_t errsz)
{
    unsigned long e = ERR_get_error();
    char buf[256];

    if (e != 0) {
        ERR_error_string_n(e, buf, sizeof(buf));
        snprintf(err, errsz, "%s: %s", what, buf);
    } else {
        snprintf(err, errsz, "%s", what);
    }
    ERR_clear_error();
}

struct tlsinfo_conn *tlsinfo_conn_new(int fd, const char *sni, const char *ca_file, char *err,
                                      size_t errsz)
{
    struct tlsinfo_conn *c = calloc(1, sizeof(*c));
    BIO *bio = NULL;

    ERR_clear_error();
    if (c == NULL) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (c->ctx == NULL) {
        tlsinfo_err("cannot create a TLS context", err, errsz);
        goto fail;
    }
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
    if (ca_file != NULL && ca_file[0] != '\0') {
        if (SSL_CTX_load_verify_locations(c->ctx, ca_file, NULL) != 1) {
            tlsinfo_err("cannot load the CA file", err, errsz);
            goto fail;
        }
    } else if (SSL_CTX_set_default_verify_paths(c->ctx) != 1) {
        tlsinfo_err("cannot load the system CA store", err, errsz);
        goto fail;
    }
    c->ssl = SSL_new(c->ctx);
    bio = BIO_new_socket(fd, BIO_NOCLOSE);
    if (c->ssl == NULL || bio == NULL) {
        BIO_free(bio);
        tlsinfo_err("cannot create a TLS session", err, errsz);
        goto fail;
    }
    SSL_set_bio(c->ssl, bio, bio);
    SSL_set_connect_state(c->ssl);
    if (sni != NULL && sni[0] != '\0' && SSL_set_tlsext_host_name(c->ssl, sni) != 1) {
        tlsinfo_err("cannot set the server name", err, errsz);
        goto fail;
    }
    return c;
fail:
    tlsinfo_conn_free(c);
    return NULL;
}

/* Map an SSL_* call's result. */
static enum tlsinfo_io tlsinfo_io_result(struct tlsinfo_conn *c, int rc, const char *what,
                                         char *err, size_t errsz)
{
    int e = SSL_get_error(c->ssl, rc);
    char why[128];

    switch (e) {
    case SSL_ERROR_NONE:
        return TLSINFO_IO_OK;
    case SSL_ERROR_WANT_READ:
        return TLSINFO_IO_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return TLSINFO_IO_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        snprintf(err, errsz, "%s: the server closed the TLS session", what);
        return TLSINFO_IO_CLOSED;
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() != 0) {
            tlsinfo_err(what, err, errsz);
            return TLSINFO_IO_ERROR;
        }
        if (errno != 0 && rc < 0) {
            snprintf(why, sizeof(why), "%s", strerror(errno));
            snprintf(err, errsz, "%s: %s", what, why);
            return TLSINFO_IO_ERROR;
        }
        snprintf(err, errsz, "%s: the server closed the connection", what);
        return TLSINFO_IO_CLOSED;
    default:
        tlsinfo_err(what, err, errsz);
        return TLSINFO_IO_ERROR;
    }
}

enum tlsinfo_io tlsinfo_conn_handshake(struct tlsinfo_conn *c, char *err, size_t errsz)
{
    int rc;

    if (c->done)
        return TLSINFO_IO_OK;
    ERR_clear_error();
    errno = 0;
    rc = SSL_do_handshake(c->ssl);
    if (rc == 1) {
        c->done = true;
        return TLSINFO_IO_OK;
    }
    return tlsinfo_io_result(c, rc, "TLS handshake failed", err, errsz);
}

enum tlsinfo_io tlsinfo_conn_write(struct tlsinfo_conn *c, const void *buf, size_t len, size_t *n,
                                   char *err, size_t errsz)
{
    int rc;

    *n = 0;
    if (len == 0)
        return TLSINFO_IO_OK;
    ERR_clear_error();
    errno = 0;
    rc = SSL_write_ex(c->ssl, buf, len, n);
    return rc == 1 ? TLSINFO_IO_OK : tlsinfo_io_result(c, rc, "TLS write failed", err, errsz);
}

enum tlsinfo_io tlsinfo_conn_read(struct tlsinfo_conn *c, void *buf, size_t len, size_t *n,
                                  char *err, size_t errsz)
{
    int rc;

    *n = 0;
    ERR_clear_error();
    errno = 0;
    rc = SSL_read_ex(c->ssl, buf, len, n);
    return rc == 1 ? TLSINFO_IO_OK : tlsinfo_io_result(c, rc, "TLS read failed", err, errsz);
}

/* DER and digests of one selector's bytes. */
static void tlsinfo_dane_bytes(const unsigned char *der, int len, struct dane_cert *d, int sel)
{
    unsigned int mdlen = 0;

    if (der == NULL || len <= 0)
        return;
    d->der_len[sel] = (size_t)len;
    memcpy(d->der[sel], der, (size_t)len < DANE_DER_MAX ? (size_t)len : DANE_DER_MAX);
    EVP_Digest(der, (size_t)len, d->sha256[sel], &mdlen, EVP_sha256(), NULL);
    EVP_Digest(der, (size_t)len, d->sha512[sel], &mdlen, EVP_sha512(), NULL);
}

static void tlsinfo_dane_cert(X509 *cert, X509 *next, struct dane_cert *d)
{
    unsigned char *der = NULL;
    int len;

    memset(d, 0, sizeof(*d));
    len = i2d_X509(cert, &der);
    tlsinfo_dane_bytes(der, len, d, DANE_SEL_CERT);
    OPENSSL_free(der);
    der = NULL;
    len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
    tlsinfo_dane_bytes(der, len, d, DANE_SEL_SPKI);
    OPENSSL_free(der);
    if (next != NULL) {
        EVP_PKEY *key = X509_get0_pubkey(next);
        d->signed_by_next = X509_check_issued(next, cert) == X509_V_OK && key != NULL &&
                            X509_verify(cert, key) == 1;
    }
    ERR_clear_error();
}

void tlsinfo_conn_facts(const struct tlsinfo_conn *c, struct tlsinfo *out, struct dane_cert *chain,
                        size_t *nchain)
{
    STACK_OF(X509) * sk;
    long v;

    if (nchain != NULL)
        *nchain = 0;
    tlsinfo_fill(c != NULL && c->done ? c->ssl : NULL, out);
    if (!out->valid)
        return;
    v = SSL_get_verify_result(c->ssl);
    out->verify_known = true;
    out->verify_ok = v == X509_V_OK && out->have_cert;
    snprintf(out->verify_error, sizeof(out->verify_error), "%s",
             out->have_cert ? X509_verify_cert_error_string(v) : "no certificate");
    if (chain == NULL || nchain == NULL)
        return;
    sk = SSL_get_peer_cert_chain(c->ssl);
    for (int i = 0; sk != NULL && i < sk_X509_num(sk) && *nchain < DANE_CHAIN_MAX; i++) {
        X509 *next = i + 1 < sk_X509_num(sk) ? sk_X509_value(sk, i + 1) : NULL;
        tlsinfo_dane_cert(sk_X509_value(sk, i), next, &chain[*nchain]);
        (*nchain)++;
    }
}

void tlsinfo_conn_free(struct tlsinfo_conn *c)
{
    if (c == NULL)
        return;
    SSL_free(c->ssl); /* frees the BIO; the socket stays open (BIO_NOCLOSE) */
    SSL_CTX_free(c->ctx);
    free(c);
}

/*
 * tlsinfo - the domain owner's check's window into TLS, and the one file
 * that includes OpenSSL's headers for it.  The daemon never uses it.
 *
 * 1. Facts of a finished handshake: protocol version, cipher, the peer's
 * certificate names, issuer and validity, and how many certificates the
 * peer sent.  tlsinfo_read() takes an OpenSSL SSL * as an opaque pointer
 * (https.c gets it from libcurl, CURLINFO_TLS_SSL_PTR, so that neither
 * file needs the other's library) and fills a struct tlsinfo.  It reads;
 * it never decides whether the certificate is acceptable (libcurl does
 * that, with the same rules as the daemon's fetches), so verify_known
 * stays false.
 *
 * 2. A TLS client on a socket the caller connected (the MX probe's
 * STARTTLS, mxprobe.c): tlsinfo_conn_new() sets SNI to the host, loads
 * ca_file (or the system store) and verifies the chain WITHOUT refusing
 * it: the handshake completes whatever the certificate, and
 * tlsinfo_conn_facts() reports verify_ok and OpenSSL's reason
 * (verify_error: "certificate has expired", "self-signed certificate",
 * ...).  The name is not checked here (domain_cert_name_match() does
 * that on the names reported, by RFC 6125's rules).  TLS versions and
 * ciphers are the library's defaults, as a sender built on the same
 * OpenSSL would have them.  The socket must be non-blocking; every call
 * returns TLSINFO_IO_WANT_READ / _WANT_WRITE when it would block, and is
 * repeated when the socket is ready.  The socket stays the caller's.
 * tlsinfo_conn_facts() also fills one struct dane_cert per certificate
 * the peer sent (leaf first, at most DANE_CHAIN_MAX): DER of the
 * certificate and of its public key, their SHA2-256 and SHA2-512
 * digests, and whether each is signed by the next, for dane_match().
 *
 * Every string is copied out of the certificate and sanitised
 * (log_sanitize(): printable ASCII only, truncated with "..."), so a
 * hostile certificate cannot put control bytes in a terminal or a report.
 *
 * Limits: TLSINFO_MAX_NAMES DNS names (the rest are counted in
 * n_names_total), each at most TLSINFO_NAME_SZ - 1 bytes; DANE_CHAIN_MAX
 * certificates and DANE_DER_MAX bytes of each for DANE.  Error texts at
 * most the caller's buffer.
 * Ownership: struct tlsinfo is caller-owned, no allocation; a
 * tlsinfo_conn is freed by tlsinfo_conn_free() (which never closes the
 * socket).
 * Diagnostics: none; a missing fact is left empty or 0, errors go to the
 * caller's buffer.
 */
#ifndef MTASTSD_TLSINFO_H
#define MTASTSD_TLSINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dane.h"

#define TLSINFO_MAX_NAMES 16
#define TLSINFO_NAME_SZ   256
#define TLSINFO_TEXT_SZ   256

struct tlsinfo {
    bool valid;                    /* a handshake completed and was read */
    char version[16];              /* "TLSv1.3" */
    char cipher[64];               /* "TLS_AES_256_GCM_SHA384" */
    bool have_cert;                /* the peer sent a certificate */
    char subject[TLSINFO_TEXT_SZ]; /* RFC 2253 one-line form */
    char issuer[TLSINFO_TEXT_SZ];
    int64_t not_before; /* seconds since the epoch, UTC; 0 if unknown */
    int64_t not_after;
    size_t n_names; /* DNS subjectAltNames kept */
    size_t n_names_total;
    char names[TLSINFO_MAX_NAMES][TLSINFO_NAME_SZ];
    size_t chain_len;                   /* certificates the peer sent, leaf included */
    bool verify_known;                  /* the next two were computed (tlsinfo_conn only) */
    bool verify_ok;                     /* the chain ends at a trusted root and is valid now */
    char verify_error[TLSINFO_TEXT_SZ]; /* why not, in OpenSSL's words */
};

/* Fill *out from an OpenSSL SSL * (NULL: out->valid stays false). */
void tlsinfo_read(const void *ssl, struct tlsinfo *out);

struct tlsinfo_conn;

enum tlsinfo_io {
    TLSINFO_IO_OK = 0,
    TLSINFO_IO_WANT_READ,
    TLSINFO_IO_WANT_WRITE,
    TLSINFO_IO_CLOSED, /* the peer closed the connection */
    TLSINFO_IO_ERROR,  /* see err */
};

/* A TLS client on the connected non-blocking socket fd, SNI = sni; NULL
 * with err on failure (no memory, an unreadable ca_file). */
struct tlsinfo_conn *tlsinfo_conn_new(int fd, const char *sni, const char *ca_file, char *err,
                                      size_t errsz);
enum tlsinfo_io tlsinfo_conn_handshake(struct tlsinfo_conn *c, char *err, size_t errsz);
/* After the handshake: write or read at most len bytes (*n: how many). */
enum tlsinfo_io tlsinfo_conn_write(struct tlsinfo_conn *c, const void *buf, size_t len, size_t *n,
                                   char *err, size_t errsz);
enum tlsinfo_io tlsinfo_conn_read(struct tlsinfo_conn *c, void *buf, size_t len, size_t *n,
                                  char *err, size_t errsz);
/* The facts of the finished handshake, and the chain for DANE (chain may
 * be NULL; *nchain gets the count kept). */
void tlsinfo_conn_facts(const struct tlsinfo_conn *c, struct tlsinfo *out, struct dane_cert *chain,
                        size_t *nchain);
void tlsinfo_conn_free(struct tlsinfo_conn *c);

#endif

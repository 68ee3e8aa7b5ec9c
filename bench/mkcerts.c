/*
 * mkcerts - a throwaway test CA and one server certificate per policy host,
 * for the benchmark's cold-resolution world (bench/README).
 *
 *     mkcerts -o DIR -p PATTERN -r FROM:TO [-p PATTERN -r FROM:TO]...
 *
 * Writes DIR/ca.pem (the CA to give mtastsd as ca_file), DIR/ca.key,
 * DIR/server.key (one EC P-256 key shared by every server certificate) and
 * DIR/certs/mta-sts.<domain>.crt for every domain PATTERN (one "%d") yields
 * over FROM..TO.  Each certificate is issued by the CA for exactly that
 * host (CN and subjectAltName DNS:mta-sts.<domain>, serverAuth, valid from
 * a day ago for 30 days), so nginx can pick it by SNI:
 * "ssl_certificate DIR/certs/$ssl_server_name.crt".
 *
 * Why not a wildcard: a policy host is mta-sts.<domain>, and "*.x" covers
 * only one label, so no wildcard covers mta-sts.d1.bench.test and
 * mta-sts.d2.bench.test alike; one certificate with 10,000 names is over
 * OpenSSL's default 100 KiB certificate-list limit.  Why not the openssl
 * command: one process per certificate takes about 0.1 s here (minutes
 * for 10,000); in-process signing takes well under a millisecond each.
 *
 * Exit status 0, or 1 with a message on stderr.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define MK_MAX_RANGES 8

static void fail(const char *what)
{
    fprintf(stderr, "mkcerts: %s\n", what);
    exit(1);
}

static void write_pem_key(const char *path, EVP_PKEY *k)
{
    FILE *f = fopen(path, "w");
    if (f == NULL || !PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) || fclose(f) != 0)
        fail(path);
}

static void write_pem_cert(const char *path, X509 *x)
{
    FILE *f = fopen(path, "w");
    if (f == NULL || !PEM_write_X509(f, x) || fclose(f) != 0)
        fail(path);
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ex == NULL || !X509_add_ext(x, ex, -1))
        fail("cannot add an extension");
    X509_EXTENSION_free(ex);
}

static X509 *make_cert(const char *cn, long serial, long days, EVP_PKEY *key, X509 *issuer,
                       EVP_PKEY *issuer_key)
{
    X509 *x = X509_new();
    if (x == NULL)
        fail("X509_new");
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), -86400);
    X509_gmtime_adj(X509_getm_notAfter(x), days * 86400);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    if (issuer == NULL) {
        add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
        add_ext(x, x, NID_subject_key_identifier, "hash");
    } else {
        char san[300];
        snprintf(san, sizeof(san), "DNS:%s", cn);
        add_ext(x, issuer, NID_basic_constraints, "CA:FALSE");
        add_ext(x, issuer, NID_key_usage, "critical,digitalSignature");
        add_ext(x, issuer, NID_ext_key_usage, "serverAuth");
        add_ext(x, issuer, NID_subject_alt_name, san);
    }
    if (!X509_sign(x, issuer_key, EVP_sha256()))
        fail("X509_sign");
    return x;
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *patterns[MK_MAX_RANGES];
    long from[MK_MAX_RANGES], to[MK_MAX_RANGES];
    int np = 0, nr = 0, opt;

    while ((opt = getopt(argc, argv, "o:p:r:")) != -1) {
        switch (opt) {
        case 'o':
            dir = optarg;
            break;
        case 'p':
            if (np == MK_MAX_RANGES)
                fail("too many patterns");
            patterns[np++] = optarg;
            break;
        case 'r':
            if (nr == MK_MAX_RANGES || sscanf(optarg, "%ld:%ld", &from[nr], &to[nr]) != 2 ||
                from[nr] < 0 || to[nr] < from[nr])
                fail("bad range");
            nr++;
            break;
        default:
            fail("usage: mkcerts -o DIR -p PATTERN -r FROM:TO [-p PATTERN -r FROM:TO]...");
        }
    }
    if (dir == NULL || np == 0 || np != nr)
        fail("usage: mkcerts -o DIR -p PATTERN -r FROM:TO [-p PATTERN -r FROM:TO]...");
    for (int i = 0; i < np; i++) {
        const char *pc = strstr(patterns[i], "%d");
        if (pc == NULL || strchr(patterns[i], '%') != pc || strchr(pc + 2, '%') != NULL)
            fail("a pattern must hold exactly one %d");
    }

    char path[4096];
    snprintf(path, sizeof(path), "%s/certs", dir);
    if ((mkdir(dir, 0755) != 0 && errno != EEXIST) || (mkdir(path, 0755) != 0 && errno != EEXIST))
        fail("cannot create the output directory");

    EVP_PKEY *ca_key = EVP_EC_gen("P-256");
    EVP_PKEY *srv_key = EVP_EC_gen("P-256");
    if (ca_key == NULL || srv_key == NULL)
        fail("cannot make EC keys");
    X509 *ca = make_cert("mtastsd bench CA", 1, 3650, ca_key, NULL, ca_key);
    snprintf(path, sizeof(path), "%s/ca.pem", dir);
    write_pem_cert(path, ca);
    snprintf(path, sizeof(path), "%s/ca.key", dir);
    write_pem_key(path, ca_key);
    snprintf(path, sizeof(path), "%s/server.key", dir);
    write_pem_key(path, srv_key);

    long serial = 1000, made = 0;
    for (int i = 0; i < np; i++) {
        const char *pc = strstr(patterns[i], "%d");
        for (long n = from[i]; n <= to[i]; n++) {
            char host[300];
            snprintf(host, sizeof(host), "mta-sts.%.*s%ld%s", (int)(pc - patterns[i]), patterns[i],
                     n, pc + 2);
            X509 *x = make_cert(host, serial++, 30, srv_key, ca, ca_key);
            snprintf(path, sizeof(path), "%s/certs/%s.crt", dir, host);
            write_pem_cert(path, x);
            X509_free(x);
            made++;
        }
    }
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(srv_key);
    printf("mkcerts: CA and %ld server certificates in %s\n", made, dir);
    return 0;
}

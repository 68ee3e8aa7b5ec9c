/*
 * mxprobe - talk to one MX host the way a sending MTA does, for the
 * domain owner's check (mtastsd-ctl check; issue 16): connect to port
 * 25, read the greeting, EHLO, STARTTLS, a TLS handshake with SNI = the
 * MX host name, then QUIT.  The adapter for SMTP: sockets and libevent
 * here, replies through smtpreply (pure), TLS through tlsinfo (the one
 * file that includes OpenSSL for the check).  The daemon never uses it.
 *
 * mxprobe_start() tries the host's addresses in the order given (at most
 * MXPROBE_MAX_ADDRS), each with its own connect timeout, until one
 * accepts; the whole dialogue after that is bounded by timeout_ms.  The
 * result says what a sender would see:
 *   MXPROBE_TLS              STARTTLS offered and a TLS handshake done:
 *                            tls (version, certificate, the chain's
 *                            verdict against ca_file or the system store)
 *                            and chain (for DANE) say the rest;
 *   MXPROBE_NO_STARTTLS      EHLO did not offer STARTTLS;
 *   MXPROBE_STARTTLS_REFUSED STARTTLS was offered but not answered 220;
 *   MXPROBE_TLS_FAILED       the handshake failed or stalled;
 *   MXPROBE_PROTOCOL         the host's replies are not SMTP (smtpreply's
 *                            bounds), or it sent bytes after its answer
 *                            to STARTTLS (a plaintext injection: those
 *                            bytes would be read as if they came over TLS);
 *   MXPROBE_NOT_TESTED       nothing that says anything about the domain:
 *                            no address accepted a connection (refused,
 *                            unreachable, timed out: port 25 is often
 *                            blocked), the connection closed or stalled
 *                            before EHLO was answered, or the host refused
 *                            this client (a greeting or EHLO answer that is
 *                            not 2xx, e.g. a block list).
 * EHLO names the client by the address literal of its own socket
 * ("[192.0.2.1]"), which needs no DNS and which servers accept.  The
 * certificate is never refused here and its name never checked: the
 * caller decides with the facts (domain_cert_name_match(), dane_match()).
 *
 * Callbacks: the callback runs from the loop, never inside
 * mxprobe_start(), and once; the probe frees itself when it returns, so
 * the result and everything it points to are valid only during the
 * callback.  mxprobe_cancel() before the callback ends the probe without
 * one (a no-op from inside the callback).
 *
 * Limits: MXPROBE_MAX_ADDRS addresses, connect_ms each (default
 * MXPROBE_CONNECT_MS), timeout_ms for the dialogue (default
 * MXPROBE_TIMEOUT_MS), MXPROBE_QUIT_MS more for the QUIT (its answer never
 * changes the result); replies as smtpreply bounds them.
 * Diagnostics: log_debug() of each state change; results carry a
 * sanitised detail for the report; nothing else is logged.
 */
#ifndef MTASTSD_MXPROBE_H
#define MTASTSD_MXPROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "dane.h"
#include "tlsinfo.h"

struct event_base;
struct mxprobe;

#define MXPROBE_PORT       25
#define MXPROBE_MAX_ADDRS  4
#define MXPROBE_CONNECT_MS 10000 /* per address */
#define MXPROBE_TIMEOUT_MS 30000 /* greeting to the end of the handshake */
#define MXPROBE_QUIT_MS    2000
#define MXPROBE_TEXT_SZ    512

enum mxprobe_status {
    MXPROBE_TLS = 0,
    MXPROBE_NO_STARTTLS,
    MXPROBE_STARTTLS_REFUSED,
    MXPROBE_TLS_FAILED,
    MXPROBE_PROTOCOL,
    MXPROBE_NOT_TESTED,
};

struct mxprobe_params {
    struct event_base *base;
    const char *ca_file; /* NULL or "": the system store */
    int port;            /* 0: MXPROBE_PORT */
    long connect_ms;     /* 0: MXPROBE_CONNECT_MS */
    long timeout_ms;     /* 0: MXPROBE_TIMEOUT_MS */
};

struct mxprobe_result {
    enum mxprobe_status st;
    const char *host;
    const char *address;  /* the address that accepted; "" if none did */
    const char *detail;   /* why, for every status but MXPROBE_TLS; sanitised */
    const char *greeting; /* the greeting's first line; sanitised, "" if none */
    int greeting_code;    /* 0 if none */
    int ehlo_code;
    int starttls_code;
    bool starttls_offered;
    const struct tlsinfo *tls;     /* tls->valid only with MXPROBE_TLS */
    const struct dane_cert *chain; /* nchain certificates the host sent, leaf first */
    size_t nchain;
    long elapsed_ms; /* from the start to the end of the handshake (or the failure) */
};

typedef void (*mxprobe_cb)(void *arg, const struct mxprobe_result *res);

/* host: the MX host name (SNI, and in the result); addrs: text addresses
 * (IPv4 or IPv6), copied. */
struct mxprobe *mxprobe_start(const struct mxprobe_params *p, const char *host,
                              const char *const *addrs, size_t naddrs, mxprobe_cb cb, void *arg);
void mxprobe_cancel(struct mxprobe *m);

const char *mxprobe_status_name(enum mxprobe_status st);

#endif

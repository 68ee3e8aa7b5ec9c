/*
 * fake_https - src/https.h for the component tests: per policy host, the
 * test script says what a fetch answers (status, HTTP code, body) and
 * when (fake_later.h), and counts the fetches and the addresses given.
 *
 * The answer is taken from the script when it is delivered.  A host
 * without a script answers HTTPS_ERR_CONNECT ("no script").  The contract
 * of https.h holds: https_get() never returns NULL, never calls back from
 * inside itself or after https_cancel(); https_active() counts transfers
 * in flight; https_free() drops them without callbacks.
 */
#ifndef MTASTSD_FAKE_HTTPS_H
#define MTASTSD_FAKE_HTTPS_H

#include <stddef.h>

#include "fake_later.h"
#include "https.h"

/* host is "mta-sts.<domain>"; body may be NULL (empty). */
void fake_https_set(const char *host, enum https_status st, long code, const char *body,
                    struct fake_timing when);
/* Shorthand: 200, text/plain, this body, answered on the next loop turn. */
void fake_https_policy(const char *host, const char *body);
void fake_https_release(const char *host); /* held fetches of host: answer now */

unsigned fake_https_calls(const char *host);
unsigned fake_https_cancels(void);
/* The addresses of the last fetch of host, joined with ','; "" if none. */
const char *fake_https_last_addrs(const char *host);
void fake_https_reset(void);

#endif

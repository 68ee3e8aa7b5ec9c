/*
 * fake_dns - src/dns.h for the component tests: the test script says,
 * per name, what each lookup answers and when, and counts the lookups.
 *
 * Scripts are per (kind, name): fake_dns_txt() for dns_txt() of NAME
 * (as the caller asks it: "_mta-sts.example.com"), fake_dns_addr() for
 * dns_addr() of HOST.  A script holds the status, the records and the
 * timing (fake_later.h: now, after N loop turns, after N ms of fake
 * time, or held until fake_dns_release()).  The answer is taken from the
 * script when it is delivered, so a test may change a script while a
 * lookup waits.  A name without a script answers DNS_NODATA ("no
 * script") on the next loop turn.
 *
 * The contract of dns.h holds: every lookup returns a handle (never
 * NULL), answers exactly once from the event loop and never from inside
 * dns_txt()/dns_addr(), never after dns_cancel(); dns_free() drops
 * everything without callbacks.  DNSSEC-aware lookups (dns_query_sec()
 * and its wrappers) are not scripted yet: the DANE issue adds them here
 * the same way (a script per name and type).
 */
#ifndef MTASTSD_FAKE_DNS_H
#define MTASTSD_FAKE_DNS_H

#include <stddef.h>

#include "dns.h"
#include "fake_later.h"

enum fake_dns_kind {
    FAKE_DNS_TXT = 0,
    FAKE_DNS_ADDR,
    FAKE_DNS__KINDS,
};

#define FAKE_DNS_MAX_RECORDS 8

/* TXT answer: st and up to FAKE_DNS_MAX_RECORDS joined records
 * (NULL-terminated list); a record longer than DNS_MAX_TXT comes cut to
 * DNS_MAX_TXT + 1 bytes with oversize set, as dns.c does. */
void fake_dns_txt(const char *name, enum dns_status st, const char *const *records,
                  struct fake_timing when);
/* Shorthand: one record, DNS_OK. */
void fake_dns_txt1(const char *name, const char *record, struct fake_timing when);
/* Address answer: st and a NULL-terminated list of text addresses. */
void fake_dns_addr(const char *host, enum dns_status st, const char *const *addrs,
                   struct fake_timing when);
/* Answer every held lookup of (kind, name) on the next loop turn. */
void fake_dns_release(enum fake_dns_kind kind, const char *name);

unsigned fake_dns_calls(enum fake_dns_kind kind, const char *name); /* lookups asked */
unsigned fake_dns_calls_total(void);
unsigned fake_dns_cancels(void);   /* dns_cancel() of a lookup not yet answered */
size_t fake_dns_outstanding(void); /* lookups asked, not answered, not cancelled */
void fake_dns_reset(void);

#endif

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
 * everything without callbacks.
 *
 * DNSSEC-aware lookups (dns_query_sec(), dns_mx_sec(), dns_tlsa(),
 * dns_addr_sec(): the DANE seam) are scripted per name and type with
 * fake_dns_sec(): the test gives the struct dns_sec_result to answer (its
 * records are the test's, and must live as long as the script); name,
 * cname and detail are filled in.  dns_tlsa(host, port) asks for the name
 * "_PORT._tcp.HOST" and type DNSMSG_T_TLSA, dns_mx_sec(domain) for
 * (domain, DNSMSG_T_MX), dns_addr_sec(host) for (host, FAKE_DNS_T_ADDR).
 */
#ifndef MTASTSD_FAKE_DNS_H
#define MTASTSD_FAKE_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "fake_later.h"

enum fake_dns_kind {
    FAKE_DNS_TXT = 0,
    FAKE_DNS_ADDR,
    FAKE_DNS_SEC, /* with a type */
    FAKE_DNS__KINDS,
};

#define FAKE_DNS_T_ADDR 0xffff /* dns_addr_sec(): A and AAAA at once */

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
/* DNSSEC-aware answer for (name, type); r->st, nxdomain, ad, ttl, rrs, n,
 * oversize are used. */
void fake_dns_sec(const char *name, uint16_t type, const struct dns_sec_result *r,
                  struct fake_timing when);
unsigned fake_dns_sec_calls(const char *name, uint16_t type);

/* Answer every held lookup of (kind, name) on the next loop turn. */
void fake_dns_release(enum fake_dns_kind kind, const char *name);

unsigned fake_dns_calls(enum fake_dns_kind kind, const char *name); /* lookups asked */
unsigned fake_dns_calls_total(void);
unsigned fake_dns_cancels(void);   /* dns_cancel() of a lookup not yet answered */
size_t fake_dns_outstanding(void); /* lookups asked, not answered, not cancelled */
void fake_dns_reset(void);

#endif

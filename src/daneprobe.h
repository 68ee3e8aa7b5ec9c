/*
 * daneprobe - does the configured resolver validate DNSSEC?  DANE
 * precedence (dane = on, issue 12) trusts the AD bit of the resolver's
 * answers, which means nothing from a resolver that does not validate:
 * this module asks it, at start, on every reload and then periodically,
 * for dane_probe_name (default ".", the signed root zone) and looks at
 * the AD bit.
 *
 *   daneprobe_new()          starts the first probe at once
 *   daneprobe_reconfigure()  a new name or DNS timeout: probes again now
 *   daneprobe_ok()           true while the last probe saw AD (false
 *                            before the first answer: until then mtastsd
 *                            behaves as with dane = off)
 *   daneprobe_free()
 *
 * A probe succeeds when the answer for (name, SOA) -- records or a
 * validated denial -- has the AD bit; it fails on an answer without AD, a
 * failed lookup, or no answer within the deadline (3 tries of dns_timeout
 * plus 2 s, as c-ares makes them).  The next probe comes
 * DANEPROBE_INTERVAL seconds after a success, DANEPROBE_RETRY seconds
 * after a failure.  The change hook is called (from the event loop) each
 * time daneprobe_ok() changes, so that what was answered under the old
 * state is not reused (lookup.c's memo).
 *
 * Diagnostics: an error line when the resolver is found not to validate
 * (once per streak of failures; "mtastsd-ctl stats" counts each failed
 * probe as dane_probe_failures), an info line when it validates (first
 * time, and again after failures).  Time: clock.h timers.
 */
#ifndef MTASTSD_DANEPROBE_H
#define MTASTSD_DANEPROBE_H

#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct dns;
struct daneprobe;

#define DANEPROBE_INTERVAL 600 /* seconds between probes while the resolver validates */
#define DANEPROBE_RETRY    60  /* seconds between probes while it does not */

typedef void (*daneprobe_change_fn)(void *arg, bool ok);

struct daneprobe *daneprobe_new(struct event_base *base, struct dns *dns, const char *name,
                                int64_t dns_timeout, daneprobe_change_fn fn, void *arg);
void daneprobe_reconfigure(struct daneprobe *p, const char *name, int64_t dns_timeout);
bool daneprobe_ok(const struct daneprobe *p);
void daneprobe_free(struct daneprobe *p);

#endif

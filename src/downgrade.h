/*
 * downgrade - notices when a domain weakens the MTA-STS policy that is in
 * force for it (RFC 8461 section 10.2: usually its owner's doing,
 * sometimes an attack), so that operators hear about it.
 *
 * The pure comparisons (unit-tested by a table):
 *   downgrade_compare()  a fetched policy is about to replace the cached
 *                        entry's: STATS_DOWNGRADE_MODE if the cached one is
 *                        valid and in mode enforce and the new one is in
 *                        mode testing or none; STATS_DOWNGRADE_MX if both
 *                        are enforce and a pattern of the cached policy is
 *                        gone, or a new pattern accepts MX hosts that no
 *                        cached pattern did (a widening: "*.example.net"
 *                        replacing "mx1.example.net", or a new host).  A
 *                        pattern added that the cached ones cover
 *                        ("mx3.example.net" under "*.example.net") is not
 *                        a downgrade.  what gets a short description.
 *   downgrade_record_gone()  the TXT lookup found no valid _mta-sts record
 *                        (VTXT_NONE: none, or not exactly one valid one)
 *                        while a valid enforce policy is cached.
 * Only a policy in force counts: an expired cached policy is not in
 * force, so replacing it weakens nothing.
 *
 * The hooks (one line each in fetch.c) log a warning naming the domain
 * and what changed, and count stats.downgrades[kind]:
 *   downgrade_check_policy()  before a fetched policy replaces the
 *                             cached one (a new id or a refresh);
 *   downgrade_check_txt()     after each TXT answer; reported once per
 *                             cached policy (its fetch time), remembered
 *                             in a small direct-mapped table
 *                             (DOWNGRADE_SEEN_SLOTS), so the rechecks
 *                             every recheck_interval do not repeat it;
 *                             a domain pushed out of the table, or a
 *                             restart, reports it once more.
 */
#ifndef MTASTSD_DOWNGRADE_H
#define MTASTSD_DOWNGRADE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "entry.h"
#include "stats.h"
#include "verdict.h"

#define DOWNGRADE_SEEN_SLOTS 256 /* power of two */
#define DOWNGRADE_WHAT_MAX   512 /* descriptions are cut to this */

bool downgrade_compare(const struct entry *old, const struct sts_policy *newp, int64_t now,
                       enum stats_downgrade *kind, char *what, size_t whatsz);
bool downgrade_record_gone(const struct entry *old, enum verdict_txt txt, int64_t now);

/* who: "fetch" or "refresh", named in the log line, which starts
 * "downgrade DOMAIN (KIND): " (not "fetch DOMAIN: ", whose next word is
 * the outcome class). */
void downgrade_check_policy(const char *who, const char *domain, const struct entry *old,
                            const struct sts_policy *newp, const char *new_id, int64_t now);
void downgrade_check_txt(const char *who, const char *domain, const struct entry *old,
                         enum verdict_txt txt, const char *why, int64_t now);

#endif

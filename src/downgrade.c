/*
 * downgrade - policy downgrades: detection, warning, count (see
 * downgrade.h).
 *
 * Public functions: downgrade_compare(), downgrade_record_gone(),
 * downgrade_check_policy(), downgrade_check_txt().
 *
 * Patterns are compared in their Postfix form (sts_policy.match:
 * lowercase A-labels, ".example.net" for "*.example.net"), which
 * sts_policy_parse() has normalised, and shown in the policy's form.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "domain.h"
#include "downgrade.h"
#include "log.h"
#include "sts_policy.h"

#define DOWNGRADE_LIST_MAX 4 /* patterns named per list in a description */

/* Does pattern p (Postfix form) appear in policy q? */
static bool downgrade_has(const struct sts_policy *q, const char *p)
{
    for (size_t i = 0; i < q->n_mx; i++)
        if (strcmp(q->match[i], p) == 0)
            return true;
    return false;
}

/* Do the patterns of q accept every host p accepts?  A wildcard
 * ".example.net" accepts exactly one more label (RFC 8461 section 4.1). */
static bool downgrade_covered(const struct sts_policy *q, const char *p)
{
    if (downgrade_has(q, p))
        return true;
    if (p[0] == '.')
        return false; /* a wildcard is covered only by the same wildcard */
    const char *dot = strchr(p, '.');
    return dot != NULL && dot != p && downgrade_has(q, dot);
}

/* Append "label: a, b and N more" for the patterns of `from` that pick(). */
static void downgrade_list(char *what, size_t whatsz, const char *label,
                           const struct sts_policy *from, const struct sts_policy *other,
                           bool (*pick)(const struct sts_policy *, const char *))
{
    size_t n = 0, named = 0, len = strlen(what);
    for (size_t i = 0; i < from->n_mx; i++) {
        if (!pick(other, from->match[i]))
            continue;
        n++;
        if (named == DOWNGRADE_LIST_MAX)
            continue;
        len += (size_t)snprintf(what + len, len < whatsz ? whatsz - len : 0, "%s%s%s",
                                named == 0 ? (len > 0 ? "; " : "") : ", ", named == 0 ? label : "",
                                from->mx[i]);
        named++;
    }
    if (n > named && len < whatsz)
        snprintf(what + len, whatsz - len, " and %zu more", n - named);
}

static bool downgrade_pick_gone(const struct sts_policy *newp, const char *p)
{
    return !downgrade_has(newp, p);
}

static bool downgrade_pick_wider(const struct sts_policy *oldp, const char *p)
{
    return !downgrade_covered(oldp, p);
}

bool downgrade_compare(const struct entry *old, const struct sts_policy *newp, int64_t now,
                       enum stats_downgrade *kind, char *what, size_t whatsz)
{
    if (whatsz > 0)
        what[0] = '\0';
    if (old == NULL || newp == NULL || !verdict_policy_valid(old, now) ||
        old->policy->mode != STS_MODE_ENFORCE)
        return false;
    const struct sts_policy *oldp = old->policy;
    if (newp->mode != STS_MODE_ENFORCE) {
        *kind = STATS_DOWNGRADE_MODE;
        snprintf(what, whatsz, "mode enforce -> %s", sts_mode_name(newp->mode));
        return true;
    }
    bool gone = false, wider = false;
    for (size_t i = 0; i < oldp->n_mx; i++)
        gone = gone || !downgrade_has(newp, oldp->match[i]);
    for (size_t i = 0; i < newp->n_mx; i++)
        wider = wider || !downgrade_covered(oldp, newp->match[i]);
    if (!gone && !wider)
        return false;
    *kind = STATS_DOWNGRADE_MX;
    if (gone)
        downgrade_list(what, whatsz, "mx patterns removed: ", oldp, newp, downgrade_pick_gone);
    if (wider)
        downgrade_list(what, whatsz, "mx patterns widened: ", newp, oldp, downgrade_pick_wider);
    return true;
}

bool downgrade_record_gone(const struct entry *old, enum verdict_txt txt, int64_t now)
{
    return txt == VTXT_NONE && old != NULL && verdict_policy_valid(old, now) &&
           old->policy->mode == STS_MODE_ENFORCE;
}

void downgrade_check_policy(const char *who, const char *domain, const struct entry *old,
                            const struct sts_policy *newp, const char *new_id, int64_t now)
{
    enum stats_downgrade kind;
    char what[DOWNGRADE_WHAT_MAX];
    if (!downgrade_compare(old, newp, now, &kind, what, sizeof(what)))
        return;
    stats.downgrades[kind]++;
    log_warning("downgrade %s (%s): %s (%s, id %s -> %s); the new policy replaces the enforced "
                "one",
                domain, stats_downgrade_name(kind), what, who, old->id,
                new_id != NULL && new_id[0] != '\0' ? new_id : old->id);
}

/* Domains whose record_gone was reported, with the fetch time of the
 * policy then in force. */
static struct {
    int64_t fetched_at;
    char domain[DOMAIN_BUFSZ];
} downgrade_seen[DOWNGRADE_SEEN_SLOTS];

/* True the first time (domain, fetched_at) is reported. */
static bool downgrade_seen_first(const char *domain, int64_t fetched_at)
{
    uint32_t h = 2166136261u;
    for (const char *s = domain; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    size_t i = h & (DOWNGRADE_SEEN_SLOTS - 1);
    if (downgrade_seen[i].fetched_at == fetched_at && strcmp(downgrade_seen[i].domain, domain) == 0)
        return false;
    downgrade_seen[i].fetched_at = fetched_at;
    snprintf(downgrade_seen[i].domain, sizeof(downgrade_seen[i].domain), "%s", domain);
    return true;
}

void downgrade_check_txt(const char *who, const char *domain, const struct entry *old,
                         enum verdict_txt txt, const char *why, int64_t now)
{
    if (!downgrade_record_gone(old, txt, now) || !downgrade_seen_first(domain, old->fetched_at))
        return;
    stats.downgrades[STATS_DOWNGRADE_RECORD_GONE]++;
    log_warning(
        "downgrade %s (record_gone): %s while the enforce policy id=%s is in force (%s); "
        "the cached policy stays in force (it expires at %" PRId64 " unless a refresh renews it)",
        domain, why != NULL ? why : "no valid _mta-sts record", old->id, who, old->expires_at);
}

/*
 * stats - the process-wide counters (see stats.h).
 */
#include "autoconfig.h"

#include "stats.h"

struct stats stats;

const char *stats_verdict_name(enum stats_verdict v)
{
    switch (v) {
    case STATS_VERDICT_SECURE:
        return "secure";
    case STATS_VERDICT_NOTFOUND:
        return "notfound";
    case STATS_VERDICT_TEMP:
        return "temp";
    case STATS_VERDICT_PERM:
        return "perm";
    case STATS_VERDICT_DANE_ONLY:
        return "dane_only";
    default:
        return "unknown";
    }
}

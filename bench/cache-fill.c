/*
 * cache-fill - write many entries straight into an mtastsd LMDB cache, for
 * the benchmark's "1,000,000 cached domains" scenarios (bench/README).
 *
 *     cache-fill -d STATE_DIR -p PATTERN -r FROM:TO [-t positive|negative]
 *                [-M MAX_BYTES]
 *
 * For every N in FROM..TO the domain is PATTERN with its one "%d" replaced
 * by N (e.g. "d%d.bench.test").  Entries go through the daemon's own code:
 * cache_open() and cache_put() (src/cache.c) with records that
 * entry_encode() writes, so the daemon reads them exactly as it reads what
 * it fetched itself.
 *
 *   positive: the policy "version: STSv1 / mode: enforce / mx: mx.<domain>
 *             / max_age: 31557600" parsed by sts_policy_parse(), id
 *             "bench1", fetched and checked now, valid for a year, the
 *             proactive refresh due in half a year (so neither the refresh
 *             sweep nor a revalidation fires during the benchmark, as long
 *             as it runs within recheck_interval of the fill);
 *   negative: no policy, "no policy published" known for 30 days.
 *
 * The daemon must not be running on STATE_DIR.  Each cache_put() is one
 * LMDB write transaction with its data sync, so put STATE_DIR on tmpfs
 * for speed (bench/run does).  Exit status 0 on success, 1 on the first
 * failed put (the cache logs why), 2 on usage errors.
 */
#include "autoconfig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "entry.h"
#include "log.h"
#include "sts_policy.h"

static void usage(void)
{
    fprintf(stderr, "usage: cache-fill -d STATE_DIR -p PATTERN -r FROM:TO "
                    "[-t positive|negative] [-M MAX_BYTES]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *pattern = NULL;
    long from = -1, to = -1;
    int negative = 0, opt;
    uint64_t max_size = (uint64_t)8 << 30;

    while ((opt = getopt(argc, argv, "d:p:r:t:M:")) != -1) {
        switch (opt) {
        case 'd':
            dir = optarg;
            break;
        case 'p':
            pattern = optarg;
            break;
        case 'r':
            if (sscanf(optarg, "%ld:%ld", &from, &to) != 2)
                usage();
            break;
        case 't':
            if (strcmp(optarg, "negative") == 0)
                negative = 1;
            else if (strcmp(optarg, "positive") != 0)
                usage();
            break;
        case 'M':
            max_size = strtoull(optarg, NULL, 10);
            break;
        default:
            usage();
        }
    }
    const char *pc = pattern ? strstr(pattern, "%d") : NULL;
    if (dir == NULL || pc == NULL || strchr(pattern, '%') != pc || strchr(pc + 2, '%') != NULL ||
        from < 0 || to < from)
        usage();

    log_open("cache-fill", true);
    log_set_level(LOG_LEVEL_WARNING);
    char err[512];
    struct cache *c = cache_open(dir, max_size, err, sizeof(err));
    if (c == NULL) {
        fprintf(stderr, "cache-fill: %s\n", err);
        return 1;
    }

    int64_t now = time(NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long i = from; i <= to; i++) {
        char domain[DOMAIN_BUFSZ], body[512];
        snprintf(domain, sizeof(domain), "%.*s%ld%s", (int)(pc - pattern), pattern, i, pc + 2);
        struct entry e;
        entry_init(&e);
        e.checked_at = now;
        if (negative) {
            e.negative_until = now + 30 * 86400;
        } else {
            struct sts_policy *p;
            int n = snprintf(body, sizeof(body),
                             "version: STSv1\nmode: enforce\nmx: mx.%s\nmax_age: %u\n", domain,
                             STS_MAX_AGE_MAX);
            if (sts_policy_parse(body, (size_t)n, &p, err, sizeof(err)) != STS_POLICY_OK) {
                fprintf(stderr, "cache-fill: %s: %s\n", domain, err);
                return 1;
            }
            entry_set_policy(&e, p);
            snprintf(e.id, sizeof(e.id), "bench1");
            e.fetched_at = now;
            e.expires_at = now + STS_MAX_AGE_MAX;
            e.refresh_at = now + STS_MAX_AGE_MAX / 2;
        }
        if (cache_put(c, domain, &e) != CACHE_OK) {
            fprintf(stderr, "cache-fill: cannot store %s\n", domain);
            entry_clear(&e);
            cache_close(c);
            return 1;
        }
        entry_clear(&e);
        if ((i - from + 1) % 100000 == 0)
            fprintf(stderr, "cache-fill: %ld entries\n", i - from + 1);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    struct cache_stat st;
    cache_stat(c, &st);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("cache-fill: %ld %s entries in %.1f s; cache holds %" PRIu64 " entries, %" PRIu64
           " KiB used\n",
           to - from + 1, negative ? "negative" : "positive", secs, st.entries,
           st.used_bytes >> 10);
    cache_close(c);
    return 0;
}

/*
 * lmdbget - what one cache read costs, without sockets: the part of a
 * cached hit that depends on the number of cached domains (bench/README,
 * "What bounds the figures").
 *
 *     lmdbget -d STATE_DIR -p PATTERN -r FROM:TO [-n LOOKUPS] [-m raw|cache]
 *
 * Keys are PATTERN with its one "%d" replaced by a random N in FROM..TO,
 * drawn before the clock starts.  Mode "raw" times LMDB alone, the way
 * cache_get() uses it: mdb_txn_renew(), mdb_get(), mdb_txn_reset() on one
 * read-only handle.  Mode "cache" times the daemon's own cache_get()
 * (src/cache.c): the same plus entry_decode() and the re-validation of
 * the policy.  One untimed pass over the keys comes first, so the map is
 * in the page cache and mapped.  Prints one line: mode, keys, lookups,
 * ns per lookup, and how many keys were found.
 *
 * Built twice: bench/lmdbget, and bench/lmdbget-unchecked with cache.c's
 * size check before each transaction compiled out (CACHE_BENCH_UNCHECKED),
 * so that bench/run can time mode "cache" with and without it in one run.
 *
 * Read-only: the daemon may not run on STATE_DIR (cache_open() takes the
 * writer's view, and refuses while mtastsd holds state_dir/mtastsd.lock).
 * Exit status 0, 1 on an LMDB or cache error, 2 on usage.
 */
#include "autoconfig.h"

#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "entry.h"
#include "log.h"

#define KEY_MAX 64

static void usage(void)
{
    fprintf(stderr, "usage: lmdbget -d STATE_DIR -p PATTERN -r FROM:TO [-n LOOKUPS] "
                    "[-m raw|cache]\n");
    exit(2);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* xorshift64*: cheap and good enough to spread keys. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * UINT64_C(2685821657736338717);
}

static int run_raw(const char *dir, char (*keys)[KEY_MAX], long n, size_t *found, double *ns)
{
    char path[4096];
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    int rc;

    snprintf(path, sizeof(path), "%s/cache.mdb", dir);
    if ((rc = mdb_env_create(&env)) != 0 ||
        (rc = mdb_env_open(env, path, MDB_NOSUBDIR | MDB_RDONLY | MDB_NOTLS, 0600)) != 0 ||
        (rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0 ||
        (rc = mdb_dbi_open(txn, NULL, 0, &dbi)) != 0) {
        fprintf(stderr, "lmdbget: %s: %s\n", path, mdb_strerror(rc));
        return 1;
    }
    mdb_txn_reset(txn);
    for (int pass = 0; pass < 2; pass++) {
        size_t hits = 0;
        double t0 = now_ns();
        for (long i = 0; i < n; i++) {
            MDB_val k = {.mv_size = strlen(keys[i]), .mv_data = keys[i]}, v;
            if (mdb_txn_renew(txn) != 0)
                return 1;
            if (mdb_get(txn, dbi, &k, &v) == 0 && v.mv_size > 0)
                hits++;
            mdb_txn_reset(txn);
        }
        *ns = (now_ns() - t0) / (double)n;
        *found = hits;
    }
    mdb_txn_abort(txn);
    mdb_env_close(env);
    return 0;
}

static int run_cache(const char *dir, char (*keys)[KEY_MAX], long n, size_t *found, double *ns)
{
    char err[512];
    struct cache *c = cache_open(dir, (uint64_t)8 << 30, err, sizeof(err));
    if (c == NULL) {
        fprintf(stderr, "lmdbget: %s\n", err);
        return 1;
    }
    for (int pass = 0; pass < 2; pass++) {
        size_t hits = 0;
        double t0 = now_ns();
        for (long i = 0; i < n; i++) {
            struct entry e;
            entry_init(&e);
            enum cache_status cs = cache_get(c, keys[i], &e);
            if (cs == CACHE_ERROR)
                return 1;
            if (cs == CACHE_OK)
                hits++;
            entry_clear(&e);
        }
        *ns = (now_ns() - t0) / (double)n;
        *found = hits;
    }
    cache_close(c);
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *pattern = NULL, *mode = "raw";
    long from = -1, to = -1, n = 1000000;
    int opt;

    while ((opt = getopt(argc, argv, "d:p:r:n:m:")) != -1) {
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
        case 'n':
            n = atol(optarg);
            break;
        case 'm':
            mode = optarg;
            break;
        default:
            usage();
        }
    }
    if (dir == NULL || pattern == NULL || from < 0 || to < from || n <= 0 || n > 100000000)
        usage();
    if (strcmp(mode, "raw") != 0 && strcmp(mode, "cache") != 0)
        usage();
    const char *pct = strstr(pattern, "%d");
    if (pct == NULL || strchr(pct + 2, '%') != NULL || strchr(pattern, '%') != pct)
        usage();

    log_open("lmdbget", true);
    log_set_level(LOG_LEVEL_WARNING);
    char(*keys)[KEY_MAX] = malloc((size_t)n * KEY_MAX);
    if (keys == NULL)
        return 1;
    uint64_t s = UINT64_C(0x9e3779b97f4a7c15);
    uint64_t span = (uint64_t)(to - from) + 1;
    for (long i = 0; i < n; i++) {
        long k = from + (long)(rng_next(&s) % span);
        int w = snprintf(keys[i], KEY_MAX, "%.*s%ld%s", (int)(pct - pattern), pattern, k, pct + 2);
        if (w < 0 || w >= KEY_MAX)
            usage();
    }

    size_t found = 0;
    double ns = 0;
    int rc = strcmp(mode, "raw") == 0 ? run_raw(dir, keys, n, &found, &ns)
                                      : run_cache(dir, keys, n, &found, &ns);
    if (rc == 0)
        printf("mode=%s keys=%ld lookups=%ld ns_per_lookup=%.0f found=%zu\n", mode, to - from + 1,
               n, ns, found);
    free(keys);
    return rc;
}

/*
 * cache - the persistent policy cache in LMDB.  The only file that
 * includes <lmdb.h>.
 *
 * One environment, opened once (after any fork), in state_dir/cache.mdb
 * (MDB_NOSUBDIR), with one unnamed database: key = policy domain,
 * value = entry_encode() record.  Short transactions only: no transaction
 * or cursor outlives a call.  Self-healing as STYLE practice 8 says:
 * mdb_reader_check() at open; MDB_MAP_FULL -> grow the map (up to
 * max_size) and retry, or when at max_size evict expired entries first;
 * MDB_MAP_RESIZED -> adopt the new size and retry.  A record that does not
 * decode is treated as absent and logged; the next put for that domain
 * replaces it and cache_evict_expired() removes it.
 *
 * cache_scan() reads up to `max` entries whose keys sort after `after`
 * ("" = from the start) inside one read transaction, ends the
 * transaction, and only then calls cb for each of them (so cb may write
 * to the cache).  *next receives the last key seen; *done is set when
 * the end was reached.
 *
 * Errors return CACHE_ERROR with a logged reason (file, LMDB message).
 *
 * Ownership of state_dir: cache_open() takes an flock() on
 * state_dir/mtastsd.lock (it holds the owner's pid) and keeps it until
 * cache_close(), so a second mtastsd on the same state_dir is refused
 * with a message naming the first one's pid.
 *
 * Damage: before any transaction reads the map, the sizes of cache.mdb
 * and cache.mdb-lock are compared with what LMDB's meta page says the
 * file holds and with what LMDB mapped of the lock file (at open, and
 * before every transaction; a read past the end of a mapped file would
 * be a SIGBUS).  A data file that is too short, or one LMDB reports as
 * corrupted (MDB_CORRUPTED, MDB_PAGE_NOTFOUND), is moved aside to
 * cache.mdb.damaged-<UTC time> and replaced by an empty cache, with one
 * error logged that names both files; the call then works on the empty
 * cache (a get finds nothing).  A cut lock file is recreated and the
 * data kept.  If the file cannot be moved aside, calls return
 * CACHE_ERROR and the replacement is tried again every 60 s.
 *
 * Limits: keys are 1-DOMAIN_MAX printable bytes (others: NOTFOUND on
 * get/del, CACHE_ERROR on put); encoded records are at most
 * CACHE_VALUE_MAX bytes; max_size below 1 MiB is raised to 1 MiB; one
 * cache_scan() call returns at most CACHE_SCAN_MAX entries; one
 * cache_put_many() call stores at most CACHE_PUT_MANY_MAX records (its
 * records are encoded into one buffer, so the caller bounds the batch).
 */
#ifndef MTASTSD_CACHE_H
#define MTASTSD_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "entry.h"

struct cache;

#define CACHE_VALUE_MAX    (1024 * 1024) /* largest encoded entry stored */
#define CACHE_SCAN_MAX     4096          /* cache_scan() batch cap */
#define CACHE_PUT_MANY_MAX 4096          /* cache_put_many() batch cap */

enum cache_status {
    CACHE_OK = 0,
    CACHE_NOTFOUND,
    CACHE_ERROR,
};

struct cache *cache_open(const char *state_dir, uint64_t max_size, char *err, size_t errsz);
void cache_close(struct cache *c);

/* On CACHE_OK *out holds the entry (caller calls entry_clear());
 * otherwise *out is left empty (entry_init()). */
enum cache_status cache_get(struct cache *c, const char *domain, struct entry *out);
enum cache_status cache_put(struct cache *c, const char *domain, const struct entry *e);
/*
 * Store n records (domains[i] -> entries[i]) in ONE write transaction: one
 * sync for the lot instead of one per record.  All or nothing: CACHE_OK
 * when every record is stored; otherwise CACHE_ERROR (logged) and nothing
 * of the batch is stored -- an invalid key, an entry that does not
 * encode, more than CACHE_PUT_MANY_MAX records, a map still full after
 * growth and eviction, or an LMDB failure.  A domain given twice: the
 * later record wins, as with two cache_put() calls.  The change hook is
 * called for every domain of the batch before the write.  n = 0 stores
 * nothing and returns CACHE_OK.  The map grows (or is evicted) and the
 * whole batch is retried as cache_put() does for one record.
 */
enum cache_status cache_put_many(struct cache *c, const char *const *domains,
                                 const struct entry *const *entries, size_t n);
enum cache_status cache_del(struct cache *c, const char *domain);
/* Delete everything (flush --all); *n gets the count removed. */
enum cache_status cache_clear(struct cache *c, size_t *n);

/*
 * Return false from the callback to stop early; *next is then the domain
 * of the entry that stopped the scan (resume after it), and *done is set
 * only if it was also the last entry.  cb may take e->policy (set it to
 * NULL); whatever is left in *e is cleared after cb returns.  Records that
 * do not decode are skipped (logged).
 */
typedef bool (*cache_scan_cb)(void *arg, const char *domain, struct entry *e);
enum cache_status cache_scan(struct cache *c, const char *after, size_t max, cache_scan_cb cb,
                             void *arg, char next[DOMAIN_BUFSZ], bool *done);

/*
 * Delete records that hold nothing valid at `now` (no policy or an expired
 * one, and negative_until <= now) and records that do not decode or have
 * keys that are not domains.  At most `max` deletions (0: no limit), in
 * short transactions.  *n (if not NULL) gets the number deleted.  Called
 * by cache_put() and cache_put_many() when the map is full at max_size;
 * may also be used as a cleanup sweep.
 */
enum cache_status cache_evict_expired(struct cache *c, int64_t now, size_t max, size_t *n);

/*
 * The census: how many records hold what, for the metrics gauges, kept
 * without ever scanning the cache for a question.  Every write
 * transaction adjusts it by what it replaced or deleted (the old record
 * read in the same transaction) and what it stored; cache_clear() and a
 * damaged file replaced by an empty one set it to zero.  What the file
 * held when it was opened is counted by cache_census_step(), which the
 * caller runs in slices from the event loop until it says the census is
 * complete (a write to a record the walk has not reached yet is left to
 * the walk).  Time-independent classes, so that no count can go stale:
 *   policies[mode]  records holding a policy of that mode (enum sts_mode),
 *                   expired ones included, unless "no record" was seen
 *                   since (those are negative);
 *   negative        records of a "no policy published" answer
 *                   (negative_until set), stale ones included;
 *   failing         entry_refresh_failing() records.
 * Records that do not decode are not counted.
 */
struct cache_census {
    uint64_t policies[3]; /* by enum sts_mode: none, testing, enforce */
    uint64_t negative;
    uint64_t failing;
    bool complete; /* every record of the file is counted */
};
void cache_census(const struct cache *c, struct cache_census *out);
/* Count up to max more records (at most CACHE_SCAN_MAX, one read
 * transaction); true once the census is complete. */
bool cache_census_step(struct cache *c, size_t max);

struct cache_stat {
    uint64_t entries;
    uint64_t map_size;   /* current map size (bytes) */
    uint64_t used_bytes; /* pages in use, free-list pages included */
    uint64_t max_size;   /* the map never grows past this */
};
enum cache_status cache_stat(struct cache *c, struct cache_stat *out);

/* Number of records (0 on error, which is logged). */
/*
 * A hook called before every write: with the domain for cache_put() and
 * cache_del(), once with each domain of a cache_put_many() batch, with
 * NULL for writes that may touch any domain (cache_clear(), eviction).
 * For in-memory memos of what the cache says (lookup.c); NULL removes it.
 * The hook runs inside the writing call: it must not call the cache.
 */
typedef void (*cache_change_fn)(void *arg, const char *domain);
void cache_set_change_hook(struct cache *c, cache_change_fn fn, void *arg);

size_t cache_count(struct cache *c);
/* Current map size in bytes (for stats). */
uint64_t cache_map_size(struct cache *c);

#endif

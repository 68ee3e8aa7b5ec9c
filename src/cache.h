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
 * decode is treated as absent, logged, and deleted on the next write.
 *
 * cache_scan() reads up to `max` entries whose keys sort after `after`
 * ("" = from the start) inside one read transaction, ends the
 * transaction, and only then calls cb for each of them (so cb may write
 * to the cache).  *next receives the last key seen; *done is set when
 * the end was reached.
 *
 * Errors return CACHE_ERROR with a logged reason (file, LMDB message).
 */
#ifndef MTASTSD_CACHE_H
#define MTASTSD_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "entry.h"

struct cache;

enum cache_status {
    CACHE_OK = 0,
    CACHE_NOTFOUND,
    CACHE_ERROR,
};

struct cache *cache_open(const char *state_dir, uint64_t max_size, char *err, size_t errsz);
void cache_close(struct cache *c);

/* On CACHE_OK *out holds the entry (caller calls entry_clear()). */
enum cache_status cache_get(struct cache *c, const char *domain, struct entry *out);
enum cache_status cache_put(struct cache *c, const char *domain, const struct entry *e);
enum cache_status cache_del(struct cache *c, const char *domain);
/* Delete everything (flush --all); *n gets the count removed. */
enum cache_status cache_clear(struct cache *c, size_t *n);

/* Return false from the callback to stop early. */
typedef bool (*cache_scan_cb)(void *arg, const char *domain, struct entry *e);
enum cache_status cache_scan(struct cache *c, const char *after, size_t max, cache_scan_cb cb,
                             void *arg, char next[DOMAIN_BUFSZ], bool *done);

size_t cache_count(struct cache *c);
/* Current map size in bytes (for stats). */
uint64_t cache_map_size(struct cache *c);

#endif

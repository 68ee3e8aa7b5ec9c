/*
 * cache - the persistent policy cache in LMDB (see cache.h).  The only
 * file that includes <lmdb.h>.
 *
 * Public functions: cache_open(), cache_close(), cache_get(), cache_put(),
 * cache_put_many(), cache_del(), cache_clear(), cache_scan(),
 * cache_evict_expired(), cache_count(), cache_map_size(), cache_stat(),
 * cache_set_change_hook(), cache_census(), cache_census_step().
 *
 * Layout: one environment, state_dir/cache.mdb plus cache.mdb-lock
 * (MDB_NOSUBDIR, mode 0600), one unnamed database, key = policy domain
 * (1-253 printable bytes), value = entry_encode() record (at most
 * CACHE_VALUE_MAX bytes).
 *
 * Transactions: every call begins and ends its own transaction; none
 * outlives a call, so the map can be resized between calls and the event
 * loop never holds a snapshot across a callback.  cache_scan() copies what
 * it read and ends its transaction before it calls back.  cache_get() (the
 * hot path) reuses one read-only transaction handle: mdb_txn_renew() at
 * the start of the call, mdb_txn_reset() before it returns, so the handle
 * keeps its reader slot between calls but never a snapshot (a reset
 * transaction pins no pages and does not stop the map from being
 * resized).  If a renew fails, the handle is dropped and the call falls
 * back to a fresh transaction with the usual recovery.  The slot is kept
 * only when the file's reader table has at least CACHE_KEEP_READERS_MIN
 * slots (another program may have created it smaller), so that a tool
 * reading the file is never starved by an idle mtastsd.
 *
 * One owner: cache_open() flock()s state_dir/mtastsd.lock (O_CLOEXEC,
 * the pid written in it) before it touches cache.mdb; a second mtastsd on
 * the same state_dir gets an error naming the first one's pid.  An flock()
 * belongs to the open file, not to the process, so it survives LMDB's own
 * fcntl() locking and is inherited (not duplicated) by a fork.
 *
 * Damage (cut files).  LMDB maps cache.mdb and cache.mdb-lock; touching a
 * page past the end of either is a SIGBUS, and LMDB reads its meta pages
 * (and writes its reader slot) through the maps at every transaction.  So:
 *   - at open, after mdb_env_open() (which reads both meta pages with
 *     pread() and refuses a file without them): the file must hold
 *     (me_last_pgno + 1) pages, as the meta page says; an MDB_INVALID file
 *     whose page 0 carries LMDB's magic but that is shorter than two pages
 *     was cut before its second meta page;
 *   - before every transaction (cache_intact(), the first thing
 *     cache_txn_begin() and cache_get() do, before mdb_txn_begin/renew read the
 *     meta page): lseek(SEEK_END) on our own descriptors of both files;
 *     cache.mdb must hold data_need bytes (what the meta page said after
 *     our last commit; it never shrinks) and cache.mdb-lock what LMDB
 *     mapped of it at open;
 *   - after each commit of ours, data_need is read again from the meta page
 *     (cache_committed()).  LMDB does not write a page that a transaction
 *     allocated and freed again; when that is the last page the file ends
 *     short of what the meta page counts, so the file is extended over it
 *     (zeros in a free page), and "shorter than the meta page says" always
 *     means damage.
 * A cut data file, or one LMDB reports as MDB_CORRUPTED/MDB_PAGE_NOTFOUND
 * (those calls retry once), is moved aside to cache.mdb.damaged-<UTC
 * time> (kept for the operator), LMDB's lock file, which belongs to it,
 * is removed, and an empty cache is opened; one error names both files.
 * A cut lock file is first extended back (mdb_env_close() clears our
 * reader slots in it), then recreated; the data are kept.  When the file
 * cannot be moved aside (read-only directory, ...) the handle has no
 * environment: calls return CACHE_ERROR, and every CACHE_REVIVE_SECONDS
 * one of them tries again.  Not detected: a file cut while a transaction
 * is already reading it (the check and the read are not atomic; never a
 * SIGBUS handler: it would leave LMDB's locks held), a file cut and
 * written again by a commit in the same moment, and bytes changed inside
 * pages that LMDB does not itself reject -- LMDB trusts its pages.
 *
 * Self-healing (STYLE practice 8):
 *   - open: mdb_reader_check() clears reader slots of dead processes;
 *   - MDB_MAP_RESIZED (another process grew the map): adopt the size
 *     recorded in the file (mdb_env_set_mapsize(env, 0)) and retry;
 *   - MDB_READERS_FULL: clear stale readers and retry once;
 *   - MDB_PANIC (a meta page write failed: LMDB set MDB_FATAL_ERROR on the
 *     environment and refuses every transaction begin or renew from then
 *     on): close the environment and open it again, keeping the data
 *     (cache_reopen; one error line); the begin is retried once.  The
 *     open-time checks still move a damaged file aside; if the open fails,
 *     the cache is unusable as above.  At most one reopen per
 *     CACHE_PANIC_SECONDS: a second panic within it (a disk that keeps
 *     failing) makes the cache unusable until cache_revive();
 *   - MDB_MAP_FULL: abort, double the map (mdb_env_set_mapsize with no
 *     transaction open) and retry.  Puts may grow the map only to the
 *     "put cap", max_size minus a small reserve; deletions may use the
 *     reserve, because in a completely full LMDB map even a delete needs
 *     fresh pages (copy-on-write).  A put that is full at the put cap
 *     opens the reserve, evicts records that hold nothing valid any more
 *     (cache_evict_expired()), commits one more write that changes
 *     nothing, so that LMDB may hand out the pages freed by the eviction
 *     or by an earlier deletion (it reuses pages freed by transaction T
 *     only after T + 1, and aborted puts never advance the id), shrinks
 *     the map back and retries once;
 *     still full -> CACHE_ERROR with a log line that says what to do.
 *
 * Durability: MDB_NOMETASYNC.  Each commit is written with one fdatasync
 * of the data pages; the meta page is flushed by the next commit or at
 * cache_close().  A kill -9 loses nothing that was committed (the kernel
 * holds the pages); a power loss may undo the last commit but never
 * breaks the file.  Puts happen at fetch rate, and every sync blocks the
 * event loop, so halving the syncs matters more than the last policy.
 * Bulk writers (mtastsd-ctl load) use cache_put_many(): a whole batch is
 * one transaction, so one commit and one sync, all or nothing.  The
 * batch is encoded up front into one buffer; a write step that meets
 * MDB_MAP_FULL is aborted whole and run again after the map grew (or
 * after cache_make_room()), so a batch is never half stored.
 *
 * Ownership: the handle owns the environment; cache_get() hands the caller
 * a decoded entry (caller calls entry_clear()).  The handle belongs to the
 * process that opened it: after fork() the child gets CACHE_ERROR (and
 * cache_close() in the child only frees memory).  The check costs no
 * system call: a pthread_atfork() child handler bumps a fork generation
 * that each handle compares with the one it was opened in.
 *
 * Census (cache.h): the write steps (cache_put_fn, cache_put_many_fn,
 * cache_del_fn, cache_evict_fn; cache_touch_fn leaves no record behind)
 * note in c->delta what each record they replace or delete counted as
 * (mdb_get in the same transaction, then decode) and what each record
 * they store counts as; cache_write_txn() clears the delta before
 * every attempt and adds it to the census only after its commit, so an
 * aborted or retried step counts nothing.  The walk (cache_census_step)
 * remembers the last key it counted: a write to a key after it is left
 * to the walk, which will count whatever the record then holds.  The
 * cost is one mdb_get and one decode per record written, never on a read.
 *
 * Diagnostics: failures are logged at error level with the file name and
 * the LMDB message (EIO from a short write on a file system with less than
 * CACHE_LOW_SPACE free is named as "No space left on device", with the
 * free space); undecodable records at warning level with the domain; map
 * growth and evictions at info level; a damaged file moved aside at error
 * level, once.  cache_open() writes its reason to err (file name, cause,
 * and how to fix it) and logs only the replacement of a damaged file.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "cache.h"
#include "clock.h"
#include "log.h"
#include "xalloc.h"

#define CACHE_FILE             "cache.mdb"
#define CACHE_INITIAL_MAP      ((uint64_t)16 << 20) /* first map size */
#define CACHE_MIN_MAX          ((uint64_t)1 << 20)  /* smallest accepted max_size */
#define CACHE_MAXREADERS       16                   /* we use at most two slots at a time */
#define CACHE_KEEP_READERS_MIN 8                    /* table size to keep cache_get()'s slot */
#define CACHE_RETRIES          8                    /* map growths per call */
#define CACHE_STACK_VALUE      2048                 /* encode typical entries here */
#define CACHE_EVICT_BATCH      128                  /* deletions per transaction */
#define CACHE_EVICT_SCAN       1024                 /* records examined per txn */
#define CACHE_KEY_BUFSZ        512                  /* LMDB's default max key + 1 */
#define CACHE_OWNER_FILE       "mtastsd.lock"       /* flock()ed for the handle's life */
#define CACHE_ASIDE_TAG        ".damaged-"          /* cache.mdb.damaged-<UTC time> */
#define CACHE_ASIDE_TRIES      100                  /* -1 .. -99 suffixes in one second */
#define CACHE_REVIVE_SECONDS   60                   /* retry a cache that could not be replaced */
#define CACHE_PANIC_SECONDS    60                   /* one reopen after MDB_PANIC per this */
#define CACHE_LOW_SPACE        ((uint64_t)1 << 20)  /* less free: a short write is a full disk */
#define CACHE_MIN_PAGE         512                  /* LMDB's smallest page size */
#define CACHE_MAX_PAGE         65536                /* LMDB's largest page size */
#define CACHE_META_MAGIC       0xBEEFC0DEu          /* LMDB's meta page magic (data version 1) */
#define CACHE_META_MAGIC_AT    16                   /* offsets in page 0 of an LMDB file */
#define CACHE_META_PSIZE_AT    40

/* What the records written by one transaction add to the census. */
struct cache_census_delta {
    int64_t policies[3];
    int64_t negative;
    int64_t failing;
};

/* cache_txn_begin() when the cache is damaged and could not be replaced (not an
 * LMDB or errno value): the reason was logged when it happened. */
#define CACHE_RC_UNUSABLE (-1)

struct cache {
    MDB_env *env; /* NULL while the cache is unusable (see cache_revive) */
    MDB_dbi dbi;
    char *dir;              /* state_dir */
    char *path;             /* state_dir/cache.mdb, for messages */
    char *lock_path;        /* state_dir/cache.mdb-lock (LMDB's) */
    int owner_fd;           /* state_dir/mtastsd.lock, flock()ed: one daemon per state_dir */
    int data_fd;            /* our own descriptors of cache.mdb and cache.mdb-lock, */
    int lock_fd;            /* only to read their sizes (and restore the lock's) */
    uint64_t psize;         /* LMDB's page size in the file */
    uint64_t data_need;     /* cache.mdb must hold at least this many bytes */
    uint64_t lock_need;     /* cache.mdb-lock: what LMDB mapped of it */
    int64_t revive_at;      /* while env == NULL: when to try again */
    int64_t reopened_at;    /* last reopen after MDB_PANIC (cache_reopen), 0: never */
    uint64_t page;          /* OS page size: map sizes are multiples of it */
    uint64_t limit;         /* max_size, rounded: the map never grows past it */
    uint64_t put_cap;       /* limit minus the eviction reserve: puts stop here */
    uint64_t map_size;      /* current map size */
    pid_t pid;              /* process that opened the environment */
    unsigned long gen;      /* cache_fork_gen when it was opened */
    MDB_txn *rtxn;          /* cache_get()'s reset read transaction, or NULL */
    bool keep_rtxn;         /* the reader table is large enough to keep a slot */
    cache_change_fn change; /* called before every write, or NULL */
    void *change_arg;
    struct cache_census census;                  /* see cache.h */
    struct cache_census_delta delta;             /* of the write step running */
    unsigned char census_after[CACHE_KEY_BUFSZ]; /* the walk counted keys up to this one */
    size_t census_after_len;                     /* 0: none yet */
};

void cache_set_change_hook(struct cache *c, cache_change_fn fn, void *arg)
{
    c->change = fn;
    c->change_arg = arg;
}

static void cache_changing(struct cache *c, const char *domain)
{
    if (c->change != NULL)
        c->change(c->change_arg, domain);
}

/* ---- census ---- */

static bool cache_key_valid(const void *key, size_t len);

/* What one record counts as (see struct cache_census), times sign. */
static void cache_census_count(struct cache_census_delta *d, const struct entry *e, int sign)
{
    if (e->negative_until != 0)
        d->negative += sign;
    else if (e->policy != NULL && (unsigned)e->policy->mode < 3)
        d->policies[e->policy->mode] += sign;
    if (entry_refresh_failing(e))
        d->failing += sign;
}

/* Is the record at key part of the census yet? */
static bool cache_census_counted(const struct cache *c, MDB_txn *txn, const MDB_val *key)
{
    if (c->census.complete)
        return true;
    if (c->census_after_len == 0)
        return false;
    MDB_val after = {.mv_size = c->census_after_len, .mv_data = (void *)c->census_after};
    return mdb_cmp(txn, c->dbi, key, &after) <= 0;
}

/* A write step is about to replace or delete the record at key. */
static void cache_census_old(struct cache *c, MDB_txn *txn, const MDB_val *key)
{
    MDB_val val;
    struct entry e;

    if (!cache_key_valid(key->mv_data, key->mv_size) || !cache_census_counted(c, txn, key) ||
        mdb_get(txn, c->dbi, (MDB_val *)key, &val) != 0)
        return;
    entry_init(&e);
    if (entry_decode(val.mv_data, val.mv_size, &e))
        cache_census_count(&c->delta, &e, -1);
    entry_clear(&e);
}

/* A write step stored e at key. */
static void cache_census_new(struct cache *c, MDB_txn *txn, const MDB_val *key,
                             const struct entry *e)
{
    if (cache_census_counted(c, txn, key))
        cache_census_count(&c->delta, e, +1);
}

static uint64_t cache_census_add(uint64_t v, int64_t d)
{
    if (d < 0 && (uint64_t)-d > v)
        return 0; /* cannot happen: a record is subtracted only if it was counted */
    return d < 0 ? v - (uint64_t)-d : v + (uint64_t)d;
}

/* A write transaction committed: its delta is now true. */
static void cache_census_commit(struct cache *c)
{
    for (int m = 0; m < 3; m++)
        c->census.policies[m] = cache_census_add(c->census.policies[m], c->delta.policies[m]);
    c->census.negative = cache_census_add(c->census.negative, c->delta.negative);
    c->census.failing = cache_census_add(c->census.failing, c->delta.failing);
    memset(&c->delta, 0, sizeof c->delta);
}

/* The file was emptied or replaced by an empty one (complete), or the
 * environment was opened anew and must be walked again. */
static void cache_census_reset(struct cache *c, bool complete)
{
    memset(&c->census, 0, sizeof c->census);
    memset(&c->delta, 0, sizeof c->delta);
    c->census.complete = complete;
    c->census_after_len = 0;
}

/* Bumped in the child of every fork(): a handle opened before the fork
 * sees a different generation there. */
static unsigned long cache_fork_gen;
static pthread_once_t cache_atfork_once = PTHREAD_ONCE_INIT;

static void cache_atfork_child(void)
{
    cache_fork_gen++;
}

static void cache_atfork_register(void)
{
    (void)pthread_atfork(NULL, NULL, cache_atfork_child);
}

/* A write step run inside cache_write_txn(); it must be safe to repeat. */
typedef int (*cache_write_fn)(struct cache *c, MDB_txn *txn, void *arg);

static uint64_t cache_round_down(uint64_t v, uint64_t page)
{
    return v - v % page;
}

static uint64_t cache_round_up(uint64_t v, uint64_t page)
{
    uint64_t r = v % page;
    return r ? v + (page - r) : v;
}

/* Keys are policy domains: 1-DOMAIN_MAX printable, non-space bytes. */
static bool cache_key_valid(const void *key, size_t len)
{
    const unsigned char *p = key;

    if (len == 0 || len > DOMAIN_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (p[i] <= 0x20 || p[i] >= 0x7f)
            return false;
    return true;
}

static bool cache_revive(struct cache *c);

static bool cache_usable(struct cache *c)
{
    if (c == NULL)
        return false;
    if (c->gen != cache_fork_gen) {
        log_error("cache %s: used in a child process; the cache must be opened after fork",
                  c->path);
        return false;
    }
    return c->env != NULL || cache_revive(c);
}

static bool cache_is_file_problem(int rc)
{
    return rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH || rc == MDB_CORRUPTED ||
           rc == MDB_PAGE_NOTFOUND || rc == MDB_INCOMPATIBLE || rc == MDB_BAD_DBI;
}

/* Damage LMDB itself reports while reading pages: the file is replaced
 * (cache_recover), as for a truncated one. */
static bool cache_is_damage(int rc)
{
    return rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND;
}

/*
 * LMDB turns a short write (the file system filled up in the middle of a
 * commit) into EIO.  If the file system of state_dir is (nearly) full,
 * name that cause instead; *note gets the free space.
 */
static const char *cache_strerror(const struct cache *c, int rc, char *note, size_t notesz)
{
    struct statvfs sv;

    note[0] = '\0';
    if ((rc == EIO || rc == ENOSPC) && c->data_fd >= 0 && fstatvfs(c->data_fd, &sv) == 0) {
        uint64_t avail = (uint64_t)sv.f_bavail * (uint64_t)sv.f_frsize;
        if (rc == ENOSPC || avail < CACHE_LOW_SPACE) {
            snprintf(note, notesz,
                     " (the file system of %s has %" PRIu64 " KiB free: free space there or "
                     "lower cache_max_size)",
                     c->dir, avail >> 10);
            return strerror(ENOSPC);
        }
    }
    return mdb_strerror(rc);
}

static void cache_log_failure(const struct cache *c, const char *what, const char *domain, int rc)
{
    char note[DOMAIN_BUFSZ + 160];
    const char *msg;

    if (rc == CACHE_RC_UNUSABLE)
        return; /* logged when the cache became unusable */
    msg = cache_strerror(c, rc, note, sizeof note);
    log_error("cache %s: %s%s%s failed: %s%s%s", c->path, what, domain ? " " : "",
              domain ? domain : "", msg, note,
              cache_is_file_problem(rc) ? " (the file is damaged: stop mtastsd and move it aside)"
                                        : "");
}

/* Re-read the map size LMDB actually uses. */
static void cache_map_refresh(struct cache *c)
{
    MDB_envinfo info;

    if (mdb_env_info(c->env, &info) == 0)
        c->map_size = info.me_mapsize;
}

/* Set the map size (no transaction may be open).  LMDB never maps less
 * than the file already uses, so a shrink request may leave it larger. */
static bool cache_map_set(struct cache *c, uint64_t size)
{
    int rc;

    if (c->env == NULL)
        return false; /* unusable after a failed recovery */
    rc = mdb_env_set_mapsize(c->env, (size_t)size);
    if (rc != 0) {
        log_error("cache %s: cannot set map size to %" PRIu64 " bytes: %s", c->path, size,
                  mdb_strerror(rc));
        return false;
    }
    cache_map_refresh(c);
    return true;
}

/* Double the map, up to ceiling.  False if already there or on error. */
static bool cache_map_grow(struct cache *c, uint64_t ceiling)
{
    uint64_t old = c->map_size;
    uint64_t want;

    if (old >= ceiling)
        return false;
    want = old > ceiling / 2 ? ceiling : cache_round_up(old * 2, c->page);
    if (want > ceiling)
        want = ceiling;
    if (!cache_map_set(c, want))
        return false;
    log_info("cache %s: map grown from %" PRIu64 " to %" PRIu64 " KiB (cache_max_size %" PRIu64
             " KiB)",
             c->path, old >> 10, c->map_size >> 10, c->limit >> 10);
    return c->map_size > old;
}

/* After a deletion used the reserve: give it back to future deletions. */
static void cache_map_settle(struct cache *c)
{
    if (c->env != NULL && c->map_size > c->put_cap)
        (void)cache_map_set(c, c->put_cap);
}

/* ---- damage: checks and recovery ---- */

static bool cache_recover(struct cache *c, const char *why, bool data_damaged);
static bool cache_reopen(struct cache *c);

/*
 * Before anything reads the map: both files still hold at least what
 * LMDB mapped of them.  A read of a page past the end of a file is a
 * SIGBUS, and the meta pages are in the map too, so this must come
 * before mdb_txn_begin()/mdb_txn_renew().  Two lseek() calls (the
 * cheapest way to read a file's size).  True when the cache may be read
 * (intact, or replaced by an empty one); false when it is unusable.
 */
static bool cache_intact(struct cache *c)
{
#ifdef CACHE_BENCH_UNCHECKED /* bench/lmdbget-unchecked: the cost of this check */
    (void)c;
    return true;
#else
    off_t d = lseek(c->data_fd, 0, SEEK_END);
    off_t l = lseek(c->lock_fd, 0, SEEK_END);
    char why[DOMAIN_BUFSZ + 200];

    if (d >= 0 && l >= 0 && (uint64_t)d >= c->data_need && (uint64_t)l >= c->lock_need)
        return true;
    if (d < 0 || l < 0) {
        log_error_errno("cache %s: cannot read the size of the cache files", c->path);
        return false;
    }
    if ((uint64_t)d < c->data_need) {
        snprintf(why, sizeof why,
                 "the file was cut to %lld bytes while in use; LMDB's meta page says it holds "
                 "%" PRIu64,
                 (long long)d, c->data_need);
        return cache_recover(c, why, true);
    }
    snprintf(why, sizeof why,
             "its lock file %s was cut to %lld bytes while in use; LMDB maps %" PRIu64,
             c->lock_path, (long long)l, c->lock_need);
    return cache_recover(c, why, false);
#endif
}

/*
 * After a commit of ours: what the file must hold from now on.  LMDB
 * counts pages up to its last page number (me_last_pgno), but it does not
 * write a page that the same transaction allocated and freed again; if
 * that page is the last one, the file ends before it.  Extend the file to
 * cover it (zeros, in a page LMDB holds free), so that "shorter than the
 * meta page says" always means damage, also at the next open.
 */
static void cache_committed(struct cache *c)
{
    MDB_envinfo info;
    uint64_t need;
    off_t d = lseek(c->data_fd, 0, SEEK_END);
    int fd;

    if (d < 0 || (uint64_t)d < c->data_need)
        return; /* cut meanwhile: the next cache_intact() acts on it */
    if (mdb_env_info(c->env, &info) != 0)
        return;
    need = ((uint64_t)info.me_last_pgno + 1) * c->psize;
    if ((uint64_t)d < need) {
        if (mdb_env_get_fd(c->env, &fd) == 0 && ftruncate(fd, (off_t)need) == 0) {
            log_debug("cache %s: file extended from %lld to %" PRIu64
                      " bytes over free pages LMDB did not write",
                      c->path, (long long)d, need);
        } else {
            log_warning_errno("cache %s: cannot extend the file to %" PRIu64 " bytes", c->path,
                              need);
            need = (uint64_t)d;
        }
    }
    if (need > c->data_need)
        c->data_need = need;
}

/* mdb_txn_begin() with recovery from MAP_RESIZED and READERS_FULL. */
static int cache_txn_begin_raw(struct cache *c, unsigned int flags, MDB_txn **txn)
{
    int rc = 0;

    for (int attempt = 0; attempt < 3; attempt++) {
        rc = mdb_txn_begin(c->env, NULL, flags, txn);
        if (rc == MDB_MAP_RESIZED) {
            uint64_t old = c->map_size;
            if (!cache_map_set(c, 0))
                return rc;
            log_info("cache %s: map resized by another process, %" PRIu64 " -> %" PRIu64 " KiB",
                     c->path, old >> 10, c->map_size >> 10);
            continue;
        }
        if (rc == MDB_READERS_FULL) {
            int dead = 0;
            if (mdb_reader_check(c->env, &dead) == 0 && dead > 0) {
                log_warning("cache %s: reader table full; cleared %d stale slots", c->path, dead);
                continue;
            }
        }
        return rc;
    }
    return rc;
}

/* cache_txn_begin_raw(); on MDB_PANIC the environment is reopened
 * (cache_reopen) and the begin tried once more: one reopen per call. */
static int cache_txn_begin_healed(struct cache *c, unsigned int flags, MDB_txn **txn)
{
    int rc = cache_txn_begin_raw(c, flags, txn);

    if (rc != MDB_PANIC)
        return rc;
    if (!cache_reopen(c))
        return CACHE_RC_UNUSABLE;
    return cache_txn_begin_raw(c, flags, txn);
}

/* Every transaction starts here: the size check first. */
static int cache_txn_begin(struct cache *c, unsigned int flags, MDB_txn **txn)
{
    if (c->env == NULL || !cache_intact(c))
        return CACHE_RC_UNUSABLE;
    return cache_txn_begin_healed(c, flags, txn);
}

/*
 * Run fn in a write transaction and commit.  On MDB_MAP_FULL (from fn or
 * from the commit) the transaction is gone; grow the map up to ceiling
 * and run fn again.  When LMDB finds the file damaged, replace it
 * (cache_recover) and run fn once more on the empty cache.  Returns an
 * LMDB status; fn's own non-zero status (e.g. MDB_NOTFOUND) is returned
 * as is.
 */
static int cache_write_txn(struct cache *c, uint64_t ceiling, cache_write_fn fn, void *arg)
{
    int rc = 0;
    bool recovered = false;

    for (int attempt = 0; attempt < CACHE_RETRIES; attempt++) {
        MDB_txn *txn;

        rc = cache_txn_begin(c, 0, &txn);
        if (rc != 0)
            return rc;
        memset(&c->delta, 0, sizeof c->delta);
        rc = fn(c, txn, arg);
        if (rc == 0)
            rc = mdb_txn_commit(txn); /* frees txn, also on failure */
        else
            mdb_txn_abort(txn);
        if (rc == 0) {
            cache_committed(c);
            cache_census_commit(c);
        }
        if (cache_is_damage(rc) && !recovered) {
            recovered = true;
            if (!cache_recover(c, mdb_strerror(rc), true))
                return CACHE_RC_UNUSABLE;
            continue;
        }
        if (rc != MDB_MAP_FULL || !cache_map_grow(c, ceiling))
            return rc;
    }
    return rc;
}

/* ---- open / close ---- */

static void cache_open_fail(char *err, size_t errsz, const char *path, int rc)
{
    if (cache_is_file_problem(rc))
        snprintf(err, errsz,
                 "cache %s is not a usable LMDB file (%s); stop mtastsd, move %s and %s-lock "
                 "aside, and start again with an empty cache",
                 path, mdb_strerror(rc), path, path);
    else if (rc == EACCES || rc == EPERM || rc == EROFS)
        snprintf(err, errsz,
                 "cannot open cache %s: %s (state_dir and the file must be writable by the "
                 "user mtastsd runs as)",
                 path, mdb_strerror(rc));
    else
        snprintf(err, errsz, "cannot open cache %s: %s", path, mdb_strerror(rc));
}

/*
 * One mtastsd per state_dir: an flock() on state_dir/mtastsd.lock, held
 * until cache_close().  The file holds the owner's pid, for the message
 * the next one gets.
 */
static bool cache_own_dir(struct cache *c, char *err, size_t errsz)
{
    char path[4096], buf[32];
    int fd;

    if ((size_t)snprintf(path, sizeof path, "%s/%s", c->dir, CACHE_OWNER_FILE) >= sizeof path) {
        snprintf(err, errsz, "cache directory %s: path too long", c->dir);
        return false;
    }
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        snprintf(err, errsz,
                 "cannot lock state_dir for cache %s: %s: %s (state_dir must be writable by the "
                 "user mtastsd runs as)",
                 c->path, path, strerror(errno));
        return false;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        ssize_t n = e == EWOULDBLOCK ? pread(fd, buf, sizeof buf - 1, 0) : -1;
        long pid = 0;

        if (n > 0) {
            buf[n] = '\0';
            pid = strtol(buf, NULL, 10);
        }
        if (e == EWOULDBLOCK)
            snprintf(err, errsz,
                     "state_dir %s is in use by another mtastsd (pid %ld holds %s); two daemons "
                     "must not share one cache: give each its own state_dir",
                     c->dir, pid, path);
        else
            snprintf(err, errsz, "cannot lock %s: %s", path, strerror(e));
        close(fd);
        return false;
    }
    int len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)len, 0) != len)
        log_warning_errno("cache %s: cannot write the pid to %s", c->path, path);
    c->owner_fd = fd;
    return true;
}

/* End the environment (no transaction may be active) and close our
 * descriptors of its files -- after mdb_env_close(): closing any
 * descriptor of the lock file drops LMDB's fcntl() lock on it. */
static void cache_env_close(struct cache *c, bool sync)
{
    if (c->env != NULL) {
        if (c->rtxn != NULL)
            mdb_txn_abort(c->rtxn);
        if (sync)
            (void)mdb_env_sync(c->env, 1); /* the meta page NOMETASYNC deferred */
        mdb_env_close(c->env);
    }
    c->env = NULL;
    c->rtxn = NULL;
    if (c->data_fd >= 0)
        close(c->data_fd);
    if (c->lock_fd >= 0)
        close(c->lock_fd);
    c->data_fd = c->lock_fd = -1;
}

/*
 * mdb_env_open() said MDB_INVALID: is it an LMDB file cut short of its
 * second meta page?  Page 0 carries LMDB's meta magic and page size, and
 * every LMDB file holds at least two pages.
 */
static bool cache_cut_before_meta(const struct cache *c, char *why, size_t whysz)
{
    unsigned char head[CACHE_META_PSIZE_AT + 4];
    uint32_t magic, psize;
    struct stat st;
    int fd = open(c->path, O_RDONLY | O_CLOEXEC);
    bool cut = false;

    if (fd < 0)
        return false;
    if (fstat(fd, &st) == 0 && pread(fd, head, sizeof head, 0) == (ssize_t)sizeof head) {
        memcpy(&magic, head + CACHE_META_MAGIC_AT, sizeof magic);
        memcpy(&psize, head + CACHE_META_PSIZE_AT, sizeof psize);
        cut = magic == CACHE_META_MAGIC && psize >= CACHE_MIN_PAGE && psize <= CACHE_MAX_PAGE &&
              (uint64_t)st.st_size < 2 * (uint64_t)psize;
        if (cut)
            snprintf(why, whysz,
                     "the file holds %lld bytes, less than LMDB's two meta pages of %u bytes",
                     (long long)st.st_size, (unsigned)psize);
    }
    close(fd);
    return cut;
}

enum cache_env_status {
    CACHE_ENV_OK = 0,
    CACHE_ENV_DAMAGED, /* why says how; the file is to be moved aside */
    CACHE_ENV_FAILED,  /* err says why */
};

/*
 * Open the LMDB environment at c->path (creating an empty one if there is
 * no file) and check that the file holds what its meta page says, before
 * any page but the meta pages (which mdb_env_open() read with pread and
 * checked) is touched.
 */
static enum cache_env_status cache_env_open(struct cache *c, char *err, size_t errsz, char *why,
                                            size_t whysz)
{
    struct stat st;
    MDB_txn *txn;
    MDB_stat ms;
    MDB_envinfo info;
    unsigned int dbflags = 0, readers = 0;
    uint64_t initial = CACHE_INITIAL_MAP;
    int rc, dead = 0;

    c->data_fd = c->lock_fd = -1;
    c->rtxn = NULL;
    if (stat(c->path, &st) == 0) {
        if (!S_ISREG(st.st_mode)) {
            snprintf(err, errsz, "cache %s is not a regular file; move it aside", c->path);
            return CACHE_ENV_FAILED;
        }
        if ((uint64_t)st.st_size > initial)
            initial = (uint64_t)st.st_size;
    }
    initial = cache_round_up(initial, c->page);
    if (initial > c->put_cap)
        initial = c->put_cap;

    rc = mdb_env_create(&c->env);
    if (rc != 0) {
        c->env = NULL;
        cache_open_fail(err, errsz, c->path, rc);
        return CACHE_ENV_FAILED;
    }
    rc = mdb_env_set_maxreaders(c->env, CACHE_MAXREADERS);
    if (rc == 0)
        rc = mdb_env_set_mapsize(c->env, (size_t)initial);
    if (rc == 0)
        rc = mdb_env_open(c->env, c->path, MDB_NOSUBDIR | MDB_NOTLS | MDB_NOMETASYNC, 0600);
    if (rc != 0) {
        enum cache_env_status st2 = CACHE_ENV_FAILED;
        if (rc == MDB_INVALID && cache_cut_before_meta(c, why, whysz))
            st2 = CACHE_ENV_DAMAGED;
        else
            cache_open_fail(err, errsz, c->path, rc);
        cache_env_close(c, false);
        return st2;
    }
    if (mdb_reader_check(c->env, &dead) == 0 && dead > 0)
        log_info("cache %s: cleared %d reader slots left by dead processes", c->path, dead);
    /* The file's lock table may be smaller than ours if another program
     * created it; keep a slot between calls only when there are plenty. */
    c->keep_rtxn =
        mdb_env_get_maxreaders(c->env, &readers) == 0 && readers >= CACHE_KEEP_READERS_MIN;
    if (mdb_env_get_maxkeysize(c->env) < DOMAIN_MAX) {
        snprintf(err, errsz, "cache %s: LMDB built with keys shorter than %d bytes", c->path,
                 DOMAIN_MAX);
        cache_env_close(c, false);
        return CACHE_ENV_FAILED;
    }

    /* Our own descriptors, for the size checks: never closed while the
     * environment is open (see cache_env_close). */
    c->data_fd = open(c->path, O_RDONLY | O_CLOEXEC);
    c->lock_fd = open(c->lock_path, O_RDWR | O_CLOEXEC);
    if (c->data_fd < 0 || c->lock_fd < 0 || fstat(c->lock_fd, &st) != 0) {
        snprintf(err, errsz, "cannot open cache %s: %s", c->path, strerror(errno));
        cache_env_close(c, false);
        return CACHE_ENV_FAILED;
    }
    c->lock_need = (uint64_t)st.st_size;
    /* The meta pages are in the file (mdb_env_open() read both with
     * pread): reading them through the map is safe. */
    if (mdb_env_stat(c->env, &ms) != 0 || mdb_env_info(c->env, &info) != 0 ||
        fstat(c->data_fd, &st) != 0) {
        snprintf(err, errsz, "cannot read the meta page of cache %s", c->path);
        cache_env_close(c, false);
        return CACHE_ENV_FAILED;
    }
    c->psize = ms.ms_psize;
    c->data_need = ((uint64_t)info.me_last_pgno + 1) * c->psize;
    if ((uint64_t)st.st_size < c->data_need) {
        snprintf(why, whysz, "the file holds %lld bytes but its LMDB meta page says %" PRIu64,
                 (long long)st.st_size, c->data_need);
        cache_env_close(c, false);
        return CACHE_ENV_DAMAGED;
    }
    cache_map_refresh(c);

    rc = cache_txn_begin_raw(c, 0, &txn);
    if (rc == 0) {
        rc = mdb_dbi_open(txn, NULL, 0, &c->dbi);
        if (rc == 0)
            rc = mdb_dbi_flags(txn, c->dbi, &dbflags);
        if (rc == 0)
            rc = mdb_txn_commit(txn);
        else
            mdb_txn_abort(txn);
    }
    if (rc != 0) {
        if (cache_is_damage(rc)) {
            snprintf(why, whysz, "%s", mdb_strerror(rc));
            cache_env_close(c, false);
            return CACHE_ENV_DAMAGED;
        }
        cache_open_fail(err, errsz, c->path, rc);
        cache_env_close(c, false);
        return CACHE_ENV_FAILED;
    }
    if ((dbflags & ~(unsigned int)MDB_CREATE) != 0) {
        snprintf(err, errsz,
                 "cache %s is an LMDB file of another program (database flags 0x%x); move it "
                 "aside",
                 c->path, dbflags);
        cache_env_close(c, false);
        return CACHE_ENV_FAILED;
    }
    return CACHE_ENV_OK;
}

/* A free name beside the cache for a damaged file:
 * cache.mdb.damaged-20250131T120000Z, then -1, -2, ... */
static bool cache_aside_name(const struct cache *c, char *out, size_t outsz)
{
    char stamp[32];
    time_t now = (time_t)clock_wall();
    struct tm tm;
    struct stat st;

    if (gmtime_r(&now, &tm) == NULL || strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) == 0)
        snprintf(stamp, sizeof stamp, "%lld", (long long)now);
    for (int i = 0; i < CACHE_ASIDE_TRIES; i++) {
        size_t n =
            i == 0 ? (size_t)snprintf(out, outsz, "%s%s%s", c->path, CACHE_ASIDE_TAG, stamp)
                   : (size_t)snprintf(out, outsz, "%s%s%s-%d", c->path, CACHE_ASIDE_TAG, stamp, i);
        if (n >= outsz)
            return false;
        if (lstat(out, &st) != 0 && errno == ENOENT)
            return true;
    }
    return false;
}

/*
 * The environment is closed and the file at c->path is damaged (why):
 * move it aside for the operator, drop LMDB's lock file (it belongs to
 * the damaged file), and open a new, empty cache.  Logs one error naming
 * both files.  On failure err says why and the cache stays closed.
 */
static bool cache_replace(struct cache *c, const char *why, char *err, size_t errsz)
{
    char aside[4200], err2[512], why2[DOMAIN_BUFSZ + 200];

    if (!cache_aside_name(c, aside, sizeof aside)) {
        snprintf(err, errsz, "cache %s is damaged (%s) and no free name to move it aside", c->path,
                 why);
        return false;
    }
    if (rename(c->path, aside) != 0) {
        snprintf(err, errsz, "cache %s is damaged (%s) and cannot be moved aside to %s: %s",
                 c->path, why, aside, strerror(errno));
        return false;
    }
    if (unlink(c->lock_path) != 0 && errno != ENOENT)
        log_warning_errno("cache %s: cannot remove the old lock file %s", c->path, c->lock_path);
    why2[0] = '\0';
    if (cache_env_open(c, err2, sizeof err2, why2, sizeof why2) != CACHE_ENV_OK) {
        snprintf(err, errsz,
                 "cache %s was damaged (%s) and is moved to %s, but no new cache can be "
                 "created: %s",
                 c->path, why, aside, why2[0] ? why2 : err2);
        return false;
    }
    log_error("cache %s is damaged (%s); moved it to %s and started an empty cache: policies are "
              "fetched again as their domains are queried",
              c->path, why, aside);
    cache_census_reset(c, true);
    return true;
}

/*
 * Damage found while running.  data_damaged: the data file is moved
 * aside and replaced by an empty cache.  Otherwise only LMDB's lock file
 * was cut: its size is restored first (LMDB touches it while closing),
 * then it is recreated and the data are kept.  Returns false (and the
 * cache is unusable until cache_revive() succeeds) if that fails.
 */
static bool cache_recover(struct cache *c, const char *why, bool data_damaged)
{
    char err[4800], why2[DOMAIN_BUFSZ + 200];
    off_t l = lseek(c->lock_fd, 0, SEEK_END);

    cache_changing(c, NULL); /* whatever happens, the old answers are gone */
    if (l >= 0 && (uint64_t)l < c->lock_need && ftruncate(c->lock_fd, (off_t)c->lock_need) != 0)
        log_error_errno("cache %s: cannot restore the size of %s", c->path, c->lock_path);
    cache_env_close(c, false);
    if (!data_damaged) {
        why2[0] = '\0';
        if (unlink(c->lock_path) != 0 && errno != ENOENT)
            log_warning_errno("cache %s: cannot remove the damaged lock file %s", c->path,
                              c->lock_path);
        enum cache_env_status st = cache_env_open(c, err, sizeof err, why2, sizeof why2);
        if (st == CACHE_ENV_OK) {
            log_error("cache %s: %s; recreated the lock file, the cached policies are kept",
                      c->path, why);
            return true;
        }
        if (st == CACHE_ENV_FAILED)
            goto unusable;
        why = why2; /* the data file is damaged as well */
    }
    if (cache_replace(c, why, err, sizeof err))
        return true;
unusable:
    c->revive_at = clock_wall() + CACHE_REVIVE_SECONDS;
    log_error("%s; answering TEMP, trying again every %d s", err, CACHE_REVIVE_SECONDS);
    return false;
}

/*
 * LMDB answered MDB_PANIC: a write of a meta page failed (mdb_env_write_meta:
 * EIO from a failing disk, ENOSPC on a copy-on-write file system), and
 * LMDB marked the environment MDB_FATAL_ERROR; every transaction begun in
 * it fails from then on, until it is closed.  The file is not known to be
 * damaged: LMDB writes the data pages (and syncs them) before the meta
 * page, and tries to put the old meta page back when that write fails, so
 * the file holds the last commit or the one before it (the other meta
 * page is untouched).  So close the environment and open it again,
 * keeping the data; cache_env_open()'s checks still move a truly damaged
 * file aside.  At most once per CACHE_PANIC_SECONDS: a disk that keeps
 * failing makes the cache unusable instead (retried every
 * CACHE_REVIVE_SECONDS), so that a failing commit and a reopen cannot
 * alternate at the rate of queries.
 */
static bool cache_reopen(struct cache *c)
{
    char err[4800], why[DOMAIN_BUFSZ + 200];
    int64_t now = clock_wall();
    enum cache_env_status st;

    cache_changing(c, NULL); /* whatever happens, the old answers are gone */
    cache_env_close(c, false);
    if (c->reopened_at != 0 && now >= c->reopened_at &&
        now - c->reopened_at < CACHE_PANIC_SECONDS) {
        c->revive_at = now + CACHE_REVIVE_SECONDS;
        log_error("cache %s: %s again, %lld s after the last reopen (is the disk failing?); "
                  "answering TEMP, trying again every %d s",
                  c->path, mdb_strerror(MDB_PANIC), (long long)(now - c->reopened_at),
                  CACHE_REVIVE_SECONDS);
        return false;
    }
    c->reopened_at = now;
    why[0] = '\0';
    st = cache_env_open(c, err, sizeof err, why, sizeof why);
    if (st == CACHE_ENV_OK) {
        log_error("cache %s: %s (a write of LMDB's meta page failed; the last write may be lost); "
                  "reopened the cache, the cached policies are kept",
                  c->path, mdb_strerror(MDB_PANIC));
        return true;
    }
    if (st == CACHE_ENV_DAMAGED && cache_replace(c, why, err, sizeof err))
        return true;
    c->revive_at = now + CACHE_REVIVE_SECONDS;
    log_error("%s; answering TEMP, trying again every %d s", err, CACHE_REVIVE_SECONDS);
    return false;
}

/* The cache could not be replaced or reopened: try again, at most every
 * CACHE_REVIVE_SECONDS. */
static bool cache_revive(struct cache *c)
{
    char err[4800], why[DOMAIN_BUFSZ + 200];
    enum cache_env_status st;

    if (clock_wall() < c->revive_at)
        return false;
    why[0] = '\0';
    st = cache_env_open(c, err, sizeof err, why, sizeof why);
    if (st == CACHE_ENV_DAMAGED && cache_replace(c, why, err, sizeof err))
        st = CACHE_ENV_OK;
    if (st != CACHE_ENV_OK) {
        c->revive_at = clock_wall() + CACHE_REVIVE_SECONDS;
        log_error("%s; answering TEMP, trying again in %d s", err, CACHE_REVIVE_SECONDS);
        return false;
    }
    log_info("cache %s: usable again", c->path);
    cache_census_reset(c, false); /* whatever file this is, count it */
    return true;
}

struct cache *cache_open(const char *state_dir, uint64_t max_size, char *err, size_t errsz)
{
    struct cache *c;
    struct stat st;
    uint64_t reserve;
    long psz;
    char why[DOMAIN_BUFSZ + 200];

    if (err != NULL && errsz > 0)
        err[0] = '\0';
    else {
        static char dummy[1];
        err = dummy;
        errsz = sizeof dummy;
    }
    if (state_dir == NULL || *state_dir == '\0') {
        snprintf(err, errsz, "cache: state_dir is empty");
        return NULL;
    }
    if (stat(state_dir, &st) != 0) {
        snprintf(err, errsz, "cache directory %s: %s (create it or set state_dir)", state_dir,
                 strerror(errno));
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errsz, "cache directory %s: not a directory (check state_dir)", state_dir);
        return NULL;
    }

    (void)pthread_once(&cache_atfork_once, cache_atfork_register);
    c = xcalloc(1, sizeof *c);
    c->pid = getpid();
    c->gen = cache_fork_gen;
    c->owner_fd = c->data_fd = c->lock_fd = -1;
    c->dir = xstrdup(state_dir);
    c->path = xmalloc(strlen(state_dir) + sizeof "/" CACHE_FILE);
    sprintf(c->path, "%s/%s", state_dir, CACHE_FILE);
    c->lock_path = xmalloc(strlen(c->path) + sizeof "-lock");
    sprintf(c->lock_path, "%s-lock", c->path);

    psz = sysconf(_SC_PAGESIZE);
    c->page = psz > 0 ? (uint64_t)psz : 4096;
    if (max_size < CACHE_MIN_MAX)
        max_size = CACHE_MIN_MAX;
    if (max_size > (uint64_t)SIZE_MAX / 2)
        max_size = (uint64_t)SIZE_MAX / 2;
    c->limit = cache_round_down(max_size, c->page);
    reserve = cache_round_up(c->limit / 32, c->page);
    if (reserve < 32 * c->page)
        reserve = 32 * c->page;
    c->put_cap = c->limit - reserve;

    if (!cache_own_dir(c, err, errsz))
        goto fail;
    why[0] = '\0';
    switch (cache_env_open(c, err, errsz, why, sizeof why)) {
    case CACHE_ENV_OK:
        break;
    case CACHE_ENV_DAMAGED:
        if (!cache_replace(c, why, err, errsz))
            goto fail;
        break;
    case CACHE_ENV_FAILED:
    default:
        goto fail;
    }
    log_debug("cache %s: opened, map %" PRIu64 " KiB, limit %" PRIu64 " KiB", c->path,
              c->map_size >> 10, c->limit >> 10);
    return c;

fail:
    cache_env_close(c, false);
    if (c->owner_fd >= 0)
        close(c->owner_fd);
    free(c->lock_path);
    free(c->path);
    free(c->dir);
    free(c);
    return NULL;
}

void cache_close(struct cache *c)
{
    if (c == NULL)
        return;
    if (c->pid == getpid() && c->gen == cache_fork_gen) {
        cache_env_close(c, true);
    } else {
        /* A child: the environment is the parent's; only our own
         * descriptors are closed (a child holds no fcntl() locks). */
        if (c->data_fd >= 0)
            close(c->data_fd);
        if (c->lock_fd >= 0)
            close(c->lock_fd);
    }
    if (c->owner_fd >= 0)
        close(c->owner_fd); /* the parent's flock() stays: it shares the open file */
    free(c->lock_path);
    free(c->path);
    free(c->dir);
    free(c);
}

/* ---- single records ---- */

/* End cache_get()'s read transaction: keep the handle (and its reader
 * slot) for the next call, or give both back if the slot is scarce. */
static void cache_read_done(struct cache *c, MDB_txn *txn)
{
    if (c->keep_rtxn) {
        mdb_txn_reset(txn);
        c->rtxn = txn;
    } else {
        mdb_txn_abort(txn);
    }
}

enum cache_status cache_get(struct cache *c, const char *domain, struct entry *out)
{
    MDB_txn *txn;
    MDB_val key, val;
    size_t len;
    bool ok;
    int rc;

    entry_init(out);
    if (!cache_usable(c))
        return CACHE_ERROR;
    len = domain ? strlen(domain) : 0;
    if (!cache_key_valid(domain, len))
        return CACHE_NOTFOUND;
    if (!cache_intact(c))
        return CACHE_ERROR; /* before mdb_txn_renew() reads the meta page */
    txn = c->rtxn;
    c->rtxn = NULL;
    if (txn != NULL && mdb_txn_renew(txn) != 0) {
        mdb_txn_abort(txn); /* e.g. MDB_MAP_RESIZED or MDB_PANIC: start over below */
        txn = NULL;
    }
    if (txn == NULL) {
        rc = cache_txn_begin_healed(c, MDB_RDONLY, &txn);
        if (rc != 0) {
            cache_log_failure(c, "read", domain, rc);
            return CACHE_ERROR;
        }
    }
    key.mv_data = (void *)domain;
    key.mv_size = len;
    rc = mdb_get(txn, c->dbi, &key, &val);
    if (rc != 0) {
        cache_read_done(c, txn);
        if (rc == MDB_NOTFOUND)
            return CACHE_NOTFOUND;
        if (cache_is_damage(rc))
            return cache_recover(c, mdb_strerror(rc), true) ? CACHE_NOTFOUND : CACHE_ERROR;
        cache_log_failure(c, "read", domain, rc);
        return CACHE_ERROR;
    }
    ok = entry_decode(val.mv_data, val.mv_size, out);
    cache_read_done(c, txn);
    if (!ok) {
        entry_clear(out);
        log_warning("cache %s: record for %s (%zu bytes) does not decode; treated as absent "
                    "until it is replaced",
                    c->path, domain, val.mv_size);
        return CACHE_NOTFOUND;
    }
    return CACHE_OK;
}

struct put_arg {
    MDB_val key;
    MDB_val val;
    const struct entry *e; /* what val encodes */
};

static int cache_put_fn(struct cache *c, MDB_txn *txn, void *arg)
{
    struct put_arg *a = arg;
    int rc;

    cache_census_old(c, txn, &a->key);
    rc = mdb_put(txn, c->dbi, &a->key, &a->val, 0);
    if (rc == 0)
        cache_census_new(c, txn, &a->key, a->e);
    return rc;
}

static int cache_del_fn(struct cache *c, MDB_txn *txn, void *arg)
{
    cache_census_old(c, txn, arg);
    return mdb_del(txn, c->dbi, arg, NULL);
}

/*
 * A write that leaves the data as it was, only to move LMDB's transaction
 * id on.  LMDB hands out pages freed by transaction T only to transactions
 * after T + 1 (a reader may still hold the snapshot before T).  With a full
 * map every put is aborted and an abort never advances the id, so without
 * this the pages an eviction freed would stay out of reach for good.  The
 * key is not a valid domain, so nothing else ever sees it.
 */
static int cache_touch_fn(struct cache *c, MDB_txn *txn, void *arg)
{
    MDB_val key = {.mv_size = 1, .mv_data = "\x7f"};
    MDB_val val = {.mv_size = 0, .mv_data = ""};
    int rc;

    (void)arg;
    rc = mdb_put(txn, c->dbi, &key, &val, 0);
    if (rc == 0)
        rc = mdb_del(txn, c->dbi, &key, NULL);
    return rc;
}

/* The map is full at the put cap: open the reserve, evict, close it. */
static void cache_make_room(struct cache *c)
{
    size_t n = 0;

    log_warning("cache %s: full at %" PRIu64 " KiB (cache_max_size %" PRIu64
                " KiB); evicting expired records",
                c->path, c->map_size >> 10, c->limit >> 10);
    if (c->map_size < c->limit)
        (void)cache_map_set(c, c->limit);
    (void)cache_evict_expired(c, clock_wall(), 0, &n);
    /* also when nothing was evicted: the pages of an earlier deletion
     * (cache_del, cache_clear) are just as out of reach */
    (void)cache_write_txn(c, c->limit, cache_touch_fn, NULL);
    cache_map_settle(c);
}

/* A put step (fn) under the put cap; when the map is full there, make
 * room once and run the whole step again.  Returns an LMDB status. */
static int cache_put_txn(struct cache *c, cache_write_fn fn, void *arg)
{
    int rc = cache_write_txn(c, c->put_cap, fn, arg);

    if (rc == MDB_MAP_FULL) {
        cache_make_room(c);
        rc = cache_write_txn(c, c->put_cap, fn, arg);
    }
    return rc;
}

enum cache_status cache_put(struct cache *c, const char *domain, const struct entry *e)
{
    unsigned char stackbuf[CACHE_STACK_VALUE];
    unsigned char *buf = stackbuf;
    struct put_arg a;
    size_t len, need;
    int rc;

    if (!cache_usable(c) || e == NULL)
        return CACHE_ERROR;
    len = domain ? strlen(domain) : 0;
    if (!cache_key_valid(domain, len)) {
        log_error("cache %s: refusing to store an invalid key (%zu bytes)", c->path, len);
        return CACHE_ERROR;
    }
    need = entry_encode(e, stackbuf, sizeof stackbuf);
    if (need == 0 || need > CACHE_VALUE_MAX) {
        log_error("cache %s: entry for %s cannot be stored (encoded size %zu, limit %d)", c->path,
                  domain, need, CACHE_VALUE_MAX);
        return CACHE_ERROR;
    }
    if (need > sizeof stackbuf) {
        buf = xmalloc(need);
        if (entry_encode(e, buf, need) != need) {
            free(buf);
            log_error("cache %s: entry for %s encodes inconsistently", c->path, domain);
            return CACHE_ERROR;
        }
    }
    a.key.mv_data = (void *)domain;
    a.key.mv_size = len;
    a.val.mv_data = buf;
    a.val.mv_size = need;
    a.e = e;
    cache_changing(c, domain);
    rc = cache_put_txn(c, cache_put_fn, &a);
    if (buf != stackbuf)
        free(buf);
    if (rc == MDB_MAP_FULL) {
        log_error("cache %s: full (cache_max_size %" PRIu64 " KiB) and nothing expired to "
                  "evict; %s not stored: raise cache_max_size or flush entries",
                  c->path, c->limit >> 10, domain);
        return CACHE_ERROR;
    }
    if (rc != 0) {
        cache_log_failure(c, "store", domain, rc);
        return CACHE_ERROR;
    }
    return CACHE_OK;
}

struct put_many_arg {
    const char *const *domains;
    const struct entry *const *entries;
    const size_t *len;        /* encoded size of each record */
    const unsigned char *buf; /* the records back to back */
    size_t n;
};

/* Every record of the batch, in order (a later duplicate wins). */
static int cache_put_many_fn(struct cache *c, MDB_txn *txn, void *arg)
{
    const struct put_many_arg *a = arg;
    const unsigned char *v = a->buf;

    for (size_t i = 0; i < a->n; i++) {
        MDB_val key = {.mv_size = strlen(a->domains[i]), .mv_data = (void *)a->domains[i]};
        MDB_val val = {.mv_size = a->len[i], .mv_data = (void *)v};
        int rc;

        cache_census_old(c, txn, &key);
        rc = mdb_put(txn, c->dbi, &key, &val, 0);
        if (rc != 0)
            return rc;
        cache_census_new(c, txn, &key, a->entries[i]);
        v += a->len[i];
    }
    return 0;
}

/* Check every key and size every record; false (logged) if one is bad. */
static bool cache_put_many_check(struct cache *c, const char *const *domains,
                                 const struct entry *const *entries, size_t n, size_t *len,
                                 size_t *total)
{
    *total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t klen = domains[i] ? strlen(domains[i]) : 0;

        if (!cache_key_valid(domains[i], klen)) {
            log_error("cache %s: refusing to store an invalid key (%zu bytes, record %zu of a "
                      "batch of %zu); nothing of the batch stored",
                      c->path, klen, i + 1, n);
            return false;
        }
        len[i] = entries[i] ? entry_encode(entries[i], NULL, 0) : 0;
        if (len[i] == 0 || len[i] > CACHE_VALUE_MAX || len[i] > SIZE_MAX - *total) {
            log_error("cache %s: entry for %s cannot be stored (encoded size %zu, limit %d); "
                      "nothing of its batch of %zu stored",
                      c->path, domains[i], len[i], CACHE_VALUE_MAX, n);
            return false;
        }
        *total += len[i];
    }
    return true;
}

enum cache_status cache_put_many(struct cache *c, const char *const *domains,
                                 const struct entry *const *entries, size_t n)
{
    struct put_many_arg a;
    unsigned char *buf, *p;
    size_t *len, total;
    int rc;

    if (!cache_usable(c))
        return CACHE_ERROR;
    if (n == 0)
        return CACHE_OK;
    if (domains == NULL || entries == NULL || n > CACHE_PUT_MANY_MAX) {
        log_error("cache %s: refusing a batch of %zu records (at most %d)", c->path, n,
                  CACHE_PUT_MANY_MAX);
        return CACHE_ERROR;
    }
    len = xmalloc(n * sizeof *len);
    if (!cache_put_many_check(c, domains, entries, n, len, &total)) {
        free(len);
        return CACHE_ERROR;
    }
    buf = p = xmalloc(total);
    for (size_t i = 0; i < n; i++) {
        if (entry_encode(entries[i], p, len[i]) != len[i]) {
            log_error("cache %s: entry for %s encodes inconsistently; nothing of its batch of "
                      "%zu stored",
                      c->path, domains[i], n);
            free(buf);
            free(len);
            return CACHE_ERROR;
        }
        p += len[i];
    }
    a.domains = domains;
    a.entries = entries;
    a.len = len;
    a.buf = buf;
    a.n = n;
    for (size_t i = 0; i < n; i++)
        cache_changing(c, domains[i]);
    rc = cache_put_txn(c, cache_put_many_fn, &a);
    free(buf);
    free(len);
    if (rc == MDB_MAP_FULL) {
        log_error("cache %s: full (cache_max_size %" PRIu64 " KiB) and nothing expired to "
                  "evict; a batch of %zu records (%s first) not stored: raise cache_max_size "
                  "or flush entries",
                  c->path, c->limit >> 10, n, domains[0]);
        return CACHE_ERROR;
    }
    if (rc != 0) {
        cache_log_failure(c, "store of the batch starting with", domains[0], rc);
        return CACHE_ERROR;
    }
    return CACHE_OK;
}

enum cache_status cache_del(struct cache *c, const char *domain)
{
    MDB_val key;
    size_t len;
    int rc;

    if (!cache_usable(c))
        return CACHE_ERROR;
    len = domain ? strlen(domain) : 0;
    if (!cache_key_valid(domain, len))
        return CACHE_NOTFOUND;
    key.mv_data = (void *)domain;
    key.mv_size = len;
    cache_changing(c, domain);
    rc = cache_write_txn(c, c->limit, cache_del_fn, &key);
    cache_map_settle(c);
    if (rc == MDB_NOTFOUND)
        return CACHE_NOTFOUND;
    if (rc != 0) {
        cache_log_failure(c, "delete", domain, rc);
        return CACHE_ERROR;
    }
    return CACHE_OK;
}

static int cache_clear_fn(struct cache *c, MDB_txn *txn, void *arg)
{
    MDB_stat st;
    int rc = mdb_stat(txn, c->dbi, &st);

    if (rc == 0)
        rc = mdb_drop(txn, c->dbi, 0);
    if (rc == 0)
        *(size_t *)arg = st.ms_entries;
    return rc;
}

enum cache_status cache_clear(struct cache *c, size_t *n)
{
    size_t count = 0;
    int rc;

    if (n != NULL)
        *n = 0;
    if (!cache_usable(c))
        return CACHE_ERROR;
    cache_changing(c, NULL);
    rc = cache_write_txn(c, c->limit, cache_clear_fn, &count);
    cache_map_settle(c);
    if (rc != 0) {
        cache_log_failure(c, "clear", NULL, rc);
        return CACHE_ERROR;
    }
    cache_census_reset(c, true);
    if (n != NULL)
        *n = count;
    return CACHE_OK;
}

/* ---- scanning ---- */

struct scan_item {
    char domain[DOMAIN_BUFSZ];
    struct entry e;
};

/* Position cur at the first key after `from` (or the first key). */
static int cache_cursor_after(MDB_cursor *cur, const void *from, size_t from_len, MDB_val *key,
                              MDB_val *val)
{
    int rc;

    if (from_len == 0)
        return mdb_cursor_get(cur, key, val, MDB_FIRST);
    key->mv_data = (void *)from;
    key->mv_size = from_len;
    rc = mdb_cursor_get(cur, key, val, MDB_SET_RANGE);
    if (rc == 0 && key->mv_size == from_len && memcmp(key->mv_data, from, from_len) == 0)
        rc = mdb_cursor_get(cur, key, val, MDB_NEXT);
    return rc;
}

static void cache_warn_undecodable(const struct cache *c, const MDB_val *key, const MDB_val *val)
{
    char safe[DOMAIN_BUFSZ];

    log_warning("cache %s: record for %s (%zu bytes) does not decode; skipped", c->path,
                log_sanitize(key->mv_data, key->mv_size, safe, sizeof safe), val->mv_size);
}

enum cache_status cache_scan(struct cache *c, const char *after, size_t max, cache_scan_cb cb,
                             void *arg, char next[DOMAIN_BUFSZ], bool *done)
{
    struct scan_item *items;
    char last[DOMAIN_BUFSZ] = "";
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val key, val;
    size_t from_len, n = 0, i;
    bool end = false;
    int rc;

    *done = false;
    from_len = after ? strlen(after) : 0;
    if (from_len > DOMAIN_MAX)
        from_len = DOMAIN_MAX; /* a prefix sorts before the key itself */
    if (next != after) {
        memcpy(next, after ? after : "", from_len);
        next[from_len] = '\0';
    }
    if (!cache_usable(c) || cb == NULL)
        return CACHE_ERROR;
    if (max == 0)
        return CACHE_OK;
    if (max > CACHE_SCAN_MAX)
        max = CACHE_SCAN_MAX;

    rc = cache_txn_begin(c, MDB_RDONLY, &txn);
    if (rc != 0) {
        cache_log_failure(c, "scan", NULL, rc);
        return CACHE_ERROR;
    }
    rc = mdb_cursor_open(txn, c->dbi, &cur);
    if (rc != 0) {
        mdb_txn_abort(txn);
        cache_log_failure(c, "scan", NULL, rc);
        return CACHE_ERROR;
    }
    items = xcalloc(max, sizeof *items);
    for (rc = cache_cursor_after(cur, next, from_len, &key, &val); rc == 0 && n < max;
         rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
        if (!cache_key_valid(key.mv_data, key.mv_size))
            continue; /* not ours; cache_evict_expired() removes it */
        memcpy(last, key.mv_data, key.mv_size);
        last[key.mv_size] = '\0';
        entry_init(&items[n].e);
        if (!entry_decode(val.mv_data, val.mv_size, &items[n].e)) {
            entry_clear(&items[n].e);
            cache_warn_undecodable(c, &key, &val);
            continue;
        }
        memcpy(items[n].domain, last, key.mv_size + 1);
        n++;
    }
    if (rc == MDB_NOTFOUND)
        end = true;
    else if (rc != 0) {
        mdb_cursor_close(cur);
        mdb_txn_abort(txn);
        for (i = 0; i < n; i++)
            entry_clear(&items[i].e);
        free(items);
        if (cache_is_damage(rc)) {
            /* The records read so far came from the damaged file: drop
             * them; the new cache is empty, so the scan is complete. */
            if (!cache_recover(c, mdb_strerror(rc), true))
                return CACHE_ERROR;
            *done = true;
            return CACHE_OK;
        }
        cache_log_failure(c, "scan", NULL, rc);
        return CACHE_ERROR;
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);

    /* The transaction is over: cb may read and write the cache. */
    for (i = 0; i < n; i++) {
        bool go_on = cb(arg, items[i].domain, &items[i].e);
        entry_clear(&items[i].e);
        if (!go_on && i + 1 < n) {
            strcpy(next, items[i].domain);
            for (i++; i < n; i++)
                entry_clear(&items[i].e);
            free(items);
            return CACHE_OK;
        }
    }
    free(items);
    if (last[0] != '\0')
        strcpy(next, last);
    *done = end;
    return CACHE_OK;
}

/* ---- eviction ---- */

struct evict_arg {
    int64_t now;
    size_t want;                         /* most deletions this transaction */
    unsigned char *keys;                 /* CACHE_EVICT_BATCH * CACHE_KEY_BUFSZ */
    size_t *key_len;                     /* CACHE_EVICT_BATCH */
    unsigned char from[CACHE_KEY_BUFSZ]; /* resume after this key */
    size_t from_len;
    unsigned char last[CACHE_KEY_BUFSZ]; /* out: last key examined */
    size_t last_len;
    size_t deleted; /* out */
    bool end;       /* out: reached the last record */
};

/* A record holds nothing valid at `now`: no unexpired policy, no negative
 * answer still in force -- or it is not an mtastsd record at all. */
static bool cache_evictable(const MDB_val *key, const MDB_val *val, int64_t now)
{
    struct entry e;
    bool ev;

    if (!cache_key_valid(key->mv_data, key->mv_size))
        return true;
    entry_init(&e);
    if (!entry_decode(val->mv_data, val->mv_size, &e))
        return true;
    ev = (e.policy == NULL || e.expires_at <= now) && e.negative_until <= now;
    entry_clear(&e);
    return ev;
}

static int cache_evict_fn(struct cache *c, MDB_txn *txn, void *arg)
{
    struct evict_arg *a = arg;
    MDB_cursor *cur;
    MDB_val key, val;
    size_t n = 0, seen = 0;
    int rc;

    a->deleted = 0;
    a->end = false;
    a->last_len = 0;
    rc = mdb_cursor_open(txn, c->dbi, &cur);
    if (rc != 0)
        return rc;
    for (rc = cache_cursor_after(cur, a->from, a->from_len, &key, &val);
         rc == 0 && n < a->want && seen < CACHE_EVICT_SCAN;
         rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
        seen++;
        if (key.mv_size >= CACHE_KEY_BUFSZ)
            continue; /* cannot happen with LMDB's default key limit */
        memcpy(a->last, key.mv_data, key.mv_size);
        a->last_len = key.mv_size;
        if (!cache_evictable(&key, &val, a->now))
            continue;
        memcpy(a->keys + n * CACHE_KEY_BUFSZ, key.mv_data, key.mv_size);
        a->key_len[n++] = key.mv_size;
    }
    mdb_cursor_close(cur);
    if (rc == MDB_NOTFOUND)
        a->end = true;
    else if (rc != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        key.mv_data = a->keys + i * CACHE_KEY_BUFSZ;
        key.mv_size = a->key_len[i];
        cache_census_old(c, txn, &key);
        rc = mdb_del(txn, c->dbi, &key, NULL);
        if (rc != 0)
            return rc;
    }
    a->deleted = n;
    return 0;
}

enum cache_status cache_evict_expired(struct cache *c, int64_t now, size_t max, size_t *n)
{
    struct evict_arg *a;
    size_t total = 0;
    int rc = 0;

    if (n != NULL)
        *n = 0;
    if (!cache_usable(c))
        return CACHE_ERROR;
    cache_changing(c, NULL);
    a = xcalloc(1, sizeof *a);
    a->keys = xmalloc(CACHE_EVICT_BATCH * CACHE_KEY_BUFSZ);
    a->key_len = xcalloc(CACHE_EVICT_BATCH, sizeof *a->key_len);
    a->now = now;
    do {
        a->want = CACHE_EVICT_BATCH;
        if (max != 0 && max - total < a->want)
            a->want = max - total;
        rc = cache_write_txn(c, c->limit, cache_evict_fn, a);
        if (rc != 0)
            break;
        total += a->deleted;
        memcpy(a->from, a->last, a->last_len);
        a->from_len = a->last_len;
    } while (!a->end && (max == 0 || total < max));
    free(a->keys);
    free(a->key_len);
    free(a);
    if (n != NULL)
        *n = total;
    if (total > 0)
        log_info("cache %s: evicted %zu records with nothing valid left", c->path, total);
    if (rc != 0) {
        cache_log_failure(c, "eviction", NULL, rc);
        return CACHE_ERROR;
    }
    return CACHE_OK;
}

/* ---- statistics ---- */

enum cache_status cache_stat(struct cache *c, struct cache_stat *out)
{
    MDB_txn *txn;
    MDB_stat st;
    MDB_envinfo info;
    int rc;

    memset(out, 0, sizeof *out);
    if (!cache_usable(c))
        return CACHE_ERROR;
    rc = cache_txn_begin(c, MDB_RDONLY, &txn);
    if (rc == 0) {
        rc = mdb_stat(txn, c->dbi, &st);
        mdb_txn_abort(txn);
    }
    if (rc == 0)
        rc = mdb_env_info(c->env, &info);
    if (rc != 0) {
        cache_log_failure(c, "stat", NULL, rc);
        return CACHE_ERROR;
    }
    out->entries = st.ms_entries;
    out->map_size = info.me_mapsize;
    out->used_bytes = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
    out->max_size = c->limit;
    return CACHE_OK;
}

void cache_census(const struct cache *c, struct cache_census *out)
{
    *out = c->census;
}

bool cache_census_step(struct cache *c, size_t max)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    MDB_val key, val;
    struct entry e;
    struct cache_census_delta d;
    size_t n = 0;
    int rc;

    if (c->census.complete)
        return true;
    if (!cache_usable(c))
        return false;
    if (max > CACHE_SCAN_MAX)
        max = CACHE_SCAN_MAX;
    rc = cache_txn_begin(c, MDB_RDONLY, &txn);
    if (rc != 0) {
        cache_log_failure(c, "census", NULL, rc);
        return false;
    }
    rc = mdb_cursor_open(txn, c->dbi, &cur);
    if (rc != 0) {
        mdb_txn_abort(txn);
        cache_log_failure(c, "census", NULL, rc);
        return false;
    }
    memset(&d, 0, sizeof d);
    for (rc = cache_cursor_after(cur, c->census_after, c->census_after_len, &key, &val);
         rc == 0 && n < max; rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
        n++;
        if (key.mv_size >= CACHE_KEY_BUFSZ)
            continue; /* cannot happen with LMDB's default key limit */
        memcpy(c->census_after, key.mv_data, key.mv_size);
        c->census_after_len = key.mv_size;
        if (!cache_key_valid(key.mv_data, key.mv_size))
            continue;
        entry_init(&e);
        if (entry_decode(val.mv_data, val.mv_size, &e))
            cache_census_count(&d, &e, +1);
        entry_clear(&e);
    }
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    if (rc != 0 && rc != MDB_NOTFOUND) {
        /* d holds the records up to census_after: they stay counted, and
         * the next step resumes after them. */
        if (cache_is_damage(rc))
            (void)cache_recover(c, mdb_strerror(rc), true);
        else
            cache_log_failure(c, "census", NULL, rc);
    }
    if (c->census.complete)
        return true; /* a recovery above emptied the cache */
    memcpy(&c->delta, &d, sizeof d);
    cache_census_commit(c);
    if (rc == MDB_NOTFOUND) {
        c->census.complete = true;
        log_debug("cache %s: census complete: %" PRIu64 " enforce, %" PRIu64 " testing, %" PRIu64
                  " none, %" PRIu64 " negative, %" PRIu64 " failing",
                  c->path, c->census.policies[STS_MODE_ENFORCE],
                  c->census.policies[STS_MODE_TESTING], c->census.policies[STS_MODE_NONE],
                  c->census.negative, c->census.failing);
    }
    return c->census.complete;
}

size_t cache_count(struct cache *c)
{
    struct cache_stat st;

    if (cache_stat(c, &st) != CACHE_OK)
        return 0;
    return (size_t)st.entries;
}

uint64_t cache_map_size(struct cache *c)
{
    return c ? c->map_size : 0;
}

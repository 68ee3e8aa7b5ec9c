/*
 * cache - the persistent policy cache in LMDB (see cache.h).  The only
 * file that includes <lmdb.h>.
 *
 * Public functions: cache_open(), cache_close(), cache_get(), cache_put(),
 * cache_put_many(), cache_del(), cache_clear(), cache_scan(),
 * cache_evict_expired(), cache_count(), cache_map_size(), cache_stat(),
 * cache_set_change_hook().
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
 * Self-healing (STYLE practice 8):
 *   - open: mdb_reader_check() clears reader slots of dead processes;
 *   - MDB_MAP_RESIZED (another process grew the map): adopt the size
 *     recorded in the file (mdb_env_set_mapsize(env, 0)) and retry;
 *   - MDB_READERS_FULL: clear stale readers and retry once;
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
 * after make_room()), so a batch is never half stored.
 *
 * Ownership: the handle owns the environment; cache_get() hands the caller
 * a decoded entry (caller calls entry_clear()).  The handle belongs to the
 * process that opened it: after fork() the child gets CACHE_ERROR (and
 * cache_close() in the child only frees memory).  The check costs no
 * system call: a pthread_atfork() child handler bumps a fork generation
 * that each handle compares with the one it was opened in.
 *
 * Diagnostics: failures are logged at error level with the file name and
 * the LMDB message; undecodable records at warning level with the domain;
 * map growth and evictions at info level.  cache_open() writes its reason
 * to err (file name, cause, and how to fix it) and logs nothing.
 */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "cache.h"
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

struct cache {
    MDB_env *env;
    MDB_dbi dbi;
    char *path;             /* state_dir/cache.mdb, for messages */
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

/* A write step run inside write_txn(); it must be safe to repeat. */
typedef int (*cache_write_fn)(struct cache *c, MDB_txn *txn, void *arg);

static uint64_t round_down(uint64_t v, uint64_t page)
{
    return v - v % page;
}

static uint64_t round_up(uint64_t v, uint64_t page)
{
    uint64_t r = v % page;
    return r ? v + (page - r) : v;
}

/* Keys are policy domains: 1-DOMAIN_MAX printable, non-space bytes. */
static bool key_valid(const void *key, size_t len)
{
    const unsigned char *p = key;

    if (len == 0 || len > DOMAIN_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (p[i] <= 0x20 || p[i] >= 0x7f)
            return false;
    return true;
}

static bool usable(struct cache *c)
{
    if (c == NULL)
        return false;
    if (c->gen != cache_fork_gen) {
        log_error("cache %s: used in a child process; the cache must be opened after fork",
                  c->path);
        return false;
    }
    return true;
}

static bool is_file_problem(int rc)
{
    return rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH || rc == MDB_CORRUPTED ||
           rc == MDB_PAGE_NOTFOUND || rc == MDB_INCOMPATIBLE || rc == MDB_BAD_DBI ||
           rc == MDB_PANIC;
}

static void log_failure(const struct cache *c, const char *what, const char *domain, int rc)
{
    log_error("cache %s: %s%s%s failed: %s%s", c->path, what, domain ? " " : "",
              domain ? domain : "", mdb_strerror(rc),
              is_file_problem(rc) ? " (the file is damaged: stop mtastsd and move it aside)" : "");
}

/* Re-read the map size LMDB actually uses. */
static void map_refresh(struct cache *c)
{
    MDB_envinfo info;

    if (mdb_env_info(c->env, &info) == 0)
        c->map_size = info.me_mapsize;
}

/* Set the map size (no transaction may be open).  LMDB never maps less
 * than the file already uses, so a shrink request may leave it larger. */
static bool map_set(struct cache *c, uint64_t size)
{
    int rc = mdb_env_set_mapsize(c->env, (size_t)size);

    if (rc != 0) {
        log_error("cache %s: cannot set map size to %" PRIu64 " bytes: %s", c->path, size,
                  mdb_strerror(rc));
        return false;
    }
    map_refresh(c);
    return true;
}

/* Double the map, up to ceiling.  False if already there or on error. */
static bool map_grow(struct cache *c, uint64_t ceiling)
{
    uint64_t old = c->map_size;
    uint64_t want;

    if (old >= ceiling)
        return false;
    want = old > ceiling / 2 ? ceiling : round_up(old * 2, c->page);
    if (want > ceiling)
        want = ceiling;
    if (!map_set(c, want))
        return false;
    log_info("cache %s: map grown from %" PRIu64 " to %" PRIu64 " KiB (cache_max_size %" PRIu64
             " KiB)",
             c->path, old >> 10, c->map_size >> 10, c->limit >> 10);
    return c->map_size > old;
}

/* After a deletion used the reserve: give it back to future deletions. */
static void map_settle(struct cache *c)
{
    if (c->map_size > c->put_cap)
        (void)map_set(c, c->put_cap);
}

/* mdb_txn_begin() with recovery from MAP_RESIZED and READERS_FULL. */
static int txn_begin(struct cache *c, unsigned int flags, MDB_txn **txn)
{
    int rc = 0;

    for (int attempt = 0; attempt < 3; attempt++) {
        rc = mdb_txn_begin(c->env, NULL, flags, txn);
        if (rc == MDB_MAP_RESIZED) {
            uint64_t old = c->map_size;
            if (!map_set(c, 0))
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

/*
 * Run fn in a write transaction and commit.  On MDB_MAP_FULL (from fn or
 * from the commit) the transaction is gone; grow the map up to ceiling
 * and run fn again.  Returns an LMDB status; fn's own non-zero status
 * (e.g. MDB_NOTFOUND) is returned as is.
 */
static int write_txn(struct cache *c, uint64_t ceiling, cache_write_fn fn, void *arg)
{
    int rc = 0;

    for (int attempt = 0; attempt < CACHE_RETRIES; attempt++) {
        MDB_txn *txn;

        rc = txn_begin(c, 0, &txn);
        if (rc != 0)
            return rc;
        rc = fn(c, txn, arg);
        if (rc == 0)
            rc = mdb_txn_commit(txn); /* frees txn, also on failure */
        else
            mdb_txn_abort(txn);
        if (rc != MDB_MAP_FULL || !map_grow(c, ceiling))
            return rc;
    }
    return rc;
}

/* ---- open / close ---- */

static void open_fail(char *err, size_t errsz, const char *path, int rc)
{
    if (is_file_problem(rc))
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

struct cache *cache_open(const char *state_dir, uint64_t max_size, char *err, size_t errsz)
{
    struct cache *c;
    struct stat st;
    MDB_txn *txn;
    unsigned int dbflags = 0;
    uint64_t initial;
    uint64_t reserve;
    long psz;
    int n, rc, dead = 0;

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
    n = snprintf(NULL, 0, "%s/%s", state_dir, CACHE_FILE);
    c->path = xmalloc((size_t)n + 1);
    snprintf(c->path, (size_t)n + 1, "%s/%s", state_dir, CACHE_FILE);

    psz = sysconf(_SC_PAGESIZE);
    c->page = psz > 0 ? (uint64_t)psz : 4096;
    if (max_size < CACHE_MIN_MAX)
        max_size = CACHE_MIN_MAX;
    if (max_size > (uint64_t)SIZE_MAX / 2)
        max_size = (uint64_t)SIZE_MAX / 2;
    c->limit = round_down(max_size, c->page);
    reserve = round_up(c->limit / 32, c->page);
    if (reserve < 32 * c->page)
        reserve = 32 * c->page;
    c->put_cap = c->limit - reserve;

    initial = CACHE_INITIAL_MAP;
    if (stat(c->path, &st) == 0) {
        if (!S_ISREG(st.st_mode)) {
            snprintf(err, errsz, "cache %s is not a regular file; move it aside", c->path);
            goto fail;
        }
        if ((uint64_t)st.st_size > initial)
            initial = (uint64_t)st.st_size;
    }
    initial = round_up(initial, c->page);
    if (initial > c->put_cap)
        initial = c->put_cap;

    rc = mdb_env_create(&c->env);
    if (rc == 0)
        rc = mdb_env_set_maxreaders(c->env, CACHE_MAXREADERS);
    if (rc == 0)
        rc = mdb_env_set_mapsize(c->env, (size_t)initial);
    if (rc == 0)
        rc = mdb_env_open(c->env, c->path, MDB_NOSUBDIR | MDB_NOTLS | MDB_NOMETASYNC, 0600);
    if (rc != 0) {
        open_fail(err, errsz, c->path, rc);
        goto fail;
    }
    if (mdb_reader_check(c->env, &dead) == 0 && dead > 0)
        log_info("cache %s: cleared %d reader slots left by dead processes", c->path, dead);
    /* The file's lock table may be smaller than ours if another program
     * created it; keep a slot between calls only when there are plenty. */
    unsigned int readers = 0;
    c->keep_rtxn =
        mdb_env_get_maxreaders(c->env, &readers) == 0 && readers >= CACHE_KEEP_READERS_MIN;
    if (mdb_env_get_maxkeysize(c->env) < DOMAIN_MAX) {
        snprintf(err, errsz, "cache %s: LMDB built with keys shorter than %d bytes", c->path,
                 DOMAIN_MAX);
        goto fail;
    }
    map_refresh(c);

    rc = txn_begin(c, 0, &txn);
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
        open_fail(err, errsz, c->path, rc);
        goto fail;
    }
    if ((dbflags & ~(unsigned int)MDB_CREATE) != 0) {
        snprintf(err, errsz,
                 "cache %s is an LMDB file of another program (database flags 0x%x); move it "
                 "aside",
                 c->path, dbflags);
        goto fail;
    }
    log_debug("cache %s: opened, map %" PRIu64 " KiB, limit %" PRIu64 " KiB", c->path,
              c->map_size >> 10, c->limit >> 10);
    return c;

fail:
    if (c->env != NULL)
        mdb_env_close(c->env);
    free(c->path);
    free(c);
    return NULL;
}

void cache_close(struct cache *c)
{
    if (c == NULL)
        return;
    if (c->pid == getpid() && c->gen == cache_fork_gen) {
        if (c->rtxn != NULL)
            mdb_txn_abort(c->rtxn);
        (void)mdb_env_sync(c->env, 1); /* the meta page NOMETASYNC deferred */
        mdb_env_close(c->env);
    }
    free(c->path);
    free(c);
}

/* ---- single records ---- */

/* End cache_get()'s read transaction: keep the handle (and its reader
 * slot) for the next call, or give both back if the slot is scarce. */
static void read_done(struct cache *c, MDB_txn *txn)
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
    if (!usable(c))
        return CACHE_ERROR;
    len = domain ? strlen(domain) : 0;
    if (!key_valid(domain, len))
        return CACHE_NOTFOUND;
    txn = c->rtxn;
    c->rtxn = NULL;
    if (txn != NULL && mdb_txn_renew(txn) != 0) {
        mdb_txn_abort(txn); /* e.g. MDB_MAP_RESIZED: start over below */
        txn = NULL;
    }
    if (txn == NULL) {
        rc = txn_begin(c, MDB_RDONLY, &txn);
        if (rc != 0) {
            log_failure(c, "read", domain, rc);
            return CACHE_ERROR;
        }
    }
    key.mv_data = (void *)domain;
    key.mv_size = len;
    rc = mdb_get(txn, c->dbi, &key, &val);
    if (rc != 0) {
        read_done(c, txn);
        if (rc == MDB_NOTFOUND)
            return CACHE_NOTFOUND;
        log_failure(c, "read", domain, rc);
        return CACHE_ERROR;
    }
    ok = entry_decode(val.mv_data, val.mv_size, out);
    read_done(c, txn);
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
};

static int put_fn(struct cache *c, MDB_txn *txn, void *arg)
{
    struct put_arg *a = arg;

    return mdb_put(txn, c->dbi, &a->key, &a->val, 0);
}

static int del_fn(struct cache *c, MDB_txn *txn, void *arg)
{
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
static int touch_fn(struct cache *c, MDB_txn *txn, void *arg)
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
static void make_room(struct cache *c)
{
    size_t n = 0;

    log_warning("cache %s: full at %" PRIu64 " KiB (cache_max_size %" PRIu64
                " KiB); evicting expired records",
                c->path, c->map_size >> 10, c->limit >> 10);
    if (c->map_size < c->limit)
        (void)map_set(c, c->limit);
    (void)cache_evict_expired(c, (int64_t)time(NULL), 0, &n);
    /* also when nothing was evicted: the pages of an earlier deletion
     * (cache_del, cache_clear) are just as out of reach */
    (void)write_txn(c, c->limit, touch_fn, NULL);
    map_settle(c);
}

/* A put step (fn) under the put cap; when the map is full there, make
 * room once and run the whole step again.  Returns an LMDB status. */
static int put_txn(struct cache *c, cache_write_fn fn, void *arg)
{
    int rc = write_txn(c, c->put_cap, fn, arg);

    if (rc == MDB_MAP_FULL) {
        make_room(c);
        rc = write_txn(c, c->put_cap, fn, arg);
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

    if (!usable(c) || e == NULL)
        return CACHE_ERROR;
    len = domain ? strlen(domain) : 0;
    if (!key_valid(domain, len)) {
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
    cache_changing(c, domain);
    rc = put_txn(c, put_fn, &a);
    if (buf != stackbuf)
        free(buf);
    if (rc == MDB_MAP_FULL) {
        log_error("cache %s: full (cache_max_size %" PRIu64 " KiB) and nothing expired to "
                  "evict; %s not stored: raise cache_max_size or flush entries",
                  c->path, c->limit >> 10, domain);
        return CACHE_ERROR;
    }
    if (rc != 0) {
        log_failure(c, "store", domain, rc);
        return CACHE_ERROR;
    }
    return CACHE_OK;
}

struct put_many_arg {
    const char *const *domains;
    const size_t *len;        /* encoded size of each record */
    const unsigned char *buf; /* the records back to back */
    size_t n;
};

/* Every record of the batch, in order (a later duplicate wins). */
static int put_many_fn(struct cache *c, MDB_txn *txn, void *arg)
{
    const struct put_many_arg *a = arg;
    const unsigned char *v = a->buf;

    for (size_t i = 0; i < a->n; i++) {
        MDB_val key = {.mv_size = strlen(a->domains[i]), .mv_data = (void *)a->domains[i]};
        MDB_val val = {.mv_size = a->len[i], .mv_data = (void *)v};
        int rc = mdb_put(txn, c->dbi, &key, &val, 0);

        if (rc != 0)
            return rc;
        v += a->len[i];
    }
    return 0;
}

/* Check every key and size every record; false (logged) if one is bad. */
static bool put_many_check(struct cache *c, const char *const *domains,
                           const struct entry *const *entries, size_t n, size_t *len, size_t *total)
{
    *total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t klen = domains[i] ? strlen(domains[i]) : 0;

        if (!key_valid(domains[i], klen)) {
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

    if (!usable(c))
        return CACHE_ERROR;
    if (n == 0)
        return CACHE_OK;
    if (domains == NULL || entries == NULL || n > CACHE_PUT_MANY_MAX) {
        log_error("cache %s: refusing a batch of %zu records (at most %d)", c->path, n,
                  CACHE_PUT_MANY_MAX);
        return CACHE_ERROR;
    }
    len = xmalloc(n * sizeof *len);
    if (!put_many_check(c, domains, entries, n, len, &total)) {
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
    a.len = len;
    a.buf = buf;
    a.n = n;
    for (size_t i = 0; i < n; i++)
        cache_changing(c, domains[i]);
    rc = put_txn(c, put_many_fn, &a);
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
        log_failure(c, "store of the batch starting with", domains[0], rc);
        return CACHE_ERROR;
    }
    return CACHE_OK;
}

enum cache_status cache_del(struct cache *c, const char *domain)
{
    MDB_val key;
    size_t len;
    int rc;

    if (!usable(c))
        return CACHE_ERROR;
    len = domain ? strlen(domain) : 0;
    if (!key_valid(domain, len))
        return CACHE_NOTFOUND;
    key.mv_data = (void *)domain;
    key.mv_size = len;
    cache_changing(c, domain);
    rc = write_txn(c, c->limit, del_fn, &key);
    map_settle(c);
    if (rc == MDB_NOTFOUND)
        return CACHE_NOTFOUND;
    if (rc != 0) {
        log_failure(c, "delete", domain, rc);
        return CACHE_ERROR;
    }
    return CACHE_OK;
}

static int clear_fn(struct cache *c, MDB_txn *txn, void *arg)
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
    if (!usable(c))
        return CACHE_ERROR;
    cache_changing(c, NULL);
    rc = write_txn(c, c->limit, clear_fn, &count);
    map_settle(c);
    if (rc != 0) {
        log_failure(c, "clear", NULL, rc);
        return CACHE_ERROR;
    }
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
static int cursor_after(MDB_cursor *cur, const void *from, size_t from_len, MDB_val *key,
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

static void warn_undecodable(const struct cache *c, const MDB_val *key, const MDB_val *val)
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
    if (!usable(c) || cb == NULL)
        return CACHE_ERROR;
    if (max == 0)
        return CACHE_OK;
    if (max > CACHE_SCAN_MAX)
        max = CACHE_SCAN_MAX;

    rc = txn_begin(c, MDB_RDONLY, &txn);
    if (rc != 0) {
        log_failure(c, "scan", NULL, rc);
        return CACHE_ERROR;
    }
    rc = mdb_cursor_open(txn, c->dbi, &cur);
    if (rc != 0) {
        mdb_txn_abort(txn);
        log_failure(c, "scan", NULL, rc);
        return CACHE_ERROR;
    }
    items = xcalloc(max, sizeof *items);
    for (rc = cursor_after(cur, next, from_len, &key, &val); rc == 0 && n < max;
         rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
        if (!key_valid(key.mv_data, key.mv_size))
            continue; /* not ours; cache_evict_expired() removes it */
        memcpy(last, key.mv_data, key.mv_size);
        last[key.mv_size] = '\0';
        entry_init(&items[n].e);
        if (!entry_decode(val.mv_data, val.mv_size, &items[n].e)) {
            entry_clear(&items[n].e);
            warn_undecodable(c, &key, &val);
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
        log_failure(c, "scan", NULL, rc);
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
static bool evictable(const MDB_val *key, const MDB_val *val, int64_t now)
{
    struct entry e;
    bool ev;

    if (!key_valid(key->mv_data, key->mv_size))
        return true;
    entry_init(&e);
    if (!entry_decode(val->mv_data, val->mv_size, &e))
        return true;
    ev = (e.policy == NULL || e.expires_at <= now) && e.negative_until <= now;
    entry_clear(&e);
    return ev;
}

static int evict_fn(struct cache *c, MDB_txn *txn, void *arg)
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
    for (rc = cursor_after(cur, a->from, a->from_len, &key, &val);
         rc == 0 && n < a->want && seen < CACHE_EVICT_SCAN;
         rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
        seen++;
        if (key.mv_size >= CACHE_KEY_BUFSZ)
            continue; /* cannot happen with LMDB's default key limit */
        memcpy(a->last, key.mv_data, key.mv_size);
        a->last_len = key.mv_size;
        if (!evictable(&key, &val, a->now))
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
    if (!usable(c))
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
        rc = write_txn(c, c->limit, evict_fn, a);
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
        log_failure(c, "eviction", NULL, rc);
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
    if (!usable(c))
        return CACHE_ERROR;
    rc = txn_begin(c, MDB_RDONLY, &txn);
    if (rc == 0) {
        rc = mdb_stat(txn, c->dbi, &st);
        mdb_txn_abort(txn);
    }
    if (rc == 0)
        rc = mdb_env_info(c->env, &info);
    if (rc != 0) {
        log_failure(c, "stat", NULL, rc);
        return CACHE_ERROR;
    }
    out->entries = st.ms_entries;
    out->map_size = info.me_mapsize;
    out->used_bytes = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
    out->max_size = c->limit;
    return CACHE_OK;
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

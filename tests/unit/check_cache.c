/*
 * check_cache - Check tests for src/cache.c against a real LMDB
 * environment in a fresh temporary directory per test (mkdtemp under
 * $TMPDIR, /dev/shm or /tmp; removed even when a test fails).
 *
 * Covered: put/get/del round trips with and without a policy, overwrite,
 * absent and invalid keys, clear, scan in batches with resume (every key
 * once, in order), scan callbacks that write to the cache, stop early and
 * take the policy, map growth, a full map at max_size with and without
 * evictable records, eviction rules, reopen and kill -9 durability,
 * undecodable records and foreign keys planted through a second LMDB
 * environment, a map grown by another process (MDB_MAP_RESIZED), stale
 * readers left by a dead process, non-LMDB files and unusable
 * directories at open, and use after fork.  cache_put_many(): empty, one,
 * many and the cap, a domain twice in one batch (the later wins), batches
 * refused whole (an entry that does not encode, a bad or NULL key, over
 * the cap) with the earlier data untouched, the change hook per domain
 * before the write, a batch that grows the map mid-transaction, one that
 * evicts at max_size, and one that cannot fit (refused whole).
 * The census: every kind counted where cache.h says, a walk in small
 * steps over records written before the open with random writes
 * (puts, deletes, batches with a domain twice) before and after its
 * position, eviction and clear, compared with a full recount.
 * Damage: a file cut while stopped (to half, to a few pages, before its
 * second meta page) or while open (to zero and to half, before each
 * operation), a cut lock file, zeroed pages, a damaged file that cannot
 * be moved aside (read-only bind mount), a full file system (tmpfs) whose
 * short writes must be named as such, a long workload with reopens that
 * must never read as damaged, and a second owner of state_dir refused.
 * MDB_PANIC: a real failed meta page write (tests/tools/meta_eio.c makes
 * LMDB's pwrite() of a meta page fail with EIO), then each kind of call
 * first (get with a kept reader, put, del, scan, stat, evict, count)
 * must reopen once, log one line and find the earlier data; a disk that
 * keeps failing is reopened once and then rests; a reopen that fails
 * leaves the cache unusable with one line.
 * The file-system tests mount a tmpfs in a private mount namespace of the
 * test process (as root, or in a user namespace).
 *
 * Log lines are captured by redirecting stderr (log.c writes there when
 * not opened for syslog) so that tests can check they name the file or
 * domain.  This test includes <lmdb.h> itself only to damage the file.
 */
#include "autoconfig.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>

#include "cache.h"
#include "entry.h"
#include "log.h"
#include "meta_eio.h"
#include "sts_policy.h"

#define MiB ((uint64_t)1 << 20)
#define NOW ((int64_t)1700000000)

static char dir[320];
static char dbpath[360];

/* ---- fixture ---------------------------------------------------------- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static char base[256]; /* per test case, removed by the unchecked teardown */

/* Under $TMPDIR, else /dev/shm (every commit syncs: tmpfs keeps the
 * thousands of puts below fast), else /tmp. */
static void base_setup(void)
{
    const char *tmp = getenv("TMPDIR");
    struct stat st;

    if (tmp == NULL || *tmp == '\0')
        tmp = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0
                  ? "/dev/shm"
                  : "/tmp";
    snprintf(base, sizeof base, "%s/check_cache.XXXXXX", tmp);
    if (mkdtemp(base) == NULL) {
        perror(base);
        abort();
    }
    /* the unwritable-directory test runs as nobody when root */
    chmod(base, 0755);
}

static void base_teardown(void)
{
    nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Runs in the forked test process: a fresh directory per test. */
static void setup(void)
{
    snprintf(dir, sizeof dir, "%s/t.XXXXXX", base);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(dbpath, sizeof dbpath, "%s/cache.mdb", dir);
}

static void teardown(void)
{
    chmod(dir, 0700);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void add_fixtures(TCase *tc)
{
    tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
}

static struct cache *open_ok(uint64_t max)
{
    char err[512];
    struct cache *c = cache_open(dir, max, err, sizeof err);

    ck_assert_msg(c != NULL, "cache_open: %s", err);
    return c;
}

/* ---- log capture (log.c writes to fd 2 in foreground mode) ------------- */

static int saved_stderr = -1;
static char capfile[360];

static void capture_start(void)
{
    int fd;

    snprintf(capfile, sizeof capfile, "%s/log.txt", dir);
    fd = open(capfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    saved_stderr = dup(2);
    dup2(fd, 2);
    close(fd);
}

/* Returns the captured text (static buffer). */
static const char *capture_end(void)
{
    static char buf[65536];
    FILE *f;
    size_t n;

    dup2(saved_stderr, 2);
    close(saved_stderr);
    f = fopen(capfile, "r");
    ck_assert_ptr_nonnull(f);
    n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* ---- entries ---------------------------------------------------------- */

static struct sts_policy *policy(const char *text)
{
    struct sts_policy *p = NULL;
    char err[256];
    enum sts_policy_status st = sts_policy_parse(text, strlen(text), &p, err, sizeof err);

    ck_assert_msg(st == STS_POLICY_OK, "policy did not parse: %s", err);
    return p;
}

#define POLICY_ENFORCE                                                                             \
    "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.net\r\nmx: *.backup.example.net\r\n"       \
    "max_age: 86400\r\n"
#define POLICY_TESTING "version: STSv1\nmode: testing\nmx: mail.example.org\nmax_age: 604800\n"
#define POLICY_NONE    "version: STSv1\nmode: none\nmax_age: 300\n"

/* A policy whose encoded entry is about `bytes` long (many mx lines). */
static struct sts_policy *big_policy(size_t bytes)
{
    size_t cap = bytes + 256;
    char *text = malloc(cap);
    size_t len;
    struct sts_policy *p;
    unsigned i;

    ck_assert_ptr_nonnull(text);
    len = (size_t)snprintf(text, cap, "version: STSv1\nmode: enforce\nmax_age: 86400\n");
    /* each mx is stored three times (mx, match, line): about 66 bytes */
    for (i = 0; len + 40 < cap && i * 66 < bytes && i < STS_POLICY_MAX_MX; i++)
        len += (size_t)snprintf(text + len, cap - len, "mx: mx%04u.mail.example.net\n", i);
    p = policy(text);
    free(text);
    return p;
}

static void entry_with(struct entry *e, const char *policy_text, const char *id)
{
    entry_init(e);
    if (policy_text != NULL) {
        entry_set_policy(e, policy(policy_text));
        snprintf(e->id, sizeof e->id, "%s", id);
        e->fetched_at = NOW - 100;
        e->expires_at = e->fetched_at + e->policy->max_age;
        e->refresh_at = NOW + 3600;
    }
    e->checked_at = NOW - 50;
}

/* Equality through the codec: same bytes means same fields and policy. */
static void assert_same(const struct entry *a, const struct entry *b)
{
    unsigned char ba[CACHE_VALUE_MAX / 16], bb[CACHE_VALUE_MAX / 16];
    size_t la = entry_encode(a, ba, sizeof ba);
    size_t lb = entry_encode(b, bb, sizeof bb);

    ck_assert_uint_gt(la, 0);
    ck_assert_uint_le(la, sizeof ba);
    ck_assert_uint_eq(la, lb);
    ck_assert(memcmp(ba, bb, la) == 0);
    ck_assert_str_eq(a->id, b->id);
    ck_assert_int_eq(a->expires_at, b->expires_at);
    ck_assert_int_eq(a->negative_until, b->negative_until);
    ck_assert_int_eq(a->policy != NULL, b->policy != NULL);
    if (a->policy != NULL) {
        ck_assert_int_eq(a->policy->mode, b->policy->mode);
        ck_assert_uint_eq(a->policy->n_mx, b->policy->n_mx);
        for (size_t i = 0; i < a->policy->n_mx; i++)
            ck_assert_str_eq(a->policy->match[i], b->policy->match[i]);
    }
}

/* ---- raw LMDB access, for damage the cache must survive ---------------- */

static void raw_put(const void *k, size_t klen, const void *v, size_t vlen, size_t mapsize)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    MDB_val key = {klen, (void *)k}, val = {vlen, (void *)v};

    ck_assert_int_eq(mdb_env_create(&env), 0);
    if (mapsize)
        ck_assert_int_eq(mdb_env_set_mapsize(env, mapsize), 0);
    ck_assert_int_eq(mdb_env_open(env, dbpath, MDB_NOSUBDIR, 0600), 0);
    ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    ck_assert_int_eq(mdb_dbi_open(txn, NULL, 0, &dbi), 0);
    ck_assert_int_eq(mdb_put(txn, dbi, &key, &val, 0), 0);
    ck_assert_int_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

/* ---- round trips ------------------------------------------------------ */

struct rt_row {
    const char *domain;
    const char *policy; /* NULL: no policy */
    const char *id;
    int64_t negative_until;
    const char *fail_id;
    uint16_t fail_count;
};

static const struct rt_row rt_rows[] = {
    {"example.com", POLICY_ENFORCE, "20240101T000000", 0, "", 0},
    {"example.org", POLICY_TESTING, "abc123", 0, "", 0},
    {"none.example", POLICY_NONE, "x", 0, "", 0},
    {"negative.example", NULL, "", NOW + 1800, "", 0},
    {"failed.example", NULL, "", 0, "newid42", 3},
    {"refresh-failing.example", POLICY_ENFORCE, "old1", 0, "new2", 7},
    {"a.b", POLICY_TESTING, "1", 0, "", 0},
    {"xn--bcher-kva.example", POLICY_ENFORCE, "idn", 0, "", 0},
    /* exactly 253 bytes */
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
     "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc."
     "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
     POLICY_ENFORCE, "long", 0, "", 0},
};

START_TEST(test_roundtrip)
{
    const struct rt_row *r = &rt_rows[_i];
    struct cache *c = open_ok(64 * MiB);
    struct entry e, got;

    ck_assert_uint_le(strlen(r->domain), DOMAIN_MAX);
    entry_with(&e, r->policy, r->id);
    e.negative_until = r->negative_until;
    snprintf(e.fail_id, sizeof e.fail_id, "%s", r->fail_id);
    e.fail_count = r->fail_count;
    if (r->fail_count)
        e.fail_at = NOW - 10;

    ck_assert_int_eq(cache_get(c, r->domain, &got), CACHE_NOTFOUND);
    entry_clear(&got);
    ck_assert_int_eq(cache_put(c, r->domain, &e), CACHE_OK);
    ck_assert_int_eq(cache_get(c, r->domain, &got), CACHE_OK);
    assert_same(&e, &got);
    ck_assert_str_eq(got.fail_id, r->fail_id);
    ck_assert_uint_eq(got.fail_count, r->fail_count);
    entry_clear(&got);
    ck_assert_uint_eq(cache_count(c), 1);

    ck_assert_int_eq(cache_del(c, r->domain), CACHE_OK);
    ck_assert_int_eq(cache_get(c, r->domain, &got), CACHE_NOTFOUND);
    ck_assert_ptr_null(got.policy);
    ck_assert_int_eq(cache_del(c, r->domain), CACHE_NOTFOUND);
    ck_assert_uint_eq(cache_count(c), 0);
    entry_clear(&e);
    cache_close(c);
}
END_TEST

START_TEST(test_large_entry_heap_path)
{
    struct cache *c = open_ok(64 * MiB);
    struct entry e, got;
    size_t need;

    entry_init(&e);
    entry_set_policy(&e, big_policy(12000));
    snprintf(e.id, sizeof e.id, "big");
    e.fetched_at = NOW;
    e.expires_at = NOW + 86400;
    need = entry_encode(&e, NULL, 0);
    ck_assert_uint_gt(need, 4096); /* larger than the stack buffer */
    ck_assert_int_eq(cache_put(c, "big.example", &e), CACHE_OK);
    ck_assert_int_eq(cache_get(c, "big.example", &got), CACHE_OK);
    assert_same(&e, &got);
    entry_clear(&got);
    entry_clear(&e);
    cache_close(c);
}
END_TEST

START_TEST(test_overwrite)
{
    struct cache *c = open_ok(64 * MiB);
    struct entry a, b, got;

    entry_with(&a, POLICY_ENFORCE, "one");
    entry_with(&b, POLICY_TESTING, "two");
    b.negative_until = 0;
    ck_assert_int_eq(cache_put(c, "example.com", &a), CACHE_OK);
    ck_assert_int_eq(cache_put(c, "example.com", &b), CACHE_OK);
    ck_assert_int_eq(cache_get(c, "example.com", &got), CACHE_OK);
    ck_assert_str_eq(got.id, "two");
    ck_assert_int_eq(got.policy->mode, STS_MODE_TESTING);
    assert_same(&b, &got);
    entry_clear(&got);
    /* and back to a negative entry without a policy */
    entry_clear(&b);
    entry_with(&b, NULL, "");
    b.negative_until = NOW + 60;
    ck_assert_int_eq(cache_put(c, "example.com", &b), CACHE_OK);
    ck_assert_int_eq(cache_get(c, "example.com", &got), CACHE_OK);
    ck_assert_ptr_null(got.policy);
    ck_assert_int_eq(got.negative_until, NOW + 60);
    entry_clear(&got);
    ck_assert_uint_eq(cache_count(c), 1);
    entry_clear(&a);
    entry_clear(&b);
    cache_close(c);
}
END_TEST

/* Keys that are not policy domains: never stored, never found. */
static const char *bad_keys[] = {
    "",
    "has space.example",
    "tab\t.example",
    "ctl\x01.example",
    "del\x7f.example",
    "high\xc3\xa9.example",
    /* 254 bytes */
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb."
    "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc."
    "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
    NULL,
};

START_TEST(test_bad_keys)
{
    const char *k = bad_keys[_i];
    struct cache *c = open_ok(64 * MiB);
    struct entry e, got;

    entry_with(&e, POLICY_ENFORCE, "id");
    capture_start();
    ck_assert_int_eq(cache_put(c, k, &e), CACHE_ERROR);
    ck_assert(strstr(capture_end(), "invalid key") != NULL);
    ck_assert_int_eq(cache_get(c, k, &got), CACHE_NOTFOUND);
    ck_assert_ptr_null(got.policy);
    ck_assert_int_eq(cache_del(c, k), CACHE_NOTFOUND);
    ck_assert_uint_eq(cache_count(c), 0);
    entry_clear(&e);
    cache_close(c);
}
END_TEST

START_TEST(test_put_unencodable_entry)
{
    struct cache *c = open_ok(64 * MiB);
    struct entry e;

    entry_with(&e, POLICY_ENFORCE, "id");
    e.expires_at = e.fetched_at - 1; /* entry_encode() refuses this */
    capture_start();
    ck_assert_int_eq(cache_put(c, "example.com", &e), CACHE_ERROR);
    ck_assert(strstr(capture_end(), "example.com") != NULL);
    ck_assert_int_eq(cache_put(c, "example.com", NULL), CACHE_ERROR);
    ck_assert_uint_eq(cache_count(c), 0);
    entry_clear(&e);
    cache_close(c);
}
END_TEST

START_TEST(test_clear)
{
    struct cache *c = open_ok(64 * MiB);
    struct entry e, got;
    char name[64];
    size_t n = 99;

    ck_assert_int_eq(cache_clear(c, &n), CACHE_OK);
    ck_assert_uint_eq(n, 0);
    entry_with(&e, POLICY_ENFORCE, "id");
    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof name, "d%02d.example", i);
        ck_assert_int_eq(cache_put(c, name, &e), CACHE_OK);
    }
    ck_assert_uint_eq(cache_count(c), 50);
    ck_assert_int_eq(cache_clear(c, &n), CACHE_OK);
    ck_assert_uint_eq(n, 50);
    ck_assert_uint_eq(cache_count(c), 0);
    ck_assert_int_eq(cache_get(c, "d07.example", &got), CACHE_NOTFOUND);
    /* still usable afterwards */
    ck_assert_int_eq(cache_put(c, "d07.example", &e), CACHE_OK);
    ck_assert_int_eq(cache_clear(c, NULL), CACHE_OK);
    ck_assert_uint_eq(cache_count(c), 0);
    entry_clear(&e);
    cache_close(c);
}
END_TEST

/* ---- scanning --------------------------------------------------------- */

struct seen {
    size_t n;
    char keys[1200][DOMAIN_BUFSZ];
    struct cache *c;
    size_t stop_at; /* return false on this call (1-based), 0: never */
    size_t calls;
    struct sts_policy *taken[16];
    size_t n_taken;
};

static bool collect_cb(void *arg, const char *domain, struct entry *e)
{
    struct seen *s = arg;

    ck_assert_uint_lt(s->n, 1200);
    ck_assert_ptr_nonnull(e);
    snprintf(s->keys[s->n++], DOMAIN_BUFSZ, "%s", domain);
    s->calls++;
    return !(s->stop_at && s->calls == s->stop_at);
}

/* Store n entries named <prefix><i, zero-padded to width>.example. */
static void fill(struct cache *c, unsigned n, const char *prefix, int width)
{
    struct entry e;
    char name[64];
    unsigned step = 7919; /* prime: insert in a scrambled order */

    entry_with(&e, POLICY_TESTING, "fill");
    for (unsigned i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s%0*u.example", prefix, width, (i * step) % n);
        ck_assert_int_eq(cache_put(c, name, &e), CACHE_OK);
    }
    entry_clear(&e);
}

START_TEST(test_scan_batches)
{
    struct cache *c = open_ok(64 * MiB);
    static struct seen s;
    char next[DOMAIN_BUFSZ] = "";
    bool done = false;
    size_t calls = 0;

    memset(&s, 0, sizeof s);
    fill(c, 1000, "d", 4);
    ck_assert_uint_eq(cache_count(c), 1000);
    while (!done) {
        size_t before = s.n;
        ck_assert_int_eq(cache_scan(c, next, 7, collect_cb, &s, next, &done), CACHE_OK);
        ck_assert_uint_le(s.n - before, 7);
        ck_assert(done || s.n - before == 7);
        ck_assert_uint_lt(++calls, 200);
    }
    ck_assert_uint_eq(calls, 143); /* ceil(1000 / 7): the end is seen at once */
    ck_assert_uint_eq(s.n, 1000);
    for (unsigned i = 0; i < 1000; i++) {
        char want[64];
        snprintf(want, sizeof want, "d%04u.example", i);
        ck_assert_str_eq(s.keys[i], want); /* in order, each exactly once */
    }
    ck_assert_str_eq(next, "d0999.example");
    /* a scan from the end finds nothing and says so */
    ck_assert_int_eq(cache_scan(c, next, 7, collect_cb, &s, next, &done), CACHE_OK);
    ck_assert(done);
    ck_assert_uint_eq(s.n, 1000);
    cache_close(c);
}
END_TEST

START_TEST(test_scan_edges)
{
    struct cache *c = open_ok(64 * MiB);
    static struct seen s;
    char next[DOMAIN_BUFSZ];
    bool done;

    memset(&s, 0, sizeof s);
    /* empty cache */
    ck_assert_int_eq(cache_scan(c, "", 10, collect_cb, &s, next, &done), CACHE_OK);
    ck_assert(done);
    ck_assert_uint_eq(s.n, 0);
    ck_assert_str_eq(next, "");

    fill(c, 10, "k", 1);
    /* after a key that is absent: start at the next greater one */
    ck_assert_int_eq(cache_scan(c, "k4.a", 3, collect_cb, &s, next, &done), CACHE_OK);
    ck_assert_uint_eq(s.n, 3);
    ck_assert_str_eq(s.keys[0], "k4.example");
    ck_assert_str_eq(s.keys[2], "k6.example");
    ck_assert_str_eq(next, "k6.example");
    ck_assert(!done);
    /* exactly the rest: done at once */
    s.n = 0;
    ck_assert_int_eq(cache_scan(c, next, 3, collect_cb, &s, next, &done), CACHE_OK);
    ck_assert_uint_eq(s.n, 3);
    ck_assert(done);
    /* max 0: nothing read, next unchanged */
    s.n = 0;
    ck_assert_int_eq(cache_scan(c, "k1.example", 0, collect_cb, &s, next, &done), CACHE_OK);
    ck_assert_uint_eq(s.n, 0);
    ck_assert_str_eq(next, "k1.example");
    ck_assert(!done);
    /* NULL after = from the start; huge max is capped, still all of them */
    ck_assert_int_eq(cache_scan(c, NULL, (size_t)-1, collect_cb, &s, next, &done), CACHE_OK);
    ck_assert_uint_eq(s.n, 10);
    ck_assert(done);
    /* no callback */
    ck_assert_int_eq(cache_scan(c, "", 3, NULL, &s, next, &done), CACHE_ERROR);
    cache_close(c);
}
END_TEST

START_TEST(test_scan_stop_early)
{
    struct cache *c = open_ok(64 * MiB);
    static struct seen s;
    char next[DOMAIN_BUFSZ];
    bool done = true;

    memset(&s, 0, sizeof s);
    fill(c, 10, "k", 1);
    s.stop_at = 3;
    ck_assert_int_eq(cache_scan(c, "", 5, collect_cb, &s, next, &done), CACHE_OK);
    ck_assert_uint_eq(s.n, 3);
    ck_assert_str_eq(next, "k2.example");
    ck_assert(!done);
    /* resume right after the entry that stopped the scan */
    s.stop_at = 0;
    ck_assert_int_eq(cache_scan(c, next, 100, collect_cb, &s, next, &done), CACHE_OK);
    ck_assert_uint_eq(s.n, 10);
    ck_assert_str_eq(s.keys[3], "k3.example");
    ck_assert(done);
    /* stopping on the very last entry still reports the end */
    s.n = 0;
    s.calls = 0;
    s.stop_at = 2;
    ck_assert_int_eq(cache_scan(c, "k7.example", 5, collect_cb, &s, next, &done), CACHE_OK);
    ck_assert_uint_eq(s.n, 2);
    ck_assert_str_eq(next, "k9.example");
    ck_assert(done);
    cache_close(c);
}
END_TEST

/* The callback rewrites its own entry, deletes a later one, adds an
 * earlier one: no deadlock, and later batches see the changes. */
static bool writer_cb(void *arg, const char *domain, struct entry *e)
{
    struct seen *s = arg;

    snprintf(s->keys[s->n++], DOMAIN_BUFSZ, "%s", domain);
    e->checked_at = NOW + 1;
    ck_assert_int_eq(cache_put(s->c, domain, e), CACHE_OK);
    if (strcmp(domain, "k3.example") == 0) {
        ck_assert_int_eq(cache_del(s->c, "k6.example"), CACHE_OK);
        ck_assert_int_eq(cache_put(s->c, "a0.example", e), CACHE_OK);
    }
    /* take the policy: the scan must not free it */
    if (s->n_taken < 16 && e->policy != NULL) {
        s->taken[s->n_taken++] = e->policy;
        e->policy = NULL;
    }
    return true;
}

START_TEST(test_scan_callback_writes)
{
    struct cache *c = open_ok(64 * MiB);
    static struct seen s;
    char next[DOMAIN_BUFSZ] = "";
    bool done = false;
    struct entry got;

    memset(&s, 0, sizeof s);
    s.c = c;
    fill(c, 8, "k", 1);
    while (!done)
        ck_assert_int_eq(cache_scan(c, next, 3, writer_cb, &s, next, &done), CACHE_OK);
    /* batches k0-k2, k3-k5, k7: k6 was deleted before its batch was read,
     * a0 sorts before where the scan was */
    ck_assert_uint_eq(s.n, 7);
    for (size_t i = 0; i < s.n; i++) {
        ck_assert_str_ne(s.keys[i], "k6.example");
        ck_assert_str_ne(s.keys[i], "a0.example");
    }
    ck_assert_str_eq(s.keys[6], "k7.example");
    ck_assert_uint_eq(cache_count(c), 8); /* -k6 +a0 */
    ck_assert_int_eq(cache_get(c, "k6.example", &got), CACHE_NOTFOUND);
    ck_assert_int_eq(cache_get(c, "a0.example", &got), CACHE_OK);
    entry_clear(&got);
    ck_assert_int_eq(cache_get(c, "k7.example", &got), CACHE_OK);
    ck_assert_int_eq(got.checked_at, NOW + 1);
    ck_assert_ptr_nonnull(got.policy); /* stored before it was taken */
    entry_clear(&got);
    ck_assert_uint_eq(s.n_taken, 7);
    for (size_t i = 0; i < s.n_taken; i++) {
        ck_assert_int_eq(s.taken[i]->mode, STS_MODE_TESTING);
        sts_policy_free(s.taken[i]);
    }
    cache_close(c);
}
END_TEST

/* ---- batched writes (cache_put_many) ----------------------------------- */

/* A batch of n records named pm<i>.example, ids "b<i>", checked_at = i. */
struct batch {
    char names[CACHE_PUT_MANY_MAX + 1][32];
    const char *domains[CACHE_PUT_MANY_MAX + 1];
    struct entry store[CACHE_PUT_MANY_MAX + 1];
    const struct entry *entries[CACHE_PUT_MANY_MAX + 1];
    size_t n;
};

static struct batch *batch_new(size_t n, const char *prefix, const char *policy_text)
{
    struct batch *b = calloc(1, sizeof *b);

    ck_assert_ptr_nonnull(b);
    ck_assert_uint_le(n, CACHE_PUT_MANY_MAX + 1);
    b->n = n;
    for (size_t i = 0; i < n; i++) {
        snprintf(b->names[i], sizeof b->names[i], "%s%05zu.example", prefix, i);
        entry_with(&b->store[i], policy_text, "b");
        snprintf(b->store[i].id, sizeof b->store[i].id, "b%zu", i);
        b->store[i].checked_at = (int64_t)i;
        b->domains[i] = b->names[i];
        b->entries[i] = &b->store[i];
    }
    return b;
}

static void batch_free(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        entry_clear(&b->store[i]);
    free(b);
}

struct pm_row {
    const char *name;
    size_t n;
    bool dup; /* the last record repeats the first record's domain */
};

static const struct pm_row pm_rows[] = {
    {"empty batch", 0, false},
    {"one record", 1, false},
    {"two records", 2, false},
    {"many records", 500, false},
    {"the cap", CACHE_PUT_MANY_MAX, false},
    {"same domain twice, adjacent", 2, true},
    {"same domain twice, far apart", 300, true},
};

START_TEST(test_put_many)
{
    const struct pm_row *r = &pm_rows[_i];
    struct cache *c = open_ok(512 * MiB);
    struct batch *b = batch_new(r->n, "pm", POLICY_ENFORCE);
    struct entry got;
    size_t distinct = r->n;

    if (r->dup) {
        b->domains[r->n - 1] = b->names[0];
        distinct--;
    }
    ck_assert_int_eq(cache_put_many(c, b->domains, b->entries, r->n), CACHE_OK);
    ck_assert_msg(cache_count(c) == distinct, "%s: %zu stored, want %zu", r->name, cache_count(c),
                  distinct);
    for (size_t i = 0; i < r->n; i++) {
        size_t want = i;
        if (r->dup && i == 0)
            want = r->n - 1; /* the later record wins */
        ck_assert_int_eq(cache_get(c, b->domains[i], &got), CACHE_OK);
        ck_assert_int_eq(got.checked_at, (int64_t)want);
        assert_same(b->entries[want], &got);
        entry_clear(&got);
    }
    /* a second batch over the same keys replaces them all */
    for (size_t i = 0; i < r->n; i++)
        b->store[i].checked_at += 1000000;
    ck_assert_int_eq(cache_put_many(c, b->domains, b->entries, r->n), CACHE_OK);
    ck_assert_uint_eq(cache_count(c), distinct);
    if (r->n > 0) {
        ck_assert_int_eq(cache_get(c, b->domains[r->n - 1], &got), CACHE_OK);
        ck_assert_int_eq(got.checked_at, (int64_t)(r->n - 1) + 1000000);
        entry_clear(&got);
    }
    batch_free(b);
    cache_close(c);
}
END_TEST

/* Batches refused as a whole: nothing stored, earlier data untouched. */
enum pm_bad {
    PM_BAD_ENCODE,      /* an entry that entry_encode() refuses */
    PM_BAD_NULL_ENTRY,  /* a NULL entry pointer */
    PM_BAD_KEY,         /* a key that is not a domain */
    PM_BAD_NULL_KEY,    /* a NULL domain */
    PM_BAD_TOO_MANY,    /* more than CACHE_PUT_MANY_MAX records */
    PM_BAD_NULL_ARRAYS, /* no domains or no entries at all */
};

struct pm_bad_row {
    const char *name;
    enum pm_bad what;
    size_t n, at; /* batch size; which record is bad */
    const char *log;
};

static const struct pm_bad_row pm_bad_rows[] = {
    {"first entry does not encode", PM_BAD_ENCODE, 10, 0, "cannot be stored"},
    {"middle entry does not encode", PM_BAD_ENCODE, 10, 5, "cannot be stored"},
    {"last entry does not encode", PM_BAD_ENCODE, 10, 9, "cannot be stored"},
    {"the only entry does not encode", PM_BAD_ENCODE, 1, 0, "cannot be stored"},
    {"NULL entry", PM_BAD_NULL_ENTRY, 10, 3, "cannot be stored"},
    {"invalid key", PM_BAD_KEY, 10, 7, "invalid key"},
    {"NULL key", PM_BAD_NULL_KEY, 10, 2, "invalid key"},
    {"over the cap", PM_BAD_TOO_MANY, CACHE_PUT_MANY_MAX + 1, 0, "at most"},
    {"NULL arrays", PM_BAD_NULL_ARRAYS, 3, 0, "refusing a batch"},
};

static size_t hook_calls;

static void count_hook(void *arg, const char *domain)
{
    (void)arg;
    (void)domain;
    hook_calls++;
}

START_TEST(test_put_many_refused)
{
    const struct pm_bad_row *r = &pm_bad_rows[_i];
    struct cache *c = open_ok(64 * MiB);
    struct batch *b = batch_new(r->n, "bad", POLICY_TESTING);
    struct entry before, got;
    const char *log;
    enum cache_status st;

    /* record 0's domain already holds something: it must stay */
    entry_with(&before, POLICY_NONE, "before");
    ck_assert_int_eq(cache_put(c, b->names[0], &before), CACHE_OK);
    switch (r->what) {
    case PM_BAD_ENCODE:
        b->store[r->at].expires_at = b->store[r->at].fetched_at - 1;
        break;
    case PM_BAD_NULL_ENTRY:
        b->entries[r->at] = NULL;
        break;
    case PM_BAD_KEY:
        b->domains[r->at] = "bad key.example";
        break;
    case PM_BAD_NULL_KEY:
        b->domains[r->at] = NULL;
        break;
    case PM_BAD_TOO_MANY:
    case PM_BAD_NULL_ARRAYS:
        break;
    }
    hook_calls = 0;
    cache_set_change_hook(c, count_hook, NULL);
    capture_start();
    if (r->what == PM_BAD_NULL_ARRAYS) {
        st = cache_put_many(c, NULL, b->entries, r->n);
        ck_assert_int_eq(st, CACHE_ERROR);
        st = cache_put_many(c, b->domains, NULL, r->n);
    } else {
        st = cache_put_many(c, b->domains, b->entries, r->n);
    }
    log = capture_end();
    ck_assert_msg(st == CACHE_ERROR, "%s: accepted", r->name);
    ck_assert_msg(strstr(log, r->log) != NULL, "%s: log: %s", r->name, log);
    ck_assert_uint_eq(hook_calls, 0); /* refused before anything was written */
    ck_assert_uint_eq(cache_count(c), 1);
    ck_assert_int_eq(cache_get(c, b->names[0], &got), CACHE_OK);
    ck_assert_str_eq(got.id, "before");
    entry_clear(&got);
    for (size_t i = 1; i < r->n; i++) {
        ck_assert_int_eq(cache_get(c, b->names[i], &got), CACHE_NOTFOUND);
        entry_clear(&got);
    }
    /* the same batch, repaired, goes in whole */
    if (r->what != PM_BAD_TOO_MANY && r->what != PM_BAD_NULL_ARRAYS) {
        entry_clear(&b->store[r->at]);
        entry_with(&b->store[r->at], POLICY_TESTING, "fixed");
        b->entries[r->at] = &b->store[r->at];
        b->domains[r->at] = b->names[r->at];
        ck_assert_int_eq(cache_put_many(c, b->domains, b->entries, r->n), CACHE_OK);
        ck_assert_uint_eq(cache_count(c), r->n);
        ck_assert_uint_eq(hook_calls, r->n);
    }
    entry_clear(&before);
    batch_free(b);
    cache_close(c);
}
END_TEST

/* The hook sees every domain of the batch, in order, before the write. */
struct hook_log {
    struct cache *c;
    char domains[8][DOMAIN_BUFSZ];
    bool was_stored[8];
    size_t n;
};

static void log_hook(void *arg, const char *domain)
{
    struct hook_log *h = arg;
    struct entry got;

    ck_assert_ptr_nonnull(domain);
    ck_assert_uint_lt(h->n, 8);
    snprintf(h->domains[h->n], DOMAIN_BUFSZ, "%s", domain);
    h->was_stored[h->n] = cache_get(h->c, domain, &got) == CACHE_OK && got.checked_at >= 100;
    entry_clear(&got);
    h->n++;
}

START_TEST(test_put_many_hook)
{
    struct cache *c = open_ok(64 * MiB);
    struct batch *b = batch_new(5, "hook", POLICY_ENFORCE);
    struct hook_log h = {.c = c};

    b->domains[4] = b->names[1]; /* a domain twice: one call each */
    for (size_t i = 0; i < 5; i++)
        b->store[i].checked_at = 100 + (int64_t)i;
    cache_set_change_hook(c, log_hook, &h);
    ck_assert_int_eq(cache_put_many(c, b->domains, b->entries, 5), CACHE_OK);
    ck_assert_uint_eq(h.n, 5);
    for (size_t i = 0; i < 5; i++) {
        ck_assert_str_eq(h.domains[i], b->domains[i]);
        ck_assert_msg(!h.was_stored[i], "hook for %s ran after the write", b->domains[i]);
    }
    /* an empty batch writes nothing and calls nothing */
    h.n = 0;
    ck_assert_int_eq(cache_put_many(c, b->domains, b->entries, 0), CACHE_OK);
    ck_assert_uint_eq(h.n, 0);
    /* cache_put still calls it once */
    ck_assert_int_eq(cache_put(c, "single.example", b->entries[0]), CACHE_OK);
    ck_assert_uint_eq(h.n, 1);
    ck_assert_str_eq(h.domains[0], "single.example");
    cache_set_change_hook(c, NULL, NULL);
    ck_assert_int_eq(cache_put_many(c, b->domains, b->entries, 5), CACHE_OK);
    ck_assert_uint_eq(h.n, 1);
    ck_assert_uint_eq(cache_count(c), 5);
    batch_free(b);
    cache_close(c);
}
END_TEST

/* ---- growth and a full map -------------------------------------------- */

START_TEST(test_map_growth)
{
    struct cache *c = open_ok(512 * MiB);
    uint64_t initial = cache_map_size(c);
    struct entry e, got;
    struct cache_stat st;
    char name[64];
    size_t need;

    ck_assert_uint_eq(initial, 16 * MiB);
    entry_init(&e);
    entry_set_policy(&e, big_policy(1000));
    snprintf(e.id, sizeof e.id, "grow");
    e.fetched_at = NOW;
    e.expires_at = NOW + 86400;
    need = entry_encode(&e, NULL, 0);
    ck_assert_uint_ge(need, 900);
    ck_assert_uint_le(need, 2048);
    for (unsigned i = 0; i < 20000; i++) {
        snprintf(name, sizeof name, "grow%05u.example", i);
        e.checked_at = i;
        ck_assert_int_eq(cache_put(c, name, &e), CACHE_OK);
    }
    ck_assert_uint_gt(cache_map_size(c), initial);
    ck_assert_uint_le(cache_map_size(c), 512 * MiB);
    ck_assert_uint_eq(cache_count(c), 20000);
    ck_assert_int_eq(cache_stat(c, &st), CACHE_OK);
    ck_assert_uint_eq(st.entries, 20000);
    ck_assert_uint_ge(st.used_bytes, 20000 * need);
    ck_assert_uint_le(st.used_bytes, st.map_size);
    ck_assert_uint_eq(st.map_size, cache_map_size(c));
    ck_assert_uint_eq(st.max_size, 512 * MiB);
    for (unsigned i = 0; i < 20000; i += 997) {
        snprintf(name, sizeof name, "grow%05u.example", i);
        ck_assert_int_eq(cache_get(c, name, &got), CACHE_OK);
        ck_assert_int_eq(got.checked_at, (int64_t)i);
        entry_clear(&got);
    }
    entry_clear(&e);
    cache_close(c);

    /* reopening a file larger than the initial map maps all of it */
    c = open_ok(512 * MiB);
    ck_assert_uint_gt(cache_map_size(c), initial);
    ck_assert_uint_eq(cache_count(c), 20000);
    cache_close(c);
}
END_TEST

static void expired_entry(struct entry *e)
{
    entry_init(e);
    entry_set_policy(e, big_policy(1000));
    snprintf(e->id, sizeof e->id, "old");
    e->fetched_at = NOW - 86400;
    e->expires_at = NOW - 1; /* in the past whatever the clock says */
}

START_TEST(test_map_full_evicts_expired)
{
    struct cache *c = open_ok(1 * MiB); /* the smallest cap */
    struct entry old, fresh, got;
    char name[64];
    size_t stored = 0, evicted_at = 0;
    const char *log;

    ck_assert_uint_le(cache_map_size(c), 1 * MiB);
    expired_entry(&old);
    capture_start();
    for (unsigned i = 0; i < 5000 && evicted_at == 0; i++) {
        snprintf(name, sizeof name, "old%05u.example", i);
        ck_assert_int_eq(cache_put(c, name, &old), CACHE_OK);
        stored++;
        if (cache_count(c) < stored)
            evicted_at = stored;
    }
    log = capture_end();
    ck_assert_uint_gt(evicted_at, 100);    /* the map really filled up */
    ck_assert_uint_le(cache_count(c), 10); /* the expired ones went */
    ck_assert(strstr(log, "evict") != NULL);
    ck_assert_uint_le(cache_map_size(c), 1 * MiB);
    /* the entry whose put triggered the eviction is there */
    ck_assert_int_eq(cache_get(c, name, &got), CACHE_OK);
    entry_clear(&got);

    /* fresh entries now fill it up; then nothing is evictable: error */
    entry_init(&fresh);
    entry_set_policy(&fresh, big_policy(1000));
    snprintf(fresh.id, sizeof fresh.id, "new");
    fresh.fetched_at = (int64_t)time(NULL);
    fresh.expires_at = fresh.fetched_at + 86400;
    capture_start();
    enum cache_status st = CACHE_OK;
    unsigned n;
    for (n = 0; n < 5000; n++) {
        snprintf(name, sizeof name, "new%05u.example", n);
        st = cache_put(c, name, &fresh);
        if (st != CACHE_OK)
            break;
    }
    log = capture_end();
    ck_assert_int_eq(st, CACHE_ERROR);
    ck_assert_uint_gt(n, 100);
    ck_assert_msg(strstr(log, "raise cache_max_size") != NULL, "log: %s", log);
    ck_assert(strstr(log, name) != NULL);
    /* nothing valid was lost, reads still work */
    snprintf(name, sizeof name, "new%05u.example", n - 1);
    ck_assert_int_eq(cache_get(c, name, &got), CACHE_OK);
    entry_clear(&got);
    ck_assert_int_eq(cache_get(c, "new00000.example", &got), CACHE_OK);
    entry_clear(&got);
    /* deletions work in a full map (the reserve), and then puts again */
    ck_assert_int_eq(cache_del(c, "new00000.example"), CACHE_OK);
    size_t cleared = 0;
    ck_assert_int_eq(cache_clear(c, &cleared), CACHE_OK);
    ck_assert_uint_ge(cleared, n - 1);
    ck_assert_int_eq(cache_put(c, "after.example", &fresh), CACHE_OK);
    ck_assert_uint_eq(cache_count(c), 1);
    ck_assert_uint_le(cache_map_size(c), 1 * MiB);
    entry_clear(&old);
    entry_clear(&fresh);
    cache_close(c);
}
END_TEST

/* A batch larger than the initial 16 MiB map: MDB_MAP_FULL in the middle
 * of the transaction, the map grows, the whole batch is run again. */
START_TEST(test_put_many_grows_map)
{
    struct cache *c = open_ok(512 * MiB);
    uint64_t initial = cache_map_size(c);
    struct batch *b = batch_new(CACHE_PUT_MANY_MAX, "grow", NULL);
    struct entry big, got;
    size_t need;

    entry_init(&big);
    entry_set_policy(&big, big_policy(5000));
    snprintf(big.id, sizeof big.id, "big");
    big.fetched_at = NOW;
    big.expires_at = NOW + 86400;
    for (size_t i = 0; i < b->n; i++)
        b->entries[i] = &big; /* one entry under many keys */
    need = entry_encode(&big, NULL, 0);
    ck_assert_uint_gt(need, 4096);
    ck_assert_uint_gt(need * b->n, initial); /* cannot fit without growing */
    capture_start();
    ck_assert_int_eq(cache_put_many(c, b->domains, b->entries, b->n), CACHE_OK);
    ck_assert(strstr(capture_end(), "map grown") != NULL);
    ck_assert_uint_gt(cache_map_size(c), initial);
    ck_assert_uint_eq(cache_count(c), b->n);
    for (size_t i = 0; i < b->n; i += 409) {
        ck_assert_int_eq(cache_get(c, b->domains[i], &got), CACHE_OK);
        assert_same(&big, &got);
        entry_clear(&got);
    }
    entry_clear(&big);
    batch_free(b);
    cache_close(c);
}
END_TEST

/* At a 1 MiB max_size: a batch that meets the full map evicts expired
 * records and goes in whole; a batch that cannot fit is refused whole. */
START_TEST(test_put_many_full_map)
{
    struct cache *c = open_ok(1 * MiB);
    struct batch *old = batch_new(40, "old", NULL), *fresh, *huge;
    struct entry got, big;
    size_t stored = 0, count_before;
    bool evicted = false;
    const char *log;

    for (size_t i = 0; i < old->n; i++)
        expired_entry(&old->store[i]);
    capture_start();
    for (unsigned round = 0; round < 200 && !evicted; round++) {
        for (size_t i = 0; i < old->n; i++)
            snprintf(old->names[i], sizeof old->names[i], "old%03u-%02u.example", round % 1000u,
                     (unsigned)(i % 100));
        ck_assert_int_eq(cache_put_many(c, old->domains, old->entries, old->n), CACHE_OK);
        stored += old->n;
        evicted = cache_count(c) < stored;
    }
    log = capture_end();
    ck_assert_msg(evicted, "the map never filled up");
    ck_assert(strstr(log, "evict") != NULL);
    ck_assert_uint_le(cache_map_size(c), 1 * MiB);
    /* the batch that made room is there whole, and little else */
    for (size_t i = 0; i < old->n; i++) {
        ck_assert_int_eq(cache_get(c, old->domains[i], &got), CACHE_OK);
        entry_clear(&got);
    }
    ck_assert_uint_le(cache_count(c), 2 * old->n);

    /* valid records that can never fit in 1 MiB: refused whole */
    fresh = batch_new(1, "keep", POLICY_ENFORCE);
    fresh->store[0].fetched_at = (int64_t)time(NULL); /* valid now: never evicted */
    fresh->store[0].expires_at = fresh->store[0].fetched_at + 86400;
    ck_assert_int_eq(cache_put_many(c, fresh->domains, fresh->entries, 1), CACHE_OK);
    huge = batch_new(2000, "huge", NULL);
    entry_init(&big);
    entry_set_policy(&big, big_policy(1000));
    snprintf(big.id, sizeof big.id, "huge");
    big.fetched_at = (int64_t)time(NULL);
    big.expires_at = big.fetched_at + 86400;
    for (size_t i = 0; i < huge->n; i++)
        huge->entries[i] = &big;
    count_before = cache_count(c);
    capture_start();
    ck_assert_int_eq(cache_put_many(c, huge->domains, huge->entries, huge->n), CACHE_ERROR);
    log = capture_end();
    ck_assert_msg(strstr(log, "raise cache_max_size") != NULL, "log: %s", log);
    ck_assert_msg(strstr(log, "batch of 2000") != NULL, "log: %s", log);
    ck_assert_uint_le(cache_count(c), count_before); /* eviction may have run */
    for (size_t i = 0; i < huge->n; i += 97) {
        ck_assert_int_eq(cache_get(c, huge->domains[i], &got), CACHE_NOTFOUND);
        entry_clear(&got);
    }
    ck_assert_int_eq(cache_get(c, "keep00000.example", &got), CACHE_OK);
    entry_clear(&got);
    /* and the cache still takes a batch that fits */
    ck_assert_int_eq(cache_put_many(c, huge->domains, huge->entries, 20), CACHE_OK);
    ck_assert_int_eq(cache_get(c, huge->domains[19], &got), CACHE_OK);
    entry_clear(&got);
    entry_clear(&big);
    batch_free(huge);
    batch_free(fresh);
    batch_free(old);
    cache_close(c);
}
END_TEST

START_TEST(test_overflow_pages_small_map)
{
    struct cache *c = open_ok(1 * MiB);
    struct entry e, got;

    /* the largest policy we can build: values spanning many pages */
    entry_init(&e);
    entry_set_policy(&e, big_policy(60000));
    snprintf(e.id, sizeof e.id, "x");
    e.fetched_at = NOW;
    e.expires_at = NOW + 60;
    ck_assert_uint_gt(entry_encode(&e, NULL, 0), 3 * 4096);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(cache_put(c, "fits.example", &e), CACHE_OK);
    ck_assert_int_eq(cache_get(c, "fits.example", &got), CACHE_OK);
    assert_same(&e, &got);
    entry_clear(&got);
    entry_clear(&e);
    cache_close(c);
}
END_TEST

/* ---- eviction rules --------------------------------------------------- */

struct ev_row {
    const char *name;
    bool policy;
    int64_t expires_rel;  /* expires_at - now, if policy */
    int64_t negative_rel; /* negative_until - now, or 0 for none */
    bool evicted;
};

static const struct ev_row ev_rows[] = {
    {"valid-policy.example", true, 3600, 0, false},
    {"expires-now.example", true, 0, 0, true},
    {"expired-policy.example", true, -1, 0, true},
    {"negative-valid.example", false, 0, 60, false},
    {"negative-ended.example", false, 0, -60, true},
    {"negative-ends-now.example", false, 0, 1, false},
    {"expired-but-negative.example", true, -5, 300, false},
    {"nothing.example", false, 0, 0, true},
};

START_TEST(test_evict_rules)
{
    struct cache *c = open_ok(64 * MiB);
    size_t n_rows = sizeof ev_rows / sizeof ev_rows[0];
    size_t want = 0, n = 99;
    struct entry e, got;

    for (size_t i = 0; i < n_rows; i++) {
        const struct ev_row *r = &ev_rows[i];
        entry_with(&e, r->policy ? POLICY_ENFORCE : NULL, r->policy ? "id" : "");
        if (r->policy) {
            e.expires_at = NOW + r->expires_rel;
            e.fetched_at = e.expires_at - 100;
        }
        if (r->negative_rel)
            e.negative_until = NOW + r->negative_rel;
        ck_assert_int_eq(cache_put(c, r->name, &e), CACHE_OK);
        entry_clear(&e);
        want += r->evicted;
    }
    ck_assert_int_eq(cache_evict_expired(c, NOW, 0, &n), CACHE_OK);
    ck_assert_uint_eq(n, want);
    for (size_t i = 0; i < n_rows; i++) {
        enum cache_status st = cache_get(c, ev_rows[i].name, &got);
        ck_assert_msg(st == (ev_rows[i].evicted ? CACHE_NOTFOUND : CACHE_OK), "%s",
                      ev_rows[i].name);
        entry_clear(&got);
    }
    ck_assert_uint_eq(cache_count(c), n_rows - want);
    /* nothing left to evict */
    ck_assert_int_eq(cache_evict_expired(c, NOW, 0, NULL), CACHE_OK);
    ck_assert_uint_eq(cache_count(c), n_rows - want);
    cache_close(c);
}
END_TEST

START_TEST(test_evict_max_and_batches)
{
    struct cache *c = open_ok(64 * MiB);
    struct entry e;
    char name[64];
    size_t n = 0;

    entry_with(&e, NULL, "");
    for (unsigned i = 0; i < 3000; i++) {
        snprintf(name, sizeof name, "e%04u.example", i);
        if (i % 3 == 0)
            e.negative_until = NOW + 100; /* keep every third */
        else
            e.negative_until = NOW - 100;
        ck_assert_int_eq(cache_put(c, name, &e), CACHE_OK);
    }
    ck_assert_int_eq(cache_evict_expired(c, NOW, 5, &n), CACHE_OK);
    ck_assert_uint_eq(n, 5);
    ck_assert_uint_eq(cache_count(c), 2995);
    /* the rest, over several batches (more than one transaction's worth) */
    ck_assert_int_eq(cache_evict_expired(c, NOW, 0, &n), CACHE_OK);
    ck_assert_uint_eq(n, 1995);
    ck_assert_uint_eq(cache_count(c), 1000);
    entry_clear(&e);
    cache_close(c);
}
END_TEST

/* ---- durability ------------------------------------------------------- */

START_TEST(test_reopen_keeps_data)
{
    struct cache *c = open_ok(64 * MiB);
    struct entry e, got;

    entry_with(&e, POLICY_ENFORCE, "persist");
    ck_assert_int_eq(cache_put(c, "keep.example", &e), CACHE_OK);
    ck_assert_int_eq(cache_put(c, "gone.example", &e), CACHE_OK);
    ck_assert_int_eq(cache_del(c, "gone.example"), CACHE_OK);
    cache_close(c);

    struct stat st;
    ck_assert_int_eq(stat(dbpath, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);

    c = open_ok(64 * MiB);
    ck_assert_int_eq(cache_get(c, "keep.example", &got), CACHE_OK);
    assert_same(&e, &got);
    entry_clear(&got);
    ck_assert_int_eq(cache_get(c, "gone.example", &got), CACHE_NOTFOUND);
    ck_assert_uint_eq(cache_count(c), 1);
    entry_clear(&e);
    cache_close(c);
}
END_TEST

START_TEST(test_kill9_keeps_committed)
{
    pid_t pid = fork();
    int status;
    struct entry e, got;

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct cache *c = cache_open(dir, 64 * MiB, NULL, 0);
        entry_with(&e, POLICY_ENFORCE, "killed");
        if (c == NULL || cache_put(c, "survivor.example", &e) != CACHE_OK)
            _exit(1);
        raise(SIGKILL); /* no close, no sync */
        _exit(2);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    struct cache *c = open_ok(64 * MiB);
    ck_assert_int_eq(cache_get(c, "survivor.example", &got), CACHE_OK);
    ck_assert_str_eq(got.id, "killed");
    entry_clear(&got);
    cache_close(c);
}
END_TEST

/* ---- census ----------------------------------------------------------- */

/* The oracle: the census recomputed from a full scan, by the rules of
 * cache.h written out again here. */
static bool census_cb(void *arg, const char *domain, struct entry *e)
{
    struct cache_census *t = arg;
    (void)domain;
    if (e->negative_until != 0)
        t->negative++;
    else if (e->policy != NULL)
        t->policies[e->policy->mode]++;
    if (e->policy != NULL && e->policy->mode != STS_MODE_NONE && e->negative_until == 0 &&
        e->fail_count >= 2)
        t->failing++;
    return true;
}

static void census_truth(struct cache *c, struct cache_census *t)
{
    char after[DOMAIN_BUFSZ] = "", next[DOMAIN_BUFSZ];
    bool done = false;

    memset(t, 0, sizeof *t);
    while (!done) {
        ck_assert_int_eq(cache_scan(c, after, 7, census_cb, t, next, &done), CACHE_OK);
        memcpy(after, next, sizeof after);
    }
}

static void assert_census(struct cache *c, const char *when)
{
    struct cache_census got, want;

    cache_census(c, &got);
    census_truth(c, &want);
    ck_assert_msg(got.complete, "%s: census not complete", when);
    for (int m = 0; m < 3; m++)
        ck_assert_msg(got.policies[m] == want.policies[m], "%s: mode %d: %llu, want %llu", when, m,
                      (unsigned long long)got.policies[m], (unsigned long long)want.policies[m]);
    ck_assert_msg(got.negative == want.negative, "%s: negative %llu, want %llu", when,
                  (unsigned long long)got.negative, (unsigned long long)want.negative);
    ck_assert_msg(got.failing == want.failing, "%s: failing %llu, want %llu", when,
                  (unsigned long long)got.failing, (unsigned long long)want.failing);
}

/* Entry kinds the census tells apart (and some it does not). */
enum census_kind {
    CK_ENFORCE,
    CK_TESTING,
    CK_NONE,
    CK_NEGATIVE,
    CK_NEGATIVE_OLD_POLICY, /* a stale policy kept beside "no record" */
    CK_FAILING,             /* enforce, two refreshes failed */
    CK_FAILING_NONE,        /* mode none with failures: not "failing" */
    CK_FAILED_ONCE,
    CK_FAILURE_ONLY, /* no policy, only a failure record */
    CK_EXPIRED,      /* enforce past its max_age: still counted by mode */
    CK__N,
};

static void census_entry(struct entry *e, enum census_kind k)
{
    static const char *const text[CK__N] = {
        [CK_ENFORCE] = POLICY_ENFORCE,     [CK_TESTING] = POLICY_TESTING,
        [CK_NONE] = POLICY_NONE,           [CK_NEGATIVE_OLD_POLICY] = POLICY_TESTING,
        [CK_FAILING] = POLICY_ENFORCE,     [CK_FAILING_NONE] = POLICY_NONE,
        [CK_FAILED_ONCE] = POLICY_ENFORCE, [CK_EXPIRED] = POLICY_ENFORCE,
    };
    entry_with(e, text[k], "id1");
    switch (k) {
    case CK_NEGATIVE:
    case CK_NEGATIVE_OLD_POLICY:
        e->negative_until = NOW + 1800;
        break;
    case CK_FAILING:
    case CK_FAILING_NONE:
        e->fail_count = 3;
        snprintf(e->fail_id, sizeof e->fail_id, "id1");
        e->fail_at = NOW;
        break;
    case CK_FAILED_ONCE:
    case CK_FAILURE_ONLY:
        e->fail_count = 1;
        snprintf(e->fail_id, sizeof e->fail_id, "id9");
        e->fail_at = NOW;
        break;
    case CK_EXPIRED:
        e->fetched_at = NOW - 200000;
        e->expires_at = NOW - 113600;
        e->refresh_at = e->expires_at;
        break;
    default:
        break;
    }
}

static void census_put(struct cache *c, const char *d, enum census_kind k)
{
    struct entry e;
    census_entry(&e, k);
    ck_assert_int_eq(cache_put(c, d, &e), CACHE_OK);
    entry_clear(&e);
}

/* A domain from a pool of 60 (so that writes replace and delete). */
static void census_domain(char *d, size_t dsz, unsigned r)
{
    snprintf(d, dsz, "d%02u.census.example", r % 60);
}

/* One random write: put, delete, a batch of three, or nothing. */
static void census_random_write(struct cache *c, unsigned *seed)
{
    char d[3][DOMAIN_BUFSZ];
    struct entry es[3];
    const char *ds[3];
    const struct entry *ep[3];
    unsigned op = (unsigned)rand_r(seed) % 4;

    census_domain(d[0], sizeof d[0], (unsigned)rand_r(seed));
    if (op == 0) {
        census_put(c, d[0], (enum census_kind)((unsigned)rand_r(seed) % CK__N));
    } else if (op == 1) {
        enum cache_status st = cache_del(c, d[0]);
        ck_assert(st == CACHE_OK || st == CACHE_NOTFOUND);
    } else if (op == 2) {
        for (int i = 0; i < 3; i++) {
            /* the same domain twice now and then: the later wins */
            if (i > 0 && rand_r(seed) % 5 != 0)
                census_domain(d[i], sizeof d[i], (unsigned)rand_r(seed));
            else if (i > 0)
                memcpy(d[i], d[0], sizeof d[i]);
            census_entry(&es[i], (enum census_kind)((unsigned)rand_r(seed) % CK__N));
            ds[i] = d[i];
            ep[i] = &es[i];
        }
        ck_assert_int_eq(cache_put_many(c, ds, ep, 3), CACHE_OK);
        for (int i = 0; i < 3; i++)
            entry_clear(&es[i]);
    }
}

/* Records written before the daemon started are counted by the walk;
 * writes during the walk (before and after its position) and after it
 * keep the census equal to a full recount, and records that do not
 * decode are never counted. */
START_TEST(test_census_model)
{
    struct cache *c = open_ok(64 * MiB);
    struct cache_census cs;
    char d[DOMAIN_BUFSZ];
    unsigned seed = 1234u + (unsigned)_i;
    static const unsigned char garbage[] = {0xff, 0x00, 0x13};

    /* a fresh empty cache: the first step completes it */
    cache_census(c, &cs);
    ck_assert(!cs.complete);
    ck_assert(cache_census_step(c, 100));
    assert_census(c, "empty");
    for (unsigned i = 0; i < 60; i++) {
        census_domain(d, sizeof d, i);
        census_put(c, d, (enum census_kind)(i % CK__N));
    }
    assert_census(c, "filled while complete");
    cache_close(c);
    raw_put("d07.census.example", 18, garbage, sizeof garbage, 0);

    c = open_ok(64 * MiB);
    cache_census(c, &cs);
    ck_assert(!cs.complete);
    ck_assert_uint_eq(cs.negative + cs.policies[0] + cs.policies[1] + cs.policies[2], 0);
    /* the walk, three records at a time, with writes in between */
    unsigned steps = 0;
    while (!cache_census_step(c, 3)) {
        census_random_write(c, &seed);
        census_random_write(c, &seed);
        ck_assert_uint_lt(++steps, 100);
    }
    ck_assert_uint_ge(steps, 10);
    assert_census(c, "after the walk");
    for (unsigned i = 0; i < 300; i++) {
        census_random_write(c, &seed);
        if (i % 10 == 0)
            assert_census(c, "random writes");
    }
    assert_census(c, "random writes");
    /* eviction deletes counted records (whatever the time) */
    ck_assert_int_eq(cache_evict_expired(c, INT64_C(253402300799), 0, NULL), CACHE_OK);
    assert_census(c, "evicted");
    for (unsigned i = 0; i < 20; i++)
        census_random_write(c, &seed);
    ck_assert_int_eq(cache_clear(c, NULL), CACHE_OK);
    cache_census(c, &cs);
    ck_assert(cs.complete);
    assert_census(c, "cleared");
    cache_close(c);
}
END_TEST

/* Each kind counts where cache.h says it does. */
START_TEST(test_census_kinds)
{
    struct cache *c = open_ok(64 * MiB);
    struct cache_census cs;
    char d[DOMAIN_BUFSZ];

    ck_assert(cache_census_step(c, 1));
    for (int k = 0; k < CK__N; k++) {
        snprintf(d, sizeof d, "k%d.example", k);
        census_put(c, d, (enum census_kind)k);
    }
    cache_census(c, &cs);
    /* enforce, failing, failed once, expired */
    ck_assert_uint_eq(cs.policies[STS_MODE_ENFORCE], 4);
    ck_assert_uint_eq(cs.policies[STS_MODE_TESTING], 1);
    ck_assert_uint_eq(cs.policies[STS_MODE_NONE], 2);
    ck_assert_uint_eq(cs.negative, 2);
    ck_assert_uint_eq(cs.failing, 1);
    /* a failing policy that succeeds again is no longer failing */
    census_put(c, "k5.example", CK_ENFORCE);
    cache_census(c, &cs);
    ck_assert_uint_eq(cs.failing, 0);
    ck_assert_uint_eq(cs.policies[STS_MODE_ENFORCE], 4);
    /* a refused write changes nothing */
    struct entry bad;
    entry_init(&bad);
    bad.expires_at = -5; /* does not encode */
    ck_assert_int_eq(cache_put(c, "k0.example", &bad), CACHE_ERROR);
    ck_assert_int_eq(cache_del(c, "absent.example"), CACHE_NOTFOUND);
    cache_census(c, &cs);
    ck_assert_uint_eq(cs.policies[STS_MODE_ENFORCE], 4);
    ck_assert_int_eq(cache_del(c, "k0.example"), CACHE_OK);
    cache_census(c, &cs);
    ck_assert_uint_eq(cs.policies[STS_MODE_ENFORCE], 3);
    assert_census(c, "kinds");
    cache_close(c);
}
END_TEST

/* ---- damage ----------------------------------------------------------- */

START_TEST(test_undecodable_records)
{
    struct cache *c = open_ok(64 * MiB);
    struct entry e, got;
    static struct seen s;
    char next[DOMAIN_BUFSZ];
    bool done;
    size_t n = 0;
    const char *log;
    static const unsigned char garbage[] = {0xff, 0x00, 0x13, 0x37};
    static const unsigned char wrong_version[64] = {99};

    entry_with(&e, POLICY_ENFORCE, "good");
    ck_assert_int_eq(cache_put(c, "b-good.example", &e), CACHE_OK);
    cache_close(c);
    raw_put("a-bad.example", 13, garbage, sizeof garbage, 0);
    raw_put("c-version.example", 17, wrong_version, sizeof wrong_version, 0);
    raw_put("d-empty.example", 15, "", 0, 0);
    raw_put("E Not A Domain", 14, garbage, sizeof garbage, 0);
    raw_put("f\0nul.example", 13, garbage, sizeof garbage, 0);

    c = open_ok(64 * MiB);
    ck_assert_uint_eq(cache_count(c), 6);
    capture_start();
    ck_assert_int_eq(cache_get(c, "a-bad.example", &got), CACHE_NOTFOUND);
    ck_assert_ptr_null(got.policy);
    ck_assert_int_eq(cache_get(c, "c-version.example", &got), CACHE_NOTFOUND);
    ck_assert_int_eq(cache_get(c, "d-empty.example", &got), CACHE_NOTFOUND);
    log = capture_end();
    ck_assert_msg(strstr(log, "a-bad.example") != NULL, "log: %s", log);
    ck_assert(strstr(log, "c-version.example") != NULL);
    ck_assert(strstr(log, dbpath) != NULL);

    /* scan skips all damaged records and the foreign keys */
    memset(&s, 0, sizeof s);
    capture_start();
    ck_assert_int_eq(cache_scan(c, "", 100, collect_cb, &s, next, &done), CACHE_OK);
    log = capture_end();
    ck_assert(done);
    ck_assert_uint_eq(s.n, 1);
    ck_assert_str_eq(s.keys[0], "b-good.example");
    ck_assert(strstr(log, "d-empty.example") != NULL);
    /* a batch of one that meets only damage still advances */
    memset(&s, 0, sizeof s);
    ck_assert_int_eq(cache_scan(c, "b-good.example", 1, collect_cb, &s, next, &done), CACHE_OK);
    ck_assert_uint_eq(s.n, 0);
    ck_assert(done);
    ck_assert_str_eq(next, "d-empty.example");

    /* a put replaces a damaged record */
    ck_assert_int_eq(cache_put(c, "a-bad.example", &e), CACHE_OK);
    ck_assert_int_eq(cache_get(c, "a-bad.example", &got), CACHE_OK);
    entry_clear(&got);
    /* the cleanup removes the rest, whatever the time */
    ck_assert_int_eq(cache_evict_expired(c, 0, 0, &n), CACHE_OK);
    ck_assert_uint_eq(n, 4);
    ck_assert_uint_eq(cache_count(c), 2);
    entry_clear(&e);
    cache_close(c);
}
END_TEST

/* Files at the cache path that are not an LMDB environment. */
struct file_row {
    const char *name;
    size_t size;
    int fill; /* byte value, -1: text */
    const char *expect;
};

static const struct file_row file_rows[] = {
    {"short text", 0, -1, "not a usable LMDB file"},
    {"one page of 0xaa", 4096, 0xaa, "not a usable LMDB file"},
    {"16 KiB of zeros", 16384, 0, "not a usable LMDB file"},
    {"directory", 0, -2, "not a regular file"},
};

START_TEST(test_not_lmdb_file)
{
    const struct file_row *r = &file_rows[_i];
    char err[512];
    struct cache *c;

    if (r->fill == -2) {
        ck_assert_int_eq(mkdir(dbpath, 0700), 0);
    } else {
        FILE *f = fopen(dbpath, "w");
        ck_assert_ptr_nonnull(f);
        if (r->fill == -1)
            fputs("this is not an LMDB file, it is a note to the operator\n", f);
        for (size_t i = 0; i < r->size; i++)
            fputc(r->fill, f);
        fclose(f);
    }
    c = cache_open(dir, 64 * MiB, err, sizeof err);
    ck_assert_msg(c == NULL, "%s opened", r->name);
    ck_assert_msg(strstr(err, r->expect) != NULL, "%s: %s", r->name, err);
    ck_assert_msg(strstr(err, dbpath) != NULL, "%s: %s", r->name, err);
    ck_assert(strstr(err, "aside") != NULL);
}
END_TEST

START_TEST(test_foreign_lmdb_file)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    char err[512];

    /* an LMDB file whose main database has sorted duplicates */
    ck_assert_int_eq(mdb_env_create(&env), 0);
    ck_assert_int_eq(mdb_env_open(env, dbpath, MDB_NOSUBDIR, 0600), 0);
    ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    ck_assert_int_eq(mdb_dbi_open(txn, NULL, MDB_DUPSORT, &dbi), 0);
    ck_assert_int_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    ck_assert_ptr_null(cache_open(dir, 64 * MiB, err, sizeof err));
    ck_assert_msg(strstr(err, "another program") != NULL, "%s", err);
    ck_assert(strstr(err, dbpath) != NULL);
}
END_TEST

START_TEST(test_empty_file_is_fine)
{
    int fd = open(dbpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    struct cache *c;

    ck_assert_int_ge(fd, 0);
    close(fd);
    c = open_ok(64 * MiB);
    ck_assert_uint_eq(cache_count(c), 0);
    cache_close(c);
}
END_TEST

START_TEST(test_bad_directories)
{
    char err[512];
    char path[420];
    FILE *f;

    /* missing */
    snprintf(path, sizeof path, "%s/missing", dir);
    ck_assert_ptr_null(cache_open(path, 64 * MiB, err, sizeof err));
    ck_assert(strstr(err, path) != NULL);
    ck_assert_msg(strstr(err, "No such file") != NULL, "%s", err);
    /* a file, not a directory */
    snprintf(path, sizeof path, "%s/file", dir);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_ptr_null(cache_open(path, 64 * MiB, err, sizeof err));
    ck_assert(strstr(err, "not a directory") != NULL);
    /* empty / NULL; err may be NULL */
    ck_assert_ptr_null(cache_open("", 64 * MiB, err, sizeof err));
    ck_assert(strstr(err, "state_dir") != NULL);
    ck_assert_ptr_null(cache_open(NULL, 64 * MiB, NULL, 0));
}
END_TEST

START_TEST(test_unwritable_directory)
{
    char err[512];
    pid_t pid;
    int status;
    int fds[2];
    ssize_t n;

    /* run in a child that is not root, since root writes anywhere */
    ck_assert_int_eq(chmod(dir, 0555), 0);
    ck_assert_int_eq(pipe(fds), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct cache *c;
        close(fds[0]);
        if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
            _exit(3);
        c = cache_open(dir, 64 * MiB, err, sizeof err);
        if (write(fds[1], err, strlen(err) + 1) < 0)
            _exit(4);
        _exit(c == NULL ? 0 : 1);
    }
    close(fds[1]);
    n = read(fds[0], err, sizeof err - 1);
    close(fds[0]);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert_int_gt(n, 0);
    err[n] = '\0';
    ck_assert_msg(strstr(err, "Permission denied") != NULL, "%s", err);
    ck_assert(strstr(err, dbpath) != NULL);
    ck_assert(strstr(err, "writable") != NULL);
}
END_TEST

/* ---- other processes -------------------------------------------------- */

START_TEST(test_map_resized_elsewhere)
{
    struct cache *c = open_ok(512 * MiB);
    struct entry e, got;
    pid_t pid;
    int status;

    ck_assert_uint_eq(cache_map_size(c), 16 * MiB);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* another process grows the file past our map */
        static char blob[1 << 20];
        char key[32];
        MDB_env *env;
        MDB_txn *txn;
        MDB_dbi dbi;
        if (mdb_env_create(&env) || mdb_env_set_mapsize(env, 64 << 20) ||
            mdb_env_open(env, dbpath, MDB_NOSUBDIR, 0600) || mdb_txn_begin(env, NULL, 0, &txn) ||
            mdb_dbi_open(txn, NULL, 0, &dbi))
            _exit(1);
        for (int i = 0; i < 24; i++) {
            MDB_val k, v = {sizeof blob, blob};
            snprintf(key, sizeof key, "zz%02d.example", i);
            k.mv_data = key;
            k.mv_size = strlen(key);
            if (mdb_put(txn, dbi, &k, &v, 0))
                _exit(2);
        }
        if (mdb_txn_commit(txn))
            _exit(3);
        mdb_env_close(env);
        _exit(0);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_int_eq(WEXITSTATUS(status), 0);

    entry_with(&e, POLICY_ENFORCE, "after");
    capture_start();
    ck_assert_int_eq(cache_put(c, "after.example", &e), CACHE_OK);
    ck_assert(strstr(capture_end(), "resized by another process") != NULL);
    ck_assert_uint_ge(cache_map_size(c), 24 * MiB);
    ck_assert_int_eq(cache_get(c, "after.example", &got), CACHE_OK);
    entry_clear(&got);
    ck_assert_uint_eq(cache_count(c), 25);
    entry_clear(&e);
    cache_close(c);
}
END_TEST

/* LMDB resets the reader table when the first process opens the file, so
 * a stale slot survives only while some other process keeps it open. */
START_TEST(test_stale_reader_cleared)
{
    int go[2], ready[2];
    pid_t holder, dead;
    int status;
    char b;
    struct cache *c;

    ck_assert_int_eq(pipe(go), 0);
    ck_assert_int_eq(pipe(ready), 0);
    holder = fork();
    ck_assert_int_ge(holder, 0);
    if (holder == 0) {
        MDB_env *env;
        close(go[1]);
        close(ready[0]);
        if (mdb_env_create(&env) || mdb_env_open(env, dbpath, MDB_NOSUBDIR, 0600))
            _exit(1);
        if (write(ready[1], "r", 1) != 1 || read(go[0], &b, 1) < 0)
            _exit(2);
        mdb_env_close(env);
        _exit(0);
    }
    close(go[0]);
    close(ready[1]);
    ck_assert_int_eq(read(ready[0], &b, 1), 1);

    dead = fork();
    ck_assert_int_ge(dead, 0);
    if (dead == 0) {
        /* die holding a read transaction (a reader slot) */
        MDB_env *env;
        MDB_txn *txn;
        if (mdb_env_create(&env) || mdb_env_open(env, dbpath, MDB_NOSUBDIR, 0600) ||
            mdb_txn_begin(env, NULL, MDB_RDONLY, &txn))
            _exit(1);
        _exit(0);
    }
    ck_assert_int_eq(waitpid(dead, &status, 0), dead);
    ck_assert_int_eq(WEXITSTATUS(status), 0);

    capture_start();
    c = open_ok(64 * MiB);
    const char *log = capture_end();
    ck_assert_msg(strstr(log, "cleared 1 reader slot") != NULL, "log: %s", log);
    ck_assert_uint_eq(cache_count(c), 0);
    cache_close(c);

    close(go[1]); /* let the holder go */
    close(ready[0]);
    ck_assert_int_eq(waitpid(holder, &status, 0), holder);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

/* ---- damaged files: cut, zeroed, unreplaceable ------------------------- */

static off_t file_size(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? st.st_size : -1;
}

/* The one file moved aside beside dbpath ("" if none); *count gets how
 * many there are. */
static const char *aside_file(const char *in, int *count)
{
    static char found[640];
    char cmd[600];
    FILE *p;

    found[0] = '\0';
    *count = 0;
    snprintf(cmd, sizeof cmd, "ls -1 '%s' 2>/dev/null", in);
    p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    char line[300];
    while (fgets(line, sizeof line, p) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "cache.mdb.damaged-", 18) == 0) {
            snprintf(found, sizeof found, "%s/%s", in, line);
            (*count)++;
        }
    }
    pclose(p);
    return found;
}

/* The log says what happened, names both files, once. */
static void assert_replaced_log(const char *log, const char *db, const char *aside,
                                const char *what)
{
    const char *first = strstr(log, "is damaged");

    ck_assert_msg(first != NULL, "log: %s", log);
    ck_assert_msg(strstr(first + 1, "is damaged") == NULL, "logged twice: %s", log);
    ck_assert_msg(strstr(log, db) != NULL, "log: %s", log);
    ck_assert_msg(strstr(log, aside) != NULL, "log does not name %s: %s", aside, log);
    ck_assert_msg(strstr(log, "empty cache") != NULL, "log: %s", log);
    ck_assert_msg(strstr(log, what) != NULL, "log does not say '%s': %s", what, log);
}

struct cut_row {
    const char *name;
    long pages; /* cut to this many OS pages ... */
    long bytes; /* ... plus bytes; pages < 0: to half the size */
    const char *what;
};

static const struct cut_row cut_at_open_rows[] = {
    {"half", -1, 0, "meta page says"},
    {"three pages", 3, 0, "meta page says"},
    {"two pages and a bit", 2, 100, "meta page says"},
    {"one page and a half", 1, 2048, "meta page says"},
    {"one page", 1, 0, "two meta pages"},
    {"one page and a bit: the second meta page is gone", 1, 40, "two meta pages"},
    {"first meta page only, partly", 0, 200, "two meta pages"},
};

/* Cut while mtastsd is stopped: the next open moves the file aside and
 * starts empty, instead of a SIGBUS at the first read. */
START_TEST(test_cut_at_open)
{
    const struct cut_row *r = &cut_at_open_rows[_i];
    long page = sysconf(_SC_PAGESIZE);
    struct cache *c = open_ok(64 * MiB);
    struct entry e, got;
    const char *log, *aside;
    off_t size, cut;
    int n;

    fill(c, 400, "k", 3);
    cache_close(c);
    size = file_size(dbpath);
    ck_assert_int_gt(size, 8 * page);
    cut = r->pages < 0 ? size / 2 : r->pages * page + r->bytes;
    ck_assert_int_eq(truncate(dbpath, cut), 0);

    capture_start();
    c = cache_open(dir, 64 * MiB, NULL, 0);
    ck_assert_int_eq(c == NULL ? CACHE_ERROR : cache_get(c, "k007.example", &got), CACHE_NOTFOUND);
    log = capture_end();
    ck_assert_msg(c != NULL, "%s: not opened; log: %s", r->name, log);
    aside = aside_file(dir, &n);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(file_size(aside), cut); /* kept as it was, for the operator */
    assert_replaced_log(log, dbpath, aside, r->what);
    ck_assert_uint_eq(cache_count(c), 0);
    entry_with(&e, POLICY_ENFORCE, "fresh");
    ck_assert_int_eq(cache_put(c, "k007.example", &e), CACHE_OK);
    ck_assert_int_eq(cache_get(c, "k007.example", &got), CACHE_OK);
    ck_assert_str_eq(got.id, "fresh");
    entry_clear(&got);
    entry_clear(&e);
    cache_close(c);
    /* the new file is whole: opened again without complaint */
    capture_start();
    c = open_ok(64 * MiB);
    log = capture_end();
    ck_assert_msg(strstr(log, "damaged") == NULL, "log: %s", log);
    ck_assert_uint_eq(cache_count(c), 1);
    cache_close(c);
}
END_TEST

enum cut_op {
    OP_GET,
    OP_PUT,
    OP_PUT_MANY,
    OP_DEL,
    OP_CLEAR,
    OP_SCAN,
    OP_EVICT,
    OP_STAT,
    OP_COUNT,
    OP__N,
};

static const char *const cut_op_names[OP__N] = {"get",  "put",   "put_many", "del",  "clear",
                                                "scan", "evict", "stat",     "count"};

/* Cut to zero or to half while the cache is open (another process, or an
 * operator's mistake), then one operation: no crash, the file moved
 * aside, and the operation done on the new empty cache. */
START_TEST(test_cut_while_open)
{
    enum cut_op op = (enum cut_op)(_i % OP__N);
    bool to_zero = _i < OP__N;
    struct cache *c = open_ok(64 * MiB);
    struct entry e, got;
    const struct entry *ents[1] = {&e};
    const char *doms[1] = {"new.example"};
    static struct seen s;
    char next[DOMAIN_BUFSZ];
    struct cache_stat st;
    bool done = false;
    const char *log, *aside;
    size_t nn = 99;
    int n;

    memset(&s, 0, sizeof s);
    fill(c, 400, "w", 3);
    ck_assert_int_eq(cache_get(c, "w001.example", &got), CACHE_OK); /* keeps a reader */
    entry_clear(&got);
    ck_assert_int_eq(truncate(dbpath, to_zero ? 0 : file_size(dbpath) / 2), 0);
    entry_with(&e, POLICY_ENFORCE, "after");

    capture_start();
    switch (op) {
    case OP_GET:
        ck_assert_int_eq(cache_get(c, "w007.example", &got), CACHE_NOTFOUND);
        break;
    case OP_PUT:
        ck_assert_int_eq(cache_put(c, "new.example", &e), CACHE_OK);
        break;
    case OP_PUT_MANY:
        ck_assert_int_eq(cache_put_many(c, doms, ents, 1), CACHE_OK);
        break;
    case OP_DEL:
        ck_assert_int_eq(cache_del(c, "w007.example"), CACHE_NOTFOUND);
        break;
    case OP_CLEAR:
        ck_assert_int_eq(cache_clear(c, &nn), CACHE_OK);
        ck_assert_uint_eq(nn, 0);
        break;
    case OP_SCAN:
        ck_assert_int_eq(cache_scan(c, "", 100, collect_cb, &s, next, &done), CACHE_OK);
        ck_assert_uint_eq(s.n, 0);
        ck_assert(done);
        break;
    case OP_EVICT:
        ck_assert_int_eq(cache_evict_expired(c, NOW + 1000000, 0, &nn), CACHE_OK);
        ck_assert_uint_eq(nn, 0);
        break;
    case OP_STAT:
        ck_assert_int_eq(cache_stat(c, &st), CACHE_OK);
        ck_assert_uint_eq(st.entries, 0);
        break;
    case OP_COUNT:
    case OP__N:
        ck_assert_uint_eq(cache_count(c), 0);
        break;
    }
    log = capture_end();
    aside = aside_file(dir, &n);
    ck_assert_msg(n == 1, "%s: %d files moved aside; log: %s", cut_op_names[op], n, log);
    assert_replaced_log(log, dbpath, aside, "while in use");
    ck_assert_uint_eq(cache_count(c), op == OP_PUT || op == OP_PUT_MANY ? 1 : 0);
    /* and it goes on working */
    ck_assert_int_eq(cache_put(c, "later.example", &e), CACHE_OK);
    ck_assert_int_eq(cache_get(c, "later.example", &got), CACHE_OK);
    ck_assert_str_eq(got.id, "after");
    entry_clear(&got);
    ck_assert_int_eq(cache_get(c, "w007.example", &got), CACHE_NOTFOUND);
    entry_clear(&e);
    cache_close(c);
    c = open_ok(64 * MiB);
    ck_assert_int_eq(cache_get(c, "later.example", &got), CACHE_OK);
    entry_clear(&got);
    cache_close(c);
}
END_TEST

/* LMDB's lock file cut while in use: its reader table is mapped too.  The
 * data are intact, so they are kept and only the lock file is made anew. */
START_TEST(test_lock_cut_while_open)
{
    char lockpath[400];
    struct cache *c = open_ok(64 * MiB);
    struct entry got;
    const char *log;
    int n;

    snprintf(lockpath, sizeof lockpath, "%s-lock", dbpath);
    fill(c, 50, "l", 2);
    ck_assert_int_eq(cache_get(c, "l01.example", &got), CACHE_OK);
    entry_clear(&got);
    ck_assert_int_eq(truncate(lockpath, 0), 0);
    capture_start();
    ck_assert_int_eq(cache_get(c, "l02.example", &got), CACHE_OK);
    log = capture_end();
    entry_clear(&got);
    ck_assert_msg(strstr(log, lockpath) != NULL, "log: %s", log);
    ck_assert_msg(strstr(log, "recreated the lock file") != NULL, "log: %s", log);
    (void)aside_file(dir, &n);
    ck_assert_int_eq(n, 0);
    ck_assert_int_gt(file_size(lockpath), 0);
    ck_assert_uint_eq(cache_count(c), 50);
    fill(c, 60, "l", 2);
    ck_assert_uint_eq(cache_count(c), 60);
    cache_close(c);
}
END_TEST

/* Data pages zeroed behind LMDB's back (meta pages intact): LMDB reports
 * them corrupted; the file is moved aside as a cut one is.  (LMDB trusts
 * the bytes inside its pages: other garbage can crash it -- the file is
 * only writable by mtastsd itself.) */
START_TEST(test_damaged_pages)
{
    struct cache *c = open_ok(64 * MiB);
    struct entry e, got;
    const char *log, *aside;
    long page = sysconf(_SC_PAGESIZE);
    FILE *f;
    long size;
    int n;

    fill(c, 200, "p", 3);
    cache_close(c);
    f = fopen(dbpath, "r+b");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    ck_assert_int_gt(size, 4 * page);
    ck_assert_int_eq(fseek(f, 2 * page, SEEK_SET), 0);
    for (long off = 2 * page; off < size; off++)
        fputc(0, f);
    fclose(f);

    c = open_ok(64 * MiB);
    entry_with(&e, POLICY_ENFORCE, "id");
    capture_start();
    ck_assert_int_eq(cache_get(c, "p007.example", &got), CACHE_NOTFOUND);
    ck_assert_ptr_null(got.policy);
    log = capture_end();
    aside = aside_file(dir, &n);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(file_size(aside), size);
    assert_replaced_log(log, dbpath, aside, "MDB_CORRUPTED");
    ck_assert_int_eq(cache_put(c, "p007.example", &e), CACHE_OK);
    ck_assert_uint_eq(cache_count(c), 1);
    entry_clear(&e);
    cache_close(c);
}
END_TEST

/* One mtastsd per state_dir: a second opener (another process) is refused
 * for as long as the first holds the cache, and told who holds it. */
/* ---- MDB_PANIC: a meta page write failed (tests/tools/meta_eio.c) ------ */

/* Commit one put while the disk fails LMDB's meta page write: LMDB
 * returns EIO and marks the environment MDB_FATAL_ERROR. */
static void panic_commit(struct cache *c)
{
    struct entry e;
    unsigned before = meta_eio_failed();

    entry_with(&e, POLICY_ENFORCE, "lost");
    meta_eio_arm(true);
    ck_assert_int_eq(cache_put(c, "lost.example", &e), CACHE_ERROR);
    meta_eio_arm(false);
    entry_clear(&e);
    ck_assert_uint_gt(meta_eio_failed(), before); /* LMDB's own meta write failed */
}

static size_t count_of(const char *hay, const char *needle)
{
    size_t n = 0;

    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

static bool count_cb(void *arg, const char *domain, struct entry *e)
{
    (void)domain;
    (void)e;
    (*(size_t *)arg)++;
    return true;
}

/* The first call after the panic, by row: each must reopen and succeed. */
enum panic_first { PF_GET, PF_PUT, PF_DEL, PF_SCAN, PF_STAT, PF_EVICT, PF_COUNT, PF_N };

static void panic_first_call(struct cache *c, enum panic_first first)
{
    struct entry e, got;
    struct cache_stat st;
    char next[DOMAIN_BUFSZ];
    bool done = false;
    size_t n = 0;

    switch (first) {
    case PF_GET:
        ck_assert_int_eq(cache_get(c, "k07.example", &got), CACHE_OK);
        ck_assert_ptr_nonnull(got.policy);
        ck_assert_str_eq(got.id, "fill");
        entry_clear(&got);
        break;
    case PF_PUT:
        entry_with(&e, POLICY_ENFORCE, "after");
        ck_assert_int_eq(cache_put(c, "after.example", &e), CACHE_OK);
        entry_clear(&e);
        ck_assert_int_eq(cache_del(c, "after.example"), CACHE_OK);
        break;
    case PF_DEL:
        ck_assert_int_eq(cache_del(c, "k03.example"), CACHE_OK);
        entry_with(&e, POLICY_TESTING, "fill");
        ck_assert_int_eq(cache_put(c, "k03.example", &e), CACHE_OK);
        entry_clear(&e);
        break;
    case PF_SCAN: /* the refresh sweep, mtastsd-ctl list and dump */
        ck_assert_int_eq(cache_scan(c, NULL, 100, count_cb, &n, next, &done), CACHE_OK);
        ck_assert(done);
        ck_assert_uint_eq(n, 20);
        break;
    case PF_STAT:
        ck_assert_int_eq(cache_stat(c, &st), CACHE_OK);
        ck_assert_uint_eq(st.entries, 20);
        break;
    case PF_EVICT:
        ck_assert_int_eq(cache_evict_expired(c, NOW, 0, &n), CACHE_OK);
        ck_assert_uint_eq(n, 0);
        break;
    case PF_COUNT:
    case PF_N:
    default:
        ck_assert_uint_eq(cache_count(c), 20);
        break;
    }
}

/*
 * A failed meta page write (a dying disk) leaves LMDB's environment
 * answering MDB_PANIC to every transaction.  The file is not damaged: the
 * first call after it closes and reopens the environment, says so in one
 * error line, and the policies committed before are still there; the
 * failed commit is lost.
 */
START_TEST(test_panic_reopens_keeping_data)
{
    struct cache *c = open_ok(64 * MiB);
    struct entry got;
    const char *log;
    int n;

    fill(c, 20, "k", 2);
    ck_assert_int_eq(cache_get(c, "k01.example", &got), CACHE_OK); /* keeps a reader handle */
    entry_clear(&got);
    panic_commit(c);

    capture_start();
    panic_first_call(c, (enum panic_first)_i);
    log = capture_end();
    ck_assert_msg(count_of(log, "\n") == 1, "one line, log: %s", log);
    ck_assert_msg(strstr(log, dbpath) != NULL, "log: %s", log);
    ck_assert_msg(strstr(log, "MDB_PANIC") != NULL, "log: %s", log);
    ck_assert_msg(strstr(log, "reopened the cache") != NULL, "log: %s", log);
    ck_assert_msg(strstr(log, "cached policies are kept") != NULL, "log: %s", log);

    /* everything works again, without another line */
    capture_start();
    ck_assert_int_eq(cache_get(c, "k19.example", &got), CACHE_OK);
    entry_clear(&got);
    ck_assert_int_eq(cache_get(c, "lost.example", &got), CACHE_NOTFOUND);
    ck_assert_uint_eq(cache_count(c), 20);
    fill(c, 25, "k", 2);
    ck_assert_uint_eq(cache_count(c), 25);
    log = capture_end();
    ck_assert_msg(log[0] == '\0', "log: %s", log);
    (void)aside_file(dir, &n);
    ck_assert_int_eq(n, 0);
    cache_close(c);

    /* and the file holds it all after a clean close */
    c = open_ok(64 * MiB);
    ck_assert_uint_eq(cache_count(c), 25);
    ck_assert_int_eq(cache_get(c, "k24.example", &got), CACHE_OK);
    entry_clear(&got);
    cache_close(c);
}
END_TEST

/*
 * A disk that keeps failing: every commit panics the environment again.
 * Reopening is rate-bound: after one reopen, a second panic within
 * CACHE_PANIC_SECONDS (60) makes the cache unusable (TEMP, retried every
 * CACHE_REVIVE_SECONDS) instead of reopening at every call; each call
 * reopens at most once, and the log says so once each.
 */
START_TEST(test_panic_repeated_is_bounded)
{
    struct cache *c = open_ok(64 * MiB);
    struct entry e, got;
    const char *log;
    unsigned failed;
    int ok = 0, err = 0;

    fill(c, 20, "k", 2);
    entry_with(&e, POLICY_ENFORCE, "lost");
    meta_eio_arm(true);
    capture_start();
    for (int i = 0; i < 200; i++) {
        (void)cache_put(c, "lost.example", &e);
        if (cache_get(c, "k07.example", &got) == CACHE_OK)
            ok++;
        else
            err++;
        entry_clear(&got);
    }
    log = capture_end();
    meta_eio_arm(false);
    entry_clear(&e);
    failed = meta_eio_failed();

    /* first commit panics; the first get reopens and answers; the next
     * commit panics again; then the cache rests (no LMDB call at all) */
    ck_assert_int_eq(ok, 1);
    ck_assert_int_eq(err, 199);
    ck_assert_uint_le(failed, 4); /* two failed commits, two pwrite each */
    ck_assert_msg(count_of(log, "reopened the cache") == 1, "log: %s", log);
    ck_assert_msg(count_of(log, "trying again every 60 s") == 1, "log: %s", log);
    ck_assert_msg(count_of(log, "\n") <= 5, "log: %s", log);
    cache_close(c);

    /* nothing was damaged: a restart (or the revive) finds it all */
    c = open_ok(64 * MiB);
    ck_assert_uint_eq(cache_count(c), 20);
    cache_close(c);
}
END_TEST

/* The reopen after MDB_PANIC fails (here: cache.mdb became a directory):
 * the cache is unusable, said once, and calls answer CACHE_ERROR without
 * touching the file again until CACHE_REVIVE_SECONDS have passed. */
START_TEST(test_panic_reopen_fails)
{
    struct cache *c = open_ok(64 * MiB);
    struct entry got;
    char moved[400];
    const char *log;

    fill(c, 20, "k", 2);
    panic_commit(c);
    snprintf(moved, sizeof moved, "%s.away", dbpath);
    ck_assert_int_eq(rename(dbpath, moved), 0);
    ck_assert_int_eq(mkdir(dbpath, 0700), 0);
    capture_start();
    ck_assert_int_eq(cache_get(c, "k07.example", &got), CACHE_ERROR);
    ck_assert_int_eq(cache_get(c, "k08.example", &got), CACHE_ERROR);
    ck_assert_uint_eq(cache_count(c), 0);
    log = capture_end();
    ck_assert_msg(count_of(log, "\n") == 1, "one line, log: %s", log);
    ck_assert_msg(strstr(log, "not a regular file") != NULL, "log: %s", log);
    ck_assert_msg(strstr(log, "trying again every 60 s") != NULL, "log: %s", log);
    cache_close(c);

    /* nothing was lost: with the file back, a restart finds it all */
    ck_assert_int_eq(rmdir(dbpath), 0);
    ck_assert_int_eq(rename(moved, dbpath), 0);
    c = open_ok(64 * MiB);
    ck_assert_uint_eq(cache_count(c), 20);
    cache_close(c);
}
END_TEST

START_TEST(test_second_owner_refused)
{
    struct cache *c = open_ok(64 * MiB);
    char err[512], want[64];
    int fds[2], status;
    pid_t pid;
    ssize_t n;

    ck_assert_int_eq(pipe(fds), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        struct cache *c2;
        close(fds[0]);
        c2 = cache_open(dir, 64 * MiB, err, sizeof err);
        if (write(fds[1], err, strlen(err) + 1) < 0)
            _exit(4);
        _exit(c2 == NULL ? 0 : 1);
    }
    close(fds[1]);
    n = read(fds[0], err, sizeof err - 1);
    close(fds[0]);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a second cache_open succeeded");
    ck_assert_int_gt(n, 0);
    err[n] = '\0';
    ck_assert_msg(strstr(err, "in use by another mtastsd") != NULL, "%s", err);
    snprintf(want, sizeof want, "pid %ld", (long)getpid());
    ck_assert_msg(strstr(err, want) != NULL, "%s", err);
    ck_assert(strstr(err, dir) != NULL);
    cache_close(c);
    /* released with the handle */
    c = open_ok(64 * MiB);
    cache_close(c);
}
END_TEST

/* ---- a file system of our own (tmpfs in a private mount namespace) ----- */

static void write_proc(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY);

    ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

/* Mount a tmpfs (mount options opts) on dir/fs, in a mount namespace of
 * this test process only (as root, or in a user namespace otherwise).
 * Fails loudly where neither is possible: never skipped. */
static void own_fs(const char *opts, char *fs, size_t fssz)
{
    uid_t uid = geteuid();
    gid_t gid = getegid();
    char map[64];

    snprintf(fs, fssz, "%s/fs", dir);
    ck_assert_int_eq(mkdir(fs, 0700), 0);
    if (unshare(CLONE_NEWNS) != 0) {
        ck_assert_msg(unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0,
                      "cannot make a private mount namespace (needs root or user namespaces): %s",
                      strerror(errno));
        write_proc("/proc/self/setgroups", "deny");
        snprintf(map, sizeof map, "0 %ld 1", (long)uid);
        write_proc("/proc/self/uid_map", map);
        snprintf(map, sizeof map, "0 %ld 1", (long)gid);
        write_proc("/proc/self/gid_map", map);
    }
    ck_assert_msg(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "%s", strerror(errno));
    ck_assert_msg(mount("tmpfs", fs, "tmpfs", 0, opts) == 0, "mount tmpfs: %s", strerror(errno));
}

/* The file system fills up while the map grows: LMDB's short write comes
 * back as EIO; the log must name the real cause. */
START_TEST(test_disk_full_named)
{
    char fs[400];
    struct cache *c;
    struct entry e;
    const char *log;
    char err[512], name[64];
    int i;

    own_fs("size=192k", fs, sizeof fs);
    c = cache_open(fs, 64 * MiB, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    entry_init(&e);
    entry_set_policy(&e, big_policy(6000));
    e.fetched_at = NOW;
    e.expires_at = NOW + 86400;
    capture_start();
    for (i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "full%03d.example", i);
        if (cache_put(c, name, &e) != CACHE_OK)
            break;
    }
    log = capture_end();
    ck_assert_msg(i < 200, "the file system never filled up");
    ck_assert_msg(strstr(log, "No space left on device") != NULL, "log: %s", log);
    ck_assert_msg(strstr(log, "Input/output error") == NULL, "log: %s", log);
    ck_assert_msg(strstr(log, fs) != NULL, "log: %s", log);
    ck_assert_msg(strstr(log, "free") != NULL, "log: %s", log);
    /* what was stored is still there */
    ck_assert_uint_eq(cache_count(c), (size_t)i);
    entry_clear(&e);
    cache_close(c);
    umount2(fs, MNT_DETACH);
}
END_TEST

/* Damage found while the file cannot be moved aside (read-only file
 * system): every call fails cleanly (TEMP upstream), nothing crashes. */
START_TEST(test_damaged_unreplaceable)
{
    char fs[400], db[420];
    struct cache *c;
    struct entry got, e;
    static struct seen s;
    char next[DOMAIN_BUFSZ], err[512];
    bool done;
    const char *log;

    memset(&s, 0, sizeof s);
    own_fs("size=4m", fs, sizeof fs);
    snprintf(db, sizeof db, "%s/cache.mdb", fs);
    c = cache_open(fs, 64 * MiB, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    fill(c, 100, "r", 3);
    ck_assert_int_eq(truncate(db, 0), 0);
    /* a read-only view of the same files over them: the open files stay
     * writable, paths (rename, create) are not */
    ck_assert_msg(mount(fs, fs, NULL, MS_BIND, NULL) == 0, "bind: %s", strerror(errno));
    ck_assert_msg(mount(NULL, fs, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) == 0, "remount: %s",
                  strerror(errno));
    entry_with(&e, POLICY_ENFORCE, "x");
    capture_start();
    ck_assert_int_eq(cache_get(c, "r001.example", &got), CACHE_ERROR);
    ck_assert_int_eq(cache_get(c, "r002.example", &got), CACHE_ERROR);
    ck_assert_int_eq(cache_put(c, "r003.example", &e), CACHE_ERROR);
    ck_assert_int_eq(cache_scan(c, "", 10, collect_cb, &s, next, &done), CACHE_ERROR);
    ck_assert_uint_eq(cache_count(c), 0);
    log = capture_end();
    ck_assert_uint_eq(s.n, 0);
    ck_assert_msg(strstr(log, "cannot be moved aside") != NULL, "log: %s", log);
    ck_assert_msg(strstr(log, "Read-only file system") != NULL, "log: %s", log);
    ck_assert_msg(strstr(log, db) != NULL, "log: %s", log);
    entry_clear(&e);
    cache_close(c);
}
END_TEST

/* No false alarm: a long mixed workload with reopens never reads as
 * damaged (LMDB may leave a freed last page unwritten; see
 * cache_committed()). */
START_TEST(test_no_false_damage)
{
    struct cache *c = open_ok(64 * MiB);
    struct entry small, big;
    char name[64];
    const char *log;
    unsigned seed = 12345;
    int n;

    entry_with(&small, POLICY_TESTING, "s");
    entry_init(&big);
    entry_set_policy(&big, big_policy(9000));
    big.fetched_at = NOW - 100;
    big.expires_at = NOW - 1; /* evictable */
    capture_start();
    for (int round = 0; round < 30; round++) {
        for (int i = 0; i < 150; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned k = (seed >> 8) % 600;
            snprintf(name, sizeof name, "m%03u.example", k);
            switch ((seed >> 20) % 5) {
            case 0:
                (void)cache_del(c, name);
                break;
            case 1:
                ck_assert_int_eq(cache_put(c, name, &big), CACHE_OK);
                break;
            default:
                ck_assert_int_eq(cache_put(c, name, &small), CACHE_OK);
            }
        }
        if (round % 7 == 6)
            ck_assert_int_eq(cache_evict_expired(c, NOW, 0, NULL), CACHE_OK);
        if (round % 11 == 10)
            ck_assert_int_eq(cache_clear(c, NULL), CACHE_OK);
        cache_close(c);
        c = open_ok(64 * MiB);
    }
    log = capture_end();
    ck_assert_msg(strstr(log, "damaged") == NULL, "log: %s", log);
    (void)aside_file(dir, &n);
    ck_assert_int_eq(n, 0);
    entry_clear(&small);
    entry_clear(&big);
    cache_close(c);
}
END_TEST

/* A process that opens the file first with a one-slot reader table. */
static pid_t start_holder(int *go_w)
{
    int go[2], ready[2];
    pid_t pid;
    char b;

    ck_assert_int_eq(pipe(go), 0);
    ck_assert_int_eq(pipe(ready), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        MDB_env *env;
        close(go[1]);
        close(ready[0]);
        if (mdb_env_create(&env) || mdb_env_set_maxreaders(env, 1) ||
            mdb_env_open(env, dbpath, MDB_NOSUBDIR, 0600))
            _exit(1);
        if (write(ready[1], "r", 1) != 1 || read(go[0], &b, 1) < 0)
            _exit(2);
        mdb_env_close(env);
        _exit(0);
    }
    close(go[0]);
    close(ready[1]);
    ck_assert_int_eq(read(ready[0], &b, 1), 1);
    close(ready[0]);
    *go_w = go[1];
    return pid;
}

static void stop_holder(pid_t pid, int go_w)
{
    int status;

    close(go_w);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
}

/* Take the only reader slot; die (keep_alive false) or hold it until
 * told to go.  Returns the pid; *go_w (if keep_alive) releases it. */
static pid_t take_reader(bool keep_alive, int *go_w)
{
    int go[2], ready[2];
    pid_t pid;
    char b;

    ck_assert_int_eq(pipe(go), 0);
    ck_assert_int_eq(pipe(ready), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        MDB_env *env;
        MDB_txn *txn;
        close(go[1]);
        close(ready[0]);
        if (mdb_env_create(&env) || mdb_env_open(env, dbpath, MDB_NOSUBDIR, 0600) ||
            mdb_txn_begin(env, NULL, MDB_RDONLY, &txn))
            _exit(1);
        if (write(ready[1], "r", 1) != 1)
            _exit(2);
        if (keep_alive && read(go[0], &b, 1) < 0)
            _exit(3);
        _exit(0); /* never ends the read transaction */
    }
    close(go[0]);
    close(ready[1]);
    ck_assert_int_eq(read(ready[0], &b, 1), 1);
    close(ready[0]);
    if (keep_alive)
        *go_w = go[1];
    else
        close(go[1]);
    return pid;
}

START_TEST(test_readers_full)
{
    struct cache *c;
    struct entry e, got;
    int holder_go, reader_go, status;
    pid_t holder, reader;
    const char *log;

    holder = start_holder(&holder_go);
    c = open_ok(64 * MiB);
    entry_with(&e, POLICY_ENFORCE, "id");
    ck_assert_int_eq(cache_put(c, "r.example", &e), CACHE_OK);

    /* a dead process left the only slot taken: cleared, then served */
    reader = take_reader(false, NULL);
    ck_assert_int_eq(waitpid(reader, &status, 0), reader);
    capture_start();
    ck_assert_int_eq(cache_get(c, "r.example", &got), CACHE_OK);
    log = capture_end();
    ck_assert_msg(strstr(log, "cleared 1 stale") != NULL, "log: %s", log);
    entry_clear(&got);

    /* a live process holds it: a clean error naming the cause */
    reader = take_reader(true, &reader_go);
    capture_start();
    ck_assert_int_eq(cache_get(c, "r.example", &got), CACHE_ERROR);
    ck_assert_uint_eq(cache_count(c), 0);
    log = capture_end();
    ck_assert_msg(strstr(log, "MDB_READERS_FULL") != NULL, "log: %s", log);
    ck_assert(strstr(log, "r.example") != NULL);
    /* writers need no reader slot */
    ck_assert_int_eq(cache_put(c, "w.example", &e), CACHE_OK);
    close(reader_go);
    ck_assert_int_eq(waitpid(reader, &status, 0), reader);
    ck_assert_int_eq(cache_get(c, "w.example", &got), CACHE_OK);
    entry_clear(&got);

    entry_clear(&e);
    cache_close(c);
    stop_holder(holder, holder_go);
}
END_TEST

START_TEST(test_fork_child_refused)
{
    struct cache *c = open_ok(64 * MiB);
    struct entry e, got;
    pid_t pid;
    int status;

    entry_with(&e, POLICY_ENFORCE, "parent");
    ck_assert_int_eq(cache_put(c, "parent.example", &e), CACHE_OK);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int bad = 0;
        char next[DOMAIN_BUFSZ];
        bool done;
        struct cache_stat st;
        bad += cache_get(c, "parent.example", &got) != CACHE_ERROR;
        bad += cache_put(c, "child.example", &e) != CACHE_ERROR;
        bad += cache_del(c, "parent.example") != CACHE_ERROR;
        bad += cache_clear(c, NULL) != CACHE_ERROR;
        bad += cache_scan(c, "", 5, collect_cb, NULL, next, &done) != CACHE_ERROR;
        bad += cache_evict_expired(c, NOW, 0, NULL) != CACHE_ERROR;
        bad += cache_stat(c, &st) != CACHE_ERROR;
        bad += cache_count(c) != 0;
        cache_close(c); /* frees memory only */
        _exit(bad);     /* the child's environment is leaked on purpose */
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    ck_assert_int_eq(cache_get(c, "parent.example", &got), CACHE_OK);
    entry_clear(&got);
    ck_assert_int_eq(cache_get(c, "child.example", &got), CACHE_NOTFOUND);
    entry_clear(&e);
    cache_close(c);
}
END_TEST

START_TEST(test_null_handles)
{
    struct entry got;

    cache_close(NULL);
    ck_assert_uint_eq(cache_map_size(NULL), 0);
    ck_assert_uint_eq(cache_count(NULL), 0);
    ck_assert_int_eq(cache_get(NULL, "example.com", &got), CACHE_ERROR);
    ck_assert_ptr_null(got.policy);
}
END_TEST

START_TEST(test_small_max_is_raised)
{
    struct cache *c = open_ok(1000); /* raised to 1 MiB */
    struct cache_stat st;
    struct entry e;

    ck_assert_int_eq(cache_stat(c, &st), CACHE_OK);
    ck_assert_uint_eq(st.max_size, 1 * MiB);
    ck_assert_uint_lt(cache_map_size(c), 1 * MiB);
    entry_with(&e, POLICY_ENFORCE, "id");
    ck_assert_int_eq(cache_put(c, "small.example", &e), CACHE_OK);
    entry_clear(&e);
    cache_close(c);
}
END_TEST

static Suite *cache_suite(void)
{
    Suite *s = suite_create("cache");
    TCase *tc = tcase_create("core");
    TCase *big = tcase_create("big");

    add_fixtures(tc);
    tcase_add_loop_test(tc, test_roundtrip, 0, sizeof rt_rows / sizeof rt_rows[0]);
    tcase_add_test(tc, test_large_entry_heap_path);
    tcase_add_test(tc, test_overwrite);
    tcase_add_loop_test(tc, test_bad_keys, 0, sizeof bad_keys / sizeof bad_keys[0] - 1);
    tcase_add_test(tc, test_put_unencodable_entry);
    tcase_add_loop_test(tc, test_put_many, 0, sizeof pm_rows / sizeof pm_rows[0]);
    tcase_add_loop_test(tc, test_put_many_refused, 0, sizeof pm_bad_rows / sizeof pm_bad_rows[0]);
    tcase_add_test(tc, test_put_many_hook);
    tcase_add_test(tc, test_clear);
    tcase_add_test(tc, test_scan_batches);
    tcase_add_test(tc, test_scan_edges);
    tcase_add_test(tc, test_scan_stop_early);
    tcase_add_test(tc, test_scan_callback_writes);
    tcase_add_test(tc, test_evict_rules);
    tcase_add_test(tc, test_reopen_keeps_data);
    tcase_add_test(tc, test_kill9_keeps_committed);
    tcase_add_test(tc, test_undecodable_records);
    tcase_add_loop_test(tc, test_census_model, 0, 3);
    tcase_add_test(tc, test_census_kinds);
    tcase_add_loop_test(tc, test_not_lmdb_file, 0, sizeof file_rows / sizeof file_rows[0]);
    tcase_add_test(tc, test_foreign_lmdb_file);
    tcase_add_test(tc, test_empty_file_is_fine);
    tcase_add_test(tc, test_bad_directories);
    tcase_add_test(tc, test_unwritable_directory);
    tcase_add_test(tc, test_map_resized_elsewhere);
    tcase_add_test(tc, test_stale_reader_cleared);
    tcase_add_test(tc, test_fork_child_refused);
    tcase_add_test(tc, test_damaged_pages);
    tcase_add_loop_test(tc, test_cut_at_open, 0,
                        (int)(sizeof cut_at_open_rows / sizeof cut_at_open_rows[0]));
    tcase_add_loop_test(tc, test_cut_while_open, 0, 2 * OP__N);
    tcase_add_test(tc, test_lock_cut_while_open);
    tcase_add_test(tc, test_second_owner_refused);
    tcase_add_loop_test(tc, test_panic_reopens_keeping_data, 0, PF_N);
    tcase_add_test(tc, test_panic_repeated_is_bounded);
    tcase_add_test(tc, test_panic_reopen_fails);
    tcase_add_test(tc, test_disk_full_named);
    tcase_add_test(tc, test_damaged_unreplaceable);
    tcase_add_test(tc, test_no_false_damage);
    tcase_add_test(tc, test_readers_full);
    tcase_add_test(tc, test_null_handles);
    tcase_add_test(tc, test_small_max_is_raised);
    suite_add_tcase(s, tc);

    add_fixtures(big);
    tcase_set_timeout(big, 300);
    tcase_add_test(big, test_map_growth);
    tcase_add_test(big, test_map_full_evicts_expired);
    tcase_add_test(big, test_put_many_grows_map);
    tcase_add_test(big, test_put_many_full_map);
    tcase_add_test(big, test_overflow_pages_small_map);
    tcase_add_test(big, test_evict_max_and_batches);
    suite_add_tcase(s, big);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cache_suite());
    int failed;

    log_open("check_cache", true);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

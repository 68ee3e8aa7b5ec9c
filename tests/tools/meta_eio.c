/*
 * meta_eio - a failing disk under LMDB's meta pages, for the unit tests
 * of src/cache.c (linked into tests/unit/check_cache).
 *
 * API: meta_eio_arm(true) makes every pwrite() to a file named cache.mdb
 * at an offset inside its first two pages (LMDB's two meta pages; the
 * page size is the OS page size, as LMDB uses on Linux) fail with EIO,
 * as a dying disk would; meta_eio_arm(false) heals the disk.
 * meta_eio_failed() counts the writes failed so far.  Every other write
 * passes through unchanged.
 *
 * How: this file defines pwrite() in the test executable.  The dynamic
 * linker binds liblmdb's reference to pwrite to the executable's
 * definition (a symbol an executable defines and a shared library it
 * links uses is exported and interposes), and ours calls the next one
 * (libc, or the sanitizer's interceptor first) through dlsym(RTLD_NEXT).
 * With MDB_NOMETASYNC, LMDB writes a meta page with one pwrite() on its
 * ordinary descriptor (mdb_env_write_meta); when it fails, LMDB writes the
 * old meta back (also failed here), sets MDB_FATAL_ERROR on the
 * environment, and every mdb_txn_begin()/mdb_txn_renew() after that
 * returns MDB_PANIC: the real failure, not a stand-in.  Data pages are
 * written at page 2 and beyond, so a commit fails only at its meta page.
 *
 * Limits: one process (a forked Check test arms its own copy); the file
 * is recognised by the name /proc/self/fd/N links to.
 */
#include "autoconfig.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "meta_eio.h"

static bool meta_eio_on;
static unsigned meta_eio_count;

void meta_eio_arm(bool on)
{
    meta_eio_on = on;
}

unsigned meta_eio_failed(void)
{
    return meta_eio_count;
}

/* Is fd open on a file named cache.mdb? */
static bool meta_eio_is_cache(int fd)
{
    char link[64], target[PATH_MAX];
    ssize_t n;
    const char *base;

    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    n = readlink(link, target, sizeof target - 1);
    if (n <= 0)
        return false;
    target[n] = '\0';
    base = strrchr(target, '/');
    return base != NULL && strcmp(base + 1, "cache.mdb") == 0;
}

typedef ssize_t (*meta_eio_pwrite_fn)(int, const void *, size_t, off_t);

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
    static meta_eio_pwrite_fn next;
    long page = sysconf(_SC_PAGESIZE);

    if (meta_eio_on && off >= 0 && off < 2 * (off_t)(page > 0 ? page : 4096) &&
        meta_eio_is_cache(fd)) {
        meta_eio_count++;
        errno = EIO;
        return -1;
    }
    if (next == NULL) {
        next = (meta_eio_pwrite_fn)dlsym(RTLD_NEXT, "pwrite");
        if (next == NULL)
            abort();
    }
    return next(fd, buf, len, off);
}

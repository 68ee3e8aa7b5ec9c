/*
 * daemon - process plumbing: detach, pidfile, privilege drop, sd_notify.
 *
 * daemon_detach() forks into the background (before the cache is opened,
 * so LMDB is never used across a fork), starts a new session, and points
 * stdio at /dev/null.  daemon_pidfile_write() refuses to run when the
 * pidfile names a live process.  daemon_drop_privileges() switches to
 * user/group (after binding sockets) with initgroups, setgid, setuid and
 * checks that root cannot be regained.  daemon_notify() sends
 * "READY=1" / "RELOADING=1" / "STOPPING=1" / "STATUS=..." to
 * $NOTIFY_SOCKET (abstract or path) without libsystemd.
 */
#ifndef MTASTSD_DAEMON_H
#define MTASTSD_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

bool daemon_detach(char *err, size_t errsz);
bool daemon_pidfile_write(const char *path, char *err, size_t errsz);
void daemon_pidfile_remove(const char *path);
bool daemon_drop_privileges(const char *user, const char *group, char *err, size_t errsz);
/* Resolve user/group names to ids (for chown of sockets and state_dir). */
bool daemon_lookup_ids(const char *user, const char *group, long *uid, long *gid, char *err,
                       size_t errsz);
/* Best effort; returns false (and logs at debug) on failure. */
bool daemon_notify(const char *msg);

#endif

/*
 * listener - the sockets Postfix connects to: "unix:PATH" (mode, owner,
 * group applied after bind) and "inet:ADDR:PORT" (IPv4, "[IPv6]"), or
 * sockets passed by systemd (LISTEN_FDS/LISTEN_PID).
 *
 * listener_open() binds every address of a `listen` string before
 * privileges are dropped; a unix path that exists is replaced only if no
 * live server answers on it.  listener_adopt() takes one listening socket
 * made elsewhere (the control socket), so that every socket of the daemon
 * is accepted through this one path.  listener_start() adds the accept
 * events; each accepted, non-blocking, close-on-exec fd is handed to the
 * accept callback.  Acceptance is paused (events removed, never a crash)
 * when the callback reports the connection limit reached or accept()
 * fails with EMFILE/ENFILE/ENOBUFS/ENOMEM; listener_resume() re-arms it
 * (called when a connection closes), and a 1 s timer retries after fd
 * exhaustion.  The "out of file descriptors" warning is rate-limited for
 * the whole process (LISTENER_EXHAUSTED_LOG_INTERVAL): when fds run out,
 * every listener meets it at once, and one line says so.
 *
 * listener_close() closes every socket and unlinks unix paths it created.
 */
#ifndef MTASTSD_LISTENER_H
#define MTASTSD_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct event_base;
struct listener;

/* Return false when at the connection limit: the fd is closed by the
 * callback itself, and listener pauses accepting until listener_resume(). */
typedef bool (*listener_accept_cb)(void *arg, int fd);

struct listener_unix_perms {
    unsigned mode;     /* e.g. 0666 */
    const char *owner; /* NULL or "" = unchanged */
    const char *group; /* NULL or "" = unchanged */
};

struct listener *listener_open(struct event_base *base, const char *listen,
                               const struct listener_unix_perms *perms, char *err, size_t errsz);
/* Adopt sockets passed by systemd (returns NULL with err empty if none). */
struct listener *listener_open_systemd(struct event_base *base, char *err, size_t errsz);
/* Adopt one listening socket (never NULL); `name` is for log lines.  The
 * socket is closed by listener_close(); a unix path is not unlinked. */
struct listener *listener_adopt(struct event_base *base, int fd, const char *name);
/* The name of its log lines ("socketmap" from listener_open() and
 * listener_open_systemd(); "metrics" for metrics_listen). */
void listener_set_name(struct listener *l, const char *name);
void listener_start(struct listener *l, listener_accept_cb cb, void *arg);
void listener_pause(struct listener *l);
void listener_resume(struct listener *l);
void listener_close(struct listener *l);
size_t listener_count(const struct listener *l);

/*
 * Shared helper (also for the control socket): create a listening unix
 * socket at path with mode applied (umask-safe), replacing a stale socket
 * file but refusing if a live server answers there.  Returns fd or -1
 * with err set.
 */
int listener_unix_socket(const char *path, unsigned mode, char *err, size_t errsz);

#endif

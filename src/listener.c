/*
 * listener - listening sockets for the socketmap service (see listener.h).
 *
 * Each socket has one persistent EV_READ event.  On readiness up to
 * LISTENER_ACCEPT_BURST connections are accepted (accept4 with
 * SOCK_NONBLOCK | SOCK_CLOEXEC) and handed to the callback.  Pausing
 * removes the events so the kernel backlog holds further clients; fd
 * exhaustion (EMFILE, ENFILE, ENOBUFS, ENOMEM) pauses too and arms a
 * one-second retry timer, logging through one process-wide token bucket
 * (one line per LISTENER_EXHAUSTED_LOG_INTERVAL seconds, for every
 * listener together, the next line counting those not logged).
 */
#include "autoconfig.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "endpoint.h"
#include "listener.h"
#include "log.h"
#include "xalloc.h"

#define LISTENER_MAX                    32
#define LISTENER_BACKLOG                1024
#define LISTENER_ACCEPT_BURST           64
#define LISTENER_EXHAUSTED_LOG_INTERVAL 60 /* seconds between "out of fds" lines */

/* One bucket for every listener: fd exhaustion hits them all at once. */
static struct log_limit listener_exhausted_log = LOG_LIMIT_INIT(1, LISTENER_EXHAUSTED_LOG_INTERVAL);

struct listener_sock {
    int fd;
    char *unix_path; /* to unlink on close; NULL for inet and systemd sockets */
    struct event *ev;
    struct listener *l;
};

struct listener {
    struct event_base *base;
    struct listener_sock socks[LISTENER_MAX];
    size_t n;
    listener_accept_cb cb;
    void *arg;
    bool started;
    bool paused;
    struct clock_timer *retry;
    char name[16]; /* "socketmap", "control", "metrics" */
};

/* "<op>(<what>): <strerror>" into err. */
static void listener_err(char *err, size_t errsz, const char *op, const char *what, int e)
{
    snprintf(err, errsz, "%s(%s): %s", op, what, strerror(e));
}

int listener_unix_socket(const char *path, unsigned mode, char *err, size_t errsz)
{
    struct sockaddr_un sun;
    struct stat st;

    if (strlen(path) >= sizeof(sun.sun_path)) {
        snprintf(err, errsz, "unix socket path too long: %s", path);
        return -1;
    }
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, strlen(path) + 1);

    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            snprintf(err, errsz, "%s exists and is not a socket; refusing to replace it", path);
            return -1;
        }
        /* Is somebody serving there?  Then do not steal the path. */
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe >= 0) {
            int rc = connect(probe, (struct sockaddr *)&sun, sizeof(sun));
            close(probe);
            if (rc == 0) {
                snprintf(err, errsz, "another server is already listening on %s", path);
                return -1;
            }
        }
        if (unlink(path) != 0 && errno != ENOENT) {
            listener_err(err, errsz, "unlink stale socket", path, errno);
            return -1;
        }
    }

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        listener_err(err, errsz, "socket", path, errno);
        return -1;
    }
    mode_t old = umask(0177); /* the socket is born 0600, then opened up */
    int rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
    int bind_errno = errno;
    umask(old);
    if (rc != 0) {
        listener_err(err, errsz, "bind", path, bind_errno);
        close(fd);
        return -1;
    }
    if (chmod(path, (mode_t)mode) != 0) {
        listener_err(err, errsz, "chmod", path, errno);
        close(fd);
        unlink(path);
        return -1;
    }
    if (listen(fd, LISTENER_BACKLOG) != 0) {
        listener_err(err, errsz, "listen", path, errno);
        close(fd);
        unlink(path);
        return -1;
    }
    return fd;
}

static bool listener_chown(const char *path, const struct listener_unix_perms *perms, char *err,
                           size_t errsz)
{
    uid_t uid = (uid_t)-1;
    gid_t gid = (gid_t)-1;
    if (perms == NULL)
        return true;
    if (perms->owner != NULL && perms->owner[0] != '\0') {
        struct passwd *pw = getpwnam(perms->owner);
        if (pw == NULL) {
            snprintf(err, errsz, "socket_owner: unknown user '%s'", perms->owner);
            return false;
        }
        uid = pw->pw_uid;
    }
    if (perms->group != NULL && perms->group[0] != '\0') {
        struct group *gr = getgrnam(perms->group);
        if (gr == NULL) {
            snprintf(err, errsz, "socket_group: unknown group '%s'", perms->group);
            return false;
        }
        gid = gr->gr_gid;
    }
    if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid) != 0) {
        listener_err(err, errsz, "chown", path, errno);
        return false;
    }
    return true;
}

/* Bind and listen on a numeric inet endpoint (endpoint.c parsed it). */
static int listener_inet_socket(const struct endpoint *ep, const char *spec, char *err,
                                size_t errsz)
{
    char port[8];
    snprintf(port, sizeof(port), "%u", ep->port);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    int gai = getaddrinfo(ep->addr, port, &hints, &res);
    if (gai != 0) {
        snprintf(err, errsz, "bad inet listener '%s': %s", spec, gai_strerror(gai));
        return -1;
    }
    int fd = socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        listener_err(err, errsz, "socket", spec, errno);
        freeaddrinfo(res);
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (res->ai_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
        listener_err(err, errsz, "bind", spec, errno);
        close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    if (listen(fd, LISTENER_BACKLOG) != 0) {
        listener_err(err, errsz, "listen", spec, errno);
        close(fd);
        return -1;
    }
    return fd;
}

static struct listener *listener_alloc(struct event_base *base, const char *name)
{
    struct listener *l = xcalloc(1, sizeof(*l));
    l->base = base;
    snprintf(l->name, sizeof(l->name), "%s", name);
    return l;
}

static void listener_add(struct listener *l, int fd, const char *unix_path)
{
    struct listener_sock *s = &l->socks[l->n++];
    s->fd = fd;
    s->unix_path = unix_path ? xstrdup(unix_path) : NULL;
    s->l = l;
}

struct listener *listener_open(struct event_base *base, const char *listen_spec,
                               const struct listener_unix_perms *perms, char *err, size_t errsz)
{
    struct listener *l = listener_alloc(base, "socketmap");
    char *copy = xstrdup(listen_spec);
    char *save = NULL;
    for (char *tok = strtok_r(copy, " \t", &save); tok != NULL;
         tok = strtok_r(NULL, " \t", &save)) {
        if (l->n >= LISTENER_MAX) {
            snprintf(err, errsz, "too many listeners (at most %d)", LISTENER_MAX);
            goto fail;
        }
        struct endpoint ep;
        char why[128];
        int fd;
        if (!endpoint_parse(tok, strlen(tok), &ep, why, sizeof(why))) {
            snprintf(err, errsz, "bad listener '%s': %s", tok, why);
            goto fail;
        }
        if (ep.kind == ENDPOINT_UNIX) {
            fd = listener_unix_socket(ep.path, perms ? perms->mode : 0666, err, errsz);
            if (fd < 0)
                goto fail;
            listener_add(l, fd, ep.path);
            if (!listener_chown(ep.path, perms, err, errsz))
                goto fail;
        } else {
            fd = listener_inet_socket(&ep, tok + 5, err, errsz);
            if (fd < 0)
                goto fail;
            listener_add(l, fd, NULL);
        }
    }
    free(copy);
    if (l->n == 0) {
        snprintf(err, errsz, "no listener configured");
        listener_close(l);
        return NULL;
    }
    return l;
fail:
    free(copy);
    listener_close(l);
    return NULL;
}

void listener_set_name(struct listener *l, const char *name)
{
    snprintf(l->name, sizeof(l->name), "%s", name);
}

struct listener *listener_open_systemd(struct event_base *base, char *err, size_t errsz)
{
    const char *pid = getenv("LISTEN_PID");
    const char *fds = getenv("LISTEN_FDS");
    err[0] = '\0';
    if (pid == NULL || fds == NULL)
        return NULL;
    char *end;
    long p = strtol(pid, &end, 10);
    if (*end != '\0' || p != (long)getpid())
        return NULL;
    long n = strtol(fds, &end, 10);
    if (*end != '\0' || n <= 0 || n > LISTENER_MAX) {
        snprintf(err, errsz, "LISTEN_FDS='%s' is not usable", fds);
        return NULL;
    }
    struct listener *l = listener_alloc(base, "socketmap");
    for (int fd = 3; fd < 3 + n; fd++) {
        int type = 0, acc = 0;
        socklen_t len = sizeof(type);
        socklen_t alen = sizeof(acc);
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM ||
            getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &alen) != 0 || !acc) {
            snprintf(err, errsz, "systemd passed fd %d that is not a listening stream socket", fd);
            listener_close(l);
            return NULL;
        }
        fcntl(fd, F_SETFD, FD_CLOEXEC);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        listener_add(l, fd, NULL);
    }
    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    return l;
}

struct listener *listener_adopt(struct event_base *base, int fd, const char *name)
{
    struct listener *l = listener_alloc(base, name);
    listener_add(l, fd, NULL);
    return l;
}

static void listener_exhausted(struct listener *l, int e)
{
    uint64_t held_back = 0;
    if (log_limit_take(&listener_exhausted_log, clock_wall(), &held_back)) {
        char more[80] = "";
        if (held_back > 0)
            snprintf(more, sizeof(more), " (%" PRIu64 " more times since the last such line)",
                     held_back);
        log_warning("%s: accept: %s; pausing new connections for 1 s%s", l->name, strerror(e),
                    more);
    }
    listener_pause(l);
    clock_timer_add(l->retry, 1000);
}

static void listener_on_accept(evutil_socket_t fd, short what, void *arg)
{
    struct listener_sock *s = arg;
    struct listener *l = s->l;
    (void)what;
    for (int i = 0; i < LISTENER_ACCEPT_BURST && !l->paused; i++) {
        int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                listener_exhausted(l, errno);
                return;
            }
            log_warning_errno("%s: accept", l->name);
            return;
        }
        l->cb(l->arg, c);
    }
}

static void listener_on_retry(void *arg)
{
    listener_resume(arg);
}

void listener_start(struct listener *l, listener_accept_cb cb, void *arg)
{
    l->cb = cb;
    l->arg = arg;
    l->retry = clock_timer_new(l->base, listener_on_retry, l);
    for (size_t i = 0; i < l->n; i++) {
        l->socks[i].ev = event_new(l->base, l->socks[i].fd, EV_READ | EV_PERSIST,
                                   listener_on_accept, &l->socks[i]);
        event_add(l->socks[i].ev, NULL);
    }
    l->started = true;
    l->paused = false;
}

void listener_pause(struct listener *l)
{
    if (l == NULL || !l->started || l->paused)
        return;
    for (size_t i = 0; i < l->n; i++)
        event_del(l->socks[i].ev);
    l->paused = true;
    log_debug("listener: accepting paused");
}

void listener_resume(struct listener *l)
{
    if (l == NULL || !l->started || !l->paused)
        return;
    for (size_t i = 0; i < l->n; i++)
        event_add(l->socks[i].ev, NULL);
    l->paused = false;
    log_debug("listener: accepting resumed");
}

void listener_close(struct listener *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++) {
        if (l->socks[i].ev != NULL)
            event_free(l->socks[i].ev);
        close(l->socks[i].fd);
        if (l->socks[i].unix_path != NULL) {
            unlink(l->socks[i].unix_path);
            free(l->socks[i].unix_path);
        }
    }
    clock_timer_free(l->retry);
    free(l);
}

size_t listener_count(const struct listener *l)
{
    return l ? l->n : 0;
}

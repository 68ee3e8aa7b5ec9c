/*
 * nullserver - the ceiling for the socketmap benchmark (bench/README).
 *
 * A minimal single-threaded epoll server on a unix socket that answers
 * every complete netstring request with one constant netstring reply and
 * does nothing else: no parsing of the request beyond its framing, no
 * logging, no timers.  Whatever mtastsd does on top of reading a request
 * and writing a reply is what separates its figures from this one's.
 *
 *     nullserver -s SOCKET [-r REPLY]
 *
 * REPLY defaults to "NOTFOUND ".  The server unlinks SOCKET at start (it
 * is a bench tool: the path is ours), serves until SIGINT or SIGTERM, and
 * then removes the socket.
 *
 * Framing: requests are "<len>:<bytes>," with len at most 10000 (the
 * socketmap limit); several requests in one read (pipelining) are answered
 * in order, a request split across reads waits for the rest.  A malformed
 * or oversize frame closes the connection.  Replies of one read are
 * written with one send(); a short send waits for EPOLLOUT and stops
 * reading until the output is drained, so a client that does not read
 * cannot make the server buffer without bound.
 *
 * Ownership: one struct conn per connection (fd, input and output
 * buffers), freed on close.  Diagnostics: fatal set-up errors on stderr,
 * exit status 1.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define NS_REQ_MAX 10000                /* socketmap request limit */
#define NS_IN_CAP  (NS_REQ_MAX + 5 + 2) /* one maximal frame */
#define NS_EVENTS  256

struct conn {
    int fd;
    char in[NS_IN_CAP];
    size_t inlen;
    char *out;
    size_t outlen, outoff, outcap;
    bool want_out; /* EPOLLOUT registered, reading paused */
};

static volatile sig_atomic_t stop;
static char *reply_frame;
static size_t reply_len;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void die(const char *what)
{
    fprintf(stderr, "nullserver: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void conn_close(int ep, struct conn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->out);
    free(c);
}

static void out_append(struct conn *c)
{
    if (c->outcap - c->outlen < reply_len) {
        size_t cap = c->outcap ? c->outcap : 4096;
        while (cap - c->outlen < reply_len)
            cap *= 2;
        c->out = realloc(c->out, cap);
        if (c->out == NULL)
            die("realloc");
        c->outcap = cap;
    }
    memcpy(c->out + c->outlen, reply_frame, reply_len);
    c->outlen += reply_len;
}

/* Answer every complete frame in c->in.  False: malformed, close. */
static bool parse_frames(struct conn *c)
{
    size_t off = 0;

    while (off < c->inlen) {
        size_t i = off, len = 0, digits = 0;
        while (i < c->inlen && c->in[i] >= '0' && c->in[i] <= '9') {
            len = len * 10 + (size_t)(c->in[i] - '0');
            if (++digits > 5 || len > NS_REQ_MAX)
                return false;
            i++;
        }
        if (i == c->inlen)
            break; /* the length is not complete yet */
        if (digits == 0 || c->in[i] != ':' || (digits > 1 && c->in[off] == '0'))
            return false;
        i++;
        if (c->inlen - i < len + 1)
            break; /* payload or comma still to come */
        if (c->in[i + len] != ',')
            return false;
        off = i + len + 1;
        out_append(c);
    }
    if (off > 0) {
        memmove(c->in, c->in + off, c->inlen - off);
        c->inlen -= off;
    }
    return true;
}

/* Send pending output.  False: the connection failed. */
static bool flush_out(int ep, struct conn *c)
{
    while (c->outoff < c->outlen) {
        ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (!c->want_out) {
                    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
                    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
                    c->want_out = true;
                }
                return true;
            }
            return false;
        }
        c->outoff += (size_t)n;
    }
    c->outoff = c->outlen = 0;
    if (c->want_out) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
        c->want_out = false;
    }
    return true;
}

static void on_readable(int ep, struct conn *c)
{
    if (c->inlen == sizeof(c->in)) {
        conn_close(ep, c); /* cannot happen: a full buffer holds a frame */
        return;
    }
    ssize_t n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        conn_close(ep, c);
        return;
    }
    if (n < 0)
        return;
    c->inlen += (size_t)n;
    if (!parse_frames(c) || !flush_out(ep, c))
        conn_close(ep, c);
}

static void on_writable(int ep, struct conn *c)
{
    if (!flush_out(ep, c)) {
        conn_close(ep, c);
        return;
    }
    /* Frames that arrived while we were blocked on output. */
    if (!c->want_out && c->inlen > 0 && (!parse_frames(c) || !flush_out(ep, c)))
        conn_close(ep, c);
}

int main(int argc, char **argv)
{
    const char *path = NULL, *reply = "NOTFOUND ";
    int opt;

    while ((opt = getopt(argc, argv, "s:r:")) != -1) {
        switch (opt) {
        case 's':
            path = optarg;
            break;
        case 'r':
            reply = optarg;
            break;
        default:
            fprintf(stderr, "usage: nullserver -s SOCKET [-r REPLY]\n");
            return 2;
        }
    }
    if (path == NULL) {
        fprintf(stderr, "usage: nullserver -s SOCKET [-r REPLY]\n");
        return 2;
    }
    size_t rl = strlen(reply);
    reply_frame = malloc(rl + 16);
    if (reply_frame == NULL)
        die("malloc");
    reply_len = (size_t)sprintf(reply_frame, "%zu:%s,", rl, reply);

    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sun.sun_path)) {
        fprintf(stderr, "nullserver: socket path too long\n");
        return 2;
    }
    strcpy(sun.sun_path, path);
    int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (lfd < 0)
        die("socket");
    unlink(path);
    if (bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) != 0)
        die(path);
    if (listen(lfd, 1024) != 0)
        die("listen");

    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0)
        die("epoll_create1");
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev) != 0)
        die("epoll_ctl");

    struct epoll_event evs[NS_EVENTS];
    while (!stop) {
        int n = epoll_wait(ep, evs, NS_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (c == NULL) {
                int fd;
                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    c = calloc(1, sizeof(*c));
                    if (c == NULL)
                        die("calloc");
                    c->fd = fd;
                    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
                    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
                        close(fd);
                        free(c);
                    }
                }
                continue;
            }
            if (evs[i].events & EPOLLOUT)
                on_writable(ep, c);
            else if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                on_readable(ep, c);
        }
    }
    close(lfd);
    unlink(path);
    return 0;
}

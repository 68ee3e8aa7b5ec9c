/*
 * control - the control socket that mtastsd-ctl talks to (see control.h;
 * the protocol is doc/control-protocol.txt, the commands ctlcmd.c).
 *
 * Public functions: control_open(), control_start(), control_reconfigure(),
 * control_close(), and the control_client_*() functions the commands
 * answer through.
 *
 * One request per connection: the client sends
 * "MTASTSD-CTL 1 <text|json> <command> [args]", the server answers with
 * "DATA ..." lines and one final "OK"/"NOTFOUND"/"ERR" line, then closes.
 * "load" is the only command that reads more: the server says "CONTINUE",
 * the client streams one JSON record per line and ends with ".".
 *
 * Each client is a bufferevent with an explicit state:
 *   REQUEST  reading the request line: it must be complete within
 *            CONTROL_REQUEST_TIMEOUT of the connect, however the bytes
 *            trickle in (a deadline, not an idle timer)
 *   RUN      the command runs: streaming a scan in batches, or waiting for
 *            refresh jobs; input is read only to notice the client leaving
 *   LOAD     reading load records (read timeout CONTROL_IDLE_TIMEOUT)
 *   DONE     the final line is queued; the connection closes once it is
 *            written
 * control_client_enter_state() logs "old -> new" at debug level.  A
 * command that goes on after its first call hands this module its hooks
 * (struct ctlcmd_ops): input (LOAD), drained (output down to
 * CTLCMD_OUT_LOW), work (a turn asked for with control_client_schedule():
 * a zero timer, not event_active(), which libevent would run in the same
 * pass and so starve every other connection), left, stop, free.  A client
 * that stops reading is cut off after CONTROL_IDLE_TIMEOUT without
 * progress.
 *
 * Accepting goes through listener.c (listener_adopt()), the one accept
 * path of the daemon, with its one rate-limited "out of file
 * descriptors" warning and pause.
 *
 * Access: SO_PEERCRED at accept; root, the daemon's effective uid, and
 * members of control_socket_group (primary group or, with SO_PEERGROUPS,
 * any supplementary group) are served.  Others get "ERR permission
 * denied".  At most CONTROL_CLIENTS_MAX clients at once: when a new
 * client finds them all taken, the oldest client still in REQUEST (one
 * that holds a slot without having asked anything, connected at least
 * CONTROL_SHED_MIN_AGE ago) is closed to make room (counted as
 * control_shed); if there is none, the new one gets "ERR too many control
 * clients".  Refusals and sheddings log a warning: at most
 * CONTROL_DENY_LOG_BURST at once, then one per second, the next logged
 * line counting those that were not (any local user may knock on a
 * socket of mode 0666).
 *
 * Limits: request line CTLPROTO_LINE_MAX bytes, load record
 * CTLPROTO_RECORD_MAX bytes.  Diagnostics: refusals at warning; the
 * commands log operator actions (ctlcmd.c).
 */
#include "autoconfig.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <grp.h>
#include <inttypes.h>
#include <jansson.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "control.h"
#include "ctlcmd.h"
#include "ctlproto.h"
#include "listener.h"
#include "log.h"
#include "queue_safe.h"
#include "stats.h"
#include "xalloc.h"

#define CONTROL_CLIENTS_MAX     16
#define CONTROL_IDLE_TIMEOUT    30 /* seconds without progress */
#define CONTROL_REQUEST_TIMEOUT 10 /* seconds from connect to a complete request line */
#define CONTROL_SHED_MIN_AGE    1  /* seconds before a client without a request may be shed */
#define CONTROL_DENY_LOG_BURST  10 /* refusal lines logged at once, then 1/s */

enum control_client_state {
    CC_REQUEST = 0,
    CC_RUN,
    CC_LOAD,
    CC_DONE,
};

static const char *const control_state_names[] = {"request", "run", "load", "done"};

struct control_client {
    struct control *ctl;
    struct bufferevent *bev;
    enum control_client_state state;
    unsigned long id;             /* for logs */
    int64_t connected_ms;         /* monotonic */
    struct clock_timer *deadline; /* CONTROL_REQUEST_TIMEOUT, while in REQUEST */
    struct clock_timer *work;     /* the command's next turn */
    uid_t uid;
    pid_t pid;
    struct ctlproto_request req;
    enum ctlproto_format fmt;
    const struct ctlcmd_ops *ops;     /* a command that goes on; NULL if none */
    void *st;                         /* its state */
    TAILQ_ENTRY(control_client) link; /* on ctl->clients, oldest first */
};

struct control {
    struct event_base *base;
    struct listener *listener; /* the socket, accepted through listener.c */
    char *path;
    dev_t dev;
    ino_t ino;
    bool has_group;
    gid_t gid;
    char *group_name;
    int64_t refresh_interval; /* control_reconfigure() keeps it current */
    struct control_deps deps;
    bool started;
    TAILQ_HEAD(, control_client) clients; /* oldest first */
    size_t nclients;
    unsigned long next_id;
    uint64_t refused;
    /* Logging of refused and shed connections: a token bucket
     * (CONTROL_DENY_LOG_BURST lines, then one per second), so that any
     * local user cannot flood the log through a world-connectable socket
     * or by opening clients beyond CONTROL_CLIENTS_MAX. */
    struct log_limit deny_log;
};

/* ------------------------------------------------------------ clients */

static void control_client_enter_state(struct control_client *c, enum control_client_state st)
{
    if (c->state != st)
        log_debug("control client %lu: %s -> %s", c->id, control_state_names[c->state],
                  control_state_names[st]);
    if (st != CC_REQUEST)
        clock_timer_del(c->deadline);
    c->state = st;
}

static void control_client_free(struct control_client *c)
{
    struct control *ctl = c->ctl;
    if (c->ops != NULL && c->ops->free != NULL)
        c->ops->free(c->st); /* cancels what still runs, frees the state */
    clock_timer_free(c->deadline);
    clock_timer_free(c->work);
    if (c->bev != NULL)
        bufferevent_free(c->bev); /* closes the fd */
    TAILQ_REMOVE(&ctl->clients, c, link);
    ctl->nclients--;
    log_debug("control client %lu: closed", c->id);
    free(c);
}

static void control_client_write(struct control_client *c, const char *kw, const char *text,
                                 size_t len)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);
    evbuffer_add(out, kw, strlen(kw));
    if (len > 0) {
        evbuffer_add(out, " ", 1);
        evbuffer_add(out, text, len);
    }
    evbuffer_add(out, "\n", 1);
}

bool control_client_json(const struct control_client *c)
{
    return c->fmt == CTLPROTO_JSON;
}

const struct ctlproto_request *control_client_request(const struct control_client *c)
{
    return &c->req;
}

void control_client_peer(const struct control_client *c, long *uid, long *pid)
{
    *uid = (long)c->uid;
    *pid = (long)c->pid;
}

const struct control_deps *control_client_deps(const struct control_client *c)
{
    return &c->ctl->deps;
}

int64_t control_client_refresh_interval(const struct control_client *c)
{
    return c->ctl->refresh_interval;
}

void control_client_counts(const struct control_client *c, size_t *clients, uint64_t *refused)
{
    *clients = c->ctl->nclients;
    *refused = c->ctl->refused;
}

struct event_base *control_client_base(const struct control_client *c)
{
    return c->ctl->base;
}

void control_client_data(struct control_client *c, const char *text)
{
    for (;;) {
        const char *nl = strchr(text, '\n');
        size_t n = nl ? (size_t)(nl - text) : strlen(text);
        control_client_write(c, "DATA", text, n);
        if (nl == NULL)
            break;
        text = nl + 1;
    }
}

void control_client_dataf(struct control_client *c, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    control_client_data(c, buf);
}

void control_client_data_take(struct control_client *c, char *text)
{
    control_client_data(c, text);
    free(text);
}

void control_client_data_json(struct control_client *c, struct json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (s == NULL)
        abort(); /* only on OOM */
    control_client_data_take(c, s);
}

void control_client_final(struct control_client *c, const char *kw, const char *fmt, ...)
{
    char buf[1024];
    buf[0] = '\0';
    if (fmt != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
    }
    for (char *p = buf; *p != '\0'; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    control_client_write(c, kw, buf, strlen(buf));
    if (c->ops != NULL && c->ops->stop != NULL)
        c->ops->stop(c->st);
    clock_timer_del(c->work);
    control_client_enter_state(c, CC_DONE);
    bufferevent_disable(c->bev, EV_READ);
    bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
    struct timeval tv = {.tv_sec = CONTROL_IDLE_TIMEOUT, .tv_usec = 0};
    bufferevent_set_timeouts(c->bev, NULL, &tv);
    bufferevent_enable(c->bev, EV_WRITE);
}

bool control_client_finished(const struct control_client *c)
{
    return c->state == CC_DONE;
}

size_t control_client_output(const struct control_client *c)
{
    return evbuffer_get_length(bufferevent_get_output(c->bev));
}

void control_client_run(struct control_client *c, const struct ctlcmd_ops *ops, void *st)
{
    c->ops = ops;
    c->st = st;
    if (ops->drained != NULL)
        bufferevent_setwatermark(c->bev, EV_WRITE, CTLCMD_OUT_LOW, 0);
}

void control_client_schedule(struct control_client *c)
{
    clock_timer_add(c->work, 0);
}

void control_client_read_records(struct control_client *c)
{
    static const char msg[] = "send one record per line, then a line \".\"";
    control_client_enter_state(c, CC_LOAD);
    control_client_write(c, "CONTINUE", msg, strlen(msg));
    bufferevent_setwatermark(c->bev, EV_READ, 0, CTLPROTO_RECORD_MAX + 2);
    struct timeval tv = {.tv_sec = CONTROL_IDLE_TIMEOUT, .tv_usec = 0};
    bufferevent_set_timeouts(c->bev, &tv, &tv);
}

int control_client_getline(struct control_client *c, size_t max, char **line, size_t *len)
{
    struct evbuffer *in = bufferevent_get_input(c->bev);
    struct evbuffer_ptr p = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
    if (p.pos < 0)
        return evbuffer_get_length(in) > max + 1 ? -1 : 0;
    size_t n = (size_t)p.pos;
    if (n > max + 1)
        return -1;
    char *s = xmalloc(n + 1);
    evbuffer_remove(in, s, n);
    evbuffer_drain(in, 1);
    if (n > 0 && s[n - 1] == '\r')
        n--;
    s[n] = '\0';
    if (n > max) {
        free(s);
        return -1;
    }
    *line = s;
    *len = n;
    return 1;
}

/* The turn control_client_schedule() asked for. */
static void control_on_work(void *arg)
{
    struct control_client *c = arg;
    if (c->ops == NULL || c->state == CC_DONE)
        return;
    if (c->state == CC_LOAD && c->ops->input != NULL)
        c->ops->input(c, c->st);
    else if (c->ops->work != NULL)
        c->ops->work(c, c->st);
}

/* ------------------------------------------------------------ dispatch */

static void control_request(struct control_client *c, const char *line, size_t len)
{
    enum ctlproto_status st = ctlproto_request_parse(line, len, &c->req);
    if (st == CTLPROTO_BAD_VERSION) {
        control_client_final(c, "ERR", "unsupported protocol version %u (this server speaks %d)",
                             c->req.version, CTLPROTO_VERSION);
        return;
    }
    if (st != CTLPROTO_OK) {
        control_client_final(c, "ERR", "bad request: %s", ctlproto_strerror(st));
        return;
    }
    c->fmt = c->req.format;
    const struct ctlcmd *cmd = ctlcmd_find(c->req.command);
    char safe[64];
    if (cmd == NULL) {
        control_client_final(
            c, "ERR", "unknown command '%s'",
            log_sanitize(c->req.command, strlen(c->req.command), safe, sizeof(safe)));
        return;
    }
    if (c->req.argc < cmd->min_args || c->req.argc > cmd->max_args) {
        control_client_final(c, "ERR", "wrong number of arguments for '%s'", cmd->name);
        return;
    }
    log_debug("control client %lu: uid %ld pid %ld: %s (%zu arguments)", c->id, (long)c->uid,
              (long)c->pid, cmd->name, c->req.argc);
    control_client_enter_state(c, CC_RUN);
    /* While a command runs, input is read only to notice the client leaving. */
    struct timeval tv = {.tv_sec = CONTROL_IDLE_TIMEOUT, .tv_usec = 0};
    bufferevent_set_timeouts(c->bev, NULL, &tv);
    cmd->run(c);
}

static void control_on_read(struct bufferevent *bev, void *arg)
{
    struct control_client *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    if (c->state == CC_REQUEST) {
        char *line;
        size_t len;
        int r = control_client_getline(c, CTLPROTO_LINE_MAX, &line, &len);
        if (r == 0)
            return;
        if (r < 0) {
            control_client_final(c, "ERR", "bad request: %s", ctlproto_strerror(CTLPROTO_TOO_LONG));
            return;
        }
        control_request(c, line, len);
        free(line);
    }
    if (c->state == CC_LOAD) {
        /* If a batch is already scheduled, the new input waits for it. */
        if (!clock_timer_pending(c->work) && c->ops != NULL && c->ops->input != NULL)
            c->ops->input(c, c->st);
        return;
    }
    if (c->state == CC_RUN || c->state == CC_DONE)
        evbuffer_drain(in, evbuffer_get_length(in)); /* nothing more is expected */
}

static void control_on_write(struct bufferevent *bev, void *arg)
{
    struct control_client *c = arg;
    if (c->state == CC_DONE) {
        if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
            control_client_free(c);
        return;
    }
    if (c->state == CC_RUN && c->ops != NULL && c->ops->drained != NULL)
        c->ops->drained(c, c->st);
}

static void control_on_event(struct bufferevent *bev, short what, void *arg)
{
    struct control_client *c = arg;
    (void)bev;
    if (what & BEV_EVENT_TIMEOUT)
        log_info("control client %lu (uid %ld pid %ld): no progress for %d s in state %s; "
                 "closing",
                 c->id, (long)c->uid, (long)c->pid, CONTROL_IDLE_TIMEOUT,
                 control_state_names[c->state]);
    else if (c->state != CC_DONE && c->state != CC_REQUEST && c->ops != NULL &&
             c->ops->left != NULL)
        c->ops->left(c, c->st);
    else if (c->state != CC_DONE && c->state != CC_REQUEST)
        log_debug("control client %lu: client left while the command ran", c->id);
    control_client_free(c);
}

/* ------------------------------------------------------------ accept */

static bool control_peer_allowed(const struct control *ctl, int fd, const struct ucred *cr)
{
    if (cr->uid == 0 || cr->uid == geteuid())
        return true;
    if (!ctl->has_group)
        return false;
    if (cr->gid == ctl->gid)
        return true;
#ifdef SO_PEERGROUPS
    gid_t groups[64];
    socklen_t len = sizeof(groups);
    gid_t *g = groups;
    int rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len);
    if (rc != 0 && errno == ERANGE && len > 0 && len <= 65536 * sizeof(gid_t)) {
        g = xmalloc(len);
        rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len);
    }
    bool member = false;
    if (rc == 0)
        for (size_t i = 0; i < len / sizeof(gid_t) && !member; i++)
            member = g[i] == ctl->gid;
    if (g != groups)
        free(g);
    return member;
#else
    (void)fd;
    return false;
#endif
}

/* Answer a connection we will not serve, without blocking, and close it. */
static void control_refuse(struct control *ctl, int fd, const char *msg)
{
    ctl->refused++;
    ssize_t n = send(fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)n;
    close(fd);
}

/* Refused or shed connections are logged through ctl->deny_log (it
 * refills one line per second up to CONTROL_DENY_LOG_BURST); the next line
 * that is logged says how many were not. */

/* The request line did not arrive within CONTROL_REQUEST_TIMEOUT. */
static void control_on_deadline(void *arg)
{
    struct control_client *c = arg;
    if (c->state != CC_REQUEST)
        return;
    stats.control_slow_requests++;
    log_limited(&c->ctl->deny_log, clock_wall(), LOG_LEVEL_WARNING, "more refused, not logged",
                "control client %lu (uid %ld pid %ld): no complete request within %d s "
                "of connecting; closing",
                c->id, (long)c->uid, (long)c->pid, CONTROL_REQUEST_TIMEOUT);
    control_client_free(c);
}

/*
 * At CONTROL_CLIENTS_MAX: close the oldest client that has not sent its
 * request yet, so that a new client is served.  False if every client is
 * running a command (those are never cut short for a newcomer).
 */
static bool control_shed_one(struct control *ctl, const struct ucred *cr)
{
    struct control_client *victim;
    TAILQ_FOREACH(victim, &ctl->clients, link)
        if (victim->state == CC_REQUEST)
            break; /* the list is oldest first */
    if (victim == NULL || clock_mono_ms() - victim->connected_ms < CONTROL_SHED_MIN_AGE * 1000)
        return false;
    stats.control_shed++;
    log_limited(&ctl->deny_log, clock_wall(), LOG_LEVEL_WARNING, "more refused, not logged",
                "control: %d clients connected; closed client %lu (uid %ld pid %ld), "
                "connected %lld s ago without a complete request, to serve uid %ld pid %ld",
                CONTROL_CLIENTS_MAX, victim->id, (long)victim->uid, (long)victim->pid,
                (long long)((clock_mono_ms() - victim->connected_ms) / 1000), (long)cr->uid,
                (long)cr->pid);
    control_client_free(victim);
    return true;
}

static void control_accept_one(struct control *ctl, int fd)
{
    struct ucred cr;
    socklen_t len = sizeof(cr);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0) {
        log_warning_errno("control: cannot read the peer credentials");
        control_refuse(ctl, fd, "ERR permission denied\n");
        return;
    }
    if (!control_peer_allowed(ctl, fd, &cr)) {
        log_limited(&ctl->deny_log, clock_wall(), LOG_LEVEL_WARNING, "more refused, not logged",
                    "control: connection from uid %ld gid %ld pid %ld refused: not "
                    "root, not uid %ld%s%s",
                    (long)cr.uid, (long)cr.gid, (long)cr.pid, (long)geteuid(),
                    ctl->has_group ? " and not in group " : "",
                    ctl->has_group ? ctl->group_name : "");
        control_refuse(ctl, fd, "ERR permission denied\n");
        return;
    }
    if (ctl->nclients >= CONTROL_CLIENTS_MAX && !control_shed_one(ctl, &cr)) {
        log_limited(&ctl->deny_log, clock_wall(), LOG_LEVEL_WARNING, "more refused, not logged",
                    "control: %d clients already connected; refusing uid %ld pid %ld",
                    CONTROL_CLIENTS_MAX, (long)cr.uid, (long)cr.pid);
        control_refuse(ctl, fd, "ERR too many control clients\n");
        return;
    }
    struct bufferevent *bev = bufferevent_socket_new(ctl->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (bev == NULL) {
        log_error("control: cannot create a buffer for a client");
        close(fd);
        return;
    }
    struct control_client *c = xcalloc(1, sizeof(*c));
    c->ctl = ctl;
    c->bev = bev;
    c->id = ++ctl->next_id;
    c->uid = cr.uid;
    c->pid = cr.pid;
    c->state = CC_REQUEST;
    c->connected_ms = clock_mono_ms();
    c->work = clock_timer_new(ctl->base, control_on_work, c);
    c->deadline = clock_timer_new(ctl->base, control_on_deadline, c);
    clock_timer_add(c->deadline, CONTROL_REQUEST_TIMEOUT * 1000);
    TAILQ_INSERT_TAIL(&ctl->clients, c, link);
    ctl->nclients++;
    log_debug("control client %lu: uid %ld pid %ld connected", c->id, (long)cr.uid, (long)cr.pid);
    bufferevent_setcb(bev, control_on_read, control_on_write, control_on_event, c);
    bufferevent_setwatermark(bev, EV_READ, 0, CTLPROTO_LINE_MAX + 2);
    struct timeval tv = {.tv_sec = CONTROL_IDLE_TIMEOUT, .tv_usec = 0};
    bufferevent_set_timeouts(bev, &tv, &tv);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* listener_accept_cb: every accepted peer is either served or refused
 * here, so accepting never pauses for the control socket. */
static bool control_on_accept(void *arg, int fd)
{
    control_accept_one(arg, fd);
    return true;
}

/* ------------------------------------------------------------ public */

struct control *control_open(struct event_base *base, const struct config *cfg, char *err,
                             size_t errsz)
{
    err[0] = '\0';
    if (cfg->control_socket == NULL || cfg->control_socket[0] == '\0')
        return NULL; /* disabled */

    struct control *ctl = xcalloc(1, sizeof(*ctl));
    ctl->base = base;
    ctl->path = xstrdup(cfg->control_socket);
    TAILQ_INIT(&ctl->clients);
    ctl->refresh_interval = cfg->refresh_interval;
    ctl->deny_log = (struct log_limit)LOG_LIMIT_INIT(CONTROL_DENY_LOG_BURST, 1);

    gid_t gid = (gid_t)-1;
    uid_t uid = (uid_t)-1;
    if (cfg->control_socket_group != NULL && cfg->control_socket_group[0] != '\0') {
        struct group *gr = getgrnam(cfg->control_socket_group);
        if (gr == NULL) {
            snprintf(err, errsz, "control_socket_group: unknown group '%s'",
                     cfg->control_socket_group);
            goto fail;
        }
        gid = gr->gr_gid;
        ctl->has_group = true;
        ctl->gid = gid;
        ctl->group_name = xstrdup(cfg->control_socket_group);
    }
    if (geteuid() == 0 && cfg->user != NULL && cfg->user[0] != '\0') {
        /* The daemon's own user may use its socket after the privilege drop. */
        struct passwd *pw = getpwnam(cfg->user);
        if (pw == NULL) {
            snprintf(err, errsz, "user: unknown user '%s'", cfg->user);
            goto fail;
        }
        uid = pw->pw_uid;
    }

    int fd = listener_unix_socket(ctl->path, cfg->control_socket_mode, err, errsz);
    if (fd < 0)
        goto fail;
    if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(ctl->path, uid, gid) != 0) {
        snprintf(err, errsz, "chown(%s): %s", ctl->path, strerror(errno));
        close(fd);
        unlink(ctl->path);
        goto fail;
    }
    struct stat st;
    if (stat(ctl->path, &st) == 0) {
        ctl->dev = st.st_dev;
        ctl->ino = st.st_ino;
    }
    /* The path is ours to remove (control_close(), after checking it is
     * still our socket), not the listener's. */
    ctl->listener = listener_adopt(base, fd, "control");
    log_debug("control socket %s ready (mode %04o%s%s)", ctl->path, cfg->control_socket_mode,
              ctl->has_group ? ", group " : "", ctl->has_group ? ctl->group_name : "");
    return ctl;
fail:
    if (err[0] == '\0')
        snprintf(err, errsz, "cannot open %s", ctl->path);
    free(ctl->group_name);
    free(ctl->path);
    free(ctl);
    return NULL;
}

void control_start(struct control *ctl, const struct control_deps *deps)
{
    if (ctl == NULL || ctl->started)
        return;
    ctl->deps = *deps;
    ctl->started = true;
    listener_start(ctl->listener, control_on_accept, ctl);
    log_info("control socket %s: accepting mtastsd-ctl connections", ctl->path);
}

void control_reconfigure(struct control *ctl, const struct config *cfg)
{
    if (ctl == NULL)
        return;
    ctl->refresh_interval = cfg->refresh_interval;
}

void control_close(struct control *ctl)
{
    if (ctl == NULL)
        return;
    struct control_client *c;
    while ((c = TAILQ_FIRST(&ctl->clients)) != NULL)
        control_client_free(c);
    listener_close(ctl->listener); /* closes the socket */
    /* Remove the path only if it is still our socket. */
    struct stat st;
    if (lstat(ctl->path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == ctl->dev &&
        st.st_ino == ctl->ino && unlink(ctl->path) != 0)
        log_debug("control: cannot remove %s: %s", ctl->path, strerror(errno));
    free(ctl->group_name);
    free(ctl->path);
    free(ctl);
}

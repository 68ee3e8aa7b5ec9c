/*
 * mxprobe - one MX host, probed as a sender would (see mxprobe.h).
 *
 * Public functions: mxprobe_start(), mxprobe_cancel(),
 * mxprobe_status_name().
 *
 * State machine (mxprobe_enter_state() logs "old -> new" at debug level
 * and arms the one timer for the state):
 *
 *   CONNECT --connected--> GREETING --2xx--> EHLO --2xx, STARTTLS--> STARTTLS
 *     |  (next address on failure)     \ other: result     \ no STARTTLS: result
 *     v                                 v                   v
 *   (no address left: NOT_TESTED)     QUIT (plain) <-------+
 *   STARTTLS --220, nothing after it--> HANDSHAKE --done--> QUIT (over TLS)
 *   QUIT --answer, close, error or MXPROBE_QUIT_MS--> DONE: the callback
 *
 * The result is fixed when it is known (mxprobe_result_set(), which also
 * stops the clock); QUIT only follows, for manners, and never changes it.
 * Failures that leave the stream unusable (a malformed reply, bytes after
 * the STARTTLS answer, a failed handshake, a closed connection) skip QUIT.
 *
 * I/O: a non-blocking socket with two one-shot libevent events (readable,
 * writable) added as each step needs; commands are written from a small
 * buffer (partial writes resumed), replies read into `in` and fed to
 * smtpreply, which stops at the end of a reply, so bytes past it stay in
 * `in` (and are refused after STARTTLS).  Over TLS, tlsinfo_conn_*() say
 * which event to wait for.
 *
 * Ownership: the probe owns its socket, events, TLS session and copies of
 * every string; it frees itself after the callback (or in
 * mxprobe_cancel()).  Limits: see mxprobe.h; `in` holds
 * MXPROBE_IN_SZ bytes, more than any reply smtpreply accepts.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "domain.h"
#include "log.h"
#include "mxprobe.h"
#include "smtpreply.h"
#include "xalloc.h"

#define MXPROBE_IN_SZ 8192

enum mxprobe_state {
    MXPROBE_S_CONNECT = 0,
    MXPROBE_S_GREETING,
    MXPROBE_S_EHLO,
    MXPROBE_S_STARTTLS,
    MXPROBE_S_HANDSHAKE,
    MXPROBE_S_QUIT,
    MXPROBE_S_DONE,
};

struct mxprobe {
    struct event_base *base;
    char *ca_file;
    int port;
    long connect_ms, timeout_ms;
    char host[DOMAIN_BUFSZ];
    char addrs[MXPROBE_MAX_ADDRS][INET6_ADDRSTRLEN];
    size_t naddrs, cur;
    mxprobe_cb cb;
    void *arg;

    enum mxprobe_state state;
    int fd;
    struct event *rd, *wr;
    struct event *timer;
    struct event *deliver;
    bool delivering;
    int64_t t0_ms;       /* start */
    int64_t deadline_ms; /* of the dialogue, once connected */
    bool over_tls;       /* QUIT goes over TLS */

    char out[64];
    size_t out_len, out_off;
    char in[MXPROBE_IN_SZ];
    size_t in_len;
    struct smtpreply reply;
    struct tlsinfo_conn *tls_conn;

    bool have_result;
    struct mxprobe_result res;
    char address[INET6_ADDRSTRLEN];
    char detail[MXPROBE_TEXT_SZ];
    char greeting[MXPROBE_TEXT_SZ];
    char tried[MXPROBE_TEXT_SZ];
    struct tlsinfo tls;
    struct dane_cert chain[DANE_CHAIN_MAX];
};

static void mxprobe_io_event(evutil_socket_t fd, short what, void *arg);
static void mxprobe_step(struct mxprobe *m);

static int64_t mxprobe_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *mxprobe_status_name(enum mxprobe_status st)
{
    switch (st) {
    case MXPROBE_TLS:
        return "TLS";
    case MXPROBE_NO_STARTTLS:
        return "NO_STARTTLS";
    case MXPROBE_STARTTLS_REFUSED:
        return "STARTTLS_REFUSED";
    case MXPROBE_TLS_FAILED:
        return "TLS_FAILED";
    case MXPROBE_PROTOCOL:
        return "PROTOCOL";
    case MXPROBE_NOT_TESTED:
        return "NOT_TESTED";
    }
    return "?";
}

static const char *mxprobe_state_name(enum mxprobe_state s)
{
    static const char *const names[] = {"CONNECT",   "GREETING", "EHLO", "STARTTLS",
                                        "HANDSHAKE", "QUIT",     "DONE"};
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/* ---- plumbing -------------------------------------------------------------- */

static void mxprobe_close(struct mxprobe *m)
{
    tlsinfo_conn_free(m->tls_conn);
    m->tls_conn = NULL;
    if (m->rd != NULL)
        event_free(m->rd);
    if (m->wr != NULL)
        event_free(m->wr);
    m->rd = m->wr = NULL;
    if (m->fd >= 0)
        close(m->fd);
    m->fd = -1;
}

static void mxprobe_free(struct mxprobe *m)
{
    mxprobe_close(m);
    if (m->timer != NULL)
        event_free(m->timer);
    if (m->deliver != NULL)
        event_free(m->deliver);
    free(m->ca_file);
    free(m);
}

static void mxprobe_wait(struct mxprobe *m, bool write)
{
    event_add(write ? m->wr : m->rd, NULL);
}

/* Enter state s and arm its timer. */
static void mxprobe_enter_state(struct mxprobe *m, enum mxprobe_state s)
{
    long ms;
    struct timeval tv;

    log_debug("mxprobe %s: %s -> %s", m->host, mxprobe_state_name(m->state), mxprobe_state_name(s));
    m->state = s;
    evtimer_del(m->timer);
    switch (s) {
    case MXPROBE_S_CONNECT:
        ms = m->connect_ms;
        break;
    case MXPROBE_S_QUIT:
        ms = MXPROBE_QUIT_MS;
        break;
    case MXPROBE_S_DONE:
        return;
    default:
        ms = (long)(m->deadline_ms - mxprobe_now_ms());
        if (ms < 1)
            ms = 1;
        break;
    }
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    evtimer_add(m->timer, &tv);
}

/* Fix the result (once). */
static void mxprobe_result_set(struct mxprobe *m, enum mxprobe_status st, const char *fmt, ...)
    LOG_PRINTF(3, 4);
static void mxprobe_result_set(struct mxprobe *m, enum mxprobe_status st, const char *fmt, ...)
{
    char raw[MXPROBE_TEXT_SZ];
    va_list ap;

    if (m->have_result)
        return;
    m->have_result = true;
    m->res.st = st;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    log_sanitize(raw, strlen(raw), m->detail, sizeof(m->detail));
    m->res.elapsed_ms = (long)(mxprobe_now_ms() - m->t0_ms);
}

static void mxprobe_deliver_event(evutil_socket_t fd, short what, void *arg)
{
    struct mxprobe *m = arg;

    m->res.host = m->host;
    m->res.address = m->address;
    m->res.detail = m->detail;
    m->res.greeting = m->greeting;
    m->res.tls = &m->tls;
    m->res.chain = m->chain;
    m->delivering = true;
    m->cb(m->arg, &m->res);
    mxprobe_free(m);
}

/* The end: close, and deliver from the loop. */
static void mxprobe_done(struct mxprobe *m)
{
    mxprobe_close(m);
    mxprobe_enter_state(m, MXPROBE_S_DONE);
    event_active(m->deliver, EV_TIMEOUT, 0);
}

/* Queue a command; mxprobe_step() writes it. */
static void mxprobe_send(struct mxprobe *m, const char *cmd)
{
    m->out_len = (size_t)snprintf(m->out, sizeof(m->out), "%s", cmd);
    m->out_off = 0;
}

/* The result is known: QUIT politely over a usable stream, or close. */
static void mxprobe_quit(struct mxprobe *m, bool usable)
{
    if (!usable || m->fd < 0) {
        mxprobe_done(m);
        return;
    }
    smtpreply_init(&m->reply);
    m->in_len = 0;
    mxprobe_send(m, "QUIT\r\n");
    mxprobe_enter_state(m, MXPROBE_S_QUIT);
    mxprobe_step(m);
}

/* ---- connecting ------------------------------------------------------------ */

static void mxprobe_tried(struct mxprobe *m, const char *why)
{
    size_t off = strlen(m->tried);

    snprintf(m->tried + off, sizeof(m->tried) - off, "%s%s: %s", off > 0 ? "; " : "",
             m->addrs[m->cur], why);
}

static void mxprobe_connect_next(struct mxprobe *m);

/* The connection to addrs[cur] is up. */
static void mxprobe_connected(struct mxprobe *m)
{
    snprintf(m->address, sizeof(m->address), "%s", m->addrs[m->cur]);
    m->deadline_ms = mxprobe_now_ms() + m->timeout_ms;
    smtpreply_init(&m->reply);
    m->in_len = 0;
    mxprobe_enter_state(m, MXPROBE_S_GREETING);
    mxprobe_wait(m, false);
}

static void mxprobe_connect_failed(struct mxprobe *m, const char *why)
{
    mxprobe_tried(m, why);
    mxprobe_close(m);
    m->cur++;
    mxprobe_connect_next(m);
}

static void mxprobe_connect_next(struct mxprobe *m)
{
    struct sockaddr_storage ss;
    socklen_t sl;

    for (; m->cur < m->naddrs; m->cur++) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

        memset(&ss, 0, sizeof(ss));
        if (inet_pton(AF_INET, m->addrs[m->cur], &s4->sin_addr) == 1) {
            s4->sin_family = AF_INET;
            s4->sin_port = htons((uint16_t)m->port);
            sl = sizeof(*s4);
        } else if (inet_pton(AF_INET6, m->addrs[m->cur], &s6->sin6_addr) == 1) {
            s6->sin6_family = AF_INET6;
            s6->sin6_port = htons((uint16_t)m->port);
            sl = sizeof(*s6);
        } else {
            mxprobe_tried(m, "not an address");
            continue;
        }
        m->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (m->fd < 0) {
            mxprobe_tried(m, strerror(errno));
            continue;
        }
        m->rd = event_new(m->base, m->fd, EV_READ, mxprobe_io_event, m);
        m->wr = event_new(m->base, m->fd, EV_WRITE, mxprobe_io_event, m);
        if (m->rd == NULL || m->wr == NULL) {
            log_error("mxprobe: cannot create events");
            abort();
        }
        mxprobe_enter_state(m, MXPROBE_S_CONNECT);
        if (connect(m->fd, (struct sockaddr *)&ss, sl) == 0) {
            mxprobe_connected(m);
            return;
        }
        if (errno == EINPROGRESS) {
            mxprobe_wait(m, true);
            return;
        }
        mxprobe_tried(m, strerror(errno));
        mxprobe_close(m);
    }
    mxprobe_result_set(m, MXPROBE_NOT_TESTED, "no connection to port %d (%s)", m->port,
                       m->tried[0] != '\0' ? m->tried : "no address");
    mxprobe_done(m);
}

/* ---- the dialogue -------------------------------------------------------------- */

/* Sanitised "CODE first line" of the reply. */
static void mxprobe_reply_text(const struct smtpreply *r, char *out, size_t outsz)
{
    char raw[MXPROBE_TEXT_SZ];
    const char *l = smtpreply_line(r, 0);

    snprintf(raw, sizeof(raw), "%d %s", r->code, l != NULL ? l : "");
    log_sanitize(raw, strlen(raw), out, outsz);
}

/* "EHLO [our address]": an address literal needs no DNS (RFC 5321
 * section 4.1.3). */
static void mxprobe_ehlo(struct mxprobe *m)
{
    struct sockaddr_storage me;
    socklen_t ml = sizeof(me);
    char a[INET6_ADDRSTRLEN] = "127.0.0.1";
    bool v6 = false;

    memset(&me, 0, sizeof(me));
    if (getsockname(m->fd, (struct sockaddr *)&me, &ml) == 0) {
        v6 = me.ss_family == AF_INET6;
        if (v6)
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&me)->sin6_addr, a, sizeof(a));
        else
            inet_ntop(AF_INET, &((struct sockaddr_in *)&me)->sin_addr, a, sizeof(a));
    }
    m->out_len = (size_t)snprintf(m->out, sizeof(m->out), "EHLO [%s%s]\r\n", v6 ? "IPv6:" : "", a);
    m->out_off = 0;
}

static void mxprobe_start_tls(struct mxprobe *m)
{
    char err[MXPROBE_TEXT_SZ];

    m->tls_conn = tlsinfo_conn_new(m->fd, m->host, m->ca_file, err, sizeof(err));
    if (m->tls_conn == NULL) {
        mxprobe_result_set(m, MXPROBE_TLS_FAILED, "%s", err);
        mxprobe_done(m);
        return;
    }
    mxprobe_enter_state(m, MXPROBE_S_HANDSHAKE);
    mxprobe_step(m);
}

/* A whole reply in m->reply for the current state. */
static void mxprobe_on_reply(struct mxprobe *m)
{
    const struct smtpreply *r = &m->reply;
    char text[MXPROBE_TEXT_SZ];
    bool ok = r->code / 100 == 2;

    mxprobe_reply_text(r, text, sizeof(text));
    switch (m->state) {
    case MXPROBE_S_GREETING:
        m->res.greeting_code = r->code;
        log_sanitize(smtpreply_line(r, 0), strlen(smtpreply_line(r, 0)), m->greeting,
                     sizeof(m->greeting));
        if (!ok) {
            mxprobe_result_set(m, MXPROBE_NOT_TESTED, "the host refused this client: %s", text);
            mxprobe_quit(m, true);
            return;
        }
        mxprobe_ehlo(m);
        smtpreply_init(&m->reply);
        mxprobe_enter_state(m, MXPROBE_S_EHLO);
        break;
    case MXPROBE_S_EHLO:
        m->res.ehlo_code = r->code;
        if (!ok) {
            mxprobe_result_set(m, MXPROBE_NOT_TESTED, "the host refused EHLO from this client: %s",
                               text);
            mxprobe_quit(m, true);
            return;
        }
        m->res.starttls_offered = smtpreply_ehlo_has(r, "STARTTLS");
        if (!m->res.starttls_offered) {
            mxprobe_result_set(m, MXPROBE_NO_STARTTLS, "EHLO does not offer STARTTLS");
            mxprobe_quit(m, true);
            return;
        }
        mxprobe_send(m, "STARTTLS\r\n");
        smtpreply_init(&m->reply);
        mxprobe_enter_state(m, MXPROBE_S_STARTTLS);
        break;
    case MXPROBE_S_STARTTLS:
        m->res.starttls_code = r->code;
        if (r->code != 220) {
            mxprobe_result_set(m, MXPROBE_STARTTLS_REFUSED, "STARTTLS answered %s", text);
            mxprobe_quit(m, true);
            return;
        }
        if (m->in_len > 0) {
            mxprobe_result_set(m, MXPROBE_PROTOCOL,
                               "%zu bytes came after the answer to STARTTLS, before TLS "
                               "(plaintext injected into the TLS session)",
                               m->in_len);
            mxprobe_done(m);
            return;
        }
        mxprobe_start_tls(m);
        return;
    case MXPROBE_S_QUIT:
        mxprobe_done(m);
        return;
    default:
        return;
    }
    mxprobe_step(m);
}

/* Feed what was received to the parser: true if the probe moved on. */
static bool mxprobe_parse(struct mxprobe *m)
{
    size_t used = 0;
    enum smtpreply_status st;

    if (m->in_len == 0)
        return false;
    st = smtpreply_feed(&m->reply, m->in, m->in_len, &used);
    memmove(m->in, m->in + used, m->in_len - used);
    m->in_len -= used;
    if (st == SMTPREPLY_MORE)
        return false;
    if (st != SMTPREPLY_DONE) {
        if (m->state == MXPROBE_S_QUIT) {
            mxprobe_done(m);
            return true;
        }
        mxprobe_result_set(m, MXPROBE_PROTOCOL, "%s: %s",
                           m->state == MXPROBE_S_GREETING ? "the greeting is not SMTP"
                                                          : "a reply is not SMTP",
                           smtpreply_strerror(st));
        mxprobe_done(m);
        return true;
    }
    mxprobe_on_reply(m);
    return true;
}

/* The connection ended or failed while reading or writing. */
static void mxprobe_io_failed(struct mxprobe *m, const char *why)
{
    switch (m->state) {
    case MXPROBE_S_GREETING:
    case MXPROBE_S_EHLO:
        mxprobe_result_set(m, MXPROBE_NOT_TESTED, "%s before %s", why,
                           m->state == MXPROBE_S_GREETING ? "the greeting" : "the answer to EHLO");
        break;
    case MXPROBE_S_STARTTLS:
        mxprobe_result_set(m, MXPROBE_TLS_FAILED, "%s after STARTTLS", why);
        break;
    case MXPROBE_S_HANDSHAKE:
        mxprobe_result_set(m, MXPROBE_TLS_FAILED, "%s", why);
        break;
    default:
        break;
    }
    mxprobe_done(m);
}

/* Make progress in the current state: write what is queued, then read. */
static void mxprobe_step(struct mxprobe *m)
{
    char err[MXPROBE_TEXT_SZ];
    enum tlsinfo_io io;
    size_t n;

    if (m->state == MXPROBE_S_HANDSHAKE) {
        io = tlsinfo_conn_handshake(m->tls_conn, err, sizeof(err));
        if (io == TLSINFO_IO_WANT_READ || io == TLSINFO_IO_WANT_WRITE) {
            mxprobe_wait(m, io == TLSINFO_IO_WANT_WRITE);
            return;
        }
        if (io != TLSINFO_IO_OK) {
            mxprobe_result_set(m, MXPROBE_TLS_FAILED, "%s", err);
            mxprobe_done(m);
            return;
        }
        size_t nchain = 0;
        tlsinfo_conn_facts(m->tls_conn, &m->tls, m->chain, &nchain);
        m->res.nchain = nchain;
        mxprobe_result_set(m, MXPROBE_TLS, "TLS handshake done");
        m->over_tls = true;
        mxprobe_quit(m, true);
        return;
    }

    /* Write the queued command. */
    while (m->out_off < m->out_len) {
        if (m->over_tls) {
            io = tlsinfo_conn_write(m->tls_conn, m->out + m->out_off, m->out_len - m->out_off, &n,
                                    err, sizeof(err));
            if (io == TLSINFO_IO_WANT_READ || io == TLSINFO_IO_WANT_WRITE) {
                mxprobe_wait(m, io == TLSINFO_IO_WANT_WRITE);
                return;
            }
            if (io != TLSINFO_IO_OK) {
                mxprobe_io_failed(m, err);
                return;
            }
        } else {
            ssize_t w = send(m->fd, m->out + m->out_off, m->out_len - m->out_off, MSG_NOSIGNAL);
            if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                mxprobe_wait(m, true);
                return;
            }
            if (w < 0) {
                snprintf(err, sizeof(err), "the connection failed (%s)", strerror(errno));
                mxprobe_io_failed(m, err);
                return;
            }
            n = (size_t)w;
        }
        m->out_off += n;
    }

    /* Read until a reply is complete. */
    for (;;) {
        if (mxprobe_parse(m))
            return;
        if (m->in_len == sizeof(m->in)) { /* cannot happen: smtpreply stops sooner */
            mxprobe_io_failed(m, "reply too long");
            return;
        }
        if (m->over_tls) {
            io = tlsinfo_conn_read(m->tls_conn, m->in + m->in_len, sizeof(m->in) - m->in_len, &n,
                                   err, sizeof(err));
            if (io == TLSINFO_IO_WANT_READ || io == TLSINFO_IO_WANT_WRITE) {
                mxprobe_wait(m, io == TLSINFO_IO_WANT_WRITE);
                return;
            }
            if (io != TLSINFO_IO_OK) {
                mxprobe_io_failed(m, err);
                return;
            }
        } else {
            ssize_t got = recv(m->fd, m->in + m->in_len, sizeof(m->in) - m->in_len, 0);
            if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
                mxprobe_wait(m, false);
                return;
            }
            if (got <= 0) {
                if (got == 0)
                    snprintf(err, sizeof(err), "the host closed the connection");
                else
                    snprintf(err, sizeof(err), "the connection failed (%s)", strerror(errno));
                mxprobe_io_failed(m, err);
                return;
            }
            n = (size_t)got;
        }
        m->in_len += n;
    }
}

static void mxprobe_io_event(evutil_socket_t fd, short what, void *arg)
{
    struct mxprobe *m = arg;

    if (m->state == MXPROBE_S_CONNECT) {
        int e = 0;
        socklen_t el = sizeof(e);
        if (getsockopt(m->fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
            e = errno;
        if (e != 0) {
            mxprobe_connect_failed(m, strerror(e));
            return;
        }
        mxprobe_connected(m);
        return;
    }
    mxprobe_step(m);
}

static void mxprobe_timer_event(evutil_socket_t fd, short what, void *arg)
{
    struct mxprobe *m = arg;
    long secs = (m->timeout_ms + 999) / 1000;

    switch (m->state) {
    case MXPROBE_S_CONNECT:
        mxprobe_connect_failed(m, "timed out");
        return;
    case MXPROBE_S_GREETING:
        mxprobe_result_set(m, MXPROBE_NOT_TESTED, "no greeting within %ld s", secs);
        break;
    case MXPROBE_S_EHLO:
        mxprobe_result_set(m, MXPROBE_NOT_TESTED, "no answer to EHLO within %ld s", secs);
        break;
    case MXPROBE_S_STARTTLS:
        mxprobe_result_set(m, MXPROBE_TLS_FAILED, "no answer to STARTTLS within %ld s", secs);
        break;
    case MXPROBE_S_HANDSHAKE:
        mxprobe_result_set(m, MXPROBE_TLS_FAILED, "no TLS handshake within %ld s", secs);
        break;
    default:
        break;
    }
    mxprobe_done(m);
}

/* ---- public ---------------------------------------------------------------- */

struct mxprobe *mxprobe_start(const struct mxprobe_params *p, const char *host,
                              const char *const *addrs, size_t naddrs, mxprobe_cb cb, void *arg)
{
    struct mxprobe *m = xcalloc(1, sizeof(*m));

    m->base = p->base;
    m->ca_file = xstrdup(p->ca_file != NULL ? p->ca_file : "");
    m->port = p->port > 0 ? p->port : MXPROBE_PORT;
    m->connect_ms = p->connect_ms > 0 ? p->connect_ms : MXPROBE_CONNECT_MS;
    m->timeout_ms = p->timeout_ms > 0 ? p->timeout_ms : MXPROBE_TIMEOUT_MS;
    snprintf(m->host, sizeof(m->host), "%s", host);
    for (size_t i = 0; i < naddrs && m->naddrs < MXPROBE_MAX_ADDRS; i++)
        snprintf(m->addrs[m->naddrs++], sizeof(m->addrs[0]), "%s", addrs[i]);
    m->cb = cb;
    m->arg = arg;
    m->fd = -1;
    m->t0_ms = mxprobe_now_ms();
    m->timer = evtimer_new(m->base, mxprobe_timer_event, m);
    m->deliver = event_new(m->base, -1, 0, mxprobe_deliver_event, m);
    if (m->timer == NULL || m->deliver == NULL) {
        log_error("mxprobe: cannot create events");
        abort();
    }
    log_debug("mxprobe %s: start, %zu address%s", m->host, m->naddrs, m->naddrs == 1 ? "" : "es");
    mxprobe_connect_next(m); /* never calls back: delivery is from the loop */
    return m;
}

void mxprobe_cancel(struct mxprobe *m)
{
    if (m == NULL || m->delivering)
        return;
    mxprobe_free(m);
}

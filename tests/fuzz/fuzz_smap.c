/*
 * fuzz_smap - libFuzzer harness over the whole socketmap byte stream: the
 * real smap.c (with netstring.c and reply.c) serving one client over a
 * real socketpair on a real libevent loop, with a stub lookup (lookup.h)
 * and the component tests' fake clock (tests/component/fake_clock.c), so
 * that request deadlines, idle timeouts and the "not reading" timer fire
 * inside a run too.
 *
 * The input is a script of operations, one byte each, then its operand:
 *   op % 5 == 0  send the next n bytes (n = next byte + 1) as one chunk
 *   op % 5 == 1  run n turns of the event loop (n = next byte % 8 + 1)
 *   op % 5 == 2  move fake time on by (next byte * 50) ms
 *   op % 5 == 3  read what the server sent (the client reads)
 *   op % 5 == 4  stop or resume reading for a while (a client that does
 *                not read its replies); toggles
 * so arbitrary bytes arrive in arbitrary chunks, interleaved with time.
 * The stub answers a lookup at once when its key does not begin with
 * 'w' ("OK fuzz <n>", n counting lookups), else after 1-3 loop turns;
 * lookups are therefore answered out of the order they were asked in.
 *
 * Invariants checked at the end, after the client has read everything the
 * server still sends (abort on violation):
 *   - the reply stream is a sequence of complete, well-formed netstrings
 *     of at most REPLY_MAX bytes, with nothing left over -- unless the
 *     server cut off the client for not reading its replies
 *     (connections_not_reading), which may end the stream mid-frame;
 *   - the stub's answers come back in the order of the requests: "OK
 *     fuzz <n>" with n = 1, 2, 3, ... without a gap, and only for lookups
 *     the stub answered;
 *   - every other reply is "PERM ..."; after a PERM for a bad frame the
 *     connection is closed and nothing follows;
 *   - after smap_free(), no lookup is left pending (all answered or
 *     cancelled) and no fake timer is left armed; LeakSanitizer checks
 *     the rest.
 */
#include "autoconfig.h"

#include <errno.h>
#include <event2/event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "fake_clock.h"
#include "fake_later.h"
#include "listener.h"
#include "log.h"
#include "lookup.h"
#include "netstring.h"
#include "reply.h"
#include "smap.h"
#include "stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_smap: invariant failed: %s (line %d)\n", #cond, __LINE__);       \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define FUZZ_RECV_MAX (4 * 1024 * 1024) /* replies kept for the final check */

/* ---- the stub lookup (lookup.h) ------------------------------------------ */

struct lookup_query {
    lookup_cb cb;
    void *arg;
    unsigned seq;
    struct fake_later *later;
    LIST_ENTRY(lookup_query) link;
};

static LIST_HEAD(, lookup_query) fuzz_pending = LIST_HEAD_INITIALIZER(fuzz_pending);
static unsigned fuzz_seq;      /* lookups asked */
static unsigned fuzz_answered; /* lookups answered (at once or later) */
static struct event_base *fuzz_base;

static void fuzz_lookup_answer(void *arg)
{
    struct lookup_query *q = arg;
    char reply[64];
    int n = snprintf(reply, sizeof(reply), "OK fuzz %u", q->seq);
    LIST_REMOVE(q, link);
    lookup_cb cb = q->cb;
    void *cbarg = q->arg;
    fake_later_free(q->later);
    free(q);
    fuzz_answered++;
    cb(cbarg, reply, (size_t)n);
}

struct lookup_query *lookup_start(struct lookup *l, enum reply_profile prof, const char *key,
                                  size_t keylen, char *reply, size_t replysz, size_t *len,
                                  lookup_cb cb, void *arg)
{
    (void)l;
    (void)prof;
    unsigned seq = ++fuzz_seq;
    if (keylen == 0 || key[0] != 'w') {
        int n = snprintf(reply, replysz, "OK fuzz %u", seq);
        CHECK(n > 0 && (size_t)n < replysz);
        *len = (size_t)n;
        fuzz_answered++;
        return NULL;
    }
    struct lookup_query *q = calloc(1, sizeof(*q));
    CHECK(q != NULL);
    q->cb = cb;
    q->arg = arg;
    q->seq = seq;
    LIST_INSERT_HEAD(&fuzz_pending, q, link);
    int turns = keylen > 1 ? (unsigned char)key[1] % 3 + 1 : 1;
    q->later = fake_later_new(fuzz_base, FAKE_AFTER_TURNS(turns), fuzz_lookup_answer, q);
    return q;
}

void lookup_cancel(struct lookup_query *q)
{
    if (q == NULL)
        return;
    LIST_REMOVE(q, link);
    fake_later_free(q->later);
    free(q);
}

/* ---- the client side ------------------------------------------------------ */

static char *fuzz_recv;
static size_t fuzz_recv_len;
static bool fuzz_eof;

static void fuzz_read(int fd)
{
    while (!fuzz_eof && fuzz_recv_len < FUZZ_RECV_MAX) {
        ssize_t r = recv(fd, fuzz_recv + fuzz_recv_len, FUZZ_RECV_MAX - fuzz_recv_len, 0);
        if (r == 0)
            fuzz_eof = true;
        if (r <= 0)
            break;
        fuzz_recv_len += (size_t)r;
    }
}

static void fuzz_turns(int n)
{
    for (int i = 0; i < n; i++)
        event_base_loop(fuzz_base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

/* Every reply: complete, well-formed, in order; nothing after a final PERM. */
static void fuzz_check_replies(void)
{
    size_t off = 0;
    unsigned next = 1;
    bool closed_perm = false;
    while (off < fuzz_recv_len) {
        const char *payload;
        size_t plen, used;
        enum netstring_status st = netstring_decode(fuzz_recv + off, fuzz_recv_len - off, REPLY_MAX,
                                                    &payload, &plen, &used);
        if (st == NETSTRING_INCOMPLETE && stats.connections_not_reading > 0 && fuzz_eof)
            break;                 /* cut off mid-frame for not reading */
        CHECK(st == NETSTRING_OK); /* also: nothing incomplete left over */
        CHECK(!closed_perm);
        off += used;
        char text[128];
        CHECK(plen < sizeof(text));
        memcpy(text, payload, plen);
        text[plen] = '\0';
        unsigned n;
        char tail;
        if (sscanf(text, "OK fuzz %u%c", &n, &tail) == 1) {
            CHECK(n == next);
            next++;
            continue;
        }
        CHECK(strncmp(text, "PERM ", 5) == 0);
        if (strcmp(text, "PERM unknown map name") != 0)
            closed_perm = true;
    }
    CHECK(next - 1 <= fuzz_answered);
    if (closed_perm)
        CHECK(fuzz_eof);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    if (!init) {
        log_open("fuzz_smap", true);
        log_set_level(LOG_LEVEL_ERROR);
        fuzz_recv = malloc(FUZZ_RECV_MAX);
        CHECK(fuzz_recv != NULL);
        init = true;
    }
    fake_clock_reset();
    fuzz_seq = fuzz_answered = 0;
    stats_reset();
    fuzz_recv_len = 0;
    fuzz_eof = false;
    fuzz_base = event_base_new();
    CHECK(fuzz_base != NULL);
    struct smap_params p = {.max_connections = 4, .idle_timeout = 60, .request_timeout = 5};
    struct smap *s = smap_new(fuzz_base, NULL, &p);
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
    int small = 4096; /* replies back up soon when the client stops reading */
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
    CHECK(smap_accept(s, sv[0]));
    int fd = sv[1];
    bool reading = true;

    size_t i = 0;
    while (i < size) {
        uint8_t op = data[i++];
        uint8_t arg = i < size ? data[i++] : 0;
        switch (op % 5) {
        case 0: {
            size_t n = (size_t)arg + 1;
            if (n > size - i)
                n = size - i;
            ssize_t w = send(fd, data + i, n, MSG_NOSIGNAL);
            CHECK(w >= 0 || errno == EAGAIN || errno == EPIPE || errno == ECONNRESET);
            i += n; /* what the server did not take is dropped, as a client would */
            break;
        }
        case 1:
            fuzz_turns(arg % 8 + 1);
            break;
        case 2: {
            int64_t until = clock_mono_ms() + (int64_t)arg * 50;
            fuzz_turns(1);
            while (fake_clock_step(until))
                fuzz_turns(2);
            break;
        }
        case 3:
            if (reading)
                fuzz_read(fd);
            break;
        case 4:
            reading = !reading;
            break;
        }
        if (reading)
            fuzz_read(fd);
    }
    /* The client reads everything the server still has to say. */
    shutdown(fd, SHUT_WR);
    for (int k = 0; k < 32 && !fuzz_eof; k++) {
        fuzz_turns(2);
        fuzz_read(fd);
    }
    fuzz_check_replies();

    smap_free(s);
    CHECK(LIST_EMPTY(&fuzz_pending));
    CHECK(fake_clock_pending() == 0);
    close(fd);
    fake_clock_shutdown();
    event_base_free(fuzz_base);
    fuzz_base = NULL;
    return 0;
}

/* smap (slots.c) pauses and resumes its listener at max_connections; there is none. */
void listener_pause(struct listener *l)
{
    (void)l;
}

void listener_resume(struct listener *l)
{
    (void)l;
}

/*
 * smapload - socketmap load client for the benchmark (bench/README).
 *
 *     smapload -s SOCKET [-c CONNS] (-n TOTAL | -d SECONDS) [-w WARMUP]
 *              (-k KEYFILE | -p PATTERN -r FROM:TO) [-o random|seq]
 *              [-m MAP] [-e PREFIX] [-T TIMEOUT] [-l LABEL]
 *
 * CONNS persistent connections (default 1) each send one request
 * "<MAP> <key>" (MAP default "mtasts") as a netstring, wait for the reply,
 * and send the next one, as Postfix's smtp(8) processes do.  Keys come
 * from KEYFILE (one per line) or from PATTERN (one printf "%d", e.g.
 * "d%d.bench.test") over FROM..TO inclusive; with -o random (default)
 * each request picks a key uniformly at random, with -o seq the
 * connections share one counter so each key is asked once per round
 * (cold-resolution runs: -o seq -n <number of keys>).
 *
 * The run ends after TOTAL replies (-n) or SECONDS of measurement (-d;
 * requests already sent are still awaited); -w WARMUP seconds of load come
 * first and are not counted.  -T bounds the whole run (default 600 s);
 * what is still outstanding then counts as errors.
 *
 * Every reply must be a well-formed netstring (digits, ':', at most
 * 100000 bytes, ','), arrive for a request that is outstanding, and, with
 * -e PREFIX, start with PREFIX (e.g. -e 'OK secure' or -e NOTFOUND);
 * anything else counts as an error (the first few are shown on stderr).
 * A malformed reply or a closed connection also ends that connection.
 *
 * Output: one line of key=value pairs on stdout:
 *   label conns requests seconds rps p50_us p99_us p999_us max_us errors
 *   missing ok notfound temp timeout perm other
 * (missing: with -n, replies that never came).
 * Latency is from just before send() to the reply's last byte, kept in a
 * log-linear histogram (128 sub-buckets per power of two, < 1% error).
 * Exit status: 0 if there were no errors and nothing missing, 1 if not, 2 on usage or
 * set-up errors (cannot connect, bad key list).
 */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SL_REPLY_MAX   100000
#define SL_IN_CAP      (SL_REPLY_MAX + 6 + 2 + 64)
#define SL_KEY_MAX     1000
#define SL_HIST_SUB    128
#define SL_HIST_N      (2 * SL_HIST_SUB + 56 * SL_HIST_SUB)
#define SL_SHOW_ERRORS 5

enum reply_kind { RK_OK, RK_NOTFOUND, RK_TEMP, RK_TIMEOUT, RK_PERM, RK_OTHER, RK_N };
static const char *const kind_names[RK_N] = {"ok", "notfound", "temp", "timeout", "perm", "other"};

struct conn {
    int fd;
    bool busy; /* a request is outstanding */
    bool dead;
    bool counted; /* the outstanding request belongs to the measurement */
    uint64_t sent_ns;
    uint64_t rng;
    size_t inlen;
    char in[SL_IN_CAP];
};

/* Prebuilt request frames, one per key. */
static char *frames;
static size_t *frame_off; /* nkeys + 1 offsets */
static size_t nkeys;

static uint32_t hist[SL_HIST_N];
static uint64_t max_ns;
static uint64_t kinds[RK_N];
static uint64_t errors, shown;
static uint64_t seq_next;
static bool order_seq;
static const char *expect;
static size_t expect_len;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static size_t hist_index(uint64_t ns)
{
    if (ns < 2 * SL_HIST_SUB)
        return (size_t)ns;
    int e = 63 - __builtin_clzll(ns); /* >= 8 */
    size_t sub = (size_t)(ns >> (e - 7)) - SL_HIST_SUB;
    size_t idx = 2 * SL_HIST_SUB + (size_t)(e - 8) * SL_HIST_SUB + sub;
    return idx < SL_HIST_N ? idx : SL_HIST_N - 1;
}

/* Middle of the bucket, in ns. */
static double hist_value(size_t idx)
{
    if (idx < 2 * SL_HIST_SUB)
        return (double)idx;
    size_t e = (idx - 2 * SL_HIST_SUB) / SL_HIST_SUB + 8;
    size_t sub = (idx - 2 * SL_HIST_SUB) % SL_HIST_SUB;
    double lo = (double)((uint64_t)(SL_HIST_SUB + sub) << (e - 7));
    return lo + (double)((uint64_t)1 << (e - 7)) / 2;
}

static double hist_quantile(uint64_t total, double q)
{
    if (total == 0)
        return 0;
    uint64_t want = (uint64_t)(q * (double)total);
    if (want >= total)
        want = total - 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < SL_HIST_N; i++) {
        seen += hist[i];
        if (seen > want)
            return hist_value(i);
    }
    return (double)max_ns;
}

static void usage(void)
{
    fprintf(stderr, "usage: smapload -s SOCKET [-c CONNS] (-n TOTAL | -d SECONDS) [-w WARMUP]\n"
                    "                (-k KEYFILE | -p PATTERN -r FROM:TO) [-o random|seq]\n"
                    "                [-m MAP] [-e PREFIX] [-T TIMEOUT] [-l LABEL]\n");
    exit(2);
}

static void add_frame(const char *map, const char *key, size_t keylen, size_t *cap)
{
    size_t plen = strlen(map) + 1 + keylen;
    size_t need = frame_off[nkeys] + plen + 16;
    if (need > *cap) {
        while (need > *cap)
            *cap *= 2;
        frames = realloc(frames, *cap);
        if (frames == NULL) {
            perror("smapload: realloc");
            exit(2);
        }
    }
    char *p = frames + frame_off[nkeys];
    int n = sprintf(p, "%zu:%s ", plen, map);
    memcpy(p + n, key, keylen);
    p[(size_t)n + keylen] = ',';
    frame_off[nkeys + 1] = frame_off[nkeys] + (size_t)n + keylen + 1;
    nkeys++;
}

static void build_from_pattern(const char *map, const char *pattern, long from, long to)
{
    const char *pc = strstr(pattern, "%d");
    if (pc == NULL || strchr(pc + 2, '%') != NULL || strchr(pattern, '%') != pc) {
        fprintf(stderr, "smapload: the pattern must contain exactly one %%d\n");
        exit(2);
    }
    if (from < 0 || to < from || to - from >= 100000000) {
        fprintf(stderr, "smapload: bad range\n");
        exit(2);
    }
    size_t n = (size_t)(to - from + 1), cap = n * 40 + 64;
    frames = malloc(cap);
    frame_off = malloc((n + 1) * sizeof(*frame_off));
    if (frames == NULL || frame_off == NULL) {
        perror("smapload: malloc");
        exit(2);
    }
    frame_off[0] = 0;
    char key[SL_KEY_MAX + 32];
    for (long i = from; i <= to; i++) {
        int kl = snprintf(key, sizeof(key), "%.*s%ld%s", (int)(pc - pattern), pattern, i, pc + 2);
        if (kl < 0 || (size_t)kl >= sizeof(key)) {
            fprintf(stderr, "smapload: key too long\n");
            exit(2);
        }
        add_frame(map, key, (size_t)kl, &cap);
    }
}

static void build_from_file(const char *map, const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    size_t cap = 1 << 16, ocap = 1024;
    frames = malloc(cap);
    frame_off = malloc(ocap * sizeof(*frame_off));
    if (frames == NULL || frame_off == NULL) {
        perror("smapload: malloc");
        exit(2);
    }
    frame_off[0] = 0;
    char line[SL_KEY_MAX + 2];
    while (fgets(line, sizeof(line), f) != NULL) {
        size_t l = strcspn(line, "\r\n");
        if (l == 0)
            continue;
        if (nkeys + 2 > ocap) {
            ocap *= 2;
            frame_off = realloc(frame_off, ocap * sizeof(*frame_off));
            if (frame_off == NULL) {
                perror("smapload: realloc");
                exit(2);
            }
        }
        add_frame(map, line, l, &cap);
    }
    fclose(f);
    if (nkeys == 0) {
        fprintf(stderr, "smapload: %s holds no keys\n", path);
        exit(2);
    }
}

static int connect_to(const char *path)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(sun.sun_path)) {
        fprintf(stderr, "smapload: socket path too long\n");
        exit(2);
    }
    strcpy(sun.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
        fprintf(stderr, "smapload: connect %s: %s\n", path, strerror(errno));
        exit(2);
    }
    return fd;
}

static void show_error(const char *what, const char *data, size_t len)
{
    errors++;
    if (shown++ >= SL_SHOW_ERRORS)
        return;
    fprintf(stderr, "smapload: %s: '", what);
    for (size_t i = 0; i < len && i < 200; i++)
        fputc(data[i] >= 0x20 && data[i] < 0x7f ? data[i] : '?', stderr);
    fprintf(stderr, "'\n");
}

static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * UINT64_C(2685821657736338717);
}

/* Send the next request on c.  False: the connection failed. */
static bool send_next(struct conn *c, bool counted)
{
    size_t k = order_seq ? (size_t)(seq_next++ % nkeys) : (size_t)(rng_next(&c->rng) % nkeys);
    const char *p = frames + frame_off[k];
    size_t len = frame_off[k + 1] - frame_off[k];
    c->sent_ns = now_ns();
    while (len > 0) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "smapload: send: %s\n", strerror(errno));
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    c->busy = true;
    c->counted = counted;
    return true;
}

static enum reply_kind classify(const char *p, size_t len)
{
    static const struct {
        const char *word;
        enum reply_kind k;
    } words[] = {{"OK ", RK_OK},
                 {"NOTFOUND ", RK_NOTFOUND},
                 {"TEMP ", RK_TEMP},
                 {"TIMEOUT ", RK_TIMEOUT},
                 {"PERM ", RK_PERM}};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t wl = strlen(words[i].word);
        if (len >= wl && memcmp(p, words[i].word, wl) == 0)
            return words[i].k;
    }
    return RK_OTHER;
}

/*
 * Consume complete replies in c->in.  Returns the number of replies
 * accounted (0 or 1), or -1 if the connection must be dropped.
 */
static int take_replies(struct conn *c, uint64_t t, uint64_t *measured)
{
    int got = 0;
    size_t off = 0;
    while (off < c->inlen) {
        size_t i = off, len = 0, digits = 0;
        while (i < c->inlen && c->in[i] >= '0' && c->in[i] <= '9') {
            len = len * 10 + (size_t)(c->in[i] - '0');
            if (++digits > 6 || len > SL_REPLY_MAX) {
                show_error("malformed reply (length)", c->in + off, c->inlen - off);
                return -1;
            }
            i++;
        }
        if (i == c->inlen)
            break;
        if (digits == 0 || c->in[i] != ':' || (digits > 1 && c->in[off] == '0')) {
            show_error("malformed reply (prefix)", c->in + off, c->inlen - off);
            return -1;
        }
        i++;
        if (c->inlen - i < len + 1)
            break;
        if (c->in[i + len] != ',') {
            show_error("malformed reply (no comma)", c->in + off, c->inlen - off);
            return -1;
        }
        const char *payload = c->in + i;
        off = i + len + 1;
        if (!c->busy) {
            show_error("reply without a request", payload, len);
            return -1;
        }
        c->busy = false;
        got++;
        enum reply_kind k = classify(payload, len);
        if (expect != NULL && (len < expect_len || memcmp(payload, expect, expect_len) != 0))
            show_error("unexpected reply", payload, len);
        if (c->counted) {
            uint64_t d = t - c->sent_ns;
            hist[hist_index(d)]++;
            if (d > max_ns)
                max_ns = d;
            kinds[k]++;
            (*measured)++;
        }
    }
    if (off > 0) {
        memmove(c->in, c->in + off, c->inlen - off);
        c->inlen -= off;
    }
    return got;
}

int main(int argc, char **argv)
{
    const char *sock = NULL, *keyfile = NULL, *pattern = NULL, *map = "mtasts", *label = "-";
    long from = -1, to = -1, nconns = 1;
    uint64_t total = 0;
    double duration = 0, warmup = 0, timeout = 600;
    int opt;

    while ((opt = getopt(argc, argv, "s:c:n:d:w:k:p:r:o:m:e:T:l:")) != -1) {
        switch (opt) {
        case 's':
            sock = optarg;
            break;
        case 'c':
            nconns = strtol(optarg, NULL, 10);
            break;
        case 'n':
            total = strtoull(optarg, NULL, 10);
            break;
        case 'd':
            duration = strtod(optarg, NULL);
            break;
        case 'w':
            warmup = strtod(optarg, NULL);
            break;
        case 'k':
            keyfile = optarg;
            break;
        case 'p':
            pattern = optarg;
            break;
        case 'r':
            if (sscanf(optarg, "%ld:%ld", &from, &to) != 2)
                usage();
            break;
        case 'o':
            if (strcmp(optarg, "seq") == 0)
                order_seq = true;
            else if (strcmp(optarg, "random") != 0)
                usage();
            break;
        case 'm':
            map = optarg;
            break;
        case 'e':
            expect = optarg;
            expect_len = strlen(optarg);
            break;
        case 'T':
            timeout = strtod(optarg, NULL);
            break;
        case 'l':
            label = optarg;
            break;
        default:
            usage();
        }
    }
    if (sock == NULL || nconns < 1 || nconns > 100000 || (total == 0) == (duration <= 0) ||
        (keyfile == NULL) == (pattern == NULL) || (pattern != NULL && from < 0) || timeout <= 0)
        usage();
    if (keyfile != NULL)
        build_from_file(map, keyfile);
    else
        build_from_pattern(map, pattern, from, to);

    struct conn **conns = calloc((size_t)nconns, sizeof(*conns));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (conns == NULL || ep < 0) {
        perror("smapload");
        return 2;
    }
    for (long i = 0; i < nconns; i++) {
        struct conn *c = calloc(1, sizeof(*c));
        if (c == NULL) {
            perror("smapload");
            return 2;
        }
        c->fd = connect_to(sock);
        c->rng = UINT64_C(0x9E3779B97F4A7C15) * (uint64_t)(i + 1);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
            perror("smapload: epoll_ctl");
            return 2;
        }
        conns[i] = c;
    }

    uint64_t t0 = now_ns();
    uint64_t hard_end = t0 + (uint64_t)(timeout * 1e9);
    uint64_t measure_start = t0 + (uint64_t)(warmup * 1e9);
    uint64_t measure_end = duration > 0 ? measure_start + (uint64_t)(duration * 1e9) : UINT64_MAX;
    uint64_t issued = 0, measured = 0, last_reply = t0;
    bool measuring = warmup <= 0;
    long alive = nconns, busy = 0;

    for (long i = 0; i < nconns; i++) {
        if (total > 0 && measuring && issued >= total)
            break;
        if (!send_next(conns[i], measuring)) {
            conns[i]->dead = true;
            alive--;
            errors++;
            continue;
        }
        if (measuring)
            issued++;
        busy++;
    }

    struct epoll_event evs[256];
    while (busy > 0) {
        uint64_t t = now_ns();
        if (t >= hard_end) {
            fprintf(stderr, "smapload: run timeout: %ld requests still outstanding\n", busy);
            if (total == 0)
                errors += (uint64_t)busy; /* with -n they are counted as missing */
            break;
        }
        int wait_ms = (int)((hard_end - t) / 1000000u) + 1;
        int n = epoll_wait(ep, evs, 256, wait_ms > 1000 ? 1000 : wait_ms);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            perror("smapload: epoll_wait");
            return 2;
        }
        t = now_ns();
        if (!measuring && t >= measure_start) {
            measuring = true;
            measure_start = t;
            if (duration > 0)
                measure_end = t + (uint64_t)(duration * 1e9);
        }
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (c->dead)
                continue;
            ssize_t r = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, MSG_DONTWAIT);
            int got = 0;
            if (r > 0) {
                c->inlen += (size_t)r;
                got = take_replies(c, t, &measured);
                if (got < 0 || c->inlen == sizeof(c->in))
                    got = -1;
            } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                show_error(r == 0 ? "server closed the connection" : strerror(errno), "", 0);
                got = -1;
            }
            if (got < 0) {
                if (c->busy)
                    busy--;
                c->busy = false;
                c->dead = true;
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                alive--;
                continue;
            }
            if (got == 0)
                continue;
            busy--;
            last_reply = t;
            bool more = total > 0 ? (!measuring || issued < total) : t < measure_end;
            if (!more)
                continue;
            if (!send_next(c, measuring)) {
                c->dead = true;
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                alive--;
                errors++;
                continue;
            }
            if (measuring)
                issued++;
            busy++;
        }
        if (alive == 0)
            break;
    }

    double secs = last_reply > measure_start ? (double)(last_reply - measure_start) / 1e9 : 0;
    uint64_t missing = total > measured ? total - measured : 0;
    printf("label=%s conns=%ld requests=%" PRIu64 " seconds=%.3f rps=%.0f p50_us=%.1f "
           "p99_us=%.1f p999_us=%.1f max_us=%.1f errors=%" PRIu64 " missing=%" PRIu64,
           label, nconns, measured, secs, secs > 0 ? (double)measured / secs : 0,
           hist_quantile(measured, 0.50) / 1000, hist_quantile(measured, 0.99) / 1000,
           hist_quantile(measured, 0.999) / 1000, (double)max_ns / 1000, errors, missing);
    for (int k = 0; k < RK_N; k++)
        printf(" %s=%" PRIu64, kind_names[k], kinds[k]);
    printf("\n");
    fflush(stdout);
    return errors > 0 || missing > 0 ? 1 : 0;
}

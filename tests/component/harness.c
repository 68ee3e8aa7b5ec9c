/*
 * harness - the component tests' world (see harness.h).
 */
#include "autoconfig.h"

#include <check.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "harness.h"
#include "log.h"
#include "netstring.h"
#include "params.h"
#include "stats.h"
#include "sts_policy.h"

struct harness H;
int query_seq;
static int harness_stderr = -1;  /* the real stderr while the log is captured */
static const char *harness_seed; /* LMDB file to start the cache from */

void harness_set(const char *key, const char *value)
{
    char err[256];
    if (H.cfg == NULL)
        H.cfg = config_new();
    ck_assert_msg(config_set(H.cfg, key, value, err, sizeof(err)), "config %s: %s", key, err);
}

void harness_seed_cache(const char *path)
{
    harness_seed = path;
}

void world_dane_resolver(bool validates)
{
    static const struct dns_sec_result ok = {.st = DNS_OK, .ad = true, .ttl = 86400};
    static const struct dns_sec_result plain = {.st = DNS_OK, .ad = false, .ttl = 86400};
    fake_dns_sec(".", DNSMSG_T_SOA, validates ? &ok : &plain, FAKE_AT_ONCE);
}

/* Make the modules on the cache in H.dir (harness_open, harness_restart). */
static void harness_make(unsigned flags)
{
    char err[512];
    H.cache = cache_open(H.dir, H.cfg->cache_max_size, err, sizeof(err));
    ck_assert_msg(H.cache != NULL, "cache_open: %s", err);
    H.dns = dns_new(H.base, "", 1000, err, sizeof(err));
    struct https_config hc;
    params_https(H.cfg, &hc);
    H.https = https_new(H.base, &hc, err, sizeof(err));
    struct fetch_params fp;
    params_fetch(H.cfg, &fp);
    H.fetch = fetch_new(H.base, H.dns, H.https, H.cache, &fp);
    struct lookup_params lp;
    params_lookup(H.cfg, &lp);
    H.lookup = lookup_new(H.base, H.cache, H.fetch, &lp);
    struct danejob_params dp;
    params_dane(H.cfg, &dp);
    H.dane = danejob_new(H.base, H.dns, H.cache, &dp);
    lookup_set_dane(H.lookup, H.dane);
    if (flags & HARNESS_REFRESH)
        H.refresh = refresh_new(H.base, H.cache, H.fetch, &fp.verdict, H.cfg->max_fetches);
    if (flags & HARNESS_SMAP) {
        struct smap_params sp;
        params_smap(H.cfg, &sp);
        H.smap = smap_new(H.base, H.lookup, &sp);
    }
}

/* Free the modules, not the cache directory, the loop or the clock. */
static void harness_unmake(void)
{
    refresh_free(H.refresh);
    smap_free(H.smap);
    lookup_free(H.lookup);
    danejob_free(H.dane);
    fetch_free(H.fetch);
    https_free(H.https);
    dns_free(H.dns);
    cache_close(H.cache);
    H.refresh = NULL;
    H.smap = NULL;
    H.lookup = NULL;
    H.dane = NULL;
    H.fetch = NULL;
    H.https = NULL;
    H.dns = NULL;
    H.cache = NULL;
}

void harness_restart(unsigned flags)
{
    harness_unmake();
    ck_assert_uint_eq(fake_clock_pending(), 0);
    harness_make(flags);
}

void harness_open(unsigned flags)
{
    char path[128];
    const char *lvl = getenv("COMPONENT_LOG");
    enum log_level level = LOG_LEVEL_INFO;
    snprintf(H.dir, sizeof(H.dir), "/tmp/mtastsd-component.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(H.dir));
    /* The modules log to stderr: capture it for harness_log_count(). */
    snprintf(path, sizeof(path), "%s/log", H.dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    harness_stderr = dup(2);
    ck_assert_int_eq(dup2(fd, 2), 2);
    close(fd);
    log_open("component", true);
    if (lvl != NULL)
        ck_assert(log_level_parse(lvl, &level));
    log_set_level(level);
    if (H.cfg == NULL)
        H.cfg = config_new();
    fake_clock_reset();
    stats_reset();
    H.base = event_base_new();
    ck_assert_ptr_nonnull(H.base);
    if (harness_seed != NULL) {
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "cp '%s' '%s/cache.mdb' && chmod 600 '%s/cache.mdb'",
                 harness_seed, H.dir, H.dir);
        ck_assert_int_eq(system(cmd), 0);
    }
    harness_make(flags);
}

void harness_reconfigure(void)
{
    struct fetch_params fp;
    struct lookup_params lp;
    struct danejob_params dp;
    params_fetch(H.cfg, &fp);
    params_lookup(H.cfg, &lp);
    params_dane(H.cfg, &dp);
    fetch_reconfigure(H.fetch, &fp);
    lookup_reconfigure(H.lookup, &lp);
    danejob_reconfigure(H.dane, &dp);
    if (H.refresh != NULL)
        refresh_reconfigure(H.refresh, &fp.verdict, H.cfg->max_fetches);
    if (H.smap != NULL) {
        struct smap_params sp;
        params_smap(H.cfg, &sp);
        smap_reconfigure(H.smap, &sp);
    }
}

void harness_close(void)
{
    char cmd[128];
    harness_unmake();
    ck_assert_uint_eq(fake_clock_pending(), 0);
    fake_clock_shutdown();
    event_base_free(H.base);
    config_free(H.cfg);
    fake_dns_reset();
    fake_https_reset();
    fflush(stderr);
    if (getenv("COMPONENT_LOG") != NULL) { /* show what was logged */
        snprintf(cmd, sizeof(cmd), "cat '%s/log' >&%d", H.dir, harness_stderr);
        (void)system(cmd);
    }
    dup2(harness_stderr, 2);
    close(harness_stderr);
    harness_stderr = -1;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", H.dir);
    ck_assert_int_eq(system(cmd), 0);
    memset(&H, 0, sizeof(H));
    log_close();
}

void harness_turns(int n)
{
    for (int i = 0; i < n; i++)
        event_base_loop(H.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

void harness_settle(void)
{
    harness_turns(HARNESS_SETTLE);
}

void harness_advance(int64_t ms)
{
    int64_t until = clock_mono_ms() + ms;
    harness_settle();
    while (fake_clock_step(until))
        harness_settle();
}

int64_t harness_now(void)
{
    return clock_wall();
}

unsigned harness_log_count(const char *needle)
{
    char path[128], line[4096];
    unsigned n = 0;
    fflush(stderr);
    snprintf(path, sizeof(path), "%s/log", H.dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f) != NULL)
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

const char *policy_body(const char *mode, const char *mx, unsigned max_age)
{
    static char buf[STS_POLICY_MAX + 1], copy[STS_POLICY_MAX + 1];
    size_t n = (size_t)snprintf(buf, sizeof(buf), "version: STSv1\nmode: %s\n", mode);
    snprintf(copy, sizeof(copy), "%s", mx);
    char *save = NULL;
    for (char *m = strtok_r(copy, " ", &save); m != NULL; m = strtok_r(NULL, " ", &save))
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "mx: %s\n", m);
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "max_age: %u\n", max_age);
    ck_assert_uint_lt(n, sizeof(buf) - 1); /* not cut */
    return buf;
}

const char *txt_name(const char *domain)
{
    static char buf[2][300];
    static int i;
    i ^= 1;
    snprintf(buf[i], sizeof(buf[i]), "_mta-sts.%s", domain);
    return buf[i];
}

const char *host_name(const char *domain)
{
    static char buf[2][300];
    static int i;
    i ^= 1;
    snprintf(buf[i], sizeof(buf[i]), "mta-sts.%s", domain);
    return buf[i];
}

void world_policy(const char *domain, const char *id, const char *mode, const char *mx,
                  unsigned max_age)
{
    char rec[128];
    static const char *const addrs[] = {"192.0.2.1", NULL};
    snprintf(rec, sizeof(rec), "v=STSv1; id=%s", id);
    fake_dns_txt1(txt_name(domain), rec, FAKE_AT_ONCE);
    fake_dns_addr(host_name(domain), DNS_OK, addrs, FAKE_AT_ONCE);
    fake_https_policy(host_name(domain), policy_body(mode, mx, max_age));
}

static void query_on_answer(void *arg, const char *reply, size_t len)
{
    struct query *q = arg;
    ck_assert_msg(!q->done, "a query answered twice");
    ck_assert_uint_lt(len, sizeof(q->reply));
    memcpy(q->reply, reply, len);
    q->reply[len] = '\0';
    q->len = len;
    q->done = true;
    q->q = NULL;
    q->seq = ++query_seq;
}

void query_start_prof(struct query *q, enum reply_profile prof, const char *key)
{
    memset(q, 0, sizeof(*q));
    q->q = lookup_start(H.lookup, prof, key, strlen(key), q->reply, sizeof(q->reply), &q->len,
                        query_on_answer, q);
    if (q->q == NULL) {
        q->done = true;
        q->seq = ++query_seq;
    } else {
        q->waited = true;
    }
}

void query_start(struct query *q, const char *key)
{
    query_start_prof(q, REPLY_PROFILE_CLASSIC, key);
}

void query_cancel(struct query *q)
{
    ck_assert_ptr_nonnull(q->q);
    lookup_cancel(q->q);
    q->q = NULL;
}

const char *query_now(const char *key, int64_t ms)
{
    static struct query q;
    query_start(&q, key);
    int64_t until = clock_mono_ms() + ms;
    harness_settle();
    while (!q.done && fake_clock_step(until))
        harness_settle();
    ck_assert_msg(q.done, "no answer for %s within %lld ms", key, (long long)ms);
    return q.reply;
}

bool cached(const char *domain, struct entry *e)
{
    entry_init(e);
    return cache_get(H.cache, domain, e) == CACHE_OK;
}

int client_connect(void)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    ck_assert_ptr_nonnull(H.smap);
    smap_accept(H.smap, sv[0]);
    return sv[1];
}

void client_send_raw(int fd, const char *bytes, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, bytes, n, MSG_NOSIGNAL);
        ck_assert_msg(w > 0, "client send: %s", strerror(errno));
        bytes += w;
        n -= (size_t)w;
    }
}

void client_send(int fd, const char *payload)
{
    char buf[SMAP_REQUEST_MAX + 32];
    size_t n = netstring_encode(buf, sizeof(buf), payload, strlen(payload));
    ck_assert_uint_gt(n, 0);
    client_send_raw(fd, buf, n);
}

/* Bytes received but not yet decoded, per client fd. */
static char client_buf[64][4096];
static size_t client_len[64];
static bool client_closed[64];

size_t client_read(int fd, char (*out)[128], size_t max)
{
    ck_assert_int_lt(fd, 64);
    for (;;) {
        size_t room = sizeof(client_buf[fd]) - client_len[fd];
        if (room == 0)
            break;
        ssize_t r = recv(fd, client_buf[fd] + client_len[fd], room, 0);
        if (r == 0) {
            client_closed[fd] = true;
            break;
        }
        if (r < 0)
            break;
        client_len[fd] += (size_t)r;
    }
    size_t n = 0, off = 0;
    while (n < max) {
        const char *payload;
        size_t plen, used;
        enum netstring_status st = netstring_decode(client_buf[fd] + off, client_len[fd] - off,
                                                    REPLY_MAX, &payload, &plen, &used);
        if (st == NETSTRING_INCOMPLETE)
            break;
        ck_assert_msg(st == NETSTRING_OK, "malformed reply frame: %s", netstring_strerror(st));
        ck_assert_uint_lt(plen, 128);
        memcpy(out[n], payload, plen);
        out[n][plen] = '\0';
        n++;
        off += used;
    }
    memmove(client_buf[fd], client_buf[fd] + off, client_len[fd] - off);
    client_len[fd] -= off;
    return n;
}

bool client_eof(int fd)
{
    char tmp[1][128];
    (void)client_read(fd, tmp, 0);
    return client_closed[fd];
}

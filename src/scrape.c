/*
 * scrape - the metrics snapshot and the census walk (see scrape.h).
 *
 * Public functions: scrape_new(), scrape_set_deps(), scrape_free(),
 * scrape_text(), scrape_endpoint().
 */
#include "autoconfig.h"

#include <dirent.h>
#include <event2/event.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cache.h"
#include "clock.h"
#include "fetch.h"
#include "httpd.h"
#include "lookup.h"
#include "metrics.h"
#include "refresh.h"
#include "scrape.h"
#include "smap.h"
#include "stats.h"
#include "xalloc.h"

struct scrape {
    struct cache *cache;
    struct scrape_deps deps;
    struct clock_timer *census;
};

static void scrape_on_census(void *arg)
{
    struct scrape *s = arg;
    bool complete = cache_census_step(s->cache, SCRAPE_CENSUS_BATCH);
    clock_timer_add(s->census, complete ? 1000 : SCRAPE_CENSUS_PAUSE_MS);
}

struct scrape *scrape_new(struct event_base *base, struct cache *cache)
{
    struct scrape *s = xcalloc(1, sizeof(*s));
    s->cache = cache;
    s->census = clock_timer_new(base, scrape_on_census, s);
    clock_timer_add(s->census, 0);
    return s;
}

void scrape_set_deps(struct scrape *s, const struct scrape_deps *deps)
{
    s->deps = *deps;
}

void scrape_free(struct scrape *s)
{
    if (s == NULL)
        return;
    clock_timer_free(s->census);
    free(s);
}

/* CPU time (utime + stime) and virtual size from /proc/self/stat. */
static void scrape_proc_stat(struct metrics_snapshot *m)
{
    char buf[1024];
    FILE *f = fopen("/proc/self/stat", "re");
    if (f == NULL)
        return;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* after "pid (comm) ": field 3 is state; utime is 14, stime 15, vsize 23 */
    char *p = strrchr(buf, ')');
    if (p == NULL)
        return;
    unsigned long long utime = 0, stime = 0, vsize = 0;
    if (sscanf(p + 2,
               "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d "
               "%*u %llu",
               &utime, &stime, &vsize) != 3)
        return;
    long hz = sysconf(_SC_CLK_TCK);
    if (hz > 0)
        m->cpu_ns = (uint64_t)(utime + stime) * (1000000000u / (uint64_t)hz);
    m->vsize_bytes = vsize;
}

static void scrape_process(struct metrics_snapshot *m)
{
    m->process = true;
    m->start_time = (int64_t)stats.started;
    scrape_proc_stat(m);
    FILE *f = fopen("/proc/self/statm", "re");
    if (f != NULL) {
        unsigned long long size, resident;
        if (fscanf(f, "%llu %llu", &size, &resident) == 2)
            m->rss_bytes = resident * (uint64_t)sysconf(_SC_PAGESIZE);
        fclose(f);
    }
    DIR *d = opendir("/proc/self/fd");
    if (d != NULL) {
        uint64_t n = 0;
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
            if (de->d_name[0] != '.')
                n++;
        closedir(d);
        m->open_fds = n > 0 ? n - 1 : 0; /* not the directory's own descriptor */
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        m->max_fds = (uint64_t)rl.rlim_cur;
}

char *scrape_text(struct scrape *s, bool process, size_t *len)
{
    struct metrics_snapshot *m = xcalloc(1, sizeof(*m));
    m->counters = stats;
    m->version = PACKAGE_VERSION;
    if (s->deps.smap != NULL)
        m->connections = smap_connections(s->deps.smap);
    if (s->deps.lookup != NULL)
        m->queries_waiting = lookup_pending(s->deps.lookup);
    if (s->deps.fetch != NULL) {
        m->fetch_running = fetch_active(s->deps.fetch);
        m->fetch_queued = fetch_queued(s->deps.fetch);
    }
    m->metrics_connections = httpd_connections(s->deps.httpd);
    struct cache_stat cs;
    if (cache_stat(s->cache, &cs) == CACHE_OK) {
        m->cache_ok = true;
        m->cache_entries = cs.entries;
        m->cache_map_size = cs.map_size;
        m->cache_used = cs.used_bytes;
        m->cache_max_size = cs.max_size;
    }
    cache_census(s->cache, &m->census);
    if (s->deps.refresh != NULL) {
        size_t n = 0;
        m->expired_known = refresh_expired(s->deps.refresh, &n);
        m->expired = n;
    }
    if (process)
        scrape_process(m);
    char *text = metrics_render(m, len);
    free(m);
    return text;
}

char *scrape_endpoint(void *arg, size_t *len)
{
    return scrape_text(arg, true, len);
}

/*
 * scrape - gathers the metrics snapshot (metrics.h) from the running
 * modules and the process, and keeps the cache census walking so that no
 * scrape ever scans the cache.
 *
 * scrape_new() starts the census walk: from the loop, a timer runs
 * cache_census_step() over SCRAPE_CENSUS_BATCH records every
 * SCRAPE_CENSUS_PAUSE_MS until the census is complete (about five
 * seconds for a million entries, the loop never held for more than the
 * decoding of one batch), then looks once a second whether the cache was
 * replaced and must be counted again.
 *
 * scrape_text() renders the exposition of a fresh snapshot: a copy of
 * the counters, the gauges of the modules set with scrape_set_deps()
 * (those left NULL read as 0), cache_stat() (two LMDB reads of metadata),
 * the census, and with `process` the process_* families from
 * /proc/self/stat, /proc/self/statm, the entries of /proc/self/fd and
 * getrlimit(RLIMIT_NOFILE).  scrape_endpoint() is the same with process_*,
 * in the shape of httpd's render callback.
 *
 * Ownership: the texts are malloc'ed for the caller.  Diagnostics: none
 * (a /proc file that cannot be read leaves its family out).
 */
#ifndef MTASTSD_SCRAPE_H
#define MTASTSD_SCRAPE_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct cache;
struct fetch;
struct smap;
struct lookup;
struct refresh;
struct httpd;
struct scrape;

#define SCRAPE_CENSUS_BATCH    1024
#define SCRAPE_CENSUS_PAUSE_MS 5

struct scrape_deps {
    struct fetch *fetch;
    struct smap *smap;
    struct lookup *lookup;
    struct refresh *refresh;
    struct httpd *httpd;
};

struct scrape *scrape_new(struct event_base *base, struct cache *cache);
void scrape_set_deps(struct scrape *s, const struct scrape_deps *deps);
void scrape_free(struct scrape *s);

char *scrape_text(struct scrape *s, bool process, size_t *len);
/* httpd_render_fn: scrape_text() with the process_* families. */
char *scrape_endpoint(void *scrape, size_t *len);

#endif

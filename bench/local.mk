# bench/: the benchmark tools (bench/README).  Not installed, not built by
# "make" or "make check": "make bench-tools" builds them on demand, and
# bench/run does that for you.
EXTRA_PROGRAMS = bench/smapload bench/nullserver bench/cache-fill bench/mkcerts bench/floor \
	bench/lmdbget bench/lmdbget-unchecked
BENCH_TOOLS = bench/smapload$(EXEEXT) bench/nullserver$(EXEEXT) bench/cache-fill$(EXEEXT) \
	bench/mkcerts$(EXEEXT) bench/floor$(EXEEXT) bench/lmdbget$(EXEEXT) \
	bench/lmdbget-unchecked$(EXEEXT)

bench_smapload_SOURCES = bench/smapload.c
bench_nullserver_SOURCES = bench/nullserver.c

bench_cache_fill_SOURCES = bench/cache-fill.c src/cache.c src/cache.h src/entry.c src/entry.h \
	src/sts_policy.c src/sts_policy.h src/domain.c src/domain.h src/xalloc.c src/xalloc.h \
	src/log.c src/log.h src/clock.c src/clock.h
bench_cache_fill_CFLAGS = $(AM_CFLAGS) $(LMDB_CFLAGS) $(IDN2_CFLAGS) $(LIBEVENT_CFLAGS)
bench_cache_fill_LDADD = $(LMDB_LIBS) $(IDN2_LIBS) $(LIBEVENT_LIBS)

# The cost of one cache read without sockets: the same cache code as
# cache-fill and the daemon.
bench_lmdbget_SOURCES = bench/lmdbget.c $(bench_cache_fill_SOURCES:bench/cache-fill.c=)
bench_lmdbget_CFLAGS = $(bench_cache_fill_CFLAGS)
bench_lmdbget_LDADD = $(bench_cache_fill_LDADD)
# The same, with cache.c's per-transaction size check compiled out
# (CACHE_BENCH_UNCHECKED): bench/run times both in the same run, so the
# difference is what the check costs a cache read.
bench_lmdbget_unchecked_SOURCES = $(bench_lmdbget_SOURCES)
bench_lmdbget_unchecked_CFLAGS = $(bench_lmdbget_CFLAGS) -DCACHE_BENCH_UNCHECKED
bench_lmdbget_unchecked_LDADD = $(bench_lmdbget_LDADD)

bench_mkcerts_SOURCES = bench/mkcerts.c
bench_mkcerts_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
bench_mkcerts_LDADD = $(OPENSSL_LIBS)

# The memory floor: one HTTPS GET, linked with exactly the daemon's
# libraries (DAEMON_LIBS, src/local.mk) so the same shared objects are
# mapped; --no-as-needed keeps those floor never calls (Debian's gcc links
# --as-needed).
bench_floor_SOURCES = bench/floor.c
bench_floor_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS)
bench_floor_LDFLAGS = $(AM_LDFLAGS) -Wl,--no-as-needed
bench_floor_LDADD = $(DAEMON_LIBS)

CLEANFILES += $(BENCH_TOOLS)
EXTRA_DIST += bench/run bench/dane bench/callgrind-hits bench/README

bench-tools: $(BENCH_TOOLS)
.PHONY: bench-tools

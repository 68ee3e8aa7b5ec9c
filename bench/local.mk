# bench/: the benchmark tools (bench/README).  Not installed, not built by
# "make" or "make check": "make bench-tools" builds them on demand, and
# bench/run does that for you.
EXTRA_PROGRAMS = bench/smapload bench/nullserver bench/cache-fill bench/mkcerts
BENCH_TOOLS = bench/smapload$(EXEEXT) bench/nullserver$(EXEEXT) bench/cache-fill$(EXEEXT) \
	bench/mkcerts$(EXEEXT)

bench_smapload_SOURCES = bench/smapload.c
bench_nullserver_SOURCES = bench/nullserver.c

bench_cache_fill_SOURCES = bench/cache-fill.c src/cache.c src/cache.h src/entry.c src/entry.h \
	src/sts_policy.c src/sts_policy.h src/domain.c src/domain.h src/xalloc.c src/xalloc.h \
	src/log.c src/log.h
bench_cache_fill_CFLAGS = $(AM_CFLAGS) $(LMDB_CFLAGS) $(IDN2_CFLAGS)
bench_cache_fill_LDADD = $(LMDB_LIBS) $(IDN2_LIBS)

bench_mkcerts_SOURCES = bench/mkcerts.c
bench_mkcerts_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
bench_mkcerts_LDADD = $(OPENSSL_LIBS)

CLEANFILES += $(BENCH_TOOLS)
EXTRA_DIST += bench/run bench/README

bench-tools: $(BENCH_TOOLS)
.PHONY: bench-tools

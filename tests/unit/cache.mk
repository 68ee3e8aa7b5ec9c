# tests/unit/cache.mk: Check tests for src/cache.c (the LMDB adapter),
# against a real LMDB environment in a temporary directory.  Links the
# record codec (entry, sts_policy, domain) because the cache stores
# entry_encode() records; the test itself includes <lmdb.h> to plant
# damaged records and to grow the map from a second process.
# tests/tools/meta_eio.c interposes pwrite() to fail LMDB's meta page
# writes with EIO (a real MDB_PANIC); only this binary links it.
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_cache
TESTS += tests/unit/check_cache
tests_unit_check_cache_SOURCES = tests/unit/check_cache.c tests/tools/meta_eio.c tests/tools/meta_eio.h \
	src/cache.c src/entry.c src/sts_policy.c src/domain.c src/xalloc.c src/log.c src/clock.c
tests_unit_check_cache_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/tools
tests_unit_check_cache_CFLAGS = $(UNIT_TEST_CFLAGS) $(LMDB_CFLAGS) $(IDN2_CFLAGS) $(LIBEVENT_CFLAGS)
tests_unit_check_cache_LDADD = $(UNIT_TEST_LIBS) $(LMDB_LIBS) $(IDN2_LIBS) $(LIBEVENT_LIBS)
endif

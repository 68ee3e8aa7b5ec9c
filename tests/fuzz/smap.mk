# tests/fuzz/smap.mk: libFuzzer harness over the socketmap byte stream
# (src/smap.c with a stub lookup, on a real event loop and socketpair, with
# the component tests' fake clock so that deadlines fire), replayed over its
# corpus by "make check".
SMAP_FUZZ_SOURCES = tests/fuzz/fuzz_smap.c src/smap.c src/netstring.c src/reply.c src/log.c \
	src/stats.c src/hist.c src/slots.c src/trim.c src/xalloc.c \
	tests/component/fake_clock.c tests/component/fake_clock.h \
	tests/component/fake_later.c tests/component/fake_later.h
SMAP_FUZZ_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/component
check_PROGRAMS += tests/fuzz/replay_smap
tests_fuzz_replay_smap_SOURCES = $(SMAP_FUZZ_SOURCES) $(FUZZ_REPLAY_SOURCES)
tests_fuzz_replay_smap_CPPFLAGS = $(SMAP_FUZZ_CPPFLAGS)
tests_fuzz_replay_smap_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
tests_fuzz_replay_smap_LDADD = $(LIBEVENT_LIBS)
TESTS += tests/fuzz/smap.corpus
EXTRA_DIST += tests/fuzz/smap.corpus
if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_smap
tests_fuzz_fuzz_smap_SOURCES = $(SMAP_FUZZ_SOURCES)
tests_fuzz_fuzz_smap_CPPFLAGS = $(SMAP_FUZZ_CPPFLAGS)
tests_fuzz_fuzz_smap_CFLAGS = $(FUZZ_COMPILEFLAGS) $(LIBEVENT_CFLAGS)
tests_fuzz_fuzz_smap_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_smap_LDADD = $(LIBEVENT_LIBS)
endif

# tests/fuzz/ctlproto.mk: the control protocol's parsers (request lines,
# reply lines, "load" records).
CTLPROTO_FUZZ_SOURCES = src/ctlproto.c src/ctlview.c src/ctlrecord.c src/entry.c src/dane.c \
	src/dnsmsg.c \
	src/sts_policy.c src/domain.c src/verdict.c \
	src/xalloc.c
check_PROGRAMS += tests/fuzz/replay_ctlproto
tests_fuzz_replay_ctlproto_SOURCES = tests/fuzz/fuzz_ctlproto.c $(FUZZ_REPLAY_SOURCES) \
	$(CTLPROTO_FUZZ_SOURCES)
tests_fuzz_replay_ctlproto_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(IDN2_CFLAGS)
tests_fuzz_replay_ctlproto_LDADD = $(JANSSON_LIBS) $(IDN2_LIBS)
TESTS += tests/fuzz/ctlproto.corpus
EXTRA_DIST += tests/fuzz/ctlproto.corpus
if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_ctlproto
tests_fuzz_fuzz_ctlproto_SOURCES = tests/fuzz/fuzz_ctlproto.c $(CTLPROTO_FUZZ_SOURCES)
tests_fuzz_fuzz_ctlproto_CFLAGS = $(FUZZ_COMPILEFLAGS) $(JANSSON_CFLAGS) $(IDN2_CFLAGS)
tests_fuzz_fuzz_ctlproto_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_ctlproto_LDADD = $(JANSSON_LIBS) $(IDN2_LIBS)
endif

# tests/fuzz/netstring.mk: chunked-feeding harness for src/netstring.c.
check_PROGRAMS += tests/fuzz/replay_netstring
tests_fuzz_replay_netstring_SOURCES = tests/fuzz/fuzz_netstring.c $(FUZZ_REPLAY_SOURCES) src/netstring.c
TESTS += tests/fuzz/netstring.corpus
EXTRA_DIST += tests/fuzz/netstring.corpus
if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_netstring
tests_fuzz_fuzz_netstring_SOURCES = tests/fuzz/fuzz_netstring.c src/netstring.c
tests_fuzz_fuzz_netstring_CFLAGS = $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_netstring_LDFLAGS = $(FUZZ_LINKFLAGS)
endif

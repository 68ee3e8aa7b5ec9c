# tests/fuzz/dnsmsg.mk: libFuzzer harness for src/dnsmsg.c (hostile DNS
# answers; query build and answer parse round trip), replayed over its
# corpus by "make check".
check_PROGRAMS += tests/fuzz/replay_dnsmsg
tests_fuzz_replay_dnsmsg_SOURCES = tests/fuzz/fuzz_dnsmsg.c $(FUZZ_REPLAY_SOURCES) src/dnsmsg.c
TESTS += tests/fuzz/dnsmsg.corpus
EXTRA_DIST += tests/fuzz/dnsmsg.corpus
if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_dnsmsg
tests_fuzz_fuzz_dnsmsg_SOURCES = tests/fuzz/fuzz_dnsmsg.c src/dnsmsg.c
tests_fuzz_fuzz_dnsmsg_CFLAGS = $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_dnsmsg_LDFLAGS = $(FUZZ_LINKFLAGS)
endif

# tests/fuzz/domain.mk: libFuzzer harness for src/domain.c (key
# normalisation and mx patterns), replayed over its corpus by "make check".
check_PROGRAMS += tests/fuzz/replay_domain
tests_fuzz_replay_domain_SOURCES = tests/fuzz/fuzz_domain.c $(FUZZ_REPLAY_SOURCES) src/domain.c
tests_fuzz_replay_domain_CFLAGS = $(AM_CFLAGS) $(IDN2_CFLAGS)
tests_fuzz_replay_domain_LDADD = $(IDN2_LIBS)
TESTS += tests/fuzz/domain.corpus
EXTRA_DIST += tests/fuzz/domain.corpus
if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_domain
tests_fuzz_fuzz_domain_SOURCES = tests/fuzz/fuzz_domain.c src/domain.c
tests_fuzz_fuzz_domain_CFLAGS = $(FUZZ_COMPILEFLAGS) $(IDN2_CFLAGS)
tests_fuzz_fuzz_domain_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_domain_LDADD = $(IDN2_LIBS)
endif

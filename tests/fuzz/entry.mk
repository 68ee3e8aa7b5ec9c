# tests/fuzz/entry.mk: entry_decode() (with the embedded sts_policy blob).
ENTRY_FUZZ_SOURCES = src/entry.c src/sts_policy.c src/domain.c src/xalloc.c
check_PROGRAMS += tests/fuzz/replay_entry
tests_fuzz_replay_entry_SOURCES = tests/fuzz/fuzz_entry.c $(FUZZ_REPLAY_SOURCES) \
	$(ENTRY_FUZZ_SOURCES)
tests_fuzz_replay_entry_CFLAGS = $(AM_CFLAGS) $(IDN2_CFLAGS)
tests_fuzz_replay_entry_LDADD = $(IDN2_LIBS)
TESTS += tests/fuzz/entry.corpus
EXTRA_DIST += tests/fuzz/entry.corpus
if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_entry
tests_fuzz_fuzz_entry_SOURCES = tests/fuzz/fuzz_entry.c $(ENTRY_FUZZ_SOURCES)
tests_fuzz_fuzz_entry_CFLAGS = $(FUZZ_COMPILEFLAGS) $(IDN2_CFLAGS)
tests_fuzz_fuzz_entry_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_entry_LDADD = $(IDN2_LIBS)
endif

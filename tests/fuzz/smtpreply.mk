# tests/fuzz/smtpreply.mk: libFuzzer harness for src/smtpreply.c (the MX
# probe's SMTP reply parser), replayed over its corpus by "make check".
check_PROGRAMS += tests/fuzz/replay_smtpreply
tests_fuzz_replay_smtpreply_SOURCES = tests/fuzz/fuzz_smtpreply.c $(FUZZ_REPLAY_SOURCES) \
	src/smtpreply.c
TESTS += tests/fuzz/smtpreply.corpus
EXTRA_DIST += tests/fuzz/smtpreply.corpus
if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_smtpreply
tests_fuzz_fuzz_smtpreply_SOURCES = tests/fuzz/fuzz_smtpreply.c src/smtpreply.c
tests_fuzz_fuzz_smtpreply_CFLAGS = $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_smtpreply_LDFLAGS = $(FUZZ_LINKFLAGS)
endif

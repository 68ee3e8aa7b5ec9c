# tests/fuzz/tlsrpt.mk: libFuzzer harness for src/tlsrpt.c (the TLSRPT
# record of RFC 8460 and its record-set rule), replayed over its corpus by
# "make check".
check_PROGRAMS += tests/fuzz/replay_tlsrpt
tests_fuzz_replay_tlsrpt_SOURCES = tests/fuzz/fuzz_tlsrpt.c $(FUZZ_REPLAY_SOURCES) src/tlsrpt.c \
	src/txtrec.c
TESTS += tests/fuzz/tlsrpt.corpus
EXTRA_DIST += tests/fuzz/tlsrpt.corpus
if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_tlsrpt
tests_fuzz_fuzz_tlsrpt_SOURCES = tests/fuzz/fuzz_tlsrpt.c src/tlsrpt.c src/txtrec.c
tests_fuzz_fuzz_tlsrpt_CFLAGS = $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_tlsrpt_LDFLAGS = $(FUZZ_LINKFLAGS)
endif

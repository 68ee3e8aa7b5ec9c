# tests/fuzz/sts.mk: libFuzzer harnesses for src/sts_txt.c (TXT record and
# record-set rule) and src/sts_policy.c (policy body, serialise/deserialise
# round trip), replayed over their corpora by "make check".
check_PROGRAMS += tests/fuzz/replay_sts_txt tests/fuzz/replay_sts_policy
tests_fuzz_replay_sts_txt_SOURCES = tests/fuzz/fuzz_sts_txt.c $(FUZZ_REPLAY_SOURCES) src/sts_txt.c \
	src/txtrec.c
tests_fuzz_replay_sts_policy_SOURCES = tests/fuzz/fuzz_sts_policy.c $(FUZZ_REPLAY_SOURCES) \
	src/sts_policy.c src/domain.c src/xalloc.c
tests_fuzz_replay_sts_policy_CFLAGS = $(AM_CFLAGS) $(IDN2_CFLAGS)
tests_fuzz_replay_sts_policy_LDADD = $(IDN2_LIBS)
TESTS += tests/fuzz/sts_txt.corpus tests/fuzz/sts_policy.corpus
EXTRA_DIST += tests/fuzz/sts_txt.corpus tests/fuzz/sts_policy.corpus
if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_sts_txt tests/fuzz/fuzz_sts_policy
tests_fuzz_fuzz_sts_txt_SOURCES = tests/fuzz/fuzz_sts_txt.c src/sts_txt.c src/txtrec.c
tests_fuzz_fuzz_sts_txt_CFLAGS = $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_sts_txt_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_sts_policy_SOURCES = tests/fuzz/fuzz_sts_policy.c src/sts_policy.c src/domain.c \
	src/xalloc.c
tests_fuzz_fuzz_sts_policy_CFLAGS = $(FUZZ_COMPILEFLAGS) $(IDN2_CFLAGS)
tests_fuzz_fuzz_sts_policy_LDFLAGS = $(FUZZ_LINKFLAGS)
tests_fuzz_fuzz_sts_policy_LDADD = $(IDN2_LIBS)
endif

# tests/fuzz/httpreq.mk: libFuzzer harness for src/httpreq.c (hostile
# request heads on the metrics endpoint), replayed over its corpus by
# "make check".
check_PROGRAMS += tests/fuzz/replay_httpreq
tests_fuzz_replay_httpreq_SOURCES = tests/fuzz/fuzz_httpreq.c $(FUZZ_REPLAY_SOURCES) src/httpreq.c
TESTS += tests/fuzz/httpreq.corpus
EXTRA_DIST += tests/fuzz/httpreq.corpus
if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_httpreq
tests_fuzz_fuzz_httpreq_SOURCES = tests/fuzz/fuzz_httpreq.c src/httpreq.c
tests_fuzz_fuzz_httpreq_CFLAGS = $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_httpreq_LDFLAGS = $(FUZZ_LINKFLAGS)
endif

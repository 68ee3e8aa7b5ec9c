# tests/fuzz/config.mk: config_load_buffer() and the print/re-load round trip.
check_PROGRAMS += tests/fuzz/replay_config
tests_fuzz_replay_config_SOURCES = tests/fuzz/fuzz_config.c $(FUZZ_REPLAY_SOURCES) src/config.c src/endpoint.c \
	src/log.c src/xalloc.c
TESTS += tests/fuzz/config.corpus
EXTRA_DIST += tests/fuzz/config.corpus
if ENABLE_FUZZERS
noinst_PROGRAMS += tests/fuzz/fuzz_config
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz_config.c src/config.c src/endpoint.c src/log.c \
	src/xalloc.c
tests_fuzz_fuzz_config_CFLAGS = $(FUZZ_COMPILEFLAGS)
tests_fuzz_fuzz_config_LDFLAGS = $(FUZZ_LINKFLAGS)
endif

# tests/fuzz/: libFuzzer harnesses.  Each harness tests/fuzz/fuzz_X.c
# defines LLVMFuzzerTestOneInput and has a seed corpus in
# tests/fuzz/corpus/X/.
#  - always: tests/fuzz/replay_X (harness + replay.c) replays the corpus
#    under "make check" (tests/fuzz/replay_X.sh is the test driver);
#  - --enable-fuzzers (CC=clang): tests/fuzz/fuzz_X is a libFuzzer binary;
#    tests/fuzz/run-fuzzers runs each for a bounded time.
FUZZ_COMPILEFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
FUZZ_LINKFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
EXTRA_DIST += tests/fuzz/run-fuzzers tests/fuzz/replay-corpus tests/fuzz/corpus

include tests/fuzz/netstring.mk
include tests/fuzz/domain.mk
include tests/fuzz/sts.mk
include tests/fuzz/config.mk
include tests/fuzz/entry.mk
include tests/fuzz/ctlproto.mk
include tests/fuzz/dnsmsg.mk
include tests/fuzz/smap.mk
include tests/fuzz/tlsrpt.mk
include tests/fuzz/smtpreply.mk
include tests/fuzz/httpreq.mk

TEST_EXTENSIONS = .corpus
CORPUS_LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/fuzz/replay-corpus
FUZZ_REPLAY_SOURCES = tests/fuzz/replay.c

# "make fuzzers" builds every libFuzzer harness (needs --enable-fuzzers);
# noinst_PROGRAMS holds nothing else.
fuzzers: $(noinst_PROGRAMS)
.PHONY: fuzzers

# tests/unit/hist.mk: Check tests for src/hist.c (pure duration
# histograms; links only hist.c).
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_hist
TESTS += tests/unit/check_hist
tests_unit_check_hist_SOURCES = tests/unit/check_hist.c src/hist.c
tests_unit_check_hist_CFLAGS = $(UNIT_TEST_CFLAGS)
tests_unit_check_hist_LDADD = $(UNIT_TEST_LIBS)
endif

# tests/unit/downgrade.mk: Check tests for src/downgrade.c (policy
# downgrades: the pure comparisons and the counting hooks).  Policies are
# parsed by sts_policy.c; validity comes from verdict.c; the hooks log
# (log.c) and count (stats.c).
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_downgrade
TESTS += tests/unit/check_downgrade
tests_unit_check_downgrade_SOURCES = tests/unit/check_downgrade.c src/downgrade.c \
	src/sts_policy.c src/domain.c src/entry.c src/verdict.c src/stats.c src/hist.c \
	src/log.c src/xalloc.c
tests_unit_check_downgrade_CFLAGS = $(UNIT_TEST_CFLAGS) $(IDN2_CFLAGS)
tests_unit_check_downgrade_LDADD = $(UNIT_TEST_LIBS) $(IDN2_LIBS)
endif

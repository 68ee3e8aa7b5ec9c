# tests/unit/metrics.mk: Check tests for src/metrics.c (the Prometheus
# exposition writer; pure).  Links the label tables it formats with
# (stats.c, fetch_class.c, sts_policy.c for the mode names) and hist.c.
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_metrics
TESTS += tests/unit/check_metrics
tests_unit_check_metrics_SOURCES = tests/unit/check_metrics.c src/metrics.c src/stats.c \
	src/hist.c src/fetch_class.c src/sts_policy.c src/domain.c src/xalloc.c
tests_unit_check_metrics_CFLAGS = $(UNIT_TEST_CFLAGS) $(IDN2_CFLAGS)
tests_unit_check_metrics_LDADD = $(UNIT_TEST_LIBS) $(IDN2_LIBS)
endif

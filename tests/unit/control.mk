# tests/unit/control.mk: the control protocol's pure modules: src/ctlproto.c
# (request/reply lines, list filters), src/ctlview.c (entry views) and
# src/ctlrecord.c (load-record validation).  Records are re-parsed through
# sts_policy.c/domain.c and checked with entry.c and verdict.c; JSON through
# jansson.
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_control
TESTS += tests/unit/check_control
tests_unit_check_control_SOURCES = tests/unit/check_control.c src/ctlproto.c src/ctlview.c \
	src/ctlrecord.c src/entry.c src/dane.c src/dnsmsg.c \
	src/sts_policy.c src/domain.c src/verdict.c src/xalloc.c
tests_unit_check_control_CFLAGS = $(UNIT_TEST_CFLAGS) $(JANSSON_CFLAGS) $(IDN2_CFLAGS)
tests_unit_check_control_LDADD = $(UNIT_TEST_LIBS) $(JANSSON_LIBS) $(IDN2_LIBS)
endif

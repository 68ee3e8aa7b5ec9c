# tests/unit/netstring.mk: Check tests for src/netstring.c (pure, no deps).
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_netstring
TESTS += tests/unit/check_netstring
tests_unit_check_netstring_SOURCES = tests/unit/check_netstring.c src/netstring.c
tests_unit_check_netstring_CFLAGS = $(UNIT_TEST_CFLAGS)
tests_unit_check_netstring_LDADD = $(UNIT_TEST_LIBS)
endif

# tests/unit/dnsmsg.mk: Check tests for src/dnsmsg.c (pure: DNS query
# building and hostile answer parsing; no dependencies).
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_dnsmsg
TESTS += tests/unit/check_dnsmsg
tests_unit_check_dnsmsg_SOURCES = tests/unit/check_dnsmsg.c src/dnsmsg.c src/dnsmsg.h
tests_unit_check_dnsmsg_CFLAGS = $(UNIT_TEST_CFLAGS)
tests_unit_check_dnsmsg_LDADD = $(UNIT_TEST_LIBS)
endif

# tests/unit/owner.mk: Check tests for the domain owner's check (pure
# parts): src/tlsrpt.c (RFC 8460 record), src/report.c (items and their
# rendering; jansson), src/assess.c (facts to findings) and
# src/suggest.c (starter files, parsed back by the project's parsers).
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_tlsrpt
TESTS += tests/unit/check_tlsrpt
tests_unit_check_tlsrpt_SOURCES = tests/unit/check_tlsrpt.c src/tlsrpt.c
tests_unit_check_tlsrpt_CFLAGS = $(UNIT_TEST_CFLAGS)
tests_unit_check_tlsrpt_LDADD = $(UNIT_TEST_LIBS)
endif

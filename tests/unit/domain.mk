# tests/unit/domain.mk: Check tests for src/domain.c (pure; needs libidn2).
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_domain
TESTS += tests/unit/check_domain
tests_unit_check_domain_SOURCES = tests/unit/check_domain.c src/domain.c
tests_unit_check_domain_CFLAGS = $(UNIT_TEST_CFLAGS) $(IDN2_CFLAGS)
tests_unit_check_domain_LDADD = $(UNIT_TEST_LIBS) $(IDN2_LIBS)
endif

# tests/unit/verdict.mk: the verdict rules (pure, links only verdict.c)
# and the entry record encoding (which embeds the sts_policy blob; its
# version 1 records come from tests/component/data/cache-v1.dump).
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_verdict tests/unit/check_entry
TESTS += tests/unit/check_verdict tests/unit/check_entry
tests_unit_check_verdict_SOURCES = tests/unit/check_verdict.c src/verdict.c
tests_unit_check_verdict_CFLAGS = $(UNIT_TEST_CFLAGS)
tests_unit_check_verdict_LDADD = $(UNIT_TEST_LIBS)
tests_unit_check_entry_SOURCES = tests/unit/check_entry.c src/entry.c src/sts_policy.c \
	src/domain.c src/xalloc.c
tests_unit_check_entry_CFLAGS = $(UNIT_TEST_CFLAGS) $(IDN2_CFLAGS)
tests_unit_check_entry_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_check_entry_LDADD = $(UNIT_TEST_LIBS) $(IDN2_LIBS)
endif

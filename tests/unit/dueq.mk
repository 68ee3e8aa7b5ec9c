# tests/unit/dueq.mk: Check tests for src/dueq.c (the refresh timer queue;
# pure, links only dueq.c and the allocation wrappers).
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_dueq
TESTS += tests/unit/check_dueq
tests_unit_check_dueq_SOURCES = tests/unit/check_dueq.c src/dueq.c src/xalloc.c
tests_unit_check_dueq_CFLAGS = $(UNIT_TEST_CFLAGS)
tests_unit_check_dueq_LDADD = $(UNIT_TEST_LIBS)
endif

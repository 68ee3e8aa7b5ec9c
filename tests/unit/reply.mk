# tests/unit/reply.mk: Check tests for src/reply.c (pure; policies are
# built by hand in the test, sts_policy.c is not linked).
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_reply
TESTS += tests/unit/check_reply
tests_unit_check_reply_SOURCES = tests/unit/check_reply.c src/reply.c
tests_unit_check_reply_CFLAGS = $(UNIT_TEST_CFLAGS)
tests_unit_check_reply_LDADD = $(UNIT_TEST_LIBS)
endif

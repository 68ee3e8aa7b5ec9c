# tests/unit/sts.mk: Check tests for src/sts_txt.c (pure, no dependencies)
# and src/sts_policy.c (pure; validates mx through src/domain.c, libidn2).
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_sts_txt tests/unit/check_sts_policy
TESTS += tests/unit/check_sts_txt tests/unit/check_sts_policy
tests_unit_check_sts_txt_SOURCES = tests/unit/check_sts_txt.c src/sts_txt.c src/txtrec.c
tests_unit_check_sts_txt_CFLAGS = $(UNIT_TEST_CFLAGS)
tests_unit_check_sts_txt_LDADD = $(UNIT_TEST_LIBS)
tests_unit_check_sts_policy_SOURCES = tests/unit/check_sts_policy.c src/sts_policy.c \
	src/domain.c src/xalloc.c
tests_unit_check_sts_policy_CFLAGS = $(UNIT_TEST_CFLAGS) $(IDN2_CFLAGS)
tests_unit_check_sts_policy_LDADD = $(UNIT_TEST_LIBS) $(IDN2_LIBS)
endif

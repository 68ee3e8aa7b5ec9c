# tests/unit/httpreq.mk: Check tests for src/httpreq.c (the metrics
# endpoint's request parser; pure, no dependencies).
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_httpreq
TESTS += tests/unit/check_httpreq
tests_unit_check_httpreq_SOURCES = tests/unit/check_httpreq.c src/httpreq.c
tests_unit_check_httpreq_CFLAGS = $(UNIT_TEST_CFLAGS)
tests_unit_check_httpreq_LDADD = $(UNIT_TEST_LIBS)
endif

# tests/unit/owner.mk: Check tests for the domain owner's check (pure
# parts): src/tlsrpt.c (RFC 8460 record), src/report.c (items and their
# rendering; jansson), src/assess.c (facts to findings) and
# src/suggest.c (starter files, parsed back by the project's parsers),
# src/smtpreply.c (the MX probe's SMTP reply parser), src/dane.c (TLSA
# state and certificate matching).
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_tlsrpt tests/unit/check_report tests/unit/check_assess \
	tests/unit/check_suggest tests/unit/check_smtpreply tests/unit/check_dane
TESTS += tests/unit/check_tlsrpt tests/unit/check_report tests/unit/check_assess \
	tests/unit/check_suggest tests/unit/check_smtpreply tests/unit/check_dane
tests_unit_check_tlsrpt_SOURCES = tests/unit/check_tlsrpt.c src/tlsrpt.c src/txtrec.c
tests_unit_check_tlsrpt_CFLAGS = $(UNIT_TEST_CFLAGS)
tests_unit_check_tlsrpt_LDADD = $(UNIT_TEST_LIBS)
tests_unit_check_report_SOURCES = tests/unit/check_report.c src/report.c src/log.c src/xalloc.c
tests_unit_check_report_CFLAGS = $(UNIT_TEST_CFLAGS) $(JANSSON_CFLAGS)
tests_unit_check_report_LDADD = $(UNIT_TEST_LIBS) $(JANSSON_LIBS)
tests_unit_check_assess_SOURCES = tests/unit/check_assess.c src/assess.c src/assess_probe.c \
	src/dane.c src/dnsmsg.c src/report.c src/tlsrpt.c src/sts_txt.c src/txtrec.c \
	src/sts_policy.c src/domain.c src/log.c src/xalloc.c
tests_unit_check_assess_CFLAGS = $(UNIT_TEST_CFLAGS) $(JANSSON_CFLAGS) $(IDN2_CFLAGS)
tests_unit_check_assess_LDADD = $(UNIT_TEST_LIBS) $(JANSSON_LIBS) $(IDN2_LIBS)
tests_unit_check_suggest_SOURCES = tests/unit/check_suggest.c src/suggest.c src/domain.c \
	src/dnsmsg.c src/log.c src/sts_policy.c src/sts_txt.c src/tlsrpt.c src/txtrec.c \
	src/xalloc.c
tests_unit_check_suggest_CFLAGS = $(UNIT_TEST_CFLAGS) $(IDN2_CFLAGS)
tests_unit_check_suggest_LDADD = $(UNIT_TEST_LIBS) $(IDN2_LIBS)
tests_unit_check_smtpreply_SOURCES = tests/unit/check_smtpreply.c src/smtpreply.c
tests_unit_check_smtpreply_CFLAGS = $(UNIT_TEST_CFLAGS)
tests_unit_check_smtpreply_LDADD = $(UNIT_TEST_LIBS)
tests_unit_check_dane_SOURCES = tests/unit/check_dane.c src/dane.c src/dnsmsg.c
tests_unit_check_dane_CFLAGS = $(UNIT_TEST_CFLAGS)
tests_unit_check_dane_LDADD = $(UNIT_TEST_LIBS)
endif

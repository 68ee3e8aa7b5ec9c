# tests/unit/config.mk: the config and log modules.
if HAVE_CHECK
check_PROGRAMS += tests/unit/check_config tests/unit/check_log
TESTS += tests/unit/check_config tests/unit/check_log
tests_unit_check_config_SOURCES = tests/unit/check_config.c src/config.c src/endpoint.c src/log.c \
	src/xalloc.c
tests_unit_check_config_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_check_config_CFLAGS = $(UNIT_TEST_CFLAGS)
tests_unit_check_config_LDADD = $(UNIT_TEST_LIBS)
tests_unit_check_log_SOURCES = tests/unit/check_log.c src/log.c
tests_unit_check_log_CFLAGS = $(UNIT_TEST_CFLAGS)
tests_unit_check_log_LDADD = $(UNIT_TEST_LIBS)
endif
EXTRA_DIST += contrib/mtastsd.conf.example

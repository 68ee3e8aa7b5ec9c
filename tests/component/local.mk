# tests/component/: the component tests of the event-driven core (issue
# 11): the real fetch, lookup, refresh, smap, cache, verdict and reply
# code on a real libevent loop and a real LMDB in a temporary directory,
# linked against a fake clock (fake_clock.c implements src/clock.h) and
# fake dns and https adapters (fake_dns.c, fake_https.c implement
# src/dns.h and src/https.h).  No namespace, DNS or HTTPS server.
if HAVE_CHECK
check_PROGRAMS += tests/component/check_component
TESTS += tests/component/check_component
tests_component_check_component_SOURCES = \
	tests/component/check_component.c \
	tests/component/check_fakes.c \
	tests/component/check_fetch.c \
	tests/component/check_lookup.c \
	tests/component/check_metrics.c \
	tests/component/check_dane.c \
	tests/component/check_refresh.c \
	tests/component/check_smap.c \
	tests/component/harness.c tests/component/harness.h \
	tests/component/fake_clock.c tests/component/fake_clock.h \
	tests/component/fake_later.c tests/component/fake_later.h \
	tests/component/fake_dns.c tests/component/fake_dns.h \
	tests/component/fake_https.c tests/component/fake_https.h \
	tests/tools/meta_eio.c tests/tools/meta_eio.h \
	src/fetch.c src/downgrade.c src/lookup.c src/refresh.c src/smap.c src/slots.c src/cache.c \
	src/listener.c src/danejob.c src/daneprobe.c src/httpd.c \
	src/stats.c src/trim.c src/params.c \
	$(PURE_SOURCES)
tests_component_check_component_CPPFLAGS = $(AM_CPPFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"' \
	-I$(top_srcdir)/tests/tools
tests_component_check_component_CFLAGS = $(UNIT_TEST_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(LMDB_CFLAGS) $(IDN2_CFLAGS)
tests_component_check_component_LDADD = $(UNIT_TEST_LIBS) $(LIBEVENT_LIBS) $(LMDB_LIBS) \
	$(IDN2_LIBS)
endif
EXTRA_DIST += tests/component/data/README tests/component/data/cache-v1.mdb \
	tests/component/data/cache-v1.dump

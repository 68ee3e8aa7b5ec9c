# tests/unit/dns_https.mk: the dns, https and mxprobe adapters have no
# Check unit test (they only make sense against real servers); this builds
# the probe that tests/integration/test_dns_https.sh and test_mxprobe.sh
# drive.
check_PROGRAMS += tests/tools/mtastsd-probe
tests_tools_mtastsd_probe_SOURCES = tests/tools/mtastsd-probe.c \
	src/dns.c src/dns.h src/dnsmsg.c src/dnsmsg.h src/https.c src/https.h src/tlsinfo.c src/tlsinfo.h \
	src/mxprobe.c src/mxprobe.h src/smtpreply.c src/smtpreply.h src/dane.h src/sts_txt.h \
	src/log.c src/log.h src/xalloc.c src/xalloc.h src/clock.c src/clock.h
tests_tools_mtastsd_probe_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(CARES_CFLAGS) $(CURL_CFLAGS) \
	$(OPENSSL_CFLAGS)
tests_tools_mtastsd_probe_LDADD = $(LIBEVENT_LIBS) $(CARES_LIBS) $(CURL_LIBS) $(OPENSSL_LIBS)

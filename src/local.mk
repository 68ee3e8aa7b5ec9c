# src/: the daemon and the control tool.
sbin_PROGRAMS += mtastsd
bin_PROGRAMS += mtastsd-ctl

# Adapters (each the only file that includes its library), core state
# machines, front ends and process plumbing.
DAEMON_SOURCES = \
	src/clock.c src/clock.h src/queue_safe.h \
	src/dns.c src/dns.h \
	src/https.c src/https.h src/tlsinfo.c src/tlsinfo.h \
	src/cache.c src/cache.h \
	src/listener.c src/listener.h \
	src/fetch.c src/fetch.h \
	src/downgrade.c src/downgrade.h \
	src/danejob.c src/danejob.h src/daneprobe.c src/daneprobe.h \
	src/lookup.c src/lookup.h \
	src/refresh.c src/refresh.h \
	src/stats.c src/stats.h \
	src/trim.c src/trim.h \
	src/slots.c src/slots.h \
	src/httpd.c src/httpd.h \
	src/scrape.c src/scrape.h \
	src/smap.c src/smap.h \
	src/control.c src/control.h src/ctlcmd.c src/ctlcmd.h src/ctlproto.c src/ctlproto.h \
	src/ctlview.c src/ctlview.h src/ctlrecord.c src/ctlrecord.h \
	src/daemon.c src/daemon.h \
	src/params.c src/params.h

DAEMON_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(CARES_CFLAGS) $(CURL_CFLAGS) \
	$(OPENSSL_CFLAGS) $(LMDB_CFLAGS) $(IDN2_CFLAGS) $(JANSSON_CFLAGS)
DAEMON_LIBS = $(LIBEVENT_LIBS) $(CARES_LIBS) $(CURL_LIBS) $(OPENSSL_LIBS) $(LMDB_LIBS) \
	$(IDN2_LIBS) $(JANSSON_LIBS)

mtastsd_SOURCES = $(PURE_SOURCES) $(DAEMON_SOURCES) src/main.c
mtastsd_CFLAGS = $(DAEMON_CFLAGS)
mtastsd_LDADD = $(DAEMON_LIBS)

# The domain owner's check: pure rules (assess, assess_probe, dane,
# report, smtpreply, tlsrpt, suggest), the runner (domcheck) over the
# daemon's dns and https adapters, and the MX probe's SMTP adapter
# (mxprobe, TLS through tlsinfo).
OWNER_SOURCES = \
	src/domcheck.c src/domcheck.h src/assess.c src/assess.h \
	src/assess_probe.c src/assess_probe.h src/dane.c src/dane.h \
	src/mxprobe.c src/mxprobe.h src/smtpreply.c src/smtpreply.h \
	src/report.c src/report.h src/suggest.c src/suggest.h \
	src/tlsrpt.c src/tlsrpt.h src/txtrec.c src/txtrec.h \
	src/sts_txt.c src/sts_txt.h src/sts_policy.c src/sts_policy.h \
	src/clock.c src/clock.h src/dns.c src/dns.h src/dnsmsg.c src/dnsmsg.h \
	src/https.c src/https.h src/tlsinfo.c src/tlsinfo.h

# mtastsd-ctl talks to the control socket only; it never opens the cache.
# The control commands link only the wire protocol (ctlproto), domain
# names (to check arguments) and the configuration (to find
# control_socket): no cache entry, verdict, record-import code (those are
# ctlview/ctlrecord, the daemon's).  The domain owner's check and suggest
# run in-process without a daemon and are what brings the policy parsers,
# the dns/https/SMTP adapters and libevent, c-ares, libcurl, OpenSSL and
# jansson (the --json report) into it.
mtastsd_ctl_SOURCES = src/mtastsd-ctl.c src/xalloc.c src/xalloc.h src/log.c src/log.h \
	src/domain.c src/domain.h src/config.c src/config.h src/endpoint.c src/endpoint.h \
	src/ctlproto.c src/ctlproto.h \
	$(OWNER_SOURCES)
mtastsd_ctl_CFLAGS = $(AM_CFLAGS) $(IDN2_CFLAGS) $(JANSSON_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(CARES_CFLAGS) $(CURL_CFLAGS) $(OPENSSL_CFLAGS)
mtastsd_ctl_LDADD = $(IDN2_LIBS) $(JANSSON_LIBS) $(LIBEVENT_LIBS) $(CARES_LIBS) $(CURL_LIBS) \
	$(OPENSSL_LIBS)

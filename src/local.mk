# src/: the daemon and the control tool.
sbin_PROGRAMS += mtastsd

mtastsd_SOURCES = $(PURE_SOURCES) \
	src/main.c
mtastsd_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(CARES_CFLAGS) $(CURL_CFLAGS) \
	$(OPENSSL_CFLAGS) $(LMDB_CFLAGS) $(IDN2_CFLAGS)
mtastsd_LDADD = $(LIBEVENT_LIBS) $(CARES_LIBS) $(CURL_LIBS) $(OPENSSL_LIBS) $(LMDB_LIBS) \
	$(IDN2_LIBS)

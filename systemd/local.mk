# systemd/: the unit files, sysusers.d and tmpfiles.d entries.
#
# The install directories come from configure (--with-systemdsystemunitdir,
# --with-sysusersdir, --with-tmpfilesdir); they default below $(prefix), so
# that "make distcheck" and --prefix installs stay inside the prefix.
# systemd reads units from /usr/local/lib/systemd/system and
# /usr/lib/systemd/system alike.  The Debian package passes the directories
# of Debian 12 (debian/rules): /lib/systemd/system, where dh_installsystemd
# looks for the units it enables, and /usr/lib/{sysusers,tmpfiles}.d.
# "make install systemdsystemunitdir=..." still overrides them.

systemdsystemunit_DATA = systemd/mtastsd.service systemd/mtastsd.socket
EXTRA_DIST += systemd/mtastsd.service.in systemd/mtastsd.socket \
	systemd/mtastsd.sysusers systemd/mtastsd.tmpfiles
CLEANFILES += systemd/mtastsd.service

# Paths are substituted at make time, so that "make sbindir=..." works.
systemd/mtastsd.service: $(srcdir)/systemd/mtastsd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' -e 's|@docdir[@]|$(docdir)|g' \
		$(srcdir)/systemd/mtastsd.service.in > $@.tmp && mv $@.tmp $@

# sysusers.d and tmpfiles.d want NAME.conf; the sources say what they are.
install-data-local: ops-install-systemd
uninstall-local: ops-uninstall-systemd

ops-install-systemd:
	$(MKDIR_P) '$(DESTDIR)$(sysusersdir)' '$(DESTDIR)$(tmpfilesdir)'
	$(INSTALL_DATA) $(srcdir)/systemd/mtastsd.sysusers '$(DESTDIR)$(sysusersdir)/mtastsd.conf'
	$(INSTALL_DATA) $(srcdir)/systemd/mtastsd.tmpfiles '$(DESTDIR)$(tmpfilesdir)/mtastsd.conf'

ops-uninstall-systemd:
	rm -f '$(DESTDIR)$(sysusersdir)/mtastsd.conf' '$(DESTDIR)$(tmpfilesdir)/mtastsd.conf'

.PHONY: ops-install-systemd ops-uninstall-systemd

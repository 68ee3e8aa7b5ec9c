# systemd/: the unit files, sysusers.d and tmpfiles.d entries.
#
# Install directories default below $(prefix), so that "make distcheck"
# and --prefix installs stay inside the prefix.  systemd reads units from
# /usr/local/lib/systemd/system and /usr/lib/systemd/system alike; a
# package build for Debian passes the directories of the system, e.g.
#     make install systemdsystemunitdir=$(pkg-config systemd --variable=systemdsystemunitdir)
# (and the same for sysusersdir and tmpfilesdir).
systemdsystemunitdir = $(prefix)/lib/systemd/system
sysusersdir = $(prefix)/lib/sysusers.d
tmpfilesdir = $(prefix)/lib/tmpfiles.d

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

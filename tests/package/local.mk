# tests/package/: the Debian package on a clean Debian 12 root.  Not part
# of "make check": it needs real root, the Debian mirror and a git checkout
# (the upgrade test builds an earlier commit), so "./quickstart test" (CI)
# runs it from the checkout after "make distcheck".  "make check-package"
# runs it from here.
EXTRA_DIST += tests/package/test_package.sh tests/package/daemon.sh \
	debian/changelog debian/control debian/copyright debian/rules \
	debian/source/format debian/README.Debian debian/mtastsd.docs \
	debian/mtastsd.postinst debian/mtastsd.postrm debian/mtastsd.conf.sed

check-package:
	$(BASH) $(top_srcdir)/tests/package/test_package.sh
.PHONY: check-package

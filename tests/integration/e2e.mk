# tests/integration/e2e.mk: a real Postfix (sending and receiving instances)
# enforces the daemon's verdicts.  Needs real root (see the script header).
TESTS += tests/integration/test_postfix_e2e.sh
EXTRA_DIST += tests/integration/test_postfix_e2e.sh
# Control socket access (file mode, SO_PEERCRED, groups) with real non-root
# peers.  Needs real root (see the script header).
TESTS += tests/integration/test_ctl_access.sh
EXTRA_DIST += tests/integration/test_ctl_access.sh
# The MX probe of mtastsd-ctl check against real Postfix smtpd MX hosts
# (and DANE through the DNSSEC world).  Needs real root (lib_postfix.sh).
TESTS += tests/integration/test_check_mx.sh
EXTRA_DIST += tests/integration/test_check_mx.sh tests/integration/lib_postfix.sh

# tests/integration/e2e.mk: a real Postfix (sending and receiving instances)
# enforces the daemon's verdicts.  Needs real root (see the script header).
TESTS += tests/integration/test_postfix_e2e.sh
EXTRA_DIST += tests/integration/test_postfix_e2e.sh
# Control socket access (file mode, SO_PEERCRED, groups) with real non-root
# peers.  Needs real root (see the script header).
TESTS += tests/integration/test_ctl_access.sh
EXTRA_DIST += tests/integration/test_ctl_access.sh
# Shared by the tests that run real Postfix instances.
EXTRA_DIST += tests/integration/lib_postfix.sh

# tests/integration/e2e.mk: a real Postfix (sending and receiving instances)
# enforces the daemon's verdicts.  Needs real root (see the script header).
TESTS += tests/integration/test_postfix_e2e.sh
EXTRA_DIST += tests/integration/test_postfix_e2e.sh

# tests/integration/ctl.mk: mtastsd-ctl against the real daemon (every
# command, dump/load into a second daemon, protocol errors, exit codes).
TESTS += tests/integration/test_ctl.sh
EXTRA_DIST += tests/integration/test_ctl.sh

# tests/integration/owner.mk: the domain owner's commands, mtastsd-ctl
# check (one domain per finding) and suggest (with the walk from testing
# to enforce), without a daemon, against real DNS and HTTPS servers.
TESTS += tests/integration/test_check.sh tests/integration/test_suggest.sh
EXTRA_DIST += tests/integration/test_check.sh tests/integration/test_suggest.sh \
	tests/integration/lib_check.sh

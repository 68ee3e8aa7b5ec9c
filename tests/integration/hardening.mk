# tests/integration/hardening.mk: never crash, never downgrade (issue 9):
# a damaged cache file, policies too large for one socketmap reply, short
# max_age refreshed before expiry, large TXT record sets, and a second
# daemon on the same state_dir -- against the built daemon in the
# namespace world.
HARDENING_TESTS = tests/integration/test_hardening.sh

TESTS += $(HARDENING_TESTS)
EXTRA_DIST += $(HARDENING_TESTS)

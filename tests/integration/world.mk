# tests/integration/world.mk
# The integration world (lib.sh: namespace, test CA, dnsmasq, nginx, daemon
# and query helpers), its helper programs, and the scenario scripts.
# test_world.sh checks the world alone; the others need the built daemon.
INTEGRATION_WORLD_TESTS = \
	tests/integration/test_world.sh \
	tests/integration/test_verdicts.sh \
	tests/integration/test_keys.sh \
	tests/integration/test_policy.sh \
	tests/integration/test_https.sh \
	tests/integration/test_cache.sh \
	tests/integration/test_dnsfail.sh \
	tests/integration/test_concurrency.sh \
	tests/integration/test_protocol.sh

TESTS += $(INTEGRATION_WORLD_TESTS)
EXTRA_DIST += $(INTEGRATION_WORLD_TESTS) \
	tests/integration/lib.sh \
	tests/integration/slow_dns.py \
	tests/integration/hostile_https.py \
	tests/integration/smap_client.py \
	tests/integration/fake_smap.py

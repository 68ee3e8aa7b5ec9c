# tests/integration/resil.mk: resilience of the built daemon (faults of DNS
# and policy hosts with no leaked jobs or fds, kill -9 during a refresh
# storm and a full cache map, connection load and garbage floods, and the
# overload limits: slow clients, fetch floods, clients that do not read).
# The long runs (10-minute soak, 5-minute fetch flood at the defaults,
# valgrind over the integration suite) live in tests/soak/ and are not part
# of "make check".
RESIL_TESTS = \
	tests/integration/test_faults.sh \
	tests/integration/test_durability.sh \
	tests/integration/test_load.sh \
	tests/integration/test_slowloris.sh \
	tests/integration/test_fetch_flood.sh \
	tests/integration/test_nonreaders.sh

TESTS += $(RESIL_TESTS)
EXTRA_DIST += $(RESIL_TESTS) \
	tests/integration/load_client.py \
	tests/soak/soak.sh \
	tests/soak/starve.sh \
	tests/soak/valgrind-integration.sh \
	tests/soak/valgrind.supp

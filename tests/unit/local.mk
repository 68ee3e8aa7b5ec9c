# tests/unit/: one Check binary per pure module, linking only that module.
# Each module's fragment adds itself to check_PROGRAMS and TESTS.
UNIT_TEST_CFLAGS = $(AM_CFLAGS) $(CHECK_CFLAGS)
UNIT_TEST_LIBS = $(CHECK_LIBS)

include tests/unit/netstring.mk
include tests/unit/reply.mk
include tests/unit/domain.mk
include tests/unit/sts.mk
include tests/unit/verdict.mk
include tests/unit/dueq.mk
include tests/unit/config.mk
include tests/unit/cache.mk
include tests/unit/dns_https.mk
include tests/unit/control.mk
include tests/unit/dnsmsg.mk
include tests/unit/owner.mk
include tests/unit/hist.mk
include tests/unit/metrics.mk
include tests/unit/httpreq.mk
include tests/unit/downgrade.mk

# tests/integration/: the built daemon against real DNS, HTTPS and Postfix
# clients in a private network namespace.  Scripts ending in .sh are run
# with bash; each enters its own "unshare -rn" namespace via lib.sh.
TEST_EXTENSIONS += .sh
SH_LOG_COMPILER = $(BASH)
AM_TESTS_ENVIRONMENT = top_builddir='$(abs_top_builddir)' top_srcdir='$(abs_top_srcdir)'; export top_builddir top_srcdir;

include tests/integration/world.mk
include tests/integration/dns_https.mk
include tests/integration/ops.mk
include tests/integration/ctl.mk
include tests/integration/resil.mk
include tests/integration/hardening.mk
include tests/integration/e2e.mk
include tests/integration/dns_sec.mk
include tests/integration/owner.mk
include tests/integration/metrics.mk

# tests/integration/dns_sec.mk: the DNSSEC test world (lib_dnssec.sh: nsd
# serving zones signed in the test, a validating unbound) and the dns
# adapter's DNSSEC-aware lookups against it, via the probe.
TESTS += tests/integration/test_dns_sec.sh
EXTRA_DIST += tests/integration/test_dns_sec.sh tests/integration/lib_dnssec.sh
# DANE precedence (issue 12) in the same world: every case of the issue.
TESTS += tests/integration/test_dane.sh
EXTRA_DIST += tests/integration/test_dane.sh

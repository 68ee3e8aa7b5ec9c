# tests/integration/dns_https.mk: the dns and https adapters against real
# servers (dnsmasq, slow_dns.py, nginx, hostile_https.py), via the probe.
TESTS += tests/integration/test_dns_https.sh
EXTRA_DIST += tests/integration/test_dns_https.sh
# An answer that needs TCP never holds up or breaks the lookups beside it
# (the daemon with dnsmasq and unbound; src/dns.c, "TCP fallback").
TESTS += tests/integration/test_dns_tcp.sh
EXTRA_DIST += tests/integration/test_dns_tcp.sh
# The MX probe's SMTP adapter against hostile_smtp.py, via the probe.
TESTS += tests/integration/test_mxprobe.sh
EXTRA_DIST += tests/integration/test_mxprobe.sh tests/integration/hostile_smtp.py

#!/bin/bash
# test_keys.sh - lookup keys of every form (DESIGN section 3, key
# normalisation): case, trailing dot, [host], [host]:port, host:port,
# surrounding blanks, parent-domain probes (no DNS traffic), IP literals,
# UTF-8 (A-label conversion) and invalid names.
. "$(dirname "$0")/lib.sh"

idn=$("$PYTHON" -c 'print("bücher.test".encode("idna").decode())')
world_domain keys.test --txt 'v=STSv1; id=1'
world_domain "$idn" --txt 'v=STSv1; id=1'
world_domain sub.keys.test --txt 'v=STSv1; id=1'
world_start
mtastsd_start "${MTASTSD_FAST[@]}"

want='secure match=mx.keys.test servername=hostname'
for key in keys.test KEYS.TEST Keys.Test keys.test. KEYS.TEST. '[keys.test]' '[keys.test]:25' \
    '[KEYS.test.]:587' keys.test:25 ' keys.test' 'keys.test '; do
    expect_reply "$key" "$want"
done
expect_eq "keys.test fetched once for all key forms" "$(world_fetch_count keys.test)" 1
expect_reply sub.keys.test 'secure match=mx.sub.keys.test servername=hostname'

note "parent-domain probes: NOTFOUND at once, no DNS traffic"
n0=$(world_dns_queries keys.test)
expect_notfound .keys.test
expect_notfound .sub.keys.test
expect_notfound .test
expect_eq "no DNS query for parent probes" "$(world_dns_queries keys.test)" "$n0"

note "IP literals: NOTFOUND, no DNS traffic"
all0=$(grep -c 'query\[' "$WORK/dns/dnsmasq.log")
for key in 192.0.2.1 '[192.0.2.1]' '[192.0.2.1]:25' 2001:db8::1 '[2001:db8::1]' \
    '[2001:db8::1]:25' '[ipv6:2001:db8::1]' ::1 '[::ffff:192.0.2.1]'; do
    expect_notfound "$key"
done
expect_eq "no DNS query for IP literals" "$(grep -c 'query\[' "$WORK/dns/dnsmasq.log")" "$all0"

note "UTF-8 domains become A-labels"
idnwant="secure match=mx.$idn servername=hostname"
expect_reply 'bücher.test' "$idnwant"
expect_reply 'BÜCHER.TEST' "$idnwant"
expect_reply "$idn" "$idnwant"
expect_reply '[bücher.test]:25' "$idnwant"

note "not hostnames: NOTFOUND"
long=$(printf 'a%.0s' $(seq 1 300)).test
for key in under_score.test 'a..b.test' -bad.test bad-.test localhost 'sp ace.test' \
    'keys.test..' '[keys.test' 'keys.test]' '[]' ':25' '*.keys.test' "$long" \
    "$(printf 'x%.0s' $(seq 1 64)).test"; do
    expect_notfound "$key"
done
expect_eq "smap: key that is not UTF-8" "$(smap_raw req:$'mtasts \xff\xfe.test' read)" 'REPLY NOTFOUND '
expect_eq "smap: key with a control byte" "$(smap_raw req:$'mtasts keys\x01.test' read)" 'REPLY NOTFOUND '
expect_true "daemon alive after hostile keys" mtastsd_alive

mtastsd_stop
finish

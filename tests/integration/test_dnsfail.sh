#!/bin/bash
# test_dnsfail.sh - DNS behaviour of the daemon (DESIGN sections 1, 3, 4):
# truncated UDP answers retried over TCP, SERVFAIL, REFUSED, dropped
# queries (dns_timeout), slow answers within the timeout, DNS down, a
# failing address lookup, with dns_error = notfound and = defer; a DNS
# outage never hides a cached policy.
. "$(dirname "$0")/lib.sh"

T='v=STSv1; id=1'
world_domain trunc.test --txt "$T" --dns truncate
world_domain servfail.test --txt "$T" --dns servfail
world_domain refused.test --txt "$T" --dns refused
world_domain drop.test --txt "$T" --dns drop
world_domain slow.test --txt "$T" --dns delay:0.5
world_domain flaky.test --txt "$T" --dns ok
world_domain good.test --txt "$T"
world_start
mtastsd_start "${MTASTSD_FAST[@]}"

note "truncated UDP answer: retried over TCP"
expect_reply trunc.test 'secure match=mx.trunc.test servername=hostname'
expect_true "the TXT query went over TCP" grep -q '^tcp _mta-sts.trunc.test' "$WORK/slowdns/trunc.test.log"
expect_true "the address queries went over TCP" grep -q '^tcp mta-sts.trunc.test A ' "$WORK/slowdns/trunc.test.log"

note "slow but within dns_timeout"
expect_reply slow.test 'secure match=mx.slow.test servername=hostname'

note "temporary failures, nothing cached, dns_error = notfound"
t0=$SECONDS
for d in servfail refused drop; do
    log_mark
    expect_notfound "$d.test"
    expect_log "$d\\.test.*dns-tempfail" 5
done
expect_true "answers within query_timeout" test $((SECONDS - t0)) -le 15
world_dns_stop
expect_notfound good.test
world_dns_start

note "a temporary failure is not cached: the next query succeeds"
expect_reply good.test 'secure match=mx.good.test servername=hostname'

note "a cached policy outlives a DNS outage"
expect_reply flaky.test 'secure match=mx.flaky.test servername=hostname'
world_set_dns_mode flaky.test servfail
mtastsd_restart "${MTASTSD_FAST[@]}" recheck_interval=0
expect_reply flaky.test 'secure match=mx.flaky.test servername=hostname'
world_set_dns_mode flaky.test drop
expect_reply flaky.test 'secure match=mx.flaky.test servername=hostname'

note "dns_error = defer"
mtastsd_restart "${MTASTSD_FAST[@]}" dns_error=defer
for d in servfail refused drop; do
    expect_temp "$d.test"
done
expect_reply flaky.test 'secure match=mx.flaky.test servername=hostname'
expect_notfound nothing.test
world_dns_stop
expect_temp other.test
world_dns_start

mtastsd_stop
finish

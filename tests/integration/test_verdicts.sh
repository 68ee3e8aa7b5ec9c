#!/bin/bash
# test_verdicts.sh - every row of the verdict table (DESIGN section 3) and
# the TXT rules of section 4, through the real Postfix client.
. "$(dirname "$0")/lib.sh"

pol() { # MODE MX... -> policy text
    local mode=$1 m
    shift
    printf 'version: STSv1\nmode: %s\n' "$mode"
    for m in "$@"; do printf 'mx: %s\n' "$m"; done
    printf 'max_age: 86400\n'
}

world_domain enforce.test --txt 'v=STSv1; id=1' \
    --policy "$(pol enforce mx1.enforce.test '*.mx.enforce.test')"
world_domain testing.test --txt 'v=STSv1; id=1' --policy "$(pol testing mx.testing.test)"
world_domain none.test --txt 'v=STSv1; id=1' --policy "$(printf 'version: STSv1\nmode: none\nmax_age: 86400\n')"
world_domain notxt.test
world_domain two.test --txt 'v=STSv1; id=1' --txt 'v=STSv1; id=2'
world_domain badtxt.test --txt 'v=STSv1; id=not valid!'
world_domain badver.test --txt 'v=STSv2; id=1'
world_domain noid.test --txt 'v=STSv1;'
world_domain spf.test --txt 'v=spf1 -all' --txt 'v=STSv1; id=spf1'
world_domain split.test --txt-raw '"v=STSv1;"," id=split1"'
world_domain cname.test --txt-cname _mta-sts.target.test
world_txt_at _mta-sts.target.test 'v=STSv1; id=cname1'
world_domain fetch404.test --txt 'v=STSv1; id=1' --status 404
world_domain badpolicy.test --txt 'v=STSv1; id=1' \
    --policy "$(printf 'version: STSv1\nmode: enforce\nmx: mx.badpolicy.test\n')"
world_domain servfail.test --txt 'v=STSv1; id=1' --dns servfail
world_domain dnsdrop.test --txt 'v=STSv1; id=1' --dns drop
world_domain cached.test --txt 'v=STSv1; id=1'
world_domain short.test --txt 'v=STSv1; id=1' \
    --policy "$(printf 'version: STSv1\nmode: enforce\nmx: mx.short.test\nmax_age: 3\n')"
world_domain slowdns.test --txt 'v=STSv1; id=1' --dns delay:2
world_start

mtastsd_start "${MTASTSD_FAST[@]}" recheck_interval=0

note "valid policies"
expect_reply enforce.test 'secure match=mx1.enforce.test:.mx.enforce.test servername=hostname'
expect_log 'enforce\.test.*ok'
expect_notfound testing.test
expect_notfound none.test
expect_log 'none\.test.*ok'

note "TXT record rules (no fetch unless exactly one valid v=STSv1 record)"
expect_notfound notxt.test
expect_log 'notxt\.test.*no-record'
for d in two badtxt badver noid; do
    expect_notfound "$d.test"
    expect_eq "$d.test: no policy fetch" "$(world_fetch_count "$d.test")" 0
done
expect_reply spf.test 'secure match=mx.spf.test servername=hostname'
expect_reply split.test 'secure match=mx.split.test servername=hostname'
expect_reply cname.test 'secure match=mx.cname.test servername=hostname'

note "TXT ok, but the fetch fails or the policy is invalid"
expect_notfound fetch404.test
expect_log 'fetch404\.test.*http-status'
expect_notfound badpolicy.test
expect_log 'badpolicy\.test.*policy-invalid'

note "DNS temporary failure, nothing cached: dns_error = notfound"
expect_notfound servfail.test
expect_log 'servfail\.test.*dns-tempfail'
expect_notfound dnsdrop.test

note "a failure while a valid cached policy exists: the cached verdict"
expect_reply cached.test 'secure match=mx.cached.test servername=hostname'
world_set_policy cached.test 'this is not a policy'
world_set_txt cached.test 'v=STSv1; id=2'
expect_reply cached.test 'secure match=mx.cached.test servername=hostname'
expect_log 'cached\.test.*policy-invalid' 5
expect_reply cached.test 'secure match=mx.cached.test servername=hostname'
world_dns_stop
expect_reply cached.test 'secure match=mx.cached.test servername=hostname'
expect_reply enforce.test 'secure match=mx1.enforce.test:.mx.enforce.test servername=hostname'
world_dns_start

note "an expired policy that cannot be refreshed is not served"
expect_reply short.test 'secure match=mx.short.test servername=hostname'
world_set_policy short.test 'broken'
sleep 4
expect_notfound short.test

note "DNS temporary failure with dns_error = defer: TEMP"
mtastsd_restart "${MTASTSD_FAST[@]}" dns_error=defer
expect_temp servfail.test
expect_temp dnsdrop.test
expect_notfound notxt.test
expect_reply cached.test 'secure match=mx.cached.test servername=hostname'

note "strict_testing = yes: mode testing is enforced"
mtastsd_restart "${MTASTSD_FAST[@]}" strict_testing=yes
expect_reply testing.test 'secure match=mx.testing.test servername=hostname'
expect_notfound none.test

note "the fetch outlives the query's wait budget; later queries see it"
mtastsd_restart query_timeout=1s dns_timeout=5s https_timeout=5s
log_mark
expect_notfound slowdns.test
expect_log 'fetch slowdns\.test: ok id=' 10
expect_reply slowdns.test 'secure match=mx.slowdns.test servername=hostname'
expect_eq "slowdns.test fetched once" "$(world_fetch_count slowdns.test)" 1

mtastsd_stop
finish

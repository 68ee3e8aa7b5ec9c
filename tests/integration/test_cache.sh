#!/bin/bash
# test_cache.sh - cache rules (DESIGN section 4, Cache): a changed TXT id
# is picked up after recheck_interval, the old policy staying until the new
# one is valid; an unchanged id does not refetch; a failed id is not
# fetched again for 5 minutes while a new id is fetched at once; negative
# answers are cached (one TXT query per negative_ttl); policies survive a
# restart of the daemon with DNS down.
#
# recheck_interval accepts 0 (src/config.c: 0..1d): every query of a
# cached domain then starts a background TXT check.
. "$(dirname "$0")/lib.sh"

pol() { printf 'version: STSv1\nmode: %s\nmx: %s\nmax_age: 86400\n' "$1" "$2"; }
world_domain idc.test --txt 'v=STSv1; id=1' --policy "$(pol enforce mx1.idc.test)"
world_domain same.test --txt 'v=STSv1; id=1'
world_domain neg.test
world_domain survive.test --txt 'v=STSv1; id=1'
world_start

mtastsd_start "${MTASTSD_FAST[@]}" recheck_interval=0 negative_ttl=30m

note "id change: the new policy replaces the old one"
expect_reply idc.test 'secure match=mx1.idc.test servername=hostname'
world_set_policy idc.test "$(pol enforce mx2.idc.test)"
expect_reply idc.test 'secure match=mx1.idc.test servername=hostname'
sleep 1
expect_eq "unchanged id: no new fetch" "$(world_fetch_count idc.test)" 1
expect_reply idc.test 'secure match=mx1.idc.test servername=hostname'
world_set_txt idc.test 'v=STSv1; id=2'
log_mark
expect_reply idc.test 'secure match=mx1.idc.test servername=hostname'
expect_log '(fetch|refresh) idc\.test: ok id=2 mode=enforce' 5
expect_reply idc.test 'secure match=mx2.idc.test servername=hostname'
expect_eq "id change: one more fetch" "$(world_fetch_count idc.test)" 2

note "a failed id: old policy stays, no refetch of that id, a new id at once"
world_set_policy idc.test 'not a policy'
world_set_txt idc.test 'v=STSv1; id=3'
log_mark
expect_reply idc.test 'secure match=mx2.idc.test servername=hostname'
expect_log 'idc\.test.*policy-invalid' 5
n=$(world_fetch_count idc.test)
expect_eq "id 3 fetched once" "$n" 3
for i in 1 2 3; do
    expect_reply idc.test 'secure match=mx2.idc.test servername=hostname'
done
sleep 1
expect_eq "id 3 not fetched again within 5 minutes" "$(world_fetch_count idc.test)" "$n"
world_set_policy idc.test "$(pol testing mx3.idc.test)"
world_set_txt idc.test 'v=STSv1; id=4'
log_mark
expect_reply idc.test 'secure match=mx2.idc.test servername=hostname'
expect_log '(fetch|refresh) idc\.test: ok id=4 mode=testing' 5
expect_notfound idc.test
expect_eq "id 4 fetched at once" "$(world_fetch_count idc.test)" "$((n + 1))"

note "an unchanged id only renews the check"
expect_reply same.test 'secure match=mx.same.test servername=hostname'
for i in 1 2 3 4; do
    expect_reply same.test 'secure match=mx.same.test servername=hostname'
done
sleep 1
expect_eq "same.test fetched once" "$(world_fetch_count same.test)" 1

note "negative answers are cached"
n0=$(world_dns_queries _mta-sts.neg.test)
expect_notfound neg.test
for i in 1 2 3; do
    expect_notfound neg.test
done
expect_eq "one TXT query for four lookups" "$(world_dns_queries _mta-sts.neg.test)" "$((n0 + 1))"

note "a cached policy survives a restart with DNS down"
expect_reply survive.test 'secure match=mx.survive.test servername=hostname'
mtastsd_stop
world_dns_stop
world_https_stop
mtastsd_start "${MTASTSD_FAST[@]}" recheck_interval=0
expect_reply survive.test 'secure match=mx.survive.test servername=hostname'
expect_reply same.test 'secure match=mx.same.test servername=hostname'
expect_notfound idc.test
expect_notfound neg.test
world_dns_start
world_https_start

mtastsd_stop
finish

#!/bin/bash
# test_downgrade.sh - policy downgrades (issue 13, src/downgrade.h): each
# kind in the namespace world, logged as a warning that names the domain
# and what changed, and counted in mtastsd_policy_downgrades_total{kind}.
#
#   mode         mode.test publishes a new id whose policy is mode testing;
#                a query after recheck_interval starts the revalidation
#                that fetches it (an id change);
#   mx           mx.test drops one of its two mx patterns (a refresh), and
#                wide.test replaces its host by "*.wide.test" (widened);
#   record_gone  gone.test removes its _mta-sts record while its enforce
#                policy is in force: reported once, not at every recheck;
#   none         same.test changes its id with the same policy, up.test
#                goes from testing to enforce, and mx.test adds a host its
#                patterns already cover: no warning, no count.
. "$(dirname "$0")/lib.sh"

lib_need curl
CTL=${MTASTSD_CTL:-$top_builddir/mtastsd-ctl}
[ -x "$CTL" ] || die "mtastsd-ctl binary $CTL not found (build it first)"
MPORT=9461
MURL=http://127.0.0.1:$MPORT/metrics

pol() { # MODE MX... -> a policy text
    local mode=$1 m
    shift
    printf 'version: STSv1\nmode: %s\n' "$mode"
    for m in "$@"; do
        printf 'mx: %s\n' "$m"
    done
    printf 'max_age: 86400\n'
}

world_domain mode.test --txt 'v=STSv1; id=1'
world_domain mx.test --txt 'v=STSv1; id=1' --policy "$(pol enforce mx1.mx.test mx2.mx.test)"
world_domain wide.test --txt 'v=STSv1; id=1' --policy "$(pol enforce mx1.wide.test)"
world_domain gone.test --txt 'v=STSv1; id=1'
world_domain same.test --txt 'v=STSv1; id=1'
world_domain up.test --txt 'v=STSv1; id=1' --policy "$(pol testing mx.up.test)"
world_start
mtastsd_start "${MTASTSD_FAST[@]}" metrics_listen=inet:127.0.0.1:$MPORT recheck_interval=1s

ctl() { "$CTL" -s "$CTL_SOCK" "$@"; }
downgrades() { # KIND: the counter's value in a fresh scrape
    sleep 0.15
    curl -s "$MURL" | awk -v k="mtastsd_policy_downgrades_total{kind=\"$1\"}" '$1 == k { print $2 }'
}
counts() { echo "mode=$(downgrades mode) mx=$(downgrades mx) record_gone=$(downgrades record_gone)"; }

for d in mode mx wide gone same; do
    expect_reply_re "$d.test" "^secure match="
done
expect_notfound up.test
expect_eq "no downgrade counted yet" "$(counts)" "mode=0 mx=0 record_gone=0"

# ---------------------------------------------------------------- mode
note "mode: enforce -> testing under a new id"
log_mark
world_set_policy mode.test "$(pol testing mx.mode.test)"
world_set_txt mode.test 'v=STSv1; id=2'
sleep 1.2
expect_reply_re mode.test "^secure match=" # the cached policy answers; the recheck starts
expect_log 'downgrade mode.test \(mode\): mode enforce -> testing \(fetch, id 1 -> 2\); the new policy replaces the enforced one' 5
expect_notfound mode.test
expect_eq "counted as mode" "$(counts)" "mode=1 mx=0 record_gone=0"

# ---------------------------------------------------------------- mx
note "mx: a pattern removed (refresh), a host widened to a wildcard (new id)"
log_mark
world_set_policy mx.test "$(pol enforce mx1.mx.test)"
expect_true "refresh mx.test" ctl refresh mx.test
expect_log 'downgrade mx.test \(mx\): mx patterns removed: mx2.mx.test \(refresh, id 1 -> 1\)'
expect_reply mx.test "secure match=mx1.mx.test servername=hostname"
expect_eq "counted as mx" "$(counts)" "mode=1 mx=1 record_gone=0"
world_set_policy wide.test "$(pol enforce '*.wide.test')"
expect_true "refresh wide.test" ctl refresh wide.test
expect_log 'downgrade wide.test \(mx\): mx patterns removed: mx1.wide.test; mx patterns widened: \*.wide.test \(refresh'
expect_eq "counted as mx" "$(counts)" "mode=1 mx=2 record_gone=0"

# ---------------------------------------------------------------- record_gone
note "record_gone: the _mta-sts record removed while enforce is in force"
log_mark
world_set_txt gone.test
sleep 1.2
expect_reply_re gone.test "^secure match=" # in force: RFC 8461 section 5.1
expect_log 'downgrade gone.test \(record_gone\): no _mta-sts TXT record while the enforce policy id=1 is in force \(fetch\)' 5
expect_eq "counted as record_gone" "$(counts)" "mode=1 mx=2 record_gone=1"
sleep 1.2
expect_reply_re gone.test "^secure match=" # a second recheck finds it gone again
wait_for 3 sh -c "[ \$(grep -c 'fetch gone.test: no-record' '$(mtastsd_log)') -ge 2 ]"
expect_eq "reported once per cached policy, not at every recheck" \
    "$(lib_log_since_mark | grep -c 'downgrade gone.test')" 1
expect_eq "and counted once" "$(counts)" "mode=1 mx=2 record_gone=1"

# ---------------------------------------------------------------- none
note "no downgrade: same policy under a new id, testing -> enforce, a covered host added"
log_mark
world_set_txt same.test 'v=STSv1; id=2'
world_set_policy up.test "$(pol enforce mx.up.test)"
world_set_txt up.test 'v=STSv1; id=2'
world_set_policy wide.test "$(pol enforce '*.wide.test' mx9.wide.test)"
expect_true "refresh wide.test" ctl refresh wide.test
sleep 1.2
expect_reply_re same.test "^secure match="
expect_notfound up.test # the recheck fetches the enforce policy meanwhile
expect_log 'fetch same.test: ok id=2' 5
expect_log 'fetch up.test: ok id=2 mode=enforce' 5
expect_reply up.test "secure match=mx.up.test servername=hostname"
expect_no_log ': downgrade '
expect_eq "nothing more counted" "$(counts)" "mode=1 mx=2 record_gone=1"

mtastsd_stop
finish

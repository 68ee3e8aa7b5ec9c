#!/bin/bash
# test_refresh.sh - proactive refresh end to end (DESIGN section 4,
# Refresh; src/refresh.c): a cached policy is refreshed when its refresh
# is due, with no socketmap query for it.
#
# refresh_interval is at least 1h (src/config.c), so the only refresh that
# falls inside a test is that of a small max_age: verdict_refresh_at()
# gives min(refresh_interval, max_age/2) minus up to 10% jitter, never
# sooner than 5 s after the fetch, so max_age 120 -> fetch + 54..60 s.
# Such a refresh is started by refresh.c's timer queue at its time (the
# sweep could come back to it too late).  (test_hardening.sh has the
# short max_age of 10 s.)
# One daemon, one wait of about 60 s, four domains:
#   a.test  max_age 120; before the refresh its TXT id and policy change:
#           the refresh picks up the new id and mx.
#   b.test  max_age 120, id unchanged: a proactive refresh fetches the
#           policy whatever the TXT record says (DESIGN section 4: "refresh
#           every cached policy before it expires ... whatever the TXT record
#           says"; verdict.h, VN_FETCH: "or this is a proactive refresh, which
#           fetches whatever the TXT record says"), so it is fetched again
#           (class "ok", not "unchanged") and its expiry moves on by the
#           time since the first fetch.
#   c.test  max_age 120; before the refresh its policy URL answers 404:
#           the refresh fails, the failure is recorded, the cached policy is
#           still served until its expiry, and the failed id is not fetched
#           again within the 5-minute back-off.
#   d.test  max_age 86400: nothing happens to it in the window.
# Proactive refreshes are told from query-triggered fetches by the log
# ("refresh D:" vs "fetch D:"), by the stats counters (refresh_started,
# queries) and by nginx's access log; no socketmap query is made for any
# of the domains between the first fetches and the checks of the refresh.
# A failed refresh must not be started again at every tick of the sweep
# while its id is in the 5-minute back-off (see the note below).
. "$(dirname "$0")/lib.sh"

CTL=${MTASTSD_CTL:-$top_builddir/mtastsd-ctl}
[ -x "$CTL" ] || die "mtastsd-ctl binary $CTL not found (build it first)"

pol() { printf 'version: STSv1\nmode: enforce\nmx: %s\nmax_age: %s\n' "$1" "$2"; }
world_domain a.test --txt 'v=STSv1; id=1' --policy "$(pol mx1.a.test 120)"
world_domain b.test --txt 'v=STSv1; id=1' --policy "$(pol mx.b.test 120)"
world_domain c.test --txt 'v=STSv1; id=1' --policy "$(pol mx.c.test 120)"
world_domain d.test --txt 'v=STSv1; id=1' --policy "$(pol mx.d.test 86400)"
world_start

mtastsd_start "${MTASTSD_FAST[@]}"

# counter NAME: one counter of "mtastsd-ctl stats"
counter() { "$CTL" -s "$CTL_SOCK" stats 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'; }
# show_json DOMAIN: "mtastsd-ctl --json show" (control.c, cmd_show: a
# cache_get and nothing else, so it never starts a fetch)
show_json() { "$CTL" -s "$CTL_SOCK" --json show "$1" 2>&1; }
# jget JSON EXPR: a python expression on the parsed object `o`
jget() { "$PYTHON" -c 'import json,sys; o=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2" 2>&1; }
# nlog REGEX: log lines since the mark that match
nlog() { lib_log_since_mark | grep -cE -- "$1"; }
# outcome KIND DOMAIN: the regex of a job's one outcome line (fetch.c,
# fetch_log_outcome: "KIND DOMAIN: CLASS ..."; KIND refresh or fetch)
outcome() { echo ": (info|warning|error): $1 $(lib_re_quote "$2"): "; }

note "first fetches, by one query each"
expect_reply a.test 'secure match=mx1.a.test servername=hostname'
for d in b c d; do
    expect_reply $d.test "secure match=mx.$d.test servername=hostname"
done
declare -A J0
for d in a b c d; do
    J0[$d]=$(show_json $d.test)
    expect_eq "$d.test fetched once" "$(world_fetch_count $d.test)" 1
done
for d in a b c; do
    expect_eq "$d.test: refresh_at within fetched_at + [54, 60] (max_age 120)" \
        "$(jget "${J0[$d]}" '54 <= o["refresh_at"] - o["fetched_at"] <= 60')" True
done
expect_true "d.test: refresh_at within [-10%, 0] of fetched_at + 43200 (max_age 86400)" \
    "$PYTHON" -c 'import json,sys; o=json.loads(sys.argv[1]); r=o["refresh_at"]-o["fetched_at"]; sys.exit(not 43200-4320 <= r <= 43200)' "${J0[d]}"
due=0         # the latest refresh_at of a, b and c
first=$((1 << 62)) # the earliest (they differ by the jitter)
for d in a b c; do
    t=$(jget "${J0[$d]}" 'o["refresh_at"]')
    [ "$t" -gt "$due" ] && due=$t
    [ "$t" -lt "$first" ] && first=$t
done
# a wrong refresh_at (failed above) must not make the test wait for hours
if [ "$due" -gt "$(($(date +%s) + 65))" ]; then
    due=$(($(date +%s) + 62))
fi
[ "$first" -le "$due" ] || first=$due

note "before the refresh: a.test gets id 2 and a new mx, c.test's policy URL answers 404"
world_set_policy a.test "$(pol mx2.a.test 120)"
world_set_txt a.test 'v=STSv1; id=2'
world_set_status c.test 404
expect_false "c.test's policy URL now fails (curl -f)" https_get c.test -f
declare -A N0 # policy GETs so far (c.test: one more, by curl above)
for d in a b c d; do
    N0[$d]=$(world_fetch_count $d.test)
done
log_mark
started0=$(counter refresh_started)
ok0=$(counter refresh_ok)
failed0=$(counter refresh_failed)
queries0=$(counter queries)
dnsc0=$(world_dns_queries _mta-sts.c.test)
dnsd0=$(world_dns_queries _mta-sts.d.test)

note "waiting without queries until the first refresh is due ($((first - $(date +%s))) s)"
while [ "$(date +%s)" -lt "$((first - 3))" ]; do
    sleep 1
done
expect_eq "no refresh started before it is due" "$(counter refresh_started)" "$started0"
expect_eq "no fetch of a.test before its refresh is due" "$(world_fetch_count a.test)" "${N0[a]}"
# (each refresh has its own jittered time: wait for each up to the latest)
left() { echo $((due + 8 - $(date +%s) > 3 ? due + 8 - $(date +%s) : 3)); }
expect_log "$(outcome refresh a.test)ok id=2 mode=enforce max_age=120 mx=1 " "$(left)"
expect_log "$(outcome refresh b.test)ok id=1 mode=enforce max_age=120 mx=1 " "$(left)"
# a failed refresh with a valid policy: a warning that says it stays
expect_log ": warning: refresh c\.test: http-status: HTTP 404.* id=1; cached policy id=1 mode=enforce stays until $(jget "${J0[c]}" 'o["expires_at"]') " "$(left)"
sleep 4 # a few more ticks of the sweep (REFRESH_TICK_MS is 1 s)

note "counters and logs: the fetches were refreshes, not queries"
expect_eq "no socketmap query during the wait" "$(counter queries)" "$queries0"
expect_true "refresh_started grew by at least 3 (a, b, c)" test "$(($(counter refresh_started) - started0))" -ge 3
expect_eq "refresh_ok: a and b" "$(($(counter refresh_ok) - ok0))" 2
expect_eq "refresh_failed: c" "$(($(counter refresh_failed) - failed0))" 1
for d in a b c; do
    expect_eq "$d.test: no query-triggered fetch logged" "$(nlog "$(outcome fetch $d.test)")" 0
    expect_eq "$d.test: fetched once by the refresh (nginx)" "$(world_fetch_count $d.test)" "$((N0[$d] + 1))"
done
for d in a b; do
    expect_eq "$d.test: one refresh job started" "$(nlog ": debug: refresh $(lib_re_quote $d.test): due ")" 1
    expect_eq "$d.test: one refresh outcome logged" "$(nlog "$(outcome refresh $d.test)")" 1
done

# A failed refresh leaves the policy in force, and the failed id may not be
# fetched for 5 minutes (DESIGN section 4).  Refresh jobs are started for
# entries that are due (refresh.h), so a failed refresh must not leave the
# entry due at every tick: that would mean a TXT query and a "backoff"
# warning per second per failing domain until the back-off ends.
note "the failed refresh of c.test is not started again at every tick"
expect_eq "refresh_started: exactly 3 (a, b, c)" "$(($(counter refresh_started) - started0))" 3
expect_eq "c.test: one refresh job started" "$(nlog ": debug: refresh c\.test: due ")" 1
expect_eq "c.test: no 'backoff' refresh outcome" "$(nlog "$(outcome refresh c.test)backoff")" 0
expect_eq "c.test: one TXT query (the refresh's)" "$(world_dns_queries _mta-sts.c.test)" "$((dnsc0 + 1))"

note "d.test (max_age 86400) is left alone"
expect_eq "d.test: still fetched once" "$(world_fetch_count d.test)" "${N0[d]}"
expect_eq "d.test: nothing logged" "$(nlog 'd\.test')" 0
expect_eq "d.test: no TXT query" "$(world_dns_queries _mta-sts.d.test)" "$dnsd0"

note "show (cache only) reflects each refresh"
n_all=$(($(world_fetch_count a.test) + $(world_fetch_count b.test) + $(world_fetch_count c.test)))
ja=$(show_json a.test)
expect_eq "show a.test: new id" "$(jget "$ja" 'o["id"]')" 2
expect_eq "show a.test: new mx" "$(jget "$ja" 'o["policy"]["mx"]')" "['mx2.a.test']"
expect_eq "show a.test: no failure" "$(jget "$ja" 'o["failure"]')" None
expect_eq "show a.test: fetched at the refresh" \
    "$(jget "$ja" 'o["fetched_at"] >= '"$(jget "${J0[a]}" 'o["refresh_at"]')")" True
expect_eq "show a.test: expiry = refresh + 120" "$(jget "$ja" 'o["expires_at"] - o["fetched_at"]')" 120
jb=$(show_json b.test)
expect_eq "show b.test: same id" "$(jget "$jb" 'o["id"]')" 1
expect_eq "show b.test: same mx" "$(jget "$jb" 'o["policy"]["mx"]')" "['mx.b.test']"
expect_eq "show b.test: expiry extended by the refresh" \
    "$(jget "$jb" 'o["expires_at"] - '"$(jget "${J0[b]}" 'o["expires_at"]')"' >= 54')" True
expect_eq "show b.test: next refresh 54-60 s after the refresh" \
    "$(jget "$jb" '54 <= o["refresh_at"] - o["fetched_at"] <= 60')" True
jc=$(show_json c.test)
expect_eq "show c.test: failure recorded" \
    "$(jget "$jc" '(o["failure"]["id"], o["failure"]["class"], o["failure"]["count"])')" "('1', 'http-status', 1)"
expect_eq "show c.test: still valid" "$(jget "$jc" 'o["state"]')" "$(jget "${J0[c]}" 'o["state"]')"
expect_eq "show c.test: policy and expiry unchanged" \
    "$(jget "$jc" '(o["id"], o["policy"]["mx"], o["expires_at"])')" \
    "$(jget "${J0[c]}" '(o["id"], o["policy"]["mx"], o["expires_at"])')"
expect_eq "show fetched nothing" \
    "$(($(world_fetch_count a.test) + $(world_fetch_count b.test) + $(world_fetch_count c.test)))" "$n_all"

note "queries after the refresh"
expect_reply a.test 'secure match=mx2.a.test servername=hostname'
expect_reply b.test 'secure match=mx.b.test servername=hostname'
expect_true "c.test's cached policy is still in force (until fetch + 120 s)" \
    test "$(date +%s)" -lt "$(jget "${J0[c]}" 'o["expires_at"]')"
expect_reply c.test 'secure match=mx.c.test servername=hostname'
expect_reply d.test 'secure match=mx.d.test servername=hostname'
expect_eq "c.test: the failed id was not fetched again" "$(world_fetch_count c.test)" "$((N0[c] + 1))"

mtastsd_stop
finish

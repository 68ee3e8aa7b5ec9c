#!/bin/bash
# tests/soak/starve.sh - a long flood of names whose DNS never answers, at
# the default limits; fails if the fetch queue keeps growing or a healthy
# domain stops being resolved.  Not part of "make check".
#
#   top_builddir=BUILD [STARVE_SECONDS=300] [STARVE_CLIENTS=300] \
#   bash tests/soak/starve.sh
#
# The daemon runs with its defaults for max_fetches (256), max_queued_fetches
# (1024), query_timeout (10s) and dns_timeout (5s).  STARVE_CLIENTS
# connections (load_client.py names) ask for distinct names under
# flood.test, whose DNS drops every query: each waits query_timeout, so
# 300 clients ask about 30 new black-holed names a second (at about 17 a
# second the queue once grew without end, taking 14 minutes to drain).
# Every 20 s a domain that was never asked before is asked (postmap) and
# must resolve within 3 s; every 5 s the status is sampled.  The run
# fails if fetches_queued ever exceeds max_queued_fetches, if its largest
# value in the last third of the run exceeds that of the first third by
# more than 10% (it keeps growing), if fetches_running exceeds max_fetches,
# if a healthy domain took longer than 3 s, or if the daemon died or did
# not exit cleanly.  After the flood the daemon must be quiet (no fetch
# running or queued, no pending query) within query_timeout + job deadline.
# The samples are printed ("starve: t=.. running=.. queued=.. ...").
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib.sh"

CTL=${MTASTSD_CTL:-$top_builddir/mtastsd-ctl}
[ -x "$CTL" ] || die "mtastsd-ctl binary $CTL not found (build it first)"
LC=$LIB_DIR/load_client.py
SECS=${STARVE_SECONDS:-300}
CLIENTS=${STARVE_CLIENTS:-300}
NHEALTHY=$((SECS / 20 + 2))

world_zone_dns flood.test drop
for ((i = 1; i <= NHEALTHY; i++)); do
    world_domain "h$i.test" --txt 'v=STSv1; id=1'
done
world_start
mtastsd_start log_level=info
status_get() { awk -v k="$1" '$1 == k { print $2 }' <<<"$ST"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

"$PYTHON" "$LC" --socket "$SOCK" names --clients "$CLIENTS" --seconds "$SECS" \
    --pattern "x%d.flood.test" --timeout 60 >"$WORK/flood.out" 2>&1 &
FLOOD=$!
lib_track "$FLOOD"

t0=$SECONDS
next_h=10 h=0 slow=0 maxr=0 first_q=0 last_q=0 maxq=0 worst=0
while [ $((SECONDS - t0)) -lt "$SECS" ]; do
    sleep 5
    mtastsd_alive || break
    t=$((SECONDS - t0))
    ST=$("$CTL" -s "$CTL_SOCK" status 2>/dev/null)
    r=$(status_get fetches_running)
    qd=$(status_get fetches_queued)
    p=$(status_get pending_queries)
    rss=$(awk '/^RssAnon:/ { print $2 }' "/proc/$MTASTSD_PID/status")
    echo "starve: t=${t}s running=${r:-?} queued=${qd:-?} pending=${p:-?} rss_anon_kb=$rss"
    [ -n "$r" ] && [ "$r" -gt "$maxr" ] && maxr=$r
    [ -n "$qd" ] && [ "$qd" -gt "$maxq" ] && maxq=$qd
    if [ -n "$qd" ] && [ "$t" -le $((SECS / 3)) ] && [ "$t" -ge 20 ] && [ "$qd" -gt "$first_q" ]; then
        first_q=$qd
    fi
    if [ -n "$qd" ] && [ "$t" -ge $((2 * SECS / 3)) ] && [ "$qd" -gt "$last_q" ]; then
        last_q=$qd
    fi
    if [ "$t" -ge "$next_h" ] && [ "$h" -lt "$NHEALTHY" ]; then
        h=$((h + 1))
        next_h=$((next_h + 20))
        s=$(now_ms)
        out=$(q "h$h.test")
        took=$(($(now_ms) - s))
        echo "starve: t=${t}s h$h.test answered in $took ms: ${out:-NOTFOUND}"
        [ "$took" -gt "$worst" ] && worst=$took
        [ "$out" = "secure match=mx.h$h.test servername=hostname" ] && [ "$took" -le 3000 ] ||
            slow=$((slow + 1))
    fi
done
wait "$FLOOD"
lib_untrack "$FLOOD"
note "flood client: $(cat "$WORK/flood.out")"
expect_true "daemon alive after ${SECS}s of flood" mtastsd_alive
expect_true "$h healthy domains asked during the flood" test "$h" -ge 3
expect_eq "every healthy domain resolved at once (slowest $worst ms)" "$slow" 0
expect_true "never more than max_fetches (256) running ($maxr)" test "$maxr" -le 256
expect_true "never more than max_queued_fetches (1024) queued ($maxq)" test "$maxq" -le 1024
expect_true "the queue does not keep growing (largest $first_q in the first third, $last_q in the last)" \
    test "$last_q" -le $((first_q + first_q / 10 + 10))
quiet() {
    ST=$("$CTL" -s "$CTL_SOCK" status 2>/dev/null)
    [ "$(status_get fetches_running)" = 0 ] && [ "$(status_get fetches_queued)" = 0 ] &&
        [ "$(status_get pending_queries)" = 0 ]
}
expect_true "quiet within 75 s of the flood's end" wait_for 75 quiet
note "stats: $("$CTL" -s "$CTL_SOCK" stats 2>/dev/null | grep -E '^(fetches_|query_timeouts|fetch_dns)' | tr -s ' \n' ' ')"
mtastsd_stop
finish

#!/bin/bash
# test_fetch_flood.sh - the fetch queue under a flood of names whose DNS
# never answers (issue "never starve", item 2; src/fetch.c, "Slots and
# zones" and "The queue").
#
# The world: a zone flood.test whose DNS drops every query (dnsmasq
# forwards it to slow_dns.py in drop mode), healthy policy domains, and a
# daemon with max_fetches=4 query_timeout=2s dns_timeout=1s.  A client
# (load_client.py names) keeps 300 connections busy asking for distinct
# names x<n>.flood.test, one request outstanding on each.
#   1. During the flood a healthy domain that was never asked before is
#      answered from a fresh fetch within a few seconds (it once stayed
#      NOTFOUND for over 20 s: every slot and the whole queue belonged to
#      the flood).  The flood never holds more than 3 of the 4 slots.
#   2. A policy whose proactive refresh is due during the flood is
#      refreshed (the refresh budget once counted the flood's jobs and
#      stayed at zero).
#   3. Queued jobs whose queries all gave up are dropped
#      (fetches_abandoned), so the queue stays near the number of waiting
#      queries, and right after the flood a new domain resolves at once and
#      the daemon is quiet again within a few seconds.
#   4. With max_queued_fetches=20 the queue never holds more than 20 jobs,
#      shed jobs are counted (fetches_shed) and logged at most once per 10 s,
#      and a healthy domain still resolves during the flood.
#   5. Background jobs do not starve queries: 12 cached policies under
#      flood.test whose TXT re-check is due are asked for; each answer comes
#      from the cache at once and starts a background re-check that hangs
#      on the black hole, but at most a quarter of the slots (1) run them,
#      and a healthy domain still resolves at once.
# The seconds until the healthy domain resolves are printed ("# healthy
# domain during the flood: good1.test secure after N s").
. "$(dirname "$0")/lib.sh"

CTL=${MTASTSD_CTL:-$top_builddir/mtastsd-ctl}
[ -x "$CTL" ] || die "mtastsd-ctl binary $CTL not found (build it first)"
LC=$LIB_DIR/load_client.py

world_zone_dns flood.test drop
for d in good1.test good2.test good3.test good4.test good5.test r1.test; do
    world_domain "$d" --txt 'v=STSv1; id=1'
done
world_start

secure() { echo "secure match=mx.$1 servername=hostname"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
counter() { "$CTL" -s "$CTL_SOCK" stats 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'; }
status_get() { "$CTL" -s "$CTL_SOCK" status 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'; }
quiet() {
    [ "$(status_get fetches_running)" = 0 ] && [ "$(status_get fetches_queued)" = 0 ] &&
        [ "$(status_get pending_queries)" = 0 ]
}

flood_start() { # SECONDS
    "$PYTHON" "$LC" --socket "$SOCK" names --clients 300 --seconds "$1" \
        --pattern "x%d-$RANDOM.flood.test" --timeout 30 >"$WORK/flood.out" 2>&1 &
    FLOOD_PID=$!
    lib_track "$FLOOD_PID"
}

flood_wait() {
    wait "$FLOOD_PID"
    lib_untrack "$FLOOD_PID"
    note "flood client: $(cat "$WORK/flood.out")"
}

# sample_status SECONDS: every 0.2 s, the largest fetches_running and
# fetches_queued seen -> MAX_RUNNING MAX_QUEUED
sample_status() {
    local end=$(($(now_ms) + $1 * 1000)) r q
    MAX_RUNNING=0 MAX_QUEUED=0
    while [ "$(now_ms)" -lt "$end" ]; do
        r=$(status_get fetches_running)
        q=$(status_get fetches_queued)
        [ -n "$r" ] && [ "$r" -gt "$MAX_RUNNING" ] && MAX_RUNNING=$r
        [ -n "$q" ] && [ "$q" -gt "$MAX_QUEUED" ] && MAX_QUEUED=$q
        sleep 0.2
    done
}

secs() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# expect_resolves DESC DOMAIN MAX_S: ask DOMAIN (postmap, each answered
# within query_timeout) until the secure answer comes, for up to 20 s; the
# check passes if it came within MAX_S seconds of the first question.
expect_resolves() {
    local desc=$1 d=$2 max=$3 t0 out took ok=1
    t0=$(now_ms)
    while :; do
        out=$(q "$d")
        took=$(($(now_ms) - t0))
        if [ "$out" = "$(secure "$d")" ]; then
            ok=0
            break
        fi
        [ "$took" -ge 20000 ] && break
        sleep 0.2
    done
    if [ "$ok" = 0 ] && [ "$took" -le $((max * 1000)) ]; then
        lib_result 0 "$desc: $d resolves within $max s"
    elif [ "$ok" = 0 ]; then
        lib_result 1 "$desc: $d resolves within $max s" "took $(secs "$took") s"
    else
        lib_result 1 "$desc: $d resolves within $max s" "still not secure after $(secs "$took") s"
    fi
    note "$desc: $d secure after $(secs "$took") s$([ "$ok" = 0 ] || echo ' (gave up)')"
}

# ---------------------------------------------------------------- 1-3
mtastsd_start max_fetches=4 query_timeout=2s dns_timeout=1s https_connect_timeout=2s \
    https_timeout=3s log_level=info
now=$(date +%s)
printf '{"mtastsd_dump":1}\n{"domain":"r1.test","id":"1","fetched_at":%d,"refresh_at":%d,"policy":{"mode":"enforce","max_age":86400,"mx":["mx.r1.test"]}}\n' \
    $((now - 100)) $((now + 10)) >"$WORK/r1.jsonl"
expect_true "a policy for r1.test loaded, its refresh due in 10 s" \
    "$CTL" -s "$CTL_SOCK" load "$WORK/r1.jsonl"
log_mark

note "1. 300 connections ask for names under flood.test, whose DNS never answers"
flood_start 24
sleep 4
sample_status 2
expect_true "the flood keeps the queue busy (at most $MAX_QUEUED queued)" test "$MAX_QUEUED" -ge 20
expect_true "the flood holds at most 3 of the 4 fetch slots ($MAX_RUNNING running at most)" \
    test "$MAX_RUNNING" -le 3
expect_resolves "healthy domain during the flood" good1.test 5
expect_log "fetch good1\\.test: ok id=1" 1

note "2. a refresh due during the flood"
expect_log "refresh r1\\.test: ok id=1" 12
expect_no_log "refresh pass: .* [1-9][0-9]* deferred"

note "3. abandoned jobs are dropped"
sleep 3
ab=$(counter fetches_abandoned)
expect_true "queued jobs whose queries gave up were dropped (fetches_abandoned ${ab:-?})" \
    test "${ab:-0}" -gt 100
sample_status 2
expect_true "the queue stays below the number of flood connections ($MAX_QUEUED)" \
    test "$MAX_QUEUED" -le 300
flood_wait
expect_resolves "healthy domain right after the flood" good2.test 3
expect_true "no job, queued fetch or pending query left 15 s after the flood" wait_for 15 quiet
expect_eq "nothing was shed below max_queued_fetches" "$(counter fetches_shed)" 0
expect_true "daemon alive" mtastsd_alive
mtastsd_stop

# ---------------------------------------------------------------- 4
note "4. the queue cap: max_queued_fetches=20"
mtastsd_start max_fetches=4 query_timeout=2s dns_timeout=1s https_connect_timeout=2s \
    https_timeout=3s max_queued_fetches=20 log_level=info
log_mark
flood_start 14
sleep 2
sample_status 3
expect_true "at most 20 jobs queued ($MAX_QUEUED seen)" test "$MAX_QUEUED" -le 20
expect_true "the queue was full ($MAX_QUEUED seen)" test "$MAX_QUEUED" -ge 15
expect_resolves "healthy domain with the queue full" good3.test 5
flood_wait
shed=$(counter fetches_shed)
expect_true "shed jobs are counted (fetches_shed ${shed:-?})" test "${shed:-0}" -gt 0
expect_log 'fetch: [0-9]+ fetches queued \(max_queued_fetches 20\); shed the fetch for x[0-9]+-[0-9]+\.flood\.test, the oldest of zone flood\.test'
nlines=$(lib_log_since_mark | grep -c 'fetches queued (max_queued_fetches 20); shed')
expect_true "shedding is logged at most once per 10 s ($nlines lines in about 14 s)" \
    test "$nlines" -le 2
expect_log 'more shed since the last such line'
expect_true "no job, queued fetch or pending query left after the flood" wait_for 15 quiet
expect_reply good4.test "$(secure good4.test)"
expect_true "daemon alive" mtastsd_alive
mtastsd_stop

# ---------------------------------------------------------------- 5
note "5. background re-checks that hang do not starve queries"
mtastsd_start max_fetches=4 query_timeout=2s dns_timeout=1s https_connect_timeout=2s \
    https_timeout=3s log_level=info
now=$(date +%s)
{
    echo '{"mtastsd_dump":1}'
    for i in $(seq 1 12); do
        printf '{"domain":"v%d.flood.test","id":"1","fetched_at":%d,"policy":{"mode":"enforce","max_age":86400,"mx":["mx.v%d.flood.test"]}}\n' \
            "$i" $((now - 1000)) "$i"
    done
} >"$WORK/v.jsonl"
expect_true "12 policies under flood.test loaded, checked 1000 s ago" \
    "$CTL" -s "$CTL_SOCK" load "$WORK/v.jsonl"
for i in $(seq 1 12); do
    printf 'v%d.flood.test\n' "$i"
done >"$WORK/v.keys"
"$PYTHON" "$LC" --socket "$SOCK" query --keys-file "$WORK/v.keys" >"$WORK/v.out"
expect_eq "each is answered from the cache" "$(grep -c 'OK secure match=mx\.v[0-9]*\.flood\.test' "$WORK/v.out")" 12
sample_status 1
expect_eq "one slot runs the hanging re-checks" "$MAX_RUNNING" 1
expect_true "the others wait ($MAX_QUEUED queued)" test "$MAX_QUEUED" -ge 10
expect_resolves "healthy domain with the re-checks hanging" good5.test 2
expect_true "daemon alive" mtastsd_alive
mtastsd_stop
finish

#!/bin/bash
# test_concurrency.sh - one fetch job per domain shared by every waiter
# (DESIGN section 4, last rule; STYLE practice 5): 100 parallel postmap
# clients for one uncached domain cause one policy fetch and all get the
# verdict; clients that disconnect mid-fetch do not disturb the others;
# many domains at once.
. "$(dirname "$0")/lib.sh"

world_domain par.test --txt 'v=STSv1; id=1' --dns delay:1
world_domain leave.test --txt 'v=STSv1; id=1' --dns delay:1
for i in $(seq 1 20); do
    world_domain "many$i.test" --txt 'v=STSv1; id=1'
done
world_start
mtastsd_start "${MTASTSD_FAST[@]}" dns_timeout=3s query_timeout=10s

par_query() { # N KEY WANT: N postmap clients at once; prints the counts
    # "OK(value WANT) NOTFOUND OTHER"
    local n=$1 key=$2 i ok=0 nf=0 other=0 rc d
    d=$(mktemp -d "$WORK/par.XXXXXX")
    local pids=()
    for ((i = 0; i < n; i++)); do
        (
            timeout 20 postmap -q "$key" "socketmap:unix:$SOCK:mtasts" >"$d/$i.out" 2>"$d/$i.err"
            echo $? >"$d/$i.rc"
        ) &
        pids+=($!)
    done
    wait "${pids[@]}"
    for ((i = 0; i < n; i++)); do
        rc=$(cat "$d/$i.rc" 2>/dev/null)
        if [ "$rc" = 0 ] && [ "$(cat "$d/$i.out")" = "$3" ]; then
            ok=$((ok + 1))
        elif [ "$rc" = 1 ] && [ ! -s "$d/$i.out" ] && [ ! -s "$d/$i.err" ]; then
            nf=$((nf + 1))
        else
            other=$((other + 1))
        fi
    done
    echo "$ok $nf $other"
}


note "100 clients, one uncached domain, one fetch"
expect_eq "100 parallel queries all get the verdict" \
    "$(par_query 100 par.test 'secure match=mx.par.test servername=hostname')" "100 0 0"
expect_eq "one policy fetch for 100 queries" "$(world_fetch_count par.test)" 1
expect_eq "one TXT query for 100 queries" "$(world_dns_queries _mta-sts.par.test)" 1

note "clients that leave mid-fetch"
for i in 1 2 3 4 5; do
    smap_raw req:'mtasts leave.test' close >/dev/null &
done
smap_raw req:'mtasts leave.test' sleep:0.2 close >/dev/null &
expect_eq "the others still get the verdict" \
    "$(par_query 10 leave.test 'secure match=mx.leave.test servername=hostname')" "10 0 0"
expect_eq "leave.test fetched once" "$(world_fetch_count leave.test)" 1
expect_true "daemon alive" mtastsd_alive

note "20 domains at once, 5 clients each"
pids=()
for i in $(seq 1 20); do
    (par_query 5 "many$i.test" "secure match=mx.many$i.test servername=hostname" >"$WORK/many$i.res") &
    pids+=($!)
done
wait "${pids[@]}"
bad=0
for i in $(seq 1 20); do
    [ "$(cat "$WORK/many$i.res" 2>/dev/null)" = "5 0 0" ] || bad=$((bad + 1))
    [ "$(world_fetch_count "many$i.test")" = 1 ] || bad=$((bad + 1))
done
expect_eq "20 domains: every query answered, one fetch each" "$bad" 0

note "cached answers under load"
expect_eq "100 parallel cached queries" \
    "$(par_query 100 par.test 'secure match=mx.par.test servername=hostname')" "100 0 0"
expect_eq "still one fetch" "$(world_fetch_count par.test)" 1

mtastsd_stop
finish

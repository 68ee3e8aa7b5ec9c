#!/bin/bash
# tests/soak/soak.sh - a long run of mixed load against one daemon; fails
# if its anonymous memory keeps growing.  Not part of "make check".
#
#   top_builddir=BUILD [SOAK_SECONDS=600] [SOAK_WARMUP=120] \
#   [SOAK_GROWTH_KB=4096] bash tests/soak/soak.sh
#
# BUILD should be a build WITHOUT sanitizers (ASan's quarantine and shadow
# memory make RSS meaningless).  The world (tests/integration/lib.sh) has
# policy domains (enforce, testing, none) and names without a policy; the
# load runs for SOAK_SECONDS:
#   - 3 clients asking at random for cached policies, cached negative
#     answers and never-seen names (each a fresh TXT lookup and a new
#     negative entry), closing and reopening their connection now and
#     then (load_client.py mixed);
#   - a flusher that every 2 s flushes a few policy domains (so they are
#     fetched again over HTTPS) and every 30 s flushes all negative
#     entries, and asks for status and stats;
#   - a connection churner: 50 idle connections opened and dropped every
#     5 s, plus a short garbage flood every 20 s.
# Every 10 s the daemon's RssAnon (/proc/PID/status) is sampled.  After
# SOAK_WARMUP seconds the first sample is the baseline; the run fails if
# a later sample exceeds it by more than SOAK_GROWTH_KB, if a client saw
# a wrong reply, or if the daemon died or did not exit cleanly.
# The samples are printed ("soak: t=.. rss_anon_kb=..") and left in
# $WORK/rss.tsv (MTASTS_KEEP_WORK=1 keeps $WORK).
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib.sh"

CTL=${MTASTSD_CTL:-$top_builddir/mtastsd-ctl}
[ -x "$CTL" ] || die "mtastsd-ctl binary $CTL not found (build it first)"
LC=$LIB_DIR/load_client.py
SECS=${SOAK_SECONDS:-600}
WARMUP=${SOAK_WARMUP:-120}
GROWTH=${SOAK_GROWTH_KB:-4096}

NPOL=40
POLS=()
for ((i = 1; i <= NPOL; i++)); do
    d=$(printf 'p%02d.test' "$i")
    POLS+=("$d")
    case $((i % 4)) in
    0) world_domain "$d" --txt "v=STSv1; id=$i" --policy "$(printf 'version: STSv1\nmode: testing\nmx: mx.%s\nmax_age: 86400\n' "$d")" ;;
    1) world_domain "$d" --txt "v=STSv1; id=$i" --policy "$(printf 'version: STSv1\nmode: none\nmax_age: 86400\n')" ;;
    *) world_domain "$d" --txt "v=STSv1; id=$i" ;;
    esac
done
world_start
mtastsd_start "${MTASTSD_FAST[@]}" negative_ttl=60s log_level=info idle_timeout=30s

{
    for ((i = 1; i <= NPOL; i++)); do
        d=${POLS[i - 1]}
        case $((i % 4)) in
        2 | 3) echo "$d OK secure match=mx.$d servername=hostname" ;;
        *) echo "$d NOTFOUND " ;;
        esac
        echo "[$d]:25 *"
    done
    for ((i = 1; i <= 40; i++)); do echo "neg$i.test NOTFOUND "; done
    for ((i = 1; i <= 20; i++)); do echo "fresh-%.test NOTFOUND "; done
    echo ".parent.test NOTFOUND "
    echo "192.0.2.1 NOTFOUND "
} >"$WORK/keys.txt"

lc() { "$PYTHON" "$LC" --socket "$SOCK" "$@"; }

# warm the cache: every key once
cut -d' ' -f1 "$WORK/keys.txt" | grep -v % >"$WORK/warm.txt"
lc query --keys-file "$WORK/warm.txt" >/dev/null

END=$((SECONDS + SECS))
PIDS=()
for s in 1 2 3; do
    lc mixed --seconds "$SECS" --keys-file "$WORK/keys.txt" --seed "$s" >"$WORK/mixed$s.out" 2>&1 &
    PIDS+=($!)
    lib_track "$!"
done
(
    n=0
    while [ "$SECONDS" -lt "$END" ]; do
        n=$((n + 1))
        for ((k = 0; k < 3; k++)); do
            "$CTL" -s "$CTL_SOCK" flush "${POLS[RANDOM % NPOL]}" >/dev/null 2>&1
        done
        [ $((n % 15)) = 0 ] && "$CTL" -s "$CTL_SOCK" flush --negative >/dev/null 2>&1
        "$CTL" -s "$CTL_SOCK" status >/dev/null 2>&1
        "$CTL" -s "$CTL_SOCK" stats >/dev/null 2>&1
        sleep 2
    done
) &
PIDS+=($!)
lib_track "$!"
(
    n=0
    while [ "$SECONDS" -lt $((END - 10)) ]; do
        n=$((n + 1))
        rm -f "$WORK/rel"
        "$PYTHON" "$LC" --socket "$SOCK" hold 50 --release-file "$WORK/rel" --seconds 4 >/dev/null 2>&1
        [ $((n % 4)) = 0 ] && "$PYTHON" "$LC" --socket "$SOCK" flood --clients 2 --seconds 1 --seed "$n" >/dev/null 2>&1
        sleep 1
    done
) &
PIDS+=($!)
lib_track "$!"

echo -e "t\trss_anon_kb\tconnections\tcache_entries" >"$WORK/rss.tsv"
base='' max=0 t0=$SECONDS
while [ "$SECONDS" -lt "$END" ]; do
    sleep 10
    mtastsd_alive || break
    t=$((SECONDS - t0))
    rss=$(awk '/^RssAnon:/ { print $2 }' "/proc/$MTASTSD_PID/status")
    st=$("$CTL" -s "$CTL_SOCK" status 2>/dev/null)
    conns=$(awk '$1 == "connections" { print $2 }' <<<"$st")
    ent=$(awk '$1 == "cache_entries" { print $2 }' <<<"$st")
    echo -e "$t\t$rss\t$conns\t$ent" >>"$WORK/rss.tsv"
    echo "soak: t=${t}s rss_anon_kb=$rss connections=${conns:-?} cache_entries=${ent:-?}"
    if [ "$t" -ge "$WARMUP" ]; then
        [ -n "$base" ] || base=$rss
        [ "$rss" -gt "$max" ] && max=$rss
    fi
done
for p in "${PIDS[@]}"; do
    wait "$p"
    lib_untrack "$p"
done
expect_true "daemon alive after ${SECS}s of mixed load" mtastsd_alive
for s in 1 2 3; do
    note "client $s: $(tail -n 1 "$WORK/mixed$s.out")"
    expect_true "client $s saw no wrong reply" grep -q ' wrong=0 ' "$WORK/mixed$s.out"
done
note "stats: $("$CTL" -s "$CTL_SOCK" stats 2>/dev/null | tr -s ' \n' ' ')"
if [ -n "$base" ]; then
    note "RssAnon after warm-up: baseline $base kB, max $max kB, growth $((max - base)) kB (bound $GROWTH kB)"
    expect_true "RssAnon flat after warm-up (growth $((max - base)) kB <= $GROWTH kB)" \
        test $((max - base)) -le "$GROWTH"
else
    lib_result 1 "RssAnon sampled after warm-up" "the run was shorter than SOAK_WARMUP=$WARMUP s"
fi
mtastsd_stop
finish

#!/bin/bash
# test_load.sh - the daemon under connection load (the "Performance and
# resilience" issue):
#   1. 10,000 idle client connections held open while normal queries stay
#      fast (each under 100 ms) and a fresh domain still resolves;
#   2. slow clients (half a frame, then nothing) do not delay others and
#      are cut off after idle_timeout;
#   3. at the fd limit (RLIMIT_NOFILE 64) accept pauses, a waiting client
#      is served once others leave, and queries work again;
#   4. a flood of garbage frames from several clients does not crash the
#      daemon or starve normal queries.
# After each phase: no connection, job or pending query left, and no more
# open fds than before (mtastsd-ctl status, /proc/PID/fd).
# The client is load_client.py (beside this file).
. "$(dirname "$0")/lib.sh"

CTL=${MTASTSD_CTL:-$top_builddir/mtastsd-ctl}
[ -x "$CTL" ] || die "mtastsd-ctl binary $CTL not found (build it first)"
LC=$LIB_DIR/load_client.py
lib_need prlimit

world_domain good.test --txt 'v=STSv1; id=1'
world_domain fresh1.test --txt 'v=STSv1; id=1'
world_domain fresh2.test --txt 'v=STSv1; id=1'
world_start

secure() { echo "secure match=mx.$1 servername=hostname"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
fd_count() { find "/proc/$MTASTSD_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
status_get() { "$CTL" -s "$CTL_SOCK" status 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'; }
# status_eq / status_ge FIELD N: a status number is N / at least N (for wait_for)
status_eq() { local v; v=$(status_get "$1"); [ -n "$v" ] && [ "$v" -eq "$2" ]; }
status_ge() { local v; v=$(status_get "$1"); [ -n "$v" ] && [ "$v" -ge "$2" ]; }
lc() { "$PYTHON" "$LC" --socket "$SOCK" "$@"; }

quiet() {
    local st
    st=$("$CTL" -s "$CTL_SOCK" status 2>/dev/null) || return 1
    printf '%s\n' "$st" | awk '
        $1 == "fetches_running" || $1 == "fetches_queued" ||
        $1 == "pending_queries" || $1 == "connections" { n++; if ($2 != 0) bad = 1 }
        END { exit !(n == 4 && !bad) }' || return 1
    [ "$(fd_count)" -le "$FD_BASE" ]
}

expect_quiet() { # WHAT [SECONDS]
    if wait_for "${2:-10}" quiet; then
        lib_result 0 "$1: no connection, job, pending query or extra fd left"
    else
        lib_result 1 "$1: no connection, job, pending query or extra fd left" \
            "status: $("$CTL" -s "$CTL_SOCK" status 2>&1 | tr -s ' \n' ' ') fds: $(fd_count) (baseline $FD_BASE)"
    fi
}

# latency DESC COUNT MAX_MS [more load_client args]: good.test, cached
latency() {
    local desc=$1 count=$2 max=$3 out
    shift 3
    out=$(lc latency --key good.test --want "OK $(secure good.test)" --count "$count" \
        --max-ms "$max" "$@" 2>&1)
    lib_result $? "$desc: $count queries, each under $max ms" "$out"
    note "$desc: $(head -n 1 <<<"$out")"
}

# hold_start N [--partial]: a background client holding N connections
hold_start() {
    # Empty the output here, not in the background job: the job's own
    # ">" may run after the wait below has already seen the HELD line
    # left by the previous section.
    rm -f "$WORK/release"
    : >"$WORK/hold.out"
    lc hold "$@" --release-file "$WORK/release" --seconds 300 >"$WORK/hold.out" 2>&1 &
    HOLD_PID=$!
    lib_track "$HOLD_PID"
    wait_for 60 grep -q '^HELD' "$WORK/hold.out" || die "hold client did not start: $(cat "$WORK/hold.out")"
    HELD=$(awk '/^HELD/ { print $2 }' "$WORK/hold.out")
}

hold_release() {
    touch "$WORK/release"
    wait "$HOLD_PID"
    lib_untrack "$HOLD_PID"
    HOLD_EOF=$(awk '/^EOF/ { print $2 }' "$WORK/hold.out")
}

settle() { # after start: prime good.test, take the fd baseline
    expect_reply good.test "$(secure good.test)"
    wait_for 5 status_eq fetches_running 0
    sleep 0.3
    FD_BASE=$(fd_count)
}

# ---------------------------------------------------------------- 1. idle
hard=$(ulimit -Hn)
[ "$hard" = unlimited ] && hard=1048576
NIDLE=10000
if [ "$hard" -lt $((NIDLE + 200)) ]; then
    NIDLE=$((hard - 200))
    note "hard RLIMIT_NOFILE is $hard here: holding $NIDLE idle connections instead of 10000"
fi
ulimit -n "$hard" || die "cannot raise RLIMIT_NOFILE to $hard"
note "1. $NIDLE idle connections"
mtastsd_start "${MTASTSD_FAST[@]}" max_connections=$((NIDLE + 100)) idle_timeout=600s
settle
latency "before the idle load" 50 100
hold_start "$NIDLE"
expect_eq "client holds $NIDLE connections" "$HELD" "$NIDLE"
expect_true "the daemon counts them" wait_for 20 status_ge connections "$NIDLE"
note "daemon: $(status_get connections) connections, $(fd_count) fds, $(awk '/^VmRSS/ { print $2 " " $3 }' "/proc/$MTASTSD_PID/status") RSS"
latency "with $NIDLE idle connections, a new connection per query" 200 100
latency "with $NIDLE idle connections, one persistent connection" 200 100 --persistent
expect_reply good.test "$(secure good.test)"
expect_reply fresh1.test "$(secure fresh1.test)"
hold_release
expect_eq "none of the idle connections was closed by the daemon" "$HOLD_EOF" 0
expect_quiet "after the idle load" 30
expect_true "daemon alive" mtastsd_alive
mtastsd_stop

# ---------------------------------------------------------------- 2. slow
note "2. slow clients: half a frame, then nothing"
mtastsd_start "${MTASTSD_FAST[@]}" idle_timeout=3s
settle
log_mark
t0=$(now_ms)
hold_start 300 --partial
expect_eq "300 slow clients connected" "$HELD" 300
latency "with 300 slow clients" 100 100
latency "with 300 slow clients, persistent" 100 100 --persistent
expect_reply fresh2.test "$(secure fresh2.test)"
expect_true "the slow clients were cut off after idle_timeout" \
    wait_for 15 status_eq connections 0
dt=$(($(now_ms) - t0))
expect_true "... within idle_timeout + 3 s of connecting (${dt} ms)" test "$dt" -le 6000
expect_log 'incomplete request for 3 s; closing'
hold_release
expect_eq "the client saw all 300 closed" "$HOLD_EOF" 300
expect_quiet "after the slow clients"
mtastsd_stop

# ---------------------------------------------------------------- 3. fd limit
note "3. at the fd limit"
mtastsd_start "${MTASTSD_FAST[@]}" idle_timeout=600s
settle
expect_true "RLIMIT_NOFILE of the daemon set to 64" prlimit --pid "$MTASTSD_PID" --nofile=64:64
log_mark
hold_start 100
expect_eq "100 clients connected (the excess waits in the backlog)" "$HELD" 100
expect_log 'accept: Too many open files; pausing new connections' 5
# a client that arrives now waits in the backlog until a slot is free
lc latency --key good.test --want "OK $(secure good.test)" --count 1 --max-ms 60000 \
    --timeout 30 >"$WORK/waiter.out" 2>&1 &
WAITER=$!
lib_track "$WAITER"
sleep 2
expect_true "the waiting client is not answered while the daemon is out of fds" \
    lib_running "$WAITER"
expect_true "daemon alive at the fd limit" mtastsd_alive
t0=$(now_ms)
hold_release
wait "$WAITER"
expect_eq "the waiting client is answered once others leave" "$?" 0
lib_untrack "$WAITER"
dt=$(($(now_ms) - t0))
expect_true "... within 5 s of the release (${dt} ms)" test "$dt" -le 5000
expect_true "accepting resumed" wait_for 10 lib_log_has 'listener: accepting resumed'
latency "after the fd limit" 50 100
expect_reply good.test "$(secure good.test)"
expect_quiet "after the fd limit"
mtastsd_stop

# ---------------------------------------------------------------- 4. garbage
note "4. a flood of garbage frames"
mtastsd_start "${MTASTSD_FAST[@]}"
settle
rej0=$("$CTL" -s "$CTL_SOCK" stats 2>/dev/null | awk '$1 == "connections_rejected" { print $2 }')
lc flood --clients 6 --seconds 8 --seed 7 >"$WORK/flood.out" 2>&1 &
FLOOD=$!
lib_track "$FLOOD"
sleep 1
latency "during the flood" 200 1000
latency "during the flood, persistent" 200 1000 --persistent
wait "$FLOOD"
expect_eq "flood client ran" "$?" 0
lib_untrack "$FLOOD"
note "flood: $(cat "$WORK/flood.out")"
perm=$(sed -n 's/.*perm=\([0-9]*\).*/\1/p' "$WORK/flood.out")
expect_true "the flood got PERM replies (${perm:-0})" test "${perm:-0}" -gt 100
rej1=$("$CTL" -s "$CTL_SOCK" stats 2>/dev/null | awk '$1 == "connections_rejected" { print $2 }')
expect_true "the daemon counted the rejected connections (${rej0:-?} -> ${rej1:-?})" \
    test "${rej1:-0}" -gt "${rej0:-0}"
expect_true "daemon alive after the flood" mtastsd_alive
expect_reply good.test "$(secure good.test)"
expect_quiet "after the flood"
mtastsd_stop
finish

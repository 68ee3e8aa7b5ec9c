#!/bin/bash
# test_nonreaders.sh - clients that pipeline requests and never read their
# replies cannot make the daemon's memory grow without bound (issue "never
# starve", item 3; src/smap.c "Buffers").
#
# big.test has a policy of 200 long mx names: its reply is about 48 KB.
#   1. 400 connections each send 450 requests for big.test in one go and
#      read nothing.  The daemon stops answering a connection's requests
#      while more than SMAP_OUT_HIGH (16 KiB) of its replies are unsent, so
#      the bytes it holds in connection buffers (mtastsd-ctl status,
#      connection_bytes) stay within 400 x (one input buffer + 16 KiB + one
#      reply), and its RssAnon grows by less than 64 MB (it grew by 200 to
#      320 MB when every buffered request was answered at once).  A normal
#      client is served meanwhile.
#   2. A connection that pipelines 450 requests and reads only after a
#      second gets all 450 replies, in order: answering resumes as the
#      client reads.
#   3. When the 400 connections close, the freed memory goes back to the
#      system: RssAnon returns to within 8 MB of what it was before.
# Peak RssAnon is printed ("# ... RssAnon ...").  Under ASan, RssAnon
# includes the allocator's quarantine; the daemon is then run with
# ASAN_OPTIONS quarantine_size_mb=0 and allocator_release_to_os_interval_ms=0
# (freed memory returned at once) added, so that the figure is the daemon's.
. "$(dirname "$0")/lib.sh"

CTL=${MTASTSD_CTL:-$top_builddir/mtastsd-ctl}
[ -x "$CTL" ] || die "mtastsd-ctl binary $CTL not found (build it first)"
LC=$LIB_DIR/load_client.py
NCONN=${NONREADERS_CONNS:-400}
NREQ=${NONREADERS_REQUESTS:-450}

if nm -D "$MTASTSD" 2>/dev/null | grep -q __asan_init; then
    export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:allocator_release_to_os_interval_ms=0"
    note "ASan build: ASAN_OPTIONS=$ASAN_OPTIONS"
fi

# 200 mx names of 237 characters: a reply of about 48 KB
"$PYTHON" - "$WORK/big.txt" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("version: STSv1\nmode: enforce\n")
    for i in range(200):
        f.write("mx: m%03d%s.%s.%s.%s.big.test\n" % (i, "a" * 59, "b" * 63, "c" * 63, "d" * 35))
    f.write("max_age: 86400\n")
EOF
world_domain big.test --txt 'v=STSv1; id=1' --policy "@$WORK/big.txt"
world_domain good.test --txt 'v=STSv1; id=1'
world_start

now_ms() { echo $(($(date +%s%N) / 1000000)); }
status_get() { "$CTL" -s "$CTL_SOCK" status 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'; }
rss_anon() { awk '/^RssAnon/ { print $2 }' "/proc/$MTASTSD_PID/status"; }

# sample SECONDS: every 0.2 s, the largest RssAnon (kB) and connection_bytes
sample() {
    local end=$(($(now_ms) + $1 * 1000)) r b
    while [ "$(now_ms)" -lt "$end" ]; do
        r=$(rss_anon)
        b=$(status_get connection_bytes)
        [ -n "$r" ] && [ "$r" -gt "$PEAK_RSS" ] && PEAK_RSS=$r
        [ -n "$b" ] && [ "$b" -gt "$PEAK_BYTES" ] && PEAK_BYTES=$b
        sleep 0.2
    done
}

mtastsd_start "${MTASTSD_FAST[@]}" idle_timeout=60s max_connections=1024 log_level=info
out=$(q big.test)
expect_true "big.test's reply is about 48 KB (${#out} bytes)" test "${#out}" -gt 47000
BIG=$out
expect_reply good.test "secure match=mx.good.test servername=hostname"
sleep 3 # the trim after priming
BASE_RSS=$(rss_anon)
note "RssAnon before: $BASE_RSS kB"

# ---------------------------------------------------------------- 1
note "1. $NCONN connections send $NREQ requests each and never read"
rm -f "$WORK/release"
"$PYTHON" "$LC" --socket "$SOCK" pipeline --clients "$NCONN" --requests "$NREQ" --key big.test \
    --release-file "$WORK/release" --seconds 120 >"$WORK/pipe.out" 2>&1 &
PIPE=$!
lib_track "$PIPE"
expect_true "$NCONN connections sent their requests" \
    wait_for 60 grep -q "^SENT $NCONN\$" "$WORK/pipe.out"
PEAK_RSS=$BASE_RSS PEAK_BYTES=0
sample 4
growth=$(((PEAK_RSS - BASE_RSS) / 1024))
note "with $NCONN non-readers: peak RssAnon $PEAK_RSS kB (+$growth MB), peak connection_bytes $PEAK_BYTES"
# per connection: input buffer (10006) + SMAP_OUT_HIGH (16384) + one framed reply, in 4 KiB steps
per=$((10006 + 16384 + ${#BIG} + 16 + 4096))
expect_true "connection buffers within $NCONN x $per bytes ($PEAK_BYTES)" \
    test "${PEAK_BYTES:-0}" -gt 0 -a "${PEAK_BYTES:-0}" -le $((NCONN * per))
expect_true "RssAnon grew by less than 64 MB (+$growth MB)" test "$growth" -lt 64
t0=$(now_ms)
expect_reply good.test "secure match=mx.good.test servername=hostname"
expect_true "... within a second ($(($(now_ms) - t0)) ms)" test $(($(now_ms) - t0)) -le 1000

# ---------------------------------------------------------------- 2
note "2. a client that reads late gets every reply"
"$PYTHON" "$LC" --socket "$SOCK" pipeline --clients 1 --requests "$NREQ" --key big.test \
    --seconds 1 --read --want "OK $BIG" >"$WORK/late.out" 2>&1
expect_eq "all $NREQ replies, in order, each the right one" "$(tail -n 1 "$WORK/late.out")" \
    "READ ok=$NREQ wrong=0 missing=0"

# ---------------------------------------------------------------- 3
note "3. the non-readers leave"
touch "$WORK/release"
wait "$PIPE"
lib_untrack "$PIPE"
expect_true "every connection closed" wait_for 10 test "$(status_get connections)" = 0
expect_eq "no bytes left in connection buffers" "$(status_get connection_bytes)" 0
back() { [ "$(rss_anon)" -le $((BASE_RSS + 8192)) ]; }
expect_true "RssAnon back within 8 MB of before" wait_for 10 back
note "RssAnon after: $(rss_anon) kB (before: $BASE_RSS kB, peak $PEAK_RSS kB)"
expect_true "daemon alive" mtastsd_alive
mtastsd_stop
finish

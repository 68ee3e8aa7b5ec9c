#!/bin/bash
# test_metrics_hostile.sh - hostile clients on the metrics port (issue 13):
# they cannot crash the daemon nor hold up socketmap answers, and a real
# scrape still gets through (src/httpd.h).
#
# mtastsd runs with metrics_listen and request_timeout=2s.  During each
# attack a socketmap client asks for a cached domain on one connection,
# one query after another, and every answer must be right and come within
# 250 ms (load_client.py latency); after it, a plain curl scrape must
# succeed:
#   1. garbage: 60 connections of junk (random bytes, a TLS hello, HTTP/2,
#      NUL, obs-fold, bare CR, absolute-form, a body, other methods):
#      each gets 400, 405 or 413, counted by code;
#   2. huge headers: 1 MB of header fields: 431 once 8 KiB are in;
#   3. slow drip: 24 clients send a request one byte every 0.4 s: each is
#      closed 2 s (request_timeout) after connecting although it keeps
#      sending (mtastsd_metrics_connections_slow_total), and a scrape in
#      the middle is served (the oldest dripper shed for it,
#      mtastsd_metrics_connections_shed_total);
#   4. many connections: 300 connections that send nothing: at most 16
#      are held (mtastsd_metrics_connections), a scrape is served, and all
#      of them are gone 2 s later;
#   5. a client that asks and reads nothing, with a 1 KiB receive buffer:
#      closed request_timeout after its request;
#   6. a scrape flood: 8 threads scraping as fast as they can for 4 s.
# At the end the daemon is alive, answers, and exits 0 on SIGTERM (ASan,
# UBSan clean in the sanitizer build).
. "$(dirname "$0")/lib.sh"

lib_need curl
LC=$LIB_DIR/load_client.py
HH=$LIB_DIR/http_hostile.py
MPORT=9461
MURL=http://127.0.0.1:$MPORT/metrics

world_domain good.test --txt 'v=STSv1; id=1'
world_start
mtastsd_start "${MTASTSD_FAST[@]}" metrics_listen=inet:127.0.0.1:$MPORT request_timeout=2s \
    log_level=info
SECURE="secure match=mx.good.test servername=hostname"
expect_reply good.test "$SECURE"

# metric NAME: its value in a fresh scrape (renders are reused for 100 ms)
metric() {
    sleep 0.15
    curl -s --max-time 5 "$MURL" | awk -v k="$1" '$1 == k { print $2 }'
}

# during CMD...: run CMD while a socketmap client keeps asking; both must pass
during() {
    local desc=$1 lat
    shift
    "$PYTHON" "$LC" --socket "$SOCK" latency --key good.test --want "OK $SECURE" --count 400 \
        --max-ms 250 --persistent >"$WORK/lat.out" 2>&1 &
    lat=$!
    "$@" >"$WORK/attack.out" 2>&1
    if wait "$lat"; then
        lib_result 0 "socketmap answers stay right and prompt during $desc ($(head -1 "$WORK/lat.out"))"
    else
        lib_result 1 "socketmap answers stay right and prompt during $desc" "$(head -3 "$WORK/lat.out")"
    fi
    note "$desc: $(cat "$WORK/attack.out")"
}

scrape_ok() { curl -sf --max-time 3 "$MURL" -o "$WORK/scrape.out" && grep -q '^mtastsd_build_info' "$WORK/scrape.out"; }

# ---------------------------------------------------------------- 1
note "1. garbage"
during "60 garbage requests" "$PYTHON" "$HH" --port "$MPORT" garbage 60
codes=$(sed -n 's/.* codes=\([^ ]*\) .*/\1/p' "$WORK/attack.out")
expect_eq "every garbage request gets a 4xx answer, none is served" \
    "$(sed -n 's/.* closed=\([0-9]*\)$/\1/p' "$WORK/attack.out")" 0
expect_true "no 200 among them ($codes)" sh -c "! echo '$codes' | grep -q '200:'"
expect_eq "400s counted" "$(metric 'mtastsd_metrics_requests_total{code="400"}')" \
    "$(echo "$codes" | tr ',' '\n' | awk -F: '$1 == 400 { print $2 }')"
expect_true "a scrape is served after it" scrape_ok

# ---------------------------------------------------------------- 2
note "2. huge headers"
huge=$("$PYTHON" "$HH" --port "$MPORT" huge 1000000)
expect_true "1 MB of header fields: 431 ($huge)" sh -c "echo '$huge' | grep -q '^STATUS 431 '"
expect_eq "431 counted" "$(metric 'mtastsd_metrics_requests_total{code="431"}')" 1

# ---------------------------------------------------------------- 3
note "3. slow drip"
log_mark
"$PYTHON" "$HH" --port "$MPORT" drip 24 --interval 0.4 --seconds 8 >"$WORK/drip.out" 2>&1 &
DRIP=$!
lib_track "$DRIP"
sleep 1.3
t0=$(date +%s%N)
expect_true "a scrape is served while 24 clients drip" scrape_ok
note "scrape served after $((($(date +%s%N) - t0) / 1000000)) ms"
during "the drip" sleep 3
wait "$DRIP"
lib_untrack "$DRIP"
note "drip: $(cat "$WORK/drip.out")"
closed=$(sed -n 's/.* closed=\([0-9]*\) .*/\1/p' "$WORK/drip.out")
max_s=$(sed -n 's/.* max_s=\([0-9.]*\)$/\1/p' "$WORK/drip.out")
expect_eq "every dripper was closed" "$closed" 24
expect_true "each within request_timeout + 1.5 s of connecting (at most $max_s s)" \
    awk -v m="${max_s:-99}" 'BEGIN { exit !(m <= 3.5) }'
slow=$(metric mtastsd_metrics_connections_slow_total)
shed=$(metric mtastsd_metrics_connections_shed_total)
expect_true "counted: metrics_connections_slow ${slow:-?}" test "${slow:-0}" -ge 8
expect_true "counted: metrics_connections_shed ${shed:-?}" test "${shed:-0}" -ge 1
expect_log 'metrics client fd [0-9]+: request not done 2 s after connecting \(request_timeout\); closing'

# ---------------------------------------------------------------- 4
note "4. many connections that send nothing"
"$PYTHON" "$HH" --port "$MPORT" hold 300 --seconds 6 >"$WORK/hold.out" 2>&1 &
HOLD=$!
lib_track "$HOLD"
sleep 1.2
held=$(metric mtastsd_metrics_connections)
expect_true "a scrape is served among 300 idle connections (held: ${held:-?})" test -n "$held"
expect_true "at most 16 connections are held" test "${held:-99}" -le 16
during "300 idle connections" sleep 2
wait "$HOLD"
lib_untrack "$HOLD"
note "hold: $(cat "$WORK/hold.out")"
only_me() { [ "$(metric mtastsd_metrics_connections)" = 1 ]; }
expect_true "every slot free again" wait_for 5 only_me

# ---------------------------------------------------------------- 5
note "5. a client that reads nothing and never closes"
"$PYTHON" "$HH" --port "$MPORT" noread --seconds 5 >"$WORK/noread.out" 2>&1 &
NOREAD=$!
lib_track "$NOREAD"
sleep 0.5
expect_eq "it holds a slot" "$(metric mtastsd_metrics_connections)" 2
sleep 2.5
expect_eq "which is free request_timeout after its request" \
    "$(metric mtastsd_metrics_connections)" 1
wait "$NOREAD"
lib_untrack "$NOREAD"
expect_true "it got the whole response, then the close ($(cat "$WORK/noread.out"))" \
    grep -q 'closed=yes' "$WORK/noread.out"

# ---------------------------------------------------------------- 6
note "6. a scrape flood"
during "a scrape flood" "$PYTHON" "$HH" --port "$MPORT" flood --threads 8 --seconds 4
expect_true "the flood was served ($(cat "$WORK/attack.out"))" \
    sh -c "grep -q 'FLOOD ok=[1-9]' '$WORK/attack.out'"

expect_true "mtastsd is alive" mtastsd_alive
expect_reply good.test "$SECURE"
expect_true "a scrape is served at the end" scrape_ok
expect_true "and it passes promtool check metrics" sh -c "promtool check metrics <'$WORK/scrape.out'"
mtastsd_stop
finish

#!/bin/bash
# test_dns_tcp.sh - a DNS answer that needs TCP never holds up or breaks
# the lookups beside it (src/dns.c, "TCP fallback").
#
# crowd.test publishes 71 TXT records at _mta-sts (70 others and the STS
# one): about 2 KB, more than fits in a UDP answer, so the resolver
# answers with the TC bit and the lookup is asked again over TCP.  The
# daemon runs with dns_timeout=1s: a lookup that gets no answer runs out
# of tries after 3 s, so a healthy domain answered in LIMIT_MS (1.5 s) or
# more counts as held up (it needs 20-100 ms here).
#   1. The report: crowd.test and six healthy domains asked at the same
#      moment, ROUNDS times.  Every healthy domain must get its policy
#      within LIMIT_MS in every round.  (dnsmasq, the world's resolver,
#      runs in the foreground with --no-daemon: it then serves a TCP
#      connection in its main process and answers nothing else until the
#      client closes it.  c-ares 1.18 kept its TCP connection open while any
#      lookup of the channel was outstanding, so the UDP answers beside it
#      waited until those lookups ran out of tries: 8 of 8 rounds held up,
#      43 to 45 of the 48 healthy lookups, by 3 s each.)
#   2. The same, made deterministic: a lookup under hole.test (a zone whose
#      DNS never answers) is outstanding for 3 s when crowd.test and h1.test
#      are asked; both must get their policy within LIMIT_MS.
#   3. A real resolver that closes idle TCP connections (unbound,
#      tcp-idle-timeout=300 ms; at its default of 30 s, unbound cuts the
#      timeout to 300 ms and then 60 ms by itself when it runs short of TCP
#      buffers).  slow.test's TXT answer
#      comes after 2 s (dnsmasq forwards it to slow_dns.py in delay mode),
#      so the lookup is in its second try when crowd.test is asked over
#      TCP at 1.2 s; the resolver closes the idle TCP connection at 1.5 s.
#      slow.test must still get its policy (c-ares 1.18 reset every UDP
#      lookup to the server when its TCP connection was closed: slow.test's
#      lookup ended at once in "timeout", and the domain was NOTFOUND).
#   4. A resolver that does not accept TCP at all (unbound with
#      do-tcp: no, like a firewall that rejects TCP port 53): crowd.test
#      cannot be had (NOTFOUND, "connection refused" in the log), and
#      slow2.test (as slow.test), in flight beside it, must still get its
#      policy (c-ares 1.18 reset the UDP lookups there too).
. "$(dirname "$0")/lib.sh"

lib_need unbound unbound-checkconf
CTL=${MTASTSD_CTL:-$top_builddir/mtastsd-ctl}
[ -x "$CTL" ] || die "mtastsd-ctl binary $CTL not found (build it first)"
LC=$LIB_DIR/load_client.py
ROUNDS=${ROUNDS:-8}
LIMIT_MS=1500

T='v=STSv1; id=1'
CROWD=()
for ((i = 0; i < 70; i++)); do CROWD+=(--txt "other-record-$i"); done
world_domain crowd.test "${CROWD[@]:0:70}" --txt "$T" "${CROWD[@]:70}"
HEALTHY=()
for i in 1 2 3 4 5 6; do
    world_domain "h$i.test" --txt "$T"
    HEALTHY+=("h$i.test")
done
world_domain slow.test --txt "$T" --dns delay:2
world_domain slow2.test --txt "$T" --dns delay:2
world_zone_dns hole.test drop
world_start

expect_eq "crowd.test: the TXT answer is truncated over UDP" \
    "$(dns_query _mta-sts.crowd.test TXT | sed -n 1p)" "NOERROR TC"
expect_eq "crowd.test: all 71 records come over TCP" \
    "$(dns_query _mta-sts.crowd.test TXT 127.0.0.1 tcp | tail -n +2 | wc -l)" 71

# unbound on $1 (127.0.0.x): crowd.test's records as local data (so no
# TCP from unbound to dnsmasq), everything else forwarded to dnsmasq;
# then the server options given ("tcp-idle-timeout: 300", ...).
unbound_start() {
    local addr=$1 dir=$WORK/unbound-$1 i
    shift
    mkdir -p "$dir"
    {
        echo "server:"
        echo "  interface: $addr"
        echo "  port: 53"
        echo "  do-daemonize: no"
        echo "  username: \"\""
        echo "  chroot: \"\""
        echo "  directory: \"$dir\""
        echo "  pidfile: \"$dir/unbound.pid\""
        echo "  logfile: \"$dir/unbound.log\""
        echo "  use-syslog: no"
        echo "  do-not-query-localhost: no"
        echo "  access-control: 127.0.0.0/8 allow"
        echo "  local-zone: \"test.\" nodefault"
        echo "  domain-insecure: \"test.\""
        echo "  cache-max-ttl: 0"
        echo "  cache-max-negative-ttl: 0"
        for ((i = 0; i < 70; i++)); do
            echo "  local-data: '_mta-sts.crowd.test. 0 IN TXT \"other-record-$i\"'"
        done
        echo "  local-data: '_mta-sts.crowd.test. 0 IN TXT \"$T\"'"
        echo "  local-data: 'mta-sts.crowd.test. 0 IN A $(world_addr crowd.test)'"
        for i in "$@"; do
            echo "  $i"
        done
        echo "forward-zone:"
        echo "  name: \".\""
        echo "  forward-addr: 127.0.0.1@53"
    } >"$dir/unbound.conf"
    unbound-checkconf "$dir/unbound.conf" >"$dir/checkconf.out" 2>&1 ||
        die "unbound-checkconf: $(cat "$dir/checkconf.out")"
    unbound -d -c "$dir/unbound.conf" >>"$dir/stderr" 2>&1 &
    lib_track "$!"
    wait_for 10 lib_unbound_ready "$addr" ||
        die "unbound on $addr did not come up: $(tail -n 5 "$dir/unbound.log" "$dir/stderr" 2>&1)"
}
lib_unbound_ready() { dns_query _mta-sts.h1.test TXT "$1" | grep -q STSv1; }

flush() { "$CTL" -s "$CTL_SOCK" flush --all >/dev/null 2>&1; }

# burst_check DESC KEY WANT: the reply of KEY in $WORK/burst.out is WANT,
# within LIMIT_MS
burst_check() {
    local line ms reply
    line=$(awk -F'\t' -v k="$2" '$1 == k' "$WORK/burst.out")
    ms=$(printf '%s' "$line" | cut -f 2)
    reply=$(printf '%s' "$line" | cut -f 3)
    if [ "$reply" = "$3" ] && [ -n "$ms" ] && [ "$ms" -lt "$LIMIT_MS" ]; then
        lib_result 0 "$1"
    else
        lib_result 1 "$1" "got '${reply:-no reply}' after ${ms:-?} ms, want '$3' within $LIMIT_MS ms"
    fi
}

# the socketmap reply payload of a domain's policy
secure() { echo "OK secure match=mx.$1 servername=hostname"; }

mtastsd_start "${MTASTSD_FAST[@]}"

note "---- 1. crowd.test and six healthy domains at the same moment, $ROUNDS rounds"
held_rounds=0 held=0 worst=0
for ((r = 1; r <= ROUNDS; r++)); do
    flush
    "$PYTHON" "$LC" --socket "$SOCK" burst h1.test h2.test h3.test crowd.test h4.test h5.test h6.test \
        >"$WORK/round.out"
    n=0
    while IFS=$'\t' read -r key ms reply; do
        [ "$key" = crowd.test ] && continue
        [ "$ms" -gt "$worst" ] && worst=$ms
        if [ "$reply" != "$(secure "$key")" ] || [ "$ms" -ge "$LIMIT_MS" ]; then
            n=$((n + 1))
        fi
    done <"$WORK/round.out"
    held=$((held + n))
    [ "$n" -gt 0 ] && held_rounds=$((held_rounds + 1))
    note "round $r: $(tr '\t\n' ' ;' <"$WORK/round.out" | sed 's/OK secure match=[^;]*/OK/g')"
    expect_eq "round $r: crowd.test gets its policy" \
        "$(awk -F'\t' '$1 == "crowd.test" { print $3 }' "$WORK/round.out")" "$(secure crowd.test)"
done
note "healthy domains held up: $held of $((ROUNDS * 6)) lookups, in $held_rounds of $ROUNDS rounds; slowest ${worst} ms"
expect_eq "no healthy domain is held up by crowd.test's TCP lookup" "$held" 0

note "---- 2. a TCP lookup while a lookup under a black-holed zone is outstanding"
flush
"$PYTHON" "$LC" --socket "$SOCK" burst x1.hole.test >"$WORK/hole.out" &
hole_pid=$!
sleep 0.3
"$PYTHON" "$LC" --socket "$SOCK" burst crowd.test h1.test >"$WORK/burst.out"
note "$(cut -f 1,2 "$WORK/burst.out" | tr '\t\n' ' ;') (ms)"
burst_check "crowd.test gets its policy at once" crowd.test "$(secure crowd.test)"
burst_check "h1.test, asked with it, gets its policy at once" h1.test "$(secure h1.test)"
wait "$hole_pid"

note "---- 3. the resolver closes the idle TCP connection while a UDP lookup is in flight"
unbound_start 127.0.0.3 "tcp-idle-timeout: 300"
unbound_start 127.0.0.4 "do-tcp: no"
expect_eq "unbound truncates crowd.test over UDP" \
    "$(dns_query _mta-sts.crowd.test TXT 127.0.0.3 | sed -n 1p)" "NOERROR TC"
mtastsd_restart "${MTASTSD_FAST[@]}" dns_servers=127.0.0.3
# slow_burst SLOW: SLOW at 0 s, crowd.test at 1.2 s (SLOW's TXT lookup is
# then in its second try, its answer due at 2 s)
slow_burst() {
    flush
    "$PYTHON" "$LC" --socket "$SOCK" burst "$1" >"$WORK/slow.out" &
    local pid=$!
    sleep 1.2
    "$PYTHON" "$LC" --socket "$SOCK" burst crowd.test >"$WORK/burst.out"
    wait "$pid"
    note "$1: $(cut -f 2- "$WORK/slow.out"); crowd.test: $(cut -f 2- "$WORK/burst.out")"
}
log_mark
slow_burst slow.test
expect_eq "crowd.test gets its policy over TCP" "$(cut -f 3 "$WORK/burst.out")" "$(secure crowd.test)"
expect_eq "slow.test gets its policy: the closed TCP connection did not touch its lookup" \
    "$(cut -f 3 "$WORK/slow.out")" "$(secure slow.test)"
expect_log 'fetch slow\.test: ok'

note "---- 4. the resolver does not accept TCP"
mtastsd_restart "${MTASTSD_FAST[@]}" dns_servers=127.0.0.4
log_mark
slow_burst slow2.test
expect_eq "crowd.test cannot be had without TCP: NOTFOUND" "$(cut -f 3 "$WORK/burst.out")" "NOTFOUND "
expect_log 'fetch crowd\.test: dns-tempfail: connection refused'
expect_eq "slow2.test gets its policy: the refused TCP connection did not touch its lookup" \
    "$(cut -f 3 "$WORK/slow.out")" "$(secure slow2.test)"
expect_log 'fetch slow2\.test: ok'

mtastsd_stop
finish

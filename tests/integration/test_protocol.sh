#!/bin/bash
# test_protocol.sh - the socketmap front end (DESIGN section 2) spoken raw:
# pipelined requests, requests split into 1-byte writes, malformed and
# oversize frames (PERM, then the connection is closed; others are still
# served), clients vanishing mid-request, map names (mtasts,
# mtasts-tlsrpt, unknown -> PERM), and the mtasts-tlsrpt reply profile.
. "$(dirname "$0")/lib.sh"

world_domain p.test --txt 'v=STSv1; id=1' \
    --policy $'version: STSv1\nmode: enforce\nmx: mx.p.test\nmx: *.p.test\nmax_age: 86400\n'
world_domain ext.test --txt 'v=STSv1; id=1' \
    --policy $'version: STSv1\nmode:   enforce\nmx: mx.ext.test\nx-ext: {braced}\nmax_age: 86400\n'
world_start
mtastsd_start "${MTASTSD_FAST[@]}"

P='OK secure match=mx.p.test:.p.test servername=hostname'
expect_reply p.test "${P#OK }"

note "mtasts-tlsrpt profile"
expect_reply p.test "${P#OK } policy_type=sts policy_domain=p.test mx_host_pattern=mx.p.test mx_host_pattern=*.p.test { policy_string = version: STSv1 } { policy_string = mode: enforce } { policy_string = mx: mx.p.test } { policy_string = mx: *.p.test } { policy_string = max_age: 86400 }" mtasts-tlsrpt
expect_reply ext.test "secure match=mx.ext.test servername=hostname policy_type=sts policy_domain=ext.test mx_host_pattern=mx.ext.test { policy_string = version: STSv1 } { policy_string = mode: enforce } { policy_string = mx: mx.ext.test } { policy_string = max_age: 86400 }" mtasts-tlsrpt
expect_reply ext.test 'secure match=mx.ext.test servername=hostname'
expect_notfound nothing.test mtasts-tlsrpt

note "unknown map names"
log_mark
expect_perm p.test mtasts-other
expect_perm p.test MTASTS
expect_log 'unknown map name'
expect_eq "unknown map: connection stays open" \
    "$(smap_raw req:'nomap p.test' read req:'mtasts p.test' read | tr '\n' '|')" \
    "REPLY PERM unknown map name|REPLY $P|"

note "framing"
expect_eq "pipelined requests answered in order" \
    "$(smap_raw pipeline:3:'mtasts p.test' req:'mtasts nothing.test' read:4 | tr '\n' '|')" \
    "REPLY $P|REPLY $P|REPLY $P|REPLY NOTFOUND |"
expect_eq "1-byte writes" "$(smap_raw drip:'mtasts p.test' read)" "REPLY $P"
expect_eq "two requests in one write, split mid-frame" \
    "$(smap_raw raw:'13:mtasts p.test,13:mt' sleep:0.2 raw:'asts p.test,' read:2 | tr '\n' '|')" \
    "REPLY $P|REPLY $P|"
expect_eq "a request of 10000 bytes is accepted" \
    "$(smap_raw big:9993 read)" 'REPLY NOTFOUND '

bad() { # DESC ACTION...: expect PERM then close
    local out desc=$1
    shift
    out=$(smap_raw "$@" read eof | tr '\n' '|')
    case $out in
    'REPLY PERM '*'|CLOSED|') lib_result 0 "$desc -> PERM, close" ;;
    *) lib_result 1 "$desc -> PERM, close" "got '$out'" ;;
    esac
}
bad "oversize frame (10001 bytes)" big:9994
bad "huge length prefix" raw:'99999999999999999999:'
bad "length prefix over the limit" raw:'10001:'
bad "no digits" raw:'abc:'
bad "negative length" raw:'-1:x,'
bad "missing comma" raw:'13:mtasts p.test;'
bad "empty frame" raw:'0:,'
bad "no key" raw:'6:mtasts,'
bad "NUL in the length" raw:'1\x003:mtasts p.test,'
bad "space before the colon" raw:'13 :mtasts p.test,'
expect_eq "a good request after a bad one on a new connection" "$(smap_raw req:'mtasts p.test' read)" "REPLY $P"

note "clients that vanish"
for act in raw:'13:mtasts p' raw:'13' req:'mtasts p.test'; do
    smap_raw "$act" close >/dev/null
done
smap_raw raw:'5' shut eof >/dev/null
expect_true "daemon alive" mtastsd_alive
expect_reply p.test "${P#OK }"

note "idle and slow clients do not block others"
smap_raw raw:'13:mtasts' sleep:3 close >/dev/null &
slow=$!
expect_reply p.test "${P#OK }"
wait "$slow"

note "many connections"
pids=()
for i in $(seq 1 50); do
    smap_raw req:'mtasts p.test' read >"$WORK/conn.$i" &
    pids+=($!)
done
wait "${pids[@]}"
n=$(cat "$WORK"/conn.* | grep -c -x -F "REPLY $P")
expect_eq "50 connections at once answered" "$n" 50

mtastsd_stop
finish

#!/bin/bash
# test_dns_https.sh - the dns (c-ares) and https (libcurl) adapters against
# real servers, through tests/tools/mtastsd-probe: TXT joining and
# counting, NXDOMAIN / NODATA / SERVFAIL / REFUSED / timeout / refused
# port, truncation to TCP, A+AAAA, MX through dns_mx_sec() (null MX,
# the CNAME followed, too many),
# oversize answers; HTTPS success and every failure class (redirect,
# status, media type, certificates, TLS version, oversize bodies with and
# without Content-Length, stalls, resets, refused port), cancellation,
# proxy variables being ignored; and https_inspect() (the owner's check):
# TLS version, certificate names, issuer and expiry, Location, media type,
# and the unverified second handshake that sends no request.
#
# Every probe run must exit 0 (ASan/LSan reports make it fail), and its
# result line is asserted on status (and more where it is deterministic).
. "$(dirname "$0")/lib.sh"

PROBE=${MTASTSD_PROBE:-$top_builddir/tests/tools/mtastsd-probe}
[ -x "$PROBE" ] || die "probe $PROBE not found (make tests/tools/mtastsd-probe)"

POLICY_ONE=$(printf 'version: STSv1\nmode: enforce\nmx: mx.one.test\nmax_age: 86400\n')

# --- DNS world
world_domain one.test --txt 'v=STSv1; id=1'
world_mx one.test mx1.one.test 20
world_mx one.test mx2.one.test 10
world_domain split.test --txt-raw '"v=STSv1;"," id=3"'
world_domain two.test --txt 'v=STSv1; id=1' --txt 'v=STSv1; id=2'
world_domain alias.test --txt-cname _mta-sts.target.test
world_txt_at _mta-sts.target.test 'v=STSv1; id=cname'
world_domain noaddr.test --txt 'v=STSv1; id=1' --no-addr
world_domain servfail.test --txt 'v=STSv1; id=1' --dns servfail
world_domain flaky.test --txt 'v=STSv1; id=flaky' --dns ok
world_domain trunc.test --txt 'v=STSv1; id=tc' --dns truncate
# --- HTTPS world
world_domain redir.test --txt 'v=STSv1; id=1' --redirect https://mta-sts.one.test/.well-known/mta-sts.txt
world_domain notfound.test --txt 'v=STSv1; id=1' --status 404
world_domain broken.test --txt 'v=STSv1; id=1' --status 500
world_domain html.test --txt 'v=STSv1; id=1' --ctype text/html
world_domain plainx.test --txt 'v=STSv1; id=1' --ctype text/plainx
world_domain params.test --txt 'v=STSv1; id=1' --ctype 'TEXT/Plain; charset=utf-8'
world_domain wrongname.test --txt 'v=STSv1; id=1' --cert wrongname
world_domain expired.test --txt 'v=STSv1; id=1' --cert expired
world_domain notyet.test --txt 'v=STSv1; id=1' --cert notyet
world_domain untrusted.test --txt 'v=STSv1; id=1' --cert untrusted
for mode in ok redirect stall stall-handshake drip endless-headers oversize oversize-cl \
    chunked-oversize truncated reset plain-http tls11 http10; do
    world_domain "h-$mode.test" --txt 'v=STSv1; id=1' --hostile "$mode" \
        --redirect https://mta-sts.one.test/.well-known/mta-sts.txt
done
world_start

# A second DNS server (slow_dns.py on its own port, always "truncate", so
# every answer comes over TCP) for what world_domain cannot declare: AAAA
# records, an oversize TXT record and too many TXT records.
X=$WORK/xdns
mkdir -p "$X"
python3 - >"$X/records.json" <<'EOF2'
import json
print(json.dumps({
    "mta-sts.one.test": {"A": ["127.0.0.1"], "AAAA": ["::1"]},
    "mta-sts.v6.test": {"AAAA": ["::1"]},
    "_mta-sts.long.test": {"TXT": [["v=STSv1; " + "a" * 246] + ["b" * 255] * 16]},
    "_mta-sts.many.test": {"TXT": [["v=STSv1; id=%d" % i] for i in range(70)]},
    # 300 records, the one STS record in the middle: none may be dropped
    "_mta-sts.crowd.test": {"TXT": [["other-%03d" % i] for i in range(150)] + [["v=STSv1; id=c"]]
                            + [["other-%03d" % i] for i in range(150, 300)]},
    "nullmx.test": {"MX": [[0, "."]]},
    "manymx.test": {"MX": [[i, "mx%d.manymx.test" % i] for i in range(70)]},
    "mxtarget.test": {"MX": [[5, "mx.mxtarget.test"]]},
    "mxalias.test": {"CNAME": "mxtarget.test"},
}))
EOF2
python3 "$LIB_DIR/slow_dns.py" --addr 127.0.0.1 --port 5353 --records "$X/records.json" \
    --mode truncate --log "$X/queries.log" 2>>"$X/stderr" &
lib_track "$!"
wait_for 10 lib_port_open 127.0.0.1 5353 || die "second DNS server did not come up: $(cat "$X/stderr")"

# run DESC [probe args...]: sets OUT (the result line), RC, ST (status)
run() {
    OUT=$("$PROBE" -s 127.0.0.1 -c "$CA_FILE" -t 1000 -C 1500 -T 3000 "$@" 2>>"$WORK/probe.err")
    RC=$?
    ST=$(printf '%s\n' "$OUT" | sed -n 's/^status=\([^ ]*\).*/\1/p')
    note "probe $*: $(printf '%s' "$OUT" | tr '\n' ' ' | cut -c 1-200)"
}

# check DESC WANT_STATUS probe-args...: status and exit code 0
check() {
    local desc=$1 want=$2
    shift 2
    run "$@"
    if [ "$RC:$ST" = "0:$want" ]; then
        lib_result 0 "$desc: $want"
    else
        lib_result 1 "$desc: $want" "rc=$RC out=$OUT err=$(tail -n 3 "$WORK/probe.err")"
    fi
}

# check_line DESC WANT_LINE probe-args...: the whole result line
check_line() {
    local desc=$1 want=$2
    shift 2
    run "$@"
    expect_eq "$desc" "$RC:$OUT" "0:$want"
}

# elapsed_lt SECONDS CMD...: the probe run finishes within SECONDS
T0=0
t_start() { T0=$(date +%s.%N); }
t_within() { # DESC MAX_SECONDS
    expect_true "$1 (within $2 s)" python3 -c "import sys,time; sys.exit(time.time() - $T0 >= $2)"
}
t_atleast() { # DESC MIN_SECONDS
    expect_true "$1 (after at least $2 s)" python3 -c "import sys,time; sys.exit(time.time() - $T0 < $2)"
}
rrs_sorted() { printf '%s\n' "$OUT" | grep -o 'rr="[^"]*"' | sort | tr '\n' ' '; }

note "---- DNS: TXT"
check_line "TXT, one record" \
    'status=OK n=1 oversize=0 rr="v=STSv1; id=1" detail="1 record"' txt _mta-sts.one.test
check_line "TXT, trailing dot accepted" \
    'status=OK n=1 oversize=0 rr="v=STSv1; id=1" detail="1 record"' txt _mta-sts.one.test.
check_line "TXT, two strings joined without separator" \
    'status=OK n=1 oversize=0 rr="v=STSv1; id=3" detail="1 record"' txt _mta-sts.split.test
check "TXT, two records" OK txt _mta-sts.two.test
expect_eq "TXT, two records: n and both records" "$(printf '%s' "$OUT" | grep -o 'n=[0-9]*') $(rrs_sorted)" \
    'n=2 rr="v=STSv1; id=1" rr="v=STSv1; id=2" '
check_line "TXT behind a CNAME" \
    'status=OK n=1 oversize=0 rr="v=STSv1; id=cname" detail="1 record"' txt _mta-sts.alias.test
check_line "TXT, NXDOMAIN" 'status=NODATA n=0 oversize=0 detail="NXDOMAIN"' txt _mta-sts.nothing.test
check_line "TXT, NODATA (name has only an A record)" \
    'status=NODATA n=0 oversize=0 detail="no records"' txt mta-sts.one.test
check_line "TXT, SERVFAIL through dnsmasq" \
    'status=TEMPFAIL n=0 oversize=0 detail="SERVFAIL"' txt _mta-sts.servfail.test
FLAKY="127.0.0.1:${SLOWDNS_PORT[flaky.test]}"
check_line "TXT, direct from slow_dns (ok)" \
    'status=OK n=1 oversize=0 rr="v=STSv1; id=flaky" detail="1 record"' -s "$FLAKY" txt _mta-sts.flaky.test
world_set_dns_mode flaky.test servfail
check_line "TXT, SERVFAIL direct" 'status=TEMPFAIL n=0 oversize=0 detail="SERVFAIL"' \
    -s "$FLAKY" txt _mta-sts.flaky.test
world_set_dns_mode flaky.test refused
check_line "TXT, REFUSED" 'status=TEMPFAIL n=0 oversize=0 detail="REFUSED"' \
    -s "$FLAKY" txt _mta-sts.flaky.test
world_set_dns_mode flaky.test drop
t_start
check_line "TXT, server never answers" 'status=TEMPFAIL n=0 oversize=0 detail="timeout"' \
    -s "$FLAKY" -t 300 txt _mta-sts.flaky.test
t_within "timeout honours -t 300 (two tries)" 3
world_set_dns_mode flaky.test delay:1
t_start
check_line "TXT, slow answer inside the timeout" \
    'status=OK n=1 oversize=0 rr="v=STSv1; id=flaky" detail="1 record"' \
    -s "$FLAKY" -t 3000 txt _mta-sts.flaky.test
t_atleast "slow answer really was slow" 0.9
world_set_dns_mode flaky.test ok
check_line "TXT, nothing listens on the port" \
    'status=TEMPFAIL n=0 oversize=0 detail="connection refused"' -s 127.0.0.1:5999 txt _mta-sts.one.test
check_line "TXT, truncated over UDP, retried over TCP" \
    'status=OK n=1 oversize=0 rr="v=STSv1; id=tc" detail="1 record"' txt _mta-sts.trunc.test
check "TXT, one record of 4326 bytes (over TCP)" OK -s 127.0.0.1:5353 txt _mta-sts.long.test
expect_eq "oversize record is flagged and cut at 4097 bytes (one more than a record may hold)" \
    "$(printf '%s' "$OUT" | grep -o 'n=[0-9]* oversize=[01]') $(printf '%s' "$OUT" | grep -o 'rr="[^"]*"' | wc -c)" \
    "n=1 oversize=1 $((4097 + 6))"
check "TXT, 70 records (over TCP)" OK -s 127.0.0.1:5353 txt _mta-sts.many.test
expect_eq "all 70 records passed, none dropped" \
    "$(printf '%s' "$OUT" | grep -o 'n=[0-9]* oversize=[01]') $(printf '%s' "$OUT" | grep -o 'rr="' | wc -l)" \
    "n=70 oversize=0 70"
check "TXT, 301 records (over TCP)" OK -s 127.0.0.1:5353 txt _mta-sts.crowd.test
expect_eq "the STS record among 300 others is passed" \
    "$(printf '%s' "$OUT" | grep -o 'n=[0-9]* oversize=[01]') $(printf '%s' "$OUT" | grep -c 'rr="v=STSv1; id=c"')" \
    "n=301 oversize=0 1"
check_line "TXT, empty name" 'status=NODATA n=0 oversize=0 detail="bad name"' txt ''
check_line "TXT, name with a space" 'status=NODATA n=0 oversize=0 detail="bad name"' txt '_mta-sts.one .test'
check_line "TXT, name with a c-ares escape" 'status=NODATA n=0 oversize=0 detail="bad name"' \
    txt '_mta-sts\.one.test'
check_line "TXT, empty label" 'status=NODATA n=0 oversize=0 detail="bad name"' txt '_mta-sts..one.test'
check_line "TXT, cancelled: no callback" 'status=CANCELLED callbacks=0' -x txt _mta-sts.one.test
check_line "TXT, cancelled while the server is silent" 'status=CANCELLED callbacks=0' \
    -s "$FLAKY" -x txt _mta-sts.flaky.test

note "---- DNS: reconfiguration"
check "new servers apply to the next query" OK -r 127.0.0.1:5353 txt _mta-sts.many.test
check_line "a running query ends on the old servers" \
    'status=OK n=1 oversize=0 rr="v=STSv1; id=1" detail="1 record"' -R 127.0.0.1:5353 txt _mta-sts.one.test
run -r 'not-an-address' txt _mta-sts.one.test
expect_eq "a bad server list is refused and the old one kept" \
    "$RC $(printf '%s\n' "$OUT" | grep -c '^reconfigure=failed') $ST" "0 1 OK"

note "---- DNS: addresses"
check_line "A only" 'status=OK n=1 addr=127.0.0.1 detail="1 address"' addr mta-sts.one.test
check_line "A and AAAA" 'status=OK n=2 addr=127.0.0.1 addr=::1 detail="2 addresses"' \
    -s 127.0.0.1:5353 addr mta-sts.one.test
check_line "AAAA only" 'status=OK n=1 addr=::1 detail="1 address"' -s 127.0.0.1:5353 addr mta-sts.v6.test
check_line "no address: NXDOMAIN" 'status=NODATA n=0 detail="A: NXDOMAIN, AAAA: NXDOMAIN"' \
    addr mta-sts.noaddr.test
check "address lookup, SERVFAIL" TEMPFAIL addr mta-sts.servfail.test
check_line "address lookup cancelled" 'status=CANCELLED callbacks=0' -x addr mta-sts.one.test

note "---- DNS: MX through dns_mx_sec() (the owner's check and suggest use it)"
# mx_line: status, n, oversize, the CNAME target, the records as PREF/HOST
# sorted (the answer's order and TTLs are the server's), and the detail
mx_line() {
    printf '%s' "$(printf '%s\n' "$OUT" | grep -o '^status=[A-Z]*\|\bn=[0-9]*\|oversize=[01]\|cname=[^ ]*' | tr '\n' ' ')"
    printf '%s\n' "$OUT" | grep -o 'rr=MX/[0-9]*/[^ ]*' | sed 's#^rr=MX/[0-9]*/##' | sort -n | tr '\n' ' '
    printf '%s\n' "$OUT" | grep -o 'detail=.*'
}
check "MX, two records" OK mx-sec one.test
expect_eq "MX, two records: both, no AD from dnsmasq" "$(mx_line)" \
    'status=OK oversize=0 n=2 cname=one.test 10/mx2.one.test 20/mx1.one.test detail="2 records"'
check "MX, trailing dot accepted" OK mx-sec one.test.
expect_eq "MX, trailing dot: same answer" "$(mx_line)" \
    'status=OK oversize=0 n=2 cname=one.test 10/mx2.one.test 20/mx1.one.test detail="2 records"'
check "MX, NXDOMAIN" NODATA mx-sec nothing.test
expect_eq "MX, NXDOMAIN: flagged" "$(printf '%s' "$OUT" | grep -o 'nxdomain=[01]') $(mx_line)" \
    'nxdomain=1 status=NODATA oversize=0 n=0 cname=nothing.test detail="NXDOMAIN"'
check "MX, NODATA (name has only an A record)" NODATA mx-sec mta-sts.one.test
expect_eq "MX, NODATA: the name exists" "$(printf '%s' "$OUT" | grep -o 'nxdomain=[01]')" 'nxdomain=0'
check "MX, null MX (RFC 7505)" OK -s 127.0.0.1:5353 mx-sec nullmx.test
expect_eq "MX, null MX: exchange \".\"" "$(mx_line)" \
    'status=OK oversize=0 n=1 cname=nullmx.test 0/. detail="1 record"'
check "MX behind a CNAME" OK -s 127.0.0.1:5353 mx-sec mxalias.test
expect_eq "MX behind a CNAME: the target is named" "$(mx_line)" \
    'status=OK oversize=0 n=1 cname=mxtarget.test 5/mx.mxtarget.test detail="1 record"'
check "MX, 70 records (over TCP)" OK -s 127.0.0.1:5353 mx-sec manymx.test
expect_eq "MX, 70 records: the first 32 kept, flagged oversize" \
    "$(printf '%s' "$OUT" | grep -o ' n=[0-9]* \|oversize=[01]' | tr -d ' ' | tr '\n' ' ')$(printf '%s' "$OUT" | grep -o 'rr=MX/' | wc -l)" \
    'oversize=1 n=32 32'
world_set_dns_mode flaky.test servfail
check "MX, SERVFAIL" TEMPFAIL -s "$FLAKY" mx-sec flaky.test
expect_eq "MX, SERVFAIL: said" "$(mx_line)" 'status=TEMPFAIL oversize=0 n=0 cname=flaky.test detail="SERVFAIL"'
world_set_dns_mode flaky.test ok
check "MX, bad name" NODATA mx-sec 'one .test'
expect_eq "MX, bad name: said" "$(printf '%s' "$OUT" | grep -o 'detail=.*')" 'detail="bad name"'
check_line "MX, cancelled: no callback" 'status=CANCELLED callbacks=0' -x mx-sec one.test

note "---- HTTPS: success"
want_ok="status=OK code=200 len=${#POLICY_ONE}"
check "fetch from nginx" OK fetch mta-sts.one.test
expect_eq "fetch: code, length and body" "${OUT%% detail=*}" \
    "$want_ok body=\"${POLICY_ONE//$'\n'/\\x0a}\""
check "fetch over a dual-stack name (::1 refuses, 127.0.0.1 serves)" OK \
    -s 127.0.0.1:5353 fetch mta-sts.one.test
check "Content-Type with other case and parameters" OK fetch mta-sts.params.test
check "hostile server in 'ok' mode" OK fetch mta-sts.h-ok.test
check "HTTP/1.0 without Content-Length" OK fetch mta-sts.h-http10.test
https_proxy=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 ALL_PROXY=http://127.0.0.1:9 \
    check "proxy environment variables are ignored" OK fetch mta-sts.one.test
n0=$(world_fetch_count one.test)
run fetch mta-sts.one.test
expect_eq "one fetch is one GET with SNI mta-sts.one.test" "$(world_fetch_count one.test)" "$((n0 + 1))"
check "body exactly at max_body" OK -m "${#POLICY_ONE}" fetch mta-sts.one.test

note "---- HTTPS: failures"
check "redirect (nginx 301)" ERR_REDIRECT fetch mta-sts.redir.test
expect_true "redirect: code 301 reported" grep -q 'code=301' <<<"$OUT"
check "redirect (hostile 301)" ERR_REDIRECT fetch mta-sts.h-redirect.test
check "404" ERR_STATUS fetch mta-sts.notfound.test
expect_true "404: code reported" grep -q 'code=404' <<<"$OUT"
check "500" ERR_STATUS fetch mta-sts.broken.test
check "text/html" ERR_MEDIA_TYPE fetch mta-sts.html.test
check "text/plainx" ERR_MEDIA_TYPE fetch mta-sts.plainx.test
check "certificate for another name" ERR_CERT fetch mta-sts.wrongname.test
check "expired certificate" ERR_CERT fetch mta-sts.expired.test
check "certificate not yet valid" ERR_CERT fetch mta-sts.notyet.test
check "certificate from an untrusted CA" ERR_CERT fetch mta-sts.untrusted.test
check "trusted only through -c: another CA file" ERR_CERT -c "$OTHER_CA_FILE" fetch mta-sts.one.test
check "TLS 1.1 only server" ERR_TLS fetch mta-sts.h-tls11.test
check "plain HTTP on the TLS port" ERR_TLS fetch mta-sts.h-plain-http.test
check "body over max_body, honest Content-Length" ERR_TOO_LARGE fetch mta-sts.h-oversize-cl.test
check "body over max_body, no Content-Length" ERR_TOO_LARGE fetch mta-sts.h-oversize.test
check "body over max_body, chunked" ERR_TOO_LARGE fetch mta-sts.h-chunked-oversize.test
check "nginx policy over a small max_body (Content-Length)" ERR_TOO_LARGE -m 20 fetch mta-sts.one.test
check "HTTP/1.0 policy over a small max_body (no Content-Length)" ERR_TOO_LARGE \
    -m 20 fetch mta-sts.h-http10.test
check "body shorter than Content-Length" ERR_OTHER fetch mta-sts.h-truncated.test
check "connection reset after the request" ERR_CONNECT fetch mta-sts.h-reset.test
t_start
check "server stalls after the request" ERR_TIMEOUT -T 1500 fetch mta-sts.h-stall.test
t_within "stall ends at the total timeout" 4
t_start
check "server never starts TLS" ERR_TIMEOUT -C 1000 -T 10000 fetch mta-sts.h-stall-handshake.test
t_within "handshake stall ends at the connect timeout" 4
t_start
check "body dripping one byte a second" ERR_TIMEOUT -T 1500 fetch mta-sts.h-drip.test
t_within "drip ends at the total timeout" 4
t_start
check "endless header lines" ERR_TIMEOUT -T 1500 fetch mta-sts.h-endless-headers.test
t_within "endless headers end at the total timeout" 4
check "nothing listens on the port" ERR_CONNECT -p 8443 fetch mta-sts.one.test
check "IPv6-only name, nothing listens on ::1" ERR_CONNECT -s 127.0.0.1:5353 fetch mta-sts.v6.test
check "no address for the policy host" DNS_NODATA fetch mta-sts.noaddr.test
check "get with given addresses, no DNS" OK get mta-sts.one.test 192.0.2.1,127.0.0.1
check "get: host name with a path in it" ERR_OTHER get 'mta-sts.one.test/x' 127.0.0.1
check "get: host name with a colon" ERR_OTHER get 'mta-sts.one.test:1' 127.0.0.1
check "get: no numeric address" ERR_CONNECT get mta-sts.one.test 'localhost,127.0.0.1:443'
check_line "fetch cancelled: no callback" 'status=CANCELLED callbacks=0' -x fetch mta-sts.h-stall.test

note "---- HTTPS: inspection (mtastsd-ctl check)"
# field NAME: the value of NAME=... in $OUT (quotes kept)
field() { printf '%s\n' "$OUT" | grep -o " $1=\(\"[^\"]*\"\|[^ ]*\)" | head -n 1 | cut -d= -f2-; }
check "inspect: a good policy host" OK inspect mta-sts.one.test 127.0.0.1
expect_eq "inspect: what it saw" \
    "$(field code) $(field ctype) $(field address) $(field tls) $(field names) $(field issuer) $(field chain)" \
    '200 "text/plain" 127.0.0.1 "TLSv1.3" "mta-sts.one.test" "CN=mtastsd test CA main" 1'
expect_true "inspect: the body, as https_get gives it" grep -q 'body="version: STSv1' <<<"$OUT"
expect_true "inspect: times are measured" python3 -c "import sys; t=int(sys.argv[1]); sys.exit(not 0 <= t < 3000)" "$(field total_ms)"
check "inspect: redirect" ERR_REDIRECT inspect mta-sts.redir.test 127.0.0.1
expect_eq "inspect: the Location is reported, not followed" \
    "$(field location) $(field code)" '"https://mta-sts.one.test/.well-known/mta-sts.txt" 301'
check "inspect: wrong media type" ERR_MEDIA_TYPE inspect mta-sts.html.test 127.0.0.1
expect_eq "inspect: the Content-Type as sent" "$(field ctype)" '"text/html"'
check "inspect: oversize body with Content-Length" ERR_TOO_LARGE inspect mta-sts.h-oversize-cl.test "$(world_addr h-oversize-cl.test)"
check "inspect: expired certificate, as https_get" ERR_CERT inspect mta-sts.expired.test 127.0.0.1
expect_eq "inspect: no session facts when verification fails" "$(field tls)" "-"
n0=$(world_fetch_count expired.test)
check "handshake: expired certificate" OK handshake mta-sts.expired.test 127.0.0.1
expect_eq "handshake: its names and expiry (2020-01-02)" "$(field names) $(field not_after)" \
    '"mta-sts.expired.test" 1577923200'
expect_eq "handshake: no request is sent" "$(world_fetch_count expired.test)" "$n0"
check "handshake: certificate for another name" OK handshake mta-sts.wrongname.test 127.0.0.1
expect_eq "handshake: the other name" "$(field names)" '"wrong.mta-sts.wrongname.test.invalid"'
check "handshake: untrusted CA" OK handshake mta-sts.untrusted.test 127.0.0.1
expect_eq "handshake: the untrusted issuer" "$(field issuer)" '"CN=mtastsd test CA other"'
check "handshake: server never starts TLS" ERR_TIMEOUT -C 1000 -T 1500 handshake mta-sts.h-stall-handshake.test "$(world_addr h-stall-handshake.test)"
check "inspect: stall after the request" ERR_TIMEOUT -T 1500 inspect mta-sts.h-stall.test "$(world_addr h-stall.test)"
expect_eq "inspect: the session was read before the stall" "$(field tls)" '"TLSv1.3"'
check_line "inspect cancelled: no callback" 'status=CANCELLED callbacks=0' -x inspect mta-sts.h-stall.test 127.0.0.1

finish

#!/bin/bash
# test_world.sh - the integration world on its own, without the daemon:
# DNS answers (dnsmasq and slow_dns.py), HTTPS answers (nginx, test CA,
# bad certificates), the hostile HTTPS servers, mid-test changes, and the
# query helpers of lib.sh against a canned socketmap server (fake_smap.py),
# so that every other test_*.sh runs on a world known to be right.
. "$(dirname "$0")/lib.sh"

world_domain good.test --txt 'v=STSv1; id=1'
world_domain two.test --txt 'v=STSv1; id=1' --txt 'v=STSv1; id=2'
world_domain split.test --txt-raw '"v=STSv1;"," id=3"'
world_domain alias.test --txt-cname _mta-sts.target.test
world_txt_at _mta-sts.target.test 'v=STSv1; id=cname'
world_domain noaddr.test --txt 'v=STSv1; id=1' --no-addr
world_domain own.test --txt 'v=STSv1; id=1' --addr 127.0.0.7
world_domain wrongname.test --txt 'v=STSv1; id=1' --cert wrongname
world_domain expired.test --txt 'v=STSv1; id=1' --cert expired
world_domain notyet.test --txt 'v=STSv1; id=1' --cert notyet
world_domain untrusted.test --txt 'v=STSv1; id=1' --cert untrusted
world_domain status.test --txt 'v=STSv1; id=1' --status 404
world_domain redir.test --txt 'v=STSv1; id=1' --redirect https://mta-sts.good.test/.well-known/mta-sts.txt
world_domain html.test --txt 'v=STSv1; id=1' --ctype text/html
world_domain servfail.test --txt 'v=STSv1; id=1' --dns servfail
world_domain trunc.test --txt 'v=STSv1; id=tc' --dns truncate
world_domain slowdns.test --txt 'v=STSv1; id=slow' --dns delay:1.5
for mode in redirect stall stall-handshake drip endless-headers oversize oversize-cl \
    chunked-oversize truncated reset reset-handshake plain-http tls11 http10 ok; do
    world_domain "h-$mode.test" --txt 'v=STSv1; id=1' --hostile "$mode" \
        --redirect https://mta-sts.good.test/.well-known/mta-sts.txt
done
world_start

# ------------------------------------------------------------------ DNS
txt() { dns_query "_mta-sts.$1" TXT | tail -n +2 | sort | tr '\n' '|'; }
rcode() { DNS_QUERY_TIMEOUT=1 dns_query "$1" "${2:-A}" "${3:-127.0.0.1}" | head -n 1; }

expect_eq "TXT of good.test" "$(txt good.test)" '"v=STSv1; id=1"|'
expect_eq "two TXT records" "$(txt two.test)" '"v=STSv1; id=1"|"v=STSv1; id=2"|'
expect_eq "one record, two strings" "$(txt split.test)" '"v=STSv1;" " id=3"|'
expect_eq "CNAME then TXT" "$(txt alias.test)" '"v=STSv1; id=cname"|CNAME _mta-sts.target.test|'
expect_eq "A of mta-sts.good.test" "$(dns_query mta-sts.good.test A | sed -n 2p)" 127.0.0.1
expect_eq "A of mta-sts.own.test" "$(dns_query mta-sts.own.test A | sed -n 2p)" 127.0.0.7
expect_eq "A of a hostile host is its own address" \
    "$(dns_query mta-sts.h-stall.test A | sed -n 2p)" "$(world_addr h-stall.test)"
expect_eq "--no-addr: NXDOMAIN" "$(rcode mta-sts.noaddr.test)" NXDOMAIN
expect_eq "undeclared .test name: NXDOMAIN" "$(rcode _mta-sts.nothing.test TXT)" NXDOMAIN
expect_eq "undeclared other TLD: NXDOMAIN, nothing forwarded" "$(rcode _mta-sts.example.com TXT)" NXDOMAIN
expect_eq "no TXT at the domain itself (NODATA or NXDOMAIN)" "$(dns_query good.test TXT | sed -n 2p)" ""
expect_eq "--dns servfail through dnsmasq" "$(rcode _mta-sts.servfail.test TXT)" SERVFAIL
expect_eq "--dns truncate: TC over UDP (direct)" \
    "$(rcode _mta-sts.trunc.test TXT "127.0.0.1:${SLOWDNS_PORT[trunc.test]}")" "NOERROR TC"
expect_eq "--dns truncate: answer over TCP (direct)" \
    "$(dns_query _mta-sts.trunc.test TXT "127.0.0.1:${SLOWDNS_PORT[trunc.test]}" tcp | tail -n +2)" '"v=STSv1; id=tc"'
expect_eq "--dns truncate: dnsmasq passes TC on" "$(rcode _mta-sts.trunc.test TXT)" "NOERROR TC"
expect_eq "--dns truncate: TCP through dnsmasq" \
    "$(dns_query _mta-sts.trunc.test TXT 127.0.0.1 tcp | tail -n +2)" '"v=STSv1; id=tc"'
t0=$(date +%s.%N)
expect_eq "--dns delay:1.5 answers" "$(txt slowdns.test)" '"v=STSv1; id=slow"|'
expect_true "--dns delay:1.5 takes >= 1.4 s" \
    "$PYTHON" -c "import sys,time; sys.exit(time.time() - $t0 < 1.4)"
world_set_dns_mode slowdns.test drop
expect_eq "--dns drop: no answer" "$(rcode _mta-sts.slowdns.test TXT "127.0.0.1:${SLOWDNS_PORT[slowdns.test]}")" TIMEOUT
world_set_dns_mode slowdns.test refused
expect_eq "--dns refused" "$(rcode _mta-sts.slowdns.test TXT "127.0.0.1:${SLOWDNS_PORT[slowdns.test]}")" REFUSED
world_set_dns_mode slowdns.test ok
world_set_txt slowdns.test 'v=STSv1; id=changed'
expect_eq "world_set_txt on a --dns domain" "$(txt slowdns.test)" '"v=STSv1; id=changed"|'

n0=$(world_dns_queries good.test)
dns_query _mta-sts.good.test TXT >/dev/null
expect_eq "world_dns_queries counts a query" "$(world_dns_queries good.test)" "$((n0 + 1))"

world_set_txt good.test 'v=STSv1; id=2'
expect_eq "world_set_txt changes the id" "$(txt good.test)" '"v=STSv1; id=2"|'
world_set_txt good.test
expect_eq "world_set_txt with no text removes the record" "$(dns_query _mta-sts.good.test TXT | sed -n 2p)" ""
world_set_txt good.test 'v=STSv1; id=1'
world_dns_stop
expect_eq "world_dns_stop: DNS is down" "$(rcode _mta-sts.good.test TXT)" TIMEOUT
world_dns_start
expect_eq "world_dns_start: DNS is back" "$(txt good.test)" '"v=STSv1; id=1"|'

# ------------------------------------------------------------------ PKI
pki_cert expired mta-sts.expired.test
expect_true "expired cert ends in 2020" grep -q 'Jan  2 00:00:00 2020 GMT' \
    <(openssl x509 -in "$PKI_CERT" -noout -enddate)
pki_cert untrusted mta-sts.untrusted.test
expect_false "untrusted cert does not verify against CA_FILE" \
    openssl verify -CAfile "$CA_FILE" "$PKI_CERT"
expect_true "untrusted cert verifies against its own CA" \
    openssl verify -CAfile "$OTHER_CA_FILE" "$PKI_CERT"

# ------------------------------------------------------------------ HTTPS
default_policy=$(printf 'version: STSv1\nmode: enforce\nmx: mx.good.test\nmax_age: 86400')
expect_eq "good.test policy body" "$(https_get good.test)" "$default_policy"
expect_eq "good.test Content-Type" "$(https_get good.test -o /dev/null -w '%{content_type}')" text/plain
expect_eq "own address serves its policy" "$(https_get own.test | sed -n 3p)" "mx: mx.own.test"
for d in wrongname expired notyet untrusted; do
    https_get "$d.test" -o /dev/null 2>/dev/null
    expect_eq "$d cert: curl refuses (60)" "$?" 60
done
expect_eq "untrusted cert passes with the other CA" \
    "$(https_get untrusted.test --cacert "$OTHER_CA_FILE" | sed -n 1p)" "version: STSv1"
expect_eq "--status 404" "$(https_get status.test -o /dev/null -w '%{http_code}')" 404
expect_eq "--redirect: 301" "$(https_get redir.test -o /dev/null -w '%{http_code}')" 301
expect_eq "--redirect: Location" "$(https_get redir.test -o /dev/null -w '%{redirect_url}')" \
    https://mta-sts.good.test/.well-known/mta-sts.txt
expect_eq "--ctype text/html" "$(https_get html.test -o /dev/null -w '%{content_type}')" text/html
expect_eq "another path: 404" "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA_FILE" \
    --resolve mta-sts.good.test:443:127.0.0.1 https://mta-sts.good.test/)" 404

n0=$(world_fetch_count good.test)
https_get good.test >/dev/null
https_get good.test >/dev/null
expect_eq "world_fetch_count counts GETs" "$(world_fetch_count good.test)" "$((n0 + 2))"
world_set_policy good.test $'version: STSv1\nmode: testing\nmx: *.good.test\nmax_age: 600\n'
expect_eq "world_set_policy takes effect at once" "$(https_get good.test | sed -n 2p)" "mode: testing"
world_https_stop
https_get good.test -o /dev/null 2>/dev/null
expect_eq "world_https_stop: connection refused (7)" "$?" 7
world_https_start
expect_eq "world_https_start: serving again" "$(https_get good.test | sed -n 2p)" "mode: testing"

# ------------------------------------------------------------------ hostile
hget() { # MODE [curl args]: prints curl's exit status
    local m=$1
    shift
    https_get "h-$m.test" -o "$WORK/hget.out" --max-time 1.5 "$@" 2>/dev/null
    echo $?
}
expect_eq "hostile ok: 200" "$(https_get h-ok.test | sed -n 1p)" "version: STSv1"
expect_eq "hostile ok: fetch counted" "$(world_fetch_count h-ok.test)" 1
expect_eq "hostile redirect: 301" "$(https_get h-redirect.test -o /dev/null -w '%{http_code}')" 301
expect_eq "hostile stall: timeout (28)" "$(hget stall)" 28
expect_eq "hostile stall-handshake: timeout (28)" "$(hget stall-handshake)" 28
expect_eq "hostile drip: timeout (28)" "$(hget drip)" 28
expect_true "hostile drip: some body bytes arrived" test -s "$WORK/hget.out"
expect_ne "hostile endless-headers: fails" "$(hget endless-headers)" 0
expect_eq "hostile oversize: 1 MiB without Content-Length" \
    "$(https_get h-oversize.test -D - -o /dev/null | grep -ci '^content-length')" 0
expect_true "hostile oversize: body > 64 KiB" test "$(https_get h-oversize.test | wc -c)" -gt 65536
expect_eq "hostile oversize: body is policy + valid lines" "$(https_get h-oversize.test | sed -n '5p' | cut -c1-7)" "x-pad: "
expect_eq "hostile oversize-cl: Content-Length 1 MiB" \
    "$(https_get h-oversize-cl.test -o /dev/null -w '%{size_download}')" 1048576
expect_true "hostile chunked-oversize: > 64 KiB" test "$(https_get h-chunked-oversize.test --max-time 5 2>/dev/null | head -c 100000 | wc -c)" -eq 100000
expect_eq "hostile truncated: partial file (18)" "$(hget truncated)" 18
expect_ne "hostile reset: fails" "$(hget reset)" 0
expect_ne "hostile reset-handshake: fails" "$(hget reset-handshake)" 0
expect_eq "hostile plain-http: TLS error (35)" "$(hget plain-http)" 35
expect_ne "hostile tls11: refused by a TLS >= 1.2 client" "$(hget tls11)" 0
expect_eq "hostile http10: 200 without length" "$(https_get h-http10.test | sed -n 1p)" "version: STSv1"

# ------------------------------------------------------------------ helpers
"$PYTHON" "$LIB_DIR/fake_smap.py" --socket "$SOCK" \
    --reply 'mtasts good.test=OK secure match=mx.good.test servername=hostname' \
    --reply 'mtasts temp.test=TEMP dns down' \
    --reply 'mtasts-x perm.test=PERM unknown map name' \
    --reply 'mtasts timeout.test=TIMEOUT slow' \
    --reply 'mtasts-tlsrpt good.test=OK secure match=mx.good.test servername=hostname policy_type=sts' \
    2>"$WORK/fake_smap.err" &
lib_track $!
wait_for 5 test -S "$SOCK" || die "fake_smap.py did not start"
in_subshell() { ("$@") >/dev/null 2>&1; }

expect_reply good.test 'secure match=mx.good.test servername=hostname'
expect_reply good.test 'secure match=mx.good.test servername=hostname policy_type=sts' mtasts-tlsrpt
expect_reply_re good.test '^secure match=' mtasts
expect_notfound other.test
expect_temp temp.test
expect_perm perm.test mtasts-x
expect_timeout timeout.test
expect_error temp.test
expect_false "expect_notfound fails on OK" in_subshell expect_notfound good.test
expect_false "expect_reply fails on a different value" in_subshell expect_reply good.test 'secure'
expect_false "expect_reply fails on NOTFOUND" in_subshell expect_reply other.test ''
expect_false "expect_notfound fails on TEMP" in_subshell expect_notfound temp.test
expect_false "expect_temp fails on PERM" in_subshell expect_temp perm.test mtasts-x
expect_false "expect_perm fails on TEMP" in_subshell expect_perm temp.test
expect_false "expect_error fails on NOTFOUND" in_subshell expect_error other.test
expect_eq "q prints the OK value" "$(q good.test)" 'secure match=mx.good.test servername=hostname'

expect_eq "smap_client: request, pipelined requests" \
    "$(smap_raw req:'mtasts good.test' read pipeline:2:'mtasts temp.test' read:2 | tr '\n' '|')" \
    'REPLY OK secure match=mx.good.test servername=hostname|REPLY TEMP dns down|REPLY TEMP dns down|'
expect_eq "smap_client: dripped request" "$(smap_raw drip:'mtasts other.test' read)" 'REPLY NOTFOUND '
expect_eq "smap_client: sees the close after a bad frame" \
    "$(smap_raw raw:'x:' read eof | tr '\n' '|')" 'REPLY PERM bad netstring|CLOSED|'

echo "line one" >>"$WORK/mtastsd.log"
log_mark
echo "fetch good.test ok id=1" >>"$WORK/mtastsd.log"
expect_log 'good\.test.*ok'
expect_no_log 'line one'
expect_false "expect_log fails when nothing matches" in_subshell expect_log 'nothing-like-this' 0

finish

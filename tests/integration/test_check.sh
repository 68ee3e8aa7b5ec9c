#!/bin/bash
# test_check.sh - mtastsd-ctl check (issue 15), without a daemon, against
# real servers: dnsmasq (TXT, CNAME, MX, null MX, TLSRPT), slow_dns.py
# (SERVFAIL), nginx with the test CA (good, redirect, wrong media type,
# 404, expired, wrong-name, soon-expiring and untrusted certificates, a
# slow host through limit_rate, an oversized policy file) and
# hostile_https.py (slow to answer, stalled, oversized without a length,
# TLS 1.1 only), plus an address where nothing listens.
#
# One domain per finding.  Each domain is checked twice, as text and as
# --json; every JSON object is validated (one object; every item has
# name, severity, message, fix, details; counts and result agree), each
# finding is asserted in both forms (item, severity, words, and the fix
# where there is one), and the exit status of both runs is asserted:
# 0 all ok, 4 warnings only, 5 errors.  A correct domain's JSON is
# checked field by field.  Also: -c FILE and -o, the system CA store by
# default, an unreachable resolver, usage errors (2), colour only on a
# terminal and never with NO_COLOR, and that check follows nothing (no
# GET to a redirect's target, none for the unverified second handshake).
#
# The slow (11 s and 16 s) and stalled (60 s, the check's limit) policy
# hosts are checked in the background while the rest runs; the script
# takes about 65 s.
. "$(dirname "$0")/lib.sh"

. "$LIB_DIR/lib_check.sh"

mail() { # NAME: the usual MX records and a TLSRPT record for NAME
    world_mx "$1" "mx1.$1" 10
    world_mx "$1" "in.mail.$1" 20
    world_txt_at "_smtp._tls.$1" "v=TLSRPTv1; rua=mailto:tlsrpt@$1"
}

# owner NAME [world_domain options]: a domain with everything right unless
# the options say otherwise (--policy replaces the policy, --txt adds)
owner() {
    local name=$1
    shift
    world_domain "$name" --policy "$(pol enforce 604800 "mx1.$name" "*.mail.$name")" "$@"
    mail "$name"
}

owner good.test --txt "$TS"
owner cname.test --txt-cname _mta-sts.hosted.test
world_txt_at _mta-sts.hosted.test "$TS"
owner two.test --txt "$TS" --txt 'v=STSv1; id=2'
owner notxt.test
owner badtxt.test --txt 'v=STSv1; id=2026-12-03'
owner others.test --txt 'v=spf1 -all' --txt 'v=STSv1; id=abc123' --txt 'site-verification=x'
# a crowd of 70 other records (more than a DNS parser's record cap) around
# the one STS record: the daemon sees it (main's dns_txt()), so must check
CROWD=()
for ((i = 0; i < 70; i++)); do CROWD+=(--txt "other-record-$i"); done
owner crowd.test "${CROWD[@]:0:70}" --txt "$TS" "${CROWD[@]:70}"
owner noaddr.test --txt "$TS" --no-addr
owner redirect.test --txt "$TS" --redirect https://mta-sts.good.test/.well-known/mta-sts.txt
owner html.test --txt "$TS" --ctype text/html
owner missing.test --txt "$TS" --status 404
owner expired.test --txt "$TS" --cert expired
owner wrongname.test --txt "$TS" --cert wrongname
owner untrusted.test --txt "$TS" --cert untrusted
owner soon.test --txt "$TS" --cert soon
owner slow.test --txt "$TS" --hostile delay:11
owner ngslow.test --txt "$TS" --rate 16
{
    pol enforce 604800 mx1.ngbig.test '*.mail.ngbig.test'
    for ((i = 0; i < 1200; i++)); do
        printf 'x-pad-%04d: %s\n' "$i" "$(printf '%080d' 0)"
    done
} >"$WORK/big-policy.txt"
owner ngbig.test --txt "$TS" --policy "@$WORK/big-policy.txt"
owner stall.test --txt "$TS" --hostile stall
owner big.test --txt "$TS" --hostile oversize
owner tls11.test --txt "$TS" --hostile tls11
owner refused.test --txt "$TS" --no-server
owner servfail.test --txt "$TS" --dns servfail
world_domain testing.test --txt "$TS" --policy "$(pol testing 86400 mx1.testing.test)"
world_mx testing.test mx1.testing.test 10
world_mx testing.test other.testing.test 20
owner uncovered.test --txt "$TS"
world_mx uncovered.test a.b.mail.uncovered.test 30
owner none.test --txt "$TS" --policy "$(pol none 86400)"
owner syntax.test --txt "$TS" \
    --policy $'version: STSv1\nmode enforce\nmx: mx1.syntax.test\nmax_age: 604800\n'
owner miscased.test --txt "$TS" \
    --policy $'version: STSv1\nMode: enforce\nmx: mx1.miscased.test\nmax_age: 604800\n'
owner keys.test --txt "$TS" --policy $'version: STSv1\r\nmode: enforce\r\nmode: testing\r\nx-note: hi\r\nmx: mx1.keys.test\r\nmx: *.mail.keys.test\r\nmax_age: 3600\r\n'
owner maxage.test --txt "$TS" --policy "$(pol enforce 31557601 mx1.maxage.test)"
world_domain nomx.test --txt "$TS" --policy "$(pol enforce 604800 nomx.test)"
world_txt_at _smtp._tls.nomx.test 'v=TLSRPTv1; rua=mailto:tlsrpt@nomx.test'
world_domain nullmx.test --txt "$TS" --policy "$(pol enforce 604800 mx.nullmx.test)"
world_mx nullmx.test . 0
world_txt_at _smtp._tls.nullmx.test 'v=TLSRPTv1; rua=mailto:tlsrpt@nullmx.test'
world_domain rptbad.test --txt "$TS" --policy "$(pol enforce 604800 mx1.rptbad.test)"
world_mx rptbad.test mx1.rptbad.test 10
world_txt_at _smtp._tls.rptbad.test 'v=TLSRPTv1; rua=tlsrpt@rptbad.test'
owner rpttwo.test --txt "$TS"
world_txt_at _smtp._tls.rpttwo.test 'v=TLSRPTv1; rua=mailto:other@rpttwo.test'
world_start

# The MX hosts of these domains are names without servers: the MX probe
# (issue 16) has its own test, test_check_mx.sh, with Postfix MX hosts.
OPTS=(-c "$WORK/empty.conf" -o dns_servers=127.0.0.1 -o "ca_file=$CA_FILE" --no-probe)

# The slow ones first, all four runs at once, in the background.
T0=$(date +%s)
BG_PIDS=()
for d in slow.test ngslow.test stall.test; do
    run_text "$d" &
    BG_PIDS+=("$!")
    run_json "$d" &
    BG_PIDS+=("$!")
done

note "---- a correct domain"
n0=$(world_fetch_count good.test)
run_check good.test
expect_rc good.test 0
expect_eq "one GET of the policy per check" "$(world_fetch_count good.test)" "$((n0 + 2))"
expect_eq "good.test: the items, in order" \
    "$(q "$OUTD/good.test.json" eval '" ".join(i["name"] for i in items)')" \
    "txt txt.id host.address host.tls host.certificate host.http host.media_type host.size host.time policy.syntax policy.keys policy.mode policy.max_age mx mx.covered mx.covered tlsrpt"
expect_eq "good.test: every item ok" \
    "$(q "$OUTD/good.test.json" eval '{i["severity"] for i in items}')" "{'ok'}"
expect_eq "good.test: result and counts" \
    "$(q "$OUTD/good.test.json" eval 'o["domain"], o["result"], o["counts"]')" \
    "('good.test', 'ok', {'ok': 17, 'warning': 0, 'error': 0})"
expect_eq "good.test: no item has a fix" \
    "$(q "$OUTD/good.test.json" eval '[i["name"] for i in items if i["fix"] is not None]')" "[]"
expect_detail good.test txt record "$TS"
expect_detail good.test txt id 20261203063000Z
expect_detail good.test txt other_records 0
expect_detail good.test host.address addresses 127.0.0.1
expect_eq "good.test: TLS version" "$(q "$OUTD/good.test.json" eval '[i["message"] for i in items if i["name"] == "host.tls"][0]')" TLSv1.3
expect_detail good.test host.certificate names mta-sts.good.test
expect_detail good.test host.certificate subject CN=mta-sts.good.test
expect_detail good.test host.certificate issuer "CN=mtastsd test CA main"
expect_detail good.test host.certificate not_after "$(date -u -d '+365 days' +%F)"
expect_detail good.test host.certificate chain_length 1
expect_finding good.test host.http ok '^HTTP 200$'
expect_finding good.test host.media_type ok '^text/plain$'
expect_finding good.test host.size ok "^$(printf '%s' "$(pol enforce 604800 mx1.good.test '*.mail.good.test')" | wc -c) bytes"
expect_finding good.test host.time ok 'fetched in 0\.[0-9]{3} s'
expect_true "good.test: time details are numbers" q "$OUTD/good.test.json" eval \
    '[i for i in items if i["name"] == "host.time"][0]["details"]["total_ms"] >= 0 or exit(1)'
expect_finding good.test policy.syntax ok 'valid STSv1 policy, 5 lines, LF line ends'
expect_detail good.test policy.syntax lines \
    "version: STSv1, mode: enforce, mx: mx1.good.test, mx: *.mail.good.test, max_age: 604800"
expect_finding good.test policy.mode ok '^enforce:'
expect_finding good.test policy.max_age ok 'max_age 604800 \(7\.0 days\)'
expect_finding good.test mx ok '^2 MX hosts$'
expect_detail good.test mx records "10 mx1.good.test, 20 in.mail.good.test"
expect_finding good.test mx.covered ok '^mx1\.good\.test matches "mx: mx1\.good\.test"$'
expect_finding good.test mx.covered ok '^in\.mail\.good\.test matches "mx: \*\.mail\.good\.test"$'
expect_eq "good.test: coverage details" \
    "$(q "$OUTD/good.test.json" eval '[(i["details"]["host"], i["details"]["preference"], i["details"]["pattern"]) for i in items if i["name"] == "mx.covered"]')" \
    "[('mx1.good.test', 10, 'mx1.good.test'), ('in.mail.good.test', 20, '*.mail.good.test')]"
expect_finding good.test tlsrpt ok 'reports go to mailto:tlsrpt@good\.test$'
expect_detail good.test tlsrpt rua mailto:tlsrpt@good.test
expect_true "good.test: the summary line" grep -qx 'result: ok (0 errors, 0 warnings, 17 ok)' "$OUTD/good.test.txt"
expect_true "good.test: the header line" grep -qx 'MTA-STS check of good.test' "$OUTD/good.test.txt"
expect_true "good.test: messages aligned in one column" "$PYTHON" -c '
import re, sys
cols = {m.start(3) for m in (re.match(r"^  (ok|warning|error) +(\S+) +(\S)", l) for l in open(sys.argv[1])) if m}
sys.exit(len(cols) != 1)' "$OUTD/good.test.txt"
expect_false "good.test: no colour when stdout is not a terminal" grep -q $'\033' "$OUTD/good.test.txt"

note "---- the TXT record"
for d in cname.test two.test notxt.test badtxt.test others.test crowd.test servfail.test; do
    run_check "$d"
done
expect_rc cname.test 0
expect_finding cname.test txt ok "_mta-sts\.cname\.test has one valid v=STSv1 record, id 20261203063000Z \(through the CNAME to _mta-sts\.hosted\.test\)"
expect_detail cname.test txt cname _mta-sts.hosted.test
expect_eq "good.test: no CNAME, no cname detail" \
    "$(q "$OUTD/good.test.json" eval '"cname" in [i for i in items if i["name"] == "txt"][0]["details"]')" False
expect_rc two.test 5
expect_finding two.test txt error '2 TXT records at _mta-sts\.two\.test begin with v=STSv1: senders ignore all' 'keep exactly one'
expect_rc notxt.test 5
expect_finding notxt.test txt error 'no TXT record at _mta-sts\.notxt\.test' 'IN TXT "v=STSv1; id=20[0-9]{12}Z"'
expect_finding notxt.test host.http ok 'HTTP 200'
expect_rc badtxt.test 5
expect_finding badtxt.test txt error 'invalid \(id must be 1-32 letters and digits\)' 'v=STSv1; id='
expect_detail badtxt.test txt record 'v=STSv1; id=2026-12-03'
expect_rc others.test 0
expect_finding others.test txt ok 'id abc123 \(other TXT records at the name are ignored; fine\)'
expect_detail others.test txt other_records 2
expect_finding others.test txt.id ok 'a UTC timestamp such as 20261203063000Z'
# crowd.test's TXT answer needs TCP; the check's other lookups in flight
# beside it once timed out after 15 s in most runs (src/dns.c, "TCP
# fallback"; test_dns_tcp.sh)
expect_rc crowd.test 0
expect_finding crowd.test txt ok 'id 20261203063000Z \(other TXT records at the name are ignored; fine\)'
expect_detail crowd.test txt other_records 70
expect_rc servfail.test 5
expect_finding servfail.test txt error 'TXT lookup of _mta-sts\.servfail\.test failed: SERVFAIL' 'name servers'
expect_finding servfail.test host.address error 'failed'

note "---- the policy host"
for d in noaddr.test redirect.test html.test missing.test expired.test wrongname.test untrusted.test \
    soon.test big.test ngbig.test tls11.test refused.test; do run_check "$d"; done
expect_rc noaddr.test 5
expect_finding noaddr.test host.address error 'mta-sts\.noaddr\.test has no A or AAAA record' 'point mta-sts\.noaddr\.test'
expect_finding noaddr.test policy error 'not checked'
expect_rc redirect.test 5
expect_finding redirect.test host.http error 'HTTP 301 redirect to https://mta-sts\.good\.test/\.well-known/mta-sts\.txt: senders never follow redirects' 'serve the policy itself'
expect_detail redirect.test host.http location https://mta-sts.good.test/.well-known/mta-sts.txt
expect_rc html.test 5
expect_finding html.test host.media_type error 'Content-Type is text/html: senders require text/plain' 'text/plain'
expect_rc missing.test 5
expect_finding missing.test host.http error 'HTTP 404 for /\.well-known/mta-sts\.txt' 'serve the policy'
expect_rc expired.test 5
expect_finding expired.test host.certificate error 'certificate has expired \(names: mta-sts\.expired\.test; expired 2020-01-02\)' 'not expired'
expect_detail expired.test host.certificate not_after 2020-01-02
expect_detail expired.test host.certificate names mta-sts.expired.test
expect_true "expired.test: the details are shown in the text" grep -qE '^ +not_after: 2020-01-02$' "$OUTD/expired.test.txt"
expect_eq "expired.test: no GET at all (refused, then a handshake only)" "$(world_fetch_count expired.test)" 0
expect_rc wrongname.test 5
expect_finding wrongname.test host.certificate error 'no alternative certificate subject name matches.*\(names: wrong\.mta-sts\.wrongname\.test\.invalid; expires [0-9-]{10}\)'
expect_rc untrusted.test 5
expect_finding untrusted.test host.certificate error 'certificate'
expect_detail untrusted.test host.certificate issuer "CN=mtastsd test CA other"
expect_rc soon.test 4
expect_finding soon.test host.certificate warning 'expires on [0-9-]{10}, in [67] days' 'renew'
expect_rc big.test 5
expect_finding big.test host.size error 'larger than 65536 bytes' 'few lines'
expect_true "the nginx policy file is over 64 KiB" test "$(wc -c <"$WORK/big-policy.txt")" -gt 65536
expect_rc ngbig.test 5
expect_finding ngbig.test host.size error 'larger than 65536 bytes' 'few lines'
expect_detail ngbig.test host.size reason "Content-Length above 65536 bytes"
expect_detail big.test host.size reason "body larger than 65536 bytes"
expect_rc tls11.test 5
expect_finding tls11.test host.tls error 'TLS handshake with mta-sts\.tls11\.test failed' 'TLS 1\.2'
expect_rc refused.test 5
expect_finding refused.test host.connect error 'cannot connect to mta-sts\.refused\.test port 443' 'port 443'

note "---- the policy"
for d in testing.test uncovered.test none.test syntax.test miscased.test keys.test maxage.test; do run_check "$d"; done
expect_rc testing.test 4
expect_finding testing.test policy.mode warning '^testing: senders deliver even when TLS fails' 'when the TLSRPT reports are clean, change to "mode: enforce" and publish a new id'
expect_finding testing.test mx.covered warning 'other\.testing\.test matches no mx line of the policy: under enforce, senders would refuse it' 'add "mx: other\.testing\.test"'
expect_finding testing.test mx.covered ok 'mx1\.testing\.test matches'
expect_finding testing.test tlsrpt warning 'no TLSRPT record at _smtp\._tls\.testing\.test.*in mode testing the reports are how you see failures' 'v=TLSRPTv1; rua=mailto:tlsrpt@testing\.test'
expect_eq "testing.test: warnings only" "$(q "$OUTD/testing.test.json" eval 'o["result"], o["counts"]["error"]')" "('warning', 0)"
expect_rc uncovered.test 5
expect_finding uncovered.test mx.covered error 'a\.b\.mail\.uncovered\.test matches no mx line of the policy: senders refuse to deliver to it' 'add "mx: a\.b\.mail\.uncovered\.test"'
expect_rc none.test 4
expect_finding none.test policy.mode warning '^none: senders drop the policy' 'withdraw'
expect_finding none.test mx.covered ok 'mode none'
expect_rc syntax.test 5
expect_finding syntax.test policy.syntax error 'line 2: expected "key: value": "mode enforce"' 'version: STSv1'
expect_rc miscased.test 5
expect_finding miscased.test policy.mode error "no mode line \\(keys are case-sensitive: 'Mode' is not a key\\)"
expect_rc keys.test 4
expect_finding keys.test policy.syntax ok 'valid STSv1 policy, 7 lines, CRLF line ends'
expect_finding keys.test policy.keys warning 'repeated key: mode \(2 times\); senders use the first' 'one line per key'
expect_finding keys.test policy.keys ok '1 unknown key, ignored by senders \(fine\)'
expect_finding keys.test policy.mode ok '^enforce'
expect_finding keys.test policy.max_age warning 'max_age 3600 \(1\.0 hours\) is under a day' '604800'
expect_rc maxage.test 5
expect_finding maxage.test policy.max_age error 'max_age is larger than 31557600'

note "---- MX and TLSRPT"
for d in nomx.test nullmx.test rptbad.test rpttwo.test; do run_check "$d"; done
expect_rc nomx.test 4
expect_finding nomx.test mx warning 'nomx\.test has no MX record .*implicit MX' 'publish MX records'
expect_finding nomx.test mx.covered ok '^nomx\.test matches "mx: nomx\.test"$'
expect_rc nullmx.test 4
expect_finding nullmx.test mx warning 'null MX \(RFC 7505\)'
expect_rc rptbad.test 4
expect_finding rptbad.test tlsrpt warning 'TLSRPT record at _smtp\._tls\.rptbad\.test is invalid \(a rua URI must start with a scheme' 'v=TLSRPTv1; rua=mailto:'
expect_detail rptbad.test tlsrpt records 'v=TLSRPTv1; rua=tlsrpt@rptbad.test'
expect_rc rpttwo.test 4
expect_finding rpttwo.test tlsrpt warning 'more than one v=TLSRPTv1 record'

note "---- configuration, resolver, CA store, usage"
printf 'dns_servers = 127.0.0.1\nca_file = %s\n' "$CA_FILE" >"$WORK/owner.conf"
OUT=$("$CTL" -c "$WORK/owner.conf" --no-probe check good.test 2>&1)
expect_eq "-c FILE gives dns_servers and ca_file" "$?" 0
OUT=$("$CTL" -c "$WORK/empty.conf" -o dns_servers=127.0.0.1 --no-probe --json check good.test 2>&1)
RC=$?
printf '%s' "$OUT" >"$OUTD/sysca.json"
expect_eq "without ca_file the system store is used: the test CA is unknown (exit 5)" "$RC" 5
expect_true "system store: the certificate is refused" q "$OUTD/sysca.json" find host.certificate error 'certificate'
t0=$(date +%s)
OUT=$("$CTL" -c "$WORK/empty.conf" -o dns_servers=127.0.0.1:5999 -o dns_timeout=1s --no-probe --json check good.test 2>&1)
RC=$?
printf '%s' "$OUT" >"$OUTD/nodns.json"
expect_eq "an unreachable resolver: errors, exit 5" "$RC" 5
expect_true "an unreachable resolver: the TXT lookup failed" q "$OUTD/nodns.json" find txt error 'failed'
expect_true "an unreachable resolver: bounded by dns_timeout" test $(($(date +%s) - t0)) -lt 15
OUT=$("$CTL" "${OPTS[@]}" -s "$WORK/no/such/control.sock" check good.test 2>&1)
expect_eq "no daemon needed: a control socket that does not exist changes nothing" "$?" 0
for args in "check" "check a.test b.test" "check 192.0.2.1" "check [mx.good.test]x" \
    "-o nosuchkey=1 check good.test" "-o dns_timeout=soon check good.test" "--json suggest good.test" \
    "--no-probe suggest good.test" "--no-probe status"; do
    # shellcheck disable=SC2086 # word lists on purpose
    "$CTL" -c "$WORK/empty.conf" $args >/dev/null 2>"$WORK/usage.err"
    expect_eq "usage error, exit 2: mtastsd-ctl $args" "$?" 2
done
"$CTL" -h >"$WORK/help.out" 2>&1
expect_true "-h lists check and suggest as commands that need no daemon" \
    test "$(grep -cE '^  (check|suggest) DOMAIN +\(for domain owners; no daemon needed\)$' "$WORK/help.out")" = 2
expect_false "-h has no trailing blanks" grep -q ' $' "$WORK/help.out"
"$CTL" -c "$WORK/nonexistent.conf" check good.test >/dev/null 2>"$WORK/usage.err"
expect_eq "a -c FILE that does not exist: exit 2" "$?" 2
expect_true "... and says which file" grep -q nonexistent.conf "$WORK/usage.err"

note "---- colour"
# tty ENV...: run check on a pseudo-terminal; prints what it wrote
tty_check() {
    "$PYTHON" - "$@" -- "$CTL" "${OPTS[@]}" check good.test <<'EOF'
import os, pty, sys
argv = sys.argv[1:]
sep = argv.index("--")
env = dict(os.environ)
env.pop("NO_COLOR", None)
for kv in argv[:sep]:
    k, v = kv.split("=", 1)
    env[k] = v
cmd = argv[sep + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execve(cmd[0], cmd, env)
out = b""
while True:
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
os.waitpid(pid, 0)
sys.stdout.write(out.decode("latin-1"))
EOF
}
tty_check TERM=xterm >"$WORK/tty1.out"
expect_true "colour on a terminal" grep -q $'\033\\[32mok' "$WORK/tty1.out"
tty_check TERM=xterm NO_COLOR=1 >"$WORK/tty2.out"
expect_true "NO_COLOR: still the report on a terminal" grep -q 'MTA-STS check of good.test' "$WORK/tty2.out"
expect_false "NO_COLOR: no colour on a terminal" grep -q $'\033' "$WORK/tty2.out"

note "---- slow and stalled policy hosts"
for pid in "${BG_PIDS[@]}"; do
    wait "$pid"
done
expect_rc slow.test 4
expect_finding slow.test host.time warning 'the fetch took 1[1-9]\.[0-9] s; senders commonly wait about 10 s' 'static file'
expect_rc ngslow.test 4
expect_finding ngslow.test host.time warning 'the fetch took (1[1-9]|[2-5][0-9])\.[0-9] s' 'static file'
expect_finding ngslow.test policy.syntax ok 'valid STSv1 policy'
expect_rc stall.test 5
expect_finding stall.test host.time error 'no complete answer from https://mta-sts\.stall\.test within 60 s' 'about a minute'
elapsed=$(($(date +%s) - T0))
expect_true "the stalled host is given up at the 60 s limit (took $elapsed s)" test "$elapsed" -ge 59 -a "$elapsed" -lt 90

finish

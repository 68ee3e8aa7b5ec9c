#!/bin/bash
# test_suggest.sh - mtastsd-ctl suggest, and the domain owner's walk from
# nothing to mode enforce that the README describes, against real dnsmasq
# and nginx, with the daemon (through postmap) as the sender.
#
# walk.test starts with MX records only.  suggest prints the starter
# files; the test publishes exactly what it printed (policy file, TXT
# record, TLSRPT record), check then reports one warning only (mode
# testing, exit 4) and the daemon answers NOTFOUND (testing is not
# enforced); after the switch to enforce with a new id, check is all ok
# (exit 0) and the daemon answers "secure" with the MX hosts.  Also:
# implicit MX, a null MX and a failing resolver (refused, exit 1), MX
# hosts that are not host names (left out), usage errors (exit 2).
. "$(dirname "$0")/lib.sh"

CTL=${MTASTSD_CTL:-$top_builddir/mtastsd-ctl}
[ -x "$CTL" ] || die "mtastsd-ctl binary $CTL not found (build it first)"

world_domain walk.test --policy 'not published yet'
world_mx walk.test mx2.walk.test 20
world_mx walk.test MX1.Walk.Test 10
world_mx nullmx.test . 0
world_mx weird.test bad_name.weird.test 10
world_mx weird.test mx.weird.test 20
world_start
: >"$WORK/empty.conf"
OPTS=(-c "$WORK/empty.conf" -o dns_servers=127.0.0.1 -o "ca_file=$CA_FILE")

# sug DOMAIN [args]: OUT, ERR, RC
sug() {
    OUT=$("$CTL" "${OPTS[@]}" "${@:2}" suggest "$1" 2>"$WORK/sug.err")
    RC=$?
    ERR=$(cat "$WORK/sug.err")
}
# chk DOMAIN: JSON in $WORK/chk.json, RC (the MX hosts here have no
# servers: the MX probe is test_check_mx.sh's)
chk() {
    "$CTL" "${OPTS[@]}" --no-probe --json check "$1" >"$WORK/chk.json" 2>"$WORK/chk.err"
    RC=$?
}
jq() { "$PYTHON" -c 'import json,sys; o=json.load(open(sys.argv[1])); items=o["items"]; print(eval(sys.argv[2]))' "$WORK/chk.json" "$1"; }

note "---- suggest"
sug walk.test
expect_eq "suggest walk.test: exit 0" "$RC" 0
expect_eq "suggest walk.test: nothing on stderr" "$ERR" ""
POLICY=$(printf '%s\n' "$OUT" | sed -n '/^# ----- begin mta-sts.txt -----$/,/^# ----- end mta-sts.txt -----$/p' | sed '1d;$d')
expect_eq "the policy: mode testing, the MX hosts in preference order, a week" "$POLICY" \
    "$(printf 'version: STSv1\nmode: testing\nmx: mx1.walk.test\nmx: mx2.walk.test\nmax_age: 604800')"
TXT=$(printf '%s\n' "$OUT" | sed -n 's/^_mta-sts\.walk\.test\. IN TXT "\(.*\)"$/\1/p')
expect_true "the TXT record has a UTC timestamp id" grep -qE '^v=STSv1; id=20[0-9]{12}Z$' <<<"$TXT"
RPT=$(printf '%s\n' "$OUT" | sed -n 's/^_smtp\._tls\.walk\.test\. IN TXT "\(.*\)"$/\1/p')
expect_eq "the TLSRPT template" "$RPT" 'v=TLSRPTv1; rua=mailto:tlsrpt@walk.test'
expect_true "the next steps name check and enforce" grep -q 'change the policy to "mode: enforce", publish a new id' <<<"$OUT"
expect_true "nothing is published by the tool" grep -q '^# Nothing has been published.$' <<<"$OUT"
chk walk.test
expect_eq "before publishing, check finds errors (exit 5)" "$RC" 5

note "---- publish what suggest printed: mode testing"
world_set_policy walk.test "$POLICY"$'\n'
world_set_txt walk.test "$TXT"
world_set_txt_at _smtp._tls.walk.test "$RPT"
chk walk.test
expect_eq "check in mode testing: warnings only (exit 4)" "$RC" 4
expect_eq "the one warning is the mode, with the next step" \
    "$(jq '[(i["name"], i["fix"][:60]) for i in items if i["severity"] != "ok"]')" \
    "[('policy.mode', 'when the TLSRPT reports are clean, change to \"mode: enforce\"')]"
expect_eq "TLSRPT as published is valid" "$(jq '[i["severity"] for i in items if i["name"] == "tlsrpt"]')" "['ok']"
mtastsd_start "${MTASTSD_FAST[@]}"
expect_notfound walk.test

note "---- switch to enforce with a new id"
world_set_policy walk.test "${POLICY/mode: testing/mode: enforce}"$'\n'
sleep 1 # a later second: a larger timestamp
NEW_TXT="v=STSv1; id=$(date -u +%Y%m%d%H%M%SZ)"
expect_ne "the new id differs" "$NEW_TXT" "$TXT"
world_set_txt walk.test "$NEW_TXT"
chk walk.test
expect_eq "check in mode enforce: all ok (exit 0)" "$RC" 0
expect_eq "every item ok" "$(jq 'o["result"], o["counts"]["ok"] == len(items)')" "('ok', True)"
mtastsd_ctl_refresh() { "$CTL" -c "$WORK/mtastsd.conf" refresh walk.test >/dev/null 2>&1; }
expect_true "the daemon refetches on the new id" mtastsd_ctl_refresh
expect_reply walk.test 'secure match=mx1.walk.test:mx2.walk.test servername=hostname'
mtastsd_stop

note "---- implicit MX, null MX, odd MX hosts, failures"
sug bare.test
expect_eq "no MX: exit 0" "$RC" 0
expect_true "no MX: the domain itself is the mail host" grep -qx 'mx: bare.test' <<<"$OUT"
expect_true "no MX: says implicit MX" grep -q 'implicit MX' <<<"$OUT"
sug weird.test
expect_eq "a bad MX host name: exit 0" "$RC" 0
expect_eq "a bad MX host name is left out" "$(grep '^mx: ' <<<"$OUT")" 'mx: mx.weird.test'
expect_true "... and named in a comment" grep -q "MX host 'bad_name.weird.test' is not a valid host name" <<<"$OUT"
sug nullmx.test
expect_eq "null MX: refused, exit 1" "$RC:$OUT" "1:"
expect_true "null MX: says why" grep -q 'null MX (RFC 7505)' <<<"$ERR"
sug walk.test -o dns_servers=127.0.0.1:5999 -o dns_timeout=1s
expect_eq "an unreachable resolver: exit 1, nothing printed" "$RC:$OUT" "1:"
expect_true "an unreachable resolver: says the lookup failed" grep -q 'MX lookup of walk.test failed' <<<"$ERR"
sug 'not a domain'
expect_eq "suggest of a non-domain: exit 2" "$RC" 2
sug walk.test --json
expect_eq "suggest has no JSON form: exit 2" "$RC" 2

finish

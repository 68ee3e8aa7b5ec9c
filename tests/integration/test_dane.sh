#!/bin/bash
# test_dane.sh - DANE precedence (issue 12, RFC 8461 section 2) end to end:
# the built daemon with dane = on against the DNSSEC world of
# lib_dnssec.sh (zones signed in the test with ldns-keygen/ldns-signzone,
# served by nsd; a validating unbound with their trust anchors), the
# policies from the world's nginx, asked with postmap.
#
# Cases (one domain each; the DNSSEC self-check of dnssec_start and the
# checks below make sure the resolver really validates, so that nothing
# here can pass by accident):
#     all.test        MTA-STS enforce, TLSA on every MX            -> dane-only
#     some.test       TLSA on one of two MX hosts                  -> dane-only
#     notlsa.test     signed zone, no TLSA                         -> secure
#     plain.test      TLSA in an unsigned zone                     -> secure
#     bogus.test      TLSA RRset with broken signatures            -> secure (never NOTFOUND)
#     nosts.test      DANE but no MTA-STS                          -> NOTFOUND
#     testing.test    DANE, MTA-STS mode testing                   -> NOTFOUND
#     [relay.test]:587  smart host with TLSA on its port           -> dane-only
#     [relay.test]    the same host at port 25 (no TLSA there)     -> secure
# then: mtasts-tlsrpt (no STS attributes), show/stats, the extra DNS
# queries of a policy domain (counted by unbound), a restart (the DANE
# state survives: no lookup), a resolver that does not validate (plain
# dnsmasq in front of unbound: the probe fails -> secure and an error in
# the log), dane = off (secure everywhere, the hint at start), and a
# resolver that is not on loopback (a warning).
. "$(dirname "$0")/lib.sh"
. "$LIB_DIR/lib_dnssec.sh"

CTL=${MTASTSD_CTL:-$top_builddir/mtastsd-ctl}
[ -x "$CTL" ] || die "mtastsd-ctl binary $CTL not found (build it first)"

pol() { # MODE MX...
    local mode=$1 m
    shift
    printf 'version: STSv1\nmode: %s\n' "$mode"
    for m in "$@"; do printf 'mx: %s\n' "$m"; done
    printf 'max_age: 86400\n'
}

# sts ZONE: the zone publishes MTA-STS (TXT, and mta-sts.ZONE on nginx)
sts() {
    dnssec_rr "$1" '_mta-sts TXT "v=STSv1; id=1"'
    dnssec_rr "$1" 'mta-sts A 127.0.0.1'
}

# ---------------------------------------------------------------- the world
# nginx serves every policy; the names live in nsd's zones.
for d in all.test some.test notlsa.test plain.test bogus.test count.test countoff.test; do
    world_domain "$d" --policy "$(pol enforce "*.$d")"
done
world_domain testing.test --policy "$(pol testing '*.testing.test')"
world_domain relay.test --policy "$(pol enforce relay.test)"

dnssec_zone all.test
sts all.test
dnssec_mx all.test mx1.all.test 10 127.0.6.1
dnssec_mx all.test mx2.all.test 20 127.0.6.2
dnssec_tlsa mx1.all.test 25 good
dnssec_tlsa mx2.all.test 25 good

dnssec_zone some.test
sts some.test
dnssec_mx some.test mx1.some.test 10 127.0.6.3
dnssec_mx some.test mx2.some.test 20 127.0.6.4
dnssec_tlsa mx2.some.test 25 good

dnssec_zone notlsa.test
sts notlsa.test
dnssec_mx notlsa.test mx1.notlsa.test 10 127.0.6.5

dnssec_zone plain.test --unsigned
sts plain.test
dnssec_mx plain.test mx1.plain.test 10 127.0.6.6
dnssec_tlsa mx1.plain.test 25 good

dnssec_zone bogus.test --bogus TLSA
sts bogus.test
dnssec_mx bogus.test mx1.bogus.test 10 127.0.6.7
dnssec_tlsa mx1.bogus.test 25 good

dnssec_zone nosts.test
dnssec_mx nosts.test mx1.nosts.test 10 127.0.6.8
dnssec_tlsa mx1.nosts.test 25 good

dnssec_zone testing.test
sts testing.test
dnssec_mx testing.test mx1.testing.test 10 127.0.6.9
dnssec_tlsa mx1.testing.test 25 good

dnssec_zone relay.test
sts relay.test
dnssec_host relay.test 127.0.6.10
dnssec_tlsa relay.test 587 good

# two more like all.test, to count DNS queries with and without DANE
for d in count.test countoff.test; do
    dnssec_zone "$d"
    sts "$d"
    dnssec_mx "$d" "mx1.$d" 10 127.0.6.11
    dnssec_mx "$d" "mx2.$d" 20 127.0.6.12
    dnssec_tlsa "mx1.$d" 25 good
    dnssec_tlsa "mx2.$d" 25 good
done

world_start
dnssec_start

note "---- the resolver validates (drill, independent of the code under test)"
first_line() { dnssec_dig "$1" "$2" "${3:-$DNSSEC_RESOLVER}" | head -n 1; }
has_ad() { [[ " $(first_line "$@") " == *" ad "* ]]; }
expect_true "all.test MX has AD" has_ad all.test MX
expect_true "TLSA of mx1.all.test has AD" has_ad _25._tcp.mx1.all.test TLSA
expect_false "plain.test MX (unsigned) has no AD" has_ad plain.test MX
expect_eq "the bogus TLSA RRset is SERVFAIL" \
    "$(first_line _25._tcp.mx1.bogus.test TLSA | cut -d' ' -f1)" SERVFAIL
expect_eq "the bogus zone's MX is still secure" \
    "$(first_line bogus.test MX | cut -d' ' -f1)" NOERROR

ctl() { OUT=$("$CTL" -s "$CTL_SOCK" "$@" 2>"$WORK/ctl.err"); }
expect_match() { # DESC TEXT REGEX: a line of TEXT matches
    if printf '%s\n' "$2" | grep -qE -- "$3"; then
        lib_result 0 "$1"
    else
        lib_result 1 "$1" "no line matches /$3/ in: $2"
    fi
}
stat_of() { # NAME: a counter of mtastsd-ctl stats
    ctl stats
    printf '%s\n' "$OUT" | awk -v k="$1" '$1 == k { print $2 }'
}
queries() { dnssec_stat total.num.queries; }

DANE_ON=(dns_servers="$DNSSEC_RESOLVER" dane=on dane_probe_name=all.test)

note "---- dane = on, the validating resolver"
mtastsd_start "${MTASTSD_FAST[@]}" "${DANE_ON[@]}"
expect_log 'dane: the resolver validates DNSSEC \(the answer for all\.test\. SOA has the AD bit\)'
expect_no_log 'dane = off:'

expect_reply all.test dane-only
expect_reply some.test dane-only
expect_log 'dane some\.test: dane-only: 1 of 2 MX hosts have usable TLSA records; Postfix delivers only to those'
expect_reply notlsa.test 'secure match=.notlsa.test servername=hostname'
expect_reply plain.test 'secure match=.plain.test servername=hostname'
expect_reply bogus.test 'secure match=.bogus.test servername=hostname'
expect_log 'warning: dane bogus\.test: a lookup failed and no host has usable TLSA records \(mx1\.bogus\.test\); answering the MTA-STS verdict'
expect_notfound nosts.test
expect_notfound testing.test
expect_reply '[relay.test]:587' dane-only
expect_reply '[relay.test]' 'secure match=relay.test servername=hostname'
expect_reply all.test dane-only mtasts-tlsrpt
expect_reply notlsa.test \
    'secure match=.notlsa.test servername=hostname policy_type=sts policy_domain=notlsa.test mx_host_pattern=*.notlsa.test { policy_string = version: STSv1 } { policy_string = mode: enforce } { policy_string = mx: *.notlsa.test } { policy_string = max_age: 86400 }' \
    mtasts-tlsrpt

note "---- show and stats"
ctl show all.test
expect_match "show all.test: the DANE state and its next check" "$OUT" \
    '^dane +mx:25 dane-only \(2 of 2 hosts with usable TLSA records\); checked .* \((in 0s|[0-9]+s ago)\); holds until .* \(in [0-9][0-9dhms]*\); next check .* \(in [0-9][0-9dhms]*\)$'
# The smallest TTL decides: the hosts' AAAA NODATA, whose SOA MINIMUM
# is 300 (the records have 3600; unbound counts cached TTLs down, so a
# few seconds less); re-checked from its last quarter on.
ctl --json show all.test
expect_eq "show --json all.test: held for the smallest TTL, next check in its last quarter" \
    "$(printf '%s' "$OUT" | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin)["dane"][0]; life=d["expires_at"] - d["checked_at"]; print(290 <= life <= 300, d["expires_at"] - d["next_check"] == life // 4)')" \
    "True True"
ctl --json show relay.test
expect_eq "show --json relay.test: the smart host's next hops" \
    "$(printf '%s' "$OUT" | "$PYTHON" -c 'import json,sys; o=json.load(sys.stdin); print(" ".join(sorted("%s:%d:%s" % (d["next_hop"], d["port"], d["result"]) for d in o["dane"])))')" \
    "host:25:none host:587:dane-only"
ctl status
expect_match "status: dane on" "$OUT" '^dane +on$'
expect_eq "stats: dane-only verdicts" "$(stat_of verdict_dane_only)" 4
expect_eq "stats: DANE checks" "$(stat_of dane_checks)" 7
expect_eq "stats: failed DANE checks (bogus.test)" "$(stat_of dane_check_failures)" 1
expect_eq "stats: failed DANE lookups (the bogus TLSA)" "$(stat_of dane_lookup_failures)" 1

note "---- DNS queries of a policy domain's first query, with DANE"
before=$(queries)
t0=$(date +%s%N)
expect_reply count.test dane-only
ms_on=$((($(date +%s%N) - t0) / 1000000))
q_on=$(($(queries) - before))
note "count.test (2 MX hosts with TLSA): $q_on DNS queries, first query ${ms_on} ms (dane = on)"
expect_eq "with DANE: TXT, A+AAAA of mta-sts, MX, A+AAAA+TLSA of 2 hosts" "$q_on" 10

note "---- a restart: the DANE state survives, no DNS lookup"
mtastsd_restart
expect_log 'dane: the resolver validates DNSSEC'
sleep 0.2
before=$(queries)
expect_reply all.test dane-only
expect_reply '[relay.test]:587' dane-only
expect_eq "no DNS query after the restart" "$(($(queries) - before))" 0
mtastsd_stop

note "---- a resolver that does not validate: dnsmasq in front of unbound"
mkdir -p "$WORK/dnsmasq2"
dnsmasq --no-daemon --no-resolv --no-hosts --conf-file=/dev/null --port=53 \
    --listen-address=127.0.2.3 --bind-interfaces --server="$DNSSEC_RESOLVER" \
    --pid-file="$WORK/dnsmasq2/pid" 2>"$WORK/dnsmasq2/stderr" &
lib_track $!
wait_for 10 lib_port_open 127.0.2.3 53 || die "the second dnsmasq did not come up"
wait_for 10 has_ad all.test SOA "$DNSSEC_RESOLVER" || die "unbound went away"
expect_eq "through dnsmasq: all.test MX answers" "$(first_line all.test MX 127.0.2.3 | cut -d' ' -f1)" \
    NOERROR
expect_false "through dnsmasq: no AD" has_ad all.test MX 127.0.2.3
rm -rf "$WORK/state"
log_mark
mtastsd_start "${MTASTSD_FAST[@]}" dns_servers=127.0.2.3 dane=on dane_probe_name=all.test
expect_log 'error: dane: the resolver does not validate DNSSEC: the answer for all\.test\. SOA \(OK\) has no AD bit; answering as with dane = off'
expect_reply all.test 'secure match=.all.test servername=hostname'
expect_reply '[relay.test]:587' 'secure match=relay.test servername=hostname'
expect_eq "no DANE lookups" "$(stat_of dane_lookups)" 0
ctl status
expect_match "status: dane on but inactive" "$OUT" '^dane +on-inactive'
mtastsd_stop

note "---- dane = off, the validating resolver"
rm -rf "$WORK/state"
log_mark
mtastsd_start "${MTASTSD_FAST[@]}" dns_servers="$DNSSEC_RESOLVER" dane=off
expect_log 'info: dane = off: domains that publish DANE \(TLSA\) and MTA-STS get the MTA-STS verdict'
for d in all.test some.test bogus.test; do
    expect_reply "$d" "secure match=.$d servername=hostname"
done
expect_reply '[relay.test]:587' 'secure match=relay.test servername=hostname'
before=$(queries)
t0=$(date +%s%N)
expect_reply countoff.test 'secure match=.countoff.test servername=hostname'
ms_off=$((($(date +%s%N) - t0) / 1000000))
q_off=$(($(queries) - before))
note "countoff.test: $q_off DNS queries, first query ${ms_off} ms (dane = off)"
expect_eq "without DANE: TXT, A+AAAA of mta-sts" "$q_off" 3
expect_eq "no DANE lookups, no probe" "$(stat_of dane_lookups) $(stat_of dane_probe_failures)" "0 0"
note "extra DNS queries for a policy domain with 2 MX hosts: $((q_on - q_off)) (1 MX + 3 per host)"
mtastsd_stop

note "---- dane = on with a resolver that is not on loopback: a warning"
rm -rf "$WORK/state"
log_mark
mtastsd_start "${MTASTSD_FAST[@]}" dns_servers="$DNSSEC_RESOLVER,192.0.2.53" dane=on \
    dane_probe_name=all.test
expect_log 'warning: dane = on, but the DNS server 192\.0\.2\.53 is not on loopback'
mtastsd_stop

finish

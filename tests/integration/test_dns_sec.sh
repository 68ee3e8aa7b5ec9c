#!/bin/bash
# test_dns_sec.sh - the DNSSEC-aware lookups of the dns adapter
# (dns_mx_sec, dns_tlsa, dns_addr_sec, dns_query_sec: queries built and
# answers parsed by dnsmsg, sent with ares_send) against the DNSSEC test
# world of lib_dnssec.sh: zones signed in the test and served by nsd, a
# validating unbound with their trust anchors.  Driven through
# tests/tools/mtastsd-probe.
#
# Asserts: AD set for signed answers (records, NODATA and NXDOMAIN), clear
# for an unsigned zone and for a non-validating resolver (dnsmasq);
# TEMPFAIL (SERVFAIL) for a TLSA RRset with broken signatures while the
# rest of that zone stays secure; every TLSA record parsed exactly (3 1 1,
# 2 0 1, a whole certificate in an answer over 512 bytes, garbled ones);
# MX preferences and exchanges; A and AAAA; CNAME chains; TTLs (records,
# CNAME, negative); a hostile server's malformed answers give TEMPFAIL;
# cancellation; bad names.  Every probe run must exit 0 (ASan/LSan).
. "$(dirname "$0")/lib.sh"
. "$LIB_DIR/lib_dnssec.sh"

PROBE=${MTASTSD_PROBE:-$top_builddir/tests/tools/mtastsd-probe}
[ -x "$PROBE" ] || die "probe $PROBE not found (make tests/tools/mtastsd-probe)"

# --- a plain, non-validating resolver (dnsmasq) with one MX (and the
# MTA-STS name world_start needs to bring nginx up)
world_domain plain-dnsmasq.test --txt 'v=STSv1; id=1'
world_mx plain-dnsmasq.test mx.plain-dnsmasq.test 10
world_host mx.plain-dnsmasq.test 127.0.4.99
world_start

# --- the DNSSEC world
dnssec_zone dane.test
dnssec_rr dane.test '_mta-sts TXT "v=STSv1; id=dane1"'
dnssec_rr dane.test '@ 1800 MX 10 mx1'
dnssec_rr dane.test '@ 1800 MX 20 mx2'
dnssec_rr dane.test 'mx1 600 A 127.0.4.1'
dnssec_host mx2.dane.test 127.0.4.2
dnssec_host mx2.dane.test ::1
dnssec_host mx3.dane.test 127.0.4.3
dnssec_tlsa mx1.dane.test 25 good
TLSA_GOOD=$DNSSEC_TLSA
dnssec_tlsa mx1.dane.test 25 ta
TLSA_TA=$DNSSEC_TLSA
dnssec_tlsa mx2.dane.test 25 full
TLSA_FULL=$DNSSEC_TLSA
dnssec_tlsa mx2.dane.test 25 good
TLSA_GOOD2=$DNSSEC_TLSA
dnssec_host garbled.dane.test 127.0.4.4
dnssec_tlsa garbled.dane.test 25 short
TLSA_SHORT=$DNSSEC_TLSA
dnssec_tlsa garbled.dane.test 25 wrong
TLSA_WRONG=$DNSSEC_TLSA
dnssec_tlsa garbled.dane.test 25 pkix
TLSA_PKIX=$DNSSEC_TLSA
dnssec_tlsa garbled.dane.test 25 unknown
dnssec_host relay.dane.test 127.0.4.5
dnssec_tlsa relay.dane.test 587 good
TLSA_RELAY=$DNSSEC_TLSA
dnssec_rr dane.test '_25._tcp.alias 300 CNAME _25._tcp.mx1'

dnssec_zone plain.test --unsigned
dnssec_mx plain.test mx.plain.test 10 127.0.4.10
dnssec_tlsa mx.plain.test 25 good
TLSA_PLAIN=$DNSSEC_TLSA

dnssec_zone bogus.test --bogus TLSA
dnssec_mx bogus.test mx.bogus.test 10 127.0.4.20
dnssec_tlsa mx.bogus.test 25 good
dnssec_start

note "---- the resolver validates (independent of the code under test: drill)"
first_line() { dnssec_dig "$1" "$2" | head -n 1; }
has_ad() { [[ " $(first_line "$1" "$2") " == *" ad "* ]]; }
expect_eq "drill: dane.test MX is NOERROR" "$(first_line dane.test MX | cut -d' ' -f1)" NOERROR
expect_true "drill: dane.test MX has AD" has_ad dane.test MX
expect_false "drill: plain.test MX has no AD" has_ad plain.test MX
expect_eq "drill: bogus TLSA is SERVFAIL" "$(first_line _25._tcp.mx.bogus.test TLSA | cut -d' ' -f1)" \
    SERVFAIL

# run [probe args...]: sets OUT (the result line), RC
run() {
    OUT=$("$PROBE" -s "$DNSSEC_RESOLVER" -t 1000 "$@" 2>>"$WORK/probe.err")
    RC=$?
    note "probe $*: $(printf '%s' "$OUT" | tr '\n' ' ' | cut -c 1-220)"
}
field() { printf '%s\n' "$OUT" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }
detail() { printf '%s\n' "$OUT" | sed -n 's/.* detail="\(.*\)"$/\1/p'; }
# the records without their TTLs, sorted (unbound rotates RRsets)
rrs() { printf '%s\n' "$OUT" | tr ' ' '\n' | sed -n 's|^rr=\([^/]*\)/[0-9]*/|\1/|p' | sort | tr '\n' ' ' | sed 's/ $//'; }
rr_ttls() { printf '%s\n' "$OUT" | tr ' ' '\n' | sed -n 's|^rr=[^/]*/\([0-9]*\)/.*|\1|p' | sort -u | tr '\n' ' ' | sed 's/ $//'; }
tlsa_rr() { # "3 1 1 hex" -> TLSA/3/1/1/hex
    local u s m d
    read -r u s m d <<<"$1"
    echo "TLSA/$u/$s/$m/$d"
}
# expect_sec DESC STATUS AD NXDOMAIN RRS [probe args...]
expect_sec() {
    local desc=$1 want="$2 ad=$3 nx=$4 rrs=[$5]" got
    shift 5
    run "$@"
    got="$(field status) ad=$(field ad) nx=$(field nxdomain) rrs=[$(rrs)]"
    if [ "$RC" = 0 ] && [ "$got" = "$want" ]; then
        lib_result 0 "$desc"
    else
        lib_result 1 "$desc" "rc=$RC got '$got' want '$want'; line: $OUT"
    fi
}
# expect_ttl DESC MIN MAX: the result's ttl= within [MIN, MAX].  unbound
# counts cached TTLs down, so the ranges leave 100 s for slow runs
# (valgrind) while still telling the zone's TTLs (3600, 1800, 600, 300)
# apart.
expect_ttl() {
    local t
    t=$(field ttl)
    if [ -n "$t" ] && [ "$t" -ge "$2" ] && [ "$t" -le "$3" ]; then
        lib_result 0 "$1: ttl $t in [$2, $3]"
    else
        lib_result 1 "$1: ttl in [$2, $3]" "got '$t'; line: $OUT"
    fi
}

note "---- MX"
expect_sec "MX of a signed domain: both hosts, AD" OK 1 0 "MX/10/mx1.dane.test MX/20/mx2.dane.test" \
    mx-sec dane.test
expect_ttl "MX TTL (1800 in the zone)" 1700 1800
expect_eq "MX: each record's TTL is the RRset's" "$(rr_ttls)" "$(field ttl)"
expect_eq "MX: no CNAME, cname is the name" "$(field name) $(field cname)" "dane.test. dane.test"
expect_sec "MX with a trailing dot" OK 1 0 "MX/10/mx1.dane.test MX/20/mx2.dane.test" mx-sec dane.test.
expect_sec "MX of an unsigned domain: no AD" OK 0 0 "MX/10/mx.plain.test" mx-sec plain.test
expect_sec "MX of the bogus-TLSA domain: still secure" OK 1 0 "MX/10/mx.bogus.test" mx-sec bogus.test
expect_sec "MX forwarded to dnsmasq (insecure zone): no AD" OK 0 0 "MX/10/mx.plain-dnsmasq.test" \
    mx-sec plain-dnsmasq.test
expect_sec "MX of a missing domain: NXDOMAIN, AD" NODATA 1 1 "" mx-sec nosuch.dane.test
expect_ttl "NXDOMAIN: negative TTL from the SOA (MINIMUM 300)" 200 300

note "---- A and AAAA"
expect_sec "A of a signed host, AD (AAAA NODATA also AD)" OK 1 0 "A/127.0.4.1" addr-sec mx1.dane.test
expect_ttl "A TTL 600, AAAA NODATA 300: the smaller" 200 300
expect_sec "A and AAAA of a signed host" OK 1 0 "A/127.0.4.2 AAAA/::1" addr-sec mx2.dane.test
expect_eq "A before AAAA" "$(printf '%s\n' "$OUT" | grep -o 'rr=[A-Z]*' | tr '\n' ' ')" "rr=A rr=AAAA "
expect_sec "A of an unsigned host: no AD" OK 0 0 "A/127.0.4.10" addr-sec mx.plain.test
expect_sec "address of a missing host: NXDOMAIN, AD" NODATA 1 1 "" addr-sec nosuch.dane.test

note "---- TLSA"
expect_sec "TLSA 3 1 1 and 2 0 1 of mx1, parsed exactly, AD" OK 1 0 \
    "$(printf '%s\n' "$(tlsa_rr "$TLSA_GOOD")" "$(tlsa_rr "$TLSA_TA")" | sort | tr '\n' ' ' | sed 's/ $//')" \
    tlsa mx1.dane.test 25
expect_ttl "TLSA TTL (3600)" 3500 3600
expect_eq "TLSA owner" "$(field name) $(field cname)" "_25._tcp.mx1.dane.test. _25._tcp.mx1.dane.test"
# The query carries AD and EDNS (UDP size 1232) but not DO, so an answer
# over 512 bytes still comes over UDP: unbound's counters show it.
stats() { echo "$(dnssec_stat total.num.queries) $(dnssec_stat num.query.flags.AD)" \
    "$(dnssec_stat num.query.edns.present) $(dnssec_stat num.query.edns.DO)" \
    "$(dnssec_stat num.query.tcp)"; }
read -r q0 ad0 edns0 do0 tcp0 <<<"$(stats)"
expect_sec "TLSA 3 0 0 with a whole certificate, and 3 1 1" OK 1 0 \
    "$(printf '%s\n' "$(tlsa_rr "$TLSA_FULL")" "$(tlsa_rr "$TLSA_GOOD2")" | sort | tr '\n' ' ' | sed 's/ $//')" \
    tlsa mx2.dane.test 25
read -r q1 ad1 edns1 do1 tcp1 <<<"$(stats)"
expect_eq "one query, with AD and EDNS, without DO, over UDP (unbound's counters)" \
    "$((q1 - q0)) $((ad1 - ad0)) $((edns1 - edns0)) $((do1 - do0)) $((tcp1 - tcp0))" "1 1 1 0 0"
size=$(timeout 5 drill -o AD -b 1232 "@$DNSSEC_RESOLVER" _25._tcp.mx2.dane.test TLSA |
    sed -n 's/^;; MSG SIZE  rcvd: \([0-9]*\).*/\1/p')
expect_true "that answer is over 512 bytes (drill: ${size:-?})" test "${size:-0}" -gt 512
expect_sec "garbled TLSA records parsed as published" OK 1 0 \
    "$(printf '%s\n' "$(tlsa_rr "$TLSA_SHORT")" "$(tlsa_rr "$TLSA_WRONG")" "$(tlsa_rr "$TLSA_PKIX")" \
        TLSA/4/9/9/00 | sort | tr '\n' ' ' | sed 's/ $//')" tlsa garbled.dane.test 25
expect_sec "TLSA on the smart-host port 587" OK 1 0 "$(tlsa_rr "$TLSA_RELAY")" tlsa relay.dane.test 587
expect_sec "no TLSA on port 25 of the relay: NXDOMAIN, AD" NODATA 1 1 "" tlsa relay.dane.test 25
expect_sec "TLSA behind a CNAME" OK 1 0 \
    "$(printf '%s\n' "$(tlsa_rr "$TLSA_GOOD")" "$(tlsa_rr "$TLSA_TA")" | sort | tr '\n' ' ' | sed 's/ $//')" \
    tlsa alias.dane.test 25
expect_eq "CNAME: cname is the target" "$(field cname)" "_25._tcp.mx1.dane.test"
expect_ttl "CNAME TTL 300 bounds the answer" 200 300
expect_sec "TLSA of a host without one: NXDOMAIN, AD (authenticated denial)" NODATA 1 1 "" \
    tlsa mx3.dane.test 25
expect_sec "TLSA type at a name with only an A: NODATA, AD" NODATA 1 0 "" sec TLSA mx3.dane.test
expect_ttl "NODATA: negative TTL" 200 300
expect_sec "TLSA in an unsigned zone: parsed, no AD" OK 0 0 "$(tlsa_rr "$TLSA_PLAIN")" \
    tlsa mx.plain.test 25
expect_sec "TLSA with broken signatures: TEMPFAIL, no AD" TEMPFAIL 0 0 "" tlsa mx.bogus.test 25
expect_eq "bogus TLSA: the detail says SERVFAIL" "$(detail)" SERVFAIL
expect_eq "TEMPFAIL: ttl 0" "$(field ttl)" 0

note "---- other types, names, servers"
run sec DNSKEY dane.test
expect_eq "DNSKEY: one key, AD" "$RC $(field status) $(field ad) $(field n)" "0 OK 1 1"
run sec NS .
expect_eq "root name is asked as '.'" "$RC $(field name) $(field cname)" "0 . ."
expect_ne "root name is not a bad name" "$(detail)" "bad name"
expect_sec "bad name" NODATA 0 0 "" tlsa 'mx 1.dane.test' 25
expect_eq "bad name: the detail says so" "$(detail)" "bad name"
expect_sec "port 0 is a bad name" NODATA 0 0 "" tlsa mx1.dane.test 0
expect_sec "port 70000 is a bad name" NODATA 0 0 "" tlsa mx1.dane.test 70000
expect_sec "a plain dnsmasq never sets AD" OK 0 0 "MX/10/mx.plain-dnsmasq.test" \
    -s 127.0.0.1 mx-sec plain-dnsmasq.test
expect_sec "no resolver listening: TEMPFAIL" TEMPFAIL 0 0 "" -s 127.0.2.99 tlsa mx1.dane.test 25
run -x tlsa mx1.dane.test 25
expect_eq "cancelled TLSA lookup: no callback" "$RC $OUT" "0 status=CANCELLED callbacks=0"
run -x addr-sec mx1.dane.test
expect_eq "cancelled address lookup: no callback" "$RC $OUT" "0 status=CANCELLED callbacks=0"

note "---- a hostile server's answers"
HOSTILE=127.0.2.66
cat >"$WORK/hostile_dns.py" <<'EOF'
# Answers every query with the question copied, AD set, and one broken
# answer chosen by the first label of the name.
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
while True:
    q, peer = s.recvfrom(4096)
    qid, = struct.unpack(">H", q[:2])
    end = 12
    while q[end] != 0:
        end += 1 + q[end]
    question = q[12:end + 5]
    qtype, = struct.unpack(">H", q[end + 1:end + 3])
    label = q[13:13 + q[12]].decode()
    flags, count = 0x81A0, 1
    if label == "half":      # A: one record with AD; AAAA: SERVFAIL
        if qtype == 1:
            an = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 1])
        else:
            an, flags, count = b"", 0x8182, 0
    elif label == "many":    # 40 A records with AD
        an = b"".join(b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 100 - i, 4) + bytes([192, 0, 2, i])
                      for i in range(40))
        count = 40
    elif label == "loop":    # owner is a pointer to itself
        at = 12 + len(question)
        an = struct.pack(">H", 0xC000 | at) + struct.pack(">HHIH", 52, 1, 60, 4) + b"\3\1\1\0"
    elif label == "forward":  # pointer to a later name
        at = 12 + len(question)
        an = struct.pack(">H", 0xC000 | (at + 12)) + struct.pack(">HHIH", 52, 1, 60, 4) + b"\0\0\0\0"
    elif label == "past":     # RDLENGTH past the end
        an = b"\xc0\x0c" + struct.pack(">HHIH", 52, 1, 60, 200) + b"\3\1\1"
    else:                     # an answer of class CH
        an = b"\xc0\x0c" + struct.pack(">HHIH", 52, 3, 60, 4) + b"\3\1\1\0"
    hdr = struct.pack(">HHHHHH", qid, flags, 1, count, 0, 0)
    s.sendto(hdr + question + an, peer)
EOF
"$PYTHON" "$WORK/hostile_dns.py" "$HOSTILE" 2>>"$WORK/hostile_dns.err" &
lib_track "$!"
wait_for 5 bash -c "timeout 2 drill @$HOSTILE x.test TLSA | grep -q rcode" ||
    die "hostile DNS server did not come up: $(cat "$WORK/hostile_dns.err")"
for case in loop:"bad compression pointer" forward:"bad compression pointer" \
    past:"message truncated" class:"answer record not of class IN"; do
    expect_sec "hostile answer (${case%%:*}): TEMPFAIL, no AD" TEMPFAIL 0 0 "" \
        -s "$HOSTILE" sec TLSA "${case%%:*}.hostile.test"
    expect_eq "hostile answer (${case%%:*}): detail" "$(detail)" "malformed answer: ${case#*:}"
done

expect_sec "A with AD but AAAA SERVFAIL: the address is there, AD is not" OK 0 0 "A/192.0.2.1" \
    -s "$HOSTILE" addr-sec half.hostile.test
expect_eq "half: the detail names both" "$(detail)" "A: 1 record, AD, AAAA: SERVFAIL"
expect_eq "half: flagged partial (DANE counts it as a failed lookup)" "$(field partial)" 1
run addr-sec mx2.dane.test
expect_eq "A and AAAA both answered: not partial" "$RC $(field partial)" "0 0"
run -s "$HOSTILE" sec A many.hostile.test
expect_eq "40 records: the first 32, flagged oversize, TTL of all 40" \
    "$RC $(field status) $(field ad) $(field oversize) $(field n) $(field ttl)" "0 OK 1 1 32 61"

note "dnssec world start: ${DNSSEC_START_MS} ms"
finish

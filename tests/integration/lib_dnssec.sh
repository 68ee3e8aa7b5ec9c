# tests/integration/lib_dnssec.sh - the DNSSEC test world (for DANE).
# shellcheck shell=bash disable=SC2034  # variables are for the sourcing scripts
#
# Sourced after lib.sh (which puts the script in its network namespace,
# makes $WORK and the test CA, and stops every process it tracks on exit):
#
#     . "$(dirname "$0")/lib.sh"
#     . "$LIB_DIR/lib_dnssec.sh"
#     dnssec_zone dane.test                      # signed, anchored in unbound
#     dnssec_zone plain.test --unsigned
#     dnssec_zone bogus.test --bogus TLSA        # TLSA RRSIGs broken after signing
#     dnssec_mx dane.test mx1.dane.test 10 127.0.4.1
#     dnssec_tlsa mx1.dane.test 25 good          # 3 1 1 of mx1's test certificate
#     dnssec_start                               # sign, serve, validate, self-check
#     mtastsd_start dns_servers="$DNSSEC_RESOLVER" ...
#
# PIECES.  Keys and signatures are made in the test, every run, with
# ldns-keygen (one ECDSAP256SHA256 key per signed zone, used as KSK and
# ZSK) and ldns-signzone (NSEC, signatures valid from now for 4 weeks).
# nsd serves every zone on $DNSSEC_AUTH:53 (default 127.0.2.2).  unbound
# on $DNSSEC_RESOLVER:53 (default 127.0.2.1) is the validating resolver:
# one stub-zone per declared zone pointing at nsd, the DS of each signed
# zone as its trust anchor (no root anchor: names outside the declared
# zones are insecure), "test." and "invalid." released from unbound's
# built-in empty zones.  When the lib.sh world runs (dnsmasq on
# 127.0.0.1:53, started by world_start before dnssec_start), unbound
# forwards every other name there, so the MTA-STS names of world_domain
# still resolve through $DNSSEC_RESOLVER; set DNSSEC_FORWARD to another
# ADDR[@PORT], or to "none", to change that.  All three run in the
# foreground, are tracked by lib.sh and stopped by PID.
#
# DECLARING (before dnssec_start).
#   dnssec_zone ZONE [--unsigned] [--bogus TYPE]...
#       A zone with SOA, NS and the name server's address.  --unsigned: no
#       keys, no anchor (answers are insecure: no AD).  --bogus TYPE: after
#       signing, the signature of every RRSIG covering TYPE is altered, so
#       unbound finds those RRsets bogus and answers SERVFAIL for them
#       (other names of the zone stay secure).
#   dnssec_rr ZONE LINE
#       One zone-file line, names relative to ZONE or absolute:
#       dnssec_rr dane.test '_mta-sts TXT "v=STSv1; id=1"'
#   dnssec_mx ZONE HOST PREF [ADDR]
#       "ZONE MX PREF HOST." and, if ADDR is given, "HOST A ADDR" in the
#       zone HOST belongs to (the declared zone that is its longest suffix).
#   dnssec_host HOST ADDR
#       "HOST A ADDR" (AAAA if ADDR has a colon) in HOST's zone.
#   dnssec_tlsa HOST PORT KIND [RDATA]
#       A TLSA record at _PORT._tcp.HOST in HOST's zone.  Sets DNSSEC_TLSA
#       to the published RDATA ("3 1 1 <hex>", hex lowercase).  KIND:
#         good       3 1 1 SHA-256 of the public key of `pki_cert good HOST`
#         full       3 0 0 the whole DER certificate of that cert (about
#                    500 bytes: the answer is bigger than 512 bytes)
#         ta         2 0 1 SHA-256 of the test CA certificate
#         wrong      3 1 1 SHA-256 of another key (well-formed, no match)
#         short      3 1 1 with a 31-byte digest (garbled)
#         pkix       1 1 1 a PKIX-EE record (not usable for SMTP, RFC 7672)
#         unknown    4 9 9 00 (unknown usage, selector and matching type)
#         raw        RDATA as given
#   dnssec_spki_sha256 HOST   prints the hex SHA-256 of the public key of
#                             HOST's good test certificate
#
# STARTING.
#   dnssec_start
#       Writes and signs the zones, starts nsd and unbound, waits until
#       they answer, then checks the resolver really validates: a signed
#       name of an internal zone (selfcheck.dnssec.invalid) has AD, a name
#       whose RRSIG was broken there SERVFAILs, every declared signed zone's
#       SOA has AD, every unsigned one's has none, and each --bogus zone's
#       first record of the bogus type SERVFAILs.  Any failure is a hard
#       error (die, exit 99): a test built on this world cannot pass by
#       accident with a resolver that does not validate.  Sets
#       DNSSEC_START_MS (wall time of dnssec_start, keys to self-check).
#   dnssec_dig NAME TYPE [SERVER]
#       Asks SERVER (default $DNSSEC_RESOLVER) with drill, DO bit set;
#       prints "RCODE flags..." (e.g. "NOERROR qr rd ra ad") then one
#       answer record per line (RRSIGs left out), or "TIMEOUT".
#   dnssec_flush [NAME]         unbound-control flush_zone NAME (default:
#                               everything): the next query asks nsd again
#   dnssec_stat KEY             one of unbound's counters (extended
#                               statistics, never reset), e.g.
#                               total.num.queries, num.query.tcp,
#                               num.query.flags.AD, num.query.edns.DO
#
# Requires: ldns-keygen, ldns-signzone, drill (ldnsutils), nsd, unbound,
# unbound-control, openssl.

lib_need ldns-keygen ldns-signzone drill nsd unbound unbound-control openssl

: "${DNSSEC_RESOLVER:=127.0.2.1}"
: "${DNSSEC_AUTH:=127.0.2.2}"
DNSSEC_DIR=$WORK/dnssec
DNSSEC_ZONES=()
DNSSEC_START_MS=
DNSSEC_TLSA=
DNSSEC_NSD_PID=
DNSSEC_UNBOUND_PID=
declare -A DNSSEC_SIGNED DNSSEC_BOGUS DNSSEC_RRS DNSSEC_DS

dnssec_zone() {
    local zone=${1%.} opt
    shift
    [ -n "$zone" ] || die "dnssec_zone: no zone"
    [ -z "${DNSSEC_SIGNED[$zone]+set}" ] || die "dnssec_zone: $zone declared twice"
    [ -z "$DNSSEC_START_MS" ] || die "dnssec_zone: $zone declared after dnssec_start"
    DNSSEC_ZONES+=("$zone")
    DNSSEC_SIGNED[$zone]=1
    DNSSEC_BOGUS[$zone]=
    DNSSEC_RRS[$zone]=
    while [ $# -gt 0 ]; do
        opt=$1
        case $opt in
        --unsigned) DNSSEC_SIGNED[$zone]=0 ;;
        --bogus)
            [ $# -ge 2 ] || die "dnssec_zone $zone: --bogus needs a type"
            DNSSEC_BOGUS[$zone]+="$2 "
            shift
            ;;
        *) die "dnssec_zone $zone: unknown option '$opt'" ;;
        esac
        shift
    done
}

dnssec_rr() { # ZONE LINE
    [ -n "${DNSSEC_SIGNED[${1%.}]+set}" ] || die "dnssec_rr: zone $1 not declared"
    DNSSEC_RRS[${1%.}]+="$2"$'\n'
}

# lib_dnssec_zone_of HOST -> sets DNSSEC_ZONE_OF (longest declared suffix)
lib_dnssec_zone_of() {
    local host=${1%.} z best=
    for z in "${DNSSEC_ZONES[@]}"; do
        case $host in
        "$z" | *."$z") [ ${#z} -gt ${#best} ] && best=$z ;;
        esac
    done
    [ -n "$best" ] || die "no declared zone holds $host"
    DNSSEC_ZONE_OF=$best
}

dnssec_host() { # HOST ADDR
    local type=A
    case $2 in *:*) type=AAAA ;; esac
    lib_dnssec_zone_of "$1"
    dnssec_rr "$DNSSEC_ZONE_OF" "${1%.}. $type $2"
}

dnssec_mx() { # ZONE HOST PREF [ADDR]
    [ $# -ge 3 ] || die "dnssec_mx: want ZONE HOST PREF [ADDR]"
    dnssec_rr "$1" "${1%.}. MX $3 ${2%.}."
    [ -z "${4:-}" ] || dnssec_host "$2" "$4"
}

lib_dnssec_hex_sha256() { openssl dgst -sha256 -r | cut -d' ' -f1; }

dnssec_spki_sha256() { # HOST
    pki_cert good "$1"
    openssl x509 -in "$PKI_CERT" -noout -pubkey | openssl pkey -pubin -outform DER |
        lib_dnssec_hex_sha256
}

dnssec_tlsa() { # HOST PORT KIND [RDATA]
    local host=${1%.} port=$2 kind=$3 rdata hex
    case $kind in
    good) rdata="3 1 1 $(dnssec_spki_sha256 "$host")" ;;
    full)
        pki_cert good "$host"
        hex=$(openssl x509 -in "$PKI_CERT" -outform DER | od -An -v -tx1 | tr -d ' \n')
        rdata="3 0 0 $hex"
        ;;
    ta) rdata="2 0 1 $(openssl x509 -in "$CA_FILE" -outform DER | lib_dnssec_hex_sha256)" ;;
    wrong)
        pki_cert good "wrong-key.$host"
        rdata="3 1 1 $(openssl x509 -in "$PKI_CERT" -noout -pubkey |
            openssl pkey -pubin -outform DER | lib_dnssec_hex_sha256)"
        ;;
    short) rdata="3 1 1 $(dnssec_spki_sha256 "$host" | cut -c 1-62)" ;;
    pkix) rdata="1 1 1 $(dnssec_spki_sha256 "$host")" ;;
    unknown) rdata="4 9 9 00" ;;
    raw) rdata=${4:?dnssec_tlsa: raw needs RDATA} ;;
    *) die "dnssec_tlsa: unknown kind '$kind'" ;;
    esac
    [ -n "${rdata##* }" ] || die "dnssec_tlsa: no data for $host ($kind)"
    lib_dnssec_zone_of "$host"
    dnssec_rr "$DNSSEC_ZONE_OF" "_$port._tcp.$host. TLSA $rdata"
    DNSSEC_TLSA=$rdata
}

# lib_dnssec_write_zone ZONE FILE
lib_dnssec_write_zone() {
    local zone=$1
    {
        echo "\$ORIGIN $zone."
        echo "\$TTL 3600"
        echo "@ SOA ns.$zone. hostmaster.$zone. 1 7200 900 1209600 300"
        echo "@ NS ns.$zone."
        echo "ns.$zone. A $DNSSEC_AUTH"
        printf '%s' "${DNSSEC_RRS[$zone]}"
    } >"$2"
}

# lib_dnssec_break FILE TYPE: alter the signature of every RRSIG covering
# TYPE (the last field, base64): its first character is rotated, so it
# stays valid base64 but no longer verifies.
lib_dnssec_break() {
    awk -v t="$2" 'BEGIN { OFS = "\t" }
        $4 == "RRSIG" && $5 == t {
            s = $NF; c = substr(s, 1, 1)
            n = index("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", c)
            c2 = substr("BCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/A", n, 1)
            $NF = c2 substr(s, 2); broken++
        }
        { print }
        END { if (broken == 0) exit 3 }' "$1" >"$1.tmp" ||
        die "dnssec: no RRSIG over $2 to break in $1"
    mv "$1.tmp" "$1"
}

# lib_dnssec_sign ZONE: zone file -> signed zone file, DS for unbound
lib_dnssec_sign() {
    local zone=$1 d=$DNSSEC_DIR/zones key t
    (cd "$DNSSEC_DIR/keys" && ldns-keygen -a ECDSAP256SHA256 -k -r /dev/urandom "$zone" \
        >"$zone.keyname" 2>"$zone.keygen.err") ||
        die "ldns-keygen $zone: $(cat "$DNSSEC_DIR/keys/$zone.keygen.err")"
    key=$DNSSEC_DIR/keys/$(cat "$DNSSEC_DIR/keys/$zone.keyname")
    ldns-signzone -o "$zone" -f "$d/$zone.signed" "$d/$zone.zone" "$key" \
        2>"$d/$zone.sign.err" || die "ldns-signzone $zone: $(cat "$d/$zone.sign.err")"
    for t in ${DNSSEC_BOGUS[$zone]}; do
        lib_dnssec_break "$d/$zone.signed" "$t"
    done
    DNSSEC_DS[$zone]=$key.ds
}

lib_dnssec_write_nsd_conf() {
    local zone file
    {
        cat <<EOF
server:
    ip-address: $DNSSEC_AUTH@53
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "$DNSSEC_DIR/zones"
    pidfile: "$DNSSEC_DIR/nsd/nsd.pid"
    database: ""
    xfrdfile: "$DNSSEC_DIR/nsd/xfrd.state"
    zonelistfile: "$DNSSEC_DIR/nsd/zone.list"
    xfrdir: "$DNSSEC_DIR/nsd"
    logfile: "$DNSSEC_DIR/nsd/nsd.log"
    server-count: 1
    verbosity: 1
    hide-version: yes
    reuseport: no
    # Debian's nsd has response rate limiting on (200 answers a second per
    # /24, then it drops or truncates): every client here is 127.0.0.1,
    # and a burst (bench/dane) would measure RRL, not the code under test.
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
EOF
        for zone in "${DNSSEC_ZONES[@]}" selfcheck.dnssec.invalid; do
            file=$zone.zone
            [ "${DNSSEC_SIGNED[$zone]}" = 1 ] && file=$zone.signed
            printf 'zone:\n    name: "%s"\n    zonefile: "%s"\n' "$zone" "$file"
        done
    } >"$DNSSEC_DIR/nsd/nsd.conf"
}

lib_dnssec_write_unbound_conf() {
    local zone tld fwd=${DNSSEC_FORWARD:-}
    if [ -z "$fwd" ]; then
        fwd=none
        [ -n "${DNSMASQ_PID:-}" ] && fwd=127.0.0.1@53
    fi
    {
        cat <<EOF
server:
    interface: $DNSSEC_RESOLVER@53
    do-ip6: no
    access-control: 127.0.0.0/8 allow
    username: ""
    chroot: ""
    directory: "$DNSSEC_DIR/unbound"
    pidfile: "$DNSSEC_DIR/unbound/unbound.pid"
    use-syslog: no
    logfile: "$DNSSEC_DIR/unbound/unbound.log"
    verbosity: 1
    val-log-level: 2
    log-servfail: yes
    num-threads: 1
    so-reuseport: no
    do-not-query-localhost: no
    qname-minimisation: no
    extended-statistics: yes
    prefetch: no
    aggressive-nsec: no
    # A burst of first queries with DANE sends hundreds of queries at
    # once; the default socket buffer (212 KiB) drops some of them and
    # the client retries after its timeout.
    so-rcvbuf: 4m
    local-zone: "test." nodefault
    local-zone: "invalid." nodefault
EOF
        for zone in "${DNSSEC_ZONES[@]}" selfcheck.dnssec.invalid; do
            [ "${DNSSEC_SIGNED[$zone]}" = 1 ] &&
                echo "    trust-anchor-file: \"${DNSSEC_DS[$zone]}\""
        done
        for zone in "${DNSSEC_ZONES[@]}" selfcheck.dnssec.invalid; do
            printf 'stub-zone:\n    name: "%s"\n    stub-addr: %s\n' "$zone" "$DNSSEC_AUTH"
        done
        if [ "$fwd" != none ]; then
            printf 'forward-zone:\n    name: "."\n    forward-addr: %s\n' "$fwd"
        fi
        cat <<EOF
remote-control:
    control-enable: yes
    control-interface: "$DNSSEC_DIR/unbound/control.sock"
    control-use-cert: no
EOF
    } >"$DNSSEC_DIR/unbound/unbound.conf"
}

dnssec_dig() { # NAME TYPE [SERVER]
    local out
    out=$(timeout "${DNSSEC_DIG_TIMEOUT:-5}" drill -D "@${3:-$DNSSEC_RESOLVER}" "$1" "$2" 2>&1) || {
        echo TIMEOUT
        return 1
    }
    printf '%s\n' "$out" | awk '
        /->>HEADER<<-/ { for (i = 1; i <= NF; i++) if ($i == "rcode:") { r = $(i + 1); sub(",", "", r) } }
        /^;; flags:/ { f = ""; for (i = 3; i <= NF && $i != ";"; i++) f = f " " $i }
        /^;; ANSWER SECTION:/ { a = 1; next }
        /^;; / || /^$/ { a = 0 }
        a && $4 != "RRSIG" { ans = ans $0 "\n" }
        END { print r f; printf "%s", ans }'
}

dnssec_flush() { # [NAME]
    if [ -n "${1:-}" ]; then
        unbound-control -c "$DNSSEC_DIR/unbound/unbound.conf" flush_zone "$1" >/dev/null
    else
        unbound-control -c "$DNSSEC_DIR/unbound/unbound.conf" flush_zone . >/dev/null
    fi
}

dnssec_stat() { # KEY
    local v
    v=$(unbound-control -c "$DNSSEC_DIR/unbound/unbound.conf" stats_noreset |
        awk -F= -v k="$1" '$1 == k { print $2 }')
    echo "${v:-0}"
}

# The TCP port first: a UDP query sent before the server binds is lost
# silently (drill would wait for its whole timeout).
lib_dnssec_ready() { # SERVER NAME
    lib_port_open "$1" 53 || return 1
    DNSSEC_DIG_TIMEOUT=2 dnssec_dig "$2" SOA "$1" | head -n 1 | grep -q '^NOERROR'
}

# lib_dnssec_expect_flags NAME TYPE WANT_RCODE AD|noAD: die unless so
lib_dnssec_expect() {
    local got
    got=$(dnssec_dig "$1" "$2" | head -n 1)
    case "$3:$4" in
    *:AD) [[ $got == "$3 "* && " $got " == *" ad "* ]] && return 0 ;;
    *:noAD) [[ $got == "$3 "* && " $got " != *" ad "* ]] && return 0 ;;
    *:any) [[ $got == "$3"* ]] && return 0 ;;
    esac
    die "DNSSEC self-check: $1 $2 gave '$got', want $3 ($4) from the validating resolver" \
        "(logs: $DNSSEC_DIR/unbound/unbound.log)"
}

dnssec_start() {
    local t0 zone t first
    [ -z "$DNSSEC_START_MS" ] || die "dnssec_start called twice"
    t0=$(date +%s%N)
    mkdir -p "$DNSSEC_DIR/keys" "$DNSSEC_DIR/zones" "$DNSSEC_DIR/nsd" "$DNSSEC_DIR/unbound"

    # The internal self-check zone: "ok" is secure, "bad" is bogus.
    DNSSEC_SIGNED[selfcheck.dnssec.invalid]=1
    DNSSEC_BOGUS[selfcheck.dnssec.invalid]="TXT "
    DNSSEC_RRS[selfcheck.dnssec.invalid]=$'ok A 127.0.0.1\nbad TXT "broken signature"\n'

    for zone in "${DNSSEC_ZONES[@]}" selfcheck.dnssec.invalid; do
        lib_dnssec_write_zone "$zone" "$DNSSEC_DIR/zones/$zone.zone"
        [ "${DNSSEC_SIGNED[$zone]}" = 1 ] && lib_dnssec_sign "$zone"
    done
    lib_dnssec_write_nsd_conf
    lib_dnssec_write_unbound_conf
    nsd-checkconf "$DNSSEC_DIR/nsd/nsd.conf" >"$DNSSEC_DIR/nsd/checkconf.err" 2>&1 ||
        die "nsd-checkconf: $(cat "$DNSSEC_DIR/nsd/checkconf.err")"
    unbound-checkconf "$DNSSEC_DIR/unbound/unbound.conf" >"$DNSSEC_DIR/unbound/checkconf.err" 2>&1 ||
        die "unbound-checkconf: $(cat "$DNSSEC_DIR/unbound/checkconf.err")"

    nsd -d -c "$DNSSEC_DIR/nsd/nsd.conf" >>"$DNSSEC_DIR/nsd/stderr" 2>&1 &
    DNSSEC_NSD_PID=$!
    lib_track "$DNSSEC_NSD_PID"
    unbound -d -c "$DNSSEC_DIR/unbound/unbound.conf" >>"$DNSSEC_DIR/unbound/stderr" 2>&1 &
    DNSSEC_UNBOUND_PID=$!
    lib_track "$DNSSEC_UNBOUND_PID"
    wait_for 10 lib_dnssec_ready "$DNSSEC_AUTH" selfcheck.dnssec.invalid ||
        die "nsd did not come up: $(tail -n 5 "$DNSSEC_DIR/nsd/nsd.log" "$DNSSEC_DIR/nsd/stderr" 2>&1)"
    wait_for 10 lib_dnssec_ready "$DNSSEC_RESOLVER" selfcheck.dnssec.invalid ||
        die "unbound did not come up: $(tail -n 5 "$DNSSEC_DIR/unbound/unbound.log" "$DNSSEC_DIR/unbound/stderr" 2>&1)"

    # Self-check: the resolver validates, or nothing built on it counts.
    lib_dnssec_expect ok.selfcheck.dnssec.invalid A NOERROR AD
    lib_dnssec_expect bad.selfcheck.dnssec.invalid TXT SERVFAIL any
    for zone in "${DNSSEC_ZONES[@]}"; do
        if [ "${DNSSEC_SIGNED[$zone]}" = 1 ]; then
            lib_dnssec_expect "$zone" SOA NOERROR AD
        else
            lib_dnssec_expect "$zone" SOA NOERROR noAD
        fi
        for t in ${DNSSEC_BOGUS[$zone]}; do
            first=$(awk -v t="$t" '$4 == t { print $1; exit }' "$DNSSEC_DIR/zones/$zone.signed")
            lib_dnssec_expect "$first" "$t" SERVFAIL any
        done
    done
    DNSSEC_START_MS=$((($(date +%s%N) - t0) / 1000000))
    note "dnssec world up in ${DNSSEC_START_MS} ms: ${#DNSSEC_ZONES[@]} zones on nsd $DNSSEC_AUTH, validating unbound $DNSSEC_RESOLVER"
}

# Show the DNSSEC servers' logs too when a test fails.
lib_dnssec_dump_logs() {
    local f
    for f in "$DNSSEC_DIR/unbound/unbound.log" "$DNSSEC_DIR/nsd/nsd.log"; do
        [ -s "$f" ] || continue
        echo "----- tail of $f" >&2
        tail -n 40 "$f" >&2
    done
}
eval "lib_dnssec_base_dump_logs() $(declare -f lib_dump_logs | tail -n +2)"
lib_dump_logs() {
    lib_dnssec_base_dump_logs
    lib_dnssec_dump_logs
}

#!/bin/bash
# test_mxprobe.sh - the MX probe's SMTP adapter (src/mxprobe.c, with
# smtpreply and tlsinfo) against hostile_smtp.py, through
# tests/tools/mtastsd-probe: a correct dialogue (greeting, EHLO with our
# address literal, STARTTLS, TLS with SNI, QUIT over TLS, nothing else);
# replies that are not SMTP (garbage, a NUL, a 100 KB line, 1000 lines,
# codes that differ) end the probe at once; plaintext injected after the
# STARTTLS answer is refused, never handed to TLS; every stall (greeting,
# EHLO, STARTTLS, the handshake, a server dripping one byte a second) ends
# within the probe's bounded time; closed connections, a block-list
# greeting and a refused EHLO are "not tested", not the domain's error;
# no STARTTLS, a refused STARTTLS and a TLS handshake with garbage are
# findings; the next address is tried when one refuses; an untrusted
# chain is reported, not refused; cancellation.  Time bounds use -T 2000
# (the dialogue) and -C 1000 (connect).
. "$(dirname "$0")/lib.sh"

PROBE=$top_builddir/tests/tools/mtastsd-probe
[ -x "$PROBE" ] || die "probe binary $PROBE not found (build it with make check)"

H=$WORK/hsmtp
mkdir -p "$H"
pki_cert good mx.hostile.test
GOOD_CERT=$PKI_CERT GOOD_KEY=$PKI_KEY
N=0
declare -A ADDR_OF
# hsmtp MODE [CERTKIND]: a hostile_smtp.py on its own address; sets ADDR
hsmtp() {
    local mode=$1 kind=${2:-good} cert=$GOOD_CERT key=$GOOD_KEY
    N=$((N + 1))
    ADDR=127.0.6.$N
    if [ "$kind" != good ]; then
        pki_cert "$kind" mx.hostile.test
        cert=$PKI_CERT key=$PKI_KEY
    fi
    "$PYTHON" "$LIB_DIR/hostile_smtp.py" --addr "$ADDR" --port 25 --mode "$mode" \
        --cert "$cert" --key "$key" --log "$H/$ADDR.log" 2>>"$H/$ADDR.stderr" &
    lib_track "$!"
    wait_for 10 lib_port_open "$ADDR" 25 || die "hostile_smtp.py $mode did not come up: $(cat "$H/$ADDR.stderr")"
    ADDR_OF[$mode${2:+-$2}]=$ADDR
}

# smtp DESC WANT_STATUS ADDRS [probe options]: OUT, RC, ST, MS (elapsed wall ms)
smtp() {
    local desc=$1 want=$2 addrs=$3 t0
    shift 3
    t0=${EPOCHREALTIME/./}
    OUT=$("$PROBE" -c "$CA_FILE" -C 1000 -T 2000 "$@" smtp mx.hostile.test "$addrs" 2>>"$WORK/probe.err")
    RC=$?
    MS=$(((${EPOCHREALTIME/./} - t0) / 1000))
    ST=$(printf '%s\n' "$OUT" | sed -n 's/^status=\([^ ]*\).*/\1/p')
    note "probe smtp $addrs: $(printf '%s' "$OUT" | cut -c 1-220) (${MS} ms)"
    if [ "$RC:$ST" = "0:$want" ]; then
        lib_result 0 "$desc: $want"
    else
        lib_result 1 "$desc: $want" "rc=$RC out=$OUT err=$(tail -n 3 "$WORK/probe.err")"
    fi
}
field() { printf '%s\n' "$OUT" | grep -o " $1=\(\"[^\"]*\"\|[^ ]*\)" | head -n 1 | cut -d= -f2-; }
detail_has() { # DESC TEXT
    expect_true "$1" grep -qF -- "$2" <<<"$(field detail)"
}
within() { # DESC MS
    expect_true "$1 (within $2 ms, took $MS)" test "$MS" -lt "$2"
}
clog() { cat "$H/$1.log" 2>/dev/null; } # what the client sent to ADDR

for m in ok inject garbage long-line many-lines codes-differ nul drip stall-greeting stall-ehlo \
    stall-starttls stall-tls close close-after-greeting blocked ehlo-refused no-starttls \
    starttls-refused tls-garbage; do
    hsmtp "$m"
done
hsmtp ok untrusted
hsmtp ok wrongname

note "---- a correct server"
smtp "correct dialogue" TLS "${ADDR_OF[ok]}"
expect_eq "codes, STARTTLS offered, TLS, verified, names" \
    "$(field greeting) $(field ehlo) $(field starttls) $(field offered) $(field tls) $(field verified) $(field names)" \
    '220 250 220 1 "TLSv1.3" 1 "mx.hostile.test"'
expect_eq "what the client sent: EHLO with its address literal, STARTTLS, QUIT (over TLS)" \
    "$(clog "${ADDR_OF[ok]}" | grep '^C: ' | tr '\n' '|')" \
    'C: EHLO [127.0.0.1]|C: STARTTLS|C: QUIT|'
smtp "untrusted chain: reported, not refused" TLS "${ADDR_OF[ok-untrusted]}"
expect_eq "untrusted: the verdict and OpenSSL's reason" "$(field verified) $(field verify)" \
    '0 "unable to get local issuer certificate"'
smtp "certificate for another name: the handshake completes (the name is the caller's)" TLS \
    "${ADDR_OF[ok-wrongname]}"
expect_eq "wrong name: trusted, its own names" "$(field verified) $(field names)" \
    '1 "wrong.mx.hostile.test.invalid"'

note "---- replies that are not SMTP: refused at once"
smtp "an HTTP answer" PROTOCOL "${ADDR_OF[garbage]}"
detail_has "an HTTP answer: said" "the greeting is not SMTP: not an SMTP reply line"
within "an HTTP answer: at once" 1500
smtp "a 100 KB greeting line" PROTOCOL "${ADDR_OF[long-line]}"
detail_has "long line: said" "reply line longer than 512 bytes"
within "long line: at once" 1500
smtp "1000 EHLO lines" PROTOCOL "${ADDR_OF[many-lines]}"
detail_has "many lines: said" "too many lines in one reply"
smtp "EHLO lines with different codes" PROTOCOL "${ADDR_OF[codes-differ]}"
detail_has "codes differ: said" "reply code out of range or changing within a reply"
smtp "a NUL in the greeting" PROTOCOL "${ADDR_OF[nul]}"
detail_has "NUL: said" "NUL or stray CR"

note "---- plaintext injected after STARTTLS"
smtp "a second reply in the same write as the 220" PROTOCOL "${ADDR_OF[inject]}"
detail_has "injection: said" "bytes came after the answer to STARTTLS"
expect_eq "injection: no TLS was started" "$(field tls)" "-"

note "---- stalls end within the bounds"
smtp "no greeting" NOT_TESTED "${ADDR_OF[stall-greeting]}"
detail_has "no greeting: said" "no greeting within 2 s"
within "no greeting" 3500
smtp "a greeting dripping one byte a second" NOT_TESTED "${ADDR_OF[drip]}"
detail_has "drip: said" "no greeting within 2 s"
within "drip" 3500
smtp "EHLO never answered" NOT_TESTED "${ADDR_OF[stall-ehlo]}"
detail_has "EHLO stall: said" "no answer to EHLO within 2 s"
smtp "STARTTLS never answered" TLS_FAILED "${ADDR_OF[stall-starttls]}"
detail_has "STARTTLS stall: said" "no answer to STARTTLS within 2 s"
smtp "no TLS after 220" TLS_FAILED "${ADDR_OF[stall-tls]}"
detail_has "TLS stall: said" "no TLS handshake within 2 s"
within "TLS stall" 3500

note "---- hosts that refuse this client: not tested, not the domain's error"
smtp "closed at once" NOT_TESTED "${ADDR_OF[close]}"
detail_has "closed: said" "the host closed the connection before the greeting"
smtp "closed after the greeting" NOT_TESTED "${ADDR_OF[close-after-greeting]}"
detail_has "closed after the greeting: said" "before the answer to EHLO"
smtp "a block-list greeting" NOT_TESTED "${ADDR_OF[blocked]}"
detail_has "blocked: said" "the host refused this client: 554 5.7.1 Service unavailable"
expect_eq "blocked: the client still says QUIT, and no EHLO" \
    "$(clog "${ADDR_OF[blocked]}" | grep '^C: ' | tr '\n' '|')" 'C: QUIT|'
smtp "EHLO refused" NOT_TESTED "${ADDR_OF[ehlo-refused]}"
detail_has "EHLO refused: said" "refused EHLO from this client: 502"
smtp "nothing listens" NOT_TESTED 127.0.6.250
detail_has "nothing listens: said" "no connection to port 25 (127.0.6.250: Connection refused)"
smtp "the next address is tried" TLS "127.0.6.250,${ADDR_OF[ok]}"
expect_eq "the address that answered" "$(field address)" "${ADDR_OF[ok]}"

note "---- findings"
smtp "no STARTTLS" NO_STARTTLS "${ADDR_OF[no-starttls]}"
expect_eq "no STARTTLS: not offered; QUIT said" \
    "$(field offered) $(clog "${ADDR_OF[no-starttls]}" | grep '^C: ' | tr '\n' '|')" \
    '0 C: EHLO [127.0.0.1]|C: QUIT|'
smtp "STARTTLS refused" STARTTLS_REFUSED "${ADDR_OF[starttls-refused]}"
detail_has "STARTTLS refused: said" "STARTTLS answered 454 4.7.0 TLS not available"
smtp "garbage instead of TLS" TLS_FAILED "${ADDR_OF[tls-garbage]}"
detail_has "TLS garbage: OpenSSL's reason" "TLS handshake failed"

note "---- cancellation"
OUT=$("$PROBE" -x smtp mx.hostile.test "${ADDR_OF[stall-greeting]}" 2>>"$WORK/probe.err")
expect_eq "cancelled: no callback" "$?:$OUT" "0:status=CANCELLED callbacks=0"

finish

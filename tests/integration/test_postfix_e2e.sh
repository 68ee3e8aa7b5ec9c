#!/bin/bash
# test_postfix_e2e.sh - a real Postfix enforces mtastsd's verdicts.
#
# A SENDING Postfix instance (smtp_tls_policy_maps = socketmap to mtastsd)
# delivers to a RECEIVING Postfix instance that listens on one loopback
# address per MX host, each with its own certificate from the test world's
# PKI.  DNS (MX and A records, _mta-sts TXT) comes from the world's dnsmasq;
# policies from its nginx.  Cases (one recipient domain each):
#     good.test       enforce, MX cert good                  -> sent, Verified
#     wrongname.test  enforce, MX cert for another name      -> deferred
#     untrusted.test  enforce, MX cert from an unknown CA    -> deferred
#     notlisted.test  enforce, policy mx1, DNS MX is mx2     -> deferred
#     testing.test    testing, MX cert for another name      -> sent
#     nopolicy.test   no _mta-sts record, unknown-CA cert    -> sent
# and DANE precedence (issue 12: mtastsd runs with dane = on and answers
# "dane-only" for these; the sending Postfix has
# smtp_dns_support_level = dnssec and does the DANE check itself):
#     dane.test       enforce, signed zone, TLSA 3 1 1 of the MX
#                     certificate                            -> sent, Verified (DANE)
#     danebad.test    enforce, signed zone, TLSA that does not
#                     match the MX certificate (which MTA-STS alone
#                     would accept: a good certificate)      -> deferred
# Assertions use the sending instance's log (maillog_file), its queue
# (postqueue -j) and the receiving instance's log.
#
# NAMESPACE.  Real root, "unshare -nm", Postfix instances: see
# lib_postfix.sh.  DNS: the DNSSEC world of lib_dnssec.sh (nsd with zones
# signed in the test, a validating unbound that forwards every other name
# to the world's dnsmasq); /etc/resolv.conf there names that unbound,
# with "options trust-ad", as the README's DANE setup has it (Postfix 3.7
# also asks glibc for the AD bit itself: the DANE cases pass without the
# option too).
#
# MTASTS_E2E_STATIC=1 replaces the daemon by a texthash map holding the
# verdicts the daemon should give (debug aid: separates Postfix plumbing
# problems from daemon problems).  Both Postfix instances live under $WORK
# (config, queue and data directories; chroot off) and are stopped by pid.
. "$(dirname "$0")/lib_postfix.sh"
. "$LIB_DIR/lib_dnssec.sh"

pol() { # MODE MX... -> policy text
    local mode=$1 m
    shift
    printf 'version: STSv1\nmode: %s\n' "$mode"
    for m in "$@"; do printf 'mx: %s\n' "$m"; done
    printf 'max_age: 86400\n'
}

re() { lib_re_quote "$1"; }

# ---------------------------------------------------------------- the world
# CASES: domain -> "MXHOST ADDR CERTKIND"; the receiving instance listens on
# ADDR:25 with a KIND certificate for MXHOST.
declare -A MX_HOST MX_ADDR MX_CERT
CASES=(good.test wrongname.test untrusted.test notlisted.test testing.test nopolicy.test)
mx_case() { # DOMAIN MXHOST ADDR CERTKIND
    MX_HOST[$1]=$2 MX_ADDR[$1]=$3 MX_CERT[$1]=$4
    world_mx "$1" "$2" 10
    world_host "$2" "$3"
}

world_domain good.test --txt 'v=STSv1; id=1' --policy "$(pol enforce mx.good.test)"
mx_case good.test mx.good.test 127.0.3.1 good
world_domain wrongname.test --txt 'v=STSv1; id=1' --policy "$(pol enforce mx.wrongname.test)"
mx_case wrongname.test mx.wrongname.test 127.0.3.2 wrongname
world_domain untrusted.test --txt 'v=STSv1; id=1' --policy "$(pol enforce mx.untrusted.test)"
mx_case untrusted.test mx.untrusted.test 127.0.3.3 untrusted
world_domain notlisted.test --txt 'v=STSv1; id=1' --policy "$(pol enforce mx1.notlisted.test)"
mx_case notlisted.test mx2.notlisted.test 127.0.3.4 good
world_host mx1.notlisted.test 127.0.3.14 # listed, but not an MX: never contacted
world_domain testing.test --txt 'v=STSv1; id=1' --policy "$(pol testing mx.testing.test)"
mx_case testing.test mx.testing.test 127.0.3.5 wrongname
world_domain nopolicy.test
mx_case nopolicy.test mx.nopolicy.test 127.0.3.6 untrusted

# DANE: signed zones on nsd (nginx still serves the policies).  The MX
# hosts have good certificates, so MTA-STS alone would deliver to both;
# DANE must decide.
DANE_CASES=(dane.test danebad.test)
dane_case() { # DOMAIN ADDR TLSAKIND
    local d=$1
    MX_HOST[$d]=mx.$d MX_ADDR[$d]=$2 MX_CERT[$d]=good
    world_domain "$d" --policy "$(pol enforce "mx.$d")"
    dnssec_zone "$d"
    dnssec_rr "$d" '_mta-sts TXT "v=STSv1; id=1"'
    dnssec_rr "$d" 'mta-sts A 127.0.0.1'
    dnssec_mx "$d" "mx.$d" 10 "$2"
    dnssec_tlsa "mx.$d" 25 "$3"
}
dane_case dane.test 127.0.3.20 good
dane_case danebad.test 127.0.3.21 wrong
world_start
dnssec_start
expect_true "the resolver validates: dane.test MX has AD" \
    grep -q ' ad' <<<"$(dnssec_dig dane.test MX | head -n 1)"

# Postfix uses the system resolver: the validating unbound, with trust-ad.
pf_resolv_conf "$DNSSEC_RESOLVER" trust-ad

# ---------------------------------------------------------------- Postfix
# The receiving instance: one smtpd per MX address, each with its cert;
# everything it accepts goes to discard(8), which logs "status=sent".
pf_instance recv
rconf=$(pf_conf recv)
postconf -c "$rconf" \
    'mynetworks = 127.0.0.0/8' \
    'smtpd_relay_restrictions = permit_mynetworks, reject' \
    'default_transport = discard:accepted by the e2e receiver' \
    'relay_transport = discard:accepted by the e2e receiver' \
    'smtpd_tls_security_level = may' \
    'smtpd_tls_loglevel = 1' \
    'smtpd_tls_received_header = yes' || die "postconf recv failed"
for dom in "${CASES[@]}" "${DANE_CASES[@]}"; do
    pki_cert "${MX_CERT[$dom]}" "${MX_HOST[$dom]}"
    pf_listener recv "${MX_ADDR[$dom]}" -o "smtpd_tls_cert_file=$PKI_CERT" \
        -o "smtpd_tls_key_file=$PKI_KEY"
done

# The sending instance: no listener; TLS policy from the daemon.
pf_instance send
sconf=$(pf_conf send)
if [ "${MTASTS_E2E_STATIC:-0}" = 1 ]; then
    note "MTASTS_E2E_STATIC=1: static texthash policy map instead of mtastsd"
    {
        echo "good.test secure match=mx.good.test servername=hostname"
        echo "wrongname.test secure match=mx.wrongname.test servername=hostname"
        echo "untrusted.test secure match=mx.untrusted.test servername=hostname"
        echo "notlisted.test secure match=mx1.notlisted.test servername=hostname"
        echo "dane.test dane-only"
        echo "danebad.test dane-only"
    } >"$WORK/static-policy"
    policy_map=texthash:$WORK/static-policy
else
    policy_map=socketmap:unix:$SOCK:mtasts
fi
postconf -c "$sconf" \
    'smtp_host_lookup = dns' \
    'smtp_dns_support_level = dnssec' \
    'smtp_tls_security_level = may' \
    "smtp_tls_CAfile = $CA_FILE" \
    "smtp_tls_policy_maps = $policy_map" \
    'smtp_tls_loglevel = 1' \
    'smtp_connect_timeout = 5s' \
    'smtp_tls_session_cache_database =' || die "postconf send failed"

# The cache starts empty: the smtp(8) clients' queries start the fetches.
[ "${MTASTS_E2E_STATIC:-0}" = 1 ] || mtastsd_start "${MTASTSD_FAST[@]}" \
    dns_servers="$DNSSEC_RESOLVER" dane=on dane_probe_name=dane.test
[ "${MTASTS_E2E_STATIC:-0}" = 1 ] || expect_log 'dane: the resolver validates DNSSEC'

pf_start recv
pf_start send
SLOG=$WORK/postfix-send.log
RLOG=$WORK/postfix-recv.log

# ---------------------------------------------------------------- mail
send_to() { # DOMAIN: one message to e2e@DOMAIN, Message-ID <DOMAIN.e2e@...>
    printf 'From: sender@send.e2e.invalid\nTo: e2e@%s\nSubject: e2e %s\nMessage-ID: <%s.e2e@send.e2e.invalid>\n\nhello %s\n' \
        "$1" "$1" "$1" "$1" |
        sendmail -C "$sconf" -i -f sender@send.e2e.invalid "e2e@$1" ||
        lib_result 1 "sendmail accepts the message to $1"
}

# slog_has REGEX: the sending log matches
slog_has() { grep -qE -- "$1" "$SLOG" 2>/dev/null; }
rlog_has() { grep -qE -- "$1" "$RLOG" 2>/dev/null; }
slog_count() { grep -cE -- "$1" "$SLOG" 2>/dev/null; }

expect_slog() { # DESC REGEX [SECONDS]
    if pf_wait "${3:-2}" slog_has "$2"; then
        lib_result 0 "$1"
    else
        lib_result 1 "$1" "no /$2/ in the sending log"
    fi
}
expect_no_slog() { # DESC REGEX
    if slog_has "$2"; then
        lib_result 1 "$1" "found: $(grep -E -- "$2" "$SLOG" | head -n 2)"
    else
        lib_result 0 "$1"
    fi
}
expect_rlog() { # DESC REGEX [SECONDS]
    if pf_wait "${3:-2}" rlog_has "$2"; then
        lib_result 0 "$1"
    else
        lib_result 1 "$1" "no /$2/ in the receiving log"
    fi
}
expect_no_rlog() { # DESC REGEX
    if rlog_has "$2"; then
        lib_result 1 "$1" "found: $(grep -E -- "$2" "$RLOG" | head -n 2)"
    else
        lib_result 0 "$1"
    fi
}

# queue_state DOMAIN -> "QUEUE<TAB>DELAY_REASON" for the recipient e2e@DOMAIN
# in the sending queue, or nothing if it is not queued.
queue_state() {
    postqueue -c "$sconf" -j 2>/dev/null | "$PYTHON" -c '
import json, sys
want = "e2e@" + sys.argv[1]
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    m = json.loads(line)
    for r in m.get("recipients", []):
        if r.get("address") == want:
            print(m.get("queue_name", "") + "\t" + r.get("delay_reason", ""))
' "$1"
}

# expect_queue DESC DOMAIN WANT: queue_state becomes WANT within 5 s (the
# queue manager moves a file after the smtp(8) client has logged)
e2e_queue_is() { [ "$(queue_state "$1")" = "$2" ]; }
expect_queue() {
    pf_wait 5 e2e_queue_is "$2" "$3"
    expect_eq "$1" "$(queue_state "$2")" "$3"
}


for dom in "${CASES[@]}" "${DANE_CASES[@]}"; do
    send_to "$dom"
done
# One deadline for all first attempts; later checks then wait only briefly.
all_attempted() {
    local dom
    for dom in "${CASES[@]}" "${DANE_CASES[@]}"; do
        slog_has "to=<e2e@$(re "$dom")>.*status=(sent|deferred|bounced)" || return 1
    done
}
note "injected $((${#CASES[@]} + ${#DANE_CASES[@]})) messages; waiting (30 s max) for the delivery attempts"
pf_wait 30 all_attempted
expect_true "every message had a delivery attempt" all_attempted

# Postfix 3.7 log lines, per case DOMAIN (MX host and address from mx_case)
mx_re() { echo "$(re "${MX_HOST[$1]}")\[$(re "${MX_ADDR[$1]}")\]:25"; }
sent_re() { echo "to=<e2e@$(re "$1")>, relay=$(mx_re "$1"),.* dsn=2\.0\.0, status=sent "; }
deferred_re() { echo "to=<e2e@$(re "$1")>, relay=$(mx_re "$1"),.* dsn=4\.7\.5, status=deferred "; }
mismatch_re() { echo "server certificate verification failed for $(mx_re "$1"): num=62:hostname mismatch"; }
NOTVERIFIED='\(Server certificate not verified\)'
DEFERRED_STATE=$'deferred\tServer certificate not verified'
received_re() { echo "message-id=<$(re "$1")\.e2e@send\.e2e\.invalid>"; }

note "1. enforce, good certificate: delivered over verified TLS"
d=good.test
expect_slog "$d: Verified TLS to ${MX_HOST[$d]}" "Verified TLS connection established to $(mx_re $d)"
expect_slog "$d: status=sent" "$(sent_re $d)"
expect_rlog "$d: the receiver accepted it" "$(received_re $d)"
expect_queue "$d: not in the queue" $d ""

note "2. enforce, certificate for the wrong name: deferred"
d=wrongname.test
expect_slog "$d: status=deferred (Server certificate not verified)" "$(deferred_re $d)$NOTVERIFIED"
expect_slog "$d: the hostname mismatch is logged" "$(mismatch_re $d)"
expect_no_rlog "$d: the receiver got no message" "$(received_re $d)"
expect_queue "$d: in the deferred queue, with the reason" $d "$DEFERRED_STATE"

note "3. enforce, certificate from an untrusted CA: deferred"
d=untrusted.test
expect_slog "$d: status=deferred (Server certificate not verified)" "$(deferred_re $d)$NOTVERIFIED"
expect_slog "$d: the untrusted issuer is logged" \
    "certificate verification failed for $(mx_re $d): untrusted issuer /CN=mtastsd test CA other"
expect_no_rlog "$d: the receiver got no message" "$(received_re $d)"
expect_queue "$d: in the deferred queue, with the reason" $d "$DEFERRED_STATE"

note "4. enforce, DNS MX not in the policy: deferred"
d=notlisted.test
expect_slog "$d: status=deferred at ${MX_HOST[$d]} (Server certificate not verified)" \
    "$(deferred_re $d)$NOTVERIFIED"
expect_slog "$d: the hostname mismatch is logged" "$(mismatch_re $d)"
expect_no_rlog "$d: the receiver got no message" "$(received_re $d)"
expect_queue "$d: in the deferred queue, with the reason" $d "$DEFERRED_STATE"
expect_no_slog "$d: mx1 (in the policy, not an MX) was not contacted" "127\.0\.3\.14"

note "5. mode testing: delivered although the certificate would fail"
d=testing.test
expect_slog "$d: status=sent" "$(sent_re $d)"
expect_rlog "$d: the receiver accepted it" "$(received_re $d)"
expect_no_slog "$d: not verified (opportunistic TLS)" "Verified TLS connection established to $(re "${MX_HOST[$d]}")"
expect_queue "$d: not in the queue" $d ""

note "6. no policy: delivered with opportunistic TLS"
d=nopolicy.test
expect_slog "$d: Untrusted TLS (opportunistic)" "Untrusted TLS connection established to $(mx_re $d)"
expect_slog "$d: status=sent" "$(sent_re $d)"
expect_rlog "$d: the receiver accepted it" "$(received_re $d)"
expect_queue "$d: not in the queue" $d ""

note "7. DANE: the MX host's TLSA record matches its certificate: delivered"
d=dane.test
expect_slog "$d: Verified TLS to ${MX_HOST[$d]} (DANE)" "Verified TLS connection established to $(mx_re $d)"
expect_slog "$d: status=sent" "$(sent_re $d)"
expect_rlog "$d: the receiver accepted it" "$(received_re $d)"
expect_queue "$d: not in the queue" $d ""

note "8. DANE: the TLSA record does not match (a certificate MTA-STS would accept): deferred"
d=danebad.test
expect_slog "$d: status=deferred (Server certificate not verified)" "$(deferred_re $d)$NOTVERIFIED"
expect_slog "$d: Postfix's DANE check failed" \
    "server certificate verification failed for $(mx_re $d): num=65:no matching DANE TLSA records"
expect_no_slog "$d: not verified" "Verified TLS connection established to $(re "${MX_HOST[$d]}")"
expect_no_rlog "$d: the receiver got no message" "$(received_re $d)"
expect_eq "$d: in the deferred queue" "$(queue_state $d | cut -f1)" deferred

if [ "${MTASTS_E2E_STATIC:-0}" != 1 ]; then
    note "the daemon's verdicts behind the deliveries (fetched on Postfix's queries)"
    for d in good.test wrongname.test untrusted.test notlisted.test testing.test; do
        expect_eq "$d: policy fetched once" "$(world_fetch_count $d)" 1
    done
    expect_eq "nopolicy.test: nothing fetched" "$(world_fetch_count nopolicy.test)" 0
    expect_reply good.test 'secure match=mx.good.test servername=hostname'
    expect_reply wrongname.test 'secure match=mx.wrongname.test servername=hostname'
    expect_reply untrusted.test 'secure match=mx.untrusted.test servername=hostname'
    expect_reply notlisted.test 'secure match=mx1.notlisted.test servername=hostname'
    expect_notfound testing.test
    expect_notfound nopolicy.test
    for d in "${DANE_CASES[@]}"; do
        expect_eq "$d: policy fetched once" "$(world_fetch_count $d)" 1
        expect_reply "$d" dane-only
    done
fi

note "a flushed queue is retried and stays deferred"
before=$(slog_count 'status=deferred')
postqueue -c "$sconf" -f || lib_result 1 "postqueue -f"
deferrals_at_least() { [ "$(slog_count 'status=deferred')" -ge "$1" ]; }
expect_true "four more deferrals after the flush" pf_wait 20 deferrals_at_least "$((before + 4))"
for d in wrongname.test untrusted.test notlisted.test; do
    expect_queue "$d: still deferred" $d "$DEFERRED_STATE"
    expect_no_rlog "$d: still not received" "$(received_re $d)"
done
expect_eq "danebad.test: still deferred" "$(queue_state danebad.test | cut -f1)" deferred
expect_no_rlog "danebad.test: still not received" "$(received_re danebad.test)"
expect_eq "sent exactly 4 messages" "$(slog_count 'status=sent ')" 4

pf_stop send
pf_stop recv
if [ "${MTASTS_E2E_STATIC:-0}" != 1 ]; then
    mtastsd_stop
fi
finish

#!/bin/bash
# test_check_mx.sh - the MX probe of mtastsd-ctl check (issue 16) against
# real Postfix smtpd MX hosts: one receiving Postfix instance with one
# smtpd per MX address, each with its own certificate from the test PKI,
# or without STARTTLS; the policies from the world's nginx; DNS through
# the DNSSEC world's validating unbound (which forwards the plain names
# to dnsmasq), so that DANE can be checked in the same run.
#
# One domain per case, each with its expected findings, severity and
# exit code, in text and --json (item per host: host, address, TLS
# version, names, issuer, not_after, findings):
#     good.test        enforce, a good certificate              -> 0
#     wrongname.test   enforce, certificate for another name    -> 5
#     expired.test     enforce, expired certificate             -> 5
#     selfsigned.test  enforce, self-signed certificate         -> 5
#     untrusted.test   enforce, certificate from an unknown CA  -> 5
#     nostarttls.test  enforce, smtpd without STARTTLS          -> 5
#     testing.test     testing, certificate for another name    -> 4 (warning)
#     soon.test        enforce, certificate expiring in 7 days  -> 4
#     nolisten.test    enforce, nothing listens at the MX       -> 4 (not tested from here)
#     twodown.test     two MX addresses without a server, one good host:
#                      one mx.untested warning naming both, count 2 -> 4
#     uncovered.test   enforce, MX outside the policy's patterns -> 5
#     noaddr.test      an MX host without an address             -> 4
#     mixed.test       one good and one self-signed MX host      -> 5
#     dane.test        signed zone, TLSA 3 1 1 matching (mx1) and
#                      not matching (mx2)                         -> 5
#     bogus.test       signed zone, TLSA signatures broken       -> 5
#     alias.test       signed zone, MX host a CNAME to real.hoster.test:
#                      TLSA there matches, a wrong one at the MX
#                      name; the target's decides (RFC 7672 2.2.2) -> 0
#     halfbogus.test   signed zone, the MX host's A valid, its AAAA
#                      bogus (SERVFAIL): a failed address lookup,
#                      not a host with unvalidated addresses     -> 4
# Also: --no-probe adds no probe item; the probe follows nothing but
# EHLO, STARTTLS and QUIT (the receiving log shows no MAIL command).
#
# Needs real root (Postfix, see lib_postfix.sh).  Takes about 20 s.
. "$(dirname "$0")/lib_postfix.sh"
. "$LIB_DIR/lib_dnssec.sh"
. "$LIB_DIR/lib_check.sh"

# ---------------------------------------------------------------- the world
# mxd DOMAIN MODE PATTERN...: a domain with a valid TXT, TLSRPT and policy
mxd() {
    local d=$1 mode=$2
    shift 2
    world_domain "$d" --txt "$TS" --policy "$(pol "$mode" 604800 "$@")"
    world_txt_at "_smtp._tls.$d" "v=TLSRPTv1; rua=mailto:tlsrpt@$d"
}
# mxh DOMAIN HOST PREF ADDR KIND: an MX record, its address, and a
# listener with a KIND certificate ("none": no listener; "nostarttls")
LISTENERS=()
mxh() {
    world_mx "$1" "$2" "$3"
    world_host "$2" "$4"
    [ "$5" = none ] || LISTENERS+=("$2 $4 $5")
}

mxd good.test enforce mx.good.test
mxh good.test mx.good.test 10 127.0.5.1 good
mxd wrongname.test enforce mx.wrongname.test
mxh wrongname.test mx.wrongname.test 10 127.0.5.2 wrongname
mxd expired.test enforce mx.expired.test
mxh expired.test mx.expired.test 10 127.0.5.3 expired
mxd selfsigned.test enforce mx.selfsigned.test
mxh selfsigned.test mx.selfsigned.test 10 127.0.5.4 selfsigned
mxd untrusted.test enforce mx.untrusted.test
mxh untrusted.test mx.untrusted.test 10 127.0.5.5 untrusted
mxd nostarttls.test enforce mx.nostarttls.test
mxh nostarttls.test mx.nostarttls.test 10 127.0.5.6 nostarttls
mxd testing.test testing mx.testing.test
mxh testing.test mx.testing.test 10 127.0.5.7 wrongname
mxd soon.test enforce mx.soon.test
mxh soon.test mx.soon.test 10 127.0.5.8 soon
mxd nolisten.test enforce mx.nolisten.test
mxh nolisten.test mx.nolisten.test 10 127.0.5.9 none
mxd twodown.test enforce '*.twodown.test'
mxh twodown.test a.twodown.test 10 127.0.5.10 none
mxh twodown.test b.twodown.test 20 127.0.5.11 none
mxh twodown.test mx.twodown.test 30 127.0.5.12 good
mxd uncovered.test enforce mx1.uncovered.test
mxh uncovered.test mx2.uncovered.test 10 127.0.5.13 good
mxd noaddr.test enforce mx.noaddr.test mx2.noaddr.test
world_mx noaddr.test mx.noaddr.test 10
mxh noaddr.test mx2.noaddr.test 20 127.0.5.14 good
mxd mixed.test enforce '*.mixed.test'
mxh mixed.test mx1.mixed.test 10 127.0.5.15 good
mxh mixed.test mx2.mixed.test 20 127.0.5.16 selfsigned

# DANE: the domain's names live in signed zones on nsd; nginx still serves
# mta-sts.dane.test (world_domain makes its vhost and certificate).
world_domain dane.test --policy "$(pol enforce 604800 '*.dane.test')"
dnssec_zone dane.test
dnssec_rr dane.test "_mta-sts TXT \"$TS\""
dnssec_rr dane.test 'mta-sts A 127.0.0.1'
dnssec_rr dane.test '_smtp._tls TXT "v=TLSRPTv1; rua=mailto:tlsrpt@dane.test"'
dnssec_mx dane.test mx1.dane.test 10 127.0.5.30
dnssec_mx dane.test mx2.dane.test 20 127.0.5.31
dnssec_tlsa mx1.dane.test 25 good
TLSA_GOOD=$DNSSEC_TLSA
dnssec_tlsa mx2.dane.test 25 wrong
LISTENERS+=("mx1.dane.test 127.0.5.30 good" "mx2.dane.test 127.0.5.31 good")
dnssec_zone bogus.test --bogus TLSA
dnssec_mx bogus.test mx.bogus.test 10 127.0.5.32
dnssec_tlsa mx.bogus.test 25 good
LISTENERS+=("mx.bogus.test 127.0.5.32 good")
# dnssec_sts DOMAIN: the domain's TXT, policy host and TLSRPT in its signed zone
dnssec_sts() {
    dnssec_rr "$1" "_mta-sts TXT \"$TS\""
    dnssec_rr "$1" 'mta-sts A 127.0.0.1'
    dnssec_rr "$1" "_smtp._tls TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@$1\""
}
world_domain alias.test --policy "$(pol enforce 604800 mx1.alias.test)"
dnssec_zone alias.test
dnssec_sts alias.test
dnssec_rr alias.test '@ MX 10 mx1'
dnssec_rr alias.test 'mx1 CNAME real.hoster.test.'
dnssec_tlsa mx1.alias.test 25 wrong
dnssec_zone hoster.test
dnssec_host real.hoster.test 127.0.5.33
dnssec_tlsa real.hoster.test 25 raw "3 1 1 $(dnssec_spki_sha256 mx1.alias.test)"
TLSA_ALIAS=$DNSSEC_TLSA
LISTENERS+=("mx1.alias.test 127.0.5.33 good")
world_domain halfbogus.test --policy "$(pol enforce 604800 mx1.halfbogus.test)"
dnssec_zone halfbogus.test --bogus AAAA
dnssec_sts halfbogus.test
dnssec_mx halfbogus.test mx1.halfbogus.test 10 127.0.5.34
dnssec_host mx1.halfbogus.test ::1
dnssec_tlsa mx1.halfbogus.test 25 good
LISTENERS+=("mx1.halfbogus.test 127.0.5.34 good")

world_start
dnssec_start

# ---------------------------------------------------------------- Postfix MX hosts
pf_resolv_conf 127.0.0.1
pf_instance recv
postconf -c "$(pf_conf recv)" \
    'mynetworks = 127.0.0.0/8' \
    'smtpd_relay_restrictions = permit_mynetworks, reject' \
    'default_transport = discard:accepted' \
    'smtpd_peername_lookup = no' \
    'smtpd_tls_loglevel = 1' || die "postconf recv failed"
for l in "${LISTENERS[@]}"; do
    read -r host addr kind <<<"$l"
    if [ "$kind" = nostarttls ]; then
        pf_listener recv "$addr" -o smtpd_tls_security_level=none
        continue
    fi
    pki_cert "$kind" "$host"
    pf_listener recv "$addr" -o smtpd_tls_security_level=may -o "smtpd_tls_cert_file=$PKI_CERT" \
        -o "smtpd_tls_key_file=$PKI_KEY"
done
pf_start recv
RLOG=$WORK/postfix-recv.log
smtpd_up() { lib_port_open 127.0.5.1 25 && lib_port_open 127.0.5.32 25; }
pf_wait 10 smtpd_up || die "the smtpd listeners did not come up: $(tail -n 5 "$RLOG")"

OPTS=(-c "$WORK/empty.conf" -o "dns_servers=$DNSSEC_RESOLVER" -o "ca_file=$CA_FILE")
ALL=(good.test wrongname.test expired.test selfsigned.test untrusted.test nostarttls.test
    testing.test soon.test nolisten.test twodown.test uncovered.test noaddr.test mixed.test
    dane.test bogus.test alias.test halfbogus.test)
T0=$(date +%s)
PIDS=()
for d in "${ALL[@]}"; do
    run_check "$d" &
    PIDS+=("$!")
done
wait "${PIDS[@]}" # not a bare wait: the world's servers are children too
note "${#ALL[@]} domains checked twice each, in parallel, in $(($(date +%s) - T0)) s"

# probe_items DOMAIN: "name:severity" of the probe's items, in order
probe_items() {
    q "$OUTD/$1.json" eval \
        '" ".join(i["name"] + ":" + i["severity"] for i in items if i["name"] in ("mx.host", "mx.untested", "mx.dane"))'
}
# host_detail DOMAIN HOST KEY: a detail of HOST's mx.host item
host_detail() {
    q "$OUTD/$1.json" eval "[i['details'].get('$3') for i in items if i['name'] == 'mx.host' and i['details'].get('host') == '$2'][0]"
}

note "---- a good MX host"
expect_rc good.test 0
expect_eq "good.test: one probe item" "$(probe_items good.test)" "mx.host:ok"
expect_finding good.test mx.host ok \
    "^mx\.good\.test \[127\.0\.5\.1\]: STARTTLS, TLSv1\.3, certificate valid for mx\.good\.test \(issuer CN=mtastsd test CA main, expires $(date -u -d '+365 days' +%F)\)$"
expect_eq "good.test: host, address, TLS version, names, issuer, not_after" \
    "$(q "$OUTD/good.test.json" eval '[(d["host"], d["address"], d["tls_version"], d["names"], d["issuer"], d["not_after"]) for d in (i["details"] for i in items if i["name"] == "mx.host")]')" \
    "[('mx.good.test', '127.0.5.1', 'TLSv1.3', ['mx.good.test'], 'CN=mtastsd test CA main', '$(date -u -d '+365 days' +%F)')]"
expect_eq "good.test: findings" "$(host_detail good.test mx.good.test findings)" \
    "['ok: STARTTLS with a trusted certificate for the host']"
expect_eq "good.test: verified, names the host, STARTTLS, no TLSA" \
    "$(host_detail good.test mx.good.test verified) $(host_detail good.test mx.good.test name_matches) $(host_detail good.test mx.good.test starttls) $(host_detail good.test mx.good.test tlsa)" \
    "True True True none"
expect_true "good.test: the greeting as the host sent it" \
    test "$(host_detail good.test mx.good.test greeting)" = "220 recv.e2e.invalid ESMTP Postfix"
expect_false "good.test: the probe sent no mail (no MAIL FROM reached the host)" \
    grep -q 'from=<' "$RLOG"
expect_true "good.test: the probe said QUIT over TLS (smtpd logs a clean disconnect)" \
    grep -qE 'disconnect from .*\[127\.0\.0\.1\] ehlo=1 starttls=1 quit=1 commands=3' "$RLOG"

note "---- certificates senders refuse (enforce: error, exit 5)"
expect_rc wrongname.test 5
expect_finding wrongname.test mx.host error \
    "^mx\.wrongname\.test \[127\.0\.5\.2\]: the certificate does not name mx\.wrongname\.test \(its names: wrong\.mx\.wrongname\.test\.invalid\): senders refuse to deliver to it$" \
    "subjectAltName has mx\.wrongname\.test"
expect_eq "wrongname.test: trusted, but not for this name" \
    "$(host_detail wrongname.test mx.wrongname.test verified) $(host_detail wrongname.test mx.wrongname.test name_matches)" \
    "True False"
expect_rc expired.test 5
expect_finding expired.test mx.host error \
    "^mx\.expired\.test \[127\.0\.5\.3\]: the certificate expired on 2020-01-02 \(certificate has expired\): senders refuse" \
    "not expired"
expect_eq "expired.test: not_after and why" \
    "$(host_detail expired.test mx.expired.test not_after) / $(host_detail expired.test mx.expired.test verify_error)" \
    "2020-01-02 / certificate has expired"
expect_rc selfsigned.test 5
expect_finding selfsigned.test mx.host error \
    "^mx\.selfsigned\.test \[127\.0\.5\.4\]: the certificate is not trusted: self-signed certificate \(issuer CN=mx\.selfsigned\.test\): senders refuse" \
    "from a public CA"
expect_rc untrusted.test 5
expect_finding untrusted.test mx.host error \
    "the certificate is not trusted: unable to get local issuer certificate \(issuer CN=mtastsd test CA other\)"
expect_rc nostarttls.test 5
expect_finding nostarttls.test mx.host error \
    "^mx\.nostarttls\.test \[127\.0\.5\.6\]: no STARTTLS in its answer to EHLO: senders refuse to deliver to it$" \
    "enable STARTTLS on mx\.nostarttls\.test"
expect_eq "nostarttls.test: no TLS facts" \
    "$(host_detail nostarttls.test mx.nostarttls.test starttls) $(host_detail nostarttls.test mx.nostarttls.test tls_version)" \
    "False None"

note "---- warnings"
expect_rc testing.test 4
expect_finding testing.test mx.host warning \
    "^mx\.testing\.test \[127\.0\.5\.7\]: the certificate does not name mx\.testing\.test .*: under enforce, senders would refuse it$"
expect_rc soon.test 4
expect_finding soon.test mx.host warning \
    "^mx\.soon\.test \[127\.0\.5\.8\]: the certificate expires on $(date -u -d '+7 days' +%F), in [67] days$" "renew it now"

note "---- hosts not tested from here"
expect_rc nolisten.test 4
expect_eq "nolisten.test: only the untested warning" "$(probe_items nolisten.test)" "mx.untested:warning"
expect_finding nolisten.test mx.untested warning \
    "^1 MX host not tested from here: mx\.nolisten\.test \(no connection to port 25 \(127\.0\.5\.9: Connection refused\)\): many networks block outbound port 25"
expect_rc twodown.test 4
expect_eq "twodown.test: the good host, then one warning for both others" \
    "$(probe_items twodown.test)" "mx.host:ok mx.untested:warning"
expect_finding twodown.test mx.untested warning \
    "^2 MX hosts not tested from here: a\.twodown\.test \(.*127\.0\.5\.10: Connection refused.*\); b\.twodown\.test \(.*127\.0\.5\.11: Connection refused.*\)"
expect_detail twodown.test mx.untested count 2
expect_eq "twodown.test: said once" "$(grep -c 'not tested from here' "$OUTD/twodown.test.txt")" 1

note "---- MX outside the policy, no address, one broken host of two"
expect_rc uncovered.test 5
expect_finding uncovered.test mx.covered error "^mx2\.uncovered\.test matches no mx line of the policy: senders refuse"
expect_finding uncovered.test mx.host ok "^mx2\.uncovered\.test \[127\.0\.5\.13\]: STARTTLS"
expect_rc noaddr.test 4
expect_finding noaddr.test mx.host warning \
    "^mx\.noaddr\.test has no A or AAAA record \(A: NXDOMAIN, AAAA: NXDOMAIN\): senders cannot deliver to it$"
expect_eq "noaddr.test: the other host was probed" "$(probe_items noaddr.test)" "mx.host:warning mx.host:ok"
expect_rc mixed.test 5
expect_eq "mixed.test: the good host ok, the broken one an error" \
    "$(probe_items mixed.test)" "mx.host:ok mx.host:error"
expect_finding mixed.test mx.host error "^mx2\.mixed\.test \[127\.0\.5\.16\]: the certificate is not trusted: self-signed"
expect_true "mixed.test: the summary: one error, no warning" \
    grep -qE '^result: error \(1 error, 0 warnings, [0-9]+ ok\)$' "$OUTD/mixed.test.txt"
note "the text of a domain with one broken MX host:"
sed 's/^/#   /' "$OUTD/mixed.test.txt"

note "---- DANE"
expect_rc dane.test 5
expect_eq "dane.test: host items and one DANE item per host" "$(probe_items dane.test)" \
    "mx.host:ok mx.dane:ok mx.host:ok mx.dane:error"
expect_finding dane.test mx.dane ok \
    "^mx1\.dane\.test: the certificate matches its TLSA record 3 1 1 ${TLSA_GOOD:6:64} \(DANE-EE\)$"
expect_finding dane.test mx.dane error \
    "^mx2\.dane\.test: no usable TLSA record matches the certificate it presents: DANE senders refuse" \
    "publish TLSA records for the certificate in use"
expect_eq "dane.test: the TLSA state in the host items" \
    "$(host_detail dane.test mx1.dane.test tlsa) $(host_detail dane.test mx2.dane.test tlsa)" "usable usable"
expect_eq "dane.test: the records reported" \
    "$(q "$OUTD/dane.test.json" eval '[i["details"]["records"] for i in items if i["name"] == "mx.dane"][0]')" \
    "['3 1 1 ${TLSA_GOOD:6:64}']"
expect_finding good.test txt ok "one valid"
expect_eq "good.test (no DNSSEC): no DANE item" "$(grep -c 'mx\.dane' "$OUTD/good.test.txt")" 0
expect_finding bogus.test mx.dane error "^mx\.bogus\.test: the TLSA lookup failed \(a bogus signature, or no answer\): DANE senders defer"

note "---- DANE at an MX host's CNAME target (RFC 7672 section 2.2.2, as Postfix does it)"
expect_rc alias.test 0
expect_eq "alias.test: the host is probed, the target's TLSA decides" "$(probe_items alias.test)" \
    "mx.host:ok mx.dane:ok"
expect_finding alias.test mx.dane ok \
    "^mx1\.alias\.test via its CNAME target real\.hoster\.test: the certificate matches its TLSA record 3 1 1 ${TLSA_ALIAS:6:64} \(DANE-EE\)$"
expect_detail alias.test mx.dane cname_target real.hoster.test
expect_detail alias.test mx.dane tlsa_name _25._tcp.real.hoster.test
expect_eq "alias.test: the target's records, not the MX name's wrong one" \
    "$(q "$OUTD/alias.test.json" eval '[i["details"]["records"] for i in items if i["name"] == "mx.dane"][0]')" \
    "['3 1 1 ${TLSA_ALIAS:6:64}']"
expect_eq "alias.test: the TLSA state in the host item" "$(host_detail alias.test mx1.alias.test tlsa)" usable

note "---- one of A and AAAA failed (bogus AAAA): a failed address lookup"
expect_rc halfbogus.test 4
expect_eq "halfbogus.test: a DNS failure, not a host with unvalidated addresses" \
    "$(probe_items halfbogus.test)" "mx.host:warning"
expect_finding halfbogus.test mx.host warning \
    "mx1\.halfbogus\.test: its address lookup failed \(A: 1 record, AD, AAAA: SERVFAIL\): senders cannot rely on it" \
    "validating resolver answers SERVFAIL"

note "---- --no-probe"
OPTS+=(--no-probe)
run_check good.test
expect_rc good.test 0
expect_eq "--no-probe: no probe item" "$(probe_items good.test)" ""

pf_stop recv
finish

# tests/integration/lib.sh - the integration test world (DESIGN section 7).
# shellcheck disable=SC2034,SC2093  # variables are for the sourcing scripts; exec may fail
#
# Sourced by every tests/integration/test_*.sh script:
#
#     #!/bin/bash
#     . "$(dirname "$0")/lib.sh"          # re-execs the script in a namespace
#     world_domain good.test --txt 'v=STSv1; id=1'
#     world_start
#     mtastsd_start query_timeout=3s
#     expect_reply good.test 'secure match=mx.good.test servername=hostname'
#     finish                                # prints the summary, sets the exit code
#
# NAMESPACE.  On first source, lib.sh re-executes the calling script under
# "unshare -rn" (a private user+network namespace that has only loopback;
# root inside it, so ports 53 and 443 can be bound; as real root where user
# namespaces are refused, e.g. in a chroot: "unshare -n") and brings lo up; all of
# 127.0.0.0/8 answers on lo there.  MTASTS_TEST_NETNS=1 marks "already
# inside".  Missing tools make the script fail loudly (exit 99); a test is
# never skipped (no exit 77).
#
# WORK DIR.  $WORK is a fresh "mktemp -d" under ${TMPDIR:-/tmp}, removed on
# exit unless MTASTS_KEEP_WORK=1.  Every process lib.sh starts is recorded
# and stopped BY PID on exit (TERM, then KILL after 2 s).  On failure the
# tails of the daemon, DNS and HTTPS logs are printed to stderr.
#
# PKI.  $CA_FILE ($WORK/ca.pem) is the test CA given to the daemon
# (ca_file); $OTHER_CA_FILE is a second CA that nothing trusts.
# pki_cert KIND HOST makes (once, then reuses) a server
# certificate: it sets PKI_CERT and PKI_KEY (files), KIND one of:
#     good       issued by the test CA for HOST
#     wrongname  issued by the test CA for "wrong.HOST.invalid"
#     expired    issued by the test CA for HOST, valid 2020-01-01..2020-01-02
#     soon       issued by the test CA for HOST, valid from now for 7 days
#     notyet     issued by the test CA for HOST, valid 2099-01-01..2099-01-02
#     untrusted  issued for HOST by a second CA that is not in $CA_FILE
#     selfsigned HOST's own self-signed certificate (no CA at all)
#
# WORLD.  Domains are declared, then world_start brings everything up:
#   world_domain NAME [options]     NAME is the policy domain (A-labels)
#     --txt TEXT        one TXT record at _mta-sts.NAME (one string; repeat
#                       the option for several records).  Default: none.
#     --txt-raw SPEC    one TXT record in dnsmasq syntax, e.g. '"v=STS","v1; id=1"'
#                       (several character-strings in one record)
#     --txt-cname TGT   _mta-sts.NAME is a CNAME to TGT (TGT must be a local
#                       name with records, e.g. declared with world_txt_at)
#     --policy TEXT|@FILE  body served at /.well-known/mta-sts.txt.  Default:
#                       "version: STSv1 / mode: enforce / mx: mx.NAME / max_age: 86400"
#     --cert KIND       good (default) | wrongname | expired | soon | notyet | untrusted
#     --addr 127.X.Y.Z  address of mta-sts.NAME (default 127.0.0.1: nginx, SNI)
#     --no-addr         no A record for mta-sts.NAME (NXDOMAIN)
#     --status N        reply status N (nginx "return N")
#     --redirect URL    reply "301 Location: URL" (also the target of
#                       --hostile redirect)
#     --ctype TYPE      Content-Type of the policy (default text/plain)
#     --rate N          nginx sends the response at N bytes per second
#                       (limit_rate; headers count): a slow policy host
#     --hostile MODE    serve mta-sts.NAME with hostile_https.py MODE on its
#                       own address instead of nginx (modes: see that file)
#     --no-server       mta-sts.NAME has an address of its own where nothing
#                       listens (connection refused)
#     --dns MODE        answer _mta-sts.NAME and mta-sts.NAME from slow_dns.py
#                       in MODE (ok|servfail|refused|drop|delay:N|truncate|truncate-txt);
#                       dnsmasq forwards the zone to it
#   world_zone_dns ZONE MODE        every name under ZONE is answered by a
#                                   slow_dns.py of its own in MODE (no records:
#                                   drop is a zone whose DNS never answers, ok
#                                   one that answers NXDOMAIN); dnsmasq
#                                   forwards the whole zone to it
#   world_txt_at NAME TEXT          an extra TXT record at an arbitrary name
#                                   (e.g. a TLSRPT record at _smtp._tls.NAME)
#   world_set_txt_at NAME [TEXT...] replace the extra TXT records at NAME (none
#                                   if no TEXT) and restart dnsmasq
#   world_mx NAME HOST PREF         an MX record at NAME (dnsmasq mx-host; HOST "."
#                                   is a null MX)
#   world_host NAME ADDR            an A record (IPv4) at an arbitrary name
#   world_start                     write configs, start dnsmasq (127.0.0.1:53),
#                                   nginx, hostile and slow DNS servers; wait
#                                   until they answer.  dnsmasq runs with
#                                   --no-daemon (in the user namespace it
#                                   cannot change its user or groups, as its
#                                   production mode wants): it then serves a
#                                   TCP connection in its main process and
#                                   answers nothing else until the client
#                                   closes it.  A client that keeps an idle
#                                   TCP connection open stalls the world's
#                                   DNS; test_dns_tcp.sh counts on that.
#   world_set_txt NAME [TEXT...]    replace the TXT records of NAME (none if no
#                                   TEXT) and restart dnsmasq
#   world_set_policy NAME TEXT|@FILE  replace the served policy (immediate)
#   world_set_status NAME [N]      serve NAME's policy URL with status N
#                                   (none: the policy again); restarts nginx
#   world_set_dns_mode NAME MODE    change a --dns domain's mode (immediate)
#   world_set_hostile NAME MODE     restart a --hostile domain's server in MODE;
#                                   MODE "off" stops it (connection refused)
#   world_dns_stop / world_dns_start     stop / restart dnsmasq
#   world_https_stop / world_https_start stop / restart nginx
#   world_fetch_count NAME          policy GETs seen for mta-sts.NAME (nginx
#                                   access log plus hostile servers' logs)
#   world_dns_queries NAME          queries dnsmasq saw for names ending in NAME
#   world_policy_url NAME           https://mta-sts.NAME/.well-known/mta-sts.txt
#   world_addr NAME                 the address of mta-sts.NAME
#   https_get NAME [curl args]      curl the policy the way the daemon should
#                                   (pinned address, $CA_FILE); prints body
#   dns_query NAME TYPE [SERVER[:PORT]] [tcp]  ask a DNS server (python, no
#                                   dig); prints "RCODE" (" TC" if truncated)
#                                   then one answer per line, or "TIMEOUT"
#                                   after ${DNS_QUERY_TIMEOUT:-3} s
#
# DAEMON.
#   mtastsd_start [key=value...]    write $WORK/mtastsd.conf (listen, control
#                                   socket, state_dir, dns_servers=127.0.0.1,
#                                   ca_file, log_level=debug, then overrides)
#                                   and run "$top_builddir/mtastsd -f -c CONF"
#                                   ($MTASTSD overrides the binary;
#                                   $MTASTSD_WRAPPER, if set, is a command
#                                   prefix split on spaces, e.g. "valgrind
#                                   --error-exitcode=97"; it must exec the
#                                   daemon in the same process); waits
#                                   (10 s max) until the socket accepts
#   "${MTASTSD_FAST[@]}"            short timeouts for tests: query_timeout=6s
#                                   dns_timeout=1s https_connect_timeout=2s
#                                   https_timeout=3s
#   mtastsd_stop                    SIGTERM, wait; records a failure if the
#                                   exit status is not 0 (ASan reports, crashes)
#   mtastsd_restart [key=value...]  stop + start with the same overrides
#   mtastsd_alive                   true while the daemon runs
#   mtastsd_log                     prints the log path ($WORK/mtastsd.log)
#   $SOCK, $CTL_SOCK                socketmap and control socket paths
#
# QUERIES AND ASSERTIONS.  Each assertion prints "ok N - ..." or
# "not ok N - ..." (TAP-like) and counts.
#   q KEY [MAP]             postmap -q KEY socketmap:unix:$SOCK:${MAP:-mtasts};
#                           prints stdout; status is postmap's; stderr is
#                           kept in $WORK/q.err.  postmap exits 0 with the
#                           value for OK, 1 with no output for NOTFOUND, and
#                           dies (exit 1; stderr "warning: ... socketmap
#                           server temporary|permanent|timeout error: REASON"
#                           then "fatal: ... query error") for TEMP/PERM/TIMEOUT.
#   expect_reply KEY WANT [MAP]     OK reply whose value is exactly WANT
#   expect_notfound KEY [MAP]       NOTFOUND
#   expect_error KEY [MAP]          TEMP, TIMEOUT, PERM or garbage (postmap fails)
#   expect_temp KEY [MAP]           TEMP (postmap: "socketmap server temporary error")
#   expect_perm KEY [MAP]           PERM ("... permanent error")
#   expect_timeout KEY [MAP]        TIMEOUT ("... timeout error")
#   expect_reply_re KEY REGEX [MAP] OK reply whose value matches REGEX
#   expect_eq DESC GOT WANT
#   expect_ne DESC GOT NOTWANT
#   expect_true DESC CMD...         CMD succeeds
#   expect_false DESC CMD...        CMD fails
#   expect_log REGEX [SECONDS]      daemon log matches (grep -E), waits up to
#                                   SECONDS (default 3) for it to appear
#   expect_no_log REGEX             daemon log does not match
#   log_mark                        later expect_log/expect_no_log look only at
#                                   log lines written after the mark
#   smap_raw ARGS...                run smap_client.py against $SOCK
#   note TEXT                       a "# TEXT" comment line
#   finish                          print "PASS: script (N checks)" or
#                                   "FAIL: script (F of N checks failed)";
#                                   exit 0 or 1 (0 checks is a failure)
#   die TEXT                        hard error: exit 99
#
# Timeouts: the daemon is started with short timeouts by the scripts
# (query_timeout=6s dns_timeout=1s https_timeout=3s ...).  Helper
# programs live beside this file: hostile_https.py, slow_dns.py,
# smap_client.py, fake_smap.py.
#
# postmap runs with MAIL_CONFIG=$WORK/postfix (a minimal main.cf).
#
# Requires: bash, unshare, ip (iproute2), dnsmasq, nginx, openssl, curl,
# python3 (standard library only), postmap (postfix).

set -u

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$LIB_DIR/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

die() {
    echo "ERROR: ${SCRIPT_NAME:-$0}: $*" >&2
    exit 99
}

lib_need() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$t" >/dev/null 2>&1 ||
            die "required tool '$t' is missing (install it; tests are never skipped)"
    done
}

PATH="$PATH:/usr/sbin:/sbin"
lib_need unshare ip dnsmasq nginx openssl curl python3 postmap timeout
# The system python starts in 20 ms; version-manager shims can take 500 ms.
if [ -z "${PYTHON:-}" ]; then
    PYTHON=python3
    [ -x /usr/bin/python3 ] && PYTHON=/usr/bin/python3
fi
export PYTHON

# ---------------------------------------------------------------- namespace
if [ "${MTASTS_TEST_NETNS:-}" != 1 ]; then
    script=${BASH_SOURCE[1]:-}
    [ -n "$script" ] || die "lib.sh must be sourced from a script"
    # A user namespace (-r) lets developers run the tests without root.
    # Where the kernel refuses one (inside a chroot, some containers) root
    # can still have a network namespace of its own.
    if unshare -rn true 2>/dev/null; then
        MTASTS_TEST_NETNS=1 exec unshare -rn -- "${BASH:-bash}" "$script" "$@"
    elif [ "$(id -u)" = 0 ]; then
        MTASTS_TEST_NETNS=1 exec unshare -n -- "${BASH:-bash}" "$script" "$@"
    fi
    die "cannot create a network namespace (unshare -rn, or unshare -n as root)"
fi
ip link set lo up || die "cannot bring lo up in the namespace"

SCRIPT_NAME=$(basename "${BASH_SOURCE[1]:-$0}" .sh)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mtastsd-$SCRIPT_NAME.XXXXXX") || die "mktemp failed"
CA_FILE=$WORK/ca.pem
SOCK=$WORK/mtastsd.sock
CTL_SOCK=$WORK/control.sock
MTASTSD=${MTASTSD:-$top_builddir/mtastsd}
MTASTSD_PID=
MTASTSD_ARGS=()
LIB_PIDS=()
N_CHECKS=0
N_FAILED=0
LOG_MARK=0
export PYTHONDONTWRITEBYTECODE=1

# lib_running PID: the process exists and is not a zombie
lib_running() {
    local stat
    read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
    stat=${stat##*) }
    [ "${stat:0:1}" != Z ]
}

lib_stop_pid() { # PID: TERM, up to 2 s, KILL; reap
    local pid=$1 i
    lib_running "$pid" || { wait "$pid" 2>/dev/null; return 0; }
    kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 40; i++)); do
        lib_running "$pid" || break
        sleep 0.05
    done
    lib_running "$pid" && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

lib_dump_logs() {
    local f
    for f in "$WORK/mtastsd.log" "$WORK/dns/dnsmasq.log" "$WORK/nginx/error.log" \
        "$WORK/nginx/access.log" "$WORK"/hostile/*.log "$WORK"/slowdns/*.log; do
        [ -s "$f" ] || continue
        echo "----- tail of $f" >&2
        tail -n 60 "$f" >&2
    done
}

lib_cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    [ -n "$MTASTSD_PID" ] && lib_stop_pid "$MTASTSD_PID"
    for pid in "${LIB_PIDS[@]}"; do
        lib_stop_pid "$pid"
    done
    if [ "$rc" != 0 ]; then
        lib_dump_logs
    fi
    if [ "${MTASTS_KEEP_WORK:-0}" = 1 ]; then
        echo "# work dir kept: $WORK" >&2
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap lib_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

lib_track() { LIB_PIDS+=("$1"); }
lib_untrack() {
    local p out=()
    for p in "${LIB_PIDS[@]}"; do
        [ "$p" = "$1" ] || out+=("$p")
    done
    LIB_PIDS=("${out[@]}")
}

# wait_for SECONDS CMD...: poll CMD every 50 ms
wait_for() {
    local secs=$1 i n
    shift
    n=$(((${secs%.*} + 0) * 20))
    [ "$n" -gt 0 ] || n=1
    for ((i = 0; i < n; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.05
    done
    return 1
}

# ---------------------------------------------------------------- assertions
note() { echo "# $*"; }

lib_result() { # STATUS DESC [DETAIL]
    N_CHECKS=$((N_CHECKS + 1))
    if [ "$1" = 0 ]; then
        echo "ok $N_CHECKS - $2"
    else
        N_FAILED=$((N_FAILED + 1))
        echo "not ok $N_CHECKS - $2"
        [ -n "${3:-}" ] && printf '#   %s\n' "$3"
    fi
    return "$1"
}

expect_eq() {
    if [ "$2" = "$3" ]; then
        lib_result 0 "$1"
    else
        lib_result 1 "$1" "got '$2', want '$3'"
    fi
}

expect_ne() {
    if [ "$2" != "$3" ]; then
        lib_result 0 "$1"
    else
        lib_result 1 "$1" "got '$2', which it must not be"
    fi
}

expect_true() {
    local desc=$1
    shift
    if "$@" >"$WORK/cmd.out" 2>&1; then
        lib_result 0 "$desc"
    else
        lib_result 1 "$desc" "command failed: $* :: $(head -c 400 "$WORK/cmd.out")"
    fi
}

expect_false() {
    local desc=$1
    shift
    if "$@" >"$WORK/cmd.out" 2>&1; then
        lib_result 1 "$desc" "command succeeded: $*"
    else
        lib_result 0 "$desc"
    fi
}

finish() {
    if [ "$N_FAILED" = 0 ] && [ "$N_CHECKS" -gt 0 ]; then
        echo "PASS: $SCRIPT_NAME ($N_CHECKS checks)"
        exit 0
    fi
    echo "FAIL: $SCRIPT_NAME ($N_FAILED of $N_CHECKS checks failed)"
    exit 1
}

# ---------------------------------------------------------------- PKI
PKI=$WORK/pki

pki_ca_init() { # NAME: make a CA in $PKI/NAME
    local d=$PKI/$1
    mkdir -p "$d/newcerts"
    : >"$d/index.txt"
    echo 1000 >"$d/serial"
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$d/ca.key" -out "$d/ca.pem" -days 3650 -subj "/CN=mtastsd test CA $1" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
        >/dev/null 2>&1 || die "openssl: cannot make CA $1"
    cat >"$d/ca.cnf" <<EOF
[ ca ]
default_ca = test
[ test ]
dir = $d
database = \$dir/index.txt
new_certs_dir = \$dir/newcerts
serial = \$dir/serial
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
default_days = 365
policy = anything
unique_subject = no
copy_extensions = none
email_in_dn = no
[ anything ]
commonName = supplied
EOF
}

pki_init() {
    mkdir -p "$PKI/certs"
    pki_ca_init main
    pki_ca_init other
    cp "$PKI/main/ca.pem" "$CA_FILE"
    OTHER_CA_FILE=$PKI/other/ca.pem
}

# pki_cert KIND HOST -> sets PKI_CERT PKI_KEY (cached per kind and host)
pki_cert() {
    local kind=$1 host=$2 ca=main name dates=() base
    name=$host
    case $kind in
    good) ;;
    wrongname) name="wrong.$host.invalid" ;;
    expired) dates=(-startdate 20200101000000Z -enddate 20200102000000Z) ;;
    soon) dates=(-days 7) ;;
    notyet) dates=(-startdate 20990101000000Z -enddate 20990102000000Z) ;;
    untrusted) ca=other ;;
    selfsigned) ca= ;;
    *) die "pki_cert: unknown kind '$kind'" ;;
    esac
    base=$PKI/certs/$kind-$host
    if [ -z "$ca" ] && [ ! -s "$base.crt" ]; then
        openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout "$base.key" -out "$base.crt" -days 365 -subj "/CN=$name" \
            -addext "subjectAltName=DNS:$name" >"$base.log" 2>&1 ||
            die "openssl: cannot make a self-signed cert for $host: $(cat "$base.log")"
    fi
    if [ ! -s "$base.crt" ]; then
        printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:%s\n' \
            "$name" >"$base.ext"
        openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout "$base.key" -out "$base.csr" -subj "/CN=$name" >/dev/null 2>&1 ||
            die "openssl: cannot make a key for $host"
        openssl ca -batch -notext -config "$PKI/$ca/ca.cnf" -in "$base.csr" -out "$base.crt" \
            -extfile "$base.ext" "${dates[@]}" >"$base.log" 2>&1 ||
            die "openssl ca: cannot issue $kind cert for $host: $(cat "$base.log")"
    fi
    PKI_CERT=$base.crt
    PKI_KEY=$base.key
}

# ---------------------------------------------------------------- world
declare -A W_TXT W_CNAME W_CERT W_ADDR W_NOADDR W_STATUS W_REDIRECT W_CTYPE W_HOSTILE W_DNS W_ZONE_MODE W_RATE
W_DOMAINS=()
W_EXTRA_TXT=()
W_EXTRA_MX=()
W_EXTRA_HOST=()
W_ZONES=()
W_NEXT_ADDR=10
W_STARTED=0
DNSMASQ_PID=
NGINX_PID=
WWW=$WORK/www

lib_write_body() { # DEST TEXT|@FILE
    if [ "${2:0:1}" = @ ]; then
        cp "${2:1}" "$1" || die "cannot copy ${2:1}"
    else
        printf '%s' "$2" >"$1"
    fi
}

lib_dnsmasq_quote() { # TEXT -> "TEXT" with \ and " escaped
    local s=$1
    s=${s//\\/\\\\}
    s=${s//\"/\\\"}
    printf '"%s"' "$s"
}

lib_next_addr() { # sets NEXT_ADDR (no subshell: the counter must advance)
    NEXT_ADDR=127.0.1.$W_NEXT_ADDR
    W_NEXT_ADDR=$((W_NEXT_ADDR + 1))
}

world_domain() {
    local name=$1 policy=
    shift
    [ -n "$name" ] || die "world_domain: no name"
    W_DOMAINS+=("$name")
    W_TXT[$name]=
    W_CERT[$name]=good
    W_ADDR[$name]=127.0.0.1
    W_NOADDR[$name]=
    W_STATUS[$name]=
    W_REDIRECT[$name]=
    W_CTYPE[$name]=text/plain
    W_RATE[$name]=
    W_HOSTILE[$name]=
    W_DNS[$name]=
    W_CNAME[$name]=
    policy=$(printf 'version: STSv1\nmode: enforce\nmx: mx.%s\nmax_age: 86400\n' "$name")
    while [ $# -gt 0 ]; do
        case $1 in
        --txt) W_TXT[$name]+="$(lib_dnsmasq_quote "$2")"$'\n' ;;
        --txt-raw) W_TXT[$name]+="$2"$'\n' ;;
        --txt-cname) W_CNAME[$name]=$2 ;;
        --policy) policy=$2 ;;
        --cert) W_CERT[$name]=$2 ;;
        --addr) W_ADDR[$name]=$2 ;;
        --no-addr)
            W_NOADDR[$name]=1
            shift
            continue
            ;;
        --no-server)
            W_HOSTILE[$name]=none
            shift
            continue
            ;;
        --status) W_STATUS[$name]=$2 ;;
        --redirect) W_REDIRECT[$name]=$2 ;;
        --ctype) W_CTYPE[$name]=$2 ;;
        --rate) W_RATE[$name]=$2 ;;
        --hostile) W_HOSTILE[$name]=$2 ;;
        --dns) W_DNS[$name]=$2 ;;
        *) die "world_domain $name: unknown option '$1'" ;;
        esac
        [ $# -ge 2 ] || die "world_domain $name: option $1 needs a value"
        shift 2
    done
    if [ -n "${W_HOSTILE[$name]}" ] && [ "${W_ADDR[$name]}" = 127.0.0.1 ]; then
        lib_next_addr
        W_ADDR[$name]=$NEXT_ADDR
    fi
    mkdir -p "$WWW/$name"
    lib_write_body "$WWW/$name/mta-sts.txt" "$policy"
}

world_zone_dns() { # ZONE MODE
    [ $# = 2 ] || die "world_zone_dns: want ZONE MODE"
    [ "$W_STARTED" = 0 ] || die "world_zone_dns: call it before world_start"
    W_ZONES+=("$1")
    W_ZONE_MODE[$1]=$2
}

world_txt_at() { # NAME TEXT
    W_EXTRA_TXT+=("$1,$(lib_dnsmasq_quote "$2")")
}

world_set_txt_at() { # NAME [TEXT...]: replace the extra TXT records at NAME
    local name=$1 spec keep=() t
    shift
    for spec in "${W_EXTRA_TXT[@]}"; do
        [ "${spec%%,*}" = "$name" ] || keep+=("$spec")
    done
    W_EXTRA_TXT=("${keep[@]}")
    for t in "$@"; do
        world_txt_at "$name" "$t"
    done
    if [ -n "$DNSMASQ_PID" ]; then
        world_dns_stop
        world_dns_start
    fi
}

world_mx() { # NAME HOST PREF
    [ $# = 3 ] || die "world_mx: want NAME HOST PREF"
    W_EXTRA_MX+=("$1,$2,$3")
}

world_host() { # NAME ADDR
    [ $# = 2 ] || die "world_host: want NAME ADDR"
    W_EXTRA_HOST+=("$1,$2")
}

world_addr() { echo "${W_ADDR[$1]}"; }
world_policy_url() { echo "https://mta-sts.$1/.well-known/mta-sts.txt"; }

# --- DNS (dnsmasq, plus slow_dns.py for --dns domains)
DNS=$WORK/dns
SLOWDNS=$WORK/slowdns
declare -A SLOWDNS_PORT SLOWDNS_PID
SLOWDNS_NEXT_PORT=5400

lib_slowdns_records() { # NAME -> JSON records for slow_dns.py
    local name=$1
    "$PYTHON" - "$name" "${W_ADDR[$name]}" "${W_NOADDR[$name]}" "${W_TXT[$name]}" <<'EOF'
import json, sys
name, addr, noaddr, txt = sys.argv[1:5]
recs = {}
strings = []
for line in txt.splitlines():
    if not line:
        continue
    # dnsmasq syntax: "a","b" -> character-strings
    parts, cur, inq, esc = [], "", False, False
    for ch in line:
        if esc:
            cur += ch; esc = False
        elif ch == "\\":
            esc = True
        elif ch == '"':
            inq = not inq
        elif ch == "," and not inq:
            parts.append(cur); cur = ""
        else:
            cur += ch
    parts.append(cur)
    strings.append(parts)
recs["_mta-sts." + name] = {"TXT": strings}
if not noaddr:
    recs["mta-sts." + name] = {"A": [addr]}
print(json.dumps(recs))
EOF
}

lib_write_dnsmasq_conf() {
    local name spec c=$DNS/dnsmasq.conf
    mkdir -p "$DNS"
    {
        echo "port=53"
        echo "listen-address=127.0.0.1"
        echo "bind-interfaces"
        echo "no-resolv"
        echo "no-hosts"
        echo "no-poll"
        echo "cache-size=0"
        # a flood of queries to a drop-mode zone stays a black hole (past
        # its default of 150, dnsmasq answers REFUSED at once)
        echo "dns-forward-max=10000"
        echo "local-ttl=0"
        echo "log-queries=extra"
        echo "log-facility=$DNS/dnsmasq.log"
        echo "pid-file=$DNS/dnsmasq.pid"
        echo "local=/#/"
        for name in "${W_DOMAINS[@]}"; do
            if [ -n "${W_DNS[$name]}" ]; then
                echo "server=/_mta-sts.$name/127.0.0.1#${SLOWDNS_PORT[$name]}"
                echo "server=/mta-sts.$name/127.0.0.1#${SLOWDNS_PORT[$name]}"
                continue
            fi
            while IFS= read -r spec; do
                [ -n "$spec" ] && echo "txt-record=_mta-sts.$name,$spec"
            done <<<"${W_TXT[$name]}"
            [ -n "${W_CNAME[$name]}" ] && echo "cname=_mta-sts.$name,${W_CNAME[$name]}"
            [ -z "${W_NOADDR[$name]}" ] && echo "host-record=mta-sts.$name,${W_ADDR[$name]}"
        done
        for name in "${W_ZONES[@]}"; do
            echo "server=/$name/127.0.0.1#${SLOWDNS_PORT[zone:$name]}"
        done
        for spec in "${W_EXTRA_TXT[@]}"; do
            echo "txt-record=$spec"
        done
        for spec in "${W_EXTRA_MX[@]}"; do
            echo "mx-host=$spec"
        done
        for spec in "${W_EXTRA_HOST[@]}"; do
            echo "host-record=$spec"
        done
        # a name that always exists, for the readiness probe
        echo "host-record=ready.world.invalid,127.0.0.1"
    } >"$c"
}

world_dns_start() {
    lib_write_dnsmasq_conf
    dnsmasq --no-daemon --conf-file="$DNS/dnsmasq.conf" 2>>"$DNS/dnsmasq.stderr" &
    DNSMASQ_PID=$!
    lib_track "$DNSMASQ_PID"
    wait_for 10 lib_dns_ready || die "dnsmasq did not come up: $(cat "$DNS/dnsmasq.stderr")"
}

lib_dns_ready() {
    lib_running "$DNSMASQ_PID" || return 1
    dns_query ready.world.invalid A 127.0.0.1 | grep -q 127.0.0.1
}

world_dns_stop() {
    [ -n "$DNSMASQ_PID" ] || return 0
    lib_stop_pid "$DNSMASQ_PID"
    lib_untrack "$DNSMASQ_PID"
    DNSMASQ_PID=
}

lib_slowdns_start() { # NAME
    local name=$1 port
    mkdir -p "$SLOWDNS"
    if [ -z "${SLOWDNS_PORT[$name]:-}" ]; then
        SLOWDNS_PORT[$name]=$SLOWDNS_NEXT_PORT
        SLOWDNS_NEXT_PORT=$((SLOWDNS_NEXT_PORT + 1))
    fi
    port=${SLOWDNS_PORT[$name]}
    lib_slowdns_records "$name" >"$SLOWDNS/$name.json"
    echo "${W_DNS[$name]}" >"$SLOWDNS/$name.mode"
    "$PYTHON" "$LIB_DIR/slow_dns.py" --addr 127.0.0.1 --port "$port" \
        --records "$SLOWDNS/$name.json" --mode-file "$SLOWDNS/$name.mode" \
        --log "$SLOWDNS/$name.log" 2>>"$SLOWDNS/$name.stderr" &
    SLOWDNS_PID[$name]=$!
    lib_track "$!"
    # ready when the TCP port accepts (the mode may be "drop")
    wait_for 10 lib_port_open 127.0.0.1 "$port" ||
        die "slow_dns.py for $name did not come up: $(cat "$SLOWDNS/$name.stderr")"
}

lib_zonedns_start() { # ZONE: a slow_dns.py without records for the whole zone
    local zone=$1 key=zone:$1 port
    mkdir -p "$SLOWDNS"
    SLOWDNS_PORT[$key]=$SLOWDNS_NEXT_PORT
    SLOWDNS_NEXT_PORT=$((SLOWDNS_NEXT_PORT + 1))
    port=${SLOWDNS_PORT[$key]}
    echo '{}' >"$SLOWDNS/zone-$zone.json"
    echo "${W_ZONE_MODE[$zone]}" >"$SLOWDNS/zone-$zone.mode"
    "$PYTHON" "$LIB_DIR/slow_dns.py" --addr 127.0.0.1 --port "$port" \
        --records "$SLOWDNS/zone-$zone.json" --mode-file "$SLOWDNS/zone-$zone.mode" \
        --log "$SLOWDNS/zone-$zone.log" 2>>"$SLOWDNS/zone-$zone.stderr" &
    lib_track "$!"
    wait_for 10 lib_port_open 127.0.0.1 "$port" ||
        die "slow_dns.py for zone $zone did not come up: $(cat "$SLOWDNS/zone-$zone.stderr")"
}

world_set_dns_mode() { # NAME MODE
    [ -n "${W_DNS[$1]}" ] || die "world_set_dns_mode: $1 was not declared with --dns"
    W_DNS[$1]=$2
    echo "$2" >"$SLOWDNS/$1.mode"
}

world_set_hostile() { # NAME MODE|off
    local name=$1
    case ${W_HOSTILE[$name]:-} in
    "" | none) die "world_set_hostile: $name was not declared with --hostile" ;;
    esac
    if [ -n "${HOSTILE_PID[$name]:-}" ]; then
        lib_stop_pid "${HOSTILE_PID[$name]}"
        lib_untrack "${HOSTILE_PID[$name]}"
        HOSTILE_PID[$name]=
    fi
    W_HOSTILE[$name]=$2
    [ "$2" = off ] || lib_hostile_start "$name"
}

world_set_txt() { # NAME [TEXT...]
    local name=$1 t
    shift
    W_TXT[$name]=
    for t in "$@"; do
        W_TXT[$name]+="$(lib_dnsmasq_quote "$t")"$'\n'
    done
    if [ -n "${W_DNS[$name]}" ]; then
        lib_slowdns_records "$name" >"$SLOWDNS/$name.json.new"
        mv "$SLOWDNS/$name.json.new" "$SLOWDNS/$name.json"
        return 0
    fi
    if [ -n "$DNSMASQ_PID" ]; then
        world_dns_stop
        world_dns_start
    fi
}

world_set_policy() { # NAME TEXT|@FILE
    lib_write_body "$WWW/$1/mta-sts.txt.new" "$2"
    mv "$WWW/$1/mta-sts.txt.new" "$WWW/$1/mta-sts.txt"
}

world_set_status() { # NAME [N]
    [ -n "${W_STATUS[$1]+set}" ] || die "world_set_status: $1 was not declared"
    W_STATUS[$1]=${2:-}
    if [ -n "$NGINX_PID" ]; then
        world_https_stop
        world_https_start
    fi
}

world_dns_queries() { # NAME: queries seen by dnsmasq for names ending in NAME
    local n
    n=$(grep -cE "query\[[A-Z0-9]+\] ([^ ]*\.)?$(lib_re_quote "$1") from" "$DNS/dnsmasq.log" 2>/dev/null)
    echo "${n:-0}"
}

lib_re_quote() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'; }

# --- HTTPS (nginx, plus hostile_https.py for --hostile domains)
NGX=$WORK/nginx
declare -A HOSTILE_PID

lib_write_nginx_conf() {
    local name cert key a seen=" " c=$NGX/nginx.conf
    mkdir -p "$NGX/tmp"
    pki_cert good default.world.invalid
    cert=$PKI_CERT key=$PKI_KEY
    {
        cat <<EOF
daemon off;
master_process off;
user root root;
pid $NGX/nginx.pid;
error_log $NGX/error.log info;
events { worker_connections 1024; }
http {
    log_format fetch '\$ssl_server_name \$host "\$request" \$status \$body_bytes_sent';
    access_log $NGX/access.log fetch;
    client_body_temp_path $NGX/tmp/body;
    proxy_temp_path $NGX/tmp/proxy;
    fastcgi_temp_path $NGX/tmp/fastcgi;
    uwsgi_temp_path $NGX/tmp/uwsgi;
    scgi_temp_path $NGX/tmp/scgi;
    types { }
    default_type text/plain;
    etag off;
    server_tokens off;
    ssl_protocols TLSv1.2 TLSv1.3;
EOF
        for name in "${W_DOMAINS[@]}"; do
            [ -n "${W_HOSTILE[$name]}" ] && continue
            a=${W_ADDR[$name]}
            case $seen in *" $a "*) continue ;; esac
            seen+="$a "
            cat <<EOF
    server {
        listen $a:443 ssl default_server;
        server_name _;
        ssl_certificate $cert;
        ssl_certificate_key $key;
        return 421;
    }
EOF
        done
        for name in "${W_DOMAINS[@]}"; do
            [ -n "${W_HOSTILE[$name]}" ] && continue
            pki_cert "${W_CERT[$name]}" "mta-sts.$name"
            cert=$PKI_CERT key=$PKI_KEY
            echo "    server {"
            echo "        listen ${W_ADDR[$name]}:443 ssl;"
            echo "        server_name mta-sts.$name;"
            echo "        ssl_certificate $cert;"
            echo "        ssl_certificate_key $key;"
            echo "        location = /.well-known/mta-sts.txt {"
            if [ -n "${W_REDIRECT[$name]}" ]; then
                echo "            return 301 ${W_REDIRECT[$name]};"
            elif [ -n "${W_STATUS[$name]}" ]; then
                echo "            return ${W_STATUS[$name]};"
            else
                echo "            default_type \"${W_CTYPE[$name]}\";"
                [ -n "${W_RATE[$name]}" ] && echo "            limit_rate ${W_RATE[$name]};"
                echo "            alias $WWW/$name/mta-sts.txt;"
            fi
            echo "        }"
            echo "        location / { return 404; }"
            echo "    }"
        done
        echo "}"
    } >"$c"
}

world_https_start() {
    lib_write_nginx_conf
    nginx -p "$NGX" -e "$NGX/error.log" -c "$NGX/nginx.conf" 2>>"$NGX/stderr" &
    NGINX_PID=$!
    lib_track "$NGINX_PID"
    wait_for 10 lib_port_open 127.0.0.1 443 || die "nginx did not come up: $(cat "$NGX/stderr" "$NGX/error.log" 2>/dev/null | tail -5)"
}

world_https_stop() {
    [ -n "$NGINX_PID" ] || return 0
    lib_stop_pid "$NGINX_PID"
    lib_untrack "$NGINX_PID"
    NGINX_PID=
}

lib_hostile_start() { # NAME
    local name=$1 cert key d=$WORK/hostile
    mkdir -p "$d"
    pki_cert "${W_CERT[$name]}" "mta-sts.$name"
    cert=$PKI_CERT key=$PKI_KEY
    "$PYTHON" "$LIB_DIR/hostile_https.py" --addr "${W_ADDR[$name]}" --port 443 \
        --cert "$cert" --key "$key" --mode "${W_HOSTILE[$name]}" \
        --body "$WWW/$name/mta-sts.txt" --log "$d/$name.log" \
        ${W_REDIRECT[$name]:+--location "${W_REDIRECT[$name]}"} 2>>"$d/$name.stderr" &
    HOSTILE_PID[$name]=$!
    lib_track "$!"
    wait_for 10 lib_port_open "${W_ADDR[$name]}" 443 ||
        die "hostile_https.py for $name did not come up: $(cat "$d/$name.stderr")"
}

lib_port_open() { # ADDR PORT: a TCP connect succeeds
    (: <>"/dev/tcp/$1/$2") 2>/dev/null
}

world_fetch_count() { # NAME
    local n=0 m re
    re="^mta-sts\\.$(lib_re_quote "$1") [^ ]+ \"GET /\\.well-known/mta-sts\\.txt"
    if [ -f "$NGX/access.log" ]; then
        m=$(grep -cE "$re" "$NGX/access.log")
        n=$((n + m))
    fi
    if [ -f "$WORK/hostile/$1.log" ]; then
        m=$(grep -c '^GET /.well-known/mta-sts.txt' "$WORK/hostile/$1.log")
        n=$((n + m))
    fi
    echo "$n"
}

world_start() {
    local name
    [ "$W_STARTED" = 0 ] || die "world_start called twice"
    W_STARTED=1
    for name in "${W_ZONES[@]}"; do
        lib_zonedns_start "$name"
    done
    for name in "${W_DOMAINS[@]}"; do
        [ -n "${W_DNS[$name]}" ] && lib_slowdns_start "$name"
        case ${W_HOSTILE[$name]} in
        "" | none) ;;
        *) lib_hostile_start "$name" ;;
        esac
    done
    world_dns_start
    world_https_start
    note "world up: ${#W_DOMAINS[@]} domains, work dir $WORK"
}

# --- client-side probes of the world (no dig needed)
dns_query() { # NAME TYPE [SERVER[:PORT]] [tcp]
    "$PYTHON" "$LIB_DIR/slow_dns.py" --query "$1" --qtype "$2" --server "${3:-127.0.0.1}" \
        --timeout "${DNS_QUERY_TIMEOUT:-3}" ${4:+--tcp}
}

https_get() { # NAME [curl args...]: prints the body; curl's status
    local name=$1 addr
    shift
    addr=$(dns_query "mta-sts.$name" A | sed -n 2p)
    [ -n "$addr" ] || addr=127.0.0.1
    curl -sS --max-time 5 --proto =https --tlsv1.2 --noproxy '*' --cacert "$CA_FILE" \
        --resolve "mta-sts.$name:443:$addr" "$@" "https://mta-sts.$name/.well-known/mta-sts.txt"
}

# ---------------------------------------------------------------- daemon
MTASTSD_FAST=(query_timeout=6s dns_timeout=1s https_connect_timeout=2s https_timeout=3s)

mtastsd_log() { echo "$WORK/mtastsd.log"; }

mtastsd_alive() { [ -n "$MTASTSD_PID" ] && lib_running "$MTASTSD_PID"; }

mtastsd_start() {
    local kv
    [ -x "$MTASTSD" ] || die "daemon binary $MTASTSD not found (build it first)"
    [ -z "$MTASTSD_PID" ] || die "mtastsd_start: already running"
    MTASTSD_ARGS=("$@")
    mkdir -p "$WORK/state"
    {
        echo "# written by tests/integration/lib.sh"
        echo "listen = unix:$SOCK"
        echo "control_socket = $CTL_SOCK"
        echo "state_dir = $WORK/state"
        echo "dns_servers = 127.0.0.1"
        echo "ca_file = $CA_FILE"
        echo "log_level = debug"
        for kv in "$@"; do
            case $kv in *=*) ;; *) die "mtastsd_start: '$kv' is not key=value" ;; esac
            echo "${kv%%=*} = ${kv#*=}"
        done
    } >"$WORK/mtastsd.conf"
    rm -f "$SOCK" # stale from an earlier run in this test; ours to remove
    echo "===== mtastsd start $(date +%T) $*" >>"$WORK/mtastsd.log"
    # shellcheck disable=SC2086 # the wrapper is a word list on purpose
    ${MTASTSD_WRAPPER:-} "$MTASTSD" -f -c "$WORK/mtastsd.conf" >>"$WORK/mtastsd.log" 2>&1 &
    MTASTSD_PID=$!
    if ! wait_for 10 lib_daemon_ready; then
        tail -n 20 "$WORK/mtastsd.log" >&2
        die "mtastsd did not create $SOCK within 10 s"
    fi
}

lib_daemon_ready() {
    mtastsd_alive || return 2
    [ -S "$SOCK" ] || return 1
    "$PYTHON" -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])' "$SOCK" 2>/dev/null
}

mtastsd_stop() {
    local rc
    [ -n "$MTASTSD_PID" ] || return 0
    kill -TERM "$MTASTSD_PID" 2>/dev/null
    if ! wait_for 10 lib_not_alive; then
        kill -KILL "$MTASTSD_PID" 2>/dev/null
        lib_result 1 "mtastsd stops within 10 s of SIGTERM"
    fi
    wait "$MTASTSD_PID"
    rc=$?
    MTASTSD_PID=
    expect_eq "mtastsd exits with status 0 on SIGTERM" "$rc" 0
}

lib_not_alive() { ! mtastsd_alive; }

mtastsd_restart() {
    local args=("$@")
    [ $# -gt 0 ] || args=("${MTASTSD_ARGS[@]}")
    mtastsd_stop
    mtastsd_start "${args[@]}"
}

# ---------------------------------------------------------------- queries
Q_TIMEOUT=${Q_TIMEOUT:-30}

# postmap reads a private Postfix configuration: /etc/postfix may be absent,
# and inside an unprivileged namespace its root-owned files look foreign
# (postmap then warns about dynamicmaps.cf, which would spoil stderr checks).
lib_postfix_init() {
    mkdir -p "$WORK/postfix"
    cat >"$WORK/postfix/main.cf" <<EOF
compatibility_level = 3.6
meta_directory = $WORK/postfix
inet_interfaces = loopback-only
mynetworks = 127.0.0.0/8
myhostname = mx.world.invalid
mydomain = world.invalid
EOF
    export MAIL_CONFIG=$WORK/postfix
}

q() { # KEY [MAP]
    timeout "$Q_TIMEOUT" postmap -q "$1" "socketmap:unix:$SOCK:${2:-mtasts}" 2>"$WORK/q.err"
}

# lib_query KEY MAP -> sets Q_OUT, Q_ERR, Q_RC
lib_query() {
    Q_OUT=$(q "$1" "$2")
    Q_RC=$?
    Q_ERR=$(head -c 300 "$WORK/q.err")
}

expect_reply() { # KEY WANT [MAP]
    local map=${3:-mtasts}
    lib_query "$1" "$map"
    if [ "$Q_RC" = 0 ] && [ "$Q_OUT" = "$2" ]; then
        lib_result 0 "$map '$1' -> OK $2"
    else
        lib_result 1 "$map '$1' -> OK $2" "rc=$Q_RC out='$Q_OUT' err='$Q_ERR'"
    fi
}

# expect_reply_re KEY REGEX [MAP]: OK reply whose value matches REGEX
expect_reply_re() {
    local map=${3:-mtasts}
    lib_query "$1" "$map"
    if [ "$Q_RC" = 0 ] && printf '%s' "$Q_OUT" | grep -qE -- "$2"; then
        lib_result 0 "$map '$1' -> OK ~ /$2/"
    else
        lib_result 1 "$map '$1' -> OK ~ /$2/" "rc=$Q_RC out='$Q_OUT' err='$Q_ERR'"
    fi
}

expect_notfound() { # KEY [MAP]
    local map=${2:-mtasts}
    lib_query "$1" "$map"
    if [ "$Q_RC" = 1 ] && [ -z "$Q_OUT" ] && [ -z "$Q_ERR" ]; then
        lib_result 0 "$map '$1' -> NOTFOUND"
    else
        lib_result 1 "$map '$1' -> NOTFOUND" "rc=$Q_RC out='$Q_OUT' err='$Q_ERR'"
    fi
}

# postmap turns TEMP/TIMEOUT/PERM into a fatal error: non-zero exit,
# nothing on stdout, a message on stderr.
expect_error() { # KEY [MAP]
    local map=${2:-mtasts}
    lib_query "$1" "$map"
    if [ "$Q_RC" != 0 ] && [ -z "$Q_OUT" ] && [ -n "$Q_ERR" ] && [ "$Q_RC" != 124 ]; then
        lib_result 0 "$map '$1' -> error reply"
    else
        lib_result 1 "$map '$1' -> error reply" "rc=$Q_RC out='$Q_OUT' err='$Q_ERR'"
    fi
}

# expect_kind KEY KIND [MAP]: KIND temporary|permanent|timeout; postmap
# logs "socketmap server temporary error: REASON" (resp. permanent/timeout)
# before its fatal "query error".
lib_expect_kind() {
    local map=${3:-mtasts} want
    case $2 in
    temporary) want=TEMP ;;
    permanent) want=PERM ;;
    timeout) want=TIMEOUT ;;
    esac
    lib_query "$1" "$map"
    if [ "$Q_RC" != 0 ] && [ "$Q_RC" != 124 ] && [ -z "$Q_OUT" ] &&
        printf '%s' "$Q_ERR" | grep -q "socketmap server $2 error"; then
        lib_result 0 "$map '$1' -> $want"
    else
        lib_result 1 "$map '$1' -> $want" "rc=$Q_RC out='$Q_OUT' err='$Q_ERR'"
    fi
}
expect_temp() { lib_expect_kind "$1" temporary "${2:-mtasts}"; }
expect_perm() { lib_expect_kind "$1" permanent "${2:-mtasts}"; }
expect_timeout() { lib_expect_kind "$1" timeout "${2:-mtasts}"; }

# ---------------------------------------------------------------- daemon log
log_mark() {
    LOG_MARK=$(wc -l <"$WORK/mtastsd.log" 2>/dev/null || echo 0)
}

lib_log_since_mark() { tail -n +"$((LOG_MARK + 1))" "$WORK/mtastsd.log" 2>/dev/null; }

lib_log_has() { lib_log_since_mark | grep -qE -- "$1"; }

expect_log() { # REGEX [SECONDS]
    if wait_for "${2:-3}" lib_log_has "$1"; then
        lib_result 0 "log matches /$1/"
    else
        lib_result 1 "log matches /$1/" "no such line in $(mtastsd_log) since the mark"
    fi
}

expect_no_log() { # REGEX
    if lib_log_has "$1"; then
        lib_result 1 "log has no /$1/" "found: $(lib_log_since_mark | grep -E -- "$1" | head -n 2)"
    else
        lib_result 0 "log has no /$1/"
    fi
}

smap_raw() { "$PYTHON" "$LIB_DIR/smap_client.py" --socket "$SOCK" "$@"; }

pki_init
lib_postfix_init

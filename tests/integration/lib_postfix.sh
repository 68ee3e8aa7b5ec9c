# tests/integration/lib_postfix.sh - real Postfix instances in the test
# world (test_postfix_e2e.sh, test_check_mx.sh).
# shellcheck shell=bash disable=SC2034  # variables are for the sourcing scripts
#
# Sourced INSTEAD of lib.sh, first thing in the script:
#
#     . "$(dirname "$0")/lib_postfix.sh"
#
# NAMESPACE.  Postfix's daemons switch to the "postfix" account, which an
# "unshare -rn" namespace cannot map (only uid 0 is mapped there), so these
# scripts must run as real root (CI does).  On first source this file
# re-executes the script under "unshare -nm": a private network namespace
# (loopback only) and a private mount namespace, in which pf_resolv_conf
# can bind-mount a resolv.conf on /etc/resolv.conf so that Postfix's
# system resolver asks the world's DNS server.  Then it sources lib.sh,
# which sees MTASTS_TEST_NETNS=1 and does not re-enter.  Run as non-root,
# the script fails with exit 99 (never skipped).  $WORK is made
# world-searchable (711): Postfix's unprivileged processes must reach the
# queue and data directories and sockets under it.
#
# INSTANCES.  Each lives under $WORK/pf-NAME (config, queue and data
# directories; the Debian master.cf with chroot off and no smtpd
# listener; its log in $WORK/postfix-NAME.log) and is stopped by pid.
#   pf_instance NAME        write the instance's main.cf and master.cf
#   pf_conf NAME            its config directory (for postconf -c)
#   pf_listener NAME ADDR [-o param=value]...
#                           an smtpd(8) on ADDR:25 with those overrides
#   pf_start NAME / pf_stop NAME
#   pf_resolv_conf ADDR [OPTION...]
#                           "nameserver ADDR" on /etc/resolv.conf (bind mount),
#                           with more resolver options (e.g. trust-ad: glibc
#                           then passes the AD bit on, which Postfix's DANE
#                           needs)
#   pf_wait SECONDS CMD...  poll CMD every 0.1 s until it succeeds or the
#                           wall-clock deadline passes (wait_for counts
#                           polls, and Postfix polls are slow)
if [ "${MTASTS_TEST_NETNS:-}" != 1 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "ERROR: $(basename "$0" .sh): must run as root: Postfix cannot switch to its" \
            "mail_owner inside an unprivileged user namespace" >&2
        exit 99
    fi
    MTASTS_TEST_NETNS=1 exec unshare -nm -- "${BASH:-bash}" "$0" "$@"
    echo "ERROR: $(basename "$0" .sh): cannot run unshare -nm" >&2
    exit 99
fi
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

lib_need postfix postconf postqueue sendmail mount
chmod 711 "$WORK"
declare -A PF_PID

pf_wait() {
    local end now
    end=$((${EPOCHREALTIME/./} + $1 * 1000000))
    shift
    while :; do
        "$@" >/dev/null 2>&1 && return 0
        now=${EPOCHREALTIME/./}
        [ "$now" -lt "$end" ] || return 1
        sleep 0.1
    done
}

pf_resolv_conf() { # ADDR [OPTION...]
    local addr=$1
    shift
    printf 'nameserver %s\noptions attempts:2 timeout:2%s\n' "$addr" "${*:+ $*}" >"$WORK/resolv.conf"
    chmod 644 "$WORK/resolv.conf"
    mount --bind "$WORK/resolv.conf" /etc/resolv.conf || die "cannot bind-mount resolv.conf"
}

pf_instance() { # NAME
    local d=$WORK/pf-$1
    mkdir -p "$d/conf" "$d/queue" "$d/data"
    chown postfix "$d/data" || die "cannot chown to postfix (is the account there?)"
    cp /etc/postfix/master.cf "$d/conf/master.cf" || die "no /etc/postfix/master.cf"
    cat >"$d/conf/main.cf" <<EOF2
# written by $SCRIPT_NAME
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
myhostname = $1.e2e.invalid
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
inet_interfaces = loopback-only
inet_protocols = ipv4
maillog_file_prefixes = $WORK
maillog_file = $WORK/postfix-$1.log
biff = no
delay_warning_time = 0
EOF2
    postconf -c "$d/conf" -F '*/*/chroot = n' || die "postconf -F failed"
    postconf -c "$d/conf" -MX smtp/inet || die "postconf -MX failed"
}

pf_conf() { echo "$WORK/pf-$1/conf"; }

pf_listener() { # NAME ADDR [-o param=value]...
    local name=$1 addr=$2
    shift 2
    postconf -c "$(pf_conf "$name")" -M "$addr:smtp/inet=$addr:smtp inet n - n - - smtpd $*" ||
        die "postconf -M $addr failed"
}

pf_start() { # NAME
    local d=$WORK/pf-$1 pid
    postfix -c "$d/conf" start >"$d/start.out" 2>&1 ||
        die "postfix $1 did not start: $(tail -n 5 "$d/start.out" "$WORK/postfix-$1.log" 2>/dev/null)"
    wait_for 10 test -s "$d/queue/pid/master.pid" || die "postfix $1: no master.pid"
    read -r pid <"$d/queue/pid/master.pid"
    PF_PID[$1]=$pid
    lib_track "$pid" # stopped by pid on exit, whatever happens
}

lib_pf_not_running() { ! lib_running "$1"; }

pf_stop() { # NAME
    local pid=${PF_PID[$1]:-}
    [ -n "$pid" ] || return 0
    postfix -c "$(pf_conf "$1")" stop >/dev/null 2>&1
    pf_wait 10 lib_pf_not_running "$pid" || lib_stop_pid "$pid"
    lib_untrack "$pid"
    PF_PID[$1]=
}

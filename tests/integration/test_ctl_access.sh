#!/bin/bash
# shellcheck disable=SC2034 # the PEER_* arrays are read through a nameref (ctl)
# test_ctl_access.sh - who may use the control socket, with real uids.
#
# The control socket has two barriers (doc/control-protocol.txt section 1,
# mtastsd-ctl(8) ACCESS): the file mode and group (control_socket_mode,
# control_socket_group), then the daemon's SO_PEERCRED check, which serves
# root, the uid the daemon runs as, and members of control_socket_group
# (primary group, or supplementary through SO_PEERGROUPS); anybody else
# gets "ERR permission denied" and a logged warning.  There is no split
# between read-only and operator commands: a peer that is served may run
# every command (the operator ones are logged with its uid and pid).
#
# Peers are run with setpriv (real uid/gid/groups, no capabilities):
#     stranger   nobody (65534:65534), no supplementary groups
#     outsider   nobody with supplementary group $OTHER_GROUP only
#     member     nobody with supplementary group $CTL_GROUP
#     primary    nobody with primary group $CTL_GROUP, no other groups
#     many       nobody with 100 lower supplementary gids, then $CTL_GROUP
#     manyout    nobody with the 100 other supplementary groups only
#     duser      $DAEMON_USER, the account the daemon drops to (phase 3)
# Phases (one daemon each, started by lib.sh's mtastsd_start):
#     1. mode 0660, group $CTL_GROUP: the file mode stops the stranger
#        (connect EACCES: mtastsd-ctl exit 3), members are served
#     2. mode 0666, group $CTL_GROUP: the daemon stops the stranger and the
#        outsider (exit 3, "permission denied", refusal logged with uid,
#        gid and pid; counted in control_refused), members are served
#     3. mode 0666, no group, user=$DAEMON_USER: the daemon's own uid and
#        root are served, group members no longer are
# After the refusals the daemon still answers postmap (NOTFOUND).
#
# NAMESPACE.  Other uids cannot exist inside lib.sh's "unshare -rn", so
# this script must run as real root (CI does); run as non-root it fails
# with exit 99 (never skipped).  It enters "unshare -nm" itself (lib.sh
# sees MTASTS_TEST_NETNS=1 and does not re-enter): a private network
# namespace, and a private mount namespace in which copies of /etc/passwd
# and /etc/group with the test accounts added are bind-mounted over the
# originals.  The accounts thus exist only inside this namespace and
# vanish with it, also on SIGKILL: nothing on the host is created or needs
# removing.  (Needs NSS to read the files directly: no nscd.)
if [ "${MTASTS_TEST_NETNS:-}" != 1 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "ERROR: test_ctl_access: must run as root: it runs mtastsd-ctl as other" \
            "uids, which an unprivileged user namespace cannot map" >&2
        exit 99
    fi
    MTASTS_TEST_NETNS=1 exec unshare -nm -- "${BASH:-bash}" "$0" "$@"
    echo "ERROR: test_ctl_access: cannot run unshare -nm" >&2
    exit 99
fi
. "$(dirname "$0")/lib.sh"

lib_need setpriv mount stat getent
CTL=${MTASTSD_CTL:-$top_builddir/mtastsd-ctl}
[ -x "$CTL" ] || die "mtastsd-ctl binary $CTL not found (build it first)"
[ "$(id -u)" = 0 ] || die "not root inside the namespace"

# ---------------------------------------------------------------- accounts
NOBODY_UID=65534
NOBODY_GID=65534
[ "$(getent passwd "$NOBODY_UID" | cut -d: -f1)" = nobody ] || die "no user nobody (uid 65534)"

free_id() { # FROM: the first id >= FROM that is neither a uid nor a gid
    local id=$1
    while getent passwd "$id" >/dev/null || getent group "$id" >/dev/null; do
        id=$((id + 1))
    done
    echo "$id"
}
CTL_GROUP=mtastsd-acc-ctl
OTHER_GROUP=mtastsd-acc-other
DAEMON_USER=mtastsd-acc
for n in "$CTL_GROUP" "$OTHER_GROUP" "$DAEMON_USER"; do
    if getent group "$n" >/dev/null || getent passwd "$n" >/dev/null; then
        die "account $n already exists on this system"
    fi
done
CTL_GID=$(free_id 64900)
OTHER_GID=$(free_id $((CTL_GID + 1)))
DAEMON_UID=$(free_id $((OTHER_GID + 1)))
DAEMON_GID=$DAEMON_UID
{
    cat /etc/group
    echo "$CTL_GROUP:x:$CTL_GID:"
    echo "$OTHER_GROUP:x:$OTHER_GID:"
    echo "$DAEMON_USER:x:$DAEMON_GID:"
} >"$WORK/group"
{
    cat /etc/passwd
    echo "$DAEMON_USER:x:$DAEMON_UID:$DAEMON_GID:mtastsd access test:/nonexistent:/usr/sbin/nologin"
} >"$WORK/passwd"
chmod 644 "$WORK/group" "$WORK/passwd"
mount --bind "$WORK/group" /etc/group || die "cannot bind-mount /etc/group"
mount --bind "$WORK/passwd" /etc/passwd || die "cannot bind-mount /etc/passwd"
[ "$(getent group "$CTL_GROUP" | cut -d: -f3)" = "$CTL_GID" ] ||
    die "getent does not see the namespace's /etc/group (nscd or sssd caching?)"
[ "$(getent passwd "$DAEMON_USER" | cut -d: -f3)" = "$DAEMON_UID" ] ||
    die "getent does not see the namespace's /etc/passwd (nscd or sssd caching?)"

# The peers (setpriv execs: the peer's pid is the one started).
PEER_root=()
PEER_stranger=(setpriv "--reuid=$NOBODY_UID" "--regid=$NOBODY_GID" --clear-groups --)
PEER_outsider=(setpriv "--reuid=$NOBODY_UID" "--regid=$NOBODY_GID" "--groups=$OTHER_GID" --)
PEER_member=(setpriv "--reuid=$NOBODY_UID" "--regid=$NOBODY_GID" "--groups=$CTL_GID" --)
# 100 supplementary groups (more than control.c's first SO_PEERGROUPS
# buffer of 64 holds), plus the control group or not.  The kernel sorts
# the groups: gids below $CTL_GID put the control group last.
many=$(seq -s, 60000 60099)
PEER_many=(setpriv "--reuid=$NOBODY_UID" "--regid=$NOBODY_GID" "--groups=$many,$CTL_GID" --)
PEER_manyout=(setpriv "--reuid=$NOBODY_UID" "--regid=$NOBODY_GID" "--groups=$many" --)
PEER_primary=(setpriv "--reuid=$NOBODY_UID" "--regid=$CTL_GID" --clear-groups --)
PEER_duser=(setpriv "--reuid=$DAEMON_UID" "--regid=$DAEMON_GID" --clear-groups --)

# Non-root peers must reach the socket through $WORK, so that a refusal is
# the socket's own mode and not the directory's; and they must have no
# capability that would bypass the file mode (CAP_DAC_OVERRIDE).
chmod 711 "$WORK"
# The build tree may be where nobody cannot go (a clone under /root, mode
# 0700): every peer runs a copy of mtastsd-ctl from $WORK.
install -m 755 "$CTL" "$WORK/mtastsd-ctl" || die "cannot copy $CTL to $WORK"
CTL=$WORK/mtastsd-ctl
for d in "$(dirname "$WORK")" "$WORK"; do
    "${PEER_stranger[@]}" test -x "$d" || die "$d is not traversable by nobody"
done
"${PEER_stranger[@]}" test -x "$CTL" || die "$CTL is not executable by nobody"
cap=$("${PEER_stranger[@]}" grep '^CapEff:' /proc/self/status) || die "setpriv failed"
[ "$cap" = $'CapEff:\t0000000000000000' ] || die "a setpriv peer keeps capabilities: $cap"
many_ids=$("${PEER_many[@]}" id -G)
[ "${many_ids##* }" = "$CTL_GID" ] || die "the many peer's last group is not $CTL_GID: $many_ids"
peer_ids=$("${PEER_member[@]}" id -u):$("${PEER_member[@]}" id -G)
[ "$peer_ids" = "$NOBODY_UID:$NOBODY_GID $CTL_GID" ] || die "setpriv member peer is $peer_ids"

# ---------------------------------------------------------------- helpers
# ctl PEER ARGS...: run mtastsd-ctl -s $CTL_SOCK ARGS as PEER; sets OUT,
# ERR, RC and CTL_PID (for the daemon's log lines)
ctl() {
    local -n peer=PEER_$1
    shift
    "${peer[@]}" "$CTL" -s "$CTL_SOCK" "$@" >"$WORK/ctl.out" 2>"$WORK/ctl.err" </dev/null &
    CTL_PID=$!
    wait "$CTL_PID"
    RC=$?
    OUT=$(cat "$WORK/ctl.out")
    ERR=$(cat "$WORK/ctl.err")
}

# expect_ctl DESC PEER WANT_RC WHERE REGEX ARGS...: exit status, and REGEX
# matches stdout (WHERE=out) or stderr (WHERE=err); an empty REGEX with
# WHERE=err means stderr must be empty
expect_ctl() {
    local desc=$1 peer=$2 want=$3 where=$4 re=$5 text ok=0
    shift 5
    ctl "$peer" "$@"
    if [ "$where" = out ]; then text=$OUT; else text=$ERR; fi
    if [ "$RC" != "$want" ]; then
        ok=1
    elif [ -n "$re" ]; then
        printf '%s\n' "$text" | grep -qE -- "$re" || ok=1
    elif [ "$where" = err ] && [ -n "$ERR" ]; then
        ok=1
    fi
    lib_result "$ok" "$desc" "$peer: mtastsd-ctl $* -> rc=$RC (want $want) out='${OUT:0:300}' err='${ERR:0:300}'"
}

# expect_socket DESC "MODE OWNER GROUP": stat of the control socket
expect_socket() {
    local got
    got=$(stat -c '%F %a %U %G' "$CTL_SOCK" 2>&1)
    expect_eq "$1" "$got" "socket $2"
}

# control_refused: the daemon's count of refused control connections
control_refused() {
    "$CTL" -j -s "$CTL_SOCK" status 2>/dev/null |
        "$PYTHON" -c 'import json, sys; print(json.loads(sys.stdin.readline())["control_refused"])'
}

re() { lib_re_quote "$1"; }
CTL_SOCK_RE=$(re "$CTL_SOCK")
EACCES_RE="^mtastsd-ctl: no permission to use the control socket $CTL_SOCK_RE \(Permission denied\): run as root, as the mtastsd user, or as a member of control_socket_group$"
DENIED_RE='^mtastsd-ctl: permission denied$'

# expect_refusal_logged UID GID REASON: the daemon's warning for the last
# ctl run (its pid), REASON being the text after "refused: "
expect_refusal_logged() {
    expect_log "control: connection from uid $1 gid $2 pid $CTL_PID refused: $(re "$3")\$"
}

# ---------------------------------------------------------------- phase 1
note "1. control_socket_mode=0660, control_socket_group=$CTL_GROUP: the file mode is the first barrier"
mtastsd_start control_socket_mode=0660 "control_socket_group=$CTL_GROUP"
expect_socket "socket mode 0660, owner root, group $CTL_GROUP" "660 root $CTL_GROUP"
log_mark
expect_ctl "root: status served" root 0 out '^version +[0-9]' status
expect_ctl "stranger: status -> exit 3, no permission to connect (EACCES)" \
    stranger 3 err "$EACCES_RE" status
expect_ctl "stranger: flush --all -> exit 3, no permission to connect (EACCES)" \
    stranger 3 err "$EACCES_RE" flush --all
expect_ctl "outsider (other supplementary group): status -> exit 3 (EACCES)" \
    outsider 3 err "$EACCES_RE" status
expect_no_log 'refused'
expect_ctl "member (supplementary group): status served" member 0 out '^control_clients +1$' status
expect_ctl "member: show (read-only) served: not cached -> exit 1, NOTFOUND reason" \
    member 1 err '^mtastsd-ctl: no cache entry for example\.com$' show example.com
expect_ctl "member: flush --negative (operator) served" member 0 err '' flush --negative
expect_log "control: uid $NOBODY_UID pid $CTL_PID: flush --negative"
expect_ctl "primary (primary group, no supplementary): reload (operator) served" primary 0 err '' reload
expect_log "control: uid $NOBODY_UID pid $CTL_PID: reload"
expect_eq "no connection refused by the daemon (control_refused)" "$(control_refused)" 0

# ---------------------------------------------------------------- phase 2
note "2. control_socket_mode=0666, control_socket_group=$CTL_GROUP: the daemon's SO_PEERCRED check"
mtastsd_restart control_socket_mode=0666 "control_socket_group=$CTL_GROUP"
expect_socket "socket mode 0666, owner root, group $CTL_GROUP" "666 root $CTL_GROUP"
log_mark
expect_ctl "stranger: status -> exit 3, 'permission denied' from the daemon" \
    stranger 3 err "$DENIED_RE" status
expect_eq "stranger: no output on stdout" "$OUT" ""
expect_refusal_logged "$NOBODY_UID" "$NOBODY_GID" "not root, not uid 0 and not in group $CTL_GROUP"
expect_ctl "stranger: flush --all -> exit 3, 'permission denied'" stranger 3 err "$DENIED_RE" flush --all
expect_refusal_logged "$NOBODY_UID" "$NOBODY_GID" "not root, not uid 0 and not in group $CTL_GROUP"
expect_ctl "outsider (other supplementary group): status -> exit 3, 'permission denied'" \
    outsider 3 err "$DENIED_RE" status
expect_refusal_logged "$NOBODY_UID" "$NOBODY_GID" "not root, not uid 0 and not in group $CTL_GROUP"
expect_ctl "member (supplementary group, SO_PEERGROUPS): status served" member 0 out '^version +[0-9]' status
expect_ctl "member: flush --negative (operator) served" member 0 err '' flush --negative
expect_log "control: uid $NOBODY_UID pid $CTL_PID: flush --negative"
expect_ctl "many (101 groups, the control group last): status served" many 0 out '^version +[0-9]' status
expect_ctl "manyout (100 groups, not the control group): status -> exit 3, 'permission denied'" \
    manyout 3 err "$DENIED_RE" status
expect_refusal_logged "$NOBODY_UID" "$NOBODY_GID" "not root, not uid 0 and not in group $CTL_GROUP"
expect_ctl "primary (primary group): status served" primary 0 out '^version +[0-9]' status
expect_ctl "root: status served" root 0 out '^version +[0-9]' status
expect_eq "the daemon counted 4 refusals (control_refused)" "$(control_refused)" 4
expect_notfound example.com
expect_true "mtastsd still running after the refusals" mtastsd_alive

# A local user knocking in a loop must not flood the log: at most 10
# refusal lines at once, then one per second, and the next logged line
# says how many were not logged.
# Let the bucket refill after the refusals above: one line per second, up
# to 10, counted from the last refill (not from the last refusal), so
# anything shorter than 10 s can leave it short of full.
sleep 11
log_mark
FLOOD=40 flood_rc=0 flood_t0=$(date +%s)
for ((i = 0; i < FLOOD; i++)); do
    ctl stranger status
    [ "$RC" = 3 ] || flood_rc=$RC
done
expect_eq "flood: all $FLOOD knocks refused (exit 3)" "$flood_rc" 0
expect_eq "flood: the daemon counted them (control_refused)" "$(control_refused)" $((4 + FLOOD))
flood_s=$(($(date +%s) - flood_t0))
flood_logged=$(lib_log_since_mark | grep -c 'refused: not root')
# 10 at once, plus one per second the flood lasted (and one for a second
# boundary); the knocks must outnumber that for the next check to mean
# anything.
expect_true "flood: $flood_logged refusal lines for $FLOOD knocks in ${flood_s}s (10 + 1/s)" \
    test "$flood_logged" -ge 10 -a "$flood_logged" -le $((11 + flood_s)) -a "$flood_logged" -lt "$FLOOD"
sleep 2
ctl stranger status
# Knocks held back are reported by a later line (during the flood, or this
# last knock's line if the flood ended on held-back knocks).
expect_log "control: connection from uid $NOBODY_UID gid $NOBODY_GID pid [0-9]+ refused: .* \\([0-9]+ more refused, not logged\\)\$"
# Every knock is either a line or counted in a later line's "N more".
flood_lines=$(lib_log_since_mark | grep -c 'refused: not root')
flood_unlogged=$(lib_log_since_mark | sed -n 's/.*refused: not root.* (\([0-9]*\) more refused, not logged)$/\1/p' |
    awk '{ n += $1 } END { print n + 0 }')
expect_eq "flood: $flood_lines lines + $flood_unlogged counted as not logged = every knock" \
    $((flood_lines + flood_unlogged)) $((FLOOD + 1))
expect_notfound example.com

# ---------------------------------------------------------------- phase 3
note "3. control_socket_mode=0666, no group, user=$DAEMON_USER: the daemon's own uid"
mtastsd_stop
# the cache files root's daemon made must become the service user's
chown -R "$DAEMON_USER:$DAEMON_USER" "$WORK/state" || die "cannot chown $WORK/state"
mtastsd_start control_socket_mode=0666 "user=$DAEMON_USER"
expect_socket "socket mode 0666, owner $DAEMON_USER, group root (unchanged)" "666 $DAEMON_USER root"
expect_eq "the daemon runs as $DAEMON_USER" \
    "$(awk '/^Uid:/ { print $2 "/" $3 }' "/proc/$MTASTSD_PID/status" 2>&1)" "$DAEMON_UID/$DAEMON_UID"
log_mark
expect_ctl "duser (the daemon's own uid): status served" duser 0 out '^version +[0-9]' status
expect_ctl "duser: flush --negative (operator) served" duser 0 err '' flush --negative
expect_log "control: uid $DAEMON_UID pid $CTL_PID: flush --negative"
expect_ctl "root: status served by a daemon that is not root" root 0 out '^version +[0-9]' status
expect_ctl "member: status -> exit 3, refused (no control_socket_group any more)" \
    member 3 err "$DENIED_RE" status
expect_refusal_logged "$NOBODY_UID" "$NOBODY_GID" "not root, not uid $DAEMON_UID"
expect_ctl "stranger: status -> exit 3, 'permission denied'" stranger 3 err "$DENIED_RE" status
expect_refusal_logged "$NOBODY_UID" "$NOBODY_GID" "not root, not uid $DAEMON_UID"
expect_eq "the daemon counted 2 refusals (control_refused)" "$(control_refused)" 2
expect_notfound example.com
mtastsd_stop

finish

#!/bin/bash
# tests/integration/test_ops.sh - what an operator installs and reads.
#
#  1. Every configuration key that "mtastsd -n" prints is documented in
#     mtastsd.conf(5) with the same default, every key documented there
#     exists in the code (no stale docs), and the example configuration
#     names every key.
#  2. "mandoc -Tlint -W warning" is clean on the three manual pages.
#  3. "make install DESTDIR=..." installs the programs, the manual pages,
#     the example files, the systemd units and the sysusers.d/tmpfiles.d
#     entries; the installed unit runs the installed daemon; "make
#     uninstall" removes every file again.
#  4. systemd accepts what was installed: "systemd-analyze verify" is
#     silent on the units (with the installed manual pages on MANPATH, so
#     their Documentation= links are checked too), "systemd-analyze
#     security" rates the service at most MAX_EXPOSURE, and
#     systemd-sysusers / systemd-tmpfiles apply the entries to a scratch
#     root.
#
# Needs no network namespace (it never starts the daemon).  Missing tools
# fail the test loudly (exit 99); nothing is skipped.
set -u
export LC_ALL=C

: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
MAX_EXPOSURE=15 # "systemd-analyze security" scale 0-100; 1.2 as shipped

fails=0
n=0
ok() {
    n=$((n + 1))
    echo "ok $n - $1"
}
not_ok() {
    n=$((n + 1))
    fails=$((fails + 1))
    echo "not ok $n - $1"
}
check() { # check DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@"; then ok "$what"; else not_ok "$what"; fi
}
quiet() { "$@" >/dev/null 2>&1; }
oneline() { printf '%s' "$1" | tr '\n' ' '; }
hard_error() {
    echo "test_ops: $*" >&2
    exit 99
}

for tool in mandoc:mandoc systemd-analyze:systemd systemd-sysusers:systemd \
    systemd-tmpfiles:systemd systemd-socket-activate:systemd man:man-db make:make \
    postmap:postfix python3:python3; do
    command -v "${tool%%:*}" >/dev/null ||
        hard_error "${tool%%:*} not found: install the Debian package ${tool#*:}"
done

MTASTSD=$top_builddir/mtastsd
CONF5=$top_srcdir/man/mtastsd.conf.5
EXAMPLE=$top_srcdir/contrib/mtastsd.conf.example
PAGES="$top_srcdir/man/mtastsd.8 $CONF5 $top_srcdir/man/mtastsd-ctl.8"
[ -x "$MTASTSD" ] || hard_error "$MTASTSD not built"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/test_ops.XXXXXX") || hard_error "mktemp failed"
trap 'rm -rf "$WORK"' EXIT

# ---- 1. configuration keys: code, mtastsd.conf(5), example ---------------

# The defaults, whatever /etc/mtastsd.conf on this machine says.
if ! "$MTASTSD" -n -c /dev/null >"$WORK/defaults"; then
    hard_error "mtastsd -n failed"
fi
# "key = value" or "key =" -> "key<TAB>value" or "key<TAB>(empty)"
sed -n -e 's/^\([a-z0-9_]*\) = \(.*[^ ]\)$/\1\t\2/p' -e 's/^\([a-z0-9_]*\) =$/\1\t(empty)/p' \
    "$WORK/defaults" | sort >"$WORK/code"
# ".It Ic key No = Ar type Pq default: Ql value" / "... Pq default: empty";
# "\&" (mdoc's zero-width escape, as in "Ql \&." for a lone dot) is dropped
grep '^\.It Ic ' "$CONF5" | sed 's/\\&//g' >"$WORK/items"
sed -n -e 's/^\.It Ic \([a-z0-9_]*\) .*Pq default: Ql \([^ ]*\)$/\1\t\2/p' \
    -e 's/^\.It Ic \([a-z0-9_]*\) .*Pq default: empty$/\1\t(empty)/p' "$WORK/items" |
    sort >"$WORK/doc"

nkeys=$(wc -l <"$WORK/code")
check "mtastsd -n prints the configuration ($nkeys keys, as many lines)" \
    test "$nkeys" -ge 20 -a "$nkeys" -eq "$(wc -l <"$WORK/defaults")"
check "every key entry in mtastsd.conf(5) gives its default in the parsed form" \
    test "$(wc -l <"$WORK/items")" -eq "$(wc -l <"$WORK/doc")"

missing=$(cut -f1 "$WORK/code" | sort | comm -23 - <(cut -f1 "$WORK/doc" | sort))
check "every key of the code is documented in mtastsd.conf(5)${missing:+ (missing: $(oneline "$missing"))}" \
    test -z "$missing"
stale=$(cut -f1 "$WORK/doc" | sort | comm -13 <(cut -f1 "$WORK/code" | sort) -)
check "every key documented in mtastsd.conf(5) exists in the code${stale:+ (stale: $(oneline "$stale"))}" \
    test -z "$stale"
dups=$(cut -f1 "$WORK/doc" | uniq -d)
check "no key is documented twice${dups:+ ($(oneline "$dups"))}" test -z "$dups"
wrong=$(join -t "$(printf '\t')" -a1 -e '?' -o 0,1.2,2.2 "$WORK/code" "$WORK/doc" |
    awk -F '\t' '$2 != $3 && $3 != "?" { printf "%s: code \"%s\" doc \"%s\"; ", $1, $2, $3 }')
check "every documented default is the built-in default${wrong:+ ($wrong)}" test -z "$wrong"
unexampled=""
while read -r k _; do
    grep -Eq "^#?[[:space:]]*${k}[[:space:]]*=" "$EXAMPLE" || unexampled="$unexampled $k"
done <"$WORK/code"
check "contrib/mtastsd.conf.example names every key${unexampled:+ (missing:$unexampled)}" \
    test -z "$unexampled"
# The check above must be able to fail: a key the code does not know.
check "the key comparison notices an undocumented key" \
    test -n "$(printf 'no_such_key\t1\n' | comm -23 - <(cut -f1 "$WORK/doc" | sort))"

# ---- 2. manual pages lint clean -------------------------------------------

for page in $PAGES; do
    if out=$(mandoc -Tlint -W warning "$page" 2>&1) && [ -z "$out" ]; then
        ok "mandoc -Tlint -W warning $(basename "$page")"
    else
        not_ok "mandoc -Tlint -W warning $(basename "$page")"
        printf '%s\n' "$out" | sed 's/^/# /'
    fi
done

# ---- 3. make install DESTDIR ----------------------------------------------

# A make of its own: not the jobserver of the "make check" that runs us.
run_make() {
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" "$@"
}
DEST=$WORK/dest
if run_make install DESTDIR="$DEST" >"$WORK/install.log" 2>&1; then
    ok "make install DESTDIR=..."
else
    not_ok "make install DESTDIR=..."
    sed 's/^/# /' "$WORK/install.log" | tail -20
fi

# One installed file per pattern (a path suffix below $DEST).
installed() {
    find "$DEST" -path "*/$1" \( -type f -o -type l \) | head -2
}
for f in sbin/mtastsd bin/mtastsd-ctl man8/mtastsd.8 man5/mtastsd.conf.5 man8/mtastsd-ctl.8 \
    systemd/system/mtastsd.service systemd/system/mtastsd.socket \
    sysusers.d/mtastsd.conf tmpfiles.d/mtastsd.conf \
    examples/mtastsd.conf.example examples/postfix/README \
    examples/postfix/main.cf-postfix-3.4-to-3.9 \
    examples/postfix/main.cf-postfix-3.10-and-later \
    examples/postfix/mtastsd-chroot.service.conf examples/postfix/mtastsd-chroot.tmpfiles \
    examples/prometheus/scrape.yml examples/prometheus/mtastsd-rules.yml \
    examples/grafana/mtastsd.json doc/mtastsd/metrics.md; do
    check "installed: $f" test "$(installed "$f" | wc -l)" -eq 1
done
SERVICE=$(installed systemd/system/mtastsd.service)
SOCKET=$(installed systemd/system/mtastsd.socket)
SBIN=$(installed sbin/mtastsd)
SYSUSERS=$(installed sysusers.d/mtastsd.conf)
TMPFILES=$(installed tmpfiles.d/mtastsd.conf)
MANDIR=$(dirname "$(dirname "$(installed man8/mtastsd.8)")")
if out=$("$SBIN" -V 2>&1); then
    ok "installed mtastsd -V runs ($out)"
else
    not_ok "installed mtastsd -V runs"
    printf '%s\n' "$out" | sed 's/^/# /' | head -20
fi
check "the installed unit runs the installed daemon (ExecStart=${SBIN#"$DEST"} -f)" \
    grep -qx "ExecStart=${SBIN#"$DEST"} -f" "$SERVICE"
check "no @variable@ is left in the installed unit" \
    test -z "$(grep -n '@[a-z_]*@' "$SERVICE")"

# ---- 4. systemd accepts it --------------------------------------------------

# verify needs the ExecStart= binary to exist: point it into DESTDIR.
mkdir -p "$WORK/units"
sed "s|^ExecStart=${SBIN#"$DEST"} |ExecStart=$SBIN |" "$SERVICE" >"$WORK/units/mtastsd.service"
cp "$SOCKET" "$WORK/units/mtastsd.socket"
out=$(MANPATH=$MANDIR SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=yes \
    "$WORK/units/mtastsd.service" "$WORK/units/mtastsd.socket" 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ -z "$out" ]; then
    ok "systemd-analyze verify mtastsd.service mtastsd.socket: clean"
else
    not_ok "systemd-analyze verify mtastsd.service mtastsd.socket: clean (rc $rc)"
    printf '%s\n' "$out" | sed 's/^/# /'
fi
# The verification must be able to fail: without the manual pages the
# Documentation= links are broken.
check "systemd-analyze verify notices missing manual pages" \
    bash -c "! MANPATH=/nonexistent systemd-analyze verify --man=yes \
        '$WORK/units/mtastsd.service' >/dev/null 2>&1"
# ... and an exposure above the limit.
check "systemd-analyze security notices a weaker unit" \
    bash -c "sed '/^ProtectSystem=/d; /^SystemCallFilter=/d; /^CapabilityBoundingSet=/d; /^User=/d' \
        '$WORK/units/mtastsd.service' >'$WORK/weak.service' &&
        ! systemd-analyze security --offline=true --threshold=$MAX_EXPOSURE \
        '$WORK/weak.service' >/dev/null 2>&1"

sec=$(systemd-analyze security --offline=true "$WORK/units/mtastsd.service" 2>&1 | tail -1)
echo "# $sec"
check "systemd-analyze security: exposure at most $MAX_EXPOSURE/100" \
    quiet systemd-analyze security --offline=true --threshold=$MAX_EXPOSURE \
    "$WORK/units/mtastsd.service"
# shellcheck disable=SC2016 # $MAINPID is for systemd, not for us
for setting in Type=notify NotifyAccess=main User=mtastsd StateDirectory=mtastsd \
    RuntimeDirectory=mtastsd ProtectSystem=strict NoNewPrivileges=yes CapabilityBoundingSet= \
    SystemCallFilter=@system-service 'ExecReload=/bin/kill -HUP $MAINPID'; do
    check "mtastsd.service has $setting" grep -qxF "$setting" "$SERVICE"
done
check "mtastsd.socket listens on the default socket" \
    grep -qx 'ListenStream=/run/mtastsd/mtastsd.sock' "$SOCKET"
check "mtastsd.socket listens where mtastsd would (listen default)" \
    grep -qx 'listen = unix:/run/mtastsd/mtastsd.sock' "$WORK/defaults"

ROOT=$WORK/root
mkdir -p "$ROOT/etc"
check "systemd-sysusers creates the mtastsd user" \
    quiet systemd-sysusers --root="$ROOT" "$SYSUSERS"
uid=$(awk -F: '$1 == "mtastsd" { print $3 }' "$ROOT/etc/passwd" 2>/dev/null)
check "the mtastsd user is a system user (uid $uid)" test -n "$uid" -a "${uid:-0}" -gt 0 -a "${uid:-1000}" -lt 1000
# Only root can give the directories to mtastsd; otherwise they stay ours.
tmpfiles=$TMPFILES
owner=$uid
if [ "$(id -u)" -ne 0 ]; then
    echo "# not root: the owners of the tmpfiles.d directories are not checked"
    awk '/^[^#]/ { $4 = "-"; $5 = "-" } { print }' "$TMPFILES" >"$WORK/tmpfiles.conf"
    tmpfiles=$WORK/tmpfiles.conf
    owner=$(id -u)
fi
check "systemd-tmpfiles creates the directories" \
    quiet systemd-tmpfiles --root="$ROOT" --create "$tmpfiles"
check "/run/mtastsd is mtastsd's, mode 755" \
    test "$(stat -c '%u %a' "$ROOT/run/mtastsd" 2>/dev/null)" = "$owner 755"
check "/var/lib/mtastsd (state_dir default) is mtastsd's, mode 750" \
    test "$(stat -c '%u %a' "$ROOT/var/lib/mtastsd" 2>/dev/null)" = "$owner 750"
check "the tmpfiles state directory is the state_dir default" \
    grep -qx 'state_dir = /var/lib/mtastsd' "$WORK/defaults"

# ---- 5. the daemon as systemd runs it --------------------------------------
#
# systemd-socket-activate passes a listening socket (LISTEN_FDS) as
# mtastsd.socket would; a datagram socket stands in for NOTIFY_SOCKET.
# Only IP literals and parent-domain probes are asked: no DNS traffic.

NOTIFY=$WORK/notify
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
while True:
    out.write(s.recv(4096).decode(errors="replace").replace("\n", "|") + "\n")
' "$NOTIFY" "$WORK/notify.log" &
notify_pid=$!
pids="$notify_pid"
cleanup() {
    local p
    for p in $pids; do kill "$p" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT
wait_for() { # wait_for FILE PATTERN: up to 10 s
    local _
    for _ in $(seq 100); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
wait_for_socket() {
    local _
    for _ in $(seq 100); do
        [ -S "$1" ] && return 0
        sleep 0.1
    done
    return 1
}
wait_for_socket "$NOTIFY" || hard_error "the notify listener did not start"

SMAP=$WORK/smap.sock
systemd-socket-activate -l "$SMAP" -E NOTIFY_SOCKET="$NOTIFY" \
    "$MTASTSD" -f -c /dev/null -o "listen=unix:$WORK/not-used.sock" \
    -o "control_socket=$WORK/control.sock" -o "state_dir=$WORK/state" \
    -o "dns_servers=127.0.0.1:9" 2>"$WORK/daemon.log" &
daemon_pid=$!
pids="$pids $daemon_pid"
wait_for_socket "$SMAP" || hard_error "systemd-socket-activate did not listen"
# The first connection makes systemd-socket-activate exec mtastsd, which
# keeps its pid (LISTEN_PID) and serves the waiting client.
replies=$(python3 "$top_srcdir/tests/integration/smap_client.py" --socket "$SMAP" --timeout 10 \
    'req:mtasts 192.0.2.1' read 'req:mtasts .example.com' read 'req:nosuchmap example.com' read)
check "socket-activated mtastsd answers on the passed socket" \
    test "$(printf '%s\n' "$replies" | head -2 | tr '\n' '|')" = "REPLY NOTFOUND |REPLY NOTFOUND |"
check "an unknown map name gets PERM" \
    test "$(printf '%s\n' "$replies" | sed -n 3p | cut -c1-11)" = "REPLY PERM "
check "with socket activation the listen key is not used" test ! -e "$WORK/not-used.sock"
# The real Postfix client, with the socket path relative to the working
# directory, as contrib/postfix/README shows for a chrooted smtp(8).
mkdir -p "$WORK/postfix" && : >"$WORK/postfix/main.cf"
out=$(cd "$WORK" && postmap -c "$WORK/postfix" -q 192.0.2.1 socketmap:unix:smap.sock:mtasts 2>&1)
rc=$?
check "postmap -q via a relative socketmap path: not found, no error (rc $rc)" \
    test "$rc" -eq 1 -a -z "$out"
out=$(cd "$WORK" && postmap -c "$WORK/postfix" -q example.com socketmap:unix:smap.sock:postfix 2>&1)
check "postmap with the old resolver's map name \"postfix\" fails loudly" \
    grep -q 'unknown map name' <<<"$out"
check "sd_notify READY=1 once serving" wait_for "$WORK/notify.log" '^READY=1'
if out=$("$top_builddir/mtastsd-ctl" -s "$WORK/control.sock" status 2>&1); then
    ok "mtastsd-ctl status talks to the control socket"
else
    not_ok "mtastsd-ctl status talks to the control socket"
    printf '%s\n' "$out" | sed 's/^/# /'
fi
kill -HUP "$daemon_pid"
check "SIGHUP: RELOADING=1, then READY=1 again" wait_for "$WORK/notify.log" '^READY=1|STATUS=configuration reloaded'
check "the reload is in the order RELOADING=1, READY=1" \
    test "$(grep -n -m1 '^RELOADING=1' "$WORK/notify.log" | cut -d: -f1)" = 2
check "mtastsd still serves after the reload" test "$(python3 "$top_srcdir/tests/integration/smap_client.py" \
    --socket "$SMAP" --timeout 10 'req:mtasts [192.0.2.1]:25' read)" = "REPLY NOTFOUND "
kill -TERM "$daemon_pid"
for _ in $(seq 100); do
    kill -0 "$daemon_pid" 2>/dev/null || break
    sleep 0.1
done
kill -KILL "$daemon_pid" 2>/dev/null && echo "# mtastsd did not stop within 10 s of SIGTERM"
wait "$daemon_pid"
rc=$?
pids=$notify_pid
check "SIGTERM: STOPPING=1" wait_for "$WORK/notify.log" '^STOPPING=1'
check "SIGTERM: exit status 0 (rc $rc)" test "$rc" -eq 0
if [ $fails -gt 0 ]; then
    sed 's/^/# daemon: /' "$WORK/daemon.log" | tail -20
    sed 's/^/# notify: /' "$WORK/notify.log"
fi

# ---- uninstall ------------------------------------------------------------

if run_make uninstall DESTDIR="$DEST" >"$WORK/uninstall.log" 2>&1; then
    ok "make uninstall DESTDIR=..."
else
    not_ok "make uninstall DESTDIR=..."
    sed 's/^/# /' "$WORK/uninstall.log" | tail -20
fi
left=$(find "$DEST" -type f | sed "s|^$DEST||")
check "make uninstall removes every installed file${left:+ (left: $(oneline "$left"))}" test -z "$left"

echo "test_ops: $n checks, $fails failed"
[ $fails -eq 0 ]

#!/bin/bash
# tests/package/daemon.sh ROOT MODE - the daemon installed in ROOT (a
# Debian root with the mtastsd package and Postfix), started the way its
# installed unit starts it, asked by the Postfix installed there.  Run by
# test_package.sh in a network namespace of its own:
#     MTASTS_TEST_NETNS=1 unshare -n -- bash daemon.sh ROOT MODE
# (as real root: the daemon runs as the package's user, whom a user
# namespace could not map).  tests/integration/lib.sh provides the test
# world (dnsmasq, nginx, test CA) and the checks.
#
# MODE serve:  the world serves good.test (policy mode enforce, mx
#              mx.good.test) and nopolicy.test (no _mta-sts record).  The
#              main.cf line README.Debian gives is set with postconf, and
#              postmap -q with it gets the enforce verdict for good.test,
#              so does the packaged unix socket; nopolicy.test gets
#              NOTFOUND.  The daemon's cache keeps good.test.
# MODE cached: no DNS and no HTTPS server at all.  good.test still gets the
#              enforce verdict, which can only come from the cache an
#              earlier daemon left (the upgrade test); a domain never
#              cached gets NOTFOUND, which shows that DNS is really gone.
#
# The daemon: ExecStart=, User=, Group=, UMask= and RuntimeDirectory= (with
# its mode) are read from ROOT's installed mtastsd.service and applied as
# systemd would; the only additions are the test world's resolver and CA
# (-o dns_servers=127.0.0.1 -o ca_file=...).  Stopped by pid with SIGTERM,
# it must exit 0.
[ "${MTASTS_TEST_NETNS:-}" = 1 ] || {
    echo "ERROR: daemon.sh: run it through test_package.sh" >&2
    exit 99
}
ROOT=${1:?ROOT}
MODE=${2:?MODE}
# shellcheck source=../integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
lib_need chroot setpriv zcat

# (lib.sh points MAIL_CONFIG at its own Postfix directory: not in the root)
in_root() { env -u MAIL_CONFIG chroot "$ROOT" "$@" </dev/null; }
UNIT=$ROOT/lib/systemd/system/mtastsd.service
unit_key() { sed -n "s/^$1=//p" "$UNIT" | tail -1; }

WANT='secure match=mx.good.test servername=hostname'
DOC_LINE=$(zcat "$ROOT/usr/share/doc/mtastsd/README.Debian.gz" |
    sed -n 's/^ *\(smtp_tls_policy_maps = socketmap:.*\)$/\1/p' | head -1)
[ -n "$DOC_LINE" ] || die "README.Debian gives no smtp_tls_policy_maps line"
MAP=${DOC_LINE#smtp_tls_policy_maps = }

# pm KEY MAP: postmap -q in the root; prints "rc=N VALUE", and postmap's
# complaints, if any (a NOTFOUND has none: a failed query also exits 1)
pm() {
    local out rc
    out=$(in_root postmap -q "$1" "$2" 2>"$WORK/pm.err")
    rc=$?
    echo "rc=$rc $out$([ -s "$WORK/pm.err" ] && echo " stderr: $(head -c 300 "$WORK/pm.err")")"
}
# uid_of FILE: "uid:gid mode"; MTASTSD_IDS: "uid:gid" of the root's mtastsd user
uid_of() { stat -c '%u:%g %a' "$1" 2>&1; }
MTASTSD_IDS=$(in_root id -u mtastsd):$(in_root id -g mtastsd)

# Start the installed daemon as its unit would.
package_daemon_start() {
    local exec user group umask rtdir rtmode
    exec=$(unit_key ExecStart)
    user=$(unit_key User)
    group=$(unit_key Group)
    umask=$(unit_key UMask)
    rtdir=$(unit_key RuntimeDirectory)
    rtmode=$(unit_key RuntimeDirectoryMode)
    [ -n "$exec" ] && [ -n "$user" ] && [ -n "$rtdir" ] || die "cannot read $UNIT"
    note "as the unit: User=$user Group=${group:-$user} UMask=${umask:-0022}" \
        "RuntimeDirectory=$rtdir (${rtmode:-0755}) ExecStart=$exec $*"
    # /run is a tmpfs that systemd fills at boot: make what the unit makes.
    in_root install -d -o "$user" -g "${group:-$user}" -m "${rtmode:-0755}" "/run/$rtdir" ||
        die "cannot create /run/$rtdir"
    # shellcheck disable=SC2086 # ExecStart= is a word list
    chroot "$ROOT" setpriv --reuid="$user" --regid="${group:-$user}" --init-groups -- \
        /bin/sh -c 'umask "$1"; shift; exec "$@"' sh "${umask:-0022}" $exec "$@" \
        </dev/null >>"$WORK/mtastsd.log" 2>&1 &
    MTASTSD_PID=$!
    # Ready when it says so, after binding every listener; whether the TCP
    # listener is among them is one of the checks.
    wait_for 10 package_daemon_ready || {
        tail -n 20 "$WORK/mtastsd.log" >&2
        die "the installed mtastsd is not ready within 10 s"
    }
}
package_daemon_ready() {
    mtastsd_alive || return 2
    grep -q 'ready: listening on' "$WORK/mtastsd.log"
}

case $MODE in
serve)
    world_domain good.test --txt 'v=STSv1; id=20260101'
    world_domain nopolicy.test
    world_start
    install -m 0644 "$CA_FILE" "$ROOT/tmp/mtastsd-test-ca.pem"
    package_daemon_start -o dns_servers=127.0.0.1 -o ca_file=/tmp/mtastsd-test-ca.pem \
        -o log_level=debug
    expect_eq "Debian's Postfix runs smtp(8) chrooted (master.cf)" \
        "$(in_root postconf -F smtp/unix/chroot)" "smtp/unix/chroot = y"
    expect_true "postconf -e '$DOC_LINE' (README.Debian)" in_root postconf -e "$DOC_LINE"
    expect_eq "main.cf has it" "$(in_root postconf -h smtp_tls_policy_maps)" "$MAP"
    expect_eq "postmap -q good.test $MAP: the enforce verdict" "$(pm good.test "$MAP")" "rc=0 $WANT"
    expect_eq "postmap -q good.test at the packaged unix socket" \
        "$(pm good.test socketmap:unix:/run/mtastsd/mtastsd.sock:mtasts)" "rc=0 $WANT"
    expect_eq "postmap -q nopolicy.test: NOTFOUND" "$(pm nopolicy.test "$MAP")" "rc=1 "
    expect_eq "the daemon runs as the mtastsd user" \
        "$(awk '/^Uid:/ { print $2 }' "/proc/$MTASTSD_PID/status")" "$(in_root id -u mtastsd)"
    expect_eq "control socket: owner mtastsd, mode 600" \
        "$(uid_of "$ROOT/run/mtastsd/control.sock")" "$MTASTSD_IDS 600"
    expect_true "mtastsd-ctl status (as root)" in_root mtastsd-ctl status
    expect_log 'fetch good\.test: ok'
    mtastsd_stop
    expect_eq "the cache file belongs to mtastsd" \
        "$(stat -c %u:%g "$ROOT/var/lib/mtastsd/cache.mdb" 2>&1)" "$MTASTSD_IDS"
    ;;
cached)
    note "no DNS server, no HTTPS server"
    package_daemon_start -o dns_servers=127.0.0.1 -o log_level=debug
    expect_eq "postmap -q good.test $MAP: the enforce verdict, from the cache" \
        "$(pm good.test "$MAP")" "rc=0 $WANT"
    expect_eq "postmap -q never-cached.test: NOTFOUND (DNS is gone)" \
        "$(pm never-cached.test "$MAP")" "rc=1 "
    expect_true "mtastsd-ctl show good.test: the cached policy" \
        bash -c "chroot '$ROOT' mtastsd-ctl show good.test </dev/null | grep -q 'mx\\.good\\.test'"
    expect_no_log 'fetch good\.test: ok'
    mtastsd_stop
    ;;
*) die "unknown mode '$MODE'" ;;
esac
finish

#!/bin/bash
# tests/package/test_package.sh - the Debian package, proven on a clean
# Debian 12 root.  The release check of the packaging (./quickstart test
# runs it after "make distcheck"):
#
#     sudo tests/package/test_package.sh
#
#  1. BUILD.  dpkg-buildpackage -us -uc builds source and binary package
#     from a copy of this tree (the files git knows, uncommitted changes
#     included).  lintian (default level: errors and warnings) must be
#     silent on the .changes, which covers the .dsc, the .deb and the
#     .buildinfo; every lintian override needs a one-line reason above it.
#     hardening-check finds PIE, stack protector, fortify, RELRO and
#     BIND_NOW in both programs (dpkg-buildflags honoured).
#  2. INSTALL.  A fresh root from "debootstrap --variant=minbase bookworm"
#     (made once, kept as a tarball in $MTASTSD_PKG_CACHE), with
#     /proc mounted, a policy-rc.d that records every start or stop the
#     maintainer scripts ask for and refuses it (no systemd in a chroot),
#     and /run/systemd/system present, so that those scripts take their
#     "systemd is running" paths.  "apt-get install ./mtastsd_*.deb" there
#     must pull in its dependencies and the recommended postfix, put every
#     file in place, make the "mtastsd" system user and the cache
#     directory, enable mtastsd.service and ask to start it, and leave
#     mtastsd.socket disabled.  The host's systemd-tmpfiles applies the
#     installed tmpfiles.d entry to the root (as at boot; the root has no
#     systemd).  "mtastsd -n" runs as that user.
#  3. SERVE.  tests/package/daemon.sh, in a private network namespace,
#     brings up the test world of tests/integration/lib.sh (dnsmasq, nginx,
#     test CA) and starts the installed daemon the way its installed unit
#     does (ExecStart=, User=, RuntimeDirectory=, UMask=), from the
#     installed files and /etc/mtastsd.conf.  The Postfix installed in the
#     root, given the main.cf line that README.Debian prints, gets the
#     enforce verdict for a policy domain with "postmap -q".
#  4. REMOVE, PURGE.  "apt-get remove" stops the service and keeps the
#     cache and the conffile; "apt-get purge" deletes both and the unit's
#     enablement.
#  5. UPGRADE.  In a second fresh root: the package of an earlier commit
#     ($MTASTSD_PKG_BASE; with this tree's debian/ overlaid and a lower
#     version when that commit has no debian/ of its own) is installed and
#     its daemon warms the cache; "apt-get install" of the new package
#     restarts the service and keeps the cache; the new daemon, with no DNS
#     and no HTTPS server left, still answers the enforce verdict, which
#     it can only have read from the old daemon's cache.
#
# Environment:
#   MTASTSD_PKG_CACHE   cache directory (default /var/cache/mtastsd-pkgtest):
#                       the debootstrap tarball and the .debs apt fetched.
#                       Delete it to start over.
#   MTASTSD_PKG_MIRROR  Debian mirror (default http://deb.debian.org/debian;
#                       security updates from the -security archive beside it)
#   MTASTSD_PKG_BASE    the earlier commit for the upgrade test (default:
#                       the last commit before the packaging; move it to the
#                       previous release tag at each release)
#   MTASTSD_PKG_KEEP=1  keep the work directory (the built packages and the
#                       roots, /proc unmounted)
#
# Needs real root (debootstrap, chroot, setpriv to the package's user,
# mount), a git checkout (the upgrade test builds an earlier commit), the
# Debian mirror, and: dpkg-dev, debhelper, lintian, debootstrap,
# devscripts (hardening-check), and the integration-test tools.  Runs in
# a private mount namespace, so that a killed run leaves no mount behind;
# everything it mounts is unmounted on exit anyway.  Missing tools fail the
# test (exit 99); nothing is skipped.  On the 2-core development machine
# "time tests/package/test_package.sh" took 70 s with a warm cache and
# 125 s with an empty one (debootstrap 33 s, downloads 24 MB).
set -u
export LC_ALL=C DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
CACHE=${MTASTSD_PKG_CACHE:-/var/cache/mtastsd-pkgtest}
MIRROR=${MTASTSD_PKG_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${MIRROR%/debian}/debian-security
SUITE=bookworm
ARCH=$(dpkg --print-architecture)
TARBALL=$CACHE/$SUITE-minbase-$ARCH.tar.gz
# 15f87d0 "Man pages: refusal logging limits, ...": main before debian/.
BASE=${MTASTSD_PKG_BASE:-15f87d0086a70ff1a8c59b1b67870443e484a1a3}

die() {
    echo "ERROR: test_package: $*" >&2
    exit 99
}

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot, mount)"
PATH="$PATH:/usr/sbin:/sbin"
for tool in dpkg-buildpackage:dpkg-dev dh:debhelper lintian:lintian debootstrap:debootstrap \
    hardening-check:devscripts git:git unshare:util-linux setpriv:util-linux \
    mount:mount flock:util-linux chroot:coreutils systemd-tmpfiles:systemd \
    dnsmasq:dnsmasq-base nginx:nginx-light openssl:openssl curl:curl python3:python3 \
    ip:iproute2 postmap:postfix; do
    command -v "${tool%%:*}" >/dev/null ||
        die "${tool%%:*} not found: install the Debian package ${tool#*:}"
done

# A private mount namespace: every mount below dies with it.
# shellcheck disable=SC2093 # the die runs only if exec fails
if [ "${MTASTSD_PKG_MNTNS:-}" != 1 ]; then
    MTASTSD_PKG_MNTNS=1 exec unshare -m --propagation private -- "${BASH:-bash}" "$0" "$@"
    die "cannot enter a mount namespace (unshare -m)"
fi

mkdir -p "$CACHE/archives/partial" || die "cannot create $CACHE"
WORK=$(mktemp -d /var/tmp/mtastsd-pkgtest.XXXXXX) || die "mktemp failed"
T0=$SECONDS

# ---------------------------------------------------------------- results
n=0
fails=0
ok() {
    n=$((n + 1))
    echo "ok $n - $1"
}
not_ok() {
    n=$((n + 1))
    fails=$((fails + 1))
    echo "not ok $n - $1"
    [ -n "${2:-}" ] && printf '#   %s\n' "$2"
    return 0
}
check() { # DESCRIPTION COMMAND...
    local what=$1
    shift
    if "$@" >"$WORK/check.out" 2>&1; then
        ok "$what"
    else
        not_ok "$what" "$(head -c 600 "$WORK/check.out" | tr '\n' ' ')"
    fi
}
check_eq() { # DESCRIPTION GOT WANT
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got '$2', want '$3'"; fi
}
note() { echo "# $*"; }
step() { echo "# ---- $* ($((SECONDS - T0)) s)"; }

# ---------------------------------------------------------------- cleanup
# Unmount everything below $WORK, deepest first; never delete a tree that
# still has a mount in it.
unmount_all() {
    local m left
    for m in $(awk -v w="$WORK/" 'index($2, w) == 1 { print $2 }' /proc/self/mounts | sort -r); do
        umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
    done
    left=$(awk -v w="$WORK/" 'index($2, w) == 1 { print $2 }' /proc/self/mounts)
    [ -z "$left" ] || { echo "test_package: still mounted: $left" >&2; return 1; }
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if ! unmount_all; then
        echo "test_package: $WORK kept (mounts left)" >&2
    elif [ "${MTASTSD_PKG_KEEP:-0}" = 1 ]; then
        echo "# work directory kept: $WORK" >&2
    else
        rm -rf --one-file-system "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- build
# copy_tree DEST: the files of this checkout that git knows or would add.
copy_tree() {
    mkdir -p "$1"
    git -C "$TOP" ls-files -z --cached --others --exclude-standard |
        (cd "$TOP" && tar --null --ignore-failed-read -T - -cf -) | tar -xf - -C "$1"
}

# build_pkg DIR LOG [VAR=VALUE...]: dpkg-buildpackage -us -uc in DIR
build_pkg() {
    local dir=$1 log=$2
    shift 2
    (cd "$dir" && env "$@" dpkg-buildpackage -us -uc) >"$log" 2>&1
}

step "1. build"
NEW_SRC=$WORK/new/mtastsd
copy_tree "$NEW_SRC" || die "cannot copy the tree (is $TOP a git checkout?)"
NEW_VERSION=$(cd "$NEW_SRC" && dpkg-parsechangelog -S Version) || die "no debian/changelog"
t=$SECONDS
if build_pkg "$NEW_SRC" "$WORK/build-new.log"; then
    ok "dpkg-buildpackage -us -uc builds mtastsd $NEW_VERSION ($((SECONDS - t)) s)"
else
    not_ok "dpkg-buildpackage -us -uc builds mtastsd $NEW_VERSION"
    tail -40 "$WORK/build-new.log" | sed 's/^/#   /'
    exit 1
fi
OUT=$WORK/new
DEB=$OUT/mtastsd_${NEW_VERSION}_$ARCH.deb
CHANGES=$OUT/mtastsd_${NEW_VERSION}_$ARCH.changes
for f in "$OUT/mtastsd_$NEW_VERSION.dsc" "$OUT/mtastsd_$NEW_VERSION.tar.xz" "$CHANGES" "$DEB"; do
    check "built: $(basename "$f")" test -s "$f"
done
check "the .changes is a full upload (source and binary)" \
    grep -qx 'Architecture: source [a-z0-9 ]*' "$CHANGES"
check "the build ran the offline tests (make check-offline)" \
    grep -q '^# FAIL: *0$' "$WORK/build-new.log"

lintian -I --show-overrides --fail-on error,warning "$CHANGES" >"$WORK/lintian.out" 2>&1
lintian_rc=$?
note "lintian -I --show-overrides (information and overrides too):"
grep -v '^running with root privileges is not recommended!$' "$WORK/lintian.out" |
    sed 's/^/#   /'
check_eq "lintian: no error or warning on the .changes, .dsc and .deb" "$lintian_rc" 0
bad_overrides=""
for f in "$NEW_SRC"/debian/*lintian-overrides "$NEW_SRC"/debian/source/lintian-overrides; do
    [ -f "$f" ] || continue
    # every override line must follow a comment line (its reason)
    bad=$(awk '/^[^#[:space:]]/ && prev !~ /^#/ { print FILENAME ":" NR } { prev = $0 }' "$f")
    bad_overrides="$bad_overrides$bad"
done
check_eq "every lintian override has a reason" "$bad_overrides" ""

mkdir -p "$WORK/x"
dpkg-deb -x "$DEB" "$WORK/x"
# Debian 12's dpkg-buildflags has no control-flow protection (dpkg 1.22
# added it), so hardening-check is not asked for it.
for b in usr/sbin/mtastsd usr/bin/mtastsd-ctl; do
    check "hardening-check $b: PIE, stack protector, fortify, RELRO, BIND_NOW" \
        hardening-check --nocfprotection "$WORK/x/$b"
done
check_eq "no unit under usr/lib/systemd (Debian 12's dh_installsystemd would not enable it)" \
    "$(cd "$WORK/x" && find usr/lib -path '*systemd/system*' | head -3)" ""
dpkg-deb -e "$DEB" "$WORK/ctrl"
check "postinst enables mtastsd.service" \
    grep -q "deb-systemd-helper enable 'mtastsd.service'" "$WORK/ctrl/postinst"
check "postinst restarts mtastsd.service on upgrade" \
    grep -q '_dh_action=restart' "$WORK/ctrl/postinst"
for u in mtastsd.service mtastsd.socket; do
    check "prerm stops $u on remove" grep -q "deb-systemd-invoke stop '$u'" "$WORK/ctrl/prerm"
done
check "postinst does not enable mtastsd.socket" \
    bash -c "! grep -q \"deb-systemd-helper enable 'mtastsd.socket'\" '$WORK/ctrl/postinst' ||
        grep -q \"if deb-systemd-helper debian-installed 'mtastsd.socket'\" '$WORK/ctrl/postinst'"
installed_size=$(dpkg-deb -f "$DEB" Installed-Size)
note "installed size: $installed_size KiB; .deb $(stat -c %s "$DEB") bytes"

# ---------------------------------------------------------------- the earlier package
OLD_SRC=$WORK/old/mtastsd
mkdir -p "$OLD_SRC"
git -C "$TOP" rev-parse -q --verify "$BASE^{commit}" >/dev/null ||
    die "commit $BASE not found (MTASTSD_PKG_BASE; a full clone is needed)"
git -C "$TOP" archive --format=tar "$BASE" | tar -xf - -C "$OLD_SRC" || die "git archive $BASE failed"
BASE_SHORT=$(git -C "$TOP" rev-parse --short=7 "$BASE")
if [ ! -d "$OLD_SRC/debian" ]; then
    # No packaging of its own: ours, with a version below the new one.
    cp -a "$NEW_SRC/debian" "$OLD_SRC/"
    old_upstream=$(sed -n 's/^AC_INIT(\[mtastsd\], \[\([^]]*\)\].*/\1/p' "$OLD_SRC/configure.ac")
    OLD_VERSION="${old_upstream:-0}~git.$BASE_SHORT"
    cat >"$OLD_SRC/debian/changelog" <<EOF
mtastsd ($OLD_VERSION) $SUITE; urgency=medium

  * tests/package: commit $BASE_SHORT with the packaging of $NEW_VERSION
    overlaid, the earlier package of the upgrade test.

 -- mtastsd tests <tests@invalid.invalid>  $(date -R)
EOF
    if ! grep -q 'with-systemdsystemunitdir' "$OLD_SRC/configure.ac"; then
        # That configure does not know --with-systemdsystemunitdir: give
        # the same directories to "make install", as systemd/local.mk
        # said then.
        cat >>"$OLD_SRC/debian/rules" <<'EOF'

override_dh_auto_install:
	dh_auto_install -- systemdsystemunitdir=/lib/systemd/system \
		sysusersdir=/usr/lib/sysusers.d tmpfilesdir=/usr/lib/tmpfiles.d
EOF
    fi
else
    OLD_VERSION=$(cd "$OLD_SRC" && dpkg-parsechangelog -S Version)
fi
dpkg --compare-versions "$OLD_VERSION" lt "$NEW_VERSION" ||
    die "the earlier package ($OLD_VERSION) is not older than $NEW_VERSION"
t=$SECONDS
# Its own tests ran when it was made; its tree may predate check-offline.
if build_pkg "$OLD_SRC" "$WORK/build-old.log" DEB_BUILD_OPTIONS=nocheck; then
    ok "the earlier package builds: mtastsd $OLD_VERSION from $BASE_SHORT ($((SECONDS - t)) s)"
else
    not_ok "the earlier package builds: mtastsd $OLD_VERSION from $BASE_SHORT"
    tail -40 "$WORK/build-old.log" | sed 's/^/#   /'
    exit 1
fi
OLD_DEB=$WORK/old/mtastsd_${OLD_VERSION}_$ARCH.deb
check "the earlier package has its unit where dh_installsystemd enables it" \
    bash -c "dpkg-deb -c '$OLD_DEB' | grep -q ' ./lib/systemd/system/mtastsd.service$'"

# ---------------------------------------------------------------- roots
# The minbase root, bootstrapped once and kept as a tarball.
ensure_tarball() {
    [ -s "$TARBALL" ] && return 0
    local tmp=$WORK/bootstrap t=$SECONDS
    note "debootstrap --variant=minbase $SUITE (once; cached in $TARBALL)"
    debootstrap --variant=minbase "$SUITE" "$tmp" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
        tail -20 "$WORK/debootstrap.log" | sed 's/^/#   /'
        return 1
    }
    unmount_all || return 1
    tar --numeric-owner -C "$tmp" -czf "$TARBALL.tmp.$$" . &&
        mv "$TARBALL.tmp.$$" "$TARBALL" || return 1
    rm -rf --one-file-system "$tmp"
    note "debootstrap and tarball: $((SECONDS - t)) s"
}

# in_root ROOT COMMAND...: run in the root, stdin closed
in_root() {
    local root=$1
    shift
    chroot "$root" "$@" </dev/null
}

# new_root NAME: a fresh root from the tarball, ready for apt -> ROOT
new_root() {
    ROOT=$WORK/$1
    mkdir -p "$ROOT"
    tar --numeric-owner -C "$ROOT" -xzf "$TARBALL" || return 1
    mount -t proc proc "$ROOT/proc" || mount --bind /proc "$ROOT/proc" || return 1
    # apt's downloads outlive the root (a cache, not part of the system)
    mount --bind "$CACHE/archives" "$ROOT/var/cache/apt/archives" || return 1
    cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
    cat >"$ROOT/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $SECURITY_MIRROR $SUITE-security main
EOF
    # Record what maintainer scripts ask of init, and refuse it.
    cat >"$ROOT/usr/sbin/policy-rc.d" <<'EOF'
#!/bin/sh
echo "$*" >>/var/log/policy-rc.d.log
exit 101
EOF
    chmod 755 "$ROOT/usr/sbin/policy-rc.d"
    : >"$ROOT/var/log/policy-rc.d.log"
    mkdir -p "$ROOT/run/systemd/system"
    printf '%s\n' "postfix postfix/main_mailer_type select Internet Site" \
        "postfix postfix/mailname string pkgtest.invalid" |
        chroot "$ROOT" debconf-set-selections || return 1
    apt_root "$ROOT" "$WORK/$1-apt-update.log" update || return 1
}
# apt_root ROOT LOG ARGS...: apt-get -y ARGS in the root.  One at a time
# across concurrent runs: they share the download cache and its lock.
apt_root() {
    local root=$1 log=$2
    shift 2
    flock "$CACHE/.apt.lock" chroot "$root" apt-get -y -q "$@" </dev/null >"$log" 2>&1 || {
        tail -30 "$log" | sed 's/^/#   /'
        return 1
    }
}

# daemon ROOT MODE: tests/package/daemon.sh in a network namespace
daemon() {
    local out rc
    out=$(MTASTS_TEST_NETNS=1 unshare -n -- "${BASH:-bash}" "$HERE/daemon.sh" "$@" 2>&1)
    rc=$?
    printf '%s\n' "$out" | sed 's/^/    /'
    return $rc
}

policy_log() { cat "$ROOT/var/log/policy-rc.d.log"; }
pkg_status() { in_root "$ROOT" dpkg-query -W -f='${Status}' "$1" 2>/dev/null; }
# owner_mode FILE: "uid:gid mode"; ids_of USER: "uid:gid" of USER in the root
owner_mode() { stat -c '%u:%g %a' "$1" 2>&1; }
ids_of() { echo "$(in_root "$ROOT" id -u "$1"):$(in_root "$ROOT" id -g "$1")"; }
WANTS=etc/systemd/system/multi-user.target.wants/mtastsd.service
SOCKET_WANTS=etc/systemd/system/sockets.target.wants/mtastsd.socket

step "2. install into a fresh $SUITE minbase root"
(
    flock 9
    ensure_tarball
) 9>"$CACHE/.lock" || die "cannot make the $SUITE root tarball"
new_root fresh || die "cannot prepare a root from $TARBALL"
mkdir -p "$ROOT/tmp/pkgs"
cp "$DEB" "$OLD_DEB" "$ROOT/tmp/pkgs/"
t=$SECONDS
if apt_root "$ROOT" "$WORK/fresh-install.log" install "/tmp/pkgs/$(basename "$DEB")"; then
    ok "apt-get install ./$(basename "$DEB") in a pristine root ($((SECONDS - t)) s)"
else
    not_ok "apt-get install ./$(basename "$DEB") in a pristine root"
    exit 1
fi
check_eq "mtastsd is installed" "$(pkg_status mtastsd)" "install ok installed"
check_eq "the recommended postfix came with it" "$(pkg_status postfix)" "install ok installed"
# The package's own paths: in a merged-/usr root, /lib/systemd/system/X
# exists whether the package put X under /lib or /usr/lib.
in_root "$ROOT" dpkg -L mtastsd >"$WORK/fresh-files"
for f in usr/sbin/mtastsd usr/bin/mtastsd-ctl usr/share/man/man8/mtastsd.8.gz \
    usr/share/man/man5/mtastsd.conf.5.gz usr/share/man/man8/mtastsd-ctl.8.gz \
    lib/systemd/system/mtastsd.service lib/systemd/system/mtastsd.socket \
    usr/lib/tmpfiles.d/mtastsd.conf etc/mtastsd.conf \
    usr/share/doc/mtastsd/README.Debian.gz usr/share/doc/mtastsd/copyright \
    usr/share/doc/mtastsd/changelog.gz usr/share/doc/mtastsd/examples/mtastsd.conf.example \
    usr/share/doc/mtastsd/examples/postfix/README \
    usr/share/doc/mtastsd/examples/postfix/mtastsd-chroot.tmpfiles \
    usr/share/doc/mtastsd/examples/prometheus/scrape.yml \
    usr/share/doc/mtastsd/examples/prometheus/mtastsd-rules.yml \
    usr/share/doc/mtastsd/examples/grafana/mtastsd.json \
    usr/share/doc/mtastsd/metrics.md.gz; do
    check "in place: /$f" test -s "$ROOT/$f" -a -n "$(grep -x "/$f" "$WORK/fresh-files")"
done
check_eq "/etc/mtastsd.conf is the package's only conffile" \
    "$(in_root "$ROOT" dpkg-query -W -f='${Conffiles}' mtastsd | awk 'NF { print $1 }')" \
    "/etc/mtastsd.conf"
check_eq "the installed unit runs the installed daemon" \
    "$(sed -n 's/^ExecStart=//p' "$ROOT/lib/systemd/system/mtastsd.service")" "/usr/sbin/mtastsd -f"
pw=$(in_root "$ROOT" getent passwd mtastsd)
uid=$(echo "$pw" | cut -d: -f3)
check "the system user exists: $pw" test -n "$uid" -a "${uid:-0}" -gt 0 -a "${uid:-1000}" -lt 1000
check_eq "its home is the cache directory, its shell nologin" \
    "$(echo "$pw" | cut -d: -f6-7)" "/var/lib/mtastsd:/usr/sbin/nologin"
check_eq "its group mtastsd exists" "$(in_root "$ROOT" id -gn mtastsd 2>&1)" "mtastsd"
check_eq "the cache directory /var/lib/mtastsd: owner mtastsd, mode 750" \
    "$(owner_mode "$ROOT/var/lib/mtastsd")" "$(ids_of mtastsd) 750"
check_eq "mtastsd.service is enabled" "$(readlink "$ROOT/$WANTS")" \
    "/lib/systemd/system/mtastsd.service"
# The root has no systemd-tmpfiles (postinst runs it where there is one):
# the host's applies the installed entry to the root, as at boot.
check "systemd-tmpfiles --create mtastsd.conf (the installed entry)" \
    systemd-tmpfiles --root="$ROOT" --create mtastsd.conf
check_eq "... makes /run/mtastsd: owner mtastsd, mode 755" \
    "$(owner_mode "$ROOT/run/mtastsd")" "$(ids_of mtastsd) 755"
check "mtastsd.socket is not enabled (socket activation is opt-in)" \
    test ! -e "$ROOT/$SOCKET_WANTS" -a ! -L "$ROOT/$SOCKET_WANTS"
check "postinst asked to start mtastsd.service (policy-rc.d refused)" \
    grep -qx 'mtastsd.service start' "$ROOT/var/log/policy-rc.d.log"
note "policy-rc.d was asked: $(policy_log | tr '\n' ';')"
conf=$(in_root "$ROOT" setpriv --reuid=mtastsd --regid=mtastsd --init-groups \
    /usr/sbin/mtastsd -n 2>&1)
rc=$?
check_eq "mtastsd -n runs as the mtastsd user" "$rc" 0
check "mtastsd -n: the packaged listeners (unix socket and loopback TCP)" \
    grep -qx 'listen = unix:/run/mtastsd/mtastsd.sock inet:127.0.0.1:10443' <<<"$conf"

step "3. the installed daemon, the installed Postfix"
if daemon "$ROOT" serve; then
    ok "daemon.sh serve: the installed daemon answers the installed Postfix"
else
    not_ok "daemon.sh serve: the installed daemon answers the installed Postfix"
fi
check "the daemon left its cache in /var/lib/mtastsd" test -s "$ROOT/var/lib/mtastsd/cache.mdb"

step "4. remove and purge"
: >"$ROOT/var/log/policy-rc.d.log"
if apt_root "$ROOT" "$WORK/fresh-remove.log" remove mtastsd; then
    ok "apt-get remove mtastsd"
else
    not_ok "apt-get remove mtastsd"
fi
check_eq "removed, its configuration left" "$(pkg_status mtastsd)" "deinstall ok config-files"
check "prerm asked to stop mtastsd.service" \
    grep -qx 'mtastsd.service stop' "$ROOT/var/log/policy-rc.d.log"
check "the programs are gone" test ! -e "$ROOT/usr/sbin/mtastsd" -a ! -e "$ROOT/usr/bin/mtastsd-ctl"
check "remove keeps the cache (/var/lib/mtastsd/cache.mdb)" test -s "$ROOT/var/lib/mtastsd/cache.mdb"
check "remove keeps /etc/mtastsd.conf" test -s "$ROOT/etc/mtastsd.conf"
if apt_root "$ROOT" "$WORK/fresh-purge.log" purge mtastsd; then
    ok "apt-get purge mtastsd"
else
    not_ok "apt-get purge mtastsd"
fi
check_eq "purged" "$(pkg_status mtastsd)" ""
check "purge deletes the cache (/var/lib/mtastsd)" test ! -e "$ROOT/var/lib/mtastsd"
check "purge deletes /etc/mtastsd.conf" test ! -e "$ROOT/etc/mtastsd.conf"
check "purge drops the enablement of mtastsd.service" test ! -L "$ROOT/$WANTS"
check "the mtastsd user stays (Debian leaves system users)" \
    in_root "$ROOT" getent passwd mtastsd
unmount_all || die "cannot unmount the first root"

step "5. upgrade from $OLD_VERSION, with a warm cache"
new_root upgrade || die "cannot prepare a second root from $TARBALL"
mkdir -p "$ROOT/tmp/pkgs"
cp "$DEB" "$OLD_DEB" "$ROOT/tmp/pkgs/"
if apt_root "$ROOT" "$WORK/upgrade-old.log" install "/tmp/pkgs/$(basename "$OLD_DEB")"; then
    ok "apt-get install ./$(basename "$OLD_DEB")"
else
    not_ok "apt-get install ./$(basename "$OLD_DEB")"
    exit 1
fi
if daemon "$ROOT" serve; then
    ok "daemon.sh serve: the earlier daemon fetches and caches"
else
    not_ok "daemon.sh serve: the earlier daemon fetches and caches"
fi
cache_before=$(stat -c '%i %s' "$ROOT/var/lib/mtastsd/cache.mdb" 2>/dev/null)
check "a warm cache before the upgrade" test -n "$cache_before"
: >"$ROOT/var/log/policy-rc.d.log"
if apt_root "$ROOT" "$WORK/upgrade-new.log" install "/tmp/pkgs/$(basename "$DEB")"; then
    ok "apt-get install ./$(basename "$DEB") upgrades $OLD_VERSION"
else
    not_ok "apt-get install ./$(basename "$DEB") upgrades $OLD_VERSION"
fi
check_eq "the new version is installed" \
    "$(in_root "$ROOT" dpkg-query -W -f='${Version}' mtastsd)" "$NEW_VERSION"
check "postinst asked to restart mtastsd.service" \
    grep -qx 'mtastsd.service restart' "$ROOT/var/log/policy-rc.d.log"
check_eq "mtastsd.service is still enabled" "$(readlink "$ROOT/$WANTS")" \
    "/lib/systemd/system/mtastsd.service"
check_eq "the upgrade kept the cache file (same inode and size)" \
    "$(stat -c '%i %s' "$ROOT/var/lib/mtastsd/cache.mdb" 2>/dev/null || echo missing)" \
    "${cache_before:-(none before)}"
if daemon "$ROOT" cached; then
    ok "daemon.sh cached: the new daemon answers from the earlier daemon's cache"
else
    not_ok "daemon.sh cached: the new daemon answers from the earlier daemon's cache"
fi
unmount_all || die "cannot unmount the second root"

step "done"
note "installed size of mtastsd $NEW_VERSION: $installed_size KiB"
if [ "$fails" = 0 ] && [ "$n" -gt 0 ]; then
    echo "PASS: test_package ($n checks, $((SECONDS - T0)) s)"
    exit 0
fi
echo "FAIL: test_package ($fails of $n checks failed)"
exit 1

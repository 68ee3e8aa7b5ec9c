#!/bin/bash
# tests/soak/valgrind-integration.sh - run integration tests with every
# mtastsd they start under valgrind memcheck.  Not part of "make check".
#
#   bash tests/soak/valgrind-integration.sh BUILD_DIR [TEST...]
#
# BUILD_DIR must be a build WITHOUT sanitizers (configure
# --enable-developer).  TEST names are scripts in tests/integration/
# (default: the list below, chosen to cover every daemon path that does
# not depend on tight timing: valgrind makes the daemon 10-50 times
# slower, and tests that measure time would fail for that alone).
#
# lib.sh's MTASTSD_WRAPPER puts valgrind in front of the daemon; valgrind
# exits with 97 on any memcheck error, including definite and indirect
# leaks, and lib.sh's mtastsd_stop records a failure for any non-zero
# exit.  Each daemon's valgrind log goes to $VG_DIR (default a fresh
# directory under /tmp, kept) as vg-PID.log.  The summary lists, per test,
# the test result and the daemons' error and leak totals; the script
# exits 1 if a test failed or a log reports an error.
set -u
top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -ge 1 ] || {
    echo "usage: $0 BUILD_DIR [TEST...]" >&2
    exit 2
}
top_builddir=$(cd "$1" && pwd) || exit 2
shift
export top_srcdir top_builddir
[ -x "$top_builddir/mtastsd" ] || {
    echo "$0: $top_builddir/mtastsd not built" >&2
    exit 2
}
if nm -D "$top_builddir/mtastsd" 2>/dev/null | grep -q __asan_init; then
    echo "$0: $top_builddir/mtastsd is built with sanitizers; use a plain build" >&2
    exit 2
fi
command -v valgrind >/dev/null || {
    echo "$0: valgrind not installed (apt-get install valgrind)" >&2
    exit 2
}

TESTS=("$@")
[ ${#TESTS[@]} -gt 0 ] || TESTS=(test_verdicts test_keys test_policy test_cache test_protocol
    test_ctl test_https test_faults)

VG_DIR=${VG_DIR:-$(mktemp -d /tmp/mtastsd-valgrind.XXXXXX)}
mkdir -p "$VG_DIR"
export MTASTSD_WRAPPER="valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=97 --num-callers=30 --suppressions=$top_srcdir/tests/soak/valgrind.supp --log-file=$VG_DIR/vg-%p.log"

fail=0
summary=()
for t in "${TESTS[@]}"; do
    t=${t%.sh}
    script=$top_srcdir/tests/integration/$t.sh
    [ -f "$script" ] || {
        echo "$0: no such test: $script" >&2
        exit 2
    }
    mkdir -p "$VG_DIR/$t"
    start=$SECONDS
    bash "$script" >"$VG_DIR/$t/test.log" 2>&1
    rc=$?
    logs=()
    for f in "$VG_DIR"/vg-*.log; do
        [ -e "$f" ] || continue
        mv "$f" "$VG_DIR/$t/"
        logs+=("$VG_DIR/$t/$(basename "$f")")
    done
    errs=0 def=0 ind=0
    for f in "${logs[@]}"; do
        e=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$f" | tr -d , | tail -n 1)
        d=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$f" | tr -d , | tail -n 1)
        i=$(sed -n 's/.*indirectly lost: \([0-9,]*\) bytes.*/\1/p' "$f" | tr -d , | tail -n 1)
        errs=$((errs + ${e:-0}))
        def=$((def + ${d:-0}))
        ind=$((ind + ${i:-0}))
    done
    line=$(tail -n 1 "$VG_DIR/$t/test.log")
    summary+=("$t: rc=$rc, $((SECONDS - start)) s, ${#logs[@]} daemon runs, $errs memcheck errors, definitely lost $def B, indirectly lost $ind B :: $line")
    if [ "$rc" != 0 ] || [ "$errs" != 0 ]; then
        fail=1
    fi
done
echo "valgrind logs in $VG_DIR"
printf '%s\n' "${summary[@]}"
if [ "$fail" = 0 ]; then
    echo "valgrind-integration: ${#TESTS[@]} tests clean"
else
    echo "valgrind-integration: FAILED (see $VG_DIR/TEST/test.log and vg-*.log)"
fi
exit "$fail"

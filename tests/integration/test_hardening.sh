#!/bin/bash
# test_hardening.sh - never crash, never downgrade (issue 9), end to end
# with dnsmasq, nginx and postmap:
#
#   1. a damaged cache.mdb: cut to zero and to half while mtastsd runs
#      (queries, the refresh sweep, mtastsd-ctl list/dump and show over
#      it), cut to half while it is stopped, and a cut cache.mdb-lock: no
#      crash; the damaged file is kept beside the new one, one error names
#      both, and every domain is resolved again (a cut lock file keeps the
#      cache);
#   2. an enforce policy too large for Postfix's 100000-byte reply: on
#      mtasts-tlsrpt it is answered without policy_string (thousands of
#      extension lines), or with the classic reply (256 mx names of 250
#      octets), never NOTFOUND; the classic map is unchanged; one warning
#      per policy;
#   3. a policy with max_age 10 is refreshed before it expires with no
#      query in between, and keeps being refreshed; a failing refresh of a
#      short max_age is not retried within the 5-minute back-off;
#   4. a TXT record set of 150 records, or one with a 5000-byte record that
#      is not v=STSv1, still yields the one v=STSv1 record;
#   5. a second mtastsd on the same state_dir refuses to start, naming the
#      first; the first goes on serving.
. "$(dirname "$0")/lib.sh"

CTL=${MTASTSD_CTL:-$top_builddir/mtastsd-ctl}
[ -x "$CTL" ] || die "mtastsd-ctl binary $CTL not found (build it first)"
STATE=$WORK/state
CACHE=$STATE/cache.mdb
T='v=STSv1; id=1'

pol() { printf 'version: STSv1\nmode: enforce\nmx: %s\nmax_age: %s\n' "$1" "$2"; }

# 1. cache damage
for d in c1 c2 c3; do
    world_domain $d.test --txt "$T"
done

# 2. large policies.  big-lines: 7000 extension lines "xNNNN: v" (64 KiB
# body cap): the reply with policy_string would be ~200 KB.  big-mx: 256 mx
# of 250 octets (the most a policy may have, body under 64 KiB): the
# classic reply is ~64 KB, with mx_host_pattern ~132 KB.
mkdir -p "$WORK/bodies"
{
    printf 'version: STSv1\nmode: enforce\nmx: mx.big-lines.test\nmax_age: 86400\n'
    for ((i = 0; i < 7000; i++)); do printf 'x%04d: v\n' "$i"; done
} >"$WORK/bodies/lines.txt"
mxname() { # I: a hostname of exactly 250 octets
    local a b c
    a=$(printf 'm%03d%059d' "$1" 0 | tr 0 a)
    b=$(printf '%063d' 0 | tr 0 b)
    c=$(printf '%054d' 0 | tr 0 c)
    printf '%s.%s.%s.%s.net' "$a" "$b" "$b" "$c"
}
{
    printf 'version: STSv1\nmode: enforce\nmax_age: 86400\n'
    for ((i = 0; i < 256; i++)); do printf 'mx: %s\n' "$(mxname "$i")"; done
} >"$WORK/bodies/mx.txt"
[ "$(wc -c <"$WORK/bodies/lines.txt")" -le 65536 ] || die "lines.txt over 64 KiB"
[ "$(wc -c <"$WORK/bodies/mx.txt")" -le 65536 ] || die "mx.txt over 64 KiB"
[ "$(mxname 7 | wc -c)" = 250 ] || die "mxname is not 250 octets"
world_domain big-lines.test --txt "$T" --policy "@$WORK/bodies/lines.txt"
world_domain big-mx.test --txt "$T" --policy "@$WORK/bodies/mx.txt"

# 3. short max_age
world_domain short.test --txt "$T" --policy "$(pol mx.short.test 10)"
world_domain shortfail.test --txt "$T" --policy "$(pol mx.shortfail.test 20)"

# 4. TXT record sets
crowd=()
for ((i = 0; i < 75; i++)); do crowd+=(--txt "other-$i"); done
crowd+=(--txt 'v=STSv1; id=crowd')
for ((i = 75; i < 150; i++)); do crowd+=(--txt "other-$i"); done
world_domain crowd.test "${crowd[@]}"
chunk=$(printf '%0250d' 0 | tr 0 z)
long='"google-site-verification='$chunk'"'
for ((i = 0; i < 19; i++)); do long+=',"'$chunk'"'; done
world_domain long.test --txt-raw "$long" --txt 'v=STSv1; id=long' --dns truncate-txt
world_start

mtastsd_start "${MTASTSD_FAST[@]}"

# ------------------------------------------------------------------ 1.
note "1. damaged cache"
size() { stat -c %s "$1" 2>/dev/null || echo -1; }
asides() { find "$STATE" -maxdepth 1 -name 'cache.mdb.damaged-*' | wc -l; }
for d in c1 c2 c3; do
    expect_reply $d.test "secure match=mx.$d.test servername=hostname"
done
expect_eq "no damaged file yet" "$(asides)" 0
sleep 1 # past lookup.c's one-second memo: the next query reads the cache

note "cut to zero while running: the next query moves it aside and fetches again"
n0=$(world_fetch_count c1.test)
log_mark
truncate -s 0 "$CACHE"
expect_reply c1.test 'secure match=mx.c1.test servername=hostname'
expect_true "mtastsd is alive" mtastsd_alive
expect_log ": error: cache $(lib_re_quote "$CACHE") is damaged \(the file was cut to 0 bytes while in use; LMDB's meta page says it holds [0-9]+\); moved it to $(lib_re_quote "$CACHE")\.damaged-[0-9]{8}T[0-9]{6}Z(-[0-9]+)? and started an empty cache"
expect_eq "one damaged file kept" "$(asides)" 1
expect_eq "c1.test fetched again" "$(world_fetch_count c1.test)" "$((n0 + 1))"
expect_eq "one error for it" "$(lib_log_since_mark | grep -c ': error: cache .* is damaged')" 1

note "cut to half while running, then the refresh sweep, list, dump and show over it"
for d in c2 c3; do
    expect_reply $d.test "secure match=mx.$d.test servername=hostname"
done
truncate -s "$(($(size "$CACHE") / 2))" "$CACHE"
log_mark
sleep 2 # the sweep (one tick a second) reads the cache first
expect_true "mtastsd is alive after the sweep" mtastsd_alive
expect_log ": error: cache .* is damaged \(the file was cut to [0-9]+ bytes while in use"
truncate -s "$(($(size "$CACHE") / 2))" "$CACHE"
expect_true "mtastsd-ctl list over a cut cache" "$CTL" -s "$CTL_SOCK" list
truncate -s 0 "$CACHE"
expect_true "mtastsd-ctl dump over a cut cache" "$CTL" -s "$CTL_SOCK" dump
truncate -s 0 "$CACHE"
"$CTL" -s "$CTL_SOCK" show c3.test >/dev/null 2>&1
expect_true "mtastsd is alive after list, dump and show" mtastsd_alive
expect_reply c3.test 'secure match=mx.c3.test servername=hostname'

note "a cut lock file: recreated, the cache is kept"
expect_reply c2.test 'secure match=mx.c2.test servername=hostname'
n2=$(world_fetch_count c2.test)
log_mark
truncate -s 0 "$CACHE-lock"
expect_reply c2.test 'secure match=mx.c2.test servername=hostname'
expect_log "lock file $(lib_re_quote "$CACHE-lock") was cut to 0 bytes while in use.*recreated the lock file, the cached policies are kept"
expect_eq "c2.test served from the cache, not fetched" "$(world_fetch_count c2.test)" "$n2"

note "cut to half while stopped: the start moves it aside"
expect_reply c1.test 'secure match=mx.c1.test servername=hostname'
mtastsd_stop
before=$(asides)
half=$(($(size "$CACHE") / 2))
truncate -s "$half" "$CACHE"
log_mark
mtastsd_start "${MTASTSD_FAST[@]}"
expect_log ": error: cache $(lib_re_quote "$CACHE") is damaged \(the file holds $half bytes but its LMDB meta page says [0-9]+\); moved it to "
expect_eq "one more damaged file kept" "$(asides)" "$((before + 1))"
expect_true "the file moved aside is the cut one ($half bytes)" \
    sh -c "ls -l '$STATE'/cache.mdb.damaged-* | awk '{print \$5}' | grep -qx '$half'"
expect_reply c1.test 'secure match=mx.c1.test servername=hostname'

# ------------------------------------------------------------------ 2.
note "2. policies too large for one socketmap reply"
log_mark
expect_reply big-lines.test 'secure match=mx.big-lines.test servername=hostname'
expect_reply big-lines.test 'secure match=mx.big-lines.test servername=hostname policy_type=sts policy_domain=big-lines.test mx_host_pattern=mx.big-lines.test' mtasts-tlsrpt
expect_reply big-lines.test 'secure match=mx.big-lines.test servername=hostname policy_type=sts policy_domain=big-lines.test mx_host_pattern=mx.big-lines.test' mtasts-tlsrpt
expect_log ": warning: lookup big-lines\.test: the mtasts-tlsrpt reply for the policy id=1 \(1 mx, 7004 lines\) exceeds Postfix's 100000-byte socketmap limit; answering without policy_string attributes"
expect_eq "logged once for the policy" "$(lib_log_since_mark | grep -c 'lookup big-lines\.test: the mtasts-tlsrpt reply')" 1

all_mx=$(for ((i = 0; i < 256; i++)); do
    mxname "$i"
    echo
done | paste -sd:)
classic="secure match=$all_mx servername=hostname"
expect_reply big-mx.test "$classic"
expect_reply big-mx.test "$classic" mtasts-tlsrpt
expect_eq "the reply is about 64 KB" "$((${#classic} / 1000))" 64
expect_log ": warning: lookup big-mx\.test: the mtasts-tlsrpt reply for the policy id=1 \(256 mx, 259 lines\) exceeds Postfix's 100000-byte socketmap limit; answering with the classic reply"

# ------------------------------------------------------------------ 3.
note "3. a max_age of 10 s is refreshed before it expires, with no query"
# 3000 more cached policies (good for a day): the sweep, 16 entries a
# second, now takes over 3 minutes per pass, so the refreshes below can
# only come from the timer queue on time.
"$PYTHON" - "$WORK/fill.jsonl" <<'EOF'
import sys, time
now = int(time.time())
with open(sys.argv[1], "w") as out:
    out.write('{"mtastsd_dump":1,"version":"test","created":%d}\n' % now)
    for i in range(3000):
        d = "f%04d.fill.test" % i
        out.write('{"domain":"%s","id":"1","fetched_at":%d,"policy":{"mode":"enforce",'
                  '"max_age":86400,"mx":["mx.%s"]}}\n' % (d, now, d))
EOF
expect_true "3000 filler policies loaded" "$CTL" -s "$CTL_SOCK" load "$WORK/fill.jsonl"
log_mark
expect_reply short.test 'secure match=mx.short.test servername=hostname'
expect_reply shortfail.test 'secure match=mx.shortfail.test servername=hostname'
exp0=$("$CTL" -s "$CTL_SOCK" --json show short.test | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["expires_at"])')
ns=$(world_fetch_count short.test)
world_set_status shortfail.test 404 # its refresh (at 10 s) fails
nf=$(world_fetch_count shortfail.test)
note "waiting 19 s without a query"
sleep 19
expect_true "short.test refreshed at least twice in 19 s (every 5 s)" \
    test "$(($(world_fetch_count short.test) - ns))" -ge 2
expect_log ": debug: refresh short\.test: due \(refresh_at [0-9]+, expires [0-9]+\), from the timer queue"
expect_log ": info: refresh short\.test: ok id=1 mode=enforce max_age=10 "
# the start of a refresh job is logged at debug level with its refresh_at
first=$(lib_log_since_mark | sed -n 's/.*: debug: refresh short\.test: due (refresh_at \([0-9]*\).*/\1/p' | head -1)
expect_true "its first refresh ($first) was due before the first fetch expired ($exp0)" \
    test "${first:-$exp0}" -lt "$exp0"
expect_eq "no query-triggered fetch of short.test" \
    "$(lib_log_since_mark | grep -cE ': info: fetch short\.test: ')" 1
expect_log ": warning: refresh shortfail\.test: http-status: HTTP 404"
expect_eq "shortfail.test: one failed refresh, not retried within the back-off" \
    "$(($(world_fetch_count shortfail.test) - nf))" 1
expect_reply short.test 'secure match=mx.short.test servername=hostname'
expect_log "lookup short\.test: serve(-revalidate)? from the cache" 1

# ------------------------------------------------------------------ 4.
note "4. many TXT records, or a long one, do not hide the v=STSv1 record"
expect_reply crowd.test 'secure match=mx.crowd.test servername=hostname'
expect_log "fetch crowd\.test: ok id=crowd "
expect_reply long.test 'secure match=mx.long.test servername=hostname'
expect_log "fetch long\.test: ok id=long "

# ------------------------------------------------------------------ 5.
note "5. a second mtastsd on the same state_dir"
sed -e "s|^listen = .*|listen = unix:$WORK/second.sock|" \
    -e "s|^control_socket = .*|control_socket = $WORK/second-ctl.sock|" \
    "$WORK/mtastsd.conf" >"$WORK/second.conf"
timeout 20 "$MTASTSD" -f -c "$WORK/second.conf" >"$WORK/second.log" 2>&1
rc=$?
expect_eq "the second one exits with status 1" "$rc" 1
expect_true "and says why, naming the first one's pid" \
    grep -qE "state_dir $(lib_re_quote "$STATE") is in use by another mtastsd \(pid $MTASTSD_PID holds " "$WORK/second.log"
expect_false "its socket is gone" test -e "$WORK/second.sock"
expect_true "the first one is alive" mtastsd_alive
expect_reply c1.test 'secure match=mx.c1.test servername=hostname'

mtastsd_stop
finish

#!/bin/bash
# test_durability.sh - the LMDB cache survives kill -9 and a full map (the
# "Performance and resilience" issue).
#
# Refresh storm: a world of $NDOM domains, all fetched once.  Then, for
# $ROUNDS rounds: every domain gets a new policy (mx rR.mx.DOMAIN), a
# refresh of every domain is started through mtastsd-ctl while a client
# asks for cached and never-seen names (negative entries are written
# too), and mtastsd is killed with SIGKILL 0-300 ms after the first refresh
# of the round was committed.  After
# each kill:
#   - mdb_stat -e and mdb_dump read the whole file without an error;
#   - mtastsd starts on that file, logs no error, and answers every domain
#     from the cache (nginx sees no new GET while we ask): a domain whose
#     refresh was logged "ok" before the kill (the log line is written
#     after the commit) has this round's policy; any other has the round
#     it had before or this one, never an older one or none.
#
# Full map: cache_max_size = 1M (the minimum) and large policies.
#   - short-lived policies (max_age 2): the map fills, expired records are
#     evicted, every query is answered with its policy;
#   - long-lived policies: nothing can be evicted; the daemon logs that
#     the cache is full and the policy not stored, keeps answering with
#     the policy it fetched, still serves what is cached, and stores again
#     after a flush.
. "$(dirname "$0")/lib.sh"

CTL=${MTASTSD_CTL:-$top_builddir/mtastsd-ctl}
[ -x "$CTL" ] || die "mtastsd-ctl binary $CTL not found (build it first)"
LC=$LIB_DIR/load_client.py
lib_need mdb_stat mdb_dump

NDOM=${DURABILITY_DOMAINS:-200}
ROUNDS=${DURABILITY_ROUNDS:-50}
NBIG=60
BIG_MX=250 # STS_POLICY_MAX_MX is 256

T='v=STSv1; id=1'
DOMS=()
for ((i = 1; i <= NDOM; i++)); do
    DOMS+=("$(printf 'd%03d.test' "$i")")
    world_domain "${DOMS[-1]}" --txt "$T"
done
BIGS=()
for ((i = 1; i <= NBIG; i++)); do
    BIGS+=("$(printf 'big%02d.test' "$i")")
    world_domain "${BIGS[-1]}" --txt "$T"
done
world_start

lc() { "$PYTHON" "$LC" --socket "$SOCK" "$@"; }
CACHE=$WORK/state/cache.mdb

policy_round() { # ROUND: every dNNN domain serves mx rROUND.mx.DOMAIN
    local d
    for d in "${DOMS[@]}"; do
        printf 'version: STSv1\nmode: enforce\nmx: r%d.mx.%s\nmax_age: 86400\n' "$1" "$d" \
            >"$WWW/$d/mta-sts.txt"
    done
}

gets() { # policy GETs nginx has seen
    grep -c '"GET /.well-known/mta-sts.txt' "$WORK/nginx/access.log" 2>/dev/null || echo 0
}

printf '%s\n' "${DOMS[@]}" >"$WORK/doms.txt"
{
    for d in "${DOMS[@]}"; do echo "$d *"; done
    echo "fresh-%.test *"
} >"$WORK/mixed.txt"

# lmdb_ok DESC: the whole file reads back without an error
lmdb_ok() {
    local out rc
    out=$(mdb_stat -n -e "$CACHE" 2>&1 && mdb_dump -n "$CACHE" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" = 0 ] && ! grep -qiE 'error|corrupt|invalid' <<<"$out"; then
        return 0
    fi
    echo "$out" | head -n 5 >&2
    return 1
}

# ---------------------------------------------------------------- storm
note "prime: $NDOM domains, round 0"
policy_round 0
mtastsd_start "${MTASTSD_FAST[@]}"
lc query --keys-file "$WORK/doms.txt" >"$WORK/replies.txt"
declare -A LAST # domain -> round its cached policy is known to have
bad=0
while IFS=$'\t' read -r d reply; do
    if [ "$reply" = "OK secure match=r0.mx.$d servername=hostname" ]; then
        LAST[$d]=0
    else
        bad=$((bad + 1))
    fi
done <"$WORK/replies.txt"
expect_eq "every domain fetched in round 0" "$bad" 0

kills_mid_storm=0 committed_total=0 fails=0 stale_total=0
for ((r = 1; r <= ROUNDS; r++)); do
    policy_round "$r"
    log_mark
    pids=()
    "$CTL" -s "$CTL_SOCK" refresh "${DOMS[@]:0:NDOM/2}" >/dev/null 2>&1 &
    pids+=($!)
    "$CTL" -s "$CTL_SOCK" refresh "${DOMS[@]:NDOM/2}" >/dev/null 2>&1 &
    pids+=($!)
    lc mixed --seconds 0.5 --timeout 2 --keys-file "$WORK/mixed.txt" --seed "$r" >/dev/null 2>&1 &
    pids+=($!)
    # kill 0-300 ms after the first refresh of this round was committed,
    # while the others are being fetched and written
    wait_for 10 lib_log_has ': info: refresh d[0-9]+\.test: ok id='
    sleep "$(printf '0.%03d' $((RANDOM % 301)))"
    kill -KILL "$MTASTSD_PID"
    wait "$MTASTSD_PID" 2>/dev/null
    MTASTSD_PID=
    wait "${pids[@]}" 2>/dev/null
    # what was committed before the kill
    lib_log_since_mark | sed -n 's/^mtastsd\[[0-9]*\]: info: refresh \(d[0-9]*\.test\): ok id=.*/\1/p' |
        sort -u >"$WORK/committed.txt"
    ncommit=$(wc -l <"$WORK/committed.txt")
    committed_total=$((committed_total + ncommit))
    [ "$ncommit" -lt "$NDOM" ] && kills_mid_storm=$((kills_mid_storm + 1))
    if ! lmdb_ok 2>"$WORK/lmdb.err"; then
        lib_result 1 "round $r: LMDB reads the file after kill -9" "$(cat "$WORK/lmdb.err")"
        fails=$((fails + 1))
    fi
    mtastsd_start "${MTASTSD_FAST[@]}"
    log_mark
    g0=$(gets)
    lc query --keys-file "$WORK/doms.txt" >"$WORK/replies.txt"
    g1=$(gets)
    declare -A COMMITTED=()
    while read -r d; do COMMITTED[$d]=1; done <"$WORK/committed.txt"
    wrong=()
    while IFS=$'\t' read -r d reply; do
        got=$(sed -n "s/^OK secure match=r\([0-9]*\)\.mx\.$d servername=hostname\$/\1/p" <<<"$reply")
        if [ -z "$got" ]; then
            wrong+=("$d: '$reply'")
        elif [ -n "${COMMITTED[$d]:-}" ] && [ "$got" != "$r" ]; then
            wrong+=("$d: committed round $r before the kill, served round $got")
        elif [ "$got" -lt "${LAST[$d]}" ] || [ "$got" -gt "$r" ]; then
            wrong+=("$d: served round $got, known rounds ${LAST[$d]}..$r")
        else
            [ "$got" != "$r" ] && stale_total=$((stale_total + 1))
            LAST[$d]=$got
        fi
    done <"$WORK/replies.txt"
    unset COMMITTED
    if [ "${#wrong[@]}" != 0 ]; then
        lib_result 1 "round $r: every domain served from the cache as committed" \
            "${#wrong[@]} wrong, e.g. ${wrong[0]}"
        fails=$((fails + 1))
    fi
    if [ "$g0" != "$g1" ]; then
        lib_result 1 "round $r: answers came from the cache" "nginx saw $((g1 - g0)) GETs meanwhile"
        fails=$((fails + 1))
    fi
    if lib_log_has ': error: '; then
        lib_result 1 "round $r: restart logs no error" "$(lib_log_since_mark | grep ': error: ' | head -n 2)"
        fails=$((fails + 1))
    fi
done
note "$ROUNDS kills: $kills_mid_storm in the middle of the refresh storm; $committed_total refreshes committed before a kill; $stale_total answers kept an earlier round's policy"
expect_eq "$ROUNDS rounds of kill -9: LMDB clean, committed policies served, no error" "$fails" 0
expect_true "most kills hit the storm before it ended ($kills_mid_storm of $ROUNDS)" \
    test "$kills_mid_storm" -ge $((ROUNDS / 2))
expect_true "refreshes were committed between kills ($committed_total)" test "$committed_total" -gt 0
expect_true "LMDB reads the file after the last round" lmdb_ok
mtastsd_stop

# ---------------------------------------------------------------- full map
big_policy() { # DOMAIN MAX_AGE
    local i
    printf 'version: STSv1\nmode: enforce\nmax_age: %s\n' "$2"
    for ((i = 1; i <= BIG_MX; i++)); do printf 'mx: mx%03d.a-rather-long-label.%s\n' "$i" "$1"; done
}
big_reply() { # DOMAIN
    local i m='' x
    for ((i = 1; i <= BIG_MX; i++)); do
        printf -v x 'mx%03d.a-rather-long-label.%s:' "$i" "$1"
        m+=$x
    done
    echo "OK secure match=${m%:} servername=hostname"
}
map_size() { mdb_stat -n -e "$CACHE" 2>/dev/null | awk '/Map size:/ { print $3 }'; }

note "full map, expired records to evict: $NBIG policies of $BIG_MX mx, max_age 2, cache_max_size 1M"
for d in "${BIGS[@]}"; do big_policy "$d" 2 >"$WWW/$d/mta-sts.txt"; done
rm -f "$CACHE" "$CACHE-lock"
mtastsd_start "${MTASTSD_FAST[@]}" cache_max_size=1M
log_mark
# four batches, 2.2 s apart: by the time the map is full, the first
# batches have expired
bad=0
for ((b = 0; b < 4; b++)); do
    [ "$b" = 0 ] || sleep 2.2
    printf '%s\n' "${BIGS[@]:b*NBIG/4:NBIG/4}" >"$WORK/batch.txt"
    lc query --keys-file "$WORK/batch.txt" >"$WORK/replies.txt"
    while IFS=$'\t' read -r d reply; do
        [ "$reply" = "$(big_reply "$d")" ] || bad=$((bad + 1))
    done <"$WORK/replies.txt"
done
expect_eq "every one of $NBIG large policies answered while the map filled" "$bad" 0
expect_log 'cache .*: full at [0-9]+ KiB \(cache_max_size 1024 KiB\); evicting expired records'
expect_log 'cache .*: evicted [0-9]+ records with nothing valid left'
expect_no_log ': error: '
expect_true "the map stayed within cache_max_size ($(map_size) bytes)" test "$(map_size)" -le 1048576
expect_true "LMDB reads the full file" lmdb_ok
expect_true "daemon alive" mtastsd_alive

note "full map, nothing to evict: max_age 86400"
for d in "${BIGS[@]}"; do big_policy "$d" 86400 >"$WWW/$d/mta-sts.txt"; done
expect_true "flush --all" "$CTL" -s "$CTL_SOCK" flush --all
log_mark
bad=0
printf '%s\n' "${BIGS[@]}" >"$WORK/batch.txt"
lc query --keys-file "$WORK/batch.txt" >"$WORK/replies.txt"
while IFS=$'\t' read -r d reply; do
    [ "$reply" = "$(big_reply "$d")" ] || bad=$((bad + 1))
done <"$WORK/replies.txt"
expect_eq "every query answered with the policy fetched, stored or not" "$bad" 0
expect_log 'cache .*: full \(cache_max_size 1024 KiB\) and nothing expired to evict; .* not stored: raise cache_max_size or flush entries'
unstored=$(lib_log_since_mark | sed -n 's/.*nothing expired to evict; \([^ ]*\) not stored.*/\1/p' | head -n 1)
expect_true "daemon alive with a full map" mtastsd_alive
stored=$("$CTL" -s "$CTL_SOCK" status | awk '$1 == "cache_entries" { print $2 }')
note "$stored of $NBIG policies fit; the first one that did not: ${unstored:-none}"
expect_true "the map really filled up" test "${stored:-0}" -gt 0 -a "${stored:-0}" -lt "$NBIG"
g0=$(gets)
expect_reply "${BIGS[0]}" "$(big_reply "${BIGS[0]}" | cut -d' ' -f2-)"
expect_eq "a cached policy is served from the full cache" "$(gets)" "$g0"
expect_true "LMDB reads the full file" lmdb_ok
expect_true "flush --all on a full map" "$CTL" -s "$CTL_SOCK" flush --all
log_mark
expect_reply "$unstored" "$(big_reply "$unstored" | cut -d' ' -f2-)"
expect_log "fetch $(lib_re_quote "$unstored"): ok id=1"
expect_no_log ': error: '
expect_true "now it is stored" "$CTL" -s "$CTL_SOCK" show "$unstored"
mtastsd_stop
expect_true "LMDB reads the file after the stop" lmdb_ok
finish

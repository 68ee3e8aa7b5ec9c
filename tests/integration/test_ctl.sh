#!/bin/bash
# test_ctl.sh - mtastsd-ctl and the control socket, end to end (DESIGN 6a,
# doc/control-protocol.txt).
#
# A world with one domain per cache state (enforce, testing, none, no
# policy, failing fetch), a daemon filled through real postmap queries,
# then every command: status, stats, show, list and its filters, dump,
# refresh (unchanged, changed id, failures), flush (domains, --negative,
# --all), reload (good and bad file), load of the dump into a second
# daemon with a fresh state dir that then answers postmap with DNS and
# HTTPS stopped, a bulk load of 3000 records (written one batch, one
# transaction, at a time; every domain then counted and a sample served;
# its time printed, not asserted), rejections across batch boundaries,
# the same domain twice in one batch, a load stopped by an oversize record
# after good ones in its batch, a batch that does not fit a 1 MiB cache
# (ERR, nothing of it stored, the reported count exact), load of hostile
# records, the protocol's own errors (bad version, garbage, oversize line,
# client limit), and the exit codes 0/1/2/3.  Peer-credential refusal is
# not exercised: inside "unshare -r" only uid 0 exists.
. "$(dirname "$0")/lib.sh"

CTL=${MTASTSD_CTL:-$top_builddir/mtastsd-ctl}
[ -x "$CTL" ] || die "mtastsd-ctl binary $CTL not found (build it first)"

world_domain enforce.test --txt 'v=STSv1; id=e1'
world_domain testing.test --txt 'v=STSv1; id=t1' \
    --policy $'version: STSv1\nmode: testing\nmx: mx.testing.test\nmax_age: 86400\n'
world_domain none.test --txt 'v=STSv1; id=n1' --policy $'version: STSv1\nmode: none\nmax_age: 86400\n'
world_domain nopolicy.test
world_domain broken.test --txt 'v=STSv1; id=b1' --status 404
world_start
mtastsd_start query_timeout=5s dns_timeout=1s https_connect_timeout=2s https_timeout=3s

# ctl ARGS...: run mtastsd-ctl against the test daemon; OUT, ERR, RC
ctl() {
    OUT=$("$CTL" -c "$WORK/mtastsd.conf" "$@" 2>"$WORK/ctl.err")
    RC=$?
    ERR=$(cat "$WORK/ctl.err")
}

# expect_ctl DESC WANT_RC OUT_REGEX ARGS...: exit status and stdout
expect_ctl() {
    local desc=$1 want=$2 re=$3
    shift 3
    ctl "$@"
    if [ "$RC" = "$want" ] && { [ -z "$re" ] || printf '%s\n' "$OUT" | grep -qE -- "$re"; }; then
        lib_result 0 "$desc"
    else
        lib_result 1 "$desc" "mtastsd-ctl $* -> rc=$RC (want $want) out='${OUT:0:400}' err='${ERR:0:300}'"
    fi
}

# expect_ctl_err DESC WANT_RC ERR_REGEX ARGS...: exit status and stderr
expect_ctl_err() {
    local desc=$1 want=$2 re=$3
    shift 3
    ctl "$@"
    if [ "$RC" = "$want" ] && printf '%s\n' "$ERR" | grep -qE -- "$re"; then
        lib_result 0 "$desc"
    else
        lib_result 1 "$desc" "mtastsd-ctl $* -> rc=$RC (want $want) out='${OUT:0:300}' err='${ERR:0:300}'"
    fi
}

# json_get JSON EXPR: evaluate a python expression on the parsed object `o`
json_get() {
    "$PYTHON" -c 'import json,sys; o=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2" 2>&1
}

# raw_ctl SOCKET BYTES...: send raw bytes (python escapes), print the reply
raw_ctl() {
    "$PYTHON" - "$@" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(sys.argv[1])
try:
    s.sendall(sys.argv[2].encode().decode('unicode_escape').encode('latin-1'))
except OSError:
    pass
out = b''
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
except OSError:
    pass
sys.stdout.write(out.decode('latin-1'))
EOF
}

note "fill the cache through postmap"
expect_reply enforce.test 'secure match=mx.enforce.test servername=hostname'
expect_notfound testing.test
expect_notfound none.test
expect_notfound nopolicy.test
expect_notfound broken.test

note "status and stats"
expect_ctl "status succeeds" 0 '^cache_entries +5$' status
expect_ctl "status names the version" 0 '^version +[0-9]' status
expect_ctl "status --json" 0 '"cache_entries":5' --json status
expect_eq "status --json pid is the daemon's" "$(json_get "$OUT" 'o["pid"]')" "$MTASTSD_PID"
expect_ctl "stats counts the queries" 0 '^queries 5$' stats
expect_ctl "stats counts secure verdicts" 0 '^verdict_secure 1$' stats
expect_ctl "stats names fetch classes" 0 '^fetch_http_status 1$' stats
ctl stats
text_names=$(printf '%s\n' "$OUT" | cut -d' ' -f1 | sort | tr '\n' ' ')
ctl --json stats
json_names=$(json_get "$OUT" '" ".join(sorted(o.keys()))')
expect_eq "stats --json has the same counters as text" "$json_names " "$text_names"
expect_eq "stats has every fetch class" "$(printf '%s\n' $text_names | grep -c '^fetch_')" 17

note "show"
expect_ctl "show enforce.test: mode" 0 '^mode +enforce$' show enforce.test
expect_ctl "show enforce.test: mx" 0 '^mx +mx\.enforce\.test$' show enforce.test
expect_ctl "show enforce.test: id" 0 '^id +e1$' show enforce.test
expect_ctl "show enforce.test: expiry in UTC" 0 '^expires +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z \(in ' show enforce.test
expect_ctl "show normalises the key" 0 '^domain +enforce\.test$' show ENFORCE.Test.
expect_ctl "show --json" 0 '"state":"enforce"' --json show enforce.test
E1_JSON=$OUT
expect_eq "show --json: expires_at - fetched_at = max_age" \
    "$(json_get "$E1_JSON" 'o["expires_at"] - o["fetched_at"]')" 86400
expect_eq "show --json: policy lines" "$(json_get "$E1_JSON" '"|".join(o["policy"]["lines"])')" \
    "version: STSv1|mode: enforce|mx: mx.enforce.test|max_age: 86400"
expect_ctl "show testing.test" 0 '^state +testing$' show testing.test
expect_ctl "show none.test" 0 '^state +none$' show none.test
expect_ctl "show nopolicy.test is negative" 0 '^state +negative$' show nopolicy.test
expect_ctl "show broken.test records the failure" 0 '^last_failure +b1 at .*\(http-status\), 1 in a row$' show broken.test
expect_ctl_err "show of an uncached domain: NOTFOUND, exit 1" 1 'no cache entry for other\.test' show other.test
expect_ctl_err "show of an IP literal: usage, exit 2" 2 'not a policy domain' show 192.0.2.1
expect_ctl_err "show without a domain: usage, exit 2" 2 'usage' show
expect_ctl_err "show with two domains: usage, exit 2" 2 'usage' show a.test b.test

note "list and its filters"
expect_ctl "list shows all five" 0 '' list
expect_eq "list: five lines" "$(printf '%s\n' "$OUT" | grep -c .)" 5
expect_eq "list: summary on stderr" "$ERR" "5 entries"
for f in enforce testing none; do
    expect_ctl "list $f" 0 "^$f\\.test +$f " list $f
    expect_eq "list $f: one entry" "$(printf '%s\n' "$OUT" | grep -c .)" 1
done
expect_ctl "list negative" 0 '^nopolicy\.test +negative ' list negative
expect_eq "list negative: one entry" "$(printf '%s\n' "$OUT" | grep -c .)" 1
expect_eq "list negative: singular summary" "$ERR" "1 entry"
expect_ctl "list expired: the failed fetch" 0 '^broken\.test +expired ' list expired
expect_ctl "list all" 0 'nopolicy\.test' list all
expect_ctl "list --json" 0 '' --json list enforce
expect_eq "list --json: a JSON object" "$(json_get "$OUT" 'o["domain"] + " " + o["state"] + " " + o["id"]')" \
    "enforce.test enforce e1"
expect_ctl_err "list with an unknown filter: usage, exit 2" 2 'usage' list bogus

note "dump"
expect_ctl "dump succeeds" 0 '"mtastsd_dump":1' dump
printf '%s\n' "$OUT" >"$WORK/dump.jsonl"
expect_eq "dump: header plus five records" "$(grep -c . "$WORK/dump.jsonl")" 6
expect_true "dump: every line is a JSON object" "$PYTHON" -c '
import json, sys
for l in open(sys.argv[1]):
    assert isinstance(json.loads(l), dict)' "$WORK/dump.jsonl"
expect_eq "dump: summary on stderr only" "$ERR" "dumped 5 entries"

note "refresh"
n0=$(world_fetch_count enforce.test)
expect_ctl "refresh enforce.test: fetched again" 0 '^enforce\.test ok enforce e1$' refresh enforce.test
expect_eq "refresh fetched the policy once" "$(world_fetch_count enforce.test)" "$((n0 + 1))"
world_set_policy enforce.test $'version: STSv1\nmode: enforce\nmx: mx2.enforce.test\nmax_age: 86400\n'
world_set_txt enforce.test 'v=STSv1; id=e2'
expect_ctl "refresh picks up a new id" 0 '^enforce\.test ok enforce e2$' refresh enforce.test
expect_reply enforce.test 'secure match=mx2.enforce.test servername=hostname'
expect_ctl_err "refresh of a failing fetch: exit 1" 1 '1 of 1 refreshes failed' refresh broken.test
n0=$(world_fetch_count broken.test)
expect_ctl "an operator refresh is not held back by the 5-minute backoff" 1 \
    '^broken\.test http-status - -$' refresh broken.test
expect_eq "the operator refresh fetched again" "$(world_fetch_count broken.test)" "$((n0 + 1))"
expect_ctl "refresh of several domains, in any order" 1 '^nopolicy\.test no-record - -$' \
    refresh testing.test nopolicy.test TESTING.test
expect_eq "refresh: duplicates are one job" "$(printf '%s\n' "$OUT" | grep -c .)" 2
expect_ctl "refresh --json" 0 '"class":"ok"' --json refresh none.test
expect_eq "refresh --json: mode" "$(json_get "$OUT" 'o["mode"]')" none
expect_ctl_err "refresh without a domain: usage, exit 2" 2 'usage' refresh
expect_ctl_err "refresh of a parent probe: usage, exit 2" 2 'not a policy domain' refresh .enforce.test

note "reload"
log_mark
expect_ctl "reload succeeds" 0 'configuration reloaded' reload
expect_log 'reload: configuration from .* applied'
cp "$WORK/mtastsd.conf" "$WORK/mtastsd.conf.good"
echo "no_such_key = 1" >>"$WORK/mtastsd.conf"
log_mark
expect_ctl_err "a broken config file stops mtastsd-ctl -c: exit 2" 2 'no_such_key' reload
expect_ctl_err "reload with -s and a broken file: the daemon refuses it, exit 1" 1 \
    'reload failed, running configuration kept: .*no_such_key' -s "$CTL_SOCK" reload
expect_log 'keeping the running configuration'
cp "$WORK/mtastsd.conf.good" "$WORK/mtastsd.conf"
expect_true "the daemon still serves after a failed reload" "$CTL" -s "$CTL_SOCK" status

note "flush"
expect_ctl "flush one domain" 0 '^testing\.test flushed$' flush testing.test
expect_ctl_err "show after flush: NOTFOUND" 1 'no cache entry' show testing.test
expect_ctl_err "flush of an uncached domain: exit 1" 1 'flushed 0 of 1' flush testing.test
expect_ctl "flush of one cached, one uncached" 1 '^none\.test flushed$' flush none.test testing.test
expect_ctl_err "flush mixing --all and domains: usage" 2 'usage' flush --all enforce.test
expect_ctl_err "flush --bogus: usage" 2 'usage' flush --bogus
expect_ctl "flush --negative" 0 'flushed 2 entries' flush --negative
expect_ctl "list after flush --negative: only the policy" 0 '^enforce\.test ' list
expect_eq "list after flush --negative: one entry" "$(printf '%s\n' "$OUT" | grep -c .)" 1
expect_ctl "flush --all --json" 0 '^\{"flushed":1\}$' --json flush --all
expect_ctl "status after flush --all" 0 '^cache_entries +0$' status

note "protocol errors"
expect_eq "unknown version" "$(raw_ctl "$CTL_SOCK" 'MTASTSD-CTL 2 text status\n')" \
    "ERR unsupported protocol version 2 (this server speaks 1)"
expect_eq "not a control request" "$(raw_ctl "$CTL_SOCK" 'GET / HTTP/1.0\r\n\r\n')" \
    'ERR bad request: not a control request (expected "MTASTSD-CTL 1 ...")'
expect_eq "unknown command" "$(raw_ctl "$CTL_SOCK" 'MTASTSD-CTL 1 text shutdown\n')" \
    "ERR unknown command 'shutdown'"
expect_eq "server validates arguments too" "$(raw_ctl "$CTL_SOCK" 'MTASTSD-CTL 1 text show 10.0.0.1\n')" \
    "ERR invalid domain '10.0.0.1' (IP literal)"
expect_eq "control bytes" "$(raw_ctl "$CTL_SOCK" 'MTASTSD-CTL 1 text sta\x1btus\n')" \
    "ERR bad request: request line contains a control or non-ASCII byte"
long=$(printf 'MTASTSD-CTL 1 text show %05000d\\n' 0)
expect_eq "oversize request line" "$(raw_ctl "$CTL_SOCK" "$long")" "ERR bad request: request line too long"
expect_eq "a CRLF request line" \
    "$(raw_ctl "$CTL_SOCK" 'MTASTSD-CTL 1 json show nothere.test\r\n')" "NOTFOUND no cache entry for nothere.test"
"$PYTHON" - "$CTL_SOCK" >"$WORK/limit.out" 2>&1 <<'EOF'
import socket, sys, time
held = []
for i in range(16):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    held.append(s)
time.sleep(0.3)
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
print(s.recv(100).decode().strip())
for h in held:
    h.close()
EOF
expect_eq "the 17th client is refused" "$(cat "$WORK/limit.out")" "ERR too many control clients"
expect_true "clients are served again after the others left" wait_for 3 "$CTL" -s "$CTL_SOCK" status
expect_log 'control: 16 clients already connected'

note "load into a second daemon with a fresh state dir"
SECOND=$WORK/second
mkdir -p "$SECOND/state"
cat >"$SECOND/mtastsd.conf" <<EOF
listen = unix:$SECOND/mtastsd.sock
control_socket = $SECOND/control.sock
state_dir = $SECOND/state
dns_servers = 127.0.0.1
ca_file = $CA_FILE
query_timeout = 3s
dns_timeout = 1s
log_level = debug
EOF
"$MTASTSD" -f -c "$SECOND/mtastsd.conf" >>"$SECOND/mtastsd.log" 2>&1 &
SECOND_PID=$!
lib_track "$SECOND_PID"
wait_for 10 test -S "$SECOND/control.sock" || die "second mtastsd did not start: $(tail -5 "$SECOND/mtastsd.log")"
ctl2() {
    OUT=$("$CTL" -s "$SECOND/control.sock" "$@" 2>"$WORK/ctl.err")
    RC=$?
    ERR=$(cat "$WORK/ctl.err")
}
ctl2 load "$WORK/dump.jsonl"
expect_eq "load of the dump: exit 0" "$RC" 0
expect_eq "load: three policies, the negative and the failed entry skipped" "$OUT" \
    "loaded 3, skipped 2, rejected 0"
ctl2 --json show enforce.test
expect_eq "loaded entry keeps its id" "$(json_get "$OUT" 'o["id"]')" e1
expect_eq "loaded entry keeps fetched_at" "$(json_get "$OUT" 'o["fetched_at"]')" \
    "$(json_get "$E1_JSON" 'o["fetched_at"]')"
expect_eq "loaded entry keeps refresh_at" "$(json_get "$OUT" 'o["refresh_at"]')" \
    "$(json_get "$E1_JSON" 'o["refresh_at"]')"
ctl2 show nopolicy.test
expect_eq "negative entries are not loaded" "$RC" 1
world_dns_stop
world_https_stop
fetches=$(world_fetch_count enforce.test)
out=$(timeout 20 postmap -q enforce.test "socketmap:unix:$SECOND/mtastsd.sock:mtasts" 2>&1)
expect_eq "second daemon answers from the loaded cache (DNS and HTTPS down)" "$out" \
    "secure match=mx.enforce.test servername=hostname"
out=$(timeout 20 postmap -q testing.test "socketmap:unix:$SECOND/mtastsd.sock:mtasts" 2>&1)
expect_eq "loaded testing policy -> NOTFOUND" "$out" ""
ctl2 load "$WORK/dump.jsonl"
expect_eq "loading again skips what is cached as new" "$OUT" "loaded 0, skipped 5, rejected 0"

note "reload: restart-only keys are named; copied settings follow the new file"
# Two bugs of the hand-kept list of restart-only keys (issue 11): a reload
# ignored changes of control_socket_mode and control_socket_group without
# a word, and the control module kept the refresh_interval it had at
# start, so a "load" after a reload gave records without refresh_at a
# refresh time from the old interval.
cat >>"$SECOND/mtastsd.conf" <<EOF
refresh_interval = 1h
control_socket_mode = 0660
control_socket_group = nogroup
EOF
before=$(wc -l <"$SECOND/mtastsd.log")
ctl2 reload
expect_eq "second daemon: reload succeeds" "$RC" 0
reload_log=$(tail -n +"$((before + 1))" "$SECOND/mtastsd.log")
for key in control_socket_mode control_socket_group; do
    expect_true "reload names the restart-only key $key" \
        grep -qE "warning: reload: $key changed from .* to .*; it takes effect only after a restart" \
        <<<"$reload_log"
done
expect_eq "reload: no warning for a key it applies (refresh_interval)" \
    "$(grep -c 'reload: refresh_interval changed' <<<"$reload_log")" 0
now=$(date +%s)
printf '%s\n' '{"domain":"ri.load.test","id":"r1","fetched_at":'"$now"',"policy":{"mode":"enforce","max_age":604800,"mx":["mx.ri.load.test"]}}' >"$WORK/ri.jsonl"
ctl2 load "$WORK/ri.jsonl"
expect_eq "load after reload: exit 0" "$RC" 0
ctl2 --json show ri.load.test
ri_span=$(json_get "$OUT" 'o["refresh_at"] - o["fetched_at"]')
expect_true "load after reload: refresh_at from the new refresh_interval (1h), got +$ri_span s" \
    test "$ri_span" -le 3600

note "hostile load records"
{
    echo '{"mtastsd_dump":1}'
    echo 'not json at all'
    echo '{"domain":"evil.test","id":"x1","fetched_at":1000,"policy":{"mode":"enforce","max_age":86400,"mx":["10.0.0.1"]}}'
    echo '{"domain":"evil.test","id":"x1","fetched_at":'"$(date +%s)"',"policy":{"lines":["version: STSv1","mode: enforce","mx: mx.evil.test match=x","max_age: 86400"]}}'
    echo '{"domain":"evil.test","id":"x1","fetched_at":'"$(date +%s)"',"policy":{"mode":"enforce\nmx: a.b","max_age":86400,"mx":["mx.evil.test"]}}'
    echo '{"domain":"1.2.3.4","id":"x1","fetched_at":'"$(date +%s)"',"policy":{"mode":"none","max_age":86400}}'
    echo '{"domain":"future.test","id":"x1","fetched_at":'"$(($(date +%s) + 86400))"',"policy":{"mode":"none","max_age":86400}}'
    echo ''
    echo '{"domain":"good.load.test","id":"g1","fetched_at":'"$(date +%s)"',"policy":{"mode":"enforce","max_age":3600,"mx":["mx.good.load.test"]}}'
} >"$WORK/hostile.jsonl"
ctl2 load "$WORK/hostile.jsonl"
expect_eq "hostile load: exit 1" "$RC" 1
expect_eq "hostile load: counts" "$ERR" "mtastsd-ctl: loaded 1, skipped 0, rejected 6"
expect_eq "hostile load: one reason per rejected line" "$(printf '%s\n' "$OUT" | grep -c '^line [0-9]*: rejected: ')" 6
expect_eq "hostile load: line numbers are the file's" \
    "$(printf '%s\n' "$OUT" | sed 's/: rejected: .*//' | tr '\n' ' ')" "line 2 line 3 line 4 line 5 line 6 line 7 "
expect_eq "hostile load: the injected policy line is named" "$(printf '%s\n' "$OUT" | sed -n 4p)" \
    "line 5: rejected: policy.mode holds a line break or a NUL"
ctl2 show evil.test
expect_eq "nothing of the rejected records was stored" "$RC" 1
ctl2 --json show good.load.test
expect_eq "the valid record among them was stored" "$(json_get "$OUT" 'o["policy"]["mx"][0]')" mx.good.load.test
ctl2 --json load "$WORK/hostile.jsonl"
expect_eq "load --json: summary object" "$(printf '%s\n' "$OUT" | tail -n 1)" '{"loaded":0,"skipped":1,"rejected":6}'
expect_ctl_err "load of a missing file: exit 1" 1 'cannot open' load "$WORK/nonexistent.jsonl"
expect_ctl_err "load without a file: usage, exit 2" 2 'usage' load
head -c 300000 /dev/zero | tr '\0' 'x' >"$WORK/huge.jsonl"
ctl2 load "$WORK/huge.jsonl"
expect_eq "a record over the limit stops the load: exit 1" "$RC" 1
note "bulk load: records are written one batch (one transaction) at a time"
# gen_load FILE SPEC...: write a load file; each SPEC is "N:KIND[:PREFIX]"
# for N lines of one kind: good (PREFIXNNNNN.load.test, default prefix
# "bulk", numbered on across specs, fetched 10 s ago), big (the same with
# 60 mx patterns each, several KiB in the cache), bad (not JSON), expired
# (a policy past its expiry), or one record "rec:DOMAIN:ID:AGE" (fetched
# AGE seconds ago).  Line 1 is the header.
gen_load() {
    "$PYTHON" - "$@" <<'PYEOF'
import sys, time
now = int(time.time())
out = open(sys.argv[1], "w")
out.write('{"mtastsd_dump":1,"version":"test","created":%d}\n' % now)
k = 0
def rec(domain, rid, fetched, max_age=86400, nmx=1):
    mx = ",".join('"mx%d.%s"' % (j, domain) for j in range(nmx))
    out.write('{"domain":"%s","id":"%s","fetched_at":%d,"policy":{"mode":"enforce",'
              '"max_age":%d,"mx":[%s]}}\n' % (domain, rid, fetched, max_age, mx))
for spec in sys.argv[2:]:
    f = spec.split(":")
    if f[0] == "rec":
        rec(f[1], f[2], now - int(f[3]))
        continue
    for _ in range(int(f[0])):
        if f[1] in ("good", "big"):
            rec("%s%05d.load.test" % (f[2] if len(f) > 2 else "bulk", k), "b%d" % k, now - 10,
                nmx=60 if f[1] == "big" else 1)
            k += 1
        elif f[1] == "bad":
            out.write("not json\n")
        elif f[1] == "expired":
            rec("old.load.test", "o1", now - 7200, 3600)
PYEOF
}
ctl2 status
entries0=$(printf '%s\n' "$OUT" | sed -n 's/^cache_entries *//p')
gen_load "$WORK/bulk.jsonl" 3000:good
t0=$(date +%s%N)
ctl2 load "$WORK/bulk.jsonl"
t1=$(date +%s%N)
note "load of 3000 records took $(((t1 - t0) / 1000000)) ms (state_dir $SECOND/state, not asserted)"
expect_eq "bulk load: exit 0" "$RC" 0
expect_eq "bulk load: every record loaded" "$OUT" "loaded 3000, skipped 0, rejected 0"
ctl2 status
expect_eq "bulk load: status counts every record" \
    "$(printf '%s\n' "$OUT" | sed -n 's/^cache_entries *//p')" "$((entries0 + 3000))"
ctl2 list enforce
expect_eq "bulk load: list shows every loaded domain" \
    "$(printf '%s\n' "$OUT" | grep -c '^bulk[0-9]*\.load\.test ')" 3000
for i in 00000 00127 00128 01500 02999; do
    out=$(timeout 20 postmap -q "bulk$i.load.test" "socketmap:unix:$SECOND/mtastsd.sock:mtasts" 2>&1)
    expect_eq "bulk load: bulk$i.load.test is served (DNS and HTTPS down)" "$out" \
        "secure match=mx0.bulk$i.load.test servername=hostname"
done
ctl2 --json show bulk02999.load.test
expect_eq "bulk load: the last record keeps its id" "$(json_get "$OUT" 'o["id"]')" b2999
ctl2 load "$WORK/bulk.jsonl"
expect_eq "bulk load again: everything is cached as new" "$OUT" "loaded 0, skipped 3000, rejected 0"

# Rejections and skips on both sides of batch boundaries keep their lines.
gen_load "$WORK/mixed.jsonl" 98:good:mix 1:bad 27:good:mix 2:bad 40:good:mix 1:expired \
    80:good:mix 1:bad 150:good:mix
ctl2 load "$WORK/mixed.jsonl"
expect_eq "mixed load: counts" "$ERR" "mtastsd-ctl: loaded 395, skipped 1, rejected 4"
expect_eq "mixed load: rejected lines named across batches" \
    "$(printf '%s\n' "$OUT" | sed 's/: rejected: .*//' | tr '\n' ' ')" \
    "line 100 line 128 line 129 line 251 "
ctl2 --json show mix00394.load.test
expect_eq "mixed load: the last record is stored" "$(json_get "$OUT" 'o["id"]')" b394

note "the same domain twice in one batch: the later record counts as before"
gen_load "$WORK/dup.jsonl" rec:dup.load.test:d1:100 3:good:fill rec:dup.load.test:d2:50 \
    rec:older.load.test:x2:50 rec:older.load.test:x1:100 \
    rec:same.load.test:y1:100 rec:same.load.test:y2:100 \
    rec:dup.load.test:d3:20
ctl2 load "$WORK/dup.jsonl"
expect_eq "duplicate load: counts as record by record" "$OUT" "loaded 8, skipped 2, rejected 0"
ctl2 --json show dup.load.test
expect_eq "a newer later record replaces the earlier one" "$(json_get "$OUT" 'o["id"]')" d3
ctl2 --json show older.load.test
expect_eq "an older later record is skipped" "$(json_get "$OUT" 'o["id"]')" x2
ctl2 --json show same.load.test
expect_eq "a later record fetched at the same time is skipped" "$(json_get "$OUT" 'o["id"]')" y1

note "a load that stops keeps exactly what it reported"
gen_load "$WORK/stop.jsonl" rec:stop1.load.test:s1:10 rec:stop2.load.test:s2:10 \
    rec:stop3.load.test:s3:10
head -c 300000 /dev/zero | tr '\0' 'x' >>"$WORK/stop.jsonl"
echo >>"$WORK/stop.jsonl"
"$PYTHON" - "$SECOND/control.sock" "$WORK/stop.jsonl" >"$WORK/stop.out" 2>&1 <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(20)
s.connect(sys.argv[1])
s.sendall(b"MTASTSD-CTL 1 text load\n")
try:
    s.sendall(open(sys.argv[2], "rb").read() + b".\n")
except OSError:
    pass
out = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
except OSError:
    pass
sys.stdout.write(out.decode("latin-1"))
PYEOF
expect_eq "an oversize record after three good ones in the same batch" "$(tail -n 1 "$WORK/stop.out")" \
    "ERR line 5: record longer than 262144 bytes; load stopped after 3 loaded"
ctl2 --json show stop3.load.test
expect_eq "the records before it were written" "$(json_get "$OUT" 'o["id"]')" s3
note "a batch that cannot be written: ERR, and 'loaded N so far' is exact"
SMALL=$WORK/small
mkdir -p "$SMALL/state"
cat >"$SMALL/mtastsd.conf" <<EOF
listen = unix:$SMALL/mtastsd.sock
control_socket = $SMALL/control.sock
state_dir = $SMALL/state
cache_max_size = 1M
dns_servers = 127.0.0.1
ca_file = $CA_FILE
log_level = info
EOF
"$MTASTSD" -f -c "$SMALL/mtastsd.conf" >>"$SMALL/mtastsd.log" 2>&1 &
SMALL_PID=$!
lib_track "$SMALL_PID"
wait_for 10 test -S "$SMALL/control.sock" || die "small mtastsd did not start: $(tail -5 "$SMALL/mtastsd.log")"
gen_load "$WORK/full.jsonl" 600:big:full
OUT=$("$CTL" -s "$SMALL/control.sock" load "$WORK/full.jsonl" 2>&1)
RC=$?
expect_eq "a load into a full 1 MiB cache: exit 1" "$RC" 1
full_re='cache write failed for the ([0-9]+) records of lines ([0-9]+)-([0-9]+) \(([a-z0-9.]+) first\), none of them stored; loaded ([0-9]+) so far'
if [[ $OUT =~ $full_re ]]; then
    lib_result 0 "the full cache names the batch that was not stored"
    k=${BASH_REMATCH[1]} first=${BASH_REMATCH[2]} last=${BASH_REMATCH[3]}
    dom=${BASH_REMATCH[4]} n=${BASH_REMATCH[5]}
    note "loaded $n, then the batch of lines $first-$last ($k records) did not fit"
    expect_eq "the failed batch is the records of its lines" "$((last - first + 1))" "$k"
    expect_eq "loaded so far = the records before the failed batch" "$n" "$((first - 2))"
    expect_true "some batches were committed before it" test "$n" -gt 0
    OUT=$("$CTL" -s "$SMALL/control.sock" status 2>&1)
    expect_eq "the cache holds exactly the records reported loaded" \
        "$(printf '%s\n' "$OUT" | sed -n 's/^cache_entries *//p')" "$n"
    expect_false "the first record of the failed batch is not stored" \
        "$CTL" -s "$SMALL/control.sock" show "$dom"
    expect_true "the record before the failed batch is stored" \
        "$CTL" -s "$SMALL/control.sock" show "$(printf 'full%05d.load.test' $((n - 1)))"
else
    lib_result 1 "the full cache names the batch that was not stored" "mtastsd-ctl said: ${OUT:0:400}"
fi
kill -TERM "$SMALL_PID"
wait "$SMALL_PID"
expect_eq "small mtastsd exits with status 0" "$?" 0
lib_untrack "$SMALL_PID"

kill -TERM "$SECOND_PID"
wait "$SECOND_PID"
expect_eq "second mtastsd exits with status 0" "$?" 0
lib_untrack "$SECOND_PID"

note "exit codes"
expect_ctl_err "no command: usage, exit 2" 2 'usage' 
expect_ctl_err "unknown command: exit 2" 2 "unknown command 'frobnicate'" frobnicate
expect_ctl_err "unknown option: exit 2" 2 'usage' --bogus status
OUT=$("$CTL" -s "$WORK/nothere.sock" status 2>&1)
expect_eq "unreachable socket: exit 3" "$?" 3
expect_eq "unreachable: clear message" "$OUT" \
    "mtastsd-ctl: mtastsd is not running (cannot connect to $WORK/nothere.sock: No such file or directory)"
OUT=$("$CTL" -c "$WORK/missing.conf" status 2>&1)
expect_eq "a missing -c file: exit 2" "$?" 2
mtastsd_stop
expect_ctl_err "daemon stopped: exit 3" 3 'mtastsd is not running' status
expect_false "the control socket is removed at shutdown" test -e "$CTL_SOCK"

finish

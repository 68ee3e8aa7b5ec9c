# tests/integration/lib_check.sh - helpers for the tests of mtastsd-ctl
# check (test_check.sh, test_check_mx.sh).
# shellcheck shell=bash disable=SC2034  # variables are for the sourcing scripts
#
# Sourced after lib.sh.  Provides:
#   $CTL                the mtastsd-ctl binary ($MTASTSD_CTL overrides)
#   $TS                 a _mta-sts record with a timestamp id
#   pol MODE MAX_AGE MX...   a policy body
#   $OUTD               where the runs' outputs go; $WORK/empty.conf exists
#   run_text / run_json / run_check DOMAIN
#                       "$CTL" "${OPTS[@]}" [--json] check DOMAIN into
#                       $OUTD/DOMAIN.{txt,rc,err} and .{json,jrc,jerr}
#                       (the caller sets the OPTS array)
#   q JSONFILE validate|find NAME SEV REGEX [FIX_REGEX]|detail NAME KEY|eval EXPR
#   expect_rc DOMAIN WANT         both runs exit WANT; the JSON is one
#                                 valid object (every item has name,
#                                 severity, message, fix, details; counts
#                                 and result agree; printable ASCII only)
#   expect_finding DOMAIN NAME SEVERITY REGEX [FIX_REGEX]
#                                 in the text (aligned line, fix under it)
#                                 and in the JSON
#   expect_detail DOMAIN NAME KEY WANT   the first such item's detail

CTL=${MTASTSD_CTL:-$top_builddir/mtastsd-ctl}
[ -x "$CTL" ] || die "mtastsd-ctl binary $CTL not found (build it first)"

TS='v=STSv1; id=20261203063000Z'

pol() { # MODE MAX_AGE MX...: a policy body
    local mode=$1 age=$2 m
    shift 2
    printf 'version: STSv1\nmode: %s\n' "$mode"
    for m in "$@"; do
        printf 'mx: %s\n' "$m"
    done
    printf 'max_age: %s\n' "$age"
}

OUTD=$WORK/check
mkdir -p "$OUTD"
: >"$WORK/empty.conf"

# run_check DOMAIN: text and JSON runs into $OUTD/DOMAIN.{txt,json,rc,jrc,err}
run_text() {
    "$CTL" "${OPTS[@]}" check "$1" >"$OUTD/$1.txt" 2>"$OUTD/$1.err"
    echo $? >"$OUTD/$1.rc"
}
run_json() {
    "$CTL" "${OPTS[@]}" --json check "$1" >"$OUTD/$1.json" 2>"$OUTD/$1.jerr"
    echo $? >"$OUTD/$1.jrc"
}
run_check() {
    run_text "$1"
    run_json "$1"
}

cat >"$WORK/q.py" <<'EOF'
import json, re, sys
path, cmd = sys.argv[1], sys.argv[2]
text = open(path).read()
doc = json.loads(text)  # the whole output is one JSON value (not JSON lines)
items = doc["items"]
if cmd == "validate":
    assert isinstance(doc, dict), "not one object"
    assert set(doc) == {"domain", "result", "counts", "items"}, sorted(doc)
    sevs = ("ok", "warning", "error")
    for i in items:
        assert set(i) == {"name", "severity", "message", "fix", "details"}, sorted(i)
        assert i["severity"] in sevs and isinstance(i["message"], str) and i["message"]
        assert i["fix"] is None or (isinstance(i["fix"], str) and i["fix"])
        assert isinstance(i["details"], dict)
        for s in [i["message"], i["fix"] or ""] + [json.dumps(i["details"])]:
            assert all(0x20 <= ord(c) < 0x7f for c in s), "unsafe byte in %r" % s
    for s in sevs:
        assert doc["counts"][s] == sum(1 for i in items if i["severity"] == s), s
    worst = max((sevs.index(i["severity"]) for i in items), default=0)
    assert doc["result"] == sevs[worst], doc["result"]
elif cmd == "find":  # NAME SEVERITY REGEX [FIX_REGEX]
    name, sev, rx = sys.argv[3:6]
    fx = sys.argv[6] if len(sys.argv) > 6 else None
    ok = [i for i in items if i["name"] == name and i["severity"] == sev
          and re.search(rx, i["message"])]
    if fx is not None:
        ok = [i for i in ok if i["fix"] and re.search(fx, i["fix"])]
    sys.exit(0 if ok else 1)
elif cmd == "detail":  # NAME KEY: the first such item's detail, lists joined
    name, key = sys.argv[3:5]
    for i in items:
        if i["name"] == name and key in i["details"]:
            v = i["details"][key]
            print(", ".join(map(str, v)) if isinstance(v, list) else v)
            break
elif cmd == "eval":
    print(eval(sys.argv[3], {"o": doc, "items": items}))
EOF
q() { "$PYTHON" "$WORK/q.py" "$@"; }

# expect_rc DOMAIN WANT: both runs exit WANT; the JSON is one valid object
expect_rc() {
    local d=$1 want=$2 rc jrc
    rc=$(cat "$OUTD/$d.rc")
    jrc=$(cat "$OUTD/$d.jrc")
    if [ "$rc:$jrc" = "$want:$want" ]; then
        lib_result 0 "check $d: exit $want (text and --json)"
    else
        lib_result 1 "check $d: exit $want (text and --json)" \
            "rc=$rc json rc=$jrc; $(cat "$OUTD/$d.err" "$OUTD/$d.jerr" | head -c 300); $(head -c 1500 "$OUTD/$d.txt")"
    fi
    if q "$OUTD/$d.json" validate >"$WORK/validate.out" 2>&1; then
        lib_result 0 "check $d: --json is one valid object"
    else
        lib_result 1 "check $d: --json is one valid object" "$(tail -n 3 "$WORK/validate.out")"
    fi
}

# expect_finding DOMAIN NAME SEVERITY REGEX [FIX_REGEX]: in the text
# (aligned line, fix line under it) and in the JSON
expect_finding() {
    local d=$1 name=$2 sev=$3 rx=$4 fx=${5:-} ok=0 line textre
    # "^..." anchors at the start of the message column
    textre="^  $sev +$(lib_re_quote "$name") +.*$rx"
    [ "${rx:0:1}" = "^" ] && textre="^  $sev +$(lib_re_quote "$name") +${rx:1}"
    line=$(grep -E -- "$textre" "$OUTD/$d.txt" | head -n 1)
    [ -n "$line" ] || ok=1
    if [ -n "$fx" ] && [ "$ok" = 0 ]; then
        grep -A1 -F -- "$line" "$OUTD/$d.txt" | tail -n 1 | grep -qE -- "^ +fix: .*$fx" || ok=1
    fi
    if [ "$ok" = 0 ]; then
        if [ -n "$fx" ]; then
            q "$OUTD/$d.json" find "$name" "$sev" "$rx" "$fx" || ok=1
        else
            q "$OUTD/$d.json" find "$name" "$sev" "$rx" || ok=1
        fi
    fi
    lib_result "$ok" "check $d: $sev $name ~ /$rx/${fx:+ fix ~ /$fx/}" \
        "text: $(grep -E "^  [a-z]+ +$(lib_re_quote "$name") " "$OUTD/$d.txt" | head -n 3 | tr '\n' '|')"
}

expect_detail() { # DOMAIN NAME KEY WANT
    expect_eq "check $1: $2 details $3" "$(q "$OUTD/$1.json" detail "$2" "$3")" "$4"
}


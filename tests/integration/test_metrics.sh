#!/bin/bash
# test_metrics.sh - the Prometheus metrics (issue 13), scraped by Debian's
# real Prometheus inside the namespace world.
#
#   1. The endpoint: GET /metrics passes "promtool check metrics" (format
#      0.0.4 and its lint), HEAD has no body, other paths 404, other methods
#      405, garbage 400, a body 413.
#   2. A Prometheus server (scrape_interval 1s, the alert rules of
#      contrib/prometheus loaded) scrapes mtastsd on loopback while queries
#      go through postmap: its HTTP API then says sum(mtastsd_queries_total)
#      is the number of queries sent, and the verdicts, maps, cache
#      lookups, fetch outcomes, DNS answers, the duration histograms and
#      the cache gauges are what the world makes them, and agree with
#      "mtastsd-ctl stats"; up and mtastsd_build_info are 1.
#   3. Failing refreshes: two failed refreshes of a cached policy make
#      mtastsd_refresh_failing_domains 1 and "mtastsd-ctl list failing"
#      name the domain; a good refresh takes it back.
#   4. A restart: the census walk counts the cache again (same gauges).
#   5. "mtastsd-ctl stats --prometheus" passes promtool, has every family
#      of the endpoint but process_*, and refuses --json.
#   6. contrib/: "promtool check rules" and "promtool test rules"
#      (mtastsd-rules.test.yml); the dashboard and the rules name only
#      metrics of the live exposition, and doc/metrics.md names them all
#      (tests/tools/check_metric_refs.py).
. "$(dirname "$0")/lib.sh"

lib_need prometheus promtool curl
CTL=${MTASTSD_CTL:-$top_builddir/mtastsd-ctl}
[ -x "$CTL" ] || die "mtastsd-ctl binary $CTL not found (build it first)"
MPORT=9461
PPORT=9090
MURL=http://127.0.0.1:$MPORT/metrics
PROM=http://127.0.0.1:$PPORT

world_domain good.test --txt 'v=STSv1; id=1'
world_domain tst.test --txt 'v=STSv1; id=1' \
    --policy "$(printf 'version: STSv1\nmode: testing\nmx: mx.tst.test\nmax_age: 86400\n')"
world_domain none.test
world_domain bad.test --txt 'v=STSv1; id=1' --status 404
world_domain flap.test --txt 'v=STSv1; id=1'
world_start

mtastsd_start "${MTASTSD_FAST[@]}" metrics_listen=inet:127.0.0.1:$MPORT
SECURE_GOOD="secure match=mx.good.test servername=hostname"
VERSION=$("$MTASTSD" -V | awk '{ print $2 }')

ctl() { "$CTL" -s "$CTL_SOCK" "$@"; }
counter() { ctl stats 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'; }

# ---------------------------------------------------------------- 1
note "1. the endpoint"
curl -s -D "$WORK/h0" -o "$WORK/m0" "$MURL"
expect_true "GET /metrics passes promtool check metrics" sh -c "promtool check metrics <'$WORK/m0'"
expect_true "200 with the exposition content type" \
    grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' "$WORK/h0"
expect_true "every response closes the connection" grep -qi '^Connection: close' "$WORK/h0"
expect_true "the build is named" grep -q "^mtastsd_build_info{version=\"$VERSION\"} 1\$" "$WORK/m0"
curl -s -I "$MURL" | tr -d '\r' >"$WORK/h1"
expect_true "HEAD /metrics: 200" grep -q '^HTTP/1.1 200 OK$' "$WORK/h1"
expect_true "HEAD /metrics: the Content-Length of the body" grep -qi '^Content-Length: [1-9][0-9]*$' "$WORK/h1"
expect_eq "HEAD has no body" "$(curl -s --head "$MURL" -o /dev/null -w '%{size_download}')" 0
expect_eq "/ is 404" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/")" 404
expect_eq "/metricsx is 404" "$(curl -s -o /dev/null -w '%{http_code}' "${MURL}x")" 404
expect_eq "a query string is ignored" "$(curl -s -o /dev/null -w '%{http_code}' "$MURL?x=1")" 200
expect_eq "POST is 405" "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "$MURL")" 405
expect_eq "a GET with a body is 413" \
    "$(curl -s -o /dev/null -w '%{http_code}' -X GET --data-binary abc "$MURL")" 413
garbage=$("$PYTHON" "$LIB_DIR/http_hostile.py" --port "$MPORT" garbage 1)
expect_eq "garbage is 400" "$garbage" "conns=1 codes=400:1 closed=0"

# ---------------------------------------------------------------- 2
note "2. a real Prometheus scrapes it"
mkdir -p "$WORK/prom"
cp "$top_srcdir/contrib/prometheus/mtastsd-rules.yml" "$WORK/prom/"
cat >"$WORK/prom/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - mtastsd-rules.yml
scrape_configs:
  - job_name: mtastsd
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
EOF
prometheus --config.file="$WORK/prom/prometheus.yml" --storage.tsdb.path="$WORK/prom/data" \
    --web.listen-address=127.0.0.1:$PPORT >"$WORK/prom/log" 2>&1 &
PROM_PID=$!
lib_track "$PROM_PID"
prom_ready() { curl -sf "$PROM/-/ready" >/dev/null; }
wait_for 30 prom_ready || die "prometheus did not come up: $(tail -5 "$WORK/prom/log")"

# promq QUERY: the value of a one-element instant vector ("" if none)
promq() {
    curl -s -G "$PROM/api/v1/query" --data-urlencode "query=$1" | "$PYTHON" -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
if len(r) == 1:
    v = r[0]["value"][1]
    print(int(float(v)) if float(v) == int(float(v)) else v)'
}
promq_is() { [ "$(promq "$1")" = "$2" ]; }
expect_prom() { # DESC QUERY WANT
    local got
    got=$(promq "$2")
    expect_eq "$1 ($2)" "$got" "$3"
}
expect_prom_ge() { # DESC QUERY MIN
    local got
    got=$(promq "$2")
    expect_true "$1 ($2 = ${got:-none} >= $3)" test "${got:-0}" -ge "$3"
}

expect_true "Prometheus scrapes mtastsd (up == 1)" wait_for 15 promq_is 'up{job="mtastsd"}' 1
expect_prom "the build info is scraped" "mtastsd_build_info{version=\"$VERSION\"}" 1

sent=0
for _ in 1 2 3 4 5; do
    expect_reply good.test "$SECURE_GOOD"
    sent=$((sent + 1))
done
for _ in 1 2 3; do
    expect_reply_re good.test '^secure match=mx.good.test servername=hostname policy_type=sts ' \
        mtasts-tlsrpt
    sent=$((sent + 1))
done
for d in tst.test tst.test tst.test none.test none.test none.test none.test bad.test bad.test \
    '[192.0.2.1]'; do
    expect_notfound "$d"
    sent=$((sent + 1))
done
expect_perm good.test nosuchmap
sent=$((sent + 1))
expect_eq "queries sent" "$sent" 19

expect_true "Prometheus sees every query (sum(mtastsd_queries_total) == $sent)" \
    wait_for 20 promq_is 'sum(mtastsd_queries_total)' "$sent"
expect_prom "secure answers" 'sum(mtastsd_queries_total{verdict="secure"})' 8
expect_prom "notfound answers" 'sum(mtastsd_queries_total{verdict="notfound"})' 10
expect_prom "no TEMP" 'sum(mtastsd_queries_total{verdict="temp"})' 0
expect_prom "the tlsrpt map" 'sum(mtastsd_queries_total{map="mtasts_tlsrpt"})' 3
expect_prom "an unknown map is PERM" 'mtastsd_queries_total{map="unknown",verdict="perm"}' 1
expect_prom "every query is in the latency histogram" 'mtastsd_query_duration_seconds_count' 19
expect_prom "its +Inf bucket is the count" \
    'sum(mtastsd_query_duration_seconds_bucket{le="+Inf"}) - sum(mtastsd_query_duration_seconds_count)' 0
expect_prom "a p99 below 30 s can be computed" \
    'histogram_quantile(0.99, sum by (le) (mtastsd_query_duration_seconds_bucket)) < bool 30' 1
# an IP literal and the unknown map do not look in the cache
expect_prom "cache lookups" 'sum(mtastsd_cache_lookups_total)' 17
expect_prom "negative hits: none.test after its first query" \
    'mtastsd_cache_lookups_total{result="negative_hit"}' 3
expect_prom "misses: one per domain, and bad.test each time (back-off)" \
    'mtastsd_cache_lookups_total{result="miss"}' 5
hits=$(counter cache_hits)
misses=$(counter cache_misses)
expect_prom "hits agree with mtastsd-ctl stats" \
    'sum(mtastsd_cache_lookups_total{result=~"hit|negative_hit"})' "$hits"
expect_prom "misses agree with mtastsd-ctl stats" 'mtastsd_cache_lookups_total{result="miss"}' \
    "$misses"
expect_prom "two policies fetched" 'mtastsd_fetches_total{result="ok"}' 2
expect_prom "agrees with fetch_ok" 'mtastsd_fetches_total{result="ok"}' "$(counter fetch_ok)"
expect_prom_ge "none.test has no record" 'mtastsd_fetches_total{result="no-record"}' 1
expect_prom_ge "bad.test answers 404" 'mtastsd_fetches_total{result="http-status"}' 1
expect_prom "every fetch is in the duration histogram" \
    'sum(mtastsd_fetch_duration_seconds_count) - sum(mtastsd_fetches_total)' 0
expect_prom_ge "TXT answers with records" 'mtastsd_dns_queries_total{type="TXT",result="ok"}' 4
expect_prom_ge "none.test's TXT: NXDOMAIN" 'mtastsd_dns_queries_total{type="TXT",result="nxdomain"}' 1
expect_prom_ge "A lookups of the policy hosts" 'mtastsd_dns_queries_total{type="A",result="ok"}' 3
expect_prom "no job left" 'sum(mtastsd_fetch_jobs)' 0
expect_prom "cached enforce policies" 'mtastsd_cache_policies{mode="enforce"}' 1
expect_prom "cached testing policies" 'mtastsd_cache_policies{mode="testing"}' 1
expect_prom "negative entries" 'mtastsd_cache_negative_entries' 1
expect_prom "cache entries (bad.test keeps its failure)" 'mtastsd_cache_entries' 4
expect_prom "the used bytes are within the map" \
    'mtastsd_cache_used_bytes <= bool mtastsd_cache_map_size_bytes' 1
expect_prom_ge "file descriptors counted" 'process_open_fds' 5
expect_prom_ge "resident memory counted" 'process_resident_memory_bytes' 1000000
expect_prom "no downgrade yet" 'sum(mtastsd_policy_downgrades_total)' 0
rules=$(curl -s "$PROM/api/v1/rules" | "$PYTHON" -c '
import json, sys
g = json.load(sys.stdin)["data"]["groups"]
print(" ".join(sorted(r["name"] for x in g for r in x["rules"])))')
expect_eq "Prometheus loaded the alert rules" "$rules" \
    "MtastsdCacheNearlyFull MtastsdDown MtastsdPolicyDowngrade MtastsdQueryTimeouts MtastsdRefreshFailing MtastsdShedding MtastsdTempAnswers"
firing=$(curl -s "$PROM/api/v1/alerts" | "$PYTHON" -c '
import json, sys
print(len([a for a in json.load(sys.stdin)["data"]["alerts"] if a["state"] != "inactive"]))')
expect_eq "no alert is pending or firing" "$firing" 0

# ---------------------------------------------------------------- 3
note "3. failing refreshes"
expect_reply flap.test "secure match=mx.flap.test servername=hostname"
world_set_status flap.test 500
expect_false "a refresh of flap.test fails" ctl refresh flap.test
expect_eq "one failure is not 'failing'" "$(ctl list failing 2>/dev/null)" ""
expect_false "a second refresh of flap.test fails" ctl refresh flap.test
expect_true "list failing names flap.test" sh -c "'$CTL' -s '$CTL_SOCK' list failing | grep -q '^flap.test '"
expect_eq "and only flap.test" "$(ctl list failing 2>/dev/null | wc -l)" 1
expect_true "Prometheus: mtastsd_refresh_failing_domains 1" \
    wait_for 10 promq_is mtastsd_refresh_failing_domains 1
expect_prom "two failed refreshes" 'mtastsd_refreshes_total{result="failed"}' 2
expect_reply flap.test "secure match=mx.flap.test servername=hostname" # still in force
world_set_status flap.test
expect_true "a good refresh" ctl refresh flap.test
expect_eq "list failing is empty again" "$(ctl list failing 2>/dev/null)" ""
expect_true "Prometheus: mtastsd_refresh_failing_domains 0" \
    wait_for 10 promq_is mtastsd_refresh_failing_domains 0
expect_prom "the good refresh counted" 'mtastsd_refreshes_total{result="ok"}' 1

# ---------------------------------------------------------------- 4
note "4. after a restart the census walk counts the cache again"
before=$(curl -s "$MURL" | grep -E '^mtastsd_(cache_policies|cache_negative_entries|refresh_failing_domains)' | sort)
mtastsd_restart
census_back() { curl -s "$MURL" | grep -q '^mtastsd_cache_negative_entries '; }
expect_true "the cache gauges are back after the walk" wait_for 10 census_back
after=$(curl -s "$MURL" | grep -E '^mtastsd_(cache_policies|cache_negative_entries|refresh_failing_domains)' | sort)
expect_eq "the same cache gauges as before the restart" "$after" "$before"
expect_true "Prometheus scrapes the restarted daemon" wait_for 15 promq_is \
    'sum(mtastsd_queries_total) == bool 0' 1

# ---------------------------------------------------------------- 5
note "5. mtastsd-ctl stats --prometheus"
have_expired() { curl -s "$MURL" | grep -q '^mtastsd_cache_expired_policies '; }
expect_true "a refresh pass has ended (the expired gauge is known)" wait_for 10 have_expired
ctl stats --prometheus >"$WORK/ctl.prom"
expect_true "stats --prometheus passes promtool check metrics" \
    sh -c "promtool check metrics <'$WORK/ctl.prom'"
curl -s "$MURL" >"$WORK/m1"
fams() { sed -n 's/^# TYPE \([^ ]*\) .*/\1/p' "$1" | sort; }
expect_eq "the same families as the endpoint, without process_*" "$(fams "$WORK/ctl.prom")" \
    "$(fams "$WORK/m1" | grep -v '^process_')"
expect_false "no process_* family" grep -q '^process_' "$WORK/ctl.prom"
expect_true "stats --prometheus says 'DATA' nowhere" sh -c "! grep -q DATA '$WORK/ctl.prom'"
"$CTL" -s "$CTL_SOCK" --json stats --prometheus >/dev/null 2>"$WORK/ctl.err"
expect_eq "--json stats --prometheus is a usage error" "$?" 2
"$CTL" -s "$CTL_SOCK" stats --prom >/dev/null 2>&1
expect_eq "stats with another argument is a usage error" "$?" 2

# ---------------------------------------------------------------- 6
note "6. contrib/prometheus and contrib/grafana"
expect_true "promtool check rules contrib/prometheus/mtastsd-rules.yml" \
    promtool check rules "$top_srcdir/contrib/prometheus/mtastsd-rules.yml"
expect_true "promtool test rules (every alert fires when it should)" \
    sh -c "cd '$LIB_DIR' && promtool test rules mtastsd-rules.test.yml"
expect_true "the scrape snippet is a valid Prometheus configuration" \
    promtool check config --syntax-only "$top_srcdir/contrib/prometheus/scrape.yml"
if "$PYTHON" "$top_srcdir/tests/tools/check_metric_refs.py" "$WORK/m1" \
    --dashboard "$top_srcdir/contrib/grafana/mtastsd.json" --schema-version 38 \
    --rules "$top_srcdir/contrib/prometheus/mtastsd-rules.yml" \
    --doc "$top_srcdir/doc/metrics.md" >"$WORK/refs.out" 2>&1; then
    lib_result 0 "the dashboard, the rules and doc/metrics.md name exactly the metrics ($(tail -1 "$WORK/refs.out"))"
else
    lib_result 1 "the dashboard, the rules and doc/metrics.md name exactly the metrics" \
        "$(grep -A1 '^not ok' "$WORK/refs.out" | head -20)"
fi

mtastsd_stop
finish

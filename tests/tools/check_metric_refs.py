#!/usr/bin/env python3
"""check_metric_refs.py - the dashboard, the alert rules and doc/metrics.md
name only metrics that exist, and the doc names every metric.

    check_metric_refs.py EXPOSITION --dashboard JSON --schema-version N
                         --rules YAML... --doc MARKDOWN

EXPOSITION is a live scrape of mtastsd's metrics endpoint (every family
known: census complete, a refresh pass done).  Checks, each printed as
"ok"/"not ok" lines, exit status 1 on any failure:
  - the dashboard parses as JSON, names the Grafana schemaVersion given,
    has the job and instance template variables, and every panel query
    names only metrics of the exposition (histogram series by their
    _bucket/_sum/_count names) or Prometheus's own "up";
  - every "expr:" of the rule files does the same;
  - doc/metrics.md lists every family of the exposition, and names no
    mtastsd_* or process_* metric that does not exist.
Standard library only (no YAML module: rule expressions are read from
their "expr:" lines, including folded ">-" blocks).
"""
import argparse
import json
import re
import sys

NAME = re.compile(r"\b((?:mtastsd|process)_[a-z0-9_]+|up)\b")
FAILED = 0
N = 0


def result(ok, desc, detail=""):
    global FAILED, N
    N += 1
    print(("ok" if ok else "not ok") + " - " + desc)
    if not ok:
        FAILED += 1
        if detail:
            print("#   " + detail)


def exposition_names(path):
    families, series = {}, set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"# TYPE (\S+) (\S+)", line)
            if m:
                families[m.group(1)] = m.group(2)
                continue
            if line.startswith("#") or not line.strip():
                continue
            series.add(re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0))
    names = set(series)
    for fam, typ in families.items():
        if typ == "histogram":
            names.update(fam + s for s in ("_bucket", "_sum", "_count"))
        else:
            names.add(fam)
    return families, names


def expr_names(expr):
    # label values and strings are not names
    expr = re.sub(r'"[^"]*"', '""', expr)
    # names inside by (...) / without (...) / on (...) are labels
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    return set(NAME.findall(expr))


def rule_exprs(path):
    exprs, lines = [], open(path, encoding="utf-8").read().splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"(\s*)expr:\s*(.*)$", lines[i])
        if not m:
            i += 1
            continue
        indent, rest = len(m.group(1)), m.group(2)
        if rest in (">-", ">", "|", "|-"):
            body = []
            i += 1
            while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
                body.append(lines[i].strip())
                i += 1
            exprs.append(" ".join(body))
        else:
            exprs.append(rest)
            i += 1
    return exprs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("exposition")
    ap.add_argument("--dashboard", required=True)
    ap.add_argument("--schema-version", type=int, required=True)
    ap.add_argument("--rules", nargs="+", required=True)
    ap.add_argument("--doc", required=True)
    a = ap.parse_args()

    families, names = exposition_names(a.exposition)
    result(len(families) >= 30, "the exposition has the metric families (%d)" % len(families))
    names.add("up")

    try:
        dash = json.load(open(a.dashboard, encoding="utf-8"))
        result(True, "%s parses as JSON" % a.dashboard)
    except (OSError, ValueError) as e:
        result(False, "%s parses as JSON" % a.dashboard, str(e))
        return
    result(dash.get("schemaVersion") == a.schema_version,
           "the dashboard targets Grafana schemaVersion %d" % a.schema_version,
           "schemaVersion is %r" % dash.get("schemaVersion"))
    var_names = {v.get("name") for v in dash.get("templating", {}).get("list", [])}
    result({"job", "instance"} <= var_names, "the dashboard has job and instance variables",
           "variables: %s" % sorted(var_names))
    exprs = []
    for p in dash.get("panels", []):
        for t in p.get("targets", []):
            exprs.append((p.get("title"), t.get("expr", "")))
            if "$job" not in t.get("expr", "") or "$instance" not in t.get("expr", ""):
                result(False, "panel '%s' selects by $job and $instance" % p.get("title"), t.get("expr"))
    result(len(exprs) >= 20, "the dashboard has its panel queries (%d)" % len(exprs))
    used = set()
    for title, e in exprs:
        found = expr_names(e)
        used |= found
        unknown = sorted(found - names)
        result(found and not unknown, "panel '%s' names only existing metrics" % title,
               "unknown: %s in %s" % (unknown, e))
    for needed in ("mtastsd_queries_total", "mtastsd_query_duration_seconds_bucket",
                   "mtastsd_fetches_total", "mtastsd_refreshes_total", "mtastsd_cache_used_bytes",
                   "mtastsd_connections", "mtastsd_query_timeouts_total"):
        result(needed in used, "the dashboard shows %s" % needed)

    for path in a.rules:
        rexprs = rule_exprs(path)
        result(len(rexprs) >= 5, "%s: expressions found (%d)" % (path, len(rexprs)))
        for e in rexprs:
            found = expr_names(e)
            unknown = sorted(found - names)
            result(found and not unknown, "rule '%s' names only existing metrics" % e[:60],
                   "unknown: %s" % unknown)

    doc = open(a.doc, encoding="utf-8").read()
    for fam in sorted(families):
        result(re.search(r"\b%s\b" % re.escape(fam), doc) is not None,
               "%s documents %s" % (a.doc, fam))
    stale = sorted({n for n in re.findall(r"\b(?:mtastsd|process)_[a-z0-9_]+\b", doc)
                    if n not in names and n not in families})
    result(not stale, "%s names no metric that does not exist" % a.doc, "stale: %s" % stale)

    print("%d of %d checks failed" % (FAILED, N) if FAILED else "all %d checks passed" % N)
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()

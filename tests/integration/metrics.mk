# tests/integration/metrics.mk: the Prometheus metrics (issue 13): the
# endpoint, a real Prometheus scraping it, mtastsd-ctl stats --prometheus,
# the contrib rules and dashboard checked against the live exposition
# (test_metrics.sh); hostile clients on the metrics port
# (test_metrics_hostile.sh); policy downgrades of each kind
# (test_downgrade.sh).
METRICS_TESTS = \
	tests/integration/test_metrics.sh \
	tests/integration/test_metrics_hostile.sh \
	tests/integration/test_downgrade.sh

TESTS += $(METRICS_TESTS)
EXTRA_DIST += $(METRICS_TESTS) \
	tests/integration/http_hostile.py \
	tests/integration/mtastsd-rules.test.yml \
	tests/tools/check_metric_refs.py

# man/: the manual pages, and the example files installed with the
# documentation (the example configuration, the Postfix snippets, the
# Prometheus scrape snippet and alert rules, the Grafana dashboard), and
# the list of metrics.
dist_man_MANS += man/mtastsd.8 man/mtastsd.conf.5 man/mtastsd-ctl.8

exampledir = $(docdir)/examples
dist_example_DATA = contrib/mtastsd.conf.example

postfixexampledir = $(docdir)/examples/postfix
dist_postfixexample_DATA = \
	contrib/postfix/README \
	contrib/postfix/main.cf-postfix-3.4-to-3.9 \
	contrib/postfix/main.cf-postfix-3.10-and-later \
	contrib/postfix/main.cf-dane \
	contrib/postfix/unbound-dane.conf \
	contrib/postfix/mtastsd-chroot.service.conf \
	contrib/postfix/mtastsd-chroot.tmpfiles

prometheusexampledir = $(docdir)/examples/prometheus
dist_prometheusexample_DATA = \
	contrib/prometheus/scrape.yml \
	contrib/prometheus/mtastsd-rules.yml

grafanaexampledir = $(docdir)/examples/grafana
dist_grafanaexample_DATA = contrib/grafana/mtastsd.json

dist_doc_DATA = doc/metrics.md

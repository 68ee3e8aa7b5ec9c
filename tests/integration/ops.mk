# tests/integration/ops.mk: what an operator installs and reads: the man
# pages document exactly the configuration keys of the code, lint clean;
# "make install DESTDIR=..." installs everything; systemd accepts the unit.
TESTS += tests/integration/test_ops.sh
EXTRA_DIST += tests/integration/test_ops.sh

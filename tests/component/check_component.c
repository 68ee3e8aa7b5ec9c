/*
 * check_component - the component tests of the event-driven core: the
 * real fetch, lookup, refresh, smap, cache, verdict and reply code on a
 * real libevent loop and a real LMDB, with a fake clock and fake dns and
 * https adapters (tests/component/harness.h).  No network, no namespace:
 * "make check" runs it in seconds.
 *
 * Each test runs in its own process (Check's fork mode), so the fakes'
 * process-wide scripts start empty.  COMPONENT_LOG=debug shows the
 * modules' log lines on stderr.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdlib.h>

Suite *fakes_suite(void);
Suite *fetch_suite(void);
Suite *lookup_suite(void);
Suite *metrics_suite(void);
Suite *dane_suite(void);
Suite *refresh_suite(void);
Suite *smap_suite(void);

int main(void)
{
    SRunner *sr = srunner_create(fakes_suite());
    srunner_add_suite(sr, fetch_suite());
    srunner_add_suite(sr, lookup_suite());
    srunner_add_suite(sr, metrics_suite());
    srunner_add_suite(sr, dane_suite());
    srunner_add_suite(sr, refresh_suite());
    srunner_add_suite(sr, smap_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

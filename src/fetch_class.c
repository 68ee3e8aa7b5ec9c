/*
 * fetch_class - the names of the fetch outcome classes (fetch.h), apart
 * from fetch.c so that pure code (the metrics renderer, its tests) can
 * name them without linking the fetch state machine.  The names are
 * public: they appear in log lines, "mtastsd-ctl stats" (with '_' for
 * '-') and the result label of mtastsd_fetches_total.
 */
#include "autoconfig.h"

#include <stddef.h>

#include "fetch.h"

static const char *const fetch_class_names[FETCH_CLASS__COUNT] = {
    [FETCH_OK] = "ok",
    [FETCH_UNCHANGED] = "unchanged",
    [FETCH_NO_RECORD] = "no-record",
    [FETCH_DNS_TEMPFAIL] = "dns-tempfail",
    [FETCH_BACKOFF] = "backoff",
    [FETCH_NO_ADDRESS] = "no-address",
    [FETCH_CONNECT] = "connect",
    [FETCH_TLS] = "tls",
    [FETCH_CERT] = "certificate",
    [FETCH_REDIRECT] = "redirect",
    [FETCH_HTTP_STATUS] = "http-status",
    [FETCH_MEDIA_TYPE] = "media-type",
    [FETCH_TOO_LARGE] = "too-large",
    [FETCH_TIMEOUT] = "timeout",
    [FETCH_PARSE] = "policy-invalid",
    [FETCH_INTERNAL] = "internal",
    [FETCH_HTTPS_OTHER] = "https-other",
};

const char *fetch_class_name(enum fetch_class c)
{
    if ((unsigned)c < FETCH_CLASS__COUNT && fetch_class_names[c] != NULL)
        return fetch_class_names[c];
    return "unknown";
}

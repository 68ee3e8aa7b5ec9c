/*
 * floor - the resident memory any libcurl + OpenSSL client pays here: the
 * floor under mtastsd's "VmRSS after priming" (bench/README).
 *
 *     floor -c CA_FILE [-r HOST:PORT:ADDR]... URL
 *
 * Linked with exactly mtastsd's libraries (DAEMON_LIBS: libevent, c-ares,
 * libcurl, OpenSSL, LMDB, libidn2, jansson), so the same shared objects
 * are mapped; it calls only libcurl.  It runs curl_global_init(), one
 * HTTPS GET of URL with the easy interface (CA_FILE as the only trust
 * anchor, as mtastsd's ca_file; -r entries go to CURLOPT_RESOLVE, so no
 * DNS is needed), frees the easy handle and prints one line:
 *
 *     floor http=200 bytes=N init_rss_kb=N init_anon_kb=N rss_kb=N anon_kb=N hwm_kb=N
 *
 * init_* are VmRSS and RssAnon from /proc/self/status right after
 * curl_global_init(); rss_kb, anon_kb and hwm_kb (VmRSS, RssAnon, VmHWM)
 * after the GET.  The body is counted, not kept (at most 1 MiB is read).
 *
 * Exit status 0 when the GET returned HTTP 200, 1 otherwise (with curl's
 * error on stderr).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#define FLOOR_MAX_RESOLVE 8
#define FLOOR_MAX_BODY    (1024 * 1024)

static void fail(const char *what)
{
    fprintf(stderr, "floor: %s\n", what);
    exit(1);
}

/* One /proc/self/status figure in kB, or -1. */
static long status_kb(const char *field)
{
    char line[256];
    size_t n = strlen(field);
    long v = -1;
    FILE *f = fopen("/proc/self/status", "r");

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            v = strtol(line + n + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

static size_t count_body(char *data, size_t size, size_t nmemb, void *userp)
{
    size_t *len = userp;
    size_t n = size * nmemb;

    (void)data;
    if (n > FLOOR_MAX_BODY - *len)
        return 0;
    *len += n;
    return n;
}

int main(int argc, char **argv)
{
    const char *ca = NULL;
    struct curl_slist *resolve = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    size_t nresolve = 0, len = 0;
    long code = 0;
    int opt;

    while ((opt = getopt(argc, argv, "c:r:")) != -1) {
        switch (opt) {
        case 'c':
            ca = optarg;
            break;
        case 'r':
            if (++nresolve > FLOOR_MAX_RESOLVE)
                fail("too many -r");
            resolve = curl_slist_append(resolve, optarg);
            if (resolve == NULL)
                fail("out of memory");
            break;
        default:
            fail("usage: floor -c CA_FILE [-r HOST:PORT:ADDR]... URL");
        }
    }
    if (ca == NULL || optind != argc - 1)
        fail("usage: floor -c CA_FILE [-r HOST:PORT:ADDR]... URL");

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        fail("curl_global_init failed");
    long init_rss = status_kb("VmRSS"), init_anon = status_kb("RssAnon");

    CURL *e = curl_easy_init();
    if (e == NULL)
        fail("curl_easy_init failed");
    int ok = 1;
#define SET(o, v) ok &= curl_easy_setopt(e, o, v) == CURLE_OK
    SET(CURLOPT_URL, argv[optind]);
    SET(CURLOPT_PROTOCOLS_STR, "https");
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_CAINFO, ca);
    SET(CURLOPT_CAPATH, NULL);
    SET(CURLOPT_PROXY, "");
    SET(CURLOPT_RESOLVE, resolve);
    SET(CURLOPT_TIMEOUT, 30L);
    SET(CURLOPT_WRITEFUNCTION, count_body);
    SET(CURLOPT_WRITEDATA, &len);
#undef SET
    if (!ok)
        fail("curl_easy_setopt failed");
    CURLcode rc = curl_easy_perform(e);
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(e);
    curl_slist_free_all(resolve);
    if (rc != CURLE_OK) {
        fprintf(stderr, "floor: %s: %s\n", argv[optind],
                errbuf[0] ? errbuf : curl_easy_strerror(rc));
        return 1;
    }

    printf("floor http=%ld bytes=%zu init_rss_kb=%ld init_anon_kb=%ld rss_kb=%ld anon_kb=%ld "
           "hwm_kb=%ld\n",
           code, len, init_rss, init_anon, status_kb("VmRSS"), status_kb("RssAnon"),
           status_kb("VmHWM"));
    curl_global_cleanup();
    return code == 200 ? 0 : 1;
}

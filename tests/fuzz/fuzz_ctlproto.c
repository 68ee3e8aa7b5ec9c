/*
 * fuzz_ctlproto - libFuzzer harness for the control protocol's parsers
 * (src/ctlproto.c): request lines (server side), reply lines (client
 * side) and "load" records, the hostile input of "mtastsd-ctl load".
 *
 * The first byte chooses the parser; the rest is the line.  Invariants:
 * an accepted request re-formats and re-parses to the same words; an
 * accepted load record holds a policy valid at `now` that encodes as a
 * cache entry, its domain normalises to itself, and its own dump line
 * (ctlview_entry_json) loads back to the same domain and encoding.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"
#include "ctlrecord.h"
#include "ctlview.h"
#include "domain.h"
#include "entry.h"
#include "verdict.h"

#define FUZZ_NOW 1700000000 /* 2023-11-14, as in check_control */

static void fuzz_request(const char *line, size_t len)
{
    static struct ctlproto_request req, again;
    if (ctlproto_request_parse(line, len, &req) != CTLPROTO_OK)
        return;
    char out[CTLPROTO_LINE_MAX + 2];
    size_t n =
        ctlproto_request_format(out, sizeof(out), req.format, req.command, req.argv, req.argc);
    if (n == 0)
        return; /* e.g. the line used a version we do not write */
    if (n < 1 || out[n - 1] != '\n' || ctlproto_request_parse(out, n - 1, &again) != CTLPROTO_OK)
        abort();
    if (strcmp(again.command, req.command) != 0 || again.argc != req.argc)
        abort();
    for (size_t i = 0; i < req.argc; i++)
        if (strcmp(again.argv[i], req.argv[i]) != 0)
            abort();
}

static void fuzz_reply(const char *line, size_t len)
{
    const char *text = NULL;
    size_t tlen = 0;
    enum ctlproto_reply r = ctlproto_reply_parse(line, len, &text, &tlen);
    if (r != CTLPROTO_R_INVALID && tlen > 0 && (text < line || text + tlen > line + len))
        abort();
}

static void fuzz_record(const char *line, size_t len)
{
    char domain[DOMAIN_BUFSZ], err[256];
    struct entry e;
    entry_init(&e);
    if (ctlrecord_parse(line, len, FUZZ_NOW, 86400, domain, &e, err, sizeof(err)) != CTLRECORD_OK) {
        entry_clear(&e);
        return;
    }
    char norm[DOMAIN_BUFSZ];
    if (e.policy == NULL || !verdict_policy_valid(&e, FUZZ_NOW) ||
        domain_normalize_key(domain, strlen(domain), norm) != DOMAIN_KEY_OK ||
        strcmp(norm, domain) != 0)
        abort();
    size_t need = entry_encode(&e, NULL, 0);
    if (need == 0)
        abort();
    unsigned char *a = malloc(need);
    if (a == NULL || entry_encode(&e, a, need) != need)
        abort();

    char *json = ctlview_entry_json(domain, &e, FUZZ_NOW, NULL);
    if (json == NULL)
        abort();
    char domain2[DOMAIN_BUFSZ];
    struct entry e2;
    entry_init(&e2);
    if (ctlrecord_parse(json, strlen(json), FUZZ_NOW, 86400, domain2, &e2, err, sizeof(err)) !=
            CTLRECORD_OK ||
        strcmp(domain, domain2) != 0)
        abort();
    if (entry_encode(&e2, NULL, 0) == 0)
        abort();
    free(json);
    free(a);
    entry_clear(&e2);
    entry_clear(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 300000)
        return 0;
    const char *line = (const char *)data + 1;
    size_t len = size - 1;
    switch (data[0] % 3) {
    case 0:
        fuzz_request(line, len);
        break;
    case 1:
        fuzz_reply(line, len);
        break;
    default:
        fuzz_record(line, len);
        break;
    }
    return 0;
}

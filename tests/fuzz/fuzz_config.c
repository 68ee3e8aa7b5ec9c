/*
 * fuzz_config - libFuzzer harness for the config parser.
 *
 * Each input is loaded with config_load_buffer() into a fresh default
 * config.  Invariants checked beyond "no crash, no leak":
 *  - a failed load leaves the config exactly as it was (printed text
 *    unchanged) and writes a "NAME:..." message;
 *  - after a successful load, config_print() output loads into a fresh
 *    config and prints identically (the "mtastsd -n" round trip);
 *  - the first line of the input, given to config_set_option() as "-o"
 *    text, either fails or yields a config that round-trips the same way.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* config_print() into a malloc'ed string. */
static char *print_config(const struct config *c, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (f == NULL)
        abort();
    config_print(c, f);
    if (fclose(f) != 0)
        abort();
    return buf;
}

/* Print c, load the text into a fresh config, print again: both texts must match. */
static void check_round_trip(const struct config *c)
{
    char err[512];
    size_t len1, len2;
    char *text1 = print_config(c, &len1);
    struct config *d = config_new();
    if (!config_load_buffer(d, "printed", text1, len1, err, sizeof(err))) {
        fprintf(stderr, "printed config does not load: %s\n%s", err, text1);
        abort();
    }
    char *text2 = print_config(d, &len2);
    if (len1 != len2 || memcmp(text1, text2, len1) != 0) {
        fprintf(stderr, "round trip differs:\n%s---\n%s", text1, text2);
        abort();
    }
    free(text1);
    free(text2);
    config_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    size_t len0, len1;

    struct config *c = config_new();
    char *before = print_config(c, &len0);
    err[0] = '\0';
    if (config_load_buffer(c, "fuzz", (const char *)data, size, err, sizeof(err))) {
        check_round_trip(c);
    } else {
        char *after = print_config(c, &len1);
        if (len0 != len1 || memcmp(before, after, len0) != 0 || strncmp(err, "fuzz:", 5) != 0)
            abort();
        free(after);
    }
    config_free(c);
    free(before);

    /* The first line as a "-o key=value" option. */
    size_t n = 0;
    while (n < size && n < 8192 && data[n] != '\n' && data[n] != '\0')
        n++;
    char *opt = malloc(n + 1);
    if (opt == NULL)
        abort();
    memcpy(opt, data, n);
    opt[n] = '\0';
    c = config_new();
    if (config_set_option(c, opt, err, sizeof(err)))
        check_round_trip(c);
    config_free(c);
    free(opt);
    return 0;
}

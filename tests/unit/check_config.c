/*
 * check_config - unit tests for src/config.c.
 *
 * Table-driven; each row is one rule:
 *  - every key's built-in default (as printed and as a typed field);
 *  - the duration, size and bool parsers, valid and invalid rows;
 *  - config_set() for every key and type: accepted values with the value
 *    printed back, rejected values with the reason (and the config left
 *    unchanged), bounds on both sides;
 *  - files: syntax (spacing, comments, CRLF, last-wins), and errors that
 *    name FILE:LINE (unknown key, bad value, NUL, long lines, control
 *    bytes, binary junk, oversize files), all-or-nothing loading;
 *  - "-o key=value" parsing;
 *  - config_print() order and the print -> load -> print round trip;
 *  - config_load_file() on missing, unreadable and real files, and the
 *    shipped contrib/mtastsd.conf.example.
 */
#include "autoconfig.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define S(lit) lit, sizeof(lit) - 1

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

/* ---- helpers ---- */

static char *print_config(const struct config *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    config_print(c, f);
    ck_assert_int_eq(fclose(f), 0);
    return buf;
}

/* The printed value of key (without "key = "), in buf. */
static const char *printed_value(const struct config *c, const char *key, char *buf, size_t bufsz)
{
    char *text = print_config(c);
    char pattern[128];
    snprintf(pattern, sizeof(pattern), "%s =", key);
    size_t plen = strlen(pattern);
    const char *found = NULL;
    for (const char *line = text; *line != '\0';) {
        const char *nl = strchr(line, '\n');
        ck_assert_ptr_nonnull(nl);
        if (strncmp(line, pattern, plen) == 0) {
            ck_assert_msg(found == NULL, "key %s printed twice", key);
            const char *v = line + plen;
            if (*v == ' ')
                v++;
            snprintf(buf, bufsz, "%.*s", (int)(nl - v), v);
            found = buf;
        }
        line = nl + 1;
    }
    free(text);
    ck_assert_msg(found != NULL, "key %s not printed", key);
    return found;
}

/* ---- defaults ---- */

struct default_row {
    const char *key;
    const char *printed;
};

static const struct default_row default_rows[] = {
    {"listen", "unix:/run/mtastsd/mtastsd.sock"},
    {"socket_mode", "0666"},
    {"socket_owner", ""},
    {"socket_group", ""},
    {"control_socket", "/run/mtastsd/control.sock"},
    {"control_socket_mode", "0600"},
    {"control_socket_group", ""},
    {"metrics_listen", ""},
    {"state_dir", "/var/lib/mtastsd"},
    {"cache_max_size", "1G"},
    {"dns_servers", ""},
    {"ca_file", ""},
    {"https_proxy", ""},
    {"user", ""},
    {"group", ""},
    {"pidfile", ""},
    {"query_timeout", "10s"},
    {"dns_timeout", "5s"},
    {"https_connect_timeout", "10s"},
    {"https_timeout", "30s"},
    {"idle_timeout", "1m"},
    {"request_timeout", "5s"},
    {"max_connections", "1024"},
    {"max_fetches", "256"},
    {"max_queued_fetches", "1024"},
    {"negative_ttl", "30m"},
    {"recheck_interval", "5m"},
    {"refresh_interval", "1d"},
    {"dns_error", "notfound"},
    {"strict_testing", "no"},
    {"dane", "off"},
    {"dane_probe_name", "."},
    {"log_level", "info"},
};
#define N_DEFAULT_ROWS (int)(sizeof(default_rows) / sizeof(default_rows[0]))

START_TEST(test_default_printed)
{
    const struct default_row *r = &default_rows[_i];
    struct config *c = config_new();
    char buf[256];
    ck_assert_str_eq(printed_value(c, r->key, buf, sizeof(buf)), r->printed);
    config_free(c);
}
END_TEST

START_TEST(test_default_fields)
{
    struct config *c = config_new();
    ck_assert_str_eq(c->listen, "unix:/run/mtastsd/mtastsd.sock");
    ck_assert_uint_eq(c->socket_mode, 0666);
    ck_assert_str_eq(c->socket_owner, "");
    ck_assert_str_eq(c->socket_group, "");
    ck_assert_str_eq(c->control_socket, "/run/mtastsd/control.sock");
    ck_assert_uint_eq(c->control_socket_mode, 0600);
    ck_assert_str_eq(c->control_socket_group, "");
    ck_assert_str_eq(c->metrics_listen, "");
    ck_assert_str_eq(c->state_dir, "/var/lib/mtastsd");
    ck_assert_uint_eq(c->cache_max_size, 1024ULL * 1024 * 1024);
    ck_assert_str_eq(c->dns_servers, "");
    ck_assert_str_eq(c->ca_file, "");
    ck_assert_str_eq(c->https_proxy, "");
    ck_assert_str_eq(c->user, "");
    ck_assert_str_eq(c->group, "");
    ck_assert_str_eq(c->pidfile, "");
    ck_assert_int_eq(c->query_timeout, 10);
    ck_assert_int_eq(c->dns_timeout, 5);
    ck_assert_int_eq(c->https_connect_timeout, 10);
    ck_assert_int_eq(c->https_timeout, 30);
    ck_assert_int_eq(c->idle_timeout, 60);
    ck_assert_int_eq(c->request_timeout, 5);
    ck_assert_uint_eq(c->max_connections, 1024);
    ck_assert_uint_eq(c->max_fetches, 256);
    ck_assert_uint_eq(c->max_queued_fetches, 1024);
    ck_assert_int_eq(c->negative_ttl, 30 * 60);
    ck_assert_int_eq(c->recheck_interval, 5 * 60);
    ck_assert_int_eq(c->refresh_interval, 86400);
    ck_assert_int_eq(c->dns_error, CONFIG_DNS_ERROR_NOTFOUND);
    ck_assert(!c->strict_testing);
    ck_assert_int_eq(c->dane, CONFIG_DANE_OFF);
    ck_assert_str_eq(c->dane_probe_name, ".");
    ck_assert_int_eq(c->log_level, LOG_LEVEL_INFO);
    config_free(c);
    config_free(NULL);
}
END_TEST

/* Every key has a default row and every default row is a key. */
START_TEST(test_key_names)
{
    size_t n = 0;
    while (config_key_name(n) != NULL) {
        const char *name = config_key_name(n);
        bool listed = false;
        for (int i = 0; i < N_DEFAULT_ROWS; i++)
            listed |= strcmp(default_rows[i].key, name) == 0;
        ck_assert_msg(listed, "key %s has no default row", name);
        for (size_t j = 0; j < n; j++)
            ck_assert_str_ne(config_key_name(j), name);
        n++;
    }
    ck_assert_uint_eq(n, N_DEFAULT_ROWS);
    for (size_t i = 0; i < n; i++) {
        const char *d = config_key_description(i);
        ck_assert_msg(d != NULL && strlen(d) > 10 && strchr(d, '\n') == NULL,
                      "key %s lacks a description", config_key_name(i));
    }
    ck_assert_ptr_null(config_key_description(n));
    ck_assert_ptr_null(config_key_name(n + 1));
    ck_assert_ptr_null(config_key_name(SIZE_MAX));
}
END_TEST

/* ---- value parsers ---- */

struct duration_row {
    const char *in;
    bool ok;
    int64_t want;
};

static const struct duration_row duration_rows[] = {
    {"10", true, 10},
    {"10s", true, 10},
    {"10S", true, 10},
    {"5m", true, 300},
    {"1h", true, 3600},
    {"1d", true, 86400},
    {"0", true, 0},
    {"0s", true, 0},
    {"007", true, 7},
    {"9223372036854775807", true, INT64_MAX},
    {"106751991167300d", true, 106751991167300LL * 86400},
    {"106751991167301d", false, 0},        /* overflows int64 after the multiply */
    {"9223372036854775808", false, 0},     /* INT64_MAX + 1 */
    {"99999999999999999999999", false, 0}, /* overflows uint64 while reading */
    {"", false, 0},
    {"s", false, 0},
    {"10x", false, 0},
    {"10ss", false, 0},
    {"10ms", false, 0},
    {"10m5s", false, 0},
    {"1.5h", false, 0},
    {"-1", false, 0},
    {"+1", false, 0},
    {" 10", false, 0},
    {"10 ", false, 0},
    {"1 0", false, 0},
    {"0x10", false, 0},
    {"1w", false, 0},
    {"\xef\xbc\x91", false, 0}, /* fullwidth digit one */
};

START_TEST(test_parse_duration)
{
    const struct duration_row *r = &duration_rows[_i];
    int64_t got = -12345;
    bool ok = config_parse_duration(r->in, &got);
    ck_assert_msg(ok == r->ok, "'%s': expected %s", r->in, r->ok ? "ok" : "failure");
    if (r->ok)
        ck_assert_int_eq(got, r->want);
    else
        ck_assert_int_eq(got, -12345);
}
END_TEST

struct size_row {
    const char *in;
    bool ok;
    uint64_t want;
};

static const struct size_row size_rows[] = {
    {"0", true, 0},
    {"1024", true, 1024},
    {"1K", true, 1024},
    {"1k", true, 1024},
    {"1M", true, 1024 * 1024},
    {"3m", true, 3 * 1024 * 1024},
    {"1G", true, 1024ULL * 1024 * 1024},
    {"2g", true, 2ULL * 1024 * 1024 * 1024},
    {"18446744073709551615", true, UINT64_MAX},
    {"17179869183G", true, 17179869183ULL * 1024 * 1024 * 1024},
    {"17179869184G", false, 0}, /* 2^64 */
    {"18446744073709551616", false, 0},
    {"", false, 0},
    {"K", false, 0},
    {"1T", false, 0},
    {"1KB", false, 0},
    {"1KiB", false, 0},
    {"-1", false, 0},
    {" 1", false, 0},
    {"1 ", false, 0},
    {"1.5G", false, 0},
};

START_TEST(test_parse_size)
{
    const struct size_row *r = &size_rows[_i];
    uint64_t got = 12345;
    bool ok = config_parse_size(r->in, &got);
    ck_assert_msg(ok == r->ok, "'%s': expected %s", r->in, r->ok ? "ok" : "failure");
    ck_assert_uint_eq(got, r->ok ? r->want : 12345);
}
END_TEST

struct bool_row {
    const char *in;
    bool ok;
    bool want;
};

static const struct bool_row bool_rows[] = {
    {"yes", true, true}, {"no", true, false},    {"true", true, true},     {"false", true, false},
    {"on", true, true},  {"off", true, false},   {"1", true, true},        {"0", true, false},
    {"YES", true, true}, {"Off", true, false},   {"", false, false},       {"y", false, false},
    {"2", false, false}, {"yes ", false, false}, {"enable", false, false}, {"nope", false, false},
};

START_TEST(test_parse_bool)
{
    const struct bool_row *r = &bool_rows[_i];
    bool got = !r->want;
    bool ok = config_parse_bool(r->in, &got);
    ck_assert_msg(ok == r->ok, "'%s': expected %s", r->in, r->ok ? "ok" : "failure");
    if (r->ok)
        ck_assert(got == r->want);
}
END_TEST

START_TEST(test_parse_null)
{
    int64_t d;
    uint64_t s;
    bool b;
    ck_assert(!config_parse_duration(NULL, &d));
    ck_assert(!config_parse_size(NULL, &s));
    ck_assert(!config_parse_bool(NULL, &b));
}
END_TEST

/* ---- config_set(): every key, every type ---- */

/* Paths of 107 bytes (the sun_path limit) and 108 bytes. */
#define A10  "aaaaaaaaaa"
#define P107 "/" A10 A10 A10 A10 A10 A10 A10 A10 A10 A10 "aaaaaa"
#define P108 P107 "a"
#define N64  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

struct set_row {
    const char *key;
    const char *value;
    bool ok;
    const char *want; /* printed value when ok, part of the message otherwise */
};

static const struct set_row set_rows[] = {
    /* listen */
    {"listen", "unix:/a/b.sock", true, "unix:/a/b.sock"},
    {"listen", "inet:127.0.0.1:10025", true, "inet:127.0.0.1:10025"},
    {"listen", "inet:[::1]:25", true, "inet:[::1]:25"},
    {"listen", "inet:0.0.0.0:65535", true, "inet:0.0.0.0:65535"},
    {"listen", "unix:/a  \tinet:[::]:1", true, "unix:/a inet:[::]:1"},
    {"listen", "unix:" P107, true, "unix:" P107},
    {"listen", "unix:" P108, false, "unix listener path longer than 107 bytes"},
    {"listen", "", false, "at least one listener"},
    {"listen", "unix:", false, "expected unix:/PATH or inet:ADDR:PORT"},
    {"listen", "unix:relative.sock", false, "must be absolute"},
    {"listen", "tcp:1.2.3.4:25", false, "expected unix:/PATH"},
    {"listen", "/run/x.sock", false, "expected unix:/PATH"},
    {"listen", "inet:localhost:25", false, "numeric IPv4 or [IPv6]"},
    {"listen", "inet:127.0.0.1", false, "numeric IPv4"},
    {"listen", "inet:127.0.0.1:0", false, "port must be 1-65535"},
    {"listen", "inet:127.0.0.1:65536", false, "port must be 1-65535"},
    {"listen", "inet:127.0.0.1:", false, "port must be 1-65535"},
    {"listen", "inet:127.0.0.1:25x", false, "port must be 1-65535"},
    {"listen", "inet:127.0.0.1:000025", false, "port must be 1-65535"},
    {"listen", "inet:127.1:25", false, "numeric IPv4"},
    {"listen", "inet:[::1]", false, "numeric IPv4"},
    {"listen", "inet:[::1", false, "numeric IPv4"},
    {"listen", "inet:::1:25", false, "numeric IPv4"},
    {"listen", "inet:[::1]x25", false, "numeric IPv4"},
    {"listen", "inet:[1.2.3.4]:25", false, "numeric IPv4"},
    {"listen", "inet::25", false, "numeric IPv4"},
    {"listen", "unix:/a inet:1.2.3.4", false, "numeric IPv4"},
    /* dns_servers */
    {"dns_servers", "", true, ""},
    {"dns_servers", "192.0.2.1", true, "192.0.2.1"},
    {"dns_servers", "192.0.2.1:5353", true, "192.0.2.1:5353"},
    {"dns_servers", "192.0.2.1,198.51.100.2", true, "192.0.2.1,198.51.100.2"},
    {"dns_servers", "192.0.2.1, 198.51.100.2", true, "192.0.2.1,198.51.100.2"},
    {"dns_servers", "2001:db8::1", true, "2001:db8::1"},
    {"dns_servers", "[2001:db8::1]", true, "[2001:db8::1]"},
    {"dns_servers", "[2001:db8::1]:53", true, "[2001:db8::1]:53"},
    {"dns_servers", "[::1]:0", false, "expected numeric ADDR"},
    {"dns_servers", "[::1]53", false, "expected numeric ADDR"},
    {"dns_servers", "[::1", false, "expected numeric ADDR"},
    {"dns_servers", "[1.2.3.4]", false, "expected numeric ADDR"},
    {"dns_servers", "192.0.2.1:", false, "expected numeric ADDR"},
    {"dns_servers", "192.0.2.1:70000", false, "expected numeric ADDR"},
    {"dns_servers", "192.0.2.1:53:53", false, "expected numeric ADDR"},
    {"dns_servers", "dns.google", false, "expected numeric ADDR"},
    {"dns_servers", "192.0.2.1 198.51.100.2", false, "expected numeric ADDR"},
    {"dns_servers", "192.0.2.1,,198.51.100.2", false, "empty server"},
    {"dns_servers", ",192.0.2.1", false, "empty server"},
    {"dns_servers", "192.0.2.1,", false, "empty server"},
    /* modes */
    {"socket_mode", "0660", true, "0660"},
    {"socket_mode", "660", true, "0660"},
    {"socket_mode", "0", true, "0000"},
    {"socket_mode", "7777", true, "07777"},
    {"socket_mode", "000000666", true, "0666"},
    {"socket_mode", "10000", false, "expected an octal mode"},
    {"socket_mode", "0888", false, "expected an octal mode"},
    {"socket_mode", "", false, "expected an octal mode"},
    {"socket_mode", "-1", false, "expected an octal mode"},
    {"socket_mode", "u+rw", false, "expected an octal mode"},
    {"control_socket_mode", "0660", true, "0660"},
    {"control_socket_mode", "08", false, "expected an octal mode"},
    /* user and group names */
    {"socket_owner", "postfix", true, "postfix"},
    {"socket_group", "mail-users", true, "mail-users"},
    {"control_socket_group", "adm", true, "adm"},
    /* metrics_listen: inet only, empty is off */
    {"metrics_listen", "", true, ""},
    {"metrics_listen", "inet:127.0.0.1:9461", true, "inet:127.0.0.1:9461"},
    {"metrics_listen", "inet:127.0.0.1:9461\t inet:[::1]:9461", true,
     "inet:127.0.0.1:9461 inet:[::1]:9461"},
    {"metrics_listen", "unix:/run/m.sock", false, "TCP only"},
    {"metrics_listen", "inet:localhost:9461", false, "numeric IPv4 or [IPv6]"},
    {"metrics_listen", "inet:127.0.0.1:0", false, "port must be 1-65535"},
    {"metrics_listen", "127.0.0.1:9461", false, "TCP only"},
    {"user", "_mtastsd", true, "_mtastsd"},
    {"user", "host$", true, "host$"},
    {"user", N64, true, N64},
    {"user", N64 "a", false, "longer than 64 bytes"},
    {"user", "a b", false, "expected a user or group name"},
    {"user", "a:b", false, "expected a user or group name"},
    {"user", "-x", false, "expected a user or group name"},
    {"user", "a$b", false, "expected a user or group name"},
    {"group", "../x", false, "expected a user or group name"},
    {"group", "", true, ""},
    /* paths */
    {"control_socket", "/run/x.sock", true, "/run/x.sock"},
    {"control_socket", P107, true, P107},
    {"control_socket", P108, false, "socket path longer than 107 bytes"},
    {"control_socket", "", true, ""}, /* empty disables the control socket */
    {"control_socket", "x.sock", false, "expected an absolute path"},
    {"state_dir", "/srv/mta sts", true, "/srv/mta sts"},
    {"state_dir", "/var/lib/a#b", true, "/var/lib/a#b"},
    {"state_dir", "", false, "expected an absolute path"},
    {"state_dir", "var/lib", false, "expected an absolute path"},
    {"state_dir", "/var/lib #x", false, "would start a comment"},
    {"state_dir", "#x", false, "would start a comment"},
    {"state_dir", "/x\n", false, "control character"},
    {"state_dir", "/x\ny = 1", false, "control character"},
    {"state_dir", "/x\x1b[0m", false, "control character"},
    {"state_dir", "/x\x7f", false, "control character"},
    {"state_dir", " /x", false, "leading or trailing blanks"},
    {"ca_file", "", true, ""},
    {"ca_file", "/etc/ssl/certs/ca-certificates.crt", true, "/etc/ssl/certs/ca-certificates.crt"},
    {"ca_file", "ca.pem", false, "expected an absolute path or nothing"},
    {"pidfile", "", true, ""},
    {"pidfile", "/run/mtastsd.pid", true, "/run/mtastsd.pid"},
    {"pidfile", "run.pid", false, "expected an absolute path"},
    /* proxy */
    {"https_proxy", "", true, ""},
    {"https_proxy", "http://proxy.example:3128", true, "http://proxy.example:3128"},
    {"https_proxy", "socks5h://127.0.0.1:1080", true, "socks5h://127.0.0.1:1080"},
    {"https_proxy", "HTTPS://[2001:db8::1]:443/", true, "HTTPS://[2001:db8::1]:443/"},
    {"https_proxy", "proxy:3128", false, "expected a URL"},
    {"https_proxy", "ftp://proxy", false, "expected a URL"},
    {"https_proxy", "http://", false, "expected a URL"},
    {"https_proxy", "http:///x", false, "expected a URL"},
    {"https_proxy", "http://a b", false, "without spaces"},
    {"https_proxy", "http://\xc3\xa9", false, "without spaces"},
    /* sizes */
    {"cache_max_size", "1M", true, "1M"},
    {"cache_max_size", "1048576", true, "1M"},
    {"cache_max_size", "1536M", true, "1536M"},
    {"cache_max_size", "2048M", true, "2G"},
    {"cache_max_size", "1049600", true, "1025K"},
    {"cache_max_size", "1048577", true, "1048577"},
    {"cache_max_size", "1024G", true, "1024G"},
    {"cache_max_size", "1048575", false, "must be between 1M and 1024G"},
    {"cache_max_size", "512K", false, "must be between 1M and 1024G"},
    {"cache_max_size", "1025G", false, "must be between 1M and 1024G"},
    {"cache_max_size", "0", false, "must be between"},
    {"cache_max_size", "1T", false, "expected a size like 512M, 1G"},
    {"cache_max_size", "lots", false, "expected a size"},
    /* durations and their bounds */
    {"query_timeout", "1", true, "1s"},
    {"query_timeout", "60s", true, "1m"},
    {"query_timeout", "100", true, "100s"},
    {"query_timeout", "0", false, "must be between 1s and 100s"},
    {"query_timeout", "101", false, "must be between 1s and 100s"},
    {"query_timeout", "2m", false, "must be between 1s and 100s"},
    {"query_timeout", "abc", false, "expected a duration like 10s, 5m"},
    {"query_timeout", "", false, "expected a duration"},
    {"dns_timeout", "1h", true, "1h"},
    {"dns_timeout", "3601", false, "must be between 1s and 1h"},
    {"dns_timeout", "0s", false, "must be between 1s and 1h"},
    {"https_connect_timeout", "90", true, "90s"},
    {"https_connect_timeout", "0", false, "must be between 1s and 1h"},
    {"https_connect_timeout", "2h", false, "must be between 1s and 1h"},
    {"https_timeout", "3600s", true, "1h"},
    {"https_timeout", "0", false, "must be between 1s and 1h"},
    {"https_timeout", "1d", false, "must be between 1s and 1h"},
    {"idle_timeout", "10s", true, "10s"},
    {"idle_timeout", "0", false, "must be between 1s and 1h"},
    {"idle_timeout", "61m", false, "must be between 1s and 1h"},
    {"negative_ttl", "0", true, "0s"},
    {"negative_ttl", "1d", true, "1d"},
    {"negative_ttl", "86401", false, "must be between 0s and 1d"},
    {"negative_ttl", "-1", false, "expected a duration"},
    {"recheck_interval", "0", true, "0s"},
    {"recheck_interval", "90s", true, "90s"},
    {"recheck_interval", "2d", false, "must be between 0s and 1d"},
    {"refresh_interval", "1h", true, "1h"},
    {"refresh_interval", "90m", true, "90m"},
    {"refresh_interval", "24h", true, "1d"},
    {"refresh_interval", "59m", false, "must be between 1h and 1d"},
    {"refresh_interval", "25h", false, "must be between 1h and 1d"},
    {"refresh_interval", "0", false, "must be between 1h and 1d"},
    {"refresh_interval", "9223372036854775807", false, "must be between 1h and 1d"},
    {"refresh_interval", "9223372036854775808", false, "expected a duration"},
    /* unsigned integers */
    {"max_connections", "1", true, "1"},
    {"max_connections", "1000000", true, "1000000"},
    {"max_connections", "0", false, "must be between 1 and 1000000"},
    {"max_connections", "1000001", false, "must be between 1 and 1000000"},
    {"max_connections", "4294967297", false, "must be between 1 and 1000000"},
    {"max_connections", "99999999999999999999999", false, "expected a number"},
    {"max_connections", "-5", false, "expected a number"},
    {"max_connections", "1e3", false, "expected a number"},
    {"max_connections", "0x10", false, "expected a number"},
    {"max_fetches", "100000", true, "100000"},
    {"max_fetches", "100001", false, "must be between 1 and 100000"},
    {"max_fetches", "0", false, "must be between 1 and 100000"},
    {"max_queued_fetches", "1", true, "1"},
    {"max_queued_fetches", "1000000", true, "1000000"},
    {"max_queued_fetches", "0", false, "must be between 1 and 1000000"},
    {"max_queued_fetches", "1000001", false, "must be between 1 and 1000000"},
    {"request_timeout", "1", true, "1s"},
    {"request_timeout", "1h", true, "1h"},
    {"request_timeout", "0", false, "must be between 1s and 1h"},
    {"request_timeout", "3601", false, "must be between 1s and 1h"},
    /* enums and bools */
    {"dns_error", "defer", true, "defer"},
    {"dns_error", "notfound", true, "notfound"},
    {"dns_error", "DEFER", true, "defer"},
    {"dns_error", "tempfail", false, "expected notfound or defer"},
    {"dns_error", "", false, "expected notfound or defer"},
    {"strict_testing", "yes", true, "yes"},
    {"strict_testing", "on", true, "yes"},
    {"strict_testing", "false", true, "no"},
    {"strict_testing", "maybe", false, "expected yes or no"},
    {"dane", "on", true, "on"},
    {"dane", "OFF", true, "off"},
    {"dane", "yes", false, "expected off or on"},
    {"dane", "", false, "expected off or on"},
    {"dane_probe_name", "dane.test", true, "dane.test"},
    {"dane_probe_name", "selfcheck.dnssec.invalid.", true, "selfcheck.dnssec.invalid."},
    {"dane_probe_name", "_25._tcp.mx.example.", true, "_25._tcp.mx.example."},
    {"dane_probe_name", "", false, "expected a DNS name such as . or example.com"},
    {"dane_probe_name", "a..b", false, "expected a DNS name such as . or example.com"},
    {"dane_probe_name", "..", false, "expected a DNS name such as . or example.com"},
    {"dane_probe_name", "a b", false, "expected a DNS name such as . or example.com"},
    {"dane_probe_name", "ex\\ample.com", false, "expected a DNS name such as . or example.com"},
    {"dane_probe_name", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
     false, "expected a DNS name such as . or example.com"},
    {"log_level", "debug", true, "debug"},
    {"log_level", "warning", true, "warning"},
    {"log_level", "error", true, "error"},
    {"log_level", "Info", true, "info"},
    {"log_level", "verbose", false, "expected error or warning or info or debug"},
    /* unknown keys */
    {"nosuch", "1", false, "unknown key 'nosuch'"},
    {"", "1", false, "unknown key ''"},
    {"Listen", "unix:/x", false, "unknown key 'Listen'"},
    {"listen ", "unix:/x", false, "unknown key 'listen '"},
    {"key\x1b[2J", "1", false, "unknown key 'key?[2J'"},
};

START_TEST(test_set)
{
    const struct set_row *r = &set_rows[_i];
    struct config *c = config_new();
    char *before = print_config(c);
    char err[512] = "";
    bool ok = config_set(c, r->key, r->value, err, sizeof(err));
    ck_assert_msg(ok == r->ok, "%s = '%s': expected %s, got %s (%s)", r->key, r->value,
                  r->ok ? "ok" : "failure", ok ? "ok" : "failure", err);
    if (r->ok) {
        char buf[512];
        ck_assert_str_eq(printed_value(c, r->key, buf, sizeof(buf)), r->want);
    } else {
        ck_assert_msg(strstr(err, r->want) != NULL, "'%s' not in '%s'", r->want, err);
        ck_assert_msg(strchr(err, '\n') == NULL && strchr(err, '\x1b') == NULL,
                      "unsafe message '%s'", err);
        char *after = print_config(c);
        ck_assert_str_eq(after, before);
        free(after);
    }
    free(before);
    config_free(c);
}
END_TEST

/* The exact message for a bad value from config_set. */
START_TEST(test_set_message)
{
    struct config *c = config_new();
    char err[512];
    ck_assert(!config_set(c, "query_timeout", "abc", err, sizeof(err)));
    ck_assert_str_eq(err, "bad value for query_timeout: 'abc' (expected a duration like 10s, 5m)");
    ck_assert(!config_set(c, "nosuch", "1", err, sizeof(err)));
    ck_assert_str_eq(err, "unknown key 'nosuch'");
    /* A small or missing error buffer is fine. */
    ck_assert(!config_set(c, "nosuch", "1", err, 4));
    ck_assert_str_eq(err, "unk");
    ck_assert(!config_set(c, "nosuch", "1", NULL, 0));
    config_free(c);
}
END_TEST

/* Values in error messages are bounded and sanitised. */
START_TEST(test_set_long_value_message)
{
    struct config *c = config_new();
    char err[512];
    char value[3000];
    memset(value, 'x', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    ck_assert(!config_set(c, "query_timeout", value, err, sizeof(err)));
    ck_assert_msg(strlen(err) < 200, "message too long: %zu", strlen(err));
    ck_assert_ptr_nonnull(strstr(err, "...'"));
    /* Values that could not be written back in a file are refused. */
    char big[5000];
    big[0] = '/';
    memset(big + 1, 'a', sizeof(big) - 2);
    big[sizeof(big) - 1] = '\0';
    ck_assert(!config_set(c, "state_dir", big, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "longer than"));
    /* a proxy URL over 1024 bytes */
    memcpy(big, "http://", 7);
    big[1100] = '\0';
    ck_assert(!config_set(c, "https_proxy", big, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "(longer than 1024 bytes)"));
    big[1024] = '\0';
    ck_assert_msg(config_set(c, "https_proxy", big, err, sizeof(err)), "%s", err);
    config_free(c);
}
END_TEST

/* More listeners or DNS servers than the limit (32, as listener.c). */
START_TEST(test_set_list_limits)
{
    struct config *c = config_new();
    char err[512];
    char buf[4000] = "";
    for (int i = 1; i <= 32; i++) {
        char one[32];
        snprintf(one, sizeof(one), "%sinet:127.0.0.1:%d", i > 1 ? " " : "", i);
        strcat(buf, one);
    }
    ck_assert_msg(config_set(c, "listen", buf, err, sizeof(err)), "%s", err);
    strcat(buf, " inet:127.0.0.1:33");
    ck_assert(!config_set(c, "listen", buf, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "more than 32 listeners"));

    buf[0] = '\0';
    for (int i = 1; i <= 32; i++)
        strcat(buf, i > 1 ? ",192.0.2.1" : "192.0.2.1");
    ck_assert_msg(config_set(c, "dns_servers", buf, err, sizeof(err)), "%s", err);
    strcat(buf, ",192.0.2.1");
    ck_assert(!config_set(c, "dns_servers", buf, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "more than 32 servers"));
    config_free(c);
}
END_TEST

/* ---- -o key=value ---- */

struct option_row {
    const char *opt;
    bool ok;
    const char *key;  /* when ok: key to look at */
    const char *want; /* printed value when ok, part of the message otherwise */
};

static const struct option_row option_rows[] = {
    {"query_timeout=20s", true, "query_timeout", "20s"},
    {"query_timeout = 20s", true, "query_timeout", "20s"},
    {"  query_timeout\t=20s  ", true, "query_timeout", "20s"},
    {"ca_file=", true, "ca_file", ""},
    {"listen=unix:/a=b", true, "listen", "unix:/a=b"},
    {"dns_servers= 192.0.2.1 , 192.0.2.2 ", true, "dns_servers", "192.0.2.1,192.0.2.2"},
    {"query_timeout", false, NULL, "expected key=value, got 'query_timeout'"},
    {"", false, NULL, "expected key=value"},
    {"nosuch=1", false, NULL, "unknown key 'nosuch'"},
    {"=20s", false, NULL, "unknown key ''"},
    {"query timeout=20s", false, NULL, "unknown key 'query timeout'"},
    {"query_timeout=", false, NULL, "bad value for query_timeout: ''"},
    {"query_timeout=20s=", false, NULL, "bad value for query_timeout: '20s='"},
    {"state_dir=/x # y", false, NULL, "would start a comment"},
    {"state_dir=/x\ny=1", false, NULL, "control character"},
};

START_TEST(test_option)
{
    const struct option_row *r = &option_rows[_i];
    struct config *c = config_new();
    char *before = print_config(c);
    char err[512] = "";
    bool ok = config_set_option(c, r->opt, err, sizeof(err));
    ck_assert_msg(ok == r->ok, "'%s': expected %s (%s)", r->opt, r->ok ? "ok" : "failure", err);
    if (r->ok) {
        char buf[512];
        ck_assert_str_eq(printed_value(c, r->key, buf, sizeof(buf)), r->want);
    } else {
        ck_assert_msg(strstr(err, r->want) != NULL, "'%s' not in '%s'", r->want, err);
        char *after = print_config(c);
        ck_assert_str_eq(after, before);
        free(after);
    }
    free(before);
    config_free(c);
}
END_TEST

/* ---- files: accepted syntax ---- */

struct file_ok_row {
    const char *name;
    const char *text;
    size_t len;
    const char *key;
    const char *want;
};

static const struct file_ok_row file_ok_rows[] = {
    {"no spaces", S("query_timeout=20s\n"), "query_timeout", "20s"},
    {"spaces", S("query_timeout = 20s\n"), "query_timeout", "20s"},
    {"many blanks", S("  query_timeout \t =   20s  \t\n"), "query_timeout", "20s"},
    {"no final newline", S("query_timeout = 20s"), "query_timeout", "20s"},
    {"CRLF", S("query_timeout = 20s\r\n"), "query_timeout", "20s"},
    {"CRLF, no final newline", S("# x\r\nquery_timeout = 20s\r"), "query_timeout", "20s"},
    {"trailing comment", S("query_timeout = 20s # twenty\n"), "query_timeout", "20s"},
    {"trailing comment after tab", S("query_timeout = 20s\t#twenty\n"), "query_timeout", "20s"},
    {"comment lines", S("# a comment\n   # indented\nquery_timeout = 20s\n"), "query_timeout",
     "20s"},
    {"blank lines", S("\n\n  \n\t\nquery_timeout = 20s\n\n"), "query_timeout", "20s"},
    {"only comments", S("# nothing here\n"), "query_timeout", "10s"},
    {"empty file", S(""), "query_timeout", "10s"},
    {"last wins", S("query_timeout = 20s\nquery_timeout = 30s\n"), "query_timeout", "30s"},
    {"last wins, back to default", S("query_timeout = 20s\nquery_timeout = 10\n"), "query_timeout",
     "10s"},
    {"hash inside a value", S("state_dir = /var/lib/a#b\n"), "state_dir", "/var/lib/a#b"},
    {"empty value", S("ca_file =\n"), "ca_file", ""},
    {"empty value with comment", S("ca_file = # none\n"), "ca_file", ""},
    {"hash right after =", S("ca_file =#x\n"), "ca_file", ""},
    {"value emptied later", S("ca_file = /x.pem\nca_file =\n"), "ca_file", ""},
    {"spaces inside a value", S("state_dir = /srv/mta sts \n"), "state_dir", "/srv/mta sts"},
    {"listen normalised", S("listen = unix:/a   inet:127.0.0.1:25\n"), "listen",
     "unix:/a inet:127.0.0.1:25"},
    {"UTF-8 in a path", S("state_dir = /srv/\xc3\xa9t\xc3\xa9\n"), "state_dir",
     "/srv/\xc3\xa9t\xc3\xa9"},
    {"enum any case", S("log_level = DEBUG\n"), "log_level", "debug"},
};

START_TEST(test_file_ok)
{
    const struct file_ok_row *r = &file_ok_rows[_i];
    struct config *c = config_new();
    char err[512] = "";
    bool ok = config_load_buffer(c, "test.conf", r->text, r->len, err, sizeof(err));
    ck_assert_msg(ok, "%s: %s", r->name, err);
    char buf[512];
    ck_assert_str_eq(printed_value(c, r->key, buf, sizeof(buf)), r->want);
    config_free(c);
}
END_TEST

/* ---- files: errors name FILE:LINE ---- */

struct file_err_row {
    const char *name;
    const char *text;
    size_t len;
    const char *want; /* the whole message */
};

static const struct file_err_row file_err_rows[] = {
    {"unknown key", S("foo = 1\n"), "test.conf:1: unknown key 'foo'"},
    {"unknown key on line 3", S("# c\n\nfoo = 1\n"), "test.conf:3: unknown key 'foo'"},
    {"key case matters", S("Listen = unix:/x\n"), "test.conf:1: unknown key 'Listen'"},
    {"bad duration", S("\n\nquery_timeout = abc\n"),
     "test.conf:3: bad value for query_timeout: 'abc' (expected a duration like 10s, 5m)"},
    {"duration out of bounds", S("query_timeout = 200s\n"),
     "test.conf:1: bad value for query_timeout: '200s' (must be between 1s and 100s)"},
    {"bad value after good lines", S("query_timeout = 20s\nmax_fetches = 0\n"),
     "test.conf:2: bad value for max_fetches: '0' (must be between 1 and 100000)"},
    {"bad listen", S("listen = inet:example.com:25\n"),
     "test.conf:1: bad value for listen: 'inet:example.com:25' (inet listener needs a numeric "
     "IPv4 or [IPv6] address and a port)"},
    {"bad dns_servers", S("dns_servers = 1.1.1.1,,8.8.8.8\n"),
     "test.conf:1: bad value for dns_servers: '1.1.1.1,,8.8.8.8' (empty server in the list)"},
    {"missing =", S("# c\nlisten\n"), "test.conf:2: expected 'key = value', got 'listen'"},
    {"colon instead of =", S("listen: unix:/x\n"),
     "test.conf:1: expected 'key = value', got 'listen: unix:/x'"},
    {"no key", S("= value\n"), "test.conf:1: expected 'key = value', got '= value'"},
    {"two words", S("query timeout = 1\n"),
     "test.conf:1: expected 'key = value', got 'query timeout = 1'"},
    {"key with a dash", S("query-timeout = 1\n"),
     "test.conf:1: expected 'key = value', got 'query-timeout = 1'"},
    {"NUL byte", S("query_timeout = 1\0\n"), "test.conf:1: NUL byte in line"},
    {"NUL byte on line 2", S("\n\0"), "test.conf:2: NUL byte in line"},
    {"escape sequence", S("\x1b[2Jlisten = unix:/x\n"), "test.conf:1: control character 0x1b"},
    {"escape in a value", S("state_dir = /x\x1b[2J\n"), "test.conf:1: control character 0x1b"},
    {"bare CR inside", S("query_timeout = 1\rlisten = x\n"), "test.conf:1: control character 0x0d"},
    {"DEL", S("state_dir = /x\x7f\n"), "test.conf:1: control character 0x7f"},
    {"form feed", S("\f\n"), "test.conf:1: control character 0x0c"},
    {"high bytes quoted", S("query_timeout = \xff\xfe\n"),
     "test.conf:1: bad value for query_timeout: '?\?' (expected a duration like 10s, 5m)"},
    {"binary junk", S("\x89PNG\r\n\x1a\n"), "test.conf:1: expected 'key = value', got '?PNG'"},
    {"comment after a bad value", S("query_timeout = 10x # x\n"),
     "test.conf:1: bad value for query_timeout: '10x' (expected a duration like 10s, 5m)"},
};

START_TEST(test_file_err)
{
    const struct file_err_row *r = &file_err_rows[_i];
    struct config *c = config_new();
    char *before = print_config(c);
    char err[512] = "";
    bool ok = config_load_buffer(c, "test.conf", r->text, r->len, err, sizeof(err));
    ck_assert_msg(!ok, "%s: loaded", r->name);
    ck_assert_str_eq(err, r->want);
    /* all-or-nothing: nothing from the good lines was applied */
    char *after = print_config(c);
    ck_assert_str_eq(after, before);
    free(after);
    free(before);
    config_free(c);
}
END_TEST

/* Line length limit: CONFIG_LINE_MAX bytes of content is fine, one more is not. */
START_TEST(test_file_line_length)
{
    size_t n = CONFIG_LINE_MAX + 16;
    char *buf = malloc(n);
    char err[512];
    struct config *c = config_new();

    /* a comment line of exactly CONFIG_LINE_MAX bytes, with and without CRLF */
    memset(buf, '#', CONFIG_LINE_MAX);
    memcpy(buf + CONFIG_LINE_MAX, "\r\n", 2);
    ck_assert_msg(config_load_buffer(c, "t", buf, CONFIG_LINE_MAX + 2, err, sizeof(err)), "%s",
                  err);
    ck_assert_msg(config_load_buffer(c, "t", buf, CONFIG_LINE_MAX, err, sizeof(err)), "%s", err);

    /* one byte more, on line 2 */
    buf[0] = '\n';
    memset(buf + 1, '#', CONFIG_LINE_MAX + 1);
    ck_assert(!config_load_buffer(c, "t", buf, CONFIG_LINE_MAX + 2, err, sizeof(err)));
    ck_assert_str_eq(err, "t:2: line longer than 4096 bytes");

    /* a long value that fits in a line but not in a value */
    const char *prefix = "state_dir = /";
    memset(buf, 'a', CONFIG_LINE_MAX);
    memcpy(buf, prefix, strlen(prefix));
    ck_assert(!config_load_buffer(c, "t", buf, CONFIG_LINE_MAX, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "t:1: bad value for state_dir: '/aaaa"));
    ck_assert_ptr_nonnull(strstr(err, "longer than"));
    free(buf);
    config_free(c);
}
END_TEST

/* Oversize files are refused before parsing. */
START_TEST(test_file_too_large)
{
    size_t n = 1024 * 1024 + 1;
    char *buf = malloc(n);
    memset(buf, '\n', n);
    char err[512];
    struct config *c = config_new();
    ck_assert(!config_load_buffer(c, "big.conf", buf, n, err, sizeof(err)));
    ck_assert_str_eq(err, "big.conf: file too large (more than 1048576 bytes)");
    ck_assert(config_load_buffer(c, "big.conf", buf, n - 1, err, sizeof(err)));
    free(buf);
    config_free(c);
}
END_TEST

/* Deterministic random junk never crashes and every error names the file. */
START_TEST(test_file_junk)
{
    uint32_t seed = 12345;
    char buf[600];
    char err[512];
    for (int round = 0; round < 2000; round++) {
        size_t n = (size_t)(round % 599) + 1;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            /* mostly printable, some newlines, '=', '#' and any byte */
            unsigned r = (seed >> 16) & 0xff;
            buf[i] = r < 150 ? (char)(' ' + r % 95) : r < 170 ? '\n' : r < 190 ? '=' : (char)r;
        }
        struct config *c = config_new();
        err[0] = '\0';
        if (!config_load_buffer(c, "junk", buf, n, err, sizeof(err)))
            ck_assert_msg(strncmp(err, "junk:", 5) == 0, "'%s'", err);
        for (const char *p = err; *p != '\0'; p++)
            ck_assert_msg((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f,
                          "unsafe byte in '%s'", err);
        config_free(c);
    }
}
END_TEST

/* ---- printing ---- */

/* config_print writes every key once, in table order, as "key = value". */
START_TEST(test_print_order)
{
    struct config *c = config_new();
    char *text = print_config(c);
    const char *line = text;
    size_t i = 0;
    for (; config_key_name(i) != NULL; i++) {
        const char *name = config_key_name(i);
        size_t n = strlen(name);
        ck_assert_msg(strncmp(line, name, n) == 0 && line[n] == ' ' && line[n + 1] == '=',
                      "line %zu is not %s", i, name);
        line = strchr(line, '\n');
        ck_assert_ptr_nonnull(line);
        line++;
    }
    ck_assert_str_eq(line, "");
    free(text);
    config_free(c);
}
END_TEST

/* Print -> load into a fresh config -> print again gives identical text. */
static void check_round_trip(const struct config *c)
{
    char err[512];
    char *text1 = print_config(c);
    struct config *d = config_new();
    ck_assert_msg(config_load_buffer(d, "printed", text1, strlen(text1), err, sizeof(err)), "%s",
                  err);
    char *text2 = print_config(d);
    ck_assert_str_eq(text1, text2);
    free(text1);
    free(text2);
    config_free(d);
}

START_TEST(test_round_trip_defaults)
{
    struct config *c = config_new();
    check_round_trip(c);
    config_free(c);
}
END_TEST

START_TEST(test_round_trip_changed)
{
    static const char text[] = "listen = unix:/x/y.sock inet:[::1]:10025 inet:127.0.0.1:10026\n"
                               "socket_mode = 0660\n"
                               "socket_owner = postfix\n"
                               "socket_group = postfix\n"
                               "control_socket = /run/ctl.sock\n"
                               "control_socket_mode = 0\n"
                               "control_socket_group = adm\n"
                               "metrics_listen = inet:127.0.0.1:9461\n"
                               "state_dir = /srv/mta sts#1\n"
                               "cache_max_size = 1048577\n"
                               "dns_servers = 192.0.2.1:5353, [2001:db8::1]:53,::1\n"
                               "ca_file = /etc/ca.pem\n"
                               "https_proxy = http://proxy:3128\n"
                               "user = mtastsd\n"
                               "group = mtastsd\n"
                               "pidfile = /run/mtastsd.pid\n"
                               "query_timeout = 61\n"
                               "dns_timeout = 1h\n"
                               "https_connect_timeout = 120\n"
                               "https_timeout = 3599\n"
                               "idle_timeout = 1\n"
                               "request_timeout = 2s\n"
                               "max_connections = 1000000\n"
                               "max_fetches = 1\n"
                               "max_queued_fetches = 7\n"
                               "negative_ttl = 0\n"
                               "recheck_interval = 86400\n"
                               "refresh_interval = 3660\n"
                               "dns_error = defer\n"
                               "strict_testing = yes\n"
                               "dane = on\n"
                               "dane_probe_name = dane.test\n"
                               "log_level = debug\n";
    struct config *c = config_new();
    char *defaults = print_config(c);
    char err[512];
    ck_assert_msg(config_load_buffer(c, "t", text, sizeof(text) - 1, err, sizeof(err)), "%s", err);
    /* every key changed */
    char *changed = print_config(c);
    for (size_t i = 0; config_key_name(i) != NULL; i++) {
        char a[256], b[256];
        struct config *d = config_new();
        printed_value(d, config_key_name(i), a, sizeof(a));
        printed_value(c, config_key_name(i), b, sizeof(b));
        ck_assert_msg(strcmp(a, b) != 0, "%s unchanged", config_key_name(i));
        config_free(d);
    }
    ck_assert_str_ne(defaults, changed);
    ck_assert_str_eq(c->dns_servers, "192.0.2.1:5353,[2001:db8::1]:53,::1");
    ck_assert_int_eq(c->refresh_interval, 3660);
    ck_assert_uint_eq(c->cache_max_size, 1048577);
    ck_assert_int_eq(c->dns_error, CONFIG_DNS_ERROR_DEFER);
    ck_assert_int_eq(c->log_level, LOG_LEVEL_DEBUG);
    ck_assert(c->strict_testing);
    check_round_trip(c);
    free(defaults);
    free(changed);
    config_free(c);
}
END_TEST

/* ---- config_load_file ---- */

static char *write_temp(const char *text, size_t len)
{
    char *path = strdup("/tmp/check_config.XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

START_TEST(test_load_file)
{
    struct config *c = config_new();
    char err[512];
    char *path = write_temp(S("query_timeout = 20s\nlog_level = debug\n"));
    ck_assert_msg(config_load_file(c, path, false, err, sizeof(err)), "%s", err);
    ck_assert_int_eq(c->query_timeout, 20);
    ck_assert_int_eq(c->log_level, LOG_LEVEL_DEBUG);
    unlink(path);
    free(path);
    config_free(c);
}
END_TEST

START_TEST(test_load_file_error_names_path)
{
    struct config *c = config_new();
    char err[512], want[600];
    char *path = write_temp(S("\nfoo = bar\n"));
    ck_assert(!config_load_file(c, path, false, err, sizeof(err)));
    snprintf(want, sizeof(want), "%s:2: unknown key 'foo'", path);
    ck_assert_str_eq(err, want);
    unlink(path);
    free(path);
    config_free(c);
}
END_TEST

START_TEST(test_load_file_missing)
{
    struct config *c = config_new();
    char *before = print_config(c);
    char err[512] = "stale";
    ck_assert(config_load_file(c, "/nonexistent/mtastsd.conf", true, err, sizeof(err)));
    ck_assert_str_eq(err, "");
    char *after = print_config(c);
    ck_assert_str_eq(before, after);
    free(after);
    ck_assert(!config_load_file(c, "/nonexistent/mtastsd.conf", false, err, sizeof(err)));
    ck_assert_str_eq(err, "/nonexistent/mtastsd.conf: No such file or directory");
    /* missing_ok covers only a missing file, not other errors */
    ck_assert(!config_load_file(c, "/", true, err, sizeof(err)));
    ck_assert_str_eq(err, "/: Is a directory");
    ck_assert(!config_load_file(c, "/etc/passwd/x", true, err, sizeof(err)));
    ck_assert_str_eq(err, "/etc/passwd/x: Not a directory");
    free(before);
    config_free(c);
}
END_TEST

START_TEST(test_load_file_too_large)
{
    size_t n = 1024 * 1024 + 100;
    char *text = malloc(n);
    memset(text, '\n', n);
    char *path = write_temp(text, n);
    struct config *c = config_new();
    char err[512], want[600];
    ck_assert(!config_load_file(c, path, false, err, sizeof(err)));
    snprintf(want, sizeof(want), "%s: file too large (more than 1048576 bytes)", path);
    ck_assert_str_eq(err, want);
    unlink(path);
    free(path);
    free(text);
    config_free(c);
}
END_TEST

/* ---- the shipped example file ---- */

static char *read_example(size_t *len)
{
    const char *path = TOP_SRCDIR "/contrib/mtastsd.conf.example";
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    char *buf = malloc(1024 * 1024);
    *len = fread(buf, 1, 1024 * 1024 - 1, f);
    fclose(f);
    buf[*len] = '\0';
    return buf;
}

START_TEST(test_example_parses)
{
    size_t len;
    char *text = read_example(&len);
    struct config *c = config_new();
    char *defaults = print_config(c);
    char err[512];
    ck_assert_msg(
        config_load_file(c, TOP_SRCDIR "/contrib/mtastsd.conf.example", false, err, sizeof(err)),
        "%s", err);
    char *after = print_config(c);
    ck_assert_str_eq(after, defaults); /* everything is commented out */
    free(after);

    /* Uncomment every "#key = value" line: the result must be the defaults. */
    char *un = malloc(len + 1);
    size_t used = 0, keys = 0;
    for (const char *line = text; *line != '\0';) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) + 1 : strlen(line);
        const char *body = line;
        if (line[0] == '#' && line[1] != ' ' && line[1] != '#' && line[1] != '\n') {
            body++;
            n--;
            keys++;
        }
        memcpy(un + used, body, n);
        used += n;
        line = body + n;
    }
    struct config *d = config_new();
    ck_assert_msg(config_load_buffer(d, "uncommented", un, used, err, sizeof(err)), "%s", err);
    after = print_config(d);
    ck_assert_str_eq(after, defaults);
    ck_assert_uint_eq(keys, N_DEFAULT_ROWS);

    /* Every key is documented with its default, as printed. */
    for (size_t i = 0; config_key_name(i) != NULL; i++) {
        char val[256], want[300];
        printed_value(c, config_key_name(i), val, sizeof(val));
        if (val[0] == '\0')
            snprintf(want, sizeof(want), "\n#%s =\n", config_key_name(i));
        else
            snprintf(want, sizeof(want), "\n#%s = %s\n", config_key_name(i), val);
        ck_assert_msg(strstr(text, want) != NULL, "example lacks '%s'", want + 1);
    }
    free(after);
    free(un);
    free(defaults);
    free(text);
    config_free(c);
    config_free(d);
}
END_TEST

/*
 * Restart-only keys (reload cannot apply them): the flag in the table is
 * the one list.  Each row changes one key; config_restart_changes() must
 * name exactly the restart-only ones, with both values as printed.
 * control_socket_mode and control_socket_group were missing from the
 * hand-kept list that main.c had before the flag.
 */
static const struct {
    const char *key, *value;
    bool restart;
} restart_rows[] = {
    {"listen", "inet:127.0.0.1:10443", true},
    {"socket_mode", "0660", true},
    {"socket_owner", "postfix", true},
    {"socket_group", "postfix", true},
    {"control_socket", "/tmp/ctl.sock", true},
    {"control_socket_mode", "0660", true},
    {"control_socket_group", "adm", true},
    {"metrics_listen", "inet:127.0.0.1:9461", true},
    {"state_dir", "/var/tmp/mtastsd", true},
    {"cache_max_size", "2G", true},
    {"user", "mtastsd", true},
    {"group", "mtastsd", true},
    {"pidfile", "/run/mtastsd.pid", true},
    {"dns_servers", "127.0.0.1", false},
    {"query_timeout", "3s", false},
    {"refresh_interval", "1h", false},
    {"max_connections", "10", false},
    {"log_level", "debug", false},
};

static char restart_seen[256];

static void restart_note(void *arg, const char *key, const char *ov, const char *nv)
{
    size_t *n = arg;
    (*n)++;
    snprintf(restart_seen, sizeof(restart_seen), "%s: '%s' -> '%s'", key, ov, nv);
}

START_TEST(test_restart_changes)
{
    struct config *a = config_new(), *b = config_new();
    char err[256];
    size_t calls = 0;
    restart_seen[0] = '\0';
    ck_assert_msg(config_set(b, restart_rows[_i].key, restart_rows[_i].value, err, sizeof(err)),
                  "%s", err);
    size_t n = config_restart_changes(a, b, restart_note, &calls);
    ck_assert_uint_eq(n, restart_rows[_i].restart ? 1 : 0);
    ck_assert_uint_eq(calls, n);
    if (restart_rows[_i].restart) {
        char want[256];
        snprintf(want, sizeof(want), "%s: '", restart_rows[_i].key);
        ck_assert_msg(strncmp(restart_seen, want, strlen(want)) == 0, "%s", restart_seen);
        snprintf(want, sizeof(want), "' -> '%s'", restart_rows[_i].value);
        ck_assert_msg(strstr(restart_seen, want) != NULL, "%s", restart_seen);
    }
    /* Unchanged: nothing to say, and the same list in the other direction. */
    ck_assert_uint_eq(config_restart_changes(a, a, NULL, NULL), 0);
    ck_assert_uint_eq(config_restart_changes(b, a, NULL, NULL), n);
    config_free(a);
    config_free(b);
}
END_TEST

/* The flag and the rows agree: every restart-only key has a row above. */
START_TEST(test_restart_keys_listed)
{
    for (size_t i = 0; config_key_name(i) != NULL; i++) {
        bool found = false, restart = false;
        for (size_t r = 0; r < sizeof(restart_rows) / sizeof(restart_rows[0]); r++) {
            if (strcmp(restart_rows[r].key, config_key_name(i)) == 0) {
                found = true;
                restart = restart_rows[r].restart;
            }
        }
        if (config_key_restart_only(i))
            ck_assert_msg(found && restart, "%s is restart-only but has no row",
                          config_key_name(i));
        else if (found)
            ck_assert_msg(!restart, "%s is not flagged restart-only", config_key_name(i));
    }
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc;

    tc = tcase_create("defaults");
    tcase_add_loop_test(tc, test_default_printed, 0, N_DEFAULT_ROWS);
    tcase_add_test(tc, test_default_fields);
    tcase_add_test(tc, test_key_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("parsers");
    tcase_add_loop_test(tc, test_parse_duration, 0,
                        (int)(sizeof(duration_rows) / sizeof(duration_rows[0])));
    tcase_add_loop_test(tc, test_parse_size, 0, (int)(sizeof(size_rows) / sizeof(size_rows[0])));
    tcase_add_loop_test(tc, test_parse_bool, 0, (int)(sizeof(bool_rows) / sizeof(bool_rows[0])));
    tcase_add_test(tc, test_parse_null);
    suite_add_tcase(s, tc);

    tc = tcase_create("set");
    tcase_add_loop_test(tc, test_set, 0, (int)(sizeof(set_rows) / sizeof(set_rows[0])));
    tcase_add_test(tc, test_set_message);
    tcase_add_test(tc, test_set_long_value_message);
    tcase_add_test(tc, test_set_list_limits);
    tcase_add_loop_test(tc, test_option, 0, (int)(sizeof(option_rows) / sizeof(option_rows[0])));
    suite_add_tcase(s, tc);

    tc = tcase_create("file");
    tcase_set_timeout(tc, 30);
    tcase_add_loop_test(tc, test_file_ok, 0, (int)(sizeof(file_ok_rows) / sizeof(file_ok_rows[0])));
    tcase_add_loop_test(tc, test_file_err, 0,
                        (int)(sizeof(file_err_rows) / sizeof(file_err_rows[0])));
    tcase_add_test(tc, test_file_line_length);
    tcase_add_test(tc, test_file_too_large);
    tcase_add_test(tc, test_file_junk);
    tcase_add_test(tc, test_load_file);
    tcase_add_test(tc, test_load_file_error_names_path);
    tcase_add_test(tc, test_load_file_missing);
    tcase_add_test(tc, test_load_file_too_large);
    tcase_add_test(tc, test_example_parses);
    suite_add_tcase(s, tc);

    tc = tcase_create("reload");
    tcase_add_loop_test(tc, test_restart_changes, 0,
                        (int)(sizeof(restart_rows) / sizeof(restart_rows[0])));
    tcase_add_test(tc, test_restart_keys_listed);
    suite_add_tcase(s, tc);

    tc = tcase_create("print");
    tcase_add_test(tc, test_print_order);
    tcase_add_test(tc, test_round_trip_defaults);
    tcase_add_test(tc, test_round_trip_changed);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(config_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

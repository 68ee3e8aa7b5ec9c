/*
 * config - the typed configuration table (DESIGN section 6; see config.h).
 *
 * Public functions: config_new(), config_free(), config_load_file(),
 * config_load_buffer(), config_set(), config_set_option(), config_print(),
 * config_key_name(), config_key_description(), config_key_restart_only(),
 * config_restart_changes(), and the value parsers config_parse_duration(),
 * config_parse_size(), config_parse_bool().
 *
 * One static table, config_keys[], drives everything: each row gives the
 * key name, its type, where the value lives in struct config, its default
 * as text, its bounds, its flags and a one-line description.  The flag
 * CONFIG_F_RESTART marks what only a restart applies (sockets, files and
 * privileges set up before the privilege drop): config_restart_changes()
 * names those a reload would change, the one list of them.  config_new() applies
 * every default by parsing its text through the same code that parses the
 * file, so a default can never be out of bounds or unprintable.
 * config_print() formats every typed value back into text that the parser
 * reads to the same value.
 *
 * File format: "key = value" lines (spaces around '=' optional), blank
 * lines, '#' comments.  A '#' at the start of a value or after whitespace
 * starts a comment; elsewhere it is part of the value.  CRLF is accepted.
 * A repeated key is allowed and the last value wins.  No quoting.
 * Values may not contain control bytes; keys are [a-z0-9_].
 *
 * Limits: a file of at most CONFIG_FILE_MAX bytes, lines of at most
 * CONFIG_LINE_MAX bytes, no NUL bytes; at most CONFIG_LIST_MAX listeners
 * or DNS servers; unix socket paths fit in sockaddr_un.
 *
 * Diagnostics: every failure writes one line to err: "FILE:LINE: ..." for
 * files, the bare reason for config_set().  Text from the file is quoted
 * through log_sanitize(), so a hostile file cannot inject terminal escapes
 * or newlines into the message.  Loading and setting are all-or-nothing:
 * on failure the struct config is left exactly as it was.
 *
 * Ownership: struct config owns every string in it; config_free() frees
 * them via the table.  This module does not log.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "endpoint.h"
#include "xalloc.h"

#define CONFIG_FILE_MAX       (1024 * 1024) /* bytes */
#define CONFIG_LIST_MAX       32  /* listeners (as LISTENER_MAX in listener.c), DNS servers */
#define CONFIG_QUOTE_MAX      80  /* bytes of a bad value quoted in errors */
#define CONFIG_NAME_QUOTE_MAX 256 /* bytes of a file name in errors */
#define CONFIG_VALUE_MAX      (CONFIG_LINE_MAX - 64) /* room for "key = " */
#define CONFIG_WHY_MAX        160
#define CONFIG_NAME_MAX       64 /* user and group names */
#define CONFIG_URL_MAX        1024
#define CONFIG_SUN_PATH_MAX   (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

#define MINUTE 60
#define HOUR   (60 * MINUTE)
#define DAY    (24 * HOUR)
#define KIB    ((uint64_t)1024)
#define MIB    (KIB * 1024)
#define GIB    (MIB * 1024)

enum config_type {
    CONFIG_STRING,   /* char *, optionally checked and normalised */
    CONFIG_PATH,     /* char *, absolute path (or empty when allowed) */
    CONFIG_BOOL,     /* bool */
    CONFIG_UINT,     /* unsigned, min..max */
    CONFIG_MODE,     /* unsigned, octal 0..07777 */
    CONFIG_DURATION, /* int64_t seconds, min..max */
    CONFIG_SIZE,     /* uint64_t bytes, min..max */
    CONFIG_ENUM,     /* an enum stored as int, names[] */
};

/* Flags. */
#define CONFIG_F_EMPTY_OK 0x1 /* string, path: "" is a valid value */
#define CONFIG_F_SOCKET   0x2 /* path: must fit in sockaddr_un */
#define CONFIG_F_RESTART  0x4 /* bound, opened or dropped at start: a reload cannot apply it */

/*
 * A string checker validates s; it may store a normalised copy in *norm
 * (xmalloc'ed) or leave it NULL to keep s as given.  On failure it writes a
 * short reason to why.
 */
typedef bool config_check_fn(const char *s, char **norm, char *why, size_t whysz);

struct config_key {
    const char *name;
    enum config_type type;
    size_t offset;
    const char *def;
    uint64_t min, max;
    unsigned flags;
    const char *const *names; /* CONFIG_ENUM: value i is names[i], NULL-terminated */
    config_check_fn *check;   /* CONFIG_STRING: optional extra check */
    const char *desc;
};

static config_check_fn config_check_listen, config_check_metrics_listen, config_check_dns_servers,
    config_check_name, config_check_proxy, config_check_dns_name;

static const char *const config_dns_error_names[] = {
    [CONFIG_DNS_ERROR_NOTFOUND] = "notfound",
    [CONFIG_DNS_ERROR_DEFER] = "defer",
    NULL,
};

static const char *const config_dane_names[] = {
    [CONFIG_DANE_OFF] = "off",
    [CONFIG_DANE_ON] = "on",
    NULL,
};

static const char *const config_log_level_names[] = {
    [LOG_LEVEL_ERROR] = "error",
    [LOG_LEVEL_WARNING] = "warning",
    [LOG_LEVEL_INFO] = "info",
    [LOG_LEVEL_DEBUG] = "debug",
    NULL,
};

_Static_assert(sizeof(enum config_dns_error) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(enum log_level) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(enum config_dane) == sizeof(int), "enum stored as int");

#define OFF(field) offsetof(struct config, field)

static const struct config_key config_keys[] = {
    {"listen", CONFIG_STRING, OFF(listen), "unix:/run/mtastsd/mtastsd.sock", 0, 0, CONFIG_F_RESTART,
     NULL, config_check_listen, "space-separated socketmap listeners: unix:PATH, inet:ADDR:PORT"},
    {"socket_mode", CONFIG_MODE, OFF(socket_mode), "0666", 0, 07777, CONFIG_F_RESTART, NULL, NULL,
     "permissions of unix listener sockets"},
    {"socket_owner", CONFIG_STRING, OFF(socket_owner), "", 0, 0, CONFIG_F_RESTART, NULL,
     config_check_name, "owner of unix listener sockets (empty: unchanged)"},
    {"socket_group", CONFIG_STRING, OFF(socket_group), "", 0, 0, CONFIG_F_RESTART, NULL,
     config_check_name, "group of unix listener sockets (empty: unchanged)"},
    {"control_socket", CONFIG_PATH, OFF(control_socket), "/run/mtastsd/control.sock", 0, 0,
     CONFIG_F_SOCKET | CONFIG_F_EMPTY_OK | CONFIG_F_RESTART, NULL, NULL,
     "unix socket for mtastsd-ctl (empty: no control socket)"},
    {"control_socket_mode", CONFIG_MODE, OFF(control_socket_mode), "0600", 0, 07777,
     CONFIG_F_RESTART, NULL, NULL, "permissions of the control socket"},
    {"control_socket_group", CONFIG_STRING, OFF(control_socket_group), "", 0, 0, CONFIG_F_RESTART,
     NULL, config_check_name, "group of the control socket (empty: unchanged)"},
    {"metrics_listen", CONFIG_STRING, OFF(metrics_listen), "", 0, 0, CONFIG_F_RESTART, NULL,
     config_check_metrics_listen,
     "Prometheus metrics endpoint, space-separated inet:ADDR:PORT (empty: off)"},
    {"state_dir", CONFIG_PATH, OFF(state_dir), "/var/lib/mtastsd", 0, 0, CONFIG_F_RESTART, NULL,
     NULL, "directory of the LMDB policy cache"},
    {"cache_max_size", CONFIG_SIZE, OFF(cache_max_size), "1G", MIB, 1024 * GIB, CONFIG_F_RESTART,
     NULL, NULL, "upper bound of the LMDB map (K, M, G suffixes)"},
    {"dns_servers", CONFIG_STRING, OFF(dns_servers), "", 0, 0, 0, NULL, config_check_dns_servers,
     "comma-separated ADDR[:PORT] resolvers (empty: /etc/resolv.conf)"},
    {"ca_file", CONFIG_PATH, OFF(ca_file), "", 0, 0, CONFIG_F_EMPTY_OK, NULL, NULL,
     "CA bundle for policy hosts (empty: system store)"},
    {"https_proxy", CONFIG_STRING, OFF(https_proxy), "", 0, 0, 0, NULL, config_check_proxy,
     "proxy URL for policy fetches (empty: none; the environment is ignored)"},
    {"user", CONFIG_STRING, OFF(user), "", 0, 0, CONFIG_F_RESTART, NULL, config_check_name,
     "user to run as after binding (empty: stay as started)"},
    {"group", CONFIG_STRING, OFF(group), "", 0, 0, CONFIG_F_RESTART, NULL, config_check_name,
     "group to run as after binding (empty: stay as started)"},
    {"pidfile", CONFIG_PATH, OFF(pidfile), "", 0, 0, CONFIG_F_EMPTY_OK | CONFIG_F_RESTART, NULL,
     NULL, "file to write the process id to (empty: none)"},
    {"query_timeout", CONFIG_DURATION, OFF(query_timeout), "10s", 1, 100, 0, NULL, NULL,
     "how long one query may wait for a fetch"},
    {"dns_timeout", CONFIG_DURATION, OFF(dns_timeout), "5s", 1, HOUR, 0, NULL, NULL,
     "timeout of one DNS lookup"},
    {"https_connect_timeout", CONFIG_DURATION, OFF(https_connect_timeout), "10s", 1, HOUR, 0, NULL,
     NULL, "timeout to connect to a policy host"},
    {"https_timeout", CONFIG_DURATION, OFF(https_timeout), "30s", 1, HOUR, 0, NULL, NULL,
     "timeout of one policy fetch"},
    {"idle_timeout", CONFIG_DURATION, OFF(idle_timeout), "60s", 1, HOUR, 0, NULL, NULL,
     "close socketmap connections idle this long"},
    {"request_timeout", CONFIG_DURATION, OFF(request_timeout), "5s", 1, HOUR, 0, NULL, NULL,
     "a socketmap request must be complete this long after its first byte"},
    {"max_connections", CONFIG_UINT, OFF(max_connections), "1024", 1, 1000000, 0, NULL, NULL,
     "maximum concurrent socketmap connections"},
    {"max_fetches", CONFIG_UINT, OFF(max_fetches), "256", 1, 100000, 0, NULL, NULL,
     "maximum concurrent policy fetches"},
    {"max_queued_fetches", CONFIG_UINT, OFF(max_queued_fetches), "1024", 1, 1000000, 0, NULL, NULL,
     "fetches that may wait for a slot; beyond that the oldest of the busiest zone is shed"},
    {"negative_ttl", CONFIG_DURATION, OFF(negative_ttl), "30m", 0, DAY, 0, NULL, NULL,
     "how long to remember that a domain has no policy"},
    {"recheck_interval", CONFIG_DURATION, OFF(recheck_interval), "5m", 0, DAY, 0, NULL, NULL,
     "re-check the TXT id of a cached policy in the background after this long"},
    {"refresh_interval", CONFIG_DURATION, OFF(refresh_interval), "1d", HOUR, DAY, 0, NULL, NULL,
     "refresh every cached policy at least this often"},
    {"dns_error", CONFIG_ENUM, OFF(dns_error), "notfound", 0, 0, 0, config_dns_error_names, NULL,
     "reply when DNS fails and nothing is cached: notfound or defer"},
    {"strict_testing", CONFIG_BOOL, OFF(strict_testing), "no", 0, 0, 0, NULL, NULL,
     "treat mode testing as enforce"},
    {"dane", CONFIG_ENUM, OFF(dane), "off", 0, 0, 0, config_dane_names, NULL,
     "off or on: answer dane-only where DNSSEC-validated TLSA records apply (needs a local "
     "validating resolver and Postfix with smtp_dns_support_level = dnssec)"},
    {"dane_probe_name", CONFIG_STRING, OFF(dane_probe_name), ".", 0, 0, 0, NULL,
     config_check_dns_name, "a DNSSEC-signed name whose AD bit proves the resolver validates"},
    {"log_level", CONFIG_ENUM, OFF(log_level), "info", 0, 0, 0, config_log_level_names, NULL,
     "error, warning, info or debug"},
};

#define CONFIG_NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

/* ---- small helpers ---- */

LOG_PRINTF(3, 4)
static void config_err(char *err, size_t errsz, const char *fmt, ...)
{
    if (err == NULL || errsz == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
}

static void *config_field(struct config *c, const struct config_key *k)
{
    return (char *)c + k->offset;
}

static const void *config_cfield(const struct config *c, const struct config_key *k)
{
    return (const char *)c + k->offset;
}

static bool config_is_space(char ch)
{
    return ch == ' ' || ch == '\t';
}

static bool config_is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Parse 1 or more decimal digits at s; *end gets the first non-digit. */
static bool config_parse_digits(const char *s, uint64_t *out, const char **end)
{
    uint64_t v = 0;
    const char *p = s;
    if (!config_is_digit(*p))
        return false;
    for (; config_is_digit(*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    *end = p;
    return true;
}

/* ---- value parsers ---- */

bool config_parse_duration(const char *s, int64_t *out)
{
    uint64_t v, mult = 1;
    const char *end;
    if (s == NULL || !config_parse_digits(s, &v, &end))
        return false;
    switch (*end) {
    case '\0':
        break;
    case 's':
    case 'S':
        break;
    case 'm':
    case 'M':
        mult = MINUTE;
        break;
    case 'h':
    case 'H':
        mult = HOUR;
        break;
    case 'd':
    case 'D':
        mult = DAY;
        break;
    default:
        return false;
    }
    if (*end != '\0' && end[1] != '\0')
        return false;
    if (v > (uint64_t)INT64_MAX / mult)
        return false;
    *out = (int64_t)(v * mult);
    return true;
}

bool config_parse_size(const char *s, uint64_t *out)
{
    uint64_t v, mult = 1;
    const char *end;
    if (s == NULL || !config_parse_digits(s, &v, &end))
        return false;
    switch (*end) {
    case '\0':
        break;
    case 'k':
    case 'K':
        mult = KIB;
        break;
    case 'm':
    case 'M':
        mult = MIB;
        break;
    case 'g':
    case 'G':
        mult = GIB;
        break;
    default:
        return false;
    }
    if (*end != '\0' && end[1] != '\0')
        return false;
    if (v > UINT64_MAX / mult)
        return false;
    *out = v * mult;
    return true;
}

bool config_parse_bool(const char *s, bool *out)
{
    static const struct {
        const char *word;
        bool value;
    } words[] = {
        {"yes", true}, {"true", true},   {"on", true},   {"1", true},
        {"no", false}, {"false", false}, {"off", false}, {"0", false},
    };
    if (s == NULL)
        return false;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strcasecmp(s, words[i].word) == 0) {
            *out = words[i].value;
            return true;
        }
    }
    return false;
}

static bool config_parse_uint(const char *s, uint64_t *out)
{
    const char *end;
    return config_parse_digits(s, out, &end) && *end == '\0';
}

static bool config_parse_mode(const char *s, unsigned *out)
{
    unsigned v = 0;
    if (*s == '\0')
        return false;
    for (const char *p = s; *p != '\0'; p++) {
        if (*p < '0' || *p > '7')
            return false;
        v = v * 8 + (unsigned)(*p - '0');
        if (v > 07777)
            return false;
    }
    *out = v;
    return true;
}

/* ---- value formatting (the inverse of the parsers) ---- */

static void config_format_duration(int64_t v, char *buf, size_t bufsz)
{
    if (v > 0 && v % DAY == 0)
        snprintf(buf, bufsz, "%" PRId64 "d", v / DAY);
    else if (v > 0 && v % HOUR == 0)
        snprintf(buf, bufsz, "%" PRId64 "h", v / HOUR);
    else if (v > 0 && v % MINUTE == 0)
        snprintf(buf, bufsz, "%" PRId64 "m", v / MINUTE);
    else
        snprintf(buf, bufsz, "%" PRId64 "s", v);
}

static void config_format_size(uint64_t v, char *buf, size_t bufsz)
{
    if (v > 0 && v % GIB == 0)
        snprintf(buf, bufsz, "%" PRIu64 "G", v / GIB);
    else if (v > 0 && v % MIB == 0)
        snprintf(buf, bufsz, "%" PRIu64 "M", v / MIB);
    else if (v > 0 && v % KIB == 0)
        snprintf(buf, bufsz, "%" PRIu64 "K", v / KIB);
    else
        snprintf(buf, bufsz, "%" PRIu64, v);
}

/* ---- string checkers ---- */

/* A port: 1-5 digits, 1..65535. */
static bool config_valid_port(const char *s, size_t len)
{
    if (len == 0 || len > 5)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!config_is_digit(s[i]))
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    return v >= 1 && v <= 65535;
}

/* A numeric address of family af in s[0..len). */
static bool config_valid_addr(int af, const char *s, size_t len)
{
    char buf[INET6_ADDRSTRLEN + 1];
    unsigned char bin[sizeof(struct in6_addr)];
    if (len == 0 || len >= sizeof(buf))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return inet_pton(af, buf, bin) == 1;
}

/*
 * Split s at any of the separator bytes into tokens, call check on each,
 * and join the tokens with sep[0] into *norm.  Empty tokens are an error
 * when strict_empty (commas), skipped otherwise (runs of spaces).
 */
typedef bool config_token_fn(const char *tok, size_t len, char *why, size_t whysz);

static bool config_check_list(const char *s, const char *seps, bool strict_empty,
                              config_token_fn *check, const char *what, char **norm, char *why,
                              size_t whysz)
{
    size_t n = 0, slen = strlen(s);
    char *out = xmalloc(slen + 1);
    size_t used = 0;
    const char *p = s;
    for (;;) {
        size_t len = strcspn(p, seps);
        size_t tlen = len;
        const char *tok = p;
        /* Spaces around a comma-separated token are dropped. */
        while (tlen > 0 && config_is_space(*tok)) {
            tok++;
            tlen--;
        }
        while (tlen > 0 && config_is_space(tok[tlen - 1]))
            tlen--;
        if (tlen == 0) {
            if (strict_empty && (slen > 0)) {
                snprintf(why, whysz, "empty %s in the list", what);
                free(out);
                return false;
            }
        } else {
            if (++n > CONFIG_LIST_MAX) {
                snprintf(why, whysz, "more than %d %ss", CONFIG_LIST_MAX, what);
                free(out);
                return false;
            }
            if (!check(tok, tlen, why, whysz)) {
                free(out);
                return false;
            }
            if (used > 0)
                out[used++] = seps[0];
            memcpy(out + used, tok, tlen);
            used += tlen;
        }
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    out[used] = '\0';
    *norm = out;
    return true;
}

/* One element of `listen`: endpoint.c's syntax, the one listener.c binds. */
static bool config_check_listener(const char *tok, size_t len, char *why, size_t whysz)
{
    struct endpoint ep;
    return endpoint_parse(tok, len, &ep, why, whysz);
}

static bool config_check_listen(const char *s, char **norm, char *why, size_t whysz)
{
    if (!config_check_list(s, " \t", false, config_check_listener, "listener", norm, why, whysz))
        return false;
    if (**norm == '\0') {
        free(*norm);
        *norm = NULL;
        snprintf(why, whysz, "at least one listener is needed");
        return false;
    }
    return true;
}

static bool config_check_metrics_listener(const char *tok, size_t len, char *why, size_t whysz)
{
    if (len < 5 || strncmp(tok, "inet:", 5) != 0) {
        snprintf(why, whysz, "expected inet:ADDR:PORT (the metrics endpoint is TCP only)");
        return false;
    }
    return config_check_listener(tok, len, why, whysz);
}

static bool config_check_metrics_listen(const char *s, char **norm, char *why, size_t whysz)
{
    return config_check_list(s, " \t", false, config_check_metrics_listener, "metrics listener",
                             norm, why, whysz);
}

static bool config_check_server(const char *tok, size_t len, char *why, size_t whysz)
{
    bool ok;
    if (tok[0] == '[') {
        /* [IPv6] or [IPv6]:PORT */
        const char *close = memchr(tok, ']', len);
        ok = close != NULL && config_valid_addr(AF_INET6, tok + 1, (size_t)(close - tok - 1));
        if (ok && close + 1 < tok + len)
            ok = close[1] == ':' && config_valid_port(close + 2, (size_t)(tok + len - close - 2));
    } else if (config_valid_addr(AF_INET6, tok, len)) {
        ok = true; /* bare IPv6, no port */
    } else {
        /* IPv4 or IPv4:PORT */
        const char *colon = memchr(tok, ':', len);
        size_t alen = colon ? (size_t)(colon - tok) : len;
        ok = config_valid_addr(AF_INET, tok, alen);
        if (ok && colon != NULL)
            ok = config_valid_port(colon + 1, len - alen - 1);
    }
    if (!ok)
        snprintf(why, whysz, "expected numeric ADDR, ADDR:PORT, IPv6 or [IPv6]:PORT");
    return ok;
}

static bool config_check_dns_servers(const char *s, char **norm, char *why, size_t whysz)
{
    return config_check_list(s, ",", true, config_check_server, "server", norm, why, whysz);
}

/* User and group names: empty, or [A-Za-z0-9._-] with an optional trailing '$'. */
static bool config_check_name(const char *s, char **norm, char *why, size_t whysz)
{
    size_t len = strlen(s);
    (void)norm;
    if (len > CONFIG_NAME_MAX) {
        snprintf(why, whysz, "longer than %d bytes", CONFIG_NAME_MAX);
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || config_is_digit(ch) ||
                  ch == '_' || ch == '.' || (ch == '-' && i > 0) || (ch == '$' && i == len - 1);
        if (!ok) {
            snprintf(why, whysz, "expected a user or group name");
            return false;
        }
    }
    return true;
}

/* A DNS name as dns.c asks it: "." (the root), or labels of 1-63 letters,
 * digits, '-' and '_', at most 253 octets, one optional trailing dot. */
static bool config_check_dns_name(const char *s, char **norm, char *why, size_t whysz)
{
    size_t len = strlen(s), label = 0;
    (void)norm;
    if (strcmp(s, ".") == 0)
        return true;
    if (len > 0 && s[len - 1] == '.')
        len--;
    if (len == 0 || len > 253) {
        snprintf(why, whysz, "expected a DNS name such as . or example.com");
        return false;
    }
    for (size_t i = 0; i <= len; i++) {
        char ch = i < len ? s[i] : '.';
        if (ch == '.') {
            if (label == 0 || label > 63) {
                snprintf(why, whysz, "expected a DNS name such as . or example.com");
                return false;
            }
            label = 0;
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || config_is_digit(ch) ||
                   ch == '-' || ch == '_') {
            label++;
        } else {
            snprintf(why, whysz, "expected a DNS name such as . or example.com");
            return false;
        }
    }
    return true;
}

/* Proxy: empty, or SCHEME://HOST[:PORT][/] without spaces. */
static bool config_check_proxy(const char *s, char **norm, char *why, size_t whysz)
{
    static const char *const schemes[] = {"http://",    "https://",  "socks4://",
                                          "socks4a://", "socks5://", "socks5h://"};
    (void)norm;
    if (*s == '\0')
        return true;
    if (strlen(s) > CONFIG_URL_MAX) {
        snprintf(why, whysz, "longer than %d bytes", CONFIG_URL_MAX);
        return false;
    }
    for (const char *p = s; *p != '\0'; p++) {
        if (config_is_space(*p) || (unsigned char)*p >= 0x7f) {
            snprintf(why, whysz, "expected a URL without spaces");
            return false;
        }
    }
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        size_t n = strlen(schemes[i]);
        if (strncasecmp(s, schemes[i], n) == 0 && s[n] != '\0' && s[n] != '/' && s[n] != ':')
            return true;
    }
    snprintf(why, whysz,
             "expected a URL like http://HOST:PORT (http, https, socks4, socks4a, "
             "socks5 or socks5h)");
    return false;
}

/* ---- applying one value ---- */

static void config_describe_bounds(const struct config_key *k, char *why, size_t whysz)
{
    char lo[32], hi[32];
    switch (k->type) {
    case CONFIG_DURATION:
        config_format_duration((int64_t)k->min, lo, sizeof(lo));
        config_format_duration((int64_t)k->max, hi, sizeof(hi));
        break;
    case CONFIG_SIZE:
        config_format_size(k->min, lo, sizeof(lo));
        config_format_size(k->max, hi, sizeof(hi));
        break;
    default:
        snprintf(lo, sizeof(lo), "%" PRIu64, k->min);
        snprintf(hi, sizeof(hi), "%" PRIu64, k->max);
        break;
    }
    snprintf(why, whysz, "must be between %s and %s", lo, hi);
}

static void config_expected(const struct config_key *k, char *why, size_t whysz)
{
    switch (k->type) {
    case CONFIG_PATH:
        snprintf(why, whysz, "expected an absolute path%s",
                 (k->flags & CONFIG_F_EMPTY_OK) ? " or nothing" : "");
        break;
    case CONFIG_BOOL:
        snprintf(why, whysz, "expected yes or no");
        break;
    case CONFIG_UINT:
        snprintf(why, whysz, "expected a number");
        break;
    case CONFIG_MODE:
        snprintf(why, whysz, "expected an octal mode like 0660");
        break;
    case CONFIG_DURATION:
        snprintf(why, whysz, "expected a duration like 10s, 5m");
        break;
    case CONFIG_SIZE:
        snprintf(why, whysz, "expected a size like 512M, 1G");
        break;
    case CONFIG_ENUM: {
        size_t used = (size_t)snprintf(why, whysz, "expected");
        for (size_t i = 0; k->names[i] != NULL && used < whysz; i++)
            used += (size_t)snprintf(why + used, whysz - used, "%s %s", i == 0 ? "" : " or",
                                     k->names[i]);
        break;
    }
    default:
        snprintf(why, whysz, "invalid");
        break;
    }
}

/*
 * Can the value be written as "key = value" and read back unchanged?  No
 * control bytes, no leading or trailing blanks, no '#' that the file
 * parser would take for a comment.
 */
static bool config_value_printable(const char *v, char *why, size_t whysz)
{
    size_t len = strlen(v);
    if (len > CONFIG_VALUE_MAX) {
        snprintf(why, whysz, "longer than %d bytes", CONFIG_VALUE_MAX);
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)v[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
            snprintf(why, whysz, "control character in value");
            return false;
        }
        if (ch == '#' && (i == 0 || config_is_space(v[i - 1]))) {
            snprintf(why, whysz, "'#' here would start a comment");
            return false;
        }
    }
    if (len > 0 && (config_is_space(v[0]) || config_is_space(v[len - 1]))) {
        snprintf(why, whysz, "leading or trailing blanks");
        return false;
    }
    return true;
}

/* Parse value for key k and store it in c; on failure c is unchanged. */
static bool config_apply(struct config *c, const struct config_key *k, const char *value, char *why,
                         size_t whysz)
{
    void *field = config_field(c, k);
    if (!config_value_printable(value, why, whysz))
        return false;

    switch (k->type) {
    case CONFIG_STRING:
    case CONFIG_PATH: {
        char *norm = NULL;
        if (k->type == CONFIG_PATH) {
            bool empty_ok = (k->flags & CONFIG_F_EMPTY_OK) != 0;
            if (*value == '\0' ? !empty_ok : *value != '/') {
                config_expected(k, why, whysz);
                return false;
            }
            if ((k->flags & CONFIG_F_SOCKET) && strlen(value) > CONFIG_SUN_PATH_MAX) {
                snprintf(why, whysz, "socket path longer than %zu bytes",
                         (size_t)CONFIG_SUN_PATH_MAX);
                return false;
            }
        }
        if (k->check != NULL && !k->check(value, &norm, why, whysz))
            return false;
        char **slot = field;
        free(*slot);
        *slot = norm != NULL ? norm : xstrdup(value);
        return true;
    }
    case CONFIG_BOOL: {
        bool b;
        if (!config_parse_bool(value, &b)) {
            config_expected(k, why, whysz);
            return false;
        }
        *(bool *)field = b;
        return true;
    }
    case CONFIG_UINT: {
        uint64_t v;
        if (!config_parse_uint(value, &v)) {
            config_expected(k, why, whysz);
            return false;
        }
        if (v < k->min || v > k->max) {
            config_describe_bounds(k, why, whysz);
            return false;
        }
        *(unsigned *)field = (unsigned)v;
        return true;
    }
    case CONFIG_MODE: {
        unsigned m;
        if (!config_parse_mode(value, &m)) {
            config_expected(k, why, whysz);
            return false;
        }
        *(unsigned *)field = m;
        return true;
    }
    case CONFIG_DURATION: {
        int64_t d;
        if (!config_parse_duration(value, &d)) {
            config_expected(k, why, whysz);
            return false;
        }
        if ((uint64_t)d < k->min || (uint64_t)d > k->max) {
            config_describe_bounds(k, why, whysz);
            return false;
        }
        *(int64_t *)field = d;
        return true;
    }
    case CONFIG_SIZE: {
        uint64_t v;
        if (!config_parse_size(value, &v)) {
            config_expected(k, why, whysz);
            return false;
        }
        if (v < k->min || v > k->max) {
            config_describe_bounds(k, why, whysz);
            return false;
        }
        *(uint64_t *)field = v;
        return true;
    }
    case CONFIG_ENUM:
        for (int i = 0; k->names[i] != NULL; i++) {
            if (strcasecmp(value, k->names[i]) == 0) {
                memcpy(field, &i, sizeof(i));
                return true;
            }
        }
        config_expected(k, why, whysz);
        return false;
    }
    snprintf(why, whysz, "internal error: bad key type");
    return false;
}

/* Format the value of key k in c into buf. */
static void config_format(const struct config *c, const struct config_key *k, char *buf,
                          size_t bufsz)
{
    const void *field = config_cfield(c, k);
    switch (k->type) {
    case CONFIG_STRING:
    case CONFIG_PATH: {
        const char *s = *(char *const *)field;
        snprintf(buf, bufsz, "%s", s != NULL ? s : "");
        break;
    }
    case CONFIG_BOOL:
        snprintf(buf, bufsz, "%s", *(const bool *)field ? "yes" : "no");
        break;
    case CONFIG_UINT:
        snprintf(buf, bufsz, "%u", *(const unsigned *)field);
        break;
    case CONFIG_MODE:
        snprintf(buf, bufsz, "0%03o", *(const unsigned *)field);
        break;
    case CONFIG_DURATION:
        config_format_duration(*(const int64_t *)field, buf, bufsz);
        break;
    case CONFIG_SIZE:
        config_format_size(*(const uint64_t *)field, buf, bufsz);
        break;
    case CONFIG_ENUM: {
        int i;
        memcpy(&i, field, sizeof(i));
        size_t n = 0;
        while (k->names[n] != NULL)
            n++;
        snprintf(buf, bufsz, "%s", i >= 0 && (size_t)i < n ? k->names[i] : "?");
        break;
    }
    }
}

/* Quote untrusted text for an error message. */
static const char *config_quote(const char *s, size_t len, char *buf, size_t bufsz)
{
    return log_sanitize(s, len, buf, bufsz);
}

/* ---- whole-struct operations ---- */

static void config_free_strings(struct config *c)
{
    for (size_t i = 0; i < CONFIG_NKEYS; i++) {
        const struct config_key *k = &config_keys[i];
        if (k->type == CONFIG_STRING || k->type == CONFIG_PATH) {
            char **slot = config_field(c, k);
            free(*slot);
            *slot = NULL;
        }
    }
}

/* A deep copy of c. */
static struct config *config_dup(const struct config *c)
{
    struct config *d = xmalloc(sizeof(*d));
    memcpy(d, c, sizeof(*d));
    for (size_t i = 0; i < CONFIG_NKEYS; i++) {
        const struct config_key *k = &config_keys[i];
        if (k->type == CONFIG_STRING || k->type == CONFIG_PATH) {
            char **slot = config_field(d, k);
            *slot = *slot != NULL ? xstrdup(*slot) : NULL;
        }
    }
    return d;
}

/* Move the contents of src into dst (freeing dst's strings) and free src. */
static void config_replace(struct config *dst, struct config *src)
{
    config_free_strings(dst);
    memcpy(dst, src, sizeof(*dst));
    free(src);
}

struct config *config_new(void)
{
    struct config *c = xcalloc(1, sizeof(*c));
    for (size_t i = 0; i < CONFIG_NKEYS; i++) {
        char why[CONFIG_WHY_MAX];
        if (!config_apply(c, &config_keys[i], config_keys[i].def, why, sizeof(why))) {
            /* A bad built-in default is a programming error. */
            fprintf(stderr, "mtastsd: bad default for %s: %s\n", config_keys[i].name, why);
            abort();
        }
    }
    return c;
}

void config_free(struct config *c)
{
    if (c == NULL)
        return;
    config_free_strings(c);
    free(c);
}

const char *config_key_name(size_t i)
{
    return i < CONFIG_NKEYS ? config_keys[i].name : NULL;
}

const char *config_key_description(size_t i)
{
    return i < CONFIG_NKEYS ? config_keys[i].desc : NULL;
}

bool config_key_restart_only(size_t i)
{
    return i < CONFIG_NKEYS && (config_keys[i].flags & CONFIG_F_RESTART) != 0;
}

size_t config_restart_changes(const struct config *old, const struct config *new,
                              config_change_fn *fn, void *arg)
{
    size_t n = 0;
    for (size_t i = 0; i < CONFIG_NKEYS; i++) {
        const struct config_key *k = &config_keys[i];
        char ov[CONFIG_LINE_MAX], nv[CONFIG_LINE_MAX];
        if (!(k->flags & CONFIG_F_RESTART))
            continue;
        config_format(old, k, ov, sizeof(ov));
        config_format(new, k, nv, sizeof(nv));
        if (strcmp(ov, nv) == 0)
            continue;
        n++;
        if (fn != NULL)
            fn(arg, k->name, ov, nv);
    }
    return n;
}

void config_print(const struct config *c, FILE *out)
{
    for (size_t i = 0; i < CONFIG_NKEYS; i++) {
        char buf[CONFIG_LINE_MAX];
        config_format(c, &config_keys[i], buf, sizeof(buf));
        if (buf[0] == '\0')
            fprintf(out, "%s =\n", config_keys[i].name);
        else
            fprintf(out, "%s = %s\n", config_keys[i].name, buf);
    }
}

/* Set key (length klen) to value in c; errors are written as PREFIX + reason. */
static bool config_set_one(struct config *c, const char *key, size_t klen, const char *value,
                           const char *prefix, char *err, size_t errsz)
{
    char qkey[CONFIG_QUOTE_MAX], qval[CONFIG_QUOTE_MAX], why[CONFIG_WHY_MAX];
    const struct config_key *k = NULL;
    for (size_t i = 0; i < CONFIG_NKEYS; i++) {
        if (strlen(config_keys[i].name) == klen && memcmp(config_keys[i].name, key, klen) == 0) {
            k = &config_keys[i];
            break;
        }
    }
    if (k == NULL) {
        config_err(err, errsz, "%sunknown key '%s'", prefix,
                   config_quote(key, klen, qkey, sizeof(qkey)));
        return false;
    }
    if (!config_apply(c, k, value, why, sizeof(why))) {
        config_err(err, errsz, "%sbad value for %s: '%s' (%s)", prefix, k->name,
                   config_quote(value, strlen(value), qval, sizeof(qval)), why);
        return false;
    }
    return true;
}

bool config_set(struct config *c, const char *key, const char *value, char *err, size_t errsz)
{
    return config_set_one(c, key, strlen(key), value, "", err, errsz);
}

bool config_set_option(struct config *c, const char *kv, char *err, size_t errsz)
{
    char q[CONFIG_QUOTE_MAX];
    const char *eq = strchr(kv, '=');
    if (eq == NULL) {
        config_err(err, errsz, "expected key=value, got '%s'",
                   config_quote(kv, strlen(kv), q, sizeof(q)));
        return false;
    }
    const char *key = kv;
    size_t klen = (size_t)(eq - kv);
    while (klen > 0 && config_is_space(*key)) {
        key++;
        klen--;
    }
    while (klen > 0 && config_is_space(key[klen - 1]))
        klen--;
    const char *v = eq + 1;
    while (config_is_space(*v))
        v++;
    size_t vlen = strlen(v);
    while (vlen > 0 && config_is_space(v[vlen - 1]))
        vlen--;
    char *value = xstrndup(v, vlen);
    bool ok = config_set_one(c, key, klen, value, "", err, errsz);
    free(value);
    return ok;
}

/*
 * Parse one line (without its newline) into c.  lineno is for messages.
 * The line holds no NUL byte and is at most CONFIG_LINE_MAX bytes.
 */
static bool config_parse_line(struct config *c, const char *name, unsigned long lineno,
                              const char *line, size_t len, char *err, size_t errsz)
{
    char q[CONFIG_QUOTE_MAX], prefix[CONFIG_NAME_QUOTE_MAX + 32];
    if (len > 0 && line[len - 1] == '\r')
        len--;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)line[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
            config_err(err, errsz, "%s:%lu: control character 0x%02x", name, lineno, ch);
            return false;
        }
    }
    size_t i = 0;
    while (i < len && config_is_space(line[i]))
        i++;
    if (i == len || line[i] == '#')
        return true;

    /* key */
    size_t kstart = i;
    while (i < len && ((line[i] >= 'a' && line[i] <= 'z') || config_is_digit(line[i]) ||
                       line[i] == '_' || (line[i] >= 'A' && line[i] <= 'Z')))
        i++;
    size_t kend = i;
    while (i < len && config_is_space(line[i]))
        i++;
    if (kend == kstart || i == len || line[i] != '=') {
        config_err(err, errsz, "%s:%lu: expected 'key = value', got '%s'", name, lineno,
                   config_quote(line, len, q, sizeof(q)));
        return false;
    }
    i++;

    /* value, up to a comment */
    while (i < len && config_is_space(line[i]))
        i++;
    size_t vstart = i, vend = i;
    for (; i < len; i++) {
        if (line[i] == '#' && (i == vstart || config_is_space(line[i - 1])))
            break;
        if (!config_is_space(line[i]))
            vend = i + 1;
    }
    char *value = xstrndup(line + vstart, vend - vstart);
    snprintf(prefix, sizeof(prefix), "%s:%lu: ", name, lineno);
    bool ok = config_set_one(c, line + kstart, kend - kstart, value, prefix, err, errsz);
    free(value);
    return ok;
}

bool config_load_buffer(struct config *c, const char *name, const char *buf, size_t len, char *err,
                        size_t errsz)
{
    char qname[CONFIG_NAME_QUOTE_MAX];
    name = config_quote(name, strlen(name), qname, sizeof(qname));
    if (len > CONFIG_FILE_MAX) {
        config_err(err, errsz, "%s: file too large (more than %d bytes)", name, CONFIG_FILE_MAX);
        return false;
    }
    struct config *work = config_dup(c);
    unsigned long lineno = 0;
    size_t pos = 0;
    while (pos < len) {
        const char *line = buf + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t llen = nl != NULL ? (size_t)(nl - line) : len - pos;
        pos += llen + (nl != NULL);
        lineno++;
        if (memchr(line, '\0', llen) != NULL) {
            config_err(err, errsz, "%s:%lu: NUL byte in line", name, lineno);
            goto fail;
        }
        size_t content = llen > 0 && line[llen - 1] == '\r' ? llen - 1 : llen;
        if (content > CONFIG_LINE_MAX) {
            config_err(err, errsz, "%s:%lu: line longer than %d bytes", name, lineno,
                       CONFIG_LINE_MAX);
            goto fail;
        }
        if (!config_parse_line(work, name, lineno, line, llen, err, errsz))
            goto fail;
    }
    config_replace(c, work);
    return true;
fail:
    config_free(work);
    return false;
}

bool config_load_file(struct config *c, const char *path, bool missing_ok, char *err, size_t errsz)
{
    char qpath[CONFIG_NAME_QUOTE_MAX];
    const char *qp = config_quote(path, strlen(path), qpath, sizeof(qpath));
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT && missing_ok) {
            config_err(err, errsz, "%s", "");
            return true;
        }
        config_err(err, errsz, "%s: %s", qp, strerror(errno));
        return false;
    }
    size_t cap = CONFIG_FILE_MAX + 1, len = 0;
    char *buf = xmalloc(cap);
    while (len < cap) {
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            config_err(err, errsz, "%s: %s", qp, strerror(errno));
            close(fd);
            free(buf);
            return false;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    bool ok = config_load_buffer(c, path, buf, len, err, errsz);
    free(buf);
    return ok;
}

/*
 * config - the typed configuration table (DESIGN section 6).
 *
 * Every key has a built-in default, so mtastsd runs with no file at all.
 * config_new() returns the defaults; config_load_file() and config_set()
 * (for "-o key=value") apply values on top.  Files hold "key = value"
 * lines, '#' comments and blank lines; every error names the file and
 * line ("FILE:LINE: unknown key 'x'").  Values are typed: strings,
 * booleans (yes/no/true/false/on/off/1/0), unsigned integers, octal modes,
 * durations (a number with optional s/m/h/d suffix, seconds if none) and
 * sizes (optional K/M/G suffix, bytes if none).  Limits are checked.
 *
 * File syntax details: spaces around '=' are optional; a '#' at the start
 * of a value or after a blank starts a comment (elsewhere it is part of
 * the value; there is no quoting); CRLF line ends are accepted; a key
 * given twice takes the last value; lines longer than CONFIG_LINE_MAX,
 * NUL and other control bytes, and files over 1 MiB are errors.
 * listen, metrics_listen (inet only) and dns_servers are checked here
 * (numeric addresses, ports 1-65535, absolute unix paths that fit in
 * sun_path) and stored normalised (single spaces between listeners, no
 * spaces around commas).
 *
 * Every load and set is all-or-nothing: on failure the struct config is
 * left exactly as it was.  Error texts: config_set() and
 * config_set_option() give the bare reason ("unknown key 'x'", "bad value
 * for KEY: 'VALUE' (reason)"), file loads prefix "FILE:LINE: ".
 *
 * A reload builds a new struct config from scratch and swaps it in only
 * when the whole file is valid; the caller keeps the old one otherwise.
 * Keys that only a restart applies (listen, socket_*, control_socket*,
 * state_dir, cache_max_size, user, group, pidfile: bound, opened or
 * dropped before the privilege drop) carry a flag in the table;
 * config_restart_changes() names each of them whose value a new
 * configuration changes, so the reload can say so, key by key.
 *
 * config_print() writes the effective configuration as "key = value"
 * lines that config_load_file() reads back unchanged ("mtastsd -n").
 * config_key_name(i) enumerates the public key names (the man page test).
 *
 * Ownership: config_free() frees the struct and every string in it.
 */
#ifndef MTASTSD_CONFIG_H
#define MTASTSD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "log.h"

#define CONFIG_DEFAULT_FILE "/etc/mtastsd.conf"
#define CONFIG_LINE_MAX     4096 /* longer lines are an error */

enum config_dns_error {
    CONFIG_DNS_ERROR_NOTFOUND = 0,
    CONFIG_DNS_ERROR_DEFER,
};

enum config_dane {
    CONFIG_DANE_OFF = 0,
    CONFIG_DANE_ON,
};

struct config {
    char *listen;                 /* space-separated unix:PATH / inet:ADDR:PORT */
    unsigned socket_mode;         /* for unix listeners, default 0666 */
    char *socket_owner;           /* "" = unchanged */
    char *socket_group;           /* "" = unchanged */
    char *control_socket;         /* path */
    unsigned control_socket_mode; /* default 0600 */
    char *control_socket_group;   /* "" = unchanged */
    char *metrics_listen;         /* "" = off; space-separated inet:ADDR:PORT */
    char *state_dir;
    uint64_t cache_max_size;       /* bytes */
    char *dns_servers;             /* "" = /etc/resolv.conf */
    char *ca_file;                 /* "" = system store */
    char *https_proxy;             /* "" = no proxy, environment ignored */
    char *user;                    /* "" = stay */
    char *group;                   /* "" = stay */
    char *pidfile;                 /* "" = none */
    int64_t query_timeout;         /* seconds */
    int64_t dns_timeout;           /* seconds */
    int64_t https_connect_timeout; /* seconds */
    int64_t https_timeout;         /* seconds */
    int64_t idle_timeout;          /* socketmap connection idle, seconds */
    int64_t request_timeout;       /* socketmap request from first byte to end, seconds */
    unsigned max_connections;
    unsigned max_fetches;
    unsigned max_queued_fetches;
    int64_t negative_ttl;     /* seconds */
    int64_t recheck_interval; /* seconds */
    int64_t refresh_interval; /* seconds */
    enum config_dns_error dns_error;
    bool strict_testing;
    enum config_dane dane; /* DANE precedence (RFC 8461 section 2) */
    char *dane_probe_name; /* a signed name: AD proves the resolver validates */
    enum log_level log_level;
};

struct config *config_new(void);
void config_free(struct config *c);

/*
 * Apply a file.  A missing file (ENOENT) is fine when missing_ok (the
 * built-in default path): true, nothing applied, err set to "".  Any other
 * problem returns false with the reason, "FILE:LINE: ..." where a line is
 * concerned, "FILE: strerror" for open/read errors, in err.
 */
bool config_load_file(struct config *c, const char *path, bool missing_ok, char *err, size_t errsz);
/* Apply a buffer as if it were the file `name` (used by tests and the fuzzer). */
bool config_load_buffer(struct config *c, const char *name, const char *buf, size_t len, char *err,
                        size_t errsz);
/* Set one key ("-o key=value" passes key and value split at '='). */
bool config_set(struct config *c, const char *key, const char *value, char *err, size_t errsz);
/* Parse "key=value" as given to -o (blanks around key and value are ignored). */
bool config_set_option(struct config *c, const char *kv, char *err, size_t errsz);

void config_print(const struct config *c, FILE *out);

/* Public key names, for docs and tests: NULL past the end. */
const char *config_key_name(size_t i);
/* One-line description of key i (for docs), NULL past the end. */
const char *config_key_description(size_t i);
/* True if key i takes effect only at a restart. */
bool config_key_restart_only(size_t i);

/*
 * For every restart-only key whose value differs between old and new,
 * call fn with its name and both values as config_print() writes them
 * (fn may be NULL).  Returns the number of such keys.
 */
typedef void config_change_fn(void *arg, const char *key, const char *old_value,
                              const char *new_value);
size_t config_restart_changes(const struct config *old, const struct config *new,
                              config_change_fn *fn, void *arg);

/* Value parsers, exposed for tests. */
bool config_parse_duration(const char *s, int64_t *out);
bool config_parse_size(const char *s, uint64_t *out);
bool config_parse_bool(const char *s, bool *out);

#endif

/*
 * endpoint - one listener address as the configuration writes it:
 * "unix:/PATH" or "inet:ADDR:PORT" (IPv4) / "inet:[ADDR]:PORT" (IPv6),
 * the elements of the `listen` key (DESIGN section 6).
 *
 * The one parser of that syntax: config.c checks and normalises `listen`
 * with it, listener.c binds what it describes, and any later listener key
 * (metrics_listen) takes the same form.  Addresses are numeric (no name
 * resolution ever happens here or at bind time), ports 1-65535, unix
 * paths absolute and short enough for sockaddr_un.
 *
 * endpoint_parse() fills *ep from s[0..len) (no NUL needed) or returns
 * false with a one-line reason in why.  Pure: no I/O, no allocation.
 */
#ifndef MTASTSD_ENDPOINT_H
#define MTASTSD_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

#define ENDPOINT_PATH_MAX 107 /* sizeof(sockaddr_un.sun_path) - 1 on Linux */
#define ENDPOINT_ADDR_MAX 46  /* INET6_ADDRSTRLEN */

enum endpoint_kind {
    ENDPOINT_UNIX = 0,
    ENDPOINT_INET,
};

struct endpoint {
    enum endpoint_kind kind;
    char path[ENDPOINT_PATH_MAX + 1]; /* ENDPOINT_UNIX */
    int family;                       /* ENDPOINT_INET: AF_INET or AF_INET6 */
    char addr[ENDPOINT_ADDR_MAX];     /* ENDPOINT_INET: numeric, no brackets */
    unsigned port;                    /* ENDPOINT_INET: 1-65535 */
};

bool endpoint_parse(const char *s, size_t len, struct endpoint *ep, char *why, size_t whysz);

#endif

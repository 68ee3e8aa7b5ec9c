/*
 * endpoint - "unix:/PATH" and "inet:ADDR:PORT" listener addresses (see
 * endpoint.h).
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "endpoint.h"

_Static_assert(ENDPOINT_PATH_MAX + 1 == sizeof(((struct sockaddr_un *)0)->sun_path),
               "a unix path fits in sockaddr_un");
_Static_assert(ENDPOINT_ADDR_MAX == INET6_ADDRSTRLEN, "any numeric address fits");

/* A port: 1-5 digits, 1..65535. */
static bool endpoint_port(const char *s, size_t len, unsigned *port)
{
    unsigned v = 0;
    if (len == 0 || len > 5)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *port = v;
    return v >= 1 && v <= 65535;
}

/* A numeric address of family af in s[0..len), copied to out. */
static bool endpoint_addr(int af, const char *s, size_t len, char out[ENDPOINT_ADDR_MAX])
{
    unsigned char bin[sizeof(struct in6_addr)];
    if (len == 0 || len >= ENDPOINT_ADDR_MAX)
        return false;
    memcpy(out, s, len);
    out[len] = '\0';
    return inet_pton(af, out, bin) == 1;
}

bool endpoint_parse(const char *s, size_t len, struct endpoint *ep, char *why, size_t whysz)
{
    memset(ep, 0, sizeof(*ep));
    if (len > 5 && strncmp(s, "unix:", 5) == 0) {
        const char *path = s + 5;
        size_t plen = len - 5;
        if (path[0] != '/') {
            snprintf(why, whysz, "unix listener path must be absolute");
            return false;
        }
        if (plen > ENDPOINT_PATH_MAX) {
            snprintf(why, whysz, "unix listener path longer than %d bytes", ENDPOINT_PATH_MAX);
            return false;
        }
        if (memchr(path, '\0', plen) != NULL) {
            snprintf(why, whysz, "NUL byte in a unix listener path");
            return false;
        }
        ep->kind = ENDPOINT_UNIX;
        memcpy(ep->path, path, plen);
        ep->path[plen] = '\0';
        return true;
    }
    if (len > 5 && strncmp(s, "inet:", 5) == 0) {
        const char *addr = s + 5;
        size_t alen = len - 5;
        const char *colon;
        bool ok;
        if (addr[0] == '[') {
            const char *close = memchr(addr, ']', alen);
            ok = close != NULL && close + 1 < addr + alen && close[1] == ':' &&
                 endpoint_addr(AF_INET6, addr + 1, (size_t)(close - addr - 1), ep->addr);
            colon = ok ? close + 1 : NULL;
            ep->family = AF_INET6;
        } else {
            colon = memchr(addr, ':', alen);
            ok = colon != NULL && endpoint_addr(AF_INET, addr, (size_t)(colon - addr), ep->addr);
            ep->family = AF_INET;
        }
        if (!ok) {
            snprintf(why, whysz, "inet listener needs a numeric IPv4 or [IPv6] address and a port");
            return false;
        }
        if (!endpoint_port(colon + 1, (size_t)(addr + alen - colon - 1), &ep->port)) {
            snprintf(why, whysz, "inet listener port must be 1-65535");
            return false;
        }
        ep->kind = ENDPOINT_INET;
        return true;
    }
    snprintf(why, whysz, "expected unix:/PATH or inet:ADDR:PORT");
    return false;
}

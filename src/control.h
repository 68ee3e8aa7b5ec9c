/*
 * control - the control socket that mtastsd-ctl talks to (DESIGN 6a,
 * STYLE practice 13).
 *
 * control_open() creates the unix socket at control_socket (checking for
 * a live instance before replacing a stale path; created under a tight
 * umask with control_socket_mode, group control_socket_group) before
 * privileges are dropped; an empty control_socket disables it (NULL with
 * err set to "").  control_start() begins accepting once the other
 * modules exist.  Peer credentials (SO_PEERCRED) are checked: root, the
 * daemon's own uid, or a member of control_socket_group.
 *
 * The protocol is a versioned line protocol documented in
 * doc/control-protocol.txt (and mtastsd-ctl(8)): the client sends one
 * command line, the server answers with lines and a final status line.
 * Commands are dispatched through a table; every argument is validated
 * (domains through domain.c); the pure parts (request/reply lines, entry
 * views, load-record validation) are in ctlproto.c.  The socket file is
 * also chowned to `user` when mtastsd starts as root, so that the
 * daemon's own uid may use it after the privilege drop.
 */
#ifndef MTASTSD_CONTROL_H
#define MTASTSD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct config;
struct cache;
struct fetch;
struct smap;
struct lookup;
struct control;

struct control_deps {
    struct cache *cache;
    struct fetch *fetch;
    struct smap *smap;
    struct lookup *lookup;
    /* Same as SIGHUP; false with the reason in err if the running
     * configuration was kept. */
    bool (*reload)(void *arg, char *err, size_t errsz);
    void *reload_arg;
};

struct control *control_open(struct event_base *base, const struct config *cfg, char *err,
                             size_t errsz);
void control_start(struct control *c, const struct control_deps *deps);
void control_close(struct control *c);

#endif

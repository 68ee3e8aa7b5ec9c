/*
 * control - the control socket that mtastsd-ctl talks to (DESIGN 6a,
 * STYLE practice 13).
 *
 * control_open() creates the unix socket at control_socket (checking for
 * a live instance before replacing a stale path; created under a tight
 * umask with control_socket_mode, group control_socket_group) before
 * privileges are dropped; an empty control_socket disables it (NULL with
 * err set to "").  control_start() begins accepting, through listener.c
 * like the socketmap listeners, once the other modules exist.  Peer
 * credentials (SO_PEERCRED) are checked: root, the daemon's own uid, or a
 * member of control_socket_group.  control_reconfigure() takes the
 * settings the control module copies (refresh_interval, for records that
 * "load" brings without a refresh time) from a reloaded configuration;
 * the socket's path, mode and group are restart-only (config.c).
 *
 * The protocol is a versioned line protocol documented in
 * doc/control-protocol.txt (and mtastsd-ctl(8)): the client sends one
 * command line, the server answers with lines and a final status line.
 * This module owns the socket, the peers and their I/O; the commands are
 * ctlcmd.c's, and they answer through the control_client_*() functions
 * below; the wire format is ctlproto.c's.  The socket file is also
 * chowned to `user` when mtastsd starts as root, so that the daemon's own
 * uid may use it after the privilege drop.
 */
#ifndef MTASTSD_CONTROL_H
#define MTASTSD_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

struct event_base;
struct config;
struct cache;
struct fetch;
struct smap;
struct lookup;
struct scrape;
struct control;
struct control_client;
struct ctlcmd_ops;
struct ctlproto_request;
struct json_t;

struct control_deps {
    struct cache *cache;
    struct fetch *fetch;
    struct smap *smap;
    struct lookup *lookup;
    struct scrape *scrape; /* "stats --prometheus" */
    struct danejob *dane;  /* may be NULL */
    /* Same as SIGHUP; false with the reason in err if the running
     * configuration was kept. */
    bool (*reload)(void *arg, char *err, size_t errsz);
    void *reload_arg;
};

struct control *control_open(struct event_base *base, const struct config *cfg, char *err,
                             size_t errsz);
void control_start(struct control *c, const struct control_deps *deps);
/* The settings this module copies, from a reloaded configuration (NULL c
 * is fine: no control socket). */
void control_reconfigure(struct control *c, const struct config *cfg);
void control_close(struct control *c);

/*
 * For the commands (ctlcmd.c): the client a command runs for.  Output is
 * queued on the client; control_client_final() queues the last line and
 * ends the command (its ops' stop is called, no more input is read), the
 * connection closes once it is written.  None of these frees the client.
 */
bool control_client_json(const struct control_client *c); /* --json */
const struct ctlproto_request *control_client_request(const struct control_client *c);
void control_client_peer(const struct control_client *c, long *uid, long *pid);
const struct control_deps *control_client_deps(const struct control_client *c);
int64_t control_client_refresh_interval(const struct control_client *c);
void control_client_counts(const struct control_client *c, size_t *clients, uint64_t *refused);
struct event_base *control_client_base(const struct control_client *c);

/* One DATA line per LF-separated line of text. */
void control_client_data(struct control_client *c, const char *text);
void control_client_dataf(struct control_client *c, const char *fmt, ...) LOG_PRINTF(2, 3);
/* Send a malloc'd text as DATA and free it. */
void control_client_data_take(struct control_client *c, char *text);
/* Send a JSON object as one DATA line and release it. */
void control_client_data_json(struct control_client *c, struct json_t *o);
void control_client_final(struct control_client *c, const char *kw, const char *fmt, ...)
    LOG_PRINTF(3, 4);
bool control_client_finished(const struct control_client *c);
size_t control_client_output(const struct control_client *c); /* bytes not yet written */

/* A command that goes on after its run(): its hooks and state (ctlcmd.h). */
void control_client_run(struct control_client *c, const struct ctlcmd_ops *ops, void *st);
/* Call the command's work hook on the next loop turn. */
void control_client_schedule(struct control_client *c);
/* "load": say CONTINUE and read records (input hook, control_client_getline()). */
void control_client_read_records(struct control_client *c);
/* Take one LF-terminated line of at most max bytes (CR stripped): 1 with a
 * malloc'd *line, 0 if none is complete yet, -1 if it is too long. */
int control_client_getline(struct control_client *c, size_t max, char **line, size_t *len);

#endif

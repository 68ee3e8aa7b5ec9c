/*
 * ctlcmd - the commands of the control socket: status, stats, show, list,
 * flush, refresh, reload, dump, load (doc/control-protocol.txt).
 *
 * control.c owns the socket, the peers and their I/O; it parses a
 * request line and looks the command up here (ctlcmd_find()), checks the
 * argument count, and runs it.  A command answers through control.h's
 * client functions (control_client_data*(), control_client_final()), and
 * is done when it has queued its final line.  A command that takes longer
 * than one call (a scan in batches, waiting for refresh jobs, reading
 * load records) gives control.c a struct ctlcmd_ops and its own state
 * with control_client_run(); control.c then calls:
 *   input    LOAD: more request bytes arrived (read them with
 *            control_client_getline())
 *   drained  the client took its output down to the low-water mark
 *   work     the turn control_client_schedule() asked for came
 *   left     the client went away before the final line (before stop)
 *   stop     the final line was queued or the client left: cancel every
 *            job, waiter and timer of the command (the state stays)
 *   free     the client is being freed: free the state
 * Every hook is called from the event loop, never from inside another
 * hook of the same client; after stop, only free follows.
 *
 * Limits and batching (never blocking the loop): scans read at most
 * CTLCMD_SCAN_BATCH entries per loop turn and pause above CTLCMD_OUT_HIGH
 * bytes of queued output; a load reads at most CTLCMD_LOAD_BATCH records
 * (CTLCMD_LOAD_BATCH_BYTES of text) per turn and stores them with one
 * cache_put_many(); a refresh waits at most CTLCMD_REFRESH_WAIT seconds.
 * Diagnostics: operator actions (flush, refresh, reload, load) are logged
 * at info with the peer's uid and pid.
 */
#ifndef MTASTSD_CTLCMD_H
#define MTASTSD_CTLCMD_H

#include <stddef.h>

struct control_client;

#define CTLCMD_SCAN_BATCH       256 /* entries per loop turn */
#define CTLCMD_OUT_LOW          (16 * 1024)
#define CTLCMD_OUT_HIGH         (64 * 1024)
#define CTLCMD_REFRESH_WAIT     120           /* seconds a refresh command waits */
#define CTLCMD_LOAD_REPORT_MAX  100           /* rejected records reported one by one */
#define CTLCMD_LOAD_BATCH       128           /* records per loop turn and transaction */
#define CTLCMD_LOAD_BATCH_BYTES (1024 * 1024) /* record text per batch */

struct ctlcmd {
    const char *name;
    size_t min_args, max_args;
    void (*run)(struct control_client *c);
};

struct ctlcmd_ops {
    void (*input)(struct control_client *c, void *st);
    void (*drained)(struct control_client *c, void *st);
    void (*work)(struct control_client *c, void *st);
    void (*left)(struct control_client *c, void *st);
    void (*stop)(void *st);
    void (*free)(void *st);
};

/* The command called name, or NULL. */
const struct ctlcmd *ctlcmd_find(const char *name);

#endif

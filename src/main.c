/*
 * main - mtastsd: command line, start-up order, signals, reload, shutdown.
 *
 * mtastsd [-f] [-c FILE] [-o key=value]... [-n] [-V] [-h]
 *
 * Start-up order matters: configuration (refuse to start on any error),
 * logging, detach (before any library state exists, so LMDB never
 * crosses a fork), bind the sockets (possibly privileged), pidfile, drop
 * privileges, then open the cache (files owned by the service user) and
 * start the resolver, HTTPS client, fetch jobs, DANE checks (and their
 * resolver probe), lookup, socketmap and refresh, and tell systemd
 * READY=1.
 *
 * DANE (issue 12): with dane = on, a resolver that is not on loopback is
 * warned about at start and on every reload, not refused: the AD bit it
 * sets can be forged on the way, but Postfix, which makes the final DANE
 * decision with the same kind of resolver, is not protected by mtastsd
 * refusing to start, and a resolver on a private link or another address
 * of the host may be trusted for good reasons; the operator asked for
 * DANE.  With dane = off, one info line at start says what DANE
 * precedence would need.
 *
 * SIGHUP re-reads the same file with the same -o overrides into a new
 * configuration; it is swapped in only if valid (the old one stays
 * otherwise, with the reason logged).  Keys that cannot change without a
 * restart are named in a warning.  SIGTERM and SIGINT stop accepting,
 * close every connection, end the jobs and exit 0.
 */
#include "autoconfig.h"

#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "clock.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "danejob.h"
#include "dns.h"
#include "fetch.h"
#include "httpd.h"
#include "https.h"
#include "listener.h"
#include "log.h"
#include "lookup.h"
#include "params.h"
#include "refresh.h"
#include "scrape.h"
#include "smap.h"
#include "stats.h"
#include "xalloc.h"

struct mtastsd {
    struct event_base *base;
    struct config *cfg;
    const char *config_path;
    bool config_missing_ok;
    char **overrides;
    int noverrides;
    struct listener *listener;
    struct control *control;
    struct cache *cache;
    struct dns *dns;
    struct https *https;
    struct fetch *fetch;
    struct danejob *dane;
    struct lookup *lookup;
    struct smap *smap;
    struct refresh *refresh;
    struct scrape *scrape;
    struct listener *metrics_listener; /* NULL: metrics_listen is empty */
    struct httpd *httpd;
    struct event *sig_hup, *sig_term, *sig_int;
    bool https_init, pidfile_written;
};

static void main_usage(FILE *out)
{
    fprintf(out, "usage: mtastsd [-f] [-c FILE] [-o key=value]... [-n] [-V]\n"
                 "  -f            stay in the foreground and log to stderr\n"
                 "  -c FILE       configuration file (default " CONFIG_DEFAULT_FILE ")\n"
                 "  -o key=value  override one configuration key (repeatable)\n"
                 "  -n            print the effective configuration and exit\n"
                 "  -V            print the version and exit\n");
}

static struct config *main_load_config(struct mtastsd *d, char *err, size_t errsz)
{
    struct config *c = config_new();
    if (!config_load_file(c, d->config_path, d->config_missing_ok, err, errsz)) {
        config_free(c);
        return NULL;
    }
    for (int i = 0; i < d->noverrides; i++) {
        char e2[512];
        if (!config_set_option(c, d->overrides[i], e2, sizeof(e2))) {
            snprintf(err, errsz, "-o %s: %s", d->overrides[i], e2);
            config_free(c);
            return NULL;
        }
    }
    return c;
}

static bool main_str_changed(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") != 0;
}

/* config_change_fn: a reload changed a key that only a restart applies. */
static void main_restart_only(void *arg, const char *key, const char *old_value,
                              const char *new_value)
{
    (void)arg;
    log_warning("reload: %s changed from '%s' to '%s'; it takes effect only after a restart", key,
                old_value, new_value);
}

/* dane = on with a resolver that is not on loopback: a warning (see above). */
static void main_dane_check_servers(struct mtastsd *d, const struct config *c)
{
    char remote[64];
    if (c->dane != CONFIG_DANE_ON || dns_servers_local(d->dns, remote, sizeof(remote)))
        return;
    log_warning("dane = on, but the DNS server %s is not on loopback: its AD bit (\"this answer "
                "is DNSSEC-validated\") can be forged on the way, and with it the TLSA records "
                "that make mtastsd answer dane-only; use a validating resolver on this host "
                "(127.0.0.1 or ::1), as Postfix's own DANE needs",
                remote);
}

static bool main_reload(struct mtastsd *d, char *err, size_t errsz)
{
    daemon_notify("RELOADING=1");
    struct config *nc = main_load_config(d, err, errsz);
    if (nc == NULL) {
        log_error("reload: %s; keeping the running configuration", err);
        daemon_notify("READY=1\nSTATUS=reload failed; running configuration kept");
        return false;
    }
    struct config *oc = d->cfg;
    /* The restart-only keys are flagged in config.c's table: one line each. */
    config_restart_changes(oc, nc, main_restart_only, NULL);
    if (main_str_changed(oc->dns_servers, nc->dns_servers) || oc->dns_timeout != nc->dns_timeout) {
        char derr[512];
        if (!dns_reconfigure(d->dns, nc->dns_servers, (int)(nc->dns_timeout * 1000), derr,
                             sizeof(derr)))
            log_error("reload: dns_servers: %s; keeping the previous servers", derr);
    }
    log_set_level(nc->log_level);
    struct https_config hc;
    params_https(nc, &hc);
    https_reconfigure(d->https, &hc);
    struct fetch_params fp;
    params_fetch(nc, &fp);
    fetch_reconfigure(d->fetch, &fp);
    struct lookup_params lp;
    params_lookup(nc, &lp);
    lookup_reconfigure(d->lookup, &lp);
    struct smap_params sp;
    params_smap(nc, &sp);
    smap_reconfigure(d->smap, &sp);
    refresh_reconfigure(d->refresh, &fp.verdict, nc->max_fetches);
    struct danejob_params dp;
    params_dane(nc, &dp);
    danejob_reconfigure(d->dane, &dp);
    main_dane_check_servers(d, nc);
    control_reconfigure(d->control, nc);
    if (d->httpd != NULL) {
        struct httpd_params hp;
        params_httpd(nc, &hp);
        httpd_reconfigure(d->httpd, &hp);
    }
    d->cfg = nc;
    config_free(oc);
    log_info("reload: configuration from %s applied", d->config_path);
    daemon_notify("READY=1\nSTATUS=configuration reloaded");
    return true;
}

static bool main_reload_cb(void *arg, char *err, size_t errsz)
{
    return main_reload(arg, err, errsz);
}

static void main_on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct mtastsd *d = arg;
    (void)what;
    if (sig == SIGHUP) {
        char err[1024];
        main_reload(d, err, sizeof(err));
        return;
    }
    log_info("received %s; shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    daemon_notify("STOPPING=1");
    event_base_loopbreak(d->base);
}

static bool main_ensure_dir(const char *path, char *err, size_t errsz)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            snprintf(err, errsz, "%s is not a directory", path);
            return false;
        }
        return true;
    }
    if (mkdir(path, 0750) != 0 && errno != EEXIST) {
        snprintf(err, errsz, "cannot create %s: %s", path, strerror(errno));
        return false;
    }
    return true;
}

/*
 * Everything up to READY=1.  On false the reason is logged and main_run()
 * frees what was set up (main_teardown()), so a daemon that cannot start
 * leaves neither a socket file nor a pidfile behind.
 */
static bool main_setup(struct mtastsd *d, bool foreground)
{
    char err[1024];
    struct config *c = d->cfg;

    if (!foreground && !daemon_detach(err, sizeof(err))) {
        log_error("cannot detach: %s", err);
        return false;
    }
    signal(SIGPIPE, SIG_IGN);
    if (!https_global_init(err, sizeof(err))) {
        log_error("%s", err);
        return false;
    }
    d->https_init = true;
    d->base = event_base_new();
    if (d->base == NULL) {
        log_error("cannot create the event loop");
        return false;
    }

    bool activated = false;
    d->listener = listener_open_systemd(d->base, err, sizeof(err));
    activated = d->listener != NULL;
    if (d->listener == NULL && err[0] != '\0') {
        log_error("socket activation: %s", err);
        return false;
    }
    if (d->listener == NULL) {
        struct listener_unix_perms perms = {
            .mode = c->socket_mode, .owner = c->socket_owner, .group = c->socket_group};
        d->listener = listener_open(d->base, c->listen, &perms, err, sizeof(err));
        if (d->listener == NULL) {
            log_error("listen: %s", err);
            return false;
        }
    }
    d->control = control_open(d->base, c, err, sizeof(err));
    if (d->control == NULL && err[0] != '\0') {
        log_error("control socket: %s", err);
        return false;
    }
    if (c->metrics_listen[0] != '\0') {
        d->metrics_listener = listener_open(d->base, c->metrics_listen, NULL, err, sizeof(err));
        if (d->metrics_listener == NULL) {
            log_error("metrics_listen: %s", err);
            return false;
        }
        listener_set_name(d->metrics_listener, "metrics");
    }
    if (c->pidfile[0] != '\0') {
        if (!daemon_pidfile_write(c->pidfile, err, sizeof(err))) {
            log_error("pidfile: %s", err);
            return false;
        }
        d->pidfile_written = true;
    }
    if (!main_ensure_dir(c->state_dir, err, sizeof(err))) {
        log_error("state_dir: %s", err);
        return false;
    }
    if (c->user[0] != '\0') {
        long uid, gid;
        if (!daemon_lookup_ids(c->user, c->group, &uid, &gid, err, sizeof(err))) {
            log_error("user: %s", err);
            return false;
        }
        if (geteuid() == 0 && chown(c->state_dir, (uid_t)uid, (gid_t)gid) != 0)
            log_warning_errno("chown %s", c->state_dir);
    }
    if (!daemon_drop_privileges(c->user, c->group, err, sizeof(err))) {
        log_error("cannot drop privileges: %s", err);
        return false;
    }

    d->cache = cache_open(c->state_dir, c->cache_max_size, err, sizeof(err));
    if (d->cache == NULL) {
        log_error("cache: %s", err);
        return false;
    }
    d->dns = dns_new(d->base, c->dns_servers, (int)(c->dns_timeout * 1000), err, sizeof(err));
    if (d->dns == NULL) {
        log_error("dns: %s", err);
        return false;
    }
    dns_set_observer(d->dns, stats_dns_query, NULL); /* mtastsd_dns_queries_total */
    struct https_config hc;
    params_https(c, &hc);
    d->https = https_new(d->base, &hc, err, sizeof(err));
    if (d->https == NULL) {
        log_error("https: %s", err);
        return false;
    }
    struct fetch_params fp;
    params_fetch(c, &fp);
    d->fetch = fetch_new(d->base, d->dns, d->https, d->cache, &fp);
    struct lookup_params lp;
    params_lookup(c, &lp);
    d->lookup = lookup_new(d->base, d->cache, d->fetch, &lp);
    struct danejob_params dp;
    params_dane(c, &dp);
    d->dane = danejob_new(d->base, d->dns, d->cache, &dp);
    lookup_set_dane(d->lookup, d->dane);
    main_dane_check_servers(d, c);
    if (c->dane != CONFIG_DANE_ON)
        log_info("dane = off: domains that publish DANE (TLSA) and MTA-STS get the MTA-STS "
                 "verdict; with Postfix's DANE set up (smtp_dns_support_level = dnssec, a local "
                 "validating resolver), dane = on lets DANE take precedence (README, DANE)");
    struct smap_params sp;
    params_smap(c, &sp);
    d->smap = smap_new(d->base, d->lookup, &sp);
    smap_set_listener(d->smap, d->listener);
    listener_start(d->listener, smap_accept, d->smap);
    d->refresh = refresh_new(d->base, d->cache, d->fetch, &fp.verdict, c->max_fetches);
    d->scrape = scrape_new(d->base, d->cache);
    if (d->metrics_listener != NULL) {
        struct httpd_params hp;
        params_httpd(c, &hp);
        d->httpd = httpd_new(d->base, &hp, scrape_endpoint, d->scrape);
        httpd_set_listener(d->httpd, d->metrics_listener);
        listener_start(d->metrics_listener, httpd_accept, d->httpd);
    }
    struct scrape_deps sd = {.fetch = d->fetch,
                             .smap = d->smap,
                             .lookup = d->lookup,
                             .refresh = d->refresh,
                             .httpd = d->httpd};
    scrape_set_deps(d->scrape, &sd);
    if (d->control != NULL) {
        struct control_deps deps = {.cache = d->cache,
                                    .fetch = d->fetch,
                                    .smap = d->smap,
                                    .lookup = d->lookup,
                                    .scrape = d->scrape,
                                    .dane = d->dane,
                                    .reload = main_reload_cb,
                                    .reload_arg = d};
        control_start(d->control, &deps);
    }

    d->sig_hup = evsignal_new(d->base, SIGHUP, main_on_signal, d);
    d->sig_term = evsignal_new(d->base, SIGTERM, main_on_signal, d);
    d->sig_int = evsignal_new(d->base, SIGINT, main_on_signal, d);
    event_add(d->sig_hup, NULL);
    event_add(d->sig_term, NULL);
    event_add(d->sig_int, NULL);

    stats.started = (time_t)clock_wall();
    log_info("mtastsd %s ready: listening on %s, %zu cached entries in %s%s%s", PACKAGE_VERSION,
             activated ? "the sockets passed by systemd" : c->listen, cache_count(d->cache),
             c->state_dir, d->httpd != NULL ? "; metrics on " : "",
             d->httpd != NULL ? c->metrics_listen : "");
    daemon_notify("READY=1\nSTATUS=serving");

    return true;
}

/* Free what main_setup() made, in reverse order; any member may be NULL. */
static void main_teardown(struct mtastsd *d)
{
    if (d->httpd != NULL)
        httpd_free(d->httpd);
    if (d->metrics_listener != NULL)
        listener_close(d->metrics_listener);
    if (d->scrape != NULL)
        scrape_free(d->scrape);
    if (d->refresh != NULL)
        refresh_free(d->refresh);
    if (d->smap != NULL)
        smap_free(d->smap);
    if (d->listener != NULL)
        listener_close(d->listener);
    if (d->control != NULL)
        control_close(d->control);
    if (d->lookup != NULL)
        lookup_free(d->lookup);
    if (d->dane != NULL)
        danejob_free(d->dane);
    if (d->fetch != NULL)
        fetch_free(d->fetch);
    if (d->https != NULL)
        https_free(d->https);
    if (d->dns != NULL)
        dns_free(d->dns);
    if (d->cache != NULL)
        cache_close(d->cache);
    if (d->sig_hup != NULL)
        event_free(d->sig_hup);
    if (d->sig_term != NULL)
        event_free(d->sig_term);
    if (d->sig_int != NULL)
        event_free(d->sig_int);
    if (d->base != NULL)
        event_base_free(d->base);
    if (d->https_init)
        https_global_cleanup();
    if (d->pidfile_written)
        daemon_pidfile_remove(d->cfg->pidfile);
}

static int main_run(struct mtastsd *d, bool foreground)
{
    if (!main_setup(d, foreground)) {
        main_teardown(d);
        return 1;
    }
    event_base_dispatch(d->base);
    main_teardown(d);
    log_info("mtastsd stopped");
    return 0;
}

int main(int argc, char **argv)
{
    struct mtastsd d;
    bool foreground = false, print_only = false;
    int opt;
    char err[1024];

    memset(&d, 0, sizeof(d));
    d.config_path = CONFIG_DEFAULT_FILE;
    d.config_missing_ok = true;
    d.overrides = xcalloc((size_t)argc + 1, sizeof(char *));

    while ((opt = getopt(argc, argv, "fc:o:nVh")) != -1) {
        switch (opt) {
        case 'f':
            foreground = true;
            break;
        case 'c':
            d.config_path = optarg;
            d.config_missing_ok = false;
            break;
        case 'o':
            d.overrides[d.noverrides++] = optarg;
            break;
        case 'n':
            print_only = true;
            break;
        case 'V':
            printf("mtastsd %s\n", PACKAGE_VERSION);
            free(d.overrides);
            return 0;
        case 'h':
            main_usage(stdout);
            free(d.overrides);
            return 0;
        default:
            main_usage(stderr);
            free(d.overrides);
            return 2;
        }
    }
    if (optind != argc) {
        main_usage(stderr);
        free(d.overrides);
        return 2;
    }

    log_open("mtastsd", foreground || print_only);
    d.cfg = main_load_config(&d, err, sizeof(err));
    if (d.cfg == NULL) {
        log_error("configuration: %s", err);
        free(d.overrides);
        return 1;
    }
    if (print_only) {
        config_print(d.cfg, stdout);
        config_free(d.cfg);
        free(d.overrides);
        return 0;
    }
    log_set_level(d.cfg->log_level);
    int rc = main_run(&d, foreground);
    config_free(d.cfg);
    free(d.overrides);
    log_close();
    return rc;
}

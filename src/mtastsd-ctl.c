/*
 * mtastsd-ctl - the operator's tool: talks to mtastsd's control socket
 * (DESIGN section 6a; protocol in doc/control-protocol.txt).  It never
 * opens the cache.  For domain owners it also runs "check DOMAIN" and
 * "suggest DOMAIN" in-process, without a daemon (see below).
 *
 * mtastsd-ctl [-s SOCKET] [-c FILE] [-o key=value]... [--json] [--no-probe] COMMAND [ARGS]
 *
 * The socket is -s, else control_socket from the configuration file (-c,
 * default /etc/mtastsd.conf; a missing default file is fine).  Arguments
 * are checked before connecting (domains through domain_normalize_key(),
 * list filters, flush forms), so a usage error never reaches the daemon.
 * DATA lines go to stdout (control bytes replaced by '?'); ERR and
 * NOTFOUND reasons go to stderr.  In text mode an OK summary is printed
 * on stdout, or on stderr for list and dump, whose stdout is meant for
 * pipes and files; --json prints only the JSON lines.
 *
 * "stats --prometheus" prints the daemon's metrics in the Prometheus text
 * format (the metrics endpoint's exposition without process_*), for
 * node_exporter's textfile collector.
 *
 * "load FILE" ("-" for stdin) streams the file's lines after the server's
 * CONTINUE, reading the server's answers at the same time (poll), so that
 * neither side can block the other; the server validates every record.
 *
 * check and suggest (ctl_owner()): the configuration (-c, then -o, the
 * mtastsd.conf keys) gives dns_servers, dns_timeout, ca_file and
 * https_proxy; an event loop, the daemon's dns and https adapters and
 * domcheck.c (or one dns_mx_sec() for suggest) do the work; check also
 * probes each MX host over SMTP and STARTTLS (mxprobe.c, certificates
 * checked against ca_file) unless --no-probe says not to; SIGPIPE is
 * ignored for that.  The report goes to stdout as aligned text (colour
 * only on a terminal and never with a non-empty NO_COLOR) or, with
 * --json, as one JSON object.
 *
 * Exit codes: 0 ok, 1 not found or failed, 2 usage, 3 daemon unreachable;
 * check: 0 all ok, 4 warnings only, 5 errors.
 * Limits: a reply line is at most CTLPROTO_REPLY_MAX bytes; no reply for
 * CTL_IDLE_TIMEOUT seconds ends the tool with status 1; check is bounded
 * by DOMCHECK_DEADLINE_MS, suggest by CTL_SUGGEST_TIMEOUT.
 */
#include "autoconfig.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "domcheck.h"
#include "config.h"
#include "ctlproto.h"
#include "dns.h"
#include "domain.h"
#include "https.h"
#include "log.h"
#include "report.h"
#include "sts_policy.h"
#include "suggest.h"
#include "xalloc.h"

#define CTL_EXIT_OK          0
#define CTL_EXIT_FAILED      1
#define CTL_EXIT_USAGE       2
#define CTL_EXIT_UNREACHABLE 3
#define CTL_EXIT_WARNINGS    4 /* check: warnings, no error */
#define CTL_EXIT_ERRORS      5 /* check: at least one error */

#define CTL_SUGGEST_TIMEOUT 60 /* seconds for suggest's MX lookup */
#define CTL_MAX_OPTIONS     64 /* -o given more often is a usage error */

/* The reason of the daemon's refusal of a peer (doc/control-protocol.txt). */
#define CTL_REFUSED "permission denied"

#define CTL_IDLE_TIMEOUT 150         /* seconds; longer than the server's refresh wait */
#define CTL_SEND_CHUNK   (64 * 1024) /* load: file bytes queued per round */

enum ctl_arg {
    CTL_ARG_NONE = 0,
    CTL_ARG_DOMAIN, /* DOMAIN... */
    CTL_ARG_FILTER,
    CTL_ARG_FLUSH, /* DOMAIN... | --all | --negative */
    CTL_ARG_FILE,
    CTL_ARG_STATS, /* [--prometheus] */
};

struct ctl_command {
    const char *name;
    size_t min_args, max_args;
    enum ctl_arg kind;
    bool summary_to_stderr;
    const char *usage;
    bool local; /* runs in-process, no daemon (check, suggest) */
};

static const struct ctl_command ctl_commands[] = {
    {"status", 0, 0, CTL_ARG_NONE, false, "status", false},
    {"stats", 0, 1, CTL_ARG_STATS, false, "stats [--prometheus]", false},
    {"show", 1, 1, CTL_ARG_DOMAIN, false, "show DOMAIN", false},
    {"list", 0, 1, CTL_ARG_FILTER, true, "list [enforce|testing|none|negative|expired|failing|all]",
     false},
    {"flush", 1, CTLPROTO_ARGS_MAX, CTL_ARG_FLUSH, false,
     "flush DOMAIN... | flush --all | flush --negative", false},
    {"refresh", 1, CTLPROTO_REFRESH_MAX, CTL_ARG_DOMAIN, false, "refresh DOMAIN...", false},
    {"reload", 0, 0, CTL_ARG_NONE, false, "reload", false},
    {"dump", 0, 0, CTL_ARG_NONE, true, "dump", false},
    {"load", 1, 1, CTL_ARG_FILE, false, "load FILE", false},
    {"check", 1, 1, CTL_ARG_DOMAIN, false, "check DOMAIN", true},
    {"suggest", 1, 1, CTL_ARG_DOMAIN, false, "suggest DOMAIN", true},
};
#define CTL_NCOMMANDS (sizeof(ctl_commands) / sizeof(ctl_commands[0]))

static void ctl_usage(FILE *out)
{
    fprintf(out, "usage: mtastsd-ctl [-s SOCKET] [-c FILE] [-o key=value]... [--json] "
                 "[--no-probe] COMMAND [ARGS]\n"
                 "  -s, --socket SOCKET  control socket (default: control_socket from the "
                 "configuration)\n"
                 "  -c, --config FILE    configuration file (default " CONFIG_DEFAULT_FILE ")\n"
                 "  -o key=value         override a configuration key (repeatable)\n"
                 "  -j, --json           JSON output\n"
                 "      --no-probe       check: do not connect to the MX hosts\n"
                 "  -V, --version        print the version and exit\n"
                 "commands:\n");
    for (size_t i = 0; i < CTL_NCOMMANDS; i++) {
        if (ctl_commands[i].local)
            fprintf(out, "  %-16s (for domain owners; no daemon needed)\n", ctl_commands[i].usage);
        else
            fprintf(out, "  %s\n", ctl_commands[i].usage);
    }
}

static void ctl_err(const char *fmt, ...) LOG_PRINTF(1, 2);

static void ctl_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mtastsd-ctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* Print server text, replacing control bytes (tab excepted) by '?'. */
static void ctl_print(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        fputc((c < 0x20 && c != '\t') || c == 0x7f ? '?' : c, out);
    }
    fputc('\n', out);
}

struct ctl_session {
    int fd;
    const struct ctl_command *cmd;
    bool json;
    char *in;
    size_t inlen, incap;
    /* load */
    FILE *file;
    const char *file_name;
    size_t file_line;
    bool streaming, file_done, send_failed;
    char *out;
    size_t outlen, outoff, outcap;
    char *linebuf;
    size_t linecap;
    int status; /* -1 while no final line */
};

static int ctl_connect(const char *path)
{
    struct sockaddr_un sun;
    if (strlen(path) >= sizeof(sun.sun_path)) {
        ctl_err("cannot connect to %s: path too long", path);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        ctl_err("socket: %s", strerror(errno));
        return -1;
    }
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, strlen(path) + 1);
    if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
        if (errno == EACCES || errno == EPERM)
            ctl_err("no permission to use the control socket %s (%s): run as root, as the "
                    "mtastsd user, or as a member of control_socket_group",
                    path, strerror(errno));
        else
            ctl_err("mtastsd is not running (cannot connect to %s: %s)", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static void ctl_out_add(struct ctl_session *s, const char *p, size_t n)
{
    if (s->outcap - s->outlen < n) {
        size_t cap = s->outcap ? s->outcap : 4096;
        while (cap - s->outlen < n)
            cap *= 2;
        s->out = xrealloc(s->out, cap);
        s->outcap = cap;
    }
    memcpy(s->out + s->outlen, p, n);
    s->outlen += n;
}

/* Queue more of the load file.  Returns false on a local error (reported). */
static bool ctl_fill(struct ctl_session *s)
{
    if (s->outoff == s->outlen)
        s->outoff = s->outlen = 0;
    while (!s->file_done && s->outlen - s->outoff < CTL_SEND_CHUNK) {
        errno = 0;
        ssize_t n = getline(&s->linebuf, &s->linecap, s->file);
        if (n < 0) {
            if (ferror(s->file)) {
                ctl_err("%s: %s", s->file_name, strerror(errno ? errno : EIO));
                return false;
            }
            ctl_out_add(s, ".\n", 2);
            s->file_done = true;
            break;
        }
        s->file_line++;
        size_t len = (size_t)n;
        if (len > 0 && s->linebuf[len - 1] == '\n')
            len--;
        if (len > 0 && s->linebuf[len - 1] == '\r')
            len--;
        if (len > CTLPROTO_RECORD_MAX) {
            ctl_err("%s:%zu: record longer than %d bytes; load stopped (earlier records were "
                    "sent)",
                    s->file_name, s->file_line, CTLPROTO_RECORD_MAX);
            return false;
        }
        if (len == 1 && s->linebuf[0] == '.') {
            ctl_err("%s:%zu: a line \".\" is not a record; load stopped", s->file_name,
                    s->file_line);
            return false;
        }
        ctl_out_add(s, s->linebuf, len);
        ctl_out_add(s, "\n", 1);
    }
    return true;
}

/* Handle one reply line; sets s->status on a final line. */
static void ctl_reply(struct ctl_session *s, const char *line, size_t len)
{
    const char *text;
    size_t tlen;
    switch (ctlproto_reply_parse(line, len, &text, &tlen)) {
    case CTLPROTO_R_DATA:
        ctl_print(stdout, text, tlen);
        return;
    case CTLPROTO_R_CONTINUE:
        if (s->file == NULL || s->streaming) {
            ctl_err("unexpected CONTINUE from mtastsd");
            s->status = CTL_EXIT_FAILED;
            return;
        }
        s->streaming = true;
        return;
    case CTLPROTO_R_OK:
        if (!s->json && tlen > 0)
            ctl_print(s->cmd->summary_to_stderr ? stderr : stdout, text, tlen);
        s->status = CTL_EXIT_OK;
        return;
    case CTLPROTO_R_NOTFOUND:
    case CTLPROTO_R_ERR:
        fputs("mtastsd-ctl: ", stderr);
        if (tlen > 0)
            ctl_print(stderr, text, tlen);
        else
            ctl_print(stderr, "failed", 6);
        s->status = CTL_EXIT_FAILED;
        /* The daemon refused this peer (SO_PEERCRED): like a socket file
         * we may not open, no permission to use mtastsd. */
        if (tlen == strlen(CTL_REFUSED) && memcmp(text, CTL_REFUSED, tlen) == 0)
            s->status = CTL_EXIT_UNREACHABLE;
        return;
    case CTLPROTO_R_INVALID:
        break;
    }
    char safe[80];
    ctl_err("unexpected reply from mtastsd: '%s'", log_sanitize(line, len, safe, sizeof(safe)));
    s->status = CTL_EXIT_FAILED;
}

/* Read what is there; process complete lines.  False on EOF or error. */
static bool ctl_read(struct ctl_session *s)
{
    if (s->incap - s->inlen < 4096) {
        s->incap = s->incap ? s->incap * 2 : 8192;
        s->in = xrealloc(s->in, s->incap);
    }
    ssize_t n = recv(s->fd, s->in + s->inlen, s->incap - s->inlen, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0) {
        if (n < 0)
            ctl_err("reading from mtastsd: %s", strerror(errno));
        else
            ctl_err("mtastsd closed the connection before its final reply");
        return false;
    }
    s->inlen += (size_t)n;
    size_t off = 0;
    while (s->status < 0) {
        char *nl = memchr(s->in + off, '\n', s->inlen - off);
        if (nl == NULL)
            break;
        size_t len = (size_t)(nl - (s->in + off));
        if (len > 0 && s->in[off + len - 1] == '\r')
            len--;
        ctl_reply(s, s->in + off, len);
        off = (size_t)(nl - s->in) + 1;
    }
    memmove(s->in, s->in + off, s->inlen - off);
    s->inlen -= off;
    if (s->status < 0 && s->inlen > CTLPROTO_REPLY_MAX + 1) {
        ctl_err("reply line from mtastsd longer than %d bytes", CTLPROTO_REPLY_MAX);
        return false;
    }
    return true;
}

static int ctl_run(struct ctl_session *s, const char *request, size_t reqlen)
{
    ctl_out_add(s, request, reqlen);
    while (s->status < 0) {
        if (s->streaming && !s->send_failed && s->outoff == s->outlen && !s->file_done &&
            !ctl_fill(s))
            return CTL_EXIT_FAILED;
        bool want_out = !s->send_failed && s->outoff < s->outlen;
        struct pollfd pfd = {.fd = s->fd, .events = POLLIN | (want_out ? POLLOUT : 0)};
        int r = poll(&pfd, 1, CTL_IDLE_TIMEOUT * 1000);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            ctl_err("poll: %s", strerror(errno));
            return CTL_EXIT_FAILED;
        }
        if (r == 0) {
            ctl_err("no reply from mtastsd for %d s; giving up", CTL_IDLE_TIMEOUT);
            return CTL_EXIT_FAILED;
        }
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            if (!ctl_read(s))
                return s->status >= 0 ? s->status : CTL_EXIT_FAILED;
            if (s->status >= 0)
                break;
        }
        if (want_out && (pfd.revents & POLLOUT)) {
            ssize_t n =
                send(s->fd, s->out + s->outoff, s->outlen - s->outoff, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0 && errno != EINTR && errno != EAGAIN) {
                /* The server stopped reading: its final line tells why. */
                s->send_failed = true;
            } else if (n > 0) {
                s->outoff += (size_t)n;
            }
        }
    }
    if (s->status == CTL_EXIT_OK && s->file != NULL && !s->file_done) {
        ctl_err("mtastsd ended the load before the whole file was sent");
        return CTL_EXIT_FAILED;
    }
    return s->status;
}

static const struct ctl_command *ctl_find(const char *name)
{
    for (size_t i = 0; i < CTL_NCOMMANDS; i++)
        if (strcmp(ctl_commands[i].name, name) == 0)
            return &ctl_commands[i];
    return NULL;
}

/* Check the arguments; domains are replaced by their normalised form. */
static bool ctl_check_args(const struct ctl_command *cmd, char **argv, size_t argc,
                           char (*doms)[DOMAIN_BUFSZ])
{
    if (argc < cmd->min_args || argc > cmd->max_args) {
        if (argc > cmd->max_args && cmd->max_args > 1)
            ctl_err("%s: too many arguments (at most %zu)", cmd->name, cmd->max_args);
        else
            ctl_err("usage: mtastsd-ctl %s", cmd->usage);
        return false;
    }
    switch (cmd->kind) {
    case CTL_ARG_FLUSH:
        if (argv[0][0] == '-') {
            if (argc != 1 ||
                (strcmp(argv[0], "--all") != 0 && strcmp(argv[0], "--negative") != 0)) {
                ctl_err("usage: mtastsd-ctl %s", cmd->usage);
                return false;
            }
            return true;
        }
        /* FALLTHROUGH */
    case CTL_ARG_DOMAIN:
        for (size_t i = 0; i < argc; i++) {
            enum domain_key_kind k = domain_normalize_key(argv[i], strlen(argv[i]), doms[i]);
            if (k != DOMAIN_KEY_OK) {
                char safe[96];
                ctl_err("'%s' is not a policy domain (%s)",
                        log_sanitize(argv[i], strlen(argv[i]), safe, sizeof(safe)),
                        domain_key_kind_name(k));
                return false;
            }
            argv[i] = doms[i];
        }
        return true;
    case CTL_ARG_FILTER: {
        unsigned mask;
        if (argc == 1 && !ctlproto_filter_parse(argv[0], &mask)) {
            ctl_err("usage: mtastsd-ctl %s", cmd->usage);
            return false;
        }
        return true;
    }
    case CTL_ARG_STATS:
        if (argc == 1 && strcmp(argv[0], "--prometheus") != 0) {
            ctl_err("usage: mtastsd-ctl %s", cmd->usage);
            return false;
        }
        return true;
    case CTL_ARG_NONE:
    case CTL_ARG_FILE:
        return true;
    }
    return true;
}

/* The configuration: the file (-c, or the default if it exists), then the
 * -o overrides.  NULL (reported) on any error. */
static struct config *ctl_config(const char *config_path, bool config_given, char **opts,
                                 size_t nopts, const char *hint)
{
    char err[1024];
    struct config *c = config_new();
    if (!config_load_file(c, config_path, !config_given, err, sizeof(err))) {
        ctl_err("%s%s", err, hint);
        config_free(c);
        return NULL;
    }
    for (size_t i = 0; i < nopts; i++) {
        if (!config_set_option(c, opts[i], err, sizeof(err))) {
            ctl_err("-o %s: %s", opts[i], err);
            config_free(c);
            return NULL;
        }
    }
    return c;
}

static const char *ctl_socket_path(const char *config_path, bool config_given, char **opts,
                                   size_t nopts, char **owned)
{
    struct config *c = ctl_config(config_path, config_given, opts, nopts,
                                  " (use -s SOCKET to name the control socket)");
    if (c == NULL)
        return NULL;
    *owned = xstrdup(c->control_socket);
    config_free(c);
    if ((*owned)[0] == '\0') {
        ctl_err("the control socket is disabled in %s (control_socket is empty)", config_path);
        return NULL;
    }
    return *owned;
}

/* ---- check and suggest: in-process, no daemon ---------------------------- */

struct ctl_owner {
    struct event_base *base;
    struct report *report; /* check */
    const char *domain;    /* suggest */
    bool done;
    int rc;
};

static void ctl_check_done(void *arg, struct report *r)
{
    struct ctl_owner *o = arg;

    o->report = r;
    o->done = true;
    event_base_loopbreak(o->base);
}

static void ctl_suggest_mx(void *arg, const struct dns_sec_result *r)
{
    struct ctl_owner *o = arg;
    char err[512];

    o->done = true;
    if (suggest_write(stdout, o->domain, r->st, r->rrs, r->n, r->detail, (int64_t)time(NULL), err,
                      sizeof(err))) {
        o->rc = CTL_EXIT_OK;
    } else {
        ctl_err("%s", err);
        o->rc = CTL_EXIT_FAILED;
    }
    event_base_loopbreak(o->base);
}

/* Colour only on a terminal, and never with a non-empty NO_COLOR
 * (https://no-color.org). */
static bool ctl_colour(void)
{
    const char *nc = getenv("NO_COLOR");
    return isatty(STDOUT_FILENO) && (nc == NULL || nc[0] == '\0');
}

static int ctl_owner(const struct ctl_command *cmd, const char *domain, const struct config *cfg,
                     bool json, bool probe)
{
    struct ctl_owner o;
    struct dns *dns = NULL;
    struct https *https = NULL;
    struct domcheck *chk = NULL;
    struct dns_query *q = NULL;
    char err[512];
    bool https_init = false;
    int rc = CTL_EXIT_FAILED;

    memset(&o, 0, sizeof(o));
    o.domain = domain;
    o.rc = CTL_EXIT_FAILED;
    o.base = event_base_new();
    if (o.base == NULL) {
        ctl_err("cannot create an event loop");
        return CTL_EXIT_FAILED;
    }
    dns = dns_new(o.base, cfg->dns_servers, (int)(cfg->dns_timeout * 1000), err, sizeof(err));
    if (dns == NULL) {
        ctl_err("resolver: %s", err);
        goto out;
    }
    if (strcmp(cmd->name, "suggest") == 0) {
        struct timeval tv = {CTL_SUGGEST_TIMEOUT, 0};
        q = dns_mx_sec(dns, domain, ctl_suggest_mx, &o);
        event_base_loopexit(o.base, &tv);
        event_base_dispatch(o.base);
        if (!o.done) {
            dns_cancel(q);
            ctl_err("no MX answer for %s within %d s", domain, CTL_SUGGEST_TIMEOUT);
        }
        rc = o.rc;
        goto out;
    }

    if (!https_global_init(err, sizeof(err))) {
        ctl_err("%s", err);
        goto out;
    }
    https_init = true;
    struct https_config hc = {
        .ca_file = cfg->ca_file,
        .proxy = cfg->https_proxy,
        .connect_timeout_ms = DOMCHECK_FETCH_LIMIT_MS,
        .timeout_ms = DOMCHECK_FETCH_LIMIT_MS,
        .max_body = STS_POLICY_MAX,
    };
    https = https_new(o.base, &hc, err, sizeof(err));
    if (https == NULL) {
        ctl_err("https: %s", err);
        goto out;
    }
    struct domcheck_params cp = {.base = o.base,
                                 .dns = dns,
                                 .https = https,
                                 .now = (int64_t)time(NULL),
                                 .probe_mx = probe,
                                 .ca_file = cfg->ca_file};
    /* The MX probe writes to sockets the peer may close (OpenSSL's socket
     * BIO has no MSG_NOSIGNAL): a closed peer must be an error, not a
     * signal. */
    signal(SIGPIPE, SIG_IGN);
    chk = domcheck_start(&cp, domain, ctl_check_done, &o);
    event_base_dispatch(o.base);
    if (o.report == NULL) {
        ctl_err("the check of %s did not finish", domain);
        goto out;
    }
    if (json)
        report_print_json(o.report, stdout);
    else
        report_print_text(o.report, stdout, ctl_colour());
    switch (report_worst(o.report)) {
    case REPORT_OK:
        rc = CTL_EXIT_OK;
        break;
    case REPORT_WARNING:
        rc = CTL_EXIT_WARNINGS;
        break;
    case REPORT_ERROR:
        rc = CTL_EXIT_ERRORS;
        break;
    }
    report_free(o.report);

out:
    domcheck_free(chk);
    https_free(https);
    dns_free(dns);
    if (https_init)
        https_global_cleanup();
    event_base_free(o.base);
    return rc;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"socket", required_argument, NULL, 's'}, {"config", required_argument, NULL, 'c'},
        {"option", required_argument, NULL, 'o'}, {"json", no_argument, NULL, 'j'},
        {"no-probe", no_argument, NULL, 'P'},     {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
    };
    const char *sock = NULL, *config_path = CONFIG_DEFAULT_FILE;
    bool config_given = false, json = false, probe = true;
    char *opts[CTL_MAX_OPTIONS];
    size_t nopts = 0;
    int opt;

    log_open("mtastsd-ctl", true);
    while ((opt = getopt_long(argc, argv, "+s:c:o:jhV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'o':
            if (nopts == CTL_MAX_OPTIONS) {
                ctl_err("-o given more than %d times", CTL_MAX_OPTIONS);
                return CTL_EXIT_USAGE;
            }
            opts[nopts++] = optarg;
            break;
        case 's':
            sock = optarg;
            break;
        case 'c':
            config_path = optarg;
            config_given = true;
            break;
        case 'j':
            json = true;
            break;
        case 'P':
            probe = false;
            break;
        case 'h':
            ctl_usage(stdout);
            return CTL_EXIT_OK;
        case 'V':
            printf("mtastsd-ctl %s\n", PACKAGE_VERSION);
            return CTL_EXIT_OK;
        default:
            ctl_usage(stderr);
            return CTL_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        ctl_usage(stderr);
        return CTL_EXIT_USAGE;
    }
    const struct ctl_command *cmd = ctl_find(argv[optind]);
    if (cmd == NULL) {
        char safe[64];
        ctl_err("unknown command '%s'",
                log_sanitize(argv[optind], strlen(argv[optind]), safe, sizeof(safe)));
        ctl_usage(stderr);
        return CTL_EXIT_USAGE;
    }
    char **args = argv + optind + 1;
    size_t nargs = (size_t)(argc - optind - 1);
    char(*doms)[DOMAIN_BUFSZ] = xcalloc(nargs + 1, DOMAIN_BUFSZ);
    if (!ctl_check_args(cmd, args, nargs, doms)) {
        free(doms);
        return CTL_EXIT_USAGE;
    }
    if (json && cmd->kind == CTL_ARG_STATS && nargs == 1) {
        ctl_err("stats --prometheus prints the Prometheus text format; it has no --json form");
        free(doms);
        return CTL_EXIT_USAGE;
    }
    if (!probe && strcmp(cmd->name, "check") != 0) {
        ctl_err("--no-probe is for check only");
        free(doms);
        return CTL_EXIT_USAGE;
    }
    if (cmd->local) {
        int rc;
        if (json && strcmp(cmd->name, "suggest") == 0) {
            ctl_err("suggest has no JSON form");
            free(doms);
            return CTL_EXIT_USAGE;
        }
        struct config *cfg = ctl_config(config_path, config_given, opts, nopts, "");
        if (cfg == NULL) {
            free(doms);
            return CTL_EXIT_USAGE;
        }
        rc = ctl_owner(cmd, args[0], cfg, json, probe);
        config_free(cfg);
        free(doms);
        if (fflush(stdout) != 0 && rc != CTL_EXIT_FAILED) {
            ctl_err("writing the output: %s", strerror(errno));
            rc = CTL_EXIT_FAILED;
        }
        log_close();
        return rc;
    }

    struct ctl_session s;
    memset(&s, 0, sizeof(s));
    s.fd = -1;
    s.cmd = cmd;
    s.json = json;
    s.status = -1;
    size_t wire_argc = nargs;
    if (cmd->kind == CTL_ARG_FILE) {
        s.file_name = args[0];
        s.file = strcmp(args[0], "-") == 0 ? stdin : fopen(args[0], "r");
        if (s.file == NULL) {
            ctl_err("cannot open %s: %s", args[0], strerror(errno));
            free(doms);
            return CTL_EXIT_FAILED;
        }
        wire_argc = 0; /* the file's content travels after CONTINUE */
    }

    char request[CTLPROTO_LINE_MAX + 2];
    size_t reqlen =
        ctlproto_request_format(request, sizeof(request), json ? CTLPROTO_JSON : CTLPROTO_TEXT,
                                cmd->name, (const char *const *)args, wire_argc);
    if (reqlen == 0) {
        ctl_err("%s: the arguments do not fit in one request (at most %d bytes)", cmd->name,
                CTLPROTO_LINE_MAX);
        free(doms);
        return CTL_EXIT_USAGE;
    }

    char *owned = NULL;
    if (sock == NULL) {
        sock = ctl_socket_path(config_path, config_given, opts, nopts, &owned);
        if (sock == NULL) {
            free(doms);
            return CTL_EXIT_USAGE;
        }
    }
    s.fd = ctl_connect(sock);
    int rc = CTL_EXIT_UNREACHABLE;
    if (s.fd >= 0) {
        rc = ctl_run(&s, request, reqlen);
        close(s.fd);
    }
    if (s.file != NULL && s.file != stdin)
        fclose(s.file);
    if (fflush(stdout) != 0 && rc == CTL_EXIT_OK) {
        ctl_err("writing the output: %s", strerror(errno));
        rc = CTL_EXIT_FAILED;
    }
    free(s.in);
    free(s.out);
    free(s.linebuf);
    free(owned);
    free(doms);
    log_close();
    return rc;
}

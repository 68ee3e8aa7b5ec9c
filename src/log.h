/*
 * log - operator-facing logging.
 *
 * log_open() chooses the sink: stderr (foreground, "-f") or syslog with
 * facility mail (daemon mode).  Levels are error, warning, info and debug;
 * messages above the configured level are dropped before formatting.
 * log_*_errno() variants append ": <strerror(errno)>" for system-call
 * failures; the plain variants do not.  Every format is printf-checked.
 *
 * Log lines are for operators: name the domain or peer, say what happened
 * and what mtastsd did about it.
 *
 * struct log_limit is a token bucket for lines that a peer can trigger at
 * will (refused or shed connections, shed fetches): `burst` lines at once,
 * then one per `interval` seconds; log_limit_take() says whether to log
 * now and how many lines were held back since the last one that was
 * logged, so that the next line can say so; log_limited() does both and
 * logs the line.  Text that comes from the network is
 * passed through log_sanitize() (or printed with %.*s of a validated
 * buffer) so that a hostile peer cannot forge log lines.
 */
#ifndef MTASTSD_LOG_H
#define MTASTSD_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level {
    LOG_LEVEL_ERROR = 0,
    LOG_LEVEL_WARNING = 1,
    LOG_LEVEL_INFO = 2,
    LOG_LEVEL_DEBUG = 3,
};

#define LOG_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/* Start logging to stderr (use_stderr) or syslog(LOG_MAIL) under ident. */
void log_open(const char *ident, bool use_stderr);
void log_close(void);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
bool log_enabled(enum log_level level);

/* "error" / "warning" / "info" / "debug" <-> level; false if unknown. */
bool log_level_parse(const char *name, enum log_level *out);
const char *log_level_name(enum log_level level);

void log_msg(enum log_level level, const char *fmt, ...) LOG_PRINTF(2, 3);
void log_msg_errno(enum log_level level, const char *fmt, ...) LOG_PRINTF(2, 3);

#define log_error(...)   log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...)    log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
    do {                                                                                           \
        if (log_enabled(LOG_LEVEL_DEBUG))                                                          \
            log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__);                                                 \
    } while (0)
#define log_error_errno(...)   log_msg_errno(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning_errno(...) log_msg_errno(LOG_LEVEL_WARNING, __VA_ARGS__)

/*
 * Copy at most len bytes of untrusted text into out (size outsz, always
 * NUL-terminated), replacing bytes outside printable ASCII with '?' and
 * truncating with "..." when it does not fit.  Returns out.
 */
char *log_sanitize(const char *in, size_t len, char *out, size_t outsz);

struct log_limit {
    unsigned burst;    /* lines at once (at least 1) */
    unsigned interval; /* seconds per line after the burst (at least 1) */
    unsigned tokens;
    int64_t at; /* when tokens was last brought up to date; 0: never */
    uint64_t held_back;
};

#define LOG_LIMIT_INIT(burst_, interval_)                                                          \
    {                                                                                              \
        .burst = (burst_), .interval = (interval_)                                                 \
    }

/*
 * True if a line may be logged at `now` (seconds); *held_back then gets
 * the number of lines refused since the last true (and the count starts
 * again).  False counts one more held-back line.
 */
bool log_limit_take(struct log_limit *l, int64_t now, uint64_t *held_back);

/*
 * The one rate-limited line: log fmt at `level` if it is enabled and l
 * has a token at `now` (seconds, clock_wall()); after lines were held
 * back the line ends with " (N <held>)", held naming them ("more like it
 * not logged" if NULL).  A disabled level takes no token.
 */
void log_limited(struct log_limit *l, int64_t now, enum log_level level, const char *held,
                 const char *fmt, ...) LOG_PRINTF(5, 6);

#endif

/*
 * log - operator-facing logging to stderr or syslog (see log.h).
 *
 * Public functions: log_open(), log_close(), log_set_level(),
 * log_get_level(), log_enabled(), log_level_parse(), log_level_name(),
 * log_msg(), log_msg_errno() (and the log_error()... macros in log.h),
 * log_sanitize(), log_limit_take(), log_limited().
 *
 * Sinks: until log_open() is called, and after log_close(), lines go to
 * stderr as "IDENT[PID]: LEVEL: MESSAGE" (ident "mtastsd" by default), one
 * write(2) per line so that lines from several processes do not mix.
 * With syslog the line is "LEVEL: MESSAGE" at the matching priority,
 * facility LOG_MAIL, opened with LOG_PID|LOG_NDELAY.
 *
 * Limits: a message is formatted into a LOG_LINE_MAX buffer and truncated
 * with "..." beyond that.  Control bytes in the formatted message
 * (newlines included) become '?', so that no message can ever produce a
 * second log line.  Neither log_msg() nor log_msg_errno() changes errno.
 *
 * Ownership: the module keeps its own copy of the ident (openlog() keeps
 * the pointer it is given).  Not thread-safe; mtastsd has no threads.
 */
#include "autoconfig.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX  2048 /* one formatted message, without the prefix */
#define LOG_IDENT_MAX 32

static const char *const log_level_names[] = {
    [LOG_LEVEL_ERROR] = "error",
    [LOG_LEVEL_WARNING] = "warning",
    [LOG_LEVEL_INFO] = "info",
    [LOG_LEVEL_DEBUG] = "debug",
};

static struct {
    char ident[LOG_IDENT_MAX];
    bool use_syslog;
    enum log_level level;
} log_state = {"mtastsd", false, LOG_LEVEL_INFO};

void log_open(const char *ident, bool use_stderr)
{
    if (log_state.use_syslog)
        closelog();
    if (ident == NULL || *ident == '\0')
        ident = "mtastsd";
    snprintf(log_state.ident, sizeof(log_state.ident), "%s", ident);
    log_state.use_syslog = !use_stderr;
    if (log_state.use_syslog)
        openlog(log_state.ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void log_close(void)
{
    if (log_state.use_syslog)
        closelog();
    log_state.use_syslog = false;
}

void log_set_level(enum log_level level)
{
    if (level > LOG_LEVEL_DEBUG)
        level = LOG_LEVEL_DEBUG;
    log_state.level = level;
}

enum log_level log_get_level(void)
{
    return log_state.level;
}

bool log_enabled(enum log_level level)
{
    return level <= log_state.level;
}

bool log_level_parse(const char *name, enum log_level *out)
{
    if (name == NULL)
        return false;
    for (size_t i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++) {
        if (strcasecmp(name, log_level_names[i]) == 0) {
            *out = (enum log_level)i;
            return true;
        }
    }
    return false;
}

const char *log_level_name(enum log_level level)
{
    if ((unsigned)level < sizeof(log_level_names) / sizeof(log_level_names[0]))
        return log_level_names[level];
    return "unknown";
}

static int log_syslog_priority(enum log_level level)
{
    static const int prio[] = {
        [LOG_LEVEL_ERROR] = LOG_ERR,
        [LOG_LEVEL_WARNING] = LOG_WARNING,
        [LOG_LEVEL_INFO] = LOG_INFO,
        [LOG_LEVEL_DEBUG] = LOG_DEBUG,
    };
    return (unsigned)level < sizeof(prio) / sizeof(prio[0]) ? prio[level] : LOG_DEBUG;
}

/* Write the whole buffer to stderr, retrying short writes; errors are ignored. */
static void log_write_stderr(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

LOG_PRINTF(3, 0)
static void log_vmsg(enum log_level level, bool with_errno, const char *fmt, va_list ap)
{
    int saved_errno = errno;
    char msg[LOG_LINE_MAX];
    char suffix[256] = "";

    /* The errno text is kept whole; the message is cut to make room for it. */
    if (with_errno)
        snprintf(suffix, sizeof(suffix), ": %s", strerror(saved_errno));
    size_t room = sizeof(msg) - strlen(suffix);
    int n = vsnprintf(msg, room, fmt, ap);
    if (n < 0)
        snprintf(msg, room, "(bad log format)");
    else if ((size_t)n >= room)
        memcpy(msg + room - 4, "...", 4);
    strcat(msg, suffix);
    /* No message may forge a second line or hide text behind escapes. */
    for (char *p = msg; *p != '\0'; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch < 0x20 || ch == 0x7f)
            *p = '?';
    }

    if (log_state.use_syslog) {
        syslog(log_syslog_priority(level), "%s: %s", log_level_name(level), msg);
    } else {
        char line[LOG_LINE_MAX + LOG_IDENT_MAX + 64];
        int len = snprintf(line, sizeof(line), "%s[%ld]: %s: %s\n", log_state.ident, (long)getpid(),
                           log_level_name(level), msg);
        if (len > 0)
            log_write_stderr(line, (size_t)len < sizeof(line) ? (size_t)len : sizeof(line) - 1);
    }
    errno = saved_errno;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, false, fmt, ap);
    va_end(ap);
}

void log_msg_errno(enum log_level level, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, true, fmt, ap);
    va_end(ap);
}

char *log_sanitize(const char *in, size_t len, char *out, size_t outsz)
{
    if (outsz == 0)
        return out;
    size_t cap = outsz - 1;
    size_t ncopy = len;
    size_t ndots = 0;
    if (len > cap) {
        ndots = cap < 3 ? cap : 3;
        ncopy = cap - ndots;
    }
    for (size_t i = 0; i < ncopy; i++) {
        unsigned char ch = (unsigned char)in[i];
        out[i] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
    }
    memset(out + ncopy, '.', ndots);
    out[ncopy + ndots] = '\0';
    return out;
}

bool log_limit_take(struct log_limit *l, int64_t now, uint64_t *held_back)
{
    unsigned burst = l->burst ? l->burst : 1;
    unsigned interval = l->interval ? l->interval : 1;
    if (l->at == 0 || now < l->at) {
        /* First use, or the clock went back: a full bucket. */
        l->tokens = burst;
        l->at = now;
    } else if (now - l->at >= (int64_t)interval) {
        int64_t add = (now - l->at) / interval;
        l->tokens = add >= (int64_t)(burst - l->tokens) ? burst : l->tokens + (unsigned)add;
        l->at += add * interval;
    }
    if (l->tokens == 0) {
        l->held_back++;
        return false;
    }
    l->tokens--;
    *held_back = l->held_back;
    l->held_back = 0;
    return true;
}

void log_limited(struct log_limit *l, int64_t now, enum log_level level, const char *held,
                 const char *fmt, ...)
{
    uint64_t held_back = 0;
    if (!log_enabled(level) || !log_limit_take(l, now, &held_back))
        return;
    char msg[LOG_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (held_back > 0)
        log_msg(level, "%s (%" PRIu64 " %s)", msg, held_back,
                held != NULL ? held : "more like it not logged");
    else
        log_msg(level, "%s", msg);
}

/*
 * ctlproto - the control protocol's wire lines, shared by the daemon and
 * mtastsd-ctl (see ctlproto.h and doc/control-protocol.txt).
 *
 * Public functions: ctlproto_request_parse(), ctlproto_request_format(),
 * ctlproto_reply_parse(), ctlproto_word_valid(), ctlproto_strerror(),
 * ctlproto_state_name(), ctlproto_filter_parse().
 *
 * Pure: no I/O, no allocation; no cache entries, policies or JSON (those
 * are the daemon's: ctlview.c, ctlrecord.c), so mtastsd-ctl links none.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctlproto.h"

/* ------------------------------------------------------------ wire lines */

static const char *const ctlproto_status_msgs[] = {
    [CTLPROTO_OK] = "ok",
    [CTLPROTO_TOO_LONG] = "request line too long",
    [CTLPROTO_BAD_BYTE] = "request line contains a control or non-ASCII byte",
    [CTLPROTO_BAD_MAGIC] = "not a control request (expected \"" CTLPROTO_MAGIC " 1 ...\")",
    [CTLPROTO_BAD_VERSION] = "unsupported protocol version",
    [CTLPROTO_BAD_FORMAT] = "unknown output format (expected text or json)",
    [CTLPROTO_NO_COMMAND] = "no command",
    [CTLPROTO_TOO_MANY_ARGS] = "too many arguments",
};

const char *ctlproto_strerror(enum ctlproto_status st)
{
    if ((unsigned)st < sizeof(ctlproto_status_msgs) / sizeof(ctlproto_status_msgs[0]))
        return ctlproto_status_msgs[st];
    return "unknown error";
}

static bool ctlproto_is_word_byte(unsigned char c)
{
    return c > 0x20 && c < 0x7f;
}

bool ctlproto_word_valid(const char *w)
{
    if (w == NULL || *w == '\0')
        return false;
    for (; *w != '\0'; w++)
        if (!ctlproto_is_word_byte((unsigned char)*w))
            return false;
    return true;
}

enum ctlproto_status ctlproto_request_parse(const char *line, size_t len,
                                            struct ctlproto_request *req)
{
    memset(req, 0, sizeof(*req));
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > CTLPROTO_LINE_MAX)
        return CTLPROTO_TOO_LONG;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (!ctlproto_is_word_byte(c) && c != ' ' && c != '\t')
            return CTLPROTO_BAD_BYTE;
    }

    /* Split into NUL-terminated words inside req->buf. */
    const char *words[CTLPROTO_ARGS_MAX + 4];
    size_t nw = 0, o = 0;
    for (size_t i = 0; i < len;) {
        if (line[i] == ' ' || line[i] == '\t') {
            i++;
            continue;
        }
        if (nw == CTLPROTO_ARGS_MAX + 4)
            return CTLPROTO_TOO_MANY_ARGS;
        words[nw++] = req->buf + o;
        while (i < len && line[i] != ' ' && line[i] != '\t')
            req->buf[o++] = line[i++];
        req->buf[o++] = '\0';
    }

    if (nw == 0 || strcmp(words[0], CTLPROTO_MAGIC) != 0)
        return CTLPROTO_BAD_MAGIC;
    if (nw < 2)
        return CTLPROTO_BAD_VERSION;
    const char *v = words[1];
    size_t vl = strlen(v);
    bool digits = vl > 0 && vl <= 6;
    for (size_t i = 0; digits && i < vl; i++)
        digits = v[i] >= '0' && v[i] <= '9';
    req->version = digits ? (unsigned)strtoul(v, NULL, 10) : 0;
    if (req->version != CTLPROTO_VERSION)
        return CTLPROTO_BAD_VERSION;
    if (nw < 3)
        return CTLPROTO_BAD_FORMAT;
    if (strcmp(words[2], "text") == 0)
        req->format = CTLPROTO_TEXT;
    else if (strcmp(words[2], "json") == 0)
        req->format = CTLPROTO_JSON;
    else
        return CTLPROTO_BAD_FORMAT;
    if (nw < 4)
        return CTLPROTO_NO_COMMAND;
    req->command = words[3];
    if (nw - 4 > CTLPROTO_ARGS_MAX)
        return CTLPROTO_TOO_MANY_ARGS;
    req->argc = nw - 4;
    for (size_t i = 0; i < req->argc; i++)
        req->argv[i] = words[4 + i];
    return CTLPROTO_OK;
}

size_t ctlproto_request_format(char *out, size_t outsz, enum ctlproto_format fmt,
                               const char *command, const char *const *argv, size_t argc)
{
    if (argc > CTLPROTO_ARGS_MAX || !ctlproto_word_valid(command))
        return 0;
    size_t need = strlen(CTLPROTO_MAGIC) + 3 + 5 + strlen(command);
    for (size_t i = 0; i < argc; i++) {
        if (!ctlproto_word_valid(argv[i]))
            return 0;
        need += 1 + strlen(argv[i]);
    }
    if (need > CTLPROTO_LINE_MAX || need + 2 > outsz)
        return 0;
    int n = snprintf(out, outsz, "%s %d %s %s", CTLPROTO_MAGIC, CTLPROTO_VERSION,
                     fmt == CTLPROTO_JSON ? "json" : "text", command);
    size_t o = (size_t)n;
    for (size_t i = 0; i < argc; i++) {
        size_t l = strlen(argv[i]);
        out[o++] = ' ';
        memcpy(out + o, argv[i], l);
        o += l;
    }
    out[o++] = '\n';
    out[o] = '\0';
    return o;
}

enum ctlproto_reply ctlproto_reply_parse(const char *line, size_t len, const char **text,
                                         size_t *textlen)
{
    static const struct {
        const char *kw;
        enum ctlproto_reply r;
    } kws[] = {
        {"DATA", CTLPROTO_R_DATA},         {"CONTINUE", CTLPROTO_R_CONTINUE}, {"OK", CTLPROTO_R_OK},
        {"NOTFOUND", CTLPROTO_R_NOTFOUND}, {"ERR", CTLPROTO_R_ERR},
    };
    *text = line + len;
    *textlen = 0;
    for (size_t i = 0; i < sizeof(kws) / sizeof(kws[0]); i++) {
        size_t k = strlen(kws[i].kw);
        if (len < k || memcmp(line, kws[i].kw, k) != 0)
            continue;
        if (len == k)
            return kws[i].r;
        if (line[k] != ' ')
            continue;
        *text = line + k + 1;
        *textlen = len - k - 1;
        return kws[i].r;
    }
    return CTLPROTO_R_INVALID;
}

/* ------------------------------------------------------------ list filters */

static const char *const ctlproto_state_names[CTLPROTO_STATE__COUNT] = {
    [CTLPROTO_STATE_ENFORCE] = "enforce", [CTLPROTO_STATE_TESTING] = "testing",
    [CTLPROTO_STATE_NONE] = "none",       [CTLPROTO_STATE_NEGATIVE] = "negative",
    [CTLPROTO_STATE_EXPIRED] = "expired",
};

const char *ctlproto_state_name(enum ctlproto_state s)
{
    if ((unsigned)s < CTLPROTO_STATE__COUNT)
        return ctlproto_state_names[s];
    return "unknown";
}

bool ctlproto_filter_parse(const char *name, unsigned *mask)
{
    if (name == NULL)
        return false;
    if (strcmp(name, "all") == 0) {
        *mask = (1u << CTLPROTO_STATE__COUNT) - 1;
        return true;
    }
    if (strcmp(name, "failing") == 0) {
        *mask = CTLPROTO_FILTER_FAILING;
        return true;
    }
    for (unsigned s = 0; s < CTLPROTO_STATE__COUNT; s++) {
        if (strcmp(name, ctlproto_state_names[s]) == 0) {
            *mask = 1u << s;
            return true;
        }
    }
    return false;
}

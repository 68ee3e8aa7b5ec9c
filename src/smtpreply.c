/*
 * smtpreply - parse SMTP replies from a hostile server (see smtpreply.h).
 *
 * Public functions: smtpreply_init(), smtpreply_feed(), smtpreply_line(),
 * smtpreply_ehlo_has(), smtpreply_strerror().
 *
 * Bytes go into r->line until a LF; at most SMTPREPLY_LINE_MAX - 1 of them
 * (the line and its CR), so the check is made before a byte is stored and
 * a long line is refused as soon as it is too long, whatever follows.  A
 * complete line is then checked (code, separator, same code as the first
 * line) and its text appended to r->text with a NUL; a line with a space
 * or nothing after the code is the last one.  Work is linear in the input;
 * nothing is read past the last line of a reply.
 */
#include "autoconfig.h"

#include <string.h>
#include <strings.h>

#include "smtpreply.h"

void smtpreply_init(struct smtpreply *r)
{
    r->code = 0;
    r->n_lines = 0;
    r->text_used = 0;
    r->line_len = 0;
    r->st = SMTPREPLY_MORE;
}

/* One complete line (without its LF) in r->line: check and keep it. */
static enum smtpreply_status smtpreply_take_line(struct smtpreply *r)
{
    const char *l = r->line;
    size_t n = r->line_len, tlen;
    int code;
    bool last;

    if (n > 0 && l[n - 1] == '\r')
        n--;
    if (memchr(l, '\r', n) != NULL)
        return SMTPREPLY_E_BYTE;
    if (n < 3 || l[0] < '0' || l[0] > '9' || l[1] < '0' || l[1] > '9' || l[2] < '0' || l[2] > '9')
        return SMTPREPLY_E_SYNTAX;
    if (n > 3 && l[3] != ' ' && l[3] != '-')
        return SMTPREPLY_E_SYNTAX;
    if (l[0] < '2' || l[0] > '5' || l[1] > '5')
        return SMTPREPLY_E_CODE;
    code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
    if (r->n_lines > 0 && code != r->code)
        return SMTPREPLY_E_CODE;
    if (r->n_lines == SMTPREPLY_LINES_MAX)
        return SMTPREPLY_E_MANY_LINES;
    last = n == 3 || l[3] == ' ';
    tlen = n > 4 ? n - 4 : 0;
    if (r->text_used + tlen > SMTPREPLY_TEXT_MAX)
        return SMTPREPLY_E_TOO_LONG;
    r->code = code;
    r->off[r->n_lines++] = r->text_used;
    if (tlen > 0)
        memcpy(r->text + r->text_used, l + 4, tlen);
    r->text_used += tlen;
    r->text[r->text_used++] = '\0';
    r->line_len = 0;
    return last ? SMTPREPLY_DONE : SMTPREPLY_MORE;
}

enum smtpreply_status smtpreply_feed(struct smtpreply *r, const char *buf, size_t len, size_t *used)
{
    size_t i = 0;

    *used = 0;
    if (r->st != SMTPREPLY_MORE)
        return r->st;
    while (i < len) {
        char c = buf[i++];
        if (c == '\n') {
            r->st = smtpreply_take_line(r);
            if (r->st != SMTPREPLY_MORE)
                break;
            continue;
        }
        if (c == '\0') {
            r->st = SMTPREPLY_E_BYTE;
            break;
        }
        if (r->line_len == SMTPREPLY_LINE_MAX - 1) {
            r->st = SMTPREPLY_E_LINE;
            break;
        }
        r->line[r->line_len++] = c;
    }
    *used = i;
    return r->st;
}

const char *smtpreply_line(const struct smtpreply *r, size_t i)
{
    if (r->st != SMTPREPLY_DONE || i >= r->n_lines)
        return NULL;
    return r->text + r->off[i];
}

bool smtpreply_ehlo_has(const struct smtpreply *r, const char *keyword)
{
    size_t k = strlen(keyword);

    if (r->st != SMTPREPLY_DONE || k == 0)
        return false;
    for (size_t i = 1; i < r->n_lines; i++) {
        const char *t = r->text + r->off[i];
        if (strncasecmp(t, keyword, k) == 0 && (t[k] == '\0' || t[k] == ' '))
            return true;
    }
    return false;
}

const char *smtpreply_strerror(enum smtpreply_status st)
{
    switch (st) {
    case SMTPREPLY_MORE:
        return "incomplete reply";
    case SMTPREPLY_DONE:
        return "reply complete";
    case SMTPREPLY_E_LINE:
        return "reply line longer than 512 bytes";
    case SMTPREPLY_E_SYNTAX:
        return "not an SMTP reply line";
    case SMTPREPLY_E_CODE:
        return "reply code out of range or changing within a reply";
    case SMTPREPLY_E_MANY_LINES:
        return "too many lines in one reply";
    case SMTPREPLY_E_TOO_LONG:
        return "reply text too long";
    case SMTPREPLY_E_BYTE:
        return "NUL or stray CR in a reply";
    }
    return "unknown reply error";
}

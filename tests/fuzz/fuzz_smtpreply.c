/*
 * fuzz_smtpreply - libFuzzer harness for src/smtpreply.c (SMTP replies
 * from a hostile server, read by the MX probe).
 *
 * The first input byte seeds how the rest is cut into pieces; the rest is
 * what a server sends.  It is parsed as a sequence of replies twice: fed
 * whole, and fed in pieces of 1-16 bytes.  Invariants:
 *   - a piece is taken whole unless a reply ends in it or an error is
 *     found; nothing is taken after an error;
 *   - a done reply has a code of 2xx-5xx with a second digit 0-5, 1 to
 *     SMTPREPLY_LINES_MAX lines, each line's text at most
 *     SMTPREPLY_LINE_MAX - 5 bytes (the limit counts the line end as
 *     sent, a bare LF is one byte) and NUL-free, and the bytes taken for
 *     it end in a LF;
 *   - both feeds see the same replies (codes, lines, where each ends) and
 *     the same final status: the answer does not depend on the pieces;
 *   - every EHLO keyword line (after the first) is found by
 *     smtpreply_ehlo_has() under its first word.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtpreply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_REPLIES 64

struct seen {
    size_t n;
    int code[FUZZ_MAX_REPLIES];
    size_t lines[FUZZ_MAX_REPLIES];
    size_t end[FUZZ_MAX_REPLIES]; /* offset just after the reply */
    uint32_t sum[FUZZ_MAX_REPLIES];
    enum smtpreply_status last;
};

static struct smtpreply R;

static uint32_t fuzz_sum(const struct smtpreply *r)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < r->n_lines; i++)
        for (const char *t = smtpreply_line(r, i); *t != '\0'; t++)
            h = (h ^ (uint8_t)*t) * 16777619u;
    return h;
}

static void fuzz_check_done(const struct smtpreply *r, const char *in, size_t end)
{
    if (r->code < 200 || r->code > 559 || (r->code / 10) % 10 > 5)
        abort();
    if (r->n_lines < 1 || r->n_lines > SMTPREPLY_LINES_MAX)
        abort();
    if (end == 0 || in[end - 1] != '\n')
        abort();
    for (size_t i = 0; i < r->n_lines; i++) {
        const char *t = smtpreply_line(r, i);
        size_t len;
        if (t == NULL)
            abort();
        len = strlen(t);
        if (len > SMTPREPLY_LINE_MAX - 5) /* the code, its separator and a bare LF */
            abort();
        if (i > 0 && len > 0 && t[0] != ' ') {
            char kw[SMTPREPLY_LINE_MAX];
            size_t k = strcspn(t, " ");
            memcpy(kw, t, k);
            kw[k] = '\0';
            if (!smtpreply_ehlo_has(r, kw))
                abort();
        }
    }
    if (smtpreply_line(r, r->n_lines) != NULL)
        abort();
}

/* Parse in[0..len) as replies, in pieces from the seed (0: whole). */
static void fuzz_run(const char *in, size_t len, uint32_t seed, struct seen *s)
{
    size_t at = 0;

    memset(s, 0, sizeof(*s));
    smtpreply_init(&R);
    s->last = SMTPREPLY_MORE;
    while (at < len && s->n < FUZZ_MAX_REPLIES) {
        size_t piece = len - at, used = 0;
        if (seed != 0) {
            seed = seed * 1103515245u + 12345u;
            piece = 1 + (seed >> 16) % 16;
            if (piece > len - at)
                piece = len - at;
        }
        enum smtpreply_status st = smtpreply_feed(&R, in + at, piece, &used);
        if (used > piece || (st == SMTPREPLY_MORE && used != piece))
            abort();
        at += used;
        s->last = st;
        if (st == SMTPREPLY_MORE)
            continue;
        if (st != SMTPREPLY_DONE) {
            size_t again = 1;
            if (smtpreply_feed(&R, in, len, &again) != st || again != 0)
                abort(); /* sticky, and nothing more is taken */
            return;
        }
        fuzz_check_done(&R, in, at);
        s->code[s->n] = R.code;
        s->lines[s->n] = R.n_lines;
        s->end[s->n] = at;
        s->sum[s->n] = fuzz_sum(&R);
        s->n++;
        smtpreply_init(&R);
        s->last = SMTPREPLY_MORE;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct seen whole, pieces;

    if (size < 1)
        return 0;
    fuzz_run((const char *)data + 1, size - 1, 0, &whole);
    fuzz_run((const char *)data + 1, size - 1, data[0] | 0x100u, &pieces);
    if (whole.n != pieces.n || whole.last != pieces.last)
        abort();
    for (size_t i = 0; i < whole.n; i++)
        if (whole.code[i] != pieces.code[i] || whole.lines[i] != pieces.lines[i] ||
            whole.end[i] != pieces.end[i] || whole.sum[i] != pieces.sum[i])
            abort();
    return 0;
}

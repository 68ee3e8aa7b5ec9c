/*
 * fuzz_dnsmsg - libFuzzer harness for src/dnsmsg.c.
 *
 * The first input byte chooses the mode:
 *
 * bit 7 clear: RAW.  The rest of the input is a DNS answer, parsed with
 * dnsmsg_parse().  The query it is matched against is the message's own
 * question (bit 6 set; read here with a minimal reader of uncompressed
 * names, so captured answers exercise the whole parser) or one from a
 * small table (bits 0-2 the type, bits 3-5 the name).  Invariants on
 * success:
 *   - header: QR set, opcode 0, one question; RCODE within 12 bits;
 *   - qname is the asked name in canonical text form; cname is a
 *     well-formed host name (labels of 1-63 letters, digits, '-', '_',
 *     at most 253 characters, or "."), equal to qname exactly when no
 *     CNAME was followed, and cnames <= DNSMSG_MAX_CNAME;
 *   - n <= DNSMSG_MAX_RRS, oversize only when n is full;
 *   - every record has the asked type, a TTL below 2^31 and not below
 *     the answer's TTL, RDATA inside the message, and typed fields that
 *     agree with its RDATA (A 4 bytes, AAAA 16, MX preference and a
 *     well-formed exchange, TLSA fields and data = RDATA + 3);
 *   - parsing again, and with the message's own id, gives the same answer;
 *     with another id, DNSMSG_E_ID.
 *   On failure: the error is one of the enum, with a printable text.
 *
 * bit 7 set: ROUND TRIP.  The rest of the input drives a generator: a
 * query name (1-4 labels of host-name characters), a type (A, AAAA, MX,
 * TLSA), query flags and up to 6 records (answers of the type, with names
 * written plain or compressed against the question; optionally behind a
 * CNAME; distractors of other types or owners).  dnsmsg_build() must
 * accept the name and write exactly the header and question expected; the
 * query turned into an answer with those records must parse back to
 * exactly the records written, in order, with the smallest TTL.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnsmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static struct dnsmsg_answer ans, again;

static bool fuzz_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* A well-formed text name as dnsmsg returns them. */
static bool fuzz_name_ok(const char *s)
{
    size_t len = strnlen(s, DNSMSG_NAME_TEXT), label = 0;

    if (len == DNSMSG_NAME_TEXT)
        return false; /* no NUL within the buffer */
    if (strcmp(s, ".") == 0)
        return true;
    if (len == 0 || len > 253)
        return false;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            if (label == 0 || label > 63)
                return false;
            label = 0;
        } else if (!fuzz_host_char(s[i])) {
            return false;
        } else {
            label++;
        }
    }
    return true;
}

/* The question of msg, if its name is uncompressed host-name text. */
static bool fuzz_question(const uint8_t *msg, size_t len, char *name, uint16_t *type)
{
    size_t p = DNSMSG_HEADER_LEN, out = 0;

    for (;;) {
        if (p >= len || msg[p] > 63)
            return false;
        size_t n = msg[p++];
        if (n == 0)
            break;
        if (p + n > len || out + n + 1 >= DNSMSG_NAME_TEXT)
            return false;
        if (out > 0)
            name[out++] = '.';
        for (size_t i = 0; i < n; i++) {
            char c = (char)msg[p + i];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            if (!fuzz_host_char(c))
                return false;
            name[out++] = c;
        }
        p += n;
    }
    if (out == 0)
        name[out++] = '.';
    name[out] = '\0';
    if (p + 2 > len)
        return false;
    *type = (uint16_t)((msg[p] << 8) | msg[p + 1]);
    return true;
}

static void fuzz_check_answer(const uint8_t *msg, size_t len, const char *qname, uint16_t qtype)
{
    FUZZ_CHECK(ans.hdr.qr && ans.hdr.opcode == 0 && ans.hdr.qdcount == 1);
    FUZZ_CHECK(ans.hdr.rcode <= 0xfff);
    FUZZ_CHECK(ans.qtype == qtype);
    FUZZ_CHECK(fuzz_name_ok(ans.qname) && fuzz_name_ok(ans.cname));
    if (strcmp(qname, ".") != 0 && qname[0] != '\0') {
        size_t ql = strlen(qname);
        if (qname[ql - 1] == '.')
            ql--;
        FUZZ_CHECK(strlen(ans.qname) == ql && strncasecmp(ans.qname, qname, ql) == 0);
    }
    FUZZ_CHECK(ans.cnames <= DNSMSG_MAX_CNAME);
    FUZZ_CHECK((ans.cnames == 0) == (strcmp(ans.cname, ans.qname) == 0));
    FUZZ_CHECK(ans.n <= DNSMSG_MAX_RRS);
    FUZZ_CHECK(!ans.oversize || ans.n == DNSMSG_MAX_RRS);
    FUZZ_CHECK(ans.ttl <= 0x7fffffffu);
    FUZZ_CHECK(!ans.has_soa || ans.neg_ttl <= 0x7fffffffu);
    for (size_t i = 0; i < ans.n; i++) {
        const struct dnsmsg_rr *rr = &ans.rr[i];
        FUZZ_CHECK(rr->type == qtype);
        FUZZ_CHECK(rr->ttl <= 0x7fffffffu && rr->ttl >= ans.ttl);
        FUZZ_CHECK(rr->rdata >= msg + DNSMSG_HEADER_LEN && rr->rdata <= msg + len);
        FUZZ_CHECK((size_t)(msg + len - rr->rdata) >= rr->rdlen);
        switch (qtype) {
        case DNSMSG_T_A:
            FUZZ_CHECK(rr->rdlen == 4 && memcmp(rr->u.a, rr->rdata, 4) == 0);
            break;
        case DNSMSG_T_AAAA:
            FUZZ_CHECK(rr->rdlen == 16 && memcmp(rr->u.aaaa, rr->rdata, 16) == 0);
            break;
        case DNSMSG_T_MX:
            FUZZ_CHECK(rr->rdlen >= 3);
            FUZZ_CHECK(rr->u.mx.pref == ((rr->rdata[0] << 8) | rr->rdata[1]));
            FUZZ_CHECK(fuzz_name_ok(rr->u.mx.exchange));
            break;
        case DNSMSG_T_TLSA:
            FUZZ_CHECK(rr->rdlen >= 3 && rr->u.tlsa.data == rr->rdata + 3);
            FUZZ_CHECK(rr->u.tlsa.len == rr->rdlen - 3);
            FUZZ_CHECK(rr->u.tlsa.usage == rr->rdata[0] && rr->u.tlsa.selector == rr->rdata[1] &&
                       rr->u.tlsa.mtype == rr->rdata[2]);
            (void)dnsmsg_tlsa_usable(rr);
            break;
        default:
            break;
        }
    }
}

static void fuzz_raw(uint8_t mode, const uint8_t *msg, size_t len)
{
    static const char *const names[] = {
        "example.com", "_25._tcp.mx.example.com",  "a.example",       "c0.example", ".",
        "signed.test", "_25._tcp.mx1.signed.test", "mx1.signed.test",
    };
    static const uint16_t types[] = {
        DNSMSG_T_MX,  DNSMSG_T_TLSA,  DNSMSG_T_A,   DNSMSG_T_AAAA,
        DNSMSG_T_TXT, DNSMSG_T_CNAME, DNSMSG_T_SOA, 48 /* DNSKEY */,
    };
    char qbuf[DNSMSG_NAME_TEXT];
    const char *qname = names[(mode >> 3) & 7];
    uint16_t qtype = types[mode & 7];
    enum dnsmsg_err err;

    if ((mode & 0x40) && fuzz_question(msg, len, qbuf, &qtype))
        qname = qbuf;
    err = dnsmsg_parse(msg, len, qname, qtype, DNSMSG_ANY_ID, &ans);
    FUZZ_CHECK(dnsmsg_strerror(err)[0] != '\0');
    FUZZ_CHECK(strcmp(dnsmsg_strerror(err), "unknown DNS message error") != 0);
    if (err != DNSMSG_OK) {
        FUZZ_CHECK(err != DNSMSG_E_ARG && err != DNSMSG_E_SPACE);
        return;
    }
    fuzz_check_answer(msg, len, qname, qtype);
    FUZZ_CHECK(dnsmsg_parse(msg, len, qname, qtype, ans.hdr.id, &again) == DNSMSG_OK);
    FUZZ_CHECK(memcmp(&ans, &again, sizeof(ans)) == 0);
    FUZZ_CHECK(dnsmsg_parse(msg, len, qname, qtype, ans.hdr.id ^ 1, &again) == DNSMSG_E_ID);
}

/* ---- round trip --------------------------------------------------------- */

struct fuzz_in {
    const uint8_t *p;
    size_t n;
};

static unsigned fuzz_next(struct fuzz_in *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

static void fuzz_gen_name(struct fuzz_in *in, char *out)
{
    static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789-_ABCZ";
    unsigned labels = fuzz_next(in) % 4 + 1;
    size_t o = 0;

    for (unsigned l = 0; l < labels; l++) {
        unsigned len = fuzz_next(in) % 20 + 1;
        if (l > 0)
            out[o++] = '.';
        for (unsigned i = 0; i < len; i++)
            out[o++] = chars[fuzz_next(in) % (sizeof(chars) - 1)];
    }
    out[o] = '\0';
}

struct fuzz_msg {
    uint8_t b[4096];
    size_t n;
};

static void fuzz_put8(struct fuzz_msg *m, unsigned v)
{
    FUZZ_CHECK(m->n < sizeof(m->b));
    m->b[m->n++] = (uint8_t)v;
}

static void fuzz_put16(struct fuzz_msg *m, unsigned v)
{
    fuzz_put8(m, (v >> 8) & 0xff);
    fuzz_put8(m, v & 0xff);
}

static void fuzz_put32(struct fuzz_msg *m, uint32_t v)
{
    fuzz_put16(m, v >> 16);
    fuzz_put16(m, v & 0xffff);
}

/* Write a text name plain, or with its labels then a pointer to where the
 * same name was written before (`at`, 0 for none). */
static void fuzz_put_name(struct fuzz_msg *m, const char *name, size_t at)
{
    if (at != 0) {
        fuzz_put16(m, 0xc000u | (unsigned)at);
        return;
    }
    while (*name != '\0') {
        const char *dot = strchr(name, '.');
        size_t len = dot != NULL ? (size_t)(dot - name) : strlen(name);
        fuzz_put8(m, (unsigned)len);
        for (size_t i = 0; i < len; i++)
            fuzz_put8(m, (unsigned char)name[i]);
        name += len;
        if (*name == '.')
            name++;
    }
    fuzz_put8(m, 0);
}

static void fuzz_lower(char *s)
{
    for (; *s != '\0'; s++)
        if (*s >= 'A' && *s <= 'Z')
            *s = (char)(*s - 'A' + 'a');
}

struct fuzz_rr {
    uint32_t ttl;
    unsigned pref;
    uint8_t rdata[80];
    size_t rdlen;
    char exchange[DNSMSG_NAME_TEXT];
};

static void fuzz_round_trip(const uint8_t *data, size_t size)
{
    static const uint16_t types[] = {DNSMSG_T_A, DNSMSG_T_AAAA, DNSMSG_T_MX, DNSMSG_T_TLSA};
    struct fuzz_in in = {data, size};
    struct fuzz_rr want[6];
    struct fuzz_msg m;
    char qname[DNSMSG_NAME_TEXT], target[DNSMSG_NAME_TEXT];
    uint8_t q[DNSMSG_QUERY_MAX];
    enum dnsmsg_err err;
    size_t qlen, nwant = 0, owner_at = DNSMSG_HEADER_LEN, ancount_at;
    uint32_t min_ttl = UINT32_MAX;

    fuzz_gen_name(&in, qname);
    uint16_t qtype = types[fuzz_next(&in) % 4];
    unsigned flags = fuzz_next(&in) & 0x1f;
    uint16_t id = (uint16_t)(fuzz_next(&in) << 8 | fuzz_next(&in));
    unsigned shape = fuzz_next(&in);
    bool edns = (flags & (DNSMSG_Q_EDNS | DNSMSG_Q_DO)) != 0;

    qlen = dnsmsg_build(q, sizeof(q), id, qname, qtype, flags, &err);
    FUZZ_CHECK(err == DNSMSG_OK &&
               qlen == DNSMSG_HEADER_LEN + strlen(qname) + 2 + 4 + (edns ? 11 : 0));
    FUZZ_CHECK(q[0] == id >> 8 && q[1] == (id & 0xff));
    FUZZ_CHECK(((q[2] & 0x01) != 0) == ((flags & DNSMSG_Q_RD) != 0));
    FUZZ_CHECK(((q[3] & 0x20) != 0) == ((flags & DNSMSG_Q_AD) != 0));
    FUZZ_CHECK(((q[3] & 0x10) != 0) == ((flags & DNSMSG_Q_CD) != 0));
    FUZZ_CHECK((q[2] & 0xfe) == 0 && (q[3] & 0xcf) == 0); /* nothing else */
    FUZZ_CHECK(q[4] == 0 && q[5] == 1 && q[11] == (edns ? 1 : 0));
    if (edns)
        FUZZ_CHECK(q[qlen - 9] == 41 &&
                   ((q[qlen - 4] & 0x80) != 0) == ((flags & DNSMSG_Q_DO) != 0));

    /* The answer: the query without its OPT, QR and RA set. */
    memcpy(m.b, q, qlen - (edns ? 11 : 0));
    m.n = qlen - (edns ? 11 : 0);
    m.b[2] |= 0x80;
    m.b[3] |= 0x80;
    m.b[11] = 0;
    ancount_at = 6;
    unsigned an = 0;
    fuzz_lower(qname);
    strcpy(target, qname);
    if (shape & 1) {
        /* qname CNAME target; answers belong to the target */
        fuzz_gen_name(&in, target);
        fuzz_lower(target);
        if (strcmp(target, qname) != 0) {
            fuzz_put_name(&m, qname, DNSMSG_HEADER_LEN);
            uint32_t ttl = fuzz_next(&in) * 7u;
            fuzz_put16(&m, DNSMSG_T_CNAME);
            fuzz_put16(&m, DNSMSG_C_IN);
            fuzz_put32(&m, ttl);
            size_t rdl = m.n;
            fuzz_put16(&m, 0);
            owner_at = m.n;
            fuzz_put_name(&m, target, 0);
            m.b[rdl] = (uint8_t)((m.n - rdl - 2) >> 8);
            m.b[rdl + 1] = (uint8_t)((m.n - rdl - 2) & 0xff);
            min_ttl = ttl;
            an++;
        } else {
            strcpy(target, qname);
        }
    }
    unsigned count = (shape >> 1) % 7;
    for (unsigned r = 0; r < count; r++) {
        unsigned kind = fuzz_next(&in) % 4; /* 0,1: answer; 2: other type; 3: other owner */
        uint32_t ttl = (uint32_t)fuzz_next(&in) << 16 | fuzz_next(&in);
        struct fuzz_rr *w = &want[nwant];
        uint8_t rd[80];
        size_t rdlen = 0, rdl;
        char other[DNSMSG_NAME_TEXT];

        if (kind == 3) {
            fuzz_gen_name(&in, other);
            fuzz_lower(other);
            if (strcmp(other, target) == 0)
                kind = 2;
        }
        if (kind == 3)
            fuzz_put_name(&m, other, 0);
        else
            fuzz_put_name(&m, target, owner_at);
        fuzz_put16(&m, kind == 2 ? 46 : qtype);
        fuzz_put16(&m, DNSMSG_C_IN);
        fuzz_put32(&m, ttl);
        rdl = m.n;
        fuzz_put16(&m, 0);
        if (qtype == DNSMSG_T_MX && kind != 2) {
            w->pref = fuzz_next(&in) << 8 | fuzz_next(&in);
            fuzz_put16(&m, w->pref);
            if (fuzz_next(&in) & 1) {
                strcpy(w->exchange, qname);
                fuzz_put_name(&m, qname, DNSMSG_HEADER_LEN);
            } else {
                fuzz_gen_name(&in, w->exchange);
                fuzz_put_name(&m, w->exchange, 0);
                fuzz_lower(w->exchange);
            }
        } else {
            rdlen = qtype == DNSMSG_T_A ? 4 : qtype == DNSMSG_T_AAAA ? 16 : 3 + fuzz_next(&in) % 70;
            for (size_t i = 0; i < rdlen; i++) {
                rd[i] = (uint8_t)fuzz_next(&in);
                fuzz_put8(&m, rd[i]);
            }
        }
        m.b[rdl] = (uint8_t)((m.n - rdl - 2) >> 8);
        m.b[rdl + 1] = (uint8_t)((m.n - rdl - 2) & 0xff);
        an++;
        if (kind >= 2)
            continue;
        w->ttl = ttl;
        memcpy(w->rdata, rd, rdlen);
        w->rdlen = rdlen;
        if (ttl < min_ttl)
            min_ttl = ttl;
        nwant++;
    }
    m.b[ancount_at] = 0;
    m.b[ancount_at + 1] = (uint8_t)an;

    err = dnsmsg_parse(m.b, m.n, qname, qtype, id, &ans);
    FUZZ_CHECK(err == DNSMSG_OK);
    fuzz_check_answer(m.b, m.n, qname, qtype);
    FUZZ_CHECK(strcmp(ans.qname, qname) == 0 && strcmp(ans.cname, target) == 0);
    FUZZ_CHECK(ans.cnames == (strcmp(target, qname) != 0 ? 1u : 0u));
    FUZZ_CHECK(ans.n == nwant && !ans.oversize);
    FUZZ_CHECK(ans.ttl == (min_ttl == UINT32_MAX ? 0 : min_ttl));
    FUZZ_CHECK(ans.hdr.ad == ((flags & DNSMSG_Q_AD) != 0) && ans.hdr.ra && !ans.hdr.edns);
    for (size_t i = 0; i < nwant; i++) {
        const struct dnsmsg_rr *rr = &ans.rr[i];
        FUZZ_CHECK(rr->ttl == want[i].ttl);
        if (qtype == DNSMSG_T_MX) {
            FUZZ_CHECK(rr->u.mx.pref == want[i].pref &&
                       strcmp(rr->u.mx.exchange, want[i].exchange) == 0);
            continue;
        }
        FUZZ_CHECK(rr->rdlen == want[i].rdlen &&
                   memcmp(rr->rdata, want[i].rdata, want[i].rdlen) == 0);
        if (qtype == DNSMSG_T_TLSA)
            FUZZ_CHECK(rr->u.tlsa.usage == want[i].rdata[0] && rr->u.tlsa.len == rr->rdlen - 3);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] & 0x80)
        fuzz_round_trip(data + 1, size - 1);
    else
        fuzz_raw(data[0], data + 1, size - 1);
    return 0;
}

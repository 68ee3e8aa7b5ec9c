/*
 * dnsmsg - build DNS queries and parse hostile DNS answers (see dnsmsg.h).
 *
 * Public functions: dnsmsg_build(), dnsmsg_parse(), dnsmsg_tlsa_usable(),
 * dnsmsg_mx_sort(), dnsmsg_strerror(), dnsmsg_rcode_name(),
 * dnsmsg_type_name().
 *
 * Names inside this file are kept in "flat wire form": the uncompressed
 * label sequence with its terminating zero, ASCII letters lowercased, at
 * most DNSMSG_NAME_WIRE octets (struct dnsmsg_wname).  Two names are equal
 * when their flat forms are (RFC 4343: ASCII case does not matter).  Only
 * names that reach the caller are turned into text, and only if they are
 * host-name-like (dnsmsg_wname_text()).
 *
 * Reading a name (dnsmsg_name_read()): labels are copied until the zero
 * label; a compression pointer must point before the first octet of the
 * segment being read (the name's own start, or the target of the previous
 * pointer), so the segments read move strictly backwards and no pointer
 * can be followed twice; it must not point into the header, and at most
 * DNSMSG_MAX_HOPS pointers are followed per name (a name has at most 127
 * labels, more pointers are never needed).  The bytes a name occupies in
 * place (up to the zero label or the first pointer) must lie below a
 * limit: the end of the message, or the end of the RDATA holding it.
 *
 * Parsing (dnsmsg_parse()): header; the one question, compared with the
 * one asked; a walk over every record of the three sections that checks
 * each owner name, the fixed fields and that RDATA lies inside the
 * message, requires class IN in the answer section, reads the SOA of the
 * authority section and the OPT of the additional section; then the CNAME
 * chain is followed by rescanning the answer section (at most
 * DNSMSG_MAX_CNAME + 1 scans, each bounded by the message), and a last
 * scan collects the records of the asked type owned by the chain's end.
 * The work is thus bounded by a small multiple of the message length.
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"

#define DNSMSG_MAX_HOPS 127

/* A name in flat wire form. */
struct dnsmsg_wname {
    uint8_t b[DNSMSG_NAME_WIRE];
    size_t len; /* including the zero label */
};

/* The fixed part of a record, after its owner name. */
struct dnsmsg_rrhead {
    struct dnsmsg_wname owner;
    uint16_t type, cls;
    uint32_t ttl;
    size_t rdata; /* offset */
    uint16_t rdlen;
};

static uint16_t dnsmsg_get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t dnsmsg_get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void dnsmsg_put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)(v & 0xff);
}

static uint8_t dnsmsg_lower(uint8_t c)
{
    return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

static bool dnsmsg_host_char(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* RFC 2181 section 8: a TTL with the most significant bit set is 0. */
static uint32_t dnsmsg_ttl(uint32_t ttl)
{
    return ttl & 0x80000000u ? 0 : ttl;
}

/* ---- names ------------------------------------------------------------- */

/* Text (with or without one trailing dot; "" and "." are the root) to
 * flat wire form.  Letters, digits, '-' and '_' only. */
static bool dnsmsg_text_wname(const char *text, struct dnsmsg_wname *w)
{
    size_t len, i, label = 0, lenpos = 0, out = 1;

    if (text == NULL)
        return false;
    len = strlen(text);
    if (len == 0 || (len == 1 && text[0] == '.')) {
        w->b[0] = 0;
        w->len = 1;
        return true;
    }
    if (text[len - 1] == '.')
        len--;
    if (len > DNSMSG_NAME_TEXT - 1)
        return false; /* more than 253 characters: more than 255 octets */
    for (i = 0; i <= len; i++) {
        if (i == len || text[i] == '.') {
            if (label == 0)
                return false;
            w->b[lenpos] = (uint8_t)label;
            lenpos = out++;
            label = 0;
            continue;
        }
        uint8_t c = dnsmsg_lower((uint8_t)text[i]);
        if (!dnsmsg_host_char(c) || ++label > 63)
            return false;
        w->b[out++] = c;
    }
    w->b[lenpos] = 0; /* the zero label */
    w->len = lenpos + 1;
    return true;
}

/* Flat wire form to text: lowercase, no trailing dot, root as ".".  False
 * if a label holds anything but letters, digits, '-', '_'. */
static bool dnsmsg_wname_text(const struct dnsmsg_wname *w, char *text)
{
    size_t i = 0, out = 0;

    if (w->b[0] == 0) {
        text[0] = '.';
        text[1] = '\0';
        return true;
    }
    while (w->b[i] != 0) {
        size_t n = w->b[i++];
        if (out > 0)
            text[out++] = '.';
        for (; n > 0; n--, i++) {
            if (!dnsmsg_host_char(w->b[i]))
                return false;
            text[out++] = (char)w->b[i];
        }
    }
    text[out] = '\0';
    return true;
}

static bool dnsmsg_wname_eq(const struct dnsmsg_wname *a, const struct dnsmsg_wname *b)
{
    return a->len == b->len && memcmp(a->b, b->b, a->len) == 0;
}

/*
 * Read the (possibly compressed) name at *pos into w.  The bytes it holds
 * in place must end at or before `limit`; *pos moves past them.
 */
static enum dnsmsg_err dnsmsg_name_read(const uint8_t *msg, size_t len, size_t *pos, size_t limit,
                                        struct dnsmsg_wname *w)
{
    size_t p = *pos, segment = *pos, out = 0;
    bool jumped = false;
    int hops = 0;

    for (;;) {
        size_t end = jumped ? len : limit;
        if (p >= end)
            return jumped || limit == len ? DNSMSG_E_SHORT : DNSMSG_E_RDATA;
        uint8_t b = msg[p];
        if ((b & 0xc0) == 0xc0) {
            if (p + 1 >= end)
                return jumped || limit == len ? DNSMSG_E_SHORT : DNSMSG_E_RDATA;
            size_t target = ((size_t)(b & 0x3f) << 8) | msg[p + 1];
            if (target >= segment || target < DNSMSG_HEADER_LEN || ++hops > DNSMSG_MAX_HOPS)
                return DNSMSG_E_POINTER;
            if (!jumped)
                *pos = p + 2;
            jumped = true;
            p = segment = target;
            continue;
        }
        if ((b & 0xc0) != 0)
            return DNSMSG_E_LABEL;
        if (out + 1 + b > DNSMSG_NAME_WIRE - (b == 0 ? 0 : 1))
            return DNSMSG_E_NAMELEN;
        if (p + 1 + b > end)
            return jumped || limit == len ? DNSMSG_E_SHORT : DNSMSG_E_RDATA;
        w->b[out++] = b;
        for (size_t i = 0; i < b; i++)
            w->b[out++] = dnsmsg_lower(msg[p + 1 + i]);
        p += 1 + (size_t)b;
        if (b == 0) {
            if (!jumped)
                *pos = p;
            w->len = out;
            return DNSMSG_OK;
        }
    }
}

/* ---- records ------------------------------------------------------------ */

static enum dnsmsg_err dnsmsg_rr_read(const uint8_t *msg, size_t len, size_t *pos,
                                      struct dnsmsg_rrhead *rr)
{
    enum dnsmsg_err err;

    err = dnsmsg_name_read(msg, len, pos, len, &rr->owner);
    if (err != DNSMSG_OK)
        return err;
    if (len - *pos < 10)
        return DNSMSG_E_SHORT;
    rr->type = dnsmsg_get16(msg + *pos);
    rr->cls = dnsmsg_get16(msg + *pos + 2);
    rr->ttl = dnsmsg_get32(msg + *pos + 4);
    rr->rdlen = dnsmsg_get16(msg + *pos + 8);
    *pos += 10;
    if (len - *pos < rr->rdlen)
        return DNSMSG_E_SHORT;
    rr->rdata = *pos;
    *pos += rr->rdlen;
    return DNSMSG_OK;
}

/* SOA RDATA: MNAME, RNAME, five 32-bit numbers, exactly. */
static enum dnsmsg_err dnsmsg_soa_minimum(const uint8_t *msg, size_t len,
                                          const struct dnsmsg_rrhead *rr, uint32_t *minimum)
{
    size_t pos = rr->rdata, end = rr->rdata + rr->rdlen;
    struct dnsmsg_wname w;
    enum dnsmsg_err err;

    err = dnsmsg_name_read(msg, len, &pos, end, &w);
    if (err == DNSMSG_OK)
        err = dnsmsg_name_read(msg, len, &pos, end, &w);
    if (err != DNSMSG_OK)
        return err;
    if (end - pos != 20)
        return DNSMSG_E_RDATA;
    *minimum = dnsmsg_get32(msg + pos + 16);
    return DNSMSG_OK;
}

/* Fill out->rr[i] from a record of the asked type. */
static enum dnsmsg_err dnsmsg_rr_decode(const uint8_t *msg, size_t len,
                                        const struct dnsmsg_rrhead *h, struct dnsmsg_rr *rr)
{
    const uint8_t *rd = msg + h->rdata;
    size_t pos, end = h->rdata + h->rdlen;
    struct dnsmsg_wname w;
    enum dnsmsg_err err;

    memset(rr, 0, sizeof(*rr));
    rr->type = h->type;
    rr->ttl = dnsmsg_ttl(h->ttl);
    rr->rdata = rd;
    rr->rdlen = h->rdlen;
    switch (h->type) {
    case DNSMSG_T_A:
        if (h->rdlen != 4)
            return DNSMSG_E_RDATA;
        memcpy(rr->u.a, rd, 4);
        break;
    case DNSMSG_T_AAAA:
        if (h->rdlen != 16)
            return DNSMSG_E_RDATA;
        memcpy(rr->u.aaaa, rd, 16);
        break;
    case DNSMSG_T_MX:
        if (h->rdlen < 3)
            return DNSMSG_E_RDATA;
        rr->u.mx.pref = dnsmsg_get16(rd);
        pos = h->rdata + 2;
        err = dnsmsg_name_read(msg, len, &pos, end, &w);
        if (err != DNSMSG_OK)
            return err;
        if (pos != end)
            return DNSMSG_E_RDATA;
        if (!dnsmsg_wname_text(&w, rr->u.mx.exchange))
            return DNSMSG_E_CHARS;
        break;
    case DNSMSG_T_TLSA:
        if (h->rdlen < 3)
            return DNSMSG_E_RDATA;
        rr->u.tlsa.usage = rd[0];
        rr->u.tlsa.selector = rd[1];
        rr->u.tlsa.mtype = rd[2];
        rr->u.tlsa.data = rd + 3;
        rr->u.tlsa.len = (uint16_t)(h->rdlen - 3);
        break;
    default:
        break; /* raw RDATA only */
    }
    return DNSMSG_OK;
}

/* ---- parse -------------------------------------------------------------- */

static void dnsmsg_header_read(const uint8_t *msg, struct dnsmsg_header *h)
{
    uint16_t flags = dnsmsg_get16(msg + 2);

    memset(h, 0, sizeof(*h));
    h->id = dnsmsg_get16(msg);
    h->qr = (flags & 0x8000) != 0;
    h->opcode = (uint8_t)((flags >> 11) & 0x0f);
    h->aa = (flags & 0x0400) != 0;
    h->tc = (flags & 0x0200) != 0;
    h->rd = (flags & 0x0100) != 0;
    h->ra = (flags & 0x0080) != 0;
    h->ad = (flags & 0x0020) != 0;
    h->cd = (flags & 0x0010) != 0;
    h->rcode = flags & 0x000f;
    h->qdcount = dnsmsg_get16(msg + 4);
    h->ancount = dnsmsg_get16(msg + 6);
    h->nscount = dnsmsg_get16(msg + 8);
    h->arcount = dnsmsg_get16(msg + 10);
}

/* Walk every record; check structure; pick up the SOA and the OPT. */
static enum dnsmsg_err dnsmsg_walk(const uint8_t *msg, size_t len, size_t pos,
                                   struct dnsmsg_answer *out)
{
    const struct dnsmsg_header *h = &out->hdr;
    unsigned total = (unsigned)h->ancount + h->nscount + h->arcount;
    struct dnsmsg_rrhead rr;
    enum dnsmsg_err err;
    bool opt = false;

    for (unsigned i = 0; i < total; i++) {
        err = dnsmsg_rr_read(msg, len, &pos, &rr);
        if (err != DNSMSG_OK)
            return err;
        if (i < h->ancount) {
            if (rr.cls != DNSMSG_C_IN)
                return DNSMSG_E_CLASS;
        } else if (i < (unsigned)h->ancount + h->nscount) {
            uint32_t minimum;
            if (rr.type != DNSMSG_T_SOA || out->has_soa || rr.cls != DNSMSG_C_IN)
                continue;
            err = dnsmsg_soa_minimum(msg, len, &rr, &minimum);
            if (err != DNSMSG_OK)
                return err;
            out->has_soa = true;
            minimum = dnsmsg_ttl(minimum);
            out->neg_ttl = dnsmsg_ttl(rr.ttl) < minimum ? dnsmsg_ttl(rr.ttl) : minimum;
        } else if (rr.type == DNSMSG_T_OPT) {
            if (opt || rr.owner.len != 1)
                return DNSMSG_E_OPT;
            opt = true;
            out->hdr.edns = true;
            out->hdr.udp_size = rr.cls;
            out->hdr.rcode = (uint16_t)(((rr.ttl >> 24) << 4) | (out->hdr.rcode & 0x0f));
            out->hdr.do_bit = (rr.ttl & 0x8000) != 0;
        }
    }
    return DNSMSG_OK;
}

/* Find the CNAME owned by `name` in the answer section: 1 found (target
 * in *target, TTL in *ttl), 0 none, or an error (negated). */
static int dnsmsg_find_cname(const uint8_t *msg, size_t len, size_t pos, unsigned ancount,
                             const struct dnsmsg_wname *name, struct dnsmsg_wname *target,
                             uint32_t *ttl)
{
    struct dnsmsg_rrhead rr;
    struct dnsmsg_wname t;
    enum dnsmsg_err err;
    int found = 0;

    for (unsigned i = 0; i < ancount; i++) {
        err = dnsmsg_rr_read(msg, len, &pos, &rr); /* already walked: cannot fail */
        if (err != DNSMSG_OK)
            return -(int)err;
        if (rr.type != DNSMSG_T_CNAME || !dnsmsg_wname_eq(&rr.owner, name))
            continue;
        size_t p = rr.rdata, end = rr.rdata + rr.rdlen;
        err = dnsmsg_name_read(msg, len, &p, end, &t);
        if (err != DNSMSG_OK)
            return -(int)err;
        if (p != end)
            return -(int)DNSMSG_E_RDATA;
        if (found)
            return -(int)DNSMSG_E_CNAME; /* RFC 2181 10.1: one CNAME per name */
        found = 1;
        *target = t;
        *ttl = dnsmsg_ttl(rr.ttl);
    }
    return found;
}

enum dnsmsg_err dnsmsg_parse(const uint8_t *msg, size_t len, const char *qname, uint16_t qtype,
                             int expect_id, struct dnsmsg_answer *out)
{
    struct dnsmsg_wname want, got, chain[DNSMSG_MAX_CNAME + 1];
    struct dnsmsg_rrhead rr;
    enum dnsmsg_err err;
    size_t pos, answers;
    uint32_t ttl = UINT32_MAX;

    memset(out, 0, sizeof(*out));
    if (msg == NULL || !dnsmsg_text_wname(qname, &want))
        return DNSMSG_E_ARG;
    if (len < DNSMSG_HEADER_LEN)
        return DNSMSG_E_SHORT;
    dnsmsg_header_read(msg, &out->hdr);
    if (!out->hdr.qr)
        return DNSMSG_E_NOTRESPONSE;
    if (out->hdr.opcode != 0)
        return DNSMSG_E_OPCODE;
    if (expect_id != DNSMSG_ANY_ID && out->hdr.id != (uint16_t)expect_id)
        return DNSMSG_E_ID;
    if (out->hdr.qdcount != 1)
        return DNSMSG_E_QUESTION;

    pos = DNSMSG_HEADER_LEN;
    err = dnsmsg_name_read(msg, len, &pos, len, &got);
    if (err != DNSMSG_OK)
        return err;
    if (len - pos < 4)
        return DNSMSG_E_SHORT;
    if (!dnsmsg_wname_eq(&got, &want) || dnsmsg_get16(msg + pos) != qtype ||
        dnsmsg_get16(msg + pos + 2) != DNSMSG_C_IN)
        return DNSMSG_E_QUESTION;
    pos += 4;
    answers = pos;

    err = dnsmsg_walk(msg, len, answers, out);
    if (err != DNSMSG_OK)
        return err;

    /* The CNAME chain from the question name. */
    chain[0] = want;
    if (qtype != DNSMSG_T_CNAME) {
        for (;;) {
            struct dnsmsg_wname target;
            uint32_t cttl = 0;
            int found = dnsmsg_find_cname(msg, len, answers, out->hdr.ancount, &chain[out->cnames],
                                          &target, &cttl);
            if (found < 0)
                return (enum dnsmsg_err) - found;
            if (found == 0)
                break;
            for (unsigned i = 0; i <= out->cnames; i++)
                if (dnsmsg_wname_eq(&chain[i], &target))
                    return DNSMSG_E_CNAME; /* loop */
            if (out->cnames == DNSMSG_MAX_CNAME)
                return DNSMSG_E_CNAME; /* too long */
            char text[DNSMSG_NAME_TEXT];
            if (!dnsmsg_wname_text(&target, text))
                return DNSMSG_E_CHARS;
            chain[++out->cnames] = target;
            if (cttl < ttl)
                ttl = cttl;
        }
    }
    if (!dnsmsg_wname_text(&want, out->qname) ||
        !dnsmsg_wname_text(&chain[out->cnames], out->cname))
        return DNSMSG_E_CHARS;
    out->qtype = qtype;

    /* The records of the asked type at the end of the chain. */
    pos = answers;
    for (unsigned i = 0; i < out->hdr.ancount; i++) {
        err = dnsmsg_rr_read(msg, len, &pos, &rr);
        if (err != DNSMSG_OK)
            return err;
        if (rr.type != qtype || !dnsmsg_wname_eq(&rr.owner, &chain[out->cnames]))
            continue;
        if (dnsmsg_ttl(rr.ttl) < ttl)
            ttl = dnsmsg_ttl(rr.ttl);
        if (out->n == DNSMSG_MAX_RRS) {
            out->oversize = true;
            continue;
        }
        err = dnsmsg_rr_decode(msg, len, &rr, &out->rr[out->n]);
        if (err != DNSMSG_OK)
            return err;
        out->n++;
    }
    out->ttl = ttl == UINT32_MAX ? 0 : ttl;
    return DNSMSG_OK;
}

/* ---- build -------------------------------------------------------------- */

size_t dnsmsg_build(uint8_t *buf, size_t size, uint16_t id, const char *name, uint16_t type,
                    unsigned flags, enum dnsmsg_err *err)
{
    struct dnsmsg_wname w;
    bool edns = (flags & (DNSMSG_Q_EDNS | DNSMSG_Q_DO)) != 0;
    unsigned hflags = 0;
    size_t need;

    if (!dnsmsg_text_wname(name, &w)) {
        *err = DNSMSG_E_ARG;
        return 0;
    }
    need = DNSMSG_HEADER_LEN + w.len + 4 + (edns ? 11 : 0);
    if (buf == NULL || size < need) {
        *err = DNSMSG_E_SPACE;
        return 0;
    }
    if (flags & DNSMSG_Q_RD)
        hflags |= 0x0100;
    if (flags & DNSMSG_Q_AD)
        hflags |= 0x0020;
    if (flags & DNSMSG_Q_CD)
        hflags |= 0x0010;
    dnsmsg_put16(buf, id);
    dnsmsg_put16(buf + 2, hflags);
    dnsmsg_put16(buf + 4, 1);
    dnsmsg_put16(buf + 6, 0);
    dnsmsg_put16(buf + 8, 0);
    dnsmsg_put16(buf + 10, edns ? 1 : 0);
    memcpy(buf + DNSMSG_HEADER_LEN, w.b, w.len);
    uint8_t *p = buf + DNSMSG_HEADER_LEN + w.len;
    dnsmsg_put16(p, type);
    dnsmsg_put16(p + 2, DNSMSG_C_IN);
    if (edns) {
        /* OPT: root owner, type 41, class = UDP size, TTL = extended
         * RCODE 0, version 0, DO; no options.  Always the last 11 bytes. */
        p += 4;
        p[0] = 0;
        dnsmsg_put16(p + 1, DNSMSG_T_OPT);
        dnsmsg_put16(p + 3, DNSMSG_EDNS_UDP);
        p[5] = 0;
        p[6] = 0;
        dnsmsg_put16(p + 7, (flags & DNSMSG_Q_DO) ? 0x8000 : 0);
        dnsmsg_put16(p + 9, 0);
    }
    *err = DNSMSG_OK;
    return need;
}

/* ---- small helpers ------------------------------------------------------ */

bool dnsmsg_tlsa_usable(const struct dnsmsg_rr *rr)
{
    if (rr->type != DNSMSG_T_TLSA)
        return false;
    if (rr->u.tlsa.usage != 2 && rr->u.tlsa.usage != 3)
        return false;
    if (rr->u.tlsa.selector > 1)
        return false;
    switch (rr->u.tlsa.mtype) {
    case 0:
        return rr->u.tlsa.len > 0;
    case 1:
        return rr->u.tlsa.len == 32;
    case 2:
        return rr->u.tlsa.len == 64;
    default:
        return false;
    }
}

static int dnsmsg_mx_cmp(const void *a, const void *b)
{
    const struct dnsmsg_rr *x = a, *y = b;

    if (x->u.mx.pref != y->u.mx.pref)
        return x->u.mx.pref < y->u.mx.pref ? -1 : 1;
    return strcmp(x->u.mx.exchange, y->u.mx.exchange);
}

void dnsmsg_mx_sort(struct dnsmsg_rr *rrs, size_t n)
{
    if (n > 1)
        qsort(rrs, n, sizeof(*rrs), dnsmsg_mx_cmp);
}

const char *dnsmsg_strerror(enum dnsmsg_err err)
{
    switch (err) {
    case DNSMSG_OK:
        return "ok";
    case DNSMSG_E_ARG:
        return "unusable query name or type";
    case DNSMSG_E_SPACE:
        return "query buffer too small";
    case DNSMSG_E_SHORT:
        return "message truncated";
    case DNSMSG_E_NOTRESPONSE:
        return "not a response";
    case DNSMSG_E_OPCODE:
        return "opcode is not QUERY";
    case DNSMSG_E_ID:
        return "wrong message id";
    case DNSMSG_E_QUESTION:
        return "question does not match the query";
    case DNSMSG_E_POINTER:
        return "bad compression pointer";
    case DNSMSG_E_LABEL:
        return "bad label type";
    case DNSMSG_E_NAMELEN:
        return "name longer than 255 octets";
    case DNSMSG_E_CHARS:
        return "name is not a host name";
    case DNSMSG_E_CLASS:
        return "answer record not of class IN";
    case DNSMSG_E_RDATA:
        return "record data of the wrong length";
    case DNSMSG_E_CNAME:
        return "bad CNAME chain";
    case DNSMSG_E_OPT:
        return "bad OPT record";
    }
    return "unknown DNS message error";
}

const char *dnsmsg_rcode_name(unsigned rcode)
{
    static const char *const names[] = {"NOERROR",  "FORMERR", "SERVFAIL",
                                        "NXDOMAIN", "NOTIMP",  "REFUSED"};
    return rcode < sizeof(names) / sizeof(names[0]) ? names[rcode] : "RCODE";
}

const char *dnsmsg_type_name(uint16_t type)
{
    switch (type) {
    case DNSMSG_T_A:
        return "A";
    case DNSMSG_T_NS:
        return "NS";
    case DNSMSG_T_CNAME:
        return "CNAME";
    case DNSMSG_T_SOA:
        return "SOA";
    case DNSMSG_T_MX:
        return "MX";
    case DNSMSG_T_TXT:
        return "TXT";
    case DNSMSG_T_AAAA:
        return "AAAA";
    case DNSMSG_T_DNAME:
        return "DNAME";
    case DNSMSG_T_OPT:
        return "OPT";
    case DNSMSG_T_TLSA:
        return "TLSA";
    }
    return "TYPE";
}

/*
 * dnsmsg - DNS messages on the wire (RFC 1035 section 4), for the
 * DNSSEC-aware lookups DANE needs: build one query, parse one answer.
 *
 * Why not c-ares: c-ares 1.18 cannot set the AD bit in a query (its
 * ares_query() fixes the header flags), has no TLSA parser, and its MX
 * parser drops the TTLs.  dns.c sends what dnsmsg_build() makes with
 * ares_send() and hands the raw answer to dnsmsg_parse().
 *
 * dnsmsg_build() writes a query for one name and type: RD set, and the AD
 * bit set as RFC 6840 section 5.7 describes -- a stub that sets AD in a
 * query tells a validating resolver it understands AD, and the resolver
 * then returns AD (all the answer validated) without the DO bit.  DO is
 * left clear on purpose: it would make the resolver add RRSIG records that
 * mtastsd cannot use (it trusts the local validating resolver, as
 * Postfix's DANE does) and that push answers past the UDP size into TCP
 * retries.  An EDNS0 OPT record (RFC 6891) is added only for its UDP size,
 * DNSMSG_EDNS_UDP (1232, the size that needs no IP fragmentation), so that
 * TLSA RRsets with full certificates (usage 3 0 0, about 1 KB) still come
 * over UDP.  The OPT record is always the last 11 bytes of the query:
 * c-ares 1.18 strips exactly those when a server answers FORMERR without
 * EDNS, and retries.  Flags other than the default may be asked for
 * (tests, fuzzing).
 *
 * dnsmsg_parse() checks that the answer belongs to the query (QR set,
 * opcode QUERY, optionally the id, exactly one question with the same
 * name, type and class IN), walks every section (each name, each length),
 * follows the CNAME chain from the question name (at most DNSMSG_MAX_CNAME
 * links, loops rejected; DNAME records are skipped, the CNAME a resolver
 * synthesises for them is followed), and returns the records of the asked
 * type owned by the end of the chain: MX (preference, exchange), TLSA
 * (usage, selector, matching type, data), A, AAAA, and for other types the
 * raw RDATA.  Records of the asked type owned by other names are not part
 * of the answer and are ignored, as are other types.  The TTL given is the
 * smallest of the records and CNAMEs used (RFC 2181 section 8: a TTL with
 * the top bit set counts as 0).  For negative answers, the SOA in the
 * authority section gives the negative-caching TTL (RFC 2308 section 5).
 * An EDNS0 OPT record in the additional section extends the RCODE.
 *
 * Hostile input: every read is bounds-checked against the message length;
 * names are decompressed with each pointer required to point before the
 * segment being read (so pointer loops and forward pointers are refused),
 * never into the 12-byte header, at most 127 pointers per name (a name has
 * at most 127 labels), names of at most 255 octets; the label types 01 and
 * 10 (RFC 6891 section 5, obsolete) are refused.  The rdata of every record
 * used must have exactly its type's length (an MX exchange or CNAME target
 * must end exactly at the end of its RDATA).  Records of the answer section
 * must be of class IN.  Names returned are text: lowercase, no trailing
 * dot, root as "."; a name used in the answer (owner of the chain, CNAME
 * target, MX exchange) whose labels hold anything but letters, digits, '-'
 * and '_' makes the whole answer invalid (DNSMSG_E_CHARS): such a name is
 * no host name Postfix could use, and an answer is never half-believed.  At
 * most DNSMSG_MAX_RRS records are returned; more set oversize.  Counts in
 * the header are not trusted: every record must be in the message.
 *
 * Ownership: a parsed answer points into the message for RDATA and TLSA
 * data (rr.rdata, rr.u.tlsa.data): the caller keeps the message alive while
 * it uses the answer.  Everything else is copied into the answer.
 *
 * Pure: no allocation, no I/O, no logging.  dnsmsg_strerror() says what
 * was wrong, for the caller's log line.
 */
#ifndef MTASTSD_DNSMSG_H
#define MTASTSD_DNSMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNSMSG_HEADER_LEN 12
#define DNSMSG_QUERY_MAX  (DNSMSG_HEADER_LEN + 255 + 4 + 11) /* longest query we build */
#define DNSMSG_NAME_WIRE  255                                /* octets, RFC 1035 section 2.3.4 */
#define DNSMSG_NAME_TEXT  254                                /* 253 characters and the NUL */
#define DNSMSG_MAX_RRS    32                                 /* records returned per answer */
#define DNSMSG_MAX_CNAME  8                                  /* CNAME links followed */
#define DNSMSG_EDNS_UDP   1232
#define DNSMSG_ANY_ID     (-1) /* dnsmsg_parse(): do not check the id */

/* Types and classes mtastsd uses. */
#define DNSMSG_T_A     1
#define DNSMSG_T_NS    2
#define DNSMSG_T_CNAME 5
#define DNSMSG_T_SOA   6
#define DNSMSG_T_MX    15
#define DNSMSG_T_TXT   16
#define DNSMSG_T_AAAA  28
#define DNSMSG_T_DNAME 39
#define DNSMSG_T_OPT   41
#define DNSMSG_T_TLSA  52
#define DNSMSG_C_IN    1

/* Response codes (RFC 1035 4.1.1, RFC 6895). */
#define DNSMSG_R_NOERROR  0
#define DNSMSG_R_FORMERR  1
#define DNSMSG_R_SERVFAIL 2
#define DNSMSG_R_NXDOMAIN 3
#define DNSMSG_R_NOTIMP   4
#define DNSMSG_R_REFUSED  5

/* Query flags for dnsmsg_build(). */
#define DNSMSG_Q_RD      0x01u /* recursion desired */
#define DNSMSG_Q_AD      0x02u /* RFC 6840 5.7: "I understand AD, please set it" */
#define DNSMSG_Q_CD      0x04u /* checking disabled (never by mtastsd) */
#define DNSMSG_Q_EDNS    0x08u /* add an OPT record with DNSMSG_EDNS_UDP */
#define DNSMSG_Q_DO      0x10u /* DNSSEC OK (implies EDNS) */
#define DNSMSG_Q_DEFAULT (DNSMSG_Q_RD | DNSMSG_Q_AD | DNSMSG_Q_EDNS)

enum dnsmsg_err {
    DNSMSG_OK = 0,
    DNSMSG_E_ARG,         /* the caller's name or type is not usable */
    DNSMSG_E_SPACE,       /* dnsmsg_build(): the buffer is too small */
    DNSMSG_E_SHORT,       /* the message ends inside a header, name or record */
    DNSMSG_E_NOTRESPONSE, /* QR clear */
    DNSMSG_E_OPCODE,      /* opcode is not QUERY */
    DNSMSG_E_ID,          /* not the id asked for */
    DNSMSG_E_QUESTION,    /* not exactly one question, or not the one asked */
    DNSMSG_E_POINTER,     /* compression pointer forward, into itself or the header */
    DNSMSG_E_LABEL,       /* label type 01 or 10 (no label is longer than 63) */
    DNSMSG_E_NAMELEN,     /* name longer than 255 octets */
    DNSMSG_E_CHARS,       /* a name used in the answer is no host name */
    DNSMSG_E_CLASS,       /* an answer record not of class IN */
    DNSMSG_E_RDATA,       /* RDATA of the wrong length for its type */
    DNSMSG_E_CNAME,       /* several CNAMEs for one name, a loop or a too long chain */
    DNSMSG_E_OPT,         /* more than one OPT record, or one not owned by the root */
};

struct dnsmsg_header {
    uint16_t id;
    bool qr, aa, tc, rd, ra, ad, cd;
    uint8_t opcode;
    uint16_t rcode; /* 4 bits, or 12 with an OPT record */
    uint16_t qdcount, ancount, nscount, arcount;
    bool edns;         /* an OPT record was present */
    uint16_t udp_size; /* its advertised size */
    bool do_bit;
};

/* One record of the answer.  rdata points into the message. */
struct dnsmsg_rr {
    uint16_t type;
    uint32_t ttl;
    const uint8_t *rdata;
    uint16_t rdlen;
    union {
        uint8_t a[4];
        uint8_t aaaa[16];
        struct {
            uint16_t pref;
            char exchange[DNSMSG_NAME_TEXT]; /* "." for a null MX (RFC 7505) */
        } mx;
        struct {
            uint8_t usage, selector, mtype;
            const uint8_t *data; /* association data, in the message */
            uint16_t len;
        } tlsa;
    } u;
};

struct dnsmsg_answer {
    struct dnsmsg_header hdr;
    char qname[DNSMSG_NAME_TEXT]; /* the question, as asked */
    uint16_t qtype;
    char cname[DNSMSG_NAME_TEXT]; /* end of the CNAME chain (qname without one) */
    unsigned cnames;              /* CNAME links followed */
    uint32_t ttl;                 /* smallest TTL of the records and CNAMEs used */
    bool has_soa;                 /* an SOA in the authority section */
    uint32_t neg_ttl;             /* min(its TTL, its MINIMUM) when has_soa */
    bool oversize;                /* more than DNSMSG_MAX_RRS records: the rest dropped */
    size_t n;
    struct dnsmsg_rr rr[DNSMSG_MAX_RRS];
};

/*
 * Write a query for NAME (text, with or without the trailing dot; "." or
 * "" is the root; letters, digits, '-', '_' in labels of 1-63) and TYPE
 * into buf.  Returns the length, or 0 with *err set (DNSMSG_E_ARG,
 * DNSMSG_E_SPACE).  DNSMSG_QUERY_MAX bytes are always enough.
 */
size_t dnsmsg_build(uint8_t *buf, size_t size, uint16_t id, const char *name, uint16_t type,
                    unsigned flags, enum dnsmsg_err *err);

/*
 * Parse the answer msg[0..len) to the query for qname/qtype (as given to
 * dnsmsg_build()); expect_id is the query's id or DNSMSG_ANY_ID.  On
 * DNSMSG_OK, out holds the header, the chain and the records (n may be 0:
 * look at out->hdr.rcode).  On an error, out->hdr is valid when the
 * message had a header, nothing else is.
 */
enum dnsmsg_err dnsmsg_parse(const uint8_t *msg, size_t len, const char *qname, uint16_t qtype,
                             int expect_id, struct dnsmsg_answer *out);

/*
 * A TLSA record DANE for SMTP can use (RFC 7672 section 3.1): usage 2
 * (DANE-TA) or 3 (DANE-EE), selector 0 (certificate) or 1 (public key),
 * matching type 0 (full, non-empty), 1 (SHA2-256, 32 bytes) or 2
 * (SHA2-512, 64 bytes).  Whether full data is a well-formed certificate
 * or key is left to Postfix.
 */
bool dnsmsg_tlsa_usable(const struct dnsmsg_rr *rr);

/*
 * Order MX records (all of type MX) as a sender tries them: lowest
 * preference first (RFC 5321 section 5.1), then by exchange name, so that
 * equal preferences come in a fixed order for reports and tests.
 */
void dnsmsg_mx_sort(struct dnsmsg_rr *rrs, size_t n);

const char *dnsmsg_strerror(enum dnsmsg_err err);
const char *dnsmsg_rcode_name(unsigned rcode); /* "NOERROR", ..., or "RCODE" */
const char *dnsmsg_type_name(uint16_t type);   /* "MX", "TLSA", ..., or "TYPE" */

#endif

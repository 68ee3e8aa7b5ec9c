/*
 * check_dnsmsg - unit tests for src/dnsmsg.c (DNS query building and
 * hostile answer parsing).
 *
 * Every message here is made by hand, byte by byte, with the small
 * assembler below (w_*): no resolver library is involved, so the tests say
 * exactly what is on the wire.  Each message is copied into a buffer of
 * exactly its length before it is parsed, so that ASan catches any read
 * past the end.
 *
 * Tables: "hostile" rows are malformed or mismatched answers, each with
 * the one error it must give; "good" tests check every field of
 * well-formed answers (MX, TLSA, A, AAAA, CNAME chains, negative answers,
 * EDNS), the query builder's exact bytes, and the limits at their
 * boundaries (255-octet names, DNSMSG_MAX_RRS records, DNSMSG_MAX_CNAME
 * links).
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsmsg.h"

/* ---- a tiny DNS message assembler -------------------------------------- */

#define F_QR        0x8000u
#define F_AA        0x0400u
#define F_TC        0x0200u
#define F_RD        0x0100u
#define F_RA        0x0080u
#define F_AD        0x0020u
#define F_CD        0x0010u
#define F_OPCODE(o) ((unsigned)(o) << 11)
#define F_ANSWER    (F_QR | F_RD | F_RA)

struct wire {
    uint8_t b[70000];
    size_t n;
};

static void w_u8(struct wire *w, unsigned v)
{
    ck_assert_uint_lt(w->n, sizeof(w->b));
    w->b[w->n++] = (uint8_t)v;
}

static void w_u16(struct wire *w, unsigned v)
{
    w_u8(w, v >> 8);
    w_u8(w, v & 0xff);
}

static void w_u32(struct wire *w, uint32_t v)
{
    w_u16(w, v >> 16);
    w_u16(w, v & 0xffff);
}

static void w_bytes(struct wire *w, const void *p, size_t n)
{
    ck_assert_uint_le(w->n + n, sizeof(w->b));
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

/* Labels of a dotted name, without the terminating zero (so a pointer or
 * the root may follow). */
static void w_labels(struct wire *w, const char *name)
{
    while (*name != '\0') {
        const char *dot = strchr(name, '.');
        size_t len = dot != NULL ? (size_t)(dot - name) : strlen(name);
        w_u8(w, (unsigned)len);
        w_bytes(w, name, len);
        name += len;
        if (*name == '.')
            name++;
    }
}

/* A whole uncompressed name ("" or "." is the root). */
static void w_name(struct wire *w, const char *name)
{
    if (strcmp(name, ".") != 0)
        w_labels(w, name);
    w_u8(w, 0);
}

static void w_ptr(struct wire *w, unsigned off)
{
    w_u16(w, 0xc000u | off);
}

static void w_hdr(struct wire *w, unsigned id, unsigned flags, unsigned qd, unsigned an,
                  unsigned ns, unsigned ar)
{
    w->n = 0;
    w_u16(w, id);
    w_u16(w, flags);
    w_u16(w, qd);
    w_u16(w, an);
    w_u16(w, ns);
    w_u16(w, ar);
}

static void w_question(struct wire *w, const char *name, unsigned type, unsigned cls)
{
    w_name(w, name);
    w_u16(w, type);
    w_u16(w, cls);
}

/* Type, class, TTL and a placeholder RDLENGTH after an owner name already
 * written; returns where RDLENGTH is, for w_rr_end(). */
static size_t w_rr_begin(struct wire *w, unsigned type, unsigned cls, uint32_t ttl)
{
    size_t at;

    w_u16(w, type);
    w_u16(w, cls);
    w_u32(w, ttl);
    at = w->n;
    w_u16(w, 0);
    return at;
}

static void w_rr_end(struct wire *w, size_t at)
{
    size_t len = w->n - at - 2;
    w->b[at] = (uint8_t)(len >> 8);
    w->b[at + 1] = (uint8_t)(len & 0xff);
}

/* The usual start: header, then the question for NAME/TYPE at offset 12. */
#define QOFF 12
static void w_start(struct wire *w, unsigned flags, const char *name, unsigned type, unsigned an,
                    unsigned ns, unsigned ar)
{
    w_hdr(w, 0x1234, flags, 1, an, ns, ar);
    w_question(w, name, type, DNSMSG_C_IN);
}

static void w_rr_a(struct wire *w, uint32_t ttl, unsigned last)
{
    size_t at = w_rr_begin(w, DNSMSG_T_A, DNSMSG_C_IN, ttl);
    w_u8(w, 192);
    w_u8(w, 0);
    w_u8(w, 2);
    w_u8(w, last);
    w_rr_end(w, at);
}

/* Parse w's bytes from an exact-size copy. */
static enum dnsmsg_err parse_w(const struct wire *w, const char *qname, uint16_t qtype, int id,
                               struct dnsmsg_answer *out, uint8_t **keep)
{
    uint8_t *copy = malloc(w->n ? w->n : 1);
    enum dnsmsg_err err;

    ck_assert_ptr_nonnull(copy);
    memcpy(copy, w->b, w->n);
    memset(out, 0x5a, sizeof(*out));
    err = dnsmsg_parse(copy, w->n, qname, qtype, id, out);
    if (keep != NULL)
        *keep = copy;
    else
        free(copy);
    return err;
}

/* ---- hostile answers: one error each ----------------------------------- */

static struct dnsmsg_answer ans; /* large: not on the stack */
static struct wire W;

typedef void (*build_fn)(struct wire *w);

static void h_empty(struct wire *w)
{
    w->n = 0;
}

static void h_11_bytes(struct wire *w)
{
    w_hdr(w, 0x1234, F_ANSWER, 1, 0, 0, 0);
    w->n = 11;
}

static void h_header_only(struct wire *w)
{
    w_hdr(w, 0x1234, F_ANSWER, 1, 0, 0, 0);
}

static void h_not_response(struct wire *w)
{
    w_start(w, F_RD, "example.com", DNSMSG_T_MX, 0, 0, 0);
}

static void h_opcode_status(struct wire *w)
{
    w_start(w, F_ANSWER | F_OPCODE(2), "example.com", DNSMSG_T_MX, 0, 0, 0);
}

static void h_wrong_id(struct wire *w)
{
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_MX, 0, 0, 0);
    w->b[1] = 0x35;
}

static void h_no_question(struct wire *w)
{
    w_hdr(w, 0x1234, F_ANSWER, 0, 0, 0, 0);
}

static void h_two_questions(struct wire *w)
{
    w_hdr(w, 0x1234, F_ANSWER, 2, 0, 0, 0);
    w_question(w, "example.com", DNSMSG_T_MX, DNSMSG_C_IN);
    w_question(w, "example.com", DNSMSG_T_MX, DNSMSG_C_IN);
}

static void h_question_other_name(struct wire *w)
{
    w_start(w, F_ANSWER, "example.net", DNSMSG_T_MX, 0, 0, 0);
}

static void h_question_parent_name(struct wire *w)
{
    w_start(w, F_ANSWER, "com", DNSMSG_T_MX, 0, 0, 0);
}

static void h_question_other_type(struct wire *w)
{
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_TLSA, 0, 0, 0);
}

static void h_question_class_ch(struct wire *w)
{
    w_hdr(w, 0x1234, F_ANSWER, 1, 0, 0, 0);
    w_question(w, "example.com", DNSMSG_T_MX, 3);
}

static void h_question_cut_in_label(struct wire *w)
{
    w_hdr(w, 0x1234, F_ANSWER, 1, 0, 0, 0);
    w_u8(w, 7);
    w_bytes(w, "exam", 4);
}

static void h_question_no_type(struct wire *w)
{
    w_hdr(w, 0x1234, F_ANSWER, 1, 0, 0, 0);
    w_name(w, "example.com");
    w_u16(w, DNSMSG_T_MX);
}

static void h_pointer_to_itself(struct wire *w)
{
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_A, 1, 0, 0);
    w_ptr(w, (unsigned)w->n); /* owner points at itself */
    w_rr_a(w, 60, 1);
}

static void h_pointer_loop_two(struct wire *w)
{
    /* Owner "a" + pointer to the next name; that name points back. */
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_A, 1, 0, 0);
    size_t first = w->n;
    w_labels(w, "a");
    w_ptr(w, (unsigned)(first + 4)); /* forward: to the bytes right after */
    w_ptr(w, (unsigned)first);       /* ... which point back */
    w_rr_a(w, 60, 1);
}

static void h_pointer_forward(struct wire *w)
{
    /* The owner points to a valid name later in the message (in the
     * RDATA of the MX): refused, only backward pointers are allowed. */
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_MX, 1, 0, 0);
    w_ptr(w, (unsigned)(w->n + 2 + 10 + 2));
    size_t at = w_rr_begin(w, DNSMSG_T_MX, DNSMSG_C_IN, 60);
    w_u16(w, 10);
    w_name(w, "example.com");
    w_rr_end(w, at);
}

static void h_pointer_into_header(struct wire *w)
{
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_A, 1, 0, 0);
    w_ptr(w, 4);
    w_rr_a(w, 60, 1);
}

static void h_pointer_cut(struct wire *w)
{
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_A, 1, 0, 0);
    w_u8(w, 0xc0);
}

static void h_pointer_back_into_own_segment(struct wire *w)
{
    /* "x" then a pointer to the "x" label itself: backward, but into the
     * segment being read, which would repeat forever. */
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_A, 1, 0, 0);
    size_t first = w->n;
    w_labels(w, "x");
    w_ptr(w, (unsigned)first);
    w_rr_a(w, 60, 1);
}

static void h_pointer_chain_too_long(struct wire *w)
{
    /* 200 pointers, each to the one before, ending at the question name:
     * every one is backward, but no name needs more than 127. */
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_A, 1, 0, 0);
    size_t prev = QOFF;
    size_t owner = 0;
    /* Put the pointers in the RDATA of a record of another type first. */
    w->b[7] = 2; /* ancount 2 */
    w_ptr(w, QOFF);
    size_t at = w_rr_begin(w, 99, DNSMSG_C_IN, 60);
    for (int i = 0; i < 200; i++) {
        size_t here = w->n;
        w_ptr(w, (unsigned)prev);
        prev = here;
    }
    w_rr_end(w, at);
    owner = prev;
    w_ptr(w, (unsigned)owner);
    w_rr_a(w, 60, 1);
}

static void h_label_64(struct wire *w)
{
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_A, 1, 0, 0);
    w_u8(w, 0x40); /* type 01: "label length 64" */
    for (int i = 0; i < 64; i++)
        w_u8(w, 'a');
    w_u8(w, 0);
    w_rr_a(w, 60, 1);
}

static void h_label_type_10(struct wire *w)
{
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_A, 1, 0, 0);
    w_u8(w, 0x80);
    w_u8(w, 0);
    w_rr_a(w, 60, 1);
}

static void h_name_256(struct wire *w)
{
    /* 4 labels of 63 (256 octets with lengths) plus the root: 257. */
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_A, 1, 0, 0);
    for (int l = 0; l < 4; l++) {
        w_u8(w, 63);
        for (int i = 0; i < 63; i++)
            w_u8(w, 'a');
    }
    w_u8(w, 0);
    w_rr_a(w, 60, 1);
}

static void h_name_256_by_pointers(struct wire *w)
{
    /* 63+63+63 octets of labels, then a pointer to the question's
     * "example.com" (13 octets): 192 + 13 = 205, fine; one more label of
     * 50 makes it 256. */
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_A, 2, 0, 0);
    /* record 1 (skipped type): a 205-octet name */
    size_t first = w->n;
    for (int l = 0; l < 3; l++) {
        w_u8(w, 63);
        for (int i = 0; i < 63; i++)
            w_u8(w, 'b');
    }
    w_ptr(w, QOFF);
    size_t at = w_rr_begin(w, 99, DNSMSG_C_IN, 60);
    w_rr_end(w, at);
    /* record 2: 50 more octets in front of it */
    w_u8(w, 50);
    for (int i = 0; i < 50; i++)
        w_u8(w, 'c');
    w_ptr(w, (unsigned)first);
    w_rr_a(w, 60, 1);
}

static void h_rdlength_past_end(struct wire *w)
{
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_A, 1, 0, 0);
    w_ptr(w, QOFF);
    w_u16(w, DNSMSG_T_A);
    w_u16(w, DNSMSG_C_IN);
    w_u32(w, 60);
    w_u16(w, 4);
    w_u8(w, 192);
    w_u8(w, 0);
}

static void h_record_header_cut(struct wire *w)
{
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_A, 1, 0, 0);
    w_ptr(w, QOFF);
    w_u16(w, DNSMSG_T_A);
    w_u16(w, DNSMSG_C_IN);
    w_u8(w, 0);
}

static void h_fewer_records_than_counted(struct wire *w)
{
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_A, 2, 0, 0);
    w_ptr(w, QOFF);
    w_rr_a(w, 60, 1);
}

static void h_huge_counts(struct wire *w)
{
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_A, 0xffff, 0xffff, 0xffff);
    w_ptr(w, QOFF);
    w_rr_a(w, 60, 1);
}

static void h_authority_cut(struct wire *w)
{
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_A, 1, 1, 0);
    w_ptr(w, QOFF);
    w_rr_a(w, 60, 1);
    w_ptr(w, QOFF);
    w_u16(w, DNSMSG_T_SOA);
}

static void h_additional_bad_name(struct wire *w)
{
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_A, 1, 0, 1);
    w_ptr(w, QOFF);
    w_rr_a(w, 60, 1);
    w_u8(w, 0x41);
    w_rr_a(w, 60, 2);
}

static void h_wrong_class(struct wire *w)
{
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_A, 1, 0, 0);
    w_ptr(w, QOFF);
    size_t at = w_rr_begin(w, DNSMSG_T_A, 3, 60);
    w_u32(w, 0xc0000201);
    w_rr_end(w, at);
}

static void h_wrong_class_skipped_type(struct wire *w)
{
    /* Class is checked for every answer record, used or not. */
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_A, 2, 0, 0);
    w_ptr(w, QOFF);
    w_rr_a(w, 60, 1);
    w_ptr(w, QOFF);
    size_t at = w_rr_begin(w, DNSMSG_T_TXT, 254, 60);
    w_rr_end(w, at);
}

static void h_a_rdlength_5(struct wire *w)
{
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_A, 1, 0, 0);
    w_ptr(w, QOFF);
    size_t at = w_rr_begin(w, DNSMSG_T_A, DNSMSG_C_IN, 60);
    w_u32(w, 0xc0000201);
    w_u8(w, 0);
    w_rr_end(w, at);
}

static void h_aaaa_rdlength_4(struct wire *w)
{
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_AAAA, 1, 0, 0);
    w_ptr(w, QOFF);
    size_t at = w_rr_begin(w, DNSMSG_T_AAAA, DNSMSG_C_IN, 60);
    w_u32(w, 0x20010db8);
    w_rr_end(w, at);
}

static void h_mx_rdlength_2(struct wire *w)
{
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_MX, 1, 0, 0);
    w_ptr(w, QOFF);
    size_t at = w_rr_begin(w, DNSMSG_T_MX, DNSMSG_C_IN, 60);
    w_u16(w, 10);
    w_rr_end(w, at);
}

static void h_mx_exchange_short_of_rdata(struct wire *w)
{
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_MX, 1, 0, 0);
    w_ptr(w, QOFF);
    size_t at = w_rr_begin(w, DNSMSG_T_MX, DNSMSG_C_IN, 60);
    w_u16(w, 10);
    w_labels(w, "mx");
    w_ptr(w, QOFF);
    w_u8(w, 0); /* a stray byte after the name */
    w_rr_end(w, at);
}

static void h_mx_exchange_past_rdata(struct wire *w)
{
    /* RDLENGTH says 5 (pref + "mx" label) but the name goes on with a
     * pointer: the name must end inside its RDATA. */
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_MX, 1, 0, 0);
    w_ptr(w, QOFF);
    size_t at = w_rr_begin(w, DNSMSG_T_MX, DNSMSG_C_IN, 60);
    w_u16(w, 10);
    w_labels(w, "mx");
    w_rr_end(w, at);
    w_ptr(w, QOFF);
}

static void h_tlsa_rdlength_2(struct wire *w)
{
    w_start(w, F_ANSWER, "_25._tcp.mx.example.com", DNSMSG_T_TLSA, 1, 0, 0);
    w_ptr(w, QOFF);
    size_t at = w_rr_begin(w, DNSMSG_T_TLSA, DNSMSG_C_IN, 60);
    w_u8(w, 3);
    w_u8(w, 1);
    w_rr_end(w, at);
}

static void h_cname_trailing_byte(struct wire *w)
{
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_A, 1, 0, 0);
    w_ptr(w, QOFF);
    size_t at = w_rr_begin(w, DNSMSG_T_CNAME, DNSMSG_C_IN, 60);
    w_name(w, "other.example");
    w_u8(w, 1);
    w_rr_end(w, at);
}

static void h_cname_loop(struct wire *w)
{
    w_start(w, F_ANSWER, "a.example", DNSMSG_T_A, 2, 0, 0);
    w_ptr(w, QOFF);
    size_t at = w_rr_begin(w, DNSMSG_T_CNAME, DNSMSG_C_IN, 60);
    size_t b = w->n;
    w_name(w, "b.example");
    w_rr_end(w, at);
    w_ptr(w, (unsigned)b);
    at = w_rr_begin(w, DNSMSG_T_CNAME, DNSMSG_C_IN, 60);
    w_ptr(w, QOFF);
    w_rr_end(w, at);
}

static void h_cname_to_itself(struct wire *w)
{
    w_start(w, F_ANSWER, "a.example", DNSMSG_T_A, 1, 0, 0);
    w_ptr(w, QOFF);
    size_t at = w_rr_begin(w, DNSMSG_T_CNAME, DNSMSG_C_IN, 60);
    w_ptr(w, QOFF);
    w_rr_end(w, at);
}

/* A chain of `links` CNAMEs c0.example -> c1.example -> ... then an A. */
static void w_chain(struct wire *w, int links)
{
    char name[32];

    w_start(w, F_ANSWER, "c0.example", DNSMSG_T_A, (unsigned)links + 1, 0, 0);
    for (int i = 0; i < links; i++) {
        snprintf(name, sizeof(name), "c%d.example", i);
        w_name(w, name);
        size_t at = w_rr_begin(w, DNSMSG_T_CNAME, DNSMSG_C_IN, 600u - (unsigned)i);
        snprintf(name, sizeof(name), "c%d.example", i + 1);
        w_name(w, name);
        w_rr_end(w, at);
    }
    snprintf(name, sizeof(name), "c%d.example", links);
    w_name(w, name);
    w_rr_a(w, 900, 7);
}

static void h_cname_chain_too_long(struct wire *w)
{
    w_chain(w, DNSMSG_MAX_CNAME + 1);
}

static void h_two_cnames_one_owner(struct wire *w)
{
    w_start(w, F_ANSWER, "a.example", DNSMSG_T_A, 2, 0, 0);
    w_ptr(w, QOFF);
    size_t at = w_rr_begin(w, DNSMSG_T_CNAME, DNSMSG_C_IN, 60);
    w_name(w, "b.example");
    w_rr_end(w, at);
    w_ptr(w, QOFF);
    at = w_rr_begin(w, DNSMSG_T_CNAME, DNSMSG_C_IN, 60);
    w_name(w, "c.example");
    w_rr_end(w, at);
}

static void h_mx_exchange_space(struct wire *w)
{
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_MX, 1, 0, 0);
    w_ptr(w, QOFF);
    size_t at = w_rr_begin(w, DNSMSG_T_MX, DNSMSG_C_IN, 60);
    w_u16(w, 10);
    w_u8(w, 4);
    w_bytes(w, "m x1", 4);
    w_ptr(w, QOFF);
    w_rr_end(w, at);
}

static void h_mx_exchange_dot_in_label(struct wire *w)
{
    /* One label "mx.evil": as text it would read as two labels. */
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_MX, 1, 0, 0);
    w_ptr(w, QOFF);
    size_t at = w_rr_begin(w, DNSMSG_T_MX, DNSMSG_C_IN, 60);
    w_u16(w, 10);
    w_u8(w, 7);
    w_bytes(w, "mx.evil", 7);
    w_u8(w, 0);
    w_rr_end(w, at);
}

static void h_mx_exchange_nul(struct wire *w)
{
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_MX, 1, 0, 0);
    w_ptr(w, QOFF);
    size_t at = w_rr_begin(w, DNSMSG_T_MX, DNSMSG_C_IN, 60);
    w_u16(w, 10);
    w_u8(w, 3);
    w_bytes(w, "m\0x", 3);
    w_ptr(w, QOFF);
    w_rr_end(w, at);
}

static void h_cname_target_binary(struct wire *w)
{
    w_start(w, F_ANSWER, "a.example", DNSMSG_T_A, 2, 0, 0);
    w_ptr(w, QOFF);
    size_t at = w_rr_begin(w, DNSMSG_T_CNAME, DNSMSG_C_IN, 60);
    size_t target = w->n;
    w_u8(w, 2);
    w_u8(w, 0xc3);
    w_u8(w, 0xa9);
    w_name(w, "example");
    w_rr_end(w, at);
    w_ptr(w, (unsigned)target);
    w_rr_a(w, 60, 1);
}

static void h_two_opt(struct wire *w)
{
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_A, 0, 0, 2);
    for (int i = 0; i < 2; i++) {
        w_name(w, ".");
        size_t at = w_rr_begin(w, DNSMSG_T_OPT, 1232, 0);
        w_rr_end(w, at);
    }
}

static void h_opt_not_root(struct wire *w)
{
    w_start(w, F_ANSWER, "example.com", DNSMSG_T_A, 0, 0, 1);
    w_ptr(w, QOFF);
    size_t at = w_rr_begin(w, DNSMSG_T_OPT, 1232, 0);
    w_rr_end(w, at);
}

static void h_soa_short(struct wire *w)
{
    w_start(w, F_ANSWER | DNSMSG_R_NXDOMAIN, "example.com", DNSMSG_T_A, 0, 1, 0);
    w_ptr(w, QOFF);
    size_t at = w_rr_begin(w, DNSMSG_T_SOA, DNSMSG_C_IN, 60);
    w_ptr(w, QOFF);
    w_ptr(w, QOFF);
    w_u32(w, 1);
    w_u32(w, 2);
    w_u32(w, 3);
    w_u32(w, 4); /* MINIMUM missing */
    w_rr_end(w, at);
}

struct hostile_case {
    const char *name;
    build_fn build;
    const char *qname;
    uint16_t qtype;
    enum dnsmsg_err want;
};

#define MXQ "example.com", DNSMSG_T_MX
#define AQ  "example.com", DNSMSG_T_A
#define CQ  "a.example", DNSMSG_T_A
#define TQ  "_25._tcp.mx.example.com", DNSMSG_T_TLSA

static const struct hostile_case hostile_cases[] = {
    {"empty message", h_empty, MXQ, DNSMSG_E_SHORT},
    {"11 bytes", h_11_bytes, MXQ, DNSMSG_E_SHORT},
    {"header only, question counted", h_header_only, MXQ, DNSMSG_E_SHORT},
    {"QR clear", h_not_response, MXQ, DNSMSG_E_NOTRESPONSE},
    {"opcode STATUS", h_opcode_status, MXQ, DNSMSG_E_OPCODE},
    {"wrong id", h_wrong_id, MXQ, DNSMSG_E_ID},
    {"no question", h_no_question, MXQ, DNSMSG_E_QUESTION},
    {"two questions", h_two_questions, MXQ, DNSMSG_E_QUESTION},
    {"question for another name", h_question_other_name, MXQ, DNSMSG_E_QUESTION},
    {"question for a parent name", h_question_parent_name, MXQ, DNSMSG_E_QUESTION},
    {"question for another type", h_question_other_type, MXQ, DNSMSG_E_QUESTION},
    {"question of class CH", h_question_class_ch, MXQ, DNSMSG_E_QUESTION},
    {"question cut inside a label", h_question_cut_in_label, MXQ, DNSMSG_E_SHORT},
    {"question without its class", h_question_no_type, MXQ, DNSMSG_E_SHORT},
    {"pointer to itself", h_pointer_to_itself, AQ, DNSMSG_E_POINTER},
    {"two pointers in a loop", h_pointer_loop_two, AQ, DNSMSG_E_POINTER},
    {"pointer forward", h_pointer_forward, MXQ, DNSMSG_E_POINTER},
    {"pointer into the header", h_pointer_into_header, AQ, DNSMSG_E_POINTER},
    {"pointer cut in half", h_pointer_cut, AQ, DNSMSG_E_SHORT},
    {"pointer back into its own segment", h_pointer_back_into_own_segment, AQ, DNSMSG_E_POINTER},
    {"200 chained pointers", h_pointer_chain_too_long, AQ, DNSMSG_E_POINTER},
    {"label length 64 (type 01)", h_label_64, AQ, DNSMSG_E_LABEL},
    {"label type 10", h_label_type_10, AQ, DNSMSG_E_LABEL},
    {"name of 257 octets", h_name_256, AQ, DNSMSG_E_NAMELEN},
    {"name of 256 octets through a pointer", h_name_256_by_pointers, AQ, DNSMSG_E_NAMELEN},
    {"rdlength past the end", h_rdlength_past_end, AQ, DNSMSG_E_SHORT},
    {"record header cut", h_record_header_cut, AQ, DNSMSG_E_SHORT},
    {"fewer records than counted", h_fewer_records_than_counted, AQ, DNSMSG_E_SHORT},
    {"counts of 65535", h_huge_counts, AQ, DNSMSG_E_SHORT},
    {"authority record cut", h_authority_cut, AQ, DNSMSG_E_SHORT},
    {"additional record with a bad label", h_additional_bad_name, AQ, DNSMSG_E_LABEL},
    {"answer of class CH", h_wrong_class, AQ, DNSMSG_E_CLASS},
    {"skipped answer of class 254", h_wrong_class_skipped_type, AQ, DNSMSG_E_CLASS},
    {"A of 5 bytes", h_a_rdlength_5, AQ, DNSMSG_E_RDATA},
    {"AAAA of 4 bytes", h_aaaa_rdlength_4, "example.com", DNSMSG_T_AAAA, DNSMSG_E_RDATA},
    {"MX of 2 bytes", h_mx_rdlength_2, MXQ, DNSMSG_E_RDATA},
    {"MX exchange ends before its RDATA", h_mx_exchange_short_of_rdata, MXQ, DNSMSG_E_RDATA},
    {"MX exchange runs past its RDATA", h_mx_exchange_past_rdata, MXQ, DNSMSG_E_RDATA},
    {"TLSA of 2 bytes", h_tlsa_rdlength_2, TQ, DNSMSG_E_RDATA},
    {"CNAME with a trailing byte", h_cname_trailing_byte, AQ, DNSMSG_E_RDATA},
    {"CNAME loop a -> b -> a", h_cname_loop, CQ, DNSMSG_E_CNAME},
    {"CNAME to itself", h_cname_to_itself, CQ, DNSMSG_E_CNAME},
    {"CNAME chain one too long", h_cname_chain_too_long, "c0.example", DNSMSG_T_A, DNSMSG_E_CNAME},
    {"two CNAMEs for one name", h_two_cnames_one_owner, CQ, DNSMSG_E_CNAME},
    {"MX exchange with a space", h_mx_exchange_space, MXQ, DNSMSG_E_CHARS},
    {"MX exchange with a dot inside a label", h_mx_exchange_dot_in_label, MXQ, DNSMSG_E_CHARS},
    {"MX exchange with a NUL", h_mx_exchange_nul, MXQ, DNSMSG_E_CHARS},
    {"CNAME target with UTF-8 bytes", h_cname_target_binary, CQ, DNSMSG_E_CHARS},
    {"two OPT records", h_two_opt, AQ, DNSMSG_E_OPT},
    {"OPT not owned by the root", h_opt_not_root, AQ, DNSMSG_E_OPT},
    {"SOA without MINIMUM", h_soa_short, AQ, DNSMSG_E_RDATA},
};

START_TEST(test_hostile)
{
    const struct hostile_case *c = &hostile_cases[_i];
    enum dnsmsg_err err;

    c->build(&W);
    err = parse_w(&W, c->qname, c->qtype, 0x1234, &ans, NULL);
    ck_assert_msg(err == c->want, "%s: got \"%s\", want \"%s\"", c->name, dnsmsg_strerror(err),
                  dnsmsg_strerror(c->want));
}
END_TEST

/* ---- well-formed answers ------------------------------------------------ */

START_TEST(test_mx)
{
    uint8_t *msg;

    w_start(&W, F_ANSWER | F_AD, "Example.COM", DNSMSG_T_MX, 3, 0, 0);
    w_ptr(&W, QOFF);
    size_t at = w_rr_begin(&W, DNSMSG_T_MX, DNSMSG_C_IN, 300);
    w_u16(&W, 10);
    w_labels(&W, "MX1");
    w_ptr(&W, QOFF);
    w_rr_end(&W, at);
    w_ptr(&W, QOFF);
    at = w_rr_begin(&W, DNSMSG_T_MX, DNSMSG_C_IN, 200);
    w_u16(&W, 20);
    w_name(&W, "mx2.other-provider.net");
    w_rr_end(&W, at);
    /* an RRSIG the resolver added anyway: skipped */
    w_ptr(&W, QOFF);
    at = w_rr_begin(&W, 46, DNSMSG_C_IN, 300);
    w_bytes(&W, "\x00\x0f\x0d\x02", 4);
    w_rr_end(&W, at);

    ck_assert_int_eq(parse_w(&W, "example.com.", DNSMSG_T_MX, 0x1234, &ans, &msg), DNSMSG_OK);
    ck_assert(ans.hdr.qr && ans.hdr.ad && ans.hdr.rd && ans.hdr.ra);
    ck_assert(!ans.hdr.tc && !ans.hdr.aa && !ans.hdr.cd && !ans.hdr.edns);
    ck_assert_uint_eq(ans.hdr.id, 0x1234);
    ck_assert_uint_eq(ans.hdr.rcode, DNSMSG_R_NOERROR);
    ck_assert_uint_eq(ans.hdr.ancount, 3);
    ck_assert_str_eq(ans.qname, "example.com");
    ck_assert_str_eq(ans.cname, "example.com");
    ck_assert_uint_eq(ans.cnames, 0);
    ck_assert_uint_eq(ans.qtype, DNSMSG_T_MX);
    ck_assert_uint_eq(ans.n, 2);
    ck_assert(!ans.oversize);
    ck_assert_uint_eq(ans.ttl, 200);
    ck_assert_uint_eq(ans.rr[0].type, DNSMSG_T_MX);
    ck_assert_uint_eq(ans.rr[0].ttl, 300);
    ck_assert_uint_eq(ans.rr[0].u.mx.pref, 10);
    ck_assert_str_eq(ans.rr[0].u.mx.exchange, "mx1.example.com");
    ck_assert_uint_eq(ans.rr[1].ttl, 200);
    ck_assert_uint_eq(ans.rr[1].u.mx.pref, 20);
    ck_assert_str_eq(ans.rr[1].u.mx.exchange, "mx2.other-provider.net");
    ck_assert_uint_eq(ans.rr[1].rdlen, 2 + 24);
    ck_assert(ans.rr[1].rdata > msg && ans.rr[1].rdata + ans.rr[1].rdlen <= msg + W.n);
    free(msg);
}
END_TEST

START_TEST(test_null_mx)
{
    w_start(&W, F_ANSWER, "example.com", DNSMSG_T_MX, 1, 0, 0);
    w_ptr(&W, QOFF);
    size_t at = w_rr_begin(&W, DNSMSG_T_MX, DNSMSG_C_IN, 3600);
    w_u16(&W, 0);
    w_name(&W, ".");
    w_rr_end(&W, at);
    ck_assert_int_eq(parse_w(&W, "example.com", DNSMSG_T_MX, DNSMSG_ANY_ID, &ans, NULL), DNSMSG_OK);
    ck_assert_uint_eq(ans.n, 1);
    ck_assert_uint_eq(ans.rr[0].u.mx.pref, 0);
    ck_assert_str_eq(ans.rr[0].u.mx.exchange, ".");
    ck_assert(!ans.hdr.ad);
}
END_TEST

/* Senders try the lowest preference first; ties in name order. */
START_TEST(test_mx_sort)
{
    static const struct {
        unsigned pref;
        const char *host;
    } in[] = {{20, "b.example"}, {10, "z.example"}, {20, "a.example"}, {0, "."}, {10, "c.example"}};
    static const char *const want[] = {".", "c.example", "z.example", "a.example", "b.example"};
    struct dnsmsg_rr rr[5];

    memset(rr, 0, sizeof(rr));
    for (size_t i = 0; i < 5; i++) {
        rr[i].type = DNSMSG_T_MX;
        rr[i].u.mx.pref = (uint16_t)in[i].pref;
        snprintf(rr[i].u.mx.exchange, sizeof(rr[i].u.mx.exchange), "%s", in[i].host);
    }
    dnsmsg_mx_sort(rr, 5);
    for (size_t i = 0; i < 5; i++)
        ck_assert_str_eq(rr[i].u.mx.exchange, want[i]);
    ck_assert_uint_eq(rr[4].u.mx.pref, 20);
    dnsmsg_mx_sort(rr, 0); /* nothing to do, nothing touched */
    dnsmsg_mx_sort(NULL, 0);
}
END_TEST

static const uint8_t digest[32] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x00, 0x11, 0x22,
                                   0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd,
                                   0xee, 0xff, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10};

START_TEST(test_tlsa)
{
    uint8_t *msg;

    w_start(&W, F_ANSWER | F_AD, "_25._tcp.mx.example.com", DNSMSG_T_TLSA, 3, 0, 0);
    w_ptr(&W, QOFF);
    size_t at = w_rr_begin(&W, DNSMSG_T_TLSA, DNSMSG_C_IN, 3600);
    w_u8(&W, 3);
    w_u8(&W, 1);
    w_u8(&W, 1);
    w_bytes(&W, digest, sizeof(digest));
    w_rr_end(&W, at);
    w_ptr(&W, QOFF);
    at = w_rr_begin(&W, DNSMSG_T_TLSA, DNSMSG_C_IN, 1800);
    w_u8(&W, 2);
    w_u8(&W, 0);
    w_u8(&W, 2);
    w_bytes(&W, digest, 16);
    w_rr_end(&W, at);
    w_ptr(&W, QOFF);
    at = w_rr_begin(&W, DNSMSG_T_TLSA, DNSMSG_C_IN, 3600);
    w_u8(&W, 255);
    w_u8(&W, 254);
    w_u8(&W, 253);
    w_rr_end(&W, at);

    ck_assert_int_eq(parse_w(&W, "_25._tcp.mx.example.com", DNSMSG_T_TLSA, 0x1234, &ans, &msg),
                     DNSMSG_OK);
    ck_assert(ans.hdr.ad);
    ck_assert_uint_eq(ans.n, 3);
    ck_assert_uint_eq(ans.ttl, 1800);
    ck_assert_uint_eq(ans.rr[0].u.tlsa.usage, 3);
    ck_assert_uint_eq(ans.rr[0].u.tlsa.selector, 1);
    ck_assert_uint_eq(ans.rr[0].u.tlsa.mtype, 1);
    ck_assert_uint_eq(ans.rr[0].u.tlsa.len, 32);
    ck_assert(memcmp(ans.rr[0].u.tlsa.data, digest, 32) == 0);
    ck_assert(ans.rr[0].u.tlsa.data > msg && ans.rr[0].u.tlsa.data + 32 <= msg + W.n);
    ck_assert(dnsmsg_tlsa_usable(&ans.rr[0]));
    ck_assert_uint_eq(ans.rr[1].u.tlsa.usage, 2);
    ck_assert_uint_eq(ans.rr[1].u.tlsa.selector, 0);
    ck_assert_uint_eq(ans.rr[1].u.tlsa.mtype, 2);
    ck_assert_uint_eq(ans.rr[1].u.tlsa.len, 16);
    ck_assert(!dnsmsg_tlsa_usable(&ans.rr[1])); /* SHA2-512 needs 64 bytes */
    ck_assert_uint_eq(ans.rr[2].u.tlsa.usage, 255);
    ck_assert_uint_eq(ans.rr[2].u.tlsa.selector, 254);
    ck_assert_uint_eq(ans.rr[2].u.tlsa.mtype, 253);
    ck_assert_uint_eq(ans.rr[2].u.tlsa.len, 0);
    ck_assert(!dnsmsg_tlsa_usable(&ans.rr[2]));
    free(msg);
}
END_TEST

START_TEST(test_tlsa_full_certificate)
{
    /* 3 0 0 with 1500 bytes of data: more than fits a 512-byte answer. */
    uint8_t cert[1500];
    uint8_t *msg;

    for (size_t i = 0; i < sizeof(cert); i++)
        cert[i] = (uint8_t)(i * 7);
    w_start(&W, F_ANSWER | F_AD, "_25._tcp.mx.example.com", DNSMSG_T_TLSA, 1, 0, 0);
    w_ptr(&W, QOFF);
    size_t at = w_rr_begin(&W, DNSMSG_T_TLSA, DNSMSG_C_IN, 3600);
    w_u8(&W, 3);
    w_u8(&W, 0);
    w_u8(&W, 0);
    w_bytes(&W, cert, sizeof(cert));
    w_rr_end(&W, at);
    ck_assert_int_eq(parse_w(&W, "_25._tcp.mx.example.com", DNSMSG_T_TLSA, 0x1234, &ans, &msg),
                     DNSMSG_OK);
    ck_assert_uint_eq(ans.n, 1);
    ck_assert_uint_eq(ans.rr[0].u.tlsa.len, sizeof(cert));
    ck_assert(memcmp(ans.rr[0].u.tlsa.data, cert, sizeof(cert)) == 0);
    ck_assert(dnsmsg_tlsa_usable(&ans.rr[0]));
    free(msg);
}
END_TEST

struct usable_case {
    uint8_t usage, selector, mtype;
    uint16_t len;
    bool want;
};

static const struct usable_case usable_cases[] = {
    {3, 1, 1, 32, true},  {3, 0, 1, 32, true},  {2, 0, 1, 32, true},        {2, 1, 2, 64, true},
    {3, 1, 0, 91, true},  {3, 1, 0, 0, false},  {3, 1, 1, 31, false},       {3, 1, 1, 33, false},
    {3, 1, 2, 32, false}, {0, 0, 1, 32, false}, {1, 1, 1, 32, false},       {4, 1, 1, 32, false},
    {3, 2, 1, 32, false}, {3, 1, 3, 32, false}, {255, 255, 255, 32, false},
};

START_TEST(test_tlsa_usable)
{
    const struct usable_case *c = &usable_cases[_i];
    static const uint8_t zeros[128];
    struct dnsmsg_rr rr;

    memset(&rr, 0, sizeof(rr));
    rr.type = DNSMSG_T_TLSA;
    rr.u.tlsa.usage = c->usage;
    rr.u.tlsa.selector = c->selector;
    rr.u.tlsa.mtype = c->mtype;
    rr.u.tlsa.data = zeros;
    rr.u.tlsa.len = c->len;
    ck_assert_msg(dnsmsg_tlsa_usable(&rr) == c->want, "%u %u %u len %u", c->usage, c->selector,
                  c->mtype, c->len);
    rr.type = DNSMSG_T_MX;
    ck_assert(!dnsmsg_tlsa_usable(&rr));
}
END_TEST

START_TEST(test_a_aaaa)
{
    static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

    w_start(&W, F_ANSWER, "mx.example.com", DNSMSG_T_A, 2, 0, 0);
    w_ptr(&W, QOFF);
    w_rr_a(&W, 0x80000000u, 1); /* top bit set: counts as 0 */
    w_ptr(&W, QOFF);
    w_rr_a(&W, 120, 2);
    ck_assert_int_eq(parse_w(&W, "mx.example.com", DNSMSG_T_A, 0x1234, &ans, NULL), DNSMSG_OK);
    ck_assert_uint_eq(ans.n, 2);
    ck_assert_uint_eq(ans.rr[0].ttl, 0);
    ck_assert_uint_eq(ans.rr[1].ttl, 120);
    ck_assert_uint_eq(ans.ttl, 0);
    ck_assert(memcmp(ans.rr[0].u.a, "\xc0\x00\x02\x01", 4) == 0);
    ck_assert(memcmp(ans.rr[1].u.a, "\xc0\x00\x02\x02", 4) == 0);

    w_start(&W, F_ANSWER | F_AA, "mx.example.com", DNSMSG_T_AAAA, 1, 0, 0);
    w_ptr(&W, QOFF);
    size_t at = w_rr_begin(&W, DNSMSG_T_AAAA, DNSMSG_C_IN, 0x7fffffffu);
    w_bytes(&W, v6, 16);
    w_rr_end(&W, at);
    ck_assert_int_eq(parse_w(&W, "mx.example.com", DNSMSG_T_AAAA, 0x1234, &ans, NULL), DNSMSG_OK);
    ck_assert(ans.hdr.aa);
    ck_assert_uint_eq(ans.n, 1);
    ck_assert_uint_eq(ans.ttl, 0x7fffffffu);
    ck_assert(memcmp(ans.rr[0].u.aaaa, v6, 16) == 0);
}
END_TEST

START_TEST(test_cname_chain)
{
    w_chain(&W, DNSMSG_MAX_CNAME);
    ck_assert_int_eq(parse_w(&W, "c0.example", DNSMSG_T_A, 0x1234, &ans, NULL), DNSMSG_OK);
    ck_assert_uint_eq(ans.cnames, DNSMSG_MAX_CNAME);
    ck_assert_str_eq(ans.cname, "c8.example");
    ck_assert_uint_eq(ans.n, 1);
    ck_assert_uint_eq(ans.rr[0].ttl, 900);
    ck_assert_uint_eq(ans.ttl, 600 - (DNSMSG_MAX_CNAME - 1)); /* the last CNAME's */
    ck_assert(memcmp(ans.rr[0].u.a, "\xc0\x00\x02\x07", 4) == 0);
}
END_TEST

START_TEST(test_cname_out_of_order_and_strays)
{
    uint8_t *msg;

    /* The A record comes before the CNAME that leads to it; an A for an
     * unrelated name and one for the alias itself are not the answer. */
    w_start(&W, F_ANSWER, "_25._tcp.alias.example", DNSMSG_T_TLSA, 4, 0, 0);
    size_t target = W.n;
    w_name(&W, "_25._tcp.mx.example");
    size_t at = w_rr_begin(&W, DNSMSG_T_TLSA, DNSMSG_C_IN, 50);
    w_bytes(&W, "\x03\x01\x01", 3);
    w_bytes(&W, digest, 32);
    w_rr_end(&W, at);
    w_name(&W, "_25._tcp.stray.example");
    at = w_rr_begin(&W, DNSMSG_T_TLSA, DNSMSG_C_IN, 50);
    w_bytes(&W, "\x02\x00\x00\x01", 4);
    w_rr_end(&W, at);
    w_ptr(&W, QOFF);
    at = w_rr_begin(&W, DNSMSG_T_CNAME, DNSMSG_C_IN, 40);
    w_ptr(&W, (unsigned)target);
    w_rr_end(&W, at);
    w_ptr(&W, QOFF);
    at = w_rr_begin(&W, DNSMSG_T_TLSA, DNSMSG_C_IN, 50);
    w_bytes(&W, "\x02\x00\x00\x02", 4);
    w_rr_end(&W, at);

    ck_assert_int_eq(parse_w(&W, "_25._tcp.alias.example", DNSMSG_T_TLSA, 0x1234, &ans, &msg),
                     DNSMSG_OK);
    ck_assert_str_eq(ans.cname, "_25._tcp.mx.example");
    ck_assert_uint_eq(ans.cnames, 1);
    ck_assert_uint_eq(ans.n, 1);
    ck_assert_uint_eq(ans.ttl, 40);
    ck_assert_uint_eq(ans.rr[0].u.tlsa.usage, 3);
    ck_assert(memcmp(ans.rr[0].u.tlsa.data, digest, 32) == 0);
    free(msg); /* the TLSA data points into it */
}
END_TEST

START_TEST(test_dname_skipped)
{
    /* DNAME plus the CNAME a resolver synthesises from it. */
    w_start(&W, F_ANSWER, "mx.old.example", DNSMSG_T_A, 3, 0, 0);
    w_name(&W, "old.example");
    size_t at = w_rr_begin(&W, DNSMSG_T_DNAME, DNSMSG_C_IN, 300);
    w_name(&W, "new.example");
    w_rr_end(&W, at);
    w_ptr(&W, QOFF);
    at = w_rr_begin(&W, DNSMSG_T_CNAME, DNSMSG_C_IN, 0);
    w_name(&W, "mx.new.example");
    w_rr_end(&W, at);
    w_name(&W, "mx.new.example");
    w_rr_a(&W, 300, 9);
    ck_assert_int_eq(parse_w(&W, "mx.old.example", DNSMSG_T_A, 0x1234, &ans, NULL), DNSMSG_OK);
    ck_assert_str_eq(ans.cname, "mx.new.example");
    ck_assert_uint_eq(ans.n, 1);
    ck_assert_uint_eq(ans.ttl, 0);
}
END_TEST

START_TEST(test_cname_only_nodata)
{
    /* A chain whose end has no record of the type: n == 0, still OK. */
    w_start(&W, F_ANSWER, "a.example", DNSMSG_T_A, 1, 0, 0);
    w_ptr(&W, QOFF);
    size_t at = w_rr_begin(&W, DNSMSG_T_CNAME, DNSMSG_C_IN, 60);
    w_name(&W, "b.example");
    w_rr_end(&W, at);
    ck_assert_int_eq(parse_w(&W, "a.example", DNSMSG_T_A, 0x1234, &ans, NULL), DNSMSG_OK);
    ck_assert_uint_eq(ans.n, 0);
    ck_assert_str_eq(ans.cname, "b.example");
}
END_TEST

START_TEST(test_skipped_owner_with_odd_bytes)
{
    /* A record we do not use may have any owner: not an error. */
    w_start(&W, F_ANSWER, "example.com", DNSMSG_T_A, 2, 0, 0);
    w_u8(&W, 3);
    w_bytes(&W, "a b", 3);
    w_ptr(&W, QOFF);
    w_rr_a(&W, 60, 1);
    w_ptr(&W, QOFF);
    w_rr_a(&W, 60, 2);
    ck_assert_int_eq(parse_w(&W, "example.com", DNSMSG_T_A, 0x1234, &ans, NULL), DNSMSG_OK);
    ck_assert_uint_eq(ans.n, 1);
    ck_assert(memcmp(ans.rr[0].u.a, "\xc0\x00\x02\x02", 4) == 0);
}
END_TEST

START_TEST(test_name_255_octets)
{
    /* Exactly 255 octets (3 x 63 + 61 with lengths, and the root) as a
     * skipped owner and as an MX exchange: accepted, 253 characters. */
    char label63[64], label61[62], text[300];
    uint8_t *msg;

    memset(label63, 'a', 63);
    label63[63] = '\0';
    memset(label61, 'b', 61);
    label61[61] = '\0';
    snprintf(text, sizeof(text), "%s.%s.%s.%s", label63, label63, label63, label61);
    ck_assert_uint_eq(strlen(text), 253);

    w_start(&W, F_ANSWER, "example.com", DNSMSG_T_MX, 2, 0, 0);
    w_name(&W, text);
    size_t at = w_rr_begin(&W, 99, DNSMSG_C_IN, 60);
    w_rr_end(&W, at);
    w_ptr(&W, QOFF);
    at = w_rr_begin(&W, DNSMSG_T_MX, DNSMSG_C_IN, 60);
    w_u16(&W, 5);
    w_name(&W, text);
    w_rr_end(&W, at);
    ck_assert_int_eq(parse_w(&W, "example.com", DNSMSG_T_MX, 0x1234, &ans, &msg), DNSMSG_OK);
    ck_assert_uint_eq(ans.n, 1);
    ck_assert_str_eq(ans.rr[0].u.mx.exchange, text);
    free(msg);
}
END_TEST

START_TEST(test_oversize)
{
    w_start(&W, F_ANSWER, "many.example", DNSMSG_T_A, DNSMSG_MAX_RRS + 8, 0, 0);
    for (unsigned i = 0; i < DNSMSG_MAX_RRS + 8; i++) {
        w_ptr(&W, QOFF);
        w_rr_a(&W, 1000 - i, i);
    }
    ck_assert_int_eq(parse_w(&W, "many.example", DNSMSG_T_A, 0x1234, &ans, NULL), DNSMSG_OK);
    ck_assert_uint_eq(ans.n, DNSMSG_MAX_RRS);
    ck_assert(ans.oversize);
    ck_assert_uint_eq(ans.rr[DNSMSG_MAX_RRS - 1].u.a[3], DNSMSG_MAX_RRS - 1);
    /* the TTL covers the dropped records too */
    ck_assert_uint_eq(ans.ttl, 1000 - (DNSMSG_MAX_RRS + 7));
}
END_TEST

START_TEST(test_nxdomain_soa)
{
    w_start(&W, F_ANSWER | F_AD | DNSMSG_R_NXDOMAIN, "_25._tcp.mx.example.com", DNSMSG_T_TLSA, 0, 1,
            0);
    size_t zone = W.n;
    w_name(&W, "example.com");
    size_t at = w_rr_begin(&W, DNSMSG_T_SOA, DNSMSG_C_IN, 3600);
    w_labels(&W, "ns");
    w_ptr(&W, (unsigned)zone);
    w_labels(&W, "hostmaster");
    w_ptr(&W, (unsigned)zone);
    w_u32(&W, 2024010101);
    w_u32(&W, 7200);
    w_u32(&W, 900);
    w_u32(&W, 1209600);
    w_u32(&W, 300);
    w_rr_end(&W, at);
    ck_assert_int_eq(parse_w(&W, "_25._tcp.mx.example.com", DNSMSG_T_TLSA, 0x1234, &ans, NULL),
                     DNSMSG_OK);
    ck_assert_uint_eq(ans.hdr.rcode, DNSMSG_R_NXDOMAIN);
    ck_assert(ans.hdr.ad);
    ck_assert_uint_eq(ans.n, 0);
    ck_assert(ans.has_soa);
    ck_assert_uint_eq(ans.neg_ttl, 300);
    /* SOA TTL smaller than MINIMUM */
    W.b[zone + 13 + 4] = 0;
    W.b[zone + 13 + 5] = 0;
    W.b[zone + 13 + 6] = 0;
    W.b[zone + 13 + 7] = 30;
    ck_assert_int_eq(parse_w(&W, "_25._tcp.mx.example.com", DNSMSG_T_TLSA, 0x1234, &ans, NULL),
                     DNSMSG_OK);
    ck_assert_uint_eq(ans.neg_ttl, 30);
}
END_TEST

START_TEST(test_servfail_no_records)
{
    w_start(&W, F_ANSWER | DNSMSG_R_SERVFAIL, "example.com", DNSMSG_T_MX, 0, 0, 0);
    ck_assert_int_eq(parse_w(&W, "example.com", DNSMSG_T_MX, 0x1234, &ans, NULL), DNSMSG_OK);
    ck_assert_uint_eq(ans.hdr.rcode, DNSMSG_R_SERVFAIL);
    ck_assert_uint_eq(ans.n, 0);
    ck_assert(!ans.has_soa);
}
END_TEST

START_TEST(test_edns_extended_rcode)
{
    /* OPT with extended RCODE 1 and header RCODE 0: 16 (BADVERS); DO set. */
    w_start(&W, F_ANSWER | F_TC | F_CD, "example.com", DNSMSG_T_A, 0, 0, 1);
    w_name(&W, ".");
    size_t at = w_rr_begin(&W, DNSMSG_T_OPT, 4096, 0x01008000u);
    w_rr_end(&W, at);
    ck_assert_int_eq(parse_w(&W, "example.com", DNSMSG_T_A, 0x1234, &ans, NULL), DNSMSG_OK);
    ck_assert(ans.hdr.edns);
    ck_assert(ans.hdr.do_bit);
    ck_assert(ans.hdr.tc);
    ck_assert(ans.hdr.cd);
    ck_assert_uint_eq(ans.hdr.udp_size, 4096);
    ck_assert_uint_eq(ans.hdr.rcode, 16);
    ck_assert_str_eq(dnsmsg_rcode_name(16), "RCODE");
    ck_assert_str_eq(dnsmsg_rcode_name(DNSMSG_R_SERVFAIL), "SERVFAIL");
}
END_TEST

START_TEST(test_header_kept_on_error)
{
    h_wrong_id(&W);
    ck_assert_int_eq(parse_w(&W, "example.com", DNSMSG_T_MX, 0x1234, &ans, NULL), DNSMSG_E_ID);
    ck_assert_uint_eq(ans.hdr.id, 0x1235);
    ck_assert(ans.hdr.qr);
    /* the same message, any id */
    ck_assert_int_eq(parse_w(&W, "example.com", DNSMSG_T_MX, DNSMSG_ANY_ID, &ans, NULL), DNSMSG_OK);
}
END_TEST

START_TEST(test_bad_query_args)
{
    w_start(&W, F_ANSWER, "example.com", DNSMSG_T_MX, 0, 0, 0);
    ck_assert_int_eq(parse_w(&W, "exa mple.com", DNSMSG_T_MX, 0x1234, &ans, NULL), DNSMSG_E_ARG);
    ck_assert_int_eq(dnsmsg_parse(W.b, W.n, NULL, DNSMSG_T_MX, 0x1234, &ans), DNSMSG_E_ARG);
}
END_TEST

/* ---- the query builder -------------------------------------------------- */

START_TEST(test_build_exact_bytes)
{
    static const uint8_t want[] = {
        0xbe, 0xef, 0x01, 0x20, 0,    1,   0,   0,   0,   0,   0,   1, /* RD AD; QD 1, AR 1 */
        3,    'm',  'x',  '1',  7,    'e', 'x', 'a', 'm', 'p', 'l', 'e',
        3,    'c',  'o',  'm',  0,    0,   15,  0,   1,           /* MX IN */
        0,    0,    41,   0x04, 0xd0, 0,   0,   0,   0,   0,   0, /* OPT 1232, DO clear */
    };
    uint8_t buf[DNSMSG_QUERY_MAX];
    enum dnsmsg_err err = DNSMSG_E_ARG;
    size_t n = dnsmsg_build(buf, sizeof(buf), 0xbeef, "MX1.Example.com.", DNSMSG_T_MX,
                            DNSMSG_Q_DEFAULT, &err);

    ck_assert_int_eq(err, DNSMSG_OK);
    ck_assert_uint_eq(n, sizeof(want));
    ck_assert(memcmp(buf, want, n) == 0);
}
END_TEST

START_TEST(test_build_flags)
{
    uint8_t buf[DNSMSG_QUERY_MAX];
    enum dnsmsg_err err;
    size_t n;

    /* root, DO (implies EDNS), CD, no RD, no AD */
    n = dnsmsg_build(buf, sizeof(buf), 1, ".", 48, DNSMSG_Q_DO | DNSMSG_Q_CD, &err);
    ck_assert_uint_eq(n, 12 + 1 + 4 + 11);
    ck_assert_uint_eq(buf[2], 0x00);
    ck_assert_uint_eq(buf[3], 0x10);
    ck_assert_uint_eq(buf[12], 0);
    ck_assert_uint_eq(buf[12 + 1 + 4 + 7], 0x80); /* DO in the OPT TTL */
    /* "" is the root too; without EDNS there is no additional record */
    n = dnsmsg_build(buf, sizeof(buf), 1, "", DNSMSG_T_SOA, DNSMSG_Q_RD, &err);
    ck_assert_uint_eq(n, 12 + 1 + 4);
    ck_assert_uint_eq(buf[11], 0);
    ck_assert_uint_eq(buf[2], 0x01);
    ck_assert_uint_eq(buf[3], 0x00);
}
END_TEST

START_TEST(test_build_bad_names)
{
    static const char *const bad[] = {
        NULL, "a..b", ".a", "a b", "a\\.b", "exa\tmple", "caf\xc3\xa9.example", "..",
    };
    char long_label[80], long_name[300];
    uint8_t buf[DNSMSG_QUERY_MAX];
    enum dnsmsg_err err;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = DNSMSG_OK;
        ck_assert_uint_eq(dnsmsg_build(buf, sizeof(buf), 1, bad[i], 1, DNSMSG_Q_DEFAULT, &err), 0);
        ck_assert_int_eq(err, DNSMSG_E_ARG);
    }
    memset(long_label, 'a', 64);
    long_label[64] = '\0';
    ck_assert_uint_eq(dnsmsg_build(buf, sizeof(buf), 1, long_label, 1, 0, &err), 0);
    ck_assert_int_eq(err, DNSMSG_E_ARG);
    long_label[63] = '\0';
    ck_assert_uint_ne(dnsmsg_build(buf, sizeof(buf), 1, long_label, 1, 0, &err), 0);
    /* 254 characters: too long; 253: fine (255 octets) */
    memset(long_name, 'a', sizeof(long_name));
    for (size_t i = 63; i < 254; i += 64)
        long_name[i] = '.';
    long_name[254] = '\0';
    ck_assert_uint_eq(dnsmsg_build(buf, sizeof(buf), 1, long_name, 1, 0, &err), 0);
    ck_assert_int_eq(err, DNSMSG_E_ARG);
    long_name[253] = '\0';
    ck_assert_uint_eq(dnsmsg_build(buf, sizeof(buf), 1, long_name, 1, DNSMSG_Q_DEFAULT, &err),
                      12 + 255 + 4 + 11);
    ck_assert_uint_le(12 + 255 + 4 + 11, DNSMSG_QUERY_MAX);
    /* a buffer one byte short */
    ck_assert_uint_eq(dnsmsg_build(buf, 12 + 255 + 4 + 10, 1, long_name, 1, DNSMSG_Q_DEFAULT, &err),
                      0);
    ck_assert_int_eq(err, DNSMSG_E_SPACE);
}
END_TEST

START_TEST(test_build_then_answer)
{
    /* A query turned into its answer (QR, RA, AD, one TLSA) parses back. */
    uint8_t buf[DNSMSG_QUERY_MAX];
    enum dnsmsg_err err;
    size_t n = dnsmsg_build(buf, sizeof(buf), 0x4242, "_25._tcp.mx.example.net", DNSMSG_T_TLSA,
                            DNSMSG_Q_DEFAULT, &err);

    ck_assert_uint_gt(n, 0);
    memcpy(W.b, buf, n - 11); /* without the OPT */
    W.n = n - 11;
    W.b[2] |= 0x80;
    W.b[3] |= 0x80;
    W.b[7] = 1;  /* ANCOUNT */
    W.b[11] = 0; /* ARCOUNT */
    w_ptr(&W, QOFF);
    size_t at = w_rr_begin(&W, DNSMSG_T_TLSA, DNSMSG_C_IN, 77);
    w_bytes(&W, "\x03\x01\x01", 3);
    w_bytes(&W, digest, 32);
    w_rr_end(&W, at);
    ck_assert_int_eq(parse_w(&W, "_25._tcp.mx.example.net", DNSMSG_T_TLSA, 0x4242, &ans, NULL),
                     DNSMSG_OK);
    ck_assert(ans.hdr.ad && ans.hdr.rd && ans.hdr.ra);
    ck_assert_uint_eq(ans.n, 1);
    ck_assert_uint_eq(ans.ttl, 77);
}
END_TEST

START_TEST(test_names)
{
    static const enum dnsmsg_err all[] = {
        DNSMSG_OK,        DNSMSG_E_ARG,   DNSMSG_E_SPACE,    DNSMSG_E_SHORT,   DNSMSG_E_NOTRESPONSE,
        DNSMSG_E_OPCODE,  DNSMSG_E_ID,    DNSMSG_E_QUESTION, DNSMSG_E_POINTER, DNSMSG_E_LABEL,
        DNSMSG_E_NAMELEN, DNSMSG_E_CHARS, DNSMSG_E_CLASS,    DNSMSG_E_RDATA,   DNSMSG_E_CNAME,
        DNSMSG_E_OPT,
    };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(dnsmsg_strerror(all[i]), dnsmsg_strerror(all[j]));
    ck_assert_str_eq(dnsmsg_strerror((enum dnsmsg_err)99), "unknown DNS message error");
    ck_assert_str_eq(dnsmsg_type_name(DNSMSG_T_TLSA), "TLSA");
    ck_assert_str_eq(dnsmsg_type_name(DNSMSG_T_MX), "MX");
    ck_assert_str_eq(dnsmsg_type_name(DNSMSG_T_AAAA), "AAAA");
    ck_assert_str_eq(dnsmsg_type_name(4242), "TYPE");
    ck_assert_str_eq(dnsmsg_rcode_name(DNSMSG_R_NXDOMAIN), "NXDOMAIN");
}
END_TEST

static Suite *dnsmsg_suite(void)
{
    Suite *s = suite_create("dnsmsg");
    TCase *tc = tcase_create("hostile");
    tcase_add_loop_test(tc, test_hostile, 0,
                        (int)(sizeof(hostile_cases) / sizeof(hostile_cases[0])));
    tcase_add_test(tc, test_header_kept_on_error);
    tcase_add_test(tc, test_bad_query_args);
    suite_add_tcase(s, tc);
    tc = tcase_create("answers");
    tcase_add_test(tc, test_mx);
    tcase_add_test(tc, test_null_mx);
    tcase_add_test(tc, test_mx_sort);
    tcase_add_test(tc, test_tlsa);
    tcase_add_test(tc, test_tlsa_full_certificate);
    tcase_add_loop_test(tc, test_tlsa_usable, 0,
                        (int)(sizeof(usable_cases) / sizeof(usable_cases[0])));
    tcase_add_test(tc, test_a_aaaa);
    tcase_add_test(tc, test_cname_chain);
    tcase_add_test(tc, test_cname_out_of_order_and_strays);
    tcase_add_test(tc, test_dname_skipped);
    tcase_add_test(tc, test_cname_only_nodata);
    tcase_add_test(tc, test_skipped_owner_with_odd_bytes);
    tcase_add_test(tc, test_name_255_octets);
    tcase_add_test(tc, test_oversize);
    tcase_add_test(tc, test_nxdomain_soa);
    tcase_add_test(tc, test_servfail_no_records);
    tcase_add_test(tc, test_edns_extended_rcode);
    suite_add_tcase(s, tc);
    tc = tcase_create("build");
    tcase_add_test(tc, test_build_exact_bytes);
    tcase_add_test(tc, test_build_flags);
    tcase_add_test(tc, test_build_bad_names);
    tcase_add_test(tc, test_build_then_answer);
    tcase_add_test(tc, test_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(dnsmsg_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * sts_policy - the MTA-STS policy body (RFC 8461 section 3.2) and its
 * cache serialisation.
 *
 * sts_policy_parse() takes the HTTPS body (at most STS_POLICY_MAX bytes,
 * any bytes, NUL included) and either builds a policy or says why not.
 * Grammar: lines end in LF or CRLF (the last line may lack one); each line
 * is `key ":" *WSP value *WSP`; keys and extension names per the ABNF
 * (`(ALPHA/DIGIT) *31(ALPHA/DIGIT/"_"/"-"/".")`), values printable.  Blank
 * lines are invalid except trailing ones.  Required once: "version: STSv1",
 * "mode" (enforce|testing|none), "max_age" (1-10 digits, value at most
 * 31557600); "mx" one or more unless mode is none.  The first occurrence
 * of a repeated non-mx key wins.  Unknown keys are ignored but must be
 * syntactically valid.  Each mx goes through domain_mx_pattern(); one bad
 * mx rejects the whole policy.
 *
 * The parsed policy holds:
 *   mode, max_age;
 *   mx[]      the mx values as in the policy but lowercased/A-labels ("*.x.y"),
 *             duplicates removed, policy order kept (for mx_host_pattern=);
 *   match[]   the same in Postfix match= form (".x.y"), parallel to mx[];
 *   lines[]   every policy line with whitespace normalised to "key: value"
 *             (for policy_string; lines containing '{' or '}' are omitted
 *             since Postfix's brace syntax cannot carry them).
 * One allocation owns everything; free with sts_policy_free().
 *
 * sts_policy_parse_lint() is sts_policy_parse() that also records facts
 * an owner wants to see beyond validity (struct sts_policy_lint): how
 * often each key occurs (a repeated non-mx key: the first wins), which
 * other keys (extensions, ignored) there are, line ends.  It is the same
 * parser: for the domain owner's check, never for the daemon.
 *
 * sts_policy_serialize() writes a compact, versioned binary form for the
 * cache; sts_policy_deserialize() reads it back and re-validates it
 * (a corrupt or foreign record yields NULL, never a bad policy).
 *
 * Pure: no I/O.
 */
#ifndef MTASTSD_STS_POLICY_H
#define MTASTSD_STS_POLICY_H

#include <stddef.h>
#include <stdint.h>

#define STS_POLICY_MAX    (64 * 1024) /* body size cap (bytes) */
#define STS_MAX_AGE_MAX   31557600u   /* one year (RFC 8461 section 3.2) */
#define STS_POLICY_MAX_MX 256         /* more mx lines than this: invalid */

enum sts_mode {
    STS_MODE_NONE = 0,
    STS_MODE_TESTING = 1,
    STS_MODE_ENFORCE = 2,
};

struct sts_policy {
    enum sts_mode mode;
    uint32_t max_age;
    size_t n_mx;
    const char **mx;    /* pattern form, "*.example.net" */
    const char **match; /* Postfix form, ".example.net" */
    size_t n_lines;
    const char **lines; /* normalised "key: value" lines for policy_string */
};

enum sts_policy_status {
    STS_POLICY_OK = 0,
    STS_POLICY_TOO_LARGE,
    STS_POLICY_SYNTAX,      /* a line does not match key ":" value */
    STS_POLICY_NO_VERSION,  /* version missing or not STSv1 */
    STS_POLICY_BAD_MODE,    /* mode missing or unknown */
    STS_POLICY_BAD_MAX_AGE, /* max_age missing, not 1-10 digits, or too large */
    STS_POLICY_NO_MX,       /* no mx and mode is not none */
    STS_POLICY_BAD_MX,      /* an mx value is not a valid pattern */
    STS_POLICY_TOO_MANY_MX,
};

#define STS_POLICY_LINT_EXT 8 /* distinct extension keys kept by the lint */
#define STS_POLICY_KEY_SZ   33

/* Counts cover the lines read up to the first error. */
struct sts_policy_lint {
    unsigned lines;      /* non-blank lines */
    unsigned crlf_lines; /* of them, ended in CRLF (LF and CRLF are both fine) */
    unsigned version_lines, mode_lines, max_age_lines, mx_lines;
    unsigned ext_lines; /* lines with any other key */
    size_t n_ext;       /* distinct other keys, the first STS_POLICY_LINT_EXT kept */
    char ext[STS_POLICY_LINT_EXT][STS_POLICY_KEY_SZ];
    unsigned trailing_blank_lines;
};

/*
 * Parse body[0..len).  On STS_POLICY_OK *out is a new policy.  On error
 * *out is NULL and, if err is non-NULL, a one-line reason (line number,
 * sanitised excerpt) is written to err[0..errsz).
 */
enum sts_policy_status sts_policy_parse(const char *body, size_t len, struct sts_policy **out,
                                        char *err, size_t errsz);
/* The same, filling *lint (zeroed first) as it goes. */
enum sts_policy_status sts_policy_parse_lint(const char *body, size_t len, struct sts_policy **out,
                                             char *err, size_t errsz, struct sts_policy_lint *lint);
void sts_policy_free(struct sts_policy *p);
const char *sts_policy_strerror(enum sts_policy_status st);
const char *sts_mode_name(enum sts_mode m); /* "none" / "testing" / "enforce" */

/*
 * Serialisation: returns bytes needed; writes only if it fits in outsz.
 * Returns 0 (writes nothing) for a struct no parse could have produced.
 */
size_t sts_policy_serialize(const struct sts_policy *p, unsigned char *out, size_t outsz);
struct sts_policy *sts_policy_deserialize(const unsigned char *in, size_t len);

#endif

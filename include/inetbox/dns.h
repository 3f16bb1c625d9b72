/* The DNS message on the wire (RFC 1035 §4.1): header, questions and
 * resource records, with typed rdata for A, NS, CNAME, SOA, PTR, MX, TXT
 * and AAAA and opaque rdata for every other type (RFC 3597). Names are
 * dotted text in the parsed struct ("www.google.com", the root is "");
 * the parser follows compression pointers (§4.1.4) and the emitter
 * compresses names against the ones it already wrote. Everything is
 * bounded: names by RFC 1035 §2.3.4, records by IB_DNS_MAX_RR per section.
 * A struct ib_dns_msg is large (about 160 KiB): allocate it, don't put it
 * on the stack. */
#ifndef INETBOX_DNS_H
#define INETBOX_DNS_H

#include "inetbox/types.h"

#define IB_DNS_PORT 53u
#define IB_DNS_HLEN 12u
#define IB_DNS_UDP_MAX 512u   /* RFC 1035 §4.2.1: UDP messages */
#define IB_DNS_MAX_LABEL 63u  /* RFC 1035 §2.3.4: octets in a label */
#define IB_DNS_MAX_NAME 255u  /* RFC 1035 §2.3.4: octets of a name on the wire */
#define IB_DNS_NAME_SIZE 254u /* dotted text of the longest name, and its NUL */
#define IB_DNS_MAX_QD 4u      /* questions kept (one in practice) */
#define IB_DNS_MAX_RR 64u     /* records kept per section */
#define IB_DNS_MAX_RDATA 512u /* bytes of TXT or opaque rdata kept */
#define IB_DNS_MAX_HOPS 32u   /* compression pointers followed in one name */

enum ib_dns_type {
    IB_DNS_T_A = 1,
    IB_DNS_T_NS = 2,
    IB_DNS_T_CNAME = 5,
    IB_DNS_T_SOA = 6,
    IB_DNS_T_PTR = 12,
    IB_DNS_T_MX = 15,
    IB_DNS_T_TXT = 16,
    IB_DNS_T_AAAA = 28, /* RFC 3596 §2.2 */
    IB_DNS_T_ANY = 255,
};

#define IB_DNS_C_IN 1u

enum ib_dns_rcode {
    IB_DNS_R_NOERROR = 0,
    IB_DNS_R_FORMERR = 1,
    IB_DNS_R_SERVFAIL = 2,
    IB_DNS_R_NXDOMAIN = 3,
    IB_DNS_R_NOTIMP = 4,
    IB_DNS_R_REFUSED = 5,
};

/* Why a message did not parse (0 is success). */
enum ib_dns_err {
    IB_DNS_OK = 0,
    IB_DNS_ERR_SHORT,       /* shorter than the 12-byte header */
    IB_DNS_ERR_TRUNCATED,   /* a name, question or record runs past the end */
    IB_DNS_ERR_COUNT,       /* a count claims records after the last byte */
    IB_DNS_ERR_TOO_MANY,    /* more records in a section than we keep */
    IB_DNS_ERR_LABEL_TYPE,  /* label type 01 or 10 (RFC 1035 §4.1.4, RFC 6891 §5) */
    IB_DNS_ERR_LABEL_CHAR,  /* a label byte we cannot show as dotted text */
    IB_DNS_ERR_NAME_LONG,   /* more than 255 octets (RFC 1035 §2.3.4) */
    IB_DNS_ERR_PTR_FORWARD, /* a pointer not strictly before the labels it ends */
    IB_DNS_ERR_PTR_HOPS,    /* more than IB_DNS_MAX_HOPS pointers in one name */
    IB_DNS_ERR_RDLENGTH,    /* typed rdata does not fill its rdlength exactly */
    IB_DNS_ERR_RDATA_LONG,  /* TXT or opaque rdata longer than IB_DNS_MAX_RDATA */
    IB_DNS__NERR,
};

struct ib_dns_question {
    char name[IB_DNS_NAME_SIZE];
    uint16_t type, cls;
};

struct ib_dns_soa {
    char mname[IB_DNS_NAME_SIZE], rname[IB_DNS_NAME_SIZE];
    uint32_t serial, refresh, retry, expire, minimum;
};

struct ib_dns_rr {
    char name[IB_DNS_NAME_SIZE];
    uint16_t type, cls;
    uint32_t ttl;
    /* By type: a (A), aaaa (AAAA), name (NS, CNAME, PTR), mx, soa; TXT
     * keeps its character-strings as on the wire (RFC 1035 §3.3.14, each
     * a length byte and that many bytes) in raw, as does any other type. */
    union {
        ib_ip4 a;
        uint8_t aaaa[16];
        char name[IB_DNS_NAME_SIZE];
        struct {
            uint16_t pref;
            char host[IB_DNS_NAME_SIZE];
        } mx;
        struct ib_dns_soa soa;
        struct {
            uint16_t len;
            uint8_t data[IB_DNS_MAX_RDATA];
        } raw;
    } rd;
};

struct ib_dns_msg {
    uint16_t id;
    bool qr, aa, tc, rd, ra;
    uint8_t opcode; /* 4 bits */
    uint8_t z;      /* 3 bits, kept as received (RFC 4035 uses two) */
    uint8_t rcode;  /* 4 bits */
    uint16_t qdcount, ancount, nscount, arcount;
    struct ib_dns_question qd[IB_DNS_MAX_QD];
    struct ib_dns_rr an[IB_DNS_MAX_RR], ns[IB_DNS_MAX_RR], ar[IB_DNS_MAX_RR];
};

/* Parses a whole message (bytes after the last record are ignored).
 * Returns 0 or an enum ib_dns_err; out is partly filled on error. */
int ib_dns_parse(const uint8_t *b, size_t len, struct ib_dns_msg *out);

/* Writes m with compressed names. If the records do not all fit in cap
 * (IB_DNS_UDP_MAX over UDP), writes as many whole records as fit, in
 * order, sets the counts to match, and sets TC if an answer or authority
 * record was left out (RFC 1035 §4.1.1, RFC 2181 §9). Returns the bytes
 * written, or 0 if the header and questions do not fit or a name or count
 * of m is invalid. */
size_t ib_dns_emit(const struct ib_dns_msg *m, uint8_t *b, size_t cap);

/* A short lowercase name for an error ("pointer forward"). */
const char *ib_dns_err_str(int err);

#endif

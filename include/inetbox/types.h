/* Basic types shared by every inetbox module: time, addresses, errors and
 * the big-endian accessors every wire format uses. */
#ifndef INETBOX_TYPES_H
#define INETBOX_TYPES_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Time in nanoseconds: simulated time in the simulator, CLOCK_MONOTONIC
 * since start in live mode. */
typedef int64_t ib_time;
#define IB_TIME_NEVER INT64_MAX
#define IB_NS(x) ((ib_time)(x))
#define IB_US(x) ((ib_time)(x) * 1000)
#define IB_MS(x) ((ib_time)(x) * 1000000)
#define IB_SEC(x) ((ib_time)(x) * 1000000000)

/* IPv4 address in host byte order; converted at the wire boundary only. */
typedef uint32_t ib_ip4;
#define IB_IP4(a, b, c, d)                                                                         \
    ((ib_ip4)(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d)))
#define IB_IP4_ANY ((ib_ip4)0)
#define IB_IP4_BROADCAST ((ib_ip4)0xffffffffu)

struct ib_mac {
    uint8_t b[6];
};

/* Errors are negative; 0 is success. */
enum ib_err {
    IB_OK = 0,
    IB_ERR_NOMEM = -1,
    IB_ERR_INVAL = -2,
    IB_ERR_TRUNCATED = -3,
    IB_ERR_CHECKSUM = -4,
    IB_ERR_NOROUTE = -5,
    IB_ERR_INUSE = -6,
    IB_ERR_NOTFOUND = -7,
    IB_ERR_DROPPED = -8, /* the packet was consumed by a drop */
    IB_ERR_QUEUED = -9,  /* not an error: waiting for ARP */
    IB_ERR_TOOBIG = -10,
    IB_ERR_IO = -11,
    IB_ERR_RESET = -12,    /* the peer reset the connection */
    IB_ERR_TIMEOUT = -13,  /* retransmissions gave up */
    IB_ERR_REFUSED = -14,  /* RST in answer to our SYN */
    IB_ERR_CLOSED = -15,   /* the operation needs an open connection */
    IB_ERR_AGAIN = -16,    /* no room (send) or no data (recv) now */
    IB_ERR_UNREACH = -17,  /* a hard ICMP error ended the connection */
    IB_ERR_SERVFAIL = -18, /* a server could not answer (DNS SERVFAIL, HTTP 5xx) */
    IB_ERR_PROTO = -19,    /* the peer broke its protocol (malformed reply) */
};

const char *ib_err_str(int err);
/* Writes "file:line:col: " and the message into buf, cut to len: the one
 * form of every bad-input message (scenario files, zone files). Returns
 * IB_ERR_INVAL. */
int ib_err_at(char *buf, size_t len, const char *file, unsigned line, unsigned col,
              const char *fmt, va_list ap);

static inline uint16_t ib_get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t ib_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void ib_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void ib_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline bool ib_mac_eq(const struct ib_mac *a, const struct ib_mac *b)
{
    return memcmp(a->b, b->b, 6) == 0;
}
static inline bool ib_mac_is_broadcast(const struct ib_mac *m)
{
    return (m->b[0] & m->b[1] & m->b[2] & m->b[3] & m->b[4] & m->b[5]) == 0xff;
}
static inline bool ib_mac_is_multicast(const struct ib_mac *m) { return m->b[0] & 1; }
extern const struct ib_mac ib_mac_broadcast;
extern const struct ib_mac ib_mac_zero;

/* Prefix length to netmask: 24 -> 255.255.255.0. */
static inline ib_ip4 ib_ip4_mask(unsigned plen)
{
    return plen == 0 ? 0 : (ib_ip4)(0xffffffffu << (32 - plen));
}

/* Text forms; buf must hold IB_IP4_STRLEN / IB_MAC_STRLEN bytes. */
#define IB_IP4_STRLEN 16
#define IB_MAC_STRLEN 18
char *ib_ip4_str(ib_ip4 a, char *buf);
char *ib_mac_str(const struct ib_mac *m, char *buf);
/* Parses dotted quad, optionally with "/plen" when plen is not NULL (plen
 * is 32 without one). Not ib_ip4_parse: that name is the IPv4 header parser
 * (ipv4.h), following the ib_x_parse(bytes, len, out) convention. */
int ib_ip4_from_str(const char *s, ib_ip4 *out, unsigned *plen);
int ib_mac_parse(const char *s, struct ib_mac *out);

#define IB_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif

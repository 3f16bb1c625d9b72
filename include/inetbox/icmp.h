/* ICMP for IPv4 (RFC 792, RFC 1122 §3.2.2, RFC 1812 §4.3): echo, errors
 * (destination unreachable, time exceeded) with rate limiting, and
 * delivery of received errors to the transport that caused them. */
#ifndef INETBOX_ICMP_H
#define INETBOX_ICMP_H

#include "inetbox/pkt.h"
#include "inetbox/ipv4.h"

#define IB_ICMP_HLEN 8u

enum {
    IB_ICMP_ECHO_REPLY = 0,
    IB_ICMP_DEST_UNREACH = 3,
    IB_ICMP_ECHO_REQUEST = 8,
    IB_ICMP_TIME_EXCEEDED = 11,
    IB_ICMP_PARAM_PROBLEM = 12, /* passed to the transport (RFC 1122 §3.2.2.5) */
};
enum {
    IB_ICMP_UNREACH_NET = 0,
    IB_ICMP_UNREACH_HOST = 1,
    IB_ICMP_UNREACH_PROTO = 2,
    IB_ICMP_UNREACH_PORT = 3,
    IB_ICMP_UNREACH_NEEDFRAG = 4,
    IB_ICMP_EXC_TTL = 0,
    IB_ICMP_EXC_REASS = 1,
};

struct ib_icmp_hdr {
    uint8_t type, code;
    uint16_t csum;
    uint32_t rest; /* id<<16|seq for echo; next-hop MTU for NEEDFRAG */
};

/* Validates length and checksum over the whole message. Returns 0 or a drop
 * reason. */
int ib_icmp_parse(const uint8_t *b, size_t len, struct ib_icmp_hdr *h);
/* Writes the 8-byte header; the checksum is computed over b[0..len). */
void ib_icmp_emit(const struct ib_icmp_hdr *h, uint8_t *b, size_t len);

struct ib_stack;
struct ib_netif;

/* Input (data at the ICMP header; ip is the parsed IP header). */
void ib_icmp_input(struct ib_stack *s, struct ib_netif *nif, struct ib_pkt *p,
                   const struct ib_ip4_hdr *ip);
/* Sends an ICMP error about the datagram `orig` (data at its IP header),
 * unless RFC 1122 §3.2.2 / RFC 1812 §4.3.2.7 forbid it or the rate limit
 * (RFC 1812 §4.3.2.8) says no. Does not consume orig. */
void ib_icmp_error(struct ib_stack *s, const struct ib_pkt *orig, uint8_t type, uint8_t code,
                   uint32_t rest);

/* Echo ("ping") endpoints, matched by identifier. */
struct ib_icmp_echo;
typedef void (*ib_icmp_echo_fn)(struct ib_icmp_echo *e, ib_ip4 from, uint16_t seq, uint8_t ttl,
                                const uint8_t *data, size_t len);
/* Errors that quote one of our echo requests (time exceeded on the way...). */
typedef void (*ib_icmp_echo_err_fn)(struct ib_icmp_echo *e, ib_ip4 from, uint8_t type,
                                    uint8_t code, uint16_t seq);
struct ib_icmp_echo {
    struct ib_icmp_echo *next;
    struct ib_stack *stack;
    uint16_t id;
    ib_icmp_echo_fn reply;
    ib_icmp_echo_err_fn error;
    void *arg;
};
void ib_icmp_echo_open(struct ib_stack *s, struct ib_icmp_echo *e, uint16_t id);
void ib_icmp_echo_close(struct ib_icmp_echo *e);
/* Sends an echo request with len bytes of patterned payload. */
int ib_icmp_echo_send(struct ib_icmp_echo *e, ib_ip4 dst, uint16_t seq, size_t len, uint8_t ttl);

struct ib_icmp_config {
    uint32_t rate;  /* errors per second (token refill) */
    uint32_t burst; /* bucket size */
};
extern const struct ib_icmp_config ib_icmp_defaults;

#endif

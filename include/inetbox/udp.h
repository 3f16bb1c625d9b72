/* UDP (RFC 768, RFC 1122 §4.1): ports, the pseudo-header checksum, and
 * ICMP port unreachable for datagrams nobody listens for. */
#ifndef INETBOX_UDP_H
#define INETBOX_UDP_H

#include "inetbox/ipv4.h"
#include "inetbox/pkt.h"

#define IB_UDP_HLEN 8u

struct ib_udp_hdr {
    uint16_t sport, dport, len, csum;
};

/* Validates length (RFC 768: header + data, at most the IP payload) and,
 * unless zero, the checksum over the pseudo-header. Returns 0 or a drop
 * reason. */
int ib_udp_parse(const uint8_t *b, size_t len, ib_ip4 src, ib_ip4 dst, struct ib_udp_hdr *h);
/* Writes the header; computes the checksum over b[0..len) (zero becomes
 * 0xffff, RFC 768). */
void ib_udp_emit(const struct ib_udp_hdr *h, uint8_t *b, size_t len, ib_ip4 src, ib_ip4 dst);

struct ib_stack;
struct ib_netif;
struct ib_udp_pcb;

typedef void (*ib_udp_recv_fn)(struct ib_udp_pcb *u, ib_ip4 src, uint16_t sport,
                               struct ib_pkt *p /* data at payload; callee owns */);
/* An ICMP error quoting a datagram this endpoint sent. */
typedef void (*ib_udp_err_fn)(struct ib_udp_pcb *u, ib_ip4 from, uint8_t type, uint8_t code,
                              ib_ip4 dst, uint16_t dport);

struct ib_udp_pcb {
    struct ib_udp_pcb *next;
    struct ib_stack *stack;
    ib_ip4 laddr; /* 0: any */
    uint16_t lport;
    /* NULL, or the one interface this endpoint receives from and sends its
     * limited broadcasts through (ib_udp_bind_netif). */
    struct ib_netif *nif;
    ib_udp_recv_fn recv;
    ib_udp_err_fn err;
    void *arg;
};

/* Binds to lport (0: an ephemeral port). Returns 0 or IB_ERR_INUSE. */
int ib_udp_bind(struct ib_stack *s, struct ib_udp_pcb *u, ib_ip4 laddr, uint16_t lport);
/* Binds to any address on lport, tied to nif (Linux's SO_BINDTODEVICE):
 * only datagrams arriving on nif are delivered, and limited broadcasts
 * leave through nif from its address, 0.0.0.0 while it has none (RFC 2131
 * §4.1: a DHCP client or server on one interface of many). */
int ib_udp_bind_netif(struct ib_stack *s, struct ib_udp_pcb *u, struct ib_netif *nif,
                      uint16_t lport);
void ib_udp_close(struct ib_udp_pcb *u);
/* Sends p (data at payload) to dst:dport. Consumes p. */
int ib_udp_sendto(struct ib_udp_pcb *u, struct ib_pkt *p, ib_ip4 dst, uint16_t dport, uint8_t ttl);

void ib_udp_input(struct ib_stack *s, struct ib_netif *nif, struct ib_pkt *p,
                  const struct ib_ip4_hdr *ip);
/* An ICMP error quoting a UDP datagram (quoted: its IP header onward). */
void ib_udp_icmp_error(struct ib_stack *s, ib_ip4 from, uint8_t type, uint8_t code,
                       const uint8_t *quoted, size_t len);

#endif

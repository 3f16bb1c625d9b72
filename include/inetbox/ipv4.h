/* IPv4 (RFC 791, RFC 1122 §3.2.1, RFC 1812 for routers): header parsing and
 * validation, local delivery, forwarding with TTL decrement and incremental
 * checksum update, fragmentation and reassembly. */
#ifndef INETBOX_IPV4_H
#define INETBOX_IPV4_H

#include "inetbox/evq.h"
#include "inetbox/pkt.h"

#define IB_IP4_HLEN 20u
#define IB_IP4_MAX_HLEN 60u
#define IB_IP4_MAX_LEN 65535u
#define IB_IP4_DF 0x4000u
#define IB_IP4_MF 0x2000u
#define IB_IP4_OFFMASK 0x1fffu

#define IB_IPPROTO_ICMP 1u
#define IB_IPPROTO_TCP 6u
#define IB_IPPROTO_UDP 17u

struct ib_ip4_hdr {
    uint8_t hlen; /* bytes, 20..60 */
    uint8_t tos;
    uint16_t tot_len;
    uint16_t id;
    uint16_t frag; /* flags (DF, MF) and offset in 8-byte units, as on the wire */
    uint8_t ttl;
    uint8_t proto;
    uint16_t csum;
    ib_ip4 src, dst;
};

static inline uint32_t ib_ip4_frag_offset(const struct ib_ip4_hdr *h)
{
    return (uint32_t)(h->frag & IB_IP4_OFFMASK) * 8u;
}
static inline bool ib_ip4_is_fragment(const struct ib_ip4_hdr *h)
{
    return (h->frag & (IB_IP4_MF | IB_IP4_OFFMASK)) != 0;
}

/* Validates version, IHL, total length against len and the header checksum
 * (RFC 1122 §3.2.1.1-2). Returns 0 or a drop reason. */
int ib_ip4_parse(const uint8_t *b, size_t len, struct ib_ip4_hdr *h);
/* Writes a 20-byte header (hlen is taken as 20) with its checksum. */
void ib_ip4_emit(const struct ib_ip4_hdr *h, uint8_t *b);

/* Reassembly (RFC 791 §3.2 "fragmentation and reassembly", RFC 1122
 * §3.3.2). Buffers are bounded in count and bytes; a datagram not complete
 * within the timeout is dropped (and ICMP time exceeded, code 1, is sent if
 * its first fragment arrived). Overlapping fragments that are not exact
 * duplicates discard the whole datagram (RFC 1858 §4, the rule RFC 5722
 * made mandatory for IPv6): overlaps are only ever made by attackers. */
struct ib_reass_config {
    ib_time timeout;
    uint32_t max_datagrams;
    uint32_t max_bytes;
    uint32_t max_frags; /* per datagram */
};
extern const struct ib_reass_config ib_reass_defaults;

struct ib_reass_dgram;
struct ib_reass {
    struct ib_reass_dgram *list;
    uint32_t count, bytes;
    struct ib_timer timer;
};

struct ib_stack;
struct ib_netif;

struct ib_ip4_tx {
    ib_ip4 src; /* 0: the outgoing interface's address */
    ib_ip4 dst;
    uint8_t proto;
    uint8_t ttl; /* 0: the stack's default */
    uint8_t tos;
    bool df;
    /* A limited broadcast leaves by this interface (NULL: the first one up,
     * see ib_ip4_output); other destinations are routed as usual. */
    struct ib_netif *nif;
};

/* IPv4 input (data at the IP header, trailing link padding allowed). */
void ib_ip4_input(struct ib_netif *nif, struct ib_pkt *p);
/* Pushes the IP header on p (data at the transport header), routes it,
 * fragments it if needed and hands it to ARP. Consumes p. Returns 0, or a
 * negative error (IB_ERR_NOROUTE, IB_ERR_TOOBIG...) after dropping it. */
int ib_ip4_output(struct ib_stack *s, struct ib_pkt *p, const struct ib_ip4_tx *tx);
/* Sends a complete datagram (data at the IP header) to next_hop on nif,
 * fragmenting to the interface MTU when DF allows (RFC 791 §3.2). */
int ib_ip4_send_on(struct ib_stack *s, struct ib_netif *nif, struct ib_pkt *p, ib_ip4 next_hop);
/* The address this stack would use as source toward dst (0 if no route). */
ib_ip4 ib_ip4_source_for(struct ib_stack *s, ib_ip4 dst);
/* True if a is one of the stack's addresses or a broadcast it accepts. */
bool ib_ip4_is_local(const struct ib_stack *s, ib_ip4 a);
/* Kinds of an entry of a stack's address table. */
#define IB_IP4_ADDR_LOCAL 1u /* an interface's address */
#define IB_IP4_ADDR_BCAST 2u /* an interface's network's directed broadcast */
/* Rebuilds s->addrs after an interface address changed (ib_stack_set_addr
 * calls it). Stacks with few interfaces, or when memory runs out, keep no
 * table and are scanned instead, with the same results. */
void ib_ip4_addrs_update(struct ib_stack *s);
/* The first interface whose address is a (a nonzero), or NULL. */
struct ib_netif *ib_ip4_netif_with_addr(const struct ib_stack *s, ib_ip4 a);

void ib_reass_init(struct ib_reass *r);
void ib_reass_destroy(struct ib_reass *r);
/* Adds a fragment (data at the IP header, parsed h). Returns the whole
 * datagram when this fragment completed it (a new packet, header fixed
 * up), NULL otherwise. Consumes p. */
struct ib_pkt *ib_reass_add(struct ib_stack *s, struct ib_netif *nif, struct ib_pkt *p,
                            const struct ib_ip4_hdr *h);

#endif

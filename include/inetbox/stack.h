/* A stack: one host's or router's protocol state. Everything a node knows
 * lives here (or in its interfaces); there are no globals, so any number of
 * stacks can share a process. */
#ifndef INETBOX_STACK_H
#define INETBOX_STACK_H

#include "inetbox/arp.h"
#include "inetbox/icmp.h"
#include "inetbox/ipv4.h"
#include "inetbox/netif.h"
#include "inetbox/node.h"
#include "inetbox/route.h"
#include "inetbox/tcp.h"
#include "inetbox/udp.h"

struct ib_nat;

/* Interfaces per stack, at most (ib_netif.index is 16 bits). */
#define IB_STACK_MAX_NETIFS 65535u

struct ib_stack_config {
    struct ib_arp_config arp;
    struct ib_reass_config reass;
    struct ib_icmp_config icmp;
    struct ib_tcp_config tcp;
    uint8_t ttl;     /* default TTL for datagrams we originate */
    bool forwarding; /* a router (RFC 1812) rather than a host (RFC 1122) */
};

struct ib_ip4_stats {
    uint64_t in, delivered, forwarded, out, frags_out, reassembled;
};
struct ib_icmp_stats {
    uint64_t in, out, errors_out, rate_limited;
};
struct ib_udp_stats {
    uint64_t in, out;
};

/* One entry of a stack's address table (see ib_ip4_addrs_update). */
struct ib_ip4_addr_slot {
    ib_ip4 addr;  /* 0: empty */
    uint16_t nif; /* lowest index of an interface with this address */
    uint8_t kind; /* IB_IP4_ADDR_LOCAL and/or IB_IP4_ADDR_BCAST */
};

struct ib_stack {
    struct ib_node node; /* first: a stack is a node */
    struct ib_stack_config cfg;
    struct ib_netif **nifs; /* grown on demand: a dumbbell router has 1001 */
    uint16_t n_nifs, cap_nifs;
    uint16_t ip_id;
    uint16_t next_port; /* ephemeral port cursor */
    struct ib_fib fib;
    /* Our addresses and our networks' directed broadcasts, hashed (open
     * addressing, addrs_mask + 1 slots) so that a router with many
     * interfaces classifies a datagram in O(1); NULL for stacks with few
     * interfaces, which are scanned. */
    struct ib_ip4_addr_slot *addrs;
    uint32_t addrs_mask;
    struct ib_reass reass;
    struct {
        double tokens;
        ib_time last;
    } icmp_bucket;
    struct ib_icmp_echo *echo;
    struct ib_udp_pcb *udp;
    struct ib_tcp_stack *tcp; /* allocated on first use */
    struct ib_nat *nat;       /* NULL unless this router translates (nat.h) */
    /* Where the stub resolver sends queries (resolv.conf's nameserver
     * lines): set by configuration or by a DHCP lease (RFC 2132 §3.8). */
    struct {
        ib_ip4 servers[3];
        uint8_t n;
    } resolv;
    struct ib_ip4_stats ip_stats;
    struct ib_icmp_stats icmp_stats;
    struct ib_udp_stats udp_stats;
    /* Datagrams to our own addresses wait here for a zero-delay timer (a
     * loopback device's backlog), so sending to ourselves never re-enters
     * the sender. */
    struct ib_pkt *lo_head, *lo_tail;
    struct ib_timer lo_timer;
};

/* TTL 64, a host. Its arp, reass, icmp and tcp parts are left zero (C
 * cannot initialise them from the other modules' constants): a part left
 * zero (timeout 0 for arp and reass, rate and burst 0 for icmp, both
 * buffers 0 for tcp) takes its module's defaults, and so does ttl 0. */
extern const struct ib_stack_config ib_stack_defaults;
/* Fills cfg with every default, parts included: start here to change one
 * setting (copying ib_stack_defaults and setting, say, reass.max_frags
 * alone would leave reass.timeout 0 and bring back all reass defaults). */
void ib_stack_config_init(struct ib_stack_config *cfg);

void ib_stack_init(struct ib_stack *s, struct ib_env *env, const char *name, uint32_t id,
                   uint64_t seed, const struct ib_stack_config *cfg);
void ib_stack_destroy(struct ib_stack *s);
/* Attaches nif (initialised by the caller, which keeps ownership) and sets
 * its input to Ethernet. */
int ib_stack_add_netif(struct ib_stack *s, struct ib_netif *nif);
/* Sets nif's address, adds the connected route and announces the address
 * with a gratuitous ARP (RFC 5227 §2.3). */
int ib_stack_set_addr(struct ib_stack *s, struct ib_netif *nif, ib_ip4 addr, uint8_t plen);
int ib_stack_add_route(struct ib_stack *s, ib_ip4 prefix, uint8_t plen, ib_ip4 gateway,
                       struct ib_netif *nif);
struct ib_netif *ib_stack_netif(const struct ib_stack *s, const char *name);
/* Queues a datagram (data at the IP header) for one of our own addresses;
 * it is delivered through ib_ip4_input at the current time, from a timer.
 * Consumes p. */
void ib_stack_loopback(struct ib_stack *s, struct ib_pkt *p);

static inline struct ib_stack *ib_stack_of(const struct ib_netif *nif)
{
    return (struct ib_stack *)nif->node;
}

#endif

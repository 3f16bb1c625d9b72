/* NAT internals shared by nat.c (the mapping table, port allocation and
 * expiry), nat_xlate.c (translating datagrams) and nat_icmp.c (ICMP
 * errors). */
#ifndef INETBOX_NAT_INT_H
#define INETBOX_NAT_INT_H

#include "inetbox/nat.h"
#include "inetbox/stack.h"

/* Idle-timeout classes. Every mapping of a class lives the same time after
 * its last use, so a class's list, kept in order of last use, is also in
 * order of expiry: the earliest deadline is one of the heads. */
enum nat_cls { NAT_CLS_UDP, NAT_CLS_ICMP, NAT_CLS_TCP_EST, NAT_CLS_TCP_TRANS, NAT_CLS__N };
#define NAT_CLS_STATIC NAT_CLS__N    /* never expires, in no list */
#define NAT_CLS_NEW (NAT_CLS__N + 1) /* dynamic, not yet placed by ib_nat_touch */

/* TCP segments seen (struct nat_map.tcp_seen). */
#define NAT_SYN_OUT 0x01u
#define NAT_SYN_IN 0x02u
#define NAT_FIN_OUT 0x04u
#define NAT_FIN_IN 0x08u
#define NAT_RST 0x10u

/* Outside addresses a mapping may hear from, kept in place while few. */
#define NAT_PEERS_INLINE 2u

struct nat_map {
    struct nat_map *next_in, *next_pub;  /* hash chains */
    struct nat_map *prev, *next;         /* its class's list */
    struct nat_map *all_prev, *all_next; /* every mapping, oldest first */
    ib_ip4 in_addr, peer_addr;           /* the public address is the outside's, now */
    uint16_t in_port, pub_port, peer_port;
    uint8_t proto;
    uint8_t cls;
    uint8_t tcp_state; /* enum ib_nat_tcp_state */
    uint8_t tcp_seen;
    ib_time last_used, expires;
    ib_ip4 *peers; /* peer_inline, or a heap array when more are needed */
    uint32_t n_peers, cap_peers;
    ib_ip4 peer_inline[NAT_PEERS_INLINE];
};

struct ib_nat {
    struct ib_stack *s;
    struct ib_netif *outside;
    struct ib_nat_config cfg;
    enum ib_nat_filter filter;
    struct nat_map **by_in, **by_pub; /* mask + 1 buckets each */
    uint32_t mask, n;
    struct {
        struct nat_map *head, *tail;
    } cls[NAT_CLS__N];
    struct nat_map *all_head, *all_tail;
    struct ib_timer timer; /* armed for the earliest head, or not at all */
    struct ib_nat_stats stats;
};

struct nat_map *ib_nat_find_in(const struct ib_nat *n, uint8_t proto, ib_ip4 addr, uint16_t port);
struct nat_map *ib_nat_find_pub(const struct ib_nat *n, uint8_t proto, uint16_t port);
/* A new dynamic mapping for (proto, addr, port), or NULL with *reason set
 * (NAT_NO_PORTS or NOMEM). */
struct nat_map *ib_nat_map_new(struct ib_nat *n, uint8_t proto, ib_ip4 addr, uint16_t port,
                               enum ib_drop *reason);
/* Traffic used m now: restart its idle timeout in its (TCP: new) class. */
void ib_nat_touch(struct ib_nat *n, struct nat_map *m);
/* Address-dependent filtering: whether m may hear from addr; remember addr. */
bool ib_nat_peer_allowed(const struct ib_nat *n, const struct nat_map *m, ib_ip4 addr);
bool ib_nat_peer_add(struct nat_map *m, ib_ip4 addr);
/* True if this router itself has an endpoint on (proto, port) of its
 * address laddr (for TCP, raddr:rport completes the 4-tuple; 0 for any). */
bool ib_nat_local_endpoint(const struct ib_stack *s, uint8_t proto, ib_ip4 laddr, uint16_t lport,
                           ib_ip4 raddr, uint16_t rport);
/* Emits an IB_EV_NAT event about m (p: the translated datagram, or NULL). */
void ib_nat_event(struct ib_nat *n, uint8_t what, const struct nat_map *m, const struct ib_pkt *p,
                  ib_ip4 peer_addr, uint16_t peer_port);

/* Rewriting one end of a datagram (or of a datagram quoted in an ICMP
 * error, then len is what the quote holds): the address in the IP header,
 * the port (TCP, UDP) or query identifier (ICMP), and every checksum that
 * covers them and is present within len (RFC 1624 incremental updates). */
enum nat_end { NAT_SRC, NAT_DST };
void ib_nat_rewrite(uint8_t *ip, size_t len, enum nat_end end, ib_ip4 addr, uint16_t port);
/* The port or query identifier of one end of the datagram at ip (hlen and
 * the transport bytes must be within reach: see ib_nat_ports_len). */
uint16_t ib_nat_port(const uint8_t *ip, enum nat_end end);
/* Bytes past the IP header that must be present to read the ports of a
 * datagram of proto (0: a protocol the NAT cannot translate). */
size_t ib_nat_ports_len(uint8_t proto);
/* Makes *pp private before it is rewritten: a switch may have flooded the
 * very buffer to other ports. NULL (dropped, *pp NULL) if out of memory. */
struct ib_pkt *ib_nat_unshare(struct ib_stack *s, struct ib_netif *nif, struct ib_pkt **pp);
/* Rewrites the 32-bit field at f and folds the change into the checksum at c. */
void ib_nat_put32(uint8_t *f, uint32_t v, uint8_t *c);

/* ICMP errors (nat_icmp.c). Inbound: an error to the public address, from
 * nif. Outbound: an error leaving by the outside interface, forwarded from
 * in (NULL: originated here). Same verdicts as the hooks; the outbound one
 * returns the packet or NULL. */
enum ib_nat_verdict ib_nat_icmp_err_in(struct ib_nat *n, struct ib_netif *nif, struct ib_pkt **pp,
                                       struct ib_ip4_hdr *h);
struct ib_pkt *ib_nat_icmp_err_out(struct ib_nat *n, struct ib_netif *in, struct ib_pkt *p,
                                   const struct ib_ip4_hdr *h);
/* True for the ICMP types that quote a datagram (RFC 792). */
bool ib_nat_icmp_is_error(uint8_t type);

#endif

/* NAT internals shared by nat.c (the mapping table, port allocation and
 * expiry), nat_peer.c (the outside endpoints of each mapping), nat_tcp.c
 * (TCP connection tracking), nat_xlate.c (translating datagrams) and
 * nat_icmp.c (ICMP errors). */
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

/* What one end of a tracked TCP connection was seen sending
 * (struct nat_tcp_dir.seen). */
#define NAT_SEEN_SEG 0x01u /* anything: end is valid */
#define NAT_SEEN_SYN 0x02u
#define NAT_SEEN_ACK 0x04u /* ack is valid */
#define NAT_SEEN_FIN 0x08u

enum nat_dir { NAT_DIR_OUT, NAT_DIR_IN }; /* sent by the inside host, by the peer */

/* One end of a TCP connection as the NAT sees it pass. */
struct nat_tcp_dir {
    uint32_t end; /* the sequence number after the last it sent (SYN and FIN count) */
    uint32_t ack; /* the highest acknowledgment it sent */
    uint8_t seen; /* NAT_SEEN_* */
};

/* An outside endpoint a mapping talks to: the filtering state of address-
 * dependent filtering (port 0) or, for TCP, one connection (RFC 5382 §5:
 * endpoint-independent mapping lets several share a mapping, so each is
 * tracked on its own). Hashed NAT-wide by (mapping, address) so that both
 * "any connection with this address" and the exact connection are one
 * chain away; listed per mapping in order of use, so the least recently
 * used is the one forgotten when the mapping holds max_peers. */
struct nat_peer {
    struct nat_peer *hnext;       /* the NAT's peer hash chain */
    struct nat_peer *prev, *next; /* its mapping's list, least recently used first */
    struct nat_map *map;
    ib_ip4 addr;
    uint16_t port;     /* TCP: the peer's port; otherwise 0 */
    uint8_t tcp_state; /* enum ib_nat_tcp_state */
    ib_time last_used;
    struct nat_tcp_dir dir[2]; /* enum nat_dir */
};

#define NAT_TCP_STATES (IB_NAT_TCP_CLOSED + 1)

/* The bucket of a (protocol, address, port) key in the NAT's tables. */
static inline uint32_t nat_hash(uint8_t proto, ib_ip4 addr, uint16_t port)
{
    uint32_t x = addr * 0x9e3779b1u ^ ((uint32_t)port << 8 | proto) * 0x85ebca6bu;
    return x ^ x >> 16;
}

struct nat_map {
    struct nat_map *next_in, *next_pub;  /* hash chains */
    struct nat_map *prev, *next;         /* its class's list */
    struct nat_map *all_prev, *all_next; /* every mapping, oldest first */
    struct nat_peer *peers, *peers_tail; /* least recently used first */
    ib_ip4 in_addr, peer_addr;           /* the public address is the outside's, now */
    uint16_t in_port, pub_port, peer_port;
    uint8_t proto;
    uint8_t cls;
    uint32_t n_peers;
    uint32_t n_tcp[NAT_TCP_STATES]; /* its connections in each state */
    ib_time last_used, expires;
};

struct ib_nat {
    struct ib_stack *s;
    struct ib_netif *outside;
    struct ib_nat_config cfg;
    enum ib_nat_filter filter;
    struct nat_map **by_in, **by_pub; /* mask + 1 buckets each */
    uint32_t mask, n;
    struct nat_peer **by_peer; /* peer_mask + 1 buckets */
    uint32_t peer_mask, n_peers;
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
/* What m's connections add up to: ESTABLISHED if one is, else CLOSING,
 * else OPENING (also with none), else CLOSED. NONE if m is not TCP. */
uint8_t ib_nat_map_tcp_state(const struct nat_map *m);

/* The peer table (nat_peer.c). ib_nat_peer_get finds m's entry for
 * addr:port (port 0 but for TCP) and makes it the most recently used; when
 * there is none and add is set, it makes one (forgetting the least
 * recently used entry of a full mapping). NULL when absent or out of
 * memory. Entries idle longer than their timeout are forgotten. */
int ib_nat_peers_init(struct ib_nat *n);
struct nat_peer *ib_nat_peer_get(struct ib_nat *n, struct nat_map *m, ib_ip4 addr, uint16_t port,
                                 bool add);
/* Address-dependent filtering (RFC 4787 REQ-8, RFC 5382 REQ-3): whether m
 * may hear from addr (at any port). */
bool ib_nat_peer_allowed(struct ib_nat *n, struct nat_map *m, ib_ip4 addr);
void ib_nat_peer_set_state(struct nat_map *m, struct nat_peer *pe, uint8_t state);
void ib_nat_peers_free(struct ib_nat *n, struct nat_map *m);

/* RFC 5382 §5: follows the connection pe through one TCP segment (tcp,
 * len bytes, at least the fixed header) sent in direction d. Returns false
 * for a RST it does not believe, which must not change nor refresh
 * anything (nat_tcp.c). */
bool ib_nat_tcp_track(struct nat_map *m, struct nat_peer *pe, const uint8_t *tcp, size_t len,
                      enum nat_dir d);

/* True if this router itself has an endpoint on (proto, port) of its
 * address laddr (for TCP, raddr:rport completes the 4-tuple; 0 for any). */
bool ib_nat_local_endpoint(const struct ib_stack *s, uint8_t proto, ib_ip4 laddr, uint16_t lport,
                           ib_ip4 raddr, uint16_t rport);
/* True if one of this router's own sockets is exactly the datagram's
 * destination: a TCP connection (or TIME_WAIT) with this 4-tuple, or a UDP
 * endpoint bound to laddr itself. Such a socket wins over a mapping. */
bool ib_nat_local_exact(const struct ib_stack *s, uint8_t proto, ib_ip4 laddr, uint16_t lport,
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
/* RFC 5508 §7 (hairpinning): an inside host's error to
 * the public address about a datagram hairpinned to it goes to the sender
 * of that datagram, both translated as the sender knows them. */
enum ib_nat_verdict ib_nat_icmp_err_hairpin(struct ib_nat *n, struct ib_netif *nif,
                                            struct ib_pkt **pp, struct ib_ip4_hdr *h);
/* True for the ICMP types that quote a datagram (RFC 792). */
bool ib_nat_icmp_is_error(uint8_t type);
/* True for the ICMP query requests (request set) or replies that carry an
 * identifier the NAT maps (RFC 5508 §3.1): echo, timestamp, information
 * (RFC 792) and address mask (RFC 950). */
bool ib_nat_icmp_is_query(uint8_t type, bool request);

#endif

/* NAPT, the home router's network address and port translation (RFC 3022
 * §2.2), behaving as RFC 4787 (UDP), RFC 5382 (TCP) and RFC 5508 (ICMP)
 * ask: datagrams forwarded out of the `outside` interface take its address
 * and a public port (an ICMP query its identifier), and replies to that
 * public port are translated back and forwarded to the inside host.
 *
 * - Mapping is endpoint-independent (RFC 4787 REQ-1, RFC 5382 REQ-1): one
 *   public port per (protocol, inside address, inside port), whatever the
 *   destination. The inside port is kept when it is free and in range
 *   (port preservation), else a random free one is drawn from the router's
 *   own random stream.
 * - Filtering is address-dependent by default (RFC 4787 REQ-8 and RFC 5382
 *   REQ-3 recommend it where stringency matters, as at a home router):
 *   only outside addresses the mapping has sent to may send to it. Static
 *   forwards accept anyone. ib_nat_set_filter() picks endpoint-independent
 *   filtering (transparency, "full cone") instead. A mapping remembers at
 *   most max_peers outside endpoints, each for its own idle timeout; the
 *   least recently used is forgotten first.
 * - Nothing from outside reaches an inside address but through a mapping
 *   (RFC 4787 §5, RFC 5382 REQ-4): a datagram from outside addressed to
 *   an address behind the NAT is dropped.
 * - Mappings expire after idle timeouts, refreshed by traffic both ways
 *   (RFC 4787 REQ-6); TCP mappings follow their connections (RFC 5382 §5),
 *   each tracked on its own, and only a RST a TCP endpoint would accept
 *   (RFC 5961 §3.2) ends one.
 * - The router's own sockets and the mappings keep apart: the NAT skips
 *   the router's endpoints when it picks a port, the stack's ephemeral
 *   ports skip the NAT's (ib_nat_port_taken); where a port is shared all
 *   the same (a forward set on it, a socket bound to it), a datagram for
 *   exactly a socket of the router (a TCP connection's 4-tuple, a UDP
 *   socket bound to the public address) is the router's, and one a
 *   mapping's filter refuses goes to the router's socket on the port.
 * - Fragments are reassembled before translation (RFC 4787 REQ-14), then
 *   fragmented again to the outgoing MTU if needed. A translated datagram
 *   that may be fragmented (DF clear) leaves with an IP ID of the router's
 *   (RFC 6864): the inside hosts' IDs would collide behind one address.
 * - ICMP queries with an identifier (echo, timestamp, information, address
 *   mask) are mapped by it (RFC 5508 REQ-1).
 * - Hairpinning (RFC 4787 REQ-9, RFC 5382 REQ-8): an inside host reaching
 *   another through the public address sees its public endpoint.
 * - ICMP errors are translated both ways with the datagram they quote
 *   (RFC 5508 REQ-3 to REQ-6), hairpinned ones included (RFC 5508 §7);
 *   they never refresh nor remove a mapping. */
#ifndef INETBOX_NAT_H
#define INETBOX_NAT_H

#include "inetbox/ipv4.h"

struct ib_stack;
struct ib_netif;
struct ib_nat;

struct ib_nat_config {
    ib_time udp_timeout;         /* RFC 4787 REQ-5: >= 2 min; default 5 min */
    ib_time tcp_est_timeout;     /* RFC 5382 REQ-5: >= 2 h 4 min; default 2 h 4 min */
    ib_time tcp_trans_timeout;   /* RFC 5382 REQ-5: transitory (SYN only, after FINs/RST): 4 min */
    ib_time icmp_timeout;        /* RFC 5508 REQ-2: >= 60 s; default 60 s */
    uint16_t port_min, port_max; /* public ports handed out; default 1024..65535 */
    uint32_t max_peers;          /* outside endpoints a mapping remembers; default 64 */
};
/* The defaults meet the RFC minima. A field left 0 takes its default;
 * shorter timeouts are accepted, for experiments. */
extern const struct ib_nat_config ib_nat_defaults;

/* Makes s translate: datagrams forwarded from any other interface out of
 * `outside` get outside's address (read at translation time) as source.
 * NULL cfg: defaults. Returns the NAT (owned by s, freed by
 * ib_stack_destroy) or NULL (outside not on s, NAT already enabled, bad
 * port range, out of memory). */
struct ib_nat *ib_nat_enable(struct ib_stack *s, struct ib_netif *outside,
                             const struct ib_nat_config *cfg);

/* Static port forward (RFC 3022 §2.3 "static" mapping): public_port ->
 * inside:inside_port, for IB_IPPROTO_TCP or IB_IPPROTO_UDP. It never
 * expires and accepts every outside peer. Returns 0, IB_ERR_INVAL or
 * IB_ERR_INUSE (the public port or the inside endpoint is mapped). */
int ib_nat_forward(struct ib_nat *n, uint8_t proto, uint16_t public_port, ib_ip4 inside,
                   uint16_t inside_port);

enum ib_nat_filter {
    IB_NAT_FILTER_ADDRESS,     /* address-dependent (the default) */
    IB_NAT_FILTER_INDEPENDENT, /* endpoint-independent */
};
void ib_nat_set_filter(struct ib_nat *n, enum ib_nat_filter f);

/* True if s translates and a mapping holds public port `port` of proto:
 * the stack's port choices (ephemeral UDP and TCP ports, a resolver's
 * random port) skip such ports, whose replies would go to the inside. */
bool ib_nat_port_taken(const struct ib_stack *s, uint8_t proto, uint16_t port);

/* What the NAT knows of a TCP connection (RFC 5382 §5); a mapping's state
 * is its liveliest connection's. */
enum ib_nat_tcp_state {
    IB_NAT_TCP_NONE,        /* not TCP */
    IB_NAT_TCP_OPENING,     /* SYN seen one way only (or none): transitory */
    IB_NAT_TCP_ESTABLISHED, /* SYNs seen both ways */
    IB_NAT_TCP_CLOSING,     /* established, and a FIN seen one way */
    IB_NAT_TCP_CLOSED,      /* FINs both ways or a RST: transitory */
};
/* "OPENING", "ESTABLISHED", ... */
const char *ib_nat_tcp_state_name(uint8_t state);

/* Read-only view of the mapping table (for the report and tests). */
struct ib_nat_mapping {
    uint8_t proto;
    ib_ip4 in_addr, pub_addr;   /* pub_addr: the outside interface's, now */
    uint16_t in_port, pub_port; /* ICMP: query identifiers */
    ib_time last_used, expires; /* expires: IB_TIME_NEVER for static ones */
    uint8_t tcp_state;          /* enum ib_nat_tcp_state */
    bool is_static;
};
/* Copies up to max mappings, oldest first, and returns how many there are. */
size_t ib_nat_mappings(const struct ib_nat *n, struct ib_nat_mapping *out, size_t max);

struct ib_nat_stats {
    uint64_t out, in;         /* datagrams translated each way (hairpins count in both) */
    uint64_t icmp_errors;     /* ICMP errors translated */
    uint64_t mapped, expired; /* mappings made and timed out */
};
void ib_nat_get_stats(const struct ib_nat *n, struct ib_nat_stats *out);

/* Trace (IB_EV_NAT, u.nat; nif: the outside interface): in_addr/in_port
 * and pub_addr/pub_port are the mapping; peer_addr/peer_port the outside
 * end of the datagram (ICMP: peer_port 0). IB_NAT_MAP comes with the
 * datagram that made the mapping, already translated (a static forward's
 * comes when it is set, with no datagram and no peer); IB_NAT_EXPIRE
 * gives the last peer seen. For IB_NAT_ICMP_ERR, peer_addr is who sent
 * the error (inbound) or whom it goes to (outbound). */

/* Stack hooks (ipv4.c), called only when s->nat is set. */
enum ib_nat_verdict {
    IB_NAT_PASS,     /* not for the NAT: go on as without it */
    IB_NAT_FORWARD,  /* translated toward the inside: forward *pp (h updated) */
    IB_NAT_CONSUMED, /* dropped, or held for reassembly */
};
/* A datagram arrived on nif (data at the IP header, h parsed, link checks
 * done). *pp may change (unshared, reassembled). */
enum ib_nat_verdict ib_nat_input(struct ib_stack *s, struct ib_netif *nif, struct ib_pkt **pp,
                                 struct ib_ip4_hdr *h);
/* A datagram leaves by `out`: forwarded from `in` (TTL already lowered) or
 * originated here (in NULL: only ICMP errors quoting a translated datagram
 * are rewritten). Returns the datagram to send (maybe another buffer), or
 * NULL when it was consumed. */
struct ib_pkt *ib_nat_output(struct ib_stack *s, struct ib_netif *in, struct ib_netif *out,
                             struct ib_pkt *p, const struct ib_ip4_hdr *h);
/* Frees the NAT and forgets its timer (ib_stack_destroy calls it). */
void ib_nat_free(struct ib_nat *n);

#endif

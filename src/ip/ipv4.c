/* IPv4 (RFC 791) for hosts (RFC 1122 §3.2.1, §3.3) and routers (RFC 1812
 * §5): header parsing and validation, local delivery to ICMP and UDP,
 * forwarding (TTL decrement with an RFC 1624 incremental checksum update,
 * longest-prefix route, ICMP errors), output of the datagrams this stack
 * originates, and fragmentation (RFC 791 §3.2). Reassembly is in reass.c.
 *
 * Forwarding is the hot path: it validates the header, looks up the route
 * and rewrites one header word and the checksum in place, with no
 * allocation, no copy and no trace work unless an observer is attached. */
#include "inetbox/ipv4.h"

#include "inetbox/cksum.h"
#include "inetbox/nat.h"
#include "inetbox/stack.h"

#include <stdlib.h>

/* RFC 791 §3.1 option types. */
enum {
    IP4_OPT_EOL = 0,
    IP4_OPT_NOP = 1,
    IP4_OPT_RR = 7,
    IP4_OPT_TS = 68,
    IP4_OPT_LSRR = 131,
    IP4_OPT_SSRR = 137,
    IP4_OPT_COPIED = 0x80,
};

/* RFC 791 §3.1: besides the one-octet End of Option List and No Operation,
 * an option is type, length (counting type and length) and data. Options we
 * do not implement are ignored (RFC 1122 §3.2.1.8), but a length that runs
 * past the header leaves the rest of it unparseable. The route options
 * carry at least a pointer octet, the timestamp option a pointer and an
 * overflow/flags octet. */
static int ip4_check_options(const uint8_t *o, size_t len)
{
    size_t i = 0;
    while (i < len && o[i] != IP4_OPT_EOL) {
        if (o[i] == IP4_OPT_NOP) {
            i++;
            continue;
        }
        if (len - i < 2) return IB_DROP_IP_BAD_OPTIONS;
        size_t olen = o[i + 1];
        size_t min = 2;
        if (o[i] == IP4_OPT_RR || o[i] == IP4_OPT_LSRR || o[i] == IP4_OPT_SSRR)
            min = 3;
        else if (o[i] == IP4_OPT_TS)
            min = 4;
        if (olen < min || olen > len - i) return IB_DROP_IP_BAD_OPTIONS;
        i += olen;
    }
    return 0;
}

/* RFC 1071 §4.1, summed over 32-bit words as RFC 1071 §2(C) allows: a
 * header with a correct checksum sums to all ones. Kept inline here (rather
 * than ib_csum) because every forwarded packet runs it. */
static inline bool ip4_csum_ok(const uint8_t *b, size_t hlen)
{
    uint64_t s = 0;
    for (size_t i = 0; i < hlen; i += 4)
        s += ib_get32(b + i);
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffffu) + (s >> 16);
    s = (s & 0xffffu) + (s >> 16);
    s = (s & 0xffffu) + (s >> 16);
    return s == 0xffffu;
}

int ib_ip4_parse(const uint8_t *b, size_t len, struct ib_ip4_hdr *h)
{
    if (len < IB_IP4_HLEN) return IB_DROP_IP_TRUNCATED;
    /* RFC 1122 §3.2.1.1: a datagram whose version is not 4 is discarded. */
    if (b[0] >> 4 != 4) return IB_DROP_IP_BAD_VERSION;
    /* RFC 791 §3.1: IHL counts 32-bit words, at least 5 in a correct header. */
    size_t hlen = (size_t)(b[0] & 0x0f) * 4;
    if (hlen < IB_IP4_HLEN) return IB_DROP_IP_BAD_IHL;
    if (hlen > len) return IB_DROP_IP_TRUNCATED;
    /* RFC 791 §3.1: total length counts header and data. The frame may be
     * longer (Ethernet pads short frames, RFC 894), never shorter. */
    uint16_t tot = ib_get16(b + 2);
    if (tot < hlen || tot > len) return IB_DROP_IP_BAD_LENGTH;
    /* RFC 1122 §3.2.1.2, RFC 1812 §5.2.2: verify the header checksum and
     * silently discard a datagram whose checksum is wrong. */
    if (!ip4_csum_ok(b, hlen)) return IB_DROP_IP_BAD_CHECKSUM;
    if (hlen > IB_IP4_HLEN) {
        int r = ip4_check_options(b + IB_IP4_HLEN, hlen - IB_IP4_HLEN);
        if (r) return r;
    }
    h->hlen = (uint8_t)hlen;
    h->tos = b[1];
    h->tot_len = tot;
    h->id = ib_get16(b + 4);
    h->frag = ib_get16(b + 6);
    h->ttl = b[8];
    h->proto = b[9];
    h->csum = ib_get16(b + 10);
    h->src = ib_get32(b + 12);
    h->dst = ib_get32(b + 16);
    return 0;
}

void ib_ip4_emit(const struct ib_ip4_hdr *h, uint8_t *b)
{
    b[0] = 0x45;
    b[1] = h->tos;
    ib_put16(b + 2, h->tot_len);
    ib_put16(b + 4, h->id);
    ib_put16(b + 6, h->frag);
    b[8] = h->ttl;
    b[9] = h->proto;
    ib_put16(b + 10, 0);
    ib_put32(b + 12, h->src);
    ib_put32(b + 16, h->dst);
    /* RFC 791 §3.1: the checksum is computed with the checksum field zero. */
    ib_put16(b + 10, ib_csum(b, IB_IP4_HLEN));
}

static inline bool ip4_is_multicast(ib_ip4 a)
{
    return (a >> 28) == 0xe;
} /* RFC 5771: 224/4 */
/* RFC 1122 §3.2.1.3 (g): 127/8 is internal host loopback, never on a wire. */
static inline bool ip4_is_loopback(ib_ip4 a)
{
    return (a >> 24) == 127;
}

/* RFC 1122 §3.2.1.3, RFC 1812 §5.3.7: a source address is never a
 * broadcast (our networks' are found by ip4_classify), a multicast, a
 * class E (reserved, RFC 1112 §4; the limited broadcast is part of it) or
 * a loopback address, nor on network 0 -- except 0.0.0.0 itself, "this
 * host" while it initializes (RFC 1122 §3.2.1.3 (a)), which a DHCP client
 * uses only toward the limited broadcast (RFC 2131 §4.1), the line Linux
 * draws too. */
static inline bool ip4_bad_source(ib_ip4 src, ib_ip4 dst)
{
    if ((src >> 24) == 0) return src != 0 || dst != IB_IP4_BROADCAST;
    return (src >> 28) >= 0xe || ip4_is_loopback(src);
}

static void ip4_trace(struct ib_stack *s, enum ib_ev_kind kind, const struct ib_netif *nif,
                      const struct ib_pkt *p)
{
    struct ib_env *env = s->node.env;
    if (ib_tracing(env)) {
        struct ib_event ev;
        ib_event_init(&ev, env, kind, 3, &s->node, nif, p);
        ib_emit(env, &ev);
    }
}

/* What our interfaces make of a datagram's addresses. */
struct ip4_addr_class {
    bool dst_local; /* one of our addresses or a broadcast we receive */
    bool dst_bcast; /* the limited broadcast or one of our networks' */
    bool src_bcast; /* one of our networks' broadcast addresses */
};

/* Below this many interfaces a scan beats the table. */
#define IP4_ADDRS_MIN_NIFS 8u

static inline uint32_t ip4_addr_hash(ib_ip4 a, uint32_t mask)
{
    return (a * 0x9e3779b1u) >> 12 & mask; /* Fibonacci hashing: the high bits mix best */
}

/* The table entry for a (nonzero), or NULL. */
static inline const struct ib_ip4_addr_slot *ip4_addrs_find(const struct ib_stack *s, ib_ip4 a)
{
    for (uint32_t i = ip4_addr_hash(a, s->addrs_mask);; i = (i + 1) & s->addrs_mask) {
        const struct ib_ip4_addr_slot *e = &s->addrs[i];
        if (e->addr == a) return e;
        if (!e->addr) return NULL;
    }
}

static void ip4_addrs_put(struct ib_stack *s, ib_ip4 a, unsigned nif, uint8_t kind)
{
    uint32_t i = ip4_addr_hash(a, s->addrs_mask);
    while (s->addrs[i].addr && s->addrs[i].addr != a) i = (i + 1) & s->addrs_mask;
    struct ib_ip4_addr_slot *e = &s->addrs[i];
    e->addr = a;
    if ((kind & IB_IP4_ADDR_LOCAL) && !(e->kind & IB_IP4_ADDR_LOCAL)) e->nif = (uint16_t)nif;
    e->kind |= kind;
}

void ib_ip4_addrs_update(struct ib_stack *s)
{
    free(s->addrs);
    s->addrs = NULL;
    s->addrs_mask = 0;
    if (s->n_nifs < IP4_ADDRS_MIN_NIFS) return;
    /* At most two entries per interface; keep the load under a half. */
    uint32_t cap = 8;
    while (cap < 4u * s->n_nifs) cap *= 2;
    s->addrs = calloc(cap, sizeof(*s->addrs));
    if (!s->addrs) return;
    s->addrs_mask = cap - 1;
    for (unsigned i = 0; i < s->n_nifs; i++) {
        const struct ib_netif *n = s->nifs[i];
        if (!n->addr) continue;
        ip4_addrs_put(s, n->addr, i, IB_IP4_ADDR_LOCAL);
        /* A /31 or /32 has no directed broadcast (RFC 3021 §2.2). */
        if (n->plen < 31) ip4_addrs_put(s, ib_netif_broadcast(n), i, IB_IP4_ADDR_BCAST);
    }
}

static struct ip4_addr_class ip4_classify(const struct ib_stack *s, ib_ip4 src, ib_ip4 dst)
{
    /* RFC 1122 §3.3.6: the limited broadcast is always ours to receive. */
    struct ip4_addr_class c = {.dst_local = dst == IB_IP4_BROADCAST,
                               .dst_bcast = dst == IB_IP4_BROADCAST};
    if (s->addrs) {
        const struct ib_ip4_addr_slot *e = dst ? ip4_addrs_find(s, dst) : NULL;
        if (e) {
            c.dst_local = true;
            if (e->kind & IB_IP4_ADDR_BCAST) c.dst_bcast = true;
        }
        e = src ? ip4_addrs_find(s, src) : NULL;
        if (e && (e->kind & IB_IP4_ADDR_BCAST)) c.src_bcast = true;
        return c;
    }
    /* RFC 1122 §3.3.4.2: the weak end-system model (as Linux and the BSDs):
     * any of our addresses is local whatever interface it arrived on. */
    for (unsigned i = 0; i < s->n_nifs; i++) {
        const struct ib_netif *n = s->nifs[i];
        if (!n->addr) continue;
        if (dst == n->addr) c.dst_local = true;
        /* A /31 or /32 has no directed broadcast (RFC 3021 §2.2). */
        if (n->plen < 31) {
            ib_ip4 b = ib_netif_broadcast(n);
            if (dst == b) c.dst_local = c.dst_bcast = true;
            if (src == b) c.src_bcast = true;
        }
    }
    return c;
}

bool ib_ip4_is_local(const struct ib_stack *s, ib_ip4 a)
{
    return ip4_classify(s, 0, a).dst_local;
}

struct ib_netif *ib_ip4_netif_with_addr(const struct ib_stack *s, ib_ip4 a)
{
    if (!a) return NULL;
    if (s->addrs) {
        const struct ib_ip4_addr_slot *e = ip4_addrs_find(s, a);
        return e && (e->kind & IB_IP4_ADDR_LOCAL) ? s->nifs[e->nif] : NULL;
    }
    for (unsigned i = 0; i < s->n_nifs; i++)
        if (s->nifs[i]->addr == a) return s->nifs[i];
    return NULL;
}

/* The link-layer flags that say a frame was not addressed to us alone. */
#define IP4_LINK_NOT_UNICAST (IB_PKT_F_LINK_BCAST | IB_PKT_F_LINK_MCAST | IB_PKT_F_LINK_OTHER)

/* RFC 1122 §3.3.6 (hosts), RFC 1812 §5.3.4 (routers): a datagram received
 * as a link-layer broadcast or multicast must carry an IP broadcast or
 * multicast destination; anything else is discarded, and never forwarded.
 * One that reached us only because we listen promiscuously is not ours. */
static bool ip4_link_dst_ok(const struct ib_pkt *p, ib_ip4 dst, bool dst_bcast)
{
    if (!(p->flags & IP4_LINK_NOT_UNICAST)) return true;
    if (p->flags & IB_PKT_F_LINK_OTHER) return false;
    return ip4_is_multicast(dst) || dst_bcast;
}

static void ip4_deliver(struct ib_stack *s, struct ib_netif *nif, struct ib_pkt *p,
                        struct ib_ip4_hdr *h)
{
    if (ib_ip4_is_fragment(h)) {
        p = ib_reass_add(s, nif, p, h);
        if (!p) return;
        int r = ib_ip4_parse(p->data, p->len, h);
        if (r) {
            ib_drop(&s->node, nif, p, r);
            return;
        }
    }
    switch (h->proto) {
    case IB_IPPROTO_ICMP:
    case IB_IPPROTO_UDP:
    case IB_IPPROTO_TCP:
        s->ip_stats.delivered++;
        ip4_trace(s, IB_EV_IP_RX, nif, p);
        ib_pkt_pull(p, h->hlen);
        if (h->proto == IB_IPPROTO_ICMP)
            ib_icmp_input(s, nif, p, h);
        else if (h->proto == IB_IPPROTO_UDP)
            ib_udp_input(s, nif, p, h);
        else
            ib_tcp_input(s, nif, p, h);
        return;
    default:
        /* RFC 1122 §3.2.2.1: protocol unreachable when the transport
         * protocol is not supported. */
        ib_icmp_error(s, p, IB_ICMP_DEST_UNREACH, IB_ICMP_UNREACH_PROTO, 0);
        ib_drop(&s->node, nif, p, IB_DROP_IP_UNKNOWN_PROTO);
        return;
    }
}

static void ip4_forward(struct ib_stack *s, struct ib_netif *in, struct ib_pkt *p,
                        const struct ib_ip4_hdr *h)
{
    /* RFC 1812 §5.3.7: no forwarding to network 0, loopback or class E. */
    if ((h->dst >> 24) == 0 || ip4_is_loopback(h->dst) || (h->dst >> 28) >= 0xe) {
        ib_drop(&s->node, in, p, IB_DROP_IP_NO_ROUTE);
        return;
    }
    /* RFC 1812 §5.3.1: a datagram whose TTL would reach zero is discarded
     * with a time exceeded (code 0) from the router. Datagrams for the
     * router itself were accepted above whatever their TTL. */
    if (h->ttl <= 1) {
        ib_icmp_error(s, p, IB_ICMP_TIME_EXCEEDED, IB_ICMP_EXC_TTL, 0);
        ib_drop(&s->node, in, p, IB_DROP_IP_TTL_EXPIRED);
        return;
    }
    /* RFC 1812 §5.2.4.3: longest prefix match; §4.3.3.1: no route at all
     * gets a network unreachable. */
    const struct ib_route *rt = ib_fib_lookup(&s->fib, h->dst);
    if (!rt || rt->ifindex >= s->n_nifs) {
        ib_icmp_error(s, p, IB_ICMP_DEST_UNREACH, IB_ICMP_UNREACH_NET, 0);
        ib_drop(&s->node, in, p, IB_DROP_IP_NO_ROUTE);
        return;
    }
    struct ib_netif *out = s->nifs[rt->ifindex];
    ib_ip4 next_hop = rt->gateway ? rt->gateway : h->dst;
    /* RFC 1812 §5.2.7.1, RFC 1191 §4: too big with DF set is answered with
     * "fragmentation needed" carrying the next-hop MTU in the low 16 bits
     * of the word after the checksum. */
    if (h->tot_len > out->mtu && (h->frag & IB_IP4_DF)) {
        ib_icmp_error(s, p, IB_ICMP_DEST_UNREACH, IB_ICMP_UNREACH_NEEDFRAG, out->mtu);
        ib_drop(&s->node, in, p, IB_DROP_IP_DF_TOO_BIG);
        return;
    }
    /* A switch may have flooded this very buffer to other ports. */
    p = ib_pkt_unshare(p);
    if (!p) {
        ib_drop(&s->node, in, NULL, IB_DROP_NOMEM); /* unshare released it */
        return;
    }
    /* RFC 1812 §5.3.1 decrement TTL, RFC 1624 eqn. 3 update the checksum
     * for the changed TTL/protocol word only. */
    uint8_t *b = p->data;
    uint16_t old = ib_get16(b + 8);
    uint16_t new_ = (uint16_t)(old - 0x100u);
    ib_put16(b + 8, new_);
    ib_put16(b + 10, ib_csum_update16(ib_get16(b + 10), old, new_));
    /* RFC 3022 §2.2: NAPT rewrites what leaves by the outside interface. */
    if (s->nat && !(p = ib_nat_output(s, in, out, p, h))) return;
    s->ip_stats.forwarded++;
    struct ib_env *env = s->node.env;
    if (ib_tracing(env)) {
        struct ib_event ev;
        ib_event_init(&ev, env, IB_EV_IP_FORWARD, 3, &s->node, in, p);
        ev.u.route.dst = h->dst;
        ev.u.route.prefix = rt->prefix;
        ev.u.route.plen = rt->plen;
        ev.u.route.gateway = rt->gateway;
        ev.u.route.out = out;
        ib_emit(env, &ev);
    }
    ib_ip4_send_on(s, out, p, next_hop);
}

void ib_ip4_input(struct ib_netif *nif, struct ib_pkt *p)
{
    struct ib_stack *s = ib_stack_of(nif);
    struct ib_ip4_hdr h;
    s->ip_stats.in++;
    int r = ib_ip4_parse(p->data, p->len, &h);
    if (r) {
        ib_drop(&s->node, nif, p, r);
        return;
    }
    ib_pkt_trim(p, h.tot_len);
    struct ip4_addr_class c = ip4_classify(s, h.src, h.dst);
    if (ip4_bad_source(h.src, h.dst) || c.src_bcast) {
        ib_drop(&s->node, nif, p, IB_DROP_IP_BAD_SRC);
        return;
    }
    if (!ip4_link_dst_ok(p, h.dst, c.dst_bcast)) {
        ib_drop(&s->node, nif, p, IB_DROP_IP_NOT_FOR_US);
        return;
    }
    /* RFC 3022 §2.2: datagrams to the NAT's public address are translated
     * toward the inside before they could be taken as ours. */
    if (s->nat) {
        enum ib_nat_verdict v = ib_nat_input(s, nif, &p, &h);
        if (v == IB_NAT_CONSUMED) return;
        if (v == IB_NAT_FORWARD) {
            ip4_forward(s, nif, p, &h);
            return;
        }
    }
    if (c.dst_local) {
        ip4_deliver(s, nif, p, &h);
        return;
    }
    /* RFC 1122 §3.3.4.2: a host does not forward; with the weak end-system
     * model it only accepts datagrams for its own addresses. We join no
     * multicast group and route no multicast yet. */
    if (!s->cfg.forwarding || ip4_is_multicast(h.dst)) {
        ib_drop(&s->node, nif, p, IB_DROP_IP_NOT_FOR_US);
        return;
    }
    ip4_forward(s, nif, p, &h);
}

/* RFC 791 §3.1: options whose copied flag is set go into every fragment;
 * the others only into the first. Returns the length of the copied options
 * written to out, padded with End of Option List to a 32-bit boundary. */
static size_t ip4_copied_options(const uint8_t *o, size_t len, uint8_t *out)
{
    size_t i = 0, n = 0;
    while (i < len && o[i] != IP4_OPT_EOL) {
        if (o[i] == IP4_OPT_NOP) {
            i++;
            continue;
        }
        size_t olen = len - i >= 2 ? o[i + 1] : 0;
        if (olen < 2 || olen > len - i)
            break; /* cannot happen after ib_ip4_parse; never read past */
        if (o[i] & IP4_OPT_COPIED) {
            memcpy(out + n, o + i, olen);
            n += olen;
        }
        i += olen;
    }
    while (n & 3)
        out[n++] = IP4_OPT_EOL;
    return n;
}

/* RFC 791 §3.2, "an example fragmentation procedure": every fragment but
 * the last carries a multiple of 8 data octets; offsets count from the
 * original datagram, so re-fragmenting a fragment keeps its offset and its
 * MF flag on the last piece. */
static int ip4_fragment(struct ib_stack *s, struct ib_netif *nif, struct ib_pkt *p, ib_ip4 next_hop)
{
    const uint8_t *b = p->data;
    size_t hlen = (size_t)(b[0] & 0x0f) * 4;
    uint16_t frag = ib_get16(b + 6);
    if (frag & IB_IP4_DF) {
        ib_drop(&s->node, nif, p, IB_DROP_IP_DF_TOO_BIG);
        return IB_ERR_TOOBIG;
    }
    uint8_t opts[IB_IP4_MAX_HLEN - IB_IP4_HLEN];
    size_t olen = ip4_copied_options(b + IB_IP4_HLEN, hlen - IB_IP4_HLEN, opts);
    /* RFC 791 §3.2: every link carries 68 octets (a full header and 8 data
     * octets) without fragmentation; below that we cannot fragment. */
    if (nif->mtu < hlen + 8) {
        ib_drop(&s->node, nif, p, IB_DROP_IP_DF_TOO_BIG);
        return IB_ERR_TOOBIG;
    }
    size_t payload = p->len - hlen;
    size_t first_room = (nif->mtu - hlen) & ~(size_t)7;
    size_t room = (nif->mtu - IB_IP4_HLEN - olen) & ~(size_t)7;
    uint16_t count = (uint16_t)(1 + (payload - first_room + room - 1) / room);
    uint32_t base = (uint32_t)(frag & IB_IP4_OFFMASK) * 8;
    struct ib_env *env = s->node.env;
    for (size_t off = 0; off < payload;) {
        size_t fhlen = off == 0 ? hlen : IB_IP4_HLEN + olen;
        size_t flen = payload - off;
        size_t max = off == 0 ? first_room : room;
        bool last = flen <= max;
        if (!last) flen = max;
        struct ib_pkt *f = ib_pkt_alloc(env->pool, IB_PKT_HEADROOM, fhlen + flen);
        if (!f) {
            ib_drop(&s->node, nif, p, IB_DROP_NOMEM);
            return IB_ERR_NOMEM;
        }
        uint8_t *fb = f->data;
        memcpy(fb, b, IB_IP4_HLEN);
        if (off == 0)
            memcpy(fb + IB_IP4_HLEN, b + IB_IP4_HLEN, hlen - IB_IP4_HLEN);
        else
            memcpy(fb + IB_IP4_HLEN, opts, olen);
        fb[0] = (uint8_t)(0x40 | fhlen / 4);
        ib_put16(fb + 2, (uint16_t)(fhlen + flen));
        bool more = !last || (frag & IB_IP4_MF);
        ib_put16(fb + 6, (uint16_t)((more ? IB_IP4_MF : 0) | (base + off) / 8));
        ib_put16(fb + 10, 0);
        ib_put16(fb + 10, ib_csum(fb, fhlen));
        memcpy(fb + fhlen, b + hlen + off, flen);
        f->journey = p->journey;
        s->ip_stats.frags_out++;
        if (ib_tracing(env)) {
            struct ib_event ev;
            ib_event_init(&ev, env, IB_EV_IP_FRAGMENT, 3, &s->node, nif, f);
            ev.u.frag.id = ib_get16(b + 4);
            ev.u.frag.offset = (uint16_t)(base + off);
            ev.u.frag.len = (uint16_t)flen;
            ev.u.frag.count = count;
            ev.u.frag.more = more;
            ib_emit(env, &ev);
        }
        ib_arp_output(nif, f, next_hop);
        off += flen;
    }
    ib_pkt_free(p);
    return 0;
}

int ib_ip4_send_on(struct ib_stack *s, struct ib_netif *nif, struct ib_pkt *p, ib_ip4 next_hop)
{
    if (p->len <= nif->mtu) {
        ib_arp_output(nif, p, next_hop);
        return 0;
    }
    return ip4_fragment(s, nif, p, next_hop);
}

/* Where a limited broadcast leaves: no route matches 255.255.255.255, so
 * the interface holding the source address, else the first interface that
 * is up and has an address, else the first that is up (a DHCP client has
 * no address yet, RFC 2131 §4.1). */
static struct ib_netif *ip4_broadcast_netif(const struct ib_stack *s, ib_ip4 src)
{
    struct ib_netif *up = NULL;
    if (src) {
        struct ib_netif *n = ib_ip4_netif_with_addr(s, src);
        if (n) return n;
    }
    for (unsigned i = 0; i < s->n_nifs; i++) {
        struct ib_netif *n = s->nifs[i];
        if (!n->up) continue;
        if (n->addr) return n;
        if (!up) up = n;
    }
    return up;
}

ib_ip4 ib_ip4_source_for(struct ib_stack *s, ib_ip4 dst)
{
    if (dst == IB_IP4_BROADCAST) {
        struct ib_netif *n = ip4_broadcast_netif(s, 0);
        return n ? n->addr : 0;
    }
    if (ib_ip4_netif_with_addr(s, dst)) return dst;
    const struct ib_route *rt = ib_fib_lookup(&s->fib, dst);
    if (!rt || rt->ifindex >= s->n_nifs) return 0;
    return s->nifs[rt->ifindex]->addr;
}

int ib_ip4_output(struct ib_stack *s, struct ib_pkt *p, const struct ib_ip4_tx *tx)
{
    struct ib_netif *out = NULL;
    ib_ip4 next_hop = tx->dst;
    bool loop = false;
    if (tx->dst == IB_IP4_BROADCAST) {
        out = tx->nif ? tx->nif : ip4_broadcast_netif(s, tx->src);
    } else if ((out = ib_ip4_netif_with_addr(s, tx->dst)) != NULL) {
        loop = true;
    } else if (!ip4_is_loopback(tx->dst)) {
        /* RFC 1122 §3.2.1.3 (g): 127/8 must never leave the host. */
        const struct ib_route *rt = ib_fib_lookup(&s->fib, tx->dst);
        if (rt && rt->ifindex < s->n_nifs) {
            out = s->nifs[rt->ifindex];
            if (rt->gateway) next_hop = rt->gateway;
        }
    }
    if (!out) {
        ib_drop(&s->node, NULL, p, IB_DROP_IP_NO_ROUTE);
        return IB_ERR_NOROUTE;
    }
    /* RFC 791 §3.1: the total length field is 16 bits. */
    if ((size_t)p->len + IB_IP4_HLEN > IB_IP4_MAX_LEN) {
        ib_drop(&s->node, out, p, IB_DROP_IP_BAD_LENGTH);
        return IB_ERR_TOOBIG;
    }
    uint8_t *b = ib_pkt_push(p, IB_IP4_HLEN);
    if (!b) {
        ib_drop(&s->node, out, p, IB_DROP_NOMEM);
        return IB_ERR_NOMEM;
    }
    struct ib_ip4_hdr h = {
        .hlen = IB_IP4_HLEN,
        .tos = tx->tos,
        .tot_len = (uint16_t)p->len,
        .id = s->ip_id++,
        .frag = tx->df ? IB_IP4_DF : 0,
        .ttl = tx->ttl ? tx->ttl : s->cfg.ttl,
        .proto = tx->proto,
        .src = tx->src ? tx->src : out->addr,
        .dst = tx->dst,
    };
    ib_ip4_emit(&h, b);
    if (!p->journey) p->journey = ib_journey_new(s->node.env);
    s->ip_stats.out++;
    ip4_trace(s, IB_EV_IP_TX, out, p);
    if (loop) {
        ib_stack_loopback(s, p);
        return 0;
    }
    if (s->nat && !(p = ib_nat_output(s, NULL, out, p, &h))) return IB_ERR_DROPPED;
    return ib_ip4_send_on(s, out, p, next_hop);
}

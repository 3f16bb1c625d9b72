/* Translating datagrams at the NAT (RFC 3022 §2.2, §4.1): the outbound
 * source rewrite that makes or reuses a mapping, the inbound destination
 * rewrite that finds one and filters by the sender, hairpinning, the
 * filter that keeps the outside from the inside addresses, and the
 * checksum updates (RFC 1624).
 *
 * Fragments are reassembled first (RFC 4787 REQ-14: out-of-order
 * fragments must work, and only the first one carries the ports), with the
 * stack's own reassembly state; the whole datagram is translated and IP
 * fragments it again to the outgoing MTU. */
#include "nat/nat_int.h"

#include "inetbox/cksum.h"

/* RFC 1812 §5.2.7.1: "Communication Administratively Prohibited". */
#define NAT_UNREACH_ADMIN 13u

static void nat_put16(uint8_t *f, uint16_t v, uint8_t *c)
{
    if (c) ib_put16(c, ib_csum_update16(ib_get16(c), ib_get16(f), v));
    ib_put16(f, v);
}

void ib_nat_put32(uint8_t *f, uint32_t v, uint8_t *c)
{
    if (c) ib_put16(c, ib_csum_update32(ib_get16(c), ib_get32(f), v));
    ib_put32(f, v);
}

size_t ib_nat_ports_len(uint8_t proto)
{
    switch (proto) {
    case IB_IPPROTO_TCP:
    case IB_IPPROTO_UDP:
        return 4; /* source and destination ports */
    case IB_IPPROTO_ICMP:
        return 6; /* type, code, checksum, identifier */
    default:
        return 0;
    }
}

uint16_t ib_nat_port(const uint8_t *ip, enum nat_end end)
{
    const uint8_t *l4 = ip + (size_t)(ip[0] & 0x0f) * 4;
    /* RFC 5508 §3.1: an ICMP query's identifier plays both ports' part. */
    if (ip[9] == IB_IPPROTO_ICMP) return ib_get16(l4 + 4);
    return ib_get16(l4 + (end == NAT_SRC ? 0 : 2));
}

void ib_nat_rewrite(uint8_t *ip, size_t len, enum nat_end end, ib_ip4 addr, uint16_t port)
{
    size_t hlen = (size_t)(ip[0] & 0x0f) * 4;
    uint8_t *l4 = ip + hlen;
    size_t l4len = len - hlen;
    uint8_t *a = ip + (end == NAT_SRC ? 12 : 16);
    uint8_t *pf = l4 + (end == NAT_SRC ? 0 : 2);
    uint8_t *csum = NULL;
    bool pseudo = true;
    switch (ip[9]) {
    case IB_IPPROTO_TCP:
        if (l4len >= 18) csum = l4 + 16;
        break;
    case IB_IPPROTO_UDP:
        /* RFC 768: a zero checksum means none was computed; it stays so. */
        if (l4len >= 8 && ib_get16(l4 + 6)) csum = l4 + 6;
        break;
    default:
        /* ICMP's checksum covers its message only (RFC 792). */
        pf = l4 + 4;
        if (l4len >= 4) csum = l4 + 2;
        pseudo = false;
        break;
    }
    /* RFC 768, RFC 9293 §3.1: the TCP and UDP checksums cover a
     * pseudo-header holding both addresses. */
    if (csum && pseudo) ib_put16(csum, ib_csum_update32(ib_get16(csum), ib_get32(a), addr));
    ib_nat_put32(a, addr, ip + 10);
    nat_put16(pf, port, csum);
    /* RFC 768: a computed zero is sent as all ones (zero means "none"). */
    if (csum && ip[9] == IB_IPPROTO_UDP && ib_get16(csum) == 0) ib_put16(csum, 0xffff);
}

/* Bytes of transport header the NAT reads and rewrites in a datagram of
 * proto: TCP up to its flags and checksum, the UDP and ICMP headers. */
static size_t nat_min_len(uint8_t proto)
{
    switch (proto) {
    case IB_IPPROTO_TCP:
        return 20;
    case IB_IPPROTO_UDP:
    case IB_IPPROTO_ICMP:
        return 8;
    default:
        return 0;
    }
}

static enum ib_drop nat_truncated(uint8_t proto)
{
    return proto == IB_IPPROTO_TCP   ? IB_DROP_TCP_TRUNCATED
           : proto == IB_IPPROTO_UDP ? IB_DROP_UDP_TRUNCATED
                                     : IB_DROP_ICMP_TRUNCATED;
}

/* RFC 791 §3.2, RFC 6864: the ID of a datagram that may be fragmented
 * (DF clear) must be unique for its source, destination and protocol
 * while its fragments may live. Behind the NAT every inside host sends
 * from the one public address and their counters would collide there
 * (RFC 4963), so such a datagram takes the router's. */
static void nat_new_id(struct ib_stack *s, uint8_t *ip)
{
    if (ib_get16(ip + 6) & IB_IP4_DF) return;
    nat_put16(ip + 4, s->ip_id++, ip + 10);
}

/* Source translation of a datagram from an inside endpoint toward h->dst
 * (p unshared, whole, its transport header within p->len). Returns 0 or a
 * drop reason. */
static enum ib_drop nat_out(struct ib_nat *n, struct ib_pkt *p, const struct ib_ip4_hdr *h,
                            ib_ip4 pub)
{
    uint8_t *b = p->data;
    uint16_t sport = ib_nat_port(b, NAT_SRC);
    struct nat_map *m = ib_nat_find_in(n, h->proto, h->src, sport);
    bool fresh = !m;
    enum ib_drop reason = IB_DROP_NONE;
    /* RFC 4787 REQ-1, RFC 5382 REQ-1: endpoint-independent mapping, the
     * same public port whatever the destination. */
    if (!m && !(m = ib_nat_map_new(n, h->proto, h->src, sport, &reason))) return reason;
    bool tcp = h->proto == IB_IPPROTO_TCP, believed = true;
    m->peer_addr = h->dst;
    m->peer_port = h->proto == IB_IPPROTO_ICMP ? 0 : ib_nat_port(b, NAT_DST);
    /* A static mapping lets everyone in: only its TCP connections need
     * remembering. */
    if (tcp || m->cls != NAT_CLS_STATIC) {
        struct nat_peer *pe = ib_nat_peer_get(n, m, h->dst, tcp ? m->peer_port : 0, true);
        if (!pe) {
            if (fresh) ib_nat_touch(n, m); /* placed, so that it expires */
            return IB_DROP_NOMEM;
        }
        if (tcp) believed = ib_nat_tcp_track(m, pe, b + h->hlen, p->len - h->hlen, NAT_DIR_OUT);
    }
    /* RFC 4787 REQ-6: outbound traffic refreshes the mapping. */
    if (believed || fresh) ib_nat_touch(n, m);
    nat_new_id(n->s, b);
    ib_nat_rewrite(b, p->len, NAT_SRC, pub, m->pub_port);
    n->stats.out++;
    if (fresh) ib_nat_event(n, IB_NAT_MAP, m, p, m->peer_addr, m->peer_port);
    ib_nat_event(n, IB_NAT_OUT, m, p, m->peer_addr, m->peer_port);
    return IB_DROP_NONE;
}

/* Destination translation of a datagram to m's public port (p unshared). */
static void nat_in(struct ib_nat *n, struct nat_map *m, struct ib_pkt *p, struct ib_ip4_hdr *h)
{
    uint8_t *b = p->data;
    bool believed = true;
    m->peer_addr = h->src;
    m->peer_port = h->proto == IB_IPPROTO_ICMP ? 0 : ib_nat_port(b, NAT_SRC);
    if (h->proto == IB_IPPROTO_TCP) {
        /* From outside only a SYN opens a connection; other segments are
         * followed on the connection they belong to, when there is one. */
        const uint8_t *t = b + h->hlen;
        struct nat_peer *pe = ib_nat_peer_get(n, m, h->src, m->peer_port, t[13] & IB_TCP_SYN);
        if (pe) believed = ib_nat_tcp_track(m, pe, t, p->len - h->hlen, NAT_DIR_IN);
    } else if (m->cls != NAT_CLS_STATIC) {
        ib_nat_peer_get(n, m, h->src, 0, false); /* the sender stays remembered */
    }
    /* RFC 4787 REQ-6 lets inbound traffic refresh too ("MAY"); a TCP
     * connection idle only one way is not idle (RFC 5382 §5). */
    if (believed) ib_nat_touch(n, m);
    ib_nat_rewrite(b, p->len, NAT_DST, m->in_addr, m->in_port);
    h->dst = m->in_addr;
    n->stats.in++;
    ib_nat_event(n, IB_NAT_IN, m, p, m->peer_addr, m->peer_port);
}

struct ib_pkt *ib_nat_unshare(struct ib_stack *s, struct ib_netif *nif, struct ib_pkt **pp)
{
    *pp = ib_pkt_unshare(*pp);
    if (!*pp) ib_drop(&s->node, nif, NULL, IB_DROP_NOMEM); /* unshare released it */
    return *pp;
}

/* Replaces a fragment by the whole datagram once reassembled (h parsed
 * again); false when it was held or dropped. */
static bool nat_reassemble(struct ib_stack *s, struct ib_netif *nif, struct ib_pkt **pp,
                           struct ib_ip4_hdr *h)
{
    struct ib_pkt *p = ib_reass_add(s, nif, *pp, h);
    *pp = p;
    if (!p) return false;
    int r = ib_ip4_parse(p->data, p->len, h);
    if (r) {
        ib_drop(&s->node, nif, p, (enum ib_drop)r);
        return false;
    }
    return true;
}

/* RFC 4787 §5, RFC 5382 REQ-4 a): from outside, the inside is reached
 * through mappings only; a datagram to an address the router would
 * forward inward would bypass them. */
static bool nat_bypass(struct ib_stack *s, const struct ib_nat *n, const struct ib_ip4_hdr *h)
{
    if (ib_ip4_is_local(s, h->dst)) return false;
    const struct ib_route *rt = ib_fib_lookup(&s->fib, h->dst);
    return rt && rt->ifindex < s->n_nifs && s->nifs[rt->ifindex] != n->outside;
}

enum ib_nat_verdict ib_nat_input(struct ib_stack *s, struct ib_netif *nif, struct ib_pkt **pp,
                                 struct ib_ip4_hdr *h)
{
    struct ib_nat *n = s->nat;
    ib_ip4 pub = n->outside->addr;
    /* RFC 4787 REQ-9, RFC 5382 REQ-8: an inside host may reach another
     * through its public endpoint (hairpinning). */
    bool hairpin = nif != n->outside;
    if (!pub || h->dst != pub) {
        if (hairpin || !nat_bypass(s, n, h)) return IB_NAT_PASS;
        ib_drop(&s->node, nif, *pp, IB_DROP_NAT_TO_INSIDE);
        return IB_NAT_CONSUMED;
    }
    if (ib_ip4_is_fragment(h) && !nat_reassemble(s, nif, pp, h)) return IB_NAT_CONSUMED;
    struct ib_pkt *p = *pp;
    size_t min = nat_min_len(h->proto);
    /* Too short to translate: local delivery drops it with the reason. */
    if (!min || p->len < h->hlen + min) return IB_NAT_PASS;
    if (h->proto == IB_IPPROTO_ICMP) {
        uint8_t type = p->data[h->hlen];
        if (ib_nat_icmp_is_error(type))
            return hairpin ? ib_nat_icmp_err_hairpin(n, nif, pp, h)
                           : ib_nat_icmp_err_in(n, nif, pp, h);
        /* RFC 5508 §3.1: replies come back to a query mapping; requests to
         * the public address are for the router, which answers pings. */
        if (!ib_nat_icmp_is_query(type, false) || hairpin) return IB_NAT_PASS;
    }
    uint16_t dport = ib_nat_port(p->data, NAT_DST), sport = ib_nat_port(p->data, NAT_SRC);
    struct nat_map *m = ib_nat_find_pub(n, h->proto, dport);
    /* A datagram for exactly one of the router's own sockets is the
     * router's, whatever mapping shares the port. */
    if (m && ib_nat_local_exact(s, h->proto, pub, dport, h->src, sport)) return IB_NAT_PASS;
    if (!m) {
        if (hairpin || h->proto == IB_IPPROTO_ICMP ||
            ib_nat_local_endpoint(s, h->proto, pub, dport, h->src, sport))
            return IB_NAT_PASS;
        /* RFC 4787 §5, RFC 5382 REQ-4 a): unsolicited inbound is dropped
         * silently (no ICMP: the home router's security policy). */
        ib_drop(&s->node, nif, p, IB_DROP_NAT_NO_MAPPING);
        return IB_NAT_CONSUMED;
    }
    if (!(p = ib_nat_unshare(s, nif, pp))) return IB_NAT_CONSUMED;
    /* RFC 4787 REQ-9 b): a hairpinned datagram is first translated out,
     * so the target sees the sender's public endpoint (and the sender's
     * mapping learns the public address as a peer, as it would at a NAT
     * of its own). */
    enum ib_drop r = hairpin ? nat_out(n, p, h, pub) : IB_DROP_NONE;
    if (hairpin && !r) h->src = pub;
    /* RFC 4787 REQ-8, RFC 5382 REQ-3: address-dependent filtering. What
     * the mapping refuses is a new flow, which a socket of the router's
     * on that port may take. */
    if (!r && !ib_nat_peer_allowed(n, m, h->src)) {
        if (!hairpin && ib_nat_local_endpoint(s, h->proto, pub, dport, h->src, sport))
            return IB_NAT_PASS;
        r = IB_DROP_NAT_NO_MAPPING;
    }
    if (r) {
        ib_drop(&s->node, nif, p, r);
        return IB_NAT_CONSUMED;
    }
    nat_in(n, m, p, h);
    return IB_NAT_FORWARD;
}

struct ib_pkt *ib_nat_output(struct ib_stack *s, struct ib_netif *in, struct ib_netif *out,
                             struct ib_pkt *p, const struct ib_ip4_hdr *h)
{
    struct ib_nat *n = s->nat;
    if (out != n->outside || in == out) return p;
    if (!in) {
        /* Our own datagrams already carry the public address; only an
         * error quoting a datagram we translated inward needs rewriting. */
        if (h->proto == IB_IPPROTO_ICMP && p->len >= h->hlen + IB_ICMP_HLEN &&
            ib_nat_icmp_is_error(p->data[h->hlen]))
            return ib_nat_icmp_err_out(n, NULL, p, h);
        return p;
    }
    struct ib_ip4_hdr whole;
    if (ib_ip4_is_fragment(h)) {
        whole = *h;
        if (!nat_reassemble(s, in, &p, &whole)) return NULL;
        h = &whole;
    }
    size_t min = nat_min_len(h->proto);
    enum ib_drop r = IB_DROP_NONE;
    /* Without a public address (its lease lost) nothing may leave: private
     * addresses must not reach the outside (RFC 1918 §3). */
    if (!min || !out->addr)
        r = IB_DROP_NAT_UNTRANSLATABLE;
    else if (p->len < h->hlen + min)
        r = nat_truncated(h->proto);
    if (!r && h->proto == IB_IPPROTO_ICMP) {
        uint8_t type = p->data[h->hlen];
        if (ib_nat_icmp_is_error(type)) return ib_nat_icmp_err_out(n, in, p, h);
        /* RFC 5508 REQ-1: queries from the inside make mappings; a reply
         * could only answer a query that was never let in. */
        if (!ib_nat_icmp_is_query(type, true)) r = IB_DROP_NAT_UNTRANSLATABLE;
    }
    if (!r) r = nat_out(n, p, h, out->addr);
    if (!r) return p;
    /* RFC 5508 REQ-8: a flow refused for lack of resources is told so. */
    if (r == IB_DROP_NAT_NO_PORTS) ib_icmp_error(s, p, IB_ICMP_DEST_UNREACH, NAT_UNREACH_ADMIN, 0);
    ib_drop(&s->node, in, p, r);
    return NULL;
}

/* UDP (RFC 768, RFC 1122 §4.1): the 8-byte header, the checksum over the
 * IPv4 pseudo-header, demultiplexing to bound endpoints (an endpoint bound
 * to the destination address beats one bound to any address), ephemeral
 * ports (RFC 6335 §6), ICMP port unreachable for datagrams nobody waits
 * for, and delivery of ICMP errors to the endpoint that sent the quoted
 * datagram. */
#include "inetbox/udp.h"

#include "inetbox/cksum.h"
#include "inetbox/nat.h"
#include "inetbox/stack.h"

/* RFC 6335 §6: the dynamic (ephemeral) port range. */
#define UDP_EPHEMERAL_MIN 49152u

int ib_udp_parse(const uint8_t *b, size_t len, ib_ip4 src, ib_ip4 dst, struct ib_udp_hdr *h)
{
    if (len < IB_UDP_HLEN)
        return IB_DROP_UDP_TRUNCATED;
    h->sport = ib_get16(b);
    h->dport = ib_get16(b + 2);
    h->len = ib_get16(b + 4);
    h->csum = ib_get16(b + 6);
    /* RFC 768: "Length is the length in octets of this user datagram
     * including this header and the data" (so at least 8), and it cannot
     * claim more than IP carried. */
    if (h->len < IB_UDP_HLEN || h->len > len)
        return IB_DROP_UDP_BAD_LENGTH;
    /* RFC 768: "An all zero transmitted checksum value means that the
     * transmitter generated no checksum"; RFC 1122 §4.1.3.4: otherwise a
     * datagram with a bad checksum MUST be discarded. */
    if (h->csum != 0 &&
        ib_csum_fold(ib_csum_partial(b, h->len,
                                     ib_csum_pseudo4(src, dst, IB_IPPROTO_UDP, h->len))) != 0)
        return IB_DROP_UDP_BAD_CHECKSUM;
    return 0;
}

void ib_udp_emit(const struct ib_udp_hdr *h, uint8_t *b, size_t len, ib_ip4 src, ib_ip4 dst)
{
    ib_put16(b, h->sport);
    ib_put16(b + 2, h->dport);
    ib_put16(b + 4, h->len);
    ib_put16(b + 6, 0);
    uint16_t c = ib_csum_fold(
        ib_csum_partial(b, len, ib_csum_pseudo4(src, dst, IB_IPPROTO_UDP, h->len)));
    /* RFC 768: "If the computed checksum is zero, it is transmitted as all
     * ones" (zero would mean "no checksum"). */
    ib_put16(b + 6, c ? c : 0xffff);
}

static void udp_trace(struct ib_stack *s, enum ib_ev_kind kind, const struct ib_netif *nif,
                      const struct ib_pkt *p)
{
    struct ib_env *env = s->node.env;
    if (ib_tracing(env)) {
        struct ib_event ev;
        ib_event_init(&ev, env, kind, 4, &s->node, nif, p);
        ib_emit(env, &ev);
    }
}

/* The endpoint for (dst, dport) arriving on nif (NULL: wherever): one
 * bound to dst itself is more specific than one bound to any address. An
 * endpoint bound to another address or tied to another interface never
 * matches (a broadcast reaches only wildcard endpoints, as in BSD). */
static struct ib_udp_pcb *udp_lookup(const struct ib_stack *s, const struct ib_netif *nif,
                                     ib_ip4 dst, uint16_t dport)
{
    struct ib_udp_pcb *any = NULL;
    for (struct ib_udp_pcb *u = s->udp; u; u = u->next) {
        if (u->lport != dport || (nif && u->nif && u->nif != nif))
            continue;
        if (u->laddr == dst)
            return u;
        if (u->laddr == IB_IP4_ANY)
            any = u;
    }
    return any;
}

void ib_udp_input(struct ib_stack *s, struct ib_netif *nif, struct ib_pkt *p,
                  const struct ib_ip4_hdr *ip)
{
    struct ib_udp_hdr h;
    s->udp_stats.in++;
    int r = ib_udp_parse(p->data, p->len, ip->src, ip->dst, &h);
    if (r) {
        ib_drop(&s->node, nif, p, r);
        return;
    }
    udp_trace(s, IB_EV_UDP_RX, nif, p);
    struct ib_udp_pcb *u = udp_lookup(s, nif, ip->dst, h.dport);
    if (!u || !u->recv) {
        /* RFC 1122 §4.1.3.1: "If a datagram arrives addressed to a UDP port
         * for which there is no pending LISTEN call, UDP SHOULD send an
         * ICMP Port Unreachable message." ICMP decides whether it may (not
         * for broadcasts, RFC 1122 §3.2.2); it quotes from the IP header,
         * which is still in the buffer just before ours. */
        if (ib_pkt_push(p, ip->hlen)) {
            ib_icmp_error(s, p, IB_ICMP_DEST_UNREACH, IB_ICMP_UNREACH_PORT, 0);
            ib_pkt_pull(p, ip->hlen);
        }
        ib_drop(&s->node, nif, p, IB_DROP_UDP_NO_LISTENER);
        return;
    }
    /* Bytes after the UDP length (IP carried more) are not the user's. */
    ib_pkt_trim(p, h.len);
    ib_pkt_pull(p, IB_UDP_HLEN);
    u->recv(u, ip->src, h.sport, p);
}

/* A port is taken for laddr by an endpoint bound to the same address;
 * with laddr 0 (choosing an ephemeral port) by any endpoint. A wildcard and
 * a specific binding of one port may coexist: the specific one receives
 * what is addressed to it (udp_lookup). */
static bool udp_port_taken(const struct ib_stack *s, ib_ip4 laddr, uint16_t lport, bool any)
{
    for (const struct ib_udp_pcb *u = s->udp; u; u = u->next)
        if (u->lport == lport && (any || u->laddr == laddr))
            return true;
    return false;
}

int ib_udp_bind(struct ib_stack *s, struct ib_udp_pcb *u, ib_ip4 laddr, uint16_t lport)
{
    if (lport == 0) {
        /* RFC 6335 §6: ephemeral ports come from 49152-65535; the cursor
         * walks the range and skips ports in use (RFC 6056 §3.3.2's
         * simple port selection), a NAT mapping's public ports included:
         * their replies would be translated toward the inside. */
        uint32_t range = 65536 - UDP_EPHEMERAL_MIN;
        for (uint32_t i = 0; i < range && lport == 0; i++) {
            uint16_t cand = s->next_port < UDP_EPHEMERAL_MIN ? UDP_EPHEMERAL_MIN : s->next_port;
            s->next_port = (uint16_t)(cand + 1); /* 65535 wraps to 0: below the range */
            if (!udp_port_taken(s, laddr, cand, true) &&
                !ib_nat_port_taken(s, IB_IPPROTO_UDP, cand))
                lport = cand;
        }
        if (lport == 0)
            return IB_ERR_INUSE;
    } else if (udp_port_taken(s, laddr, lport, false)) {
        return IB_ERR_INUSE;
    }
    u->stack = s;
    u->laddr = laddr;
    u->lport = lport;
    u->nif = NULL;
    u->next = s->udp;
    s->udp = u;
    return 0;
}

int ib_udp_bind_netif(struct ib_stack *s, struct ib_udp_pcb *u, struct ib_netif *nif,
                      uint16_t lport)
{
    if (nif->node != &s->node)
        return IB_ERR_INVAL;
    int err = ib_udp_bind(s, u, IB_IP4_ANY, lport);
    if (!err)
        u->nif = nif;
    return err;
}

void ib_udp_close(struct ib_udp_pcb *u)
{
    if (!u->stack)
        return;
    for (struct ib_udp_pcb **pp = &u->stack->udp; *pp; pp = &(*pp)->next) {
        if (*pp == u) {
            *pp = u->next;
            break;
        }
    }
    u->next = NULL;
    u->stack = NULL;
}

int ib_udp_sendto(struct ib_udp_pcb *u, struct ib_pkt *p, ib_ip4 dst, uint16_t dport, uint8_t ttl)
{
    struct ib_stack *s = u->stack;
    if (!s) {
        /* Not bound: there is no stack whose counters could record it. */
        ib_pkt_free(p);
        return IB_ERR_INVAL;
    }
    /* RFC 768: the length field is 16 bits; IP adds its header to that. */
    if ((size_t)p->len + IB_UDP_HLEN > IB_IP4_MAX_LEN - IB_IP4_HLEN) {
        ib_drop(&s->node, NULL, p, IB_DROP_UDP_BAD_LENGTH);
        return IB_ERR_TOOBIG;
    }
    uint8_t *b = ib_pkt_push(p, IB_UDP_HLEN);
    if (!b) {
        ib_drop(&s->node, NULL, p, IB_DROP_NOMEM);
        return IB_ERR_NOMEM;
    }
    /* The checksum covers the pseudo-header, so the source address must be
     * known now: the bound one, else the one IP will pick toward dst (0
     * when there is no route; IP then drops the datagram). */
    ib_ip4 src = u->laddr                              ? u->laddr
                 : u->nif && dst == IB_IP4_BROADCAST ? u->nif->addr
                                                     : ib_ip4_source_for(s, dst);
    struct ib_udp_hdr h = {
        .sport = u->lport, .dport = dport, .len = (uint16_t)p->len};
    ib_udp_emit(&h, b, p->len, src, dst);
    if (!p->journey)
        p->journey = ib_journey_new(s->node.env);
    s->udp_stats.out++;
    udp_trace(s, IB_EV_UDP_TX, NULL, p);
    struct ib_ip4_tx tx = {
        .src = src, .dst = dst, .proto = IB_IPPROTO_UDP, .ttl = ttl, .nif = u->nif};
    return ib_ip4_output(s, p, &tx);
}

void ib_udp_icmp_error(struct ib_stack *s, ib_ip4 from, uint8_t type, uint8_t code,
                       const uint8_t *quoted, size_t len)
{
    /* RFC 792: the quote holds the IP header and the first 8 bytes of the
     * datagram, i.e. the whole UDP header. */
    if (len < IB_IP4_HLEN)
        return;
    size_t hlen = (size_t)(quoted[0] & 0xf) * 4;
    if (hlen < IB_IP4_HLEN || len < hlen + IB_UDP_HLEN)
        return;
    ib_ip4 src = ib_get32(quoted + 12), dst = ib_get32(quoted + 16);
    const uint8_t *uh = quoted + hlen;
    struct ib_udp_pcb *u = udp_lookup(s, NULL, src, ib_get16(uh));
    if (u && u->err)
        u->err(u, from, type, code, dst, ib_get16(uh + 2));
}

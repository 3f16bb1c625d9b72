/* Ethernet II framing (DIX Ethernet II type field, RFC 894 for IPv4).
 *
 * Input filters on the destination MAC the way a NIC without promiscuous
 * mode does (own address, broadcast, multicast), rejects group source
 * addresses, pulls the 14-byte header and hands the payload to ARP or IPv4.
 * Output pushes the header in the packet's headroom and pads short frames
 * to the 60-byte minimum (64 with the FCS the driver leaves out). */
#include "inetbox/eth.h"

#include "inetbox/arp.h"
#include "inetbox/ipv4.h"
#include "inetbox/netif.h"
#include "inetbox/node.h"

int ib_eth_parse(const uint8_t *b, size_t len, struct ib_eth_hdr *h)
{
    if (len < IB_ETH_HLEN)
        return IB_DROP_ETH_TRUNCATED;
    memcpy(h->dst.b, b, 6);
    memcpy(h->src.b, b + 6, 6);
    h->type = ib_get16(b + 12);
    return 0;
}

void ib_eth_emit(const struct ib_eth_hdr *h, uint8_t *b)
{
    memcpy(b, h->dst.b, 6);
    memcpy(b + 6, h->src.b, 6);
    ib_put16(b + 12, h->type);
}

void ib_eth_input(struct ib_netif *nif, struct ib_pkt *p)
{
    struct ib_node *node = nif->node;
    struct ib_eth_hdr h;
    int err = ib_eth_parse(p->data, p->len, &h);
    if (err) {
        ib_drop(node, nif, p, (enum ib_drop)err);
        return;
    }
    uint16_t flags = 0;
    if (ib_mac_is_broadcast(&h.dst))
        flags = IB_PKT_F_LINK_BCAST;
    else if (ib_mac_is_multicast(&h.dst))
        flags = IB_PKT_F_LINK_MCAST;
    else if (!ib_mac_eq(&h.dst, &nif->mac)) {
        ib_drop(node, nif, p, IB_DROP_ETH_NOT_FOR_US);
        return;
    }
    /* IEEE 802.3 §3.2.3: a source address is always an individual address. */
    if (ib_mac_is_multicast(&h.src)) {
        ib_drop(node, nif, p, IB_DROP_ETH_BAD_SRC);
        return;
    }
    if (h.type != IB_ETHERTYPE_ARP && h.type != IB_ETHERTYPE_IP4) {
        ib_drop(node, nif, p, IB_DROP_ETH_UNKNOWN_TYPE);
        return;
    }
    /* A switch floods one packet by reference; pulling the header moves the
     * shared data pointer, so a frame others still hold is copied first. */
    if (p->refs > 1) {
        struct ib_pkt *c = ib_pkt_clone(p);
        if (!c) {
            ib_drop(node, nif, p, IB_DROP_NOMEM);
            return;
        }
        ib_pkt_free(p);
        p = c;
    }
    p->flags = (uint16_t)((p->flags & ~(IB_PKT_F_LINK_BCAST | IB_PKT_F_LINK_MCAST)) | flags);
    if (ib_tracing(node->env)) {
        struct ib_event ev;
        ib_event_init(&ev, node->env, IB_EV_ETH_RX, 2, node, nif, p);
        ib_emit(node->env, &ev);
    }
    ib_pkt_pull(p, IB_ETH_HLEN);
    if (h.type == IB_ETHERTYPE_ARP)
        ib_arp_input(nif, p);
    else
        ib_ip4_input(nif, p);
}

void ib_eth_output(struct ib_netif *nif, struct ib_pkt *p, const struct ib_mac *dst,
                   uint16_t type)
{
    struct ib_node *node = nif->node;
    size_t pad = p->len < IB_ETH_MIN_FRAME - IB_ETH_HLEN ? IB_ETH_MIN_FRAME - IB_ETH_HLEN - p->len : 0;
    if (ib_pkt_headroom(p) < IB_ETH_HLEN || ib_pkt_tailroom(p) < pad) {
        /* Only a packet built without the usual headroom gets here; give it
         * a buffer that has room rather than dropping it. */
        struct ib_pkt *c = ib_pkt_alloc(p->pool, IB_PKT_HEADROOM, p->len);
        if (!c) {
            ib_drop(node, nif, p, IB_DROP_NOMEM);
            return;
        }
        memcpy(c->data, p->data, p->len);
        c->journey = p->journey;
        c->flags = p->flags;
        ib_pkt_free(p);
        p = c;
    }
    /* RFC 894: frames shorter than the minimum are padded; the padding is
     * not part of the IP datagram (its total length says where it ends). */
    if (pad)
        memset(ib_pkt_put(p, pad), 0, pad);
    struct ib_eth_hdr h = {.dst = *dst, .src = nif->mac, .type = type};
    ib_eth_emit(&h, ib_pkt_push(p, IB_ETH_HLEN));
    if (ib_tracing(node->env)) {
        struct ib_event ev;
        ib_event_init(&ev, node->env, IB_EV_ETH_TX, 2, node, nif, p);
        ib_emit(node->env, &ev);
    }
    ib_netif_xmit(nif, p);
}

/* A network interface: the meeting point of a node and a driver. The node
 * sets `input` (Ethernet input for a stack, bridge input for a switch port);
 * the driver (a simulated link end, a TAP device, a test harness) sets `ops`
 * and delivers received frames with ib_netif_receive(). */
#ifndef INETBOX_NETIF_H
#define INETBOX_NETIF_H

#include "inetbox/arp.h"
#include "inetbox/pkt.h"

struct ib_netif;
struct ib_node;

struct ib_netif_ops {
    /* Sends one Ethernet frame (data at the Ethernet header; no FCS). Takes
     * the caller's reference to p. */
    void (*xmit)(struct ib_netif *nif, struct ib_pkt *p);
};

typedef void (*ib_netif_input_fn)(struct ib_netif *nif, struct ib_pkt *p);

#define IB_IFNAME_MAX 16

struct ib_netif_stats {
    uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
};

struct ib_netif {
    char name[IB_IFNAME_MAX];
    struct ib_mac mac;
    ib_ip4 addr; /* 0 while unconfigured */
    uint8_t plen;
    bool up;
    uint16_t index; /* position in the owner's interface list */
    uint16_t mtu; /* largest IPv4 datagram the link carries */
    struct ib_node *node;
    ib_netif_input_fn input;
    const struct ib_netif_ops *ops;
    void *drv;
    struct ib_arp_cache arp;
    struct ib_netif_stats stats;
};

void ib_netif_init(struct ib_netif *nif, struct ib_node *node, const char *name,
                   const struct ib_mac *mac);

/* Driver side: a frame arrived. */
static inline void ib_netif_receive(struct ib_netif *nif, struct ib_pkt *p)
{
    nif->stats.rx_frames++;
    nif->stats.rx_bytes += p->len;
    nif->input(nif, p);
}

/* Node side: hand a frame to the driver (drops it if the interface is down
 * or has no driver). */
void ib_netif_xmit(struct ib_netif *nif, struct ib_pkt *p);

static inline ib_ip4 ib_netif_broadcast(const struct ib_netif *nif)
{
    return nif->addr | ~ib_ip4_mask(nif->plen);
}
static inline bool ib_netif_on_link(const struct ib_netif *nif, ib_ip4 a)
{
    return nif->addr && ((a ^ nif->addr) & ib_ip4_mask(nif->plen)) == 0;
}

#endif

/* Network interfaces: the seam between a node and its driver. A node hands
 * frames down with ib_netif_xmit(); an interface that is down or has no
 * driver yet drops them (counted, traced) instead of losing them silently. */
#include "inetbox/netif.h"

#include "inetbox/node.h"

#include <stdio.h>

void ib_netif_init(struct ib_netif *nif, struct ib_node *node, const char *name,
                   const struct ib_mac *mac)
{
    memset(nif, 0, sizeof(*nif));
    snprintf(nif->name, sizeof(nif->name), "%s", name ? name : "");
    if (mac)
        nif->mac = *mac;
    /* RFC 894: the Ethernet MTU for IPv4 is 1500 bytes. */
    nif->mtu = 1500;
    nif->up = true;
    nif->node = node;
    ib_arp_cache_init(&nif->arp);
}

void ib_netif_xmit(struct ib_netif *nif, struct ib_pkt *p)
{
    if (!nif->up || !nif->ops) {
        ib_drop(nif->node, nif, p, IB_DROP_LINK_DOWN);
        return;
    }
    nif->stats.tx_frames++;
    nif->stats.tx_bytes += p->len;
    nif->ops->xmit(nif, p);
}

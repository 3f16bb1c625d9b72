/* Ethernet II framing (IEEE 802.3 with DIX Ethernet II type field). */
#ifndef INETBOX_ETH_H
#define INETBOX_ETH_H

#include "inetbox/pkt.h"

#define IB_ETH_HLEN 14u
#define IB_ETH_MIN_FRAME 60u /* without FCS; shorter frames are padded */
#define IB_ETHERTYPE_IP4 0x0800u
#define IB_ETHERTYPE_ARP 0x0806u

struct ib_eth_hdr {
    struct ib_mac dst, src;
    uint16_t type;
};

/* Returns 0, or a drop reason (IB_DROP_ETH_TRUNCATED). */
int ib_eth_parse(const uint8_t *b, size_t len, struct ib_eth_hdr *h);
/* Writes the 14-byte header. */
void ib_eth_emit(const struct ib_eth_hdr *h, uint8_t *b);

struct ib_netif;
/* Input function for a stack's interface: filters by destination MAC,
 * pulls the header and hands the payload to ARP or IPv4. */
void ib_eth_input(struct ib_netif *nif, struct ib_pkt *p);
/* Pushes an Ethernet header (src = nif's MAC), pads to the 60-byte minimum
 * and transmits. */
void ib_eth_output(struct ib_netif *nif, struct ib_pkt *p, const struct ib_mac *dst,
                   uint16_t type);

#endif

/* An IEEE 802.1D learning bridge (a switch): learns source MACs per port,
 * forwards known unicast to one port, floods broadcast, multicast and
 * unknown unicast to all others. Entries age out (802.1D §7.9.2, default
 * 300 s); aging is checked on lookup, so an idle switch arms no timer. */
#ifndef INETBOX_BRIDGE_H
#define INETBOX_BRIDGE_H

#include "inetbox/netif.h"
#include "inetbox/node.h"

#define IB_BRIDGE_MAX_PORTS 64

struct ib_bridge_entry {
    struct ib_mac mac;
    uint8_t port; /* 0xff: free */
    ib_time seen;
};

struct ib_bridge_stats {
    uint64_t forwarded, flooded, learned;
};

struct ib_bridge {
    struct ib_node node; /* first: a bridge is a node */
    struct ib_netif *ports[IB_BRIDGE_MAX_PORTS];
    uint8_t n_ports;
    ib_time aging;
    struct ib_bridge_entry *table; /* open addressing, allocated on first use */
    uint32_t table_cap, table_n;
    uint32_t max_entries;
    ib_time full_until; /* table full: no entry can age out before this */
    struct ib_bridge_stats stats;
};

void ib_bridge_init(struct ib_bridge *b, struct ib_env *env, const char *name, uint32_t id,
                    uint64_t seed);
void ib_bridge_destroy(struct ib_bridge *b);
/* Attaches a port (set up by the caller, which keeps ownership). */
int ib_bridge_add_port(struct ib_bridge *b, struct ib_netif *port);
/* The port a MAC was learned on, or -1 if unknown or aged out. */
int ib_bridge_lookup(struct ib_bridge *b, const struct ib_mac *mac);

#endif

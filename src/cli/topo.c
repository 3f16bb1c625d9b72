/* The built-in topology, written as tables so it reads like the scenario
 * file that will replace it:
 *
 *   h1 --+                                          +-- h3
 *        sw1 -- r1 ==== 100 Mbit/s, 10 ms ==== r2 -- sw2
 *   h2 --+      (MTU 1400 on the r1-r2 link)        +-- h4
 *
 * LAN A 10.0.1.0/24, the r1-r2 link 10.0.0.0/30, LAN B 10.0.2.0/24. LAN
 * links run at 1 Gbit/s with 50 us of propagation delay. */
#include "topo.h"

#include <string.h>

enum { LAN, WAN };

static const struct {
    const char *name;
    enum ib_node_kind kind;
} topo_nodes[] = {
    {"h1", IB_NODE_HOST},   {"h2", IB_NODE_HOST},   {"sw1", IB_NODE_SWITCH}, {"r1", IB_NODE_ROUTER},
    {"r2", IB_NODE_ROUTER}, {"sw2", IB_NODE_SWITCH}, {"h3", IB_NODE_HOST},   {"h4", IB_NODE_HOST},
};

static const struct {
    const char *a, *b;
    int kind;
} topo_links[] = {
    {"h1:eth0", "sw1:p1", LAN}, {"h2:eth0", "sw1:p2", LAN},  {"r1:eth0", "sw1:p3", LAN},
    {"r1:eth1", "r2:eth0", WAN}, {"h3:eth0", "sw2:p1", LAN}, {"h4:eth0", "sw2:p2", LAN},
    {"r2:eth1", "sw2:p3", LAN},
};

static const struct {
    const char *ep, *addr;
} topo_addrs[] = {
    {"h1:eth0", "10.0.1.10/24"}, {"h2:eth0", "10.0.1.11/24"}, {"r1:eth0", "10.0.1.1/24"},
    {"r1:eth1", "10.0.0.1/30"},  {"r2:eth0", "10.0.0.2/30"},  {"r2:eth1", "10.0.2.1/24"},
    {"h3:eth0", "10.0.2.10/24"}, {"h4:eth0", "10.0.2.11/24"},
};

static const struct {
    const char *ep, *prefix, *gateway;
} topo_routes[] = {
    {"h1:eth0", "0.0.0.0/0", "10.0.1.1"},   {"h2:eth0", "0.0.0.0/0", "10.0.1.1"},
    {"h3:eth0", "0.0.0.0/0", "10.0.2.1"},   {"h4:eth0", "0.0.0.0/0", "10.0.2.1"},
    {"r1:eth1", "10.0.2.0/24", "10.0.0.2"}, {"r2:eth0", "10.0.1.0/24", "10.0.0.1"},
};

#define TOPO_WAN_MTU 1400

/* Creates the interface named by endpoint "node:ifname". */
static struct ib_netif *topo_netif(struct ib_world *w, const char *ep)
{
    char node[IB_NAME_MAX];
    const char *colon = strchr(ep, ':');
    if (!colon || (size_t)(colon - ep) >= sizeof(node))
        return NULL;
    size_t n = (size_t)(colon - ep);
    memcpy(node, ep, n);
    node[n] = '\0';
    struct ib_node *nd = ib_world_node(w, node);
    return nd ? ib_world_add_netif(w, nd, colon + 1) : NULL;
}

int topo_build(struct ib_world *w, const struct topo_impair *imp)
{
    for (size_t i = 0; i < IB_ARRAY_LEN(topo_nodes); i++) {
        const char *name = topo_nodes[i].name;
        bool ok;
        switch (topo_nodes[i].kind) {
        case IB_NODE_HOST:
            ok = ib_world_add_host(w, name) != NULL;
            break;
        case IB_NODE_ROUTER:
            ok = ib_world_add_router(w, name) != NULL;
            break;
        default:
            ok = ib_world_add_switch(w, name) != NULL;
            break;
        }
        if (!ok)
            return IB_ERR_NOMEM;
    }

    struct ib_link_params lan = ib_link_defaults;
    lan.rate_bps = 1000000000;
    lan.delay = IB_US(50);
    struct ib_link_params wan = ib_link_defaults;
    wan.rate_bps = 100000000;
    wan.delay = IB_MS(10);
    wan.loss = imp->loss;
    wan.duplicate = imp->duplicate;
    wan.reorder = imp->reorder;
    wan.corrupt = imp->corrupt;

    for (size_t i = 0; i < IB_ARRAY_LEN(topo_links); i++) {
        struct ib_netif *a = topo_netif(w, topo_links[i].a);
        struct ib_netif *b = topo_netif(w, topo_links[i].b);
        if (!a || !b)
            return IB_ERR_NOMEM;
        bool is_wan = topo_links[i].kind == WAN;
        if (is_wan)
            a->mtu = b->mtu = TOPO_WAN_MTU;
        if (!ib_world_connect(w, a, b, is_wan ? &wan : &lan))
            return IB_ERR_NOMEM;
    }
    return 0;
}

int topo_configure(struct ib_world *w)
{
    for (size_t i = 0; i < IB_ARRAY_LEN(topo_addrs); i++) {
        struct ib_netif *nif = ib_world_netif(w, topo_addrs[i].ep);
        ib_ip4 a;
        unsigned plen;
        if (!nif || ib_ip4_from_str(topo_addrs[i].addr, &a, &plen) != 0)
            return IB_ERR_INVAL;
        int err = ib_stack_set_addr(ib_stack_of(nif), nif, a, (uint8_t)plen);
        if (err)
            return err;
    }
    for (size_t i = 0; i < IB_ARRAY_LEN(topo_routes); i++) {
        struct ib_netif *nif = ib_world_netif(w, topo_routes[i].ep);
        ib_ip4 prefix, gw;
        unsigned plen;
        if (!nif || ib_ip4_from_str(topo_routes[i].prefix, &prefix, &plen) != 0 ||
            ib_ip4_from_str(topo_routes[i].gateway, &gw, NULL) != 0)
            return IB_ERR_INVAL;
        int err = ib_stack_add_route(ib_stack_of(nif), prefix, (uint8_t)plen, gw, nif);
        if (err)
            return err;
    }
    return 0;
}

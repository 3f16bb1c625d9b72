/* What every node has, whatever its kind: a name, its environment, its own
 * random stream and its drop counters. Stacks (hosts, routers) and bridges
 * (switches) begin with a struct ib_node. */
#ifndef INETBOX_NODE_H
#define INETBOX_NODE_H

#include "inetbox/rng.h"
#include "inetbox/trace.h"

enum ib_node_kind { IB_NODE_HOST, IB_NODE_ROUTER, IB_NODE_SWITCH };

#define IB_NAME_MAX 32

struct ib_node {
    char name[IB_NAME_MAX];
    uint32_t id;
    enum ib_node_kind kind;
    struct ib_env *env;
    struct ib_rng rng;
    uint32_t drops[IB_DROP__COUNT];
};

void ib_node_init(struct ib_node *n, struct ib_env *env, enum ib_node_kind kind, const char *name,
                  uint32_t id, uint64_t seed);

/* The one place a packet is dropped: counts it, emits a drop event with the
 * reason (the packet's bytes from its current start) and releases it.
 * Returns IB_ERR_DROPPED so callers can `return ib_drop(...)`. */
int ib_drop(struct ib_node *n, const struct ib_netif *nif, struct ib_pkt *p, enum ib_drop reason);

const char *ib_node_kind_name(enum ib_node_kind k);

#endif

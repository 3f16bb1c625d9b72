/* The part every node shares: identity, its own random stream, and the one
 * place where packets are dropped (counted per reason, traced, released). */
#include "inetbox/node.h"

#include <stdio.h>

void ib_node_init(struct ib_node *n, struct ib_env *env, enum ib_node_kind kind, const char *name,
                  uint32_t id, uint64_t seed)
{
    memset(n, 0, sizeof(*n));
    snprintf(n->name, sizeof(n->name), "%s", name ? name : "");
    n->id = id;
    n->kind = kind;
    n->env = env;
    /* Each node's stream depends only on (seed, id), so adding a node does
     * not change the random choices of the others. */
    ib_rng_seed(&n->rng, ib_rng_derive(seed, id));
}

int ib_drop(struct ib_node *n, const struct ib_netif *nif, struct ib_pkt *p, enum ib_drop reason)
{
    if ((unsigned)reason >= IB_DROP__COUNT) reason = IB_DROP_NONE;
    n->drops[reason]++;
    if (n->env && ib_tracing(n->env)) {
        struct ib_event ev;
        ib_event_init(&ev, n->env, IB_EV_DROP, ib_drop_layer(reason), n, nif, p);
        ev.reason = reason;
        ib_emit(n->env, &ev);
    }
    if (p) ib_pkt_free(p);
    return IB_ERR_DROPPED;
}

const char *ib_node_kind_name(enum ib_node_kind k)
{
    switch (k) {
    case IB_NODE_HOST:
        return "host";
    case IB_NODE_ROUTER:
        return "router";
    case IB_NODE_SWITCH:
        return "switch";
    }
    return "unknown";
}

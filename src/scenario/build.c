/* A checked scenario made into a world, in two steps like a network being
 * cabled and then switched on. ib_scenario_build: nodes in file order,
 * each host's and router's declared interfaces in order (so MAC addresses
 * follow the file), then the links (creating the switch ports they name).
 * ib_scenario_configure: addresses and routes, so that the gratuitous ARP
 * of each address goes out on a cabled interface. Everything that can be
 * wrong in a file was caught by ib_scenario_parse; what fails here is
 * memory, reported at the line of the item being built. */
#include "inetbox/scenario.h"

#include <stdio.h>

static int build_err(const struct ib_scenario *sc, struct ib_sc_pos at, int err, char *buf,
                     size_t len)
{
    snprintf(buf, len, "%s:%u:%u: cannot build this (%s)", sc->file, at.line, at.col,
             err == IB_ERR_NOMEM ? "out of memory" : "rejected by the simulator");
    return err;
}

static struct ib_world *build_fail(struct ib_world *w, const struct ib_scenario *sc,
                                   struct ib_sc_pos at, char *buf, size_t len)
{
    build_err(sc, at, IB_ERR_NOMEM, buf, len);
    ib_world_free(w);
    return NULL;
}

static struct ib_netif *endpoint_netif(struct ib_world *w, const struct ib_scenario *sc,
                                       const struct ib_sc_endpoint *e)
{
    const struct ib_sc_node *nd = &sc->nodes[e->node];
    struct ib_node *node = ib_world_node(w, nd->name);
    if (nd->kind == IB_NODE_SWITCH)
        return ib_world_add_netif(w, node, e->ifname);
    return ib_stack_netif((struct ib_stack *)node, e->ifname);
}

struct ib_world *ib_scenario_build(const struct ib_scenario *sc, char *err, size_t errlen)
{
    struct ib_world *w = ib_world_new(sc->seed);
    if (!w) {
        snprintf(err, errlen, "%s: out of memory", sc->file);
        return NULL;
    }
    for (uint32_t i = 0; i < sc->n_nodes; i++) {
        const struct ib_sc_node *nd = &sc->nodes[i];
        struct ib_node *node;
        if (nd->kind == IB_NODE_SWITCH) {
            struct ib_bridge *b = ib_world_add_switch(w, nd->name);
            node = b ? &b->node : NULL;
        } else {
            struct ib_stack *s = nd->kind == IB_NODE_ROUTER ? ib_world_add_router(w, nd->name)
                                                            : ib_world_add_host(w, nd->name);
            node = s ? &s->node : NULL;
        }
        if (!node)
            return build_fail(w, sc, nd->pos, err, errlen);
        for (uint32_t j = 0; j < nd->n_ifaces; j++)
            if (!ib_world_add_netif(w, node, nd->ifaces[j].name))
                return build_fail(w, sc, nd->ifaces[j].pos, err, errlen);
    }
    for (uint32_t i = 0; i < sc->n_links; i++) {
        const struct ib_sc_link *l = &sc->links[i];
        struct ib_netif *a = endpoint_netif(w, sc, &l->ep[0]);
        struct ib_netif *b = endpoint_netif(w, sc, &l->ep[1]);
        if (!a || !b)
            return build_fail(w, sc, l->pos, err, errlen);
        if (l->mtu)
            a->mtu = b->mtu = l->mtu;
        if (!ib_world_connect(w, a, b, &l->params))
            return build_fail(w, sc, l->pos, err, errlen);
    }
    return w;
}

int ib_scenario_configure(const struct ib_scenario *sc, struct ib_world *w, char *err,
                          size_t errlen)
{
    for (uint32_t i = 0; i < sc->n_nodes; i++) {
        const struct ib_sc_node *nd = &sc->nodes[i];
        if (nd->kind == IB_NODE_SWITCH)
            continue;
        struct ib_stack *s = (struct ib_stack *)ib_world_node(w, nd->name);
        for (uint32_t j = 0; j < nd->n_ifaces; j++) {
            const struct ib_sc_iface *f = &nd->ifaces[j];
            int rc = f->has_addr ? ib_stack_set_addr(s, ib_stack_netif(s, f->name), f->addr, f->plen)
                                 : 0;
            if (rc)
                return build_err(sc, f->addr_pos, rc, err, errlen);
        }
        for (uint32_t j = 0; j < nd->n_routes; j++) {
            const struct ib_sc_route *r = &nd->routes[j];
            int rc = ib_stack_add_route(s, r->prefix, r->plen, r->via,
                                        ib_stack_netif(s, nd->ifaces[r->iface].name));
            if (rc)
                return build_err(sc, r->pos, rc, err, errlen);
        }
    }
    return 0;
}

/* The simulator's world: owns every node, interface and link, the event
 * queue, the packet pool and the trace bus, so a world is freed in one call
 * and two worlds never share state. Every random stream is derived from the
 * world's seed and the object's id, so adding a node or a link leaves the
 * others' random choices unchanged. Node names are found through a small open-addressing
 * index, so building a world of millions of nodes stays linear. */
#include "inetbox/world.h"

#include <stdlib.h>

/* Nodes derive their stream from (world seed, node id) themselves
 * (ib_node_init); links derive theirs from a sub-seed under an index no
 * node id (32 bits) can take, so no link shares a node's stream. */
static uint64_t link_seed(const struct ib_world *w, uint32_t id)
{
    return ib_rng_derive(ib_rng_derive(w->seed, UINT64_MAX), id);
}

/* FNV-1a: names are short, and the index only needs a fair spread. */
static uint32_t name_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

/* The index slot holding the node named s[0..n), or the empty slot where it
 * would go. */
static uint32_t *name_slot(const struct ib_world *w, const char *s, size_t n)
{
    uint32_t mask = w->cap_names - 1;
    for (uint32_t i = name_hash(s, n) & mask;; i = (i + 1) & mask) {
        uint32_t v = w->names[i];
        if (v == 0)
            return &w->names[i];
        const char *name = w->nodes[v - 1]->name;
        if (strncmp(name, s, n) == 0 && name[n] == '\0')
            return &w->names[i];
    }
}

static struct ib_node *find_node(const struct ib_world *w, const char *s, size_t n)
{
    if (w->cap_names == 0)
        return NULL;
    uint32_t v = *name_slot(w, s, n);
    return v ? w->nodes[v - 1] : NULL;
}

/* Keeps the index at most half full. */
static bool names_reserve(struct ib_world *w)
{
    if (2 * (uint64_t)(w->n_nodes + 1) <= w->cap_names)
        return true;
    uint32_t cap = w->cap_names ? w->cap_names * 2 : 64;
    uint32_t *names = calloc(cap, sizeof(*names));
    if (!names)
        return false;
    free(w->names);
    w->names = names;
    w->cap_names = cap;
    for (uint32_t i = 0; i < w->n_nodes; i++) {
        const char *name = w->nodes[i]->name;
        *name_slot(w, name, strlen(name)) = i + 1;
    }
    return true;
}

/* The array v of *cap elements with room for element n: v itself, or a
 * larger copy (*cap updated). NULL, v untouched, if out of memory. */
static void *grow(void *v, uint32_t *cap, uint32_t n, size_t elem)
{
    if (n < *cap)
        return v;
    uint32_t ncap = *cap ? *cap * 2 : 16;
    void *nv = realloc(v, (size_t)ncap * elem);
    if (nv)
        *cap = ncap;
    return nv;
}

struct ib_world *ib_world_new(uint64_t seed)
{
    struct ib_world *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->env.pool = ib_pkt_pool_new();
    if (!w->env.pool) {
        free(w);
        return NULL;
    }
    ib_evq_init(&w->q);
    w->env.q = &w->q;
    w->seed = seed;
    return w;
}

static bool name_ok(const char *name, size_t max)
{
    size_t n = name ? strlen(name) : 0;
    return n > 0 && n < max && !strchr(name, ':');
}

/* Checks the name and makes room for one more node. */
static bool node_room(struct ib_world *w, const char *name)
{
    if (!name_ok(name, IB_NAME_MAX) || ib_world_node(w, name) || !names_reserve(w))
        return false;
    struct ib_node **nodes = grow(w->nodes, &w->cap_nodes, w->n_nodes, sizeof(*nodes));
    if (nodes)
        w->nodes = nodes;
    return nodes != NULL;
}

static void node_register(struct ib_world *w, struct ib_node *n)
{
    w->nodes[w->n_nodes++] = n;
    *name_slot(w, n->name, strlen(n->name)) = w->n_nodes;
}

static struct ib_stack *add_stack(struct ib_world *w, const char *name, bool router)
{
    if (!node_room(w, name))
        return NULL;
    struct ib_stack *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    struct ib_stack_config cfg = ib_stack_defaults;
    cfg.forwarding = router;
    ib_stack_init(s, &w->env, name, w->n_nodes, w->seed, &cfg);
    s->node.kind = router ? IB_NODE_ROUTER : IB_NODE_HOST;
    node_register(w, &s->node);
    return s;
}

struct ib_stack *ib_world_add_host(struct ib_world *w, const char *name)
{
    return add_stack(w, name, false);
}

struct ib_stack *ib_world_add_router(struct ib_world *w, const char *name)
{
    return add_stack(w, name, true);
}

struct ib_bridge *ib_world_add_switch(struct ib_world *w, const char *name)
{
    if (!node_room(w, name))
        return NULL;
    struct ib_bridge *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    ib_bridge_init(b, &w->env, name, w->n_nodes, w->seed);
    node_register(w, &b->node);
    return b;
}

struct ib_node *ib_world_node(const struct ib_world *w, const char *name)
{
    return name ? find_node(w, name, strlen(name)) : NULL;
}

static struct ib_netif *node_netif(const struct ib_node *node, const char *ifname)
{
    if (node->kind != IB_NODE_SWITCH)
        return ib_stack_netif((const struct ib_stack *)node, ifname);
    const struct ib_bridge *b = (const struct ib_bridge *)node;
    for (uint8_t i = 0; i < b->n_ports; i++)
        if (strcmp(b->ports[i]->name, ifname) == 0)
            return b->ports[i];
    return NULL;
}

struct ib_netif *ib_world_add_netif(struct ib_world *w, struct ib_node *node, const char *ifname)
{
    if (!name_ok(ifname, IB_IFNAME_MAX) || node_netif(node, ifname))
        return NULL;
    struct ib_netif **nifs = grow(w->nifs, &w->cap_nifs, w->n_nifs, sizeof(*nifs));
    if (!nifs)
        return NULL;
    w->nifs = nifs;
    bool sw = node->kind == IB_NODE_SWITCH;
    uint8_t index = sw ? ((struct ib_bridge *)node)->n_ports : ((struct ib_stack *)node)->n_nifs;
    /* IEEE 802 §8.4: bit 0x02 of the first octet marks a locally
     * administered address, bit 0x01 clear keeps it unicast. */
    struct ib_mac mac = {{0x02, (uint8_t)(node->id >> 24), (uint8_t)(node->id >> 16),
                          (uint8_t)(node->id >> 8), (uint8_t)node->id, index}};
    struct ib_netif *nif = calloc(1, sizeof(*nif));
    if (!nif)
        return NULL;
    ib_netif_init(nif, node, ifname, &mac);
    nif->up = true;
    int err = sw ? ib_bridge_add_port((struct ib_bridge *)node, nif)
                 : ib_stack_add_netif((struct ib_stack *)node, nif);
    if (err) {
        ib_arp_cache_destroy(&nif->arp);
        free(nif);
        return NULL;
    }
    w->nifs[w->n_nifs++] = nif;
    return nif;
}

struct ib_netif *ib_world_netif(const struct ib_world *w, const char *endpoint)
{
    const char *colon = endpoint ? strchr(endpoint, ':') : NULL;
    if (!colon)
        return NULL;
    struct ib_node *node = find_node(w, endpoint, (size_t)(colon - endpoint));
    return node ? node_netif(node, colon + 1) : NULL;
}

struct ib_link *ib_world_connect(struct ib_world *w, struct ib_netif *a, struct ib_netif *b,
                                 const struct ib_link_params *p)
{
    struct ib_link **links = grow(w->links, &w->cap_links, w->n_links, sizeof(*links));
    if (!links)
        return NULL;
    w->links = links;
    struct ib_link *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    if (ib_link_init(l, &w->env, w->n_links, link_seed(w, w->n_links), p, a, b) != IB_OK) {
        free(l);
        return NULL;
    }
    w->links[w->n_links++] = l;
    return l;
}

int ib_world_observe(struct ib_world *w, ib_observer_fn fn, void *ctx)
{
    int err = ib_trace_attach(&w->trace, fn, ctx);
    if (err == IB_OK)
        w->env.trace = &w->trace;
    return err;
}

uint64_t ib_world_run(struct ib_world *w, ib_time until) { return ib_evq_run_until(&w->q, until); }

/* Links go first (they hold frames and point at interfaces), then nodes
 * (their queues hold packets), then the interfaces, and the pool last, when
 * every packet is back. */
void ib_world_free(struct ib_world *w)
{
    if (!w)
        return;
    for (uint32_t i = 0; i < w->n_links; i++) {
        ib_link_destroy(w->links[i]);
        free(w->links[i]);
    }
    for (uint32_t i = 0; i < w->n_nodes; i++) {
        struct ib_node *n = w->nodes[i];
        if (n->kind == IB_NODE_SWITCH)
            ib_bridge_destroy((struct ib_bridge *)n);
        else
            ib_stack_destroy((struct ib_stack *)n);
        free(n);
    }
    for (uint32_t i = 0; i < w->n_nifs; i++)
        free(w->nifs[i]);
    ib_pkt_pool_free(w->env.pool);
    ib_evq_destroy(&w->q);
    free(w->links);
    free(w->nodes);
    free(w->names);
    free(w->nifs);
    free(w);
}

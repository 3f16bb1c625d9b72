/* The simulator's world: nodes, links, one event queue, one packet pool,
 * one trace bus and one seed. Worlds share nothing, so two can run in one
 * process. */
#ifndef INETBOX_WORLD_H
#define INETBOX_WORLD_H

#include "inetbox/bridge.h"
#include "inetbox/link.h"
#include "inetbox/stack.h"

struct ib_world {
    struct ib_env env;
    struct ib_evq q;
    struct ib_trace trace;
    uint64_t seed;
    struct ib_node **nodes; /* node i has id i */
    uint32_t n_nodes, cap_nodes;
    uint32_t *names; /* open-addressing index by name: node index + 1, 0 empty */
    uint32_t cap_names;
    struct ib_link **links;
    uint32_t n_links, cap_links;
    struct ib_netif **nifs; /* every interface, owned by the world */
    uint32_t n_nifs, cap_nifs;
};

struct ib_world *ib_world_new(uint64_t seed);
void ib_world_free(struct ib_world *w);

/* Nodes; names are unique. NULL if the name is taken, empty, too long or
 * holds a ':' (it separates node and interface), or out of memory. Each
 * node's random stream is derived from the world's seed and its id. */
struct ib_stack *ib_world_add_host(struct ib_world *w, const char *name);
struct ib_stack *ib_world_add_router(struct ib_world *w, const char *name);
struct ib_bridge *ib_world_add_switch(struct ib_world *w, const char *name);
struct ib_node *ib_world_node(const struct ib_world *w, const char *name);

/* A new interface on node (stack or bridge), up, with a MAC derived from
 * the node id and interface index: 02:ID:ID:ID:ID:IX (locally administered
 * unicast, IEEE 802 §8.4). NULL if the name is taken on that node. */
struct ib_netif *ib_world_add_netif(struct ib_world *w, struct ib_node *node, const char *ifname);
/* Finds "node:ifname". */
struct ib_netif *ib_world_netif(const struct ib_world *w, const char *endpoint);
/* Cables a and b; p NULL: ib_link_defaults. */
struct ib_link *ib_world_connect(struct ib_world *w, struct ib_netif *a, struct ib_netif *b,
                                 const struct ib_link_params *p);

/* Observers see every event of this world from now on. */
int ib_world_observe(struct ib_world *w, ib_observer_fn fn, void *ctx);
/* Runs events until time `until` (or until none are left if
 * IB_TIME_NEVER). Returns the number of events executed. */
uint64_t ib_world_run(struct ib_world *w, ib_time until);

#endif

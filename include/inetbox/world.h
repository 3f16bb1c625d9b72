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
    struct ib_node **nodes;
    uint32_t n_nodes, cap_nodes;
    struct ib_link **links;
    uint32_t n_links, cap_links;
    struct ib_netif **nifs; /* every interface, owned by the world */
    uint32_t n_nifs, cap_nifs;
};

struct ib_world *ib_world_new(uint64_t seed);
void ib_world_free(struct ib_world *w);

/* Nodes; names are unique. NULL if the name is taken or out of memory. */
struct ib_stack *ib_world_add_host(struct ib_world *w, const char *name);
struct ib_stack *ib_world_add_router(struct ib_world *w, const char *name);
struct ib_bridge *ib_world_add_switch(struct ib_world *w, const char *name);
struct ib_node *ib_world_node(const struct ib_world *w, const char *name);

/* A new interface on node (stack or bridge), with a MAC derived from the
 * node and interface numbers (locally administered: 02:...). */
struct ib_netif *ib_world_add_netif(struct ib_world *w, struct ib_node *node, const char *ifname);
/* Finds "node:ifname". */
struct ib_netif *ib_world_netif(const struct ib_world *w, const char *endpoint);
struct ib_link *ib_world_connect(struct ib_world *w, struct ib_netif *a, struct ib_netif *b,
                                 const struct ib_link_params *p);

/* Observers see every event of this world from now on. */
int ib_world_observe(struct ib_world *w, ib_observer_fn fn, void *ctx);
/* Runs events until time `until` (or until none are left if
 * IB_TIME_NEVER). Returns the number of events executed. */
uint64_t ib_world_run(struct ib_world *w, ib_time until);

#endif

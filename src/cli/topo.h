/* The built-in topology of the ping and traceroute commands: two LANs,
 * each with a switch, joined by two routers (see README.md for the
 * picture). */
#ifndef INETBOX_CLI_TOPO_H
#define INETBOX_CLI_TOPO_H

#include "inetbox/world.h"

/* Impairments of the r1-r2 link (probabilities per frame). */
struct topo_impair {
    double loss, duplicate, reorder, corrupt;
};

/* Creates the nodes, interfaces and links, all still without addresses, so
 * that observers attached next see everything from the first frame on.
 * Returns 0 or a negative ib_err. */
int topo_build(struct ib_world *w, const struct topo_impair *imp);
/* Sets the addresses (each announced by a gratuitous ARP) and the static
 * routes. */
int topo_configure(struct ib_world *w);

#endif

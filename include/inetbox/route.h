/* The forwarding table (FIB): longest-prefix match over IPv4 routes
 * (RFC 1812 §5.2.4.3). Small tables are scanned in prefix-length order;
 * from IB_FIB_DIR_MIN routes on, lookups go through a 16-8-8 multibit trie
 * (a DIR-style table) rebuilt when routes change, so a lookup is at most
 * three array reads whatever the table size. */
#ifndef INETBOX_ROUTE_H
#define INETBOX_ROUTE_H

#include "inetbox/types.h"

#define IB_FIB_DIR_MIN 64u

struct ib_route {
    ib_ip4 prefix; /* masked */
    uint8_t plen;
    uint8_t proto; /* IB_RT_CONNECTED, IB_RT_STATIC, ... */
    uint16_t ifindex;
    ib_ip4 gateway; /* 0: destination is on-link */
    uint32_t metric;
};

enum { IB_RT_CONNECTED = 1, IB_RT_STATIC = 2 };

struct ib_fib {
    struct ib_route *r; /* sorted by plen descending, then prefix (see nsorted) */
    uint32_t n, cap;
    /* r[0..nsorted) is sorted and unique; routes added to a large table are
     * appended after it and merged in by the next lookup, so loading a big
     * table costs O(n log n) rather than O(n^2). Use ib_fib_routes() to read
     * the table in order. */
    uint32_t nsorted;
    uint32_t *dir;      /* level-1 table (65536 entries) or NULL */
    uint32_t *chunks;   /* 256-entry chunks for levels 2 and 3 */
    uint32_t nchunks, chunk_cap;
    bool dirty;         /* dir needs a rebuild */
};

void ib_fib_init(struct ib_fib *f);
void ib_fib_destroy(struct ib_fib *f);
/* Adds or replaces the route for (prefix, plen). */
int ib_fib_add(struct ib_fib *f, const struct ib_route *r);
int ib_fib_del(struct ib_fib *f, ib_ip4 prefix, uint8_t plen);
/* The longest matching route, or NULL. The pointer is valid until the
 * table changes. */
const struct ib_route *ib_fib_lookup(struct ib_fib *f, ib_ip4 dst);
/* The whole table, sorted by plen descending then prefix; *n gets the count.
 * Valid until the table changes. */
const struct ib_route *ib_fib_routes(struct ib_fib *f, uint32_t *n);

#endif

/* An IEEE 802.1D transparent learning bridge.
 *
 * The filtering database is an open-addressing hash table (linear probing,
 * load at most 1/2, backward-shift deletion so there are no tombstones),
 * allocated on the first learned address and grown by doubling up to
 * max_entries. Entries age out after `aging` (802.1D §7.9.2); age is checked
 * when an entry is looked up or the table is rebuilt, never by a timer.
 *
 * Frames are never modified: a flooded frame is one packet handed to every
 * egress port with its own reference. */
#include "inetbox/bridge.h"

#include "inetbox/eth.h"

#include <stdlib.h>

#define BRIDGE_FREE 0xffu
#define BRIDGE_FIRST_CAP 16u

void ib_bridge_init(struct ib_bridge *b, struct ib_env *env, const char *name, uint32_t id,
                    uint64_t seed)
{
    memset(b, 0, sizeof(*b));
    ib_node_init(&b->node, env, IB_NODE_SWITCH, name, id, seed);
    /* IEEE 802.1D §7.9.2, Table 7-5: recommended Ageing Time 300 s. */
    b->aging = IB_SEC(300);
    b->max_entries = 8192;
}

void ib_bridge_destroy(struct ib_bridge *b)
{
    free(b->table);
    b->table = NULL;
    b->table_cap = b->table_n = 0;
}

static uint32_t mac_hash(const struct ib_mac *m)
{
    uint64_t k = 0;
    for (int i = 0; i < 6; i++)
        k = k << 8 | m->b[i];
    /* Fibonacci hashing: the multiply carries every byte, including the
     * vendor-assigned low ones that differ most, into the upper half. */
    return (uint32_t)((k * 0x9e3779b97f4a7c15ull) >> 32);
}

static bool entry_aged(const struct ib_bridge *b, const struct ib_bridge_entry *e)
{
    return ib_now(b->node.env) - e->seen >= b->aging;
}

/* Slot holding mac, or the free slot where it would go. */
static uint32_t table_slot(const struct ib_bridge *b, const struct ib_mac *mac)
{
    uint32_t mask = b->table_cap - 1;
    uint32_t i = mac_hash(mac) & mask;
    while (b->table[i].port != BRIDGE_FREE && !ib_mac_eq(&b->table[i].mac, mac))
        i = (i + 1) & mask;
    return i;
}

/* Backward-shift deletion (Knuth 6.4 Algorithm R): later members of the
 * probe run move up so that lookups never stop early at a hole. */
static void table_delete(struct ib_bridge *b, uint32_t i)
{
    uint32_t mask = b->table_cap - 1;
    uint32_t j = i;
    for (;;) {
        b->table[i].port = BRIDGE_FREE;
        for (;;) {
            j = (j + 1) & mask;
            if (b->table[j].port == BRIDGE_FREE) {
                b->table_n--;
                return;
            }
            uint32_t home = mac_hash(&b->table[j].mac) & mask;
            /* j's entry may fill hole i unless its home lies cyclically in
             * (i, j]. */
            bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
            if (!stays)
                break;
        }
        b->table[i] = b->table[j];
        i = j;
    }
}

/* Rebuilds the table with cap slots, leaving aged entries behind. */
static int table_rebuild(struct ib_bridge *b, uint32_t cap)
{
    struct ib_bridge_entry *t = malloc(cap * sizeof(*t));
    if (!t)
        return IB_ERR_NOMEM;
    for (uint32_t i = 0; i < cap; i++)
        t[i].port = BRIDGE_FREE;
    struct ib_bridge_entry *old = b->table;
    uint32_t old_cap = b->table_cap;
    b->table = t;
    b->table_cap = cap;
    b->table_n = 0;
    for (uint32_t i = 0; i < old_cap; i++) {
        if (old[i].port == BRIDGE_FREE || entry_aged(b, &old[i]))
            continue;
        b->table[table_slot(b, &old[i].mac)] = old[i];
        b->table_n++;
    }
    free(old);
    return IB_OK;
}

int ib_bridge_lookup(struct ib_bridge *b, const struct ib_mac *mac)
{
    if (!b->table_n)
        return -1;
    uint32_t i = table_slot(b, mac);
    if (b->table[i].port == BRIDGE_FREE)
        return -1;
    /* IEEE 802.1D §7.9.2: a dynamic entry older than the Ageing Time is
     * removed. */
    if (entry_aged(b, &b->table[i])) {
        table_delete(b, i);
        return -1;
    }
    return b->table[i].port;
}

static void bridge_event(struct ib_bridge *b, enum ib_ev_kind kind, const struct ib_netif *nif,
                         const struct ib_pkt *p, const struct ib_mac *mac,
                         const struct ib_netif *port)
{
    struct ib_event ev;
    ib_event_init(&ev, b->node.env, kind, 2, &b->node, nif, p);
    ev.u.bridge.mac = *mac;
    ev.u.bridge.port = port;
    ib_emit(b->node.env, &ev);
}

/* IEEE 802.1D §7.8: the Learning Process records the source address of
 * every received frame against its reception port. */
static void bridge_learn(struct ib_bridge *b, struct ib_netif *in, const struct ib_pkt *p,
                         const struct ib_mac *src)
{
    ib_time now = ib_now(b->node.env);
    if (b->table_n) {
        struct ib_bridge_entry *e = &b->table[table_slot(b, src)];
        if (e->port == in->index) {
            e->seen = now;
            return;
        }
        if (e->port != BRIDGE_FREE) {
            /* The station moved to another port. */
            e->port = in->index;
            e->seen = now;
            b->stats.learned++;
            if (ib_tracing(b->node.env))
                bridge_event(b, IB_EV_BRIDGE_LEARN, in, p, src, in);
            return;
        }
    }
    if (b->table_n >= b->max_entries) {
        /* Full: make room from aged entries; if none, this address is not
         * learned and frames to it are flooded, as hardware bridges do.
         * full_until keeps a flood of new addresses from rebuilding the
         * table for every frame. */
        if (now < b->full_until || table_rebuild(b, b->table_cap) != IB_OK)
            return;
        if (b->table_n >= b->max_entries) {
            ib_time oldest = now;
            for (uint32_t i = 0; i < b->table_cap; i++)
                if (b->table[i].port != BRIDGE_FREE && b->table[i].seen < oldest)
                    oldest = b->table[i].seen;
            b->full_until = oldest + b->aging;
            return;
        }
    }
    if ((b->table_n + 1) * 2 > b->table_cap) {
        uint32_t cap = b->table_cap ? 2 * b->table_cap : BRIDGE_FIRST_CAP;
        if (table_rebuild(b, cap) != IB_OK)
            return;
    }
    struct ib_bridge_entry *e = &b->table[table_slot(b, src)];
    e->mac = *src;
    e->port = in->index;
    e->seen = now;
    b->table_n++;
    b->stats.learned++;
    if (ib_tracing(b->node.env))
        bridge_event(b, IB_EV_BRIDGE_LEARN, in, p, src, in);
}

static void bridge_flood(struct ib_bridge *b, struct ib_netif *in, struct ib_pkt *p,
                         const struct ib_mac *dst)
{
    struct ib_netif *out[IB_BRIDGE_MAX_PORTS];
    unsigned n = 0;
    bool any_other = false;
    /* IEEE 802.1D §7.7.1: forward on every port except the reception port. */
    for (uint8_t i = 0; i < b->n_ports; i++) {
        struct ib_netif *port = b->ports[i];
        if (port == in)
            continue;
        any_other = true;
        if (port->up)
            out[n++] = port;
    }
    if (!n) {
        ib_drop(&b->node, in, p, any_other ? IB_DROP_LINK_DOWN : IB_DROP_BRIDGE_SAME_PORT);
        return;
    }
    b->stats.flooded++;
    if (ib_tracing(b->node.env))
        bridge_event(b, IB_EV_BRIDGE_FLOOD, in, p, dst, in);
    /* One packet, one reference per port: the last port takes ours. */
    for (unsigned i = 0; i + 1 < n; i++)
        ib_netif_xmit(out[i], ib_pkt_ref(p));
    ib_netif_xmit(out[n - 1], p);
}

static void bridge_input(struct ib_netif *in, struct ib_pkt *p)
{
    struct ib_bridge *b = (struct ib_bridge *)(void *)in->node;
    struct ib_eth_hdr h;
    int err = ib_eth_parse(p->data, p->len, &h);
    if (err) {
        ib_drop(&b->node, in, p, (enum ib_drop)err);
        return;
    }
    /* IEEE 802.3 §3.2.3: a group source address is invalid; learning it
     * would send unicast traffic for it nowhere. */
    if (ib_mac_is_multicast(&h.src)) {
        ib_drop(&b->node, in, p, IB_DROP_ETH_BAD_SRC);
        return;
    }
    bridge_learn(b, in, p, &h.src);
    if (ib_mac_is_multicast(&h.dst)) {
        bridge_flood(b, in, p, &h.dst);
        return;
    }
    int port = ib_bridge_lookup(b, &h.dst);
    if (port < 0 || port >= b->n_ports) {
        bridge_flood(b, in, p, &h.dst);
        return;
    }
    struct ib_netif *out = b->ports[port];
    /* IEEE 802.1D §7.7.1: never sent back on the port it arrived on. */
    if (out == in) {
        ib_drop(&b->node, in, p, IB_DROP_BRIDGE_SAME_PORT);
        return;
    }
    b->stats.forwarded++;
    if (ib_tracing(b->node.env))
        bridge_event(b, IB_EV_BRIDGE_FWD, in, p, &h.dst, out);
    ib_netif_xmit(out, p);
}

int ib_bridge_add_port(struct ib_bridge *b, struct ib_netif *port)
{
    if (b->n_ports >= IB_BRIDGE_MAX_PORTS)
        return IB_ERR_NOMEM;
    port->node = &b->node;
    port->input = bridge_input;
    port->index = b->n_ports;
    b->ports[b->n_ports++] = port;
    return IB_OK;
}

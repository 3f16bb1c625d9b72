/* The outside endpoints of each mapping: what address-dependent filtering
 * remembers (RFC 4787 REQ-8, RFC 5382 REQ-3) and, for TCP, one entry per
 * connection (RFC 5382 §5).
 *
 * Entries are hashed NAT-wide by (mapping, address), the port left out so
 * that all connections with one address share a chain: the filter asks
 * "any entry for this address", the tracker "this address and port", and
 * both walk one chain. Each mapping lists its entries least recently used
 * first and holds at most max_peers: a socket talking to ever new peers
 * costs bounded memory and bounded lookups. An entry idle longer than the
 * timeout of its kind (a UDP or ICMP mapping's, a TCP connection's for
 * its state) is forgotten when met, and the stale heads of a list whenever
 * the list is used. */
#include "nat/nat_int.h"

#include <stdlib.h>

#define NAT_PEER_MIN_BUCKETS 64u

static uint32_t peer_bucket(const struct ib_nat *n, const struct nat_map *m, ib_ip4 addr)
{
    return nat_hash(m->proto, addr, m->pub_port) & n->peer_mask;
}

/* Every entry rehashed into cap buckets (a power of two). */
static int peers_resize(struct ib_nat *n, uint32_t cap)
{
    struct nat_peer **t = calloc(cap, sizeof(*t));
    if (!t) return IB_ERR_NOMEM;
    free(n->by_peer);
    n->by_peer = t;
    n->peer_mask = cap - 1;
    for (struct nat_map *m = n->all_head; m; m = m->all_next) {
        for (struct nat_peer *pe = m->peers; pe; pe = pe->next) {
            struct nat_peer **b = &n->by_peer[peer_bucket(n, m, pe->addr)];
            pe->hnext = *b;
            *b = pe;
        }
    }
    return 0;
}

int ib_nat_peers_init(struct ib_nat *n)
{
    return peers_resize(n, NAT_PEER_MIN_BUCKETS);
}

static ib_time peer_timeout(const struct ib_nat *n, const struct nat_peer *pe)
{
    switch (pe->map->proto) {
    case IB_IPPROTO_UDP:
        return n->cfg.udp_timeout;
    case IB_IPPROTO_ICMP:
        return n->cfg.icmp_timeout;
    default:
        /* RFC 5382 REQ-5: an established connection's idle-timeout. */
        return pe->tcp_state == IB_NAT_TCP_ESTABLISHED || pe->tcp_state == IB_NAT_TCP_CLOSING
                   ? n->cfg.tcp_est_timeout
                   : n->cfg.tcp_trans_timeout;
    }
}

static bool peer_stale(const struct ib_nat *n, const struct nat_peer *pe, ib_time now)
{
    return now - pe->last_used >= peer_timeout(n, pe);
}

void ib_nat_peer_set_state(struct nat_map *m, struct nat_peer *pe, uint8_t state)
{
    m->n_tcp[pe->tcp_state]--;
    m->n_tcp[state]++;
    pe->tcp_state = state;
}

static void peer_list_unlink(struct nat_map *m, struct nat_peer *pe)
{
    if (pe->prev)
        pe->prev->next = pe->next;
    else
        m->peers = pe->next;
    if (pe->next)
        pe->next->prev = pe->prev;
    else
        m->peers_tail = pe->prev;
    pe->prev = pe->next = NULL;
}

static void peer_list_append(struct nat_map *m, struct nat_peer *pe)
{
    pe->prev = m->peers_tail;
    if (pe->prev)
        pe->prev->next = pe;
    else
        m->peers = pe;
    m->peers_tail = pe;
}

static void peer_free(struct ib_nat *n, struct nat_peer *pe)
{
    struct nat_map *m = pe->map;
    struct nat_peer **pp = &n->by_peer[peer_bucket(n, m, pe->addr)];
    while (*pp != pe)
        pp = &(*pp)->hnext;
    *pp = pe->hnext;
    peer_list_unlink(m, pe);
    m->n_tcp[pe->tcp_state]--;
    m->n_peers--;
    n->n_peers--;
    free(pe);
}

/* The first live entry of m for addr (and port, unless any_port), the
 * stale ones met on the way forgotten. */
static struct nat_peer *peer_find(struct ib_nat *n, struct nat_map *m, ib_ip4 addr, uint16_t port,
                                  bool any_port)
{
    ib_time now = ib_now(n->s->node.env);
    struct nat_peer *pe = n->by_peer[peer_bucket(n, m, addr)];
    while (pe) {
        struct nat_peer *next = pe->hnext;
        if (pe->map == m && pe->addr == addr && (any_port || pe->port == port)) {
            if (!peer_stale(n, pe, now)) return pe;
            peer_free(n, pe);
        }
        pe = next;
    }
    return NULL;
}

/* The stale heads of m's list go: a connection long dead must not keep
 * its mapping on the established idle-timeout. */
static void peers_prune(struct ib_nat *n, struct nat_map *m)
{
    ib_time now = ib_now(n->s->node.env);
    while (m->peers && peer_stale(n, m->peers, now))
        peer_free(n, m->peers);
}

/* Room for one more entry in m: a full mapping forgets its least recently
 * used entry, preferring one that is not an established connection (which
 * would lose its long idle-timeout). */
static void peers_make_room(struct ib_nat *n, struct nat_map *m)
{
    if (m->n_peers < n->cfg.max_peers) return;
    struct nat_peer *victim = m->peers;
    for (struct nat_peer *pe = m->peers; pe; pe = pe->next) {
        if (pe->tcp_state != IB_NAT_TCP_ESTABLISHED && pe->tcp_state != IB_NAT_TCP_CLOSING) {
            victim = pe;
            break;
        }
    }
    peer_free(n, victim);
}

struct nat_peer *ib_nat_peer_get(struct ib_nat *n, struct nat_map *m, ib_ip4 addr, uint16_t port,
                                 bool add)
{
    peers_prune(n, m);
    struct nat_peer *pe = peer_find(n, m, addr, port, false);
    if (!pe) {
        if (!add) return NULL;
        peers_make_room(n, m);
        /* More entries than buckets: double the table. */
        if (n->n_peers > n->peer_mask && peers_resize(n, (n->peer_mask + 1) * 2)) return NULL;
        pe = calloc(1, sizeof(*pe));
        if (!pe) return NULL;
        pe->map = m;
        pe->addr = addr;
        pe->port = port;
        pe->tcp_state = m->proto == IB_IPPROTO_TCP ? IB_NAT_TCP_OPENING : IB_NAT_TCP_NONE;
        m->n_tcp[pe->tcp_state]++;
        struct nat_peer **b = &n->by_peer[peer_bucket(n, m, addr)];
        pe->hnext = *b;
        *b = pe;
        m->n_peers++;
        n->n_peers++;
    } else {
        peer_list_unlink(m, pe);
    }
    peer_list_append(m, pe);
    pe->last_used = ib_now(n->s->node.env);
    return pe;
}

bool ib_nat_peer_allowed(struct ib_nat *n, struct nat_map *m, ib_ip4 addr)
{
    if (n->filter == IB_NAT_FILTER_INDEPENDENT || m->cls == NAT_CLS_STATIC) return true;
    return peer_find(n, m, addr, 0, true) != NULL;
}

void ib_nat_peers_free(struct ib_nat *n, struct nat_map *m)
{
    while (m->peers)
        peer_free(n, m->peers);
}

/* ARP for IPv4 over Ethernet (RFC 826), with the host requirements of
 * RFC 1122 §2.3.2 and the announcements and probes of RFC 5227.
 *
 * Each interface has its own cache: a small array, allocated on first use
 * and kept compact (entries [0, n) are in use), because a host talks to a
 * handful of neighbours and an idle one should cost nothing. A resolved
 * entry lives for cfg.timeout and is checked lazily when looked up. An
 * unresolved entry holds a bounded queue of datagrams and is retried every
 * cfg.retry; one timer per cache is armed for the earliest retry and none
 * while nothing is being resolved. */
#include "inetbox/arp.h"

#include "inetbox/eth.h"
#include "inetbox/stack.h"

#include <stddef.h>
#include <stdlib.h>

/* RFC 1122 §2.3.2.1 recommends at most one request per second per
 * destination; RFC 1122 §2.3.2.2 wants a bounded hold queue. */
const struct ib_arp_config ib_arp_defaults = {
    .timeout = IB_SEC(60),
    .retry = IB_SEC(1),
    .max_tries = 3,
    .max_queue = 64, /* a 64 KiB datagram is 45 fragments at MTU 1500 */
    .max_entries = 256,
};

#define ARP_HTYPE_ETHERNET 1u
#define ARP_FIRST_CAP 8u

int ib_arp_parse(const uint8_t *b, size_t len, struct ib_arp_msg *m)
{
    /* RFC 826 "Packet format": hrd, pro, hln, pln, op, sha, spa, tha, tpa. */
    if (len < IB_ARP_LEN)
        return IB_DROP_ARP_MALFORMED;
    if (ib_get16(b) != ARP_HTYPE_ETHERNET || ib_get16(b + 2) != IB_ETHERTYPE_IP4 || b[4] != 6 ||
        b[5] != 4)
        return IB_DROP_ARP_MALFORMED;
    m->op = ib_get16(b + 6);
    memcpy(m->sha.b, b + 8, 6);
    m->spa = ib_get32(b + 14);
    memcpy(m->tha.b, b + 18, 6);
    m->tpa = ib_get32(b + 24);
    return 0;
}

void ib_arp_emit(const struct ib_arp_msg *m, uint8_t *b)
{
    ib_put16(b, ARP_HTYPE_ETHERNET);
    ib_put16(b + 2, IB_ETHERTYPE_IP4);
    b[4] = 6;
    b[5] = 4;
    ib_put16(b + 6, m->op);
    memcpy(b + 8, m->sha.b, 6);
    ib_put32(b + 14, m->spa);
    memcpy(b + 18, m->tha.b, 6);
    ib_put32(b + 24, m->tpa);
}

static struct ib_netif *cache_nif(struct ib_arp_cache *c)
{
    return (struct ib_netif *)(void *)((char *)c - offsetof(struct ib_netif, arp));
}

static const struct ib_arp_config *arp_cfg(const struct ib_netif *nif)
{
    return &ib_stack_of(nif)->cfg.arp;
}

static void arp_event(struct ib_netif *nif, enum ib_ev_kind kind, const struct ib_pkt *p, ib_ip4 ip,
                      const struct ib_mac *mac)
{
    struct ib_env *env = nif->node->env;
    if (!ib_tracing(env))
        return;
    struct ib_event ev;
    ib_event_init(&ev, env, kind, 2, nif->node, nif, p);
    ev.u.arp.ip = ip;
    ev.u.arp.mac = *mac;
    ib_emit(env, &ev);
}

/* Builds one ARP message from nif and broadcasts or unicasts it. */
static void arp_send(struct ib_netif *nif, enum ib_ev_kind kind, uint16_t op, ib_ip4 tpa,
                     const struct ib_mac *tha, const struct ib_mac *dst)
{
    struct ib_env *env = nif->node->env;
    struct ib_pkt *p = ib_pkt_alloc(env->pool, IB_PKT_HEADROOM, IB_ARP_LEN);
    if (!p) {
        ib_drop(nif->node, nif, NULL, IB_DROP_NOMEM);
        return;
    }
    p->journey = ib_journey_new(env);
    struct ib_arp_msg m = {.op = op, .sha = nif->mac, .spa = nif->addr, .tha = *tha, .tpa = tpa};
    ib_arp_emit(&m, p->data);
    if (kind == IB_EV_ARP_REQUEST)
        arp_event(nif, kind, p, tpa, &ib_mac_zero);
    else
        arp_event(nif, kind, p, nif->addr, &nif->mac);
    ib_eth_output(nif, p, dst, IB_ETHERTYPE_ARP);
}

static void arp_request(struct ib_netif *nif, ib_ip4 ip)
{
    /* RFC 826: the target hardware address of a request is unknown; RFC
     * 5227 §2.1.1 asks for zeros there. */
    arp_send(nif, IB_EV_ARP_REQUEST, IB_ARP_OP_REQUEST, ip, &ib_mac_zero, &ib_mac_broadcast);
}

static struct ib_arp_entry *arp_find(const struct ib_arp_cache *c, ib_ip4 ip)
{
    for (uint16_t i = 0; i < c->n; i++)
        if (c->e[i].ip == ip)
            return &c->e[i];
    return NULL;
}

/* Frees an entry whose queue is already empty or detached; the last entry
 * moves into its slot to keep [0, n) compact. */
static void arp_remove(struct ib_arp_cache *c, struct ib_arp_entry *e)
{
    uint16_t last = (uint16_t)(c->n - 1);
    if (e != &c->e[last])
        *e = c->e[last];
    memset(&c->e[last], 0, sizeof(c->e[last]));
    c->n = last;
}

/* A new INCOMPLETE entry for ip, or NULL when the cache cannot take one. */
static struct ib_arp_entry *arp_new(struct ib_netif *nif, ib_ip4 ip)
{
    struct ib_arp_cache *c = &nif->arp;
    const struct ib_arp_config *cfg = arp_cfg(nif);
    if (c->n == c->cap && c->cap < cfg->max_entries) {
        uint32_t cap = c->cap ? 2u * c->cap : ARP_FIRST_CAP;
        if (cap > cfg->max_entries)
            cap = cfg->max_entries;
        struct ib_arp_entry *ne = realloc(c->e, cap * sizeof(*ne));
        if (ne) {
            memset(ne + c->cap, 0, (cap - c->cap) * sizeof(*ne));
            c->e = ne;
            c->cap = (uint16_t)cap;
        }
    }
    if (c->n == c->cap) {
        /* Full: the resolved entry closest to expiry goes. Entries still
         * resolving hold packets and are never evicted. */
        struct ib_arp_entry *old = NULL;
        for (uint16_t i = 0; i < c->n; i++)
            if (c->e[i].state == IB_ARP_REACHABLE && (!old || c->e[i].expires < old->expires))
                old = &c->e[i];
        if (!old)
            return NULL;
        arp_remove(c, old);
    }
    struct ib_arp_entry *e = &c->e[c->n++];
    memset(e, 0, sizeof(*e));
    e->ip = ip;
    e->state = IB_ARP_INCOMPLETE;
    return e;
}

/* Arms the cache timer for the earliest retry, or leaves none armed. */
static void arp_rearm(struct ib_netif *nif)
{
    struct ib_arp_cache *c = &nif->arp;
    ib_time next = IB_TIME_NEVER;
    for (uint16_t i = 0; i < c->n; i++)
        if (c->e[i].state == IB_ARP_INCOMPLETE && c->e[i].expires < next)
            next = c->e[i].expires;
    if (next == IB_TIME_NEVER)
        ib_timer_cancel(&c->timer);
    else if (c->timer.when != next)
        ib_timer_arm(nif->node->env, &c->timer, next);
}

/* Sets e to mac and releases its queue, oldest first. e must not be used
 * afterwards: sending may run code that changes the cache. */
static void arp_resolve(struct ib_netif *nif, struct ib_arp_entry *e, const struct ib_mac *mac)
{
    struct ib_mac m = *mac;
    bool was_pending = e->state == IB_ARP_INCOMPLETE;
    struct ib_pkt *q = e->q;
    e->mac = m;
    e->state = IB_ARP_REACHABLE;
    e->tries = 0;
    e->qlen = 0;
    e->q = NULL;
    e->expires = ib_now(nif->node->env) + arp_cfg(nif)->timeout;
    arp_event(nif, IB_EV_ARP_LEARN, NULL, e->ip, &m);
    if (was_pending)
        arp_rearm(nif);
    while (q) {
        struct ib_pkt *next = q->next;
        q->next = NULL;
        ib_eth_output(nif, q, &m, IB_ETHERTYPE_IP4);
        q = next;
    }
}

/* Resolution failed: every held datagram is reported to its source and
 * dropped. */
static void arp_fail(struct ib_netif *nif, struct ib_arp_entry *e)
{
    struct ib_stack *s = ib_stack_of(nif);
    ib_ip4 ip = e->ip;
    struct ib_pkt *q = e->q;
    e->q = NULL;
    arp_remove(&nif->arp, e);
    arp_event(nif, IB_EV_ARP_FAIL, NULL, ip, &ib_mac_zero);
    while (q) {
        struct ib_pkt *next = q->next;
        q->next = NULL;
        /* RFC 1812 §5.2.7.1: host unreachable when the destination "does
         * not respond to ARP" (RFC 1812 §4.3.3.1 for the last-hop router). */
        ib_icmp_error(s, q, IB_ICMP_DEST_UNREACH, IB_ICMP_UNREACH_HOST, 0);
        ib_drop(&s->node, nif, q, IB_DROP_ARP_UNRESOLVED);
        q = next;
    }
}

static void arp_timer(struct ib_timer *t)
{
    struct ib_arp_cache *c =
        (struct ib_arp_cache *)(void *)((char *)t - offsetof(struct ib_arp_cache, timer));
    struct ib_netif *nif = cache_nif(c);
    const struct ib_arp_config *cfg = arp_cfg(nif);
    ib_time now = ib_now(nif->node->env);
    /* Each step may send packets, and failures send ICMP errors that can
     * come back into this cache, so the scan restarts after every step; each
     * step leaves its entry no longer due, so this ends. */
    for (;;) {
        struct ib_arp_entry *e = NULL;
        for (uint16_t i = 0; i < c->n && !e; i++)
            if (c->e[i].state == IB_ARP_INCOMPLETE && c->e[i].expires <= now)
                e = &c->e[i];
        if (!e)
            break;
        if (e->tries >= cfg->max_tries) {
            arp_fail(nif, e);
            continue;
        }
        /* RFC 1122 §2.3.2.1: retransmit at most once per cfg.retry. */
        e->tries++;
        e->expires = now + cfg->retry;
        arp_request(nif, e->ip);
    }
    arp_rearm(nif);
}

void ib_arp_cache_init(struct ib_arp_cache *c)
{
    memset(c, 0, sizeof(*c));
    ib_timer_init(&c->timer, arp_timer);
}

void ib_arp_cache_destroy(struct ib_arp_cache *c)
{
    for (uint16_t i = 0; i < c->n; i++) {
        struct ib_pkt *q = c->e[i].q;
        while (q) {
            struct ib_pkt *next = q->next;
            q->next = NULL;
            ib_pkt_free(q);
            q = next;
        }
    }
    ib_timer_cancel(&c->timer);
    free(c->e);
    c->e = NULL;
    c->n = c->cap = 0;
}

static bool arp_bad_sender(const struct ib_netif *nif, const struct ib_arp_msg *m)
{
    /* RFC 826 maps a protocol address to one station's hardware address; a
     * group address there would poison caches into flooding. */
    if (ib_mac_is_multicast(&m->sha))
        return true;
    /* RFC 5227 §2.4: another station claiming our address is a conflict;
     * its mapping must not be believed (our own frames looped back land
     * here too, and teach nothing). */
    if (nif->addr && m->spa == nif->addr)
        return true;
    /* RFC 1122 §3.2.1.3: broadcast and multicast are never a host's
     * address. */
    if (m->spa == IB_IP4_BROADCAST || (m->spa >> 28) == 0xeu)
        return true;
    return nif->addr && nif->plen < 31 && m->spa == ib_netif_broadcast(nif);
}

void ib_arp_input(struct ib_netif *nif, struct ib_pkt *p)
{
    struct ib_arp_msg m;
    int err = ib_arp_parse(p->data, p->len, &m);
    if (err) {
        ib_drop(nif->node, nif, p, (enum ib_drop)err);
        return;
    }
    if (arp_bad_sender(nif, &m)) {
        ib_drop(nif->node, nif, p, IB_DROP_ARP_BAD_SENDER);
        return;
    }
    bool for_us = nif->addr && m.tpa == nif->addr;
    bool merged = false;
    /* RFC 5227 §2.1.1: a probe's sender address is 0; it claims nothing yet
     * and must not enter any cache. */
    if (m.spa != 0) {
        /* RFC 826 "Packet Reception": if <pro, spa> is already in the table,
         * update its hardware address (Merge_flag := true), whoever the
         * target is ... */
        struct ib_arp_entry *e = arp_find(&nif->arp, m.spa);
        if (e) {
            merged = true;
            arp_resolve(nif, e, &m.sha);
        } else if (for_us) {
            /* ... and only if we are the target, add the triplet. */
            e = arp_new(nif, m.spa);
            if (e)
                arp_resolve(nif, e, &m.sha);
        }
    }
    if (!for_us) {
        if (merged)
            ib_pkt_free(p);
        else
            ib_drop(nif->node, nif, p, IB_DROP_ARP_NOT_FOR_US);
        return;
    }
    /* RFC 826: "NOW look at the opcode": answer requests with our address,
     * sent to the requester's hardware address. */
    if (m.op == IB_ARP_OP_REQUEST)
        arp_send(nif, IB_EV_ARP_REPLY, IB_ARP_OP_REPLY, m.spa, &m.sha, &m.sha);
    ib_pkt_free(p);
}

void ib_arp_output(struct ib_netif *nif, struct ib_pkt *p, ib_ip4 next_hop)
{
    /* RFC 1122 §3.3.6: broadcasts map to the link broadcast address. A /31
     * or /32 has no directed broadcast (RFC 3021 §2.2). */
    if (next_hop == IB_IP4_BROADCAST ||
        (nif->addr && nif->plen < 31 && next_hop == ib_netif_broadcast(nif))) {
        ib_eth_output(nif, p, &ib_mac_broadcast, IB_ETHERTYPE_IP4);
        return;
    }
    /* RFC 1112 §6.4: a group address maps to 01-00-5E plus its low 23 bits. */
    if ((next_hop >> 28) == 0xeu) {
        struct ib_mac mac = {{0x01, 0x00, 0x5e, (uint8_t)((next_hop >> 16) & 0x7f),
                              (uint8_t)(next_hop >> 8), (uint8_t)next_hop}};
        ib_eth_output(nif, p, &mac, IB_ETHERTYPE_IP4);
        return;
    }
    struct ib_arp_cache *c = &nif->arp;
    struct ib_env *env = nif->node->env;
    const struct ib_arp_config *cfg = arp_cfg(nif);
    ib_time now = ib_now(env);
    struct ib_arp_entry *e = arp_find(c, next_hop);
    if (e && e->state == IB_ARP_REACHABLE) {
        if (now < e->expires) {
            struct ib_mac mac = e->mac;
            ib_eth_output(nif, p, &mac, IB_ETHERTYPE_IP4);
            return;
        }
        /* RFC 1122 §2.3.2.1: a timed-out entry is not trusted; resolve
         * again. */
        e->state = IB_ARP_INCOMPLETE;
        e->tries = 0;
    }
    if (!e) {
        e = arp_new(nif, next_hop);
        if (!e) {
            ib_drop(nif->node, nif, p, IB_DROP_ARP_QUEUE_FULL);
            return;
        }
    }
    /* RFC 1122 §2.3.2.2: hold packets, bounded, keeping "the latest": when
     * the queue is full the oldest goes (as Linux does), since the newest
     * datagrams carry the most current state (a retransmission, the last
     * ping). */
    if (cfg->max_queue == 0) {
        ib_drop(nif->node, nif, p, IB_DROP_ARP_QUEUE_FULL);
    } else {
        struct ib_pkt *old = NULL;
        if (e->qlen >= cfg->max_queue) {
            old = e->q;
            e->q = old->next;
            old->next = NULL;
            e->qlen--;
        }
        struct ib_pkt **tail = &e->q;
        while (*tail)
            tail = &(*tail)->next;
        p->next = NULL;
        *tail = p;
        e->qlen++;
        if (old)
            ib_drop(nif->node, nif, old, IB_DROP_ARP_QUEUE_FULL);
        arp_event(nif, IB_EV_ARP_QUEUE, p, next_hop, &ib_mac_zero);
    }
    if (e->tries == 0) {
        /* A request only when resolution starts; later packets wait for the
         * retry timer (RFC 1122 §2.3.2.1: no ARP flooding). */
        e->tries = 1;
        e->expires = now + cfg->retry;
        if (!ib_timer_armed(&c->timer) || c->timer.when > e->expires)
            ib_timer_arm(env, &c->timer, e->expires);
        arp_request(nif, next_hop);
    }
}

void ib_arp_announce(struct ib_netif *nif)
{
    /* RFC 5227 §3: an announcement is a request with sender and target IP
     * both ours and a zero target hardware address, broadcast; it updates
     * every cache that already holds our address (RFC 826 merge). */
    arp_send(nif, IB_EV_ARP_ANNOUNCE, IB_ARP_OP_REQUEST, nif->addr, &ib_mac_zero,
             &ib_mac_broadcast);
}

const struct ib_arp_entry *ib_arp_lookup(const struct ib_netif *nif, ib_ip4 ip)
{
    const struct ib_arp_entry *e = arp_find(&nif->arp, ip);
    if (!e || e->state != IB_ARP_REACHABLE || ib_now(nif->node->env) >= e->expires)
        return NULL;
    return e;
}

int ib_arp_set(struct ib_netif *nif, ib_ip4 ip, const struct ib_mac *mac)
{
    if (ib_mac_is_multicast(mac) || ip == 0)
        return IB_ERR_INVAL;
    struct ib_arp_entry *e = arp_find(&nif->arp, ip);
    if (!e)
        e = arp_new(nif, ip);
    if (!e)
        return IB_ERR_NOMEM;
    arp_resolve(nif, e, mac);
    return IB_OK;
}

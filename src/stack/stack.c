/* A stack: the glue that makes one host (RFC 1122) or router (RFC 1812)
 * out of the protocol modules. It owns the forwarding table, the
 * reassembly state, the ICMP rate-limit bucket, the port and
 * identification cursors and the loopback queue; its interfaces belong to
 * whoever created them, but their ARP caches are released here. */
#include "inetbox/stack.h"

#include "inetbox/eth.h"
#include "inetbox/nat.h"

#include <stdlib.h>

const struct ib_stack_config ib_stack_defaults = {
    /* RFC 1700 (Assigned Numbers, via RFC 1122 §3.2.1.7): default TTL 64. */
    .ttl = 64,
    .forwarding = false,
};

void ib_stack_config_init(struct ib_stack_config *cfg)
{
    *cfg = ib_stack_defaults;
    cfg->arp = ib_arp_defaults;
    cfg->reass = ib_reass_defaults;
    cfg->icmp = ib_icmp_defaults;
    cfg->tcp = ib_tcp_defaults;
}


static void stack_loopback_run(struct ib_timer *t);

void ib_stack_init(struct ib_stack *s, struct ib_env *env, const char *name, uint32_t id,
                   uint64_t seed, const struct ib_stack_config *cfg)
{
    memset(s, 0, sizeof(*s));
    s->cfg = cfg ? *cfg : ib_stack_defaults;
    if (s->cfg.arp.timeout == 0) s->cfg.arp = ib_arp_defaults;
    if (s->cfg.reass.timeout == 0) s->cfg.reass = ib_reass_defaults;
    if (s->cfg.icmp.rate == 0 && s->cfg.icmp.burst == 0) s->cfg.icmp = ib_icmp_defaults;
    if (s->cfg.ttl == 0) s->cfg.ttl = ib_stack_defaults.ttl;
    if (s->cfg.tcp.sndbuf == 0 && s->cfg.tcp.rcvbuf == 0) s->cfg.tcp = ib_tcp_defaults;
    ib_node_init(&s->node, env, s->cfg.forwarding ? IB_NODE_ROUTER : IB_NODE_HOST, name, id, seed);
    ib_fib_init(&s->fib);
    ib_reass_init(&s->reass);
    s->icmp_bucket.tokens = s->cfg.icmp.burst;
    s->icmp_bucket.last = ib_now(env);
    /* RFC 6335 §6: ephemeral ports come from 49152-65535; starting at a
     * random one makes them harder to guess (RFC 6056 §2). */
    s->next_port = (uint16_t)(49152 + ib_rng_below(&s->node.rng, 16384));
    /* RFC 6864 §4.1: identifications need only be unique per (src, dst,
     * proto) within a datagram's lifetime; a random start avoids every
     * stack counting from the same number. */
    s->ip_id = (uint16_t)ib_rng_next(&s->node.rng);
    ib_timer_init(&s->lo_timer, stack_loopback_run);
}

void ib_stack_destroy(struct ib_stack *s)
{
    ib_nat_free(s->nat);
    s->nat = NULL;
    ib_tcp_stack_destroy(s);
    ib_reass_destroy(&s->reass);
    ib_fib_destroy(&s->fib);
    ib_timer_cancel(&s->lo_timer);
    while (s->lo_head) {
        struct ib_pkt *p = s->lo_head;
        s->lo_head = p->next;
        p->next = NULL;
        ib_pkt_free(p);
    }
    s->lo_tail = NULL;
    for (unsigned i = 0; i < s->n_nifs; i++)
        ib_arp_cache_destroy(&s->nifs[i]->arp);
    free(s->nifs);
    s->nifs = NULL;
    free(s->addrs);
    s->addrs = NULL;
    s->addrs_mask = 0;
    s->n_nifs = s->cap_nifs = 0;
}

int ib_stack_add_netif(struct ib_stack *s, struct ib_netif *nif)
{
    if (s->n_nifs >= IB_STACK_MAX_NETIFS) return IB_ERR_NOMEM;
    if (s->n_nifs == s->cap_nifs) {
        /* Most hosts have one interface; routers double as they grow. */
        uint32_t cap = s->cap_nifs ? 2u * s->cap_nifs : 1u;
        if (cap > IB_STACK_MAX_NETIFS) cap = IB_STACK_MAX_NETIFS;
        struct ib_netif **n = realloc(s->nifs, cap * sizeof(*n));
        if (!n) return IB_ERR_NOMEM;
        s->nifs = n;
        s->cap_nifs = (uint16_t)cap;
    }
    nif->index = s->n_nifs;
    nif->node = &s->node;
    nif->input = ib_eth_input;
    s->nifs[s->n_nifs++] = nif;
    return 0;
}

int ib_stack_set_addr(struct ib_stack *s, struct ib_netif *nif, ib_ip4 addr, uint8_t plen)
{
    if (plen > 32 || nif->node != &s->node) return IB_ERR_INVAL;
    if (nif->addr) ib_fib_del(&s->fib, nif->addr & ib_ip4_mask(nif->plen), nif->plen);
    nif->addr = addr;
    nif->plen = plen;
    ib_ip4_addrs_update(s);
    if (!addr) return 0;
    /* RFC 1122 §3.3.1.1: destinations on a connected network are reached
     * directly; the connected route says so to the longest-prefix match. */
    struct ib_route r = {
        .prefix = addr & ib_ip4_mask(plen),
        .plen = plen,
        .ifindex = nif->index,
        .proto = IB_RT_CONNECTED,
    };
    int err = ib_fib_add(&s->fib, &r);
    if (err) return err;
    /* RFC 5227 §2.3: announce the address we start using. */
    if (nif->up) ib_arp_announce(nif);
    return 0;
}

int ib_stack_add_route(struct ib_stack *s, ib_ip4 prefix, uint8_t plen, ib_ip4 gateway,
                       struct ib_netif *nif)
{
    if (plen > 32) return IB_ERR_INVAL;
    /* Without an interface, the gateway must be on a connected network
     * (RFC 1812 §5.2.4.1: a next hop is directly reachable). */
    for (unsigned i = 0; !nif && gateway && i < s->n_nifs; i++)
        if (ib_netif_on_link(s->nifs[i], gateway)) nif = s->nifs[i];
    if (!nif || nif->node != &s->node) return IB_ERR_INVAL;
    struct ib_route r = {
        .prefix = prefix & ib_ip4_mask(plen),
        .plen = plen,
        .ifindex = nif->index,
        .proto = IB_RT_STATIC,
        .gateway = gateway,
    };
    return ib_fib_add(&s->fib, &r);
}

struct ib_netif *ib_stack_netif(const struct ib_stack *s, const char *name)
{
    for (unsigned i = 0; i < s->n_nifs; i++)
        if (strcmp(s->nifs[i]->name, name) == 0) return s->nifs[i];
    return NULL;
}

void ib_stack_loopback(struct ib_stack *s, struct ib_pkt *p)
{
    p->next = NULL;
    if (s->lo_tail)
        s->lo_tail->next = p;
    else
        s->lo_head = p;
    s->lo_tail = p;
    if (!ib_timer_armed(&s->lo_timer)) ib_timer_arm(s->node.env, &s->lo_timer, ib_now(s->node.env));
}

/* Delivers what was queued before this run; datagrams sent in reply are
 * queued again and delivered by the next run, at the same instant. */
static void stack_loopback_run(struct ib_timer *t)
{
    struct ib_stack *s =
        (struct ib_stack *)(void *)((char *)t - offsetof(struct ib_stack, lo_timer));
    struct ib_pkt *p = s->lo_head;
    s->lo_head = s->lo_tail = NULL;
    while (p) {
        struct ib_pkt *next = p->next;
        p->next = NULL;
        ib_ip4 dst = p->len >= IB_IP4_HLEN ? ib_get32(p->data + 16) : 0;
        struct ib_netif *nif = ib_ip4_netif_with_addr(s, dst);
        /* The address may have gone since the datagram was sent. */
        if (nif)
            ib_ip4_input(nif, p);
        else
            ib_drop(&s->node, NULL, p, IB_DROP_IP_NOT_FOR_US);
        p = next;
    }
}

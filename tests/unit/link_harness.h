/* Test harness for the link layer tests: an environment (event queue, pool,
 * trace bus) whose observer records every event, and a fake driver whose
 * xmit keeps each frame for the test to inspect. Include after cmocka.h. */
#ifndef INETBOX_TEST_LINK_HARNESS_H
#define INETBOX_TEST_LINK_HARNESS_H

#include <stdlib.h>

#include "inetbox/cksum.h"
#include "inetbox/env.h"
#include "inetbox/netif.h"
#include "inetbox/stack.h"
#include "inetbox/trace.h"

#define LH_MAX_FRAMES 64
#define LH_MAX_EVENTS 512

struct lh_frames {
    struct ib_pkt *f[LH_MAX_FRAMES];
    unsigned n;
};

struct lh_event {
    enum ib_ev_kind kind;
    enum ib_drop reason;
    const struct ib_netif *nif;
    ib_ip4 ip;
    struct ib_mac mac;
    const struct ib_netif *port;
    uint32_t len;
    uint8_t first; /* first byte of the event's packet data */
};

struct lh_env {
    struct ib_evq *q;
    struct ib_env env;
    struct ib_trace trace;
    struct lh_event ev[LH_MAX_EVENTS];
    unsigned n_ev;
};

static inline void lh_observe(void *ctx, const struct ib_event *e)
{
    struct lh_env *h = ctx;
    assert_true(h->n_ev < LH_MAX_EVENTS);
    struct lh_event *r = &h->ev[h->n_ev++];
    r->kind = e->kind;
    r->reason = e->reason;
    r->nif = e->nif;
    r->len = e->len;
    r->first = e->data && e->len ? e->data[0] : 0;
    if (e->kind >= IB_EV_ARP_REQUEST && e->kind <= IB_EV_ARP_FAIL) {
        r->ip = e->u.arp.ip;
        r->mac = e->u.arp.mac;
    } else if (e->kind >= IB_EV_BRIDGE_LEARN && e->kind <= IB_EV_BRIDGE_FLOOD) {
        r->mac = e->u.bridge.mac;
        r->port = e->u.bridge.port;
    }
}

/* h must not move afterwards: the environment points into it. */
static inline void lh_env_init(struct lh_env *h)
{
    memset(h, 0, sizeof(*h));
    h->q = malloc(sizeof(*h->q));
    assert_non_null(h->q);
    ib_evq_init(h->q);
    h->env.q = h->q;
    h->env.pool = ib_pkt_pool_new();
    assert_non_null(h->env.pool);
    h->env.trace = &h->trace;
    assert_int_equal(ib_trace_attach(&h->trace, lh_observe, h), IB_OK);
}

static inline struct ib_pkt_pool_stats lh_pool(const struct lh_env *h)
{
    struct ib_pkt_pool_stats st;
    ib_pkt_pool_stats(h->env.pool, &st);
    return st;
}

/* Every packet must be back in the pool by the end of a test. */
static inline void lh_env_destroy(struct lh_env *h)
{
    assert_int_equal(lh_pool(h).in_use, 0);
    ib_pkt_pool_free(h->env.pool);
    ib_evq_destroy(h->q);
    free(h->q);
}

static inline unsigned lh_count(const struct lh_env *h, enum ib_ev_kind kind)
{
    unsigned n = 0;
    for (unsigned i = 0; i < h->n_ev; i++)
        n += h->ev[i].kind == kind;
    return n;
}

/* The last event of this kind, which must exist. */
static inline const struct lh_event *lh_last(const struct lh_env *h, enum ib_ev_kind kind)
{
    for (unsigned i = h->n_ev; i-- > 0;)
        if (h->ev[i].kind == kind)
            return &h->ev[i];
    fail_msg("no event of kind %s", ib_ev_kind_name(kind));
    return NULL;
}

static inline void lh_xmit(struct ib_netif *nif, struct ib_pkt *p)
{
    struct lh_frames *f = nif->drv;
    assert_true(f->n < LH_MAX_FRAMES);
    f->f[f->n++] = p;
}

static inline const struct ib_netif_ops *lh_ops(void)
{
    static const struct ib_netif_ops ops = {.xmit = lh_xmit};
    return &ops;
}

static inline void lh_frames_clear(struct lh_frames *f)
{
    for (unsigned i = 0; i < f->n; i++)
        ib_pkt_free(f->f[i]);
    f->n = 0;
}

static inline void lh_assert_frame(const struct ib_pkt *p, const uint8_t *want, size_t len)
{
    assert_non_null(p);
    assert_int_equal(p->len, len);
    assert_memory_equal(p->data, want, len);
}

/* A host: one stack with one interface on the fake driver. */
struct lh_host {
    struct lh_env h;
    struct ib_stack s;
    struct ib_netif nif;
    struct lh_frames tx;
};

/* cfg NULL: ib_stack_defaults. The announcement sent when the address is
 * set, its events and the interface counters are cleared. */
static inline struct lh_host *lh_host_new(const struct ib_mac *mac, ib_ip4 addr, uint8_t plen,
                                          const struct ib_stack_config *cfg)
{
    struct lh_host *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    lh_env_init(&t->h);
    ib_stack_init(&t->s, &t->h.env, "h1", 1, 42, cfg ? cfg : &ib_stack_defaults);
    ib_netif_init(&t->nif, &t->s.node, "eth0", mac);
    t->nif.ops = lh_ops();
    t->nif.drv = &t->tx;
    assert_int_equal(ib_stack_add_netif(&t->s, &t->nif), IB_OK);
    assert_int_equal(ib_stack_set_addr(&t->s, &t->nif, addr, plen), IB_OK);
    lh_frames_clear(&t->tx);
    memset(&t->nif.stats, 0, sizeof(t->nif.stats));
    t->h.n_ev = 0;
    return t;
}

static inline void lh_host_free(struct lh_host *t)
{
    lh_frames_clear(&t->tx);
    ib_arp_cache_destroy(&t->nif.arp);
    ib_stack_destroy(&t->s);
    lh_env_destroy(&t->h);
    free(t);
}

/* A 29-byte UDP datagram (data at the IP header, valid IP checksum, UDP
 * checksum 0) from port 1234 to dport whose one payload byte is tag. */
static inline struct ib_pkt *lh_udp(struct lh_env *h, ib_ip4 src, ib_ip4 dst, uint16_t dport,
                                    uint8_t tag)
{
    uint8_t b[29] = {0x45, 0, 0, 29, 0x12, 0x34, 0, 0, 64, 17, 0, 0};
    ib_put32(b + 12, src);
    ib_put32(b + 16, dst);
    ib_put16(b + 10, ib_csum(b, 20));
    ib_put16(b + 20, 1234);
    ib_put16(b + 22, dport);
    ib_put16(b + 24, 9);
    b[28] = tag;
    struct ib_pkt *p = ib_pkt_from(h->env.pool, b, sizeof(b));
    assert_non_null(p);
    return p;
}

#endif

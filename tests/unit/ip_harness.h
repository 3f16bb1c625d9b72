/* Test harness for the IPv4 tests: one stack (host or router) whose
 * interfaces have fake drivers keeping every frame (link_harness.h), a
 * second observer recording the IP-layer details of each event, and
 * builders for datagrams. Include after cmocka.h. */
#ifndef INETBOX_TEST_IP_HARNESS_H
#define INETBOX_TEST_IP_HARNESS_H

#include "link_harness.h"

#include "inetbox/cksum.h"
#include "inetbox/eth.h"
#include "inetbox/stack.h"

#define IH_MAX_NIFS 3
#define IH_MAX_EVENTS 512

struct ih_event {
    enum ib_ev_kind kind;
    enum ib_drop reason;
    ib_ip4 dst, prefix, gateway;
    uint8_t plen;
    const struct ib_netif *out;
    uint16_t id, offset, len, count;
    bool more;
};

struct ih {
    struct lh_env h;
    struct ib_stack s;
    struct ib_netif nif[IH_MAX_NIFS];
    struct lh_frames fr[IH_MAX_NIFS];
    unsigned n_nifs;
    struct ih_event ev[IH_MAX_EVENTS];
    unsigned n_ev;
};

static inline void ih_observe(void *ctx, const struct ib_event *e)
{
    struct ih *t = ctx;
    assert_true(t->n_ev < IH_MAX_EVENTS);
    struct ih_event *r = &t->ev[t->n_ev++];
    memset(r, 0, sizeof(*r));
    r->kind = e->kind;
    r->reason = e->reason;
    if (e->kind == IB_EV_IP_FORWARD) {
        r->dst = e->u.route.dst;
        r->prefix = e->u.route.prefix;
        r->gateway = e->u.route.gateway;
        r->plen = e->u.route.plen;
        r->out = e->u.route.out;
    } else if (e->kind == IB_EV_IP_FRAGMENT || e->kind == IB_EV_IP_REASSEMBLED) {
        r->id = e->u.frag.id;
        r->offset = e->u.frag.offset;
        r->len = e->u.frag.len;
        r->count = e->u.frag.count;
        r->more = e->u.frag.more;
    }
}

/* A stack with the given configuration (NULL: defaults). */
static inline struct ih *ih_new(const struct ib_stack_config *cfg)
{
    struct ih *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    lh_env_init(&t->h);
    assert_int_equal(ib_trace_attach(&t->h.trace, ih_observe, t), IB_OK);
    ib_stack_init(&t->s, &t->h.env, "dut", 1, 42, cfg);
    return t;
}

static inline struct ih *ih_router(void)
{
    struct ib_stack_config cfg = ib_stack_defaults;
    cfg.forwarding = true;
    return ih_new(&cfg);
}

static inline const struct ib_mac *ih_peer_mac(unsigned i)
{
    static const struct ib_mac macs[] = {
        {{0x02, 0xee, 0, 0, 0, 0x10}}, {{0x02, 0xee, 0, 0, 0, 0x11}}, {{0x02, 0xee, 0, 0, 0, 0x12}},
        {{0x02, 0xee, 0, 0, 0, 0x13}}, {{0x02, 0xee, 0, 0, 0, 0x14}}, {{0x02, 0xee, 0, 0, 0, 0x15}},
    };
    assert_true(i < IB_ARRAY_LEN(macs));
    return &macs[i];
}

/* Adds interface ethN with MAC 02:00:00:00:00:0N and an address; the
 * gratuitous ARP of the address is discarded. */
static inline struct ib_netif *ih_add_nif(struct ih *t, ib_ip4 addr, uint8_t plen)
{
    unsigned i = t->n_nifs++;
    assert_true(i < IH_MAX_NIFS);
    char name[8] = "eth0";
    name[3] = (char)('0' + i);
    struct ib_mac mac = {{0x02, 0, 0, 0, 0, (uint8_t)i}};
    struct ib_netif *n = &t->nif[i];
    ib_netif_init(n, &t->s.node, name, &mac);
    n->ops = lh_ops();
    n->drv = &t->fr[i];
    assert_int_equal(ib_stack_add_netif(&t->s, n), IB_OK);
    assert_int_equal(ib_stack_set_addr(&t->s, n, addr, plen), IB_OK);
    lh_frames_clear(&t->fr[i]);
    return n;
}

/* Stack torn down first: then every packet must be back in the pool. */
static inline void ih_free(struct ih *t)
{
    for (unsigned i = 0; i < t->n_nifs; i++)
        lh_frames_clear(&t->fr[i]);
    ib_stack_destroy(&t->s);
    lh_env_destroy(&t->h);
    free(t);
}

static inline unsigned ih_count(const struct ih *t, enum ib_ev_kind kind)
{
    unsigned n = 0;
    for (unsigned i = 0; i < t->n_ev; i++)
        n += t->ev[i].kind == kind;
    return n;
}

/* The n-th (from 0) event of this kind, which must exist. */
static inline const struct ih_event *ih_nth(const struct ih *t, enum ib_ev_kind kind, unsigned n)
{
    for (unsigned i = 0; i < t->n_ev; i++)
        if (t->ev[i].kind == kind && n-- == 0) return &t->ev[i];
    fail_msg("no event %u of kind %s", n, ib_ev_kind_name(kind));
    return NULL;
}

static inline uint32_t ih_drops(const struct ih *t, enum ib_drop r)
{
    return t->s.node.drops[r];
}

/* Writes a datagram with a 20-byte header and len payload bytes i ^ seed. */
static inline size_t ih_dgram(uint8_t *b, ib_ip4 src, ib_ip4 dst, uint8_t proto, uint16_t id,
                              uint16_t frag, uint8_t ttl, size_t len, uint8_t seed)
{
    struct ib_ip4_hdr h = {.hlen = 20,
                           .tot_len = (uint16_t)(20 + len),
                           .id = id,
                           .frag = frag,
                           .ttl = ttl,
                           .proto = proto,
                           .src = src,
                           .dst = dst};
    ib_ip4_emit(&h, b);
    for (size_t i = 0; i < len; i++)
        b[20 + i] = (uint8_t)(i ^ seed);
    return 20 + len;
}

static inline struct ib_pkt *ih_pkt(struct ih *t, const uint8_t *b, size_t len)
{
    struct ib_pkt *p = ib_pkt_from(t->h.env.pool, b, len);
    assert_non_null(p);
    return p;
}

/* Checks that frame f is Ethernet to dst carrying IPv4 and returns its IP
 * header (validated by the parser) in h and its start. */
static inline const uint8_t *ih_frame_ip(const struct ib_pkt *f, const struct ib_mac *dst,
                                         struct ib_ip4_hdr *h)
{
    assert_non_null(f);
    assert_true(f->len >= IB_ETH_HLEN + IB_IP4_HLEN);
    assert_memory_equal(f->data, dst->b, 6);
    assert_int_equal(ib_get16(f->data + 12), IB_ETHERTYPE_IP4);
    assert_int_equal(ib_ip4_parse(f->data + IB_ETH_HLEN, f->len - IB_ETH_HLEN, h), 0);
    return f->data + IB_ETH_HLEN;
}

#endif

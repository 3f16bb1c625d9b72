/* Test harness for the ICMP and UDP tests: one host stack (10.0.0.1/24 on
 * eth0, default route via 10.0.0.254) on a fake driver that keeps every
 * frame it is given, with static ARP entries for its neighbours so no ARP
 * traffic gets in the way, and an observer that counts events and keeps the
 * ICMP type and code of the last ICMP event of each direction. Include
 * after cmocka.h. */
#ifndef INETBOX_TEST_L4_HARNESS_H
#define INETBOX_TEST_L4_HARNESS_H

#include <stdlib.h>

#include "inetbox/eth.h"
#include "inetbox/stack.h"
#include "inetbox/trace.h"

#define L4H_MAX_FRAMES 256

static const struct ib_mac l4h_host_mac = {{0x02, 0, 0, 0, 0, 0x01}};
static const struct ib_mac l4h_peer_mac = {{0x02, 0, 0, 0, 0, 0x02}};
static const struct ib_mac l4h_gw_mac = {{0x02, 0, 0, 0, 0, 0xfe}};
#define L4H_HOST IB_IP4(10, 0, 0, 1)
#define L4H_PEER IB_IP4(10, 0, 0, 2)
#define L4H_GW IB_IP4(10, 0, 0, 254)

struct l4h {
    struct ib_evq *q;
    struct ib_env env;
    struct ib_trace trace;
    unsigned ev[IB_EV__COUNT];
    struct {
        uint8_t type, code;
    } icmp_rx, icmp_tx;
    struct ib_stack s;
    struct ib_netif nif;
    struct ib_pkt *out[L4H_MAX_FRAMES];
    unsigned n_out;
};

static inline void l4h_observe(void *ctx, const struct ib_event *e)
{
    struct l4h *h = ctx;
    h->ev[e->kind]++;
    if (e->kind == IB_EV_ICMP_RX) {
        h->icmp_rx.type = e->u.icmp.type;
        h->icmp_rx.code = e->u.icmp.code;
    } else if (e->kind == IB_EV_ICMP_TX) {
        h->icmp_tx.type = e->u.icmp.type;
        h->icmp_tx.code = e->u.icmp.code;
    }
}

static inline void l4h_xmit(struct ib_netif *nif, struct ib_pkt *p)
{
    struct l4h *h = nif->drv;
    assert_true(h->n_out < L4H_MAX_FRAMES);
    h->out[h->n_out++] = p;
}

static inline void l4h_clear(struct l4h *h)
{
    for (unsigned i = 0; i < h->n_out; i++)
        ib_pkt_free(h->out[i]);
    h->n_out = 0;
}

static inline struct l4h *l4h_new(void)
{
    static const struct ib_netif_ops ops = {.xmit = l4h_xmit};
    struct l4h *h = calloc(1, sizeof(*h));
    assert_non_null(h);
    h->q = malloc(sizeof(*h->q));
    assert_non_null(h->q);
    ib_evq_init(h->q);
    h->env.q = h->q;
    h->env.pool = ib_pkt_pool_new();
    assert_non_null(h->env.pool);
    h->env.trace = &h->trace;
    assert_int_equal(ib_trace_attach(&h->trace, l4h_observe, h), IB_OK);
    ib_stack_init(&h->s, &h->env, "host", 1, 1, NULL);
    ib_netif_init(&h->nif, &h->s.node, "eth0", &l4h_host_mac);
    h->nif.ops = &ops;
    h->nif.drv = h;
    assert_int_equal(ib_stack_add_netif(&h->s, &h->nif), 0);
    assert_int_equal(ib_stack_set_addr(&h->s, &h->nif, L4H_HOST, 24), 0);
    assert_int_equal(ib_stack_add_route(&h->s, 0, 0, L4H_GW, NULL), 0);
    assert_int_equal(ib_arp_set(&h->nif, L4H_PEER, &l4h_peer_mac), 0);
    assert_int_equal(ib_arp_set(&h->nif, L4H_GW, &l4h_gw_mac), 0);
    l4h_clear(h); /* the gratuitous ARP */
    /* Known identification for byte-exact expected frames. */
    h->s.ip_id = 0x1000;
    return h;
}

/* Every packet must be back in the pool by the end of a test. */
static inline void l4h_free(struct l4h *h)
{
    l4h_clear(h);
    ib_evq_run_until(h->q, ib_now(&h->env));
    ib_stack_destroy(&h->s);
    struct ib_pkt_pool_stats st;
    ib_pkt_pool_stats(h->env.pool, &st);
    assert_int_equal(st.in_use, 0);
    ib_pkt_pool_free(h->env.pool);
    ib_evq_destroy(h->q);
    free(h->q);
    free(h);
}

/* Delivers an IPv4 datagram to the host in an Ethernet frame from src_mac
 * to dst_mac. */
static inline void l4h_inject_to(struct l4h *h, const struct ib_mac *dst_mac,
                                 const struct ib_mac *src_mac, const uint8_t *dgram, size_t len)
{
    uint8_t frame[IB_ETH_HLEN + 1600];
    assert_true(len <= 1600);
    memcpy(frame, dst_mac->b, 6);
    memcpy(frame + 6, src_mac->b, 6);
    ib_put16(frame + 12, IB_ETHERTYPE_IP4);
    memcpy(frame + IB_ETH_HLEN, dgram, len);
    struct ib_pkt *p = ib_pkt_from(h->env.pool, frame, IB_ETH_HLEN + len);
    assert_non_null(p);
    ib_netif_receive(&h->nif, p);
}

static inline void l4h_inject(struct l4h *h, const uint8_t *dgram, size_t len)
{
    l4h_inject_to(h, &l4h_host_mac, &l4h_peer_mac, dgram, len);
}

/* Writes a 20-byte IPv4 header for a datagram with plen payload bytes. */
static inline void l4h_ip(uint8_t *b, ib_ip4 src, ib_ip4 dst, uint8_t proto, uint16_t frag,
                          size_t plen)
{
    struct ib_ip4_hdr ip = {.hlen = IB_IP4_HLEN,
                            .tot_len = (uint16_t)(IB_IP4_HLEN + plen),
                            .id = 0x77,
                            .frag = frag,
                            .ttl = 64,
                            .proto = proto,
                            .src = src,
                            .dst = dst};
    ib_ip4_emit(&ip, b);
}

/* The payload of captured frame i past its Ethernet and IPv4 headers,
 * with its parsed IP header. */
static inline const uint8_t *l4h_out_l4(const struct l4h *h, unsigned i, struct ib_ip4_hdr *ip,
                                        size_t *len)
{
    assert_true(i < h->n_out);
    const struct ib_pkt *p = h->out[i];
    assert_true(p->len >= IB_ETH_HLEN);
    assert_int_equal(ib_get16(p->data + 12), IB_ETHERTYPE_IP4);
    assert_int_equal(ib_ip4_parse(p->data + IB_ETH_HLEN, p->len - IB_ETH_HLEN, ip), 0);
    *len = ip->tot_len - ip->hlen;
    return p->data + IB_ETH_HLEN + ip->hlen;
}

#endif

/* The world: building topologies (names, interfaces, MACs, links), and
 * whole stacks talking through it: ping across a switch (ARP first), ping
 * and a UDP traceroute across two routers, the same seed giving the same
 * run event for event, and every packet back in the pool at the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "inetbox/world.h"

static void assert_pool_empty(const struct ib_world *w)
{
    struct ib_pkt_pool_stats st;
    ib_pkt_pool_stats(w->env.pool, &st);
    assert_int_equal(st.in_use, 0);
}

static void test_names_and_lookup(void **state)
{
    struct ib_world *w = ib_world_new(1);
    assert_non_null(w);
    struct ib_stack *h1 = ib_world_add_host(w, "h1");
    struct ib_stack *r1 = ib_world_add_router(w, "r1");
    struct ib_bridge *s1 = ib_world_add_switch(w, "s1");
    assert_non_null(h1);
    assert_non_null(r1);
    assert_non_null(s1);
    assert_null(ib_world_add_host(w, "h1"));
    assert_null(ib_world_add_switch(w, "r1"));
    assert_null(ib_world_add_router(w, ""));
    assert_null(ib_world_add_router(w, "a:b"));
    assert_null(ib_world_add_host(w, "a-name-that-is-longer-than-32-bytes"));
    assert_ptr_equal(ib_world_node(w, "h1"), &h1->node);
    assert_ptr_equal(ib_world_node(w, "s1"), &s1->node);
    assert_null(ib_world_node(w, "h"));
    assert_null(ib_world_node(w, "h10"));
    assert_int_equal(h1->node.kind, IB_NODE_HOST);
    assert_int_equal(r1->node.kind, IB_NODE_ROUTER);
    assert_int_equal(s1->node.kind, IB_NODE_SWITCH);
    assert_false(h1->cfg.forwarding);
    assert_true(r1->cfg.forwarding);
    assert_int_equal(r1->node.id, 1);

    /* Interfaces: MAC 02:<id, 32 bits>:<index>. */
    struct ib_netif *r1e0 = ib_world_add_netif(w, &r1->node, "eth0");
    struct ib_netif *r1e1 = ib_world_add_netif(w, &r1->node, "eth1");
    struct ib_netif *s1p = ib_world_add_netif(w, &s1->node, "p1");
    assert_non_null(r1e0);
    assert_non_null(r1e1);
    assert_non_null(s1p);
    assert_null(ib_world_add_netif(w, &r1->node, "eth0"));
    assert_null(ib_world_add_netif(w, &r1->node, "x:y"));
    const uint8_t want0[6] = {0x02, 0, 0, 0, 1, 0}, want1[6] = {0x02, 0, 0, 0, 1, 1};
    assert_memory_equal(r1e0->mac.b, want0, 6);
    assert_memory_equal(r1e1->mac.b, want1, 6);
    assert_true(r1e0->up);
    assert_ptr_equal(ib_world_netif(w, "r1:eth1"), r1e1);
    assert_ptr_equal(ib_world_netif(w, "s1:p1"), s1p);
    assert_null(ib_world_netif(w, "r1:eth2"));
    assert_null(ib_world_netif(w, "r2:eth0"));
    assert_null(ib_world_netif(w, "r1"));
    assert_null(ib_world_netif(w, ":eth0"));

    /* Many nodes: the name index grows and still finds each one. */
    char name[IB_NAME_MAX];
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof(name), "n%d", i);
        assert_non_null(ib_world_add_host(w, name));
    }
    for (int i = 0; i < 3000; i++) {
        snprintf(name, sizeof(name), "n%d", i);
        struct ib_node *n = ib_world_node(w, name);
        assert_non_null(n);
        assert_int_equal(n->id, 3 + i);
    }
    struct ib_netif *last = ib_world_add_netif(w, ib_world_node(w, "n2999"), "eth0");
    const uint8_t want_last[6] = {0x02, 0, 0, (3002 >> 8) & 0xff, 3002 & 0xff, 0};
    assert_memory_equal(last->mac.b, want_last, 6);

    /* Links: an interface takes one cable. */
    struct ib_link *l = ib_world_connect(w, r1e0, s1p, NULL);
    assert_non_null(l);
    assert_int_equal(l->id, 0);
    assert_null(ib_world_connect(w, r1e0, r1e1, NULL));
    assert_non_null(ib_world_connect(w, r1e1, last, NULL));
    assert_int_equal(w->n_links, 2);
    ib_world_free(w);
}

/* ---- ping and traceroute through whole stacks ---- */

struct probe {
    struct ib_icmp_echo echo;
    struct ib_udp_pcb udp;
    struct ib_world *w;
    uint32_t replies;
    ib_ip4 reply_from;
    uint16_t reply_seq;
    uint8_t reply_ttl;
    ib_time reply_at;
    uint32_t errors;
    ib_ip4 err_from;
    uint8_t err_type, err_code;
    uint16_t err_dport;
};

static void on_reply(struct ib_icmp_echo *e, ib_ip4 from, uint16_t seq, uint8_t ttl,
                     const uint8_t *data, size_t len)
{
    struct probe *pr = e->arg;
    pr->replies++;
    pr->reply_from = from;
    pr->reply_seq = seq;
    pr->reply_ttl = ttl;
    pr->reply_at = ib_now(&pr->w->env);
}

static void note_error(struct probe *pr, ib_ip4 from, uint8_t type, uint8_t code)
{
    pr->errors++;
    pr->err_from = from;
    pr->err_type = type;
    pr->err_code = code;
}

static void on_echo_error(struct ib_icmp_echo *e, ib_ip4 from, uint8_t type, uint8_t code,
                          uint16_t seq)
{
    note_error(e->arg, from, type, code);
}

static void on_udp_error(struct ib_udp_pcb *u, ib_ip4 from, uint8_t type, uint8_t code, ib_ip4 dst,
                         uint16_t dport)
{
    struct probe *pr = u->arg;
    note_error(pr, from, type, code);
    pr->err_dport = dport;
}

static void probe_open(struct probe *pr, struct ib_world *w, struct ib_stack *s, uint16_t id)
{
    memset(pr, 0, sizeof(*pr));
    pr->w = w;
    ib_icmp_echo_open(s, &pr->echo, id);
    pr->echo.reply = on_reply;
    pr->echo.error = on_echo_error;
    pr->echo.arg = pr;
    assert_int_equal(ib_udp_bind(s, &pr->udp, 0, 0), 0);
    pr->udp.err = on_udp_error;
    pr->udp.arg = pr;
}

static void probe_close(struct probe *pr)
{
    ib_icmp_echo_close(&pr->echo);
    ib_udp_close(&pr->udp);
}

struct arp_seen {
    uint32_t requests, replies;
    const struct ib_node *req_node;
    ib_ip4 req_ip;
    ib_time first_request;
};

static void watch_arp(void *ctx, const struct ib_event *ev)
{
    struct arp_seen *a = ctx;
    if (ev->kind == IB_EV_ARP_REQUEST) {
        if (a->requests++ == 0) {
            a->req_node = ev->node;
            a->req_ip = ev->u.arp.ip;
            a->first_request = ev->t;
        }
    } else if (ev->kind == IB_EV_ARP_REPLY) {
        a->replies++;
    }
}

static struct ib_netif *netif(struct ib_world *w, const char *ep)
{
    struct ib_netif *n = ib_world_netif(w, ep);
    assert_non_null(n);
    return n;
}

static void cable(struct ib_world *w, const char *a, const char *b,
                  const struct ib_link_params *p)
{
    assert_non_null(ib_world_connect(w, netif(w, a), netif(w, b), p));
}

static void addr(struct ib_world *w, const char *ep, ib_ip4 a, uint8_t plen)
{
    struct ib_netif *n = netif(w, ep);
    assert_int_equal(ib_stack_set_addr(ib_stack_of(n), n, a, plen), 0);
}

static void run_for(struct ib_world *w, ib_time d) { ib_world_run(w, ib_now(&w->env) + d); }

/* RFC 826: the first datagram to a neighbour waits for an ARP exchange;
 * the echo reply (RFC 792) comes back once it is resolved. */
static void test_ping_across_switch(void **state)
{
    struct ib_world *w = ib_world_new(42);
    struct arp_seen seen = {0};
    assert_int_equal(ib_world_observe(w, watch_arp, &seen), 0);
    struct ib_stack *h1 = ib_world_add_host(w, "h1");
    struct ib_stack *h2 = ib_world_add_host(w, "h2");
    struct ib_bridge *sw = ib_world_add_switch(w, "sw");
    ib_world_add_netif(w, &h1->node, "eth0");
    ib_world_add_netif(w, &h2->node, "eth0");
    ib_world_add_netif(w, &sw->node, "p1");
    ib_world_add_netif(w, &sw->node, "p2");
    cable(w, "h1:eth0", "sw:p1", NULL);
    cable(w, "h2:eth0", "sw:p2", NULL);
    addr(w, "h1:eth0", IB_IP4(10, 0, 0, 1), 24);
    addr(w, "h2:eth0", IB_IP4(10, 0, 0, 2), 24);
    run_for(w, IB_SEC(1));
    memset(&seen, 0, sizeof(seen));

    struct probe p1, p2;
    probe_open(&p1, w, h1, 0x1111);
    probe_open(&p2, w, h2, 0x2222);
    ib_time t0 = ib_now(&w->env);
    assert_int_equal(ib_icmp_echo_send(&p1.echo, IB_IP4(10, 0, 0, 2), 1, 56, 64), 0);
    run_for(w, IB_SEC(1));
    assert_int_equal(seen.requests, 1);
    assert_ptr_equal(seen.req_node, &h1->node);
    assert_int_equal(seen.req_ip, IB_IP4(10, 0, 0, 2));
    assert_int_equal(seen.replies, 1);
    assert_int_equal(p1.replies, 1);
    assert_int_equal(p1.reply_from, IB_IP4(10, 0, 0, 2));
    assert_int_equal(p1.reply_seq, 1);
    assert_int_equal(p1.reply_ttl, 64);
    assert_true(p1.reply_at > t0);
    const struct ib_arp_entry *e = ib_arp_lookup(netif(w, "h1:eth0"), IB_IP4(10, 0, 0, 2));
    assert_non_null(e);
    assert_memory_equal(e->mac.b, netif(w, "h2:eth0")->mac.b, 6);

    /* h2 learned h1 from the request it answered: no more ARP. */
    assert_int_equal(ib_icmp_echo_send(&p2.echo, IB_IP4(10, 0, 0, 1), 7, 56, 64), 0);
    run_for(w, IB_SEC(1));
    assert_int_equal(seen.requests, 1);
    assert_int_equal(p2.replies, 1);
    assert_int_equal(p2.reply_from, IB_IP4(10, 0, 0, 1));
    assert_int_equal(p2.reply_seq, 7);
    assert_int_equal(sw->stats.learned, 2);

    probe_close(&p1);
    probe_close(&p2);
    assert_pool_empty(w);
    ib_world_free(w);
}

/* h1 - s1 - r1 - r2 - s2 - h2 with static routes. */
static struct ib_world *two_lans(uint64_t seed, const struct ib_link_params *p)
{
    struct ib_world *w = ib_world_new(seed);
    assert_non_null(w);
    struct ib_stack *h1 = ib_world_add_host(w, "h1");
    struct ib_stack *h2 = ib_world_add_host(w, "h2");
    struct ib_stack *r1 = ib_world_add_router(w, "r1");
    struct ib_stack *r2 = ib_world_add_router(w, "r2");
    struct ib_bridge *s1 = ib_world_add_switch(w, "s1");
    struct ib_bridge *s2 = ib_world_add_switch(w, "s2");
    ib_world_add_netif(w, &h1->node, "eth0");
    ib_world_add_netif(w, &h2->node, "eth0");
    ib_world_add_netif(w, &r1->node, "eth0");
    ib_world_add_netif(w, &r1->node, "eth1");
    ib_world_add_netif(w, &r2->node, "eth0");
    ib_world_add_netif(w, &r2->node, "eth1");
    ib_world_add_netif(w, &s1->node, "p1");
    ib_world_add_netif(w, &s1->node, "p2");
    ib_world_add_netif(w, &s2->node, "p1");
    ib_world_add_netif(w, &s2->node, "p2");
    cable(w, "h1:eth0", "s1:p1", p);
    cable(w, "r1:eth0", "s1:p2", p);
    cable(w, "r1:eth1", "r2:eth0", p);
    cable(w, "r2:eth1", "s2:p1", p);
    cable(w, "h2:eth0", "s2:p2", p);
    addr(w, "h1:eth0", IB_IP4(10, 0, 1, 10), 24);
    addr(w, "r1:eth0", IB_IP4(10, 0, 1, 1), 24);
    addr(w, "r1:eth1", IB_IP4(10, 0, 12, 1), 30);
    addr(w, "r2:eth0", IB_IP4(10, 0, 12, 2), 30);
    addr(w, "r2:eth1", IB_IP4(10, 0, 2, 1), 24);
    addr(w, "h2:eth0", IB_IP4(10, 0, 2, 10), 24);
    assert_int_equal(ib_stack_add_route(h1, 0, 0, IB_IP4(10, 0, 1, 1), netif(w, "h1:eth0")), 0);
    assert_int_equal(ib_stack_add_route(h2, 0, 0, IB_IP4(10, 0, 2, 1), netif(w, "h2:eth0")), 0);
    assert_int_equal(
        ib_stack_add_route(r1, IB_IP4(10, 0, 2, 0), 24, IB_IP4(10, 0, 12, 2), netif(w, "r1:eth1")),
        0);
    assert_int_equal(
        ib_stack_add_route(r2, IB_IP4(10, 0, 1, 0), 24, IB_IP4(10, 0, 12, 1), netif(w, "r2:eth0")),
        0);
    return w;
}

static struct ib_stack *stack(struct ib_world *w, const char *name)
{
    struct ib_node *n = ib_world_node(w, name);
    assert_non_null(n);
    return (struct ib_stack *)n;
}

static void udp_probe(struct probe *pr, ib_ip4 dst, uint16_t dport, uint8_t ttl)
{
    struct ib_pkt *p = ib_pkt_alloc(pr->w->env.pool, IB_PKT_HEADROOM, 32);
    assert_non_null(p);
    memset(p->data, 0x40 + ttl, 32);
    assert_int_equal(ib_udp_sendto(&pr->udp, p, dst, dport, ttl), 0);
}

static void test_ping_and_traceroute_across_routers(void **state)
{
    struct ib_world *w = two_lans(7, NULL);
    run_for(w, IB_SEC(1));
    const ib_ip4 dst = IB_IP4(10, 0, 2, 10);
    struct probe pr;
    probe_open(&pr, w, stack(w, "h1"), 0x4242);

    assert_int_equal(ib_icmp_echo_send(&pr.echo, dst, 1, 56, 64), 0);
    run_for(w, IB_SEC(1));
    assert_int_equal(pr.replies, 1);
    assert_int_equal(pr.reply_from, dst);
    /* RFC 791: each router on the way back takes one off the TTL. */
    assert_int_equal(pr.reply_ttl, 62);
    assert_int_equal(stack(w, "r1")->ip_stats.forwarded, 2);
    assert_int_equal(stack(w, "r2")->ip_stats.forwarded, 2);

    /* An echo with TTL 1 dies at r1 (RFC 1812 §5.3.1). */
    assert_int_equal(ib_icmp_echo_send(&pr.echo, dst, 2, 56, 1), 0);
    run_for(w, IB_SEC(1));
    assert_int_equal(pr.errors, 1);
    assert_int_equal(pr.err_from, IB_IP4(10, 0, 1, 1));
    assert_int_equal(pr.err_type, IB_ICMP_TIME_EXCEEDED);
    assert_int_equal(pr.err_code, IB_ICMP_EXC_TTL);

    /* Traceroute with UDP: time exceeded from each router, then port
     * unreachable (RFC 1122 §4.1.3.1) from the destination. */
    const ib_ip4 hops[3] = {IB_IP4(10, 0, 1, 1), IB_IP4(10, 0, 12, 2), dst};
    for (uint8_t ttl = 1; ttl <= 3; ttl++) {
        pr.errors = 0;
        udp_probe(&pr, dst, (uint16_t)(33433 + ttl), ttl);
        run_for(w, IB_SEC(1));
        assert_int_equal(pr.errors, 1);
        assert_int_equal(pr.err_from, hops[ttl - 1]);
        assert_int_equal(pr.err_dport, 33433 + ttl);
        if (ttl < 3) {
            assert_int_equal(pr.err_type, IB_ICMP_TIME_EXCEEDED);
            assert_int_equal(pr.err_code, IB_ICMP_EXC_TTL);
        } else {
            assert_int_equal(pr.err_type, IB_ICMP_DEST_UNREACH);
            assert_int_equal(pr.err_code, IB_ICMP_UNREACH_PORT);
        }
    }
    assert_int_equal(stack(w, "r1")->node.drops[IB_DROP_IP_TTL_EXPIRED], 2);
    assert_int_equal(stack(w, "r2")->node.drops[IB_DROP_IP_TTL_EXPIRED], 1);
    assert_int_equal(stack(w, "h2")->node.drops[IB_DROP_UDP_NO_LISTENER], 1);

    probe_close(&pr);
    assert_pool_empty(w);
    ib_world_free(w);
}

/* ---- determinism ---- */

struct ev_hash {
    uint64_t h, n;
};

static void hash_bytes(uint64_t *h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        *h = (*h ^ b[i]) * 1099511628211u;
}

static void hash_event(void *ctx, const struct ib_event *ev)
{
    struct ev_hash *eh = ctx;
    uint32_t node = ev->node ? ev->node->id : UINT32_MAX;
    uint32_t kind = ev->kind, reason = ev->reason;
    hash_bytes(&eh->h, &ev->t, sizeof(ev->t));
    hash_bytes(&eh->h, &kind, sizeof(kind));
    hash_bytes(&eh->h, &reason, sizeof(reason));
    hash_bytes(&eh->h, &node, sizeof(node));
    hash_bytes(&eh->h, &ev->len, sizeof(ev->len));
    if (ev->data)
        hash_bytes(&eh->h, ev->data, ev->len);
    eh->n++;
}

/* Pings and UDP probes across two routers over impaired links; returns the
 * hash of every event the world emitted. */
static uint64_t impaired_run(struct ib_world *w, struct ev_hash *eh)
{
    struct probe pr;
    probe_open(&pr, w, stack(w, "h1"), 0x7777);
    for (uint16_t i = 0; i < 40; i++) {
        ib_icmp_echo_send(&pr.echo, IB_IP4(10, 0, 2, 10), i, 200, 64);
        udp_probe(&pr, IB_IP4(10, 0, 2, 10), (uint16_t)(33434 + i), (uint8_t)(1 + i % 4));
        run_for(w, IB_MS(100));
    }
    run_for(w, IB_SEC(120));
    probe_close(&pr);
    assert_pool_empty(w);
    return eh->h;
}

static struct ib_world *impaired_world(uint64_t seed, struct ev_hash *eh)
{
    struct ib_link_params p = ib_link_defaults;
    p.delay = IB_US(50);
    p.loss = 0.05;
    p.duplicate = 0.05;
    p.reorder = 0.1;
    p.corrupt = 0.02;
    eh->h = 1469598103934665603u;
    eh->n = 0;
    struct ib_world *w = two_lans(seed, &p);
    assert_int_equal(ib_world_observe(w, hash_event, eh), 0);
    return w;
}

static void test_same_seed_same_run(void **state)
{
    /* Two worlds alive at once, run interleaved: they share nothing. */
    struct ev_hash ea, eb, ec;
    struct ib_world *a = impaired_world(99, &ea);
    struct ib_world *b = impaired_world(99, &eb);
    ib_world_run(a, IB_MS(2));
    ib_world_run(b, IB_MS(1));
    ib_world_run(b, IB_MS(2));
    uint64_t ha = impaired_run(a, &ea);
    uint64_t hb = impaired_run(b, &eb);
    assert_true(ea.n > 1000);
    assert_int_equal(ea.n, eb.n);
    assert_int_equal(ha, hb);
    uint64_t lost = 0;
    for (uint32_t i = 0; i < a->n_links; i++)
        for (int e = 0; e < 2; e++)
            lost += a->links[i]->end[e].stats.lost;
    assert_true(lost > 0);
    ib_world_free(a);
    ib_world_free(b);

    struct ib_world *c = impaired_world(100, &ec);
    uint64_t hc = impaired_run(c, &ec);
    assert_int_not_equal(ha, hc);
    ib_world_free(c);
}

/* Freeing a world in the middle of traffic releases everything (checked by
 * the sanitizer build's leak checker). */
static void test_free_mid_run(void **state)
{
    struct ib_world *w = two_lans(5, NULL);
    struct probe pr;
    probe_open(&pr, w, stack(w, "h1"), 1);
    for (uint16_t i = 0; i < 5; i++)
        ib_icmp_echo_send(&pr.echo, IB_IP4(10, 0, 2, 10), i, 1000, 64);
    run_for(w, IB_US(30));
    probe_close(&pr);
    ib_world_free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_lookup),
        cmocka_unit_test(test_ping_across_switch),
        cmocka_unit_test(test_ping_and_traceroute_across_routers),
        cmocka_unit_test(test_same_seed_same_run),
        cmocka_unit_test(test_free_mid_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

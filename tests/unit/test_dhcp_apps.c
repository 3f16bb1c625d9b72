/* The DHCP client and server (RFC 2131) on a small world, cables of 1 ms
 * and no rate limit:
 *
 *   h1, h2, h3 eth0 -- sw -- eth0 r1 10.0.0.1/24 (DHCP server) eth1 10.0.1.1/24 -- eth0
 * h9 10.0.1.10/24
 *
 * The server hands out 10.0.0.100 .. pool_last with router 10.0.0.1 and
 * DNS 10.0.0.53, 9.9.9.9. An observer keeps every IB_EV_DHCP event, and
 * the IPv4 header of every datagram a DHCP message went out in (found by
 * its journey). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "inetbox/apps.h"
#include "inetbox/dhcp.h"
#include "inetbox/world.h"

#define R1 IB_IP4(10, 0, 0, 1)
#define H9 IB_IP4(10, 0, 1, 10)
#define POOL0 IB_IP4(10, 0, 0, 100)
#define DNS0 IB_IP4(10, 0, 0, 53)
#define DNS1 IB_IP4(9, 9, 9, 9)
#define NHOSTS 3
#define MAX_EV 256

struct dev {
    ib_time t;
    const struct ib_node *node;
    uint8_t what, msg, plen;
    uint32_t xid, journey;
    ib_ip4 ciaddr, yiaddr, server, router, dns;
    uint32_t lease_s;
    struct ib_mac chaddr;
    uint16_t secs, flags;  /* TX/RX: from the message bytes */
    ib_ip4 ip_src, ip_dst; /* TX: the datagram's addresses */
};

struct net {
    struct ib_world *w;
    struct ib_stack *h[NHOSTS], *r1, *h9;
    struct ib_netif *he[NHOSTS], *lan;
    struct ib_link *hl[NHOSTS];
    struct ib_dhcp_server *srv;
    int n;
    struct dev ev[MAX_EV];
};

static void observe(void *ctx, const struct ib_event *e)
{
    struct net *n = ctx;
    if (e->kind == IB_EV_IP_TX) {
        /* The datagram carrying a DHCP message we saw leave. */
        for (int i = n->n - 1; i >= 0; i--) {
            struct dev *d = &n->ev[i];
            if (d->what == IB_DHCP_TX && d->journey == e->journey && e->len >= 20) {
                d->ip_src = ib_get32(e->data + 12);
                d->ip_dst = ib_get32(e->data + 16);
                break;
            }
        }
        return;
    }
    if (e->kind != IB_EV_DHCP) return;
    assert_true(n->n < MAX_EV);
    assert_int_equal(e->layer, 7);
    struct dev *d = &n->ev[n->n++];
    memset(d, 0, sizeof(*d));
    d->t = e->t;
    d->node = e->node;
    d->what = e->u.dhcp.what;
    d->msg = e->u.dhcp.msg;
    d->plen = e->u.dhcp.plen;
    d->xid = e->u.dhcp.xid;
    d->journey = e->journey;
    d->ciaddr = e->u.dhcp.ciaddr;
    d->yiaddr = e->u.dhcp.yiaddr;
    d->server = e->u.dhcp.server;
    d->router = e->u.dhcp.router;
    d->dns = e->u.dhcp.dns;
    d->lease_s = e->u.dhcp.lease_s;
    d->chaddr = e->u.dhcp.chaddr;
    if (e->data && e->len >= IB_DHCP_FIXED_LEN) {
        d->secs = ib_get16(e->data + 8);
        d->flags = ib_get16(e->data + 10);
    }
}

static const struct ib_link_params *params(void)
{
    static struct ib_link_params p;
    p = ib_link_defaults;
    p.rate_bps = 0;
    p.delay = IB_MS(1);
    return &p;
}

static void net_build(struct net *n)
{
    memset(n, 0, sizeof(*n));
    n->w = ib_world_new(7);
    assert_non_null(n->w);
    struct ib_world *w = n->w;
    struct ib_bridge *sw = ib_world_add_switch(w, "sw");
    n->r1 = ib_world_add_router(w, "r1");
    n->h9 = ib_world_add_host(w, "h9");
    for (int i = 0; i < NHOSTS; i++) {
        char name[8], port[8];
        snprintf(name, sizeof(name), "h%d", i + 1);
        snprintf(port, sizeof(port), "p%d", i + 1);
        n->h[i] = ib_world_add_host(w, name);
        n->he[i] = ib_world_add_netif(w, &n->h[i]->node, "eth0");
        n->hl[i] = ib_world_connect(w, n->he[i], ib_world_add_netif(w, &sw->node, port), params());
        assert_non_null(n->hl[i]);
    }
    n->lan = ib_world_add_netif(w, &n->r1->node, "eth0");
    struct ib_netif *r1e1 = ib_world_add_netif(w, &n->r1->node, "eth1");
    struct ib_netif *h9e0 = ib_world_add_netif(w, &n->h9->node, "eth0");
    assert_non_null(ib_world_connect(w, n->lan, ib_world_add_netif(w, &sw->node, "p9"), params()));
    assert_non_null(ib_world_connect(w, r1e1, h9e0, params()));
    assert_int_equal(ib_stack_set_addr(n->r1, n->lan, R1, 24), 0);
    assert_int_equal(ib_stack_set_addr(n->r1, r1e1, IB_IP4(10, 0, 1, 1), 24), 0);
    assert_int_equal(ib_stack_set_addr(n->h9, h9e0, H9, 24), 0);
    assert_int_equal(ib_stack_add_route(n->h9, 0, 0, IB_IP4(10, 0, 1, 1), h9e0), 0);
    assert_int_equal(ib_world_observe(w, observe, n), 0);
}

static struct ib_dhcp_server_config server_config(unsigned pool, uint32_t lease_s)
{
    struct ib_dhcp_server_config cfg = {
        .pool_first = POOL0,
        .pool_last = POOL0 + pool - 1,
        .router = R1,
        .dns = {DNS0, DNS1},
        .n_dns = 2,
        .lease_s = lease_s,
    };
    return cfg;
}

static void server_start(struct net *n, unsigned pool, uint32_t lease_s)
{
    struct ib_dhcp_server_config cfg = server_config(pool, lease_s);
    n->srv = ib_dhcp_server_start(n->r1, n->lan, &cfg);
    assert_non_null(n->srv);
}

static void run_to(struct net *n, ib_time t)
{
    ib_world_run(n->w, t);
}

/* The world with a server of `pool` addresses and leases of lease_s, and
 * h1's client bound after a second. */
static struct ib_dhcp_client *net_with_lease(struct net *n, unsigned pool, uint32_t lease_s)
{
    net_build(n);
    server_start(n, pool, lease_s);
    struct ib_dhcp_client *c = ib_dhcp_client_start(n->h[0], n->he[0], NULL, NULL);
    assert_non_null(c);
    run_to(n, IB_SEC(1));
    assert_int_equal(ib_dhcp_client_state(c), IB_DHCPC_BOUND);
    return c;
}

static void net_free(struct net *n)
{
    ib_dhcp_server_stop(n->srv);
    ib_world_run(n->w, IB_TIME_NEVER);
    struct ib_pkt_pool_stats st;
    ib_pkt_pool_stats(n->w->env.pool, &st);
    assert_int_equal(st.in_use, 0);
    ib_world_free(n->w);
}

/* The i-th event (from `from`) of what/msg on node, or NULL. */
static const struct dev *find(const struct net *n, int from, const struct ib_stack *node,
                              uint8_t what, uint8_t msg, int *at)
{
    for (int i = from; i < n->n; i++) {
        const struct dev *d = &n->ev[i];
        if (d->node == &node->node && d->what == what && d->msg == msg) {
            if (at) *at = i;
            return d;
        }
    }
    return NULL;
}

static int count(const struct net *n, const struct ib_stack *node, uint8_t what, uint8_t msg)
{
    int c = 0;
    for (int i = 0; i < n->n; i++)
        c += n->ev[i].node == &node->node && n->ev[i].what == what && n->ev[i].msg == msg;
    return c;
}

static bool has_default_route(struct ib_stack *s, ib_ip4 gw)
{
    uint32_t nr;
    const struct ib_route *r = ib_fib_routes(&s->fib, &nr);
    for (uint32_t i = 0; i < nr; i++)
        if (r[i].plen == 0) return r[i].gateway == gw;
    return false;
}

struct bound_log {
    int calls;
    struct ib_dhcp_lease l;
};

static void on_bound(struct ib_dhcp_client *c, const struct ib_dhcp_lease *l, void *arg)
{
    struct bound_log *b = arg;
    assert_ptr_equal(ib_dhcp_client_lease(c), l);
    b->calls++;
    b->l = *l;
}

/* RFC 2131 §3.1: DISCOVER, OFFER, REQUEST, ACK; the client then holds the
 * address, prefix, default route and name servers, and reaches beyond the
 * router. */
static void test_dora(void **state)
{
    (void)state;
    struct net n;
    net_build(&n);
    server_start(&n, 10, 0);
    struct bound_log b = {0};
    struct ib_dhcp_client *c = ib_dhcp_client_start(n.h[0], n.he[0], on_bound, &b);
    assert_non_null(c);
    assert_null(ib_dhcp_client_lease(c));
    run_to(&n, IB_SEC(5));

    assert_int_equal(ib_dhcp_client_state(c), IB_DHCPC_BOUND);
    assert_string_equal(ib_dhcp_client_state_str(ib_dhcp_client_state(c)), "BOUND");
    assert_int_equal(n.he[0]->addr, POOL0);
    assert_int_equal(n.he[0]->plen, 24);
    assert_true(has_default_route(n.h[0], R1));
    assert_int_equal(n.h[0]->resolv.n, 2);
    assert_int_equal(n.h[0]->resolv.servers[0], DNS0);
    assert_int_equal(n.h[0]->resolv.servers[1], DNS1);
    assert_int_equal(b.calls, 1);
    assert_int_equal(b.l.addr, POOL0);
    assert_int_equal(b.l.server, R1);
    assert_int_equal(b.l.router, R1);
    assert_int_equal(b.l.lease_s, IB_DHCP_DEFAULT_LEASE_S);
    assert_int_equal(b.l.n_dns, 2);

    /* The exchange, in order, each message seen leaving and arriving. */
    const struct {
        const struct ib_stack *node;
        uint8_t what, msg;
    } want[] = {
        {n.h[0], IB_DHCP_TX, IB_DHCPDISCOVER},
        {n.r1, IB_DHCP_RX, IB_DHCPDISCOVER},
        {n.r1, IB_DHCP_TX, IB_DHCPOFFER},
        {n.h[0], IB_DHCP_RX, IB_DHCPOFFER},
        {n.h[0], IB_DHCP_TX, IB_DHCPREQUEST},
        {n.r1, IB_DHCP_RX, IB_DHCPREQUEST},
        {n.r1, IB_DHCP_TX, IB_DHCPACK},
        {n.h[0], IB_DHCP_RX, IB_DHCPACK},
        {n.h[0], IB_DHCP_BOUND, 0},
    };
    assert_int_equal(n.n, (int)IB_ARRAY_LEN(want));
    uint32_t xid = n.ev[0].xid;
    for (unsigned i = 0; i < IB_ARRAY_LEN(want); i++) {
        assert_ptr_equal(n.ev[i].node, &want[i].node->node);
        assert_int_equal(n.ev[i].what, want[i].what);
        assert_int_equal(n.ev[i].msg, want[i].msg);
        assert_int_equal(n.ev[i].xid, xid);
        assert_memory_equal(n.ev[i].chaddr.b, n.he[0]->mac.b, 6);
    }
    /* The client starts at once; 1 ms per cable, two cables each way. */
    assert_int_equal(n.ev[0].t, 0);
    assert_int_equal(n.ev[8].t, IB_MS(8));
    /* RFC 2131 §4.1: from 0.0.0.0 to the limited broadcast, asking for a
     * broadcast reply; the server broadcasts from its address. */
    for (int i = 0; i < 8; i += 2) {
        assert_int_equal(n.ev[i].ip_src, n.ev[i].node == &n.r1->node ? R1 : 0);
        assert_int_equal(n.ev[i].ip_dst, IB_IP4_BROADCAST);
        assert_int_equal(n.ev[i].flags, IB_DHCP_FLAG_BROADCAST);
    }
    /* RFC 2131 table 3: OFFER and ACK carry the lease and the options. */
    for (int i = 2; i < 8; i += 4) {
        assert_int_equal(n.ev[i].yiaddr, POOL0);
        assert_int_equal(n.ev[i].server, R1);
        assert_int_equal(n.ev[i].router, R1);
        assert_int_equal(n.ev[i].dns, DNS0);
        assert_int_equal(n.ev[i].plen, 24);
        assert_int_equal(n.ev[i].lease_s, IB_DHCP_DEFAULT_LEASE_S);
    }
    assert_int_equal(n.ev[8].yiaddr, POOL0);
    assert_int_equal(n.ev[8].plen, 24);
    assert_int_equal(n.ev[8].router, R1);
    assert_int_equal(n.ev[8].server, R1);
    assert_int_equal(n.ev[8].dns, DNS0);

    struct ib_dhcp_binding bd[4];
    assert_int_equal(ib_dhcp_server_bindings(n.srv, bd, 4), 1);
    assert_int_equal(bd[0].addr, POOL0);
    assert_false(bd[0].offered_only);
    assert_memory_equal(bd[0].chaddr.b, n.he[0]->mac.b, 6);
    assert_int_equal(bd[0].expires, n.ev[5].t + IB_SEC(IB_DHCP_DEFAULT_LEASE_S));

    /* The lease is enough to reach h9 through r1. */
    struct ib_ping p;
    struct ib_ping_config pc = ib_ping_defaults;
    pc.dst = H9;
    pc.count = 2;
    assert_int_equal(ib_ping_start(&p, n.h[0], &pc, NULL, NULL), 0);
    run_to(&n, IB_SEC(10));
    assert_true(p.done);
    assert_int_equal(p.stats.received, 2);
    ib_ping_stop(&p);
    ib_dhcp_client_stop(c);
    /* Stopping sends nothing and leaves the stack configured. */
    assert_int_equal(n.he[0]->addr, POOL0);
    net_free(&n);
}

/* RFC 2131 §4.3.1: two clients get two addresses, the lowest first; with
 * the pool used up a third gets no offer, retransmits with backoff and
 * starts over with a new xid after IB_DHCP_CLIENT_TRIES DISCOVERs. */
static void test_two_hosts_and_exhaustion(void **state)
{
    (void)state;
    struct net n;
    net_build(&n);
    server_start(&n, 2, 0);
    struct ib_dhcp_client *c1 = ib_dhcp_client_start(n.h[0], n.he[0], NULL, NULL);
    struct ib_dhcp_client *c2 = ib_dhcp_client_start(n.h[1], n.he[1], NULL, NULL);
    assert_non_null(c1);
    assert_non_null(c2);
    assert_null(ib_dhcp_client_start(n.h[1], n.he[1], NULL, NULL)); /* port 68 taken */
    run_to(&n, IB_SEC(5));
    assert_int_equal(ib_dhcp_client_state(c1), IB_DHCPC_BOUND);
    assert_int_equal(ib_dhcp_client_state(c2), IB_DHCPC_BOUND);
    assert_int_not_equal(n.he[0]->addr, n.he[1]->addr);
    assert_true(n.he[0]->addr == POOL0 || n.he[0]->addr == POOL0 + 1);
    assert_true(n.he[1]->addr == POOL0 || n.he[1]->addr == POOL0 + 1);
    /* Each client took only its own replies; the other's broadcasts were
     * ignored. */
    assert_true(n.h[0]->node.drops[IB_DROP_DHCP_IGNORED] >= 2);
    struct ib_dhcp_binding bd[4];
    assert_int_equal(ib_dhcp_server_bindings(n.srv, bd, 4), 2);

    int first = n.n;
    struct ib_dhcp_client *c3 = ib_dhcp_client_start(n.h[2], n.he[2], NULL, NULL);
    run_to(&n, IB_SEC(5) + IB_SEC(150));
    assert_int_equal(ib_dhcp_client_state(c3), IB_DHCPC_SELECTING);
    assert_int_equal(n.he[2]->addr, 0);
    assert_int_equal(count(&n, n.r1, IB_DHCP_TX, IB_DHCPOFFER), 2);
    /* RFC 2131 §4.1: 4, 8, 16, 32, 64 s, each +-1 s; then INIT after a
     * pause, and a fresh xid. */
    int at = first;
    const struct dev *d[7];
    for (int i = 0; i < 7; i++) {
        d[i] = find(&n, at, n.h[2], IB_DHCP_TX, IB_DHCPDISCOVER, &at);
        assert_non_null(d[i]);
        at++;
        assert_non_null(find(&n, at, n.r1, IB_DHCP_RX, IB_DHCPDISCOVER, NULL));
    }
    for (int i = 1; i < (int)IB_DHCP_CLIENT_TRIES; i++) {
        ib_time gap = d[i]->t - d[i - 1]->t, base = IB_SEC(4) << (i - 1);
        assert_true(gap >= base - IB_SEC(1) && gap <= base + IB_SEC(1));
        assert_int_equal(d[i]->xid, d[0]->xid);
        assert_int_equal(d[i]->secs, (d[i]->t - d[0]->t) / IB_SEC(1));
    }
    ib_time last_wait = d[5]->t - d[4]->t - IB_DHCP_CLIENT_PAUSE;
    assert_true(last_wait >= IB_SEC(63) && last_wait <= IB_SEC(65));
    assert_int_not_equal(d[5]->xid, d[0]->xid);
    assert_int_equal(d[5]->secs, 0);
    assert_int_equal(d[6]->xid, d[5]->xid);

    ib_dhcp_client_stop(c1);
    ib_dhcp_client_stop(c2);
    ib_dhcp_client_stop(c3);
    net_free(&n);
}

/* RFC 2131 §4.4.5: at T1 (half the lease) the client unicasts a REQUEST
 * with ciaddr to its server, which extends the lease. */
static void test_renewal(void **state)
{
    (void)state;
    struct net n;
    net_build(&n);
    server_start(&n, 4, 120);
    struct bound_log b = {0};
    struct ib_dhcp_client *c = ib_dhcp_client_start(n.h[0], n.he[0], on_bound, &b);
    run_to(&n, IB_SEC(59));
    assert_int_equal(ib_dhcp_client_state(c), IB_DHCPC_BOUND);
    const struct ib_dhcp_lease *l = ib_dhcp_client_lease(c);
    assert_non_null(l);
    ib_time bound_at = l->bound_at;
    assert_int_equal(bound_at, IB_MS(4)); /* when the REQUEST left */
    int mark = n.n;

    run_to(&n, IB_SEC(61));
    int at = 0;
    const struct dev *req = find(&n, mark, n.h[0], IB_DHCP_TX, IB_DHCPREQUEST, &at);
    assert_non_null(req);
    assert_int_equal(req->t, bound_at + IB_SEC(60));
    assert_int_equal(req->ciaddr, POOL0);
    assert_int_equal(req->server, 0); /* table 5: no server identifier */
    assert_int_equal(req->ip_src, POOL0);
    assert_int_equal(req->ip_dst, R1);
    assert_int_equal(req->flags, 0);
    const struct dev *ack = find(&n, at, n.r1, IB_DHCP_TX, IB_DHCPACK, NULL);
    assert_non_null(ack);
    assert_int_equal(ack->ip_dst, POOL0); /* §4.1: unicast to ciaddr */
    assert_int_equal(ack->ciaddr, POOL0);
    assert_non_null(find(&n, at, n.h[0], IB_DHCP_RENEWED, 0, NULL));
    assert_int_equal(ib_dhcp_client_state(c), IB_DHCPC_BOUND);
    assert_int_equal(ib_dhcp_client_lease(c)->bound_at, req->t);
    assert_int_equal(count(&n, n.h[0], IB_DHCP_TX, IB_DHCPDISCOVER), 1);
    assert_int_equal(b.calls, 1); /* renewals are not new bindings */
    struct ib_dhcp_binding bd[2];
    assert_int_equal(ib_dhcp_server_bindings(n.srv, bd, 2), 1);
    assert_int_equal(bd[0].expires, ack->t + IB_SEC(120));

    /* Still renewing every half lease, without losing the address. */
    run_to(&n, IB_SEC(400));
    assert_int_equal(count(&n, n.h[0], IB_DHCP_LOST, 0), 0);
    assert_int_equal(count(&n, n.h[0], IB_DHCP_RENEWED, 0), 6);
    assert_int_equal(n.he[0]->addr, POOL0);
    ib_dhcp_client_stop(c);
    net_free(&n);
}

/* RFC 2131 §4.4.5: with the server gone, RENEWING until T2, REBINDING
 * (broadcast) until the lease ends; then the address, route and name
 * servers go and the client starts over. */
static void test_expiry(void **state)
{
    (void)state;
    struct net n;
    struct ib_dhcp_client *c = net_with_lease(&n, 4, 120);
    ib_time start = ib_dhcp_client_lease(c)->bound_at;
    ib_dhcp_server_stop(n.srv);
    n.srv = NULL;
    int mark = n.n;
    run_to(&n, start + IB_SEC(120) - 1);
    assert_int_equal(ib_dhcp_client_state(c), IB_DHCPC_REBINDING);
    assert_int_equal(n.he[0]->addr, POOL0);
    /* T1 = 60 s: unicast; the 45 s left to T2 are under the 60 s minimum
     * wait, so the next is at T2 = 105 s, broadcast, then at expiry. */
    int at = mark;
    const struct dev *r1 = find(&n, at, n.h[0], IB_DHCP_TX, IB_DHCPREQUEST, &at);
    const struct dev *r2 = find(&n, at + 1, n.h[0], IB_DHCP_TX, IB_DHCPREQUEST, &at);
    assert_non_null(r1);
    assert_non_null(r2);
    assert_null(find(&n, at + 1, n.h[0], IB_DHCP_TX, IB_DHCPREQUEST, NULL));
    assert_int_equal(r1->t, start + IB_SEC(60));
    assert_int_equal(r1->ip_dst, R1);
    assert_int_equal(r2->t, start + IB_SEC(105));
    assert_int_equal(r2->ip_dst, IB_IP4_BROADCAST);
    assert_int_equal(r2->ip_src, POOL0);
    assert_int_equal(r2->ciaddr, POOL0);
    assert_int_not_equal(r2->xid, r1->xid);

    run_to(&n, start + IB_SEC(121));
    const struct dev *lost = find(&n, mark, n.h[0], IB_DHCP_LOST, 0, &at);
    assert_non_null(lost);
    assert_int_equal(lost->t, start + IB_SEC(120));
    assert_int_equal(lost->yiaddr, POOL0);
    assert_null(ib_dhcp_client_lease(c));
    assert_int_equal(n.he[0]->addr, 0);
    assert_false(has_default_route(n.h[0], R1));
    assert_int_equal(n.h[0]->resolv.n, 0);
    /* Straight back to DISCOVER. */
    const struct dev *disc = find(&n, at, n.h[0], IB_DHCP_TX, IB_DHCPDISCOVER, NULL);
    assert_non_null(disc);
    assert_int_equal(disc->t, lost->t);
    assert_int_equal(disc->ip_src, 0);
    assert_int_equal(ib_dhcp_client_state(c), IB_DHCPC_SELECTING);
    ib_dhcp_client_stop(c);
    net_free(&n);
}

/* A bare DHCP endpoint on port 68, to send what a well-behaved client
 * would not. */
struct raw {
    struct ib_udp_pcb pcb;
    struct ib_netif *nif;
    int n;
    struct ib_dhcp_msg last;
};

static void raw_recv(struct ib_udp_pcb *u, ib_ip4 src, uint16_t sport, struct ib_pkt *p)
{
    struct raw *r = u->arg;
    (void)src;
    (void)sport;
    struct ib_dhcp_msg m;
    if (ib_dhcp_parse(p->data, p->len, &m) == 0 && m.op == IB_BOOTREPLY &&
        memcmp(m.chaddr, r->nif->mac.b, 6) == 0) {
        r->last = m;
        r->n++;
    }
    ib_pkt_free(p);
}

static void raw_open(struct raw *r, struct ib_stack *s, struct ib_netif *nif)
{
    memset(r, 0, sizeof(*r));
    r->nif = nif;
    assert_int_equal(ib_udp_bind_netif(s, &r->pcb, nif, IB_DHCP_CLIENT_PORT), 0);
    r->pcb.recv = raw_recv;
    r->pcb.arg = r;
}

/* A client message of type from nif's MAC, options beyond the type left
 * to the caller. */
static void request_init(struct ib_dhcp_msg *m, uint8_t type, const struct ib_netif *nif)
{
    memset(m, 0, sizeof(*m));
    m->op = IB_BOOTREQUEST;
    m->htype = 1;
    m->hlen = 6;
    m->xid = 0x1234;
    memcpy(m->chaddr, nif->mac.b, 6);
    m->type = type;
    m->has = 1ull << IB_DHCP_OPT_MSG_TYPE;
}

static void raw_send(struct raw *r, uint8_t type, ib_ip4 ciaddr, ib_ip4 requested, ib_ip4 server)
{
    struct ib_dhcp_msg m;
    request_init(&m, type, r->nif);
    m.ciaddr = ciaddr;
    m.flags = IB_DHCP_FLAG_BROADCAST;
    m.requested_ip = requested;
    m.server_id = server;
    if (requested) m.has |= 1ull << IB_DHCP_OPT_REQUESTED_IP;
    if (server) m.has |= 1ull << IB_DHCP_OPT_SERVER_ID;
    uint8_t b[600];
    size_t len = ib_dhcp_emit(&m, b, sizeof(b));
    assert_true(len > 0);
    struct ib_pkt *p = ib_pkt_from(r->pcb.stack->node.env->pool, b, len);
    assert_non_null(p);
    ib_udp_sendto(&r->pcb, p, ciaddr ? R1 : IB_IP4_BROADCAST, IB_DHCP_SERVER_PORT, 0);
}

/* RFC 2131 §4.3.2: REQUESTs for addresses the server did not offer, or on
 * another network, get a NAK (broadcast, §4.1); one from a client it has
 * no record of, in INIT-REBOOT, gets nothing. §4.3.3: a DECLINEd address
 * is not offered again. */
static void test_server_refusals(void **state)
{
    (void)state;
    struct net n;
    net_build(&n);
    server_start(&n, 4, 0);
    struct raw r;
    raw_open(&r, n.h[2], n.he[2]);

    raw_send(&r, IB_DHCPREQUEST, 0, IB_IP4(192, 168, 5, 5), 0); /* INIT-REBOOT, foreign */
    run_to(&n, IB_SEC(1));
    assert_int_equal(r.n, 1);
    assert_int_equal(r.last.type, IB_DHCPNAK);
    assert_int_equal(r.last.server_id, R1);
    assert_int_equal(r.last.yiaddr, 0);
    const struct dev *nak = find(&n, 0, n.r1, IB_DHCP_TX, IB_DHCPNAK, NULL);
    assert_non_null(nak);
    assert_int_equal(nak->ip_dst, IB_IP4_BROADCAST);

    raw_send(&r, IB_DHCPREQUEST, 0, POOL0 + 2, 0); /* INIT-REBOOT, unknown client */
    run_to(&n, IB_SEC(2));
    assert_int_equal(r.n, 1);

    raw_send(&r, IB_DHCPREQUEST, 0, POOL0 + 2, R1); /* SELECTING, never offered */
    run_to(&n, IB_SEC(3));
    assert_int_equal(r.n, 2);
    assert_int_equal(r.last.type, IB_DHCPNAK);

    raw_send(&r, IB_DHCPDECLINE, 0, POOL0, R1);
    run_to(&n, IB_SEC(4));
    assert_int_equal(r.n, 2); /* no answer to a DECLINE */
    assert_non_null(find(&n, 0, n.r1, IB_DHCP_RX, IB_DHCPDECLINE, NULL));

    struct ib_dhcp_client *c = ib_dhcp_client_start(n.h[0], n.he[0], NULL, NULL);
    run_to(&n, IB_SEC(5));
    assert_int_equal(n.he[0]->addr, POOL0 + 1);

    /* Another client's address is refused too. */
    raw_send(&r, IB_DHCPREQUEST, 0, POOL0 + 1, R1);
    run_to(&n, IB_SEC(6));
    assert_int_equal(r.n, 3);
    assert_int_equal(r.last.type, IB_DHCPNAK);

    /* RFC 2131 §4.3.5: an INFORM from a configured host gets the
     * parameters, unicast, without a lease. */
    assert_int_equal(ib_stack_set_addr(n.h[2], n.he[2], IB_IP4(10, 0, 0, 60), 24), 0);
    raw_send(&r, IB_DHCPINFORM, IB_IP4(10, 0, 0, 60), 0, 0);
    run_to(&n, IB_SEC(7));
    assert_int_equal(r.n, 4);
    assert_int_equal(r.last.type, IB_DHCPACK);
    assert_int_equal(r.last.yiaddr, 0);
    assert_int_equal(r.last.ciaddr, IB_IP4(10, 0, 0, 60));
    assert_false(ib_dhcp_has(&r.last, IB_DHCP_OPT_LEASE_TIME));
    assert_int_equal(r.last.routers[0], R1);
    assert_int_equal(r.last.n_dns, 2);
    assert_int_equal(r.last.subnet_mask, ib_ip4_mask(24));
    const struct dev *ack = &n.ev[n.n - 1];
    assert_int_equal(ack->msg, IB_DHCPACK);
    assert_int_equal(ack->ip_dst, IB_IP4(10, 0, 0, 60));
    assert_int_equal(n.r1->node.drops[IB_DROP_DHCP_MALFORMED], 0);
    ib_udp_close(&r.pcb);
    ib_dhcp_client_stop(c);
    net_free(&n);
}

/* RFC 2131 §4.4.6: RELEASE goes to the server, which frees the binding
 * (§4.3.4); the client unconfigures and stays idle. A later client gets
 * its previous address back (§4.3.1). */
static void test_release(void **state)
{
    (void)state;
    struct net n;
    net_build(&n);
    server_start(&n, 4, 0);
    struct ib_dhcp_client *c2 = ib_dhcp_client_start(n.h[1], n.he[1], NULL, NULL);
    run_to(&n, IB_SEC(1));
    struct ib_dhcp_client *c = ib_dhcp_client_start(n.h[0], n.he[0], NULL, NULL);
    run_to(&n, IB_SEC(2));
    assert_int_equal(n.he[0]->addr, POOL0 + 1);
    struct ib_dhcp_binding bd[4];
    assert_int_equal(ib_dhcp_server_bindings(n.srv, bd, 4), 2);

    int mark = n.n;
    ib_dhcp_client_release(c);
    assert_int_equal(ib_dhcp_client_state(c), IB_DHCPC_IDLE);
    assert_null(ib_dhcp_client_lease(c));
    assert_int_equal(n.he[0]->addr, 0);
    assert_false(has_default_route(n.h[0], R1));
    assert_int_equal(n.h[0]->resolv.n, 0);
    run_to(&n, IB_SEC(3));
    const struct dev *rel = find(&n, mark, n.h[0], IB_DHCP_TX, IB_DHCPRELEASE, NULL);
    assert_non_null(rel);
    assert_int_equal(rel->ip_dst, R1);
    assert_int_equal(rel->ciaddr, POOL0 + 1);
    assert_non_null(find(&n, mark, n.h[0], IB_DHCP_LOST, 0, NULL));
    assert_non_null(find(&n, mark, n.r1, IB_DHCP_RX, IB_DHCPRELEASE, NULL));
    assert_int_equal(ib_dhcp_server_bindings(n.srv, bd, 4), 1);
    assert_memory_equal(bd[0].chaddr.b, n.he[1]->mac.b, 6);
    /* Idle: nothing more. */
    int after = n.n;
    run_to(&n, IB_SEC(100));
    assert_int_equal(count(&n, n.h[0], IB_DHCP_TX, IB_DHCPDISCOVER), 1);
    assert_true(n.n == after);

    ib_dhcp_client_stop(c);
    c = ib_dhcp_client_start(n.h[0], n.he[0], NULL, NULL);
    run_to(&n, IB_SEC(101));
    assert_int_equal(n.he[0]->addr, POOL0 + 1);
    ib_dhcp_client_release(c2);
    run_to(&n, IB_SEC(102));
    assert_int_equal(ib_dhcp_server_bindings(n.srv, bd, 4), 1);
    ib_dhcp_client_release(c);
    run_to(&n, IB_SEC(103));
    assert_int_equal(ib_dhcp_server_bindings(n.srv, bd, 4), 0);
    ib_dhcp_client_stop(c);
    ib_dhcp_client_stop(c2);
    net_free(&n);
}

/* RFC 2131 §4.4.5: a NAK to a renewal (a new server that does not know
 * the address) ends the lease at once; the client starts over and gets an
 * address from the new pool. */
static void test_nak_on_renewal(void **state)
{
    (void)state;
    struct net n;
    struct ib_dhcp_client *c = net_with_lease(&n, 4, 120);
    ib_time start = ib_dhcp_client_lease(c)->bound_at;
    ib_dhcp_server_stop(n.srv);
    struct ib_dhcp_server_config cfg = server_config(4, 120);
    cfg.pool_first = IB_IP4(10, 0, 0, 200);
    cfg.pool_last = IB_IP4(10, 0, 0, 203);
    n.srv = ib_dhcp_server_start(n.r1, n.lan, &cfg);
    assert_non_null(n.srv);
    int mark = n.n;
    run_to(&n, start + IB_SEC(61));
    int at = 0;
    assert_non_null(find(&n, mark, n.h[0], IB_DHCP_RX, IB_DHCPNAK, &at));
    const struct dev *lost = find(&n, at, n.h[0], IB_DHCP_LOST, 0, NULL);
    assert_non_null(lost);
    assert_int_equal(lost->yiaddr, POOL0);
    assert_non_null(find(&n, at, n.h[0], IB_DHCP_BOUND, 0, NULL));
    assert_int_equal(n.he[0]->addr, IB_IP4(10, 0, 0, 200));
    assert_int_equal(ib_dhcp_client_state(c), IB_DHCPC_BOUND);
    ib_dhcp_client_stop(c);
    net_free(&n);
}

/* RFC 2131 §4.1: a lost DISCOVER is sent again after 4 s, then 8 s (each
 * +-1 s), with the same xid and a growing secs field. */
static void test_discover_lost(void **state)
{
    (void)state;
    struct net n;
    net_build(&n);
    server_start(&n, 4, 0);
    n.hl[0]->p.loss = 1.0;
    struct ib_dhcp_client *c = ib_dhcp_client_start(n.h[0], n.he[0], NULL, NULL);
    run_to(&n, IB_SEC(10));
    assert_int_equal(count(&n, n.h[0], IB_DHCP_TX, IB_DHCPDISCOVER), 2);
    assert_int_equal(count(&n, n.r1, IB_DHCP_RX, IB_DHCPDISCOVER), 0);
    n.hl[0]->p.loss = 0;
    run_to(&n, IB_SEC(20));
    assert_int_equal(ib_dhcp_client_state(c), IB_DHCPC_BOUND);
    int at = 0;
    const struct dev *d[3];
    for (int i = 0; i < 3; i++) {
        d[i] = find(&n, at, n.h[0], IB_DHCP_TX, IB_DHCPDISCOVER, &at);
        assert_non_null(d[i]);
        at++;
        assert_int_equal(d[i]->xid, d[0]->xid);
    }
    assert_true(d[1]->t >= IB_SEC(3) && d[1]->t <= IB_SEC(5));
    assert_true(d[2]->t - d[1]->t >= IB_SEC(7) && d[2]->t - d[1]->t <= IB_SEC(9));
    assert_int_equal(d[2]->secs, d[2]->t / IB_SEC(1));
    assert_int_equal(count(&n, n.r1, IB_DHCP_RX, IB_DHCPDISCOVER), 1);
    assert_int_equal(n.hl[0]->end[0].stats.lost, 2); /* h1's end */
    ib_dhcp_client_stop(c);
    net_free(&n);
}

static void send_bytes(struct ib_udp_pcb *u, const uint8_t *b, size_t len, ib_ip4 dst,
                       uint16_t port)
{
    struct ib_pkt *p = ib_pkt_from(u->stack->node.env->pool, b, len);
    assert_non_null(p);
    ib_udp_sendto(u, p, dst, port, 0);
}

/* What does not parse is dropped as DHCP_MALFORMED; what parses but is not
 * for the receiver (a reply sent to the server, another transaction's
 * reply to a client) as DHCP_IGNORED; the server hears only its own
 * interface. */
static void test_malformed_and_ignored(void **state)
{
    (void)state;
    struct net n;
    struct ib_dhcp_client *c = net_with_lease(&n, 4, 0);
    assert_int_equal(ib_stack_set_addr(n.h[1], n.he[1], IB_IP4(10, 0, 0, 50), 24), 0);
    struct ib_udp_pcb u;
    assert_int_equal(ib_udp_bind(n.h[1], &u, 0, 0), 0);

    uint8_t junk[64];
    memset(junk, 0xa5, sizeof(junk));
    send_bytes(&u, junk, sizeof(junk), R1, IB_DHCP_SERVER_PORT);
    /* A well-formed header with a bad magic cookie. */
    struct ib_dhcp_msg m;
    request_init(&m, IB_DHCPDISCOVER, n.he[1]);
    uint8_t b[600];
    size_t len = ib_dhcp_emit(&m, b, sizeof(b));
    b[IB_DHCP_FIXED_LEN] ^= 1;
    send_bytes(&u, b, len, R1, IB_DHCP_SERVER_PORT);
    /* A REQUEST belonging to no client state (table 5). */
    m.type = IB_DHCPREQUEST;
    len = ib_dhcp_emit(&m, b, sizeof(b));
    send_bytes(&u, b, len, R1, IB_DHCP_SERVER_PORT);
    run_to(&n, IB_SEC(2));
    assert_int_equal(n.r1->node.drops[IB_DROP_DHCP_MALFORMED], 3);
    assert_int_equal(count(&n, n.r1, IB_DHCP_RX, IB_DHCPREQUEST), 1); /* the client's */

    /* A BOOTREPLY to the server; an OFFER to the client with its MAC but
     * another xid; one with its xid but another MAC. */
    m.op = IB_BOOTREPLY;
    m.type = IB_DHCPOFFER;
    len = ib_dhcp_emit(&m, b, sizeof(b));
    send_bytes(&u, b, len, R1, IB_DHCP_SERVER_PORT);
    m.xid = n.ev[0].xid + 1;
    memcpy(m.chaddr, n.he[0]->mac.b, 6);
    len = ib_dhcp_emit(&m, b, sizeof(b));
    send_bytes(&u, b, len, IB_IP4_BROADCAST, IB_DHCP_CLIENT_PORT);
    m.xid = n.ev[0].xid;
    m.type = IB_DHCPACK;
    m.chaddr[5] ^= 1;
    len = ib_dhcp_emit(&m, b, sizeof(b));
    send_bytes(&u, b, len, IB_IP4_BROADCAST, IB_DHCP_CLIENT_PORT);
    send_bytes(&u, junk, sizeof(junk), IB_IP4_BROADCAST, IB_DHCP_CLIENT_PORT);
    int before = n.n;
    run_to(&n, IB_SEC(3));
    assert_int_equal(n.r1->node.drops[IB_DROP_DHCP_IGNORED], 1);
    assert_int_equal(n.h[0]->node.drops[IB_DROP_DHCP_IGNORED], 2);
    assert_int_equal(n.h[0]->node.drops[IB_DROP_DHCP_MALFORMED], 1);
    assert_int_equal(n.n, before); /* none of it was a DHCP exchange */
    assert_int_equal(ib_dhcp_client_state(c), IB_DHCPC_BOUND);
    ib_udp_close(&u);

    /* h9 is behind r1's other interface: its DISCOVER finds no server. */
    struct ib_dhcp_client *c9 = ib_dhcp_client_start(n.h9, n.h9->nifs[0], NULL, NULL);
    run_to(&n, IB_SEC(4));
    assert_int_equal(count(&n, n.h9, IB_DHCP_TX, IB_DHCPDISCOVER), 1);
    assert_int_equal(count(&n, n.r1, IB_DHCP_RX, IB_DHCPDISCOVER), 1);
    assert_true(n.r1->node.drops[IB_DROP_UDP_NO_LISTENER] >= 1);
    ib_dhcp_client_stop(c9);
    ib_dhcp_client_stop(c);
    net_free(&n);
}

/* Bad configurations are refused; one server per stack. */
static void test_server_config(void **state)
{
    (void)state;
    struct net n;
    net_build(&n);
    struct ib_dhcp_server_config cfg = server_config(4, 0);
    struct ib_dhcp_server_config bad = cfg;
    bad.pool_last = IB_IP4(10, 0, 1, 5); /* outside the network */
    assert_null(ib_dhcp_server_start(n.r1, n.lan, &bad));
    bad = cfg;
    bad.pool_first = cfg.pool_last + 1;
    assert_null(ib_dhcp_server_start(n.r1, n.lan, &bad));
    assert_null(ib_dhcp_server_start(n.h[0], n.he[0], &cfg)); /* no address */
    assert_null(ib_dhcp_server_start(n.h[0], n.lan, &cfg));   /* not its interface */
    server_start(&n, 4, 0);
    assert_null(ib_dhcp_server_start(n.r1, n.lan, &cfg));
    /* The server's own address, inside the pool, is never offered. */
    ib_dhcp_server_stop(n.srv);
    cfg.pool_first = R1;
    n.srv = ib_dhcp_server_start(n.r1, n.lan, &cfg);
    assert_non_null(n.srv);
    struct ib_dhcp_client *c = ib_dhcp_client_start(n.h[0], n.he[0], NULL, NULL);
    run_to(&n, IB_SEC(1));
    assert_int_equal(n.he[0]->addr, R1 + 1);
    ib_dhcp_client_stop(c);
    net_free(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dora),
        cmocka_unit_test(test_two_hosts_and_exhaustion),
        cmocka_unit_test(test_renewal),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_server_refusals),
        cmocka_unit_test(test_release),
        cmocka_unit_test(test_nak_on_renewal),
        cmocka_unit_test(test_discover_lost),
        cmocka_unit_test(test_malformed_and_ignored),
        cmocka_unit_test(test_server_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

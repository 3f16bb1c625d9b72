/* NAPT at a home router (RFC 3022 §2.2; RFC 4787, RFC 5382 and RFC 5508
 * behaviour) in a small world:
 *
 *   h1 192.168.0.10 --+
 *                     +-- lan -- eth0 192.168.0.1 r1 eth1 203.0.113.1/30 --
 *   h2 192.168.0.11 --+                      (NAT, eth1 outside)
 *
 *   -- eth0 203.0.113.2/30 r2 eth1 198.51.100.1 -- wan --+-- srv  198.51.100.10
 *                                                        +-- srv2 198.51.100.20
 *
 * r2 has no route to 192.168.0.0/24: only translated datagrams get back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "inetbox/cksum.h"
#include "inetbox/nat.h"
#include "inetbox/tcp_wire.h"
#include "inetbox/world.h"
#include "nat/nat_int.h"

#define H1 IB_IP4(192, 168, 0, 10)
#define H2 IB_IP4(192, 168, 0, 11)
#define GW IB_IP4(192, 168, 0, 1)
#define PUB IB_IP4(203, 0, 113, 1)
#define R2 IB_IP4(203, 0, 113, 2)
#define SRV IB_IP4(198, 51, 100, 10)
#define SRV2 IB_IP4(198, 51, 100, 20)

#define MAX_EVS 64
#define EV_BYTES 1600

struct nat_ev {
    uint8_t what, proto;
    ib_ip4 in_addr, pub_addr, peer_addr;
    uint16_t in_port, pub_port, peer_port;
    uint32_t journey, len;
    uint8_t b[EV_BYTES];
};

struct net {
    struct ib_world *w;
    struct ib_stack *h1, *h2, *r1, *r2, *srv, *srv2;
    struct ib_nat *nat;
    struct nat_ev ev[MAX_EVS];
    int n_ev;
    int r1_drop_events[IB_DROP__COUNT];
    uint32_t h1_udp_tx_journey, srv_udp_rx_journey;
};

static void watch(void *ctx, const struct ib_event *e)
{
    struct net *n = ctx;
    if (e->kind == IB_EV_NAT && n->n_ev < MAX_EVS) {
        struct nat_ev *r = &n->ev[n->n_ev++];
        r->what = e->u.nat.what;
        r->proto = e->u.nat.proto;
        r->in_addr = e->u.nat.in_addr;
        r->pub_addr = e->u.nat.pub_addr;
        r->peer_addr = e->u.nat.peer_addr;
        r->in_port = e->u.nat.in_port;
        r->pub_port = e->u.nat.pub_port;
        r->peer_port = e->u.nat.peer_port;
        r->journey = e->journey;
        r->len = e->len < EV_BYTES ? e->len : EV_BYTES;
        if (e->data) memcpy(r->b, e->data, r->len);
    } else if (e->kind == IB_EV_DROP && e->node == &n->r1->node) {
        n->r1_drop_events[e->reason]++;
    } else if (e->kind == IB_EV_UDP_TX && e->node == &n->h1->node) {
        n->h1_udp_tx_journey = e->journey;
    } else if (e->kind == IB_EV_UDP_RX && e->node == &n->srv->node) {
        n->srv_udp_rx_journey = e->journey;
    }
}

/* The last event of kind `what`, or NULL. */
static const struct nat_ev *last_ev(const struct net *n, uint8_t what)
{
    for (int i = n->n_ev - 1; i >= 0; i--)
        if (n->ev[i].what == what) return &n->ev[i];
    return NULL;
}

static int count_ev(const struct net *n, uint8_t what)
{
    int c = 0;
    for (int i = 0; i < n->n_ev; i++)
        c += n->ev[i].what == what;
    return c;
}

static struct ib_netif *nif(struct net *n, struct ib_node *node, const char *name)
{
    struct ib_netif *x = ib_world_add_netif(n->w, node, name);
    assert_non_null(x);
    return x;
}

static void addr(struct ib_stack *s, struct ib_netif *x, ib_ip4 a, uint8_t plen)
{
    assert_int_equal(ib_stack_set_addr(s, x, a, plen), 0);
}

static void run_for(struct net *n, ib_time d)
{
    ib_world_run(n->w, ib_now(&n->w->env) + d);
}

static void net_build(struct net *n, uint64_t seed, const struct ib_nat_config *cfg)
{
    memset(n, 0, sizeof(*n));
    n->w = ib_world_new(seed);
    assert_non_null(n->w);
    assert_int_equal(ib_world_observe(n->w, watch, n), 0);
    n->h1 = ib_world_add_host(n->w, "h1");
    n->h2 = ib_world_add_host(n->w, "h2");
    n->r1 = ib_world_add_router(n->w, "r1");
    n->r2 = ib_world_add_router(n->w, "r2");
    n->srv = ib_world_add_host(n->w, "srv");
    n->srv2 = ib_world_add_host(n->w, "srv2");
    struct ib_bridge *lan = ib_world_add_switch(n->w, "lan");
    struct ib_bridge *wan = ib_world_add_switch(n->w, "wan");
    struct ib_netif *h1e = nif(n, &n->h1->node, "eth0"), *h2e = nif(n, &n->h2->node, "eth0");
    struct ib_netif *r1in = nif(n, &n->r1->node, "eth0"), *r1out = nif(n, &n->r1->node, "eth1");
    struct ib_netif *r2in = nif(n, &n->r2->node, "eth0"), *r2out = nif(n, &n->r2->node, "eth1");
    struct ib_netif *se = nif(n, &n->srv->node, "eth0"), *s2e = nif(n, &n->srv2->node, "eth0");
    struct ib_netif *lp[3] = {nif(n, &lan->node, "p1"), nif(n, &lan->node, "p2"),
                              nif(n, &lan->node, "p3")};
    struct ib_netif *wp[3] = {nif(n, &wan->node, "p1"), nif(n, &wan->node, "p2"),
                              nif(n, &wan->node, "p3")};
    assert_non_null(ib_world_connect(n->w, h1e, lp[0], NULL));
    assert_non_null(ib_world_connect(n->w, h2e, lp[1], NULL));
    assert_non_null(ib_world_connect(n->w, r1in, lp[2], NULL));
    assert_non_null(ib_world_connect(n->w, r1out, r2in, NULL));
    assert_non_null(ib_world_connect(n->w, r2out, wp[0], NULL));
    assert_non_null(ib_world_connect(n->w, se, wp[1], NULL));
    assert_non_null(ib_world_connect(n->w, s2e, wp[2], NULL));
    addr(n->h1, h1e, H1, 24);
    addr(n->h2, h2e, H2, 24);
    addr(n->r1, r1in, GW, 24);
    addr(n->r1, r1out, PUB, 30);
    addr(n->r2, r2in, R2, 30);
    addr(n->r2, r2out, IB_IP4(198, 51, 100, 1), 24);
    addr(n->srv, se, SRV, 24);
    addr(n->srv2, s2e, SRV2, 24);
    assert_int_equal(ib_stack_add_route(n->h1, 0, 0, GW, h1e), 0);
    assert_int_equal(ib_stack_add_route(n->h2, 0, 0, GW, h2e), 0);
    assert_int_equal(ib_stack_add_route(n->r1, 0, 0, R2, r1out), 0);
    assert_int_equal(ib_stack_add_route(n->srv, 0, 0, IB_IP4(198, 51, 100, 1), se), 0);
    assert_int_equal(ib_stack_add_route(n->srv2, 0, 0, IB_IP4(198, 51, 100, 1), s2e), 0);
    n->nat = ib_nat_enable(n->r1, r1out, cfg);
    assert_non_null(n->nat);
    run_for(n, IB_SEC(1)); /* gratuitous ARPs */
}

static void net_free(struct net *n)
{
    struct ib_pkt_pool_stats st;
    run_for(n, IB_SEC(1));
    ib_pkt_pool_stats(n->w->env.pool, &st);
    assert_int_equal(st.in_use, 0);
    ib_world_free(n->w);
}

static size_t mappings(struct net *n, struct ib_nat_mapping *m, size_t max)
{
    return ib_nat_mappings(n->nat, m, max);
}

/* ---- UDP endpoints ---- */

struct uep {
    struct ib_udp_pcb pcb;
    struct ib_world *w;
    bool echo;
    int rx;
    ib_ip4 src;
    uint16_t sport;
    uint8_t data[4096];
    size_t len;
    int errs;
    ib_ip4 err_from, err_dst;
    uint8_t err_type, err_code;
    uint16_t err_dport;
};

static void uep_recv(struct ib_udp_pcb *u, ib_ip4 src, uint16_t sport, struct ib_pkt *p)
{
    struct uep *e = u->arg;
    e->rx++;
    e->src = src;
    e->sport = sport;
    e->len = p->len < sizeof(e->data) ? p->len : sizeof(e->data);
    memcpy(e->data, p->data, e->len);
    if (e->echo)
        ib_udp_sendto(u, p, src, sport, 0);
    else
        ib_pkt_free(p);
}

static void uep_err(struct ib_udp_pcb *u, ib_ip4 from, uint8_t type, uint8_t code, ib_ip4 dst,
                    uint16_t dport)
{
    struct uep *e = u->arg;
    e->errs++;
    e->err_from = from;
    e->err_type = type;
    e->err_code = code;
    e->err_dst = dst;
    e->err_dport = dport;
}

static void uep_open(struct uep *e, struct net *n, struct ib_stack *s, uint16_t port, bool echo)
{
    memset(e, 0, sizeof(*e));
    e->w = n->w;
    e->echo = echo;
    assert_int_equal(ib_udp_bind(s, &e->pcb, 0, port), 0);
    e->pcb.recv = uep_recv;
    e->pcb.err = uep_err;
    e->pcb.arg = e;
}

static void usend_ttl(struct uep *e, ib_ip4 dst, uint16_t dport, const void *d, size_t len,
                      uint8_t ttl)
{
    struct ib_pkt *p = ib_pkt_alloc(e->w->env.pool, IB_PKT_HEADROOM, len);
    assert_non_null(p);
    memcpy(p->data, d, len);
    assert_int_equal(ib_udp_sendto(&e->pcb, p, dst, dport, ttl), 0);
}

static void usend(struct uep *e, ib_ip4 dst, uint16_t dport, const char *msg)
{
    usend_ttl(e, dst, dport, msg, strlen(msg), 0);
}

/* The UDP datagram recorded in an event is whole and its checksums hold
 * for the addresses it carries. */
static void assert_udp_valid(const struct nat_ev *ev, ib_ip4 src, ib_ip4 dst, struct ib_udp_hdr *uh)
{
    struct ib_ip4_hdr ip;
    assert_int_equal(ib_ip4_parse(ev->b, ev->len, &ip), 0);
    assert_int_equal(ip.src, src);
    assert_int_equal(ip.dst, dst);
    assert_int_equal(ip.proto, IB_IPPROTO_UDP);
    assert_int_equal(ib_udp_parse(ev->b + ip.hlen, ip.tot_len - ip.hlen, src, dst, uh), 0);
}

/* RFC 3022 §2.2: the outside host sees the public address; the reply to it
 * reaches the inside host. RFC 4787 §4.2.1: the inside port is kept. */
static void test_udp_through_nat(void **state)
{
    struct net n;
    net_build(&n, 1, NULL);
    struct uep a, s;
    uep_open(&a, &n, n.h1, 5000, false);
    uep_open(&s, &n, n.srv, 7, true);
    usend(&a, SRV, 7, "hello, world");
    run_for(&n, IB_SEC(1));
    assert_int_equal(s.rx, 1);
    assert_int_equal(s.src, PUB);
    assert_int_equal(s.sport, 5000);
    assert_int_equal(a.rx, 1);
    assert_int_equal(a.src, SRV);
    assert_int_equal(a.sport, 7);
    assert_int_equal(a.len, 12);
    assert_memory_equal(a.data, "hello, world", 12);
    assert_int_equal(n.srv->node.drops[IB_DROP_UDP_BAD_CHECKSUM], 0);
    assert_int_equal(n.h1->node.drops[IB_DROP_UDP_BAD_CHECKSUM], 0);

    /* One mapping, its events, and the bytes on each side valid. */
    struct ib_nat_mapping m[4];
    assert_int_equal(mappings(&n, m, 4), 1);
    assert_int_equal(m[0].proto, IB_IPPROTO_UDP);
    assert_int_equal(m[0].in_addr, H1);
    assert_int_equal(m[0].in_port, 5000);
    assert_int_equal(m[0].pub_addr, PUB);
    assert_int_equal(m[0].pub_port, 5000);
    assert_false(m[0].is_static);
    assert_int_equal(m[0].tcp_state, IB_NAT_TCP_NONE);
    assert_int_equal(m[0].expires, m[0].last_used + ib_nat_defaults.udp_timeout);
    assert_int_equal(count_ev(&n, IB_NAT_MAP), 1);
    const struct nat_ev *out = last_ev(&n, IB_NAT_OUT), *in = last_ev(&n, IB_NAT_IN);
    assert_non_null(out);
    assert_non_null(in);
    assert_int_equal(out->proto, IB_IPPROTO_UDP);
    assert_int_equal(out->in_addr, H1);
    assert_int_equal(out->in_port, 5000);
    assert_int_equal(out->pub_addr, PUB);
    assert_int_equal(out->pub_port, 5000);
    assert_int_equal(out->peer_addr, SRV);
    assert_int_equal(out->peer_port, 7);
    assert_int_equal(in->peer_addr, SRV);
    assert_int_equal(in->peer_port, 7);
    struct ib_udp_hdr uh;
    assert_udp_valid(out, PUB, SRV, &uh);
    assert_int_equal(uh.sport, 5000);
    assert_udp_valid(in, SRV, H1, &uh);
    assert_int_equal(uh.dport, 5000);
    /* The datagram keeps its journey from h1 to srv across the NAT. */
    assert_int_not_equal(out->journey, 0);
    assert_int_equal(out->journey, n.h1_udp_tx_journey);
    assert_int_equal(out->journey, n.srv_udp_rx_journey);
    struct ib_nat_stats st;
    ib_nat_get_stats(n.nat, &st);
    assert_int_equal(st.out, 1);
    assert_int_equal(st.in, 1);
    assert_int_equal(st.mapped, 1);

    /* RFC 768: a datagram sent without checksum keeps none. */
    struct ib_pkt *p = ib_pkt_alloc(n.w->env.pool, IB_PKT_HEADROOM, IB_UDP_HLEN + 4);
    assert_non_null(p);
    ib_put16(p->data, 5000);
    ib_put16(p->data + 2, 7);
    ib_put16(p->data + 4, IB_UDP_HLEN + 4);
    ib_put16(p->data + 6, 0);
    memcpy(p->data + IB_UDP_HLEN, "zero", 4);
    struct ib_ip4_tx tx = {.dst = SRV, .proto = IB_IPPROTO_UDP};
    assert_int_equal(ib_ip4_output(n.h1, p, &tx), 0);
    run_for(&n, IB_SEC(1));
    out = last_ev(&n, IB_NAT_OUT);
    assert_int_equal(ib_get16(out->b + IB_IP4_HLEN + 6), 0);
    assert_int_equal(s.rx, 2);
    assert_memory_equal(s.data, "zero", 4);

    /* RFC 768: a translated checksum that comes out zero is sent as all
     * ones. Find the payload whose checksum, once public, is zero. */
    uint8_t d[IB_UDP_HLEN + 2];
    struct ib_udp_hdr zh = {.sport = 5000, .dport = 7, .len = sizeof(d)};
    uint32_t v = 0;
    for (; v <= 0xffff; v++) {
        ib_put16(d + IB_UDP_HLEN, (uint16_t)v);
        ib_udp_emit(&zh, d, sizeof(d), PUB, SRV);
        if (ib_get16(d + 6) == 0xffff) break;
    }
    assert_true(v <= 0xffff);
    usend_ttl(&a, SRV, 7, d + IB_UDP_HLEN, 2, 0);
    run_for(&n, IB_SEC(1));
    out = last_ev(&n, IB_NAT_OUT);
    assert_int_equal(ib_get16(out->b + IB_IP4_HLEN + 6), 0xffff);
    assert_int_equal(s.rx, 3);
    ib_udp_close(&a.pcb);
    ib_udp_close(&s.pcb);
    net_free(&n);
}

/* RFC 4787 REQ-1: one public port for an inside socket, whatever the
 * destination. REQ-8: address-dependent filtering lets in any port of an
 * address the mapping sent to and nothing else; endpoint-independent
 * filtering lets in anyone. */
static void test_mapping_and_filtering(void **state)
{
    struct net n;
    net_build(&n, 2, NULL);
    struct uep a, s, s_other, s2;
    uep_open(&a, &n, n.h1, 5000, false);
    uep_open(&s, &n, n.srv, 7, false);
    uep_open(&s_other, &n, n.srv, 1234, false);
    uep_open(&s2, &n, n.srv2, 9, false);

    usend(&a, SRV, 7, "one");
    run_for(&n, IB_SEC(1));
    assert_int_equal(s.rx, 1);
    uint16_t pub = s.sport;

    /* srv2 was never contacted: filtered. */
    usend(&s2, PUB, pub, "knock");
    run_for(&n, IB_SEC(1));
    assert_int_equal(a.rx, 0);
    assert_int_equal(n.r1->node.drops[IB_DROP_NAT_NO_MAPPING], 1);
    assert_int_equal(n.r1_drop_events[IB_DROP_NAT_NO_MAPPING], 1);

    /* Another port of srv is let in. */
    usend(&s_other, PUB, pub, "other port");
    run_for(&n, IB_SEC(1));
    assert_int_equal(a.rx, 1);
    assert_int_equal(a.src, SRV);
    assert_int_equal(a.sport, 1234);

    /* The same socket toward srv2: the same public port. */
    usend(&a, SRV2, 9, "two");
    run_for(&n, IB_SEC(1));
    assert_int_equal(s2.rx, 1);
    assert_int_equal(s2.src, PUB);
    assert_int_equal(s2.sport, pub);
    struct ib_nat_mapping m[4];
    assert_int_equal(mappings(&n, m, 4), 1);
    usend(&s2, PUB, pub, "now known");
    run_for(&n, IB_SEC(1));
    assert_int_equal(a.rx, 2);
    assert_int_equal(a.src, SRV2);

    /* Endpoint-independent filtering: srv2 reaches a mapping made toward srv. */
    struct uep b;
    uep_open(&b, &n, n.h1, 5001, false);
    usend(&b, SRV, 7, "three");
    run_for(&n, IB_SEC(1));
    uint16_t pub_b = s.sport;
    assert_int_equal(pub_b, 5001);
    usend(&s2, PUB, pub_b, "filtered");
    run_for(&n, IB_SEC(1));
    assert_int_equal(b.rx, 0);
    assert_int_equal(n.r1->node.drops[IB_DROP_NAT_NO_MAPPING], 2);
    ib_nat_set_filter(n.nat, IB_NAT_FILTER_INDEPENDENT);
    usend(&s2, PUB, pub_b, "let in");
    run_for(&n, IB_SEC(1));
    assert_int_equal(b.rx, 1);
    assert_memory_equal(b.data, "let in", 6);

    ib_udp_close(&a.pcb);
    ib_udp_close(&b.pcb);
    ib_udp_close(&s.pcb);
    ib_udp_close(&s_other.pcb);
    ib_udp_close(&s2.pcb);
    net_free(&n);
}

/* ---- TCP applications ---- */

struct tapp {
    struct ib_tcp *c, *l;
    char rx[256];
    size_t rx_len;
    bool connected, echo, eof;
    int err;
};

static void tapp_accepted(struct ib_tcp *l, struct ib_tcp *c, void *arg)
{
    ((struct tapp *)arg)->c = c;
}

static void tapp_connected(struct ib_tcp *c, void *arg)
{
    ((struct tapp *)arg)->connected = true;
}

static void tapp_readable(struct ib_tcp *c, void *arg)
{
    struct tapp *t = arg;
    long r = ib_tcp_recv(c, t->rx + t->rx_len, sizeof(t->rx) - t->rx_len);
    if (r > 0) {
        if (t->echo) ib_tcp_send(c, t->rx + t->rx_len, (size_t)r);
        t->rx_len += (size_t)r;
    }
    if (ib_tcp_eof(c)) t->eof = true;
}

static void tapp_error(struct ib_tcp *c, int err, void *arg)
{
    ((struct tapp *)arg)->err = err;
}

static const struct ib_tcp_ops tapp_ops = {
    .accepted = tapp_accepted,
    .connected = tapp_connected,
    .readable = tapp_readable,
    .error = tapp_error,
};

/* RFC 5382 §5: a TCP mapping is established when SYNs went both ways, and
 * transitory (4 minutes) once FINs went both ways; then it expires. */
static void test_tcp_through_nat(void **state)
{
    struct net n;
    net_build(&n, 3, NULL);
    struct tapp srv = {.echo = true}, cli = {0};
    srv.l = ib_tcp_listen(n.srv, 0, 80, &tapp_ops, &srv, NULL);
    assert_non_null(srv.l);
    cli.c = ib_tcp_connect(n.h1, SRV, 80, &tapp_ops, &cli, NULL);
    assert_non_null(cli.c);
    ib_ip4 la, ra;
    uint16_t lp, rp;
    ib_tcp_endpoints(cli.c, &la, &lp, &ra, &rp);
    run_for(&n, IB_SEC(1));
    assert_true(cli.connected);
    assert_non_null(srv.c);
    ib_tcp_endpoints(srv.c, &la, &lp, &ra, &rp);
    assert_int_equal(ra, PUB);
    ib_ip4 cla, cra;
    uint16_t clp, crp;
    ib_tcp_endpoints(cli.c, &cla, &clp, &cra, &crp);
    assert_int_equal(rp, clp); /* preserved: an ephemeral port is in range */

    assert_int_equal(ib_tcp_send(cli.c, "GET / HTTP/1.1\r\n\r\n", 18), 18);
    run_for(&n, IB_SEC(1));
    assert_int_equal(cli.rx_len, 18);
    assert_memory_equal(cli.rx, "GET / HTTP/1.1\r\n\r\n", 18);
    assert_int_equal(n.srv->node.drops[IB_DROP_TCP_BAD_CHECKSUM], 0);
    assert_int_equal(n.h1->node.drops[IB_DROP_TCP_BAD_CHECKSUM], 0);

    struct ib_nat_mapping m[4];
    assert_int_equal(mappings(&n, m, 4), 1);
    assert_int_equal(m[0].proto, IB_IPPROTO_TCP);
    assert_int_equal(m[0].tcp_state, IB_NAT_TCP_ESTABLISHED);
    assert_string_equal(ib_nat_tcp_state_name(m[0].tcp_state), "ESTABLISHED");
    assert_int_equal(m[0].expires, m[0].last_used + ib_nat_defaults.tcp_est_timeout);

    /* The 4-way close: FINs both ways. */
    ib_tcp_close(cli.c);
    run_for(&n, IB_SEC(1));
    assert_true(srv.eof);
    assert_int_equal(mappings(&n, m, 4), 1);
    assert_int_equal(m[0].tcp_state, IB_NAT_TCP_CLOSING);
    ib_tcp_close(srv.c);
    run_for(&n, IB_SEC(1));
    assert_int_equal(mappings(&n, m, 4), 1);
    assert_int_equal(m[0].tcp_state, IB_NAT_TCP_CLOSED);
    assert_int_equal(m[0].expires, m[0].last_used + ib_nat_defaults.tcp_trans_timeout);
    ib_world_run(n.w, m[0].expires - 1);
    assert_int_equal(mappings(&n, m, 4), 1);
    ib_world_run(n.w, m[0].expires);
    assert_int_equal(mappings(&n, m, 4), 0);
    const struct nat_ev *ex = last_ev(&n, IB_NAT_EXPIRE);
    assert_non_null(ex);
    assert_int_equal(ex->proto, IB_IPPROTO_TCP);
    assert_int_equal(ex->in_addr, H1);
    assert_int_equal(ex->in_port, clp);
    assert_int_equal(ex->peer_addr, SRV);
    assert_int_equal(ex->peer_port, 80);
    /* An idle NAT keeps no timer. */
    assert_false(ib_timer_armed(&n.nat->timer));
    ib_tcp_close(srv.l);
    net_free(&n);
}

/* ---- ping ---- */

struct pinger {
    struct ib_icmp_echo e;
    int replies, errors;
    ib_ip4 from;
    uint16_t seq;
    uint8_t type;
};

static void ping_reply(struct ib_icmp_echo *e, ib_ip4 from, uint16_t seq, uint8_t ttl,
                       const uint8_t *data, size_t len)
{
    struct pinger *p = e->arg;
    p->replies++;
    p->from = from;
    p->seq = seq;
}

static void ping_error(struct ib_icmp_echo *e, ib_ip4 from, uint8_t type, uint8_t code,
                       uint16_t seq)
{
    struct pinger *p = e->arg;
    p->errors++;
    p->from = from;
    p->type = type;
    p->seq = seq;
}

static void pinger_open(struct pinger *p, struct ib_stack *s, uint16_t id)
{
    memset(p, 0, sizeof(*p));
    ib_icmp_echo_open(s, &p->e, id);
    p->e.reply = ping_reply;
    p->e.error = ping_error;
    p->e.arg = p;
}

/* RFC 4787 REQ-5: a UDP mapping lives udp_timeout after its last use
 * (REQ-6: traffic refreshes it), then goes; a late reply is unsolicited. */
static void test_udp_mapping_expires(void **state)
{
    struct net n;
    struct ib_nat_config cfg = ib_nat_defaults;
    cfg.udp_timeout = IB_SEC(150);
    net_build(&n, 4, &cfg);
    struct uep a, s;
    uep_open(&a, &n, n.h1, 5000, false);
    uep_open(&s, &n, n.srv, 7, false);
    usend(&a, SRV, 7, "ping");
    run_for(&n, IB_SEC(100));
    /* An inbound datagram refreshes the mapping. */
    usend(&s, PUB, 5000, "pong");
    run_for(&n, IB_SEC(1));
    assert_int_equal(a.rx, 1);
    struct ib_nat_mapping m[2];
    assert_int_equal(mappings(&n, m, 2), 1);
    assert_int_equal(m[0].expires, m[0].last_used + IB_SEC(150));
    assert_true(m[0].last_used > IB_SEC(100));
    ib_world_run(n.w, m[0].expires - 1);
    assert_int_equal(mappings(&n, m, 2), 1);
    ib_world_run(n.w, m[0].expires);
    assert_int_equal(mappings(&n, m, 2), 0);
    const struct nat_ev *ex = last_ev(&n, IB_NAT_EXPIRE);
    assert_non_null(ex);
    assert_int_equal(ex->proto, IB_IPPROTO_UDP);
    assert_int_equal(ex->pub_port, 5000);
    struct ib_nat_stats st;
    ib_nat_get_stats(n.nat, &st);
    assert_int_equal(st.expired, 1);
    usend(&s, PUB, 5000, "late");
    run_for(&n, IB_SEC(1));
    assert_int_equal(a.rx, 1);
    assert_int_equal(n.r1->node.drops[IB_DROP_NAT_NO_MAPPING], 1);
    ib_udp_close(&a.pcb);
    ib_udp_close(&s.pcb);
    net_free(&n);
}

/* RFC 4787 §5, RFC 5382 REQ-4 a): unsolicited UDP and TCP to the public
 * address are dropped silently (counted and traced, no ICMP); pings to it
 * are answered by the router itself. */
static void test_unsolicited_inbound(void **state)
{
    struct net n;
    net_build(&n, 5, NULL);
    struct uep s;
    uep_open(&s, &n, n.srv, 7, false);
    usend(&s, PUB, 4000, "hello?");
    struct tapp cli = {0};
    cli.c = ib_tcp_connect(n.srv, PUB, 80, &tapp_ops, &cli, NULL);
    assert_non_null(cli.c);
    run_for(&n, IB_MS(500));
    assert_int_equal(n.r1->node.drops[IB_DROP_NAT_NO_MAPPING], 2);
    assert_int_equal(n.r1_drop_events[IB_DROP_NAT_NO_MAPPING], 2);
    assert_int_equal(n.r1->icmp_stats.errors_out, 0);
    assert_int_equal(s.errs, 0);
    assert_false(cli.connected);
    assert_int_equal(ib_tcp_get_state(cli.c), IB_TCP_SYN_SENT);
    assert_int_equal(n.r1->node.drops[IB_DROP_UDP_NO_LISTENER], 0);
    assert_int_equal(n.r1->node.drops[IB_DROP_TCP_NO_LISTENER], 0);
    ib_tcp_abort(cli.c);

    /* The router's own endpoints on its public address still work. */
    struct uep own;
    uep_open(&own, &n, n.r1, 4001, false);
    usend(&s, PUB, 4001, "for the router");
    run_for(&n, IB_SEC(1));
    assert_int_equal(own.rx, 1);
    assert_int_equal(n.r1->node.drops[IB_DROP_NAT_NO_MAPPING], 2);

    struct pinger pg;
    pinger_open(&pg, n.srv, 77);
    assert_int_equal(ib_icmp_echo_send(&pg.e, PUB, 1, 56, 64), 0);
    run_for(&n, IB_SEC(1));
    assert_int_equal(pg.replies, 1);
    assert_int_equal(pg.from, PUB);
    assert_int_equal(n.r1->icmp_stats.in, 1);
    assert_int_equal(count_ev(&n, IB_NAT_IN), 0);
    ib_icmp_echo_close(&pg.e);
    ib_udp_close(&s.pcb);
    ib_udp_close(&own.pcb);
    net_free(&n);
}

/* RFC 3022 §2.2: two inside hosts may use the same port at once; the
 * second gets another public port, drawn from the router's seeded stream. */
static uint16_t two_hosts_same_port(uint64_t seed)
{
    struct net n;
    net_build(&n, seed, NULL);
    struct uep a, b, s;
    uep_open(&a, &n, n.h1, 5000, false);
    uep_open(&b, &n, n.h2, 5000, false);
    uep_open(&s, &n, n.srv, 53, true);
    usend(&a, SRV, 53, "from h1");
    usend(&b, SRV, 53, "from h2");
    run_for(&n, IB_SEC(1));
    assert_int_equal(s.rx, 2);
    assert_int_equal(a.rx, 1);
    assert_memory_equal(a.data, "from h1", 7);
    assert_int_equal(b.rx, 1);
    assert_memory_equal(b.data, "from h2", 7);
    struct ib_nat_mapping m[4];
    assert_int_equal(mappings(&n, m, 4), 2);
    /* Oldest first: h1's datagram reached the router first. */
    assert_int_equal(m[0].in_addr, H1);
    assert_int_equal(m[0].pub_port, 5000);
    assert_int_equal(m[1].in_addr, H2);
    assert_int_equal(m[1].in_port, 5000);
    assert_int_not_equal(m[1].pub_port, 5000);
    assert_true(m[1].pub_port >= 1024);
    assert_int_equal(s.sport, m[1].pub_port);
    uint16_t port = m[1].pub_port;
    ib_udp_close(&a.pcb);
    ib_udp_close(&b.pcb);
    ib_udp_close(&s.pcb);
    net_free(&n);
    return port;
}

static void test_two_hosts_same_port(void **state)
{
    uint16_t p1 = two_hosts_same_port(6);
    assert_int_equal(two_hosts_same_port(6), p1); /* same seed, same port */
    uint16_t p2 = two_hosts_same_port(7);
    uint16_t p3 = two_hosts_same_port(8);
    assert_true(p1 != p2 || p1 != p3);
}

/* RFC 5508 REQ-1 a): query identifiers are translated like ports. */
static void test_icmp_echo_through_nat(void **state)
{
    struct net n;
    net_build(&n, 9, NULL);
    struct pinger a, b;
    pinger_open(&a, n.h1, 0x1234);
    pinger_open(&b, n.h2, 0x1234);
    assert_int_equal(ib_icmp_echo_send(&a.e, SRV, 1, 56, 64), 0);
    assert_int_equal(ib_icmp_echo_send(&b.e, SRV, 2, 56, 64), 0);
    run_for(&n, IB_SEC(1));
    assert_int_equal(a.replies, 1);
    assert_int_equal(a.from, SRV);
    assert_int_equal(a.seq, 1);
    assert_int_equal(b.replies, 1);
    assert_int_equal(b.seq, 2);
    struct ib_nat_mapping m[4];
    assert_int_equal(mappings(&n, m, 4), 2);
    assert_int_equal(m[0].proto, IB_IPPROTO_ICMP);
    assert_int_equal(m[0].pub_port, 0x1234);
    assert_int_not_equal(m[1].pub_port, 0x1234);
    assert_int_equal(m[0].expires, m[0].last_used + ib_nat_defaults.icmp_timeout);
    /* The translated request: public source, new identifier, valid checksum. */
    const struct nat_ev *out = last_ev(&n, IB_NAT_OUT);
    struct ib_ip4_hdr ip;
    struct ib_icmp_hdr ih;
    assert_int_equal(ib_ip4_parse(out->b, out->len, &ip), 0);
    assert_int_equal(ip.src, PUB);
    assert_int_equal(ib_icmp_parse(out->b + ip.hlen, ip.tot_len - ip.hlen, &ih), 0);
    assert_int_equal(ih.type, IB_ICMP_ECHO_REQUEST);
    assert_int_equal(ih.rest >> 16, out->pub_port);
    assert_int_equal(out->peer_port, 0);
    ib_icmp_echo_close(&a.e);
    ib_icmp_echo_close(&b.e);
    net_free(&n);
}

/* The ICMP error recorded in ev is valid, goes to dst, and quotes a UDP
 * datagram from qsrc to qdst whose header checksum and UDP checksum hold. */
static void assert_icmp_err_valid(const struct nat_ev *ev, ib_ip4 dst, ib_ip4 qsrc, ib_ip4 qdst)
{
    struct ib_ip4_hdr ip, qip;
    struct ib_icmp_hdr ih;
    struct ib_udp_hdr uh;
    assert_int_equal(ib_ip4_parse(ev->b, ev->len, &ip), 0);
    assert_int_equal(ip.dst, dst);
    const uint8_t *icmp = ev->b + ip.hlen;
    size_t len = ip.tot_len - ip.hlen;
    assert_int_equal(ib_icmp_parse(icmp, len, &ih), 0);
    assert_int_equal(ib_ip4_parse(icmp + IB_ICMP_HLEN, len - IB_ICMP_HLEN, &qip), 0);
    assert_int_equal(qip.src, qsrc);
    assert_int_equal(qip.dst, qdst);
    assert_int_equal(
        ib_udp_parse(icmp + IB_ICMP_HLEN + qip.hlen, qip.tot_len - qip.hlen, qsrc, qdst, &uh), 0);
}

/* RFC 5508 REQ-4: errors from outside about translated datagrams reach the
 * inside socket with the quote reverted; REQ-5: an inside host's error
 * about a datagram let in leaves with the quote made public again; and
 * the router's own error about a datagram it let in too. */
static void test_icmp_errors(void **state)
{
    struct net n;
    net_build(&n, 10, NULL);
    struct uep a, s;
    uep_open(&a, &n, n.h1, 5000, false);
    uep_open(&s, &n, n.srv, 7, false);

    /* TTL exceeded at r2, beyond the NAT. */
    usend_ttl(&a, SRV, 7, "ttl", 3, 2);
    run_for(&n, IB_SEC(1));
    assert_int_equal(s.rx, 0);
    assert_int_equal(a.errs, 1);
    assert_int_equal(a.err_from, R2);
    assert_int_equal(a.err_type, IB_ICMP_TIME_EXCEEDED);
    assert_int_equal(a.err_dst, SRV);
    assert_int_equal(a.err_dport, 7);
    const struct nat_ev *ev = last_ev(&n, IB_NAT_ICMP_ERR);
    assert_non_null(ev);
    assert_int_equal(ev->peer_addr, R2);
    assert_int_equal(ev->in_addr, H1);
    assert_int_equal(ev->pub_port, 5000);
    assert_icmp_err_valid(ev, H1, H1, SRV);

    /* Port unreachable from the server. */
    usend(&a, SRV, 9999, "nobody");
    run_for(&n, IB_SEC(1));
    assert_int_equal(a.errs, 2);
    assert_int_equal(a.err_from, SRV);
    assert_int_equal(a.err_type, IB_ICMP_DEST_UNREACH);
    assert_int_equal(a.err_code, IB_ICMP_UNREACH_PORT);
    assert_int_equal(a.err_dport, 9999);
    assert_icmp_err_valid(last_ev(&n, IB_NAT_ICMP_ERR), H1, H1, SRV);

    /* A ping dying at r2. */
    struct pinger pg;
    pinger_open(&pg, n.h1, 0x4242);
    assert_int_equal(ib_icmp_echo_send(&pg.e, SRV, 5, 56, 2), 0);
    run_for(&n, IB_SEC(1));
    assert_int_equal(pg.errors, 1);
    assert_int_equal(pg.from, R2);
    assert_int_equal(pg.type, IB_ICMP_TIME_EXCEEDED);
    assert_int_equal(pg.seq, 5);
    ib_icmp_echo_close(&pg.e);

    /* A SYN r2 has no route for: the quoted TCP header's checksum is
     * updated too. */
    const ib_ip4 nowhere = IB_IP4(10, 99, 0, 1);
    struct tapp cli = {0};
    cli.c = ib_tcp_connect(n.h1, nowhere, 80, &tapp_ops, &cli, NULL);
    assert_non_null(cli.c);
    run_for(&n, IB_MS(500));
    ev = last_ev(&n, IB_NAT_ICMP_ERR);
    assert_int_equal(ev->proto, IB_IPPROTO_TCP);
    assert_int_equal(ev->peer_addr, R2);
    struct ib_ip4_hdr qip;
    const uint8_t *q = ev->b + IB_IP4_HLEN + IB_ICMP_HLEN;
    assert_int_equal(ib_ip4_parse(q, ev->len - IB_IP4_HLEN - IB_ICMP_HLEN, &qip), 0);
    assert_int_equal(qip.src, H1);
    size_t tlen = qip.tot_len - qip.hlen;
    assert_int_equal(
        ib_csum_fold(ib_csum_partial(q + qip.hlen, tlen,
                                     ib_csum_pseudo4(H1, nowhere, IB_IPPROTO_TCP, (uint16_t)tlen))),
        0);
    ib_tcp_abort(cli.c);

    /* h1's port unreachable for a datagram let in through its mapping. */
    ib_udp_close(&a.pcb);
    usend(&s, PUB, 5000, "gone");
    run_for(&n, IB_SEC(1));
    assert_int_equal(n.h1->node.drops[IB_DROP_UDP_NO_LISTENER], 1);
    assert_int_equal(s.errs, 1);
    assert_int_equal(s.err_from, PUB);
    assert_int_equal(s.err_type, IB_ICMP_DEST_UNREACH);
    assert_int_equal(s.err_dst, PUB);
    assert_int_equal(s.err_dport, 5000);
    ev = last_ev(&n, IB_NAT_ICMP_ERR);
    assert_int_equal(ev->peer_addr, SRV);
    assert_icmp_err_valid(ev, SRV, SRV, PUB);

    /* The router's own time exceeded for a forwarded-in datagram. */
    assert_int_equal(ib_nat_forward(n.nat, IB_IPPROTO_UDP, 5353, H1, 53), 0);
    usend_ttl(&s, PUB, 5353, "dies at r1", 10, 2);
    run_for(&n, IB_SEC(1));
    assert_int_equal(n.r1->node.drops[IB_DROP_IP_TTL_EXPIRED], 1);
    assert_int_equal(s.errs, 2);
    assert_int_equal(s.err_from, PUB);
    assert_int_equal(s.err_type, IB_ICMP_TIME_EXCEEDED);
    assert_int_equal(s.err_dport, 5353);
    assert_icmp_err_valid(last_ev(&n, IB_NAT_ICMP_ERR), SRV, SRV, PUB);
    struct ib_nat_stats st;
    ib_nat_get_stats(n.nat, &st);
    assert_int_equal(st.icmp_errors, 6);
    ib_udp_close(&s.pcb);
    net_free(&n);
}

/* RFC 3022 §2.3: a static mapping forwards a public port to an inside
 * server, for any outside client. */
static void test_static_forward(void **state)
{
    struct net n;
    net_build(&n, 11, NULL);
    assert_int_equal(ib_nat_forward(n.nat, IB_IPPROTO_TCP, 8080, H1, 80), 0);
    assert_int_equal(ib_nat_forward(n.nat, IB_IPPROTO_TCP, 8080, H2, 80), IB_ERR_INUSE);
    assert_int_equal(ib_nat_forward(n.nat, IB_IPPROTO_TCP, 8081, H1, 80), IB_ERR_INUSE);
    assert_int_equal(ib_nat_forward(n.nat, IB_IPPROTO_ICMP, 8082, H1, 80), IB_ERR_INVAL);
    assert_int_equal(ib_nat_forward(n.nat, IB_IPPROTO_TCP, 0, H1, 80), IB_ERR_INVAL);
    const struct nat_ev *map = last_ev(&n, IB_NAT_MAP);
    assert_int_equal(count_ev(&n, IB_NAT_MAP), 1);
    assert_int_equal(map->in_addr, H1);
    assert_int_equal(map->in_port, 80);
    assert_int_equal(map->pub_addr, PUB);
    assert_int_equal(map->pub_port, 8080);
    struct tapp web = {.echo = true}, cli = {0}, cli2 = {0};
    web.l = ib_tcp_listen(n.h1, 0, 80, &tapp_ops, &web, NULL);
    assert_non_null(web.l);
    cli.c = ib_tcp_connect(n.srv, PUB, 8080, &tapp_ops, &cli, NULL);
    assert_non_null(cli.c);
    run_for(&n, IB_SEC(1));
    assert_true(cli.connected);
    assert_non_null(web.c);
    ib_ip4 la, ra;
    uint16_t lp, rp;
    ib_tcp_endpoints(web.c, &la, &lp, &ra, &rp);
    assert_int_equal(la, H1);
    assert_int_equal(lp, 80);
    assert_int_equal(ra, SRV);
    assert_int_equal(ib_tcp_send(cli.c, "hi", 2), 2);
    run_for(&n, IB_SEC(1));
    assert_int_equal(cli.rx_len, 2);
    assert_memory_equal(cli.rx, "hi", 2);
    ib_tcp_close(cli.c);
    ib_tcp_close(web.c);

    /* Any other client too (no filtering on a static mapping). */
    web.c = NULL;
    cli2.c = ib_tcp_connect(n.srv2, PUB, 8080, &tapp_ops, &cli2, NULL);
    run_for(&n, IB_SEC(1));
    assert_true(cli2.connected);
    assert_non_null(web.c);
    struct ib_nat_mapping m[2];
    assert_int_equal(mappings(&n, m, 2), 1);
    assert_true(m[0].is_static);
    assert_int_equal(m[0].expires, IB_TIME_NEVER);
    assert_int_equal(m[0].pub_port, 8080);
    assert_int_equal(count_ev(&n, IB_NAT_MAP), 1);
    /* It survives any idle time. */
    ib_tcp_abort(cli2.c);
    ib_tcp_abort(web.c);
    run_for(&n, IB_SEC(3 * 3600));
    assert_int_equal(mappings(&n, m, 2), 1);
    ib_tcp_close(web.l);
    net_free(&n);
}

/* RFC 4787 REQ-3: no port overloading, so a full range refuses new
 * mappings; RFC 5508 REQ-8: the sender is told (administratively
 * prohibited). */
static void test_no_ports(void **state)
{
    struct net n;
    struct ib_nat_config cfg = {.port_min = 2000, .port_max = 2000};
    net_build(&n, 12, &cfg);
    struct uep a, b, s;
    uep_open(&a, &n, n.h1, 5000, false);
    uep_open(&b, &n, n.h2, 5000, false);
    uep_open(&s, &n, n.srv, 7, false);
    usend(&a, SRV, 7, "first");
    run_for(&n, IB_SEC(1));
    assert_int_equal(s.rx, 1);
    assert_int_equal(s.sport, 2000);
    usend(&b, SRV, 7, "second");
    run_for(&n, IB_SEC(1));
    assert_int_equal(s.rx, 1);
    assert_int_equal(n.r1->node.drops[IB_DROP_NAT_NO_PORTS], 1);
    assert_int_equal(b.errs, 1);
    assert_int_equal(b.err_from, GW);
    assert_int_equal(b.err_type, IB_ICMP_DEST_UNREACH);
    assert_int_equal(b.err_code, 13);
    ib_udp_close(&a.pcb);
    ib_udp_close(&b.pcb);
    ib_udp_close(&s.pcb);
    net_free(&n);
}

/* RFC 4787 REQ-14: fragmented datagrams cross the NAT both ways. */
static void test_fragments(void **state)
{
    struct net n;
    net_build(&n, 13, NULL);
    struct uep a, s;
    uep_open(&a, &n, n.h1, 5000, false);
    uep_open(&s, &n, n.srv, 7, true);
    uint8_t big[3000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 7);
    usend_ttl(&a, SRV, 7, big, sizeof(big), 0);
    run_for(&n, IB_SEC(1));
    assert_int_equal(s.rx, 1);
    assert_int_equal(s.src, PUB);
    assert_int_equal(s.len, sizeof(big));
    assert_int_equal(a.rx, 1);
    assert_int_equal(a.len, sizeof(big));
    assert_memory_equal(a.data, big, sizeof(big));
    assert_int_equal(n.r1->ip_stats.reassembled, 2);
    assert_true(n.r1->ip_stats.frags_out >= 4);
    assert_int_equal(count_ev(&n, IB_NAT_IN), 1);
    ib_udp_close(&a.pcb);
    ib_udp_close(&s.pcb);
    net_free(&n);
}

/* h1:5000 and h2:6000 mapped, both having reached srv:3478 (s). */
static void hairpin_open(struct net *n, uint64_t seed, struct uep *a, struct uep *b, struct uep *s)
{
    net_build(n, seed, NULL);
    uep_open(a, n, n->h1, 5000, false);
    uep_open(b, n, n->h2, 6000, false);
    uep_open(s, n, n->srv, 3478, false);
    usend(a, SRV, 3478, "a");
    usend(b, SRV, 3478, "b");
    run_for(n, IB_SEC(1));
}

/* RFC 4787 REQ-9: two inside hosts reach each other through their public
 * endpoints (what hole punching does), each seeing the other's. */
static void test_hairpin(void **state)
{
    struct net n;
    struct uep a, b, s;
    hairpin_open(&n, 14, &a, &b, &s);
    /* h2 punches toward h1's public endpoint: filtered there, but h2's
     * mapping now accepts the public address. */
    usend(&b, PUB, 5000, "punch");
    run_for(&n, IB_SEC(1));
    assert_int_equal(a.rx, 0);
    assert_int_equal(n.r1->node.drops[IB_DROP_NAT_NO_MAPPING], 1);
    usend(&a, PUB, 6000, "hello h2");
    run_for(&n, IB_SEC(1));
    assert_int_equal(b.rx, 1);
    assert_int_equal(b.src, PUB);
    assert_int_equal(b.sport, 5000);
    assert_memory_equal(b.data, "hello h2", 8);
    usend(&b, PUB, 5000, "hello h1");
    run_for(&n, IB_SEC(1));
    assert_int_equal(a.rx, 1);
    assert_int_equal(a.src, PUB);
    assert_int_equal(a.sport, 6000);
    assert_int_equal(n.h1->node.drops[IB_DROP_UDP_BAD_CHECKSUM], 0);
    assert_int_equal(n.h2->node.drops[IB_DROP_UDP_BAD_CHECKSUM], 0);
    ib_udp_close(&a.pcb);
    ib_udp_close(&b.pcb);
    ib_udp_close(&s.pcb);
    net_free(&n);
}

/* A datagram built by hand, handed to r1's IP input on interface x. */
static void inject(struct net *n, struct ib_netif *x, const uint8_t *b, size_t len)
{
    struct ib_pkt *p = ib_pkt_from(n->w->env.pool, b, len);
    assert_non_null(p);
    ib_ip4_input(x, p);
}

static size_t ip_hdr(uint8_t *b, ib_ip4 src, ib_ip4 dst, uint8_t proto, size_t payload)
{
    struct ib_ip4_hdr h = {.tot_len = (uint16_t)(IB_IP4_HLEN + payload),
                           .ttl = 64,
                           .proto = proto,
                           .src = src,
                           .dst = dst};
    ib_ip4_emit(&h, b);
    return IB_IP4_HLEN + payload;
}

/* Malformed and truncated datagrams at both hooks are dropped with a
 * reason; an ICMP error is translated exactly when its quote holds the IP
 * header and the ports. */
static void test_malformed(void **state)
{
    struct net n;
    net_build(&n, 15, NULL);
    struct ib_netif *out = ib_stack_netif(n.r1, "eth1"), *in = ib_stack_netif(n.r1, "eth0");
    struct uep a;
    uep_open(&a, &n, n.h1, 5000, false);
    usend(&a, SRV, 7, "map"); /* a mapping for the errors to quote */
    run_for(&n, IB_SEC(1));
    uint8_t b[256];

    /* Truncated transport headers at the public address: local delivery
     * drops them. */
    inject(&n, out, b, ip_hdr(b, SRV, PUB, IB_IPPROTO_UDP, 4));
    inject(&n, out, b, ip_hdr(b, SRV, PUB, IB_IPPROTO_TCP, 10));
    assert_int_equal(n.r1->node.drops[IB_DROP_UDP_TRUNCATED], 1);
    assert_int_equal(n.r1->node.drops[IB_DROP_TCP_TRUNCATED], 1);
    /* And outbound, at the NAT. */
    inject(&n, in, b, ip_hdr(b, H1, SRV, IB_IPPROTO_UDP, 4));
    assert_int_equal(n.r1->node.drops[IB_DROP_UDP_TRUNCATED], 2);
    inject(&n, in, b, ip_hdr(b, H1, SRV, 47, 8)); /* GRE: no ports */
    assert_int_equal(n.r1->node.drops[IB_DROP_NAT_UNTRANSLATABLE], 1);

    /* An ICMP error quoting the mapping's datagram, cut at every length. */
    uint8_t q[28];
    size_t ql = ip_hdr(q, PUB, SRV, IB_IPPROTO_UDP, 8);
    ib_put16(q + 20, 5000);
    ib_put16(q + 22, 7);
    ib_put16(q + 24, 8);
    ib_put16(q + 26, 0);
    int translated = 0;
    uint32_t untranslatable = n.r1->node.drops[IB_DROP_NAT_UNTRANSLATABLE];
    for (size_t cut = 0; cut <= ql; cut++) {
        size_t len = ip_hdr(b, R2, PUB, IB_IPPROTO_ICMP, IB_ICMP_HLEN + cut);
        memcpy(b + IB_IP4_HLEN + IB_ICMP_HLEN, q, cut);
        struct ib_icmp_hdr ih = {.type = IB_ICMP_TIME_EXCEEDED};
        ib_icmp_emit(&ih, b + IB_IP4_HLEN, IB_ICMP_HLEN + cut);
        int before = count_ev(&n, IB_NAT_ICMP_ERR);
        inject(&n, out, b, len);
        translated += count_ev(&n, IB_NAT_ICMP_ERR) - before;
    }
    /* RFC 792: the IP header and the ports are needed; 24 of 28 bytes on. */
    assert_int_equal(translated, 5);
    assert_int_equal(n.r1->node.drops[IB_DROP_NAT_UNTRANSLATABLE] - untranslatable, 24);
    /* A bad ICMP checksum (RFC 5508 REQ-3). */
    size_t len = ip_hdr(b, R2, PUB, IB_IPPROTO_ICMP, IB_ICMP_HLEN + ql);
    memcpy(b + IB_IP4_HLEN + IB_ICMP_HLEN, q, ql);
    struct ib_icmp_hdr ih = {.type = IB_ICMP_DEST_UNREACH};
    ib_icmp_emit(&ih, b + IB_IP4_HLEN, IB_ICMP_HLEN + ql);
    b[IB_IP4_HLEN + 2] ^= 1;
    inject(&n, out, b, len);
    assert_int_equal(n.r1->node.drops[IB_DROP_ICMP_BAD_CHECKSUM], 1);
    /* A bad quoted IP checksum. */
    b[IB_IP4_HLEN + 2] ^= 1;
    b[IB_IP4_HLEN + IB_ICMP_HLEN + 10] ^= 1;
    ib_icmp_emit(&ih, b + IB_IP4_HLEN, IB_ICMP_HLEN + ql);
    inject(&n, out, b, len);
    assert_int_equal(n.r1->node.drops[IB_DROP_NAT_UNTRANSLATABLE] - untranslatable, 25);
    run_for(&n, IB_SEC(1));
    ib_udp_close(&a.pcb);
    net_free(&n);
}

/* Enabling checks its arguments; the configuration fills in defaults. */
static void test_enable(void **state)
{
    struct ib_world *w = ib_world_new(1);
    struct ib_stack *r = ib_world_add_router(w, "r");
    struct ib_stack *h = ib_world_add_host(w, "h");
    struct ib_netif *rx = ib_world_add_netif(w, &r->node, "eth0");
    struct ib_netif *hx = ib_world_add_netif(w, &h->node, "eth0");
    assert_null(ib_nat_enable(r, hx, NULL));
    struct ib_nat_config bad = {.port_min = 3000, .port_max = 2000};
    assert_null(ib_nat_enable(r, rx, &bad));
    struct ib_nat_config part = {.udp_timeout = IB_SEC(200)};
    struct ib_nat *n = ib_nat_enable(r, rx, &part);
    assert_non_null(n);
    assert_ptr_equal(r->nat, n);
    assert_null(ib_nat_enable(r, rx, NULL));
    assert_int_equal(n->cfg.udp_timeout, IB_SEC(200));
    assert_int_equal(n->cfg.tcp_est_timeout, IB_SEC(7440));
    assert_int_equal(n->cfg.tcp_trans_timeout, IB_SEC(240));
    assert_int_equal(n->cfg.icmp_timeout, IB_SEC(60));
    assert_int_equal(n->cfg.port_min, 1024);
    assert_int_equal(n->cfg.port_max, 65535);
    assert_int_equal(n->cfg.max_peers, 64);
    struct ib_nat_mapping m;
    assert_int_equal(ib_nat_mappings(n, &m, 1), 0);
    ib_world_free(w);
}

/* ---- the review's findings ---- */

/* The mapping of (proto, in_addr, in_port) as ib_nat_mappings shows it. */
static struct ib_nat_mapping mapping_of(struct net *n, uint8_t proto, ib_ip4 in_addr,
                                        uint16_t in_port)
{
    struct ib_nat_mapping m[16];
    size_t k = mappings(n, m, 16);
    for (size_t i = 0; i < k && i < 16; i++)
        if (m[i].proto == proto && m[i].in_addr == in_addr && m[i].in_port == in_port) return m[i];
    fail_msg("no mapping for port %u", in_port);
    return m[0];
}

/* c sends msg to an echo server and gets it back. */
static void assert_echo(struct net *n, struct tapp *c, const char *msg)
{
    size_t len = strlen(msg), before = c->rx_len;
    assert_int_equal(ib_tcp_send(c->c, msg, len), (long)len);
    run_for(n, IB_SEC(1));
    assert_int_equal(c->rx_len, before + len);
    assert_memory_equal(c->rx + before, msg, len);
}

static uint16_t ephemeral_cursor(const struct ib_stack *s)
{
    return s->next_port < 49152 ? 49152 : s->next_port;
}

/* RFC 4787 REQ-3: a public port is one mapping's, and the router's own
 * sockets are no exception: its ephemeral UDP and TCP ports skip the ports
 * mappings hold, whose replies would be translated to the inside host. */
static void test_router_ports_skip_mappings(void **state)
{
    struct net n;
    net_build(&n, 21, NULL);
    uint16_t next = ephemeral_cursor(n.r1);
    struct uep a, s, rl;
    uep_open(&a, &n, n.h1, next, false);
    uep_open(&s, &n, n.srv, 7, true);
    usend(&a, SRV, 7, "inside");
    run_for(&n, IB_SEC(1));
    assert_int_equal(a.rx, 1);
    assert_int_equal(mapping_of(&n, IB_IPPROTO_UDP, H1, next).pub_port, next);
    assert_true(ib_nat_port_taken(n.r1, IB_IPPROTO_UDP, next));
    assert_false(ib_nat_port_taken(n.r1, IB_IPPROTO_TCP, next));
    assert_false(ib_nat_port_taken(n.h1, IB_IPPROTO_UDP, next)); /* no NAT there */
    uep_open(&rl, &n, n.r1, 0, false);
    assert_int_not_equal(rl.pcb.lport, next);
    usend(&rl, SRV, 7, "router");
    run_for(&n, IB_SEC(1));
    assert_int_equal(rl.rx, 1);
    assert_memory_equal(rl.data, "router", 6);
    assert_int_equal(a.rx, 1);

    /* TCP: h1 connects from the port the router would take next. */
    struct tapp web = {.echo = true}, cli = {0}, rcli = {0};
    web.l = ib_tcp_listen(n.srv, 0, 80, &tapp_ops, &web, NULL);
    assert_non_null(web.l);
    uint16_t tnext = ephemeral_cursor(n.r1);
    n.h1->next_port = tnext;
    cli.c = ib_tcp_connect(n.h1, SRV, 80, &tapp_ops, &cli, NULL);
    run_for(&n, IB_SEC(1));
    assert_true(cli.connected);
    assert_int_equal(mapping_of(&n, IB_IPPROTO_TCP, H1, tnext).pub_port, tnext);
    rcli.c = ib_tcp_connect(n.r1, SRV, 80, &tapp_ops, &rcli, NULL);
    assert_non_null(rcli.c);
    ib_ip4 la, ra;
    uint16_t lp, rp;
    ib_tcp_endpoints(rcli.c, &la, &lp, &ra, &rp);
    assert_int_equal(la, PUB);
    assert_int_not_equal(lp, tnext);
    run_for(&n, IB_SEC(1));
    assert_true(rcli.connected);
    assert_echo(&n, &rcli, "r1");
    assert_echo(&n, &cli, "h1");
    ib_tcp_abort(rcli.c);
    ib_tcp_abort(cli.c);
    ib_tcp_close(web.l);
    ib_udp_close(&a.pcb);
    ib_udp_close(&s.pcb);
    ib_udp_close(&rl.pcb);
    net_free(&n);
}

/* RFC 4787 REQ-3 a): the NAT does not hand out, not even to preserve an
 * inside port, a port one of the router's own TCP connections uses (not
 * only its listeners'): the two flows to one server would be one 4-tuple. */
static void test_nat_skips_router_tcp_ports(void **state)
{
    struct net n;
    net_build(&n, 22, NULL);
    struct tapp web = {.echo = true}, cli = {0}, rcli = {0};
    web.l = ib_tcp_listen(n.srv, 0, 80, &tapp_ops, &web, NULL);
    rcli.c = ib_tcp_connect(n.r1, SRV, 80, &tapp_ops, &rcli, NULL);
    run_for(&n, IB_SEC(1));
    assert_true(rcli.connected);
    ib_ip4 la, ra;
    uint16_t lp, rp;
    ib_tcp_endpoints(rcli.c, &la, &lp, &ra, &rp);
    n.h1->next_port = lp;
    cli.c = ib_tcp_connect(n.h1, SRV, 80, &tapp_ops, &cli, NULL);
    run_for(&n, IB_SEC(1));
    assert_true(cli.connected);
    assert_int_not_equal(mapping_of(&n, IB_IPPROTO_TCP, H1, lp).pub_port, lp);
    assert_echo(&n, &rcli, "router");
    assert_echo(&n, &cli, "inside");
    ib_tcp_abort(rcli.c);
    ib_tcp_abort(cli.c);
    ib_tcp_close(web.l);
    net_free(&n);
}

/* A datagram for exactly one of the router's own sockets is the router's
 * though a mapping holds the port (here a port forward set up after the
 * router's connection, and a UDP socket bound to the public address);
 * and what a mapping's filter refuses, a router socket on the port takes. */
static void test_router_socket_wins(void **state)
{
    struct net n;
    net_build(&n, 23, NULL);
    struct tapp web = {.echo = true}, inner = {.echo = true}, rcli = {0}, cli2 = {0};
    web.l = ib_tcp_listen(n.srv, 0, 80, &tapp_ops, &web, NULL);
    inner.l = ib_tcp_listen(n.h1, 0, 80, &tapp_ops, &inner, NULL);
    rcli.c = ib_tcp_connect(n.r1, SRV, 80, &tapp_ops, &rcli, NULL);
    run_for(&n, IB_SEC(1));
    assert_true(rcli.connected);
    ib_ip4 la, ra;
    uint16_t lp, rp;
    ib_tcp_endpoints(rcli.c, &la, &lp, &ra, &rp);
    assert_int_equal(ib_nat_forward(n.nat, IB_IPPROTO_TCP, lp, H1, 80), 0);
    assert_echo(&n, &rcli, "mine");
    assert_null(inner.c);
    /* Anyone else reaching that public port gets the forward. */
    cli2.c = ib_tcp_connect(n.srv2, PUB, lp, &tapp_ops, &cli2, NULL);
    run_for(&n, IB_SEC(1));
    assert_true(cli2.connected);
    assert_non_null(inner.c);
    assert_echo(&n, &cli2, "fwd");
    assert_int_equal(rcli.rx_len, 4);

    /* UDP: the router binds the port of h1's mapping to any address. */
    struct uep a, s, s2, rl, rx;
    uep_open(&a, &n, n.h1, 5000, false);
    uep_open(&s, &n, n.srv, 7, false);
    uep_open(&s2, &n, n.srv2, 9, false);
    usend(&a, SRV, 7, "map");
    run_for(&n, IB_SEC(1));
    uep_open(&rl, &n, n.r1, 5000, false);
    usend(&s, PUB, 5000, "for h1");
    usend(&s2, PUB, 5000, "for r1");
    run_for(&n, IB_SEC(1));
    assert_int_equal(a.rx, 1);
    assert_memory_equal(a.data, "for h1", 6);
    assert_int_equal(rl.rx, 1);
    assert_memory_equal(rl.data, "for r1", 6);
    assert_int_equal(n.r1->node.drops[IB_DROP_NAT_NO_MAPPING], 0);
    /* Bound to the public address itself: exact, so the router's. */
    struct uep b;
    uep_open(&b, &n, n.h1, 5001, false);
    usend(&b, SRV, 7, "map");
    run_for(&n, IB_SEC(1));
    memset(&rx, 0, sizeof(rx));
    rx.w = n.w;
    assert_int_equal(ib_udp_bind(n.r1, &rx.pcb, PUB, 5001), 0);
    rx.pcb.recv = uep_recv;
    rx.pcb.arg = &rx;
    usend(&s, PUB, 5001, "exact");
    run_for(&n, IB_SEC(1));
    assert_int_equal(rx.rx, 1);
    assert_int_equal(b.rx, 0);
    ib_tcp_abort(rcli.c);
    ib_tcp_abort(cli2.c);
    ib_tcp_close(web.l);
    ib_tcp_close(inner.l);
    ib_udp_close(&a.pcb);
    ib_udp_close(&b.pcb);
    ib_udp_close(&s.pcb);
    ib_udp_close(&s2.pcb);
    ib_udp_close(&rl.pcb);
    ib_udp_close(&rx.pcb);
    net_free(&n);
}

/* RFC 4787 §5, RFC 5382 REQ-4 a): an outside host that routes the inside
 * network to the router still reaches nothing behind it but through a
 * mapping; the router's own inside address still answers. */
static void test_inbound_to_inside_dropped(void **state)
{
    struct net n;
    net_build(&n, 24, NULL);
    assert_int_equal(
        ib_stack_add_route(n.r2, IB_IP4(192, 168, 0, 0), 24, PUB, ib_stack_netif(n.r2, "eth0")), 0);
    assert_int_equal(ib_stack_add_route(n.srv, IB_IP4(192, 168, 0, 0), 24, IB_IP4(198, 51, 100, 1),
                                        ib_stack_netif(n.srv, "eth0")),
                     0);
    struct uep a, s;
    uep_open(&a, &n, n.h1, 6000, false);
    uep_open(&s, &n, n.srv, 7, true);
    usend(&s, H1, 6000, "unsolicited");
    struct pinger pg;
    pinger_open(&pg, n.srv, 99);
    assert_int_equal(ib_icmp_echo_send(&pg.e, H1, 1, 56, 64), 0);
    run_for(&n, IB_SEC(1));
    assert_int_equal(a.rx, 0);
    assert_int_equal(pg.replies, 0);
    assert_int_equal(n.r1->node.drops[IB_DROP_NAT_TO_INSIDE], 2);
    assert_int_equal(n.r1_drop_events[IB_DROP_NAT_TO_INSIDE], 2);
    assert_int_equal(n.h1->icmp_stats.in, 0);
    assert_int_equal(ib_icmp_echo_send(&pg.e, GW, 2, 56, 64), 0);
    run_for(&n, IB_SEC(1));
    assert_int_equal(pg.replies, 1);
    assert_int_equal(pg.from, GW);
    /* Translated traffic is untouched. */
    usend(&a, SRV, 7, "through");
    run_for(&n, IB_SEC(1));
    assert_int_equal(a.rx, 1);
    assert_int_equal(a.src, SRV);
    assert_int_equal(n.r1->node.drops[IB_DROP_NAT_TO_INSIDE], 2);
    ib_icmp_echo_close(&pg.e);
    ib_udp_close(&a.pcb);
    ib_udp_close(&s.pcb);
    net_free(&n);
}

/* A TCP segment built by hand, handed to r1's IP input on interface ifname. */
static void tcp_inject(struct net *n, const char *ifname, ib_ip4 src, uint16_t sport, ib_ip4 dst,
                       uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags)
{
    uint8_t b[IB_IP4_HLEN + IB_TCP_HLEN] = {0};
    ip_hdr(b, src, dst, IB_IPPROTO_TCP, IB_TCP_HLEN);
    uint8_t *t = b + IB_IP4_HLEN;
    ib_put16(t, sport);
    ib_put16(t + 2, dport);
    ib_put32(t + 4, seq);
    ib_put32(t + 8, ack);
    t[12] = 5 << 4;
    t[13] = flags;
    ib_put16(t + 14, 65535);
    ib_tcp_fill_csum(t, IB_TCP_HLEN, src, dst);
    inject(n, ib_stack_netif(n->r1, ifname), b, sizeof(b));
}

/* Nobody answers at these: the test plays both ends of the connections. */
#define IN_X IB_IP4(192, 168, 0, 50)
#define PEER_A IB_IP4(10, 99, 0, 1)
#define PEER_B IB_IP4(10, 99, 0, 2)
#define SYN IB_TCP_SYN
#define ACK IB_TCP_ACK
#define FIN IB_TCP_FIN
#define RST IB_TCP_RST

static ib_time time_left(struct net *n, const struct ib_nat_mapping *m)
{
    return m->expires - ib_now(&n->w->env);
}

/* RFC 5382 REQ-5: an established connection keeps its mapping >= 2 h 4 min
 * unless it really ended. Only a RST its endpoint would take ends it (RFC
 * 5961 §3.2: at exactly the next expected sequence number; RFC 9293
 * §3.10.7.3: in SYN-SENT, acknowledging the SYN); a blind attacker's RST
 * from another port or at another sequence number changes nothing. */
static void test_tcp_rst_validated(void **state)
{
    struct net n;
    net_build(&n, 25, NULL);
    tcp_inject(&n, "eth0", IN_X, 40000, PEER_A, 80, 1000, 0, SYN);
    /* A RST not acknowledging the SYN is not the peer's answer. */
    tcp_inject(&n, "eth1", PEER_A, 80, PUB, 40000, 0, 999, RST | ACK);
    assert_int_equal(mapping_of(&n, IB_IPPROTO_TCP, IN_X, 40000).tcp_state, IB_NAT_TCP_OPENING);
    tcp_inject(&n, "eth1", PEER_A, 80, PUB, 40000, 5000, 1001, SYN | ACK);
    tcp_inject(&n, "eth0", IN_X, 40000, PEER_A, 80, 1001, 5001, ACK);
    struct ib_nat_mapping m = mapping_of(&n, IB_IPPROTO_TCP, IN_X, 40000);
    assert_int_equal(m.tcp_state, IB_NAT_TCP_ESTABLISHED);
    assert_int_equal(time_left(&n, &m), ib_nat_defaults.tcp_est_timeout);
    run_for(&n, IB_SEC(10));
    /* Blind RSTs: another port, a sequence number out of the window, one
     * in it but past what the peer sent. */
    tcp_inject(&n, "eth1", PEER_A, 81, PUB, 40000, 5001, 0, RST);
    tcp_inject(&n, "eth1", PEER_A, 80, PUB, 40000, 123456, 0, RST);
    tcp_inject(&n, "eth1", PEER_A, 80, PUB, 40000, 5001 + 100, 0, RST);
    m = mapping_of(&n, IB_IPPROTO_TCP, IN_X, 40000);
    assert_int_equal(m.tcp_state, IB_NAT_TCP_ESTABLISHED);
    assert_true(time_left(&n, &m) > ib_nat_defaults.tcp_trans_timeout);
    /* Five idle minutes later the mapping is still there. */
    run_for(&n, IB_SEC(300));
    m = mapping_of(&n, IB_IPPROTO_TCP, IN_X, 40000);
    assert_int_equal(m.tcp_state, IB_NAT_TCP_ESTABLISHED);
    /* The peer's own RST, at the sequence number the inside host expects. */
    tcp_inject(&n, "eth1", PEER_A, 80, PUB, 40000, 5001, 0, RST);
    m = mapping_of(&n, IB_IPPROTO_TCP, IN_X, 40000);
    assert_int_equal(m.tcp_state, IB_NAT_TCP_CLOSED);
    assert_int_equal(time_left(&n, &m), ib_nat_defaults.tcp_trans_timeout);

    /* A real stack's RST (ib_tcp_abort) is believed. */
    struct tapp srv = {.echo = true}, cli = {0};
    srv.l = ib_tcp_listen(n.srv, 0, 80, &tapp_ops, &srv, NULL);
    cli.c = ib_tcp_connect(n.h1, SRV, 80, &tapp_ops, &cli, NULL);
    run_for(&n, IB_SEC(1));
    assert_true(cli.connected);
    assert_int_equal(ib_tcp_send(cli.c, "data", 4), 4);
    run_for(&n, IB_SEC(1));
    ib_ip4 la, ra;
    uint16_t lp, rp;
    ib_tcp_endpoints(cli.c, &la, &lp, &ra, &rp);
    assert_int_equal(mapping_of(&n, IB_IPPROTO_TCP, H1, lp).tcp_state, IB_NAT_TCP_ESTABLISHED);
    ib_tcp_abort(srv.c);
    run_for(&n, IB_SEC(1));
    assert_int_equal(cli.err, IB_ERR_RESET);
    assert_int_equal(mapping_of(&n, IB_IPPROTO_TCP, H1, lp).tcp_state, IB_NAT_TCP_CLOSED);
    ib_tcp_close(cli.c);
    ib_tcp_close(srv.l);
    run_for(&n, IB_SEC(10)); /* the datagrams to nobody give up */
    net_free(&n);
}

/* RFC 5382 §5 with endpoint-independent mapping: connections sharing a
 * mapping are tracked each on its own. A SYN out to one peer and a SYN in
 * from another establish nothing; one connection's end leaves the other's
 * established idle-timeout alone. */
static void test_tcp_connections_share_mapping(void **state)
{
    struct net n;
    net_build(&n, 26, NULL);
    ib_nat_set_filter(n.nat, IB_NAT_FILTER_INDEPENDENT);
    tcp_inject(&n, "eth0", IN_X, 40000, PEER_A, 80, 1000, 0, SYN);
    tcp_inject(&n, "eth1", PEER_B, 90, PUB, 40000, 7000, 0, SYN);
    struct ib_nat_mapping m = mapping_of(&n, IB_IPPROTO_TCP, IN_X, 40000);
    assert_int_equal(m.tcp_state, IB_NAT_TCP_OPENING);
    assert_int_equal(time_left(&n, &m), ib_nat_defaults.tcp_trans_timeout);
    /* Both handshakes completed. */
    tcp_inject(&n, "eth1", PEER_A, 80, PUB, 40000, 5000, 1001, SYN | ACK);
    tcp_inject(&n, "eth0", IN_X, 40000, PEER_B, 90, 3000, 7001, SYN | ACK);
    assert_int_equal(mapping_of(&n, IB_IPPROTO_TCP, IN_X, 40000).tcp_state, IB_NAT_TCP_ESTABLISHED);
    /* A closes with FINs both ways; B lives on. */
    tcp_inject(&n, "eth0", IN_X, 40000, PEER_A, 80, 1001, 5001, FIN | ACK);
    tcp_inject(&n, "eth1", PEER_A, 80, PUB, 40000, 5001, 1002, FIN | ACK);
    tcp_inject(&n, "eth0", IN_X, 40000, PEER_A, 80, 1002, 5002, ACK);
    m = mapping_of(&n, IB_IPPROTO_TCP, IN_X, 40000);
    assert_int_equal(m.tcp_state, IB_NAT_TCP_ESTABLISHED);
    assert_int_equal(time_left(&n, &m), ib_nat_defaults.tcp_est_timeout);
    /* A RST from A's port for B's connection is A's business: B stays. */
    tcp_inject(&n, "eth1", PEER_A, 80, PUB, 40000, 5002, 0, RST);
    assert_int_equal(mapping_of(&n, IB_IPPROTO_TCP, IN_X, 40000).tcp_state, IB_NAT_TCP_ESTABLISHED);
    /* B's peer resets it, exactly: nothing established is left. */
    tcp_inject(&n, "eth1", PEER_B, 90, PUB, 40000, 7001, 0, RST);
    m = mapping_of(&n, IB_IPPROTO_TCP, IN_X, 40000);
    assert_int_equal(m.tcp_state, IB_NAT_TCP_CLOSED);
    assert_int_equal(time_left(&n, &m), ib_nat_defaults.tcp_trans_timeout);
    /* A new SYN on A's ports opens a new connection (RFC 1122 §4.2.2.13). */
    tcp_inject(&n, "eth0", IN_X, 40000, PEER_A, 80, 90000, 0, SYN);
    assert_int_equal(mapping_of(&n, IB_IPPROTO_TCP, IN_X, 40000).tcp_state, IB_NAT_TCP_OPENING);
    tcp_inject(&n, "eth1", PEER_A, 80, PUB, 40000, 60000, 90001, SYN | ACK);
    assert_int_equal(mapping_of(&n, IB_IPPROTO_TCP, IN_X, 40000).tcp_state, IB_NAT_TCP_ESTABLISHED);
    run_for(&n, IB_SEC(10));
    net_free(&n);
}

/* An established connection idle past its timeout is forgotten though
 * another connection keeps the mapping in use: the mapping falls back to
 * the transitory idle-timeout of what is left. */
static void test_tcp_dead_connection_forgotten(void **state)
{
    struct net n;
    struct ib_nat_config cfg = {.tcp_est_timeout = IB_SEC(600)};
    net_build(&n, 31, &cfg);
    tcp_inject(&n, "eth0", IN_X, 40000, PEER_A, 80, 1000, 0, SYN);
    tcp_inject(&n, "eth1", PEER_A, 80, PUB, 40000, 5000, 1001, SYN | ACK);
    assert_int_equal(mapping_of(&n, IB_IPPROTO_TCP, IN_X, 40000).tcp_state, IB_NAT_TCP_ESTABLISHED);
    for (int i = 0; i < 7; i++) {
        run_for(&n, IB_SEC(100));
        tcp_inject(&n, "eth0", IN_X, 40000, PEER_B, 90, 3000, 0, SYN);
    }
    struct ib_nat_mapping m = mapping_of(&n, IB_IPPROTO_TCP, IN_X, 40000);
    assert_int_equal(m.tcp_state, IB_NAT_TCP_OPENING);
    assert_int_equal(time_left(&n, &m), ib_nat_defaults.tcp_trans_timeout);
    assert_int_equal(ib_nat_find_in(n.nat, IB_IPPROTO_TCP, IN_X, 40000)->n_peers, 1);
    run_for(&n, IB_SEC(10));
    net_free(&n);
}

/* A UDP datagram built by hand, handed to r1's IP input on interface ifname. */
static void udp_inject(struct net *n, const char *ifname, ib_ip4 src, uint16_t sport, ib_ip4 dst,
                       uint16_t dport)
{
    uint8_t b[IB_IP4_HLEN + IB_UDP_HLEN + 2] = {0};
    ip_hdr(b, src, dst, IB_IPPROTO_UDP, IB_UDP_HLEN + 2);
    struct ib_udp_hdr uh = {.sport = sport, .dport = dport, .len = IB_UDP_HLEN + 2};
    ib_udp_emit(&uh, b + IB_IP4_HLEN, IB_UDP_HLEN + 2, src, dst);
    inject(n, ib_stack_netif(n->r1, ifname), b, sizeof(b));
}

/* A mapping remembers at most max_peers outside endpoints, the least
 * recently used forgotten first, whatever the socket talks to; and each
 * for its own idle timeout, not the mapping's. */
static void test_peers_bounded(void **state)
{
    struct net n;
    struct ib_nat_config cfg = {.max_peers = 4, .udp_timeout = IB_SEC(150)};
    net_build(&n, 27, &cfg);
    struct uep a;
    uep_open(&a, &n, n.h1, 5000, false);
    for (unsigned i = 1; i <= 5; i++)
        usend(&a, IB_IP4(10, 99, 1, i), 7, "hi");
    run_for(&n, IB_SEC(1));
    const struct nat_map *mm = ib_nat_find_in(n.nat, IB_IPPROTO_UDP, H1, 5000);
    assert_non_null(mm);
    assert_int_equal(mm->n_peers, 4);
    int in = count_ev(&n, IB_NAT_IN);
    udp_inject(&n, "eth1", IB_IP4(10, 99, 1, 1), 7, PUB, 5000);
    assert_int_equal(n.r1->node.drops[IB_DROP_NAT_NO_MAPPING], 1);
    udp_inject(&n, "eth1", IB_IP4(10, 99, 1, 5), 7, PUB, 5000);
    udp_inject(&n, "eth1", IB_IP4(10, 99, 1, 2), 7, PUB, 5000);
    assert_int_equal(count_ev(&n, IB_NAT_IN), in + 2);
    /* Use order now 3, 4, 5, 2: a sixth peer pushes 3 out. */
    usend(&a, IB_IP4(10, 99, 1, 6), 7, "hi");
    run_for(&n, IB_SEC(1));
    udp_inject(&n, "eth1", IB_IP4(10, 99, 1, 3), 7, PUB, 5000);
    assert_int_equal(n.r1->node.drops[IB_DROP_NAT_NO_MAPPING], 2);
    udp_inject(&n, "eth1", IB_IP4(10, 99, 1, 4), 7, PUB, 5000);
    assert_int_equal(count_ev(&n, IB_NAT_IN), in + 3);
    /* Hundreds of peers cost no more. */
    for (unsigned i = 0; i < 300; i++)
        usend(&a, IB_IP4(10, 99, 2 + i / 200, i % 200), 7, "hi");
    run_for(&n, IB_SEC(1));
    assert_int_equal(mm->n_peers, 4);
    assert_int_equal(n.nat->n_peers, 4);

    /* srv, last sent to 200 s ago, is forgotten though the mapping, used
     * toward srv2 since, lives. */
    struct uep b, s, s2;
    uep_open(&b, &n, n.h1, 6000, false);
    uep_open(&s, &n, n.srv, 7, false);
    uep_open(&s2, &n, n.srv2, 9, false);
    usend(&b, SRV, 7, "t0");
    run_for(&n, IB_SEC(100));
    usend(&b, SRV2, 9, "t100");
    run_for(&n, IB_SEC(100));
    usend(&b, SRV2, 9, "t200");
    run_for(&n, IB_SEC(1));
    uint32_t dropped = n.r1->node.drops[IB_DROP_NAT_NO_MAPPING];
    usend(&s, PUB, 6000, "late");
    usend(&s2, PUB, 6000, "fresh");
    run_for(&n, IB_SEC(1));
    assert_int_equal(n.r1->node.drops[IB_DROP_NAT_NO_MAPPING], dropped + 1);
    assert_int_equal(b.rx, 1);
    assert_memory_equal(b.data, "fresh", 5);
    ib_udp_close(&a.pcb);
    ib_udp_close(&b.pcb);
    ib_udp_close(&s.pcb);
    ib_udp_close(&s2.pcb);
    net_free(&n);
}

/* RFC 6864, RFC 4963: two inside hosts whose IP ID counters agree send
 * fragmented datagrams to one server; behind one public address they
 * would be one (source, destination, protocol, ID) and mixed up in
 * reassembly. The NAT gives each its own ID; a DF datagram keeps its. */
static void test_ip_id_rewritten(void **state)
{
    struct net n;
    net_build(&n, 28, NULL);
    struct uep a, b, s;
    uep_open(&a, &n, n.h1, 5000, false);
    uep_open(&b, &n, n.h2, 6000, false);
    uep_open(&s, &n, n.srv, 7, true);
    uint8_t big1[3000], big2[3000];
    for (size_t i = 0; i < sizeof(big1); i++) {
        big1[i] = (uint8_t)(i * 7);
        big2[i] = (uint8_t)(i * 13 + 1);
    }
    n.h1->ip_id = n.h2->ip_id = 777;
    usend_ttl(&a, SRV, 7, big1, sizeof(big1), 0);
    usend_ttl(&b, SRV, 7, big2, sizeof(big2), 0);
    run_for(&n, IB_SEC(1));
    assert_int_equal(s.rx, 2);
    assert_int_equal(a.rx, 1);
    assert_int_equal(a.len, sizeof(big1));
    assert_memory_equal(a.data, big1, sizeof(big1));
    assert_int_equal(b.rx, 1);
    assert_memory_equal(b.data, big2, sizeof(big2));
    assert_int_equal(n.srv->node.drops[IB_DROP_FRAG_OVERLAP], 0);
    const struct nat_ev *out1 = NULL, *out2 = NULL;
    for (int i = 0; i < n.n_ev; i++) {
        if (n.ev[i].what != IB_NAT_OUT) continue;
        if (n.ev[i].in_addr == H1) out1 = &n.ev[i];
        if (n.ev[i].in_addr == H2) out2 = &n.ev[i];
    }
    assert_non_null(out1);
    assert_non_null(out2);
    assert_int_not_equal(ib_get16(out1->b + 4), ib_get16(out2->b + 4));
    assert_int_not_equal(ib_get16(out1->b + 4), 777);
    assert_int_equal(ib_csum(out1->b, IB_IP4_HLEN), 0);
    /* With DF set there are no fragments to confuse: the ID stays. */
    struct ib_pkt *p = ib_pkt_alloc(n.w->env.pool, IB_PKT_HEADROOM, IB_UDP_HLEN + 2);
    assert_non_null(p);
    struct ib_udp_hdr uh = {.sport = 5000, .dport = 7, .len = IB_UDP_HLEN + 2};
    ib_udp_emit(&uh, p->data, p->len, H1, SRV);
    n.h1->ip_id = 4242;
    struct ib_ip4_tx tx = {.dst = SRV, .proto = IB_IPPROTO_UDP, .df = true};
    assert_int_equal(ib_ip4_output(n.h1, p, &tx), 0);
    run_for(&n, IB_SEC(1));
    const struct nat_ev *out = last_ev(&n, IB_NAT_OUT);
    assert_int_equal(ib_get16(out->b + 4), 4242);
    assert_int_equal(s.rx, 3);
    ib_udp_close(&a.pcb);
    ib_udp_close(&b.pcb);
    ib_udp_close(&s.pcb);
    net_free(&n);
}

/* RFC 5508 §7: h1's port unreachable about a datagram h2 hairpinned to it
 * goes back to h2, from the public address, quoting h2's datagram as h2
 * sent it (to h1's public endpoint). */
static void test_hairpin_icmp_error(void **state)
{
    struct net n;
    struct uep a, b, s;
    hairpin_open(&n, 29, &a, &b, &s);
    usend(&a, PUB, 6000, "punch"); /* h1's mapping now hears the public address */
    run_for(&n, IB_SEC(1));
    ib_udp_close(&a.pcb);
    usend(&b, PUB, 5000, "anyone?");
    run_for(&n, IB_SEC(1));
    assert_int_equal(n.h1->node.drops[IB_DROP_UDP_NO_LISTENER], 1);
    assert_int_equal(b.errs, 1);
    assert_int_equal(b.err_from, PUB);
    assert_int_equal(b.err_type, IB_ICMP_DEST_UNREACH);
    assert_int_equal(b.err_code, IB_ICMP_UNREACH_PORT);
    assert_int_equal(b.err_dst, PUB);
    assert_int_equal(b.err_dport, 5000);
    const struct nat_ev *ev = last_ev(&n, IB_NAT_ICMP_ERR);
    assert_non_null(ev);
    assert_int_equal(ev->in_addr, H2);
    assert_int_equal(ev->in_port, 6000);
    assert_int_equal(ev->peer_addr, H1);
    assert_icmp_err_valid(ev, H2, H2, PUB);
    ib_udp_close(&b.pcb);
    ib_udp_close(&s.pcb);
    net_free(&n);
}

/* An ICMP query of another type than echo, with its identifier at the
 * same place, built by hand. */
static struct ib_pkt *icmp_query(struct net *n, uint8_t type, uint16_t id)
{
    struct ib_pkt *p = ib_pkt_alloc(n->w->env.pool, IB_PKT_HEADROOM, 20);
    assert_non_null(p);
    memset(p->data, 0, 20);
    struct ib_icmp_hdr ih = {.type = type, .rest = (uint32_t)id << 16 | 1};
    ib_icmp_emit(&ih, p->data, 20);
    return p;
}

/* RFC 5508 REQ-1: queries from the inside pass, not only echo: a
 * timestamp request (RFC 792) is mapped by its identifier and its reply
 * comes back. */
static void test_icmp_timestamp_through_nat(void **state)
{
    struct net n;
    net_build(&n, 30, NULL);
    struct ib_ip4_tx tx = {.dst = SRV, .proto = IB_IPPROTO_ICMP};
    assert_int_equal(ib_ip4_output(n.h1, icmp_query(&n, 13, 0x3333), &tx), 0);
    run_for(&n, IB_SEC(1));
    assert_int_equal(n.r1->node.drops[IB_DROP_NAT_UNTRANSLATABLE], 0);
    assert_int_equal(n.srv->node.drops[IB_DROP_ICMP_UNHANDLED], 1); /* srv keeps no clock */
    struct ib_nat_mapping m = mapping_of(&n, IB_IPPROTO_ICMP, H1, 0x3333);
    const struct nat_ev *out = last_ev(&n, IB_NAT_OUT);
    assert_int_equal(ib_get32(out->b + 12), PUB);
    assert_int_equal(out->b[IB_IP4_HLEN], 13);
    assert_int_equal(ib_get16(out->b + IB_IP4_HLEN + 4), m.pub_port);
    /* The reply, from srv. */
    struct ib_pkt *p = icmp_query(&n, 14, m.pub_port);
    uint8_t b[IB_IP4_HLEN + 20];
    ip_hdr(b, SRV, PUB, IB_IPPROTO_ICMP, 20);
    memcpy(b + IB_IP4_HLEN, p->data, 20);
    ib_pkt_free(p);
    inject(&n, ib_stack_netif(n.r1, "eth1"), b, sizeof(b));
    run_for(&n, IB_SEC(1));
    const struct nat_ev *in = last_ev(&n, IB_NAT_IN);
    assert_non_null(in);
    struct ib_ip4_hdr ip;
    struct ib_icmp_hdr ih;
    assert_int_equal(ib_ip4_parse(in->b, in->len, &ip), 0);
    assert_int_equal(ip.dst, H1);
    assert_int_equal(ib_icmp_parse(in->b + ip.hlen, ip.tot_len - ip.hlen, &ih), 0);
    assert_int_equal(ih.type, 14);
    assert_int_equal(ih.rest >> 16, 0x3333);
    assert_int_equal(n.h1->node.drops[IB_DROP_ICMP_UNHANDLED], 1); /* it reached h1 */
    net_free(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_udp_through_nat),
        cmocka_unit_test(test_mapping_and_filtering),
        cmocka_unit_test(test_tcp_through_nat),
        cmocka_unit_test(test_udp_mapping_expires),
        cmocka_unit_test(test_unsolicited_inbound),
        cmocka_unit_test(test_two_hosts_same_port),
        cmocka_unit_test(test_icmp_echo_through_nat),
        cmocka_unit_test(test_icmp_errors),
        cmocka_unit_test(test_static_forward),
        cmocka_unit_test(test_no_ports),
        cmocka_unit_test(test_fragments),
        cmocka_unit_test(test_hairpin),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_enable),
        cmocka_unit_test(test_router_ports_skip_mappings),
        cmocka_unit_test(test_nat_skips_router_tcp_ports),
        cmocka_unit_test(test_router_socket_wins),
        cmocka_unit_test(test_inbound_to_inside_dropped),
        cmocka_unit_test(test_tcp_rst_validated),
        cmocka_unit_test(test_tcp_connections_share_mapping),
        cmocka_unit_test(test_tcp_dead_connection_forgotten),
        cmocka_unit_test(test_peers_bounded),
        cmocka_unit_test(test_ip_id_rewritten),
        cmocka_unit_test(test_hairpin_icmp_error),
        cmocka_unit_test(test_icmp_timestamp_through_nat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Scenario files: examples/two-lans.yaml builds the network of the
 * built-in topology (nodes, interfaces, addresses, routes, link
 * parameters) and a ping crosses it; every link key lands in the link's
 * parameters; and each malformed file gives its exact message at the
 * right line:column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dirent.h>

#include "fuzz/fuzz_scenario.c"
#include "inetbox/scenario.h"

static const struct ib_link_params *params_of(const struct ib_netif *nif)
{
    const struct ib_link_end *e = nif->drv;
    return &e->link->p;
}

struct pinger {
    struct ib_icmp_echo echo;
    int replies;
    ib_ip4 from;
    uint8_t ttl;
};

static void on_reply(struct ib_icmp_echo *e, ib_ip4 from, uint16_t seq, uint8_t ttl,
                     const uint8_t *data, size_t len)
{
    struct pinger *p = (struct pinger *)((char *)e - offsetof(struct pinger, echo));
    p->replies++;
    p->from = from;
    p->ttl = ttl;
}

static void check_addr(struct ib_world *w, const char *ep, ib_ip4 a, uint8_t plen)
{
    struct ib_netif *nif = ib_world_netif(w, ep);
    assert_non_null(nif);
    assert_int_equal(nif->addr, a);
    assert_int_equal(nif->plen, plen);
}

static void check_route(struct ib_world *w, const char *node, ib_ip4 dst, ib_ip4 gw,
                        const char *ifname)
{
    struct ib_stack *s = (struct ib_stack *)ib_world_node(w, node);
    const struct ib_route *r = ib_fib_lookup(&s->fib, dst);
    assert_non_null(r);
    assert_int_equal(r->gateway, gw);
    assert_int_equal(r->proto, IB_RT_STATIC);
    assert_string_equal(s->nifs[r->ifindex]->name, ifname);
}

static void test_two_lans(void **state)
{
    struct ib_scenario sc;
    char err[IB_SC_ERR_MAX];
    int rc = ib_scenario_load(&sc, IB_SOURCE_DIR "/examples/two-lans.yaml", err, sizeof(err));
    if (rc)
        fail_msg("%s", err);
    assert_string_equal(sc.name, "two-lans");
    assert_int_equal(sc.seed, 1);
    assert_int_equal(sc.stop, IB_SEC(10));
    assert_int_equal(sc.n_nodes, 8);
    assert_int_equal(sc.n_links, 7);
    /* "  r1:" is on line 16 of the file, its kind on line 17. */
    assert_string_equal(sc.nodes[3].name, "r1");
    assert_int_equal(sc.nodes[3].pos.line, 16);
    assert_int_equal(sc.nodes[3].pos.col, 3);
    assert_int_equal(sc.nodes[3].kind_pos.line, 17);
    assert_int_equal(sc.nodes[3].kind_pos.col, 11);

    struct ib_world *w = ib_scenario_build(&sc, err, sizeof(err));
    if (!w || ib_scenario_configure(&sc, w, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(w->seed, 1);
    assert_int_equal(w->n_nodes, 8);
    assert_int_equal(w->n_links, 7);
    assert_int_equal(w->n_nifs, 14);
    const char *hosts[] = {"h1", "h2", "h3", "h4"}, *routers[] = {"r1", "r2"};
    for (int i = 0; i < 4; i++)
        assert_int_equal(ib_world_node(w, hosts[i])->kind, IB_NODE_HOST);
    for (int i = 0; i < 2; i++)
        assert_int_equal(ib_world_node(w, routers[i])->kind, IB_NODE_ROUTER);
    assert_int_equal(ib_world_node(w, "sw1")->kind, IB_NODE_SWITCH);
    assert_int_equal(((struct ib_bridge *)ib_world_node(w, "sw2"))->n_ports, 3);
    assert_non_null(ib_world_netif(w, "sw1:p3"));

    check_addr(w, "h1:eth0", IB_IP4(10, 0, 1, 10), 24);
    check_addr(w, "h2:eth0", IB_IP4(10, 0, 1, 11), 24);
    check_addr(w, "r1:eth0", IB_IP4(10, 0, 1, 1), 24);
    check_addr(w, "r1:eth1", IB_IP4(10, 0, 0, 1), 30);
    check_addr(w, "r2:eth0", IB_IP4(10, 0, 0, 2), 30);
    check_addr(w, "r2:eth1", IB_IP4(10, 0, 2, 1), 24);
    check_addr(w, "h3:eth0", IB_IP4(10, 0, 2, 10), 24);
    check_addr(w, "h4:eth0", IB_IP4(10, 0, 2, 11), 24);
    check_route(w, "h1", IB_IP4(8, 8, 8, 8), IB_IP4(10, 0, 1, 1), "eth0");
    check_route(w, "h4", IB_IP4(10, 0, 1, 10), IB_IP4(10, 0, 2, 1), "eth0");
    check_route(w, "r1", IB_IP4(10, 0, 2, 99), IB_IP4(10, 0, 0, 2), "eth1");
    check_route(w, "r2", IB_IP4(10, 0, 1, 99), IB_IP4(10, 0, 0, 1), "eth0");
    assert_null(ib_fib_lookup(&((struct ib_stack *)ib_world_node(w, "r1"))->fib,
                              IB_IP4(8, 8, 8, 8)));

    struct ib_netif *wan = ib_world_netif(w, "r1:eth1");
    const struct ib_link_params *wp = params_of(wan);
    assert_int_equal(wp->rate_bps, 100000000);
    assert_int_equal(wp->delay, IB_MS(10));
    assert_int_equal(wp->queue, ib_link_defaults.queue);
    assert_int_equal(wan->mtu, 1400);
    assert_int_equal(ib_world_netif(w, "r2:eth0")->mtu, 1400);
    assert_ptr_equal(params_of(ib_world_netif(w, "r2:eth0")), wp);
    const struct ib_link_params *lp = params_of(ib_world_netif(w, "h1:eth0"));
    assert_int_equal(lp->rate_bps, 1000000000);
    assert_int_equal(lp->delay, IB_US(50));
    assert_int_equal(ib_world_netif(w, "h1:eth0")->mtu, 1500);

    /* h1 to h3 across both routers: the reply has come through two
     * forwarding hops (TTL 64 - 2). */
    ib_world_run(w, IB_SEC(1));
    struct pinger pg = {0};
    pg.echo.reply = on_reply;
    ib_icmp_echo_open((struct ib_stack *)ib_world_node(w, "h1"), &pg.echo, 0x4242);
    assert_int_equal(ib_icmp_echo_send(&pg.echo, IB_IP4(10, 0, 2, 10), 1, 56, 64), 0);
    ib_world_run(w, sc.stop);
    assert_int_equal(pg.replies, 1);
    assert_int_equal(pg.from, IB_IP4(10, 0, 2, 10));
    assert_int_equal(pg.ttl, 62);
    ib_icmp_echo_close(&pg.echo);

    struct ib_pkt_pool_stats st;
    ib_pkt_pool_stats(w->env.pool, &st);
    assert_int_equal(st.in_use, 0);
    ib_world_free(w);
    ib_scenario_free(&sc);
}

static void test_link_keys(void **state)
{
    static const char text[] = "seed: 18446744073709551615\n"
                               "nodes:\n"
                               "  a: {kind: router, interfaces: {e0: {address: 192.168.7.1/31}}}\n"
                               "  b: {kind: switch}\n"
                               "links:\n"
                               "  - endpoints: [\"a:e0\", \"b:port-9\"]\n"
                               "    rate: 2.5Gbit\n"
                               "    delay: 1.25ms\n"
                               "    queue: 7\n"
                               "    loss: 0.01\n"
                               "    duplicate: 0.5\n"
                               "    reorder: 1\n"
                               "    corrupt: 0\n"
                               "    reorder_delay: 3us\n"
                               "    mtu: 576\n";
    struct ib_scenario sc;
    char err[IB_SC_ERR_MAX];
    int rc = ib_scenario_parse(&sc, "k.yaml", text, sizeof(text) - 1, err, sizeof(err));
    if (rc)
        fail_msg("%s", err);
    assert_true(sc.seed == UINT64_MAX);
    assert_int_equal(sc.stop, IB_TIME_NEVER);
    const struct ib_sc_link *l = &sc.links[0];
    assert_int_equal(l->params.rate_bps, 2500000000u);
    assert_int_equal(l->params.delay, IB_US(1250));
    assert_int_equal(l->params.queue, 7);
    assert_true(l->params.loss == 0.01);
    assert_true(l->params.duplicate == 0.5);
    assert_true(l->params.reorder == 1.0);
    assert_true(l->params.corrupt == 0.0);
    assert_int_equal(l->params.reorder_delay, IB_US(3));
    assert_int_equal(l->mtu, 576);
    assert_int_equal(l->ep[1].node, 1);
    assert_string_equal(l->ep[1].ifname, "port-9");
    assert_int_equal(l->ep[1].pos.line, 6);
    assert_int_equal(l->ep[1].pos.col, 25);
    assert_int_equal(sc.nodes[0].ifaces[0].addr, IB_IP4(192, 168, 7, 1));

    struct ib_world *w = ib_scenario_build(&sc, err, sizeof(err));
    if (!w || ib_scenario_configure(&sc, w, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    struct ib_netif *e0 = ib_world_netif(w, "a:e0");
    assert_int_equal(params_of(e0)->queue, 7);
    assert_int_equal(e0->mtu, 576);
    assert_int_equal(ib_world_netif(w, "b:port-9")->mtu, 576);
    ib_world_free(w);
    ib_scenario_free(&sc);

    /* The fuzz seed with every key is a good file too. */
    rc = ib_scenario_load(&sc, IB_SOURCE_DIR "/tests/fuzz/corpus/scenario/link-keys.yaml", err,
                          sizeof(err));
    if (rc)
        fail_msg("%s", err);
    assert_int_equal(sc.n_links, 2);
    assert_int_equal(sc.nodes[0].n_routes, 1);
    ib_scenario_free(&sc);
}

/* Lines 1-4 shared by the cases about links. */
#define HEAD                                                                                       \
    "nodes:\n"                                                                                     \
    "  h1: {kind: host, interfaces: {eth0: {}}}\n"                                                 \
    "  sw1: {kind: switch}\n"                                                                      \
    "links:\n"
#define LINK5 "  - endpoints: [\"h1:eth0\", \"sw1:p1\"]\n"

static const struct {
    const char *text, *want;
} bad[] = {
    {"", "t.yaml:1:1: expected a scenario: a mapping of name, seed, stop, nodes, links and timeline, got "
         "nothing"},
    {"- 1\n", "t.yaml:1:1: expected a scenario: a mapping of name, seed, stop, nodes, links and timeline, "
              "got a list"},
    {"stop: ten\n", "t.yaml:1:7: expected a duration such as 10ms, got \"ten\""},
    {"stop: 10\n", "t.yaml:1:7: expected a duration such as 10ms, got \"10\""},
    {"stop: 1.0000000001s\n",
     "t.yaml:1:7: expected a duration such as 10ms, got \"1.0000000001s\""},
    {HEAD LINK5 "    rate: 1Gbit\n    delay: ten\n",
     "t.yaml:7:12: expected a duration such as 10ms, got \"ten\""},
    {"nodes: {}\nfoo: 1\n", "t.yaml:2:1: unknown key \"foo\" in a scenario; expected name, seed, "
                            "stop, nodes, links and timeline"},
    {"seed: 1\nseed: 2\n", "t.yaml:2:1: duplicate key \"seed\" (first at 1:1)"},
    {"seed: -1\n",
     "t.yaml:1:7: expected a seed: an integer from 0 to 18446744073709551615, got \"-1\""},
    {"seed: 18446744073709551616\n", "t.yaml:1:7: expected a seed: an integer from 0 to "
                                     "18446744073709551615, got \"18446744073709551616\""},
    {HEAD "  - {endpoints: [\"h1:eth0\", \"sw1:p1\"], speed: 1Gbit}\n",
     "t.yaml:5:40: unknown key \"speed\" in a link; expected endpoints, rate, delay, queue, loss, "
     "duplicate, reorder, corrupt, reorder_delay and mtu"},
    {"nodes:\n  h1: {kind: host}\n  h1: {kind: router}\n",
     "t.yaml:3:3: duplicate node name \"h1\" (first at 2:3)"},
    {"nodes:\n  h1: {kind: hub}\n", "t.yaml:2:14: expected a kind: host, switch or router, got "
                                    "\"hub\""},
    {"nodes:\n  h1: {}\n", "t.yaml:2:3: node h1 has no kind; expected kind: host, switch or "
                           "router"},
    {"nodes:\n  h1:\n", "t.yaml:2:6: expected node h1: a mapping of kind, interfaces, routes, nat, dns and services, "
                        "got nothing"},
    {"nodes:\n  \"h\\r1\": {kind: host}\n",
     "t.yaml:2:3: expected a node name of 1 to 31 printable characters without ':', got "
     "\"h\\x0d1\""},
    {"nodes:\n  h1:x: {kind: host}\n", "t.yaml:2:3: expected a node name of 1 to 31 printable characters "
                                       "without ':', got \"h1:x\""},
    {"nodes:\n  sw1: {kind: switch, routes: []}\n",
     "t.yaml:2:23: a switch has no routes (its ports are created by the links that name them); "
     "expected only kind"},
    {"nodes:\n  h1: {kind: host, colour: red}\n",
     "t.yaml:2:20: unknown key \"colour\" in node h1; expected kind, interfaces, routes, nat, dns and services"},
    {"nodes:\n  h1: {kind: host, interfaces: {eth0: {address: 10.0.1.300/24}}}\n",
     "t.yaml:2:49: expected an address with its prefix length such as 10.0.1.10/24, got "
     "\"10.0.1.300/24\""},
    {"nodes:\n  h1: {kind: host, interfaces: {eth0: {address: 10.0.1.10}}}\n",
     "t.yaml:2:49: expected an address with its prefix length such as 10.0.1.10/24, got "
     "\"10.0.1.10\""},
    {"nodes:\n  h1: {kind: host, interfaces: {eth0: {address: 10.0.1.255/24}}}\n",
     "t.yaml:2:49: expected a host address, not the network or broadcast address, got "
     "\"10.0.1.255/24\""},
    {"nodes:\n  h1: {kind: host, interfaces: {eth0: {addr: 10.0.1.1/24}}}\n",
     "t.yaml:2:40: unknown key \"addr\" in interface h1:eth0; expected address and dhcp"},
    {"nodes:\n  h1: {kind: host, interfaces: {eth0: {}, eth0: {}}}\n",
     "t.yaml:2:43: duplicate interface \"eth0\" (first at 2:33)"},
    {"nodes:\n  h1: {kind: host, routes: [{to: default}]}\n",
     "t.yaml:2:29: a route needs both to: and via:"},
    {"nodes:\n  h1: {kind: host, routes: [{to: 10.0.2.1/24, via: 10.0.1.1}]}\n",
     "t.yaml:2:34: expected a prefix with no bits set after its length, got \"10.0.2.1/24\""},
    {"nodes:\n  h1: {kind: host, routes: [{to: everywhere, via: 10.0.1.1}]}\n",
     "t.yaml:2:34: expected default or a prefix such as 10.0.2.0/24, got \"everywhere\""},
    {"nodes:\n  h1: {kind: host, interfaces: {eth0: {address: 10.0.1.10/24}}, routes: [{to: "
     "default, via: 10.0.9.1}]}\n",
     "t.yaml:2:93: expected a gateway on a network of h1's interfaces, got 10.0.9.1"},
    {HEAD "  - endpoints: [\"h9:eth0\", \"sw1:p1\"]\n",
     "t.yaml:5:17: unknown node in endpoint \"h9:eth0\"; expected a node listed under nodes:"},
    {HEAD "  - endpoints: [\"h1:eth1\", \"sw1:p1\"]\n",
     "t.yaml:5:17: unknown interface in endpoint \"h1:eth1\"; expected one listed under h1's "
     "interfaces:"},
    {HEAD "  - endpoints: [\"h1\", \"sw1:p1\"]\n",
     "t.yaml:5:17: expected an endpoint such as \"h1:eth0\", got \"h1\""},
    {HEAD LINK5 "  - endpoints: [\"sw1:p2\", \"h1:eth0\"]\n",
     "t.yaml:6:27: endpoint \"h1:eth0\" is already used at 5:17"},
    {HEAD "  - endpoints: [\"sw1:p1\", \"sw1:p1\"]\n",
     "t.yaml:5:27: endpoint \"sw1:p1\" is already used at 5:17"},
    {HEAD "  - endpoints: [\"h1:eth0\"]\n", "t.yaml:5:16: expected a list of two endpoints such as "
                                           "[\"h1:eth0\", \"sw1:p1\"], got a list"},
    {HEAD "  - {rate: 1Gbit}\n", "t.yaml:5:5: a link needs endpoints:"},
    {HEAD LINK5 "    rate: fast\n", "t.yaml:6:11: expected a rate such as 100Mbit, got \"fast\""},
    {HEAD LINK5 "    loss: 1.5\n",
     "t.yaml:6:11: expected a probability between 0 and 1, got \"1.5\""},
    {HEAD LINK5 "    corrupt: nan\n",
     "t.yaml:6:14: expected a probability between 0 and 1, got \"nan\""},
    {HEAD LINK5 "    mtu: 9000\n", "t.yaml:6:10: expected an MTU from 68 to 1500 bytes, got \"9000\""},
    {HEAD LINK5 "    queue: 1.5\n",
     "t.yaml:6:12: expected a queue length from 0 to 1000000 packets, got \"1.5\""},
    {"links: {}\n", "t.yaml:1:8: expected a list of links, got a mapping"},
    {"nodes:\n  h1: &a {kind: host}\n  h2: *a\n",
     "t.yaml:2:7: this value is reached through an alias; aliases are not supported"},
    {"nodes: {}\n---\nseed: 1\n", "t.yaml:3:1: expected the end of the file, got a second document"},
    {"a: b: c\n", "t.yaml:1:5: invalid YAML: mapping values are not allowed in this context"},
    {"nodes:\n  h1: {kind: host\n",
     "t.yaml:3:1: invalid YAML: did not find expected ',' or '}' (while parsing a flow mapping at "
     "2:7)"},
    {"seed: [1]\n",
     "t.yaml:1:7: expected a seed: an integer from 0 to 18446744073709551615, got a list"},
    {"seed: 1\nname: \"a\x01\"\n", "t.yaml:2:9: invalid YAML: control characters are not allowed"},
    {"stop: \"a\\tb\\\"\"\n",
     "t.yaml:1:7: expected a duration such as 10ms, got \"a\\x09b\\x22\""},
};

static void test_errors(void **state)
{
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ib_scenario sc;
        char err[IB_SC_ERR_MAX];
        int rc = ib_scenario_parse(&sc, "t.yaml", bad[i].text, strlen(bad[i].text), err, sizeof(err));
        if (rc != IB_ERR_INVAL || strcmp(err, bad[i].want) != 0)
            fail_msg("case %zu: rc %d\n got: %s\nwant: %s", i, rc, err, bad[i].want);
        ib_scenario_free(&sc);
    }
}

static void test_load_errors(void **state)
{
    struct ib_scenario sc;
    char err[IB_SC_ERR_MAX];
    assert_int_equal(ib_scenario_load(&sc, "/nonexistent/x.yaml", err, sizeof(err)), IB_ERR_IO);
    assert_string_equal(err, "/nonexistent/x.yaml: cannot read the file");
    ib_scenario_free(&sc);
}

/* The fuzz seeds go through the harness's oracles in every test run. */
static void test_fuzz_corpus(void **state)
{
    DIR *d = opendir(IB_SOURCE_DIR "/tests/fuzz/corpus/scenario");
    assert_non_null(d);
    int files = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        char path[512], buf[65536];
        snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/scenario/%s", IB_SOURCE_DIR, e->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
        files++;
    }
    closedir(d);
    assert_true(files >= 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_lans),
        cmocka_unit_test(test_link_keys),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_fuzz_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

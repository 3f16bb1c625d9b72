/* Scenario files, the software part: dhcp interfaces, dns, nat, services
 * and the timeline. The built-in internet (examples/internet.yaml) loads
 * with every key in place; each malformed file is rejected with its own
 * file:line:col message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "inetbox/ipv4.h"
#include "inetbox/scenario.h"

static const struct ib_sc_node *node(const struct ib_scenario *sc, const char *name)
{
    for (uint32_t i = 0; i < sc->n_nodes; i++)
        if (strcmp(sc->nodes[i].name, name) == 0)
            return &sc->nodes[i];
    fail_msg("no node %s", name);
    return NULL;
}

static void test_internet(void **state)
{
    struct ib_scenario sc;
    char err[IB_SC_ERR_MAX];
    int rc = ib_scenario_load(&sc, IB_SOURCE_DIR "/examples/internet.yaml", err, sizeof(err));
    if (rc)
        fail_msg("%s", err);
    const struct ib_sc_node *laptop = node(&sc, "laptop");
    assert_true(laptop->ifaces[0].dhcp);
    assert_false(laptop->ifaces[0].has_addr);

    const struct ib_sc_node *home = node(&sc, "home-router");
    assert_true(home->nat.on);
    assert_string_equal(home->ifaces[home->nat.outside].name, "wan0");
    const struct ib_sc_dhcp_server *d = &home->dhcp_server;
    assert_true(d->on);
    assert_string_equal(home->ifaces[d->iface].name, "lan0");
    assert_int_equal(d->first, IB_IP4(192, 168, 0, 100));
    assert_int_equal(d->last, IB_IP4(192, 168, 0, 199));
    assert_int_equal(d->router, IB_IP4(192, 168, 0, 1));
    assert_int_equal(d->n_dns, 1);
    assert_int_equal(d->dns[0], IB_IP4(168, 126, 63, 1));
    assert_int_equal(d->lease_s, 86400);

    const struct ib_sc_node *isp_dns = node(&sc, "isp-dns");
    assert_true(isp_dns->resolver.on);
    assert_int_equal(isp_dns->resolver.n_hints, 1);
    assert_string_equal(isp_dns->resolver.hints[0].name, "a.root-servers.net");
    assert_int_equal(isp_dns->resolver.hints[0].addr, IB_IP4(198, 41, 0, 4));

    const char *const servers[][2] = {{"a-root", "."}, {"a-gtld", "com."}, {"ns1-google", "google.com."}};
    for (size_t i = 0; i < 3; i++) {
        const struct ib_sc_node *n = node(&sc, servers[i][0]);
        assert_true(n->dns_server.on);
        assert_int_equal(n->dns_server.n_zones, 1);
        assert_string_equal(n->dns_server.zones[0].origin, servers[i][1]);
        assert_non_null(strstr(n->dns_server.zones[0].text, "SOA"));
    }
    const struct ib_sc_node *www = node(&sc, "www");
    assert_true(www->http_server.on);
    assert_int_equal(www->http_server.port, 80);
    assert_int_equal(www->http_server.n_files, 1);
    assert_string_equal(www->http_server.files[0].path, "/");
    assert_non_null(strstr(www->http_server.files[0].body, "<title>Google</title>"));

    assert_int_equal(sc.n_timeline, 1);
    assert_int_equal(sc.timeline[0].action, IB_SC_FETCH);
    assert_int_equal(sc.timeline[0].at, IB_SEC(5));
    assert_string_equal(sc.nodes[sc.timeline[0].node].name, "laptop");
    assert_string_equal(sc.timeline[0].arg, "http://www.google.com/");
    ib_scenario_free(&sc);
}

#define R1                                                                                         \
    "nodes:\n"                                                                                     \
    "  h1: {kind: host, interfaces: {eth0: {address: 10.0.0.2/24}}}\n"                             \
    "  r1:\n"                                                                                      \
    "    kind: router\n"                                                                           \
    "    interfaces: {lan0: {address: 10.0.0.1/24}, wan0: {address: 1.2.3.5/30}}\n"

static void test_timeline_and_forwards(void **state)
{
    static const char text[] = R1 "    nat: {outside: wan0, forwards: [{proto: tcp, port: 8080, to: "
                                  "10.0.0.2:80}]}\n"
                                  "links:\n"
                                  "  - endpoints: [\"h1:eth0\", \"r1:lan0\"]\n"
                                  "timeline:\n"
                                  "  - {at: 3s, link-up: \"r1:lan0\"}\n"
                                  "  - {at: 1s, node: h1, ping: 10.0.0.1, count: 2}\n"
                                  "  - {at: 2s, link-down: \"h1:eth0\"}\n"
                                  "  - {at: 1s, node: h1, resolve: www.example.com}\n";
    struct ib_scenario sc;
    char err[IB_SC_ERR_MAX];
    int rc = ib_scenario_parse(&sc, "t.yaml", text, strlen(text), err, sizeof(err));
    if (rc)
        fail_msg("%s", err);
    const struct ib_sc_node *r1 = node(&sc, "r1");
    assert_int_equal(r1->nat.n_forwards, 1);
    assert_int_equal(r1->nat.forwards[0].proto, IB_IPPROTO_TCP);
    assert_int_equal(r1->nat.forwards[0].port, 8080);
    assert_int_equal(r1->nat.forwards[0].to, IB_IP4(10, 0, 0, 2));
    assert_int_equal(r1->nat.forwards[0].to_port, 80);
    /* Sorted by time; ties in file order. */
    assert_int_equal(sc.n_timeline, 4);
    assert_int_equal(sc.timeline[0].action, IB_SC_PING);
    assert_int_equal(sc.timeline[0].count, 2);
    assert_int_equal(sc.timeline[1].action, IB_SC_RESOLVE);
    assert_string_equal(sc.timeline[1].arg, "www.example.com");
    assert_int_equal(sc.timeline[2].action, IB_SC_LINK_DOWN);
    assert_int_equal(sc.timeline[2].link, 0);
    assert_int_equal(sc.timeline[3].action, IB_SC_LINK_UP);
    ib_scenario_free(&sc);
}

#define ZONE_HEAD                                                                                  \
    "nodes:\n"                                                                                     \
    "  ns:\n"                                                                                      \
    "    kind: host\n"                                                                             \
    "    services:\n"                                                                              \
    "      dns-server:\n"                                                                          \
    "        zones:\n"                                                                             \
    "          - origin: example.com.\n"                                                          \
    "            records: |\n"                                                                     \
    "              $TTL 60\n"                                                                  \
    "              @ IN SOA ns1 admin 1 2 3 4 5\n"

static const struct {
    const char *text, *want;
} bad[] = {
    {"nodes:\n  h1: {kind: host, interfaces: {eth0: {dhcp: yes}}}\n",
     "t.yaml:2:46: expected true or false, got \"yes\""},
    {"nodes:\n  h1: {kind: host, interfaces: {eth0: {dhcp: true, address: 10.0.0.1/24}}}\n",
     "t.yaml:2:40: an interface takes address: or dhcp: true, not both"},
    {"nodes:\n  h1: {kind: host, dns: [1.2.3]}\n",
     "t.yaml:2:26: expected an address such as 168.126.63.1, got \"1.2.3\""},
    {"nodes:\n  h1: {kind: host, dns: []}\n", "t.yaml:2:25: expected 1 to 3 addresses"},
    {"nodes:\n  h1: {kind: host, nat: {outside: eth0}}\n",
     "t.yaml:2:25: nat: is for routers; h1 is a host"},
    {R1 "    nat: {outside: eth9}\n",
     "t.yaml:6:20: expected one of r1's interfaces, got \"eth9\""},
    {R1 "    nat: {inside: lan0}\n",
     "t.yaml:6:11: unknown key \"inside\" in nat; expected outside and forwards"},
    {R1 "    nat: {outside: wan0, forwards: [{proto: sctp, port: 1, to: 10.0.0.2:1}]}\n",
     "t.yaml:6:45: expected tcp or udp, got \"sctp\""},
    {R1 "    nat: {outside: wan0, forwards: [{proto: tcp, port: 1, to: 10.0.0.2}]}\n",
     "t.yaml:6:63: expected an inside address and port such as 192.168.0.10:80, got "
     "\"10.0.0.2\""},
    {R1 "    services: {dhcp-server: {interface: lan0, pool: 10.0.0.9-10.0.0.5}}\n",
     "t.yaml:6:53: expected an address range such as 192.168.0.100-192.168.0.199, got "
     "\"10.0.0.9-10.0.0.5\""},
    {R1 "    services: {dhcp-server: {interface: lan0, pool: 10.0.1.5-10.0.1.9}}\n",
     "t.yaml:6:29: the pool must lie in lan0's network"},
    {R1 "    services: {dhcp-server: {interface: lan0}}\n",
     "t.yaml:6:29: dhcp-server needs interface: and pool:"},
    {R1 "    services: {dhcp-server: {interface: lan0, pool: 10.0.0.5-10.0.0.9, lease: 0s}}\n",
     "t.yaml:6:79: expected a lease from 1s to 136 years, got \"0s\""},
    {R1 "    services: {ftp-server: {}}\n",
     "t.yaml:6:16: unknown key \"ftp-server\" in services; expected dhcp-server, dns-server, "
     "dns-resolver and http-server"},
    {R1 "    services: {dns-server: {zones: []}, dns-resolver: {root-hints: []}}\n",
     "t.yaml:6:41: a node runs dns-server or dns-resolver, not both (both want port 53)"},
    {R1 "    services: {dns-resolver: {}}\n",
     "t.yaml:6:30: dns-resolver needs root-hints: where iteration starts"},
    {R1 "    services: {dns-resolver: {root-hints: [{name: a.root-servers.net}]}}\n",
     "t.yaml:6:44: a root hint needs name: and address:"},
    {R1 "    services: {http-server: {port: 0}}\n",
     "t.yaml:6:36: expected a port from 1 to 65535, got \"0\""},
    {R1 "    services: {http-server: {files: [{path: index.html, body: x}]}}\n",
     "t.yaml:6:45: expected a path starting with / such as /index.html, got \"index.html\""},
    {R1 "    services: {http-server: {files: [{path: /, body: a}, {path: /, body: b}]}}\n",
     "t.yaml:6:65: duplicate path \"/\""},
    {ZONE_HEAD "              www IN A 10.0.0.300\n",
     "t.yaml:11:24: expected an IPv4 address such as 192.0.2.1, got \"10.0.0.300\""},
    {R1 "timeline:\n  - {at: 1s, node: h1}\n",
     "t.yaml:7:5: a timeline item needs an action: fetch, resolve, ping, link-down or link-up"},
    {R1 "timeline:\n  - {node: h1, ping: 10.0.0.1}\n",
     "t.yaml:7:5: a timeline item needs at: (a time such as 2s)"},
    {R1 "timeline:\n  - {at: 1s, node: h1, ping: 10.0.0.1, fetch: http://x/}\n",
     "t.yaml:7:24: one action per timeline item; this one already has fetch"},
    {R1 "timeline:\n  - {at: 1s, node: h9, fetch: http://x/}\n",
     "t.yaml:7:20: expected a node listed under nodes:, got \"h9\""},
    {R1 "timeline:\n  - {at: 1s, fetch: http://x/}\n", "t.yaml:7:5: fetch needs node: (who does it)"},
    {R1 "timeline:\n  - {at: 1s, link-down: \"h1:eth7\"}\n",
     "t.yaml:7:25: expected an endpoint of a link such as \"r1:eth1\", got \"h1:eth7\""},
    {R1 "timeline:\n  - {at: 1s, node: h1, resolve: x, count: 3}\n",
     "t.yaml:7:36: count: goes with ping:"},
    {"stop: 10s\n" R1 "timeline:\n  - {at: 11s, node: h1, ping: 10.0.0.1}\n",
     "t.yaml:8:5: this action comes after stop: and would never run"},
};

static void test_errors(void **state)
{
    int failures = 0;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ib_scenario sc;
        char err[IB_SC_ERR_MAX];
        int rc = ib_scenario_parse(&sc, "t.yaml", bad[i].text, strlen(bad[i].text), err, sizeof(err));
        if (rc != IB_ERR_INVAL || strcmp(err, bad[i].want) != 0) {
            print_error("case %zu: rc %d\n got: %s\nwant: %s\n", i, rc, err, bad[i].want);
            failures++;
        }
        ib_scenario_free(&sc);
    }
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_internet),
        cmocka_unit_test(test_timeline_and_forwards),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

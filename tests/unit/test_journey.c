/* The journey on the built-in internet (examples/internet.yaml), end to
 * end with every real protocol: the story's structured lines hold each of
 * the ten steps, in order, with the events that prove them; the page the
 * browser got is the page www serves; two runs with the same seed give
 * byte-identical JSON event streams; and two laptops behind one NAT fetch
 * at the same moment from the same source port without a clash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "inetbox/json.h"
#include "inetbox/nat.h"
#include "inetbox/scenario.h"
#include "inetbox/story.h"

struct fetch {
    int n, ok, err;
    uint16_t status;
    char body[4096];
    size_t len;
};

static void on_result(void *arg, const struct ib_sc_result *r)
{
    struct fetch *f = arg;
    if (r->item->action != IB_SC_FETCH)
        return;
    f->n++;
    f->ok += r->err == 0 && r->status == 200;
    f->err = r->err;
    f->status = r->status;
    f->len = r->len;
    if (r->len < sizeof(f->body))
        memcpy(f->body, r->body, r->len);
}

typedef void (*prep_fn)(struct ib_world *w);

/* Runs sc to its stop time with an observer; prep (may be NULL) can
 * change the configured world before anything starts. */
static void run_prep(struct ib_scenario *sc, ib_observer_fn fn, void *ctx, struct fetch *f,
                     prep_fn prep)
{
    char err[IB_SC_ERR_MAX];
    struct ib_world *w = ib_scenario_build(sc, err, sizeof(err));
    if (!w)
        fail_msg("%s", err);
    if (fn)
        assert_int_equal(ib_world_observe(w, fn, ctx), 0);
    if (ib_scenario_configure(sc, w, err, sizeof(err)))
        fail_msg("%s", err);
    if (prep)
        prep(w);
    struct ib_sc_run *r = ib_scenario_start(sc, w, on_result, f, err, sizeof(err));
    if (!r)
        fail_msg("%s", err);
    ib_world_run(w, sc->stop);
    ib_scenario_stop(r);
    ib_world_free(w);
}

static void run(struct ib_scenario *sc, ib_observer_fn fn, void *ctx, struct fetch *f)
{
    run_prep(sc, fn, ctx, f, NULL);
}

static void load_internet(struct ib_scenario *sc)
{
    char err[IB_SC_ERR_MAX];
    if (ib_scenario_load(sc, IB_SOURCE_DIR "/examples/internet.yaml", err, sizeof(err)))
        fail_msg("%s", err);
}

static const struct ib_story_line *find(const struct ib_story_line *l, size_t n, unsigned what,
                                        const char *node)
{
    for (size_t i = 0; i < n; i++)
        if (l[i].what == what && (!node || strcmp(l[i].node, node) == 0))
            return &l[i];
    fail_msg("no story line of kind %u at %s", what, node ? node : "any node");
    return NULL;
}

static void test_story_steps(void **state)
{
    struct ib_scenario sc;
    load_internet(&sc);
    struct ib_story *st = ib_story_new("laptop", "http://www.google.com/");
    struct fetch f = {0};
    run(&sc, ib_story_observe, st, &f);
    assert_int_equal(f.n, 1);
    assert_int_equal(f.err, 0);
    assert_int_equal(f.status, 200);
    /* The body is the file www serves, byte for byte. */
    const struct ib_sc_http_file *page = NULL;
    for (uint32_t i = 0; i < sc.n_nodes; i++)
        if (strcmp(sc.nodes[i].name, "www") == 0)
            page = &sc.nodes[i].http_server.files[0];
    assert_non_null(page);
    assert_int_equal(f.len, page->len);
    assert_memory_equal(f.body, page->body, page->len);

    assert_int_equal(ib_story_finish(st), 0);
    assert_int_equal(ib_story_unrecorded(st), 0);
    const struct ib_story_line *l;
    size_t n = ib_story_lines(st, &l);
    assert_true(n > 50);
    /* Steps 1..10 each present, in order, and no "did not happen" line. */
    unsigned step = 0;
    bool seen[IB_STEP_COUNT + 1] = {false};
    for (size_t i = 0; i < n; i++) {
        assert_true(l[i].step >= step);
        step = l[i].step;
        seen[step] = true;
        assert_false(l[i].what >= IB_SW_FIRST_MISSING && l[i].what < IB_SW__COUNT);
    }
    for (unsigned s = 1; s <= IB_STEP_COUNT; s++)
        if (!seen[s])
            fail_msg("step %u missing", s);

    /* 1: DORA ends bound to an address of the pool. */
    const struct ib_story_line *bound = find(l, n, IB_SW_DHCP_BOUND, "laptop");
    assert_int_equal(bound->a[0] >> 8, IB_IP4(192, 168, 0, 0) >> 8);
    find(l, n, IB_SW_DHCP_DISCOVER_TX, "laptop");
    find(l, n, IB_SW_DHCP_OFFER_TX, "home-router");
    find(l, n, IB_SW_DHCP_ACK_RX, "laptop");
    /* 2: the resolver asks root, com and google.com in that order. */
    ib_ip4 asked[3] = {IB_IP4(198, 41, 0, 4), IB_IP4(192, 5, 6, 30), IB_IP4(216, 239, 32, 10)};
    size_t k = 0;
    for (size_t i = 0; i < n && k < 3; i++)
        if (l[i].what == IB_SW_DNS_QUERY_TX && strcmp(l[i].node, "isp-dns") == 0)
            assert_int_equal(l[i].a[0], asked[k++]);
    assert_int_equal(k, 3);
    assert_int_equal(find(l, n, IB_SW_DNS_RESOLVED, "laptop")->a[1], IB_IP4(142, 250, 196, 100));
    /* 3: the request frame dissected, port 80. */
    assert_int_equal(find(l, n, IB_SW_BUILD_TCP, "laptop")->p[1], 80);
    /* 5: NAT rewrote the laptop to the router's public address. */
    const struct ib_story_line *out = find(l, n, IB_SW_NAT_OUT, "home-router");
    assert_int_equal(out->a[1], IB_IP4(121, 160, 55, 22));
    /* 6: seven routers forwarded the SYN. */
    size_t hops = 0;
    for (size_t i = 0; i < n; i++)
        hops += l[i].step == IB_STEP_ROUTING && (l[i].what == IB_SW_ROUTE_HOP ||
                                                 l[i].what == IB_SW_ROUTE_HOP_DEFAULT ||
                                                 l[i].what == IB_SW_ROUTE_HOP_DIRECT);
    assert_int_equal(hops, 7);
    /* 7: the last router ARPs for www. */
    find(l, n, IB_SW_ARP_REQUEST, "google-edge");
    find(l, n, IB_SW_ARP_REPLY, "www");
    /* 8 and 10: both ends' states. */
    find(l, n, IB_SW_TCP_CONNECT, "laptop");
    find(l, n, IB_SW_TCP_LISTEN_SYN, "www");
    find(l, n, IB_SW_TCP_CLIENT_ESTABLISHED, "laptop");
    find(l, n, IB_SW_TCP_SERVER_ESTABLISHED, "www");
    find(l, n, IB_SW_TCP_FIN_WAIT_1, "laptop");
    find(l, n, IB_SW_TCP_FIN_WAIT_2, "laptop");
    find(l, n, IB_SW_TCP_CLOSE_WAIT, "www");
    find(l, n, IB_SW_TCP_LAST_ACK, "www");
    const struct ib_story_line *tw = find(l, n, IB_SW_TCP_TIME_WAIT, "laptop");
    const struct ib_story_line *closed = find(l, n, IB_SW_TCP_TIME_WAIT_CLOSED, "laptop");
    assert_int_equal(closed->t - tw->t, IB_SEC(240)); /* 2*MSL, RFC 9293 §3.4.2 */
    /* 9: the server read the request and answered. */
    find(l, n, IB_SW_HTTP_REQUEST_RX, "www");
    find(l, n, IB_SW_HTTP_RESPONSE_RX, "laptop");

    /* Both languages tell every line. */
    for (int lang = 0; lang < IB_LANG_COUNT; lang++) {
        for (size_t i = 0; i < n; i++) {
            char buf[1024];
            if (ib_story_format(&l[i], (enum ib_lang)lang, buf, sizeof(buf)) == 0)
                fail_msg("line %zu (kind %u) has no text in language %d", i, l[i].what, lang);
        }
        FILE *devnull = fopen("/dev/null", "w");
        assert_int_equal(ib_story_print(st, (enum ib_lang)lang, devnull), 0);
        fclose(devnull);
    }
    ib_story_free(st);
    ib_scenario_free(&sc);
}

static char *json_run(uint64_t seed, size_t *len)
{
    struct ib_scenario sc;
    load_internet(&sc);
    sc.seed = seed;
    char *buf = NULL;
    FILE *mem = open_memstream(&buf, len);
    struct ib_json *j = ib_json_new(mem);
    ib_json_set_data(j, IB_JSON_DATA_ALL);
    struct fetch f = {0};
    run(&sc, ib_json_observe, j, &f);
    assert_int_equal(f.status, 200);
    ib_json_free(j);
    fclose(mem);
    ib_scenario_free(&sc);
    return buf;
}

static void test_deterministic(void **state)
{
    size_t la, lb, lc;
    char *a = json_run(1, &la), *b = json_run(1, &lb), *c = json_run(2, &lc);
    assert_true(la > 100000);
    assert_int_equal(la, lb);
    assert_memory_equal(a, b, la);
    /* Another seed changes ids, ports and sequence numbers. */
    assert_true(la != lc || memcmp(a, c, la) != 0);
    free(a);
    free(b);
    free(c);
}

struct nat_seen {
    uint16_t in_port[2], pub_port[2];
    ib_ip4 in_addr[2];
    int maps;
};

static void on_nat(void *ctx, const struct ib_event *ev)
{
    struct nat_seen *s = ctx;
    if (ev->kind == IB_EV_NAT && ev->u.nat.what == IB_NAT_MAP && ev->u.nat.proto == IB_IPPROTO_TCP &&
        s->maps < 2) {
        s->in_addr[s->maps] = ev->u.nat.in_addr;
        s->in_port[s->maps] = ev->u.nat.in_port;
        s->pub_port[s->maps++] = ev->u.nat.pub_port;
    }
}

/* Both laptops' TCP will pick the same ephemeral port. */
static void same_ports(struct ib_world *w)
{
    ((struct ib_stack *)ib_world_node(w, "laptop1"))->next_port = 50000;
    ((struct ib_stack *)ib_world_node(w, "laptop2"))->next_port = 50000;
}

/* Two laptops connect from the same source port to the same server at the
 * same moment: the NAT must give them different public ports (RFC 4787
 * REQ-1 keeps each inside endpoint's mapping its own). */
static void test_two_laptops(void **state)
{
    struct ib_scenario sc;
    char err[IB_SC_ERR_MAX];
    if (ib_scenario_load(&sc, IB_SOURCE_DIR "/examples/two-laptops.yaml", err, sizeof(err)))
        fail_msg("%s", err);
    struct fetch f = {0};
    struct nat_seen seen = {0};
    run_prep(&sc, on_nat, &seen, &f, same_ports);
    assert_int_equal(f.n, 2);
    assert_int_equal(f.ok, 2);
    assert_int_equal(seen.maps, 2);
    assert_int_not_equal(seen.in_addr[0], seen.in_addr[1]);
    assert_int_equal(seen.in_port[0], 50000);
    assert_int_equal(seen.in_port[1], 50000);
    assert_int_not_equal(seen.pub_port[0], seen.pub_port[1]);
    ib_scenario_free(&sc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_story_steps),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_two_laptops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

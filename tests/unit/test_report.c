/* The report's recorder and writer (include/inetbox/report.h): each frame
 * matched with its arrival across a switch, lost frames marked, limits
 * counted, a TCP connection's two ends and their states, the story's text
 * in both languages, and the page: one valid JSON object inside it that no
 * string can close early ("</script>", "<!--"), every web file in, no
 * marker left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "inetbox/apps.h"
#include "inetbox/report.h"
#include "json_valid.h"
#include "report/report_int.h"
#include "tcp_pair_harness.h"

/* h1 -- sw -- h2, 1 ms links, loss on h2's cable, recorded from the
 * start (before the addresses' gratuitous ARPs) into n->r. */
struct net {
    struct ib_world *w;
    struct ib_stack *h1, *h2;
    struct ib_link *l2;
    struct ib_report *r;
};

static void net_build(struct net *n, const char *h2_name, double loss,
                      const struct ib_report_limits *lim)
{
    n->w = ib_world_new(3);
    assert_non_null(n->w);
    n->h1 = ib_world_add_host(n->w, "h1");
    n->h2 = ib_world_add_host(n->w, h2_name);
    struct ib_bridge *sw = ib_world_add_switch(n->w, "sw");
    assert_non_null(n->h1);
    assert_non_null(n->h2);
    assert_non_null(sw);
    struct ib_netif *a = ib_world_add_netif(n->w, &n->h1->node, "eth0");
    struct ib_netif *b = ib_world_add_netif(n->w, &n->h2->node, "eth0");
    struct ib_netif *p1 = ib_world_add_netif(n->w, &sw->node, "p1");
    struct ib_netif *p2 = ib_world_add_netif(n->w, &sw->node, "p2");
    struct ib_link_params lp = ib_link_defaults;
    lp.delay = IB_MS(1);
    assert_non_null(ib_world_connect(n->w, a, p1, &lp));
    lp.loss = loss;
    n->l2 = ib_world_connect(n->w, b, p2, &lp);
    assert_non_null(n->l2);
    n->r = ib_report_new();
    assert_non_null(n->r);
    if (lim) ib_report_set_limits(n->r, lim);
    assert_int_equal(ib_report_add_world(n->r, n->w), 0);
    assert_int_equal(ib_world_observe(n->w, ib_report_observe, n->r), 0);
    assert_int_equal(ib_stack_set_addr(n->h1, a, IB_IP4(10, 0, 0, 1), 24), 0);
    assert_int_equal(ib_stack_set_addr(n->h2, b, IB_IP4(10, 0, 0, 2), 24), 0);
}

/* Runs count pings from h1 to h2; returns the report. */
static struct ib_report *ping_run(struct net *n, uint32_t count)
{
    struct ib_report *r = n->r;
    ib_world_run(n->w, IB_MS(100));
    struct ib_ping ping;
    struct ib_ping_config cfg = ib_ping_defaults;
    cfg.dst = IB_IP4(10, 0, 0, 2);
    cfg.count = count;
    cfg.interval = IB_MS(100);
    assert_int_equal(ib_ping_start(&ping, n->h1, &cfg, NULL, NULL), 0);
    ib_world_run(n->w, IB_SEC(5));
    ib_ping_stop(&ping);
    assert_int_equal(ib_report_snapshot(r), 0);
    return r;
}

/* The page or the JSON, written into a string. */
struct out {
    char *text;
    size_t len;
};

static void write_out(const struct ib_report *r, bool html, struct out *o)
{
    FILE *f = open_memstream(&o->text, &o->len);
    assert_non_null(f);
    assert_int_equal(html ? ib_report_write(r, f) : ib_report_write_json(r, f), 0);
    assert_int_equal(fclose(f), 0);
}

static void assert_json(const char *s, size_t len)
{
    size_t bad;
    if (!json_valid(s, len, &bad))
        fail_msg("invalid JSON at byte %zu: %.60s", bad, s + (bad > 20 ? bad - 20 : 0));
}

/* The report's JSON, checked valid, into o. */
static void json_of(const struct ib_report *r, struct out *o)
{
    write_out(r, false, o);
    assert_json(o->text, o->len);
}

static void net_free(struct net *n)
{
    ib_world_free(n->w);
    ib_report_free(n->r);
}

/* The data element's content: what lies between its start tag and the
 * first "</script" after it, as an HTML parser finds it. */
static char *data_of(const char *page, size_t *len)
{
    static const char start[] = "<script type=\"application/json\" id=\"ib-data\">";
    const char *s = strstr(page, start);
    assert_non_null(s);
    s += strlen(start);
    const char *e = strstr(s, "</script");
    assert_non_null(e);
    *len = (size_t)(e - s);
    return strndup(s, *len);
}

static unsigned count(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/* Frames dropped where they arrived name their drop by its rank among
 * the drops; returns how many. */
static unsigned check_drops(const struct ib_report *r)
{
    unsigned rank = 0, linked = 0;
    for (uint32_t i = 0; i < r->n_events; i++) {
        if (r->events[i].kind != IB_EV_DROP) continue;
        uint32_t f = r->events[i].frame;
        if (f != RP_NONE && !(r->frames[f].flags & RP_F_LOST)) {
            assert_int_equal(r->frames[f].drop, rank);
            assert_int_equal(r->frames[f].t_rx, r->events[i].t);
            linked++;
        }
        rank++;
    }
    return linked;
}

/* Every frame a switch forwarded arrived, at the far end of its link,
 * after it left; the JSON holds them all. */
static void test_frames(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, "h2", 0, NULL);
    struct ib_report *r = ping_run(&n, 3);
    /* Per ping: request and reply, each over two links; plus ARP. */
    assert_true(r->n_frames >= 12);
    assert_int_equal(r->unmatched_rx, 0);
    unsigned to_h2 = 0;
    for (uint32_t i = 0; i < r->n_frames; i++) {
        const struct rp_frame *f = &r->frames[i];
        assert_true(f->from != RP_NONE && f->to != RP_NONE);
        assert_int_equal(r->nifs[f->from].peer, f->to);
        if (f->t_rx < 0) continue; /* the gratuitous ARPs' floods, still on the wire */
        /* 1 ms of propagation, plus serialization at 1 Gbit/s. */
        assert_true(f->t_rx - f->t_tx >= IB_MS(1) && f->t_rx - f->t_tx < IB_MS(1) + IB_US(2));
        assert_int_equal(f->caplen, f->len);
        to_h2 += strcmp(r->nodes[r->nifs[f->to].node].name, "h2") == 0;
    }
    assert_true(to_h2 >= 4);
    /* The gratuitous ARPs reach hosts that have no use for them. */
    assert_true(check_drops(r) >= 1);
    /* ARP: h1 learned h2 and h2 learned h1, each with the cache's expiry. */
    unsigned learned = 0;
    for (uint32_t i = 0; i < r->n_events; i++)
        if (r->events[i].kind == IB_EV_ARP_LEARN) {
            assert_int_equal(r->events[i].expires - r->events[i].t, ib_arp_defaults.timeout);
            learned++;
        }
    assert_int_equal(learned, 2);
    struct out o;
    json_of(r, &o);
    char *json = o.text;
    char key[32];
    snprintf(key, sizeof(key), "\"frames\":{\"n\":%u,", r->n_frames);
    assert_non_null(strstr(json, key));
    assert_non_null(strstr(json, "\"kind\":\"switch\""));
    assert_non_null(strstr(json, "\"routes\":[[0,\"10.0.0.0\",24,\"0.0.0.0\",0,\"connected\""));
    free(json);
    net_free(&n);
}

/* A frame the link loses never arrives and is marked lost; the drop event
 * names it. */
static void test_lost(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, "h2", 1.0, NULL);
    struct ib_report *r = ping_run(&n, 2);
    unsigned lost = 0;
    for (uint32_t i = 0; i < r->n_frames; i++) {
        const struct rp_frame *f = &r->frames[i];
        if (f->flags & RP_F_LOST) {
            assert_int_equal(f->t_rx, -1);
            assert_int_equal(r->nifs[f->from].link, 1); /* h2's cable */
            lost++;
        }
    }
    assert_true(lost >= 1);
    unsigned drops = 0;
    for (uint32_t i = 0; i < r->n_events; i++)
        if (r->events[i].kind == IB_EV_DROP && r->events[i].ev.reason == IB_DROP_LINK_LOSS) {
            assert_true(r->frames[r->events[i].frame].flags & RP_F_LOST);
            drops++;
        }
    assert_int_equal(drops, lost);

    assert_int_equal(r->unmatched_rx, 0);
    net_free(&n);
}

/* Past max_frames frames are counted, not kept; past full_bytes they are
 * cut to snaplen. */
static void test_limits(void **state)
{
    (void)state;
    struct net n;
    struct ib_report_limits lim = {.max_frames = 10, .full_bytes = 200, .snaplen = 20};
    net_build(&n, "h2", 0, &lim);
    struct ib_report *r = ping_run(&n, 5);
    assert_int_equal(ib_report_frames(r), 10);
    assert_true(ib_report_unrecorded(r) > 0);
    size_t kept = 0;
    for (uint32_t i = 0; i < r->n_frames; i++) {
        const struct rp_frame *f = &r->frames[i];
        assert_true(f->caplen == f->len || f->caplen == 20);
        if (kept + f->len <= 200) assert_int_equal(f->caplen, f->len);
        kept += f->caplen;
    }
    assert_true(r->frames[9].caplen == 20);
    struct out o;
    json_of(r, &o);
    char *json = o.text;
    /* A cut frame's hex is 20 bytes long and its length the wire's. */
    assert_non_null(strstr(json, "\"unrecorded_frames\":"));
    const char *hex = strstr(json, "\"hex\":[");
    assert_non_null(hex);
    unsigned digits = 0;
    const char *last = strchr(hex, ']') - 1; /* the closing quote of the last frame's hex */
    assert_int_equal(*last, '"');
    for (const char *p = last - 1; *p != '"'; p--)
        digits++;
    assert_int_equal(digits, 40);
    free(json);
    net_free(&n);
}

/* Strings from the run may hold anything: the page still has one data
 * element, valid JSON, and the text comes back as it was. */
static void test_escaping(void **state)
{
    (void)state;
    static const char hostile[] = "</script><!--x";
    struct net n;
    net_build(&n, hostile, 0, NULL);
    struct ib_report *r = ping_run(&n, 1);
    assert_int_equal(ib_report_set_title(r, "a </script> <!-- & \"title\""), 0);
    struct out o;
    write_out(r, true, &o);
    char *page = o.text;
    size_t len = o.len;
    assert_int_equal(strlen(page), len);
    size_t dlen;
    char *data = data_of(page, &dlen);
    assert_json(data, dlen);
    assert_null(strstr(data, "<"));
    assert_non_null(strstr(data, "\"name\":\"\\u003c/script>\\u003c!--x\""));
    assert_non_null(strstr(data, "\"title\":\"a \\u003c/script> \\u003c!-- & \\\"title\\\"\""));
    assert_non_null(strstr(page, "<title>a &lt;/script&gt; &lt;!-- &amp; \"title\"</title>"));
    /* The data element and the script element, each ended once. */
    assert_int_equal(count(page, "</script>"), 2);
    free(data);
    free(page);
    net_free(&n);
}

/* The page is the template with every web file in it, and nothing else. */
static void test_page(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, "h2", 0, NULL);
    struct ib_report *r = ping_run(&n, 2);
    struct out o;
    write_out(r, true, &o);
    char *page = o.text;
    size_t len = o.len;
    assert_true(strncmp(page, "<!DOCTYPE html>", 15) == 0);
    assert_null(strstr(page, "@@"));
    static const char *const parts[] = {
        "--l2s:",           /* report.css */
        "const IB = {};",   /* i18n.js */
        "IB.dissect = ",    /* dissect.js */
        "IB.M = M;",        /* model.js */
        "class VList",      /* vlist.js */
        "IB.packets = P;",  /* packets.js */
        "IB.sequence = S;", /* sequence.js */
        "IB.topology = T;", /* topology.js */
        "IB.story = ST;",   /* story.js */
        "IB.tcpview = TV;", /* tcpview.js */
        "IB.tables = TB;",  /* tables.js */
        "function start()", /* main.js */
    };
    for (size_t i = 0; i < IB_ARRAY_LEN(parts); i++)
        if (!strstr(page, parts[i])) fail_msg("the page lacks %s", parts[i]);
    /* No network: nothing is loaded from anywhere (the one URL is SVG's
     * namespace, a name). */
    assert_int_equal(count(page, "http://"), count(page, "http://www.w3.org/2000/svg"));
    assert_null(strstr(page, "https://"));
    assert_null(strstr(page, " src="));
    assert_null(strstr(page, "<link"));
    assert_null(strstr(page, "url("));
    /* A few pings on a small page: the web files are about 70 KB. */
    assert_true(len > 40000 && len < 150000);
    free(page);
    net_free(&n);
}

/* Both ends of a TCP connection, their states in order; the listener is
 * no connection. */
static void test_tcp(void **state)
{
    (void)state;
    static uint8_t data[20000];
    struct tp *t = malloc(sizeof(*t));
    assert_non_null(t);
    tp_init(t, NULL);
    struct ib_report *r = ib_report_new();
    assert_non_null(r);
    assert_int_equal(ib_report_add_world(r, t->w), 0);
    assert_int_equal(ib_world_observe(t->w, ib_report_observe, r), 0);
    tp_establish(t);
    t->side[0].tx = data;
    t->side[0].tx_len = sizeof(data);
    t->side[0].close_after_tx = true;
    t->side[1].close_on_eof = true;
    tp_push(&t->side[0]);
    tp_run(t, IB_SEC(1));
    assert_int_equal(t->side[1].rx_len, sizeof(data));
    assert_int_equal(ib_report_snapshot(r), 0);
    assert_int_equal(r->n_conns, 2);
    static const uint8_t client[] = {IB_TCP_SYN_SENT, IB_TCP_ESTABLISHED, IB_TCP_FIN_WAIT_1,
                                     IB_TCP_FIN_WAIT_2, IB_TCP_TIME_WAIT};
    static const uint8_t server[] = {IB_TCP_SYN_RECEIVED, IB_TCP_ESTABLISHED, IB_TCP_CLOSE_WAIT,
                                     IB_TCP_LAST_ACK, IB_TCP_CLOSED};
    for (unsigned c = 0; c < 2; c++) {
        const struct rp_conn *cn = &r->conns[c];
        const uint8_t *want = strcmp(r->nodes[cn->node].name, "a") == 0 ? client : server;
        unsigned k = 0, info = 0;
        for (uint32_t i = cn->first; i != RP_NONE; i = r->samples[i].next) {
            const struct rp_sample *s = &r->samples[i];
            if (s->kind == IB_EV_TCP_INFO) {
                assert_true(s->ev.u.tcp.cwnd > 0);
                info++;
            }
            if (s->kind != IB_EV_TCP_STATE) continue;
            assert_true(k < 5);
            assert_int_equal(s->ev.u.tcp.new_state, want[k]);
            k++;
        }
        assert_int_equal(k, 5);
        if (want == client) assert_true(info > 0); /* the sender's cwnd grew */
    }
    struct out o;
    json_of(r, &o);
    char *json = o.text;
    assert_non_null(strstr(json, "\"tcp\":[{\"node\":0,\"laddr\":\"10.0.0.1\",\"lport\":"));
    assert_non_null(strstr(json, "\"tcp_states\":[\"CLOSED\",\"LISTEN\",\"SYN_SENT\""));
    free(json);
    tp_finish(t);
    free(t);
    ib_report_free(r);
}

/* The story's title, ten step headings and lines, in both languages,
 * even when the fetch never happened. */
static void test_story(void **state)
{
    (void)state;
    struct net n;
    net_build(&n, "h2", 0, NULL);
    struct ib_story *st = ib_story_new("h1", "http://example.com/");
    assert_non_null(st);
    assert_int_equal(ib_world_observe(n.w, ib_story_observe, st), 0);
    struct ib_report *r = ping_run(&n, 1);
    assert_int_equal(ib_story_finish(st), IB_ERR_NOTFOUND);
    assert_int_equal(ib_report_set_story(r, st), 0);
    const struct ib_story_line *lines;
    assert_int_equal(r->n_lines, ib_story_lines(st, &lines));
    assert_true(r->n_lines > 0);
    char en[256], ko[256];
    ib_story_heading(st, 3, IB_LANG_EN, en, sizeof(en));
    ib_story_heading(st, 3, IB_LANG_KO, ko, sizeof(ko));
    assert_string_equal(rp_str_at(r, r->story_steps[3][IB_LANG_EN]), en);
    assert_string_equal(rp_str_at(r, r->story_steps[3][IB_LANG_KO]), ko);
    assert_non_null(strstr(en, "Step 3"));
    assert_non_null(strstr(ko, "3단계"));
    ib_story_format(&lines[0], IB_LANG_KO, ko, sizeof(ko));
    assert_string_equal(rp_str_at(r, r->lines[0].text[IB_LANG_KO]), ko);
    struct out o;
    json_of(r, &o);
    char *json = o.text;
    assert_non_null(
        strstr(json, "\"story\":{\"title\":{\"en\":\"The journey of http://example.com/"));
    assert_int_equal(count(strstr(json, "\"steps\":["), "{\"n\":"), IB_STEP_COUNT);
    free(json);
    net_free(&n);
    ib_story_free(st);
}

/* Live mode: an interface on no simulated link. What it sends goes
 * outside at once; what it receives comes from outside. */
static void test_outside(void **state)
{
    (void)state;
    struct ib_world *w = ib_world_new(1);
    assert_non_null(w);
    struct ib_stack *h = ib_world_add_host(w, "me");
    assert_non_null(h);
    struct ib_netif *nif = ib_world_add_netif(w, &h->node, "tap0");
    assert_non_null(nif);
    struct ib_report *r = ib_report_new();
    assert_non_null(r);
    assert_int_equal(ib_report_add_node(r, &h->node), 0);
    assert_int_equal(ib_world_observe(w, ib_report_observe, r), 0);
    static const uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2,
                                      0,    0,    0,    0,    1,    0x08, 0x06};
    struct ib_event ev;
    ib_event_init(&ev, &w->env, IB_EV_WIRE_TX, 1, &h->node, nif, NULL);
    ev.data = frame;
    ev.len = sizeof(frame);
    ib_emit(&w->env, &ev);
    ev.kind = IB_EV_WIRE_RX;
    ib_emit(&w->env, &ev);
    assert_int_equal(ib_report_snapshot(r), 0);
    assert_int_equal(r->n_frames, 2);
    assert_int_equal(r->frames[0].from, 0);
    assert_int_equal(r->frames[0].to, RP_NONE);
    assert_int_equal(r->frames[0].t_rx, r->frames[0].t_tx);
    assert_int_equal(r->frames[1].from, RP_NONE);
    assert_int_equal(r->frames[1].to, 0);
    struct out o;
    json_of(r, &o);
    assert_non_null(strstr(o.text, "\"from\":[0,-1],\"to\":[-1,0]"));
    free(o.text);
    ib_world_free(w);
    ib_report_free(r);
}

/* No story, no events: still a page. */
static void test_empty(void **state)
{
    (void)state;
    struct ib_report *r = ib_report_new();
    assert_non_null(r);
    assert_int_equal(ib_report_snapshot(r), 0);
    struct out o;
    json_of(r, &o);
    char *json = o.text;
    assert_non_null(strstr(json, "\"story\":null"));
    assert_non_null(strstr(json, "\"frames\":{\"n\":0,\"t\":[]"));
    free(json);
    ib_report_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames), cmocka_unit_test(test_lost),
        cmocka_unit_test(test_limits), cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_page),   cmocka_unit_test(test_tcp),
        cmocka_unit_test(test_story),  cmocka_unit_test(test_outside),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The JSON lines observer: exact lines for events of each kind, string
 * escaping per RFC 8259 §7 with invalid UTF-8 (RFC 3629 §4) replaced,
 * and a real run whose every line is checked by a strict RFC 8259
 * validator (json_valid.h, independent of the writer) and is the same on
 * a second run with the same seed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "inetbox/dhcp.h"
#include "inetbox/json.h"
#include "inetbox/netif.h"
#include "inetbox/node.h"
#include "json_valid.h"
#include "tcp_pair_harness.h"

/* Every line of text is one JSON object; returns the number of lines. */
static unsigned check_lines(const char *text, size_t len)
{
    unsigned lines = 0;
    const char *s = text, *end = text + len;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        assert_non_null(nl);
        struct jv j = {(const unsigned char *)s, (const unsigned char *)nl};
        if (*s != '{' || !jv_value(&j, 0) || j.p != j.end)
            fail_msg("invalid JSON at byte %zu of: %.*s", (size_t)((const char *)j.p - s),
                     (int)(nl - s), s);
        lines++;
        s = nl + 1;
    }
    return lines;
}

static void test_validator(void **state)
{
    (void)state;
    static const char *const good[] = {
        "{}",
        "{\"a\":[1,-0,2.5e+3,true,false,null,{}]}",
        "{\"\\u00e9\\n\":\"\xc3\xa9\"}",
        "{\"k\":\"\xf4\x8f\xbf\xbf\"}",
    };
    static const char *const bad[] = {
        "{",
        "{\"a\":01}",
        "{\"a\":1,}",
        "{\"a\":\"\x01\"}",
        "{\"a\":\"\xc0\x80\"}",
        "{\"a\":\"\xed\xa0\x80\"}",
        "{\"a\":\"\\x41\"}",
        "{\"a\" 1}",
        "{\"a\":tru}",
        "{a:1}",
        "{\"a\":\"\xf4\x90\x80\x80\"}",
        "{\"a\":1}}",
    };
    for (size_t i = 0; i < IB_ARRAY_LEN(good); i++) {
        struct jv j = {(const unsigned char *)good[i],
                       (const unsigned char *)good[i] + strlen(good[i])};
        assert_true(jv_value(&j, 0) && j.p == j.end);
    }
    for (size_t i = 0; i < IB_ARRAY_LEN(bad); i++) {
        struct jv j = {(const unsigned char *)bad[i],
                       (const unsigned char *)bad[i] + strlen(bad[i])};
        assert_false(jv_value(&j, 0) && j.p == j.end);
    }
}

/* Text written to a memory stream. */
struct sink {
    FILE *f;
    char *text;
    size_t len;
};

static void sink_open(struct sink *s)
{
    s->text = NULL;
    s->len = 0;
    s->f = open_memstream(&s->text, &s->len);
    assert_non_null(s->f);
}

static void sink_close(struct sink *s)
{
    assert_int_equal(fclose(s->f), 0);
}

static void string_is(const char *in, size_t n, const char *want)
{
    struct sink s;
    sink_open(&s);
    ib_json_put_string(s.f, in, n);
    sink_close(&s);
    assert_string_equal(s.text, want);
    struct jv j = {(const unsigned char *)s.text, (const unsigned char *)s.text + s.len};
    assert_true(jv_string(&j) && j.p == j.end);
    free(s.text);
}

/* RFC 8259 §7: '"', '\' and U+0000..U+001F escaped; RFC 3629 §4: only
 * shortest forms, no surrogates, nothing past U+10FFFF, else U+FFFD per
 * byte. */
static void test_strings(void **state)
{
    (void)state;
    string_is("a\"b\\c/", 6, "\"a\\\"b\\\\c/\"");
    string_is("\n\r\t\x01\x1f\x7f", 6, "\"\\n\\r\\t\\u0001\\u001f\\u007f\"");
    string_is("\0x", 2, "\"\\u0000x\"");
    string_is("노트북", strlen("노트북"), "\"노트북\"");
    string_is("\xf0\x9f\x8c\x8d \xf4\x8f\xbf\xbf", 9, "\"\xf0\x9f\x8c\x8d \xf4\x8f\xbf\xbf\"");
    string_is("\xc0\x80", 2, "\"\\ufffd\\ufffd\"");                       /* overlong NUL */
    string_is("\xe0\x80\xaf", 3, "\"\\ufffd\\ufffd\\ufffd\"");            /* overlong '/' */
    string_is("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");            /* surrogate D800 */
    string_is("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
    string_is("\xf5\x80", 2, "\"\\ufffd\\ufffd\"");
    string_is("\x80x", 2, "\"\\ufffdx\"");
    string_is("a\xe2\x82", 3, "\"a\\ufffd\\ufffd\""); /* cut short */
    string_is("\xe2\x82\xac", 3, "\"\xe2\x82\xac\""); /* the euro sign */
}

static void event_at(struct ib_event *ev, enum ib_ev_kind kind, int layer, const struct ib_node *n)
{
    memset(ev, 0, sizeof(*ev));
    ev->kind = kind;
    ev->layer = (uint8_t)layer;
    ev->t = IB_SEC(2) + 5;
    ev->node = n;
}

static void lines_are(const struct ib_event *evs, size_t n, enum ib_json_data data,
                      const char *want)
{
    struct sink s;
    sink_open(&s);
    struct ib_json *j = ib_json_new(s.f);
    assert_non_null(j);
    ib_json_set_data(j, data);
    for (size_t i = 0; i < n; i++)
        ib_json_observe(j, &evs[i]);
    ib_json_free(j);
    sink_close(&s);
    assert_string_equal(s.text, want);
    assert_int_equal(check_lines(s.text, s.len), n);
    free(s.text);
}

static void test_kinds(void **state)
{
    (void)state;
    struct ib_node node;
    memset(&node, 0, sizeof(node));
    strcpy(node.name, "laptop");
    struct ib_netif e0;
    memset(&e0, 0, sizeof(e0));
    strcpy(e0.name, "eth0");
    e0.node = &node;
    static const uint8_t bytes[4] = {0xde, 0xad, 0x00, 0x1f};
    struct ib_event ev[8];

    event_at(&ev[0], IB_EV_WIRE_TX, 1, NULL);
    ev[0].nif = &e0;
    ev[0].data = bytes;
    ev[0].len = 4;
    ev[0].journey = 9;
    ev[0].u.link.duplicate = true;
    event_at(&ev[1], IB_EV_DROP, 3, &node);
    ev[1].reason = IB_DROP_IP_TTL_EXPIRED;
    ev[1].data = bytes;
    ev[1].len = 4;
    event_at(&ev[2], IB_EV_TCP_STATE, 4, &node);
    ev[2].u.tcp.laddr = IB_IP4(192, 168, 0, 100);
    ev[2].u.tcp.lport = 49152;
    ev[2].u.tcp.raddr = IB_IP4(142, 250, 196, 100);
    ev[2].u.tcp.rport = 80;
    ev[2].u.tcp.old_state = IB_TCP_SYN_SENT;
    ev[2].u.tcp.new_state = IB_TCP_ESTABLISHED;
    ev[2].u.tcp.cause = IB_TCP_CAUSE_SEGMENT;
    ev[2].u.tcp.flags = IB_TCP_SYN | IB_TCP_ACK;
    ev[2].u.tcp.seq = 100;
    ev[2].u.tcp.ack = 4294967295u;
    ev[2].u.tcp.bytes_acked = 1ull << 40;
    event_at(&ev[3], IB_EV_DNS, 7, &node);
    ev[3].u.dns.what = IB_DNS_RESPONSE_RX;
    ev[3].u.dns.kind = IB_DNS_KIND_REFERRAL;
    ev[3].u.dns.rcode = 11;
    ev[3].u.dns.id = 4660;
    ev[3].u.dns.qtype = 1;
    ev[3].u.dns.qname = "www.google.com";
    ev[3].u.dns.zone = "com";
    ev[3].u.dns.server = IB_IP4(198, 41, 0, 4);
    ev[3].u.dns.addr = IB_IP4(192, 5, 6, 30);
    ev[3].u.dns.ttl = 172800;
    event_at(&ev[4], IB_EV_DHCP, 7, &node);
    ev[4].nif = &e0;
    ev[4].u.dhcp.what = IB_DHCP_BOUND;
    ev[4].u.dhcp.msg = IB_DHCPACK;
    ev[4].u.dhcp.plen = 24;
    ev[4].u.dhcp.xid = 0xdeadbeef;
    ev[4].u.dhcp.yiaddr = IB_IP4(192, 168, 0, 100);
    ev[4].u.dhcp.lease_s = 86400;
    ev[4].u.dhcp.chaddr.b[0] = 2;
    event_at(&ev[5], IB_EV_NAT, 3, &node);
    ev[5].u.nat.what = IB_NAT_EXPIRE;
    ev[5].u.nat.proto = IB_IPPROTO_UDP;
    ev[5].u.nat.in_port = 1;
    event_at(&ev[6], IB_EV_HTTP, 7, &node);
    ev[6].u.http.what = IB_HTTP_FETCH_DONE;
    ev[6].u.http.err = IB_ERR_TIMEOUT;
    ev[6].u.http.url = "http://www.google.com/\"\x01";
    event_at(&ev[7], IB_EV_IP_FORWARD, 3, &node);
    ev[7].u.route.dst = IB_IP4(142, 250, 196, 100);
    ev[7].u.route.plen = 0;
    ev[7].u.route.gateway = IB_IP4(10, 0, 0, 1);
    ev[7].u.route.out = &e0;

    lines_are(
        ev, 8, IB_JSON_DATA_WIRE,
        "{\"t\":2000000005,\"t_s\":\"2.000000005\",\"kind\":\"wire_tx\",\"layer\":1,\"node\":"
        "\"laptop\",\"iface\":\"eth0\",\"journey\":9,\"len\":4,\"data\":\"dead001f\",\"link\":{"
        "\"up\":false,\"corrupted\":false,\"duplicate\":true}}\n"
        "{\"t\":2000000005,\"t_s\":\"2.000000005\",\"kind\":\"drop\",\"layer\":3,\"node\":"
        "\"laptop\",\"iface\":null,\"journey\":0,\"reason\":{\"name\":\"IP_TTL_EXPIRED\","
        "\"text\":\"TTL expired\"},\"len\":4}\n"
        "{\"t\":2000000005,\"t_s\":\"2.000000005\",\"kind\":\"tcp_state\",\"layer\":4,\"node\":"
        "\"laptop\",\"iface\":null,\"journey\":0,\"len\":0,\"tcp\":{\"laddr\":"
        "\"192.168.0.100\",\"lport\":49152,\"raddr\":\"142.250.196.100\",\"rport\":80,"
        "\"old_state\":\"SYN_SENT\",\"new_state\":\"ESTABLISHED\",\"cause\":\"segment\","
        "\"flags\":[\"SYN\",\"ACK\"],\"seq\":100,\"ack\":4294967295,\"cwnd\":0,\"ssthresh\":0,"
        "\"inflight\":0,\"snd_wnd\":0,\"srtt_us\":0,\"rttvar_us\":0,\"rto_us\":0,"
        "\"bytes_acked\":1099511627776,\"bytes_received\":0,\"retransmits\":0}}\n"
        "{\"t\":2000000005,\"t_s\":\"2.000000005\",\"kind\":\"dns\",\"layer\":7,\"node\":"
        "\"laptop\",\"iface\":null,\"journey\":0,\"len\":0,\"dns\":{\"what\":\"response_rx\","
        "\"kind\":\"referral\",\"rcode\":\"RCODE11\",\"id\":4660,\"tcp\":false,\"aa\":false,"
        "\"rd\":false,\"qname\":\"www.google.com\",\"qtype\":\"A\",\"zone\":\"com\",\"ns\":null,"
        "\"server\":\"198.41.0.4\",\"addr\":\"192.5.6.30\",\"ttl\":172800}}\n"
        "{\"t\":2000000005,\"t_s\":\"2.000000005\",\"kind\":\"dhcp\",\"layer\":7,\"node\":"
        "\"laptop\",\"iface\":\"eth0\",\"journey\":0,\"len\":0,\"dhcp\":{\"what\":\"bound\","
        "\"msg\":\"DHCPACK\",\"xid\":3735928559,\"ciaddr\":\"0.0.0.0\",\"yiaddr\":"
        "\"192.168.0.100\",\"plen\":24,\"server\":\"0.0.0.0\",\"router\":\"0.0.0.0\",\"dns\":"
        "\"0.0.0.0\",\"lease_s\":86400,\"chaddr\":\"02:00:00:00:00:00\"}}\n"
        "{\"t\":2000000005,\"t_s\":\"2.000000005\",\"kind\":\"nat\",\"layer\":3,\"node\":"
        "\"laptop\",\"iface\":null,\"journey\":0,\"len\":0,\"nat\":{\"what\":\"expire\","
        "\"proto\":\"udp\",\"in_addr\":\"0.0.0.0\",\"in_port\":1,\"pub_addr\":\"0.0.0.0\","
        "\"pub_port\":0,\"peer_addr\":\"0.0.0.0\",\"peer_port\":0}}\n"
        "{\"t\":2000000005,\"t_s\":\"2.000000005\",\"kind\":\"http\",\"layer\":7,\"node\":"
        "\"laptop\",\"iface\":null,\"journey\":0,\"len\":0,\"http\":{\"what\":\"fetch_done\","
        "\"method\":null,\"host\":null,\"path\":null,\"url\":"
        "\"http://www.google.com/\\\"\\u0001\",\"peer\":\"0.0.0.0\",\"port\":0,\"status\":0,"
        "\"len\":0,\"err\":-13,\"err_text\":\"connection timed out\"}}\n"
        "{\"t\":2000000005,\"t_s\":\"2.000000005\",\"kind\":\"ip_forward\",\"layer\":3,\"node\":"
        "\"laptop\",\"iface\":null,\"journey\":0,\"len\":0,\"route\":{\"dst\":"
        "\"142.250.196.100\",\"prefix\":\"0.0.0.0\",\"plen\":0,\"gateway\":\"10.0.0.1\",\"out\":"
        "\"eth0\"}}\n");

    /* the data option: all bytes, or none */
    lines_are(&ev[1], 1, IB_JSON_DATA_ALL,
              "{\"t\":2000000005,\"t_s\":\"2.000000005\",\"kind\":\"drop\",\"layer\":3,\"node\":"
              "\"laptop\",\"iface\":null,\"journey\":0,\"reason\":{\"name\":\"IP_TTL_EXPIRED\","
              "\"text\":\"TTL expired\"},\"len\":4,\"data\":\"dead001f\"}\n");
    lines_are(&ev[0], 1, IB_JSON_DATA_NONE,
              "{\"t\":2000000005,\"t_s\":\"2.000000005\",\"kind\":\"wire_tx\",\"layer\":1,"
              "\"node\":\"laptop\",\"iface\":\"eth0\",\"journey\":9,\"len\":4,\"link\":{\"up\":"
              "false,\"corrupted\":false,\"duplicate\":true}}\n");
}

/* Names from a scenario may hold anything: still valid JSON. */
static void test_hostile_names(void **state)
{
    (void)state;
    struct ib_node node;
    memset(&node, 0, sizeof(node));
    memcpy(node.name, "\xff\"\\\n\xe2\x82", 7);
    struct ib_event evs[IB_EV__COUNT + 1];
    for (unsigned k = 0; k <= IB_EV__COUNT; k++) {
        event_at(&evs[k], (enum ib_ev_kind)k, 7, &node);
        evs[k].reason = IB_DROP__COUNT;
    }
    /* values outside their enums */
    evs[IB_EV_DNS].u.dns.what = 200;
    evs[IB_EV_DNS].u.dns.kind = 200;
    evs[IB_EV_NAT].u.nat.what = 200;
    evs[IB_EV_NAT].u.nat.proto = 200;
    evs[IB_EV_DHCP].u.dhcp.what = 200;
    evs[IB_EV_DHCP].u.dhcp.msg = 200;
    evs[IB_EV_HTTP].u.http.what = 200;
    for (unsigned k = IB_EV_TCP_STATE; k <= IB_EV_TCP_RETRANSMIT; k++) {
        evs[k].u.tcp.old_state = 200;
        evs[k].u.tcp.cause = 200;
    }
    struct sink s;
    sink_open(&s);
    struct ib_json *j = ib_json_new(s.f);
    assert_non_null(j);
    for (unsigned k = 0; k <= IB_EV__COUNT; k++)
        ib_json_observe(j, &evs[k]);
    ib_json_free(j);
    sink_close(&s);
    assert_int_equal(check_lines(s.text, s.len), IB_EV__COUNT + 1);
    assert_non_null(strstr(s.text, "\"node\":\"\\ufffd\\\"\\\\\\n\\ufffd\\ufffd\""));
    assert_non_null(strstr(s.text, "\"kind\":\"unknown\""));
    assert_non_null(strstr(s.text, "\"dns\":{\"what\":\"unknown\",\"kind\":\"unknown\""));
    assert_non_null(strstr(s.text, "\"nat\":{\"what\":\"unknown\",\"proto\":\"unknown\""));
    assert_non_null(strstr(s.text, "\"old_state\":\"?\""));
    assert_non_null(strstr(s.text, "\"reason\":{\"name\":\"UNKNOWN\""));
    free(s.text);
}

static void count_events(void *ctx, const struct ib_event *ev)
{
    (void)ev;
    (*(unsigned *)ctx)++;
}

/* A TCP connection carrying data and closed: every event one valid line. */
static void run_once(struct sink *s, unsigned *events)
{
    static uint8_t data[3000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)i;
    struct tp *t = malloc(sizeof(*t));
    assert_non_null(t);
    tp_init(t, NULL);
    sink_open(s);
    struct ib_json *j = ib_json_new(s->f);
    assert_non_null(j);
    *events = 0;
    assert_int_equal(ib_world_observe(t->w, ib_json_observe, j), 0);
    assert_int_equal(ib_world_observe(t->w, count_events, events), 0);
    tp_establish(t);
    t->side[0].tx = data;
    t->side[0].tx_len = sizeof(data);
    t->side[0].close_after_tx = true;
    t->side[1].close_on_eof = true;
    tp_push(&t->side[0]);
    tp_run(t, IB_SEC(1));
    assert_int_equal(t->side[1].rx_len, sizeof(data));
    tp_finish(t);
    free(t);
    ib_json_free(j);
    sink_close(s);
}

static void test_real_run(void **state)
{
    (void)state;
    struct sink a, b;
    unsigned na, nb;
    run_once(&a, &na);
    run_once(&b, &nb);
    assert_true(na > 20);
    assert_int_equal(check_lines(a.text, a.len), na);
    assert_int_equal(na, nb);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.text, b.text, a.len);
    static const char *const kinds[] = {"wire_tx", "arp_request", "tcp_state", "ip_tx", "eth_rx"};
    for (size_t i = 0; i < IB_ARRAY_LEN(kinds); i++) {
        char k[40];
        snprintf(k, sizeof(k), "\"kind\":\"%s\"", kinds[i]);
        assert_non_null(strstr(a.text, k));
    }
    assert_non_null(strstr(a.text, "\"new_state\":\"TIME_WAIT\""));
    free(a.text);
    free(b.text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validator), cmocka_unit_test(test_strings),
        cmocka_unit_test(test_kinds),     cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_real_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

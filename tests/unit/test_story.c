/* The journey narrator. A scripted journey through the built-in internet's
 * shape (real DHCP, DNS, NAT, HTTP, ARP, IP and TCP events with real packet
 * bytes built by the codecs) must give all ten steps, in order, with the
 * right nodes, addresses, hops and states, while unrelated traffic stays
 * out; a fetch that never reached TCP reports every missing step; the
 * recorder keeps to its limits; both languages have text for every kind of
 * line and fit 80 columns; and a real small world (host - router - host,
 * TCP through real stacks) is followed by its own events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "inetbox/arp.h"
#include "inetbox/dhcp.h"
#include "inetbox/dns.h"
#include "inetbox/eth.h"
#include "inetbox/ipv4.h"
#include "inetbox/story.h"
#include "inetbox/tcp.h"
#include "inetbox/tcp_wire.h"
#include "inetbox/world.h"

/* ---- a scripted journey ---- */

#define LAPTOP IB_IP4(192, 168, 0, 100)
#define GW IB_IP4(192, 168, 0, 1)
#define PUB IB_IP4(121, 160, 55, 22)
#define ISP_DNS IB_IP4(168, 126, 63, 1)
#define ROOT IB_IP4(198, 41, 0, 4)
#define GTLD IB_IP4(192, 5, 6, 30)
#define NS1 IB_IP4(216, 239, 32, 10)
#define WWW IB_IP4(142, 250, 196, 100)
#define EDGE IB_IP4(142, 250, 196, 1)
#define CPORT 49152
#define PPORT 1024
#define URL "http://www.google.com/"
#define REQUEST "GET / HTTP/1.1\r\nHost: www.google.com\r\nConnection: close\r\n\r\n"

struct script {
    struct ib_story *st;
    struct ib_node nodes[16];
    unsigned n;
    struct ib_netif nifs[16];
    unsigned nn;
    ib_time t;
};

static const struct ib_mac laptop_mac = {{0x02, 0, 0, 0, 0, 0x10}};
static const struct ib_mac gw_mac = {{0x02, 0, 0, 0, 0, 0x20}};
static const struct ib_mac edge_mac = {{0x02, 0, 0, 0, 0, 0x30}};
static const struct ib_mac www_mac = {{0x02, 0, 0, 0, 0, 0x40}};

/* The element called name in an array of n structs that begin with their
 * name (nodes and interfaces do), added if missing. */
static void *named(void *array, unsigned *n, unsigned cap, size_t size, size_t name_size,
                   const char *name)
{
    char *e = array;
    for (unsigned i = 0; i < *n; i++, e += size)
        if (strcmp(e, name) == 0) return e;
    assert_true(*n < cap);
    (*n)++;
    memset(e, 0, size);
    snprintf(e, name_size, "%s", name);
    return e;
}

static const struct ib_node *node(struct script *s, const char *name)
{
    _Static_assert(offsetof(struct ib_node, name) == 0, "a node begins with its name");
    return named(s->nodes, &s->n, IB_ARRAY_LEN(s->nodes), sizeof(s->nodes[0]),
                 sizeof(s->nodes[0].name), name);
}

static const struct ib_netif *nif(struct script *s, const char *name)
{
    _Static_assert(offsetof(struct ib_netif, name) == 0, "an interface begins with its name");
    return named(s->nifs, &s->nn, IB_ARRAY_LEN(s->nifs), sizeof(s->nifs[0]),
                 sizeof(s->nifs[0].name), name);
}

static struct ib_event ev(struct script *s, enum ib_ev_kind kind, int layer, const char *n,
                          const char *ifname)
{
    struct ib_event e;
    memset(&e, 0, sizeof(e));
    s->t += IB_US(100);
    e.t = s->t;
    e.kind = kind;
    e.layer = (uint8_t)layer;
    e.node = node(s, n);
    e.nif = ifname ? nif(s, ifname) : NULL;
    return e;
}

static void feed(struct script *s, const struct ib_event *e)
{
    ib_story_observe(s->st, e);
}

static void dhcp(struct script *s, const char *n, uint8_t what, uint8_t msg, uint32_t xid,
                 ib_ip4 yiaddr)
{
    struct ib_event e = ev(s, IB_EV_DHCP, 7, n, "eth0");
    e.u.dhcp.what = what;
    e.u.dhcp.msg = msg;
    e.u.dhcp.xid = xid;
    e.u.dhcp.yiaddr = yiaddr;
    e.u.dhcp.chaddr = laptop_mac;
    if (msg == IB_DHCPOFFER || msg == IB_DHCPACK || what == IB_DHCP_BOUND) {
        e.u.dhcp.plen = 24;
        e.u.dhcp.router = GW;
        e.u.dhcp.dns = ISP_DNS;
        e.u.dhcp.lease_s = 86400;
    }
    if (msg != IB_DHCPDISCOVER) e.u.dhcp.server = GW;
    feed(s, &e);
}

static void dns(struct script *s, const char *n, uint8_t what, uint8_t kind, uint16_t id,
                const char *qname, ib_ip4 server, const char *zone, const char *ns, ib_ip4 addr)
{
    struct ib_event e = ev(s, IB_EV_DNS, 7, n, NULL);
    /* The strings live only during dispatch: copies, overwritten after. */
    char q[64], z[64], nsb[64];
    snprintf(q, sizeof(q), "%s", qname);
    snprintf(z, sizeof(z), "%s", zone ? zone : "");
    snprintf(nsb, sizeof(nsb), "%s", ns ? ns : "");
    e.u.dns.what = what;
    e.u.dns.kind = kind;
    e.u.dns.id = id;
    e.u.dns.qtype = IB_DNS_T_A;
    e.u.dns.qname = q;
    e.u.dns.zone = z;
    e.u.dns.ns = nsb;
    e.u.dns.server = server;
    e.u.dns.addr = addr;
    e.u.dns.ttl = kind == IB_DNS_KIND_ANSWER ? 300 : 172800;
    feed(s, &e);
    memset(q, 'X', sizeof(q) - 1);
    memset(z, 'X', sizeof(z) - 1);
    memset(nsb, 'X', sizeof(nsb) - 1);
}

static void http(struct script *s, const char *n, uint8_t what, uint16_t status, uint64_t len,
                 int err)
{
    /* The server names the client as it sees it, the client the server. */
    bool server = strcmp(n, "www") == 0;
    struct ib_event e = ev(s, IB_EV_HTTP, 7, n, NULL);
    char url[64] = URL, host[64] = "www.google.com", path[8] = "/", method[8] = "GET";
    e.u.http.what = what;
    e.u.http.status = status;
    e.u.http.len = len;
    e.u.http.err = err;
    e.u.http.url = url;
    e.u.http.host = host;
    e.u.http.path = path;
    e.u.http.method = method;
    e.u.http.peer = server ? PUB : what == IB_HTTP_FETCH_START ? 0 : WWW;
    e.u.http.port = server ? PPORT : 80;
    feed(s, &e);
    memset(url, 'X', sizeof(url) - 1);
}

static void nat(struct script *s, uint8_t what, uint8_t proto, uint16_t in_port, uint32_t journey)
{
    struct ib_event e = ev(s, IB_EV_NAT, 3, "home-router", "wan0");
    e.journey = journey;
    e.u.nat.what = what;
    e.u.nat.proto = proto;
    e.u.nat.in_addr = LAPTOP;
    e.u.nat.in_port = in_port;
    e.u.nat.pub_addr = PUB;
    e.u.nat.pub_port = proto == IB_IPPROTO_TCP ? PPORT : 1025;
    e.u.nat.peer_addr = proto == IB_IPPROTO_TCP ? WWW : ISP_DNS;
    e.u.nat.peer_port = proto == IB_IPPROTO_TCP ? 80 : 53;
    feed(s, &e);
}

static void tcp(struct script *s, const char *n, ib_ip4 la, uint16_t lp, ib_ip4 ra, uint16_t rp,
                uint8_t from, uint8_t to, uint8_t cause, uint8_t flags, uint32_t seq, uint32_t ack)
{
    struct ib_event e = ev(s, IB_EV_TCP_STATE, 4, n, NULL);
    e.u.tcp.laddr = la;
    e.u.tcp.lport = lp;
    e.u.tcp.raddr = ra;
    e.u.tcp.rport = rp;
    e.u.tcp.old_state = from;
    e.u.tcp.new_state = to;
    e.u.tcp.cause = cause;
    e.u.tcp.flags = flags;
    e.u.tcp.seq = seq;
    e.u.tcp.ack = ack;
    feed(s, &e);
}

/* A TCP datagram as IPv4 would send it, with real checksums. */
static size_t dgram(uint8_t *b, ib_ip4 src, ib_ip4 dst, uint8_t ttl, uint16_t sport, uint16_t dport,
                    uint32_t seq, uint32_t ack, uint8_t flags, const char *payload)
{
    struct ib_tcp_hdr th;
    memset(&th, 0, sizeof(th));
    th.sport = sport;
    th.dport = dport;
    th.seq = seq;
    th.ack = ack;
    th.flags = flags;
    th.wnd = 65535;
    if (flags & IB_TCP_SYN) {
        th.opt.has_mss = true;
        th.opt.mss = 1460;
    }
    size_t thl = ib_tcp_emit(&th, b + IB_IP4_HLEN);
    size_t n = payload ? strlen(payload) : 0;
    memcpy(b + IB_IP4_HLEN + thl, payload ? payload : "", n);
    ib_tcp_fill_csum(b + IB_IP4_HLEN, thl + n, src, dst);
    struct ib_ip4_hdr ih = {.hlen = IB_IP4_HLEN,
                            .tot_len = (uint16_t)(IB_IP4_HLEN + thl + n),
                            .id = 7,
                            .frag = IB_IP4_DF,
                            .ttl = ttl,
                            .proto = IB_IPPROTO_TCP,
                            .src = src,
                            .dst = dst};
    ib_ip4_emit(&ih, b);
    return IB_IP4_HLEN + thl + n;
}

static void ip(struct script *s, enum ib_ev_kind kind, const char *n, const char *in,
               uint32_t journey, const uint8_t *b, size_t len)
{
    struct ib_event e = ev(s, kind, 3, n, in);
    e.journey = journey;
    e.data = b;
    e.len = (uint32_t)len;
    feed(s, &e);
}

static void forward(struct script *s, const char *n, const char *in, const char *out, ib_ip4 prefix,
                    uint8_t plen, ib_ip4 gw, uint32_t journey, uint8_t *b, size_t len)
{
    /* RFC 1812 §5.3.1: the event shows the datagram after the TTL went down. */
    struct ib_ip4_hdr h;
    assert_int_equal(ib_ip4_parse(b, len, &h), 0);
    h.ttl--;
    ib_ip4_emit(&h, b);
    struct ib_event e = ev(s, IB_EV_IP_FORWARD, 3, n, in);
    e.journey = journey;
    e.data = b;
    e.len = (uint32_t)len;
    e.u.route.dst = h.dst;
    e.u.route.prefix = prefix;
    e.u.route.plen = plen;
    e.u.route.gateway = gw;
    e.u.route.out = nif(s, out);
    feed(s, &e);
}

static void arp(struct script *s, enum ib_ev_kind kind, const char *n, ib_ip4 ip_,
                struct ib_mac mac, const struct ib_arp_msg *m, uint32_t journey)
{
    struct ib_event e = ev(s, kind, 2, n, "eth0");
    uint8_t b[IB_ARP_LEN];
    e.journey = journey;
    e.u.arp.ip = ip_;
    e.u.arp.mac = mac;
    if (m) {
        ib_arp_emit(m, b);
        e.data = b;
        e.len = IB_ARP_LEN;
    }
    feed(s, &e);
}

/* ARP for `target` by (asker, asker_mac) answered by (target, target_mac). */
static void arp_exchange(struct script *s, const char *asker, ib_ip4 from, struct ib_mac from_mac,
                         const char *owner, ib_ip4 target, struct ib_mac target_mac,
                         uint32_t queued)
{
    if (queued) arp(s, IB_EV_ARP_QUEUE, asker, target, ib_mac_zero, NULL, queued);
    struct ib_arp_msg req = {.op = IB_ARP_OP_REQUEST, .sha = from_mac, .spa = from, .tpa = target};
    arp(s, IB_EV_ARP_REQUEST, asker, target, ib_mac_zero, &req, 500);
    arp(s, IB_EV_ARP_LEARN, owner, from, from_mac, NULL, 0);
    struct ib_arp_msg rep = {
        .op = IB_ARP_OP_REPLY, .sha = target_mac, .spa = target, .tha = from_mac, .tpa = from};
    arp(s, IB_EV_ARP_REPLY, owner, target, target_mac, &rep, 501);
    arp(s, IB_EV_ARP_LEARN, asker, target, target_mac, NULL, 0);
}

static void script_dhcp(struct script *s)
{
    dhcp(s, "laptop", IB_DHCP_TX, IB_DHCPDISCOVER, 0xabcd0001, 0);
    dhcp(s, "home-router", IB_DHCP_RX, IB_DHCPDISCOVER, 0xabcd0001, 0);
    /* Another client's exchange on the same server stays out of the story. */
    dhcp(s, "tablet", IB_DHCP_TX, IB_DHCPDISCOVER, 0x5555, 0);
    dhcp(s, "home-router", IB_DHCP_RX, IB_DHCPDISCOVER, 0x5555, 0);
    dhcp(s, "home-router", IB_DHCP_TX, IB_DHCPOFFER, 0xabcd0001, LAPTOP);
    dhcp(s, "laptop", IB_DHCP_RX, IB_DHCPOFFER, 0xabcd0001, LAPTOP);
    dhcp(s, "laptop", IB_DHCP_TX, IB_DHCPREQUEST, 0xabcd0001, 0);
    dhcp(s, "home-router", IB_DHCP_RX, IB_DHCPREQUEST, 0xabcd0001, 0);
    dhcp(s, "home-router", IB_DHCP_TX, IB_DHCPACK, 0xabcd0001, LAPTOP);
    dhcp(s, "laptop", IB_DHCP_RX, IB_DHCPACK, 0xabcd0001, LAPTOP);
    dhcp(s, "laptop", IB_DHCP_BOUND, IB_DHCPACK, 0xabcd0001, LAPTOP);
}

/* The resolver asks the authority at addr about www.google.com and gets a
 * response of that kind. */
static void ask(struct script *s, const char *authority, ib_ip4 addr, uint16_t id, uint8_t kind,
                const char *zone, const char *ns, ib_ip4 a)
{
    const char *q = "www.google.com";
    dns(s, "isp-dns", IB_DNS_QUERY_TX, 0, id, q, addr, NULL, NULL, 0);
    dns(s, authority, IB_DNS_QUERY_RX, 0, id, q, ISP_DNS, NULL, NULL, 0);
    dns(s, authority, IB_DNS_RESPONSE_TX, kind, id, q, ISP_DNS, zone, ns, a);
    dns(s, "isp-dns", IB_DNS_RESPONSE_RX, kind, id, q, addr, zone, ns, a);
}

static void script_dns(struct script *s)
{
    const char *q = "www.google.com";
    http(s, "laptop", IB_HTTP_FETCH_START, 0, 0, 0);
    dns(s, "laptop", IB_DNS_QUERY_TX, 0, 0x1234, q, ISP_DNS, NULL, NULL, 0);
    /* The query waits for the gateway's MAC: ARP during DNS. */
    arp_exchange(s, "laptop", LAPTOP, laptop_mac, "home-router", GW, gw_mac, 0);
    nat(s, IB_NAT_MAP, IB_IPPROTO_UDP, 5353, 0);
    dns(s, "isp-dns", IB_DNS_QUERY_RX, 0, 0x1234, q, PUB, NULL, NULL, 0);
    /* Someone else's question to the same resolver. */
    dns(s, "isp-dns", IB_DNS_QUERY_RX, 0, 0x4444, "example.com", IB_IP4(9, 9, 9, 9), NULL, NULL, 0);
    /* It starts from its root hints: the root zone "" is served by a.root. */
    dns(s, "isp-dns", IB_DNS_CACHE_HIT, IB_DNS_KIND_REFERRAL, 0, q, 0, "", "a.root-servers.net",
        ROOT);
    ask(s, "a-root", ROOT, 0x1111, IB_DNS_KIND_REFERRAL, "com", "a.gtld-servers.net", GTLD);
    ask(s, "a-gtld", GTLD, 0x2222, IB_DNS_KIND_REFERRAL, "google.com", "ns1.google.com", NS1);
    ask(s, "ns1-google", NS1, 0x3333, IB_DNS_KIND_ANSWER, NULL, NULL, WWW);
    dns(s, "isp-dns", IB_DNS_RESOLVED, IB_DNS_KIND_ANSWER, 0x1234, q, 0, NULL, NULL, WWW);
    dns(s, "isp-dns", IB_DNS_RESPONSE_TX, IB_DNS_KIND_ANSWER, 0x1234, q, PUB, NULL, NULL, WWW);
    dns(s, "laptop", IB_DNS_RESPONSE_RX, IB_DNS_KIND_ANSWER, 0x1234, q, ISP_DNS, NULL, NULL, WWW);
    dns(s, "laptop", IB_DNS_RESOLVED, IB_DNS_KIND_ANSWER, 0x1234, q, ISP_DNS, NULL, NULL, WWW);
}

/* The SYN (journey 77) across four routers, NAT at the first. */
static void script_syn(struct script *s)
{
    uint8_t b[128];
    /* Another connection of the laptop's, to another port: not the fetch. */
    tcp(s, "laptop", LAPTOP, 40000, WWW, 443, IB_TCP_CLOSED, IB_TCP_SYN_SENT, IB_TCP_CAUSE_APP_OPEN,
        0, 0, 0);
    tcp(s, "laptop", LAPTOP, CPORT, WWW, 80, IB_TCP_CLOSED, IB_TCP_SYN_SENT, IB_TCP_CAUSE_APP_OPEN,
        0, 0, 0);
    size_t n = dgram(b, LAPTOP, WWW, 64, CPORT, 80, 1000, 0, IB_TCP_SYN, NULL);
    ip(s, IB_EV_IP_TX, "laptop", "eth0", 77, b, n);
    forward(s, "home-router", "lan0", "wan0", 0, 0, IB_IP4(121, 160, 55, 21), 77, b, n);
    nat(s, IB_NAT_MAP, IB_IPPROTO_TCP, CPORT, 77);
    nat(s, IB_NAT_OUT, IB_IPPROTO_TCP, CPORT, 77);
    n = dgram(b, PUB, WWW, 63, PPORT, 80, 1000, 0, IB_TCP_SYN, NULL);
    forward(s, "isp-access", "home0", "core0", 0, 0, IB_IP4(211, 234, 100, 2), 77, b, n);
    forward(s, "core-tokyo", "in0", "out0", IB_IP4(142, 250, 0, 0), 15, IB_IP4(4, 70, 0, 2), 77, b,
            n);
    forward(s, "google-edge", "up0", "lan0", IB_IP4(142, 250, 196, 0), 24, 0, 77, b, n);
    arp_exchange(s, "google-edge", EDGE, edge_mac, "www", WWW, www_mac, 77);
    ip(s, IB_EV_IP_RX, "www", "eth0", 77, b, n);
    tcp(s, "www", WWW, 80, PUB, PPORT, IB_TCP_LISTEN, IB_TCP_SYN_RECEIVED, IB_TCP_CAUSE_SEGMENT,
        IB_TCP_SYN, 1000, 0);
    nat(s, IB_NAT_IN, IB_IPPROTO_TCP, CPORT, 90);
    tcp(s, "laptop", LAPTOP, CPORT, WWW, 80, IB_TCP_SYN_SENT, IB_TCP_ESTABLISHED,
        IB_TCP_CAUSE_SEGMENT, IB_TCP_SYN | IB_TCP_ACK, 5000, 1001);
    tcp(s, "www", WWW, 80, PUB, PPORT, IB_TCP_SYN_RECEIVED, IB_TCP_ESTABLISHED,
        IB_TCP_CAUSE_SEGMENT, IB_TCP_ACK, 1001, 5001);
}

static void script_http_and_close(struct script *s)
{
    uint8_t b[256], f[300];
    http(s, "laptop", IB_HTTP_REQUEST_TX, 0, 0, 0);
    size_t n = dgram(b, LAPTOP, WWW, 64, CPORT, 80, 1001, 5001, IB_TCP_PSH | IB_TCP_ACK, REQUEST);
    ip(s, IB_EV_IP_TX, "laptop", "eth0", 78, b, n);
    struct ib_eth_hdr eh = {.dst = gw_mac, .src = laptop_mac, .type = IB_ETHERTYPE_IP4};
    ib_eth_emit(&eh, f);
    memcpy(f + IB_ETH_HLEN, b, n);
    struct ib_event e = ev(s, IB_EV_ETH_TX, 2, "laptop", "eth0");
    e.journey = 78;
    e.data = f;
    e.len = (uint32_t)(IB_ETH_HLEN + n);
    feed(s, &e);
    nat(s, IB_NAT_OUT, IB_IPPROTO_TCP, CPORT, 78);
    n = dgram(b, PUB, WWW, 61, PPORT, 80, 1001, 5001, IB_TCP_PSH | IB_TCP_ACK, REQUEST);
    ip(s, IB_EV_IP_RX, "www", "eth0", 78, b, n);
    http(s, "www", IB_HTTP_REQUEST_RX, 0, 0, 0);
    http(s, "www", IB_HTTP_RESPONSE_TX, 200, 1234, 0);
    nat(s, IB_NAT_IN, IB_IPPROTO_TCP, CPORT, 91);
    http(s, "laptop", IB_HTTP_RESPONSE_RX, 200, 1234, 0);
    http(s, "laptop", IB_HTTP_FETCH_DONE, 200, 1234, 0);
    /* The laptop closes first (RFC 9293 §3.6 case 1). */
    tcp(s, "laptop", LAPTOP, CPORT, WWW, 80, IB_TCP_ESTABLISHED, IB_TCP_FIN_WAIT_1,
        IB_TCP_CAUSE_APP_CLOSE, 0, 0, 0);
    tcp(s, "www", WWW, 80, PUB, PPORT, IB_TCP_ESTABLISHED, IB_TCP_CLOSE_WAIT, IB_TCP_CAUSE_SEGMENT,
        IB_TCP_FIN | IB_TCP_ACK, 1045, 6300);
    tcp(s, "laptop", LAPTOP, CPORT, WWW, 80, IB_TCP_FIN_WAIT_1, IB_TCP_FIN_WAIT_2,
        IB_TCP_CAUSE_SEGMENT, IB_TCP_ACK, 6300, 1046);
    tcp(s, "www", WWW, 80, PUB, PPORT, IB_TCP_CLOSE_WAIT, IB_TCP_LAST_ACK, IB_TCP_CAUSE_APP_CLOSE,
        0, 0, 0);
    tcp(s, "laptop", LAPTOP, CPORT, WWW, 80, IB_TCP_FIN_WAIT_2, IB_TCP_TIME_WAIT,
        IB_TCP_CAUSE_SEGMENT, IB_TCP_FIN | IB_TCP_ACK, 6300, 1046);
    ib_time tw = s->t;
    tcp(s, "www", WWW, 80, PUB, PPORT, IB_TCP_LAST_ACK, IB_TCP_CLOSED, IB_TCP_CAUSE_SEGMENT,
        IB_TCP_ACK, 1046, 6301);
    s->t = tw + IB_SEC(240) - IB_US(100);
    tcp(s, "laptop", LAPTOP, CPORT, WWW, 80, IB_TCP_TIME_WAIT, IB_TCP_CLOSED,
        IB_TCP_CAUSE_TIME_WAIT, 0, 0, 0);
}

static struct ib_story *journey(struct script *s)
{
    memset(s, 0, sizeof(*s));
    s->st = ib_story_new("laptop", URL);
    assert_non_null(s->st);
    script_dhcp(s);
    s->t = IB_SEC(2);
    script_dns(s);
    script_syn(s);
    script_http_and_close(s);
    return s->st;
}

/* ---- looking at lines ---- */

struct view {
    const struct ib_story_line *l;
    size_t n;
};

static struct view lines_of(const struct ib_story *st)
{
    struct view v;
    v.n = ib_story_lines(st, &v.l);
    return v;
}

/* The k-th line (from 0) of kind what, or NULL. */
static const struct ib_story_line *find(struct view v, uint16_t what, unsigned k)
{
    for (size_t i = 0; i < v.n; i++)
        if (v.l[i].what == what && k-- == 0) return &v.l[i];
    return NULL;
}

static const struct ib_story_line *must(struct view v, uint16_t what, const char *node)
{
    const struct ib_story_line *l = find(v, what, 0);
    if (!l) fail_msg("no line of kind %u", what);
    assert_string_equal(l->node, node);
    return l;
}

static unsigned count(struct view v, uint16_t what)
{
    unsigned n = 0;
    for (size_t i = 0; i < v.n; i++)
        n += v.l[i].what == what;
    return n;
}

static size_t index_of(struct view v, const struct ib_story_line *l)
{
    return (size_t)(l - v.l);
}

/* Display columns of one output line: Hangul takes two (UAX #11). */
static int columns(const char *s, size_t n)
{
    int w = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c & 0xc0) == 0x80) continue;
        w += c == 0xea || c == 0xeb || c == 0xec || c == 0xed ? 2 : 1; /* U+A000..U+DFFF */
    }
    return w;
}

/* Renders st in lang; every line fits 80 columns, no placeholder is left. */
static char *render(const struct ib_story *st, enum ib_lang lang)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(ib_story_print(st, lang, f), 0);
    fclose(f);
    assert_null(strchr(buf, '{'));
    for (const char *p = buf; *p;) {
        size_t n = strcspn(p, "\n");
        if (columns(p, n) > 80) fail_msg("line wider than 80 columns: %.*s", (int)n, p);
        p += n + (p[n] == '\n');
    }
    return buf;
}

static void test_journey_steps(void **state)
{
    struct script s;
    struct ib_story *st = journey(&s);
    assert_int_equal(ib_story_finish(st), 0);
    struct view v = lines_of(st);
    /* Every step, in order. */
    uint8_t last = 0;
    unsigned per_step[IB_STEP_COUNT + 1] = {0};
    for (size_t i = 0; i < v.n; i++) {
        assert_true(v.l[i].step >= last);
        assert_true(v.l[i].step >= 1 && v.l[i].step <= IB_STEP_COUNT);
        assert_true(v.l[i].what > IB_SW_NONE && v.l[i].what < IB_SW__COUNT);
        assert_true(v.l[i].what < IB_SW_FIRST_MISSING); /* nothing is missing */
        last = v.l[i].step;
        per_step[last]++;
    }
    for (int step = 1; step <= IB_STEP_COUNT; step++)
        assert_true(per_step[step] >= 2);

    /* 1 DHCP: DORA between the laptop and its router, and the lease;
     * the tablet's exchange (another xid) is not in it. */
    must(v, IB_SW_DHCP_DISCOVER_TX, "laptop");
    must(v, IB_SW_DHCP_DISCOVER_RX, "home-router");
    assert_int_equal(count(v, IB_SW_DHCP_DISCOVER_RX), 1);
    must(v, IB_SW_DHCP_OFFER_TX, "home-router");
    assert_int_equal(must(v, IB_SW_DHCP_REQUEST_TX, "laptop")->a[0], LAPTOP); /* the offered one */
    must(v, IB_SW_DHCP_ACK_RX, "laptop");
    const struct ib_story_line *l = must(v, IB_SW_DHCP_BOUND, "laptop");
    assert_int_equal(l->a[0], LAPTOP);
    assert_int_equal(l->b[1], 24);
    assert_int_equal(l->a[3], GW);
    assert_int_equal(l->a[2], ISP_DNS);
    assert_int_equal(l->n[1], 86400);

    /* 2 DNS: who asked whom, and the referral chain. */
    assert_string_equal(must(v, IB_SW_FETCH_START, "laptop")->s[1], "www.google.com");
    l = must(v, IB_SW_DNS_STUB_QUERY_DHCP, "laptop");
    assert_int_equal(l->a[0], ISP_DNS);
    assert_string_equal(l->s[0], "www.google.com");
    must(v, IB_SW_DNS_QUERY_RX, "isp-dns");
    l = must(v, IB_SW_DNS_CACHE_REFERRAL, "isp-dns");
    assert_string_equal(l->s[1], ".");
    assert_int_equal(l->a[1], ROOT);
    assert_int_equal(count(v, IB_SW_DNS_QUERY_RX), 4); /* not example.com */
    assert_int_equal(count(v, IB_SW_DNS_QUERY_TX), 3);
    assert_int_equal(find(v, IB_SW_DNS_QUERY_TX, 0)->a[0], ROOT);
    assert_int_equal(find(v, IB_SW_DNS_QUERY_TX, 2)->a[0], NS1);
    l = must(v, IB_SW_DNS_REFERRAL_TX, "a-root");
    assert_string_equal(l->s[1], "com");
    assert_string_equal(l->s[2], "a.gtld-servers.net");
    assert_int_equal(l->a[1], GTLD);
    assert_string_equal(find(v, IB_SW_DNS_REFERRAL_RX, 1)->s[1], "google.com");
    must(v, IB_SW_DNS_ANSWER_TX, "ns1-google");
    assert_string_equal(must(v, IB_SW_DNS_CHAIN, "isp-dns")->s[0],
                        "198.41.0.4 (.) -> 192.5.6.30 (com) -> 216.239.32.10 (google.com) -> "
                        "142.250.196.100");
    assert_int_equal(must(v, IB_SW_DNS_RESOLVED, "laptop")->a[1], WWW);

    /* 3 BUILD: the request frame taken apart. */
    l = must(v, IB_SW_BUILD_HTTP, "laptop");
    assert_string_equal(l->s[0], "GET / HTTP/1.1");
    assert_string_equal(l->s[1], "www.google.com");
    assert_int_equal(l->n[0], strlen(REQUEST));
    assert_int_equal(l->layer, 7);
    l = must(v, IB_SW_BUILD_TCP, "laptop");
    assert_int_equal(l->p[0], CPORT);
    assert_int_equal(l->p[1], 80);
    assert_int_equal(l->n[0], 1001);
    assert_int_equal(l->b[2], IB_TCP_PSH | IB_TCP_ACK);
    l = must(v, IB_SW_BUILD_IP, "laptop");
    assert_int_equal(l->a[0], LAPTOP);
    assert_int_equal(l->a[1], WWW);
    assert_int_equal(l->n[0], 64);
    l = must(v, IB_SW_BUILD_ETH, "laptop");
    assert_memory_equal(l->m[1].b, gw_mac.b, 6);
    assert_memory_equal(l->m[0].b, laptop_mac.b, 6);
    assert_int_equal(find(v, IB_SW_NOTE_BUILD_MAC, 0)->a[0], GW);
    assert_int_equal(find(v, IB_SW_BUILD_WIRE, 0)->n[4],
                     IB_ETH_HLEN + IB_IP4_HLEN + IB_TCP_HLEN + strlen(REQUEST));

    /* 4 ARP for the gateway, which happened during DNS. */
    l = must(v, IB_SW_ARP_REQUEST, "laptop");
    assert_int_equal(l->step, IB_STEP_ARP_GATEWAY);
    assert_int_equal(l->a[0], GW);
    assert_int_equal(l->a[1], LAPTOP);
    l = must(v, IB_SW_ARP_REPLY, "home-router");
    assert_memory_equal(l->m[0].b, gw_mac.b, 6);
    must(v, IB_SW_ARP_LEARN, "laptop");
    assert_non_null(find(v, IB_SW_NOTE_ARP_DURING_DNS, 0));

    /* 5 NAT: the TCP mapping (not the DNS one) and its counts. */
    l = must(v, IB_SW_NAT_MAP, "home-router");
    assert_int_equal(l->a[0], LAPTOP);
    assert_int_equal(l->p[0], CPORT);
    assert_int_equal(l->a[1], PUB);
    assert_int_equal(l->p[1], PPORT);
    assert_int_equal(count(v, IB_SW_NAT_MAP), 1);
    must(v, IB_SW_NAT_OUT, "home-router");
    must(v, IB_SW_NAT_IN, "home-router");
    l = find(v, IB_SW_NOTE_NAT_COUNT, 0);
    assert_int_equal(l->n[0], 2);
    assert_int_equal(l->n[1], 2);
    assert_int_equal(find(v, IB_SW_NOTE_PRIVATE, 0)->a[1], PUB);

    /* 6 ROUTING: the SYN's hops, in order. */
    static const char *const hops[] = {"home-router", "isp-access", "core-tokyo", "google-edge"};
    static const uint16_t kinds[] = {IB_SW_ROUTE_HOP_DEFAULT, IB_SW_ROUTE_HOP_DEFAULT,
                                     IB_SW_ROUTE_HOP, IB_SW_ROUTE_HOP_DIRECT};
    size_t at = index_of(v, must(v, IB_SW_ROUTE_SEND, "laptop"));
    assert_int_equal(v.l[at].a[2], GW);
    for (unsigned i = 0; i < 4; i++) {
        l = &v.l[at + 1 + i];
        assert_int_equal(l->what, kinds[i]);
        assert_string_equal(l->node, hops[i]);
        assert_int_equal(l->n[0], 63 - i); /* TTL after this hop */
    }
    assert_int_equal(v.l[at + 3].a[0], IB_IP4(142, 250, 0, 0));
    assert_int_equal(v.l[at + 3].b[0], 15);
    assert_string_equal(v.l[at + 4].s[0], "lan0");
    assert_int_equal(v.l[at + 4].a[1], WWW);
    l = &v.l[at + 5];
    assert_int_equal(l->what, IB_SW_ROUTE_ARRIVE);
    assert_string_equal(l->node, "www");
    assert_int_equal(l->n[0], 4);
    assert_int_equal(l->n[1], 64);
    assert_int_equal(l->n[2], 60);
    assert_int_equal(find(v, IB_SW_NOTE_ROUTING, 0)->n[0], 4);

    /* 7 ARP on Google's LAN, at the last router. */
    l = find(v, IB_SW_ARP_REQUEST, 1);
    assert_string_equal(l->node, "google-edge");
    assert_int_equal(l->step, IB_STEP_ARP_LAST_HOP);
    assert_int_equal(l->a[0], WWW);
    assert_int_equal(l->a[1], EDGE);
    l = find(v, IB_SW_ARP_REPLY, 1);
    assert_string_equal(l->node, "www");
    assert_memory_equal(l->m[0].b, www_mac.b, 6);
    assert_string_equal(find(v, IB_SW_ARP_QUEUE, 0)->node, "google-edge");
    assert_string_equal(find(v, IB_SW_ARP_LEARN, 1)->node, "google-edge");

    /* 8 HANDSHAKE: both ends, in order, with seq and ack. */
    size_t c1 = index_of(v, must(v, IB_SW_TCP_CONNECT, "laptop"));
    size_t s1 = index_of(v, must(v, IB_SW_TCP_LISTEN_SYN, "www"));
    size_t c2 = index_of(v, must(v, IB_SW_TCP_CLIENT_ESTABLISHED, "laptop"));
    size_t s2 = index_of(v, must(v, IB_SW_TCP_SERVER_ESTABLISHED, "www"));
    assert_true(c1 < s1 && s1 < c2 && c2 < s2);
    assert_int_equal(v.l[c1].n[0], 1000); /* the SYN's own seq */
    assert_int_equal(v.l[c1].p[1], 80);
    assert_int_equal(v.l[s1].a[1], PUB); /* the server sees the public address */
    assert_int_equal(v.l[s1].p[1], PPORT);
    assert_int_equal(v.l[c2].n[1], 1001);
    assert_int_equal(v.l[c2].n[2], 5001);
    assert_int_equal(count(v, IB_SW_TCP_CONNECT), 1); /* not the port-443 one */

    /* 9 SERVER */
    l = must(v, IB_SW_SERVER_IP_RX, "www");
    assert_int_equal(l->a[0], WWW);
    assert_int_equal(l->a[1], PUB);
    l = must(v, IB_SW_SERVER_PORT, "www");
    assert_int_equal(l->p[0], 80);
    assert_int_equal(l->p[1], PPORT);
    assert_string_equal(must(v, IB_SW_HTTP_REQUEST_RX, "www")->s[0], "GET");
    l = must(v, IB_SW_HTTP_RESPONSE_TX, "www");
    assert_int_equal(l->n[0], 200);
    assert_string_equal(l->s[0], "OK");
    l = must(v, IB_SW_FETCH_DONE, "laptop");
    assert_int_equal(l->n[1], 1234);
    assert_string_equal(l->s[0], URL);

    /* 10 CLOSE: both sides' states; TIME_WAIT lasted 2*MSL. */
    static const uint16_t close_kinds[] = {IB_SW_TCP_FIN_WAIT_1,      IB_SW_TCP_CLOSE_WAIT,
                                           IB_SW_TCP_FIN_WAIT_2,      IB_SW_TCP_LAST_ACK,
                                           IB_SW_TCP_TIME_WAIT,       IB_SW_TCP_LAST_ACK_CLOSED,
                                           IB_SW_TCP_TIME_WAIT_CLOSED};
    static const char *const close_nodes[] = {"laptop", "www", "laptop", "www",
                                              "laptop", "www", "laptop"};
    at = index_of(v, find(v, IB_SW_TCP_FIN_WAIT_1, 0));
    for (unsigned i = 0; i < IB_ARRAY_LEN(close_kinds); i++) {
        assert_int_equal(v.l[at + i].what, close_kinds[i]);
        assert_int_equal(v.l[at + i].step, IB_STEP_CLOSE);
        assert_string_equal(v.l[at + i].node, close_nodes[i]);
    }
    assert_int_equal(v.l[at + 6].dt, IB_SEC(240));
    assert_int_equal(find(v, IB_SW_NOTE_TIME_WAIT, 0)->dt, IB_SEC(240));

    char *en = render(st, IB_LANG_EN);
    assert_non_null(strstr(en, "Step 7 · ARP again"));
    assert_non_null(strstr(en, "DHCPDISCOVER"));
    assert_non_null(strstr(en, "| | | +- HTTP ("));
    assert_non_null(strstr(en, "240 s"));
    free(en);
    char *ko = render(st, IB_LANG_KO);
    assert_non_null(strstr(ko, "7단계 · "));
    assert_non_null(strstr(ko, "DHCPDISCOVER를"));
    assert_non_null(strstr(ko, "브로드캐스트합니다"));
    assert_non_null(strstr(ko, "240초"));
    free(ko);
    /* Finishing again gives the same story. */
    size_t n = v.n;
    assert_int_equal(ib_story_finish(st), 0);
    assert_int_equal(lines_of(st).n, n);
    ib_story_free(st);
}

/* A fetch whose lookup failed: no connection, every step says so. */
static void test_missing_steps(void **state)
{
    struct script s;
    memset(&s, 0, sizeof(s));
    s.st = ib_story_new("laptop", URL);
    http(&s, "laptop", IB_HTTP_FETCH_START, 0, 0, 0);
    dns(&s, "laptop", IB_DNS_QUERY_TX, 0, 7, "www.google.com", ISP_DNS, NULL, NULL, 0);
    dns(&s, "laptop", IB_DNS_RESPONSE_RX, IB_DNS_KIND_NXDOMAIN, 7, "www.google.com", ISP_DNS, NULL,
        NULL, 0);
    dns(&s, "laptop", IB_DNS_RESOLVED, IB_DNS_KIND_NXDOMAIN, 7, "www.google.com", ISP_DNS, NULL,
        NULL, 0);
    http(&s, "laptop", IB_HTTP_FETCH_DONE, 0, 0, IB_ERR_NOTFOUND);
    assert_int_equal(ib_story_finish(s.st), IB_ERR_NOTFOUND);
    struct view v = lines_of(s.st);
    must(v, IB_SW_NO_DHCP, "laptop");
    assert_string_equal(must(v, IB_SW_DNS_OTHER_RX, "laptop")->s[1], "NXDOMAIN");
    must(v, IB_SW_DNS_FAILED, "laptop");
    assert_int_equal(must(v, IB_SW_FETCH_FAILED, "laptop")->n[3], -IB_ERR_NOTFOUND);
    unsigned missing = 0;
    uint8_t seen = 0;
    for (size_t i = 0; i < v.n; i++) {
        if (v.l[i].what == IB_SW_NO_CONNECTION) {
            assert_true(v.l[i].step >= IB_STEP_BUILD);
            assert_true(v.l[i].step > seen);
            seen = v.l[i].step;
            missing++;
        }
    }
    assert_int_equal(missing, IB_STEP_COUNT - 2);
    char *en = render(s.st, IB_LANG_EN);
    assert_non_null(strstr(en, "Not seen: no TCP connection to www.google.com:80"));
    assert_non_null(strstr(en, "failed: not"));
    free(en);
    char *ko = render(s.st, IB_LANG_KO);
    assert_non_null(strstr(ko, "찾을 수 없음"));
    free(ko);
    ib_story_free(s.st);
}

/* A long run does not grow the record without bound. */
static void test_limits(void **state)
{
    struct script s;
    memset(&s, 0, sizeof(s));
    s.st = ib_story_new("laptop", URL);
    ib_story_set_limits(s.st, 12, 1 << 20);
    struct ib_story *st = s.st;
    script_dhcp(&s);
    script_dns(&s);
    /* 11 DHCP events, then the lookup's 26 (DNS, ARP, NAT, HTTP). */
    assert_int_equal(ib_story_unrecorded(st), 11 + 26 - 12);
    ib_story_finish(st);
    char *en = render(st, IB_LANG_EN);
    assert_non_null(strstr(en, "(25 more events were not recorded"));
    free(en);
    ib_story_free(st);

    /* Bytes and strings are bounded too: DHCP events carry none and are all
     * kept, a name that does not fit is not kept at all. */
    s.st = st = ib_story_new("laptop", URL);
    ib_story_set_limits(st, 1000, 64);
    script_dhcp(&s);
    assert_int_equal(ib_story_unrecorded(st), 0);
    script_dns(&s);
    uint64_t lost = ib_story_unrecorded(st);
    assert_true(lost > 0 && lost < 26);
    ib_story_finish(st);
    struct view v = lines_of(st);
    must(v, IB_SW_DHCP_BOUND, "laptop");
    for (size_t i = 0; i < v.n; i++)
        if (v.l[i].what == IB_SW_DNS_QUERY_TX) assert_string_equal(v.l[i].s[0], "www.google.com");
    free(render(st, IB_LANG_KO));
    ib_story_free(st);
}

/* Every kind of line has text in both languages, with only known
 * placeholders; so do the step headings. */
static void test_every_line_kind_has_text(void **state)
{
    struct ib_story_line l;
    memset(&l, 0, sizeof(l));
    snprintf(l.node, sizeof(l.node), "laptop");
    for (int i = 0; i < 3; i++)
        snprintf(l.s[i], sizeof(l.s[i]), "s%d", i);
    l.a[0] = LAPTOP;
    l.b[1] = IB_TCP_ESTABLISHED;
    l.b[2] = IB_TCP_SYN | IB_TCP_ACK;
    l.b[3] = IB_TCP_CAUSE_RTO;
    l.n[2] = 28;
    l.n[3] = 13;
    l.dt = IB_MS(1500);
    char buf[2048];
    for (int lang = IB_LANG_EN; lang <= IB_LANG_KO; lang++) {
        for (uint16_t w = IB_SW_NONE + 1; w < IB_SW__COUNT; w++) {
            l.what = w;
            size_t n = ib_story_format(&l, (enum ib_lang)lang, buf, sizeof(buf));
            if (n == 0) fail_msg("language %d has no text for line kind %u", lang, w);
            assert_true(n < sizeof(buf));
            if (strchr(buf, '{')) fail_msg("unknown placeholder in kind %u: %s", w, buf);
        }
    }
    l.what = IB_SW_TCP_STATE_OTHER;
    ib_story_format(&l, IB_LANG_EN, buf, sizeof(buf));
    assert_string_equal(buf, "CLOSED -> ESTABLISHED (retransmissions gave up).");
    l.what = IB_SW_TCP_CLIENT_ESTABLISHED;
    ib_story_format(&l, IB_LANG_KO, buf, sizeof(buf));
    assert_non_null(strstr(buf, "[SYN, ACK] 세그먼트"));
    l.what = IB_SW_NOTE_TIME_WAIT;
    ib_story_format(&l, IB_LANG_EN, buf, sizeof(buf));
    assert_non_null(strstr(buf, "(here 1.500 s;"));
    /* A cut buffer still reports the whole length. */
    size_t full = strlen(buf);
    assert_int_equal(ib_story_format(&l, IB_LANG_EN, buf, 8), full);
    assert_int_equal(strlen(buf), 7);
    /* Headings: an empty story prints every step's. */
    struct ib_story *st = ib_story_new("pc", "http://10.0.0.1:8080/x");
    assert_int_equal(ib_story_finish(st), IB_ERR_NOTFOUND);
    for (int lang = IB_LANG_EN; lang <= IB_LANG_KO; lang++) {
        char *out = render(st, (enum ib_lang)lang);
        for (int step = 1; step <= IB_STEP_COUNT; step++) {
            char h[32];
            snprintf(h, sizeof(h), lang == IB_LANG_EN ? "\nStep %d · " : "\n%d단계 · ", step);
            assert_non_null(strstr(out, h));
        }
        free(out);
    }
    struct view v = lines_of(st);
    must(v, IB_SW_NO_DNS_LITERAL, "");
    assert_int_equal(find(v, IB_SW_NO_CONNECTION, 0)->p[0], 8080);
    assert_string_equal(find(v, IB_SW_NO_CONNECTION, 0)->s[0], "10.0.0.1");
    ib_story_free(st);
    enum ib_lang lang;
    assert_int_equal(ib_lang_parse("KO", &lang), 0);
    assert_int_equal(lang, IB_LANG_KO);
    assert_int_equal(ib_lang_parse("en", &lang), 0);
    assert_int_equal(lang, IB_LANG_EN);
    assert_int_equal(ib_lang_parse("english", &lang), IB_ERR_INVAL);
}

/* ---- a real small world: h1 - r1 - h2, TCP through real stacks ---- */

struct peer {
    struct ib_tcp *c;
    char got[256];
    size_t n;
};

static void on_connected(struct ib_tcp *c, void *arg)
{
    static const char req[] = "GET / HTTP/1.1\r\nHost: 10.0.2.10\r\n\r\n";
    assert_int_equal(ib_tcp_send(c, req, sizeof(req) - 1), sizeof(req) - 1);
    ib_tcp_close(c); /* FIN after the request: the client closes first */
}

static void on_readable(struct ib_tcp *c, void *arg)
{
    struct peer *p = arg;
    long n;
    while ((n = ib_tcp_recv(c, p->got + p->n, sizeof(p->got) - 1 - p->n)) > 0)
        p->n += (size_t)n;
    if (ib_tcp_eof(c)) {
        ib_tcp_close(c);
        p->c = NULL;
    }
}

static void on_accepted(struct ib_tcp *l, struct ib_tcp *c, void *arg)
{
    ((struct peer *)arg)->c = c;
}

static void test_real_world(void **state)
{
    struct ib_world *w = ib_world_new(3);
    struct ib_story *st = ib_story_new("h1", "http://10.0.2.10/");
    assert_int_equal(ib_world_observe(w, ib_story_observe, st), 0);
    struct ib_stack *h1 = ib_world_add_host(w, "h1");
    struct ib_stack *h2 = ib_world_add_host(w, "h2");
    struct ib_stack *r1 = ib_world_add_router(w, "r1");
    struct ib_netif *h1e = ib_world_add_netif(w, &h1->node, "eth0");
    struct ib_netif *h2e = ib_world_add_netif(w, &h2->node, "eth0");
    struct ib_netif *r1a = ib_world_add_netif(w, &r1->node, "eth0");
    struct ib_netif *r1b = ib_world_add_netif(w, &r1->node, "eth1");
    assert_non_null(ib_world_connect(w, h1e, r1a, NULL));
    assert_non_null(ib_world_connect(w, r1b, h2e, NULL));
    assert_int_equal(ib_stack_set_addr(h1, h1e, IB_IP4(10, 0, 1, 10), 24), 0);
    assert_int_equal(ib_stack_set_addr(r1, r1a, IB_IP4(10, 0, 1, 1), 24), 0);
    assert_int_equal(ib_stack_set_addr(r1, r1b, IB_IP4(10, 0, 2, 1), 24), 0);
    assert_int_equal(ib_stack_set_addr(h2, h2e, IB_IP4(10, 0, 2, 10), 24), 0);
    assert_int_equal(ib_stack_add_route(h1, 0, 0, IB_IP4(10, 0, 1, 1), h1e), 0);
    assert_int_equal(ib_stack_add_route(h2, 0, 0, IB_IP4(10, 0, 2, 1), h2e), 0);
    ib_world_run(w, IB_MS(10));

    struct ib_tcp_config cfg = ib_tcp_defaults;
    cfg.msl = IB_SEC(1);
    struct peer server = {0};
    static const struct ib_tcp_ops server_ops = {.accepted = on_accepted, .readable = on_readable};
    static const struct ib_tcp_ops client_ops = {.connected = on_connected};
    struct ib_tcp *l = ib_tcp_listen(h2, 0, 80, &server_ops, &server, &cfg);
    assert_non_null(l);
    assert_non_null(ib_tcp_connect(h1, IB_IP4(10, 0, 2, 10), 80, &client_ops, NULL, &cfg));
    ib_world_run(w, IB_SEC(10));
    assert_non_null(strstr(server.got, "GET / HTTP/1.1"));
    ib_tcp_close(l);

    assert_int_equal(ib_story_finish(st), 0);
    struct view v = lines_of(st);
    must(v, IB_SW_NO_DHCP, "h1");
    assert_non_null(find(v, IB_SW_NO_DNS_LITERAL, 0));
    assert_int_equal(must(v, IB_SW_BUILD_IP, "h1")->a[1], IB_IP4(10, 0, 2, 10));
    /* 4: h1 asked for its gateway's MAC because of the SYN. */
    const struct ib_story_line *x = must(v, IB_SW_ARP_QUEUE, "h1");
    assert_int_equal(x->step, IB_STEP_ARP_GATEWAY);
    assert_int_equal(must(v, IB_SW_ARP_REQUEST, "h1")->a[0], IB_IP4(10, 0, 1, 1));
    x = must(v, IB_SW_ARP_REPLY, "r1");
    assert_memory_equal(x->m[0].b, r1a->mac.b, 6);
    assert_memory_equal(must(v, IB_SW_BUILD_ETH, "h1")->m[1].b, r1a->mac.b, 6);
    assert_int_equal(must(v, IB_SW_NO_NAT, "h1")->a[0], IB_IP4(10, 0, 1, 10));
    /* 6: one hop, directly connected, then h2. */
    x = must(v, IB_SW_ROUTE_HOP_DIRECT, "r1");
    assert_int_equal(x->a[0], IB_IP4(10, 0, 2, 0));
    assert_int_equal(x->b[0], 24);
    assert_string_equal(x->s[0], "eth1");
    assert_string_equal(x->s[1], "eth0");
    x = must(v, IB_SW_ROUTE_ARRIVE, "h2");
    assert_int_equal(x->n[0], 1);
    assert_int_equal(x->n[2], x->n[1] - 1);
    /* 7: r1 asked for h2's MAC. */
    x = find(v, IB_SW_ARP_REQUEST, 1);
    assert_string_equal(x->node, "r1");
    assert_int_equal(x->step, IB_STEP_ARP_LAST_HOP);
    assert_int_equal(x->a[0], IB_IP4(10, 0, 2, 10));
    assert_string_equal(find(v, IB_SW_ARP_REPLY, 1)->node, "h2");
    /* 8: the handshake on both ends. */
    must(v, IB_SW_TCP_CONNECT, "h1");
    must(v, IB_SW_TCP_LISTEN_SYN, "h2");
    must(v, IB_SW_TCP_CLIENT_ESTABLISHED, "h1");
    must(v, IB_SW_TCP_SERVER_ESTABLISHED, "h2");
    /* 9: delivered to the listener on port 80. */
    assert_int_equal(must(v, IB_SW_SERVER_PORT, "h2")->p[0], 80);
    /* 10: h1 closed first and waited 2*MSL. */
    must(v, IB_SW_TCP_FIN_WAIT_1, "h1");
    must(v, IB_SW_TCP_CLOSE_WAIT, "h2");
    must(v, IB_SW_TCP_LAST_ACK_CLOSED, "h2");
    assert_int_equal(must(v, IB_SW_TCP_TIME_WAIT_CLOSED, "h1")->dt, IB_SEC(2));
    for (size_t i = 0; i < v.n; i++) {
        uint8_t step = v.l[i].step;
        bool real = step == IB_STEP_ARP_GATEWAY || step == IB_STEP_ROUTING ||
                    step == IB_STEP_ARP_LAST_HOP || step == IB_STEP_HANDSHAKE ||
                    step == IB_STEP_CLOSE;
        if (real) assert_true(v.l[i].what < IB_SW_FIRST_MISSING);
    }
    free(render(st, IB_LANG_EN));
    free(render(st, IB_LANG_KO));

    /* Again, with every ARP cache warm: steps 4 and 7 say why there was no
     * ARP, naming the gateway (the first router's address on h1's link) and
     * the server. */
    struct ib_story *again = ib_story_new("h1", "http://10.0.2.10/");
    assert_int_equal(ib_world_observe(w, ib_story_observe, again), 0);
    memset(&server, 0, sizeof(server));
    l = ib_tcp_listen(h2, 0, 80, &server_ops, &server, &cfg);
    assert_non_null(ib_tcp_connect(h1, IB_IP4(10, 0, 2, 10), 80, &client_ops, NULL, &cfg));
    ib_world_run(w, IB_SEC(20));
    ib_tcp_close(l);
    assert_int_equal(ib_story_finish(again), 0);
    v = lines_of(again);
    assert_int_equal(must(v, IB_SW_NO_ARP_GATEWAY, "h1")->a[0], IB_IP4(10, 0, 1, 1));
    assert_int_equal(must(v, IB_SW_ROUTE_SEND, "h1")->a[2], IB_IP4(10, 0, 1, 1));
    x = must(v, IB_SW_NO_ARP_LAST_HOP, "r1");
    assert_int_equal(x->a[0], IB_IP4(10, 0, 2, 10));
    assert_string_equal(x->s[0], "h2");
    assert_null(find(v, IB_SW_ARP_REQUEST, 0));
    must(v, IB_SW_TCP_SERVER_ESTABLISHED, "h2");
    char *en = render(again, IB_LANG_EN);
    assert_non_null(strstr(en, "already knew the MAC address of h2."));
    free(en);
    free(render(again, IB_LANG_KO));
    ib_world_free(w);
    ib_story_free(st);
    ib_story_free(again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_journey_steps), cmocka_unit_test(test_missing_steps),
        cmocka_unit_test(test_limits),        cmocka_unit_test(test_every_line_kind_has_text),
        cmocka_unit_test(test_real_world),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The packet's path and its connection: the request frame taken apart
 * (step 3), ARP for the gateway (4), NAT (5), the SYN's hops (6), ARP on
 * the server's LAN (7), the handshake (8) and the close (10).
 *
 * The SYN datagram is followed by its journey id through every router and
 * through NAT; ARP exchanges are tied together by the addresses inside the
 * ARP messages (RFC 826: a reply's target is the request's sender); the
 * two ends of the connection by their 4-tuples, the server's as it saw the
 * client after NAT. */
#include "story_int.h"

#include <strings.h>

#include "inetbox/arp.h"
#include "inetbox/eth.h"
#include "inetbox/ipv4.h"
#include "inetbox/tcp.h"

static struct ib_story_line *missing(struct story_ctx *c, uint8_t step, uint16_t what,
                                     const char *node, ib_ip4 a, uint16_t p)
{
    struct ib_story_line *l = story_line(c, step, what, NULL);
    if (!l) return NULL;
    story_copy(l->node, sizeof(l->node), node);
    l->a[0] = a;
    l->p[0] = p;
    return l;
}

/* ---- step 3: the request frame, layer by layer ---- */

/* The text after "Host:" on a header line (RFC 9112 §3.2), up to CR. */
static void http_host(const uint8_t *p, size_t n, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i + 7 <= n; i++) {
        if (p[i] != '\n' || strncasecmp((const char *)p + i + 1, "Host:", 5) != 0) continue;
        size_t s = i + 6;
        while (s < n && p[s] == ' ')
            s++;
        size_t e = s;
        while (e < n && p[e] != '\r' && p[e] != '\n')
            e++;
        snprintf(out, cap, "%.*s", (int)(e - s), (const char *)p + s);
        return;
    }
}

static void build_lines(struct story_ctx *c, const struct story_rec *r, const struct seg_view *v)
{
    const uint8_t *f = story_bytes(c->st, r);
    struct ib_mac dst, src;
    memcpy(dst.b, f, 6);
    memcpy(src.b, f + 6, 6);
    size_t line_len = 0;
    while (line_len < v->kept && v->payload[line_len] != '\r' && v->payload[line_len] != '\n')
        line_len++;
    char host[IB_STORY_STR];
    http_host(v->payload, v->kept, host, sizeof(host));
    static const uint16_t whats[] = {IB_SW_BUILD_HTTP, IB_SW_BUILD_TCP,  IB_SW_BUILD_IP,
                                     IB_SW_BUILD_ETH,  IB_SW_BUILD_WIRE, IB_SW_BUILD_PICTURE};
    static const uint8_t layers[] = {7, 4, 3, 2, 1, 2};
    const uint32_t http_len = (uint32_t)v->payload_len;
    for (unsigned i = 0; i < IB_ARRAY_LEN(whats); i++) {
        struct ib_story_line *l = story_line(c, IB_STEP_BUILD, whats[i], r);
        if (!l) return;
        l->layer = layers[i];
        l->m[0] = src;
        l->m[1] = dst;
        l->a[0] = v->src;
        l->a[1] = v->dst;
        l->p[0] = v->sport;
        l->p[1] = v->dport;
        l->b[0] = v->ttl;
        l->b[1] = v->proto;
        l->b[2] = v->flags;
        snprintf(l->s[0], sizeof(l->s[0]), "%.*s", (int)line_len, (const char *)v->payload);
        story_copy(l->s[1], sizeof(l->s[1]), host);
        switch (whats[i]) {
        case IB_SW_BUILD_HTTP:
            l->n[0] = http_len;
            break;
        case IB_SW_BUILD_TCP:
            l->n[0] = v->seq;
            l->n[1] = v->ack;
            l->n[2] = v->thl;
            break;
        case IB_SW_BUILD_IP:
            l->n[0] = v->ttl;
            l->n[1] = v->proto;
            l->n[2] = v->ihl;
            break;
        case IB_SW_BUILD_ETH:
            l->n[0] = IB_ETHERTYPE_IP4;
            break;
        case IB_SW_BUILD_WIRE:
            l->n[0] = IB_ETH_HLEN;
            l->n[1] = v->ihl;
            l->n[2] = v->thl;
            l->n[3] = http_len;
            l->n[4] = IB_ETH_HLEN + v->tot_len;
            break;
        default: /* the picture shows every layer */
            l->n[0] = v->seq;
            l->n[1] = v->ack;
            l->n[2] = v->ihl;
            l->n[3] = v->thl;
            l->n[4] = http_len;
            break;
        }
        if (whats[i] == IB_SW_BUILD_ETH && c->gw) {
            struct ib_story_line *note = story_line(c, IB_STEP_BUILD, IB_SW_NOTE_BUILD_MAC, NULL);
            if (!note) return;
            note->m[0] = dst;
            note->a[0] = c->gw;
        }
    }
}

void story_step_build(struct story_ctx *c)
{
    if (!story_connected(c, IB_STEP_BUILD)) return;
    for (uint32_t i = c->open; i < c->st->n; i++) {
        const struct story_rec *r = story_rec(c, i);
        if (r->ev.kind == IB_EV_HTTP && story_is_client(c, r) &&
            r->ev.u.http.what == IB_HTTP_REQUEST_TX) {
            struct ib_story_line *l = story_line(c, IB_STEP_BUILD, IB_SW_HTTP_REQUEST_TX, r);
            if (l) {
                story_copy(l->s[0], sizeof(l->s[0]), story_str(c->st, r, STR_METHOD));
                story_copy(l->s[1], sizeof(l->s[1]), story_str(c->st, r, STR_PATH));
                story_copy(l->s[2], sizeof(l->s[2]), story_str(c->st, r, STR_HOST));
                l->a[0] = r->ev.u.http.peer ? r->ev.u.http.peer : c->server;
                l->p[0] = r->ev.u.http.port ? r->ev.u.http.port : c->port;
            }
            break;
        }
    }
    struct seg_view v;
    if (c->frame == STORY_NONE) {
        missing(c, IB_STEP_BUILD, IB_SW_NO_BUILD, c->st->client, 0, 0);
        return;
    }
    const struct story_rec *r = story_rec(c, c->frame);
    if (!story_seg_view(story_bytes(c->st, r) + IB_ETH_HLEN, r->len - IB_ETH_HLEN, &v))
        return; /* recorded only because it parsed */
    build_lines(c, r, &v);
    story_line(c, IB_STEP_BUILD, IB_SW_NOTE_ENCAP, NULL);
}

/* ---- steps 4 and 7: ARP ---- */

static bool arp_msg(const struct story_ctx *c, const struct story_rec *r, struct ib_arp_msg *m)
{
    return r->len >= IB_ARP_LEN && ib_arp_parse(story_bytes(c->st, r), r->len, m) == 0;
}

static bool is_arp(const struct story_rec *r, enum ib_ev_kind kind, const char *node, ib_ip4 ip)
{
    return r->ev.kind == kind && r->ev.u.arp.ip == ip && (!node || story_at(r, node));
}

struct arp_found {
    uint32_t queue, request, asker, reply, learn;
};

/* The exchange by which `node` resolved `ip` for the journey's datagram,
 * sent (or about to be sent) at record `at`: the request it waited for
 * (ARP_QUEUE), else the last one before; the reply whose target is the
 * request's sender (RFC 826); both sides' cache entries. */
static struct arp_found arp_find(const struct story_ctx *c, const char *node, ib_ip4 ip,
                                 uint32_t journey, uint32_t at)
{
    struct arp_found f = {STORY_NONE, STORY_NONE, STORY_NONE, STORY_NONE, STORY_NONE};
    const struct ib_story *st = c->st;
    for (uint32_t i = at; journey && i < st->n && f.queue == STORY_NONE; i++)
        if (is_arp(story_rec(c, i), IB_EV_ARP_QUEUE, node, ip) &&
            story_rec(c, i)->ev.journey == journey)
            f.queue = i;
    uint32_t from = f.queue == STORY_NONE ? at : f.queue;
    for (uint32_t i = from; f.queue != STORY_NONE && i < st->n; i++)
        if (is_arp(story_rec(c, i), IB_EV_ARP_REQUEST, node, ip)) {
            f.request = i;
            break;
        }
    /* The datagram met an exchange already under way, or none at all. */
    for (uint32_t i = from < st->n ? from : st->n; f.request == STORY_NONE && i-- > 0;)
        if (is_arp(story_rec(c, i), IB_EV_ARP_REQUEST, node, ip)) f.request = i;
    if (f.request == STORY_NONE) return f;
    struct ib_arp_msg req;
    if (!arp_msg(c, story_rec(c, f.request), &req)) return f;
    for (uint32_t i = f.request + 1; i < st->n; i++) {
        const struct story_rec *r = story_rec(c, i);
        struct ib_arp_msg rep;
        if (f.reply == STORY_NONE && is_arp(r, IB_EV_ARP_REPLY, NULL, ip) && arp_msg(c, r, &rep) &&
            rep.tpa == req.spa)
            f.reply = i;
        if (f.learn == STORY_NONE && is_arp(r, IB_EV_ARP_LEARN, node, ip)) f.learn = i;
    }
    if (f.reply != STORY_NONE)
        for (uint32_t i = f.request + 1; i < st->n && f.asker == STORY_NONE; i++)
            if (is_arp(story_rec(c, i), IB_EV_ARP_LEARN, story_rec(c, f.reply)->node, req.spa))
                f.asker = i;
    return f;
}

static void arp_line(struct story_ctx *c, uint8_t step, uint16_t what, uint32_t i)
{
    if (i == STORY_NONE) return;
    const struct story_rec *r = story_rec(c, i);
    struct ib_story_line *l = story_line(c, step, what, r);
    if (!l) return;
    struct ib_arp_msg m;
    l->a[0] = r->ev.u.arp.ip;
    l->m[0] = r->ev.u.arp.mac;
    if (arp_msg(c, r, &m)) {
        l->a[1] = what == IB_SW_ARP_REQUEST ? m.spa : m.tpa;
        if (what == IB_SW_ARP_REQUEST) l->m[0] = m.sha;
    }
    story_copy(l->s[0], sizeof(l->s[0]), r->nif);
}

/* The lines of an exchange in the order things happened. */
static void arp_lines(struct story_ctx *c, uint8_t step, const struct arp_found *f)
{
    const uint32_t idx[] = {f->queue, f->request, f->asker, f->reply, f->learn};
    const uint16_t what[] = {IB_SW_ARP_QUEUE, IB_SW_ARP_REQUEST, IB_SW_ARP_LEARN_ASKER,
                             IB_SW_ARP_REPLY, IB_SW_ARP_LEARN};
    bool done[5] = {false};
    for (unsigned k = 0; k < 5; k++) {
        unsigned best = 5;
        for (unsigned j = 0; j < 5; j++)
            if (!done[j] && idx[j] != STORY_NONE && (best == 5 || idx[j] < idx[best])) best = j;
        if (best == 5) return;
        done[best] = true;
        arp_line(c, step, what[best], idx[best]);
    }
}

void story_step_arp_gateway(struct story_ctx *c)
{
    if (!story_connected(c, IB_STEP_ARP_GATEWAY)) return;
    const char *client = c->st->client;
    uint32_t at = c->syn_tx != STORY_NONE ? c->syn_tx : c->open;
    struct arp_found f = arp_find(c, client, c->gw, c->journey, at);
    if (f.request == STORY_NONE) {
        missing(c, IB_STEP_ARP_GATEWAY, IB_SW_NO_ARP_GATEWAY, client, c->gw, 0);
    } else {
        arp_lines(c, IB_STEP_ARP_GATEWAY, &f);
        if (f.request < c->open) {
            bool dns = c->fetch != STORY_NONE && f.request > c->fetch;
            struct ib_story_line *l =
                story_line(c, IB_STEP_ARP_GATEWAY,
                           dns ? IB_SW_NOTE_ARP_DURING_DNS : IB_SW_NOTE_ARP_EARLIER, NULL);
            if (l) {
                l->t2 = story_rec(c, f.request)->ev.t;
                l->a[0] = c->gw;
            }
        }
    }
    story_line(c, IB_STEP_ARP_GATEWAY, IB_SW_NOTE_ARP, NULL);
}

/* ---- step 5: NAT ---- */

/* RFC 1918 §3: the three blocks reserved for private internets. */
static bool rfc1918(ib_ip4 a)
{
    return (a >> 24) == 10 || (a >> 20) == ((172u << 4) | 1u) || (a >> 16) == ((192u << 8) | 168u);
}

static bool nat_of(const struct story_ctx *c, const struct story_rec *r)
{
    return r->ev.kind == IB_EV_NAT && r->ev.u.nat.proto == IB_IPPROTO_TCP &&
           r->ev.u.nat.in_addr == c->caddr && r->ev.u.nat.in_port == c->cport &&
           (!r->ev.u.nat.peer_addr || r->ev.u.nat.peer_addr == c->server) &&
           (!r->ev.u.nat.peer_port || r->ev.u.nat.peer_port == c->port);
}

void story_step_nat(struct story_ctx *c)
{
    if (!story_connected(c, IB_STEP_NAT)) return;
    uint32_t counts[IB_NAT_EXPIRE + 1] = {0};
    ib_ip4 pub = 0;
    for (uint32_t i = c->open; i < c->st->n; i++) {
        const struct story_rec *r = story_rec(c, i);
        uint8_t what = r->ev.u.nat.what;
        if (!nat_of(c, r) || what > IB_NAT_EXPIRE || what == IB_NAT_ICMP_ERR) continue;
        pub = r->ev.u.nat.pub_addr;
        if (counts[what]++) continue; /* one line per kind; the rest are counted */
        static const uint16_t whats[] = {[IB_NAT_MAP] = IB_SW_NAT_MAP,
                                         [IB_NAT_OUT] = IB_SW_NAT_OUT,
                                         [IB_NAT_IN] = IB_SW_NAT_IN,
                                         [IB_NAT_EXPIRE] = IB_SW_NAT_EXPIRE};
        struct ib_story_line *l = story_line(c, IB_STEP_NAT, whats[what], r);
        if (!l) return;
        l->a[0] = r->ev.u.nat.in_addr;
        l->p[0] = r->ev.u.nat.in_port;
        l->a[1] = r->ev.u.nat.pub_addr;
        l->p[1] = r->ev.u.nat.pub_port;
        l->a[2] = r->ev.u.nat.peer_addr ? r->ev.u.nat.peer_addr : c->server;
        l->p[2] = r->ev.u.nat.peer_port ? r->ev.u.nat.peer_port : c->port;
    }
    if (!pub) {
        missing(c, IB_STEP_NAT, IB_SW_NO_NAT, c->st->client, c->caddr, c->cport);
        return;
    }
    struct ib_story_line *l;
    if (counts[IB_NAT_OUT] + counts[IB_NAT_IN] > 2 &&
        (l = story_line(c, IB_STEP_NAT, IB_SW_NOTE_NAT_COUNT, NULL))) {
        l->n[0] = counts[IB_NAT_OUT];
        l->n[1] = counts[IB_NAT_IN];
    }
    if (rfc1918(c->caddr) && (l = story_line(c, IB_STEP_NAT, IB_SW_NOTE_PRIVATE, NULL))) {
        l->a[0] = c->caddr;
        l->a[1] = pub;
    }
}

/* ---- steps 6 and 7: the SYN's hops, and ARP at the last one ---- */

static uint8_t ttl_of(const struct story_ctx *c, const struct story_rec *r)
{
    return r->len >= IB_IP4_HLEN ? story_bytes(c->st, r)[8] : 0;
}

static void hop_line(struct story_ctx *c, const struct story_rec *r)
{
    const ib_ip4 gw = r->ev.u.route.gateway;
    uint16_t what = !gw                       ? IB_SW_ROUTE_HOP_DIRECT
                    : r->ev.u.route.plen == 0 ? IB_SW_ROUTE_HOP_DEFAULT
                                              : IB_SW_ROUTE_HOP;
    struct ib_story_line *l = story_line(c, IB_STEP_ROUTING, what, r);
    if (!l) return;
    l->a[0] = r->ev.u.route.prefix;
    l->b[0] = r->ev.u.route.plen;
    l->a[1] = gw ? gw : r->ev.u.route.dst;
    l->n[0] = ttl_of(c, r);
    story_copy(l->s[0], sizeof(l->s[0]), r->out);
    story_copy(l->s[1], sizeof(l->s[1]), r->nif);
}

void story_step_routing(struct story_ctx *c)
{
    if (!story_connected(c, IB_STEP_ROUTING)) return;
    if (c->syn_tx == STORY_NONE) {
        missing(c, IB_STEP_ROUTING, IB_SW_NO_ROUTING, c->st->client, c->server, c->port);
        return;
    }
    const struct story_rec *tx = story_rec(c, c->syn_tx);
    struct ib_story_line *l =
        story_line(c, IB_STEP_ROUTING, c->gw ? IB_SW_ROUTE_SEND : IB_SW_ROUTE_SEND_DIRECT, tx);
    if (l) {
        l->a[0] = c->caddr;
        l->a[1] = c->server;
        l->a[2] = c->gw;
        l->n[0] = ttl_of(c, tx);
        story_copy(l->s[0], sizeof(l->s[0]), tx->nif);
    }
    uint32_t hops = 0;
    for (uint32_t i = c->syn_tx + 1; i < c->st->n; i++) {
        const struct story_rec *r = story_rec(c, i);
        if (r->ev.journey != c->journey) continue;
        if (r->ev.kind == IB_EV_IP_FORWARD) {
            hops++;
            hop_line(c, r);
        } else if (r->ev.kind == IB_EV_DROP) {
            l = story_line(c, IB_STEP_ROUTING, IB_SW_ROUTE_DROP, r);
            if (l) {
                story_copy(l->s[0], sizeof(l->s[0]), ib_drop_name(r->ev.reason));
                story_copy(l->s[1], sizeof(l->s[1]), ib_drop_str(r->ev.reason));
            }
        } else if (i == c->syn_rx) {
            l = story_line(c, IB_STEP_ROUTING, IB_SW_ROUTE_ARRIVE, r);
            if (l) {
                l->a[0] = c->server;
                l->n[0] = hops;
                l->n[1] = ttl_of(c, tx);
                l->n[2] = ttl_of(c, r);
                story_copy(l->s[0], sizeof(l->s[0]), r->nif);
            }
            break;
        }
    }
    if (!hops)
        missing(c, IB_STEP_ROUTING, IB_SW_NO_ROUTING, c->st->client, c->server, c->port);
    else if ((l = story_line(c, IB_STEP_ROUTING, IB_SW_NOTE_ROUTING, NULL)))
        l->n[0] = hops;
}

void story_step_arp_last_hop(struct story_ctx *c)
{
    if (!story_connected(c, IB_STEP_ARP_LAST_HOP)) return;
    uint32_t last = STORY_NONE;
    for (uint32_t i = c->syn_tx == STORY_NONE ? c->st->n : c->syn_tx; i < c->st->n; i++) {
        const struct story_rec *r = story_rec(c, i);
        if (r->ev.kind == IB_EV_IP_FORWARD && r->ev.journey == c->journey) last = i;
    }
    if (last == STORY_NONE) {
        missing(c, IB_STEP_ARP_LAST_HOP, IB_SW_NO_LAST_HOP, c->st->client, c->server, 0);
        return;
    }
    const struct story_rec *hop = story_rec(c, last);
    ib_ip4 nh = hop->ev.u.route.gateway ? hop->ev.u.route.gateway : hop->ev.u.route.dst;
    struct arp_found f = arp_find(c, hop->node, nh, c->journey, last);
    if (f.request == STORY_NONE) {
        struct ib_story_line *l =
            missing(c, IB_STEP_ARP_LAST_HOP, IB_SW_NO_ARP_LAST_HOP, hop->node, nh, 0);
        /* The server by its name; a router on the way by its address. */
        char a[IB_IP4_STRLEN];
        if (l)
            story_copy(l->s[0], sizeof(l->s[0]),
                       nh == c->server && c->server_node[0] ? c->server_node : ib_ip4_str(nh, a));
    } else {
        arp_lines(c, IB_STEP_ARP_LAST_HOP, &f);
        struct ib_story_line *l;
        if (f.request < last &&
            (l = story_line(c, IB_STEP_ARP_LAST_HOP, IB_SW_NOTE_ARP_LAST_EARLIER, NULL))) {
            story_copy(l->node, sizeof(l->node), hop->node);
            l->t2 = story_rec(c, f.request)->ev.t;
            l->a[0] = nh;
        }
    }
    story_line(c, IB_STEP_ARP_LAST_HOP, IB_SW_NOTE_ARP_LAST, NULL);
}

/* ---- steps 8 and 10: both ends of the connection ---- */

static uint16_t tcp_what(const struct story_rec *r)
{
    uint8_t o = r->ev.u.tcp.old_state, n = r->ev.u.tcp.new_state;
    if (o == IB_TCP_CLOSED && n == IB_TCP_SYN_SENT) return IB_SW_TCP_CONNECT;
    if (o == IB_TCP_LISTEN && n == IB_TCP_SYN_RECEIVED) return IB_SW_TCP_LISTEN_SYN;
    if (o == IB_TCP_SYN_SENT && n == IB_TCP_ESTABLISHED) return IB_SW_TCP_CLIENT_ESTABLISHED;
    if (o == IB_TCP_SYN_RECEIVED && n == IB_TCP_ESTABLISHED) return IB_SW_TCP_SERVER_ESTABLISHED;
    if (o == IB_TCP_ESTABLISHED && n == IB_TCP_FIN_WAIT_1) return IB_SW_TCP_FIN_WAIT_1;
    if (o == IB_TCP_FIN_WAIT_1 && n == IB_TCP_FIN_WAIT_2) return IB_SW_TCP_FIN_WAIT_2;
    if (o == IB_TCP_ESTABLISHED && n == IB_TCP_CLOSE_WAIT) return IB_SW_TCP_CLOSE_WAIT;
    if (o == IB_TCP_CLOSE_WAIT && n == IB_TCP_LAST_ACK) return IB_SW_TCP_LAST_ACK;
    if (o == IB_TCP_FIN_WAIT_1 && n == IB_TCP_CLOSING) return IB_SW_TCP_CLOSING;
    if (n == IB_TCP_TIME_WAIT && r->ev.u.tcp.cause == IB_TCP_CAUSE_SEGMENT)
        return IB_SW_TCP_TIME_WAIT;
    if (o == IB_TCP_LAST_ACK && n == IB_TCP_CLOSED && r->ev.u.tcp.cause == IB_TCP_CAUSE_SEGMENT)
        return IB_SW_TCP_LAST_ACK_CLOSED;
    if (o == IB_TCP_TIME_WAIT && n == IB_TCP_CLOSED && r->ev.u.tcp.cause == IB_TCP_CAUSE_TIME_WAIT)
        return IB_SW_TCP_TIME_WAIT_CLOSED;
    return r->ev.u.tcp.cause == IB_TCP_CAUSE_SEGMENT ? IB_SW_TCP_STATE_SEGMENT
                                                     : IB_SW_TCP_STATE_OTHER;
}

/* 0: the client's end, 1: the server's, -1: neither. */
static int tcp_side(const struct story_ctx *c, const struct story_rec *r)
{
    if (r->ev.kind != IB_EV_TCP_STATE) return -1;
    const ib_ip4 la = r->ev.u.tcp.laddr, ra = r->ev.u.tcp.raddr;
    const uint16_t lp = r->ev.u.tcp.lport, rp = r->ev.u.tcp.rport;
    if (story_is_client(c, r) && la == c->caddr && lp == c->cport && ra == c->server &&
        rp == c->port)
        return 0;
    if (c->server_node[0] && story_at(r, c->server_node) && (la == c->server || !la) &&
        lp == c->port && ra == c->seen_addr && rp == c->seen_port)
        return 1;
    return -1;
}

/* Before ESTABLISHED it is the opening; from there on, the close. */
static uint8_t tcp_step(uint8_t old_state)
{
    return old_state <= IB_TCP_SYN_RECEIVED ? IB_STEP_HANDSHAKE : IB_STEP_CLOSE;
}

struct tcp_walk {
    bool closed[2];
    uint32_t time_wait[2]; /* the record that entered TIME_WAIT */
    ib_time msl2;          /* TIME_WAIT's length, when it ended */
    unsigned lines[IB_STEP_COUNT + 1];
};

static void tcp_line(struct story_ctx *c, struct tcp_walk *w, const struct story_rec *r, int side)
{
    uint16_t what = tcp_what(r);
    uint8_t step = tcp_step(r->ev.u.tcp.old_state);
    struct ib_story_line *l = story_line(c, step, what, r);
    if (!l) return;
    w->lines[step]++;
    l->a[0] = r->ev.u.tcp.laddr;
    l->p[0] = r->ev.u.tcp.lport;
    l->a[1] = r->ev.u.tcp.raddr;
    l->p[1] = r->ev.u.tcp.rport;
    l->b[0] = r->ev.u.tcp.old_state;
    l->b[1] = r->ev.u.tcp.new_state;
    l->b[2] = r->ev.u.tcp.flags;
    l->b[3] = r->ev.u.tcp.cause;
    l->n[0] = r->ev.u.tcp.seq;
    l->n[1] = r->ev.u.tcp.ack;
    l->n[2] = r->ev.u.tcp.seq + 1; /* RFC 9293 §3.4: a SYN or FIN takes one sequence number */
    struct seg_view v;
    if (what == IB_SW_TCP_CONNECT && c->syn_tx != STORY_NONE &&
        story_seg_of(c, story_rec(c, c->syn_tx), &v)) {
        l->n[0] = v.seq;
        l->b[2] = v.flags;
    }
    if (r->ev.u.tcp.new_state == IB_TCP_TIME_WAIT) w->time_wait[side] = (uint32_t)(r - c->st->recs);
    if (what == IB_SW_TCP_TIME_WAIT_CLOSED && w->time_wait[side] != STORY_NONE) {
        l->dt = r->ev.t - story_rec(c, w->time_wait[side])->ev.t;
        w->msl2 = l->dt;
    }
    if (r->ev.u.tcp.new_state == IB_TCP_CLOSED) w->closed[side] = true;
}

void story_step_tcp(struct story_ctx *c)
{
    if (c->open == STORY_NONE) {
        story_connected(c, IB_STEP_HANDSHAKE);
        story_connected(c, IB_STEP_CLOSE);
        return;
    }
    struct tcp_walk w = {.time_wait = {STORY_NONE, STORY_NONE}};
    for (uint32_t i = c->open; i < c->st->n && !(w.closed[0] && w.closed[1]); i++) {
        const struct story_rec *r = story_rec(c, i);
        int side = tcp_side(c, r);
        if (side >= 0 && !w.closed[side]) tcp_line(c, &w, r, side);
    }
    for (int side = 0; side < 2; side++) {
        if (w.time_wait[side] == STORY_NONE || w.closed[side]) continue;
        story_line(c, IB_STEP_CLOSE, IB_SW_TCP_TIME_WAIT_LEFT, story_rec(c, w.time_wait[side]));
        w.lines[IB_STEP_CLOSE]++;
    }
    if (w.lines[IB_STEP_HANDSHAKE])
        story_line(c, IB_STEP_HANDSHAKE, IB_SW_NOTE_HANDSHAKE, NULL);
    else
        missing(c, IB_STEP_HANDSHAKE, IB_SW_NO_HANDSHAKE, c->st->client, c->server, c->port);
    struct ib_story_line *l;
    if (!w.lines[IB_STEP_CLOSE])
        missing(c, IB_STEP_CLOSE, IB_SW_NO_CLOSE, c->st->client, 0, 0);
    else if (w.msl2 && (l = story_line(c, IB_STEP_CLOSE, IB_SW_NOTE_TIME_WAIT, NULL)))
        l->dt = w.msl2;
    else if (w.time_wait[0] != STORY_NONE || w.time_wait[1] != STORY_NONE)
        story_line(c, IB_STEP_CLOSE, IB_SW_NOTE_TIME_WAIT_RULE, NULL);
}

/* The application-layer steps of the story: DHCP (step 1), DNS (step 2)
 * and the server's side with HTTP (step 9).
 *
 * DHCP messages belong to the client by its transaction id (RFC 2131 §2:
 * "xid ... used by the client and server to associate messages and
 * responses"). DNS messages belong to the lookup by question and id (RFC
 * 1035 §4.1.1: the id "is copied [into] the corresponding reply"): the
 * stub's query leads to the resolver that received it, whose own queries
 * lead to the authorities that answered them. */
#include "story_int.h"

#include <stdlib.h>
#include <strings.h>

#include "inetbox/dhcp.h"
#include "inetbox/http.h"
#include "inetbox/ipv4.h"

#define MAX_XIDS 16u
#define MAX_KEYS 64u

static bool is_dhcp_of(const struct story_ctx *c, const struct story_rec *r, const uint32_t *xids,
                       unsigned n)
{
    if (r->ev.kind != IB_EV_DHCP) return false;
    if (story_is_client(c, r)) return true;
    for (unsigned i = 0; i < n; i++)
        if (xids[i] == r->ev.u.dhcp.xid) return true;
    return false;
}

static uint16_t dhcp_what(const struct story_rec *r)
{
    static const uint16_t tx[] = {
        [IB_DHCPDISCOVER] = IB_SW_DHCP_DISCOVER_TX,
        [IB_DHCPOFFER] = IB_SW_DHCP_OFFER_TX,
        [IB_DHCPREQUEST] = IB_SW_DHCP_REQUEST_TX,
        [IB_DHCPACK] = IB_SW_DHCP_ACK_TX,
    };
    bool send = r->ev.u.dhcp.what == IB_DHCP_TX;
    uint8_t m = r->ev.u.dhcp.msg;
    switch (r->ev.u.dhcp.what) {
    case IB_DHCP_BOUND:
    case IB_DHCP_RENEWED:
        return IB_SW_DHCP_BOUND;
    case IB_DHCP_LOST:
        return IB_SW_DHCP_LOST;
    default:
        if (m < IB_ARRAY_LEN(tx) && tx[m])
            return (uint16_t)(tx[m] + (send ? 0 : 1)); /* each _RX follows its _TX */
        return send ? IB_SW_DHCP_OTHER_TX : IB_SW_DHCP_OTHER_RX;
    }
}

void story_step_dhcp(struct story_ctx *c)
{
    const struct ib_story *st = c->st;
    uint32_t end = st->n;
    for (uint32_t i = 0; i < st->n && end == st->n; i++) {
        const struct story_rec *r = story_rec(c, i);
        if (r->ev.kind == IB_EV_DHCP && story_is_client(c, r) && r->ev.u.dhcp.what == IB_DHCP_BOUND)
            end = i + 1;
    }
    uint32_t xids[MAX_XIDS];
    unsigned nx = 0;
    for (uint32_t i = 0; i < end && nx < MAX_XIDS; i++) {
        const struct story_rec *r = story_rec(c, i);
        if (r->ev.kind == IB_EV_DHCP && story_is_client(c, r) && r->ev.u.dhcp.what == IB_DHCP_TX)
            xids[nx++] = r->ev.u.dhcp.xid;
    }
    ib_ip4 offered = 0;
    bool any = false;
    for (uint32_t i = 0; i < end; i++) {
        const struct story_rec *r = story_rec(c, i);
        if (!is_dhcp_of(c, r, xids, nx)) continue;
        struct ib_story_line *l = story_line(c, IB_STEP_DHCP, dhcp_what(r), r);
        if (!l) return;
        any = true;
        l->b[0] = r->ev.u.dhcp.msg;
        l->b[1] = r->ev.u.dhcp.plen;
        l->n[0] = r->ev.u.dhcp.xid;
        l->n[1] = r->ev.u.dhcp.lease_s;
        l->m[0] = r->ev.u.dhcp.chaddr;
        l->a[1] = r->ev.u.dhcp.server;
        l->a[2] = r->ev.u.dhcp.dns;
        l->a[3] = r->ev.u.dhcp.router;
        story_copy(l->s[0], sizeof(l->s[0]), r->nif);
        if (r->ev.u.dhcp.msg == IB_DHCPOFFER && r->ev.u.dhcp.yiaddr) offered = r->ev.u.dhcp.yiaddr;
        /* RFC 2131 §4.3.2: a REQUEST names its address in an option,
         * not in yiaddr; it is the offered one (or ciaddr when renewing). */
        l->a[0] = r->ev.u.dhcp.yiaddr ? r->ev.u.dhcp.yiaddr
                                      : (r->ev.u.dhcp.ciaddr ? r->ev.u.dhcp.ciaddr : offered);
    }
    struct ib_story_line *l =
        story_line(c, IB_STEP_DHCP, any ? IB_SW_NOTE_DHCP : IB_SW_NO_DHCP, NULL);
    if (l) story_copy(l->node, sizeof(l->node), st->client);
}

/* ---- DNS ---- */

struct dns_key {
    uint32_t qname; /* arena offset */
    uint16_t id;
};

struct dns_walk {
    struct story_ctx *c;
    uint32_t from, end; /* records [from, end) */
    uint8_t *mark;
    struct dns_key keys[MAX_KEYS];
    unsigned nkeys;
};

static const char *qname(const struct story_ctx *c, const struct story_rec *r)
{
    return story_str(c->st, r, STR_QNAME);
}

static bool same_key(const struct story_ctx *c, const struct story_rec *r, const struct dns_key *k)
{
    return r->ev.u.dns.id == k->id &&
           strcasecmp(qname(c, r), (const char *)c->st->arena + k->qname) == 0;
}

static void add_key(struct dns_walk *w, const struct story_rec *r)
{
    for (unsigned i = 0; i < w->nkeys; i++)
        if (same_key(w->c, r, &w->keys[i])) return;
    if (w->nkeys < MAX_KEYS)
        w->keys[w->nkeys++] = (struct dns_key){r->str[STR_QNAME], r->ev.u.dns.id};
}

static bool is_dns(const struct story_rec *r, uint8_t what)
{
    return r->ev.kind == IB_EV_DNS && r->ev.u.dns.what == what;
}

/* A server that received query k: the query, its response, and what the
 * server did in between (its own queries become keys in turn). */
static void walk_key(struct dns_walk *w, const struct dns_key *k)
{
    struct story_ctx *c = w->c;
    for (uint32_t i = w->from; i < w->end; i++) {
        const struct story_rec *q = story_rec(c, i);
        if (!is_dns(q, IB_DNS_QUERY_RX) || story_is_client(c, q) || !same_key(c, q, k)) continue;
        uint32_t j = i + 1;
        while (j < w->end &&
               !(is_dns(story_rec(c, j), IB_DNS_RESPONSE_TX) &&
                 story_at(story_rec(c, j), q->node) && same_key(c, story_rec(c, j), k)))
            j++;
        w->mark[i] = 1;
        if (j < w->end) w->mark[j] = 1;
        for (uint32_t m = i + 1; m < j && m < w->end; m++) {
            const struct story_rec *r = story_rec(c, m);
            if (r->ev.kind != IB_EV_DNS || !story_at(r, q->node) ||
                r->ev.u.dns.what == IB_DNS_QUERY_RX || r->ev.u.dns.what == IB_DNS_RESPONSE_TX)
                continue;
            w->mark[m] = 1;
            if (r->ev.u.dns.what == IB_DNS_QUERY_TX) add_key(w, r);
        }
    }
}

/* A response's kind in words every reader of DNS knows. */
static void dns_kind(const struct story_rec *r, char *buf, size_t cap)
{
    static const char *const kinds[] = {
        [IB_DNS_KIND_NONE] = "no answer",           [IB_DNS_KIND_ANSWER] = "ANSWER",
        [IB_DNS_KIND_REFERRAL] = "REFERRAL",        [IB_DNS_KIND_CNAME] = "CNAME",
        [IB_DNS_KIND_NXDOMAIN] = "NXDOMAIN",        [IB_DNS_KIND_NODATA] = "NODATA",
        [IB_DNS_KIND_TRUNCATED] = "TC (truncated)",
    };
    /* RFC 1035 §4.1.1 RCODE values. */
    static const char *const rcodes[] = {"NOERROR",  "FORMERR", "SERVFAIL",
                                         "NXDOMAIN", "NOTIMP",  "REFUSED"};
    uint8_t k = r->ev.u.dns.kind, rc = r->ev.u.dns.rcode;
    if (k == IB_DNS_KIND_ERROR)
        snprintf(buf, cap, "%s", rc && rc < IB_ARRAY_LEN(rcodes) ? rcodes[rc] : "ERROR");
    else
        snprintf(buf, cap, "%s", k < IB_ARRAY_LEN(kinds) && kinds[k] ? kinds[k] : "?");
}

static void dns_name(char *dst, const char *name)
{
    story_copy(dst, IB_STORY_STR, *name ? name : "."); /* "" is the root */
}

static uint16_t dns_line_what(const struct story_ctx *c, const struct story_rec *r)
{
    bool client = story_is_client(c, r);
    uint8_t k = r->ev.u.dns.kind;
    switch (r->ev.u.dns.what) {
    case IB_DNS_QUERY_TX:
        if (!client) return IB_SW_DNS_QUERY_TX;
        return c->dhcp_dns && r->ev.u.dns.server == c->dhcp_dns ? IB_SW_DNS_STUB_QUERY_DHCP
                                                                : IB_SW_DNS_STUB_QUERY;
    case IB_DNS_QUERY_RX:
        return IB_SW_DNS_QUERY_RX;
    case IB_DNS_RESPONSE_TX:
        return k == IB_DNS_KIND_ANSWER     ? IB_SW_DNS_ANSWER_TX
               : k == IB_DNS_KIND_REFERRAL ? IB_SW_DNS_REFERRAL_TX
                                           : IB_SW_DNS_OTHER_TX;
    case IB_DNS_RESPONSE_RX:
        return k == IB_DNS_KIND_ANSWER     ? IB_SW_DNS_ANSWER_RX
               : k == IB_DNS_KIND_REFERRAL ? IB_SW_DNS_REFERRAL_RX
                                           : IB_SW_DNS_OTHER_RX;
    case IB_DNS_CACHE_HIT:
        return k == IB_DNS_KIND_REFERRAL ? IB_SW_DNS_CACHE_REFERRAL : IB_SW_DNS_CACHE_HIT;
    default:
        if (!client) return IB_SW_DNS_RESOLVER_DONE;
        return k == IB_DNS_KIND_ANSWER ? IB_SW_DNS_RESOLVED : IB_SW_DNS_FAILED;
    }
}

static void dns_line(struct story_ctx *c, const struct story_rec *r)
{
    const struct ib_story *st = c->st;
    struct ib_story_line *l = story_line(c, IB_STEP_DNS, dns_line_what(c, r), r);
    if (!l) return;
    dns_name(l->s[0], qname(c, r));
    if (r->ev.u.dns.kind == IB_DNS_KIND_REFERRAL) {
        dns_name(l->s[1], story_str(st, r, STR_ZONE));
        story_copy(l->s[2], sizeof(l->s[2]), story_str(st, r, STR_NS));
    } else if (r->ev.u.dns.kind != IB_DNS_KIND_ANSWER) {
        dns_kind(r, l->s[1], sizeof(l->s[1]));
    }
    l->a[0] = r->ev.u.dns.server;
    l->a[1] = r->ev.u.dns.addr;
    l->n[0] = r->ev.u.dns.id;
    l->n[1] = r->ev.u.dns.ttl;
    l->n[2] = r->ev.u.dns.qtype;
}

/* Appends "addr (zone)" to the chain text. */
static void chain_add(char *s, size_t cap, ib_ip4 server, const char *zone)
{
    char a[IB_IP4_STRLEN];
    size_t n = strlen(s);
    snprintf(s + n, cap - n, "%s%s%s%s%s", n ? " -> " : "", ib_ip4_str(server, a), zone ? " (" : "",
             zone ? zone : "", zone ? ")" : "");
}

/* The zone above a zone: "google.com" -> "com", "com" -> ".". */
static const char *parent_zone(const char *zone)
{
    const char *dot = strchr(zone, '.');
    return dot && dot[1] ? dot + 1 : ".";
}

/* "198.41.0.4 (.) -> 192.5.6.30 (com) -> 216.239.32.10 (google.com) ->
 * 142.250.196.100": whom the resolver asked about the host, each server
 * labelled with the zone it serves, as the referrals showed. Returns the
 * record of the last response, or STORY_NONE for less than a chain. */
static uint32_t dns_chain(const struct story_ctx *c, const struct dns_walk *w, char *chain)
{
    const char *zone = NULL;
    uint32_t last = STORY_NONE;
    unsigned hops = 0;
    chain[0] = '\0';
    for (uint32_t i = w->from; i < w->end; i++) {
        const struct story_rec *r = story_rec(c, i);
        if (!w->mark[i] || !is_dns(r, IB_DNS_RESPONSE_RX) || story_is_client(c, r) ||
            strcasecmp(qname(c, r), c->host) != 0)
            continue;
        const char *rz = story_str(c->st, r, STR_ZONE);
        bool referral = r->ev.u.dns.kind == IB_DNS_KIND_REFERRAL;
        if (last == STORY_NONE && referral) zone = parent_zone(rz);
        chain_add(chain, IB_STORY_STR, r->ev.u.dns.server, zone);
        zone = referral ? (*rz ? rz : ".") : NULL;
        last = i;
        hops++;
    }
    if (hops < 2) return STORY_NONE;
    const struct story_rec *r = story_rec(c, last);
    if (r->ev.u.dns.kind == IB_DNS_KIND_ANSWER)
        chain_add(chain, IB_STORY_STR, r->ev.u.dns.addr, NULL);
    return last;
}

void story_step_dns(struct story_ctx *c)
{
    const struct ib_story *st = c->st;
    struct dns_walk w = {.c = c, .from = c->fetch == STORY_NONE ? 0 : c->fetch, .end = st->n};
    for (uint32_t i = w.from; i < st->n; i++) {
        const struct story_rec *r = story_rec(c, i);
        if (is_dns(r, IB_DNS_RESOLVED) && story_is_client(c, r) &&
            strcasecmp(qname(c, r), c->host) == 0) {
            w.end = i + 1;
            break;
        }
    }
    w.mark = calloc(st->n ? st->n : 1, 1);
    if (!w.mark) {
        c->st->nomem = true;
        return;
    }
    if (c->fetch != STORY_NONE) w.mark[c->fetch] = 1;
    bool lookup = false;
    for (uint32_t i = w.from; i < w.end; i++) {
        const struct story_rec *r = story_rec(c, i);
        if (r->ev.kind == IB_EV_DNS && story_is_client(c, r) &&
            strcasecmp(qname(c, r), c->host) == 0) {
            w.mark[i] = 1;
            lookup = true;
            if (r->ev.u.dns.what == IB_DNS_QUERY_TX) add_key(&w, r);
        }
    }
    for (unsigned k = 0; k < w.nkeys; k++)
        walk_key(&w, &w.keys[k]);
    char chain[IB_STORY_STR];
    uint32_t chain_at = dns_chain(c, &w, chain);
    for (uint32_t i = w.from; i < w.end; i++) {
        const struct story_rec *r = story_rec(c, i);
        if (!w.mark[i]) continue;
        if (r->ev.kind == IB_EV_DNS) {
            dns_line(c, r);
        } else {
            struct ib_story_line *l = story_line(c, IB_STEP_DNS, IB_SW_FETCH_START, r);
            if (l) {
                story_copy(l->s[0], sizeof(l->s[0]), story_str(st, r, STR_URL));
                story_copy(l->s[1], sizeof(l->s[1]), c->host);
            }
        }
        struct ib_story_line *l;
        if (i == chain_at && (l = story_line(c, IB_STEP_DNS, IB_SW_DNS_CHAIN, r)))
            story_copy(l->s[0], sizeof(l->s[0]), chain);
    }
    free(w.mark);
    ib_ip4 literal;
    uint16_t what = lookup                                          ? IB_SW_NOTE_DNS
                    : ib_ip4_from_str(c->host, &literal, NULL) == 0 ? IB_SW_NO_DNS_LITERAL
                                                                    : IB_SW_NO_DNS;
    struct ib_story_line *l = story_line(c, IB_STEP_DNS, what, NULL);
    if (l) story_copy(l->s[0], sizeof(l->s[0]), c->host);
}

/* ---- step 9: the server ---- */

/* The first HTTP event `what` at node from record `from` on, with that peer
 * (the other end as this node sees it) unless peer is 0. */
static uint32_t http_event(const struct story_ctx *c, const char *node, uint8_t what, uint32_t from,
                           ib_ip4 peer, uint16_t port)
{
    for (uint32_t i = from; i < c->st->n; i++) {
        const struct story_rec *r = story_rec(c, i);
        if (r->ev.kind == IB_EV_HTTP && r->ev.u.http.what == what && story_at(r, node) &&
            (!peer || !r->ev.u.http.peer ||
             (r->ev.u.http.peer == peer && r->ev.u.http.port == port)))
            return i;
    }
    return STORY_NONE;
}

static void http_line(struct story_ctx *c, uint16_t what, uint32_t i)
{
    if (i == STORY_NONE) return;
    const struct story_rec *r = story_rec(c, i);
    struct ib_story_line *l = story_line(c, IB_STEP_SERVER, what, r);
    if (!l) return;
    const struct ib_story *st = c->st;
    story_copy(l->s[0], sizeof(l->s[0]), story_str(st, r, STR_METHOD));
    story_copy(l->s[1], sizeof(l->s[1]), story_str(st, r, STR_PATH));
    story_copy(l->s[2], sizeof(l->s[2]), story_str(st, r, STR_HOST));
    if (what == IB_SW_HTTP_RESPONSE_TX || what == IB_SW_HTTP_RESPONSE_RX ||
        what == IB_SW_FETCH_DONE) {
        const char *reason = ib_http_reason(r->ev.u.http.status);
        story_copy(l->s[what == IB_SW_FETCH_DONE ? 1 : 0], IB_STORY_STR, reason ? reason : "");
    }
    if (what == IB_SW_FETCH_DONE || what == IB_SW_FETCH_FAILED)
        story_copy(l->s[0], sizeof(l->s[0]), story_str(st, r, STR_URL));
    l->n[0] = r->ev.u.http.status;
    l->n[1] = (uint32_t)(r->ev.u.http.len > UINT32_MAX ? UINT32_MAX : r->ev.u.http.len);
    l->n[3] = (uint32_t)-r->ev.u.http.err;
    if (c->fetch != STORY_NONE) l->dt = r->ev.t - story_rec(c, c->fetch)->ev.t;
}

/* The server's side: IP delivers the request to the host, the port leads
 * to the listening process, HTTP reads it and answers. */
static bool server_side(struct story_ctx *c)
{
    if (c->open == STORY_NONE || !c->server_node[0]) return false;
    uint32_t rx = STORY_NONE;
    if (c->frame != STORY_NONE)
        rx = story_delivery(c, story_rec(c, c->frame)->ev.journey, c->frame);
    if (rx == STORY_NONE) rx = c->syn_rx;
    struct seg_view v;
    if (rx != STORY_NONE && story_seg_of(c, story_rec(c, rx), &v)) {
        const struct story_rec *r = story_rec(c, rx);
        struct ib_story_line *l = story_line(c, IB_STEP_SERVER, IB_SW_SERVER_IP_RX, r);
        if (l) {
            l->a[0] = v.dst;
            l->a[1] = v.src;
            l->n[0] = v.proto;
            story_copy(l->s[0], sizeof(l->s[0]), r->nif);
        }
        l = story_line(c, IB_STEP_SERVER, IB_SW_SERVER_PORT, r);
        if (l) {
            l->layer = 4;
            l->p[0] = v.dport;
            l->a[0] = v.src;
            l->p[1] = v.sport;
        }
    }
    const char *srv = c->server_node;
    uint32_t req = http_event(c, srv, IB_HTTP_REQUEST_RX, c->open, c->seen_addr, c->seen_port);
    uint32_t from = req == STORY_NONE ? c->open : req;
    http_line(c, IB_SW_HTTP_REQUEST_RX, req);
    http_line(c, IB_SW_HTTP_RESPONSE_TX,
              http_event(c, srv, IB_HTTP_RESPONSE_TX, from, c->seen_addr, c->seen_port));
    return rx != STORY_NONE || req != STORY_NONE;
}

void story_step_server(struct story_ctx *c)
{
    bool seen = server_side(c);
    if (c->open != STORY_NONE)
        http_line(c, IB_SW_HTTP_RESPONSE_RX,
                  http_event(c, c->st->client, IB_HTTP_RESPONSE_RX, c->open, c->server, c->port));
    if (c->done != STORY_NONE)
        http_line(c, story_rec(c, c->done)->ev.u.http.err ? IB_SW_FETCH_FAILED : IB_SW_FETCH_DONE,
                  c->done);
    if (story_connected(c, IB_STEP_SERVER))
        story_line(c, IB_STEP_SERVER, seen ? IB_SW_NOTE_DEMUX : IB_SW_NO_SERVER, NULL);
}

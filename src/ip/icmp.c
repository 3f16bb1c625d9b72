/* ICMP for IPv4 (RFC 792; RFC 1122 §3.2.2 for hosts, RFC 1812 §4.3 for
 * routers): echo request and reply, the errors this stack sends on behalf of
 * IP and UDP (destination unreachable, time exceeded) with the rules that
 * stop error storms and a token-bucket rate limit, and delivery of received
 * errors to the endpoint whose datagram they quote.
 *
 * An echo request is answered in its own buffer: the type byte changes and
 * IP pushes a new header over the old one, so a reply costs no allocation
 * and no copy. */
#include "inetbox/icmp.h"

#include "inetbox/cksum.h"
#include "inetbox/stack.h"

/* Linux's global ICMP limit (net.ipv4.icmp_msgs_per_sec = 1000,
 * icmp_msgs_burst = 50): a traceroute's three probes per hop and a ping
 * storm's port unreachables pass, a flood of bad datagrams gets at most one
 * error per millisecond. */
const struct ib_icmp_config ib_icmp_defaults = {.rate = 1000, .burst = 50};

/* RFC 1812 §4.3.2.3: an error quotes as much of the original datagram as
 * fits in 576 bytes with our own 20-byte IP header and 8-byte ICMP header. */
#define ICMP_ERR_MAX 576u
#define ICMP_QUOTE_MAX (ICMP_ERR_MAX - IB_IP4_HLEN - IB_ICMP_HLEN)

int ib_icmp_parse(const uint8_t *b, size_t len, struct ib_icmp_hdr *h)
{
    if (len < IB_ICMP_HLEN)
        return IB_DROP_ICMP_TRUNCATED;
    /* RFC 792: the checksum covers the whole ICMP message. */
    if (ib_csum(b, len) != 0)
        return IB_DROP_ICMP_BAD_CHECKSUM;
    h->type = b[0];
    h->code = b[1];
    h->csum = ib_get16(b + 2);
    h->rest = ib_get32(b + 4);
    return 0;
}

void ib_icmp_emit(const struct ib_icmp_hdr *h, uint8_t *b, size_t len)
{
    b[0] = h->type;
    b[1] = h->code;
    ib_put16(b + 2, 0);
    ib_put32(b + 4, h->rest);
    ib_put16(b + 2, ib_csum(b, len));
}

static void icmp_trace(struct ib_stack *s, enum ib_ev_kind kind, const struct ib_netif *nif,
                       const struct ib_pkt *p)
{
    struct ib_env *env = s->node.env;
    if (ib_tracing(env)) {
        struct ib_event ev;
        ib_event_init(&ev, env, kind, 3, &s->node, nif, p);
        ev.u.icmp.type = p->data[0];
        ev.u.icmp.code = p->data[1];
        ib_emit(env, &ev);
    }
}

/* True if a is the unicast address of one of our interfaces. */
static bool icmp_own_unicast(const struct ib_stack *s, ib_ip4 a)
{
    for (unsigned i = 0; i < s->n_nifs; i++)
        if (s->nifs[i]->addr && s->nifs[i]->addr == a)
            return true;
    return false;
}

/* True if a is the directed broadcast of one of our subnets (a /31 or /32
 * has none, RFC 3021 §2.2). */
static bool icmp_own_broadcast(const struct ib_stack *s, ib_ip4 a)
{
    for (unsigned i = 0; i < s->n_nifs; i++) {
        const struct ib_netif *n = s->nifs[i];
        if (n->addr && n->plen < 31 && a == ib_netif_broadcast(n))
            return true;
    }
    return false;
}

static bool ip4_multicast(ib_ip4 a) { return (a >> 28) == 0xe; }

/* RFC 1122 §3.2.2: a source that defines a single host, i.e. not "a zero
 * address, a loopback address, a broadcast address, a multicast address,
 * or a Class E address" (0/8 is "this network", RFC 1122 §3.2.1.3 (a)-(b);
 * 224/4, 240/4 and 255.255.255.255 all lie at or above 224.0.0.0). Only
 * such a source can be answered: RFC 1122 §3.2.1.3 forbids all of these as
 * a destination. */
static bool icmp_src_is_host(const struct ib_stack *s, ib_ip4 src)
{
    return (src >> 24) != 0 && (src >> 24) != 127 && src < IB_IP4(224, 0, 0, 0) &&
           !icmp_own_broadcast(s, src);
}

static struct ib_icmp_echo *icmp_echo_find(const struct ib_stack *s, uint16_t id)
{
    for (struct ib_icmp_echo *e = s->echo; e; e = e->next)
        if (e->id == id)
            return e;
    return NULL;
}

static int icmp_send(struct ib_stack *s, struct ib_pkt *p, ib_ip4 src, ib_ip4 dst, uint8_t ttl,
                     uint8_t tos)
{
    if (!p->journey)
        p->journey = ib_journey_new(s->node.env);
    s->icmp_stats.out++;
    icmp_trace(s, IB_EV_ICMP_TX, NULL, p);
    struct ib_ip4_tx tx = {
        .src = src, .dst = dst, .proto = IB_IPPROTO_ICMP, .ttl = ttl, .tos = tos};
    return ib_ip4_output(s, p, &tx);
}

/* RFC 792 "Echo or Echo Reply Message": the reply carries the request's
 * identifier, sequence number and data, with the addresses swapped. */
static void icmp_echo_request(struct ib_stack *s, struct ib_netif *nif, struct ib_pkt *p,
                              const struct ib_ip4_hdr *ip)
{
    /* RFC 1122 §3.2.2.6: an echo request to an IP broadcast or multicast
     * address MAY be silently discarded. We do, as Linux does by default
     * (icmp_echo_ignore_broadcasts): answering lets one spoofed request
     * make every host on a subnet flood its victim ("smurf", RFC 2644).
     * It still counts as a drop so it is never invisible. Replying from the
     * address the request was sent to is then always a unicast one of ours,
     * as RFC 1122 §3.2.2.6 requires. */
    if (!icmp_own_unicast(s, ip->dst)) {
        ib_drop(&s->node, nif, p, IB_DROP_ICMP_UNHANDLED);
        return;
    }
    /* A request from 0.0.0.0 (a host still configuring itself may send
     * one) or from a broadcast address has nobody to answer to. */
    if (!icmp_src_is_host(s, ip->src)) {
        ib_drop(&s->node, nif, p, IB_DROP_IP_BAD_SRC);
        return;
    }
    /* The request buffer becomes the reply; another holder of a flooded
     * frame must not see it change. */
    p = ib_pkt_unshare(p);
    if (!p) {
        ib_drop(&s->node, nif, NULL, IB_DROP_NOMEM);
        return;
    }
    /* The checksum is computed afresh rather than updated (RFC 1624): when
     * every other word of the reply is zero, the update yields 0x0000
     * where the sum needs 0xffff, and decoders call that wrong. */
    struct ib_icmp_hdr h = {.type = IB_ICMP_ECHO_REPLY, .rest = ib_get32(p->data + 4)};
    ib_icmp_emit(&h, p->data, p->len);
    /* A reply is a new datagram: it gets its own journey and none of the
     * request's link-layer flags. */
    p->journey = 0;
    p->flags = 0;
    /* RFC 1812 §4.3.2.5 (and RFC 1122 §3.2.2.6): an echo reply keeps the
     * request's TOS. */
    icmp_send(s, p, ip->dst, ip->src, 0, ip->tos);
}

static void icmp_echo_reply(struct ib_stack *s, struct ib_netif *nif, struct ib_pkt *p,
                            const struct ib_ip4_hdr *ip, const struct ib_icmp_hdr *h)
{
    struct ib_icmp_echo *e = icmp_echo_find(s, (uint16_t)(h->rest >> 16));
    if (!e || !e->reply) {
        ib_drop(&s->node, nif, p, IB_DROP_ICMP_UNHANDLED);
        return;
    }
    e->reply(e, ip->src, (uint16_t)h->rest, ip->ttl, p->data + IB_ICMP_HLEN,
             p->len - IB_ICMP_HLEN);
    ib_pkt_free(p);
}

/* RFC 1122 §3.2.2.1, §3.2.2.4: destination unreachable and time exceeded
 * MUST reach the transport that sent the quoted datagram; RFC 1122 §3.2.2
 * says the protocol is taken from the quoted IP header. Returns 0 when an
 * endpoint was told, else the drop reason. */
static int icmp_deliver_error(struct ib_stack *s, const struct ib_ip4_hdr *ip,
                              const struct ib_icmp_hdr *h, const uint8_t *q, size_t qlen)
{
    /* RFC 792: the quote is the original IP header plus at least 64 bits of
     * its data; without them the transport ports are unknown. */
    if (qlen < IB_IP4_HLEN || (q[0] >> 4) != 4)
        return IB_DROP_ICMP_TRUNCATED;
    size_t hlen = (size_t)(q[0] & 0xf) * 4;
    if (hlen < IB_IP4_HLEN || qlen < hlen + 8)
        return IB_DROP_ICMP_TRUNCATED;
    switch (q[9]) {
    case IB_IPPROTO_UDP:
        ib_udp_icmp_error(s, ip->src, h->type, h->code, q, qlen);
        return 0;
    case IB_IPPROTO_TCP:
        ib_tcp_icmp_error(s, ip->src, h->type, h->code, h->rest, q, qlen);
        return 0;
    case IB_IPPROTO_ICMP:
        if (q[hlen] == IB_ICMP_ECHO_REQUEST) {
            struct ib_icmp_echo *e = icmp_echo_find(s, ib_get16(q + hlen + 4));
            if (e && e->error) {
                e->error(e, ip->src, h->type, h->code, ib_get16(q + hlen + 6));
                return 0;
            }
        }
        return IB_DROP_ICMP_UNHANDLED;
    default:
        return IB_DROP_ICMP_UNHANDLED;
    }
}

void ib_icmp_input(struct ib_stack *s, struct ib_netif *nif, struct ib_pkt *p,
                   const struct ib_ip4_hdr *ip)
{
    struct ib_icmp_hdr h;
    s->icmp_stats.in++;
    int r = ib_icmp_parse(p->data, p->len, &h);
    if (r) {
        ib_drop(&s->node, nif, p, r);
        return;
    }
    icmp_trace(s, IB_EV_ICMP_RX, nif, p);
    switch (h.type) {
    case IB_ICMP_ECHO_REQUEST:
        icmp_echo_request(s, nif, p, ip);
        return;
    case IB_ICMP_ECHO_REPLY:
        icmp_echo_reply(s, nif, p, ip, &h);
        return;
    case IB_ICMP_DEST_UNREACH:
    case IB_ICMP_TIME_EXCEEDED:
    case IB_ICMP_PARAM_PROBLEM:
        r = icmp_deliver_error(s, ip, &h, p->data + IB_ICMP_HLEN, p->len - IB_ICMP_HLEN);
        if (r)
            ib_drop(&s->node, nif, p, r);
        else
            ib_pkt_free(p);
        return;
    default:
        /* RFC 1122 §3.2.2: an ICMP message of unknown type MUST be silently
         * discarded (counted here, never answered). */
        ib_drop(&s->node, nif, p, IB_DROP_ICMP_UNHANDLED);
        return;
    }
}

/* RFC 1122 §3.2.2 groups ICMP messages into errors and queries; these are
 * the queries (RFC 792, RFC 950 address mask, RFC 1256 router discovery).
 * Anything else, including types we do not know, is treated as an error
 * and so never answered with one. */
static bool icmp_is_query(uint8_t type)
{
    switch (type) {
    case IB_ICMP_ECHO_REPLY:
    case IB_ICMP_ECHO_REQUEST:
    case 9:  /* router advertisement */
    case 10: /* router solicitation */
    case 13: /* timestamp */
    case 14: /* timestamp reply */
    case 15: /* information request */
    case 16: /* information reply */
    case 17: /* address mask request */
    case 18: /* address mask reply */
        return true;
    default:
        return false;
    }
}

/* RFC 1122 §3.2.2 (and RFC 1812 §4.3.2.7 for routers): "An ICMP error
 * message MUST NOT be sent as the result of receiving" any of these. */
static bool icmp_error_allowed(const struct ib_stack *s, const struct ib_pkt *orig)
{
    const uint8_t *b = orig->data;
    size_t len = orig->len;
    if (len < IB_IP4_HLEN || (b[0] >> 4) != 4)
        return false;
    size_t hlen = (size_t)(b[0] & 0xf) * 4;
    if (hlen < IB_IP4_HLEN || hlen > len)
        return false;
    uint16_t frag = ib_get16(b + 6);
    ib_ip4 src = ib_get32(b + 12), dst = ib_get32(b + 16);
    /* "a non-initial fragment" */
    if (frag & IB_IP4_OFFMASK)
        return false;
    /* "an ICMP error message": a quoted type we cannot read is not known
     * to be a query, so it gets nothing either. */
    if (b[9] == IB_IPPROTO_ICMP && (len <= hlen || !icmp_is_query(b[hlen])))
        return false;
    /* "a datagram destined to an IP broadcast or IP multicast address" */
    if (dst == IB_IP4_BROADCAST || ip4_multicast(dst) || icmp_own_broadcast(s, dst))
        return false;
    /* "a datagram sent as a link-layer broadcast" (or multicast, RFC 1812
     * §4.3.2.7) */
    if (orig->flags & (IB_PKT_F_LINK_BCAST | IB_PKT_F_LINK_MCAST))
        return false;
    /* "a datagram whose source address does not define a single host" */
    return icmp_src_is_host(s, src);
}

/* RFC 1812 §4.3.2.8: the rate of ICMP errors is limited, per router as the
 * RFC leaves to the implementor; a token bucket refilled at cfg.icmp.rate
 * per second and holding at most cfg.icmp.burst tokens. */
static bool icmp_rate_ok(struct ib_stack *s)
{
    ib_time now = ib_now(s->node.env);
    double burst = s->cfg.icmp.burst;
    double tokens = s->icmp_bucket.tokens;
    if (now > s->icmp_bucket.last)
        tokens += (double)(now - s->icmp_bucket.last) * s->cfg.icmp.rate / 1e9;
    if (tokens > burst)
        tokens = burst;
    s->icmp_bucket.last = now;
    if (tokens < 1.0) {
        s->icmp_bucket.tokens = tokens;
        return false;
    }
    s->icmp_bucket.tokens = tokens - 1.0;
    return true;
}

void ib_icmp_error(struct ib_stack *s, const struct ib_pkt *orig, uint8_t type, uint8_t code,
                   uint32_t rest)
{
    if (!icmp_error_allowed(s, orig))
        return;
    if (!icmp_rate_ok(s)) {
        s->icmp_stats.rate_limited++;
        ib_drop(&s->node, NULL, NULL, IB_DROP_ICMP_RATE_LIMIT);
        return;
    }
    struct ib_env *env = s->node.env;
    size_t qlen = orig->len < ICMP_QUOTE_MAX ? orig->len : ICMP_QUOTE_MAX;
    struct ib_pkt *p = ib_pkt_alloc(env->pool, IB_PKT_HEADROOM, IB_ICMP_HLEN + qlen);
    if (!p) {
        ib_drop(&s->node, NULL, NULL, IB_DROP_NOMEM);
        return;
    }
    /* RFC 1122 §3.2.2: the quoted header and data "MUST be unchanged from
     * the received datagram". */
    memcpy(p->data + IB_ICMP_HLEN, orig->data, qlen);
    struct ib_icmp_hdr h = {.type = type, .code = code, .rest = rest};
    ib_icmp_emit(&h, p->data, p->len);
    s->icmp_stats.errors_out++;
    ib_ip4 osrc = ib_get32(orig->data + 12), odst = ib_get32(orig->data + 16);
    /* RFC 1812 §4.3.2.4: a router's error comes from the interface it
     * leaves by (IP picks it when src is 0); an error about a datagram
     * addressed to us (port or protocol unreachable) comes from that
     * address, as RFC 1122 §3.2.1.3 has a host use its own address.
     * RFC 1122 §3.2.2: "An ICMP error message SHOULD be sent with normal
     * (i.e., zero) TOS bits." */
    icmp_send(s, p, icmp_own_unicast(s, odst) ? odst : 0, osrc, 0, 0);
}

void ib_icmp_echo_open(struct ib_stack *s, struct ib_icmp_echo *e, uint16_t id)
{
    e->stack = s;
    e->id = id;
    e->next = s->echo;
    s->echo = e;
}

void ib_icmp_echo_close(struct ib_icmp_echo *e)
{
    if (!e->stack)
        return;
    for (struct ib_icmp_echo **pp = &e->stack->echo; *pp; pp = &(*pp)->next) {
        if (*pp == e) {
            *pp = e->next;
            break;
        }
    }
    e->next = NULL;
    e->stack = NULL;
}

int ib_icmp_echo_send(struct ib_icmp_echo *e, ib_ip4 dst, uint16_t seq, size_t len, uint8_t ttl)
{
    struct ib_stack *s = e->stack;
    if (!s)
        return IB_ERR_INVAL;
    if (len > IB_IP4_MAX_LEN - IB_IP4_HLEN - IB_ICMP_HLEN)
        return IB_ERR_TOOBIG;
    struct ib_env *env = s->node.env;
    struct ib_pkt *p = ib_pkt_alloc(env->pool, IB_PKT_HEADROOM, IB_ICMP_HLEN + len);
    if (!p) {
        ib_drop(&s->node, NULL, NULL, IB_DROP_NOMEM);
        return IB_ERR_NOMEM;
    }
    /* Linux ping's pattern (byte i of the data is i), without its
     * timestamp, so the bytes depend on nothing but the length. */
    for (size_t i = 0; i < len; i++)
        p->data[IB_ICMP_HLEN + i] = (uint8_t)i;
    struct ib_icmp_hdr h = {
        .type = IB_ICMP_ECHO_REQUEST, .rest = (uint32_t)e->id << 16 | seq};
    ib_icmp_emit(&h, p->data, p->len);
    return icmp_send(s, p, 0, dst, ttl, 0);
}

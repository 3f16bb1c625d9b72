/* DHCP client (RFC 2131 §4.4) for one interface: the state machine of
 * figure 5 (INIT, SELECTING, REQUESTING, BOUND, RENEWING, REBINDING; no
 * INIT-REBOOT), retransmission with randomised exponential backoff (§4.1),
 * renewal at T1 and rebinding at T2 (§4.4.5), and the stack configured
 * from the lease: address and prefix, default route (RFC 2132 §3.5) and
 * name servers (§3.8). One timer carries the next deadline of whatever
 * state the client is in. The client takes the first offer (§4.4.1 lets it
 * wait for more) and, having no address yet, asks for broadcast replies
 * (§4.1). It does not probe the offered address with ARP (§4.4.1's
 * SHOULD), so it never declines one. */
#include <stddef.h>
#include <stdlib.h>

#include "dhcp_app.h"

struct ib_dhcp_client {
    struct ib_stack *s;
    struct ib_netif *nif;
    struct ib_udp_pcb pcb;
    struct ib_timer timer;
    enum ib_dhcp_client_state state;
    uint32_t xid;
    unsigned tries;    /* sendings of the current message */
    ib_time began;     /* this acquisition or renewal began (the secs field) */
    ib_time first_req; /* first sending of the current REQUEST: the lease start */
    ib_ip4 offer_addr; /* REQUESTING: the offer taken */
    ib_ip4 offer_server;
    bool has_lease;
    struct ib_dhcp_lease lease;
    ib_time t1, t2, expiry;
    ib_ip4 prev_addr; /* asked for again in DISCOVER (RFC 2131 §4.4.1) */
    ib_dhcp_bound_fn bound;
    void *arg;
};

/* RFC 2131 §4.4.5: "Times T1 and T2 SHOULD be chosen with some random
 * "fuzz" [...] T1 defaults to (0.5 * duration_of_lease). T2 defaults to
 * (0.875 * duration_of_lease)." We use the defaults without fuzz. */
#define T1_NUM 1u
#define T1_DEN 2u
#define T2_NUM 7u
#define T2_DEN 8u
/* RFC 2131 §4.4.5: in RENEWING and REBINDING, wait half the time left,
 * "down to a minimum of 60 seconds, before retransmitting". */
#define RENEW_MIN_WAIT IB_SEC(60)
#define INFINITE_LEASE UINT32_MAX /* RFC 2131 §3.3 */

static const char *const state_names[] = {
    [IB_DHCPC_IDLE] = "IDLE",           [IB_DHCPC_INIT] = "INIT",
    [IB_DHCPC_SELECTING] = "SELECTING", [IB_DHCPC_REQUESTING] = "REQUESTING",
    [IB_DHCPC_BOUND] = "BOUND",         [IB_DHCPC_RENEWING] = "RENEWING",
    [IB_DHCPC_REBINDING] = "REBINDING",
};

const char *ib_dhcp_client_state_str(enum ib_dhcp_client_state st)
{
    return (unsigned)st < IB_ARRAY_LEN(state_names) ? state_names[st] : "?";
}

static ib_time now_of(const struct ib_dhcp_client *c)
{
    return ib_now(c->s->node.env);
}

static void arm(struct ib_dhcp_client *c, ib_time when)
{
    if (when == IB_TIME_NEVER)
        ib_timer_cancel(&c->timer);
    else
        ib_timer_arm(c->s->node.env, &c->timer, when);
}

static void new_xid(struct ib_dhcp_client *c)
{
    /* RFC 2131 §4.1: "a random number chosen by the client". */
    c->xid = (uint32_t)ib_rng_next(&c->s->node.rng);
    c->tries = 0;
}

/* The fields every client message fills the same way (RFC 2131 §4.4.1
 * table 5): op, Ethernet hardware address, xid and secs; the parameter
 * request list (RFC 2132 §9.8) asks for what we configure. */
static void msg_init(const struct ib_dhcp_client *c, struct ib_dhcp_msg *m, uint8_t type)
{
    static const uint8_t prl[] = {IB_DHCP_OPT_SUBNET_MASK, IB_DHCP_OPT_ROUTER, IB_DHCP_OPT_DNS};
    memset(m, 0, sizeof(*m));
    m->op = IB_BOOTREQUEST;
    m->htype = 1; /* Ethernet, RFC 1700 */
    m->hlen = 6;
    m->xid = c->xid;
    ib_time secs = (now_of(c) - c->began) / IB_SEC(1);
    m->secs = (uint16_t)(secs > UINT16_MAX ? UINT16_MAX : secs);
    memcpy(m->chaddr, c->nif->mac.b, 6);
    m->type = type;
    m->has = 1ull << IB_DHCP_OPT_MSG_TYPE;
    if (type == IB_DHCPDISCOVER || type == IB_DHCPREQUEST) {
        memcpy(m->prl, prl, sizeof(prl));
        m->prl_len = sizeof(prl);
        m->has |= 1ull << IB_DHCP_OPT_PARAM_REQ;
    }
}

static void send_msg(struct ib_dhcp_client *c, const struct ib_dhcp_msg *m, ib_ip4 dst)
{
    c->tries++;
    ib_dhcp_app_send(&c->pcb, m, dst, IB_DHCP_SERVER_PORT);
}

/* The state's message, sent (again). */
static void transmit(struct ib_dhcp_client *c)
{
    struct ib_dhcp_msg m;
    switch (c->state) {
    case IB_DHCPC_SELECTING:
        /* RFC 2131 §4.4.1 table 5: DISCOVER, ciaddr 0, may suggest an
         * address; the broadcast bit because we cannot take a unicast
         * before we have an address (§4.1). */
        msg_init(c, &m, IB_DHCPDISCOVER);
        m.flags = IB_DHCP_FLAG_BROADCAST;
        if (c->prev_addr) {
            m.requested_ip = c->prev_addr;
            m.has |= 1ull << IB_DHCP_OPT_REQUESTED_IP;
        }
        send_msg(c, &m, IB_IP4_BROADCAST);
        break;
    case IB_DHCPC_REQUESTING:
        /* Table 5, SELECTING: requested address and server identifier from
         * the chosen offer, ciaddr 0, broadcast (§4.4.1). */
        msg_init(c, &m, IB_DHCPREQUEST);
        m.flags = IB_DHCP_FLAG_BROADCAST;
        m.requested_ip = c->offer_addr;
        m.server_id = c->offer_server;
        m.has |= 1ull << IB_DHCP_OPT_REQUESTED_IP | 1ull << IB_DHCP_OPT_SERVER_ID;
        send_msg(c, &m, IB_IP4_BROADCAST);
        break;
    case IB_DHCPC_RENEWING:
    case IB_DHCPC_REBINDING:
        /* Table 5, RENEWING/REBINDING: ciaddr, neither server identifier
         * nor requested address; unicast to the server that gave the
         * lease, or broadcast to any once T2 has passed (§4.4.5). */
        msg_init(c, &m, IB_DHCPREQUEST);
        m.ciaddr = c->lease.addr;
        send_msg(c, &m, c->state == IB_DHCPC_RENEWING ? c->lease.server : IB_IP4_BROADCAST);
        break;
    default:
        break;
    }
}

/* Sends the state's message and arms its retransmission. RFC 2131 §4.1:
 * "the delay before the first retransmission SHOULD be 4 seconds
 * randomized by the value of a uniform random number chosen from the range
 * -1 to +1 [...] The delay before the next retransmission SHOULD be 8
 * seconds [...] up to a maximum of 64 seconds." */
static void send_backoff(struct ib_dhcp_client *c)
{
    transmit(c);
    unsigned shift = c->tries > 5 ? 4 : c->tries - 1;
    ib_time fuzz = IB_MS((ib_time)ib_rng_below(&c->s->node.rng, 2001)) - IB_SEC(1);
    arm(c, now_of(c) + (IB_SEC(4) << shift) + fuzz);
}

static void start_selecting(struct ib_dhcp_client *c)
{
    c->state = IB_DHCPC_SELECTING;
    new_xid(c);
    c->began = now_of(c);
    send_backoff(c);
}

/* Back to INIT, trying again after `pause`. */
static void restart(struct ib_dhcp_client *c, ib_time pause)
{
    c->state = IB_DHCPC_INIT;
    if (pause == 0)
        start_selecting(c);
    else
        arm(c, now_of(c) + pause);
}

static void lease_event(struct ib_dhcp_client *c, enum ib_dhcp_what what)
{
    if (!ib_tracing(c->s->node.env)) return;
    const struct ib_dhcp_lease *l = &c->lease;
    struct ib_dhcp_msg m;
    memset(&m, 0, sizeof(m));
    m.xid = c->xid;
    m.yiaddr = l->addr;
    m.server_id = l->server;
    m.lease_time = l->lease_s;
    m.subnet_mask = ib_ip4_mask(l->plen);
    m.has = 1ull << IB_DHCP_OPT_SUBNET_MASK;
    m.routers[0] = l->router;
    m.n_routers = l->router ? 1 : 0;
    m.dns[0] = l->dns[0];
    m.n_dns = l->n_dns ? 1 : 0;
    memcpy(m.chaddr, c->nif->mac.b, 6);
    ib_dhcp_app_event(c->s, c->nif, what, &m, NULL);
}

/* The default route the lease installed, if it is still there. */
static bool our_default_route(struct ib_dhcp_client *c)
{
    uint32_t n;
    const struct ib_route *r = ib_fib_routes(&c->s->fib, &n);
    for (uint32_t i = 0; i < n; i++)
        if (r[i].plen == 0) return r[i].gateway == c->lease.router && r[i].ifindex == c->nif->index;
    return false;
}

static bool our_resolv(const struct ib_dhcp_client *c)
{
    const struct ib_dhcp_lease *l = &c->lease;
    return l->n_dns && c->s->resolv.n == l->n_dns &&
           memcmp(c->s->resolv.servers, l->dns, l->n_dns * sizeof(l->dns[0])) == 0;
}

/* Takes back what the lease configured, leaving alone whatever someone
 * else has changed since. */
static void unconfigure(struct ib_dhcp_client *c)
{
    struct ib_stack *s = c->s;
    if (c->lease.router && our_default_route(c)) ib_fib_del(&s->fib, 0, 0);
    if (c->nif->addr == c->lease.addr) ib_stack_set_addr(s, c->nif, 0, 0);
    if (our_resolv(c)) s->resolv.n = 0;
}

static void configure(struct ib_dhcp_client *c)
{
    struct ib_stack *s = c->s;
    const struct ib_dhcp_lease *l = &c->lease;
    ib_stack_set_addr(s, c->nif, l->addr, l->plen);
    if (l->router) ib_stack_add_route(s, 0, 0, l->router, c->nif);
    if (l->n_dns) {
        memcpy(s->resolv.servers, l->dns, l->n_dns * sizeof(l->dns[0]));
        s->resolv.n = l->n_dns;
    }
}

/* The lease is gone (expired, refused or released). */
static void lose(struct ib_dhcp_client *c)
{
    lease_event(c, IB_DHCP_LOST);
    unconfigure(c);
    c->has_lease = false;
    c->prev_addr = c->lease.addr;
}

static ib_time deadline(ib_time start, uint32_t secs)
{
    return secs == INFINITE_LEASE ? IB_TIME_NEVER : start + IB_SEC(secs);
}

/* RFC 2131 §4.4.5: a REQUEST in RENEWING (until T2) or REBINDING (until
 * the lease ends), and the next one after half the time left, "down to a
 * minimum of 60 seconds", or at that end. */
static void renew_send(struct ib_dhcp_client *c)
{
    ib_time now = now_of(c);
    ib_time end = c->state == IB_DHCPC_RENEWING ? c->t2 : c->expiry;
    ib_time wait = (end - now) / 2;
    if (wait < RENEW_MIN_WAIT) wait = RENEW_MIN_WAIT;
    transmit(c);
    arm(c, end - now < wait ? end : now + wait);
}

/* Each renewal state is a new transaction: a new xid, and the lease an ACK
 * brings counts from its first REQUEST. */
static void renew_enter(struct ib_dhcp_client *c, enum ib_dhcp_client_state st)
{
    c->state = st;
    new_xid(c);
    c->first_req = now_of(c);
    renew_send(c);
}

static void client_timer(struct ib_timer *t)
{
    struct ib_dhcp_client *c =
        (struct ib_dhcp_client *)(void *)((char *)t - offsetof(struct ib_dhcp_client, timer));
    ib_time now = now_of(c);
    switch (c->state) {
    case IB_DHCPC_INIT:
        start_selecting(c);
        break;
    case IB_DHCPC_SELECTING:
    case IB_DHCPC_REQUESTING:
        /* RFC 2131 §4.4.1: "If the client receives neither a DHCPACK or a
         * DHCPNAK message after employing the retransmission algorithm,
         * the client reverts to INIT state and restarts". */
        if (c->tries >= IB_DHCP_CLIENT_TRIES) {
            restart(c, IB_DHCP_CLIENT_PAUSE);
            break;
        }
        send_backoff(c);
        break;
    case IB_DHCPC_BOUND:
        /* RFC 2131 §4.4.5: "At time T1 the client moves to RENEWING state
         * and sends (via unicast) a DHCPREQUEST message to the server". */
        c->began = now;
        renew_enter(c, IB_DHCPC_RENEWING);
        break;
    case IB_DHCPC_RENEWING:
        /* "If no DHCPACK arrives before time T2, the client moves to
         * REBINDING state and sends (via broadcast) a DHCPREQUEST". */
        if (now < c->t2)
            renew_send(c);
        else
            renew_enter(c, IB_DHCPC_REBINDING);
        break;
    case IB_DHCPC_REBINDING:
        if (now < c->expiry) {
            renew_send(c);
            break;
        }
        /* "If the lease expires before the client receives a DHCPACK, the
         * client moves to INIT state, MUST immediately stop any other
         * network processing and requests network parameters". */
        lose(c);
        restart(c, 0);
        break;
    case IB_DHCPC_IDLE:
        break;
    }
}

/* A host address (RFC 1122 §3.2.1.3): not 0/8, loopback, class D or E. */
static bool host_addr_ok(ib_ip4 a)
{
    return (a >> 24) != 0 && (a >> 24) != 127 && (a >> 28) < 0xe;
}

/* The message types each state waits for (RFC 2131 figure 5). */
static bool expected(const struct ib_dhcp_client *c, uint8_t type)
{
    switch (c->state) {
    case IB_DHCPC_SELECTING:
        return type == IB_DHCPOFFER;
    case IB_DHCPC_REQUESTING:
    case IB_DHCPC_RENEWING:
    case IB_DHCPC_REBINDING:
        return type == IB_DHCPACK || type == IB_DHCPNAK;
    default:
        return false;
    }
}

/* RFC 2131 §4.3.1 table 3: the server identifier in every reply; in an
 * OFFER or ACK a usable yiaddr and the lease time; a subnet mask, if any,
 * of contiguous ones. */
static bool table_ok(const struct ib_dhcp_msg *m)
{
    if (!ib_dhcp_has(m, IB_DHCP_OPT_SERVER_ID)) return false;
    if (m->type == IB_DHCPNAK) return true;
    return host_addr_ok(m->yiaddr) && ib_dhcp_has(m, IB_DHCP_OPT_LEASE_TIME) &&
           (!ib_dhcp_has(m, IB_DHCP_OPT_SUBNET_MASK) || ib_dhcp_app_plen(m->subnet_mask) >= 0);
}

/* Without a subnet mask option, the network of the address's class (RFC
 * 791 §2.3), as historic clients assume. */
static uint8_t lease_plen(const struct ib_dhcp_msg *m)
{
    if (ib_dhcp_has(m, IB_DHCP_OPT_SUBNET_MASK)) return (uint8_t)ib_dhcp_app_plen(m->subnet_mask);
    return m->yiaddr < IB_IP4(128, 0, 0, 0) ? 8 : m->yiaddr < IB_IP4(192, 0, 0, 0) ? 16 : 24;
}

static bool lease_same(const struct ib_dhcp_lease *a, const struct ib_dhcp_lease *b)
{
    return a->addr == b->addr && a->plen == b->plen && a->router == b->router &&
           a->n_dns == b->n_dns && memcmp(a->dns, b->dns, a->n_dns * sizeof(a->dns[0])) == 0;
}

/* An ACK: apply its lease and wait for T1. Returns true for a new binding
 * (from REQUESTING), false for a renewal. */
static bool on_ack(struct ib_dhcp_client *c, const struct ib_dhcp_msg *m)
{
    struct ib_dhcp_lease l = {
        .addr = m->yiaddr,
        .plen = lease_plen(m),
        .router = m->n_routers ? m->routers[0] : 0,
        .server = m->server_id,
        .n_dns = m->n_dns > 3 ? 3 : m->n_dns,
        .lease_s = m->lease_time,
        /* RFC 2131 §4.4.1: "the client records the lease expiration time
         * as the sum of the time at which the original request was sent
         * and the duration of the lease". */
        .bound_at = c->first_req,
    };
    memcpy(l.dns, m->dns, l.n_dns * sizeof(l.dns[0]));
    bool fresh = c->state == IB_DHCPC_REQUESTING;
    bool changed = !c->has_lease || !lease_same(&c->lease, &l);
    if (changed && c->has_lease) unconfigure(c);
    c->lease = l;
    c->has_lease = true;
    if (changed) configure(c);
    /* RFC 2131 §4.4.5: T1 and T2 from options 58 and 59 when the server
     * gave sane ones (T1 <= T2 <= lease), else the defaults. */
    uint32_t t1 = (uint32_t)((uint64_t)l.lease_s * T1_NUM / T1_DEN);
    uint32_t t2 = (uint32_t)((uint64_t)l.lease_s * T2_NUM / T2_DEN);
    if (ib_dhcp_has(m, IB_DHCP_OPT_RENEWAL_T1) && ib_dhcp_has(m, IB_DHCP_OPT_REBINDING_T2) &&
        m->t1 <= m->t2 && m->t2 <= l.lease_s) {
        t1 = m->t1;
        t2 = m->t2;
    }
    bool infinite = l.lease_s == INFINITE_LEASE;
    c->t1 = infinite ? IB_TIME_NEVER : deadline(l.bound_at, t1);
    c->t2 = infinite ? IB_TIME_NEVER : deadline(l.bound_at, t2);
    c->expiry = deadline(l.bound_at, l.lease_s);
    c->state = IB_DHCPC_BOUND;
    arm(c, c->t1);
    lease_event(c, fresh ? IB_DHCP_BOUND : IB_DHCP_RENEWED);
    return fresh;
}

static void on_nak(struct ib_dhcp_client *c)
{
    /* RFC 2131 §4.4.5: on a DHCPNAK in RENEWING or REBINDING the client
     * "MUST ... return to INIT state"; §3.1 step 5 (REQUESTING): it
     * "restarts the configuration process". Having a lease, it starts
     * over at once; having none, after a pause, so that a server that
     * keeps refusing its own offers cannot spin us. */
    bool had = c->has_lease;
    if (had) lose(c);
    c->prev_addr = 0; /* refused: asking for it again would not help */
    restart(c, had ? 0 : IB_DHCP_CLIENT_PAUSE);
}

static void client_recv(struct ib_udp_pcb *u, ib_ip4 src, uint16_t sport, struct ib_pkt *p)
{
    struct ib_dhcp_client *c = u->arg;
    struct ib_stack *s = c->s;
    struct ib_dhcp_msg m;
    (void)src;
    (void)sport;
    if (!ib_dhcp_app_parse(s, c->nif, p, &m)) return;
    /* RFC 2131 §4.1: replies are matched to our request by xid, and a
     * broadcast reply may be another client's: its chaddr says. */
    if (m.op != IB_BOOTREPLY || m.xid != c->xid || m.hlen != 6 ||
        memcmp(m.chaddr, c->nif->mac.b, 6) != 0 || !expected(c, m.type)) {
        ib_drop(&s->node, c->nif, p, IB_DROP_DHCP_IGNORED);
        return;
    }
    if (!table_ok(&m)) {
        ib_drop(&s->node, c->nif, p, IB_DROP_DHCP_MALFORMED);
        return;
    }
    /* A REQUEST in SELECTING names one server (§4.4.1), a renewal goes to
     * the one that gave the lease (§4.4.5): others' answers are not ours.
     * In REBINDING any server may answer. */
    ib_ip4 want = c->state == IB_DHCPC_REQUESTING ? c->offer_server
                  : c->state == IB_DHCPC_RENEWING ? c->lease.server
                                                  : m.server_id;
    if (m.server_id != want) {
        ib_drop(&s->node, c->nif, p, IB_DROP_DHCP_IGNORED);
        return;
    }
    ib_dhcp_app_event(s, c->nif, IB_DHCP_RX, &m, p);
    ib_pkt_free(p);
    if (m.type == IB_DHCPOFFER) {
        /* RFC 2131 §4.4.1: take this offer and request it with the same
         * xid. */
        c->state = IB_DHCPC_REQUESTING;
        c->offer_addr = m.yiaddr;
        c->offer_server = m.server_id;
        c->tries = 0;
        c->first_req = now_of(c);
        send_backoff(c);
    } else if (m.type == IB_DHCPNAK) {
        on_nak(c);
    } else if (on_ack(c, &m) && c->bound) {
        c->bound(c, &c->lease, c->arg); /* last: it may stop the client */
    }
}

struct ib_dhcp_client *ib_dhcp_client_start(struct ib_stack *s, struct ib_netif *nif,
                                            ib_dhcp_bound_fn bound, void *arg)
{
    if (nif->node != &s->node) return NULL;
    struct ib_dhcp_client *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    if (ib_udp_bind_netif(s, &c->pcb, nif, IB_DHCP_CLIENT_PORT) != 0) {
        free(c);
        return NULL;
    }
    c->s = s;
    c->nif = nif;
    c->pcb.recv = client_recv;
    c->pcb.arg = c;
    c->bound = bound;
    c->arg = arg;
    c->state = IB_DHCPC_INIT;
    ib_timer_init(&c->timer, client_timer);
    /* The first DISCOVER leaves from the event loop, not from inside the
     * caller. */
    arm(c, now_of(c));
    return c;
}

void ib_dhcp_client_release(struct ib_dhcp_client *c)
{
    if (c->has_lease) {
        /* RFC 2131 §4.4.6: "The client unicasts DHCPRELEASE messages to
         * the server"; table 5: ciaddr and server identifier, a new xid. */
        struct ib_dhcp_msg m;
        new_xid(c);
        c->began = now_of(c);
        msg_init(c, &m, IB_DHCPRELEASE);
        m.ciaddr = c->lease.addr;
        m.server_id = c->lease.server;
        m.has |= 1ull << IB_DHCP_OPT_SERVER_ID;
        send_msg(c, &m, c->lease.server);
        lose(c);
    }
    c->state = IB_DHCPC_IDLE;
    ib_timer_cancel(&c->timer);
}

void ib_dhcp_client_stop(struct ib_dhcp_client *c)
{
    if (!c) return;
    ib_evq_forget(c->s->node.env->q, &c->timer);
    ib_udp_close(&c->pcb);
    free(c);
}

const struct ib_dhcp_lease *ib_dhcp_client_lease(const struct ib_dhcp_client *c)
{
    return c->has_lease ? &c->lease : NULL;
}

enum ib_dhcp_client_state ib_dhcp_client_state(const struct ib_dhcp_client *c)
{
    return c->state;
}

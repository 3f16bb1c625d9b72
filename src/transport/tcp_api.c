/* The TCP user interface of RFC 9293 §3.10.1-3.10.6 (OPEN, SEND, RECEIVE,
 * CLOSE, ABORT, STATUS) as an event-driven API, and the bookkeeping behind
 * it: the per-stack state (connection and TIME_WAIT hash tables, the
 * listeners, MIB counters, secret keys), allocation and release of TCBs,
 * the one function every state change goes through (it emits the trace
 * event), and TIME_WAIT records: a connection that reaches TIME_WAIT with
 * nobody holding it shrinks to a small record answered from tcp_in.c and
 * expired by one FIFO timer per stack (all records live exactly 2*MSL). */
#include "transport/tcp_int.h"

#include "inetbox/nat.h"

#include <stdlib.h>

/* lwIP's TCB with the same features is 328 bytes; ours must not be bigger. */
_Static_assert(sizeof(struct ib_tcp) <= 320, "TCB over its 320-byte budget");

#define TCP_HASH_MIN 64u
/* RFC 6335 §6: the dynamic (ephemeral) port range. */
#define TCP_EPHEMERAL_MIN 49152u

const struct ib_tcp_config ib_tcp_defaults = {
    .mss = 0,
    .sndbuf = 256 * 1024,
    .rcvbuf = 256 * 1024,
    .ooo_max = 4 * 1024 * 1024, /* packet memory: a 4 MB window out of order */
    .rto_min = IB_MS(200),      /* RFC 6298 (2.4) allows it; common practice */
    .rto_max = IB_SEC(60),      /* RFC 6298 (2.5) */
    .rto_init = IB_SEC(1),      /* RFC 6298 (2.1) */
    .max_retries = 12,          /* RFC 1122 §4.2.3.5: R2 at least 100 s */
    .syn_retries = 6,           /* RFC 1122 §4.2.3.5: R2 for SYN at least 3 min */
    .msl = IB_SEC(120),         /* RFC 9293 §3.4.2 */
    .delack = IB_MS(40),        /* RFC 1122 §4.2.3.2: at most 0.5 s */
    .keepalive_idle = 0,        /* RFC 1122 §4.2.3.6: off by default */
    .keepalive_intvl = IB_SEC(75),
    .keepalive_cnt = 9,
    .iw = 10, /* RFC 6928 */
    .backlog = 128,
    .cc = IB_TCP_CC_NEWRENO,
    .nagle = true,
    .sack = true,
    .timestamps = true,
    .wscale = true,
    .syncookies = true,
};

static const char *const tcp_state_names[IB_TCP__NSTATES] = {
    "CLOSED",     "LISTEN",     "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
    "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",  "LAST_ACK",     "TIME_WAIT",
};

const char *ib_tcp_state_name(enum ib_tcp_state s)
{
    return (unsigned)s < IB_TCP__NSTATES ? tcp_state_names[s] : "?";
}

static uint32_t tcp_hash(const struct ib_tcp_stack *ts, ib_ip4 la, uint16_t lp, ib_ip4 ra,
                         uint16_t rp)
{
    /* Keyed so that a peer cannot aim many connections at one chain. */
    uint64_t k;
    memcpy(&k, ts->isn_key + 8, sizeof(k));
    uint64_t x = ((uint64_t)ra << 32 | (uint64_t)lp << 16 | rp) ^ k;
    x = (x ^ la) * 0x9e3779b97f4a7c15u;
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9u;
    return (uint32_t)(x >> 32);
}

struct ib_tcp_stack *ib_tcp_stack_get(struct ib_stack *s)
{
    if (s->tcp) return s->tcp;
    struct ib_tcp_stack *ts = calloc(1, sizeof(*ts));
    if (!ts) return NULL;
    ts->hash = calloc(TCP_HASH_MIN, sizeof(*ts->hash));
    ts->tw_hash = calloc(TCP_HASH_MIN, sizeof(*ts->tw_hash));
    if (!ts->hash || !ts->tw_hash) {
        free(ts->hash);
        free(ts->tw_hash);
        free(ts);
        return NULL;
    }
    ts->hash_mask = ts->tw_mask = TCP_HASH_MIN - 1;
    /* RFC 6528 §3: the secret key is random, per host. */
    for (unsigned i = 0; i < 16; i += 8) {
        uint64_t a = ib_rng_next(&s->node.rng), b = ib_rng_next(&s->node.rng);
        memcpy(ts->isn_key + i, &a, 8);
        memcpy(ts->cookie_key + i, &b, 8);
    }
    ib_timer_init(&ts->tw_timer, ib_tcp_tw_timer_fire);
    ts->stack = s;
    s->tcp = ts;
    return ts;
}

struct ib_tcp *ib_tcp_lookup(const struct ib_tcp_stack *ts, ib_ip4 laddr, uint16_t lport,
                             ib_ip4 raddr, uint16_t rport)
{
    struct ib_tcp *c = ts->hash[tcp_hash(ts, laddr, lport, raddr, rport) & ts->hash_mask];
    for (; c; c = c->hnext)
        if (c->lport == lport && c->rport == rport && c->raddr == raddr && c->laddr == laddr)
            return c;
    return NULL;
}

struct ib_tcp *ib_tcp_listener_find(const struct ib_tcp_stack *ts, ib_ip4 laddr, uint16_t lport)
{
    struct ib_tcp *any = NULL;
    for (struct ib_tcp *l = ts->listeners; l; l = l->hnext) {
        if (l->lport != lport) continue;
        if (l->laddr == laddr) return l;
        if (l->laddr == IB_IP4_ANY) any = l;
    }
    return any;
}

struct ib_tcp_tw *ib_tcp_tw_lookup(const struct ib_tcp_stack *ts, ib_ip4 laddr, uint16_t lport,
                                   ib_ip4 raddr, uint16_t rport)
{
    if (ts->n_tw == 0) return NULL;
    struct ib_tcp_tw *t = ts->tw_hash[tcp_hash(ts, laddr, lport, raddr, rport) & ts->tw_mask];
    for (; t; t = t->hnext)
        if (t->lport == lport && t->rport == rport && t->raddr == raddr && t->laddr == laddr)
            return t;
    return NULL;
}

/* Doubles the connection table when it holds more entries than buckets. */
static void tcp_hash_grow(struct ib_tcp_stack *ts)
{
    uint32_t n = (ts->hash_mask + 1) * 2;
    struct ib_tcp **nt = calloc(n, sizeof(*nt));
    if (!nt) return; /* longer chains, still correct */
    for (uint32_t i = 0; i <= ts->hash_mask; i++) {
        while (ts->hash[i]) {
            struct ib_tcp *c = ts->hash[i];
            ts->hash[i] = c->hnext;
            uint32_t h = tcp_hash(ts, c->laddr, c->lport, c->raddr, c->rport) & (n - 1);
            c->hnext = nt[h];
            nt[h] = c;
        }
    }
    free(ts->hash);
    ts->hash = nt;
    ts->hash_mask = n - 1;
}

static void tcp_tw_grow(struct ib_tcp_stack *ts)
{
    uint32_t n = (ts->tw_mask + 1) * 2;
    struct ib_tcp_tw **nt = calloc(n, sizeof(*nt));
    if (!nt) return;
    for (uint32_t i = 0; i <= ts->tw_mask; i++) {
        while (ts->tw_hash[i]) {
            struct ib_tcp_tw *t = ts->tw_hash[i];
            ts->tw_hash[i] = t->hnext;
            uint32_t h = tcp_hash(ts, t->laddr, t->lport, t->raddr, t->rport) & (n - 1);
            t->hnext = nt[h];
            nt[h] = t;
        }
    }
    free(ts->tw_hash);
    ts->tw_hash = nt;
    ts->tw_mask = n - 1;
}

int ib_tcp_hash_add(struct ib_tcp *c)
{
    struct ib_tcp_stack *ts = c->stack->tcp;
    if (ts->n_conns >= ts->hash_mask + 1) tcp_hash_grow(ts);
    struct ib_tcp **b =
        &ts->hash[tcp_hash(ts, c->laddr, c->lport, c->raddr, c->rport) & ts->hash_mask];
    c->hnext = *b;
    *b = c;
    c->flags |= IB_TCPF_HASHED;
    ts->n_conns++;
    return 0;
}

static void tcp_list_remove(struct ib_tcp **pp, struct ib_tcp *c)
{
    for (; *pp; pp = &(*pp)->hnext) {
        if (*pp == c) {
            *pp = c->hnext;
            return;
        }
    }
}

/* Takes c off whichever list holds it: the hash (connections), the
 * listeners or the parked list (CLOSED, still held by the app). */
static void tcp_unhash(struct ib_tcp *c)
{
    struct ib_tcp_stack *ts = c->stack->tcp;
    if (!(c->flags & IB_TCPF_HASHED)) return;
    if (c->state == IB_TCP_LISTEN) {
        tcp_list_remove(&ts->listeners, c);
    } else if (c->state == IB_TCP_CLOSED) {
        tcp_list_remove(&ts->parked, c);
    } else {
        tcp_list_remove(
            &ts->hash[tcp_hash(ts, c->laddr, c->lport, c->raddr, c->rport) & ts->hash_mask], c);
        ts->n_conns--;
    }
    c->flags &= ~IB_TCPF_HASHED;
    c->hnext = NULL;
}

struct ib_tcp *ib_tcp_new(struct ib_stack *s, const struct ib_tcp_config *cfg)
{
    struct ib_tcp *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->stack = s;
    c->cfg = cfg ? cfg : &s->cfg.tcp;
    ib_timer_init(&c->timer, ib_tcp_timer_fire);
    c->rto_at = IB_TIME_NEVER;
    c->ssthresh = UINT32_MAX / 2;
    if (!c->cfg->nagle) c->flags |= IB_TCPF_NODELAY;
    return c;
}

bool ib_tcp_app_holds(const struct ib_tcp *c)
{
    return (c->flags & (IB_TCPF_ACCEPTED | IB_TCPF_CLOSED_BY_APP)) == IB_TCPF_ACCEPTED;
}

static void tcp_fill_ev(const struct ib_tcp *c, struct ib_event *ev)
{
    ev->u.tcp.laddr = c->laddr;
    ev->u.tcp.raddr = c->raddr;
    ev->u.tcp.lport = c->lport;
    ev->u.tcp.rport = c->rport;
    ev->u.tcp.cwnd = c->cwnd;
    ev->u.tcp.ssthresh = c->ssthresh;
    ev->u.tcp.inflight = ib_tcp_flight(c);
    ev->u.tcp.snd_wnd = c->snd_wnd;
    ev->u.tcp.srtt_us = c->srtt_us;
    ev->u.tcp.rttvar_us = c->rttvar_us;
    ev->u.tcp.rto_us = ib_tcp_rto_us(c);
    struct ib_tcp_info in;
    ib_tcp_get_info(c, &in);
    ev->u.tcp.bytes_acked = in.bytes_acked;
    ev->u.tcp.bytes_received = in.bytes_received;
    ev->u.tcp.retransmits = c->retransmits;
}

void ib_tcp_set_state(struct ib_tcp *c, enum ib_tcp_state st, enum ib_tcp_cause cause,
                      const struct ib_tcp_hdr *h)
{
    uint8_t old = c->state;
    /* A closed connection no longer owns its 4-tuple (RFC 9293 §3.10.7.1:
     * segments for it meet "CLOSED"); one the app holds is parked so that
     * ib_tcp_stack_destroy still finds it. */
    if (st == IB_TCP_CLOSED) tcp_unhash(c);
    c->state = (uint8_t)st;
    if (st == IB_TCP_CLOSED && ib_tcp_app_holds(c)) {
        struct ib_tcp_stack *ts = c->stack->tcp;
        c->hnext = ts->parked;
        ts->parked = c;
        c->flags |= IB_TCPF_HASHED;
    }
    struct ib_env *env = c->stack->node.env;
    if (!ib_tracing(env)) return;
    struct ib_event ev;
    ib_event_init(&ev, env, IB_EV_TCP_STATE, 4, &c->stack->node, NULL, NULL);
    tcp_fill_ev(c, &ev);
    ev.u.tcp.old_state = old;
    ev.u.tcp.new_state = (uint8_t)st;
    ev.u.tcp.cause = (uint8_t)cause;
    if (h) {
        ev.u.tcp.flags = h->flags;
        ev.u.tcp.seq = h->seq;
        ev.u.tcp.ack = h->ack;
    }
    ib_emit(env, &ev);
}

void ib_tcp_trace_info(struct ib_tcp *c)
{
    struct ib_env *env = c->stack->node.env;
    if (!ib_tracing(env)) return;
    struct ib_event ev;
    ib_event_init(&ev, env, IB_EV_TCP_INFO, 4, &c->stack->node, NULL, NULL);
    tcp_fill_ev(c, &ev);
    ev.u.tcp.old_state = ev.u.tcp.new_state = c->state;
    ib_emit(env, &ev);
}

void ib_tcp_trace_rexmit(struct ib_tcp *c, uint32_t seq, uint32_t len, enum ib_tcp_cause cause)
{
    c->retransmits++;
    c->stack->tcp->mib.retrans_segs++;
    struct ib_env *env = c->stack->node.env;
    if (!ib_tracing(env)) return;
    struct ib_event ev;
    ib_event_init(&ev, env, IB_EV_TCP_RETRANSMIT, 4, &c->stack->node, NULL, NULL);
    tcp_fill_ev(c, &ev);
    ev.u.tcp.old_state = ev.u.tcp.new_state = c->state;
    ev.u.tcp.cause = (uint8_t)cause;
    ev.u.tcp.seq = seq;
    ev.u.tcp.ack = seq + len;
    ib_emit(env, &ev);
}

uint16_t ib_tcp_route_mss(struct ib_stack *s, ib_ip4 raddr, const struct ib_tcp_config *cfg)
{
    uint32_t mtu = 0;
    const struct ib_route *rt = ib_fib_lookup(&s->fib, raddr);
    if (rt && rt->ifindex < s->n_nifs) mtu = s->nifs[rt->ifindex]->mtu;
    if (mtu == 0) mtu = 1500;
    /* RFC 9293 §3.7.1: MSS = MTU - fixed IP and TCP headers; RFC 879's
     * 576-byte datagrams are the floor. */
    uint32_t mss = mtu > 40 + 536 ? mtu - 40 : 536;
    if (cfg->mss && cfg->mss < mss) mss = cfg->mss;
    return (uint16_t)mss;
}

static void tcp_free(struct ib_tcp *c)
{
    struct ib_stack *s = c->stack;
    tcp_unhash(c);
    if (c->flags & IB_TCPF_CHILD) {
        c->listener->ooo_bytes--;
        c->flags &= ~IB_TCPF_CHILD;
    }
    ib_evq_forget(s->node.env->q, &c->timer);
    ib_tcp_ring_free(&c->snd);
    ib_tcp_ring_free(&c->rcv);
    while (c->ooo) {
        struct ib_pkt *p = c->ooo;
        c->ooo = p->next;
        p->next = NULL;
        ib_pkt_free(p);
    }
    free(c);
}

void ib_tcp_established(struct ib_tcp *c, const struct ib_tcp_hdr *h)
{
    struct ib_tcp *l = NULL;
    if (c->flags & IB_TCPF_CHILD) {
        l = c->listener;
        l->ooo_bytes--;
        c->flags &= ~IB_TCPF_CHILD;
        c->ops = l->ops;
        c->arg = l->arg;
        c->flags |= IB_TCPF_ACCEPTED;
    }
    if (c->timeouts) c->flags |= IB_TCPF_RTO_3S;
    ib_tcp_cc_for(c->cfg->cc)->init(c);
    ib_tcp_set_state(c, IB_TCP_ESTABLISHED, IB_TCP_CAUSE_SEGMENT, h);
    if (l) {
        c->stack->tcp->mib.passive_opens++;
        if (c->ops && c->ops->accepted) c->ops->accepted(l, c, c->arg);
    } else if (c->ops && c->ops->connected) {
        c->ops->connected(c, c->arg);
    }
    /* RFC 9293 §3.10.4: a CLOSE before the connection was established
     * takes effect now. */
    if (c->state == IB_TCP_ESTABLISHED && (c->flags & IB_TCPF_FIN_QUEUED))
        ib_tcp_set_state(c, IB_TCP_FIN_WAIT_1, IB_TCP_CAUSE_APP_CLOSE, NULL);
}

void ib_tcp_drop_conn(struct ib_tcp *c, int err, enum ib_tcp_cause cause,
                      const struct ib_tcp_hdr *h)
{
    struct ib_tcp_stack *ts = c->stack->tcp;
    if (c->state == IB_TCP_SYN_SENT || c->state == IB_TCP_SYN_RECEIVED)
        ts->mib.attempt_fails++;
    else if (c->state == IB_TCP_ESTABLISHED || c->state == IB_TCP_CLOSE_WAIT)
        ts->mib.estab_resets++;
    if (err == IB_ERR_RESET) c->flags |= IB_TCPF_RESET;
    c->rto_at = IB_TIME_NEVER;
    c->flags &= ~(IB_TCPF_DELACK | IB_TCPF_ACK_NOW | IB_TCPF_PERSIST | IB_TCPF_KEEPALIVE);
    ib_tcp_set_state(c, IB_TCP_CLOSED, cause, h);
    /* Unsent and unacknowledged data is gone with the connection. */
    ib_tcp_ring_free(&c->snd);
    if (err && ib_tcp_app_holds(c) && c->ops && c->ops->error) {
        /* The callback may close c: keep it alive until it returns. */
        bool nested = (c->flags & IB_TCPF_IN_INPUT) != 0;
        c->flags |= IB_TCPF_IN_INPUT;
        c->ops->error(c, err, c->arg);
        if (!nested) c->flags &= ~IB_TCPF_IN_INPUT;
    }
    ib_tcp_settle(c);
}

/* RFC 9293 §3.3.2 / §3.10.7.4: TIME-WAIT keeps the 4-tuple for 2*MSL so
 * that old duplicates die and a lost last ACK can be repeated. */
static void tcp_to_tw(struct ib_tcp *c)
{
    struct ib_stack *s = c->stack;
    struct ib_tcp_stack *ts = s->tcp;
    struct ib_env *env = s->node.env;
    struct ib_tcp_tw *tw = calloc(1, sizeof(*tw));
    if (!tw) {
        /* Without a record the tuple is simply free earlier. */
        tcp_free(c);
        return;
    }
    tw->laddr = c->laddr;
    tw->raddr = c->raddr;
    tw->lport = c->lport;
    tw->rport = c->rport;
    tw->snd_nxt = c->snd_max;
    tw->rcv_nxt = c->rcv_nxt;
    tw->ts_recent = c->ts_recent;
    tw->flags = (uint8_t)(c->flags & IB_TCPF_TS);
    uint32_t w = ib_tcp_rcv_space(c) >> c->rcv_wscale;
    tw->rcv_wnd = (uint16_t)(w > 0xffff ? 0xffff : w);
    /* The FIFO stays ordered by expiry: a connection held by the app for a
     * while keeps its own deadline unless that would jump the queue. */
    tw->expires = c->rto_at != IB_TIME_NEVER ? c->rto_at : ib_now(env) + 2 * c->cfg->msl;
    if (ts->tw_tail && tw->expires < ts->tw_tail->expires) tw->expires = ts->tw_tail->expires;
    tcp_free(c);
    if (ts->n_tw >= ts->tw_mask + 1) tcp_tw_grow(ts);
    struct ib_tcp_tw **b =
        &ts->tw_hash[tcp_hash(ts, tw->laddr, tw->lport, tw->raddr, tw->rport) & ts->tw_mask];
    tw->hnext = *b;
    *b = tw;
    ts->n_tw++;
    if (ts->tw_tail)
        ts->tw_tail->qnext = tw;
    else
        ts->tw_head = tw;
    ts->tw_tail = tw;
    if (!ib_timer_armed(&ts->tw_timer)) ib_timer_arm(env, &ts->tw_timer, ts->tw_head->expires);
}

void ib_tcp_settle(struct ib_tcp *c)
{
    if (c->flags & IB_TCPF_IN_INPUT) return;
    bool held = ib_tcp_app_holds(c);
    if (c->state == IB_TCP_CLOSED && !held) {
        tcp_free(c);
        return;
    }
    if (c->state == IB_TCP_TIME_WAIT && !held) {
        tcp_to_tw(c);
        return;
    }
    ib_tcp_timer_update(c);
}

static void tw_unlink(struct ib_tcp_stack *ts, struct ib_tcp_tw *tw, bool from_queue)
{
    struct ib_tcp_tw **pp =
        &ts->tw_hash[tcp_hash(ts, tw->laddr, tw->lport, tw->raddr, tw->rport) & ts->tw_mask];
    for (; *pp; pp = &(*pp)->hnext) {
        if (*pp == tw) {
            *pp = tw->hnext;
            break;
        }
    }
    if (from_queue) {
        struct ib_tcp_tw *prev = NULL;
        for (struct ib_tcp_tw *q = ts->tw_head; q; prev = q, q = q->qnext) {
            if (q != tw) continue;
            if (prev)
                prev->qnext = q->qnext;
            else
                ts->tw_head = q->qnext;
            if (ts->tw_tail == q) ts->tw_tail = prev;
            break;
        }
    }
    tw->hnext = tw->qnext = NULL;
    ts->n_tw--;
}

static void tw_trace_closed(struct ib_stack *s, const struct ib_tcp_tw *tw, enum ib_tcp_cause cause,
                            const struct ib_tcp_hdr *h)
{
    struct ib_env *env = s->node.env;
    if (!ib_tracing(env)) return;
    struct ib_event ev;
    ib_event_init(&ev, env, IB_EV_TCP_STATE, 4, &s->node, NULL, NULL);
    ev.u.tcp.laddr = tw->laddr;
    ev.u.tcp.raddr = tw->raddr;
    ev.u.tcp.lport = tw->lport;
    ev.u.tcp.rport = tw->rport;
    ev.u.tcp.old_state = IB_TCP_TIME_WAIT;
    ev.u.tcp.new_state = IB_TCP_CLOSED;
    ev.u.tcp.cause = (uint8_t)cause;
    if (h) {
        ev.u.tcp.flags = h->flags;
        ev.u.tcp.seq = h->seq;
        ev.u.tcp.ack = h->ack;
    }
    ib_emit(env, &ev);
}

void ib_tcp_tw_restart(struct ib_stack *s, struct ib_tcp_tw *tw)
{
    struct ib_tcp_stack *ts = s->tcp;
    /* RFC 9293 §3.10.7.4 TIME-WAIT: "restart the 2 MSL timeout". Every
     * record lives the same time, so the restarted one goes to the tail. */
    tw->expires = ib_now(s->node.env) + 2 * s->cfg.tcp.msl;
    if (ts->tw_tail == tw) return;
    tw_unlink(ts, tw, true);
    ts->n_tw++;
    struct ib_tcp_tw **b =
        &ts->tw_hash[tcp_hash(ts, tw->laddr, tw->lport, tw->raddr, tw->rport) & ts->tw_mask];
    tw->hnext = *b;
    *b = tw;
    if (ts->tw_tail)
        ts->tw_tail->qnext = tw;
    else
        ts->tw_head = tw;
    ts->tw_tail = tw;
    ib_timer_arm(s->node.env, &ts->tw_timer, ts->tw_head->expires);
}

void ib_tcp_tw_kill(struct ib_stack *s, struct ib_tcp_tw *tw, enum ib_tcp_cause cause,
                    const struct ib_tcp_hdr *h)
{
    tw_unlink(s->tcp, tw, true);
    tw_trace_closed(s, tw, cause, h);
    free(tw);
}

void ib_tcp_tw_timer_fire(struct ib_timer *t)
{
    struct ib_tcp_stack *ts =
        (struct ib_tcp_stack *)(void *)((char *)t - offsetof(struct ib_tcp_stack, tw_timer));
    struct ib_stack *s = ts->stack;
    ib_time now = ib_now(s->node.env);
    struct ib_tcp_tw *tw;
    while ((tw = ts->tw_head) && tw->expires <= now) {
        ts->tw_head = tw->qnext;
        if (!ts->tw_head) ts->tw_tail = NULL;
        tw_unlink(ts, tw, false);
        tw_trace_closed(s, tw, IB_TCP_CAUSE_TIME_WAIT, NULL);
        free(tw);
    }
    if (ts->tw_head) ib_timer_arm(s->node.env, &ts->tw_timer, ts->tw_head->expires);
}

struct ib_tcp *ib_tcp_listen(struct ib_stack *s, ib_ip4 laddr, uint16_t port,
                             const struct ib_tcp_ops *ops, void *arg,
                             const struct ib_tcp_config *cfg)
{
    struct ib_tcp_stack *ts = ib_tcp_stack_get(s);
    if (!ts || port == 0) return NULL;
    for (struct ib_tcp *l = ts->listeners; l; l = l->hnext)
        if (l->lport == port && l->laddr == laddr) return NULL;
    struct ib_tcp *c = ib_tcp_new(s, cfg);
    if (!c) return NULL;
    c->laddr = laddr;
    c->lport = port;
    c->ops = ops;
    c->arg = arg;
    c->flags |= IB_TCPF_ACCEPTED | IB_TCPF_HASHED;
    c->hnext = ts->listeners;
    ts->listeners = c;
    ib_tcp_set_state(c, IB_TCP_LISTEN, IB_TCP_CAUSE_APP_OPEN, NULL);
    return c;
}

static bool tcp_tuple_free(const struct ib_tcp_stack *ts, ib_ip4 la, uint16_t lp, ib_ip4 ra,
                           uint16_t rp)
{
    return !ib_tcp_lookup(ts, la, lp, ra, rp) && !ib_tcp_tw_lookup(ts, la, lp, ra, rp);
}

struct ib_tcp *ib_tcp_connect(struct ib_stack *s, ib_ip4 dst, uint16_t port,
                              const struct ib_tcp_ops *ops, void *arg,
                              const struct ib_tcp_config *cfg)
{
    struct ib_tcp_stack *ts = ib_tcp_stack_get(s);
    if (!ts || port == 0) return NULL;
    ib_ip4 src = ib_ip4_source_for(s, dst);
    if (!src) return NULL;
    /* RFC 6335 §6 / RFC 6056 §3.3.2: the next free ephemeral port; a port
     * is free toward this destination when the 4-tuple is unused and no
     * NAT mapping holds it (its segments would go to the inside). */
    uint16_t lport = 0;
    for (uint32_t i = 0; i < 65536 - TCP_EPHEMERAL_MIN && !lport; i++) {
        uint16_t cand =
            s->next_port < TCP_EPHEMERAL_MIN ? (uint16_t)TCP_EPHEMERAL_MIN : s->next_port;
        s->next_port = (uint16_t)(cand + 1);
        if (tcp_tuple_free(ts, src, cand, dst, port) && !ib_nat_port_taken(s, IB_IPPROTO_TCP, cand))
            lport = cand;
    }
    if (!lport) return NULL;
    struct ib_tcp *c = ib_tcp_new(s, cfg);
    if (!c) return NULL;
    c->laddr = src;
    c->lport = lport;
    c->raddr = dst;
    c->rport = port;
    c->ops = ops;
    c->arg = arg;
    c->flags |= IB_TCPF_ACCEPTED;
    c->mss = ib_tcp_route_mss(s, dst, c->cfg);
    /* RFC 9293 §3.4.1 / RFC 6528 §3. */
    c->iss = ib_tcp_isn(ts, ib_now(s->node.env), src, lport, dst, port);
    c->snd_una = c->snd_nxt = c->snd_max = c->iss;
    /* RFC 7323 §2.3: the shift is chosen so the whole buffer can be
     * offered; it is fixed for the connection's life. */
    if (c->cfg->wscale) {
        while (c->rcv_wscale < 14 && (c->cfg->rcvbuf >> c->rcv_wscale) > 0xffff)
            c->rcv_wscale++;
    }
    ib_tcp_hash_add(c);
    ts->mib.active_opens++;
    ib_tcp_set_state(c, IB_TCP_SYN_SENT, IB_TCP_CAUSE_APP_OPEN, NULL);
    ib_tcp_output(c);
    ib_tcp_settle(c);
    return c;
}

void ib_tcp_set_ops(struct ib_tcp *c, const struct ib_tcp_ops *ops, void *arg)
{
    c->ops = ops;
    c->arg = arg;
}

static bool tcp_can_send(const struct ib_tcp *c)
{
    if (c->flags & (IB_TCPF_FIN_QUEUED | IB_TCPF_CLOSED_BY_APP)) return false;
    switch (c->state) {
    case IB_TCP_SYN_SENT:
    case IB_TCP_SYN_RECEIVED:
    case IB_TCP_ESTABLISHED:
    case IB_TCP_CLOSE_WAIT:
        return true;
    default:
        return false;
    }
}

long ib_tcp_send(struct ib_tcp *c, const void *data, size_t len)
{
    /* RFC 9293 §3.10.2: SEND in SYN-SENT/SYN-RECEIVED queues the data;
     * after CLOSE it is an error ("connection closing"). */
    if (!tcp_can_send(c)) return IB_ERR_CLOSED;
    uint32_t n = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
    n = ib_tcp_ring_write(&c->snd, data, n, c->cfg->sndbuf);
    if (n && !(c->flags & IB_TCPF_IN_INPUT) &&
        (c->state == IB_TCP_ESTABLISHED || c->state == IB_TCP_CLOSE_WAIT)) {
        ib_tcp_output(c);
        ib_tcp_timer_update(c);
    }
    return (long)n;
}

size_t ib_tcp_send_space(const struct ib_tcp *c)
{
    if (!tcp_can_send(c)) return 0;
    return c->cfg->sndbuf > c->snd.len ? c->cfg->sndbuf - c->snd.len : 0;
}

size_t ib_tcp_send_pending(const struct ib_tcp *c)
{
    return c->snd.len;
}

long ib_tcp_recv(struct ib_tcp *c, void *buf, size_t len)
{
    uint32_t n = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
    n = ib_tcp_ring_read(&c->rcv, buf, n);
    if (n == 0) return (c->flags & IB_TCPF_RESET) ? IB_ERR_RESET : 0;
    /* RFC 9293 §3.8.6.2.2: tell the peer about the room reading made, but
     * only once it is worth a segment. */
    if ((c->state == IB_TCP_ESTABLISHED || c->state == IB_TCP_FIN_WAIT_1 ||
         c->state == IB_TCP_FIN_WAIT_2) &&
        ib_tcp_wnd_update_due(c)) {
        if (c->flags & IB_TCPF_IN_INPUT) {
            c->flags |= IB_TCPF_ACK_NOW;
        } else {
            ib_tcp_send_ack(c);
            ib_tcp_timer_update(c);
        }
    }
    return (long)n;
}

size_t ib_tcp_readable(const struct ib_tcp *c)
{
    return c->rcv.len;
}

bool ib_tcp_eof(const struct ib_tcp *c)
{
    return (c->flags & IB_TCPF_FIN_RCVD) && c->rcv.len == 0;
}

int ib_tcp_shutdown(struct ib_tcp *c)
{
    if (c->flags & IB_TCPF_FIN_QUEUED) return 0;
    switch (c->state) {
    case IB_TCP_SYN_SENT:
    case IB_TCP_SYN_RECEIVED:
        /* RFC 9293 §3.10.4: queued until ESTABLISHED is reached. */
        c->flags |= IB_TCPF_FIN_QUEUED;
        return 0;
    case IB_TCP_ESTABLISHED:
        c->flags |= IB_TCPF_FIN_QUEUED;
        ib_tcp_set_state(c, IB_TCP_FIN_WAIT_1, IB_TCP_CAUSE_APP_CLOSE, NULL);
        break;
    case IB_TCP_CLOSE_WAIT:
        c->flags |= IB_TCPF_FIN_QUEUED;
        ib_tcp_set_state(c, IB_TCP_LAST_ACK, IB_TCP_CAUSE_APP_CLOSE, NULL);
        break;
    default:
        return IB_ERR_CLOSED;
    }
    if (!(c->flags & IB_TCPF_IN_INPUT)) {
        ib_tcp_output(c);
        ib_tcp_timer_update(c);
    }
    return 0;
}

static void tcp_close_listener(struct ib_tcp *l)
{
    struct ib_tcp_stack *ts = l->stack->tcp;
    /* Connections still in the handshake die with their listener. */
    for (uint32_t i = 0; l->ooo_bytes && i <= ts->hash_mask; i++) {
        struct ib_tcp *c = ts->hash[i];
        while (c) {
            struct ib_tcp *next = c->hnext;
            if ((c->flags & IB_TCPF_CHILD) && c->listener == l && !(c->flags & IB_TCPF_IN_INPUT)) {
                ib_tcp_send_rst(c);
                ib_tcp_drop_conn(c, 0, IB_TCP_CAUSE_APP_ABORT, NULL);
            }
            c = next;
        }
    }
    l->flags |= IB_TCPF_CLOSED_BY_APP;
    ib_tcp_set_state(l, IB_TCP_CLOSED, IB_TCP_CAUSE_APP_CLOSE, NULL);
    ib_tcp_settle(l);
}

void ib_tcp_close(struct ib_tcp *c)
{
    if (c->flags & IB_TCPF_CLOSED_BY_APP) return;
    if (c->state == IB_TCP_LISTEN) {
        tcp_close_listener(c);
        return;
    }
    /* RFC 2525 §2.17 (and RFC 9293 §3.10.4 leaves it open): closing with
     * unread data loses it, so the peer is told with a RST. */
    if (c->rcv.len > 0) {
        ib_tcp_abort(c);
        return;
    }
    c->flags |= IB_TCPF_CLOSED_BY_APP;
    switch (c->state) {
    case IB_TCP_SYN_SENT:
        /* RFC 9293 §3.10.4 SYN-SENT: delete the TCB. */
        ib_tcp_drop_conn(c, 0, IB_TCP_CAUSE_APP_CLOSE, NULL);
        return;
    case IB_TCP_SYN_RECEIVED:
    case IB_TCP_ESTABLISHED:
    case IB_TCP_CLOSE_WAIT:
        ib_tcp_shutdown(c);
        break;
    case IB_TCP_FIN_WAIT_2:
        /* An orphan in FIN_WAIT_2 waits at most 2*MSL for the peer's FIN
         * (as BSD and Linux do), or it would live forever. */
        c->rto_at = ib_now(c->stack->node.env) + 2 * c->cfg->msl;
        break;
    default:
        break;
    }
    ib_tcp_settle(c);
}

void ib_tcp_abort(struct ib_tcp *c)
{
    if (c->state == IB_TCP_LISTEN) {
        tcp_close_listener(c);
        return;
    }
    c->flags |= IB_TCPF_CLOSED_BY_APP;
    /* RFC 9293 §3.10.5: in SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1/2 and
     * CLOSE-WAIT "send a reset segment"; otherwise just delete the TCB. */
    switch (c->state) {
    case IB_TCP_SYN_RECEIVED:
    case IB_TCP_ESTABLISHED:
    case IB_TCP_FIN_WAIT_1:
    case IB_TCP_FIN_WAIT_2:
    case IB_TCP_CLOSE_WAIT:
        /* RFC 5961 §3.2: a RST is taken at once only at exactly RCV.NXT.
         * A closed window took nothing past snd_una (not a persist probe's
         * byte), so that is where the peer's RCV.NXT stands. */
        if (c->snd_wnd == 0) c->snd_max = c->snd_una;
        ib_tcp_send_rst(c);
        break;
    default:
        break;
    }
    if (c->state != IB_TCP_CLOSED)
        ib_tcp_drop_conn(c, 0, IB_TCP_CAUSE_APP_ABORT, NULL);
    else
        ib_tcp_settle(c);
}

size_t ib_tcp_count(const struct ib_stack *s)
{
    return s->tcp ? s->tcp->n_conns : 0;
}

size_t ib_tcp_abort_closed(struct ib_stack *s)
{
    struct ib_tcp_stack *ts = s->tcp;
    size_t n = 0;
    for (uint32_t i = 0; ts && i <= ts->hash_mask; i++) {
        struct ib_tcp *c = ts->hash[i];
        while (c) {
            /* the abort unhashes c: take its successor first */
            struct ib_tcp *next = c->hnext;
            if ((c->flags & IB_TCPF_CLOSED_BY_APP) && !(c->flags & IB_TCPF_IN_INPUT)) {
                ib_tcp_abort(c);
                n++;
            }
            c = next;
        }
    }
    return n;
}

enum ib_tcp_state ib_tcp_get_state(const struct ib_tcp *c)
{
    return (enum ib_tcp_state)c->state;
}

void ib_tcp_endpoints(const struct ib_tcp *c, ib_ip4 *laddr, uint16_t *lport, ib_ip4 *raddr,
                      uint16_t *rport)
{
    if (laddr) *laddr = c->laddr;
    if (lport) *lport = c->lport;
    if (raddr) *raddr = c->raddr;
    if (rport) *rport = c->rport;
}

void ib_tcp_get_info(const struct ib_tcp *c, struct ib_tcp_info *out)
{
    memset(out, 0, sizeof(*out));
    out->state = (enum ib_tcp_state)c->state;
    out->mss = c->mss;
    out->cwnd = c->cwnd;
    out->ssthresh = c->ssthresh;
    out->snd_wnd = c->snd_wnd;
    out->rcv_wnd = ib_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    out->inflight = ib_tcp_flight(c);
    out->srtt = (ib_time)c->srtt_us * 1000;
    out->rttvar = (ib_time)c->rttvar_us * 1000;
    out->rto = (ib_time)ib_tcp_rto_us(c) * 1000;
    /* The SYN and FIN take a sequence number each but carry no byte. */
    uint32_t acked = c->snd_una - c->iss;
    if (acked) acked--;
    if ((c->flags & IB_TCPF_FIN_SENT) && c->snd_una == c->snd_max && acked) acked--;
    out->bytes_acked = (uint64_t)c->acked_wraps << 32 | acked;
    out->bytes_sent = out->bytes_acked + (c->snd_max - c->snd_una);
    uint32_t rcvd = c->rcv_nxt - c->irs;
    if (rcvd) rcvd--;
    if ((c->flags & IB_TCPF_FIN_RCVD) && rcvd) rcvd--;
    out->bytes_received = (uint64_t)c->rcvd_wraps << 32 | rcvd;
    out->segs_out = c->segs_out;
    out->segs_in = c->segs_in;
    out->retransmits = c->retransmits;
    out->fast_retransmits = c->fast_retransmits;
    out->timeouts = c->timeouts;
    out->sack = (c->flags & IB_TCPF_SACK) != 0;
    out->timestamps = (c->flags & IB_TCPF_TS) != 0;
    out->wscale = (c->flags & IB_TCPF_WS) != 0;
    out->snd_wscale = c->snd_wscale;
    out->rcv_wscale = c->rcv_wscale;
}

void ib_tcp_stack_destroy(struct ib_stack *s)
{
    struct ib_tcp_stack *ts = s->tcp;
    if (!ts) return;
    struct ib_evq *q = s->node.env->q;
    for (uint32_t i = 0; i <= ts->hash_mask; i++) {
        while (ts->hash[i]) {
            struct ib_tcp *c = ts->hash[i];
            ts->hash[i] = c->hnext;
            c->flags &= ~(IB_TCPF_HASHED | IB_TCPF_CHILD);
            c->hnext = NULL;
            tcp_free(c);
        }
    }
    struct ib_tcp **lists[] = {&ts->listeners, &ts->parked};
    for (unsigned k = 0; k < IB_ARRAY_LEN(lists); k++) {
        while (*lists[k]) {
            struct ib_tcp *l = *lists[k];
            *lists[k] = l->hnext;
            l->flags &= ~(IB_TCPF_HASHED | IB_TCPF_CHILD);
            l->hnext = NULL;
            tcp_free(l);
        }
    }
    while (ts->tw_head) {
        struct ib_tcp_tw *tw = ts->tw_head;
        ts->tw_head = tw->qnext;
        free(tw);
    }
    ib_evq_forget(q, &ts->tw_timer);
    free(ts->hash);
    free(ts->tw_hash);
    free(ts);
    s->tcp = NULL;
}

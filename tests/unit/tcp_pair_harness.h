/* Two real stacks, a (10.0.0.1) and b (10.0.0.2), cabled by one simulated
 * link, for the TCP state-machine and API tests. An observer records every
 * TCP state change (node, old, new, cause, time), retransmissions and
 * drops; each side has an app that can accept, read (and hash) everything,
 * send a pattern, and close on EOF. Include after cmocka.h. */
#ifndef INETBOX_TEST_TCP_PAIR_HARNESS_H
#define INETBOX_TEST_TCP_PAIR_HARNESS_H

#include <stdlib.h>

#include "inetbox/eth.h"
#include "inetbox/world.h"
#include "transport/tcp_int.h"

#define TP_A IB_IP4(10, 0, 0, 1)
#define TP_B IB_IP4(10, 0, 0, 2)
#define TP_PORT 80
#define TP_MAX_EV 128

struct tp_ev {
    int who; /* 0: a, 1: b */
    uint8_t from, to, cause, flags;
    uint16_t lport, rport;
    ib_time t;
};

struct tp;
struct tp_side {
    struct tp *t;
    int who;
    struct ib_tcp *c; /* the connection (connected or accepted) */
    struct ib_tcp *l; /* listener */
    unsigned connected, accepted, readable, writable, errors;
    int err;
    bool read;         /* read everything on readable */
    bool close_on_eof; /* close once the peer's FIN was read */
    bool shut_on_eof;  /* shutdown (keep the handle) once EOF is seen */
    bool abort_on_eof;
    uint8_t *rx;
    size_t rx_len, rx_cap;
    const uint8_t *tx; /* data to push on connected/writable */
    size_t tx_len, tx_off;
    bool close_after_tx;
};

struct tp {
    struct ib_world *w;
    struct ib_stack *s[2];
    struct ib_netif *nif[2];
    struct ib_link *link;
    struct ib_tcp_config cfg[2];
    struct tp_ev ev[TP_MAX_EV];
    unsigned nev;
    unsigned rexmit[2], probes[2];
    unsigned drops[2][IB_DROP__COUNT];
    struct tp_side side[2];
    struct ib_timer link_up; /* brings the link back up */
};

static inline int tp_who(const struct tp *t, const struct ib_node *n)
{
    return n == &t->s[0]->node ? 0 : 1;
}

static inline void tp_observe(void *ctx, const struct ib_event *e)
{
    struct tp *t = ctx;
    if (!e->node || (e->node != &t->s[0]->node && e->node != &t->s[1]->node)) return;
    int who = tp_who(t, e->node);
    switch (e->kind) {
    case IB_EV_TCP_STATE:
        if (t->nev < TP_MAX_EV) {
            t->ev[t->nev++] = (struct tp_ev){who,
                                             e->u.tcp.old_state,
                                             e->u.tcp.new_state,
                                             e->u.tcp.cause,
                                             e->u.tcp.flags,
                                             e->u.tcp.lport,
                                             e->u.tcp.rport,
                                             e->t};
        }
        break;
    case IB_EV_TCP_RETRANSMIT:
        t->rexmit[who]++;
        if (e->u.tcp.cause == IB_TCP_CAUSE_PROBE) t->probes[who]++;
        break;
    case IB_EV_DROP:
        t->drops[who][e->reason]++;
        break;
    default:
        break;
    }
}

static inline void tp_push(struct tp_side *sd)
{
    while (sd->c && sd->tx_off < sd->tx_len) {
        long n = ib_tcp_send(sd->c, sd->tx + sd->tx_off, sd->tx_len - sd->tx_off);
        if (n <= 0) break;
        sd->tx_off += (size_t)n;
    }
    if (sd->c && sd->close_after_tx && sd->tx_off == sd->tx_len) {
        sd->close_after_tx = false;
        ib_tcp_shutdown(sd->c);
    }
}

static inline void tp_drain(struct tp_side *sd)
{
    for (;;) {
        if (sd->rx_cap - sd->rx_len < 65536) {
            sd->rx_cap = sd->rx_cap ? 2 * sd->rx_cap : 131072;
            sd->rx = realloc(sd->rx, sd->rx_cap);
            assert_non_null(sd->rx);
        }
        long n = ib_tcp_recv(sd->c, sd->rx + sd->rx_len, sd->rx_cap - sd->rx_len);
        if (n <= 0) break;
        sd->rx_len += (size_t)n;
    }
}

static inline void tp_on_eof(struct tp_side *sd)
{
    struct ib_tcp *c = sd->c;
    if (!ib_tcp_eof(c)) return;
    if (sd->close_on_eof) {
        sd->close_on_eof = false;
        sd->c = NULL;
        ib_tcp_close(c);
    } else if (sd->shut_on_eof) {
        sd->shut_on_eof = false;
        ib_tcp_shutdown(c);
    } else if (sd->abort_on_eof) {
        sd->abort_on_eof = false;
        sd->c = NULL;
        ib_tcp_abort(c);
    }
}

static inline void tp_connected(struct ib_tcp *c, void *arg)
{
    struct tp_side *sd = arg;
    sd->connected++;
    sd->c = c;
    tp_push(sd);
}

static inline void tp_readable(struct ib_tcp *c, void *arg)
{
    struct tp_side *sd = arg;
    (void)c;
    sd->readable++;
    if (sd->read) tp_drain(sd);
    tp_on_eof(sd);
}

static inline void tp_writable(struct ib_tcp *c, void *arg)
{
    struct tp_side *sd = arg;
    (void)c;
    sd->writable++;
    tp_push(sd);
}

static inline void tp_error(struct ib_tcp *c, int err, void *arg)
{
    struct tp_side *sd = arg;
    (void)c;
    sd->errors++;
    sd->err = err;
}

static inline void tp_accepted(struct ib_tcp *l, struct ib_tcp *c, void *arg)
{
    struct tp_side *sd = arg;
    (void)l;
    sd->accepted++;
    sd->c = c;
    tp_push(sd);
}

static const struct ib_tcp_ops tp_ops = {
    .accepted = tp_accepted,
    .connected = tp_connected,
    .readable = tp_readable,
    .writable = tp_writable,
    .error = tp_error,
};

static inline void tp_link_up(struct ib_timer *tm)
{
    struct tp *t = (struct tp *)(void *)((char *)tm - offsetof(struct tp, link_up));
    ib_link_set_up(t->link, true);
}

/* lp NULL: 1 Gbit/s, 1 ms each way. */
static inline void tp_init(struct tp *t, const struct ib_link_params *lp)
{
    memset(t, 0, sizeof(*t));
    t->w = ib_world_new(7);
    assert_non_null(t->w);
    const char *names[2] = {"a", "b"};
    ib_ip4 addr[2] = {TP_A, TP_B};
    for (int i = 0; i < 2; i++) {
        t->s[i] = ib_world_add_host(t->w, names[i]);
        assert_non_null(t->s[i]);
        t->nif[i] = ib_world_add_netif(t->w, &t->s[i]->node, "eth0");
        assert_non_null(t->nif[i]);
        t->cfg[i] = ib_tcp_defaults;
        t->side[i].t = t;
        t->side[i].who = i;
        t->side[i].read = true;
    }
    struct ib_link_params p = ib_link_defaults;
    p.delay = IB_MS(1);
    t->link = ib_world_connect(t->w, t->nif[0], t->nif[1], lp ? lp : &p);
    assert_non_null(t->link);
    for (int i = 0; i < 2; i++)
        assert_int_equal(ib_stack_set_addr(t->s[i], t->nif[i], addr[i], 24), 0);
    assert_int_equal(ib_world_observe(t->w, tp_observe, t), 0);
    ib_timer_init(&t->link_up, tp_link_up);
    /* Let the gratuitous ARPs settle so they do not interleave. */
    ib_world_run(t->w, ib_now(&t->w->env) + IB_MS(10));
}

static inline void tp_run(struct tp *t, ib_time dt)
{
    ib_world_run(t->w, ib_now(&t->w->env) + dt);
}

static inline struct ib_tcp *tp_listen(struct tp *t, int who, uint16_t port)
{
    struct tp_side *sd = &t->side[who];
    sd->l = ib_tcp_listen(t->s[who], IB_IP4_ANY, port, &tp_ops, sd, &t->cfg[who]);
    assert_non_null(sd->l);
    return sd->l;
}

static inline struct ib_tcp *tp_connect(struct tp *t, int who, uint16_t port)
{
    struct tp_side *sd = &t->side[who];
    sd->c = ib_tcp_connect(t->s[who], who ? TP_A : TP_B, port, &tp_ops, sd, &t->cfg[who]);
    assert_non_null(sd->c);
    return sd->c;
}

/* Both sides connected: a connects to b's listener on TP_PORT. */
static inline void tp_establish(struct tp *t)
{
    tp_listen(t, 1, TP_PORT);
    tp_connect(t, 0, TP_PORT);
    tp_run(t, IB_MS(50));
    assert_int_equal(t->side[0].connected, 1);
    assert_int_equal(t->side[1].accepted, 1);
    assert_int_equal(ib_tcp_get_state(t->side[0].c), IB_TCP_ESTABLISHED);
    assert_int_equal(ib_tcp_get_state(t->side[1].c), IB_TCP_ESTABLISHED);
}

/* The (from, to) transitions recorded for one side, in order. */
static inline unsigned tp_trans(const struct tp *t, int who, uint8_t (*out)[2], unsigned max)
{
    unsigned n = 0;
    for (unsigned i = 0; i < t->nev && n < max; i++) {
        if (t->ev[i].who != who) continue;
        out[n][0] = t->ev[i].from;
        out[n][1] = t->ev[i].to;
        n++;
    }
    return n;
}

/* The time of the n-th (from, to) transition of who, or -1. */
static inline ib_time tp_when(const struct tp *t, int who, uint8_t from, uint8_t to)
{
    for (unsigned i = 0; i < t->nev; i++)
        if (t->ev[i].who == who && t->ev[i].from == from && t->ev[i].to == to) return t->ev[i].t;
    return -1;
}

/* Releases what the apps still hold, lets everything finish, checks that
 * no packet is left and frees the world. */
static inline void tp_finish(struct tp *t)
{
    for (int i = 0; i < 2; i++) {
        struct tp_side *sd = &t->side[i];
        if (sd->c) {
            sd->read = false;
            ib_tcp_abort(sd->c);
            sd->c = NULL;
        }
        if (sd->l) {
            ib_tcp_close(sd->l);
            sd->l = NULL;
        }
    }
    tp_run(t, IB_SEC(600));
    for (int i = 0; i < 2; i++) {
        ib_tcp_stack_destroy(t->s[i]);
        free(t->side[i].rx);
    }
    struct ib_pkt_pool_stats st;
    ib_pkt_pool_stats(t->w->env.pool, &st);
    assert_int_equal(st.in_use, 0);
    ib_world_free(t->w);
}

#endif

/* The simulated cable. Each direction is a drop-tail transmit queue feeding
 * a serializer (one frame on the wire at a time, for its serialization
 * time), then a propagation delay. Impairments (loss, corruption,
 * duplication, reordering) are drawn from the link's own random stream when
 * a frame starts onto the wire. Frames in flight sit in a ring ordered by
 * arrival time, with one timer for the earliest, so a link costs the event
 * queue at most two entries per direction however many frames it carries.
 * Everything goes through timers, even with no rate and no delay, so a
 * frame is never delivered from inside the call that sent it. */
#include "inetbox/link.h"

#include <stdlib.h>

#include "inetbox/eth.h"

#define LINK_FCS_LEN 4u
#define LINK_FLIGHT_MIN 8u
#define LINK_QUEUE_MIN 8u

const struct ib_link_params ib_link_defaults = {
    .rate_bps = 1000000000u,
    .delay = IB_US(5),
    .queue = 100,
};

#define END_OF(t, field)                                                                           \
    ((struct ib_link_end *)(void *)((char *)(t)-offsetof(struct ib_link_end, field)))

static void link_xmit(struct ib_netif *nif, struct ib_pkt *p);

static const struct ib_netif_ops link_ops = {.xmit = link_xmit};

static struct ib_link_end *far_end(struct ib_link_end *e) { return &e->link->end[e->side ^ 1]; }

/* Time the frame occupies the wire: padded frame plus FCS, rounded up to a
 * whole nanosecond. */
static ib_time serialization(const struct ib_link *l, uint32_t len)
{
    if (l->p.rate_bps == 0)
        return 0;
    uint64_t bytes = (len < IB_ETH_MIN_FRAME ? IB_ETH_MIN_FRAME : len) + LINK_FCS_LEN;
    uint64_t bits = bytes * 8u;
    return (ib_time)((bits * 1000000000u + l->p.rate_bps - 1) / l->p.rate_bps);
}

static void wire_event(struct ib_link_end *e, struct ib_netif *nif, enum ib_ev_kind kind,
                       const struct ib_pkt *p, bool duplicate, bool corrupted)
{
    struct ib_env *env = e->link->env;
    if (!ib_tracing(env))
        return;
    struct ib_event ev;
    ib_event_init(&ev, env, kind, 1, nif->node, nif, p);
    ev.u.link.duplicate = duplicate;
    ev.u.link.corrupted = corrupted;
    ib_emit(env, &ev);
}

/* A packet only this holder references, or NULL after dropping it. */
static struct ib_pkt *private_copy(struct ib_node *node, struct ib_netif *nif, struct ib_pkt *p)
{
    if (p->refs <= 1)
        return p;
    struct ib_pkt *c = ib_pkt_clone(p);
    if (!c) {
        ib_drop(node, nif, p, IB_DROP_NOMEM);
        return NULL;
    }
    ib_pkt_free(p);
    return c;
}

/* A ring of cap elements (a power of two) twice as large (min if empty),
 * its len elements moved from head to the front. The old ring is freed;
 * NULL (and the old ring kept) if out of memory. */
static void *ring_grow(void *ring, uint32_t cap, uint32_t head, uint32_t len, size_t elem,
                       uint32_t min)
{
    uint32_t ncap = cap ? cap * 2 : min;
    char *n = malloc((size_t)ncap * elem);
    if (!n)
        return NULL;
    uint32_t first = cap - head < len ? cap - head : len;
    if (len) {
        memcpy(n, (char *)ring + (size_t)head * elem, (size_t)first * elem);
        memcpy(n + (size_t)first * elem, ring, (size_t)(len - first) * elem);
    }
    free(ring);
    return n;
}

/* Puts a frame in flight. Arrival times are almost always increasing, so
 * the insertion scans from the tail; equal times keep sending order. */
static void fly(struct ib_link_end *e, struct ib_pkt *p, ib_time arrive, bool corrupted)
{
    if (e->fl_len == e->fl_cap) {
        struct ib_link_flight *fl =
            ring_grow(e->fl, e->fl_cap, e->fl_head, e->fl_len, sizeof(*fl), LINK_FLIGHT_MIN);
        if (!fl) {
            ib_drop(e->nif->node, e->nif, p, IB_DROP_NOMEM);
            return;
        }
        e->fl = fl;
        e->fl_cap = e->fl_cap ? e->fl_cap * 2 : LINK_FLIGHT_MIN;
        e->fl_head = 0;
    }
    uint32_t mask = e->fl_cap - 1;
    uint32_t i = e->fl_len;
    while (i > 0 && e->fl[(e->fl_head + i - 1) & mask].arrive > arrive) {
        e->fl[(e->fl_head + i) & mask] = e->fl[(e->fl_head + i - 1) & mask];
        i--;
    }
    e->fl[(e->fl_head + i) & mask] = (struct ib_link_flight){p, arrive, corrupted};
    e->fl_len++;
    if (i == 0)
        ib_timer_arm(e->link->env, &e->rx_timer, arrive);
}

/* The frame starts onto the wire now. */
static void start_tx(struct ib_link_end *e, struct ib_pkt *p)
{
    struct ib_link *l = e->link;
    struct ib_netif *nif = e->nif;
    ib_time now = ib_now(l->env);
    ib_time ser = serialization(l, p->len);

    e->busy = true;
    ib_timer_arm(l->env, &e->tx_timer, now + ser);
    e->stats.tx_frames++;
    e->stats.tx_bytes += p->len;
    wire_event(e, nif, IB_EV_WIRE_TX, p, false, false);

    /* The draws happen in this fixed order so that a seed fixes the run. */
    if (ib_rng_chance(&l->rng, l->p.loss)) {
        e->stats.lost++;
        ib_drop(nif->node, nif, p, IB_DROP_LINK_LOSS);
        return;
    }
    bool corrupted = false;
    if (p->len > 0 && ib_rng_chance(&l->rng, l->p.corrupt)) {
        /* The sender's bytes (or a switch's other copies) must stay intact. */
        p = private_copy(nif->node, nif, p);
        if (!p)
            return;
        uint64_t bit = ib_rng_below(&l->rng, (uint64_t)p->len * 8u);
        p->data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        corrupted = true;
        e->stats.corrupted++;
    }
    bool duplicate = ib_rng_chance(&l->rng, l->p.duplicate);
    ib_time arrive = now + ser + l->p.delay;
    if (ib_rng_chance(&l->rng, l->p.reorder)) {
        arrive += l->p.reorder_delay ? l->p.reorder_delay : 2 * ser + IB_US(1);
        e->stats.reordered++;
    }
    /* The copy shares the buffer until it arrives; it lands right after
     * the original. */
    struct ib_pkt *copy = duplicate ? ib_pkt_ref(p) : NULL;
    fly(e, p, arrive, corrupted);
    if (copy) {
        e->stats.duplicated++;
        wire_event(e, nif, IB_EV_WIRE_TX, copy, true, corrupted);
        fly(e, copy, arrive, corrupted);
    }
}

static void tx_done(struct ib_timer *t)
{
    struct ib_link_end *e = END_OF(t, tx_timer);
    e->busy = false;
    if (e->q_len == 0)
        return;
    struct ib_pkt *p = e->q[e->q_head];
    e->q_head = (e->q_head + 1) & (e->q_cap - 1);
    e->q_len--;
    start_tx(e, p);
}

/* Delivers the earliest frame in flight. One frame per timer run, so that
 * frames arriving at the same instant interleave fairly with other events
 * and a receiver that answers at once cannot nest deliveries. */
static void rx_due(struct ib_timer *t)
{
    struct ib_link_end *e = END_OF(t, rx_timer);
    struct ib_link *l = e->link;
    if (e->fl_len == 0)
        return;
    struct ib_link_flight f = e->fl[e->fl_head];
    if (f.arrive > ib_now(l->env)) {
        ib_timer_arm(l->env, &e->rx_timer, f.arrive);
        return;
    }
    e->fl_head = (e->fl_head + 1) & (e->fl_cap - 1);
    e->fl_len--;
    if (e->fl_len)
        ib_timer_arm(l->env, &e->rx_timer, e->fl[e->fl_head].arrive);

    struct ib_netif *dst = far_end(e)->nif;
    if (!dst->up) {
        e->stats.dropped_down++;
        ib_drop(dst->node, dst, f.p, IB_DROP_LINK_DOWN);
        return;
    }
    struct ib_pkt *p = private_copy(dst->node, dst, f.p);
    if (!p)
        return;
    e->stats.rx_frames++;
    wire_event(e, dst, IB_EV_WIRE_RX, p, false, f.corrupted);
    ib_netif_receive(dst, p);
}

static void link_xmit(struct ib_netif *nif, struct ib_pkt *p)
{
    struct ib_link_end *e = nif->drv;
    struct ib_link *l = e->link;
    if (!l->up) {
        e->stats.dropped_down++;
        ib_drop(nif->node, nif, p, IB_DROP_LINK_DOWN);
        return;
    }
    if (!e->busy) {
        start_tx(e, p);
        return;
    }
    if (e->q_len >= l->p.queue) {
        e->stats.dropped_queue++;
        ib_drop(nif->node, nif, p, IB_DROP_LINK_QUEUE_FULL);
        return;
    }
    if (e->q_len == e->q_cap) {
        struct ib_pkt **q = ring_grow(e->q, e->q_cap, e->q_head, e->q_len, sizeof(*q),
                                      LINK_QUEUE_MIN);
        if (!q) {
            ib_drop(nif->node, nif, p, IB_DROP_NOMEM);
            return;
        }
        e->q = q;
        e->q_cap = e->q_cap ? e->q_cap * 2 : LINK_QUEUE_MIN;
        e->q_head = 0;
    }
    e->q[(e->q_head + e->q_len) & (e->q_cap - 1)] = p;
    e->q_len++;
}

static bool prob_ok(double x) { return x >= 0.0 && x <= 1.0; }

int ib_link_init(struct ib_link *l, struct ib_env *env, uint32_t id, uint64_t seed,
                 const struct ib_link_params *p, struct ib_netif *a, struct ib_netif *b)
{
    if (!p)
        p = &ib_link_defaults;
    if (!a || !b || a == b || p->delay < 0 || p->reorder_delay < 0 || !prob_ok(p->loss) ||
        !prob_ok(p->duplicate) || !prob_ok(p->reorder) || !prob_ok(p->corrupt))
        return IB_ERR_INVAL;
    if (a->ops || a->drv || b->ops || b->drv)
        return IB_ERR_INUSE;
    memset(l, 0, sizeof(*l));
    l->id = id;
    l->env = env;
    l->p = *p;
    l->up = true;
    ib_rng_seed(&l->rng, seed);
    struct ib_netif *nifs[2] = {a, b};
    for (uint8_t i = 0; i < 2; i++) {
        struct ib_link_end *e = &l->end[i];
        e->link = l;
        e->nif = nifs[i];
        e->side = i;
        ib_timer_init(&e->tx_timer, tx_done);
        ib_timer_init(&e->rx_timer, rx_due);
        nifs[i]->ops = &link_ops;
        nifs[i]->drv = e;
    }
    return IB_OK;
}

static void discard(struct ib_link_end *e, struct ib_pkt *p, bool report)
{
    if (!report) {
        ib_pkt_free(p);
        return;
    }
    e->stats.dropped_down++;
    ib_drop(e->nif->node, e->nif, p, IB_DROP_LINK_DOWN);
}

/* Empties one direction; with report set, each frame is a counted drop. */
static void flush(struct ib_link_end *e, bool report)
{
    ib_timer_cancel(&e->tx_timer);
    ib_timer_cancel(&e->rx_timer);
    e->busy = false;
    while (e->q_len) {
        struct ib_pkt *p = e->q[e->q_head];
        e->q_head = (e->q_head + 1) & (e->q_cap - 1);
        e->q_len--;
        discard(e, p, report);
    }
    while (e->fl_len) {
        struct ib_pkt *p = e->fl[e->fl_head].p;
        e->fl_head = (e->fl_head + 1) & (e->fl_cap - 1);
        e->fl_len--;
        discard(e, p, report);
    }
}

void ib_link_destroy(struct ib_link *l)
{
    for (int i = 0; i < 2; i++) {
        struct ib_link_end *e = &l->end[i];
        flush(e, false);
        free(e->q);
        free(e->fl);
        e->q = NULL;
        e->fl = NULL;
        e->q_cap = e->fl_cap = 0;
        if (e->nif && e->nif->drv == e) {
            e->nif->ops = NULL;
            e->nif->drv = NULL;
        }
    }
}

void ib_link_set_up(struct ib_link *l, bool up)
{
    if (l->up == up)
        return;
    l->up = up;
    for (int i = 0; i < 2; i++) {
        struct ib_link_end *e = &l->end[i];
        if (ib_tracing(l->env)) {
            struct ib_event ev;
            ib_event_init(&ev, l->env, IB_EV_LINK_STATE, 1, e->nif->node, e->nif, NULL);
            ev.u.link.up = up;
            ib_emit(l->env, &ev);
        }
    }
    if (!up)
        for (int i = 0; i < 2; i++)
            flush(&l->end[i], true);
}

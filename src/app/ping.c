/* ping: ICMP echo requests (RFC 792 "Echo or Echo Reply Message") sent at
 * a fixed interval from one stack, with round-trip times measured in the
 * environment's time. The payload cannot carry our send time (the echo
 * endpoint writes its own pattern), so the send time of each recent
 * sequence number is kept in a small window instead. */
#include <stddef.h>

#include "inetbox/apps.h"

const struct ib_ping_config ib_ping_defaults = {
    .count = 4,
    .size = 56, /* the classic ping's default: 64 bytes of ICMP */
    .interval = IB_SEC(1),
    .timeout = IB_SEC(1),
    .id = 1,
};

static void ping_finish(struct ib_ping *p)
{
    if (p->done)
        return;
    p->done = true;
    ib_timer_cancel(&p->timer);
    if (p->finished)
        p->finished(p);
}

static void ping_send(struct ib_ping *p)
{
    struct ib_env *env = p->stack->node.env;
    uint16_t seq = (uint16_t)(p->stats.transmitted + 1);
    ib_time now = ib_now(env);
    if (p->stats.transmitted == 0)
        p->stats.first_tx = now;
    p->stats.last_tx = now;
    p->stats.transmitted++;

    unsigned slot = seq % IB_PING_WINDOW;
    p->win[slot].sent = now;
    p->win[slot].seq = seq;
    p->win[slot].used = true;
    p->win[slot].answered = false;

    uint8_t ttl = p->cfg.ttl ? p->cfg.ttl : p->stack->cfg.ttl;
    ib_app_emit(p->stack, "ping-request", p->cfg.dst, seq, ttl, 0);
    /* A request that could not leave (no route, ...) was dropped and
     * counted by the stack; like ping, it simply gets no reply. */
    ib_icmp_echo_send(&p->echo, p->cfg.dst, seq, p->cfg.size, ttl);
}

static void ping_timer(struct ib_timer *t)
{
    struct ib_ping *p = (struct ib_ping *)((char *)t - offsetof(struct ib_ping, timer));
    struct ib_env *env = p->stack->node.env;
    if (p->stats.transmitted >= p->cfg.count) {
        ping_finish(p); /* waited long enough for the last replies */
        return;
    }
    ping_send(p);
    ib_time next = p->stats.transmitted < p->cfg.count ? p->cfg.interval : p->cfg.timeout;
    ib_timer_arm(env, &p->timer, ib_now(env) + next);
}

/* The window slot of seq if it still holds that request. */
static int ping_slot(const struct ib_ping *p, uint16_t seq)
{
    unsigned slot = seq % IB_PING_WINDOW;
    if (!p->win[slot].used || p->win[slot].seq != seq)
        return -1;
    return (int)slot;
}

static void ping_answered(struct ib_ping *p, unsigned slot)
{
    p->win[slot].answered = true;
    p->answered++;
    if (p->answered == p->cfg.count && p->stats.transmitted == p->cfg.count)
        ping_finish(p);
}

static void ping_reply(struct ib_icmp_echo *e, ib_ip4 from, uint16_t seq, uint8_t ttl,
                       const uint8_t *data, size_t len)
{
    struct ib_ping *p = e->arg;
    int slot = ping_slot(p, seq);
    if (slot < 0 || p->done)
        return; /* a reply to a request we forgot or after we finished */
    ib_time rtt = ib_now(p->stack->node.env) - p->win[slot].sent;
    struct ib_ping_result r = {
        .kind = IB_PING_REPLY,
        .seq = seq,
        .from = from,
        .ttl = ttl,
        .bytes = (uint32_t)(len + IB_ICMP_HLEN),
        .rtt = rtt,
    };
    if (p->win[slot].answered) {
        r.kind = IB_PING_DUP;
        p->stats.duplicates++;
    } else {
        struct ib_ping_stats *st = &p->stats;
        if (st->received == 0 || rtt < st->rtt_min)
            st->rtt_min = rtt;
        if (rtt > st->rtt_max)
            st->rtt_max = rtt;
        st->rtt_sum += rtt;
        st->rtt_sumsq += (double)rtt * (double)rtt;
        st->received++;
    }
    ib_app_emit(p->stack, r.kind == IB_PING_DUP ? "ping-dup" : "ping-reply", from, seq, ttl, rtt);
    if (p->report)
        p->report(p, &r);
    if (r.kind == IB_PING_REPLY)
        ping_answered(p, (unsigned)slot);
    (void)data;
}

static void ping_error(struct ib_icmp_echo *e, ib_ip4 from, uint8_t type, uint8_t code,
                       uint16_t seq)
{
    struct ib_ping *p = e->arg;
    int slot = ping_slot(p, seq);
    if (slot < 0 || p->done)
        return;
    p->stats.errors++;
    struct ib_ping_result r = {
        .kind = IB_PING_ERROR,
        .seq = seq,
        .from = from,
        .type = type,
        .code = code,
        .rtt = ib_now(p->stack->node.env) - p->win[slot].sent,
    };
    ib_app_emit(p->stack, "ping-error", from, seq, 0, r.rtt);
    if (p->report)
        p->report(p, &r);
    if (!p->win[slot].answered)
        ping_answered(p, (unsigned)slot);
}

int ib_ping_start(struct ib_ping *p, struct ib_stack *s, const struct ib_ping_config *cfg,
                  ib_ping_report_fn report, void *arg)
{
    if (cfg->count == 0 || cfg->size > IB_IP4_MAX_LEN - IB_IP4_HLEN - IB_ICMP_HLEN)
        return IB_ERR_INVAL;
    memset(p, 0, sizeof(*p));
    p->stack = s;
    p->cfg = *cfg;
    p->report = report;
    p->arg = arg;
    ib_timer_init(&p->timer, ping_timer);
    ib_icmp_echo_open(s, &p->echo, cfg->id);
    p->echo.reply = ping_reply;
    p->echo.error = ping_error;
    p->echo.arg = p;
    struct ib_env *env = s->node.env;
    return ib_timer_arm(env, &p->timer, ib_now(env));
}

void ib_ping_stop(struct ib_ping *p)
{
    ib_timer_cancel(&p->timer);
    if (p->stack) {
        ib_icmp_echo_close(&p->echo);
        p->stack = NULL;
    }
}

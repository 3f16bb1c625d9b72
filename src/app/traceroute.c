/* traceroute, the classic way (Van Jacobson's, as in RFC 1393 §1): UDP
 * probes to an unlikely port, 33434 and up, with TTL 1, 2, 3 ... Each
 * router where the TTL reaches zero discards the probe and answers with
 * ICMP time exceeded (RFC 792; RFC 1812 §5.3.1), naming one hop; the
 * destination has no listener on the port and answers with port
 * unreachable (RFC 1122 §4.1.3.1), which ends the trace.
 *
 * Probes are sent one at a time: the next leaves when the previous one is
 * answered or timed out. Every probe has its own destination port, so an
 * answer that comes back late is never taken for the current probe's. */
#include <stddef.h>

#include "inetbox/apps.h"

const struct ib_traceroute_config ib_traceroute_defaults = {
    .first_ttl = 1,
    .max_ttl = 30,
    .queries = 3,
    .port = 33434,
    .size = 32, /* with the IP and UDP headers, the classic 60-byte probe */
    .timeout = IB_SEC(1),
};

static uint16_t tr_port(const struct ib_traceroute *t)
{
    return (uint16_t)(t->cfg.port + t->probes - 1);
}

static void tr_send(struct ib_traceroute *t)
{
    struct ib_env *env = t->stack->node.env;
    t->probes++;
    t->hop.n++;
    t->waiting = true;
    t->sent_at = ib_now(env);
    ib_timer_arm(env, &t->timer, t->sent_at + t->cfg.timeout);

    struct ib_pkt *p = ib_pkt_alloc(env->pool, IB_PKT_HEADROOM, t->cfg.size);
    if (!p)
        return; /* counts as a probe nobody answered */
    for (uint32_t i = 0; i < t->cfg.size; i++)
        p->data[i] = (uint8_t)(0x40 + i % 64); /* "@ABC..." like Linux traceroute */
    ib_app_emit(t->stack, "traceroute-probe", t->cfg.dst, tr_port(t), t->hop.ttl, 0);
    ib_udp_sendto(&t->pcb, p, t->cfg.dst, tr_port(t), t->hop.ttl);
}

/* The current hop has all its probes: report it, then go one hop further
 * unless this was the last one. */
static void tr_hop_done(struct ib_traceroute *t)
{
    if (t->report)
        t->report(t, &t->hop);
    if (t->reached || t->hop.ttl >= t->cfg.max_ttl) {
        t->done = true;
        ib_timer_cancel(&t->timer);
        return;
    }
    uint8_t ttl = (uint8_t)(t->hop.ttl + 1);
    memset(&t->hop, 0, sizeof(t->hop));
    t->hop.ttl = ttl;
}

static void tr_next(struct ib_traceroute *t)
{
    t->waiting = false;
    if (t->hop.n == t->cfg.queries) {
        tr_hop_done(t);
        if (t->done)
            return;
    }
    /* From the event loop rather than from inside the ICMP input that
     * answered the previous probe. */
    struct ib_env *env = t->stack->node.env;
    ib_timer_arm(env, &t->timer, ib_now(env));
}

static void tr_timer(struct ib_timer *tm)
{
    struct ib_traceroute *t =
        (struct ib_traceroute *)((char *)tm - offsetof(struct ib_traceroute, timer));
    if (t->done)
        return;
    if (t->waiting) {
        ib_app_emit(t->stack, "traceroute-timeout", t->cfg.dst, tr_port(t), t->hop.ttl,
                    t->cfg.timeout);
        tr_next(t);
        return;
    }
    tr_send(t);
}

static void tr_err(struct ib_udp_pcb *u, ib_ip4 from, uint8_t type, uint8_t code, ib_ip4 dst,
                   uint16_t dport)
{
    struct ib_traceroute *t = u->arg;
    if (!t->waiting || dst != t->cfg.dst || dport != tr_port(t))
        return; /* about an earlier probe that already timed out */
    struct ib_traceroute_probe *pr = &t->hop.probe[t->hop.n - 1];
    pr->answered = true;
    pr->from = from;
    pr->type = type;
    pr->code = code;
    pr->rtt = ib_now(t->stack->node.env) - t->sent_at;
    /* Any destination unreachable ends the trace: port unreachable from the
     * destination itself, or a router saying it cannot go further. */
    if (type == IB_ICMP_DEST_UNREACH)
        t->reached = true;
    ib_app_emit(t->stack, "traceroute-hop", from, dport, t->hop.ttl, pr->rtt);
    tr_next(t);
}

/* Nobody should send to our source port; whatever comes is read and
 * ignored, as a socket that is never read would. */
static void tr_recv(struct ib_udp_pcb *u, ib_ip4 src, uint16_t sport, struct ib_pkt *p)
{
    ib_pkt_free(p);
}

int ib_traceroute_start(struct ib_traceroute *t, struct ib_stack *s,
                        const struct ib_traceroute_config *cfg, ib_traceroute_report_fn report,
                        void *arg)
{
    if (cfg->queries == 0 || cfg->queries > IB_TRACEROUTE_MAX_QUERIES || cfg->first_ttl == 0 ||
        cfg->first_ttl > cfg->max_ttl ||
        cfg->size > IB_IP4_MAX_LEN - IB_IP4_HLEN - IB_UDP_HLEN)
        return IB_ERR_INVAL;
    memset(t, 0, sizeof(*t));
    int err = ib_udp_bind(s, &t->pcb, IB_IP4_ANY, 0);
    if (err)
        return err;
    t->pcb.recv = tr_recv;
    t->pcb.err = tr_err;
    t->pcb.arg = t;
    t->stack = s;
    t->cfg = *cfg;
    t->report = report;
    t->arg = arg;
    t->hop.ttl = cfg->first_ttl;
    ib_timer_init(&t->timer, tr_timer);
    struct ib_env *env = s->node.env;
    return ib_timer_arm(env, &t->timer, ib_now(env));
}

void ib_traceroute_stop(struct ib_traceroute *t)
{
    ib_timer_cancel(&t->timer);
    if (t->stack) {
        ib_udp_close(&t->pcb);
        t->stack = NULL;
    }
}

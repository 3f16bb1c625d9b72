/* What the DHCP client and server share: every message goes out through
 * one function and comes in through another, so each is reported once to
 * the trace bus (IB_EV_DHCP, layer 7) with the fields a narrator needs. */
#include "dhcp_app.h"

#define MAX_MSG (576u - IB_IP4_HLEN - IB_UDP_HLEN)

int ib_dhcp_app_plen(ib_ip4 mask)
{
    int plen = 0;
    while (plen < 32 && (mask << plen & 0x80000000u))
        plen++;
    return ib_ip4_mask((unsigned)plen) == mask ? plen : -1;
}

void ib_dhcp_app_event(struct ib_stack *s, const struct ib_netif *nif, enum ib_dhcp_what what,
                       const struct ib_dhcp_msg *m, const struct ib_pkt *p)
{
    struct ib_env *env = s->node.env;
    if (!ib_tracing(env)) return;
    struct ib_event ev;
    ib_event_init(&ev, env, IB_EV_DHCP, 7, &s->node, nif, p);
    ev.u.dhcp.what = (uint8_t)what;
    ev.u.dhcp.msg = m->type;
    ev.u.dhcp.xid = m->xid;
    ev.u.dhcp.ciaddr = m->ciaddr;
    ev.u.dhcp.yiaddr = m->yiaddr;
    ev.u.dhcp.server = m->server_id;
    ev.u.dhcp.router = m->n_routers ? m->routers[0] : 0;
    ev.u.dhcp.dns = m->n_dns ? m->dns[0] : 0;
    ev.u.dhcp.lease_s = m->lease_time;
    if (ib_dhcp_has(m, IB_DHCP_OPT_SUBNET_MASK)) {
        int plen = ib_dhcp_app_plen(m->subnet_mask);
        ev.u.dhcp.plen = plen < 0 ? 0 : (uint8_t)plen;
    }
    memcpy(ev.u.dhcp.chaddr.b, m->chaddr, sizeof(ev.u.dhcp.chaddr.b));
    ib_emit(env, &ev);
}

int ib_dhcp_app_send(struct ib_udp_pcb *u, const struct ib_dhcp_msg *m, ib_ip4 dst, uint16_t dport)
{
    struct ib_stack *s = u->stack;
    struct ib_env *env = s->node.env;
    /* RFC 2131 §2: a message fits the 576-octet datagram every host takes
     * (RFC 1122 §3.3.3); ours never need more. */
    struct ib_pkt *p = ib_pkt_alloc(env->pool, IB_PKT_HEADROOM, MAX_MSG);
    if (!p) {
        ib_drop(&s->node, u->nif, NULL, IB_DROP_NOMEM);
        return IB_ERR_NOMEM;
    }
    size_t n = ib_dhcp_emit(m, p->data, p->len);
    if (n == 0) {
        ib_pkt_free(p);
        return IB_ERR_INVAL;
    }
    ib_pkt_trim(p, n);
    p->journey = ib_journey_new(env);
    ib_dhcp_app_event(s, u->nif, IB_DHCP_TX, m, p);
    return ib_udp_sendto(u, p, dst, dport, 0);
}

bool ib_dhcp_app_parse(struct ib_stack *s, struct ib_netif *nif, struct ib_pkt *p,
                       struct ib_dhcp_msg *m)
{
    if (ib_dhcp_parse(p->data, p->len, m) == 0) return true;
    ib_drop(&s->node, nif, p, IB_DROP_DHCP_MALFORMED);
    return false;
}

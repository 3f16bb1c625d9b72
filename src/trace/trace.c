/* The trace bus: observers attached in order, and the names of drop reasons
 * and event kinds that every observer shares. The drop table is generated
 * from the IB_DROP_REASONS X-macro so a reason, its layer and its text can
 * never drift apart. */
#include "inetbox/trace.h"

#include <string.h>

struct drop_info {
    const char *name;
    const char *text;
    int layer;
};

static const struct drop_info drop_table[IB_DROP__COUNT] = {
#define IB_DROP_ROW(name, layer, text) [IB_DROP_##name] = {#name, text, layer},
    IB_DROP_REASONS(IB_DROP_ROW)
#undef IB_DROP_ROW
};

static const char *const ev_kind_names[IB_EV__COUNT] = {
    [IB_EV_WIRE_TX] = "wire_tx",
    [IB_EV_WIRE_RX] = "wire_rx",
    [IB_EV_LINK_STATE] = "link_state",
    [IB_EV_DROP] = "drop",
    [IB_EV_ETH_RX] = "eth_rx",
    [IB_EV_ETH_TX] = "eth_tx",
    [IB_EV_BRIDGE_LEARN] = "bridge_learn",
    [IB_EV_BRIDGE_FWD] = "bridge_fwd",
    [IB_EV_BRIDGE_FLOOD] = "bridge_flood",
    [IB_EV_ARP_REQUEST] = "arp_request",
    [IB_EV_ARP_REPLY] = "arp_reply",
    [IB_EV_ARP_ANNOUNCE] = "arp_announce",
    [IB_EV_ARP_LEARN] = "arp_learn",
    [IB_EV_ARP_QUEUE] = "arp_queue",
    [IB_EV_ARP_FAIL] = "arp_fail",
    [IB_EV_IP_TX] = "ip_tx",
    [IB_EV_IP_RX] = "ip_rx",
    [IB_EV_IP_FORWARD] = "ip_forward",
    [IB_EV_IP_FRAGMENT] = "ip_fragment",
    [IB_EV_IP_REASSEMBLED] = "ip_reassembled",
    [IB_EV_ICMP_TX] = "icmp_tx",
    [IB_EV_ICMP_RX] = "icmp_rx",
    [IB_EV_UDP_TX] = "udp_tx",
    [IB_EV_UDP_RX] = "udp_rx",
    [IB_EV_APP] = "app",
    [IB_EV_TCP_STATE] = "tcp_state",
    [IB_EV_TCP_INFO] = "tcp_info",
    [IB_EV_TCP_RETRANSMIT] = "tcp_retransmit",
    [IB_EV_NAT] = "nat",
    [IB_EV_DHCP] = "dhcp",
    [IB_EV_DNS] = "dns",
    [IB_EV_HTTP] = "http",
};

int ib_trace_attach(struct ib_trace *tr, ib_observer_fn fn, void *ctx)
{
    if (tr->n < 0 || tr->n >= IB_TRACE_MAX_OBSERVERS) return IB_ERR_NOMEM;
    tr->obs[tr->n].fn = fn;
    tr->obs[tr->n].ctx = ctx;
    tr->n++;
    return IB_OK;
}

void ib_trace_detach(struct ib_trace *tr, ib_observer_fn fn, void *ctx)
{
    for (int i = 0; i < tr->n; i++) {
        if (tr->obs[i].fn != fn || tr->obs[i].ctx != ctx) continue;
        memmove(&tr->obs[i], &tr->obs[i + 1], (size_t)(tr->n - i - 1) * sizeof(tr->obs[0]));
        tr->n--;
        return;
    }
}

void ib_trace_dispatch(struct ib_trace *tr, const struct ib_event *ev)
{
    for (int i = 0; i < tr->n; i++)
        tr->obs[i].fn(tr->obs[i].ctx, ev);
}

const char *ib_drop_str(enum ib_drop r)
{
    return (unsigned)r < IB_DROP__COUNT ? drop_table[r].text : "unknown drop reason";
}

const char *ib_drop_name(enum ib_drop r)
{
    return (unsigned)r < IB_DROP__COUNT ? drop_table[r].name : "UNKNOWN";
}

int ib_drop_layer(enum ib_drop r)
{
    return (unsigned)r < IB_DROP__COUNT ? drop_table[r].layer : 0;
}

const char *ib_ev_kind_name(enum ib_ev_kind k)
{
    return (unsigned)k < IB_EV__COUNT && ev_kind_names[k] ? ev_kind_names[k] : "unknown";
}

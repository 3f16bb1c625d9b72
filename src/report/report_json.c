/* The report's data as one JSON object (RFC 8259), the page's input. Big
 * series are written as columns (one array per field) so that 100,000
 * frames stay a few compact arrays; names of enums are spelled as the
 * other observers spell them (include/inetbox/evname.h). The layout is
 * described in src/report/web/README.md. */
#include "report_int.h"

#include <inttypes.h>

#include "inetbox/evname.h"
#include "inetbox/ipv4.h"
#include "inetbox/json.h"
#include "inetbox/node.h"
#include "inetbox/tcp.h"

#define RP_DATA_VERSION 1

/* A writer keeping track of whether a comma is due. */
struct jw {
    FILE *f;
    bool first;
};

static void sep(struct jw *w)
{
    if (!w->first) putc(',', w->f);
    w->first = false;
}

static void key(struct jw *w, const char *k)
{
    sep(w);
    fprintf(w->f, "\"%s\":", k);
    w->first = true; /* the value that follows needs no comma */
}

static void open_(struct jw *w, const char *k, char c)
{
    if (k)
        key(w, k);
    else
        sep(w);
    putc(c, w->f);
    w->first = true;
}

static void close_(struct jw *w, char c)
{
    putc(c, w->f);
    w->first = false;
}

static void v_u(struct jw *w, uint64_t v)
{
    sep(w);
    fprintf(w->f, "%" PRIu64, v);
}

static void v_i(struct jw *w, int64_t v)
{
    sep(w);
    fprintf(w->f, "%" PRId64, v);
}

/* An index, or -1 for none. */
static void v_idx(struct jw *w, uint32_t i)
{
    v_i(w, i == RP_NONE ? -1 : (int64_t)i);
}

/* A time; "never" (an entry that does not expire) as -1. */
static void v_t(struct jw *w, ib_time t)
{
    v_i(w, t == IB_TIME_NEVER ? -1 : t);
}

static void v_d(struct jw *w, double v)
{
    sep(w);
    fprintf(w->f, "%.9g", v);
}

static void v_bool(struct jw *w, bool v)
{
    sep(w);
    fputs(v ? "true" : "false", w->f);
}

static void v_str(struct jw *w, const char *s)
{
    sep(w);
    ib_json_put_string(w->f, s, strlen(s));
}

static void v_ip(struct jw *w, ib_ip4 a)
{
    char s[IB_IP4_STRLEN];
    v_str(w, ib_ip4_str(a, s));
}

static void v_mac(struct jw *w, const struct ib_mac *m)
{
    char s[IB_MAC_STRLEN];
    v_str(w, ib_mac_str(m, s));
}

static void v_hex(struct jw *w, const uint8_t *b, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    sep(w);
    putc('"', w->f);
    for (size_t i = 0; i < n; i++) {
        putc(digits[b[i] >> 4], w->f);
        putc(digits[b[i] & 15], w->f);
    }
    putc('"', w->f);
}

#define K(w, k, v) (key(w, k), v)

static const char *kind_name(uint8_t kind)
{
    static const char *const names[] = {"host", "router", "switch"};
    return kind < IB_ARRAY_LEN(names) ? names[kind] : "unknown";
}

static const char *proto_name(uint8_t proto)
{
    return proto == IB_IPPROTO_TCP ? "tcp" : proto == IB_IPPROTO_UDP ? "udp" : "icmp";
}

static void put_topology(struct jw *w, const struct ib_report *r)
{
    open_(w, "nodes", '[');
    for (uint32_t i = 0; i < r->n_nodes; i++) {
        open_(w, NULL, '{');
        K(w, "name", v_str(w, r->nodes[i].name));
        K(w, "kind", v_str(w, kind_name(r->nodes[i].kind)));
        close_(w, '}');
    }
    close_(w, ']');
    open_(w, "ifaces", '[');
    for (uint32_t i = 0; i < r->n_nifs; i++) {
        const struct rp_nif *n = &r->nifs[i];
        open_(w, NULL, '{');
        K(w, "node", v_u(w, n->node));
        K(w, "name", v_str(w, n->name));
        K(w, "mac", v_mac(w, &n->mac));
        K(w, "addr", v_ip(w, n->addr));
        K(w, "plen", v_u(w, n->plen));
        K(w, "mtu", v_u(w, n->mtu));
        K(w, "link", v_idx(w, n->link));
        K(w, "dhcp", v_i(w, n->dhcp_since));
        close_(w, '}');
    }
    close_(w, ']');
    open_(w, "links", '[');
    for (uint32_t i = 0; i < r->n_links; i++) {
        const struct rp_link *l = &r->links[i];
        open_(w, NULL, '{');
        K(w, "a", v_u(w, l->a));
        K(w, "b", v_u(w, l->b));
        K(w, "rate", v_u(w, l->p.rate_bps));
        K(w, "delay", v_i(w, l->p.delay));
        K(w, "queue", v_u(w, l->p.queue));
        K(w, "loss", v_d(w, l->p.loss));
        K(w, "duplicate", v_d(w, l->p.duplicate));
        K(w, "reorder", v_d(w, l->p.reorder));
        K(w, "corrupt", v_d(w, l->p.corrupt));
        close_(w, '}');
    }
    close_(w, ']');
}

/* One array of a frame field. */
#define FRAME_COLUMN(w, r, name, expr)                                                             \
    do {                                                                                           \
        open_(w, name, '[');                                                                       \
        for (uint32_t i = 0; i < (r)->n_frames; i++) {                                             \
            const struct rp_frame *f = &(r)->frames[i];                                            \
            expr;                                                                                  \
        }                                                                                          \
        close_(w, ']');                                                                            \
    } while (0)

static void put_frames(struct jw *w, const struct ib_report *r)
{
    open_(w, "frames", '{');
    K(w, "n", v_u(w, r->n_frames));
    FRAME_COLUMN(w, r, "t", v_i(w, f->t_tx));
    FRAME_COLUMN(w, r, "rx", v_i(w, f->t_rx));
    FRAME_COLUMN(w, r, "from", v_idx(w, f->from));
    FRAME_COLUMN(w, r, "to", v_idx(w, f->to));
    FRAME_COLUMN(w, r, "len", v_u(w, f->len));
    FRAME_COLUMN(w, r, "j", v_u(w, f->journey));
    FRAME_COLUMN(w, r, "fl", v_u(w, f->flags));
    FRAME_COLUMN(w, r, "drop", v_idx(w, f->drop));
    FRAME_COLUMN(w, r, "hex", v_hex(w, r->bytes + f->off, f->caplen));
    close_(w, '}');
}

static void put_drop_ev(struct jw *w, const struct ib_report *r, const struct rp_event *e)
{
    open_(w, NULL, '[');
    v_i(w, e->t);
    v_u(w, e->node);
    v_idx(w, e->nif);
    v_str(w, ib_drop_name(e->ev.reason));
    v_str(w, ib_drop_str(e->ev.reason));
    v_u(w, e->ev.layer);
    v_u(w, e->journey);
    v_idx(w, e->frame);
    close_(w, ']');
}

static void put_dhcp_ev(struct jw *w, const struct ib_report *r, const struct rp_event *e)
{
    const struct ib_event *ev = &e->ev;
    open_(w, NULL, '{');
    K(w, "t", v_i(w, e->t));
    K(w, "node", v_u(w, e->node));
    K(w, "iface", v_idx(w, e->nif));
    K(w, "what", v_str(w, ib_evname_dhcp_what(ev->u.dhcp.what)));
    K(w, "msg", v_str(w, ib_evname_dhcp_msg(ev->u.dhcp.msg)));
    K(w, "xid", v_u(w, ev->u.dhcp.xid));
    K(w, "ciaddr", v_ip(w, ev->u.dhcp.ciaddr));
    K(w, "yiaddr", v_ip(w, ev->u.dhcp.yiaddr));
    K(w, "plen", v_u(w, ev->u.dhcp.plen));
    K(w, "server", v_ip(w, ev->u.dhcp.server));
    K(w, "router", v_ip(w, ev->u.dhcp.router));
    K(w, "dns", v_ip(w, ev->u.dhcp.dns));
    K(w, "lease", v_u(w, ev->u.dhcp.lease_s));
    K(w, "chaddr", v_mac(w, &ev->u.dhcp.chaddr));
    close_(w, '}');
}

static void put_dns(struct jw *w, const struct ib_report *r, const struct rp_event *e)
{
    const struct ib_event *ev = &e->ev;
    char b[IB_EVNAME_BUF];
    open_(w, NULL, '{');
    K(w, "t", v_i(w, e->t));
    K(w, "node", v_u(w, e->node));
    K(w, "what", v_str(w, ib_evname_dns_what(ev->u.dns.what)));
    K(w, "kind", v_str(w, ib_evname_dns_kind(ev->u.dns.kind)));
    K(w, "rcode", v_str(w, ib_evname_dns_rcode(ev->u.dns.rcode, b)));
    K(w, "id", v_u(w, ev->u.dns.id));
    K(w, "tcp", v_bool(w, ev->u.dns.tcp));
    K(w, "aa", v_bool(w, ev->u.dns.aa));
    K(w, "rd", v_bool(w, ev->u.dns.rd));
    K(w, "qname", v_str(w, rp_str_at(r, e->str[0])));
    K(w, "qtype", v_str(w, ib_evname_dns_type(ev->u.dns.qtype, b)));
    K(w, "zone", v_str(w, rp_str_at(r, e->str[1])));
    K(w, "ns", v_str(w, rp_str_at(r, e->str[2])));
    K(w, "server", v_ip(w, ev->u.dns.server));
    K(w, "addr", v_ip(w, ev->u.dns.addr));
    K(w, "ttl", v_u(w, ev->u.dns.ttl));
    K(w, "j", v_u(w, e->journey));
    close_(w, '}');
}

static void put_http(struct jw *w, const struct ib_report *r, const struct rp_event *e)
{
    const struct ib_event *ev = &e->ev;
    open_(w, NULL, '{');
    K(w, "t", v_i(w, e->t));
    K(w, "node", v_u(w, e->node));
    K(w, "what", v_str(w, ib_evname_http_what(ev->u.http.what)));
    K(w, "method", v_str(w, rp_str_at(r, e->str[0])));
    K(w, "host", v_str(w, rp_str_at(r, e->str[1])));
    K(w, "path", v_str(w, rp_str_at(r, e->str[2])));
    K(w, "url", v_str(w, rp_str_at(r, e->str[3])));
    K(w, "peer", v_ip(w, ev->u.http.peer));
    K(w, "port", v_u(w, ev->u.http.port));
    K(w, "status", v_u(w, ev->u.http.status));
    K(w, "len", v_u(w, ev->u.http.len));
    K(w, "err", v_str(w, ev->u.http.err ? ib_err_str(ev->u.http.err) : ""));
    close_(w, '}');
}

/* The events of one kind, each written by put. */
static void put_events(struct jw *w, const struct ib_report *r, const char *name, uint8_t kind,
                       void (*put)(struct jw *, const struct ib_report *, const struct rp_event *))
{
    open_(w, name, '[');
    for (uint32_t i = 0; i < r->n_events; i++)
        if (r->events[i].kind == kind) put(w, r, &r->events[i]);
    close_(w, ']');
}

static void put_arp_ev(struct jw *w, const struct ib_report *r, const struct rp_event *e)
{
    open_(w, NULL, '[');
    v_i(w, e->t);
    v_idx(w, e->nif);
    v_ip(w, e->ev.u.arp.ip);
    v_mac(w, &e->ev.u.arp.mac);
    v_t(w, e->expires);
    close_(w, ']');
}

static void put_mac_ev(struct jw *w, const struct ib_report *r, const struct rp_event *e)
{
    open_(w, NULL, '[');
    v_i(w, e->t);
    v_u(w, e->node);
    v_mac(w, &e->ev.u.bridge.mac);
    v_str(w, rp_str_at(r, e->str[0]));
    close_(w, ']');
}

static void put_link_ev(struct jw *w, const struct ib_report *r, const struct rp_event *e)
{
    open_(w, NULL, '[');
    v_i(w, e->t);
    v_idx(w, e->nif);
    v_bool(w, e->ev.u.link.up);
    close_(w, ']');
}

static void put_nat_ev(struct jw *w, const struct ib_report *r, const struct rp_event *e)
{
    const struct ib_event *ev = &e->ev;
    open_(w, NULL, '[');
    v_i(w, e->t);
    v_u(w, e->node);
    v_str(w, ib_evname_nat_what(ev->u.nat.what));
    v_str(w, proto_name(ev->u.nat.proto));
    v_ip(w, ev->u.nat.in_addr);
    v_u(w, ev->u.nat.in_port);
    v_ip(w, ev->u.nat.pub_addr);
    v_u(w, ev->u.nat.pub_port);
    v_ip(w, ev->u.nat.peer_addr);
    v_u(w, ev->u.nat.peer_port);
    close_(w, ']');
}

static void put_routes(struct jw *w, const struct ib_report *r)
{
    open_(w, "routes", '[');
    for (uint32_t n = 0; n < r->n_nodes; n++)
        for (uint32_t i = 0; i < r->nodes[n].n_routes; i++) {
            const struct rp_route *rt = &r->routes[r->nodes[n].first_route + i];
            open_(w, NULL, '[');
            v_u(w, n);
            v_ip(w, rt->r.prefix);
            v_u(w, rt->r.plen);
            v_ip(w, rt->r.gateway);
            v_idx(w, rt->nif);
            v_str(w, rt->r.proto == IB_RT_CONNECTED ? "connected" : "static");
            v_u(w, rt->r.metric);
            v_i(w, rt->since);
            close_(w, ']');
        }
    close_(w, ']');
}

/* One array of a connection's sample field. */
#define SAMPLE_COLUMN(w, r, c, name, expr)                                                         \
    do {                                                                                           \
        open_(w, name, '[');                                                                       \
        for (uint32_t i = (c)->first; i != RP_NONE; i = (r)->samples[i].next) {                    \
            const struct rp_sample *s = &(r)->samples[i];                                          \
            expr;                                                                                  \
        }                                                                                          \
        close_(w, ']');                                                                            \
    } while (0)

static void put_conn(struct jw *w, const struct ib_report *r, const struct rp_conn *c)
{
    open_(w, NULL, '{');
    K(w, "node", v_u(w, c->node));
    K(w, "laddr", v_ip(w, c->laddr));
    K(w, "lport", v_u(w, c->lport));
    K(w, "raddr", v_ip(w, c->raddr));
    K(w, "rport", v_u(w, c->rport));
    SAMPLE_COLUMN(w, r, c, "t", v_i(w, s->t));
    SAMPLE_COLUMN(w, r, c, "k",
                  v_u(w, s->kind == IB_EV_TCP_STATE  ? 0
                         : s->kind == IB_EV_TCP_INFO ? 1
                                                     : 2));
    SAMPLE_COLUMN(w, r, c, "old", v_u(w, s->ev.u.tcp.old_state));
    SAMPLE_COLUMN(w, r, c, "new", v_u(w, s->ev.u.tcp.new_state));
    SAMPLE_COLUMN(w, r, c, "cause", v_u(w, s->ev.u.tcp.cause));
    SAMPLE_COLUMN(w, r, c, "flags", v_u(w, s->ev.u.tcp.flags));
    SAMPLE_COLUMN(w, r, c, "seq", v_u(w, s->ev.u.tcp.seq));
    SAMPLE_COLUMN(w, r, c, "ack", v_u(w, s->ev.u.tcp.ack));
    SAMPLE_COLUMN(w, r, c, "cwnd", v_u(w, s->ev.u.tcp.cwnd));
    SAMPLE_COLUMN(w, r, c, "ssthresh", v_u(w, s->ev.u.tcp.ssthresh));
    SAMPLE_COLUMN(w, r, c, "inflight", v_u(w, s->ev.u.tcp.inflight));
    SAMPLE_COLUMN(w, r, c, "wnd", v_u(w, s->ev.u.tcp.snd_wnd));
    SAMPLE_COLUMN(w, r, c, "srtt", v_u(w, s->ev.u.tcp.srtt_us));
    SAMPLE_COLUMN(w, r, c, "rttvar", v_u(w, s->ev.u.tcp.rttvar_us));
    SAMPLE_COLUMN(w, r, c, "rto", v_u(w, s->ev.u.tcp.rto_us));
    SAMPLE_COLUMN(w, r, c, "acked", v_u(w, s->ev.u.tcp.bytes_acked));
    SAMPLE_COLUMN(w, r, c, "rcvd", v_u(w, s->ev.u.tcp.bytes_received));
    SAMPLE_COLUMN(w, r, c, "rexmit", v_u(w, s->ev.u.tcp.retransmits));
    close_(w, '}');
}

static void put_tcp(struct jw *w, const struct ib_report *r)
{
    open_(w, "tcp_states", '[');
    for (unsigned s = 0; s < IB_TCP__NSTATES; s++)
        v_str(w, ib_tcp_state_name((enum ib_tcp_state)s));
    close_(w, ']');
    open_(w, "tcp_causes", '[');
    for (unsigned c = 0; c <= IB_TCP_CAUSE_PROBE; c++)
        v_str(w, ib_evname_tcp_cause(c));
    close_(w, ']');
    open_(w, "tcp", '[');
    for (uint32_t i = 0; i < r->n_conns; i++)
        put_conn(w, r, &r->conns[i]);
    close_(w, ']');
}

static void put_texts(struct jw *w, const struct ib_report *r, const uint32_t text[IB_LANG_COUNT])
{
    static const char *const langs[IB_LANG_COUNT] = {"en", "ko"};
    for (unsigned l = 0; l < IB_LANG_COUNT; l++)
        K(w, langs[l], v_str(w, rp_str_at(r, text[l])));
}

static void put_story(struct jw *w, const struct ib_report *r)
{
    key(w, "story");
    if (!r->has_story) {
        fputs("null", w->f);
        w->first = false;
        return;
    }
    open_(w, NULL, '{');
    open_(w, "title", '{');
    put_texts(w, r, r->story_title);
    close_(w, '}');
    open_(w, "steps", '[');
    for (unsigned s = 1; s <= IB_STEP_COUNT; s++) {
        open_(w, NULL, '{');
        K(w, "n", v_u(w, s));
        put_texts(w, r, r->story_steps[s]);
        close_(w, '}');
    }
    close_(w, ']');
    open_(w, "lines", '[');
    for (uint32_t i = 0; i < r->n_lines; i++) {
        const struct rp_story_line *l = &r->lines[i];
        open_(w, NULL, '{');
        K(w, "step", v_u(w, l->l.step));
        K(w, "t", v_i(w, l->l.t));
        K(w, "node", v_str(w, l->l.node));
        K(w, "layer", v_u(w, l->l.layer));
        K(w, "note", v_bool(w, ib_story_what_is_note(l->l.what)));
        put_texts(w, r, l->text);
        close_(w, '}');
    }
    close_(w, ']');
    close_(w, '}');
}

void rp_put_json(FILE *f, const struct ib_report *r)
{
    struct jw w = {f, true};
    open_(&w, NULL, '{');
    K(&w, "version", v_u(&w, RP_DATA_VERSION));
    K(&w, "generator", v_str(&w, "inetbox " IB_VERSION));
    K(&w, "title", v_str(&w, r->title ? r->title : "inetbox report"));
    K(&w, "live", v_bool(&w, r->live));
    K(&w, "epoch", v_i(&w, r->epoch));
    K(&w, "end", v_i(&w, r->end));
    K(&w, "snaplen", v_u(&w, r->lim.snaplen));
    K(&w, "unrecorded_frames", v_u(&w, r->unrecorded));
    K(&w, "unrecorded_events", v_u(&w, r->unrecorded_events));
    K(&w, "incomplete", v_bool(&w, r->nomem));
    put_topology(&w, r);
    put_frames(&w, r);
    put_events(&w, r, "drops", IB_EV_DROP, put_drop_ev);
    put_events(&w, r, "arp", IB_EV_ARP_LEARN, put_arp_ev);
    put_events(&w, r, "macs", IB_EV_BRIDGE_LEARN, put_mac_ev);
    put_events(&w, r, "link_state", IB_EV_LINK_STATE, put_link_ev);
    put_events(&w, r, "nat", IB_EV_NAT, put_nat_ev);
    put_events(&w, r, "dhcp", IB_EV_DHCP, put_dhcp_ev);
    put_events(&w, r, "dns", IB_EV_DNS, put_dns);
    put_events(&w, r, "http", IB_EV_HTTP, put_http);
    put_routes(&w, r);
    put_tcp(&w, r);
    put_story(&w, r);
    close_(&w, '}');
}

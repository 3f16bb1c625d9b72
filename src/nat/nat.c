/* The NAPT mapping table (RFC 3022 §2.2, RFC 4787, RFC 5382, RFC 5508):
 * mappings hashed both by their inside endpoint and by their public port,
 * public port allocation (preservation, else random), address-dependent
 * filtering state, and idle expiry.
 *
 * Expiry takes one timer for the whole NAT. Mappings sit in one list per
 * idle-timeout class, moved to the tail when used, so each list is in
 * deadline order and the earliest deadline is one of four heads. The
 * timer stays armed for the earliest deadline it knew; a mapping used in
 * the meantime only makes it fire early and re-arm, and an idle NAT keeps
 * no timer. */
#include "nat/nat_int.h"

#include "transport/tcp_int.h"

#include <stdlib.h>

const struct ib_nat_config ib_nat_defaults = {
    /* RFC 4787 REQ-5: "The value of the NAT UDP mapping timer ... of 5
     * minutes or more is RECOMMENDED." */
    .udp_timeout = IB_SEC(5 * 60),
    /* RFC 5382 REQ-5: established idle-timeout >= 2 h 4 min, transitory
     * >= 4 min (the RFC 1122 keepalive interval plus slack, and 2 MSL). */
    .tcp_est_timeout = IB_SEC(2 * 3600 + 4 * 60),
    .tcp_trans_timeout = IB_SEC(4 * 60),
    /* RFC 5508 REQ-2: an ICMP query session lasts at least 60 s. */
    .icmp_timeout = IB_SEC(60),
    /* Ports below 1024 stay free for static forwards of well-known services. */
    .port_min = 1024,
    .port_max = 65535,
    /* Enough for a socket talking to many servers at once (a P2P or STUN
     * client), small enough that a mapping's memory stays bounded. */
    .max_peers = 64,
};

#define NAT_MIN_BUCKETS 64u

static const char *const tcp_state_names[] = {
    [IB_NAT_TCP_NONE] = "NONE",
    [IB_NAT_TCP_OPENING] = "OPENING",
    [IB_NAT_TCP_ESTABLISHED] = "ESTABLISHED",
    [IB_NAT_TCP_CLOSING] = "CLOSING",
    [IB_NAT_TCP_CLOSED] = "CLOSED",
};

const char *ib_nat_tcp_state_name(uint8_t state)
{
    return state < IB_ARRAY_LEN(tcp_state_names) ? tcp_state_names[state] : "?";
}

struct nat_map *ib_nat_find_in(const struct ib_nat *n, uint8_t proto, ib_ip4 addr, uint16_t port)
{
    struct nat_map *m = n->by_in[nat_hash(proto, addr, port) & n->mask];
    while (m && !(m->in_port == port && m->in_addr == addr && m->proto == proto))
        m = m->next_in;
    return m;
}

struct nat_map *ib_nat_find_pub(const struct ib_nat *n, uint8_t proto, uint16_t port)
{
    struct nat_map *m = n->by_pub[nat_hash(proto, 0, port) & n->mask];
    while (m && !(m->pub_port == port && m->proto == proto))
        m = m->next_pub;
    return m;
}

static void nat_hash_insert(struct ib_nat *n, struct nat_map *m)
{
    struct nat_map **b = &n->by_in[nat_hash(m->proto, m->in_addr, m->in_port) & n->mask];
    m->next_in = *b;
    *b = m;
    b = &n->by_pub[nat_hash(m->proto, 0, m->pub_port) & n->mask];
    m->next_pub = *b;
    *b = m;
}

/* Both tables at cap buckets (a power of two), every mapping rehashed. */
static int nat_hash_resize(struct ib_nat *n, uint32_t cap)
{
    struct nat_map **in = calloc(cap, sizeof(*in));
    struct nat_map **pub = calloc(cap, sizeof(*pub));
    if (!in || !pub) {
        free(in);
        free(pub);
        return IB_ERR_NOMEM;
    }
    free(n->by_in);
    free(n->by_pub);
    n->by_in = in;
    n->by_pub = pub;
    n->mask = cap - 1;
    for (struct nat_map *m = n->all_head; m; m = m->all_next)
        nat_hash_insert(n, m);
    return 0;
}

static void nat_hash_remove(struct ib_nat *n, struct nat_map *m)
{
    struct nat_map **pp = &n->by_in[nat_hash(m->proto, m->in_addr, m->in_port) & n->mask];
    while (*pp != m)
        pp = &(*pp)->next_in;
    *pp = m->next_in;
    pp = &n->by_pub[nat_hash(m->proto, 0, m->pub_port) & n->mask];
    while (*pp != m)
        pp = &(*pp)->next_pub;
    *pp = m->next_pub;
}

static void nat_cls_unlink(struct ib_nat *n, struct nat_map *m)
{
    if (m->cls >= NAT_CLS__N) return;
    if (m->prev)
        m->prev->next = m->next;
    else
        n->cls[m->cls].head = m->next;
    if (m->next)
        m->next->prev = m->prev;
    else
        n->cls[m->cls].tail = m->prev;
    m->prev = m->next = NULL;
}

static ib_time nat_next_deadline(const struct ib_nat *n)
{
    ib_time t = IB_TIME_NEVER;
    for (unsigned c = 0; c < NAT_CLS__N; c++)
        if (n->cls[c].head && n->cls[c].head->expires < t) t = n->cls[c].head->expires;
    return t;
}

static uint8_t nat_cls_of(const struct nat_map *m)
{
    switch (m->proto) {
    case IB_IPPROTO_UDP:
        return NAT_CLS_UDP;
    case IB_IPPROTO_ICMP:
        return NAT_CLS_ICMP;
    default:
        /* RFC 5382 §5: the established idle-timeout while one of its
         * connections has seen SYNs both ways and is not closed, else
         * transitory. */
        return m->n_tcp[IB_NAT_TCP_ESTABLISHED] || m->n_tcp[IB_NAT_TCP_CLOSING] ? NAT_CLS_TCP_EST
                                                                                : NAT_CLS_TCP_TRANS;
    }
}

static ib_time nat_cls_timeout(const struct ib_nat *n, uint8_t cls)
{
    switch (cls) {
    case NAT_CLS_UDP:
        return n->cfg.udp_timeout;
    case NAT_CLS_ICMP:
        return n->cfg.icmp_timeout;
    case NAT_CLS_TCP_EST:
        return n->cfg.tcp_est_timeout;
    default:
        return n->cfg.tcp_trans_timeout;
    }
}

void ib_nat_touch(struct ib_nat *n, struct nat_map *m)
{
    struct ib_env *env = n->s->node.env;
    m->last_used = ib_now(env);
    if (m->cls == NAT_CLS_STATIC) return;
    nat_cls_unlink(n, m);
    m->cls = nat_cls_of(m);
    m->expires = m->last_used + nat_cls_timeout(n, m->cls);
    m->prev = n->cls[m->cls].tail;
    if (m->prev)
        m->prev->next = m;
    else
        n->cls[m->cls].head = m;
    n->cls[m->cls].tail = m;
    /* Only a deadline earlier than the armed one needs the timer moved. */
    if (!ib_timer_armed(&n->timer) || m->expires < n->timer.when)
        ib_timer_arm(env, &n->timer, m->expires);
}

static void nat_map_free(struct ib_nat *n, struct nat_map *m)
{
    nat_hash_remove(n, m);
    nat_cls_unlink(n, m);
    if (m->all_prev)
        m->all_prev->all_next = m->all_next;
    else
        n->all_head = m->all_next;
    if (m->all_next)
        m->all_next->all_prev = m->all_prev;
    else
        n->all_tail = m->all_prev;
    ib_nat_peers_free(n, m);
    free(m);
    n->n--;
}

static void nat_expire(struct ib_timer *t)
{
    struct ib_nat *n = (struct ib_nat *)(void *)((char *)t - offsetof(struct ib_nat, timer));
    ib_time now = ib_now(n->s->node.env);
    for (unsigned c = 0; c < NAT_CLS__N; c++) {
        struct nat_map *m;
        while ((m = n->cls[c].head) != NULL && m->expires <= now) {
            n->stats.expired++;
            ib_nat_event(n, IB_NAT_EXPIRE, m, NULL, m->peer_addr, m->peer_port);
            nat_map_free(n, m);
        }
    }
    ib_time next = nat_next_deadline(n);
    if (next != IB_TIME_NEVER) ib_timer_arm(n->s->node.env, &n->timer, next);
}

/* Whether any connection or TIME_WAIT record of ts has the local end
 * laddr:lport. A scan, but the NAT asks only when it picks a public port,
 * and a router holds few connections of its own. */
static bool nat_tcp_port_used(const struct ib_tcp_stack *ts, ib_ip4 laddr, uint16_t lport)
{
    for (uint32_t i = 0; ts->n_conns && i <= ts->hash_mask; i++)
        for (const struct ib_tcp *c = ts->hash[i]; c; c = c->hnext)
            if (c->lport == lport && c->laddr == laddr) return true;
    for (const struct ib_tcp_tw *t = ts->tw_head; t; t = t->qnext)
        if (t->lport == lport && t->laddr == laddr) return true;
    return false;
}

bool ib_nat_local_endpoint(const struct ib_stack *s, uint8_t proto, ib_ip4 laddr, uint16_t lport,
                           ib_ip4 raddr, uint16_t rport)
{
    switch (proto) {
    case IB_IPPROTO_UDP:
        for (const struct ib_udp_pcb *u = s->udp; u; u = u->next)
            if (u->lport == lport && (u->laddr == IB_IP4_ANY || u->laddr == laddr)) return true;
        return false;
    case IB_IPPROTO_TCP: {
        const struct ib_tcp_stack *ts = s->tcp;
        if (!ts) return false;
        if (ib_tcp_listener_find(ts, laddr, lport)) return true;
        if (!raddr) return nat_tcp_port_used(ts, laddr, lport);
        return ib_nat_local_exact(s, proto, laddr, lport, raddr, rport);
    }
    case IB_IPPROTO_ICMP:
        for (const struct ib_icmp_echo *e = s->echo; e; e = e->next)
            if (e->id == lport) return true;
        return false;
    default:
        return false;
    }
}

bool ib_nat_local_exact(const struct ib_stack *s, uint8_t proto, ib_ip4 laddr, uint16_t lport,
                        ib_ip4 raddr, uint16_t rport)
{
    if (proto == IB_IPPROTO_UDP) {
        for (const struct ib_udp_pcb *u = s->udp; u; u = u->next)
            if (u->lport == lport && u->laddr == laddr) return true;
        return false;
    }
    const struct ib_tcp_stack *ts = s->tcp;
    return proto == IB_IPPROTO_TCP && ts &&
           (ib_tcp_lookup(ts, laddr, lport, raddr, rport) ||
            ib_tcp_tw_lookup(ts, laddr, lport, raddr, rport));
}

bool ib_nat_port_taken(const struct ib_stack *s, uint8_t proto, uint16_t port)
{
    return s->nat && ib_nat_find_pub(s->nat, proto, port);
}

uint8_t ib_nat_map_tcp_state(const struct nat_map *m)
{
    if (m->proto != IB_IPPROTO_TCP) return IB_NAT_TCP_NONE;
    static const uint8_t liveliest[] = {IB_NAT_TCP_ESTABLISHED, IB_NAT_TCP_CLOSING,
                                        IB_NAT_TCP_OPENING, IB_NAT_TCP_CLOSED};
    for (size_t i = 0; i < IB_ARRAY_LEN(liveliest); i++)
        if (m->n_tcp[liveliest[i]]) return liveliest[i];
    return IB_NAT_TCP_OPENING;
}

/* RFC 4787 REQ-3 a): no port overloading, so a public port serves one
 * mapping; nor may it shadow one of the router's own endpoints, whatever
 * their peer (the mapping may later talk to it too). */
static bool nat_port_free(const struct ib_nat *n, uint8_t proto, uint16_t port)
{
    return !ib_nat_find_pub(n, proto, port) &&
           !ib_nat_local_endpoint(n->s, proto, n->outside->addr, port, 0, 0);
}

static int nat_pick_port(struct ib_nat *n, uint8_t proto, uint16_t in_port, uint16_t *out)
{
    uint32_t lo = n->cfg.port_min, hi = n->cfg.port_max;
    /* Port preservation (RFC 4787 §4.2.1, not required but what most NATs
     * do): applications that announce their own port keep working. */
    if (in_port >= lo && in_port <= hi && nat_port_free(n, proto, in_port)) {
        *out = in_port;
        return 0;
    }
    /* Else a random port (RFC 6056: harder to guess), the first free
     * one from a random start, so a nearly full range still finds room. */
    uint32_t range = hi - lo + 1;
    uint32_t start = (uint32_t)ib_rng_below(&n->s->node.rng, range);
    for (uint32_t i = 0; i < range; i++) {
        uint16_t port = (uint16_t)(lo + (start + i) % range);
        if (nat_port_free(n, proto, port)) {
            *out = port;
            return 0;
        }
    }
    return IB_ERR_INUSE;
}

static struct nat_map *nat_map_insert(struct ib_nat *n, uint8_t proto, ib_ip4 addr, uint16_t port,
                                      uint16_t pub_port)
{
    /* More mappings than buckets: double the tables. */
    if (n->n > n->mask && nat_hash_resize(n, (n->mask + 1) * 2)) return NULL;
    struct nat_map *m = calloc(1, sizeof(*m));
    if (!m) return NULL;
    m->proto = proto;
    m->in_addr = addr;
    m->in_port = port;
    m->pub_port = pub_port;
    m->cls = NAT_CLS_STATIC;
    m->expires = IB_TIME_NEVER;
    nat_hash_insert(n, m);
    m->all_prev = n->all_tail;
    if (m->all_prev)
        m->all_prev->all_next = m;
    else
        n->all_head = m;
    n->all_tail = m;
    n->n++;
    return m;
}

struct nat_map *ib_nat_map_new(struct ib_nat *n, uint8_t proto, ib_ip4 addr, uint16_t port,
                               enum ib_drop *reason)
{
    uint16_t pub;
    if (nat_pick_port(n, proto, port, &pub)) {
        *reason = IB_DROP_NAT_NO_PORTS;
        return NULL;
    }
    struct nat_map *m = nat_map_insert(n, proto, addr, port, pub);
    if (!m) {
        *reason = IB_DROP_NOMEM;
        return NULL;
    }
    m->cls = NAT_CLS_NEW;
    n->stats.mapped++;
    return m;
}

void ib_nat_event(struct ib_nat *n, uint8_t what, const struct nat_map *m, const struct ib_pkt *p,
                  ib_ip4 peer_addr, uint16_t peer_port)
{
    struct ib_env *env = n->s->node.env;
    if (!ib_tracing(env)) return;
    struct ib_event ev;
    ib_event_init(&ev, env, IB_EV_NAT, 3, &n->s->node, n->outside, p);
    ev.u.nat.what = what;
    ev.u.nat.proto = m->proto;
    ev.u.nat.in_addr = m->in_addr;
    ev.u.nat.in_port = m->in_port;
    ev.u.nat.pub_addr = n->outside->addr;
    ev.u.nat.pub_port = m->pub_port;
    ev.u.nat.peer_addr = peer_addr;
    ev.u.nat.peer_port = peer_port;
    ib_emit(env, &ev);
}

struct ib_nat *ib_nat_enable(struct ib_stack *s, struct ib_netif *outside,
                             const struct ib_nat_config *cfg)
{
    if (s->nat || !outside || outside->node != &s->node) return NULL;
    struct ib_nat_config c = cfg ? *cfg : ib_nat_defaults;
    if (!c.udp_timeout) c.udp_timeout = ib_nat_defaults.udp_timeout;
    if (!c.tcp_est_timeout) c.tcp_est_timeout = ib_nat_defaults.tcp_est_timeout;
    if (!c.tcp_trans_timeout) c.tcp_trans_timeout = ib_nat_defaults.tcp_trans_timeout;
    if (!c.icmp_timeout) c.icmp_timeout = ib_nat_defaults.icmp_timeout;
    if (!c.max_peers) c.max_peers = ib_nat_defaults.max_peers;
    if (!c.port_min && !c.port_max) {
        c.port_min = ib_nat_defaults.port_min;
        c.port_max = ib_nat_defaults.port_max;
    }
    if (c.port_min == 0 || c.port_min > c.port_max) return NULL;
    struct ib_nat *n = calloc(1, sizeof(*n));
    if (!n) return NULL;
    if (nat_hash_resize(n, NAT_MIN_BUCKETS) || ib_nat_peers_init(n)) {
        free(n->by_in);
        free(n->by_pub);
        free(n);
        return NULL;
    }
    n->s = s;
    n->outside = outside;
    n->cfg = c;
    n->filter = IB_NAT_FILTER_ADDRESS;
    ib_timer_init(&n->timer, nat_expire);
    s->nat = n;
    return n;
}

int ib_nat_forward(struct ib_nat *n, uint8_t proto, uint16_t public_port, ib_ip4 inside,
                   uint16_t inside_port)
{
    if ((proto != IB_IPPROTO_TCP && proto != IB_IPPROTO_UDP) || !public_port || !inside ||
        !inside_port)
        return IB_ERR_INVAL;
    if (ib_nat_find_pub(n, proto, public_port) || ib_nat_find_in(n, proto, inside, inside_port))
        return IB_ERR_INUSE;
    struct nat_map *m = nat_map_insert(n, proto, inside, inside_port, public_port);
    if (!m) return IB_ERR_NOMEM;
    n->stats.mapped++;
    ib_nat_event(n, IB_NAT_MAP, m, NULL, 0, 0);
    return 0;
}

void ib_nat_set_filter(struct ib_nat *n, enum ib_nat_filter f)
{
    n->filter = f;
}

size_t ib_nat_mappings(const struct ib_nat *n, struct ib_nat_mapping *out, size_t max)
{
    size_t i = 0;
    for (const struct nat_map *m = n->all_head; m && i < max; m = m->all_next, i++) {
        out[i] = (struct ib_nat_mapping){
            .proto = m->proto,
            .in_addr = m->in_addr,
            .pub_addr = n->outside->addr,
            .in_port = m->in_port,
            .pub_port = m->pub_port,
            .last_used = m->last_used,
            .expires = m->expires,
            .tcp_state = ib_nat_map_tcp_state(m),
            .is_static = m->cls == NAT_CLS_STATIC,
        };
    }
    return n->n;
}

void ib_nat_get_stats(const struct ib_nat *n, struct ib_nat_stats *out)
{
    *out = n->stats;
}

void ib_nat_free(struct ib_nat *n)
{
    if (!n) return;
    ib_evq_forget(n->s->node.env->q, &n->timer);
    while (n->all_head)
        nat_map_free(n, n->all_head);
    free(n->by_in);
    free(n->by_pub);
    free(n->by_peer);
    free(n);
}

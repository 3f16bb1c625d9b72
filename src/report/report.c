/* The report's recorder (include/inetbox/report.h): interns nodes and
 * interfaces, keeps the events the page's tables and annotations need,
 * and each TCP connection's samples. Frames are recorded in
 * report_frames.c, the topology in report_topo.c, the page written in
 * report_write.c. Memory is bounded by the limits; what does not fit is
 * counted, never silently lost. */
#include "report_int.h"

#include <stdlib.h>

#include "inetbox/stack.h"

const struct ib_report_limits ib_report_defaults = {
    .max_frames = 200000,
    .full_bytes = 8u << 20,
    .snaplen = 128,
    .max_samples = 500000,
    .max_events = 200000,
};

bool rp_grow(void **arr, uint32_t *cap, uint32_t n, size_t elem)
{
    if (n < *cap) return true;
    if (*cap >= UINT32_MAX / 2) return false;
    uint32_t ncap = *cap ? *cap * 2 : 16;
    void *a = realloc(*arr, (size_t)ncap * elem);
    if (!a) return false;
    *arr = a;
    *cap = ncap;
    return true;
}

/* SplitMix64's finalizer: spreads pointers, whose low bits are aligned. */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

uint32_t rp_map_find(const struct rp_map *m, uint64_t key,
                     bool (*same)(const struct ib_report *, uint32_t, const void *),
                     const struct ib_report *r, const void *k)
{
    if (!m->cap) return RP_NONE;
    for (uint32_t i = (uint32_t)mix(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->vals[i]) return RP_NONE;
        if (m->keys[i] == key && same(r, m->vals[i] - 1, k)) return m->vals[i] - 1;
    }
}

static void map_insert(struct rp_map *m, uint64_t key, uint32_t val)
{
    uint32_t i = (uint32_t)mix(key) & (m->cap - 1);
    while (m->vals[i])
        i = (i + 1) & (m->cap - 1);
    m->keys[i] = key;
    m->vals[i] = val;
    m->n++;
}

int rp_map_put(struct rp_map *m, uint64_t key, uint32_t idx)
{
    if ((m->n + 1) * 2 > m->cap) {
        struct rp_map g = {0};
        g.cap = m->cap ? m->cap * 2 : 64;
        g.keys = malloc(g.cap * sizeof(*g.keys));
        g.vals = calloc(g.cap, sizeof(*g.vals));
        if (!g.keys || !g.vals) {
            rp_map_free(&g);
            return IB_ERR_NOMEM;
        }
        for (uint32_t i = 0; i < m->cap; i++)
            if (m->vals[i]) map_insert(&g, m->keys[i], m->vals[i]);
        rp_map_free(m);
        *m = g;
    }
    map_insert(m, key, idx + 1);
    return IB_OK;
}

void rp_map_free(struct rp_map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

uint32_t rp_str(struct ib_report *r, const char *s)
{
    if (!s || !*s) return 0;
    size_t len = strlen(s) + 1;
    size_t start = r->n_strs ? r->n_strs : 1; /* offset 0 is the empty string */
    if (start + len > r->cap_strs) {
        size_t cap = r->cap_strs ? r->cap_strs : 4096;
        while (cap < start + len)
            cap *= 2;
        char *p = cap <= UINT32_MAX ? realloc(r->strs, cap) : NULL;
        if (!p) {
            r->nomem = true;
            return 0;
        }
        r->strs = p;
        r->cap_strs = cap;
    }
    r->strs[0] = '\0';
    memcpy(r->strs + start, s, len);
    r->n_strs = start + len;
    return (uint32_t)start;
}

static bool same_node(const struct ib_report *r, uint32_t i, const void *k)
{
    return r->nodes[i].n == k;
}

static bool same_nif(const struct ib_report *r, uint32_t i, const void *k)
{
    return r->nifs[i].nif == k;
}

uint32_t rp_node(struct ib_report *r, const struct ib_node *n)
{
    uint32_t i = rp_map_find(&r->node_map, (uintptr_t)n, same_node, r, n);
    if (i != RP_NONE) return i;
    if (!rp_grow((void **)&r->nodes, &r->cap_nodes, r->n_nodes, sizeof(*r->nodes)) ||
        rp_map_put(&r->node_map, (uintptr_t)n, r->n_nodes) != IB_OK) {
        r->nomem = true;
        return RP_NONE;
    }
    struct rp_node *rn = &r->nodes[r->n_nodes];
    memset(rn, 0, sizeof(*rn));
    rn->n = n;
    memcpy(rn->name, n->name, sizeof(rn->name));
    rn->kind = (uint8_t)n->kind;
    rn->last_rx = RP_NONE;
    if (!r->n_nodes) {
        r->live = n->env->live;
        r->epoch = n->env->epoch;
    }
    return r->n_nodes++;
}

uint32_t rp_nif(struct ib_report *r, const struct ib_netif *nif)
{
    uint32_t i = rp_map_find(&r->nif_map, (uintptr_t)nif, same_nif, r, nif);
    if (i != RP_NONE) return i;
    uint32_t node = rp_node(r, nif->node);
    if (node == RP_NONE || !rp_grow((void **)&r->nifs, &r->cap_nifs, r->n_nifs, sizeof(*r->nifs)) ||
        rp_map_put(&r->nif_map, (uintptr_t)nif, r->n_nifs) != IB_OK) {
        r->nomem = true;
        return RP_NONE;
    }
    struct rp_nif *rn = &r->nifs[r->n_nifs];
    memset(rn, 0, sizeof(*rn));
    rn->nif = nif;
    rn->node = node;
    memcpy(rn->name, nif->name, sizeof(rn->name));
    rn->mac = nif->mac;
    rn->addr = nif->addr;
    rn->plen = nif->plen;
    rn->mtu = nif->mtu;
    rn->peer = rn->link = RP_NONE;
    rn->dhcp_since = -1;
    rn->pend_head = rn->pend_tail = RP_NONE;
    return r->n_nifs++;
}

struct ib_report *ib_report_new(void)
{
    struct ib_report *r = calloc(1, sizeof(*r));
    if (r) r->lim = ib_report_defaults;
    return r;
}

void ib_report_set_limits(struct ib_report *r, const struct ib_report_limits *lim)
{
    const struct ib_report_limits *d = &ib_report_defaults;
    r->lim.max_frames = lim->max_frames ? lim->max_frames : d->max_frames;
    r->lim.full_bytes = lim->full_bytes ? lim->full_bytes : d->full_bytes;
    r->lim.snaplen = lim->snaplen ? lim->snaplen : d->snaplen;
    r->lim.max_samples = lim->max_samples ? lim->max_samples : d->max_samples;
    r->lim.max_events = lim->max_events ? lim->max_events : d->max_events;
}

int ib_report_set_title(struct ib_report *r, const char *title)
{
    char *t = strdup(title);
    if (!t) return IB_ERR_NOMEM;
    free(r->title);
    r->title = t;
    return IB_OK;
}

void ib_report_free(struct ib_report *r)
{
    if (!r) return;
    free(r->title);
    free(r->nodes);
    rp_map_free(&r->node_map);
    free(r->nifs);
    rp_map_free(&r->nif_map);
    free(r->links);
    free(r->frames);
    free(r->bytes);
    free(r->events);
    free(r->strs);
    free(r->conns);
    rp_map_free(&r->conn_map);
    free(r->samples);
    free(r->routes);
    free(r->lines);
    free(r);
}

uint64_t ib_report_unrecorded(const struct ib_report *r)
{
    return r->unrecorded;
}

uint32_t ib_report_frames(const struct ib_report *r)
{
    return r->n_frames;
}

/* The strings an event points to, by kind (trace.h: valid during dispatch
 * only). */
static void copy_strings(struct ib_report *r, struct rp_event *e)
{
    struct ib_event *ev = &e->ev;
    switch (ev->kind) {
    case IB_EV_DNS:
        e->str[0] = rp_str(r, ev->u.dns.qname);
        e->str[1] = rp_str(r, ev->u.dns.zone);
        e->str[2] = rp_str(r, ev->u.dns.ns);
        ev->u.dns.qname = ev->u.dns.zone = ev->u.dns.ns = NULL;
        break;
    case IB_EV_HTTP:
        e->str[0] = rp_str(r, ev->u.http.method);
        e->str[1] = rp_str(r, ev->u.http.host);
        e->str[2] = rp_str(r, ev->u.http.path);
        e->str[3] = rp_str(r, ev->u.http.url);
        ev->u.http.method = ev->u.http.host = ev->u.http.path = ev->u.http.url = NULL;
        break;
    case IB_EV_BRIDGE_LEARN:
        e->str[0] = ev->u.bridge.port ? rp_str(r, ev->u.bridge.port->name) : 0;
        ev->u.bridge.port = NULL;
        break;
    default:
        break;
    }
}

static struct rp_event *add_event(struct ib_report *r, const struct ib_event *ev, uint32_t node)
{
    if (r->n_events >= r->lim.max_events) {
        r->unrecorded_events++;
        return NULL;
    }
    if (!rp_grow((void **)&r->events, &r->cap_events, r->n_events, sizeof(*r->events))) {
        r->nomem = true;
        return NULL;
    }
    struct rp_event *e = &r->events[r->n_events++];
    memset(e, 0, sizeof(*e));
    e->t = ev->t;
    e->kind = (uint8_t)ev->kind;
    e->node = node;
    e->nif = ev->nif ? rp_nif(r, ev->nif) : RP_NONE;
    e->journey = ev->journey;
    e->frame = RP_NONE;
    e->ev = *ev;
    e->ev.node = NULL;
    e->ev.nif = NULL;
    e->ev.data = NULL;
    copy_strings(r, e);
    return e;
}

struct conn_key {
    uint32_t node;
    ib_ip4 laddr, raddr;
    uint16_t lport, rport;
};

static bool same_conn(const struct ib_report *r, uint32_t i, const void *k)
{
    const struct rp_conn *c = &r->conns[i];
    const struct conn_key *key = k;
    return c->node == key->node && c->laddr == key->laddr && c->raddr == key->raddr &&
           c->lport == key->lport && c->rport == key->rport;
}

static uint32_t conn_of(struct ib_report *r, const struct conn_key *k)
{
    uint64_t h = mix(((uint64_t)k->laddr << 32 | k->raddr) ^ mix(k->node)) ^
                 ((uint64_t)k->lport << 16 | k->rport);
    uint32_t i = rp_map_find(&r->conn_map, h, same_conn, r, k);
    if (i != RP_NONE) return i;
    if (!rp_grow((void **)&r->conns, &r->cap_conns, r->n_conns, sizeof(*r->conns)) ||
        rp_map_put(&r->conn_map, h, r->n_conns) != IB_OK) {
        r->nomem = true;
        return RP_NONE;
    }
    r->conns[r->n_conns] = (struct rp_conn){.node = k->node,
                                            .laddr = k->laddr,
                                            .raddr = k->raddr,
                                            .lport = k->lport,
                                            .rport = k->rport,
                                            .first = RP_NONE,
                                            .last = RP_NONE};
    return r->n_conns++;
}

/* A TCP state change or statistics snapshot, appended to its connection.
 * A listener (no remote end yet) is not a connection. */
static void tcp_sample(struct ib_report *r, const struct ib_event *ev, uint32_t node)
{
    if (ev->u.tcp.raddr == 0 && ev->u.tcp.rport == 0) return;
    if (r->n_samples >= r->lim.max_samples) {
        r->unrecorded_events++;
        return;
    }
    struct conn_key k = {node, ev->u.tcp.laddr, ev->u.tcp.raddr, ev->u.tcp.lport, ev->u.tcp.rport};
    uint32_t c = conn_of(r, &k);
    if (c == RP_NONE ||
        !rp_grow((void **)&r->samples, &r->cap_samples, r->n_samples, sizeof(*r->samples))) {
        r->nomem = true;
        return;
    }
    struct rp_sample *s = &r->samples[r->n_samples];
    s->t = ev->t;
    s->kind = (uint8_t)ev->kind;
    s->next = RP_NONE;
    s->ev = *ev;
    s->ev.node = NULL;
    s->ev.nif = NULL;
    s->ev.data = NULL;
    struct rp_conn *cn = &r->conns[c];
    if (cn->last == RP_NONE)
        cn->first = r->n_samples;
    else
        r->samples[cn->last].next = r->n_samples;
    cn->last = r->n_samples++;
    cn->n++;
}

static void arp_learn(struct ib_report *r, const struct ib_event *ev, uint32_t node)
{
    struct rp_event *e = add_event(r, ev, node);
    if (!e || !ev->nif) return;
    /* The entry was just set: its expiry is the cache's own. */
    const struct ib_arp_entry *a = ib_arp_lookup(ev->nif, ev->u.arp.ip);
    e->expires = a ? a->expires : IB_TIME_NEVER;
}

static void dhcp_event(struct ib_report *r, const struct ib_event *ev, uint32_t node)
{
    add_event(r, ev, node);
    if (!ev->nif) return;
    uint32_t nif = rp_nif(r, ev->nif);
    if (nif == RP_NONE) return;
    if (ev->u.dhcp.what == IB_DHCP_BOUND)
        r->nifs[nif].dhcp_since = ev->t;
    else if (ev->u.dhcp.what == IB_DHCP_LOST)
        r->nifs[nif].dhcp_since = -1;
}

void ib_report_observe(void *ctx, const struct ib_event *ev)
{
    struct ib_report *r = ctx;
    if (r->frozen) return;
    const struct ib_node *n = ev->node ? ev->node : ev->nif ? ev->nif->node : NULL;
    if (ev->t > r->end) r->end = ev->t;
    if (!n) return;
    uint32_t node = rp_node(r, n);
    if (node == RP_NONE) return;
    switch (ev->kind) {
    case IB_EV_WIRE_TX:
        rp_wire_tx(r, ev);
        break;
    case IB_EV_WIRE_RX:
        rp_wire_rx(r, ev);
        break;
    case IB_EV_DROP: {
        uint32_t f = rp_drop_frame(r, ev, node);
        struct rp_event *e = add_event(r, ev, node);
        if (!e) break;
        r->n_drops++;
        if (f == RP_NONE) break;
        e->frame = f;
        if (ev->reason != IB_DROP_LINK_LOSS) r->frames[f].drop = r->n_drops - 1;
        break;
    }
    case IB_EV_LINK_STATE:
        if (!ev->u.link.up && ev->nif) {
            uint32_t nif = rp_nif(r, ev->nif);
            if (nif != RP_NONE) rp_link_down(r, nif);
        }
        add_event(r, ev, node);
        break;
    case IB_EV_ARP_LEARN:
        arp_learn(r, ev, node);
        break;
    case IB_EV_DHCP:
        dhcp_event(r, ev, node);
        break;
    case IB_EV_NAT:
        /* Mappings made and ended; the datagrams they rewrite are frames. */
        if (ev->u.nat.what == IB_NAT_MAP || ev->u.nat.what == IB_NAT_EXPIRE) add_event(r, ev, node);
        break;
    case IB_EV_BRIDGE_LEARN:
    case IB_EV_DNS:
    case IB_EV_HTTP:
        add_event(r, ev, node);
        break;
    case IB_EV_TCP_STATE:
    case IB_EV_TCP_INFO:
    case IB_EV_TCP_RETRANSMIT:
        tcp_sample(r, ev, node);
        break;
    default:
        break;
    }
}

/* The narrator's recorder and the identities of the fetch.
 *
 * While the world runs, ib_story_observe() keeps a copy of the events the
 * story can use (event pointers are valid during dispatch only): every
 * DHCP, DNS, HTTP, NAT, ARP and TCP state event, the client's frames and
 * datagrams that carry a SYN or an HTTP request, and the forwarding,
 * delivery and drops of those datagrams, found by their journey id. Memory
 * is bounded; what does not fit is counted.
 *
 * ib_story_finish() then finds the fetch by following identities: the
 * browser's FETCH_START, the address DNS gave, the client's connection to
 * that address and port (its 4-tuple), the journey id of its SYN, and the
 * tuple as the server saw it after NAT. The steps (story_app.c,
 * story_path.c) build their lines from these. */
#include "story_int.h"

#include <stdlib.h>
#include <strings.h>

#include "inetbox/eth.h"
#include "inetbox/ipv4.h"
#include "inetbox/tcp.h"
#include "inetbox/tcp_wire.h"

#define DEFAULT_MAX_EVENTS 16384u
#define DEFAULT_MAX_BYTES (4u << 20)
#define KEEP_IP_BYTES 120u    /* IPv4 + TCP headers with options */
#define KEEP_FRAME_BYTES 256u /* + the request line and Host */
#define KEEP_STR 255u

int ib_lang_parse(const char *s, enum ib_lang *out)
{
    static const char *const names[IB_LANG_COUNT] = {"en", "ko"};
    for (int i = 0; s && i < IB_LANG_COUNT; i++) {
        if (strcasecmp(s, names[i]) == 0) {
            *out = (enum ib_lang)i;
            return 0;
        }
    }
    return IB_ERR_INVAL;
}

void story_copy(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strnlen(src, cap - 1) : 0;
    if (n) memcpy(dst, src, n);
    dst[n] = '\0';
}

struct ib_story *ib_story_new(const char *client_node, const char *url)
{
    struct ib_story *st = calloc(1, sizeof(*st));
    if (!st) return NULL;
    st->url = strdup(url ? url : "");
    st->arena = malloc(256);
    if (!st->url || !st->arena) {
        ib_story_free(st);
        return NULL;
    }
    story_copy(st->client, sizeof(st->client), client_node);
    st->arena[0] = '\0'; /* offset 0: the empty string */
    st->alen = 1;
    st->acap = 256;
    st->max = DEFAULT_MAX_EVENTS;
    st->amax = DEFAULT_MAX_BYTES;
    return st;
}

void ib_story_free(struct ib_story *st)
{
    if (!st) return;
    free(st->url);
    free(st->recs);
    free(st->arena);
    free(st->lines);
    free(st);
}

void ib_story_set_limits(struct ib_story *st, size_t max_events, size_t max_bytes)
{
    st->max = max_events > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)max_events;
    st->amax = max_bytes > UINT32_MAX ? UINT32_MAX : max_bytes;
}

uint64_t ib_story_unrecorded(const struct ib_story *st)
{
    return st->unrecorded;
}

/* Copies n bytes into the arena; returns the offset, or 0 (and marks the
 * event as not fitting) when the limit or memory runs out. */
static uint32_t arena_put(struct ib_story *st, const void *p, size_t n, bool nul)
{
    size_t need = st->alen + n + (nul ? 1 : 0);
    if (need > st->amax) {
        st->afail = true;
        return 0;
    }
    if (need > st->acap) {
        size_t cap = st->acap * 2 > need ? st->acap * 2 : need;
        uint8_t *a = realloc(st->arena, cap);
        if (!a) {
            st->afail = true;
            return 0;
        }
        st->arena = a;
        st->acap = cap;
    }
    uint32_t off = (uint32_t)st->alen;
    memcpy(st->arena + off, p, n);
    if (nul) st->arena[off + n] = '\0';
    st->alen = need;
    return off;
}

static uint32_t arena_str(struct ib_story *st, const char *s)
{
    if (!s || !*s) return 0;
    size_t n = strlen(s);
    return arena_put(st, s, n > KEEP_STR ? KEEP_STR : n, true);
}

bool story_seg_view(const uint8_t *b, size_t len, struct seg_view *v)
{
    memset(v, 0, sizeof(*v));
    /* RFC 791 §3.1: version 4, IHL in 32-bit words. */
    if (len < IB_IP4_HLEN || b[0] >> 4 != 4) return false;
    v->ihl = (uint8_t)((b[0] & 0x0f) * 4);
    v->tot_len = ib_get16(b + 2);
    v->ttl = b[8];
    v->proto = b[9];
    v->src = ib_get32(b + 12);
    v->dst = ib_get32(b + 16);
    if (v->ihl < IB_IP4_HLEN || v->proto != IB_IPPROTO_TCP || v->tot_len < v->ihl) return false;
    if ((ib_get16(b + 6) & IB_IP4_OFFMASK) != 0)
        return false; /* a later fragment has no TCP header */
    struct ib_tcp_hdr h;
    if (len < (size_t)v->ihl + IB_TCP_HLEN) return false;
    size_t thl = (size_t)(b[v->ihl + 12] >> 4) * 4;
    size_t seg = (len < v->tot_len ? len : v->tot_len) - v->ihl; /* kept and in the datagram */
    if (thl > seg || ib_tcp_parse_nocsum(b + v->ihl, seg, &h) != 0) return false;
    v->sport = h.sport;
    v->dport = h.dport;
    v->seq = h.seq;
    v->ack = h.ack;
    v->flags = h.flags;
    v->thl = h.hlen;
    v->payload = b + v->ihl + h.hlen;
    v->kept = seg - h.hlen;
    v->payload_len = (size_t)v->tot_len - v->ihl - h.hlen;
    return true;
}

/* RFC 9110 §9.1: a request line starts with a method token (by convention
 * upper case) and one space. */
static bool looks_like_request(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n && i < 8 && p[i] >= 'A' && p[i] <= 'Z')
        i++;
    return i >= 3 && i < n && p[i] == ' ';
}

static bool seg_is_syn(const struct seg_view *v)
{
    return (v->flags & (IB_TCP_SYN | IB_TCP_ACK)) == IB_TCP_SYN;
}

static bool followed(const struct ib_story *st, uint32_t journey)
{
    for (unsigned i = 0; journey && i < STORY_JOURNEYS; i++)
        if (st->journeys[i] == journey) return true;
    return false;
}

static void follow(struct ib_story *st, uint32_t journey)
{
    if (!journey || followed(st, journey)) return;
    st->journeys[st->next_journey++ % STORY_JOURNEYS] = journey;
}

/* Names are unique in a world: once the client is seen, its node is
 * known by address, which costs less than a name on every datagram. */
static bool from_client(struct ib_story *st, const struct ib_node *n)
{
    if (st->client_node) return n == st->client_node;
    if (!n || strcmp(n->name, st->client) != 0) return false;
    st->client_node = n;
    return true;
}

/* Which events to keep, and how many of their bytes. */
static bool wanted(struct ib_story *st, const struct ib_event *ev, uint32_t *keep)
{
    struct seg_view v;
    *keep = 0;
    switch (ev->kind) {
    case IB_EV_DHCP:
    case IB_EV_DNS:
    case IB_EV_HTTP:
    case IB_EV_NAT:
    case IB_EV_TCP_STATE:
    case IB_EV_ARP_LEARN:
    case IB_EV_ARP_QUEUE:
        return true;
    case IB_EV_ARP_REQUEST:
    case IB_EV_ARP_REPLY:
        *keep = IB_ARP_LEN;
        return true;
    case IB_EV_IP_TX:
        if (!from_client(st, ev->node) || !ev->data || !story_seg_view(ev->data, ev->len, &v))
            return false;
        if (!seg_is_syn(&v) && !looks_like_request(v.payload, v.kept)) return false;
        follow(st, ev->journey);
        *keep = KEEP_IP_BYTES;
        return true;
    case IB_EV_IP_RX:
    case IB_EV_IP_FORWARD:
        *keep = KEEP_IP_BYTES;
        return followed(st, ev->journey);
    case IB_EV_DROP:
        return followed(st, ev->journey);
    case IB_EV_ETH_TX:
        if (!from_client(st, ev->node) || !ev->data || ev->len < IB_ETH_HLEN ||
            ib_get16(ev->data + 12) != IB_ETHERTYPE_IP4 ||
            !story_seg_view(ev->data + IB_ETH_HLEN, ev->len - IB_ETH_HLEN, &v) ||
            !looks_like_request(v.payload, v.kept))
            return false;
        *keep = KEEP_FRAME_BYTES;
        return true;
    default:
        return false;
    }
}

static bool rec_grow(struct ib_story *st)
{
    if (st->n < st->cap) return true;
    uint32_t cap = st->cap ? st->cap * 2 : 256;
    if (cap > st->max) cap = st->max;
    struct story_rec *r = realloc(st->recs, (size_t)cap * sizeof(*r));
    if (!r) return false;
    st->recs = r;
    st->cap = cap;
    return true;
}

/* Clears what points into the emitter's memory; the names and strings
 * were copied beside. */
static void rec_strings(struct ib_story *st, struct story_rec *r, const struct ib_event *ev)
{
    if (ev->kind == IB_EV_DNS) {
        r->str[STR_QNAME] = arena_str(st, ev->u.dns.qname);
        r->str[STR_ZONE] = arena_str(st, ev->u.dns.zone);
        r->str[STR_NS] = arena_str(st, ev->u.dns.ns);
        r->ev.u.dns.qname = r->ev.u.dns.zone = r->ev.u.dns.ns = NULL;
    } else if (ev->kind == IB_EV_HTTP) {
        r->str[STR_METHOD] = arena_str(st, ev->u.http.method);
        r->str[STR_HOST] = arena_str(st, ev->u.http.host);
        r->str[STR_PATH] = arena_str(st, ev->u.http.path);
        r->str[STR_URL] = arena_str(st, ev->u.http.url);
        r->ev.u.http.method = r->ev.u.http.host = r->ev.u.http.path = r->ev.u.http.url = NULL;
    } else if (ev->kind == IB_EV_IP_FORWARD) {
        if (ev->u.route.out) story_copy(r->out, sizeof(r->out), ev->u.route.out->name);
        r->ev.u.route.out = NULL;
    }
}

void ib_story_observe(void *ctx, const struct ib_event *ev)
{
    struct ib_story *st = ctx;
    uint32_t keep;
    if (!wanted(st, ev, &keep)) return;
    if (st->n >= st->max || !rec_grow(st)) {
        st->unrecorded++;
        return;
    }
    struct story_rec *r = &st->recs[st->n];
    memset(r, 0, sizeof(*r));
    r->ev = *ev;
    r->ev.node = NULL;
    r->ev.nif = NULL;
    r->ev.data = NULL;
    if (ev->node) story_copy(r->node, sizeof(r->node), ev->node->name);
    if (ev->nif) {
        story_copy(r->nif, sizeof(r->nif), ev->nif->name);
        r->nif_addr = ev->nif->addr;
    }
    size_t alen = st->alen;
    st->afail = false;
    rec_strings(st, r, ev);
    if (keep && ev->data) {
        r->len = ev->len < keep ? ev->len : keep;
        r->bytes = arena_put(st, ev->data, r->len, false);
    }
    if (st->afail) {
        st->alen = alen; /* half a record is not kept */
        st->unrecorded++;
        return;
    }
    st->n++;
}

struct ib_story_line *story_line(struct story_ctx *c, uint8_t step, uint16_t what,
                                 const struct story_rec *r)
{
    struct ib_story *st = c->st;
    if (st->nlines == st->lcap) {
        size_t cap = st->lcap ? st->lcap * 2 : 64;
        struct ib_story_line *l = realloc(st->lines, cap * sizeof(*l));
        if (!l) {
            st->nomem = true;
            return NULL;
        }
        st->lines = l;
        st->lcap = cap;
    }
    struct ib_story_line *l = &st->lines[st->nlines++];
    memset(l, 0, sizeof(*l));
    l->step = step;
    l->what = what;
    if (r) {
        l->t = r->ev.t;
        story_copy(l->node, sizeof(l->node), r->node);
        l->layer = ib_story_what_is_note(what) ? 0 : r->ev.layer;
    }
    return l;
}

bool story_connected(struct story_ctx *c, uint8_t step)
{
    if (c->open != STORY_NONE) return true;
    struct ib_story_line *l = story_line(c, step, IB_SW_NO_CONNECTION, NULL);
    if (l) {
        story_copy(l->node, sizeof(l->node), c->st->client);
        story_copy(l->s[0], sizeof(l->s[0]), c->host);
        l->p[0] = c->port;
    }
    return false;
}

/* ---- the identities of the fetch ---- */

/* "http://host[:port]/..." -> host and port (80 unless given). */
static void url_host(const char *url, char *host, size_t cap, uint16_t *port)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, ":/?#");
    snprintf(host, cap, "%.*s", (int)(n < cap ? n : cap - 1), p);
    *port = 80;
    if (p[n] == ':') {
        long v = strtol(p + n + 1, NULL, 10);
        if (v > 0 && v < 65536) *port = (uint16_t)v;
    }
}

bool story_is_client(const struct story_ctx *c, const struct story_rec *r)
{
    return story_at(r, c->st->client);
}

static bool is_http(const struct story_ctx *c, const struct story_rec *r, uint8_t what)
{
    return r->ev.kind == IB_EV_HTTP && r->ev.u.http.what == what && story_is_client(c, r);
}

/* The browser's fetch of our URL (else its first fetch), and its end: the
 * first FETCH_DONE after it for the same URL. */
static void find_fetch(struct story_ctx *c)
{
    const struct ib_story *st = c->st;
    for (uint32_t i = 0; i < st->n; i++) {
        const struct story_rec *r = story_rec(c, i);
        if (!is_http(c, r, IB_HTTP_FETCH_START)) continue;
        if (c->fetch == STORY_NONE) c->fetch = i;
        if (strcmp(story_str(st, r, STR_URL), st->url) == 0) {
            c->fetch = i;
            break;
        }
    }
    if (c->fetch != STORY_NONE) {
        const char *url = story_str(st, story_rec(c, c->fetch), STR_URL);
        for (uint32_t i = c->fetch + 1; i < st->n && c->done == STORY_NONE; i++) {
            const struct story_rec *r = story_rec(c, i);
            const char *u = story_str(st, r, STR_URL);
            if (is_http(c, r, IB_HTTP_FETCH_DONE) && (!*u || strcmp(u, url) == 0)) c->done = i;
        }
    }
    if (c->fetch != STORY_NONE) {
        const struct story_rec *f = story_rec(c, c->fetch);
        story_copy(c->host, sizeof(c->host), story_str(st, f, STR_HOST));
        c->port = f->ev.u.http.port;
    }
    if (!c->host[0] || !c->port) {
        uint16_t port;
        url_host(st->url, c->host, sizeof(c->host), &port);
        c->port = c->port ? c->port : port;
    }
}

/* The address the client's stub resolved the host to (or the host itself
 * when it is one). */
static void find_server_addr(struct story_ctx *c)
{
    ib_ip4 a;
    if (ib_ip4_from_str(c->host, &a, NULL) == 0) {
        c->server = a;
        return;
    }
    uint32_t from = c->fetch == STORY_NONE ? 0 : c->fetch;
    for (uint32_t i = from; i < c->st->n; i++) {
        const struct story_rec *r = story_rec(c, i);
        if (r->ev.kind == IB_EV_DNS && story_is_client(c, r) &&
            r->ev.u.dns.what == IB_DNS_RESOLVED && r->ev.u.dns.kind == IB_DNS_KIND_ANSWER &&
            r->ev.u.dns.addr) {
            c->server = r->ev.u.dns.addr;
            return;
        }
    }
}

bool story_seg_of(const struct story_ctx *c, const struct story_rec *r, struct seg_view *v)
{
    return r->len && story_seg_view(story_bytes(c->st, r), r->len, v);
}

/* The client's connection: CLOSED -> SYN_SENT toward the server's port. */
static void find_connection(struct story_ctx *c)
{
    uint32_t from = c->fetch == STORY_NONE ? 0 : c->fetch;
    for (uint32_t i = from; i < c->st->n && c->open == STORY_NONE; i++) {
        const struct story_rec *r = story_rec(c, i);
        if (r->ev.kind == IB_EV_TCP_STATE && story_is_client(c, r) &&
            r->ev.u.tcp.old_state == IB_TCP_CLOSED && r->ev.u.tcp.new_state == IB_TCP_SYN_SENT &&
            r->ev.u.tcp.rport == c->port && (!c->server || r->ev.u.tcp.raddr == c->server)) {
            c->open = i;
            c->caddr = r->ev.u.tcp.laddr;
            c->cport = r->ev.u.tcp.lport;
            c->server = r->ev.u.tcp.raddr;
        }
    }
}

uint32_t story_delivery(const struct story_ctx *c, uint32_t journey, uint32_t from)
{
    for (uint32_t i = from; i < c->st->n; i++) {
        const struct story_rec *r = story_rec(c, i);
        if (r->ev.kind == IB_EV_IP_RX && r->ev.journey == journey && !story_is_client(c, r))
            return i;
    }
    return STORY_NONE;
}

/* The SYN datagram: the first one that reached the server, else the first
 * one sent; then where it arrived and how the server saw the client. */
static void find_syn(struct story_ctx *c)
{
    for (uint32_t i = c->open; i < c->st->n; i++) {
        const struct story_rec *r = story_rec(c, i);
        struct seg_view v;
        if (r->ev.kind != IB_EV_IP_TX || !story_is_client(c, r) || !story_seg_of(c, r, &v) ||
            !seg_is_syn(&v) || v.dst != c->server || v.dport != c->port || v.sport != c->cport)
            continue;
        uint32_t rx = story_delivery(c, r->ev.journey, i);
        if (c->syn_tx == STORY_NONE || rx != STORY_NONE) {
            c->syn_tx = i;
            c->syn_rx = rx;
            c->journey = r->ev.journey;
        }
        if (rx != STORY_NONE) break;
    }
    c->seen_addr = c->caddr;
    c->seen_port = c->cport;
    struct seg_view v;
    if (c->syn_rx != STORY_NONE && story_seg_of(c, story_rec(c, c->syn_rx), &v)) {
        const struct story_rec *rx = story_rec(c, c->syn_rx);
        story_copy(c->server_node, sizeof(c->server_node), rx->node);
        c->seen_addr = v.src;
        c->seen_port = v.sport;
        return;
    }
    /* Not seen arriving: the server is whoever accepted the connection. */
    for (uint32_t i = c->open; i < c->st->n; i++) {
        const struct story_rec *r = story_rec(c, i);
        if (r->ev.kind == IB_EV_TCP_STATE && r->ev.u.tcp.old_state == IB_TCP_LISTEN &&
            r->ev.u.tcp.new_state == IB_TCP_SYN_RECEIVED && r->ev.u.tcp.laddr == c->server &&
            r->ev.u.tcp.lport == c->port) {
            story_copy(c->server_node, sizeof(c->server_node), r->node);
            c->seen_addr = r->ev.u.tcp.raddr;
            c->seen_port = r->ev.u.tcp.rport;
            return;
        }
    }
}

/* The client's frame carrying the HTTP request, and from its destination
 * MAC the gateway it was sent to. */
static void find_frame(struct story_ctx *c)
{
    for (uint32_t i = c->open; i < c->st->n && c->frame == STORY_NONE; i++) {
        const struct story_rec *r = story_rec(c, i);
        struct seg_view v;
        if (r->ev.kind == IB_EV_ETH_TX && story_is_client(c, r) && r->len > IB_ETH_HLEN &&
            story_seg_view(story_bytes(c->st, r) + IB_ETH_HLEN, r->len - IB_ETH_HLEN, &v) &&
            v.src == c->caddr && v.sport == c->cport && v.dst == c->server && v.dport == c->port)
            c->frame = i;
    }
    if (c->frame == STORY_NONE) return;
    struct ib_mac dst;
    memcpy(dst.b, story_bytes(c->st, story_rec(c, c->frame)), 6);
    for (uint32_t i = 0; i < c->frame; i++) {
        const struct story_rec *r = story_rec(c, i);
        if (r->ev.kind == IB_EV_ARP_LEARN && story_is_client(c, r) &&
            ib_mac_eq(&r->ev.u.arp.mac, &dst))
            c->gw = r->ev.u.arp.ip;
    }
}

/* Failing that, the gateway is the address the SYN's first router has on
 * the link the SYN came in by. */
static void find_first_hop(struct story_ctx *c)
{
    for (uint32_t i = c->syn_tx; !c->gw && i < c->st->n; i++) {
        const struct story_rec *r = story_rec(c, i);
        if (r->ev.kind == IB_EV_IP_FORWARD && r->ev.journey == c->journey) c->gw = r->nif_addr;
    }
}

static void find_lease(struct story_ctx *c)
{
    for (uint32_t i = 0; i < c->st->n; i++) {
        const struct story_rec *r = story_rec(c, i);
        if (r->ev.kind == IB_EV_DHCP && story_is_client(c, r) &&
            r->ev.u.dhcp.what == IB_DHCP_BOUND) {
            c->dhcp_dns = r->ev.u.dhcp.dns;
            if (!c->gw) c->gw = r->ev.u.dhcp.router;
            return;
        }
    }
}

/* Orders the lines by step, keeping the order within a step. */
static void sort_lines(struct ib_story *st)
{
    struct ib_story_line *sorted = malloc((st->nlines ? st->nlines : 1) * sizeof(*sorted));
    if (!sorted) {
        st->nomem = true;
        return;
    }
    size_t k = 0;
    for (uint8_t step = 0; step <= IB_STEP_COUNT; step++)
        for (size_t i = 0; i < st->nlines; i++)
            if (st->lines[i].step == step) sorted[k++] = st->lines[i];
    free(st->lines);
    st->lines = sorted;
    st->lcap = st->nlines ? st->nlines : 1;
    st->nlines = k;
}

int ib_story_finish(struct ib_story *st)
{
    st->nlines = 0;
    st->nomem = false;
    struct story_ctx c = {.st = st};
    c.fetch = c.done = c.open = c.syn_tx = c.syn_rx = c.frame = STORY_NONE;
    find_fetch(&c);
    find_server_addr(&c);
    find_connection(&c);
    if (c.open != STORY_NONE) {
        find_syn(&c);
        find_frame(&c);
        if (c.syn_tx != STORY_NONE) find_first_hop(&c);
    }
    find_lease(&c);
    story_step_dhcp(&c);
    story_step_dns(&c);
    story_step_build(&c);
    story_step_arp_gateway(&c);
    story_step_nat(&c);
    story_step_routing(&c);
    story_step_arp_last_hop(&c);
    story_step_tcp(&c);
    story_step_server(&c);
    sort_lines(st);
    if (st->nomem) return IB_ERR_NOMEM;
    return c.open == STORY_NONE ? IB_ERR_NOTFOUND : 0;
}

size_t ib_story_lines(const struct ib_story *st, const struct ib_story_line **lines)
{
    *lines = st->lines;
    return st->nlines;
}

/* IPv4 reassembly (RFC 791 §3.2, RFC 1122 §3.3.2).
 *
 * A partial datagram is identified by (source, destination, protocol,
 * identification) (RFC 791 §3.2). It holds its fragments themselves, sorted
 * by offset, rather than a growing buffer: nothing is copied or reallocated
 * until the datagram is complete, when one new packet is filled from them.
 * Memory is charged at the true size of the held buffers plus bookkeeping,
 * so many tiny fragments cannot hide behind a small byte count.
 *
 * Partial datagrams are kept oldest first. They all live for the same
 * timeout from their first fragment, so the oldest has the earliest
 * deadline and the one timer of the reassembly state is armed for it. */
#include "inetbox/ipv4.h"

#include "inetbox/cksum.h"
#include "inetbox/stack.h"

#include <stdlib.h>

/* RFC 1122 §3.3.2 recommends 60 to 120 s; Linux (ipfrag_time) and the BSDs
 * (IPFRAGTTL) use 30 s, which frees memory held by lost datagrams sooner. */
const struct ib_reass_config ib_reass_defaults = {
    .timeout = IB_SEC(30),
    .max_datagrams = 64,
    .max_bytes = 4u * 1024u * 1024u, /* Linux ipfrag_high_thresh */
    .max_frags = 256, /* 64 KiB at MTU 576 is 118 fragments */
};

struct ib_reass_frag {
    uint32_t off, len; /* payload octets [off, off + len) of the datagram */
    struct ib_pkt *p;  /* data at the fragment's IP header */
};

struct ib_reass_dgram {
    struct ib_reass_dgram *next;
    ib_ip4 src, dst;
    uint16_t id;
    uint8_t proto;
    bool last_seen; /* the fragment with MF clear arrived: total is known */
    uint32_t total; /* payload octets of the whole datagram */
    uint32_t received;
    uint32_t charge; /* bytes counted against the memory bound */
    ib_time deadline;
    struct ib_netif *nif; /* where the first arrival came in */
    uint32_t n, cap;
    struct ib_reass_frag f[];
};

static struct ib_stack *reass_stack(struct ib_reass *r)
{
    return (struct ib_stack *)(void *)((char *)r - offsetof(struct ib_stack, reass));
}

static void reass_timeout(struct ib_timer *t);

void ib_reass_init(struct ib_reass *r)
{
    r->list = NULL;
    r->count = 0;
    r->bytes = 0;
    ib_timer_init(&r->timer, reass_timeout);
}

/* Takes d off the list, keeping the timer on the (new) oldest datagram. */
static void reass_unlink(struct ib_reass *r, struct ib_reass_dgram *d)
{
    struct ib_reass_dgram **pp = &r->list;
    while (*pp != d)
        pp = &(*pp)->next;
    *pp = d->next;
    r->count--;
    r->bytes -= d->charge;
    if (!r->list)
        ib_timer_cancel(&r->timer);
    else if (pp == &r->list)
        ib_timer_arm(reass_stack(r)->node.env, &r->timer, r->list->deadline);
}

/* Releases the held fragments except `keep` (a fragment handed to a drop
 * or returned), and the datagram itself. */
static void reass_free(struct ib_reass_dgram *d, const struct ib_pkt *keep)
{
    for (uint32_t i = 0; i < d->n; i++)
        if (d->f[i].p != keep) ib_pkt_free(d->f[i].p);
    free(d);
}

/* Drops the whole datagram with one drop event, carried by p. */
static struct ib_pkt *reass_discard(struct ib_stack *s, struct ib_reass_dgram *d,
                                    struct ib_netif *nif, struct ib_pkt *p, enum ib_drop why)
{
    reass_unlink(&s->reass, d);
    reass_free(d, p);
    ib_drop(&s->node, nif, p, why);
    return NULL;
}

void ib_reass_destroy(struct ib_reass *r)
{
    while (r->list) {
        struct ib_reass_dgram *d = r->list;
        r->list = d->next;
        reass_free(d, NULL);
    }
    r->count = 0;
    r->bytes = 0;
    ib_timer_cancel(&r->timer);
}

static void reass_timeout(struct ib_timer *t)
{
    struct ib_reass *r = (struct ib_reass *)(void *)((char *)t - offsetof(struct ib_reass, timer));
    struct ib_stack *s = reass_stack(r);
    ib_time now = ib_now(s->node.env);
    while (r->list && r->list->deadline <= now) {
        struct ib_reass_dgram *d = r->list;
        struct ib_pkt *first = d->f[0].p;
        /* RFC 1122 §3.3.2, RFC 792: time exceeded, code 1, only if the
         * fragment at offset zero arrived (it is the one quoted). */
        if (d->f[0].off == 0) ib_icmp_error(s, first, IB_ICMP_TIME_EXCEEDED, IB_ICMP_EXC_REASS, 0);
        reass_discard(s, d, d->nif, first, IB_DROP_FRAG_TIMEOUT);
    }
}

/* The completed datagram: the first fragment's header (with its options)
 * with the total length, no fragment flags but DF, and a new checksum
 * (RFC 791 §3.2 reassembly procedure). */
static struct ib_pkt *reass_build(struct ib_stack *s, struct ib_reass_dgram *d)
{
    struct ib_env *env = s->node.env;
    struct ib_pkt *first = d->f[0].p;
    size_t hlen = (size_t)(first->data[0] & 0x0f) * 4;
    struct ib_pkt *w = ib_pkt_alloc(env->pool, IB_PKT_HEADROOM, hlen + d->total);
    if (!w) return reass_discard(s, d, d->nif, first, IB_DROP_NOMEM);
    uint8_t *b = w->data;
    memcpy(b, first->data, hlen);
    for (uint32_t i = 0; i < d->n; i++) {
        const uint8_t *fb = d->f[i].p->data;
        memcpy(b + hlen + d->f[i].off, fb + (size_t)(fb[0] & 0x0f) * 4, d->f[i].len);
    }
    ib_put16(b + 2, (uint16_t)(hlen + d->total));
    ib_put16(b + 6, ib_get16(b + 6) & IB_IP4_DF);
    ib_put16(b + 10, 0);
    ib_put16(b + 10, ib_csum(b, hlen));
    w->journey = first->journey;
    w->flags = first->flags;
    s->ip_stats.reassembled++;
    if (ib_tracing(env)) {
        struct ib_event ev;
        ib_event_init(&ev, env, IB_EV_IP_REASSEMBLED, 3, &s->node, d->nif, w);
        ev.u.frag.id = d->id;
        ev.u.frag.len = (uint16_t)d->total;
        ev.u.frag.count = (uint16_t)d->n;
        ib_emit(env, &ev);
    }
    reass_unlink(&s->reass, d);
    reass_free(d, NULL);
    return w;
}

static struct ib_reass_dgram *reass_find(struct ib_reass *r, const struct ib_ip4_hdr *h)
{
    for (struct ib_reass_dgram *d = r->list; d; d = d->next)
        if (d->id == h->id && d->src == h->src && d->dst == h->dst && d->proto == h->proto)
            return d;
    return NULL;
}

static struct ib_reass_dgram *reass_new(struct ib_stack *s, struct ib_netif *nif,
                                        const struct ib_ip4_hdr *h, uint32_t size)
{
    struct ib_reass *r = &s->reass;
    const struct ib_reass_config *cfg = &s->cfg.reass;
    uint32_t cap = cfg->max_frags ? cfg->max_frags : 1;
    size_t bytes = sizeof(struct ib_reass_dgram) + cap * sizeof(struct ib_reass_frag);
    /* RFC 1122 §3.3.2: reassembly buffers are bounded. When they are full
     * the new datagram is refused rather than the oldest evicted (as Linux
     * does since 4.17): datagrams already under way keep their chance to
     * complete, and the timeout frees space. */
    if (r->count >= cfg->max_datagrams || (uint64_t)r->bytes + bytes + size > cfg->max_bytes)
        return NULL;
    struct ib_reass_dgram *d = calloc(1, bytes);
    if (!d) return NULL;
    d->src = h->src;
    d->dst = h->dst;
    d->id = h->id;
    d->proto = h->proto;
    d->cap = cap;
    d->nif = nif;
    d->charge = (uint32_t)bytes;
    d->deadline = ib_now(s->node.env) + cfg->timeout;
    struct ib_reass_dgram **pp = &r->list;
    while (*pp)
        pp = &(*pp)->next;
    *pp = d;
    r->count++;
    r->bytes += d->charge;
    if (r->list == d) ib_timer_arm(s->node.env, &r->timer, d->deadline);
    return d;
}

struct ib_pkt *ib_reass_add(struct ib_stack *s, struct ib_netif *nif, struct ib_pkt *p,
                            const struct ib_ip4_hdr *h)
{
    struct ib_reass *r = &s->reass;
    uint32_t off = ib_ip4_frag_offset(h);
    uint32_t len = (uint32_t)h->tot_len - h->hlen;
    uint32_t end = off + len;
    bool more = (h->frag & IB_IP4_MF) != 0;
    /* RFC 791 §3.2: every fragment but the last carries a non-zero multiple
     * of 8 data octets. */
    if (len == 0 || (more && (len & 7))) {
        ib_drop(&s->node, nif, p, IB_DROP_FRAG_BAD);
        return NULL;
    }
    struct ib_reass_dgram *d = reass_find(r, h);
    /* RFC 791 §3.1: a datagram is at most 65535 octets, header included;
     * the first fragment's header (if known) is the one it will carry. */
    size_t hlen = off == 0 ? h->hlen : IB_IP4_HLEN;
    if (d && d->f[0].off == 0 && off != 0) hlen = (size_t)(d->f[0].p->data[0] & 0x0f) * 4;
    uint32_t max_end = end;
    if (d && d->f[d->n - 1].off + d->f[d->n - 1].len > max_end)
        max_end = d->f[d->n - 1].off + d->f[d->n - 1].len;
    if (max_end + hlen > IB_IP4_MAX_LEN) {
        if (d) return reass_discard(s, d, nif, p, IB_DROP_FRAG_TOO_BIG);
        ib_drop(&s->node, nif, p, IB_DROP_FRAG_TOO_BIG);
        return NULL;
    }
    if (!d) {
        d = reass_new(s, nif, h, p->size);
        if (!d) {
            ib_drop(&s->node, nif, p, IB_DROP_FRAG_NO_SPACE);
            return NULL;
        }
    } else {
        /* RFC 791 §3.2: the last fragment fixes the length; a second one
         * that disagrees, or data beyond it, means the fragments do not
         * belong together (Linux discards the queue alike). */
        if (more ? (d->last_seen && end > d->total)
                 : (d->last_seen ? end != d->total : end < max_end))
            return reass_discard(s, d, nif, p, IB_DROP_FRAG_BAD);
    }
    uint32_t i = 0;
    while (i < d->n && d->f[i].off < off)
        i++;
    if (i < d->n && d->f[i].off == off && d->f[i].len == len) {
        /* An exact duplicate (a retransmission or a duplicating link)
         * adds nothing; the datagram goes on. */
        ib_drop(&s->node, nif, p, IB_DROP_FRAG_DUPLICATE);
        return NULL;
    }
    /* RFC 1858 §4, in the spirit of RFC 5722: overlapping fragments are only
     * made by attackers (tiny-fragment and overlap attacks on filters), so
     * any overlap that is not an exact duplicate discards the datagram. */
    if ((i > 0 && d->f[i - 1].off + d->f[i - 1].len > off) || (i < d->n && d->f[i].off < end))
        return reass_discard(s, d, nif, p, IB_DROP_FRAG_OVERLAP);
    /* A datagram that can take no more fragments can never complete. */
    if (d->n == d->cap) return reass_discard(s, d, nif, p, IB_DROP_FRAG_TOO_MANY);
    if ((uint64_t)r->bytes + p->size > s->cfg.reass.max_bytes) {
        ib_drop(&s->node, nif, p, IB_DROP_FRAG_NO_SPACE);
        return NULL;
    }
    memmove(&d->f[i + 1], &d->f[i], (d->n - i) * sizeof(d->f[0]));
    d->f[i] = (struct ib_reass_frag){.off = off, .len = len, .p = p};
    d->n++;
    d->received += len;
    d->charge += p->size;
    r->bytes += p->size;
    if (!more) {
        d->last_seen = true;
        d->total = end;
    }
    /* No overlaps are held, so the received octets cover [0, total)
     * exactly when they add up to it. */
    if (d->last_seen && d->received == d->total) return reass_build(s, d);
    return NULL;
}

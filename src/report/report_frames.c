/* Frames on the wire, for the report: each IB_EV_WIRE_TX is one frame;
 * its IB_EV_WIRE_RX at the far end of the link gives its arrival. A link
 * delivers a direction's frames in sending order except the reordered
 * ones, so each interface keeps the frames it sent that have not arrived
 * yet, oldest first, and an arrival takes the first with the same bytes
 * (any with the same length if the link flipped a bit). A frame the link
 * loses is the one just sent (link.c draws the loss right after
 * WIRE_TX). */
#include "report_int.h"

#include <stdlib.h>

/* How far an arrival looks among the frames in flight: reordering moves a
 * frame past a few others, never past this many. */
#define MATCH_WINDOW 512u

static uint32_t new_frame(struct ib_report *r, const struct ib_event *ev)
{
    if (r->n_frames >= r->lim.max_frames) {
        r->unrecorded++;
        return RP_NONE;
    }
    uint32_t caplen = ev->data ? ev->len : 0;
    if (r->n_bytes + caplen > r->lim.full_bytes && caplen > r->lim.snaplen) caplen = r->lim.snaplen;
    if (!rp_grow((void **)&r->frames, &r->cap_frames, r->n_frames, sizeof(*r->frames))) {
        r->nomem = true;
        return RP_NONE;
    }
    if (r->n_bytes + caplen > r->cap_bytes) {
        size_t cap = r->cap_bytes ? r->cap_bytes : 65536;
        while (cap < r->n_bytes + caplen)
            cap *= 2;
        uint8_t *b = realloc(r->bytes, cap);
        if (!b) {
            r->nomem = true;
            return RP_NONE;
        }
        r->bytes = b;
        r->cap_bytes = cap;
    }
    struct rp_frame *f = &r->frames[r->n_frames];
    memset(f, 0, sizeof(*f));
    f->t_tx = f->t_rx = ev->t;
    f->from = f->to = RP_NONE;
    f->len = ev->len;
    f->caplen = caplen;
    f->off = r->n_bytes;
    f->journey = ev->journey;
    f->pend_next = RP_NONE;
    f->drop = RP_NONE;
    if (caplen) memcpy(r->bytes + r->n_bytes, ev->data, caplen);
    r->n_bytes += caplen;
    return r->n_frames++;
}

void rp_wire_tx(struct ib_report *r, const struct ib_event *ev)
{
    uint32_t from = rp_nif(r, ev->nif);
    if (from == RP_NONE) return;
    uint32_t i = new_frame(r, ev);
    if (i == RP_NONE) return;
    struct rp_frame *f = &r->frames[i];
    struct rp_nif *n = &r->nifs[from];
    f->from = from;
    f->to = n->peer;
    if (ev->u.link.duplicate) f->flags |= RP_F_DUP;
    if (n->peer == RP_NONE) return; /* outside the simulation: it is there as it leaves */
    f->t_rx = -1;
    if (n->pend_tail == RP_NONE)
        n->pend_head = i;
    else
        r->frames[n->pend_tail].pend_next = i;
    n->pend_tail = i;
}

/* Takes frame i (after prev, RP_NONE for the head) off n's list. */
static void unlink_pending(struct ib_report *r, struct rp_nif *n, uint32_t prev, uint32_t i)
{
    uint32_t next = r->frames[i].pend_next;
    if (prev == RP_NONE)
        n->pend_head = next;
    else
        r->frames[prev].pend_next = next;
    if (n->pend_tail == i) n->pend_tail = prev;
    r->frames[i].pend_next = RP_NONE;
}

void rp_wire_rx(struct ib_report *r, const struct ib_event *ev)
{
    uint32_t to = rp_nif(r, ev->nif);
    if (to == RP_NONE) return;
    uint32_t node = r->nifs[to].node;
    uint32_t peer = r->nifs[to].peer;
    if (peer == RP_NONE) {
        /* From outside the simulation (live mode's TAP): it left as it
         * arrived. */
        uint32_t i = new_frame(r, ev);
        if (i != RP_NONE) {
            r->frames[i].to = to;
            r->nodes[node].last_rx = i;
        }
        return;
    }
    struct rp_nif *n = &r->nifs[peer];
    uint32_t prev = RP_NONE, i = n->pend_head;
    for (uint32_t k = 0; i != RP_NONE && k < MATCH_WINDOW; k++) {
        const struct rp_frame *f = &r->frames[i];
        if (f->len == ev->len && (ev->u.link.corrupted || !ev->data ||
                                  memcmp(r->bytes + f->off, ev->data, f->caplen) == 0))
            break;
        prev = i;
        i = f->pend_next;
    }
    if (i == RP_NONE) {
        r->unmatched_rx++; /* sent before recording began, or not kept */
        return;
    }
    unlink_pending(r, n, prev, i);
    struct rp_frame *f = &r->frames[i];
    f->t_rx = ev->t;
    f->to = to;
    if (ev->u.link.corrupted) f->flags |= RP_F_CORRUPT;
    r->nodes[node].last_rx = i;
}

uint32_t rp_drop_frame(struct ib_report *r, const struct ib_event *ev, uint32_t node)
{
    if (ev->reason == IB_DROP_LINK_LOSS) {
        uint32_t nif = ev->nif ? rp_nif(r, ev->nif) : RP_NONE;
        if (nif == RP_NONE) return RP_NONE;
        struct rp_nif *n = &r->nifs[nif];
        uint32_t prev = RP_NONE, i = n->pend_head;
        while (i != RP_NONE && i != n->pend_tail) {
            prev = i;
            i = r->frames[i].pend_next;
        }
        if (i == RP_NONE || r->frames[i].t_tx != ev->t) return RP_NONE;
        unlink_pending(r, n, prev, i);
        r->frames[i].flags |= RP_F_LOST;
        return i;
    }
    if (ev->reason == IB_DROP_LINK_DOWN)
        return RP_NONE; /* rp_link_down marked what was on the link */
    /* A drop while the frame that just arrived is being handled. */
    uint32_t i = r->nodes[node].last_rx;
    if (i == RP_NONE || r->frames[i].t_rx != ev->t || r->frames[i].drop != RP_NONE) return RP_NONE;
    return i;
}

void rp_link_down(struct ib_report *r, uint32_t nif)
{
    struct rp_nif *n = &r->nifs[nif];
    for (uint32_t i = n->pend_head; i != RP_NONE;) {
        struct rp_frame *f = &r->frames[i];
        f->flags |= RP_F_DOWN;
        i = f->pend_next;
        f->pend_next = RP_NONE;
    }
    n->pend_head = n->pend_tail = RP_NONE;
}

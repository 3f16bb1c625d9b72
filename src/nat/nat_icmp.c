/* ICMP errors through the NAT (RFC 5508 §4): an error quotes the datagram
 * that caused it, so the quote is translated back along with the error's
 * own address. Inbound, an error to the public address about a datagram we
 * sent from a public port goes to the inside host with the quote's source
 * restored; outbound, an inside host's (or our own) error about a datagram
 * we let in leaves with the quote's destination made public again. The
 * inner IP checksum and, where the quote holds it, the inner transport
 * checksum are updated incrementally (RFC 1624); the ICMP checksum, which
 * covers the quote, is computed again after it was verified. An inside
 * host's error about a hairpinned datagram goes back inside to its sender
 * (RFC 5508 §7). */
#include "nat/nat_int.h"

#include "inetbox/cksum.h"

/* RFC 792 and RFC 950 query types beyond echo. */
#define NAT_ICMP_TIMESTAMP 13u
#define NAT_ICMP_TIMESTAMP_REPLY 14u
#define NAT_ICMP_INFO 15u
#define NAT_ICMP_INFO_REPLY 16u
#define NAT_ICMP_MASK 17u
#define NAT_ICMP_MASK_REPLY 18u

bool ib_nat_icmp_is_error(uint8_t type)
{
    return type == IB_ICMP_DEST_UNREACH || type == IB_ICMP_TIME_EXCEEDED ||
           type == IB_ICMP_PARAM_PROBLEM;
}

bool ib_nat_icmp_is_query(uint8_t type, bool request)
{
    switch (type) {
    case IB_ICMP_ECHO_REQUEST:
    case NAT_ICMP_TIMESTAMP:
    case NAT_ICMP_INFO:
    case NAT_ICMP_MASK:
        return request;
    case IB_ICMP_ECHO_REPLY:
    case NAT_ICMP_TIMESTAMP_REPLY:
    case NAT_ICMP_INFO_REPLY:
    case NAT_ICMP_MASK_REPLY:
        return !request;
    default:
        return false;
    }
}

/* Checks the error at p->data + off (its IP header hlen bytes before) and
 * finds the quoted datagram; a quoted ICMP datagram must be a query
 * request (request set) or reply. Returns 0 (quote at *qoff, *qlen bytes)
 * or a drop reason. */
static enum ib_drop nat_quote(const struct ib_pkt *p, size_t off, bool request, size_t *qoff,
                              size_t *qlen)
{
    const uint8_t *icmp = p->data + off;
    size_t len = p->len - off;
    /* RFC 5508 REQ-3: an error whose ICMP checksum fails is dropped. */
    if (ib_csum(icmp, len) != 0) return IB_DROP_ICMP_BAD_CHECKSUM;
    const uint8_t *q = icmp + IB_ICMP_HLEN;
    size_t ql = len - IB_ICMP_HLEN;
    if (ql < IB_IP4_HLEN || (q[0] >> 4) != 4) return IB_DROP_NAT_UNTRANSLATABLE;
    size_t qh = (size_t)(q[0] & 0x0f) * 4;
    /* RFC 5508 REQ-3 a) the embedded IP checksum must hold; b) options are
     * stepped over with the embedded header length. */
    if (qh < IB_IP4_HLEN || qh > ql || ib_csum(q, qh) != 0) return IB_DROP_NAT_UNTRANSLATABLE;
    /* Only a first fragment carries the ports. */
    if (ib_get16(q + 6) & IB_IP4_OFFMASK) return IB_DROP_NAT_UNTRANSLATABLE;
    size_t need = ib_nat_ports_len(q[9]);
    if (!need || ql < qh + need) return IB_DROP_NAT_UNTRANSLATABLE;
    if (q[9] == IB_IPPROTO_ICMP && !ib_nat_icmp_is_query(q[qh], request))
        return IB_DROP_NAT_UNTRANSLATABLE;
    *qoff = off + IB_ICMP_HLEN;
    *qlen = ql;
    return IB_DROP_NONE;
}

/* The ICMP checksum over the rewritten message. */
static void nat_icmp_resum(struct ib_pkt *p, size_t off)
{
    uint8_t *icmp = p->data + off;
    ib_put16(icmp + 2, 0);
    ib_put16(icmp + 2, ib_csum(icmp, p->len - off));
}

/* RFC 5508 REQ-4: an error from outside about a datagram we translated
 * out is reverted to the original addresses and ports and sent to the
 * inside host; RFC 4787 REQ-12 a): whoever sent it (a router on the path),
 * it is not filtered. */
enum ib_nat_verdict ib_nat_icmp_err_in(struct ib_nat *n, struct ib_netif *nif, struct ib_pkt **pp,
                                       struct ib_ip4_hdr *h)
{
    struct ib_stack *s = n->s;
    struct ib_pkt *p = *pp;
    size_t qoff, qlen;
    enum ib_drop r = nat_quote(p, h->hlen, true, &qoff, &qlen);
    if (r) {
        ib_drop(&s->node, nif, p, r);
        return IB_NAT_CONSUMED;
    }
    const uint8_t *q = p->data + qoff;
    ib_ip4 qsrc = ib_get32(q + 12);
    uint8_t qproto = q[9];
    uint16_t qport = ib_nat_port(q, NAT_SRC);
    struct nat_map *m = qsrc == h->dst ? ib_nat_find_pub(n, qproto, qport) : NULL;
    if (!m) {
        /* About a datagram the router itself sent: its own stack takes it. */
        if (qsrc == h->dst && ib_nat_local_endpoint(s, qproto, qsrc, qport, ib_get32(q + 16),
                                                    ib_nat_port(q, NAT_DST)))
            return IB_NAT_PASS;
        ib_drop(&s->node, nif, p, IB_DROP_NAT_UNTRANSLATABLE);
        return IB_NAT_CONSUMED;
    }
    if (!(p = ib_nat_unshare(s, nif, pp))) return IB_NAT_CONSUMED;
    /* RFC 5508 REQ-6: an error neither refreshes nor ends the mapping. */
    ib_nat_rewrite(p->data + qoff, qlen, NAT_SRC, m->in_addr, m->in_port);
    ib_nat_put32(p->data + 16, m->in_addr, p->data + 10);
    nat_icmp_resum(p, h->hlen);
    h->dst = m->in_addr;
    n->stats.icmp_errors++;
    ib_nat_event(n, IB_NAT_ICMP_ERR, m, p, h->src, 0);
    return IB_NAT_FORWARD;
}

/* RFC 5508 REQ-5: an error from inside (or from this router, in NULL)
 * about a datagram we translated in leaves with the quote's destination
 * and the error's source made public. An inside host's error about
 * anything else would reveal private addresses and is dropped; our own is
 * left alone. */
struct ib_pkt *ib_nat_icmp_err_out(struct ib_nat *n, struct ib_netif *in, struct ib_pkt *p,
                                   const struct ib_ip4_hdr *h)
{
    struct ib_stack *s = n->s;
    size_t qoff, qlen;
    enum ib_drop r = nat_quote(p, h->hlen, false, &qoff, &qlen);
    struct nat_map *m = NULL;
    if (!r) {
        const uint8_t *q = p->data + qoff;
        m = ib_nat_find_in(n, q[9], ib_get32(q + 16), ib_nat_port(q, NAT_DST));
        if (!m) r = IB_DROP_NAT_UNTRANSLATABLE;
    }
    if (r) {
        if (!in) return p;
        ib_drop(&s->node, in, p, r);
        return NULL;
    }
    ib_ip4 pub = n->outside->addr;
    ib_nat_rewrite(p->data + qoff, qlen, NAT_DST, pub, m->pub_port);
    if (ib_get32(p->data + 12) != pub) ib_nat_put32(p->data + 12, pub, p->data + 10);
    nat_icmp_resum(p, h->hlen);
    n->stats.icmp_errors++;
    ib_nat_event(n, IB_NAT_ICMP_ERR, m, p, h->dst, 0);
    return p;
}

/* RFC 5508 §7: an inside host's error about a datagram hairpinned to it
 * goes, like the datagram's replies, to the inside sender, and both it and
 * its quote show what the sender knows: the error from the public address,
 * the quoted datagram from the sender's own endpoint to the target's
 * public one. Anything else to the public address (an error about a
 * datagram of the router's own, or one that does not parse) is left to
 * the router's stack. */
enum ib_nat_verdict ib_nat_icmp_err_hairpin(struct ib_nat *n, struct ib_netif *nif,
                                            struct ib_pkt **pp, struct ib_ip4_hdr *h)
{
    size_t qoff, qlen;
    if (nat_quote(*pp, h->hlen, false, &qoff, &qlen)) return IB_NAT_PASS;
    const uint8_t *q = (*pp)->data + qoff;
    ib_ip4 pub = h->dst;
    uint8_t qproto = q[9];
    /* Requests to the public address are the router's: no ICMP query is
     * ever hairpinned. */
    struct nat_map *from = ib_get32(q + 12) == pub && qproto != IB_IPPROTO_ICMP
                               ? ib_nat_find_pub(n, qproto, ib_nat_port(q, NAT_SRC))
                               : NULL;
    struct nat_map *to =
        from ? ib_nat_find_in(n, qproto, ib_get32(q + 16), ib_nat_port(q, NAT_DST)) : NULL;
    if (!to) return IB_NAT_PASS;
    struct ib_pkt *p = ib_nat_unshare(n->s, nif, pp);
    if (!p) return IB_NAT_CONSUMED;
    ib_ip4 reporter = h->src;
    ib_nat_rewrite(p->data + qoff, qlen, NAT_SRC, from->in_addr, from->in_port);
    ib_nat_rewrite(p->data + qoff, qlen, NAT_DST, pub, to->pub_port);
    ib_nat_put32(p->data + 12, pub, p->data + 10);
    ib_nat_put32(p->data + 16, from->in_addr, p->data + 10);
    nat_icmp_resum(p, h->hlen);
    h->src = pub;
    h->dst = from->in_addr;
    n->stats.icmp_errors++;
    ib_nat_event(n, IB_NAT_ICMP_ERR, from, p, reporter, 0);
    return IB_NAT_FORWARD;
}

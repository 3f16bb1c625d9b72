/* TCP connection tracking at the NAT (RFC 5382 §5): a connection is
 * established once SYNs went both ways, and transitory before that and
 * after FINs both ways or a RST; the mapping's idle-timeout follows its
 * liveliest connection.
 *
 * Each connection (a mapping's peer address and port) is followed on its
 * own, so one connection's end never shortens another's life. A RST ends a
 * connection only when its endpoint would accept it (RFC 5961 §3.2: at
 * exactly the receiver's next expected sequence number, which the NAT
 * knows to lie between what the receiver acknowledged last and what the
 * sender has sent); any other, a blind attacker's guess, is passed on for
 * the endpoint to judge but changes and refreshes nothing here. */
#include "nat/nat_int.h"

#include "inetbox/tcp.h"
#include "inetbox/tcp_wire.h"

/* Whether the receiver r would take a RST with seq (and ack) from s. */
static bool nat_rst_acceptable(const struct nat_tcp_dir *s, const struct nat_tcp_dir *r,
                               uint32_t seq, uint32_t ack, uint8_t flags)
{
    /* The receiver sent nothing: the connection is not established and its
     * mapping transitory anyway. */
    if (!r->seen) return true;
    /* RFC 9293 §3.10.7.3: in SYN-SENT a RST is acceptable only when it
     * acknowledges the SYN. */
    if (!(r->seen & NAT_SEEN_ACK)) return (flags & IB_TCP_ACK) && ack == r->end;
    if (seq == r->ack) return true;
    return (s->seen & NAT_SEEN_SEG) && ib_seq_gt(seq, r->ack) && ib_seq_leq(seq, s->end);
}

static uint8_t nat_tcp_state(const struct nat_peer *pe)
{
    uint8_t out = pe->dir[NAT_DIR_OUT].seen, in = pe->dir[NAT_DIR_IN].seen;
    if ((out & in) & NAT_SEEN_FIN) return IB_NAT_TCP_CLOSED;
    if ((out & in) & NAT_SEEN_SYN)
        return ((out | in) & NAT_SEEN_FIN) ? IB_NAT_TCP_CLOSING : IB_NAT_TCP_ESTABLISHED;
    return IB_NAT_TCP_OPENING;
}

bool ib_nat_tcp_track(struct nat_map *m, struct nat_peer *pe, const uint8_t *tcp, size_t len,
                      enum nat_dir d)
{
    struct nat_tcp_dir *s = &pe->dir[d], *r = &pe->dir[d == NAT_DIR_OUT ? NAT_DIR_IN : NAT_DIR_OUT];
    uint32_t seq = ib_get32(tcp + 4), ack = ib_get32(tcp + 8);
    uint8_t flags = tcp[13];
    if (flags & IB_TCP_RST) {
        if (!nat_rst_acceptable(s, r, seq, ack, flags)) return false;
        ib_nat_peer_set_state(m, pe, IB_NAT_TCP_CLOSED);
        return true;
    }
    /* A SYN on a closed connection opens a new one on the same ports
     * (RFC 1122 §4.2.2.13: a new SYN may reopen a TIME-WAIT connection). */
    if ((flags & IB_TCP_SYN) && pe->tcp_state == IB_NAT_TCP_CLOSED) {
        pe->dir[NAT_DIR_OUT] = (struct nat_tcp_dir){0};
        pe->dir[NAT_DIR_IN] = (struct nat_tcp_dir){0};
        ib_nat_peer_set_state(m, pe, IB_NAT_TCP_OPENING);
    }
    size_t hlen = (size_t)(tcp[12] >> 4) * 4;
    uint32_t data = hlen >= IB_TCP_HLEN && hlen <= len ? (uint32_t)(len - hlen) : 0;
    /* RFC 9293 §3.4: SYN and FIN each take a sequence number. */
    uint32_t end = seq + data + !!(flags & IB_TCP_SYN) + !!(flags & IB_TCP_FIN);
    if (!(s->seen & NAT_SEEN_SEG) || ib_seq_gt(end, s->end)) s->end = end;
    if ((flags & IB_TCP_ACK) && (!(s->seen & NAT_SEEN_ACK) || ib_seq_gt(ack, s->ack))) {
        s->ack = ack;
        s->seen |= NAT_SEEN_ACK;
    }
    s->seen |= NAT_SEEN_SEG;
    if (flags & IB_TCP_SYN) s->seen |= NAT_SEEN_SYN;
    if (flags & IB_TCP_FIN) s->seen |= NAT_SEEN_FIN;
    /* A closed connection stays so until a new SYN: late segments of the
     * old one do not bring it back. */
    if (pe->tcp_state != IB_NAT_TCP_CLOSED) ib_nat_peer_set_state(m, pe, nat_tcp_state(pe));
    return true;
}

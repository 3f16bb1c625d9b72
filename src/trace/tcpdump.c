/* tcpdump-style rendering of frames and trace events, in the shape of
 * `tcpdump -n -e` (source and destination MAC, then the packet) with the
 * IPv4 TTL appended to every IP line, since traceroute is all about TTLs.
 *
 * Headers are read only through the protocols' own parse functions. When a
 * parser rejects a header for a reason that does not stop us reading it (a
 * bad checksum, a datagram cut short, the partial datagram an ICMP error
 * quotes), the header alone is parsed again from a scratch copy whose
 * checksum and lengths are made consistent, the line shows what it can and
 * a marker says what was wrong, like tcpdump -v's "[bad udp cksum]".
 * Nothing is ever read past the given length. Application payloads are
 * decoded in tcpdump_app.c, the journey events' lines written in
 * tcpdump_ev.c. */
#include "inetbox/tcpdump.h"

#include <time.h>

#include "inetbox/arp.h"
#include "inetbox/cksum.h"
#include "inetbox/eth.h"
#include "inetbox/icmp.h"
#include "inetbox/ipv4.h"
#include "inetbox/netif.h"
#include "inetbox/node.h"
#include "inetbox/tcp.h"
#include "inetbox/tcp_wire.h"
#include "inetbox/udp.h"
#include "tcpdump_int.h"

static const char *reason_str(int why)
{
    return why > 0 && why < IB_DROP__COUNT ? ib_drop_str((enum ib_drop)why) : "malformed";
}

/* Parses an IPv4 header. Returns false if nothing can be shown. On true,
 * *why is 0 or the reason the full parse failed (bad checksum, total
 * length beyond the data); h is filled but h->tot_len may exceed len. */
static bool ip4_view(const uint8_t *b, size_t len, struct ib_ip4_hdr *h, int *why)
{
    *why = ib_ip4_parse(b, len, h);
    if (*why == 0)
        return true;
    if (len < IB_IP4_HLEN)
        return false;
    /* RFC 791 §3.1: IHL counts 32-bit words; total length at offset 2 and
     * the checksum at offset 10 are patched in the copy. */
    size_t hlen = (size_t)(b[0] & 0x0f) * 4u;
    if (hlen < IB_IP4_HLEN || hlen > len)
        return false;
    uint8_t tmp[IB_IP4_MAX_HLEN];
    memcpy(tmp, b, hlen);
    ib_put16(tmp + 2, (uint16_t)hlen);
    ib_put16(tmp + 10, 0);
    ib_put16(tmp + 10, ib_csum(tmp, hlen));
    if (ib_ip4_parse(tmp, hlen, h) != 0)
        return false;
    h->tot_len = ib_get16(b + 2);
    h->csum = ib_get16(b + 10);
    return true;
}

/* The same for a UDP header (RFC 768: length at offset 4, checksum at 6;
 * a zero checksum is not checked). */
static bool udp_view(const uint8_t *b, size_t len, const struct ib_ip4_hdr *ip,
                     struct ib_udp_hdr *u, int *why)
{
    *why = ib_udp_parse(b, len, ip->src, ip->dst, u);
    if (*why == 0)
        return true;
    if (len < IB_UDP_HLEN)
        return false;
    uint8_t tmp[IB_UDP_HLEN];
    memcpy(tmp, b, sizeof(tmp));
    ib_put16(tmp + 4, IB_UDP_HLEN);
    ib_put16(tmp + 6, 0);
    if (ib_udp_parse(tmp, sizeof(tmp), ip->src, ip->dst, u) != 0)
        return false;
    u->len = ib_get16(b + 4);
    u->csum = ib_get16(b + 6);
    return true;
}

/* The same for an ICMP header (RFC 792: checksum at offset 2, over the
 * whole message, which a fragment does not hold). */
static bool icmp_view(const uint8_t *b, size_t len, struct ib_icmp_hdr *h, int *why)
{
    *why = ib_icmp_parse(b, len, h);
    if (*why == 0)
        return true;
    if (len < IB_ICMP_HLEN)
        return false;
    uint8_t tmp[IB_ICMP_HLEN];
    memcpy(tmp, b, sizeof(tmp));
    ib_put16(tmp + 2, 0);
    ib_put16(tmp + 2, ib_csum(tmp, sizeof(tmp)));
    if (ib_icmp_parse(tmp, sizeof(tmp), h) != 0)
        return false;
    h->csum = ib_get16(b + 2);
    return true;
}

/* The datagram quoted by an ICMP error (RFC 792: its IP header and at
 * least 8 bytes of its data), as tcpdump shows it: "10.0.2.10 udp port
 * 33434 unreachable". */
static void put_unreach(struct out *o, const struct ib_icmp_hdr *ic, const uint8_t *q, size_t qlen)
{
    struct ib_ip4_hdr qip;
    int why;
    if (!ip4_view(q, qlen, &qip, &why) || qip.hlen > qlen) {
        put(o, "unreachable [|icmp]");
        return;
    }
    char dst[IB_IP4_STRLEN];
    ib_ip4_str(qip.dst, dst);
    switch (ic->code) {
    case IB_ICMP_UNREACH_NET:
        put(o, "net %s unreachable", dst);
        break;
    case IB_ICMP_UNREACH_HOST:
        put(o, "host %s unreachable", dst);
        break;
    case IB_ICMP_UNREACH_PROTO:
        put(o, "%s protocol %u unreachable", dst, qip.proto);
        break;
    case IB_ICMP_UNREACH_PORT: {
        struct ib_udp_hdr qu;
        /* UDP and TCP both start with the two ports */
        if (!udp_view(q + qip.hlen, qlen - qip.hlen, &qip, &qu, &why))
            put(o, "%s port unreachable [|icmp]", dst);
        else if (qip.proto == IB_IPPROTO_UDP || qip.proto == IB_IPPROTO_TCP)
            put(o, "%s %s port %u unreachable", dst, qip.proto == IB_IPPROTO_UDP ? "udp" : "tcp",
                qu.dport);
        else
            put(o, "%s protocol %u port %u unreachable", dst, qip.proto, qu.dport);
        break;
    }
    case IB_ICMP_UNREACH_NEEDFRAG:
        /* RFC 1191 §4: the next-hop MTU is in the low 16 bits */
        if ((ic->rest & 0xffffu) != 0)
            put(o, "%s unreachable - need to frag (mtu %u)", dst, (unsigned)(ic->rest & 0xffffu));
        else
            put(o, "%s unreachable - need to frag", dst);
        break;
    default:
        put(o, "#%u %s unreachable", ic->code, dst);
    }
}

/* "ICMP echo request, id 1, seq 1, length 64"; plen is the ICMP message
 * length per the IP header, len what is present. */
static void put_icmp(struct out *o, const uint8_t *b, size_t len, uint32_t plen, bool first_frag)
{
    struct ib_icmp_hdr ic;
    int why;
    if (!icmp_view(b, len, &ic, &why)) {
        put(o, "ICMP [|icmp]");
        return;
    }
    put(o, "ICMP ");
    switch (ic.type) {
    case IB_ICMP_ECHO_REQUEST:
    case IB_ICMP_ECHO_REPLY:
        put(o, "echo %s, id %u, seq %u", ic.type == IB_ICMP_ECHO_REQUEST ? "request" : "reply",
            (unsigned)(ic.rest >> 16), (unsigned)(ic.rest & 0xffffu));
        break;
    case IB_ICMP_DEST_UNREACH:
        put_unreach(o, &ic, b + IB_ICMP_HLEN, len - IB_ICMP_HLEN);
        break;
    case IB_ICMP_TIME_EXCEEDED:
        if (ic.code == IB_ICMP_EXC_TTL)
            put(o, "time exceeded in-transit");
        else if (ic.code == IB_ICMP_EXC_REASS)
            put(o, "ip reassembly time exceeded");
        else
            put(o, "time exceeded-#%u", ic.code);
        break;
    case IB_ICMP_PARAM_PROBLEM:
        /* RFC 792: the pointer is the first octet of the rest */
        put(o, "parameter problem - octet %u", (unsigned)(ic.rest >> 24));
        break;
    default:
        put(o, "type-#%u", ic.type);
    }
    put(o, ", length %u", (unsigned)plen);
    /* the checksum covers the whole message, which a first fragment lacks */
    if (why == IB_DROP_ICMP_BAD_CHECKSUM && !first_frag && len >= plen)
        put(o, " [bad icmp cksum]");
}

/* "10.0.1.10.49152 > 10.0.2.10.33434: UDP, length 32" */
static void put_udp(struct out *o, const uint8_t *b, size_t len, uint32_t plen,
                    const struct ib_ip4_hdr *ip, bool first_frag)
{
    struct ib_udp_hdr u;
    int why;
    if (!udp_view(b, len, ip, &u, &why)) {
        put_ip(o, ip->src);
        put(o, " > ");
        put_ip(o, ip->dst);
        put(o, ": UDP [|udp]");
        return;
    }
    put_ip(o, ip->src);
    put(o, ".%u > ", u.sport);
    put_ip(o, ip->dst);
    put(o, ".%u: ", u.dport);
    /* RFC 768: the length field counts the header and the data; the
     * application decoders only see a datagram that is all there */
    bool whole = u.len >= IB_UDP_HLEN && !first_frag && u.len <= plen && u.len <= len;
    if (!whole ||
        !ib_td_udp_app(o, u.sport, u.dport, b + IB_UDP_HLEN, u.len - (size_t)IB_UDP_HLEN)) {
        if (u.len < IB_UDP_HLEN || (!first_frag && u.len > plen))
            put(o, "UDP, bad length %u > %u", u.len, (unsigned)plen);
        else
            put(o, "UDP, length %u", u.len - IB_UDP_HLEN);
    }
    if (why == IB_DROP_UDP_BAD_CHECKSUM && !first_frag && len >= plen)
        put(o, " [bad udp cksum]");
}

/* The TCP options as they are on the wire, in tcpdump's words:
 * "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7". A length that runs off
 * the header ends the list with "[bad opt]" (RFC 9293 §3.1). */
static void put_tcp_opts(struct out *o, const uint8_t *b, size_t len)
{
    put(o, ", options [");
    for (size_t i = 0; i < len;) {
        uint8_t kind = b[i];
        if (i > 0)
            put(o, ",");
        if (kind == 0) {
            put(o, "eol");
            break;
        }
        if (kind == 1) {
            put(o, "nop");
            i++;
            continue;
        }
        size_t olen = i + 1 < len ? b[i + 1] : 0;
        if (olen < 2 || olen > len - i) {
            put(o, "[bad opt]");
            break;
        }
        const uint8_t *v = b + i + 2;
        /* RFC 9293 §3.7.1, RFC 7323 §2.2 and §3.2, RFC 2018 §2 and §3 */
        if (kind == 2 && olen == 4) {
            put(o, "mss %u", ib_get16(v));
        } else if (kind == 3 && olen == 3) {
            put(o, "wscale %u", v[0]);
        } else if (kind == 4 && olen == 2) {
            put(o, "sackOK");
        } else if (kind == 5 && olen >= 10 && (olen - 2) % 8 == 0) {
            put(o, "sack %zu ", (olen - 2) / 8);
            for (size_t k = 0; k + 8 <= olen - 2; k += 8)
                put(o, "{%u:%u}", (unsigned)ib_get32(v + k), (unsigned)ib_get32(v + k + 4));
        } else if (kind == 8 && olen == 10) {
            put(o, "TS val %u ecr %u", (unsigned)ib_get32(v), (unsigned)ib_get32(v + 4));
        } else {
            put(o, "opt-%u[len %zu]", kind, olen);
        }
        i += olen;
    }
    put(o, "]");
}

/* "Flags [S.]": tcpdump's letters, lowest bit first (RFC 9293 §3.1,
 * RFC 3168 §23.2 for E and W). */
static void put_tcp_flags(struct out *o, uint8_t flags)
{
    static const char letters[8] = {'F', 'S', 'R', 'P', '.', 'U', 'E', 'W'};
    char s[9];
    size_t n = 0;
    for (unsigned i = 0; i < 8; i++)
        if (flags & (1u << i))
            s[n++] = letters[i];
    s[n] = '\0';
    put(o, "Flags [%s]", n ? s : "none");
}

/* "49152 > 80: Flags [P.], seq 1:101, ack 1, win 502, options [...],
 * length 100" like tcpdump -n with absolute sequence numbers (there is no
 * flow state to make them relative). b holds len bytes of a plen-byte
 * segment; with ip the addresses are shown and the checksum is checked
 * when the whole segment is there and it is no first fragment. */
static void put_tcp(struct out *o, const uint8_t *b, size_t len, uint32_t plen,
                    const struct ib_ip4_hdr *ip, bool first_frag)
{
    if (ip) {
        put_ip(o, ip->src);
        if (len >= 4)
            put(o, ".%u", ib_get16(b));
        put(o, " > ");
        put_ip(o, ip->dst);
        if (len >= 4)
            put(o, ".%u", ib_get16(b + 2));
        put(o, ": ");
    } else if (len >= 4) {
        put(o, "%u > %u: ", ib_get16(b), ib_get16(b + 2));
    }
    struct ib_tcp_hdr h;
    int why = ip ? ib_tcp_parse(b, len, ip->src, ip->dst, &h) : ib_tcp_parse_nocsum(b, len, &h);
    if (why == IB_DROP_TCP_TRUNCATED) {
        put(o, "[|tcp]");
        return;
    }
    bool cut = false;
    if (why == IB_DROP_TCP_BAD_OFFSET) {
        size_t hlen = (size_t)(b[12] >> 4) * 4u;
        if (hlen < IB_TCP_HLEN) {
            put(o, "tcp %u [bad hdr length %zu - too short, < %u]", (unsigned)plen, hlen,
                IB_TCP_HLEN);
            return;
        }
        /* the options run past what we have: show the fixed header */
        uint8_t tmp[IB_TCP_HLEN];
        memcpy(tmp, b, sizeof(tmp));
        tmp[12] = (uint8_t)((IB_TCP_HLEN / 4u) << 4);
        if (ib_tcp_parse_nocsum(tmp, sizeof(tmp), &h) != 0)
            return;
        h.hlen = (uint8_t)hlen;
        cut = true;
    }
    put_tcp_flags(o, h.flags);
    uint32_t dlen = plen > h.hlen ? plen - h.hlen : 0;
    /* tcpdump shows seq when it means something: data, SYN, FIN or RST */
    if (dlen > 0 || (h.flags & (IB_TCP_SYN | IB_TCP_FIN | IB_TCP_RST))) {
        put(o, ", seq %u", (unsigned)h.seq);
        if (dlen > 0)
            put(o, ":%u", (unsigned)(h.seq + dlen));
    }
    if (h.flags & IB_TCP_ACK)
        put(o, ", ack %u", (unsigned)h.ack);
    put(o, ", win %u", h.wnd);
    if (h.flags & IB_TCP_URG)
        put(o, ", urg %u", h.urp);
    if (cut) {
        put(o, " [|tcp]");
        return;
    }
    if (h.hlen > IB_TCP_HLEN)
        put_tcp_opts(o, b + IB_TCP_HLEN, h.hlen - IB_TCP_HLEN);
    put(o, ", length %u", (unsigned)dlen);
    size_t have = len < plen ? len : plen;
    if (have > h.hlen)
        ib_td_tcp_app(o, h.sport, h.dport, b + h.hlen, have - h.hlen);
    /* RFC 9293 §3.1: the checksum covers the whole segment */
    if (why == IB_DROP_TCP_BAD_CHECKSUM && !first_frag && len >= plen)
        put(o, " [bad tcp cksum]");
}

/* An IPv4 datagram from its header: the static helper the frame decoder
 * and the drop lines (network-layer drops) share. */
static void put_ip4(struct out *o, const uint8_t *b, size_t len)
{
    struct ib_ip4_hdr h;
    int why;
    if (!ip4_view(b, len, &h, &why)) {
        if (why == IB_DROP_IP_TRUNCATED || len < IB_IP4_HLEN)
            put(o, "[|ip]");
        else
            put(o, "[%s]", reason_str(why));
        return;
    }
    if (h.tot_len < h.hlen) {
        put_ip(o, h.src);
        put(o, " > ");
        put_ip(o, h.dst);
        put(o, ": bad-len %u", h.tot_len);
        return;
    }
    size_t end = h.tot_len < len ? h.tot_len : len;
    if (h.hlen > end) {
        put(o, "[|ip]");
        return;
    }
    uint32_t plen = (uint32_t)(h.tot_len - h.hlen);
    size_t avail = end - h.hlen;
    const uint8_t *l4 = b + h.hlen;
    uint32_t off = ib_ip4_frag_offset(&h);
    bool more = (h.frag & IB_IP4_MF) != 0;
    if (off == 0 && h.proto == IB_IPPROTO_UDP) {
        put_udp(o, l4, avail, plen, &h, more);
    } else if (off == 0 && h.proto == IB_IPPROTO_TCP) {
        put_tcp(o, l4, avail, plen, &h, more);
    } else {
        put_ip(o, h.src);
        put(o, " > ");
        put_ip(o, h.dst);
        put(o, ": ");
        if (off == 0 && h.proto == IB_IPPROTO_ICMP)
            put_icmp(o, l4, avail, plen, more);
        else if (off == 0)
            put(o, "ip-proto-%u %u", h.proto, (unsigned)plen);
        else
            put(o, "ip-proto-%u", h.proto);
    }
    /* RFC 791 §3.2: fragments as tcpdump wrote them, id:size@offset, "+"
     * while more follow */
    if (ib_ip4_is_fragment(&h))
        put(o, " (frag %u:%u@%u%s)", h.id, (unsigned)plen, (unsigned)off, more ? "+" : "");
    put(o, ", ttl %u", h.ttl);
    if (why == IB_DROP_IP_BAD_CHECKSUM)
        put(o, " [bad ip cksum]");
    if (h.tot_len > len)
        put(o, " [|ip]");
}

/* "ARP, Request who-has 10.0.1.1 tell 10.0.1.10, length 28" */
static void put_arp(struct out *o, const uint8_t *b, size_t len)
{
    struct ib_arp_msg m;
    int why = ib_arp_parse(b, len, &m);
    if (why != 0) {
        if (len < IB_ARP_LEN)
            put(o, "ARP, [|arp]");
        else
            put(o, "ARP, [%s], length %zu", reason_str(why), len);
        return;
    }
    put(o, "ARP, ");
    switch (m.op) {
    case IB_ARP_OP_REQUEST:
        put(o, "Request who-has ");
        put_ip(o, m.tpa);
        /* RFC 826 leaves the target hardware address of a request unset;
         * tcpdump shows it when it is not zero */
        if (!ib_mac_eq(&m.tha, &ib_mac_zero)) {
            put(o, " (");
            put_mac(o, &m.tha);
            put(o, ")");
        }
        put(o, " tell ");
        put_ip(o, m.spa);
        break;
    case IB_ARP_OP_REPLY:
        put(o, "Reply ");
        put_ip(o, m.spa);
        put(o, " is-at ");
        put_mac(o, &m.sha);
        break;
    default:
        put(o, "Unknown (%u)", m.op);
    }
    put(o, ", length %u", IB_ARP_LEN);
}

static void put_frame(struct out *o, const uint8_t *b, size_t len)
{
    struct ib_eth_hdr eh;
    if (ib_eth_parse(b, len, &eh) != 0) {
        put(o, "[|ether]");
        return;
    }
    put_mac(o, &eh.src);
    put(o, " > ");
    put_mac(o, &eh.dst);
    put(o, ", ");
    b += IB_ETH_HLEN;
    len -= IB_ETH_HLEN;
    switch (eh.type) {
    case IB_ETHERTYPE_ARP:
        put_arp(o, b, len);
        break;
    case IB_ETHERTYPE_IP4:
        put_ip4(o, b, len);
        break;
    default:
        put(o, "ethertype 0x%04x, length %zu", eh.type, len + IB_ETH_HLEN);
    }
}

char *ib_tcpdump_frame(const uint8_t *frame, size_t len, char *buf, size_t cap)
{
    if (cap == 0)
        return buf;
    struct out o = {buf, cap, 0};
    buf[0] = '\0';
    put_frame(&o, frame, len);
    return buf;
}

static const struct ib_env *event_env(const struct ib_event *ev)
{
    const struct ib_node *n = ev->node ? ev->node : ev->nif ? ev->nif->node : NULL;
    return n ? n->env : NULL;
}

/* Simulated seconds with nanoseconds, in integers so that any time prints
 * exactly; in live mode the local wall-clock time of day with
 * microseconds, as tcpdump prints it. */
static void put_time(struct out *o, const struct ib_event *ev)
{
    const struct ib_env *env = event_env(ev);
    if (env && env->live) {
        int64_t wall = env->epoch + ev->t;
        time_t sec = (time_t)(wall / IB_SEC(1));
        struct tm tm;
        localtime_r(&sec, &tm);
        put(o, "%02d:%02d:%02d.%06lld ", tm.tm_hour, tm.tm_min, tm.tm_sec,
            (long long)(wall % IB_SEC(1) / 1000));
        return;
    }
    put(o, "%lld.%09lld ", (long long)(ev->t / IB_SEC(1)), (long long)(ev->t % IB_SEC(1)));
}

static void put_where(struct out *o, const struct ib_event *ev)
{
    const struct ib_node *n = ev->nif && ev->nif->node ? ev->nif->node : ev->node;
    put(o, "%s", n ? n->name : "?");
    if (ev->nif)
        put(o, ":%s", ev->nif->name);
}

/* A drop event carries the packet from wherever the dropping code had it
 * (ib_drop): the reason says which header that is for input errors, and
 * otherwise the layer does. Output drops can happen before a header was
 * pushed, so a network-layer packet that does not parse as IPv4 only shows
 * its length rather than fields read from the wrong bytes. */
static void put_dropped(struct out *o, const struct ib_event *ev)
{
    struct ib_ip4_hdr h;
    switch (ev->reason) {
    case IB_DROP_ARP_MALFORMED:
    case IB_DROP_ARP_NOT_FOR_US:
    case IB_DROP_ARP_BAD_SENDER:
        put(o, ": ");
        put_arp(o, ev->data, ev->len);
        return;
    case IB_DROP_ARP_QUEUE_FULL:
    case IB_DROP_ARP_UNRESOLVED:
    case IB_DROP_IP_TRUNCATED:
    case IB_DROP_IP_BAD_VERSION:
    case IB_DROP_IP_BAD_IHL:
    case IB_DROP_IP_BAD_LENGTH:
    case IB_DROP_IP_BAD_CHECKSUM:
    case IB_DROP_IP_BAD_OPTIONS:
        put(o, ": ");
        put_ip4(o, ev->data, ev->len);
        return;
    case IB_DROP_ICMP_TRUNCATED:
    case IB_DROP_ICMP_BAD_CHECKSUM:
    case IB_DROP_ICMP_UNHANDLED:
        put(o, ": ");
        put_icmp(o, ev->data, ev->len, ev->len, false);
        return;
    case IB_DROP_TCP_TRUNCATED:
    case IB_DROP_TCP_BAD_OFFSET:
    case IB_DROP_TCP_BAD_CHECKSUM:
    case IB_DROP_TCP_BAD_OPTIONS:
    case IB_DROP_TCP_BAD_FLAGS:
    case IB_DROP_TCP_NO_LISTENER:
    case IB_DROP_TCP_NOT_ACCEPTABLE:
    case IB_DROP_TCP_BAD_ACK:
    case IB_DROP_TCP_PAWS:
    case IB_DROP_TCP_RST_INVALID:
    case IB_DROP_TCP_CHALLENGE:
    case IB_DROP_TCP_BACKLOG_FULL:
    case IB_DROP_TCP_BAD_COOKIE:
    case IB_DROP_TCP_OOO_FULL:
    case IB_DROP_TCP_CLOSED:
    case IB_DROP_TCP_TIME_WAIT:
        /* TCP drops its input with the data at the TCP header, the IP
         * header behind it: the ports and the segment, no addresses */
        put(o, ": ");
        put_tcp(o, ev->data, ev->len, ev->len, NULL, false);
        return;
    case IB_DROP_NOMEM:
        break;
    default:
        if (ev->layer == 1 || ev->layer == 2) {
            put(o, ": ");
            put_frame(o, ev->data, ev->len);
            return;
        }
        if (ev->layer == 3 && ib_ip4_parse(ev->data, ev->len, &h) == 0) {
            put(o, ": ");
            put_ip4(o, ev->data, ev->len);
            return;
        }
    }
    put(o, ", length %u", ev->len);
}

/* One line for the event, or none; journey adds the journey events. */
static void observe(struct ib_tcpdump *td, const struct ib_event *ev, bool journey)
{
    char line[512];
    struct out o = {line, sizeof(line), 0};
    line[0] = '\0';
    switch (ev->kind) {
    case IB_EV_WIRE_RX:
        /* In the simulator the sender's line shows the frame; in live mode
         * the sender is the world outside, which only we can show. */
        if (!event_env(ev) || !event_env(ev)->live)
            return;
        /* fall through */
    case IB_EV_WIRE_TX:
        put_time(&o, ev);
        put_where(&o, ev);
        put(&o, ev->kind == IB_EV_WIRE_TX ? " > " : " < ");
        if (ev->data)
            put_frame(&o, ev->data, ev->len);
        else
            put(&o, "[|ether]");
        break;
    case IB_EV_DROP:
        put_time(&o, ev);
        put_where(&o, ev);
        put(&o, " DROP %s (%s)", ib_drop_name(ev->reason), ib_drop_str(ev->reason));
        if (ev->data)
            put_dropped(&o, ev);
        break;
    case IB_EV_LINK_STATE:
        put_time(&o, ev);
        put_where(&o, ev);
        put(&o, " link %s", ev->u.link.up ? "up" : "down");
        break;
    default:
        if (!journey)
            return;
        put_time(&o, ev);
        put_where(&o, ev);
        put(&o, " ");
        if (!ib_td_event(&o, ev))
            return;
    }
    fprintf(td->out, "%s\n", line);
}

void ib_tcpdump_observer(void *ctx, const struct ib_event *ev) { observe(ctx, ev, false); }

void ib_tcpdump_journey_observer(void *ctx, const struct ib_event *ev) { observe(ctx, ev, true); }

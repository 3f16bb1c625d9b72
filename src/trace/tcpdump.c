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
 * Nothing is ever read past the given length. */
#include "inetbox/tcpdump.h"

#include <stdarg.h>
#include <stdio.h>

#include "inetbox/arp.h"
#include "inetbox/cksum.h"
#include "inetbox/eth.h"
#include "inetbox/icmp.h"
#include "inetbox/ipv4.h"
#include "inetbox/netif.h"
#include "inetbox/node.h"
#include "inetbox/udp.h"

/* A bounded string being appended to; output past cap is cut off. */
struct out {
    char *b;
    size_t cap, n;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
    if (o->n + 1 >= o->cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(o->b + o->n, o->cap - o->n, fmt, ap);
    va_end(ap);
    if (k > 0)
        o->n = (size_t)k < o->cap - o->n ? o->n + (size_t)k : o->cap - 1;
}

static void put_ip(struct out *o, ib_ip4 a)
{
    char s[IB_IP4_STRLEN];
    put(o, "%s", ib_ip4_str(a, s));
}

static void put_mac(struct out *o, const struct ib_mac *m)
{
    char s[IB_MAC_STRLEN];
    put(o, "%s", ib_mac_str(m, s));
}

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
    put(o, ".%u: UDP, ", u.dport);
    /* RFC 768: the length field counts the header and the data */
    if (u.len < IB_UDP_HLEN || (!first_frag && u.len > plen))
        put(o, "bad length %u > %u", u.len, (unsigned)plen);
    else
        put(o, "length %u", u.len - IB_UDP_HLEN);
    if (why == IB_DROP_UDP_BAD_CHECKSUM && !first_frag && len >= plen)
        put(o, " [bad udp cksum]");
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

/* Seconds with nanoseconds, in integers so that any time prints exactly. */
static void put_time(struct out *o, ib_time t)
{
    put(o, "%lld.%09lld ", (long long)(t / IB_SEC(1)), (long long)(t % IB_SEC(1)));
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

void ib_tcpdump_observer(void *ctx, const struct ib_event *ev)
{
    struct ib_tcpdump *td = ctx;
    char line[512];
    struct out o = {line, sizeof(line), 0};
    line[0] = '\0';
    switch (ev->kind) {
    case IB_EV_WIRE_TX:
        put_time(&o, ev->t);
        put_where(&o, ev);
        put(&o, " > ");
        if (ev->data)
            put_frame(&o, ev->data, ev->len);
        else
            put(&o, "[|ether]");
        break;
    case IB_EV_DROP:
        put_time(&o, ev->t);
        put_where(&o, ev);
        put(&o, " DROP %s (%s)", ib_drop_name(ev->reason), ib_drop_str(ev->reason));
        if (ev->data)
            put_dropped(&o, ev);
        break;
    case IB_EV_LINK_STATE:
        put_time(&o, ev->t);
        put_where(&o, ev);
        put(&o, " link %s", ev->u.link.up ? "up" : "down");
        break;
    default:
        return;
    }
    fprintf(td->out, "%s\n", line);
}

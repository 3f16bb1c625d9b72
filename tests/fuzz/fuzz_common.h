/* The body of every libFuzzer harness, shared with the regression test
 * (tests/unit/test_fuzz_regress.c) so the normal and sanitizer test runs
 * replay the seed corpora without libFuzzer.
 *
 * Each input builds one stack in a fresh environment: a host (10.0.0.1/24
 * on eth0, default route via 10.0.0.2) or, when bit 0 of the first input
 * byte is set, a router (forwarding on, second interface 10.0.1.1/24 with a
 * 576-byte MTU, routes 192.168.0.0/16 via 10.0.1.2 and 172.16.0.0/12 via
 * the never-answering 10.0.1.99). Bit 1 of that byte shrinks the limits
 * (reassembly buffers, ARP queue and cache, ICMP error burst) so a short
 * input reaches them. The stack runs a UDP echo service on port 7 (RFC
 * 862) and an ICMP echo endpoint (id 0x1234), and at start sends a ping and
 * a datagram to 10.0.0.2 (static ARP entry) and a ping to 10.0.0.3
 * (unresolved), so replies and errors quoting them can match.
 *
 * The rest of the input is a list of records, each received as one frame:
 *   len(2, big-endian) ctl(1) sel(1) body(len; cut to what is left)
 * ctl bits 0-2: simulated time to advance before the frame (ib_fuzz_dt);
 *      bit 3 (0x08): fix checksums (IPv4 header for the ipv4 harness, the
 *                    ICMP/UDP checksum for the icmp/udp harnesses);
 *      bit 4 (0x10): fix lengths (IPv4 total length, UDP length);
 *      bit 5 (0x20): received on eth1 (router only);
 *      bit 6 (0x40): sent to the Ethernet broadcast address;
 *      bit 7 (0x80): ipv4: overwrite source/destination with the sel
 *                    addresses; icmp/udp: TTL 1.
 * sel: low nibble the IPv4 source, high nibble the destination, indexes
 * into ib_fuzz_addr(). The eth harness takes the body as a whole frame;
 * arp wraps it in an Ethernet header, ipv4 too (the body is the datagram),
 * icmp, udp and tcp in Ethernet and a valid 20-byte IPv4 header.
 *
 * The tcp harness adds a listener on port 80 and, by bits 2-4 of the
 * first byte (enum ib_fuzz_tcp_start), a connection with 10.0.0.2 that it
 * first brings into a state (SYN_SENT, ESTABLISHED by either side,
 * SYN_RECEIVED, FIN_WAIT_1, LAST_ACK, data in flight) by playing the peer,
 * whose ISN is IB_FUZZ_PEER_ISS. Its records use ctl bit 3 to fix the TCP
 * checksum and bit 4 for "relative" numbers (ib_fuzz_tcp_relative). The
 * application reads all data, echoes it within a budget and shuts down on
 * the peer's FIN.
 *
 * Oracles (abort() on failure, never on a drop): every frame the stack
 * sends is a well-formed Ethernet frame of at least 60 bytes whose ARP or
 * IPv4 content parses; what the stack originates has a valid ICMP/UDP
 * checksum, its own source address and a unicast destination, ICMP
 * errors obey RFC 1122 §3.2.2, TCP segments parse and carry SYN-only
 * options only on a SYN, and callbacks see consistent states; every drop
 * is both counted and traced; the tcpdump-style decoder describes every
 * frame, in or out, within bounds; after the simulated clock ran 200 s
 * past the last frame and the stack is destroyed, no packet is left
 * allocated. */
#ifndef IB_FUZZ_COMMON_H
#define IB_FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>

#include "inetbox/cksum.h"
#include "inetbox/eth.h"
#include "inetbox/stack.h"
#include "inetbox/tcp_wire.h"
#include "inetbox/tcpdump.h"

enum ib_fuzz_kind { IB_FUZZ_ETH, IB_FUZZ_ARP, IB_FUZZ_IP4, IB_FUZZ_ICMP, IB_FUZZ_UDP, IB_FUZZ_TCP };

#define IB_FUZZ_ECHO_ID 0x1234u
#define IB_FUZZ_UDP_PORT 7u
#define IB_FUZZ_MAX_ECHOES 64u /* bounds the work one input can cause */
#define IB_FUZZ_TCP_PORT 80u
#define IB_FUZZ_PEER_PORT 40000u
#define IB_FUZZ_PEER_ISS 1000u     /* the ISN the harness uses as the TCP peer */
#define IB_FUZZ_TCP_ECHO 65536u    /* bytes the TCP service echoes, at most */

#define IB_FUZZ_F_CSUM 0x08u
#define IB_FUZZ_F_LEN 0x10u
#define IB_FUZZ_F_IF1 0x20u
#define IB_FUZZ_F_BCAST 0x40u
#define IB_FUZZ_F_ADDR 0x80u

/* What one input did; the regression test checks the seeds reach the code
 * they were written for. */
struct ib_fuzz_result {
    uint32_t frames_in, frames_out;
    uint32_t arp_out[3];   /* by opcode */
    uint32_t icmp_out[19]; /* originated here, by type */
    uint32_t udp_out;      /* originated UDP datagrams */
    uint32_t tcp_out, tcp_syn_out, tcp_rst_out; /* originated TCP segments */
    uint32_t tcp_accepted, tcp_connected, tcp_eof, tcp_errors; /* TCP callbacks */
    uint32_t tcp_rx;                      /* bytes the application read */
    uint32_t tcp_entered[IB_TCP__NSTATES]; /* IB_EV_TCP_STATE events, by new state */
    uint32_t tcp_retransmits;               /* IB_EV_TCP_RETRANSMIT events */
    uint32_t frags_out;
    uint32_t passed_out; /* IPv4 frames the router forwarded */
    uint32_t udp_rx, echo_rx;          /* application callbacks */
    uint32_t udp_err[19], echo_err[19]; /* error callbacks, by ICMP type */
    uint32_t drop_events;
    uint64_t trace_sum;
    struct ib_ip4_stats ip;
    struct ib_icmp_stats icmp;
    struct ib_udp_stats udp;
    uint32_t drops[IB_DROP__COUNT];
};

struct ib_fuzz {
    struct ib_evq q;
    struct ib_env env;
    struct ib_trace trace;
    struct ib_stack s;
    struct ib_netif nif[2];
    struct ib_udp_pcb udp;
    struct ib_icmp_echo echo;
    bool router;
    bool spoofed; /* a received datagram claimed one of our addresses */
    bool rx_frag; /* a received datagram was a fragment */
    uint32_t echoes_left;
    uint32_t tcp_iss;   /* sequence number of the last SYN we sent */
    uint16_t tcp_lport; /* and its source port */
    uint32_t tcp_tsval; /* the last timestamp we sent (RFC 7323) */
    uint16_t tcp_ip_id;
    size_t tcp_echo_left;
    struct ib_tcp *tcp_listener;
    struct ib_tcp *tcp[4]; /* connections the application holds */
    struct ib_fuzz_result res;
};

#define IB_FUZZ_CHECK(cond, what)                                                                  \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ib_fuzz_fail(what, __LINE__);                                                          \
    } while (0)

static inline _Noreturn void ib_fuzz_fail(const char *what, int line)
{
    fprintf(stderr, "fuzz oracle failed (fuzz_common.h:%d): %s\n", line, what);
    abort();
}

static inline ib_ip4 ib_fuzz_addr(unsigned i)
{
    static const ib_ip4 t[16] = {
        IB_IP4(10, 0, 0, 1),     IB_IP4(10, 0, 0, 2),   IB_IP4(10, 0, 0, 3),
        IB_IP4(10, 0, 0, 255),   IB_IP4(255, 255, 255, 255), IB_IP4(0, 0, 0, 0),
        IB_IP4(127, 0, 0, 1),    IB_IP4(224, 0, 0, 1),  IB_IP4(10, 0, 1, 1),
        IB_IP4(10, 0, 1, 2),     IB_IP4(192, 168, 1, 1), IB_IP4(172, 16, 0, 1),
        IB_IP4(8, 8, 8, 8),      IB_IP4(240, 0, 0, 1),  IB_IP4(10, 0, 1, 255),
        IB_IP4(10, 0, 0, 0),
    };
    return t[i & 15u];
}

static inline ib_time ib_fuzz_dt(unsigned ctl)
{
    static const ib_time t[8] = {0,          IB_MS(1), IB_MS(50),  IB_MS(500),
                                 IB_SEC(1),  IB_SEC(3), IB_SEC(10), IB_SEC(40)};
    return t[ctl & 7u];
}

/* eth0's MAC is 02:00:00:00:00:01 and its neighbour's ...:02; eth1 uses
 * 02:00:00:00:01:xx. */
static inline struct ib_mac ib_fuzz_mac(unsigned nif, unsigned host)
{
    struct ib_mac m = {{0x02, 0, 0, 0, (uint8_t)nif, (uint8_t)host}};
    return m;
}

static inline bool ib_fuzz_is_ours(const struct ib_fuzz *fz, ib_ip4 a)
{
    return a == fz->nif[0].addr || (fz->router && a == fz->nif[1].addr);
}

/* RFC 1122 §3.2.1.3: what may stand as a host's source address, so what a
 * reply may be sent to. */
static inline bool ib_fuzz_unicast(const struct ib_fuzz *fz, ib_ip4 a)
{
    uint32_t top = a >> 24;
    if (a == 0 || top == 0 || top == 127 || top >= 224)
        return false;
    for (unsigned i = 0; i < (fz->router ? 2u : 1u); i++)
        if (a == ib_netif_broadcast(&fz->nif[i]))
            return false;
    return true;
}

static inline bool ib_fuzz_icmp_is_error(uint8_t type)
{
    return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

/* RFC 1122 §3.2.2 (RFC 1812 §4.3.2.7 for routers): an error quotes the
 * offending datagram (RFC 792: its header and at least 8 bytes, if it had
 * them), goes back to its source, and is never about an ICMP error, a
 * non-initial fragment or a datagram sent to a broadcast or multicast. */
static inline void ib_fuzz_check_icmp_error(const struct ib_fuzz *fz, const struct ib_ip4_hdr *ip,
                                            const uint8_t *q, size_t qlen)
{
    IB_FUZZ_CHECK(qlen >= IB_IP4_HLEN, "ICMP error quotes less than an IPv4 header");
    size_t qhl = (size_t)(q[0] & 0xf) * 4;
    IB_FUZZ_CHECK((q[0] >> 4) == 4 && qhl >= IB_IP4_HLEN && qhl <= qlen,
                  "ICMP error quotes a malformed IPv4 header");
    IB_FUZZ_CHECK(ib_get32(q + 12) == ip->dst, "ICMP error not sent to the quoted source");
    IB_FUZZ_CHECK((ib_get16(q + 6) & IB_IP4_OFFMASK) == 0, "ICMP error about a non-first fragment");
    ib_ip4 qdst = ib_get32(q + 16);
    IB_FUZZ_CHECK(qdst != IB_IP4_BROADCAST && (qdst >> 28) != 0xe,
                  "ICMP error about a broadcast or multicast datagram");
    for (unsigned i = 0; i < (fz->router ? 2u : 1u); i++)
        IB_FUZZ_CHECK(qdst != ib_netif_broadcast(&fz->nif[i]),
                      "ICMP error about a directed broadcast");
    if (q[9] == IB_IPPROTO_ICMP && qlen > qhl)
        IB_FUZZ_CHECK(!ib_fuzz_icmp_is_error(q[qhl]), "ICMP error about an ICMP error");
}

static inline void ib_fuzz_check_ip(struct ib_fuzz *fz, const struct ib_netif *nif,
                                    const struct ib_eth_hdr *eh, const uint8_t *b, size_t len)
{
    struct ib_ip4_hdr h;
    IB_FUZZ_CHECK(ib_ip4_parse(b, len, &h) == 0, "sent IPv4 header does not parse");
    IB_FUZZ_CHECK(h.ttl > 0, "sent a datagram with TTL 0");
    IB_FUZZ_CHECK(h.tot_len <= nif->mtu, "sent a datagram over the interface MTU");
    size_t payload = (size_t)h.tot_len - h.hlen;
    /* RFC 791 §3.2: fragment offsets count 8-byte blocks. Only fragments we
     * cut ourselves must obey: a router passes a received one on as is. */
    if (!fz->rx_frag) {
        if (h.frag & IB_IP4_MF)
            IB_FUZZ_CHECK(payload % 8 == 0, "non-last fragment payload not a multiple of 8");
        IB_FUZZ_CHECK(ib_ip4_frag_offset(&h) + payload <= IB_IP4_MAX_LEN,
                      "fragment ends beyond 65535 bytes");
    }
    if (ib_mac_is_multicast(&eh->dst)) {
        bool group = h.dst == IB_IP4_BROADCAST || (h.dst >> 28) == 0xe ||
                     h.dst == ib_netif_broadcast(nif);
        IB_FUZZ_CHECK(group, "unicast datagram sent to a group MAC (RFC 1812 §3.3.2)");
    }
    if (ib_ip4_is_fragment(&h))
        fz->res.frags_out++;

    bool originated = fz->router ? ib_fuzz_is_ours(fz, h.src) && !fz->spoofed : true;
    if (!originated) {
        fz->res.passed_out++;
        return;
    }
    /* RFC 1122 §3.2.1.3: our own address as source, a unicast destination. */
    IB_FUZZ_CHECK(ib_fuzz_is_ours(fz, h.src), "host sent a datagram with a foreign source");
    IB_FUZZ_CHECK(ib_fuzz_unicast(fz, h.dst), "sent a datagram to an invalid destination");
    IB_FUZZ_CHECK((h.frag & 0x8000u) == 0, "reserved IPv4 flag set");
    if (ib_ip4_is_fragment(&h))
        return; /* the transport checksum spans fragments */
    const uint8_t *l4 = b + h.hlen;
    if (h.proto == IB_IPPROTO_ICMP) {
        struct ib_icmp_hdr ih;
        IB_FUZZ_CHECK(ib_icmp_parse(l4, payload, &ih) == 0, "sent ICMP message does not parse");
        if (ih.type < IB_ARRAY_LEN(fz->res.icmp_out))
            fz->res.icmp_out[ih.type]++;
        if (ib_fuzz_icmp_is_error(ih.type))
            ib_fuzz_check_icmp_error(fz, &h, l4 + IB_ICMP_HLEN, payload - IB_ICMP_HLEN);
    } else if (h.proto == IB_IPPROTO_UDP) {
        struct ib_udp_hdr uh;
        IB_FUZZ_CHECK(ib_udp_parse(l4, payload, h.src, h.dst, &uh) == 0,
                      "sent UDP datagram does not parse");
        IB_FUZZ_CHECK(uh.csum != 0, "sent UDP datagram without checksum");
        fz->res.udp_out++;
    } else if (h.proto == IB_IPPROTO_TCP) {
        struct ib_tcp_hdr th;
        IB_FUZZ_CHECK(ib_tcp_parse(l4, payload, h.src, h.dst, &th) == 0,
                      "sent TCP segment does not parse");
        /* RFC 9293 §3.7.1, RFC 7323 §2.2, RFC 2018 §2: these options only
         * ride on a SYN */
        if (!(th.flags & IB_TCP_SYN))
            IB_FUZZ_CHECK(!th.opt.has_mss && !th.opt.has_wscale && !th.opt.sack_ok,
                          "SYN-only option on a non-SYN segment");
        else
            IB_FUZZ_CHECK(!(th.flags & (IB_TCP_RST | IB_TCP_FIN)), "SYN with RST or FIN");
        fz->res.tcp_out++;
        if (th.opt.has_ts)
            fz->tcp_tsval = th.opt.ts_val;
        if (th.flags & IB_TCP_RST)
            fz->res.tcp_rst_out++;
        if (th.flags & IB_TCP_SYN) {
            fz->res.tcp_syn_out++;
            fz->tcp_iss = th.seq;
            fz->tcp_lport = th.sport;
        }
    } else {
        IB_FUZZ_CHECK(false, "originated a protocol other than ICMP, UDP or TCP");
    }
}

static inline void ib_fuzz_check_frame(struct ib_fuzz *fz, const struct ib_netif *nif,
                                       const uint8_t *f, size_t len)
{
    struct ib_eth_hdr eh;
    IB_FUZZ_CHECK(len >= IB_ETH_MIN_FRAME, "sent a runt frame");
    IB_FUZZ_CHECK(len <= IB_ETH_HLEN + nif->mtu, "sent a frame over the MTU");
    IB_FUZZ_CHECK(ib_eth_parse(f, len, &eh) == 0, "sent Ethernet header does not parse");
    IB_FUZZ_CHECK(ib_mac_eq(&eh.src, &nif->mac), "sent frame with a foreign source MAC");
    if (eh.type == IB_ETHERTYPE_ARP) {
        struct ib_arp_msg m;
        IB_FUZZ_CHECK(ib_arp_parse(f + IB_ETH_HLEN, len - IB_ETH_HLEN, &m) == 0,
                      "sent ARP message does not parse");
        IB_FUZZ_CHECK(m.op == IB_ARP_OP_REQUEST || m.op == IB_ARP_OP_REPLY, "bad ARP opcode");
        IB_FUZZ_CHECK(ib_mac_eq(&m.sha, &nif->mac), "ARP sender MAC is not ours");
        IB_FUZZ_CHECK(m.spa == nif->addr, "ARP sender address is not ours");
        fz->res.arp_out[m.op]++;
    } else if (eh.type == IB_ETHERTYPE_IP4) {
        ib_fuzz_check_ip(fz, nif, &eh, f + IB_ETH_HLEN, len - IB_ETH_HLEN);
    } else {
        IB_FUZZ_CHECK(false, "sent an unknown ethertype");
    }
}

/* The decoder behind --trace must describe any frame without reading past
 * it and always terminate its line. */
static inline void ib_fuzz_describe(const uint8_t *f, size_t len)
{
    char line[256];
    ib_tcpdump_frame(f, len, line, sizeof line);
    IB_FUZZ_CHECK(memchr(line, 0, sizeof line) != NULL, "tcpdump line not terminated");
}

static inline void ib_fuzz_xmit(struct ib_netif *nif, struct ib_pkt *p)
{
    struct ib_fuzz *fz = nif->drv;
    fz->res.frames_out++;
    ib_fuzz_check_frame(fz, nif, p->data, p->len);
    ib_fuzz_describe(p->data, p->len);
    ib_pkt_free(p);
}

/* Reads every byte an event points at, so the sanitizers see any event
 * carrying a stale or short pointer. */
static inline void ib_fuzz_observe(void *ctx, const struct ib_event *ev)
{
    struct ib_fuzz *fz = ctx;
    IB_FUZZ_CHECK(ev->kind < IB_EV__COUNT, "event of unknown kind");
    IB_FUZZ_CHECK(ev->len == 0 || ev->data != NULL, "event length without data");
    uint64_t sum = 0;
    for (uint32_t i = 0; i < ev->len; i++)
        sum += ev->data[i];
    fz->res.trace_sum += sum;
    if (ev->kind == IB_EV_DROP) {
        IB_FUZZ_CHECK(ev->reason > IB_DROP_NONE && ev->reason < IB_DROP__COUNT,
                      "drop without a reason");
        fz->res.drop_events++;
    } else if (ev->kind == IB_EV_TCP_STATE) {
        IB_FUZZ_CHECK(ev->u.tcp.old_state < IB_TCP__NSTATES &&
                          ev->u.tcp.new_state < IB_TCP__NSTATES,
                      "TCP state event with an unknown state");
        fz->res.tcp_entered[ev->u.tcp.new_state]++;
    } else if (ev->kind == IB_EV_TCP_RETRANSMIT) {
        fz->res.tcp_retransmits++;
    }
}

static inline void ib_fuzz_udp_recv(struct ib_udp_pcb *u, ib_ip4 src, uint16_t sport,
                                    struct ib_pkt *p)
{
    struct ib_fuzz *fz = u->arg;
    fz->res.udp_rx++;
    uint64_t sum = 0;
    for (uint32_t i = 0; i < p->len; i++)
        sum += p->data[i];
    fz->res.trace_sum += sum;
    /* RFC 862: send back what came in; like any careful server, only to a
     * valid unicast source (RFC 1122 §3.2.1.3) other than ourselves (the
     * echo would loop). */
    if (fz->echoes_left == 0 || !ib_fuzz_unicast(fz, src) || ib_ip4_is_local(&fz->s, src)) {
        ib_pkt_free(p);
        return;
    }
    fz->echoes_left--;
    ib_udp_sendto(u, p, src, sport, 0);
}

static inline void ib_fuzz_udp_err(struct ib_udp_pcb *u, ib_ip4 from, uint8_t type, uint8_t code,
                                   ib_ip4 dst, uint16_t dport)
{
    struct ib_fuzz *fz = u->arg;
    IB_FUZZ_CHECK(ib_fuzz_icmp_is_error(type), "UDP error callback for a non-error");
    fz->res.udp_err[type]++;
}

static inline void ib_fuzz_echo_reply(struct ib_icmp_echo *e, ib_ip4 from, uint16_t seq,
                                      uint8_t ttl, const uint8_t *data, size_t len)
{
    struct ib_fuzz *fz = e->arg;
    fz->res.echo_rx++;
    uint64_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum += data[i];
    fz->res.trace_sum += sum;
}

static inline void ib_fuzz_echo_err(struct ib_icmp_echo *e, ib_ip4 from, uint8_t type,
                                    uint8_t code, uint16_t seq)
{
    struct ib_fuzz *fz = e->arg;
    IB_FUZZ_CHECK(ib_fuzz_icmp_is_error(type), "echo error callback for a non-error");
    fz->res.echo_err[type]++;
}

static inline void ib_fuzz_setup(struct ib_fuzz *fz, bool router, bool tight)
{
    static const struct ib_netif_ops ops = {ib_fuzz_xmit};
    static const char *const names[2] = {"eth0", "eth1"};

    memset(fz, 0, sizeof(*fz));
    fz->router = router;
    fz->echoes_left = IB_FUZZ_MAX_ECHOES;
    ib_evq_init(&fz->q);
    fz->env.q = &fz->q;
    fz->env.pool = ib_pkt_pool_new();
    IB_FUZZ_CHECK(fz->env.pool != NULL, "no packet pool");
    fz->env.trace = &fz->trace;
    ib_trace_attach(&fz->trace, ib_fuzz_observe, fz);

    struct ib_stack_config cfg = ib_stack_defaults;
    cfg.forwarding = router;
    if (tight) {
        cfg.reass = ib_reass_defaults;
        cfg.arp = ib_arp_defaults;
        cfg.icmp = ib_icmp_defaults;
        cfg.reass.max_datagrams = 3;
        cfg.reass.max_bytes = 12 * IB_PKT_BUF_SIZE;
        cfg.reass.max_frags = 4;
        cfg.arp.max_queue = 2;
        cfg.arp.max_entries = 4;
        cfg.icmp.burst = 2;
    }
    ib_stack_init(&fz->s, &fz->env, router ? "router" : "host", 1, 1, &cfg);
    for (unsigned i = 0; i < (router ? 2u : 1u); i++) {
        struct ib_netif *nif = &fz->nif[i];
        struct ib_mac mac = ib_fuzz_mac(i, 1);
        ib_netif_init(nif, &fz->s.node, names[i], &mac);
        nif->ops = &ops;
        nif->drv = fz;
        nif->mtu = i == 0 ? 1500 : 576;
        nif->up = true;
        IB_FUZZ_CHECK(ib_stack_add_netif(&fz->s, nif) == 0, "add_netif failed");
        IB_FUZZ_CHECK(ib_stack_set_addr(&fz->s, nif, IB_IP4(10, 0, i, 1), 24) == 0,
                      "set_addr failed");
        struct ib_mac peer = ib_fuzz_mac(i, 2);
        IB_FUZZ_CHECK(ib_arp_set(nif, IB_IP4(10, 0, i, 2), &peer) == 0, "arp_set failed");
    }
    if (router) {
        ib_stack_add_route(&fz->s, IB_IP4(192, 168, 0, 0), 16, IB_IP4(10, 0, 1, 2), &fz->nif[1]);
        ib_stack_add_route(&fz->s, IB_IP4(172, 16, 0, 0), 12, IB_IP4(10, 0, 1, 99), &fz->nif[1]);
    } else {
        ib_stack_add_route(&fz->s, 0, 0, IB_IP4(10, 0, 0, 2), &fz->nif[0]);
    }

    fz->udp.recv = ib_fuzz_udp_recv;
    fz->udp.err = ib_fuzz_udp_err;
    fz->udp.arg = fz;
    IB_FUZZ_CHECK(ib_udp_bind(&fz->s, &fz->udp, 0, IB_FUZZ_UDP_PORT) == 0, "udp_bind failed");
    fz->echo.reply = ib_fuzz_echo_reply;
    fz->echo.error = ib_fuzz_echo_err;
    fz->echo.arg = fz;
    ib_icmp_echo_open(&fz->s, &fz->echo, IB_FUZZ_ECHO_ID);

    ib_icmp_echo_send(&fz->echo, IB_IP4(10, 0, 0, 2), 1, 16, 0);
    ib_icmp_echo_send(&fz->echo, IB_IP4(10, 0, 0, 3), 2, 16, 0);
    static const char hello[] = "inetbox";
    struct ib_pkt *p = ib_pkt_from(fz->env.pool, hello, sizeof(hello) - 1);
    if (p)
        ib_udp_sendto(&fz->udp, p, IB_IP4(10, 0, 0, 2), 9, 0);
}

/* Fills the 20-byte IPv4 header the icmp and udp harnesses put in front of
 * the fuzzed transport message. */
static inline void ib_fuzz_ip_header(uint8_t *b, size_t body, unsigned ctl, unsigned sel,
                                     uint8_t proto, uint16_t id)
{
    struct ib_ip4_hdr h = {
        .hlen = IB_IP4_HLEN,
        .tot_len = (uint16_t)(IB_IP4_HLEN + body),
        .id = id,
        .ttl = (ctl & IB_FUZZ_F_ADDR) ? 1 : 64,
        .proto = proto,
        .src = ib_fuzz_addr(sel),
        .dst = ib_fuzz_addr(sel >> 4),
    };
    ib_ip4_emit(&h, b);
}

static inline void ib_fuzz_fix_l4(uint8_t *ip, uint8_t *l4, size_t len, unsigned ctl,
                                  uint8_t proto)
{
    if (proto == IB_IPPROTO_UDP) {
        if ((ctl & IB_FUZZ_F_LEN) && len >= 6)
            ib_put16(l4 + 4, (uint16_t)len);
        if ((ctl & IB_FUZZ_F_CSUM) && len >= IB_UDP_HLEN) {
            ib_put16(l4 + 6, 0);
            uint64_t sum = ib_csum_pseudo4(ib_get32(ip + 12), ib_get32(ip + 16), IB_IPPROTO_UDP,
                                           (uint16_t)len);
            uint16_t c = ib_csum_fold(ib_csum_partial(l4, len, sum));
            ib_put16(l4 + 6, c ? c : 0xffff); /* RFC 768: zero means none */
        }
    } else if (proto == IB_IPPROTO_TCP) {
        if ((ctl & IB_FUZZ_F_CSUM) && len >= IB_TCP_HLEN)
            ib_tcp_fill_csum(l4, len, ib_get32(ip + 12), ib_get32(ip + 16));
    } else if ((ctl & IB_FUZZ_F_CSUM) && len >= 4) {
        ib_put16(l4 + 2, 0);
        ib_put16(l4 + 2, ib_csum(l4, len));
    }
}

static inline void ib_fuzz_fix_ip(uint8_t *ip, size_t len, unsigned ctl, unsigned sel)
{
    if ((ctl & IB_FUZZ_F_LEN) && len >= 4)
        ib_put16(ip + 2, (uint16_t)len);
    if ((ctl & IB_FUZZ_F_ADDR) && len >= IB_IP4_HLEN) {
        ib_put32(ip + 12, ib_fuzz_addr(sel));
        ib_put32(ip + 16, ib_fuzz_addr(sel >> 4));
    }
    size_t hl = (size_t)(ip[0] & 0xf) * 4;
    if ((ctl & IB_FUZZ_F_CSUM) && len >= IB_IP4_HLEN && hl >= IB_IP4_HLEN && hl <= len) {
        ib_put16(ip + 10, 0);
        ib_put16(ip + 10, ib_csum(ip, hl));
    }
}

/* The tcp harness's "relative" records (ctl bit 4, which has no length to
 * fix in TCP): the acknowledgment number and the SACK block edges (RFC
 * 2018 §3) count from the sequence number of the last SYN the stack sent,
 * whose source port replaces a zero destination port, so a seed can
 * answer a connection whose ISN (RFC 6528) and ephemeral port it cannot
 * know. */
static inline void ib_fuzz_tcp_relative(const struct ib_fuzz *fz, uint8_t *l4, size_t len)
{
    if (len < IB_TCP_HLEN)
        return;
    if (ib_get16(l4 + 2) == 0)
        ib_put16(l4 + 2, fz->tcp_lport);
    ib_put32(l4 + 8, ib_get32(l4 + 8) + fz->tcp_iss);
    size_t hlen = (size_t)(l4[12] >> 4) * 4u;
    if (hlen > len)
        hlen = len;
    for (size_t i = IB_TCP_HLEN; i + 1 < hlen && l4[i] != 0;) {
        size_t olen = l4[i] == 1 ? 1 : l4[i + 1];
        if (olen < 1 || i + olen > hlen)
            break;
        for (size_t k = 2; l4[i] == 5 && k + 4 <= olen; k += 4)
            ib_put32(l4 + i + k, ib_get32(l4 + i + k) + fz->tcp_iss);
        i += olen;
    }
}

/* Builds the frame for one record and hands it to the stack. */
static inline void ib_fuzz_deliver(struct ib_fuzz *fz, enum ib_fuzz_kind kind, unsigned ctl,
                                   unsigned sel, const uint8_t *body, size_t blen, uint16_t id)
{
    struct ib_netif *nif = (fz->router && (ctl & IB_FUZZ_F_IF1)) ? &fz->nif[1] : &fz->nif[0];
    size_t hdr = kind == IB_FUZZ_ETH                          ? 0
                 : kind == IB_FUZZ_ARP || kind == IB_FUZZ_IP4 ? IB_ETH_HLEN
                                                              : IB_ETH_HLEN + IB_IP4_HLEN;
    if (hdr > IB_ETH_HLEN && blen > IB_IP4_MAX_LEN - IB_IP4_HLEN)
        blen = IB_IP4_MAX_LEN - IB_IP4_HLEN;
    size_t len = hdr + blen;
    /* Wrapped frames are padded like on a real wire; raw ones come as is. */
    size_t flen = (kind != IB_FUZZ_ETH && len < IB_ETH_MIN_FRAME) ? IB_ETH_MIN_FRAME : len;
    struct ib_pkt *p = ib_pkt_alloc(fz->env.pool, IB_PKT_HEADROOM, flen);
    if (!p)
        return;
    uint8_t *f = p->data;
    memcpy(f + hdr, body, blen);
    memset(f + len, 0, flen - len);
    if (kind != IB_FUZZ_ETH) {
        struct ib_eth_hdr eh = {
            .dst = (ctl & IB_FUZZ_F_BCAST) ? ib_mac_broadcast : nif->mac,
            .src = ib_fuzz_mac(nif->index, 2),
            .type = kind == IB_FUZZ_ARP ? IB_ETHERTYPE_ARP : IB_ETHERTYPE_IP4,
        };
        ib_eth_emit(&eh, f);
    }
    uint8_t *ip = f + IB_ETH_HLEN;
    if (kind == IB_FUZZ_IP4) {
        ib_fuzz_fix_ip(ip, blen, ctl, sel);
    } else if (kind == IB_FUZZ_ICMP || kind == IB_FUZZ_UDP || kind == IB_FUZZ_TCP) {
        uint8_t proto = kind == IB_FUZZ_ICMP  ? IB_IPPROTO_ICMP
                        : kind == IB_FUZZ_UDP ? IB_IPPROTO_UDP
                                              : IB_IPPROTO_TCP;
        ib_fuzz_ip_header(ip, blen, ctl, sel, proto, id);
        if (kind == IB_FUZZ_TCP && (ctl & IB_FUZZ_F_LEN))
            ib_fuzz_tcp_relative(fz, ip + IB_IP4_HLEN, blen);
        ib_fuzz_fix_l4(ip, ip + IB_IP4_HLEN, blen, ctl, proto);
    }
    if (flen >= IB_ETH_HLEN + IB_IP4_HLEN && ib_get16(f + 12) == IB_ETHERTYPE_IP4) {
        fz->spoofed |= ib_fuzz_is_ours(fz, ib_get32(ip + 12));
        fz->rx_frag |= (ib_get16(ip + 6) & (IB_IP4_MF | IB_IP4_OFFMASK)) != 0;
    }
    ib_fuzz_describe(f, flen);
    fz->res.frames_in++;
    ib_netif_receive(nif, p);
}

/* The tcp harness plays the peer 10.0.0.2 of a listener on port 80 and,
 * by bits 2-4 of the first input byte, of a connection it first brings
 * into one state (enum ib_fuzz_tcp_start) with segments of its own. */
enum ib_fuzz_tcp_start {
    IB_FUZZ_TCP_LISTEN,      /* the listener only */
    IB_FUZZ_TCP_SYN_SENT,    /* ib_tcp_connect, unanswered */
    IB_FUZZ_TCP_ACTIVE,      /* ESTABLISHED by connect + SYN-ACK */
    IB_FUZZ_TCP_PASSIVE,     /* ESTABLISHED by SYN + ACK to the listener */
    IB_FUZZ_TCP_SYN_RCVD,    /* a SYN to the listener, unacknowledged */
    IB_FUZZ_TCP_FIN_WAIT_1,  /* ACTIVE, then shut down: our FIN unacked */
    IB_FUZZ_TCP_LAST_ACK,    /* ACTIVE, then the peer's FIN: we answer with ours */
    IB_FUZZ_TCP_IN_FLIGHT,   /* ACTIVE with 4000 bytes sent, none acked */
};

static inline void ib_fuzz_tcp_keep(struct ib_fuzz *fz, struct ib_tcp *c)
{
    for (unsigned i = 0; i < IB_ARRAY_LEN(fz->tcp); i++) {
        if (!fz->tcp[i]) {
            fz->tcp[i] = c;
            return;
        }
    }
    ib_tcp_close(c); /* no room: a quick close is a path worth taking too */
}

static inline void ib_fuzz_tcp_forget(struct ib_fuzz *fz, struct ib_tcp *c)
{
    for (unsigned i = 0; i < IB_ARRAY_LEN(fz->tcp); i++)
        if (fz->tcp[i] == c)
            fz->tcp[i] = NULL;
}

static inline void ib_fuzz_tcp_accepted(struct ib_tcp *l, struct ib_tcp *c, void *arg)
{
    struct ib_fuzz *fz = arg;
    IB_FUZZ_CHECK(l == fz->tcp_listener, "accepted by an unknown listener");
    IB_FUZZ_CHECK(ib_tcp_get_state(c) == IB_TCP_ESTABLISHED ||
                      ib_tcp_get_state(c) == IB_TCP_CLOSE_WAIT,
                  "accepted a connection that is not synchronized");
    fz->res.tcp_accepted++;
    ib_fuzz_tcp_keep(fz, c);
}

static inline void ib_fuzz_tcp_connected(struct ib_tcp *c, void *arg)
{
    struct ib_fuzz *fz = arg;
    (void)c;
    fz->res.tcp_connected++;
}

/* Reads everything, echoes it back within a budget (RFC 862 style), and
 * answers the peer's FIN with ours. */
static inline void ib_fuzz_tcp_readable(struct ib_tcp *c, void *arg)
{
    struct ib_fuzz *fz = arg;
    uint8_t buf[2048];
    long n;
    while ((n = ib_tcp_recv(c, buf, sizeof(buf))) > 0) {
        IB_FUZZ_CHECK((size_t)n <= sizeof(buf), "recv returned more than asked");
        fz->res.tcp_rx += (uint32_t)n;
        for (long i = 0; i < n; i++)
            fz->res.trace_sum += buf[i];
        size_t echo = (size_t)n < fz->tcp_echo_left ? (size_t)n : fz->tcp_echo_left;
        if (echo > 0) {
            long sent = ib_tcp_send(c, buf, echo);
            if (sent > 0)
                fz->tcp_echo_left -= (size_t)sent;
        }
    }
    /* RFC 9293 §3.6: a second shutdown of the same side is refused */
    if (ib_tcp_eof(c) && ib_tcp_shutdown(c) == 0)
        fz->res.tcp_eof++;
}

static inline void ib_fuzz_tcp_error(struct ib_tcp *c, int err, void *arg)
{
    struct ib_fuzz *fz = arg;
    IB_FUZZ_CHECK(err == IB_ERR_RESET || err == IB_ERR_REFUSED || err == IB_ERR_TIMEOUT ||
                      err == IB_ERR_UNREACH,
                  "TCP error callback with an unexpected error");
    IB_FUZZ_CHECK(ib_tcp_get_state(c) == IB_TCP_CLOSED, "TCP error but not CLOSED");
    fz->res.tcp_errors++;
    ib_fuzz_tcp_forget(fz, c);
    ib_tcp_close(c);
}

/* Sends one segment as the peer (sel 0x01: 10.0.0.2 to 10.0.0.1) with
 * the options of a Linux SYN, or timestamps only. */
static inline void ib_fuzz_tcp_inject(struct ib_fuzz *fz, uint16_t sport, uint16_t dport,
                                      uint8_t flags, uint32_t seq, uint32_t ack)
{
    struct ib_tcp_hdr h = {
        .sport = sport, .dport = dport, .seq = seq, .ack = ack, .flags = flags, .wnd = 65535,
        .opt = {.has_ts = true, .ts_val = 1000, .ts_ecr = fz->tcp_tsval},
    };
    if (flags & IB_TCP_SYN) {
        h.opt.has_mss = h.opt.sack_ok = h.opt.has_wscale = true;
        h.opt.mss = 1460;
        h.opt.wscale = 7;
    } else {
        h.wnd = 2048; /* scaled by 7: 256 KiB */
    }
    uint8_t b[IB_TCP_MAX_HLEN];
    size_t len = ib_tcp_emit(&h, b);
    ib_fuzz_deliver(fz, IB_FUZZ_TCP, IB_FUZZ_F_CSUM, 0x01, b, len, fz->tcp_ip_id++);
    ib_evq_run_until(&fz->q, ib_now(&fz->env));
}

static inline void ib_fuzz_tcp_setup(struct ib_fuzz *fz, enum ib_fuzz_tcp_start start)
{
    static const struct ib_tcp_ops ops = {ib_fuzz_tcp_accepted, ib_fuzz_tcp_connected,
                                          ib_fuzz_tcp_readable, NULL, ib_fuzz_tcp_error};
    const ib_ip4 peer = IB_IP4(10, 0, 0, 2);
    const uint32_t piss = IB_FUZZ_PEER_ISS;
    fz->tcp_echo_left = IB_FUZZ_TCP_ECHO;
    fz->tcp_listener = ib_tcp_listen(&fz->s, 0, IB_FUZZ_TCP_PORT, &ops, fz, NULL);
    IB_FUZZ_CHECK(fz->tcp_listener != NULL, "tcp_listen failed");
    switch (start) {
    case IB_FUZZ_TCP_LISTEN:
        break;
    case IB_FUZZ_TCP_SYN_RCVD:
    case IB_FUZZ_TCP_PASSIVE:
        ib_fuzz_tcp_inject(fz, IB_FUZZ_PEER_PORT, IB_FUZZ_TCP_PORT, IB_TCP_SYN, piss, 0);
        if (start == IB_FUZZ_TCP_PASSIVE)
            ib_fuzz_tcp_inject(fz, IB_FUZZ_PEER_PORT, IB_FUZZ_TCP_PORT, IB_TCP_ACK, piss + 1,
                               fz->tcp_iss + 1);
        break;
    default: {
        struct ib_tcp *c = ib_tcp_connect(&fz->s, peer, IB_FUZZ_TCP_PORT, &ops, fz, NULL);
        IB_FUZZ_CHECK(c != NULL, "tcp_connect failed");
        ib_fuzz_tcp_keep(fz, c);
        ib_evq_run_until(&fz->q, ib_now(&fz->env));
        if (start == IB_FUZZ_TCP_SYN_SENT)
            break;
        ib_fuzz_tcp_inject(fz, IB_FUZZ_TCP_PORT, fz->tcp_lport, IB_TCP_SYN | IB_TCP_ACK, piss,
                           fz->tcp_iss + 1);
        if (start == IB_FUZZ_TCP_FIN_WAIT_1) {
            ib_tcp_shutdown(c);
        } else if (start == IB_FUZZ_TCP_LAST_ACK) {
            ib_fuzz_tcp_inject(fz, IB_FUZZ_TCP_PORT, fz->tcp_lport, IB_TCP_FIN | IB_TCP_ACK,
                               piss + 1, fz->tcp_iss + 1);
        } else if (start == IB_FUZZ_TCP_IN_FLIGHT) {
            static const uint8_t zeros[4000];
            IB_FUZZ_CHECK(ib_tcp_send(c, zeros, sizeof(zeros)) == (long)sizeof(zeros),
                          "tcp_send of 4000 bytes failed");
        }
        ib_evq_run_until(&fz->q, ib_now(&fz->env));
    }
    }
}

static inline void ib_fuzz_teardown(struct ib_fuzz *fz)
{
    ib_udp_close(&fz->udp);
    ib_icmp_echo_close(&fz->echo);
    fz->res.ip = fz->s.ip_stats;
    fz->res.icmp = fz->s.icmp_stats;
    fz->res.udp = fz->s.udp_stats;
    memcpy(fz->res.drops, fz->s.node.drops, sizeof(fz->res.drops));
    uint64_t counted = 0;
    for (unsigned i = 0; i < IB_DROP__COUNT; i++)
        counted += fz->s.node.drops[i];
    IB_FUZZ_CHECK(counted == fz->res.drop_events, "a drop was counted but not traced, or back");
    ib_stack_destroy(&fz->s);
    struct ib_pkt_pool_stats st;
    ib_pkt_pool_stats(fz->env.pool, &st);
    IB_FUZZ_CHECK(st.in_use == 0, "packets leaked");
    ib_evq_destroy(&fz->q);
    ib_pkt_pool_free(fz->env.pool);
}

/* Runs one input through harness `kind`; fills *out (may be NULL). */
static inline void ib_fuzz_run(enum ib_fuzz_kind kind, const uint8_t *data, size_t len,
                               struct ib_fuzz_result *out)
{
    if (len < 1)
        return;
    struct ib_fuzz *fz = calloc(1, sizeof(*fz));
    IB_FUZZ_CHECK(fz != NULL, "out of memory");
    ib_fuzz_setup(fz, data[0] & 1, data[0] & 2);
    if (kind == IB_FUZZ_TCP)
        ib_fuzz_tcp_setup(fz, (enum ib_fuzz_tcp_start)((data[0] >> 2) & 7));
    data++;
    len--;
    uint16_t id = 0;
    while (len >= 4) {
        size_t blen = ib_get16(data);
        unsigned ctl = data[2], sel = data[3];
        data += 4;
        len -= 4;
        if (blen > len)
            blen = len;
        ib_evq_run_until(&fz->q, ib_now(&fz->env) + ib_fuzz_dt(ctl));
        ib_fuzz_deliver(fz, kind, ctl, sel, data, blen, id++);
        data += blen;
        len -= blen;
    }
    /* Let every timer the input armed fire: ARP retries and expiry,
     * reassembly timeouts, the ICMP rate limiter's refill. */
    for (int i = 0; i < 20; i++)
        ib_evq_run_until(&fz->q, ib_now(&fz->env) + IB_SEC(10));
    ib_fuzz_teardown(fz);
    if (out)
        *out = fz->res;
    free(fz);
}

#endif

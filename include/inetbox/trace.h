/* The trace bus. Every layer reports what it does as a typed event; the
 * observers (tcpdump-style lines, pcapng, story, JSON, report, stats)
 * render them. Protocol code never formats text for humans.
 *
 * Emitting costs one branch when no observer is attached: callers test
 * ib_tracing() before filling an event. */
#ifndef INETBOX_TRACE_H
#define INETBOX_TRACE_H

#include "inetbox/env.h"

/* Why a packet was dropped. Every drop is counted per node and emitted. */
#define IB_DROP_REASONS(X)                                                                         \
    X(NONE, 0, "none")                                                                             \
    X(NOMEM, 2, "out of memory")                                                                   \
    X(LINK_DOWN, 1, "link down")                                                                   \
    X(LINK_QUEUE_FULL, 1, "link queue full")                                                       \
    X(LINK_LOSS, 1, "lost on the wire")                                                            \
    X(ETH_TRUNCATED, 2, "truncated ethernet frame")                                                \
    X(ETH_TOO_BIG, 2, "frame longer than the MTU")                                                 \
    X(ETH_NOT_FOR_US, 2, "frame for another host")                                                 \
    X(ETH_UNKNOWN_TYPE, 2, "unknown ethertype")                                                    \
    X(ETH_BAD_SRC, 2, "bad source MAC")                                                            \
    X(BRIDGE_SAME_PORT, 2, "destination on the ingress port")                                      \
    X(ARP_MALFORMED, 2, "malformed ARP")                                                           \
    X(ARP_NOT_FOR_US, 2, "ARP for another host")                                                   \
    X(ARP_BAD_SENDER, 2, "ARP with invalid sender")                                                \
    X(ARP_QUEUE_FULL, 2, "ARP hold queue full")                                                    \
    X(ARP_UNRESOLVED, 2, "ARP resolution failed")                                                  \
    X(IP_TRUNCATED, 3, "truncated IPv4 header")                                                    \
    X(IP_BAD_VERSION, 3, "IP version not 4")                                                       \
    X(IP_BAD_IHL, 3, "bad IPv4 header length")                                                     \
    X(IP_BAD_LENGTH, 3, "IPv4 total length beyond frame")                                          \
    X(IP_BAD_CHECKSUM, 3, "bad IPv4 header checksum")                                              \
    X(IP_BAD_SRC, 3, "invalid IPv4 source")                                                        \
    X(IP_NOT_FOR_US, 3, "not for this host")                                                       \
    X(IP_NO_ROUTE, 3, "no route")                                                                  \
    X(IP_TTL_EXPIRED, 3, "TTL expired")                                                            \
    X(IP_DF_TOO_BIG, 3, "too big and DF set")                                                      \
    X(IP_UNKNOWN_PROTO, 3, "unknown protocol")                                                     \
    X(IP_BAD_OPTIONS, 3, "bad IPv4 options")                                                       \
    X(FRAG_OVERLAP, 3, "overlapping fragment")                                                     \
    X(FRAG_DUPLICATE, 3, "duplicate fragment")                                                     \
    X(FRAG_TOO_BIG, 3, "reassembled datagram over 65535 bytes")                                    \
    X(FRAG_BAD, 3, "inconsistent fragment")                                                        \
    X(FRAG_TIMEOUT, 3, "reassembly timeout")                                                       \
    X(FRAG_NO_SPACE, 3, "reassembly memory exhausted")                                             \
    X(FRAG_TOO_MANY, 3, "too many fragments in one datagram")                                      \
    X(ICMP_TRUNCATED, 3, "truncated ICMP message")                                                 \
    X(ICMP_BAD_CHECKSUM, 3, "bad ICMP checksum")                                                   \
    X(ICMP_UNHANDLED, 3, "ICMP message not handled")                                               \
    X(ICMP_RATE_LIMIT, 3, "ICMP error rate limited")                                               \
    X(UDP_TRUNCATED, 4, "truncated UDP datagram")                                                  \
    X(UDP_BAD_LENGTH, 4, "bad UDP length")                                                         \
    X(UDP_BAD_CHECKSUM, 4, "bad UDP checksum")                                                     \
    X(UDP_NO_LISTENER, 4, "no UDP listener on port")                                              \
    X(TCP_TRUNCATED, 4, "truncated TCP segment")                                                   \
    X(TCP_BAD_OFFSET, 4, "bad TCP data offset")                                                    \
    X(TCP_BAD_CHECKSUM, 4, "bad TCP checksum")                                                     \
    X(TCP_BAD_OPTIONS, 4, "bad TCP options")                                                       \
    X(TCP_BAD_FLAGS, 4, "invalid TCP flag combination")                                            \
    X(TCP_NO_LISTENER, 4, "no TCP listener on port")                                               \
    X(TCP_NOT_ACCEPTABLE, 4, "segment outside the receive window")                                 \
    X(TCP_BAD_ACK, 4, "unacceptable ACK")                                                          \
    X(TCP_PAWS, 4, "PAWS: old timestamp")                                                          \
    X(TCP_RST_INVALID, 4, "RST outside the window")                                                \
    X(TCP_CHALLENGE, 4, "answered with a challenge ACK")                                           \
    X(TCP_BACKLOG_FULL, 4, "listen backlog full")                                                  \
    X(TCP_BAD_COOKIE, 4, "invalid SYN cookie")                                                     \
    X(TCP_OOO_FULL, 4, "out-of-order queue full")                                                  \
    X(TCP_CLOSED, 4, "connection closed")                                                          \
    X(TCP_TIME_WAIT, 4, "segment for a TIME_WAIT connection")                                     \
    X(NAT_NO_MAPPING, 3, "unsolicited inbound: no NAT mapping")                                    \
    X(NAT_NO_PORTS, 3, "NAT has no free public port")                                              \
    X(NAT_UNTRANSLATABLE, 3, "datagram NAT cannot translate")                                    \
    X(NAT_TO_INSIDE, 3, "from outside to an inside address")                                       \
    X(DHCP_MALFORMED, 7, "malformed DHCP message")                                                 \
    X(DHCP_IGNORED, 7, "DHCP message not for us")                                                  \
    X(DNS_MALFORMED, 7, "malformed DNS message")                                                   \
    X(DNS_UNEXPECTED, 7, "DNS response matching no query")                                         \
    X(HTTP_MALFORMED, 7, "malformed HTTP message")

enum ib_drop {
#define IB_DROP_ENUM(name, layer, text) IB_DROP_##name,
    IB_DROP_REASONS(IB_DROP_ENUM)
#undef IB_DROP_ENUM
        IB_DROP__COUNT
};

const char *ib_drop_str(enum ib_drop r);
/* The short name, e.g. "IP_BAD_CHECKSUM", for machine-readable output. */
const char *ib_drop_name(enum ib_drop r);
int ib_drop_layer(enum ib_drop r);

enum ib_ev_kind {
    IB_EV_WIRE_TX,      /* a frame starts onto a link (pkt: Ethernet frame) */
    IB_EV_WIRE_RX,      /* a frame arrives at a link end */
    IB_EV_LINK_STATE,   /* a link went up or down (u.link) */
    IB_EV_DROP,         /* reason; pkt at the layer's header */
    IB_EV_ETH_RX,       /* a node accepted a frame */
    IB_EV_ETH_TX,       /* a node sends a frame */
    IB_EV_BRIDGE_LEARN, /* u.bridge */
    IB_EV_BRIDGE_FWD,   /* u.bridge: known destination */
    IB_EV_BRIDGE_FLOOD, /* u.bridge: broadcast or unknown destination */
    IB_EV_ARP_REQUEST,  /* sent a request for u.arp.ip */
    IB_EV_ARP_REPLY,    /* sent a reply saying u.arp.ip is at u.arp.mac */
    IB_EV_ARP_ANNOUNCE, /* sent a gratuitous ARP */
    IB_EV_ARP_LEARN,    /* cache entry for u.arp.ip set to u.arp.mac */
    IB_EV_ARP_QUEUE,    /* packet waits for resolution of u.arp.ip */
    IB_EV_ARP_FAIL,     /* gave up on u.arp.ip */
    IB_EV_IP_TX,        /* a datagram originates here (pkt: IPv4 header) */
    IB_EV_IP_RX,        /* a datagram is delivered locally */
    IB_EV_IP_FORWARD,   /* forwarded; u.route says which route matched */
    IB_EV_IP_FRAGMENT,  /* one fragment produced (u.frag) */
    IB_EV_IP_REASSEMBLED, /* a datagram was rebuilt (u.frag: count) */
    IB_EV_ICMP_TX,      /* an ICMP message (u.icmp) leaves this node */
    IB_EV_ICMP_RX,      /* an ICMP message arrived */
    IB_EV_UDP_TX,
    IB_EV_UDP_RX,
    IB_EV_APP,          /* an application reports (u.app) */
    IB_EV_TCP_STATE,    /* u.tcp: old -> new state, and what caused it */
    IB_EV_TCP_INFO,     /* u.tcp: a snapshot of the connection's statistics */
    IB_EV_TCP_RETRANSMIT, /* u.tcp.seq: a segment sent again (u.tcp.cause says why) */
    IB_EV_NAT,          /* u.nat: a mapping made, used or expired; pkt: translated datagram */
    IB_EV_DHCP,         /* u.dhcp: a DHCP message sent or received, a lease bound or lost */
    IB_EV_DNS,          /* u.dns: a query or response sent or received, a cache hit */
    IB_EV_HTTP,         /* u.http: a request or response sent or received, a fetch */
    IB_EV__COUNT
};

/* What an IB_EV_NAT event reports (u.nat.what). */
enum ib_nat_what {
    IB_NAT_MAP,       /* a new mapping: inside addr:port <-> public addr:port */
    IB_NAT_OUT,       /* an outbound datagram's source rewritten (inside -> public) */
    IB_NAT_IN,        /* an inbound datagram's destination rewritten (public -> inside) */
    IB_NAT_ICMP_ERR,  /* an ICMP error and the datagram it quotes rewritten */
    IB_NAT_EXPIRE,    /* a mapping timed out (or its TCP connection ended) */
};

/* What an IB_EV_DHCP event reports (u.dhcp.what); u.dhcp.msg is the DHCP
 * message type (RFC 2132 §9.6) for TX/RX. */
enum ib_dhcp_what {
    IB_DHCP_TX,
    IB_DHCP_RX,
    IB_DHCP_BOUND,   /* a lease applied: yiaddr/plen, router, dns, lease_s */
    IB_DHCP_RENEWED,
    IB_DHCP_LOST,    /* a lease expired, was refused (NAK) or released */
};

/* What an IB_EV_DNS event reports (u.dns.what). */
enum ib_dns_what {
    IB_DNS_QUERY_TX,    /* node asks u.dns.server about qname/qtype */
    IB_DNS_QUERY_RX,    /* a server got a query from u.dns.server (the asker) */
    IB_DNS_RESPONSE_TX, /* a server answers u.dns.server; u.dns.kind says how */
    IB_DNS_RESPONSE_RX, /* an asker got a response from u.dns.server */
    IB_DNS_CACHE_HIT,   /* a resolver answered from its cache */
    IB_DNS_RESOLVED,    /* a lookup (stub or resolver) finished: kind, addr, ttl */
};

/* How a DNS response answers (u.dns.kind). */
enum ib_dns_kind {
    IB_DNS_KIND_NONE,
    IB_DNS_KIND_ANSWER,    /* the records asked for (u.dns.addr: the first A) */
    IB_DNS_KIND_REFERRAL,  /* "ask the servers of u.dns.zone" (u.dns.addr: a glue address) */
    IB_DNS_KIND_CNAME,     /* an alias to follow */
    IB_DNS_KIND_NXDOMAIN,  /* the name does not exist (RFC 2308 §2.1) */
    IB_DNS_KIND_NODATA,    /* the name exists, without that type (RFC 2308 §2.2) */
    IB_DNS_KIND_TRUNCATED, /* TC set: ask again over TCP (RFC 7766 §5) */
    IB_DNS_KIND_ERROR,     /* SERVFAIL, REFUSED, timeout ... (u.dns.rcode) */
};

/* What an IB_EV_HTTP event reports (u.http.what). */
enum ib_http_what {
    IB_HTTP_FETCH_START,  /* the browser starts on u.http.url */
    IB_HTTP_REQUEST_TX,
    IB_HTTP_REQUEST_RX,
    IB_HTTP_RESPONSE_TX,
    IB_HTTP_RESPONSE_RX,  /* status and body length known */
    IB_HTTP_FETCH_DONE,   /* status, body length; err nonzero if it failed */
};

struct ib_node;
struct ib_netif;

struct ib_event {
    ib_time t;
    enum ib_ev_kind kind;
    uint8_t layer; /* OSI layer: 1 wire, 2 link, 3 network, 4 transport, 7 app */
    enum ib_drop reason;
    const struct ib_node *node;
    const struct ib_netif *nif;
    const uint8_t *data; /* packet bytes at this layer's header, may be NULL */
    uint32_t len;
    uint32_t journey;
    union {
        struct {
            ib_ip4 dst, prefix, gateway;
            uint8_t plen;
            const struct ib_netif *out;
        } route;
        struct {
            ib_ip4 ip;
            struct ib_mac mac;
        } arp;
        struct {
            struct ib_mac mac;
            const struct ib_netif *port;
        } bridge;
        struct {
            uint16_t id, offset, len, count;
            bool more;
        } frag;
        struct {
            uint8_t type, code;
        } icmp;
        struct {
            bool up;
            bool corrupted; /* WIRE_RX: the link flipped a bit */
            bool duplicate; /* WIRE_TX: a copy made by the link */
        } link;
        struct {
            ib_ip4 laddr, raddr;
            uint16_t lport, rport;
            uint8_t old_state, new_state; /* enum ib_tcp_state */
            uint8_t cause;                /* enum ib_tcp_cause */
            uint8_t flags;                /* flags of the causing segment */
            uint32_t seq, ack;            /* of the causing segment */
            uint32_t cwnd, ssthresh, inflight, snd_wnd;
            uint32_t srtt_us, rttvar_us, rto_us;
            uint64_t bytes_acked, bytes_received;
            uint32_t retransmits;
        } tcp;
        /* Strings in these point into the emitter's memory: valid during
         * dispatch only; an observer that keeps them copies them. */
        struct {
            uint8_t what;  /* enum ib_nat_what */
            uint8_t proto; /* IB_IPPROTO_TCP/UDP/ICMP (ICMP: ports are query ids) */
            ib_ip4 in_addr, pub_addr, peer_addr;
            uint16_t in_port, pub_port, peer_port;
        } nat;
        struct {
            uint8_t what; /* enum ib_dhcp_what */
            uint8_t msg;  /* enum ib_dhcp_type for TX/RX */
            uint8_t plen;
            uint32_t xid;
            ib_ip4 ciaddr, yiaddr, server, router, dns;
            uint32_t lease_s;
            struct ib_mac chaddr;
        } dhcp;
        struct {
            uint8_t what; /* enum ib_dns_what */
            uint8_t kind; /* enum ib_dns_kind for responses and RESOLVED */
            uint8_t rcode;
            bool tcp, aa, rd;
            uint16_t id, qtype;
            const char *qname; /* dotted, no trailing dot; "" is the root */
            const char *zone;  /* REFERRAL: the zone delegated to */
            const char *ns;    /* REFERRAL: a name server's name */
            ib_ip4 server;     /* the other end: who was asked, or who asked */
            ib_ip4 addr;       /* ANSWER: first A; REFERRAL: glue */
            uint32_t ttl;
        } dns;
        struct {
            uint8_t what; /* enum ib_http_what */
            uint16_t status;
            int err;      /* FETCH_DONE: 0 or an IB_ERR_ code */
            const char *method, *host, *path, *url;
            ib_ip4 peer;
            uint16_t port;
            uint64_t len; /* body bytes */
        } http;
        struct {
            const char *what; /* e.g. "ping-reply", "traceroute-hop" */
            ib_ip4 peer;
            uint32_t seq;
            uint32_t ttl;
            ib_time rtt;
        } app;
    } u;
};

typedef void (*ib_observer_fn)(void *ctx, const struct ib_event *ev);

#define IB_TRACE_MAX_OBSERVERS 8
struct ib_trace {
    int n;
    struct {
        ib_observer_fn fn;
        void *ctx;
    } obs[IB_TRACE_MAX_OBSERVERS];
};

/* Attaches an observer; returns IB_ERR_NOMEM when all slots are taken. */
int ib_trace_attach(struct ib_trace *tr, ib_observer_fn fn, void *ctx);
/* Removes the observer attached with fn and ctx (the others keep their
 * order); nothing if there is none. Call it before freeing ctx while the
 * bus may still emit. */
void ib_trace_detach(struct ib_trace *tr, ib_observer_fn fn, void *ctx);
void ib_trace_dispatch(struct ib_trace *tr, const struct ib_event *ev);

static inline bool ib_tracing(const struct ib_env *env) { return env->trace != NULL; }

/* Fills the common fields of an event. */
static inline void ib_event_init(struct ib_event *ev, const struct ib_env *env,
                                 enum ib_ev_kind kind, int layer, const struct ib_node *node,
                                 const struct ib_netif *nif, const struct ib_pkt *p)
{
    memset(ev, 0, sizeof(*ev));
    ev->t = ib_now(env);
    ev->kind = kind;
    ev->layer = (uint8_t)layer;
    ev->node = node;
    ev->nif = nif;
    if (p) {
        ev->data = p->data;
        ev->len = p->len;
        ev->journey = p->journey;
    }
}

static inline void ib_emit(struct ib_env *env, const struct ib_event *ev)
{
    if (env->trace)
        ib_trace_dispatch(env->trace, ev);
}

const char *ib_ev_kind_name(enum ib_ev_kind k);

#endif

/* The journey narrator: an observer that records the trace events of a run
 * and, afterwards, tells what happened when a client fetched a URL, step by
 * step, like a student's study notes: DHCP, DNS, the packet built layer by
 * layer, ARP, NAT, routing hop by hop, ARP on the last LAN, the TCP
 * handshake, the server's side and the close.
 *
 * Every line of the story is backed by a recorded event, found by following
 * real identities (DHCP xid, DNS id and name, the TCP 4-tuple, the journey
 * id of the SYN datagram), never by timing guesses. The story is built as
 * structured lines (ib_story_lines), then rendered in English or Korean
 * from the same lines: the text tables hold all the wording. */
#ifndef INETBOX_STORY_H
#define INETBOX_STORY_H

#include <stdio.h>

#include "inetbox/node.h"
#include "inetbox/trace.h"

enum ib_lang { IB_LANG_EN, IB_LANG_KO };
#define IB_LANG_COUNT 2
/* "en" or "ko" (case-insensitive) into *out; IB_ERR_INVAL otherwise. */
int ib_lang_parse(const char *s, enum ib_lang *out);

enum ib_story_step {
    IB_STEP_DHCP = 1,     /* the client gets its address from DHCP */
    IB_STEP_DNS,          /* the browser needs an IP address: DNS, root -> com -> google.com */
    IB_STEP_BUILD,        /* the packet built layer by layer (HTTP, TCP ports, IP addrs, MACs) */
    IB_STEP_ARP_GATEWAY,  /* ARP for the gateway's MAC */
    IB_STEP_NAT,          /* NAT: private source -> public, and back */
    IB_STEP_ROUTING,      /* hop by hop: which route matched at each router */
    IB_STEP_ARP_LAST_HOP, /* ARP inside the server's LAN */
    IB_STEP_HANDSHAKE,    /* 3-way handshake with both sides' states, flags, seq/ack */
    IB_STEP_SERVER,       /* IP -> host, port -> process, HTTP reads the request; response back */
    IB_STEP_CLOSE,        /* 4-way close, FIN_WAIT_1/2, TIME_WAIT (2*MSL), CLOSE_WAIT, LAST_ACK */
};
#define IB_STEP_COUNT 10

/* One kind of story line each. The comment says which parameters of
 * struct ib_story_line it uses; the text tables refer to them as {a0},
 * {p1}, {n0}, {s0} ... (see story_render.c). Kinds from IB_SW_FIRST_NOTE
 * on are notes: explanations and "this step did not happen" lines, shown
 * without a time and node column. */
enum ib_story_what {
    IB_SW_NONE,
    /* 1 DHCP: a0 address (offered, requested or leased), a1 server, a2 DNS
     * server, a3 router, b0 message type, b1 prefix length, n0 xid, n1
     * lease seconds, m0 client MAC, s0 interface */
    IB_SW_DHCP_DISCOVER_TX,
    IB_SW_DHCP_DISCOVER_RX,
    IB_SW_DHCP_OFFER_TX,
    IB_SW_DHCP_OFFER_RX,
    IB_SW_DHCP_REQUEST_TX,
    IB_SW_DHCP_REQUEST_RX,
    IB_SW_DHCP_ACK_TX,
    IB_SW_DHCP_ACK_RX,
    IB_SW_DHCP_OTHER_TX,
    IB_SW_DHCP_OTHER_RX,
    IB_SW_DHCP_BOUND,
    IB_SW_DHCP_LOST,
    /* 2 DNS: s0 URL or name asked, s1 host, zone or kind, s2 name server;
     * a0 the other end, a1 answer or glue address, n0 id, n1 TTL, n2 qtype */
    IB_SW_FETCH_START,
    IB_SW_DNS_STUB_QUERY_DHCP, /* the stub asks the server its lease named */
    IB_SW_DNS_STUB_QUERY,
    IB_SW_DNS_QUERY_TX,
    IB_SW_DNS_QUERY_RX,
    IB_SW_DNS_CACHE_HIT,
    IB_SW_DNS_CACHE_REFERRAL, /* knows from its cache whom to ask: s1 zone, s2 ns, a1 */
    IB_SW_DNS_ANSWER_TX,
    IB_SW_DNS_REFERRAL_TX,
    IB_SW_DNS_OTHER_TX,
    IB_SW_DNS_ANSWER_RX,
    IB_SW_DNS_REFERRAL_RX,
    IB_SW_DNS_OTHER_RX,
    IB_SW_DNS_RESOLVER_DONE,
    IB_SW_DNS_RESOLVED,
    IB_SW_DNS_FAILED,
    IB_SW_DNS_CHAIN, /* s0: "198.41.0.4 (.) -> 192.5.6.30 (com) -> ..." */
    /* 3 BUILD, from the request frame's bytes */
    IB_SW_BUILD_HTTP,    /* s0 request line, s1 Host, n0 HTTP bytes */
    IB_SW_BUILD_TCP,     /* p0 sport, p1 dport, n0 seq, n1 ack, b2 flags, n2 header bytes */
    IB_SW_BUILD_IP,      /* a0 src, a1 dst, n0 TTL, n1 protocol, n2 header bytes */
    IB_SW_BUILD_ETH,     /* m0 src, m1 dst, n0 ethertype */
    IB_SW_BUILD_WIRE,    /* n0 Ethernet, n1 IP, n2 TCP header bytes, n3 HTTP bytes, n4 frame */
    IB_SW_BUILD_PICTURE, /* caption; all the above in one line, drawn as nested boxes */
    /* 4 and 7 ARP: a0 address asked about, a1 the asker, m0 MAC answered */
    IB_SW_ARP_QUEUE,
    IB_SW_ARP_REQUEST,
    IB_SW_ARP_REPLY,
    IB_SW_ARP_LEARN,
    IB_SW_ARP_LEARN_ASKER, /* the answerer also learned the asker (RFC 826) */
    /* 5 NAT: a0:p0 inside, a1:p1 public, a2:p2 peer */
    IB_SW_NAT_MAP,
    IB_SW_NAT_OUT,
    IB_SW_NAT_IN,
    IB_SW_NAT_EXPIRE,
    /* 6 ROUTING */
    IB_SW_ROUTE_SEND,        /* a0 src, a1 dst, a2 gateway, s0 out interface, n0 TTL */
    IB_SW_ROUTE_SEND_DIRECT, /* the same, the destination on the sender's own network */
    IB_SW_ROUTE_HOP,         /* a0/b0 route, a1 gateway, s0 out, s1 in, n0 TTL after */
    IB_SW_ROUTE_HOP_DEFAULT, /* the same, on the default route */
    IB_SW_ROUTE_HOP_DIRECT,  /* a0/b0 connected network, a1 destination itself */
    IB_SW_ROUTE_ARRIVE,      /* a0 dst, n0 routers, n1 TTL sent, n2 TTL now, s0 in */
    IB_SW_ROUTE_DROP,        /* s0 reason name, s1 reason text */
    /* 8 HANDSHAKE and 10 CLOSE: a0:p0 local, a1:p1 remote, b0 old state, b1
     * new state, b2 flags, n0 seq, n1 ack, n2 the ack that follows */
    IB_SW_TCP_CONNECT,
    IB_SW_TCP_LISTEN_SYN,
    IB_SW_TCP_CLIENT_ESTABLISHED,
    IB_SW_TCP_SERVER_ESTABLISHED,
    IB_SW_TCP_FIN_WAIT_1,
    IB_SW_TCP_FIN_WAIT_2,
    IB_SW_TCP_CLOSE_WAIT,
    IB_SW_TCP_LAST_ACK,
    IB_SW_TCP_CLOSING,
    IB_SW_TCP_TIME_WAIT,
    IB_SW_TCP_LAST_ACK_CLOSED,
    IB_SW_TCP_TIME_WAIT_CLOSED, /* dt: how long TIME_WAIT lasted */
    IB_SW_TCP_TIME_WAIT_LEFT,   /* still in TIME_WAIT when the story ends */
    IB_SW_TCP_STATE_SEGMENT,    /* any other change caused by a segment */
    IB_SW_TCP_STATE_OTHER,      /* any other change: b3 the cause (enum ib_tcp_cause) */
    /* 9 SERVER */
    IB_SW_SERVER_IP_RX,     /* a0 dst (own address), a1 src, n0 protocol, s0 in interface */
    IB_SW_SERVER_PORT,      /* p0 port, a0:p1 the client as seen; t2 listener opened */
    IB_SW_HTTP_REQUEST_TX,  /* s0 method, s1 path, s2 host, a0:p0 server */
    IB_SW_HTTP_REQUEST_RX,  /* s0 method, s1 path, s2 host */
    IB_SW_HTTP_RESPONSE_TX, /* n0 status, s0 reason, n1 body bytes */
    IB_SW_HTTP_RESPONSE_RX,
    IB_SW_FETCH_DONE,   /* s0 URL, n0 status, s1 reason, n1 bytes, dt since the start */
    IB_SW_FETCH_FAILED, /* s0 URL, n3 the error (-enum ib_err) */
    /* Notes (no time or node column) */
    IB_SW_NOTE_DHCP,
    IB_SW_NOTE_DNS,
    IB_SW_NOTE_BUILD_MAC, /* m0 the gateway a0's MAC */
    IB_SW_NOTE_ENCAP,
    IB_SW_NOTE_ARP,
    IB_SW_NOTE_ARP_EARLIER,    /* t2 when; a0 the gateway */
    IB_SW_NOTE_ARP_DURING_DNS, /* t2 when; a0 the gateway */
    IB_SW_NOTE_PRIVATE,        /* a0 private, a1 public */
    IB_SW_NOTE_NAT_COUNT,      /* n0 outbound, n1 inbound datagrams rewritten */
    IB_SW_NOTE_ROUTING,        /* n0 routers */
    IB_SW_NOTE_ARP_LAST,
    IB_SW_NOTE_ARP_LAST_EARLIER, /* node, t2 when, a0 the address */
    IB_SW_NOTE_HANDSHAKE,
    IB_SW_NOTE_DEMUX,
    IB_SW_NOTE_TIME_WAIT,      /* dt: 2*MSL as measured */
    IB_SW_NOTE_TIME_WAIT_RULE, /* without a measurement */
    IB_SW_NO_DHCP,             /* node */
    IB_SW_NO_DNS,              /* s0 host */
    IB_SW_NO_DNS_LITERAL,      /* s0 host, an address already */
    IB_SW_NO_BUILD,
    IB_SW_NO_ARP_GATEWAY,  /* node, a0 the gateway */
    IB_SW_NO_NAT,          /* a0 the client's address */
    IB_SW_NO_ROUTING,      /* a0 the server */
    IB_SW_NO_ARP_LAST_HOP, /* node the last router, a0 the next hop, s0 its name */
    IB_SW_NO_LAST_HOP,
    IB_SW_NO_HANDSHAKE, /* a0:p0 the server */
    IB_SW_NO_SERVER,
    IB_SW_NO_CLOSE,
    IB_SW_NO_CONNECTION, /* steps 3-10 without a connection: s0:p0 the server */
    IB_SW__COUNT
};
#define IB_SW_FIRST_NOTE IB_SW_NOTE_DHCP
#define IB_SW_FIRST_MISSING IB_SW_NO_DHCP

static inline bool ib_story_what_is_note(unsigned what)
{
    return what >= IB_SW_FIRST_NOTE && what < IB_SW__COUNT;
}

#define IB_STORY_STR 96

struct ib_story_line {
    uint8_t step;  /* enum ib_story_step */
    uint8_t layer; /* OSI layer 1..7; 0 for notes */
    uint16_t what; /* enum ib_story_what */
    ib_time t;     /* when (simulated time) */
    ib_time t2;    /* an earlier moment the line refers to */
    ib_time dt;    /* a duration */
    char node[IB_NAME_MAX];
    ib_ip4 a[4];
    uint16_t p[4];
    uint32_t n[5];
    uint8_t b[4];
    struct ib_mac m[2];
    char s[3][IB_STORY_STR];
};

struct ib_story;

/* A narrator for client_node fetching url ("http://host[:port]/path").
 * NULL if out of memory. */
struct ib_story *ib_story_new(const char *client_node, const char *url);
void ib_story_free(struct ib_story *st);
/* Bounds what is recorded (defaults: 16384 events, 4 MiB of copied bytes
 * and strings); events beyond are counted, not kept. */
void ib_story_set_limits(struct ib_story *st, size_t max_events, size_t max_bytes);
/* The observer: ib_world_observe(w, ib_story_observe, st). */
void ib_story_observe(void *ctx, const struct ib_event *ev);
/* Events seen but not recorded because a limit was reached. */
uint64_t ib_story_unrecorded(const struct ib_story *st);

/* After the run: classifies the recorded events into steps. Returns 0, or
 * IB_ERR_NOTFOUND if the fetch never reached TCP (no connection to the
 * server was opened): the lines built so far are still available and each
 * missing step has its line saying so; IB_ERR_NOMEM if some lines could
 * not be added. May be called again after more events were observed. */
int ib_story_finish(struct ib_story *st);
/* The lines, ordered by step; valid until the next finish or free. */
size_t ib_story_lines(const struct ib_story *st, const struct ib_story_line **lines);

/* The text of one line (no time, node or layer columns) into buf, cut to
 * cap. Returns the length it would have had (like snprintf). */
size_t ib_story_format(const struct ib_story_line *l, enum ib_lang lang, char *buf, size_t cap);
/* The title (step 0: "The journey of URL, as seen from NODE") or a step's
 * heading ("Step 3 · ..."), as ib_story_print writes them, into buf cut to
 * cap. Returns the length it would have had. */
size_t ib_story_heading(const struct ib_story *st, unsigned step, enum ib_lang lang, char *buf,
                        size_t cap);
/* The title, the step headings and lines, wrapped to 80 columns (Hangul
 * counted two columns wide). Returns 0, IB_ERR_NOMEM or IB_ERR_IO. */
int ib_story_print(const struct ib_story *st, enum ib_lang lang, FILE *out);

#endif

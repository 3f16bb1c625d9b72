/* DHCP (RFC 2131, RFC 2132): the message codec (RFC 2131 §2 fixed format
 * and §4.1 option overload, RFC 2132 options), parsing into a plain struct
 * and emitting from one; then the client and server applications. */
#ifndef INETBOX_DHCP_H
#define INETBOX_DHCP_H

#include "inetbox/types.h"

#define IB_DHCP_SERVER_PORT 67u
#define IB_DHCP_CLIENT_PORT 68u
#define IB_DHCP_FIXED_LEN 236u         /* op .. file, RFC 2131 §2 figure 1 */
#define IB_DHCP_MIN_LEN 300u           /* BOOTP minimum, RFC 1542 §2.1 */
#define IB_DHCP_MAGIC 0x63825363u      /* 99.130.83.99, RFC 2131 §3 */
#define IB_DHCP_FLAG_BROADCAST 0x8000u /* RFC 2131 §2 figure 2 */

#define IB_DHCP_MAX_ADDRS 8u       /* router / DNS list entries kept (rest ignored) */
#define IB_DHCP_MAX_UNKNOWN 16u    /* unknown options kept as opaque (rest ignored) */
#define IB_DHCP_UNKNOWN_BYTES 512u /* their total data, at most */

enum ib_dhcp_op { IB_BOOTREQUEST = 1, IB_BOOTREPLY = 2 };

/* RFC 2132 §9.6 */
enum ib_dhcp_type {
    IB_DHCP_NONE = 0, /* no option 53: plain BOOTP */
    IB_DHCPDISCOVER = 1,
    IB_DHCPOFFER = 2,
    IB_DHCPREQUEST = 3,
    IB_DHCPDECLINE = 4,
    IB_DHCPACK = 5,
    IB_DHCPNAK = 6,
    IB_DHCPRELEASE = 7,
    IB_DHCPINFORM = 8,
};

/* Option codes the codec knows (RFC 2132 section in brackets). */
enum ib_dhcp_opt {
    IB_DHCP_OPT_PAD = 0,           /* §3.1 */
    IB_DHCP_OPT_SUBNET_MASK = 1,   /* §3.3 */
    IB_DHCP_OPT_ROUTER = 3,        /* §3.5 */
    IB_DHCP_OPT_DNS = 6,           /* §3.8 */
    IB_DHCP_OPT_HOST_NAME = 12,    /* §3.14 */
    IB_DHCP_OPT_DOMAIN_NAME = 15,  /* §3.17 */
    IB_DHCP_OPT_REQUESTED_IP = 50, /* §9.1 */
    IB_DHCP_OPT_LEASE_TIME = 51,   /* §9.2 */
    IB_DHCP_OPT_OVERLOAD = 52,     /* §9.3 */
    IB_DHCP_OPT_MSG_TYPE = 53,     /* §9.6 */
    IB_DHCP_OPT_SERVER_ID = 54,    /* §9.7 */
    IB_DHCP_OPT_PARAM_REQ = 55,    /* §9.8 */
    IB_DHCP_OPT_MESSAGE = 56,      /* §9.9 */
    IB_DHCP_OPT_MAX_MSG_SIZE = 57, /* §9.10 */
    IB_DHCP_OPT_RENEWAL_T1 = 58,   /* §9.11 */
    IB_DHCP_OPT_REBINDING_T2 = 59, /* §9.12 */
    IB_DHCP_OPT_CLIENT_ID = 61,    /* §9.14 */
    IB_DHCP_OPT_END = 255,         /* §3.2 */
};

/* Why a message did not parse. Not drop reasons: the DHCP applications
 * decide what a bad message costs. */
enum ib_dhcp_err {
    IB_DHCP_OK = 0,
    IB_DHCP_ERR_SHORT,       /* shorter than the fixed part and the cookie */
    IB_DHCP_ERR_BAD_OP,      /* op neither BOOTREQUEST nor BOOTREPLY */
    IB_DHCP_ERR_BAD_HLEN,    /* hlen over the 16 bytes of chaddr */
    IB_DHCP_ERR_BAD_MAGIC,   /* options do not start with 99.130.83.99 */
    IB_DHCP_ERR_OPT_OVERRUN, /* an option runs past the end of its field */
    IB_DHCP_ERR_OPT_LEN,     /* a length the option's definition forbids */
    IB_DHCP_ERR_OPT_VALUE,   /* a value the option's definition forbids */
    IB_DHCP_ERR_OPT_DUP,     /* a known option appears twice */
    IB_DHCP_ERR_NO_END,      /* a field of options without its end option */
    IB_DHCP_ERR_OVERLOAD,    /* option overload outside the options field */
    IB_DHCP_ERR__COUNT,
};

const char *ib_dhcp_err_str(int err);

struct ib_dhcp_unknown {
    uint8_t code, len;
    uint16_t off; /* into ib_dhcp_msg.unknown_data */
};

/* One message. `has` holds bit (1 << code) for each known option present;
 * variable-length values are byte strings with their length (not NUL
 * terminated). The parser zeroes the whole struct first, so two parses of
 * equal messages compare equal with memcmp. */
struct ib_dhcp_msg {
    uint8_t op, htype, hlen, hops;
    uint32_t xid;
    uint16_t secs, flags;
    ib_ip4 ciaddr, yiaddr, siaddr, giaddr;
    uint8_t chaddr[16];
    uint8_t sname[64]; /* zeroed by the parser when it held options */
    uint8_t file[128]; /* likewise */

    uint64_t has;
    uint8_t type;     /* enum ib_dhcp_type */
    uint8_t overload; /* as received (1 file, 2 sname, 3 both); never emitted */
    ib_ip4 subnet_mask, requested_ip, server_id;
    uint32_t lease_time, t1, t2; /* seconds */
    uint16_t max_msg_size;
    uint8_t n_routers, n_dns;
    ib_ip4 routers[IB_DHCP_MAX_ADDRS];
    ib_ip4 dns[IB_DHCP_MAX_ADDRS];
    uint8_t host_name_len, domain_name_len, message_len, prl_len, client_id_len;
    uint8_t host_name[255], domain_name[255], message[255], prl[255], client_id[255];
    uint8_t n_unknown;
    uint16_t unknown_used;
    struct ib_dhcp_unknown unknown[IB_DHCP_MAX_UNKNOWN];
    uint8_t unknown_data[IB_DHCP_UNKNOWN_BYTES];
};

static inline bool ib_dhcp_has(const struct ib_dhcp_msg *m, unsigned code)
{
    return code < 64 && (m->has >> code & 1u);
}

/* Parses a DHCP message (the UDP payload). Returns 0 or an
 * enum ib_dhcp_err; *out is only meaningful on 0. */
int ib_dhcp_parse(const uint8_t *b, size_t len, struct ib_dhcp_msg *out);
/* Writes m: the fixed part, the cookie, the options in a canonical order
 * (message type first, unknown options last, in the order received), end,
 * then zeros up to IB_DHCP_MIN_LEN bytes. All options go in the options
 * field (no overload). Returns the bytes written, 0 if cap is too small. */
size_t ib_dhcp_emit(const struct ib_dhcp_msg *m, uint8_t *b, size_t cap);
/* Appends an unknown option to m (the bounds above apply); false if full. */
bool ib_dhcp_add_unknown(struct ib_dhcp_msg *m, uint8_t code, const uint8_t *v, uint8_t len);

/* The DHCP applications (RFC 2131 §4.3 server, §4.4 client) on a stack.
 * Both emit an IB_EV_DHCP event (trace.h) for every message they send or
 * accept, and drop what they cannot use with IB_DROP_DHCP_MALFORMED (does
 * not parse, or lacks an option RFC 2131 table 3 makes mandatory) or
 * IB_DROP_DHCP_IGNORED (another client's, or not expected now). */

struct ib_stack;
struct ib_netif;

#define IB_DHCP_DEFAULT_LEASE_S 86400u
#define IB_DHCP_OFFER_HOLD IB_SEC(60)   /* an OFFER reserves its address this long */
#define IB_DHCP_MAX_POOL 65536u         /* addresses in one server's pool, at most */
#define IB_DHCP_CLIENT_TRIES 5u         /* DISCOVERs (or REQUESTs) before starting over */
#define IB_DHCP_CLIENT_PAUSE IB_SEC(10) /* the wait before starting over */

struct ib_dhcp_server_config {
    ib_ip4 pool_first, pool_last; /* addresses handed out, inclusive */
    ib_ip4 router;                /* option 3; 0: none */
    ib_ip4 dns[3];
    uint8_t n_dns;    /* option 6 */
    uint32_t lease_s; /* option 51; IB_DHCP_DEFAULT_LEASE_S if 0 */
};

struct ib_dhcp_server;
/* Serves the network of nif: its address is the server identifier (option
 * 54), its prefix the subnet mask (option 1). The pool must lie in that
 * network and hold at most IB_DHCP_MAX_POOL addresses; the network and
 * broadcast addresses, the server's, the router's and the DNS servers' are
 * never handed out. One server per stack. NULL on error (no address on nif,
 * a bad configuration, port 67 in use, out of memory). */
struct ib_dhcp_server *ib_dhcp_server_start(struct ib_stack *s, struct ib_netif *nif,
                                            const struct ib_dhcp_server_config *cfg);
void ib_dhcp_server_stop(struct ib_dhcp_server *d);

struct ib_dhcp_binding {
    struct ib_mac chaddr;
    ib_ip4 addr;
    ib_time expires;
    bool offered_only; /* offered, not yet requested */
};
/* Copies up to max live bindings (offered or leased, not expired), in
 * address order; returns how many there are. */
size_t ib_dhcp_server_bindings(const struct ib_dhcp_server *d, struct ib_dhcp_binding *out,
                               size_t max);

struct ib_dhcp_lease {
    ib_ip4 addr;
    uint8_t plen;
    ib_ip4 router, server; /* router 0: none */
    ib_ip4 dns[3];
    uint8_t n_dns;
    uint32_t lease_s; /* 0xffffffff: infinite (RFC 2131 §3.3) */
    /* When the lease began: the first sending of the REQUEST the ACK
     * answered (RFC 2131 §4.4.1), so it ends at bound_at + lease_s. */
    ib_time bound_at;
};

/* RFC 2131 §4.4 figure 5, with IDLE for a client that released its lease. */
enum ib_dhcp_client_state {
    IB_DHCPC_IDLE,
    IB_DHCPC_INIT,
    IB_DHCPC_SELECTING,
    IB_DHCPC_REQUESTING,
    IB_DHCPC_BOUND,
    IB_DHCPC_RENEWING,
    IB_DHCPC_REBINDING,
};
const char *ib_dhcp_client_state_str(enum ib_dhcp_client_state st);

struct ib_dhcp_client;
typedef void (*ib_dhcp_bound_fn)(struct ib_dhcp_client *c, const struct ib_dhcp_lease *l,
                                 void *arg);
/* Starts DISCOVER on nif (which has no address). When an ACK arrives the
 * client configures the stack itself: address/prefix on nif, a default
 * route via the router, and s->resolv from the DNS option; then calls
 * bound (may be NULL) for each new binding, not for renewals. It renews at
 * T1, rebinds at T2 (RFC 2131 §4.4.5) and on expiry removes the address
 * and route and starts over. NULL on error (nif not on s, port 68 in use,
 * out of memory). */
struct ib_dhcp_client *ib_dhcp_client_start(struct ib_stack *s, struct ib_netif *nif,
                                            ib_dhcp_bound_fn bound, void *arg);
/* Sends DHCPRELEASE (RFC 2131 §4.4.6) and unconfigures; the client stays
 * idle. */
void ib_dhcp_client_release(struct ib_dhcp_client *c);
/* No message; frees. A lease in use stays configured on the stack. */
void ib_dhcp_client_stop(struct ib_dhcp_client *c);
/* NULL unless bound (BOUND, RENEWING or REBINDING). */
const struct ib_dhcp_lease *ib_dhcp_client_lease(const struct ib_dhcp_client *c);
enum ib_dhcp_client_state ib_dhcp_client_state(const struct ib_dhcp_client *c);

#endif

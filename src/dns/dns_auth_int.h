/* Inside the authoritative server: the state the answer logic (dns_auth.c)
 * and the UDP and TCP transport (dns_auth_net.c) share. */
#ifndef INETBOX_DNS_AUTH_INT_H
#define INETBOX_DNS_AUTH_INT_H

#include "inetbox/dns_server.h"
#include "inetbox/trace.h"

struct dns_tconn;

struct ib_dns_auth {
    struct ib_stack *s; /* NULL: no sockets (ib_dns_auth_new) */
    struct ib_dns_zone **zones;
    size_t nzones, cap;
    /* The query, then the response built in its place: one message at a
     * time, so one (large) struct serves every query. */
    struct ib_dns_msg *m;
    uint8_t *wire; /* a TCP response and its length field */
    struct ib_udp_pcb udp;
    struct ib_tcp *listener;
    struct dns_tconn *conns;
    size_t nconns;
    struct ib_dns_auth_stats stats;
};

/* What a response says, for the trace (u.dns). */
struct ib_dns_auth_info {
    bool query;        /* a query's header was read (QR=0) */
    enum ib_drop drop; /* no response: why the message is dropped */
    uint16_t id, qtype;
    bool rd, aa, tc;
    uint8_t kind, rcode; /* enum ib_dns_kind; rcode with RFC 6891 extensions */
    ib_ip4 addr;
    uint32_t ttl;
    char qname[IB_DNS_NAME_SIZE], zone[IB_DNS_NAME_SIZE], ns[IB_DNS_NAME_SIZE];
};

/* ib_dns_auth_answer with the trace's view of it. Over UDP (udp true) the
 * response is also held to 512 bytes, or to the size the asker offered
 * with EDNS (RFC 6891 §6.2.3) up to IB_DNS_EDNS_SIZE. */
size_t ib_dns_auth_respond(const struct ib_dns_auth *a, const uint8_t *q, size_t qlen, uint8_t *out,
                           size_t cap, bool udp, struct ib_dns_auth_info *info);

#endif

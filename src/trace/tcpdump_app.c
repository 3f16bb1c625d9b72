/* Application payloads in tcpdump-style lines, chosen by port as tcpdump
 * does and decoded with the protocols' own codecs:
 *   DNS (RFC 1035 §4.1) on port 53, over UDP and over TCP with its
 *   two-byte length (RFC 1035 §4.2.2), in tcpdump's notation
 *     "4660+ A? www.google.com. (32)"                      a query, RD set
 *     "4660*- q: A? www.google.com. 1/0/0 A 1.2.3.4 (48)"  an answer: AA set,
 *                                                          RA clear, counts
 *   BOOTP/DHCP (RFC 2131 §2) on ports 67 and 68
 *     "BOOTP/DHCP, Request from 02:00:00:00:00:01, length 300, xid 0x1,
 *      DHCPDISCOVER"
 *   HTTP/1.1 (RFC 9112) on ports 80 and 8080: the start line only
 *     ": HTTP: GET / HTTP/1.1", ": HTTP: HTTP/1.1 200 OK"
 * A payload its codec rejects keeps tcpdump's generic form with a marker
 * saying why. */
#include <arpa/inet.h>
#include <stdlib.h>

#include "inetbox/dhcp.h"
#include "inetbox/dns.h"
#include "inetbox/evname.h"
#include "inetbox/http.h"
#include "tcpdump_int.h"

#define PORT_HTTP 80u
#define PORT_HTTP_ALT 8080u

void ib_td_put_text(struct out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n && o->n + 1 < o->cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            put(o, "%c", c);
        else
            put(o, "\\x%02x", c);
    }
}

/* tcpdump's ns_ops: the opcode after the id, nothing for a standard query. */
static void put_opcode(struct out *o, unsigned op)
{
    static const char *const names[] = {"", " inv_q", " stat", " op3", " notify", " update"};
    if (op < IB_ARRAY_LEN(names))
        put(o, "%s", names[op]);
    else
        put(o, " op%u", op);
}

/* tcpdump's ns_rcode: nothing for NOERROR. */
static void put_rcode(struct out *o, unsigned rcode)
{
    static const char *const names[] = {"",          " FormErr", " ServFail",
                                        " NXDomain", " NotImp",  " Refused"};
    if (rcode < IB_ARRAY_LEN(names))
        put(o, "%s", names[rcode]);
    else
        put(o, " Resp%u", rcode);
}

/* " A? www.google.com." (the root is "."). */
static void put_question(struct out *o, const struct ib_dns_question *q)
{
    char tb[IB_EVNAME_BUF];
    put(o, " %s", ib_evname_dns_type(q->type, tb));
    if (q->cls != IB_DNS_C_IN) put(o, " CLASS%u", q->cls);
    put(o, "? %s.", q->name);
}

/* A record without its owner, as tcpdump shows answers: " A 1.2.3.4". */
static void put_rr(struct out *o, const struct ib_dns_rr *rr)
{
    char tb[IB_EVNAME_BUF];
    put(o, " %s", ib_evname_dns_type(rr->type, tb));
    if (rr->cls != IB_DNS_C_IN) put(o, " CLASS%u", rr->cls);
    switch (rr->type) {
    case IB_DNS_T_A:
        put(o, " ");
        put_ip(o, rr->rd.a);
        break;
    case IB_DNS_T_AAAA: {
        char s[INET6_ADDRSTRLEN];
        if (inet_ntop(AF_INET6, rr->rd.aaaa, s, sizeof(s))) put(o, " %s", s);
        break;
    }
    case IB_DNS_T_NS:
    case IB_DNS_T_CNAME:
    case IB_DNS_T_PTR:
        put(o, " %s.", rr->rd.name);
        break;
    case IB_DNS_T_MX:
        put(o, " %s. %u", rr->rd.mx.host, rr->rd.mx.pref);
        break;
    case IB_DNS_T_TXT:
        /* RFC 1035 §3.3.14: length-prefixed character-strings */
        for (size_t i = 0; i < rr->rd.raw.len;) {
            size_t n = rr->rd.raw.data[i++];
            if (n > rr->rd.raw.len - i) n = rr->rd.raw.len - i;
            put(o, " \"");
            ib_td_put_text(o, (const char *)rr->rd.raw.data + i, n);
            put(o, "\"");
            i += n;
        }
        break;
    default:
        break; /* tcpdump shows SOA and opaque data only with -v */
    }
}

static void put_section(struct out *o, const struct ib_dns_rr *rr, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (i > 0) put(o, ",");
        put_rr(o, &rr[i]);
    }
}

static void put_dns_msg(struct out *o, const struct ib_dns_msg *m)
{
    put(o, "%u", m->id);
    put_opcode(o, m->opcode);
    if (!m->qr) {
        /* RFC 4035 §3.2.2: CD is the low bit of Z as we keep it */
        put(o, "%s%s", m->rd ? "+" : "", m->z & 1 ? "%" : "");
        if (m->qdcount != 1) put(o, " [%uq]", m->qdcount);
        if (m->ancount) put(o, " [%ua]", m->ancount);
        if (m->nscount) put(o, " [%un]", m->nscount);
        if (m->arcount) put(o, " [%uau]", m->arcount);
        for (unsigned i = 0; i < m->qdcount && i < IB_DNS_MAX_QD; i++)
            put_question(o, &m->qd[i]);
        return;
    }
    put_rcode(o, m->rcode);
    /* RFC 4035 §3.2.3: AD is the middle bit of Z */
    put(o, "%s%s%s%s", m->aa ? "*" : "", m->ra ? "" : "-", m->tc ? "|" : "", m->z & 2 ? "$" : "");
    if (m->qdcount != 1) put(o, " [%uq]", m->qdcount);
    if (m->qdcount > 0) {
        put(o, " q:");
        for (unsigned i = 0; i < m->qdcount && i < IB_DNS_MAX_QD; i++)
            put_question(o, &m->qd[i]);
    }
    put(o, " %u/%u/%u", m->ancount, m->nscount, m->arcount);
    put_section(o, m->an, m->ancount);
}

/* The message and its length, or the reason it does not parse. */
static void put_dns(struct out *o, const uint8_t *b, size_t n)
{
    struct ib_dns_msg *m = malloc(sizeof(*m));
    int err = m ? ib_dns_parse(b, n, m) : IB_DNS_ERR_SHORT;
    if (err == IB_DNS_OK)
        put_dns_msg(o, m);
    else if (m &&
             (err == IB_DNS_ERR_SHORT || err == IB_DNS_ERR_TRUNCATED || err == IB_DNS_ERR_COUNT))
        put(o, "[|domain]");
    else
        put(o, "[malformed domain: %s]", m ? ib_dns_err_str(err) : "out of memory");
    put(o, " (%zu)", n);
    free(m);
}

/* tcpdump's bootp_print, with the -v fields that tell a DHCP exchange
 * apart: the transaction id, the addresses given and the message type
 * (RFC 2132 §9.6). */
static void put_dhcp(struct out *o, const uint8_t *b, size_t n)
{
    struct ib_dhcp_msg m;
    int err = ib_dhcp_parse(b, n, &m);
    if (err != IB_DHCP_OK) {
        put(o, "BOOTP/DHCP, length %zu [malformed: %s]", n, ib_dhcp_err_str(err));
        return;
    }
    put(o, "BOOTP/DHCP, %s", m.op == IB_BOOTREQUEST ? "Request" : "Reply");
    /* RFC 1700: htype 1 is Ethernet, whose addresses are 6 bytes */
    if (m.op == IB_BOOTREQUEST && m.htype == 1 && m.hlen == 6) {
        struct ib_mac mac;
        memcpy(mac.b, m.chaddr, 6);
        put(o, " from ");
        put_mac(o, &mac);
    }
    put(o, ", length %zu, xid 0x%x", n, (unsigned)m.xid);
    if (m.ciaddr) {
        put(o, ", Client-IP ");
        put_ip(o, m.ciaddr);
    }
    if (m.yiaddr) {
        put(o, ", Your-IP ");
        put_ip(o, m.yiaddr);
    }
    if (m.type != IB_DHCP_NONE) put(o, ", %s", ib_evname_dhcp_msg(m.type));
}

bool ib_td_udp_app(struct out *o, uint16_t sport, uint16_t dport, const uint8_t *b, size_t n)
{
    if (sport == IB_DNS_PORT || dport == IB_DNS_PORT) {
        put_dns(o, b, n);
        return true;
    }
    if (sport == IB_DHCP_SERVER_PORT || dport == IB_DHCP_SERVER_PORT ||
        sport == IB_DHCP_CLIENT_PORT || dport == IB_DHCP_CLIENT_PORT) {
        put_dhcp(o, b, n);
        return true;
    }
    return false;
}

static void put_http_str(struct out *o, struct ib_http_str s)
{
    ib_td_put_text(o, s.p, s.n);
}

/* Like tcpdump's txtproto_print when the data starts with a request or
 * status line (RFC 9112 §3, §4): ": HTTP: " and that line as it parsed.
 * Other segments (body, the rest of a header) get nothing, where tcpdump
 * would say ": HTTP": the frame lines people already read stay as they
 * were. */
static void put_http(struct out *o, const uint8_t *b, size_t n)
{
    const uint8_t *lf = memchr(b, '\n', n < IB_HTTP_DEF_LINE ? n : IB_HTTP_DEF_LINE);
    if (!lf) return;
    size_t line = (size_t)(lf - b) + 1;
    struct ib_http_parser *p = malloc(sizeof(*p));
    if (!p) return;
    for (int kind = IB_HTTP_REQUEST; kind <= IB_HTTP_RESPONSE; kind++) {
        ib_http_parser_init(p, (enum ib_http_kind)kind, NULL, NULL);
        size_t used;
        if (ib_http_feed(p, b, line, &used) != 0) continue;
        const struct ib_http_msg *m = &p->msg;
        if (kind == IB_HTTP_REQUEST && m->method.n > 0) {
            put(o, ": HTTP: ");
            put_http_str(o, m->method);
            put(o, " ");
            put_http_str(o, m->target);
            put(o, " HTTP/%u.%u", m->major, m->minor);
            break;
        }
        if (kind == IB_HTTP_RESPONSE && m->status != 0) {
            put(o, ": HTTP: HTTP/%u.%u %03u", m->major, m->minor, m->status);
            if (m->reason.n) {
                put(o, " ");
                put_http_str(o, m->reason);
            }
            break;
        }
    }
    free(p);
}

void ib_td_tcp_app(struct out *o, uint16_t sport, uint16_t dport, const uint8_t *b, size_t n)
{
    if (n == 0) return;
    if (sport == PORT_HTTP || dport == PORT_HTTP || sport == PORT_HTTP_ALT ||
        dport == PORT_HTTP_ALT) {
        put_http(o, b, n);
    } else if ((sport == IB_DNS_PORT || dport == IB_DNS_PORT) && n >= 2 &&
               (size_t)ib_get16(b) <= n - 2) {
        /* RFC 1035 §4.2.2: a two-byte length, then the message; only a
         * segment holding a whole message is decoded (tcpdump puts no
         * colon here) */
        put(o, " ");
        put_dns(o, b + 2, ib_get16(b));
    }
}

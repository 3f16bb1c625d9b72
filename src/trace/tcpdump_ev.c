/* The journey in tcpdump-style lines: besides the frames, one line per
 * TCP state change and per NAT, DHCP, DNS and HTTP event, e.g.
 *   laptop TCP 192.168.0.100:49152 > 142.250.196.100:80 SYN_SENT -> ESTABLISHED (rcvd SYN+ACK)
 *   home-router NAT map tcp 192.168.0.100:49152 <-> 121.160.55.23:1024 (peer 142.250.196.100:80)
 *   laptop DHCP rcvd DHCPOFFER xid 0x5a7e1e41, yiaddr 192.168.0.100, server 192.168.0.1
 *   isp-dns DNS response 4660 A? www.google.com. from 198.41.0.4: referral to com.
 *       (a.gtld-servers.net. 192.5.6.30)
 *   laptop HTTP response 200 OK, 1256 bytes from 142.250.196.100:80
 * Names and strings come from the events (include/inetbox/trace.h). */
#include "inetbox/dhcp.h"
#include "inetbox/dns.h"
#include "inetbox/evname.h"
#include "inetbox/http.h"
#include "inetbox/ipv4.h"
#include "inetbox/tcp.h"
#include "tcpdump_int.h"

static void put_str(struct out *o, const char *s)
{
    if (s) ib_td_put_text(o, s, strlen(s));
}

static void put_ep(struct out *o, ib_ip4 a, uint16_t port)
{
    put_ip(o, a);
    put(o, ":%u", port);
}

/* RFC 9293 §3.1 control bits as words: "SYN+ACK". */
static void put_tcp_flag_words(struct out *o, uint8_t flags)
{
    static const char *const names[8] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
    /* the order people say them in: SYN+ACK, FIN+ACK, RST+ACK */
    static const uint8_t order[8] = {1, 0, 2, 3, 5, 6, 7, 4};
    bool first = true;
    for (unsigned i = 0; i < 8; i++) {
        if (!(flags & (1u << order[i]))) continue;
        put(o, "%s%s", first ? "" : "+", names[order[i]]);
        first = false;
    }
    if (first) put(o, "segment");
}

static void put_tcp_cause(struct out *o, const struct ib_event *ev)
{
    switch (ev->u.tcp.cause) {
    case IB_TCP_CAUSE_APP_OPEN:
        put(o, ev->u.tcp.new_state == IB_TCP_LISTEN ? "listen" : "connect");
        break;
    case IB_TCP_CAUSE_APP_CLOSE:
        put(o, "close");
        break;
    case IB_TCP_CAUSE_APP_ABORT:
        put(o, "abort");
        break;
    case IB_TCP_CAUSE_SEGMENT:
        put(o, "rcvd ");
        put_tcp_flag_words(o, ev->u.tcp.flags);
        break;
    case IB_TCP_CAUSE_RTO:
        put(o, "retransmission timeout");
        break;
    case IB_TCP_CAUSE_TIME_WAIT:
        /* RFC 9293 §3.6.1: TIME_WAIT lasts 2 MSL */
        put(o, "2MSL timer");
        break;
    case IB_TCP_CAUSE_KEEPALIVE:
        put(o, "keepalive timeout");
        break;
    case IB_TCP_CAUSE_ICMP:
        put(o, "ICMP error");
        break;
    default:
        put(o, "%s", ib_evname_tcp_cause(ev->u.tcp.cause));
    }
}

static void put_tcp_state(struct out *o, const struct ib_event *ev)
{
    put(o, "TCP ");
    put_ep(o, ev->u.tcp.laddr, ev->u.tcp.lport);
    put(o, " > ");
    put_ep(o, ev->u.tcp.raddr, ev->u.tcp.rport);
    put(o, " %s -> %s (", ib_tcp_state_name((enum ib_tcp_state)ev->u.tcp.old_state),
        ib_tcp_state_name((enum ib_tcp_state)ev->u.tcp.new_state));
    put_tcp_cause(o, ev);
    put(o, ")");
}

/* ICMP queries are mapped by their identifier, which NAT keeps in the
 * port fields (RFC 5508 §3.1). */
static void put_nat_ep(struct out *o, uint8_t proto, ib_ip4 a, uint16_t port)
{
    if (proto == IB_IPPROTO_ICMP) {
        put_ip(o, a);
        put(o, " id %u", port);
    } else {
        put_ep(o, a, port);
    }
}

static void put_nat(struct out *o, const struct ib_event *ev)
{
    uint8_t pr = ev->u.nat.proto;
    const char *proto = pr == IB_IPPROTO_TCP ? "tcp" : pr == IB_IPPROTO_UDP ? "udp" : "icmp";
    put(o, "NAT %s %s ", ib_evname_nat_what(ev->u.nat.what), proto);
    switch (ev->u.nat.what) {
    case IB_NAT_OUT:
        put(o, "src ");
        put_nat_ep(o, pr, ev->u.nat.in_addr, ev->u.nat.in_port);
        put(o, " -> ");
        put_nat_ep(o, pr, ev->u.nat.pub_addr, ev->u.nat.pub_port);
        put(o, " (to ");
        break;
    case IB_NAT_IN:
    case IB_NAT_ICMP_ERR:
        put(o, "dst ");
        put_nat_ep(o, pr, ev->u.nat.pub_addr, ev->u.nat.pub_port);
        put(o, " -> ");
        put_nat_ep(o, pr, ev->u.nat.in_addr, ev->u.nat.in_port);
        put(o, " (from ");
        break;
    default: /* MAP, EXPIRE */
        put_nat_ep(o, pr, ev->u.nat.in_addr, ev->u.nat.in_port);
        put(o, " <-> ");
        put_nat_ep(o, pr, ev->u.nat.pub_addr, ev->u.nat.pub_port);
        put(o, " (peer ");
    }
    put_nat_ep(o, pr, ev->u.nat.peer_addr, ev->u.nat.peer_port);
    put(o, ")");
}

static void put_ip_field(struct out *o, const char *name, ib_ip4 a)
{
    if (a == 0) return;
    put(o, ", %s ", name);
    put_ip(o, a);
}

static void put_dhcp(struct out *o, const struct ib_event *ev)
{
    switch (ev->u.dhcp.what) {
    case IB_DHCP_TX:
    case IB_DHCP_RX:
        put(o, "DHCP %s %s xid 0x%x", ev->u.dhcp.what == IB_DHCP_TX ? "send" : "rcvd",
            ib_evname_dhcp_msg(ev->u.dhcp.msg), (unsigned)ev->u.dhcp.xid);
        put(o, ", chaddr ");
        put_mac(o, &ev->u.dhcp.chaddr);
        put_ip_field(o, "ciaddr", ev->u.dhcp.ciaddr);
        put_ip_field(o, "yiaddr", ev->u.dhcp.yiaddr);
        put_ip_field(o, "server", ev->u.dhcp.server);
        return;
    case IB_DHCP_LOST:
        put(o, "DHCP lost ");
        put_ip(o, ev->u.dhcp.yiaddr);
        if (ev->u.dhcp.msg != IB_DHCP_NONE) put(o, " (%s)", ib_evname_dhcp_msg(ev->u.dhcp.msg));
        return;
    default: /* BOUND, RENEWED */
        put(o, "DHCP %s ", ib_evname_dhcp_what(ev->u.dhcp.what));
        put_ip(o, ev->u.dhcp.yiaddr);
        put(o, "/%u", ev->u.dhcp.plen);
        put_ip_field(o, "router", ev->u.dhcp.router);
        put_ip_field(o, "dns", ev->u.dhcp.dns);
        put(o, ", lease %us", (unsigned)ev->u.dhcp.lease_s);
        put_ip_field(o, "server", ev->u.dhcp.server);
    }
}

/* A name as dotted text with its final dot; the root is ".". */
static void put_fqdn(struct out *o, const char *name)
{
    put_str(o, name);
    if (!name || !*name || name[strlen(name) - 1] != '.') put(o, ".");
}

/* What a response or a finished lookup says (u.dns.kind). */
static void put_dns_outcome(struct out *o, const struct ib_event *ev)
{
    char rb[IB_EVNAME_BUF];
    switch (ev->u.dns.kind) {
    case IB_DNS_KIND_ANSWER:
        put(o, ": answer ");
        put_ip(o, ev->u.dns.addr);
        put(o, " ttl %u", (unsigned)ev->u.dns.ttl);
        break;
    case IB_DNS_KIND_REFERRAL:
        put(o, ": referral to ");
        put_fqdn(o, ev->u.dns.zone);
        put(o, " (");
        put_fqdn(o, ev->u.dns.ns);
        if (ev->u.dns.addr) {
            put(o, " ");
            put_ip(o, ev->u.dns.addr);
        }
        put(o, ")");
        break;
    case IB_DNS_KIND_CNAME:
        put(o, ": alias");
        break;
    case IB_DNS_KIND_NXDOMAIN:
        put(o, ": NXDOMAIN");
        break;
    case IB_DNS_KIND_NODATA:
        put(o, ": no data");
        break;
    case IB_DNS_KIND_TRUNCATED:
        put(o, ": truncated");
        break;
    case IB_DNS_KIND_ERROR:
        put(o, ": error");
        if (ev->u.dns.rcode != IB_DNS_R_NOERROR)
            put(o, " %s", ib_evname_dns_rcode(ev->u.dns.rcode, rb));
        break;
    default:
        return;
    }
    if (ev->u.dns.aa) put(o, " (authoritative)");
}

static void put_dns(struct out *o, const struct ib_event *ev)
{
    static const char *const verbs[] = {
        [IB_DNS_QUERY_TX] = "query",       [IB_DNS_QUERY_RX] = "query",
        [IB_DNS_RESPONSE_TX] = "response", [IB_DNS_RESPONSE_RX] = "response",
        [IB_DNS_CACHE_HIT] = "cache hit",  [IB_DNS_RESOLVED] = "resolved",
    };
    static const char *const dirs[] = {
        [IB_DNS_QUERY_TX] = " to",
        [IB_DNS_QUERY_RX] = " from",
        [IB_DNS_RESPONSE_TX] = " to",
        [IB_DNS_RESPONSE_RX] = " from",
    };
    unsigned what = ev->u.dns.what;
    char tb[IB_EVNAME_BUF];
    put(o, "DNS %s", what < IB_ARRAY_LEN(verbs) ? verbs[what] : ib_evname_dns_what(what));
    if (what < IB_ARRAY_LEN(dirs) && dirs[what]) put(o, " %u", ev->u.dns.id);
    put(o, " %s? ", ib_evname_dns_type(ev->u.dns.qtype, tb));
    put_fqdn(o, ev->u.dns.qname);
    if (what < IB_ARRAY_LEN(dirs) && dirs[what]) {
        put(o, "%s ", dirs[what]);
        put_ip(o, ev->u.dns.server);
        if (ev->u.dns.rd && (what == IB_DNS_QUERY_TX || what == IB_DNS_QUERY_RX))
            put(o, " (recursion desired)");
        if (ev->u.dns.tcp) put(o, " over TCP");
    }
    put_dns_outcome(o, ev);
}

/* "200 OK, 1256 bytes" (RFC 9110 §15 reason phrases). */
static void put_status(struct out *o, uint16_t status, uint64_t len)
{
    const char *reason = ib_http_reason(status);
    put(o, "%03u%s%s, %llu bytes", status, *reason ? " " : "", reason, (unsigned long long)len);
}

static void put_http(struct out *o, const struct ib_event *ev)
{
    bool tx = ev->u.http.what == IB_HTTP_REQUEST_TX || ev->u.http.what == IB_HTTP_RESPONSE_TX;
    switch (ev->u.http.what) {
    case IB_HTTP_FETCH_START:
        put(o, "HTTP fetch ");
        put_str(o, ev->u.http.url);
        return;
    case IB_HTTP_FETCH_DONE:
        put(o, "HTTP %s ", ev->u.http.err ? "failed" : "done");
        put_str(o, ev->u.http.url);
        if (ev->u.http.err) {
            put(o, ": %s", ib_err_str(ev->u.http.err));
            return;
        }
        put(o, ": ");
        put_status(o, ev->u.http.status, ev->u.http.len);
        return;
    case IB_HTTP_REQUEST_TX:
    case IB_HTTP_REQUEST_RX:
        put(o, "HTTP request ");
        put_str(o, ev->u.http.method);
        put(o, " ");
        put_str(o, ev->u.http.path);
        if (ev->u.http.host) {
            put(o, " (Host ");
            put_str(o, ev->u.http.host);
            put(o, ")");
        }
        break;
    default:
        put(o, "HTTP response ");
        put_status(o, ev->u.http.status, ev->u.http.len);
    }
    put(o, tx ? " to " : " from ");
    put_ep(o, ev->u.http.peer, ev->u.http.port);
}

bool ib_td_event(struct out *o, const struct ib_event *ev)
{
    switch (ev->kind) {
    case IB_EV_TCP_STATE:
        put_tcp_state(o, ev);
        return true;
    case IB_EV_NAT:
        put_nat(o, ev);
        return true;
    case IB_EV_DHCP:
        put_dhcp(o, ev);
        return true;
    case IB_EV_DNS:
        put_dns(o, ev);
        return true;
    case IB_EV_HTTP:
        put_http(o, ev);
        return true;
    default:
        return false;
    }
}

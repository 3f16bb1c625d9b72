/* The JSON lines observer (include/inetbox/json.h): one RFC 8259 object
 * per event, written straight to the stream. Keys come in a fixed order
 * and numbers are integers, so the output is a pure function of the
 * events. */
#include "inetbox/json.h"

#include <stdlib.h>
#include <time.h>

#include "inetbox/evname.h"
#include "inetbox/ipv4.h"
#include "inetbox/netif.h"
#include "inetbox/node.h"
#include "inetbox/tcp.h"

struct ib_json {
    FILE *out;
    enum ib_json_data data;
};

struct ib_json *ib_json_new(FILE *out)
{
    struct ib_json *j = calloc(1, sizeof(*j));
    if (j) j->out = out;
    return j;
}

void ib_json_set_data(struct ib_json *j, enum ib_json_data data)
{
    j->data = data;
}

void ib_json_free(struct ib_json *j)
{
    free(j);
}

/* Length of the valid UTF-8 sequence at s (RFC 3629 §4: no overlong
 * forms, no surrogates, nothing above U+10FFFF), 0 if there is none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf; /* range of the second byte */
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4;
    else
        return 0;
    if (c == 0xe0)
        lo = 0xa0;
    else if (c == 0xed)
        hi = 0x9f;
    else if (c == 0xf0)
        lo = 0x90;
    else if (c == 0xf4)
        hi = 0x8f;
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xc0) != 0x80) return 0;
    return len;
}

void ib_json_put_string(FILE *out, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    putc('"', out);
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        /* RFC 8259 §7: quotation mark, reverse solidus and the control
         * characters U+0000 to U+001F must be escaped */
        if (c == '"' || c == '\\') {
            putc('\\', out);
            putc(c, out);
        } else if (c == '\n') {
            fputs("\\n", out);
        } else if (c == '\r') {
            fputs("\\r", out);
        } else if (c == '\t') {
            fputs("\\t", out);
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(out, "\\u%04x", c);
        } else {
            size_t len = utf8_len(u + i, n - i);
            if (len == 0) {
                /* RFC 8259 §8.1: text must be UTF-8; a stray byte is
                 * shown as the replacement character */
                fputs("\\ufffd", out);
                i++;
                continue;
            }
            fwrite(u + i, 1, len, out);
            i += len;
            continue;
        }
        i++;
    }
    putc('"', out);
}

/* A writer keeping track of whether a comma is due. */
struct w {
    FILE *out;
    bool first;
};

static void key(struct w *w, const char *k)
{
    if (!w->first) putc(',', w->out);
    w->first = false;
    fprintf(w->out, "\"%s\":", k);
}

static void begin(struct w *w, const char *k)
{
    key(w, k);
    putc('{', w->out);
    w->first = true;
}

static void end(struct w *w)
{
    putc('}', w->out);
    w->first = false;
}

static void k_str(struct w *w, const char *k, const char *s)
{
    key(w, k);
    if (s)
        ib_json_put_string(w->out, s, strlen(s));
    else
        fputs("null", w->out);
}

static void k_u(struct w *w, const char *k, uint64_t v)
{
    key(w, k);
    fprintf(w->out, "%llu", (unsigned long long)v);
}

static void k_i(struct w *w, const char *k, int64_t v)
{
    key(w, k);
    fprintf(w->out, "%lld", (long long)v);
}

static void k_bool(struct w *w, const char *k, bool v)
{
    key(w, k);
    fputs(v ? "true" : "false", w->out);
}

static void k_ip(struct w *w, const char *k, ib_ip4 a)
{
    char s[IB_IP4_STRLEN];
    k_str(w, k, ib_ip4_str(a, s));
}

static void k_mac(struct w *w, const char *k, const struct ib_mac *m)
{
    char s[IB_MAC_STRLEN];
    k_str(w, k, ib_mac_str(m, s));
}

static void k_nif(struct w *w, const char *k, const struct ib_netif *nif)
{
    k_str(w, k, nif ? nif->name : NULL);
}

static void k_hex(struct w *w, const char *k, const uint8_t *b, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    key(w, k);
    putc('"', w->out);
    for (size_t i = 0; i < n; i++) {
        putc(digits[b[i] >> 4], w->out);
        putc(digits[b[i] & 15], w->out);
    }
    putc('"', w->out);
}

static const char *proto_name(uint8_t proto)
{
    switch (proto) {
    case IB_IPPROTO_ICMP:
        return "icmp";
    case IB_IPPROTO_TCP:
        return "tcp";
    case IB_IPPROTO_UDP:
        return "udp";
    default:
        return "unknown";
    }
}

/* RFC 9293 §3.1 control bits, lowest first, as an array of names. */
static void k_tcp_flags(struct w *w, const char *k, uint8_t flags)
{
    static const char *const names[8] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
    key(w, k);
    putc('[', w->out);
    bool first = true;
    for (unsigned i = 0; i < 8; i++) {
        if (!(flags & (1u << i))) continue;
        fprintf(w->out, "%s\"%s\"", first ? "" : ",", names[i]);
        first = false;
    }
    putc(']', w->out);
}

static void put_tcp(struct w *w, const struct ib_event *ev)
{
    begin(w, "tcp");
    k_ip(w, "laddr", ev->u.tcp.laddr);
    k_u(w, "lport", ev->u.tcp.lport);
    k_ip(w, "raddr", ev->u.tcp.raddr);
    k_u(w, "rport", ev->u.tcp.rport);
    k_str(w, "old_state", ib_tcp_state_name((enum ib_tcp_state)ev->u.tcp.old_state));
    k_str(w, "new_state", ib_tcp_state_name((enum ib_tcp_state)ev->u.tcp.new_state));
    k_str(w, "cause", ib_evname_tcp_cause(ev->u.tcp.cause));
    k_tcp_flags(w, "flags", ev->u.tcp.flags);
    k_u(w, "seq", ev->u.tcp.seq);
    k_u(w, "ack", ev->u.tcp.ack);
    k_u(w, "cwnd", ev->u.tcp.cwnd);
    k_u(w, "ssthresh", ev->u.tcp.ssthresh);
    k_u(w, "inflight", ev->u.tcp.inflight);
    k_u(w, "snd_wnd", ev->u.tcp.snd_wnd);
    k_u(w, "srtt_us", ev->u.tcp.srtt_us);
    k_u(w, "rttvar_us", ev->u.tcp.rttvar_us);
    k_u(w, "rto_us", ev->u.tcp.rto_us);
    k_u(w, "bytes_acked", ev->u.tcp.bytes_acked);
    k_u(w, "bytes_received", ev->u.tcp.bytes_received);
    k_u(w, "retransmits", ev->u.tcp.retransmits);
    end(w);
}

static void put_nat(struct w *w, const struct ib_event *ev)
{
    begin(w, "nat");
    k_str(w, "what", ib_evname_nat_what(ev->u.nat.what));
    k_str(w, "proto", proto_name(ev->u.nat.proto));
    k_ip(w, "in_addr", ev->u.nat.in_addr);
    k_u(w, "in_port", ev->u.nat.in_port);
    k_ip(w, "pub_addr", ev->u.nat.pub_addr);
    k_u(w, "pub_port", ev->u.nat.pub_port);
    k_ip(w, "peer_addr", ev->u.nat.peer_addr);
    k_u(w, "peer_port", ev->u.nat.peer_port);
    end(w);
}

static void put_dhcp(struct w *w, const struct ib_event *ev)
{
    begin(w, "dhcp");
    k_str(w, "what", ib_evname_dhcp_what(ev->u.dhcp.what));
    k_str(w, "msg", ib_evname_dhcp_msg(ev->u.dhcp.msg));
    k_u(w, "xid", ev->u.dhcp.xid);
    k_ip(w, "ciaddr", ev->u.dhcp.ciaddr);
    k_ip(w, "yiaddr", ev->u.dhcp.yiaddr);
    k_u(w, "plen", ev->u.dhcp.plen);
    k_ip(w, "server", ev->u.dhcp.server);
    k_ip(w, "router", ev->u.dhcp.router);
    k_ip(w, "dns", ev->u.dhcp.dns);
    k_u(w, "lease_s", ev->u.dhcp.lease_s);
    k_mac(w, "chaddr", &ev->u.dhcp.chaddr);
    end(w);
}

static void put_dns(struct w *w, const struct ib_event *ev)
{
    char b[IB_EVNAME_BUF];
    begin(w, "dns");
    k_str(w, "what", ib_evname_dns_what(ev->u.dns.what));
    k_str(w, "kind", ib_evname_dns_kind(ev->u.dns.kind));
    k_str(w, "rcode", ib_evname_dns_rcode(ev->u.dns.rcode, b));
    k_u(w, "id", ev->u.dns.id);
    k_bool(w, "tcp", ev->u.dns.tcp);
    k_bool(w, "aa", ev->u.dns.aa);
    k_bool(w, "rd", ev->u.dns.rd);
    k_str(w, "qname", ev->u.dns.qname);
    k_str(w, "qtype", ib_evname_dns_type(ev->u.dns.qtype, b));
    k_str(w, "zone", ev->u.dns.zone);
    k_str(w, "ns", ev->u.dns.ns);
    k_ip(w, "server", ev->u.dns.server);
    k_ip(w, "addr", ev->u.dns.addr);
    k_u(w, "ttl", ev->u.dns.ttl);
    end(w);
}

static void put_http(struct w *w, const struct ib_event *ev)
{
    begin(w, "http");
    k_str(w, "what", ib_evname_http_what(ev->u.http.what));
    k_str(w, "method", ev->u.http.method);
    k_str(w, "host", ev->u.http.host);
    k_str(w, "path", ev->u.http.path);
    k_str(w, "url", ev->u.http.url);
    k_ip(w, "peer", ev->u.http.peer);
    k_u(w, "port", ev->u.http.port);
    k_u(w, "status", ev->u.http.status);
    k_u(w, "len", ev->u.http.len);
    k_i(w, "err", ev->u.http.err);
    k_str(w, "err_text", ev->u.http.err ? ib_err_str(ev->u.http.err) : NULL);
    end(w);
}

/* The union member the kind fills (include/inetbox/trace.h). */
static void put_member(struct w *w, const struct ib_event *ev)
{
    switch (ev->kind) {
    case IB_EV_WIRE_TX:
    case IB_EV_WIRE_RX:
    case IB_EV_LINK_STATE:
        begin(w, "link");
        k_bool(w, "up", ev->u.link.up);
        k_bool(w, "corrupted", ev->u.link.corrupted);
        k_bool(w, "duplicate", ev->u.link.duplicate);
        end(w);
        break;
    case IB_EV_BRIDGE_LEARN:
    case IB_EV_BRIDGE_FWD:
    case IB_EV_BRIDGE_FLOOD:
        begin(w, "bridge");
        k_mac(w, "mac", &ev->u.bridge.mac);
        k_nif(w, "port", ev->u.bridge.port);
        end(w);
        break;
    case IB_EV_ARP_REQUEST:
    case IB_EV_ARP_REPLY:
    case IB_EV_ARP_ANNOUNCE:
    case IB_EV_ARP_LEARN:
    case IB_EV_ARP_QUEUE:
    case IB_EV_ARP_FAIL:
        begin(w, "arp");
        k_ip(w, "ip", ev->u.arp.ip);
        k_mac(w, "mac", &ev->u.arp.mac);
        end(w);
        break;
    case IB_EV_IP_FORWARD:
        begin(w, "route");
        k_ip(w, "dst", ev->u.route.dst);
        k_ip(w, "prefix", ev->u.route.prefix);
        k_u(w, "plen", ev->u.route.plen);
        k_ip(w, "gateway", ev->u.route.gateway);
        k_nif(w, "out", ev->u.route.out);
        end(w);
        break;
    case IB_EV_IP_FRAGMENT:
    case IB_EV_IP_REASSEMBLED:
        begin(w, "frag");
        k_u(w, "id", ev->u.frag.id);
        k_u(w, "offset", ev->u.frag.offset);
        k_u(w, "len", ev->u.frag.len);
        k_u(w, "count", ev->u.frag.count);
        k_bool(w, "more", ev->u.frag.more);
        end(w);
        break;
    case IB_EV_ICMP_TX:
    case IB_EV_ICMP_RX:
        begin(w, "icmp");
        k_u(w, "type", ev->u.icmp.type);
        k_u(w, "code", ev->u.icmp.code);
        end(w);
        break;
    case IB_EV_APP:
        begin(w, "app");
        k_str(w, "what", ev->u.app.what);
        k_ip(w, "peer", ev->u.app.peer);
        k_u(w, "seq", ev->u.app.seq);
        k_u(w, "ttl", ev->u.app.ttl);
        k_i(w, "rtt", ev->u.app.rtt);
        end(w);
        break;
    case IB_EV_TCP_STATE:
    case IB_EV_TCP_INFO:
    case IB_EV_TCP_RETRANSMIT:
        put_tcp(w, ev);
        break;
    case IB_EV_NAT:
        put_nat(w, ev);
        break;
    case IB_EV_DHCP:
        put_dhcp(w, ev);
        break;
    case IB_EV_DNS:
        put_dns(w, ev);
        break;
    case IB_EV_HTTP:
        put_http(w, ev);
        break;
    default:
        break;
    }
}

/* RFC 3339 §5.6, in UTC with nanoseconds: "2025-03-01T14:03:07.123456789Z". */
static const char *wall_time(int64_t ns, char *buf, size_t cap)
{
    time_t sec = (time_t)(ns / IB_SEC(1));
    struct tm tm;
    gmtime_r(&sec, &tm);
    snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)(ns % IB_SEC(1)));
    return buf;
}

void ib_json_observe(void *ctx, const struct ib_event *ev)
{
    struct ib_json *j = ctx;
    struct w w = {j->out, true};
    const struct ib_node *node = ev->node ? ev->node : ev->nif ? ev->nif->node : NULL;
    const struct ib_env *env = node ? node->env : NULL;
    bool live = env && env->live;
    char ts[32];
    snprintf(ts, sizeof(ts), "%lld.%09lld", (long long)(ev->t / IB_SEC(1)),
             (long long)(ev->t % IB_SEC(1)));
    putc('{', j->out);
    k_i(&w, "t", ev->t);
    k_str(&w, "t_s", ts);
    if (live) {
        char wall[48];
        k_str(&w, "wall", wall_time(env->epoch + ev->t, wall, sizeof(wall)));
    }
    k_str(&w, "kind", ib_ev_kind_name(ev->kind));
    k_u(&w, "layer", ev->layer);
    k_str(&w, "node", node ? node->name : NULL);
    k_nif(&w, "iface", ev->nif);
    k_u(&w, "journey", ev->journey);
    if (ev->kind == IB_EV_DROP) {
        begin(&w, "reason");
        k_str(&w, "name", ib_drop_name(ev->reason));
        k_str(&w, "text", ib_drop_str(ev->reason));
        end(&w);
    }
    k_u(&w, "len", ev->data ? ev->len : 0);
    /* Live, the frames received come from a wire nobody else traces. */
    bool wire = ev->kind == IB_EV_WIRE_TX || (live && ev->kind == IB_EV_WIRE_RX);
    if (ev->data && (j->data == IB_JSON_DATA_ALL || (j->data == IB_JSON_DATA_WIRE && wire)))
        k_hex(&w, "data", ev->data, ev->len);
    put_member(&w, ev);
    fputs("}\n", j->out);
}

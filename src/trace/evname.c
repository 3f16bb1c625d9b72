/* Names of the values trace events carry. Tables are indexed by the enum
 * value, so a value added to trace.h without a name here reads "unknown"
 * rather than another value's name. */
#include "inetbox/evname.h"

#include <stdio.h>

#include "inetbox/dhcp.h"
#include "inetbox/dns.h"
#include "inetbox/tcp.h"
#include "inetbox/trace.h"

static const char *pick(const char *const *names, unsigned n, unsigned v)
{
    return v < n && names[v] ? names[v] : "unknown";
}

#define PICK(names, v) pick(names, IB_ARRAY_LEN(names), v)

const char *ib_evname_tcp_cause(unsigned cause)
{
    static const char *const names[] = {
        [IB_TCP_CAUSE_APP_OPEN] = "app_open",
        [IB_TCP_CAUSE_APP_CLOSE] = "app_close",
        [IB_TCP_CAUSE_APP_ABORT] = "app_abort",
        [IB_TCP_CAUSE_SEGMENT] = "segment",
        [IB_TCP_CAUSE_RTO] = "rto",
        [IB_TCP_CAUSE_TIME_WAIT] = "time_wait",
        [IB_TCP_CAUSE_KEEPALIVE] = "keepalive",
        [IB_TCP_CAUSE_ICMP] = "icmp",
        [IB_TCP_CAUSE_FAST_RETRANSMIT] = "fast_retransmit",
        [IB_TCP_CAUSE_PROBE] = "probe",
    };
    return PICK(names, cause);
}

const char *ib_evname_nat_what(unsigned what)
{
    static const char *const names[] = {
        [IB_NAT_MAP] = "map",           [IB_NAT_OUT] = "out",       [IB_NAT_IN] = "in",
        [IB_NAT_ICMP_ERR] = "icmp_err", [IB_NAT_EXPIRE] = "expire",
    };
    return PICK(names, what);
}

const char *ib_evname_dhcp_what(unsigned what)
{
    static const char *const names[] = {
        [IB_DHCP_TX] = "tx",           [IB_DHCP_RX] = "rx",     [IB_DHCP_BOUND] = "bound",
        [IB_DHCP_RENEWED] = "renewed", [IB_DHCP_LOST] = "lost",
    };
    return PICK(names, what);
}

const char *ib_evname_dhcp_msg(unsigned type)
{
    static const char *const names[] = {
        [IB_DHCP_NONE] = "BOOTP",         [IB_DHCPDISCOVER] = "DHCPDISCOVER",
        [IB_DHCPOFFER] = "DHCPOFFER",     [IB_DHCPREQUEST] = "DHCPREQUEST",
        [IB_DHCPDECLINE] = "DHCPDECLINE", [IB_DHCPACK] = "DHCPACK",
        [IB_DHCPNAK] = "DHCPNAK",         [IB_DHCPRELEASE] = "DHCPRELEASE",
        [IB_DHCPINFORM] = "DHCPINFORM",
    };
    return PICK(names, type);
}

const char *ib_evname_dns_what(unsigned what)
{
    static const char *const names[] = {
        [IB_DNS_QUERY_TX] = "query_tx",       [IB_DNS_QUERY_RX] = "query_rx",
        [IB_DNS_RESPONSE_TX] = "response_tx", [IB_DNS_RESPONSE_RX] = "response_rx",
        [IB_DNS_CACHE_HIT] = "cache_hit",     [IB_DNS_RESOLVED] = "resolved",
    };
    return PICK(names, what);
}

const char *ib_evname_dns_kind(unsigned kind)
{
    static const char *const names[] = {
        [IB_DNS_KIND_NONE] = "none",           [IB_DNS_KIND_ANSWER] = "answer",
        [IB_DNS_KIND_REFERRAL] = "referral",   [IB_DNS_KIND_CNAME] = "cname",
        [IB_DNS_KIND_NXDOMAIN] = "nxdomain",   [IB_DNS_KIND_NODATA] = "nodata",
        [IB_DNS_KIND_TRUNCATED] = "truncated", [IB_DNS_KIND_ERROR] = "error",
    };
    return PICK(names, kind);
}

const char *ib_evname_http_what(unsigned what)
{
    static const char *const names[] = {
        [IB_HTTP_FETCH_START] = "fetch_start", [IB_HTTP_REQUEST_TX] = "request_tx",
        [IB_HTTP_REQUEST_RX] = "request_rx",   [IB_HTTP_RESPONSE_TX] = "response_tx",
        [IB_HTTP_RESPONSE_RX] = "response_rx", [IB_HTTP_FETCH_DONE] = "fetch_done",
    };
    return PICK(names, what);
}

const char *ib_evname_dns_type(unsigned type, char buf[IB_EVNAME_BUF])
{
    switch (type) {
    case IB_DNS_T_A:
        return "A";
    case IB_DNS_T_NS:
        return "NS";
    case IB_DNS_T_CNAME:
        return "CNAME";
    case IB_DNS_T_SOA:
        return "SOA";
    case IB_DNS_T_PTR:
        return "PTR";
    case IB_DNS_T_MX:
        return "MX";
    case IB_DNS_T_TXT:
        return "TXT";
    case IB_DNS_T_AAAA:
        return "AAAA";
    case IB_DNS_T_ANY:
        return "ANY";
    default:
        snprintf(buf, IB_EVNAME_BUF, "TYPE%u", type & 0xffffu);
        return buf;
    }
}

const char *ib_evname_dns_rcode(unsigned rcode, char buf[IB_EVNAME_BUF])
{
    static const char *const names[] = {
        [IB_DNS_R_NOERROR] = "NOERROR",   [IB_DNS_R_FORMERR] = "FORMERR",
        [IB_DNS_R_SERVFAIL] = "SERVFAIL", [IB_DNS_R_NXDOMAIN] = "NXDOMAIN",
        [IB_DNS_R_NOTIMP] = "NOTIMP",     [IB_DNS_R_REFUSED] = "REFUSED",
    };
    if (rcode < IB_ARRAY_LEN(names)) return names[rcode];
    snprintf(buf, IB_EVNAME_BUF, "RCODE%u", rcode & 0xfffu);
    return buf;
}

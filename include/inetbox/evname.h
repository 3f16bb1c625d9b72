/* Names of the values trace events carry (include/inetbox/trace.h), shared
 * by the observers (JSON lines, tcpdump-style lines) so that every output
 * spells a value the same way. The enum names return a fixed lowercase
 * string, "unknown" outside the enum; the DNS ones use the mnemonics of
 * the IANA registries, or RFC 3597 §5's generic "TYPE123" in buf. */
#ifndef INETBOX_EVNAME_H
#define INETBOX_EVNAME_H

#define IB_EVNAME_BUF 16 /* room for "TYPE65535" / "RCODE15" */

const char *ib_evname_tcp_cause(unsigned cause); /* enum ib_tcp_cause: "segment" */
const char *ib_evname_nat_what(unsigned what);   /* enum ib_nat_what: "map" */
const char *ib_evname_dhcp_what(unsigned what);  /* enum ib_dhcp_what: "bound" */
/* enum ib_dhcp_type as RFC 2132 §9.6 names it: "DHCPDISCOVER"; 0 is "BOOTP". */
const char *ib_evname_dhcp_msg(unsigned type);
const char *ib_evname_dns_what(unsigned what);  /* enum ib_dns_what: "query_tx" */
const char *ib_evname_dns_kind(unsigned kind);  /* enum ib_dns_kind: "referral" */
const char *ib_evname_http_what(unsigned what); /* enum ib_http_what: "fetch_start" */

/* RR type "A", "NS", ... or "TYPE<n>" written into buf. */
const char *ib_evname_dns_type(unsigned type, char buf[IB_EVNAME_BUF]);
/* RCODE "NOERROR", "NXDOMAIN", ... (RFC 1035 §4.1.1) or "RCODE<n>" in buf. */
const char *ib_evname_dns_rcode(unsigned rcode, char buf[IB_EVNAME_BUF]);

#endif

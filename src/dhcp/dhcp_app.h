/* What the DHCP client and server share (internal to src/dhcp): sending a
 * message, reading one, and reporting both to the trace bus. */
#ifndef INETBOX_DHCP_APP_H
#define INETBOX_DHCP_APP_H

#include "inetbox/dhcp.h"
#include "inetbox/stack.h"

/* Emits an IB_EV_DHCP event of kind what about m (p: its bytes, may be NULL). */
void ib_dhcp_app_event(struct ib_stack *s, const struct ib_netif *nif, enum ib_dhcp_what what,
                       const struct ib_dhcp_msg *m, const struct ib_pkt *p);
/* Emits m, reports it (IB_DHCP_TX) and sends it from u to dst:dport. */
int ib_dhcp_app_send(struct ib_udp_pcb *u, const struct ib_dhcp_msg *m, ib_ip4 dst, uint16_t dport);
/* Parses p into *m; a message that does not parse is dropped as
 * DHCP_MALFORMED (false). p is not consumed otherwise. */
bool ib_dhcp_app_parse(struct ib_stack *s, struct ib_netif *nif, struct ib_pkt *p,
                       struct ib_dhcp_msg *m);

/* The prefix length of a subnet mask (RFC 2132 §3.3), -1 if its ones are
 * not contiguous (RFC 950 allowed that; RFC 4632 §2.1 ended it). */
int ib_dhcp_app_plen(ib_ip4 mask);

#endif

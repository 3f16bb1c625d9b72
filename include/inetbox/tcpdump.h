/* tcpdump-style one-line rendering of frames and trace events, shaped like
 * `tcpdump -n -e` with the IPv4 TTL appended to IP lines, e.g.
 *   0.001000123 h1:eth0 > 02:00:00:00:00:00 > ff:ff:ff:ff:ff:ff, ARP, Request who-has
 *       10.0.1.1 tell 10.0.1.10, length 28
 *   1.000202048 h1:eth0 > 02:00:00:00:00:00 > 02:00:00:00:03:00, 10.0.1.10.55328 >
 *       10.0.2.10.33434: UDP, length 32, ttl 1
 *   1.000303296 r1:eth0 DROP IP_TTL_EXPIRED (TTL expired): 10.0.1.10.55328 >
 *       10.0.2.10.33434: UDP, length 32, ttl 1
 * (one line each). A cut header shows tcpdump's "[|ip]"-style marker, a
 * bad checksum "[bad ip cksum]"-style. The decoder is our own, built on the
 * protocols' parse functions; its test vectors were checked with tshark. */
#ifndef INETBOX_TCPDUMP_H
#define INETBOX_TCPDUMP_H

#include <stdio.h>

#include "inetbox/trace.h"

/* Describes an Ethernet frame in one line (no time, no interface, no
 * newline) into buf. Returns buf. Never reads past len. */
char *ib_tcpdump_frame(const uint8_t *frame, size_t len, char *buf, size_t cap);

/* An observer printing one line per frame put on a wire (IB_EV_WIRE_TX:
 * "TIME node:if > FRAME"), one per drop ("TIME node[:if] DROP NAME (text)"
 * and the packet when its bytes can be told apart) and one per link state
 * change ("TIME node:if link up|down"). Times are simulated seconds with
 * nanoseconds. In live mode (env->live) times are the local time of day
 * with microseconds, "14:03:07.123456" as tcpdump prints them, and frames
 * the interface received get a line too: "TIME node:if < FRAME". Frames decode DNS, BOOTP/DHCP and the HTTP start line the
 * way tcpdump does ("4660+ A? www.google.com. (32)"). */
struct ib_tcpdump {
    FILE *out;
};
void ib_tcpdump_observer(void *ctx /* struct ib_tcpdump */, const struct ib_event *ev);

/* The same lines, and the journey told with them: one line per TCP state
 * change and per NAT, DHCP, DNS and HTTP event, e.g.
 *   TIME laptop TCP 192.168.0.100:49152 > 142.250.196.100:80 SYN_SENT ->
 *       ESTABLISHED (rcvd SYN+ACK)
 *   TIME home-router NAT map tcp 192.168.0.100:49152 <-> 121.160.55.23:1024
 *       (peer 142.250.196.100:80) */
void ib_tcpdump_journey_observer(void *ctx /* struct ib_tcpdump */, const struct ib_event *ev);

#endif

/* tcpdump-style one-line rendering of frames and trace events, e.g.
 *   0.001000123 h1:eth0 > ARP, Request who-has 10.0.1.1 tell 10.0.1.10, length 28
 *   0.002000456 r1:eth1 > 10.0.1.10 > 10.0.2.10: ICMP echo request, id 1, seq 1, length 64
 * The decoder is our own; tests check it against tshark's reading of the
 * same pcaps. */
#ifndef INETBOX_TCPDUMP_H
#define INETBOX_TCPDUMP_H

#include <stdio.h>

#include "inetbox/trace.h"

/* Describes an Ethernet frame in one line (no time, no interface, no
 * newline) into buf. Returns buf. Never reads past len. */
char *ib_tcpdump_frame(const uint8_t *frame, size_t len, char *buf, size_t cap);

/* An observer printing one line per frame put on a wire and one per drop. */
struct ib_tcpdump {
    FILE *out;
};
void ib_tcpdump_observer(void *ctx /* struct ib_tcpdump */, const struct ib_event *ev);

#endif

/* The echo (RFC 862) and discard (RFC 863) services, for testing paths and
 * stacks:
 *
 * - TCP echo: every byte received is sent back, in order. Flow control
 *   reaches end to end: while TCP has no room for what was read, nothing
 *   more is read, so the receive window closes on the client; a connection
 *   never holds more than 16 KB of its own. When the client closes its
 *   side, the rest is echoed and then the server closes too.
 * - TCP discard: everything received is read and dropped (and counted);
 *   the server closes when the client does.
 * - UDP echo: each datagram goes back to its source address and port.
 *   Datagrams that cannot be answered (source 0.0.0.0 or a broadcast, source
 *   port 0) or that come from the service's own port (two echo services
 *   would bounce one datagram between them forever) are dropped as
 *   IP_BAD_SRC.
 *
 * Trace: IB_EV_APP events with peer = the client and seq = its port:
 * "echo-accept" / "discard-accept" when a connection is taken;
 * "echo-close" / "discard-close" when it ends after the client's FIN (or
 * the service stops), "echo-abort" / "discard-abort" when it fails (reset,
 * timeout), with ttl = bytes received on it (capped at 2^32 - 1) and
 * rtt = how long it lasted; "udp-echo" for each datagram echoed, with
 * ttl = its length. */
#ifndef INETBOX_ECHO_H
#define INETBOX_ECHO_H

#include "inetbox/stack.h"

#define IB_ECHO_PORT 7u    /* RFC 862 */
#define IB_DISCARD_PORT 9u /* RFC 863 */

struct ib_echo_stats {
    uint64_t connections; /* TCP: accepted so far */
    uint32_t active;      /* TCP: open now */
    uint64_t datagrams;   /* UDP: echoed */
    uint64_t bytes_in;    /* received */
    uint64_t bytes_out;   /* sent back (handed to TCP or IP) */
};

struct ib_tcp_echo;
/* Listens on TCP port of every address of s. NULL if the port is taken or
 * memory runs out. */
struct ib_tcp_echo *ib_tcp_echo_start(struct ib_stack *s, uint16_t port);
/* Closes the listener and every connection (a FIN after what TCP already
 * holds; bytes not yet echoed are dropped) and frees the service. */
void ib_tcp_echo_stop(struct ib_tcp_echo *e);
void ib_tcp_echo_stats(const struct ib_tcp_echo *e, struct ib_echo_stats *out);

struct ib_tcp_discard;
struct ib_tcp_discard *ib_tcp_discard_start(struct ib_stack *s, uint16_t port);
void ib_tcp_discard_stop(struct ib_tcp_discard *d);
void ib_tcp_discard_stats(const struct ib_tcp_discard *d, struct ib_echo_stats *out);

struct ib_udp_echo;
/* Binds UDP port on every address of s. NULL if the port is taken or
 * memory runs out. */
struct ib_udp_echo *ib_udp_echo_start(struct ib_stack *s, uint16_t port);
void ib_udp_echo_stop(struct ib_udp_echo *e);
void ib_udp_echo_stats(const struct ib_udp_echo *e, struct ib_echo_stats *out);

#endif

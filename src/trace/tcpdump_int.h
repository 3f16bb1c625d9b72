/* What the parts of the tcpdump-style printer share: the bounded line
 * being written, and the decoders of application payloads
 * (tcpdump_app.c) and of the journey events (tcpdump_ev.c) that
 * tcpdump.c calls. */
#ifndef INETBOX_TRACE_TCPDUMP_INT_H
#define INETBOX_TRACE_TCPDUMP_INT_H

#include <stdarg.h>
#include <stdio.h>

#include "inetbox/tcpdump.h"

/* A bounded string being appended to; output past cap is cut off. */
struct out {
    char *b;
    size_t cap, n;
};

static inline void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void put(struct out *o, const char *fmt, ...)
{
    if (o->n + 1 >= o->cap) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(o->b + o->n, o->cap - o->n, fmt, ap);
    va_end(ap);
    if (k > 0) o->n = (size_t)k < o->cap - o->n ? o->n + (size_t)k : o->cap - 1;
}

static inline void put_ip(struct out *o, ib_ip4 a)
{
    char s[IB_IP4_STRLEN];
    put(o, "%s", ib_ip4_str(a, s));
}

static inline void put_mac(struct out *o, const struct ib_mac *m)
{
    char s[IB_MAC_STRLEN];
    put(o, "%s", ib_mac_str(m, s));
}

/* n bytes of text from the network or an application: printable ASCII as
 * is, anything else as \xNN, so a line stays one line of plain text. */
void ib_td_put_text(struct out *o, const char *s, size_t n);

/* The payload of a UDP datagram (n bytes, all present) between these
 * ports, when a decoder knows them (DNS, DHCP): writes what replaces
 * tcpdump's "UDP, length N" and returns true; false if no decoder
 * applies. */
bool ib_td_udp_app(struct out *o, uint16_t sport, uint16_t dport, const uint8_t *b, size_t n);

/* The n bytes present of a TCP segment's data between these ports: writes
 * ": HTTP: GET / HTTP/1.1"-style text for the protocols it knows. */
void ib_td_tcp_app(struct out *o, uint16_t sport, uint16_t dport, const uint8_t *b, size_t n);

/* The text of a journey event (TCP state change, NAT, DHCP, DNS, HTTP)
 * after "TIME node "; false for the kinds it does not print. */
bool ib_td_event(struct out *o, const struct ib_event *ev);

#endif

/* What the asking side of DNS shares between the stub and the recursive
 * resolver: names, trace events, and a query in flight over UDP or TCP
 * (RFC 7766) with unpredictable ids and ports and the checks that keep
 * forged responses out (RFC 5452 §9). */
#ifndef INETBOX_DNS_CLIENT_H
#define INETBOX_DNS_CLIENT_H

#include "inetbox/dns.h"
#include "inetbox/stack.h"

/* Bytes of a DNS message over TCP: RFC 1035 §4.2.2's two-byte length. */
#define IB_DNS_TCP_MAX 65535u

/* RFC 1035 §2.3.3: names compare without regard to case. */
bool ib_dns_name_eq(const char *a, const char *b);
/* Is name at or below zone ("" is the root, above everything)? */
bool ib_dns_name_under(const char *name, const char *zone);
/* The name one label up ("com" for "google.com", "" for "com"). */
const char *ib_dns_name_parent(const char *name);
/* Copies a name into a IB_DNS_NAME_SIZE buffer (cut short if too long). */
void ib_dns_name_copy(char *dst, const char *src);
/* Does a dotted name fit RFC 1035 §2.3.4 with no empty label? */
bool ib_dns_name_ok(const char *name);

/* Starts an IB_EV_DNS event (layer 7) on ev if someone is tracing; the
 * caller fills u.dns and emits it. data: the message, may be NULL. */
bool ib_dns_event(struct ib_stack *s, struct ib_event *ev, uint8_t what, const uint8_t *data,
                  size_t len, uint32_t journey);

/* One query over TCP (RFC 7766 §5, §8: a two-byte length before each
 * message): connect, send, read one message. fn is called once, never from
 * inside start: err 0 with the response, or IB_ERR_RESET, IB_ERR_REFUSED,
 * IB_ERR_TIMEOUT, IB_ERR_UNREACH, IB_ERR_CLOSED (closed before a whole
 * message). The owner keeps its own deadline and ends the query with
 * ib_dns_tcp_free (also from fn). */
struct ib_dns_tcp;
typedef void (*ib_dns_tcp_fn)(void *arg, int err, const uint8_t *msg, size_t len);
struct ib_dns_tcp *ib_dns_tcp_query(struct ib_stack *s, ib_ip4 server, uint16_t port,
                                    const uint8_t *query, size_t len, ib_dns_tcp_fn fn, void *arg);
void ib_dns_tcp_free(struct ib_dns_tcp *t);

/* A length-prefixed stream of DNS messages (RFC 7766 §8), as a server or
 * client reads it: feed bytes, take whole messages. Zero it to start. */
struct ib_dns_tcp_rx {
    uint8_t *buf;    /* the message being read, its length field first */
    size_t len, cap; /* cap grows to the longest message announced yet */
};
/* Reads what c has, no further than the end of one message (the rest
 * stays in TCP until asked for): 1 with a whole message in *msg and *len
 * (valid until the next call), 0 if none is whole yet, IB_ERR_NOMEM. */
int ib_dns_tcp_rx_next(struct ib_dns_tcp_rx *rx, struct ib_tcp *c, const uint8_t **msg,
                       size_t *len);
void ib_dns_tcp_rx_free(struct ib_dns_tcp_rx *rx);

struct ib_dns_flight;

/* What a flight tells its owner (arg). Each call ends the flight first,
 * except sent; the owner may then send again or free the flight. */
struct ib_dns_flight_ops {
    /* The query leaves now (journey 0 over TCP): report it. */
    void (*sent)(struct ib_dns_flight *f, const uint8_t *query, size_t len, uint32_t journey);
    /* The response to it; m and b are valid during the call only. */
    void (*answer)(struct ib_dns_flight *f, const struct ib_dns_msg *m, const uint8_t *b,
                   size_t len, uint32_t journey);
    /* The server failed it: IB_ERR_UNREACH (ICMP), a TCP connection error,
     * or IB_ERR_PROTO (a TCP answer malformed or not to our question). */
    void (*failed)(struct ib_dns_flight *f, int err);
};

/* One query at a time toward one server. Over UDP it leaves from a fresh
 * random port with a random id (RFC 5452 §9.2), and only a response from
 * the server's port 53, to that port, with that id and question is taken
 * (RFC 5452 §9.1); anything else is dropped as DNS_UNEXPECTED (or
 * DNS_MALFORMED) and the flight goes on. The owner keeps the deadline. */
struct ib_dns_flight {
    const struct ib_dns_flight_ops *ops;
    void *arg;
    struct ib_stack *s;
    const char *name; /* the owner's, valid while in flight */
    uint16_t type, id;
    ib_ip4 server;
    bool tcp;
    struct ib_udp_pcb pcb;
    struct ib_dns_tcp *tcpq;
};

void ib_dns_flight_init(struct ib_dns_flight *f, struct ib_stack *s,
                        const struct ib_dns_flight_ops *ops, void *arg);
/* Ends any flight in progress and sends (name, type, IN) to server, RD as
 * given, over UDP or TCP. Returns 0, or an error when it cannot leave
 * (nothing is then in flight and no callback comes). */
int ib_dns_flight_send(struct ib_dns_flight *f, ib_ip4 server, const char *name, uint16_t type,
                       bool rd, bool tcp);
/* Forgets the query in flight, if any: its port is closed, its
 * connection closed. */
void ib_dns_flight_end(struct ib_dns_flight *f);

#endif

/* The asking side's shared pieces: name comparison (RFC 1035 §2.3.3),
 * trace events, and queries in flight: unpredictable ids and source ports
 * (RFC 5452 §9.2), responses matched to them (RFC 5452 §9.1). */
#include "dns/dns_client.h"

#include <stdlib.h>
#include <strings.h>

#include "inetbox/nat.h"

/* RFC 5452 §9.2: "53, or 1024 and above"; RFC 6056 §3.2: above the
 * well-known ports. */
#define PORT_MIN 1024u
#define PORT_TRIES 8

bool ib_dns_name_eq(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

bool ib_dns_name_under(const char *name, const char *zone)
{
    size_t n = strlen(name), z = strlen(zone);
    if (z == 0) return true;
    if (n < z || strcasecmp(name + n - z, zone) != 0) return false;
    return n == z || name[n - z - 1] == '.';
}

const char *ib_dns_name_parent(const char *name)
{
    const char *dot = strchr(name, '.');
    return dot ? dot + 1 : name + strlen(name);
}

void ib_dns_name_copy(char *dst, const char *src)
{
    size_t n = strnlen(src, IB_DNS_NAME_SIZE - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

bool ib_dns_name_ok(const char *name)
{
    size_t n = strnlen(name, IB_DNS_NAME_SIZE);
    if (n == IB_DNS_NAME_SIZE) return false;
    if (n == 0) return true;
    /* RFC 1035 §2.3.4: labels of 1-63 octets, 255 octets on the wire
     * (one length byte per label and the root's zero: n + 2). */
    if (n + 2 > IB_DNS_MAX_NAME) return false;
    size_t label = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || name[i] == '.') {
            if (label == 0 || label > IB_DNS_MAX_LABEL) return false;
            label = 0;
            continue;
        }
        unsigned char c = (unsigned char)name[i];
        if (c <= 0x20 || c >= 0x7f || c == '\\') return false;
        label++;
    }
    return true;
}

bool ib_dns_event(struct ib_stack *s, struct ib_event *ev, uint8_t what, const uint8_t *data,
                  size_t len, uint32_t journey)
{
    struct ib_env *env = s->node.env;
    if (!ib_tracing(env)) return false;
    ib_event_init(ev, env, IB_EV_DNS, 7, &s->node, NULL, NULL);
    ev->data = data;
    ev->len = (uint32_t)len;
    ev->journey = journey;
    ev->u.dns.what = what;
    return true;
}

/* RFC 5452 §9.2: "Use an unpredictable source port for outgoing queries";
 * a few random tries, then any free ephemeral port. */
static int bind_random(struct ib_stack *s, struct ib_udp_pcb *u)
{
    for (int i = 0; i < PORT_TRIES; i++) {
        uint16_t port = (uint16_t)(PORT_MIN + ib_rng_below(&s->node.rng, 65536 - PORT_MIN));
        /* On a NAT router, a port a mapping holds would hand our answers
         * to an inside host. */
        if (ib_nat_port_taken(s, IB_IPPROTO_UDP, port)) continue;
        if (ib_udp_bind(s, u, IB_IP4_ANY, port) == 0) return 0;
    }
    return ib_udp_bind(s, u, IB_IP4_ANY, 0);
}

/* RFC 1035 §4.1.1: a standard query (opcode 0) with one question. */
static size_t query_write(const struct ib_dns_flight *f, bool rd, uint8_t *b, size_t cap)
{
    struct ib_dns_msg *m = malloc(sizeof(*m));
    if (!m) return 0;
    memset(m, 0, offsetof(struct ib_dns_msg, an));
    m->id = f->id;
    m->rd = rd;
    m->qdcount = 1;
    ib_dns_name_copy(m->qd[0].name, f->name);
    m->qd[0].type = f->type;
    m->qd[0].cls = IB_DNS_C_IN;
    size_t len = ib_dns_emit(m, b, cap);
    free(m);
    return len;
}

/* RFC 5452 §9.1: a response to our query has our id and our one question
 * (the name without regard to case). Returns the parsed message or NULL
 * with the drop reason in *drop. */
static struct ib_dns_msg *response_parse(const struct ib_dns_flight *f, const uint8_t *b,
                                         size_t len, int *drop)
{
    struct ib_dns_msg *m = malloc(sizeof(*m));
    *drop = IB_DROP_NOMEM;
    if (!m) return NULL;
    *drop = IB_DROP_DNS_MALFORMED;
    if (ib_dns_parse(b, len, m) == IB_DNS_OK) {
        *drop = IB_DROP_DNS_UNEXPECTED;
        if (m->qr && m->opcode == 0 && m->id == f->id && m->qdcount == 1 &&
            m->qd[0].type == f->type && m->qd[0].cls == IB_DNS_C_IN &&
            ib_dns_name_eq(m->qd[0].name, f->name))
            return m;
    }
    free(m);
    return NULL;
}

static void flight_udp_recv(struct ib_udp_pcb *u, ib_ip4 src, uint16_t sport, struct ib_pkt *p)
{
    struct ib_dns_flight *f = u->arg;
    struct ib_node *node = &f->s->node;
    int drop = IB_DROP_DNS_UNEXPECTED;
    struct ib_dns_msg *m = NULL;
    if (!f->tcp && src == f->server && sport == IB_DNS_PORT)
        m = response_parse(f, p->data, p->len, &drop);
    if (!m) {
        ib_drop(node, NULL, p, (enum ib_drop)drop);
        return;
    }
    ib_dns_flight_end(f);
    f->ops->answer(f, m, p->data, p->len, p->journey);
    free(m);
    ib_pkt_free(p);
}

/* RFC 1122 §4.1.3.3: an ICMP error about our query (port unreachable: no
 * server there) fails it now rather than at the deadline. */
static void flight_udp_err(struct ib_udp_pcb *u, ib_ip4 from, uint8_t type, uint8_t code,
                           ib_ip4 dst, uint16_t dport)
{
    struct ib_dns_flight *f = u->arg;
    if (f->tcp || type != IB_ICMP_DEST_UNREACH || dst != f->server || dport != IB_DNS_PORT) return;
    ib_dns_flight_end(f);
    f->ops->failed(f, IB_ERR_UNREACH);
}

static void flight_tcp_done(void *arg, int err, const uint8_t *msg, size_t len)
{
    struct ib_dns_flight *f = arg;
    int drop = 0;
    struct ib_dns_msg *m = err ? NULL : response_parse(f, msg, len, &drop);
    if (!m) {
        /* Over TCP the peer is the server asked: a bad answer is its failure. */
        if (drop) ib_drop(&f->s->node, NULL, NULL, (enum ib_drop)drop);
        ib_dns_flight_end(f);
        f->ops->failed(f, err ? err : IB_ERR_PROTO);
        return;
    }
    /* msg lives in the connection's buffer: it is closed after the owner is
     * done with it. */
    struct ib_dns_tcp *q = f->tcpq;
    f->tcpq = NULL;
    f->ops->answer(f, m, msg, len, 0);
    free(m);
    ib_dns_tcp_free(q);
}

void ib_dns_flight_init(struct ib_dns_flight *f, struct ib_stack *s,
                        const struct ib_dns_flight_ops *ops, void *arg)
{
    memset(f, 0, sizeof(*f));
    f->ops = ops;
    f->arg = arg;
    f->s = s;
    f->pcb.recv = flight_udp_recv;
    f->pcb.err = flight_udp_err;
    f->pcb.arg = f;
}

int ib_dns_flight_send(struct ib_dns_flight *f, ib_ip4 server, const char *name, uint16_t type,
                       bool rd, bool tcp)
{
    struct ib_env *env = f->s->node.env;
    ib_dns_flight_end(f);
    f->name = name;
    f->type = type;
    f->server = server;
    f->tcp = tcp;
    f->id = (uint16_t)ib_rng_below(&f->s->node.rng, 65536); /* RFC 5452 §9.2 */
    uint8_t b[IB_DNS_UDP_MAX];
    size_t len = query_write(f, rd, b, sizeof(b));
    if (!len) return IB_ERR_INVAL;
    if (tcp) {
        f->tcpq = ib_dns_tcp_query(f->s, server, IB_DNS_PORT, b, len, flight_tcp_done, f);
        if (!f->tcpq) return IB_ERR_NOROUTE;
        f->ops->sent(f, b, len, 0);
        return 0;
    }
    struct ib_pkt *p = ib_pkt_from(env->pool, b, len);
    if (!p) return IB_ERR_NOMEM;
    if (bind_random(f->s, &f->pcb) != 0) {
        ib_pkt_free(p);
        return IB_ERR_INUSE;
    }
    p->journey = ib_journey_new(env);
    f->ops->sent(f, b, len, p->journey);
    ib_udp_sendto(&f->pcb, p, server, IB_DNS_PORT, 0);
    return 0;
}

void ib_dns_flight_end(struct ib_dns_flight *f)
{
    if (f->pcb.stack) ib_udp_close(&f->pcb);
    ib_dns_tcp_free(f->tcpq);
    f->tcpq = NULL;
}

/* UDP echo (RFC 862 "UDP Based Echo Service": "When a datagram is
 * received, the data from it is sent back in an answering datagram").
 *
 * The received buffer becomes the answer, so a datagram of any size (a
 * reassembled one included) costs no copy; IP fragments the answer again
 * if it needs to. */
#include <stdlib.h>

#include "inetbox/apps.h"
#include "inetbox/echo.h"

struct ib_udp_echo {
    struct ib_udp_pcb pcb;
    struct ib_echo_stats stats;
};

static void echo_recv(struct ib_udp_pcb *u, ib_ip4 src, uint16_t sport, struct ib_pkt *p)
{
    struct ib_udp_echo *e = u->arg;
    struct ib_stack *s = u->stack;
    size_t len = p->len;
    e->stats.bytes_in += len;
    /* An answer to 0.0.0.0, a broadcast or port 0 reaches nobody (RFC 1122
     * §3.2.1.3, RFC 768: port 0 means "no reply port"); an answer to our
     * own port number could be another echo service, and the two would
     * bounce the datagram forever. */
    if (src == IB_IP4_ANY || src == IB_IP4_BROADCAST || sport == 0 || sport == u->lport) {
        ib_drop(&s->node, NULL, p, IB_DROP_IP_BAD_SRC);
        return;
    }
    /* Another holder of a flooded frame must not see the buffer change. */
    p = ib_pkt_unshare(p);
    if (!p) {
        ib_drop(&s->node, NULL, NULL, IB_DROP_NOMEM);
        return;
    }
    /* The answer is a new datagram: its own journey, no link-layer flags. */
    p->journey = 0;
    p->flags = 0;
    ib_app_emit(s, "udp-echo", src, sport, (uint32_t)len, 0);
    int err = ib_udp_sendto(u, p, src, sport, 0);
    if (err == 0 || err == IB_ERR_QUEUED) {
        e->stats.datagrams++;
        e->stats.bytes_out += len;
    }
}

struct ib_udp_echo *ib_udp_echo_start(struct ib_stack *s, uint16_t port)
{
    struct ib_udp_echo *e = calloc(1, sizeof(*e));
    if (!e) return NULL;
    e->pcb.recv = echo_recv;
    e->pcb.arg = e;
    if (ib_udp_bind(s, &e->pcb, IB_IP4_ANY, port) != 0) {
        free(e);
        return NULL;
    }
    return e;
}

void ib_udp_echo_stop(struct ib_udp_echo *e)
{
    if (!e) return;
    ib_udp_close(&e->pcb);
    free(e);
}

void ib_udp_echo_stats(const struct ib_udp_echo *e, struct ib_echo_stats *out)
{
    *out = e->stats;
}

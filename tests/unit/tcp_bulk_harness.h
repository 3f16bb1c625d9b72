/* A bulk TCP transfer across h1 - r1 - h2, shared by the bulk-transfer
 * matrix test and the pcap generator the tshark check reads. h1 connects
 * to h2 and sends a pseudo-random stream (a seeded splitmix64 sequence,
 * addressable by offset so a short send is simply regenerated) of a given
 * length, then closes; h2 reads everything, hashing as it goes, and closes
 * once it has seen the FIN. Both sides hash what actually went through the
 * API, so equal hashes and lengths mean byte-exact delivery.
 *
 * An observer records each side's state transitions (IB_EV_TCP_STATE) so
 * the caller can check the close: h1 ends TIME_WAIT -> CLOSED after 2*MSL,
 * h2 LAST_ACK -> CLOSED. Nothing here uses cmocka, so tools can share it. */
#ifndef IB_TCP_BULK_HARNESS_H
#define IB_TCP_BULK_HARNESS_H

#include <stdlib.h>
#include <string.h>

#include "inetbox/world.h"
#include "transport/tcp_int.h"

#define BULK_PORT 5001
#define BULK_CHUNK 65536u
#define BULK_MAX_TRANS 16

static inline uint64_t bulk_splitmix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

/* Bytes [off, off + n) of the stream for seed. */
static inline void bulk_fill(uint64_t seed, uint64_t off, uint8_t *dst, size_t n)
{
    uint64_t k = off / 8;
    size_t skip = (size_t)(off % 8);
    while (n > 0) {
        uint64_t w = bulk_splitmix(seed ^ (k * 0xd1342543de82ef95u));
        uint8_t b[8];
        memcpy(b, &w, 8);
        size_t take = 8 - skip < n ? 8 - skip : n;
        memcpy(dst, b + skip, take);
        dst += take;
        n -= take;
        skip = 0;
        k++;
    }
}

/* FNV-1a (64-bit offset basis and prime) taken over 8-byte words rather
 * than single bytes, so 10 MB hash in a few milliseconds; a stream split
 * into any chunks hashes the same. */
struct bulk_hash {
    uint64_t h, n;
    uint8_t pend[8];
};

static inline void bulk_hash_init(struct bulk_hash *bh)
{
    bh->h = 0xcbf29ce484222325u;
    bh->n = 0;
}

static inline void bulk_hash_word(struct bulk_hash *bh, const uint8_t *b)
{
    uint64_t w;
    memcpy(&w, b, 8);
    bh->h = (bh->h ^ w) * 0x100000001b3u;
}

static inline void bulk_hash_update(struct bulk_hash *bh, const uint8_t *b, size_t n)
{
    size_t have = (size_t)(bh->n % 8);
    bh->n += n;
    if (have) {
        size_t take = 8 - have < n ? 8 - have : n;
        memcpy(bh->pend + have, b, take);
        b += take;
        n -= take;
        if (have + take < 8)
            return;
        bulk_hash_word(bh, bh->pend);
    }
    for (; n >= 8; b += 8, n -= 8)
        bulk_hash_word(bh, b);
    memcpy(bh->pend, b, n);
}

static inline uint64_t bulk_hash_final(const struct bulk_hash *bh)
{
    uint8_t last[8] = {0};
    memcpy(last, bh->pend, (size_t)(bh->n % 8));
    struct bulk_hash t = *bh;
    bulk_hash_word(&t, last);
    return (t.h ^ t.n) * 0x100000001b3u;
}

struct bulk_trans {
    uint8_t from, to, cause, flags; /* flags of the causing segment */
    ib_time t;
};

struct bulk_side {
    const struct ib_node *node;
    struct bulk_trans tr[BULK_MAX_TRANS];
    unsigned n;         /* transitions seen (may exceed BULK_MAX_TRANS) */
    ib_time tw_at;      /* last entry into TIME_WAIT */
    ib_time closed_at;  /* reached CLOSED from a synchronized state */
};

struct bulk_flow {
    struct ib_world *w;
    struct ib_stack *h1, *r1, *h2;
    struct ib_tcp_config cfg;
    uint64_t content_seed, total, sent, received;
    struct bulk_hash tx, rx;
    struct ib_tcp *client, *server, *listener;
    int client_err, server_err, send_err;
    bool client_released, server_released;
    ib_time eof_at;
    struct bulk_side side[2]; /* h1, h2 */
    uint8_t sbuf[BULK_CHUNK], rbuf[BULK_CHUNK];
};

static inline void bulk_note_state(void *ctx, const struct ib_event *ev)
{
    struct bulk_flow *f = ctx;
    if (ev->kind != IB_EV_TCP_STATE || ev->u.tcp.raddr == 0)
        return; /* listeners have no peer */
    for (unsigned i = 0; i < 2; i++) {
        struct bulk_side *sd = &f->side[i];
        if (ev->node != sd->node)
            continue;
        if (sd->n < BULK_MAX_TRANS)
            sd->tr[sd->n] = (struct bulk_trans){ev->u.tcp.old_state, ev->u.tcp.new_state,
                                                ev->u.tcp.cause, ev->u.tcp.flags, ev->t};
        sd->n++;
        if (ev->u.tcp.new_state == IB_TCP_TIME_WAIT)
            sd->tw_at = ev->t;
        if (ev->u.tcp.new_state == IB_TCP_CLOSED)
            sd->closed_at = ev->t;
    }
}

static inline void bulk_push(struct bulk_flow *f)
{
    while (!f->client_released && f->sent < f->total) {
        size_t n = ib_tcp_send_space(f->client);
        if (n == 0)
            return;
        if (n > BULK_CHUNK)
            n = BULK_CHUNK;
        if (n > f->total - f->sent)
            n = (size_t)(f->total - f->sent);
        bulk_fill(f->content_seed, f->sent, f->sbuf, n);
        long k = ib_tcp_send(f->client, f->sbuf, n);
        if (k <= 0) {
            if (k < 0)
                f->send_err = (int)k;
            return;
        }
        bulk_hash_update(&f->tx, f->sbuf, (size_t)k);
        f->sent += (uint64_t)k;
    }
    if (!f->client_released && f->sent == f->total) {
        /* All data queued: the FIN follows it (RFC 9293 §3.6). */
        f->client_released = true;
        ib_tcp_close(f->client);
        f->client = NULL;
    }
}

static inline void bulk_client_connected(struct ib_tcp *c, void *arg) { bulk_push(arg); }
static inline void bulk_client_writable(struct ib_tcp *c, void *arg) { bulk_push(arg); }
static inline void bulk_client_error(struct ib_tcp *c, int err, void *arg)
{
    ((struct bulk_flow *)arg)->client_err = err;
}

static inline void bulk_server_readable(struct ib_tcp *c, void *arg)
{
    struct bulk_flow *f = arg;
    if (f->server_released)
        return;
    long k;
    while ((k = ib_tcp_recv(c, f->rbuf, sizeof(f->rbuf))) > 0) {
        bulk_hash_update(&f->rx, f->rbuf, (size_t)k);
        f->received += (uint64_t)k;
    }
    if (k < 0) {
        f->server_err = (int)k;
        return;
    }
    if (ib_tcp_eof(c)) {
        f->eof_at = ib_now(&f->w->env);
        f->server_released = true;
        f->server = NULL;
        ib_tcp_close(c);
        if (f->listener) {
            ib_tcp_close(f->listener);
            f->listener = NULL;
        }
    }
}

static inline void bulk_server_error(struct ib_tcp *c, int err, void *arg)
{
    ((struct bulk_flow *)arg)->server_err = err;
}

static const struct ib_tcp_ops bulk_server_ops = {
    .readable = bulk_server_readable,
    .error = bulk_server_error,
};

static inline void bulk_accepted(struct ib_tcp *l, struct ib_tcp *c, void *arg)
{
    struct bulk_flow *f = arg;
    f->server = c;
    ib_tcp_set_ops(c, &bulk_server_ops, f);
    /* Data may have arrived with the handshake's last ACK. */
    bulk_server_readable(c, f);
}

static const struct ib_tcp_ops bulk_client_ops = {
    .connected = bulk_client_connected,
    .writable = bulk_client_writable,
    .error = bulk_client_error,
};
static const struct ib_tcp_ops bulk_listener_ops = {.accepted = bulk_accepted};

/* h1 (10.0.1.10) - r1 - h2 (10.0.2.10); edge is the h1-r1 link, neck the
 * r1-h2 one. NULL on failure. */
static inline struct bulk_flow *bulk_new(uint64_t seed, const struct ib_link_params *edge,
                                         const struct ib_link_params *neck,
                                         const struct ib_tcp_config *cfg, uint64_t total,
                                         bool watch_states)
{
    struct bulk_flow *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->w = ib_world_new(seed);
    if (!f->w) {
        free(f);
        return NULL;
    }
    struct ib_world *w = f->w;
    f->h1 = ib_world_add_host(w, "h1");
    f->r1 = ib_world_add_router(w, "r1");
    f->h2 = ib_world_add_host(w, "h2");
    struct ib_netif *a = ib_world_add_netif(w, &f->h1->node, "eth0");
    struct ib_netif *b = ib_world_add_netif(w, &f->r1->node, "eth0");
    struct ib_netif *c = ib_world_add_netif(w, &f->r1->node, "eth1");
    struct ib_netif *d = ib_world_add_netif(w, &f->h2->node, "eth0");
    if (!a || !b || !c || !d || !ib_world_connect(w, a, b, edge) ||
        !ib_world_connect(w, c, d, neck) || ib_stack_set_addr(f->h1, a, IB_IP4(10, 0, 1, 10), 24) ||
        ib_stack_set_addr(f->r1, b, IB_IP4(10, 0, 1, 1), 24) ||
        ib_stack_set_addr(f->r1, c, IB_IP4(10, 0, 2, 1), 24) ||
        ib_stack_set_addr(f->h2, d, IB_IP4(10, 0, 2, 10), 24) ||
        ib_stack_add_route(f->h1, 0, 0, IB_IP4(10, 0, 1, 1), a) ||
        ib_stack_add_route(f->h2, 0, 0, IB_IP4(10, 0, 2, 1), d)) {
        ib_world_free(w);
        free(f);
        return NULL;
    }
    /* ARP crosses the impaired link too: with 3 requests it fails about
     * once in 20 resolutions at 20 % loss each way, and r1 then answers
     * with ICMP host unreachable, which ends a connection in SYN_SENT. The
     * transfers test TCP, so ARP gets more tries. */
    f->h1->cfg.arp.max_tries = f->r1->cfg.arp.max_tries = f->h2->cfg.arp.max_tries = 10;
    f->cfg = *cfg;
    f->content_seed = bulk_splitmix(seed);
    f->total = total;
    bulk_hash_init(&f->tx);
    bulk_hash_init(&f->rx);
    f->side[0].node = &f->h1->node;
    f->side[1].node = &f->h2->node;
    if (watch_states && ib_world_observe(w, bulk_note_state, f) != IB_OK) {
        ib_world_free(w);
        free(f);
        return NULL;
    }
    return f;
}

static inline bool bulk_closed(const struct bulk_flow *f)
{
    const struct ib_tcp_stack *t1 = f->h1->tcp, *t2 = f->h2->tcp;
    return f->client_released && f->server_released && t1 && t2 && t1->n_conns == 0 &&
           t1->n_tw == 0 && t2->n_conns == 0 && t2->n_tw == 0 && !t2->listeners;
}

/* Opens the connection and runs until both ends are gone (or an error, or
 * the simulated deadline). Returns 0 when both closed. */
static inline int bulk_run(struct bulk_flow *f, ib_time limit)
{
    f->listener =
        ib_tcp_listen(f->h2, 0, BULK_PORT, &bulk_listener_ops, f, &f->cfg);
    f->client = ib_tcp_connect(f->h1, IB_IP4(10, 0, 2, 10), BULK_PORT, &bulk_client_ops, f,
                               &f->cfg);
    if (!f->listener || !f->client)
        return -1;
    struct ib_env *env = &f->w->env;
    while (!bulk_closed(f) && ib_now(env) < limit && !f->client_err && !f->server_err &&
           !f->send_err)
        ib_world_run(f->w, ib_now(env) + IB_SEC(1));
    return bulk_closed(f) ? 0 : -1;
}

/* Releases whatever the application still holds, then the world. */
static inline void bulk_free(struct bulk_flow *f)
{
    if (f->client && !f->client_released)
        ib_tcp_close(f->client);
    if (f->server && !f->server_released)
        ib_tcp_close(f->server);
    if (f->listener)
        ib_tcp_close(f->listener);
    ib_world_free(f->w);
    free(f);
}

static inline uint64_t bulk_drops(const struct bulk_flow *f, enum ib_drop r)
{
    return f->h1->node.drops[r] + f->r1->node.drops[r] + f->h2->node.drops[r];
}

#endif

/* Forwarding through one router: a stack with forwarding on and two
 * interfaces on fake drivers (transmit = count and free). Its table holds
 * the connected routes plus P random prefixes (100k by default, mostly /16
 * to /24 like a real Internet table, a few shorter and longer) all via a
 * gateway on the second interface, whose MAC is a static ARP entry.
 *
 * N = 1024 distinct valid frames (Ethernet + IPv4 + UDP, 60 bytes, to
 * random destinations the table covers) are built before timing. Each
 * iteration then does what a NIC and its driver do: take a buffer from the
 * pool, copy the frame in (the DMA) and hand it to interface 0. The router
 * parses Ethernet and IPv4, looks the destination up (DIR-16-8-8), checks
 * the TTL, decrements it with an RFC 1624 checksum update, resolves the
 * next hop in the ARP cache, pushes a new Ethernet header and transmits.
 *
 * Usage: forward [--packets M] [--prefixes P] [--seed S] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "inetbox/cksum.h"
#include "inetbox/eth.h"
#include "inetbox/stack.h"

#define NFRAMES 1024u
#define FRAME_LEN 60u

struct fwd_drv {
    uint64_t frames;
};

static void count_xmit(struct ib_netif *nif, struct ib_pkt *p)
{
    struct fwd_drv *d = nif->drv;
    d->frames++;
    ib_pkt_free(p);
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Prefix lengths in roughly the proportions of a global table. */
static uint8_t random_plen(struct ib_rng *rng)
{
    uint64_t x = ib_rng_below(rng, 100);
    if (x < 2)
        return (uint8_t)(8 + ib_rng_below(rng, 8));
    if (x < 15)
        return (uint8_t)(16 + ib_rng_below(rng, 5));
    if (x < 40)
        return (uint8_t)(21 + ib_rng_below(rng, 3));
    if (x < 95)
        return 24;
    return (uint8_t)(25 + ib_rng_below(rng, 8));
}

/* Unicast space a router forwards (RFC 1812 §5.3.7), outside 10/8 where
 * the router's own networks are. */
static bool usable(ib_ip4 a)
{
    unsigned top = a >> 24;
    return top != 0 && top != 10 && top != 127 && top < 224;
}

static void build_frame(uint8_t *f, const struct ib_mac *dst_mac, ib_ip4 src, ib_ip4 dst,
                        uint16_t id)
{
    static const struct ib_mac src_mac = {{0x02, 0, 0, 0, 0, 0x02}};
    struct ib_eth_hdr eh = {.dst = *dst_mac, .src = src_mac, .type = IB_ETHERTYPE_IP4};
    ib_eth_emit(&eh, f);
    size_t l4 = FRAME_LEN - IB_ETH_HLEN - IB_IP4_HLEN;
    struct ib_ip4_hdr ip = {.hlen = IB_IP4_HLEN,
                            .tot_len = (uint16_t)(IB_IP4_HLEN + l4),
                            .id = id,
                            .ttl = 64,
                            .proto = IB_IPPROTO_UDP,
                            .src = src,
                            .dst = dst};
    ib_ip4_emit(&ip, f + IB_ETH_HLEN);
    uint8_t *u = f + IB_ETH_HLEN + IB_IP4_HLEN;
    for (size_t i = IB_UDP_HLEN; i < l4; i++)
        u[i] = (uint8_t)i;
    struct ib_udp_hdr uh = {.sport = 40000, .dport = 9, .len = (uint16_t)l4};
    ib_udp_emit(&uh, u, l4, src, dst);
}

int main(int argc, char **argv)
{
    uint64_t packets = 20000000, nprefixes = 100000, seed = 1;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--packets") == 0)
            packets = strtoull(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "--prefixes") == 0)
            nprefixes = strtoull(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "--seed") == 0)
            seed = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: %s [--packets M] [--prefixes P] [--seed S]\n", argv[0]);
            return 2;
        }
    }

    struct ib_evq *q = malloc(sizeof(*q));
    if (!q)
        return 1;
    ib_evq_init(q);
    struct ib_env env = {.q = q, .pool = ib_pkt_pool_new()};
    struct ib_stack_config cfg = ib_stack_defaults;
    cfg.forwarding = true;
    struct ib_stack *r = malloc(sizeof(*r));
    struct ib_netif *nif = calloc(2, sizeof(*nif));
    if (!env.pool || !r || !nif)
        return 1;
    ib_stack_init(r, &env, "router", 1, seed, &cfg);
    static const struct ib_netif_ops ops = {.xmit = count_xmit};
    struct fwd_drv drv[2] = {{0}, {0}};
    const struct ib_mac mac[2] = {{{0x02, 0, 0, 0, 1, 0}}, {{0x02, 0, 0, 0, 1, 1}}};
    const char *names[2] = {"eth0", "eth1"};
    for (unsigned i = 0; i < 2; i++) {
        ib_netif_init(&nif[i], &r->node, names[i], &mac[i]);
        nif[i].ops = &ops;
        nif[i].drv = &drv[i];
        ib_stack_add_netif(r, &nif[i]);
        ib_stack_set_addr(r, &nif[i], IB_IP4(10, i, 0, 1), 24);
    }
    const ib_ip4 gw = IB_IP4(10, 1, 0, 2);
    const struct ib_mac gw_mac = {{0x02, 0, 0, 0, 2, 2}};
    ib_arp_set(&nif[1], gw, &gw_mac);

    struct ib_rng rng;
    ib_rng_seed(&rng, seed);
    struct ib_route *routes = malloc(nprefixes * sizeof(*routes));
    if (!routes)
        return 1;
    double t0 = seconds();
    uint32_t n = 0;
    /* Random prefixes can repeat (each replaces its twin): add until the
     * table holds the number asked for. */
    uint64_t made = 0;
    while (n < nprefixes + 2) {
        for (uint64_t want = nprefixes + 2 - n; want > 0; want--) {
            ib_ip4 a;
            do
                a = (ib_ip4)ib_rng_next(&rng);
            while (!usable(a));
            uint8_t plen = random_plen(&rng);
            if (made < nprefixes)
                routes[made++] = (struct ib_route){.prefix = a & ib_ip4_mask(plen), .plen = plen};
            ib_stack_add_route(r, a, plen, gw, &nif[1]);
        }
        ib_fib_routes(&r->fib, &n);
    }
    double t_add = seconds() - t0;
    t0 = seconds();
    ib_fib_lookup(&r->fib, IB_IP4(1, 2, 3, 4)); /* builds the DIR table */
    double t_build = seconds() - t0;

    /* Destinations inside random routes (the table covers them all). */
    uint8_t *frames = malloc((size_t)NFRAMES * FRAME_LEN);
    if (!frames)
        return 1;
    for (unsigned i = 0; i < NFRAMES; i++) {
        const struct ib_route *rt = &routes[ib_rng_below(&rng, made)];
        ib_ip4 dst = rt->prefix | ((ib_ip4)ib_rng_next(&rng) & ~ib_ip4_mask(rt->plen));
        build_frame(frames + (size_t)i * FRAME_LEN, &mac[0], IB_IP4(10, 0, 0, 2), dst,
                    (uint16_t)i);
    }

    drv[0].frames = drv[1].frames = 0;
    t0 = seconds();
    for (uint64_t i = 0; i < packets; i++) {
        struct ib_pkt *p = ib_pkt_alloc(env.pool, IB_PKT_HEADROOM, FRAME_LEN);
        memcpy(p->data, frames + (size_t)(i & (NFRAMES - 1)) * FRAME_LEN, FRAME_LEN);
        ib_netif_receive(&nif[0], p);
    }
    double t = seconds() - t0;

    uint64_t drops = 0;
    for (unsigned i = 0; i < IB_DROP__COUNT; i++)
        drops += r->node.drops[i];
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("command:        ");
    for (int i = 0; i < argc; i++)
        printf("%s%s", argv[i], i + 1 < argc ? " " : "\n");
    printf("prefixes:       %" PRIu32 " in the table (%" PRIu64 " random + 2 connected)\n", n,
           (uint64_t)n - 2);
    printf("table load:     %.3f s add, %.3f s DIR build (%" PRIu32 " chunks)\n", t_add,
           t_build, r->fib.nchunks);
    printf("packets:        %" PRIu64 " in, %" PRIu64 " forwarded, %" PRIu64 " dropped\n",
           packets, drv[1].frames, drops);
    printf("wall time:      %.3f s\n", t);
    printf("rate:           %.2f Mpps, %.1f ns/packet\n", (double)packets / t / 1e6,
           t * 1e9 / (double)packets);
    printf("peak RSS:       %ld MiB\n", ru.ru_maxrss / 1024);

    ib_stack_destroy(r);
    free(frames);
    free(routes);
    free(nif);
    free(r);
    ib_pkt_pool_free(env.pool);
    ib_evq_destroy(q);
    free(q);
    return drv[1].frames == packets ? 0 : 1;
}

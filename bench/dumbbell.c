/* B1, the dumbbell (issue 3 §4), with ns-3-comparable parameters: N
 * senders, each on its own 100 Mbit/s, 1 ms link to router R1; R1-R2 at
 * 1 Gbit/s, 10 ms; R2 to N receivers on 100 Mbit/s, 1 ms links; drop-tail
 * queues of 100 packets on every interface. Sender i sends 10,000,000
 * bytes to receiver i over one NewReno connection with SACK, timestamps,
 * window scaling, initial window 10 and 4 MB socket buffers; the MSS is
 * the 1500-byte MTU's 1460, which leaves 1448 bytes of payload per segment
 * next to the timestamp option.
 *
 * Prints N, the simulated time at which the last flow completed (its
 * receiver read the FIN after all the data), bytes and packets delivered,
 * events executed, wall time, peak RSS and a memory-per-node estimate.
 *
 * Start times: all flows starting at the same instant send N SYNs into
 * R1's 100-packet queue at once; their retransmissions stay in lockstep
 * (same RTO) and for N = 1000 hundreds of them exhaust their SYN retries.
 * So each flow starts at a time drawn uniformly from [0, --spread) ms
 * (default 1000 ms, like ns-3 examples' random start times; the seed
 * fixes them); --spread 0 starts all at time 0.
 *
 * Addresses: sender i 10.64.0.0 + 4i + 2 (R1 side + 1), receiver i
 * 10.128.0.0 + 4i + 2, R1-R2 10.0.0.1/30 - 10.0.0.2/30.
 *
 * Usage: dumbbell --n N [--bytes B] [--seed S] [--spread MS] */
#include <inttypes.h>
#include <stddef.h>

#include "tcp_apps.h"

/* A flow and what it needs to open its connection when its start time
 * comes. */
struct db_flow {
    struct bench_flow f;
    struct ib_timer start;
    struct ib_stack *snd;
    ib_ip4 dst;
    const struct ib_tcp_config *cfg;
};

static void db_start(struct ib_timer *t)
{
    struct db_flow *d = (struct db_flow *)(void *)((char *)t - offsetof(struct db_flow, start));
    d->f.tx = ib_tcp_connect(d->snd, d->dst, 5001, &bench_tx_ops, &d->f, d->cfg);
    if (!d->f.tx)
        d->f.err = IB_ERR_NOMEM;
}

static struct ib_netif *add_if(struct ib_world *w, struct ib_stack *s, const char *name)
{
    struct ib_netif *n = ib_world_add_netif(w, &s->node, name);
    if (!n) {
        fprintf(stderr, "cannot add interface %s to %s\n", name, s->node.name);
        exit(1);
    }
    return n;
}

static void must(int err, const char *what)
{
    if (err) {
        fprintf(stderr, "%s failed: %d\n", what, err);
        exit(1);
    }
}

/* Host i of one side: its own /30 with the router. */
static struct ib_stack *edge_host(struct ib_world *w, struct ib_stack *router, char side, uint32_t i,
                                  ib_ip4 base, const struct ib_link_params *lp)
{
    char name[IB_NAME_MAX], ifname[IB_IFNAME_MAX];
    snprintf(name, sizeof(name), "%c%" PRIu32, side, i);
    snprintf(ifname, sizeof(ifname), "e%" PRIu32, i);
    struct ib_stack *h = ib_world_add_host(w, name);
    if (!h) {
        fprintf(stderr, "cannot add host %s\n", name);
        exit(1);
    }
    struct ib_netif *hn = add_if(w, h, "eth0"), *rn = add_if(w, router, ifname);
    if (!ib_world_connect(w, hn, rn, lp)) {
        fprintf(stderr, "cannot connect %s\n", name);
        exit(1);
    }
    ib_ip4 net = base + 4 * i;
    must(ib_stack_set_addr(router, rn, net + 1, 30), "router address");
    must(ib_stack_set_addr(h, hn, net + 2, 30), "host address");
    must(ib_stack_add_route(h, 0, 0, net + 1, hn), "default route");
    return h;
}

int main(int argc, char **argv)
{
    uint64_t n = 0, bytes = 10000000, seed = 1, spread_ms = 1000;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--n") == 0)
            n = strtoull(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "--bytes") == 0)
            bytes = strtoull(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "--seed") == 0)
            seed = strtoull(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "--spread") == 0)
            spread_ms = strtoull(argv[++i], NULL, 10);
        else
            n = 0, i = argc;
    }
    if (n == 0 || n > 16000) {
        fprintf(stderr, "usage: %s --n N [--bytes B] [--seed S] [--spread MS]   (1 <= N <= 16000)\n",
                argv[0]);
        return 2;
    }
    long rss0 = bench_rss_kib();
    double t0 = bench_seconds();
    struct ib_world *w = ib_world_new(seed);
    if (!w)
        return 1;
    struct ib_stack *r1 = ib_world_add_router(w, "r1"), *r2 = ib_world_add_router(w, "r2");
    struct ib_link_params edge = ib_link_defaults, core = ib_link_defaults;
    edge.rate_bps = 100000000;
    edge.delay = IB_MS(1);
    edge.queue = 100;
    core.rate_bps = 1000000000;
    core.delay = IB_MS(10);
    core.queue = 100;
    struct ib_netif *c1 = add_if(w, r1, "core"), *c2 = add_if(w, r2, "core");
    if (!ib_world_connect(w, c1, c2, &core))
        return 1;
    must(ib_stack_set_addr(r1, c1, IB_IP4(10, 0, 0, 1), 30), "r1 core");
    must(ib_stack_set_addr(r2, c2, IB_IP4(10, 0, 0, 2), 30), "r2 core");
    const ib_ip4 snd_base = IB_IP4(10, 64, 0, 0), rcv_base = IB_IP4(10, 128, 0, 0);
    must(ib_stack_add_route(r1, rcv_base, 9, IB_IP4(10, 0, 0, 2), c1), "r1 route");
    must(ib_stack_add_route(r2, snd_base, 10, IB_IP4(10, 0, 0, 1), c2), "r2 route");

    struct ib_tcp_config cfg = ib_tcp_defaults;
    cfg.cc = IB_TCP_CC_NEWRENO;
    cfg.mss = 1460;
    cfg.sack = cfg.timestamps = cfg.wscale = true;
    cfg.iw = 10;
    cfg.sndbuf = cfg.rcvbuf = 4u << 20;

    struct db_flow *df = calloc(n, sizeof(*df));
    uint8_t *pattern = malloc(BENCH_CHUNK), *scratch = malloc(BENCH_CHUNK);
    struct ib_stack **snd = calloc(n, sizeof(*snd)), **rcv = calloc(n, sizeof(*rcv));
    if (!df || !pattern || !scratch || !snd || !rcv)
        return 1;
    for (uint32_t i = 0; i < BENCH_CHUNK; i++)
        pattern[i] = (uint8_t)(i * 7 + 1);
    for (uint32_t i = 0; i < n; i++) {
        snd[i] = edge_host(w, r1, 's', i, snd_base, &edge);
        rcv[i] = edge_host(w, r2, 'd', i, rcv_base, &edge);
    }
    long rss_topo = bench_rss_kib();
    struct ib_rng rng;
    ib_rng_seed(&rng, seed);
    for (uint32_t i = 0; i < n; i++) {
        struct db_flow *d = &df[i];
        struct bench_flow *f = &d->f;
        f->pattern = pattern;
        f->scratch = scratch;
        f->total = bytes;
        f->done_at = -1;
        if (!ib_tcp_listen(rcv[i], 0, 5001, &bench_listen_ops, f, &cfg)) {
            fprintf(stderr, "listen failed on receiver %" PRIu32 "\n", i);
            return 1;
        }
        d->snd = snd[i];
        d->dst = rcv_base + 4 * i + 2;
        d->cfg = &cfg;
        ib_timer_init(&d->start, db_start);
        ib_time at = spread_ms ? (ib_time)ib_rng_below(&rng, spread_ms * 1000) * 1000 : 0;
        ib_timer_arm(&w->env, &d->start, at);
    }
    double t_build = bench_seconds() - t0;

    /* Run in one-second slices until every sink has its FIN. */
    t0 = bench_seconds();
    double c0 = bench_cpu_seconds();
    uint64_t done = 0;
    int errors = 0;
    const ib_time limit = IB_SEC(3600);
    while (done < n && ib_now(&w->env) < limit) {
        ib_world_run(w, ib_now(&w->env) + IB_SEC(1));
        done = 0;
        errors = 0;
        for (uint32_t i = 0; i < n; i++) {
            done += df[i].f.done_at >= 0;
            errors += df[i].f.err != 0;
        }
        if (done + (uint64_t)errors >= n)
            break;
    }
    double wall = bench_seconds() - t0, cpu = bench_cpu_seconds() - c0;

    ib_time last = 0;
    uint64_t delivered = 0, data_segs = 0, ack_segs = 0, datagrams = 0, frames = 0, mss;
    for (uint32_t i = 0; i < n; i++) {
        if (df[i].f.done_at > last)
            last = df[i].f.done_at;
        delivered += df[i].f.received;
        data_segs += rcv[i]->tcp->mib.segs_in;
        ack_segs += snd[i]->tcp->mib.segs_in;
        datagrams += rcv[i]->ip_stats.delivered + snd[i]->ip_stats.delivered;
    }
    for (uint32_t i = 0; i < w->n_nifs; i++)
        frames += w->nifs[i]->stats.rx_frames;
    uint64_t retrans = 0, queue_drops = 0;
    for (uint32_t i = 0; i < n; i++)
        retrans += snd[i]->tcp->mib.retrans_segs;
    for (uint32_t i = 0; i < w->n_links; i++)
        queue_drops += w->links[i]->end[0].stats.dropped_queue + w->links[i]->end[1].stats.dropped_queue;
    mss = df[0].f.mss;

    bench_print_command(argc, argv);
    printf("N:                  %" PRIu64 " (flows start in [0, %" PRIu64 ") ms)\n", n, spread_ms);
    printf("flows completed:    %" PRIu64 " of %" PRIu64 "\n", done, n);
    for (uint32_t i = 0; i < n; i++)
        if (df[i].f.err)
            printf("flow %" PRIu32 " failed: %s after %" PRIu64 " bytes\n", i, ib_err_str(df[i].f.err),
                   df[i].f.received);
    printf("sim time:           %.6f s until the last flow completed\n", (double)last / 1e9);
    printf("bytes delivered:    %" PRIu64 " (to the receiving applications)\n", delivered);
    printf("packets delivered:  %" PRIu64 " IP datagrams to end hosts (%" PRIu64
           " segments to receivers, %" PRIu64 " to senders); %" PRIu64 " frames received on all "
           "interfaces\n",
           datagrams, data_segs, ack_segs, frames);
    printf("retransmissions:    %" PRIu64 " segments; %" PRIu64 " queue drops\n", retrans,
           queue_drops);
    if (mss)
        printf("sender MSS:         %" PRIu64 "\n", mss);
    for (unsigned r = 0; r < IB_DROP__COUNT; r++) {
        uint64_t at_r = r1->node.drops[r] + r2->node.drops[r], at_h = 0;
        for (uint32_t i = 0; i < n; i++)
            at_h += snd[i]->node.drops[r] + rcv[i]->node.drops[r];
        if (at_r + at_h)
            printf("drops %-20s %" PRIu64 " at the routers, %" PRIu64 " at the hosts\n",
                   ib_drop_name((enum ib_drop)r), at_r, at_h);
    }
    printf("events executed:    %" PRIu64 "\n", w->q.executed);
    printf("wall time:          %.3f s run (%.3f s CPU; %.3f s building), %.2f M events/s\n", wall,
           cpu, t_build, (double)w->q.executed / wall / 1e6);
    printf("peak RSS:           %ld MiB\n", bench_peak_rss_kib() / 1024);
    printf("memory per node:    %.0f bytes before traffic (%" PRIu64 " nodes, %" PRIu32
           " interfaces, %" PRIu32 " links)\n",
           (double)(rss_topo - rss0) * 1024.0 / (double)(2 * n + 2), 2 * n + 2, w->n_nifs,
           w->n_links);
    ib_world_free(w);
    free(df);
    free(pattern);
    free(scratch);
    free(snd);
    free(rcv);
    return done == n && !errors ? 0 : 1;
}

/* B3, stack throughput (issue 3 §4): one TCP connection between two hosts
 * on an ideal link (unlimited rate, no delay, no impairment) moves a
 * gigabyte with every checksum computed and verified; the figure is
 * wall-clock Gbit/s of application payload on one core. Socket buffers are
 * 4 MB; simulated time barely moves, so what is measured is the stack:
 * send-buffer copy, segmentation with checksum, Ethernet/IP/TCP on both
 * sides, ACK processing, receive-buffer copy and the application read.
 *
 * Usage: tcp_throughput [--bytes B] [--buf BYTES] [--seed S] */
#include <inttypes.h>

#include "tcp_apps.h"

int main(int argc, char **argv)
{
    uint64_t bytes = 1000000000, buf = 4u << 20, seed = 1;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--bytes") == 0)
            bytes = strtoull(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "--buf") == 0)
            buf = strtoull(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "--seed") == 0)
            seed = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: %s [--bytes B] [--buf BYTES] [--seed S]\n", argv[0]);
            return 2;
        }
    }
    struct ib_stack *a, *b;
    struct ib_world *w = bench_pair(seed, 10000, &a, &b);
    if (!w)
        return 1;
    struct ib_tcp_config cfg = ib_tcp_defaults;
    cfg.sndbuf = cfg.rcvbuf = (uint32_t)buf;
    uint8_t *pattern = malloc(BENCH_CHUNK), *scratch = malloc(BENCH_CHUNK);
    if (!pattern || !scratch)
        return 1;
    for (uint32_t i = 0; i < BENCH_CHUNK; i++)
        pattern[i] = (uint8_t)(i * 13 + 5);
    struct bench_flow f = {.pattern = pattern, .scratch = scratch, .total = bytes, .done_at = -1};
    if (!ib_tcp_listen(b, 0, 5001, &bench_listen_ops, &f, &cfg))
        return 1;
    /* ARP and the handshake first, outside the timed part. */
    ib_world_run(w, IB_SEC(1));
    double t0 = bench_seconds(), c0 = bench_cpu_seconds();
    f.tx = ib_tcp_connect(a, IB_IP4(10, 0, 0, 2), 5001, &bench_tx_ops, &f, &cfg);
    if (!f.tx)
        return 1;
    while (f.done_at < 0 && !f.err && ib_now(&w->env) < IB_SEC(3600))
        ib_world_run(w, ib_now(&w->env) + IB_MS(100));
    double wall = bench_seconds() - t0, cpu = bench_cpu_seconds() - c0;

    bench_print_command(argc, argv);
    printf("bytes:              %" PRIu64 " of %" PRIu64 " delivered%s\n", f.received, bytes,
           f.err ? " (connection failed)" : "");
    printf("segments:           %" PRIu64 " to the receiver, %" PRIu64 " to the sender (MSS %" PRIu32
           ")\n",
           b->tcp->mib.segs_in, a->tcp->mib.segs_in, f.mss);
    printf("retransmissions:    %" PRIu64 "\n", a->tcp->mib.retrans_segs);
    printf("events executed:    %" PRIu64 "\n", w->q.executed);
    printf("simulated time:     %.6f s\n", (double)(f.done_at - IB_SEC(1)) / 1e9);
    printf("wall time:          %.3f s (%.3f s CPU)\n", wall, cpu);
    printf("throughput:         %.2f Gbit/s wall-clock (goal >= 20), %.2f Gbit/s per CPU second, "
           "%.0f segments/s\n",
           (double)f.received * 8 / wall / 1e9, (double)f.received * 8 / cpu / 1e9,
           (double)b->tcp->mib.segs_in / wall);
    printf("peak RSS:           %ld MiB\n", bench_peak_rss_kib() / 1024);
    int ok = f.received == bytes && !f.err;
    ib_world_free(w);
    free(pattern);
    free(scratch);
    return ok ? 0 : 1;
}

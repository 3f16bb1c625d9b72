/* The applications of the TCP benchmarks: a bulk sender that keeps its
 * socket's send buffer full (like ns-3's BulkSendApplication) and closes
 * once it has queued its total, and a sink that reads and discards
 * everything and closes at the peer's FIN. One struct per flow; the
 * payload comes from a shared buffer, so the sender copies only into the
 * connection's send buffer. */
#ifndef IB_BENCH_TCP_APPS_H
#define IB_BENCH_TCP_APPS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "inetbox/world.h"
#include "transport/tcp_int.h"

#define BENCH_CHUNK 65536u

struct bench_flow {
    struct ib_tcp *tx, *rx;
    const uint8_t *pattern; /* BENCH_CHUNK bytes */
    uint8_t *scratch;       /* BENCH_CHUNK bytes to read into */
    uint64_t total, queued, received;
    ib_time done_at;        /* the sink saw the FIN after all the data */
    uint32_t mss;           /* the sender's, once connected */
    int err;
    bool tx_released, rx_released;
};

static inline void bench_push(struct bench_flow *f)
{
    while (!f->tx_released && f->queued < f->total) {
        size_t n = f->total - f->queued < BENCH_CHUNK ? (size_t)(f->total - f->queued) : BENCH_CHUNK;
        long k = ib_tcp_send(f->tx, f->pattern, n);
        if (k <= 0) {
            if (k < 0)
                f->err = (int)k;
            return;
        }
        f->queued += (uint64_t)k;
    }
    if (!f->tx_released) {
        f->tx_released = true;
        ib_tcp_close(f->tx);
    }
}

static inline void bench_tx_connected(struct ib_tcp *c, void *arg)
{
    struct bench_flow *f = arg;
    struct ib_tcp_info info;
    ib_tcp_get_info(c, &info);
    f->mss = info.mss;
    bench_push(f);
}
static inline void bench_tx_writable(struct ib_tcp *c, void *arg) { bench_push(arg); }
static inline void bench_error(struct ib_tcp *c, int err, void *arg)
{
    ((struct bench_flow *)arg)->err = err;
}

static inline void bench_rx_readable(struct ib_tcp *c, void *arg)
{
    struct bench_flow *f = arg;
    if (f->rx_released)
        return;
    long k;
    while ((k = ib_tcp_recv(c, f->scratch, BENCH_CHUNK)) > 0)
        f->received += (uint64_t)k;
    if (k < 0) {
        f->err = (int)k;
        return;
    }
    if (ib_tcp_eof(c)) {
        f->done_at = ib_now(c->stack->node.env);
        f->rx_released = true;
        ib_tcp_close(c);
    }
}

static const struct ib_tcp_ops bench_tx_ops = {
    .connected = bench_tx_connected,
    .writable = bench_tx_writable,
    .error = bench_error,
};
static const struct ib_tcp_ops bench_rx_ops = {
    .readable = bench_rx_readable,
    .error = bench_error,
};

/* A listener's arg is its flow: the accepted connection gets the sink. */
static inline void bench_accepted(struct ib_tcp *l, struct ib_tcp *c, void *arg)
{
    struct bench_flow *f = arg;
    f->rx = c;
    ib_tcp_set_ops(c, &bench_rx_ops, f);
    bench_rx_readable(c, f);
}
static const struct ib_tcp_ops bench_listen_ops = {.accepted = bench_accepted};

/* Hosts a (10.0.0.1) and b (10.0.0.2) on one cable with the given queue
 * and no rate or delay limit. NULL on failure. */
static inline struct ib_world *bench_pair(uint64_t seed, uint32_t queue, struct ib_stack **a,
                                          struct ib_stack **b)
{
    struct ib_world *w = ib_world_new(seed);
    if (!w)
        return NULL;
    *a = ib_world_add_host(w, "a");
    *b = ib_world_add_host(w, "b");
    struct ib_netif *an = ib_world_add_netif(w, &(*a)->node, "eth0");
    struct ib_netif *bn = ib_world_add_netif(w, &(*b)->node, "eth0");
    struct ib_link_params lp = ib_link_defaults;
    lp.rate_bps = 0;
    lp.delay = 0;
    lp.queue = queue;
    if (!an || !bn || !ib_world_connect(w, an, bn, &lp) ||
        ib_stack_set_addr(*a, an, IB_IP4(10, 0, 0, 1), 24) ||
        ib_stack_set_addr(*b, bn, IB_IP4(10, 0, 0, 2), 24)) {
        ib_world_free(w);
        return NULL;
    }
    return w;
}

static inline double bench_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of this process: on a shared machine, wall time also counts
 * the time others held the core. */
static inline double bench_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline long bench_peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Current resident set, KiB (Linux /proc/self/statm); 0 if unknown. */
static inline long bench_rss_kib(void)
{
    FILE *fp = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (!fp)
        return 0;
    if (fscanf(fp, "%ld %ld", &pages, &rss) != 2)
        rss = 0;
    fclose(fp);
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

static inline void bench_print_command(int argc, char **argv)
{
    printf("command:            ");
    for (int i = 0; i < argc; i++)
        printf("%s%s", argv[i], i + 1 < argc ? " " : "\n");
}

#endif

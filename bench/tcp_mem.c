/* Memory per TCP connection and per host (issue 3 §4).
 *
 * 1. Sizes: the TCB (struct ib_tcp, SACK scoreboard included; goal <= 320
 *    bytes, lwIP's is 328), the TIME_WAIT record and the per-stack state.
 * 2. Established idle connections: C connections (10,000 by default)
 *    between two hosts; the growth of the resident set divided by 2C (each
 *    connection has a TCB at both ends) gives the bytes per TCB as the
 *    allocator and the connection hash really cost. Buffers grow on demand,
 *    so this is without buffers; then every connection moves 1448 bytes
 *    each way and is measured again, buffers included.
 * 3. Idle hosts: H hosts (100,000 by default) with one interface each in
 *    one world; resident-set growth / H (goal <= 2 KiB).
 * Each measurement runs in its own child process so that memory freed by
 * one cannot hide the growth of the next.
 *
 * Usage: tcp_mem [--conns C] [--hosts H] */
#include <inttypes.h>
#include <sys/wait.h>

#include "tcp_apps.h"

#define MEM_PORT 5001

struct mem_conns {
    struct ib_tcp **client, **server;
    uint32_t n_client, n_server, connected;
    uint8_t buf[1448];
};

static void mem_connected(struct ib_tcp *c, void *arg) { ((struct mem_conns *)arg)->connected++; }

static void mem_accepted(struct ib_tcp *l, struct ib_tcp *c, void *arg)
{
    struct mem_conns *m = arg;
    m->server[m->n_server++] = c;
}

static void mem_drain(struct ib_tcp *c, void *arg)
{
    struct mem_conns *m = arg;
    while (ib_tcp_recv(c, m->buf, sizeof(m->buf)) > 0)
        continue;
}

static int measure_conns(uint32_t n)
{
    struct ib_stack *a, *b;
    struct ib_world *w = bench_pair(1, 100000, &a, &b);
    if (!w)
        return 1;
    struct ib_tcp_config cfg = ib_tcp_defaults;
    cfg.backlog = 65535;
    struct mem_conns *m = calloc(1, sizeof(*m));
    if (!m)
        return 1;
    m->client = calloc(n, sizeof(*m->client));
    m->server = calloc(n, sizeof(*m->server));
    const struct ib_tcp_ops cops = {.connected = mem_connected, .readable = mem_drain};
    const struct ib_tcp_ops lops = {.accepted = mem_accepted, .readable = mem_drain};
    if (!m->client || !m->server || !ib_tcp_listen(b, 0, MEM_PORT, &lops, m, &cfg))
        return 1;
    /* One connection first: ARP, the per-stack TCP state and the hash
     * tables' first sizes are not per-connection costs. */
    m->client[m->n_client++] = ib_tcp_connect(a, IB_IP4(10, 0, 0, 2), MEM_PORT, &cops, m, &cfg);
    ib_world_run(w, ib_now(&w->env) + IB_SEC(1));
    long rss0 = bench_rss_kib();
    while (m->n_client < n) {
        for (uint32_t k = 0; k < 1000 && m->n_client < n; k++) {
            struct ib_tcp *c = ib_tcp_connect(a, IB_IP4(10, 0, 0, 2), MEM_PORT, &cops, m, &cfg);
            if (!c) {
                fprintf(stderr, "connect %" PRIu32 " failed\n", m->n_client);
                return 1;
            }
            m->client[m->n_client++] = c;
        }
        ib_world_run(w, ib_now(&w->env) + IB_SEC(1));
    }
    ib_world_run(w, ib_now(&w->env) + IB_SEC(1));
    long rss1 = bench_rss_kib();
    uint32_t estab = 0;
    for (uint32_t i = 0; i < m->n_client; i++)
        estab += ib_tcp_get_state(m->client[i]) == IB_TCP_ESTABLISHED;
    for (uint32_t i = 0; i < m->n_server; i++)
        estab += ib_tcp_get_state(m->server[i]) == IB_TCP_ESTABLISHED;
    printf("established:        %" PRIu32 " client + %" PRIu32 " server TCBs ESTABLISHED of %" PRIu32
           " connections\n",
           m->connected, m->n_server, n);
    printf("per TCB, idle:      %.0f bytes RSS (TCB, allocator, connection hash; no buffers)\n",
           (double)(rss1 - rss0) * 1024.0 / (2.0 * n));
    memset(m->buf, 'x', sizeof(m->buf));
    for (uint32_t i = 0; i < m->n_client; i++)
        ib_tcp_send(m->client[i], m->buf, sizeof(m->buf));
    for (uint32_t i = 0; i < m->n_server; i++)
        ib_tcp_send(m->server[i], m->buf, sizeof(m->buf));
    ib_world_run(w, ib_now(&w->env) + IB_SEC(2));
    long rss2 = bench_rss_kib();
    printf("per TCB, used:      %.0f bytes RSS after 1448 bytes each way (buffers as grown)\n",
           (double)(rss2 - rss0) * 1024.0 / (2.0 * n));
    printf("per TCB, worst:     %zu bytes TCB + %" PRIu32 " send + %" PRIu32
           " receive buffer (defaults, full)\n",
           sizeof(struct ib_tcp), ib_tcp_defaults.sndbuf, ib_tcp_defaults.rcvbuf);
    printf("peak RSS:           %ld MiB\n", bench_peak_rss_kib() / 1024);
    int ok = estab == 2 * n ? 0 : 1;
    ib_world_free(w);
    free(m->client);
    free(m->server);
    free(m);
    return ok;
}

static int measure_hosts(uint32_t n)
{
    long rss0 = bench_rss_kib();
    struct ib_world *w = ib_world_new(1);
    if (!w)
        return 1;
    char name[IB_NAME_MAX];
    for (uint32_t i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "h%" PRIu32, i);
        struct ib_stack *s = ib_world_add_host(w, name);
        if (!s || !ib_world_add_netif(w, &s->node, "eth0"))
            return 1;
    }
    long rss1 = bench_rss_kib();
    printf("per idle host:      %.0f bytes RSS (goal <= 2048): struct ib_stack %zu, ib_netif %zu, "
           "world's index and pointers included\n",
           (double)(rss1 - rss0) * 1024.0 / n, sizeof(struct ib_stack), sizeof(struct ib_netif));
    ib_world_free(w);
    return 0;
}

static int in_child(int (*fn)(uint32_t), uint32_t n)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return fn(n);
    if (pid == 0) {
        int rc = fn(n);
        fflush(stdout);
        _exit(rc);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
        return 1;
    return WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
    uint64_t conns = 10000, hosts = 100000;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--conns") == 0)
            conns = strtoull(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "--hosts") == 0)
            hosts = strtoull(argv[++i], NULL, 10);
        else {
            fprintf(stderr, "usage: %s [--conns C] [--hosts H]\n", argv[0]);
            return 2;
        }
    }
    if (conns == 0 || conns > 16000 || hosts == 0 || hosts > 10000000) {
        fprintf(stderr, "1 <= C <= 16000 (ephemeral ports), 1 <= H <= 10^7\n");
        return 2;
    }
    bench_print_command(argc, argv);
    printf("sizeof ib_tcp:      %zu bytes (goal <= 320; SACK scoreboard %zu of it)\n",
           sizeof(struct ib_tcp), sizeof(struct ib_tcp_sb));
    printf("sizeof ib_tcp_tw:   %zu bytes (TIME_WAIT record)\n", sizeof(struct ib_tcp_tw));
    printf("sizeof ib_tcp_stack: %zu bytes (per stack using TCP)\n", sizeof(struct ib_tcp_stack));
    int rc = in_child(measure_conns, (uint32_t)conns);
    rc |= in_child(measure_hosts, (uint32_t)hosts);
    return rc;
}

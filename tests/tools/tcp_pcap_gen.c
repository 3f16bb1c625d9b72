/* Writes pcapng captures of lossy bulk TCP transfers for the tshark check
 * (tests/scenario/tcp_tshark.sh): for each seed, h1 sends BYTES to h2
 * across h1 - r1 - h2 with 5 % loss and 5 % reordering on r1 - h2, and
 * every link's frames go to DIR/seed<N>/. Exits non-zero unless every
 * transfer arrived byte-exact and both ends closed.
 *
 * Usage: tcp_pcap_gen DIR [--bytes N] [--seeds K] */
#include <inttypes.h>
#include <stdio.h>

#include "inetbox/pcapng.h"
#include "tcp_bulk_harness.h"

static int one_run(const char *dir, uint64_t seed, uint64_t bytes)
{
    struct ib_link_params edge = ib_link_defaults;
    edge.rate_bps = 1000000000;
    edge.delay = IB_MS(1);
    struct ib_link_params neck = ib_link_defaults;
    neck.rate_bps = 100000000;
    neck.delay = IB_MS(5);
    neck.queue = 100;
    neck.loss = 0.05;
    neck.reorder = 0.05;
    struct bulk_flow *f = bulk_new(seed, &edge, &neck, &ib_tcp_defaults, bytes, false);
    if (!f)
        return 1;
    char path[4096];
    snprintf(path, sizeof(path), "%s/seed%" PRIu64, dir, seed);
    struct ib_pcapng *pc = ib_pcapng_open_world(f->w, path);
    if (!pc) {
        perror(path);
        bulk_free(f);
        return 1;
    }
    int rc = bulk_run(f, IB_SEC(3600));
    bool exact = f->received == bytes && bulk_hash_final(&f->rx) == bulk_hash_final(&f->tx);
    printf("seed %" PRIu64 ": %" PRIu64 " of %" PRIu64 " bytes, %s, %s, %.3f s simulated\n", seed,
           f->received, bytes, exact ? "hash equal" : "HASH DIFFERS",
           rc == 0 ? "closed" : "NOT CLOSED", (double)ib_now(&f->w->env) / 1e9);
    if (ib_pcapng_close(pc) != IB_OK)
        rc = 1;
    bulk_free(f);
    return rc == 0 && exact ? 0 : 1;
}

int main(int argc, char **argv)
{
    uint64_t bytes = 1000000, seeds = 3;
    if (argc < 2)
        goto usage;
    for (int i = 2; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--bytes") == 0)
            bytes = strtoull(argv[++i], NULL, 10);
        else if (i + 1 < argc && strcmp(argv[i], "--seeds") == 0)
            seeds = strtoull(argv[++i], NULL, 10);
        else
            goto usage;
    }
    int rc = 0;
    for (uint64_t s = 1; s <= seeds; s++)
        rc |= one_run(argv[1], s, bytes);
    return rc;
usage:
    fprintf(stderr, "usage: %s DIR [--bytes N] [--seeds K]\n", argv[0]);
    return 2;
}

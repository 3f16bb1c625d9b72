/* `inetbox ping`: ICMP echo across the built-in topology, printed the way
 * the classic ping prints it, with the ARP exchanges on a timeline. */
#include "cli.h"

#include <inttypes.h>
#include <math.h>

#include "inetbox/apps.h"

static const char ping_usage[] =
    "Usage: inetbox ping [OPTIONS] [DESTINATION]\n"
    "\n"
    "Sends ICMP echo requests from h1 (or --from) to DESTINATION across the\n"
    "built-in topology and prints each reply with its round-trip time, the ARP\n"
    "exchanges on the way, and statistics. DESTINATION is a node name (h1-h4,\n"
    "r1, r2) or an IPv4 address; the default is h3, on the far LAN.\n"
    "\n"
    "Options:\n"
    "  -c, --count N         requests to send (default 4)\n"
    "  -s, --size N          data bytes per request (default 56; over 1372\n"
    "                        the datagram is fragmented)\n"
    "  -i, --interval SEC    time between requests (default 1)\n"
    "  -W, --timeout SEC     wait for replies after the last request (default 1)\n"
    "  -t, --ttl N           IP time to live (default 64)\n";

static const char ping_examples[] =
    "\n"
    "Examples:\n"
    "  inetbox ping                        4 pings from h1 to h3\n"
    "  inetbox ping --count 2 r2           ping the router across the WAN link\n"
    "  inetbox ping --size 3000            fragments on the way, reassembled by h3\n"
    "  inetbox ping --ttl 2                r2 answers: time to live exceeded\n"
    "  inetbox ping --trace --count 1      every frame, tcpdump-style\n"
    "  inetbox ping --pcap out --count 3   one pcapng file per link in out/\n"
    "  inetbox ping --count 20 --loss 0.2 --seed 7   a lossy WAN link\n";

struct ping_run {
    struct cli_session cs;
    bool quiet; /* --trace: the frames speak for themselves */
};

static void ping_report(struct ib_ping *p, const struct ib_ping_result *r)
{
    struct ping_run *run = p->arg;
    if (run->quiet)
        return;
    char from[IB_IP4_STRLEN];
    ib_ip4_str(r->from, from);
    if (r->kind == IB_PING_ERROR)
        printf("From %s icmp_seq=%u %s\n", from, r->seq, cli_icmp_text(r->type, r->code));
    else
        printf("%" PRIu32 " bytes from %s: icmp_seq=%u ttl=%u time=%.3f ms%s\n", r->bytes, from,
               r->seq, r->ttl, cli_ms(r->rtt), r->kind == IB_PING_DUP ? " (DUP!)" : "");
}

static void ping_summary(const struct ib_ping *p, const char *dst)
{
    const struct ib_ping_stats *st = &p->stats;
    printf("\n--- %s ping statistics ---\n", dst);
    printf("%" PRIu32 " packets transmitted, %" PRIu32 " received", st->transmitted, st->received);
    if (st->duplicates)
        printf(", +%" PRIu32 " duplicates", st->duplicates);
    if (st->errors)
        printf(", +%" PRIu32 " errors", st->errors);
    double loss = st->transmitted
                      ? 100.0 * (double)(st->transmitted - st->received) / st->transmitted
                      : 0;
    printf(", %g%% packet loss, time %.0fms\n", loss, cli_ms(st->last_tx - st->first_tx));
    if (st->received) {
        double avg = (double)st->rtt_sum / st->received;
        double var = st->rtt_sumsq / st->received - avg * avg;
        printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", cli_ms(st->rtt_min),
               avg / 1e6, cli_ms(st->rtt_max), sqrt(var > 0 ? var : 0) / 1e6);
    }
}

int cmd_ping(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"count", required_argument, NULL, 'c'},
        {"size", required_argument, NULL, 's'},
        {"interval", required_argument, NULL, 'i'},
        {"timeout", required_argument, NULL, 'W'},
        {"ttl", required_argument, NULL, 't'},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    struct cli_common common;
    cli_common_defaults(&common);
    struct ib_ping_config cfg = ib_ping_defaults;
    uint64_t v;
    int opt, rc;

    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":c:s:i:W:t:h", longopts, NULL)) != -1) {
        rc = CLI_OK;
        switch (opt) {
        case 'h':
            printf("%s%s%s", ping_usage, cli_common_help, ping_examples);
            return CLI_OK;
        case 'c':
            if ((rc = cli_parse_uint("ping", "--count", optarg, 1, 1000000, &v)) == CLI_OK)
                cfg.count = (uint32_t)v;
            break;
        case 's':
            rc = cli_parse_uint("ping", "--size", optarg, 0,
                                IB_IP4_MAX_LEN - IB_IP4_HLEN - IB_ICMP_HLEN, &v);
            if (rc == CLI_OK)
                cfg.size = (uint32_t)v;
            break;
        case 'i':
            rc = cli_parse_seconds("ping", "--interval", optarg, &cfg.interval);
            break;
        case 'W':
            rc = cli_parse_seconds("ping", "--timeout", optarg, &cfg.timeout);
            break;
        case 't':
            if ((rc = cli_parse_uint("ping", "--ttl", optarg, 1, 255, &v)) == CLI_OK)
                cfg.ttl = (uint8_t)v;
            break;
        case '?':
        case ':':
            return cli_bad_option("ping", opt, argv);
        default:
            rc = cli_common_option("ping", opt, optarg, &common);
            break;
        }
        if (rc != CLI_OK)
            return rc;
    }
    if (argc - optind > 1)
        return cli_usage_error("ping", "one destination only, got '%s' too", argv[optind + 1]);

    struct ping_run run = {.quiet = common.trace};
    rc = cli_session_open(&run.cs, "ping", &common, optind < argc ? argv[optind] : NULL);
    if (rc != CLI_OK)
        return rc;
    cfg.dst = run.cs.dst;

    char dst[IB_IP4_STRLEN], src[IB_IP4_STRLEN];
    ib_ip4_str(cfg.dst, dst);
    ib_ip4_str(ib_ip4_source_for(run.cs.src, cfg.dst), src);
    const char *dst_name = cli_name_of(&run.cs, cfg.dst);
    if (!run.quiet)
        printf("PING %s (%s) from %s (%s): %" PRIu32 " data bytes\n", dst,
               dst_name ? dst_name : "?", src, run.cs.src->node.name, cfg.size);

    struct ib_ping ping;
    if (ib_ping_start(&ping, run.cs.src, &cfg, ping_report, &run) != 0) {
        fprintf(stderr, "inetbox ping: cannot start pinging %s\n", dst);
        cli_session_close(&run.cs);
        return CLI_FAIL;
    }
    cli_session_run(&run.cs, &ping.done);
    ib_ping_stop(&ping);
    ping_summary(&ping, dst);
    rc = cli_session_close(&run.cs);
    /* Like ping: no reply at all is a failure. */
    if (rc == CLI_OK && ping.stats.received == 0)
        rc = CLI_FAIL;
    return rc;
}

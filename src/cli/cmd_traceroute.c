/* `inetbox traceroute`: the route from h1 to a host of the built-in
 * topology, one line per hop as the classic traceroute prints it, with the
 * ARP exchanges on a timeline. */
#include "cli.h"

#include <inttypes.h>

#include "inetbox/apps.h"

static const char traceroute_usage[] =
    "Usage: inetbox traceroute [OPTIONS] [DESTINATION]\n"
    "\n"
    "Sends UDP probes from h1 (or --from) to ports 33434 and up of DESTINATION\n"
    "with TTL 1, 2, 3 ... Each router where the TTL runs out answers with ICMP\n"
    "time exceeded; the destination answers with port unreachable. Prints one\n"
    "line per hop with the time of each probe (* when none came back within the\n"
    "timeout). DESTINATION is a node name (h1-h4, r1, r2) or an IPv4 address;\n"
    "the default is h3, on the far LAN.\n"
    "\n"
    "Options:\n"
    "  -m, --max-ttl N       the last TTL to try (default 30)\n"
    "  -f, --first-ttl N     the first TTL to try (default 1)\n"
    "  -q, --queries N       probes per hop (default 3, at most 10)\n"
    "  -p, --port N          destination port of the first probe (default 33434)\n"
    "  -s, --size N          UDP data bytes per probe (default 32)\n"
    "  -w, --timeout SEC     wait for each probe's answer (default 1)\n";

static const char traceroute_examples[] =
    "\n"
    "Examples:\n"
    "  inetbox traceroute                   h1 to h3: r1, r2, h3\n"
    "  inetbox traceroute --from h4 h2      the other way round\n"
    "  inetbox traceroute 10.0.9.9          r1 has no route there: !N\n"
    "  inetbox traceroute --trace           every frame, tcpdump-style\n"
    "  inetbox traceroute --pcap out        one pcapng file per link in out/\n";

struct tr_run {
    struct cli_session cs;
    bool quiet;
};

static const char *tr_annotation(const struct ib_traceroute_probe *pr, ib_ip4 dst)
{
    if (pr->type != IB_ICMP_DEST_UNREACH)
        return "";
    switch (pr->code) {
    case IB_ICMP_UNREACH_NET:
        return " !N";
    case IB_ICMP_UNREACH_HOST:
        return " !H";
    case IB_ICMP_UNREACH_PROTO:
        return " !P";
    case IB_ICMP_UNREACH_PORT:
        return pr->from == dst ? "" : " !"; /* a router closed the port: odd */
    case IB_ICMP_UNREACH_NEEDFRAG:
        return " !F";
    default:
        return " !X";
    }
}

static void tr_report(struct ib_traceroute *t, const struct ib_traceroute_hop *h)
{
    struct tr_run *run = t->arg;
    if (run->quiet)
        return;
    printf("%2u ", h->ttl);
    ib_ip4 last = 0;
    for (unsigned i = 0; i < h->n; i++) {
        const struct ib_traceroute_probe *pr = &h->probe[i];
        if (!pr->answered) {
            printf(" *");
            continue;
        }
        if (pr->from != last) {
            char ip[IB_IP4_STRLEN];
            const char *name = cli_name_of(&run->cs, pr->from);
            printf(" %s (%s)", name ? name : ib_ip4_str(pr->from, ip), ib_ip4_str(pr->from, ip));
            last = pr->from;
        }
        printf("  %.3f ms%s", cli_ms(pr->rtt), tr_annotation(pr, t->cfg.dst));
    }
    putchar('\n');
}

int cmd_traceroute(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"max-ttl", required_argument, NULL, 'm'},
        {"first-ttl", required_argument, NULL, 'f'},
        {"queries", required_argument, NULL, 'q'},
        {"port", required_argument, NULL, 'p'},
        {"size", required_argument, NULL, 's'},
        {"timeout", required_argument, NULL, 'w'},
        CLI_COMMON_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    struct cli_common common;
    cli_common_defaults(&common);
    struct ib_traceroute_config cfg = ib_traceroute_defaults;
    uint64_t v;
    int opt, rc;

    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":m:f:q:p:s:w:h", longopts, NULL)) != -1) {
        rc = CLI_OK;
        switch (opt) {
        case 'h':
            printf("%s%s%s", traceroute_usage, cli_common_help, traceroute_examples);
            return CLI_OK;
        case 'm':
            if ((rc = cli_parse_uint("traceroute", "--max-ttl", optarg, 1, 255, &v)) == CLI_OK)
                cfg.max_ttl = (uint8_t)v;
            break;
        case 'f':
            if ((rc = cli_parse_uint("traceroute", "--first-ttl", optarg, 1, 255, &v)) == CLI_OK)
                cfg.first_ttl = (uint8_t)v;
            break;
        case 'q':
            rc = cli_parse_uint("traceroute", "--queries", optarg, 1, IB_TRACEROUTE_MAX_QUERIES,
                                &v);
            if (rc == CLI_OK)
                cfg.queries = (uint8_t)v;
            break;
        case 'p':
            if ((rc = cli_parse_uint("traceroute", "--port", optarg, 1, 65535, &v)) == CLI_OK)
                cfg.port = (uint16_t)v;
            break;
        case 's':
            rc = cli_parse_uint("traceroute", "--size", optarg, 0,
                                IB_IP4_MAX_LEN - IB_IP4_HLEN - IB_UDP_HLEN, &v);
            if (rc == CLI_OK)
                cfg.size = (uint32_t)v;
            break;
        case 'w':
            rc = cli_parse_seconds("traceroute", "--timeout", optarg, &cfg.timeout);
            break;
        case '?':
        case ':':
            return cli_bad_option("traceroute", opt, argv);
        default:
            rc = cli_common_option("traceroute", opt, optarg, &common);
            break;
        }
        if (rc != CLI_OK)
            return rc;
    }
    if (argc - optind > 1)
        return cli_usage_error("traceroute", "one destination only, got '%s' too",
                               argv[optind + 1]);
    if (cfg.first_ttl > cfg.max_ttl)
        return cli_usage_error("traceroute", "--first-ttl %u is beyond --max-ttl %u",
                               cfg.first_ttl, cfg.max_ttl);

    struct tr_run run = {.quiet = common.trace};
    rc = cli_session_open(&run.cs, "traceroute", &common, optind < argc ? argv[optind] : NULL);
    if (rc != CLI_OK)
        return rc;
    cfg.dst = run.cs.dst;

    char dst[IB_IP4_STRLEN], src[IB_IP4_STRLEN];
    ib_ip4_str(cfg.dst, dst);
    ib_ip4_str(ib_ip4_source_for(run.cs.src, cfg.dst), src);
    const char *dst_name = cli_name_of(&run.cs, cfg.dst);
    if (!run.quiet)
        printf("traceroute to %s (%s) from %s (%s), %u hops max, %" PRIu32 " byte packets\n",
               dst, dst_name ? dst_name : "?", src, run.cs.src->node.name, cfg.max_ttl,
               cfg.size + IB_IP4_HLEN + IB_UDP_HLEN);

    struct ib_traceroute tr;
    rc = ib_traceroute_start(&tr, run.cs.src, &cfg, tr_report, &run);
    if (rc != 0) {
        fprintf(stderr, "inetbox traceroute: cannot start: %s\n", ib_err_str(rc));
        cli_session_close(&run.cs);
        return CLI_FAIL;
    }
    cli_session_run(&run.cs, &tr.done);
    bool reached = tr.reached;
    ib_traceroute_stop(&tr);
    rc = cli_session_close(&run.cs);
    if (rc == CLI_OK && !reached)
        fprintf(stderr, "inetbox traceroute: %s not reached within %u hops\n", dst, cfg.max_ttl);
    return rc;
}

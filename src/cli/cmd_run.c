/* `inetbox run FILE`: loads a scenario file (docs/scenario.md), builds its
 * world and runs it until the file's stop time, with the same outputs as
 * the other commands: tcpdump-style lines (--trace) and one pcapng file
 * per link (--pcap DIR). A file the loader rejects is bad input: its
 * "file:line:col: ..." message goes to standard error and the exit status
 * is 2. */
#include "cli.h"

static const char run_usage[] =
    "Usage: inetbox run [OPTIONS] FILE\n"
    "\n"
    "Builds the network described by the scenario FILE (YAML; see\n"
    "docs/scenario.md) and runs it until its stop time, or until nothing is\n"
    "left to happen if it has none, printing what each timeline action\n"
    "came to. A file with an error is reported as\n"
    "FILE:LINE:COLUMN: what was expected, with exit status 2.\n"
    "\n"
    "Options:\n"
    "  --trace               print every frame, tcpdump-style, and every TCP state\n"
    "                        change, NAT, DHCP, DNS and HTTP event\n"
    "  --pcap DIR            write one pcapng file per link into DIR\n"
    "  --json FILE           write every event as a JSON line to FILE (- for stdout)\n"
    "  --html FILE           write a report to FILE: one HTML page with the topology,\n"
    "                        sequence diagram, packets and their layers, TCP states\n"
    "                        and plots, and each node's tables over time\n"
    "  -h, --help            show this help\n"
    "\n"
    "Examples:\n"
    "  inetbox run examples/two-lans.yaml\n"
    "  inetbox run --trace examples/two-lans.yaml\n"
    "  inetbox run --pcap out examples/two-lans.yaml\n"
    "  inetbox run --html two-lans.html examples/two-lans.yaml\n";

static void on_result(void *arg, const struct ib_sc_result *r)
{
    cli_print_result(r);
}

int cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"trace", no_argument, NULL, CLI_OPT_TRACE},
        {"pcap", required_argument, NULL, CLI_OPT_PCAP},
        {"json", required_argument, NULL, CLI_OPT_JSON},
        {"html", required_argument, NULL, CLI_OPT_HTML},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cli_run_opts o = {.cmd = "run", .report = on_result};
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            printf("%s", run_usage);
            return CLI_OK;
        case CLI_OPT_TRACE:
            o.trace = true;
            break;
        case CLI_OPT_PCAP:
            o.pcap_dir = optarg;
            break;
        case CLI_OPT_JSON:
            o.json_path = optarg;
            break;
        case CLI_OPT_HTML:
            o.html_path = optarg;
            break;
        default:
            return cli_bad_option("run", opt, argv);
        }
    }
    if (optind >= argc)
        return cli_usage_error("run", "a scenario FILE is needed");
    if (optind + 1 < argc)
        return cli_usage_error("run", "one FILE only, got '%s' too", argv[optind + 1]);

    struct ib_scenario sc;
    char err[IB_SC_ERR_MAX];
    int rc = ib_scenario_load(&sc, argv[optind], err, sizeof(err));
    if (rc == 0) {
        o.summary = !o.trace;
        rc = cli_run_scenario(&sc, &o);
    } else {
        fprintf(stderr, "%s\n", err);
        rc = rc == IB_ERR_NOMEM ? CLI_FAIL : CLI_USAGE;
    }
    ib_scenario_free(&sc);
    return rc;
}

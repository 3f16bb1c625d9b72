/* `inetbox run FILE`: loads a scenario file (docs/scenario.md), builds its
 * world and runs it until the file's stop time, with the same outputs as
 * the other commands: tcpdump-style lines (--trace) and one pcapng file
 * per link (--pcap DIR). A file the loader rejects is bad input: its
 * "file:line:col: ..." message goes to standard error and the exit status
 * is 2. */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "inetbox/scenario.h"

static const char run_usage[] =
    "Usage: inetbox run [OPTIONS] FILE\n"
    "\n"
    "Builds the network described by the scenario FILE (YAML; see\n"
    "docs/scenario.md) and runs it until its stop time, or until nothing is\n"
    "left to happen if it has none. A file with an error is reported as\n"
    "FILE:LINE:COLUMN: what was expected, with exit status 2.\n"
    "\n"
    "Options:\n"
    "  --trace               print every frame, tcpdump-style\n"
    "  --pcap DIR            write one pcapng file per link into DIR\n"
    "  -h, --help            show this help\n"
    "\n"
    "Examples:\n"
    "  inetbox run examples/two-lans.yaml\n"
    "  inetbox run --trace examples/two-lans.yaml\n"
    "  inetbox run --pcap out examples/two-lans.yaml\n";

/* Builds, observes and runs the loaded scenario; CLI_OK or CLI_FAIL. */
static int run_world(const struct ib_scenario *sc, bool trace, const char *pcap_dir)
{
    char err[IB_SC_ERR_MAX];
    struct ib_world *w = ib_scenario_build(sc, err, sizeof(err));
    if (!w) {
        fprintf(stderr, "inetbox run: %s\n", err);
        return CLI_FAIL;
    }
    struct ib_tcpdump td = {.out = stdout};
    struct ib_pcapng *pcap = NULL;
    int rc = CLI_FAIL;
    if (trace && ib_world_observe(w, ib_tcpdump_observer, &td) != 0) {
        fprintf(stderr, "inetbox run: out of memory\n");
        goto out;
    }
    if (pcap_dir && !(pcap = ib_pcapng_open_world(w, pcap_dir))) {
        fprintf(stderr, "inetbox run: cannot write pcap files into %s: %s\n", pcap_dir,
                strerror(errno));
        goto out;
    }
    if (ib_scenario_configure(sc, w, err, sizeof(err)) != 0) {
        fprintf(stderr, "inetbox run: %s\n", err);
        goto out;
    }
    uint64_t events = ib_world_run(w, sc->stop);
    if (!trace)
        printf("%s: %u nodes, %u links, %" PRIu64 " events, simulated time %.6f s\n",
               sc->name[0] ? sc->name : sc->file, w->n_nodes, w->n_links, events,
               (double)ib_now(&w->env) / 1e9);
    rc = CLI_OK;
out:
    fflush(stdout);
    if (pcap && ib_pcapng_close(pcap) != 0) {
        fprintf(stderr, "inetbox run: writing pcap files into %s failed\n", pcap_dir);
        rc = CLI_FAIL;
    }
    ib_world_free(w);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"trace", no_argument, NULL, CLI_OPT_TRACE},
        {"pcap", required_argument, NULL, CLI_OPT_PCAP},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool trace = false;
    const char *pcap_dir = NULL;
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            printf("%s", run_usage);
            return CLI_OK;
        case CLI_OPT_TRACE:
            trace = true;
            break;
        case CLI_OPT_PCAP:
            pcap_dir = optarg;
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
        rc = run_world(&sc, trace, pcap_dir);
    } else {
        fprintf(stderr, "%s\n", err);
        rc = rc == IB_ERR_NOMEM ? CLI_FAIL : CLI_USAGE;
    }
    ib_scenario_free(&sc);
    return rc;
}

/* `inetbox journey [URL]`: what happens when a browser fetches a page, told
 * step by step on the built-in internet (examples/internet.yaml, compiled
 * in) or on any scenario whose timeline has a fetch. The story is built
 * from the run's events by the story observer (include/inetbox/story.h). */
#include "cli.h"

#include <string.h>

#include "inetbox/http.h"
#include "inetbox/story.h"

extern const char ib_builtin_internet[];
extern const size_t ib_builtin_internet_len;

static const char journey_usage[] =
    "Usage: inetbox journey [OPTIONS] [URL]\n"
    "\n"
    "Tells what happens when a browser fetches URL (default\n"
    "http://www.google.com/) on the built-in internet: the laptop gets its\n"
    "address from DHCP, asks DNS from the root down to google.com, builds the\n"
    "packet layer by layer, ARPs for its gateway, goes through NAT and seven\n"
    "routers, ARPs again inside Google's LAN, opens TCP with the 3-way\n"
    "handshake, gets the page over HTTP and closes with the 4-way close and\n"
    "TIME_WAIT. Every line is a real event of the simulation: the same run\n"
    "gives the same story, the same trace and the same pcap files.\n"
    "\n"
    "Options:\n"
    "  --lang en|ko          tell the story in English (default) or Korean\n"
    "  --trace               print tcpdump-style lines instead of the story\n"
    "  --pcap DIR            write one pcapng file per link into DIR\n"
    "  --json FILE           write every event as a JSON line to FILE (- for stdout)\n"
    "  --html FILE           write a report to FILE: one HTML page with the story,\n"
    "                        topology, sequence diagram, packets and their layers,\n"
    "                        TCP states and plots, and each node's tables over time\n"
    "  --seed N              seed of every random choice (default: the scenario's)\n"
    "  --scenario FILE       use FILE instead of the built-in internet; its first\n"
    "                        fetch on the timeline is the one told\n"
    "  --print-scenario      print the built-in internet's scenario and exit\n"
    "  -h, --help            show this help\n"
    "\n"
    "Examples:\n"
    "  inetbox journey\n"
    "  inetbox journey --lang ko\n"
    "  inetbox journey --pcap out && wireshark out/*.pcapng\n"
    "  inetbox journey --html journey.html && xdg-open journey.html\n"
    "  inetbox journey --print-scenario > my.yaml && inetbox journey --scenario my.yaml\n";

struct journey {
    bool fetched;
    int err;
};

static void on_result(void *arg, const struct ib_sc_result *r)
{
    struct journey *j = arg;
    if (r->item->action != IB_SC_FETCH || j->fetched)
        return;
    j->fetched = true;
    j->err = r->err;
}

static int journey_run(struct ib_scenario *sc, const char *url, enum ib_lang lang,
                       struct cli_run_opts *o)
{
    struct ib_sc_action_item *fetch = NULL;
    for (uint32_t i = 0; i < sc->n_timeline && !fetch; i++)
        if (sc->timeline[i].action == IB_SC_FETCH)
            fetch = &sc->timeline[i];
    if (!fetch) {
        fprintf(stderr, "inetbox journey: %s has no fetch on its timeline; add one such as\n"
                        "  timeline: [{at: 5s, node: laptop, fetch: \"http://www.google.com/\"}]\n",
                sc->file);
        return CLI_USAGE;
    }
    if (url) {
        if (strlen(url) >= sizeof(fetch->arg))
            return cli_usage_error("journey", "the URL is longer than %zu bytes",
                                   sizeof(fetch->arg) - 1);
        strcpy(fetch->arg, url);
    }
    struct ib_story *st = NULL;
    if (!o->trace) {
        st = ib_story_new(sc->nodes[fetch->node].name, fetch->arg);
        if (!st) {
            fprintf(stderr, "inetbox journey: out of memory\n");
            return CLI_FAIL;
        }
        o->observer = ib_story_observe;
        o->observer_ctx = st;
        o->story = st;
    }
    struct journey j = {0};
    o->report = on_result;
    o->report_arg = &j;
    int rc = cli_run_scenario(sc, o);
    if (rc == CLI_OK && st) {
        ib_story_finish(st);
        ib_story_print(st, lang, stdout);
    }
    ib_story_free(st);
    if (rc == CLI_OK && (!j.fetched || j.err)) {
        if (j.fetched)
            fprintf(stderr, "inetbox journey: the fetch of %s failed: %s\n", fetch->arg,
                    ib_err_str(j.err));
        else
            fprintf(stderr, "inetbox journey: the fetch of %s did not finish before the "
                            "scenario's stop time\n",
                    fetch->arg);
        rc = CLI_FAIL;
    }
    return rc;
}

int cmd_journey(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"lang", required_argument, NULL, CLI_OPT_LANG},
        {"trace", no_argument, NULL, CLI_OPT_TRACE},
        {"pcap", required_argument, NULL, CLI_OPT_PCAP},
        {"json", required_argument, NULL, CLI_OPT_JSON},
        {"html", required_argument, NULL, CLI_OPT_HTML},
        {"seed", required_argument, NULL, CLI_OPT_SEED},
        {"scenario", required_argument, NULL, CLI_OPT_SCENARIO},
        {"print-scenario", no_argument, NULL, CLI_OPT_PRINT_SCENARIO},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cli_run_opts o = {.cmd = "journey"};
    enum ib_lang lang = IB_LANG_EN;
    const char *file = NULL;
    uint64_t seed = 0;
    bool has_seed = false;
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            printf("%s", journey_usage);
            return CLI_OK;
        case CLI_OPT_LANG:
            if (strcmp(optarg, "en") == 0)
                lang = IB_LANG_EN;
            else if (strcmp(optarg, "ko") == 0)
                lang = IB_LANG_KO;
            else
                return cli_usage_error("journey", "--lang takes en or ko, not '%s'", optarg);
            break;
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
        case CLI_OPT_SEED:
            if (cli_parse_uint("journey", "--seed", optarg, 0, UINT64_MAX, &seed) != CLI_OK)
                return CLI_USAGE;
            has_seed = true;
            break;
        case CLI_OPT_SCENARIO:
            file = optarg;
            break;
        case CLI_OPT_PRINT_SCENARIO:
            fwrite(ib_builtin_internet, 1, ib_builtin_internet_len, stdout);
            return CLI_OK;
        default:
            return cli_bad_option("journey", opt, argv);
        }
    }
    if (optind + 1 < argc)
        return cli_usage_error("journey", "one URL only, got '%s' too", argv[optind + 1]);
    const char *url = optind < argc ? argv[optind] : NULL;
    struct ib_url parsed;
    if (url && ib_url_parse(url, &parsed) != 0)
        return cli_usage_error("journey", "'%s' is not a URL inetbox can fetch; expected "
                                          "http://host[:port][/path]",
                               url);
    struct ib_scenario sc;
    char err[IB_SC_ERR_MAX];
    int rc = file ? ib_scenario_load(&sc, file, err, sizeof(err))
                  : ib_scenario_parse(&sc, "internet.yaml", ib_builtin_internet,
                                      ib_builtin_internet_len, err, sizeof(err));
    if (rc == 0) {
        if (has_seed)
            sc.seed = seed;
        rc = journey_run(&sc, url, lang, &o);
    } else {
        fprintf(stderr, "%s\n", err);
        rc = rc == IB_ERR_NOMEM ? CLI_FAIL : CLI_USAGE;
    }
    ib_scenario_free(&sc);
    return rc;
}

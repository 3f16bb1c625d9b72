/* What the CLI's subcommands share: exit codes, option parsing helpers,
 * and a session (a world running the built-in topology with the observers
 * the options asked for). */
#ifndef INETBOX_CLI_H
#define INETBOX_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "inetbox/pcapng.h"
#include "inetbox/scenario.h"
#include "inetbox/tcpdump.h"
#include "topo.h"

/* Exit codes, as the common conventions want them. */
enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

int cmd_ping(int argc, char **argv);
int cmd_traceroute(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_journey(int argc, char **argv);
int cmd_live(int argc, char **argv);

/* How cli_run_scenario runs a scenario and what it writes. */
struct cli_run_opts {
    const char *cmd;       /* for messages */
    bool trace;            /* tcpdump-style lines on stdout */
    bool summary;          /* a line of counts at the end */
    const char *pcap_dir;  /* one pcapng per link */
    const char *json_path; /* JSON lines ("-": stdout) */
    ib_observer_fn observer; /* one more observer, e.g. the story */
    void *observer_ctx;
    const char *html_path;   /* the HTML report (include/inetbox/report.h) */
    struct ib_story *story;  /* told in the report (finished by the runner) */
    ib_sc_report_fn report; /* timeline results */
    void *report_arg;
};
/* Builds, observes, configures, starts and runs sc to its stop time, then
 * stops and frees everything: CLI_OK or CLI_FAIL (after saying why). */
int cli_run_scenario(const struct ib_scenario *sc, const struct cli_run_opts *o);
/* One line for a timeline action's result. */
void cli_print_result(const struct ib_sc_result *r);

/* Options every simulation command takes. */
struct cli_common {
    uint64_t seed;
    bool trace;
    const char *pcap_dir;
    const char *from;
    struct topo_impair imp;
};

enum {
    CLI_OPT_SEED = 256,
    CLI_OPT_TRACE,
    CLI_OPT_PCAP,
    CLI_OPT_FROM,
    CLI_OPT_LOSS,
    CLI_OPT_DUPLICATE,
    CLI_OPT_REORDER,
    CLI_OPT_CORRUPT,
    CLI_OPT_JSON,
    CLI_OPT_LANG,
    CLI_OPT_PRINT_SCENARIO,
    CLI_OPT_SCENARIO,
    CLI_OPT_HTML,
    CLI_OPT__LIVE, /* cmd_live.c numbers its own options from here */
};

/* getopt_long entries of the common options, to put in each command's
 * table. */
#define CLI_COMMON_LONGOPTS                                                                        \
    {"seed", required_argument, NULL, CLI_OPT_SEED},                                               \
        {"trace", no_argument, NULL, CLI_OPT_TRACE},                                               \
        {"pcap", required_argument, NULL, CLI_OPT_PCAP},                                           \
        {"from", required_argument, NULL, CLI_OPT_FROM},                                           \
        {"loss", required_argument, NULL, CLI_OPT_LOSS},                                           \
        {"duplicate", required_argument, NULL, CLI_OPT_DUPLICATE},                                 \
        {"reorder", required_argument, NULL, CLI_OPT_REORDER},                                     \
        {"corrupt", required_argument, NULL, CLI_OPT_CORRUPT},                                     \
        {"help", no_argument, NULL, 'h'}

/* Help text of the common options, for each command's --help. */
extern const char cli_common_help[];

void cli_common_defaults(struct cli_common *c);
/* Handles one common option: returns CLI_OK, CLI_USAGE after printing why,
 * or -1 if opt is not a common option. */
int cli_common_option(const char *cmd, int opt, const char *arg, struct cli_common *c);
/* Reports the option getopt_long could not take (it returned '?' or ':').
 * Returns CLI_USAGE. */
int cli_bad_option(const char *cmd, int opt, char **argv);
/* Prints "inetbox CMD: message" and a hint to stderr; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Number parsers for option values: CLI_OK or CLI_USAGE (after saying why). */
int cli_parse_uint(const char *cmd, const char *opt, const char *s, uint64_t min, uint64_t max,
                   uint64_t *out);
int cli_parse_seconds(const char *cmd, const char *opt, const char *s, ib_time *out);

/* When the application starts, in simulated time. */
#define CLI_START IB_SEC(1)

struct cli_session {
    const char *cmd;
    const struct cli_common *opt;
    struct ib_world *w;
    struct ib_pcapng *pcap;
    struct ib_tcpdump td;
    struct ib_stack *src;
    ib_ip4 dst;
};

/* Builds the world, checks --from and the destination (NULL: h3), attaches
 * the observers and configures the topology. Returns CLI_OK, or CLI_USAGE
 * or CLI_FAIL after printing why (the session is then closed). */
int cli_session_open(struct cli_session *cs, const char *cmd, const struct cli_common *c,
                     const char *dst_arg);
/* Runs the simulation until *done (or until nothing is left to happen). */
void cli_session_run(struct cli_session *cs, const bool *done);
/* Closes the pcap files and frees the world: CLI_OK or CLI_FAIL. */
int cli_session_close(struct cli_session *cs);

/* The name of the node owning address a, or NULL. */
const char *cli_name_of(const struct cli_session *cs, ib_ip4 a);
/* Milliseconds, for printing. */
static inline double cli_ms(ib_time t) { return (double)t / 1e6; }
/* Prints a timeline line: simulated time, node, protocol, then text. */
void cli_timeline(ib_time t, const char *node, const char *proto, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* "Time to live exceeded" etc., as ping and traceroute print them. */
const char *cli_icmp_text(uint8_t type, uint8_t code);

#endif

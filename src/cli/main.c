/* The inetbox command: global options, then one subcommand per file
 * (cmd_*.c). Conventions: --help and --version, errors on standard error,
 * exit status 0 on success, 2 on bad usage or bad input, 1 on any other
 * failure. */
#include "cli.h"

#include <string.h>

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"journey", cmd_journey, "what happens when a browser fetches http://www.google.com/"},
    {"ping", cmd_ping, "ICMP echo from h1 to h3 across the built-in topology"},
    {"traceroute", cmd_traceroute, "the route from h1 to h3, hop by hop, with UDP probes"},
    {"run", cmd_run, "run a scenario file (docs/scenario.md)"},
    {"live", cmd_live, "run the stack as one host on a TAP device, in real time"},
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: inetbox [--help] [--version] COMMAND [OPTIONS] [ARGS]\n"
               "\n"
               "An internet in a box: hosts, switches and routers running a real TCP/IP\n"
               "stack in a deterministic simulator, or live as one host on a TAP device.\n"
               "\n"
               "Commands:\n");
    for (size_t i = 0; i < IB_ARRAY_LEN(commands); i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n"
               "Options:\n"
               "  -h, --help     show this help\n"
               "  -V, --version  show the version\n"
               "\n"
               "Run 'inetbox COMMAND --help' for a command's options and examples.\n"
               "\n"
               "Examples:\n"
               "  inetbox journey\n"
               "  inetbox journey --lang ko\n"
               "  inetbox ping\n"
               "  inetbox traceroute --pcap out\n"
               "  inetbox live --tap ib0 --host-addr 10.99.0.1/24 --addr 10.99.0.2/24 --http .\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    opterr = 0;
    /* '+': stop at the command name; what follows belongs to the command. */
    while ((opt = getopt_long(argc, argv, "+:hV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'h':
            usage(stdout);
            return CLI_OK;
        case 'V':
            printf("inetbox %s\n", IB_VERSION);
            return CLI_OK;
        default:
            return cli_bad_option(NULL, opt, argv);
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    const char *name = argv[optind];
    if (strcmp(name, "help") == 0) {
        if (optind + 1 >= argc) {
            usage(stdout);
            return CLI_OK;
        }
        name = argv[optind + 1];
    }
    for (size_t i = 0; i < IB_ARRAY_LEN(commands); i++) {
        if (strcmp(name, commands[i].name) != 0)
            continue;
        if (name != argv[optind]) {
            char *help_argv[] = {argv[optind + 1], "--help", NULL};
            return commands[i].run(2, help_argv);
        }
        return commands[i].run(argc - optind, argv + optind);
    }
    return cli_usage_error(NULL, "unknown command '%s'", name);
}

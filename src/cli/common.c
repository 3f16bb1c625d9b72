/* The CLI's shared parts: the common options of the simulation commands,
 * checked number parsing, and the session that builds the built-in
 * topology, attaches the observers (the timeline printer, or tcpdump-style
 * lines with --trace, and the pcapng writer with --pcap) and runs the
 * world. */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>

#include "inetbox/icmp.h"

const char cli_common_help[] =
    "      --seed N          seed of every random choice (default 1)\n"
    "      --trace           print every frame tcpdump-style instead of the timeline\n"
    "      --pcap DIR        write one pcapng file per link into DIR\n"
    "      --from NODE       the host that sends (default h1)\n"
    "      --loss P          drop each frame on the r1-r2 link with probability P\n"
    "      --duplicate P     duplicate frames on the r1-r2 link with probability P\n"
    "      --reorder P       delay frames on the r1-r2 link past later ones with probability P\n"
    "      --corrupt P       flip a bit in frames on the r1-r2 link with probability P\n"
    "  -h, --help            show this help\n";

void cli_common_defaults(struct cli_common *c)
{
    memset(c, 0, sizeof(*c));
    c->seed = 1;
    c->from = "h1";
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "inetbox%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'inetbox%s%s --help' for more information.\n", cmd ? " " : "",
            cmd ? cmd : "");
    return CLI_USAGE;
}

int cli_bad_option(const char *cmd, int opt, char **argv)
{
    const char *what = argv[optind - 1];
    if (opt == ':')
        return cli_usage_error(cmd, "option '%s' needs a value", what);
    if (optopt && what[0] == '-' && what[1] != '-')
        return cli_usage_error(cmd, "unknown option '-%c'", optopt);
    return cli_usage_error(cmd, "unknown option '%s'", what);
}

int cli_parse_uint(const char *cmd, const char *opt, const char *s, uint64_t min, uint64_t max,
                   uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (s[0] == '-' || s[0] == '\0' || *end != '\0' || errno)
        return cli_usage_error(cmd, "%s wants a number, not '%s'", opt, s);
    if (v < min || v > max)
        return cli_usage_error(cmd, "%s must be between %" PRIu64 " and %" PRIu64, opt, min,
                               max);
    *out = v;
    return CLI_OK;
}

static int cli_parse_double(const char *cmd, const char *opt, const char *s, double min,
                            double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (s[0] == '\0' || *end != '\0' || errno || !isfinite(v))
        return cli_usage_error(cmd, "%s wants a number, not '%s'", opt, s);
    if (v < min || v > max)
        return cli_usage_error(cmd, "%s must be between %g and %g", opt, min, max);
    *out = v;
    return CLI_OK;
}

int cli_parse_seconds(const char *cmd, const char *opt, const char *s, ib_time *out)
{
    double v = 0;
    int rc = cli_parse_double(cmd, opt, s, 0.001, 3600, &v);
    if (rc == CLI_OK)
        *out = (ib_time)llround(v * 1e9);
    return rc;
}

int cli_common_option(const char *cmd, int opt, const char *arg, struct cli_common *c)
{
    switch (opt) {
    case CLI_OPT_SEED:
        return cli_parse_uint(cmd, "--seed", arg, 0, UINT64_MAX, &c->seed);
    case CLI_OPT_TRACE:
        c->trace = true;
        return CLI_OK;
    case CLI_OPT_PCAP:
        c->pcap_dir = arg;
        return CLI_OK;
    case CLI_OPT_FROM:
        c->from = arg;
        return CLI_OK;
    case CLI_OPT_LOSS:
        return cli_parse_double(cmd, "--loss", arg, 0, 1, &c->imp.loss);
    case CLI_OPT_DUPLICATE:
        return cli_parse_double(cmd, "--duplicate", arg, 0, 1, &c->imp.duplicate);
    case CLI_OPT_REORDER:
        return cli_parse_double(cmd, "--reorder", arg, 0, 1, &c->imp.reorder);
    case CLI_OPT_CORRUPT:
        return cli_parse_double(cmd, "--corrupt", arg, 0, 1, &c->imp.corrupt);
    default:
        return -1;
    }
}

const char *cli_name_of(const struct cli_session *cs, ib_ip4 a)
{
    for (uint32_t i = 0; i < cs->w->n_nifs; i++) {
        const struct ib_netif *nif = cs->w->nifs[i];
        if (nif->addr == a && a != 0)
            return nif->node->name;
    }
    return NULL;
}

void cli_timeline(ib_time t, const char *node, const char *proto, const char *fmt, ...)
{
    va_list ap;
    printf("  %4" PRId64 ".%06" PRId64 "  %-4s %-5s ", t / IB_SEC(1), t % IB_SEC(1) / 1000, node,
           proto);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

const char *cli_icmp_text(uint8_t type, uint8_t code)
{
    if (type == IB_ICMP_TIME_EXCEEDED)
        return code == IB_ICMP_EXC_REASS ? "Frag reassembly time exceeded"
                                         : "Time to live exceeded";
    if (type != IB_ICMP_DEST_UNREACH)
        return "Unexpected ICMP message";
    switch (code) {
    case IB_ICMP_UNREACH_NET:
        return "Destination Net Unreachable";
    case IB_ICMP_UNREACH_HOST:
        return "Destination Host Unreachable";
    case IB_ICMP_UNREACH_PROTO:
        return "Destination Protocol Unreachable";
    case IB_ICMP_UNREACH_PORT:
        return "Destination Port Unreachable";
    case IB_ICMP_UNREACH_NEEDFRAG:
        return "Frag needed and DF set";
    default:
        return "Destination Unreachable";
    }
}

/* The timeline of the normal output: each echo request, the ARP exchanges
 * and what the wire lost. The applications print their results (replies,
 * hops) through their report callbacks, which run in the same event
 * order. */
static void cli_timeline_observer(void *ctx, const struct ib_event *ev)
{
    const char *node = ev->node ? ev->node->name : "-";
    char ip[IB_IP4_STRLEN], mac[IB_MAC_STRLEN], own[IB_IP4_STRLEN];
    switch (ev->kind) {
    case IB_EV_ARP_REQUEST:
        cli_timeline(ev->t, node, "ARP", "who-has %s tell %s", ib_ip4_str(ev->u.arp.ip, ip),
                     ib_ip4_str(ev->nif ? ev->nif->addr : 0, own));
        break;
    case IB_EV_ARP_REPLY:
        cli_timeline(ev->t, node, "ARP", "reply %s is-at %s", ib_ip4_str(ev->u.arp.ip, ip),
                     ib_mac_str(&ev->u.arp.mac, mac));
        break;
    case IB_EV_ARP_LEARN:
        cli_timeline(ev->t, node, "ARP", "learned %s is-at %s",
                     ib_ip4_str(ev->u.arp.ip, ip), ib_mac_str(&ev->u.arp.mac, mac));
        break;
    case IB_EV_ARP_FAIL:
        cli_timeline(ev->t, node, "ARP", "no answer for %s, giving up",
                     ib_ip4_str(ev->u.arp.ip, ip));
        break;
    case IB_EV_APP:
        if (strcmp(ev->u.app.what, "ping-request") == 0)
            cli_timeline(ev->t, node, "ICMP", "echo request icmp_seq=%" PRIu32 " to %s",
                         ev->u.app.seq, ib_ip4_str(ev->u.app.peer, ip));
        break;
    case IB_EV_DROP:
        /* What the impairments did: frames lost on the wire, and corrupted
         * ones caught by a checksum. Other drops (frames for another host,
         * TTL expiry under traceroute) are part of normal work: --trace. */
        if (ib_drop_layer(ev->reason) == 1)
            cli_timeline(ev->t, node, "LINK", "%s: %s", ev->nif ? ev->nif->name : "-",
                         ib_drop_str(ev->reason));
        else if (ev->reason == IB_DROP_IP_BAD_CHECKSUM || ev->reason == IB_DROP_ICMP_BAD_CHECKSUM ||
                 ev->reason == IB_DROP_UDP_BAD_CHECKSUM)
            cli_timeline(ev->t, node, "DROP", "%s", ib_drop_str(ev->reason));
        break;
    default:
        break;
    }
}

/* The stack called name (given for option `what`), or a usage error. */
static int cli_check_node(struct cli_session *cs, const char *what, const char *name,
                          struct ib_stack **out)
{
    struct ib_node *n = ib_world_node(cs->w, name);
    if (!n)
        return cli_usage_error(cs->cmd, "%s '%s' is no node of the topology", what, name);
    if (n->kind == IB_NODE_SWITCH)
        return cli_usage_error(cs->cmd, "%s '%s' is a switch, which has no IP address", what,
                               name);
    *out = (struct ib_stack *)n;
    return CLI_OK;
}

static ib_ip4 cli_first_addr(const struct ib_stack *s)
{
    for (unsigned i = 0; i < s->n_nifs; i++)
        if (s->nifs[i]->addr)
            return s->nifs[i]->addr;
    return 0;
}

int cli_session_open(struct cli_session *cs, const char *cmd, const struct cli_common *c,
                     const char *dst_arg)
{
    memset(cs, 0, sizeof(*cs));
    cs->cmd = cmd;
    cs->opt = c;
    cs->w = ib_world_new(c->seed);
    if (!cs->w) {
        fprintf(stderr, "inetbox %s: out of memory\n", cmd);
        return CLI_FAIL;
    }
    int rc = CLI_FAIL;
    if (topo_build(cs->w, &c->imp) != 0) {
        fprintf(stderr, "inetbox %s: cannot build the topology\n", cmd);
        goto fail;
    }

    struct ib_stack *dst_node = NULL;
    if ((rc = cli_check_node(cs, "--from", c->from, &cs->src)) != CLI_OK)
        goto fail;
    if (!dst_arg)
        dst_arg = "h3";
    if (ib_ip4_from_str(dst_arg, &cs->dst, NULL) != 0 &&
        (rc = cli_check_node(cs, "destination", dst_arg, &dst_node)) != CLI_OK)
        goto fail;

    rc = CLI_FAIL;
    if (c->trace) {
        cs->td.out = stdout;
        ib_world_observe(cs->w, ib_tcpdump_observer, &cs->td);
    } else {
        ib_world_observe(cs->w, cli_timeline_observer, NULL);
    }
    if (c->pcap_dir) {
        cs->pcap = ib_pcapng_open_world(cs->w, c->pcap_dir);
        if (!cs->pcap) {
            fprintf(stderr, "inetbox %s: cannot write pcap files into %s: %s\n", cmd,
                    c->pcap_dir, strerror(errno));
            goto fail;
        }
    }
    if (topo_configure(cs->w) != 0) {
        fprintf(stderr, "inetbox %s: cannot configure the topology\n", cmd);
        goto fail;
    }
    /* The hosts announce their addresses at time 0 (gratuitous ARP, seen
     * with --trace); the command starts when that is over, like a user who
     * types it after the network came up. */
    ib_world_run(cs->w, CLI_START);
    if (dst_node)
        cs->dst = cli_first_addr(dst_node);
    if (!cli_first_addr(cs->src)) {
        fprintf(stderr, "inetbox %s: %s has no address\n", cmd, c->from);
        goto fail;
    }
    return CLI_OK;
fail:
    cli_session_close(cs);
    return rc;
}

void cli_session_run(struct cli_session *cs, const bool *done)
{
    /* One instant at a time, so the run stops right when the application
     * is done rather than at some later deadline. */
    while (!*done) {
        ib_time next = ib_evq_next_time(&cs->w->q);
        if (next == IB_TIME_NEVER)
            break;
        ib_world_run(cs->w, next);
    }
}

int cli_session_close(struct cli_session *cs)
{
    int rc = CLI_OK;
    fflush(stdout);
    if (cs->pcap && ib_pcapng_close(cs->pcap) != 0) {
        fprintf(stderr, "inetbox %s: writing pcap files into %s failed\n", cs->cmd,
                cs->opt->pcap_dir);
        rc = CLI_FAIL;
    }
    cs->pcap = NULL;
    if (cs->w)
        ib_world_free(cs->w);
    cs->w = NULL;
    return rc;
}

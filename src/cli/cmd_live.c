/* `inetbox live`: one host's stack on a TAP device, in real time, with the
 * services and client actions chosen on the command line. This file reads
 * and checks the options (everything that can be wrong with them is found
 * before the TAP is touched); live_run.c runs them. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "inetbox/dhcp.h"
#include "inetbox/dns_server.h"
#include "inetbox/http.h"
#include "live_cli.h"

static const char live_usage[] =
    "Usage: inetbox live [OPTIONS]\n"
    "\n"
    "Runs inetbox's TCP/IP stack as one host on a Linux TAP device, in real\n"
    "time, so that the Linux kernel and its tools (ping, curl, dig, nc) talk\n"
    "to it: services answer them, client actions go out to them. Ports no\n"
    "service uses are closed: TCP answers RST, UDP ICMP port unreachable.\n"
    "Needs root (CAP_NET_ADMIN) for the TAP device. Prints\n"
    "\"inetbox live: ready on TAP NAME, ADDRESS/PREFIX\" on standard error\n"
    "once the address is configured and the services listen. SIGINT or\n"
    "SIGTERM stops it cleanly (\"inetbox live: stopped (signal)\"): the HTTP\n"
    "server finishes the responses it is sending and closes each connection\n"
    "after its response, the other services close theirs; up to 10 s are\n"
    "given for that (a second signal cuts it short), then what is still open\n"
    "is reset, so the other side never waits on silence.\n"
    "\n"
    "The device:\n"
    "  --tap NAME            the TAP device (default ib0; 1 to 15 characters, no\n"
    "                        '/', ':', '%' or blanks). Created if missing, brought\n"
    "                        up, and removed on exit; one that exists is used as it\n"
    "                        is (up or down, its own MTU and addresses) and stays\n"
    "                          --tap ibt0\n"
    "  --host-addr A/P       give the Linux side of a TAP we create this address\n"
    "                        (refused for one that exists: use ip addr)\n"
    "                          --host-addr 10.99.0.1/24\n"
    "  --mac MAC             our MAC address (default 02: and 5 random bytes)\n"
    "                          --mac 02:00:00:00:99:02\n"
    "  --mtu N               the link's MTU, 68 to 65521, set on a TAP we create\n"
    "                        (refused for one that exists: use ip link; default the\n"
    "                        device's own, 1500 when new)   --mtu 9000\n"
    "\n"
    "Our address (one of --addr and --dhcp):\n"
    "  --addr A/P            a static address   --addr 10.99.0.2/24\n"
    "  --gw A                the default gateway (with --addr)   --gw 10.99.0.1\n"
    "  --dhcp                take a lease from a DHCP server instead (waits up to\n"
    "                        30 s; the lease gives the gateway and DNS servers)\n"
    "  --dns A               a DNS server for --fetch and --resolve; repeatable, up\n"
    "                        to 3 (replaces the lease's)   --dns 10.99.0.1\n"
    "\n"
    "Services (any combination):\n"
    "  --http DIR            an HTTP/1.1 server for the files under DIR\n"
    "                          --http ./www\n"
    "  --http-port N         its port (default 80)   --http-port 8000\n"
    "  --tcp-echo PORT       TCP echo (RFC 862)   --tcp-echo 7\n"
    "  --udp-echo PORT       UDP echo (RFC 862)   --udp-echo 7\n"
    "  --tcp-discard PORT    TCP discard (RFC 863)   --tcp-discard 9\n"
    "  --dns-zone FILE       an authoritative DNS server (UDP and TCP port 53) for\n"
    "                        the zone in the master file FILE   --dns-zone example.zone\n"
    "  --dns-origin NAME     the zone's name (default: FILE's $ORIGIN line)\n"
    "                          --dns-origin example.com.\n"
    "  --dhcp-server FIRST-LAST  a DHCP server leasing FIRST to LAST, at most 65536\n"
    "                        addresses (needs --addr; offers --gw as router and, with\n"
    "                        --dns-zone, our address as DNS server)\n"
    "                          --dhcp-server 10.99.0.100-10.99.0.199\n"
    "\n"
    "Client actions (repeatable; run one after another, in the order given):\n"
    "  --fetch URL           GET URL with the browser (DNS through --dns)\n"
    "                          --fetch http://10.99.0.1:8000/file.bin\n"
    "  --output FILE         save the body of the --fetch before it to FILE\n"
    "                          --fetch http://10.99.0.1/x --output x.bin\n"
    "  --resolve NAME        look NAME's address up   --resolve www.example.com\n"
    "  --ping A              ICMP echo requests to A, one a second   --ping 10.99.0.1\n"
    "  --count N             echo requests per --ping (default 3)   --count 10\n"
    "  --duration SEC        stop after SEC seconds (default: when every action is\n"
    "                        done if no service runs, else at SIGINT or SIGTERM)\n"
    "                          --duration 2.5\n"
    "\n"
    "Output (client actions print one line each on standard output, such as\n"
    "\"fetch URL: HTTP 200, 1048576 bytes, saved to x.bin\",\n"
    "\"resolve NAME: 10.99.0.1\" or \"ping 10.99.0.1: 3 sent, 3 received\"):\n"
    "  --trace               print every frame tcpdump-style, and the TCP, DHCP,\n"
    "                        DNS and HTTP events, with wall-clock times\n"
    "  --pcap FILE           write every frame to the pcapng FILE (wall-clock time)\n"
    "                          --pcap live.pcapng\n"
    "  --json FILE           write every event as a JSON line to FILE (- for stdout)\n"
    "                          --json events.jsonl\n"
    "  --html FILE           write the run as one self-contained HTML report\n"
    "                          --html live.html\n"
    "  --story               tell the first --fetch's journey at the end\n"
    "  --lang en|ko          the story's language (default en)   --lang ko\n"
    "  --quiet               print only errors, the ready line and the actions'\n"
    "                        results\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 if every action succeeded (a fetch with a status under 400,\n"
    "a ping with a reply), 1 if one failed or the TAP could not be used, 2 on\n"
    "bad usage.\n"
    "\n"
    "Examples:\n"
    "  inetbox live --tap ib0 --host-addr 10.99.0.1/24 --addr 10.99.0.2/24 --http ./www\n"
    "  inetbox live --addr 10.99.0.2/24 --tcp-echo 7 --udp-echo 7 --tcp-discard 9 --quiet\n"
    "  inetbox live --addr 10.99.0.2/24 --dns-zone example.zone --dhcp-server "
    "10.99.0.100-10.99.0.199\n"
    "  inetbox live --dhcp --fetch http://www.example.com/ --output index.html --story\n"
    "  inetbox live --addr 10.99.0.2/24 --dns 10.99.0.1 --resolve www.example.com\n"
    "  inetbox live --addr 10.99.0.2/24 --ping 10.99.0.1 --count 5 --trace --pcap ping.pcapng\n";

enum {
    OPT_TAP = CLI_OPT__LIVE,
    OPT_HOST_ADDR,
    OPT_MAC,
    OPT_MTU,
    OPT_ADDR,
    OPT_GW,
    OPT_DHCP,
    OPT_DNS,
    OPT_HTTP,
    OPT_HTTP_PORT,
    OPT_TCP_ECHO,
    OPT_UDP_ECHO,
    OPT_TCP_DISCARD,
    OPT_DNS_ZONE,
    OPT_DNS_ORIGIN,
    OPT_DHCP_SERVER,
    OPT_FETCH,
    OPT_OUTPUT,
    OPT_RESOLVE,
    OPT_PING,
    OPT_COUNT,
    OPT_DURATION,
    OPT_STORY,
    OPT_QUIET,
};

static const struct option live_longopts[] = {
    {"tap", required_argument, NULL, OPT_TAP},
    {"host-addr", required_argument, NULL, OPT_HOST_ADDR},
    {"mac", required_argument, NULL, OPT_MAC},
    {"mtu", required_argument, NULL, OPT_MTU},
    {"addr", required_argument, NULL, OPT_ADDR},
    {"gw", required_argument, NULL, OPT_GW},
    {"dhcp", no_argument, NULL, OPT_DHCP},
    {"dns", required_argument, NULL, OPT_DNS},
    {"http", required_argument, NULL, OPT_HTTP},
    {"http-port", required_argument, NULL, OPT_HTTP_PORT},
    {"tcp-echo", required_argument, NULL, OPT_TCP_ECHO},
    {"udp-echo", required_argument, NULL, OPT_UDP_ECHO},
    {"tcp-discard", required_argument, NULL, OPT_TCP_DISCARD},
    {"dns-zone", required_argument, NULL, OPT_DNS_ZONE},
    {"dns-origin", required_argument, NULL, OPT_DNS_ORIGIN},
    {"dhcp-server", required_argument, NULL, OPT_DHCP_SERVER},
    {"fetch", required_argument, NULL, OPT_FETCH},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"resolve", required_argument, NULL, OPT_RESOLVE},
    {"ping", required_argument, NULL, OPT_PING},
    {"count", required_argument, NULL, OPT_COUNT},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"trace", no_argument, NULL, CLI_OPT_TRACE},
    {"pcap", required_argument, NULL, CLI_OPT_PCAP},
    {"json", required_argument, NULL, CLI_OPT_JSON},
    {"story", no_argument, NULL, OPT_STORY},
    {"html", required_argument, NULL, CLI_OPT_HTML},
    {"lang", required_argument, NULL, CLI_OPT_LANG},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int bad(const char *fmt, const char *opt, const char *arg)
{
    return cli_usage_error("live", fmt, opt, arg);
}

static int parse_addr(const char *opt, const char *s, ib_ip4 *out)
{
    if (ib_ip4_from_str(s, out, NULL) != 0)
        return bad("%s wants an IPv4 address such as 10.99.0.1, not '%s'", opt, s);
    return CLI_OK;
}

/* "A/P" with the prefix given: a host address needs its network. */
static int parse_prefix(const char *opt, const char *s, ib_ip4 *a, uint8_t *plen)
{
    unsigned p = 0;
    if (!strchr(s, '/') || ib_ip4_from_str(s, a, &p) != 0 || p == 0 || p > 30)
        return bad("%s wants ADDRESS/PREFIX such as 10.99.0.2/24 (prefix 1 to 30), not '%s'", opt,
                   s);
    ib_ip4 host = *a & ~ib_ip4_mask(p);
    if (host == 0 || host == ~ib_ip4_mask(p))
        return bad("%s: '%s' is its network's own or broadcast address", opt, s);
    *plen = (uint8_t)p;
    return CLI_OK;
}

static int parse_port(const char *opt, const char *s, uint16_t *out)
{
    uint64_t v;
    if (cli_parse_uint("live", opt, s, 1, 65535, &v) != CLI_OK) return CLI_USAGE;
    *out = (uint16_t)v;
    return CLI_OK;
}

static int parse_pool(const char *s, struct live_opts *o)
{
    const char *dash = strchr(s, '-');
    char first[IB_IP4_STRLEN];
    size_t n = dash ? (size_t)(dash - s) : 0;
    if (!dash || n >= sizeof(first))
        return bad("%s wants FIRST-LAST such as 10.99.0.100-10.99.0.199, not '%s'", "--dhcp-server",
                   s);
    memcpy(first, s, n);
    first[n] = '\0';
    if (ib_ip4_from_str(first, &o->pool_first, NULL) != 0 ||
        ib_ip4_from_str(dash + 1, &o->pool_last, NULL) != 0 || o->pool_last < o->pool_first)
        return bad("%s wants FIRST-LAST such as 10.99.0.100-10.99.0.199, not '%s'", "--dhcp-server",
                   s);
    o->dhcp_server = true;
    return CLI_OK;
}

static int add_action(struct live_opts *o, enum live_action_kind kind, const char *arg)
{
    if (o->n_act == LIVE_MAX_ACTIONS)
        return cli_usage_error("live", "at most %u client actions", LIVE_MAX_ACTIONS);
    struct live_action *a = &o->act[o->n_act];
    memset(a, 0, sizeof(*a));
    a->kind = kind;
    a->arg = arg;
    struct ib_url u;
    if (kind == LIVE_FETCH && ib_url_parse(arg, &u) != 0)
        return bad("%s: '%s' is not a URL inetbox can fetch; expected "
                   "http://host[:port][/path]",
                   "--fetch", arg);
    if (kind == LIVE_PING && parse_addr("--ping", arg, &a->addr) != CLI_OK) return CLI_USAGE;
    o->n_act++;
    return CLI_OK;
}

/* The name in the first "$ORIGIN name" line of a master file (RFC 1035
 * §5.1), or "" if there is none. */
static int zone_origin(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[1024];
    out[0] = '\0';
    while (!out[0] && fgets(line, sizeof(line), f)) {
        if (strncasecmp(line, "$ORIGIN", 7) != 0 || !isspace((unsigned char)line[7])) continue;
        char *p = line + 7;
        while (isspace((unsigned char)*p))
            p++;
        size_t n = strcspn(p, " \t\r\n;");
        if (n > 0 && n < cap) {
            memcpy(out, p, n);
            out[n] = '\0';
        }
    }
    fclose(f);
    return 0;
}

static int load_zone(struct live_opts *o, const char *origin)
{
    char found[IB_DNS_NAME_SIZE];
    if (!origin) {
        if (zone_origin(o->zone_file, found, sizeof(found)) != 0)
            return bad("%s: cannot read %s", "--dns-zone", o->zone_file);
        if (!found[0])
            return bad("%s: %s has no $ORIGIN line; give the zone's name with --dns-origin",
                       "--dns-zone", o->zone_file);
        origin = found;
    }
    char err[512];
    int rc = ib_dns_zone_load(&o->zone, o->zone_file, origin, err, sizeof(err));
    if (rc == 0) return CLI_OK;
    fprintf(stderr, "%s\n", err);
    return rc == IB_ERR_NOMEM ? CLI_FAIL : CLI_USAGE;
}

static bool port_clash(const struct live_opts *o, char *what, size_t cap)
{
    const struct {
        uint16_t port;
        const char *name;
    } tcp[] = {{o->http_dir ? o->http_port : 0, "--http"},
               {o->tcp_echo, "--tcp-echo"},
               {o->tcp_discard, "--tcp-discard"},
               {o->zone_file ? 53 : 0, "--dns-zone"}};
    for (size_t i = 0; i < IB_ARRAY_LEN(tcp); i++)
        for (size_t j = i + 1; j < IB_ARRAY_LEN(tcp); j++)
            if (tcp[i].port && tcp[i].port == tcp[j].port) {
                snprintf(what, cap, "%s and %s both want TCP port %u", tcp[i].name, tcp[j].name,
                         tcp[i].port);
                return true;
            }
    if (o->udp_echo && o->zone_file && o->udp_echo == 53) {
        snprintf(what, cap, "--udp-echo and --dns-zone both want UDP port 53");
        return true;
    }
    if (o->udp_echo && o->dhcp_server && o->udp_echo == 67) {
        snprintf(what, cap, "--udp-echo and --dhcp-server both want UDP port 67");
        return true;
    }
    if (o->udp_echo && o->dhcp && o->udp_echo == 68) {
        snprintf(what, cap, "--udp-echo and --dhcp (the client) both want UDP port 68");
        return true;
    }
    return false;
}

/* What no single option can check. */
static int check(struct live_opts *o, const char *origin)
{
    char what[128];
    if (o->has_addr == o->dhcp)
        return cli_usage_error("live", o->dhcp ? "--addr and --dhcp exclude each other"
                                               : "our address is needed: --addr A/P or --dhcp");
    if (o->has_gw && !o->has_addr)
        return cli_usage_error("live", "--gw goes with --addr (a DHCP lease names the gateway)");
    if (o->has_gw && ((o->gw ^ o->addr) & ib_ip4_mask(o->plen)))
        return cli_usage_error("live", "the gateway --gw must be on --addr's network");
    if (o->cfg.host_addr && o->has_addr && o->cfg.host_ip == o->addr)
        return cli_usage_error("live", "--host-addr is Linux's address on the TAP: it must differ "
                                       "from ours (--addr)");
    if (o->dhcp_server) {
        ib_ip4 m = ib_ip4_mask(o->plen);
        if (!o->has_addr) return cli_usage_error("live", "--dhcp-server needs a static --addr");
        if (((o->pool_first ^ o->addr) & m) || ((o->pool_last ^ o->addr) & m))
            return cli_usage_error("live", "the --dhcp-server pool must lie in --addr's network");
        uint64_t size = (uint64_t)o->pool_last - o->pool_first + 1;
        if (size > IB_DHCP_MAX_POOL)
            return cli_usage_error("live",
                                   "the --dhcp-server pool holds %llu addresses, at most %u",
                                   (unsigned long long)size, IB_DHCP_MAX_POOL);
    }
    if (origin && !o->zone_file)
        return cli_usage_error("live", "--dns-origin goes with --dns-zone");
    if (port_clash(o, what, sizeof(what))) return cli_usage_error("live", "%s", what);
    struct stat st;
    if (o->http_dir && (stat(o->http_dir, &st) != 0 || !S_ISDIR(st.st_mode)))
        return cli_usage_error("live", "--http: %s is not a directory", o->http_dir);
    /* the server opens it the same way once the TAP is up */
    int dir = o->http_dir ? open(o->http_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (o->http_dir && dir < 0)
        return cli_usage_error("live", "--http: cannot open %s: %s", o->http_dir, strerror(errno));
    if (dir >= 0) close(dir);
    for (uint32_t i = 0; i < o->n_act; i++) {
        const struct live_action *a = &o->act[i];
        struct ib_url u;
        ib_ip4 lit;
        const char *name = a->kind == LIVE_FETCH && ib_url_parse(a->arg, &u) == 0 ? u.host : a->arg;
        bool needs_dns = a->kind != LIVE_PING && ib_ip4_from_str(name, &lit, NULL) != 0;
        if (needs_dns && !o->n_dns && !o->dhcp)
            return cli_usage_error("live", "'%s' needs a DNS server: --dns A (or --dhcp)", name);
    }
    if (o->story && (o->n_act == 0 || o->act[0].kind != LIVE_FETCH))
        return cli_usage_error("live", "--story tells a --fetch: make one the first action");
    if (o->zone_file) return load_zone(o, origin);
    return CLI_OK;
}

static int parse_option(struct live_opts *o, int opt, const char *arg, const char **origin)
{
    uint64_t v;
    switch (opt) {
    case OPT_TAP:
        o->cfg.tap = arg;
        if (!ib_live_tap_name_ok(arg))
            return cli_usage_error("live", "--tap wants an interface name (%s), not '%s'",
                                   IB_LIVE_TAP_NAME_RULE, arg);
        return CLI_OK;
    case OPT_HOST_ADDR:
        o->cfg.host_addr = true;
        return parse_prefix("--host-addr", arg, &o->cfg.host_ip, &o->cfg.host_plen);
    case OPT_MAC:
        o->cfg.has_mac = true;
        if (ib_mac_parse(arg, &o->cfg.mac) != 0 || ib_mac_is_multicast(&o->cfg.mac))
            return bad("%s wants a unicast MAC address such as 02:00:00:00:99:02, not '%s'",
                       "--mac", arg);
        return CLI_OK;
    case OPT_MTU:
        if (cli_parse_uint("live", "--mtu", arg, IB_LIVE_MTU_MIN, IB_LIVE_MTU_MAX, &v))
            return CLI_USAGE;
        o->cfg.mtu = (uint16_t)v;
        return CLI_OK;
    case OPT_ADDR:
        o->has_addr = true;
        return parse_prefix("--addr", arg, &o->addr, &o->plen);
    case OPT_GW:
        o->has_gw = true;
        return parse_addr("--gw", arg, &o->gw);
    case OPT_DHCP:
        o->dhcp = true;
        return CLI_OK;
    case OPT_DNS:
        if (o->n_dns == IB_ARRAY_LEN(o->dns))
            return cli_usage_error("live", "at most 3 --dns servers");
        return parse_addr("--dns", arg, &o->dns[o->n_dns++]);
    case OPT_HTTP:
        o->http_dir = arg;
        return CLI_OK;
    case OPT_HTTP_PORT:
        return parse_port("--http-port", arg, &o->http_port);
    case OPT_TCP_ECHO:
        return parse_port("--tcp-echo", arg, &o->tcp_echo);
    case OPT_UDP_ECHO:
        return parse_port("--udp-echo", arg, &o->udp_echo);
    case OPT_TCP_DISCARD:
        return parse_port("--tcp-discard", arg, &o->tcp_discard);
    case OPT_DNS_ZONE:
        o->zone_file = arg;
        return CLI_OK;
    case OPT_DNS_ORIGIN:
        *origin = arg;
        return CLI_OK;
    case OPT_DHCP_SERVER:
        return parse_pool(arg, o);
    case OPT_FETCH:
        return add_action(o, LIVE_FETCH, arg);
    case OPT_OUTPUT:
        if (o->n_act == 0 || o->act[o->n_act - 1].kind != LIVE_FETCH)
            return cli_usage_error("live", "--output saves the body of the --fetch before it");
        o->act[o->n_act - 1].output = arg;
        return CLI_OK;
    case OPT_RESOLVE:
        return add_action(o, LIVE_RESOLVE, arg);
    case OPT_PING:
        return add_action(o, LIVE_PING, arg);
    case OPT_COUNT:
        if (cli_parse_uint("live", "--count", arg, 1, 100000, &v)) return CLI_USAGE;
        o->count = (uint32_t)v;
        return CLI_OK;
    case OPT_DURATION:
        return cli_parse_seconds("live", "--duration", arg, &o->duration);
    case CLI_OPT_TRACE:
        o->trace = true;
        return CLI_OK;
    case CLI_OPT_PCAP:
        o->pcap = arg;
        return CLI_OK;
    case CLI_OPT_JSON:
        o->json = arg;
        return CLI_OK;
    case OPT_STORY:
        o->story = true;
        return CLI_OK;
    case CLI_OPT_HTML:
        o->html = arg;
        return CLI_OK;
    case CLI_OPT_LANG:
        if (ib_lang_parse(arg, &o->lang) != 0)
            return bad("%s takes en or ko, not '%s'", "--lang", arg);
        return CLI_OK;
    case OPT_QUIET:
        o->quiet = true;
        return CLI_OK;
    default:
        return -1;
    }
}

int cmd_live(int argc, char **argv)
{
    struct live_opts o;
    memset(&o, 0, sizeof(o));
    o.http_port = 80;
    o.count = 3;
    const char *origin = NULL;
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h", live_longopts, NULL)) != -1) {
        if (opt == 'h') {
            printf("%s", live_usage);
            return CLI_OK;
        }
        int rc = parse_option(&o, opt, optarg, &origin);
        if (rc < 0) return cli_bad_option("live", opt, argv);
        if (rc != CLI_OK) return rc;
    }
    if (optind < argc) return cli_usage_error("live", "unexpected argument '%s'", argv[optind]);
    int rc = check(&o, origin);
    if (rc != CLI_OK) {
        ib_dns_zone_free(o.zone);
        return rc;
    }
    return live_run(&o);
}

/* `inetbox live`: what the option parser (cmd_live.c) hands the runner
 * (live_run.c). */
#ifndef INETBOX_CLI_LIVE_H
#define INETBOX_CLI_LIVE_H

#include "inetbox/live.h"
#include "inetbox/story.h"

#define LIVE_MAX_ACTIONS 16u

enum live_action_kind { LIVE_FETCH, LIVE_RESOLVE, LIVE_PING };

/* A client action; they run one after another, in command-line order. */
struct live_action {
    enum live_action_kind kind;
    const char *arg;    /* the URL, name or address as given */
    const char *output; /* LIVE_FETCH: where the body goes, or NULL */
    ib_ip4 addr;        /* LIVE_PING */
};

struct live_opts {
    struct ib_live_config cfg;
    bool has_addr, has_gw, dhcp;
    ib_ip4 addr, gw;
    uint8_t plen;
    ib_ip4 dns[3];
    uint8_t n_dns;
    /* services; port 0: not running */
    const char *http_dir;
    uint16_t http_port, tcp_echo, udp_echo, tcp_discard;
    const char *zone_file;
    struct ib_dns_zone *zone; /* loaded by the parser, owned by the runner */
    bool dhcp_server;
    ib_ip4 pool_first, pool_last;
    /* client actions */
    struct live_action act[LIVE_MAX_ACTIONS];
    uint32_t n_act;
    uint32_t count;   /* pings per --ping */
    ib_time duration; /* 0: see --help */
    /* outputs */
    bool trace, story, quiet;
    enum ib_lang lang;
    const char *pcap, *json, *html;
};

static inline bool live_has_services(const struct live_opts *o)
{
    return o->http_dir || o->tcp_echo || o->udp_echo || o->tcp_discard || o->zone || o->dhcp_server;
}

/* Runs what o asks for and frees o->zone: CLI_OK, or CLI_FAIL after
 * saying why. */
int live_run(struct live_opts *o);

#endif

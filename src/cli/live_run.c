/* Running `inetbox live`: the TAP and the stack (ib_live), the observers
 * the options asked for, the address (static or from a DHCP lease), the
 * services, then the client actions one after another. Shutting down is
 * the reverse, gracefully: actions cancelled; the HTTP server drained (no
 * new connection, each one closed after the response it is sending) and
 * the other services stopped (their connections get a FIN after what TCP
 * holds, not a reset); a linger of up to LIVE_LINGER while connections
 * finish, which a second signal cuts short; then whatever is left reset,
 * so that the peer hears a RST rather than silence, and the TAP closed. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "inetbox/apps.h"
#include "inetbox/browser.h"
#include "inetbox/dhcp.h"
#include "inetbox/dns_resolver.h"
#include "inetbox/dns_server.h"
#include "inetbox/echo.h"
#include "inetbox/http.h"
#include "inetbox/json.h"
#include "inetbox/report.h"
#include "inetbox/tcp.h"
#include "live_cli.h"

#define LIVE_DHCP_WAIT IB_SEC(30)
/* How long connections get to finish after the services stop taking work:
 * long enough for a response in progress on a LAN, short enough for an
 * impatient ^C (a second signal ends it at once). */
#define LIVE_LINGER IB_SEC(10)
#define LIVE_LINGER_POLL IB_MS(20)
/* timeout(1) delivers one SIGTERM twice, to the command and to its
 * process group: a repeat that quick is the same signal, not a second. */
#define LIVE_SIGNAL_REPEAT IB_MS(500)
/* After the resets: many round trips of a LAN, unnoticeable at exit. */
#define LIVE_RESET_GRACE IB_MS(100)
/* A fetched body is kept whole before it is saved: 100 MB downloads must fit. */
#define LIVE_MAX_BODY ((size_t)1 << 31)

struct live {
    struct live_opts *o;
    struct ib_live *l;
    struct ib_stack *s;
    struct ib_netif *nif;
    struct ib_env *env;
    /* observers */
    struct ib_tcpdump td;
    struct ib_pcapng *pcap;
    struct ib_json *json;
    FILE *json_file;
    struct ib_story *story;
    struct ib_report *report;
    /* services */
    struct ib_dhcp_client *dhcpc;
    bool want_lease;
    struct ib_dhcp_server *dhcps;
    struct ib_dns_auth *dns;
    struct ib_http_server *http;
    struct ib_tcp_echo *tcp_echo;
    struct ib_udp_echo *udp_echo;
    struct ib_tcp_discard *tcp_discard;
    /* client actions, one at a time */
    uint32_t next;        /* the next action to start */
    bool busy;            /* act[next - 1] is running */
    bool pinging;         /* ping holds a started ping */
    struct ib_timer step; /* starts the next action from the event loop */
    struct ib_browser_fetch *fetch;
    struct ib_dns_lookup *lookup;
    struct ib_ping ping;
    uint32_t failed;
    bool nomem;     /* an action could not be scheduled: the run ends */
    bool signalled; /* the run ended on a signal ... */
    ib_time sig_at; /* ... at this time */
};

static void info(const struct live *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void info(const struct live *r, const char *fmt, ...)
{
    if (r->o->quiet) return;
    va_list ap;
    fprintf(stderr, "inetbox live: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static const struct live_action *current(const struct live *r)
{
    return &r->o->act[r->next - 1];
}

static const char *action_name(enum live_action_kind k)
{
    return k == LIVE_FETCH ? "fetch" : k == LIVE_RESOLVE ? "resolve" : "ping";
}

/* The next action starts from the loop, not from inside the callback of
 * the one that ended; without the timer nothing would start it, so the run
 * ends instead. */
static void schedule_step(struct live *r)
{
    if (ib_timer_arm(r->env, &r->step, ib_now(r->env)) == 0) return;
    r->nomem = true;
    ib_live_stop(r->l);
}

/* An action is over: its line is printed; the next starts from the loop. */
static void action_done(struct live *r, bool ok)
{
    fflush(stdout);
    if (!ok) r->failed++;
    r->busy = false;
    schedule_step(r);
}

static void on_fetched(void *arg, const struct ib_http_result *res)
{
    struct live *r = arg;
    const struct live_action *a = current(r);
    r->fetch = NULL;
    if (res->err) {
        printf("fetch %s: failed: %s\n", a->arg, ib_err_str(res->err));
        action_done(r, false);
        return;
    }
    printf("fetch %s: HTTP %u, %zu bytes", a->arg, res->status, res->len);
    bool ok = res->status < 400;
    if (a->output) {
        FILE *f = fopen(a->output, "wb");
        bool saved = f && fwrite(res->body, 1, res->len, f) == res->len;
        if (f && fclose(f) != 0) saved = false;
        if (saved) {
            printf(", saved to %s", a->output);
        } else {
            printf(", not saved: cannot write %s", a->output);
            ok = false;
        }
    }
    printf("\n");
    action_done(r, ok);
}

static void on_resolved(void *arg, int err, const char *name, ib_ip4 addr, uint32_t ttl)
{
    struct live *r = arg;
    char a[IB_IP4_STRLEN];
    r->lookup = NULL;
    if (err)
        printf("resolve %s: failed: %s\n", current(r)->arg, ib_err_str(err));
    else
        printf("resolve %s: %s\n", current(r)->arg, ib_ip4_str(addr, a));
    action_done(r, err == 0);
}

static void on_ping_done(struct ib_ping *p)
{
    struct live *r = (struct live *)((char *)p - offsetof(struct live, ping));
    printf("ping %s: %" PRIu32 " sent, %" PRIu32 " received\n", current(r)->arg,
           p->stats.transmitted, p->stats.received);
    action_done(r, p->stats.received > 0);
}

static void stop_ping(struct live *r)
{
    if (!r->pinging) return;
    ib_ping_stop(&r->ping);
    ib_evq_forget(r->env->q, &r->ping.timer);
    r->pinging = false;
}

static bool start_action(struct live *r, const struct live_action *a)
{
    if (a->kind == LIVE_FETCH) {
        r->fetch = ib_browser_fetch(r->s, a->arg, on_fetched, r);
        if (r->fetch) ib_browser_set_max_body(r->fetch, LIVE_MAX_BODY);
        return r->fetch != NULL;
    }
    if (a->kind == LIVE_RESOLVE) {
        r->lookup = ib_dns_lookup(r->s, a->arg, 0, on_resolved, r);
        return r->lookup != NULL;
    }
    struct ib_ping_config cfg = ib_ping_defaults;
    cfg.dst = a->addr;
    cfg.count = r->o->count;
    cfg.id = (uint16_t)ib_rng_next(&r->s->node.rng);
    if (ib_ping_start(&r->ping, r->s, &cfg, NULL, NULL) != 0) return false;
    r->ping.finished = on_ping_done;
    r->pinging = true;
    return true;
}

static void step(struct ib_timer *t)
{
    struct live *r = (struct live *)((char *)t - offsetof(struct live, step));
    stop_ping(r);
    while (r->next < r->o->n_act && !r->busy) {
        const struct live_action *a = &r->o->act[r->next++];
        r->busy = start_action(r, a);
        if (!r->busy) {
            printf("%s %s: failed: out of memory\n", action_name(a->kind), a->arg);
            r->failed++;
        }
    }
    fflush(stdout);
    /* Without actions, or with services, only a signal or --duration ends
     * the run. */
    if (!r->busy && r->o->n_act && !live_has_services(r->o) && !r->o->duration) ib_live_stop(r->l);
}

/* The action still running when the loop ended, and those not started. */
static void cancel_actions(struct live *r, const char *why)
{
    if (r->fetch) ib_browser_cancel(r->fetch);
    if (r->lookup) ib_dns_lookup_cancel(r->lookup);
    stop_ping(r);
    r->fetch = NULL;
    r->lookup = NULL;
    uint32_t first = r->busy ? r->next - 1 : r->next;
    for (uint32_t i = first; i < r->o->n_act; i++) {
        const struct live_action *a = &r->o->act[i];
        printf("%s %s: failed: %s\n", action_name(a->kind), a->arg, why);
        r->failed++;
    }
    r->busy = false;
    r->next = r->o->n_act;
    ib_timer_cancel(&r->step);
    ib_evq_forget(r->env->q, &r->step);
    fflush(stdout);
}

static int open_observers(struct live *r)
{
    const struct live_opts *o = r->o;
    r->td.out = stdout;
    if (o->trace && ib_live_observe(r->l, ib_tcpdump_journey_observer, &r->td) != 0) goto nomem;
    if (o->json) {
        r->json_file = strcmp(o->json, "-") == 0 ? stdout : fopen(o->json, "w");
        if (!r->json_file) {
            fprintf(stderr, "inetbox live: cannot write %s: %s\n", o->json, strerror(errno));
            return CLI_FAIL;
        }
        r->json = ib_json_new(r->json_file);
        if (!r->json || ib_live_observe(r->l, ib_json_observe, r->json) != 0) goto nomem;
    }
    if (o->pcap) {
        ib_live_trace(r->l); /* the bus the pcapng writer attaches itself to */
        if (!(r->pcap = ib_pcapng_open_netif(r->nif, o->pcap))) {
            fprintf(stderr, "inetbox live: cannot write %s: %s\n", o->pcap, strerror(errno));
            return CLI_FAIL;
        }
    }
    if (o->story) {
        r->story = ib_story_new(r->s->node.name, o->act[0].arg);
        if (!r->story || ib_live_observe(r->l, ib_story_observe, r->story) != 0) goto nomem;
    }
    if (o->html) {
        r->report = ib_report_new();
        if (!r->report || ib_report_add_node(r->report, &r->s->node) != 0 ||
            ib_live_observe(r->l, ib_report_observe, r->report) != 0)
            goto nomem;
    }
    return CLI_OK;
nomem:
    fprintf(stderr, "inetbox live: out of memory\n");
    return CLI_FAIL;
}

/* The report, with the story if one was told: CLI_OK or CLI_FAIL. */
static int write_report(struct live *r)
{
    if (!r->report)
        return CLI_OK;
    if (r->story)
        ib_report_set_story(r->report, r->story);
    FILE *f = fopen(r->o->html, "w");
    int rc = f && ib_report_write(r->report, f) == 0 ? CLI_OK : CLI_FAIL;
    if (f && fclose(f) != 0)
        rc = CLI_FAIL;
    if (rc != CLI_OK)
        fprintf(stderr, "inetbox live: cannot write %s: %s\n", r->o->html, strerror(errno));
    return rc;
}

/* Each observer leaves the bus before it is freed: closing the loop still
 * emits (the stack's last events). */
static int close_observers(struct live *r)
{
    ib_live_unobserve(r->l, ib_tcpdump_journey_observer, &r->td);
    ib_live_unobserve(r->l, ib_json_observe, r->json);
    ib_live_unobserve(r->l, ib_story_observe, r->story);
    ib_live_unobserve(r->l, ib_report_observe, r->report);
    int rc = write_report(r);
    ib_report_free(r->report);
    fflush(stdout);
    if (r->pcap && ib_pcapng_close(r->pcap) != 0) {
        fprintf(stderr, "inetbox live: writing %s failed\n", r->o->pcap);
        rc = CLI_FAIL;
    }
    ib_json_free(r->json);
    if (r->json_file && r->json_file != stdout && fclose(r->json_file) != 0) {
        fprintf(stderr, "inetbox live: writing %s failed\n", r->o->json);
        rc = CLI_FAIL;
    }
    ib_story_free(r->story);
    return rc;
}

static void on_bound(struct ib_dhcp_client *c, const struct ib_dhcp_lease *lease, void *arg)
{
    struct live *r = arg;
    char a[IB_IP4_STRLEN], srv[IB_IP4_STRLEN];
    info(r, "DHCP lease %s/%u from %s for %" PRIu32 " s", ib_ip4_str(lease->addr, a), lease->plen,
         ib_ip4_str(lease->server, srv), lease->lease_s);
    if (r->want_lease) {
        r->want_lease = false;
        ib_live_stop(r->l);
    }
}

static void note_signal(struct live *r)
{
    r->signalled = true;
    r->sig_at = ib_now(r->env);
}

/* The address: static, or the first DHCP lease. CLI_OK, or CLI_FAIL after
 * saying why; *sig is set if a signal came first. */
static int configure(struct live *r, bool *sig)
{
    const struct live_opts *o = r->o;
    char a[IB_IP4_STRLEN];
    if (o->has_addr) {
        if (ib_stack_set_addr(r->s, r->nif, o->addr, o->plen) != 0 ||
            (o->has_gw && ib_stack_add_route(r->s, 0, 0, o->gw, r->nif) != 0)) {
            fprintf(stderr, "inetbox live: cannot configure %s/%u\n", ib_ip4_str(o->addr, a),
                    o->plen);
            return CLI_FAIL;
        }
    } else {
        r->dhcpc = ib_dhcp_client_start(r->s, r->nif, on_bound, r);
        if (!r->dhcpc) {
            fprintf(stderr, "inetbox live: cannot start the DHCP client\n");
            return CLI_FAIL;
        }
        r->want_lease = true;
        info(r, "waiting for a DHCP lease on %s", r->nif->name);
        enum ib_live_stop st = ib_live_run(r->l, ib_now(r->env) + LIVE_DHCP_WAIT);
        if (st == IB_LIVE_SIGNAL) {
            note_signal(r);
            *sig = true;
            return CLI_OK;
        }
        if (st != IB_LIVE_STOPPED) {
            fprintf(stderr, "inetbox live: %s\n",
                    st == IB_LIVE_ERROR ? ib_live_error(r->l) : "no DHCP lease within 30 s");
            return CLI_FAIL;
        }
    }
    if (o->n_dns) {
        memcpy(r->s->resolv.servers, o->dns, sizeof(o->dns));
        r->s->resolv.n = o->n_dns;
    }
    return CLI_OK;
}

/* The options were checked against each other (cmd_live.c), so a port is
 * only taken if something else on the stack holds it. */
static int service_failed(const char *what, uint16_t port, const char *why)
{
    fprintf(stderr, "inetbox live: cannot start the %s on port %u: %s\n", what, port, why);
    return CLI_FAIL;
}

#define PORT_OR_MEMORY "port is in use or memory ran out"

static int start_services(struct live *r)
{
    struct live_opts *o = r->o;
    struct ib_stack *s = r->s;
    if (o->zone) {
        r->dns = ib_dns_auth_start(s, 53);
        if (!r->dns) return service_failed("DNS server", 53, "the UDP or TCP " PORT_OR_MEMORY);
        if (ib_dns_auth_add_zone(r->dns, o->zone) != 0)
            return service_failed("DNS server", 53, "out of memory for the zone");
        info(r, "DNS server on port 53 for %s.", ib_dns_zone_origin(o->zone));
        o->zone = NULL; /* the server's now */
    }
    if (o->dhcp_server) {
        struct ib_dhcp_server_config cfg = {.pool_first = o->pool_first,
                                            .pool_last = o->pool_last,
                                            .router = o->has_gw ? o->gw : 0};
        if (r->dns) {
            cfg.dns[0] = o->addr;
            cfg.n_dns = 1;
        }
        if (!(r->dhcps = ib_dhcp_server_start(s, r->nif, &cfg)))
            return service_failed("DHCP server", 67, "the " PORT_OR_MEMORY);
        char a[IB_IP4_STRLEN], b[IB_IP4_STRLEN];
        info(r, "DHCP server leasing %s-%s", ib_ip4_str(o->pool_first, a),
             ib_ip4_str(o->pool_last, b));
    }
    if (o->http_dir) {
        if (!(r->http = ib_http_server_start_dir(s, o->http_port, o->http_dir, NULL)))
            return service_failed("HTTP server", o->http_port,
                                  "the directory cannot be opened, or the " PORT_OR_MEMORY);
        info(r, "HTTP server on port %u for %s", o->http_port, o->http_dir);
    }
    if (o->tcp_echo) {
        if (!(r->tcp_echo = ib_tcp_echo_start(s, o->tcp_echo)))
            return service_failed("TCP echo", o->tcp_echo, "the " PORT_OR_MEMORY);
        info(r, "TCP echo on port %u", o->tcp_echo);
    }
    if (o->udp_echo) {
        if (!(r->udp_echo = ib_udp_echo_start(s, o->udp_echo)))
            return service_failed("UDP echo", o->udp_echo, "the " PORT_OR_MEMORY);
        info(r, "UDP echo on port %u", o->udp_echo);
    }
    if (o->tcp_discard) {
        if (!(r->tcp_discard = ib_tcp_discard_start(s, o->tcp_discard)))
            return service_failed("TCP discard", o->tcp_discard, "the " PORT_OR_MEMORY);
        info(r, "TCP discard on port %u", o->tcp_discard);
    }
    return CLI_OK;
}

/* The services take no more work: the HTTP server drains, the others stop
 * (each stop takes NULL; the DHCP client keeps the address until the end,
 * the connections need it). */
static void quiesce(struct live *r)
{
    ib_tcp_discard_stop(r->tcp_discard);
    ib_udp_echo_stop(r->udp_echo);
    ib_tcp_echo_stop(r->tcp_echo);
    ib_dhcp_server_stop(r->dhcps);
    ib_dns_auth_stop(r->dns);
    r->tcp_discard = NULL;
    r->udp_echo = NULL;
    r->tcp_echo = NULL;
    r->dhcps = NULL;
    r->dns = NULL;
    if (r->http) ib_http_server_drain(r->http);
}

/* Connections closing (a drained response still being sent, a FIN or the
 * last ACK to exchange; TIME_WAIT needs nothing more from the peer) get up
 * to LIVE_LINGER. */
static void linger(struct live *r)
{
    size_t n = ib_tcp_count(r->s);
    if (n == 0) return;
    info(r, "waiting up to %d s for %zu connection%s to finish (a second signal ends it)",
         (int)(LIVE_LINGER / IB_SEC(1)), n, n == 1 ? "" : "s");
    ib_time end = ib_now(r->env) + LIVE_LINGER;
    while (ib_tcp_count(r->s) > 0 && ib_now(r->env) < end) {
        ib_time until = ib_now(r->env) + LIVE_LINGER_POLL;
        enum ib_live_stop st = ib_live_run(r->l, until < end ? until : end);
        if (st == IB_LIVE_ERROR) return;
        if (st == IB_LIVE_SIGNAL &&
            !(r->signalled && ib_now(r->env) - r->sig_at < LIVE_SIGNAL_REPEAT))
            return;
    }
}

/* What the linger left is reset (RFC 9293 §3.10.5), then the address goes. */
static void stop_services(struct live *r)
{
    ib_http_server_stop(r->http);
    r->http = NULL;
    size_t n = ib_tcp_abort_closed(r->s);
    if (n) {
        info(r, "reset %zu connection%s still open", n, n == 1 ? "" : "s");
        /* A RST in the peer's window but not at its RCV.NXT (data of ours
         * still in flight) draws a challenge ACK (RFC 5961 §3.2), which the
         * closed port answers with a RST the peer takes: stay for it. */
        ib_live_run(r->l, ib_now(r->env) + LIVE_RESET_GRACE);
    }
    ib_dhcp_client_stop(r->dhcpc);
    r->dhcpc = NULL;
}

/* Runs until the actions are done, the duration is over or a signal. */
static int run(struct live *r)
{
    const struct live_opts *o = r->o;
    ib_time deadline = o->duration ? ib_now(r->env) + o->duration : IB_TIME_NEVER;
    schedule_step(r);
    enum ib_live_stop st = ib_live_run(r->l, deadline);
    if (st == IB_LIVE_ERROR) {
        fprintf(stderr, "inetbox live: the TAP failed: %s\n", ib_live_error(r->l));
        cancel_actions(r, "the TAP failed");
        return CLI_FAIL;
    }
    if (r->nomem) {
        fprintf(stderr, "inetbox live: out of memory\n");
        cancel_actions(r, "out of memory");
        return CLI_FAIL;
    }
    cancel_actions(r, st == IB_LIVE_SIGNAL ? "interrupted" : "not done within --duration");
    if (st == IB_LIVE_SIGNAL) {
        note_signal(r);
        fprintf(stderr, "inetbox live: stopped (signal)\n");
    }
    return CLI_OK;
}

static void print_story(struct live *r)
{
    if (!r->story) return;
    ib_story_finish(r->story);
    ib_story_print(r->story, r->o->lang, stdout);
}

int live_run(struct live_opts *o)
{
    struct live r;
    memset(&r, 0, sizeof(r));
    r.o = o;
    ib_timer_init(&r.step, step);
    char err[256];
    r.l = ib_live_open(&o->cfg, err, sizeof(err));
    if (!r.l) {
        fprintf(stderr, "inetbox live: %s\n", err);
        ib_dns_zone_free(o->zone);
        return CLI_FAIL;
    }
    r.s = ib_live_stack(r.l);
    r.nif = ib_live_netif(r.l);
    r.env = ib_live_env(r.l);
    info(&r, "%s TAP %s", ib_live_created(r.l) ? "created" : "attached to", r.nif->name);
    bool sig = false;
    int rc = open_observers(&r);
    if (rc == CLI_OK) rc = configure(&r, &sig);
    if (rc == CLI_OK && sig) {
        fprintf(stderr, "inetbox live: stopped (signal)\n");
        cancel_actions(&r, "interrupted");
    } else if (rc == CLI_OK && (rc = start_services(&r)) == CLI_OK) {
        char a[IB_IP4_STRLEN];
        fprintf(stderr, "inetbox live: ready on TAP %s, %s/%u\n", r.nif->name,
                ib_ip4_str(r.nif->addr, a), r.nif->plen);
        rc = run(&r);
    }
    quiesce(&r);
    linger(&r);
    stop_services(&r);
    print_story(&r);
    if (r.report) ib_report_snapshot(r.report);
    if (close_observers(&r) != CLI_OK) rc = CLI_FAIL;
    ib_evq_forget(r.env->q, &r.step);
    /* The stop is decided and done: a SIGINT or SIGTERM still on its way
     * (timeout(1) signals both its child and the child's process group)
     * must not turn a clean exit into death by signal once ib_live_close
     * restores the mask it found. */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    ib_live_close(r.l);
    ib_dns_zone_free(o->zone);
    return rc == CLI_OK && r.failed ? CLI_FAIL : rc;
}

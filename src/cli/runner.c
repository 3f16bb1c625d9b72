/* Running a scenario with the outputs the options ask for: what `inetbox
 * run` and `inetbox journey` share. The order matters: observers go on
 * between building and configuring the world, so that they see the
 * gratuitous ARPs the addresses bring. */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "inetbox/json.h"
#include "inetbox/report.h"

/* The HTML report, with the story if there is one. */
static int write_report(struct ib_report *report, const struct cli_run_opts *o, FILE *f)
{
    if (o->story) {
        int err = ib_story_finish(o->story);
        if (err == IB_ERR_NOMEM || ib_report_set_story(report, o->story) != 0) {
            fprintf(stderr, "inetbox %s: out of memory\n", o->cmd);
            return CLI_FAIL;
        }
    }
    if (ib_report_write(report, f) != 0) {
        fprintf(stderr, "inetbox %s: writing %s failed\n", o->cmd, o->html_path);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_run_scenario(const struct ib_scenario *sc, const struct cli_run_opts *o)
{
    char err[IB_SC_ERR_MAX];
    struct ib_world *w = ib_scenario_build(sc, err, sizeof(err));
    if (!w) {
        fprintf(stderr, "inetbox %s: %s\n", o->cmd, err);
        return CLI_FAIL;
    }
    struct ib_tcpdump td = {.out = stdout};
    struct ib_pcapng *pcap = NULL;
    struct ib_json *json = NULL;
    FILE *json_file = NULL;
    struct ib_sc_run *run = NULL;
    struct ib_report *report = NULL;
    FILE *html_file = NULL;
    int rc = CLI_FAIL;
    if (o->trace && ib_world_observe(w, ib_tcpdump_journey_observer, &td) != 0)
        goto nomem;
    if (o->observer && ib_world_observe(w, o->observer, o->observer_ctx) != 0)
        goto nomem;
    if (o->json_path) {
        json_file = strcmp(o->json_path, "-") == 0 ? stdout : fopen(o->json_path, "w");
        if (!json_file) {
            fprintf(stderr, "inetbox %s: cannot write %s: %s\n", o->cmd, o->json_path,
                    strerror(errno));
            goto out;
        }
        json = ib_json_new(json_file);
        if (!json || ib_world_observe(w, ib_json_observe, json) != 0)
            goto nomem;
    }
    if (o->html_path) {
        if (!(html_file = fopen(o->html_path, "w"))) {
            fprintf(stderr, "inetbox %s: cannot write %s: %s\n", o->cmd, o->html_path,
                    strerror(errno));
            goto out;
        }
        report = ib_report_new();
        if (!report || ib_report_set_title(report, sc->name[0] ? sc->name : sc->file) != 0 ||
            ib_report_add_world(report, w) != 0 ||
            ib_world_observe(w, ib_report_observe, report) != 0)
            goto nomem;
    }
    if (o->pcap_dir && !(pcap = ib_pcapng_open_world(w, o->pcap_dir))) {
        fprintf(stderr, "inetbox %s: cannot write pcap files into %s: %s\n", o->cmd, o->pcap_dir,
                strerror(errno));
        goto out;
    }
    if (ib_scenario_configure(sc, w, err, sizeof(err)) != 0 ||
        !(run = ib_scenario_start(sc, w, o->report, o->report_arg, err, sizeof(err)))) {
        fprintf(stderr, "inetbox %s: %s\n", o->cmd, err);
        goto out;
    }
    uint64_t events = ib_world_run(w, sc->stop);
    /* The tables as the run left them, before stopping the applications
     * gives up leases and closes connections. */
    if (report && ib_report_snapshot(report) != 0) goto nomem;
    if (o->summary)
        printf("%s: %u nodes, %u links, %" PRIu64 " events, simulated time %.6f s\n",
               sc->name[0] ? sc->name : sc->file, w->n_nodes, w->n_links, events,
               (double)ib_now(&w->env) / 1e9);
    rc = CLI_OK;
    goto out;
nomem:
    fprintf(stderr, "inetbox %s: out of memory\n", o->cmd);
out:
    ib_scenario_stop(run);
    fflush(stdout);
    if (pcap && ib_pcapng_close(pcap) != 0) {
        fprintf(stderr, "inetbox %s: writing pcap files into %s failed\n", o->cmd, o->pcap_dir);
        rc = CLI_FAIL;
    }
    ib_json_free(json);
    if (json_file && json_file != stdout && fclose(json_file) != 0) {
        fprintf(stderr, "inetbox %s: writing %s failed\n", o->cmd, o->json_path);
        rc = CLI_FAIL;
    }
    if (report && rc == CLI_OK && write_report(report, o, html_file) != 0) rc = CLI_FAIL;
    ib_report_free(report);
    if (html_file && fclose(html_file) != 0 && rc == CLI_OK) {
        fprintf(stderr, "inetbox %s: writing %s failed\n", o->cmd, o->html_path);
        rc = CLI_FAIL;
    }
    ib_world_free(w);
    return rc;
}

void cli_print_result(const struct ib_sc_result *r)
{
    const struct ib_sc_action_item *it = r->item;
    char a[IB_IP4_STRLEN];
    printf("%10.6f  %-12s ", (double)r->t / 1e9, r->node);
    switch (it->action) {
    case IB_SC_FETCH:
        if (r->err)
            printf("fetch %s: failed: %s\n", it->arg, ib_err_str(r->err));
        else
            printf("fetch %s: HTTP %u, %zu bytes from %s\n", it->arg, r->status, r->len,
                   ib_ip4_str(r->addr, a));
        break;
    case IB_SC_RESOLVE:
        if (r->err)
            printf("resolve %s: failed: %s\n", it->arg, ib_err_str(r->err));
        else
            printf("resolve %s: %s\n", it->arg, ib_ip4_str(r->addr, a));
        break;
    case IB_SC_PING:
        printf("ping %s: %" PRIu32 " sent, %" PRIu32 " received\n", ib_ip4_str(r->addr, a), r->sent,
               r->received);
        break;
    default:
        printf("\n");
        break;
    }
}

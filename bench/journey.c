/* How long `inetbox journey` takes (issue 4: "well under a second"): the
 * built-in internet (examples/internet.yaml: 16 nodes, 14 links, 300 s of
 * simulated time ending after TIME_WAIT) loaded, built and run R times,
 * with the story narrator recording, as the command does; and once more
 * with no observer at all. Prints the median and best wall time per run.
 *
 * Usage: journey [--runs R] [FILE]   (FILE: default examples/internet.yaml) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inetbox/scenario.h"
#include "inetbox/story.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* One whole journey: parse, build, run, tell (to nowhere); seconds. */
static double one_run(const char *file, bool story, uint64_t *events)
{
    double t0 = now_s();
    struct ib_scenario sc;
    char err[IB_SC_ERR_MAX];
    if (ib_scenario_load(&sc, file, err, sizeof(err))) {
        fprintf(stderr, "%s\n", err);
        exit(2);
    }
    struct ib_world *w = ib_scenario_build(&sc, err, sizeof(err));
    struct ib_story *st = story ? ib_story_new("laptop", sc.timeline[0].arg) : NULL;
    if (!w || (story && (!st || ib_world_observe(w, ib_story_observe, st))) ||
        ib_scenario_configure(&sc, w, err, sizeof(err))) {
        fprintf(stderr, "journey: cannot build %s: %s\n", file, err);
        exit(1);
    }
    struct ib_sc_run *r = ib_scenario_start(&sc, w, NULL, NULL, err, sizeof(err));
    if (!r) {
        fprintf(stderr, "journey: %s\n", err);
        exit(1);
    }
    *events = ib_world_run(w, sc.stop);
    ib_scenario_stop(r);
    if (st) {
        FILE *devnull = fopen("/dev/null", "w");
        ib_story_finish(st);
        ib_story_print(st, IB_LANG_EN, devnull);
        fclose(devnull);
        ib_story_free(st);
    }
    ib_world_free(w);
    ib_scenario_free(&sc);
    return now_s() - t0;
}

int main(int argc, char **argv)
{
    int runs = 50;
    const char *file = "examples/internet.yaml";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else
            file = argv[i];
    }
    if (runs < 1) {
        fprintf(stderr, "usage: journey [--runs R] [FILE]\n");
        return 2;
    }
    double *t = malloc((size_t)runs * sizeof(*t));
    uint64_t events = 0;
    for (int story = 1; story >= 0; story--) {
        for (int i = 0; i < runs; i++)
            t[i] = one_run(file, story, &events);
        qsort(t, (size_t)runs, sizeof(*t), cmp_double);
        printf("journey %-10s %" PRIu64 " events: median %.3f ms, best %.3f ms per run (%d runs)\n",
               story ? "story" : "no-story", events, t[runs / 2] * 1e3, t[0] * 1e3, runs);
    }
    printf("reproduce: build/bench/journey --runs %d %s\n", runs, file);
    free(t);
    return 0;
}

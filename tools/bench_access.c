/* seggap-bench-access: times the stages of the access computation (issue 5)
 * on one input, several runs, and prints the median wall time of each.
 *
 *   seggap-bench-access [--runs R] -- <seggap analyze options with --service>
 *
 * The districts are read and projected once (not timed). Each run then
 * times, for the first --service type:
 *   origins            the GEOS point on surface of every district
 *   read services      the service layer, reprojected
 *   nearest            STRtree build + nearest distance of every origin
 *   e2sfca             pairs within the catchment + counts, 2SFCA, E2SFCA
 * and with --network:
 *   network build      read, node (GEOS), graph, snap every origin
 *   network nearest    snap the services + one multi-source Dijkstra
 * --threads of the analyze options applies (0: all cores). It links the
 * library's private API to reach the stages: a measuring tool, not part of
 * the public interface. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <gdal.h>

#include "access/access.h"

#define MAX_STAGES 16
#define MAX_RUNS 64

typedef struct stage {
    char name[64];
    double t[MAX_RUNS];
} stage;

static stage stages[MAX_STAGES];
static int nstages;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void record(const char *name, int run, double secs) {
    for (int i = 0; i < nstages; i++)
        if (strcmp(stages[i].name, name) == 0) {
            stages[i].t[run] = secs;
            return;
        }
    if (nstages < MAX_STAGES) {
        snprintf(stages[nstages].name, sizeof stages[nstages].name, "%s", name);
        stages[nstages].t[run] = secs;
        nstages++;
    }
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n) {
    double tmp[MAX_RUNS];
    memcpy(tmp, v, (size_t)n * sizeof *v);
    qsort(tmp, (size_t)n, sizeof *tmp, cmp);
    return n % 2 ? tmp[n / 2] : 0.5 * (tmp[n / 2 - 1] + tmp[n / 2]);
}

static int fail(sg_ctx *ctx, const char *what) {
    fprintf(stderr, "seggap-bench-access: %s: %s\n", what, sg_ctx_last_error(ctx));
    return 1;
}

static size_t info_locations, info_pairs, info_edges, info_origins;

static int one_run(sg_ctx *ctx, const sg_options *o, const sg_city *c, const sg_crs_info *crs, int run) {
    const struct sg_access_opts *ao = o->access;
    double t0 = now();
    sg_origins og;
    if (sg__origins_build(ctx, o, c, crs, &og) != SG_OK) return fail(ctx, "origins");
    record("origins (point on surface)", run, now() - t0);
    info_origins = og.n;
    t0 = now();
    sg_services s;
    if (sg__services_read(ctx, &ao->svc[0], o, crs, c, o->network != NULL, &s) != SG_OK)
        return fail(ctx, "read services");
    record("read services", run, now() - t0);
    info_locations = s.n;
    size_t n = og.n ? og.n : 1;
    double *dist = malloc(n * sizeof *dist), *count = malloc(n * ao->nradius * sizeof *count);
    double *f2 = malloc(n * sizeof *f2), *e2 = malloc(n * sizeof *e2);
    if (!o->network) {
        t0 = now();
        sg_euclid *e = NULL;
        if (sg__euclid_create(ctx, &og, &s, crs, o->geodesic, &e) != SG_OK ||
            sg__euclid_nearest(ctx, e, o->threads, dist) != SG_OK)
            return fail(ctx, "nearest");
        record("nearest (STRtree build + queries)", run, now() - t0);
        t0 = now();
        sg_pairs p;
        size_t idle;
        if (sg__euclid_pairs(ctx, e, ao->catchment, o->threads, &p) != SG_OK ||
            sg__access_fca(ctx, &p, og.demand, &s, ao, count, f2, e2, &idle) != SG_OK)
            return fail(ctx, "e2sfca");
        record("e2sfca (pairs + counts, 2SFCA, E2SFCA)", run, now() - t0);
        info_pairs = p.off[p.n];
        sg__pairs_free(&p);
        sg__euclid_destroy(ctx, e);
    } else {
        t0 = now();
        sg_network *net = NULL;
        if (sg__network_build(ctx, o, crs, c, &og, &net) != SG_OK) return fail(ctx, "network build");
        record("network build (read, node, graph, snap origins)", run, now() - t0);
        info_edges = sg__network_info(net)->edges;
        t0 = now();
        sg_net_services *ns = NULL;
        size_t far;
        if (sg__network_services(ctx, net, &s, &ns, &far) != SG_OK ||
            sg__network_nearest(ctx, net, ns, 0, dist) != SG_OK)
            return fail(ctx, "network nearest");
        record("network nearest (snap services + Dijkstra)", run, now() - t0);
        t0 = now();
        sg_pairs p;
        size_t idle;
        if (sg__network_pairs(ctx, net, ns, ao->catchment, o->threads, &p) != SG_OK ||
            sg__access_fca(ctx, &p, og.demand, &s, ao, count, f2, e2, &idle) != SG_OK)
            return fail(ctx, "network e2sfca");
        record("network e2sfca (one bounded Dijkstra per service)", run, now() - t0);
        info_pairs = p.off[p.n];
        sg__pairs_free(&p);
        sg__network_services_free(ns);
        sg__network_free(ctx, net);
    }
    free(dist);
    free(count);
    free(f2);
    free(e2);
    sg__services_free(ctx, &s);
    sg__origins_free(&og);
    return 0;
}

int main(int argc, char **argv) {
    int runs = 5, i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else {
            fprintf(stderr, "usage: seggap-bench-access [--runs R] -- <seggap analyze options with --service>\n");
            return 2;
        }
    }
    if (runs < 1 || runs > MAX_RUNS) runs = 5;
    GDALAllRegister();
    sg_ctx *ctx = sg_ctx_create();
    sg_options *o = NULL;
    if (sg_options_parse(ctx, argc - i, argv + i, &o, NULL) != SG_OK || !o) {
        fprintf(stderr, "seggap-bench-access: %s\n", sg_ctx_last_error(ctx));
        return 2;
    }
    if (!o->access) {
        fprintf(stderr, "seggap-bench-access: give a --service\n");
        return 2;
    }
    sg_reader rd;
    sg_city city;
    memset(&rd, 0, sizeof rd);
    double t0 = now();
    if (sg__read_city(ctx, o, &rd, &city) != SG_OK) return fail(ctx, "read");
    if (sg__crs_project(ctx, o->work_crs, &city, &rd.crs) != SG_OK) return fail(ctx, "project");
    double tread = now() - t0;
    for (int r = 0; r < runs; r++)
        if (one_run(ctx, o, &city, &rd.crs, r) != 0) return 1;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("seggap-bench-access: %zu districts (%zu origins), %zu '%s' locations, threads %d, %d runs, medians\n",
           city.n, info_origins, info_locations, o->access->svc[0].type, sg__thread_count(o->threads), runs);
    printf("  %-52s %9.3f s (once, not part of the stages)\n", "read + project the districts", tread);
    for (int s = 0; s < nstages; s++) {
        double sorted[MAX_RUNS];
        memcpy(sorted, stages[s].t, (size_t)runs * sizeof *sorted);
        qsort(sorted, (size_t)runs, sizeof *sorted, cmp);
        printf("  %-52s %9.3f s  (min %.3f, max %.3f)\n", stages[s].name, median(stages[s].t, runs), sorted[0],
               sorted[runs - 1]);
    }
    if (o->network) printf("  network edges %zu\n", info_edges);
    printf("  pairs within the %g m catchment %zu\n", o->access->catchment, info_pairs);
    printf("  peak RSS %.1f MB\n", (double)ru.ru_maxrss / 1024.0);
    sg__city_free(ctx, &city);
    sg__reader_free(&rd);
    sg_options_free(o);
    sg_ctx_destroy(ctx);
    return 0;
}

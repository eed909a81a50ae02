/* seggap-bench: times each stage of `seggap analyze` on one input, several
 * runs, and prints the median wall time of each stage and the peak RSS.
 *
 *   seggap-bench [--runs R] [--permutations N] -- <seggap analyze options>
 *
 * Stages: read+validate, project, spatial build (areas, centroids, STRtree,
 * queen/rook adjacency and boundary lengths, kernel), each index family, N
 * permutations of D alone (the basic family), the full permutation test of
 * every permutable family when --permutations is given to analyze, and write.
 * It links the library's private API (geo/internal.h) to reach the stages;
 * it is a measuring tool, not part of the public interface. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <gdal.h>

#include "index_spatial.h"
#include "internal.h"

#define MAX_STAGES 64

typedef struct stage {
    char name[96];
    double t[64];
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

static double median(double *v, int n) {
    double tmp[64];
    memcpy(tmp, v, (size_t)n * sizeof *v);
    qsort(tmp, (size_t)n, sizeof *tmp, cmp);
    return n % 2 ? tmp[n / 2] : 0.5 * (tmp[n / 2 - 1] + tmp[n / 2]);
}

static int fail(sg_ctx *ctx, const char *what) {
    fprintf(stderr, "seggap-bench: %s: %s\n", what, sg_ctx_last_error(ctx));
    return 1;
}

/* One run of the pipeline, stage by stage. */
static int one_run(const sg_options *o, int run, int dperms) {
    sg_ctx *ctx = sg_ctx_create();
    sg_run *r = calloc(1, sizeof *r);
    r->opts = o;
    r->out_dir = sg__strdup(o->out_dir);
    r->districts_path = sg__asprintf("%s/districts.geojson", o->out_dir);
    r->summary_path = sg__asprintf("%s/summary.json", o->out_dir);
    double t0 = now();
    if (sg__read_city(ctx, o, &r->rd, &r->city) != SG_OK) return fail(ctx, "read");
    record("read + validate", run, now() - t0);
    t0 = now();
    if (sg__crs_project(ctx, o->work_crs, &r->city, &r->rd.crs) != SG_OK) return fail(ctx, "project");
    record("project", run, now() - t0);

    const sg_city *c = &r->city;
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) n += c->status[i] == SG_DS_OK || c->status[i] == SG_DS_REPAIRED;
    size_t *index = malloc(n * sizeof *index);
    double *x = malloc(n * sizeof *x), *t = malloc(n * sizeof *t);
    const GEOSGeometry **geom = malloc(n * sizeof *geom);
    for (size_t i = 0, u = 0; i < c->n; i++) {
        if (c->status[i] != SG_DS_OK && c->status[i] != SG_DS_REPAIRED) continue;
        index[u] = i;
        x[u] = c->group[i];
        t[u] = c->total[i];
        geom[u++] = c->geom[i];
    }
    r->used = n;
    r->excluded = c->n - n;
    r->res.n = c->n;
    sg_data d = {n, index, x, t, 0, NULL, NULL, geom, c, o, &r->rd.crs, NULL, 0};
    sg_basic_indices_compute(ctx, x, t, n, &r->idx);
    int any_spatial = 0;
    for (size_t f = 0; f < sg__nfamilies; f++)
        if ((sg__families[f].flags & SG_FAM_SPATIAL) && sg__family_on(o, sg__families[f].name)) any_spatial = 1;
    t0 = now();
    if (any_spatial && sg__spatial_build(ctx, &d, &d.sp) != SG_OK) return fail(ctx, "spatial build");
    if (any_spatial) record("spatial build (only what --indices needs)", run, now() - t0);
    for (size_t f = 0; f < sg__nfamilies; f++) {
        if (!sg__family_on(o, sg__families[f].name)) continue;
        t0 = now();
        if (sg__families[f].fn(ctx, &d, &r->res) != SG_OK) return fail(ctx, sg__families[f].name);
        char name[96];
        snprintf(name, sizeof name, "family %s", sg__families[f].name);
        record(name, run, now() - t0);
    }
    if (dperms > 0) {
        /* D alone under the permutation null, as permute.c draws it. */
        double *xp = malloc(n * sizeof *xp);
        t0 = now();
        for (int k = 0; k < dperms; k++) {
            sg_rng rng;
            sg__rng_seed(&rng, 12345, (uint64_t)k);
            double T = 0, X = 0;
            for (size_t i = 0; i < n; i++) {
                T += round(t[i]);
                X += round(x[i]);
            }
            for (size_t i = 0; i < n; i++) {
                xp[i] = sg__rng_hypergeometric(&rng, T, X, round(t[i]));
                X -= xp[i];
                T -= round(t[i]);
            }
            sg_basic_indices b;
            sg_basic_indices_compute(ctx, xp, t, n, &b);
        }
        record("permutations of D alone (1 thread)", run, now() - t0);
        free(xp);
    }
    if (o->permutations > 0 || o->bootstrap > 0) {
        t0 = now();
        if (sg__infer(ctx, &d, &r->res) != SG_OK) return fail(ctx, "inference");
        record("inference, every permutable family (all threads)", run, now() - t0);
    }
    sg__spatial_free(ctx, d.sp);
    t0 = now();
    if (sg__ensure_dir(ctx, o->out_dir) != SG_OK || sg__write_districts(ctx, r, r->districts_path) != SG_OK ||
        sg__write_summary(ctx, r, r->summary_path) != SG_OK)
        return fail(ctx, "write");
    record("write", run, now() - t0);
    sg__city_free(ctx, &r->city);
    sg__reader_free(&r->rd);
    r->opts = NULL;
    sg_run_destroy(r);
    free(index);
    free(x);
    free(t);
    free(geom);
    sg_ctx_destroy(ctx);
    return 0;
}

int main(int argc, char **argv) {
    int runs = 3, dperms = 999, i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--d-permutations") == 0 && i + 1 < argc) dperms = atoi(argv[++i]);
        else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else {
            fprintf(stderr, "usage: seggap-bench [--runs R] [--d-permutations N] -- <seggap analyze options>\n");
            return 2;
        }
    }
    if (runs < 1 || runs > 64) runs = 3;
    GDALAllRegister();
    sg_ctx *ctx = sg_ctx_create();
    sg_options *o = NULL;
    if (sg_options_parse(ctx, argc - i, argv + i, &o, NULL) != SG_OK || !o) {
        fprintf(stderr, "seggap-bench: %s\n", sg_ctx_last_error(ctx));
        return 2;
    }
    double total[64];
    for (int r = 0; r < runs; r++) {
        double t0 = now();
        if (one_run(o, r, dperms) != 0) return 1;
        total[r] = now() - t0;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("seggap-bench: %d runs, medians\n", runs);
    for (int s = 0; s < nstages; s++) printf("  %-52s %9.3f s\n", stages[s].name, median(stages[s].t, runs));
    printf("  %-52s %9.3f s\n", "total", median(total, runs));
    printf("  %-52s %9.1f MB\n", "peak RSS", (double)ru.ru_maxrss / 1024.0);
    sg_options_free(o);
    sg_ctx_destroy(ctx);
    return 0;
}

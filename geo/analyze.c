/* The analyze pipeline: read -> validate -> project -> compute -> write. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gdal.h>

#include "internal.h"

void sg_run_destroy(sg_run *run) {
    if (!run) return;
    free(run->share);
    free(run->lq);
    free(run->d_contrib);
    free(run->out_dir);
    free(run->districts_path);
    free(run->summary_path);
    free(run->summary_json);
    free(run->summary_text);
    free(run);
}

/* The city's geometries need the GEOS handle to be freed, so the reader and
 * city are released inside sg_analyze; the run keeps only plain data. */
static void release_inputs(sg_ctx *ctx, sg_run *run) {
    sg__city_free(ctx, &run->city);
    sg__reader_free(&run->rd);
}

static sg_status compute(sg_ctx *ctx, sg_run *run) {
    sg_city *c = &run->city;
    double *x = malloc((c->n ? c->n : 1) * sizeof *x);
    double *t = malloc((c->n ? c->n : 1) * sizeof *t);
    run->share = malloc((c->n ? c->n : 1) * sizeof *run->share);
    run->lq = malloc((c->n ? c->n : 1) * sizeof *run->lq);
    run->d_contrib = malloc((c->n ? c->n : 1) * sizeof *run->d_contrib);
    if (!x || !t || !run->share || !run->lq || !run->d_contrib) {
        free(x);
        free(t);
        return sg__nomem(ctx);
    }
    size_t m = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (c->status[i] != SG_DS_OK && c->status[i] != SG_DS_REPAIRED) continue;
        x[m] = c->group[i];
        t[m] = c->total[i];
        m++;
    }
    run->used = m;
    run->excluded = c->n - m;
    sg_status st;
    if (m == 0)
        st = sg__error(ctx, SG_ERR_DATA, "E_NO_DISTRICTS", (sg_where){run->rd.districts.path, run->rd.districts.layer, -1, NULL, NULL},
                       "no district left for the indices: all %zu have no data or a zero total", c->n);
    else
        st = sg_basic_indices_compute(ctx, x, t, m, &run->idx);
    free(x);
    free(t);
    if (st != SG_OK) return st;
    sg_local_basic(&run->idx, c->group, c->total, c->n, run->share, run->lq, run->d_contrib);
    for (size_t i = 0; i < c->n; i++)
        if (c->status[i] != SG_DS_OK && c->status[i] != SG_DS_REPAIRED)
            run->share[i] = run->lq[i] = run->d_contrib[i] = NAN;
    return SG_OK;
}

sg_status sg_analyze(sg_ctx *ctx, const sg_options *opts, sg_run **out) {
    *out = NULL;
    GDALAllRegister();
    sg_run *run = calloc(1, sizeof *run);
    if (!run) return sg__nomem(ctx);
    run->opts = opts;
    run->out_dir = sg__strdup(opts->out_dir);
    run->districts_path = sg__asprintf("%s/districts.geojson", opts->out_dir);
    run->summary_path = sg__asprintf("%s/summary.json", opts->out_dir);
    sg_status st = (!run->out_dir || !run->districts_path || !run->summary_path) ? sg__nomem(ctx) : SG_OK;
    if (st == SG_OK) st = sg__read_city(ctx, opts, &run->rd, &run->city);
    if (st == SG_OK) st = sg__crs_project(ctx, opts->work_crs, &run->city, &run->rd.crs);
    if (st == SG_OK) st = compute(ctx, run);
    if (st == SG_OK) st = sg__ensure_dir(ctx, opts->out_dir);
    if (st == SG_OK) st = sg__write_districts(ctx, run, run->districts_path);
    if (st == SG_OK) st = sg__write_summary(ctx, run, run->summary_path);
    release_inputs(ctx, run);
    run->opts = NULL;
    if (st != SG_OK) {
        sg_run_destroy(run);
        return st;
    }
    *out = run;
    return SG_OK;
}

int sg_run_index(const sg_run *run, const char *name, double *value) {
    double v;
    if (strcmp(name, "dissimilarity") == 0) v = run->idx.dissimilarity;
    else if (strcmp(name, "isolation") == 0) v = run->idx.isolation;
    else if (strcmp(name, "exposure") == 0) v = run->idx.exposure;
    else return 0;
    *value = v;
    return 1;
}

void sg_run_counts(const sg_run *run, size_t *read, size_t *used, size_t *excluded) {
    if (read) *read = run->used + run->excluded;
    if (used) *used = run->used;
    if (excluded) *excluded = run->excluded;
}
const char *sg_run_summary_json(const sg_run *run) { return run->summary_json; }
const char *sg_run_summary_text(const sg_run *run) { return run->summary_text; }
const char *sg_run_districts_path(const sg_run *run) { return run->districts_path; }
const char *sg_run_summary_path(const sg_run *run) { return run->summary_path; }

/* The analyze pipeline: read -> validate -> project -> compute -> write. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gdal.h>

#include "analyze/analyze.h"

void sg_run_destroy(sg_run *run) {
    if (!run) return;
    sg__result_free(&run->res);
    if (run->outset == &run->own_outset) sg__outset_close(&run->own_outset); /* unpublished: removed */
    free(run->out_dir);
    free(run->districts_path);
    free(run->summary_path);
    free(run->dir);
    free(run->districts_file);
    free(run->summary_file);
    free(run->summary_json);
    free(run->summary_text);
    free(run->compare_text);
    sg__regions_free(run->regions);
    sg__profile_free(run->profile);
    sg__gaps_free(run->gaps);
    sg__access_free(run->access);
    sg__written_free(&run->written);
    free(run);
}

/* The city's geometries need the GEOS handle to be freed, so the reader and
 * city are released inside sg_analyze; the run keeps only plain data. */
static void release_inputs(sg_ctx *ctx, sg_run *run) {
    sg__city_free(ctx, &run->city);
    sg__reader_free(&run->rd);
}

/* Progress (sg_options_set_progress): each stage's share of the run, by a
 * rough cost; a stage that does not run has none. The shares of the stages
 * that run are added up in flow order. */
enum { W_READ = 10, W_PROJECT = 3, W_INDICES = 15, W_PERMUTATIONS = 40, W_ACCESS = 20, W_REGIONS = 2,
       W_OBJECTIVES = 5, W_WRITE = 15, W_COMPARE = 3 };
typedef struct plan {
    double at, total;
} plan;

static plan plan_make(const sg_options *o) {
    plan p = {0, W_READ + W_PROJECT + W_INDICES + W_OBJECTIVES + W_WRITE};
    if (o->permutations > 0 || o->bootstrap > 0) p.total += W_PERMUTATIONS;
    if (o->access) p.total += W_ACCESS;
    if (o->by_field) p.total += W_REGIONS;
    if (o->baseline) p.total += W_COMPARE;
    return p;
}

/* Enters the next stage (its share w of the run) and reports it; name NULL:
 * its parts report themselves (the write stage). */
static sg_status stage(sg_ctx *ctx, plan *p, const char *name, double w) {
    double lo = p->at / p->total;
    p->at += w;
    return sg__progress_stage(ctx, name, lo, p->at / p->total);
}

static int usable(const sg_city *c, size_t i) {
    return c->status[i] == SG_DS_OK || c->status[i] == SG_DS_REPAIRED;
}

/* Builds what the families compute on (the districts with data and total > 0)
 * and runs every family. */
static sg_status compute(sg_ctx *ctx, sg_run *run, plan *pl) {
    const sg_city *c = &run->city;
    const sg_options *o = run->opts;
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) n += usable(c, i);
    run->used = n;
    run->excluded = c->n - n;
    run->res.n = c->n;
    if (n == 0)
        return sg__error(ctx, SG_ERR_DATA, "E_NO_DISTRICTS",
                         (sg_where){run->rd.districts.path, run->rd.districts.layer, -1, NULL, NULL},
                         "no district left for the indices: all %zu have no data or a zero total", c->n);
    if (n == 1)
        return sg__error(ctx, SG_ERR_DATA, "E_ONE_DISTRICT",
                         (sg_where){run->rd.districts.path, run->rd.districts.layer, -1, NULL, NULL},
                         "only one district (of %zu read) has data and a total > 0: segregation compares "
                         "districts, so at least two are needed (a single Feature instead of a "
                         "FeatureCollection? the wrong layer?)", c->n);
    size_t k = c->ngroups ? c->ngroups + (o->no_remainder ? 0 : 1) : 0;
    size_t *index = malloc(n * sizeof *index);
    double *x = malloc(n * sizeof *x), *t = malloc(n * sizeof *t);
    double *m = k ? malloc(n * k * sizeof *m) : NULL;
    char **mnames = k ? calloc(k, sizeof *mnames) : NULL;
    const GEOSGeometry **geom = malloc(n * sizeof *geom);
    sg_status st = SG_OK;
    if (!index || !x || !t || !geom || (k && (!m || !mnames))) st = sg__nomem(ctx);
    for (size_t i = 0, u = 0; st == SG_OK && i < c->n; i++) {
        if (!usable(c, i)) continue;
        index[u] = i;
        x[u] = c->group[i];
        t[u] = c->total[i];
        geom[u] = c->geom[i];
        if (k) {
            double sum = 0;
            for (size_t g = 0; g < c->ngroups; g++) {
                m[u * k + g] = c->groups[i * c->ngroups + g];
                sum += m[u * k + g];
            }
            if (!o->no_remainder) {
                double rest = c->total[i] - sum;
                m[u * k + c->ngroups] = rest > 0 ? rest : 0; /* rounding below 0 is 0 */
            }
        }
        u++;
    }
    for (size_t g = 0; st == SG_OK && g < k; g++) {
        mnames[g] = sg__strdup(g < c->ngroups ? o->groups.items[g] : "rest");
        if (!mnames[g]) st = sg__nomem(ctx);
    }
    sg_data d = {n, index, x, t, k, m, mnames, geom, c, o, &run->rd.crs, NULL, 0, NULL, sg__spatial_skip(o)};
    if (st == SG_OK) st = stage(ctx, pl, "indices", W_INDICES);
    if (st == SG_OK) st = sg_basic_indices_compute(ctx, x, t, n, &run->idx);
    double t0;
    int any_spatial = 0; /* geometry work, once per run, only for selected spatial families */
    for (size_t f = 0; f < sg__nfamilies; f++)
        if ((sg__families[f].flags & SG_FAM_SPATIAL) && sg__family_on(o, sg__families[f].name)) any_spatial = 1;
    if (o->nscales) any_spatial = 1; /* the profile's centroid tree */
    if (st == SG_OK && any_spatial) st = sg__spatial_build(ctx, &d, &d.sp); /* times its own parts */
    if (st == SG_OK) st = sg__overlaps(ctx, &d, d.sp); /* the pairs of its contiguity, or its own pass */
    if (st == SG_OK) st = sg__run_families(ctx, &d, &run->res); /* times indices.aspatial/.spatial */
    if (st == SG_OK) st = sg__check_cancel(ctx);
    if (st == SG_OK && (o->permutations > 0 || o->bootstrap > 0))
        st = stage(ctx, pl, "permutations", W_PERMUTATIONS); /* sg__infer reports its replicates too */
    t0 = sg__now();
    if (st == SG_OK) st = sg__infer(ctx, &d, &run->res);
    if (o->permutations > 0 || o->bootstrap > 0) sg__stage_add(ctx, "permutations", sg__now() - t0);
    if (st == SG_OK) st = sg__profile(ctx, &d, &run->profile); /* --scales */
    sg__spatial_free(ctx, d.sp);
    d.sp = NULL;
    /* ACCESS STAGE: distances and catchments to --service types, the migrants' gap (access.c) */
    if (st == SG_OK && o->access) st = stage(ctx, pl, "access", W_ACCESS);
    t0 = sg__now();
    if (st == SG_OK && o->access) st = sg__access(ctx, &d, &run->res, &run->access);
    if (o->access) sg__stage_add(ctx, "access", sg__now() - t0);
    if (st == SG_OK && o->by_field) st = stage(ctx, pl, "regions", W_REGIONS);
    t0 = sg__now();
    if (st == SG_OK && o->by_field) st = sg__regions(ctx, &d, &run->regions);
    if (o->by_field) sg__stage_add(ctx, "regions", sg__now() - t0);
    for (size_t g = 0; mnames && g < k; g++) free(mnames[g]);
    free(mnames);
    free(m);
    free(index);
    free(x);
    free(t);
    free(geom);
    return st;
}

/* Issue 16 items 3 and 4: no output may be, or replace, an input or the
 * baseline. Files and folders are compared by device and inode, so another
 * spelling of a path (a symlink, "..", a hard link) is caught too. A .qml
 * that seggap writes beside an input of the same base name would style that
 * input in QGIS, so it counts as replacing it. */
static const char *const out_names[] = {"districts", "objective5", "objective10", "services"};
static const char *const out_files[] = {"summary.json", "report.html", "seggap.gpkg", "seggap.qgs",
                                        "compare.json", "fields.csv"};

static int same_file(const struct stat *a, const struct stat *b) {
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static sg_status refuse(sg_ctx *ctx, const char *input, const char *output, const char *why) {
    return sg__error(ctx, SG_ERR_USAGE, "E_OUT_IS_INPUT", (sg_where){input, NULL, -1, NULL, NULL},
                     "--out would %s: %s (choose another --out)", why, output);
}

static sg_status guard_one(sg_ctx *ctx, const char *out_dir, const struct stat *od, const char *in) {
    struct stat is, ds;
    if (!in || stat(in, &is) != 0) return SG_OK; /* not a file here (a connection string, a missing file) */
    if (S_ISDIR(is.st_mode) && same_file(&is, od))
        return refuse(ctx, in, out_dir, "write into an input folder");
    sg_status st = SG_OK;
    char *path = NULL;
    for (size_t k = 0; k < sizeof out_files / sizeof out_files[0] + 2 * 4 && st == SG_OK; k++) {
        path = k < 6 ? sg__asprintf("%s/%s", out_dir, out_files[k])
                     : sg__asprintf("%s/%s.%s", out_dir, out_names[(k - 6) / 2], (k - 6) % 2 ? "qml" : "geojson");
        if (!path) return sg__nomem(ctx);
        if (stat(path, &ds) == 0 && same_file(&ds, &is)) st = refuse(ctx, in, path, "replace this input");
        free(path);
    }
    if (st != SG_OK || !S_ISREG(is.st_mode)) return st;
    /* The input's folder is --out, and seggap writes a style named after it. */
    const char *slash = strrchr(in, '/');
    char *dir = slash ? sg__strndup(in, slash == in ? 1 : (size_t)(slash - in)) : sg__strdup(".");
    if (!dir) return sg__nomem(ctx);
    const char *base = slash ? slash + 1 : in, *dot = strrchr(base, '.');
    size_t stem = dot ? (size_t)(dot - base) : strlen(base);
    if (stat(dir, &ds) == 0 && same_file(&ds, od))
        for (size_t k = 0; k < 4 && st == SG_OK; k++)
            if (strlen(out_names[k]) == stem && strncmp(base, out_names[k], stem) == 0 && strcmp(dot ? dot : "", ".qml") != 0) {
                char *q = sg__asprintf("%s/%s.qml", out_dir, out_names[k]);
                st = q ? refuse(ctx, in, q, "put a QGIS style beside this input") : sg__nomem(ctx);
                free(q);
            }
    free(dir);
    return st;
}

static sg_status guard_inputs(sg_ctx *ctx, const sg_options *o) {
    struct stat od;
    if (!o->out_dir || stat(o->out_dir, &od) != 0) return SG_OK; /* a new folder holds no input */
    if (o->baseline) {
        struct stat bs;
        if (stat(o->baseline, &bs) == 0 && same_file(&bs, &od))
            return sg__error(ctx, SG_ERR_USAGE, "E_OUT_IS_BASELINE", (sg_where){o->out_dir, NULL, -1, NULL, NULL},
                             "--out is the baseline folder %s: the run would overwrite the run it is compared with "
                             "(choose another --out)", o->baseline);
    }
    sg_status st = guard_one(ctx, o->out_dir, &od, o->districts);
    for (size_t t = 0; t < o->ntables && st == SG_OK; t++) st = guard_one(ctx, o->out_dir, &od, o->tables[t].path);
    if (st == SG_OK) st = guard_one(ctx, o->out_dir, &od, o->housing);
    if (st == SG_OK) st = guard_one(ctx, o->out_dir, &od, o->population_points);
    if (st == SG_OK) st = guard_one(ctx, o->out_dir, &od, o->network);
    for (size_t i = 0; i < o->access_args.n && st == SG_OK; i++)
        if (strncmp(o->access_args.items[i], "--service=", 10) == 0)
            st = guard_one(ctx, o->out_dir, &od, o->access_args.items[i] + 10);
    return st;
}

sg_status sg_analyze(sg_ctx *ctx, const sg_options *opts, sg_run **out) {
    *out = NULL;
    GDALAllRegister();
    sg_run *run = calloc(1, sizeof *run);
    if (!run) return sg__nomem(ctx);
    run->opts = opts;
    run->out_dir = sg__strdup(opts->out_dir);
    int with_districts = (opts->layers & SG_LAYER_DISTRICTS) != 0; /* --layers */
    run->districts_path = with_districts ? sg__asprintf("%s/districts.geojson", opts->out_dir) : NULL;
    run->summary_path = sg__asprintf("%s/summary.json", opts->out_dir);
    sg_status st =
        (!run->out_dir || (with_districts && !run->districts_path) || !run->summary_path) ? sg__nomem(ctx) : SG_OK;
    plan pl = plan_make(opts);
    sg__progress_set(ctx, opts->progress_fn, opts->progress_user);
    if (st == SG_OK) st = guard_inputs(ctx, opts); /* before any computation */
    /* --out: created if missing, a writable folder, locked (E_OUT_BUSY), and
     * a private staging folder beside it that takes every file of the run
     * (seggap check lends its own, already open: it publishes) */
    if (st == SG_OK && !(run->outset = opts->outset)) {
        st = sg__outset_open(ctx, opts->out_dir, "--out", &run->own_outset);
        if (st == SG_OK) run->outset = &run->own_outset;
    }
    if (st == SG_OK) {
        run->dir = sg__strdup(run->outset->stage);
        run->districts_file = with_districts ? sg__asprintf("%s/districts.geojson", run->dir) : NULL;
        run->summary_file = sg__asprintf("%s/summary.json", run->dir);
        if (!run->dir || (with_districts && !run->districts_file) || !run->summary_file) st = sg__nomem(ctx);
    }
    /* --strict: every warning of the run, up to the write stage, is an error */
    size_t errors_before = sg__nerrors(ctx);
    sg__ctx_set_strict(ctx, opts->strict);
    if (st == SG_OK) st = stage(ctx, &pl, "read", W_READ);
    double t0 = sg__now();
    if (st == SG_OK) st = sg__read_city(ctx, opts, &run->rd, &run->city);
    sg__stage_add(ctx, "read", sg__now() - t0);
    if (st == SG_OK) st = stage(ctx, &pl, "project", W_PROJECT);
    t0 = sg__now();
    if (st == SG_OK) st = sg__crs_project(ctx, opts->work_crs, &run->city, &run->rd.crs);
    sg__stage_add(ctx, "project", sg__now() - t0);
    if (st == SG_OK) st = compute(ctx, run, &pl);
    if (st == SG_OK) st = sg__check_cancel(ctx);
    if (st == SG_OK) st = stage(ctx, &pl, "objectives", W_OBJECTIVES);
    t0 = sg__now();
    if (st == SG_OK) { /* objectives 5 and 10, after every column is in */
        sg_housing housing;
        memset(&housing, 0, sizeof housing);
        sg_gaps_in gin = {opts, &run->city, &run->res, run->access, &housing};
        st = sg__objective5(ctx, &gin, &run->gaps);
        if (st == SG_OK) st = sg__housing_read(ctx, opts, &run->rd, &run->city, &housing);
        if (st == SG_OK) st = sg__objective10(ctx, &gin, run->gaps);
        sg__housing_free(&housing); /* empty once objective 10 took it */
    }
    sg__stage_add(ctx, "objectives", sg__now() - t0);
    sg__ctx_set_strict(ctx, 0);
    if (st == SG_OK && opts->strict) st = sg__fail_if_errors(ctx, errors_before, SG_ERR_DATA, "--strict");
    if (st == SG_OK) st = stage(ctx, &pl, NULL, W_WRITE); /* write.c reports write.layers, ... */
    if (st == SG_OK) st = sg__write_run(ctx, run);
    if (st == SG_OK && opts->baseline) st = stage(ctx, &pl, "compare", W_COMPARE);
    if (st == SG_OK && opts->baseline) {
        sg_compare_options co;
        memset(&co, 0, sizeof co);
        co.baseline = opts->baseline;
        co.current = run->dir; /* the staging folder, named as --out */
        co.out_dir = run->dir;
        co.permutations = opts->permutations;
        co.seed = (unsigned long long)opts->seed;
        sg_compare *cmp = NULL;
        st = sg__compare_run_as(ctx, &co, opts->out_dir, &cmp);
        if (st == SG_OK) run->compare_text = sg__strdup(sg_compare_text(cmp));
        sg_compare_destroy(cmp);
    }
    if (st == SG_OK) st = sg__check_cancel(ctx);
    /* The whole set replaces --out's previous run in one rename */
    if (st == SG_OK && run->outset == &run->own_outset) st = sg__outset_publish(ctx, run->outset);
    release_inputs(ctx, run);
    run->opts = NULL;
    sg__progress_set(ctx, NULL, NULL);
    if (st == SG_OK && opts->progress_fn) /* complete: the answer cancels nothing now */
        (void)opts->progress_fn(1, "done", opts->progress_user);
    if (st != SG_OK) {
        sg_run_destroy(run);
        return st;
    }
    *out = run;
    return SG_OK;
}

int sg_run_index(const sg_run *run, const char *name, double *value) {
    const sg_global *g = sg__result_get(&run->res, name);
    if (!g) return 0;
    *value = g->value;
    return 1;
}

void sg_run_counts(const sg_run *run, size_t *read, size_t *used, size_t *excluded) {
    if (read) *read = run->used + run->excluded;
    if (used) *used = run->used;
    if (excluded) *excluded = run->excluded;
}
const char *sg_run_summary_json(const sg_run *run) { return run->summary_json; }
const char *sg_run_summary_text(const sg_run *run) { return run->summary_text; }
const char *sg_run_compare_text(const sg_run *run) { return run->compare_text; }
const char *sg_run_districts_path(const sg_run *run) { return run->districts_path; }
const char *sg_run_summary_path(const sg_run *run) { return run->summary_path; }

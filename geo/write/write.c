/* The write stage: every output of a run, in one order, recording what was
 * written in run->written (summary.json and the report list it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "write/write.h"

int sg__written_add(sg_written *w, const char *path) {
    char **nf = sg__reallocarray(w->files, w->nfiles + 1, sizeof *nf);
    if (!nf) return -1;
    w->files = nf;
    size_t n = w->from ? strlen(w->from) : 0;
    if (n && strncmp(path, w->from, n) == 0 && (path[n] == '/' || path[n] == '\0'))
        nf[w->nfiles] = sg__asprintf("%s%s", w->to, path + n);
    else nf[w->nfiles] = sg__strdup(path);
    if (!nf[w->nfiles]) return -1;
    w->nfiles++;
    return 0;
}

void sg__written_free(sg_written *w) {
    for (size_t f = 0; f < w->nfiles; f++) free(w->files[f]);
    free(w->files);
    free(w->format);
    memset(w, 0, sizeof *w);
}

/* The progress of a part of the write stage (sg_options_set_progress):
 * SG_ERR_CANCELLED when the caller's callback asks to stop. */
static sg_status note(sg_ctx *ctx, const char *name, double part) {
    return sg__progress_part(ctx, name, part) ? SG_OK : sg__check_cancel(ctx);
}

sg_status sg__write_run(sg_ctx *ctx, struct sg_run *run) {
    const sg_options *opts = run->opts;
    run->written.format = sg__strdup(opts->format ? opts->format : "geojson");
    if (!run->written.format) return sg__nomem(ctx);
    run->written.from = run->dir; /* files go into the staging folder, recorded under --out */
    run->written.to = run->out_dir;
    /* districts.geojson and the objective layers together, on up to 2 threads
     * (times write.lonlat and write.layers); then styles, project, report,
     * --format copies (write.format, write.qgis, write.report) */
    sg_status st = note(ctx, "write.layers", 0);
    if (st == SG_OK) st = sg__write_geojson_all(ctx, run, &run->written);
    /* Everything goes into the staging folder: a cancel or failure from here
     * on leaves --out as it was (sg__outset_close removes the folder). */
    if (st == SG_OK) st = note(ctx, "write.qgis", 0.6);
    if (st == SG_OK) st = sg__write_objectives(ctx, run, &run->written);
    if (st == SG_OK) st = note(ctx, "write.summary", 0.85);
    double t0 = sg__now();
    if (st == SG_OK) st = sg__write_summary(ctx, run, run->summary_file);
    sg__stage_add(ctx, "write.summary", sg__now() - t0);
    if (st == SG_OK && opts->out_pg) st = note(ctx, "write.postgis", 0.9);
    t0 = sg__now();
    if (st == SG_OK && opts->out_pg) st = sg__write_pg(ctx, run, opts->out_pg, opts->out_pg_prefix);
    if (opts->out_pg) sg__stage_add(ctx, "write.postgis", sg__now() - t0);
    return st;
}

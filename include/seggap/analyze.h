/* seggap: the analyze pipeline (read -> validate -> project -> compute -> write). */
#ifndef SEGGAP_ANALYZE_H
#define SEGGAP_ANALYZE_H

#include <stddef.h>
#include "seggap/context.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sg_options sg_options;
typedef struct sg_run sg_run;

/* `seggap analyze` as three library calls, in the shape of GDAL's
 * gdal_utils.h (GDALVectorTranslateOptionsNew / GDALVectorTranslate /
 * GDALVectorTranslateOptionsFree): sg_options_parse (or
 * sg_options_parse_config), sg_analyze, sg_options_free; sg_options_usage
 * is the text of `seggap analyze --help`. */

/* Parses the arguments of `seggap analyze` (argv[0] is the first option, not
 * the program name). On success returns SG_OK and *out owns new options (free
 * with sg_options_free()); they keep no pointer into argv. On a usage error
 * returns SG_ERR_USAGE with the message in ctx. `--help` sets *help to 1
 * (help may be NULL) and returns SG_OK with *out NULL. Runs on the caller's
 * thread. */
sg_status sg_options_parse(sg_ctx *ctx, int argc, char *const *argv, sg_options **out,
                           int *help);
/* sg_options_parse, plus `--config FILE`: the options of `seggap analyze`
 * read from a YAML file (keys are the option names without "--", with '_'
 * for '-'; relative paths are relative to the file), then argv, whose
 * options override the file's. Unknown keys are errors naming the line. */
sg_status sg_options_parse_config(sg_ctx *ctx, int argc, char *const *argv, sg_options **out, int *help);
/* Frees options. Accepts NULL. */
void sg_options_free(sg_options *opts);
/* Usage text for `seggap analyze` (static string). */
const char *sg_options_usage(void);
/* Output flags the CLI needs: --quiet, --json. */
int sg_options_quiet(const sg_options *opts);
int sg_options_json(const sg_options *opts);
/* 1 when --timings was given (print sg_ctx_stage() times). */
int sg_options_timings(const sg_options *opts);
/* When --progress was given the caller wants progress reports: 0 none,
 * SG_PROGRESS_PLAIN ('--progress' or '--progress plain': the CLI then sets a
 * callback that prints 'seggap: progress FRACTION STAGE') or SG_PROGRESS_JSON
 * ('--progress json': one JSON object per line, README "Progress"). */
int sg_options_progress(const sg_options *opts);

/* Sets the progress callback of sg_analyze (fn NULL: none, the default);
 * user is passed to every call. sg_analyze calls fn at every stage boundary,
 * with the fraction of the run done and the name of the stage that starts:
 *   read, project, indices, permutations (--permutations/--bootstrap; also
 *   every 2 % of the replicates), access (--service), regions (--by),
 *   objectives, write.layers (the GeoJSON layers), write.qgis (--format
 *   copies, QGIS styles and project, report.html), write.summary,
 *   write.postgis (--out-pg), compare (--baseline),
 * and last (1, "done") when everything is written (its return value is then
 * ignored). Fractions are in [0, 1] and never go back. fn runs on the thread
 * that called sg_analyze, except during permutations, where a worker thread
 * may call it; calls never overlap. Returning 0 cancels the run: sg_analyze
 * returns SG_ERR_CANCELLED, leaves --out as it was (every file goes into a
 * staging folder beside it, swapped in only at the end; PostGIS tables
 * already written stay) and the context stays cancelled as after
 * sg_ctx_cancel(). */
void sg_options_set_progress(sg_options *opts, sg_progress_fn fn, void *user);

/* Runs the whole pipeline. On success returns SG_OK and *out owns the run
 * (free with sg_run_destroy()); districts.geojson and summary.json are in the
 * output directory. On error returns the status, *out is NULL, the message is
 * in ctx (sg_ctx_last_error) and every error and warning is in the ctx
 * diagnostics; no output file is left half-written under its final name.
 *
 * Threads: sg_analyze starts worker threads and joins them before it
 * returns: reading (validation beside the reading, file digests), the
 * spatial weights and kernels, the aspatial families, permutations and
 * bootstrap, service access and the housing sites' distances, and the
 * writers (reprojection; two GeoJSON layers at a time). How many run at once
 * follows --threads (default: the online cores; 1: one at a time), except
 * that with --threads > 1 on cities of 20,000 districts or more the aspatial
 * families get a thread each, and that the permutation sampler builds its
 * tables on two threads. Use one ctx per concurrent call. */
sg_status sg_analyze(sg_ctx *ctx, const sg_options *opts, sg_run **out);
/* Frees a run. Accepts NULL. */
void sg_run_destroy(sg_run *run);

/* Value of a global index by its summary.json name ("dissimilarity",
 * "isolation", "exposure"). Returns 1 and sets *value when present, else 0. */
int sg_run_index(const sg_run *run, const char *name, double *value);
/* District counts: read, used in the indices, excluded. Pointers may be NULL. */
void sg_run_counts(const sg_run *run, size_t *read, size_t *used, size_t *excluded);
/* summary.json as text (borrowed, valid while the run lives). */
const char *sg_run_summary_json(const sg_run *run);
/* Human one-screen summary (borrowed, valid while the run lives). */
const char *sg_run_summary_text(const sg_run *run);
/* With --baseline: the comparison table (borrowed), else NULL. */
const char *sg_run_compare_text(const sg_run *run);
/* Paths of the files written (borrowed). */
const char *sg_run_districts_path(const sg_run *run);
const char *sg_run_summary_path(const sg_run *run);

#ifdef __cplusplus
}
#endif
#endif

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

/* Parses the arguments of `seggap analyze` (argv[0] is the first option, not
 * the program name). On success returns SG_OK and *out owns new options (free
 * with sg_options_free()). On a usage error returns SG_ERR_USAGE with the
 * message in ctx. `--help` sets *help to 1 (help may be NULL) and returns SG_OK
 * with *out NULL. */
sg_status sg_options_parse(sg_ctx *ctx, int argc, char *const *argv, sg_options **out,
                           int *help);
/* Frees options. Accepts NULL. */
void sg_options_free(sg_options *opts);
/* Usage text for `seggap analyze` (static string). */
const char *sg_options_usage(void);
/* Output flags the CLI needs: --quiet, --json. */
int sg_options_quiet(const sg_options *opts);
int sg_options_json(const sg_options *opts);
/* 1 when --timings was given (print sg_ctx_stage() times). */
int sg_options_timings(const sg_options *opts);

/* Runs the whole pipeline. On success returns SG_OK and *out owns the run
 * (free with sg_run_destroy()); districts.geojson and summary.json are in the
 * output directory. On error returns the status, *out is NULL, the message is
 * in ctx (sg_ctx_last_error) and every error and warning is in the ctx
 * diagnostics; no output file is left half-written under its final name. */
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

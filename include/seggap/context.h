/* seggap: the context handle. One per thread. */
#ifndef SEGGAP_CONTEXT_H
#define SEGGAP_CONTEXT_H

#include <stddef.h>
#include "seggap/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sg_ctx sg_ctx;

typedef enum sg_severity { SG_SEV_WARNING = 1, SG_SEV_ERROR = 2 } sg_severity;

/* One diagnostic: an error or a warning found while reading or computing.
 * Strings are owned by the context and valid until sg_ctx_destroy() or
 * sg_ctx_clear(). Empty string when a part does not apply. */
typedef struct sg_diag {
    sg_severity severity;
    const char *code;     /* stable machine code, e.g. "E_GROUP_GT_TOTAL" */
    const char *file;     /* input file or data source */
    const char *layer;    /* layer name */
    long long fid;        /* OGR feature id, or -1 */
    const char *id;       /* district id, when known */
    const char *field;    /* field name, when it applies */
    const char *message;  /* full message: "file: layer: fid N (id X): field: reason" */
    const char *hint;     /* what to do about it, said once for diagnostics of its kind, or "" */
} sg_diag;

/* Creates a context: the GEOS handle, the PROJ context, the error state and
 * the list of diagnostics. Returns NULL only when out of memory.
 * Not thread-safe: use one context per thread. Free with sg_ctx_destroy().
 *
 * Threads: the library starts worker threads only inside sg_analyze() and
 * sg_check_run() (which reads the release and runs sg_analyze), as many as
 * --threads allows (see sg_analyze in analyze.h), and joins them all before
 * the call returns: no thread outlives a call. Every other call (the option
 * parsers, sg_compare_run, the accessors) runs on the caller's thread only.
 * Every destroy/free function of the library accepts NULL. */
sg_ctx *sg_ctx_create(void);
/* Frees the context and everything it owns. Accepts NULL. */
void sg_ctx_destroy(sg_ctx *ctx);

/* The message of the last error (never NULL; "" when none). */
const char *sg_ctx_last_error(const sg_ctx *ctx);
/* The status of the last error (SG_OK when none). */
sg_status sg_ctx_last_status(const sg_ctx *ctx);

/* Diagnostics collected so far, errors and warnings in the order found. */
size_t sg_ctx_diag_count(const sg_ctx *ctx);
/* The i-th diagnostic (borrowed), or NULL when i is out of range. */
const sg_diag *sg_ctx_diag(const sg_ctx *ctx, size_t i);
/* Number of diagnostics of one severity. */
size_t sg_ctx_count(const sg_ctx *ctx, sg_severity sev);
/* The diagnostics as text, grouped: one line per diagnostic, "error: MESSAGE
 * [CODE]" or "warning: ...", in the order found; of the diagnostics of one
 * kind (severity, code, file and field) the first per_group (0: all) are
 * shown, then one line "... and N more like it [CODE]", then the kind's hint
 * ("hint: ...") once. what: SG_SEV_ERROR, SG_SEV_WARNING or both or'ed.
 * max_lines (0: no limit) caps the lines of warnings; "... and N more
 * warnings" then ends the text. Caller frees; NULL when out of memory. */
char *sg_ctx_diags_text(const sg_ctx *ctx, unsigned what, size_t per_group, size_t max_lines);
/* Diagnostic callback: called once for each diagnostic as it is recorded,
 * in the order of sg_ctx_diag (so a front end can show a warning when it
 * arises, not after the run). d is borrowed for the call; its hint may be
 * set only later (sg_ctx_diag has it once the call returns). It runs on the
 * thread that called the library (sg_analyze's workers' diagnostics reach
 * it when their part joins); calls never overlap. Diagnostics the library
 * records and withdraws again (a region's own errors, summed up in one
 * W_REGION_UNDEFINED) are never passed. fn NULL: none (the default). */
typedef void (*sg_diag_fn)(const sg_diag *d, void *user);
void sg_ctx_set_diag_fn(sg_ctx *ctx, sg_diag_fn fn, void *user);

/* Forgets the last error and all diagnostics. */
void sg_ctx_clear(sg_ctx *ctx);

/* Asks the call running on ctx (sg_analyze) to stop at its next safe point:
 * it then returns SG_ERR_CANCELLED, having removed its temporary files and
 * written nothing under a final name. Once the map layers are in place the
 * run finishes its set of files instead and returns SG_OK. Only stores a
 * flag, so it may be called from a signal handler or another thread. The
 * flag stays set until sg_ctx_uncancel(). Accepts NULL. */
void sg_ctx_cancel(sg_ctx *ctx);
void sg_ctx_uncancel(sg_ctx *ctx);

/* Progress callback, in the shape of GDAL's GDALProgressFunc: fraction is
 * the part of the run done, in [0, 1] and never smaller than the previous
 * call's; message names the stage that starts or runs ("read", "indices",
 * "permutations", "write.layers", ... "done"; see sg_options_set_progress),
 * borrowed for the call only. Return 1 to go on, 0 to cancel the run: it
 * then stops as after sg_ctx_cancel() (whose flag it sets) and returns
 * SG_ERR_CANCELLED. */
typedef int (*sg_progress_fn)(double fraction, const char *message, void *user);
/* What --progress asked for (sg_options_progress, sg_check_options.progress):
 * 0 none, the 'seggap: progress FRACTION STAGE' lines, or JSON lines. */
enum { SG_PROGRESS_PLAIN = 1, SG_PROGRESS_JSON = 2 };

/* Wall time spent in each pipeline stage of the calls made on ctx, in the
 * order the stages first ran (a stage that runs twice adds up). Names are
 * stable, dot-separated, e.g. "read", "project", "indices.aspatial",
 * "spatial.adjacency", "permutations", "access.nearest", "write.districts".
 * Cleared by sg_ctx_clear(). */
size_t sg_ctx_stage_count(const sg_ctx *ctx);
/* The i-th stage: its name (borrowed) and seconds; 0 when i is out of range. */
int sg_ctx_stage(const sg_ctx *ctx, size_t i, const char **name, double *seconds);

#ifdef __cplusplus
}
#endif
#endif

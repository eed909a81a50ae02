/* seggap: automated checks of a new census or register release
 * (`seggap check`). */
#ifndef SEGGAP_CHECK_H
#define SEGGAP_CHECK_H

#include <stddef.h>
#include "seggap/analyze.h"
#include "seggap/context.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sg_check sg_check;

/* `seggap check` as three library calls, in the shape of GDAL's
 * gdal_utils.h: sg_check_options_parse (argv -> options), sg_check_run,
 * sg_check_options_free; sg_check_usage is the text of --help. The options
 * may also be filled in by hand (unused members 0). */
typedef struct sg_check_options {
    const char *config;   /* the YAML config (required) */
    const char *baseline; /* baseline run directory; NULL: the config's check: baseline */
    int update_baseline;  /* copy the run into the baseline when the check passed */
    int argc;             /* options of `seggap analyze` that override the config's */
    char *const *argv;
    int json, quiet;      /* --json, --quiet: what the caller prints (sg_check_run ignores them) */
    int progress;         /* --progress: the caller wants progress reports (and sets progress_fn) */
    /* Progress callback of the whole check (NULL: none): stages "validate",
     * then those of sg_analyze (see sg_options_set_progress; their fractions
     * scaled into the analysis' share), "compare", "write", and (1, "done").
     * Returning 0 cancels the check: SG_ERR_CANCELLED, no check.json or
     * check.xml, and none of the analysis' files left in place. */
    sg_progress_fn progress_fn;
    void *progress_user;
} sg_check_options;

/* Parses the arguments of `seggap check` (argv[0] is the first argument
 * after the command): --config FILE [--baseline DIR] [--update-baseline]
 * [--json] [--quiet] [--progress] [--help]; every other argument is kept, in
 * order, in argv/argc for sg_check_run, which reads them as options of
 * `seggap analyze` overriding the config's (and reports their errors). On
 * success returns SG_OK and *out owns new options (free with
 * sg_check_options_free(); the strings are copies, argv may go). On a usage
 * error returns SG_ERR_USAGE with the message in ctx (show the usage text
 * after it). `--help` or `-h` sets *help to 1 (help may be NULL) and returns
 * SG_OK with *out NULL. */
sg_status sg_check_options_parse(sg_ctx *ctx, int argc, char *const *argv, sg_check_options **out, int *help);
/* Frees options made by sg_check_options_parse (never a struct filled in by
 * hand). Accepts NULL. */
void sg_check_options_free(sg_check_options *opts);
/* Usage text of `seggap check` (static string). */
const char *sg_check_usage(void);

/* Verdicts, which are also the CLI's exit codes. */
enum { SG_CHECK_PASS = 0, SG_CHECK_BREACH = 1, SG_CHECK_INVALID = 3 };

/* Validates the release described by the config (before any computation:
 * fields, numbers, ids, group <= total, geometry, CRS and districts against
 * the baseline, per-district total changes), then runs the analysis,
 * compares it with the baseline and evaluates the thresholds. Writes
 * check.json and check.xml (JUnit) to the output directory, also when the
 * data is invalid. Returns SG_OK when the check ran, whatever its verdict
 * (sg_check_verdict); a usage or config error, an output that cannot be
 * written or an internal error is a status, with the message in ctx.
 * Threads: the validation's reading and sg_analyze start worker threads
 * (see sg_analyze), all joined before sg_check_run returns. */
sg_status sg_check_run(sg_ctx *ctx, const sg_check_options *opts, sg_check **out);
/* Frees a check. Accepts NULL. */
void sg_check_destroy(sg_check *c);
/* SG_CHECK_PASS, SG_CHECK_BREACH or SG_CHECK_INVALID. */
int sg_check_verdict(const sg_check *c);
/* Exit code of `seggap check`: the verdict when st is SG_OK, else 2 usage or
 * config error, 4 output not written, 5 internal error. c may be NULL. */
int sg_check_exit_code(const sg_check *c, sg_status st);
/* check.json and the readable summary (borrowed). */
const char *sg_check_json(const sg_check *c);
const char *sg_check_text(const sg_check *c);
/* Paths of check.json and check.xml (borrowed). */
const char *sg_check_json_path(const sg_check *c);
const char *sg_check_junit_path(const sg_check *c);
/* Findings of the validation, in order: code ("E_MISSING_DISTRICT"),
 * severity ("error", "warning", "info"), district id ("" when none) and
 * message. Returns 0 when i is out of range. Any pointer may be NULL. */
size_t sg_check_finding_count(const sg_check *c);
int sg_check_finding(const sg_check *c, size_t i, const char **code, const char **severity, const char **id,
                     const char **message);
/* Result of a threshold rule by name ("dissimilarity.max_increase"):
 * "pass", "fail" or "skipped", or NULL when there is no such rule (c or name
 * NULL included). */
const char *sg_check_threshold_status(const sg_check *c, const char *name);

#ifdef __cplusplus
}
#endif
#endif

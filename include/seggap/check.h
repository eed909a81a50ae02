/* seggap: automated checks of a new census or register release
 * (`seggap check`), and options from a config file. */
#ifndef SEGGAP_CHECK_H
#define SEGGAP_CHECK_H

#include <stddef.h>
#include "seggap/analyze.h"
#include "seggap/context.h"

#ifdef __cplusplus
extern "C" {
#endif

/* sg_options_parse, plus `--config FILE`: the options of `seggap analyze`
 * read from a YAML file (keys are the option names without "--", with '_'
 * for '-'; relative paths are relative to the file), then argv, whose
 * options override the file's. Unknown keys are errors naming the line. */
sg_status sg_options_parse_config(sg_ctx *ctx, int argc, char *const *argv, sg_options **out, int *help);

typedef struct sg_check sg_check;

typedef struct sg_check_options {
    const char *config;   /* the YAML config (required) */
    const char *baseline; /* baseline run directory; NULL: the config's check: baseline */
    int update_baseline;  /* copy the run into the baseline when the check passed */
    int argc;             /* options of `seggap analyze` that override the config's */
    char *const *argv;
} sg_check_options;

/* Verdicts, which are also the CLI's exit codes. */
enum { SG_CHECK_PASS = 0, SG_CHECK_BREACH = 1, SG_CHECK_INVALID = 3 };

/* Validates the release described by the config (before any computation:
 * fields, numbers, ids, group <= total, geometry, CRS and districts against
 * the baseline, per-district total changes), then runs the analysis,
 * compares it with the baseline and evaluates the thresholds. Writes
 * check.json and check.xml (JUnit) to the output directory, also when the
 * data is invalid. Returns SG_OK when the check ran, whatever its verdict
 * (sg_check_verdict); a usage or config error, an output that cannot be
 * written or an internal error is a status, with the message in ctx. */
sg_status sg_check_run(sg_ctx *ctx, const sg_check_options *opts, sg_check **out);
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
 * "pass", "fail" or "skipped", or NULL when there is no such rule. */
const char *sg_check_threshold_status(const sg_check *c, const char *name);

#ifdef __cplusplus
}
#endif
#endif

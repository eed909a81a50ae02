/* Private: the YAML config file of `seggap analyze --config` and `seggap
 * check` (config.c), shared by check.c and junit.c. */
#ifndef SEGGAP_CONFIG_H
#define SEGGAP_CONFIG_H

#include "internal.h"

/* Limits on one metric: config key check.thresholds.METRIC.RULE. */
typedef struct sg_threshold {
    char *metric;        /* "dissimilarity" (an index) or a path in summary.json: "access.library.gap_ratio" */
    int line;            /* where it starts in the config */
    double max, min;     /* on the new value; NaN when not set */
    double max_increase, max_decrease; /* on new - baseline; NaN when not set */
    int significant;     /* change limits breached only when the change's p <= alpha */
    double alpha;        /* NaN: the check's alpha */
} sg_threshold;

typedef struct sg_config {
    char *path, *dir;    /* the file and the directory its relative paths start from */
    char **argv;         /* analyze options from the file, as command-line arguments */
    int argc;
    /* the check: section */
    char *baseline;      /* resolved against dir; NULL when not given */
    double max_total_change; /* per-district |new - old| / old that is flagged (default 0.5) */
    double alpha;        /* significance level of change thresholds (default 0.05) */
    int permutations;    /* two-value permutation test of the changes (default 0) */
    int fail_on_warnings;
    sg_strlist expected_new, expected_missing; /* district ids allowed to appear / vanish */
    sg_threshold *thresholds;
    size_t nthresholds;
} sg_config;

/* Reads a YAML config. Unknown keys, wrong types and duplicate keys are
 * SG_ERR_USAGE errors naming the file, the line and the key. */
sg_status sg__config_load(sg_ctx *ctx, const char *path, sg_config *cfg);
void sg__config_free(sg_config *cfg);

/* A finding of `seggap check` (check.c). */
typedef enum sg_finding_sev { SG_FIND_INFO = 0, SG_FIND_WARNING, SG_FIND_ERROR } sg_finding_sev;

/* JUnit XML of a check (junit.c): one <testcase> per validation rule and per
 * threshold rule. Written from check.json's object tree. */
sg_status sg__junit_write(sg_ctx *ctx, void *check_json, const char *path);

#endif

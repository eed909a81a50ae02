/* geo/check/: `seggap check`: validate a new release, recompute it with
 * analyze, compare it with the baseline and judge the thresholds.
 *
 *   options.c  argv -> sg_check_options, the usage text
 *   rules.c    the validation rules, the baseline, the thresholds
 *   changes.c  the release against the baseline, district by district
 *              (ids, renames, total, group and share changes); metric names
 *   check.c    the run: validate, analyze, compare, judge, write; the verdict
 *   junit.c    check.xml (JUnit) */
#ifndef SEGGAP_GEO_CHECK_H
#define SEGGAP_GEO_CHECK_H

#include <math.h>
#include <stdio.h>

#include <json-c/json.h>

#include "analyze/analyze.h"

/* A finding of `seggap check` (rules.c). */
typedef enum sg_finding_sev { SG_FIND_INFO = 0, SG_FIND_WARNING, SG_FIND_ERROR } sg_finding_sev;

/* A check: check.json's tree, its texts and the verdict (check.c runs it,
 * rules.c adds the findings and the threshold results). */
struct sg_check {
    json_object *root;     /* check.json */
    json_object *findings; /* borrowed from root */
    json_object *thresholds;
    char *json, *text, *json_path, *junit_path;
    int verdict;
};

/* JSON values for check.json: NULL (JSON null) for a NULL string or a
 * value that is not finite. */
static inline json_object *sg__check_jstr(const char *s) { return s ? json_object_new_string(s) : NULL; }
static inline json_object *sg__check_jnum(double v) { return isfinite(v) ? json_object_new_double(v) : NULL; }

/* ---- the baseline run (rules.c) ---- */
typedef struct sg_check_baseline {
    char *dir;
    json_object *summary;
    int has_layer;
    size_t n;
    char **id;
    double *total; /* NaN when null */
    double *group; /* NaN when null; NULL when the layer has no group field */
    sg_strmap *index;
} sg_check_baseline;
/* Reads DIR/summary.json and, when present, DIR/districts.geojson's ids and
 * totals. A file that is no seggap output is SG_ERR_USAGE (E_BASELINE). */
sg_status sg__check_baseline_load(sg_ctx *ctx, const char *dir, sg_check_baseline *b);
void sg__check_baseline_free(sg_check_baseline *b);

/* ---- the rules (rules.c) ---- */
typedef struct sg_check_state {
    sg_check *c;
    const sg_config *cfg;
    sg_check_baseline *b;
    json_object *population;
    int read_rows;    /* the features were read (the row-level rules ran) */
    int crs_compared;
    int ids_compared;
    int analyzed;
} sg_check_state;

/* Adds a finding to c->findings (id may be NULL) and returns it. */
json_object *sg__check_add_finding(sg_check *c, const char *code, sg_finding_sev sev, const char *rule, const char *id,
                                   const char *message);
/* The release's districts against the baseline's (changes.c): missing and
 * new ids, ids renamed (a new id with the geometry of a missing one:
 * W_ID_RENAMED), per-district W_TOTAL_JUMP, W_GROUP_JUMP and W_SHARE_JUMP,
 * the city total (check.json -> population). city_ids: id -> index. */
void sg__check_compare_districts(sg_ctx *ctx, sg_check_state *S, const sg_reader *rd, const sg_city *city,
                                 sg_strmap *city_ids);
/* The index name closest to metric (from the indices seggap computes and
 * those of summary, which may be NULL), or NULL when metric is one or none
 * is close. */
const char *sg__check_metric_suggest(json_object *summary, const char *metric);
/* The thresholds' metric names, before anything runs: an index name that
 * is close to a known one, or a dotted path whose first part summary.json
 * never has, is an E_CONFIG error with "did you mean". */
sg_status sg__check_metrics(sg_ctx *ctx, const sg_config *cfg, json_object *baseline_summary);

/* 1 for a status that the data explains (a finding), 0 for a usage, output
 * or internal problem (which stops the check). */
int sg__check_data_status(sg_status st);
/* The string at root.a.b.c (b, c may be NULL), or NULL. */
const char *sg__check_json_str(json_object *root, const char *a, const char *b, const char *c);
/* Diagnostics [from, end) of ctx become findings (only the errors when
 * errors_only); fallback is the rule of a code no rule claims. city and
 * city_ids (may be NULL) add the values of a district's count errors. */
void sg__check_findings_from_diags(sg_check *c, sg_ctx *ctx, size_t from, const char *fallback,
                                   const sg_city *city, sg_strmap *city_ids, int errors_only);
/* 1. Validation: reads the release like sg_analyze does and compares it
 * with the baseline, as findings. Returns an error status only for what is
 * no data problem (out of memory, internal, cancelled). */
sg_status sg__check_validate(sg_ctx *ctx, sg_check_state *S, const sg_options *opts);
/* 3. Thresholds of the config on summary (NULL or skip_reason: skipped) and
 * their changes from the baseline (p-values from cmp, may be NULL). */
void sg__check_evaluate(sg_check_state *S, json_object *summary, const sg_compare *cmp, const char *skip_reason);
/* check.json -> validation -> rules: each rule's status, error and warning
 * counts; *nerrors gets the errors of every rule. first: no baseline yet. */
json_object *sg__check_rules_json(const sg_check_state *S, int first, size_t *nerrors);

/* A finding's message on m, after "district 'ID': " when it has a district
 * the message does not name (check.c; the text summary and JUnit). */
void sg__check_finding_text(FILE *m, json_object *finding);

/* JUnit XML of a check (junit.c): one <testcase> per validation rule and per
 * threshold rule. Written from check.json's object tree. */
sg_status sg__junit_write(sg_ctx *ctx, void *check_json, const char *path);

#endif

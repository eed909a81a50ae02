/* geo/analyze/: the analyze command: options from argv or a YAML config,
 * and the pipeline that runs every stage in flow order (sg_analyze).
 *
 *   options.c  the option table, argv -> sg_options, checks, usage text
 *   config.c   YAML config files (analyze --config and seggap check)
 *   analyze.c  read -> project -> indices -> access -> objectives -> write */
#ifndef SEGGAP_GEO_ANALYZE_H
#define SEGGAP_GEO_ANALYZE_H

#include "compare/compare.h"

/* One entry of the option table (options.c). New options are one line there
 * plus a member of struct sg_options. */
/* SG_OPT_MULTI: repeatable, each use one item of a list (no comma split). */
typedef enum sg_opt_kind { SG_OPT_STR, SG_OPT_FLAG, SG_OPT_DOUBLE, SG_OPT_INT, SG_OPT_LIST, SG_OPT_MULTI } sg_opt_kind;
/* Kind of an option by its name ("--total"); 0 when there is no such option. */
int sg__option_kind(const char *name, sg_opt_kind *kind);
/* The option closest to a mistyped one ("--totl" -> "--total", "-total" ->
 * "--total"), or NULL. */
const char *sg__option_suggest(const char *name);
/* The mode a word after --progress names: SG_PROGRESS_PLAIN ("plain"), SG_PROGRESS_JSON ("json"), else -1. */
int sg__progress_mode(const char *word);
/* --housing-indicator and --housing-margin, checked into o->hind, with the
 * margin's default; an indicator named overcrowding becomes the overcrowding
 * input (options_housing.c). */
sg_status sg__options_housing(sg_ctx *ctx, sg_options *o);
void sg__options_housing_free(sg_options *o);
/* Appends a copy of val to l (an SG_OPT_MULTI option); an empty val is E_USAGE. */
sg_status sg__strlist_push(sg_ctx *ctx, sg_strlist *l, const char *opt, const char *val);
/* --snap-tolerance and --max-vertices, checked, with their defaults (options_geometry.c). */
sg_status sg__options_geometry(sg_ctx *ctx, sg_options *o);
/* --p-adjust and the --table-join tables, checked (options_join.c). */
sg_status sg__options_join(sg_ctx *ctx, sg_options *o);
/* --scales (parsed into o->scales), --scale-kernel and --scale-unrounded, checked (options_profile.c). */
sg_status sg__options_profile(sg_ctx *ctx, sg_options *o);
/* sg_options_parse where argv[0, nbase) come from a config file (config.c)
 * and the rest from the command line: a command-line option replaces the
 * config's value, and a --table there replaces the config's tables. */
sg_status sg__options_parse_layered(sg_ctx *ctx, int argc, char *const *argv, int nbase, sg_options **out,
                                    int *help);


/* Limits on one metric: config key check.thresholds.METRIC.RULE. */
typedef struct sg_threshold {
    char *metric;        /* "dissimilarity" (an index) or a path in summary.json: "access.library.gap_ratio" */
    int line;            /* where it starts in the config */
    double max, min;     /* on the new value; NaN when not set */
    double max_increase, max_decrease; /* on new - baseline; NaN when not set */
    double max_increase_rel, max_decrease_rel; /* on (new - baseline) / |baseline|; NaN when not set */
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
    double max_group_change; /* per-district group |new - old| / old that is flagged (default 0.5) */
    double max_share_change; /* per-district |share new - share old| that is flagged (default 0.2) */
    double min_residents;    /* group and share jumps: the smallest district (and group change) judged (50) */
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

#endif

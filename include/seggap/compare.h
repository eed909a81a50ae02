/* seggap: change over time between two runs (`seggap compare`). */
#ifndef SEGGAP_COMPARE_H
#define SEGGAP_COMPARE_H

#include "seggap/context.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sg_compare sg_compare;

/* The null of the two-value test (--null). */
enum {
    SG_COMPARE_NULL_PERSON = 0,      /* residents pooled per matched district, period labels reshuffled */
    SG_COMPARE_NULL_RANDOM_LABEL = 1 /* districts of both periods pooled and relabelled: ids need not match */
};

/* `seggap compare` as three library calls, in the shape of GDAL's
 * gdal_utils.h: sg_compare_options_parse (argv -> options), sg_compare_run,
 * sg_compare_options_free; sg_compare_usage is the text of --help. The
 * options may also be filled in by hand (unused members 0). */
typedef struct sg_compare_options {
    const char *baseline; /* run directory (summary.json + districts.geojson) or a summary.json */
    const char *current;  /* the newer run, same forms */
    const char *out_dir;  /* where compare.json goes; NULL: the current run's directory */
    int permutations;     /* two-value permutation test of each difference (0: none) */
    unsigned long long seed;
    int null_model;       /* SG_COMPARE_NULL_* of the test (0: person) */
    int json, quiet;      /* --json, --quiet: what the caller prints (sg_compare_run ignores them) */
} sg_compare_options;

/* Parses the arguments of `seggap compare` (argv[0] is the first argument
 * after the command): BASELINE CURRENT [--out DIR] [--permutations N]
 * [--seed S] [--null person|random_label] [--json] [--quiet] [--help], in
 * any order. On success returns
 * SG_OK and *out owns new options (free with sg_compare_options_free(); the
 * strings are copies, argv may go). On a usage error returns SG_ERR_USAGE
 * with the message in ctx: diagnostic code E_USAGE (show the usage text
 * after it) or E_OPTION_VALUE (a value that is no number: the message says
 * all). `--help` sets *help to 1 (help may be NULL) and returns SG_OK with
 * *out NULL. Defaults: no permutations, seed 12345. */
sg_status sg_compare_options_parse(sg_ctx *ctx, int argc, char *const *argv, sg_compare_options **out,
                                   int *help);
/* Frees options made by sg_compare_options_parse (never a struct filled in
 * by hand). Accepts NULL. */
void sg_compare_options_free(sg_compare_options *opts);
/* Usage text of `seggap compare` (static string). */
const char *sg_compare_usage(void);

/* Compares two runs: for every index in both summaries, baseline, new value,
 * difference and (with permutations and both layers present) a p-value for
 * the difference; districts matched by id, those that appear or vanish
 * listed (no id in common: E_NO_COMMON_DISTRICT, unless the null is
 * random_label, which matches no ids); the change in dissimilarity and
 * entropy of the matched districts decomposed (Shapley, Elbers 2021) into
 * group sizes, district sizes and redistribution. Writes
 * compare.json atomically. On success *out owns the result (free with
 * sg_compare_destroy()). Runs on the caller's thread (starts no thread). */
sg_status sg_compare_run(sg_ctx *ctx, const sg_compare_options *opts, sg_compare **out);
/* Frees a comparison. Accepts NULL. */
void sg_compare_destroy(sg_compare *c);
/* compare.json as text, and a table for the terminal (both borrowed). */
const char *sg_compare_json(const sg_compare *c);
const char *sg_compare_text(const sg_compare *c);
/* Difference new - baseline of an index and its p-value (NaN when not
 * tested). Returns 0 when the index is not in both runs. */
int sg_compare_index(const sg_compare *c, const char *name, double *diff, double *p_value);
/* Shapley parts of the change of "dissimilarity" or "entropy":
 * group sizes, district sizes, redistribution. Returns 0 when not computed. */
int sg_compare_decomposition(const sg_compare *c, const char *name, double parts[3]);

#ifdef __cplusplus
}
#endif
#endif

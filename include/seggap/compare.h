/* seggap: change over time between two runs (`seggap compare`). */
#ifndef SEGGAP_COMPARE_H
#define SEGGAP_COMPARE_H

#include "seggap/context.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sg_compare sg_compare;

typedef struct sg_compare_options {
    const char *baseline; /* run directory (summary.json + districts.geojson) or a summary.json */
    const char *current;  /* the newer run, same forms */
    const char *out_dir;  /* where compare.json goes; NULL: the current run's directory */
    int permutations;     /* two-value permutation test of each difference (0: none) */
    unsigned long long seed;
} sg_compare_options;

/* Compares two runs: for every index in both summaries, baseline, new value,
 * difference and (with permutations and both layers present) a p-value for
 * the difference; districts matched by id, those that appear or vanish
 * listed; the change in dissimilarity and entropy decomposed (Shapley, Elbers
 * 2021) into group sizes, district sizes and redistribution. Writes
 * compare.json atomically. On success *out owns the result (free with
 * sg_compare_destroy()). */
sg_status sg_compare_run(sg_ctx *ctx, const sg_compare_options *opts, sg_compare **out);
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

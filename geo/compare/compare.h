/* geo/compare/: `seggap compare`, the change of every index between two runs
 * (sg_compare_* in include/seggap/compare.h); analyze --baseline and check
 * call it.
 *
 *   options.c   argv -> sg_compare_options, the usage text
 *   compare.c   reading two runs, the changes, the decompositions
 *   twovalue.c  the two-value tests' nulls (person, random_label) */
#ifndef SEGGAP_GEO_COMPARE_H
#define SEGGAP_GEO_COMPARE_H

#include "write/write.h"

/* sg_compare_run, the current run's files named as in current_as (the folder
 * a staging folder will become), NULL: as read. */
sg_status sg__compare_run_as(sg_ctx *ctx, const sg_compare_options *o, const char *current_as, sg_compare **out);


/* The aspatial families (those without geometry) on counts (x, t) of n
 * districts into res (zeroed here; the caller frees it). */
sg_status sg__compare_aspatial(sg_ctx *ctx, const double *x, const double *t, size_t n, sg_result *res);
/* reps replicates of the change (period 1 - period 0) of every global of
 * obs under null `model` (SG_COMPARE_NULL_*) into null[r * obs->ng + j]
 * (NaN where undefined). Period p has n[p] districts (x[p], t[p]); for the
 * person null n[0] == n[1] and district i is the same in both. */
sg_status sg__compare_null(sg_ctx *ctx, int model, const double *const x[2], const double *const t[2],
                           const size_t n[2], const sg_result *obs, size_t reps, uint64_t seed, double *null);

#endif

/* geo/indices/: the segregation indices. Each family computes its globals
 * and per-district columns from sg_data into a sg_result; the registry in
 * families.c runs them in order (aspatial ones on several threads).
 *
 *   families.c            the registry, --indices names, running the families
 *   index_basic.c         D, xPx, xPy and their columns (always computed)
 *   index_evenness.c, index_exposure.c, index_multigroup.c   aspatial families
 *   index_concentration.c, index_centralization.c, index_clustering.c,
 *   index_spatial_evenness.c, index_distortion.c              spatial families
 *   index_local_spatial.c Gi*, local Moran (conditional permutations)
 *   lisa_perm.c           local Moran's permutations, shared by all districts
 *   spatial_common.c      helpers the spatial families share
 *   permute.c, psampler.c the permutation null and the bootstrap
 *   rng.c, sort.c         random streams; O(n) sorts of the districts by share
 *   regions.c             every aspatial index within each --by region
 *
 * A new index: a function in the index_*.c of its family (or a new family:
 * a file, a line in sg__families[] and its name in family_names). */
#ifndef SEGGAP_GEO_INDICES_H
#define SEGGAP_GEO_INDICES_H

#include "spatial/spatial.h"

/* ---- random numbers (rng.c) ---- */
typedef struct sg_rng { uint64_t s[4]; } sg_rng;
/* Seeds stream `stream` of `seed`: streams are independent of each other. */
void sg__rng_seed(sg_rng *r, uint64_t seed, uint64_t stream);
uint64_t sg__rng_next(sg_rng *r);
/* The same step inlined (xoshiro256**), for hot loops; sg__rng_next calls it. */
static inline uint64_t sg__rng_next_inline(sg_rng *r) {
    uint64_t *q = r->s;
    uint64_t result = ((q[1] * 5) << 7 | (q[1] * 5) >> 57) * 9, t = q[1] << 17;
    q[2] ^= q[0];
    q[3] ^= q[1];
    q[1] ^= q[2];
    q[0] ^= q[3];
    q[2] ^= t;
    q[3] = q[3] << 45 | q[3] >> 19;
    return result;
}
double sg__rng_uniform(sg_rng *r);          /* [0, 1) */
uint64_t sg__rng_below(sg_rng *r, uint64_t n); /* [0, n) */
/* Marked items among `draws` drawn without replacement from `total` items of
 * which `marked` are marked (all non-negative integers as doubles). */
double sg__rng_hypergeometric(sg_rng *r, double total, double marked, double draws);

/* ---- sorting by share (sort.c) ---- */
/* A share and two weights; sg__sort_prec sorts by p ascending in O(n)
 * (radix) and returns 0, or -1 when out of memory. */
typedef struct sg_prec { double p, w1, w2; } sg_prec;
/* (num/den, den, num) for every i, sorted by the ratio like sg__sort_prec,
 * in a new array (caller frees); NULL when out of memory. The two-group
 * districts by share: sg__prec_by_ratio(x, t, n). */
sg_prec *sg__prec_by_ratio(const double *num, const double *den, size_t n);
int sg__sort_prec(sg_prec *a, size_t n);
/* Sorts a[0..n) on bits first_bit..63 (LSD radix, 11-bit digits, stable; a
 * digit every key shares is skipped), using tmp[0..n); returns a or tmp,
 * whichever holds the result. */
uint64_t *sg__radix_sort_u64(uint64_t *a, uint64_t *tmp, size_t n, int first_bit);

/* An index family: computes globals and columns into res. Columns are
 * indexed by city index (d->index[i]). */
typedef sg_status (*sg_family_fn)(sg_ctx *ctx, const sg_data *d, sg_result *res);
/* Family flags. Default 0: re-run under --permutations and --bootstrap. */
enum {
    SG_FAM_SPATIAL = 1u << 0,    /* uses geometry: not re-run on bootstrap resamples */
    SG_FAM_NO_PERMUTE = 1u << 1, /* too costly to re-run per permutation */
};
typedef struct sg_family {
    const char *name;
    sg_family_fn fn;
    unsigned flags;
} sg_family;


/* The person-level permutation null in O(n) table look-ups (psampler.c):
 * create from the totals and group counts (rounded to whole persons); each
 * draw redistributes the group at random among the residents keeping every
 * total. Counts come in draw order (districts by total: order[k] is the
 * caller's index of the k-th) when in_order, else in the caller's order.
 * create returns SG_ERR_DATA, without a diagnostic, when the counts do not
 * suit it (then use sg__rng_hypergeometric district by district). The
 * sampler is read-only after create: threads share it, each with its own
 * scratch (zero-initialised). draw returns -1 when out of memory. */
typedef struct sg_psampler sg_psampler;
typedef struct sg_psampler_scratch {
    uint32_t *y;
    uint64_t *gsum, *pos;
    size_t ncap, gcap, poscap;
} sg_psampler_scratch;
sg_status sg__psampler_create(sg_ctx *ctx, const double *t, const double *x, size_t n, sg_psampler **out);
size_t sg__psampler_n(const sg_psampler *s);
const uint32_t *sg__psampler_order(const sg_psampler *s);
int sg__psampler_draw(const sg_psampler *s, sg_rng *rng, double *out, int in_order, sg_psampler_scratch *sc);
/* Step 1 of the draw alone: each district's count from Binomial(t_i, G/T),
 * independently (the evenness null), in the caller's order. */
int sg__psampler_draw_binomial(const sg_psampler *s, sg_rng *rng, double *out, sg_psampler_scratch *sc);
/* The same draw (the same rng use, the same counts) reduced on the fly to
 * the replicate's dissimilarity D and isolation xPx (xPy = 1 - xPx), without
 * writing the counts out: two-group replicates that need nothing else.
 * Returns 0, -1 when out of memory, 1 when the indices are undefined (a
 * district of total 0, or nobody / everybody in the group). */
int sg__psampler_draw_basic(const sg_psampler *s, sg_rng *rng, sg_psampler_scratch *sc, double *dissimilarity,
                            double *isolation);
void sg__psampler_scratch_free(sg_psampler_scratch *sc);
void sg__psampler_free(sg_psampler *s);


/* ---- the other nulls and the small-unit bias (nulls.c) ---- */
/* Binomial(n, p) and Multinomial(N, w / Σw) (conditional binomials over
 * w[i * wstride], i < n, into out[i * ostride]); whole numbers as doubles. */
double sg__rng_binomial(sg_rng *r, double n, double p);
void sg__rng_multinomial(sg_rng *r, double N, const double *w, size_t n, size_t wstride, double *out,
                         size_t ostride);
/* "person", "geographic", "evenness", "systematic" for SG_NULL_*. */
const char *sg__null_name(int model);
/* The null in plain words (summary.json, the report). */
const char *sg__null_describe(int model);
/* One replicate of d under null `model` (not SG_NULL_PERSON) into x, t (n)
 * and m (n x k): ps, when not NULL, is the two-group sampler (evenness);
 * work holds n doubles (or size_t). Returns 0, -1 when out of memory. */
int sg__null_draw(int model, sg_rng *rng, const sg_data *d, const sg_psampler *ps, sg_psampler_scratch *sc,
                  double *x, double *t, double *m, double *work);
/* The districts of (x, t, m) with t > 0 into cx, ct, cm and their city
 * indices into cindex; returns how many. */
size_t sg__null_compact(const sg_data *d, const double *x, const double *t, const double *m, double *cx,
                        double *ct, double *cm, size_t *cindex);
/* Draws of each small-unit estimate (PySAL BiasCorrectedDissim's default B). */
#define SG_BIAS_DRAWS 500
/* dissimilarity_expected and dissimilarity_bias_corrected into res (after
 * sg__infer's tests: the person-level replicates give the first). */
sg_status sg__small_unit_bias(sg_ctx *ctx, const sg_data *d, sg_result *res);

/* ---- inference (permute.c) ---- */
/* After the families ran on d: p-values under a randomisation null
 * (--permutations) and percentile intervals (--bootstrap) for every global
 * in res, re-running the families on permuted / resampled counts. */
sg_status sg__infer(sg_ctx *ctx, const sg_data *d, sg_result *res);
/* The one two-sided permutation test (indices, access gaps, compare): over
 * the finite values v of null[0], null[stride], ... (nnull entries), the
 * mean and sd (n - 1) with compensated sums, and p = (1 + #{|v - mean| >=
 * |observed - mean|}) / (k + 1) (ties within a relative 1e-12 count).
 * Returns k, the finite values; with k < 2 mean, sd and p are NaN. Callers
 * decide what a null without spread (sd == 0) means. */
size_t sg__null_test(double observed, const double *null, size_t nnull, size_t stride, double *mean, double *sd,
                     double *p);
/* The families run by sg_analyze, in order (families.c). */
extern const sg_family sg__families[];
extern const size_t sg__nfamilies;
/* 1 when family `name` is selected by --indices (all by default; basic always). */
int sg__family_on(const sg_options *o, const char *name);
/* Runs every selected family on d into res, in registry order; the aspatial
 * ones at the same time on up to --threads threads (each into its own result
 * and context, merged in registry order: the same output as one thread). */
sg_status sg__run_families(sg_ctx *ctx, const sg_data *d, sg_result *res);
/* The SG_SP_SKIP_* parts of the spatial build no family selected by o reads. */
unsigned sg__spatial_skip(const sg_options *o);
/* 1 when `item` is a family name or an alias (all, aspatial, spatial, local). */
int sg__family_name_valid(const char *item);

sg_status sg__family_basic(sg_ctx *ctx, const sg_data *d, sg_result *res);
/* The basic family's globals on a permutation replicate, drawn and reduced
 * in one pass by sg__psampler_draw_basic (permute.c, when nothing else is
 * re-run): the counts of sg__psampler_draw with the same rng, never stored. */
sg_status sg__family_basic_permuted(sg_ctx *ctx, const sg_psampler *ps, sg_rng *rng, sg_psampler_scratch *sc,
                                    sg_result *res);
/* Aspatial families (index_evenness.c, index_exposure.c, index_multigroup.c). */
sg_status sg__family_evenness(sg_ctx *ctx, const sg_data *d, sg_result *res);
sg_status sg__family_exposure(sg_ctx *ctx, const sg_data *d, sg_result *res);
sg_status sg__family_multigroup(sg_ctx *ctx, const sg_data *d, sg_result *res);
/* Checks the two-group counts of d (0 <= x <= t, t > 0, 0 < X < T); sets X, T. */
sg_status sg__two_group_totals(sg_ctx *ctx, const sg_data *d, double *X, double *T);
/* Σ_{i<j} w_i w_j |p_i − p_j| in O(n log n) with compensated sums (the Gini
 * numerator). Returns 0, or -1 when out of memory. */
int sg__pair_abs_diff_sum(const double *p, const double *w, size_t n, double *out);
/* Σ_{i<j} w1_i w1_j |p_i − p_j| over records sorted by p. */
double sg__pair_abs_diff_sum_sorted(const sg_prec *a, size_t n);
/* θ* of the density-corrected D (Allen et al. 2015): the root z > 0 of
 * z = θ tanh(θ z), 0 when θ <= 1. */
double sg__dcd_theta_star(double theta);
/* Spatial families (index_concentration.c, ...). */
sg_status sg__family_local_spatial(sg_ctx *ctx, const sg_data *d, sg_result *res);
/* Local Moran's conditional permutations (lisa_perm.c): larger[i] = #{r <
 * perms : z_i (S_ir / k_i) / m2 >= I[i]}, S_ir the sum of z over k_i = deg[i]
 * districts other than i drawn without replacement in permutation r (drawn
 * once per r from stream r of seed and shared by all districts). Set for
 * 0 < deg[i] < n only; bit-identical for any threads. */
sg_status sg__lisa_larger(sg_ctx *ctx, const double *z, const size_t *deg, const double *I, size_t n, double m2,
                          int perms, uint64_t seed, int threads, uint32_t *larger);
/* --p-adjust (p_adjust.c): q[i] the adjusted p of p[i] over the finite p
 * (SG_PADJ_FDR: Benjamini-Hochberg step-up; SG_PADJ_BONFERRONI: min(1, m p);
 * SG_PADJ_NONE: p), NaN where p is not finite. Returns -1 when out of memory
 * or for an unknown method. */
int sg__p_adjust(int method, const double *p, size_t n, double *q);
const char *sg__p_adjust_name(int method);
/* In words, for legends and the report: "unadjusted p", ... */
const char *sg__p_adjust_words(int method);
/* "fdr", "bonferroni", "none" (or "bh") -> SG_PADJ_*, else -1. */
int sg__p_adjust_parse(const char *text);
sg_status sg__family_concentration(sg_ctx *ctx, const sg_data *d, sg_result *res);
sg_status sg__family_centralization(sg_ctx *ctx, const sg_data *d, sg_result *res);
sg_status sg__family_clustering(sg_ctx *ctx, const sg_data *d, sg_result *res);
sg_status sg__family_spatial_evenness(sg_ctx *ctx, const sg_data *d, sg_result *res);
sg_status sg__family_spatial_proximity_profile(sg_ctx *ctx, const sg_data *d, sg_result *res);
sg_status sg__family_distortion(sg_ctx *ctx, const sg_data *d, sg_result *res);


/* ---- helpers of the spatial families (spatial_common.c) ---- */
/* Sets a global with its detail (copied; may be NULL). A value that is not
 * finite (a degenerate city, e.g. equal areas everywhere) is not stored: a
 * warning W_UNDEFINED says why. Returns SG_OK or SG_ERR_NOMEM. */
sg_status sg__spatial_set(sg_ctx *ctx, sg_result *res, const char *name, double value, const char *description,
                          const char *detail, const char *why_undefined);
/* Checks the two-group counts (0 <= x <= t, t > 0, 0 < X < T) and gives X, Y, T. */
sg_status sg__spatial_totals(sg_ctx *ctx, const sg_data *d, double *X, double *Y, double *T);
/* The spatial data of d, or an internal error when the run has none. */
sg_status sg__spatial_need(sg_ctx *ctx, const sg_data *d, const char *family);

/* Regions (--by) and the multiscalar profile (--scales): regions.h. */
#include "indices/regions.h"

#endif

/* seggap: segregation indices on plain arrays.
 *
 * x[i] is the group (migrant) count of district i, t[i] its total population.
 * Districts with t[i] == 0 must be filtered out by the caller (the pipeline
 * excludes and lists them); every function rejects them with SG_ERR_DATA, as
 * it rejects negative or non-finite counts and x[i] > t[i]. A group with
 * X = 0 or X = T makes the indices undefined: SG_ERR_DATA, not NaN.
 * Sums use compensated (Neumaier) summation. */
#ifndef SEGGAP_INDICES_H
#define SEGGAP_INDICES_H

#include <stddef.h>
#include "seggap/context.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The two-group indices of Massey & Denton (1988). */
typedef struct sg_basic_indices {
    double total;         /* T = sum t */
    double group;         /* X = sum x */
    double share;         /* P = X / T */
    double dissimilarity; /* D = 1/2 sum |x_i/X - y_i/Y|, y = t - x */
    double isolation;     /* xPx = sum (x_i/X)(x_i/t_i) */
    double exposure;      /* xPy = sum (x_i/X)(y_i/t_i) = 1 - xPx */
} sg_basic_indices;

/* Computes D, xPx and xPy over n districts. Returns SG_OK and fills *out, or
 * an error status with the message in ctx (out untouched). */
sg_status sg_basic_indices_compute(sg_ctx *ctx, const double *x, const double *t,
                                   size_t n, sg_basic_indices *out);

/* Per-district values given the city totals in *city: share x/t, location
 * quotient (x/t)/P and contribution to D, |x/X - y/Y| / 2. Any output pointer
 * may be NULL. Arrays have n elements. */
void sg_local_basic(const sg_basic_indices *city, const double *x, const double *t,
                    size_t n, double *share, double *lq, double *d_contrib);

#ifdef __cplusplus
}
#endif
#endif

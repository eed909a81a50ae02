/* Counts within radii and floating catchments, from the origin-location
 * pairs of one service type (whatever measured them: plane, ellipsoid or
 * network).
 *
 * Two-step floating catchment area (Luo & Wang 2003), catchment d0:
 *   R_j = S_j / Σ_{k: d_kj <= d0} P_k        supply per resident at location j
 *   A_k = Σ_{j: d_kj <= d0} R_j              access of origin k
 * Enhanced 2SFCA (Luo & Qi 2009) weighs both sums by a decay w(d_kj):
 *   R_j = S_j / Σ_k P_k w(d_kj),  A_k = Σ_j R_j w(d_kj)
 * with w = 0 beyond d0 and, within it, 1 (step: E2SFCA = 2SFCA), 1 - d/d0
 * (linear), exp(-d²/2h²) (gaussian, PySAL access's `gaussian(sigma = h)`)
 * or exp(-d/h) (exp). S_j is the capacity (or 1), P_k the residents at the
 * origin. A location without residents within reach (denominator 0) supplies
 * nobody: R_j = 0. Σ_k P_k A_k = Σ_j S_j over the locations that supply
 * someone, a check the tests use.
 *
 * Step 1 sums over origins in origin order, serially: the result is the same
 * for any number of threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"

double sg__decay_weight(sg_decay k, double d, double d0, double h) {
    if (!(d <= d0)) return 0;
    switch (k) {
    case SG_DECAY_STEP: return 1;
    case SG_DECAY_LINEAR: return 1 - d / d0;
    case SG_DECAY_GAUSSIAN: return exp(-d * d / (2 * h * h));
    case SG_DECAY_EXP: return exp(-d / h);
    }
    return 0;
}

sg_status sg__access_fca(sg_ctx *ctx, const sg_pairs *p, const double *demand, const sg_services *s,
                         const struct sg_access_opts *ao, double *count, double *fca2, double *e2sfca,
                         size_t *idle) {
    size_t n = p->n, m = s->n;
    double d0 = ao->catchment;
    sg_ksum *dem2 = calloc(m ? m : 1, sizeof *dem2), *deme = calloc(m ? m : 1, sizeof *deme);
    double *R2 = malloc((m ? m : 1) * sizeof *R2), *RE = malloc((m ? m : 1) * sizeof *RE);
    if (!dem2 || !deme || !R2 || !RE) {
        free(dem2);
        free(deme);
        free(R2);
        free(RE);
        return sg__nomem(ctx);
    }
    /* counts */
    for (size_t r = 0; r < ao->nradius; r++)
        for (size_t k = 0; k < n; k++) {
            size_t c = 0;
            for (size_t q = p->off[k]; q < p->off[k + 1]; q++) c += p->d[q] <= ao->radius[r];
            count[r * n + k] = (double)c;
        }
    /* step 1: demand reaching each location */
    for (size_t k = 0; k < n; k++) {
        if (!(demand[k] > 0)) continue;
        for (size_t q = p->off[k]; q < p->off[k + 1]; q++) {
            double d = p->d[q];
            if (d > d0) continue;
            sg__ksum_add(&dem2[p->svc[q]], demand[k]);
            sg__ksum_add(&deme[p->svc[q]], demand[k] * sg__decay_weight(ao->decay, d, d0, ao->bandwidth));
        }
    }
    size_t nidle = 0;
    for (size_t j = 0; j < m; j++) {
        double a = sg__ksum_get(&dem2[j]), b = sg__ksum_get(&deme[j]);
        R2[j] = a > 0 ? s->cap[j] / a : 0;
        RE[j] = b > 0 ? s->cap[j] / b : 0;
        nidle += !(a > 0);
    }
    /* step 2: supply reaching each origin */
    for (size_t k = 0; k < n; k++) {
        sg_ksum a = {0, 0}, b = {0, 0};
        for (size_t q = p->off[k]; q < p->off[k + 1]; q++) {
            double d = p->d[q];
            if (d > d0) continue;
            sg__ksum_add(&a, R2[p->svc[q]]);
            sg__ksum_add(&b, RE[p->svc[q]] * sg__decay_weight(ao->decay, d, d0, ao->bandwidth));
        }
        fca2[k] = sg__ksum_get(&a);
        e2sfca[k] = sg__ksum_get(&b);
    }
    *idle = nidle;
    free(dem2);
    free(deme);
    free(R2);
    free(RE);
    return SG_OK;
}

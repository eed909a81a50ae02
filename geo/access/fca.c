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
 * someone, a check the tests use. Both R_j and A_k are kept per 1,000
 * residents (SG_FCA_PER, issue 17: 0.15 reads as 150 places per 1,000), so
 * Σ_k P_k A_k = 1000 Σ_j S_j; the fields say so (fca2_TYPE_per1000).
 *
 * The pairs' d may be metres or minutes (--travel-times with --reach and
 * --time-catchment: sg_fca_params in minutes); nothing here knows which.
 *
 * Step 1 (sg__fca_supply) is computed once per type and kept: the district
 * values come from it (sg__fca_access, step 2) and so do the services
 * layer's per-location values (R_j, the residents within d0 and within each
 * radius). It sums over origins in origin order, the pairs of an origin in
 * their order, serially, with compensated sums: the result is the same for
 * any number of threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "access/access_internal.h"

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

sg_fca_params sg__fca_params(const struct sg_access_opts *ao) {
    return (sg_fca_params){ao->catchment, ao->bandwidth, ao->decay, ao->radius, ao->nradius};
}

void sg__supply_free(sg_supply *s) {
    if (!s) return;
    free(s->fca2);
    free(s->e2sfca);
    free(s->pop_catchment);
    free(s->pop_r);
    memset(s, 0, sizeof *s);
}

sg_status sg__fca_supply(sg_ctx *ctx, const sg_pairs *p, const double *demand, const sg_services *s,
                         const struct sg_access_opts *ao, sg_supply *out) {
    sg_fca_params fp = sg__fca_params(ao);
    return sg__fca_supply_p(ctx, p, demand, s, &fp, out);
}

sg_status sg__fca_supply_p(sg_ctx *ctx, const sg_pairs *p, const double *demand, const sg_services *s,
                           const sg_fca_params *ao, sg_supply *out) {
    size_t n = p->n, m = s->n, nr = ao->nradius, mm = m ? m : 1;
    double d0 = ao->d0;
    memset(out, 0, sizeof *out);
    sg_ksum *dem2 = calloc(mm, sizeof *dem2), *deme = calloc(mm, sizeof *deme);
    sg_ksum *demr = calloc(mm * (nr ? nr : 1), sizeof *demr);
    out->fca2 = malloc(mm * sizeof *out->fca2);
    out->e2sfca = malloc(mm * sizeof *out->e2sfca);
    out->pop_catchment = malloc(mm * sizeof *out->pop_catchment);
    out->pop_r = malloc(mm * (nr ? nr : 1) * sizeof *out->pop_r);
    if (!dem2 || !deme || !demr || !out->fca2 || !out->e2sfca || !out->pop_catchment || !out->pop_r) {
        free(dem2);
        free(deme);
        free(demr);
        sg__supply_free(out);
        return sg__nomem(ctx);
    }
    out->n = m;
    out->nradius = nr;
    /* demand reaching each location: within each radius, within d0, and
     * weighed by the decay (the pairs reach max(d0, largest radius)) */
    for (size_t k = 0; k < n; k++) {
        if (!(demand[k] > 0)) continue;
        for (size_t q = p->off[k]; q < p->off[k + 1]; q++) {
            size_t j = p->svc[q];
            double d = p->d[q];
            for (size_t r = 0; r < nr; r++)
                if (d <= ao->radius[r]) sg__ksum_add(&demr[j * nr + r], demand[k]);
            if (d > d0) continue;
            sg__ksum_add(&dem2[j], demand[k]);
            sg__ksum_add(&deme[j], demand[k] * sg__decay_weight(ao->decay, d, d0, ao->h));
        }
    }
    for (size_t j = 0; j < m; j++) {
        double a = sg__ksum_get(&dem2[j]), b = sg__ksum_get(&deme[j]);
        out->fca2[j] = a > 0 ? SG_FCA_PER * s->cap[j] / a : 0; /* per 1,000 residents */
        out->e2sfca[j] = b > 0 ? SG_FCA_PER * s->cap[j] / b : 0;
        out->pop_catchment[j] = a;
        for (size_t r = 0; r < nr; r++) out->pop_r[j * nr + r] = sg__ksum_get(&demr[j * nr + r]);
        out->idle += !(a > 0);
    }
    free(dem2);
    free(deme);
    free(demr);
    return SG_OK;
}

void sg__fca_access(const sg_pairs *p, const sg_supply *sup, const struct sg_access_opts *ao, double *count,
                    double *fca2, double *e2sfca) {
    sg_fca_params fp = sg__fca_params(ao);
    sg__fca_access_p(p, sup, &fp, count, fca2, e2sfca);
}

void sg__fca_access_p(const sg_pairs *p, const sg_supply *sup, const sg_fca_params *ao, double *count,
                      double *fca2, double *e2sfca) {
    size_t n = p->n;
    double d0 = ao->d0;
    /* counts */
    for (size_t r = 0; r < ao->nradius; r++)
        for (size_t k = 0; k < n; k++) {
            size_t c = 0;
            for (size_t q = p->off[k]; q < p->off[k + 1]; q++) c += p->d[q] <= ao->radius[r];
            count[r * n + k] = (double)c;
        }
    /* step 2: supply reaching each origin */
    for (size_t k = 0; k < n; k++) {
        sg_ksum a = {0, 0}, b = {0, 0};
        for (size_t q = p->off[k]; q < p->off[k + 1]; q++) {
            double d = p->d[q];
            if (d > d0) continue;
            sg__ksum_add(&a, sup->fca2[p->svc[q]]);
            sg__ksum_add(&b, sup->e2sfca[p->svc[q]] * sg__decay_weight(ao->decay, d, d0, ao->h));
        }
        fca2[k] = sg__ksum_get(&a);
        e2sfca[k] = sg__ksum_get(&b);
    }
}

sg_status sg__access_fca(sg_ctx *ctx, const sg_pairs *p, const double *demand, const sg_services *s,
                         const struct sg_access_opts *ao, double *count, double *fca2, double *e2sfca,
                         size_t *idle) {
    sg_supply sup;
    sg_status st = sg__fca_supply(ctx, p, demand, s, ao, &sup);
    if (st != SG_OK) return st;
    sg__fca_access(p, &sup, ao, count, fca2, e2sfca);
    *idle = sup.idle;
    sg__supply_free(&sup);
    return SG_OK;
}

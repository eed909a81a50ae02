/* Centralization (Massey & Denton 1988): how close to the centre the group
 * lives. Units are ordered by the distance of their centroid to the centre
 * (in metres; ties by input order), which the spatial data holds already
 * sorted, with the centre it used (--centre, --centre-district or the
 * unweighted mean of the centroids, as PySAL's center='mean'). */
#include <stdlib.h>

#include "indices/indices.h"

/* sum_{k>=1} U_{k-1} V_k - U_k V_{k-1} for cumulative shares U, V of u, v
 * taken in `order` (U_k = sum_{l<=k} u / sum u). */
static double lagged_cross(const double *u, double U, const double *v, double V, const size_t *order, size_t n) {
    sg_ksum s = {0, 0}, cu = {0, 0}, cv = {0, 0};
    double pu = 0, pv = 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = order[k];
        sg__ksum_add(&cu, u[i]);
        sg__ksum_add(&cv, v[i]);
        double ku = sg__ksum_get(&cu) / U, kv = sg__ksum_get(&cv) / V;
        if (k > 0) {
            sg__ksum_add(&s, pu * kv);
            sg__ksum_add(&s, -ku * pv);
        }
        pu = ku;
        pv = kv;
    }
    return sg__ksum_get(&s);
}

sg_status sg__family_centralization(sg_ctx *ctx, const sg_data *d, sg_result *res) {
    sg_status st = sg__spatial_need(ctx, d, "centralization");
    if (st != SG_OK) return st;
    const sg_spatial *sp = d->sp;
    size_t n = d->n;
    double X, Y, T;
    if ((st = sg__spatial_totals(ctx, d, &X, &Y, &T)) != SG_OK) return st;
    double *y = malloc((n ? n : 1) * sizeof *y);
    if (!y) return sg__nomem(ctx);
    for (size_t i = 0; i < n; i++) y[i] = d->t[i] - d->x[i];
    double ace = lagged_cross(d->x, X, sp->area, sp->area_total, sp->centre_order, n);
    double rce = lagged_cross(d->x, X, y, Y, sp->centre_order, n);
    free(y);
    st = sg__spatial_set(ctx, res, "absolute_centralization", ace,
                         "Absolute centralization ACE (Massey & Denton 1988): the group's cumulative share against "
                         "the cumulative land area, outwards from the centre; > 0 = closer to the centre",
                         sp->centre_detail, "the city has no area");
    if (st != SG_OK) return st;
    return sg__spatial_set(ctx, res, "relative_centralization", rce,
                           "Relative centralization RCE (Massey & Denton 1988): the group's cumulative share against "
                           "everyone else's, outwards from the centre; > 0 = closer to the centre than the others",
                           sp->centre_detail, NULL);
}

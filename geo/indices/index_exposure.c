/* Aspatial exposure beyond xPx/xPy (which index_basic.c reports): the
 * correlation ratio eta² (Bell 1954; Massey & Denton 1988), i.e. the
 * isolation index adjusted for the group's share of the city. */
#include <math.h>

#include "indices/indices.h"

/* Family "exposure": correlation_ratio V = (xPx − P) / (1 − P). */
sg_status sg__family_exposure(sg_ctx *ctx, const sg_data *d, sg_result *res) {
    double X, T;
    sg_status st = sg__two_group_totals(ctx, d, &X, &T);
    if (st != SG_OK) return st;
    sg_ksum I = {0, 0};
    for (size_t i = 0; i < d->n; i++) sg__ksum_add(&I, (d->x[i] / X) * (d->x[i] / d->t[i]));
    double P = X / T, V = (sg__ksum_get(&I) - P) / (1 - P);
    if (!sg__result_set(res, "correlation_ratio", V,
                        "Correlation ratio eta^2: isolation xPx adjusted for the group's share P of the city, "
                        "(xPx - P) / (1 - P); 0 = no more isolated than an even city"))
        return sg__nomem(ctx);
    return SG_OK;
}

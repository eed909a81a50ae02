/* Two-group dissimilarity, isolation and exposure (Massey & Denton 1988) and
 * the per-district share, location quotient and contribution to D. */
#include <math.h>

#include "internal.h"

sg_status sg_basic_indices_compute(sg_ctx *ctx, const double *x, const double *t, size_t n,
                                   sg_basic_indices *out) {
    if (n == 0)
        return sg__error(ctx, SG_ERR_DATA, "E_NO_DISTRICTS", SG_WHERE_NONE,
                         "no districts left to compute the indices on");
    sg_ksum X = {0, 0}, T = {0, 0};
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(t[i]) || x[i] < 0 || t[i] <= 0 || x[i] > t[i])
            return sg__error(ctx, SG_ERR_DATA, "E_BAD_COUNTS", SG_WHERE_NONE,
                             "district %zu: counts group=%g total=%g are not usable "
                             "(need 0 <= group <= total, total > 0)",
                             i, x[i], t[i]);
        sg__ksum_add(&X, x[i]);
        sg__ksum_add(&T, t[i]);
    }
    double Xs = sg__ksum_get(&X), Ts = sg__ksum_get(&T), Ys = Ts - Xs;
    if (!isfinite(Ts))
        return sg__error(ctx, SG_ERR_DATA, "E_COUNT_OVERFLOW", SG_WHERE_NONE,
                         "the total population overflows a double: the counts are not population counts");
    if (Xs <= 0)
        return sg__error(ctx, SG_ERR_DATA, "E_EMPTY_GROUP", SG_WHERE_NONE,
                         "the group count is 0 in every district: the indices are undefined");
    if (Ys <= 0)
        return sg__error(ctx, SG_ERR_DATA, "E_FULL_GROUP", SG_WHERE_NONE,
                         "the group is the whole population (group = total everywhere): "
                         "the indices are undefined");
    sg_ksum D = {0, 0}, I = {0, 0}, E = {0, 0};
    for (size_t i = 0; i < n; i++) {
        double y = t[i] - x[i];
        sg__ksum_add(&D, fabs(x[i] / Xs - y / Ys));
        sg__ksum_add(&I, (x[i] / Xs) * (x[i] / t[i]));
        sg__ksum_add(&E, (x[i] / Xs) * (y / t[i]));
    }
    out->total = Ts;
    out->group = Xs;
    out->share = Xs / Ts;
    out->dissimilarity = 0.5 * sg__ksum_get(&D);
    out->isolation = sg__ksum_get(&I);
    out->exposure = sg__ksum_get(&E);
    return SG_OK;
}

void sg_local_basic(const sg_basic_indices *city, const double *x, const double *t, size_t n,
                    double *share, double *lq, double *d_contrib) {
    double Y = city->total - city->group;
    for (size_t i = 0; i < n; i++) {
        int ok = t[i] > 0 && isfinite(x[i]) && isfinite(t[i]);
        double s = ok ? x[i] / t[i] : NAN;
        if (share) share[i] = s;
        if (lq) lq[i] = ok ? s / city->share : NAN;
        if (d_contrib) d_contrib[i] = ok ? 0.5 * fabs(x[i] / city->group - (t[i] - x[i]) / Y) : NAN;
    }
}

/* Family "basic": D, xPx, xPy and the per-district share, lq and d_contrib. */
sg_status sg__family_basic(sg_ctx *ctx, const sg_data *d, sg_result *res) {
    sg_basic_indices b;
    sg_status st = sg_basic_indices_compute(ctx, d->x, d->t, d->n, &b);
    if (st != SG_OK) return st;
    int ok = sg__result_set(res, "dissimilarity", b.dissimilarity,
                            "Dissimilarity D (Massey & Denton 1988): share of the group that would have to move "
                            "for an even distribution; group vs everyone else") &&
             sg__result_set(res, "isolation", b.isolation,
                            "Isolation xPx: the group share in the district of the average group member") &&
             sg__result_set(res, "exposure", b.exposure,
                            "Exposure xPy: the share of everyone else in the district of the average group "
                            "member (xPx + xPy = 1)");
    double *share = sg__result_column(res, "share"), *lq = sg__result_column(res, "lq"),
           *dc = sg__result_column(res, "d_contrib");
    if (!ok || !share || !lq || !dc) return sg__nomem(ctx);
    for (size_t i = 0; i < d->n; i++) {
        size_t c = d->index[i];
        sg_local_basic(&b, &d->x[i], &d->t[i], 1, &share[c], &lq[c], &dc[c]);
    }
    return SG_OK;
}

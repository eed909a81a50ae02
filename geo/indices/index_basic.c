/* Two-group dissimilarity, isolation and exposure (Massey & Denton 1988) and
 * the per-district share, location quotient and contribution to D. */
#include <math.h>

#include "indices/indices.h"

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
    /* One division per district (this loop also runs once per permutation). */
    sg_ksum D = {0, 0}, I = {0, 0}, E = {0, 0};
    const double iX = 1 / Xs, iY = 1 / Ys;
    for (size_t i = 0; i < n; i++) {
        double y = t[i] - x[i], r = 1 / t[i];
        sg__ksum_add(&D, fabs(x[i] * iX - y * iY));
        sg__ksum_add(&I, x[i] * (x[i] * r));
        sg__ksum_add(&E, x[i] * (y * r));
    }
    out->total = Ts;
    out->group = Xs;
    out->share = Xs / Ts;
    out->dissimilarity = 0.5 * sg__ksum_get(&D);
    out->isolation = sg__ksum_get(&I) / Xs;
    out->exposure = sg__ksum_get(&E) / Xs;
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

/* D, xPx and xPy of a permutation or bootstrap replicate: counts drawn by
 * the library itself (checked when first read), so no checks; plain sums in
 * four independent lanes instead of compensated ones (this runs 999 times:
 * the relative error, about 1e-13, is far below what a p-value resolves). */
static sg_status replicate_indices(sg_ctx *ctx, const double *x, const double *t, size_t n, sg_basic_indices *out) {
    double X[4] = {0, 0, 0, 0}, T[4] = {0, 0, 0, 0};
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (int l = 0; l < 4; l++) {
            X[l] += x[i + l];
            T[l] += t[i + l];
        }
    for (; i < n; i++) {
        X[0] += x[i];
        T[0] += t[i];
    }
    double Xs = (X[0] + X[1]) + (X[2] + X[3]), Ts = (T[0] + T[1]) + (T[2] + T[3]), Ys = Ts - Xs;
    if (!(Xs > 0 && Ys > 0 && isfinite(Ts)))
        return sg__error(ctx, SG_ERR_DATA, Xs > 0 ? "E_FULL_GROUP" : "E_EMPTY_GROUP", SG_WHERE_NONE,
                         "a replicate has no group member or nobody else: the indices are undefined");
    const double iX = 1 / Xs, iY = 1 / Ys;
    double D[4] = {0, 0, 0, 0}, I[4] = {0, 0, 0, 0}, E[4] = {0, 0, 0, 0};
    for (i = 0; i + 4 <= n; i += 4)
        for (int l = 0; l < 4; l++) {
            double xi = x[i + l], ti = t[i + l], y = ti - xi, r = xi / ti;
            D[l] += fabs(xi * iX - y * iY);
            I[l] += xi * r;
            E[l] += y * r;
        }
    for (; i < n; i++) {
        double xi = x[i], ti = t[i], y = ti - xi, r = xi / ti;
        D[0] += fabs(xi * iX - y * iY);
        I[0] += xi * r;
        E[0] += y * r;
    }
    out->total = Ts;
    out->group = Xs;
    out->share = Xs / Ts;
    out->dissimilarity = 0.5 * ((D[0] + D[1]) + (D[2] + D[3]));
    out->isolation = ((I[0] + I[1]) + (I[2] + I[3])) * iX;
    out->exposure = ((E[0] + E[1]) + (E[2] + E[3])) * iX;
    return SG_OK;
}

static int set_globals(sg_result *res, const sg_basic_indices *b) {
    return sg__result_set(res, "dissimilarity", b->dissimilarity,
                          "Dissimilarity D (Massey & Denton 1988): share of the group that would have to move "
                          "for an even distribution; group vs everyone else") &&
           sg__result_set(res, "isolation", b->isolation,
                          "Isolation xPx: the group share in the district of the average group member") &&
           sg__result_set(res, "exposure", b->exposure,
                          "Exposure xPy: the share of everyone else in the district of the average group "
                          "member (xPx + xPy = 1)");
}

/* Family "basic": D, xPx, xPy and the per-district share, lq and d_contrib. */
sg_status sg__family_basic(sg_ctx *ctx, const sg_data *d, sg_result *res) {
    sg_basic_indices b;
    sg_status st = d->replicate ? replicate_indices(ctx, d->x, d->t, d->n, &b)
                                : sg_basic_indices_compute(ctx, d->x, d->t, d->n, &b);
    if (st != SG_OK) return st;
    if (!set_globals(res, &b)) return sg__nomem(ctx);
    if (d->replicate) return SG_OK; /* only the globals are read */
    double *share = sg__result_column(res, "share"), *lq = sg__result_column(res, "lq"),
           *dc = sg__result_column(res, "d_contrib");
    if (!share || !lq || !dc) return sg__nomem(ctx);
    for (size_t i = 0; i < d->n; i++) {
        size_t c = d->index[i];
        sg_local_basic(&b, &d->x[i], &d->t[i], 1, &share[c], &lq[c], &dc[c]);
    }
    return SG_OK;
}

sg_status sg__family_basic_permuted(sg_ctx *ctx, const sg_psampler *ps, sg_rng *rng, sg_psampler_scratch *sc,
                                    sg_result *res) {
    sg_basic_indices b = {0};
    int r = sg__psampler_draw_basic(ps, rng, sc, &b.dissimilarity, &b.isolation);
    if (r < 0) return sg__nomem(ctx);
    if (r > 0)
        return sg__error(ctx, SG_ERR_DATA, "E_EMPTY_GROUP", SG_WHERE_NONE,
                         "a replicate has no group member or nobody else: the indices are undefined");
    b.exposure = 1 - b.isolation; /* sum x (t - x) / t = X - sum x^2 / t */
    return set_globals(res, &b) ? SG_OK : sg__nomem(ctx);
}

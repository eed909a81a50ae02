/* Aspatial evenness of one group against everyone else (y = t - x): Gini,
 * Theil's entropy H, Atkinson (b = 0.1, 0.5, 0.9), the density-corrected
 * dissimilarity of Allen et al. (2015), min-max (O'Sullivan & Wong 2007) and
 * the concentration profile R (Hong & Sadahiro 2014). Formulas as in
 * ../shared/CONVENTIONS.md B.1; decisions in part A (b honoured, exact θ*). */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "indices/indices.h"

/* Σ_{i<j} w_i w_j |p_i − p_j| in O(n log n). Sorted by p, every pair spans
 * the gaps between consecutive values, so the sum is
 *   Σ_k (p_(k+1) − p_(k)) · W_≤k · W_>k
 * a sum of non-negative terms (no cancellation); W_≤k and W_>k are
 * compensated prefix and suffix sums. */
double sg__pair_abs_diff_sum_sorted(const sg_prec *a, size_t n) {
    if (n < 2) return 0;
    sg_ksum total = {0, 0};
    for (size_t i = 0; i < n; i++) sg__ksum_add(&total, a[i].w1);
    /* every pair spans the gaps between consecutive values: the sum is
     * Σ_k gap_k · W_≤k · W_>k, non-negative terms (no cancellation); W_>k is
     * the compensated total minus W_≤k (error ~ 2 eps of its value) */
    sg_ksum pre = {0, 0}, sum = {0, 0}, suf = total;
    for (size_t k = 0; k + 1 < n; k++) {
        const sg_prec *u = &a[k], *v = &a[k + 1];
        sg__ksum_add(&pre, u->w1);
        sg__ksum_add(&suf, -u->w1);
        double gap = v->p - u->p;
        if (gap > 0) sg__ksum_add(&sum, gap * sg__ksum_get(&pre) * sg__ksum_get(&suf));
    }
    return sg__ksum_get(&sum);
}

int sg__pair_abs_diff_sum(const double *p, const double *w, size_t n, double *out) {
    *out = 0;
    if (n < 2) return 0;
    sg_prec *a = malloc(n * sizeof *a);
    if (!a) return -1;
    for (size_t i = 0; i < n; i++) a[i] = (sg_prec){p[i], w[i], 0};
    if (sg__sort_prec(a, n) != 0) {
        free(a);
        return -1;
    }
    *out = sg__pair_abs_diff_sum_sorted(a, n);
    free(a);
    return 0;
}

/* Checks the two-group counts and returns X and T (compensated). */
sg_status sg__two_group_totals(sg_ctx *ctx, const sg_data *d, double *X, double *T) {
    if (d->n == 0)
        return sg__error(ctx, SG_ERR_DATA, "E_NO_DISTRICTS", SG_WHERE_NONE,
                         "no districts left to compute the indices on");
    sg_ksum xs = {0, 0}, ts = {0, 0};
    for (size_t i = 0; i < d->n; i++) {
        if (!isfinite(d->x[i]) || !isfinite(d->t[i]) || d->x[i] < 0 || d->t[i] <= 0 || d->x[i] > d->t[i])
            return sg__error(ctx, SG_ERR_DATA, "E_BAD_COUNTS", SG_WHERE_NONE,
                             "district %zu: counts group=%g total=%g are not usable "
                             "(need 0 <= group <= total, total > 0)",
                             i, d->x[i], d->t[i]);
        sg__ksum_add(&xs, d->x[i]);
        sg__ksum_add(&ts, d->t[i]);
    }
    *X = sg__ksum_get(&xs);
    *T = sg__ksum_get(&ts);
    if (*X <= 0)
        return sg__error(ctx, SG_ERR_DATA, "E_EMPTY_GROUP", SG_WHERE_NONE,
                         "the group count is 0 in every district: the indices are undefined");
    if (*T - *X <= 0)
        return sg__error(ctx, SG_ERR_DATA, "E_FULL_GROUP", SG_WHERE_NONE,
                         "the group is the whole population (group = total everywhere): "
                         "the indices are undefined");
    return SG_OK;
}

/* Binary entropy -p ln p - (1-p) ln(1-p), 0 at p = 0 and p = 1. */
static double entropy2(double p) {
    if (!(p > 0 && p < 1)) return 0;
    return -p * log(p) - (1 - p) * log1p(-p);
}

/* Atkinson (1970) as in Massey & Denton (1988), shape b in (0, 1):
 * 1 − P/(1−P) · |Σ (1−p_i)^(1−b) p_i^b t_i / (P T)|^(1/(1−b)),
 * from the sum s = Σ (1−p_i)^(1−b) p_i^b t_i. */
static double atkinson(double s, double X, double T, double b) {
    double P = X / T;
    return 1 - P / (1 - P) * pow(fabs(s / X), 1 / (1 - b));
}

/* θ* of Allen et al. (2015): the z > 0 that maximises φ(z−θ) + φ(z+θ), the
 * root of g(z) = z − θ tanh(θz); 0 when θ ≤ 1 (then z = 0 is the maximum).
 * For θ > 1, g is convex on z > 0 with g(0) = 0, g'(0) = 1 − θ² < 0 and
 * g(θ) = θ(1 − tanh θ²) ≥ 0, so Newton started at z = θ decreases
 * monotonically onto the positive root. A bisection step guards against any
 * rounding that would leave the bracket. */
double sg__dcd_theta_star(double theta) {
    if (!(theta > 1)) return 0;
    /* From θ² >= 22 on, tanh(θ²) is 1.0 in double (glibc returns exactly 1
     * there), so g(θ) = 0 and the loop below would return θ at once. */
    if (theta * theta >= 22) return theta;
    double lo = 0, hi = theta, z = theta;
    for (int it = 0; it < 200; it++) {
        double u = theta * z, th = tanh(u), g = z - theta * th;
        if (g == 0) return z;
        if (g > 0) hi = z;
        else lo = z;
        double c = cosh(u), gp = 1 - theta * theta / (c * c);
        double nz = gp > 0 ? z - g / gp : 0.5 * (lo + hi);
        if (gp > 0 && fabs(nz - z) <= 4 * DBL_EPSILON * z) return nz;
        if (!(nz > lo && nz < hi)) nz = 0.5 * (lo + hi);
        if (hi - lo <= 4 * DBL_EPSILON * hi) return nz;
        z = nz;
    }
    return z;
}

sg_status sg__family_evenness(sg_ctx *ctx, const sg_data *d, sg_result *res) {
    double X, T;
    sg_status st = sg__two_group_totals(ctx, d, &X, &T);
    if (st != SG_OK) return st;
    size_t n = d->n;
    double Y = T - X, P = X / T;

    /* Gini: Σ_i Σ_j t_i t_j |p_i − p_j| / (2 T² P (1−P)) over ordered pairs
     * = Σ_{i<j} ... / (X Y), in O(n log n). */
    /* (share, total, group) by share: every sum below; shared with the
     * multigroup family when both run (d->by_share) */
    sg_prec *own = d->by_share ? NULL : sg__prec_by_ratio(d->x, d->t, n);
    const sg_prec *o = d->by_share ? d->by_share : own;
    if (!o) return sg__nomem(ctx);
    double pairs = sg__pair_abs_diff_sum_sorted(o, n);
    double gini = pairs / (X * Y);

    /* One pass over the districts (in share order: the sums are compensated,
     * so their order does not matter) for the rest:
     * - Theil's H (natural log): Σ t_i (E − E_i) / (E T);
     * - the Atkinson sums s_b = Σ (1−p)^(1−b) p^b t: b = 0.1 from the two logs
     *   as exp(0.9 ln(1−p) + 0.1 ln p), b = 0.5 as sqrt(p (1−p)), b = 0.9 as
     *   p (1−p) over the b = 0.1 term (their product);
     * - min-max: 1 − Σ min(x_i/X, y_i/Y) / Σ max(x_i/X, y_i/Y);
     * - density-corrected D: p0 = x/X, p1 = y/Y,
     *   σ_i = √(p1(1−p1)/Y + p0(1−p0)/X), θ_i = |p1 − p0|/σ_i, Ddc = Σ σ_i θ*_i / 2;
     *   σ_i = 0 only when both shares are 0 or 1; then σ_i θ*_i → |p1 − p0|. */
    double E = entropy2(P);
    sg_ksum h = {0, 0}, as[3] = {{0, 0}, {0, 0}, {0, 0}}, mn = {0, 0}, mx = {0, 0}, dc = {0, 0};
    for (size_t i = 0; i < n; i++) {
        double pi = o[i].p, ti = o[i].w1, xi = o[i].w2;
        if (pi > 0 && pi < 1) {
            double lp = log(pi), lq = log1p(-pi), pq = pi * (1 - pi), a01 = exp(0.9 * lq + 0.1 * lp);
            sg__ksum_add(&h, ti * (E + pi * lp + (1 - pi) * lq));
            sg__ksum_add(&as[0], a01 * ti);
            sg__ksum_add(&as[1], sqrt(pq) * ti);
            sg__ksum_add(&as[2], pq / a01 * ti);
        } else {
            sg__ksum_add(&h, ti * E); /* entropy 0; the Atkinson term is 0 at p = 0 and p = 1 */
        }
        double p0 = xi / X, p1 = (ti - xi) / Y, diff = fabs(p1 - p0);
        sg__ksum_add(&mn, fmin(p0, p1));
        sg__ksum_add(&mx, fmax(p0, p1));
        double sigma = sqrt(p1 * (1 - p1) / Y + p0 * (1 - p0) / X);
        if (sigma > 0) sg__ksum_add(&dc, sigma * sg__dcd_theta_star(diff / sigma));
        else sg__ksum_add(&dc, diff);
    }
    double entropy = sg__ksum_get(&h) / (E * T);
    double min_max = 1 - sg__ksum_get(&mn) / sg__ksum_get(&mx);
    double dcd = 0.5 * sg__ksum_get(&dc);

    /* Concentration profile (PySAL ConProf, m = 1000): grid θ_j = j·(1/999),
     * θ_999 = 1 (numpy.linspace); v(θ) = Σ_{p_i ≥ θ} x_i / X;
     * R = (P − (Σ_{θ<P} v/m − Σ_{θ≥P} v/m)) / (1 − P). The sweep walks the
     * grid downwards over the districts sorted by p. */
    const int m = 1000;
    const double step = 1.0 / (m - 1);
    sg_ksum above = {0, 0}, below_sum = {0, 0}, above_sum = {0, 0};
    size_t next = n; /* o[next..n-1] have p >= θ */
    for (int j = m - 1; j >= 0; j--) {
        double theta = j == m - 1 ? 1.0 : j * step;
        while (next > 0 && o[next - 1].p >= theta) sg__ksum_add(&above, o[--next].w2);
        double v = sg__ksum_get(&above) / X;
        if (theta < P) sg__ksum_add(&below_sum, v / m);
        else sg__ksum_add(&above_sum, v / m);
    }
    double conprof = (P - (sg__ksum_get(&below_sum) - sg__ksum_get(&above_sum))) / (1 - P);
    free(own);

    int ok =
        sg__result_set(res, "gini", gini,
                       "Gini G (Massey & Denton 1988): mean difference of the group share between all pairs of "
                       "residents, over its maximum; group vs everyone else") &&
        sg__result_set(res, "entropy", entropy,
                       "Theil's entropy index H (natural log): how much less diverse the districts are than the "
                       "city, 0 = as mixed as the city, 1 = fully separated") &&
        sg__result_set(res, "atkinson_b01", atkinson(sg__ksum_get(&as[0]), X, T, 0.1),
                       "Atkinson A with b = 0.1: evenness weighting districts where the group is "
                       "over-represented") &&
        sg__result_set(res, "atkinson_b05", atkinson(sg__ksum_get(&as[1]), X, T, 0.5),
                       "Atkinson A with b = 0.5: evenness weighting both sides equally") &&
        sg__result_set(res, "atkinson_b09", atkinson(sg__ksum_get(&as[2]), X, T, 0.9),
                       "Atkinson A with b = 0.9: evenness weighting districts where the group is "
                       "under-represented") &&
        sg__result_set(res, "density_corrected_dissimilarity", dcd,
                       "Density-corrected dissimilarity (Allen et al. 2015): D with the small-count bias "
                       "removed, exact theta*") &&
        sg__result_set(res, "min_max", min_max,
                       "Min-max index MM (O'Sullivan & Wong 2007): 1 - overlap / union of the group and "
                       "everyone else's distributions") &&
        sg__result_set(res, "concentration_profile", conprof,
                       "Concentration profile R (Hong & Sadahiro 2014): area between the profile of the "
                       "group's concentration and that of an even city (1000-point grid)");
    return ok ? SG_OK : sg__nomem(ctx);
}

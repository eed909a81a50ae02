/* Concentration (Massey & Denton 1988): how little physical space the group
 * occupies. Delta, absolute and relative concentration, with areas in m² of
 * the working CRS (PySAL uses the layer's units, degrees² on lon/lat data).
 * The area orderings come sorted from the spatial data (index_spatial.h). */
#include <math.h>

#include "indices/indices.h"

/* n1 of PySAL: the fewest units, taken in `order`, whose cumulative total
 * reaches X (the comparison cum/T < X/T as PySAL makes it). */
static size_t units_to_reach(const double *t, const size_t *order, size_t n, double X, double T) {
    double cum = 0;
    for (size_t k = 0; k < n; k++) {
        cum += t[order[k]];
        if (!(cum / T < X / T)) return k + 1;
    }
    return n;
}

sg_status sg__family_concentration(sg_ctx *ctx, const sg_data *d, sg_result *res) {
    sg_status st = sg__spatial_need(ctx, d, "concentration");
    if (st != SG_OK) return st;
    const sg_spatial *sp = d->sp;
    size_t n = d->n;
    double X, Y, T;
    if ((st = sg__spatial_totals(ctx, d, &X, &Y, &T)) != SG_OK) return st;
    const double *a = sp->area, *x = d->x, *t = d->t;
    double A = sp->area_total;

    /* Delta = 1/2 sum |x_i/X - a_i/A|. */
    sg_ksum del = {0, 0};
    for (size_t i = 0; i < n; i++) sg__ksum_add(&del, fabs(x[i] / X - a[i] / A));
    const char *det = "areas in m² of the working CRS (PySAL: the layer's units)";
    st = sg__spatial_set(ctx, res, "delta", 0.5 * sg__ksum_get(&del),
                         "Delta (Hoover; Massey & Denton 1988): share of the group that would have to move for a "
                         "density equal to the city's everywhere",
                         det, "the city has no area");
    if (st != SG_OK) return st;

    /* Absolute and relative concentration: the n1 smallest districts that
     * hold X residents and the n2 largest ones that do (PySAL's reading of
     * Massey & Denton, segregation issue #43). */
    const size_t *asc = sp->area_asc;
    size_t n1 = units_to_reach(t, asc, n, X, T);
    size_t n2 = n - units_to_reach(t, sp->area_desc, n, X, T);
    sg_ksum xa = {0, 0}, ya = {0, 0}, t1 = {0, 0}, ta1 = {0, 0}, t2 = {0, 0}, ta2 = {0, 0};
    for (size_t k = 0; k < n; k++) {
        size_t i = asc[k];
        sg__ksum_add(&xa, x[i] * a[i]);
        sg__ksum_add(&ya, (t[i] - x[i]) * a[i]);
        if (k < n1) {
            sg__ksum_add(&t1, t[i]);
            sg__ksum_add(&ta1, t[i] * a[i]);
        }
        if (k >= n2) {
            sg__ksum_add(&t2, t[i]);
            sg__ksum_add(&ta2, t[i] * a[i]);
        }
    }
    double small = sg__ksum_get(&ta1) / sg__ksum_get(&t1), large = sg__ksum_get(&ta2) / sg__ksum_get(&t2);
    double gx = sg__ksum_get(&xa) / X, gy = sg__ksum_get(&ya) / Y;
    double aco = 1.0 - (gx - small) / (large - small);
    double rco = (gx / gy - 1.0) / (small / large - 1.0);
    st = sg__spatial_set(ctx, res, "absolute_concentration", aco,
                         "Absolute concentration ACO (Massey & Denton 1988): 1 = the group lives in the smallest "
                         "districts, 0 = in the largest",
                         det, "the smallest and largest districts holding X residents have the same mean area");
    if (st != SG_OK) return st;
    return sg__spatial_set(ctx, res, "relative_concentration", rco,
                           "Relative concentration RCO (Massey & Denton 1988): > 0 when the group occupies less "
                           "space than everyone else, -1..1",
                           det, "the smallest and largest districts holding X residents have the same mean area");
}

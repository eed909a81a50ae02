/* Clustering (Massey & Denton 1988) and distance-decay exposure (Morgan 1983),
 * all from one proximity matrix c between districts (CONVENTIONS A1, A2):
 *
 *   default   c_ij = exp(-d_ij/h), c_ii = exp(-sqrt(0.6 a_i)/h), h = --decay-bandwidth
 *             (1000 m), d between centroids in metres; symmetric and sparse: pairs
 *             with c_ij < 1e-6 are left out (spatial.c), so a run is O(N k).
 *   pysal     c_ij = 1 - exp(-d_ij/S_j), c_ii = 1 - exp(-sqrt(0.6 a_i)) (CONVENTIONS B.0),
 *             dense, O(N²) per run.
 *
 * Everything needs only the products Cv_i = sum_j c_ij v_j for v = x, y, t and
 * the sum of c, so one pass over c gives the five indices (for the default
 * kernel the pass is sg__kernel_exp_products, spatial_kernel.c):
 *   ACL  = [sum_i (x_i/X) Cx_i - (X/n²) sum c] / [sum_i (x_i/X) Ct_i - (X/n²) sum c]
 *   RCL  = Pxx/Pyy - 1, Pxx = sum_ij x_i x_j c_ij / X² (Massey-Denton's quadratic form;
 *          PySAL's code uses sum_ij x_j² c_ij)
 *   SP   = (X Pxx + Y Pyy) / (T Ptt)
 *   DDxPx = sum_i (x_i/X) sum_j K_ij x_j/t_j with Morgan's row-normalised
 *          K_ij = c_ij t_j / Ct_i, i.e. sum_i (x_i/X) Cx_i / Ct_i (PySAL divides by
 *          column sums); DDxPy the same with y. */
#include <math.h>
#include <stdlib.h>

#include "indices/indices.h"

/* Cx, Cy, Ct from the dense PySAL kernel, row by row. */
static int products_pysal(const sg_spatial *sp, const double *x, const double *t, double *cx, double *cy,
                          double *ct) {
    size_t n = sp->n;
    double *buf = sp->dense ? NULL : malloc(n * sizeof *buf);
    if (!sp->dense && !buf) return 0;
    for (size_t i = 0; i < n; i++) {
        const double *row = sg__pysal_kernel_row(sp, i, buf);
        sg_ksum sx = {0, 0}, sy = {0, 0}, st = {0, 0};
        for (size_t j = 0; j < n; j++) {
            sg__ksum_add(&sx, row[j] * x[j]);
            sg__ksum_add(&sy, row[j] * (t[j] - x[j]));
            sg__ksum_add(&st, row[j] * t[j]);
        }
        cx[i] = sg__ksum_get(&sx);
        cy[i] = sg__ksum_get(&sy);
        ct[i] = sg__ksum_get(&st);
    }
    free(buf);
    return 1;
}

sg_status sg__family_clustering(sg_ctx *ctx, const sg_data *d, sg_result *res) {
    sg_status st = sg__spatial_need(ctx, d, "clustering");
    if (st != SG_OK) return st;
    const sg_spatial *sp = d->sp;
    if (sp->kernel_skipped) return SG_OK; /* warned when the spatial data was built */
    size_t n = d->n;
    double X, Y, T;
    if ((st = sg__spatial_totals(ctx, d, &X, &Y, &T)) != SG_OK) return st;
    double *cx = malloc(3 * n * sizeof *cx);
    if (!cx) return sg__nomem(ctx);
    double *cy = cx + n, *ct = cy + n, ksum = sp->ksum;
    char *det = NULL;
    if (sp->kernel == SG_KERNEL_EXP) {
        /* A replicate of the permutation test already runs on its own thread. */
        size_t npairs = 0;
        st = sg__kernel_exp_products(ctx, sp, d->x, d->t, d->replicate ? 1 : d->opts ? d->opts->threads : 0, cx,
                                     cy, ct, &ksum, &npairs);
        if (st == SG_OK && !d->replicate &&
            !(det = sg__asprintf("%s: %zu pairs kept", sp->kernel_detail, npairs)))
            st = sg__nomem(ctx);
        if (st != SG_OK) {
            free(cx);
            return st;
        }
    } else if (!products_pysal(sp, d->x, d->t, cx, cy, ct)) {
        free(cx);
        return sg__nomem(ctx);
    }
    sg_ksum ax = {0, 0}, at = {0, 0}, pxx = {0, 0}, pyy = {0, 0}, ptt = {0, 0}, ddx = {0, 0}, ddy = {0, 0};
    for (size_t i = 0; i < n; i++) {
        double xi = d->x[i], ti = d->t[i], yi = ti - xi;
        sg__ksum_add(&ax, xi / X * cx[i]);
        sg__ksum_add(&at, xi / X * ct[i]);
        sg__ksum_add(&pxx, xi * cx[i]);
        sg__ksum_add(&pyy, yi * cy[i]);
        sg__ksum_add(&ptt, ti * ct[i]);
        sg__ksum_add(&ddx, xi / X * (cx[i] / ct[i]));
        sg__ksum_add(&ddy, xi / X * (cy[i] / ct[i]));
    }
    free(cx);
    double nn = (double)n * (double)n, base = X / nn * ksum;
    double acl = (sg__ksum_get(&ax) - base) / (sg__ksum_get(&at) - base);
    double Pxx = sg__ksum_get(&pxx) / (X * X), Pyy = sg__ksum_get(&pyy) / (Y * Y), Ptt = sg__ksum_get(&ptt) / (T * T);
    double rcl = Pxx / Pyy - 1.0;
    double spx = (X * Pxx + Y * Pyy) / (T * Ptt);
    if (!det && !(det = sg__strdup(sp->kernel_detail))) return sg__nomem(ctx);
    if ((st = sg__spatial_set(ctx, res, "absolute_clustering", acl,
                              "Absolute clustering ACL (Massey & Denton 1988): the group's mean proximity to group "
                              "members, beyond what its size implies; 0 = none",
                              det, NULL)) != SG_OK ||
        (st = sg__spatial_set(ctx, res, "relative_clustering", rcl,
                              "Relative clustering RCL (Massey & Denton 1988): Pxx/Pyy - 1, the group's mean "
                              "proximity to itself against everyone else's; 0 = as clustered as the others",
                              det, NULL)) != SG_OK ||
        (st = sg__spatial_set(ctx, res, "spatial_proximity", spx,
                              "Spatial proximity SP (White 1983; Massey & Denton 1988): (X Pxx + Y Pyy)/(T Ptt); "
                              "1 = no differential clustering",
                              det, NULL)) != SG_OK ||
        (st = sg__spatial_set(ctx, res, "distance_decay_isolation", sg__ksum_get(&ddx),
                              "Distance-decay isolation DPxx (Morgan 1983): the group share around the average "
                              "group member, neighbours weighted by the kernel (row-normalised, as Morgan)",
                              det, NULL)) != SG_OK ||
        (st = sg__spatial_set(ctx, res, "distance_decay_exposure", sg__ksum_get(&ddy),
                              "Distance-decay exposure DPxy (Morgan 1983): the share of everyone else around the "
                              "average group member (DPxx + DPxy = 1)",
                              det, NULL)) != SG_OK) {
        free(det);
        return st;
    }
    free(det);
    return SG_OK;
}

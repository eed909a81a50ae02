/* The centre for centralization (the units ordered by the distance of their
 * centroid to it) and the clustering kernel c_ij of the spatial build
 * (spatial.c): the exp kernel's bandwidth, cut-off and centroid grid
 * (kernel.c), or PySAL's dense kernel. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "spatial/spatial_internal.h"

/* ---- centre for centralization ---- */
sg_status sg__spatial_centre(sg_ctx *ctx, const sg_data *d, sg_spatial *sp) {
    const sg_options *o = d->opts;
    const sg_crs_info *crs = d->crs;
    const char *wcrs = crs && crs->work_id ? crs->work_id : crs && crs->work_name ? crs->work_name : "the working CRS";
    GEOSContextHandle_t h = sg__geos(ctx);
    if (o && o->centre_district) {
        const sg_city *c = d->city;
        size_t k = c->n;
        for (size_t i = 0; i < c->n; i++)
            if (c->id[i] && strcmp(c->id[i], o->centre_district) == 0) {
                k = i;
                break;
            }
        if (k == c->n || !c->geom[k])
            return sg__error(ctx, SG_ERR_USAGE, "E_CENTRE_DISTRICT", SG_WHERE_NONE,
                             "--centre-district '%s' is not the id of a district with a geometry",
                             o->centre_district);
        GEOSGeometry *pt = GEOSGetCentroid_r(h, c->geom[k]);
        int ok = pt && GEOSGeomGetX_r(h, pt, &sp->centre_x) && GEOSGeomGetY_r(h, pt, &sp->centre_y);
        if (pt) GEOSGeom_destroy_r(h, pt);
        if (!ok)
            return sg__error(ctx, SG_ERR_INTERNAL, "E_GEOS", SG_WHERE_NONE,
                             "district '%s': GEOS could not compute the centroid: %s", o->centre_district,
                             sg__geos_msg(ctx));
        sp->centre_detail = sg__asprintf("centre (%.3f, %.3f) in %s: the centroid of district '%s' "
                                         "(--centre-district)",
                                         sp->centre_x, sp->centre_y, wcrs, o->centre_district);
    } else if (o && o->has_centre) {
        double x = o->centre_x, y = o->centre_y;
        if (crs && crs->src && crs->work) {
            PJ *op0 = proj_create_crs_to_crs_from_pj(sg__proj(ctx), crs->src, crs->work, NULL, NULL);
            PJ *op = op0 ? proj_normalize_for_visualization(sg__proj(ctx), op0) : NULL;
            proj_destroy(op0);
            if (!op)
                return sg__error(ctx, SG_ERR_CRS, "E_CRS", SG_WHERE_NONE,
                                 "--centre: no transformation from %s to %s: %s",
                                 crs->src_name ? crs->src_name : "the input CRS", wcrs, sg__proj_msg(ctx));
            PJ_COORD r = proj_trans(op, PJ_FWD, proj_coord(x, y, 0, 0));
            proj_destroy(op);
            if (!isfinite(r.xy.x) || !isfinite(r.xy.y) || r.xy.x == HUGE_VAL)
                return sg__error(ctx, SG_ERR_USAGE, "E_USAGE", SG_WHERE_NONE,
                                 "--centre %.17g,%.17g is not a valid position in the input CRS %s "
                                 "(x = easting or longitude first)",
                                 x, y, crs->src_name ? crs->src_name : "");
            x = r.xy.x;
            y = r.xy.y;
        }
        sp->centre_x = x;
        sp->centre_y = y;
        sp->centre_detail = sg__asprintf("centre (%.3f, %.3f) in %s: --centre %.10g,%.10g given in the input "
                                         "CRS %s",
                                         x, y, wcrs, o->centre_x, o->centre_y,
                                         crs && crs->src_id ? crs->src_id : crs && crs->src_name ? crs->src_name : "");
    } else {
        sg_ksum sx = {0, 0}, sy = {0, 0};
        for (size_t i = 0; i < sp->n; i++) {
            sg__ksum_add(&sx, sp->cx[i]);
            sg__ksum_add(&sy, sp->cy[i]);
        }
        sp->centre_x = sp->n ? sg__ksum_get(&sx) / (double)sp->n : 0;
        sp->centre_y = sp->n ? sg__ksum_get(&sy) / (double)sp->n : 0;
        sp->centre_detail = sg__asprintf("centre (%.3f, %.3f) in %s: the unweighted mean of the %zu district "
                                         "centroids (default, as PySAL center='mean'); units ordered by the "
                                         "distance of their centroid to it",
                                         sp->centre_x, sp->centre_y, wcrs, sp->n);
    }
    if (!sp->centre_detail) return sg__nomem(ctx);
    double *dist = malloc((sp->n ? sp->n : 1) * sizeof *dist);
    sp->centre_order = malloc((sp->n ? sp->n : 1) * sizeof *sp->centre_order);
    if (!dist || !sp->centre_order) {
        free(dist);
        return sg__nomem(ctx);
    }
    for (size_t i = 0; i < sp->n; i++) {
        double dx = sp->cx[i] - sp->centre_x, dy = sp->cy[i] - sp->centre_y;
        dist[i] = sqrt(dx * dx + dy * dy);
    }
    int ok = sg__sort_by_key(dist, sp->n, 0, sp->centre_order);
    free(dist);
    return ok ? SG_OK : sg__nomem(ctx);
}

/* ---- clustering kernels ---- */
const double *sg__pysal_kernel_row(const sg_spatial *sp, size_t i, double *row) {
    size_t n = sp->n;
    if (sp->dense) return sp->dense + i * n;
    for (size_t j = 0; j < n; j++) {
        double s = sp->colsum[j];
        row[j] = s > 0 ? 1.0 - exp(-sg__centroid_dist(sp, i, j) / s) : 0.0;
    }
    row[i] = sp->kdiag[i];
    return row;
}

sg_status sg__spatial_kernel(sg_ctx *ctx, const sg_data *d, sg_spatial *sp) {
    const sg_options *o = d->opts;
    size_t n = sp->n;
    sp->kernel = o && o->distance_kernel_pysal ? SG_KERNEL_PYSAL : SG_KERNEL_EXP;
    sp->kdiag = malloc((n ? n : 1) * sizeof *sp->kdiag);
    if (!sp->kdiag) return sg__nomem(ctx);
    sg_ksum total = {0, 0};
    if (sp->kernel == SG_KERNEL_EXP) {
        sp->h = o && o->decay_bandwidth > 0 ? o->decay_bandwidth : 1000.0;
        int exact = o && o->distance_kernel_exact;
        double cut = sp->h * log(1.0 / SG_KERNEL_CUTOFF);
        if (exact) { /* every pair: a cut-off beyond the largest distance between two centroids */
            double b[4];
            sg__bbox_xy(sp->cx, sp->cy, n, b);
            cut = n ? hypot(b[2] - b[0], b[3] - b[1]) * (1 + 1e-6) + 1 : 1;
        }
        sp->kcut = cut;
        for (size_t i = 0; i < n; i++) sp->kdiag[i] = exp(-sqrt(0.6 * sp->area[i]) / sp->h);
        /* Centroids on a regular lattice: FFT convolution (kernel_lattice.c).
         * Otherwise the pairs are visited by each run (kernel.c); the build
         * makes the centroid grid, and keeps the pairs of a small city. */
        sg_status st = sg__klat_build(ctx, sp, sp->h, cut, o ? o->threads : 0, 0, &sp->klat);
        if (st != SG_OK) return st;
        if (sp->klat) {
            double dx, dy, dev, bound;
            size_t px, py;
            sg__klat_info(sp->klat, &dx, &dy, &px, &py, &dev, &bound);
            sp->kernel_detail = sg__asprintf(
                "negative exponential kernel c_ij = exp(-d_ij/h), h = %g m, between district centroids; c_ii = "
                "exp(-sqrt(0.6 a_i)/h); %s; centroids on a regular %.6g x %.6g m lattice (within %.2g m): FFT "
                "convolution on %zu x %zu cells, each product within %.2g ||v||_2 + %g (C|v|)_i",
                sp->h,
                exact ? "every pair (--distance-kernel exp-exact, no cut-off)" : "pairs with c_ij < 1e-06 ignored",
                dx, dy, dev, px, py, bound, SG_KLAT_DEV);
            return sp->kernel_detail ? SG_OK : sg__nomem(ctx);
        }
        st = sg__kgrid_build(ctx, sp, sp->h, cut, o ? o->threads : 0, SG_KERNEL_STORE_BYTES, &sp->kgrid);
        if (st != SG_OK) return st;
        double est = sg__kgrid_est_pairs(sp->kgrid);
        if (est > SG_KERNEL_MAX_PAIRS) {
            sp->kernel_skipped = 1;
            sg__warn(ctx, "W_SKIPPED", SG_WHERE_NONE,
                     "the clustering indices (absolute/relative clustering, spatial proximity, distance decay) "
                     "are skipped: about %.3g pairs of districts lie within %.0f m (%s) of each other, more "
                     "than %.3g that one run may visit; %s",
                     est, cut, exact ? "every pair: --distance-kernel exp-exact" : "13.8 x --decay-bandwidth",
                     SG_KERNEL_MAX_PAIRS,
                     exact ? "use the default kernel (exp, pairs with c_ij < 1e-6 ignored)"
                           : "use a smaller --decay-bandwidth");
            sp->kernel_detail = sg__strdup("skipped");
            return sp->kernel_detail ? SG_OK : sg__nomem(ctx);
        }
        if (exact)
            sp->kernel_detail = sg__asprintf("negative exponential kernel c_ij = exp(-d_ij/h), h = %g m, between "
                                             "district centroids; c_ii = exp(-sqrt(0.6 a_i)/h); every pair "
                                             "(--distance-kernel exp-exact, no cut-off)",
                                             sp->h);
        else
            sp->kernel_detail = sg__asprintf("negative exponential kernel c_ij = exp(-d_ij/h), h = %g m, between "
                                             "district centroids; c_ii = exp(-sqrt(0.6 a_i)/h); pairs with c_ij < "
                                             "%g (d_ij > %.0f m) ignored",
                                             sp->h, SG_KERNEL_CUTOFF, cut);
    } else {
        sp->colsum = malloc((n ? n : 1) * sizeof *sp->colsum);
        if (!sp->colsum) return sg__nomem(ctx);
        for (size_t j = 0; j < n; j++) {
            sg_ksum s = {0, 0};
            for (size_t k = 0; k < n; k++) sg__ksum_add(&s, sg__centroid_dist(sp, j, k));
            sp->colsum[j] = sg__ksum_get(&s);
        }
        for (size_t i = 0; i < n; i++) sp->kdiag[i] = 1.0 - exp(-sqrt(0.6 * sp->area[i]));
        if (n <= SG_PYSAL_DENSE_MAX_N) {
            sp->dense = malloc((n ? n * n : 1) * sizeof *sp->dense);
            if (!sp->dense) return sg__nomem(ctx);
            for (size_t i = 0; i < n; i++) {
                double *row = sp->dense + i * n;
                for (size_t j = 0; j < n; j++) {
                    double s = sp->colsum[j];
                    row[j] = s > 0 ? 1.0 - exp(-sg__centroid_dist(sp, i, j) / s) : 0.0;
                }
                row[i] = sp->kdiag[i];
            }
        }
        double *row = sp->dense ? NULL : malloc((n ? n : 1) * sizeof *row);
        if (!sp->dense && !row) return sg__nomem(ctx);
        for (size_t i = 0; i < n; i++) {
            const double *r = sg__pysal_kernel_row(sp, i, row);
            for (size_t j = 0; j < n; j++) sg__ksum_add(&total, r[j]);
        }
        free(row);
        sp->ksum = sg__ksum_get(&total);
        sp->kernel_detail = sg__strdup("PySAL's kernel (--distance-kernel pysal): c_ij = 1 - exp(-d_ij/S_j), "
                                       "S_j = sum_k d_jk, d between district centroids in metres; c_ii = 1 - "
                                       "exp(-sqrt(0.6 a_i)); dense, every pair");
    }
    return sp->kernel_detail ? SG_OK : sg__nomem(ctx);
}


/* Spatial weights and the spatial index families on cities whose geometry is
 * known on paper: a 3 x 3 grid of 1000 m squares in EPSG:32633, cells
 *
 *     g h k        row 2      index i = 3 r + c
 *     d e f        row 1      a = (c 0, r 0) at x 500000..501000, y 5800000..5801000
 *     a b c        row 0
 *
 * queen: corners 3 neighbours, edge cells 5, centre 8 (20 pairs);
 * rook: corners 2, edges 3, centre 4 (12 pairs), each sharing 1000 m of
 * boundary; area 1e6 m², perimeter 4000 m, centroids 1000 m apart.
 *
 * The count pattern used throughout (t = 100 everywhere, X = 140, Y = 760):
 *
 *     x:  0  0  0        p = x/t:  0   0   0
 *        30 20  0                 .3  .2   0
 *        60 30  0                 .6  .3   0
 */
#include <json-c/json.h>

#include "test_support.h"
#include "indices/indices.h"

#define X0 500000.0
#define Y0 5800000.0
#define CELL 1000.0

/* ---- a city built directly as sg_data ---- */
typedef struct city {
    sg_ctx *ctx;
    size_t n;
    GEOSGeometry **g;
    char **ids;
    sg_city c;
    size_t *index;
    double *x, *t;
    struct sg_options o;
    sg_data d;
} city;

static GEOSGeometry *square(sg_ctx *ctx, double x, double y, double s) {
    char wkt[256];
    snprintf(wkt, sizeof wkt, "POLYGON((%.3f %.3f,%.3f %.3f,%.3f %.3f,%.3f %.3f,%.3f %.3f))", x, y, x + s, y, x + s,
             y + s, x, y + s, x, y);
    GEOSWKTReader *r = GEOSWKTReader_create_r(sg__geos(ctx));
    GEOSGeometry *g = GEOSWKTReader_read_r(sg__geos(ctx), r, wkt);
    GEOSWKTReader_destroy_r(sg__geos(ctx), r);
    assert_non_null(g);
    return g;
}

/* An nc x nr grid of `cell` m squares; counts set by the caller. */
static city *grid_city(size_t nc, size_t nr, double cell) {
    city *k = calloc(1, sizeof *k);
    k->ctx = sg_ctx_create();
    k->n = nc * nr;
    k->g = calloc(k->n, sizeof *k->g);
    k->ids = calloc(k->n, sizeof *k->ids);
    k->index = calloc(k->n, sizeof *k->index);
    k->x = calloc(k->n, sizeof *k->x);
    k->t = calloc(k->n, sizeof *k->t);
    for (size_t r = 0; r < nr; r++)
        for (size_t c = 0; c < nc; c++) {
            size_t i = r * nc + c;
            k->g[i] = square(k->ctx, X0 + cell * (double)c, Y0 + cell * (double)r, cell);
            k->ids[i] = malloc(64);
            snprintf(k->ids[i], 64, "c%zu_r%zu", c, r);
            k->index[i] = i;
            k->t[i] = 100;
        }
    k->c.n = k->n;
    k->c.id = k->ids;
    k->o.decay_bandwidth = 1000;
    k->d = (sg_data){k->n, k->index, k->x, k->t, 0, NULL, NULL, (const GEOSGeometry *const *)k->g, &k->c, &k->o,
                     NULL, NULL, 0, NULL, 0};
    return k;
}

static void city_free(city *k) {
    sg__spatial_free(k->ctx, k->d.sp);
    for (size_t i = 0; i < k->n; i++) {
        GEOSGeom_destroy_r(sg__geos(k->ctx), k->g[i]);
        free(k->ids[i]);
    }
    free(k->g);
    free(k->ids);
    free(k->index);
    free(k->x);
    free(k->t);
    sg_ctx_destroy(k->ctx);
    free(k);
}

static void build(city *k) {
    sg_status st = sg__spatial_build(k->ctx, &k->d, &k->d.sp);
    if (st != SG_OK) print_error("build: %s\n", sg_ctx_last_error(k->ctx));
    assert_int_equal(st, SG_OK);
}

/* The counts of the header on the 3 x 3 grid. */
static const double PATTERN[9] = {60, 30, 0, 30, 20, 0, 0, 0, 0};

static double run_family(city *k, sg_family_fn fn, const char *name) {
    sg_result res = {0};
    res.n = k->n;
    sg_status st = fn(k->ctx, &k->d, &res);
    if (st != SG_OK) print_error("%s: %s\n", name, sg_ctx_last_error(k->ctx));
    assert_int_equal(st, SG_OK);
    const sg_global *g = sg__result_get(&res, name);
    double v = g ? g->value : NAN;
    sg__result_free(&res);
    return v;
}

static int has_neighbour(const sg_weights *w, size_t i, size_t j) {
    for (size_t e = w->off[i]; e < w->off[i + 1]; e++)
        if (w->nb[e] == j) return 1;
    return 0;
}

/* Pairs i < j within the exp kernel's cut-off (one pass of the kernel). */
static size_t kernel_pairs(city *k) {
    size_t n = k->n, np = 0;
    double *c = malloc(3 * n * sizeof *c), ksum;
    assert_int_equal(sg__kernel_exp_products(k->ctx, k->d.sp, k->x, k->t, 1, c, c + n, c + 2 * n, &ksum, &np),
                     SG_OK);
    free(c);
    return np;
}

/* ---- weights and geometry on the 3 x 3 grid ---- */
static void grid_weights_and_geometry(void **state) {
    (void)state;
    city *k = grid_city(3, 3, CELL);
    build(k);
    const sg_spatial *sp = k->d.sp;
    const size_t queen_deg[9] = {3, 5, 3, 5, 8, 5, 3, 5, 3}, rook_deg[9] = {2, 3, 2, 3, 4, 3, 2, 3, 2};
    for (size_t i = 0; i < 9; i++) {
        assert_int_equal(sp->queen.off[i + 1] - sp->queen.off[i], queen_deg[i]);
        assert_int_equal(sp->rook.off[i + 1] - sp->rook.off[i], rook_deg[i]);
        assert_int_equal(sp->blen.off[i + 1] - sp->blen.off[i], rook_deg[i]);
        for (size_t e = sp->blen.off[i]; e < sp->blen.off[i + 1]; e++) sg_assert_near(sp->blen.w[e], CELL, 1e-12);
        for (size_t e = sp->queen.off[i] + 1; e < sp->queen.off[i + 1]; e++)
            assert_true(sp->queen.nb[e - 1] < sp->queen.nb[e]); /* rows ascending */
        sg_assert_near(sp->area[i], CELL * CELL, 1e-12);
        sg_assert_near(sp->perim[i], 4 * CELL, 1e-12);
        sg_assert_near(sp->cx[i], X0 + 500 + CELL * (double)(i % 3), 1e-12);
        sg_assert_near(sp->cy[i], Y0 + 500 + CELL * (double)(i / 3), 1e-12);
    }
    assert_int_equal(sg__weights_nnz(&sp->queen), 40);
    assert_int_equal(sg__weights_nnz(&sp->rook), 24);
    /* a-e diagonal: queen, not rook; a-b: both. */
    assert_true(has_neighbour(&sp->queen, 0, 4) && !has_neighbour(&sp->rook, 0, 4));
    assert_true(has_neighbour(&sp->rook, 0, 1) && has_neighbour(&sp->rook, 1, 0));
    assert_int_equal(sp->nislands, 0);
    sg_assert_near(sg__centroid_dist(sp, 0, 1), 1000, 1e-12);
    sg_assert_near(sg__centroid_dist(sp, 0, 4), 1000 * sqrt(2), 1e-12);
    sg_assert_near(sg__centroid_dist(sp, 0, 8), 2000 * sqrt(2), 1e-12);
    sg_assert_near(sp->area_total, 9e6, 1e-12);

    /* kNN: corner a, k = 3 -> b, d (1000 m) and e (1414 m); centre, k = 4 -> b, d, f, h. */
    sg_weights w;
    assert_int_equal(sg__weights_knn(k->ctx, sp, 3, &w), SG_OK);
    assert_int_equal(w.off[1] - w.off[0], 3);
    assert_int_equal(w.nb[0], 1);
    assert_int_equal(w.nb[1], 3);
    assert_int_equal(w.nb[2], 4);
    sg__weights_free(&w);
    assert_int_equal(sg__weights_knn(k->ctx, sp, 4, &w), SG_OK);
    const uint32_t want_e[4] = {1, 3, 5, 7};
    for (size_t q = 0; q < 4; q++) assert_int_equal(w.nb[w.off[4] + q], want_e[q]);
    sg__weights_free(&w);
    assert_int_equal(sg__weights_knn(k->ctx, sp, 9, &w), SG_ERR_USAGE);
    /* Distance bands: 1000 m = rook, 1500 m = queen; weights exp(-d/h). */
    assert_int_equal(sg__weights_distance(k->ctx, sp, 1000, 0, 0, &w), SG_OK);
    for (size_t i = 0; i < 9; i++) assert_int_equal(w.off[i + 1] - w.off[i], rook_deg[i]);
    assert_null(w.w);
    sg__weights_free(&w);
    assert_int_equal(sg__weights_distance(k->ctx, sp, 1500, 500, 0, &w), SG_OK);
    for (size_t i = 0; i < 9; i++) assert_int_equal(w.off[i + 1] - w.off[i], queen_deg[i]);
    for (size_t e = w.off[0]; e < w.off[1]; e++)
        sg_assert_near(w.w[e], exp(-sg__centroid_dist(sp, 0, w.nb[e]) / 500), 1e-15);
    sg__weights_free(&w);
    /* The default kernel: c_ii = exp(-sqrt(0.6e6)/1000), all 36 pairs kept. */
    assert_int_equal(sp->kernel, SG_KERNEL_EXP);
    sg_assert_near(sp->kdiag[0], exp(-sqrt(0.6e6) / 1000), 1e-15);
    assert_int_equal(kernel_pairs(k), 36);
    city_free(k);
}

/* ---- hand-computed indices on the 3 x 3 grid ---- */
static void grid_hand_computed_indices(void **state) {
    (void)state;
    city *k = grid_city(3, 3, CELL);
    memcpy(k->x, PATTERN, sizeof PATTERN);
    /* Centre near the lower-left corner of a, so that no two distances tie:
     * distances to the centroids (x - 500100, y - 5800300):
     *   a 447, d 1265, b 1414, e 1844, g 2236, c 2408, h 2608, f 2683, k 3256. */
    k->o.has_centre = 1;
    k->o.centre_x = X0 + 100;
    k->o.centre_y = Y0 + 300;
    build(k);

    /* Delta = 1/2 sum |x_i/X - a_i/A|, a_i/A = 1/9:
     *   |60/140 - 1/9| = 20/63, |30/140 - 1/9| = 13/126 (twice), |20/140 - 1/9| = 2/63,
     *   five empty cells 1/9 each = 35/63;  sum = 70/63, Delta = 35/63 = 5/9. */
    sg_assert_near(run_family(k, sg__family_concentration, "delta"), 5.0 / 9.0, 1e-14);

    /* D = 1/2 sum |x_i/X - y_i/Y| = (the five empty cells) 5 * 100/760 = 25/38. */
    const double D = 25.0 / 38.0;

    /* ACE, order a d b e g c h f k, x = 60 30 30 20 0..., cumulative X_k = 3/7, 9/14, 6/7, 1, 1, 1, 1, 1, 1,
     * A_k = k/9:
     *   sum X_{k-1} A_k = (6/7 + 27/14 + 24/7 + 5+6+7+8+9)/9 = 577/126
     *   sum X_k A_{k-1} = (9/14 + 12/7 + 3+4+5+6+7+8)/9    = 495/126
     *   ACE = 82/126 = 41/63. */
    sg_assert_near(run_family(k, sg__family_centralization, "absolute_centralization"), 41.0 / 63.0, 1e-14);
    /* RCE, same order, cumulative x = 60 90 120 140 ..., cumulative y = 40 110 180 260 360 460 560 660 760:
     *   sum x_{k-1} y_k = 6600+16200+31200+50400+64400+78400+92400+106400 = 446000
     *   sum x_k y_{k-1} = 3600+13200+25200+36400+50400+64400+78400+92400  = 364000
     *   RCE = 82000 / (140 * 760) = 205/266. */
    sg_assert_near(run_family(k, sg__family_centralization, "relative_centralization"), 205.0 / 266.0, 1e-14);

    /* Morrill: |p_i - p_j| over the 20 queen pairs:
     *   horizontal a-b .3, b-c .3, d-e .1, e-f .2 (g-h, h-k 0)       = 0.9
     *   vertical   a-d .3, d-g .3, b-e .1, e-h .2 (c-f, f-k 0)       = 0.9
     *   diagonal   a-e .4, b-f .3, c-e .2, d-h .3, e-g .2, e-k .2    = 1.6 (b-d, f-h 0)
     *   SD = D - 3.4/20 = 25/38 - 0.17. */
    sg_assert_near(run_family(k, sg__family_spatial_evenness, "spatial_dissimilarity"), D - 0.17, 1e-14);
    /* Wong D(w), rook pairs of 1000 m, standardised by row (1/degree):
     *   a (.3+.3)/2, b (.3+.3+.1)/3, c .3/2, d (.3+.1+.3)/3, e (.1+.1+.2+.2)/4,
     *   f .2/3, g .3/2, h .2/3, k 0  -> sum 1.35 over sum c = 9 rows:
     *   BSD = D - 0.15. */
    sg_assert_near(run_family(k, sg__family_spatial_evenness, "boundary_spatial_dissimilarity"), D - 0.15, 1e-14);
    /* D(s): b_ij / (24 * 1000) with equal P/A (the ratio term is 1):
     *   2 * 1.8 (the 12 rook contrasts) / 24 = 0.15. */
    sg_assert_near(run_family(k, sg__family_spatial_evenness, "perimeter_area_spatial_dissimilarity"), D - 0.15,
                   1e-14);
    /* Equal areas: the concentration indices are 0/0 and not reported. */
    assert_true(isnan(run_family(k, sg__family_concentration, "absolute_concentration")));
    assert_diag(k->ctx, "W_UNDEFINED", "absolute_concentration");
    city_free(k);
}

/* ---- the sparse kernel against the dense definitions ---- */
typedef struct five {
    double acl, rcl, sp, ddx, ddy;
} five;

/* Massey-Denton and Morgan with c_ij = exp(-d_ij/h) over every pair (dense,
 * no cut-off), on a grid whose geometry is known: centroids at the cell
 * centres, areas cell². Written from the formulas, independently of
 * index_clustering.c. */
static five dense_exact(size_t nc, size_t nr, double cell, double h, const double *x, const double *t) {
    size_t n = nc * nr;
    double X = 0, T = 0, S = 0;
    for (size_t i = 0; i < n; i++) {
        X += x[i];
        T += t[i];
    }
    double Y = T - X, ax = 0, at = 0, pxx = 0, pyy = 0, ptt = 0, ddx = 0, ddy = 0;
    for (size_t i = 0; i < n; i++) {
        double cxi = 0, cyi = 0, cti = 0;
        for (size_t j = 0; j < n; j++) {
            double dx = cell * ((double)(i % nc) - (double)(j % nc)), dy = cell * ((double)(i / nc) - (double)(j / nc));
            double c = i == j ? exp(-sqrt(0.6 * cell * cell) / h) : exp(-sqrt(dx * dx + dy * dy) / h);
            S += c;
            cxi += c * x[j];
            cyi += c * (t[j] - x[j]);
            cti += c * t[j];
            pxx += x[i] * x[j] * c;
            pyy += (t[i] - x[i]) * (t[j] - x[j]) * c;
            ptt += t[i] * t[j] * c;
        }
        ax += x[i] / X * cxi;
        at += x[i] / X * cti;
        ddx += x[i] / X * cxi / cti; /* K_ij = c_ij t_j / sum_l c_il t_l */
        ddy += x[i] / X * cyi / cti;
    }
    double nn = (double)n * (double)n;
    pxx /= X * X;
    pyy /= Y * Y;
    ptt /= T * T;
    return (five){(ax - X / nn * S) / (at - X / nn * S), pxx / pyy - 1, (X * pxx + Y * pyy) / (T * ptt), ddx, ddy};
}

static five clustering_of(city *k) {
    sg_result res = {0};
    res.n = k->n;
    assert_int_equal(sg__family_clustering(k->ctx, &k->d, &res), SG_OK);
    five f = {sg__result_get(&res, "absolute_clustering")->value, sg__result_get(&res, "relative_clustering")->value,
              sg__result_get(&res, "spatial_proximity")->value,
              sg__result_get(&res, "distance_decay_isolation")->value,
              sg__result_get(&res, "distance_decay_exposure")->value};
    sg__result_free(&res);
    return f;
}

static void uneven_counts(city *k) {
    for (size_t i = 0; i < k->n; i++) {
        k->t[i] = 100 + (double)((i * 37) % 50);
        k->x[i] = floor(k->t[i] * (double)((i * 7919 + (i / 7) * 31) % 100) / 100.0);
    }
}

/* Absolute tolerance: ACL and RCL are small differences of large sums. */
static void assert_five_near(five got, five want, double tol) {
    const double g[5] = {got.acl, got.rcl, got.sp, got.ddx, got.ddy}, w[5] = {want.acl, want.rcl, want.sp, want.ddx,
                                                                            want.ddy};
    const char *name[5] = {"ACL", "RCL", "SP", "DDxPx", "DDxPy"};
    for (int k = 0; k < 5; k++) {
        print_message("%-6s sparse %.17g  dense %.17g  |diff| %.3g\n", name[k], g[k], w[k], fabs(g[k] - w[k]));
        if (!(fabs(g[k] - w[k]) <= tol)) fail_msg("%s differs by %.3g > %g", name[k], fabs(g[k] - w[k]), tol);
    }
}

/* A small city (8 x 8 cells of 500 m, h = 1000 m): every pair is within the
 * cut-off (5 km < 13.8 km), so the sparse kernel is the dense one. */
static void kernel_cutoff_equals_dense_on_small_city(void **state) {
    (void)state;
    city *k = grid_city(8, 8, 500);
    uneven_counts(k);
    build(k);
    assert_int_equal(kernel_pairs(k), 64 * 63 / 2);
    assert_five_near(clustering_of(k), dense_exact(8, 8, 500, 1000, k->x, k->t), 1e-9);
    city_free(k);
}

/* A city wider than the cut-off (20 x 20 cells of 500 m, h = 500 m, cut-off
 * 6.9 km < 13.4 km diagonal): pairs are dropped, each with c < 1e-6. The
 * dropped mass is about 1e-5 of a row sum, and the indices move by about
 * 1e-7 (absolute; measured at most 1.5e-7, on SP). */
static void kernel_cutoff_close_to_dense_on_wider_city(void **state) {
    (void)state;
    city *k = grid_city(20, 20, 500);
    uneven_counts(k);
    k->o.decay_bandwidth = 500;
    build(k);
    assert_true(kernel_pairs(k) < 400 * 399 / 2);
    assert_five_near(clustering_of(k), dense_exact(20, 20, 500, 500, k->x, k->t), 1e-6);
    city_free(k);
}

/* The PySAL kernel: row i is 1 - exp(-d_ij/S_j) with S_j the sum of column
 * j's distances, the diagonal 1 - exp(-sqrt(0.6 a)); dense and row-by-row
 * paths agree. */
static void pysal_kernel_matrix(void **state) {
    (void)state;
    city *k = grid_city(3, 3, CELL);
    k->o.distance_kernel_pysal = 1;
    build(k);
    const sg_spatial *sp = k->d.sp;
    assert_non_null(sp->dense);
    /* S for a corner: 1000 * (2 + 2 sqrt2 + 2*2 + 2 sqrt5 + 2 sqrt2) ... computed from the geometry. */
    double S0 = 0;
    for (size_t j = 0; j < 9; j++) S0 += CELL * hypot((double)(j % 3), (double)(j / 3));
    sg_assert_near(sp->colsum[0], S0, 1e-14);
    double row[9];
    const double *r4 = sg__pysal_kernel_row(sp, 4, row);
    sg_assert_near(r4[0], 1 - exp(-CELL * sqrt(2) / S0), 1e-14);
    sg_assert_near(r4[4], 1 - exp(-sqrt(0.6e6)), 1e-15);
    /* Without the dense matrix: the same row. */
    double *dense = sp->dense;
    ((sg_spatial *)sp)->dense = NULL;
    const double *r4b = sg__pysal_kernel_row(sp, 4, row);
    for (size_t j = 0; j < 9; j++) sg_assert_near(r4b[j], dense[4 * 9 + j], 1e-15);
    ((sg_spatial *)sp)->dense = dense;
    /* Over the size limit: a usage error before any geometry is touched. */
    city *big = grid_city(1, 1, CELL);
    big->o.distance_kernel_pysal = 1;
    big->d.n = SG_PYSAL_KERNEL_MAX_N + 1;
    assert_int_equal(sg__spatial_build(big->ctx, &big->d, &big->d.sp), SG_ERR_USAGE);
    assert_null(big->d.sp);
    assert_non_null(strstr(sg_ctx_last_error(big->ctx), "20000"));
    big->d.n = 1;
    city_free(big);
    city_free(k);
}

/* ---- spatial proximity profile against Floyd-Warshall ---- */
static double spp_floyd(const sg_spatial *sp, const double *x, const double *t, size_t n) {
    double *dl = malloc(n * n * sizeof *dl);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++) dl[i * n + j] = i == j ? 0 : INFINITY;
    for (size_t i = 0; i < n; i++)
        for (size_t e = sp->queen.off[i]; e < sp->queen.off[i + 1]; e++) dl[i * n + sp->queen.nb[e]] = 1;
    for (size_t m = 0; m < n; m++)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                if (dl[i * n + m] + dl[m * n + j] < dl[i * n + j]) dl[i * n + j] = dl[i * n + m] + dl[m * n + j];
    double X = 0, T = 0, below = 0, above = 0;
    for (size_t i = 0; i < n; i++) {
        X += x[i];
        T += t[i];
    }
    double P = X / T;
    for (int g = 0; g < 1000; g++) {
        double theta = g == 999 ? 1.0 : g * (1.0 / 999), k = 0, den = 0;
        for (size_t i = 0; i < n; i++) {
            if (!(x[i] / t[i] >= theta)) continue;
            k++;
            for (size_t j = 0; j < n; j++)
                if (x[j] / t[j] >= theta) den += dl[i * n + j];
        }
        double eta = (k * k - k) / den;
        if (!isfinite(eta)) eta = 0;
        if (theta < P) below += eta;
        else above += eta;
    }
    free(dl);
    return (P - (below / 1000 - above / 1000)) / (1 - P);
}

static void spp_matches_floyd_warshall(void **state) {
    (void)state;
    city *k = grid_city(5, 4, CELL);
    uneven_counts(k);
    build(k);
    double got = run_family(k, sg__family_spatial_proximity_profile, "spatial_proximity_profile");
    sg_assert_near(got, spp_floyd(k->d.sp, k->x, k->t, k->n), 1e-12);
    city_free(k);
}

/* ---- distortion against a plain implementation ---- */
typedef struct dj {
    double d;
    size_t j;
} dj;
static int cmp_dj(const void *a, const void *b) {
    const dj *x = a, *y = b;
    return x->d < y->d ? -1 : x->d > y->d ? 1 : (x->j > y->j) - (x->j < y->j);
}

/* A 20 x 20 grid: 400 districts, so seggap takes its radix-sort path, and
 * many tied distances (broken by input order in both). */
static void distortion_matches_plain_sort(void **state) {
    (void)state;
    city *k = grid_city(20, 20, 500);
    uneven_counts(k);
    build(k);
    sg_result res = {0};
    res.n = k->n;
    assert_int_equal(sg__family_distortion(k->ctx, &k->d, &res), SG_OK);
    double *col = sg__result_column(&res, "local_distortion");
    double X = 0, T = 0, glob = 0;
    for (size_t i = 0; i < k->n; i++) {
        X += k->x[i];
        T += k->t[i];
    }
    double P[2] = {X / T, (T - X) / T};
    dj *o = malloc(k->n * sizeof *o);
    for (size_t i = 0; i < k->n; i++) {
        for (size_t j = 0; j < k->n; j++) o[j] = (dj){sg__centroid_dist(k->d.sp, i, j), j};
        qsort(o, k->n, sizeof *o, cmp_dj);
        double c[2] = {0, 0}, sum = 0;
        for (size_t s = 0; s < k->n; s++) {
            c[0] += k->x[o[s].j];
            c[1] += k->t[o[s].j] - k->x[o[s].j];
            for (int g = 0; g < 2; g++) {
                double q = c[g] / (c[0] + c[1]);
                if (q > 0) sum += q * log(q / P[g]);
            }
        }
        sg_assert_near(col[i], sum, 1e-12);
        glob += k->t[i] * sum;
    }
    free(o);
    sg_assert_near(sg__result_get(&res, "global_distortion")->value, glob / T, 1e-12);
    sg__result_free(&res);
    city_free(k);
}

/* Local distortion of every district by a plain qsort, as PySAL orders them. */
static void plain_distortion(city *k, double *loc) {
    double X = 0, T = 0;
    for (size_t i = 0; i < k->n; i++) {
        X += k->x[i];
        T += k->t[i];
    }
    double P[2] = {X / T, (T - X) / T};
    dj *o = malloc(k->n * sizeof *o);
    for (size_t i = 0; i < k->n; i++) {
        for (size_t j = 0; j < k->n; j++) o[j] = (dj){sg__centroid_dist(k->d.sp, i, j), j};
        qsort(o, k->n, sizeof *o, cmp_dj);
        double c[2] = {0, 0}, sum = 0;
        for (size_t s = 0; s < k->n; s++) {
            c[0] += k->x[o[s].j];
            c[1] += k->t[o[s].j] - k->x[o[s].j];
            for (int g = 0; g < 2; g++) {
                double q = c[g] / (c[0] + c[1]);
                if (q > 0) sum += q * log(q / P[g]);
            }
        }
        loc[i] = sum;
    }
    free(o);
}

/* Issue 18: the distortion sort (buckets, then each bucket by (distance,
 * index)) and the threads. Centroids moved by a few nanometres so that many
 * distances differ only in their last bits (same bucket, order decided by
 * the full comparison) while others stay exactly tied (decided by index);
 * the sums match a plain qsort, and 1 and 2 threads give the same bits, for
 * distortion and for the spatial proximity profile. */
static void quadratic_families_exact_on_any_thread_count(void **state) {
    (void)state;
    city *k = grid_city(30, 24, 500);
    uneven_counts(k);
    build(k);
    for (size_t i = 0; i < k->n; i += 3) k->d.sp->cx[i] += 1e-9 * (double)(i % 5);
    double *plain = malloc(k->n * sizeof *plain), *loc[2], glob[2], spp[2];
    plain_distortion(k, plain);
    for (int t = 0; t < 2; t++) {
        k->o.threads = t + 1;
        sg_result res = {0};
        res.n = k->n;
        assert_int_equal(sg__family_distortion(k->ctx, &k->d, &res), SG_OK);
        loc[t] = malloc(k->n * sizeof *loc[t]);
        memcpy(loc[t], sg__result_column(&res, "local_distortion"), k->n * sizeof *loc[t]);
        glob[t] = sg__result_get(&res, "global_distortion")->value;
        sg__result_free(&res);
        spp[t] = run_family(k, sg__family_spatial_proximity_profile, "spatial_proximity_profile");
    }
    for (size_t i = 0; i < k->n; i++) sg_assert_near(loc[0][i], plain[i], 1e-12);
    assert_memory_equal(loc[0], loc[1], k->n * sizeof *loc[0]);
    assert_memory_equal(&glob[0], &glob[1], sizeof glob[0]);
    assert_memory_equal(&spp[0], &spp[1], sizeof spp[0]);
    free(plain);
    free(loc[0]);
    free(loc[1]);
    city_free(k);
}

/* Above their size limits the O(N²) families are skipped with W_SKIPPED
 * (and leave no column), whatever --indices says: nothing quadratic runs. */
static void quadratic_families_skipped_above_their_limit(void **state) {
    (void)state;
    size_t side = 1;
    while (side * side <= SG_DISTORTION_MAX_N || side * side <= SG_SPP_MAX_N) side++;
    city *k = grid_city(side, side, 100);
    build(k);
    sg_result res = {0};
    res.n = k->n;
    assert_int_equal(sg__family_distortion(k->ctx, &k->d, &res), SG_OK);
    assert_int_equal(sg__family_spatial_proximity_profile(k->ctx, &k->d, &res), SG_OK);
    assert_null(sg__result_get(&res, "global_distortion"));
    assert_null(sg__result_get(&res, "spatial_proximity_profile"));
    assert_null(sg__res_col(&res, "local_distortion"));
    assert_diag(k->ctx, "W_SKIPPED", "global_distortion and local_distortion skipped", "computed up to");
    assert_diag(k->ctx, "W_SKIPPED", "spatial_proximity_profile skipped", "computed up to");
    sg__result_free(&res);
    city_free(k);
}

/* ---- through sg_analyze: islands, centre options, usage errors ---- */
typedef struct fixture {
    sg_ctx *ctx;
    char *dir, *path;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->ctx = sg_ctx_create();
    f->dir = sg_test_tmpdir();
    f->path = sg_test_path(f->dir, "grid.gpkg");
    *state = f;
    return 0;
}
static int teardown(void **state) {
    fixture *f = *state;
    sg_ctx_destroy(f->ctx);
    sg_test_rmdir(f->dir);
    free(f->path);
    free(f);
    return 0;
}

/* The 3 x 3 grid with the header's counts, plus `extra` more squares at cell
 * (c, r) given in extra_cr, each with t = 100, x = 0. */
static void write_grid(fixture *f, const int (*extra_cr)[2], size_t extra) {
    fx_row rows[12];
    char wkt[12][256], id[12][32], xs[12][16];
    size_t n = 0;
    for (int i = 0; i < 9; i++) {
        double x = X0 + CELL * (i % 3), y = Y0 + CELL * (i / 3);
        snprintf(wkt[n], 256, "POLYGON((%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f))", x, y, x + CELL, y,
                 x + CELL, y + CELL, x, y + CELL, x, y);
        snprintf(id[n], 32, "%c", "abcdefghk"[i]);
        snprintf(xs[n], 16, "%d", (int)PATTERN[i]);
        rows[n] = (fx_row){wkt[n], id[n], "100", xs[n]};
        n++;
    }
    for (size_t e = 0; e < extra; e++) {
        double x = X0 + CELL * extra_cr[e][0], y = Y0 + CELL * extra_cr[e][1];
        snprintf(wkt[n], 256, "POLYGON((%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f))", x, y, x + CELL, y,
                 x + CELL, y + CELL, x, y + CELL, x, y);
        snprintf(id[n], 32, "extra%zu", e);
        rows[n] = (fx_row){wkt[n], id[n], "100", "0"};
        n++;
    }
    fx_write(f->path, "GPKG", 32633, rows, n, 1);
}

static sg_status analyze(fixture *f, sg_run **run, const char *o1, const char *v1, const char *o2, const char *v2) {
    const char *args[] = {"--districts", f->path, "--id", "id", "--total", "total", "--group", "group",
                          "--out", f->dir, "--quiet", o1, v1, o2, v2, NULL};
    return sg_test_analyze(f->ctx, run, args);
}

static double index_of(sg_run *run, const char *name) {
    double v = NAN;
    if (!sg_run_index(run, name, &v)) fail_msg("index %s not reported", name);
    return v;
}

/* A detached square (extra0, at cell (10, 10)) and one touching k only at a
 * corner (extra1, cell (3, 3)). Both are listed; the detached one adds no
 * pair, the corner one adds one queen pair (contrast 0) and a zero row of
 * boundary weights:
 *   SD  = D - 3.4/21 (21 queen pairs),  BSD = D - 1.35/9 (9 rows with a boundary),
 *   PARD = D - 3.6/24 (the boundary total is unchanged). */
static void islands_are_reported_and_handled(void **state) {
    fixture *f = *state;
    const int extra[2][2] = {{10, 10}, {3, 3}};
    write_grid(f, extra, 2);
    sg_run *run = NULL;
    sg_status st = analyze(f, &run, NULL, NULL, NULL, NULL);
    if (st != SG_OK) print_error("%s\n", sg_ctx_last_error(f->ctx));
    assert_int_equal(st, SG_OK);
    assert_diag(f->ctx, "W_ISLAND", "1 district ", "'extra0'", "islands");
    assert_diag(f->ctx, "W_ISLAND", "1 district ", "'extra1'", "points only");
    double D = index_of(run, "dissimilarity");
    /* X = 140, Y = 960: D = 1/2 (|60/140 - 40/960| + 2 |30/140 - 70/960| + |20/140 - 80/960|
     * + 7 * 100/960) = 7 * 100/960 (the positive parts equal the negative ones). */
    sg_assert_near(D, 700.0 / 960.0, 1e-14);
    sg_assert_near(index_of(run, "spatial_dissimilarity"), D - 3.4 / 21, 1e-14);
    sg_assert_near(index_of(run, "boundary_spatial_dissimilarity"), D - 1.35 / 9, 1e-14);
    sg_assert_near(index_of(run, "perimeter_area_spatial_dissimilarity"), D - 3.6 / 24, 1e-14);
    /* The proximity profile: an island makes every set that holds it and
     * another district infinitely spread (eta = 0); still defined. */
    assert_true(isfinite(index_of(run, "spatial_proximity_profile")));
    sg_run_destroy(run);
}

/* Centre of the centralization indices from the summary's detail string. */
static void centre_of(sg_run *run, double *x, double *y, const char *must_contain) {
    json_object *sum = json_tokener_parse(sg_run_summary_json(run)), *ind, *ace, *det;
    assert_true(json_object_object_get_ex(sum, "indices", &ind));
    assert_true(json_object_object_get_ex(ind, "absolute_centralization", &ace));
    assert_true(json_object_object_get_ex(ace, "detail", &det));
    const char *s = json_object_get_string(det);
    print_message("detail: %s\n", s);
    assert_int_equal(sscanf(s, "centre (%lf, %lf)", x, y), 2);
    assert_non_null(strstr(s, must_contain));
    json_object_put(sum);
}

static void centre_options(void **state) {
    fixture *f = *state;
    write_grid(f, NULL, 0);
    double cx, cy;
    sg_run *run = NULL;
    /* Default: the mean of the centroids, the centre of e; ties in distance
     * are broken by input order (e, b, d, f, h, a, c, g, k). */
    assert_int_equal(analyze(f, &run, NULL, NULL, NULL, NULL), SG_OK);
    centre_of(run, &cx, &cy, "unweighted mean of the 9 district centroids");
    sg_assert_near(cx, X0 + 1500, 1e-12);
    sg_assert_near(cy, Y0 + 1500, 1e-12);
    sg_run_destroy(run);
    /* --centre in the input CRS (here also the working CRS): the grid test's values. */
    assert_int_equal(analyze(f, &run, "--centre", "500100,5800300", NULL, NULL), SG_OK);
    centre_of(run, &cx, &cy, "--centre");
    sg_assert_near(cx, X0 + 100, 1e-12);
    sg_assert_near(index_of(run, "absolute_centralization"), 41.0 / 63.0, 1e-14);
    sg_assert_near(index_of(run, "relative_centralization"), 205.0 / 266.0, 1e-14);
    sg_run_destroy(run);
    /* --centre-district a. */
    assert_int_equal(analyze(f, &run, "--centre-district", "a", NULL, NULL), SG_OK);
    centre_of(run, &cx, &cy, "district 'a'");
    sg_assert_near(cx, X0 + 500, 1e-12);
    sg_assert_near(cy, Y0 + 500, 1e-12);
    sg_run_destroy(run);
    /* Reprojected (working CRS EPSG:3035): --centre at a's centroid in the
     * input CRS lands within centimetres of a's centroid in the working CRS
     * (the centroid of a reprojected square is not exactly the reprojected
     * centroid). */
    double ax, ay;
    assert_int_equal(analyze(f, &run, "--centre-district", "a", "--work-crs", "EPSG:3035"), SG_OK);
    centre_of(run, &ax, &ay, "EPSG:3035");
    sg_run_destroy(run);
    assert_int_equal(analyze(f, &run, "--centre", "500500,5800500", "--work-crs", "EPSG:3035"), SG_OK);
    centre_of(run, &cx, &cy, "in the input CRS");
    assert_true(fabs(cx - ax) < 0.05 && fabs(cy - ay) < 0.05);
    assert_true(fabs(cx - (X0 + 500)) > 1000); /* really transformed */
    sg_run_destroy(run);
    /* An unknown district is a usage error. */
    assert_int_equal(analyze(f, &run, "--centre-district", "nope", NULL, NULL), SG_ERR_USAGE);
    assert_diag(f->ctx, "E_CENTRE_DISTRICT", "'nope'");
}

static void spatial_usage_errors(void **state) {
    fixture *f = *state;
    write_grid(f, NULL, 0);
    sg_run *run = NULL;
    static const char *bad[][4] = {
        {"--centre", "1,2,3", NULL, NULL},
        {"--centre", "abc,5", NULL, NULL},
        {"--centre", "12,5 ; 3", NULL, NULL},
        {"--centre", "1,2", "--centre-district", "a"},
        {"--decay-bandwidth", "0", NULL, NULL},
        {"--decay-bandwidth", "-5", NULL, NULL},
        {"--decay-bandwidth", "1 000", NULL, NULL},
        {"--distance-kernel", "gauss", NULL, NULL},
        {"--distance-kernel", "pysal", "--decay-bandwidth", "500"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        sg_ctx_clear(f->ctx);
        assert_int_equal(analyze(f, &run, bad[k][0], bad[k][1], bad[k][2], bad[k][3]), SG_ERR_USAGE);
        assert_null(run);
        assert_int_equal(sg_status_exit_code(SG_ERR_USAGE), 2);
    }
    /* The options appear in the usage text. */
    const char *u = sg_options_usage();
    assert_non_null(strstr(u, "--centre X,Y"));
    assert_non_null(strstr(u, "--centre-district ID"));
    assert_non_null(strstr(u, "--decay-bandwidth M"));
    assert_non_null(strstr(u, "--distance-kernel K"));
}

/* The per-district local distortion is written to the layer, and the global
 * is its population-weighted mean. */
static void distortion_column_and_global(void **state) {
    fixture *f = *state;
    write_grid(f, NULL, 0);
    sg_run *run = NULL;
    assert_int_equal(analyze(f, &run, NULL, NULL, NULL, NULL), SG_OK);
    GDALDatasetH ds = GDALOpenEx(sg_run_districts_path(run), GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH lyr = GDALDatasetGetLayer(ds, 0);
    int fld = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(lyr), "local_distortion");
    assert_true(fld >= 0);
    double sum = 0;
    int nf = 0;
    OGRFeatureH ft;
    while ((ft = OGR_L_GetNextFeature(lyr)) != NULL) {
        double v = OGR_F_GetFieldAsDouble(ft, fld);
        assert_true(v > 0);
        sum += 100 * v;
        nf++;
        OGR_F_Destroy(ft);
    }
    GDALClose(ds);
    assert_int_equal(nf, 9);
    sg_assert_near(index_of(run, "global_distortion"), sum / 900, 1e-12);
    sg_run_destroy(run);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grid_weights_and_geometry),
        cmocka_unit_test(grid_hand_computed_indices),
        cmocka_unit_test(kernel_cutoff_equals_dense_on_small_city),
        cmocka_unit_test(kernel_cutoff_close_to_dense_on_wider_city),
        cmocka_unit_test(pysal_kernel_matrix),
        cmocka_unit_test(spp_matches_floyd_warshall),
        cmocka_unit_test(distortion_matches_plain_sort),
        cmocka_unit_test(quadratic_families_exact_on_any_thread_count),
        cmocka_unit_test(quadratic_families_skipped_above_their_limit),
        cmocka_unit_test_setup_teardown(islands_are_reported_and_handled, setup, teardown),
        cmocka_unit_test_setup_teardown(centre_options, setup, teardown),
        cmocka_unit_test_setup_teardown(spatial_usage_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(distortion_column_and_global, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The lattice path of the exp kernel (spatial/kernel_lattice.c) against the
 * pair pass of kernel.c (the exact O(N k) sum, itself checked against brute
 * force in test_spatial_fast.c):
 *
 *  - row sums (t = 1) and the products C x, C y, C t within 1e-9 relative and
 *    within the stated error bound, on lattices with holes, rectangles whose
 *    sides are not powers of two, a single row, unequal spacings, with
 *    h / spacing from 0.5 to 40, with the cut-off and with exp-exact; the same
 *    pair count and sum of c; 1, 2, 3 threads bit for bit;
 *  - the five clustering indices within 1e-9 of the pair pass, and of
 *    --distance-kernel exp-exact where the cut-off drops nothing;
 *  - detection: not on an almost-lattice (one centroid moved by 0.37 m, or by
 *    2e-6 m or 30 m), nor with two districts on one lattice point; the result is then
 *    the pair pass's, checked against a brute-force sum;
 *  - cancellation is still checked. */
#include "test_support.h"
#include "indices/indices.h"

#define X0 500000.0
#define Y0 5800000.0

typedef struct city {
    sg_ctx *ctx;
    size_t n, cap;
    GEOSGeometry **g;
    char **ids;
    sg_city c;
    size_t *index;
    double *x, *t;
    struct sg_options o;
    sg_data d;
} city;

static void city_add(city *k, double x0, double y0, double x1, double y1) {
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 64;
        k->g = realloc(k->g, k->cap * sizeof *k->g);
        k->ids = realloc(k->ids, k->cap * sizeof *k->ids);
    }
    GEOSContextHandle_t h = sg__geos(k->ctx);
    GEOSCoordSequence *s = GEOSCoordSeq_create_r(h, 5, 2);
    const double xy[10] = {x0, y0, x1, y0, x1, y1, x0, y1, x0, y0};
    for (unsigned q = 0; q < 5; q++) GEOSCoordSeq_setXY_r(h, s, q, xy[2 * q], xy[2 * q + 1]);
    k->g[k->n] = GEOSGeom_createPolygon_r(h, GEOSGeom_createLinearRing_r(h, s), NULL, 0);
    assert_non_null(k->g[k->n]);
    k->ids[k->n] = malloc(32);
    snprintf(k->ids[k->n], 32, "d%zu", k->n);
    k->n++;
}

/* A lattice of nx x ny cells of dx x dy m (squares filling the cell), the
 * cells with (3 i + 7 j) % 11 == 0 and a 4 x 3 block missing when holes;
 * district `moved` (or none: (size_t)-1) shifted by `shift` m in x. */
static city *lattice_city(size_t nx, size_t ny, double dx, double dy, int holes, double h, int exact, size_t moved,
                          double shift) {
    city *k = calloc(1, sizeof *k);
    k->ctx = sg_ctx_create();
    k->o.decay_bandwidth = h;
    k->o.distance_kernel_exact = exact;
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i < nx; i++) {
            if (holes && ((3 * i + 7 * j) % 11 == 0 || (i >= 5 && i < 9 && j >= 2 && j < 5))) continue;
            double s = k->n == moved ? shift : 0;
            double x = X0 + (double)i * dx + s, y = Y0 + (double)j * dy;
            city_add(k, x, y, x + dx, y + dy);
        }
    k->index = calloc(k->n, sizeof *k->index);
    k->x = calloc(k->n, sizeof *k->x);
    k->t = calloc(k->n, sizeof *k->t);
    for (size_t i = 0; i < k->n; i++) {
        k->index[i] = i;
        k->t[i] = 100 + (double)((i * 37) % 50);
        k->x[i] = floor(k->t[i] * (double)((i * 7919 + (i / 7) * 31) % 100) / 100.0);
    }
    k->c.n = k->n;
    k->c.id = k->ids;
    k->d = (sg_data){.n = k->n, .index = k->index, .x = k->x, .t = k->t, .geom = (const GEOSGeometry *const *)k->g,
                     .city = &k->c, .opts = &k->o,
                     .spatial_skip = SG_SP_SKIP_CONTIG | SG_SP_SKIP_POINTS | SG_SP_SKIP_CENTRE};
    sg_status st = sg__spatial_build(k->ctx, &k->d, &k->d.sp);
    if (st != SG_OK) print_error("build: %s\n", sg_ctx_last_error(k->ctx));
    assert_int_equal(st, SG_OK);
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

/* Both paths available: the lattice path (forced) in *lat, the pair pass's
 * grid in sp->kgrid; sp->klat is left NULL (the pair pass runs). Returns 0
 * when the lattice was not detected. */
static int both_paths(city *k, struct sg_klat **lat) {
    sg_spatial *sp = k->d.sp;
    *lat = sp->klat;
    sp->klat = NULL;
    if (!*lat) assert_int_equal(sg__klat_build(k->ctx, sp, sp->h, sp->kcut, 1, 1, lat), SG_OK);
    if (!sp->kgrid)
        assert_int_equal(sg__kgrid_build(k->ctx, sp, sp->h, sp->kcut, 1, SG_KERNEL_STORE_BYTES, &sp->kgrid), SG_OK);
    return *lat != NULL;
}

typedef struct prod {
    double *cx, *cy, *ct, ksum;
    size_t np;
} prod;

static prod products(city *k, int threads) {
    size_t n = k->n;
    prod p = {malloc(n * sizeof(double)), malloc(n * sizeof(double)), malloc(n * sizeof(double)), 0, 0};
    sg_status st = sg__kernel_exp_products(k->ctx, k->d.sp, k->x, k->t, threads, p.cx, p.cy, p.ct, &p.ksum, &p.np);
    if (st != SG_OK) print_error("products: %s\n", sg_ctx_last_error(k->ctx));
    assert_int_equal(st, SG_OK);
    return p;
}

static void prod_free(prod *p) {
    free(p->cx);
    free(p->cy);
    free(p->ct);
}

static double norm2(const double *v, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += v[i] * v[i];
    return sqrt(s);
}

/* got against want (the pair pass) for one product: within 1e-9 relative and
 * within the stated bound b2 ||v||_2 + SG_KLAT_DEV want (v >= 0). Returns the
 * largest relative error. */
static double check_product(const double *got, const double *want, size_t n, double b2, double nv,
                            const char *what) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double err = fabs(got[i] - want[i]), rel = err / fabs(want[i]);
        if (!(err <= b2 * nv + SG_KLAT_DEV * fabs(want[i])))
            fail_msg("%s[%zu] = %.17g, pair pass %.17g: beyond the stated bound %.3g", what, i, got[i], want[i],
                     b2 * nv + SG_KLAT_DEV * fabs(want[i]));
        if (!(rel <= 1e-9)) fail_msg("%s[%zu] = %.17g, pair pass %.17g: %.3g relative", what, i, got[i], want[i], rel);
        if (rel > worst) worst = rel;
    }
    return worst;
}

static void compare_paths(city *k, const char *name) {
    struct sg_klat *lat;
    if (!both_paths(k, &lat)) fail_msg("%s: the lattice was not detected", name);
    sg_spatial *sp = k->d.sp;
    size_t n = k->n;
    double dx, dy, dev, b2;
    size_t px, py;
    sg__klat_info(lat, &dx, &dy, &px, &py, &dev, &b2);
    double *y = malloc(n * sizeof *y);
    for (int rows = 0; rows < 2; rows++) {
        if (rows)
            for (size_t i = 0; i < n; i++) { /* C t = the row sums; x a share of t */
                k->t[i] = 1;
                k->x[i] = (double)((i * 7919) % 100) / 100.0;
            }
        for (size_t i = 0; i < n; i++) y[i] = k->t[i] - k->x[i];
        prod a = products(k, 1);
        sp->klat = lat;
        prod b = products(k, 1);
        double w = check_product(b.cx, a.cx, n, b2, norm2(k->x, n), "cx");
        w = fmax(w, check_product(b.cy, a.cy, n, b2, norm2(y, n), "cy"));
        /* C t = C x + C y on the lattice path: the bound of the sum */
        w = fmax(w, check_product(b.ct, a.ct, n, b2, norm2(k->x, n) + norm2(y, n), rows ? "row sum" : "ct"));
        print_message("%s%s: %zu districts, %zu x %zu FFT, %zu pairs, worst %.2g relative (bound %.2g ||v||)\n",
                      name, rows ? " (row sums)" : "", n, px, py, b.np, w, b2);
        assert_int_equal(b.np, a.np);
        sg_assert_near(b.ksum, a.ksum, 1e-12);
        for (int th = 2; th <= 3; th++) { /* bit for bit whatever the threads */
            prod c = products(k, th);
            assert_memory_equal(c.cx, b.cx, n * sizeof *c.cx);
            assert_memory_equal(c.cy, b.cy, n * sizeof *c.cy);
            assert_memory_equal(c.ct, b.ct, n * sizeof *c.ct);
            assert_memory_equal(&c.ksum, &b.ksum, sizeof c.ksum);
            prod_free(&c);
        }
        sp->klat = NULL;
        prod_free(&a);
        prod_free(&b);
    }
    free(y);
    sp->klat = lat; /* freed with sp */
}

static void lattice_row_sums(void **state) {
    (void)state;
    static const double ratio[] = {0.5, 1, 2.5, 10, 40};
    char name[96];
    for (size_t r = 0; r < sizeof ratio / sizeof *ratio; r++) {
        city *k = lattice_city(37, 23, 100, 100, 1, 100 * ratio[r], 0, (size_t)-1, 0);
        snprintf(name, sizeof name, "37 x 23 with holes, h = %g dx", ratio[r]);
        compare_paths(k, name);
        city_free(k);
    }
    struct {
        size_t nx, ny;
        double dx, dy, h;
        int holes, exact;
    } c[] = {{41, 29, 100, 80, 300, 1, 0}, {50, 1, 100, 100, 1000, 0, 0}, {23, 19, 100, 100, 150, 1, 1},
             {33, 17, 250, 250, 10000, 1, 1}, {64, 64, 100, 100, 4000, 0, 0}};
    for (size_t q = 0; q < sizeof c / sizeof *c; q++) {
        city *k = lattice_city(c[q].nx, c[q].ny, c[q].dx, c[q].dy, c[q].holes, c[q].h, c[q].exact, (size_t)-1, 0);
        snprintf(name, sizeof name, "%zu x %zu of %g x %g m%s, h = %g%s", c[q].nx, c[q].ny, c[q].dx, c[q].dy,
                 c[q].holes ? " with holes" : "", c[q].h, c[q].exact ? ", exp-exact" : "");
        compare_paths(k, name);
        city_free(k);
    }
}

typedef struct five {
    double v[5];
} five;

static five clustering_of(city *k) {
    static const char *names[5] = {"absolute_clustering", "relative_clustering", "spatial_proximity",
                                   "distance_decay_isolation", "distance_decay_exposure"};
    sg_result res = {0};
    res.n = k->n;
    assert_int_equal(sg__family_clustering(k->ctx, &k->d, &res), SG_OK);
    five f;
    for (int q = 0; q < 5; q++) f.v[q] = sg__result_get(&res, names[q])->value;
    sg__result_free(&res);
    return f;
}

static void assert_five(five a, five b, const char *what) {
    for (int q = 0; q < 5; q++)
        if (!(fabs(a.v[q] - b.v[q]) <= 1e-9))
            fail_msg("%s: index %d: %.17g against %.17g", what, q, a.v[q], b.v[q]);
}

/* The five indices: lattice path against the pair pass (same kernel), and
 * the default kernel against --distance-kernel exp-exact where the city is
 * within the cut-off (30 x 20 cells of 100 m: 3.6 km < 13.8 h). */
static void lattice_indices(void **state) {
    (void)state;
    static const double hs[] = {50, 1000, 4000};
    for (size_t q = 0; q < 3; q++) {
        five ref_exact = {{0}};
        for (int exact = 1; exact >= 0; exact--) {
            city *k = lattice_city(30, 20, 100, 100, 1, hs[q], exact, (size_t)-1, 0);
            struct sg_klat *lat;
            assert_true(both_paths(k, &lat));
            five a = clustering_of(k);
            k->d.sp->klat = lat;
            five b = clustering_of(k);
            print_message("h = %g%s: ACL %.12f RCL %.12f SP %.12f DPxx %.12f DPxy %.12f\n", hs[q],
                          exact ? " exp-exact" : "", b.v[0], b.v[1], b.v[2], b.v[3], b.v[4]);
            assert_five(b, a, exact ? "lattice against pair pass, exp-exact" : "lattice against pair pass");
            if (exact) ref_exact = a;
            else if (hs[q] >= 1000) assert_five(b, ref_exact, "lattice (cut-off) against exp-exact pair pass");
            city_free(k);
        }
    }
}

/* Brute force over every pair with the cut-off of the build. */
static void brute(city *k, double *bx) {
    const sg_spatial *sp = k->d.sp;
    for (size_t i = 0; i < k->n; i++) {
        bx[i] = sp->kdiag[i] * k->x[i];
        for (size_t j = 0; j < k->n; j++) {
            double d = sg__centroid_dist(sp, i, j);
            if (j != i && d <= sp->kcut) bx[i] += exp(-d / sp->h) * k->x[j];
        }
    }
}

static void lattice_not_detected(void **state) {
    (void)state;
    struct {
        double shift;
        const char *what;
    } c[] = {{0.37, "one centroid moved by 0.37 m"}, {2e-6, "one centroid moved by 2e-6 m"},
             {30, "one centroid moved by 30 m"}};
    for (size_t q = 0; q < 3; q++) {
        city *k = lattice_city(20, 12, 100, 100, 1, 1000, 0, 57, c[q].shift);
        sg_spatial *sp = k->d.sp;
        struct sg_klat *lat = NULL;
        assert_int_equal(sg__klat_build(k->ctx, sp, sp->h, sp->kcut, 1, 1, &lat), SG_OK);
        if (lat) fail_msg("%s: taken for a lattice", c[q].what);
        assert_null(sp->klat);
        prod a = products(k, 2);
        double *bx = malloc(k->n * sizeof *bx);
        brute(k, bx);
        for (size_t i = 0; i < k->n; i++) sg_assert_near(a.cx[i], bx[i], 1e-12);
        print_message("%s: not a lattice; the pair pass agrees with brute force\n", c[q].what);
        free(bx);
        prod_free(&a);
        city_free(k);
    }
}

/* Two districts on one lattice point (identical squares): not the lattice path. */
static void lattice_duplicate_point(void **state) {
    (void)state;
    city *k = lattice_city(20, 12, 100, 100, 0, 1000, 0, (size_t)-1, 0);
    sg__spatial_free(k->ctx, k->d.sp);
    k->d.sp = NULL;
    city_add(k, X0 + 500, Y0 + 500, X0 + 600, Y0 + 600); /* the same square as cell (5, 5) */
    k->index = realloc(k->index, k->n * sizeof *k->index);
    k->x = realloc(k->x, k->n * sizeof *k->x);
    k->t = realloc(k->t, k->n * sizeof *k->t);
    k->index[k->n - 1] = k->n - 1;
    k->x[k->n - 1] = 3;
    k->t[k->n - 1] = 10;
    k->c.n = k->d.n = k->n;
    k->c.id = k->ids;
    k->d.index = k->index;
    k->d.x = k->x;
    k->d.t = k->t;
    k->d.geom = (const GEOSGeometry *const *)k->g;
    assert_int_equal(sg__spatial_build(k->ctx, &k->d, &k->d.sp), SG_OK);
    sg_spatial *sp = k->d.sp;
    struct sg_klat *lat = NULL;
    assert_int_equal(sg__klat_build(k->ctx, sp, sp->h, sp->kcut, 1, 1, &lat), SG_OK);
    assert_null(lat);
    prod a = products(k, 1);
    double *bx = malloc(k->n * sizeof *bx);
    brute(k, bx);
    for (size_t i = 0; i < k->n; i++) sg_assert_near(a.cx[i], bx[i], 1e-12);
    free(bx);
    prod_free(&a);
    city_free(k);
}

/* A cancelled context: the lattice path returns SG_ERR_CANCELLED. */
static void lattice_cancelled(void **state) {
    (void)state;
    city *k = lattice_city(30, 20, 100, 100, 1, 1000, 0, (size_t)-1, 0);
    struct sg_klat *lat;
    assert_true(both_paths(k, &lat));
    k->d.sp->klat = lat;
    sg_ctx_cancel(k->ctx);
    double *c = malloc(3 * k->n * sizeof *c), ks;
    size_t np;
    assert_int_equal(sg__kernel_exp_products(k->ctx, k->d.sp, k->x, k->t, 2, c, c + k->n, c + 2 * k->n, &ks, &np),
                     SG_ERR_CANCELLED);
    free(c);
    city_free(k);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lattice_row_sums),     cmocka_unit_test(lattice_indices),
        cmocka_unit_test(lattice_not_detected), cmocka_unit_test(lattice_duplicate_point),
        cmocka_unit_test(lattice_cancelled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

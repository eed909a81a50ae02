/* Geometry honesty of the spatial build (issue 16 items 16 and 17):
 * - contiguity within the snap tolerance: neighbours whose common edges
 *   differ by one ulp keep every queen and rook pair, with the boundary
 *   lengths of the exact grid, on both contiguity paths (shared vertices and
 *   GEOS) and through the whole pipeline from lon/lat;
 * - overlapping districts (a duplicate, a nested one, a partial overlap) are
 *   reported with the pair, the overlap's area and share and the population
 *   counted twice (W_OVERLAP; an error under --strict); districts that only
 *   share edges are not. */
#include "test_support.h"
#include "indices/indices.h"

#define X0 500000.0
#define Y0 5800000.0
#define CELL 1000.0

typedef struct city {
    sg_ctx *ctx;
    size_t n;
    GEOSGeometry *g[64];
    char *ids[64];
    sg_city c;
    size_t index[64];
    double x[64], t[64];
    struct sg_options o;
    sg_data d;
} city;

static GEOSGeometry *quad(sg_ctx *ctx, const double *xs, const double *ys) {
    GEOSContextHandle_t h = sg__geos(ctx);
    GEOSCoordSequence *s = GEOSCoordSeq_create_r(h, 5, 2);
    const int ix[5] = {0, 1, 1, 0, 0}, iy[5] = {0, 0, 1, 1, 0};
    for (unsigned q = 0; q < 5; q++) GEOSCoordSeq_setXY_r(h, s, q, xs[ix[q]], ys[iy[q]]);
    GEOSGeometry *p = GEOSGeom_createPolygon_r(h, GEOSGeom_createLinearRing_r(h, s), NULL, 0);
    assert_non_null(p);
    return p;
}

/* A 4 x 4 grid of CELL m squares; with `ulp`, the x coordinates of the odd
 * columns and the y coordinates of the odd rows are one ulp larger, so every
 * common edge and corner differs by an ulp (a gap on one side of a cell, a
 * sliver of overlap on the other). */
static city *grid4x(int ulp, double snap, const double (*ex)[4], size_t nex);
static city *grid4(int ulp, double snap) { return grid4x(ulp, snap, NULL, 0); }

/* grid4 and, after its 16 cells, nex rectangles {x0, y0, x1, y1} (in cells
 * from X0, Y0) with ids "extra0", ... */
static city *grid4x(int ulp, double snap, const double (*ex)[4], size_t nex) {
    city *k = calloc(1, sizeof *k);
    k->ctx = sg_ctx_create();
    k->o.decay_bandwidth = 1000;
    k->o.snap_tolerance = snap;
    k->n = 16;
    for (size_t i = 0; i < 16; i++) {
        int c = (int)(i % 4), r = (int)(i / 4);
        double xs[2] = {X0 + CELL * c, X0 + CELL * (c + 1)}, ys[2] = {Y0 + CELL * r, Y0 + CELL * (r + 1)};
        for (int e = 0; ulp && e < 2; e++) {
            if (c % 2) xs[e] = nextafter(xs[e], INFINITY);
            if (r % 2) ys[e] = nextafter(ys[e], INFINITY);
        }
        k->g[i] = quad(k->ctx, xs, ys);
        k->ids[i] = malloc(16);
        snprintf(k->ids[i], 16, "c%d_r%d", c, r);
        k->index[i] = i;
        k->t[i] = 100;
        k->x[i] = (double)((i * 37) % 90);
    }
    for (size_t e = 0; e < nex; e++) {
        size_t i = k->n++;
        double xs[2] = {X0 + CELL * ex[e][0], X0 + CELL * ex[e][2]}, ys[2] = {Y0 + CELL * ex[e][1], Y0 + CELL * ex[e][3]};
        k->g[i] = quad(k->ctx, xs, ys);
        k->ids[i] = malloc(32);
        snprintf(k->ids[i], 32, "extra%zu", e);
        k->index[i] = i;
        k->t[i] = 200;
        k->x[i] = 50;
    }
    k->c.n = k->n;
    k->c.id = k->ids;
    k->d = (sg_data){.n = k->n, .index = k->index, .x = k->x, .t = k->t, .geom = (const GEOSGeometry *const *)k->g,
                     .city = &k->c, .opts = &k->o};
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
    sg_ctx_destroy(k->ctx);
    free(k);
}

/* Queen pairs 42, rook pairs 24 of 1000 m each, on both paths. */
static void assert_exact_grid(city *k, const char *what) {
    for (int geos_only = 0; geos_only < 2; geos_only++) {
        sg_weights q, r, b;
        size_t fast = 0, slow = 0;
        assert_int_equal(sg__contiguity(k->ctx, &k->d, k->d.sp, geos_only, &q, &r, &b, &fast, &slow), SG_OK);
        print_message("%s, %s: queen %zu, rook %zu pairs (fast %zu, GEOS %zu)\n", what,
                      geos_only ? "GEOS" : "fast path", sg__weights_nnz(&q) / 2, sg__weights_nnz(&r) / 2, fast, slow);
        assert_int_equal(sg__weights_nnz(&q), 2 * 42);
        assert_int_equal(sg__weights_nnz(&r), 2 * 24);
        for (size_t e = 0; e < sg__weights_nnz(&b); e++) sg_assert_near(b.w[e], CELL, 1e-6);
        sg__weights_free(&q);
        sg__weights_free(&r);
        sg__weights_free(&b);
    }
}

/* Item 17: before, 1-ulp differences dropped queen pairs without a word. */
static void ulp_perturbed_grid_keeps_every_pair(void **state) {
    (void)state;
    city *k = grid4(0, SG_SNAP_TOLERANCE);
    assert_exact_grid(k, "exact grid");
    city_free(k);
    k = grid4(1, SG_SNAP_TOLERANCE);
    assert_exact_grid(k, "grid perturbed by an ulp");
    assert_int_equal(k->d.sp->nislands, 0);
    city_free(k);
    /* --snap-tolerance 0: exact, as GEOS sees it (pairs are lost) */
    k = grid4(1, 0);
    assert_true(sg__weights_nnz(&k->d.sp->queen) < 2 * 42);
    city_free(k);
}

/* The same through the pipeline: lon/lat squares of 0.01 degrees near
 * Berlin, edges of the odd columns and rows one ulp (1.8e-15 degrees) off;
 * the run gives the indices of the exact grid and reports no island. */
static void write_lonlat_grid(const char *path, int ulp) {
    fx_row rows[16];
    char wkt[16][512], id[16][16], grp[16][16];
    for (int i = 0; i < 16; i++) {
        int c = i % 4, r = i / 4;
        double xs[2] = {13.0 + 0.01 * c, 13.0 + 0.01 * (c + 1)}, ys[2] = {52.0 + 0.01 * r, 52.0 + 0.01 * (r + 1)};
        for (int e = 0; ulp && e < 2; e++) {
            if (c % 2) xs[e] = nextafter(xs[e], INFINITY);
            if (r % 2) ys[e] = nextafter(ys[e], INFINITY);
        }
        snprintf(wkt[i], sizeof wkt[i], "POLYGON((%.17g %.17g,%.17g %.17g,%.17g %.17g,%.17g %.17g,%.17g %.17g))",
                 xs[0], ys[0], xs[1], ys[0], xs[1], ys[1], xs[0], ys[1], xs[0], ys[0]);
        snprintf(id[i], sizeof id[i], "d%02d", i);
        snprintf(grp[i], sizeof grp[i], "%d", (37 * i) % 90);
        rows[i] = (fx_row){wkt[i], id[i], "100", grp[i]};
    }
    fx_write(path, "GPKG", 4326, rows, 16, 1);
}

static double run_index(sg_ctx *ctx, const char *path, const char *out, const char *name) {
    const char *args[] = {"--districts", path, "--id", "id", "--total", "total", "--group", "group",
                          "--out", out, "--quiet", "--layers", "districts", NULL};
    sg_run *run = NULL;
    sg_status st = sg_test_analyze(ctx, &run, args);
    if (st != SG_OK) print_error("%s\n", sg_ctx_last_error(ctx));
    assert_int_equal(st, SG_OK);
    double v = NAN;
    assert_true(sg_run_index(run, name, &v));
    sg_run_destroy(run);
    return v;
}

static void ulp_perturbed_lonlat_grid_through_the_pipeline(void **state) {
    sg_test_fixture *f = *state;
    char *pa = sg_test_path(f->dir, "exact.gpkg"), *pb = sg_test_path(f->dir, "ulp.gpkg");
    write_lonlat_grid(pa, 0);
    write_lonlat_grid(pb, 1);
    sg_ctx *ca = sg_ctx_create();
    const char *names[] = {"spatial_dissimilarity", "boundary_spatial_dissimilarity",
                           "perimeter_area_spatial_dissimilarity"};
    for (int k = 0; k < 3; k++) {
        double a = run_index(ca, pa, f->dir, names[k]), b = run_index(f->ctx, pb, f->dir, names[k]);
        print_message("%s: exact %.17g, perturbed %.17g\n", names[k], a, b);
        sg_assert_near(b, a, 1e-9 * fabs(a));
    }
    for (size_t i = 0; i < sg_ctx_diag_count(f->ctx); i++)
        assert_string_not_equal(sg_ctx_diag(f->ctx, i)->code, "W_ISLAND");
    sg_ctx_destroy(ca);
    free(pa);
    free(pb);
}

static size_t count_code(const sg_ctx *ctx, const char *code) {
    size_t n = 0;
    for (size_t i = 0; i < sg_ctx_diag_count(ctx); i++) n += strcmp(sg_ctx_diag(ctx, i)->code, code) == 0;
    return n;
}

/* Item 16: before, overlapping districts were accepted without a word. Both
 * ways to the pairs (the build's contiguity, the pass of its own) agree. */
static void overlaps_are_reported(void **state) {
    (void)state;
    /* districts that share edges only (exactly, or an ulp apart): silent */
    for (int ulp = 0; ulp < 2; ulp++) {
        city *k = grid4(ulp, SG_SNAP_TOLERANCE);
        assert_int_equal(sg__overlaps(k->ctx, &k->d, k->d.sp), SG_OK);
        assert_int_equal(sg__overlaps(k->ctx, &k->d, NULL), SG_OK);
        assert_int_equal(count_code(k->ctx, "W_OVERLAP"), 0);
        city_free(k);
    }
    /* extra0: cell (1, 1) again; extra1: a quarter cell inside cell (3, 3);
     * extra2: half of cell (0, 0) and half outside the grid */
    const double ex[3][4] = {{1, 1, 2, 2}, {3.25, 3.25, 3.75, 3.75}, {-0.5, 0, 0.5, 1}};
    for (int standalone = 0; standalone < 2; standalone++) {
        city *k = grid4x(0, SG_SNAP_TOLERANCE, ex, 3);
        assert_int_equal(sg__overlaps(k->ctx, &k->d, standalone ? NULL : k->d.sp), SG_OK);
        for (size_t i = 0; i < sg_ctx_diag_count(k->ctx); i++)
            if (strcmp(sg_ctx_diag(k->ctx, i)->code, "W_OVERLAP") == 0)
                print_message("%s\n", sg_ctx_diag(k->ctx, i)->message);
        assert_int_equal(count_code(k->ctx, "W_OVERLAP"), 3);
        assert_diag(k->ctx, "W_OVERLAP", "'c1_r1' and 'extra0'", "1e+06 m²", "100 % of 'c1_r1'",
                    "100 % of 'extra0'", "about 100 of 'c1_r1' and 200 of 'extra0'", "spread evenly");
        assert_diag(k->ctx, "W_OVERLAP", "'c3_r3' and 'extra1'", "250000 m²", "25 % of 'c3_r3'",
                    "100 % of 'extra1'", "about 25 of 'c3_r3' and 200 of 'extra1'");
        assert_diag(k->ctx, "W_OVERLAP", "'c0_r0' and 'extra2'", "500000 m²", "50 % of 'c0_r0'",
                    "50 % of 'extra2'", "about 50 of 'c0_r0' and 100 of 'extra2'");
        assert_int_equal(count_code(k->ctx, "W_ISLAND"), 0);
        /* --strict: an error, the run fails */
        k->o.strict = 1;
        assert_int_equal(sg__overlaps(k->ctx, &k->d, standalone ? NULL : k->d.sp), SG_ERR_DATA);
        assert_int_equal(count_code(k->ctx, "E_OVERLAP"), 3);
        assert_diag(k->ctx, "E_OVERLAP", "'c3_r3' and 'extra1'", "--strict");
        city_free(k);
    }
    /* below the tolerance: an overlap of 0.5 m² (more than 1e-6 of the cell, not more than 1 m²) */
    const double tiny[1][4] = {{4.0 - 0.5e-3, 0, 4.5, 1e-3 * 1.0}};
    city *k = grid4x(0, SG_SNAP_TOLERANCE, tiny, 1);
    assert_int_equal(sg__overlaps(k->ctx, &k->d, k->d.sp), SG_OK);
    assert_int_equal(count_code(k->ctx, "W_OVERLAP"), 0);
    city_free(k);
}

/* Through the pipeline: a district twice under two ids, with every family
 * (the build's pairs) and with aspatial indices only (the pass of its own). */
static void duplicated_district_in_a_run(void **state) {
    sg_test_fixture *f = *state;
    char *path = sg_test_path(f->dir, "dup.gpkg");
    char *sq[3] = {fx_square(0, 0), fx_square(1, 0), fx_square(0, 1)};
    fx_row rows[] = {{sq[0], "0001", "100", "10"}, {sq[1], "0002", "200", "80"}, {sq[2], "0003", "150", "30"},
                     {sq[1], "0004", "50", "5"}};
    fx_write(path, "GPKG", 4326, rows, 4, 1);
    for (int aspatial = 0; aspatial < 2; aspatial++) {
        const char *args[] = {"--districts", path, "--id", "id", "--total", "total", "--group", "group",
                              "--out", f->dir, "--quiet", "--layers", "districts",
                              aspatial ? "--indices" : NULL, "aspatial", NULL};
        sg_ctx *ctx = sg_ctx_create();
        sg_run *run = NULL;
        sg_status st = sg_test_analyze(ctx, &run, args);
        if (st != SG_OK) print_error("%s\n", sg_ctx_last_error(ctx));
        assert_int_equal(st, SG_OK);
        assert_diag(ctx, "W_OVERLAP", "'0002' and '0004'", "100 % of '0002'", "about 200 of '0002' and 50 of '0004'");
        assert_int_equal(count_code(ctx, "W_OVERLAP"), 1);
        sg_run_destroy(run);
        sg_ctx_destroy(ctx);
    }
    const char *strict[] = {"--districts", path, "--id", "id", "--total", "total", "--group", "group",
                            "--out", f->dir, "--quiet", "--strict", NULL};
    sg_run *run = NULL;
    assert_int_equal(sg_test_analyze(f->ctx, &run, strict), SG_ERR_DATA);
    assert_null(run);
    assert_diag(f->ctx, "E_OVERLAP", "'0002' and '0004'");
    for (int i = 0; i < 3; i++) free(sq[i]);
    free(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ulp_perturbed_grid_keeps_every_pair),
        cmocka_unit_test_setup_teardown(ulp_perturbed_lonlat_grid_through_the_pipeline, sg_test_setup,
                                        sg_test_teardown),
        cmocka_unit_test(overlaps_are_reported),
        cmocka_unit_test_setup_teardown(duplicated_district_in_a_run, sg_test_setup, sg_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

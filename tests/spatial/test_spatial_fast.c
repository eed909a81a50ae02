/* The fast paths of the spatial build against their references:
 *
 *  - contiguity: the shared-vertex/edge path (spatial/contiguity_fast.c) gives the
 *    same queen and rook pairs and the same boundary lengths (to 1e-9) as
 *    GEOS on every pair, on coverages with shared vertices (jittered grid,
 *    hexagons, GEOS Voronoi cells) and without (T-junctions, gaps, overlaps,
 *    nesting, holes, point contacts, duplicates), for 1 and 2 threads;
 *  - the exp kernel (spatial/kernel.c): its vectorised exp is within 2 ulp
 *    of libm and the same on the SSE2 and AVX paths; the grid pass finds
 *    exactly the pairs of a brute-force search and gives the same products;
 *    stored and streamed pairs, and 1, 2 or 3 threads, give the same bits. */
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

static city *city_new(void) {
    city *k = calloc(1, sizeof *k);
    k->ctx = sg_ctx_create();
    k->o.decay_bandwidth = 1000;
    return k;
}

static void city_add(city *k, GEOSGeometry *g) {
    assert_non_null(g);
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 64;
        k->g = realloc(k->g, k->cap * sizeof *k->g);
        k->ids = realloc(k->ids, k->cap * sizeof *k->ids);
    }
    k->ids[k->n] = malloc(32);
    snprintf(k->ids[k->n], 32, "d%zu", k->n);
    k->g[k->n++] = g;
}

static void city_ready(city *k) {
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
                     .city = &k->c, .opts = &k->o};
    sg_status st = sg__spatial_build(k->ctx, &k->d, &k->d.sp);
    if (st != SG_OK) print_error("build: %s\n", sg_ctx_last_error(k->ctx));
    assert_int_equal(st, SG_OK);
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

/* A polygon from rings of (x, y) pairs; ring r has m[r] points, not closed. */
static GEOSGeometry *poly(city *k, const double *xy, const size_t *m, size_t nr) {
    GEOSContextHandle_t h = sg__geos(k->ctx);
    GEOSGeometry **rings = malloc(nr * sizeof *rings);
    for (size_t r = 0, o = 0; r < nr; o += m[r], r++) {
        GEOSCoordSequence *s = GEOSCoordSeq_create_r(h, (unsigned)m[r] + 1, 2);
        for (size_t q = 0; q <= m[r]; q++) {
            size_t a = o + (q % m[r]);
            GEOSCoordSeq_setXY_r(h, s, (unsigned)q, xy[2 * a], xy[2 * a + 1]);
        }
        rings[r] = GEOSGeom_createLinearRing_r(h, s);
        assert_non_null(rings[r]);
    }
    GEOSGeometry *p = GEOSGeom_createPolygon_r(h, rings[0], nr > 1 ? rings + 1 : NULL, (unsigned)(nr - 1));
    free(rings);
    return p;
}

static GEOSGeometry *rect(city *k, double x0, double y0, double x1, double y1) {
    const double xy[8] = {x0, y0, x1, y0, x1, y1, x0, y1};
    const size_t m = 4;
    return poly(k, xy, &m, 1);
}

/* Deterministic jitter in [-a, a] of a lattice point. */
static double jit(long i, long j, int axis, double a) {
    uint64_t z = (uint64_t)(i * 73856093L) ^ (uint64_t)(j * 19349663L) ^ (uint64_t)(axis * 83492791L);
    z ^= z >> 33;
    z *= 0xff51afd7ed558ccdULL;
    z ^= z >> 33;
    return a * ((double)(z % 2000001) / 1000000.0 - 1.0);
}

/* ---- comparing the fast path with GEOS ---- */
static void assert_same_weights(const sg_weights *a, const sg_weights *b, const char *what, double tol) {
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i <= a->n; i++)
        if (a->off[i] != b->off[i]) fail_msg("%s: row %zu differs", what, i ? i - 1 : 0);
    for (size_t e = 0; e < a->off[a->n]; e++) {
        if (a->nb[e] != b->nb[e]) fail_msg("%s: entry %zu differs (%u, %u)", what, e, a->nb[e], b->nb[e]);
        if (a->w && fabs(a->w[e] - b->w[e]) > tol * fabs(b->w[e]))
            fail_msg("%s: length %.17g against %.17g", what, a->w[e], b->w[e]);
    }
}

/* Fast path (1 and 2 threads) against GEOS on every pair; returns the
 * candidate pairs the fast path decided and left to GEOS. */
static void compare_contiguity(city *k, const char *name, size_t *fast, size_t *slow) {
    sg_weights q[3], g[3], q2[3];
    size_t f1, s1, f2, s2;
    k->o.threads = 1;
    assert_int_equal(sg__contiguity(k->ctx, &k->d, k->d.sp, 0, &q[0], &q[1], &q[2], &f1, &s1), SG_OK);
    k->o.threads = 2;
    assert_int_equal(sg__contiguity(k->ctx, &k->d, k->d.sp, 0, &q2[0], &q2[1], &q2[2], NULL, NULL), SG_OK);
    assert_int_equal(sg__contiguity(k->ctx, &k->d, k->d.sp, 1, &g[0], &g[1], &g[2], &f2, &s2), SG_OK);
    k->o.threads = 0;
    print_message("%-28s %zu districts: %zu queen pairs, %zu rook; fast path decided %zu candidate pairs, GEOS "
                  "%zu\n",
                  name, k->n, q[0].off[k->n] / 2, q[1].off[k->n] / 2, f1, s1);
    assert_int_equal(f2, 0);
    assert_int_equal(f1 + s1, s2);
    const char *what[3] = {"queen", "rook", "blen"};
    for (int w = 0; w < 3; w++) {
        assert_same_weights(&q[w], &g[w], what[w], 1e-9);
        assert_same_weights(&q[w], &q2[w], what[w], 0); /* threads: the same bits */
        sg__weights_free(&q[w]);
        sg__weights_free(&q2[w]);
        sg__weights_free(&g[w]);
    }
    /* and the build's own weights are the fast path's */
    if (fast) *fast = f1;
    if (slow) *slow = s1;
}

/* Jittered quadrilaterals sharing their corners (like seggap-gencity's grid). */
/* scale != 1 moves every corner towards (< 1) or away from (> 1) the cell's
 * centre: gaps or overlaps between neighbours, no vertex shared. */
static city *jittered_grid(size_t nc, size_t nr, double cell, int midpoints, double scale) {
    city *k = city_new();
    for (size_t r = 0; r < nr; r++)
        for (size_t c = 0; c < nc; c++) {
            double xy[16];
            size_t m = 0;
            const long ci[4] = {(long)c, (long)c + 1, (long)c + 1, (long)c}, ri[4] = {(long)r, (long)r, (long)r + 1,
                                                                                     (long)r + 1};
            for (int q = 0; q < 4; q++) {
                xy[2 * m] = X0 + cell * (double)ci[q] + jit(ci[q], ri[q], 0, 0.3 * cell);
                xy[2 * m + 1] = Y0 + cell * (double)ri[q] + jit(ci[q], ri[q], 1, 0.3 * cell);
                m++;
                /* a vertex in the middle of the east edge of every third cell,
                 * which the neighbour does not have: a T-junction */
                if (midpoints && q == 1 && (r * nc + c) % 3 == 0) {
                    xy[2 * m] = 0.5 * (xy[2 * m - 2] + X0 + cell * (double)ci[2] + jit(ci[2], ri[2], 0, 0.3 * cell));
                    xy[2 * m + 1] =
                        0.5 * (xy[2 * m - 1] + Y0 + cell * (double)ri[2] + jit(ci[2], ri[2], 1, 0.3 * cell));
                    m++;
                }
            }
            if (scale != 1) {
                double mx = 0, my = 0;
                for (size_t q = 0; q < m; q++) {
                    mx += xy[2 * q] / (double)m;
                    my += xy[2 * q + 1] / (double)m;
                }
                for (size_t q = 0; q < m; q++) {
                    xy[2 * q] = mx + scale * (xy[2 * q] - mx);
                    xy[2 * q + 1] = my + scale * (xy[2 * q + 1] - my);
                }
            }
            city_add(k, poly(k, xy, &m, 1));
        }
    city_ready(k);
    return k;
}

static void contiguity_on_shared_vertex_coverages(void **state) {
    (void)state;
    size_t fast, slow;
    /* jittered grid: every pair decided by the fast path */
    city *k = jittered_grid(30, 20, 500, 0, 1);
    compare_contiguity(k, "jittered grid", &fast, &slow);
    assert_int_equal(slow, 0);
    assert_true(fast > 1000);
    city_free(k);

    /* hexagons on an integer lattice (flat-top, 4 x 2 units), corners jittered
     * as lattice points, so neighbours share them exactly */
    k = city_new();
    const long hx[6] = {0, 1, 3, 4, 3, 1}, hy[6] = {1, 0, 0, 1, 2, 2};
    for (long c = 0; c < 24; c++)
        for (long r = 0; r < 16; r++) {
            double xy[12];
            for (int q = 0; q < 6; q++) {
                long lx = 3 * c + hx[q], ly = 2 * r + (c & 1) + hy[q];
                xy[2 * q] = X0 + 150.0 * (double)lx + jit(lx, ly, 0, 40);
                xy[2 * q + 1] = Y0 + 150.0 * (double)ly + jit(lx, ly, 1, 40);
            }
            const size_t m = 6;
            city_add(k, poly(k, xy, &m, 1));
        }
    city_ready(k);
    compare_contiguity(k, "hexagons", &fast, &slow);
    assert_int_equal(slow, 0);
    city_free(k);

    /* GEOS Voronoi cells of scattered points, clipped to a rectangle: the
     * inner vertices are shared, the clipped ones may not be */
    k = city_new();
    GEOSContextHandle_t h = sg__geos(k->ctx);
    GEOSGeometry **pts = malloc(500 * sizeof *pts);
    for (long i = 0; i < 500; i++)
        pts[i] = GEOSGeom_createPointFromXY_r(h, X0 + 5000 + jit(i, 1, 0, 5000), Y0 + 5000 + jit(i, 2, 1, 5000));
    GEOSGeometry *mp = GEOSGeom_createCollection_r(h, GEOS_MULTIPOINT, pts, 500);
    free(pts);
    GEOSGeometry *env = rect(k, X0 - 100, Y0 - 100, X0 + 10100, Y0 + 10100);
    GEOSGeometry *vd = GEOSVoronoiDiagram_r(h, mp, env, 0, 0);
    assert_non_null(vd);
    for (int i = 0; i < GEOSGetNumGeometries_r(h, vd); i++) {
        GEOSGeometry *cellg = GEOSIntersection_r(h, GEOSGetGeometryN_r(h, vd, i), env);
        if (GEOSGeomTypeId_r(h, cellg) == GEOS_POLYGON) city_add(k, cellg);
        else GEOSGeom_destroy_r(h, cellg);
    }
    GEOSGeom_destroy_r(h, vd);
    GEOSGeom_destroy_r(h, env);
    GEOSGeom_destroy_r(h, mp);
    city_ready(k);
    compare_contiguity(k, "voronoi", &fast, &slow);
    assert_true(fast > slow); /* mostly the fast path */
    city_free(k);
}

static void contiguity_without_shared_vertices(void **state) {
    (void)state;
    size_t fast, slow;
    /* T-junctions: the pairs with one go to GEOS, the others stay fast */
    city *k = jittered_grid(20, 15, 500, 1, 1);
    compare_contiguity(k, "T-junctions", &fast, &slow);
    assert_true(slow > 0 && fast > 0);
    city_free(k);

    /* bricks: rows offset by half a cell, every vertical contact a T-junction */
    k = city_new();
    for (int r = 0; r < 10; r++)
        for (int c = 0; c < 12; c++) {
            double x = X0 + 400.0 * c + (r % 2 ? 200.0 : 0.0), y = Y0 + 300.0 * r;
            city_add(k, rect(k, x, y, x + 400, y + 300));
        }
    city_ready(k);
    compare_contiguity(k, "bricks", &fast, &slow);
    assert_true(slow > 0);
    city_free(k);

    /* small gaps and small overlaps: no shared vertex at all */
    for (int over = 0; over < 2; over++) {
        k = jittered_grid(12, 10, 500, 0, over ? 1.001 : 0.999);
        compare_contiguity(k, over ? "overlaps" : "gaps", &fast, &slow);
        assert_true(over ? k->d.sp->queen.off[k->n] > 0 : k->d.sp->queen.off[k->n] == 0);
        city_free(k);
    }
}

static void contiguity_special_cases(void **state) {
    (void)state;
    city *k = city_new();
    /* 0: a square with a hole; 1: the hole's filling (shares the hole ring) */
    const double holed[16] = {X0, Y0, X0 + 900, Y0, X0 + 900, Y0 + 900, X0, Y0 + 900,
                              X0 + 300, Y0 + 300, X0 + 600, Y0 + 300, X0 + 600, Y0 + 600, X0 + 300, Y0 + 600};
    const size_t hm[2] = {4, 4};
    city_add(k, poly(k, holed, hm, 2));
    city_add(k, rect(k, X0 + 300, Y0 + 300, X0 + 600, Y0 + 600));
    /* 2: east of 0, sharing its east edge; 3: touching 2 at one corner only */
    city_add(k, rect(k, X0 + 900, Y0, X0 + 1800, Y0 + 900));
    city_add(k, rect(k, X0 + 1800, Y0 + 900, X0 + 2700, Y0 + 1800));
    /* 4: inside 2 without touching it (nested); 5: inside 3 touching its corner */
    city_add(k, rect(k, X0 + 1200, Y0 + 300, X0 + 1500, Y0 + 600));
    city_add(k, rect(k, X0 + 1800, Y0 + 900, X0 + 2000, Y0 + 1100));
    /* 6 and 7: the same square twice; 8: a diagonal triangle over 6's corner */
    city_add(k, rect(k, X0, Y0 + 2000, X0 + 500, Y0 + 2500));
    city_add(k, rect(k, X0, Y0 + 2000, X0 + 500, Y0 + 2500));
    const double tri[6] = {X0 + 500, Y0 + 2000, X0 + 500, Y0 + 2500, X0 + 250, Y0 + 2250};
    const size_t tm = 3;
    city_add(k, poly(k, tri, &tm, 1));
    /* 9: a multipolygon, one part touching 3's north edge (shared edge) */
    GEOSContextHandle_t h = sg__geos(k->ctx);
    GEOSGeometry *parts[2] = {rect(k, X0 + 1800, Y0 + 1800, X0 + 2700, Y0 + 2400),
                              rect(k, X0 + 3000, Y0 + 3000, X0 + 3100, Y0 + 3100)};
    city_add(k, GEOSGeom_createCollection_r(h, GEOS_MULTIPOLYGON, parts, 2));
    city_ready(k);
    size_t fast, slow;
    compare_contiguity(k, "special cases", &fast, &slow);
    const sg_spatial *sp = k->d.sp;
    /* the filled hole is a rook neighbour with the hole's perimeter */
    int found = 0;
    for (size_t e = sp->blen.off[0]; e < sp->blen.off[1]; e++)
        if (sp->blen.nb[e] == 1) {
            sg_assert_near(sp->blen.w[e], 1200, 1e-12);
            found = 1;
        }
    assert_true(found);
    city_free(k);
}

/* ---- the exp kernel ---- */
static void kernel_weights_exp(void **state) {
    (void)state;
    const size_t m = 200003;
    const double h = 700, dmax = h * log(1e6);
    double *d2 = malloc(m * sizeof *d2), *w1 = malloc(m * sizeof *w1), *w2 = malloc(m * sizeof *w2);
    for (size_t i = 0; i < m; i++) {
        double d = dmax * (double)i / (double)(m - 1);
        d2[i] = d * d;
    }
    assert_int_equal(sg__kernel_weights(d2, w1, m, h, 1), 1);
    double worst = 0;
    for (size_t i = 0; i < m; i++) {
        double want = exp(sqrt(d2[i]) * (-1.0 / h)), ulp = nextafter(want, INFINITY) - want;
        double e = fabs(w1[i] - want) / ulp;
        if (e > worst) worst = e;
    }
    print_message("vectorised exp: at most %.2f ulp from libm\n", worst);
    assert_true(worst <= 2.0);
    assert_int_equal(w1[0], 1.0);
    if (sg__kernel_weights(d2, w2, m, h, 2) == 2) {
        assert_memory_equal(w1, w2, m * sizeof *w1); /* SSE2 and AVX: the same bits */
        print_message("AVX path: identical to SSE2\n");
    } else {
        print_message("no AVX on this CPU: SSE2 path only\n");
    }
    free(d2);
    free(w1);
    free(w2);
}

typedef struct prod {
    double *cx, *cy, *ct, ksum;
    size_t np;
} prod;

static prod products(city *k, int threads) {
    size_t n = k->n;
    prod p = {malloc(n * sizeof(double)), malloc(n * sizeof(double)), malloc(n * sizeof(double)), 0, 0};
    assert_int_equal(sg__kernel_exp_products(k->ctx, k->d.sp, k->x, k->t, threads, p.cx, p.cy, p.ct, &p.ksum, &p.np),
                     SG_OK);
    return p;
}

static void prod_free(prod *p) {
    free(p->cx);
    free(p->cy);
    free(p->ct);
}

static void assert_same_prod(const prod *a, const prod *b, size_t n) {
    assert_int_equal(a->np, b->np);
    assert_memory_equal(a->cx, b->cx, n * sizeof *a->cx);
    assert_memory_equal(a->cy, b->cy, n * sizeof *a->cy);
    assert_memory_equal(a->ct, b->ct, n * sizeof *a->ct);
    assert_memory_equal(&a->ksum, &b->ksum, sizeof a->ksum);
}

/* Scattered squares (clustered, and a long thin city, so that both axis
 * choices are used): the grid pass against a brute-force search over every
 * pair with the same rule (sqrt(dx² + dy²) <= cut-off), then stored against
 * streamed pairs and 1, 2, 3 threads, bit for bit. */
static void kernel_grid_pass(void **state) {
    (void)state;
    for (int shape = 0; shape < 2; shape++) {
        city *k = city_new();
        k->o.decay_bandwidth = 120;
        for (long i = 0; i < 1500; i++) {
            double w = shape ? 30000 : 6000, hgt = shape ? 1500 : 6000;
            double x = X0 + w / 2 + jit(i, 7, 0, w / 2), y = Y0 + hgt / 2 + jit(i, 9, 1, hgt / 2);
            if (i % 3 == 0) { /* a cluster */
                x = X0 + 1000 + jit(i, 3, 0, 80);
                y = Y0 + 1000 + jit(i, 5, 1, 80);
            }
            city_add(k, rect(k, x - 20, y - 20, x + 20, y + 20));
        }
        city_ready(k);
        const sg_spatial *sp = k->d.sp;
        assert_true(sg__kgrid_stored(sp->kgrid)); /* small: the build kept the pairs */
        size_t n = k->n, np = 0;
        double cut = sp->kcut;
        double *bx = calloc(n, sizeof *bx), *bt = calloc(n, sizeof *bt);
        for (size_t i = 0; i < n; i++) {
            bx[i] += sp->kdiag[i] * k->x[i];
            bt[i] += sp->kdiag[i] * k->t[i];
            for (size_t j = i + 1; j < n; j++) {
                double d = sg__centroid_dist(sp, i, j);
                if (!(d <= cut)) continue;
                double c = exp(-d / sp->h);
                np++;
                bx[i] += c * k->x[j];
                bx[j] += c * k->x[i];
                bt[i] += c * k->t[j];
                bt[j] += c * k->t[i];
            }
        }
        prod a = products(k, 1);
        print_message("shape %d: %zu pairs within %.0f m (brute force %zu)\n", shape, a.np, cut, np);
        assert_int_equal(a.np, np);
        for (size_t i = 0; i < n; i++) {
            sg_assert_near(a.cx[i], bx[i], 1e-12);
            sg_assert_near(a.ct[i], bt[i], 1e-12);
        }
        free(bx);
        free(bt);
        for (int th = 2; th <= 3; th++) {
            prod b = products(k, th);
            assert_same_prod(&a, &b, n);
            prod_free(&b);
        }
        /* the same grid without stored pairs: streamed, the same bits */
        struct sg_kgrid *kept = sp->kgrid, *streamed = NULL;
        assert_int_equal(sg__kgrid_build(k->ctx, sp, sp->h, cut, 1, 0, &streamed), SG_OK);
        assert_false(sg__kgrid_stored(streamed));
        k->d.sp->kgrid = streamed;
        for (int th = 1; th <= 3; th++) {
            prod b = products(k, th);
            assert_same_prod(&a, &b, n);
            prod_free(&b);
        }
        k->d.sp->kgrid = kept;
        sg__kgrid_free(streamed);
        prod_free(&a);
        city_free(k);
    }
}

/* --distance-kernel exp-exact: every pair, O(N²), against a brute-force sum
 * without cut-off; the default drops the pairs beyond 13.8 h. */
static void kernel_exact_every_pair(void **state) {
    (void)state;
    for (int exact = 0; exact < 2; exact++) {
        city *k = city_new();
        k->o.decay_bandwidth = 100; /* cut-off 1.4 km in a city 8 km wide */
        k->o.distance_kernel_exact = exact;
        for (long i = 0; i < 800; i++) {
            double x = X0 + 4000 + jit(i, 11, 0, 4000), y = Y0 + 4000 + jit(i, 13, 1, 4000);
            city_add(k, rect(k, x - 30, y - 30, x + 30, y + 30));
        }
        city_ready(k);
        const sg_spatial *sp = k->d.sp;
        size_t n = k->n;
        double *bx = calloc(n, sizeof *bx);
        for (size_t i = 0; i < n; i++) {
            bx[i] += sp->kdiag[i] * k->x[i];
            for (size_t j = 0; j < n; j++)
                if (j != i) bx[i] += exp(-sg__centroid_dist(sp, i, j) / sp->h) * k->x[j];
        }
        prod a = products(k, 2);
        print_message("%s: %zu pairs of %zu\n", exact ? "exp-exact" : "exp", a.np, n * (n - 1) / 2);
        if (exact) {
            assert_int_equal(a.np, n * (n - 1) / 2);
            for (size_t i = 0; i < n; i++) sg_assert_near(a.cx[i], bx[i], 1e-12);
            assert_non_null(strstr(sp->kernel_detail, "every pair"));
        } else {
            assert_true(a.np < n * (n - 1) / 4);
            for (size_t i = 0; i < n; i++) sg_assert_near(a.cx[i], bx[i], 1e-3); /* the dropped pairs, each < 1e-6 */
        }
        free(bx);
        prod_free(&a);
        city_free(k);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(contiguity_on_shared_vertex_coverages),
        cmocka_unit_test(contiguity_without_shared_vertices),
        cmocka_unit_test(contiguity_special_cases),
        cmocka_unit_test(kernel_weights_exp),
        cmocka_unit_test(kernel_grid_pass),
        cmocka_unit_test(kernel_exact_every_pair),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

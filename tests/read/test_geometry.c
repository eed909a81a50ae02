/* Geometry honesty and bounded geometry (issue 16 items 15 and 13):
 * - a city across the antimeridian gets a working CRS centred on it (not on
 *   its antipode) and the indices of the same city at longitude 0;
 * - a polygon with more vertices than --max-vertices is refused before GEOS
 *   validates it, naming the option;
 * - a cancelled run stops inside GEOS's validation of a huge polygon. */
#include <json-c/json.h>
#include <pthread.h>
#include <time.h>

#include "test_support.h"
#include "write/write.h"

/* A 4 x 4 grid of 0.05 degree lon/lat squares from lon0 (columns 0, 1) and
 * lon1 (columns 2, 3), latitude -17.8 .. -17.6 (Fiji), with uneven counts. */
static void write_grid4(const char *path, double lon0, double lon1) {
    fx_row rows[16];
    char wkt[16][256], id[16][16], tot[16][16], grp[16][16];
    for (int i = 0; i < 16; i++) {
        int c = i % 4, r = i / 4;
        double x = c < 2 ? lon0 + 0.05 * c : lon1 + 0.05 * (c - 2), y = -17.8 + 0.05 * r;
        snprintf(wkt[i], sizeof wkt[i], "POLYGON((%.2f %.2f,%.2f %.2f,%.2f %.2f,%.2f %.2f,%.2f %.2f))", x, y,
                 x + 0.05, y, x + 0.05, y + 0.05, x, y + 0.05, x, y);
        snprintf(id[i], sizeof id[i], "d%02d", i);
        snprintf(tot[i], sizeof tot[i], "%d", 100 + 17 * i);
        snprintf(grp[i], sizeof grp[i], "%d", (37 * i) % 90 + (c == 3 ? 40 : 0));
        rows[i] = (fx_row){wkt[i], id[i], tot[i], grp[i]};
    }
    fx_write(path, "GPKG", 4326, rows, 16, 1);
}

static sg_run *run_grid(sg_ctx *ctx, const char *path, const char *out) {
    const char *args[] = {"--districts", path, "--id", "id", "--total", "total", "--group", "group",
                          "--out", out, "--quiet", "--layers", "districts", NULL};
    sg_run *run = NULL;
    sg_status st = sg_test_analyze(ctx, &run, args);
    if (st != SG_OK) print_error("%s\n", sg_ctx_last_error(ctx));
    assert_int_equal(st, SG_OK);
    return run;
}

static const char *working_how(sg_run *run, json_object **keep) {
    json_object *sum = json_tokener_parse(sg_run_summary_json(run)), *crs, *w, *how;
    assert_non_null(sum);
    assert_true(json_object_object_get_ex(sum, "crs", &crs));
    assert_true(json_object_object_get_ex(crs, "working", &w));
    assert_true(json_object_object_get_ex(w, "how", &how));
    *keep = sum;
    return json_object_get_string(how);
}

/* Item 15: lon 179.9 .. 180 and -180 .. -179.9. Before: a Lambert azimuthal
 * projection centred at lon 0 (the antipode), clustering and centralization
 * wrong. Now the UTM zone of lon -180 (zone 1, central meridian -177): the
 * city lies 2.9 to 3.1 degrees west of it, as the city at lon -0.1 .. 0.1
 * does in zone 31 (3 E), so every index agrees to rounding. */
static void antimeridian_city_is_the_city_at_lon_0(void **state) {
    sg_test_fixture *f = *state;
    char *pa = sg_test_path(f->dir, "fiji.gpkg"), *pb = sg_test_path(f->dir, "zero.gpkg");
    char *oa = sg_test_path(f->dir, "out_fiji"), *ob = sg_test_path(f->dir, "out_zero");
    write_grid4(pa, 179.9, -180.0);
    write_grid4(pb, -0.1, 0.0);
    sg_ctx *cb = sg_ctx_create();
    sg_run *ra = run_grid(f->ctx, pa, oa), *rb = run_grid(cb, pb, ob);
    json_object *ja, *jb;
    const char *how_a = working_how(ra, &ja), *how_b = working_how(rb, &jb);
    print_message("fiji: %s\nzero: %s\n", how_a, how_b);
    assert_non_null(strstr(how_a, "UTM zone"));
    assert_non_null(strstr(how_a, "lon -180.0000"));
    assert_non_null(strstr(how_a, "antimeridian"));
    assert_null(strstr(how_b, "antimeridian"));
    size_t compared = 0;
    for (size_t k = 0; k < rb->res.ng; k++) {
        const sg_global *g = &rb->res.g[k];
        double va = NAN;
        if (!sg_run_index(ra, g->name, &va)) fail_msg("%s missing in the antimeridian run", g->name);
        double tol = 1e-9 * fmax(fabs(g->value), fabs(va)) + 1e-13;
        if (!(fabs(va - g->value) <= tol) && !(isnan(va) && isnan(g->value)))
            fail_msg("%s: %.17g across the antimeridian, %.17g at lon 0", g->name, va, g->value);
        compared++;
    }
    assert_true(compared > 20);
    double cl = NAN;
    assert_true(sg_run_index(ra, "absolute_clustering", &cl));
    assert_true(cl > 1e-3);
    /* every queen pair across the meridian is found: no island */
    for (size_t i = 0; i < sg_ctx_diag_count(f->ctx); i++)
        assert_string_not_equal(sg_ctx_diag(f->ctx, i)->code, "W_ISLAND");
    json_object_put(ja);
    json_object_put(jb);
    sg_run_destroy(ra);
    sg_run_destroy(rb);
    sg_ctx_destroy(cb);
    free(pa);
    free(pb);
    free(oa);
    free(ob);
}

/* A star of n vertices around lon 13.4, lat 52.5 (alternately 0.01 and 0.0001
 * degrees from the centre: every edge's envelope holds the centre, so GEOS's
 * validity check takes time that grows with n²: 20,000 vertices 3 s, 60,000
 * half a minute) and a square beside it, as GeoJSON. */
static void write_star(const char *path, int n) {
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{\"id\":\"star\","
          "\"total\":100,\"group\":10},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[",
          f);
    double x0 = 0, y0 = 0;
    for (int i = 0; i < n; i++) {
        double a = 6.283185307179586 * i / n, r = i % 2 ? 0.01 : 0.0001;
        double x = 13.4 + r * cos(a), y = 52.5 + r * sin(a);
        if (!i) {
            x0 = x;
            y0 = y;
        }
        fprintf(f, "[%.12f,%.12f],", x, y);
    }
    fprintf(f, "[%.12f,%.12f]]]}},", x0, y0);
    fputs("{\"type\":\"Feature\",\"properties\":{\"id\":\"sq\",\"total\":100,\"group\":50},\"geometry\":"
          "{\"type\":\"Polygon\",\"coordinates\":[[[13.5,52.5],[13.51,52.5],[13.51,52.51],[13.5,52.51],[13.5,52.5]]]}}]}",
          f);
    assert_int_equal(fclose(f), 0);
}

typedef struct cancel_run {
    sg_ctx *ctx;
    const char *const *args;
    sg_status st;
    double t_end;
} cancel_run;

static void *run_thread(void *arg) {
    cancel_run *c = arg;
    sg_run *run = NULL;
    c->st = sg_test_analyze(c->ctx, &run, c->args);
    c->t_end = sg__now();
    sg_run_destroy(run);
    return NULL;
}

/* Item 13: before, a cancel (SIGINT) during GEOS's validity check of a huge
 * polygon acted only when the check ended (a minute at 300,000 vertices).
 * Now GEOS is interrupted: the run ends within a second, cancelled. Both
 * ways GEOS runs here: on the reading loop's worker and with --threads 1 on
 * the calling thread. */
static void cancel_interrupts_geos_validation(void **state) {
    sg_test_fixture *f = *state;
    char *path = sg_test_path(f->dir, "star.geojson");
    write_star(path, 60000);
    for (int threads = 0; threads < 2; threads++) {
        const char *args[] = {"--districts", path, "--id", "id", "--total", "total", "--group", "group",
                              "--out", f->dir, "--quiet", "--max-vertices", "0",
                              threads ? "--threads" : NULL, "1", NULL};
        sg_ctx *ctx = sg_ctx_create();
        cancel_run c = {ctx, args, SG_OK, 0};
        pthread_t th;
        double t0 = sg__now();
        assert_int_equal(pthread_create(&th, NULL, run_thread, &c), 0);
        struct timespec nap = {1, 500000000}; /* 1.5 s: well inside the validity check */
        nanosleep(&nap, NULL);
        double t_cancel = sg__now();
        sg_ctx_cancel(ctx);
        pthread_join(th, NULL);
        print_message("threads %s: cancelled after %.2f s, returned %.3f s later: %s\n", threads ? "1" : "all",
                      t_cancel - t0, c.t_end - t_cancel, sg_ctx_last_error(ctx));
        assert_true(c.t_end - t_cancel < 1.0);
        assert_int_equal(c.st, SG_ERR_CANCELLED);
        sg_ctx_destroy(ctx);
    }
    free(path);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(antimeridian_city_is_the_city_at_lon_0, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(cancel_interrupts_geos_validation, sg_test_setup, sg_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

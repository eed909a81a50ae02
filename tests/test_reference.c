/* Agreement with reference values on real data: Sacramento (PySAL's own
 * test data; values in ../shared/reference), the Berlin join of two CSV
 * dialects, and the Badalona join with a table row that has no polygon. */
#include <json-c/json.h>

#include "test_support.h"

typedef struct fixture {
    sg_ctx *ctx;
    char *dir;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->ctx = sg_ctx_create();
    f->dir = sg_test_tmpdir();
    *state = f;
    return 0;
}
static int teardown(void **state) {
    fixture *f = *state;
    sg_ctx_destroy(f->ctx);
    sg_test_rmdir(f->dir);
    free(f);
    return 0;
}

static void expect_ok(sg_ctx *ctx, sg_status st) {
    if (st != SG_OK) print_error("analyze failed: %s\n", sg_ctx_last_error(ctx));
    assert_int_equal(st, SG_OK);
}

/* Every index of the reference json that seggap computes must match within
 * the json's own tolerance. */
static void sacramento_matches_reference_json(void **state) {
    fixture *f = *state;
    REQUIRE_SHARED("reference/sacramento_hisp_2000.json");
    const char *args[] = {"--districts", SHARED("reference/sacramento_hisp_2000.gpkg"), "--layer", "units_projected",
                          "--id", "id", "--total", "total_pop", "--group", "group_pop", "--work-crs", "EPSG:32610",
                          "--out", f->dir, "--quiet", NULL};
    sg_run *run = NULL;
    expect_ok(f->ctx, sg_test_analyze(f->ctx, &run, args));
    json_object *ref = json_object_from_file(SHARED("reference/sacramento_hisp_2000.json"));
    assert_non_null(ref);
    json_object *data, *indices;
    assert_true(json_object_object_get_ex(ref, "sacramento_hisp_2000", &data));
    assert_true(json_object_object_get_ex(data, "indices", &indices));
    int compared = 0;
    json_object_object_foreach(indices, name, entry) {
        double got;
        if (!sg_run_index(run, name, &got)) continue;
        json_object *jv, *jt;
        assert_true(json_object_object_get_ex(entry, "value", &jv));
        assert_true(json_object_object_get_ex(entry, "tol", &jt));
        print_message("%-14s seggap %.17g  reference %.17g\n", name, got, json_object_get_double(jv));
        sg_assert_near(got, json_object_get_double(jv), json_object_get_double(jt));
        compared++;
    }
    assert_true(compared >= 3);
    size_t nread, used, excl;
    sg_run_counts(run, &nread, &used, &excl);
    assert_int_equal(nread, 403);
    assert_int_equal(used, 403);
    json_object_put(ref);
    sg_run_destroy(run);
}

/* The original shapefile (EPSG:4326, 23 multipart tracts): reprojected to an
 * automatically chosen UTM zone, the aspatial values are the same. */
static void sacramento_shapefile_published_values(void **state) {
    fixture *f = *state;
    REQUIRE_SHARED("data/sacramento-2000/sacramentot2.shp");
    const char *args[] = {"--districts", SHARED("data/sacramento-2000/sacramentot2.shp"), "--id", "FIPS", "--total",
                          "TOT_POP", "--group", "HISP_", "--out", f->dir, "--quiet", NULL};
    sg_run *run = NULL;
    expect_ok(f->ctx, sg_test_analyze(f->ctx, &run, args));
    double v;
    assert_true(sg_run_index(run, "dissimilarity", &v));
    sg_assert_near(v, 0.32184656076566864, 1e-9);
    assert_true(sg_run_index(run, "isolation", &v));
    sg_assert_near(v, 0.2319615486459151, 1e-9);
    assert_true(sg_run_index(run, "exposure", &v));
    sg_assert_near(v, 0.7680384513540848, 1e-9);
    /* The summary names the working CRS and how it was chosen. */
    json_object *sum = json_tokener_parse(sg_run_summary_json(run));
    json_object *crs, *work, *id, *how;
    assert_true(json_object_object_get_ex(sum, "crs", &crs));
    assert_true(json_object_object_get_ex(crs, "working", &work));
    assert_true(json_object_object_get_ex(work, "id", &id));
    assert_string_equal(json_object_get_string(id), "EPSG:32610");
    assert_true(json_object_object_get_ex(work, "how", &how));
    assert_non_null(strstr(json_object_get_string(how), "UTM"));
    json_object_put(sum);
    sg_run_destroy(run);
}

/* Berlin: boundaries in EPSG:4326 plus two CSVs of different dialects
 * (comma/LF and semicolon/CR-only), 8-digit keys with leading zeros. */
static void berlin_join_two_dialects(void **state) {
    fixture *f = *state;
    REQUIRE_SHARED("data/berlin-2016/EWRMIGRA201612H_Matrix.csv");
    const char *args[] = {"--districts", SHARED("data/berlin-2016/lor_planungsraeume_447_wgs84.geojson"),
                          "--id", "spatial_name",
                          "--table", SHARED("data/berlin-2016/EWR201612E_Matrix.csv"), "--table-key", "RAUMID",
                          "--table", SHARED("data/berlin-2016/EWRMIGRA201612H_Matrix.csv"), "--table-key", "RAUMID",
                          "--total", "E_E", "--group", "MH_E", "--out", f->dir, "--quiet", NULL};
    sg_run *run = NULL;
    expect_ok(f->ctx, sg_test_analyze(f->ctx, &run, args));
    size_t nread, used, excl;
    sg_run_counts(run, &nread, &used, &excl);
    assert_int_equal(nread, 447);
    assert_int_equal(used, 447);
    assert_int_equal(excl, 0);
    double v;
    assert_true(sg_run_index(run, "dissimilarity", &v));
    sg_assert_near(v, 0.302674, 2e-6); /* SOURCE.md gives 6 decimals */
    assert_true(sg_run_index(run, "isolation", &v));
    sg_assert_near(v, 0.391804, 2e-6);
    assert_int_equal(sg_ctx_count(f->ctx, SG_SEV_WARNING), 0);
    /* 447 of 447 joined on both tables, no unmatched rows. */
    json_object *sum = json_tokener_parse(sg_run_summary_json(run));
    json_object *inputs, *tables;
    assert_true(json_object_object_get_ex(sum, "inputs", &inputs));
    assert_true(json_object_object_get_ex(inputs, "tables", &tables));
    assert_int_equal(json_object_array_length(tables), 2);
    for (size_t t = 0; t < 2; t++) {
        json_object *tb = json_object_array_get_idx(tables, t), *m, *u;
        assert_true(json_object_object_get_ex(tb, "matched_rows", &m));
        assert_true(json_object_object_get_ex(tb, "rows_without_district", &u));
        assert_int_equal(json_object_get_int(m), 447);
        assert_int_equal(json_object_get_int(u), 0);
    }
    json_object_put(sum);
    sg_run_destroy(run);
}

/* Badalona 2012: 148 polygons, 149 table rows; S-08001 has no polygon and is
 * reported, and the 148 joined units give D = 0.407902 (SOURCE.md). */
static void badalona_unmatched_row_is_reported(void **state) {
    fixture *f = *state;
    REQUIRE_SHARED("data/badalona-2012/badalona_2012_nacionalitat_wide_DERIVED.csv");
    const char *args[] = {"--districts", SHARED("data/badalona-2012/bdn_seccions_censals_wgs84.geojson"),
                          "--id", "codi-seccio",
                          "--table", SHARED("data/badalona-2012/badalona_2012_nacionalitat_wide_DERIVED.csv"),
                          "--table-key", "CODI_DIVISIO_TERRITORIAL",
                          "--total", "POB_TOTAL", "--group", "POB_ESTRANGERA", "--out", f->dir, "--quiet", NULL};
    sg_run *run = NULL;
    expect_ok(f->ctx, sg_test_analyze(f->ctx, &run, args));
    size_t nread, used;
    sg_run_counts(run, &nread, &used, NULL);
    assert_int_equal(nread, 148);
    assert_int_equal(used, 148);
    double v;
    assert_true(sg_run_index(run, "dissimilarity", &v));
    sg_assert_near(v, 0.407902, 2e-6);
    assert_true(sg_run_index(run, "isolation", &v));
    sg_assert_near(v, 0.270322, 2e-6);
    assert_diag(f->ctx, "W_ROW_WITHOUT_DISTRICT", "1 of 149 rows", "S-08001");
    sg_run_destroy(run);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(sacramento_matches_reference_json, setup, teardown),
        cmocka_unit_test_setup_teardown(sacramento_shapefile_published_values, setup, teardown),
        cmocka_unit_test_setup_teardown(berlin_join_two_dialects, setup, teardown),
        cmocka_unit_test_setup_teardown(badalona_unmatched_row_is_reported, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

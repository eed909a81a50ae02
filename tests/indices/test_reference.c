/* Agreement with reference values on real data: Sacramento (PySAL's own
 * test data; values in ../shared/reference), the Berlin join of two CSV
 * dialects, and the Badalona join with a table row that has no polygon. */
#include <json-c/json.h>

#include "test_support.h"

typedef sg_test_fixture fixture;

static void expect_ok(sg_ctx *ctx, sg_status st) {
    if (st != SG_OK) print_error("analyze failed: %s\n", sg_ctx_last_error(ctx));
    assert_int_equal(st, SG_OK);
}

/* The spatial indices of the json: each must be reported (in the run its
 * `requires` names) and match. */
static const char *const spatial_keys[] = {
    "delta", "absolute_concentration", "relative_concentration", "absolute_centralization",
    "relative_centralization", "absolute_clustering", "relative_clustering", "spatial_proximity",
    "distance_decay_isolation", "distance_decay_exposure", "spatial_dissimilarity",
    "boundary_spatial_dissimilarity", "perimeter_area_spatial_dissimilarity", "spatial_proximity_profile",
    "global_distortion", NULL,
};

/* Compares the json entries whose `requires` equals `requires` (NULL: none)
 * with the run; returns how many were compared. */
static int compare_reference(json_object *indices, sg_run *run, const char *requires) {
    int compared = 0;
    json_object_object_foreach(indices, name, entry) {
        json_object *jr = NULL;
        const char *req = json_object_object_get_ex(entry, "requires", &jr) && jr ? json_object_get_string(jr) : NULL;
        if ((req == NULL) != (requires == NULL) || (req && strcmp(req, requires) != 0)) continue;
        double got;
        int spatial = 0;
        for (int k = 0; spatial_keys[k]; k++) spatial |= strcmp(spatial_keys[k], name) == 0;
        if (!sg_run_index(run, name, &got)) {
            if (spatial) fail_msg("spatial index %s missing from the run (%s)", name, requires ? requires : "default");
            continue;
        }
        json_object *jv, *jt;
        assert_true(json_object_object_get_ex(entry, "value", &jv));
        assert_true(json_object_object_get_ex(entry, "tol", &jt));
        print_message("%-14s seggap %.17g  reference %.17g%s%s\n", name, got, json_object_get_double(jv),
                      requires ? "  with " : "", requires ? requires : "");
        sg_assert_near(got, json_object_get_double(jv), json_object_get_double(jt));
        compared++;
    }
    return compared;
}

/* Every index of the reference json that seggap computes must match within
 * the json's own tolerance. Entries whose `requires` names an option (PySAL's
 * distance kernel) are compared in a second run with that option, and not in
 * the default run (seggap's default kernel differs on purpose). Also the
 * per-tract local distortion, read back from districts.geojson. */
static void sacramento_matches_reference_json(void **state) {
    fixture *f = *state;
    REQUIRE_SHARED("reference/sacramento_hisp_2000.json");
    const char *args[] = {"--districts", SHARED("reference/sacramento_hisp_2000.gpkg"), "--layer", "units_projected",
                          "--id", "id", "--total", "total_pop", "--group", "group_pop", "--work-crs", "EPSG:32610",
                          "--out", f->dir, "--quiet", NULL, NULL, NULL};
    sg_run *run = NULL;
    expect_ok(f->ctx, sg_test_analyze(f->ctx, &run, args));
    json_object *ref = json_object_from_file(SHARED("reference/sacramento_hisp_2000.json"));
    assert_non_null(ref);
    json_object *data, *indices, *local, *ldist;
    assert_true(json_object_object_get_ex(ref, "sacramento_hisp_2000", &data));
    assert_true(json_object_object_get_ex(data, "indices", &indices));
    int compared = compare_reference(indices, run, NULL);
    assert_true(compared >= 3);
    size_t nread, used, excl;
    sg_run_counts(run, &nread, &used, &excl);
    assert_int_equal(nread, 403);
    assert_int_equal(used, 403);

    /* local_distortion per tract (the layer keeps 15 significant digits). */
    assert_true(json_object_object_get_ex(data, "local", &local));
    assert_true(json_object_object_get_ex(local, "local_distortion", &ldist));
    GDALDatasetH ds = GDALOpenEx(sg_run_districts_path(run), GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH lyr = GDALDatasetGetLayer(ds, 0);
    int fid = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(lyr), "id");
    int fld = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(lyr), "local_distortion");
    assert_true(fid >= 0 && fld >= 0);
    int nloc = 0;
    OGRFeatureH ft;
    while ((ft = OGR_L_GetNextFeature(lyr)) != NULL) {
        const char *id = OGR_F_GetFieldAsString(ft, fid);
        json_object *jv;
        if (!json_object_object_get_ex(ldist, id, &jv)) fail_msg("id %s not in the json's local_distortion", id);
        if (nloc < 3)
            print_message("local_distortion %s seggap %.15g  reference %.17g\n", id,
                          OGR_F_GetFieldAsDouble(ft, fld), json_object_get_double(jv));
        sg_assert_near(OGR_F_GetFieldAsDouble(ft, fld), json_object_get_double(jv), 1e-12);
        nloc++;
        OGR_F_Destroy(ft);
    }
    assert_int_equal(nloc, 403);
    GDALClose(ds);
    sg_run_destroy(run);

    /* Second run: PySAL's distance kernel, for the entries that require it. */
    args[15] = "--distance-kernel";
    args[16] = "pysal";
    run = NULL;
    expect_ok(f->ctx, sg_test_analyze(f->ctx, &run, args));
    assert_int_equal(compare_reference(indices, run, "--distance-kernel pysal"), 5);
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
    /* No join, value or geometry warning (the objective layers may warn that
     * Berlin has no housing data: that is not about the join). */
    for (size_t i = 0; i < sg_ctx_diag_count(f->ctx); i++) {
        const char *code = sg_ctx_diag(f->ctx, i)->code;
        assert_true(strncmp(code, "W_ROW", 5) && strncmp(code, "W_DISTRICT", 10) && strcmp(code, "W_NO_DATA") &&
                    strcmp(code, "W_KEY_LEADING_ZEROS") && strcmp(code, "W_GEOMETRY_REPAIRED"));
    }
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

/* Per-district local values (lq, local_entropy, local_diversity) of the
 * Sacramento run, read back from districts.geojson, against the json's
 * `local` block for all 403 tracts. */
static void sacramento_local_values_match_reference_json(void **state) {
    fixture *f = *state;
    REQUIRE_SHARED("reference/sacramento_hisp_2000.json");
    const char *args[] = {"--districts", SHARED("reference/sacramento_hisp_2000.gpkg"), "--layer", "units_projected",
                          "--id", "id", "--total", "total_pop", "--group", "group_pop", "--work-crs", "EPSG:32610",
                          "--out", f->dir, "--quiet", NULL};
    sg_run *run = NULL;
    expect_ok(f->ctx, sg_test_analyze(f->ctx, &run, args));
    json_object *ref = json_object_from_file(SHARED("reference/sacramento_hisp_2000.json"));
    assert_non_null(ref);
    json_object *data, *local;
    assert_true(json_object_object_get_ex(ref, "sacramento_hisp_2000", &data));
    assert_true(json_object_object_get_ex(data, "local", &local));
    GDALDatasetH ds = GDALOpenEx(sg_run_districts_path(run), GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH lyr = GDALDatasetGetLayer(ds, 0);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    const char *fields[] = {"lq", "local_entropy", "local_diversity"};
    int idf = OGR_FD_GetFieldIndex(defn, "id");
    assert_true(idf >= 0);
    int compared = 0;
    OGRFeatureH ft;
    while ((ft = OGR_L_GetNextFeature(lyr)) != NULL) {
        const char *id = OGR_F_GetFieldAsString(ft, idf);
        for (int k = 0; k < 3; k++) {
            json_object *block, *jv;
            assert_true(json_object_object_get_ex(local, fields[k], &block));
            if (!json_object_object_get_ex(block, id, &jv)) fail_msg("id %s not in the json's local.%s", id, fields[k]);
            int fi = OGR_FD_GetFieldIndex(defn, fields[k]);
            assert_true(fi >= 0);
            /* the layer keeps 15 significant digits */
            sg_assert_near(OGR_F_GetFieldAsDouble(ft, fi), json_object_get_double(jv), 1e-12);
            compared++;
        }
        OGR_F_Destroy(ft);
    }
    assert_int_equal(compared, 3 * 403);
    GDALClose(ds);
    json_object_put(ref);
    sg_run_destroy(run);
}

/* Berlin multigroup: the 7 origin groups that partition MH_E plus
 * rest = E_E - MH_E (8 groups). Expected values computed independently by
 * tests/indices/berlin_multigroup_expected.py (Python standard library: csv and
 * math.fsum, textbook double loops, Gini over all ordered pairs, θ* by
 * bisection, ConProf on the literal 1000-point grid); run as
 *   python3 tests/indices/berlin_multigroup_expected.py ../shared/data/berlin-2016
 * The first four two-group values are also in SOURCE.md (6 decimals). */
static void berlin_multigroup_origins(void **state) {
    fixture *f = *state;
    REQUIRE_SHARED("data/berlin-2016/EWRMIGRA201612H_Matrix.csv");
    const char *args[] = {"--districts", SHARED("data/berlin-2016/lor_planungsraeume_447_wgs84.geojson"),
                          "--id", "spatial_name",
                          "--table", SHARED("data/berlin-2016/EWR201612E_Matrix.csv"), "--table-key", "RAUMID",
                          "--table", SHARED("data/berlin-2016/EWRMIGRA201612H_Matrix.csv"), "--table-key", "RAUMID",
                          "--total", "E_E", "--group", "MH_E",
                          "--groups", "HK_EU28,HK_EheJug,HK_EheSU,HK_Turk,HK_Arab,HK_Sonst,HK_NZOrd",
                          "--out", f->dir, "--quiet", NULL};
    sg_run *run = NULL;
    expect_ok(f->ctx, sg_test_analyze(f->ctx, &run, args));
    size_t nread, used;
    sg_run_counts(run, &nread, &used, NULL);
    assert_int_equal(used, 447);
    static const struct {
        const char *name;
        double value, tol;
    } want[] = {
        /* SOURCE.md, 6 decimals */
        {"gini", 0.413064, 5e-6},
        {"entropy", 0.094664, 5e-6},
        {"atkinson_b05", 0.136225, 5e-6},
        {"correlation_ratio", 0.113714, 5e-6},
        /* the Python script, two-group x = MH_E, t = E_E */
        {"dissimilarity", 0.30267409968626813, 1e-12},
        {"gini", 0.41306412257334479, 1e-12},
        {"entropy", 0.094663809749244182, 1e-12},
        {"atkinson_b01", 0.029436782065142997, 1e-12},
        {"atkinson_b05", 0.13622481432711075, 1e-12},
        {"atkinson_b09", 0.22868259814808956, 1e-12},
        {"correlation_ratio", 0.11371395537001087, 1e-12},
        {"min_max", 0.46469658030226157, 1e-12},
        {"density_corrected_dissimilarity", 0.3025141413143384, 1e-10},
        {"concentration_profile", 0.20549245207605968, 1e-12},
        /* the Python script, the 8-group frame */
        {"multi_dissimilarity", 0.30031657658195754, 1e-12},
        {"multi_gini", 0.40551044216563992, 1e-12},
        {"multi_information_theory", 0.084836582253110901, 1e-12},
        {"multi_normalized_exposure", 0.087563592464742337, 1e-12},
        {"multi_relative_diversity", 0.065587561348524184, 1e-12},
        {"multi_squared_coefficient_of_variation", 0.031515751864278116, 1e-12},
        {"multi_divergence", 0.099996654317793324, 1e-12},
        {"multi_diversity", 1.1786973456739709, 1e-12},
        {"simpsons_concentration", 0.49015313162368351, 1e-12},
        {"simpsons_interaction", 0.50984686837631654, 1e-12},
        {"dissimilarity_HK_EU28", 0.22710753424310548, 1e-12},
        {"dissimilarity_HK_EheJug", 0.30810328019689631, 1e-12},
        {"dissimilarity_HK_EheSU", 0.29000824572646655, 1e-12},
        {"dissimilarity_HK_Turk", 0.4820557472920487, 1e-12},
        {"dissimilarity_HK_Arab", 0.33439790053768481, 1e-12},
        {"dissimilarity_HK_Sonst", 0.22493724294956549, 1e-12},
        {"dissimilarity_HK_NZOrd", 0.37107239391998165, 1e-12},
        {"dissimilarity_rest", 0.30267409968626813, 1e-12},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        double v;
        if (!sg_run_index(run, want[k].name, &v)) fail_msg("index %s missing", want[k].name);
        sg_assert_near(v, want[k].value, want[k].tol);
    }
    /* Per district, from the layer: the first unit, the smallest (E_E = 43)
     * and the largest (E_E = 35308); the Python script prints these. */
    static const struct {
        const char *id;
        double lq, le, ld, lq_turk, lq_rest;
    } loc[] = {
        {"01011101", 1.787979464336108, 0.77529260893686902, 1.612175657980665, 0.53358150117486147,
         0.63970591632871865},
        {"04041133", 1.1117599709686985, 0.53448844281984464, 1.1114374715473525, 0, 0.94889910441356284},
        {"03040614", 0.39048254650439057, 0.26392742008673931, 0.54882164131675082, 0.084118652159626786,
         1.27869448675782},
    };
    GDALDatasetH ds = GDALOpenEx(sg_run_districts_path(run), GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH lyr = GDALDatasetGetLayer(ds, 0);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    const char *fields[] = {"lq", "local_entropy", "local_diversity", "lq_HK_Turk", "lq_rest"};
    int fi[5];
    for (int k = 0; k < 5; k++) {
        fi[k] = OGR_FD_GetFieldIndex(defn, fields[k]);
        if (fi[k] < 0) fail_msg("field %s missing from districts.geojson", fields[k]);
    }
    assert_true(OGR_FD_GetFieldIndex(defn, "lq_HK_EU28") >= 0);
    int found = 0;
    OGRFeatureH ft;
    while ((ft = OGR_L_GetNextFeature(lyr)) != NULL) {
        const char *id = OGR_F_GetFieldAsString(ft, OGR_FD_GetFieldIndex(defn, "id"));
        for (size_t r = 0; r < sizeof loc / sizeof loc[0]; r++) {
            if (strcmp(id, loc[r].id) != 0) continue;
            double w[5] = {loc[r].lq, loc[r].le, loc[r].ld, loc[r].lq_turk, loc[r].lq_rest};
            for (int k = 0; k < 5; k++) sg_assert_near(OGR_F_GetFieldAsDouble(ft, fi[k]), w[k], 1e-12);
            found++;
        }
        OGR_F_Destroy(ft);
    }
    assert_int_equal(found, 3);
    GDALClose(ds);
    sg_run_destroy(run);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(sacramento_matches_reference_json, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(sacramento_shapefile_published_values, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(berlin_join_two_dialects, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(badalona_unmatched_row_is_reported, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(sacramento_local_values_match_reference_json, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(berlin_multigroup_origins, sg_test_setup, sg_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

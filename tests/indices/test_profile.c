/* The multiscalar segregation profile (--scales, indices/profile.c): PySAL's
 * values on Sacramento for every kernel and distance
 * (../shared/reference/sacramento_profiles.json, within its tolerances), and
 * a hand-computed profile on a city of three squares. */
#include <json-c/json.h>

#include "test_support.h"

typedef sg_test_fixture fixture;

static const char *const index_keys[] = {"dissimilarity", "entropy", "isolation", "information_theory"};

/* summary.json -> profile of the run in dir (the caller puts the root). */
static json_object *read_profile(const char *dir, json_object **root) {
    char *p = sg_test_path(dir, "summary.json");
    *root = json_object_from_file(p);
    free(p);
    assert_non_null(*root);
    json_object *prof = NULL;
    assert_true(json_object_object_get_ex(*root, "profile", &prof));
    return prof;
}

static double profile_value(json_object *prof, const char *index, size_t s) {
    json_object *ind, *arr;
    assert_true(json_object_object_get_ex(prof, "indices", &ind));
    assert_true(json_object_object_get_ex(ind, index, &arr));
    json_object *v = json_object_array_get_idx(arr, s);
    assert_non_null(v);
    return json_object_get_double(v);
}

static void run_ok(fixture *f, const char *const *args) {
    sg_run *run = NULL;
    sg_status st = sg_test_analyze(f->ctx, &run, args);
    if (st != SG_OK) print_error("analyze failed: %s\n", sg_ctx_last_error(f->ctx));
    assert_int_equal(st, SG_OK);
    sg_run_destroy(run);
}

/* Every kernel, every distance, every index: PySAL's value within the json's
 * tolerance; the d = 0 entry is the aspatial index; --scale-unrounded gives
 * the json's value_without_rounding (its own sums, so 1e-9). */
static void sacramento_profiles_match_pysal(void **state) {
    fixture *f = *state;
    REQUIRE_SHARED("reference/sacramento_profiles.json");
    json_object *ref = json_object_from_file(SHARED("reference/sacramento_profiles.json")), *data, *kern, *asp;
    assert_non_null(ref);
    assert_true(json_object_object_get_ex(ref, "sacramento_hisp_2000", &data));
    assert_true(json_object_object_get_ex(data, "kernel", &kern));
    assert_true(json_object_object_get_ex(data, "aspatial", &asp));
    int compared = 0;
    for (int unrounded = 0; unrounded < 2; unrounded++) {
        json_object_object_foreach(kern, kname, kobj) {
            if (unrounded && strcmp(kname, "uniform") != 0 && strcmp(kname, "triangular") != 0) continue;
            char *dir = sg_test_path(f->dir, kname);
            const char *args[] = {"--districts", SHARED("reference/sacramento_hisp_2000.gpkg"), "--layer",
                                  "units_projected", "--id", "id", "--total", "total_pop", "--group", "group_pop",
                                  "--work-crs", "EPSG:32610", "--indices", "basic", "--scales",
                                  "0,500,1000,2000,4000,8000,16000", "--scale-kernel", kname, "--out", dir, "--quiet",
                                  unrounded ? "--scale-unrounded" : NULL, NULL};
            run_ok(f, args);
            json_object *root, *prof = read_profile(dir, &root), *jk;
            assert_true(json_object_object_get_ex(prof, "kernel", &jk));
            assert_string_equal(json_object_get_string(jk), kname);
            for (int q = 0; q < 4; q++) {
                json_object *a0, *av, *at, *list;
                assert_true(json_object_object_get_ex(asp, index_keys[q], &a0));
                assert_true(json_object_object_get_ex(a0, "value", &av));
                assert_true(json_object_object_get_ex(a0, "tol", &at));
                sg_assert_near(profile_value(prof, index_keys[q], 0), json_object_get_double(av),
                               json_object_get_double(at));
                assert_true(json_object_object_get_ex(kobj, index_keys[q], &list));
                assert_int_equal(json_object_array_length(list), 6);
                for (size_t s = 0; s < 6; s++) {
                    json_object *e = json_object_array_get_idx(list, s), *jv, *jt, *jd;
                    assert_true(json_object_object_get_ex(e, unrounded ? "value_without_rounding" : "value", &jv));
                    assert_true(json_object_object_get_ex(e, "tol", &jt));
                    assert_true(json_object_object_get_ex(e, "distance_m", &jd));
                    double got = profile_value(prof, index_keys[q], s + 1), want = json_object_get_double(jv);
                    if (s == 1 && q == 0)
                        print_message("%-10s %s d=%g seggap %.17g pysal %.17g\n", kname,
                                      unrounded ? "unrounded" : "rounded", json_object_get_double(jd), got, want);
                    sg_assert_near(got, want, unrounded ? 1e-9 : json_object_get_double(jt));
                    compared++;
                }
            }
            json_object_put(root);
            free(dir);
        }
    }
    assert_int_equal(compared, 5 * 24 + 2 * 24);
    json_object_put(ref);
}

/* The same profile on one thread and on four: bit-identical. */
static void sacramento_profile_thread_independent(void **state) {
    fixture *f = *state;
    REQUIRE_SHARED("reference/sacramento_hisp_2000.gpkg");
    double v[2][4][3];
    for (int r = 0; r < 2; r++) {
        char *dir = sg_test_path(f->dir, r ? "t4" : "t1");
        const char *args[] = {"--districts", SHARED("reference/sacramento_hisp_2000.gpkg"), "--layer", "units_projected",
                              "--id", "id", "--total", "total_pop", "--group", "group_pop", "--indices", "basic",
                              "--scales", "700,3000,9000", "--scale-kernel", "Gaussian", "--threads", r ? "4" : "1",
                              "--out", dir, "--quiet", NULL};
        run_ok(f, args);
        json_object *root, *prof = read_profile(dir, &root);
        for (int q = 0; q < 4; q++)
            for (size_t s = 0; s < 3; s++) v[r][q][s] = profile_value(prof, index_keys[q], s);
        json_object_put(root);
        free(dir);
    }
    assert_memory_equal(v[0], v[1], sizeof v[0]);
}

/* Three 100 m squares in a row, centroids at x = 50, 150 and 350 (metres),
 * group 11, 19, 30 of 100 each. Triangular kernel, h = 200: district 0 sees
 * district 1 at 100 m (w = 1/2); district 1 sees 0 (1/2) and 2 at exactly
 * 200 m (w = 0, in the closed ball); district 2 sees 1 (0). Local sums:
 *   group  11 + 9.5 = 20.5 -> 20,  19 + 5.5 = 24.5 -> 24 (half to even), 30
 *   total  150, 150, 100;  rest 89 + 40.5 = 129.5 -> 130, 81 + 44.5 = 125.5 -> 126, 70
 * D on ([20, 24, 30], [150, 150, 100]): P = 74/400, Σ t|p − P| / (2 T P (1 − P))
 * = 0.19068147902503732 (Python, by hand); H = 0.029330117862713;
 * xPx = Σ (x/X)(x/t) = 0.20954954954954957; MIT on [group, rest] = H here
 * (the rounded columns add up to the rounded totals). Unrounded (20.5, 24.5):
 * D = 0.18461538461538463, H = 0.02767045329165707, xPx = 0.2107111111111111.
 * Aspatial (d = 0): D = 0.20833333333333334, xPx = 0.23033333333333333. */
static void hand_made_profile(void **state) {
    fixture *f = *state;
    char *path = sg_test_path(f->dir, "row.gpkg");
    const fx_row rows[] = {
        {"POLYGON((500000 5800000,500100 5800000,500100 5800100,500000 5800100,500000 5800000))", "a", "100", "11"},
        {"POLYGON((500100 5800000,500200 5800000,500200 5800100,500100 5800100,500100 5800000))", "b", "100", "19"},
        {"POLYGON((500300 5800000,500400 5800000,500400 5800100,500300 5800100,500300 5800000))", "c", "100", "30"},
    };
    fx_write(path, "GPKG", 32633, rows, 3, 1);
    for (int unrounded = 0; unrounded < 2; unrounded++) {
        char *dir = sg_test_path(f->dir, unrounded ? "u" : "r");
        const char *args[] = {"--districts", path, "--id", "id", "--total", "total", "--group", "group",
                              "--work-crs", "EPSG:32633", "--scales", "200,0,50", "--out", dir, "--quiet",
                              unrounded ? "--scale-unrounded" : NULL, NULL};
        run_ok(f, args);
        json_object *root, *prof = read_profile(dir, &root), *jd;
        assert_true(json_object_object_get_ex(prof, "distances_m", &jd));
        assert_int_equal(json_object_array_length(jd), 3);
        assert_int_equal(json_object_get_int(json_object_array_get_idx(jd, 0)), 200); /* the order given */
        if (!unrounded) {
            sg_assert_near(profile_value(prof, "dissimilarity", 0), 0.19068147902503732, 1e-13);
            sg_assert_near(profile_value(prof, "entropy", 0), 0.02933011786271304, 1e-12);
            sg_assert_near(profile_value(prof, "isolation", 0), 0.20954954954954957, 1e-13);
            sg_assert_near(profile_value(prof, "information_theory", 0), 0.02933011786271304, 1e-12);
        } else {
            sg_assert_near(profile_value(prof, "dissimilarity", 0), 0.18461538461538463, 1e-13);
            sg_assert_near(profile_value(prof, "entropy", 0), 0.02767045329165707, 1e-12);
            sg_assert_near(profile_value(prof, "isolation", 0), 0.2107111111111111, 1e-13);
        }
        /* d = 0 and d = 50 (no neighbour within 50 m): the aspatial values */
        for (size_t s = 1; s < 3; s++) {
            sg_assert_near(profile_value(prof, "dissimilarity", s), 0.20833333333333334, 1e-13);
            sg_assert_near(profile_value(prof, "isolation", s), 0.23033333333333333, 1e-13);
            sg_assert_near(profile_value(prof, "entropy", s), 0.038372227544321354, 1e-12);
        }
        /* report.html: the profile chart, one line per index, and its table */
        char *rp = sg_test_path(dir, "report.html");
        FILE *rf = fopen(rp, "r");
        assert_non_null(rf);
        static char html[1 << 20];
        size_t nh = fread(html, 1, sizeof html - 1, rf);
        html[nh] = 0;
        fclose(rf);
        assert_non_null(strstr(html, "<section id=\"profile\">"));
        int lines = 0;
        for (const char *q = html; (q = strstr(q, "<polyline")) != NULL; q++) lines++;
        assert_int_equal(lines, 4);
        assert_non_null(strstr(html, unrounded ? "not rounded" : "rounded to whole persons"));
        free(rp);
        json_object_put(root);
        free(dir);
    }
    free(path);
}

/* Option errors: a bad distance, an unknown kernel, a kernel without --scales. */
static void profile_option_errors(void **state) {
    fixture *f = *state;
    const char *bad[][4] = {{"--scales", "500,-1", NULL, NULL},
                            {"--scales", "500,x", NULL, NULL},
                            {"--scales", "500", "--scale-kernel", "epanechnikov"},
                            {"--scale-kernel", "uniform", NULL, NULL},
                            {"--scale-unrounded", NULL, NULL, NULL}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        const char *args[] = {"--districts", "x.gpkg", "--id", "id", "--total", "t", "--group", "g", "--out", f->dir,
                              bad[k][0], bad[k][1], bad[k][2], bad[k][3], NULL};
        sg_options *o = NULL;
        int argc = 0;
        while (args[argc]) argc++;
        assert_int_equal(sg_options_parse(f->ctx, argc, (char *const *)args, &o, NULL), SG_ERR_USAGE);
        sg_options_free(o);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(hand_made_profile, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(profile_option_errors, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(sacramento_profiles_match_pysal, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(sacramento_profile_thread_independent, sg_test_setup, sg_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

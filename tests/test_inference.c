/* Inference: the hypergeometric sampler, permutation p-values, bootstrap
 * intervals, and reproducibility for any thread count. */
#include <json-c/json.h>

#include "test_support.h"
#include "internal.h"

/* Sample mean and variance against the hypergeometric law:
 * mean = n K / N, var = n (K/N)(1 - K/N)(N - n)/(N - 1). */
static void hypergeometric_moments(void **state) {
    (void)state;
    struct { double N, K, n; } cases[] = {
        {1000, 300, 50}, {20, 7, 12}, {3670622, 1151732, 8000}, {100, 99, 10}, {500, 3, 400},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double N = cases[c].N, K = cases[c].K, n = cases[c].n;
        sg_rng r;
        sg__rng_seed(&r, 7, c);
        const int reps = 40000;
        double s = 0, s2 = 0, lo = fmax(0, n - (N - K)), hi = fmin(n, K);
        for (int i = 0; i < reps; i++) {
            double v = sg__rng_hypergeometric(&r, N, K, n);
            assert_true(v >= lo && v <= hi && v == floor(v));
            s += v;
            s2 += v * v;
        }
        double mean = s / reps, var = s2 / reps - mean * mean;
        double want_mean = n * K / N, want_var = n * (K / N) * (1 - K / N) * (N - n) / (N - 1);
        /* 5 standard errors of the mean; variance within 5 % */
        assert_true(fabs(mean - want_mean) <= 5 * sqrt(want_var / reps) + 1e-12);
        sg_assert_near(var, want_var, 0.05);
    }
    sg_rng r;
    sg__rng_seed(&r, 1, 0);
    assert_true(sg__rng_hypergeometric(&r, 10, 0, 5) == 0);
    assert_true(sg__rng_hypergeometric(&r, 10, 10, 5) == 5);
    assert_true(sg__rng_hypergeometric(&r, 10, 4, 10) == 4);
    assert_true(sg__rng_hypergeometric(&r, 10, 4, 0) == 0);
}

typedef struct fixture {
    sg_ctx *ctx;
    char *dir, *out, *path;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->ctx = sg_ctx_create();
    f->dir = sg_test_tmpdir();
    f->out = sg_test_path(f->dir, "out");
    f->path = sg_test_path(f->dir, "city.geojson");
    *state = f;
    return 0;
}
static int teardown(void **state) {
    fixture *f = *state;
    sg_ctx_destroy(f->ctx);
    sg_test_rmdir(f->dir);
    free(f->out);
    free(f->path);
    free(f);
    return 0;
}

/* A 6 x 6 city of 200 residents per district; group counts from counts[]. */
static void write_city(fixture *f, const double *counts) {
    fx_row rows[36];
    char ids[36][8], tot[36][16], grp[36][16], *sq[36];
    for (int i = 0; i < 36; i++) {
        sq[i] = fx_square(i % 6, i / 6);
        snprintf(ids[i], sizeof ids[i], "%02d", i);
        snprintf(tot[i], sizeof tot[i], "200");
        snprintf(grp[i], sizeof grp[i], "%.0f", counts[i]);
        rows[i] = (fx_row){sq[i], ids[i], tot[i], grp[i]};
    }
    fx_write(f->path, "GeoJSON", 4326, rows, 36, 1);
    for (int i = 0; i < 36; i++) free(sq[i]);
}

static const sg_global *run_global(fixture *f, const char *threads, sg_run **run, const char *name) {
    const char *args[] = {"--districts", f->path, "--id", "id", "--total", "total", "--group", "group",
                          "--out", f->out, "--permutations", "199", "--bootstrap", "99", "--seed", "42",
                          "--threads", threads, "--quiet", NULL};
    sg_status st = sg_test_analyze(f->ctx, run, args);
    if (st != SG_OK) print_error("%s\n", sg_ctx_last_error(f->ctx));
    assert_int_equal(st, SG_OK);
    return sg__result_get(&(*run)->res, name);
}

/* Checkerboard: 180 and 20 of 200 in alternating districts. */
static void checkerboard_is_significant(void **state) {
    fixture *f = *state;
    double c[36];
    for (int i = 0; i < 36; i++) c[i] = ((i % 6) + (i / 6)) % 2 ? 180 : 20;
    write_city(f, c);
    sg_run *run = NULL;
    const sg_global *g = run_global(f, "2", &run, "dissimilarity");
    assert_non_null(g);
    sg_assert_near(g->value, 0.8, 1e-12); /* |180/3600 - 20/3600| summed over 36, halved */
    assert_true(g->p_value <= 0.01);
    sg_assert_near(g->p_value, 1.0 / 200.0, 1e-12); /* nothing in the null comes close */
    assert_true(g->null_mean < 0.2);
    assert_true(g->ci_low <= g->value && g->value <= g->ci_high);
    sg_run_destroy(run);
}

/* Group members placed at random (a draw from the null itself): p >= 0.05.
 * The draw is fixed by its seed; p under the null is uniform, and this seed's
 * draw gives p well above 0.05 (printed). */
static void random_city_is_not_significant(void **state) {
    fixture *f = *state;
    double c[36], T = 7200, X = 1440;
    sg_rng r;
    sg__rng_seed(&r, 2024, 0);
    for (int i = 0; i < 36; i++) {
        c[i] = sg__rng_hypergeometric(&r, T, X, 200);
        X -= c[i];
        T -= 200;
    }
    write_city(f, c);
    sg_run *run = NULL;
    const sg_global *g = run_global(f, "1", &run, "dissimilarity");
    print_message("random city: D = %.4f, p = %.3f, null mean %.4f\n", g->value, g->p_value, g->null_mean);
    assert_true(g->p_value >= 0.05);
    sg_run_destroy(run);
}

/* The same seed gives the same numbers with 1 and 2 threads. */
static void same_result_for_any_thread_count(void **state) {
    fixture *f = *state;
    double c[36];
    for (int i = 0; i < 36; i++) c[i] = 10 + 5 * (i % 7) + (i / 6) * 4;
    write_city(f, c);
    sg_run *a = NULL, *b = NULL;
    run_global(f, "1", &a, "dissimilarity");
    run_global(f, "2", &b, "dissimilarity");
    assert_int_equal(a->res.ng, b->res.ng);
    /* NaN = not computed: spatial families have no bootstrap interval, and the
     * O(N²) ones (flagged SG_FAM_NO_PERMUTE) no p-value. */
#define SAME(u, v) ((u) == (v) || (isnan(u) && isnan(v)))
    assert_true(isfinite(sg__result_get(&a->res, "dissimilarity")->p_value));
    for (size_t j = 0; j < a->res.ng; j++) {
        assert_true(SAME(a->res.g[j].p_value, b->res.g[j].p_value));
        assert_true(SAME(a->res.g[j].null_mean, b->res.g[j].null_mean));
        assert_true(SAME(a->res.g[j].ci_low, b->res.g[j].ci_low));
    }
#undef SAME
    sg_run_destroy(a);
    sg_run_destroy(b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hypergeometric_moments),
        cmocka_unit_test_setup_teardown(checkerboard_is_significant, setup, teardown),
        cmocka_unit_test_setup_teardown(random_city_is_not_significant, setup, teardown),
        cmocka_unit_test_setup_teardown(same_result_for_any_thread_count, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

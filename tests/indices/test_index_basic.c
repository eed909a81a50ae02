/* D, xPx, xPy: hand-computed cases and invariants. */
#include "test_support.h"

static sg_ctx *ctx;
static int setup(void **state) { (void)state; ctx = sg_ctx_create(); return ctx ? 0 : -1; }
static int teardown(void **state) { (void)state; sg_ctx_destroy(ctx); return 0; }

/* Four districts worked on paper:
 *   x = 0, 50, 30, 20   t = 100, 200, 50, 150   X = 100, T = 500, Y = 400
 *   x/X = .00 .50 .30 .20    y/Y = .25 .375 .05 .325
 *   D   = (.25 + .125 + .25 + .125) / 2 = .375
 *   xPx = .5*.25 + .3*.6 + .2*(20/150) = .331666...
 *   xPy = .5*.75 + .3*.4 + .2*(130/150) = .668333... */
static void toy_four_districts(void **state) {
    (void)state;
    double x[] = {0, 50, 30, 20}, t[] = {100, 200, 50, 150};
    sg_basic_indices r;
    assert_int_equal(sg_basic_indices_compute(ctx, x, t, 4, &r), SG_OK);
    sg_assert_near(r.dissimilarity, 0.375, 1e-15);
    sg_assert_near(r.isolation, 0.125 + 0.18 + 0.2 * 20.0 / 150.0, 1e-15);
    sg_assert_near(r.exposure, 0.375 + 0.12 + 0.2 * 130.0 / 150.0, 1e-15);
    sg_assert_near(r.share, 0.2, 1e-15);
    double share[4], lq[4], dc[4];
    sg_local_basic(&r, x, t, 4, share, lq, dc);
    sg_assert_near(share[2], 0.6, 1e-15);
    sg_assert_near(lq[2], 3.0, 1e-15);  /* 0.6 / 0.2 */
    sg_assert_near(lq[0], 0.0, 1e-15);
    sg_assert_near(dc[0], 0.125, 1e-15); /* |0 - .25| / 2 */
    sg_assert_near(dc[1] + dc[3], 0.125, 1e-15);
    sg_assert_near(dc[0] + dc[1] + dc[2] + dc[3], r.dissimilarity, 1e-15);
}

static void even_city_has_zero_d(void **state) {
    (void)state;
    double x[] = {10, 30, 5, 100}, t[] = {100, 300, 50, 1000};
    sg_basic_indices r;
    assert_int_equal(sg_basic_indices_compute(ctx, x, t, 4, &r), SG_OK);
    sg_assert_near(r.dissimilarity, 0.0, 1e-15);
    sg_assert_near(r.isolation, 0.1, 1e-14); /* the city share when even */
}

static void complete_segregation_has_d_one(void **state) {
    (void)state;
    double x[] = {100, 0, 40, 0}, t[] = {100, 70, 40, 90};
    sg_basic_indices r;
    assert_int_equal(sg_basic_indices_compute(ctx, x, t, 4, &r), SG_OK);
    sg_assert_near(r.dissimilarity, 1.0, 1e-15);
    sg_assert_near(r.isolation, 1.0, 1e-15);
    sg_assert_near(r.exposure, 0.0, 1e-15);
}

static void swapping_groups_keeps_d_and_scaling_keeps_all(void **state) {
    (void)state;
    double x[] = {3, 17, 40, 12, 9}, t[] = {50, 60, 90, 80, 45}, y[5], kx[5], kt[5];
    for (int i = 0; i < 5; i++) {
        y[i] = t[i] - x[i];
        kx[i] = 7.5 * x[i];
        kt[i] = 7.5 * t[i];
    }
    sg_basic_indices a, b, c;
    assert_int_equal(sg_basic_indices_compute(ctx, x, t, 5, &a), SG_OK);
    assert_int_equal(sg_basic_indices_compute(ctx, y, t, 5, &b), SG_OK);
    assert_int_equal(sg_basic_indices_compute(ctx, kx, kt, 5, &c), SG_OK);
    sg_assert_near(b.dissimilarity, a.dissimilarity, 1e-14);
    sg_assert_near(c.dissimilarity, a.dissimilarity, 1e-14);
    sg_assert_near(c.isolation, a.isolation, 1e-14);
    sg_assert_near(a.isolation + a.exposure, 1.0, 1e-14);
    assert_true(a.dissimilarity > 0 && a.dissimilarity < 1);
}

static void undefined_cases_are_errors(void **state) {
    (void)state;
    sg_basic_indices r = {0};
    double zero[] = {0, 0}, t[] = {10, 20};
    assert_int_equal(sg_basic_indices_compute(ctx, zero, t, 2, &r), SG_ERR_DATA);
    assert_diag(ctx, "E_EMPTY_GROUP", "undefined");
    assert_int_equal(sg_basic_indices_compute(ctx, t, t, 2, &r), SG_ERR_DATA);
    assert_diag(ctx, "E_FULL_GROUP", "whole population");
    double big[] = {11, 0};
    assert_int_equal(sg_basic_indices_compute(ctx, big, t, 2, &r), SG_ERR_DATA);
    double tz[] = {0, 20}, xz[] = {0, 5};
    assert_int_equal(sg_basic_indices_compute(ctx, xz, tz, 2, &r), SG_ERR_DATA);
    double xn[] = {NAN, 5};
    assert_int_equal(sg_basic_indices_compute(ctx, xn, t, 2, &r), SG_ERR_DATA);
    assert_int_equal(sg_basic_indices_compute(ctx, xn, t, 0, &r), SG_ERR_DATA);
    assert_diag(ctx, "E_NO_DISTRICTS", "no districts");
    sg_assert_near(r.dissimilarity, 0.0, 0); /* untouched on error */
}

/* With SG_TEST_WRONG_EXPECTATION set this asserts a wrong value, so that the
 * CTest entry harness_bites (WILL_FAIL) proves a failing assertion fails. */
static void wrong_expectation_when_asked(void **state) {
    (void)state;
    double x[] = {0, 50, 30, 20}, t[] = {100, 200, 50, 150};
    sg_basic_indices r;
    assert_int_equal(sg_basic_indices_compute(ctx, x, t, 4, &r), SG_OK);
    sg_assert_near(r.dissimilarity, getenv("SG_TEST_WRONG_EXPECTATION") ? 0.376 : 0.375, 1e-9);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(toy_four_districts),
        cmocka_unit_test(even_city_has_zero_d),
        cmocka_unit_test(complete_segregation_has_d_one),
        cmocka_unit_test(swapping_groups_keeps_d_and_scaling_keeps_all),
        cmocka_unit_test(undefined_cases_are_errors),
        cmocka_unit_test(wrong_expectation_when_asked),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* Numerical accuracy of the indices on a million districts: D, xPx and xPy
 * from sg_basic_indices_compute against references computed exactly (D: the
 * integer sum of |x_i Y - y_i X| in 128-bit integers, divided once) or in
 * long double with compensated sums (xPx), and overflowing counts rejected. */
#include "test_support.h"

#define N 1000000

/* Deterministic 64-bit LCG (Knuth's MMIX constants). */
static uint64_t lcg(uint64_t *s) {
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 11;
}

static void million_districts(void **state) {
    (void)state;
    double *x = malloc(N * sizeof *x), *t = malloc(N * sizeof *t);
    int64_t *xi = malloc(N * sizeof *xi), *ti = malloc(N * sizeof *ti);
    assert_non_null(x);
    assert_non_null(t);
    assert_non_null(xi);
    assert_non_null(ti);
    uint64_t s = 20240611;
    int64_t X = 0, T = 0;
    for (size_t i = 0; i < N; i++) {
        /* Mostly small districts, every 1000th a huge one: terms of very
         * different sizes, where plain summation loses digits. */
        int64_t tt = (i % 1000 == 0) ? 5000000 + (int64_t)(lcg(&s) % 5000000) : 1 + (int64_t)(lcg(&s) % 20000);
        int64_t xx = (int64_t)(lcg(&s) % (uint64_t)(tt + 1));
        if (i % 7 == 0) xx = tt / 3; /* some structure */
        ti[i] = tt;
        xi[i] = xx;
        t[i] = (double)tt;
        x[i] = (double)xx;
        X += xx;
        T += tt;
    }
    int64_t Y = T - X;
    /* D = sum |x_i Y - y_i X| / (2 X Y), the numerator exact in 128 bits. */
    __int128 S = 0;
    long double iso = 0, iso_c = 0; /* Kahan in long double */
    for (size_t i = 0; i < N; i++) {
        __int128 a = (__int128)xi[i] * Y - (__int128)(ti[i] - xi[i]) * X;
        S += a < 0 ? -a : a;
        long double term = (long double)xi[i] * (long double)xi[i] / (long double)ti[i], yk = term - iso_c,
                    tk = iso + yk;
        iso_c = (tk - iso) - yk;
        iso = tk;
    }
    long double d_exact = (long double)S / (2.0L * (long double)X * (long double)Y);
    long double iso_ref = iso / (long double)X;

    sg_ctx *ctx = sg_ctx_create();
    sg_basic_indices b;
    assert_int_equal(sg_basic_indices_compute(ctx, x, t, N, &b), SG_OK);
    double derr = fabs((double)((long double)b.dissimilarity - d_exact));
    double ierr = fabs((double)((long double)b.isolation - iso_ref));
    print_message("D = %.17g, exact %.17Lg, error %.3g; xPx error %.3g\n", b.dissimilarity, d_exact, derr, ierr);
    assert_true(b.group == (double)X && b.total == (double)T); /* integer sums below 2^53 are exact */
    assert_true(derr <= 1e-12);
    assert_true(ierr <= 1e-12);
    sg_assert_near(b.isolation + b.exposure, 1.0, 1e-12);

    /* Plain left-to-right summation, for comparison: the compensated sum
     * must not be worse. */
    double plain = 0;
    for (size_t i = 0; i < N; i++) plain += fabs(x[i] / (double)X - (t[i] - x[i]) / (double)Y);
    double perr = fabs((double)(0.5L * plain - d_exact));
    print_message("plain summation error %.3g\n", perr);
    assert_true(derr <= perr || derr <= 1e-15);

    sg_ctx_destroy(ctx);
    free(x);
    free(t);
    free(xi);
    free(ti);
}

/* Counts whose sum overflows a double: an error, not NaN or Inf indices. */
static void overflowing_counts(void **state) {
    (void)state;
    double x[3] = {1e308, 5e307, 1}, t[3] = {1.7e308, 1.7e308, 2};
    sg_ctx *ctx = sg_ctx_create();
    sg_basic_indices b = {0, 0, 0, 0, 0, 0};
    assert_int_equal(sg_basic_indices_compute(ctx, x, t, 3, &b), SG_ERR_DATA);
    assert_diag(ctx, "E_COUNT_OVERFLOW", "overflow");
    assert_true(b.dissimilarity == 0); /* untouched */
    sg_ctx_destroy(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(million_districts),
        cmocka_unit_test(overflowing_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

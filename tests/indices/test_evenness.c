/* Aspatial evenness (gini, entropy, atkinson_b*, density_corrected_dissimilarity,
 * min_max, concentration_profile) and correlation_ratio: hand-computed cases,
 * invariants, and the O(n log n) Gini against the textbook double loop. */
#include "test_support.h"

#include "indices/indices.h"

static sg_ctx *ctx;
static int setup(void **state) { (void)state; ctx = sg_ctx_create(); return ctx ? 0 : -1; }
static int teardown(void **state) { (void)state; sg_ctx_destroy(ctx); return 0; }

#define MAXN 1000
static size_t ident[MAXN];

/* Runs the basic, evenness and exposure families on plain arrays. */
static sg_status run(const double *x, const double *t, size_t n, sg_result *res) {
    for (size_t i = 0; i < MAXN; i++) ident[i] = i;
    sg_data d = {.n = n, .index = ident, .x = x, .t = t};
    memset(res, 0, sizeof *res);
    res->n = n;
    sg_status st = sg__family_basic(ctx, &d, res);
    if (st == SG_OK) st = sg__family_evenness(ctx, &d, res);
    if (st == SG_OK) st = sg__family_exposure(ctx, &d, res);
    return st;
}

static double get(const sg_result *r, const char *name) {
    const sg_global *g = sg__result_get(r, name);
    if (!g) fail_msg("index %s missing", name);
    return g->value;
}

static const char *const ALL[] = {"dissimilarity", "gini", "entropy", "atkinson_b01", "atkinson_b05",
                                  "atkinson_b09", "density_corrected_dissimilarity", "min_max",
                                  "concentration_profile", "correlation_ratio"};
#define NALL (sizeof ALL / sizeof ALL[0])

/* Three districts worked on paper:
 *   t = 100, 100, 200   x = 0, 50, 50   y = 100, 50, 150
 *   T = 400, X = 100, Y = 300, P = 1/4, p = 0, 1/2, 1/4
 *   x/X = 0, .5, .5    y/Y = 1/3, 1/6, 1/2
 *   D    = (1/3 + 1/3 + 0) / 2 = 1/3
 *   Gini: pairs i<j  t_i t_j |p_i - p_j| = 100*100*.5 + 100*200*.25 + 100*200*.25 = 15000
 *         G = 2*15000 / (2 T² P(1-P)) = 30000 / (2*160000*3/16) = 30000/60000 = 1/2
 *   H:    E = h(1/4) (h(p) = -p ln p - (1-p) ln(1-p)), E_i = 0, ln 2, E
 *         H = (100 E + 100 (E - ln 2) + 0) / (400 E) = 1/2 - ln 2 / (4 E) = 0.191844...
 *   Atkinson: S_b = Σ (1-p)^(1-b) p^b t / X = (100 (1/2) + 200 (3/4)^(1-b) (1/4)^b) / 100
 *         A_b = 1 - (P/(1-P)) S_b^(1/(1-b)) = 1 - S_b^(1/(1-b)) / 3
 *         b = 1/2: S = (50 + 50√3)/100 = (1+√3)/2, S² = 1 + √3/2, A = 2/3 - √3/6 = 0.377992
 *   MinMax: min = 0, 1/6, 1/2 (sum 2/3), max = 1/3, 1/2, 1/2 (sum 4/3): MM = 1 - 1/2 = 1/2
 *   eta²: xPx = 0 + .5*.5 + .5*.25 = 3/8, V = (3/8 - 1/4) / (3/4) = 1/6
 *   ConProf: v(θ) = 1 for θ <= 1/4, 1/2 for 1/4 < θ <= 1/2, 0 above. Grid j/999: θ < P for
 *         j = 0..249 (250 points, v = 1), θ >= P with v = 1/2 for j = 250..499 (250 points), no
 *         grid point on 1/4 or 1/2. R = (1/4 - (250/1000 - 125/1000)) / (3/4) = 1/6
 *   Ddc: θ_1 = (1/3)/√((1/3)(2/3)/300) = √150, θ_2 = (1/3)/√((1/6)(5/6)/300 + (1/4)/100) = 6.12;
 *         both so large that tanh(θ θ*) = 1 and θ* = θ, so σθ* = |p1 - p0|; θ_3 = 0, θ* = 0:
 *         Ddc = (1/3 + 1/3 + 0)/2 = 1/3 = D. */
static void toy_three_districts(void **state) {
    (void)state;
    double x[] = {0, 50, 50}, t[] = {100, 100, 200};
    sg_result r;
    assert_int_equal(run(x, t, 3, &r), SG_OK);
    double P = 0.25, E = -P * log(P) - (1 - P) * log(1 - P);
    sg_assert_near(get(&r, "dissimilarity"), 1.0 / 3, 1e-15);
    sg_assert_near(get(&r, "gini"), 0.5, 1e-15);
    sg_assert_near(get(&r, "entropy"), 0.5 - log(2) / (4 * E), 1e-14);
    sg_assert_near(get(&r, "entropy"), 0.19184427329817216, 1e-14);
    sg_assert_near(get(&r, "atkinson_b05"), 2.0 / 3 - sqrt(3) / 6, 1e-14);
    double b = 0.1, S = (50 + 200 * pow(0.75, 1 - b) * pow(0.25, b)) / 100;
    sg_assert_near(get(&r, "atkinson_b01"), 1 - pow(S, 1 / (1 - b)) / 3, 1e-14);
    sg_assert_near(get(&r, "atkinson_b01"), 0.3421114215116994, 1e-14);
    b = 0.9, S = (50 + 200 * pow(0.75, 1 - b) * pow(0.25, b)) / 100;
    sg_assert_near(get(&r, "atkinson_b09"), 1 - pow(S, 1 / (1 - b)) / 3, 1e-14);
    sg_assert_near(get(&r, "atkinson_b09"), 0.41387773237109304, 1e-14);
    sg_assert_near(get(&r, "min_max"), 0.5, 1e-15);
    sg_assert_near(get(&r, "correlation_ratio"), 1.0 / 6, 1e-15);
    sg_assert_near(get(&r, "concentration_profile"), 1.0 / 6, 1e-14);
    sg_assert_near(get(&r, "density_corrected_dissimilarity"), 1.0 / 3, 1e-15);
    sg__result_free(&r);
}

/* Small counts, where the density correction matters:
 *   t = 4, 6   x = 3, 1   X = 4, Y = 6   p0 = x/X = 3/4, 1/4   p1 = y/Y = 1/6, 5/6
 *   D = (7/12 + 7/12)/2 = 7/12 = 0.583333
 *   σ = √((1/6)(5/6)/6 + (3/4)(1/4)/4) = √(5/216 + 3/64) = 0.2646189 for both districts,
 *   θ = (7/12)/σ = 2.2044283; θ* = root of z = θ tanh(θ z) = 2.2041629 (bisection, 200 steps),
 *   Ddc = 2 σ θ* / 2 = 0.5832631 < D. */
static void density_correction_on_small_counts(void **state) {
    (void)state;
    double x[] = {3, 1}, t[] = {4, 6};
    sg_result r;
    assert_int_equal(run(x, t, 2, &r), SG_OK);
    sg_assert_near(get(&r, "dissimilarity"), 7.0 / 12, 1e-15);
    double sigma = sqrt(5.0 / 216 + 3.0 / 64), theta = (7.0 / 12) / sigma;
    sg_assert_near(theta, 2.2044283005422076, 1e-14);
    sg_assert_near(sg__dcd_theta_star(theta), 2.20416290334128, 1e-13);
    sg_assert_near(get(&r, "density_corrected_dissimilarity"), sigma * sg__dcd_theta_star(theta), 1e-14);
    sg_assert_near(get(&r, "density_corrected_dissimilarity"), 0.5832631042250261, 1e-12);
    assert_true(get(&r, "density_corrected_dissimilarity") < get(&r, "dissimilarity"));
    sg__result_free(&r);
}

static double phi(double z) { return exp(-0.5 * z * z); }

/* θ*: 0 for θ <= 1, the root of z = θ tanh(θz) above, a maximum of
 * φ(z − θ) + φ(z + θ); values by 200-step bisection in Python. */
static void theta_star_is_the_exact_root(void **state) {
    (void)state;
    assert_true(sg__dcd_theta_star(0) == 0);
    assert_true(sg__dcd_theta_star(0.5) == 0);
    assert_true(sg__dcd_theta_star(1) == 0);
    sg_assert_near(sg__dcd_theta_star(1.0000001), 0.0007745966269896299, 1e-8);
    sg_assert_near(sg__dcd_theta_star(1.01), 0.24361861030820292, 1e-13);
    sg_assert_near(sg__dcd_theta_star(1.5), 1.4632437386096906, 1e-14);
    sg_assert_near(sg__dcd_theta_star(2), 1.9986513460302167, 1e-14);
    sg_assert_near(sg__dcd_theta_star(5), 5.0, 1e-15);
    /* where PySAL's optimiser sees a flat objective (φ(θ) underflows) */
    sg_assert_near(sg__dcd_theta_star(38.6), 38.6, 1e-15);
    sg_assert_near(sg__dcd_theta_star(1e6), 1e6, 1e-15);
    for (double th = 1.001; th < 40; th *= 1.07) {
        double z = sg__dcd_theta_star(th);
        sg_assert_near(z, th * tanh(th * z), 1e-13);
        double f = phi(z - th) + phi(z + th), h = 1e-4 * (1 + z);
        assert_true(f >= phi(z + h - th) + phi(z + h + th));
        assert_true(f >= phi(z - h - th) + phi(z - h + th));
    }
}

/* Deterministic pseudo-random numbers (64-bit LCG). */
static uint64_t lcg = 88172645463325252ULL;
static double urand(void) {
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(lcg >> 11) / 9007199254740992.0;
}

static void random_city(double *x, double *t, size_t n) {
    for (size_t i = 0; i < n; i++) {
        t[i] = 1 + floor(urand() * 5000);
        double s = urand();
        s = s * s; /* skewed shares, some near 0 */
        x[i] = i % 17 == 0 ? 0 : i % 23 == 0 ? t[i] : floor(s * t[i]);
    }
}

/* The O(n log n) Gini equals Σ_i Σ_j t_i t_j |p_i − p_j| / (2 T² P (1−P)) by
 * the double loop, with ties (repeated shares), zeros and ones. */
static void gini_equals_brute_force(void **state) {
    (void)state;
    static double x[MAXN], t[MAXN];
    size_t sizes[] = {2, 3, 10, 97, 1000};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        random_city(x, t, n);
        if (n > 10)
            for (size_t i = 0; i < n; i += 5) { /* ties: same share as district 1 */
                t[i] = 2 * t[1];
                x[i] = 2 * x[1];
            }
        if (n == 2) x[0] = 1, x[1] = 0;
        sg_ksum X = {0, 0}, T = {0, 0}, G = {0, 0};
        for (size_t i = 0; i < n; i++) sg__ksum_add(&X, x[i]), sg__ksum_add(&T, t[i]);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) sg__ksum_add(&G, t[i] * t[j] * fabs(x[i] / t[i] - x[j] / t[j]));
        double Tv = sg__ksum_get(&T), P = sg__ksum_get(&X) / Tv;
        double brute = sg__ksum_get(&G) / (2 * Tv * Tv * P * (1 - P));
        sg_result r;
        assert_int_equal(run(x, t, n, &r), SG_OK);
        sg_assert_near(get(&r, "gini"), brute, 1e-13);
        sg__result_free(&r);
    }
    /* the helper itself, unsorted input with ties */
    double p[] = {0.5, 0.1, 0.5, 0.9, 0.1}, w[] = {1, 2, 3, 4, 5}, got;
    assert_int_equal(sg__pair_abs_diff_sum(p, w, 5, &got), 0);
    double want = 0;
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++) want += w[i] * w[j] * fabs(p[i] - p[j]);
    sg_assert_near(got, want, 1e-15);
    assert_int_equal(sg__pair_abs_diff_sum(p, w, 1, &got), 0);
    assert_true(got == 0);
}

/* Every index is unchanged when all counts are multiplied by k. */
static void scale_invariance(void **state) {
    (void)state;
    static double x[200], t[200], kx[200], kt[200];
    random_city(x, t, 200);
    double factors[] = {3, 0.25, 1000};
    sg_result a;
    assert_int_equal(run(x, t, 200, &a), SG_OK);
    for (size_t f = 0; f < 3; f++) {
        for (size_t i = 0; i < 200; i++) kx[i] = factors[f] * x[i], kt[i] = factors[f] * t[i];
        sg_result b;
        assert_int_equal(run(kx, kt, 200, &b), SG_OK);
        for (size_t k = 0; k < NALL; k++) {
            /* the density correction depends on the counts themselves (it is a
             * small-sample correction): it tends to D as counts grow */
            if (strcmp(ALL[k], "density_corrected_dissimilarity") == 0) continue;
            sg_assert_near(get(&b, ALL[k]), get(&a, ALL[k]), 1e-12);
        }
        sg__result_free(&b);
    }
    /* Ddc under scaling: closer to D with larger counts, never above D */
    for (size_t i = 0; i < 200; i++) kx[i] = 1000 * x[i], kt[i] = 1000 * t[i];
    sg_result big;
    assert_int_equal(run(kx, kt, 200, &big), SG_OK);
    double D = get(&a, "dissimilarity");
    assert_true(get(&a, "density_corrected_dissimilarity") <= D);
    assert_true(get(&big, "density_corrected_dissimilarity") <= D);
    assert_true(D - get(&big, "density_corrected_dissimilarity") < D - get(&a, "density_corrected_dissimilarity"));
    sg__result_free(&big);
    sg__result_free(&a);
}

/* Ranges on random cities, and 0 for an even city. */
static void ranges_and_even_city(void **state) {
    (void)state;
    static double x[300], t[300];
    for (int rep = 0; rep < 20; rep++) {
        size_t n = 2 + (size_t)(urand() * 298);
        random_city(x, t, n);
        sg_result r;
        assert_int_equal(run(x, t, n, &r), SG_OK);
        for (size_t k = 0; k < NALL; k++) {
            double v = get(&r, ALL[k]);
            if (!(v >= -1e-15 && v <= 1 + 1e-15)) fail_msg("%s = %.17g outside [0, 1] (n = %zu)", ALL[k], v, n);
        }
        sg__result_free(&r);
    }
    /* even: every district has the city share P = 0.1 (P on no grid point j/999) */
    double ex[] = {10, 30, 5, 100, 0.7}, et[] = {100, 300, 50, 1000, 7};
    sg_result r;
    assert_int_equal(run(ex, et, 5, &r), SG_OK);
    for (size_t k = 0; k < NALL; k++) {
        double v = get(&r, ALL[k]);
        if (!(fabs(v) <= 1e-14)) fail_msg("%s = %.17g for an even city, want 0", ALL[k], v);
    }
    sg__result_free(&r);
    /* complete segregation: D, Gini, H, MinMax, eta² = 1 */
    double sx[] = {100, 0, 40, 0}, st[] = {100, 70, 40, 90};
    assert_int_equal(run(sx, st, 4, &r), SG_OK);
    const char *one[] = {"dissimilarity", "gini", "entropy", "min_max", "correlation_ratio",
                         "atkinson_b01", "atkinson_b05", "atkinson_b09"};
    for (size_t k = 0; k < sizeof one / sizeof one[0]; k++) sg_assert_near(get(&r, one[k]), 1.0, 1e-14);
    sg__result_free(&r);
}

/* Swapping the group and everyone else leaves the symmetric indices unchanged. */
static void swapping_groups(void **state) {
    (void)state;
    static double x[150], t[150], y[150];
    random_city(x, t, 150);
    for (size_t i = 0; i < 150; i++) y[i] = t[i] - x[i];
    sg_result a, b;
    assert_int_equal(run(x, t, 150, &a), SG_OK);
    assert_int_equal(run(y, t, 150, &b), SG_OK);
    const char *sym[] = {"dissimilarity", "gini", "entropy", "atkinson_b05", "min_max", "correlation_ratio",
                         "density_corrected_dissimilarity"};
    for (size_t k = 0; k < sizeof sym / sizeof sym[0]; k++) sg_assert_near(get(&b, sym[k]), get(&a, sym[k]), 1e-12);
    /* Atkinson with b != 1/2 is not symmetric: it weights one side */
    assert_true(fabs(get(&b, "atkinson_b01") - get(&a, "atkinson_b01")) > 1e-3);
    sg__result_free(&a);
    sg__result_free(&b);
}

static void undefined_cases_are_errors(void **state) {
    (void)state;
    double zero[] = {0, 0}, t[] = {10, 20};
    for (int fam = 0; fam < 2; fam++) {
        sg_data d = {.n = 2, .index = ident, .x = zero, .t = t};
        sg_result r = {.n = 2};
        sg_status (*fn)(sg_ctx *, const sg_data *, sg_result *) = fam ? sg__family_exposure : sg__family_evenness;
        assert_int_equal(fn(ctx, &d, &r), SG_ERR_DATA);
        assert_diag(ctx, "E_EMPTY_GROUP", "undefined");
        d.x = t;
        assert_int_equal(fn(ctx, &d, &r), SG_ERR_DATA);
        assert_diag(ctx, "E_FULL_GROUP", "whole population");
        d.n = 0;
        assert_int_equal(fn(ctx, &d, &r), SG_ERR_DATA);
        assert_diag(ctx, "E_NO_DISTRICTS", "no districts");
        assert_int_equal((int)r.ng, 0);
        sg__result_free(&r);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(toy_three_districts),
        cmocka_unit_test(density_correction_on_small_counts),
        cmocka_unit_test(theta_star_is_the_exact_root),
        cmocka_unit_test(gini_equals_brute_force),
        cmocka_unit_test(scale_invariance),
        cmocka_unit_test(ranges_and_even_city),
        cmocka_unit_test(swapping_groups),
        cmocka_unit_test(undefined_cases_are_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* Inference: the random streams, the hypergeometric sampler, permutation
 * p-values, bootstrap intervals, and reproducibility for any thread count. */
#include <json-c/json.h>

#include <time.h>
#include <unistd.h>

#include "test_support.h"
#include "write/write.h"

/* The random streams (indices/rng.c). xoshiro256** from the state
 * {1, 2, 3, 4}: rotl(2 * 5, 7) * 9 = 11520 first; the authors' reference
 * code then gives 0, 1509978240 and 1215971899390074240. */
static void xoshiro_streams(void **state) {
    (void)state;
    sg_rng r = {{1, 2, 3, 4}};
    assert_true(sg__rng_next(&r) == 11520u);
    assert_true(sg__rng_next(&r) == 0u);
    assert_true(sg__rng_next(&r) == 1509978240u);
    assert_true(sg__rng_next(&r) == 1215971899390074240u);
    sg_rng u = {{1, 2, 3, 4}};
    sg_assert_near(sg__rng_uniform(&u), 5 * 0x1p-53, 0); /* 11520 >> 11 = 5 */

    /* seeding: the same (seed, stream), the same draws; another stream, others */
    sg_rng a, b, c;
    sg__rng_seed(&a, 42, 0);
    sg__rng_seed(&b, 42, 0);
    sg__rng_seed(&c, 42, 1);
    int same = 1, differ = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = sg__rng_next(&a), y = sg__rng_next(&b), z = sg__rng_next(&c);
        same &= x == y;
        differ += x != z;
    }
    assert_true(same);
    assert_int_equal(differ, 100);

    /* below(7): every value of [0, 7), nothing else; uniform in [0, 1) */
    int seen[7] = {0};
    for (int i = 0; i < 7000; i++) {
        uint64_t k = sg__rng_below(&a, 7);
        assert_true(k < 7);
        seen[k]++;
    }
    for (int k = 0; k < 7; k++) assert_true(seen[k] > 800 && seen[k] < 1200);
    for (int i = 0; i < 10000; i++) {
        double x = sg__rng_uniform(&a);
        assert_true(x >= 0 && x < 1);
    }
    /* N = 10, K = 9, n = 9: 8 or 9 marked (one unmarked at most) */
    for (int i = 0; i < 200; i++) {
        double k = sg__rng_hypergeometric(&a, 10, 9, 9);
        assert_true(k == 8 || k == 9);
    }
}

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

/* log C(n, k) */
static double lchoose(double n, double k) { return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1); }

/* Chi-square of psampler's draws against the exact multivariate
 * hypergeometric law of three districts (every outcome enumerated), below
 * the 0.9999 quantile (Wilson-Hilferty); the group total always kept. */
static void psampler_case(const double *t, double G, int reps, uint64_t seed) {
    sg_ctx *ctx = sg_ctx_create();
    double x[3], left = G; /* where the group lives does not matter to the null */
    for (int k = 0; k < 3; k++) {
        x[k] = fmin(left, t[k]);
        left -= x[k];
    }
    sg_psampler *ps = NULL;
    assert_int_equal(sg__psampler_create(ctx, t, x, 3, &ps), SG_OK);
    double T = t[0] + t[1] + t[2];
    int a_hi = (int)fmin(t[0], G), b_hi = (int)fmin(t[1], G);
    double *obs = calloc((size_t)(a_hi + 1) * (size_t)(b_hi + 1), sizeof *obs);
    sg_psampler_scratch sc = {0};
    double in_order[3], scattered[3];
    const uint32_t *ord = sg__psampler_order(ps);
    for (int r = 0; r < reps; r++) {
        sg_rng rng, rng2;
        sg__rng_seed(&rng, seed, (uint64_t)r);
        rng2 = rng;
        assert_int_equal(sg__psampler_draw(ps, &rng, scattered, 0, &sc), 0);
        assert_int_equal(sg__psampler_draw(ps, &rng2, in_order, 1, &sc), 0);
        for (int k = 0; k < 3; k++) assert_true(in_order[k] == scattered[ord[k]]); /* the same draw */
        assert_true(scattered[0] + scattered[1] + scattered[2] == G);
        for (int k = 0; k < 3; k++) assert_true(scattered[k] >= 0 && scattered[k] <= t[k]);
        obs[(size_t)scattered[0] * (size_t)(b_hi + 1) + (size_t)scattered[1]]++;
    }
    double chi2 = 0, pool_e = 0, pool_o = 0;
    int df = -1;
    for (int a = 0; a <= a_hi; a++)
        for (int b = 0; b <= b_hi; b++) {
            double c = G - a - b;
            if (c < 0 || c > t[2]) {
                assert_true(obs[(size_t)a * (size_t)(b_hi + 1) + (size_t)b] == 0);
                continue;
            }
            double pr = exp(lchoose(t[0], a) + lchoose(t[1], b) + lchoose(t[2], c) - lchoose(T, G));
            double e = pr * reps, o = obs[(size_t)a * (size_t)(b_hi + 1) + (size_t)b];
            if (e < 5) { /* rare outcomes pooled into one cell */
                pool_e += e;
                pool_o += o;
                continue;
            }
            chi2 += (o - e) * (o - e) / e;
            df++;
        }
    if (pool_e > 0) {
        chi2 += (pool_o - pool_e) * (pool_o - pool_e) / pool_e;
        df++;
    }
    double z = 3.719, h = 2.0 / (9 * df), q = df * pow(1 - h + z * sqrt(h), 3);
    print_message("psampler t = (%g, %g, %g), G = %g: chi2 = %.2f on %d df (0.9999 quantile %.2f)\n", t[0], t[1],
                  t[2], G, chi2, df, q);
    assert_true(chi2 < q);
    free(obs);
    sg__psampler_scratch_free(&sc);
    sg__psampler_free(ps);
    sg_ctx_destroy(ctx);
}

/* The fast permutation sampler draws the person-level permutation law:
 * small districts, the complement side (G > T/2), and totals above the
 * sampler's table size (split into blocks). */
static void psampler_is_multivariate_hypergeometric(void **state) {
    (void)state;
    psampler_case((double[]){3, 4, 5}, 5, 200000, 11);
    psampler_case((double[]){3, 4, 5}, 9, 200000, 12);
    psampler_case((double[]){9000, 8200, 300}, 3, 100000, 13);
    psampler_case((double[]){20000, 8191, 40}, 6, 100000, 14);
    psampler_case((double[]){16, 1, 2}, 10, 100000, 15);
}

/* On a city of 400 districts (totals 1 to 12,000, so both table kinds and
 * the correction step are exercised on every draw), each district's mean and
 * variance over the replicates match the hypergeometric law's
 * (mean t G/T, variance t p (1-p) (T-t)/(T-1)). */
static void psampler_moments_case(int repeated) {
    enum { N = 400, R = 4000 };
    double t[N], x[N], T = 0, G = 0;
    sg_rng r;
    sg__rng_seed(&r, 99, 0);
    for (int i = 0; i < N; i++) {
        if (repeated) /* three totals, two of them below 8192 and repeated: one table per total */
            t[i] = i % 3 == 0 ? 120 : i % 3 == 1 ? 2500 : 9001;
        else
            t[i] = 1 + (double)sg__rng_below(&r, i % 10 == 0 ? 12000 : 3000);
        x[i] = floor(t[i] * (i % 3 == 0 ? 0.6 : 0.1));
        T += t[i];
        G += x[i];
    }
    sg_ctx *ctx = sg_ctx_create();
    sg_psampler *ps = NULL;
    assert_int_equal(sg__psampler_create(ctx, t, x, N, &ps), SG_OK);
    static double s1[N], s2[N];
    memset(s1, 0, sizeof s1);
    memset(s2, 0, sizeof s2);
    double out[N];
    sg_psampler_scratch sc = {0};
    for (int k = 0; k < R; k++) {
        sg_rng rng;
        sg__rng_seed(&rng, 5, (uint64_t)k);
        assert_int_equal(sg__psampler_draw(ps, &rng, out, 0, &sc), 0);
        double sum = 0;
        for (int i = 0; i < N; i++) {
            sum += out[i];
            s1[i] += out[i];
            s2[i] += out[i] * out[i];
        }
        assert_true(sum == G);
    }
    double p = G / T, worst = 0;
    for (int i = 0; i < N; i++) {
        double mean = s1[i] / R, var = s2[i] / R - mean * mean;
        double want = t[i] * p, want_var = t[i] * p * (1 - p) * (T - t[i]) / (T - 1);
        double z = fabs(mean - want) / sqrt(want_var / R);
        if (z > worst) worst = z;
        assert_true(z < 5);
        if (want_var > 10) assert_true(fabs(var / want_var - 1) < 0.15);
    }
    print_message("psampler on %d districts (%s totals), %d replicates: worst |z| of a district mean %.2f\n", N,
                  repeated ? "3 repeated" : "varied", R, worst);
    sg__psampler_scratch_free(&sc);
    sg__psampler_free(ps);
    sg_ctx_destroy(ctx);
}

static void psampler_moments_on_a_city(void **state) {
    (void)state;
    psampler_moments_case(0);
    psampler_moments_case(1);
}

/* The fused replicate (drawn and reduced to D and xPx in one pass, for
 * permutation tests of the basic family alone) gives the indices of the
 * counts sg__psampler_draw draws from the same random stream: cities with
 * varied totals (tables of 512 and blocks above them, the correction step on
 * both) and with three repeated totals, the group the smaller side (p =
 * 0.1..0.6) and the larger side (its complement drawn). */
static void fused_replicate_matches_its_counts(void **state) {
    (void)state;
    enum { N = 400, R = 300 };
    for (int c = 0; c < 4; c++) {
        double t[N], x[N];
        sg_rng r;
        sg__rng_seed(&r, 7, (uint64_t)c);
        for (int i = 0; i < N; i++) {
            t[i] = c & 1 ? (i % 3 == 0 ? 120 : i % 3 == 1 ? 2500 : 9001)
                         : 1 + (double)sg__rng_below(&r, i % 10 == 0 ? 12000 : 3000);
            double share = i % 3 == 0 ? 0.6 : 0.1;
            x[i] = floor(t[i] * (c & 2 ? 1 - share : share));
        }
        sg_ctx *ctx = sg_ctx_create();
        sg_psampler *ps = NULL;
        assert_int_equal(sg__psampler_create(ctx, t, x, N, &ps), SG_OK);
        sg_psampler_scratch sc = {0};
        double out[N], worst = 0;
        for (int k = 0; k < R; k++) {
            sg_rng a, b;
            sg__rng_seed(&a, 21, (uint64_t)k);
            b = a;
            assert_int_equal(sg__psampler_draw(ps, &a, out, 0, &sc), 0);
            sg_basic_indices want;
            assert_int_equal(sg_basic_indices_compute(ctx, out, t, N, &want), SG_OK);
            double D = NAN, I = NAN;
            assert_int_equal(sg__psampler_draw_basic(ps, &b, &sc, &D, &I), 0);
            assert_true(fabs(D - want.dissimilarity) < 1e-12);
            assert_true(fabs(I - want.isolation) < 1e-12);
            assert_memory_equal(&a, &b, sizeof a); /* the same random numbers used */
            worst = fmax(worst, fmax(fabs(D - want.dissimilarity), fabs(I - want.isolation)));
        }
        print_message("fused replicate, city %d: worst difference from its counts' D / xPx %.1e\n", c, worst);
        sg__psampler_scratch_free(&sc);
        sg__psampler_free(ps);
        sg_ctx_destroy(ctx);
    }
}

/* Runs the aspatial families on a 25,000-district city with 1 and with 2
 * threads (at this size they run at the same time): same globals, same
 * columns, bit for bit. */
static void families_identical_for_any_thread_count(void **state) {
    (void)state;
    enum { N = 25000 };
    static double x[N], t[N];
    static size_t index[N];
    sg_rng r;
    sg__rng_seed(&r, 3, 0);
    for (size_t i = 0; i < N; i++) {
        t[i] = 50 + (double)sg__rng_below(&r, 5000);
        x[i] = floor(t[i] * (double)sg__rng_below(&r, 1000) / 1000.0);
        index[i] = i;
    }
    sg_result res[2];
    for (int k = 0; k < 2; k++) {
        sg_ctx *ctx = sg_ctx_create();
        const char *args[] = {"--districts", "x", "--id", "id", "--total", "t", "--group", "g", "--out", "o",
                              "--indices", "aspatial", "--threads", k ? "2" : "1"};
        sg_options *o = NULL;
        assert_int_equal(sg_options_parse(ctx, 14, (char **)args, &o, NULL), SG_OK);
        sg_city city;
        memset(&city, 0, sizeof city);
        city.n = N;
        sg_data d = {N, index, x, t, 0, NULL, NULL, NULL, &city, o, NULL, NULL, 0, NULL, 0};
        memset(&res[k], 0, sizeof res[k]);
        res[k].n = N;
        assert_int_equal(sg__run_families(ctx, &d, &res[k]), SG_OK);
        sg_options_free(o);
        sg_ctx_destroy(ctx);
    }
    assert_true(res[0].ng > 20);
    assert_int_equal(res[0].ng, res[1].ng);
    for (size_t j = 0; j < res[0].ng; j++) {
        assert_string_equal(res[0].g[j].name, res[1].g[j].name);
        assert_memory_equal(&res[0].g[j].value, &res[1].g[j].value, sizeof(double));
    }
    assert_int_equal(res[0].ncols, res[1].ncols);
    for (size_t j = 0; j < res[0].ncols; j++) {
        assert_string_equal(res[0].cols[j].name, res[1].cols[j].name);
        assert_memory_equal(res[0].cols[j].num, res[1].cols[j].num, N * sizeof(double));
    }
    sg__result_free(&res[0]);
    sg__result_free(&res[1]);
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

/* Issue 16 item 11: the large-total regime (variance above 10^8) draws from
 * the normal approximation in O(1): its moments are the hypergeometric's, and
 * its values integers within the support. (The mode walk never finished.) */
static void hypergeometric_large_total_moments(void **state) {
    (void)state;
    struct { double N, K, n; } cases[] = {{1e12, 3e11, 1e10}, {1e11, 5e10, 4e10}, {2e10, 1e9, 1e10}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double N = cases[c].N, K = cases[c].K, n = cases[c].n;
        sg_rng r;
        sg__rng_seed(&r, 11, c);
        const int reps = 40000;
        double s = 0, s2 = 0, want_mean = n * K / N;
        double want_var = n * (K / N) * (1 - K / N) * (N - n) / (N - 1);
        for (int i = 0; i < reps; i++) {
            double v = sg__rng_hypergeometric(&r, N, K, n) - want_mean; /* centred: no cancellation */
            assert_true(v + want_mean == floor(v + want_mean));
            s += v;
            s2 += v * v;
        }
        double mean = s / reps, var = s2 / reps - mean * mean;
        assert_true(fabs(mean) <= 5 * sqrt(want_var / reps));
        sg_assert_near(var, want_var, 0.05);
    }
}

/* A 10 x 10 city of totals near 10^10: 99 permutations finish in seconds
 * (the hypergeometric mode walk did not finish) with a sane p-value. */
static void permutations_with_huge_totals(void **state) {
    fixture *f = *state;
    fx_row rows[100];
    char ids[100][8], tot[100][24], grp[100][24], *sq[100];
    for (int i = 0; i < 100; i++) {
        sq[i] = fx_square(i % 10, i / 10);
        snprintf(ids[i], sizeof ids[i], "%02d", i);
        double t = 1e10 + 1e7 * i;
        snprintf(tot[i], sizeof tot[i], "%.0f", t);
        snprintf(grp[i], sizeof grp[i], "%.0f", floor(t * (i % 2 ? 0.3 : 0.1)));
        rows[i] = (fx_row){sq[i], ids[i], tot[i], grp[i]};
    }
    fx_write(f->path, "GeoJSON", 4326, rows, 100, 1);
    for (int i = 0; i < 100; i++) free(sq[i]);
    const char *args[] = {"--districts", f->path, "--id", "id", "--total", "total", "--group", "group",
                          "--out", f->out, "--permutations", "99", "--seed", "42", "--quiet", NULL};
    sg_run *run = NULL;
    alarm(120); /* a hang fails the test instead of stalling the suite */
    time_t t0 = time(NULL);
    sg_status st = sg_test_analyze(f->ctx, &run, args);
    alarm(0);
    if (st != SG_OK) print_error("%s\n", sg_ctx_last_error(f->ctx));
    assert_int_equal(st, SG_OK);
    assert_true(time(NULL) - t0 < 60);
    const sg_global *g = sg__result_get(&run->res, "dissimilarity");
    assert_non_null(g);
    sg_assert_near(g->value, 0.3125, 1e-3); /* shares 0.1 and 0.3 alternating */
    sg_assert_near(g->p_value, 1.0 / 100.0, 1e-12); /* nothing in the null comes close */
    assert_true(g->null_mean >= 0 && g->null_mean < 1e-3);
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
        cmocka_unit_test(xoshiro_streams),
        cmocka_unit_test(hypergeometric_moments),
        cmocka_unit_test(hypergeometric_large_total_moments),
        cmocka_unit_test_setup_teardown(permutations_with_huge_totals, setup, teardown),
        cmocka_unit_test(psampler_is_multivariate_hypergeometric),
        cmocka_unit_test(psampler_moments_on_a_city),
        cmocka_unit_test(fused_replicate_matches_its_counts),
        cmocka_unit_test(families_identical_for_any_thread_count),
        cmocka_unit_test_setup_teardown(checkerboard_is_significant, setup, teardown),
        cmocka_unit_test_setup_teardown(random_city_is_not_significant, setup, teardown),
        cmocka_unit_test_setup_teardown(same_result_for_any_thread_count, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

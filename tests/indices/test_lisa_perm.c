/* Local Moran's conditional permutations, shared by all districts
 * (lisa_perm.c): the counts against the exact conditional null of tiny
 * cities (every k-subset of the n - 1 others enumerated), the same output
 * for any --threads, --seed reproducibility, and the observed statistics
 * unchanged. */
#include "test_support.h"

#include "indices/indices.h"
#include "write/write.h"

/* ---- the counts against the exact conditional null ---- */

/* #{k-subsets A of 0..n-1 without i : z_i (sum_A z / k) / m2 >= I}, and the
 * number of subsets. z are multiples of 1/8, so every sum is exact whatever
 * its order and the predicate is the one sg__lisa_larger evaluates. */
static void exact_tail(const double *z, size_t n, size_t i, size_t k, double I, double m2, double *hits,
                       double *all) {
    *hits = *all = 0;
    for (uint32_t mask = 0; mask < (1u << n); mask++) {
        if ((mask >> i) & 1u || (size_t)__builtin_popcount(mask) != k) continue;
        double s = 0;
        for (size_t j = 0; j < n; j++)
            if ((mask >> j) & 1u) s += z[j];
        *all += 1;
        *hits += z[i] * (s / (double)k) / m2 >= I;
    }
}

/* Every district's count over `perms` permutations is Binomial(perms, P_i),
 * P_i the exact tail: within 5 standard deviations (seeded: no flakes;
 * the districts share the draws, which leaves each one's law binomial). */
static void check_against_exact(const double *z, const size_t *deg, const double *I, size_t n, int perms,
                                uint64_t seed, int threads) {
    sg_ctx *ctx = sg_ctx_create();
    uint32_t *larger = calloc(n, sizeof *larger);
    double m2 = 0;
    for (size_t i = 0; i < n; i++) m2 += z[i] * z[i];
    m2 /= (double)n;
    assert_int_equal(sg__lisa_larger(ctx, z, deg, I, n, m2, perms, seed, threads, larger), SG_OK);
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        if (deg[i] == 0) {
            assert_int_equal(larger[i], 0);
            continue;
        }
        double hits, all;
        exact_tail(z, n, i, deg[i], I[i], m2, &hits, &all);
        double P = hits / all, got = (double)larger[i] / perms, sd = sqrt(P * (1 - P) / perms);
        if (P == 0 || P == 1) assert_true(got == P);
        else if (fabs(got - P) > 5 * sd)
            fail_msg("district %zu (k = %zu): %u of %d permutations, exact tail %g (%g of %g subsets)", i, deg[i],
                     larger[i], perms, P, hits, all);
        if (sd > 0 && fabs(got - P) / sd > worst) worst = fabs(got - P) / sd;
    }
    print_message("n = %zu, %d permutations: largest deviation %.2f sd\n", n, perms, worst);
    free(larger);
    sg_ctx_destroy(ctx);
}

/* 12 districts, degrees 1..4 (K = 5 <= n / 2: the sparse draw), one island;
 * I_i at various places of each null, z_i of both signs and 0. */
static void exact_null_sparse(void **state) {
    (void)state;
    double z[12] = {-1.5, -0.75, -0.25, 0, 0.125, 0.5, 0.875, 1.25, -1, 0.375, 1.5, -1.125};
    size_t deg[12] = {1, 2, 3, 4, 4, 3, 2, 1, 0, 4, 3, 2};
    double I[12];
    for (size_t i = 0; i < 12; i++) I[i] = z[i] * (0.25 * (double)((i * 5) % 7) - 0.75) / 0.6;
    check_against_exact(z, deg, I, 12, 40000, 11, 2);
}

/* 9 districts, degrees up to 8 = n - 1 (K = 9 > n / 2: the dense draw;
 * degree 8 has one subset, a degenerate null). */
static void exact_null_dense(void **state) {
    (void)state;
    double z[9] = {-1, -0.5, 0.25, 0.75, 1.5, -0.125, 0.625, -1.25, 0.375};
    size_t deg[9] = {3, 5, 8, 3, 5, 8, 2, 6, 7};
    double I[9];
    for (size_t i = 0; i < 9; i++) I[i] = z[i] * (0.125 * (double)((i * 3) % 8) - 0.5);
    check_against_exact(z, deg, I, 9, 40000, 5, 3);
}

/* ---- through sg_analyze ---- */

typedef struct fixture {
    sg_ctx *ctx;
    char *dir, *path, *out;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->ctx = sg_ctx_create();
    f->dir = sg_test_tmpdir();
    f->path = sg_test_path(f->dir, "grid.geojson");
    f->out = sg_test_path(f->dir, "out");
    *state = f;
    return 0;
}
static int teardown(void **state) {
    fixture *f = *state;
    sg_ctx_destroy(f->ctx);
    sg_test_rmdir(f->dir);
    free(f->path);
    free(f->out);
    free(f);
    return 0;
}

/* cols x rows grid of 1000-resident districts with group counts g[]. */
static void write_grid(fixture *f, int cols, int rows, const int *g) {
    int n = cols * rows;
    fx_row *r = calloc((size_t)n, sizeof *r);
    char (*ids)[32] = calloc((size_t)n, 32), (*gs)[32] = calloc((size_t)n, 32);
    char **sq = calloc((size_t)n, sizeof *sq);
    for (int i = 0; i < n; i++) {
        sq[i] = fx_square(i % cols, i / cols);
        snprintf(ids[i], 32, "r%dc%d", i / cols, i % cols);
        snprintf(gs[i], 32, "%d", g[i]);
        r[i] = (fx_row){sq[i], ids[i], "1000", gs[i]};
    }
    fx_write(f->path, "GeoJSON", 4326, r, (size_t)n, 1);
    for (int i = 0; i < n; i++) free(sq[i]);
    free(sq);
    free(r);
    free(ids);
    free(gs);
}

static sg_run *run_local(fixture *f, const char *weights, const char *threads, const char *seed) {
    const char *args[] = {"--districts", f->path, "--id", "id", "--total", "total", "--group", "group",
                          "--out", f->out, "--quiet", "--indices", "local", "--layers", "none", "--weights",
                          weights, "--threads", threads, "--seed", seed, NULL};
    sg_run *run = NULL;
    sg_ctx_clear(f->ctx);
    sg_status st = sg_test_analyze(f->ctx, &run, args);
    if (st != SG_OK) print_error("%s\n", sg_ctx_last_error(f->ctx));
    assert_int_equal(st, SG_OK);
    return run;
}

static const sg_column *col(const sg_run *run, const char *name) {
    for (size_t k = 0; k < run->res.ncols; k++)
        if (strcmp(run->res.cols[k].name, name) == 0) return &run->res.cols[k];
    fail_msg("no column %s", name);
    return NULL;
}

static const char *const numeric[] = {"gi_star_z", "gi_star_p", "gi_star_q", "lisa_i", "lisa_p"};

/* 1 when the local columns of a and b are bit-identical. */
static int same_local(const sg_run *a, const sg_run *b) {
    size_t n = a->res.n;
    for (size_t c = 0; c < sizeof numeric / sizeof *numeric; c++)
        if (memcmp(col(a, numeric[c])->num, col(b, numeric[c])->num, n * sizeof(double)) != 0) return 0;
    const sg_column *ca = col(a, "lisa_class"), *cb = col(b, "lisa_class");
    for (size_t i = 0; i < n; i++)
        if (strcmp(ca->text[i], cb->text[i]) != 0) return 0;
    return 1;
}

/* A 24 x 24 city with a pattern (a high-share quarter) and noise. */
static void patterned(int *g) {
    uint32_t x = 17u;
    for (int i = 0; i < 576; i++) {
        x = x * 1664525u + 1013904223u;
        g[i] = ((i % 24) < 10 && (i / 24) < 12 ? 500 : 100) + (int)((x >> 8) % 400);
    }
}

/* --threads 1, 2, 3, 7 give bit-identical Gi* and local Moran columns and
 * classes (queen and knn:6, whose kmax + 1 draws take the sparse path). */
static void threads_bit_identical(void **state) {
    fixture *f = *state;
    int g[576];
    patterned(g);
    write_grid(f, 24, 24, g);
    const char *weights[] = {"queen", "knn:6"}, *threads[] = {"2", "3", "7"};
    for (size_t w = 0; w < 2; w++) {
        sg_run *one = run_local(f, weights[w], "1", "42");
        size_t sig = 0;
        for (size_t i = 0; i < 576; i++) sig += strcmp(col(one, "lisa_class")->text[i], "ns") != 0;
        assert_true(sig > 20 && sig < 560); /* classes that a change of stream would move */
        for (size_t t = 0; t < 3; t++) {
            sg_run *more = run_local(f, weights[w], threads[t], "42");
            assert_true(same_local(one, more));
            sg_run_destroy(more);
        }
        sg_run_destroy(one);
    }
}

/* The same --seed gives the same p-values; another seed other p-values
 * (the observed statistics stay). */
static void seed_reproducible(void **state) {
    fixture *f = *state;
    int g[576];
    patterned(g);
    write_grid(f, 24, 24, g);
    sg_run *a = run_local(f, "queen", "2", "7"), *b = run_local(f, "queen", "2", "7");
    sg_run *c = run_local(f, "queen", "2", "8");
    assert_true(same_local(a, b));
    const sg_column *pa = col(a, "lisa_p"), *pc = col(c, "lisa_p");
    size_t differ = 0;
    for (size_t i = 0; i < 576; i++) differ += pa->num[i] != pc->num[i];
    assert_true(differ > 100);
    assert_memory_equal(col(a, "lisa_i")->num, col(c, "lisa_i")->num, 576 * sizeof(double));
    assert_memory_equal(col(a, "gi_star_z")->num, col(c, "gi_star_z")->num, 576 * sizeof(double));
    sg_run_destroy(a);
    sg_run_destroy(b);
    sg_run_destroy(c);
}

/* The observed statistic, bit for bit: on a 4 x 4 city of shares 1/4 and
 * 3/4 the mean, z and m2 are exact, so I_i = z_i (sum of neighbours' z /
 * k_i) / m2 is the same double whatever the order of the sums. And the
 * p-values of a district whose null is its observation (all 15 others as
 * neighbours would be; here a corner's I against its exact tail): lisa_p
 * is (min(#{I_r >= I}, N - #{I_r >= I}) + 1) / (N + 1). */
static void observed_statistic_exact(void **state) {
    fixture *f = *state;
    int g[16] = {250, 750, 750, 250, 750, 750, 250, 250, 250, 750, 250, 750, 750, 250, 250, 250};
    write_grid(f, 4, 4, g);
    sg_run *run = run_local(f, "rook", "2", "3");
    double zz[16], mean = 0, m2 = 0;
    for (int i = 0; i < 16; i++) mean += g[i] / 1000.0;
    mean /= 16;
    for (int i = 0; i < 16; i++) {
        zz[i] = g[i] / 1000.0 - mean;
        m2 += zz[i] * zz[i];
    }
    m2 /= 16;
    const sg_column *li = col(run, "lisa_i"), *lp = col(run, "lisa_p");
    for (int i = 0; i < 16; i++) {
        int r = i / 4, c = i % 4, k = 0;
        double s = 0;
        int nb[4][2] = {{r - 1, c}, {r + 1, c}, {r, c - 1}, {r, c + 1}};
        for (int e = 0; e < 4; e++)
            if (nb[e][0] >= 0 && nb[e][0] < 4 && nb[e][1] >= 0 && nb[e][1] < 4) {
                s += zz[nb[e][0] * 4 + nb[e][1]];
                k++;
            }
        double want = zz[i] * (s / k) / m2;
        assert_true(li->num[i] == want);
        /* 999 permutations: the count is a whole number, the p-value folded */
        double cnt = lp->num[i] * 1000 - 1;
        assert_true(fabs(cnt - round(cnt)) < 1e-9 && cnt >= 0 && cnt <= 499.5);
    }
    sg_run_destroy(run);
}


/* A district whose share is exactly the city's (z_i = 0) has I_i = 0 under every permutation: no
 * evidence of a cluster. PySAL's fold (ties counted as larger) gives it p = 1/(N+1) and a
 * significant LL/LH class; seggap gives p = 1 and ns. */
static void city_share_district_not_significant(void **state) {
    fixture *f = *state;
    /* half 250, half 750 (mean 500) with one of each moved to 500: mean stays 500, dyadic, exact */
    int g[16] = {250, 750, 750, 250, 750, 500, 250, 250, 250, 750, 500, 750, 750, 250, 250, 750};
    write_grid(f, 4, 4, g);
    sg_run *run = run_local(f, "queen", "2", "3");
    const sg_column *li = col(run, "lisa_i"), *lp = col(run, "lisa_p"), *lc = col(run, "lisa_class");
    int seen = 0;
    for (int i = 0; i < 16; i++) {
        if (g[i] != 500) continue;
        seen++;
        assert_true(li->num[i] == 0.0);
        assert_true(lp->num[i] == 1.0);
        assert_string_equal(lc->text[i], "ns");
    }
    assert_int_equal(seen, 2);
    sg_run_destroy(run);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exact_null_sparse),
        cmocka_unit_test(exact_null_dense),
        cmocka_unit_test_setup_teardown(threads_bit_identical, setup, teardown),
        cmocka_unit_test_setup_teardown(seed_reproducible, setup, teardown),
        cmocka_unit_test_setup_teardown(observed_statistic_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(city_share_district_not_significant, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

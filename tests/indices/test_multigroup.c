/* Multigroup indices, per-group D and the local columns (local_entropy,
 * local_diversity, lq_<group>): a hand-computed case, the K = 2 identities,
 * invariants, the O(n log n) multigroup Gini against the double loop, and
 * the empty-group errors. */
#include "test_support.h"

#include "indices/indices.h"

static sg_ctx *ctx;
static int teardown(void **state) { (void)state; sg_ctx_destroy(ctx); return 0; }

#define MAXN 500
#define MAXK 8
static size_t ident[MAXN];
static char name_buf[MAXK][16];
static char *names[MAXK];

static void init_names(void);
static int setup(void **state) {
    (void)state;
    init_names();
    ctx = sg_ctx_create();
    return ctx ? 0 : -1;
}

static void init_names(void) {
    const char *def[MAXK] = {"A", "B", "C", "D", "E", "F", "G", "rest"};
    for (int g = 0; g < MAXK; g++) {
        snprintf(name_buf[g], sizeof name_buf[g], "%s", def[g]);
        names[g] = name_buf[g];
    }
    for (size_t i = 0; i < MAXN; i++) ident[i] = i;
}

/* Runs the multigroup family on an n x k frame m (k = 0: the two-group frame
 * of x, t). With run_all the basic, evenness and exposure families run too. */
static sg_status run(const double *x, const double *t, size_t n, size_t k, const double *m, int run_all,
                     sg_result *res) {
    sg_data d = {.n = n, .index = ident, .x = x, .t = t, .k = k, .m = m, .mnames = names};
    memset(res, 0, sizeof *res);
    res->n = n;
    sg_status st = SG_OK;
    if (run_all) {
        st = sg__family_basic(ctx, &d, res);
        if (st == SG_OK) st = sg__family_evenness(ctx, &d, res);
        if (st == SG_OK) st = sg__family_exposure(ctx, &d, res);
    }
    if (st == SG_OK) st = sg__family_multigroup(ctx, &d, res);
    return st;
}

static double get(const sg_result *r, const char *name) {
    const sg_global *g = sg__result_get(r, name);
    if (!g) fail_msg("index %s missing", name);
    return g->value;
}

static const double *col(const sg_result *r, const char *name) {
    for (size_t i = 0; i < r->ncols; i++)
        if (strcmp(r->cols[i].name, name) == 0) return r->cols[i].num;
    fail_msg("column %s missing", name);
    return NULL;
}

static int has_col(const sg_result *r, const char *name) {
    for (size_t i = 0; i < r->ncols; i++)
        if (strcmp(r->cols[i].name, name) == 0) return 1;
    return 0;
}

static const char *const MULTI[] = {"multi_dissimilarity", "multi_gini", "multi_information_theory",
                                    "multi_normalized_exposure", "multi_relative_diversity",
                                    "multi_squared_coefficient_of_variation", "multi_divergence",
                                    "multi_diversity", "simpsons_concentration", "simpsons_interaction"};
#define NMULTI (sizeof MULTI / sizeof MULTI[0])

/* Three districts, three groups A, B, C, worked on paper:
 *   d1 = (20, 0, 20)  d2 = (0, 20, 20)  d3 = (10, 10, 20)   t_i = 40 each, T = 120
 *   N = (30, 30, 60), P = (1/4, 1/4, 1/2)
 *   p1 = (1/2, 0, 1/2), p2 = (0, 1/2, 1/2), p3 = (1/4, 1/4, 1/2) = P
 *   I = Σ P(1-P) = 3/16 + 3/16 + 1/4 = 5/8;  E = Σ P ln(1/P) = 2 (1/4) ln 4 + (1/2) ln 2 = (3/2) ln 2
 *   Σ_k |p_ik - P_k| = 1/2, 1/2, 0 -> Σ t_i (...) = 40
 *     multi_dissimilarity = 40 / (2 T I) = 40 / 150 = 4/15
 *   Gini, ordered pairs: A: (1,2),(2,1) 2*40*40*1/2 = 1600; (1,3),(3,1),(2,3),(3,2) 4*1600/4 = 1600
 *     -> 3200; B the same 3200; C all equal 0.  multi_gini = 6400 / (2 T² I) = 6400/18000 = 16/45
 *   Σ_k p ln(p/P) = (1/2) ln 2, (1/2) ln 2, 0 -> Σ t_i (...) = 40 ln 2
 *     multi_information_theory = 40 ln 2 / (T E) = 40 / 180 = 2/9
 *     multi_divergence = 40 ln 2 / T = ln(2)/3
 *   Σ_k (p - P)² = 1/8, 1/8, 0 -> Σ t_i (...) = 10
 *     multi_relative_diversity = 10 / (T I) = 10/75 = 2/15
 *     multi_normalized_exposure: Σ_k (p-P)²/(1-P) = (1/16)/(3/4) * 2 = 1/6 per d1, d2
 *       -> 40/6 * 2 / T = 1/9
 *     multi_squared_coefficient_of_variation: Σ_k (p-P)²/P = (1/16)/(1/4) * 2 = 1/2 per d1, d2
 *       -> 40 / (T (K-1)) = 40 / 240 = 1/6
 *   multi_diversity = E = (3/2) ln 2; simpsons_concentration = 1/16 + 1/16 + 1/4 = 3/8;
 *   simpsons_interaction = I = 5/8
 *   D of A against the rest (N_A = 30, others 90): |20/30 - 20/90| + |0 - 40/90| + |10/30 - 30/90|
 *     = 4/9 + 4/9 + 0 -> 4/9;  B the same;  C (60 vs 60): 20/60 vs 20/60 everywhere -> 0
 *   local: d1 diversity = ln 2, entropy = ln 2 / ln 3, lq = (2, 0, 1);
 *          d3 diversity = (3/2) ln 2, entropy = (3/2) ln 2 / ln 3, lq = (1, 1, 1) */
static void toy_three_groups(void **state) {
    (void)state;
    double m[] = {20, 0, 20, 0, 20, 20, 10, 10, 20};
    double x[] = {20, 0, 10}, t[] = {40, 40, 40};
    sg_result r;
    assert_int_equal(run(x, t, 3, 3, m, 0, &r), SG_OK);
    sg_assert_near(get(&r, "multi_dissimilarity"), 4.0 / 15, 1e-15);
    sg_assert_near(get(&r, "multi_gini"), 16.0 / 45, 1e-15);
    sg_assert_near(get(&r, "multi_information_theory"), 2.0 / 9, 1e-15);
    sg_assert_near(get(&r, "multi_divergence"), log(2) / 3, 1e-15);
    sg_assert_near(get(&r, "multi_relative_diversity"), 2.0 / 15, 1e-15);
    sg_assert_near(get(&r, "multi_normalized_exposure"), 1.0 / 9, 1e-15);
    sg_assert_near(get(&r, "multi_squared_coefficient_of_variation"), 1.0 / 6, 1e-15);
    sg_assert_near(get(&r, "multi_diversity"), 1.5 * log(2), 1e-15);
    sg_assert_near(get(&r, "simpsons_concentration"), 3.0 / 8, 1e-15);
    sg_assert_near(get(&r, "simpsons_interaction"), 5.0 / 8, 1e-15);
    sg_assert_near(get(&r, "dissimilarity_A"), 4.0 / 9, 1e-15);
    sg_assert_near(get(&r, "dissimilarity_B"), 4.0 / 9, 1e-15);
    sg_assert_near(get(&r, "dissimilarity_C"), 0.0, 1e-15);
    const double *le = col(&r, "local_entropy"), *ld = col(&r, "local_diversity");
    const double *la = col(&r, "lq_A"), *lb = col(&r, "lq_B"), *lc = col(&r, "lq_C");
    sg_assert_near(ld[0], log(2), 1e-15);
    sg_assert_near(le[0], log(2) / log(3), 1e-15);
    sg_assert_near(ld[2], 1.5 * log(2), 1e-15);
    sg_assert_near(le[2], 1.5 * log(2) / log(3), 1e-15);
    sg_assert_near(la[0], 2, 1e-15);
    sg_assert_near(lb[0], 0, 1e-15);
    sg_assert_near(lc[0], 1, 1e-15);
    sg_assert_near(la[1], 0, 1e-15);
    sg_assert_near(lb[1], 2, 1e-15);
    for (int g = 0; g < 3; g++) sg_assert_near(col(&r, (const char *[]){"lq_A", "lq_B", "lq_C"}[g])[2], 1, 1e-15);
    sg__result_free(&r);
}

/* Deterministic pseudo-random numbers (64-bit LCG). */
static uint64_t lcg = 1234567890123ULL;
static double urand(void) {
    lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(lcg >> 11) / 9007199254740992.0;
}

static void random_two_group(double *x, double *t, size_t n) {
    for (size_t i = 0; i < n; i++) {
        t[i] = 1 + floor(urand() * 3000);
        double s = urand();
        x[i] = i % 19 == 0 ? 0 : floor(s * s * t[i]);
    }
}

/* n x k counts, group g more concentrated in some districts; zeros included. */
static void random_frame(double *m, size_t n, size_t k) {
    for (size_t i = 0; i < n; i++)
        for (size_t g = 0; g < k; g++) {
            double u = urand();
            m[i * k + g] = (i + g) % 11 == 0 ? 0 : floor(u * u * u * 500 * (1 + (double)((i * (g + 1)) % 7)));
        }
    m[0] = 1; /* no empty row */
}

/* K = 2 (the two-group frame): the multigroup indices are the single-group ones. */
static void two_group_identities(void **state) {
    (void)state;
    static double x[300], t[300];
    for (int rep = 0; rep < 5; rep++) {
        size_t n = 2 + (size_t)(urand() * 298);
        random_two_group(x, t, n);
        sg_result r;
        assert_int_equal(run(x, t, n, 0, NULL, 1, &r), SG_OK);
        sg_assert_near(get(&r, "multi_dissimilarity"), get(&r, "dissimilarity"), 1e-12);
        sg_assert_near(get(&r, "multi_gini"), get(&r, "gini"), 1e-12);
        sg_assert_near(get(&r, "multi_information_theory"), get(&r, "entropy"), 1e-12);
        double V = get(&r, "correlation_ratio");
        sg_assert_near(get(&r, "multi_normalized_exposure"), V, 1e-12);
        sg_assert_near(get(&r, "multi_relative_diversity"), V, 1e-12);
        sg_assert_near(get(&r, "multi_squared_coefficient_of_variation"), V, 1e-12);
        sg_assert_near(get(&r, "simpsons_concentration") + get(&r, "simpsons_interaction"), 1, 1e-15);
        /* no per-group columns or D without --groups: the basic lq and D hold */
        assert_false(has_col(&r, "lq_A"));
        assert_null(sg__result_get(&r, "dissimilarity_A"));
        /* local entropy of [x, t - x] is the binary entropy / ln 2 */
        const double *le = col(&r, "local_entropy");
        for (size_t i = 0; i < n; i++) {
            double p = x[i] / t[i], h = p > 0 && p < 1 ? -p * log(p) - (1 - p) * log(1 - p) : 0;
            sg_assert_near(le[i], h / log(2), 1e-13);
        }
        sg__result_free(&r);
    }
    /* The same frame given as --groups A,rest: lq_A = lq, dissimilarity_A = D. */
    double m[600];
    random_two_group(x, t, 300);
    for (size_t i = 0; i < 300; i++) m[2 * i] = x[i], m[2 * i + 1] = t[i] - x[i];
    sg_result a, b;
    assert_int_equal(run(x, t, 300, 0, NULL, 1, &a), SG_OK);
    snprintf(name_buf[1], sizeof name_buf[1], "rest");
    assert_int_equal(run(x, t, 300, 2, m, 1, &b), SG_OK);
    init_names();
    for (size_t k = 0; k < NMULTI; k++) sg_assert_near(get(&b, MULTI[k]), get(&a, MULTI[k]), 1e-15);
    sg_assert_near(get(&b, "dissimilarity_A"), get(&a, "dissimilarity"), 1e-13);
    sg_assert_near(get(&b, "dissimilarity_rest"), get(&a, "dissimilarity"), 1e-13);
    const double *lq = col(&a, "lq"), *lqa = col(&b, "lq_A");
    for (size_t i = 0; i < 300; i++) sg_assert_near(lqa[i], lq[i], 1e-14);
    sg__result_free(&a);
    sg__result_free(&b);
}

/* Scale invariance (all counts x k) and invariance under a reordering of the
 * groups; ranges. */
static void invariants(void **state) {
    (void)state;
    enum { N = 250, K = 5 };
    static double m[N * K], km[N * K], pm[N * K];
    static double x[N], t[N];
    random_frame(m, N, K);
    for (size_t i = 0; i < N; i++) {
        x[i] = m[i * K];
        t[i] = 0;
        for (size_t g = 0; g < K; g++) t[i] += m[i * K + g];
    }
    sg_result a;
    assert_int_equal(run(x, t, N, K, m, 0, &a), SG_OK);
    for (size_t k = 0; k < NMULTI; k++) {
        double v = get(&a, MULTI[k]);
        if (strcmp(MULTI[k], "multi_diversity") == 0) {
            assert_true(v > 0 && v <= log(K) + 1e-15);
        } else if (!(v >= 0 && v <= 1)) {
            fail_msg("%s = %.17g outside [0, 1]", MULTI[k], v);
        }
    }
    double factors[] = {3, 0.125, 1e4};
    for (size_t f = 0; f < 3; f++) {
        for (size_t i = 0; i < N * K; i++) km[i] = factors[f] * m[i];
        sg_result b;
        assert_int_equal(run(x, t, N, K, km, 0, &b), SG_OK);
        for (size_t k = 0; k < NMULTI; k++) sg_assert_near(get(&b, MULTI[k]), get(&a, MULTI[k]), 1e-12);
        sg_assert_near(get(&b, "dissimilarity_C"), get(&a, "dissimilarity_C"), 1e-12);
        for (size_t i = 0; i < N; i++) sg_assert_near(col(&b, "lq_B")[i], col(&a, "lq_B")[i], 1e-12);
        sg__result_free(&b);
    }
    /* groups in reverse order: the globals stay, each group's D and lq move with it */
    for (size_t i = 0; i < N; i++)
        for (size_t g = 0; g < K; g++) pm[i * K + g] = m[i * K + (K - 1 - g)];
    sg_result c;
    assert_int_equal(run(x, t, N, K, pm, 0, &c), SG_OK);
    for (size_t k = 0; k < NMULTI; k++) sg_assert_near(get(&c, MULTI[k]), get(&a, MULTI[k]), 1e-12);
    sg_assert_near(get(&c, "dissimilarity_E"), get(&a, "dissimilarity_A"), 1e-13);
    sg_assert_near(get(&c, "dissimilarity_B"), get(&a, "dissimilarity_D"), 1e-13);
    for (size_t i = 0; i < N; i++) {
        sg_assert_near(col(&c, "lq_A")[i], col(&a, "lq_E")[i], 1e-13);
        sg_assert_near(col(&c, "local_entropy")[i], col(&a, "local_entropy")[i], 1e-13);
    }
    sg__result_free(&c);
    sg__result_free(&a);
}

/* Every district has the city's composition: no segregation at all. */
static void even_city(void **state) {
    (void)state;
    double comp[] = {0.1, 0.3, 0.6}, sizes[] = {100, 250, 40, 1000};
    double m[12], x[4], t[4];
    for (int i = 0; i < 4; i++) {
        for (int g = 0; g < 3; g++) m[i * 3 + g] = comp[g] * sizes[i];
        x[i] = m[i * 3];
        t[i] = sizes[i];
    }
    sg_result r;
    assert_int_equal(run(x, t, 4, 3, m, 0, &r), SG_OK);
    const char *zero[] = {"multi_dissimilarity", "multi_gini", "multi_information_theory",
                          "multi_normalized_exposure", "multi_relative_diversity",
                          "multi_squared_coefficient_of_variation", "multi_divergence",
                          "dissimilarity_A", "dissimilarity_B", "dissimilarity_C"};
    for (size_t k = 0; k < sizeof zero / sizeof zero[0]; k++)
        if (!(fabs(get(&r, zero[k])) <= 1e-14)) fail_msg("%s = %.17g for an even city", zero[k], get(&r, zero[k]));
    double div = -(0.1 * log(0.1) + 0.3 * log(0.3) + 0.6 * log(0.6));
    sg_assert_near(get(&r, "multi_diversity"), div, 1e-14);
    sg_assert_near(get(&r, "simpsons_concentration"), 0.01 + 0.09 + 0.36, 1e-14);
    for (int i = 0; i < 4; i++) {
        sg_assert_near(col(&r, "local_diversity")[i], div, 1e-14);
        sg_assert_near(col(&r, "local_entropy")[i], div / log(3), 1e-14);
        sg_assert_near(col(&r, "lq_B")[i], 1, 1e-14);
    }
    sg__result_free(&r);
}

/* The per-group sort gives Σ_k Σ_i Σ_j t_i t_j |p_ik − p_jk| / (2 T² I) of the
 * double loop. */
static void multi_gini_equals_brute_force(void **state) {
    (void)state;
    enum { N = 300, K = 6 };
    static double m[N * K], x[N], t[N];
    random_frame(m, N, K);
    for (size_t i = 0; i < N; i += 7) /* ties */
        for (size_t g = 0; g < K; g++) m[i * K + g] = 3 * m[K + g];
    double ti[N], Nk[K] = {0}, T = 0;
    for (size_t i = 0; i < N; i++) {
        ti[i] = 0;
        for (size_t g = 0; g < K; g++) ti[i] += m[i * K + g], Nk[g] += m[i * K + g];
        T += ti[i];
        x[i] = m[i * K];
        t[i] = ti[i];
    }
    double I = 0;
    for (size_t g = 0; g < K; g++) I += Nk[g] / T * (1 - Nk[g] / T);
    sg_ksum s = {0, 0};
    for (size_t g = 0; g < K; g++)
        for (size_t i = 0; i < N; i++)
            for (size_t j = 0; j < N; j++)
                sg__ksum_add(&s, ti[i] * ti[j] * fabs(m[i * K + g] / ti[i] - m[j * K + g] / ti[j]));
    sg_result r;
    assert_int_equal(run(x, t, N, K, m, 0, &r), SG_OK);
    sg_assert_near(get(&r, "multi_gini"), sg__ksum_get(&s) / (2 * T * T * I), 1e-13);
    sg__result_free(&r);
}

/* A district whose frame row is 0 (possible with --no-remainder) has no
 * composition: its local values are null and it weighs nothing. */
static void empty_row_is_null(void **state) {
    (void)state;
    double m[] = {20, 0, 20, 0, 20, 20, 10, 10, 20, 0, 0, 0};
    double x[] = {20, 0, 10, 0}, t[] = {40, 40, 40, 5};
    sg_result r;
    assert_int_equal(run(x, t, 4, 3, m, 0, &r), SG_OK);
    sg_assert_near(get(&r, "multi_dissimilarity"), 4.0 / 15, 1e-15);
    sg_assert_near(get(&r, "multi_gini"), 16.0 / 45, 1e-15);
    assert_true(isnan(col(&r, "local_entropy")[3]));
    assert_true(isnan(col(&r, "lq_A")[3]));
    sg_assert_near(col(&r, "lq_A")[0], 2, 1e-15);
    sg__result_free(&r);
}

/* Local mutual information (issue 20 item 3): ls_i = Σ_k p_ik ln(p_ik / P_k),
 * Elbers' mutual_local. By hand on the three-district toy: d1 = (1/2, 0, 1/2)
 * against P = (1/4, 1/4, 1/2): (1/2) ln 2 + 0 + (1/2) ln 1 = (1/2) ln 2; d2 the
 * same; d3 = P: 0. Two groups by hand: x = (30, 10), t = (40, 60): P = 40/100,
 * d1 = (3/4, 1/4): (3/4) ln(15/8) + (1/4) ln(5/12). The t-weighted mean is M
 * (multi_divergence) to 1e-12 on Berlin-like cities (447 districts of a few
 * hundred to 30,000 residents, 5 to 60 % migrants; with --groups, five groups
 * and zeros); a district with an empty row is null. */
static void local_mutual_information(void **state) {
    (void)state;
    double m[] = {20, 0, 20, 0, 20, 20, 10, 10, 20};
    double x[] = {20, 0, 10}, t[] = {40, 40, 40};
    sg_result r;
    assert_int_equal(run(x, t, 3, 3, m, 0, &r), SG_OK);
    const double *ls = col(&r, "local_segregation");
    sg_assert_near(ls[0], 0.5 * log(2), 1e-15);
    sg_assert_near(ls[1], 0.5 * log(2), 1e-15);
    assert_true(fabs(ls[2]) < 1e-16);
    sg__result_free(&r);
    double x2[] = {30, 10}, t2[] = {40, 60};
    assert_int_equal(run(x2, t2, 2, 0, NULL, 0, &r), SG_OK);
    ls = col(&r, "local_segregation");
    sg_assert_near(ls[0], 0.75 * log(15.0 / 8) + 0.25 * log(5.0 / 12), 1e-15);
    sg_assert_near(ls[1], (1.0 / 6) * log(5.0 / 12) + (5.0 / 6) * log(25.0 / 18), 1e-15);
    sg__result_free(&r);
    enum { N = 447, K = 5 };
    static double bx[N], bt[N], bm[N * K];
    for (int rep = 0; rep < 4; rep++) {
        for (size_t i = 0; i < N; i++) {
            double u = urand();
            bt[i] = floor(300 + u * u * 30000);
            bx[i] = floor(bt[i] * (0.05 + 0.55 * urand() * urand()));
        }
        random_frame(bm, N, K);
        for (int frame = 0; frame < 2; frame++) {
            assert_int_equal(run(bx, bt, N, frame ? K : 0, frame ? bm : NULL, 0, &r), SG_OK);
            ls = col(&r, "local_segregation");
            sg_ksum s = {0, 0}, T = {0, 0};
            for (size_t i = 0; i < N; i++) {
                double ti = bt[i];
                if (frame) {
                    ti = 0;
                    for (size_t g = 0; g < K; g++) ti += bm[i * K + g];
                }
                assert_true(ls[i] >= -1e-15);
                sg__ksum_add(&s, ti * ls[i]);
                sg__ksum_add(&T, ti);
            }
            sg_assert_near(sg__ksum_get(&s) / sg__ksum_get(&T), get(&r, "multi_divergence"), 1e-12);
            sg__result_free(&r);
        }
    }
    double me[] = {20, 0, 20, 0, 20, 20, 10, 10, 20, 0, 0, 0};
    double xe[] = {20, 0, 10, 0}, te[] = {40, 40, 40, 5};
    assert_int_equal(run(xe, te, 4, 3, me, 0, &r), SG_OK);
    assert_true(isnan(col(&r, "local_segregation")[3]));
    sg__result_free(&r);
}

static void empty_group_is_an_error(void **state) {
    (void)state;
    double m[] = {20, 0, 20, 0, 0, 20}, x[] = {20, 0}, t[] = {40, 20};
    sg_result r;
    assert_int_equal(run(x, t, 2, 3, m, 0, &r), SG_ERR_DATA);
    assert_diag(ctx, "E_EMPTY_GROUP", "'B'", "undefined");
    sg__result_free(&r);
    /* the rest group with --groups that already make up the total: a hint */
    sg_options o = {0};
    double m2[] = {20, 20, 0, 5, 15, 0};
    snprintf(name_buf[2], sizeof name_buf[2], "rest");
    sg_data d = {.n = 2, .index = ident, .x = x, .t = t, .k = 3, .m = m2, .mnames = names, .opts = &o};
    sg_result r2 = {.n = 2};
    assert_int_equal(sg__family_multigroup(ctx, &d, &r2), SG_ERR_DATA);
    assert_diag(ctx, "E_EMPTY_GROUP", "'rest'", "--no-remainder");
    sg__result_free(&r2);
    init_names();
    /* one group only */
    double m3[] = {20, 5};
    d.k = 1;
    d.m = m3;
    sg_result r3 = {.n = 2};
    assert_int_equal(sg__family_multigroup(ctx, &d, &r3), SG_ERR_DATA);
    assert_diag(ctx, "E_ONE_GROUP", "at least two groups");
    sg__result_free(&r3);
    /* bad counts */
    double m4[] = {20, -1, 3, NAN};
    d.k = 2;
    d.m = m4;
    sg_result r4 = {.n = 2};
    assert_int_equal(sg__family_multigroup(ctx, &d, &r4), SG_ERR_DATA);
    assert_diag(ctx, "E_BAD_COUNTS", "'B'");
    sg__result_free(&r4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(toy_three_groups),
        cmocka_unit_test(two_group_identities),
        cmocka_unit_test(invariants),
        cmocka_unit_test(even_city),
        cmocka_unit_test(multi_gini_equals_brute_force),
        cmocka_unit_test(empty_row_is_null),
        cmocka_unit_test(empty_group_is_an_error),
        cmocka_unit_test(local_mutual_information),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

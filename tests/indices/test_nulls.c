/* The nulls of --permutations (geographic, evenness, systematic: nulls.c)
 * and the small-unit bias of D (dissimilarity_expected,
 * dissimilarity_bias_corrected). */
#include <json-c/json.h>

#include "test_support.h"
#include "write/write.h"

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

static sg_run *run_null(fixture *f, const char *null, const char *threads, const char *perms) {
    const char *args[] = {"--districts", f->path, "--id", "id", "--total", "total", "--group", "group",
                          "--out", f->out, "--permutations", perms, "--seed", "42", "--null", null,
                          "--threads", threads, "--quiet", NULL};
    sg_run *run = NULL;
    sg_status st = sg_test_analyze(f->ctx, &run, args);
    if (st != SG_OK) print_error("%s\n", sg_ctx_last_error(f->ctx));
    assert_int_equal(st, SG_OK);
    return run;
}

/* The same 18 districts of 180/200 and 18 of 20/200, arranged as a
 * checkerboard or as two halves (maximally clustered). Under the geographic
 * null (compositions shuffled over the squares) Morrill's spatial D of the
 * halves is extreme (nothing in 199 shuffles comes close), the checkerboard's
 * is not (its queen neighbours differ as often as a random arrangement's:
 * 60 of 110 pairs against 18/35 on average). Aspatial indices are invariant:
 * no p-value, no replicate, a note in summary.json. */
static void geographic_clustered_vs_checkerboard(void **state) {
    fixture *f = *state;
    double c[36];
    for (int arr = 0; arr < 2; arr++) {
        for (int i = 0; i < 36; i++)
            c[i] = arr ? ((i % 6) < 3 ? 180 : 20) : (((i % 6) + (i / 6)) % 2 ? 180 : 20);
        write_city(f, c);
        sg_run *run = run_null(f, "geographic", "2", "199");
        const sg_global *sd = sg__result_get(&run->res, "spatial_dissimilarity");
        assert_non_null(sd);
        print_message("%s: spatial D %.4f, p = %.3f, null mean %.4f\n", arr ? "halves" : "checkerboard", sd->value,
                      sd->p_value, sd->null_mean);
        if (arr) sg_assert_near(sd->p_value, 1.0 / 200.0, 1e-12);
        else assert_true(sd->p_value > 0.2);
        const sg_global *d = sg__result_get(&run->res, "dissimilarity");
        assert_non_null(d);
        sg_assert_near(d->value, 0.8, 1e-12);
        assert_true(d->invariant && isnan(d->p_value) && isnan(d->null_mean));
        assert_true(sg__result_get(&run->res, "gini")->invariant);
        assert_false(sd->invariant);
        /* summary.json: the null named, p_value null with its note */
        char *sp = sg_test_path(f->out, "summary.json");
        json_object *root = json_object_from_file(sp);
        free(sp);
        assert_non_null(root);
        json_object *inf, *ind, *io, *v;
        assert_true(json_object_object_get_ex(root, "inference", &inf));
        assert_true(json_object_object_get_ex(inf, "null", &v));
        assert_string_equal(json_object_get_string(v), "geographic");
        assert_true(json_object_object_get_ex(inf, "seed", &v));
        assert_true(json_object_is_type(v, json_type_int)); /* "seed": 7, not 7.0 */
        assert_true(json_object_object_get_ex(root, "indices", &ind));
        assert_true(json_object_object_get_ex(ind, "dissimilarity", &io));
        assert_true(json_object_object_get_ex(io, "p_value", &v) && v == NULL);
        assert_true(json_object_object_get_ex(io, "note", &v));
        assert_string_equal(json_object_get_string(v), "invariant under the geographic null");
        json_object_put(root);
        sg_run_destroy(run);
    }
}

/* Exact E|Bin(n, p) − n p| (de Moivre): 2 (1−p)^(n−m) p^(m+1) (m+1) C(n, m+1), m = ⌊np⌋. */
static double binomial_mad(double n, double p) {
    double m = floor(n * p);
    return 2 * (m + 1) * exp(lgamma(n + 1) - lgamma(m + 2) - lgamma(n - m) + (n - m) * log1p(-p) + (m + 1) * log(p));
}

/* A city of identical districts (40 of 200 each): D = 0. Under evenness every
 * district's count is Bin(200, 0.2), so the expected D is 36 E|x − 40| /
 * (2 T P (1 − P)) to first order (P moves by about 0.3 %): the null mean is
 * that scale. A city drawn from the evenness law itself is not significant. */
static void evenness_identical_districts(void **state) {
    fixture *f = *state;
    double c[36];
    for (int i = 0; i < 36; i++) c[i] = 40;
    write_city(f, c);
    sg_run *run = run_null(f, "evenness", "2", "999");
    const sg_global *d = sg__result_get(&run->res, "dissimilarity");
    double want = 36 * binomial_mad(200, 0.2) / (2 * 7200 * 0.2 * 0.8);
    print_message("identical districts: null mean D %.5f, first-order %.5f\n", d->null_mean, want);
    assert_true(d->value == 0);
    sg_assert_near(d->null_mean, want, 0.03);
    assert_false(d->invariant);
    sg_run_destroy(run);

    sg_rng r;
    sg__rng_seed(&r, 99, 0);
    for (int i = 0; i < 36; i++) c[i] = sg__rng_binomial(&r, 200, 0.2);
    write_city(f, c);
    run = run_null(f, "evenness", "1", "199");
    d = sg__result_get(&run->res, "dissimilarity");
    print_message("binomial city: D %.4f, p = %.3f\n", d->value, d->p_value);
    assert_true(d->p_value >= 0.05);
    sg_run_destroy(run);
}

/* Replicates of each null keep what the null keeps: geographic the multiset
 * of rows, evenness every total, systematic every group total. */
static void null_draws_keep_their_margins(void **state) {
    (void)state;
    enum { N = 7 };
    double x[N] = {3, 0, 5, 2, 9, 1, 4}, t[N] = {10, 4, 5, 8, 20, 3, 6}, m[N * 2];
    double rx[N], rt[N], rm[N * 2], work[N];
    size_t index[N];
    for (size_t i = 0; i < N; i++) {
        index[i] = i;
        m[2 * i] = x[i];
        m[2 * i + 1] = t[i] - x[i];
    }
    sg_city city;
    memset(&city, 0, sizeof city);
    city.n = N;
    sg_data d = {N, index, x, t, 2, m, NULL, NULL, &city, NULL, NULL, NULL, 0, NULL, 0};
    sg_psampler_scratch sc = {0};
    for (int model = SG_NULL_GEOGRAPHIC; model <= SG_NULL_SYSTEMATIC; model++) {
        for (uint64_t s = 0; s < 200; s++) {
            sg_rng r;
            sg__rng_seed(&r, 5, s);
            assert_int_equal(sg__null_draw(model, &r, &d, NULL, &sc, rx, rt, rm, work), 0);
            double X = 0, T = 0, M0 = 0, M1 = 0, key = 0, want_key = 0;
            for (size_t i = 0; i < N; i++) {
                assert_true(rx[i] >= 0 && rx[i] <= rt[i] && rx[i] == floor(rx[i]));
                X += rx[i];
                T += rt[i];
                M0 += rm[2 * i];
                M1 += rm[2 * i + 1];
                key += rx[i] * 1000 + rt[i];   /* a row's (x, t) */
                want_key += x[i] * 1000 + t[i];
                if (model == SG_NULL_EVENNESS) {
                    assert_true(rt[i] == t[i]);
                    assert_true(rm[2 * i] + rm[2 * i + 1] == t[i]);
                }
                if (model == SG_NULL_GEOGRAPHIC) {
                    int found = 0;
                    for (size_t j = 0; j < N; j++) found |= x[j] == rx[i] && t[j] == rt[i] && m[2 * j] == rm[2 * i];
                    assert_true(found);
                }
            }
            assert_true(T == 56);
            if (model != SG_NULL_EVENNESS) {
                assert_true(X == 24 && key == want_key);
                assert_true(M0 == 24 && M1 == 32);
            }
        }
    }
    sg__psampler_scratch_free(&sc);
}

/* Binomial and multinomial moments (nulls.c): mean n p, variance n p (1 − p). */
static void binomial_moments(void **state) {
    (void)state;
    struct { double n, p; } cases[] = {{10, 0.3}, {200, 0.2}, {5000, 0.01}, {1e6, 0.4}, {30, 0.95}, {1e12, 0.5}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        sg_rng r;
        sg__rng_seed(&r, 17, c);
        const int reps = 40000;
        double n = cases[c].n, p = cases[c].p, mu = n * p, var = n * p * (1 - p), s = 0, s2 = 0;
        for (int i = 0; i < reps; i++) {
            double v = sg__rng_binomial(&r, n, p);
            assert_true(v >= 0 && v <= n && v == floor(v));
            s += v - mu;
            s2 += (v - mu) * (v - mu);
        }
        assert_true(fabs(s / reps) <= 5 * sqrt(var / reps));
        sg_assert_near(s2 / reps, var, 0.05);
    }
    double w[4] = {1, 0, 3, 6}, out[4];
    sg_rng r;
    sg__rng_seed(&r, 1, 1);
    double mean2 = 0;
    for (int i = 0; i < 20000; i++) {
        sg__rng_multinomial(&r, 50, w, 4, 1, out, 1);
        assert_true(out[0] + out[1] + out[2] + out[3] == 50 && out[1] == 0);
        mean2 += out[2] / 20000;
    }
    sg_assert_near(mean2, 15, 0.01);
}

/* Every null gives bit-identical p-values with 1 and 2 threads. */
static void nulls_identical_for_any_thread_count(void **state) {
    fixture *f = *state;
    double c[36];
    for (int i = 0; i < 36; i++) c[i] = 10 + 5 * (i % 7) + (i / 6) * 4;
    write_city(f, c);
    const char *nulls[] = {"geographic", "evenness", "systematic"};
    for (int k = 0; k < 3; k++) {
        sg_run *a = run_null(f, nulls[k], "1", "99"), *b = run_null(f, nulls[k], "2", "99");
        assert_int_equal(a->res.ng, b->res.ng);
        int tested = 0;
        for (size_t j = 0; j < a->res.ng; j++) {
            const sg_global *u = &a->res.g[j], *v = &b->res.g[j];
            assert_string_equal(u->name, v->name);
            tested += isfinite(u->p_value);
            assert_memory_equal(&u->p_value, &v->p_value, sizeof(double));
            assert_memory_equal(&u->null_mean, &v->null_mean, sizeof(double));
            assert_memory_equal(&u->null_sd, &v->null_sd, sizeof(double));
        }
        print_message("%s: %d p-values\n", nulls[k], tested);
        assert_true(tested >= (k == 0 ? 10 : 25));
        sg_run_destroy(a);
        sg_run_destroy(b);
    }
}

/* --null needs --permutations and one of the four names. */
static void null_option_checked(void **state) {
    (void)state;
    const char *bad[][2] = {{"--null", "random"}, {"--null", "geographic"}};
    for (int k = 0; k < 2; k++) {
        sg_ctx *ctx = sg_ctx_create();
        const char *args[] = {"--districts", "x", "--id", "id", "--total", "t", "--group", "g", "--out", "o",
                              bad[k][0], bad[k][1], "--permutations", k ? "0" : "9"};
        sg_options *o = NULL;
        assert_int_equal(sg_options_parse(ctx, 14, (char **)args, &o, NULL), SG_ERR_USAGE);
        print_message("%s\n", sg_ctx_last_error(ctx));
        sg_options_free(o);
        sg_ctx_destroy(ctx);
    }
}

/* D of (x, t) for the exact enumerations below; t_i = 0 adds nothing. */
static double dis(const double *x, const double *t, int n) {
    double X = 0, T = 0, s = 0;
    for (int i = 0; i < n; i++) X += x[i], T += t[i];
    double P = X / T;
    for (int i = 0; i < n; i++) s += fabs(x[i] - t[i] * P);
    return s / (2 * T * P * (1 - P));
}
static double choose(double n, double k) {
    return k < 0 || k > n ? 0 : exp(lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1));
}

/* Runs the basic family and sg__infer on (x, t) with the given options. */
static sg_result infer_tiny(const double *x, const double *t, size_t n, const char *perms, const char *null) {
    static size_t index[16];
    for (size_t i = 0; i < n; i++) index[i] = i;
    sg_ctx *ctx = sg_ctx_create();
    const char *args[] = {"--districts", "x", "--id", "id", "--total", "t", "--group", "g", "--out", "o",
                          "--indices", "basic", "--permutations", perms, "--threads", "2", "--null", null};
    sg_options *o = NULL;
    assert_int_equal(sg_options_parse(ctx, null ? 18 : 16, (char **)args, &o, NULL), SG_OK);
    sg_city city;
    memset(&city, 0, sizeof city);
    city.n = n;
    sg_data d = {n, index, x, t, 0, NULL, NULL, NULL, &city, o, NULL, NULL, 0, NULL, 0};
    sg_result res = {0};
    res.n = n;
    assert_int_equal(sg__run_families(ctx, &d, &res), SG_OK);
    assert_int_equal(sg__infer(ctx, &d, &res), SG_OK);
    sg_options_free(o);
    sg_ctx_destroy(ctx);
    return res;
}

/* dissimilarity_expected on a tiny city (totals 3, 2, 4; 4 in the group),
 * against its exact value: every allocation (x1, x2, x3) of the person-level
 * null with its multivariate hypergeometric probability. With 20000
 * permutations the estimate is the replicates' mean; under another null,
 * 500 person-level draws of its own; both within 4 standard errors of the
 * exact mean. Without --permutations there is none. */
static void expected_dissimilarity_exact(void **state) {
    (void)state;
    double t[3] = {3, 2, 4}, x[3] = {3, 1, 0}, e = 0, e2 = 0, tot = 0;
    for (int a = 0; a <= 3; a++)
        for (int b = 0; b <= 2; b++) {
            int c = 4 - a - b;
            if (c < 0 || c > 4) continue;
            double pr = choose(3, a) * choose(2, b) * choose(4, c) / choose(9, 4), xx[3] = {a, b, c};
            double D = dis(xx, t, 3);
            e += pr * D;
            e2 += pr * D * D;
            tot += pr;
        }
    sg_assert_near(tot, 1, 1e-12);
    double sd = sqrt(e2 - e * e);
    print_message("exact E[D] = %.6f (sd %.4f)\n", e, sd);
    const char *perms[] = {"20000", "9"}, *nulls[] = {"person", "systematic"};
    double draws[] = {20000, SG_BIAS_DRAWS};
    sg_result none = infer_tiny(x, t, 3, "0", NULL);
    assert_null(sg__result_get(&none, "dissimilarity_expected"));
    assert_null(sg__result_get(&none, "dissimilarity_bias_corrected"));
    sg__result_free(&none);
    for (int k = 0; k < 2; k++) {
        sg_result res = infer_tiny(x, t, 3, perms[k], nulls[k]);
        const sg_global *g = sg__result_get(&res, "dissimilarity_expected");
        assert_non_null(g);
        print_message("%s permutations: expected D %.6f\n", perms[k], g->value);
        assert_true(fabs(g->value - e) <= 4 * sd / sqrt(draws[k]));
        if (k == 0) assert_memory_equal(&g->value, &sg__result_get(&res, "dissimilarity")->null_mean, sizeof(double));
        sg__result_free(&res);
    }
}

/* PySAL's BiasCorrectedDissim on a tiny city: x = (2, 1, 0), y = (1, 1, 3).
 * Its draws are x' ~ Mult(3; 2/3, 1/3, 0), y' ~ Mult(5; 1/5, 1/5, 3/5): every
 * outcome enumerated gives the exact E[D_b], so the corrected D's exact
 * target 2 D − E[D_b]; seggap's (500 draws, as PySAL) within 4 standard
 * errors of it. D = (|2 − 3·3/8| + |1 − 2·3/8| + |0 − 3·3/8|)/(2·8·(3/8)(5/8))
 * = 2.25/3.75 = 0.6. */
static void bias_corrected_dissimilarity_exact(void **state) {
    (void)state;
    double t[3] = {3, 2, 3}, x[3] = {2, 1, 0};
    double D = dis(x, t, 3), e = 0, e2 = 0, tot = 0;
    sg_assert_near(D, 0.6, 1e-12);
    double p0[3] = {2.0 / 3, 1.0 / 3, 0}, p1[3] = {0.2, 0.2, 0.6};
    for (int a = 0; a <= 3; a++)
        for (int u = 0; u <= 5; u++)
            for (int v = 0; u + v <= 5; v++) {
                int b = 3 - a, w = 5 - u - v;
                double pa = choose(3, a) * pow(p0[0], a) * pow(p0[1], b);
                double pb = exp(lgamma(6) - lgamma(u + 1) - lgamma(v + 1) - lgamma(w + 1)) * pow(p1[0], u) *
                            pow(p1[1], v) * pow(p1[2], w);
                double xx[3] = {a, b, 0}, tt[3] = {a + u, b + v, w};
                double Db = dis(xx, tt, 3);
                e += pa * pb * Db;
                e2 += pa * pb * Db * Db;
                tot += pa * pb;
            }
    sg_assert_near(tot, 1, 1e-12);
    double want = 2 * D - e, sd = sqrt(e2 - e * e);
    sg_result res = infer_tiny(x, t, 3, "9", "person");
    const sg_global *g = sg__result_get(&res, "dissimilarity_bias_corrected");
    assert_non_null(g);
    print_message("bias-corrected D %.6f, exact target %.6f (E[D_b] %.6f, sd %.4f)\n", g->value, want, e, sd);
    assert_true(fabs(g->value - want) <= 4 * sd / sqrt(SG_BIAS_DRAWS));
    sg__result_free(&res);
}

/* The same on counts of 10 and more, where the multinomial resamples draw
 * their Poisson counts by transformed rejection (PTRS) rather than by
 * inversion: x = (25, 10, 12), y = (15, 30, 20); x' ~ Mult(47, x/47) and
 * y' ~ Mult(65, y/65) enumerated (2.6 million outcomes) give the exact
 * E[D_b]; seggap's 500 draws within 4 standard errors of it. */
static void bias_corrected_dissimilarity_large_counts(void **state) {
    (void)state;
    double x[3] = {25, 10, 12}, y[3] = {15, 30, 20}, t[3];
    for (int i = 0; i < 3; i++) t[i] = x[i] + y[i];
    double D = dis(x, t, 3), e = 0, e2 = 0, tot = 0;
    /* log-probabilities of every x' and every y' */
    static double lx[48][48], ly[66][66];
    for (int a = 0; a <= 47; a++)
        for (int b = 0; a + b <= 47; b++)
            lx[a][b] = lgamma(48) - lgamma(a + 1) - lgamma(b + 1) - lgamma(47 - a - b + 1) + a * log(25.0 / 47) +
                       b * log(10.0 / 47) + (47 - a - b) * log(12.0 / 47);
    for (int u = 0; u <= 65; u++)
        for (int v = 0; u + v <= 65; v++)
            ly[u][v] = lgamma(66) - lgamma(u + 1) - lgamma(v + 1) - lgamma(65 - u - v + 1) + u * log(15.0 / 65) +
                       v * log(30.0 / 65) + (65 - u - v) * log(20.0 / 65);
    for (int a = 0; a <= 47; a++)
        for (int b = 0; a + b <= 47; b++)
            for (int u = 0; u <= 65; u++)
                for (int v = 0; u + v <= 65; v++) {
                    double pr = exp(lx[a][b] + ly[u][v]);
                    if (pr < 1e-300) continue;
                    double xx[3] = {a, b, 47 - a - b}, tt[3] = {a + u, b + v, 112 - a - b - u - v};
                    double s = 0; /* D of (xx, tt); a district drawn empty adds nothing */
                    for (int i = 0; i < 3; i++)
                        if (tt[i] > 0) s += fabs(xx[i] - tt[i] * 47.0 / 112);
                    double Db = s / (2 * 112 * (47.0 / 112) * (65.0 / 112));
                    e += pr * Db;
                    e2 += pr * Db * Db;
                    tot += pr;
                }
    sg_assert_near(tot, 1, 1e-9);
    double want = 2 * D - e, sd = sqrt(e2 - e * e);
    sg_result res = infer_tiny(x, t, 3, "9", "person");
    const sg_global *g = sg__result_get(&res, "dissimilarity_bias_corrected");
    assert_non_null(g);
    print_message("bias-corrected D %.6f, exact target %.6f (E[D_b] %.6f, sd %.4f)\n", g->value, want, e, sd);
    assert_true(fabs(g->value - want) <= 4 * sd / sqrt(SG_BIAS_DRAWS));
    sg__result_free(&res);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(binomial_moments),
        cmocka_unit_test(null_draws_keep_their_margins),
        cmocka_unit_test(null_option_checked),
        cmocka_unit_test(expected_dissimilarity_exact),
        cmocka_unit_test(bias_corrected_dissimilarity_exact),
        cmocka_unit_test(bias_corrected_dissimilarity_large_counts),
        cmocka_unit_test_setup_teardown(geographic_clustered_vs_checkerboard, setup, teardown),
        cmocka_unit_test_setup_teardown(evenness_identical_districts, setup, teardown),
        cmocka_unit_test_setup_teardown(nulls_identical_for_any_thread_count, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

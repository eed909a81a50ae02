/* Local statistics (Gi*, local Moran) on grids worked by hand. */
#include "test_support.h"
#include "write/write.h"

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

/* cols x rows grid of 1000-resident districts with group counts g[]; an
 * extra detached square when island is set. Ids are "rRcC". */
static sg_run *run_grid_adj(fixture *f, int cols, int rows, const int *g, int island, const char *weights,
                            const char *padj) {
    int n = cols * rows + (island ? 1 : 0);
    fx_row *r = calloc((size_t)n, sizeof *r);
    char (*ids)[32] = calloc((size_t)n, 32), (*gs)[32] = calloc((size_t)n, 32);
    char **sq = calloc((size_t)n, sizeof *sq);
    for (int i = 0; i < n; i++) {
        int c = i < cols * rows ? i % cols : cols + 5, w = i < cols * rows ? i / cols : 0;
        sq[i] = fx_square(c, w);
        snprintf(ids[i], 32, "r%dc%d", w, c);
        snprintf(gs[i], 32, "%d", i < cols * rows ? g[i] : 500);
        r[i] = (fx_row){sq[i], ids[i], "1000", gs[i]};
    }
    fx_write(f->path, "GeoJSON", 4326, r, (size_t)n, 1);
    const char *args[] = {"--districts", f->path, "--id", "id", "--total", "total", "--group", "group",
                          "--out", f->out, "--quiet", "--weights", weights, padj ? "--p-adjust" : NULL, padj, NULL};
    sg_run *run = NULL;
    sg_status st = sg_test_analyze(f->ctx, &run, args);
    if (st != SG_OK) print_error("%s\n", sg_ctx_last_error(f->ctx));
    assert_int_equal(st, SG_OK);
    for (int i = 0; i < n; i++) free(sq[i]);
    free(sq);
    free(r);
    free(ids);
    free(gs);
    return run;
}

static sg_run *run_grid(fixture *f, int cols, int rows, const int *g, int island, const char *weights) {
    return run_grid_adj(f, cols, rows, g, island, weights, NULL);
}

static const sg_column *col(const sg_run *run, const char *name) {
    for (size_t k = 0; k < run->res.ncols; k++)
        if (strcmp(run->res.cols[k].name, name) == 0) return &run->res.cols[k];
    fail_msg("no column %s", name);
    return NULL;
}

/* 3 x 3, the centre has share 0.9, the rest 0.1. Queen weights.
 * n = 9, mean = 1.7/9, s^2 = (8 * 0.01 + 0.81)/9 - mean^2.
 * Corner r0c0: neighbours r0c1, r1c0, r1c1 (centre); with itself W = 4,
 *   local sum 1.2: z = (1.2 - 4 mean) / (s sqrt((9*4 - 16)/8)).
 *   Moran: z_i = 0.1 - mean, lag = (2 (0.1 - mean) + (0.9 - mean)) / 3,
 *   I = z_i lag / s^2.
 * Edge r0c1: neighbours r0c0, r0c2, r1c0, r1c1, r1c2 (5); W = 6, local 1.4. */
static void hand_computed_grid(void **state) {
    fixture *f = *state;
    int g[9] = {100, 100, 100, 100, 900, 100, 100, 100, 100};
    sg_run *run = run_grid(f, 3, 3, g, 0, "queen");
    const sg_column *gz = col(run, "gi_star_z"), *li = col(run, "lisa_i"), *gp = col(run, "gi_star_p");
    double mean = 1.7 / 9, s2 = (8 * 0.01 + 0.81) / 9 - mean * mean, s = sqrt(s2);
    /* city order is file order: r0c0 = 0, r0c1 = 1, r1c1 = 4 */
    sg_assert_near(gz->num[0], (1.2 - 4 * mean) / (s * sqrt((9 * 4 - 16) / 8.0)), 1e-9);
    sg_assert_near(gz->num[1], (1.4 - 6 * mean) / (s * sqrt((9 * 6 - 36) / 8.0)), 1e-9);
    sg_assert_near(gp->num[0], erfc(fabs(gz->num[0]) / sqrt(2)), 1e-12);
    double zi = 0.1 - mean, lag = (2 * (0.1 - mean) + (0.9 - mean)) / 3;
    sg_assert_near(li->num[0], zi * lag / s2, 1e-9);
    /* centre: all 8 others are neighbours; lag = mean of the 8 z = 8 (0.1 - mean)/8 */
    sg_assert_near(li->num[4], (0.9 - mean) * (0.1 - mean) / s2, 1e-9);
    sg_run_destroy(run);
    /* rook: the corner has 2 neighbours, r0c1 and r1c0 */
    sg_ctx_clear(f->ctx);
    run = run_grid(f, 3, 3, g, 0, "rook");
    gz = col(run, "gi_star_z");
    sg_assert_near(gz->num[0], (0.3 - 3 * mean) / (s * sqrt((9 * 3 - 9) / 8.0)), 1e-9);
    sg_run_destroy(run);
}

/* 8 x 8: the left half 80 % group, the right half 5 %: HH on the left, LL on
 * the right, hot spots (Gi* z > 1.96) on the left; an island gets nulls. */
static void clustered_city_classes(void **state) {
    fixture *f = *state;
    int g[64];
    for (int i = 0; i < 64; i++) g[i] = (i % 8) < 4 ? 800 + (i % 3) * 10 : 50 + (i % 5) * 5;
    sg_run *run = run_grid(f, 8, 8, g, 1, "queen");
    const sg_column *lc = col(run, "lisa_class"), *gz = col(run, "gi_star_z"), *lp = col(run, "lisa_p");
    /* inner cells of each half */
    int left = 3 * 8 + 1, right = 3 * 8 + 6;
    assert_string_equal(lc->text[left], "HH");
    assert_string_equal(lc->text[right], "LL");
    assert_true(gz->num[left] > 1.96 && gz->num[right] < -1.96);
    assert_true(lp->num[left] <= 0.01);
    assert_null(lc->text[64]); /* the island */
    assert_true(isnan(gz->num[64]));
    assert_diag(f->ctx, "W_ISLAND", "r0c13");
    sg_run_destroy(run);
    /* knn:4 gives every unit (the island too) neighbours */
    sg_ctx_clear(f->ctx);
    run = run_grid(f, 8, 8, g, 1, "knn:4");
    lc = col(run, "lisa_class");
    assert_non_null(lc->text[64]);
    sg_run_destroy(run);
}

/* --indices aspatial: no spatial index, no local column, D still there. */
static void indices_selection(void **state) {
    fixture *f = *state;
    int g[9] = {100, 100, 100, 100, 900, 100, 100, 100, 100};
    fx_row r[9];
    char ids[9][8], gs[9][16], *sq[9];
    for (int i = 0; i < 9; i++) {
        sq[i] = fx_square(i % 3, i / 3);
        snprintf(ids[i], sizeof ids[i], "d%d", i);
        snprintf(gs[i], sizeof gs[i], "%d", g[i]);
        r[i] = (fx_row){sq[i], ids[i], "1000", gs[i]};
    }
    fx_write(f->path, "GeoJSON", 4326, r, 9, 1);
    const char *args[] = {"--districts", f->path, "--id", "id", "--total", "total", "--group", "group",
                          "--out", f->out, "--quiet", "--indices", "aspatial", NULL};
    sg_run *run = NULL;
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_OK);
    double v;
    assert_true(sg_run_index(run, "dissimilarity", &v));
    assert_true(sg_run_index(run, "gini", &v));
    assert_false(sg_run_index(run, "spatial_dissimilarity", &v));
    assert_false(sg_run_index(run, "delta", &v));
    for (size_t k = 0; k < run->res.ncols; k++) assert_string_not_equal(run->res.cols[k].name, "gi_star_z");
    sg_run_destroy(run);
    for (int i = 0; i < 9; i++) free(sq[i]);
}

/* --p-adjust on a vector worked by hand: p = 0.01, 0.04, 0.03, 0.005 (and
 * a NaN, which is not a test). BH: sorted 0.005, 0.01, 0.03, 0.04 give
 * 4p/k = 0.02, 0.02, 0.04, 0.04, already monotone: q = 0.02, 0.04, 0.04,
 * 0.02. Bonferroni: 4p = 0.04, 0.16, 0.12, 0.02. Capped at 1, and the step
 * up: p = 0.5, 0.9 give BH 2*0.5/1 = 1 -> min(1, 0.9) = 0.9, and 0.9. */
static void p_adjust_hand_computed(void **state) {
    (void)state;
    double p[5] = {0.01, 0.04, 0.03, 0.005, NAN}, q[5];
    assert_int_equal(sg__p_adjust(SG_PADJ_FDR, p, 5, q), 0);
    double bh[4] = {0.02, 0.04, 0.04, 0.02}, bf[4] = {0.04, 0.16, 0.12, 0.02};
    for (int i = 0; i < 4; i++) sg_assert_near(q[i], bh[i], 1e-15);
    assert_true(isnan(q[4]));
    assert_int_equal(sg__p_adjust(SG_PADJ_BONFERRONI, p, 5, q), 0);
    for (int i = 0; i < 4; i++) sg_assert_near(q[i], bf[i], 1e-15);
    assert_true(isnan(q[4]));
    assert_int_equal(sg__p_adjust(SG_PADJ_NONE, p, 5, q), 0);
    for (int i = 0; i < 4; i++) assert_true(q[i] == p[i]);
    double p2[2] = {0.5, 0.9}, q2[2];
    assert_int_equal(sg__p_adjust(SG_PADJ_FDR, p2, 2, q2), 0);
    sg_assert_near(q2[0], 0.9, 1e-15);
    sg_assert_near(q2[1], 0.9, 1e-15);
    assert_int_equal(sg__p_adjust(SG_PADJ_BONFERRONI, p2, 2, q2), 0);
    assert_true(q2[0] == 1.0 && q2[1] == 1.0);
    assert_int_equal(sg__p_adjust(7, p2, 2, q2), -1);
    assert_string_equal(sg__p_adjust_name(SG_PADJ_FDR), "fdr");
    assert_int_equal(sg__p_adjust_parse("bonferroni"), SG_PADJ_BONFERRONI);
    assert_int_equal(sg__p_adjust_parse("holm"), -1);
}

static size_t count_hot(const sg_run *run) {
    size_t k = 0;
    for (size_t i = 0; i < run->city.n; i++) k += run->gaps->g5.hotspot[i];
    return k;
}

/* A city without any pattern: shares drawn from a fixed LCG on a 12 x 12
 * grid. Unadjusted Gi* p flags some districts as hot spots by chance; BH
 * at 0.05 flags none. gi_star_q is checked against the BH definition
 * (q_i = min over p_j >= p_i of m p_j / rank_j), --p-adjust none against the
 * old rule (z > 0 and p <= 0.05 on gi_star_p), and a real cluster (the
 * left half of clustered_city_classes) survives the adjustment. */
static void fdr_hot_spots_by_chance(void **state) {
    fixture *f = *state;
    int g[144];
    uint32_t x = 3u; /* 6 hot spots unadjusted */
    for (int i = 0; i < 144; i++) {
        x = x * 1664525u + 1013904223u;
        g[i] = 100 + (int)((x >> 8) % 800);
    }
    sg_run *run = run_grid_adj(f, 12, 12, g, 0, "queen", "none");
    const sg_column *gz = col(run, "gi_star_z"), *gp = col(run, "gi_star_p"), *gq = col(run, "gi_star_q");
    size_t old = 0;
    for (size_t i = 0; i < 144; i++) {
        int hot = gz->num[i] > 0 && gp->num[i] <= 0.05;
        assert_int_equal(run->gaps->g5.hotspot[i], hot);
        assert_true(gq->num[i] == gp->num[i]);
        old += (size_t)hot;
    }
    assert_true(old >= 1);
    sg_run_destroy(run);
    sg_ctx_clear(f->ctx);
    run = run_grid_adj(f, 12, 12, g, 0, "queen", NULL); /* the default: fdr */
    gp = col(run, "gi_star_p");
    gq = col(run, "gi_star_q");
    for (size_t i = 0; i < 144; i++) {
        double best = 1;
        for (size_t j = 0; j < 144; j++) {
            if (gp->num[j] < gp->num[i]) continue;
            size_t rank = 0;
            for (size_t k = 0; k < 144; k++) rank += gp->num[k] <= gp->num[j];
            best = fmin(best, 144.0 * gp->num[j] / (double)rank);
        }
        sg_assert_near(gq->num[i], best, 1e-12);
        assert_true(gq->num[i] >= gp->num[i] * (1 - 1e-12));
    }
    assert_int_equal(count_hot(run), 0);
    assert_int_equal(run->gaps->p_adjust, SG_PADJ_FDR);
    sg_run_destroy(run);
    print_message("fdr_hot_spots_by_chance: %zu hot spots unadjusted, 0 with FDR\n", old);
    /* a real cluster survives: the left half at 80 % */
    int c[64];
    for (int i = 0; i < 64; i++) c[i] = (i % 8) < 4 ? 800 + (i % 3) * 10 : 50 + (i % 5) * 5;
    sg_ctx_clear(f->ctx);
    run = run_grid_adj(f, 8, 8, c, 0, "queen", NULL);
    assert_true(run->gaps->g5.hotspot[3 * 8 + 1]);
    size_t fdr = count_hot(run);
    sg_run_destroy(run);
    sg_ctx_clear(f->ctx);
    run = run_grid_adj(f, 8, 8, c, 0, "queen", "bonferroni");
    gp = col(run, "gi_star_p");
    gq = col(run, "gi_star_q");
    for (size_t i = 0; i < 64; i++) sg_assert_near(gq->num[i], fmin(1.0, 64 * gp->num[i]), 1e-15);
    assert_true(count_hot(run) <= fdr); /* Bonferroni is the stricter */
    sg_run_destroy(run);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(hand_computed_grid, setup, teardown),
        cmocka_unit_test_setup_teardown(clustered_city_classes, setup, teardown),
        cmocka_unit_test_setup_teardown(indices_selection, setup, teardown),
        cmocka_unit_test(p_adjust_hand_computed),
        cmocka_unit_test_setup_teardown(fdr_hot_spots_by_chance, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* --by: indices within each region and the exact split of Theil's H. */
#include <json-c/json.h>

#include "test_support.h"
#include "write/write.h"

static double ent(double p) { return p <= 0 || p >= 1 ? 0 : -p * log(p) - (1 - p) * log(1 - p); }

static void regions_and_entropy_split(void **state) {
    (void)state;
    sg_ctx *ctx = sg_ctx_create();
    char *dir = sg_test_tmpdir(), *gj = sg_test_path(dir, "d.geojson"), *csv = sg_test_path(dir, "r.csv"),
         *out = sg_test_path(dir, "out");
    /* Region N: (10 of 100), (50 of 100); region S: (30 of 100), (30 of 100), (0 of 50, no region). */
    char *sq[5];
    for (int i = 0; i < 5; i++) sq[i] = fx_square(i, 0);
    fx_row rows[] = {{sq[0], "a", "100", "10"}, {sq[1], "b", "100", "50"}, {sq[2], "c", "100", "30"},
                     {sq[3], "d", "100", "30"}, {sq[4], "e", "50", "0"}};
    fx_write(gj, "GeoJSON", 4326, rows, 5, 1);
    sg_test_write_file(csv, "id,region\na,N\nb,N\nc,S\nd,S\ne,\n");
    const char *args[] = {"--districts", gj, "--id", "id", "--table", csv, "--total", "total", "--group", "group",
                          "--by", "region", "--out", out, "--quiet", NULL};
    sg_run *run = NULL;
    sg_status st = sg_test_analyze(ctx, &run, args);
    if (st != SG_OK) print_error("%s\n", sg_ctx_last_error(ctx));
    assert_int_equal(st, SG_OK);
    assert_diag(ctx, "W_NO_REGION", "1 districts");
    const struct sg_regions *R = run->regions;
    assert_non_null(R);
    assert_int_equal(R->nr, 2);
    const sg_region *n = strcmp(R->r[0].name, "N") == 0 ? &R->r[0] : &R->r[1];
    const sg_region *s = n == &R->r[0] ? &R->r[1] : &R->r[0];
    /* N: X = 60, Y = 140: D = (|10/60 - 90/140| + |50/60 - 50/140|) / 2 */
    const sg_global *dn = sg__result_get(&n->res, "dissimilarity");
    assert_non_null(dn);
    sg_assert_near(dn->value, 0.5 * (fabs(10 / 60.0 - 90 / 140.0) + fabs(50 / 60.0 - 50 / 140.0)), 1e-14);
    sg_assert_near(sg__result_get(&s->res, "dissimilarity")->value, 0.0, 1e-14); /* S is even */
    /* H by hand: city P = 120/450; E_i per district; between = regions as units. */
    double T = 450, P = 120 / T, E = ent(P);
    double t[5] = {100, 100, 100, 100, 50}, x[5] = {10, 50, 30, 30, 0}, H = 0;
    for (int i = 0; i < 5; i++) H += t[i] * (E - ent(x[i] / t[i])) / (E * T);
    double B = 200 * (E - ent(60 / 200.0)) / (E * T) + 200 * (E - ent(60 / 200.0)) / (E * T) + 50 * (E - 0) / (E * T);
    sg_assert_near(R->h_total, H, 1e-12);
    sg_assert_near(R->h_between, B, 1e-12);
    sg_assert_near(R->h_between + R->h_within, R->h_total, 1e-12);
    /* The mutual information index M (multi_divergence) split the same way
     * (issue 20 item 3): M = M_between + Σ_r (T_r / T) M_r. With two groups
     * Σ_r (T_r/T) KL(p_r || P) = E - Σ_r (T_r/T) E_r, so each part is E times
     * H's; the total is the run's multi_divergence. */
    double M;
    assert_true(sg_run_index(run, "multi_divergence", &M));
    assert_true(R->have_m);
    sg_assert_near(R->m_total, M, 1e-12);
    sg_assert_near(R->m_total, E * H, 1e-12);
    sg_assert_near(R->m_between, E * B, 1e-12);
    sg_assert_near(R->m_within, E * R->h_within, 1e-12);
    /* Spatial indices of a region are those of the region on its own. */
    const sg_global *sdn = sg__result_get(&n->res, "spatial_dissimilarity");
    assert_non_null(sdn);
    {
        char *gj2 = sg_test_path(dir, "n.geojson"), *out2 = sg_test_path(dir, "out2");
        fx_write(gj2, "GeoJSON", 4326, rows, 2, 1); /* a and b: region N alone */
        const char *a2[] = {"--districts", gj2, "--id", "id", "--total", "total", "--group", "group", "--out", out2,
                            "--quiet", NULL};
        sg_run *alone = NULL;
        assert_int_equal(sg_test_analyze(ctx, &alone, a2), SG_OK);
        double v;
        assert_true(sg_run_index(alone, "spatial_dissimilarity", &v));
        sg_assert_near(sdn->value, v, 1e-12);
        assert_true(sg_run_index(alone, "dissimilarity", &v));
        sg_assert_near(dn->value, v, 1e-12);
        sg_run_destroy(alone);
        free(gj2);
        free(out2);
    }
    json_object *sum = json_tokener_parse(sg_run_summary_json(run)), *rg, *dec;
    assert_true(json_object_object_get_ex(sum, "regions", &rg));
    assert_true(json_object_object_get_ex(rg, "entropy_decomposition", &dec));
    assert_true(json_object_object_get_ex(rg, "mutual_information_decomposition", &dec));
    json_object *jb;
    assert_true(json_object_object_get_ex(dec, "between", &jb));
    sg_assert_near(json_object_get_double(jb), E * B, 1e-12);
    json_object_put(sum);
    sg_run_destroy(run);
    for (int i = 0; i < 5; i++) free(sq[i]);
    free(gj);
    free(csv);
    free(out);
    sg_test_rmdir(dir);
    sg_ctx_destroy(ctx);
}

/* The split of M on a --groups frame, by hand: districts d1 = (20, 0, 20),
 * d2 = (0, 20, 20), d3 = (10, 10, 20); regions {d1, d3} and {d2}; P = (1/4,
 * 1/4, 1/2), M = ln(2)/3. Region 0 = (3/8, 1/8, 1/2), region 1 = (0, 1/2, 1/2):
 * between = (2/3) [(3/8) ln(3/2) - (1/8) ln 2] + (1/3) (1/2) ln 2
 *         = (1/4) ln(3/2) + (1/12) ln 2;
 * within = (2/3) M_0, M_0 = (1/2) (1/2) ln(4/3) + (1/2) [(1/4) ln(2/3) + (1/4) ln 2]
 *        = (3/8) ln(4/3), so within = (1/4) ln(4/3). A district without a region
 * counts as its own region (between). */
static void mutual_information_split_groups(void **state) {
    (void)state;
    sg_ctx *ctx = sg_ctx_create();
    double m[] = {20, 0, 20, 0, 20, 20, 10, 10, 20}, x[] = {20, 0, 10}, t[] = {40, 40, 40};
    size_t idx[] = {0, 1, 2}, of[] = {0, 1, 0};
    sg_data d = {.n = 3, .index = idx, .x = x, .t = t, .k = 3, .m = m};
    double tot, b, w;
    assert_true(sg__regions_mutual(&d, of, 2, &tot, &b, &w));
    sg_assert_near(tot, log(2) / 3, 1e-15);
    sg_assert_near(b, 0.25 * log(1.5) + log(2) / 12, 1e-15);
    sg_assert_near(w, 0.25 * log(4.0 / 3), 1e-15);
    size_t of2[] = {0, SIZE_MAX, 0}; /* d2 without a region: the same split */
    assert_true(sg__regions_mutual(&d, of2, 1, &tot, &b, &w));
    sg_assert_near(b, 0.25 * log(1.5) + log(2) / 12, 1e-15);
    sg_assert_near(w, 0.25 * log(4.0 / 3), 1e-15);
    sg_ctx_destroy(ctx);
}

/* Issue 16, item 1: a region holding a district with no neighbour inside
 * that region (an exclave: district 00 of a 4 x 4 grid of 500 m squares
 * moved from region A, the two left columns, to B) crashed the region's
 * island warning (no ids in the region's sub-city). It runs, and every
 * region gets its indices. */
static void region_with_an_exclave(void **state) {
    (void)state;
    sg_ctx *ctx = sg_ctx_create();
    char *dir = sg_test_tmpdir(), *gp = sg_test_path(dir, "g.gpkg"), *csv = sg_test_path(dir, "r.csv"),
         *out = sg_test_path(dir, "out");
    fx_row rows[16];
    char wkt[16][256], id[16][16], tot[16][16], grp[16][16], table[512] = "id,region\n";
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++) {
            int i = r * 4 + c;
            double x = 500000 + 500.0 * c, y = 5800000 + 500.0 * r;
            snprintf(wkt[i], sizeof wkt[i], "POLYGON((%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f))", x, y,
                     x + 500, y, x + 500, y + 500, x, y + 500, x, y);
            snprintf(id[i], sizeof id[i], "%d%d", r, c);
            snprintf(tot[i], sizeof tot[i], "%d", 100 + i);
            snprintf(grp[i], sizeof grp[i], "%d", 10 + (r * 7 + c * 3) % 20);
            rows[i] = (fx_row){wkt[i], id[i], tot[i], grp[i]};
            size_t len = strlen(table);
            snprintf(table + len, sizeof table - len, "%s,%s\n", id[i], (c < 2 && i != 0) ? "A" : "B");
        }
    fx_write(gp, "GPKG", 25832, rows, 16, 1);
    sg_test_write_file(csv, table);
    const char *args[] = {"--districts", gp, "--id", "id", "--table", csv, "--total", "total", "--group", "group",
                          "--by", "region", "--out", out, "--quiet", NULL};
    sg_run *run = NULL;
    sg_status st = sg_test_analyze(ctx, &run, args);
    if (st != SG_OK) print_error("%s\n", sg_ctx_last_error(ctx));
    assert_int_equal(st, SG_OK);
    const struct sg_regions *R = run->regions;
    assert_non_null(R);
    assert_int_equal(R->nr, 2);
    for (size_t k = 0; k < R->nr; k++) {
        assert_null(R->r[k].error);
        assert_int_equal(R->r[k].n, strcmp(R->r[k].name, "A") == 0 ? 7 : 9);
        assert_non_null(sg__result_get(&R->r[k].res, "dissimilarity"));
    }
    sg_run_destroy(run);
    sg_ctx_destroy(ctx);
    sg_test_rmdir(dir);
    free(gp);
    free(csv);
    free(out);
}

typedef struct region_log {
    char codes[64][32];
    size_t n;
} region_log;

static void region_log_diag(const sg_diag *d, void *user) {
    region_log *l = user;
    if (l->n < 64) snprintf(l->codes[l->n], sizeof l->codes[0], "%s", d->code);
    l->n++;
}

/* Issue 16 item 20: a region whose group count is 0 everywhere has no
 * indices; each index family reported it as an error that named no region
 * ("the group count is 0 in every district", ten lines, and the run went on
 * with exit 0). Now one warning names the region; the run's errors stay 0. */
static void region_without_indices_is_named(void **state) {
    (void)state;
    sg_ctx *ctx = sg_ctx_create();
    char *dir = sg_test_tmpdir(), *gj = sg_test_path(dir, "d.geojson"), *csv = sg_test_path(dir, "r.csv"),
         *out = sg_test_path(dir, "out");
    char *sq[4];
    for (int i = 0; i < 4; i++) sq[i] = fx_square(i, 0);
    fx_row rows[] = {{sq[0], "a", "100", "10"}, {sq[1], "b", "100", "50"}, {sq[2], "c", "100", "0"},
                     {sq[3], "d", "100", "0"}};
    fx_write(gj, "GeoJSON", 4326, rows, 4, 1);
    sg_test_write_file(csv, "id,region\na,North\nb,North\nc,South\nd,South\n");
    const char *args[] = {"--districts", gj, "--id", "id", "--table", csv, "--total", "total", "--group", "group",
                          "--by", "region", "--out", out, "--quiet", NULL};
    sg_run *run = NULL;
    region_log log = {.n = 0};
    sg_ctx_set_diag_fn(ctx, region_log_diag, &log);
    assert_int_equal(sg_test_analyze(ctx, &run, args), SG_OK);
    assert_int_equal(sg_ctx_count(ctx, SG_SEV_ERROR), 0);
    /* The diagnostic callback (issue 18) saw what the run kept, in order:
     * not the families' errors the region's warning replaced. */
    assert_int_equal(log.n, sg_ctx_diag_count(ctx));
    for (size_t i = 0; i < log.n; i++) assert_string_equal(log.codes[i], sg_ctx_diag(ctx, i)->code);
    assert_diag(ctx, "W_REGION_UNDEFINED", "field 'region'", "region 'South'", "2 districts", "group 0 of 200",
                "has no indices", "group count is 0");
    size_t nw = 0;
    for (size_t i = 0; i < sg_ctx_diag_count(ctx); i++)
        nw += strcmp(sg_ctx_diag(ctx, i)->code, "W_REGION_UNDEFINED") == 0;
    assert_int_equal(nw, 1);
    const struct sg_regions *R = run->regions;
    const sg_region *south = strcmp(R->r[0].name, "South") == 0 ? &R->r[0] : &R->r[1];
    assert_non_null(south->error);
    assert_null(sg__result_get(&south->res, "dissimilarity"));
    sg_run_destroy(run);
    for (int i = 0; i < 4; i++) free(sq[i]);
    free(gj);
    free(csv);
    free(out);
    sg_test_rmdir(dir);
    sg_ctx_destroy(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(regions_and_entropy_split),
                                       cmocka_unit_test(mutual_information_split_groups),
                                       cmocka_unit_test(region_with_an_exclave),
                                       cmocka_unit_test(region_without_indices_is_named)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Objective 10, housing indicators with a direction (issue 17 item 4):
 * --housing-indicator NAME=FIELD[:lower]. The population-weighted city rate
 * and the NAME_worse margin on arrays computed by hand; the direction of
 * :lower (less living space is worse, more is not); gap10_flags with every
 * flag; the report's lists by flag (no "None" while districts carry the
 * flag); the usage errors of a malformed --housing-indicator. */
#include "test_support.h"

#include <json-c/json.h>

#include "gaps/gaps.h"
#include "write/write.h"

/* Five districts, d4 without residents. Living space (m² per person):
 *   d0 1000 people, 20 m²  concentrated
 *   d1 3000 people, 40 m²
 *   d2 1000 people, 36 m²
 *   d3 1000 people, 60 m²  concentrated
 * R = (20 000 + 120 000 + 36 000 + 60 000) / 6000 = 39.333; lower is worse
 * with margin 0.1: worse below R - 0.1 R = 35.4, so d0 only (d2's 36 is
 * within the margin); with margin 0, d2 too; higher is worse: d3 only. */
static void rate_direction_margin(void **state) {
    (void)state;
    sg_ctx *ctx = sg_ctx_create();
    enum { N = 5 };
    unsigned char usable[N] = {1, 1, 1, 1, 0}, conc[N] = {1, 0, 0, 1, 0};
    double total[N] = {1000, 3000, 1000, 1000, 0}, group[N] = {500, 300, 100, 400, 0};
    double v[N] = {20, 40, 36, 60, NAN};
    sg_gap10_in in = {N, usable, total, group, conc, NULL, NULL, 1};
    sg_hind_out o;
    assert_int_equal(sg__hind_assess(ctx, &in, v, 1, 0.1, &o), SG_OK);
    double R = 236000.0 / 6000;
    sg_assert_near(o.rate, R, 1e-12);
    sg_assert_near(o.threshold, 0.9 * R, 1e-12);
    const double want_lower[N] = {1, 0, 0, 0, NAN};
    for (int i = 0; i < N; i++) {
        if (isnan(want_lower[i])) assert_true(isnan(o.worse[i]));
        else if (o.worse[i] != want_lower[i]) fail_msg("lower, d%d: worse %g, want %g", i, o.worse[i], want_lower[i]);
    }
    assert_int_equal(o.n_worse, 1);
    assert_int_equal(o.n_worse_conc, 1);
    assert_int_equal(o.n_known, 4);
    /* concentrated (d0, d3): 40; others (d1, d2): (120 000 + 36 000) / 4000 = 39 */
    sg_assert_near(o.conc_other_ratio, 40.0 / 39.0, 1e-12);
    /* migrants: (500*20 + 300*40 + 100*36 + 400*60) / 1300; others: (500*20 + 2700*40 + 900*36 + 600*60) / 4700 */
    sg_assert_near(o.migrant_rest_ratio, (49600.0 / 1300) / (186400.0 / 4700), 1e-12);
    /* Pearson of the share (0.5, 0.1, 0.1, 0.4) with v, by hand */
    double s[4] = {0.5, 0.1, 0.1, 0.4}, ms = 0.275, mv = 39, sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < 4; i++) {
        sab += (s[i] - ms) * (v[i] - mv);
        saa += (s[i] - ms) * (s[i] - ms);
        sbb += (v[i] - mv) * (v[i] - mv);
    }
    sg_assert_near(o.corr_share, sab / sqrt(saa * sbb), 1e-12);
    sg__hind_out_free(&o);
    /* the margin decides d2 */
    assert_int_equal(sg__hind_assess(ctx, &in, v, 1, 0.0, &o), SG_OK);
    assert_true(o.worse[2] == 1 && o.worse[0] == 1 && o.worse[1] == 0 && o.worse[3] == 0);
    sg__hind_out_free(&o);
    /* higher is worse: above 1.1 R = 43.27: d3 only */
    assert_int_equal(sg__hind_assess(ctx, &in, v, 0, 0.1, &o), SG_OK);
    assert_true(o.worse[3] == 1 && o.worse[0] == 0 && o.worse[1] == 0 && o.worse[2] == 0);
    sg_assert_near(o.threshold, 1.1 * R, 1e-12);
    sg__hind_out_free(&o);
    sg_ctx_destroy(ctx);
}

/* gap10_flags: the SG_F10_* names, then every indicator worse there. */
static void flags_list_every_flag(void **state) {
    (void)state;
    struct sg_gaps g;
    memset(&g, 0, sizeof g);
    unsigned char flags[2] = {SG_F10_OVERCROWDED | SG_F10_LOW_SUPPLY, 0};
    double w0[2] = {1, 0}, w1[2] = {1, NAN};
    sg_hind hind[2] = {{"living_space", "wfl", 1, 1, 0, "", ""}, {"cost_overburden", "cob", 0, 0, 0, "", ""}};
    sg_hind_out ind[2];
    memset(ind, 0, sizeof ind);
    ind[0].worse = w0;
    ind[1].worse = w1;
    g.g10.flags = flags;
    g.hind = hind;
    g.ind = ind;
    g.nind = 2;
    char buf[160];
    assert_true(sg__gap10_flags_size(&g) >= strlen("overcrowded,low_supply,high_supply,living_space_worse,"
                                                   "cost_overburden_worse") + 1);
    sg__gap10_flags_all(&g, 0, buf, sizeof buf);
    assert_string_equal(buf, "overcrowded,low_supply,living_space_worse,cost_overburden_worse");
    sg__gap10_flags_all(&g, 1, buf, sizeof buf);
    assert_string_equal(buf, "");
    char small[16];
    sg__gap10_flags_all(&g, 0, small, sizeof small); /* cut, never past the buffer */
    assert_true(strlen(small) < sizeof small);
}

typedef struct fixture {
    sg_ctx *ctx;
    char *dir, *districts, *census, *out;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->ctx = sg_ctx_create();
    f->dir = sg_test_tmpdir();
    f->districts = sg_test_path(f->dir, "districts.gpkg");
    f->census = sg_test_path(f->dir, "census.csv");
    f->out = sg_test_path(f->dir, "out");
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    sg_ctx_destroy(f->ctx);
    sg_test_rmdir(f->dir);
    free(f->districts);
    free(f->census);
    free(f->out);
    free(f);
    return 0;
}

/* 6 x 5 grid of 1 km squares, ids "cCrR", 1000 residents and 100 migrants
 * each; c5r4 has nobody. Concentrated (500 migrants): c1r1, c4r3, c4r0.
 *   c1r1 200 social units, overcrowding 0.30, 25 m²  -> supply_deepens (high supply)
 *   c4r3   0 units,        overcrowding 0.30, 20 m²  -> concentrated_overcrowded, also low supply
 *   c4r0   0 units,        overcrowding 0.02, 40 m²  -> concentrated_low_supply
 *   c0r0 more space (60 m²); c2r3 100 units; the rest 0 units, 0.05, 40 m².
 * Living space: R = (25 + 20 + 60 + 26 x 40) / 29 = 1145 / 29, worse below
 * 0.9 R = 35.5: c1r1 and c4r3. */
static void write_city(fixture *f) {
    fx_row rows[30];
    char wkt[30][256], ids[30][16], grp[30][16], tot[30][16];
    FILE *csv = fopen(f->census, "wb");
    assert_non_null(csv);
    fprintf(csv, "key,over,soc,wfl\n");
    for (int r = 0, i = 0; r < 5; r++)
        for (int c = 0; c < 6; c++, i++) {
            double x = 500000.0 + 1000 * c, y = 5600000.0 + 1000 * r;
            snprintf(wkt[i], sizeof wkt[i], "POLYGON((%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f))", x, y,
                     x + 1000, y, x + 1000, y + 1000, x, y + 1000, x, y);
            snprintf(ids[i], sizeof ids[i], "c%dr%d", c, r);
            int empty = c == 5 && r == 4, conc = (c == 1 && r == 1) || (c == 4 && r == 3) || (c == 4 && r == 0);
            snprintf(tot[i], sizeof tot[i], "%d", empty ? 0 : 1000);
            snprintf(grp[i], sizeof grp[i], "%d", empty ? 0 : conc ? 500 : 100);
            rows[i] = (fx_row){wkt[i], ids[i], tot[i], grp[i]};
            double over = (c == 1 && r == 1) || (c == 4 && r == 3) ? 0.30 : (c == 4 && r == 0) ? 0.02 : 0.05;
            int soc = c == 1 && r == 1 ? 200 : c == 2 && r == 3 ? 100 : 0;
            double wfl = c == 1 && r == 1 ? 25 : c == 4 && r == 3 ? 20 : c == 0 && r == 0 ? 60 : 40;
            fprintf(csv, "%s,%.3f,%d,%g\n", ids[i], over, soc, empty ? 0.0 : wfl);
        }
    assert_int_equal(fclose(csv), 0);
    fx_write(f->districts, "GPKG", 25832, rows, 30, 1);
}

static sg_status run_city(fixture *f, sg_run **run, const char *const *extra) {
    const char *args[64] = {"--districts", f->districts, "--id", "id", "--total", "total", "--group", "group",
                            "--table", f->census, "--table-key", "key", "--out", f->out, "--quiet",
                            "--social-housing-field", "soc", "--overcrowding-field", "over",
                            "--overcrowding-scale", "fraction"};
    int n = 21;
    for (int k = 0; extra && extra[k]; k++) args[n++] = extra[k];
    args[n] = NULL;
    *run = NULL;
    return sg_test_analyze(f->ctx, run, args);
}

/* Field `name` of district `id` in a layer: its double, NAN when null; the
 * flags text into flags. */
static double field_of(OGRLayerH lyr, const char *id, const char *name, char *flags, size_t size) {
    OGR_L_ResetReading(lyr);
    OGRFeatureH ft;
    while ((ft = OGR_L_GetNextFeature(lyr))) {
        if (strcmp(OGR_F_GetFieldAsString(ft, OGR_F_GetFieldIndex(ft, "id")), id) == 0) break;
        OGR_F_Destroy(ft);
    }
    if (!ft) fail_msg("no district %s", id);
    int k = OGR_F_GetFieldIndex(ft, name);
    if (k < 0) fail_msg("no field %s", name);
    double v = OGR_F_IsFieldSetAndNotNull(ft, k) ? OGR_F_GetFieldAsDouble(ft, k) : NAN;
    if (flags) snprintf(flags, size, "%s", OGR_F_GetFieldAsString(ft, OGR_F_GetFieldIndex(ft, "gap10_flags")));
    OGR_F_Destroy(ft);
    return v;
}

static char *slurp(const char *path) {
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *s = malloc((size_t)len + 1);
    assert_int_equal(fread(s, 1, (size_t)len, fp), (size_t)len);
    s[len] = '\0';
    fclose(fp);
    return s;
}

/* The section of report.html that starts at heading `head`, up to the next <h3>. */
static char *section(const char *html, const char *head) {
    const char *a = strstr(html, head);
    if (!a) fail_msg("no section '%s' in the report", head);
    const char *b = strstr(a + 1, "<h3");
    size_t len = b ? (size_t)(b - a) : strlen(a);
    char *s = malloc(len + 1);
    memcpy(s, a, len);
    s[len] = '\0';
    return s;
}

static void living_space_lower(void **state) {
    fixture *f = *state;
    write_city(f);
    const char *spellings[2] = {"living_space=wfl:lower", "living_space=wfl"}; /* lower by default */
    for (int sp = 0; sp < 2; sp++) {
        sg_run *run = NULL;
        const char *extra[] = {"--housing-indicator", spellings[sp], sp ? "--format" : NULL, "shp", NULL};
        if (run_city(f, &run, extra) != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
        char *o10 = sg_test_path(f->out, "objective10.geojson");
        GDALDatasetH ds = GDALOpenEx(o10, GDAL_OF_VECTOR, NULL, NULL, NULL);
        assert_non_null(ds);
        OGRLayerH l = GDALDatasetGetLayer(ds, 0);
        char flags[160];
        /* less space than the city: worse; more: not */
        assert_true(field_of(l, "c4r3", "living_space_worse", flags, sizeof flags) == 1);
        assert_string_equal(flags, "overcrowded,low_supply,living_space_worse");
        assert_true(field_of(l, "c1r1", "living_space_worse", flags, sizeof flags) == 1);
        assert_string_equal(flags, "overcrowded,high_supply,living_space_worse");
        assert_true(field_of(l, "c0r0", "living_space_worse", NULL, 0) == 0);
        assert_true(field_of(l, "c2r2", "living_space_worse", NULL, 0) == 0);
        assert_true(isnan(field_of(l, "c5r4", "living_space_worse", NULL, 0))); /* no residents */
        sg_assert_near(field_of(l, "c0r0", "living_space", NULL, 0), 60, 1e-12);
        GDALClose(ds);
        free(o10);
        /* summary.json -> housing.indicators.living_space */
        char *sp_path = sg_test_path(f->out, "summary.json");
        json_object *root = json_object_from_file(sp_path), *h, *ind, *ls, *x;
        assert_non_null(root);
        assert_true(json_object_object_get_ex(root, "housing", &h));
        assert_true(json_object_object_get_ex(h, "indicators", &ind));
        assert_true(json_object_object_get_ex(ind, "living_space", &ls));
        assert_true(json_object_object_get_ex(ls, "direction", &x));
        assert_string_equal(json_object_get_string(x), "lower_is_worse");
        assert_true(json_object_object_get_ex(ls, "city_rate", &x));
        sg_assert_near(json_object_get_double(x), 1145.0 / 29, 1e-9);
        assert_true(json_object_object_get_ex(ls, "worse_below", &x));
        sg_assert_near(json_object_get_double(x), 0.9 * 1145.0 / 29, 1e-9);
        assert_true(json_object_object_get_ex(ls, "margin", &x));
        sg_assert_near(json_object_get_double(x), 0.1, 1e-12);
        assert_true(json_object_object_get_ex(ls, "districts_worse", &x));
        assert_int_equal(json_object_get_int(x), 2);
        assert_true(json_object_object_get_ex(ls, "concentrated_districts_worse", &x));
        assert_int_equal(json_object_get_int(x), 2);
        assert_true(json_object_object_get_ex(ls, "definition", &x));
        assert_non_null(strstr(json_object_get_string(x), "m²"));
        json_object_put(root);
        free(sp_path);
        if (sp) { /* shapefile names: NAME cut, NAME_worse as NAME cut + _w */
            char *fc = sg_test_path(f->out, "shp/fields.csv");
            char *csv = slurp(fc);
            assert_non_null(strstr(csv, "objective10,living_s_w,living_space_worse"));
            assert_non_null(strstr(csv, "objective10,living_spa,living_space\n"));
            free(csv);
            free(fc);
        }
        sg_run_destroy(run);
    }
}

/* Issue 17: the report's lists were by (first-match) class, so a
 * concentrated, overcrowded district with little social housing was only in
 * the overcrowded list; on the sample the "little social housing" list said
 * "None" while 14 districts had that flag. Every list is by flag now. */
static void report_lists_by_flag(void **state) {
    fixture *f = *state;
    write_city(f);
    sg_run *run = NULL;
    const char *extra[] = {"--housing-indicator", "living_space=wfl:lower", NULL};
    if (run_city(f, &run, extra) != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    char *rp = sg_test_path(f->out, "report.html");
    char *html = slurp(rp);
    char *low = section(html, "Concentrated with little social housing");
    assert_non_null(strstr(low, "(2)</h3>"));  /* c4r0 (its class) and c4r3 (class overcrowded) */
    assert_non_null(strstr(low, "c4r3"));
    assert_non_null(strstr(low, "c4r0"));
    assert_null(strstr(low, "None."));
    assert_non_null(strstr(low, "overcrowded, low_supply, living_space_worse"));
    char *over = section(html, "Concentrated and overcrowded");
    assert_non_null(strstr(over, "(2)</h3>")); /* c4r3 and c1r1 (class supply_deepens) */
    assert_non_null(strstr(over, "c1r1"));
    char *ls = section(html, "Concentrated, living_space worse");
    assert_non_null(strstr(ls, "(2)</h3>"));
    assert_non_null(strstr(ls, "c1r1"));
    assert_non_null(strstr(ls, "c4r3"));
    assert_non_null(strstr(html, "living space per person"));
    free(low);
    free(over);
    free(ls);
    free(html);
    free(rp);
    sg_run_destroy(run);
}

static void usage_errors(void **state) {
    fixture *f = *state;
    const struct {
        const char *args[8];
        const char *msg;
    } cases[] = {
        {{"--housing-indicator", "living_space"}, "no '='"},
        {{"--housing-indicator", "1room=f"}, "NAME must be an identifier"},
        {{"--housing-indicator", "living space=f"}, "NAME must be an identifier"},
        {{"--housing-indicator", "living_space="}, "no FIELD"},
        {{"--housing-indicator", "living_space=wfl:down"}, "must be 'lower' or 'higher'"},
        {{"--housing-indicator", "owner_share=o"}, "add :lower or :higher"},
        {{"--housing-indicator", "a=f", "--housing-indicator", "a=g"}, "given twice"},
        {{"--housing-indicator", "status=f"}, "a field of objective10.geojson"},
        {{"--housing-indicator", "x_worse=f"}, "ends in _worse"},
        {{"--housing-indicator", "overcrowding=f:lower"}, "cannot be :lower"},
        {{"--housing-indicator", "overcrowding=f", "--overcrowding-field", "o", "--overcrowding-scale", "fraction"},
         "give one of the two"},
        {{"--housing-indicator", "a=f", "--housing-margin", "1.5"}, "--housing-margin must be"},
        {{"--housing-margin", "0.2"}, "only with --housing-indicator"},
        {{"--housing-indicator", ""}, "non-empty value"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *args[32] = {"--districts", "d.shp", "--id", "id", "--total", "t", "--group", "g", "--out", "o"};
        int n = 10;
        for (int a = 0; cases[k].args[a]; a++) args[n++] = cases[k].args[a];
        sg_options *o = NULL;
        sg_status st = sg_options_parse(f->ctx, n, (char *const *)args, &o, NULL);
        if (st != SG_ERR_USAGE) fail_msg("case %zu: status %d", k, (int)st);
        if (!strstr(sg_ctx_last_error(f->ctx), cases[k].msg))
            fail_msg("case %zu: '%s' lacks '%s'", k, sg_ctx_last_error(f->ctx), cases[k].msg);
        assert_non_null(strstr(sg_ctx_last_error(f->ctx), "--housing"));
    }
    /* well-formed: two indicators, the overcrowding one as the overcrowding input */
    const char *ok[] = {"--districts", "d.shp", "--id", "id", "--total", "t", "--group", "g", "--out", "o",
                        "--housing-indicator", "living_space=wfl:higher", "--housing-indicator", "overcrowding=oc",
                        "--housing-margin", "0.2"};
    sg_options *o = NULL;
    assert_int_equal(sg_options_parse(f->ctx, 16, (char *const *)ok, &o, NULL), SG_OK);
    sg_options_free(o);
}

/* --housing-indicator overcrowding=F is --overcrowding-field F (fraction)
 * with overcrowding_worse; an unknown name with a field missing in some
 * districts warns. */
static void overcrowding_alias(void **state) {
    fixture *f = *state;
    write_city(f);
    const char *args[] = {"--districts", f->districts, "--id", "id", "--total", "total", "--group", "group",
                          "--table", f->census, "--table-key", "key", "--out", f->out, "--quiet",
                          "--housing-indicator", "overcrowding=over", "--housing-indicator", "space=wfl:lower",
                          NULL};
    sg_run *run = NULL;
    if (sg_test_analyze(f->ctx, &run, args) != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    char *o10 = sg_test_path(f->out, "objective10.geojson");
    GDALDatasetH ds = GDALOpenEx(o10, GDAL_OF_VECTOR, NULL, NULL, NULL);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    char flags[160];
    /* overcrowding 0.30 vs R = (2 x 0.30 + 0.02 + 26 x 0.05) / 29: worse */
    assert_true(field_of(l, "c4r3", "overcrowding_worse", flags, sizeof flags) == 1);
    assert_string_equal(flags, "overcrowded,overcrowding_worse,space_worse");
    sg_assert_near(field_of(l, "c4r3", "overcrowding", NULL, 0), 0.30, 1e-12);
    assert_true(field_of(l, "c4r0", "overcrowding_worse", NULL, 0) == 0);
    GDALClose(ds);
    free(o10);
    sg_run_destroy(run);
}

/* The defect of issue 17: living space per person given as
 * --overcrowding-field (scale ratio) counts more space as more overcrowding:
 * c0r0 (60 m², the most space) is flagged overcrowded. The run warns, naming
 * the way that reads it right. */
static void living_space_as_overcrowding_warns(void **state) {
    fixture *f = *state;
    write_city(f);
    const char *args[] = {"--districts", f->districts, "--id", "id", "--total", "total", "--group", "group",
                          "--table", f->census, "--table-key", "key", "--out", f->out, "--quiet",
                          "--overcrowding-field", "wfl", "--overcrowding-scale", "ratio", NULL};
    sg_run *run = NULL;
    if (sg_test_analyze(f->ctx, &run, args) != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    char *o10 = sg_test_path(f->out, "objective10.geojson");
    GDALDatasetH ds = GDALOpenEx(o10, GDAL_OF_VECTOR, NULL, NULL, NULL);
    char flags[160];
    field_of(GDALDatasetGetLayer(ds, 0), "c0r0", "overcrowding", flags, sizeof flags);
    assert_non_null(strstr(flags, "overcrowded")); /* the wrong way round, as documented */
    GDALClose(ds);
    free(o10);
    assert_diag(f->ctx, "W_OVERCROWDING_LIVING_SPACE", "field 'wfl'", "averages 39.5",
                "--housing-indicator living_space=wfl");
    sg_run_destroy(run);
    /* a real persons-per-room ratio does not warn */
    sg_ctx *ctx2 = sg_ctx_create();
    const char *args2[] = {"--districts", f->districts, "--id", "id", "--total", "total", "--group", "group",
                           "--table", f->census, "--table-key", "key", "--out", f->out, "--quiet",
                           "--overcrowding-field", "over", "--overcrowding-scale", "ratio", NULL};
    assert_int_equal(sg_test_analyze(ctx2, &run, args2), SG_OK);
    for (size_t i = 0; i < sg_ctx_diag_count(ctx2); i++)
        assert_string_not_equal(sg_ctx_diag(ctx2, i)->code, "W_OVERCROWDING_LIVING_SPACE");
    sg_run_destroy(run);
    sg_ctx_destroy(ctx2);
}

int main(void) {
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rate_direction_margin),
        cmocka_unit_test(flags_list_every_flag),
        cmocka_unit_test_setup_teardown(living_space_lower, setup, teardown),
        cmocka_unit_test_setup_teardown(report_lists_by_flag, setup, teardown),
        cmocka_unit_test_setup_teardown(usage_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(overcrowding_alias, setup, teardown),
        cmocka_unit_test_setup_teardown(living_space_as_overcrowding_warns, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Tables at a coarser level (--table-join, issue 17) on a city of six
 * districts in three areas worked by hand: A = d1, d2, d3; B = d4, d5;
 * C = d6. A table with one row per area gives its rate to every district
 * of the area; a count from such a table is a usage error unless
 * --apportion population splits it (a second city: 2 parents, 5 children);
 * a table that matches nothing is an error that names both sides' keys. */
#include <json-c/json.h>

#include "test_support.h"
#include "write/write.h"

typedef struct fixture {
    sg_ctx *ctx;
    char *dir, *city, *out;
} fixture;

static const char *const area_of[6] = {"A", "A", "A", "B", "B", "C"};

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->ctx = sg_ctx_create();
    f->dir = sg_test_tmpdir();
    f->city = sg_test_path(f->dir, "city.geojson");
    f->out = sg_test_path(f->dir, "out");
    char buf[8192];
    size_t len = (size_t)snprintf(buf, sizeof buf, "{\"type\":\"FeatureCollection\",\"features\":[");
    for (int i = 0; i < 6; i++) {
        double x = 13.0 + 0.01 * i, y = 52.0;
        len += (size_t)snprintf(buf + len, sizeof buf - len,
                                "%s{\"type\":\"Feature\",\"properties\":{\"id\":\"d%d\",\"area\":\"%s\",\"total\":1000,"
                                "\"group\":%d},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[%.2f,%.2f],"
                                "[%.2f,%.2f],[%.2f,%.2f],[%.2f,%.2f],[%.2f,%.2f]]]}}",
                                i ? "," : "", i + 1, area_of[i], 100 + 50 * i, x, y, x + 0.01, y, x + 0.01, y + 0.01,
                                x, y + 0.01, x, y);
    }
    snprintf(buf + len, sizeof buf - len, "]}");
    sg_test_write_file(f->city, buf);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    sg_ctx_destroy(f->ctx);
    sg_test_rmdir(f->dir);
    free(f->city);
    free(f->out);
    free(f);
    return 0;
}

/* Property `key` of feature i of an output layer (GeoJSON, read with
 * json-c): its number (NaN for null) and, in text, its string. */
static double prop(fixture *f, const char *layer, int i, const char *key, char *text, size_t size) {
    char *p = sg_test_path(f->out, layer);
    json_object *doc = json_object_from_file(p), *feats, *props, *v = NULL;
    free(p);
    assert_non_null(doc);
    assert_true(json_object_object_get_ex(doc, "features", &feats));
    assert_true(json_object_object_get_ex(json_object_array_get_idx(feats, (size_t)i), "properties", &props));
    json_object_object_get_ex(props, key, &v);
    double d = v ? json_object_get_double(v) : NAN;
    if (text) snprintf(text, size, "%s", v ? json_object_get_string(v) : "null");
    json_object_put(doc);
    return d;
}

static json_object *table_info(fixture *f) {
    char *p = sg_test_path(f->out, "summary.json");
    json_object *doc = json_object_from_file(p), *in, *tables;
    free(p);
    assert_non_null(doc);
    assert_true(json_object_object_get_ex(doc, "inputs", &in));
    assert_true(json_object_object_get_ex(in, "tables", &tables));
    json_object *t = json_object_get(json_object_array_get_idx(tables, 0));
    json_object_put(doc);
    return t;
}

static long long jint_of(json_object *o, const char *key) {
    json_object *v;
    assert_true(json_object_object_get_ex(o, key, &v));
    return json_object_get_int64(v);
}

static char *table(fixture *f, const char *name, const char *text) {
    char *p = sg_test_path(f->dir, name);
    sg_test_write_file(p, text);
    return p;
}

/* area,rate: A 10 %, B 20 %, X (no such area) 5 %; C has no row. */
static void rates_apply_to_every_child(void **state) {
    fixture *f = *state;
    char *t = table(f, "areas.csv", "area,rate,share\nA,10,20\nB,20,40\nX,5,1\n");
    const char *args[] = {"--districts", f->city, "--id", "id", "--total", "total", "--group", "group",
                          "--table", t, "--table-key", "area", "--table-join", "area",
                          "--overcrowding-field", "rate", "--overcrowding-scale", "percent",
                          "--out", f->out, "--quiet", "--indices", "aspatial", NULL};
    sg_run *run = NULL;
    sg_status st = sg_test_analyze(f->ctx, &run, args);
    if (st != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    const double want[6] = {0.10, 0.10, 0.10, 0.20, 0.20, NAN};
    for (int i = 0; i < 6; i++) {
        char ds[32];
        double v = prop(f, "objective10.geojson", i, "overcrowding", NULL, 0);
        if (isnan(want[i])) assert_true(isnan(v));
        else sg_assert_near(v, want[i], 1e-12);
        prop(f, "districts.geojson", i, "status", ds, sizeof ds);
        assert_string_equal(ds, "ok"); /* a missing rate is not missing counts */
    }
    json_object *j = table_info(f);
    json_object *jf;
    assert_true(json_object_object_get_ex(j, "join_field", &jf));
    assert_string_equal(json_object_get_string(jf), "area");
    assert_int_equal(jint_of(j, "rows"), 3);
    assert_int_equal(jint_of(j, "matched_rows"), 2);      /* parents: A and B */
    assert_int_equal(jint_of(j, "matched_districts"), 5); /* children: d1..d5 */
    assert_int_equal(jint_of(j, "districts_without_row"), 1);
    assert_int_equal(jint_of(j, "rows_without_district"), 1);
    json_object_put(j);
    assert_diag(f->ctx, "W_DISTRICT_WITHOUT_ROW", "d6");
    assert_diag(f->ctx, "W_ROW_WITHOUT_DISTRICT", "X");
    const char *text = sg_run_summary_text(run);
    assert_non_null(strstr(text, "2 of 3 area rows matched 5 districts (on their area), 1 districts without row"));
    sg_run_destroy(run);
    /* a share is a rate too: group = share x the district's own total */
    sg_ctx_clear(f->ctx);
    const char *args2[] = {"--districts", f->city, "--id", "id", "--total", "total", "--group-share", "share",
                           "--share-scale", "percent", "--table", t, "--table-key", "area", "--table-join", "area",
                           "--min-joined", "0", "--out", f->out, "--quiet", "--indices", "aspatial", NULL};
    st = sg_test_analyze(f->ctx, &run, args2);
    if (st != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    const double g[5] = {200, 200, 200, 400, 400};
    for (int i = 0; i < 5; i++) sg_assert_near(prop(f, "districts.geojson", i, "group", NULL, 0), g[i], 1e-9);
    char st6[32];
    prop(f, "districts.geojson", 5, "status", st6, sizeof st6);
    assert_string_equal(st6, "no_data"); /* no share for C */
    sg_run_destroy(run);
    free(t);
}

/* Counts cannot come from a coarse table; a coarse join missing most
 * districts trips --min-joined like any other join. */
static void counts_and_min_joined(void **state) {
    fixture *f = *state;
    char *t = table(f, "areas.csv", "area,pop,share\nA,3000,20\n");
    const char *args[] = {"--districts", f->city, "--id", "id", "--total", "pop", "--group", "group",
                          "--table", t, "--table-key", "area", "--table-join", "area",
                          "--out", f->out, "--quiet", NULL};
    sg_run *run = NULL;
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_ERR_USAGE);
    assert_diag(f->ctx, "E_COARSE_COUNT", "--total", "--table-join area");
    sg_ctx_clear(f->ctx);
    const char *args2[] = {"--districts", f->city, "--id", "id", "--total", "total", "--group-share", "share",
                           "--share-scale", "percent", "--table", t, "--table-key", "area", "--table-join", "area",
                           "--out", f->out, "--quiet", NULL};
    assert_int_equal(sg_test_analyze(f->ctx, &run, args2), SG_ERR_DATA);
    assert_diag(f->ctx, "E_FEW_WITH_DATA", "only 3 of 6 districts", "3 districts have no row");
    sg_ctx_clear(f->ctx);
    const char *args3[] = {"--districts", f->city, "--id", "id", "--total", "total", "--group", "group",
                           "--table", t, "--table-key", "area", "--table-join", "aera",
                           "--out", f->out, "--quiet", NULL};
    assert_int_equal(sg_test_analyze(f->ctx, &run, args3), SG_ERR_DATA);
    assert_diag(f->ctx, "E_MISSING_FIELD", "--table-join", "'area'");
    free(t);
}

static void assert_no_diag(const sg_ctx *ctx, const char *code) {
    for (size_t i = 0; i < sg_ctx_diag_count(ctx); i++)
        if (strcmp(sg_ctx_diag(ctx, i)->code, code) == 0) fail_msg("unexpected [%s] %s", code, sg_ctx_diag(ctx, i)->message);
}

/* The apportioning city: parents P = c1, c2 and Q = c3, c4, c5 with totals
 * (in the district layer) 100, 300 | 200, 200, 600. */
static char *five_city(fixture *f, const char *name, const int tot[5]) {
    static const char *const parent[5] = {"P", "P", "Q", "Q", "Q"};
    char buf[4096];
    size_t len = (size_t)snprintf(buf, sizeof buf, "{\"type\":\"FeatureCollection\",\"features\":[");
    for (int i = 0; i < 5; i++) {
        double x = 13.0 + 0.01 * i, y = 52.0;
        len += (size_t)snprintf(buf + len, sizeof buf - len,
                                "%s{\"type\":\"Feature\",\"properties\":{\"id\":\"c%d\",\"bzr\":\"%s\",\"total\":%d},"
                                "\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[%.2f,%.2f],[%.2f,%.2f],"
                                "[%.2f,%.2f],[%.2f,%.2f],[%.2f,%.2f]]]}}",
                                i ? "," : "", i + 1, parent[i], tot[i], x, y, x + 0.01, y, x + 0.01, y + 0.01, x,
                                y + 0.01, x, y);
    }
    snprintf(buf + len, sizeof buf - len, "]}");
    return table(f, name, buf);
}

static sg_status apportion_run(fixture *f, const char *city, const char *t, const char *total, sg_run **run,
                               const char *method) {
    const char *args[] = {"--districts", city, "--id", "id", "--total", total, "--group", "mig",
                          "--table", t, "--table-key", "bzr", "--table-join", "bzr", "--apportion", method,
                          "--out", f->out, "--quiet", "--indices", "aspatial", NULL};
    return sg_test_analyze(f->ctx, run, args);
}

/* By hand: P's 200 migrants split 100:300 -> 50, 150; Q's 100 split
 * 200:200:600 -> 20, 20, 60. G = 300 of T = 1400, so the rest is 50, 150,
 * 180, 180, 540 of R = 1100 and D = 1/2 sum |g/G - r/R| = 1/2 (4/33 + 4/11 +
 * 16/165 + 16/165 + 16/55) = 16/33. The counts stay fractional when the
 * split is not whole (P's 201 -> 50.25, 150.75). */
static void apportion_population_by_hand(void **state) {
    fixture *f = *state;
    const int tot[5] = {100, 300, 200, 200, 600};
    char *city = five_city(f, "five.geojson", tot);
    char *t = table(f, "bzr.csv", "bzr,mig,pop\nP,200,400\nQ,100,1000\nX,7,10\n");
    sg_run *run = NULL;
    sg_status st = apportion_run(f, city, t, "total", &run, "population");
    if (st != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    const double g[5] = {50, 150, 20, 20, 60};
    for (int i = 0; i < 5; i++) sg_assert_near(prop(f, "districts.geojson", i, "group", NULL, 0), g[i], 1e-9);
    char *sp = sg_test_path(f->out, "summary.json");
    json_object *doc = json_object_from_file(sp), *ind, *dis, *val;
    free(sp);
    assert_non_null(doc);
    assert_true(json_object_object_get_ex(doc, "indices", &ind));
    assert_true(json_object_object_get_ex(ind, "dissimilarity", &dis));
    assert_true(json_object_object_get_ex(dis, "value", &val));
    sg_assert_near(json_object_get_double(val), 16.0 / 33.0, 1e-12);
    json_object_put(doc);
    json_object *j = table_info(f), *ap;
    assert_true(json_object_object_get_ex(j, "apportioned", &ap));
    assert_string_equal(json_object_get_string(ap), "population");
    assert_int_equal(jint_of(j, "matched_districts"), 5);
    json_object_put(j);
    assert_non_null(strstr(sg_run_summary_text(run), "2 of 3 bzr rows matched 5 districts (on their bzr), 0 "
                                                     "districts without row, counts apportioned by population"));
    assert_no_diag(f->ctx, "W_NOT_INTEGER");
    sg_run_destroy(run);
    free(t);
    /* fractions are kept, and raise no W_NOT_INTEGER */
    sg_ctx_clear(f->ctx);
    t = table(f, "bzr.csv", "bzr,mig\nP,201\nQ,100\n");
    st = apportion_run(f, city, t, "total", &run, "population");
    if (st != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    sg_assert_near(prop(f, "districts.geojson", 0, "group", NULL, 0), 50.25, 1e-9);
    sg_assert_near(prop(f, "districts.geojson", 1, "group", NULL, 0), 150.75, 1e-9);
    assert_no_diag(f->ctx, "W_NOT_INTEGER");
    sg_run_destroy(run);
    /* the totals from a table on the id (the layer's doubled) give the same split */
    sg_ctx_clear(f->ctx);
    char *ids = table(f, "ids.csv", "id,tot\nc1,200\nc2,600\nc3,400\nc4,400\nc5,1200\n");
    const char *args[] = {"--districts", city, "--id", "id", "--table", ids, "--table-key", "id", "--table", t,
                          "--table-key", "bzr", "--table-join", "bzr", "--apportion", "population", "--total", "tot",
                          "--group", "mig", "--out", f->out, "--quiet", "--indices", "aspatial", NULL};
    st = sg_test_analyze(f->ctx, &run, args);
    if (st != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    sg_assert_near(prop(f, "districts.geojson", 0, "group", NULL, 0), 50.25, 1e-9);
    sg_assert_near(prop(f, "districts.geojson", 4, "group", NULL, 0), 60, 1e-9);
    sg_run_destroy(run);
    free(ids);
    free(t);
    free(city);
}

/* The errors: a coarse total (the split needs finer totals), children whose
 * totals sum to 0, a group above its total or negative after the split (the
 * reader's checks run on the apportioned values), and bad uses of the option. */
static void apportion_errors(void **state) {
    fixture *f = *state;
    const int tot[5] = {100, 300, 200, 200, 600};
    char *city = five_city(f, "five.geojson", tot);
    char *t = table(f, "bzr.csv", "bzr,mig,pop\nP,200,400\nQ,100,1000\n");
    sg_run *run = NULL;
    assert_int_equal(apportion_run(f, city, t, "pop", &run, "population"), SG_ERR_USAGE);
    assert_diag(f->ctx, "E_COARSE_COUNT", "--total field pop", "--table-join bzr", "district layer");
    sg_ctx_clear(f->ctx);
    assert_int_equal(apportion_run(f, city, t, "total", &run, "area"), SG_ERR_USAGE);
    assert_diag(f->ctx, "E_USAGE", "--apportion must be population", "'area'");
    sg_ctx_clear(f->ctx);
    const char *nojoin[] = {"--districts", city, "--id", "id", "--total", "total", "--group", "total",
                            "--apportion", "population", "--out", f->out, "--quiet", NULL};
    assert_int_equal(sg_test_analyze(f->ctx, &run, nojoin), SG_ERR_USAGE);
    assert_diag(f->ctx, "E_USAGE", "no --table has --table-join");
    sg_ctx_clear(f->ctx);
    free(t);
    /* P's children have totals 0 + 0: its 200 cannot be split; Q is fine */
    const int zero[5] = {0, 0, 200, 200, 600};
    char *zcity = five_city(f, "zero.geojson", zero);
    t = table(f, "bzr.csv", "bzr,mig\nP,200\nQ,100\n");
    assert_int_equal(apportion_run(f, zcity, t, "total", &run, "population"), SG_ERR_DATA);
    assert_diag(f->ctx, "E_APPORTION_ZERO", "the 2 districts with bzr 'P'", "summing to 0", "(mig)");
    sg_ctx_clear(f->ctx);
    free(t);
    /* ... but a parent with nothing to split (0 migrants) is not an error */
    t = table(f, "bzr.csv", "bzr,mig\nP,0\nQ,100\n");
    const char *zargs[] = {"--districts", zcity, "--id", "id", "--total", "total", "--group", "mig",
                           "--table", t, "--table-key", "bzr", "--table-join", "bzr", "--apportion", "population",
                           "--min-joined", "0", "--out", f->out, "--quiet", "--indices", "aspatial", NULL};
    sg_status st = sg_test_analyze(f->ctx, &run, zargs);
    if (st != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    assert_no_diag(f->ctx, "E_APPORTION_ZERO");
    sg_run_destroy(run);
    sg_ctx_clear(f->ctx);
    free(t);
    free(zcity);
    /* P: 500 migrants over 400 residents -> 125 > 100 and 375 > 300 */
    t = table(f, "bzr.csv", "bzr,mig\nP,500\nQ,-10\n");
    assert_int_equal(apportion_run(f, city, t, "total", &run, "population"), SG_ERR_DATA);
    assert_diag(f->ctx, "E_GROUP_GT_TOTAL", "c1", "group count 125 is larger than the total 100");
    assert_diag(f->ctx, "E_GROUP_GT_TOTAL", "c2", "group count 375 is larger than the total 300");
    assert_diag(f->ctx, "E_NEGATIVE", "c5", "negative value -6");
    free(t);
    free(city);
}

/* A --housing-indicator is a rate (living space per person, a share of
 * households): from a coarse table it applies to every child like
 * --overcrowding-field, and --apportion does not split it. Before, it was
 * refused as a count (E_COARSE_COUNT: "one row's count would be copied"). */
static void indicator_from_coarse_table(void **state) {
    fixture *f = *state;
    char *t = table(f, "areas.csv", "area,wfl\nA,30\nB,45\nC,40\n");
    const double want[6] = {30, 30, 30, 45, 45, 40};
    for (int ap = 0; ap < 2; ap++) {
        const char *args[] = {"--districts", f->city, "--id", "id", "--total", "total", "--group", "group",
                              "--table", t, "--table-key", "area", "--table-join", "area",
                              "--housing-indicator", "living_space=wfl", "--out", f->out, "--quiet",
                              "--indices", "aspatial", ap ? "--apportion" : NULL, "population", NULL};
        sg_run *run = NULL;
        sg_status st = sg_test_analyze(f->ctx, &run, args);
        if (st != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
        for (int i = 0; i < 6; i++)
            sg_assert_near(prop(f, "objective10.geojson", i, "living_space", NULL, 0), want[i], 1e-12);
        sg_run_destroy(run);
        sg_ctx_clear(f->ctx);
    }
    free(t);
}

/* A join that matches nothing is an error, not a run of districts without
 * a rate: without --table-join the keys (areas) are compared with the ids,
 * and the error names the district field they belong to; with it, keys of
 * another spelling name both sides. */
static void join_matching_nothing(void **state) {
    fixture *f = *state;
    char *t = table(f, "areas.csv", "area,rate\nA,10\nB,20\nC,30\n");
    const char *args[] = {"--districts", f->city, "--id", "id", "--total", "total", "--group", "group",
                          "--table", t, "--table-key", "area", "--overcrowding-field", "rate",
                          "--overcrowding-scale", "percent", "--out", f->out, "--quiet", NULL};
    sg_run *run = NULL;
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_ERR_DATA);
    assert_diag(f->ctx, "E_JOIN_NONE", "none of the 3 rows", "A, B, C", "d1, d2", "districts' field area");
    free(t);
    sg_ctx_clear(f->ctx);
    t = table(f, "lower.csv", "area,rate\na,10\nb,20\n");
    const char *args2[] = {"--districts", f->city, "--id", "id", "--total", "total", "--group", "group",
                           "--table", t, "--table-key", "area", "--table-join", "area", "--overcrowding-field",
                           "rate", "--overcrowding-scale", "percent", "--out", f->out, "--quiet", NULL};
    assert_int_equal(sg_test_analyze(f->ctx, &run, args2), SG_ERR_DATA);
    assert_diag(f->ctx, "E_JOIN_NONE", "the table's area is a, b", "the districts' area is A, B, C");
    free(t);
}

/* A config's tables: take join: as --table-join. */
static void config_join_key(void **state) {
    fixture *f = *state;
    char *t = table(f, "areas.csv", "area,rate\nA,10\nB,20\nC,30\n");
    char yaml[2048];
    snprintf(yaml, sizeof yaml, "districts: %s\nid: id\ntotal: total\ngroup: group\nindices: [aspatial]\n"
             "tables:\n  - {path: %s, key: area, join: area}\n", f->city, t);
    char *cfg = table(f, "seggap.yaml", yaml);
    const char *argv[] = {"--config", cfg, "--overcrowding-field", "rate", "--overcrowding-scale", "percent",
                          "--out", f->out, "--quiet"};
    sg_options *o = NULL;
    sg_status st = sg_options_parse_config(f->ctx, 9, (char *const *)argv, &o, NULL);
    if (st != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    sg_run *run = NULL;
    st = sg_analyze(f->ctx, o, &run);
    sg_options_free(o);
    if (st != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    sg_assert_near(prop(f, "objective10.geojson", 5, "overcrowding", NULL, 0), 0.30, 1e-12); /* d6 in C */
    sg_run_destroy(run);
    free(cfg);
    free(t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(rates_apply_to_every_child, setup, teardown),
        cmocka_unit_test_setup_teardown(counts_and_min_joined, setup, teardown),
        cmocka_unit_test_setup_teardown(apportion_population_by_hand, setup, teardown),
        cmocka_unit_test_setup_teardown(apportion_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(indicator_from_coarse_table, setup, teardown),
        cmocka_unit_test_setup_teardown(join_matching_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(config_join_key, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

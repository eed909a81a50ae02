/* Change over time: matched districts, the two-value test and the Shapley
 * decomposition on cities whose change is known by construction. */
#include <json-c/json.h>

#include "test_support.h"

typedef sg_test_fixture fixture;

/* Runs analyze on n districts with the given counts into DIR/name. */
static char *run_period(fixture *f, const char *name, const double *x, const double *t, size_t n, size_t skip) {
    char file[64], *path, *out;
    snprintf(file, sizeof file, "%s.geojson", name);
    path = sg_test_path(f->dir, file);
    out = sg_test_path(f->dir, name);
    fx_row rows[16];
    char ids[16][32], ts[16][32], xs[16][32], *sq[16];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        sq[i] = fx_square((int)(i % 4), (int)(i / 4));
        if (i == skip) continue;
        snprintf(ids[k], sizeof ids[k], "d%02zu", i);
        snprintf(ts[k], sizeof ts[k], "%.17g", t[i]);
        snprintf(xs[k], sizeof xs[k], "%.17g", x[i]);
        rows[k] = (fx_row){sq[i], ids[k], ts[k], xs[k]};
        k++;
    }
    fx_write(path, "GeoJSON", 4326, rows, k, 1);
    for (size_t i = 0; i < n; i++) free(sq[i]);
    const char *args[] = {"--districts", path, "--id", "id", "--total", "total", "--group", "group",
                          "--out", out, "--quiet", NULL};
    sg_run *run = NULL;
    sg_status st = sg_test_analyze(f->ctx, &run, args);
    if (st != SG_OK) print_error("%s\n", sg_ctx_last_error(f->ctx));
    assert_int_equal(st, SG_OK);
    sg_run_destroy(run);
    free(path);
    return out;
}

static sg_compare *compare(fixture *f, const char *a, const char *b, int perms) {
    sg_compare_options co = {.baseline = a, .current = b, .permutations = perms, .seed = 99};
    sg_compare *c = NULL;
    sg_status st = sg_compare_run(f->ctx, &co, &c);
    if (st != SG_OK) print_error("%s\n", sg_ctx_last_error(f->ctx));
    assert_int_equal(st, SG_OK);
    return c;
}

static const double tA[8] = {100, 200, 150, 50, 300, 120, 80, 100};
static const double xA[8] = {60, 30, 90, 5, 40, 70, 8, 20};

/* Only the group's size changes: B is A fitted (IPF) to a new city share
 * with A's district sizes and odds ratios, so the whole change in D is
 * "group_sizes"; district_sizes and redistribution are 0. */
static void pure_group_size_change(void **state) {
    fixture *f = *state;
    double a[8], b[8], T = 0, P = 0.45;
    for (int i = 0; i < 8; i++) T += tA[i];
    for (int i = 0; i < 8; i++) {
        a[i] = xA[i];
        b[i] = tA[i] - xA[i];
    }
    for (int it = 0; it < 5000; it++) { /* rows to tA, columns to (P T, (1-P) T) */
        double sa = 0, sb = 0;
        for (int i = 0; i < 8; i++) {
            double s = a[i] + b[i];
            a[i] *= tA[i] / s;
            b[i] *= tA[i] / s;
            sa += a[i];
            sb += b[i];
        }
        for (int i = 0; i < 8; i++) {
            a[i] *= P * T / sa;
            b[i] *= (1 - P) * T / sb;
        }
    }
    double xB[8], tB[8];
    for (int i = 0; i < 8; i++) {
        tB[i] = a[i] + b[i];
        xB[i] = a[i];
    }
    char *da = run_period(f, "a", xA, tA, 8, 99), *db = run_period(f, "b", xB, tB, 8, 99);
    sg_compare *c = compare(f, da, db, 0);
    double diff, p, parts[3];
    assert_true(sg_compare_index(c, "dissimilarity", &diff, &p));
    assert_true(fabs(diff) > 0.001); /* D does move with the group's size */
    assert_true(sg_compare_decomposition(c, "dissimilarity", parts));
    sg_assert_near(parts[0] + parts[1] + parts[2], diff, 1e-9);
    sg_assert_near(parts[0], diff, 1e-6);
    assert_true(fabs(parts[1]) < 1e-7 && fabs(parts[2]) < 1e-7);
    sg_compare_destroy(c);
    free(da);
    free(db);
}

/* Only the pattern changes: two districts of equal size swap their group
 * counts and two others move toward evenness; margins are unchanged, so
 * the whole change is "redistribution". */
static void pure_redistribution(void **state) {
    fixture *f = *state;
    double xB[8];
    memcpy(xB, xA, sizeof xB);
    xB[7] = xA[0] / 100 * 100 - 40; /* 20 */
    xB[0] = 60 - 40 + 40;           /* keeps 60 */
    /* districts 0 and 7 (100 each) exchange 40 group members: 60 -> 20, 20 -> 60 */
    xB[0] = 20;
    xB[7] = 60;
    char *da = run_period(f, "a", xA, tA, 8, 99), *db = run_period(f, "b", xB, tA, 8, 99);
    sg_compare *c = compare(f, da, db, 199);
    double diff, p, parts[3];
    assert_true(sg_compare_index(c, "dissimilarity", &diff, &p));
    /* By hand: X = 323, Y = 777; only |x/X - y/Y| of districts 0 and 7 change.
     * A: |60/323 - 40/777| + |20/323 - 80/777|; B: |20/323 - 80/777| + |60/323 - 40/777|: equal! */
    sg_assert_near(diff, 0.0, 1e-12);
    assert_true(isfinite(p) && p > 0.05); /* no change, no significance */
    assert_true(sg_compare_decomposition(c, "dissimilarity", parts));
    assert_true(fabs(parts[0]) < 1e-9 && fabs(parts[1]) < 1e-9);
    sg_compare_destroy(c);
    /* A real redistribution: district 3 (50) gains 40 members from district 4 (300). */
    double xC[8];
    memcpy(xC, xA, sizeof xC);
    xC[3] = 45;
    xC[4] = 0;
    char *dc = run_period(f, "c", xC, tA, 8, 99);
    c = compare(f, da, dc, 199);
    assert_true(sg_compare_index(c, "dissimilarity", &diff, &p));
    assert_true(diff > 0.01);
    assert_true(sg_compare_decomposition(c, "dissimilarity", parts));
    sg_assert_near(parts[2], diff, 1e-6);
    assert_true(fabs(parts[0]) < 1e-7 && fabs(parts[1]) < 1e-7);
    sg_compare_destroy(c);
    free(da);
    free(db);
    free(dc);
}

/* A district that vanishes is listed; the others are matched by id. */
static void vanished_district_is_listed(void **state) {
    fixture *f = *state;
    char *da = run_period(f, "a", xA, tA, 8, 99), *db = run_period(f, "b", xA, tA, 8, 5);
    sg_compare *c = compare(f, da, db, 0);
    json_object *root = json_tokener_parse(sg_compare_json(c)), *d, *v, *m;
    assert_true(json_object_object_get_ex(root, "districts", &d));
    assert_true(json_object_object_get_ex(d, "vanished", &v));
    assert_int_equal(json_object_array_length(v), 1);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 0)), "d05");
    assert_true(json_object_object_get_ex(d, "matched", &m));
    assert_int_equal(json_object_get_int(m), 7);
    assert_diag(f->ctx, "W_DISTRICT_VANISHED", "1 baseline districts", "d05");
    json_object_put(root);
    sg_compare_destroy(c);
    char *cj = sg_test_path(db, "compare.json");
    assert_true(sg_test_exists(cj)); /* written beside the current run */
    free(cj);
    free(da);
    free(db);
}

/* Rewrites DIR/name (a JSON file) after edit changed it. */
static void edit_json(const char *dir, const char *name, void (*edit)(json_object *)) {
    char *path = sg_test_path(dir, name);
    json_object *root = json_object_from_file(path);
    assert_non_null(root);
    edit(root);
    assert_int_equal(json_object_to_file(path, root), 0);
    json_object_put(root);
    free(path);
}
static json_object *props(json_object *root, size_t k) {
    json_object *fs, *p;
    assert_true(json_object_object_get_ex(root, "features", &fs));
    assert_true(json_object_object_get_ex(json_object_array_get_idx(fs, k), "properties", &p));
    return p;
}
/* "indices": 0.75 instead of an object: UBSan found the foreach walking a
 * non-object (fuzz_compare, the fresh-clone CI's smoke run). */
static void indices_not_object(json_object *root) { json_object_object_add(root, "indices", json_object_new_double(0.75)); }

static void value_x(json_object *root) {
    json_object *ind;
    assert_true(json_object_object_get_ex(root, "indices", &ind));
    json_object_object_foreach(ind, name, io) {
        (void)name;
        json_object_object_add(io, "value", json_object_new_string("x"));
        break;
    }
}
static void group_abc(json_object *root) { json_object_object_add(props(root, 2), "group", json_object_new_string("abc")); }
static void id_twice(json_object *root) {
    json_object_object_add(props(root, 3), "id", json_object_new_string("d02"));
}

/* Issue 16 item 19: compare read "x" and "abc" as 0 and a duplicated id as
 * both matched and vanished, exit 0. Each is now an input error naming the
 * file and the key or id; the untouched pair still compares. */
static void not_numbers_and_duplicates_are_errors(void **state) {
    fixture *f = *state;
    char *da = run_period(f, "a", xA, tA, 8, 99);
    struct {
        void (*edit)(json_object *);
        const char *file, *code, *text;
    } cases[] = {
        {value_x, "summary.json", "E_NOT_NUMBER", "value is not a number"},
        {group_abc, "districts.geojson", "E_NOT_NUMBER", "district 'd02': group is not a number"},
        {id_twice, "districts.geojson", "E_DUPLICATE_ID", "district id 'd02' appears more than once"},
        {indices_not_object, "summary.json", "E_NOT_SUMMARY", "no 'indices' object"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        char name[8];
        snprintf(name, sizeof name, "b%zu", k);
        char *db = run_period(f, name, xA, tA, 8, 99);
        edit_json(db, cases[k].file, cases[k].edit);
        sg_compare_options co = {.baseline = da, .current = db, .permutations = 0, .seed = 99};
        sg_compare *c = NULL;
        assert_int_equal(sg_compare_run(f->ctx, &co, &c), SG_ERR_INPUT);
        assert_null(c);
        char *file = sg_test_path(db, cases[k].file);
        assert_diag(f->ctx, cases[k].code, file, cases[k].text);
        free(file);
        sg_ctx_clear(f->ctx);
        free(db);
    }
    free(da);
}

static void ids_renamed(json_object *root) {
    json_object *fs;
    assert_true(json_object_object_get_ex(root, "features", &fs));
    for (size_t k = 0; k < json_object_array_length(fs); k++) {
        char id[32];
        snprintf(id, sizeof id, "z%02zu", k);
        json_object_object_add(props(root, k), "id", json_object_new_string(id));
    }
}

/* Issue 15 item 11: a run directory without summary.json read "not a seggap
 * summary.json" (now: no such file, with the path); two runs with no district
 * in common exited 0 with a table of changes (now E_NO_COMMON_DISTRICT, an
 * error, and no compare.json). */
static void missing_summary_and_no_common_district(void **state) {
    fixture *f = *state;
    char *da = run_period(f, "a", xA, tA, 8, 99), *db = run_period(f, "b", xA, tA, 8, 99);
    char *sb = sg_test_path(db, "summary.json"), *moved = sg_test_path(f->dir, "summary.json.away");
    assert_int_equal(rename(sb, moved), 0);
    sg_compare_options co = {.baseline = da, .current = db, .permutations = 0, .seed = 99};
    sg_compare *c = NULL;
    assert_int_equal(sg_compare_run(f->ctx, &co, &c), SG_ERR_INPUT);
    assert_null(c);
    assert_diag(f->ctx, "E_OPEN", sb, "no such file");
    assert_null(strstr(sg_ctx_last_error(f->ctx), "not a seggap summary"));
    assert_int_equal(rename(moved, sb), 0);

    sg_ctx_clear(f->ctx);
    edit_json(db, "districts.geojson", ids_renamed);
    assert_int_equal(sg_compare_run(f->ctx, &co, &c), SG_ERR_DATA);
    assert_null(c);
    assert_diag(f->ctx, "E_NO_COMMON_DISTRICT", "no district id in common with the baseline", "8 baseline districts",
                "first d00", "first z00");
    assert_int_not_equal(sg_status_exit_code(SG_ERR_DATA), 0);
    char *cj = sg_test_path(db, "compare.json");
    assert_false(sg_test_exists(cj));
    free(cj), free(sb), free(moved), free(da), free(db);
}

static const double t16[16] = {100, 200, 150, 50, 300, 120, 80, 100, 90, 160, 210, 70, 130, 110, 60, 140};
static const double x16[16] = {40, 70, 60, 20, 110, 50, 30, 45, 30, 60, 90, 25, 50, 40, 20, 55};

/* p-value, null sd and the test's model from a comparison's JSON. */
static double relabel_p(sg_compare *c, const char *name, double *diff, double *sd) {
    double p;
    assert_true(sg_compare_index(c, name, diff, &p));
    json_object *root = json_tokener_parse(sg_compare_json(c)), *ind, *io, *v, *jt;
    assert_non_null(root);
    assert_true(json_object_object_get_ex(root, "indices", &ind) && json_object_object_get_ex(ind, name, &io));
    assert_true(json_object_object_get_ex(io, "null_sd", &v));
    *sd = json_object_get_double(v);
    assert_true(json_object_object_get_ex(io, "difference_all_districts", &v));
    assert_true(json_object_object_get_ex(root, "test", &jt) && json_object_object_get_ex(jt, "model", &v));
    assert_string_equal(json_object_get_string(v), "random_label");
    assert_true(json_object_object_get_ex(jt, "districts_pooled", &v));
    assert_int_equal(json_object_get_int(v), 32);
    json_object_put(root);
    return p;
}

static sg_compare *compare_relabel(fixture *f, const char *a, const char *b, unsigned long long seed) {
    sg_compare_options co = {.baseline = a, .current = b, .permutations = 199, .seed = seed,
                             .null_model = SG_COMPARE_NULL_RANDOM_LABEL};
    sg_compare *c = NULL;
    sg_status st = sg_compare_run(f->ctx, &co, &c);
    if (st != SG_OK) print_error("%s\n", sg_ctx_last_error(f->ctx));
    assert_int_equal(st, SG_OK);
    return c;
}

/* Issue 20: --null random_label pools the districts of both runs and
 * relabels them, so runs whose ids do not match can be compared (the person
 * null refuses them: E_NO_COMMON_DISTRICT). Two identical cities under other
 * ids: no change, p large; a city against its fully segregated version (each
 * district all migrants or none, same totals): D rises to 1 and p is at the
 * floor 1/200 of 199 replicates. The same --seed gives the same null. */
static void random_label_two_cities(void **state) {
    fixture *f = *state;
    double xs[16];
    for (int i = 0; i < 16; i++) xs[i] = i % 2 ? 0 : t16[i];
    char *da = run_period(f, "a", x16, t16, 16, 99), *db = run_period(f, "b", x16, t16, 16, 99),
         *ds = run_period(f, "s", xs, t16, 16, 99);
    edit_json(db, "districts.geojson", ids_renamed);
    edit_json(ds, "districts.geojson", ids_renamed);
    sg_compare_options co = {.baseline = da, .current = db, .permutations = 9, .seed = 7};
    sg_compare *c = NULL;
    assert_int_equal(sg_compare_run(f->ctx, &co, &c), SG_ERR_DATA); /* the person null matches ids */
    assert_diag(f->ctx, "E_NO_COMMON_DISTRICT", "no district id in common");
    sg_ctx_clear(f->ctx);

    double diff, sd, sd2, sd3;
    c = compare_relabel(f, da, db, 7);
    double p = relabel_p(c, "dissimilarity", &diff, &sd);
    assert_true(fabs(diff) < 1e-12);
    assert_true(p > 0.5);
    double parts[3];
    assert_false(sg_compare_decomposition(c, "dissimilarity", parts)); /* nothing matched to decompose */
    assert_int_equal(sg_ctx_diag_count(f->ctx), 0); /* no W_DISTRICT_APPEARED noise: no id is meant to match */
    sg_compare_destroy(c);

    c = compare_relabel(f, da, ds, 7);
    p = relabel_p(c, "dissimilarity", &diff, &sd);
    assert_true(diff > 0.3);
    assert_true(fabs(p - 1.0 / 200) < 1e-15);
    sg_compare_destroy(c);
    c = compare_relabel(f, da, ds, 7); /* reproducible */
    assert_true(fabs(relabel_p(c, "dissimilarity", &diff, &sd2) - 1.0 / 200) < 1e-15);
    assert_true(sd2 == sd);
    sg_compare_destroy(c);
    c = compare_relabel(f, da, ds, 8); /* another seed, other replicates */
    assert_true(fabs(relabel_p(c, "dissimilarity", &diff, &sd3) - 1.0 / 200) < 1e-15);
    assert_true(sd3 != sd);
    sg_compare_destroy(c);
    free(da), free(db), free(ds);
}

/* Berlin 2016 against a copy in which one planning area gained 3,000
 * residents with a migration background (MH_E and E_E both + 3000). */
static void berlin_one_district_changed(void **state) {
    fixture *f = *state;
    REQUIRE_SHARED("data/berlin-2016/EWRMIGRA201612H_Matrix.csv");
    char *e = sg_test_path(f->dir, "EWR.csv"), *mg = sg_test_path(f->dir, "MIGRA.csv");
    char cmd[2048];
    /* RAUMID is column 2 of both; E_E column 8 of the comma file, MH_E column 8 of
     * the semicolon (CR-only) file, which is rewritten with LF endings. */
    snprintf(cmd, sizeof cmd,
             "awk -F, -v OFS=, '$2==\"01011101\" {$8=$8+3000} {print}' '%s' > '%s' && "
             "tr '\\r' '\\n' < '%s' | awk -F';' -v OFS=';' '$2==\"01011101\" {$8=$8+3000} {print}' > '%s'",
             SHARED("data/berlin-2016/EWR201612E_Matrix.csv"), e, SHARED("data/berlin-2016/EWRMIGRA201612H_Matrix.csv"),
             mg);
    assert_int_equal(system(cmd), 0);
    char *o0 = sg_test_path(f->dir, "b0"), *o1 = sg_test_path(f->dir, "b1");
    for (int k = 0; k < 2; k++) {
        const char *args[] = {"--districts", SHARED("data/berlin-2016/lor_planungsraeume_447_wgs84.geojson"),
                              "--id", "spatial_name",
                              "--table", k ? e : SHARED("data/berlin-2016/EWR201612E_Matrix.csv"), "--table-key", "RAUMID",
                              "--table", k ? mg : SHARED("data/berlin-2016/EWRMIGRA201612H_Matrix.csv"), "--table-key", "RAUMID",
                              "--total", "E_E", "--group", "MH_E", "--out", k ? o1 : o0, "--quiet", NULL};
        sg_run *run = NULL;
        sg_status st = sg_test_analyze(f->ctx, &run, args);
        if (st != SG_OK) print_error("%s\n", sg_ctx_last_error(f->ctx));
        assert_int_equal(st, SG_OK);
        sg_run_destroy(run);
    }
    sg_compare *c = compare(f, o0, o1, 99);
    double diff, p, parts[3];
    assert_true(sg_compare_index(c, "dissimilarity", &diff, &p));
    /* The changed district already had 56 % MH (city 31 %): more concentration. */
    assert_true(diff > 0);
    assert_true(p > 0 && p <= 1);
    assert_true(sg_compare_decomposition(c, "dissimilarity", parts));
    sg_assert_near(parts[0] + parts[1] + parts[2], diff, 1e-9);
    json_object *root = json_tokener_parse(sg_compare_json(c)), *d, *m;
    assert_true(json_object_object_get_ex(root, "districts", &d));
    assert_true(json_object_object_get_ex(d, "matched", &m));
    assert_int_equal(json_object_get_int(m), 447);
    json_object_put(root);
    sg_compare_destroy(c);
    free(e);
    free(mg);
    free(o0);
    free(o1);
}

/* ---- the library trio: sg_compare_options_parse / sg_compare_run / sg_compare_options_free ---- */

/* Parses args (NULL-terminated); returns the status, *out the options. */
static sg_status parse(sg_ctx *ctx, const char *const *args, sg_compare_options **out, int *help) {
    int argc = 0;
    while (args[argc]) argc++;
    static sg_compare_options stale;
    *out = &stale; /* the parser sets *out in every case */
    return sg_compare_options_parse(ctx, argc, (char *const *)args, out, help);
}

/* A usage error: SG_ERR_USAGE, no options, the message and its code. */
static void expect_usage(const char *const *args, const char *code, const char *message) {
    sg_ctx *ctx = sg_ctx_create();
    sg_compare_options *co = NULL;
    int help = -1;
    assert_int_equal(parse(ctx, args, &co, &help), SG_ERR_USAGE);
    assert_null(co);
    assert_int_equal(help, 0);
    assert_string_equal(sg_ctx_last_error(ctx), message);
    assert_diag(ctx, code, message);
    sg_ctx_destroy(ctx);
}

static void options_from_argv(void **state) {
    (void)state;
    sg_ctx *ctx = sg_ctx_create();
    char base[] = "runs/2016", cur[] = "runs/2017";
    const char *good[] = {"--json", base, "--permutations", "19", cur, "--out", "cmp", "--seed", "7", "--quiet", NULL};
    sg_compare_options *co = NULL;
    int help = -1;
    assert_int_equal(parse(ctx, good, &co, &help), SG_OK);
    assert_int_equal(help, 0);
    assert_non_null(co);
    base[0] = cur[0] = 'X'; /* the options hold copies: argv may go */
    assert_string_equal(co->baseline, "runs/2016");
    assert_string_equal(co->current, "runs/2017");
    assert_string_equal(co->out_dir, "cmp");
    assert_int_equal(co->permutations, 19);
    assert_true(co->seed == 7);
    assert_int_equal(co->json, 1);
    assert_int_equal(co->quiet, 1);
    sg_compare_options_free(co);
    /* Defaults: no --out (the current run's directory), no test, seed 12345. */
    const char *two[] = {"a", "b", NULL};
    assert_int_equal(parse(ctx, two, &co, NULL), SG_OK);
    assert_null(co->out_dir);
    assert_int_equal(co->permutations, 0);
    assert_true(co->seed == 12345);
    assert_int_equal(co->json + co->quiet, 0);
    assert_int_equal(co->null_model, SG_COMPARE_NULL_PERSON);
    sg_compare_options_free(co);
    const char *rl[] = {"a", "--null", "random_label", "b", NULL};
    assert_int_equal(parse(ctx, rl, &co, NULL), SG_OK);
    assert_int_equal(co->null_model, SG_COMPARE_NULL_RANDOM_LABEL);
    sg_compare_options_free(co);
    /* --help, wherever it is: SG_OK and no options. */
    const char *h[] = {"a", "--help", "--bogus", NULL};
    assert_int_equal(parse(ctx, h, &co, &help), SG_OK);
    assert_int_equal(help, 1);
    assert_null(co);
    assert_int_equal(sg_ctx_diag_count(ctx), 0);
    sg_compare_options_free(NULL);
    sg_ctx_destroy(ctx);
    assert_non_null(strstr(sg_compare_usage(), "usage: seggap compare BASELINE CURRENT"));

    expect_usage((const char *const[]){"a", "b", "--bogus", NULL}, "E_USAGE", "unknown or incomplete option '--bogus'");
    expect_usage((const char *const[]){"a", "b", "--null", "geographic", NULL}, "E_OPTION_VALUE",
                 "--null: 'geographic' is not a null of compare (person, random_label; the nulls of analyze's "
                 "--null test one city, not a change)");
    expect_usage((const char *const[]){"a", "b", "--out", NULL}, "E_USAGE", "unknown or incomplete option '--out'");
    expect_usage((const char *const[]){"a", NULL}, "E_USAGE", "compare needs BASELINE and CURRENT");
    expect_usage((const char *const[]){"a", "b", "c", NULL}, "E_USAGE", "unexpected argument 'c'");
    expect_usage((const char *const[]){"a", "b", "--seed", "x", NULL}, "E_OPTION_VALUE",
                 "--seed: 'x' is not a non-negative integer");
    expect_usage((const char *const[]){"a", "b", "--permutations", "-1", NULL}, "E_OPTION_VALUE",
                 "--permutations: '-1' is not a non-negative integer");
}

/* Parse, run, free: what `seggap compare` does. */
static void options_run(void **state) {
    fixture *f = *state;
    char *da = run_period(f, "a", xA, tA, 8, 99), *db = run_period(f, "b", xA, tA, 8, 5);
    char *out = sg_test_path(f->dir, "cmp");
    mkdir(out, 0777);
    const char *args[] = {da, db, "--out", out, "--permutations", "9", NULL};
    sg_compare_options *co = NULL;
    assert_int_equal(parse(f->ctx, args, &co, NULL), SG_OK);
    sg_compare *c = NULL;
    assert_int_equal(sg_compare_run(f->ctx, co, &c), SG_OK);
    sg_compare_options_free(co);
    double diff, p;
    assert_true(sg_compare_index(c, "dissimilarity", &diff, &p));
    assert_true(isfinite(p));
    sg_compare_destroy(c);
    char *cj = sg_test_path(out, "compare.json");
    assert_true(sg_test_exists(cj));
    free(cj);
    free(out);
    free(da);
    free(db);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(options_from_argv),
        cmocka_unit_test_setup_teardown(options_run, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(pure_group_size_change, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(pure_redistribution, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(vanished_district_is_listed, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(not_numbers_and_duplicates_are_errors, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(missing_summary_and_no_common_district, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(random_label_two_cities, sg_test_setup, sg_test_teardown),
        cmocka_unit_test_setup_teardown(berlin_one_district_changed, sg_test_setup, sg_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

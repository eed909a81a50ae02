/* Integration: the seggap CLI on the bundled sample, its exit codes, and the
 * output opened the way a user would, with OGR. */
#include <dirent.h>
#include <sys/wait.h>

#include <json-c/json.h>

#include "test_support.h"

#define SAMPLE SG_SAMPLES_DIR "/city"

typedef struct fixture {
    char *dir, *out;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->dir = sg_test_tmpdir();
    f->out = sg_test_path(f->dir, "out");
    *state = f;
    GDALAllRegister();
    return 0;
}
static int teardown(void **state) {
    fixture *f = *state;
    sg_test_rmdir(f->dir);
    free(f->out);
    free(f);
    return 0;
}

/* Runs the CLI with args (a shell-safe string of our own), stdout and stderr
 * into files in the fixture dir; returns the exit code. */
static int run_cli(fixture *f, const char *args) {
    /* sized to fit: a fixed buffer drew -Wformat-truncation in the -O3 build */
    const char *fmt = "'%s' %s >'%s/stdout' 2>'%s/stderr'";
    int len = snprintf(NULL, 0, fmt, SG_CLI, args, f->dir, f->dir);
    assert_true(len > 0);
    char *cmd = malloc((size_t)len + 1);
    assert_non_null(cmd);
    snprintf(cmd, (size_t)len + 1, fmt, SG_CLI, args, f->dir, f->dir);
    int rc = system(cmd);
    free(cmd);
    assert_true(WIFEXITED(rc));
    return WEXITSTATUS(rc);
}

static char *slurp(const char *path) {
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
    s[n] = '\0';
    fclose(fp);
    return s;
}

static char *out_file(fixture *f, const char *name) {
    char *p = sg_test_path(f->out, name);
    return p;
}

static const char *sample_args =
    "analyze --districts " SAMPLE "/districts.shp --id code --name name --table " SAMPLE "/census.csv --table-key code "
    "--total total --group migrants";

static void sample_end_to_end(void **state) {
    fixture *f = *state;
    char args[2048];
    snprintf(args, sizeof args, "%s --out '%s'", sample_args, f->out);
    int rc = run_cli(f, args);
    char *stdout_path = sg_test_path(f->dir, "stdout"), *stderr_path = sg_test_path(f->dir, "stderr");
    char *out = slurp(stdout_path), *err = slurp(stderr_path);
    if (rc != 0) print_error("stderr: %s\n", err);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "dissimilarity"));
    assert_non_null(strstr(out, "isolation"));
    assert_non_null(strstr(err, "W_ZERO_TOTAL")); /* the sample's one empty district */
    /* issue 17: the report's title is built from the districts layer's name, never the input path */
    {
        char *rp = out_file(f, "report.html"), *html = slurp(rp);
        const char *t = strstr(html, "<title>"), *te = t ? strstr(t, "</title>") : NULL;
        assert_non_null(te);
        char title[512];
        snprintf(title, sizeof title, "%.*s", (int)(te - t - 7), t + 7);
        if (strstr(title, "/") || strstr(title, ".shp") || !strstr(title, "districts"))
            fail_msg("report title: %s", title);
        /* the weights in words, not as a CLI flag */
        assert_non_null(strstr(html, "queen contiguity (districts sharing a border or a corner)"));
        assert_null(strstr(html, "--weights"));
        free(html);
        free(rp);
    }
    /* issue 17: the "wrote" line names the folder once, then every file written */
    const char *wrote = strstr(out, "  wrote       ");
    assert_non_null(wrote);
    assert_non_null(strstr(wrote, f->out));
    assert_null(strstr(strstr(wrote, f->out) + strlen(f->out), f->out));
    static const char *const wrote_files[] = {"districts.geojson", "objective5.geojson", "districts.qml",
                                              "objective5.qml", "seggap.qgs", "report.html", "summary.json"};
    for (size_t k = 0; k < sizeof wrote_files / sizeof wrote_files[0]; k++)
        if (!strstr(wrote, wrote_files[k])) fail_msg("the wrote line misses %s:\n%s", wrote_files[k], wrote);
    /* issue 18: no housing input, so no objective10 layer of no_data by default */
    if (strstr(wrote, "objective10")) fail_msg("objective10 written without housing input:\n%s", wrote);

    /* Input ids, read with OGR. */
    GDALDatasetH in = GDALOpenEx(SAMPLE "/districts.shp", GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(in);
    OGRLayerH il = GDALDatasetGetLayer(in, 0);
    long long nin = OGR_L_GetFeatureCount(il, 1);
    assert_true(nin > 10);

    char *layer_path = out_file(f, "districts.geojson");
    GDALDatasetH ds = GDALOpenEx(layer_path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH lyr = GDALDatasetGetLayer(ds, 0);
    assert_int_equal(OGR_L_GetFeatureCount(lyr, 1), nin);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(lyr);
    const char *want[] = {"id", "name", "total", "group", "share", "lq", "d_contrib", "status"};
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
        if (OGR_FD_GetFieldIndex(defn, want[k]) < 0) fail_msg("field %s missing from districts.geojson", want[k]);
    /* Every input id is in the output exactly once. */
    OGRFeatureH ft;
    long long found = 0;
    int zero = 0;
    while ((ft = OGR_L_GetNextFeature(il)) != NULL) {
        const char *code = OGR_F_GetFieldAsString(ft, OGR_F_GetFieldIndex(ft, "code"));
        char filter[128];
        snprintf(filter, sizeof filter, "id = '%s'", code);
        OGR_L_SetAttributeFilter(lyr, filter);
        OGRFeatureH of;
        int hits = 0;
        while ((of = OGR_L_GetNextFeature(lyr)) != NULL) {
            hits++;
            const char *status = OGR_F_GetFieldAsString(of, OGR_FD_GetFieldIndex(defn, "status"));
            if (strcmp(status, "zero_total") == 0) zero++;
            else assert_string_equal(status, "ok");
            assert_non_null(OGR_F_GetGeometryRef(of));
            OGR_F_Destroy(of);
        }
        assert_int_equal(hits, 1);
        found++;
        OGR_F_Destroy(ft);
    }
    assert_int_equal(found, nin);
    assert_int_equal(zero, 1);
    GDALClose(ds);
    GDALClose(in);

    /* RFC 7946 as written: no crs member, at most 7 decimals in coordinates,
     * exterior rings counterclockwise. */
    char *text = slurp(layer_path);
    assert_null(strstr(text, "\"crs\""));
    for (const char *g = strstr(text, "\"coordinates\""); g; g = strstr(g + 1, "\"coordinates\"")) {
        const char *end = strchr(g, '}');
        int decimals = -1;
        for (const char *p = g; p < end; p++) {
            if (*p == '.') decimals = 0;
            else if (decimals >= 0 && *p >= '0' && *p <= '9') decimals++;
            else {
                if (decimals > 7) fail_msg("coordinate with %d decimals", decimals);
                decimals = -1;
            }
        }
    }
    json_object *gj = json_tokener_parse(text);
    assert_non_null(gj);
    json_object *feats, *f0, *geom, *coords;
    assert_true(json_object_object_get_ex(gj, "features", &feats));
    f0 = json_object_array_get_idx(feats, 0);
    assert_true(json_object_object_get_ex(f0, "geometry", &geom));
    assert_true(json_object_object_get_ex(geom, "coordinates", &coords));
    json_object *ring = json_object_array_get_idx(coords, 0);
    if (json_object_get_type(json_object_array_get_idx(json_object_array_get_idx(ring, 0), 0)) == json_type_array)
        ring = json_object_array_get_idx(ring, 0); /* MultiPolygon */
    double area2 = 0;
    size_t nr = json_object_array_length(ring);
    for (size_t i = 0; i + 1 < nr; i++) {
        json_object *a = json_object_array_get_idx(ring, i), *b = json_object_array_get_idx(ring, i + 1);
        double ax = json_object_get_double(json_object_array_get_idx(a, 0));
        double ay = json_object_get_double(json_object_array_get_idx(a, 1));
        double bx = json_object_get_double(json_object_array_get_idx(b, 0));
        double by = json_object_get_double(json_object_array_get_idx(b, 1));
        assert_true(ax > -180 && ax < 180 && ay > -90 && ay < 90);
        area2 += ax * by - bx * ay;
    }
    assert_true(area2 > 0); /* counterclockwise */
    json_object_put(gj);

    /* summary.json */
    char *sum_path = out_file(f, "summary.json");
    json_object *sum = json_object_from_file(sum_path);
    assert_non_null(sum);
    json_object *d, *read, *ind, *dis, *val, *warn;
    assert_true(json_object_object_get_ex(sum, "districts", &d));
    assert_true(json_object_object_get_ex(d, "read", &read));
    assert_int_equal(json_object_get_int64(read), nin);
    assert_true(json_object_object_get_ex(sum, "indices", &ind));
    assert_true(json_object_object_get_ex(ind, "dissimilarity", &dis));
    assert_true(json_object_object_get_ex(dis, "value", &val));
    assert_true(json_object_get_double(val) > 0.05 && json_object_get_double(val) < 0.9);
    assert_true(json_object_object_get_ex(sum, "warnings", &warn));
    assert_true(json_object_array_length(warn) >= 1);
    json_object_put(sum);

    /* Nothing temporary left behind. */
    DIR *dir = opendir(f->out);
    struct dirent *de;
    int files = 0;
    while ((de = readdir(dir)) != NULL) {
        if (de->d_name[0] == '.') {
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) fail_msg("left behind: %s", de->d_name);
            continue;
        }
        files++;
    }
    closedir(dir);
    assert_true(files >= 2);

    /* A second run replaces the outputs. */
    assert_int_equal(run_cli(f, args), 0);
    free(text);
    free(sum_path);
    free(layer_path);
    free(out);
    free(err);
    free(stdout_path);
    free(stderr_path);
}

/* issue 17: --title TEXT titles the report (<title> and <h1>, escaped) */
static void title_option(void **state) {
    fixture *f = *state;
    char args[2048];
    snprintf(args, sizeof args, "%s --out '%s' --quiet --title 'Leipzig 2024 <East & West>'", sample_args, f->out);
    assert_int_equal(run_cli(f, args), 0);
    char *rp = out_file(f, "report.html"), *html = slurp(rp);
    assert_non_null(strstr(html, "<title>Leipzig 2024 &lt;East &amp; West&gt;</title>"));
    assert_non_null(strstr(html, "<h1>Leipzig 2024 &lt;East &amp; West&gt;</h1>"));
    free(html);
    free(rp);
}

/* issue 17: the report says which neighbours in words, whatever --weights */
static void weights_in_words(void **state) {
    fixture *f = *state;
    static const char *const cases[][2] = {
        {"rook", "rook contiguity (districts sharing a border)"},
        {"knn:4", "neighbours by the 4 nearest districts (by centroid)"},
        {"distance:1500", "centroids within 1500 m"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char args[2048];
        snprintf(args, sizeof args, "%s --out '%s' --quiet --local-permutations 9 --weights %s", sample_args, f->out,
                 cases[k][0]);
        assert_int_equal(run_cli(f, args), 0);
        char *rp = out_file(f, "report.html"), *html = slurp(rp);
        if (!strstr(html, cases[k][1])) fail_msg("--weights %s: the report lacks '%s'", cases[k][0], cases[k][1]);
        assert_null(strstr(html, "--weights"));
        free(html);
        free(rp);
    }
}

static void json_flag_prints_summary(void **state) {
    fixture *f = *state;
    char args[2048];
    snprintf(args, sizeof args, "%s --out '%s' --json --quiet", sample_args, f->out);
    assert_int_equal(run_cli(f, args), 0);
    char *p = sg_test_path(f->dir, "stdout");
    json_object *j = json_object_from_file(p);
    assert_non_null(j);
    json_object *ind;
    assert_true(json_object_object_get_ex(j, "indices", &ind));
    json_object_put(j);
    char *e = sg_test_path(f->dir, "stderr");
    char *err = slurp(e);
    assert_string_equal(err, ""); /* --quiet: no warnings */
    free(err);
    free(e);
    free(p);
}

static void exit_codes(void **state) {
    fixture *f = *state;
    char args[2048];
    assert_int_equal(run_cli(f, "analyze --districts x.shp"), 2);
    assert_int_equal(run_cli(f, "frobnicate"), 2);
    assert_int_equal(run_cli(f, "--version"), 0);
    snprintf(args, sizeof args, "analyze --districts '%s/nope.shp' --id a --total b --group c --out '%s'", f->dir, f->out);
    assert_int_equal(run_cli(f, args), 1);
    char *e = sg_test_path(f->dir, "stderr");
    char *err = slurp(e);
    assert_non_null(strstr(err, "nope.shp"));
    free(err);
    /* Output path that is a file: nothing can be written there. */
    char *blocker = sg_test_path(f->dir, "blocker");
    sg_test_write_file(blocker, "x");
    snprintf(args, sizeof args, "%s --out '%s'", sample_args, blocker);
    assert_int_equal(run_cli(f, args), 4);
    err = slurp(e);
    assert_non_null(strstr(err, "not a directory"));
    free(err);
    free(e);
    free(blocker);
}

/* Issue 15 item 9: a mistyped option printed the error followed by 125
 * lines of help that buried it; now the error (with "did you mean") and one
 * line pointing at --help, for each command. */
static void usage_error_is_two_lines(void **state) {
    fixture *f = *state;
    static const struct {
        const char *args, *want;
    } cases[] = {
        {"analyze --districts x.shp --totl t", "unknown option '--totl' (did you mean --total?)"},
        {"analyze -total t", "did you mean --total?"},
        {"analyze --districts x.shp", "--id is required"},
        {"compare a b --permutatons 9", "did you mean --permutations?"},
        {"check --confg c.yaml", "did you mean --config?"},
    };
    char *e = sg_test_path(f->dir, "stderr");
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        assert_int_equal(run_cli(f, cases[k].args), 2);
        char *err = slurp(e);
        size_t lines = 0;
        for (const char *c = err; *c; c++) lines += *c == '\n';
        if (lines != 2 || !strstr(err, cases[k].want) || !strstr(err, "--help' for the options"))
            fail_msg("case '%s': stderr is\n%s", cases[k].args, err);
        free(err);
    }
    free(e);
}

/* Issue 15 items 9 and 10: the YAML config of analyze --config names the key
 * meant, at the top level and in check: (config.c, config_check.c). */
static void config_keys_did_you_mean(void **state) {
    fixture *f = *state;
    static const struct {
        const char *yaml, *want;
    } cases[] = {
        {"districts: d.shp\ntotl: total\n", "line 2: unknown key 'totl' (did you mean 'total'?)"},
        {"districts: d.shp\ntabels:\n  - path: c.csv\n", "line 2: unknown key 'tabels' (did you mean 'tables'?)"},
        {"check:\n  max_grup_change: 0.3\n", "line 2: unknown key 'max_grup_change' in check (did you mean "
                                           "'max_group_change'?"},
        {"check:\n  thresholds:\n    gini.max_increase_rell: 0.1\n", "did you mean 'max_increase_rel'?"},
        {"check:\n  min_residents: -1\n", "line 2: 'min_residents'"},
    };
    char *cfg = sg_test_path(f->dir, "c.yaml"), *e = sg_test_path(f->dir, "stderr"), args[1200];
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        sg_test_write_file(cfg, cases[k].yaml);
        snprintf(args, sizeof args, "analyze --config '%s'", cfg);
        assert_int_equal(run_cli(f, args), 2);
        char *err = slurp(e);
        if (!strstr(err, cases[k].want)) fail_msg("case %zu: stderr is\n%s", k, err);
        free(err);
    }
    free(cfg);
    free(e);
}

/* Issue 16 item 20: an ESC and a BEL in a table key reached the terminal raw
 * in W_ROW_WITHOUT_DISTRICT (a key can recolour or rewrite the terminal).
 * Every message and printed text escapes control bytes. */
static void control_bytes_are_escaped(void **state) {
    fixture *f = *state;
    char *csv = sg_test_path(f->dir, "census.csv"), *orig = slurp(SAMPLE "/census.csv");
    char *text = malloc(strlen(orig) + 64);
    sprintf(text, "%s\033[31mEVIL\a,10,1,0.1\n", orig);
    sg_test_write_file(csv, text);
    char args[4096];
    snprintf(args, sizeof args, "analyze --districts %s/districts.shp --id code --table '%s' --table-key code "
             "--total total --group migrants --out '%s'", SAMPLE, csv, f->out);
    assert_int_equal(run_cli(f, args), 0);
    char *e = sg_test_path(f->dir, "stderr"), *o = sg_test_path(f->dir, "stdout");
    char *err = slurp(e), *out = slurp(o);
    assert_null(strchr(err, '\033'));
    assert_null(strchr(err, '\a'));
    assert_null(strchr(out, '\033'));
    assert_non_null(strstr(err, "match no district and are not used: \\x1B[31mEVIL\\x07 [W_ROW_WITHOUT_DISTRICT]"));
    free(err), free(out), free(e), free(o), free(text), free(orig), free(csv);
}

/* ---- progress (sg_options_set_progress, --progress) ---- */

/* Every call of the callback; call stop_at (-1: none) returns 0. Calls never
 * overlap (the library serialises them), so no lock is needed. */
typedef struct progress_log {
    double f[256];
    char msg[256][32];
    size_t n;
    long stop_at;
} progress_log;

static int record_progress(double fraction, const char *message, void *user) {
    progress_log *p = user;
    size_t i = p->n;
    if (i < 256) {
        p->f[i] = fraction;
        snprintf(p->msg[i], sizeof p->msg[i], "%s", message);
        p->n++;
    }
    return (long)i == p->stop_at ? 0 : 1;
}

/* sg_analyze on the sample with --permutations perms, one service type,
 * --format gpkg and, when baseline is not NULL, --baseline; progress into
 * log (NULL: no callback). */
static sg_status analyze_sample(sg_ctx *ctx, const char *out, const char *baseline, const char *perms,
                                progress_log *log, sg_run **run) {
    const char *args[32] = {"--districts", SAMPLE "/districts.shp", "--id", "code", "--table", SAMPLE "/census.csv",
                            "--table-key", "code", "--total", "total", "--group", "migrants", "--permutations",
                            perms, "--service", "school=" SAMPLE "/services.gpkg", "--format", "gpkg", "--quiet",
                            "--out", out};
    int argc = 21;
    if (baseline) {
        args[argc++] = "--baseline";
        args[argc++] = baseline;
    }
    sg_options *o = NULL;
    int help = 1;
    sg_status st = sg_options_parse(ctx, argc, (char *const *)args, &o, &help);
    assert_int_equal(st, SG_OK);
    assert_int_equal(help, 0);
    assert_int_equal(sg_options_progress(o), 0); /* no --progress: the callback is the library caller's own */
    if (log) sg_options_set_progress(o, record_progress, log);
    st = sg_analyze(ctx, o, run);
    sg_options_free(o);
    return st;
}

/* Entries of dir other than . and .. (0 when dir does not exist). */
static int entries(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

static void progress_reports_every_stage(void **state) {
    fixture *f = *state;
    sg_ctx *ctx = sg_ctx_create();
    char *base = sg_test_path(f->dir, "base");
    sg_run *run = NULL;
    assert_int_equal(analyze_sample(ctx, base, NULL, "0", NULL, &run), SG_OK);
    sg_run_destroy(run);
    progress_log log = {.stop_at = -1};
    assert_int_equal(analyze_sample(ctx, f->out, base, "19", &log, &run), SG_OK);
    assert_non_null(run);
    sg_run_destroy(run);
    /* In [0, 1], never going back, from (0, read) to (1, done). */
    assert_true(log.n >= 12);
    for (size_t i = 0; i < log.n; i++) {
        if (!(log.f[i] >= 0 && log.f[i] <= 1)) fail_msg("call %zu: fraction %g", i, log.f[i]);
        if (i && log.f[i] < log.f[i - 1]) fail_msg("call %zu (%s): %g after %g", i, log.msg[i], log.f[i], log.f[i - 1]);
    }
    assert_true(log.f[0] == 0);
    assert_string_equal(log.msg[0], "read");
    assert_true(log.f[log.n - 1] == 1);
    assert_string_equal(log.msg[log.n - 1], "done");
    /* Every stage named, in flow order; the permutations also while they run. */
    static const char *const stages[] = {"read",         "project",    "indices",       "permutations",
                                         "access",       "objectives", "write.layers",  "write.qgis",
                                         "write.summary", "compare",   "done"};
    size_t ns = sizeof stages / sizeof stages[0], next = 0, perms = 0;
    for (size_t i = 0; i < log.n; i++) {
        perms += strcmp(log.msg[i], "permutations") == 0;
        size_t k = 0;
        while (k < ns && strcmp(stages[k], log.msg[i]) != 0) k++;
        if (k == ns) fail_msg("call %zu names no stage: '%s'", i, log.msg[i]);
        if (k < next - (next > 0)) fail_msg("stage %s after %s", log.msg[i], stages[next - 1]);
        if (k >= next) {
            if (k != next) fail_msg("stage %s missing before %s", stages[next], log.msg[i]);
            next = k + 1;
        }
    }
    assert_int_equal(next, ns);
    assert_true(perms > 5); /* 19 replicates: a call every 2 %, at most one per replicate */
    assert_true(perms <= 19);
    free(base);
    sg_ctx_destroy(ctx);
}

/* A callback that returns 0 at any call but the last cancels the run with
 * SG_ERR_CANCELLED and leaves no file, whether the layers were in place yet
 * or not; the last call (done) cancels nothing. */
static void progress_zero_cancels(void **state) {
    fixture *f = *state;
    sg_ctx *ctx = sg_ctx_create();
    char *base = sg_test_path(f->dir, "base");
    sg_run *run = NULL;
    assert_int_equal(analyze_sample(ctx, base, NULL, "0", NULL, &run), SG_OK);
    sg_run_destroy(run);
    progress_log all = {.stop_at = -1};
    char *full = sg_test_path(f->dir, "full");
    assert_int_equal(analyze_sample(ctx, full, base, "5", &all, &run), SG_OK);
    sg_run_destroy(run);
    assert_true(all.n >= 12);
    for (size_t k = 0; k < all.n; k++) {
        char name[32];
        snprintf(name, sizeof name, "cancel%02zu", k);
        char *out = sg_test_path(f->dir, name);
        progress_log log = {.stop_at = (long)k};
        sg_status st = analyze_sample(ctx, out, base, "5", &log, &run);
        if (k + 1 < all.n) {
            if (st != SG_ERR_CANCELLED)
                fail_msg("stop at call %zu (%s): status %s, not cancelled", k, all.msg[k], sg_status_name(st));
            assert_null(run);
            assert_int_equal(log.n, k + 1); /* no call after the one that said stop */
            assert_int_equal(sg_ctx_last_status(ctx), SG_ERR_CANCELLED);
            assert_non_null(strstr(sg_ctx_last_error(ctx), "interrupted"));
            if (entries(out) != 0) fail_msg("stop at call %zu (%s): %d files left in %s", k, all.msg[k], entries(out), out);
        } else {
            assert_int_equal(st, SG_OK); /* (1, done): the run is complete */
            assert_true(entries(out) >= 10);
            sg_run_destroy(run);
        }
        sg_ctx_uncancel(ctx); /* a 0 cancels the context, as sg_ctx_cancel does */
        sg_ctx_clear(ctx);
        free(out);
    }
    free(full);
    free(base);
    sg_ctx_destroy(ctx);
}

/* --progress: one line per call on stderr, 'seggap: progress F STAGE'; the
 * summary on stdout as without it. */
static void progress_flag_prints_lines(void **state) {
    fixture *f = *state;
    char args[2048];
    snprintf(args, sizeof args, "%s --out '%s' --progress --permutations 9", sample_args, f->out);
    assert_int_equal(run_cli(f, args), 0);
    char *e = sg_test_path(f->dir, "stderr"), *o = sg_test_path(f->dir, "stdout");
    char *err = slurp(e), *with = slurp(o);
    double last = -1;
    int lines = 0;
    for (char *line = strtok(err, "\n"); line; line = strtok(NULL, "\n")) {
        double fr;
        char stage[64];
        if (strncmp(line, "seggap: warning:", 16) == 0) continue;
        if (sscanf(line, "seggap: progress %lf %63s", &fr, stage) != 2) fail_msg("not a progress line: '%s'", line);
        assert_true(fr >= last && fr <= 1);
        last = fr;
        lines++;
    }
    assert_true(lines >= 10);
    assert_true(last == 1);
    free(err);
    err = slurp(e);
    assert_non_null(strstr(err, "seggap: progress 0.00 read\n"));
    assert_non_null(strstr(err, "seggap: progress 1.00 done\n"));
    /* Without --progress: no progress line, the same summary. */
    snprintf(args, sizeof args, "%s --out '%s' --permutations 9", sample_args, f->out);
    assert_int_equal(run_cli(f, args), 0);
    free(err);
    err = slurp(e);
    char *without = slurp(o);
    assert_null(strstr(err, "progress"));
    assert_string_equal(with, without);
    free(err);
    free(with);
    free(without);
    free(e);
    free(o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(sample_end_to_end, setup, teardown),
        cmocka_unit_test_setup_teardown(json_flag_prints_summary, setup, teardown),
        cmocka_unit_test_setup_teardown(title_option, setup, teardown),
        cmocka_unit_test_setup_teardown(weights_in_words, setup, teardown),
        cmocka_unit_test_setup_teardown(exit_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(usage_error_is_two_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(config_keys_did_you_mean, setup, teardown),
        cmocka_unit_test_setup_teardown(control_bytes_are_escaped, setup, teardown),
        cmocka_unit_test_setup_teardown(progress_reports_every_stage, setup, teardown),
        cmocka_unit_test_setup_teardown(progress_zero_cancels, setup, teardown),
        cmocka_unit_test_setup_teardown(progress_flag_prints_lines, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

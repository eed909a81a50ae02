/* Bad input gets a clear error naming file, layer, feature and field, and
 * nothing is lost: every district read is in the output or in the report. */
#include <json-c/json.h>

#include "test_support.h"

typedef struct fixture {
    sg_ctx *ctx;
    char *dir, *out, *districts, *csv;
    char *sq[6];
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->ctx = sg_ctx_create();
    f->dir = sg_test_tmpdir();
    f->out = sg_test_path(f->dir, "out");
    f->districts = sg_test_path(f->dir, "districts.geojson");
    f->csv = sg_test_path(f->dir, "census.csv");
    for (int i = 0; i < 6; i++) f->sq[i] = fx_square(i % 3, i / 3);
    *state = f;
    return 0;
}
static int teardown(void **state) {
    fixture *f = *state;
    sg_ctx_destroy(f->ctx);
    sg_test_rmdir(f->dir);
    free(f->out);
    free(f->districts);
    free(f->csv);
    for (int i = 0; i < 6; i++) free(f->sq[i]);
    free(f);
    return 0;
}

/* Four good districts in a GeoJSON file with numeric fields. */
static void write_good(fixture *f, const char *total3, const char *group3) {
    fx_row rows[] = {{f->sq[0], "0001", "100", "10"},
                     {f->sq[1], "0002", "200", "80"},
                     {f->sq[2], "0003", "150", "30"},
                     {f->sq[3], "0004", total3, group3}};
    fx_write(f->districts, "GeoJSON", 4326, rows, 4, 1);
}

static sg_status run_plain(fixture *f, sg_run **run, const char *extra1, const char *extra2) {
    const char *args[] = {"--districts", f->districts, "--id", "id", "--total", "total", "--group", "group",
                          "--out", f->out, "--quiet", extra1, extra2, NULL};
    return sg_test_analyze(f->ctx, run, args);
}

static void missing_file(void **state) {
    fixture *f = *state;
    sg_run *run = NULL;
    assert_int_equal(run_plain(f, &run, NULL, NULL), SG_ERR_INPUT);
    assert_null(run);
    assert_diag(f->ctx, "E_OPEN", f->districts, "no such file");
    assert_int_equal(sg_status_exit_code(SG_ERR_INPUT), 1);
    assert_false(sg_test_exists(f->out));
}

/* Issue 16 item 20: a failing /vsizip/ or /vsicurl/ open read "no such file"
 * (stat's answer for a path that is no file name); now GDAL's own message,
 * or which part of the archive path is missing. A missing table said "not a
 * readable table (a CSV needs a header line ...)": now "no such file". */
static void virtual_paths_say_why(void **state) {
    fixture *f = *state;
    write_good(f, "50", "5");
    /* an archive holding the districts, made through GDAL's /vsizip/ */
    char *zip = sg_test_path(f->dir, "d.zip");
    char member[4096];
    snprintf(member, sizeof member, "/vsizip/%s/districts.geojson", zip);
    VSILFILE *in = VSIFOpenL(f->districts, "rb"), *out = VSIFOpenL(member, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[4096];
    size_t n;
    while ((n = VSIFReadL(buf, 1, sizeof buf, in)) > 0) assert_int_equal(VSIFWriteL(buf, 1, n, out), n);
    VSIFCloseL(in);
    assert_int_equal(VSIFCloseL(out), 0);
    const char *args[] = {"--districts", member, "--id", "id", "--total", "total", "--group", "group",
                          "--out", f->out, "--quiet", NULL};
    sg_run *run = NULL;
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_OK); /* the archive works */
    sg_run_destroy(run);
    char nomember[4096], noarchive[4096];
    snprintf(nomember, sizeof nomember, "/vsizip/%s/nope.geojson", zip);
    args[1] = nomember;
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_ERR_INPUT);
    assert_diag(f->ctx, "E_OPEN", "has no member 'nope.geojson'", "districts.geojson");
    assert_null(strstr(sg_ctx_last_error(f->ctx), "no such file"));
    snprintf(noarchive, sizeof noarchive, "/vsizip/%s/missing.zip/districts.geojson", f->dir);
    args[1] = noarchive;
    sg_ctx_clear(f->ctx);
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_ERR_INPUT);
    assert_diag(f->ctx, "E_OPEN", "no archive along", "missing.zip/districts.geojson");
    /* a server that does not answer (a closed port on this machine): GDAL's words */
    args[1] = "/vsicurl/http://127.0.0.1:9/districts.geojson";
    sg_ctx_clear(f->ctx);
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_ERR_INPUT);
    assert_diag(f->ctx, "E_OPEN", "HTTP response code", "cannot be reached");
    /* the census table: the same, and a plain missing file is "no such file" */
    const char *targs[] = {"--districts", f->districts, "--id", "id", "--total", "total", "--group", "group",
                           "--table", nomember, "--table-key", "id", "--out", f->out, "--quiet", NULL};
    sg_ctx_clear(f->ctx);
    assert_int_equal(sg_test_analyze(f->ctx, &run, targs), SG_ERR_INPUT);
    assert_diag(f->ctx, "E_OPEN", "census table", "has no member 'nope.geojson'");
    targs[9] = f->csv; /* not written */
    sg_ctx_clear(f->ctx);
    assert_int_equal(sg_test_analyze(f->ctx, &run, targs), SG_ERR_INPUT);
    assert_diag(f->ctx, "E_OPEN", "census.csv", "cannot open census table: no such file");
    free(zip);
}

static void missing_layer_lists_layers(void **state) {
    fixture *f = *state;
    write_good(f, "50", "5");
    sg_run *run = NULL;
    assert_int_equal(run_plain(f, &run, "--layer", "nope"), SG_ERR_INPUT);
    assert_diag(f->ctx, "E_NO_LAYER", f->districts, "'nope'", "layers: districts");
}

static void missing_field_lists_fields(void **state) {
    fixture *f = *state;
    write_good(f, "50", "5");
    const char *args[] = {"--districts", f->districts, "--id", "id", "--total", "TOTAL_POP", "--group", "group",
                          "--out", f->out, NULL};
    sg_run *run = NULL;
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_ERR_DATA);
    assert_diag(f->ctx, "E_MISSING_FIELD", "'TOTAL_POP'", "--total", "fields: id, total, group");
    const char *args2[] = {"--districts", f->districts, "--id", "code", "--total", "total", "--group", "group",
                           "--out", f->out, NULL};
    assert_int_equal(sg_test_analyze(f->ctx, &run, args2), SG_ERR_DATA);
    assert_diag(f->ctx, "E_MISSING_FIELD", "'code'", "--id", "fields: id, total, group");
}

/* Counts stored as text are parsed strictly, in a joined CSV. */
static void text_numbers_are_strict(void **state) {
    fixture *f = *state;
    fx_row rows[] = {{f->sq[0], "0001", NULL, NULL}, {f->sq[1], "0002", NULL, NULL},
                     {f->sq[2], "0003", NULL, NULL}, {f->sq[3], "0004", NULL, NULL}};
    fx_write(f->districts, "GeoJSON", 4326, rows, 4, 0);
    sg_test_write_file(f->csv, "code,pop,mig\n0001,1 234,10\n0002,200,\"12,5\"\n0003,150,abc\n0004,100,nan\n");
    const char *args[] = {"--districts", f->districts, "--id", "id", "--table", f->csv, "--table-key", "code",
                          "--total", "pop", "--group", "mig", "--out", f->out, NULL};
    sg_run *run = NULL;
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_ERR_DATA);
    assert_diag(f->ctx, "E_NOT_NUMBER", f->csv, "id '0001'", "field 'pop'", "'1 234'", "space");
    assert_diag(f->ctx, "E_NOT_NUMBER", "id '0002'", "field 'mig'", "'12,5'", "comma");
    assert_diag(f->ctx, "E_NOT_NUMBER", "id '0003'", "'abc'");
    assert_diag(f->ctx, "E_NOT_NUMBER", "id '0004'", "'nan'", "finite");
    assert_int_equal(sg_ctx_count(f->ctx, SG_SEV_ERROR), 4); /* all reported, not just the first */
    assert_false(sg_test_exists(f->out));
}

static void negative_count(void **state) {
    fixture *f = *state;
    write_good(f, "50", "-5");
    sg_run *run = NULL;
    assert_int_equal(run_plain(f, &run, NULL, NULL), SG_ERR_DATA);
    assert_diag(f->ctx, "E_NEGATIVE", f->districts, "layer 'districts'", "id '0004'", "field 'group'", "-5");
}

static void group_above_total(void **state) {
    fixture *f = *state;
    write_good(f, "50", "60");
    sg_run *run = NULL;
    assert_int_equal(run_plain(f, &run, NULL, NULL), SG_ERR_DATA);
    assert_diag(f->ctx, "E_GROUP_GT_TOTAL", "fid 3", "id '0004'", "field 'group'", "60", "50");
}

static void duplicate_ids(void **state) {
    fixture *f = *state;
    fx_row rows[] = {{f->sq[0], "0001", "100", "10"}, {f->sq[1], "0002", "100", "20"},
                     {f->sq[2], "0002", "100", "30"}};
    fx_write(f->districts, "GeoJSON", 4326, rows, 3, 1);
    sg_run *run = NULL;
    assert_int_equal(run_plain(f, &run, NULL, NULL), SG_ERR_DATA);
    assert_diag(f->ctx, "E_DUPLICATE_ID", "fid 2", "id '0002'", "field 'id'", "also on fid 1");
}

static void null_and_empty_geometry(void **state) {
    fixture *f = *state;
    /* GeoPackage keeps an empty polygon as such (GeoJSON would write null). */
    fx_row rows[] = {{f->sq[0], "0001", "100", "10"}, {NULL, "0002", "100", "20"},
                     {"POLYGON EMPTY", "0003", "100", "30"}, {"POINT (13 52)", "0004", "10", "3"}};
    char *gpkg = sg_test_path(f->dir, "d.gpkg");
    fx_write(gpkg, "GPKG", 4326, rows, 4, 1);
    const char *args[] = {"--districts", gpkg, "--id", "id", "--total", "total", "--group", "group",
                          "--out", f->out, NULL};
    sg_run *run = NULL;
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_ERR_DATA);
    free(gpkg);
    assert_diag(f->ctx, "E_NULL_GEOMETRY", "d.gpkg", "id '0002'", "null");
    assert_diag(f->ctx, "E_EMPTY_GEOMETRY", "id '0003'", "empty");
    assert_diag(f->ctx, "E_NOT_POLYGON", "id '0004'", "Point");
}

/* A bow-tie: repaired and reported by default, rejected with --strict. */
static void invalid_geometry_repaired_or_rejected(void **state) {
    fixture *f = *state;
    fx_row rows[] = {{f->sq[0], "0001", "100", "10"},
                     {f->sq[1], "0002", "200", "80"},
                     {"POLYGON((13.0 52.02,13.01 52.03,13.01 52.02,13.0 52.03,13.0 52.02))", "0003", "100", "50"}};
    fx_write(f->districts, "GeoJSON", 4326, rows, 3, 1);
    sg_run *run = NULL;
    assert_int_equal(run_plain(f, &run, NULL, NULL), SG_OK);
    assert_diag(f->ctx, "W_GEOMETRY_REPAIRED", "id '0003'", "Self-intersection");
    size_t used;
    sg_run_counts(run, NULL, &used, NULL);
    assert_int_equal(used, 3); /* repaired districts still count */
    assert_non_null(strstr(sg_run_summary_json(run), "\"repaired_geometry\""));
    sg_run_destroy(run);
    sg_ctx_clear(f->ctx);
    assert_int_equal(run_plain(f, &run, "--strict", NULL), SG_ERR_DATA);
    assert_diag(f->ctx, "E_INVALID_GEOMETRY", "id '0003'", "--strict");
}

static void no_crs_needs_input_crs(void **state) {
    fixture *f = *state;
    char *shp = sg_test_path(f->dir, "nocrs.shp");
    fx_row rows[] = {{f->sq[0], "0001", "100", "10"}, {f->sq[1], "0002", "200", "80"}};
    fx_write(shp, "ESRI Shapefile", 0, rows, 2, 1);
    const char *args[] = {"--districts", shp, "--id", "id", "--total", "total", "--group", "group",
                          "--out", f->out, "--quiet", NULL, NULL, NULL};
    sg_run *run = NULL;
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_ERR_CRS);
    assert_diag(f->ctx, "E_NO_CRS", "nocrs.shp", "--input-crs");
    args[11] = "--input-crs";
    args[12] = "EPSG:4326";
    sg_ctx_clear(f->ctx);
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_OK);
    sg_run_destroy(run);
    free(shp);
}

/* Issue 16 item 20: the help promises PROJ strings for --input-crs, but PROJ
 * reads "+proj=... +no_defs" as an operation unless it says +type=crs: it was
 * refused ("not a CRS PROJ knows"). The same for --work-crs. */
static void proj_strings_are_crs(void **state) {
    fixture *f = *state;
    char *shp = sg_test_path(f->dir, "nocrs.shp");
    fx_row rows[] = {{f->sq[0], "0001", "100", "10"}, {f->sq[1], "0002", "200", "80"}};
    fx_write(shp, "ESRI Shapefile", 0, rows, 2, 1);
    const char *args[] = {"--districts", shp, "--id", "id", "--total", "total", "--group", "group",
                          "--input-crs", "+proj=longlat +datum=WGS84 +no_defs",
                          "--work-crs", "+proj=lcc +lat_0=52 +lon_0=13 +lat_1=51 +lat_2=53 +x_0=0 +y_0=0 "
                          "+ellps=GRS80 +units=m +no_defs", "--out", f->out, "--quiet", NULL};
    sg_run *run = NULL;
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_OK);
    sg_run_destroy(run);
    /* with +type=crs already there, nothing changes */
    args[9] = "+proj=longlat +datum=WGS84 +no_defs +type=crs";
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_OK);
    sg_run_destroy(run);
    /* what is no CRS at all is still refused */
    sg_ctx_clear(f->ctx);
    args[9] = "+proj=nosuch +no_defs";
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_ERR_USAGE);
    assert_diag(f->ctx, "E_CRS", "--input-crs '+proj=nosuch +no_defs' is not a CRS PROJ knows");
    free(shp);
}

static void zero_districts_left(void **state) {
    fixture *f = *state;
    fx_row rows[] = {{f->sq[0], "0001", "0", "0"}, {f->sq[1], "0002", "0", "0"}};
    fx_write(f->districts, "GeoJSON", 4326, rows, 2, 1);
    sg_run *run = NULL;
    assert_int_equal(run_plain(f, &run, NULL, NULL), SG_ERR_DATA);
    assert_diag(f->ctx, "E_NO_DISTRICTS", "no district left", "2");
    assert_diag(f->ctx, "W_ZERO_TOTAL", "id '0001'");
}

/* Empty and NA cells: the district is kept with null values and status
 * no_data, excluded from the indices and listed; --strict makes it an error.
 * A table row without a district, and a district without a row, are reported. */
static void missing_values_and_unmatched_keys(void **state) {
    fixture *f = *state;
    fx_row rows[] = {{f->sq[0], "0001", NULL, NULL}, {f->sq[1], "0002", NULL, NULL}, {f->sq[2], "0003", NULL, NULL},
                     {f->sq[3], "0004", NULL, NULL}, {f->sq[4], "0005", NULL, NULL}, {f->sq[5], "0006", NULL, NULL}};
    fx_write(f->districts, "GeoJSON", 4326, rows, 6, 0);
    sg_test_write_file(f->csv, "code;pop;mig\r0001;100;10\r0002;200;NA\r0003;;5\r0004;300;150\r0005;120;0\r0099;50;5\r");
    const char *args[] = {"--districts", f->districts, "--id", "id", "--table", f->csv, "--table-key", "code",
                          "--total", "pop", "--group", "mig", "--out", f->out, "--quiet", NULL, NULL, NULL, NULL};
    sg_run *run = NULL;
    /* 3 of 6 districts with data: below --min-joined's default 0.8 */
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_ERR_DATA);
    assert_diag(f->ctx, "E_FEW_WITH_DATA", "only 3 of 6 districts (50 %) have data", "--min-joined 0.8",
                "1 districts have no row");
    sg_ctx_clear(f->ctx);
    args[15] = "--min-joined";
    args[16] = "0.5";
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_OK);
    size_t nread, used, excl;
    sg_run_counts(run, &nread, &used, &excl);
    assert_int_equal(nread, 6);
    assert_int_equal(used, 3);
    assert_int_equal(excl, 3);
    assert_diag(f->ctx, "W_NO_DATA", "id '0002'", "mig");
    assert_diag(f->ctx, "W_NO_DATA", "id '0003'", "pop");
    assert_diag(f->ctx, "W_NO_DATA", "id '0006'", "no row");
    assert_diag(f->ctx, "W_ROW_WITHOUT_DISTRICT", "1 of 6 rows", "0099");
    assert_diag(f->ctx, "W_DISTRICT_WITHOUT_ROW", "1 of 6 districts", "0006");
    /* x = 10, 150, 0; t = 100, 300, 120: X = 160, Y = 360
     * D = (|10/160 - 90/360| + |150/160 - 150/360| + |0 - 120/360|) / 2 */
    double d;
    assert_true(sg_run_index(run, "dissimilarity", &d));
    sg_assert_near(d, 0.5 * (fabs(10 / 160.0 - 90 / 360.0) + fabs(150 / 160.0 - 150 / 360.0) + 120 / 360.0), 1e-14);
    sg_run_destroy(run);

    /* All six districts are in the layer, the excluded ones with nulls. */
    char *layer = sg_test_path(f->out, "districts.geojson");
    GDALDatasetH ds = GDALOpenEx(layer, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH lyr = GDALDatasetGetLayer(ds, 0);
    assert_int_equal(OGR_L_GetFeatureCount(lyr, 1), 6);
    OGRFeatureH ft;
    int no_data = 0;
    while ((ft = OGR_L_GetNextFeature(lyr)) != NULL) {
        const char *status = OGR_F_GetFieldAsString(ft, OGR_F_GetFieldIndex(ft, "status"));
        if (strcmp(status, "no_data") == 0) {
            no_data++;
            assert_false(OGR_F_IsFieldSetAndNotNull(ft, OGR_F_GetFieldIndex(ft, "share")));
        }
        OGR_F_Destroy(ft);
    }
    assert_int_equal(no_data, 3);
    GDALClose(ds);
    free(layer);

    sg_ctx_clear(f->ctx);
    args[17] = "--strict";
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_ERR_DATA);
    assert_diag(f->ctx, "E_MISSING_VALUE", "id '0002'", "field 'mig'", "--strict");
}

static void leading_zero_hint(void **state) {
    fixture *f = *state;
    write_good(f, "50", "5");
    sg_test_write_file(f->csv, "code,extra\n1,5\n2,6\n3,7\n4,8\n");
    const char *args[] = {"--districts", f->districts, "--id", "id", "--table", f->csv, "--table-key", "code",
                          "--total", "total", "--group", "group", "--out", f->out, "--quiet", NULL};
    sg_run *run = NULL;
    /* issue 17: a table that matches no district is an error (E_JOIN_NONE), not a run that goes on
     * without it; the leading-zero diagnosis still comes with it */
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_ERR_DATA);
    assert_diag(f->ctx, "W_KEY_LEADING_ZEROS", "4 unmatched keys", "leading zeros");
    assert_diag(f->ctx, "E_JOIN_NONE", "none of the 4 rows", "1, 2, 3, 4", "0001");
}

static void shares_with_totals(void **state) {
    fixture *f = *state;
    fx_row rows[] = {{f->sq[0], "0001", "200", "0.1"}, {f->sq[1], "0002", "100", "0.6"}};
    fx_write(f->districts, "GeoJSON", 4326, rows, 2, 1);
    const char *args[] = {"--districts", f->districts, "--id", "id", "--total", "total", "--group-share", "group",
                          "--share-scale", "fraction", "--out", f->out, "--quiet", NULL};
    sg_run *run = NULL;
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_OK);
    /* x = 20, 60; y = 180, 40: D = (|20/80 - 180/220| + |60/80 - 40/220|) / 2 */
    double d;
    assert_true(sg_run_index(run, "dissimilarity", &d));
    sg_assert_near(d, 0.5 * (fabs(0.25 - 180 / 220.0) + fabs(0.75 - 40 / 220.0)), 1e-14);
    sg_run_destroy(run);
    /* 60 is not a fraction; as a percent it is fine. */
    fx_row bad[] = {{f->sq[0], "0001", "200", "10"}, {f->sq[1], "0002", "100", "60"}};
    fx_write(f->districts, "GeoJSON", 4326, bad, 2, 1);
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_ERR_DATA);
    assert_diag(f->ctx, "E_SHARE_RANGE", "id '0002'", "field 'group'", "outside [0, 1]", "fraction");
    args[9] = "percent";
    sg_ctx_clear(f->ctx);
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_OK);
    sg_run_destroy(run);
}

static void write_bytes(const char *path, const char *bytes, size_t n) {
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(bytes, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
}

/* Issue 16 item 14: GDAL's CSV reader ends a line at a NUL byte, so "8\0 0"
 * read as 8 and the run went on (exit 0). Now the file is refused, naming the
 * file, the row (fid), the field and the line. */
static void nul_byte_in_csv_cell(void **state) {
    fixture *f = *state;
    fx_row rows[] = {{f->sq[0], "0001", NULL, NULL}, {f->sq[1], "0002", NULL, NULL},
                     {f->sq[2], "0003", NULL, NULL}, {f->sq[3], "0004", NULL, NULL}};
    fx_write(f->districts, "GeoJSON", 4326, rows, 4, 0);
    static const char last[] = "code,pop,mig\n0001,100,10\n0002,200,8\0 0\n0003,150,30\n0004,50,5\n";
    write_bytes(f->csv, last, sizeof last - 1);
    const char *args[] = {"--districts", f->districts, "--id", "id", "--table", f->csv, "--table-key", "code",
                          "--total", "pop", "--group", "mig", "--out", f->out, "--quiet", NULL};
    sg_run *run = NULL;
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_ERR_DATA);
    assert_null(run);
    assert_diag(f->ctx, "E_NUL_BYTE", f->csv, "layer 'census'", "fid 2", "field 'mig'", "line 3", "NUL byte");
    assert_false(sg_test_exists(f->out));

    /* Semicolons, CRLF, a blank line and a quoted line break before it (they
     * shift lines, not rows), the NUL in a middle column. */
    sg_ctx_clear(f->ctx);
    static const char mid[] = "code;pop;mig\r\n0001;100;\"1\n0\"\r\n\r\n0002;2\0 00;80\r\n0003;150;30\r\n";
    write_bytes(f->csv, mid, sizeof mid - 1);
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_ERR_DATA);
    assert_diag(f->ctx, "E_NUL_BYTE", "fid 2", "field 'pop'", "line 5");

    /* Districts from a CSV (WKT column) go through the same check. */
    sg_ctx_clear(f->ctx);
    char *dcsv = sg_test_path(f->dir, "districts.csv");
    static const char wkt[] = "WKT,id,total,group\n"
                              "\"POLYGON((13 52,13.01 52,13.01 52.01,13 52.01,13 52))\",0001,100,1\0 0\n"
                              "\"POLYGON((13.01 52,13.02 52,13.02 52.01,13.01 52.01,13.01 52))\",0002,100,50\n";
    write_bytes(dcsv, wkt, sizeof wkt - 1);
    const char *dargs[] = {"--districts", dcsv, "--id", "id", "--total", "total", "--group", "group",
                           "--input-crs", "EPSG:4326", "--out", f->out, "--quiet", NULL};
    assert_int_equal(sg_test_analyze(f->ctx, &run, dargs), SG_ERR_DATA);
    assert_diag(f->ctx, "E_NUL_BYTE", dcsv, "fid 1", "field 'group'", "line 2");
    free(dcsv);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(virtual_paths_say_why, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_layer_lists_layers, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_field_lists_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(text_numbers_are_strict, setup, teardown),
        cmocka_unit_test_setup_teardown(negative_count, setup, teardown),
        cmocka_unit_test_setup_teardown(group_above_total, setup, teardown),
        cmocka_unit_test_setup_teardown(duplicate_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(null_and_empty_geometry, setup, teardown),
        cmocka_unit_test_setup_teardown(invalid_geometry_repaired_or_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(no_crs_needs_input_crs, setup, teardown),
        cmocka_unit_test_setup_teardown(proj_strings_are_crs, setup, teardown),
        cmocka_unit_test_setup_teardown(zero_districts_left, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_values_and_unmatched_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(leading_zero_hint, setup, teardown),
        cmocka_unit_test_setup_teardown(shares_with_totals, setup, teardown),
        cmocka_unit_test_setup_teardown(nul_byte_in_csv_cell, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

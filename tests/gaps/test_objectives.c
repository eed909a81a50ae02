/* Objectives 5 and 10: the classification rules on districts whose class is
 * known by construction (arrays, then a synthetic city through sg_analyze
 * with a housing layer in another CRS and a census table), the planner
 * outputs (layers, --format gpkg|shp), and the QGIS styles and project
 * parsed back with libxml2. */
#include "test_support.h"

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <json-c/json.h>

#include "write/write.h"

/* ---- objective 5 on arrays ---- */

/* Seven districts with residents and one without. Distances of the two
 * service types rank d1 < d4 < d6 < d7 < d0 < d2 < d3, so with equal totals
 * the population-weighted median access score is d7's: d0, d2, d3 are
 * underserved, the others not.
 *   d0 lq 2.0               far  -> concentrated_underserved
 *   d1 lq 2.0               near -> concentrated_served
 *   d2 lq 0.8, Gi* hot spot far  -> concentrated_underserved
 *   d3 lq 0.8               far  -> underserved
 *   d4 lq 0.8               near -> ok
 *   d5 no residents              -> no_data
 *   d6 lq 1.5 (= threshold) near -> concentrated_served
 *   d7 lq 1.2, Gi* cold spot near -> ok */
static void gap5_rules(void **state) {
    (void)state;
    sg_ctx *ctx = sg_ctx_create();
    enum { N = 8 };
    unsigned char usable[N] = {1, 1, 1, 1, 1, 0, 1, 1};
    double total[N] = {1000, 1000, 1000, 1000, 1000, 0, 1000, 1000};
    double group[N] = {400, 400, 100, 100, 100, 0, 300, 240};
    double lq[N] = {2.0, 2.0, 0.8, 0.8, 0.8, NAN, 1.5, 1.2};
    double gz[N] = {0.5, 0.1, 2.5, 0.3, 0.2, NAN, 0.0, -3.0};
    double gp[N] = {0.6, 0.9, 0.01, 0.7, 0.8, NAN, 1.0, 0.001};
    double da[N] = {1000, 100, 2000, 3000, 200, NAN, 300, 400};
    double db[N] = {1100, 110, 2100, 3100, 210, 5, 310, NAN}; /* d7 unknown: scored on type a alone */
    const double *dist[2] = {da, db};
    sg_gap5_in in = {N, usable, total, group, lq, gz, gp, 2, dist, 1.5, 0.05, 0, NULL};
    sg_gap5_out out;
    assert_int_equal(sg__gap5_classify(ctx, &in, &out), SG_OK);
    const sg_gap5 want[N] = {SG_GAP5_CONC_UNDERSERVED, SG_GAP5_CONC_SERVED, SG_GAP5_CONC_UNDERSERVED,
                             SG_GAP5_UNDERSERVED,      SG_GAP5_OK,          SG_GAP5_NO_DATA,
                             SG_GAP5_CONC_SERVED,      SG_GAP5_OK};
    for (int i = 0; i < N; i++) {
        if (out.cls[i] != want[i])
            fail_msg("d%d: %s, want %s", i, sg__gap5_name((sg_gap5)out.cls[i]), sg__gap5_name(want[i]));
    }
    assert_int_equal(out.hotspot[2], 1);
    assert_int_equal(out.hotspot[7], 0); /* a cold spot is not a concentration */
    /* access: mid-rank percentile over the 7 districts with residents for
     * type a, the 6 with a distance for type b (d7 unknown) */
    sg_assert_near(out.access_score[1], 0.0, 1e-12);
    sg_assert_near(out.access_score[3], 1.0, 1e-12);
    sg_assert_near(out.access_score[0], (4.0 / 6.0 + 3.0 / 5.0) / 2, 1e-12);
    sg_assert_near(out.access_score[7], 3.0 / 6.0, 1e-12); /* type a only: rank 3 of 0..6 */
    assert_true(isnan(out.access_score[5]));
    sg_assert_near(out.access_median, 3.0 / 6.0, 1e-12);
    /* score: lq ranks .8,.8,.8 -> 1/6, 1.2 -> 3/6, 1.5 -> 4/6, 2,2 -> 5.5/6 */
    sg_assert_near(out.score[0], sqrt(5.5 / 6 * (4.0 / 6.0 + 3.0 / 5.0) / 2), 1e-12);
    sg_assert_near(out.score[3], sqrt(1.0 / 6 * 1.0), 1e-12);
    sg_assert_near(out.rank[0], 1, 0);
    assert_true(isnan(out.rank[5]));
    assert_int_equal(out.count[SG_GAP5_CONC_UNDERSERVED], 2);
    assert_int_equal(out.count[SG_GAP5_NO_DATA], 1);
    sg__gap5_out_free(&out);

    /* Without service data: only concentration, access_score null. */
    in.ntypes = 0;
    assert_int_equal(sg__gap5_classify(ctx, &in, &out), SG_OK);
    const sg_gap5 want0[N] = {SG_GAP5_CONCENTRATED,     SG_GAP5_CONCENTRATED, SG_GAP5_CONCENTRATED,
                              SG_GAP5_NOT_CONCENTRATED, SG_GAP5_NOT_CONCENTRATED, SG_GAP5_NO_DATA,
                              SG_GAP5_CONCENTRATED,     SG_GAP5_NOT_CONCENTRATED};
    for (int i = 0; i < N; i++) {
        assert_int_equal(out.cls[i], want0[i]);
        assert_true(isnan(out.access_score[i]));
    }
    assert_true(isnan(out.access_median));
    sg_assert_near(out.score[0], 5.5 / 6, 1e-12);
    sg__gap5_out_free(&out);
    /* A higher threshold: only the hot spot is left. */
    in.lq_threshold = 5;
    assert_int_equal(sg__gap5_classify(ctx, &in, &out), SG_OK);
    for (int i = 0; i < N; i++) assert_int_equal(out.concentrated[i], i == 2);
    sg__gap5_out_free(&out);
    sg_ctx_destroy(ctx);
}

static void percentile_ties(void **state) {
    (void)state;
    double v[6] = {5, 1, 5, NAN, 3, 9};
    unsigned char mask[6] = {1, 1, 1, 1, 1, 0};
    double r[6];
    assert_int_equal(sg__percentile_rank(v, mask, 6, r), 0);
    /* 1 -> 0, 3 -> 1/3, 5, 5 -> 2.5/3; NaN and masked -> NaN */
    sg_assert_near(r[1], 0, 0);
    sg_assert_near(r[4], 1.0 / 3, 1e-15);
    sg_assert_near(r[0], 2.5 / 3, 1e-15);
    sg_assert_near(r[2], 2.5 / 3, 1e-15);
    assert_true(isnan(r[3]) && isnan(r[5]));
}

/* Objective 5 and the services layer from the access stage's result alone:
 * the types are the access stage's (in its order), each with its column
 * dist_TYPE_m taken by that exact name; a column that merely looks like one
 * (dist_decoy_m) is no service type. The services layer is a copy of the
 * stage's per-location values: nothing is opened or measured again. */
static void objective5_from_access(void **state) {
    (void)state;
    sg_ctx *ctx = sg_ctx_create();
    enum { N = 4 };
    double total[N] = {100, 100, 100, 100}, group[N] = {40, 10, 10, 10};
    unsigned char status[N] = {SG_DS_OK, SG_DS_OK, SG_DS_OK, SG_DS_OK};
    sg_city c;
    memset(&c, 0, sizeof c);
    c.n = N;
    c.total = total;
    c.group = group;
    c.status = status;
    sg_result res;
    memset(&res, 0, sizeof res);
    res.n = N;
    double *lq = sg__result_column(&res, "lq"), *decoy = sg__result_column(&res, "dist_decoy_m");
    double *dp = sg__result_column(&res, "dist_park_m"), *ds = sg__result_column(&res, "dist_school_m");
    assert_true(lq && decoy && dp && ds);
    for (size_t i = 0; i < N; i++) {
        lq[i] = group[i] / total[i] / 0.175;
        decoy[i] = (double)i;
        dp[i] = 100.0 * (double)(N - i);
        ds[i] = 200.0 * (double)(i + 1);
    }
    /* two types, school first (its column comes after park's in res) */
    double radius[2] = {500, 1000};
    long long fid[3] = {7, 7, 9};
    char *names[3] = {"A", "A", NULL};
    double cap[3] = {5, 5, 3}, x[3] = {1, 2, 3}, y[3] = {4, 5, 6};
    double f2[3] = {0.5, 0.25, 0}, e2[3] = {0.75, 0.5, 0}, pc[3] = {10, 20, 0}, pr[6] = {1, 2, 3, 4, 0, 0};
    sg_access_type t[2];
    memset(t, 0, sizeof t);
    t[0].type = "school";
    t[0].locations = 2;
    t[1].type = "park";
    t[1].locations = 1;
    for (int k = 0; k < 2; k++) {
        size_t o = k == 0 ? 0 : 2;
        t[k].fid = fid + o;
        t[k].name = names + o;
        t[k].cap = cap + o;
        t[k].x = x + o;
        t[k].y = y + o;
        t[k].supply = (sg_supply){t[k].locations, 2, f2 + o, e2 + o, pc + o, pr + 2 * o, 0};
    }
    struct sg_access A;
    memset(&A, 0, sizeof A);
    A.mode = "planar";
    A.radius = radius;
    A.nradius = 2;
    A.catchment = 1500;
    A.t = t;
    A.nt = 2;
    sg_options o;
    memset(&o, 0, sizeof o);
    o.lq_threshold = 1.5;
    sg_gaps_in in = {&o, &c, &res, &A, NULL};
    struct sg_gaps *g = NULL;
    assert_int_equal(sg__objective5(ctx, &in, &g), SG_OK);
    assert_int_equal(g->ntypes, 2);
    assert_string_equal(g->types[0], "school");
    assert_string_equal(g->types[1], "park");
    assert_ptr_equal(g->dist[0], ds);
    assert_ptr_equal(g->dist[1], dp);
    const sg_sites *S = &g->sites;
    assert_int_equal(S->n, 3);
    assert_int_equal(S->nradius, 2);
    assert_string_equal(S->pop_r_names[1], "pop_within_1000");
    assert_string_equal(S->mode, "planar");
    sg_assert_near(S->catchment, 1500, 0);
    const char *want_type[3] = {"school", "school", "park"};
    for (size_t k = 0; k < 3; k++) {
        assert_string_equal(S->type[k], want_type[k]);
        if (names[k]) assert_string_equal(S->name[k], names[k]);
        else assert_null(S->name[k]);
        sg_assert_near(S->fid[k], (double)fid[k], 0);
        sg_assert_near(S->capacity[k], cap[k], 0);
        sg_assert_near(S->fca2[k], f2[k], 0);
        sg_assert_near(S->e2sfca[k], e2[k], 0);
        sg_assert_near(S->pop_catchment[k], pc[k], 0);
        sg_assert_near(S->pop_r[2 * k + 1], pr[2 * k + 1], 0);
        sg_assert_near(S->x[k], x[k], 0);
        sg_assert_near(S->y[k], y[k], 0);
    }
    sg__gaps_free(g);
    /* an access type without its column is an internal error, not a silent skip */
    t[1].type = "pool";
    g = NULL;
    assert_int_equal(sg__objective5(ctx, &in, &g), SG_ERR_INTERNAL);
    sg__gaps_free(g);
    /* without the access stage: no type, whatever the columns are called */
    in.access = NULL;
    g = NULL;
    assert_int_equal(sg__objective5(ctx, &in, &g), SG_OK);
    assert_int_equal(g->ntypes, 0);
    assert_int_equal(g->sites.n, 0);
    sg__gaps_free(g);
    sg__result_free(&res);
    sg_ctx_destroy(ctx);
}

/* ---- objective 10 on arrays ---- */

/* d0..d3, d6 concentrated; d4, d5 not; d7 has no residents. Units: city
 * supply = 145 / 6000 x 1000 = 24.17 per 1,000. Overcrowding: city = 1.14 / 6
 * = 0.19 (d3 unknown).
 *   d0 100 units (high), 0.30 (over)  -> supply_deepens_concentration (first)
 *   d1 0 (low), 0.30 (over)           -> concentrated_overcrowded
 *   d2 5 (low), 0.02                  -> concentrated_low_supply
 *   d3 20 (low), overcrowding unknown -> no_data (overcrowded undecided)
 *   d6 units unknown, 0.01            -> no_data (supply undecided)
 *   d4 10, 0.50 not concentrated      -> ok (flags: overcrowded, low_supply)
 *   d5 10, 0.01                       -> ok
 *   d7 no residents                   -> no_data */
static void gap10_rules(void **state) {
    (void)state;
    sg_ctx *ctx = sg_ctx_create();
    enum { N = 8 };
    unsigned char usable[N] = {1, 1, 1, 1, 1, 1, 1, 0};
    unsigned char conc[N] = {1, 1, 1, 1, 0, 0, 1, 0};
    double total[N] = {1000, 1000, 1000, 1000, 1000, 1000, 1000, 0};
    double group[N] = {500, 500, 450, 400, 100, 100, 500, 0};
    double units[N] = {100, 0, 5, 20, 10, 10, NAN, 0};
    double over[N] = {0.30, 0.30, 0.02, NAN, 0.50, 0.01, 0.01, NAN};
    sg_gap10_in in = {N, usable, total, group, conc, units, over, 0};
    sg_gap10_out out;
    assert_int_equal(sg__gap10_classify(ctx, &in, &out), SG_OK);
    const sg_gap10 want[N] = {SG_GAP10_SUPPLY_DEEPENS, SG_GAP10_CONC_OVERCROWDED, SG_GAP10_CONC_LOW_SUPPLY,
                              SG_GAP10_NO_DATA,        SG_GAP10_OK,               SG_GAP10_OK,
                              SG_GAP10_NO_DATA,        SG_GAP10_NO_DATA};
    for (int i = 0; i < N; i++)
        if (out.cls[i] != want[i])
            fail_msg("d%d: %s, want %s", i, sg__gap10_name((sg_gap10)out.cls[i]), sg__gap10_name(want[i]));
    assert_int_equal(out.flags[0], SG_F10_OVERCROWDED | SG_F10_HIGH_SUPPLY);
    assert_int_equal(out.flags[4], SG_F10_OVERCROWDED | SG_F10_LOW_SUPPLY);
    char buf[64];
    sg__gap10_flags_text(out.flags[0], buf, sizeof buf);
    assert_string_equal(buf, "overcrowded,high_supply");
    sg_assert_near(out.supply_rate, 145.0 / 6000 * 1000, 1e-12);
    sg_assert_near(out.overcrowding_rate, 1.14 / 6, 1e-12);
    sg_assert_near(out.per_1000[0], 100, 1e-12);
    /* city measures from their definitions */
    double D = 0, U = 145, T = 6000;
    for (int i = 0; i < 6; i++) D += fabs(units[i] / U - total[i] / T);
    sg_assert_near(out.housing_dissimilarity, D / 2, 1e-12);
    double xo = 0, yo = 0, X = 0, Y = 0;
    for (int i = 0; i < 7; i++) {
        if (isnan(over[i])) continue;
        xo += group[i] * over[i];
        yo += (total[i] - group[i]) * over[i];
        X += group[i];
        Y += total[i] - group[i];
    }
    sg_assert_near(out.overcrowding_ratio, (xo / X) / (yo / Y), 1e-12);
    sg_assert_near(out.units_share_concentrated, 125.0 / 145, 1e-12); /* d0..d3 (d6 unknown) */
    sg_assert_near(out.pop_share_concentrated, 5000.0 / 7000, 1e-12);
    assert_true(out.corr_share_supply > 0 && out.corr_share_supply <= 1);
    sg__gap10_out_free(&out);

    /* Overcrowding only: the supply rules are skipped, not undecided. */
    in.units = NULL;
    assert_int_equal(sg__gap10_classify(ctx, &in, &out), SG_OK);
    assert_int_equal(out.cls[0], SG_GAP10_CONC_OVERCROWDED);
    assert_int_equal(out.cls[2], SG_GAP10_OK);
    assert_int_equal(out.cls[6], SG_GAP10_OK);
    assert_int_equal(out.cls[3], SG_GAP10_NO_DATA);
    assert_true(isnan(out.supply_rate) && isnan(out.housing_dissimilarity));
    sg__gap10_out_free(&out);
    /* No housing input at all: everything no_data. */
    in.overcrowding = NULL;
    assert_int_equal(sg__gap10_classify(ctx, &in, &out), SG_OK);
    assert_int_equal(out.count[SG_GAP10_NO_DATA], N);
    sg__gap10_out_free(&out);
    sg_ctx_destroy(ctx);
}

/* ---- a synthetic city through sg_analyze ---- */

typedef struct fixture {
    sg_ctx *ctx;
    char *dir, *districts, *census, *housing, *out;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->ctx = sg_ctx_create();
    f->dir = sg_test_tmpdir();
    f->districts = sg_test_path(f->dir, "districts.gpkg");
    f->census = sg_test_path(f->dir, "census.csv");
    f->housing = sg_test_path(f->dir, "housing.gpkg");
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
    free(f->housing);
    free(f->out);
    free(f);
    return 0;
}

/* 6 x 5 grid of 1 km squares in EPSG:25832, ids "cCrR"; every district 1000
 * residents and 100 migrants, except the three concentrations (500 migrants,
 * far enough apart that no Gi* hot spot appears) and c5r4 with nobody.
 *   c1r1: 200 social units (a point), overcrowding 0.30 -> supply_deepens_concentration
 *   c4r3: no units, overcrowding 0.30                   -> concentrated_overcrowded
 *   c4r0: no units, overcrowding 0.02                   -> concentrated_low_supply
 * Other units: 100 at c2r3 (point), 50 at c0r4 (a polygon), 70 outside the
 * city (not counted). The housing layer is in EPSG:3035. */
#define X0 500000.0
#define Y0 5600000.0
static int is_conc(int c, int r) { return (c == 1 && r == 1) || (c == 4 && r == 3) || (c == 4 && r == 0); }

static void write_city(fixture *f) {
    fx_row rows[30];
    char wkt[30][256], ids[30][16], grp[30][16], tot[30][16];
    FILE *csv = fopen(f->census, "wb");
    assert_non_null(csv);
    fprintf(csv, "key,over,over_pct,soc\n");
    for (int r = 0, i = 0; r < 5; r++)
        for (int c = 0; c < 6; c++, i++) {
            double x = X0 + 1000 * c, y = Y0 + 1000 * r;
            snprintf(wkt[i], sizeof wkt[i], "POLYGON((%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f,%.0f %.0f))", x, y,
                     x + 1000, y, x + 1000, y + 1000, x, y + 1000, x, y);
            snprintf(ids[i], sizeof ids[i], "c%dr%d", c, r);
            int empty = c == 5 && r == 4;
            snprintf(tot[i], sizeof tot[i], "%d", empty ? 0 : 1000);
            snprintf(grp[i], sizeof grp[i], "%d", empty ? 0 : is_conc(c, r) ? 500 : 100);
            rows[i] = (fx_row){wkt[i], ids[i], tot[i], grp[i]};
            double over = (c == 1 && r == 1) || (c == 4 && r == 3) ? 0.30 : (c == 4 && r == 0) ? 0.02 : 0.05;
            int soc = c == 1 && r == 1 ? 200 : c == 2 && r == 3 ? 100 : c == 0 && r == 4 ? 50 : 0;
            fprintf(csv, "%s,%.3f,%.1f,%d\n", ids[i], empty ? 0.0 : over, empty ? 0.0 : 100 * over, soc);
        }
    assert_int_equal(fclose(csv), 0);
    fx_write(f->districts, "GPKG", 25832, rows, 30, 1);

    /* housing in EPSG:3035 */
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    remove(f->housing);
    GDALDatasetH ds = GDALCreate(drv, f->housing, 0, 0, 0, GDT_Unknown, NULL);
    OGRSpatialReferenceH from = OSRNewSpatialReference(NULL), to = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(from, 25832);
    OSRImportFromEPSG(to, 3035);
    OSRSetAxisMappingStrategy(from, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(to, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(from, to);
    OGRLayerH lyr = GDALDatasetCreateLayer(ds, "social_housing", to, wkbUnknown, NULL);
    OGRFieldDefnH fd = OGR_Fld_Create("units", OFTInteger);
    OGR_L_CreateField(lyr, fd, 1);
    OGR_Fld_Destroy(fd);
    struct {
        const char *wkt;
        int units;
    } sites[] = {
        {"POINT(501500 5601500)", 200},                                                     /* c1r1 centre */
        {"POINT(502500 5603500)", 100},                                                     /* c2r3 */
        {"POLYGON((500100 5604100,500300 5604100,500300 5604300,500100 5604300,500100 5604100))", 50}, /* c0r4 */
        {"POINT(520000 5620000)", 70},                                                      /* outside */
    };
    for (size_t k = 0; k < 4; k++) {
        OGRGeometryH g = NULL;
        char *w = (char *)sites[k].wkt;
        assert_int_equal(OGR_G_CreateFromWkt(&w, from, &g), OGRERR_NONE);
        assert_int_equal(OGR_G_Transform(g, ct), OGRERR_NONE);
        OGRFeatureH ft = OGR_F_Create(OGR_L_GetLayerDefn(lyr));
        OGR_F_SetFieldInteger(ft, 0, sites[k].units);
        OGR_F_SetGeometryDirectly(ft, g);
        assert_int_equal(OGR_L_CreateFeature(lyr, ft), OGRERR_NONE);
        OGR_F_Destroy(ft);
    }
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(from);
    OSRDestroySpatialReference(to);
    GDALClose(ds);
}

static sg_status run_city(fixture *f, sg_run **run, const char *const *extra) {
    const char *args[64] = {"--districts", f->districts, "--id", "id", "--total", "total", "--group", "group",
                            "--table", f->census, "--table-key", "key", "--out", f->out, "--quiet"};
    int n = 15;
    for (int k = 0; extra && extra[k]; k++) args[n++] = extra[k];
    args[n] = NULL;
    *run = NULL;
    return sg_test_analyze(f->ctx, run, args);
}

/* The feature of a district (caller destroys). */
static OGRFeatureH find_id(OGRLayerH lyr, const char *id) {
    OGR_L_ResetReading(lyr);
    OGRFeatureH ft;
    while ((ft = OGR_L_GetNextFeature(lyr))) {
        if (strcmp(OGR_F_GetFieldAsString(ft, OGR_F_GetFieldIndex(ft, "id")), id) == 0) return ft;
        OGR_F_Destroy(ft);
    }
    fail_msg("no district %s", id);
    return NULL;
}

/* Class of every district in a written layer, by id. */
static void check_layer_classes(const char *path, const char *field, const char *(*want)(const char *id)) {
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH lyr = GDALDatasetGetLayer(ds, 0);
    assert_int_equal(OGR_L_GetFeatureCount(lyr, 1), 30);
    OGRFeatureH ft;
    while ((ft = OGR_L_GetNextFeature(lyr))) {
        const char *id = OGR_F_GetFieldAsString(ft, OGR_F_GetFieldIndex(ft, "id"));
        const char *got = OGR_F_GetFieldAsString(ft, OGR_F_GetFieldIndex(ft, field));
        if (strcmp(got, want(id)) != 0) fail_msg("%s: district %s is %s, want %s", path, id, got, want(id));
        OGR_F_Destroy(ft);
    }
    GDALClose(ds);
}

static const char *want10(const char *id) {
    if (strcmp(id, "c5r4") == 0) return "no_data";
    if (strcmp(id, "c1r1") == 0) return "supply_deepens_concentration";
    if (strcmp(id, "c4r3") == 0) return "concentrated_overcrowded";
    if (strcmp(id, "c4r0") == 0) return "concentrated_low_supply";
    return "ok";
}
static const char *want5(const char *id) {
    if (strcmp(id, "c5r4") == 0) return "no_data";
    int c = id[1] - '0', r = id[3] - '0';
    return is_conc(c, r) ? "concentrated" : "not_concentrated";
}
static const char *want10_none(const char *id) {
    (void)id;
    return "no_data";
}

static json_object *read_summary(fixture *f) {
    char *p = sg_test_path(f->out, "summary.json");
    json_object *j = json_object_from_file(p);
    free(p);
    assert_non_null(j);
    return j;
}

static json_object *jget(json_object *o, const char *path) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *tok = strtok(buf, "."); tok; tok = strtok(NULL, ".")) {
        json_object *next = NULL;
        if (!json_object_object_get_ex(o, tok, &next)) fail_msg("summary.json has no %s", path);
        o = next;
    }
    return o;
}

static void city_with_housing_layer(void **state) {
    fixture *f = *state;
    write_city(f);
    sg_run *run = NULL;
    const char *extra[] = {"--housing", f->housing, "--housing-units", "units", "--overcrowding-field", "over",
                           "--overcrowding-scale", "fraction", NULL};
    sg_status st = run_city(f, &run, extra);
    if (st != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    char *o5 = sg_test_path(f->out, "objective5.geojson"), *o10 = sg_test_path(f->out, "objective10.geojson");
    check_layer_classes(o5, "gap5_class", want5);
    check_layer_classes(o10, "gap10_class", want10);
    /* units by district, the site outside reported, distances in metres */
    GDALDatasetH ds = GDALOpenEx(o10, GDAL_OF_VECTOR, NULL, NULL, NULL);
    OGRLayerH lyr = GDALDatasetGetLayer(ds, 0);
    const struct { const char *id; double units, dist; } exp[] = {
        {"c1r1", 200, 0}, {"c2r3", 100, 0}, {"c0r4", 50, 0}, {"c2r1", 0, 1000}, {"c3r3", 0, 1000}};
    for (size_t k = 0; k < sizeof exp / sizeof exp[0]; k++) {
        OGRFeatureH ft = find_id(lyr, exp[k].id);
        sg_assert_near(OGR_F_GetFieldAsDouble(ft, OGR_F_GetFieldIndex(ft, "social_units")), exp[k].units, 0);
        double d = OGR_F_GetFieldAsDouble(ft, OGR_F_GetFieldIndex(ft, "dist_housing_m"));
        if (exp[k].dist > 0) sg_assert_near(d, exp[k].dist, 1e-3);
        else assert_true(d < 600); /* a site inside the district */
        OGR_F_Destroy(ft);
    }
    GDALClose(ds);
    assert_diag(f->ctx, "W_HOUSING_OUTSIDE", "1 of 4 housing sites lie in no district");
    assert_diag(f->ctx, "W_NO_ACCESS", "access is not assessed");
    json_object *j = read_summary(f);
    sg_assert_near(json_object_get_double(jget(j, "objective10.thresholds.city_social_units_per_1000")),
                   350.0 / 29000 * 1000, 1e-12);
    sg_assert_near(json_object_get_double(jget(j, "objective5.concentration.lq_threshold")), 1.5, 0);
    assert_int_equal(json_object_get_int(jget(j, "objective10.classes.supply_deepens_concentration")), 1);
    assert_false(json_object_get_boolean(jget(j, "objective5.access.assessed")));
    assert_true(json_object_get_boolean(jget(j, "housing.assessed")));
    assert_int_equal(json_object_get_int(jget(j, "objective10.inputs.housing.sites_outside_districts")), 1);
    assert_non_null(jget(j, "outputs.report"));
    assert_non_null(jget(j, "outputs.qgis_project"));
    json_object_put(j);
    /* the report: self-contained, with both maps */
    char *rp = sg_test_path(f->out, "report.html");
    FILE *rf = fopen(rp, "rb");
    assert_non_null(rf);
    char *html = calloc(1, 4 << 20);
    size_t len = fread(html, 1, (4 << 20) - 1, rf);
    fclose(rf);
    assert_true(len > 1000);
    const char *needles[] = {"<svg", "Objective 5", "Objective 10", "north arrow", "scale bar",
                             "How to read D", "c1r1"};
    for (size_t k = 0; k < sizeof needles / sizeof needles[0]; k++)
        if (!strstr(html, needles[k])) fail_msg("report.html lacks %s", needles[k]);
    size_t nmaps = 0; /* the share map, objectives 5 and 10 (the districts' shapes drawn once, hidden) */
    for (const char *p = html; (p = strstr(p, "<figure class=\"map\"")); p++) nmaps++;
    assert_int_equal(nmaps, 3);
    assert_null(strstr(html, "http://www.w3.org/2000/svg\" src")); /* no external resource */
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "<link"));
    free(html);
    free(rp);
    free(o5);
    free(o10);
    sg_run_destroy(run);
}

/* The same classes from district fields (percent overcrowding, units per
 * district from the table), with --format gpkg. */
static void city_with_district_fields(void **state) {
    fixture *f = *state;
    write_city(f);
    sg_run *run = NULL;
    const char *extra[] = {"--social-housing-field", "soc", "--overcrowding-field", "over_pct",
                           "--overcrowding-scale", "percent", "--format", "gpkg", NULL};
    sg_status st = run_city(f, &run, extra);
    if (st != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    char *o10 = sg_test_path(f->out, "objective10.geojson");
    check_layer_classes(o10, "gap10_class", want10);
    /* the GeoPackage: both layers and their default styles */
    char *gp = sg_test_path(f->out, "seggap.gpkg");
    GDALDatasetH ds = GDALOpenEx(gp, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH l10 = GDALDatasetGetLayerByName(ds, "objective10");
    assert_non_null(l10);
    assert_int_equal(OGR_L_GetFeatureCount(l10, 1), 30);
    OGRLayerH ls = GDALDatasetGetLayerByName(ds, "layer_styles");
    assert_non_null(ls);
    assert_int_equal(OGR_L_GetFeatureCount(ls, 1), 2);
    GDALClose(ds);
    check_layer_classes(gp, "gap5_class", want5); /* first layer: objective5 */
    free(gp);
    free(o10);
    sg_run_destroy(run);
}

static char *slurp_out(fixture *f, const char *name) {
    char *p = sg_test_path(f->out, name);
    FILE *fp = fopen(p, "rb");
    if (!fp) fail_msg("%s was not written", name);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
    s[n] = '\0';
    fclose(fp);
    free(p);
    return s;
}

/* No housing input, default layers (issue 18, "no layer of nothing"): no
 * objective10.geojson full of no_data, nor its style, Shapefile copy or
 * project layer; the summary, the report and the warning say "not assessed"
 * and name no missing file. Before, objective10.geojson (30 x no_data),
 * objective10.qml and shp/objective10.shp were written. */
static void city_without_housing(void **state) {
    fixture *f = *state;
    write_city(f);
    sg_run *run = NULL;
    const char *extra[] = {"--format", "shp", NULL};
    sg_status st = run_city(f, &run, extra);
    if (st != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    const char *absent[] = {"objective10.geojson", "objective10.qml", "shp/objective10.shp", "shp/objective10.qml"};
    const char *present[] = {"districts.geojson", "objective5.geojson", "objective5.qml", "shp/objective5.shp",
                             "seggap.qgs", "report.html", "summary.json"};
    for (size_t k = 0; k < sizeof absent / sizeof absent[0]; k++) {
        char *q = sg_test_path(f->out, absent[k]);
        if (sg_test_exists(q)) fail_msg("%s was written without housing input", absent[k]);
        free(q);
    }
    for (size_t k = 0; k < sizeof present / sizeof present[0]; k++) {
        char *p = sg_test_path(f->out, present[k]);
        if (!sg_test_exists(p)) fail_msg("%s was not written", present[k]);
        free(p);
    }
    assert_diag(f->ctx, "W_NO_HOUSING", "housing is not assessed");
    for (size_t k = 0; k < sg_ctx_diag_count(f->ctx); k++)
        if (strstr(sg_ctx_diag(f->ctx, k)->message, "objective10.geojson"))
            fail_msg("a diagnostic names the layer not written: %s", sg_ctx_diag(f->ctx, k)->message);
    json_object *j = read_summary(f), *dummy = NULL;
    assert_false(json_object_get_boolean(jget(j, "objective10.assessed")));
    assert_null(jget(j, "objective10.layer"));
    assert_false(json_object_object_get_ex(jget(j, "outputs"), "objective10", &dummy));
    json_object_put(j);
    char *qgs = slurp_out(f, "seggap.qgs"), *html = slurp_out(f, "report.html"), *fields = slurp_out(f, "shp/fields.csv");
    assert_null(strstr(qgs, "objective10"));
    assert_non_null(strstr(qgs, "./objective5.geojson"));
    assert_non_null(strstr(html, "Not assessed: no housing data was given."));
    assert_null(strstr(html, "objective10.geojson"));
    assert_null(strstr(fields, "objective10,"));
    free(qgs);
    free(html);
    free(fields);
    sg_run_destroy(run);
}

/* No housing input, --layers objective10: written on request, every
 * district no_data, with its Shapefile copy (short names mapped back). */
static void city_without_housing_layer_on_request(void **state) {
    fixture *f = *state;
    write_city(f);
    sg_run *run = NULL;
    const char *extra[] = {"--format", "shp", "--layers", "objective10", NULL};
    sg_status st = run_city(f, &run, extra);
    if (st != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    char *o10 = sg_test_path(f->out, "objective10.geojson");
    check_layer_classes(o10, "gap10_class", want10_none);
    assert_diag(f->ctx, "W_NO_HOUSING", "objective 10: no housing input");
    assert_diag(f->ctx, "W_NO_HOUSING", "every district of objective10.geojson is no_data");
    json_object *j = read_summary(f);
    assert_false(json_object_get_boolean(jget(j, "objective10.assessed")));
    json_object *dummy = NULL;
    assert_false(json_object_object_get_ex(jget(j, "housing"), "dissimilarity_units_population", &dummy));
    json_object_put(j);
    /* Shapefiles with short names, mapped back */
    char *shp = sg_test_path(f->out, "shp/objective10.shp");
    GDALDatasetH ds = GDALOpenEx(shp, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(GDALDatasetGetLayer(ds, 0));
    assert_true(OGR_FD_GetFieldIndex(defn, "gap10_cls") >= 0);
    for (int k = 0; k < OGR_FD_GetFieldCount(defn); k++)
        assert_true(strlen(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, k))) <= 10);
    GDALClose(ds);
    char *map = sg_test_path(f->out, "shp/fields.csv");
    FILE *mf = fopen(map, "rb");
    assert_non_null(mf);
    char text[8192] = "";
    size_t tl = fread(text, 1, sizeof text - 1, mf);
    text[tl] = '\0';
    fclose(mf);
    assert_non_null(strstr(text, "objective10,soc_p1000,social_units_per_1000"));
    assert_non_null(strstr(text, "objective10,gap10_cls,gap10_class"));
    char *qml = sg_test_path(f->out, "shp/objective10.qml");
    assert_true(sg_test_exists(qml));
    free(qml);
    free(map);
    free(shp);
    free(o10);
    sg_run_destroy(run);
}

/* One school in c5r2 (east): distances from the district centres are
 * sqrt((c-5)^2 + (r-2)^2) km; the population-weighted median is c2r2's 3 km.
 *   c1r1 concentrated, 4.1 km -> concentrated_underserved
 *   c4r3 concentrated, 1.4 km -> concentrated_served
 *   c4r0 concentrated, 2.2 km -> concentrated_served
 *   c0r0 5.4 km -> underserved;  c5r2 0 km -> ok
 * services.geojson: 8 districts (8000 residents) within the 2000 m catchment,
 * so the school's 2SFCA ratio is 500 / 8000. */
static const char *want5_access(const char *id) {
    if (strcmp(id, "c5r4") == 0) return "no_data";
    int c = id[1] - '0', r = id[3] - '0';
    double d = sqrt((c - 5.0) * (c - 5.0) + (r - 2.0) * (r - 2.0));
    if (is_conc(c, r)) return d > 3.0 ? "concentrated_underserved" : "concentrated_served";
    return d > 3.0 ? "underserved" : "ok";
}

static void city_with_services(void **state) {
    fixture *f = *state;
    write_city(f);
    char *svc = sg_test_path(f->dir, "schools.geojson");
    sg_test_write_file(svc, "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":"
                            "\"urn:ogc:def:crs:EPSG::25832\"}},\"features\":[{\"type\":\"Feature\",\"properties\":"
                            "{\"name\":\"Schule Ost\",\"places\":500},\"geometry\":{\"type\":\"Point\","
                            "\"coordinates\":[505500,5602500]}}]}");
    char spec[600];
    snprintf(spec, sizeof spec, "school=%s", svc);
    sg_run *run = NULL;
    const char *extra[] = {"--service", spec, "--capacity", "places", NULL};
    sg_status st = run_city(f, &run, extra);
    if (st != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    char *o5 = sg_test_path(f->out, "objective5.geojson");
    check_layer_classes(o5, "gap5_class", want5_access);
    GDALDatasetH ds = GDALOpenEx(o5, GDAL_OF_VECTOR, NULL, NULL, NULL);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(GDALDatasetGetLayer(ds, 0));
    const char *fields[] = {"dist_school_m", "count_school_1000", "e2sfca_school_per1000", "access_score", "gap5_score"};
    for (size_t k = 0; k < 5; k++)
        if (OGR_FD_GetFieldIndex(defn, fields[k]) < 0) fail_msg("objective5.geojson lacks %s", fields[k]);
    GDALClose(ds);
    char *sp = sg_test_path(f->out, "services.geojson");
    ds = GDALOpenEx(sp, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH lyr = GDALDatasetGetLayer(ds, 0);
    assert_int_equal(OGR_L_GetFeatureCount(lyr, 1), 1);
    OGRFeatureH ft = OGR_L_GetNextFeature(lyr);
    assert_string_equal(OGR_F_GetFieldAsString(ft, OGR_F_GetFieldIndex(ft, "type")), "school");
    assert_string_equal(OGR_F_GetFieldAsString(ft, OGR_F_GetFieldIndex(ft, "name")), "Schule Ost");
    sg_assert_near(OGR_F_GetFieldAsDouble(ft, OGR_F_GetFieldIndex(ft, "pop_catchment")), 8000, 1e-12);
    sg_assert_near(OGR_F_GetFieldAsDouble(ft, OGR_F_GetFieldIndex(ft, "fca2_per1000")), 1000 * 500.0 / 8000, 1e-9);
    assert_int_equal(OGR_F_GetFieldIndex(ft, "fca2"), -1); /* renamed with the scale: an old baseline lacks it */
    sg_assert_near(OGR_F_GetFieldAsDouble(ft, OGR_F_GetFieldIndex(ft, "pop_within_1000")), 4000, 1e-12); /* c5r1..c5r3, c4r2 */
    OGR_F_Destroy(ft);
    GDALClose(ds);
    /* the access stage's warnings are not repeated by the services layer */
    size_t nw = 0;
    for (size_t i = 0; i < sg_ctx_diag_count(f->ctx); i++)
        nw += strcmp(sg_ctx_diag(f->ctx, i)->code, "W_NO_ACCESS") == 0;
    assert_int_equal(nw, 0);
    json_object *j = read_summary(f);
    assert_true(json_object_get_boolean(jget(j, "objective5.access.assessed")));
    assert_int_equal(json_object_get_int(jget(j, "objective5.classes.concentrated_underserved")), 1);
    assert_non_null(jget(j, "outputs.services"));
    /* the city means are on the same scale: per 1,000 residents, at most the one school's 62.5 */
    double fm = json_object_get_double(jget(j, "access.school.migrant.fca2_per1000_mean"));
    assert_true(fm > 0 && fm <= 62.5 + 1e-9);
    assert_false(json_object_object_get_ex(jget(j, "access.school.migrant"), "fca2_mean", NULL));
    json_object_put(j);
    free(sp);
    free(o5);
    free(svc);
    sg_run_destroy(run);
}

/* Issue 16 item 20: the objective and services layers had room for 256
 * fields: 300 --radius values ended in "out of memory" (exit 5) after the
 * whole computation, and services.geojson kept only the first 16 radii. */
static void many_radii_are_written(void **state) {
    fixture *f = *state;
    write_city(f);
    char *svc = sg_test_path(f->dir, "schools.geojson");
    sg_test_write_file(svc, "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":{\"name\":"
                            "\"urn:ogc:def:crs:EPSG::25832\"}},\"features\":[{\"type\":\"Feature\",\"properties\":"
                            "{\"places\":500},\"geometry\":{\"type\":\"Point\",\"coordinates\":[505500,5602500]}}]}");
    char spec[600];
    snprintf(spec, sizeof spec, "school=%s", svc);
    enum { NR = 300 };
    static char radius[NR][16];
    const char *args[32 + 2 * NR] = {"--districts", f->districts, "--id", "id", "--total", "total", "--group", "group",
                                     "--table", f->census, "--table-key", "key", "--out", f->out, "--quiet",
                                     "--service", spec};
    int n = 17;
    for (int r = 0; r < NR; r++) {
        snprintf(radius[r], sizeof radius[r], "%d", 10 * (r + 1));
        args[n++] = "--radius";
        args[n++] = radius[r];
    }
    args[n] = NULL;
    sg_run *run = NULL;
    sg_status st = sg_test_analyze(f->ctx, &run, args);
    if (st != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    sg_run_destroy(run);
    char *o5 = sg_test_path(f->out, "objective5.geojson"), *sp = sg_test_path(f->out, "services.geojson");
    GDALDatasetH ds = GDALOpenEx(o5, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(GDALDatasetGetLayer(ds, 0));
    assert_true(OGR_FD_GetFieldCount(defn) > 300);
    assert_true(OGR_FD_GetFieldIndex(defn, "count_school_3000") >= 0);
    assert_true(OGR_FD_GetFieldIndex(defn, "gap5_class") >= 0);
    GDALClose(ds);
    ds = GDALOpenEx(sp, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH lyr = GDALDatasetGetLayer(ds, 0);
    OGRFeatureH ft = OGR_L_GetNextFeature(lyr);
    assert_non_null(ft);
    /* every radius, not the first 16: c5r1..c5r3 and c4r2 within 1000 m, all 30 within 3000 m but c5r4 empty */
    sg_assert_near(OGR_F_GetFieldAsDouble(ft, OGR_F_GetFieldIndex(ft, "pop_within_170")), 1000, 0);
    sg_assert_near(OGR_F_GetFieldAsDouble(ft, OGR_F_GetFieldIndex(ft, "pop_within_1000")), 4000, 0);
    assert_true(OGR_F_GetFieldIndex(ft, "pop_within_3000") >= 0);
    OGR_F_Destroy(ft);
    GDALClose(ds);
    free(o5);
    free(sp);
    free(svc);
}

static void lq_threshold_option(void **state) {
    fixture *f = *state;
    write_city(f);
    sg_run *run = NULL;
    const char *extra[] = {"--lq-threshold", "5", "--overcrowding-field", "over", "--overcrowding-scale", "fraction",
                           NULL};
    assert_int_equal(run_city(f, &run, extra), SG_OK);
    for (size_t i = 0; i < 30; i++) assert_int_equal(run->gaps->g5.concentrated[i], 0);
    assert_int_equal(run->gaps->g10.count[SG_GAP10_OK], 29);
    sg_run_destroy(run);
}

/* ---- QGIS files parsed back ---- */

static xmlXPathObjectPtr xpath(xmlDocPtr doc, const char *expr) {
    xmlXPathContextPtr xc = xmlXPathNewContext(doc);
    assert_non_null(xc);
    xmlXPathObjectPtr r = xmlXPathEvalExpression(BAD_CAST expr, xc);
    xmlXPathFreeContext(xc);
    assert_non_null(r);
    return r;
}

static int layer_has_field(const char *path, const char *field) {
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    if (!ds) return 0;
    int ok = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(GDALDatasetGetLayer(ds, 0)), field) >= 0;
    GDALClose(ds);
    return ok;
}

/* Every renderer names a field of its layer; the categories are the classes. */
static void check_qml(fixture *f, const char *qml_name, const char *layer_name, const char *const *classes,
                      size_t ncls) {
    char *qp = sg_test_path(f->out, qml_name), *lp = sg_test_path(f->out, layer_name);
    xmlDocPtr doc = xmlReadFile(qp, NULL, XML_PARSE_NONET);
    if (!doc) fail_msg("%s is not XML", qp);
    xmlXPathObjectPtr r = xpath(doc, "/qgis/renderer-v2");
    assert_int_equal(xmlXPathNodeSetGetLength(r->nodesetval), 1);
    xmlChar *attr = xmlGetProp(r->nodesetval->nodeTab[0], BAD_CAST "attr");
    xmlChar *type = xmlGetProp(r->nodesetval->nodeTab[0], BAD_CAST "type");
    assert_non_null(attr);
    if (!layer_has_field(lp, (const char *)attr)) fail_msg("%s: renderer attr %s is not a field of %s", qp, attr, lp);
    xmlXPathFreeObject(r);
    if (classes) {
        assert_string_equal((const char *)type, "categorizedSymbol");
        r = xpath(doc, "/qgis/renderer-v2/categories/category/@value");
        assert_int_equal(xmlXPathNodeSetGetLength(r->nodesetval), (int)ncls);
        for (size_t k = 0; k < ncls; k++) {
            xmlChar *v = xmlNodeGetContent(r->nodesetval->nodeTab[k]);
            assert_string_equal((const char *)v, classes[k]);
            xmlFree(v);
        }
        xmlXPathFreeObject(r);
        /* one symbol per category, each with a colour */
        r = xpath(doc, "/qgis/renderer-v2/symbols/symbol/layer/Option/Option[@name='color']");
        assert_int_equal(xmlXPathNodeSetGetLength(r->nodesetval), (int)ncls);
        xmlXPathFreeObject(r);
    } else {
        assert_string_equal((const char *)type, "graduatedSymbol");
        r = xpath(doc, "/qgis/renderer-v2/ranges/range");
        assert_true(xmlXPathNodeSetGetLength(r->nodesetval) >= 1);
        xmlXPathFreeObject(r);
    }
    xmlFree(attr);
    xmlFree(type);
    xmlFreeDoc(doc);
    free(qp);
    free(lp);
}

static void qgis_files_parse_back(void **state) {
    fixture *f = *state;
    write_city(f);
    sg_run *run = NULL;
    const char *extra[] = {"--housing", f->housing, "--housing-units", "units", "--overcrowding-field", "over",
                           "--overcrowding-scale", "fraction", NULL};
    assert_int_equal(run_city(f, &run, extra), SG_OK);
    const char *c5[] = {"concentrated", "not_concentrated", "no_data"};
    const char *c10[] = {"concentrated_overcrowded", "concentrated_low_supply", "supply_deepens_concentration", "ok",
                         "no_data"};
    check_qml(f, "objective5.qml", "objective5.geojson", c5, 3);
    check_qml(f, "objective10.qml", "objective10.geojson", c10, 5);
    check_qml(f, "districts.qml", "districts.geojson", NULL, 0);

    /* issue 17: "ok" (and "not_concentrated", nothing to act on) is a light colour, not a grey that reads as
     * "no data": the same in the styles and the report's legends */
    unsigned ok = sg__gap10_colour(SG_GAP10_OK);
    assert_int_equal(ok, sg__gap5_colour(SG_GAP5_OK));
    assert_int_equal(ok, sg__gap5_colour(SG_GAP5_NOT_CONCENTRATED));
    unsigned okr = ok >> 16, okg = (ok >> 8) & 0xFF, okb = ok & 0xFF;
    assert_false(okr == okg && okg == okb); /* not a grey */
    assert_true(okr + okg + okb > 3 * 180); /* light */
    assert_int_not_equal(ok, sg__gap10_colour(SG_GAP10_NO_DATA));
    {
        char want[64], *qp = sg_test_path(f->out, "objective10.qml"), *rp = sg_test_path(f->out, "report.html");
        FILE *qf = fopen(qp, "rb"), *rf = fopen(rp, "rb");
        assert_non_null(qf);
        assert_non_null(rf);
        char *q = calloc(1, 1 << 20), *h = calloc(1, 4 << 20);
        size_t nq = fread(q, 1, (1 << 20) - 1, qf), nh = fread(h, 1, (4 << 20) - 1, rf);
        fclose(qf);
        fclose(rf);
        assert_true(nq > 0 && nh > 0);
        snprintf(want, sizeof want, "value=\"%u,%u,%u,255\"", okr, okg, okb);
        if (!strstr(q, want)) fail_msg("objective10.qml has no %s", want);
        assert_null(strstr(q, "value=\"238,238,238,255\""));
        snprintf(want, sizeof want, "fill=\"#%06X\"", ok);
        if (!strstr(h, want)) fail_msg("report.html has no %s", want);
        assert_null(strstr(h, "fill=\"#EEEEEE\""));
        free(q);
        free(h);
        free(qp);
        free(rp);
    }

    /* the project: CRS, every layer resolvable, ids consistent, renderers on real fields */
    char *pp = sg_test_path(f->out, "seggap.qgs");
    xmlDocPtr doc = xmlReadFile(pp, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xmlXPathObjectPtr r = xpath(doc, "string(/qgis/projectCrs/spatialrefsys/authid)");
    assert_string_equal((const char *)r->stringval, "EPSG:25832");
    xmlXPathFreeObject(r);
    r = xpath(doc, "string(/qgis/properties/SpatialRefSys/ProjectionsEnabled)");
    assert_string_equal((const char *)r->stringval, "1");
    xmlXPathFreeObject(r);
    r = xpath(doc, "/qgis/projectlayers/maplayer");
    int nl = xmlXPathNodeSetGetLength(r->nodesetval);
    assert_int_equal(nl, 5); /* no services without service data; local_segregation (issue 20) */
    for (int k = 0; k < nl; k++) {
        xmlNodePtr ml = r->nodesetval->nodeTab[k];
        char *id = NULL, *src = NULL, *attr = NULL;
        for (xmlNodePtr c = ml->children; c; c = c->next) {
            if (c->type != XML_ELEMENT_NODE) continue;
            if (xmlStrcmp(c->name, BAD_CAST "id") == 0) id = (char *)xmlNodeGetContent(c);
            if (xmlStrcmp(c->name, BAD_CAST "datasource") == 0) src = (char *)xmlNodeGetContent(c);
            if (xmlStrcmp(c->name, BAD_CAST "renderer-v2") == 0) attr = (char *)xmlGetProp(c, BAD_CAST "attr");
        }
        assert_non_null(id);
        assert_non_null(src);
        assert_non_null(attr);
        assert_true(strncmp(src, "./", 2) == 0); /* relative: the folder can be moved */
        char *lp = sg_test_path(f->out, src + 2);
        if (!layer_has_field(lp, attr)) fail_msg("project layer %s: attr %s not in %s", id, attr, lp);
        char q[256];
        snprintf(q, sizeof q, "count(/qgis/layer-tree-group/layer-tree-layer[@id='%s'])", id);
        xmlXPathObjectPtr t = xpath(doc, q);
        sg_assert_near(t->floatval, 1, 0);
        xmlXPathFreeObject(t);
        /* QGIS 3.22 makes a valid layer CRS from the WKT, not from the authid alone */
        snprintf(q, sizeof q, "string(/qgis/projectlayers/maplayer[id='%s']/srs/spatialrefsys/wkt)", id);
        t = xpath(doc, q);
        assert_non_null(strstr((const char *)t->stringval, "GEOGCRS[\"WGS 84\""));
        xmlXPathFreeObject(t);
        free(lp);
        xmlFree(id);
        xmlFree(src);
        xmlFree(attr);
    }
    xmlXPathFreeObject(r);
    xmlFreeDoc(doc);
    free(pp);
    sg_run_destroy(run);
}

/* ---- option and input errors ---- */

/* --layers objective5: only that layer (and its style, in the project and
 * as a Shapefile with --format shp) is written; summary.json and the report
 * say which layers exist; the indices and classes are those of a full run. */
static void layers_option(void **state) {
    fixture *f = *state;
    write_city(f);
    sg_run *run = NULL;
    const char *extra[] = {"--layers", "objective5", "--format", "shp", NULL};
    sg_status st = run_city(f, &run, extra);
    if (st != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    const char *present[] = {"objective5.geojson", "objective5.qml", "seggap.qgs", "report.html", "summary.json",
                             "shp/objective5.shp"};
    const char *absent[] = {"districts.geojson", "objective10.geojson", "objective10.qml", "districts.qml",
                            "services.geojson", "shp/objective10.shp"};
    for (size_t k = 0; k < 6; k++) {
        char *p = sg_test_path(f->out, present[k]), *q = sg_test_path(f->out, absent[k]);
        if (!sg_test_exists(p)) fail_msg("%s was not written", present[k]);
        if (sg_test_exists(q)) fail_msg("%s was written although --layers leaves it out", absent[k]);
        free(p);
        free(q);
    }
    assert_null(sg_run_districts_path(run));
    char *o5 = sg_test_path(f->out, "objective5.geojson");
    check_layer_classes(o5, "gap5_class", want5);
    free(o5);
    char *qgs = sg_test_path(f->out, "seggap.qgs");
    FILE *qf = fopen(qgs, "rb");
    assert_non_null(qf);
    static char text[1 << 16];
    size_t tl = fread(text, 1, sizeof text - 1, qf);
    text[tl] = '\0';
    fclose(qf);
    assert_non_null(strstr(text, "./objective5.geojson"));
    assert_null(strstr(text, "./objective10.geojson"));
    assert_null(strstr(text, "./districts.geojson"));
    free(qgs);
    json_object *j = read_summary(f), *dummy = NULL;
    assert_false(json_object_object_get_ex(jget(j, "outputs"), "districts", &dummy));
    assert_non_null(strstr(json_object_get_string(jget(j, "outputs.objective5")), "objective5.geojson"));
    assert_null(jget(j, "objective10.layer"));
    json_object_put(j);
    sg_run_destroy(run);
    /* --layers none: the summary and the report only (no project of nothing) */
    sg_test_rmdir(f->out);
    f->out = sg_test_path(f->dir, "out");
    const char *none[] = {"--layers", "none", NULL};
    st = run_city(f, &run, none);
    if (st != SG_OK) fail_msg("%s", sg_ctx_last_error(f->ctx));
    const char *only[] = {"summary.json", "report.html"}, *never[] = {"seggap.qgs", "objective5.geojson"};
    for (size_t k = 0; k < 2; k++) {
        char *p = sg_test_path(f->out, only[k]), *q = sg_test_path(f->out, never[k]);
        assert_true(sg_test_exists(p));
        assert_false(sg_test_exists(q));
        free(p);
        free(q);
    }
    sg_run_destroy(run);
}

static void option_errors(void **state) {
    fixture *f = *state;
    const struct {
        const char *args[8];
        const char *msg;
    } cases[] = {
        {{"--housing", "h.gpkg"}, "--housing needs --housing-units"},
        {{"--housing-units", "u"}, "apply only with --housing"},
        {{"--overcrowding-field", "o"}, "needs --overcrowding-scale"},
        {{"--overcrowding-field", "o", "--overcrowding-scale", "ppr"}, "'fraction', 'percent' or 'ratio'"},
        {{"--lq-threshold", "0.5"}, "--lq-threshold must be between 1 and 1000"},
        {{"--format", "kml"}, "--format must be gpkg or shp"},
        {{"--layers", "objective6"}, "'objective6' is not a layer"},
        {{"--layers", "none,objective5"}, "--layers none excludes"},
        {{"--layers", "objective5", "--baseline", "b"}, "add districts to --layers"},
        {{"--layers", "services"}, "--layers services needs --service"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *args[32] = {"--districts", "d.shp", "--id", "id", "--total", "t", "--group", "g", "--out", "o"};
        int n = 10;
        for (int a = 0; cases[k].args[a]; a++) args[n++] = cases[k].args[a];
        sg_options *o = NULL;
        sg_status st = sg_options_parse(f->ctx, n, (char *const *)args, &o, NULL);
        assert_int_equal(st, SG_ERR_USAGE);
        if (!strstr(sg_ctx_last_error(f->ctx), cases[k].msg))
            fail_msg("case %zu: '%s' lacks '%s'", k, sg_ctx_last_error(f->ctx), cases[k].msg);
    }
}

static void housing_input_errors(void **state) {
    fixture *f = *state;
    write_city(f);
    sg_run *run = NULL;
    const char *bad_field[] = {"--housing", f->housing, "--housing-units", "dwellings", NULL};
    assert_int_equal(run_city(f, &run, bad_field), SG_ERR_DATA);
    assert_diag(f->ctx, "E_MISSING_FIELD", "--housing-units field not found", "units");
    /* a negative unit count names the feature */
    GDALDatasetH ds = GDALOpenEx(f->housing, GDAL_OF_VECTOR | GDAL_OF_UPDATE, NULL, NULL, NULL);
    OGRLayerH lyr = GDALDatasetGetLayer(ds, 0);
    OGRFeatureH ft = OGR_L_GetFeature(lyr, 2);
    OGR_F_SetFieldInteger(ft, 0, -5);
    assert_int_equal(OGR_L_SetFeature(lyr, ft), OGRERR_NONE);
    OGR_F_Destroy(ft);
    GDALClose(ds);
    const char *neg[] = {"--housing", f->housing, "--housing-units", "units", NULL};
    assert_int_equal(run_city(f, &run, neg), SG_ERR_DATA);
    assert_diag(f->ctx, "E_NEGATIVE", "fid 2", "units", "negative unit count -5");
    /* overcrowding out of its scale */
    const char *pct_as_fraction[] = {"--overcrowding-field", "over_pct", "--overcrowding-scale", "fraction", NULL};
    assert_int_equal(run_city(f, &run, pct_as_fraction), SG_ERR_DATA);
    assert_diag(f->ctx, "E_OVERCROWDING_RANGE", "outside [0, 1]", "over_pct");
    const char *missing[] = {"--housing", "/nonexistent/h.gpkg", "--housing-units", "units", NULL};
    assert_int_equal(run_city(f, &run, missing), SG_ERR_INPUT);
    assert_diag(f->ctx, "E_OPEN", "--housing: no such file");
}

/* Issue 16 item 20: a housing layer of lines was accepted (a line's point on
 * surface taken as the site) where services refuse lines; a point with a
 * NaN coordinate was "no geometry". Both are errors naming the layer and fid. */
static void housing_lines_and_nan_points(void **state) {
    fixture *f = *state;
    write_city(f);
    char *gj = sg_test_path(f->dir, "sites.geojson");
    sg_test_write_file(gj, "{\"type\":\"FeatureCollection\",\"crs\":{\"type\":\"name\",\"properties\":"
                           "{\"name\":\"urn:ogc:def:crs:EPSG::25832\"}},\"features\":["
                           "{\"type\":\"Feature\",\"properties\":{\"units\":10},\"geometry\":{\"type\":\"Point\","
                           "\"coordinates\":[501500,5601500]}},"
                           "{\"type\":\"Feature\",\"properties\":{\"units\":20},\"geometry\":{\"type\":\"LineString\","
                           "\"coordinates\":[[502100,5603100],[502900,5603900]]}},"
                           "{\"type\":\"Feature\",\"properties\":{\"units\":30},\"geometry\":{\"type\":\"Point\","
                           "\"coordinates\":[NaN,5602500]}}]}");
    const char *args[] = {"--housing", gj, "--housing-units", "units", NULL};
    sg_run *run = NULL;
    assert_int_equal(run_city(f, &run, args), SG_ERR_DATA);
    assert_null(run);
    assert_diag(f->ctx, "E_HOUSING_GEOMETRY", "sites.geojson", "layer 'sites'", "fid 1",
                "a Line String: a housing site must be a point, multipoint or polygon");
    assert_diag(f->ctx, "E_BAD_COORDINATE", "layer 'sites'", "fid 2", "not finite", "nan");
    free(gj);
}


/* With access standards (issue 17) underserved is "beyond at least one
 * standard", whatever the median says. Five districts, three types: a and b
 * with a standard, c without (it enters access_score only).
 *   e0 beyond a              -> underserved (though nearest for c)
 *   e1 within a and b        -> ok (though farthest of all: the median rule would say underserved)
 *   e2 within a, b unknown   -> no_data (not served: b is undecided)
 *   e3 beyond b, a unknown   -> underserved (one beyond decides)
 *   e4 concentrated, within  -> concentrated_served */
static void gap5_standards(void **state) {
    (void)state;
    sg_ctx *ctx = sg_ctx_create();
    enum { N = 5 };
    unsigned char usable[N] = {1, 1, 1, 1, 1};
    double total[N] = {100, 100, 100, 100, 100}, group[N] = {10, 10, 10, 10, 60};
    double lq[N] = {0.5, 0.5, 0.5, 0.5, 3.0};
    double da[N] = {900, 950, 200, 300, 400}, db[N] = {100, 950, 300, 900, 400}, dc[N] = {1, 900, 5, 6, 7};
    double ba[N] = {1, 0, 0, NAN, 0}, bb[N] = {0, 0, NAN, 1, 0};
    const double *dist[3] = {da, db, dc};
    const double *beyond[3] = {ba, bb, NULL};
    sg_gap5_in in = {N, usable, total, group, lq, NULL, NULL, 3, dist, 1.5, 0.05, 2, beyond};
    sg_gap5_out out;
    assert_int_equal(sg__gap5_classify(ctx, &in, &out), SG_OK);
    const sg_gap5 want[N] = {SG_GAP5_UNDERSERVED, SG_GAP5_OK, SG_GAP5_NO_DATA, SG_GAP5_UNDERSERVED,
                             SG_GAP5_CONC_SERVED};
    for (int i = 0; i < N; i++)
        if (out.cls[i] != want[i])
            fail_msg("e%d: %s, want %s", i, sg__gap5_name((sg_gap5)out.cls[i]), sg__gap5_name(want[i]));
    assert_true(out.by_standards);
    assert_true(out.access_score[1] > out.access_median); /* the median rule would have said underserved */
    assert_true(isfinite(out.score[2]) == 0);
    assert_string_equal(sg__gap5_label_std(SG_GAP5_UNDERSERVED, 1), "No concentration, beyond an access standard");
    assert_string_equal(sg__gap5_label_std(SG_GAP5_UNDERSERVED, 0), sg__gap5_label(SG_GAP5_UNDERSERVED));
    sg__gap5_out_free(&out);
    sg_ctx_destroy(ctx);
}

int main(void) {
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gap5_rules),
        cmocka_unit_test(gap5_standards),
        cmocka_unit_test(percentile_ties),
        cmocka_unit_test(objective5_from_access),
        cmocka_unit_test(gap10_rules),
        cmocka_unit_test_setup_teardown(city_with_housing_layer, setup, teardown),
        cmocka_unit_test_setup_teardown(city_with_district_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(city_without_housing, setup, teardown),
        cmocka_unit_test_setup_teardown(city_without_housing_layer_on_request, setup, teardown),
        cmocka_unit_test_setup_teardown(city_with_services, setup, teardown),
        cmocka_unit_test_setup_teardown(many_radii_are_written, setup, teardown),
        cmocka_unit_test_setup_teardown(lq_threshold_option, setup, teardown),
        cmocka_unit_test_setup_teardown(qgis_files_parse_back, setup, teardown),
        cmocka_unit_test_setup_teardown(option_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(layers_option, setup, teardown),
        cmocka_unit_test_setup_teardown(housing_input_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(housing_lines_and_nan_points, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

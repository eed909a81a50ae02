/* Service access (issue 5) on cities whose answers are known on paper.
 *
 * Every fixture is in EPSG:32633 (UTM 33N) around X0, Y0 unless said
 * otherwise; coordinates below are offsets from (X0, Y0) in metres. The
 * origin of a district is its GEOS point on surface: for a rectangle its
 * centre; for the U-shaped district
 *
 *     (0 0, 3000 0, 3000 3000, 2000 3000, 2000 1000, 1200 1000, 1200 3000, 0 3000)
 *
 * GEOS scans the line halfway between the vertex ordinates nearest the
 * envelope's centre (y = (1000 + 3000) / 2 = 2000) and takes the middle of
 * the widest interior stretch ([0, 1200]): (600, 2000). Its centroid,
 * (1478.4, 1391.9), lies in the notch, outside the district. */
#include <json-c/json.h>

#include "test_support.h"
#include "write/write.h"

#define X0 500000.0
#define Y0 5800000.0

typedef struct fixture {
    sg_ctx *ctx;
    char *dir, *out, *districts, *services, *net;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->ctx = sg_ctx_create();
    f->dir = sg_test_tmpdir();
    f->out = sg_test_path(f->dir, "out");
    f->districts = sg_test_path(f->dir, "districts.gpkg");
    f->services = sg_test_path(f->dir, "services.gpkg");
    f->net = sg_test_path(f->dir, "roads.gpkg");
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    sg_ctx_destroy(f->ctx);
    sg_test_rmdir(f->dir);
    free(f->out);
    free(f->districts);
    free(f->services);
    free(f->net);
    free(f);
    return 0;
}

/* A rectangle from offsets, as WKT (static buffers, NB at a time). */
#define NB 16
static const char *rect(double x0, double y0, double x1, double y1) {
    static char buf[NB][256];
    static int k = 0;
    char *s = buf[k++ % NB];
    snprintf(s, 256, "POLYGON((%.3f %.3f,%.3f %.3f,%.3f %.3f,%.3f %.3f,%.3f %.3f))", X0 + x0, Y0 + y0, X0 + x1,
             Y0 + y0, X0 + x1, Y0 + y1, X0 + x0, Y0 + y1, X0 + x0, Y0 + y0);
    return s;
}
static const char *pt(double x, double y) {
    static char buf[NB][128];
    static int k = 0;
    char *s = buf[k++ % NB];
    snprintf(s, 128, "POINT (%.3f %.3f)", X0 + x, Y0 + y);
    return s;
}
static const char *line(double x0, double y0, double x1, double y1) {
    static char buf[NB][160];
    static int k = 0;
    char *s = buf[k++ % NB];
    snprintf(s, 160, "LINESTRING (%.3f %.3f,%.3f %.3f)", X0 + x0, Y0 + y0, X0 + x1, Y0 + y1);
    return s;
}
/* A point given by UTM 33N offsets, written in EPSG:4326 longitude/latitude. */
static const char *pt_ll(double x, double y) {
    static char buf[NB][128];
    static int k = 0;
    OGRSpatialReferenceH a = OSRNewSpatialReference(NULL), b = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(a, 32633);
    OSRImportFromEPSG(b, 4326);
    OSRSetAxisMappingStrategy(a, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(b, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(a, b);
    double px = X0 + x, py = Y0 + y;
    assert_true(OCTTransform(ct, 1, &px, &py, NULL));
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(a);
    OSRDestroySpatialReference(b);
    char *s = buf[k++ % NB];
    snprintf(s, 128, "POINT (%.12f %.12f)", px, py);
    return s;
}


/* A service layer with a Real field "capacity" (NULL rows' value: null). */
static void services_write(const char *path, const char *lname, int epsg, const sg_test_lrow *rows, size_t n) {
    const char *names[] = {"capacity"};
    OGRFieldType types[] = {OFTReal};
    sg_test_layer_write(path, lname, epsg, wkbUnknown, names, types, 1, rows, n);
}

static const double *col(const sg_run *run, const char *name) {
    for (size_t k = 0; k < run->res.ncols; k++)
        if (strcmp(run->res.cols[k].name, name) == 0) return run->res.cols[k].num;
    print_error("no column %s\n", name);
    fail();
    return NULL;
}

static const sg_access_type *atype(const sg_run *run, const char *type) {
    assert_non_null(run->access);
    for (size_t t = 0; t < run->access->nt; t++)
        if (strcmp(run->access->t[t].type, type) == 0) return &run->access->t[t];
    fail_msg("no access type %s", type);
    return NULL;
}

/* Runs analyze on the fixture's districts (fields id/total/group) with extra
 * arguments (NULL-terminated). */
static sg_status run_with(fixture *f, sg_run **run, const char *const *extra) {
    const char *args[64] = {"--districts", f->districts, "--id", "id", "--total", "total", "--group", "group",
                            "--out", f->out, "--quiet"};
    int n = 11;
    for (int i = 0; extra[i]; i++) args[n++] = extra[i];
    args[n] = NULL;
    *run = NULL;
    return sg_test_analyze(f->ctx, run, args);
}
#define RUN(f, run, ...) run_with((f), (run), (const char *const[]){__VA_ARGS__, NULL})

/* ---- distances known by hand ---- */

/* A and B are 1000 m squares, U the concave district; the services are
 * written in EPSG:4326 (another CRS) from these UTM offsets:
 *   S1 (500, 1500): A 1000, B hypot(2000, 1000) = 2236.07, U hypot(100, 3500) = 3501.4
 *   S2 (3500, 500): B 1000, A 3000, C (centred 6500, 500) 3000
 *   S3 (1500, 4400), in U's notch: U hypot(900, 600) = 1081.67 from (600, 5000),
 *      only 23 m from U's centroid (1478.4, 4391.9), which is outside U.
 * B has total 0: left out of the indices, it still gets its distance. */
static void write_abu(fixture *f) {
    fx_row d[] = {{rect(0, 0, 1000, 1000), "A", "100", "10"},
                  {rect(2000, 0, 3000, 1000), "B", "0", "0"},
                  {"POLYGON((500000 5803000,503000 5803000,503000 5806000,502000 5806000,502000 5804000,501200 5804000,"
                   "501200 5806000,500000 5806000,500000 5803000))",
                   "U", "300", "200"},
                  {rect(6000, 0, 7000, 1000), "C", "100", "50"}};
    fx_write(f->districts, "GPKG", 32633, d, 4, 1);
    sg_test_lrow s[] = {{pt_ll(500, 1500), {"1"}}, {pt_ll(3500, 500), {"1"}}, {pt_ll(1500, 4400), {"1"}}};
    services_write(f->services, "clinic", 4326, s, 3);
}

static void distances_by_hand(void **state) {
    fixture *f = *state;
    write_abu(f);
    sg_run *run = NULL;
    char svc[600];
    snprintf(svc, sizeof svc, "clinic=%s", f->services);
    assert_int_equal(RUN(f, &run, "--service", svc, "--radius", "1500", "--radius", "2500"), SG_OK);
    const double *d = col(run, "dist_clinic_m");
    sg_assert_near(d[0], 1000, 1e-7);
    sg_assert_near(d[1], 1000, 1e-7);
    sg_assert_near(d[2], hypot(900, 600), 1e-7); /* from the point on surface, not the centroid (23 m) */
    sg_assert_near(d[3], 3000, 1e-7);
    const double *c15 = col(run, "count_clinic_1500"), *c25 = col(run, "count_clinic_2500");
    assert_true(c15[0] == 1 && c15[1] == 1 && c15[2] == 1 && c15[3] == 0);
    assert_true(c25[0] == 1 && c25[1] == 2 && c25[2] == 1 && c25[3] == 0);
    const sg_access_type *T = atype(run, "clinic");
    assert_int_equal(T->locations, 3);
    assert_string_equal(T->src.crs_id, "EPSG:4326");
    /* the gap over the used districts A, U, C (B has no residents):
     * migrants 10, 200, 50; the rest 90, 100, 50 */
    double dA = 1000, dU = hypot(900, 600), dC = 3000;
    sg_assert_near(T->g[0].mean, (10 * dA + 200 * dU + 50 * dC) / 260, 1e-7);
    sg_assert_near(T->g[1].mean, (90 * dA + 100 * dU + 50 * dC) / 240, 1e-7);
    sg_assert_near(T->gap_m, T->g[0].mean - T->g[1].mean, 1e-12);
    /* medians: migrants 200 of 260 at dU (the lower weighted median); the rest: 90 at dA, then 100 at dU */
    sg_assert_near(T->g[0].median, dU, 1e-9);
    sg_assert_near(T->g[1].median, dU, 1e-9);
    sg_assert_near(T->g[0].beyond[0], 50.0 / 260, 1e-12); /* beyond 1500 m: C */
    sg_assert_near(T->g[1].beyond[1], 50.0 / 240, 1e-12); /* beyond 2500 m: C */
    assert_non_null(strstr(sg_run_summary_json(run), "\"access\""));
    assert_non_null(strstr(sg_run_summary_text(run), "clinic"));
    sg_run_destroy(run);
}

/* ---- 2SFCA on paper ----
 * A = [0,1000]², centre (500, 500), 100 residents; B = [2000,3000]x[0,1000],
 * centre (2500, 500), 300 residents. S1 at (0, 500), capacity 10; S2 at
 * (2000, 500), capacity 20. d(A,S1) = 500, d(A,S2) = 1500, d(B,S1) = 2500
 * (beyond the 2000 m catchment), d(B,S2) = 500.
 *   2SFCA: R1 = 10/100 = 0.1, R2 = 20/(100+300) = 0.05; A = 0.15, B = 0.05.
 *   linear decay w = 1 - d/2000 (0.75, 0.25): R1 = 10/75, R2 = 20/(25+225) = 0.08;
 *   A = 0.75·10/75 + 0.25·0.08 = 0.12, B = 0.75·0.08 = 0.06.
 * Both conserve supply: Σ P·A = 100·0.15 + 300·0.05 = 30 = 10 + 20.
 * The fields are per 1,000 residents (issue 17): fca2_gp_per1000 = 150 and 50,
 * e2sfca_gp_per1000 = 120 and 60, and Σ P·A / 1000 = 30. */
static void write_two(fixture *f) {
    fx_row d[] = {{rect(0, 0, 1000, 1000), "A", "100", "10"}, {rect(2000, 0, 3000, 1000), "B", "300", "200"}};
    fx_write(f->districts, "GPKG", 32633, d, 2, 1);
    sg_test_lrow s[] = {{pt(0, 500), {"10"}}, {pt(2000, 500), {"20"}}};
    services_write(f->services, "doctors", 32633, s, 2);
}

static void fca_on_paper(void **state) {
    fixture *f = *state;
    write_two(f);
    char svc[600];
    snprintf(svc, sizeof svc, "gp=%s", f->services);
    sg_run *run = NULL;
    assert_int_equal(RUN(f, &run, "--service", svc, "--capacity", "capacity", "--decay", "linear"), SG_OK);
    const double *a = col(run, "fca2_gp_per1000"), *e = col(run, "e2sfca_gp_per1000");
    sg_assert_near(a[0], 150, 1e-9); /* 0.15 per resident */
    sg_assert_near(a[1], 50, 1e-9);
    sg_assert_near(e[0], 120, 1e-9);
    sg_assert_near(e[1], 60, 1e-9);
    sg_assert_near((100 * e[0] + 300 * e[1]) / 1000, 30, 1e-12);
    sg_run_destroy(run);
    /* the default gaussian decay, h = catchment / 2 = 1000: the same two steps with w(d) = exp(-d²/2h²) */
    sg_ctx_clear(f->ctx);
    assert_int_equal(RUN(f, &run, "--service", svc, "--capacity", "gp=capacity"), SG_OK);
    double w5 = exp(-0.125), w15 = exp(-1.125);
    double R1 = 10 / (100 * w5), R2 = 20 / (100 * w15 + 300 * w5);
    e = col(run, "e2sfca_gp_per1000");
    sg_assert_near(e[0], 1000 * (w5 * R1 + w15 * R2), 1e-9);
    sg_assert_near(e[1], 1000 * w5 * R2, 1e-9);
    sg_assert_near((100 * e[0] + 300 * e[1]) / 1000, 30, 1e-12);
    a = col(run, "fca2_gp_per1000");
    sg_assert_near(a[0], 150, 1e-9); /* 0.15 per resident */
    sg_run_destroy(run);
    /* --decay step: e2sfca = fca2 */
    sg_ctx_clear(f->ctx);
    assert_int_equal(RUN(f, &run, "--service", svc, "--capacity", "capacity", "--decay", "step"), SG_OK);
    sg_assert_near(col(run, "e2sfca_gp_per1000")[0], 150, 1e-9);
    sg_assert_near(col(run, "e2sfca_gp_per1000")[1], 50, 1e-9);
    sg_run_destroy(run);
}

/* ---- the gap where migrants live farther by construction ----
 * Four 1000 m squares in a row, one service at (0, 500): distances 500, 1500,
 * 2500, 3500. Totals 100; migrants 0, 10, 50, 90 (the rest 100, 90, 50, 10).
 *   migrants: (10·1500 + 50·2500 + 90·3500) / 150 = 3033.33
 *   rest:     (100·500 + 90·1500 + 50·2500 + 10·3500) / 250 = 1380
 *   gap_ratio = 2.19807, gap_m = 1653.33; medians 3500 and 1500;
 *   beyond 1000 m: all migrants, 60 % of the rest. */
static void write_row(fixture *f) {
    fx_row d[] = {{rect(0, 0, 1000, 1000), "d1", "100", "0"},
                  {rect(1000, 0, 2000, 1000), "d2", "100", "10"},
                  {rect(2000, 0, 3000, 1000), "d3", "100", "50"},
                  {rect(3000, 0, 4000, 1000), "d4", "100", "90"}};
    fx_write(f->districts, "GPKG", 32633, d, 4, 1);
    sg_test_lrow s[] = {{pt(0, 500), {"1"}}};
    services_write(f->services, "school", 32633, s, 1);
}

static void gap_by_construction(void **state) {
    fixture *f = *state;
    write_row(f);
    char svc[600];
    snprintf(svc, sizeof svc, "school=%s", f->services);
    sg_run *run = NULL;
    assert_int_equal(RUN(f, &run, "--service", svc, "--permutations", "499", "--threads", "1"), SG_OK);
    const sg_access_type *T = atype(run, "school");
    sg_assert_near(T->g[0].mean, 455000.0 / 150, 1e-12);
    sg_assert_near(T->g[1].mean, 1380, 1e-12);
    sg_assert_near(T->gap_ratio, (455000.0 / 150) / 1380, 1e-12);
    sg_assert_near(T->gap_m, 455000.0 / 150 - 1380, 1e-12);
    sg_assert_near(T->g[0].median, 3500, 1e-12);
    sg_assert_near(T->g[1].median, 1500, 1e-12);
    sg_assert_near(T->g[0].beyond[0], 1.0, 1e-12);
    sg_assert_near(T->g[1].beyond[0], 0.6, 1e-12);
    assert_true(T->corr_dist > 0.9);
    /* 150 migrants among 400 residents: a gap this large is rare under the null */
    assert_true(T->p_value <= 0.01);
    assert_true(fabs(T->null_mean) < 200);
    double p1 = T->p_value, m1 = T->null_mean;
    sg_run_destroy(run);
    /* the same numbers with 2 threads */
    sg_ctx_clear(f->ctx);
    assert_int_equal(RUN(f, &run, "--service", svc, "--permutations", "499", "--threads", "2"), SG_OK);
    T = atype(run, "school");
    assert_true(T->p_value == p1);
    assert_true(T->null_mean == m1);
    sg_run_destroy(run);
}

/* ---- network distances on a hand-drawn network ----
 *   south road (0,0)-(4000,0), north road (0,1000)-(4000,1000), the only
 *   bridge (4000,0)-(4000,1000), a side road (2000,-500)-(2000,500) crossing
 *   the south road with no shared vertex (GEOS nodes it), and an island road
 *   (0,3000)-(1000,3000) with no link to the rest.
 * One service at (500, 900): snapped to the north road at (500, 1000), 100 m.
 *   D1 centred (500, 100):  snap 100 + 3500 east + 1000 bridge + 3500 west + 100 = 8200
 *                           (800 m as the crow flies)
 *   D2 centred (2100, -300): snap 100 to the side road + 300 + 2000 + 1000 + 3500 + 100 = 7000
 *   D3 centred (500, 3100): on the island road: unreachable, reported
 *   D4 centred (500, 6000): 3000 m from any road (> --network-max-snap 500): reported */
static void write_network(fixture *f, const char *bridge_oneway) {
    remove(f->services);
    remove(f->net);
    fx_row d[] = {{rect(300, -100, 700, 300), "D1", "100", "10"},
                  {rect(1900, -500, 2300, -100), "D2", "100", "20"},
                  {rect(300, 2900, 700, 3300), "D3", "100", "30"},
                  {rect(300, 5800, 700, 6200), "D4", "100", "40"}};
    fx_write(f->districts, "GPKG", 32633, d, 4, 1);
    sg_test_lrow s[] = {{pt(500, 900), {"1"}}};
    services_write(f->services, "pharmacy", 32633, s, 1);
    const char *names[] = {"oneway", "speed"};
    OGRFieldType types[] = {OFTString, OFTReal};
    sg_test_lrow r[] = {{line(0, 0, 4000, 0), {"no", "60"}},
                {line(0, 1000, 4000, 1000), {NULL, "60"}},
                {line(4000, 0, 4000, 1000), {bridge_oneway, "60"}},
                {line(2000, -500, 2000, 500), {"no", "60"}},
                {line(0, 3000, 1000, 3000), {"no", "60"}}};
    sg_test_layer_write(f->net, "roads", 32633, wkbLineString, names, types, 2, r, 5);
}

static void network_by_hand(void **state) {
    fixture *f = *state;
    write_network(f, "no");
    char svc[600];
    snprintf(svc, sizeof svc, "pharmacy=%s", f->services);
    sg_run *run = NULL;
    /* as the crow flies first */
    assert_int_equal(RUN(f, &run, "--service", svc), SG_OK);
    sg_assert_near(col(run, "dist_pharmacy_m")[0], 800, 1e-12);
    sg_run_destroy(run);
    sg_ctx_clear(f->ctx);
    assert_int_equal(RUN(f, &run, "--service", svc, "--network", f->net, "--network-speed", "speed", "--radius", "7500",
                         "--radius", "9000"),
                     SG_OK);
    const double *d = col(run, "dist_pharmacy_m");
    sg_assert_near(d[0], 8200, 1e-9);
    sg_assert_near(d[1], 7000, 1e-9);
    assert_true(isnan(d[2]) && isnan(d[3]));
    /* 60 km/h = 1000 m/min on the roads, the 200 m of snap legs walked at 5 km/h */
    const double *t = col(run, "time_pharmacy_min");
    sg_assert_near(t[0], 8.0 + 200 / (5000.0 / 60), 1e-9);
    const double *c75 = col(run, "count_pharmacy_7500"), *c90 = col(run, "count_pharmacy_9000");
    assert_true(c75[0] == 0 && c75[1] == 1 && c90[0] == 1 && c90[1] == 1 && c90[2] == 0);
    const sg_access_type *T = atype(run, "pharmacy");
    assert_int_equal(T->unreachable, 2);
    assert_int_equal(run->access->net.components, 2);
    assert_diag(f->ctx, "W_UNREACHABLE", "2 of 4 districts", "D3", "D4");
    assert_diag(f->ctx, "W_NETWORK_FAR", "1 districts", "500 m", "D4");
    assert_diag(f->ctx, "W_NETWORK_COMPONENTS", "2 disconnected parts");
    /* unreachable residents are out of the means and reported */
    sg_assert_near(T->g[0].mean, (10 * 8200 + 20 * 7000) / 30.0, 1e-12);
    sg_assert_near(T->g[0].unreachable, 70, 1e-12);
    sg_run_destroy(run);
    /* the bridge one-way against the direction of travel: D1 and D2 are cut off too */
    sg_ctx_clear(f->ctx);
    write_network(f, "-1");
    assert_int_equal(RUN(f, &run, "--service", svc, "--network", f->net, "--network-oneway", "oneway"), SG_OK);
    d = col(run, "dist_pharmacy_m");
    assert_true(isnan(d[0]) && isnan(d[1]));
    sg_run_destroy(run);
    /* ... and along it: open again */
    sg_ctx_clear(f->ctx);
    write_network(f, "yes");
    assert_int_equal(RUN(f, &run, "--service", svc, "--network", f->net, "--network-oneway", "oneway"), SG_OK);
    sg_assert_near(col(run, "dist_pharmacy_m")[0], 8200, 1e-9);
    sg_run_destroy(run);
}

/* ---- population points ----
 * One 2000 x 1000 district with 300 residents at (500, 500) and 100 at
 * (1500, 500); a service at (500, 1500): 1000 and hypot(1000, 1000) m, so
 * the district's distance is 0.75·1000 + 0.25·1414.21. A second district has
 * no point (its point on surface stands in), a third point lies outside. */
static void population_points(void **state) {
    fixture *f = *state;
    fx_row d[] = {{rect(0, 0, 2000, 1000), "P", "400", "100"}, {rect(3000, 0, 4000, 1000), "Q", "100", "50"}};
    fx_write(f->districts, "GPKG", 32633, d, 2, 1);
    sg_test_lrow s[] = {{pt(500, 1500), {"1"}}};
    services_write(f->services, "library", 32633, s, 1);
    char *pp = sg_test_path(f->dir, "buildings.gpkg");
    const char *names[] = {"residents"};
    OGRFieldType types[] = {OFTReal};
    sg_test_lrow p[] = {{pt(500, 500), {"300"}}, {pt(1500, 500), {"100"}}, {pt(9000, 9000), {"50"}}};
    sg_test_layer_write(pp, "buildings", 32633, wkbPoint, names, types, 1, p, 3);
    char svc[600];
    snprintf(svc, sizeof svc, "library=%s", f->services);
    sg_run *run = NULL;
    assert_int_equal(RUN(f, &run, "--service", svc, "--population-points", pp, "--population-field", "residents"),
                     SG_OK);
    const double *dd = col(run, "dist_library_m");
    sg_assert_near(dd[0], 0.75 * 1000 + 0.25 * hypot(1000, 1000), 1e-9);
    sg_assert_near(dd[1], hypot(3000, 1000), 1e-9);
    assert_diag(f->ctx, "W_POPULATION_FALLBACK", "1 districts", "Q");
    assert_diag(f->ctx, "W_POPULATION_OUTSIDE", "1 of 3");
    /* the median is taken over the points: 75 % of P's residents are at 1000 m */
    const sg_access_type *T = atype(run, "library");
    sg_assert_near(T->g[0].median, 1000, 1e-9);
    free(pp);
    sg_run_destroy(run);
}

/* ---- geodesic: along UTM 33N's central meridian the plane is scaled by
 * k0 = 0.9996, so 10 km on the map are 10000 / 0.9996 m on the ellipsoid ---- */
static void geodesic_distance(void **state) {
    fixture *f = *state;
    fx_row d[] = {{rect(-500, -500, 500, 500), "M", "100", "10"}, {rect(2000, 0, 3000, 1000), "N", "100", "10"}};
    fx_write(f->districts, "GPKG", 32633, d, 2, 1);
    sg_test_lrow s[] = {{pt(0, 10000), {"1"}}};
    services_write(f->services, "hospital", 32633, s, 1);
    char svc[600];
    snprintf(svc, sizeof svc, "hospital=%s", f->services);
    sg_run *run = NULL;
    assert_int_equal(RUN(f, &run, "--service", svc, "--geodesic"), SG_OK);
    sg_assert_near(col(run, "dist_hospital_m")[0], 10000 / 0.9996, 2e-7);
    sg_run_destroy(run);
}

/* ---- bad input: each a clear message ---- */
static void empty_service_layer(void **state) {
    fixture *f = *state;
    write_two(f);
    services_write(f->services, "empty", 32633, NULL, 0);
    char svc[600];
    snprintf(svc, sizeof svc, "gp=%s", f->services);
    sg_run *run = NULL;
    assert_int_equal(RUN(f, &run, "--service", svc, "--service-layer", "empty"), SG_ERR_DATA);
    assert_diag(f->ctx, "E_EMPTY_SERVICES", f->services, "layer 'empty'", "no features");
    sg_ctx_clear(f->ctx);
    assert_int_equal(RUN(f, &run, "--service", svc, "--service-layer", "doctors", "--service-where", "capacity > 100"),
                     SG_ERR_DATA);
    assert_diag(f->ctx, "E_EMPTY_SERVICES", "layer 'doctors'", "--service-where", "capacity > 100");
    sg_ctx_clear(f->ctx);
    assert_int_equal(RUN(f, &run, "--service", svc, "--service-layer", "doctors", "--service-where", "nosuch ="),
                     SG_ERR_USAGE);
    assert_diag(f->ctx, "E_SERVICE_WHERE", "not a valid filter");
    /* several layers, none named like the type */
    sg_ctx_clear(f->ctx);
    assert_int_equal(RUN(f, &run, "--service", svc), SG_ERR_USAGE);
    assert_diag(f->ctx, "E_CHOOSE_LAYER", "2 layers", "--service-layer");
}

static void service_without_geometry(void **state) {
    fixture *f = *state;
    fx_row d[] = {{rect(0, 0, 1000, 1000), "A", "100", "10"}, {rect(2000, 0, 3000, 1000), "B", "300", "200"}};
    fx_write(f->districts, "GPKG", 32633, d, 2, 1);
    sg_test_lrow s[] = {{pt(0, 500), {"10"}}, {NULL, {"5"}}, {pt(2000, 500), {"20"}}};
    services_write(f->services, "gp", 32633, s, 3);
    char svc[600];
    snprintf(svc, sizeof svc, "gp=%s", f->services);
    sg_run *run = NULL;
    assert_int_equal(RUN(f, &run, "--service", svc), SG_OK);
    assert_diag(f->ctx, "W_SERVICE_NO_GEOMETRY", f->services, "layer 'gp'", "1 of 3", "fid 2");
    assert_int_equal(atype(run, "gp")->locations, 2);
    sg_run_destroy(run);
    sg_ctx_clear(f->ctx);
    assert_int_equal(RUN(f, &run, "--service", svc, "--strict"), SG_ERR_DATA);
    assert_diag(f->ctx, "E_NULL_GEOMETRY", "layer 'gp'", "fid 2", "without geometry");
}

static void negative_capacity(void **state) {
    fixture *f = *state;
    fx_row d[] = {{rect(0, 0, 1000, 1000), "A", "100", "10"}, {rect(2000, 0, 3000, 1000), "B", "300", "200"}};
    fx_write(f->districts, "GPKG", 32633, d, 2, 1);
    sg_test_lrow s[] = {{pt(0, 500), {"10"}}, {pt(2000, 500), {"-5"}}, {pt(2500, 500), {NULL}}};
    services_write(f->services, "beds", 32633, s, 3);
    char svc[600];
    snprintf(svc, sizeof svc, "care=%s", f->services);
    sg_run *run = NULL;
    assert_int_equal(RUN(f, &run, "--service", svc, "--capacity", "capacity"), SG_ERR_DATA);
    assert_diag(f->ctx, "E_NEGATIVE", f->services, "layer 'beds'", "fid 2", "field 'capacity'", "negative capacity -5");
    assert_diag(f->ctx, "E_MISSING_VALUE", "fid 3", "field 'capacity'", "missing");
    sg_ctx_clear(f->ctx);
    assert_int_equal(RUN(f, &run, "--service", svc, "--capacity", "places"), SG_ERR_DATA);
    assert_diag(f->ctx, "E_MISSING_FIELD", "field 'places'", "fields: capacity");
}

static void services_in_the_wrong_crs(void **state) {
    fixture *f = *state;
    fx_row d[] = {{rect(0, 0, 1000, 1000), "A", "100", "10"}, {rect(2000, 0, 3000, 1000), "B", "300", "200"}};
    fx_write(f->districts, "GPKG", 32633, d, 2, 1);
    /* UTM 33N numbers labelled as UTM 32N: they land ~400 km west */
    sg_test_lrow s[] = {{pt(0, 500), {"10"}}, {pt(2000, 500), {"20"}}};
    services_write(f->services, "gp", 25832, s, 2);
    char svc[600];
    snprintf(svc, sizeof svc, "gp=%s", f->services);
    sg_run *run = NULL;
    assert_int_equal(RUN(f, &run, "--service", svc), SG_OK);
    assert_diag(f->ctx, "W_SERVICE_EXTENT", "layer 'gp'", "none of the 2", "likely wrong", "UTM zone 32N");
    sg_run_destroy(run);
    /* no CRS at all */
    sg_ctx_clear(f->ctx);
    remove(f->services);
    services_write(f->services, "gp", 0, s, 2);
    assert_int_equal(RUN(f, &run, "--service", svc), SG_ERR_CRS);
    assert_diag(f->ctx, "E_NO_CRS", "layer 'gp'", "no CRS");
    /* a line is not a service */
    sg_ctx_clear(f->ctx);
    remove(f->services);
    sg_test_lrow l[] = {{pt(0, 500), {"1"}}, {line(0, 0, 10, 10), {"1"}}};
    services_write(f->services, "gp", 32633, l, 2);
    assert_int_equal(RUN(f, &run, "--service", svc), SG_ERR_DATA);
    assert_diag(f->ctx, "E_SERVICE_GEOMETRY", "fid 2", "Line String", "point, multipoint or polygon");
}

static void network_far_from_district(void **state) {
    fixture *f = *state;
    write_network(f, "no");
    char svc[600];
    snprintf(svc, sizeof svc, "pharmacy=%s", f->services);
    sg_run *run = NULL;
    assert_int_equal(RUN(f, &run, "--service", svc, "--network", f->net, "--network-max-snap", "50"), SG_ERR_DATA);
    /* every district and the service are 100 m or more from a road: none is on the network */
    assert_diag(f->ctx, "W_NETWORK_FAR", "4 districts", "within 50 m", "D1, D2, D3, D4");
    assert_diag(f->ctx, "E_NETWORK_FAR", "no 'pharmacy' location is within 50 m of the network");
}

static void option_grammar(void **state) {
    fixture *f = *state;
    write_two(f);
    sg_run *run = NULL;
    char svc[600];
    snprintf(svc, sizeof svc, "gp=%s", f->services);
    assert_int_equal(RUN(f, &run, "--service", f->services), SG_ERR_USAGE);
    assert_diag(f->ctx, "E_USAGE", "--service needs TYPE=FILE");
    assert_int_equal(RUN(f, &run, "--capacity", "beds", "--service", svc), SG_ERR_USAGE);
    assert_diag(f->ctx, "E_USAGE", "--capacity must follow the --service");
    assert_int_equal(RUN(f, &run, "--service", svc, "--capacity", "school=places"), SG_ERR_DATA);
    assert_diag(f->ctx, "E_MISSING_FIELD", "school=places"); /* no type 'school': a field name */
    assert_int_equal(RUN(f, &run, "--service", svc, "--service", svc), SG_ERR_USAGE);
    assert_diag(f->ctx, "E_USAGE", "type 'gp' given twice");
    assert_int_equal(RUN(f, &run, "--service", "1st=x.gpkg"), SG_ERR_USAGE);
    assert_diag(f->ctx, "E_USAGE", "must start with a letter");
    assert_int_equal(RUN(f, &run, "--service", svc, "--geodesic", "--network", f->net), SG_ERR_USAGE);
    assert_diag(f->ctx, "E_USAGE", "--geodesic and --network exclude each other");
    assert_int_equal(RUN(f, &run, "--service", svc, "--decay", "cubic"), SG_ERR_USAGE);
    assert_diag(f->ctx, "E_USAGE", "--decay must be gaussian, linear, step or exp");
    assert_int_equal(RUN(f, &run, "--service", svc, "--decay", "linear", "--access-bandwidth", "500"), SG_ERR_USAGE);
    assert_diag(f->ctx, "E_USAGE", "--access-bandwidth applies only");
    assert_int_equal(RUN(f, &run, "--service", svc, "--radius", "0"), SG_ERR_USAGE);
    assert_int_equal(RUN(f, &run, "--service", svc, "--radius", "12.5"), SG_ERR_USAGE);
    assert_diag(f->ctx, "E_USAGE", "whole metres");
    assert_int_equal(RUN(f, &run, "--radius", "500"), SG_ERR_USAGE);
    assert_diag(f->ctx, "E_USAGE", "--radius applies only with --service");
    assert_int_equal(RUN(f, &run, "--service", svc, "--network-speed", "speed"), SG_ERR_USAGE);
    assert_diag(f->ctx, "E_USAGE", "--network-speed applies only with --network");
    assert_int_equal(RUN(f, &run, "--service", svc, "--population-points", f->net), SG_ERR_USAGE);
    assert_diag(f->ctx, "E_USAGE", "--population-field FIELD go together");
    /* radii: repeated and listed, sorted, duplicates dropped */
    sg_ctx_clear(f->ctx);
    assert_int_equal(RUN(f, &run, "--service", svc, "--service-layer", "doctors", "--radius", "2000,300",
                         "--radius", "300", "--capacity", "gp=capacity"),
                     SG_OK);
    assert_int_equal(run->access->nradius, 2);
    assert_true(run->access->radius[0] == 300 && run->access->radius[1] == 2000);
    (void)col(run, "count_gp_300");
    (void)col(run, "count_gp_2000");
    sg_run_destroy(run);
}

/* The bundled sample: four service types from one GeoPackage, each found by
 * its layer name, in EPSG:3035 while the districts are in EPSG:25832. */
static void sample_city(void **state) {
    fixture *f = *state;
    char s[4][600];
    const char *types[] = {"school", "library", "health_centre", "park"};
    for (int k = 0; k < 4; k++) snprintf(s[k], sizeof s[k], "%s=%s/city/services.gpkg", types[k], SG_SAMPLES_DIR);
    const char *args[] = {"--districts", SG_SAMPLES_DIR "/city/districts.shp", "--id", "code", "--table",
                          SG_SAMPLES_DIR "/city/census.csv", "--table-key", "code", "--total", "total", "--group",
                          "migrants", "--out", f->out, "--quiet", "--service", s[0], "--capacity", "capacity",
                          "--service", s[1], "--capacity", "capacity", "--service", s[2], "--capacity", "capacity",
                          "--service", s[3], NULL};
    sg_run *run = NULL;
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_OK);
    size_t want[] = {14, 6, 12, 8};
    for (int k = 0; k < 4; k++) {
        const sg_access_type *T = atype(run, types[k]);
        assert_int_equal(T->locations, want[k]);
        assert_string_equal(T->src.layer, types[k]);
        assert_int_equal(T->districts_with_value, 120);
        assert_true(isfinite(T->gap_ratio));
    }
    /* 00034 has no residents (left out of the indices) but has its distance */
    const double *d = col(run, "dist_school_m");
    for (size_t i = 0; i < 120; i++) assert_true(isfinite(d[i]) && d[i] >= 0);
    sg_run_destroy(run);
}

/* One pass (issue 14, "The house"): the sample with four --service types on
 * the same services.gpkg opens every input once, each service source once per
 * type: districts.shp 1 + census.csv 1 + services.gpkg 4 + housing.gpkg 1.
 * The services layer's per-location values come from the access stage; the
 * objectives stage opens nothing. */
static void one_open_per_source(void **state) {
    fixture *f = *state;
    char s[4][600];
    const char *types[] = {"school", "library", "health_centre", "park"};
    for (int k = 0; k < 4; k++) snprintf(s[k], sizeof s[k], "%s=%s/city/services.gpkg", types[k], SG_SAMPLES_DIR);
    const char *args[] = {"--districts", SG_SAMPLES_DIR "/city/districts.shp", "--id", "code", "--table",
                          SG_SAMPLES_DIR "/city/census.csv", "--table-key", "code", "--total", "total", "--group",
                          "migrants", "--housing", SG_SAMPLES_DIR "/city/housing.gpkg", "--housing-layer",
                          "social_housing", "--housing-units", "units", "--out", f->out, "--quiet", "--service", s[0],
                          "--capacity", "capacity", "--service", s[1], "--capacity", "capacity", "--service", s[2],
                          "--capacity", "capacity", "--service", s[3], "--capacity", "capacity", NULL};
    const size_t districts = 1, tables = 1, services = 4, housing = 1;
    assert_int_equal(sg__ogr_opens(f->ctx), 0);
    sg_run *run = NULL;
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_OK);
    size_t opens = sg__ogr_opens(f->ctx);
    if (opens != districts + tables + services + housing)
        fail_msg("%zu OGR opens, want %zu (districts %zu + tables %zu + services %zu + housing %zu)", opens,
                 districts + tables + services + housing, districts, tables, services, housing);
    /* the services layer holds every location of every type, from the access stage */
    const sg_sites *S = &run->gaps->sites;
    size_t want = 0;
    for (int k = 0; k < 4; k++) want += atype(run, types[k])->locations;
    assert_int_equal(S->n, want);
    assert_int_equal(run->gaps->ntypes, 4);
    for (int k = 0; k < 4; k++) assert_string_equal(run->gaps->types[k], types[k]);
    sg_run_destroy(run);
}

/* Berlin: 447 planning areas (EPSG:4326), services in EPSG:25833. */
static void berlin(void **state) {
    REQUIRE_SHARED("data/berlin-2016/services/schulen.geojson");
    fixture *f = *state;
    const char *args[] = {"--districts", SHARED("data/berlin-2016/lor_planungsraeume_447_wgs84.geojson"), "--id",
                          "spatial_name", "--table", SHARED("data/berlin-2016/EWR201612E_Matrix.csv"), "--table-key",
                          "RAUMID", "--table", SHARED("data/berlin-2016/EWRMIGRA201612H_Matrix.csv"), "--table-key",
                          "RAUMID", "--total", "E_E", "--group", "MH_E", "--out", f->out, "--quiet", "--service",
                          "school=" SHARED("data/berlin-2016/services/schulen.geojson"), "--service-where",
                          "traeger = 'öffentlich'", "--service",
                          "nursing=" SHARED("data/berlin-2016/services/pflegeeinrichtungen.geojson"), "--capacity",
                          "platzzahl", "--service",
                          "pharmacy=" SHARED("data/berlin-2016/services/apothekenstandorte.geojson"), NULL};
    sg_run *run = NULL;
    assert_int_equal(sg_test_analyze(f->ctx, &run, args), SG_OK);
    const sg_access_type *S = atype(run, "school"), *N = atype(run, "nursing"), *P = atype(run, "pharmacy");
    assert_int_equal(S->locations, 694); /* public schools of 902 */
    assert_int_equal(N->locations, 274);
    assert_int_equal(P->locations, 732); /* MultiPoint features of one point each */
    assert_int_equal(S->districts_with_value, 447);
    /* migrants live closer to these services than the rest (the inner city) */
    assert_true(S->gap_ratio > 0.8 && S->gap_ratio < 0.95);
    assert_true(N->gap_ratio > 0.8 && N->gap_ratio < 0.95);
    assert_true(N->total_capacity > 10000);
    sg_run_destroy(run);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(distances_by_hand, setup, teardown),
        cmocka_unit_test_setup_teardown(fca_on_paper, setup, teardown),
        cmocka_unit_test_setup_teardown(gap_by_construction, setup, teardown),
        cmocka_unit_test_setup_teardown(network_by_hand, setup, teardown),
        cmocka_unit_test_setup_teardown(population_points, setup, teardown),
        cmocka_unit_test_setup_teardown(geodesic_distance, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_service_layer, setup, teardown),
        cmocka_unit_test_setup_teardown(service_without_geometry, setup, teardown),
        cmocka_unit_test_setup_teardown(negative_capacity, setup, teardown),
        cmocka_unit_test_setup_teardown(services_in_the_wrong_crs, setup, teardown),
        cmocka_unit_test_setup_teardown(network_far_from_district, setup, teardown),
        cmocka_unit_test_setup_teardown(option_grammar, setup, teardown),
        cmocka_unit_test_setup_teardown(sample_city, setup, teardown),
        cmocka_unit_test_setup_teardown(one_open_per_source, setup, teardown),
        cmocka_unit_test_setup_teardown(berlin, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

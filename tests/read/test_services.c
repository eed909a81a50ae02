/* Reading what the access stage measures (read/services.c) and the id lists
 * of messages (read/first_ids.c), on layers written here:
 *
 * three districts of 1000 m x 1000 m in EPSG:32633 beside each other, offsets
 * from (X0, Y0) in metres,
 *
 *     d0 [0, 1000] x [0, 1000]      total 100
 *     d1 [1000, 2000] x [0, 1000]   total 300
 *     d2 [2000, 3000] x [0, 1000]   total  50
 *
 * the service locations in EPSG:4326 (longitude/latitude of UTM points, so
 * that reading them back into the districts' CRS gives those points again),
 * and population points in EPSG:32633. A square's point on surface is its
 * centre (GEOS takes the middle of the interior on the line halfway up). */
#include "test_support.h"
#include "read/read.h"
#include "read/travel_times.h"

#define X0 500000.0
#define Y0 5800000.0

typedef struct fixture {
    sg_ctx *ctx;
    char *dir, *districts, *services, *pop, *out;
    sg_options *o;
    sg_reader rd;
    sg_city city;
} fixture;

/* UTM 33N offsets -> longitude, latitude (GDAL's transformation, not seggap's). */
static void to_ll(double x, double y, double *lon, double *lat) {
    OGRSpatialReferenceH a = OSRNewSpatialReference(NULL), b = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(a, 32633);
    OSRImportFromEPSG(b, 4326);
    OSRSetAxisMappingStrategy(a, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(b, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(a, b);
    *lon = X0 + x;
    *lat = Y0 + y;
    assert_true(OCTTransform(ct, 1, lon, lat, NULL));
    OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(a);
    OSRDestroySpatialReference(b);
}

#define NB 8
static const char *pt_ll(double x, double y) {
    static char buf[NB][128];
    static int k = 0;
    double lon, lat;
    to_ll(x, y, &lon, &lat);
    char *s = buf[k++ % NB];
    snprintf(s, 128, "POINT (%.12f %.12f)", lon, lat);
    return s;
}
static const char *multi_ll(double xa, double ya, double xb, double yb) {
    static char buf[NB][192];
    static int k = 0;
    double la, pa, lb, pb;
    to_ll(xa, ya, &la, &pa);
    to_ll(xb, yb, &lb, &pb);
    char *s = buf[k++ % NB];
    snprintf(s, 192, "MULTIPOINT ((%.12f %.12f),(%.12f %.12f))", la, pa, lb, pb);
    return s;
}
static const char *rect_ll(double x0, double y0, double x1, double y1) {
    static char buf[NB][400];
    static int k = 0;
    double cx[5] = {x0, x1, x1, x0, x0}, cy[5] = {y0, y0, y1, y1, y0};
    char *s = buf[k++ % NB];
    int len = snprintf(s, 400, "POLYGON ((");
    for (int i = 0; i < 5; i++) {
        double lon, lat;
        to_ll(cx[i], cy[i], &lon, &lat);
        len += snprintf(s + len, 400 - (size_t)len, "%s%.12f %.12f", i ? "," : "", lon, lat);
    }
    snprintf(s + len, 400 - (size_t)len, "))");
    return s;
}
static const char *pt(double x, double y) {
    static char buf[NB][128];
    static int k = 0;
    char *s = buf[k++ % NB];
    snprintf(s, 128, "POINT (%.3f %.3f)", X0 + x, Y0 + y);
    return s;
}
static char *rect(double x0, double y0, double x1, double y1) {
    char *s = malloc(256);
    snprintf(s, 256, "POLYGON ((%.3f %.3f,%.3f %.3f,%.3f %.3f,%.3f %.3f,%.3f %.3f))", X0 + x0, Y0 + y0, X0 + x1,
             Y0 + y0, X0 + x1, Y0 + y1, X0 + x0, Y0 + y1, X0 + x0, Y0 + y0);
    return s;
}

/* A layer with one Real field `field` (row value NULL: null) and geometries
 * (NULL: none), added to the GeoPackage at path. epsg 0: no CRS. */
typedef struct prow {
    const char *wkt;
    const char *v;
} prow;
static void layer_write(const char *path, const char *lname, int epsg, const char *field, const prow *rows, size_t n) {
    sg_test_lrow *r = calloc(n ? n : 1, sizeof *r);
    assert_non_null(r);
    for (size_t i = 0; i < n; i++) r[i] = (sg_test_lrow){rows[i].wkt, {rows[i].v, NULL, NULL}};
    const char *names[] = {field};
    const OGRFieldType types[] = {OFTReal};
    sg_test_layer_write(path, lname, epsg, wkbUnknown, names, types, 1, r, n);
    free(r);
}

/* Reads the three districts into f->city, in the working CRS, the way
 * sg_analyze does (sg__read_city, then sg__crs_project), with extra options. */
static void read_city(fixture *f, const char *const *extra) {
    const char *args[32] = {"--districts", f->districts, "--id", "id", "--total", "total", "--group", "group",
                            "--out", f->out, "--quiet"};
    int n = 11;
    for (int k = 0; extra && extra[k]; k++) args[n++] = extra[k];
    assert_int_equal(sg_options_parse(f->ctx, n, (char *const *)args, &f->o, NULL), SG_OK);
    assert_int_equal(sg__read_city(f->ctx, f->o, &f->rd, &f->city), SG_OK);
    assert_int_equal(sg__crs_project(f->ctx, f->o->work_crs, &f->city, &f->rd.crs), SG_OK);
    assert_int_equal(f->city.n, 3);
    assert_int_equal(f->rd.crs.reprojected, 0); /* projected in metres: the working CRS */
}

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->ctx = sg_ctx_create();
    f->dir = sg_test_tmpdir();
    f->districts = sg_test_path(f->dir, "districts.gpkg");
    f->services = sg_test_path(f->dir, "services.gpkg");
    f->pop = sg_test_path(f->dir, "pop.gpkg");
    f->out = sg_test_path(f->dir, "out");
    char *r0 = rect(0, 0, 1000, 1000), *r1 = rect(1000, 0, 2000, 1000), *r2 = rect(2000, 0, 3000, 1000);
    fx_row d[] = {{r0, "d0", "100", "10"}, {r1, "d1", "300", "30"}, {r2, "d2", "50", "5"}};
    fx_write(f->districts, "GPKG", 32633, d, 3, 1);
    free(r0), free(r1), free(r2);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    sg__city_free(f->ctx, &f->city);
    sg__reader_free(&f->rd);
    sg_options_free(f->o);
    sg_ctx_destroy(f->ctx);
    sg_test_rmdir(f->dir);
    free(f->districts), free(f->services), free(f->pop), free(f->out);
    free(f);
    return 0;
}

/* Absolute tolerance in metres. */
#define assert_at(got, want, tol)                                                                   \
    do {                                                                                            \
        double g_ = (got), w_ = (want);                                                             \
        if (!(fabs(g_ - w_) <= (tol))) fail_msg("%s = %.6f, want %.6f (tol %g m)", #got, g_, w_, (double)(tol)); \
    } while (0)

static void services_are_read_into_the_working_crs(void **state) {
    fixture *f = *state;
    read_city(f, NULL);
    /* fid 1: a point, capacity 2; fid 2: a multipoint of capacity 4 (two
     * locations of 2 each); fid 3: a square, capacity 1 (measured to the
     * polygon, located at its centre); fid 4: no geometry (left out, warned) */
    prow s[] = {{pt_ll(500, 500), "2"},
                {multi_ll(1500, 500, 1600, 700), "4"},
                {rect_ll(2200, 200, 2400, 400), "1"},
                {NULL, "1"}};
    layer_write(f->services, "clinic", 4326, "capacity", s, 4);
    layer_write(f->services, "school", 4326, "capacity", s, 1); /* a second layer: chosen by the type's name */
    sg_service_spec spec = {"clinic", f->services, NULL, NULL, "capacity", NULL, NULL, NULL, NULL, NULL, NULL};
    sg_services sv;
    assert_int_equal(sg__services_read(f->ctx, &spec, f->o, &f->rd.crs, &f->city, 0, &sv), SG_OK);
    assert_int_equal(sv.src.features, 4);
    assert_string_equal(sv.src.layer, "clinic");
    assert_string_equal(sv.src.driver, "GPKG");
    assert_string_equal(sv.src.crs_id, "EPSG:4326");
    assert_int_equal(strlen(sv.src.sha256), 64);
    assert_int_equal(sv.n, 4);
    assert_int_equal(sv.nsplit, 1);
    assert_int_equal(sv.npoly, 1);
    assert_int_equal(sv.nskipped, 1);
    const double wx[] = {500, 1500, 1600, 2300}, wy[] = {500, 500, 700, 300}, wc[] = {2, 2, 2, 1};
    const long long wf[] = {1, 2, 2, 3};
    for (size_t i = 0; i < 4; i++) {
        assert_at(sv.x[i] - X0, wx[i], 1e-3);
        assert_at(sv.y[i] - Y0, wy[i], 1e-3);
        sg_assert_near(sv.cap[i], wc[i], 0);
        assert_int_equal(sv.fid[i], wf[i]);
        assert_true((sv.poly[i] != NULL) == (i == 3));
    }
    sg_assert_near(sv.total_capacity, 7, 0);
    assert_diag(f->ctx, "W_SERVICE_NO_GEOMETRY", "1 of 4 services have no geometry and are left out (fid 4)");
    sg__services_free(f->ctx, &sv);
    assert_int_equal(sv.n, 0);

    /* points only (a network): the square is its centre, no polygon kept;
     * --service-where keeps what it matches */
    sg_service_spec where = {"clinic", f->services, NULL, "capacity > 1", NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(sg__services_read(f->ctx, &where, f->o, &f->rd.crs, &f->city, 1, &sv), SG_OK);
    assert_int_equal(sv.src.features, 2);
    assert_string_equal(sv.src.where, "capacity > 1");
    assert_int_equal(sv.n, 3);
    assert_int_equal(sv.npoly, 0);
    for (size_t i = 0; i < sv.n; i++) assert_null(sv.poly[i]);
    /* without --capacity every feature supplies 1, a multipoint's shared by its points */
    sg_assert_near(sv.cap[0], 1, 0);
    sg_assert_near(sv.cap[1], 0.5, 0);
    sg_assert_near(sv.cap[2], 0.5, 0);
    sg_assert_near(sv.total_capacity, 2, 0);
    sg__services_free(f->ctx, &sv);
}

static void service_errors_name_the_feature(void **state) {
    fixture *f = *state;
    read_city(f, (const char *const[]){"--strict", NULL});
    prow good[] = {{pt_ll(500, 500), "2"}, {NULL, "1"}};
    layer_write(f->services, "clinic", 4326, "capacity", good, 2);
    prow neg[] = {{pt_ll(500, 500), "-1"}, {"LINESTRING (13 52, 13.1 52.1)", "1"}};
    layer_write(f->services, "neg", 4326, "capacity", neg, 2);
    prow nocrs[] = {{pt(500, 500), "1"}};
    layer_write(f->services, "nocrs", 0, "capacity", nocrs, 1);
    prow far[] = {{pt(90000, 90000), "1"}};
    layer_write(f->services, "far", 32633, "capacity", far, 1);
    sg_services sv;

    /* --strict: a service without geometry is an error */
    sg_service_spec spec = {"clinic", f->services, NULL, NULL, "capacity", NULL, NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(sg__services_read(f->ctx, &spec, f->o, &f->rd.crs, &f->city, 0, &sv), SG_ERR_DATA);
    assert_diag(f->ctx, "E_NULL_GEOMETRY", "services.gpkg", "layer 'clinic'", "fid 2", "(--strict)");
    sg__services_free(f->ctx, &sv);
    /* a capacity field that is not there: the fields there are listed */
    spec.capacity = "places";
    assert_int_equal(sg__services_read(f->ctx, &spec, f->o, &f->rd.crs, &f->city, 0, &sv), SG_ERR_DATA);
    assert_diag(f->ctx, "E_MISSING_FIELD", "field 'places'", "--capacity field not found (fields: capacity)");
    sg__services_free(f->ctx, &sv);
    /* a negative capacity and a line: both reported, by fid */
    sg_service_spec nspec = {"x", f->services, "neg", NULL, "capacity", NULL, NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(sg__services_read(f->ctx, &nspec, f->o, &f->rd.crs, &f->city, 0, &sv), SG_ERR_DATA);
    assert_diag(f->ctx, "E_NEGATIVE", "layer 'neg'", "fid 1", "field 'capacity'", "negative capacity -1");
    assert_diag(f->ctx, "E_SERVICE_GEOMETRY", "fid 2", "a Line String: a service must be a point, multipoint or polygon");
    assert_non_null(strstr(sg_ctx_last_error(f->ctx), "(and 1 more service error)"));
    sg__services_free(f->ctx, &sv);
    /* no CRS: nothing to place the points with */
    sg_service_spec cspec = {"nocrs", f->services, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(sg__services_read(f->ctx, &cspec, f->o, &f->rd.crs, &f->city, 0, &sv), SG_ERR_CRS);
    assert_diag(f->ctx, "E_NO_CRS", "layer 'nocrs'", "the layer has no CRS");
    sg__services_free(f->ctx, &sv);
    /* a filter OGR cannot parse is a usage error */
    sg_service_spec wspec = {"clinic", f->services, NULL, "capacity >", NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(sg__services_read(f->ctx, &wspec, f->o, &f->rd.crs, &f->city, 0, &sv), SG_ERR_USAGE);
    assert_diag(f->ctx, "E_SERVICE_WHERE", "--service-where \"capacity >\" is not a valid filter");
    sg__services_free(f->ctx, &sv);
    /* services 90 km away: read, with a warning that the CRS is likely wrong */
    sg_service_spec fspec = {"far", f->services, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(sg__services_read(f->ctx, &fspec, f->o, &f->rd.crs, &f->city, 0, &sv), SG_OK);
    assert_int_equal(sv.n, 1);
    assert_diag(f->ctx, "W_SERVICE_EXTENT", "none of the 1 service locations lies within the districts' extent",
                "is likely wrong");
    sg__services_free(f->ctx, &sv);
    /* a file that is not there; a layer that is not there */
    char *missing = sg_test_path(f->dir, "missing.gpkg");
    sg_service_spec mspec = {"clinic", missing, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(sg__services_read(f->ctx, &mspec, f->o, &f->rd.crs, &f->city, 0, &sv), SG_ERR_INPUT);
    assert_diag(f->ctx, "E_OPEN", "missing.gpkg", "no such file");
    sg__services_free(f->ctx, &sv);
    free(missing);
    sg_service_spec lspec = {"clinic", f->services, "nosuch", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(sg__services_read(f->ctx, &lspec, f->o, &f->rd.crs, &f->city, 0, &sv), SG_ERR_INPUT);
    assert_diag(f->ctx, "E_NO_LAYER", "layer 'nosuch'", "no such layer (layers: clinic, neg, nocrs, far)");
    sg__services_free(f->ctx, &sv);
}

/* Issue 16 item 18: capacities of 1.797e308 summed to infinity: total
 * capacity and every 2SFCA value became null, without a word. A capacity
 * above SG_MAX_COUNT (1e12) is E_TOO_LARGE naming file, layer, fid, field;
 * 1e12 itself is accepted and sums stay finite. */
static void huge_capacity_is_refused(void **state) {
    fixture *f = *state;
    read_city(f, NULL);
    prow huge[] = {{pt_ll(500, 500), "1.797e308"}, {pt_ll(1500, 500), "1.797e308"}, {pt_ll(2500, 500), "3"}};
    layer_write(f->services, "huge", 4326, "capacity", huge, 3);
    prow max[] = {{pt_ll(500, 500), "1e12"}, {pt_ll(1500, 500), "1e12"}};
    layer_write(f->services, "max", 4326, "capacity", max, 2);
    sg_services sv;
    sg_service_spec spec = {"x", f->services, "huge", NULL, "capacity", NULL, NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(sg__services_read(f->ctx, &spec, f->o, &f->rd.crs, &f->city, 0, &sv), SG_ERR_DATA);
    assert_diag(f->ctx, "E_TOO_LARGE", "services.gpkg", "layer 'huge'", "fid 1", "field 'capacity'",
                "capacity 1.797e+308 is more than seggap accepts (1e+12)");
    assert_diag(f->ctx, "E_TOO_LARGE", "fid 2");
    sg__services_free(f->ctx, &sv);
    sg_ctx_clear(f->ctx);
    sg_service_spec mspec = {"x", f->services, "max", NULL, "capacity", NULL, NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(sg__services_read(f->ctx, &mspec, f->o, &f->rd.crs, &f->city, 0, &sv), SG_OK);
    sg_assert_near(sv.total_capacity, 2e12, 0);
    sg__services_free(f->ctx, &sv);
}

/* Issue 16 item 20: GDAL reads a point with a NaN coordinate as an empty
 * point, so it was left out as "no geometry" (W_SERVICE_NO_GEOMETRY); it is
 * E_BAD_COORDINATE naming the fid. (NaN, NaN), WKB's POINT EMPTY, stays
 * empty. Population points the same. */
static void nan_point_is_not_finite(void **state) {
    fixture *f = *state;
    read_city(f, NULL);
    char *gj = sg_test_path(f->dir, "nan.geojson");
    sg_test_write_file(gj, "{\"type\":\"FeatureCollection\",\"features\":["
                           "{\"type\":\"Feature\",\"properties\":{\"n\":1},\"geometry\":{\"type\":\"Point\","
                           "\"coordinates\":[13.0,52.0]}},"
                           "{\"type\":\"Feature\",\"properties\":{\"n\":1},\"geometry\":{\"type\":\"Point\","
                           "\"coordinates\":[NaN,52.0]}}]}");
    sg_services sv;
    sg_service_spec spec = {"x", gj, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(sg__services_read(f->ctx, &spec, f->o, &f->rd.crs, &f->city, 0, &sv), SG_ERR_DATA);
    assert_diag(f->ctx, "E_BAD_COORDINATE", "nan.geojson", "fid 1", "coordinate is not finite (x nan, y 52)");
    for (size_t i = 0; i < sg_ctx_diag_count(f->ctx); i++)
        assert_null(strstr(sg_ctx_diag(f->ctx, i)->message, "no geometry"));
    sg__services_free(f->ctx, &sv);

    sg_options_free(f->o);
    f->o = NULL;
    sg__city_free(f->ctx, &f->city);
    sg__reader_free(&f->rd);
    memset(&f->rd, 0, sizeof f->rd);
    sg_ctx_clear(f->ctx);
    read_city(f, (const char *const[]){"--service", "x=unused.gpkg", "--population-points", gj,
                                       "--population-field", "n", NULL});
    sg_origins og;
    assert_int_equal(sg__origins_build(f->ctx, f->o, &f->city, &f->rd.crs, &og), SG_ERR_DATA);
    assert_diag(f->ctx, "E_BAD_COORDINATE", "fid 1", "not finite");
    sg__origins_free(&og);
    free(gj);
}

static void origins_are_points_on_surface(void **state) {
    fixture *f = *state;
    read_city(f, NULL);
    sg_origins og;
    assert_int_equal(sg__origins_build(f->ctx, f->o, &f->city, &f->rd.crs, &og), SG_OK);
    assert_int_equal(og.n, 3);
    assert_int_equal(og.from_points, 0);
    assert_int_equal(og.fallback, 0);
    const double total[] = {100, 300, 50};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(og.off[i], i);
        assert_int_equal(og.district[i], i);
        assert_at(og.x[i] - X0, 500 + 1000.0 * (double)i, 1e-6);
        assert_at(og.y[i] - Y0, 500, 1e-6);
        sg_assert_near(og.w[i], 1, 0);
        sg_assert_near(og.demand[i], total[i], 0);
    }
    assert_int_equal(og.off[3], 3);
    assert_int_equal(sg_ctx_diag_count(f->ctx), 0);
    sg__origins_free(&og);
}

static void origins_from_population_points(void **state) {
    fixture *f = *state;
    /* d0: 30 and 10 residents (weights 3/4, 1/4: demand 75 and 25); d1: a
     * point of 0 residents only (falls back to its centre, weight 1); d2: 7
     * residents (weight 1: demand 50); one point in no district; one without
     * geometry */
    prow p[] = {{pt(200, 200), "30"}, {pt(800, 800), "10"}, {pt(1500, 500), "0"},
                {pt(5000, 5000), "5"}, {NULL, "3"},          {pt(2500, 600), "7"}};
    layer_write(f->pop, "pop", 32633, "residents", p, 6);
    read_city(f, (const char *const[]){"--service", "x=unused.gpkg", "--population-points", f->pop,
                                       "--population-field", "residents", NULL});
    sg_origins og;
    assert_int_equal(sg__origins_build(f->ctx, f->o, &f->city, &f->rd.crs, &og), SG_OK);
    assert_int_equal(og.from_points, 1);
    assert_int_equal(og.points_read, 6);
    assert_int_equal(og.points_outside, 1);
    assert_int_equal(og.fallback, 1);
    assert_string_equal(og.src.layer, "pop");
    assert_int_equal(og.n, 4);
    const size_t off[] = {0, 2, 3, 4}, dist[] = {0, 0, 1, 2};
    const double x[] = {200, 800, 1500, 2500}, y[] = {200, 800, 500, 600}, w[] = {0.75, 0.25, 1, 1},
                 demand[] = {75, 25, 300, 50};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(og.off[i], off[i]);
        assert_int_equal(og.district[i], dist[i]);
        assert_at(og.x[i] - X0, x[i], 1e-6);
        assert_at(og.y[i] - Y0, y[i], 1e-6);
        sg_assert_near(og.w[i], w[i], 1e-15);
        sg_assert_near(og.demand[i], demand[i], 1e-15);
    }
    /* the fallback district is named through sg__first_ids */
    assert_diag(f->ctx, "W_POPULATION_FALLBACK", "1 districts have no population point with residents",
                "their point on surface stands for them: d1");
    assert_diag(f->ctx, "W_POPULATION_OUTSIDE", "1 of 6 population points lie in no district");
    assert_diag(f->ctx, "W_POPULATION_NO_GEOMETRY", "1 of 6 population points have no geometry");
    sg__origins_free(&og);

    /* a population field that is not there */
    sg_options_free(f->o);
    f->o = NULL;
    sg__city_free(f->ctx, &f->city);
    sg__reader_free(&f->rd);
    memset(&f->rd, 0, sizeof f->rd);
    read_city(f, (const char *const[]){"--service", "x=unused.gpkg", "--population-points", f->pop,
                                       "--population-field", "people", NULL});
    assert_int_equal(sg__origins_build(f->ctx, f->o, &f->city, &f->rd.crs, &og), SG_ERR_DATA);
    assert_diag(f->ctx, "E_MISSING_FIELD", "field 'people'", "--population-field not found (fields: residents)");
    sg__origins_free(&og);
}

static void first_ids_of_a_list(void **state) {
    (void)state;
    char *ids[12] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"};
    sg_city c;
    memset(&c, 0, sizeof c);
    c.n = 12;
    c.id = ids;
    size_t idx[12];
    for (size_t i = 0; i < 12; i++) idx[i] = 11 - i;
    char *s = sg__first_ids(&c, idx, 3);
    assert_string_equal(s, "l, k, j");
    free(s);
    /* SG_FIRST_IDS (10) at most, then the count */
    s = sg__first_ids(&c, idx, 12);
    assert_string_equal(s, "l, k, j, i, h, g, f, e, d, c, ... (12 in all)");
    free(s);
    s = sg__first_ids(&c, idx, 10);
    assert_string_equal(s, "l, k, j, i, h, g, f, e, d, c");
    free(s);
    s = sg__first_ids(&c, idx, 11);
    assert_string_equal(s, "l, k, j, i, h, g, f, e, d, c, ... (11 in all)");
    free(s);
    /* a district without an id is an empty name; none at all is "" */
    ids[1] = NULL;
    size_t two[] = {0, 1, 2};
    s = sg__first_ids(&c, two, 3);
    assert_string_equal(s, "a, , c");
    free(s);
    s = sg__first_ids(&c, two, 0);
    assert_string_equal(s, "");
    free(s);
}


/* read/travel_times.c on its own: the least minutes per district over the
 * rows of known services; a GeoPackage table (not a CSV: rows, no lines);
 * ids as given. d2 has no row: NaN and W_TT_NO_ROW. */
static void travel_times_table(void **state) {
    fixture *f = *state;
    read_city(f, NULL);
    char *tt = sg_test_path(f->dir, "tt.gpkg");
    const char *names[] = {"from_id", "to_id", "travel_time_p50"};
    const OGRFieldType types[] = {OFTString, OFTString, OFTReal};
    sg_test_lrow rows[] = {{NULL, {"d0", "a", "12"}}, {NULL, {"d0", "b", "7.5"}}, {NULL, {"d1", "a", "3"}}};
    sg_test_layer_write(tt, "matrix", 0, wkbNone, names, types, 3, rows, 3);
    sg_service_spec spec = {"gp", f->services, NULL, NULL, NULL, NULL, tt, NULL, NULL, NULL, NULL};
    char *ids[] = {"a", "b", "c"};
    double m[3];
    sg_tt_info info;
    assert_int_equal(sg__travel_times_read(f->ctx, &spec, &f->city, ids, 3, m, &info), SG_OK);
    sg_assert_near(m[0], 7.5, 0);
    sg_assert_near(m[1], 3, 0);
    assert_true(isnan(m[2]));
    assert_int_equal(info.rows, 3);
    assert_int_equal(info.districts_with_time, 2);
    assert_int_equal(info.districts_without, 1);
    assert_string_equal(info.minutes, "travel_time_p50");
    assert_diag(f->ctx, "W_TT_NO_ROW", "1 of 3 districts", "no time_gp_min", "d2");
    sg__tt_info_free(&info);
    /* a service id that is not among those read: "row 2", not a CSV line */
    char *few[] = {"a"};
    sg_ctx_clear(f->ctx);
    assert_int_equal(sg__travel_times_read(f->ctx, &spec, &f->city, few, 1, m, &info), SG_ERR_DATA);
    assert_diag(f->ctx, "E_TT_UNKNOWN_SERVICE", "1 rows name a 'gp' service that was not read (first on row 2): 'b'",
                "their feature id");
    sg__tt_info_free(&info);
    free(tt);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(services_are_read_into_the_working_crs, setup, teardown),
        cmocka_unit_test_setup_teardown(service_errors_name_the_feature, setup, teardown),
        cmocka_unit_test_setup_teardown(huge_capacity_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(nan_point_is_not_finite, setup, teardown),
        cmocka_unit_test_setup_teardown(origins_are_points_on_surface, setup, teardown),
        cmocka_unit_test_setup_teardown(origins_from_population_points, setup, teardown),
        cmocka_unit_test(first_ids_of_a_list),
        cmocka_unit_test_setup_teardown(travel_times_table, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
